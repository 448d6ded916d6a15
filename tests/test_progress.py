"""The live progress line of a long solve: HiGHS's log lines reach the caller as Progress, and the
terminal shows them on one line that disappears when the solve ends (nothing on a pipe)."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from rich.console import Console

import allocopt
from allocopt.cli import cli
from allocopt.console import SolveProgress
from allocopt.load import write_scenario
from allocopt.solver import Progress
from cases import build_or_lease


def test_progress_reports_the_plan_the_solve_returns():
    """build_or_lease: the optimum 550 SEK (build 1000 + opex 50 − residual 500) is HiGHS's last
    logged plan, proven (gap 0); elapsed seconds never go back."""
    seen: list[Progress] = []
    result = allocopt.solve(build_or_lease(), progress=seen.append)
    assert result.status == "optimal" and seen
    assert seen[-1].objective == pytest.approx(550.0) and seen[-1].bound == pytest.approx(550.0)
    assert seen[-1].gap == pytest.approx(0.0)
    assert all(a.seconds <= b.seconds for a, b in zip(seen, seen[1:]))


def test_the_live_line_shows_elapsed_plan_bound_and_gap():
    out = io.StringIO()
    line = SolveProgress(Console(file=out, force_terminal=True, width=100), "solving")
    assert "looking for a first plan" in line.__rich__().plain
    line(Progress(12.0, 2_759_500_000.0, 2_745_800_000.0, 0.00497))
    text = line.__rich__().plain
    assert "best plan 2,759.5 MSEK" in text and "bound 2,745.8 MSEK" in text and "gap 0.50 %" in text


def test_no_live_line_when_the_output_is_no_terminal(tmp_path):
    write_scenario(build_or_lease(), tmp_path / "s")
    run = CliRunner().invoke(cli, ["solve", str(tmp_path / "s"), "--out", str(tmp_path / "r")])
    assert run.exit_code == 0, run.output
    assert "solving:" not in run.output and "looking for a first plan" not in run.output
    assert SolveProgress(Console(file=io.StringIO())).live is None
