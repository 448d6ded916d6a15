"""A search around the best plan so far: step 8 of the first plan (allocopt.heuristics.first_plan).

Where relax and fix (step 7) cannot finish within the first plan's time (larger municipalities:
its windows each hold the whole model's LP), the time left goes to a neighbourhood search in the
manner of RINS (relaxation induced neighbourhood search). Each decision (integer column) on
which the plan and the LP relaxation agree stays as the plan has it; HiGHS solves the MIP over
the others, the decisions where the two disagree, starting from the plan. The cheaper plan found
becomes the next round's plan, with a new neighbourhood, until a round finds nothing cheaper,
``search_rounds`` rounds are done, or the time is up. Each round's MIP is limited by work as
relax and fix's windows are (``window_nodes``, ``window_gap``), so the plan does not depend on
the machine's speed unless the time runs out first (all numbers:
:class:`~allocopt.heuristics.settings.FirstPlanSettings`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import numpy as np

from allocopt.heuristics.completion import set_start
from allocopt.heuristics.protocol import Plan
from allocopt.heuristics.relax_fix import Deadline, step_copy
from allocopt.heuristics.settings import FirstPlanSettings

if TYPE_CHECKING:
    import highspy


def search_neighbourhood(
    lp: highspy.HighsLp,
    guide: np.ndarray,
    plan: Plan,
    finish: Callable[[np.ndarray], Plan | None],
    threads: int,
    deadline: Deadline,
    left_out: Collection[int] = (),
    settings: FirstPlanSettings = FirstPlanSettings(),
) -> Plan:
    """The cheapest plan found around ``plan`` (column values of ``lp``, objective in model
    units), ``plan`` itself if none is cheaper. ``guide``: the LP relaxation's column values;
    ``finish(x)`` turns a round's solution into a whole plan (column values, objective);
    ``left_out``: rows (implied only) the rounds' MIPs go without."""
    import highspy

    integer = np.flatnonzero(np.asarray(list(lp.integrality_), dtype=int) > 0)
    if not len(integer) or deadline.passed():
        return plan
    lower = np.asarray(lp.col_lower_)[integer]
    upper = np.asarray(lp.col_upper_)[integer]
    h = step_copy(lp, threads, deadline, left_out, settings)
    columns = integer.astype(np.int32)
    for _round in range(settings.search_rounds):
        if deadline.passed():
            break
        values = plan[0][integer]
        agree = np.abs(guide[integer] - values) <= settings.agree
        fixed = np.round(values)
        h.changeColsBounds(len(columns), columns, np.where(agree, fixed, lower), np.where(agree, fixed, upper))
        set_start(h, plan[0])
        h.setOptionValue("time_limit", deadline.remaining())
        h.run()
        if h.getInfo().primal_solution_status != 2 or deadline.stop.is_set():
            break
        found = finish(np.asarray(h.getSolution().col_value))
        if found is None or found[1] >= plan[1] - 1e-9 * max(1.0, abs(plan[1])):
            break
        plan = found
        if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
            break
    return plan
