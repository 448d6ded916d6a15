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
keeps the loosest caps; each level's tables and check use the level's own scenario). Levels are
solved from the tightest to the loosest, and each is handed the best plan found at any tighter
level as its start: a plan within a tighter frame is within a looser one, so the objective never
rises as the frame grows (monotone by construction). When HiGHS returns a costlier plan than the
one carried (a time limit), the carried plan is the level's. Every level's plan is checked by the
independent checker (:func:`allocopt.check.check_plan`) against the level's scenario: a plan it
does not confirm is ``unverified``.
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

from allocopt.interrupt import StopRequest
from allocopt.result import PLAN_STATUSES, Result
from allocopt.scenario import Budget, Scenario
from allocopt.scenario_facts import facts
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT

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

MSEK = 1e6

LEVEL_COLUMNS = [
    "level",
    "frame_total",
    "status",
    "objective",
    "bound",
    "gap",
    "unmet_place_years",
    "capex_total",
    "npv_real",
    "actions_changed",
    "d_npv_per_msek",
    "d_npv_per_msek_low",
    "d_npv_per_msek_high",
    "d_unmet_per_msek",
    "seconds",
    "message",
]
"""Columns of :attr:`Frontier.levels` (and frontier.csv), in the order given by the caller:
``level`` (factor or MSEK per year), ``frame_total`` (SEK: the frame over the horizon, each year
the tightest of the frame's columns), ``objective``/``bound`` (SEK), ``gap`` (relative),
``unmet_place_years``, ``capex_total`` (SEK, undiscounted), ``npv_real`` (objective less the
discounted unmet-demand penalty: the money the plan costs), ``actions_changed`` (action rows in
this level's plan and not in the previous level's, or the other way round), and per MSEK of
``frame_total`` from the previous (tighter) level: ``d_npv_per_msek`` (SEK of objective; negative:
the level saves), its interval ``_low``/``_high`` from the two levels' bounds and objectives where
either is not proven, ``d_unmet_per_msek`` (place-years). ``seconds``: the level's solve."""


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
        carried: _Carried | None = None
        for n, i in enumerate(order, 1):
            fields = {
                "scenario": index.name,
                "model_size": size,
                "settings": {**settings, "frame": frame, "unit": unit, "level": values[i]},
                **facts(scenarios[i]),
            }
            if stop.is_set():
                results[i] = Result(status="interrupted", message="the frontier was stopped", **fields)
            else:
                at = time.perf_counter()
                results[i], carried = _level(
                    pm, handoff, rows, scenarios[i], carried, fields, time_limit, mip_gap, threads, first_plan, stop
                )
                seconds[i] = time.perf_counter() - at
                results[i].timings = {**(timings if n == 1 else {}), **results[i].timings}
            if progress is not None:
                progress(n, len(values), results[i])
            handoff = replace(handoff, seconds=0.0)  # the hand-off counts against the first level's time only
    table = _levels_table(values, [frame_total(s, columns) for s in scenarios], results, seconds, order)
    return Frontier(frame, unit, table, results, time.perf_counter() - began)


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
) -> tuple[Result, _Carried | None]:
    """Solve one level: its caps into HiGHS's rows, the carried plan (or the first plan) as the
    start, HiGHS, the better of its plan and the carried one, the tables and the check."""
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
        from allocopt.solver import relative_gap, within_gap

        gap = relative_gap(objective, bound)
        proven = status == "optimal" or within_gap(gap, mip_gap)
        status = "interrupted" if status == "interrupted" else ("optimal" if proven else "time_limit")
        message = "the plan of a tighter level, no worse than HiGHS's" + (f" ({message})" if message else "")
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
        return Result(**fields), carried
    at = time.perf_counter()
    tables = read_tables(pm)
    timings["results"] = time.perf_counter() - at
    at = time.perf_counter()
    verdict = _verdict(level, Result(**fields, **tables), reported, mip_gap)
    timings["check"] = time.perf_counter() - at
    result = Result(**{**fields, **verdict}, **tables)
    if verdict or handoff.highs is None:
        return result, carried  # a plan the checker does not confirm is never carried on
    plan = _Carried(_values(pm, handoff), objective)
    return result, plan if carried is None or plan.objective <= carried.objective else carried


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


# ---------------------------------------------------------------- the figures


