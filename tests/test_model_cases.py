"""Tiny scenarios whose optimal plan and cost were worked out by hand (in each docstring).

Every solve here also passes through the independent plan checker.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

import allocopt
from cases import (
    BUILD,
    LEASE,
    Budget,
    District,
    Lock,
    Option,
    Service,
    Site,
    SiteCapacity,
    build_or_lease,
    district_group,
    flat,
    new_building,
    tiny,
    too_tight_frame,
)


def solved(scenario, **kwargs):
    result = allocopt.solve(scenario, mip_gap=0.0, **kwargs)
    assert result.status == "optimal", result.message
    assert allocopt.check(scenario, result) == []
    return result


def plan(result) -> list[tuple]:
    """(year, action, option or site, modules) of every action."""
    out = []
    for r in result.actions.itertuples(index=False):
        ident = r.option if isinstance(r.option, str) else r.site
        out.append((int(r.year), r.action, ident, None if r.action in ("close", "lease_end") else int(r.modules)))
    return out


def test_build_beats_lease_with_residual_value():
    """100 places in 2026-2030, r = 0. Build: 1000 capex + 5·10 opex − residual 1000·(1 − 5/10) = 550.
    Lease: 5·150 = 750. The build opens in 2026; cost 550."""
    sc = build_or_lease()
    r = solved(sc)
    assert plan(r) == [(2026, "build", "B", 1)]
    assert r.objective == pytest.approx(550.0, abs=1e-6)


def test_lease_beats_build_without_residual_value():
    """Same, residual value 'none': build 1000 + 50 = 1050 > lease 750. The lease is taken; cost 750."""
    sc = build_or_lease(residual="none")
    r = solved(sc)
    assert plan(r) == [(2026, "lease", "L", 1)]
    assert r.objective == pytest.approx(750.0, abs=1e-6)


def test_residual_value_of_a_build_in_the_last_year():
    """100 places only in 2027 (horizon 2026-2027), build capex 1000, lifetime 10, r = 0.05.
    It opens in 2027: capex 1000·1.05^-1, residual 1000·(1 − 1/10) = 900 credited at δ_end = 1.05^-2.
    Cost 952.381 − 816.327 = 136.054 — not 952.381 as if the school vanished at the horizon."""
    sc = tiny(
        2026,
        2027,
        rate=0.05,
        demand={("A", "pre", 2027): 100.0},
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=1000.0, lifetime=10)
        ],
    )
    r = solved(sc)
    assert plan(r) == [(2027, "build", "B", 1)]
    assert r.objective == pytest.approx(1000 / 1.05 - 900 / 1.05**2, rel=1e-9)
    assert r.costs["residual"].tolist() == pytest.approx([0.0, 900.0])


def test_closure_with_sale_value():
    """Site K (100 places, opex 50/yr, may close, closure cost 30, sale value 200) is not needed:
    S (100 places, opex 10/yr) serves the 60 places. r = 0, 2026-2028.
    Close K in 2026: 30 − 200 = −170; in 2027: 50 + 30 − 200 = −120; in 2028: −70;
    never: 150 − 200 (kept: worth its sale value at the end) = −50. So close in 2026.
    Cost: S 3·10 = 30, plus −170: −140."""
    sc = tiny(
        demand=flat(60, range(2026, 2029)),
        sites=[
            Site(site="S", district="A", opex=10.0),
            Site(site="K", district="A", opex=50.0, may_close=True, closure_cost=30.0, sale_value=200.0),
        ],
        capacities=[
            SiteCapacity(site="S", service="pre", capacity=100.0),
            SiteCapacity(site="K", service="pre", capacity=100.0),
        ],
    )
    r = solved(sc)
    assert plan(r) == [(2026, "close", "K", None)]
    assert r.objective == pytest.approx(-140.0, abs=1e-6)


def test_capex_cap_pushes_the_build_later_and_leaves_demand_unmet():
    """100 places in 2027-2029 (none in 2026), unmet penalty 1000 per place-year, r = 0.
    Build capex 1000 (paid on opening, lead 0), lifetime 10. Without a frame it opens in 2027:
    1000 − 1000·(1 − 3/10) = 300. With capex caps 0 in 2026 and 500 in 2027 it cannot open before
    2028: 1000 − 1000·(1 − 2/10) = 200, plus 100 unmet places in 2027 at 1000: 100 200."""
    options = [Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=1000.0, lifetime=10)]
    demand = flat(100, range(2027, 2030))
    free = solved(tiny(2026, 2029, penalty=1000.0, demand=demand, options=options))
    assert plan(free) == [(2027, "build", "B", 1)]
    assert free.objective == pytest.approx(300.0, abs=1e-6)

    framed = solved(
        tiny(
            2026,
            2029,
            penalty=1000.0,
            demand=demand,
            options=options,
            budget=[Budget(year=2026, capex_cap=0.0), Budget(year=2027, capex_cap=500.0)],
        )
    )
    assert plan(framed) == [(2028, "build", "B", 1)]
    assert framed.objective == pytest.approx(100_200.0, abs=1e-6)
    unmet = framed.balance.set_index("year")["unmet"]
    assert unmet.to_dict() == pytest.approx({2027: 100.0, 2028: 0.0, 2029: 0.0})


def test_too_tight_frame_with_unmet_forbidden_is_infeasible():
    """As above, but unmet demand forbidden: no plan serves 2027 — status infeasible. The elastic
    re-solve (allocopt.diagnose) names what must give: B's 1 000 SEK, paid in 2027 to open by 2027,
    against that year's cap of 500: the cap is 500 SEK short."""
    sc = too_tight_frame()
    r = allocopt.solve(sc)
    assert r.status == "infeasible"
    assert "the capex cap of 2027 is 500 SEK short" in r.message
    d = r.diagnosis
    assert d[["family", "key", "amount"]].values.tolist() == [["capex_cap", "2027", pytest.approx(500.0)]]
    assert r.summary()["diagnosis"][0]["amount"] == pytest.approx(500.0)
    assert r.actions.empty


