"""The independent checker on tiny hand-made plans.

Each base case is a scenario built in Python and a ``Result`` whose tables were filled in by hand
from a plan worked out by hand (the arithmetic is in the docstrings); the utilisation table is
the checker's own recomputation (tests/test_check_tables.py checks it against solved results). A
correct plan gives no violation; each mutation then breaks exactly one thing and the test asserts
the family and keys reported. Mutations that change a cost or a capacity are "repriced" (costs
table, objective and utilisation table replaced by the checker's own recomputation) so that only
the targeted family fires; the base cases check that recomputation against the hand-worked figures.
"""

from __future__ import annotations

import dataclasses
import math
import random

import pandas as pd
import pytest

from allocopt.check import FAMILIES, Violation, check
from allocopt.check.demand import recompute_demand
from allocopt.check.recompute import recompute, utilisation_table
from allocopt.result import Result
from allocopt.scenario import (
    Budget,
    Coverage,
    Demand,
    Distance,
    District,
    Housing,
    HousingType,
    Lock,
    Option,
    Population,
    Scenario,
    Service,
    Settings,
    Site,
    SiteCapacity,
)
from allocopt.tables import TABLE_COLUMNS

NAN = math.nan


def frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """A result table with every column of ``TABLE_COLUMNS[name]`` (missing cells blank)."""
    cols = TABLE_COLUMNS[name]
    return pd.DataFrame([{c: r.get(c, NAN) for c in cols} for r in rows], columns=cols)


def costs(rows: dict[int, dict], discount: dict[int, float], discounted: dict[int, float]) -> pd.DataFrame:
    """Costs table from hand-worked cost components per year (blank caps)."""
    cols = [
        "capex",
        "opex",
        "rent",
        "closure_cost",
        "sale",
        "vacancy_cost",
        "relet_income",
        "travel",
        "penalty",
        "residual",
    ]
    return frame(
        "costs",
        [
            {"year": y, **{c: r.get(c, 0.0) for c in cols}, "discount_factor": discount[y], "discounted": discounted[y]}
            for y, r in rows.items()
        ],
    )


def balance(demand: dict, served: dict, unmet: dict | None = None) -> pd.DataFrame:
    """Balance rows from hand-worked demand and served places, keyed (district, service, year)."""
    unmet = unmet or {}
    return frame(
        "balance",
        [
            {
                "district": d,
                "service": s,
                "year": y,
                "demand": dem,
                "served": served.get((d, s, y), 0.0),
                "unmet": unmet.get((d, s, y), 0.0),
            }
            for (d, s, y), dem in demand.items()
        ],
    )


def assign(rows: list[tuple]) -> pd.DataFrame:
    """Assignment rows (district, facility, service, year, places, km)."""
    return frame("assignments", [dict(zip(["district", "site", "service", "year", "places", "km"], r)) for r in rows])


def served_of(a: pd.DataFrame) -> dict:
    return a.groupby(["district", "service", "year"])["places"].sum().to_dict()


def repriced(scn: Scenario, res: Result) -> Result:
    """The result with costs, objective and utilisation replaced by the checker's recomputation."""
    rc = recompute(scn, res)
    return dataclasses.replace(
        res, costs=rc.costs.reset_index(), objective=rc.objective, utilisation=utilisation_table(rc), **by_party(rc)
    )


def by_party(rc) -> dict[str, pd.DataFrame]:
    """The party_costs and frames tables as the checker recomputes them (the cases work out the group's costs)."""
    return {"party_costs": rc.party_costs.reset_index(), "frames": rc.frames.reset_index()}


def with_utilisation(scn: Scenario, res: Result) -> tuple[Scenario, Result]:
    """The case with the utilisation, party_costs and frames tables its plan implies (the checker's
    recomputation)."""
    rc = recompute(scn, res)
    return scn, dataclasses.replace(res, utilisation=utilisation_table(rc), **by_party(rc))


def found(violations: list[Violation]) -> list[tuple[str, dict]]:
    return [(v.family, v.keys) for v in violations]


# ------------------------------------------------------------------------------------ case 1


def case_growth(
    *, max_km: float = 10.0, budget: list[Budget] | None = None, objective_shift: float = 0.0
) -> tuple[Scenario, Result]:
    """Discounting (r = 10 %), spread capex over a 2-year lead time, residual value, closure with sale.

    Years 2025–2027; districts A (0, 0) and B (3, 4), 5 km apart. Service ``pre`` (split,
    travel 10 SEK/place/km/yr, unmet forbidden); demand in A: 80, 130, 120.
    Sites: OLD in A (owned, 100 places, opex 1000/yr, may close, closure 500, sale 2000);
    FAR in B (owned, 50 places, opex 100/yr, may not close, sale 300).
    Option NEW: build in A, 150 places, capex 3000, opex 200/yr, lead 2, lifetime 10.

    Plan: NEW opens 2027 (earliest: 2025 + 2); OLD closes 2027.
    Assignments: 2025 A→OLD 80; 2026 A→OLD 100, A→FAR 30 (5 km); 2027 A→NEW 120.
    Costs: capex 1500 in 2025 and 2026 (3000 spread over 2025–2026);
    opex 1000 + 100 = 1100 (2025, 2026), 100 + 200 = 300 (2027); closure 500 and sale 2000 in 2027;
    travel 10·5·30 = 1500 (2026); residual 3000·(1 − (2027 − 2027 + 1)/10) = 2700 plus FAR's sale
    value 300 (owned, open at the end) = 3000.
    δ = 1, 1/1.1, 1/1.21; δ_end = 1/1.331.
    discounted: 2025: 1500 + 1100 = 2600; 2026: (1500 + 1100 + 1500)/1.1 = 3727.27;
    2027: (300 + 500 − 2000)/1.21 − 3000/1.331 = −3245.68; objective 3081.59.
    """
    scn = Scenario(
        settings=Settings(
            name="growth",
            first_year=2025,
            last_year=2027,
            discount_rate=0.1,
            capex_timing="spread",
            residual_value="straight_line",
        ),
        districts=[District(district="A", x_km=0, y_km=0), District(district="B", x_km=3, y_km=4)],
        services=[Service(service="pre", max_km=max_km, travel_cost=10.0)],
        demand=[
            Demand(district="A", service="pre", year=y, places=p) for y, p in [(2025, 80), (2026, 130), (2027, 120)]
        ],
        sites=[
            Site(site="OLD", district="A", opex=1000, may_close=True, closure_cost=500, sale_value=2000),
            Site(site="FAR", district="B", opex=100, sale_value=300),
        ],
        site_capacities=[
            SiteCapacity(site="OLD", service="pre", capacity=100),
            SiteCapacity(site="FAR", service="pre", capacity=50),
        ],
        options=[
            Option(
                option="NEW",
                kind="build",
                district="A",
                service="pre",
                capacity=150,
                capex=3000,
                opex=200,
                lead_time=2,
                lifetime=10,
            )
        ],
        budget=budget or [],
    )
    a = assign(
        [
            ("A", "OLD", "pre", 2025, 80.0, 0.0),
            ("A", "OLD", "pre", 2026, 100.0, 0.0),
            ("A", "FAR", "pre", 2026, 30.0, 5.0),
            ("A", "NEW", "pre", 2027, 120.0, 0.0),
        ]
    )
    d = {2025: 1.0, 2026: 1 / 1.1, 2027: 1 / 1.21}
    disc = {2025: 2600.0, 2026: 4100 / 1.1, 2027: (300 + 500 - 2000) / 1.21 - 3000 / 1.331}
    res = Result(
        scenario="growth",
        status="optimal",
        objective=sum(disc.values()) + objective_shift,
        actions=frame(
            "actions",
            [
                {
                    "year": 2027,
                    "action": "build",
                    "option": "NEW",
                    "district": "A",
                    "service": "pre",
                    "modules": 1,
                    "capacity_change": 150,
                    "capex": 3000,
                    "decision_year": 2025,
                },
                {
                    "year": 2027,
                    "action": "close",
                    "site": "OLD",
                    "district": "A",
                    "capacity_change": -100,
                    "capex": 0,
                    "closure_cost": 500,
                    "sale_value": 2000,
                },
            ],
        ),
        balance=balance({("A", "pre", y): p for y, p in [(2025, 80.0), (2026, 130.0), (2027, 120.0)]}, served_of(a)),
        assignments=a,
        costs=costs(
            {
                2025: {"capex": 1500, "opex": 1100},
                2026: {"capex": 1500, "opex": 1100, "travel": 1500},
                2027: {"opex": 300, "closure_cost": 500, "sale": 2000, "residual": 3000},
            },
            d,
            disc,
        ),
    )
    return with_utilisation(scn, res)


