"""Solve a built model with HiGHS and map the outcome to allocopt's own statuses.

Two steps, shared by :func:`allocopt.solve`, :func:`allocopt.evaluate` and the benchmarks:
:func:`hand_off` gives the Pyomo model to HiGHS (a :class:`HandOff`), :func:`run` solves it,
with a first plan if one is given (allocopt.heuristics), and returns a :class:`SolveOutcome`
with the time of each phase and HiGHS's log. :func:`solve_model` is the two in one.

The interface is pinned by name: Pyomo's ``highs`` solver from ``pyomo.contrib.solver``
(class ``pyomo.contrib.solver.solvers.highs.Highs``), backed by ``highspy``. Threads, time
limit, relative gap and random seed are always set explicitly. An infeasible or failed solve
is a status with a message, never an exception out of this module.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from allocopt.heuristics.handover import StartBeside, hand_start, split_threads
from allocopt.heuristics.protocol import ColumnOf, RowOf, StartCallback
from allocopt.heuristics.settings import FirstPlanSettings
from allocopt.highs_threads import HIGHS_THREADS
from allocopt.interrupt import StopRequest, StopWatch
from allocopt.root_cuts import RootCutSettings, source_rows, strengthen

if TYPE_CHECKING:
    import highspy
    from pyomo.contrib.solver.common.results import Results
    from pyomo.contrib.solver.solvers.highs import Highs

SOLVER_NAME = "pyomo.contrib.solver highs (highspy)"
DEFAULT_MIP_GAP = 0.005
DEFAULT_TIME_LIMIT = 120.0
DEFAULT_THREADS = 2
"""Threads by default: HiGHS on one, the first plan (allocopt.heuristics.first_plan) beside it on the other."""
RANDOM_SEED = 20260101
ROOT_CUTS = RootCutSettings(families=())
"""The root cut loop of a solve by default (allocopt.root_cuts, models/root_cuts.md): off, since it
did not shorten the published instances it applies to (benchmarks/RESULTS.md, "Tried and not kept");
``run(..., root_cuts=RootCutSettings())`` switches it on."""

NO_UPDATES = {
    key: False
    for key in (
        "check_for_new_or_removed_constraints",
        "check_for_new_or_removed_vars",
        "check_for_new_or_removed_params",
        "check_for_new_objective",
        "update_constraints",
        "update_vars",
        "update_parameters",
        "update_named_expressions",
        "update_objective",
    )
}
"""Pyomo's change detection switched off: the model is handed to HiGHS once, by ``set_instance``."""


@dataclass
class SolveOutcome:
    """What the solver said: status (allocopt's), objective and bound (SEK), gap, wall seconds
    (the hand-off, the first plan and HiGHS together)."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str = ""
    stopped_by: str | None = None  # SIGINT, SIGTERM or caller: what interrupted the solve
    reported: float | None = None  # the plan's objective as HiGHS (or the first plan) reported it, SEK
    phases: dict[str, float] = field(default_factory=dict)
    """Wall seconds by phase: ``hand_off`` (Pyomo to HiGHS), ``root_cuts`` (the root cut loop, where
    it ran), ``first_plan`` (made before HiGHS, with one thread), ``highs`` (HiGHS's search, with
    a first plan made beside it)."""
    log: str = ""
    """HiGHS's log, as it would have printed it (``tee`` prints it as well)."""
    first_plan_objective: float | None = None
    """The first plan's objective (SEK), None without one."""

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "time_limit") or (self.status == "interrupted" and self.objective is not None)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(|objective|, 1)``; None when either is unknown."""
    if objective is None or bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1.0)


def within_gap(gap: float | None, mip_gap: float) -> bool:
    """Whether a plan ``gap`` (relative) from HiGHS's proven bound is within the requested
    ``mip_gap``: "optimal" in allocopt's sense, however HiGHS stopped. HiGHS itself stops there
    when it holds the plan; the case that needs this is a first plan made beside HiGHS that is
    the result (HiGHS stopped by its time limit before taking it), checked against HiGHS's bound."""
    return gap is not None and gap <= mip_gap * (1 + 1e-9)