def test_lead_time_spreads_capex_and_delays_opening():
    """Horizon 2026-2030, r = 0.1, 100 places in 2029-2030 only. Build capex 1200, lead time 2,
    lifetime 4: earliest opening 2028. Opening in 2029: 600 paid in 2027 and 600 in 2028,
    600/1.1 + 600/1.21 = 1041.32; residual 1200·(1 − 2/4) = 600 at δ_end = 1.1^-5: −372.55; = 668.77.
    Opening in 2028 instead: 600 + 545.45 − 300·1.1^-5 = 959.17. So 2029, decided in 2027."""
    sc = tiny(
        2026,
        2030,
        rate=0.1,
        demand=flat(100, (2029, 2030)),
        options=[
            new_building(
                "B",
                capacity=100.0,
                capex=1200.0,
                lead_time=2,
                lifetime=4,
            )
        ],
    )
    r = solved(sc)
    assert plan(r) == [(2029, "build", "B", 1)]
    assert r.actions.loc[0, "decision_year"] == 2027
    assert r.costs.set_index("year")["capex"].to_dict() == pytest.approx(
        {2026: 0, 2027: 600, 2028: 600, 2029: 0, 2030: 0}
    )
    assert r.objective == pytest.approx(600 / 1.1 + 600 / 1.1**2 - 600 / 1.1**5, rel=1e-9)


def test_conversion_moves_capacity_between_services():
    """Site S has 100 preschool places; demand is 40 preschool and 50 school places (2026-2027).
    A conversion gives 25 school places per module for 30 preschool places, capex 100 per module;
    a new school costs 1000. Two modules: school 50, preschool 100 − 60 = 40 — exactly enough.
    Residual 'none', r = 0: cost 200."""
    services = [Service(service="pre", max_km=10.0), Service(service="school", max_km=10.0)]
    demand = {**flat(40, (2026, 2027)), **flat(50, (2026, 2027), service="school")}
    sc = tiny(
        2026,
        2027,
        residual="none",
        services=services,
        demand=demand,
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
        options=[
            Option(
                option="C",
                kind="conversion",
                site="S",
                service="school",
                from_service="pre",
                capacity=25.0,
                capacity_from=30.0,
                max_modules=3,
                capex=100.0,
            ),
            Option(option="N", kind="build", district="A", service="school", capacity=100.0, capex=1000.0),
        ],
    )
    r = solved(sc)
    assert plan(r) == [(2026, "conversion", "C", 2)]
    assert r.objective == pytest.approx(200.0, abs=1e-6)
    use = r.utilisation.set_index(["service", "year"])["capacity"]
    assert use[("pre", 2026)] == pytest.approx(40.0) and use[("school", 2026)] == pytest.approx(50.0)


