"""Time the embedded default scenario end to end, as `allocopt solve` runs it.

    python benchmarks/default_scenario.py [--runs 3] [--threads N] [--time-limit S] [--no-first-plan]
                                          [--capex-factors 1,1.1,1.25] [--unmet-forbidden] [--record NAME]

Each run is a fresh process (``python -m allocopt solve --out TMP``, with the CLI's defaults
unless an option is given here), timed by the wall clock, with the phase timings, status and
gap read from its summary.json. Prints a Markdown table; ``--record NAME`` rewrites the table
between ``<!-- default_scenario.py:NAME start/end -->`` in benchmarks/RESULTS.md.

``--capex-factors``: the budget variants a strategist compares. For each factor other than 1,
the embedded scenario with every year's capex cap multiplied by it (rounded to whole MSEK,
``allocopt.synthetic.capex_variant``) is written to a temporary folder and solved; factor 1 is
the embedded scenario itself. Each variant runs ``--runs`` times. ``--unmet-forbidden``: every
variant with unmet demand forbidden (``unmet_penalty: forbidden`` in the settings and every
service: every place must be served), written to a temporary folder too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import record
from record import DASH, PHASES, fmt_msek, fmt_s, table

REPORTED = [k for k in PHASES if k != "count"]
"""Keys of summary.json's timings reported, in order (– where a run does not have one)."""


def variant(factor: float, forbidden: bool, folder: Path) -> Path:
    """The embedded default scenario with its capex caps scaled by ``factor`` and, if ``forbidden``,
    unmet demand forbidden everywhere, written into ``folder``."""
    import allocopt
    from allocopt.load import write_scenario
    from allocopt.synthetic import capex_variant

    scenario = capex_variant(allocopt.load_scenario(allocopt.default_scenario_path()), factor)
    if forbidden:
        scenario = scenario.model_copy(
            update={
                "settings": scenario.settings.model_copy(update={"unmet_penalty": "forbidden"}),
                "services": [s.model_copy(update={"unmet_penalty": "forbidden"}) for s in scenario.services],
            }
        )
    target = folder / f"sodertalje_capex_x{factor:g}{'_forbidden' if forbidden else ''}"
    write_scenario(scenario, target)
    return target


def one_run(options: list[str], scenario: Path | None = None) -> dict:
    """One ``allocopt solve`` in a fresh process: its summary.json and its wall time."""
    with tempfile.TemporaryDirectory(prefix="allocopt-bench-") as tmp:
        out = Path(tmp) / "r"
        path = [str(scenario)] if scenario else []
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "allocopt", "solve", *path, "--out", str(out), "--quiet", *options],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if proc.returncode not in (0, 1) or not (out / "summary.json").exists():  # 1: no plan (a row of its own)
            raise SystemExit(f"allocopt solve failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        summary = json.loads((out / "summary.json").read_text())
    return {"wall": wall, **summary}


def report(runs: list[dict], factors: list[float], options: list[str], forbidden: bool = False) -> str:
    rows = []
    for i, r in enumerate(runs, 1):
        t = r.get("timings", {})
        gap = DASH if r["gap"] is None else f"{100 * r['gap']:.3f}"
        rows.append(
            [str(i), f"{r['factor']:g}", r["status"], gap, fmt_msek(r["objective"])]
            + [fmt_s(t.get(k)) for k in REPORTED]
            + [f"{r['wall']:.2f}"]
        )
    head = (
        ["run", "capex frame ×", "status", "gap %", "objective MSEK"]
        + [f"{PHASES[k]} s" for k in REPORTED]
        + ["CLI wall s"]
    )
    size = ", ".join(f"{v:,} {k}" for k, v in (runs[0].get("model_size") or {}).items())
    lines = [
        f"Settings: `allocopt solve {' '.join(options) or '(defaults)'}`"
        + ("; unmet demand forbidden in every service" if forbidden else "")
        + f"; model: {size or DASH}.",
        "",
        table(head, rows),
        "",
    ]
    solve = [r.get("timings", {}).get("solve") for r in runs]
    proven = sum(r["status"] == "optimal" for r in runs)
    if None not in solve:
        lines.append(
            f"{len(runs)} run(s): {proven} proven optimal; solve {min(solve):.1f}–{max(solve):.1f} s, "
            f"{sum(solve):.1f} s in all."
        )
    for factor in factors:
        walls = [r["wall"] for r in runs if r["factor"] == factor]
        lines.append(
            f"capex frame × {factor:g}: median CLI wall time {statistics.median(walls):.2f} s over {len(walls)} run(s)."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    raw = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, help="pass --threads N to allocopt solve")
    parser.add_argument("--time-limit", type=float, help="pass --time-limit S to allocopt solve")
    parser.add_argument("--no-first-plan", action="store_true", help="pass --no-first-plan to allocopt solve")
    parser.add_argument(
        "--capex-factors",
        default="1",
        help="comma-separated factors on every year's capex cap: the budget variants to solve",
    )
    parser.add_argument(
        "--unmet-forbidden",
        action="store_true",
        help="solve the variants with unmet demand forbidden in every service",
    )
    parser.add_argument(
        "--record",
        metavar="NAME",
        help="rewrite the table between <!-- default_scenario.py:NAME start/end --> in RESULTS.md",
    )
    args = parser.parse_args(raw)
    options = (
        (["--threads", str(args.threads)] if args.threads else [])
        + (["--time-limit", str(args.time_limit)] if args.time_limit else [])
        + (["--no-first-plan"] if args.no_first_plan else [])
    )
    factors = [float(f) for f in args.capex_factors.split(",")]
    code = record.code_fingerprint()
    runs = []
    with tempfile.TemporaryDirectory(prefix="allocopt-variants-") as folder:
        for factor in factors:
            changed = factor != 1 or args.unmet_forbidden
            scenario = variant(factor, args.unmet_forbidden, Path(folder)) if changed else None
            runs += [{"factor": factor, **one_run(options, scenario)} for _ in range(args.runs)]
    text = report(runs, factors, options, args.unmet_forbidden)
    print(text)
    if args.record:
        record.rewrite(
            "default_scenario.py",
            args.record,
            "\n".join(record.provenance("default_scenario.py", raw, code)) + "\n\n" + text,
        )


if __name__ == "__main__":
    main()
