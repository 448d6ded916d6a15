"""Time the embedded default scenario end to end, as `allocopt solve` runs it.

    python benchmarks/default_scenario.py [--runs 3] [--threads N] [--time-limit S] [--no-first-plan]

Each run is a fresh process (`allocopt solve --out TMP`, with the CLI's defaults unless an option
is given here), timed by the wall clock, with the
phase timings and gap read from its summary.json. Prints a Markdown table for
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(options: list[str]) -> dict:
    exe = shutil.which("allocopt") or str(Path(sys.executable).with_name("allocopt"))
    with tempfile.TemporaryDirectory(prefix="allocopt-bench-") as tmp:
        out = Path(tmp) / "r"
        start = time.perf_counter()
        proc = subprocess.run([exe, "solve", "--out", str(out), "--quiet", *options], capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"allocopt solve failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        summary = json.loads((out / "summary.json").read_text())
    return {"wall": wall, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, help="pass --threads N to allocopt solve")
    parser.add_argument("--time-limit", type=float, help="pass --time-limit S to allocopt solve")
    parser.add_argument("--no-first-plan", action="store_true", help="pass --no-first-plan to allocopt solve")
    args = parser.parse_args()
    options = ((["--threads", str(args.threads)] if args.threads else [])
               + (["--time-limit", str(args.time_limit)] if args.time_limit else [])
               + (["--no-first-plan"] if args.no_first_plan else []))
    runs = [one_run(options) for _ in range(args.runs)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"allocopt solve {' '.join(options) or '(defaults)'}")
    print("| run | status | gap % | objective MSEK | load s | index s | build s | solve s | results s | write s | CLI wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(runs, 1):
        t = r["timings"]
        print(f"| {i} | {r['status']} | {100 * (r['gap'] or 0):.3f} | {r['objective'] / 1e6:,.1f} | "
              f"{t.get('load', 0):.2f} | {t.get('index', 0):.2f} | {t.get('build', 0):.2f} | {t.get('solve', 0):.2f} | "
              f"{t.get('results', 0):.2f} | {t.get('write', 0):.2f} | {r['wall']:.2f} |")
    walls = [r["wall"] for r in runs]
    print(f"\nmedian CLI wall time {statistics.median(walls):.2f} s over {len(runs)} runs; "
          f"model {runs[0]['model_size']}")


if __name__ == "__main__":
    main()