def test_expansion_in_whole_modules():
    """Site S has 50 places, demand 80 (2026 only). Expansion: 20 places per module, capex 100,
    at most 3 modules; a new 100-place build costs 500. Two modules (40 places) cost 200 < 500."""
    sc = tiny(
        2026,
        2026,
        residual="none",
        demand=flat(80, (2026,)),
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=50.0)],
        options=[
            Option(option="E", kind="expansion", site="S", service="pre", capacity=20.0, max_modules=3, capex=100.0),
            Option(option="N", kind="build", district="A", service="pre", capacity=100.0, capex=500.0),
        ],
    )
    r = solved(sc)
    assert plan(r) == [(2026, "expansion", "E", 2)]
    assert r.objective == pytest.approx(200.0, abs=1e-6)


def test_pavilion_bridges_until_the_build_opens():
    """100 places in 2026-2030; site S has 60. The build (100 places, capex 500, lead 2) opens 2028 at
    the earliest; a pavilion (40 places, set-up 10, rent 5/yr, term 2) covers 2026-2027.
    Residual 'none', r = 0, capex paid on opening: 10 + 2·5 + 500 = 520."""
    sc = tiny(
        2026,
        2030,
        residual="none",
        timing="opening",
        demand=flat(100, range(2026, 2031)),
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=60.0)],
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=500.0, lead_time=2),
            Option(
                option="P", kind="pavilion", district="A", service="pre", capacity=40.0, capex=10.0, rent=5.0, term=2
            ),
        ],
    )
    r = solved(sc)
    assert plan(r) == [(2026, "pavilion", "P", 1), (2028, "build", "B", 1)]
    assert r.objective == pytest.approx(520.0, abs=1e-6)
    assert r.costs.set_index("year")["capex"].to_dict() == pytest.approx(
        {2026: 10, 2027: 0, 2028: 500, 2029: 0, 2030: 0}
    )


def owned_and_leased(places: float):
    """Owned S (opex 10/yr, 100 places) and leased L (rent 100/yr through 2026, renewal rent 120,
    closure cost 50 before lease end, 100 places); ``places`` of demand in 2026-2028."""
    return tiny(
        demand=flat(places, range(2026, 2029)),
        sites=[
            Site(site="S", district="A", opex=10.0),
            Site(
                site="L",
                district="A",
                tenure="leased",
                rent=100.0,
                lease_end=2026,
                renewal_rent=120.0,
                closure_cost=50.0,
            ),
        ],
        capacities=[
            SiteCapacity(site="S", service="pre", capacity=100.0),
            SiteCapacity(site="L", service="pre", capacity=100.0),
        ],
    )


def test_lease_renewal_and_free_exit_at_lease_end():
    """Leased site L (rent 100/yr through 2026, renewal rent 120, closure cost 50 before lease end)
    and owned site S (opex 10/yr, 100 places). Demand 60 in 2026-2028 fits in S alone.
    Letting L's lease end after 2026 costs nothing: 100 (rent 2026) + 30 (S) = 130, closed 2027."""
    sc = owned_and_leased(60)
    r = solved(sc)
    assert plan(r) == [(2027, "lease_end", "L", None)]
    assert r.objective == pytest.approx(130.0, abs=1e-6)
    assert r.actions.loc[0, "closure_cost"] == 0.0