# ---------------------------------------------------------------- the hand-off


def _nowhere(_component: Any) -> None:
    return None


@dataclass(frozen=True)
class HandOff:
    """A Pyomo model handed to HiGHS: Pyomo's interface ``solver`` holding it, the highspy model
    ``highs`` it made, and where each Pyomo variable (``column``) and constraint (``row``) is in
    it. ``solver`` and ``highs`` are None when nothing was handed over: the model has nothing to
    decide, or the hand-off failed (``failure`` says why). ``seconds``: wall time of the hand-off."""

    model: Any
    solver: Highs | None
    highs: highspy.Highs | None
    column: ColumnOf = _nowhere
    row: RowOf = _nowhere
    seconds: float = 0.0
    failure: str | None = None


def hand_off(model: Any) -> HandOff:
    """Give the Pyomo ``model`` to HiGHS (Pyomo's ``set_instance``); never raises."""
    import pyomo.environ as pyo
    from pyomo.contrib.solver.solvers.highs import Highs

    if not any(not v.fixed for v in model.component_data_objects(pyo.Var, descend_into=True)):
        return HandOff(model, None, None)  # nothing to decide (HiGHS calls such a model empty)
    solver = Highs()
    if not solver.available():
        return HandOff(model, None, None, failure="HiGHS (highspy) is not available")
    began = time.perf_counter()
    try:
        solver.set_instance(model)
    except Exception as exc:  # the solver layer reports, never raises
        return HandOff(
            model, None, None, seconds=time.perf_counter() - began, failure=f"HiGHS failed: {type(exc).__name__}: {exc}"
        )
    # Pyomo's interface has no public accessor for the highspy model it made, nor for where it put
    # each variable and constraint; the first plan works on that model, column by column. These
    # are the only reads of Pyomo's private attributes in allocopt.
    columns, rows = solver._pyomo_var_to_solver_var_map, solver._pyomo_con_to_solver_con_map
    return HandOff(
        model,
        solver,
        solver._solver_model,
        column=lambda var: columns.get(id(var)),
        row=rows.get,
        seconds=time.perf_counter() - began,
    )


# ---------------------------------------------------------------- the run


def solve_model(model: Any, **options: Any) -> SolveOutcome:
    """Solve the Pyomo ``model`` and load its best plan into the variables, if any:
    :func:`run` on :func:`hand_off`, with ``options`` as :func:`run` takes them."""
    return run(hand_off(model), **options)


@dataclass(frozen=True)
class Progress:
    """Where a running solve stands, as HiGHS logs it: ``seconds`` since HiGHS started, the best
    plan's ``objective`` and the ``bound`` (SEK; None before there is one) and their relative ``gap``."""

    seconds: float
    objective: float | None
    bound: float | None
    gap: float | None


ProgressCallback = Callable[[Progress], None]
"""Called with each :class:`Progress` HiGHS logs (one MIP log line, every few seconds)."""


