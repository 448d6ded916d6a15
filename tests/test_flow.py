"""Split services served district to district (``flow``, ``district_capacity``): the same optimum as
facility by facility (``assign``, ``capacity_limit``), and per-facility tables split in proportion
to usable capacity (models/premises.md, *Assignment by district*)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, note, settings

import allocopt
from allocopt.index import build_index
from allocopt.model.build import FORMULATIONS, build_model
from cases import District, Option, Service, Site, SiteCapacity, tiny
from strategies import scenario_code, scenarios

BY_DISTRICT = "allocopt"
"""The formulation whose split services are served district to district (the default)."""

BY_FACILITY = "facility"
"""The same formulation with ``assign`` per facility."""


def two_sites_one_district():
    """Districts A (0, 0) and B (3, 0), 3 km apart; service 'pre' (reach 5 km, travel 1 SEK per
    place and km, utilisation 1, unmet demand forbidden); 2026–2027, r = 0, no residual value.
    Demand: 50 places in A and 30 in B, both years. Sites in A: S1 (60 places, no cost, stays) and
    S2 (40 places, opex 100 a year, may close from 2027, closing free). Lease L in B (30 places,
    rent 80 a year, from 2027).

    2026: S2 cannot close, L cannot open: all 80 places in A (capacity 100), B's 30 travel 3 km:
    opex 100 + travel 90 = 190.
    2027: keep S2: 100 + 90 = 190; keep S2 and lease L: 100 + 80 = 180; close S2 and lease L:
    A's 50 in S1, B's 30 in L, rent 80 = 80; close S2 without L: 60 places for 80, infeasible.
    So S2 closes in 2027 and L opens then: cost 190 + 80 = 270.

    By district, 2026: A receives 80 places (50 from A, 30 from B) at S1 and S2, whose usable
    capacities are 60 and 40: S1 serves 80·60/100 = 48 (A 30, B 18), S2 32 (A 20, B 12), both at
    utilisation 0.8. 2027: S2 is closed (usable 0): S1 serves A's 50, L serves B's 30.
    """
    return tiny(
        2026,
        2027,
        residual="none",
        districts=[District(district="A", x_km=0.0, y_km=0.0), District(district="B", x_km=3.0, y_km=0.0)],
        services=[Service(service="pre", max_km=5.0, travel_cost=1.0)],
        demand={(d, "pre", y): p for d, p in (("A", 50.0), ("B", 30.0)) for y in (2026, 2027)},
        sites=[
            Site(site="S1", district="A"),
            Site(site="S2", district="A", opex=100.0, may_close=True, close_from=2027),
        ],
        capacities=[
            SiteCapacity(site="S1", service="pre", capacity=60.0),
            SiteCapacity(site="S2", service="pre", capacity=40.0),
        ],
        options=[
            Option(option="L", kind="lease", district="B", service="pre", capacity=30.0, rent=80.0, term=10,
                   earliest_year=2027)
        ],
    )  # fmt: skip


@pytest.mark.parametrize("formulation", [BY_DISTRICT, BY_FACILITY, "textbook"])
def test_two_sites_in_one_district(formulation):
    sc = two_sites_one_district()
    r = allocopt.solve(sc, mip_gap=0.0, formulation=formulation)
    assert r.status == "optimal", r.message
    assert allocopt.check(sc, r) == []
    assert r.objective == pytest.approx(270.0, abs=1e-6)
    actions = sorted(
        (int(a.year), a.action, a.option if isinstance(a.option, str) else a.site) for a in r.actions.itertuples()
    )
    assert actions == [(2027, "close", "S2"), (2027, "lease", "L")]


def test_the_inflow_of_a_district_is_split_in_proportion_to_usable_capacity():
    r = allocopt.solve(two_sites_one_district(), mip_gap=0.0, formulation=BY_DISTRICT)
    served = {(a.district, a.site, a.year): a.places for a in r.assignments.itertuples()}
    assert served == pytest.approx(
        {
            ("A", "S1", 2026): 30.0,
            ("A", "S2", 2026): 20.0,
            ("B", "S1", 2026): 18.0,
            ("B", "S2", 2026): 12.0,
            ("A", "S1", 2027): 50.0,
            ("B", "L", 2027): 30.0,
        }
    )
    use = r.utilisation.set_index(["site", "year"])["utilisation"]
    assert use[("S1", 2026)] == pytest.approx(0.8) and use[("S2", 2026)] == pytest.approx(0.8)


def test_the_district_model_is_smaller():
    """One flow column per district pair within reach instead of one per facility: A→A and B→A
    stand for A→S1, A→S2, B→S1, B→S2; in 2027 A→B and B→B for A→L and B→L (L may serve from 2027)."""
    index = build_index(two_sites_one_district())
    sizes = {}
    for name in (BY_DISTRICT, BY_FACILITY):
        families, state = FORMULATIONS[name]
        pm = build_model(index, families=families, state=state)
        sizes[name] = (len(pm.flow), len(pm.assign))
    assert sizes[BY_DISTRICT] == (2 + 4, 0)
    assert sizes[BY_FACILITY] == (0, 4 + 6)


@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_by_district_and_by_facility_find_the_same_optimum(scenario):
    """On random small scenarios the district formulation's optimum costs what the facility
    formulation's does, and its plan (split back to facilities) passes the checker."""
    note(scenario_code(scenario))
    facility = allocopt.solve(scenario, mip_gap=0.0, formulation=BY_FACILITY)
    assume(facility.status == "optimal")
    district = allocopt.solve(scenario, mip_gap=0.0, formulation=BY_DISTRICT)
    assert district.status == "optimal", district.message
    assert district.objective == pytest.approx(facility.objective, rel=1e-6, abs=1e-4)
    assert [str(v) for v in allocopt.check(scenario, district)] == []
