"""Solve a built model with HiGHS and map the outcome to allocopt's own statuses.

The interface is pinned by name: Pyomo's ``highs`` solver from ``pyomo.contrib.solver``
(class ``pyomo.contrib.solver.solvers.highs.Highs``), backed by ``highspy``. Threads, time
limit, relative gap and random seed are always set explicitly. An infeasible or failed solve
is a status with a message, never an exception out of this module.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass

from allocopt.interrupt import StopRequest

SOLVER_NAME = "pyomo.contrib.solver highs (highspy)"
DEFAULT_MIP_GAP = 0.005
DEFAULT_TIME_LIMIT = 120.0
DEFAULT_THREADS = 2
"""Threads by default: HiGHS on one, the first plan (allocopt.model.first_plan) beside it on the other."""
RANDOM_SEED = 20260101

_last_threads: int | None = None


@dataclass
class SolveOutcome:
    """What the solver said: status (allocopt's), objective and bound (SEK), gap, wall seconds."""

    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    message: str = ""
    stopped_by: str | None = None  # SIGINT, SIGTERM or caller: what interrupted the solve
    reported: float | None = None  # the plan's objective as HiGHS (or the first plan) reported it, SEK

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


def _reset_threads(threads: int) -> None:
    """HiGHS keeps one thread pool per process: it must be reset before the count changes."""
    global _last_threads
    if _last_threads is not None and _last_threads != threads:
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
    _last_threads = threads


NO_UPDATES = {key: False for key in (
    "check_for_new_or_removed_constraints", "check_for_new_or_removed_vars", "check_for_new_or_removed_params",
    "check_for_new_objective", "update_constraints", "update_vars", "update_parameters",
    "update_named_expressions", "update_objective")}
"""Pyomo's change detection switched off: the model is handed to HiGHS once, by ``set_instance``."""


def solve_model(model, *, time_limit: float = DEFAULT_TIME_LIMIT, mip_gap: float = DEFAULT_MIP_GAP,
                threads: int = 1, tee: bool = False, options: dict | None = None,
                objective_scale: float = 1.0, start=None, stop: StopRequest | None = None) -> SolveOutcome:
    """Solve the Pyomo ``model`` and load its best plan into the variables, if any.

    ``time_limit`` in seconds (the start's time included), ``mip_gap`` relative (0.005 = 0.5 %),
    ``threads`` for HiGHS. ``objective_scale``: the model's objective is SEK × this; objective
    and bound are returned in SEK. ``start(lp, column, threads, seconds, stop, row=row)``, if
    given, returns a first plan (column values of the highspy model ``lp``, objective) or None,
    and gives up when the ``threading.Event`` ``stop`` is set; ``column(var)`` and ``row(con)``
    are a Pyomo variable's column and constraint's row in ``lp``. With one thread, HiGHS starts from it
    (:func:`hand_start`); with two or more, it is made on one thread beside HiGHS on the others
    (:class:`StartBeside`). ``stop`` (:class:`~allocopt.interrupt.StopRequest`), once set, ends
    HiGHS and the first plan at once: the outcome is ``interrupted``, with the best plan so far.
    """
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
    from pyomo.contrib.solver.solvers.highs import Highs

    if not any(not v.fixed for v in model.component_data_objects(pyo.Var, descend_into=True)):
        # nothing to decide (HiGHS calls such a model empty and returns no solution)
        value = _plan_objective(model, objective_scale)
        return SolveOutcome("optimal", value, value, 0.0, 0.0, "", reported=value)
    solver = Highs()
    if not solver.available():
        return SolveOutcome("error", None, None, None, 0.0, "HiGHS (highspy) is not available")
    highs_threads, beside_highs = split_threads(threads, start is not None)
    _reset_threads(highs_threads)  # one count per process (the first plan's copies use it too)
    solver_options = {"random_seed": RANDOM_SEED, "mip_abs_gap": 1e-9}
    solver_options.update(options or {})
    stop = stop or StopRequest()
    began = time.perf_counter()
    beside = None
    watch = None
    try:
        solver.set_instance(model)
        if beside_highs:
            beside = StartBeside(solver, start, highs_threads, CONCURRENT_SHARE * time_limit, wait=time_limit)
        watch = StopWatch(solver, stop, beside)
        if start is not None and not beside_highs:
            hand_start(solver, start, threads, START_SHARE * time_limit, stop.event)
        with _quiet_pyomo_highs():
            res = solver.solve(
                model, tee=tee, time_limit=max(0.0, float(time_limit) - (time.perf_counter() - began)),
                rel_gap=float(mip_gap), threads=highs_threads, solver_options=solver_options,
                load_solutions=False, raise_exception_on_nonoptimal_result=False, auto_updates=NO_UPDATES,
            )
    except Exception as exc:  # the solver layer reports, never raises
        return SolveOutcome("error", None, None, None, time.perf_counter() - began,
                            f"HiGHS failed: {type(exc).__name__}: {exc}")
    finally:
        if watch is not None:
            watch.close()
        if beside is not None:
            beside.close()
    seconds = time.perf_counter() - began
    interrupted = stop.is_set() and res.termination_condition != TerminationCondition.convergenceCriteriaSatisfied
    if beside is not None and beside.error is not None:
        exc = beside.error
        return SolveOutcome("error", None, None, None, seconds, f"the first plan failed: {type(exc).__name__}: {exc}")
    tc = res.termination_condition
    has_solution = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
    objective = res.incumbent_objective / objective_scale if has_solution else None
    bound = res.objective_bound
    bound = bound / objective_scale if bound is not None and math.isfinite(bound) else None
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        return SolveOutcome("infeasible", None, bound, None, seconds, "no plan satisfies every constraint")
    if tc == TerminationCondition.unbounded:
        return SolveOutcome("error", None, None, None, seconds, "the model is unbounded (a cost with the wrong sign?)")
    use_own = beside is not None and beside.takes_over(
        tc == TerminationCondition.convergenceCriteriaSatisfied, res.incumbent_objective if has_solution else None)
    if not has_solution and not use_own:
        if interrupted:
            return SolveOutcome("interrupted", None, bound, None, seconds,
                                f"{_stopped_by(stop)} before any plan was found", stopped_by=stop.by)
        why = "the time limit was reached before any plan was found" \
            if tc == TerminationCondition.maxTimeLimit else f"HiGHS stopped without a plan ({tc.name})"
        return SolveOutcome("error", None, bound, None, seconds, why)
    if use_own:
        beside.load(model)
    else:
        res.solution_loader.load_vars()
    reported = beside.plan[1] / objective_scale if use_own else objective
    actual = _plan_objective(model, objective_scale)
    if use_own:
        objective = actual
    elif abs(actual - objective) > 1e-6 * max(1.0, abs(actual)):
        if start is not None and not interrupted:  # HiGHS 1.16 mishandled the start (see _plan_objective): solve again without
            again = solve_model(model, time_limit=max(0.0, time_limit - seconds), mip_gap=mip_gap,
                                threads=threads, tee=tee, options=options, objective_scale=objective_scale,
                                stop=stop)
            again.seconds += seconds
            return again
        bound = None if bound is None else bound + actual - objective
        objective = actual
    gap = relative_gap(objective, bound)
    if tc == TerminationCondition.convergenceCriteriaSatisfied or within_gap(gap, mip_gap):
        return SolveOutcome("optimal", objective, bound, gap, seconds, "", reported=reported)
    if interrupted:
        where = f"gap {100 * gap:.2f} %" if gap is not None else "no bound yet"
        return SolveOutcome("interrupted", objective, bound, gap, seconds,
                            f"{_stopped_by(stop)}: the best plan so far ({where})", stopped_by=stop.by,
                            reported=reported)
    if tc == TerminationCondition.maxTimeLimit:
        return SolveOutcome("time_limit", objective, bound, gap, seconds,
                            f"time limit of {time_limit:g} s reached; gap {100 * (gap or 0):.2f} %", reported=reported)
    return SolveOutcome("time_limit", objective, bound, gap, seconds, f"HiGHS stopped early ({tc.name})",
                        reported=reported)


def _plan_objective(model, scale: float) -> float:
    """The loaded plan's objective (SEK), recomputed from its variables.

    HiGHS 1.16 does not always return what it reports when handed a start: when the start,
    mapped into its presolved model ("MIP start solution is feasible in the reduced space"),
    costs less than in the original one, it may report that cost (and a bound to match) while
    returning the original start, or lose the presolved model's objective offset. The plan's
    own cost is the truth; :func:`solve_model` solves again without the start when the two
    differ, and otherwise shifts the bound by the difference.
    """
    import pyomo.environ as pyo

    total = next(model.component_data_objects(pyo.Objective, active=True))
    return float(pyo.value(total.expr)) / scale


START_SHARE = 0.25
"""Share of the time limit a first-plan heuristic may take before HiGHS starts (one thread)."""

CONCURRENT_SHARE = 0.5
"""Share of the time limit a first-plan heuristic may take beside HiGHS (two threads or more)."""


def split_threads(threads: int, first_plan: bool) -> tuple[int, bool]:
    """(HiGHS's threads, whether the first plan is made beside HiGHS): with a first plan and two
    threads or more, one of them is the plan's."""
    beside = first_plan and threads >= 2
    return int(threads) - beside, beside


def highs_and_columns(solver):
    """The highspy model the Pyomo interface ``solver`` holds after ``set_instance`` (no public
    accessor) and the column of a Pyomo variable in it (None: a variable it was not handed)."""
    columns = solver._pyomo_var_to_solver_var_map
    return solver._solver_model, lambda var: columns.get(id(var))


def row_of(solver):
    """The row of a Pyomo constraint in the highspy model ``solver`` holds (None: not handed)."""
    rows = solver._pyomo_con_to_solver_con_map
    return lambda con: rows.get(con)


def hand_start(solver, start, threads: int, seconds: float, stop=None) -> float | None:
    """Run ``start(lp, column, threads, seconds, stop, row=row)`` on the model HiGHS holds
    (``column``, ``row``: :func:`highs_and_columns`, :func:`row_of`), within ``seconds`` or until
    the ``threading.Event`` ``stop`` is set, and hand its plan to HiGHS; the plan's objective
    (model units), or None when ``start`` found none."""
    import threading

    from allocopt.model.completion import set_start

    highs, column = highs_and_columns(solver)
    found = start(highs.getLp(), column, threads, seconds, stop or threading.Event(), row=row_of(solver))
    if found is None:
        return None
    set_start(highs, found[0])
    return float(found[1])


HAND_OVER_NODE = 100
"""Branch-and-bound nodes after which HiGHS waits for a first plan made beside it, should its
root cut loop not have ended first (the usual hand-over, :class:`StartBeside`). On the default
scenario, handing over after the root's cuts proves 0.5 % in 26-33 s where waiting for node 100
took 44-47 s with the same first plan (benchmarks/RESULTS.md, "Session 7")."""


class StartBeside:
    """A first plan made on a thread of its own while HiGHS searches on the others.

    HiGHS works on its root node meanwhile: presolve, the LP relaxation and its cut loop. At its
    first call for a user solution after the root's cut loop (HiGHS's cut-pool callback marks the
    loop's end), or once :data:`HAND_OVER_NODE` nodes are explored should that come first, it
    waits for the plan and takes it. The plan's work ends by itself ``seconds`` after the start
    (its last steps finish what it has); HiGHS waits for it however long that takes, up to
    ``wait`` seconds after the start (the solve's time limit). Waiting at that one point,
    whatever the machine's speed, keeps the run reproducible: HiGHS's path depends on the plan,
    not on when it arrived, and the plan depends on the machine's speed only where ``seconds``
    cut it short. ``wait`` has no default: waiting only until ``seconds`` raced the plan's own last
    steps (on the default scenario's budget variants ×1.02, ×1.35 and ×1.5 HiGHS went on without
    the plan to the 120 s limit; benchmarks/RESULTS.md). :meth:`close` stops the plan's work if
    HiGHS is done first. ``threads``: for the plan's own HiGHS copies, as many as HiGHS has
    (HiGHS keeps one thread count per process).
    """

    def __init__(self, solver, start, threads: int, seconds: float, wait: float):
        import threading

        self.highs, self.column = highs_and_columns(solver)
        lp, row = self.highs.getLp(), row_of(solver)
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.until = time.perf_counter() + max(seconds, wait)
        self.plan = None
        self.error: Exception | None = None
        self.asked = False
        self.root_cuts_done = False

        def work():
            try:
                self.plan = start(lp, self.column, threads, seconds, self.stop, row=row)
            except Exception as exc:  # reported by solve_model, as the same failure with one thread would be
                self.error = exc
            finally:
                self.ready.set()

        self.thread = threading.Thread(target=work, name="allocopt-first-plan", daemon=True)
        self.thread.start()
        self.highs.cbMipUserSolution.subscribe(self._offer)
        self.highs.cbMipGetCutPool.subscribe(self._root_cuts)

    def _root_cuts(self, event) -> None:
        """HiGHS hands its cut pool over once its root cut loop is done."""
        self.root_cuts_done = True

    def _offer(self, event) -> None:
        if self.asked or not (self.root_cuts_done or event.data_out.mip_node_count >= HAND_OVER_NODE):
            return
        self.asked = True
        self.ready.wait(max(0.0, self.until - time.perf_counter()))
        if self.plan is not None:
            import numpy as np

            event.data_in.setSolution(np.asarray(self.plan[0], dtype=float))

    def close(self) -> None:
        """Stop the plan's work (if still going) and wait for its thread."""
        self.stop.set()
        self.thread.join()
        self.highs.cbMipUserSolution.unsubscribe(self._offer)
        self.highs.cbMipGetCutPool.unsubscribe(self._root_cuts)

    def takes_over(self, converged: bool, incumbent: float | None) -> bool:
        """Whether the first plan is the result: HiGHS did not converge and has no plan, or a
        costlier one (``incumbent`` in model units) — it stopped before asking for the plan."""
        if self.plan is None or converged:
            return False
        return incumbent is None or self.plan[1] < incumbent - 1e-9 * max(1.0, abs(incumbent))

    def load(self, model) -> None:
        """Put the first plan's values into the variables of the Pyomo ``model``: for a search that
        ended by its time limit before asking for the plan, or with a worse one."""
        import pyomo.environ as pyo

        values = self.plan[0]
        for var in model.component_data_objects(pyo.Var, descend_into=True):
            c = self.column(var)
            if c is not None:
                var.set_value(float(values[c]), skip_validation=True)


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


class StopWatch:
    """Ends HiGHS (and the first plan made beside it) soon after ``stop`` is set.

    A thread of its own waits for ``stop`` and then sets HiGHS's ``time_limit`` to 0, which
    HiGHS reads at every check of its limits (presolve, simplex, branch and bound), and again
    every ``every`` seconds until :meth:`close` (the solve call itself sets the time limit when
    it starts). Nothing runs inside HiGHS's own loops: HiGHS's interrupt callbacks would call
    Python, and wait for the interpreter lock, at every simplex iteration.
    """

    def __init__(self, solver, stop: StopRequest, beside: StartBeside | None = None, every: float = 0.2):
        import threading

        self.highs, _ = highs_and_columns(solver)
        self.stop, self.beside, self.every = stop, beside, every
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="allocopt-stop-watch", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.closed.wait(self.every):  # close() ends the wait at once
            if self.stop.is_set():
                if self.beside is not None:
                    self.beside.stop.set()
                self.highs.setOptionValue("time_limit", 0.0)

    def close(self) -> None:
        self.closed.set()
        self.thread.join()
