"""The two parties and their frames: tiny scenarios whose optimal plan and cost were worked out by
hand (in each docstring), against models/premises.md (*Money by party*, *Objective*, the frame
families, ``on_close``, extensions, conversions at a build option).

Notation: α(r, L) = r / (1 − (1 + r)^−L), the annuity factor; r_i the internal rate, k_up the
internal upkeep. Every solve also passes through the independent plan checker.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import allocopt
from cases import Budget, Option, Service, Site, SiteCapacity, flat, new_building, pavilion, tiny

REL = 1e-6


def alpha(r: float, years: int) -> float:
    return r / (1 - (1 + r) ** -years)


def with_settings(scenario, **kw):
    """``scenario`` with settings fields changed (the tiny() builder knows only the old ones)."""
    return scenario.model_copy(update={"settings": scenario.settings.model_copy(update=kw)})


def solved(scenario):
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal", result.message
    assert allocopt.check(scenario, result) == []
    return result


def plan(result) -> list[tuple]:
    """(year, action, option or site, modules) of every action, sorted."""
    out = []
    for r in result.actions.itertuples(index=False):
        ident = r.option if isinstance(r.option, str) else r.site
        out.append((int(r.year), r.action, ident, None if r.action in ("close", "lease_end") else int(r.modules)))
    return sorted(out)


def party(result, name: str, column: str) -> dict[int, float]:
    """{year: column} of the party_costs rows of ``name``."""
    pc = result.party_costs
    rows = pc[pc["party"] == name]
    return {int(y): float(v) for y, v in zip(rows["year"], rows[column], strict=True)}


def npv(result, name: str) -> float:
    pc = result.party_costs
    return float(pc.loc[pc["party"] == name, "discounted"].sum())


def frame(result, name: str, column: str = "spend") -> dict[int, float]:
    f = result.frames
    rows = f[f["frame"] == name]
    return {int(y): float(v) for y, v in zip(rows["year"], rows[column], strict=True)}


def given(*rows) -> pd.DataFrame:
    """A plan: rows of (year, action, option, site, modules)."""
    return pd.DataFrame([dict(zip(("year", "action", "option", "site", "modules"), r, strict=True)) for r in rows])


def families(violations) -> set[str]:
    return {v.family for v in violations}


# ------------------------------------------------------------------------------ internal rent


def one_build(**kw):
    """100 places in 2026-2027, r = 0; build B (100 places, capex 1000, opex 10, lifetime 4);
    r_i = 0.1, k_up = 1 SEK per place and year."""
    sc = tiny(
        2026,
        2027,
        demand=flat(100, (2026, 2027)),
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100, capex=1000, opex=10, lifetime=4)
        ],
    )
    return with_settings(sc, internal_rate=0.1, internal_upkeep=1.0, **kw)


def test_cost_based_internal_rent_is_paid_by_the_municipality_and_cancels_in_the_group():
    """B opens in 2026 (the only way to serve the demand).

    Consolidated: capex 1000 + opex 2·10 − residual 1000·(1 − 2/4) = 500 → 520.
    Internal rent of B: capex·α(0.1, 4) + rent 0 + k_up·c = 1000·0.1/(1 − 1.1^−4) + 100
    = 1000·0.1/0.316987 + 100 = 315.4708 + 100 = 415.4708 SEK a year, + for the municipality and
    − for the property company in both years.
    Municipality NPV: 2·(10 + 415.4708) = 850.9416; property company: 1000 − 2·415.4708 − 500
    = −330.9416; together 520. With internal_rent_method none the objective is the same 520 and no
    internal rent is paid.
    """
    irent = 1000 * alpha(0.1, 4) + 100
    assert irent == pytest.approx(415.4708, abs=1e-4)
    r = solved(one_build())
    assert plan(r) == [(2026, "build", "B", 1)]
    assert r.objective == pytest.approx(520.0, rel=REL)
    assert party(r, "municipality", "internal_rent") == pytest.approx({2026: irent, 2027: irent}, rel=REL)
    assert party(r, "property_company", "internal_rent") == pytest.approx({2026: -irent, 2027: -irent}, rel=REL)
    assert party(r, "property_company", "capex") == pytest.approx({2026: 1000.0, 2027: 0.0})
    assert party(r, "property_company", "residual") == pytest.approx({2026: 0.0, 2027: 500.0})
    assert party(r, "municipality", "opex") == pytest.approx({2026: 10.0, 2027: 10.0})
    assert npv(r, "municipality") == pytest.approx(2 * (10 + irent), rel=REL)
    assert npv(r, "property_company") == pytest.approx(1000 - 2 * irent - 500, rel=REL)
    assert r.party_costs["internal_rent"].sum() == pytest.approx(0.0, abs=1e-6)
    assert r.costs["discounted"].sum() == pytest.approx(520.0, rel=REL)

    none = solved(one_build(internal_rent_method="none"))
    assert plan(none) == [(2026, "build", "B", 1)]
    assert none.objective == pytest.approx(520.0, rel=REL)
    assert none.party_costs["internal_rent"].abs().sum() == pytest.approx(0.0, abs=1e-9)


def test_a_given_internal_rent_overrides_the_cost_based_one():
    """Owned site S (property company, 100 places, opex 10, rent 0) serves 50 places in 2026-2027,
    r = 0, k_up = 1. Cost-based its internal rent would be rent 0 + k_up·100 = 100 a year; its
    internal_rent column says 300, so the municipality pays 300 a year (property company −300).
    Objective (consolidated): opex 2·10 = 20; municipality NPV 2·310 = 620, company −600."""
    sc = tiny(
        2026,
        2027,
        demand=flat(50, (2026, 2027)),
        sites=[Site(site="S", district="A", opex=10, internal_rent=300)],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100)],
    )
    r = solved(with_settings(sc, internal_upkeep=1.0))
    assert plan(r) == []
    assert r.objective == pytest.approx(20.0, rel=REL)
    assert party(r, "municipality", "internal_rent") == pytest.approx({2026: 300.0, 2027: 300.0})
    assert party(r, "property_company", "internal_rent") == pytest.approx({2026: -300.0, 2027: -300.0})
    assert npv(r, "municipality") == pytest.approx(620.0, rel=REL)

    cost_based = solved(
        with_settings(sc.model_copy(update={"sites": [Site(site="S", district="A", opex=10)]}), internal_upkeep=1.0)
    )
    assert party(cost_based, "municipality", "internal_rent") == pytest.approx({2026: 100.0, 2027: 100.0})


# ------------------------------------------------------------------------------ perspectives


def build_or_lease(**kw):
    """100 places in 2026-2027, r = 0, r_i = 0.1, k_up = 0. Build B (property company): capex 1000,
    lifetime 10. Lease L (municipality): rent 150 a year, term 10. Internal rent of B:
    1000·α(0.1, 10) = 1000·0.1/(1 − 1.1^−10) = 1000·0.1/0.614457 = 162.7454 a year."""
    sc = tiny(
        2026,
        2027,
        demand=flat(100, (2026, 2027)),
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100, capex=1000, lifetime=10),
            Option(option="L", kind="lease", district="A", service="pre", capacity=100, rent=150, term=10),
        ],
        **kw,
    )
    return with_settings(sc, internal_rate=0.1)


def test_the_municipality_perspective_prefers_the_lease_the_group_the_build():
    """Consolidated: B costs 1000 − residual 1000·(1 − 2/10) = 200 against L's 2·150 = 300: build,
    objective 200. Municipality: B costs it its internal rent 2·162.7454 = 325.4908 (the capex and
    the residual are the property company's) against L's 300: lease, objective 300 (the group then
    pays 300, too)."""
    irent = 1000 * alpha(0.1, 10)
    assert irent == pytest.approx(162.7454, abs=1e-4)
    group = solved(build_or_lease())
    assert plan(group) == [(2026, "build", "B", 1)]
    assert group.objective == pytest.approx(200.0, rel=REL)
    assert npv(group, "municipality") == pytest.approx(2 * irent, rel=REL)

    services = solved(with_settings(build_or_lease(), perspective="municipality"))
    assert plan(services) == [(2026, "lease", "L", 1)]
    assert services.objective == pytest.approx(300.0, rel=REL)
    assert npv(services, "municipality") == pytest.approx(300.0, rel=REL)
    assert npv(services, "property_company") == pytest.approx(0.0, abs=1e-9)
    assert party(services, "municipality", "rent") == pytest.approx({2026: 150.0, 2027: 150.0})


def test_a_binding_operating_cap_forces_the_dearer_lease():
    """As above, consolidated, with operating_cap 155 in both years. The build would cost the
    municipality its internal rent 162.7454 > 155 a year; the lease 150 ≤ 155. So the lease, at
    300 for the group instead of 200. frames: operating_cap spend 150, cap 155, use 150/155."""
    budget = [Budget(year=y, operating_cap=155.0) for y in (2026, 2027)]
    r = solved(build_or_lease(budget=budget))
    assert plan(r) == [(2026, "lease", "L", 1)]
    assert r.objective == pytest.approx(300.0, rel=REL)
    assert frame(r, "operating_cap") == pytest.approx({2026: 150.0, 2027: 150.0})
    assert frame(r, "operating_cap", "cap") == pytest.approx({2026: 155.0, 2027: 155.0})
    assert frame(r, "operating_cap", "use") == pytest.approx({2026: 150 / 155, 2027: 150 / 155})

    loose = solved(build_or_lease(budget=[Budget(year=y, operating_cap=170.0) for y in (2026, 2027)]))
    assert plan(loose) == [(2026, "build", "B", 1)]
    assert frame(loose, "operating_cap") == pytest.approx(dict.fromkeys((2026, 2027), 1000 * alpha(0.1, 10)))


def test_discounted_the_perspectives_swap_the_other_way():
    """As build_or_lease but r = 0.1 and the lease's rent 170. δ_2026 = 1, δ_2027 = 1/1.1,
    δ_end = 1.1^−2 = 1/1.21.

    Consolidated: B costs 1000 − 800/1.21 = 1000 − 661.1570 = 338.8430; L 170·(1 + 1/1.1)
    = 170·1.909091 = 324.5455: the lease, 324.5455.
    Municipality: B costs its internal rent 162.7454·1.909091 = 310.6958 < L's 324.5455: the build,
    310.6958 (the property company's NPV is then 1000 − 310.6958 − 661.1570 = 28.1472)."""
    sc = build_or_lease()
    sc = sc.model_copy(
        update={"options": [o.model_copy(update={"rent": 170.0}) if o.option == "L" else o for o in sc.options]}
    )
    sc = with_settings(sc, discount_rate=0.1)
    lease = 170 * (1 + 1 / 1.1)
    irent_npv = 1000 * alpha(0.1, 10) * (1 + 1 / 1.1)
    assert lease == pytest.approx(324.5455, abs=1e-4) and irent_npv == pytest.approx(310.6958, abs=1e-4)

    group = solved(sc)
    assert plan(group) == [(2026, "lease", "L", 1)]
    assert group.objective == pytest.approx(lease, rel=REL)

    services = solved(with_settings(sc, perspective="municipality"))
    assert plan(services) == [(2026, "build", "B", 1)]
    assert services.objective == pytest.approx(irent_npv, rel=REL)
    assert npv(services, "property_company") == pytest.approx(1000 - irent_npv - 800 / 1.21, rel=REL)
    assert services.party_costs["discount_factor"].tolist() == pytest.approx([1, 1, 1 / 1.1, 1 / 1.1])


# ------------------------------------------------------------------------------ company frames


def build_or_short_lease(budget=()):
    """100 places in 2026-2028, r = 0, unmet forbidden. Build B (property company): capex 1000,
    lifetime 10, lead 0. Lease L: rent 150 a year, term 1, one module in all.

    Unframed: B in 2026 costs 1000 − 1000·(1 − 3/10) = 300; L in 2026 and B in 2027 costs
    150 + 1000 − 1000·(1 − 2/10) = 350. So B in 2026, 300 (each year of building later saves
    capex/L = 100 of residual but costs 150 of rent)."""
    return tiny(
        2026,
        2028,
        demand=flat(100, range(2026, 2029)),
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100, capex=1000, lifetime=10),
            Option(option="L", kind="lease", district="A", service="pre", capacity=100, rent=150, term=1),
        ],
        budget=list(budget),
    )


