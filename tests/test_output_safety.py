"""What allocopt writes is safe: whole result folders under concurrent saves, usual permissions,
safe default folder names, no formula injection, no -0.0, and user text shown as text."""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from allocopt.load import load_scenario, write_scenario, write_scenario_workbook
from allocopt.result import Result
from allocopt.tables import RESULT_FILES
from allocopt.validate import Problem
from cases import District, Option, Service, build_or_lease, flat, run, tiny

ESC = "\x1b"
HOSTILE = f"[/]{ESC}[31m[st]"  # closes rich markup, sends a colour escape, looks like a style tag


def _result(tag: str = "r", **kw) -> Result:
    """A small Result with one row in every table; ``tag`` is the name and an id in each table."""
    return Result(
        **{
            "scenario": tag,
            "status": "optimal",
            "objective": 1.0,
            "bound": 1.0,
            "gap": 0.0,
            **kw,
            "actions": pd.DataFrame(
                [
                    {
                        "year": 2026,
                        "action": "build",
                        "option": tag,
                        "site": None,
                        "district": "A",
                        "service": "pre",
                        "from_service": None,
                        "modules": 1,
                        "capacity_change": 100.0,
                        "capacity_removed": 0.0,
                        "capex": 1000.0,
                        "decision_year": 2026,
                        "closure_cost": 0.0,
                        "sale_value": 0.0,
                    }
                ]
            ),
            "balance": pd.DataFrame(
                [{"district": "A", "service": tag, "year": 2026, "demand": 100.0, "served": 100.0, "unmet": 0.0}]
            ),
            "costs": pd.DataFrame(
                [
                    {
                        "year": 2026,
                        "capex": 1000.0,
                        "opex": 0.0,
                        "rent": 0.0,
                        "closure_cost": 0.0,
                        "sale": 0.0,
                        "travel": 0.0,
                        "penalty": 0.0,
                        "residual": 0.0,
                        "discount_factor": 1.0,
                        "discounted": 1000.0,
                        "capex_cap": None,
                        "capex_use": None,
                        "opex_cap": None,
                        "opex_use": None,
                    }
                ]
            ),
            "utilisation": pd.DataFrame(
                [
                    {
                        "site": tag,
                        "kind": "build",
                        "district": "A",
                        "service": "pre",
                        "year": 2026,
                        "open": 1,
                        "capacity": 100.0,
                        "usable": 100.0,
                        "served": 100.0,
                        "utilisation": 1.0,
                    }
                ]
            ),
            "assignments": pd.DataFrame(
                [{"district": "A", "site": tag, "service": "pre", "year": 2026, "places": 100.0, "km": 0.0}]
            ),
        }
    )


# ------------------------------------------------------------------ concurrent saves

WRITER = """
import sys, time
import allocopt.writers
from test_output_safety import _result
folder, writer, start, swap = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
if swap == "rename":  # as on a system without an atomic exchange
    allocopt.writers._exchange = lambda a, b: False
while time.time() < start:
    time.sleep(0.005)
for k in range(25):
    _result(f"w{writer}-{k}").save(folder)
"""


@pytest.mark.parametrize("swap", ["exchange", "rename"])
def test_four_processes_saving_to_one_folder_leave_one_complete_result(tmp_path, swap):
    """4 processes x 25 saves into one folder: every save succeeds, and the folder ends as exactly
    one complete result (every file, all from the same save), with no temporary folder left; by
    an atomic exchange, and by renames where there is none."""
    folder = tmp_path / "out"
    paths = [str(Path(__file__).parent), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # the writers import _result from here
    start = time.time() + 4  # all four have imported allocopt by then
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(w), str(start), swap],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(4)
    ]
    outcomes = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    assert [rc for rc, _ in outcomes] == [0, 0, 0, 0], "\n".join(e for _, e in outcomes)
    assert sorted(p.name for p in folder.iterdir()) == sorted(RESULT_FILES)
    tag = json.loads((folder / "summary.json").read_text())["scenario"]
    assert pd.read_csv(folder / "actions.csv")["option"].tolist() == [tag]  # one save, not a mix
    assert pd.read_csv(folder / "balance.csv")["service"].tolist() == [tag]
    assert pd.read_excel(folder / "result.xlsx", sheet_name="utilisation")["site"].tolist() == [tag]
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "temporary folders left behind"