def test_growth_plan_is_clean():
    scn, res = case_growth()
    assert check(scn, res) == []
    assert res.objective == pytest.approx(3081.59, abs=0.01)


def test_growth_recomputed_costs_match_the_hand_figures():
    scn, res = case_growth()
    rc = recompute(scn, res)
    assert rc.costs.loc[2025, "capex"] == pytest.approx(1500)
    assert rc.costs.loc[2027, "residual"] == pytest.approx(2700 + 300)
    assert rc.objective == pytest.approx(2600 + 4100 / 1.1 - 1200 / 1.21 - 3000 / 1.331, rel=1e-12)


def test_missing_build_exceeds_capacity():
    scn, res = case_growth()
    res = repriced(scn, dataclasses.replace(res, actions=res.actions[res.actions["action"] != "build"]))
    v = check(scn, res)
    assert found(v) == [("capacity_limit", {"site": "NEW", "service": "pre", "year": 2027})]
    assert v[0].amount == pytest.approx(120)


def test_opening_before_lead_time():
    scn, res = case_growth()
    actions = res.actions.copy()
    actions.loc[actions["action"] == "build", ["year", "decision_year"]] = [2026, 2024]
    v = check(scn, repriced(scn, dataclasses.replace(res, actions=actions)))
    assert found(v) == [("opening_year", {"option": "NEW", "year": 2026})]
    assert v[0].amount == 1


def test_capex_cap_exceeded():
    """Capex cap 1000 in 2025; the plan pays 1500 then: over by 500."""
    scn, res = case_growth(budget=[Budget(year=2025, capex_cap=1000)])
    v = check(scn, repriced(scn, res))
    assert found(v) == [("capex_cap", {"year": 2025})]
    assert v[0].amount == pytest.approx(500)
    scn, res = case_growth(budget=[Budget(year=2025, capex_cap=1500)])
    assert check(scn, repriced(scn, res)) == []


def test_broken_objective():
    scn, res = case_growth(objective_shift=1.0)
    v = check(scn, res)
    assert found(v) == [("objective", {})]
    assert v[0].amount == pytest.approx(1.0)
    scn, res = case_growth(objective_shift=1e-4)  # within relative 1e-6 of 3081.59
    assert check(scn, res) == []


def test_costs_table_column_differs():
    scn, res = case_growth()
    c = res.costs.copy()
    c.loc[c["year"] == 2025, "capex"] = 1600
    assert found(check(scn, dataclasses.replace(res, costs=c))) == [("costs_table", {"year": 2025, "column": "capex"})]


def test_assignment_beyond_max_km():
    """max_km 4: A→FAR is 5 km."""
    scn, res = case_growth(max_km=4.0)
    v = check(scn, res)
    assert found(v) == [("reach", {"district": "A", "site": "FAR", "service": "pre", "year": 2026})]
    assert v[0].amount == pytest.approx(30)


def test_closing_a_site_that_may_not_close():
    """FAR may not close; closing it in 2027 (unused then) is 2028 − 2027 = 1 year too early."""
    scn, res = case_growth()
    actions = pd.concat(
        [
            res.actions,
            frame(
                "actions",
                [
                    {
                        "year": 2027,
                        "action": "close",
                        "site": "FAR",
                        "district": "B",
                        "capacity_change": -50,
                        "capex": 0,
                        "closure_cost": 0,
                        "sale_value": 300,
                    }
                ],
            ),
        ]
    )
    v = check(scn, repriced(scn, dataclasses.replace(res, actions=actions)))
    assert found(v) == [("close_from", {"site": "FAR", "year": 2027})]
    assert v[0].amount == 1


def test_closing_twice_and_unknown_site():
    scn, res = case_growth()
    actions = pd.concat(
        [
            res.actions,
            frame("actions", [{"year": 2026, "action": "close", "site": "ZZZ"}, res.actions.iloc[1].to_dict()]),
        ]
    )
    assert found(check(scn, dataclasses.replace(res, actions=actions))) == [
        ("stays_closed", {"site": "OLD", "year": 2027}),
        ("stays_closed", {"site": "ZZZ", "year": 2026}),
    ]