def test_unframed_build_or_short_lease():
    r = solved(build_or_short_lease())
    assert plan(r) == [(2026, "build", "B", 1)]
    assert r.objective == pytest.approx(300.0, rel=REL)
    # debt at the year's end: capex so far less 100 a year of straight-line depreciation
    assert frame(r, "borrowing_cap") == pytest.approx({2026: 900.0, 2027: 800.0, 2028: 700.0})
    assert frame(r, "investment_cap") == pytest.approx({2026: 1000.0, 2027: 0.0, 2028: 0.0})


def test_a_binding_investment_cap_delays_the_build():
    """investment_cap 500 in 2026: B's capex 1000 cannot be paid in 2026. L in 2026, B in 2027:
    150 + 1000 − 800 = 350."""
    r = solved(build_or_short_lease([Budget(year=2026, investment_cap=500.0)]))
    assert plan(r) == [(2026, "lease", "L", 1), (2027, "build", "B", 1)]
    assert r.objective == pytest.approx(350.0, rel=REL)
    assert frame(r, "investment_cap") == pytest.approx({2026: 0.0, 2027: 1000.0, 2028: 0.0})
    assert frame(r, "investment_cap", "cap")[2026] == pytest.approx(500.0)


def test_borrowing_cap_counts_debt_net_of_depreciation():
    """B in 2026 leaves debt 1000 − 1000/10 = 900 at the end of 2026. A borrowing_cap of 950 in
    2026 does not bind (though the capex 1000 is above it): B in 2026, 300. A cap of 850 does:
    L in 2026, B in 2027 (debt 0 in 2026, 900 in 2027, 800 in 2028), 350."""
    loose = solved(build_or_short_lease([Budget(year=2026, borrowing_cap=950.0)]))
    assert plan(loose) == [(2026, "build", "B", 1)]
    assert loose.objective == pytest.approx(300.0, rel=REL)
    assert frame(loose, "borrowing_cap")[2026] == pytest.approx(900.0)

    tight = solved(build_or_short_lease([Budget(year=2026, borrowing_cap=850.0)]))
    assert plan(tight) == [(2026, "lease", "L", 1), (2027, "build", "B", 1)]
    assert tight.objective == pytest.approx(350.0, rel=REL)
    assert frame(tight, "borrowing_cap") == pytest.approx({2026: 0.0, 2027: 900.0, 2028: 800.0})


