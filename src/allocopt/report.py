"""Result files and the readable terminal summary.

Files: one CSV per table, ``result.xlsx`` (one sheet per table plus ``summary``) and
``summary.json``. The same result gives byte-identical files: fixed column order, ``\\n`` line
ends, and the workbook's timestamps pinned.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from allocopt.result import write_summary

if TYPE_CHECKING:
    from allocopt.result import Result

VOLATILE_SUMMARY_KEYS = ("timings", "solve_seconds")
"""Summary figures that measure time: the only content that differs between identical runs."""

FIXED_TIME = dt.datetime(2000, 1, 1)
"""Timestamp written into workbooks, so that identical results give identical files."""


def write_tables(result: "Result", folder: Path, *, excel: bool = True) -> None:
    """Write every result file of ``result`` into the existing ``folder``.

    ``summary.json`` comes last, with the seconds the other files took as ``timings.write``.
    """
    start = time.perf_counter()
    for name, table in result.tables().items():
        table.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    if excel:
        write_workbook(result, folder / "result.xlsx")
    result.timings["write"] = time.perf_counter() - start
    write_summary(result, folder / "summary.json")


def write_workbook(result: "Result", path: Path) -> None:
    """One sheet per table, plus a ``summary`` sheet of key figures; deterministic bytes (the
    timings, which differ run to run, are in summary.json only)."""
    summary = result.summary()
    flat = [(k, v) for k, v in summary.items()
            if not isinstance(v, (dict, list)) and k not in VOLATILE_SUMMARY_KEYS]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame(flat, columns=["key", "value"]).to_excel(writer, sheet_name="summary", index=False)
        for name, table in result.tables().items():
            table.to_excel(writer, sheet_name=name, index=False)
        writer.book.properties.created = FIXED_TIME
        writer.book.properties.modified = FIXED_TIME
    _pin_zip_times(buffer.getvalue(), path)


def _pin_zip_times(data: bytes, path: Path) -> None:
    """Rewrite the workbook's zip entries with a fixed date and the core properties' time pinned."""
    src = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _pin_core_times(content)
            entry = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)


def _pin_core_times(xml: bytes) -> bytes:
    import re

    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\g<2>", xml)
