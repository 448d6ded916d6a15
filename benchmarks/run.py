"""Solve quality and phase timings at municipal and city scale: allocopt's formulation against
the textbook one, on the synthetic municipalities of benchmarks/generate.py.

    python benchmarks/run.py [--sizes S,M] [--time-limit 600] [--threads 1] [--seeds 1]
                             [--mip-gap 0.005] [--build-only] [--record FILE] [--json FILE]
    python benchmarks/run.py --smoke          # S with 5 s solves, under a minute (CI)

Each size (and instance seed: ``--seeds 1,2,3`` runs three instances of every size; the gaps
reached depend much on when HiGHS's heuristics find a good plan, so one instance is an
anecdote) runs in a fresh Python process (so its memory peak is its own). In it, each
formulation (``allocopt``, then ``textbook``) runs the whole pipeline with the same HiGHS, each
phase timed on its own:

- ``load``: ``allocopt.load_scenario`` on the instance folder (reading, row validation and the
  cross-table checks, which loading runs);
- ``validate``: ``allocopt.validate.cross_check`` alone, timed again separately;
- ``index``: ``allocopt.index.build_index`` (demand derivation, reach);
- ``build``: ``allocopt.model.build_model`` (the Pyomo model);
- ``hand-off``: Pyomo's ``highs`` interface (``pyomo.contrib.solver.solvers.highs.Highs``, the
  one allocopt.solver uses) turning the Pyomo model into a highspy model:
  ``Highs.set_instance(model)``, timed alone. The solve then reuses that instance with Pyomo's
  change detection switched off (``auto_updates``), so nothing is handed over twice. This is the
  same work ``Highs.solve`` does on a fresh model (it calls ``set_instance`` first), split in two;
- ``solve``: ``Highs.solve`` (HiGHS's run, its log captured, and the solution loaded into the
  Pyomo variables) with allocopt's solver options (seed, absolute gap, relative gap, threads,
  time limit), plus ``mip_min_logging_interval = 1`` so that HiGHS logs its progress up to once a
  second (default 5 s);
- ``results``: ``allocopt.results.read_tables``;
- ``write``: ``Result.save`` into a temporary folder (CSV, workbook, summary.json).

Each phase records wall and process CPU time; the report gives CPU / wall per formulation and
the load average, since a busy machine slows every phase and leaves HiGHS (whose time limit is
wall time) less CPU within its limit.

Gap trajectory: HiGHS prints a progress line (best bound, best solution, time) when it finds a
better plan and as it works, no more often than ``mip_min_logging_interval``. One solve with the
largest time limit gives the gap reached at 10, 60 and 600 s (the last line at or before that
time; the final gap once HiGHS has stopped) and the first times the gap was at most 1 % and
0.5 %. Gap = (best solution - best bound) / max(|best solution|, 1), as HiGHS reports it
(``allocopt.solver.relative_gap``). A checkpoint
at the time limit reports the final gap; one beyond it is "–"; a threshold never reached is
"> limit". HiGHS logs nothing while a long step runs (a sub-MIP heuristic, the root cut loop),
so the trajectory is only as fine as the log.

Reference for build + hand-off: after the hand-off the matrix HiGHS received is read back
(``Highs.getLp()``) and turned into COO triplets in row order, as a row-by-row builder would
produce them (untimed). The reference is the time numpy alone takes to sort those triplets into
a column-wise (CSC) matrix and pass it with the costs, bounds and integrality to a fresh
``highspy.Highs().passModel(...)`` (best of three): a lower bound for any builder that starts
from plain arrays. The matrix passed is checked equal to the one Pyomo handed over.

Memory: the peak resident set size (RSS) of the process during each formulation's pipeline
(Linux: the peak is reset through /proc/self/clear_refs before each formulation; elsewhere
ru_maxrss, cumulative), and its increase over the RSS at the formulation's start; the arrays of
the numpy reference are left out (the peak is reset once they are freed). The process
already holds the imported libraries then and, for the second formulation, memory the
allocator kept from the first: the size's peak is the larger of the two peaks, the increase
is the fairer comparison between formulations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import gc
import hashlib
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from allocopt.solver import relative_gap

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FORMULATION_ORDER = ("allocopt", "textbook")
CHECKPOINTS = (10.0, 60.0, 600.0)
THRESHOLDS = (0.01, 0.005)
SMOKE = dict(sizes="S", time_limit=5.0, checkpoints=(2.0, 5.0))
LOG_INTERVAL = 1.0
REFERENCE_REPEATS = 3
DASH = "–"


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


def rss_mib() -> float:
    """Resident set size now, MiB (0 where unknown)."""
    return _status_mib("VmRSS") or 0.0


class Clock:
    """Wall time and process CPU time of each phase, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def __call__(self, phase: str, fn, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.seconds[phase] = time.perf_counter() - start
        self.cpu[phase] = time.process_time() - cpu
        return out


def load_average() -> str:
    try:
        return "/".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ---------------------------------------------------------------------------- HiGHS log

_ROW = re.compile(r"^\s*[A-Za-z]?\s+\d+\s+\d+\s+\d+\s+[\d.]+%\s+(\S+)\s+(\S+)\s+(\S+)"
                  r"\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+(?:\.\d+)?)s\s*$")
"""A progress line: Src, Proc., InQueue, Leaves, Expl. %, BestBound, BestSol, Gap, Cuts, InLp, Confl., LpIters, Time."""


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


def parse_log(text: str, offset: float = 0.0) -> dict:
    """Progress lines of HiGHS's MIP log as [(seconds, bound, incumbent, gap)], and its final report.

    ``offset``: seconds spent before HiGHS started (the first plan), added to every time, so
    that times count from the start of the solve step as a whole."""
    points = []
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            bound, incumbent, seconds = _num(m.group(1)), _num(m.group(2)), float(m.group(4)) + offset
            points.append((seconds, bound, incumbent, _gap(bound, incumbent)))
    final: dict = {}
    for key, pattern in (("primal", r"^\s*Primal bound\s+(\S+)"), ("dual", r"^\s*Dual bound\s+(\S+)"),
                         ("seconds", r"^\s*Timing\s+(\S+)"), ("status", r"^\s*Status\s+(.+?)\s*$"),
                         ("nodes", r"^\s*Nodes\s+(\d+)\s*$")):
        m = re.search(pattern, text, re.MULTILINE)
        if m:
            final[key] = m.group(1) if key == "status" else _num(m.group(1))
    if "seconds" in final:
        final["seconds"] += offset
    if "primal" in final and "dual" in final:
        final["gap"] = _gap(final["dual"], final["primal"])
    return {"points": points, "final": final}


def gap_at(log: dict, t: float, limit: float) -> float | None:
    """Gap at ``t`` seconds of HiGHS's run; None when the run was stopped by its limit before ``t``.

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


# ---------------------------------------------------------------------------- hand-off and reference

def lp_arrays(highs) -> dict:
    """The model HiGHS holds, as numpy arrays, with the matrix as COO triplets in row order."""
    import numpy as np

    lp = highs.getLp()
    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    outer = np.repeat(np.arange(len(start) - 1), np.diff(start))
    if int(a.format_) == 1:  # column-wise: outer = column, index = row
        rows, cols = index, outer
    else:  # row-wise
        rows, cols = outer, index
    order = np.lexsort((cols, rows))
    integrality = np.asarray([int(v) for v in lp.integrality_], dtype=np.int32) if len(lp.integrality_) else \
        np.zeros(lp.num_col_, dtype=np.int32)
    return dict(
        num_col=int(lp.num_col_), num_row=int(lp.num_row_), sense=int(lp.sense_), offset=float(lp.offset_),
        col_cost=np.asarray(lp.col_cost_), col_lower=np.asarray(lp.col_lower_), col_upper=np.asarray(lp.col_upper_),
        row_lower=np.asarray(lp.row_lower_), row_upper=np.asarray(lp.row_upper_),
        rows=rows[order].astype(np.int64), cols=cols[order].astype(np.int64), vals=value[order].astype(np.float64),
        integrality=integrality,
    )


def reference_handoff(arrays: dict) -> tuple[float, object]:
    """Seconds numpy takes to assemble CSC from the COO triplets and pass the model to a fresh Highs."""
    import highspy
    import numpy as np

    n, m = arrays["num_col"], arrays["num_row"]
    rows, cols, vals = arrays["rows"], arrays["cols"], arrays["vals"]
    start = time.perf_counter()
    order = np.argsort(cols, kind="stable")
    a_index = rows[order].astype(np.int32)
    a_value = vals[order]
    a_start = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=n), out=a_start[1:])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(n, m, len(a_value), 1, arrays["sense"], arrays["offset"], arrays["col_cost"], arrays["col_lower"],
                arrays["col_upper"], arrays["row_lower"], arrays["row_upper"], a_start, a_index, a_value,
                arrays["integrality"])
    return time.perf_counter() - start, h


def same_model(a: dict, b: dict) -> bool:
    import numpy as np

    scalars = all(a[k] == b[k] for k in ("num_col", "num_row", "sense", "offset"))
    return scalars and all(np.array_equal(a[k], b[k]) for k in
                           ("rows", "cols", "vals", "col_cost", "col_lower", "col_upper", "row_lower",
                            "row_upper", "integrality"))


# ---------------------------------------------------------------------------- one formulation

WITH_START = "+start"
"""Suffix of a formulation name run with a first plan handed to HiGHS, e.g. ``allocopt+start``."""


def formulation_spec(formulation: str) -> tuple[tuple, bool, bool]:
    """(constraint families, state variables, first plan) of a formulation name."""
    from allocopt.model.build import FORMULATIONS

    families, state = FORMULATIONS[formulation.removesuffix(WITH_START)]
    return families, state, formulation.endswith(WITH_START)


def build_formulation(index, formulation: str):
    """``build_model`` for a formulation name, as ``allocopt.solve`` builds it."""
    from allocopt.model.build import build_model

    families, state, _start = formulation_spec(formulation)
    return build_model(index, families=families, state=state)


def code_fingerprint() -> str:
    """Short hash of the model code measured (others may be changing it between runs)."""
    import allocopt

    root = Path(allocopt.__file__).resolve().parent
    digest = hashlib.sha256()
    for name in ("index.py", "demand.py", "model/build.py", "model/terms.py", "model/first_plan.py",
                 "model/relax_fix.py", "model/completion.py", "solver.py"):
        path = root / name
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:10]


def formulation_families(formulation: str) -> str:
    """The constraint families, the state-variable switch and the first plan of a formulation, as text."""
    families, state, start = formulation_spec(formulation)
    names = ", ".join(f.__name__.removeprefix("add_") for f in families)
    return names + f"; state variables {'on' if state else 'off'}; first plan {'on' if start else 'off'}"


def run_formulation(folder: Path, formulation: str, args) -> dict:
    import numpy as np
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
    from pyomo.contrib.solver.solvers.highs import Highs

    import allocopt
    from allocopt.index import build_index
    from allocopt.results import read_tables
    from allocopt.solver import (CONCURRENT_SHARE, NO_UPDATES, RANDOM_SEED, START_SHARE, StartBeside, hand_start,
                                 highs_and_columns, split_threads)
    from allocopt.validate import cross_check

    gc.collect()
    rss_start = rss_mib()
    exact_peak = reset_peak()
    clock = Clock()
    scenario = clock("load", allocopt.load_scenario, folder)
    problems = clock("validate", cross_check, scenario)
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, errors
    index = clock("index", build_index, scenario)
    pm = clock("build", build_formulation, index, formulation)
    assert not pm.conflicts and not pm.unreachable and not index.conflicts, "the instance cannot be solved"
    solver = Highs()
    clock("handoff", solver.set_instance, pm.model)
    highs, _column = highs_and_columns(solver)
    peak_to_handoff = peak_mib()
    arrays = lp_arrays(highs)
    ref_seconds, ref = reference_handoff(arrays)
    equal = same_model(arrays, lp_arrays(ref))
    del ref
    for _ in range(REFERENCE_REPEATS - 1):  # the best of a few: small matrices take milliseconds
        ref_seconds = min(ref_seconds, reference_handoff(arrays)[0])
    out = {
        "size": args.size, "seed": args.seed, "formulation": formulation,
        "rows": arrays["num_row"], "columns": arrays["num_col"],
        "integers": int(np.count_nonzero(arrays["integrality"])), "nonzeros": int(len(arrays["vals"])),
        "reference": ref_seconds, "reference_equal": equal,
    }
    del arrays
    gc.collect()
    reset_peak()  # the reference's arrays are the benchmark's own: keep them out of the peak
    if not args.build_only:
        options = {"random_seed": RANDOM_SEED, "mip_abs_gap": 1e-9, "mip_min_logging_interval": LOG_INTERVAL}
        started = 0.0
        planned = formulation_spec(formulation)[2]
        threads, made_beside = split_threads(int(args.threads), planned)
        beside = None
        if planned:  # as allocopt.solver.solve_model hands a first plan over
            from allocopt.model.first_plan import first_plan

            start = functools.partial(first_plan, pm)
            if made_beside:  # its time is inside "solve"
                beside = StartBeside(solver, start, threads, CONCURRENT_SHARE * float(args.time_limit),
                                     wait=float(args.time_limit))
            else:
                out["start_objective"] = clock("start", hand_start, solver, start, threads,
                                               START_SHARE * float(args.time_limit))
                if out["start_objective"] is not None:
                    out["start_objective"] /= pm.money_scale
                started = clock.seconds["start"]

        def solve():
            try:
                res = solver.solve(pm.model, time_limit=max(0.0, float(args.time_limit) - started),
                                   rel_gap=float(args.mip_gap),
                                   threads=threads, solver_options=options, load_solutions=False,
                                   raise_exception_on_nonoptimal_result=False, auto_updates=NO_UPDATES)
            finally:
                if beside is not None:
                    beside.close()
            if res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible):
                res.solution_loader.load_vars()
            return res

        res = clock("solve", solve)
        log = parse_log(res.solver_log, offset=started)
        tc = res.termination_condition
        has_plan = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
        objective = res.incumbent_objective / pm.money_scale if has_plan else None
        if beside is not None and beside.plan is not None:
            out["start_objective"] = beside.plan[1] / pm.money_scale
            if beside.takes_over(tc == TerminationCondition.convergenceCriteriaSatisfied,
                                 res.incumbent_objective if has_plan else None):  # as solve_model
                beside.load(pm.model)
                has_plan, objective = True, out["start_objective"]
                log["final"]["gap"] = _gap(res.objective_bound, beside.plan[1])  # both in model units
        status = ("optimal" if tc == TerminationCondition.convergenceCriteriaSatisfied else
                  "time_limit" if has_plan else "no_plan")
        bound = res.objective_bound / pm.money_scale if res.objective_bound is not None else None
        out.update(status=status, objective=objective, bound=bound, highs_seconds=log["final"].get("seconds"),
                   nodes=log["final"].get("nodes"),
                   final_gap=log["final"].get("gap"), points=log["points"],
                   gap_at={str(t): gap_at(log, t, args.time_limit) for t in args.checkpoints},
                   time_to={str(th): time_to(log, th) for th in THRESHOLDS})
        if has_plan:
            tables = clock("results", read_tables, pm)
            result = allocopt.Result(scenario=index.name, status=status, objective=objective, bound=bound,
                                     gap=log["final"].get("gap"), solve_seconds=clock.seconds["solve"],
                                     timings=dict(clock.seconds), **tables)
            with tempfile.TemporaryDirectory(prefix="allocopt-bench-") as tmp:
                clock("write", result.save, Path(tmp) / "result")
            out["unmet_places"] = float(result.balance["unmet"].sum())
            out["capex_cap_binding_years"] = int((result.costs["capex_use"].fillna(0) >= 0.99).sum())
    out["seconds"] = clock.seconds
    out["cpu_seconds"] = clock.cpu
    out["load_average"] = load_average()
    out["code"] = args.code
    out["families"] = formulation_families(formulation)
    out["peak_mib"] = max(peak_to_handoff, peak_mib())
    out["rss_start_mib"] = rss_start
    out["peak_exact"] = exact_peak
    del pm, solver, index, scenario
    gc.collect()
    return out


def worker(args) -> None:
    """Run every formulation on one size in this process; results as JSON to ``args.out``."""
    import highspy  # noqa: F401  (imported before any timing)
    import pyomo.environ  # noqa: F401

    import allocopt.model.build  # noqa: F401
    import allocopt.results  # noqa: F401
    from generate import describe, write

    args.code = code_fingerprint()  # right after the import: the code measured, even if edited meanwhile
    generator = hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()[:8]
    folder = Path(args.instances) / f"{args.size}_seed{args.seed}_{generator}"  # a changed generator: new folder
    if args.regenerate or not (folder / "scenario.yaml").is_file():
        start = time.perf_counter()
        scenario = write(args.size, folder, args.seed)
        print(f"[{args.size}] generated {folder} in {time.perf_counter() - start:.1f} s: {describe(scenario)}",
              file=sys.stderr, flush=True)
    results = []
    for formulation in args.formulations:
        print(f"[{args.size}] {formulation} ...", file=sys.stderr, flush=True)
        r = run_formulation(folder, formulation, args)
        s = r["seconds"]
        print(f"[{args.size}] {formulation}: " + ", ".join(f"{k} {v:.2f} s" for k, v in s.items())
              + f", reference {r['reference']:.3f} s, peak {r['peak_mib']:.0f} MiB"
              + (f", {r['status']}, gap {fmt_gap(r.get('final_gap'))}" if "status" in r else ""),
              file=sys.stderr, flush=True)
        results.append(r)
    Path(args.out).write_text(json.dumps(results, allow_nan=True))


# ---------------------------------------------------------------------------- report

def fmt_gap(g) -> str:
    if g is None:
        return DASH
    if not math.isfinite(g):
        return "∞"
    return f"{100 * g:.2f} %"


def fmt_s(x, digits: int = 2) -> str:
    return DASH if x is None else f"{x:.{digits}f}"


def fmt_msek(x) -> str:
    """SEK as MSEK with one decimal."""
    return fmt_s(None if x is None else x / 1e6, 1)


def fmt_ratio(a, b) -> str:
    if a is None or b is None or (math.isinf(a) and math.isinf(b)):
        return DASH
    if math.isinf(a) or b == 0:
        return "∞"
    if math.isinf(b):
        return "0"
    return f"{a / b:.2f}"


@functools.cache
def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(next(x for x in open("/proc/meminfo") if x.startswith("MemTotal")).split()[1])
        mem = f", {kib / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass
    import pyomo
    from pyomo.contrib.solver.solvers.highs import Highs

    version = ".".join(str(v) for v in Highs().version())
    return (f"{platform.system()} {platform.release()} ({platform.machine()}), {cpu}, {os.cpu_count()} cores{mem}; "
            f"Python {platform.python_version()}, Pyomo {pyomo.version.version}, HiGHS {version}")


def report(results: list[dict], args) -> str:
    def label(r: dict) -> str:
        return r["size"] if len(args.seeds) == 1 else f"{r['size']}/{r.get('seed', '?')}"

    loads = ", ".join(f"{label(r)} {r['formulation']} {r.get('load_average', '?')}" for r in results)
    lines = [f"### benchmarks/run.py, {dt.date.today().isoformat()}", "",
             f"Machine: {machine()}. Load average (1/5/15 min) after each run: {loads}; "
             "CPU / wall below 1 means other processes took the CPU (HiGHS's time limit is wall time).",
             f"Settings: sizes {','.join(args.sizes)}, instance seeds {','.join(map(str, args.seeds))}, "
             f"HiGHS threads {args.threads}, "
             f"time limit {args.time_limit:g} s per solve, relative gap {100 * args.mip_gap:g} %"
             + (", build only" if args.build_only else "")
             + f"; model code {', '.join(dict.fromkeys(r.get('code', '?') for r in results))} (sha256 of "
             "index, demand, model and solver modules, read when each size's process started).", ""]
    for name in dict.fromkeys(r["formulation"] for r in results):
        kinds = dict.fromkeys(r.get("families", "?") for r in results if r["formulation"] == name)
        lines.insert(-1, f"Formulation {name}: " + " | ".join(kinds) + ".")
    cps = [f"gap {t:g} s" for t in args.checkpoints]
    ths = [f"to {100 * t:g} % s" for t in THRESHOLDS]
    head = (["size", "formulation", "rows", "columns", "integers", "nonzeros", "load s", "validate s", "index s",
             "build s", "hand-off s", "first plan s", "solve s", "results s", "write s", "CPU / wall", "peak MiB", "+MiB", "status"]
            + cps + ["final gap"] + ths + ["first plan MSEK", "objective MSEK", "bound MSEK", "B&B nodes", "unmet place-years",
                                           "capex cap binding (years)"])
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    limit = f"> {args.time_limit:g}"
    for r in results:
        s = r["seconds"]
        row = [label(r), r["formulation"], f"{r['rows']:,}", f"{r['columns']:,}", f"{r['integers']:,}",
               f"{r['nonzeros']:,}"] + [fmt_s(s.get(k)) for k in ("load", "validate", "index", "build", "handoff",
                                                                   "start", "solve", "results", "write")]
        cpu = r.get("cpu_seconds", {})
        row += [fmt_ratio(sum(cpu.values()), sum(s[k] for k in cpu)) if cpu else DASH]
        row += [f"{r['peak_mib']:.0f}" + ("" if r["peak_exact"] else "*"),
                f"{r['peak_mib'] - r['rss_start_mib']:.0f}" if r["peak_exact"] else DASH, r.get("status", DASH)]
        if "status" in r:
            row += [fmt_gap(r["gap_at"][str(t)]) for t in args.checkpoints] + [fmt_gap(r["final_gap"])]
            row += [fmt_s(r["time_to"][str(t)], 1) if r["time_to"][str(t)] is not None else limit for t in THRESHOLDS]
            row += [fmt_msek(r.get("start_objective")), fmt_msek(r["objective"]), fmt_msek(r.get("bound")),
                    f"{r['nodes']:.0f}" if r.get("nodes") is not None else DASH,
                    fmt_s(r.get("unmet_places"), 0), str(r.get("capex_cap_binding_years", DASH))]
        else:
            row += [DASH] * (len(args.checkpoints) + 1 + len(THRESHOLDS) + 6)
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "Build + hand-off against the direct numpy → highspy reference (same matrix):", "",
              "| size | formulation | build s | hand-off s | build + hand-off CPU s | reference s "
              "| (build + hand-off) / reference | matrix equal |",
              "|---|---|---|---|---|---|---|---|"]
    for r in results:
        s, cpu = r["seconds"], r.get("cpu_seconds", {})
        both_cpu = cpu["build"] + cpu["handoff"] if cpu else None
        lines.append(f"| {label(r)} | {r['formulation']} | {s['build']:.3f} | {s['handoff']:.3f} | "
                     f"{fmt_s(both_cpu, 3)} | {r['reference']:.4f} | {(s['build'] + s['handoff']) / r['reference']:,.0f} | "
                     f"{'yes' if r['reference_equal'] else 'NO'} |")
    by = {(label(r), r["formulation"]): r for r in results}
    pairs = [(key, by[key[0], "textbook"]) for key in by if key[1] == "allocopt" and (key[0], "textbook") in by]
    if pairs:
        head = ["size", "rows", "nonzeros", "build", "hand-off", "solve", "+MiB"]
        if "status" in by[pairs[0][0]]:
            head += cps + ["final gap"] + [f"time to {100 * t:g} %" for t in THRESHOLDS] + ["bound (above 1: stronger)"]
        lines += ["", "Ratios allocopt / textbook (below 1: allocopt smaller, faster or closer to optimal):", "",
                  "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for key, t in pairs:
            a = by[key]
            row = [key[0], fmt_ratio(a["rows"], t["rows"]), fmt_ratio(a["nonzeros"], t["nonzeros"])]
            row += [fmt_ratio(a["seconds"].get(k), t["seconds"].get(k)) for k in ("build", "handoff", "solve")]
            row += [fmt_ratio(a["peak_mib"] - a["rss_start_mib"], t["peak_mib"] - t["rss_start_mib"])]
            if "status" in a:
                row += [fmt_ratio(a["gap_at"][str(c)], t["gap_at"][str(c)]) for c in args.checkpoints]
                row += [fmt_ratio(a["final_gap"], t["final_gap"])]
                for th in THRESHOLDS:
                    x, y = a["time_to"][str(th)], t["time_to"][str(th)]
                    if x is not None and y is None:
                        row.append(f"< {x / args.time_limit:.2f}")
                    elif x is None and y is not None:
                        row.append(f"> {args.time_limit / y:.2f}")
                    else:
                        row.append(fmt_ratio(x, y))
                row.append(fmt_ratio(a.get("bound"), t.get("bound")))
            lines.append("| " + " | ".join(row) + " |")
    if any(not r["peak_exact"] for r in results):
        lines += ["", "\\* peak RSS could not be reset between formulations: cumulative over the process."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- main

def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M", help="comma-separated sizes of benchmarks/generate.py [S,M]")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve [600]")
    parser.add_argument("--threads", type=int, default=1, help="HiGHS threads [1]")
    parser.add_argument("--mip-gap", type=float, default=0.005, help="relative gap at which HiGHS stops [0.005]")
    parser.add_argument("--seeds", default="1", help="comma-separated instance seeds [1]")
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)  # the worker's one seed
    parser.add_argument("--formulations", default=",".join(FORMULATION_ORDER), help="[allocopt,textbook]")
    parser.add_argument("--instances", default=str(HERE / "instances"),
                        help="folder of generated instances, reused when present (named by size, seed and "
                        "a hash of generate.py) [benchmarks/instances]")
    parser.add_argument("--regenerate", action="store_true", help="write the instances again")
    parser.add_argument("--build-only", action="store_true", help="stop after the hand-off (no solve)")
    parser.add_argument("--smoke", action="store_true", help="S with 5 s solves (CI; under a minute)")
    parser.add_argument("--record", help="append the Markdown report to this file")
    parser.add_argument("--json", help="write every measurement (with gap trajectories) to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoints", default=",".join(f"{t:g}" for t in CHECKPOINTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.time_limit = SMOKE["sizes"], SMOKE["time_limit"]
        args.checkpoints = ",".join(f"{t:g}" for t in SMOKE["checkpoints"])
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    args.seeds = [int(s) for s in str(args.seeds).split(",") if s.strip()]
    args.formulations = [f.strip() for f in args.formulations.split(",") if f.strip()]
    args.checkpoints = [float(t) for t in str(args.checkpoints).split(",")]
    return args


def main(argv: list[str] | None = None) -> None:
    raw = sys.argv[1:] if argv is None else argv
    args = parse(raw)
    if args.worker:
        worker(args)
        return
    from generate import SIZES

    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        raise SystemExit(f"unknown size(s) {unknown}; expected some of {list(SIZES)}")
    results: list[dict] = []
    passthrough = [a for a in raw if a != "--smoke"]
    for size in args.sizes:
        for seed in args.seeds:
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
                out = f.name
            cmd = [sys.executable, str(Path(__file__).resolve()), *passthrough, "--worker", "--size", size,
                   "--out", out, "--seed", str(seed),
                   "--time-limit", f"{args.time_limit!r}", "--checkpoints", ",".join(f"{t:g}" for t in args.checkpoints)]
            proc = subprocess.run(cmd)
            if proc.returncode != 0:
                raise SystemExit(f"size {size} seed {seed} failed (exit {proc.returncode})")
            results += json.loads(Path(out).read_text())
            os.unlink(out)
    text = report(results, args)
    print(text)
    if args.record:
        with open(args.record, "a", encoding="utf-8") as f:
            f.write("\n" + text)
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": vars(args),
                                               "machine": machine(), "results": results}, indent=1, allow_nan=True))


if __name__ == "__main__":
    main()
