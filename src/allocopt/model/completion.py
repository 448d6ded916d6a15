"""A copy of the model HiGHS was handed, with the plan's decisions fixed: what a plan costs.

Used by the first-plan heuristic (allocopt.model.first_plan) to turn fixed opening and closing
decisions into a whole plan (assignments, unmet demand) and its objective. :func:`quiet_copy`
also makes the copy its relax-and-fix step (allocopt.model.relax_fix) solves; :func:`set_start`
hands the plan to HiGHS (allocopt.solver).
"""

from __future__ import annotations

import numpy as np

LP_SECONDS = 30.0
"""Time limit (seconds) of each LP the heuristic solves: a safety net, never reached in practice."""


def quiet_copy(lp, threads: int, relax: bool = False):
    """A fresh, silent highspy model of ``lp`` (``relax``: without its integrality)."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("time_limit", LP_SECONDS)
    if relax:
        integrality, lp.integrality_ = lp.integrality_, []
        h.passModel(lp)
        lp.integrality_ = integrality
    else:
        h.passModel(lp)
    return h


def set_start(highs, values) -> None:
    """Hand ``highs`` the column ``values`` of a plan as its starting solution."""
    import highspy

    plan = highspy.HighsSolution()
    plan.col_value = list(values)
    plan.value_valid = True
    highs.setSolution(plan)


class Completion:
    """The whole model with the plan's decisions fixed, re-solved warm from plan to plan.

    ``lp_only``: every integer column will be fixed, so the copy is solved as an LP.
    """

    def __init__(self, lp, threads: int, lp_only: bool):
        self.h = quiet_copy(lp, threads, relax=lp_only)

    def solve(self, values: dict[int, float]) -> tuple[np.ndarray, float] | None:
        """Column values and objective (model units) with column ``c`` fixed to ``values[c]``;
        None if no plan completes these decisions."""
        import highspy

        cols = np.fromiter(values, dtype=np.int32, count=len(values))
        vals = np.fromiter(values.values(), dtype=float, count=len(values))
        self.h.changeColsBounds(len(cols), cols, vals, vals)
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.h.getSolution().col_value), self.h.getInfo().objective_function_value
