"""A copy of the model HiGHS was handed, with the plan's decisions fixed: what a plan costs.

Used by the first plan (allocopt.heuristics.first_plan) to turn fixed opening and closing
decisions into a whole plan (assignments, unmet demand) and its objective. :func:`quiet_copy`
also makes the copies relax and fix (allocopt.heuristics.relax_fix) solves; :func:`set_start`
hands a plan to HiGHS (allocopt.heuristics.handover).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from allocopt.heuristics.protocol import Plan

if TYPE_CHECKING:
    import highspy


def quiet_copy(lp: highspy.HighsLp, threads: int, time_limit: float, relax: bool = False) -> highspy.Highs:
    """A fresh, silent highspy model of ``lp`` (``relax``: without its integrality), with a time
    limit of ``time_limit`` seconds."""
    import highspy

    from allocopt.highs_threads import HIGHS_THREADS

    HIGHS_THREADS.use(threads)  # HiGHS's pool is per calling thread: size it before the run
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("time_limit", time_limit)
    if relax:
        integrality, lp.integrality_ = lp.integrality_, []
        h.passModel(lp)
        lp.integrality_ = integrality
    else:
        h.passModel(lp)
    return h


def set_start(highs: highspy.Highs, values: Iterable[float]) -> None:
    """Hand ``highs`` the column ``values`` of a plan as its starting solution."""
    import highspy

    plan = highspy.HighsSolution()
    plan.col_value = list(values)
    plan.value_valid = True
    highs.setSolution(plan)


@dataclass(frozen=True)
class Completed:
    """What a completion gave: the model's column values and objective (model units), and the
    places each elastic row was left short (its key -> places; empty when none was). Only a
    completion short nowhere is a plan."""

    values: np.ndarray
    objective: float
    short: dict[Hashable, float]

    @property
    def plan(self) -> Plan | None:
        return None if self.short else (self.values, self.objective)


class Completion:
    """The whole model with the plan's decisions fixed, re-solved warm from plan to plan.

    ``lp_only``: every integer column will be fixed, so the copy is solved as an LP;
    ``time_limit``: seconds per solve (a safety net); ``round_up``: integer columns left free
    that the copy solves as continuous, then rounds up and fixes before solving again (the
    one-year extensions ``extend``: rounding up keeps ``extension_limit``, and more modules only
    add capacity). ``elastic``: row -> (key, cost in model units per place) of the demand rows
    whose unmet demand is forbidden; each gets a column of its own at that cost, so that decisions
    that open too little still complete, short by that column's value (:class:`Completed`), and
    the first plan can open more where they fall short instead of having nothing to go on.
    ``implied``: rows left free in the copy (implied rows holding unmet demand, which the elastic
    columns would otherwise have to enter too): a completion short nowhere satisfies them anyway.
    """

    def __init__(
        self,
        lp: highspy.HighsLp,
        threads: int,
        lp_only: bool,
        time_limit: float,
        round_up: Iterable[int] = (),
        elastic: Mapping[int, tuple[Hashable, float]] | None = None,
        implied: Iterable[int] = (),
    ):
        self.h = quiet_copy(lp, threads, time_limit, relax=lp_only)
        self.round_up = np.fromiter(round_up, dtype=np.int32)
        self.upper = np.asarray(lp.col_upper_, dtype=float)[self.round_up]
        if len(self.round_up) and not lp_only:
            kind = np.full(len(self.round_up), 0, dtype=np.uint8)  # continuous, rounded by hand
            self.h.changeColsIntegrality(len(self.round_up), self.round_up, kind)
        self.columns = lp.num_col_
        elastic = elastic or {}
        self.elastic_keys = [key for key, _cost in elastic.values()]
        if elastic:
            n = len(elastic)
            rows = np.fromiter(elastic, dtype=np.int32, count=n)
            cost = np.fromiter((c for _key, c in elastic.values()), dtype=float, count=n)
            at = np.arange(n, dtype=np.int32)
            self.h.addCols(n, cost, np.zeros(n), np.full(n, np.inf), n, at, rows, np.ones(n))
        free = np.fromiter(implied, dtype=np.int32)
        if len(free):
            self.h.changeRowsBounds(len(free), free, np.full(len(free), -np.inf), np.full(len(free), np.inf))

    def _fix(self, cols: np.ndarray, vals: np.ndarray) -> bool:
        import highspy

        self.h.changeColsBounds(len(cols), cols, vals, vals)
        self.h.run()
        return self.h.getModelStatus() == highspy.HighsModelStatus.kOptimal

    def solve(self, values: dict[int, float]) -> Completed | None:
        """The model with column ``c`` fixed to ``values[c]``, completed (:class:`Completed`); None
        if nothing completes these decisions, even short."""
        cols = np.fromiter(values, dtype=np.int32, count=len(values))
        vals = np.fromiter(values.values(), dtype=float, count=len(values))
        if len(self.round_up):  # free again from the previous plan's rounding
            self.h.changeColsBounds(len(self.round_up), self.round_up, np.zeros(len(self.round_up)), self.upper)
        if not self._fix(cols, vals):
            return None
        if len(self.round_up):
            x = np.asarray(self.h.getSolution().col_value)[self.round_up]
            whole = np.minimum(np.ceil(x - 1e-6), self.upper)
            if np.any(np.abs(whole - x) > 1e-9) and not self._fix(self.round_up, whole):
                return None
        x = np.asarray(self.h.getSolution().col_value)
        short = {key: float(v) for key, v in zip(self.elastic_keys, x[self.columns :], strict=True) if v > 1e-6}
        return Completed(x[: self.columns], self.h.getInfo().objective_function_value, short)