def test_lease_renewed_when_needed():
    """As above, but demand 150: S alone (100) is short, so L is renewed at 120/yr:
    100 + 120 + 120 + 3·10 = 370, no action (the renewal keeps the site open)."""
    sc = owned_and_leased(150)
    r = solved(sc)
    assert plan(r) == []
    assert r.objective == pytest.approx(370.0, abs=1e-6)


def test_locks_force_and_forbid():
    """Build vs lease as in the first case (build 550, lease 750). Forbidding the build gives the
    lease (750); forcing the lease by 2027 while the build stays allowed: the lease opens in 2026
    (750) and nothing else is needed."""
    r = solved(build_or_lease(locks=[Lock(target="option", id="B", rule="forbid")]))
    assert plan(r) == [(2026, "lease", "L", 1)]
    assert r.objective == pytest.approx(750.0)
    r = solved(build_or_lease(locks=[Lock(target="option", id="L", rule="force", year=2027)]))
    assert plan(r) == [(2026, "lease", "L", 1)]
    assert r.objective == pytest.approx(750.0)


def test_keep_open_lock_and_opex_cap():
    """The closure case, with K locked open through 2027: closing in 2028 (2·50 + 30 − 200 = −70)
    beats keeping it (3·50 − 200 = −50); with S's 30: −40. With an opex cap of 50 in 2026
    (S 10 + K 50 = 60 > 50) and no lock, K must close in 2026 anyway: −140."""
    sites = [
        Site(site="S", district="A", opex=10.0),
        Site(site="K", district="A", opex=50.0, may_close=True, closure_cost=30.0, sale_value=200.0),
    ]
    caps = [
        SiteCapacity(site="S", service="pre", capacity=100.0),
        SiteCapacity(site="K", service="pre", capacity=100.0),
    ]
    r = solved(
        tiny(
            demand=flat(60, range(2026, 2029)),
            sites=sites,
            capacities=caps,
            locks=[Lock(target="site", id="K", rule="keep_open", year=2027)],
        )
    )
    assert plan(r) == [(2028, "close", "K", None)]
    assert r.objective == pytest.approx(30 + 100 + 30 - 200)
    r = solved(
        tiny(
            demand=flat(60, range(2026, 2029)), sites=sites, capacities=caps, budget=[Budget(year=2026, opex_cap=50.0)]
        )
    )
    assert plan(r) == [(2026, "close", "K", None)]


def test_travel_cost_and_reach():
    """District A (0,0) has 50 places of demand; site S in B (3 km) and T in C (8 km), each 50 places,
    opex 0. Max 5 km: only S reaches. Travel 2 SEK per place-km: 50·3·2 = 300 per year, 2026 only."""
    districts = [
        District(district="A", x_km=0, y_km=0),
        District(district="B", x_km=3, y_km=0),
        District(district="C", x_km=0, y_km=8),
    ]
    sc = tiny(
        2026,
        2026,
        districts=districts,
        services=[Service(service="pre", max_km=5.0, travel_cost=2.0)],
        demand=flat(50, (2026,)),
        sites=[Site(site="S", district="B"), Site(site="T", district="C")],
        capacities=[
            SiteCapacity(site="S", service="pre", capacity=50.0),
            SiteCapacity(site="T", service="pre", capacity=50.0),
        ],
    )
    r = solved(sc)
    assert r.assignments[["site", "places", "km"]].values.tolist() == [["S", 50.0, 3.0]]
    assert r.objective == pytest.approx(300.0)


def test_unreachable_demand_is_reported_before_solving():
    """Demand in A with the only site 8 km away and max 5 km: infeasible, naming the district."""
    districts = [District(district="A", x_km=0, y_km=0), District(district="C", x_km=0, y_km=8)]
    sc = tiny(
        2026,
        2026,
        districts=districts,
        services=[Service(service="pre", max_km=5.0)],
        demand=flat(50, (2026,)),
        sites=[Site(site="T", district="C")],
        capacities=[SiteCapacity(site="T", service="pre", capacity=50.0)],
    )
    r = allocopt.solve(sc)
    assert r.status == "infeasible"
    assert "district 'A'" in r.message and "pre" in r.message


