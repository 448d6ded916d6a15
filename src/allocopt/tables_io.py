"""Reading and writing the raw scenario files: scenario.yaml, CSV tables, Excel workbooks.

This module knows file formats only, not what a valid scenario is: readers return every row
as a mapping of column name to cell text (empty cells left out) together with the row's label
as a spreadsheet user counts it (the header is row 1), and raise :class:`ReadError` with one
:class:`~allocopt.validate.Problem` when a file cannot be read at all. :mod:`allocopt.load`
turns the raw rows into a :class:`~allocopt.scenario.Scenario`.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from allocopt.validate import Problem

SETTINGS_SHEET = "scenario"
"""Name of the workbook sheet that holds the settings (columns ``key``, ``value``)."""


class ReadError(Exception):
    """A file that cannot be read at all; ``problem`` says which and why."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class RawTable:
    """One table as read from a file, before validation.

    ``rows`` holds (row label, cells) with only the non-empty cells; ``header`` is the column
    names of a CSV file or sheet (None for a table given inline in scenario.yaml).
    """

    file: str
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    header: list[str] | None = None
    problems: list[Problem] = field(default_factory=list)


def cell_text(value: Any) -> Any:
    """A cell value as the text a CSV would hold, or None for an empty cell.

    Numbers keep their exact value (floats by ``repr``, whole floats without ``.0``), booleans
    become ``true``/``false``; lists and mappings are returned unchanged (validation rejects them).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip() or None
    return value


def _rows(file: str, header: Sequence[str], records: Iterable[tuple[str, Sequence[Any]]]) -> RawTable:
    """Pair cells with the header, skip empty rows, flag values under a blank header."""
    table = RawTable(file=file, header=list(header))
    flagged: set[int] = set()
    for label, record in records:
        cells: dict[str, Any] = {}
        for j, value in enumerate(record):
            text = cell_text(value)
            if text is None:
                continue
            name = header[j] if j < len(header) else ""
            if not name:
                if j not in flagged:
                    flagged.add(j)
                    table.problems.append(Problem(
                        file, label, None, f"a value ({text!r}) stands in column {j + 1}, which has no header"))
                continue
            cells.setdefault(name, text)
        if cells:
            table.rows.append((label, cells))
    return table


def read_csv(path: Path, file: str) -> RawTable:
    """Read one CSV table (comma-separated, UTF-8 with or without BOM), every cell as text."""
    try:
        df = pd.read_csv(path, header=None, dtype=str, keep_default_na=False,
                         skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ReadError(Problem(file, None, None, "the file is empty (expected a header row with column names)"))
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            raise ReadError(Problem(file, m[2], None,
                                    f"the row has {m[3]} cells but the header has {m[1]} columns"))
        raise ReadError(Problem(file, None, None, f"not a readable CSV file: {str(e).strip()}"))
    except UnicodeDecodeError:
        raise ReadError(Problem(file, None, None, "not UTF-8 text (save the table as 'CSV UTF-8')"))
    except OSError as e:
        raise ReadError(Problem(file, None, None, f"cannot read the file: {e.strerror or e}"))
    values = df.to_numpy().tolist()
    header = [str(h).strip() for h in values[0]]
    if len(header) == 1 and ";" in header[0]:
        raise ReadError(Problem(file, "1", None, "the columns are separated by ';': save the table as "
                                "comma-separated CSV ('CSV UTF-8') with a decimal point"))
    return _rows(file, header, ((str(i + 1), rec) for i, rec in enumerate(values) if i > 0))


def read_yaml(path: Path, file: str) -> Any:
    """Parse a YAML file; a syntax error becomes a ReadError naming the line."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            return yaml.safe_load(f)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ReadError(Problem(file, None, None, f"invalid YAML{where}: {e.problem or e}"))
    except yaml.YAMLError as e:
        raise ReadError(Problem(file, None, None, f"invalid YAML: {e}"))
    except UnicodeDecodeError:
        raise ReadError(Problem(file, None, None, "not UTF-8 text"))
    except OSError as e:
        raise ReadError(Problem(file, None, None, f"cannot read the file: {e.strerror or e}"))


def sheet_file(workbook: str, sheet: str) -> str:
    """How problems name a sheet of a workbook: ``plan.xlsx[options]``."""
    return f"{workbook}[{sheet}]"


def read_workbook(path: Path) -> dict[str, RawTable]:
    """Every sheet of an Excel workbook as a RawTable (first row = header), by sheet name."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True)
    except Exception as e:  # openpyxl raises zip, XML and key errors for files that are not workbooks
        raise ReadError(Problem(path.name, None, None,
                                f"not a readable Excel workbook (.xlsx): {type(e).__name__}: {e}"))
    sheets: dict[str, RawTable] = {}
    try:
        for ws in wb.worksheets:
            records = list(ws.iter_rows(values_only=True))
            header = [str(cell_text(h) or "") for h in records[0]] if records else []
            sheets[ws.title] = _rows(sheet_file(path.name, ws.title), header,
                                     ((str(i + 1), rec) for i, rec in enumerate(records) if i > 0))
    finally:
        wb.close()
    return sheets


# ---------------------------------------------------------------- writing

def format_cell(value: Any) -> str:
    """Text of one CSV cell: empty for None, floats exact (see :func:`cell_text`)."""
    text = cell_text(value)
    return "" if text is None else str(text)


def _excel_value(value: Any) -> Any:
    """A value Excel can hold: infinities and NaN go in as text ('inf')."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True, default_flow_style=False)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([format_cell(v) for v in row])


def write_xlsx(path: Path, sheets: dict[str, tuple[Sequence[str], list[Sequence[Any]]]]) -> None:
    """Write sheets (name -> (columns, rows)) to a workbook, atomically (temp file + rename)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, (columns, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for row in rows:
            ws.append([_excel_value(v) for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def replace_folder(target: Path, fill, allowed: set[str]) -> None:
    """Create folder ``target`` by ``fill(temp_folder)`` and a rename: never half-written.

    An existing ``target`` is replaced only when it holds nothing but files named in
    ``allowed`` (an earlier scenario written there); otherwise FileExistsError.
    """
    if target.exists():
        if not target.is_dir():
            raise FileExistsError(f"{target} exists and is not a folder")
        foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
        if foreign:
            raise FileExistsError(f"{target} holds files that are not part of a scenario "
                                  f"({', '.join(foreign)}); write to a new or empty folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        fill(tmp)
        if target.exists():
            old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