def test_a_save_touches_nothing_but_its_own_folder(tmp_path, monkeypatch):
    """Temporary names are new each time: a '.out.old' of someone else's survives (a fixed backup
    name would be removed by every save). An interrupted save leaves the earlier result and
    no temporary folder; a folder with other files is left untouched."""
    import allocopt.report

    (tmp_path / ".out.old").mkdir()
    (tmp_path / ".out.old" / "keep.txt").write_text("mine")
    _result("first").save(tmp_path / "out")
    _result("second").save(tmp_path / "out")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["scenario"] == "second"
    assert (tmp_path / ".out.old" / "keep.txt").read_text() == "mine"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(allocopt.report, "write_result_workbook", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _result("third").save(tmp_path / "out")
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["scenario"] == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.old", "out"]

    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="notes.txt"):
        _result().save(tmp_path / "mine")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.old", "mine", "out"]


# ------------------------------------------------------------------ permissions


def test_written_folders_and_files_have_the_usual_permissions(tmp_path):
    """Under umask 022: folders 0755, files 0644 (a temporary folder from mkdtemp would be 0700)."""
    old = os.umask(0o022)
    try:
        _result().save(tmp_path / "result")
        scenario = build_or_lease()
        write_scenario(scenario, tmp_path / "scenario")
        write_scenario_workbook(scenario, tmp_path / "plan.xlsx")
    finally:
        os.umask(old)
    for folder in ("result", "scenario"):
        assert (tmp_path / folder).stat().st_mode & 0o777 == 0o755, folder
        for f in (tmp_path / folder).iterdir():
            assert f.stat().st_mode & 0o777 == 0o644, f
    assert (tmp_path / "plan.xlsx").stat().st_mode & 0o777 == 0o644


# ------------------------------------------------------------------ where results go


def test_default_results_folder_is_a_safe_name_inside_results():
    from allocopt.report import results_folder

    for name in ("../../x", "/etc/x", "..", "a/../../b", "C:\\Windows\\x", f"x{ESC}y\n", ".hidden"):
        folder = results_folder(name)
        assert folder.parent == Path("results"), name
        assert len(folder.parts) == 2 and folder.name not in ("", ".", "..") and not folder.name.startswith(".")
        assert not any(c in folder.name for c in "/\\\x00\x1b\n")
    assert results_folder("") == results_folder("...") == Path("results/scenario")
    assert results_folder("Södertälje 2030") == Path("results/Södertälje 2030")
    a, b = results_folder("x" * 300), results_folder("x" * 299 + "y")
    assert a != b and len(a.name) <= 80 and len(b.name) <= 80
    assert results_folder("ä" * 300).name.startswith("ä") and len(results_folder("ä" * 300).name.encode()) < 255


def test_a_hostile_scenario_name_writes_inside_results(tmp_path, monkeypatch):
    """A scenario named '../../escaped' solved without --out: the result lands in ./results/."""
    monkeypatch.chdir(tmp_path)
    sc = build_or_lease()
    sc = sc.model_copy(update={"settings": sc.settings.model_copy(update={"name": "../../escaped"})})
    write_scenario(sc, tmp_path / "in")
    assert run("solve", str(tmp_path / "in")).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "results" / "escaped").iterdir()) == sorted(RESULT_FILES)
    assert not (tmp_path.parent.parent / "escaped").exists()


def test_check_writable_names_the_folder_before_a_solve(tmp_path, monkeypatch):
    from allocopt.report import check_writable

    check_writable(tmp_path / "new" / "deeper")  # nothing there yet: fine, and nothing created
    assert list(tmp_path.iterdir()) == []
    _result().save(tmp_path / "earlier")
    check_writable(tmp_path / "earlier")  # an earlier result may be replaced
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="file"):
        check_writable(tmp_path / "file")
    with pytest.raises(NotADirectoryError, match="file"):
        check_writable(tmp_path / "file" / "out")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(FileExistsError, match="notes.txt"):
        check_writable(tmp_path / "mine")

    real_mkdir = os.mkdir

    def read_only(path, *args, **kwargs):  # as on a read-only file system (root passes os.access)
        if str(path).startswith(str(tmp_path)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only)
    with pytest.raises(PermissionError, match="read-only") as info:
        check_writable(tmp_path / "new")
    assert str(tmp_path / "new") in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_check_writable_read_only_folder(tmp_path):
    from allocopt.report import check_writable

    (tmp_path / "ro").mkdir(mode=0o555)
    with pytest.raises(PermissionError, match="ro"):
        check_writable(tmp_path / "ro" / "out")