# ------------------------------------------------------------------------------ on_close


def closable(on_close: str, vacancy: float = 5.0, perspective: str = "consolidated"):
    """60 places in 2026-2028, r = 0. S (owned, property company, 100 places, opex 10, internal rent
    cost-based = 0) serves them. K (owned, property company, 100 places, opex 50, internal rent 40,
    may close, closure 30, sale value 200, relet rent 20, vacancy cost ``vacancy``) is not needed.

    Consolidated (internal rent cancels), K's cost by first closed year, n = closed years:
    - sell: closing in 2026: 30 − 200 = −170; 2027: 50 + 30 − 200 = −120; never: 150 − 200
      (kept open: worth its sale value at the end) = −50 → close 2026; objective 30 − 170 = −140;
    - relet: closing in 2026: 30 − 3·20 − keep 200 = −230; 2027: 50 + 30 − 40 − 200 = −160;
      never −50 → close 2026; objective 30 − 230 = −200;
    - vacant (vacancy 5): closing in 2026: 30 + 3·5 − 200 = −155; never −50 → close 2026;
      objective −125. Closing in 2026 is worth it only while 30 + 3·v < 150, v < 40: at v = 45
      (2026: −35, 2027: 50 + 30 + 90 − 200 = −30, 2028: 100 + 30 + 45 − 200 = −25, never −50) K
      stays open, objective 30 − 50 = −20.
    """
    sc = tiny(
        2026,
        2028,
        demand=flat(60, range(2026, 2029)),
        sites=[
            Site(site="S", district="A", opex=10),
            Site(
                site="K",
                district="A",
                opex=50,
                may_close=True,
                closure_cost=30,
                sale_value=200,
                internal_rent=40,
                on_close=on_close,
                relet_rent=20,
                vacancy_cost=vacancy,
            ),
        ],
        capacities=[
            SiteCapacity(site="S", service="pre", capacity=100),
            SiteCapacity(site="K", service="pre", capacity=100),
        ],
    )
    return with_settings(sc, perspective=perspective)