def test_utilisation_limits_usable_capacity():
    """Site of 100 places at utilisation 0.9 serves at most 90; demand 95 with penalty 10:
    5 unmet places, cost 50."""
    sc = tiny(
        2026,
        2026,
        penalty=10.0,
        services=[Service(service="pre", max_km=5.0, utilisation=0.9)],
        demand=flat(95, (2026,)),
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
    )
    r = solved(sc)
    assert r.balance["unmet"].tolist() == pytest.approx([5.0])
    assert r.objective == pytest.approx(50.0)
    assert not math.isnan(r.utilisation["utilisation"].iloc[0])


def test_district_group_cover_rows_for_districts_served_from_the_same_facilities():
    """A (0 km) and B (4 km) reach only option OA in A; C (20 km) reaches only OC in C (max 5 km).
    A and B form a group (K = {OA}, C = {A, B}); C alone does not, nor the whole service. Demand
    2026: A 60, B 60, C 50 places. OA (100 places per module, capex 1000, up to 2 modules) needs
    two modules for A and B's 120, OC one: cost 3 000 with r = 0 and no residual value."""
    from allocopt.index import build_index
    from allocopt.model.build import build_model, reach_groups

    sc = district_group([2026])
    index = build_index(sc)
    assert reach_groups(index) == [("pre", "A", ("OA",), ("A", "B"))]
    rows = build_model(index).model.district_group_cover
    assert list(rows) == [("pre", "A", 2026)]
    assert rows["pre", "A", 2026].lower == pytest.approx(120.0)
    r = solved(sc)
    assert plan(r) == [(2026, "build", "OA", 2), (2026, "build", "OC", 1)]
    assert r.objective == pytest.approx(3000.0, abs=1e-6)


def lapsing_offer(latest_year: int | None) -> allocopt.Scenario:
    """100 places only in 2029-2030; r = 0, residual 'none'. Lease L (100 places, rent 100/yr, term
    10) is offered until ``latest_year``; lease M (100 places, rent 180/yr, term 10) at any time."""
    return tiny(
        2026,
        2030,
        residual="none",
        demand=flat(100, (2029, 2030)),
        options=[
            Option(
                option="L",
                kind="lease",
                district="A",
                service="pre",
                capacity=100.0,
                rent=100.0,
                term=10,
                latest_year=latest_year,
            ),
            Option(option="M", kind="lease", district="A", service="pre", capacity=100.0, rent=180.0, term=10),
        ],
    )


def test_an_offer_that_lapses_before_demand_appears():
    """Demand appears in 2029. Without a latest year L opens in 2029: 2·100 = 200. Offered until
    2027, L must open by 2027 and pays rent while idle: 2027-2030 is 4·100 = 400 (2026: 500),
    more than M opened in 2029, 2·180 = 360: M is taken, 360. Offered until 2028, L opens in
    2028: 3·100 = 300 < 360, L is taken, 300."""
    from allocopt.index import build_index

    assert build_index(lapsing_offer(2027)).options["L"].years == [2026, 2027]
    r = solved(lapsing_offer(None))
    assert plan(r) == [(2029, "lease", "L", 1)]
    assert r.objective == pytest.approx(200.0, abs=1e-6)
    r = solved(lapsing_offer(2027))
    assert plan(r) == [(2029, "lease", "M", 1)]
    assert r.objective == pytest.approx(360.0, abs=1e-6)
    r = solved(lapsing_offer(2028))
    assert plan(r) == [(2028, "lease", "L", 1)]
    assert r.objective == pytest.approx(300.0, abs=1e-6)


def overrun_case(overrun: float, budget=()) -> allocopt.Scenario:
    """build_or_lease with a dearer build: capex 1250 (opex 10/yr, lifetime 10), lease rent 150/yr;
    100 places in 2026-2030, r = 0, straight-line residual value, capex raised by ``overrun``."""
    return tiny(
        2026,
        2030,
        overrun=overrun,
        demand=flat(100, range(2026, 2031)),
        options=[Option(option="B", **{**BUILD, "capex": 1250.0}), Option(option="L", **LEASE)],
        budget=budget,
    )


