"""``allocopt.evaluate``: price a given plan next to the optimum.

The plan is an ``actions`` table (the format of :attr:`allocopt.Result.actions`, or a CSV of
it): option rows (``option``, ``year`` = opening year, ``modules``, default 1) and closure rows
(``action`` = ``close``, ``site``, ``year`` = first closed year). Those decisions are fixed as
given; only the assignment of demand to sites is optimised. Budget caps and policy rules are
not enforced: their breaches are named in ``Result.violations`` (by the independent checker),
so a strategist sees what the plan breaks rather than a refusal. Demand the plan cannot serve is
reported unmet; where unmet demand is forbidden it is priced at 0 in the objective and named as
an ``unmet_forbidden`` breach.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pandas as pd

from allocopt.tables_io import unescape_formula

from allocopt.result import Result
from allocopt.scenario import Scenario
from allocopt.validate import Problem, ScenarioError

EVALUATION_PENALTY = 1e9
"""SEK per place-year used to keep unserved demand as small as the plan allows where unmet demand
is forbidden (it is not part of the reported cost)."""


def read_plan(actions: pd.DataFrame | str | os.PathLike, scenario: Scenario) -> tuple[dict, dict]:
    """``({(option, year): modules}, {site: first closed year})`` from an actions table.

    Raises :class:`ScenarioError` naming the file, row and column of every bad row.
    """
    if isinstance(actions, pd.DataFrame):
        table, file = actions.reset_index(drop=True), "actions"
    else:
        file = Path(actions).name
        try:
            table = pd.read_csv(actions, dtype=str, keep_default_na=False)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise ScenarioError([Problem(str(actions), None, None, f"cannot read the plan: {exc}")]) from None
        table = table.map(unescape_formula)  # an actions.csv allocopt wrote: ids like '=x were escaped
    problems: list[Problem] = []
    for column in ("year", "action"):
        if column not in table.columns:
            problems.append(Problem(file, "1", column, f"required column '{column}' is missing"))
    if problems:
        raise ScenarioError(problems)
    options = {o.option: o for o in scenario.options}
    sites = {x.site for x in scenario.sites}
    years = set(scenario.years)
    builds: dict[tuple[str, int], int] = {}
    closures: dict[str, int] = {}
    rows_of: dict[str, str] = {}  # option -> first plan row naming it

    def text(row, column) -> str:
        value = row.get(column, "")
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()

    for i, row in enumerate(table.to_dict("records")):
        label = str(i + 2)
        try:
            year = int(float(text(row, "year")))
        except ValueError:
            problems.append(Problem(file, label, "year", f"expected a year, got '{text(row, 'year')}'"))
            continue
        if year not in years:
            problems.append(Problem(file, label, "year", f"year {year} is outside the horizon"))
            continue
        action = text(row, "action")
        if action == "close":
            site = text(row, "site")
            if site not in sites:
                problems.append(Problem(file, label, "site", f"unknown site '{site}'"))
            elif site in closures:
                problems.append(Problem(file, label, "site", f"site '{site}' is closed twice"))
            else:
                closures[site] = year
            continue
        option = text(row, "option")
        if option not in options:
            problems.append(Problem(file, label, "option", f"unknown option '{option}'"))
            continue
        if action and action != options[option].kind:
            problems.append(Problem(file, label, "action",
                                    f"option '{option}' is a {options[option].kind}, not a {action}"))
            continue
        raw = text(row, "modules") or "1"
        try:
            modules = float(raw)
        except ValueError:
            modules = -1.0
        if modules < 1 or modules != int(modules):
            problems.append(Problem(file, label, "modules", f"expected a whole number of modules ≥ 1, got '{raw}'"))
            continue
        builds[option, year] = builds.get((option, year), 0) + int(modules)
        rows_of.setdefault(option, label)
    problems += _conversions_beyond_capacity(scenario, builds, file, rows_of)
    if problems:
        raise ScenarioError(problems)
    return builds, closures


def _conversions_beyond_capacity(scenario: Scenario, builds: dict, file: str, rows_of: dict) -> list[Problem]:
    """A plan cannot convert more places than a site has: such a plan is refused, not priced."""
    capacity = {(c.site, c.service): c.capacity for c in scenario.site_capacities}
    converted: dict[tuple[str, str], list] = {}
    for o in scenario.options:
        n = sum(m for (name, _t), m in builds.items() if name == o.option)
        if o.kind == "conversion" and n:
            entry = converted.setdefault((o.site, o.from_service), [0.0, o.option])
            entry[0] += n * (o.capacity_from if o.capacity_from is not None else o.capacity)
    return [Problem(file, rows_of[option], "modules",
                    f"the plan converts {places:g} places of '{service}' at site '{site}', which has "
                    f"{capacity.get((site, service), 0.0):g} (conversion_limit)")
            for (site, service), (places, option) in converted.items()
            if places > capacity.get((site, service), 0.0) + 1e-9]


def evaluate(scenario: Scenario | str | os.PathLike, actions: pd.DataFrame | str | os.PathLike, *,
             time_limit: float = 600.0, threads: int = 1) -> Result:
    """Price the plan ``actions`` for ``scenario``: fixed decisions, optimal assignment.

    Returns a :class:`Result` with status ``evaluated`` (or ``infeasible``/``error``), the plan's
    discounted cost as ``objective``, every table, and every breach of the scenario's rules in
    ``violations``.
    """
    from allocopt.check import check
    from allocopt.index import build_index
    from allocopt.model.build import EVALUATION_FAMILIES, build_model
    from allocopt.results import read_tables
    from allocopt.solve_api import _as_scenario, model_size
    from allocopt.solver import solve_model

    timings: dict[str, float] = {}
    scen = _as_scenario(scenario, timings)
    builds, closures = read_plan(actions, scen)
    start = time.perf_counter()
    index = build_index(scen)
    from allocopt.model.build import money_scale

    scale = money_scale(index)  # of the real figures: the stand-in penalty below must not set it
    reported_penalty = {s: info.penalty for s, info in index.services.items()}
    for info in index.services.values():
        if info.penalty is None:
            info.penalty = EVALUATION_PENALTY
    index.conflicts = []  # the caps stay for the costs table; their families are not built
    for o in index.options.values():
        o.years = sorted(t for (name, t) in builds if name == o.option)
        o.force_by = None
    for x in index.sites.values():
        closed = closures.get(x.site)
        for y in index.years:
            x.open_lb[y] = x.open_ub[y] = 0 if closed is not None and y >= closed else 1
    timings["index"] = time.perf_counter() - start
    start = time.perf_counter()
    pm = build_model(index, families=EVALUATION_FAMILIES, state=False, scale=scale)
    for key, var in pm.build.items():
        var.fix(builds[key])
    timings["build"] = time.perf_counter() - start
    start = time.perf_counter()
    size = model_size(pm.model)
    timings["count"] = time.perf_counter() - start  # walking the model for its size: not free on large models
    outcome = solve_model(pm.model, time_limit=time_limit, mip_gap=0.0, threads=threads,
                          objective_scale=pm.money_scale)
    timings["solve"] = outcome.seconds
    if not outcome.has_plan:
        return Result(scenario=index.name, status=outcome.status, message=outcome.message,
                      solve_seconds=outcome.seconds, timings=timings, model_size=size)
    start = time.perf_counter()
    tables = read_tables(pm, penalty={s: p or 0.0 for s, p in reported_penalty.items()})
    timings["results"] = time.perf_counter() - start
    result = Result(scenario=index.name, status="evaluated", solve_seconds=outcome.seconds,
                    timings=timings, model_size=size, **tables)
    result.objective = float(result.costs["discounted"].sum())
    result.violations = [str(v) for v in check(scen, result)]
    if result.violations:
        result.message = f"the plan breaks {len(result.violations)} rule(s): see violations"
    return result
