"""Writing files: scenario tables (CSV, YAML, Excel), text made safe for spreadsheets, and the
one atomic way to replace a folder of files.

Formula injection (OWASP "CSV injection"): a spreadsheet reads a text cell whose first character
is one of :data:`FORMULA_TRIGGERS` as a formula. Workbooks allocopt writes mark every text cell
as text (openpyxl would otherwise store a text starting with '=' as a formula and '#N/A' as an
error), so they hold exactly the text. Result CSVs, written for people who open them in a
spreadsheet, put a single quote before such text (:func:`escape_formula`;
:func:`unescape_formula` undoes it exactly). Scenario CSVs (:func:`write_csv`) are written as they
are: they are allocopt's input, its reader evaluates nothing, and write_scenario ->
load_scenario must give back the same ids.

Folders (a scenario, a result) are written by :func:`replace_folder`: filled under a new hidden
name beside the target, then swapped into place in one step; :func:`check_replaceable` and
:func:`probe_writable` say beforehand whether that can succeed.
"""

from __future__ import annotations

import csv
import errno
import math
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from allocopt.readers import cell_text

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


def mark_text_cells(worksheet: Any, columns: Iterable[int] | None = None) -> None:
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
    """Write ``data`` as YAML (keys in their order, UTF-8, ``\\n`` line ends)."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True, default_flow_style=False)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write a scenario table; cells exactly as :func:`format_cell` gives them (no formula
    escaping: see the module's note, and use :func:`write_xlsx` for a file to open in Excel)."""
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
        raise FileExistsError(f"{target} exists and is not a folder; choose a new or empty folder for the {what}")
    allowed = set(allowed)
    try:
        foreign = sorted(p.name for p in target.iterdir() if p.name not in allowed)
    except FileNotFoundError:  # another writer is replacing it right now
        return
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise FileExistsError(
            f"{target} exists and holds other files ({', '.join(foreign[:5])}{more}); "
            f"choose an empty or new folder for the {what}"
        )


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
    """Remove a replaced folder: the files and folders named in ``allowed`` (a folder named there,
    e.g. a plan's ``baseline/``, with all it holds), then the folder if it is empty (a file someone
    put there meanwhile is kept, with its folder)."""
    for name in allowed:
        path = folder / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            pass
    try:
        folder.rmdir()
    except OSError:
        pass


def replace_folder(target: Path, fill: Callable[[Path], Any], allowed: Iterable[str], what: str = "scenario") -> Path:
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
