"""Every table of a solved result, checked against the others and the scenario.

Two tiny scenarios are solved once each; the checker finds nothing wrong with the real result.
Then one cell (or row) at a time is corrupted in each table, and the test asserts which family
reports it, with which keys. Nothing is repriced: a corrupted descriptive cell must be caught by
the table's own family, not by a cost that moves.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

import allocopt
from allocopt.check import CheckReport, check, check_plan
from allocopt.result import Result
from cases import District, Option, Service, Site, SiteCapacity, build_or_lease, flat, tiny

NAN = math.nan


def convert_and_close() -> allocopt.Scenario:
    """A conversion and a closure, 2026–2028, r = 0, no travel cost, unmet demand forbidden.

    Districts A (0, 0) and B (3, 4), 5 km apart. Demand in A: pre 90, sch 45 each year; sch is
    planned at utilisation 0.9. Site S in A (owned, opex 10): pre 50, sch 100. Site OLD in B
    (owned, opex 100 000, may close from 2027, closure 10, sale 500): pre 40. Option CONV: a
    conversion at S from sch to pre, 20 pre places per module removing 25 sch, at most 2 modules,
    capex 100, lifetime 10.

    Plan: 2026 pre is S 50 + OLD 40 (5 km); OLD closes in 2027, its first possible year (opex
    100 000), and CONV opens 2 modules in 2027 (as late as possible: the residual share is
    largest): S pre 50 + 40 = 90, S sch 100 − 50 = 50 (usable 45 = demand).
    Costs: 2026 opex 10 + 100 000 = 100 010; 2027 capex 200 + opex 10 + closure 10 − sale 500 =
    −280; 2028 opex 10, residual 200·(1 − (2028 − 2027 + 1)/10) = 160 (S's sale value is 0):
    −150. Objective 99 580.
    """
    return tiny(
        2026,
        2028,
        districts=[District(district="A", x_km=0.0, y_km=0.0), District(district="B", x_km=3.0, y_km=4.0)],
        services=[Service(service="pre", max_km=10.0), Service(service="sch", max_km=10.0, utilisation=0.9)],
        demand={**flat(90, range(2026, 2029)), **flat(45, range(2026, 2029), "A", "sch")},
        sites=[
            Site(site="S", district="A", opex=10),
            Site(site="OLD", district="B", opex=1e5, may_close=True, close_from=2027, closure_cost=10, sale_value=500),
        ],
        capacities=[
            SiteCapacity(site="S", service="pre", capacity=50),
            SiteCapacity(site="S", service="sch", capacity=100),
            SiteCapacity(site="OLD", service="pre", capacity=40),
        ],
        options=[
            Option(
                option="CONV",
                kind="conversion",
                site="S",
                service="pre",
                from_service="sch",
                capacity=20,
                capacity_from=25,
                max_modules=2,
                capex=100,
                lifetime=10,
            )
        ],
    )


@pytest.fixture(scope="module")
def bol() -> tuple[allocopt.Scenario, Result]:
    """build_or_lease solved: B (a build, 100 places) opens in 2026 and serves all 100 places
    of A in each of 2026–2030 (see tests/cases.py)."""
    sc = build_or_lease()
    return sc, allocopt.solve(sc, mip_gap=0.0)


@pytest.fixture(scope="module")
def cc() -> tuple[allocopt.Scenario, Result]:
    sc = convert_and_close()
    return sc, allocopt.solve(sc, mip_gap=0.0)


def found(violations) -> list[tuple[str, dict]]:
    return [(v.family, v.keys) for v in violations]


def families(violations) -> set[str]:
    return {v.family for v in violations}


def with_table(res: Result, name: str, df: pd.DataFrame) -> Result:
    return dataclasses.replace(res, **{name: df.reset_index(drop=True)})


def changed(res: Result, name: str, where: dict, column: str, value) -> Result:
    """``res`` with ``column`` set to ``value`` in the one row of table ``name`` matching ``where``."""
    df = getattr(res, name).copy()
    at = pd.Series(True, index=df.index)
    for k, v in where.items():
        at &= df[k] == v
    assert at.sum() == 1, (name, where)
    if isinstance(value, str) or value is None:
        df[column] = df[column].astype(object)
    else:
        df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
    df.loc[at, column] = value
    return with_table(res, name, df)


def busiest(res: Result) -> dict:
    """Keys of the utilisation row with the most places served (the first such)."""
    row = res.utilisation.loc[res.utilisation["served"].idxmax()]
    return {"site": row["site"], "service": row["service"], "year": int(row["year"])}


# ----------------------------------------------------------------------------- the real results


def test_solved_results_are_clean(bol, cc):
    for sc, res in (bol, cc):
        assert res.status == "optimal"
        assert check(sc, res) == []


def test_check_plan_recomputes_the_objective(bol, cc):
    """build_or_lease: 1000 capex + 5·10 opex − 500 residual = 550 SEK; convert_and_close: 99 580."""
    for (sc, res), objective in ((bol, 550.0), (cc, 99580.0)):
        report = check_plan(sc, res)
        assert isinstance(report, CheckReport)
        assert report.violations == [] == check(sc, res)
        assert report.objective == pytest.approx(res.objective, rel=1e-9)
        assert report.objective == pytest.approx(objective, rel=1e-9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.objective = 0.0  # type: ignore[misc]


def test_check_plan_objective_comes_from_the_tables(bol):
    """A wrong result.objective is reported, and check_plan still gives the tables' 550."""
    sc, res = bol
    wrong = dataclasses.replace(res, objective=600.0)
    report = check_plan(sc, wrong)
    assert found(report.violations) == [("objective", {})]
    assert report.violations == check(sc, wrong)
    assert report.objective == pytest.approx(550.0, rel=1e-9)


def test_check_plan_without_a_plan():
    sc = build_or_lease()
    report = check_plan(sc, Result(scenario="tiny", status="infeasible", message="no plan"))
    assert report == CheckReport([], None)


# ------------------------------------------------------------------------------- utilisation


def test_halved_capacity_at_the_busiest_site_year(cc):
    sc, res = cc
    at = busiest(res)
    assert at == {"site": "S", "service": "pre", "year": 2027}
    cap = float(res.utilisation.set_index(["site", "service", "year"]).loc[tuple(at.values()), "capacity"])
    v = check(sc, changed(res, "utilisation", at, "capacity", cap / 2))
    assert found(v) == [("utilisation_table", {**at, "column": "capacity"})]
    assert v[0].amount == pytest.approx(45.0)


def test_halved_capacity_of_a_new_option(bol):
    sc, res = bol
    at = busiest(res)
    assert at["site"] == "B"
    assert found(check(sc, changed(res, "utilisation", at, "capacity", 50.0))) == [
        ("utilisation_table", {**at, "column": "capacity"})
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("served", 44.0),
        ("usable", 50.0),
        ("open", 0),
        ("utilisation", 0.5),
        ("kind", "build"),
        ("district", "B"),
    ],
)
def test_utilisation_column_differs(cc, column, value):
    """S sch 2027: capacity 100 − 2·25 = 50, usable 45, served 45, utilisation 0.9, open, a site in A."""
    sc, res = cc
    at = {"site": "S", "service": "sch", "year": 2027}
    assert found(check(sc, changed(res, "utilisation", at, column, value))) == [
        ("utilisation_table", {**at, "column": column})
    ]


