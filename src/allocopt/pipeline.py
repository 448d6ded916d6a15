"""``allocopt.solve`` and ``allocopt.evaluate``: scenario in, :class:`~allocopt.Result` out.

Both run the same steps, each timed into ``Result.timings``: load (when given a path) → index →
build → count (the model's size) → hand-off and HiGHS (allocopt.solver, its phases by name) →
results (the tables read off the model) → check (the independent checker). ``solve`` finds the
plan of least cost, with a first plan handed to HiGHS (allocopt.heuristics); ``evaluate``
prices a given plan: its decisions fixed (:func:`allocopt.index.fix_plan`), only the assignment
of demand to sites optimised.

A plan given to ``evaluate`` is an ``actions`` table (the format of
:attr:`allocopt.Result.actions`, or a CSV of it): option rows (``option``, ``year`` = opening
year, ``modules``, default 1) and closure rows (``action`` = ``close`` or ``lease_end``, ``site``,
``year`` = first closed year). Either word reads as the same closure: plans written before
``lease_end`` existed say ``close`` for a lease that runs out, and are accepted as they are; the
result's actions table names it by the rule (``lease_end`` for a leased site first closed after
its lease_end, else ``close``). Budget caps and policy rules are not enforced: their breaches are named in
``Result.violations`` (by the independent checker), so a strategist sees what the plan breaks
rather than a refusal. Demand the plan cannot serve is reported unmet; where unmet demand is
forbidden it is priced at 0 in the objective and named as an ``unmet_forbidden`` breach.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from allocopt.adopted import deviation_penalties, with_adopted
from allocopt.heuristics.settings import FirstPlanSettings
from allocopt.interrupt import StopRequest, run_stoppable
from allocopt.plan_reader import GivenPlan, read_plan
from allocopt.result import Result
from allocopt.root_cuts import RootCutSettings
from allocopt.scenario import Scenario
from allocopt.scenario_facts import facts
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT, ROOT_CUTS, SolveOutcome
from allocopt.validate import ScenarioError

if TYPE_CHECKING:
    from allocopt.heuristics.protocol import StartCallback
    from allocopt.index import PlanIndex
    from allocopt.model.build import PlanModel
    from allocopt.solver import HandOff, ProgressCallback

T = TypeVar("T")

FIRST_PLAN = FirstPlanSettings()
"""The first plan's settings :func:`solve` uses."""

EVALUATION_PENALTY = 1e9
"""SEK per place-year used to keep unserved demand as small as the plan allows where unmet demand
is forbidden (it is not part of the reported cost)."""


# ---------------------------------------------------------------- shared steps


