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
import errno
import math
import os
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from allocopt.validate import Problem

SETTINGS_SHEET = "scenario"
"""Name of the workbook sheet that holds the settings (columns ``key``, ``value``)."""

# Limits on what is read: each is an error naming the file, so that a hostile or broken file is
# refused in well under a second instead of running out of memory.
MAX_YAML_BYTES = 10 * 2**20
"""Largest scenario.yaml (10 MiB): settings and inline tables of some 100 000 rows."""
MAX_CSV_BYTES = 200 * 2**20
"""Largest CSV table (200 MiB): a million rows of 200 characters."""
MAX_WORKBOOK_BYTES = 100 * 2**20
"""Largest Excel workbook (100 MiB, compressed)."""
MAX_ROWS = 1_000_000
"""Most data rows of one table (CSV file or sheet); blank rows after the last one cost nothing."""
MAX_YAML_DEPTH = 20
"""Deepest nesting of mappings and lists in scenario.yaml (a scenario needs 3)."""


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
                    table.problems.append(Problem(
                        file, label, None, f"a value ({text!r}) stands in column {j + 1}, which has no header"))
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
        raise ReadError(Problem(file, None, None, f"cannot read the file: {e.strerror or e}"))
    if size > most:
        raise ReadError(Problem(file, None, None, f"the file is {size / 2**20:.1f} MiB; {what} may be at most "
                                f"{most // 2**20} MiB"))


def _too_many_rows(file: str, row: int) -> ReadError:
    most = f"{MAX_ROWS:_}".replace("_", " ")
    return ReadError(Problem(file, str(row), None, f"more than {most} data rows, the most one table may have"))


def read_csv(path: Path, file: str) -> RawTable:
    """Read one CSV table (UTF-8 with or without BOM), every cell as text.

    Comma-separated; or ';'-separated when the header holds ';' and no ',' (Excel's CSV in a
    Swedish locale), then with ``decimal_comma`` set. At most :data:`MAX_CSV_BYTES` and
    :data:`MAX_ROWS` data rows.
    """
    _check_size(path, file, MAX_CSV_BYTES, "a CSV table")
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            first = f.readline()
        semicolon = ";" in first and "," not in first
        df = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                         encoding="utf-8-sig", sep=";" if semicolon else ",", nrows=MAX_ROWS + 2)
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
    if len(values) > MAX_ROWS + 1:
        raise _too_many_rows(file, MAX_ROWS + 2)
    header = [str(h).strip() for h in values[0]]
    table = _rows(file, header, ((str(i + 1), rec) for i, rec in enumerate(values) if i > 0))
    table.decimal_comma = semicolon
    return table


def read_yaml(path: Path, file: str) -> Any:
    """Parse a YAML file; a syntax error becomes a ReadError naming the line.

    Refused before anything is built: files over :data:`MAX_YAML_BYTES`, anchors and aliases
    (``&name``, ``*name``: a few lines of them expand to gigabytes), nesting deeper than
    :data:`MAX_YAML_DEPTH`.
    """
    _check_size(path, file, MAX_YAML_BYTES, file)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
        _check_yaml_events(file, text, loader)
        return yaml.load(text, Loader=loader)
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
    except (ValueError, RecursionError) as e:  # e.g. an integer of more than 4300 digits
        raise ReadError(Problem(file, None, None, f"invalid YAML: {e}"))