@pytest.mark.parametrize("column", ["capacity", "usable", "served", "utilisation", "open", "kind", "district"])
def test_utilisation_blank_cell(cc, column):
    sc, res = cc
    at = {"site": "OLD", "service": "pre", "year": 2026}
    assert found(
        check(sc, changed(res, "utilisation", at, column, None if column in ("kind", "district") else NAN))
    ) == [("utilisation_table", {**at, "column": column})]


def test_utilisation_row_dropped(cc):
    sc, res = cc
    u = res.utilisation
    keep = ~((u["site"] == "OLD") & (u["year"] == 2026))
    v = check(sc, with_table(res, "utilisation", u[keep]))
    assert found(v) == [("utilisation_table", {"site": "OLD", "service": "pre", "year": 2026})]
    assert v[0].amount == pytest.approx(40.0)


def test_empty_utilisation_table(bol):
    sc, res = bol
    v = check(sc, with_table(res, "utilisation", res.utilisation.iloc[0:0]))
    assert found(v) == [("utilisation_table", {"site": "B", "service": "pre", "year": y}) for y in range(2026, 2031)]


def test_utilisation_bogus_rows(cc):
    """An unknown facility; a conversion's id (its capacity is its site's); OLD after closing
    (no capacity, no use: the table leaves it out); a year outside the horizon; a row twice."""
    sc, res = cc
    u = res.utilisation
    row = u[(u["site"] == "OLD")].iloc[0].to_dict()
    extra = pd.DataFrame(
        [
            {**row, "site": "ZZZ"},
            {**row, "site": "CONV"},
            {**row, "year": 2027, "open": 0, "capacity": 0.0, "usable": 0.0, "served": 0.0, "utilisation": NAN},
            {**row, "year": 2029},
            row,
        ]
    )
    v = check(sc, with_table(res, "utilisation", pd.concat([u, extra])))
    assert found(v) == [
        ("utilisation_table", {"site": "CONV", "service": "pre", "year": 2026}),
        ("utilisation_table", {"site": "OLD", "service": "pre", "year": 2026}),
        ("utilisation_table", {"site": "OLD", "service": "pre", "year": 2027}),
        ("utilisation_table", {"site": "OLD", "service": "pre", "year": 2029}),
        ("utilisation_table", {"site": "ZZZ", "service": "pre", "year": 2026}),
    ]
    assert [x.message for x in v][:2] == ["row for unknown facility 'CONV'", "a second row for these keys"]


