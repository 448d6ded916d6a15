"""End to end: `allocopt solve` on the embedded default scenario, from any working directory.

The README's command with its default settings (gap 0.5 %, two threads: the first plan made
beside HiGHS) proves the default scenario well within its time limit (benchmarks/RESULTS.md).
It runs here with a longer time limit, so that a slow or busy machine still ends with the whole
first plan and a proof (a solve cut short by its time limit is neither "optimal" nor
repeatable), twice; marked slow: CI runs it in its second step.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import allocopt
from allocopt.solver import DEFAULT_MIP_GAP
from allocopt.tables import RESULT_FILES, TABLE_COLUMNS
from cases import assert_same_results


def _allocopt(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("allocopt")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd, timeout=900)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The README's command, `allocopt solve`, run twice in a fresh folder (default output place)."""
    runs = []
    for name in ("first", "second"):
        cwd = tmp_path_factory.mktemp(name)
        proc = _allocopt("solve", "--time-limit", "600", cwd=cwd)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        runs.append((cwd / "results" / "sodertalje", proc))
    return runs


@pytest.mark.slow
def test_solves_to_optimal_and_writes_every_file(two_runs):
    folder, proc = two_runs[0]
    assert sorted(p.name for p in folder.iterdir()) == sorted(RESULT_FILES)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["gap"] <= DEFAULT_MIP_GAP
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
    tables = {name: pd.read_csv(folder / f"{name}.csv") for name in TABLE_COLUMNS}
    result = allocopt.Result(
        scenario="sodertalje",
        status="optimal",
        objective=json.loads((folder / "summary.json").read_text())["objective"],
        **tables,
    )
    assert allocopt.check(scenario, result) == []


def test_default_scenario_ships_inside_the_package():
    path = Path(str(allocopt.default_scenario_path()))
    assert (path / "scenario.yaml").is_file()
    scenario = allocopt.load_scenario(path)
    assert 12 <= len(scenario.districts) <= 20
    assert {s.service for s in scenario.services} >= {"preschool", "school_f6", "school_79", "elderly"}
    assert 40 <= len(scenario.options) <= 80