def _check_yaml_events(file: str, text: str, loader: type) -> None:
    """ReadError at the first anchor, alias or too deep nesting (one pass over the parse events)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        mark = event.start_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ReadError(Problem(file, None, None, f"YAML anchors and aliases (&name, *name) are not "
                                    f"allowed{where}: write each value out"))
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise ReadError(Problem(file, None, None, f"lists and mappings nested more than {MAX_YAML_DEPTH} "
                                        f"deep{where} (a scenario needs 3: table, row, column)"))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def sheet_file(workbook: str, sheet: str) -> str:
    """How problems name a sheet of a workbook: ``plan.xlsx[options]``."""
    return f"{workbook}[{sheet}]"


def read_workbook(path: Path) -> dict[str, RawTable]:
    """Every sheet of an Excel workbook as a RawTable (first row = header), by sheet name.

    Sheets are streamed (openpyxl read-only) and only the rows the file holds are read, so a
    used range that claims A1:Z1000000 costs nothing; at most :data:`MAX_WORKBOOK_BYTES` and
    :data:`MAX_ROWS` data rows per sheet. A formula counts by the value its workbook computed; a
    formula without one (in a workbook saved by a program that does not compute, such as
    openpyxl) is an error naming the cell. In a workbook where some formula has a computed value,
    one without a value computed an empty text (openpyxl cannot tell the two apart) and is blank.
    """
    _check_size(path, path.name, MAX_WORKBOOK_BYTES, "a workbook")
    read = _each_sheet(path, False, lambda ws: _sheet_rows(ws, sheet_file(path.name, ws.title)))
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
                missing.append(Problem(file, str(i + 1), str(name) if name else None,
                                       f"a formula ({formula}) without a computed value: open and save the "
                                       "workbook in Excel or LibreOffice, or type the value"))
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
        raise _unreadable(path, e)
    try:
        return {ws.title: read(ws) for ws in wb.worksheets}
    except ReadError:
        raise
    except Exception as e:
        raise _unreadable(path, e) from None
    finally:
        wb.close()


def _unreadable(path: Path, e: Exception) -> ReadError:
    return ReadError(Problem(path.name, None, None,
                             f"not a readable Excel workbook (.xlsx): {type(e).__name__}: {e}"))


def _sheet_rows(ws, file: str) -> tuple[list[tuple[int, list[Any]]], dict[tuple[int, int], str]]:
    """The non-blank rows of a read-only sheet as (row index, values), the header row (index 0)
    always; and the formula cells, by (row index, column index)."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    ws.reset_dimensions()  # the stated used range may be far larger than the rows held
    rows: list[tuple[int, list[Any]]] = []
    formulas: dict[tuple[int, int], str] = {}
    for i, values in enumerate(ws.iter_rows(values_only=True)):
        if i and not any(v is not None for v in values):
            continue
        if i > MAX_ROWS:
            raise _too_many_rows(file, i + 1)
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


# ---------------------------------------------------------------- writing
#
# Formula injection (OWASP "CSV injection"): a spreadsheet reads a text cell whose first character
# is one of FORMULA_TRIGGERS as a formula. Workbooks allocopt writes mark every text cell as text
# (openpyxl would otherwise store a text starting with '=' as a formula and '#N/A' as an error),
# so they hold exactly the text. Result CSVs, written for people who open them in a spreadsheet,
# put a single quote before such text (:func:`escape_formula`; :func:`unescape_formula` undoes it
# exactly). Scenario CSVs (:func:`write_csv`) are written as they are: they are allocopt's input,
# its reader evaluates nothing, and write_scenario -> load_scenario must give back the same ids.

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet take a text cell for a formula."""

_SWAP_ATTEMPTS = 100
"""How often :func:`replace_folder` retries when other writers keep replacing the same folder."""


def format_cell(value: Any) -> str:
    """Text of one CSV cell: empty for None, floats exact (see :func:`cell_text`)."""
    text = cell_text(value)
    return "" if text is None else str(text)


def _looks_like_formula(text: str) -> bool:
    return text.lstrip("'")[:1] in FORMULA_TRIGGERS


def escape_formula(text: str) -> str:
    """``text`` for a CSV cell a spreadsheet may open: a text that starts with a formula character
    (``= + - @``, tab or CR), after any single quotes, gets one more single quote in front."""
    return "'" + text if _looks_like_formula(text) else text


def unescape_formula(text: str) -> str:
    """The text :func:`escape_formula` was given (for reading a result CSV back)."""
    return text[1:] if text[:1] == "'" and _looks_like_formula(text[1:]) else text


def excel_text(text: str) -> str:
    """``text`` as a workbook can hold it: control characters XML forbids shown as ``\\x1b``."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def excel_value(value: Any) -> Any:
    """A value a workbook can hold: infinities and NaN as text ('inf'), -0.0 as 0.0, text
    through :func:`excel_text`."""
    if isinstance(value, float):
        return value + 0.0 if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return excel_text(value)
    return value


def mark_text_cells(worksheet, columns: Iterable[int] | None = None) -> None:
    """Store every text cell of an openpyxl worksheet as text, never as a formula (openpyxl makes
    a text starting with '=' one) or an error ('#N/A'). ``columns``: the 1-based column numbers
    to look at (all when None)."""
    spans = [(j, j) for j in columns] if columns is not None else [(None, None)]
    for first, last in spans:
        for row in worksheet.iter_rows(min_col=first, max_col=last):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"


def not_stored_as_text(value: Any) -> bool:
    """Whether openpyxl, given ``value``, would store it as a formula or an error, not as text."""
    from openpyxl.cell.cell import ERROR_CODES

    return isinstance(value, str) and (value[:1] == "=" or value in ERROR_CODES)


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True, default_flow_style=False)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a scenario table; cells exactly as :func:`format_cell` gives them (no formula
    escaping: see the note above, and use :func:`write_xlsx` for a file to open in Excel)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for row in rows:
            w.writerow([format_cell(v) for v in row])


