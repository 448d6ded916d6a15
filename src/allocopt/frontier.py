"""``allocopt.frontier``: the budget frontier, one plan per level of a frame.

What does the next MSEK of capex frame buy? :func:`frontier` solves one scenario at several
levels of one frame and reports, per level, the plan's cost, its unmet demand and what changes
between neighbouring levels.

The frame (``frame``) is ``capex`` (the budget columns ``capex_cap`` and ``investment_cap``) or
``opex`` (``opex_cap`` and ``operating_cap``). A level (``unit``) is either

- ``factor``: every year's cap of both columns multiplied by it (blank years stay blank); a
  scenario with no cap in the frame's columns has nothing to scale (``ValueError``);
- ``msek``: the cap of every planning year, MSEK, in the column(s) of the frame the scenario
  uses (both when it uses both; ``capex_cap`` or ``opex_cap``, the group's frame, when it uses
  neither).

One model is built, from the loosest level's scenario, and handed to HiGHS once. Each level
changes only the right-hand sides of the frame's rows in the model HiGHS holds (Pyomo's model
keeps the loosest caps; each level's tables and check use the level's own scenario).

The levels bracket each other: a plan within a tighter frame is within a looser one, and a looser
frame never costs more, so a looser level's proven bound holds for a tighter one. Levels are taken
tightest first (its plan fits every level), then the loosest (its bound holds for every level),
then the others from tight to loose. Each level starts from the cheapest plan found so far that
fits its frame; a level whose cheapest fitting plan is already within the gap of the best bound of
the levels solved at it or looser is decided without a solve (message :data:`BRACKETED`). When all
are taken, every level takes the cheapest plan found at any level that fits its frame (message
:data:`ADOPTED` where that is another level's): the objective never rises as the frame grows
(monotone by construction). Every level's plan is checked by the independent checker
(:func:`allocopt.check.check_plan`) against the level's own scenario: a plan it does not confirm
is ``unverified`` and never carried to another level.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from allocopt.frontier_levels import MSEK, levels_table, write_chart
from allocopt.interrupt import StopRequest
from allocopt.result import PLAN_STATUSES, Result
from allocopt.scenario import Budget, Scenario
from allocopt.scenario_facts import facts
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT, relative_gap, within_gap

if TYPE_CHECKING:
    from allocopt.model.build import PlanModel
    from allocopt.solver import HandOff, SolveOutcome

Frame = Literal["capex", "opex"]
Unit = Literal["factor", "msek"]

FRAME_COLUMNS: dict[str, tuple[str, str]] = {
    "capex": ("capex_cap", "investment_cap"),
    "opex": ("opex_cap", "operating_cap"),
}
"""The budget columns a frame's levels set: the group's frame first, then the party's."""