def test_utilisation_year_not_whole(bol):
    sc, res = bol
    v = check(sc, changed(res, "utilisation", {"year": 2028}, "year", 2028.5))
    assert found(v) == [
        ("utilisation_table", {"site": "B", "service": "pre", "year": 2028}),
        ("utilisation_table", {"site": "B", "service": "pre", "year": 2028.5}),
    ]


def test_capacity_without_a_build_is_seen_in_utilisation(bol):
    """Without B's build row the plan has no capacity: capacity_limit fires, and the utilisation
    table (capacity 100 where the plan gives 0) no longer matches."""
    sc, res = bol
    v = check(sc, with_table(res, "actions", res.actions.iloc[0:0]))
    assert {"capacity_limit", "utilisation_table", "costs_table", "objective"} <= families(v)
    assert ("utilisation_table", {"site": "B", "service": "pre", "year": 2026, "column": "capacity"}) in found(v)


# ------------------------------------------------------------------------------- assignments


def test_assignment_km_differs(cc):
    sc, res = cc
    at = {"district": "A", "site": "OLD", "service": "pre", "year": 2026}
    assert found(check(sc, changed(res, "assignments", at, "km", 4.0))) == [
        ("assignments_table", {**at, "column": "km"})
    ]


def test_assignment_km_blank(cc):
    sc, res = cc
    at = {"district": "A", "site": "OLD", "service": "pre", "year": 2026}
    assert found(check(sc, changed(res, "assignments", at, "km", NAN))) == [
        ("assignments_table", {**at, "column": "km"})
    ]


def test_assignment_split_in_two_rows(bol):
    """The 100 places of 2027 as two rows of 50: sums unchanged, but a key given twice."""
    sc, res = bol
    a = res.assignments
    row = a[a["year"] == 2027].iloc[0].to_dict()
    a = pd.concat([a[a["year"] != 2027], pd.DataFrame([{**row, "places": 50.0}] * 2)])
    assert found(check(sc, with_table(res, "assignments", a))) == [
        ("assignments_table", {"district": "A", "site": "B", "service": "pre", "year": 2027})
    ]


def test_assignment_rows_for_unknown_ids(bol):
    """Rows of 0 places for an unknown district, facility and service (reach weighs only places)."""
    sc, res = bol
    row = res.assignments.iloc[0].to_dict()
    extra = pd.DataFrame(
        [
            {**row, "district": "Q", "places": 0.0},
            {**row, "site": "ZZZ", "places": 0.0},
            {**row, "service": "sch", "places": 0.0},
        ]
    )
    v = check(sc, with_table(res, "assignments", pd.concat([res.assignments, extra])))
    assert found(v) == [
        ("assignments_table", {"district": "A", "site": "ZZZ", "service": "pre", "year": 2026}),
        ("assignments_table", {"district": "A", "site": "B", "service": "sch", "year": 2026}),
        ("assignments_table", {"district": "Q", "site": "B", "service": "pre", "year": 2026}),
    ]
    assert [x.message for x in v] == [
        "row for unknown facility 'ZZZ'",
        "row for unknown service 'sch'",
        "row for unknown district 'Q'",
    ]


def test_assignment_places_blank(bol):
    sc, res = bol
    at = {"year": 2029}
    v = check(sc, changed(res, "assignments", at, "places", NAN))
    assert (
        "assignments_table",
        {"district": "A", "site": "B", "service": "pre", "year": 2029, "column": "places"},
    ) in found(v)


# ----------------------------------------------------------------------------------- balance


def test_balance_demand_differs(cc):
    sc, res = cc
    at = {"district": "A", "service": "sch", "year": 2028}
    assert found(check(sc, changed(res, "balance", at, "demand", 44.0))) == [
        ("balance_table", {**at, "column": "demand"})
    ]


