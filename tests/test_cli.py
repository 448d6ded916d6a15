"""The command line, as a user runs it: exit codes, messages, files; no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from allocopt.load import write_scenario
from allocopt.tables import RESULT_FILES
from cases import Option, Site, SiteCapacity, assert_same_results, flat, run, tiny, too_tight_frame

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_folder(tmp_path):
    """A build-vs-lease scenario written as a folder (optimal cost 550, see test_model_cases)."""
    sc = tiny(
        2026,
        2030,
        demand=flat(100, range(2026, 2031)),
        sites=[Site(site="S", district="A", opex=1.0)],
        capacities=[SiteCapacity(site="S", service="pre", capacity=10.0)],
        options=[
            Option(
                option="B",
                kind="build",
                district="A",
                service="pre",
                capacity=100.0,
                capex=1000.0,
                opex=10.0,
                lifetime=10,
            )
        ],
    )
    folder = tmp_path / "small"
    write_scenario(sc, folder)
    return folder


def test_help_lists_the_commands():
    out = run("--help")
    assert out.exit_code == 0
    for command in ("solve", "validate"):
        assert command in out.output


def test_solve_writes_every_result_file(small_folder, tmp_path):
    out_dir = tmp_path / "out"
    res = run("solve", str(small_folder), "--out", str(out_dir), "--check")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(RESULT_FILES)
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(5 + 1000 + 50 - 500)
    assert set(summary["timings"]) >= {"load", "index", "build", "solve", "results", "write"}
    assert "optimal" in res.output and "NPV" in res.output
    assert "gap 0.5 %, time limit 120 s, 2 thread(s), with first plan" in res.output


def test_infeasible_scenario_exits_1_with_the_reason(tmp_path):
    sc = too_tight_frame()
    folder = tmp_path / "tight"
    write_scenario(sc, folder)
    res = run("solve", str(folder), "--out", str(tmp_path / "out"))
    assert res.exit_code == 1
    assert "infeasible" in res.output and "capex cap of 2027 is" in res.output and "500 SEK short" in res.output


def test_bad_input_exits_2_naming_file_row_and_column(small_folder):
    (small_folder / "site_capacities.csv").write_text("site,service,capacity\nS,pre,-5\nX,pre,10\n")
    res = run("validate", str(small_folder))
    assert res.exit_code == 2
    assert "site_capacities.csv, row 2, column 'capacity'" in res.output
    assert "site_capacities.csv, row 3, column 'site'" in res.output and "unknown site 'X'" in res.output
    res = run("solve", str(small_folder))
    assert res.exit_code == 2
    assert "row 2" in res.output


def test_usage_errors_exit_2(tmp_path):
    assert run("solve", "--mip-gap", "abc").exit_code == 2
    assert run("solve", str(tmp_path / "missing")).exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_validate_a_good_scenario(small_folder):
    res = run("validate", str(small_folder))
    assert res.exit_code == 0
    assert "valid" in res.output


def test_installed_command_runs_without_traceback(small_folder, tmp_path):
    """The real console script, in a subprocess: bad input gives exit 2 and no traceback."""
    (small_folder / "districts.csv").write_text("district,x_km,y_km\nA,zero,0\n")
    exe = Path(sys.executable).with_name("allocopt")
    proc = subprocess.run([str(exe), "solve", str(small_folder)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "districts.csv, row 2, column 'x_km'" in proc.stderr


def test_same_input_gives_identical_files(small_folder, tmp_path):
    """Two solves of one scenario write byte-identical files (summary.json: all but the timings)."""
    for name in ("a", "b"):
        assert run("solve", str(small_folder), "--out", str(tmp_path / name)).exit_code == 0
    assert_same_results(tmp_path / "a", tmp_path / "b")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folder left behind"


def test_out_folder_with_other_files_is_never_replaced(small_folder, tmp_path):
    """--out pointing at a folder of the user's own files: exit 2, the folder untouched."""
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "budget-2027.docx").write_text("precious")
    res = run("solve", str(small_folder), "--out", str(mine))
    assert res.exit_code == 2
    assert "holds other files" in res.output
    assert (mine / "budget-2027.docx").read_text() == "precious"
    assert run("solve", str(small_folder), "--out", str(tmp_path / "r")).exit_code == 0
    assert run("solve", str(small_folder), "--out", str(tmp_path / "r")).exit_code == 0  # a result replaces a result
