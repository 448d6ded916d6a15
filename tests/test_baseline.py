"""The do-nothing baseline (allocopt.baseline, ``allocopt solve --baseline``, ``compare --plan baseline``):
tiny cases worked out by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import allocopt
from allocopt.baseline import (
    BASELINE_PENALTY,
    SHORTFALL_COLUMNS,
    baseline,
    baseline_difference,
    baseline_scenario,
)
from allocopt.load import write_scenario
from allocopt.result import Result
from cases import Lock, Option, Site, SiteCapacity, run
from cases import school_140 as school

YEARS = range(2026, 2029)
NBSP = "\u202f"  # the thousands separator of allocopt.headline.number


def solved(result: Result) -> Result:
    assert result.status == "optimal", result.message
    return result


def opened(result: Result) -> list[tuple]:
    """(year, action, option or site, modules or None) of every action."""
    return sorted(
        (
            int(r["year"]),
            r["action"],
            r["option"] if isinstance(r["option"], str) else r["site"],
            None if pd.isna(r["modules"]) else int(r["modules"]),
        )
        for r in result.actions.to_dict("records")
    )


# ---------------------------------------------------------------- the Python API


def test_baseline_of_one_school_worked_by_hand():
    """Doing nothing: S serves 100 of 140 places, 40 unmet a year, 120 place-years over 3 years; real
    money 3 × 1 000 = 3 000 SEK, the penalty 120 × 100 = 12 000 SEK (objective 15 000).
    The plan builds B in 2026 (3 000 SEK saves 12 000 SEK of penalty; later would only add penalty):
    nothing unmet, real money 3 000 + 3 000 = 6 000 SEK.
    Against doing nothing: 120 more place-years for 3 000 SEK, 25 SEK per place-year."""
    scenario = school()
    plan = solved(allocopt.solve(scenario, mip_gap=0.0))
    base = solved(baseline(scenario, mip_gap=0.0))
    assert opened(plan) == [(2026, "build", "B", 1)]
    assert len(base.actions) == 0
    assert base.objective == pytest.approx(15_000.0)
    assert base.scenario == "tiny-baseline"
    assert allocopt.check(baseline_scenario(scenario), base) == []
    diff = baseline_difference(plan, base)
    assert diff.baseline_unmet_place_years == pytest.approx(120.0)
    assert diff.baseline_npv_real_money == pytest.approx(3000.0)
    assert diff.plan_npv_real_money == pytest.approx(6000.0)
    assert diff.extra_place_years == pytest.approx(120.0)
    assert diff.extra_npv_real_money == pytest.approx(3000.0)
    assert diff.sek_per_place_year == pytest.approx(25.0)
    assert diff.sentence() == f"the plan serves 120 more place-years for 3{NBSP}000 SEK of NPV, 25 SEK per place-year"
    assert list(diff.shortfall.columns) == SHORTFALL_COLUMNS
    assert diff.shortfall[["district", "service", "year", "demand", "unmet"]].values.tolist() == [
        ["A", "pre", y, 140.0, pytest.approx(40.0)] for y in YEARS
    ]
    summary = diff.summary()
    assert summary["sek_per_place_year"] == pytest.approx(25.0)
    assert [r["unmet"] for r in summary["shortfall_by_service_year"]] == [pytest.approx(40.0)] * 3


def test_baseline_keeps_what_a_force_lock_commits_and_no_more():
    """A lease L of 20 places a module (rent 100 SEK per module and year, up to 3 modules) forced to open
    by 2027. The baseline forbids B and keeps L's commitment, one module: it opens in 2026 (100 SEK a
    year against 20 × 100 of penalty), 20 places unmet a year: 60 place-years; real money 3 000 + 300 =
    3 300 SEK. Without the cap it would take a second module (40 places short). The plan leases 2 modules
    from 2026 (600 SEK, cheaper than B's 3 000): nothing unmet, 3 600 SEK. Difference: 60 place-years for
    300 SEK, 5 SEK per place-year."""
    lease = Option(
        option="L", kind="lease", district="A", service="pre", capacity=20.0, rent=100.0, term=10, max_modules=3
    )
    scenario = school(options=[lease], locks=[Lock(target="option", id="L", rule="force", year=2027)])
    copy = baseline_scenario(scenario)
    assert [(lk.id, lk.rule) for lk in copy.locks] == [("L", "force"), ("B", "forbid")]
    assert {o.option: o.max_modules for o in copy.options} == {"B": 1, "L": 1}
    plan = solved(allocopt.solve(scenario, mip_gap=0.0))
    base = solved(baseline(scenario, mip_gap=0.0))
    assert opened(plan) == [(2026, "lease", "L", 2)]
    assert opened(base) == [(2026, "lease", "L", 1)]
    assert allocopt.check(copy, base) == []
    diff = baseline_difference(plan, base)
    assert (diff.extra_place_years, diff.extra_npv_real_money) == (pytest.approx(60.0), pytest.approx(300.0))
    assert diff.sek_per_place_year == pytest.approx(5.0)


def test_baseline_prices_forbidden_unmet_demand_at_the_stand_in():
    """Unmet demand forbidden: the plan must build B; the baseline cannot serve 40 places a year and
    prices them at BASELINE_PENALTY (10 MSEK): penalty 120 × 10 MSEK = 1 200 MSEK, real money 3 000 SEK
    as before; the scenario given is left as it was."""
    scenario = school(penalty="forbidden")
    copy = baseline_scenario(scenario)
    assert copy.unmet_penalty("pre") == BASELINE_PENALTY and scenario.unmet_penalty("pre") is None
    base = solved(baseline(scenario, mip_gap=0.0))
    figures = allocopt.headline.key_figures(base)
    assert figures.unmet_place_years == pytest.approx(120.0)
    assert figures.penalty_npv == pytest.approx(120 * BASELINE_PENALTY)
    assert figures.npv_real_money == pytest.approx(3000.0)
    diff = baseline_difference(solved(allocopt.solve(scenario, mip_gap=0.0)), base)
    assert diff.sek_per_place_year == pytest.approx(25.0)


def test_baseline_still_closes_a_site_as_the_scenario_allows():
    """A second site T (30 places, opex 5 000 SEK a year, may close, nothing to pay or gain on closing):
    kept open it saves 30 × 100 = 3 000 SEK of penalty a year for 5 000 SEK, so the baseline closes it
    from 2026: 40 places unmet a year as without T, 120 place-years (T open: 30), real money 3 000 SEK."""
    scenario = school(
        sites=[Site(site="T", district="A", opex=5000.0, may_close=True)],
        capacities=[SiteCapacity(site="T", service="pre", capacity=30.0)],
    )
    base = solved(baseline(scenario, mip_gap=0.0))
    assert opened(base) == [(2026, "close", "T", None)]
    figures = allocopt.headline.key_figures(base)
    assert (figures.unmet_place_years, figures.npv_real_money) == (pytest.approx(120.0), pytest.approx(3000.0))


def test_difference_needs_two_plans():
    scenario = school()
    plan = solved(allocopt.solve(scenario, mip_gap=0.0))
    with pytest.raises(ValueError, match="the baseline holds no plan"):
        baseline_difference(plan, Result(scenario="tiny-baseline", status="infeasible", message="x"))


# ---------------------------------------------------------------- allocopt solve --baseline


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "school"
    write_scenario(school(), path)
    return path


def test_solve_baseline_writes_both_folders_and_the_difference(folder, tmp_path):
    out = tmp_path / "out"
    for _ in range(2):  # the second run replaces the first, baseline folder included
        result = run("solve", str(folder), "--out", str(out), "--baseline", "--mip-gap", "0", "--no-excel")
        assert result.exit_code == 0, result.output
    assert "against doing nothing: the plan serves 120 more place-years for 3" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["unmet_place_years"] == pytest.approx(0.0)
    assert summary["baseline"]["extra_place_years"] == pytest.approx(120.0)
    assert summary["baseline"]["extra_npv_real_money"] == pytest.approx(3000.0)
    assert summary["baseline"]["sek_per_place_year"] == pytest.approx(25.0)
    inner = json.loads((out / "baseline" / "summary.json").read_text())
    assert inner["status"] == "optimal" and inner["unmet_place_years"] == pytest.approx(120.0)
    shortfall = pd.read_csv(out / "baseline" / "shortfall.csv")
    assert shortfall["unmet"].tolist() == pytest.approx([40.0] * 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "school"]  # no earlier folder left behind
    # a plain solve would leave the baseline stale: it refuses the folder and keeps it
    plain = run("solve", str(folder), "--out", str(out), "--no-excel")
    assert plain.exit_code == 2 and (out / "baseline" / "summary.json").is_file()


def test_solve_baseline_without_a_baseline_plan_writes_nothing(folder, tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setattr(
        allocopt, "baseline", lambda *a, **k: Result(scenario="x", status="infeasible", message="no plan at all")
    )
    result = run("solve", str(folder), "--out", str(out), "--baseline", "--no-excel")
    assert result.exit_code == 1
    assert "the do-nothing baseline has no plan: infeasible no plan at all" in " ".join(result.output.split())
    assert not out.exists()


def test_solve_baseline_interrupted_while_writing_leaves_nothing(folder, tmp_path, monkeypatch):
    import allocopt.report

    out = tmp_path / "out"
    real = allocopt.report.write_tables
    calls = []

    def write_then_stop(result, path, **kw):
        calls.append(path)
        if len(calls) == 2:  # the baseline written, the plan not yet
            raise KeyboardInterrupt
        return real(result, path, **kw)

    monkeypatch.setattr(allocopt.report, "write_tables", write_then_stop)
    result = run("solve", str(folder), "--out", str(out), "--baseline", "--no-excel")
    assert result.exit_code == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["school"]


# ---------------------------------------------------------------- allocopt compare --plan baseline


def test_compare_entry_baseline(folder, tmp_path):
    """The optimum (reference) next to the baseline: 120 more unmet place-years and 3 000 SEK less real
    money for the baseline; the sentence said once."""
    out = tmp_path / "cmp"
    result = run("compare", str(folder), "--plan", "baseline", "--out", str(out))
    assert result.exit_code == 0, result.output
    npv = pd.read_csv(out / "npv.csv")
    assert npv["plan"].tolist() == ["optimum", "baseline"]
    assert npv["unmet_place_years_diff"].tolist() == pytest.approx([0.0, 120.0])
    assert npv["npv_real_diff"].tolist() == pytest.approx([0.0, -3000.0])
    assert "against doing nothing: the plan serves 120 more place-years" in result.output


def test_an_interrupted_plan_replaces_a_folder_with_a_baseline_only_when_asked(folder, tmp_path, monkeypatch):
    """Interrupted, the plan is saved as without --baseline (no baseline solved): over an earlier result
    only with --save-interrupted, and then the earlier baseline folder goes with the earlier plan."""
    import dataclasses

    out = tmp_path / "out"
    assert run("solve", str(folder), "--out", str(out), "--baseline", "--no-excel").exit_code == 0
    found = solved(allocopt.solve(school(), mip_gap=0.0))
    stopped = dataclasses.replace(found, status="interrupted", stopped_by="SIGINT")
    monkeypatch.setattr(allocopt, "solve", lambda *a, **k: stopped)
    kept = run("solve", str(folder), "--out", str(out), "--baseline", "--no-excel")
    assert kept.exit_code == 130 and (out / "baseline" / "summary.json").is_file()
    replaced = run("solve", str(folder), "--out", str(out), "--baseline", "--no-excel", "--save-interrupted")
    assert replaced.exit_code == 130
    assert json.loads((out / "summary.json").read_text())["status"] == "interrupted"
    assert not (out / "baseline").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "school"]