def closing_row(result) -> dict:
    rows = result.actions[result.actions["action"] == "close"]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_on_close_sell():
    r = solved(closable("sell"))
    assert plan(r) == [(2026, "close", "K", None)]
    assert r.objective == pytest.approx(-140.0, rel=REL)
    assert float(closing_row(r)["sale_value"]) == pytest.approx(200.0)
    assert party(r, "property_company", "sale") == pytest.approx({2026: 200.0, 2027: 0.0, 2028: 0.0})
    assert party(r, "municipality", "internal_rent") == pytest.approx({2026: 0.0, 2027: 0.0, 2028: 0.0})
    assert party(r, "property_company", "residual")[2028] == pytest.approx(0.0)


def test_on_close_relet():
    r = solved(closable("relet"))
    assert plan(r) == [(2026, "close", "K", None)]
    assert r.objective == pytest.approx(-200.0, rel=REL)
    assert float(closing_row(r)["sale_value"]) == pytest.approx(0.0)
    assert party(r, "property_company", "sale") == pytest.approx({2026: 0.0, 2027: 0.0, 2028: 0.0})
    assert party(r, "property_company", "relet_income") == pytest.approx({2026: 20.0, 2027: 20.0, 2028: 20.0})
    assert party(r, "property_company", "residual")[2028] == pytest.approx(200.0)  # keep_K
    assert party(r, "municipality", "internal_rent") == pytest.approx({2026: 0.0, 2027: 0.0, 2028: 0.0})


