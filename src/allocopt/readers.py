"""Reading the raw scenario files: scenario.yaml, CSV tables, Excel workbooks.

This module knows file formats only, not what a valid scenario is: readers return every row
as a mapping of column name to cell text (empty cells left out) together with the row's label
as a spreadsheet user counts it (the header is row 1), and raise :class:`ReadError` with one
:class:`~allocopt.validate.Problem` when a file cannot be read at all. :mod:`allocopt.load`
turns the raw rows into a :class:`~allocopt.scenario.Scenario`.

What is read is limited (:class:`ReadLimits`): each limit is an error naming the file, so that a
hostile or broken file is refused in well under a second instead of running out of memory.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from allocopt.validate import Problem


@dataclass(frozen=True)
class ReadLimits:
    """The most a scenario's files may hold; each limit is an error naming the file."""

    yaml_bytes: int = 10 * 2**20
    """Largest scenario.yaml (10 MiB): settings and inline tables of some 100 000 rows."""
    csv_bytes: int = 200 * 2**20
    """Largest CSV table (200 MiB): a million rows of 200 characters."""
    workbook_bytes: int = 100 * 2**20
    """Largest Excel workbook (100 MiB, compressed)."""
    rows: int = 1_000_000
    """Most data rows of one table (CSV file or sheet); blank rows after the last one cost nothing."""
    yaml_depth: int = 20
    """Deepest nesting of mappings and lists in scenario.yaml (a scenario needs 3)."""


READ_LIMITS = ReadLimits()
"""The limits :func:`allocopt.load_scenario` applies unless given others."""


class ReadError(Exception):
    """A file that cannot be read at all; ``problem`` says which and why."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class RawTable:
    """One table as read from a file, before validation.

    ``rows`` holds (row label, cells) with only the non-empty cells; ``header`` is the column
    names of a CSV file or sheet (None for a table given inline in scenario.yaml);
    ``decimal_comma``: the file was a ';'-separated CSV (Excel in a Swedish locale), whose
    numbers may have a decimal comma ('12,5').
    """

    file: str
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    header: list[str] | None = None
    problems: list[Problem] = field(default_factory=list)
    decimal_comma: bool = False


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
                    table.problems.append(
                        Problem(file, label, None, f"a value ({text!r}) stands in column {j + 1}, which has no header")
                    )
                continue
            cells.setdefault(name, text)
        if cells:
            table.rows.append((label, cells))
    return table


def _check_size(path: Path, file: str, most: int, what: str) -> None:
    """ReadError when ``path`` is larger than ``most`` bytes."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise ReadError(Problem(file, None, None, f"cannot read the file: {e.strerror or e}")) from None
    if size > most:
        raise ReadError(
            Problem(file, None, None, f"the file is {size / 2**20:.1f} MiB; {what} may be at most {most // 2**20} MiB")
        )


def _too_many_rows(file: str, row: int, limit: int) -> ReadError:
    most = f"{limit:_}".replace("_", " ")
    return ReadError(Problem(file, str(row), None, f"more than {most} data rows, the most one table may have"))


def read_csv(path: Path, file: str, limits: ReadLimits = READ_LIMITS) -> RawTable:
    """Read one CSV table (UTF-8 with or without BOM), every cell as text.

    Comma-separated; or ';'-separated when the header holds ';' and no ',' (Excel's CSV in a
    Swedish locale), then with ``decimal_comma`` set. At most ``limits.csv_bytes`` and
    ``limits.rows`` data rows.
    """
    _check_size(path, file, limits.csv_bytes, "a CSV table")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            first = f.readline()
        semicolon = ";" in first and "," not in first
        df = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            sep=";" if semicolon else ",",
            nrows=limits.rows + 2,
        )
    except pd.errors.EmptyDataError:
        raise ReadError(
            Problem(file, None, None, "the file is empty (expected a header row with column names)")
        ) from None
    except pd.errors.ParserError as e:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if m:
            raise ReadError(
                Problem(file, m[2], None, f"the row has {m[3]} cells but the header has {m[1]} columns")
            ) from None
        raise ReadError(Problem(file, None, None, f"not a readable CSV file: {str(e).strip()}")) from None
    except UnicodeDecodeError:
        raise ReadError(Problem(file, None, None, "not UTF-8 text (save the table as 'CSV UTF-8')")) from None
    except OSError as e:
        raise ReadError(Problem(file, None, None, f"cannot read the file: {e.strerror or e}")) from None
    values = df.to_numpy().tolist()
    if len(values) > limits.rows + 1:
        raise _too_many_rows(file, limits.rows + 2, limits.rows)
    header = [str(h).strip() for h in values[0]]
    table = _rows(file, header, ((str(i + 1), rec) for i, rec in enumerate(values) if i > 0))
    table.decimal_comma = semicolon
    return table


def read_yaml(path: Path, file: str, limits: ReadLimits = READ_LIMITS) -> Any:
    """Parse a YAML file; a syntax error becomes a ReadError naming the line.

    Refused before anything is built: files over ``limits.yaml_bytes``, anchors and aliases
    (``&name``, ``*name``: a few lines of them expand to gigabytes), nesting deeper than
    ``limits.yaml_depth``.
    """
    _check_size(path, file, limits.yaml_bytes, file)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
        _check_yaml_events(file, text, loader, limits.yaml_depth)
        return yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ReadError(Problem(file, None, None, f"invalid YAML{where}: {e.problem or e}")) from None
    except yaml.YAMLError as e:
        raise ReadError(Problem(file, None, None, f"invalid YAML: {e}")) from None
    except UnicodeDecodeError:
        raise ReadError(Problem(file, None, None, "not UTF-8 text")) from None
    except OSError as e:
        raise ReadError(Problem(file, None, None, f"cannot read the file: {e.strerror or e}")) from None
    except (ValueError, RecursionError) as e:  # e.g. an integer of more than 4300 digits
        raise ReadError(Problem(file, None, None, f"invalid YAML: {e}")) from None


