"""Time the embedded default scenario end to end, as `allocopt solve` runs it.

    python benchmarks/default_scenario.py [--runs 3] [--threads N] [--time-limit S] [--no-first-plan]
                                          [--capex-factors 1,1.1,1.25]

Each run is a fresh process (`allocopt solve --out TMP`, with the CLI's defaults unless an option
is given here), timed by the wall clock, with the
phase timings and gap read from its summary.json. Prints a Markdown table for
benchmarks/RESULTS.md.

``--capex-factors``: the budget variants a strategist compares. For each factor other than 1,
the embedded scenario is copied with every year's ``capex_cap`` (budget.csv) multiplied by it
(rounded to whole MSEK) and that copy is solved; factor 1 is the embedded scenario itself.
Each variant runs ``--runs`` times.
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


def budget_variant(factor: float, folder: Path) -> Path:
    """The embedded default scenario, written into ``folder`` (``allocopt.load.write_scenario``)
    with each year's capex cap (SEK) multiplied by ``factor``, rounded to whole MSEK."""
    import allocopt
    from allocopt.load import write_scenario

    scenario = allocopt.load_scenario(allocopt.default_scenario_path())
    budget = [b.model_copy(update={"capex_cap": None if b.capex_cap is None else round(b.capex_cap * factor, -6)})
              for b in scenario.budget]
    target = folder / f"sodertalje_capex_x{factor:g}"
    write_scenario(scenario.model_copy(update={"budget": budget}), target)
    return target


def one_run(options: list[str], scenario: Path | None = None) -> dict:
    exe = shutil.which("allocopt") or str(Path(sys.executable).with_name("allocopt"))
    with tempfile.TemporaryDirectory(prefix="allocopt-bench-") as tmp:
        out = Path(tmp) / "r"
        start = time.perf_counter()
        path = [str(scenario)] if scenario else []
        proc = subprocess.run([exe, "solve", *path, "--out", str(out), "--quiet", *options],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode not in (0, 1) or not (out / "summary.json").exists():  # 1: no plan (a row of its own)
            raise SystemExit(f"allocopt solve failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        summary = json.loads((out / "summary.json").read_text())
    return {"wall": wall, **summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, help="pass --threads N to allocopt solve")
    parser.add_argument("--time-limit", type=float, help="pass --time-limit S to allocopt solve")
    parser.add_argument("--no-first-plan", action="store_true", help="pass --no-first-plan to allocopt solve")
    parser.add_argument("--capex-factors", default="1",
                        help="comma-separated factors on every year's capex cap: the budget variants to solve")
    args = parser.parse_args()
    options = ((["--threads", str(args.threads)] if args.threads else [])
               + (["--time-limit", str(args.time_limit)] if args.time_limit else [])
               + (["--no-first-plan"] if args.no_first_plan else []))
    factors = [float(f) for f in args.capex_factors.split(",")]
    runs = []
    with tempfile.TemporaryDirectory(prefix="allocopt-variants-") as folder:
        for factor in factors:
            scenario = None if factor == 1 else budget_variant(factor, Path(folder))
            runs += [{"factor": factor, **one_run(options, scenario)} for _ in range(args.runs)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"allocopt solve {' '.join(options) or '(defaults)'}")
    print("| run | capex frame × | status | gap % | objective MSEK | load s | index s | build s | solve s "
          "| results s | write s | CLI wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(runs, 1):
        t = r["timings"]
        objective = "–" if r["objective"] is None else f"{r['objective'] / 1e6:,.1f}"
        gap = "–" if r["gap"] is None else f"{100 * r['gap']:.3f}"
        print(f"| {i} | {r['factor']:g} | {r['status']} | {gap} | {objective} | "
              f"{t.get('load', 0):.2f} | {t.get('index', 0):.2f} | {t.get('build', 0):.2f} | {t.get('solve', 0):.2f} | "
              f"{t.get('results', 0):.2f} | {t.get('write', 0):.2f} | {r['wall']:.2f} |")
    for factor in factors:
        walls = [r["wall"] for r in runs if r["factor"] == factor]
        print(f"\ncapex frame × {factor:g}: median CLI wall time {statistics.median(walls):.2f} s over "
              f"{len(walls)} runs")
    print(f"model {runs[0]['model_size']}")


if __name__ == "__main__":
    main()