def test_balance_unmet_blank(bol):
    sc, res = bol
    at = {"district": "A", "service": "pre", "year": 2027}
    assert found(check(sc, changed(res, "balance", at, "unmet", NAN))) == [("balance_table", {**at, "column": "unmet"})]


def test_balance_year_not_whole(bol):
    """2027 written 2027.5: no planning year, and 2027's row is missing."""
    sc, res = bol
    v = check(sc, changed(res, "balance", {"year": 2027}, "year", 2027.5))
    assert found(v) == [
        ("balance_table", {"district": "A", "service": "pre", "year": 2027}),
        ("balance_table", {"district": "A", "service": "pre", "year": 2027.5}),
    ]


# ------------------------------------------------------------------------------------- costs


@pytest.mark.parametrize("column", ["capex_cap", "capex_use", "opex_cap", "opex_use"])
def test_costs_cap_where_the_budget_has_none(bol, column):
    sc, res = bol
    assert found(check(sc, changed(res, "costs", {"year": 2026}, column, 5000.0))) == [
        ("costs_table", {"year": 2026, "column": column})
    ]


def test_costs_cap_and_use_as_the_budget_gives(bol):
    """A capex cap of 2000 in 2026: the table must say 2000 and use 1000 / 2000 = 0.5."""
    from cases import Budget

    sc = build_or_lease(budget=[Budget(year=2026, capex_cap=2000.0)])
    res = allocopt.solve(sc, mip_gap=0.0)
    assert check(sc, res) == []
    assert res.costs.loc[0, "capex_use"] == pytest.approx(0.5)
    assert found(check(sc, changed(res, "costs", {"year": 2026}, "capex_cap", 2500.0))) == [
        ("costs_table", {"year": 2026, "column": "capex_cap"})
    ]
    assert found(check(sc, changed(res, "costs", {"year": 2026}, "capex_use", NAN))) == [
        ("costs_table", {"year": 2026, "column": "capex_use"})
    ]


def test_costs_rows_twice_and_outside_the_horizon(bol):
    sc, res = bol
    c = res.costs
    extra = pd.DataFrame([c.iloc[1].to_dict(), {**c.iloc[4].to_dict(), "year": 2031}])
    assert found(check(sc, with_table(res, "costs", pd.concat([c, extra])))) == [
        ("costs_table", {"year": 2027}),
        ("costs_table", {"year": 2031}),
    ]


# ----------------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("capacity_change", 90.0),
        ("capacity_change", NAN),
        ("district", "B"),
        ("service", "sch"),
        ("site", "S"),
        ("from_service", "sch"),
        ("capacity_removed", 10.0),
        ("closure_cost", 5.0),
        ("sale_value", 0.0),
    ],
)
def test_build_row_cell(bol, column, value):
    """B's row: capacity_change 100, district A, service pre; no site, from_service,
    capacity_removed, closure_cost or sale_value (blank)."""
    sc, res = bol
    assert found(check(sc, changed(res, "actions", {"option": "B"}, column, value))) == [
        ("actions_table", {"option": "B", "year": 2026, "column": column})
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("capacity_removed", 40.0),
        ("capacity_removed", NAN),
        ("capacity_change", 50.0),
        ("from_service", None),
        ("site", None),
        ("district", "B"),
    ],
)
def test_conversion_row_cell(cc, column, value):
    """CONV's row: 2 modules, capacity_change 40 (pre), capacity_removed 50 (sch), site S, district A."""
    sc, res = cc
    assert found(check(sc, changed(res, "actions", {"option": "CONV"}, column, value))) == [
        ("actions_table", {"option": "CONV", "year": 2027, "column": column})
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("capacity_change", -50.0),
        ("capacity_change", NAN),
        ("closure_cost", NAN),
        ("sale_value", NAN),
        ("sale_value", 400.0),
        ("district", "A"),
        ("capex", NAN),
        ("decision_year", 2027.0),
        ("service", "pre"),
    ],
)
def test_closure_row_cell(cc, column, value):
    """OLD's closure: capacity_change −40, closure_cost 10, sale_value 500, capex 0, district B;
    no decision_year, service (blank)."""
    sc, res = cc
    assert found(check(sc, changed(res, "actions", {"action": "close"}, column, value))) == [
        ("actions_table", {"site": "OLD", "year": 2027, "column": column})
    ]


