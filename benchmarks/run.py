"""Solve quality, phase timings and memory on the synthetic municipalities (allocopt.synthetic),
measured through ``allocopt.solve``: the function ``allocopt solve`` calls, with its defaults.

    python benchmarks/run.py [--sizes S,M] [--seeds 1] [--time-limit 600] [--threads 2]
                             [--mip-gap 0.005] [--formulations allocopt,textbook] [--no-first-plan]
                             [--no-reference] [--record NAME] [--json FILE]
    python benchmarks/run.py --smoke          # S with 5 s solves, under a minute (CI)

Each size and instance seed (``--seeds 1,2,3``: three instances of every size; the gap reached
depends much on when a good plan is found, so one instance is an anecdote) runs in a fresh
Python process, so that its memory peak is its own. In it, each formulation (``allocopt``, the
default, split services served district to district; ``facility``, the same served facility by
facility; ``textbook``, facility by facility without the strengthening rows) runs what
``allocopt solve FOLDER --out DIR`` runs, timed:

- ``load``: ``allocopt.load_scenario`` (reading, row validation and the cross-table checks);
- ``allocopt.solve(scenario, time_limit=, mip_gap=, threads=, first_plan=, formulation=)``,
  whose own phase times (``Result.timings``) are reported: ``index``, ``build``, ``count`` (the
  model's size), ``hand-off`` (the Pyomo model to HiGHS), ``first plan``, ``HiGHS``, ``solve``
  (hand-off, first plan and HiGHS: what the time limit counts; with two threads the first plan
  runs beside HiGHS), ``results`` and ``check`` (the independent checker);
- ``write``: ``Result.save`` into a temporary folder (CSV, workbook, summary.json).

Status, objective, bound and gap are the Result's, as ``allocopt solve`` prints them. CPU / wall
is the process's CPU time over the wall time of these steps, against the threads given: a busy
machine leaves HiGHS (whose time limit is wall time) less CPU within its limit.

Gap over time (benchmarks/highs_log.py): HiGHS's log (``Result.solver_log``) gives the gap at
checkpoints (2, 10, 60 and 600 s up to the time limit, and the limit itself, counted from the
start of the solve step) and the first times the gap was at most 1 % and 0.5 %. A checkpoint at
the time limit reports the final gap; a threshold never reached is "> limit"; "–" without a log.

Reference (benchmarks/reference.py, ``--no-reference`` skips it): after the solve, the model is
built and handed over once more, and numpy alone passes the same matrix to HiGHS.

Memory: the peak resident set size (RSS) of the process while the formulation runs (Linux: the
peak is reset through /proc/self/clear_refs before each formulation; elsewhere ru_maxrss,
cumulative, marked *), and its increase over the RSS at the formulation's start. The process
already holds the imported libraries then and, for the second formulation, memory the allocator
kept from the first: the increase is the fairer comparison between formulations.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import record
from highs_log import THRESHOLDS, last_run, parse_log, trajectory
from record import DASH, PHASES, fmt_gap, fmt_msek, fmt_s, table

HERE = Path(__file__).resolve().parent
FORMULATIONS = ("allocopt", "textbook")
CHECKPOINTS = (2.0, 10.0, 60.0, 600.0)
SMOKE = dict(sizes="S", time_limit=5.0)


# ---------------------------------------------------------------------------- measuring


def reset_peak() -> bool:
    """Reset the process's peak RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _status_mib(key: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mib() -> float:
    """Peak resident set size since the last reset, MiB."""
    hwm = _status_mib("VmHWM")
    if hwm is not None:
        return hwm
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