def test_unknown_option_and_wrong_kind_in_actions():
    scn, res = case_growth()
    actions = res.actions.copy()
    actions.loc[actions["action"] == "build", "action"] = "lease"
    extra = frame("actions", [{"year": 2026, "action": "build", "option": "NOPE", "modules": 1}])
    v = check(scn, dataclasses.replace(res, actions=pd.concat([actions, extra])))
    assert found(v) == [
        ("actions_table", {"option": "NEW", "year": 2027}),
        ("actions_table", {"option": "NOPE", "year": 2026}),
    ]


def test_demand_not_served():
    """2026: 30 places at FAR removed from assignments and balance: 100 + 0 ≠ 130."""
    scn, res = case_growth()
    a = res.assignments[res.assignments["site"] != "FAR"]
    b = balance({("A", "pre", y): p for y, p in [(2025, 80.0), (2026, 130.0), (2027, 120.0)]}, served_of(a))
    v = check(scn, repriced(scn, dataclasses.replace(res, assignments=a, balance=b)))
    assert found(v) == [("demand_balance", {"district": "A", "service": "pre", "year": 2026})]
    assert v[0].amount == pytest.approx(30)


def test_tiny_solver_noise_is_tolerated():
    scn, res = case_growth()
    a = res.assignments.copy()
    a["places"] = a["places"] * (1 + 1e-8)
    assert check(scn, repriced(scn, dataclasses.replace(res, assignments=a))) == []


# ------------------------------------------------------------------------------------ case 2


def case_conversion(*, capacity_from: float = 25.0, may_close: bool = False) -> tuple[Scenario, Result]:
    """A conversion, a pavilion with a 2-year term, capex at opening, zero discount rate.

    Years 2025–2028; district A only (km 0). Services pre and sch (split, unmet forbidden).
    Demand pre: 60, 90, 100, 100; sch: 100, 100, 50, 50.
    Site S1 (owned, pre 60, sch 100, opex 10/yr, sale value 1000, may not close).
    CONV: conversion at S1 from sch to pre, 20 pre places per module removing 25 sch places,
    at most 2 modules, capex 400 per module, lifetime 20.
    PAV: pavilion in A, 30 pre places, term 2, set-up 100, rent 50/yr.

    Plan: PAV opens 2026 (in service 2026–2027); CONV 2 modules in 2027.
    Capacity pre: 60, 90, 130, 100; sch: 100, 100, 50, 50.
    Assignments: pre 2025 S1 60; 2026 S1 60 + PAV 30; 2027 S1 100; 2028 S1 100; sch at S1.
    Costs (δ = 1): capex 100 (2026), 800 (2027); opex 10/yr; rent 50 (2026, 2027);
    residual 800·(1 − (2028 − 2027 + 1)/20) = 720 plus S1's sale value 1000 = 1720.
    discounted: 10, 160, 860, 10 − 1720 = −1710; objective −680.
    """
    scn = Scenario(
        settings=Settings(
            name="conversion", first_year=2025, last_year=2028, discount_rate=0.0, capex_timing="opening"
        ),
        districts=[District(district="A")],
        services=[Service(service="pre"), Service(service="sch")],
        demand=[
            Demand(district="A", service=s, year=2025 + i, places=p)
            for s, ps in [("pre", [60, 90, 100, 100]), ("sch", [100, 100, 50, 50])]
            for i, p in enumerate(ps)
        ],
        sites=[Site(site="S1", district="A", opex=10, sale_value=1000, may_close=may_close)],
        site_capacities=[
            SiteCapacity(site="S1", service="pre", capacity=60),
            SiteCapacity(site="S1", service="sch", capacity=100),
        ],
        options=[
            Option(
                option="CONV",
                kind="conversion",
                site="S1",
                service="pre",
                from_service="sch",
                capacity=20,
                capacity_from=capacity_from,
                max_modules=2,
                capex=400,
                lifetime=20,
            ),
            Option(option="PAV", kind="pavilion", district="A", service="pre", capacity=30, term=2, capex=100, rent=50),
        ],
    )
    rows = [
        ("A", "S1", "pre", 2025, 60.0, 0.0),
        ("A", "S1", "pre", 2026, 60.0, 0.0),
        ("A", "PAV", "pre", 2026, 30.0, 0.0),
        ("A", "S1", "pre", 2027, 100.0, 0.0),
        ("A", "S1", "pre", 2028, 100.0, 0.0),
    ]
    rows += [("A", "S1", "sch", y, p, 0.0) for y, p in [(2025, 100.0), (2026, 100.0), (2027, 50.0), (2028, 50.0)]]
    a = assign(rows)
    dem = {(d.district, d.service, d.year): d.places for d in scn.demand}
    ones = dict.fromkeys(range(2025, 2029), 1.0)
    res = Result(
        scenario="conversion",
        status="optimal",
        objective=-680.0,
        actions=frame(
            "actions",
            [
                {
                    "year": 2026,
                    "action": "pavilion",
                    "option": "PAV",
                    "district": "A",
                    "service": "pre",
                    "modules": 1,
                    "capacity_change": 30,
                    "capex": 100,
                    "decision_year": 2026,
                },
                {
                    "year": 2027,
                    "action": "conversion",
                    "option": "CONV",
                    "site": "S1",
                    "district": "A",
                    "service": "pre",
                    "from_service": "sch",
                    "modules": 2,
                    "capacity_change": 40,
                    "capacity_removed": 2 * capacity_from,
                    "capex": 800,
                    "decision_year": 2027,
                },
            ],
        ),
        balance=balance(dem, served_of(a)),
        assignments=a,
        costs=costs(
            {
                2025: {"opex": 10},
                2026: {"capex": 100, "opex": 10, "rent": 50},
                2027: {"capex": 800, "opex": 10, "rent": 50},
                2028: {"opex": 10, "residual": 1720},
            },
            ones,
            {2025: 10.0, 2026: 160.0, 2027: 860.0, 2028: -1710.0},
        ),
    )
    return with_utilisation(scn, res)


def test_conversion_plan_is_clean():
    scn, res = case_conversion()
    assert check(scn, res) == []


def test_pavilion_past_its_term():
    """PAV (term 2, opened 2026) is gone in 2028: 30 places there exceed capacity 0."""
    scn, res = case_conversion()
    a = res.assignments.copy()
    a.loc[(a["year"] == 2028) & (a["service"] == "pre"), "places"] = 70.0
    a = pd.concat([a, assign([("A", "PAV", "pre", 2028, 30.0, 0.0)])], ignore_index=True)
    v = check(scn, repriced(scn, dataclasses.replace(res, assignments=a)))
    assert found(v) == [("capacity_limit", {"site": "PAV", "service": "pre", "year": 2028})]
    assert v[0].amount == pytest.approx(30)