def _figures(result: Result) -> dict[str, float | None]:
    """A level's unmet place-years, capex and real NPV (None without a plan)."""
    if not result.has_plan:
        return {"unmet_place_years": None, "capex_total": None, "npv_real": None}
    costs = result.costs
    penalty = float((costs["penalty"] * costs["discount_factor"]).sum()) if len(costs) else 0.0
    return {
        "unmet_place_years": float(result.balance["unmet"].sum()) if len(result.balance) else 0.0,
        "capex_total": float(costs["capex"].sum()) if len(costs) else 0.0,
        "npv_real": None if result.objective is None else result.objective - penalty,
    }


def _action_rows(result: Result) -> set[tuple]:
    if not result.has_plan or result.actions.empty:
        return set()
    return set(result.actions.astype(str).itertuples(index=False, name=None))


def _levels_table(
    values: list[float], totals: list[float], results: list[Result], seconds: list[float], order: list[int]
) -> pd.DataFrame:
    """:data:`LEVEL_COLUMNS`, one row per level in the order given; the differences between each
    level and the next tighter one (by ``order``)."""
    rows: dict[int, dict] = {}
    previous: int | None = None
    for i in order:
        r = results[i]
        row = {
            "level": values[i],
            "frame_total": totals[i],
            "status": r.status,
            "objective": r.objective,
            "bound": r.bound,
            "gap": r.gap,
            **_figures(r),
            "seconds": seconds[i],
            "message": r.message,
        }
        if previous is not None:
            p = rows[previous]
            row["actions_changed"] = len(_action_rows(r) ^ _action_rows(results[previous])) if r.has_plan else None
            row.update(_per_msek(p, row))
        else:
            row["actions_changed"] = len(_action_rows(r)) if r.has_plan else None
        rows[i] = row
        previous = i
    table = pd.DataFrame([rows[i] for i in range(len(values))])
    return table.reindex(columns=LEVEL_COLUMNS)


def _per_msek(tighter: dict, looser: dict) -> dict[str, float | None]:
    """What the MSEK between two levels buys: the change in objective and unmet demand per MSEK of
    frame, and an interval for the change in objective from the bounds (objective ≥ bound, so the
    true optimum of each level lies in [bound, objective])."""
    msek = (looser["frame_total"] - tighter["frame_total"]) / MSEK
    out = dict.fromkeys(("d_npv_per_msek", "d_npv_per_msek_low", "d_npv_per_msek_high", "d_unmet_per_msek"))
    if msek <= 0 or tighter["objective"] is None or looser["objective"] is None:
        return out
    out["d_npv_per_msek"] = (looser["objective"] - tighter["objective"]) / msek
    out["d_unmet_per_msek"] = (looser["unmet_place_years"] - tighter["unmet_place_years"]) / msek
    lo_t = tighter["bound"] if tighter["bound"] is not None else -math.inf
    lo_l = looser["bound"] if looser["bound"] is not None else -math.inf
    if tighter["status"] == "optimal" and looser["status"] == "optimal":
        lo_t, lo_l = tighter["objective"], looser["objective"]  # proven within the gap: the point value
    low = (min(lo_l, looser["objective"]) - tighter["objective"]) / msek
    high = (looser["objective"] - min(lo_t, tighter["objective"])) / msek
    out["d_npv_per_msek_low"] = low if math.isfinite(low) else None
    out["d_npv_per_msek_high"] = min(0.0, high) if math.isfinite(high) else 0.0
    return out


def write_chart(front: Frontier, path: Path) -> bool:
    """NPV (MSEK) by level, with each level's bound, as a PNG at ``path``; False (nothing written)
    when matplotlib is not installed (it is no dependency of allocopt)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    t = front.levels.sort_values("level", kind="stable")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(t["level"], t["objective"].astype(float) / MSEK, marker="o", label="NPV (plan)")
    ax.plot(t["level"], t["bound"].astype(float) / MSEK, linestyle=":", label="bound")
    ax.set_xlabel(f"{front.frame} frame ({'× caps' if front.unit == 'factor' else 'MSEK per year'})")
    ax.set_ylabel("MSEK")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def sparkline(values: Sequence[float | None]) -> str:
    """A one-line chart of ``values`` (blank where None): for a terminal without matplotlib."""
    bars = "▁▂▃▄▅▆▇█"
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:
        return " " * len(values)
    lo, hi = min(known), max(known)
    span = hi - lo or 1.0
    return "".join(
        " " if v is None or not math.isfinite(v) else bars[round((v - lo) / span * (len(bars) - 1))] for v in values
    )