class Clock:
    """Wall time and process CPU time of each step, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, step: str, fn, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.seconds[step] = time.perf_counter() - start
        self.cpu[step] = time.process_time() - cpu
        return out


def checkpoints(limit: float) -> list[float]:
    return sorted({t for t in CHECKPOINTS if t < limit} | {limit})


def gap_trajectory(result, limit: float) -> dict:
    """Gap at the checkpoints, times to 1 % and 0.5 %, B&B nodes: from HiGHS's log on ``result``
    (its last run), with the Result's own final gap at the end of the solve step."""
    text, runs = last_run(result.solver_log)
    if not text:
        return {"log": False}
    log = parse_log(text)
    timings = result.timings
    highs = timings.get("highs") if runs == 1 else log["final"].get("seconds")
    offset = max(0.0, timings["solve"] - highs) if highs is not None and "solve" in timings else 0.0
    log = parse_log(text, offset)
    nodes = log["final"].get("nodes")
    log["final"].update(
        gap=math.inf if result.gap is None else result.gap, seconds=timings.get("solve", math.inf), status=result.status
    )
    return {"log": True, "nodes": nodes, "points": log["points"], **trajectory(log, limit, checkpoints(limit))}


def run_formulation(folder: Path, formulation: str, args) -> dict:
    """One formulation on one instance, as ``allocopt solve`` runs it, each step timed."""
    import allocopt

    gc.collect()
    rss_start = _status_mib("VmRSS") or 0.0
    exact_peak = reset_peak()
    clock = Clock()
    scenario = clock("load", allocopt.load_scenario, folder)
    result = clock(
        "allocopt.solve",
        allocopt.solve,
        scenario,
        time_limit=args.time_limit,
        mip_gap=args.mip_gap,
        threads=args.threads,
        first_plan=not args.no_first_plan,
        formulation=formulation,
    )
    if result.has_plan:
        with tempfile.TemporaryDirectory(prefix="allocopt-bench-") as tmp:
            clock("write", result.save, Path(tmp) / "result")
    out = {
        "size": args.size,
        "seed": args.seed,
        "formulation": formulation,
        "status": result.status,
        "message": result.message,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "model_size": dict(result.model_size or {}),
        "timings": {**result.timings, "load": clock.seconds["load"], "write": clock.seconds.get("write")},
        "wall": sum(clock.seconds.values()),
        "cpu": sum(clock.cpu.values()),
        "peak_mib": peak_mib(),
        "rss_start_mib": rss_start,
        "peak_exact": exact_peak,
        **gap_trajectory(result, args.time_limit),
    }
    if result.has_plan:
        out["unmet_places"] = float(result.balance["unmet"].sum())
        out["capex_cap_binding_years"] = int((result.costs["capex_use"].fillna(0) >= 0.99).sum())
    del result
    if not args.no_reference:
        import reference

        out.update(reference.measure(scenario, formulation))
    return out


def instance(size: str, seed: int, folder: Path, regenerate: bool) -> Path:
    """The instance's scenario folder, written when absent; named by size, seed and a hash of the
    generator's code, so that a changed generator writes a new folder."""
    import allocopt.synthetic as synthetic

    generator = hashlib.sha256(Path(synthetic.__file__).read_bytes()).hexdigest()[:8]
    path = folder / f"{size}_seed{seed}_{generator}"
    if regenerate or not (path / "scenario.yaml").is_file():
        start = time.perf_counter()
        scenario = synthetic.write(size, path, seed)
        print(
            f"[{size}] generated {path} in {time.perf_counter() - start:.1f} s: {synthetic.describe(scenario)}",
            file=sys.stderr,
            flush=True,
        )
    return path


def worker(args) -> None:
    """Every formulation on one size and seed, in this process; the measurements as JSON to ``args.out``."""
    import highspy  # noqa: F401  (imported before any timing)
    import pyomo.environ  # noqa: F401

    import allocopt.model.build  # noqa: F401

    code = record.code_fingerprint()  # right after the import: the code measured, even if edited meanwhile
    folder = instance(args.size, args.seed, Path(args.instances), args.regenerate)
    results = []
    for formulation in args.formulations:
        print(f"[{args.size}] {formulation} ...", file=sys.stderr, flush=True)
        r = run_formulation(folder, formulation, args)
        r.update(code=code, load_average=record.load_average())
        print(
            f"[{args.size}] {formulation}: {r['status']}, gap {fmt_gap(r['gap'])}, "
            + ", ".join(f"{k} {v:.2f} s" for k, v in r["timings"].items() if v is not None)
            + f", peak {r['peak_mib']:.0f} MiB",
            file=sys.stderr,
            flush=True,
        )
        results.append(r)
    Path(args.out).write_text(json.dumps(results, allow_nan=True))


