"""What every benchmark script shares: the machine and code a figure was measured on, number
formats, Markdown tables, and ``--record``, which rewrites one table of benchmarks/RESULTS.md in
place between its markers::

    <!-- run.py:synthetic-60s start -->
    ... (rewritten) ...
    <!-- run.py:synthetic-60s end -->
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
DASH = "–"
PHASES = {
    "load": "load",
    "index": "index",
    "build": "build",
    "count": "count",
    "hand_off": "hand-off",
    "first_plan": "first plan",
    "highs": "HiGHS",
    "solve": "solve",
    "results": "results",
    "check": "check",
    "write": "write",
}
"""Phase times (keys of ``Result.timings`` and summary.json's ``timings``) in order, and their columns.
``solve`` holds hand-off, first plan and HiGHS: what the time limit counts (with two threads or
more the first plan runs beside HiGHS)."""


# ---------------------------------------------------------------------------- what was measured


def code_fingerprint() -> str:
    """Short sha256 of every ``.py`` file of the allocopt package imported here (paths and
    contents, sorted by path): the code measured, even where it is not committed."""
    import allocopt

    root = Path(allocopt.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def commit() -> str:
    """The checked-out commit (short hash), with "+ local changes" when the work tree differs."""

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)

    head = git("rev-parse", "--short", "HEAD")
    if head.returncode != 0:
        return "unknown commit"
    dirty = git("diff", "--quiet", "HEAD", "--", "src").returncode != 0
    return head.stdout.strip() + (" + local changes" if dirty else "")


def load_average() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


@functools.cache
def machine() -> str:
    """Operating system, CPU, cores and memory; the versions of Python, Pyomo and HiGHS."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(x for x in f if x.startswith("MemTotal")).split()[1])
        mem = f", {kib / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass
    from importlib.metadata import version

    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores{mem}; "
        f"Python {platform.python_version()}, Pyomo {version('pyomo')}, HiGHS {version('highspy')}"
    )


def command(script: str, argv: list[str]) -> str:
    """The command line that reproduces a measurement, from the repository's root."""
    return shlex.join(["python", f"benchmarks/{script}", *argv])


def provenance(script: str, argv: list[str], code: str | None = None) -> list[str]:
    """The lines above a recorded table: the command, the date, the commit and the machine."""
    return [
        f"Command: `{command(script, argv)}`",
        "",
        f"Measured {dt.date.today().isoformat()} at commit {commit()} (allocopt code "
        f"{code or code_fingerprint()}) on {machine()}; load average after the run {load_average()}.",
    ]


# ---------------------------------------------------------------------------- RESULTS.md


def markers(script: str, name: str) -> tuple[str, str]:
    return f"<!-- {script}:{name} start -->", f"<!-- {script}:{name} end -->"


def rewrite(script: str, name: str, block: str, path: Path = RESULTS) -> None:
    """Replace what stands between the table's markers in ``path`` by ``block``."""
    start, end = markers(script, name)
    text = path.read_text(encoding="utf-8")
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        raise SystemExit(
            f"{path}: no single '{start}' ... '{end}' pair: add the markers where the table belongs, then record again"
        )
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{start}\n{block.strip()}\n{end}{tail}", encoding="utf-8")
    print(f"recorded in {path} ({start})", file=sys.stderr)


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- numbers


def fmt_gap(g: float | None, digits: int = 2) -> str:
    """A relative gap in per cent; – unknown, ∞ without a plan or a bound."""
    if g is None:
        return DASH
    if not math.isfinite(g):
        return "∞"
    return f"{100 * g:.{digits}f} %"


def fmt_s(x: float | None, digits: int = 2) -> str:
    return DASH if x is None else f"{x:.{digits}f}"


def fmt_msek(x: float | None) -> str:
    """SEK as MSEK with one decimal."""
    return DASH if x is None else f"{x / 1e6:,.1f}"
