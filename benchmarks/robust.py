"""The robust plan's extensive form as the number of forecast variants grows, and progressive
hedging (mpi-sppy) against it.

    python benchmarks/robust.py growth [--variants 3,10,30] [--scenario default] [--time-limit 120]
                                       [--threads 1] [--mip-gap 0.005] [--record NAME] [--json FILE]
    python benchmarks/robust.py hedging [--variants 3] [--scenario default] [--time-limit 120]
                                        [--iterations 20] [--rho 1.0] [--record NAME] [--json FILE]

The variants (:func:`variant_rows`) are made here, deterministically, as rows of the scenario's
``forecasts`` table on a copy of the loaded scenario, so that the code path is that of
``allocopt robust``: N variants ``v0 … v{N-1}``, each with probability 1/N and one row whose
``demand_scale`` is spread evenly over 0.92 … 1.08 (the ±8 % swing of the forecast; N = 1: 1.0);
every second variant (v1, v3, …) also has its housing plan delayed by one year
(``housing_delay`` 1). The scenario is the embedded default (``allocopt.default_scenario_path``),
with ``--scenario S`` (or M, L, XL) the synthetic municipality of that size (seed 1), or with
``--scenario FOLDER`` the scenario there; its own forecasts table, if any, is replaced.

growth: each N in a fresh Python process, so that the peak resident memory (VmHWM, as
``ru_maxrss``) is that size's own. In it, the RP extensive form of ``allocopt robust`` (the plan;
no EV, EEV or WS solves): :func:`allocopt.forecasts.variant_scenarios`, then
:func:`allocopt.robust.extensive_form` at the default ``commit_until`` (``build``, the two
together), :func:`allocopt.pipeline.model_size`, and :func:`allocopt.robust.solve_extensive`
(``hand-off``: Pyomo to HiGHS; ``solve``: HiGHS's search), with allocopt's gap (0.5 %) and time
limit (120 s, :data:`allocopt.solver.DEFAULT_TIME_LIMIT`) and one HiGHS thread unless given.

hedging (needs ``mpi-sppy``, ``mpi4py`` and ``mpich``, in the ``dev`` extra): on one case, in
this order and in one process, one MPI rank (no ``mpiexec``):

- EF: the same RP extensive form, solved as above;
- PH: ``mpisppy.opt.ph.PH`` on the same plan models. Its scenario creator builds each variant's
  model with :func:`allocopt.model.build.build_model` (the default families, the money scale of
  the first variant, as the extensive form does) and attaches as the root node's nonanticipative
  variables the decisions taken by ``commit_until`` (:func:`allocopt.robust.committed`, in one
  order, those every variant has). Subproblems by Pyomo's ``appsi_highs`` with ``--threads``, the
  relative gap and a time limit per subproblem of a tenth of ``--time-limit``; proximal terms
  linearised (mpi-sppy's ``linearize_proximal_terms``); rho ``--rho`` per unit of the scaled
  objective; at most ``--iterations`` iterations or until the convergence metric (the mean
  distance of the nonanticipative variables from their mean) is below 1e-4.
  PH's bounds: the trivial bound (iteration 0: each variant planned on its own, with the
  subproblems' own MIP bounds) and a Lagrangian bound with PH's last weights W (the subproblems
  solved once more with W and no proximal term).
- PH's plan: its committed decisions (the mean over the variants, rounded to integers) fixed in
  the extensive form of :func:`allocopt.robust.extensive_form` (``fixed=``), which then solves the
  recourse of every variant: the true expected cost of PH's first stage.

Prints Markdown tables; ``--record NAME`` rewrites the text between
``<!-- robust.py:NAME start/end -->`` in benchmarks/RESULTS.md; ``--json FILE`` writes every
measurement (money there in SEK, times in seconds). Money in the tables in MSEK (discounted SEK / 1e6).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import record
from record import DASH, fmt_gap, fmt_msek, fmt_s, table
from run import peak_mib

SCALE_BAND = (0.92, 1.08)
"""The variants' demand_scale from the lowest to the highest (factor on every demand)."""
DELAY_EVERY = 2
"""Every DELAY_EVERY-th variant (the second, fourth, ...) has its housing plan delayed by DELAY_YEARS."""
DELAY_YEARS = 1
"""Years of housing delay of the delayed variants."""
PH_CONVERGENCE = 1e-4
"""PH stops when its convergence metric (mean |x − x̄| over the nonanticipative variables) is below this."""
PH_SUBPROBLEM_SHARE = 0.1
"""A PH subproblem's time limit as a share of --time-limit (seconds)."""