def test_too_many_modules():
    """3 modules of CONV (max 2): sch capacity 100 − 75 = 25 < 50 in 2027 and 2028."""
    scn, res = case_conversion()
    actions = res.actions.copy()
    actions.loc[actions["option"] == "CONV", ["modules", "capex", "capacity_change", "capacity_removed"]] = [
        3,
        1200,
        60,
        75,
    ]
    v = check(scn, repriced(scn, dataclasses.replace(res, actions=actions)))
    assert found(v) == [
        ("capacity_limit", {"site": "S1", "service": "sch", "year": 2027}),
        ("capacity_limit", {"site": "S1", "service": "sch", "year": 2028}),
        ("module_limit", {"option": "CONV"}),
    ]
    assert [x.amount for x in v] == pytest.approx([25, 25, 1])


def test_conversion_removes_more_than_the_site_has():
    """capacity_from 60: 2 modules remove 120 sch places of 100 (and leave −20 for a load of 50)."""
    scn, res = case_conversion(capacity_from=60.0)
    v = check(scn, repriced(scn, res))
    assert found(v) == [
        ("capacity_limit", {"site": "S1", "service": "sch", "year": 2027}),
        ("capacity_limit", {"site": "S1", "service": "sch", "year": 2028}),
        ("conversion_limit", {"site": "S1", "service": "sch", "year": 2027}),
        ("conversion_limit", {"site": "S1", "service": "sch", "year": 2028}),
    ]
    assert [x.amount for x in v] == pytest.approx([70, 70, 20, 20])


def test_conversion_at_a_closed_site():
    """S1 (now allowed to close) closes in 2028 while CONV's modules are still in service; its
    2028 load then also exceeds capacity (pre 0·60 + 40 = 40 < 100, sch −50 < 50)."""
    scn, res = case_conversion(may_close=True)
    actions = pd.concat(
        [
            res.actions,
            frame(
                "actions",
                [
                    {
                        "year": 2028,
                        "action": "close",
                        "site": "S1",
                        "district": "A",
                        "capacity_change": -160,
                        "capex": 0,
                        "closure_cost": 0,
                        "sale_value": 1000,
                    }
                ],
            ),
        ]
    )
    v = check(scn, repriced(scn, dataclasses.replace(res, actions=actions)))
    assert found(v) == [
        ("capacity_limit", {"site": "S1", "service": "pre", "year": 2028}),
        ("capacity_limit", {"site": "S1", "service": "sch", "year": 2028}),
        ("needs_open_site", {"option": "CONV", "site": "S1", "year": 2028}),
    ]
    assert [x.amount for x in v] == pytest.approx([60, 100, 2])


def test_residual_value_none_and_sale_of_an_owned_site():
    """With residual_value 'none' the −1720 credit goes: objective −680 + 1720 = 1040."""
    scn, res = case_conversion()
    scn = scn.model_copy(update={"settings": scn.settings.model_copy(update={"residual_value": "none"})})
    rc = recompute(scn, res)
    assert rc.objective == pytest.approx(1040.0)
    assert found(check(scn, res)) == [
        ("costs_table", {"year": 2028, "column": "discounted"}),
        ("costs_table", {"year": 2028, "column": "residual"}),
        ("party_costs_table", {"year": 2028, "party": "property_company", "column": "discounted"}),
        ("party_costs_table", {"year": 2028, "party": "property_company", "column": "residual"}),
        ("objective", {}),
    ]


# ------------------------------------------------------------------------------------ case 3


def case_catchment(*, penalty: float | str = 1000.0, locks: list[Lock] | None = None) -> tuple[Scenario, Result]:
    """Single assignment, an unmet penalty, a renewed lease, a closure from close_from, locks and
    demand from coverage rates and a housing plan.

    Years 2025–2027; districts A (0, 0) and B (0, 2), 2 km apart. Service sch: single assignment,
    max 5 km, utilisation 0.9, travel 1 SEK/place/km/yr, unmet penalty 1000 SEK/place/yr.
    Coverage: band 6-15 at 0.5. Population 6-15: A 100 each year; B 40 each year.
    Housing in B: 10 flats in 2026, 5 in 2027; a flat has 0.8 persons aged 6-15.
    Demand: A 0.5·100 = 50 each year; B 0.5·40 = 20 (2025), 0.5·(40 + 8) = 24 (2026),
    0.5·(40 + 12) = 26 (2027; homes count cumulatively).
    Sites: L in A, leased, 100 places (usable 90), rent 1000, lease_end 2025, renewable at 1500,
    may not close. K in B, owned, 40 places (usable 36), opex 200, may close from 2026, closure 50.
    Option P: pavilion in A (forbidden by a lock). Locks: forbid P; keep L open; close K by 2027.

    Plan: K closes 2027. 2025: A→L 50, B all unmet (20). 2026: A→L 50, B→K 24.
    2027: A→L 50, B→L 26 (2 km; L holds 76 ≤ 90).
    Costs (δ = 1): opex 200 (2025, 2026); rent 1000 (2025), 1500 (2026, 2027); closure 50 (2027);
    travel 1·2·26 = 52 (2027); penalty 20·1000 = 20000 (2025); residual 0 (no owned site open).
    discounted: 21200, 1700, 1602; objective 24502.
    """
    locks = (
        [
            Lock(target="option", id="P", rule="forbid"),
            Lock(target="site", id="L", rule="keep_open"),
            Lock(target="site", id="K", rule="close", year=2027),
        ]
        if locks is None
        else locks
    )
    scn = Scenario(
        settings=Settings(name="catchment", first_year=2025, last_year=2027, discount_rate=0.0),
        districts=[District(district="A", x_km=0, y_km=0), District(district="B", x_km=0, y_km=2)],
        services=[
            Service(
                service="sch", max_km=5, utilisation=0.9, assignment="single", travel_cost=1.0, unmet_penalty=penalty
            )
        ],
        coverage=[Coverage(service="sch", age_band="6-15", rate=0.5)],
        population=[
            Population(district=d, year=y, age_band="6-15", persons=p)
            for d, p in [("A", 100), ("B", 40)]
            for y in (2025, 2026, 2027)
        ],
        housing=[
            Housing(district="B", year=2026, housing_type="flat", homes=10),
            Housing(district="B", year=2027, housing_type="flat", homes=5),
        ],
        housing_types=[HousingType(housing_type="flat", age_band="6-15", persons_per_home=0.8)],
        sites=[
            Site(site="L", district="A", tenure="leased", rent=1000, lease_end=2025, renewal_rent=1500),
            Site(site="K", district="B", opex=200, may_close=True, close_from=2026, closure_cost=50),
        ],
        site_capacities=[
            SiteCapacity(site="L", service="sch", capacity=100),
            SiteCapacity(site="K", service="sch", capacity=40),
        ],
        options=[Option(option="P", kind="pavilion", district="A", service="sch", capacity=30, term=3)],
        locks=locks,
    )
    a = assign(
        [
            ("A", "L", "sch", 2025, 50.0, 0.0),
            ("A", "L", "sch", 2026, 50.0, 0.0),
            ("B", "K", "sch", 2026, 24.0, 0.0),
            ("A", "L", "sch", 2027, 50.0, 0.0),
            ("B", "L", "sch", 2027, 26.0, 2.0),
        ]
    )
    dem = {("A", "sch", y): 50.0 for y in (2025, 2026, 2027)} | {
        ("B", "sch", 2025): 20.0,
        ("B", "sch", 2026): 24.0,
        ("B", "sch", 2027): 26.0,
    }
    ones = dict.fromkeys((2025, 2026, 2027), 1.0)
    res = Result(
        scenario="catchment",
        status="optimal",
        objective=24502.0,
        actions=frame(
            "actions",
            [
                {
                    "year": 2027,
                    "action": "close",
                    "site": "K",
                    "district": "B",
                    "capacity_change": -40,
                    "capex": 0,
                    "closure_cost": 50,
                    "sale_value": 0,
                }
            ],
        ),
        balance=balance(dem, served_of(a), {("B", "sch", 2025): 20.0}),
        assignments=a,
        costs=costs(
            {
                2025: {"opex": 200, "rent": 1000, "penalty": 20000},
                2026: {"opex": 200, "rent": 1500},
                2027: {"rent": 1500, "closure_cost": 50, "travel": 52},
            },
            ones,
            {2025: 21200.0, 2026: 1700.0, 2027: 1602.0},
        ),
    )
    return with_utilisation(scn, res)