def test_on_close_vacant_keeps_the_internal_rent_running():
    """Vacant at 5 a year: K closes in 2026 (−125, see closable); the municipality still pays its
    internal rent 40 a year, the property company bears the vacancy cost and keeps K's value."""
    r = solved(closable("vacant"))
    assert plan(r) == [(2026, "close", "K", None)]
    assert r.objective == pytest.approx(-125.0, rel=REL)
    assert float(closing_row(r)["sale_value"]) == pytest.approx(0.0)
    assert party(r, "municipality", "internal_rent") == pytest.approx({2026: 40.0, 2027: 40.0, 2028: 40.0})
    assert party(r, "property_company", "vacancy_cost") == pytest.approx({2026: 5.0, 2027: 5.0, 2028: 5.0})
    assert party(r, "property_company", "residual")[2028] == pytest.approx(200.0)
    assert frame(r, "operating_cap") == pytest.approx({2026: 10 + 40, 2027: 50.0, 2028: 50.0})


def test_a_vacant_site_too_dear_to_leave_empty_stays_open():
    """Vacancy 45 a year: closing no longer pays (see closable): K stays open, −20."""
    r = solved(closable("vacant", vacancy=45.0))
    assert plan(r) == []
    assert r.objective == pytest.approx(-20.0, rel=REL)
    assert party(r, "property_company", "residual")[2028] == pytest.approx(200.0)


def test_municipality_perspective_vacant_closing_saves_only_opex():
    """Perspective municipality (the closure, sale, vacancy and residual are the property company's).
    sell: closing K saves its opex 50 and internal rent 40 a year: close 2026; the municipality pays
    S's opex 3·10 = 30. vacant: closing saves only the opex 50 a year (still worth it), but the
    internal rent 40 runs on: 30 + 3·40 = 150."""
    sell = solved(closable("sell", perspective="municipality"))
    assert plan(sell) == [(2026, "close", "K", None)]
    assert sell.objective == pytest.approx(30.0, rel=REL)
    vacant = solved(closable("vacant", perspective="municipality"))
    assert plan(vacant) == [(2026, "close", "K", None)]
    assert vacant.objective == pytest.approx(150.0, rel=REL)


# ------------------------------------------------------------------------------ extensions


def test_a_pavilion_is_extended_a_year_at_a_time():
    r = solved(pavilion(60.0))
    assert plan(r) == [(2026, "pavilion", "P", 1), (2028, "extend", "P", 1), (2029, "extend", "P", 1)]
    assert r.objective == pytest.approx(320.0, rel=REL)
    ext = r.actions[r.actions["action"] == "extend"]
    assert ext["decision_year"].astype(int).tolist() == [2027, 2028]
    assert ext["capex"].astype(float).tolist() == pytest.approx([0.0, 0.0])
    assert party(r, "municipality", "rent") == pytest.approx({2026: 50.0, 2027: 50.0, 2028: 60.0, 2029: 60.0})


@pytest.mark.parametrize("extension_rent", [None, 120.0])
def test_a_pavilion_is_reopened_when_extending_does_not_pay(extension_rent):
    r = solved(pavilion(extension_rent))
    assert plan(r) == [(2026, "pavilion", "P", 1), (2028, "pavilion", "P", 1)]
    assert r.objective == pytest.approx(400.0, rel=REL)