def run(
    handoff: HandOff,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    mip_gap: float = DEFAULT_MIP_GAP,
    threads: int = 1,
    tee: bool = False,
    options: dict | None = None,
    objective_scale: float = 1.0,
    start: StartCallback | None = None,
    stop: StopRequest | None = None,
    settings: FirstPlanSettings = FirstPlanSettings(),
    progress: ProgressCallback | None = None,
    root_cuts: RootCutSettings = ROOT_CUTS,
) -> SolveOutcome:
    """Solve the model of ``handoff`` and load its best plan into the variables, if any.

    ``time_limit`` in seconds (the hand-off's and the start's time included), ``mip_gap``
    relative (0.005 = 0.5 %), ``threads`` in all. ``objective_scale``: the model's objective is
    SEK × this; objective and bound are returned in SEK. ``start``, if given, makes a first plan
    (:class:`~allocopt.heuristics.protocol.StartCallback`): with one thread before HiGHS starts
    (:func:`~allocopt.heuristics.handover.hand_start`, ``settings.start_share`` of the time
    limit), with two or more on one thread beside HiGHS on the others
    (:class:`~allocopt.heuristics.handover.StartBeside`, ``settings.concurrent_share``). ``stop``,
    once set, ends HiGHS and the first plan at once: the outcome is ``interrupted``, with the best
    plan so far. ``tee`` prints HiGHS's log as it runs; the outcome holds it either way.
    ``progress``, if given, is called with each :class:`Progress` HiGHS logs (on HiGHS's thread:
    keep it short). ``root_cuts``: the root cut loop run before HiGHS's search where its rule
    applies (:class:`~allocopt.root_cuts.RootCutSettings`; ``RootCutSettings(families=())``: none).
    """
    if handoff.failure is not None:
        return SolveOutcome(
            "error", None, None, None, handoff.seconds, handoff.failure, phases={"hand_off": handoff.seconds}
        )
    if handoff.solver is None:  # nothing to decide
        value = _plan_objective(handoff.model, objective_scale)
        return SolveOutcome("optimal", value, value, 0.0, 0.0, "", reported=value, phases={"hand_off": 0.0})
    began = time.perf_counter() - handoff.seconds
    stop = stop or StopRequest()
    phases = {"hand_off": handoff.seconds}
    solver_options = {"random_seed": RANDOM_SEED, "mip_abs_gap": 1e-9, **(options or {})}
    try:
        with _reporting(handoff.highs, progress, objective_scale):
            res, beside, first = _search(
                handoff,
                start,
                threads,
                time_limit,
                mip_gap,
                tee,
                solver_options,
                stop,
                settings,
                began,
                phases,
                root_cuts,
            )
    except Exception as exc:  # the solver layer reports, never raises
        return SolveOutcome(
            "error",
            None,
            None,
            None,
            time.perf_counter() - began,
            f"HiGHS failed: {type(exc).__name__}: {exc}",
            phases=phases,
        )
    seconds = time.perf_counter() - began
    if beside is not None and beside.plan is not None:
        first = beside.plan[1]
    extras = dict(
        phases=phases, log=res.solver_log or "", first_plan_objective=None if first is None else first / objective_scale
    )
    if beside is not None and beside.error is not None:
        exc = beside.error
        return SolveOutcome(
            "error", None, None, None, seconds, f"the first plan failed: {type(exc).__name__}: {exc}", **extras
        )
    outcome = _outcome(
        handoff.model, res, beside, start is not None, stop, time_limit, mip_gap, objective_scale, seconds
    )
    if outcome is not None:
        return replace(outcome, **extras)
    # HiGHS 1.16 mishandled the start (see _plan_objective): solve again without it
    again = run(
        hand_off(handoff.model),
        time_limit=max(0.0, time_limit - seconds),
        mip_gap=mip_gap,
        threads=threads,
        tee=tee,
        options=options,
        objective_scale=objective_scale,
        stop=stop,
        settings=settings,
        progress=progress,
        root_cuts=root_cuts,
    )
    for name, spent in again.phases.items():
        phases[name] = phases.get(name, 0.0) + spent
    return replace(
        again,
        seconds=again.seconds + seconds,
        log=extras["log"] + again.log,
        phases=phases,
        first_plan_objective=extras["first_plan_objective"],
    )


