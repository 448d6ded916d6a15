"""Evaluating a given plan, and single-site catchments: hand-worked cases."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import allocopt
from allocopt.cli import cli
from allocopt.load import write_scenario
from cases import Budget, District, Option, Service, Site, SiteCapacity, build_or_lease, flat, tiny


def plan(*rows):
    return pd.DataFrame([dict(zip(("year", "action", "option", "site", "modules"), r, strict=False)) for r in rows])


def test_evaluating_the_optimal_plan_reproduces_its_cost():
    sc = build_or_lease()
    best = allocopt.solve(sc, mip_gap=0.0)
    mine = allocopt.evaluate(sc, best.actions)
    assert mine.status == "evaluated"
    assert mine.objective == pytest.approx(best.objective, rel=1e-9)
    assert mine.violations == []


def test_a_strategists_plan_is_priced_next_to_the_optimum():
    """Taking the lease instead of the build: 750 against the optimum 550."""
    sc = build_or_lease()
    mine = allocopt.evaluate(sc, plan((2026, "lease", "L", None, 1)))
    assert mine.objective == pytest.approx(750.0)
    assert mine.violations == []
    assert allocopt.check(sc, mine) == []


def test_budget_breaches_are_named_not_refused():
    """A capex cap of 500 in 2026 forbids the 1000 build then; evaluated anyway, the breach is named."""
    sc = build_or_lease(budget=[Budget(year=2026, capex_cap=500.0)])
    mine = allocopt.evaluate(sc, plan((2026, "build", "B", None, 1)))
    assert mine.status == "evaluated"
    assert mine.objective == pytest.approx(550.0)
    assert len(mine.violations) == 1 and mine.violations[0].startswith("capex_cap[year=2026]")


def test_a_plan_short_of_capacity_shows_unmet_demand():
    """Building only in 2028 leaves 100 places unmet in 2026 and 2027; at a penalty of 1000 per
    place-year: 1000 + 3·10 − 1000·(1 − 3/10) + 200·1000 = 200 330."""
    sc = build_or_lease(penalty=1000.0)
    mine = allocopt.evaluate(sc, plan((2028, "build", "B", None, 1)))
    assert mine.balance["unmet"].sum() == pytest.approx(200.0)
    assert mine.objective == pytest.approx(200_330.0)


def test_an_opening_after_the_latest_year_is_a_named_breach():
    """The build is offered until 2027 (latest_year); the plan opens it in 2028 anyway. Priced as
    the plan says (as above, 200 330 with a penalty of 1000), the opening is named as a breach of
    opening_year, one year late; opening in 2027 is no breach."""
    sc = build_or_lease(penalty=1000.0)
    options = [o.model_copy(update={"latest_year": 2027}) if o.option == "B" else o for o in sc.options]
    sc = sc.model_copy(update={"options": options})
    mine = allocopt.evaluate(sc, plan((2028, "build", "B", None, 1)))
    assert mine.status == "evaluated"
    assert mine.objective == pytest.approx(200_330.0)
    assert len(mine.violations) == 1
    assert mine.violations[0].startswith("opening_year[option=B, year=2028]")
    assert "after its latest year 2027" in mine.violations[0]
    assert allocopt.evaluate(sc, plan((2027, "build", "B", None, 1))).violations == []


def test_unmet_where_forbidden_is_a_named_breach():
    sc = build_or_lease()
    mine = allocopt.evaluate(sc, plan((2028, "build", "B", None, 1)))
    assert mine.status == "evaluated"
    assert any(v.startswith("unmet_forbidden") for v in mine.violations)


def test_fixing_a_plan_gives_a_new_index_and_leaves_the_scenarios_index_as_it_was():
    """allocopt.index.fix_plan: a site S (may close) with an expansion E, the build B and the lease
    L; the plan expands S in 2027, leases L in 2026 and closes S from 2028. In the plan's index E
    opens only in 2027 and L only in 2026, B never; S is open in 2026-2027 and closed in 2028; the
    site's options are the plan's own; forbidden unmet demand is priced at the stand-in penalty.
    The scenario's index is untouched."""
    from allocopt.index import build_index, fix_plan

    sc = tiny(
        2026,
        2028,
        demand=flat(100, range(2026, 2029)),
        sites=[Site(site="S", district="A", may_close=True)],
        capacities=[SiteCapacity(site="S", service="pre", capacity=50.0)],
        options=[
            Option(option="E", kind="expansion", site="S", service="pre", capacity=20.0, capex=100.0),
            Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=1000.0),
            Option(option="L", kind="lease", district="A", service="pre", capacity=100.0, rent=250.0, term=10),
        ],
    )
    index = build_index(sc)
    before = (
        {n: list(o.years) for n, o in index.options.items()},
        dict(index.sites["S"].open_lb),
        index.services["pre"].penalty,
    )
    fixed = fix_plan(index, {("E", 2027): 1, ("L", 2026): 1}, {"S": 2028}, forbidden_penalty=1e9)
    assert {n: o.years for n, o in fixed.options.items()} == {"E": [2027], "B": [], "L": [2026]}
    assert fixed.sites["S"].open_lb == fixed.sites["S"].open_ub == {2026: 1, 2027: 1, 2028: 0}
    assert fixed.site_options("S") == [fixed.options["E"]] and fixed.conflicts == []
    assert fixed.services["pre"].penalty == 1e9
    after = (
        {n: list(o.years) for n, o in index.options.items()},
        dict(index.sites["S"].open_lb),
        index.services["pre"].penalty,
    )
    assert after == before and before[2] is None and before[0]["B"]


