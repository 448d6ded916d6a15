"""Relax and fix over the years: step 7 of the first plan (allocopt.heuristics.first_plan).

The plan's decisions are taken year by year. Each step is a MIP on the whole model in which
the decisions of a window of ``window_years`` years are integer, those of earlier years are
fixed to what earlier steps chose, and those of later years are relaxed to continuous values;
the window then moves on by one year. A window holds a few dozen integer columns, so HiGHS
solves it within ``window_nodes`` nodes to a gap of ``window_gap``, and the later years,
relaxed but present, keep each year's choice in view of the demand and the budget to come. Once
at most ``tail_years`` decision years are left (after the first step), they form the last
window together (all numbers: :class:`~allocopt.heuristics.settings.FirstPlanSettings`).

Where the time runs out before the last year, the last window's solution (integer up to its
window, relaxed after) is rounded and completed like the LP relaxation (steps 2-6), so the step
always ends with a whole plan. The windows keep a pace (``window_pace``): a window that takes
far more than its share of the time left, or windows whose mean time would need far more than
the time left for the rest, end the step early ("not complete"), so that the first plan can
spend the rest on a search around its best plan instead (allocopt.heuristics.neighbourhood).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np

from allocopt.heuristics.completion import quiet_copy
from allocopt.heuristics.protocol import ColumnOf, Plan
from allocopt.heuristics.settings import FirstPlanSettings

if TYPE_CHECKING:
    import highspy

    from allocopt.model.build import PlanModel


class Deadline:
    """When the first plan's work must end: at ``at`` (a ``time.perf_counter()`` value) or as soon
    as ``stop`` is set, whichever comes first."""

    def __init__(self, at: float, stop: threading.Event):
        self.at, self.stop = at, stop

    def remaining(self) -> float:
        """Seconds left (0 once stopped)."""
        return 0.0 if self.stop.is_set() else max(0.0, self.at - time.perf_counter())

    def passed(self) -> bool:
        return self.remaining() <= 0.0

    def watch(self, highs: highspy.Highs) -> None:
        """Make a highspy MIP solve give up as soon as ``stop`` is set."""

        def interrupt(event):
            if self.stop.is_set():
                event.data_in.user_interrupt = True

        highs.cbMipInterrupt.subscribe(interrupt)


def decision_years(pm: PlanModel, col: ColumnOf) -> dict[int, int]:
    """Column -> year of every integer column HiGHS was handed: ``build[o,t]``, ``avail[o,t]`` and ``extend[o,t]``
    (year t), ``open[e,y]``, ``pick[d,k,s,y]`` and ``unmet_all[d,s,y]`` (year y)."""
    out: dict[int, int] = {}
    for mapping in (pm.build, pm.avail, pm.extend, pm.open, pm.pick, pm.unmet_all):
        for key, var in mapping.items():
            c = col(var)
            if c is not None:
                out[c] = key[-1]
    return out


def _set_integrality(highs: highspy.Highs, columns: np.ndarray, integer: bool) -> None:
    import highspy

    kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
    if len(columns):
        highs.changeColsIntegrality(
            len(columns), columns.astype(np.int32), np.full(len(columns), int(kind), dtype=np.uint8)
        )


def step_copy(
    lp: highspy.HighsLp,
    threads: int,
    deadline: Deadline,
    left_out: Collection[int] = (),
    settings: FirstPlanSettings = FirstPlanSettings(),
) -> highspy.Highs:
    """A silent highspy copy of ``lp`` for one of the first plan's MIP steps (a window here, or a
    neighbourhood in allocopt.heuristics.neighbourhood): without its rows ``left_out`` (implied
    rows only), with the ``settings``' ``window_options``, ``window_gap`` and ``window_nodes``, and
    given up as soon as the deadline's ``stop`` is set."""
    h = quiet_copy(lp, threads, settings.lp_seconds)
    if len(left_out):
        h.deleteRows(len(left_out), np.asarray(sorted(left_out), dtype=np.int32))
    for option, value in settings.window_options:
        h.setOptionValue(option, value)
    h.setOptionValue("mip_rel_gap", settings.window_gap)
    h.setOptionValue("mip_max_nodes", settings.window_nodes)
    deadline.watch(h)
    return h


def windows_left(i: int, years: int, tail_years: int) -> int:
    """Windows still to solve, the ``i``-th decision year's (0-based) included, of ``years`` decision
    years: one per year until at most ``tail_years`` are left (after the first), then one."""
    return max(years - tail_years, 1) - i + 1


def relax_and_fix(
    lp: highspy.HighsLp,
    years: dict[int, int],
    finish: Callable[[np.ndarray], Plan | None],
    threads: int,
    deadline: Deadline,
    left_out: Collection[int] = (),
    settings: FirstPlanSettings = FirstPlanSettings(),
) -> tuple[Plan | None, bool]:
    """Step 7 on ``lp`` (the whole model, a highspy ``HighsLp``) whose integer columns have the
    ``years`` of :func:`decision_years`, without its rows ``left_out`` (implied rows only: every
    step's solution must satisfy the whole model). ``finish(x)`` turns the last step's column
    values into a whole plan (column values, objective).

    Returns the plan (None if there is none) and whether the step is complete: it ran its last
    window. Not complete when the model has at most ``window_years`` decision years (the first
    window would be the whole MIP: no plan), when the windows lost their pace (``window_pace``)
    or the ``deadline`` came first (the last whole window's solution, finished), or when it was
    stopped or no window found a solution (no plan).
    """
    integer = np.flatnonzero(np.asarray(list(lp.integrality_), dtype=int) > 0)
    if not len(integer):
        return None, False
    last = max(years.values(), default=0)  # an integer column of no year (adopted_price's deviates): the last window
    year = np.array([years.get(c, last) for c in integer.tolist()])
    order = sorted(set(year.tolist()))
    if len(order) <= settings.window_years:
        return None, False
    h = step_copy(lp, threads, deadline, left_out, settings)
    _set_integrality(h, integer[year >= order[settings.window_years]], integer=False)
    x, complete = _windows(h, integer, year, order, deadline, settings)
    if x is None or deadline.stop.is_set():
        return None, False
    return finish(x), complete


def _windows(
    h: highspy.Highs,
    integer: np.ndarray,
    year: np.ndarray,
    order: list[int],
    deadline: Deadline,
    settings: FirstPlanSettings,
) -> tuple[np.ndarray | None, bool]:
    """The windows of :func:`relax_and_fix` on its copy ``h`` (integer ``year`` by ``integer``
    column, decision years in ``order``): the last solution kept and whether the last window ran."""
    import highspy

    pace = settings.window_pace
    x = None
    complete = False
    began = time.perf_counter()
    for i, t in enumerate(order):
        if deadline.passed():
            break
        last = i > 0 and len(order) - i <= settings.tail_years
        left, remaining = windows_left(i, len(order), settings.tail_years), deadline.remaining()
        if i and (time.perf_counter() - began) / i * left > pace * remaining:
            break  # at their pace so far, the windows would need far more than the time left
        if last:
            _set_integrality(h, integer[year >= t], integer=True)
        h.setOptionValue("time_limit", min(remaining, pace * remaining / left))
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
        if i + settings.window_years < len(order):
            _set_integrality(h, integer[year == order[i + settings.window_years]], integer=True)
    return x, complete