def write_xlsx(path: Path, sheets: dict[str, tuple[Sequence[str], list[Sequence[Any]]]]) -> None:
    """Write sheets (name -> (columns, rows)) to a workbook, atomically (temp file + rename).
    Text cells are stored as text (see :func:`mark_text_cells`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, (columns, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append([excel_value(c) for c in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for row in rows:
            ws.append([excel_value(v) for v in row])
        mark_text_cells(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(path, "tmp")  # created by open(): the usual permissions (mkstemp gives 0600)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- replacing a folder atomically

def _sibling(path: Path, kind: str) -> Path:
    """A new, unique name beside ``path``: ``.<name>.<random>.<kind>`` (hidden, never reused)."""
    stem = path.name.encode()[:120].decode(errors="ignore")
    return path.with_name(f".{stem}.{uuid.uuid4().hex[:16]}.{kind}")


def check_replaceable(target: Path, allowed: Iterable[str], what: str) -> None:
    """Raise FileExistsError when ``target`` exists and is not a folder holding nothing but
    files named in ``allowed`` (so replacing it would lose something); ``what`` names the
    contents in the message ('results', 'scenario')."""
    target = Path(target)
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder; choose a new or empty folder "
                              f"for the {what}")
    allowed = set(allowed)
    try:
        foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
    except FileNotFoundError:  # another writer is replacing it right now
        return
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise FileExistsError(f"{target} exists and holds other files ({', '.join(foreign[:5])}{more}); "
                              f"choose an empty or new folder for the {what}")


def probe_writable(folder: Path, target: Path, what: str) -> None:
    """Create and remove a folder in ``folder``: PermissionError naming ``target`` when that fails
    (``os.access`` says yes to root even for a read-only file system)."""
    probe = _sibling(folder / "probe", "probe")
    try:
        os.mkdir(probe)
        os.rmdir(probe)
    except OSError as exc:
        reason = "a read-only file system" if exc.errno == errno.EROFS else (exc.strerror or str(exc))
        message = f"cannot write the {what} to {target}: {folder} is not writable ({reason})"
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise PermissionError(message) from None
        raise OSError(exc.errno, message) from None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step (Linux renameat2 RENAME_EXCHANGE, glibc >= 2.28).

    False when the system or file system cannot; OSError (FileNotFoundError when one is gone)
    otherwise.
    """
    if sys.platform != "linux":
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove_earlier(folder: Path, allowed: Iterable[str]) -> None:
    """Remove a replaced folder: the files named in ``allowed``, then the folder if it is empty
    (a file someone put there meanwhile is kept, with its folder)."""
    for name in allowed:
        try:
            (folder / name).unlink()
        except OSError:
            pass
    try:
        folder.rmdir()
    except OSError:
        pass


def replace_folder(target: Path, fill: Callable[[Path], Any], allowed: Iterable[str],
                   what: str = "scenario") -> Path:
    """Create folder ``target`` by ``fill(folder)`` and one swap: never half-written, never mixed.

    ``fill`` writes into a new folder beside ``target`` with a unique hidden name and the usual
    permissions (0777 less the umask). That folder then takes ``target``'s place in one atomic
    step (Linux: ``renameat2(RENAME_EXCHANGE)``; elsewhere renames that retry when another
    writer got there first), and the earlier folder is removed. Writers saving to one folder at
    the same time each succeed and leave exactly one complete folder. On any exception,
    KeyboardInterrupt included, the new folder is removed.

    An existing ``target`` is replaced only when it holds nothing but files named in ``allowed``
    (an earlier folder written there); otherwise FileExistsError, and it is left untouched.
    A symbolic link is followed: the folder it points to is replaced. Returns ``target``, resolved.
    """
    target = Path(target).resolve()
    allowed = frozenset(allowed)
    check_replaceable(target, allowed, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(target, "tmp")
    try:
        os.mkdir(tmp)
        fill(tmp)
        _swap_in(tmp, target, allowed, what)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _swap_in(tmp: Path, target: Path, allowed: frozenset[str], what: str) -> None:
    """Put the folder ``tmp`` in ``target``'s place; remove what was there."""
    for _ in range(_SWAP_ATTEMPTS):
        try:
            os.rename(tmp, target)  # target absent (or an empty folder)
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
                raise
            if not os.path.lexists(target):
                continue  # another writer moved it away just now
        check_replaceable(target, allowed, what)
        try:
            if _exchange(tmp, target):
                _remove_earlier(tmp, allowed)  # tmp now holds the earlier folder
                return
        except FileNotFoundError:
            continue
        old = _sibling(target, "old")
        try:
            os.rename(target, old)
        except FileNotFoundError:
            continue
        try:
            os.rename(tmp, target)
        except OSError:  # another writer was faster: theirs goes next round
            _remove_earlier(old, allowed)
            continue
        _remove_earlier(old, allowed)
        return
    raise OSError(errno.EBUSY, f"could not replace {target}: other writers kept replacing it")
