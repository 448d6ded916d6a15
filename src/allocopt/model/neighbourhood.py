"""A search around the best plan so far: step 8 of the first plan (allocopt.model.first_plan).

Where relax and fix (step 7) cannot finish within the first plan's time (larger municipalities:
its windows each hold the whole model's LP), the time left goes to a neighbourhood search in the
manner of RINS (relaxation induced neighbourhood search). Each decision (integer column) on
which the plan and the LP relaxation agree stays as the plan has it; HiGHS solves the MIP over
the others, the decisions where the two disagree, starting from the plan. The cheaper plan found
becomes the next round's plan, with a new neighbourhood, until a round finds nothing cheaper,
:data:`SEARCH_ROUNDS` rounds are done, or the time is up. Each round's MIP is limited by work as
relax and fix's windows are (``WINDOW_NODES``, ``WINDOW_GAP``), so the plan does not depend on
the machine's speed unless the time runs out first.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from allocopt.model.completion import set_start
from allocopt.model.relax_fix import Deadline, step_copy

SEARCH_ROUNDS = 5
"""Neighbourhoods searched at most. On M (40 districts) the rounds took the plan from 7 540 to
6 893, 6 638 and 6 604 MSEK (21, 45 and 40 s); on S the second round found nothing cheaper."""

AGREE = 1e-6
"""How close (in modules, or 0/1) a plan's decision and the LP relaxation's must be to agree."""


def search_neighbourhood(lp, guide: np.ndarray, plan: tuple[np.ndarray, float],
                         finish: Callable[[np.ndarray], tuple[np.ndarray, float] | None],
                         threads: int, deadline: Deadline, left_out=()) -> tuple[np.ndarray, float]:
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
    h = step_copy(lp, threads, deadline, left_out)
    columns = integer.astype(np.int32)
    for _round in range(SEARCH_ROUNDS):
        if deadline.passed():
            break
        values = plan[0][integer]
        agree = np.abs(guide[integer] - values) <= AGREE
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