def test_solve_into_a_folder_under_a_file_fails_before_solving(tmp_path):
    (tmp_path / "file").write_text("x")
    write_scenario(build_or_lease(), tmp_path / "in")
    res = run("solve", str(tmp_path / "in"), "--out", str(tmp_path / "file" / "out"))
    assert res.exit_code == 2
    assert "is a file, not a folder" in res.output and "NotADirectoryError" not in res.output


# ------------------------------------------------------------------ formula injection

FORMULA = "=cmd|' /C calc'!A0"


def _hostile_ids() -> object:
    """build_or_lease with every id and the name starting with a formula character."""
    sc = tiny(
        2026,
        2030,
        districts=[District(district="-D", x_km=0.0, y_km=0.0)],
        services=[Service(service="+pre", max_km=10.0)],
        demand=flat(100, range(2026, 2031), district="-D", service="+pre"),
        options=[
            Option(
                option=FORMULA,
                kind="build",
                district="-D",
                service="+pre",
                capacity=100.0,
                capex=1000.0,
                opex=10.0,
                lifetime=10,
            ),
            Option(option="@L", kind="lease", district="-D", service="+pre", capacity=100.0, rent=150.0, term=10),
        ],
    )
    return sc.model_copy(update={"settings": sc.settings.model_copy(update={"name": "=1+2"})})