def test_extending_a_module_that_does_not_exist_breaks_extension_limit():
    """One module opened in 2026 and kept in 2028, but two kept in 2029: extend[2029] = 2 >
    extend[2028] + build[2027] = 1."""
    sc = pavilion(60.0)
    mine = allocopt.evaluate(
        sc, given((2026, "pavilion", "P", None, 1), (2028, "extend", "P", None, 1), (2029, "extend", "P", None, 2))
    )
    assert mine.status == "evaluated"
    assert "extension_limit" in families(allocopt.check(sc, mine))
    ok = allocopt.evaluate(
        sc, given((2026, "pavilion", "P", None, 1), (2028, "extend", "P", None, 1), (2029, "extend", "P", None, 1))
    )
    assert ok.objective == pytest.approx(320.0, rel=REL)
    assert allocopt.check(sc, ok) == []


# ------------------------------------------------------------------------------ conversion of a build


def preschool_then_school(max_conversions: int = 3, demand=None, earliest=None):
    """Services pre and sch; r = 0, residual none, unmet 1000 per place and year. Demand: pre 100
    in 2026-2027, sch 120 in 2028-2029. Build B: 100 pre places, capex 1000. Conversion C at B: 50
    sch places per module for 50 pre places, capex 100, up to ``max_conversions`` modules.

    B opens in 2026 (1000 against 2·100·1000 unmet). C opens in 2028 (converting earlier would
    leave pre demand unmet). conversion_limit: at most B's 100 places, 2 modules (the third would
    bring 50 more school places and save 50·2·1000 of penalty, but is not allowed): 200 capex,
    20 sch places unmet in 2028 and 2029. Objective 1000 + 200 + 2·20·1000 = 41 200."""
    services = [Service(service="pre", max_km=10.0), Service(service="sch", max_km=10.0)]
    return tiny(
        2026,
        2029,
        penalty=1000.0,
        residual="none",
        services=services,
        demand=demand or {**flat(100, (2026, 2027)), **flat(120, (2028, 2029), service="sch")},
        options=[
            new_building(
                "B",
                capacity=100,
                capex=1000,
                lifetime=10,
                earliest_year=earliest,
            ),
            Option(
                option="C",
                kind="conversion",
                site="B",
                service="sch",
                from_service="pre",
                capacity=50,
                max_modules=max_conversions,
                capex=100,
                lifetime=10,
            ),
        ],
    )


def test_a_build_converted_later_at_most_its_places():
    sc = preschool_then_school()
    r = solved(sc)
    assert plan(r) == [(2026, "build", "B", 1), (2028, "conversion", "C", 2)]
    assert r.objective == pytest.approx(41_200.0, rel=REL)
    unmet = r.balance[r.balance["service"] == "sch"].set_index("year")["unmet"]
    assert unmet.to_dict() == pytest.approx({2028: 20.0, 2029: 20.0})


def test_a_conversion_waits_for_its_build():
    """No pre demand; sch 50 in 2026-2029. B may open from 2027 only (earliest_year). The only school
    places are C's at B, and C cannot be in service before B stands: B and one module of C in 2027,
    1000 + 100, and 50 sch places unmet in 2026 at 1000: 51 100."""
    sc = preschool_then_school(demand=flat(50, range(2026, 2030), service="sch"), earliest=2027)
    r = solved(sc)
    assert plan(r) == [(2027, "build", "B", 1), (2027, "conversion", "C", 1)]
    assert r.objective == pytest.approx(51_100.0, rel=REL)
    unmet = r.balance.set_index(["service", "year"])["unmet"]
    assert unmet[("sch", 2026)] == pytest.approx(50.0)


def test_a_conversion_before_its_build_stands_breaks_needs_open_site():
    """Plan: B opens in 2027, C converts one module in 2026, when B does not stand yet: active[C,2026]
    = 1 > N_C·active[B,2026] = 0."""
    sc = preschool_then_school()
    mine = allocopt.evaluate(sc, given((2027, "build", "B", None, 1), (2026, "conversion", "C", None, 1)))
    assert mine.status == "evaluated", mine.message
    found = families(allocopt.check(sc, mine))
    assert {"needs_open_site", "conversion_limit"} <= found
    assert any(v.startswith("needs_open_site[option=C, site=B, year=2026]") for v in mine.violations)


