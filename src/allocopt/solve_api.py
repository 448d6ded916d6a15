"""``allocopt.solve``: scenario in, :class:`~allocopt.Result` out.

Steps (each timed): load (when given a path) → index → build → solve → results.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from allocopt.interrupt import StopRequest, run_stoppable
from allocopt.refusals import refusal_problems
from allocopt.result import Result
from allocopt.scenario import Scenario
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT
from allocopt.validate import ScenarioError


def _as_scenario(scenario: Scenario | str | os.PathLike, timings: dict[str, float]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    from allocopt.load import load_scenario

    start = time.perf_counter()
    out = load_scenario(Path(scenario))
    timings["load"] = time.perf_counter() - start
    return out


def model_size(model) -> dict[str, int]:
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


def solve(scenario: Scenario | str | os.PathLike, *, time_limit: float = DEFAULT_TIME_LIMIT,
          mip_gap: float = DEFAULT_MIP_GAP, threads: int = DEFAULT_THREADS, tee: bool = False,
          formulation: str = "allocopt", first_plan: bool = True, stop: StopRequest | None = None) -> Result:
    """Find the plan of least discounted cost for ``scenario``.

    ``scenario``: a :class:`Scenario` or a path (folder or .xlsx). ``time_limit`` in seconds;
    ``mip_gap`` the relative optimality gap at which a plan counts as optimal (0.005 = 0.5 %);
    ``threads``: threads in all (default 2; give 1 to runs made side by side); ``formulation``:
    ``"allocopt"`` (default, with strengthening rows) or ``"textbook"`` (the plain formulation,
    for benchmarks); ``first_plan``: hand HiGHS a first plan, the LP relaxation rounded and
    re-planned year by year (allocopt.model.first_plan), made beside HiGHS with two threads or
    more and before it with one (default on; it never changes the optimum); ``stop``: a
    :class:`~allocopt.interrupt.StopRequest` another thread may set to end the solve early (in
    the main thread, Ctrl-C and SIGTERM set it while HiGHS runs). Returns a :class:`Result` whose
    status is ``optimal``, ``time_limit``, ``interrupted``, ``unverified``, ``infeasible`` or
    ``error``; the tables are filled whenever a plan was found. Every plan is checked by the
    independent checker (:func:`allocopt.check.check_plan`) before it is called optimal or
    time-limited: a broken constraint, or an objective that differs from the solver's by more
    than the gap allows, makes it ``unverified``.
    """
    from allocopt.index import build_index
    from allocopt.model import build_model
    from allocopt.results import read_tables
    from allocopt.solver import solve_model

    timings: dict[str, float] = {}
    settings = {"time_limit": float(time_limit), "mip_gap": float(mip_gap), "threads": int(threads),
                "first_plan": bool(first_plan), "formulation": formulation}
    scen = _as_scenario(scenario, timings)
    start = time.perf_counter()
    index = build_index(scen)
    timings["index"] = time.perf_counter() - start
    start = time.perf_counter()
    from allocopt.model.build import FORMULATIONS

    families, state = FORMULATIONS[formulation]
    pm = build_model(index, families=families, state=state)
    timings["build"] = time.perf_counter() - start
    start = time.perf_counter()
    size = model_size(pm.model)
    timings["count"] = time.perf_counter() - start  # walking the model for its size: not free on large models
    if pm.out_of_range:  # bad input, as validation says (allocopt.refusals): raised, not a status
        raise ScenarioError(refusal_problems(index, pm)[:len(pm.out_of_range)])
    refusals = refusal_problems(index, pm)
    if refusals:
        msg = "; ".join(str(p).removeprefix("error: ") for p in refusals)
        return Result(scenario=index.name, status="infeasible", message=msg, timings=timings, model_size=size,
                      settings=settings)

    first = None
    if first_plan:
        from allocopt.model.first_plan import first_plan as rounded_lp_plan

        first = functools.partial(rounded_lp_plan, pm)
    stop = stop or StopRequest()
    outcome = run_stoppable(
        lambda: solve_model(pm.model, time_limit=time_limit, mip_gap=mip_gap, threads=threads, tee=tee,
                            objective_scale=pm.money_scale, start=first, stop=stop), stop)
    timings["solve"] = outcome.seconds
    message = _explain_infeasible(scen) if outcome.status == "infeasible" else outcome.message
    tables = {}
    if outcome.has_plan:
        start = time.perf_counter()
        tables = read_tables(pm)
        timings["results"] = time.perf_counter() - start
    result = Result(scenario=index.name, status=outcome.status, objective=outcome.objective, bound=outcome.bound,
                    gap=outcome.gap, solve_seconds=outcome.seconds, message=message,
                    timings=timings, model_size=size, settings=settings, stopped_by=outcome.stopped_by, **tables)
    if outcome.has_plan:
        start = time.perf_counter()
        result = verified(scen, result, outcome.reported, mip_gap)
        timings["check"] = time.perf_counter() - start
    return result


def verified(scenario: Scenario, result: Result, reported: float | None, mip_gap: float) -> Result:
    """``result`` as the independent checker sees it: unchanged when it confirms the plan and the
    solver's ``reported`` objective (SEK) within what ``mip_gap`` allows, else with status
    ``unverified`` and a message saying what does not agree (the violations in ``violations``)."""
    from dataclasses import replace

    from allocopt.check import check_plan

    report = check_plan(scenario, result)
    violations = [str(v) for v in report.violations]
    doubts = []
    if violations:
        doubts.append(f"{len(violations)} violation(s), the first: {violations[0]}")
    recomputed = report.objective
    if recomputed is not None:
        allowed = max(mip_gap * abs(recomputed), 1e-6 * max(1.0, abs(recomputed)))
        if reported is not None and abs(reported - recomputed) > allowed:
            doubts.append(f"the solver reported an objective of {reported:,.2f} SEK, the checker "
                          f"recomputes {recomputed:,.2f} SEK from the plan")
        if result.bound is not None and result.bound > recomputed + allowed:
            doubts.append(f"the solver's bound {result.bound:,.2f} SEK exceeds the plan's recomputed cost "
                          f"{recomputed:,.2f} SEK")
    if not doubts:
        return result
    message = "the independent checker does not confirm this plan: " + "; ".join(doubts)
    return replace(result, status="unverified", message=message, violations=violations)


def _explain_infeasible(scenario: Scenario) -> str:
    """Say why no plan exists, where it can be found cheaply: the usual culprits are listed."""
    hints = ["no plan satisfies every constraint"]
    forbidden = [s.service for s in scenario.services if scenario.unmet_penalty(s.service) is None]
    if forbidden:
        hints.append(f"unmet demand is forbidden for {', '.join(forbidden)}: the capacity that can be "
                     "built within the reach limits, lead times and budget caps may fall short; give "
                     "unmet_penalty a number to see where")
    if scenario.budget:
        hints.append("the capex/opex caps in budget may be too tight")
    if scenario.locks:
        hints.append("a lock may conflict with the others")
    return "; ".join(hints)