def test_conversion_split_in_two_rows(cc):
    """CONV's 2 modules as two rows of 1 in 2027: the same plan, but one decision written twice."""
    sc, res = cc
    a = res.actions
    row = a[a["option"] == "CONV"].iloc[0].to_dict()
    one = {**row, "modules": 1.0, "capacity_change": 20.0, "capacity_removed": 25.0, "capex": 100.0}
    a = pd.concat([a[a["option"] != "CONV"], pd.DataFrame([one, one])])
    assert found(check(sc, with_table(res, "actions", a))) == [("actions_table", {"option": "CONV", "year": 2027})]


def test_zero_module_row(bol):
    sc, res = bol
    extra = {
        **res.actions.iloc[0].to_dict(),
        "option": "L",
        "action": "lease",
        "year": 2027,
        "modules": 0.0,
        "capacity_change": 0.0,
        "capex": 0.0,
        "decision_year": 2027.0,
    }
    v = check(sc, with_table(res, "actions", pd.concat([res.actions, pd.DataFrame([extra])])))
    assert found(v) == [("actions_table", {"option": "L", "year": 2027})]


def test_opening_year_not_whole(bol):
    sc, res = bol
    v = check(sc, changed(res, "actions", {"option": "B"}, "year", 2026.5))
    assert ("actions_table", {"option": "B", "year": None}) in found(v)


def with_latest_year(sc: allocopt.Scenario, option: str, year: int) -> allocopt.Scenario:
    options = [o.model_copy(update={"latest_year": year}) if o.option == option else o for o in sc.options]
    return sc.model_copy(update={"options": options})


def test_opening_after_the_latest_year():
    """build_or_lease with a penalty of 1000; the plan opens B in 2028 (priced by evaluate, every
    table consistent). Offered until 2027, B opens one year late: opening_year, amount 1 year;
    offered until 2028, or without a limit, the plan is sound."""
    sc = build_or_lease(penalty=1000.0)
    res = allocopt.evaluate(sc, pd.DataFrame([{"year": 2028, "action": "build", "option": "B", "modules": 1}]))
    assert check(sc, res) == []
    v = check(with_latest_year(sc, "B", 2027), res)
    assert found(v) == [("opening_year", {"option": "B", "year": 2028})]
    assert v[0].amount == 1 and "after its latest year 2027" in v[0].message
    assert check(with_latest_year(sc, "B", 2028), res) == []


def test_capex_priced_without_the_overrun_allowance(bol):
    """The solved build_or_lease (B's capex 1000, residual 500, cost 550) checked against the same
    scenario with a 10 % overrun: capex 1100 (actions and costs, 2026), residual 550 (2030), cost
    1100 + 50 − 550 = 600, each reported by its family."""
    _sc, res = bol
    v = check(build_or_lease(overrun=0.1), res)
    by_party = [f for f in found(v) if f[0] == "party_costs_table"]
    assert ("party_costs_table", {"year": 2026, "party": "property_company", "column": "capex"}) in by_party
    # the property company's internal rent, an annuity of the capex, is 10 % higher every year B stands
    assert ("party_costs_table", {"year": 2027, "party": "municipality", "column": "internal_rent"}) in by_party
    assert [f for f in found(v) if f[0] not in ("party_costs_table", "frames_table")] == [
        ("actions_table", {"option": "B", "year": 2026, "column": "capex"}),
        ("costs_table", {"year": 2026, "column": "capex"}),
        ("costs_table", {"year": 2026, "column": "discounted"}),
        ("costs_table", {"year": 2030, "column": "discounted"}),
        ("costs_table", {"year": 2030, "column": "residual"}),
        ("objective", {}),
    ]
    amounts = [x.amount for x in v if x.family not in ("party_costs_table", "frames_table")]
    assert amounts == pytest.approx([100, 100, 100, 50, 50, 50])
    assert check_plan(build_or_lease(overrun=0.1), res).objective == pytest.approx(600.0)


def test_closure_year_not_whole(cc):
    sc, res = cc
    v = check(sc, changed(res, "actions", {"action": "close"}, "year", 2027.5))
    assert ("actions_table", {"site": "OLD", "year": 2027.5, "column": "year"}) in found(v)
    assert "stays_closed" not in families(v)


# ------------------------------------------------------------------------------- round trips


def test_saved_and_read_back_tables_pass(cc, tmp_path):
    """CSV turns blank text into NaN and whole floats into ints: still no violation."""
    sc, res = cc
    res.save(tmp_path / "out", excel=False)
    back = dataclasses.replace(res, **{name: pd.read_csv(tmp_path / "out" / f"{name}.csv") for name in res.tables()})
    assert check(sc, back) == []