def _search(
    handoff: HandOff,
    start: StartCallback | None,
    threads: int,
    time_limit: float,
    mip_gap: float,
    tee: bool,
    solver_options: dict,
    stop: StopRequest,
    settings: FirstPlanSettings,
    began: float,
    phases: dict[str, float],
    root_cuts: RootCutSettings = ROOT_CUTS,
) -> tuple[Results, StartBeside | None, float | None]:
    """HiGHS's search, with the first plan made before it or beside it: Pyomo's results, the
    plan made beside HiGHS (None: none was) and the objective (model units) of the plan made
    before it. Records the phases' times in ``phases``."""
    highs_threads, beside_highs = split_threads(threads, start is not None)
    HIGHS_THREADS.use(highs_threads)  # the pool of this thread (the first plan made before HiGHS uses it too)
    beside = watch = first = None
    if root_cuts.applies(handoff.highs.getNumNz()):
        at = time.perf_counter()
        _strengthen(handoff, root_cuts, root_cuts.time_share * time_limit, highs_threads)
        phases["root_cuts"] = time.perf_counter() - at
    try:
        if beside_highs:
            beside = StartBeside(
                handoff,
                start,
                highs_threads,
                settings.concurrent_share * time_limit,
                wait=time_limit,
                hand_over_node=settings.hand_over_node,
            )
        watch = StopWatch(handoff.highs, stop, None if beside is None else beside.stop)
        if start is not None and not beside_highs:
            at = time.perf_counter()
            first = hand_start(handoff, start, threads, settings.start_share * time_limit, stop.event)
            phases["first_plan"] = time.perf_counter() - at
        at = time.perf_counter()
        with _quiet_pyomo_highs():
            res = handoff.solver.solve(
                handoff.model,
                tee=tee,
                time_limit=max(0.0, float(time_limit) - (time.perf_counter() - began)),
                rel_gap=float(mip_gap),
                threads=highs_threads,
                solver_options=solver_options,
                load_solutions=False,
                raise_exception_on_nonoptimal_result=False,
                auto_updates=NO_UPDATES,
            )
        phases["highs"] = time.perf_counter() - at
    finally:
        if watch is not None:
            watch.close()
        if beside is not None:
            beside.close()
    return res, beside, first


def _strengthen(handoff: HandOff, settings: RootCutSettings, seconds: float, threads: int) -> None:
    """The root cut loop (allocopt.root_cuts) on the model HiGHS holds, within ``seconds``."""
    rows = source_rows(handoff.model, handoff.row, settings.families)
    if any(rows.values()):
        strengthen(handoff.highs, rows, seconds, threads, settings)


def _outcome(
    model: Any,
    res: Results,
    beside: StartBeside | None,
    started: bool,
    stop: StopRequest,
    time_limit: float,
    mip_gap: float,
    scale: float,
    seconds: float,
) -> SolveOutcome | None:
    """allocopt's outcome of HiGHS's results ``res`` (and of the plan made ``beside`` it), with the
    best plan loaded into the ``model``'s variables; None when HiGHS, handed a first plan
    (``started``), returned a plan that is not the one it reported (solve again without it)."""
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

    tc = res.termination_condition
    converged = tc == TerminationCondition.convergenceCriteriaSatisfied
    interrupted = stop.is_set() and not converged
    has_solution = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    objective = res.incumbent_objective / scale if has_solution else None
    bound = res.objective_bound
    bound = bound / scale if bound is not None and math.isfinite(bound) else None
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        return SolveOutcome("infeasible", None, bound, None, seconds, "no plan satisfies every constraint")
    if tc == TerminationCondition.unbounded:
        return SolveOutcome("error", None, None, None, seconds, "the model is unbounded (a cost with the wrong sign?)")
    use_own = beside is not None and beside.takes_over(converged, res.incumbent_objective if has_solution else None)
    if not has_solution and not use_own:
        if interrupted:
            return SolveOutcome(
                "interrupted",
                None,
                bound,
                None,
                seconds,
                f"{_stopped_by(stop)} before any plan was found",
                stopped_by=stop.by,
            )
        why = (
            "the time limit was reached before any plan was found"
            if tc == TerminationCondition.maxTimeLimit
            else f"HiGHS stopped without a plan ({tc.name})"
        )
        return SolveOutcome("error", None, bound, None, seconds, why)
    if use_own:
        beside.load(model)
    else:
        res.solution_loader.load_vars()
    reported = beside.plan[1] / scale if use_own else objective
    actual = _plan_objective(model, scale)
    if use_own:
        objective = actual
    elif abs(actual - objective) > 1e-6 * max(1.0, abs(actual)):
        if started and not interrupted:
            return None
        bound = None if bound is None else bound + actual - objective
        objective = actual
    return _with_plan(objective, bound, reported, converged, interrupted, tc, stop, time_limit, mip_gap, seconds)


