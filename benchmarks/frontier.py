"""The budget frontier against independent solves, on the embedded default scenario.

    python benchmarks/frontier.py [--scale 0.8:1.5:8] [--time-limit 120] [--threads 2] [--record NAME]

Both approaches solve the same budget variants: the default scenario with every year's capex
caps multiplied by each factor of ``--scale`` (start:stop:count, inclusive):

- frontier: ``allocopt.frontier.frontier`` (one model, one hand-off; the tightest level, the
  loosest, then the others, each started from the cheapest plan found that fits it, and decided
  without a solve where that plan is within the gap of a looser level's bound), ``--time-limit``
  per level;
- independent: ``allocopt.solve`` of each variant (``allocopt.synthetic.capex_variant``: the caps
  rounded to whole MSEK; the factors of 0.8:1.5:8 give whole MSEK anyway), with the same limit.

Both run in this process, one after the other, with the same threads and gap. Prints a Markdown
table (per level: status, objective, gap and seconds of each approach; the totals: the frontier's
wall time including its load, index, build and hand-off, against the sum of the independent solves'
wall times, each with its own index, build and hand-off). ``--record NAME`` rewrites the table
between ``<!-- frontier.py:NAME start/end -->`` in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time

import record
from record import DASH, fmt_gap, fmt_msek, fmt_s, table


def main(argv: list[str] | None = None) -> None:
    import allocopt
    from allocopt.cli_frontier import parse_scale
    from allocopt.frontier import ADOPTED, BRACKETED, frontier
    from allocopt.synthetic import capex_variant

    raw = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="0.8:1.5:8", help="capex factors, start:stop:count (inclusive)")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per level and per solve")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mip-gap", type=float, default=0.005)
    parser.add_argument(
        "--record", metavar="NAME", help="rewrite the table between <!-- frontier.py:NAME start/end --> in RESULTS.md"
    )
    args = parser.parse_args(raw)
    factors = parse_scale(args.scale)
    code = record.code_fingerprint()
    solve = dict(time_limit=args.time_limit, mip_gap=args.mip_gap, threads=args.threads)

    at = time.perf_counter()
    scenario = allocopt.load_scenario(allocopt.default_scenario_path())
    front = frontier(scenario, factors, "capex", **solve)
    front_wall = time.perf_counter() - at
    print(f"frontier: {front_wall:.1f} s", file=sys.stderr)

    alone, alone_wall = [], []
    for factor in factors:
        at = time.perf_counter()
        alone.append(allocopt.solve(capex_variant(scenario, factor), **solve))
        alone_wall.append(time.perf_counter() - at)
        print(f"solve × {factor:g}: {alone_wall[-1]:.1f} s, {alone[-1].status}", file=sys.stderr)

    rows = []
    for i, factor in enumerate(factors):
        f, a = front.results[i], alone[i]
        rows.append(
            [
                f"{factor:g}",
                f.status,
                fmt_msek(f.objective),
                fmt_gap(f.gap),
                fmt_s(front.levels.at[i, "seconds"], 1),
                {BRACKETED: "bracketed", ADOPTED: "adopted"}.get(f.message, "solved" if f.solver_log else DASH),
                a.status,
                fmt_msek(a.objective),
                fmt_gap(a.gap),
                fmt_s(alone_wall[i], 1),
            ]
        )
    rows.append(["total", DASH, DASH, DASH, f"{front_wall:.1f}", DASH, DASH, DASH, DASH, f"{sum(alone_wall):.1f}"])
    head = ["capex frame ×", "frontier status", "objective MSEK", "gap", "s", "how"]
    head += ["solve status", "objective MSEK", "gap", "s"]
    better = sum(
        f.objective is not None and (a.objective is None or f.objective < a.objective - 0.5e6)
        for f, a in zip(front.results, alone, strict=True)
    )
    worse = sum(
        a.objective is not None and (f.objective is None or a.objective < f.objective - 0.5e6)
        for f, a in zip(front.results, alone, strict=True)
    )
    text = "\n".join(
        [
            f"Settings: time limit {args.time_limit:g} s per level and per solve, gap {args.mip_gap:g}, "
            f"{args.threads} thread(s); the default scenario's capex caps × {args.scale} (start:stop:count).",
            "",
            table(head, rows),
            "",
            f"The frontier's plan is better (by more than 0.5 MSEK) at {better} level(s), worse at {worse}; "
            "frontier seconds per level are the level's solve, its total includes load, index, build and hand-off. "
            "how: solved by HiGHS; bracketed: a plan found at a tighter level, or the loosest, within the gap of a "
            "looser level's bound, so not solved; adopted: a cheaper plan of another level that fits this frame.",
            "",
        ]
    )
    print(text)
    if args.record:
        record.rewrite(
            "frontier.py", args.record, "\n".join(record.provenance("frontier.py", raw, code)) + "\n\n" + text
        )


if __name__ == "__main__":
    main()
