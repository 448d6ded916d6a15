"""End to end: `allocopt solve` on the embedded default scenario, from any working directory.

With its default settings (one thread, no first plan) the default scenario does not reach a
proven 0.5 % gap in two minutes (about 1.0 % at 120 s: benchmarks/RESULTS.md), so the README's
command is run with a 2 % gap; `--first-plan --threads 2` proves the default 0.5 % in just
under a minute. Both are proven, hence "optimal" and repeatable (a solve stopped by its time limit is
not), and marked slow: CI runs them in its second step.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import allocopt
from allocopt.result import RESULT_FILES, TABLE_COLUMNS
from cases import assert_same_results

GAP = 0.02


def _allocopt(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("allocopt")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The README's command, `allocopt solve`, run twice in a fresh folder (default output place)."""
    runs = []
    for name in ("first", "second"):
        cwd = tmp_path_factory.mktemp(name)
        proc = _allocopt("solve", "--mip-gap", str(GAP), "--time-limit", "1200", cwd=cwd)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs.append((cwd / "results" / "sodertalje", proc))
    return runs


@pytest.fixture(scope="module")
def two_runs_with_first_plan(tmp_path_factory):
    """`allocopt solve --first-plan --threads 2` (default gap 0.5 %) twice, in fresh folders."""
    runs = []
    for name in ("first", "second"):
        cwd = tmp_path_factory.mktemp(name)
        proc = _allocopt("solve", "--first-plan", "--threads", "2", "--time-limit", "300", cwd=cwd)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs.append(cwd / "results" / "sodertalje")
    return runs


@pytest.mark.slow
def test_first_plan_beside_highs_proves_half_a_percent_the_same_way_twice(two_runs_with_first_plan):
    first, second = two_runs_with_first_plan
    summary = json.loads((first / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["gap"] <= 0.005
    assert_same_results(first, second)
    scenario = allocopt.load_scenario(allocopt.default_scenario_path())
    result = allocopt.Result(scenario="sodertalje", status="optimal", objective=summary["objective"])
    for name in TABLE_COLUMNS:
        setattr(result, name, pd.read_csv(first / f"{name}.csv"))
    assert allocopt.check(scenario, result) == []


@pytest.mark.slow
def test_solves_to_optimal_and_writes_every_file(two_runs):
    folder, proc = two_runs[0]
    assert sorted(p.name for p in folder.iterdir()) == sorted(RESULT_FILES)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["gap"] <= GAP
    for key in ("scenario", "objective", "bound", "gap"):
        assert summary[key] is not None
    assert set(summary["timings"]) >= {"load", "build", "solve", "write"}
    assert "NPV" in proc.stdout and "Actions per year" in proc.stdout
    assert not list(folder.parent.glob(".*")), "a temporary folder was left behind"


@pytest.mark.slow
def test_same_input_gives_identical_files(two_runs):
    (first, _), (second, _) = two_runs
    assert_same_results(first, second)


@pytest.mark.slow
def test_plan_passes_the_independent_checker(two_runs):
    folder, _ = two_runs[0]
    scenario = allocopt.load_scenario(allocopt.default_scenario_path())
    result = allocopt.Result(scenario="sodertalje", status="optimal",
                             objective=json.loads((folder / "summary.json").read_text())["objective"])
    for name in TABLE_COLUMNS:
        setattr(result, name, pd.read_csv(folder / f"{name}.csv"))
    assert allocopt.check(scenario, result) == []


def test_default_scenario_ships_inside_the_package():
    path = Path(str(allocopt.default_scenario_path()))
    assert (path / "scenario.yaml").is_file()
    scenario = allocopt.load_scenario(path)
    assert 12 <= len(scenario.districts) <= 20
    assert {s.service for s in scenario.services} >= {"preschool", "school_f6", "school_79", "elderly"}
    assert 40 <= len(scenario.options) <= 80
