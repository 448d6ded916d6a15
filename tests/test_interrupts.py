"""Ctrl-C and SIGTERM, as a user meets them: the real command in a subprocess and a real signal.

An interrupted solve ends with status ``interrupted``, exit code 130 (SIGINT) or 143 (SIGTERM),
no traceback and no temporary folder; it keeps the best plan found so far where that replaces no
earlier result (or with ``--save-interrupted``), and never replaces an earlier result otherwise.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import allocopt
from allocopt.interrupt import StopRequest
from allocopt.load import write_scenario
from cases import build_or_lease

EXE = Path(sys.executable).with_name("allocopt")
SOLVING = "allocopt-solve"


def start_solve(out: Path, *extra: str, cwd: Path) -> subprocess.Popen:
    """``allocopt solve`` of the default scenario (about 30 s to prove) into ``out``."""
    return subprocess.Popen(
        [str(EXE), "solve", "--out", str(out), "--time-limit", "60", *extra],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def signal_after(proc: subprocess.Popen, sig: int, seconds: float) -> tuple[int, str]:
    """Send ``sig`` to ``proc`` after ``seconds``; its exit code and all it printed."""
    time.sleep(seconds)
    assert proc.poll() is None, "the solve ended before the signal: " + proc.communicate()[1]
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    return proc.returncode, stdout + stderr


def no_temporary_entries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture
def earlier_result(tmp_path) -> Path:
    """A good result of a small scenario saved in ``tmp_path/out``."""
    folder = tmp_path / "small"
    write_scenario(build_or_lease(), folder)
    out = tmp_path / "out"
    done = subprocess.run(
        [str(EXE), "solve", str(folder), "--out", str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_keeps_the_earlier_result(earlier_result, tmp_path, sig, code):
    before = {p.name: p.read_bytes() for p in earlier_result.iterdir()}
    proc = start_solve(earlier_result, cwd=tmp_path)
    returncode, output = signal_after(proc, sig, 8.0)
    assert returncode == code, output
    assert "Traceback" not in output
    assert "interrupted" in output
    assert {p.name: p.read_bytes() for p in earlier_result.iterdir()} == before, "the earlier result was replaced"
    assert no_temporary_entries(tmp_path) == []
    assert not (tmp_path / "out.failed.json").exists()


def test_an_interrupted_plan_goes_into_a_new_folder_as_such(tmp_path):
    """Into a folder that holds no result, the best plan so far is saved with status 'interrupted'
    and its gap; when no plan was found yet, nothing is written."""
    out = tmp_path / "fresh"
    proc = start_solve(out, cwd=tmp_path)
    returncode, output = signal_after(proc, signal.SIGINT, 12.0)
    assert returncode == 130, output
    assert "Traceback" not in output
    if out.exists():
        summary = json.loads((out / "summary.json").read_text())
        assert summary["status"] == "interrupted"
        assert summary["stopped_by"] == "SIGINT"
        assert summary["objective"] > 0 and "actions" in summary
        assert "saved" in output
    else:
        assert "before any plan was found" in output
    assert no_temporary_entries(tmp_path) == []


def test_save_interrupted_replaces_the_earlier_result(earlier_result, tmp_path):
    proc = start_solve(earlier_result, "--save-interrupted", cwd=tmp_path)
    returncode, output = signal_after(proc, signal.SIGTERM, 14.0)
    assert returncode == 143, output
    summary = json.loads((earlier_result / "summary.json").read_text())
    if "before any plan was found" in output:
        assert summary["status"] == "optimal"  # nothing to save: the earlier result stays
    else:
        assert summary["status"] == "interrupted" and summary["stopped_by"] == "SIGTERM"
    assert no_temporary_entries(tmp_path) == []


def test_a_signal_while_loading_writes_nothing(tmp_path):
    """SIGTERM before the solve (the process is still starting and loading): exit 143, no folder."""
    out = tmp_path / "early"
    proc = start_solve(out, cwd=tmp_path)
    returncode, output = signal_after(proc, signal.SIGTERM, 0.8)
    assert returncode in (143, -signal.SIGTERM), output  # before Python set its handler: killed
    assert "Traceback" not in output
    assert not out.exists()
    assert no_temporary_entries(tmp_path) == []


def test_the_python_api_stops_on_request_with_the_best_plan():
    """allocopt.solve(stop=...) set from another thread after 5 s: status 'interrupted', the plan
    so far (if any) passes the checker, and the message says it was interrupted."""
    scenario = allocopt.load_scenario(allocopt.default_scenario_path())
    stop = StopRequest()
    timer = threading.Timer(5.0, stop.set)
    timer.start()
    began = time.perf_counter()
    try:
        result = allocopt.solve(scenario, time_limit=120, stop=stop)
    finally:
        timer.cancel()
    assert time.perf_counter() - began < 30, "the solve did not stop soon after the request"
    assert result.status == "interrupted"
    assert result.stopped_by == "caller"
    assert "interrupted" in result.message
    if result.has_plan:
        assert allocopt.check(scenario, result) == []
        assert result.gap is None or result.gap >= 0
    assert not [t for t in threading.enumerate() if t.name in (SOLVING, "allocopt-first-plan")]