# ---------------------------------------------------------------------------- report


def report(results: list[dict], args) -> str:
    """The settings and three tables: solve quality, phases and memory, build + hand-off against
    the reference."""
    label = (lambda r: r["size"]) if len(args.seeds) == 1 else (lambda r: f"{r['size']}/{r['seed']}")
    codes = ", ".join(dict.fromkeys(r["code"] for r in results))
    lines = [
        f"Settings: `allocopt.solve` with time limit {args.time_limit:g} s, relative gap "
        f"{100 * args.mip_gap:g} %, {args.threads} thread(s), first plan "
        f"{'off' if args.no_first_plan else 'on'}; instance seeds {','.join(map(str, args.seeds))}; "
        f"allocopt code {codes}. Load average after each run: "
        + ", ".join(f"{label(r)} {r['formulation']} {r['load_average']}" for r in results)
        + ".",
        "",
    ]
    cps = checkpoints(args.time_limit)
    limit = f"> {args.time_limit:g}"
    rows = []
    for r in results:
        row = [label(r), r["formulation"], r["status"]]
        if r["log"]:
            row += [fmt_gap(r["gap_at"][f"{t:g}"]) for t in cps]
            row += [
                fmt_s(r["time_to"][f"{th:g}"], 1) if r["time_to"][f"{th:g}"] is not None else limit for th in THRESHOLDS
            ]
        else:
            row += [DASH] * (len(cps) + len(THRESHOLDS))
        row += [
            fmt_gap(r["gap"]),
            fmt_msek(r["objective"]),
            fmt_msek(r["bound"]),
            f"{r['nodes']:.0f}" if r.get("nodes") is not None else DASH,
            fmt_s(r.get("unmet_places"), 0),
            str(r.get("capex_cap_binding_years", DASH)),
        ]
        rows.append(row)
    lines += [
        table(
            ["size", "formulation", "status"]
            + [f"gap {t:g} s" for t in cps]
            + [f"to {100 * th:g} % s" for th in THRESHOLDS]
            + [
                "final gap",
                "objective MSEK",
                "bound MSEK",
                "B&B nodes",
                "unmet place-years",
                "capex cap binding (years)",
            ],
            rows,
        ),
        "",
    ]
    rows = []
    for r in results:
        size, t = r["model_size"], r["timings"]
        row = [label(r), r["formulation"]] + [
            f"{size[k]:,}" if k in size else DASH for k in ("rows", "columns", "integers", "nonzeros")
        ]
        row += [fmt_s(t.get(key)) for key in PHASES]
        row += [
            f"{r['cpu'] / r['wall']:.2f}",
            f"{r['peak_mib']:.0f}" + ("" if r["peak_exact"] else "*"),
            f"{r['peak_mib'] - r['rss_start_mib']:.0f}" if r["peak_exact"] else DASH,
        ]
        rows.append(row)
    lines += [
        table(
            ["size", "formulation", "rows", "columns", "integers", "nonzeros"]
            + [f"{name} s" for name in PHASES.values()]
            + ["CPU / wall", "peak MiB", "+MiB"],
            rows,
        )
    ]
    if any("reference" in r for r in results):
        rows = [
            [
                label(r),
                r["formulation"],
                fmt_s(r["timings"].get("build"), 3),
                fmt_s(r["timings"].get("hand_off"), 3),
                f"{r['reference']:.4f}",
                _ratio(r),
                "yes" if r["reference_equal"] else "NO",
            ]
            for r in results
            if "reference" in r
        ]
        lines += [
            "",
            "Build + hand-off against numpy passing the same matrix to HiGHS (benchmarks/reference.py):",
            "",
            table(
                [
                    "size",
                    "formulation",
                    "build s",
                    "hand-off s",
                    "numpy reference s",
                    "(build + hand-off) / reference",
                    "matrix equal",
                ],
                rows,
            ),
        ]
    if not all(r["log"] for r in results):
        lines += ["", "–: no HiGHS log on the Result (`Result.solver_log`), so no gap over time."]
    if not all(r["peak_exact"] for r in results):
        lines += ["", "\\* peak RSS could not be reset between formulations: cumulative over the process."]
    return "\n".join(lines) + "\n"


