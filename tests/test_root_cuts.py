"""The root cut loop (allocopt.root_cuts): its rows hold in every whole plan, it raises the LP
bound as worked out by hand, and a published optimum is still reproduced with it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import highspy
import numpy as np
import pytest

from allocopt.highs_threads import HIGHS_THREADS
from allocopt.importers import read_holmberg, read_orlib
from allocopt.index import build_index
from allocopt.model.build import FORMULATIONS, build_model
from allocopt.root_cuts import RootCutSettings, _integer_columns, candidates, source_rows, strengthen
from allocopt.solver import hand_off, run

SHARED = Path(__file__).resolve().parents[2] / "shared"

TWO_SITES_SINGLE = """2 2
10 100
10 60
2 2
10 10
40 40
"""
"""Holmberg format. Sites A (capacity 10, fixed cost 100) and B (10, 60); customers 1 and 2, each
demand 2, served whole from one site at 10 from A, 40 from B.

Optimum 120: A alone (100 + 10 + 10); B alone costs 60 + 40 + 40 = 140, both 180.
Plain LP bound 60: ``2 pick_A1 + 2 pick_A2 ≤ 10 open_A`` lets a customer served from A pay a fifth
of A, 10 + 100/5 = 30 each (from B 40 + 60/5 = 52), so both from A with open_A = 0.4.
With ``pick_link`` (``pick_Aj ≤ open_A``, ``pick_Bj ≤ open_B``) a share ``a`` of both customers
from A costs ``100 a + 60 (1 - a) + 20 a + 80 (1 - a) = 140 - 20 a``, least at ``a = 1``: 120."""

THREE_SITES_SPLIT = """3 2
10 50
6 40
4 30
7 1 2 3
6 3 2 1
"""
"""OR-Library format. Capacities 10, 6 and 4; demands 7 and 6 (13 places in all), split freely.
``cover_count`` from ``capacity_cover``: the largest capacities first, 10 < 13 ≤ 10 + 6, so at
least 2 sites open: ``open_1 + open_2 + open_3 ≥ 2`` ({6, 4} alone holds only 10 places)."""


def _handed(scenario):
    families, state = FORMULATIONS["allocopt"]
    pm = build_model(build_index(scenario), families=families, state=state)
    return pm, hand_off(pm.model)


def _whole_plans(lp):
    """Every assignment of the integer columns of ``lp`` (each within its bounds) for which the
    rest of the model has a solution: the model's whole plans, by enumeration."""
    integer = np.flatnonzero(_integer_columns(lp))
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    assert len(integer) <= 12, "enumeration is for tiny models"
    HIGHS_THREADS.use(1)
    check = highspy.Highs()
    check.setOptionValue("output_flag", False)
    check.setOptionValue("threads", 1)
    check.passModel(lp)
    check.setOptionValue("solve_relaxation", True)
    ranges = [range(int(lower[j]), int(upper[j]) + 1) for j in integer]
    plans = []
    for values in itertools.product(*ranges):
        for j, v in zip(integer, values):
            check.changeColBounds(int(j), float(v), float(v))
        check.run()
        if check.getModelStatus() == highspy.HighsModelStatus.kOptimal:
            plans.append(np.asarray(check.getSolution().col_value))
    for j in integer:
        check.changeColBounds(int(j), float(lower[j]), float(upper[j]))
    return plans


@pytest.mark.parametrize(
    "text, reader, family",
    [(TWO_SITES_SINGLE, read_holmberg, "pick_link"), (THREE_SITES_SPLIT, read_orlib, "cover_count")],
)
def test_every_candidate_cut_holds_in_every_whole_plan(tmp_path, text, reader, family):
    path = tmp_path / "tiny.txt"
    path.write_text(text)
    pm, handed = _handed(reader(path))
    lp = handed.highs.getLp()
    cand = candidates(lp, source_rows(pm.model, handed.row), ("pick_link", "cover_count"))
    assert family in cand.family
    plans = _whole_plans(lp)
    assert plans, "the tiny model has whole plans"
    for x in plans:
        assert cand.violation(x).max() <= 1e-9


def test_cover_count_needs_two_of_three_sites(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(THREE_SITES_SPLIT)
    pm, handed = _handed(read_orlib(path))
    cand = candidates(handed.highs.getLp(), source_rows(pm.model, handed.row), ("cover_count",))
    assert cand.family == ["cover_count"]
    assert len(cand.columns[0]) == 3 and cand.lower[0] == 2.0


def test_pick_link_raises_the_bound_to_the_optimum(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TWO_SITES_SINGLE)
    pm, handed = _handed(read_holmberg(path))
    rows = source_rows(pm.model, handed.row)
    report = strengthen(handed.highs, rows, seconds=30.0, settings=RootCutSettings(families=("pick_link",)))
    scale = pm.money_scale
    assert report.lp_bound / scale == pytest.approx(60.0)
    assert report.cut_bound / scale == pytest.approx(120.0)
    assert report.added["pick_link"] >= 2
    assert handed.highs.getNumRow() == handed.highs.getLp().num_row_  # the rows are in the model HiGHS holds
    outcome = run(handed, time_limit=30.0, mip_gap=0.0, objective_scale=scale)
    assert outcome.status == "optimal" and outcome.objective == pytest.approx(120.0)


@pytest.mark.skipif(not (SHARED / "orlib" / "optima.json").is_file(), reason="published files not found")
@pytest.mark.parametrize("instance, adds_rows", [("cap41", False), ("p1", True)])
def test_published_optimum_with_the_loop_on(instance, adds_rows):
    """cap41's LP relaxation already meets its ``cover_count`` row (the loop adds nothing); p1's
    breaks ``pick_link`` rows."""
    if instance.startswith("cap"):
        scenario = read_orlib(SHARED / "orlib" / f"{instance}.txt")
        published = json.loads((SHARED / "orlib" / "optima.json").read_text())[instance]
    else:
        scenario = read_holmberg(SHARED / "holmberg" / instance)
        published = json.loads((SHARED / "holmberg" / "optima.json").read_text())[instance]
    pm, handed = _handed(scenario)
    rows_before = handed.highs.getNumRow()
    outcome = run(handed, time_limit=60.0, mip_gap=0.0, objective_scale=pm.money_scale, root_cuts=RootCutSettings())
    if adds_rows:
        assert handed.highs.getNumRow() > rows_before
    assert outcome.status == "optimal"
    assert outcome.objective == pytest.approx(published, rel=1e-6)


@pytest.mark.skipif(not (SHARED / "holmberg" / "optima.json").is_file(), reason="published files not found")
def test_allocopt_solve_switches_the_loop_on():
    """Through the public API: off by default (no ``root_cuts`` phase), on with ``RootCutSettings()``;
    p1's published optimum either way, the plan confirmed by the checker."""
    import allocopt

    scenario = read_holmberg(SHARED / "holmberg" / "p1")
    published = json.loads((SHARED / "holmberg" / "optima.json").read_text())["p1"]
    off = allocopt.solve(scenario, mip_gap=0.0, time_limit=60)
    on = allocopt.solve(scenario, mip_gap=0.0, time_limit=60, root_cuts=RootCutSettings())
    assert "root_cuts" not in off.timings and "root_cuts" in on.timings
    for result in (off, on):
        assert result.status == "optimal" and result.objective == pytest.approx(published, rel=1e-6)
