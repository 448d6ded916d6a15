"""``allocopt.board``: one self-contained HTML report people read, in English or Swedish.

    from allocopt.board import plan_report, write_report
    write_report(plan_report(result, lang="sv"), "report.html")

Every script, style and chart is inline (plotly.js once): the file opens on a laptop without a
network and asks nothing of one. The same input gives the same bytes. Modules: :mod:`~.words`
(the words), :mod:`~.data` (the tables charts draw), :mod:`~.style` and :mod:`~.charts` (the
charts), :mod:`~.page` (the HTML), :mod:`~.plan`, :mod:`~.comparison` and :mod:`~.frontier` (the
three reports).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from allocopt.board.comparison import comparison_report
from allocopt.board.frontier import frontier_report
from allocopt.board.plan import plan_report

REPORT_NAME = "report.html"
"""The report's file name inside a result folder (:data:`allocopt.tables.RESULT_FOLDER_FILES`)."""


def write_report(html: str, path: str | os.PathLike) -> Path:
    """Write ``html`` to ``path`` (UTF-8) in one step: a temporary file beside it, then a rename, so
    that nothing half-written is ever left there. The file gets the usual permissions (0666 less
    the umask). Returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(html)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


__all__ = ["REPORT_NAME", "comparison_report", "frontier_report", "plan_report", "write_report"]