def test_a_cost_overrun_allowance_turns_the_build_into_a_lease():
    """Without overrun: build 1250 + 5·10 − 1250·(1 − 5/10) = 675 < lease 5·150 = 750: the build,
    675. With a 20 % overrun the build's capex is 1250·1.2 = 1500, its residual 1500·0.5 = 750:
    1500 + 50 − 750 = 800 > 750: the lease, 750 (evaluated again: 750). Evaluated, the build plan
    under the overrun costs 800 (capex 1500 in 2026, residual 750 in 2030; the actions table's
    capex 1500) and breaks no rule."""
    r = solved(overrun_case(0.0))
    assert plan(r) == [(2026, "build", "B", 1)]
    assert r.objective == pytest.approx(675.0, abs=1e-6)
    sc = overrun_case(0.2)
    r = solved(sc)
    assert plan(r) == [(2026, "lease", "L", 1)]
    assert r.objective == pytest.approx(750.0, abs=1e-6)
    assert allocopt.evaluate(sc, r.actions).objective == pytest.approx(750.0, abs=1e-6)
    built = allocopt.evaluate(sc, pd.DataFrame([{"year": 2026, "action": "build", "option": "B", "modules": 1}]))
    assert built.violations == [] and allocopt.check(sc, built) == []
    assert built.objective == pytest.approx(800.0, abs=1e-6)
    costs = built.costs.set_index("year")
    assert costs.at[2026, "capex"] == pytest.approx(1500.0) and costs.at[2030, "residual"] == pytest.approx(750.0)
    assert built.actions["capex"].tolist() == pytest.approx([1500.0])


def test_the_capex_cap_counts_the_overrun():
    """10 % overrun: the build's capex is 1375, net 1375 + 50 − 687.5 = 737.5 < 750. A capex cap of
    1400 in 2026 lets it open then: the build, 737.5. A cap of 1300 would hold the bare 1250 but not
    1375: the build cannot open in 2026, when the lease alone can serve, and once the lease serves
    2026 it serves every year: the lease, 750."""
    r = solved(overrun_case(0.1, budget=[Budget(year=2026, capex_cap=1400.0)]))
    assert plan(r) == [(2026, "build", "B", 1)]
    assert r.objective == pytest.approx(737.5, abs=1e-6)
    r = solved(overrun_case(0.1, budget=[Budget(year=2026, capex_cap=1300.0)]))
    assert plan(r) == [(2026, "lease", "L", 1)]
    assert r.objective == pytest.approx(750.0, abs=1e-6)


def lease_cases(places: dict, **leased) -> allocopt.Scenario:
    """Owned S (opex 10/yr, 100 places) and leased N (rent 100/yr through lease_end 2027, closure
    cost 50 before it, 100 places; ``leased`` overrides), 2026-2030, r = 0, ``places`` by year."""
    return tiny(
        2026,
        2030,
        demand={("A", "pre", y): p for y, p in places.items()},
        sites=[
            Site(site="S", district="A", opex=10.0),
            Site(site="N", district="A", tenure="leased", rent=100.0, lease_end=2027, closure_cost=50.0, **leased),
        ],
        capacities=[
            SiteCapacity(site="S", service="pre", capacity=100.0),
            SiteCapacity(site="N", service="pre", capacity=100.0),
        ],
    )