def test_an_evaluation_keeps_the_highs_log_and_times_its_phases():
    mine = allocopt.evaluate(build_or_lease(), plan((2026, "lease", "L", None, 1)))
    assert "HiGHS" in mine.solver_log
    assert {"index", "build", "count", "hand_off", "highs", "solve", "results", "check"} <= set(mine.timings)


def test_evaluate_through_the_cli(tmp_path):
    folder = tmp_path / "sc"
    write_scenario(build_or_lease(), folder)
    plan((2026, "lease", "L", None, 1)).to_csv(tmp_path / "plan.csv", index=False)
    res = CliRunner().invoke(
        cli, ["evaluate", str(folder), "--plan", str(tmp_path / "plan.csv"), "--out", str(tmp_path / "out")]
    )
    assert res.exit_code == 0, res.output
    assert "evaluated" in res.output
    costs = pd.read_csv(tmp_path / "out" / "costs.csv")
    assert costs["discounted"].sum() == pytest.approx(750.0)

    (tmp_path / "bad.csv").write_text("year,action,option,modules\n2026,lease,L,1\n2026,build,NOPE,1\n")
    res = CliRunner().invoke(cli, ["evaluate", str(folder), "--plan", str(tmp_path / "bad.csv")])
    assert res.exit_code == 2
    assert "bad.csv, row 3, column 'option'" in res.output and "unknown option 'NOPE'" in res.output


def catchments(assignment: str, penalty="forbidden"):
    """A (0,0) and B (2,0) each need 30 places; S1 in A has 40, S2 in B has 25; a new 50-place
    site N in B costs 100 (residual none, r = 0); travel 1 SEK per place-km."""
    return tiny(
        2026,
        2026,
        penalty=penalty,
        residual="none",
        districts=[District(district="A", x_km=0, y_km=0), District(district="B", x_km=2, y_km=0)],
        services=[Service(service="pre", max_km=5.0, travel_cost=1.0, assignment=assignment)],
        demand={("A", "pre", 2026): 30.0, ("B", "pre", 2026): 30.0},
        sites=[Site(site="S1", district="A"), Site(site="S2", district="B")],
        capacities=[
            SiteCapacity(site="S1", service="pre", capacity=40.0),
            SiteCapacity(site="S2", service="pre", capacity=25.0),
        ],
        options=[Option(option="N", kind="build", district="B", service="pre", capacity=50.0, capex=100.0)],
    )


def test_split_assignment_shares_a_district():
    """Split: B sends 25 to S2 and 5 to S1 (2 km): travel 10, no build."""
    sc = catchments("split")
    r = allocopt.solve(sc, mip_gap=0.0)
    assert r.objective == pytest.approx(10.0)
    assert r.actions.empty
    assert allocopt.check(sc, r) == []


def test_single_assignment_gives_each_district_one_site():
    """Single: B (30) fits neither S2 (25) nor S1 beside A (30 + 30 > 40), and A does not fit S2:
    N must be built for B. Cost 100; each district served by exactly one site."""
    sc = catchments("single")
    r = allocopt.solve(sc, mip_gap=0.0)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(100.0)
    assert r.actions["option"].tolist() == ["N"]
    assert r.assignments.groupby("district")["site"].nunique().tolist() == [1, 1]
    assert dict(zip(r.assignments["district"], r.assignments["site"], strict=True)) == {"A": "S1", "B": "N"}
    assert allocopt.check(sc, r) == []


def test_single_assignment_with_unmet_allowed_leaves_a_whole_district_unmet():
    """Penalty 2 per place: leaving all of B's 30 places unmet (60) beats building N (100)."""
    sc = catchments("single", penalty=2.0)
    r = allocopt.solve(sc, mip_gap=0.0)
    assert r.objective == pytest.approx(60.0)
    assert r.balance.set_index("district")["unmet"].to_dict() == pytest.approx({"A": 0.0, "B": 30.0})
    assert allocopt.check(sc, r) == []