def test_catchment_plan_is_clean():
    scn, res = case_catchment()
    assert check(scn, res) == []


def test_demand_from_coverage_and_cumulative_housing():
    scn, _ = case_catchment()
    dem = recompute_demand(scn)
    assert dem[("B", "sch", 2025)] == pytest.approx(20)
    assert dem[("B", "sch", 2026)] == pytest.approx(24)
    assert dem[("B", "sch", 2027)] == pytest.approx(26)
    assert dem[("A", "sch", 2027)] == pytest.approx(50)


def test_single_assignment_split_between_two_sites():
    """2026: B served 20 at K and 4 at L (2 km)."""
    scn, res = case_catchment()
    a = res.assignments.copy()
    a.loc[(a["district"] == "B") & (a["year"] == 2026), "places"] = 20.0
    a = pd.concat([a, assign([("B", "L", "sch", 2026, 4.0, 2.0)])], ignore_index=True)
    v = check(scn, repriced(scn, dataclasses.replace(res, assignments=a)))
    assert found(v) == [("single_assign", {"district": "B", "service": "sch", "year": 2026})]
    assert v[0].amount == pytest.approx(4)


def test_single_assignment_partly_unmet():
    """2025: B 10 places at K, 10 unmet: a single-assigned district is served whole or not at all."""
    scn, res = case_catchment()
    a = pd.concat([res.assignments, assign([("B", "K", "sch", 2025, 10.0, 0.0)])], ignore_index=True)
    b = res.balance.copy()
    at = (b["district"] == "B") & (b["year"] == 2025)
    b.loc[at, ["served", "unmet"]] = [10.0, 10.0]
    v = check(scn, repriced(scn, dataclasses.replace(res, assignments=a, balance=b)))
    assert found(v) == [("single_assign", {"district": "B", "service": "sch", "year": 2025})]
    assert v[0].amount == pytest.approx(10)


def test_unmet_where_forbidden():
    scn, res = case_catchment(penalty="forbidden")
    v = check(scn, repriced(scn, res))
    assert found(v) == [("unmet_forbidden", {"district": "B", "service": "sch", "year": 2025})]
    assert v[0].amount == pytest.approx(20)


def test_balance_table_demand_differs():
    scn, res = case_catchment()
    b = res.balance.copy()
    b.loc[(b["district"] == "B") & (b["year"] == 2026), "demand"] = 23.0
    assert found(check(scn, dataclasses.replace(res, balance=b))) == [
        ("balance_table", {"district": "B", "service": "sch", "year": 2026, "column": "demand"})
    ]


def test_forbidden_option_built():
    scn, res = case_catchment()
    actions = pd.concat(
        [
            res.actions,
            frame(
                "actions",
                [
                    {
                        "year": 2026,
                        "action": "pavilion",
                        "option": "P",
                        "district": "A",
                        "service": "sch",
                        "modules": 1,
                        "capacity_change": 30,
                        "capex": 0,
                        "decision_year": 2026,
                    }
                ],
            ),
        ]
    )
    assert found(check(scn, repriced(scn, dataclasses.replace(res, actions=actions)))) == [
        ("lock_forbid", {"option": "P", "year": 2026})
    ]


def test_forced_option_not_built():
    scn, res = case_catchment(locks=[Lock(target="option", id="P", rule="force", year=2026)])
    assert found(check(scn, res)) == [("lock_force", {"option": "P", "year": 2026})]


def test_kept_site_closed():
    scn, res = case_catchment(locks=[Lock(target="site", id="K", rule="keep_open")])
    v = check(scn, res)
    assert found(v) == [("lock_keep_open", {"site": "K", "year": 2027})]
    assert v[0].amount == 1


def test_site_locked_to_close_closes_late():
    scn, res = case_catchment(locks=[Lock(target="site", id="K", rule="close", year=2026)])
    assert found(check(scn, res)) == [("lock_close", {"site": "K", "year": 2026})]


def test_closing_before_close_from():
    """K closes 2025 (close_from 2026); B's 24 places in 2026 move to L (74 ≤ 90)."""
    scn, res = case_catchment()
    actions = res.actions.copy()
    actions["year"] = 2025
    a = res.assignments.copy()
    a.loc[(a["district"] == "B") & (a["year"] == 2026), ["site", "km"]] = ["L", 2.0]
    v = check(scn, repriced(scn, dataclasses.replace(res, actions=actions, assignments=a)))
    assert found(v) == [("close_from", {"site": "K", "year": 2025})]