# ---------------------------------------------------------------------------- the case


def variant_rows(n: int):
    """The ``forecasts`` rows of ``n`` variants ``v0 … v{n-1}``: probability 1/n each, ``demand_scale``
    evenly over :data:`SCALE_BAND` (1.0 for one variant), a housing delay of :data:`DELAY_YEARS` on
    every :data:`DELAY_EVERY`-th."""
    from allocopt.scenario import Forecast

    low, high = SCALE_BAND
    rows = []
    for i in range(n):
        scale = 1.0 if n == 1 else low + (high - low) * i / (n - 1)
        delay = DELAY_YEARS if i % DELAY_EVERY == DELAY_EVERY - 1 else 0
        rows.append(Forecast(forecast=f"v{i}", probability=1.0 / n, demand_scale=round(scale, 6), housing_delay=delay))
    return rows


def base_scenario(name: str):
    """The embedded default scenario (``default``), the synthetic municipality of size ``name``
    (seed 1), or the scenario in the folder ``name``."""
    import allocopt
    from allocopt.synthetic import SIZES, generate

    if name == "default":
        return allocopt.load_scenario(allocopt.default_scenario_path())
    if name in SIZES:
        return generate(name, 1)
    return allocopt.load_scenario(name)


def with_variants(scenario, n: int):
    """A copy of ``scenario`` whose forecasts table holds :func:`variant_rows` ``(n)``."""
    return scenario.model_copy(update={"forecasts": variant_rows(n)})


def solve_ef(scenario, commit_until: int | None, args, fixed=None) -> dict:
    """The RP extensive form of ``scenario``'s forecast variants (``fixed``: decisions held at these
    values), built and solved as ``allocopt robust`` does; sizes, phase seconds, status, figures."""
    from allocopt.forecasts import variant_scenarios
    from allocopt.pipeline import model_size
    from allocopt.robust import default_commit_until, extensive_form, solve_extensive

    commit = default_commit_until(scenario) if commit_until is None else commit_until
    at = time.perf_counter()
    variants = variant_scenarios(scenario)
    ext = extensive_form(variants, commit, fixed)
    build = time.perf_counter() - at
    size = model_size(ext.model)
    outcome = solve_extensive(ext, time_limit=args.time_limit, mip_gap=args.mip_gap, threads=args.threads)
    return {
        "variants": len(variants),
        "commit_until": commit,
        "model_size": size,
        "build": build,
        "hand_off": outcome.phases.get("hand_off"),
        "solve": outcome.phases.get("highs"),
        "seconds": build + outcome.seconds,
        "status": outcome.status,
        "message": outcome.message,
        "objective": outcome.objective,
        "bound": outcome.bound,
        "gap": outcome.gap,
        "ext": ext,
    }


# ---------------------------------------------------------------------------- growth


def growth_worker(args) -> None:
    """One size of the growth part in this process; the measurement as JSON to ``args.out``."""
    import highspy  # noqa: F401  (imported before any timing)
    import pyomo.environ  # noqa: F401

    import allocopt.model.build  # noqa: F401

    code = record.code_fingerprint()
    scenario = with_variants(base_scenario(args.scenario), args.n)
    r = solve_ef(scenario, args.commit_until, args)
    r.pop("ext")
    r.update(peak_mib=peak_mib(), code=code, load_average=record.load_average())
    Path(args.out).write_text(json.dumps(r, allow_nan=True))