def test_no_formula_in_any_workbook_or_csv_allocopt_writes(tmp_path):
    from openpyxl import load_workbook

    sc = _hostile_ids()
    write_scenario(sc, tmp_path / "in")
    assert load_scenario(tmp_path / "in") == sc  # the scenario CSVs round-trip exactly
    write_scenario_workbook(sc, tmp_path / "plan.xlsx")
    assert load_scenario(tmp_path / "plan.xlsx") == sc  # text stays text, ids intact
    res = run("solve", str(tmp_path / "in"), "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output

    for book in (tmp_path / "plan.xlsx", tmp_path / "out" / "result.xlsx"):
        wb = load_workbook(book, data_only=False)
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"], book
        texts = {c.value for c in cells if c.data_type == "s"}
        assert {FORMULA, "-D", "+pre"} <= texts, book
    result_book = load_workbook(tmp_path / "out" / "result.xlsx")
    summary = [[c.value for c in row] for row in result_book["summary"].iter_rows()]
    assert ["Scenario", "=1+2"] in [row[:2] for row in summary] and ["name", "=1+2"] in [row[:2] for row in summary]

    with open(tmp_path / "out" / "actions.csv", newline="") as f:
        actions = list(csv.DictReader(f))
    assert actions[0]["option"] == "'" + FORMULA
    assert actions[0]["district"] == "'-D" and actions[0]["service"] == "'+pre"
    assert float(actions[0]["capacity_change"]) == 100.0
    for name in ("balance", "utilisation", "assignments", "costs", "actions"):
        with open(tmp_path / "out" / f"{name}.csv", newline="") as f:
            for row in csv.reader(f):
                assert not [v for v in row if v[:1] in ("=", "+", "@", "\t", "\r")], (name, row)
                assert not [v for v in row if v[:1] == "-" and not _is_number(v)], (name, row)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_negative_numbers_stay_numbers_and_escaping_reverses(tmp_path):
    from allocopt.writers import escape_formula, unescape_formula

    r = _result("-5")
    r.actions.loc[0, "capacity_change"] = -5.0
    r.save(tmp_path / "out")
    with open(tmp_path / "out" / "actions.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert row["capacity_change"] == "-5.0" and row["option"] == "'-5"
    for text in ("=x", "'=x", "''+x", "'s-Hertogenbosch", "'", "", "-", "a=b", "\tx", "@", "plain"):
        assert unescape_formula(escape_formula(text)) == text
        assert escape_formula(text)[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert escape_formula("'s-Hertogenbosch") == "'s-Hertogenbosch"


# ------------------------------------------------------------------ no -0.0


def test_no_negative_zero_in_result_files(tmp_path):
    r = _result(objective=-0.0, bound=-0.0)
    r.gap = -0.0
    r.costs["capex"] = -0.0
    r.costs["capex_use"] = [-0.0]
    r.balance["unmet"] = -0.0
    r.actions["capacity_removed"] = pd.Series([-0.0], dtype=object)
    r.save(tmp_path / "out")
    for name in RESULT_FILES:
        data = (tmp_path / "out" / name).read_bytes()
        if name.endswith(".xlsx"):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                data = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
            assert b"<v>-0</v>" not in data and b"<v>-0.0</v>" not in data, name
        else:
            assert b"-0.0" not in data and b",-0," not in data and b",-0\n" not in data, name
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    for key in ("objective", "bound", "gap", "unmet_place_years", "capex_total"):
        assert summary[key] == 0.0 and math.copysign(1.0, summary[key]) == 1.0, key


# ------------------------------------------------------------------ terminal output


def _capture() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=200), buffer


def test_problems_with_markup_and_escapes_print_as_text():
    from allocopt.console import print_problems

    console, buffer = _capture()
    print_problems(
        [
            Problem("sites.csv", "2", "site", f"unknown site '{HOSTILE}' 120 [st]"),
            Problem(f"a{ESC}]0;title{chr(7)}.csv", None, None, "x [bold]y[/bold]", "warning"),
        ],
        console,
    )
    out = buffer.getvalue()
    assert ESC not in out and "\x07" not in out
    assert "120 [st]" in out and "[/]" in out and "[bold]y[/bold]" in out
    assert "\\x1b[31m" in out


def test_result_with_hostile_ids_prints_as_text():
    from allocopt.console import print_result

    r = _result(HOSTILE, message=f"note {HOSTILE}")
    r.actions.loc[0, "district"] = f"[red]{ESC}[2J"
    console, buffer = _capture()
    print_result(r, console)
    out = buffer.getvalue()
    assert ESC not in out
    assert out.count("[st]") >= 3 and "[red]" in out and "allocopt: [/]\\x1b[31m[st]" in out


def test_cli_errors_show_user_text_as_text(tmp_path, monkeypatch):
    """The error reporter: a path with '[/]' is shown as it is (rich would take it for markup and
    raise MarkupError); ids reach the terminal with their escape bytes made visible."""
    import allocopt.load

    mine = tmp_path / "out [st] [bold]"  # a folder name cannot hold '/': '[/]' comes below
    mine.mkdir()
    (mine / f"notes {ESC}[31m.txt").write_text("mine")
    write_scenario(build_or_lease(), tmp_path / "in")
    res = run("solve", str(tmp_path / "in"), "--out", str(mine))
    assert res.exit_code == 2 and "[st]" in res.output and ESC not in res.output

    (tmp_path / "in" / "site_capacities.csv").write_text(f"site,service,capacity\n{HOSTILE},pre,10\n")
    res = run("validate", str(tmp_path / "in"))
    assert res.exit_code == 2 and "[st]" in res.output and ESC not in res.output and "\\x1b" in res.output

    def bug(path):
        raise RuntimeError(f"bad {HOSTILE}")

    monkeypatch.setattr(allocopt.load, "validate_path", bug)
    res = run("validate", str(tmp_path / "in"))
    assert res.exit_code == 1 and "internal error" in res.output and "[st]" in res.output and ESC not in res.output

    def disk_full(path):  # the system, not a bug: said as an error, not an internal one
        raise OSError(errno.ENOSPC, f"No space left on device: '{HOSTILE}'")

    monkeypatch.setattr(allocopt.load, "validate_path", disk_full)
    res = run("validate", str(tmp_path / "in"))
    assert res.exit_code == 1 and "internal error" not in res.output and "No space left" in res.output
    assert "[st]" in res.output and ESC not in res.output


def test_no_plan_and_violation_lines_show_user_text_as_text(monkeypatch):
    import allocopt.cli_common as common

    console, buffer = _capture()
    monkeypatch.setattr(common, "err", console)
    common.print_violations([f"option {HOSTILE} breaks [/] the cap"], "[red]check failed: 1 violation(s)[/]")
    with pytest.raises(SystemExit) as info:
        common.exit_without_plan(Result(scenario="s", status="infeasible", message=f"site {HOSTILE} [st]"))
    assert info.value.code == 1
    out = buffer.getvalue()
    assert ESC not in out and out.count("[st]") >= 3 and "breaks [/] the cap" in out