def timed(timings: dict[str, float], name: str, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``work(*args, **kwargs)``, its wall seconds added to ``timings[name]`` (a phase timed twice
    counts both times)."""
    start = time.perf_counter()
    out = work(*args, **kwargs)
    timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
    return out


def _as_scenario(scenario: Scenario | str | os.PathLike, timings: dict[str, float]) -> Scenario:
    """``scenario`` itself, or loaded from its path (timed as ``load``)."""
    if isinstance(scenario, Scenario):
        return scenario
    from allocopt.load import load_scenario

    return timed(timings, "load", load_scenario, Path(scenario))


def model_size(model: Any) -> dict[str, int]:
    """Rows, columns, integer columns and nonzeros of a built Pyomo model."""
    import pyomo.environ as pyo

    columns = integers = 0
    for var in model.component_data_objects(pyo.Var, descend_into=True):
        if var.fixed:
            continue
        columns += 1
        integers += int(var.is_integer() or var.is_binary())
    rows = nonzeros = 0
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        rows += 1
        nonzeros += len(getattr(con.body, "linear_vars", ()))
    return {"rows": rows, "columns": columns, "integers": integers, "nonzeros": nonzeros}


def _solved(outcome: SolveOutcome, timings: dict[str, float]) -> dict[str, Any]:
    """The solver's phases and total into ``timings``; the Result fields every solve fills."""
    timings.update(outcome.phases)
    timings["solve"] = outcome.seconds
    return {"solve_seconds": outcome.seconds, "solver_log": outcome.log}


# ---------------------------------------------------------------- solve


def solve(
    scenario: Scenario | str | os.PathLike,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    mip_gap: float = DEFAULT_MIP_GAP,
    threads: int = DEFAULT_THREADS,
    tee: bool = False,
    formulation: str = "allocopt",
    first_plan: bool = True,
    stop: StopRequest | None = None,
    progress: ProgressCallback | None = None,
    root_cuts: RootCutSettings = ROOT_CUTS,
) -> Result:
    """Find the plan of least discounted cost for ``scenario``.

    ``scenario``: a :class:`Scenario` or a path (folder or .xlsx). ``time_limit`` in seconds;
    ``mip_gap`` the relative optimality gap at which a plan counts as optimal (0.005 = 0.5 %);
    ``threads``: threads in all (default 2; give 1 to runs made side by side); ``formulation``:
    ``"allocopt"`` (default: demand assigned district to district, with strengthening rows),
    ``"facility"`` (the same rows, demand assigned to each facility) or ``"textbook"`` (the plain
    formulation, for benchmarks); ``first_plan``: hand HiGHS a first plan, the LP relaxation rounded and
    re-planned year by year (allocopt.heuristics.first_plan), made beside HiGHS with two threads
    or more and before it with one (default on; it never changes the optimum); ``stop``: a
    :class:`~allocopt.interrupt.StopRequest` another thread may set to end the solve early (in
    the main thread, Ctrl-C and SIGTERM set it while HiGHS runs); ``progress``: called with each
    :class:`~allocopt.solver.Progress` HiGHS logs (elapsed seconds, best plan, bound, gap);
    ``root_cuts``: the root cut loop before HiGHS's search (models/root_cuts.md; off by default,
    ``RootCutSettings()`` switches it on). Returns a :class:`Result` whose status is ``optimal``,
    ``time_limit``, ``interrupted``, ``unverified``, ``infeasible`` or ``error``; the tables are
    filled whenever a plan was found.
    Every plan is checked by the independent checker (:func:`allocopt.check.check_plan`) before it
    is called optimal or time-limited: a broken constraint, or an objective that differs from the solver's by more
    than the gap allows, makes it ``unverified``.
    """
    from allocopt.index import build_index
    from allocopt.model.readout import read_tables
    from allocopt.solver import hand_off, run

    timings: dict[str, float] = {}
    settings = {
        "time_limit": float(time_limit),
        "mip_gap": float(mip_gap),
        "threads": int(threads),
        "first_plan": bool(first_plan),
        "formulation": formulation,
    }
    scen = with_adopted(_as_scenario(scenario, timings))  # the adopted plan's kept actions are locks
    index = timed(timings, "index", build_index, scen)
    pm = timed(timings, "build", _build, index, formulation)
    size = timed(timings, "count", model_size, pm.model)  # walking the model for its size: not free on large models
    fields: dict[str, Any] = {
        "scenario": index.name,
        "timings": timings,
        "model_size": size,
        "settings": settings,
        **facts(scen),
    }
    refused = _refusal(index, pm)
    if refused is not None:
        return Result(status="infeasible", message=refused, **fields)
    start = _first_plan(pm, FIRST_PLAN) if first_plan else None
    stop = stop or StopRequest()
    handed: list[HandOff] = []  # the hand-off, kept for the LPs around the plan (allocopt.marginal)
    outcome = run_stoppable(
        lambda: run(
            _kept(hand_off(pm.model), handed),
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            tee=tee,
            objective_scale=pm.money_scale,
            start=start,
            stop=stop,
            settings=FIRST_PLAN,
            progress=progress,
            root_cuts=root_cuts,
        ),
        stop,
    )
    fields.update(
        _solved(outcome, timings),
        status=outcome.status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        stopped_by=outcome.stopped_by,
        message=outcome.message,
    )
    if outcome.status == "infeasible":
        fields.update(timed(timings, "diagnose", _diagnosed, scen, index, time_limit, threads))
    if not outcome.has_plan:
        return Result(**fields)
    tables = timed(timings, "results", read_tables, pm)
    verdict = timed(timings, "check", _verdict, scen, Result(**fields, **tables), outcome.reported, mip_gap)
    tables.update(timed(timings, "marginal", _explained, pm, handed[0] if handed else None, time_limit))
    return Result(**{**fields, **verdict}, **tables)


def _kept(handoff: HandOff, into: list) -> HandOff:
    into.append(handoff)
    return handoff


def _explained(pm: PlanModel, handoff: HandOff | None, time_limit: float) -> dict[str, pd.DataFrame]:
    """What a place costs, which frames bind, why demand goes unmet (:func:`allocopt.marginal.marginal_tables`),
    each LP within its share of ``time_limit`` (:func:`allocopt.marginal.lp_seconds`)."""
    from allocopt.marginal import lp_seconds, marginal_tables

    return marginal_tables(pm, handoff, lp_seconds(time_limit))


def _build(index: PlanIndex, formulation: str) -> PlanModel:
    """The model of ``formulation`` (:data:`allocopt.model.build.FORMULATIONS`) for ``index``."""
    from allocopt.model.build import FORMULATIONS, build_model

    families, state = FORMULATIONS[formulation]
    return build_model(index, families=families, state=state)


def _refusal(index: PlanIndex, pm: PlanModel) -> str | None:
    """Why no plan can exist, seen before any solve (allocopt.refusals), or None. Values out of
    the solver's range are bad input, as validation says: raised as :class:`ScenarioError`."""
    from allocopt.refusals import refusal_problems

    problems = refusal_problems(index, pm)
    if pm.out_of_range:
        raise ScenarioError(problems[: len(pm.out_of_range)])
    if not problems:
        return None
    return "; ".join(str(p).removeprefix("error: ") for p in problems)


def _first_plan(pm: PlanModel, settings: FirstPlanSettings) -> StartCallback:
    """The first-plan heuristic (allocopt.heuristics.first_plan) bound to ``pm`` and ``settings``."""
    import functools

    from allocopt.heuristics.first_plan import first_plan

    return functools.partial(first_plan, pm, settings=settings)


def _verdict(scenario: Scenario, plan: Result, reported: float | None, mip_gap: float) -> dict[str, Any]:
    """What the independent checker says of ``plan``, the solver's result: nothing when it
    confirms the plan and the solver's ``reported`` objective (SEK) within what ``mip_gap``
    allows, else status ``unverified``, a message saying what does not agree and the violations."""
    from allocopt.check import check_plan

    report = check_plan(scenario, plan)
    violations = [str(v) for v in report.violations]
    doubts = []
    if violations:
        doubts.append(f"{len(violations)} violation(s), the first: {violations[0]}")
    recomputed = report.objective
    if recomputed is not None:
        allowed = max(mip_gap * abs(recomputed), 1e-6 * max(1.0, abs(recomputed)))
        if reported is not None and abs(reported - recomputed) > allowed:
            doubts.append(
                f"the solver reported an objective of {reported:,.2f} SEK, the checker "
                f"recomputes {recomputed:,.2f} SEK from the plan"
            )
        if plan.bound is not None and plan.bound > recomputed + allowed:
            doubts.append(
                f"the solver's bound {plan.bound:,.2f} SEK exceeds the plan's recomputed cost {recomputed:,.2f} SEK"
            )
    if not doubts:
        return {}
    return {
        "status": "unverified",
        "violations": violations,
        "message": "the independent checker does not confirm this plan: " + "; ".join(doubts),
    }


DIAGNOSIS_SECONDS = (10.0, 60.0)
"""The least and most seconds the elastic re-solve of an infeasible scenario gets (within them, the
solve's own time limit)."""


def _diagnosed(scenario: Scenario, index: PlanIndex, time_limit: float, threads: int) -> dict[str, Any]:
    """What must give for a plan to exist (:func:`allocopt.diagnose.diagnose`, the elastic re-solve):
    the ``message`` in words and the ``diagnosis`` table; the usual culprits where it finds none."""
    from allocopt.diagnose import diagnose

    least, most = DIAGNOSIS_SECONDS
    found = diagnose(scenario, time_limit=min(most, max(least, time_limit)), threads=threads, index=index)
    words = "; ".join(found.messages)
    return {
        "message": f"no plan satisfies every constraint: {words}" if words else _explain_infeasible(scenario),
        "diagnosis": found.table,
    }


def _explain_infeasible(scenario: Scenario) -> str:
    """Say why no plan exists, where it can be found cheaply: the usual culprits are listed."""
    hints = ["no plan satisfies every constraint"]
    forbidden = [s.service for s in scenario.services if scenario.unmet_penalty(s.service) is None]
    if forbidden:
        hints.append(
            f"unmet demand is forbidden for {', '.join(forbidden)}: the capacity that can be "
            "built within the reach limits, lead times and budget caps may fall short; give "
            "unmet_penalty a number to see where"
        )
    if scenario.budget:
        hints.append("the capex/opex caps in budget may be too tight")
    if scenario.locks:
        hints.append("a lock may conflict with the others")
    return "; ".join(hints)


# ---------------------------------------------------------------- evaluate


def evaluate(
    scenario: Scenario | str | os.PathLike,
    actions: pd.DataFrame | str | os.PathLike,
    *,
    time_limit: float = 600.0,
    threads: int = 1,
) -> Result:
    """Price the plan ``actions`` for ``scenario``: fixed decisions, optimal assignment.

    Returns a :class:`Result` with status ``evaluated`` (or ``infeasible``/``error``), the plan's
    discounted cost as ``objective``, every table, and every breach of the scenario's rules in
    ``violations``.
    """
    from allocopt.check import check
    from allocopt.model.readout import plan_objective, read_tables
    from allocopt.solver import hand_off, run

    timings: dict[str, float] = {}
    scen = _as_scenario(scenario, timings)
    plan = read_plan(actions, scen)
    index, fixed, scale = timed(timings, "index", _plan_index, scen, plan)
    pm = timed(timings, "build", _build_plan, fixed, plan, scale)
    size = timed(timings, "count", model_size, pm.model)  # walking the model for its size: not free on large models
    outcome = run(
        hand_off(pm.model), time_limit=time_limit, mip_gap=0.0, threads=threads, objective_scale=pm.money_scale
    )
    fields: dict[str, Any] = {
        "scenario": index.name,
        "timings": timings,
        "model_size": size,
        **facts(scen),
        **_solved(outcome, timings),
    }
    if not outcome.has_plan:
        return Result(status=outcome.status, message=outcome.message, **fields)
    penalty = {s: info.penalty or 0.0 for s, info in index.services.items()}  # as the scenario prices unmet demand
    tables = timed(timings, "results", read_tables, pm, penalty=penalty)
    tables.update(timed(timings, "marginal", _explained, pm, None, time_limit))
    # the adopted plan's price (adopted_plan: price) is in no cost table: added as the checker adds it
    adopted_penalty = sum(deviation_penalties(scen, tables["actions"]).values())
    fields.update(status="evaluated", objective=plan_objective(pm, tables["party_costs"]) + adopted_penalty)
    violations = [str(v) for v in timed(timings, "check", check, scen, Result(**fields, **tables))]
    message = f"the plan breaks {len(violations)} rule(s): see violations" if violations else ""
    return Result(**fields, message=message, violations=violations, **tables)


def _plan_index(scenario: Scenario, plan: GivenPlan) -> tuple[PlanIndex, PlanIndex, float]:
    """The scenario's index, the index of the plan (:func:`allocopt.index.fix_plan`) and the money
    scale of the real figures (the stand-in penalty of the plan's index must not set it)."""
    from allocopt.index import build_index, fix_plan
    from allocopt.model.build import money_scale

    index = build_index(scenario)
    fixed = fix_plan(index, plan.builds, plan.closures, EVALUATION_PENALTY, plan.extensions)
    return index, fixed, money_scale(index)


def _build_plan(index: PlanIndex, plan: GivenPlan, scale: float) -> PlanModel:
    """The evaluation model of the plan's ``index``, its openings and extensions fixed to the plan's."""
    from allocopt.model.build import EVALUATION_FAMILIES, build_model

    pm = build_model(index, families=EVALUATION_FAMILIES, state=False, scale=scale)
    for key, var in pm.build.items():
        var.fix(plan.builds[key])
    for key, var in pm.extend.items():
        var.fix(plan.extensions[key])
    return pm
