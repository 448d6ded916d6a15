"""Solve the published facility-location benchmarks through allocopt and compare with their optima.

    python benchmarks/published.py [--time-limit 60] [--threads 2] [--no-first-plan] [--only orlib|holmberg]
                                   [--instances capa_8000,p1,p2] [--shared ../shared] [--record NAME]
                                   [--target-seconds S] [--target-total S]

Instances: every OR-Library instance of orlib/optima.json (cap41 ... cap134, and capa, capb,
capc at each of their four capacities, e.g. ``capa_8000``) and Holmberg p1 ... p71. Each is read
by :mod:`allocopt.importers` and solved by ``allocopt.solve`` with a zero gap and the time
limit per instance, in this one process. Prints a Markdown table (one row as each instance
finishes), then a summary line. ``match``: |found - published| <= 1e-6 * published. The full
set takes hours; pick instances with --only / --instances. ``--record NAME`` rewrites the table
between ``<!-- published.py:NAME start/end -->`` in benchmarks/RESULTS.md. ``--target-seconds``
(each instance proven within S seconds) and ``--target-total`` (all of them within S seconds)
add a line saying which instances miss the target and by how much.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import allocopt
import record
from allocopt.importers import read_holmberg, read_orlib
from allocopt.solver import DEFAULT_THREADS
from record import DASH

REL_TOL = 1e-6
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
HEAD = [
    "instance",
    "published",
    "found",
    "bound",
    "gap %",
    "status",
    "read s",
    "index s",
    "build s",
    "solve s",
    "match",
]


def instances(shared: Path, only: str | None) -> list[tuple[str, str, float]]:
    """(set, instance, published optimum) in a fixed order: OR-Library, then Holmberg."""
    out: list[tuple[str, str, float]] = []
    if only in (None, "orlib"):
        optima = json.loads((shared / "orlib" / "optima.json").read_text())
        names = [k for k in optima if not k.startswith("_")]
        small = sorted((k for k in names if re.fullmatch(r"cap\d+", k)), key=lambda k: int(k[3:]))
        out += [("orlib", k, float(optima[k])) for k in small + [k for k in names if k not in small]]
    if only in (None, "holmberg"):
        optima = json.loads((shared / "holmberg" / "optima.json").read_text())
        names = sorted((k for k in optima if re.fullmatch(r"p\d+", k)), key=lambda k: int(k[1:]))
        out += [("holmberg", k, float(optima[k])) for k in names]
    return out


def read(shared: Path, family: str, name: str) -> allocopt.Scenario:
    if family == "holmberg":
        return read_holmberg(shared / "holmberg" / name)
    stem, _, capacity = name.partition("_")
    return read_orlib(shared / "orlib" / f"{stem}.txt", capacity=float(capacity) if capacity else None)


def _num(x: float | None, fmt: str) -> str:
    return DASH if x is None else format(x, fmt)


def solve_one(args, family: str, name: str, published: float) -> tuple[list[str], bool, bool, str | None]:
    """The table row of one instance; whether it was proven optimal and matches the published
    optimum; how it misses ``--target-seconds`` (None: it meets it, or there is none)."""
    start = time.perf_counter()
    scenario = read(args.shared, family, name)
    read_seconds = time.perf_counter() - start
    result = allocopt.solve(
        scenario, mip_gap=0.0, time_limit=args.time_limit, threads=args.threads, first_plan=not args.no_first_plan
    )
    t = result.timings
    match = result.objective is not None and abs(result.objective - published) <= REL_TOL * abs(published)
    gap = None if result.gap is None else 100 * result.gap
    row = [
        name,
        f"{published:,.3f}",
        _num(result.objective, ",.3f"),
        _num(result.bound, ",.3f"),
        _num(gap, ".4f"),
        result.status,
        f"{read_seconds:.2f}",
        f"{t.get('index', 0):.2f}",
        f"{t.get('build', 0):.2f}",
        f"{t.get('solve', 0):.2f}",
        "yes" if match else "NO",
    ]
    return row, result.status == "optimal", match, _miss(args.target_seconds, name, result, published)


def _miss(target: float | None, name: str, result: allocopt.Result, published: float) -> str | None:
    """How ``result`` misses a target of proven optimal within ``target`` seconds, if it does."""
    seconds = result.timings.get("solve", 0.0)
    if target is None or (result.status == "optimal" and seconds <= target):
        return None
    if result.status == "optimal":
        return f"{name} proven in {seconds:.1f} s, {seconds - target:.1f} s over"
    gap = "no bound" if result.gap is None else f"gap {100 * result.gap:.4f} %"
    plan = (
        "no plan"
        if result.objective is None
        else f"plan {100 * (result.objective - published) / published:.4f} % above the published optimum"
    )
    return f"{name} not proven in {seconds:.1f} s ({gap}, {plan})"


def main(argv: list[str] | None = None) -> None:
    raw = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance [60]")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help=f"threads [{DEFAULT_THREADS}]")
    parser.add_argument("--no-first-plan", action="store_true", help="no first plan for HiGHS")
    parser.add_argument("--only", choices=("orlib", "holmberg"), default=None, help="one benchmark set")
    parser.add_argument("--instances", default=None, help="comma-separated instance names, e.g. capa_8000,cap41,p1")
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help=f"folder holding orlib/ and holmberg/ [{DEFAULT_SHARED}]"
    )
    parser.add_argument("--target-seconds", type=float, default=None, help="target: each proven within S seconds")
    parser.add_argument("--target-total", type=float, default=None, help="target: all proven within S seconds")
    parser.add_argument(
        "--record", metavar="NAME", help="rewrite the table between <!-- published.py:NAME start/end --> in RESULTS.md"
    )
    args = parser.parse_args(raw)

    todo = instances(args.shared, args.only)
    if args.instances:
        wanted = [w.strip() for w in args.instances.split(",") if w.strip()]
        known = {name for _, name, _ in todo}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            parser.error(f"unknown instance(s): {', '.join(unknown)} (e.g. cap41, capa_8000, p1)")
        todo = [t for t in todo if t[1] in wanted]

    code = record.code_fingerprint()
    settings = (
        f"Settings: time limit {args.time_limit:g} s per instance, {args.threads} thread(s), mip_gap 0, "
        f"{'no first plan' if args.no_first_plan else 'first plan'}."
    )
    print(settings + "\n\n| " + " | ".join(HEAD) + " |\n|" + "---|" * len(HEAD), flush=True)
    rows, proven, matched, misses = [], 0, 0, []
    start_all = time.perf_counter()
    for family, name, published in todo:
        row, optimal, match, miss = solve_one(args, family, name, published)
        print("| " + " | ".join(row) + " |", flush=True)
        rows.append(row)
        proven += optimal
        matched += match
        misses += [miss] if miss else []
    total = time.perf_counter() - start_all
    summary = (
        f"{len(todo)} instance(s): {proven} proven optimal, {matched} matching the published optimum, "
        f"{total:.1f} s in all."
    )
    if args.target_seconds is not None:
        summary += f" Target each proven within {args.target_seconds:g} s: " + (
            f"{len(misses)} miss it: {'; '.join(misses)}." if misses else "met by all."
        )
    if args.target_total is not None:
        over = total - args.target_total
        summary += f" Target all proven within {args.target_total:g} s: " + (
            f"missed, {len(todo) - proven} not proven."
            if proven < len(todo)
            else f"missed by {over:.1f} s."
            if over > 0
            else "met."
        )
    print("\n" + summary)
    if args.record:
        block = [*record.provenance("published.py", raw, code), "", settings, "", summary, "", record.table(HEAD, rows)]
        record.rewrite("published.py", args.record, "\n".join(block))


if __name__ == "__main__":
    main()
