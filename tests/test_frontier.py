"""The budget frontier (allocopt.frontier): tiny scenarios whose frontier was worked out by hand (in
each docstring), monotonicity and the checker's word on random small scenarios, and the command."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import allocopt
from allocopt.frontier import BRACKETED, frame_columns, frontier, level_scenario
from allocopt.frontier_levels import LEVEL_COLUMNS
from allocopt.load import write_scenario
from cases import Budget, Option, flat, run, tiny
from strategies import scenarios

BUILD = dict(kind="build", district="A", service="pre", capacity=100.0, capex=1000.0, lifetime=10)


def build_or_unmet(**kw):
    """100 places in 2027-2029 (none in 2026), unmet penalty 1000 per place-year, r = 0. One build,
    capex 1000 paid on opening (lead time 0), lifetime 10, residual straight-line."""
    return tiny(
        2026, 2029, penalty=1000.0, demand=flat(100, range(2027, 2030)), options=[Option(option="B", **BUILD)], **kw
    )


def test_hand_worked_capex_frontier():
    """Capex cap 500 in every year 2026-2029, levels × 0.5, 1, 2, 3 (given out of order).

    Below × 2 the cap (250 or 500 a year) never holds the build's 1000: no build, 300 place-years
    unmet at 1000 = 300 000, of which the real NPV (objective less the penalty) is 0. From × 2 (cap
    1000) it opens in 2027: 1000 − 1000·(1 − 3/10) = 300, nothing unmet. The frame over the horizon
    is 4 × 500 × level: from × 1 (2000) to × 2 (4000) the NPV falls by 299 700 for 2000 SEK, i.e.
    −299 700 / 0.002 = −149 850 000 per MSEK, and unmet demand by 300 / 0.002 = 150 000 place-years
    per MSEK.

    The levels are taken × 0.5, × 3 (its bound, 300, holds for every level), × 1, × 2. At × 2 the
    plan of × 3 (the build: capex 1000 in 2027, within the cap of 1000) costs 300, the bound of × 3:
    decided without a solve."""
    sc = build_or_unmet(budget=[Budget(year=y, capex_cap=500.0) for y in range(2026, 2030)])
    seen = []
    f = frontier(sc, [2, 0.5, 3, 1], mip_gap=0.0, progress=lambda i, n, r: seen.append((i, n, r.status)))
    t = f.levels
    assert list(t.columns) == LEVEL_COLUMNS
    assert t["level"].tolist() == [2, 0.5, 3, 1]
    assert seen == [(i, 4, "optimal") for i in range(1, 5)]
    assert t["status"].tolist() == ["optimal"] * 4
    assert t["objective"].tolist() == pytest.approx([300.0, 300_000.0, 300.0, 300_000.0], abs=1e-6)
    assert t["unmet_place_years"].tolist() == pytest.approx([0.0, 300.0, 0.0, 300.0], abs=1e-6)
    assert t["capex_total"].tolist() == pytest.approx([1000.0, 0.0, 1000.0, 0.0], abs=1e-6)
    assert t["npv_real"].tolist() == pytest.approx([300.0, 0.0, 300.0, 0.0], abs=1e-6)
    assert t["frame_total"].tolist() == pytest.approx([4000.0, 1000.0, 6000.0, 2000.0])
    # differences to the next tighter level: × 2 against × 1; × 1 against × 0.5; × 3 against × 2
    assert t["actions_changed"].tolist() == [1, 0, 0, 0]
    assert t.at[0, "d_npv_per_msek"] == pytest.approx(-149_850_000.0)
    assert t.at[0, "d_unmet_per_msek"] == pytest.approx(-150_000.0)
    assert t.at[0, "d_npv_per_msek_low"] == pytest.approx(-149_850_000.0)
    assert t.at[0, "d_npv_per_msek_high"] == pytest.approx(-149_850_000.0)
    assert t.at[2, "d_npv_per_msek"] == pytest.approx(0.0, abs=1e-6)
    assert math.isnan(t.at[1, "d_npv_per_msek"])  # the tightest level has no neighbour below
    for level, result in zip(t["level"], f.results, strict=True):
        assert allocopt.check(level_scenario(sc, level), result) == []
    assert [r.actions["option"].tolist() for r in f.results] == [["B"], [], ["B"], []]
    assert f.results[0].costs["capex_cap"].tolist() == pytest.approx([1000.0] * 4)  # the level's own caps
    assert t["message"].tolist()[0] == BRACKETED and BRACKETED not in t["message"].tolist()[1:]
    assert f.results[0].solver_log == ""  # no solve


def test_levels_in_msek_set_capex_cap_where_the_scenario_has_none():
    """The same scenario without any budget; levels 0.0005 and 0.001 MSEK (500 and 1000 SEK) a
    year set capex_cap in every year: 300 000 and 300, as above. The model is built from the
    loosest level (1000), the tighter level is a change of the rows' right-hand sides."""
    sc = build_or_unmet()
    assert frame_columns(sc, "capex", "msek") == ("capex_cap",)
    f = frontier(sc, [0.001, 0.0005], unit="msek", mip_gap=0.0)
    assert f.levels["objective"].tolist() == pytest.approx([300.0, 300_000.0], abs=1e-6)
    assert [b.capex_cap for b in level_scenario(sc, 0.0005, unit="msek").budget] == [500.0] * 4
    with pytest.raises(ValueError, match="no capex_cap or investment_cap"):
        frontier(sc, [1.0])