def test_a_lease_that_ends_is_reported_as_lease_end():
    """Three closings of the leased site N (models/premises.md, *Results*), r = 0:

    1. N's lease ends 2027 and is not renewable; 60 places a year fit in S. N is open 2026-2027
       (may_close false) and closed from 2028: rent 2·100 + S 5·10 = 250. The row is
       (2028, lease_end, N), closure cost 0 (not a decision to close).
    2. N renewable at 120/yr after 2027; 150 places 2026-2028 need N, 60 in 2029-2030 do not. N is
       renewed for 2028 and let go from 2029: 100 + 100 + 120 + S 50 = 370. Not renewing a lease
       again is the lease ending too: (2029, lease_end, N), closure cost 0.
    3. N may close (lease_end 2029, non-renewable); 60 places a year. Breaking the lease in 2026
       costs the closure cost 50 + S 50 = 100 (keeping it to 2029: 400 + 50 = 450): (2026, close,
       N), closure cost 50.
    The checker expects exactly these words (the other word is an actions_table violation), and
    ``evaluate`` prices a plan that says ``close`` (as older plans do) or ``lease_end`` alike."""
    ended = solved(lease_cases(dict.fromkeys(range(2026, 2031), 60.0), renewable=False))
    assert plan(ended) == [(2028, "lease_end", "N", None)]
    assert ended.objective == pytest.approx(250.0, abs=1e-6)
    assert ended.actions.loc[0, "closure_cost"] == 0.0

    places = {2026: 150.0, 2027: 150.0, 2028: 150.0, 2029: 60.0, 2030: 60.0}
    dropped = solved(lease_cases(places, renewal_rent=120.0))
    assert plan(dropped) == [(2029, "lease_end", "N", None)]
    assert dropped.objective == pytest.approx(370.0, abs=1e-6)
    assert dropped.actions.loc[0, "closure_cost"] == 0.0

    sc = lease_cases(dict.fromkeys(range(2026, 2031), 60.0), renewable=False, may_close=True)
    sc = sc.model_copy(update={"sites": [sc.sites[0], sc.sites[1].model_copy(update={"lease_end": 2029})]})
    broken = solved(sc)
    assert plan(broken) == [(2026, "close", "N", None)]
    assert broken.objective == pytest.approx(100.0, abs=1e-6)
    assert broken.actions.loc[0, "closure_cost"] == 50.0

    mislabelled = ended.actions.assign(action="close")
    bad = allocopt.check(
        lease_cases(dict.fromkeys(range(2026, 2031), 60.0), renewable=False),
        dataclasses.replace(ended, actions=mislabelled),
    )
    assert [(v.family, v.keys) for v in bad] == [("actions_table", {"site": "N", "year": 2028, "column": "action"})]

    for word in ("close", "lease_end"):
        given = pd.DataFrame([{"year": 2029, "action": word, "site": "N"}])
        mine = allocopt.evaluate(lease_cases(places, renewal_rent=120.0), given)
        assert mine.objective == pytest.approx(370.0, abs=1e-6)
        assert plan(mine) == [(2029, "lease_end", "N", None)]
        assert mine.violations == []


def test_a_site_lock_forbids_every_option_at_the_site():
    """Owned site S (100 places, no cost) and 150 places a year in 2026-2028, r = 0, no residual
    value. Expansion E at S (+100 places, capex 300) or build B (100 places, capex 1000): E is
    chosen, cost 300. A lock ``target: site, id: S, rule: forbid`` forbids every option at S (E),
    not S itself: B opens in 2026 instead, cost 1000, and S stays
    open. Evaluating the plan that expands S under that lock costs 300 and names the breach
    (lock_forbid on E, 1 module in 2026)."""
    expansion = dict(kind="expansion", site="S", service="pre", capacity=100.0, capex=300.0)

    def scenario(*locks):
        return tiny(
            residual="none",
            demand=flat(150.0, range(2026, 2029)),
            sites=[Site(site="S", district="A")],
            capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
            options=[
                Option(option="E", **expansion),
                Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=1000.0),
            ],
            locks=locks,
        )

    free = solved(scenario())
    assert plan(free) == [(2026, "expansion", "E", 1)]
    assert free.objective == pytest.approx(300.0, abs=1e-6)
    locked = scenario(Lock(target="site", id="S", rule="forbid"))
    r = solved(locked)
    assert plan(r) == [(2026, "build", "B", 1)]
    assert r.objective == pytest.approx(1000.0, abs=1e-6)
    mine = allocopt.evaluate(locked, free.actions)
    assert mine.objective == pytest.approx(300.0, abs=1e-6)
    assert [(v.family, v.keys, v.amount) for v in allocopt.check(locked, mine)] == [
        ("lock_forbid", {"option": "E", "year": 2026}, 1.0)
    ]
    assert len(mine.violations) == 1 and "option E at forbidden site S opens 1 modules" in mine.violations[0]
