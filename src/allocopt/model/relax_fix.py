"""Relax and fix over the years: step 7 of the first plan (allocopt.model.first_plan).

The plan's decisions are taken year by year. Each step is a MIP on the whole model in which
the decisions of a window of :data:`WINDOW_YEARS` years are integer, those of earlier years are
fixed to what earlier steps chose, and those of later years are relaxed to continuous values;
the window then moves on by one year. A window holds a few dozen integer columns, so HiGHS
solves it within :data:`WINDOW_NODES` nodes to a gap of :data:`WINDOW_GAP`, and the later years,
relaxed but present, keep each year's choice in view of the demand and the budget to come. Once
at most :data:`TAIL_YEARS` decision years are left (after the first step), they form the last
window together.

Where the time share runs out before the last year, the last window's solution (integer up to
its window, relaxed after) is rounded and completed like the LP relaxation (steps 2-6), so the
step always ends with a whole plan. The windows keep a pace (:data:`WINDOW_PACE`): a window
that takes far more than its share of the time left, or windows whose mean time would need far
more than the time left for the rest, end the step early ("not complete"), so that the first
plan can spend the rest on a search around its best plan instead (allocopt.model.neighbourhood).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from allocopt.model.build import PlanModel
from allocopt.model.completion import quiet_copy

WINDOW_YEARS = 2
"""Years whose decisions are integer in one step."""

TAIL_YEARS = 5
"""Decision years left at which the rest is one last window: on the default scenario (15 years)
the last five years in one step gave 2 702.7 MSEK in 43 s against 2 703.9 in 46 s year by year
(S: 4 040.1 against 4 044.7 MSEK, in the same time); benchmarks/RESULTS.md."""

WINDOW_NODES = 100
"""Branch-and-bound nodes of each step's MIP at most: a work limit, so that the plan does not
depend on the machine's speed (the time share is only a safety net)."""

WINDOW_GAP = 1e-3
"""Relative gap at which a step's MIP counts as solved."""

WINDOW_OPTIONS = {"mip_heuristic_run_feasibility_jump": False, "mip_heuristic_run_root_reduced_cost": False}
"""HiGHS heuristics each step goes without. Feasibility jump looks for a first solution, which
a step already has from the step before. The root reduced-cost heuristic is a sub-MIP that
fixes columns by their reduced costs; the steps' other sub-MIPs (RINS, RENS) find the step's
plan without it."""


WINDOW_PACE = 3.0
"""How far the windows may fall behind an even share of the time left. Each window may take at
most ``WINDOW_PACE × (time left) / (windows left)``, and the next one starts only while the
windows so far, at their mean time, would need at most ``WINDOW_PACE ×`` the time left for the
rest. Default scenario (a 60 s share): its slowest window before the last, 2028, takes about 7 s
of the 19 s it may (×1.15 frame: 11 of 18 s), and the windows end after 25-27 s. M (40 districts,
a 30 s share at a 60 s limit): the first window would take 23 s and is cut at 8 s. At 2.0, the
×1.15 frame lost its pace after three windows (17 s) that would have finished in 44 s
(benchmarks/RESULTS.md, "Session 8")."""


class Deadline:
    """When the first plan's work must end: at ``at`` (a ``time.perf_counter()`` value) or as soon
    as ``stop`` (a ``threading.Event``) is set, whichever comes first."""

    def __init__(self, at: float, stop):
        self.at, self.stop = at, stop

    def remaining(self) -> float:
        """Seconds left (0 once stopped)."""
        return 0.0 if self.stop.is_set() else max(0.0, self.at - time.perf_counter())

    def passed(self) -> bool:
        return self.remaining() <= 0.0

    def watch(self, highs) -> None:
        """Make a highspy MIP solve give up as soon as ``stop`` is set."""
        def interrupt(event):
            if self.stop.is_set():
                event.data_in.user_interrupt = True

        highs.cbMipInterrupt.subscribe(interrupt)


def decision_years(pm: PlanModel, col: Callable) -> dict[int, int]:
    """Column -> year of every integer column HiGHS was handed: ``build[o,t]`` and ``avail[o,t]``
    (year t), ``open[e,y]``, ``pick[d,k,s,y]`` and ``unmet_all[d,s,y]`` (year y)."""
    out: dict[int, int] = {}
    for mapping in (pm.build, pm.avail, pm.open, pm.pick, pm.unmet_all):
        for key, var in mapping.items():
            c = col(var)
            if c is not None:
                out[c] = key[-1]
    return out