def test_a_plan_converting_more_than_its_build_has_is_refused():
    """Three modules of C would convert 150 places of B's 100: refused as bad input, not priced."""
    sc = preschool_then_school()
    with pytest.raises(allocopt.ScenarioError, match="conversion_limit"):
        allocopt.evaluate(sc, given((2026, "build", "B", None, 1), (2028, "conversion", "C", None, 3)))


# ------------------------------------------------------------------------------ tampered tables


def tampered(res, name: str, where: dict, column: str, value):
    df = getattr(res, name).copy()
    at = pd.Series(True, index=df.index)
    for k, v in where.items():
        at &= df[k] == v
    assert at.sum() == 1
    df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
    df.loc[at, column] = value
    return dataclasses.replace(res, **{name: df})


def test_the_checker_catches_tampered_party_costs_and_frames():
    sc = one_build()
    r = solved(sc)
    bad = tampered(r, "party_costs", {"year": 2026, "party": "municipality"}, "internal_rent", 400.0)
    assert "party_costs_table" in families(allocopt.check(sc, bad))
    bad = tampered(r, "frames", {"year": 2027, "frame": "borrowing_cap"}, "spend", 600.0)
    assert "frames_table" in families(allocopt.check(sc, bad))
    bad = tampered(r, "frames", {"year": 2026, "frame": "operating_cap"}, "spend", 10.0)
    assert "frames_table" in families(allocopt.check(sc, bad))


# ------------------------------------------------------------------------------ more internal rent


def test_a_property_company_pavilion_charges_its_extension_years_at_extension_rent_plus_upkeep():
    """The extended pavilion (extension_rent 60) held by the property company, r_i = 0.1, k_up = 1.
    The plan is as before (consolidated, 320). Internal rent in the term: set-up·α(0.1, 2) + rent +
    k_up·c = 100·0.1/(1 − 1.1^−2) + 50 + 100 = 57.6190 + 150 = 207.6190; in an extension year:
    ext + k_up·c = 60 + 100 = 160. The company pays the external rent (50, 50, 60, 60)."""
    sc = pavilion(60.0)
    sc = sc.model_copy(update={"options": [o.model_copy(update={"party": "property_company"}) for o in sc.options]})
    r = solved(with_settings(sc, internal_rate=0.1, internal_upkeep=1.0))
    assert plan(r) == [(2026, "pavilion", "P", 1), (2028, "extend", "P", 1), (2029, "extend", "P", 1)]
    assert r.objective == pytest.approx(320.0, rel=REL)
    term = 100 * alpha(0.1, 2) + 150
    assert term == pytest.approx(207.6190, abs=1e-4)
    assert party(r, "municipality", "internal_rent") == pytest.approx(
        {2026: term, 2027: term, 2028: 160.0, 2029: 160.0}, rel=REL
    )
    assert party(r, "property_company", "rent") == pytest.approx({2026: 50.0, 2027: 50.0, 2028: 60.0, 2029: 60.0})
    assert party(r, "municipality", "rent") == pytest.approx({2026: 0.0, 2027: 0.0, 2028: 0.0, 2029: 0.0})
    # the group's frames count the company's set-up and external rent; the municipality's its internal rent
    assert frame(r, "capex_cap") == pytest.approx({2026: 100.0, 2027: 0.0, 2028: 0.0, 2029: 0.0})
    assert frame(r, "investment_cap") == pytest.approx({2026: 100.0, 2027: 0.0, 2028: 0.0, 2029: 0.0})
    assert frame(r, "opex_cap") == pytest.approx({2026: 50.0, 2027: 50.0, 2028: 60.0, 2029: 60.0})
    assert frame(r, "operating_cap") == pytest.approx({2026: term, 2027: term, 2028: 160.0, 2029: 160.0}, rel=REL)


