"""A sweep in parallel against the same points solved one after the other, on the default scenario.

    python benchmarks/sweep.py [--scale 1.0:1.3:4] [--time-limit 60] [--workers 2] [--record NAME]

The points are the embedded default scenario with every year's capex frame multiplied by each
factor of ``--scale`` (start:stop:count, inclusive; the override ``capex_scale``), each solved with
one thread, ``--time-limit`` seconds and ``--mip-gap``, and saved (without result.xlsx):

- serial: a loop in this process, :func:`allocopt.sweep_points.point_scenario` then
  :func:`allocopt.solve` and :meth:`allocopt.Result.save` for each point;
- sweep: :func:`allocopt.sweep.sweep` with its own ``LocalCluster`` of ``--workers``
  single-threaded worker processes; its wall time includes starting and closing the cluster.

Prints a Markdown table (per point: status, objective, gap and seconds of each; the totals and the
speed-up, serial wall time over sweep wall time). ``--record NAME`` rewrites the table between
``<!-- sweep.py:NAME start/end -->`` in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import record
from record import DASH, fmt_gap, fmt_msek, fmt_s, table


def main(argv: list[str] | None = None) -> None:
    import allocopt
    from allocopt.cli_frontier import parse_scale
    from allocopt.sweep import sweep
    from allocopt.sweep_points import Overrides, SweepSpec, point_id, point_scenario

    raw = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="1.0:1.3:4", help="capex factors, start:stop:count (inclusive)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per point")
    parser.add_argument("--mip-gap", type=float, default=0.005)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the sweep's local cluster")
    parser.add_argument(
        "--record", metavar="NAME", help="rewrite the table between <!-- sweep.py:NAME start/end --> in RESULTS.md"
    )
    args = parser.parse_args(raw)
    code = record.code_fingerprint()
    points = [Overrides(capex_scale=x) for x in parse_scale(args.scale)]
    settings = dict(time_limit=args.time_limit, mip_gap=args.mip_gap)
    base = allocopt.load_scenario(allocopt.default_scenario_path())

    with tempfile.TemporaryDirectory(prefix="allocopt-sweep-bench-") as tmp:
        serial, serial_s = [], []
        serial_at = time.perf_counter()
        for p in points:
            at = time.perf_counter()
            result = allocopt.solve(point_scenario(base, p), threads=1, **settings)
            result.save(Path(tmp) / "serial" / point_id(p), excel=False)
            serial.append(result)
            serial_s.append(time.perf_counter() - at)
            print(f"serial {point_id(p)}: {serial_s[-1]:.1f} s, {result.status}", file=sys.stderr)
        serial_wall = time.perf_counter() - serial_at

        at = time.perf_counter()
        swept = sweep(
            SweepSpec(points=points),
            Path(tmp) / "sweep",
            workers=args.workers,
            **settings,
            progress=lambda done, n, row: print(f"sweep {done}/{n} {row['point']}: {row['status']}", file=sys.stderr),
        )
        sweep_wall = time.perf_counter() - at

    def known(x):
        return None if x is None or x != x else float(x)  # NaN: no figure

    rows = []
    for p, alone, s, (_, row) in zip(points, serial, serial_s, swept.iterrows(), strict=True):
        rows.append(
            [
                f"{p.capex_scale:g}",
                alone.status,
                fmt_msek(alone.objective),
                fmt_gap(alone.gap),
                fmt_s(s, 1),
                str(row["status"]),
                fmt_msek(known(row["objective"])),
                fmt_gap(known(row["gap"])),
                fmt_s(known(row["seconds"]), 1),
            ]
        )
    rows.append(["total (wall)", DASH, DASH, DASH, f"{serial_wall:.1f}", DASH, DASH, DASH, f"{sweep_wall:.1f}"])
    head = ["capex frame ×", "serial status", "objective MSEK", "gap", "s"]
    head += ["sweep status", "objective MSEK", "gap", "s"]
    text = "\n".join(
        [
            f"Settings: {len(points)} points (the default scenario's capex caps × {args.scale}, start:stop:count), "
            f"time limit {args.time_limit:g} s and gap {args.mip_gap:g} per point, one thread per solve; "
            f"sweep on a local cluster of {args.workers} single-threaded worker processes.",
            "",
            table(head, rows),
            "",
            f"Speed-up (serial wall time / sweep wall time): **{serial_wall / sweep_wall:.2f}×**. Per-point seconds: "
            "serial, the point's scenario, solve and save in this process; sweep, the point's phases on its worker "
            "(sweep.csv's seconds). The sweep's total includes starting and closing its cluster.",
            "",
        ]
    )
    print(text)
    if args.record:
        record.rewrite("sweep.py", args.record, "\n".join(record.provenance("sweep.py", raw, code)) + "\n\n" + text)


if __name__ == "__main__":
    main()