def _check_yaml_events(file: str, text: str, loader: type, most_depth: int) -> None:
    """ReadError at the first anchor, alias or too deep nesting (one pass over the parse events)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        mark = event.start_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ReadError(
                Problem(
                    file,
                    None,
                    None,
                    f"YAML anchors and aliases (&name, *name) are not allowed{where}: write each value out",
                )
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > most_depth:
                raise ReadError(
                    Problem(
                        file,
                        None,
                        None,
                        f"lists and mappings nested more than {most_depth} "
                        f"deep{where} (a scenario needs 3: table, row, column)",
                    )
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def sheet_file(workbook: str, sheet: str) -> str:
    """How problems name a sheet of a workbook: ``plan.xlsx[options]``."""
    return f"{workbook}[{sheet}]"


def read_workbook(path: Path, limits: ReadLimits = READ_LIMITS) -> dict[str, RawTable]:
    """Every sheet of an Excel workbook as a RawTable (first row = header), by sheet name.

    Sheets are streamed (openpyxl read-only) and only the rows the file holds are read, so a
    used range that claims A1:Z1000000 costs nothing; at most ``limits.workbook_bytes`` and
    ``limits.rows`` data rows per sheet. A formula counts by the value its workbook computed; a
    formula without one (in a workbook saved by a program that does not compute, such as
    openpyxl) is an error naming the cell. In a workbook where some formula has a computed value,
    one without a value computed an empty text (openpyxl cannot tell the two apart) and is blank.
    """
    _check_size(path, path.name, limits.workbook_bytes, "a workbook")
    read = _each_sheet(path, False, lambda ws: _sheet_rows(ws, sheet_file(path.name, ws.title), limits.rows))
    formulas = {title: cells for title, (_rows_, cells) in read.items()}
    computed: dict[str, dict[tuple[int, int], Any]] = {}
    if any(formulas.values()):
        computed = _each_sheet(path, True, lambda ws: _cached(ws, formulas.get(ws.title) or {}))
    was_computed = any(v is not None for cells in computed.values() for v in cells.values())
    sheets: dict[str, RawTable] = {}
    for title, (rows, cells) in read.items():
        file = sheet_file(path.name, title)
        by_index = dict(rows)
        header_row = by_index[0]
        missing: list[Problem] = []
        for (i, j), formula in cells.items():
            value = computed.get(title, {}).get((i, j))
            by_index[i][j] = value
            if value is None and not was_computed:
                name = cell_text(header_row[j]) if i > 0 and j < len(header_row) else None
                missing.append(
                    Problem(
                        file,
                        str(i + 1),
                        str(name) if name else None,
                        f"a formula ({formula}) without a computed value: open and save the "
                        "workbook in Excel or LibreOffice, or type the value",
                    )
                )
        header = [str(cell_text(h) or "") for h in header_row]
        table = _rows(file, header, ((str(i + 1), rec) for i, rec in rows if i > 0))
        table.problems[:0] = missing
        sheets[title] = table
    return sheets


def _each_sheet(path: Path, data_only: bool, read: Callable[[Any], Any]) -> dict[str, Any]:
    """``read(worksheet)`` for every sheet of the workbook opened read-only, by sheet title.

    Whatever openpyxl raises (zip, XML and key errors, at opening or while a sheet streams)
    becomes a ReadError.
    """
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=data_only)
    except Exception as e:
        raise _unreadable(path, e) from None
    try:
        return {ws.title: read(ws) for ws in wb.worksheets}
    except ReadError:
        raise
    except Exception as e:
        raise _unreadable(path, e) from None
    finally:
        wb.close()


def _unreadable(path: Path, e: Exception) -> ReadError:
    return ReadError(Problem(path.name, None, None, f"not a readable Excel workbook (.xlsx): {type(e).__name__}: {e}"))


def _sheet_rows(ws, file: str, most_rows: int) -> tuple[list[tuple[int, list[Any]]], dict[tuple[int, int], str]]:
    """The non-blank rows of a read-only sheet as (row index, values), the header row (index 0)
    always; and the formula cells, by (row index, column index)."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    ws.reset_dimensions()  # the stated used range may be far larger than the rows held
    rows: list[tuple[int, list[Any]]] = []
    formulas: dict[tuple[int, int], str] = {}
    for i, values in enumerate(ws.iter_rows(values_only=True)):
        if i and not any(v is not None for v in values):
            continue
        if i > most_rows:
            raise _too_many_rows(file, i + 1, most_rows)
        values = list(values)
        for j, v in enumerate(values):
            if isinstance(v, str) and v.startswith("="):
                formulas[i, j] = v
            elif isinstance(v, (ArrayFormula, DataTableFormula)):
                formulas[i, j] = getattr(v, "text", None) or "=" + str(v)
        rows.append((i, values))
    if not rows or rows[0][0] != 0:
        rows.insert(0, (0, []))
    return rows, formulas


def _cached(ws, cells: dict[tuple[int, int], str]) -> dict[tuple[int, int], Any]:
    """The values a workbook computed for ``cells`` (None where it holds none)."""
    if not cells:
        return {}
    ws.reset_dimensions()
    wanted: dict[int, list[int]] = {}
    for i, j in cells:
        wanted.setdefault(i, []).append(j)
    last = max(wanted)
    out: dict[tuple[int, int], Any] = {}
    for i, values in enumerate(ws.iter_rows(values_only=True)):
        if i > last:
            break
        for j in wanted.get(i, ()):
            out[i, j] = values[j] if j < len(values) else None
    return out