def test_a_conversion_is_charged_no_upkeep():
    """Site S (property company, 100 pre places, rent 0) and demand pre 50, sch 50 in 2026-2027;
    r = 0, r_i = 0.1, k_up = 1. Conversion C: 50 sch for 50 pre, capex 100, lifetime 4 (objective
    100 − 100·(1 − 2/4) = 50); the alternative expansion X would need 5 modules of 10 sch at 1000.
    Internal rent: S 0 + k_up·100 = 100 (its nominal places), C 100·α(0.1, 4) = 31.5471 with no
    upkeep (a conversion adds no floor area): 131.5471 a year."""
    services = [Service(service="pre", max_km=10.0), Service(service="sch", max_km=10.0)]
    sc = tiny(
        2026,
        2027,
        services=services,
        demand={**flat(50, (2026, 2027)), **flat(50, (2026, 2027), service="sch")},
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100)],
        options=[
            Option(
                option="C",
                kind="conversion",
                site="S",
                service="sch",
                from_service="pre",
                capacity=50,
                capex=100,
                lifetime=4,
            ),
            Option(
                option="X",
                kind="expansion",
                site="S",
                service="sch",
                capacity=10,
                capex=1000,
                lifetime=4,
                max_modules=5,
            ),
        ],
    )
    r = solved(with_settings(sc, internal_rate=0.1, internal_upkeep=1.0))
    assert plan(r) == [(2026, "conversion", "C", 1)]
    assert r.objective == pytest.approx(50.0, rel=REL)
    irent = 100 + 100 * alpha(0.1, 4)
    assert irent == pytest.approx(131.5471, abs=1e-4)
    assert party(r, "municipality", "internal_rent") == pytest.approx({2026: irent, 2027: irent}, rel=REL)


def test_debt_counts_capex_paid_before_opening_and_depreciates_only_in_service():
    """100 places in 2028-2029, r = 0; B (capex 1000, lifetime 10, lead 2, spread) opens in 2028:
    500 paid in 2026 and 2027. Debt: 2026 500, 2027 1000, 2028 1000 − 100 = 900, 2029 800.
    Objective 1000 − 1000·(1 − 2/10) = 200."""
    sc = tiny(
        2026,
        2029,
        demand=flat(100, (2028, 2029)),
        options=[
            new_building(
                "B",
                capacity=100,
                capex=1000,
                lifetime=10,
                lead_time=2,
            )
        ],
    )
    r = solved(sc)
    assert plan(r) == [(2028, "build", "B", 1)]
    assert r.objective == pytest.approx(200.0, rel=REL)
    assert frame(r, "borrowing_cap") == pytest.approx({2026: 500.0, 2027: 1000.0, 2028: 900.0, 2029: 800.0})
    # a borrowing cap of 900 in 2027 leaves no way to serve 2028 (unmet forbidden)
    capped = allocopt.solve(sc.model_copy(update={"budget": [Budget(year=2027, borrowing_cap=900.0)]}), mip_gap=0.0)
    assert capped.status == "infeasible"


def test_operating_cap_counts_the_municipalitys_vacancy_cost():
    """closable('vacant', vacancy 45) with K held by the municipality (so no internal rent for it;
    its internal_rent column applies only to a property-company site). Unframed K stays open
    (group −20, see closable); the municipality's operating spend is then S 10 + K 50 = 60 a year.
    operating_cap 58 in every year: open K breaks it, so K closes in 2026 (spend 10 + vacancy 45
    = 55): group 30 + 30 + 3·45 − 200 = −5. operating_cap 54: even closed, 55 > 54: infeasible."""
    sc = closable("vacant", vacancy=45.0)
    sc = sc.model_copy(
        update={"sites": [s.model_copy(update={"party": "municipality"}) if s.site == "K" else s for s in sc.sites]}
    )
    free = solved(sc)
    assert plan(free) == []
    assert free.objective == pytest.approx(-20.0, rel=REL)
    assert frame(free, "operating_cap") == pytest.approx({2026: 60.0, 2027: 60.0, 2028: 60.0})
    assert free.party_costs["internal_rent"].abs().sum() == pytest.approx(0.0, abs=1e-9)

    years = range(2026, 2029)
    framed = solved(sc.model_copy(update={"budget": [Budget(year=y, operating_cap=58.0) for y in years]}))
    assert plan(framed) == [(2026, "close", "K", None)]
    assert framed.objective == pytest.approx(-5.0, rel=REL)
    assert frame(framed, "operating_cap") == pytest.approx({2026: 55.0, 2027: 55.0, 2028: 55.0})
    assert party(framed, "municipality", "vacancy_cost") == pytest.approx({2026: 45.0, 2027: 45.0, 2028: 45.0})

    too_tight = sc.model_copy(update={"budget": [Budget(year=y, operating_cap=54.0) for y in years]})
    assert allocopt.solve(too_tight, mip_gap=0.0).status == "infeasible"