def test_hand_worked_opex_frontier():
    """Build B (capex 1000, no opex: 300 as above) or lease L (rent 50 a year, 100 places: 3 × 50 =
    150 for 2027-2029); no capex cap, an opex cap (operating cost plus external rent) of 40 a year.
    × 1: the lease's rent does not fit, the build: 300. × 2 (80 a year): the lease, 150."""
    lease = Option(option="L", kind="lease", district="A", service="pre", capacity=100.0, rent=50.0, term=10)
    sc = tiny(
        2026,
        2029,
        demand=flat(100, range(2027, 2030)),
        options=[Option(option="B", **BUILD), lease],
        budget=[Budget(year=y, opex_cap=40.0) for y in range(2026, 2030)],
    )
    f = frontier(sc, [1.0, 2.0], "opex", mip_gap=0.0)
    assert f.levels["objective"].tolist() == pytest.approx([300.0, 150.0], abs=1e-6)
    assert [r.actions["option"].tolist() for r in f.results] == [["B"], ["L"]]
    assert f.levels.at[1, "actions_changed"] == 2


def test_a_tight_level_without_a_plan_is_reported_and_looser_levels_still_solve():
    """Unmet demand forbidden: below × 2 no plan exists (infeasible); × 2 builds: 300."""
    sc = tiny(
        2026,
        2029,
        demand=flat(100, range(2027, 2030)),
        options=[Option(option="B", **BUILD)],
        budget=[Budget(year=y, capex_cap=500.0) for y in range(2026, 2030)],
    )
    f = frontier(sc, [1.0, 2.0], mip_gap=0.0)
    assert f.levels["status"].tolist() == ["infeasible", "optimal"]
    assert f.levels.at[1, "objective"] == pytest.approx(300.0, abs=1e-6)
    assert f.results[0].objective is None


@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios(force_caps=True))
def test_frontier_is_monotone_and_every_plan_passes_the_checker_under_its_own_frame(sc):
    """The objective never rises as the frame grows; every level's plan passes the independent
    checker against the level's scenario; each level's optimum equals an independent solve's."""
    try:
        frame_columns(sc, "capex", "factor")
    except ValueError:
        sc = level_scenario(sc, 3000.0, unit="msek")  # no capex frame drawn: set one
    levels = [1.5, 0.25, 1.0, 0.5]
    f = frontier(sc, levels, mip_gap=0.0, time_limit=30)
    objective = dict(zip(levels, f.levels["objective"], strict=True))
    found = [objective[x] for x in sorted(levels) if not pd.isna(objective[x])]
    assert all(b <= a + 1e-6 * max(1.0, abs(a)) for a, b in zip(found, found[1:], strict=False))
    for level, result in zip(levels, f.results, strict=True):
        assert result.status in ("optimal", "infeasible"), result.message
        alone = allocopt.solve(level_scenario(sc, level), mip_gap=0.0, time_limit=30)
        assert alone.status == result.status
        if result.has_plan:
            assert allocopt.check(level_scenario(sc, level), result) == []
            assert result.objective == pytest.approx(alone.objective, rel=1e-6, abs=1e-4)


# ---------------------------------------------------------------- the command


@pytest.fixture
def folder(tmp_path):
    target = tmp_path / "scenario"
    write_scenario(build_or_unmet(budget=[Budget(year=y, capex_cap=500.0) for y in range(2026, 2030)]), target)
    return target


def test_cli_writes_the_frontier_and_each_levels_results(folder, tmp_path):
    out = tmp_path / "out"
    r = run("frontier", str(folder), "--capex-scale", "0.5:2:4", "--out", str(out), "--mip-gap", "0")
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "frontier.csv")
    assert t["level"].tolist() == [0.5, 1.0, 1.5, 2.0]
    assert t["objective"].tolist() == pytest.approx([300_000.0, 300_000.0, 300_000.0, 300.0], abs=1e-6)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [f"level_{i}" for i in range(1, 5)]
    assert (out / "level_4" / "summary.json").exists()
    assert "frontier written to" in r.output


def test_cli_levels_in_msek(folder, tmp_path):
    out = tmp_path / "out"
    r = run("frontier", str(folder), "--capex-levels", "0.0005,0.001", "--out", str(out), "--quiet")
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out / "frontier.csv")["objective"].tolist() == pytest.approx([300_000.0, 300.0], rel=0.005)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--capex-scale", "0.8:1.5"], "start:stop:count"),
        (["--capex-scale", "0.8:1.5:x"], "whole count"),
        (["--capex-scale", "1.5:0.8:3"], "start ≤ stop"),
        (["--capex-scale", "0.8:1.5:0"], "at least 1"),
        (["--capex-scale", "-1:1:3"], "start ≤ stop"),
        (["--capex-levels", "200,abc"], "comma-separated"),
        (["--capex-levels", "200,inf"], "finite"),
        ([], "exactly one of"),
        (["--capex-scale", "1:2:2", "--capex-levels", "200"], "exactly one of"),
        (["--opex-scale", "1:2:2"], "no opex_cap or operating_cap"),
    ],
)
def test_cli_bad_levels_exit_2(folder, tmp_path, args, words):
    r = run("frontier", str(folder), *args, "--out", str(tmp_path / "out"))
    assert r.exit_code == 2, r.output
    assert words in r.output
    assert not (tmp_path / "out").exists()