def _set_integrality(highs, columns: np.ndarray, integer: bool) -> None:
    import highspy

    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    if len(columns):
        highs.changeColsIntegrality(len(columns), columns.astype(np.int32),
                                    np.full(len(columns), int(kind), dtype=np.uint8))


def step_copy(lp, threads: int, deadline: Deadline, left_out=()):
    """A silent highspy copy of ``lp`` for one of the first plan's MIP steps (a window here, or a
    neighbourhood in allocopt.model.neighbourhood): without its rows ``left_out`` (implied rows
    only), with :data:`WINDOW_OPTIONS`, :data:`WINDOW_GAP` and :data:`WINDOW_NODES`, and given up
    as soon as the deadline's ``stop`` is set."""
    h = quiet_copy(lp, threads)
    if len(left_out):
        h.deleteRows(len(left_out), np.asarray(sorted(left_out), dtype=np.int32))
    for option, value in WINDOW_OPTIONS.items():
        h.setOptionValue(option, value)
    h.setOptionValue("mip_rel_gap", WINDOW_GAP)
    h.setOptionValue("mip_max_nodes", WINDOW_NODES)
    deadline.watch(h)
    return h


def windows_left(i: int, years: int) -> int:
    """Windows still to solve, the ``i``-th decision year's (0-based) included, of ``years`` decision
    years: one per year until at most :data:`TAIL_YEARS` are left (after the first), then one."""
    return max(years - TAIL_YEARS, 1) - i + 1


def relax_and_fix(lp, years: dict[int, int], finish: Callable[[np.ndarray], tuple[np.ndarray, float] | None],
                  threads: int, deadline: Deadline, left_out=()) -> tuple[tuple[np.ndarray, float] | None, bool]:
    """Step 7 on ``lp`` (the whole model, a highspy ``HighsLp``) whose integer columns have the
    ``years`` of :func:`decision_years`, without its rows ``left_out`` (implied rows only: every
    step's solution must satisfy the whole model). ``finish(x)`` turns the last step's column
    values into a whole plan (column values, objective).

    Returns the plan (None if there is none) and whether the step is complete: it ran its last
    window. Not complete when the model has at most :data:`WINDOW_YEARS` decision years (the
    first window would be the whole MIP: no plan), when the windows lost their pace
    (:data:`WINDOW_PACE`) or the ``deadline`` came first (the last whole window's solution,
    finished), or when it was stopped or no window found a solution (no plan).
    """
    import highspy

    integer = np.flatnonzero(np.asarray(list(lp.integrality_), dtype=int) > 0)
    if not len(integer):
        return None, False
    year = np.array([years[c] for c in integer.tolist()])
    order = sorted(set(year.tolist()))
    if len(order) <= WINDOW_YEARS:
        return None, False
    h = step_copy(lp, threads, deadline, left_out)
    _set_integrality(h, integer[year >= order[WINDOW_YEARS]], integer=False)
    x = None
    complete = False
    began = time.perf_counter()
    for i, t in enumerate(order):
        if deadline.passed():
            break
        last = i > 0 and len(order) - i <= TAIL_YEARS
        left, remaining = windows_left(i, len(order)), deadline.remaining()
        if i and (time.perf_counter() - began) / i * left > WINDOW_PACE * remaining:
            break  # at their pace so far, the windows would need far more than the time left
        if last:
            _set_integrality(h, integer[year >= t], integer=True)
        h.setOptionValue("time_limit", min(remaining, WINDOW_PACE * remaining / left))
        h.run()
        cut = h.getModelStatus() in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt)
        feasible = h.getInfo().primal_solution_status == 2
        if feasible and (last or not cut):  # the last window's best, even cut short, is a whole plan
            x = np.asarray(h.getSolution().col_value)
        complete = last and feasible and not cut
        if cut or not feasible or last:
            break  # cut short by time or stop (a window's plan may be poor), nothing feasible, or done
        now = integer[year == t]
        values = np.round(x[now])
        h.changeColsBounds(len(now), now.astype(np.int32), values, values)
        if i + WINDOW_YEARS < len(order):
            _set_integrality(h, integer[year == order[i + WINDOW_YEARS]], integer=True)
    if x is None or deadline.stop.is_set():
        return None, False
    return finish(x), complete
