"""Fix and optimise, service by service: step 7 of the first plan (allocopt.model.first_plan).

Services share only the budget rows (and conversions, which move places between two services),
so re-planning one service with every other decision fixed is a much smaller MIP than the
whole plan. Each service's sub-model is the whole model less the columns serving the other
services and the rows they appear in; HiGHS solves it from the current plan as start within a
node limit, the whole model then completes the new decisions (:class:`Completion`), and the
plan is kept if it costs less.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from allocopt.model.build import PlanModel
from allocopt.model.completion import Completion, quiet_copy, set_start

IMPROVE_PASSES = 3
"""Passes of step 7 over the services at most."""

SUB_NODES = 50
"""Branch-and-bound nodes of each step-7 sub-MIP: a work limit, so that the first plan does not
depend on the machine's speed (the time limit is only a safety net)."""


def service_parts(pm: PlanModel, col: Callable) -> dict[str, tuple[list[int], list[int]]]:
    """Per service: (integer columns it may re-plan, columns serving it).

    Re-planned: the opening decisions of its options (conversions: of the service they add)
    and the open status of sites offering it alone; serving: its ``assign``, ``pick``,
    ``unmet`` and ``unmet_all`` columns. Sites offering several services keep their status.
    """
    decide: dict[str, set[int]] = {}
    serve: dict[str, set[int]] = {}
    for (name, _t), var in list(pm.build.items()) + list(pm.avail.items()):
        decide.setdefault(pm.index.options[name].service, set()).add(col(var))
    for (site, _y), var in pm.open.items():
        offered = [s for s, places in pm.index.sites[site].capacity.items() if places > 0]
        if len(offered) == 1:
            decide.setdefault(offered[0], set()).add(col(var))
    for (_d, _k, s, _y), var in list(pm.assign.items()) + list(pm.pick.items()):
        serve.setdefault(s, set()).add(col(var))
    for (_d, s, _y), var in list(pm.unmet.items()) + list(pm.unmet_all.items()):
        serve.setdefault(s, set()).add(col(var))
    services = sorted(set(decide) | set(serve))
    return {s: (sorted(decide.get(s, set()) - {None}), sorted(serve.get(s, set()) - {None})) for s in services}


def coupled_services(pm: PlanModel) -> dict[str, set[str]]:
    """Services linked by a conversion option, each to the others."""
    out: dict[str, set[str]] = {}
    for o in pm.index.options.values():
        if o.from_service is not None:
            out.setdefault(o.service, set()).add(o.from_service)
            out.setdefault(o.from_service, set()).add(o.service)
    return out


def _rows_of(lp, columns: np.ndarray) -> np.ndarray:
    """Rows of ``lp`` with a nonzero in any of ``columns``."""
    import highspy

    a = lp.a_matrix_
    start, index = np.asarray(a.start_), np.asarray(a.index_)
    outer = np.repeat(np.arange(len(start) - 1), np.diff(start))
    if a.format_ == highspy.MatrixFormat.kRowwise:  # outer = rows, index = columns
        return np.unique(outer[np.isin(index, columns)])
    return np.unique(index[np.isin(outer, columns)])


class _ServiceModel:
    """Step 7's sub-model of one service: the whole model less the columns serving the other
    services and the rows they appear in (their demand and capacity rows), which leaves the
    service's own allocation, the shared budget rows and every decision column."""

    def __init__(self, lp, integer: np.ndarray, decide: list[int], others: np.ndarray, threads: int):
        rows = _rows_of(lp, others)
        self.kept = np.setdiff1d(np.arange(lp.num_col_), others)
        self.h = h = quiet_copy(lp, threads)
        h.setOptionValue("mip_rel_gap", 1e-4)
        h.setOptionValue("mip_max_nodes", SUB_NODES)
        if len(others):
            h.deleteCols(len(others), others.astype(np.int32))
        if len(rows):
            h.deleteRows(len(rows), rows.astype(np.int32))
        position = np.full(lp.num_col_, -1)
        position[self.kept] = np.arange(len(self.kept))
        self.fixed = np.setdiff1d(integer, decide)  # integer columns held at the plan's values
        self.fixed_sub = position[self.fixed].astype(np.int32)
        self.decide = np.asarray(decide, dtype=int)
        self.decide_sub = position[self.decide].astype(np.int32)

    def replan(self, values: np.ndarray, seconds: float) -> np.ndarray | None:
        """New values of the service's decision columns from ``values`` as start, or None."""
        h = self.h
        at = np.round(values[self.fixed])
        h.changeColsBounds(len(self.fixed_sub), self.fixed_sub, at, at)
        h.setOptionValue("time_limit", max(seconds, 0.01))
        set_start(h, values[self.kept])
        h.run()
        if h.getInfo().primal_solution_status != 2:
            return None
        return np.round(np.asarray(h.getSolution().col_value)[self.decide_sub])


def improve(lp, plan: tuple[np.ndarray, float], parts: dict[str, tuple[list[int], list[int]]],
            coupled: dict[str, set[str]], completion: Completion, threads: int,
            deadline: float) -> tuple[np.ndarray, float]:
    """Step 7, fix and optimise: re-plan one service at a time on its sub-model, every decision
    of the other services fixed to ``plan`` and ``plan`` as start; complete the new plan on
    the whole model and keep it if cheaper. A service's sub-model keeps the allocation of the
    services ``coupled`` to it (by conversions between them). ``lp`` is the whole model (a highspy
    ``HighsLp``), ``completion`` a :class:`Completion` of it solved as an LP. Stops at ``deadline``
    (a ``time.perf_counter()`` value) or when a pass over the services gains nothing."""
    import time

    integer = np.flatnonzero(np.asarray(list(lp.integrality_), dtype=int) > 0)
    if len(parts) < 2 or not len(integer):
        return plan
    models = {}
    for _pass in range(IMPROVE_PASSES):
        gained = False
        for service, (decide, _serve) in parts.items():
            if time.perf_counter() >= deadline:
                return plan
            if not decide:
                continue
            if service not in models:
                kept = coupled.get(service, set()) | {service}
                others = np.asarray(sorted(c for s, (_d, serve) in parts.items() if s not in kept for c in serve),
                                    dtype=int)
                models[service] = _ServiceModel(lp, integer, decide, others, threads)
            values, objective = plan
            new = models[service].replan(values, deadline - time.perf_counter())
            if new is None or np.array_equal(new, np.round(values[models[service].decide])):
                continue
            fixed = np.round(values[integer])
            fixed[np.searchsorted(integer, models[service].decide)] = new
            done = completion.solve(dict(zip(integer.tolist(), fixed.tolist())))
            if done is not None and done[1] < objective - 1e-7 * max(1.0, abs(objective)):
                plan = done
                gained = True
        if not gained:
            break
    return plan