def test_renewable_lease_closes_after_lease_end_at_no_cost():
    """L may not close, but a leased site may always close after its lease_end, closure cost 0."""
    scn, res = case_catchment(locks=[])
    actions = pd.concat(
        [
            res.actions,
            frame(
                "actions",
                [
                    {
                        "year": 2027,
                        "action": "lease_end",
                        "site": "L",
                        "district": "A",
                        "capacity_change": -100,
                        "capex": 0,
                        "closure_cost": 0,
                        "sale_value": 0,
                    }
                ],
            ),
        ]
    )
    a = res.assignments[res.assignments["year"] != 2027]
    b = res.balance.copy()
    b.loc[b["year"] == 2027, ["served", "unmet"]] = [0.0, 0.0]
    b.loc[b["year"] == 2027, "unmet"] = b.loc[b["year"] == 2027, "demand"]
    res = repriced(scn, dataclasses.replace(res, actions=actions, assignments=a, balance=b))
    assert check(scn, res) == []
    row = res.costs.set_index("year").loc[2027]
    assert row["closure_cost"] == 50  # K only
    assert row["rent"] == 0 and row["penalty"] == 76 * 1000


# ------------------------------------------------------------------------------------ case 4


def case_lease(*, opex_cap: float = 150.0) -> tuple[Scenario, Result]:
    """A non-renewable lease, km from the distances table, an opex cap.

    Years 2025–2027; districts A and B (no coordinates), distances A→B 7 km. Service s (split,
    max 10 km, no travel cost); demand in A 10 each year.
    Sites: LE in A, leased, 20 places, rent 100, lease_end 2025, not renewable, may not close,
    closure cost 999 (not due when closing after lease_end). OW in B, owned, 20 places, opex 50.
    Budget: opex cap 150 in 2025.

    Plan: LE closes 2026 (lease_end + 1: action lease_end). 2025: A→LE 10; 2026, 2027: A→OW 10 (7 km).
    Costs: rent 100 (2025); opex 50 each year; closure 0 (2026); residual 0 (OW's sale value 0).
    opex + rent 2025 = 150 = cap. discounted 150, 50, 50; objective 250.
    """
    scn = Scenario(
        settings=Settings(name="lease", first_year=2025, last_year=2027, discount_rate=0.0),
        districts=[District(district="A"), District(district="B")],
        services=[Service(service="s", max_km=10)],
        demand=[Demand(district="A", service="s", year=y, places=10) for y in (2025, 2026, 2027)],
        sites=[
            Site(site="LE", district="A", tenure="leased", rent=100, lease_end=2025, renewable=False, closure_cost=999),
            Site(site="OW", district="B", opex=50),
        ],
        site_capacities=[
            SiteCapacity(site="LE", service="s", capacity=20),
            SiteCapacity(site="OW", service="s", capacity=20),
        ],
        distances=[Distance(from_district="A", to_district="B", km=7)],
        budget=[Budget(year=2025, opex_cap=opex_cap)],
    )
    a = assign(
        [("A", "LE", "s", 2025, 10.0, 0.0), ("A", "OW", "s", 2026, 10.0, 7.0), ("A", "OW", "s", 2027, 10.0, 7.0)]
    )
    c = costs(
        {2025: {"opex": 50, "rent": 100}, 2026: {"opex": 50}, 2027: {"opex": 50}},
        dict.fromkeys((2025, 2026, 2027), 1.0),
        {2025: 150.0, 2026: 50.0, 2027: 50.0},
    )
    c.loc[c["year"] == 2025, ["opex_cap", "opex_use"]] = [opex_cap, 150 / opex_cap]
    res = Result(
        scenario="lease",
        status="optimal",
        objective=250.0,
        actions=frame(
            "actions",
            [
                {
                    "year": 2026,
                    "action": "lease_end",
                    "site": "LE",
                    "district": "A",
                    "capacity_change": -20,
                    "capex": 0,
                    "closure_cost": 0,
                    "sale_value": 0,
                }
            ],
        ),
        balance=balance({("A", "s", y): 10.0 for y in (2025, 2026, 2027)}, served_of(a)),
        assignments=a,
        costs=c,
    )
    return with_utilisation(scn, res)


def test_lease_plan_is_clean():
    scn, res = case_lease()
    assert check(scn, res) == []


def test_non_renewable_lease_not_closed():
    scn, res = case_lease()
    res = dataclasses.replace(res, actions=res.actions.iloc[0:0], utilisation=res.utilisation.iloc[0:0])
    v = check(scn, repriced(scn, res))
    assert found(v) == [("lease_end", {"site": "LE", "year": 2026})]
    assert v[0].amount == 2


def test_opex_cap_exceeded():
    scn, res = case_lease(opex_cap=140.0)
    v = check(scn, res)
    assert found(v) == [("opex_cap", {"year": 2025})]
    assert v[0].amount == pytest.approx(10)


def test_leased_site_closed_before_lease_end_pays_closure():
    """LE closes 2025 (before lease_end, may not close): close_from; closure cost 999 is due, and the
    row is a ``close`` (the lease broken), not a ``lease_end``."""
    scn, res = case_lease()
    actions = res.actions.copy()
    actions[["year", "action", "closure_cost"]] = [2025, "close", 999]
    a = res.assignments.copy()
    a.loc[a["year"] == 2025, ["site", "km"]] = ["OW", 7.0]
    res = repriced(scn, dataclasses.replace(res, actions=actions, assignments=a, utilisation=res.utilisation.iloc[0:0]))
    v = check(scn, res)
    assert found(v) == [("close_from", {"site": "LE", "year": 2025})]
    assert v[0].amount == 3
    assert res.costs.set_index("year").loc[2025, "closure_cost"] == 999


def test_reopened_site_in_utilisation():
    """LE, closed from 2026, shown open in 2027 with its 20 places (the plan gives it none)."""
    scn, res = case_lease()
    u = pd.concat(
        [
            res.utilisation,
            frame(
                "utilisation",
                [
                    {
                        "site": "LE",
                        "kind": "site",
                        "district": "A",
                        "service": "s",
                        "year": 2027,
                        "open": 1,
                        "capacity": 20,
                        "usable": 20,
                        "served": 0,
                        "utilisation": 0,
                    }
                ],
            ),
        ]
    )
    v = check(scn, dataclasses.replace(res, utilisation=u))
    assert found(v) == [("utilisation_table", {"site": "LE", "service": "s", "year": 2027})]
    assert v[0].amount == 20 and "open 1" in v[0].message