@dataclass
class Frontier:
    """The levels' figures (:data:`LEVEL_COLUMNS`) and each level's :class:`Result`, in the order
    the levels were given."""

    frame: str
    unit: str
    levels: pd.DataFrame
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole frontier: build, hand-off and every level

    def save(self, directory: str | os.PathLike, *, excel: bool = False) -> Path | None:
        """``frontier.csv``, the result files of each level with a plan allocopt stands behind
        (:data:`allocopt.result.PLAN_STATUSES`) in ``level_<i>/`` (``i`` from 1, in the order given)
        and, where matplotlib is installed, the chart ``frontier.png`` (:func:`write_chart`): its
        path, or None without matplotlib."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.levels.to_csv(out / "frontier.csv", index=False)
        for i, result in enumerate(self.results, 1):
            if result.status in PLAN_STATUSES:
                result.save(out / f"level_{i}", excel=excel)
        return out / "frontier.png" if write_chart(self, out / "frontier.png") else None


# ---------------------------------------------------------------- the levels' scenarios


def frame_columns(scenario: Scenario, frame: Frame, unit: Unit) -> tuple[str, ...]:
    """The budget columns the levels of ``frame`` set in ``scenario`` (see the module's docstring)."""
    if frame not in FRAME_COLUMNS:
        raise ValueError(f"frame must be one of {', '.join(FRAME_COLUMNS)}, not {frame!r}")
    used = tuple(c for c in FRAME_COLUMNS[frame] if any(getattr(b, c) is not None for b in scenario.budget))
    if unit == "factor":
        if not used:
            raise ValueError(
                f"the scenario has no {' or '.join(FRAME_COLUMNS[frame])} in its budget: there is no "
                f"{frame} frame to scale (levels in MSEK per year set one)"
            )
        return used
    if unit == "msek":
        return used or FRAME_COLUMNS[frame][:1]
    raise ValueError(f"unit must be 'factor' or 'msek', not {unit!r}")


def level_scenario(scenario: Scenario, level: float, frame: Frame = "capex", unit: Unit = "factor") -> Scenario:
    """``scenario`` with the caps of ``frame`` at ``level`` (see the module's docstring)."""
    columns = frame_columns(scenario, frame, unit)
    if unit == "factor":
        budget = [
            b.model_copy(update={c: None if getattr(b, c) is None else getattr(b, c) * level for c in columns})
            for b in scenario.budget
        ]
    else:
        rows = {b.year: b for b in scenario.budget}
        cap = float(level) * MSEK
        budget = [
            rows.get(y, Budget(year=y)).model_copy(update=dict.fromkeys(columns, cap)) for y in scenario.years
        ] + [b for y, b in rows.items() if y not in scenario.settings.years]
    return scenario.model_copy(update={"budget": budget})


def caps(scenario: Scenario, column: str) -> dict[int, float]:
    """Year -> cap (SEK) of one budget column within the horizon, blank years left out."""
    years = set(scenario.years)
    return {
        b.year: float(getattr(b, column)) for b in scenario.budget if b.year in years and getattr(b, column) is not None
    }


def frame_total(scenario: Scenario, columns: Sequence[str]) -> float:
    """The frame over the horizon (SEK): each year the tightest cap of ``columns``; 0 when no year has one."""
    by_column = [caps(scenario, c) for c in columns]
    total = 0.0
    for y in scenario.years:
        year_caps = [c[y] for c in by_column if y in c]
        total += min(year_caps) if year_caps else 0.0
    return total


def check_levels(levels: Sequence[float], unit: Unit) -> list[float]:
    """``levels`` as floats, or ValueError saying what is wrong: none, not finite, negative."""
    out = [float(x) for x in levels]
    if not out:
        raise ValueError("no levels given")
    bad = [x for x in out if not math.isfinite(x) or x < 0]
    if bad:
        what = "factors" if unit == "factor" else "MSEK per year"
        raise ValueError(f"levels must be finite and not negative ({what}): {', '.join(f'{x:g}' for x in bad)}")
    return out


# ---------------------------------------------------------------- the frontier


@dataclass
class _Carried:
    """The best plan so far: its column values in the model HiGHS holds and its objective (SEK)."""

    values: np.ndarray
    objective: float


def frontier(
    scenario: Scenario | str | os.PathLike,
    levels: Sequence[float],
    frame: Frame = "capex",
    *,
    unit: Unit = "factor",
    time_limit: float = DEFAULT_TIME_LIMIT,
    mip_gap: float = DEFAULT_MIP_GAP,
    threads: int = 2,
    first_plan: bool = True,
    progress: Callable[[int, int, Result], None] | None = None,
    stop: StopRequest | None = None,
) -> Frontier:
    """Solve ``scenario`` at each of ``levels`` of ``frame`` (see the module's docstring).

    ``unit``: ``factor`` (scale the scenario's caps) or ``msek`` (MSEK per year); ``time_limit``:
    seconds per level; ``mip_gap``, ``threads``: as :func:`allocopt.solve`; ``first_plan``: the
    tightest level gets allocopt's first plan, made as :func:`allocopt.solve` makes it (beside
    HiGHS with two threads or more); every other level starts from the plan carried from the
    tighter ones, handed to HiGHS before it starts, and HiGHS has all the threads.
    ``progress(i, n, result)`` is called after each level (``i`` counts solved levels from 1,
    tightest first). ``stop``: set it (or press Ctrl-C) to end
    the frontier; the level under way reports its best plan as ``interrupted`` and later levels
    are not solved (status ``interrupted``, no plan).
    """
    from allocopt.index import build_index
    from allocopt.pipeline import _as_scenario, _build, _refusal, model_size
    from allocopt.solver import hand_off

    began = time.perf_counter()
    timings: dict[str, float] = {}
    scen = _as_scenario(scenario, timings)
    values = check_levels(levels, unit)
    columns = frame_columns(scen, frame, unit)
    scenarios = [level_scenario(scen, x, frame, unit) for x in values]
    order = sorted(range(len(values)), key=lambda i: values[i])  # tightest first
    loosest = scenarios[order[-1]]
    settings = {"time_limit": float(time_limit), "mip_gap": float(mip_gap), "threads": int(threads)}

    at = time.perf_counter()
    index = build_index(loosest)
    timings["index"] = time.perf_counter() - at
    at = time.perf_counter()
    pm = _build(index, "allocopt")
    timings["build"] = time.perf_counter() - at
    size = model_size(pm.model)
    refused = _refusal(index, pm)
    results: list[Result | None] = [None] * len(values)
    seconds = [0.0] * len(values)
    stop = stop or StopRequest()
    if refused is not None:  # no plan at the loosest level: none at the tighter ones either
        for i in range(len(values)):
            results[i] = Result(
                scenario=index.name, status="infeasible", message=refused, settings=settings, **facts(scenarios[i])
            )
    else:
        handoff = hand_off(pm.model)
        timings["hand_off"] = handoff.seconds
        rows = _cap_rows(pm, handoff, columns)
        known: list[_Known] = []  # every checked plan found so far, at any level
        bounds: dict[int, float] = {}  # each solved level's proven bound (SEK)
        level_fields: dict[int, dict[str, Any]] = {}
        for n, i in enumerate(_sequence(order), 1):
            fields = level_fields[i] = {
                "scenario": index.name,
                "model_size": size,
                "settings": {**settings, "frame": frame, "unit": unit, "level": values[i]},
                **facts(scenarios[i]),
            }
            at = time.perf_counter()
            best = _best_known(known, scenarios[i], columns)
            bound = _best_bound(bounds, values, values[i])
            if stop.is_set():
                results[i] = Result(status="interrupted", message="the frontier was stopped", **fields)
            elif best is not None and bound is not None and within_gap(relative_gap(best.objective, bound), mip_gap):
                results[i] = _adopt(pm, handoff, rows, scenarios[i], best, bound, fields, mip_gap, BRACKETED)
            if results[i] is None or results[i].status == "unverified":
                carried = None if best is None else _Carried(best.values, best.objective)
                results[i], plan = _level(
                    pm, handoff, rows, scenarios[i], carried, fields, time_limit, mip_gap, threads, first_plan, stop
                )
                if results[i].bound is not None and results[i].status != "unverified":
                    bounds[i] = results[i].bound
                if plan is not None:
                    known.append(_Known(plan, results[i].objective, _spend(results[i], columns)))
            seconds[i] = time.perf_counter() - at
            results[i].timings = {**(timings if n == 1 else {}), **results[i].timings}
            if progress is not None:
                progress(n, len(values), results[i])
            handoff = replace(handoff, seconds=0.0)  # the hand-off counts against the first level's time only
        for i in order:  # a plan found at another level that fits this one's frame, and is cheaper
            best, mine = _best_known(known, scenarios[i], columns), results[i]
            if best is None or not mine.has_plan or best.objective >= mine.objective - 1e-9 * abs(mine.objective):
                continue
            bound = _best_bound(bounds, values, values[i])
            better = _adopt(pm, handoff, rows, scenarios[i], best, bound, level_fields[i], mip_gap, ADOPTED)
            if better.status != "unverified":
                better.timings = mine.timings
                results[i] = better
    table = levels_table(values, [frame_total(s, columns) for s in scenarios], results, seconds, order)
    return Frontier(frame, unit, table, results, time.perf_counter() - began)


BRACKETED = "proven by the bound of a looser level: a plan of this or a tighter level is within the gap of it"
ADOPTED = "the plan of another level, within this level's frame and cheaper than the plan found here"


@dataclass(frozen=True)
class _Known:
    """A plan found at some level and confirmed by the checker: its column values in the model
    HiGHS holds, its objective (SEK) and its spend in the frame's budget columns by (column, year)
    (SEK): it fits any level whose caps are at least that."""

    values: np.ndarray
    objective: float
    spend: dict[tuple[str, int], float]


def _sequence(order: list[int]) -> list[int]:
    """The order levels are taken in: the tightest (its plan fits every level), the loosest (its
    bound holds for every level), then the others from tight to loose."""
    return order if len(order) <= 2 else [order[0], order[-1], *order[1:-1]]


def _spend(result: Result, columns: Sequence[str]) -> dict[tuple[str, int], float]:
    frames = result.frames
    mine = frames[frames["frame"].isin(columns)]
    return {(f, int(y)): float(v) for f, y, v in zip(mine["frame"], mine["year"], mine["spend"])}


def _fits(plan: _Known, level: Scenario, columns: Sequence[str]) -> bool:
    """Whether ``plan`` keeps within every cap of ``level`` in the frame's columns (the levels differ
    in nothing else); the tolerance is HiGHS's feasibility tolerance on the scaled row."""
    for column in columns:
        for year, cap in caps(level, column).items():
            if plan.spend.get((column, year), 0.0) > cap + 1e-6 * max(1.0, abs(cap)):
                return False
    return True


def _best_known(known: list[_Known], level: Scenario, columns: Sequence[str]) -> _Known | None:
    """The cheapest known plan that fits ``level`` (None when none does)."""
    fitting = [plan for plan in known if _fits(plan, level, columns)]
    return min(fitting, key=lambda plan: plan.objective) if fitting else None


def _best_bound(bounds: dict[int, float], values: list[float], value: float) -> float | None:
    """The best bound for a level of ``value``: the highest proven bound of the levels solved at
    ``value`` or looser (a looser frame never costs more, so its bound holds for a tighter one)."""
    valid = [b for j, b in bounds.items() if values[j] >= value]
    return max(valid) if valid else None


def _adopt(
    pm: PlanModel,
    handoff: HandOff,
    rows: list,
    level: Scenario,
    plan: _Known,
    bound: float | None,
    fields: dict[str, Any],
    mip_gap: float,
    message: str,
) -> Result:
    """``plan`` as the plan of ``level``, without solving: its tables read under the level's caps,
    its gap from ``bound``, and the checker's verdict under the level's own scenario."""
    from allocopt.model.readout import read_tables
    from allocopt.pipeline import _verdict

    at = time.perf_counter()
    _set_caps(pm, handoff, rows, level)
    _load(pm, handoff, plan.values)
    tables = read_tables(pm)
    bound = None if bound is None else min(bound, plan.objective)
    gap = relative_gap(plan.objective, bound)
    status = "optimal" if within_gap(gap, mip_gap) else "time_limit"
    figures = {"status": status, "objective": plan.objective, "bound": bound, "gap": gap, "message": message}
    verdict = _verdict(level, Result(**fields, **figures, **tables), plan.objective, mip_gap)
    timings = {"results": time.perf_counter() - at}
    return Result(**{**fields, **figures, **verdict, "timings": timings}, **tables)


def _cap_rows(pm: PlanModel, handoff: HandOff, columns: Sequence[str]) -> list[tuple[str, int, Any, int, float, float]]:
    """The frame's rows: (column, year, Pyomo constraint, its row in the model HiGHS holds, the
    row's lower bound there, and its upper bound there less the cap in model units: the row's
    constant, which Pyomo moved to the right-hand side)."""
    if handoff.highs is None:
        return []
    lp = handoff.highs.getLp()
    out = []
    for column in columns:
        family = getattr(pm.model, column, None)
        built = getattr(pm.index, column)
        if family is None:
            continue
        for y in family:
            r = handoff.row(family[y])
            if r is not None:
                out.append((column, y, family[y], r, lp.row_lower_[r], lp.row_upper_[r] - built[y] * pm.money_scale))
    return out


def _set_caps(pm: PlanModel, handoff: HandOff, rows: list, level: Scenario) -> None:
    """The caps of ``level`` into the frame's rows of the model HiGHS holds, and into Pyomo's
    constraints and ``pm.index`` (read by the result tables) to match: should :func:`allocopt.solver.run`
    hand Pyomo's model to HiGHS again (HiGHS mishandling a start), it hands over this level."""
    from allocopt.model.money import FRAMES

    level_caps = {c: caps(level, c) for c in FRAMES}
    for column, y, con, r, lower, offset in rows:
        cap = level_caps[column].get(y)
        if cap is None:  # a year left blank at this level only: not a level this module makes
            handoff.highs.changeRowBounds(r, lower, math.inf)
            continue
        handoff.highs.changeRowBounds(r, lower, cap * pm.money_scale + offset)
        con.set_value((None, con.body, cap * pm.money_scale))
    pm.index = replace(pm.index, **level_caps)


def _level(
    pm: PlanModel,
    handoff: HandOff,
    rows: list,
    level: Scenario,
    carried: _Carried | None,
    fields: dict[str, Any],
    time_limit: float,
    mip_gap: float,
    threads: int,
    first_plan: bool,
    stop: StopRequest,
) -> tuple[Result, np.ndarray | None]:
    """Solve one level: its caps into HiGHS's rows, the carried plan (or the first plan) as the
    start, HiGHS, the better of its plan and the carried one, the tables and the check. Returns the
    level's result and its plan's column values (None when there is no plan the checker confirms)."""
    from allocopt.heuristics.completion import set_start
    from allocopt.interrupt import run_stoppable
    from allocopt.model.readout import read_tables
    from allocopt.pipeline import FIRST_PLAN, _first_plan, _verdict
    from allocopt.solver import run

    _set_caps(pm, handoff, rows, level)
    start = None
    if handoff.highs is not None and carried is not None:
        set_start(handoff.highs, carried.values)  # HiGHS starts from it; no first plan beside
    elif first_plan:
        start = _first_plan(pm, FIRST_PLAN)
    outcome: SolveOutcome = run_stoppable(
        lambda: run(
            handoff,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            objective_scale=pm.money_scale,
            start=start,
            stop=stop,
            settings=FIRST_PLAN,
        ),
        stop,
    )
    timings = {**outcome.phases, "solve": outcome.seconds}
    status, objective, bound, gap, message, reported = (
        outcome.status,
        outcome.objective,
        outcome.bound,
        outcome.gap,
        outcome.message,
        outcome.reported,
    )
    if carried is not None and (objective is None or carried.objective < objective - 1e-9 * max(1.0, abs(objective))):
        _load(pm, handoff, carried.values)
        objective = reported = carried.objective
        if bound is not None and bound > objective:
            bound = objective  # HiGHS's bound of a time-limited search is never above a plan it has
        gap = relative_gap(objective, bound)
        proven = status == "optimal" or within_gap(gap, mip_gap)
        status = "interrupted" if status == "interrupted" else ("optimal" if proven else "time_limit")
        message = "a plan of another level that fits this frame, no worse than HiGHS's" + (
            f" ({message})" if message else ""
        )
    fields = {
        **fields,
        "timings": timings,
        "solve_seconds": timings["solve"],
        "solver_log": outcome.log,
        "status": status,
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "message": message,
        "stopped_by": outcome.stopped_by,
    }
    if objective is None:
        return Result(**fields), None
    at = time.perf_counter()
    tables = read_tables(pm)
    timings["results"] = time.perf_counter() - at
    at = time.perf_counter()
    verdict = _verdict(level, Result(**fields, **tables), reported, mip_gap)
    timings["check"] = time.perf_counter() - at
    result = Result(**{**fields, **verdict}, **tables)
    if verdict or handoff.highs is None:
        return result, None  # a plan the checker does not confirm is never carried on
    return result, _values(pm, handoff)


def _values(pm: PlanModel, handoff: HandOff) -> np.ndarray:
    """The column values (in the model HiGHS holds) of the plan in Pyomo's variables."""
    import pyomo.environ as pyo

    values = np.zeros(handoff.highs.getNumCol())
    for var in pm.model.component_data_objects(pyo.Var, descend_into=True):
        c = handoff.column(var)
        if c is not None:
            values[c] = var.value or 0.0
    return values


def _load(pm: PlanModel, handoff: HandOff, values: np.ndarray) -> None:
    """Put the column ``values`` into Pyomo's variables."""
    import pyomo.environ as pyo

    for var in pm.model.component_data_objects(pyo.Var, descend_into=True):
        c = handoff.column(var)
        if c is not None:
            var.set_value(float(values[c]), skip_validation=True)