def _ratio(r: dict) -> str:
    t = r["timings"]
    if t.get("build") is None or t.get("hand_off") is None or not r["reference"]:
        return DASH
    return f"{(t['build'] + t['hand_off']) / r['reference']:,.0f}"


# ---------------------------------------------------------------------------- main


def parse(argv: list[str]) -> argparse.Namespace:
    from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="S,M", help="comma-separated sizes of allocopt.synthetic [S,M]")
    parser.add_argument("--seeds", default="1", help="comma-separated instance seeds [1]")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve [600]")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help=f"threads [{DEFAULT_THREADS}]")
    parser.add_argument("--mip-gap", type=float, default=DEFAULT_MIP_GAP, help=f"relative gap [{DEFAULT_MIP_GAP}]")
    parser.add_argument(
        "--formulations", default=",".join(FORMULATIONS), help="allocopt, facility, textbook [allocopt,textbook]"
    )
    parser.add_argument("--no-first-plan", action="store_true", help="as allocopt solve --no-first-plan")
    parser.add_argument("--no-reference", action="store_true", help="skip the numpy reference hand-off")
    parser.add_argument(
        "--instances",
        default=str(HERE / "instances"),
        help="folder of generated instances, reused when present [benchmarks/instances]",
    )
    parser.add_argument("--regenerate", action="store_true", help="write the instances again")
    parser.add_argument("--smoke", action="store_true", help="S with 5 s solves (CI; under a minute)")
    parser.add_argument(
        "--record",
        metavar="NAME",
        help="rewrite the table between <!-- run.py:NAME start/end --> in benchmarks/RESULTS.md",
    )
    parser.add_argument("--json", help="write every measurement (with the gap trajectories) to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.time_limit = SMOKE["sizes"], SMOKE["time_limit"]
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.seeds = [int(s) for s in str(args.seeds).split(",") if s.strip()]
    args.formulations = [f.strip() for f in args.formulations.split(",") if f.strip()]
    return args


def worker_command(args, size: str, seed: int, out: str) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--size",
        size,
        "--seed",
        str(seed),
        "--out",
        out,
        "--time-limit",
        repr(args.time_limit),
        "--threads",
        str(args.threads),
        "--mip-gap",
        repr(args.mip_gap),
        "--formulations",
        ",".join(args.formulations),
        "--instances",
        args.instances,
    ] + [
        flag
        for flag, on in (
            ("--no-first-plan", args.no_first_plan),
            ("--no-reference", args.no_reference),
            ("--regenerate", args.regenerate),
        )
        if on
    ]


def main(argv: list[str] | None = None) -> None:
    raw = sys.argv[1:] if argv is None else argv
    args = parse(raw)
    if args.worker:
        worker(args)
        return
    from allocopt.synthetic import SIZES

    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size(s) {unknown}; expected some of {list(SIZES)}")
    results: list[dict] = []
    for size in args.sizes:
        for seed in args.seeds:
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
                out = f.name
            proc = subprocess.run(worker_command(args, size, seed, out))
            if proc.returncode != 0:
                raise SystemExit(f"size {size} seed {seed} failed (exit {proc.returncode})")
            results += json.loads(Path(out).read_text())
            os.unlink(out)
    text = report(results, args)
    print(text)
    if args.record:
        record.rewrite("run.py", args.record, "\n".join(record.provenance("run.py", raw)) + "\n\n" + text)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"settings": vars(args), "machine": record.machine(), "results": results}, indent=1, allow_nan=True
            )
        )


if __name__ == "__main__":
    main()