def _with_plan(
    objective: float,
    bound: float | None,
    reported: float | None,
    converged: bool,
    interrupted: bool,
    tc: Any,
    stop: StopRequest,
    time_limit: float,
    mip_gap: float,
    seconds: float,
) -> SolveOutcome:
    """The outcome of a solve that loaded a plan of cost ``objective`` (SEK): optimal when HiGHS
    converged or the ``bound`` proves it within ``mip_gap``, else interrupted or time-limited."""
    from pyomo.contrib.solver.common.results import TerminationCondition

    gap = relative_gap(objective, bound)
    if converged or within_gap(gap, mip_gap):
        return SolveOutcome("optimal", objective, bound, gap, seconds, "", reported=reported)
    if interrupted:
        where = f"gap {100 * gap:.2f} %" if gap is not None else "no bound yet"
        return SolveOutcome(
            "interrupted",
            objective,
            bound,
            gap,
            seconds,
            f"{_stopped_by(stop)}: the best plan so far ({where})",
            stopped_by=stop.by,
            reported=reported,
        )
    if tc == TerminationCondition.maxTimeLimit:
        return SolveOutcome(
            "time_limit",
            objective,
            bound,
            gap,
            seconds,
            f"time limit of {time_limit:g} s reached; gap {100 * (gap or 0):.2f} %",
            reported=reported,
        )
    return SolveOutcome(
        "time_limit", objective, bound, gap, seconds, f"HiGHS stopped early ({tc.name})", reported=reported
    )


def _plan_objective(model: Any, scale: float) -> float:
    """The loaded plan's objective (SEK), recomputed from its variables.

    HiGHS 1.16 does not always return what it reports when handed a start: when the start,
    mapped into its presolved model ("MIP start solution is feasible in the reduced space"),
    costs less than in the original one, it may report that cost (and a bound to match) while
    returning the original start, or lose the presolved model's objective offset. The plan's
    own cost is the truth; :func:`run` solves again without the start when the two differ, and
    otherwise shifts the bound by the difference.
    """
    import pyomo.environ as pyo

    total = next(model.component_data_objects(pyo.Objective, active=True))
    return float(pyo.value(total.expr)) / scale


def _stopped_by(stop: StopRequest) -> str:
    """How the message names what stopped a solve."""
    return {"SIGINT": "interrupted (Ctrl-C)", "SIGTERM": "interrupted (SIGTERM)"}.get(stop.by or "", "interrupted")


@contextmanager
def _quiet_pyomo_highs():
    """Pyomo's HiGHS interface logs a warning for HiGHS's 'interrupted' status, which it does not
    map; allocopt reports the interruption itself."""
    import logging

    log = logging.getLogger("pyomo.contrib.solver.solvers.highs")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


@contextmanager
def _reporting(highs: highspy.Highs, progress: ProgressCallback | None, scale: float):
    """Call ``progress`` with each MIP log line of ``highs`` while the block runs. HiGHS calls back
    once per log line (every few seconds), not inside its loops, so this costs nothing measurable."""
    if progress is None:
        yield
        return

    def logged(event) -> None:
        out = event.data_out
        objective = out.mip_primal_bound / scale if math.isfinite(out.mip_primal_bound) else None
        bound = out.mip_dual_bound / scale if math.isfinite(out.mip_dual_bound) else None
        gap = out.mip_gap if objective is not None and math.isfinite(out.mip_gap) else None
        progress(Progress(out.running_time, objective, bound, gap))

    highs.cbMipLogging.subscribe(logged)
    try:
        yield
    finally:
        highs.cbMipLogging.unsubscribe(logged)