def growth(args) -> tuple[str, list[dict]]:
    """Every size of ``--variants`` in a fresh process, one after the other; the report."""
    results = []
    for n in args.variants:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            out = f.name
        cmd = [sys.executable, str(Path(__file__).resolve()), "growth", "--worker", "--n", str(n), "--out", out]
        cmd += _common(args)
        print(f"[{n} variants] ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd)
        if proc.returncode != 0:
            results.append({"variants": n, "failed": proc.returncode, "load_average": record.load_average()})
            print(f"[{n} variants] failed (exit {proc.returncode})", file=sys.stderr, flush=True)
        else:
            results.append(json.loads(Path(out).read_text()))
            r = results[-1]
            print(
                f"[{n} variants] {r['status']}, gap {fmt_gap(r['gap'])}, build {r['build']:.1f} s, "
                f"solve {fmt_s(r['solve'])} s, peak {r['peak_mib']:.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
        os.unlink(out)
    return growth_report(results, args), results


def growth_report(results: list[dict], args) -> str:
    rows = []
    for r in results:
        if "failed" in r:
            rows.append([str(r["variants"])] + [DASH] * 7 + [f"process failed (exit {r['failed']})"] + [DASH] * 4)
            continue
        size = r["model_size"]
        rows.append(
            [str(r["variants"])]
            + [f"{size[k]:,}" for k in ("rows", "columns", "integers", "nonzeros")]
            + [fmt_s(r["build"]), fmt_s(r["hand_off"]), fmt_s(r["solve"]), r["status"], fmt_gap(r["gap"])]
            + [fmt_msek(r["objective"]), fmt_msek(r["bound"]), f"{r['peak_mib']:,.0f}"]
        )
    head = ["variants", "rows", "columns", "integers", "nonzeros", "build s", "hand-off s", "solve s", "status"]
    head += ["gap", "objective MSEK", "bound MSEK", "peak MiB"]
    commits = sorted({r["commit_until"] for r in results if "commit_until" in r})
    lines = [
        f"Settings: the RP extensive form of `allocopt robust` ({_case(args)}), commit until "
        f"{', '.join(map(str, commits)) or DASH}; time limit {args.time_limit:g} s, relative gap "
        f"{args.mip_gap:g}, {args.threads} thread(s); each size in a fresh process. Load average after each size: "
        + ", ".join(f"{r['variants']}: {r['load_average']}" for r in results)
        + ".",
        "",
        table(head, rows),
        "",
        "build: the variants' scenarios and the extensive form; hand-off: Pyomo to HiGHS; solve: HiGHS's search "
        "(the time limit counts hand-off and search); peak MiB: the process's peak resident memory.",
        "",
        fitting(results, args),
    ]
    return "\n".join(lines) + "\n"


USABLE_GAP = 0.10
"""The most a plan may be above its bound and still be one a strategist can use (10 %): beyond it the
extensive form no longer fits the time limit, whatever plan it returns."""


def fitting(results: list[dict], args) -> str:
    """Where the extensive form stops fitting: the first size without a usable plan within the time
    limit (none, one more than :data:`USABLE_GAP` above its bound, or a failed process), the gap left at
    each size, and the memory against the machine's."""
    total = _memory_mib()
    done = [r for r in results if "failed" not in r]
    unusable = [
        r for r in results if "failed" in r or r["objective"] is None or r["gap"] is None or r["gap"] > USABLE_GAP
    ]
    proven = [r["variants"] for r in done if r["status"] == "optimal"]
    if unusable:
        r = unusable[0]
        if "failed" in r:
            what = "the process failed"
        elif r["objective"] is None:
            what = f"{r['status']}, no plan within {args.time_limit:g} s"
        else:
            what = f"its plan is {fmt_gap(r['gap'])} above its bound after {args.time_limit:g} s"
        verdict = f"It stops fitting at {r['variants']} variants: {what} (usable: within {100 * USABLE_GAP:.0f} %)."
    else:
        verdict = f"Every size has a plan within {100 * USABLE_GAP:.0f} % of its bound within {args.time_limit:g} s."
    if len(proven) == len(done):
        verdict += f" Every size is proven within the gap {args.mip_gap:g}."
    else:
        verdict += (
            f" Proven within the gap {args.mip_gap:g}: {', '.join(map(str, proven)) or 'no size'}; the gap left: "
            + ", ".join(f"{fmt_gap(r['gap'])} at {r['variants']}" for r in done if r["objective"] is not None)
            + "."
        )
    peak = max((r["peak_mib"] for r in done), default=None)
    if peak is not None and total:
        verdict += f" The largest peak, {peak:,.0f} MiB, is {100 * peak / total:.0f} % of the machine's memory."
    return verdict


def _memory_mib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            return int(next(x for x in f if x.startswith("MemTotal")).split()[1]) / 1024
    except (OSError, StopIteration):
        return None


def _case(args) -> str:
    from allocopt.synthetic import SIZES

    if args.scenario == "default":
        base = "the default scenario"
    else:
        base = f"synthetic {args.scenario}, seed 1" if args.scenario in SIZES else f"scenario {args.scenario}"
    low, high = SCALE_BAND
    return (
        f"{base}; N variants of probability 1/N, demand × {low:g} … {high:g} evenly, every "
        f"{DELAY_EVERY}nd also {DELAY_YEARS} year of housing delay"
    )


def _common(args) -> list[str]:
    out = ["--scenario", args.scenario, "--time-limit", repr(args.time_limit), "--mip-gap", repr(args.mip_gap)]
    out += ["--threads", str(args.threads)]
    if args.commit_until is not None:
        out += ["--commit-until", str(args.commit_until)]
    return out


# ---------------------------------------------------------------------------- hedging


def scenario_creator(name: str, variants: dict, keys: list, scale: float, plans: dict):
    """mpi-sppy's scenario creator: variant ``name``'s plan model (the default families, money scale
    ``scale``), its probability, and ``keys`` as the root node's nonanticipative variables."""
    import mpisppy.utils.sputils as sputils

    from allocopt.index import build_index
    from allocopt.robust import decisions, variant_model

    probability, scenario = variants[name]
    pm, _refused = variant_model(build_index(scenario), scale)
    own = decisions(pm)
    sputils.attach_root_node(pm.model, 0.0, [own[d] for d in keys])
    pm.model._mpisppy_probability = probability
    plans[name] = pm
    return pm.model


def progressive_hedging(scenario, keys: list, scale: float, args) -> dict:
    """PH (mpi-sppy, one rank) on the forecast variants of ``scenario``: iterations, convergence,
    trivial and Lagrangian bounds (SEK), its first stage (``keys`` → the variants' mean, rounded)."""
    try:
        import mpisppy.utils.sputils as sputils
        from mpisppy.opt.ph import PH
    except ImportError as exc:
        raise SystemExit(f"hedging needs mpi-sppy, mpi4py and mpich ({exc}): pip install -e '.[dev]'") from exc

    from allocopt.forecasts import variant_scenarios

    at = time.perf_counter()
    variants = {name: (p, scen) for name, p, scen in variant_scenarios(scenario)}
    solver = {"mipgap": args.mip_gap, "threads": args.threads, "time_limit": args.time_limit * PH_SUBPROBLEM_SHARE}
    options = {
        "solver_name": "appsi_highs",
        "PHIterLimit": args.iterations,
        "defaultPHrho": args.rho,
        "convthresh": PH_CONVERGENCE,
        "verbose": False,
        "display_progress": False,
        "display_timing": False,
        "smoothed": 0,
        "linearize_proximal_terms": True,
        "linearize_binary_proximal_terms": True,
        "solver_options_layers": [sputils.solver_options_layer("default", solver)],
    }
    plans: dict = {}
    ph = PH(
        options,
        list(variants),
        scenario_creator,
        scenario_creator_kwargs=dict(variants=variants, keys=keys, scale=scale, plans=plans),
    )
    conv, _eobj, trivial = ph.ph_main()
    iterations = ph._PHIter
    ph_seconds = time.perf_counter() - at
    values = [[float(v.value or 0.0) for v in (decisions_of(pm, keys))] for pm in plans.values()]
    probabilities = [variants[n][0] for n in plans]
    mean = [sum(p * row[i] for p, row in zip(probabilities, values)) for i in range(len(keys))]
    fixed = {d: float(round(x)) for d, x in zip(keys, mean)}
    split = sum(1 for i in range(len(keys)) if len({round(row[i]) for row in values}) > 1)
    at = time.perf_counter()
    lagrangian = ph.post_solve_bound(solver_options=ph._effective_solver_options(iterations))
    lagrangian_seconds = time.perf_counter() - at
    return {
        "iterations": iterations,
        "conv": conv,
        "seconds": ph_seconds,
        "trivial": trivial / scale,
        "lagrangian": lagrangian / scale,
        "lagrangian_seconds": lagrangian_seconds,
        "fixed": fixed,
        "split": split,
        "nonants": len(keys),
    }


def decisions_of(pm, keys: list) -> list:
    from allocopt.robust import decisions

    own = decisions(pm)
    return [own[d] for d in keys]


def hedging_case(scenario, args) -> dict:
    """On ``scenario`` (with its forecasts): the EF, PH, and PH's first stage priced in the EF."""
    commit = args.commit_until
    ef = solve_ef(scenario, commit, args)
    commit = ef["commit_until"]
    from allocopt.robust import shared_decisions

    keys = shared_decisions(ef["ext"].plans, commit)
    scale = ef["ext"].money_scale
    del ef["ext"]
    ph = progressive_hedging(scenario, keys, scale, args)
    priced = solve_ef(scenario, commit, args, fixed=ph.pop("fixed"))
    del priced["ext"]
    return {"ef": ef, "ph": ph, "priced": priced}


def hedging(args) -> tuple[str, list[dict]]:
    """The hedging part on ``args.scenario`` with each number of ``--variants``; the report."""
    import highspy  # noqa: F401  (imported before any timing)
    import pyomo.environ  # noqa: F401

    base = base_scenario(args.scenario)
    cases = []
    for n in args.variants:
        print(f"[{n} variants] EF, PH, PH priced ...", file=sys.stderr, flush=True)
        case = hedging_case(with_variants(base, n), args)
        case.update(variants=n, load_average=record.load_average())
        cases.append(case)
    return hedging_report(cases, args), cases


def hedging_rows(case: dict) -> list[list[str]]:
    ef, ph, priced = case["ef"], case["ph"], case["priced"]
    n = str(case["variants"])
    best = max(b for b in (ef["bound"], ph["trivial"], ph["lagrangian"]) if b is not None)
    return [
        [n, "extensive form", DASH, fmt_s(ef["seconds"], 1), ef["status"], fmt_msek(ef["objective"])]
        + [fmt_msek(ef["bound"]), _above(ef["objective"], best)],
        [n, "PH: trivial bound (iteration 0)", "0", DASH, DASH, DASH, fmt_msek(ph["trivial"]), DASH],
        [n, "PH", str(ph["iterations"]), fmt_s(ph["seconds"], 1), f"conv {ph['conv']:.2g}, split {ph['split']}"]
        + [DASH, DASH, DASH],
        [n, "PH: Lagrangian bound (last W)", DASH, fmt_s(ph["lagrangian_seconds"], 1), DASH, DASH]
        + [fmt_msek(ph["lagrangian"]), DASH],
        [n, "PH's first stage, priced in the EF", DASH, fmt_s(priced["seconds"], 1), priced["status"]]
        + [fmt_msek(priced["objective"]), DASH, _above(priced["objective"], best)],
    ]


def _above(objective: float | None, bound: float) -> str:
    if objective is None:
        return DASH
    return fmt_gap((objective - bound) / max(abs(objective), 1.0))


def hedging_report(cases: list[dict], args) -> str:
    rows = [row for case in cases for row in hedging_rows(case)]
    head = ["variants", "method", "iterations", "wall s", "status", "expected cost MSEK", "bound MSEK"]
    head += ["above the best bound"]
    lines = [
        f"Settings: {_case(args)}; commit until {', '.join(str(c['ef']['commit_until']) for c in cases)}. "
        f"Extensive form and pricing: time limit {args.time_limit:g} s, gap {args.mip_gap:g}, {args.threads} "
        f"thread(s). PH (mpi-sppy, one rank, `appsi_highs`): rho {args.rho:g}, at most {args.iterations} "
        f"iterations, convergence below {PH_CONVERGENCE:g}, each subproblem {args.time_limit * PH_SUBPROBLEM_SHARE:g} "
        "s and the same gap, proximal terms linearised. Load average after each case: "
        + ", ".join(f"{c['variants']}: {c['load_average']}" for c in cases)
        + ".",
        "",
        table(head, rows),
        "",
        "PH's wall time: building the variants' models, iteration 0 and the iterations; conv: its convergence "
        "metric at the end; split: committed decisions on which the variants still disagree (PH's first stage "
        "takes their probability-weighted mean, rounded). Priced: that first stage fixed in the extensive form, "
        "every variant's recourse solved: PH's plan's true expected cost. Above the best bound: the expected cost "
        "over the highest of the bounds in the case.",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- main


def parse(argv: list[str]) -> argparse.Namespace:
    from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=("growth", "hedging"), help="which measurement")
    parser.add_argument(
        "--variants", default=None, help="comma-separated numbers of variants [growth 3,10,30; hedging 3]"
    )
    parser.add_argument(
        "--scenario", default="default", help="default, a synthetic size (S, M, L, XL) or a scenario folder [default]"
    )
    parser.add_argument(
        "--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help=f"seconds per solve [{DEFAULT_TIME_LIMIT:g}]"
    )
    parser.add_argument("--mip-gap", type=float, default=DEFAULT_MIP_GAP, help=f"relative gap [{DEFAULT_MIP_GAP}]")
    parser.add_argument("--threads", type=int, default=1, help="HiGHS threads of every solve [1]")
    parser.add_argument("--commit-until", type=int, default=None, help="last shared decision year [allocopt's default]")
    parser.add_argument("--iterations", type=int, default=20, help="hedging: PH's iteration limit [20]")
    parser.add_argument("--rho", type=float, default=1.0, help="hedging: PH's rho, per unit of the scaled objective")
    parser.add_argument(
        "--record", metavar="NAME", help="rewrite the text between <!-- robust.py:NAME start/end --> in RESULTS.md"
    )
    parser.add_argument("--json", help="write the measurements to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    default = "3,10,30" if args.part == "growth" else "3"
    args.variants = [int(x) for x in (args.variants or default).split(",") if x.strip()]
    return args


def main(argv: list[str] | None = None) -> str:
    raw = sys.argv[1:] if argv is None else argv
    args = parse(raw)
    if args.worker:
        growth_worker(args)
        return ""
    text, results = growth(args) if args.part == "growth" else hedging(args)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": record.machine(), "results": results}, allow_nan=True))
    if args.record:
        record.rewrite("robust.py", args.record, "\n".join(record.provenance("robust.py", raw)) + "\n\n" + text)
    return text


if __name__ == "__main__":
    main()
