"""Writing a result: its files, the folder they go in, and saving them there in one step.

Files: one CSV per table (raw SEK, for machines), ``result.xlsx`` (a ``summary`` sheet, then
one formatted sheet per table, for people: :mod:`allocopt.workbook`) and ``summary.json``
(:data:`allocopt.tables.RESULT_FILES`). The same result gives byte-identical files: fixed column
order, ``\\n`` line ends, the workbook's timestamps pinned, and -0.0 written as 0.

Text is never taken for a formula (OWASP CSV injection): in the CSVs a text cell whose first
character (after any single quotes) is ``=``, ``+``, ``-``, ``@``, a tab or a CR gets a single
quote in front (``=SUM(A1)`` is written ``'=SUM(A1)``; numbers, negative ones included, are
numbers and never quoted; :func:`allocopt.writers.unescape_formula` gives the text back); in
the workbook every text cell is stored as text, exactly as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from allocopt.tables import RESULT_FOLDER_FILES
from allocopt.workbook import FIXED_TIME as FIXED_TIME  # re-exported: other workbooks pin their times with it
from allocopt.workbook import write_result_workbook
from allocopt.writers import check_replaceable, escape_formula, probe_writable, replace_folder

if TYPE_CHECKING:
    from allocopt.result import Result

VOLATILE_SUMMARY_KEYS = ("timings", "solve_seconds")
"""Summary figures that measure time: the only content that differs between identical runs."""


def save(result: Result, directory: str | os.PathLike, *, excel: bool = True) -> Path:
    """Write every table as CSV, a workbook ``result.xlsx`` (:mod:`allocopt.workbook`) and
    ``summary.json`` into ``directory``.

    Files are written to a new folder beside ``directory`` (a unique hidden name) which then
    takes its place in one atomic step (see :func:`allocopt.writers.replace_folder`), so a
    reader never sees a half-written result and processes saving to one folder at the same
    time leave exactly one complete result. An existing ``directory`` is replaced only when it
    holds nothing but result files (an earlier result); otherwise :class:`FileExistsError` is
    raised and nothing is touched. Returns the folder.
    """
    return replace_folder(
        Path(directory).resolve(), lambda tmp: write_tables(result, tmp, excel=excel), RESULT_FOLDER_FILES, "results"
    )


def write_tables(result: Result, folder: Path, *, excel: bool = True, extra: dict | None = None) -> None:
    """Write every result file of ``result`` into the existing ``folder``.

    ``summary.json`` comes last, with the seconds the other files took as ``timings.write``, and
    the objects of ``extra`` (e.g. a plan's ``baseline``) beside the summary's own.
    """
    start = time.perf_counter()
    tables = {name: _no_negative_zero(table) for name, table in result.tables().items()}
    for name, table in tables.items():
        write_csv(table, folder / f"{name}.csv")
    if excel:
        write_result_workbook(result, folder / "result.xlsx")
    result.timings["write"] = time.perf_counter() - start
    write_summary(result, folder / "summary.json", extra)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as CSV, text that looks like a formula with a leading ``'`` (every result CSV)."""
    _escape_text(table, escape_formula).to_csv(path, index=False, lineterminator="\n")


def write_summary(result: Result, path: Path, extra: dict | None = None) -> None:
    """Write ``summary.json`` (sorted keys, fixed float formatting: identical input, identical file),
    with the objects of ``extra`` beside the summary's own."""
    summary = {**result.summary(), **(extra or {})}
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _no_negative_zero(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every -0.0 written as 0.0 (float columns, and floats in mixed columns)."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values):
            out[column] = values + 0.0
        elif values.dtype == object:
            out[column] = values.map(lambda v: v + 0.0 if isinstance(v, float) else v)
    return out


def _escape_text(table: pd.DataFrame, escape: Callable[[str], str]) -> pd.DataFrame:
    """``table`` with ``escape`` applied to every text cell (numbers and empty cells as they are).
    Works on each column's distinct values: ids repeat, and most need no change."""
    out = table
    for column in table.columns:
        if not _may_hold_text(table[column]):
            continue
        changed = {v: escape(v) for v in pd.unique(table[column]) if isinstance(v, str)}
        changed = {v: e for v, e in changed.items() if e != v}
        if changed:
            out = out.copy() if out is table else out
            out[column] = table[column].map(lambda v, changed=changed: changed.get(v, v) if isinstance(v, str) else v)
    return out


def _may_hold_text(values: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)


# ---------------------------------------------------------------- where results go

RESULTS_DIR = Path("results")
"""Parent of the default results folders, relative to the working directory."""

FOLDER_NAME_LIMIT = 80
"""Most characters of a folder name made from a scenario name (and at most 3 bytes each on average)."""

_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def folder_name(name: str) -> str:
    """A safe folder name made from a scenario name, which is a label, never a path.

    Unicode NFC; path separators, characters Windows forbids, control and invisible formatting
    characters become ``_``; runs of dots become one; leading dots, spaces, dashes and ``_`` and
    trailing dots and spaces are dropped; Windows device names (``CON``, ``NUL`` ...) get a
    trailing ``_``. A name longer than :data:`FOLDER_NAME_LIMIT` characters is cut and ends in
    ``-`` and 10 hex digits of the full name's SHA-256, so that long names that differ give
    different folders. Nothing left gives ``scenario``.
    """
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = text.lstrip(" ._-").rstrip(" .")
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        text += "_"
    if len(text) > FOLDER_NAME_LIMIT or len(text.encode()) > 3 * FOLDER_NAME_LIMIT:
        digest = hashlib.sha256(unicodedata.normalize("NFC", name).encode()).hexdigest()[:10]
        head = text[: FOLDER_NAME_LIMIT - 11]
        while len(head.encode()) > 3 * FOLDER_NAME_LIMIT - 11:
            head = head[:-1]
        text = f"{head.rstrip(' .')}-{digest}"
    return text or "scenario"


def results_folder(name: str) -> Path:
    """The default folder for the results of scenario ``name``: ``results/<folder name>`` (see
    :func:`folder_name`); always inside ``results/``, whatever the name holds."""
    return RESULTS_DIR / folder_name(name)


def check_writable(target: str | os.PathLike, allowed: tuple[str, ...] = RESULT_FOLDER_FILES) -> None:
    """Raise, naming the folder, when :func:`save` could not write to ``target`` (a folder holding
    nothing but ``allowed``): call it before a long solve.

    - FileExistsError: ``target`` is a file, or a folder that holds files other than result files;
    - NotADirectoryError: a file stands where one of its parent folders must be;
    - PermissionError: the folder that would hold it cannot be written to (permissions, a
      read-only file system). This is tried, by creating and removing a folder there, since
      ``os.access`` answers yes to root even on a read-only file system.
    """
    target = Path(target).absolute()
    check_replaceable(target, allowed, "results")
    existing = next(p for p in (target.parent, *target.parent.parents) if os.path.lexists(p))
    if not existing.is_dir():
        raise NotADirectoryError(f"cannot write the results to {target}: {existing} is a file, not a folder")
    probe_writable(existing, target, "results")
    if target.is_dir():
        probe_writable(target, target, "results")