def test_km_column_differs_from_distances_table():
    scn, res = case_lease()
    a = res.assignments.copy()
    a.loc[a["year"] == 2027, "km"] = 5.0
    assert found(check(scn, dataclasses.replace(res, assignments=a))) == [
        ("assignments_table", {"district": "A", "site": "OW", "service": "s", "year": 2027, "column": "km"})
    ]


# ------------------------------------------------------------------------------------ the API


def test_violation_text_and_order():
    v = Violation("capacity_limit", {"site": "X", "service": "s", "year": 2026}, 3.5, "too full")
    assert str(v) == "capacity_limit[site=X, service=s, year=2026]: too full (by 3.5)"
    assert hash(v) == hash(Violation("capacity_limit", {"site": "Y"}, 3.5, "too full"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.amount = 1.0  # type: ignore[misc]
    assert "objective" in FAMILIES and FAMILIES.index("demand_balance") == 0


def test_violations_sorted_by_family_then_keys():
    scn, res = case_growth(max_km=4.0, objective_shift=10.0)
    v = check(scn, res)
    assert [x.family for x in v] == ["reach", "objective"]
    assert check(scn, res) == v


def test_result_without_plan_has_nothing_to_check():
    scn, _ = case_growth()
    assert check(scn, Result(scenario="growth", status="infeasible", message="no plan")) == []


def test_checker_imports_neither_model_nor_solver():
    """The checker's modules (allocopt/check/) import no model, solver, index, demand or Pyomo code."""
    import ast
    import importlib
    from pathlib import Path

    package = importlib.import_module("allocopt.check")  # allocopt.check the attribute is the function
    forbidden = (
        "pyomo",
        "allocopt.model",
        "allocopt.solver",
        "allocopt.index",
        "allocopt.demand",
        "allocopt.pipeline",
        "allocopt.heuristics",
        "allocopt.model",
    )
    files = sorted(Path(package.__file__).parent.glob("*.py"))
    assert len(files) > 1
    for path in files:
        tree = ast.parse(path.read_text())
        imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in imported if m.startswith(forbidden)], (path.name, imported)


# ------------------------------------------------------------------- against allocopt.solve


def _solve(scn: Scenario) -> Result:
    pytest.importorskip("highspy")
    solve = pytest.importorskip("allocopt.pipeline").solve
    return solve(scn, mip_gap=0.0, time_limit=60)


SOLVED_OPTIMA = [
    (case_growth, 2600 + 4100 / 1.1 - 1200 / 1.21 - 3000 / 1.331),
    (case_conversion, -700.0),
    (case_catchment, 4350.0),
    (case_lease, 250.0),
]
"""The optima of the hand cases, worked by hand.

growth: the hand plan is optimal: 3081.59.
conversion: CONV's second module is better opened in 2028 than in 2027 (PAV still covers 2027:
60 + 20 + 30 ≥ 100); its residual share rises from 0.9 to 0.95: 400·0.05 = 20 cheaper: −700.
catchment: K closes in 2026 and B goes to L (2 km) from then; B is served at K in 2025. Costs:
2025 opex 200 + rent 1000; 2026 rent 1500 + closure 50 + travel 2·24; 2027 rent 1500 + travel
2·26: 1200 + 1598 + 1552 = 4350.
lease: the hand plan (forced by the lease's end): 250.
"""


@pytest.mark.parametrize(("case", "objective"), SOLVED_OPTIMA, ids=lambda x: getattr(x, "__name__", ""))
def test_solved_plans_pass_the_checker(case, objective):
    scn, _ = case()
    res = _solve(scn)
    assert res.status == "optimal"
    assert check(scn, res) == []
    assert res.objective == pytest.approx(objective, rel=1e-9)


def _one_service(years: range, places: list[float], **kw) -> dict:
    return dict(
        districts=[District(district="A")],
        services=[Service(service="s", **kw)],
        demand=[Demand(district="A", service="s", year=y, places=p) for y, p in zip(years, places)],
    )


def test_solved_edge_cases_pass_the_checker():
    """Edge cases of open, closure and lifetime rules, solved and checked.

    - a non-renewable lease that ended before the horizon: closed in the first year at no cost;
    - close_from after the horizon: an expensive site that may close still cannot;
    - an expansion with lifetime 2 and lead time 2, earliest 2027, straight-line residual;
    - an owned site sold in the last year (sale 5000 beats the residual credit δ_end·5000);
    - a term-1 lease and a term-2 pavilion opened repeatedly, capex spread over a 1-year lead.
    """
    y3, y5 = range(2025, 2028), range(2025, 2030)
    cases = [
        Scenario(
            settings=Settings(name="ended", first_year=2025, last_year=2027),
            **_one_service(y3, [10, 10, 10], unmet_penalty=1000.0),
            sites=[
                Site(
                    site="L", district="A", tenure="leased", rent=100, lease_end=2020, renewable=False, closure_cost=77
                ),
                Site(site="O", district="A", opex=10),
            ],
            site_capacities=[
                SiteCapacity(site="L", service="s", capacity=20),
                SiteCapacity(site="O", service="s", capacity=20),
            ],
        ),
        Scenario(
            settings=Settings(name="late", first_year=2025, last_year=2027),
            **_one_service(y3, [10, 10, 10]),
            sites=[
                Site(site="X", district="A", opex=1e6, may_close=True, close_from=2028),
                Site(site="O", district="A", opex=10),
            ],
            site_capacities=[
                SiteCapacity(site="X", service="s", capacity=20),
                SiteCapacity(site="O", service="s", capacity=20),
            ],
        ),
        Scenario(
            settings=Settings(name="short", first_year=2025, last_year=2029, discount_rate=0.05),
            **_one_service(y5, [10, 10, 30, 30, 30]),
            sites=[Site(site="O", district="A", opex=10, sale_value=500)],
            site_capacities=[SiteCapacity(site="O", service="s", capacity=10)],
            options=[
                Option(
                    option="X",
                    kind="expansion",
                    site="O",
                    service="s",
                    capacity=20,
                    max_modules=3,
                    capex=1000,
                    lead_time=2,
                    lifetime=2,
                    earliest_year=2027,
                )
            ],
        ),
        Scenario(
            settings=Settings(name="sell", first_year=2025, last_year=2027, discount_rate=0.1),
            **_one_service(y3, [10, 10, 0]),
            sites=[Site(site="O", district="A", opex=100, sale_value=5000, may_close=True, closure_cost=10)],
            site_capacities=[SiteCapacity(site="O", service="s", capacity=10)],
        ),
        Scenario(
            settings=Settings(name="terms", first_year=2025, last_year=2028),
            **_one_service(range(2025, 2029), [0, 15, 15, 40]),
            options=[
                Option(
                    option="L",
                    kind="lease",
                    district="A",
                    service="s",
                    capacity=20,
                    max_modules=3,
                    capex=10,
                    rent=100,
                    term=1,
                    lead_time=1,
                ),
                Option(
                    option="P",
                    kind="pavilion",
                    district="A",
                    service="s",
                    capacity=20,
                    max_modules=3,
                    capex=500,
                    rent=10,
                    term=2,
                ),
            ],
        ),
    ]
    for scn in cases:
        res = _solve(scn)
        assert res.status == "optimal", scn.settings.name
        assert check(scn, res) == [], scn.settings.name
    ended, sell = _solve(cases[0]), _solve(cases[3])
    assert ended.actions[["year", "action", "site"]].values.tolist() == [[2025, "lease_end", "L"]]
    assert ended.objective == pytest.approx(10 + 10 / 1.025 + 10 / 1.025**2)
    assert sell.objective == pytest.approx(100 + 100 / 1.1 + (10 - 5000) / 1.21)


def _random_scenario(rng: random.Random) -> Scenario:
    """A random tiny scenario touching every feature (2–6 years, 1–3 districts, 1–2 services)."""
    y0 = 2025
    last = y0 + rng.randint(1, 5)
    years = range(y0, last + 1)
    ds = [f"D{i}" for i in range(rng.randint(1, 3))]
    ss = [f"s{i}" for i in range(rng.randint(1, 2))]
    pick = rng.choice
    coverage = [Coverage(service=s, age_band="b", rate=pick([0.5, 0.9])) for s in ss if rng.random() < 0.4]
    banded = {c.service for c in coverage}
    sites = []
    for i in range(rng.randint(1, 3)):
        leased = rng.random() < 0.4
        sites.append(
            Site(
                site=f"E{i}",
                district=pick(ds),
                tenure="leased" if leased else "owned",
                opex=pick([0, 100, 500]),
                rent=pick([0, 300]) if leased else 0,
                lease_end=pick([None, y0, y0 + 1, last - 1]) if leased else None,
                renewable=rng.random() < 0.6,
                renewal_rent=pick([None, 800.0]) if leased else None,
                may_close=rng.random() < 0.6,
                close_from=pick([None, None, y0 + 1]),
                closure_cost=pick([0, 200]),
                sale_value=0 if leased else pick([0, 400, 3000]),
            )
        )
    caps = [
        SiteCapacity(site=e.site, service=s, capacity=rng.randint(0, 60))
        for e in sites
        for s in ss
        if rng.random() < 0.8
    ]
    options = []
    for i in range(rng.randint(0, 4)):
        kind, s, e = pick(["build", "lease", "pavilion", "expansion", "conversion"]), pick(ss), pick(sites)
        froms = [c.service for c in caps if c.site == e.site and c.service != s]
        if kind == "conversion" and not froms:
            continue
        options.append(
            Option(
                option=f"O{i}",
                kind=kind,
                service=s,
                capacity=pick([10, 20, 40]),
                max_modules=rng.randint(1, 3),
                capex=pick([0, 1000, 5000]),
                opex=pick([0, 50]),
                rent=pick([0, 100]),
                earliest_year=pick([None, y0 + 1]),
                lead_time=rng.randint(0, 2),
                site=e.site if kind in ("expansion", "conversion") else None,
                district=None if kind in ("expansion", "conversion") else pick(ds),
                from_service=froms[0] if kind == "conversion" else None,
                capacity_from=pick([None, 15.0]) if kind == "conversion" else None,
                term=pick([1, 2, 3]) if kind in ("lease", "pavilion") else None,
                lifetime=None if kind in ("lease", "pavilion") else pick([None, 2, 3]),
            )
        )
    locks = []
    if options and rng.random() < 0.2:
        locks.append(
            Lock(target="option", id=pick(options).option, rule=pick(["force", "forbid"]), year=pick([None, last]))
        )
    if rng.random() < 0.2:
        locks.append(
            Lock(target="site", id=pick(sites).site, rule=pick(["keep_open", "close"]), year=pick([None, y0 + 1]))
        )
    return Scenario(
        settings=Settings(
            name="random",
            first_year=y0,
            last_year=last,
            discount_rate=pick([0, 0.03, 0.1]),
            capex_timing=pick(["spread", "opening"]),
            residual_value=pick(["straight_line", "none"]),
            unmet_penalty=pick(["forbidden", 5000.0, 20000.0]),
        ),
        districts=[District(district=d, x_km=rng.randint(0, 5), y_km=rng.randint(0, 5)) for d in ds],
        services=[
            Service(
                service=s,
                max_km=pick([math.inf, 3.0, 6.0]),
                utilisation=pick([1.0, 0.9]),
                assignment=pick(["split", "split", "single"]),
                travel_cost=pick([0.0, 5.0]),
                unmet_penalty=pick([None, None, 3000.0, "forbidden"]),
            )
            for s in ss
        ],
        coverage=coverage,
        population=[
            Population(district=d, year=y, age_band="b", persons=rng.randint(0, 60))
            for d in ds
            for y in years
            if coverage and rng.random() < 0.9
        ],
        housing=[
            Housing(district=d, year=y, housing_type="h", homes=rng.randint(1, 20))
            for d in ds
            for y in years
            if coverage and rng.random() < 0.3
        ],
        housing_types=[HousingType(housing_type="h", age_band="b", persons_per_home=0.7)] if coverage else [],
        demand=[
            Demand(district=d, service=s, year=y, places=rng.randint(0, 60))
            for s in ss
            if s not in banded
            for d in ds
            for y in years
            if rng.random() < 0.9
        ],
        sites=sites,
        site_capacities=caps,
        options=options,
        distances=[Distance(from_district=ds[1], to_district=ds[0], km=pick([1.0, 4.0, 9.0]))]
        if len(ds) > 1 and rng.random() < 0.3
        else [],
        budget=[
            Budget(year=y, capex_cap=pick([None, 2000.0, 6000.0]), opex_cap=pick([None, 1500.0]))
            for y in years
            if rng.random() < 0.2
        ],
        locks=locks,
    )


@pytest.mark.slow
def test_random_tiny_scenarios_agree_with_the_solver():
    """Solve 60 random tiny scenarios (about half infeasible); every plan found passes the checker."""
    plans = 0
    for seed in range(60):
        scn = _random_scenario(random.Random(seed))
        res = _solve(scn)
        if res.has_plan:
            plans += 1
            assert check(scn, res) == [], seed
    assert plans >= 20
