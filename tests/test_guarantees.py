"""The README's "What allocopt guarantees": a run without a plan allocopt stands behind writes
nothing into --out, and a plan the independent checker does not confirm is never called optimal."""

from __future__ import annotations

import importlib
import json
from dataclasses import replace

import pytest

import allocopt
from allocopt.load import write_scenario
from cases import build_or_lease, run, too_tight_frame

checker = importlib.import_module("allocopt.check")  # the module (allocopt.check is the function)


@pytest.fixture
def earlier(tmp_path):
    """A good result of build_or_lease (550 SEK) saved in ``tmp_path/out``; its files' bytes."""
    folder = tmp_path / "good"
    write_scenario(build_or_lease(), folder)
    out = tmp_path / "out"
    assert run("solve", str(folder), "--out", str(out)).exit_code == 0
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def infeasible_folder(tmp_path):
    """Demand 100 places 2027-2029; the only build costs 1 000 SEK against caps of 0 and 500."""
    sc = too_tight_frame()
    folder = tmp_path / "tight"
    write_scenario(sc, folder)
    return folder


def test_an_infeasible_run_leaves_the_earlier_result_untouched(earlier, tmp_path):
    out, before = earlier
    res = run("solve", str(infeasible_folder(tmp_path)), "--out", str(out))
    assert res.exit_code == 1
    assert "infeasible" in res.output and "nothing written" in res.output
    assert "results written" not in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not (tmp_path / "out.failed.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_infeasible_run_into_a_new_folder_creates_nothing(tmp_path):
    out = tmp_path / "new" / "out"
    res = run("solve", str(infeasible_folder(tmp_path)), "--out", str(out))
    assert res.exit_code == 1
    assert not out.exists()


def test_failure_record_beside_out(earlier, tmp_path):
    out, before = earlier
    res = run("solve", str(infeasible_folder(tmp_path)), "--out", str(out), "--failure-record")
    assert res.exit_code == 1
    record = json.loads((tmp_path / "out.failed.json").read_text())
    assert record["status"] == "infeasible" and record["message"]
    assert record["settings"]["mip_gap"] == 0.005
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def skewed_check(shift: float):
    """checker.check_plan whose recomputed objective is off by ``shift`` (a share)."""
    real = checker.check_plan

    def check_plan(scenario, result):
        report = real(scenario, result)
        return replace(report, objective=report.objective * (1 + shift))

    return check_plan


def test_a_plan_whose_cost_the_checker_does_not_confirm_is_unverified(monkeypatch):
    """build_or_lease: the solver's 550 SEK against a checker that recomputes 1 % more: the gap
    (0.5 %) cannot cover it, so the plan is not called optimal."""
    monkeypatch.setattr(checker, "check_plan", skewed_check(0.01))
    result = allocopt.solve(build_or_lease())
    assert result.status == "unverified"
    assert "550.00 SEK" in result.message and "555.50 SEK" in result.message
    assert result.has_plan


def test_a_difference_within_the_gap_is_confirmed(monkeypatch):
    """0.1 % off, within the 0.5 % gap: still optimal."""
    monkeypatch.setattr(checker, "check_plan", skewed_check(0.001))
    assert allocopt.solve(build_or_lease()).status == "optimal"


def test_a_plan_that_breaks_a_rule_is_unverified(monkeypatch):
    """A checker that finds a violation: unverified, the violation in the message and the result."""
    real = checker.check_plan

    def check_plan(scenario, result):
        report = real(scenario, result)
        broken = checker.Violation("capex_cap", {"year": 2026}, 1.0, "capex 1 SEK over the cap")
        return replace(report, violations=[broken])

    monkeypatch.setattr(checker, "check_plan", check_plan)
    result = allocopt.solve(build_or_lease())
    assert result.status == "unverified"
    assert "capex_cap[year=2026]" in result.message
    assert result.violations == ["capex_cap[year=2026]: capex 1 SEK over the cap (by 1)"]


def test_an_unverified_plan_is_not_saved(earlier, tmp_path, monkeypatch):
    out, before = earlier
    monkeypatch.setattr(checker, "check_plan", skewed_check(0.02))
    folder = tmp_path / "again"
    write_scenario(build_or_lease(), folder)
    res = run("solve", str(folder), "--out", str(out), "--failure-record")
    assert res.exit_code == 1
    assert "unverified" in res.output and "does not confirm" in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    record = json.loads((tmp_path / "out.failed.json").read_text())
    assert record["status"] == "unverified" and record["objective"] == pytest.approx(550.0)


def test_python_m_allocopt_is_the_command_line():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "allocopt", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "solve" in done.stdout
