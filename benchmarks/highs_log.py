"""The gap over time, read from HiGHS's MIP log (``Result.solver_log``).

    python benchmarks/highs_log.py LOG [--offset S] [--time-limit S] [--checkpoints 10,60,600]

prints, as JSON, the progress points of the log file LOG, its final report, the gap at each
checkpoint and the first times the gap was at most 1 % and 0.5 %.

HiGHS prints a progress line (best bound, best solution, time) when it finds a better plan and
as it works, no more often than its ``mip_min_logging_interval`` (5 s by default). Gap =
(best solution - best bound) / max(|best solution|, 1), as HiGHS reports it
(``allocopt.solver.relative_gap``). HiGHS logs nothing while a long step runs (a sub-MIP
heuristic, the root cut loop), so the trajectory is only as fine as the log.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from pathlib import Path

from allocopt.solver import relative_gap

THRESHOLDS = (0.01, 0.005)

_ROW = re.compile(
    r"^\s*[A-Za-z]?\s+\d+\s+\d+\s+\d+\s+[\d.]+%\s+(\S+)\s+(\S+)\s+(\S+)"
    r"\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+(?:\.\d+)?)s\s*$"
)
"""A progress line: Src, Proc., InQueue, Leaves, Expl. %, BestBound, BestSol, Gap, Cuts, InLp, Confl., LpIters, Time."""

_FINAL = (
    ("primal", r"^\s*Primal bound\s+(\S+)"),
    ("dual", r"^\s*Dual bound\s+(\S+)"),
    ("seconds", r"^\s*Timing\s+(\S+)"),
    ("status", r"^\s*Status\s+(.+?)\s*$"),
    ("nodes", r"^\s*Nodes\s+(\d+)\s*$"),
)
"""The lines of HiGHS's final report read here."""


def _num(token: str) -> float:
    """A number of the log (``float`` reads HiGHS's ``inf`` and ``-inf``); nan if none."""
    try:
        return float(token)
    except ValueError:
        return math.nan


def _gap(bound: float, incumbent: float) -> float:
    """``allocopt.solver.relative_gap``, inf without both."""
    gap = relative_gap(incumbent, bound)
    return math.inf if gap is None else gap


def last_run(text: str) -> tuple[str, int]:
    """The log of HiGHS's last run in ``text`` (a solve that HiGHS ran twice, as allocopt.solver
    does when HiGHS mishandled a start, logs both runs), and how many runs it holds."""
    runs = [run for run in re.split(r"(?m)^(?=MIP has \d+ rows)", text) if run.strip()]
    return (runs[-1] if runs else ""), len(runs)


def parse_log(text: str, offset: float = 0.0) -> dict:
    """Progress lines of HiGHS's MIP log as [(seconds, bound, incumbent, gap)], and its final report.

    ``offset``: seconds spent in the solve step before HiGHS started (the hand-off; with one
    thread, the first plan), added to every time, so that times count from the start of the
    solve step, as its time limit does."""
    points = []
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            bound, incumbent, seconds = _num(m.group(1)), _num(m.group(2)), float(m.group(4)) + offset
            points.append((seconds, bound, incumbent, _gap(bound, incumbent)))
    final: dict = {}
    for key, pattern in _FINAL:
        m = re.search(pattern, text, re.MULTILINE)
        if m:
            final[key] = m.group(1) if key == "status" else _num(m.group(1))
    if "seconds" in final:
        final["seconds"] += offset
    if "primal" in final and "dual" in final:
        final["gap"] = _gap(final["dual"], final["primal"])
    return {"points": points, "final": final}


def gap_at(log: dict, t: float, limit: float) -> float | None:
    """Gap at ``t`` seconds of the solve; None when the run was stopped by its limit before ``t``.

    A checkpoint at the time limit gets the final gap: what a solve with that limit returns
    (HiGHS checks the clock between steps, so it stops a little after the limit, and a plan
    found in that last step, often by a sub-MIP heuristic that logs nothing while it runs,
    belongs to it).
    """
    final = log["final"]
    end = final.get("seconds", math.inf)
    if t >= end or (t >= 0.99 * limit and math.isfinite(end)):
        stopped_early = end < limit * 0.98 and final.get("status", "").lower().startswith("optimal")
        return final.get("gap") if (stopped_early or t <= limit) else None
    gap = None
    for seconds, _b, _i, g in log["points"]:
        if seconds <= t:
            gap = g
    return gap if gap is not None else math.inf


def time_to(log: dict, threshold: float) -> float | None:
    """First time (s) the gap was at most ``threshold``; None if never."""
    for seconds, _b, _i, g in log["points"]:
        if g <= threshold:
            return seconds
    final = log["final"]
    if final.get("gap", math.inf) <= threshold:
        return final.get("seconds")
    return None


def trajectory(log: dict, limit: float, checkpoints: list[float]) -> dict:
    """The gap at each checkpoint and the first times under each of :data:`THRESHOLDS`."""
    return {
        "gap_at": {f"{t:g}": gap_at(log, t, limit) for t in checkpoints},
        "time_to": {f"{th:g}": time_to(log, th) for th in THRESHOLDS},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path, help="a HiGHS log file")
    parser.add_argument("--offset", type=float, default=0.0, help="seconds before HiGHS started [0]")
    parser.add_argument("--time-limit", type=float, default=math.inf, help="the solve's time limit, s [none]")
    parser.add_argument("--checkpoints", default="10,60,600", help="seconds [10,60,600]")
    args = parser.parse_args(argv)
    log = parse_log(args.log.read_text(encoding="utf-8"), args.offset)
    checkpoints = [float(t) for t in args.checkpoints.split(",")]
    print(json.dumps({**log, **trajectory(log, args.time_limit, checkpoints)}))


if __name__ == "__main__":
    main()
