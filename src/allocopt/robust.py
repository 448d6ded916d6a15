"""A plan that holds when the forecast is wrong: the two-stage stochastic plan in extensive form
(models/robust.md), the value of the stochastic solution (VSS) and of perfect information (EVPI).

Each forecast variant (:func:`allocopt.forecasts.variant_scenarios`) is an ordinary scenario with
its own :class:`~allocopt.model.build.PlanModel`; the extensive form puts the variants' Pyomo
models side by side as blocks of one model (``variant_0``, ``variant_1``, ...), their own objectives
deactivated, minimises ``expected_cost = Σ_v p_v · total_cost_v`` and adds the one family
``commit_same``: every decision taken by ``commit_until`` takes, in every variant, the value it
has in the first. Blocks rather than a variant index on each variable: every family of
:mod:`allocopt.model.build`, the readout and the checker are reused unchanged, one variant at a
time, and each variant's plan is read with :func:`~allocopt.model.readout.read_tables` as any plan.

Four solves give the figures: RP (the robust plan), EV (the plan for the mean demand), EEV (the EV
plan's committed decisions fixed, each variant adapting after ``commit_until``) and WS (each variant
planned on its own: the extensive form without ``commit_same``). ``VSS = EEV − RP`` and
``EVPI = RP − WS``; with gaps left, each is an interval from the solves' bounds, never below 0.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from allocopt.forecasts import mean_scenario, variant_scenarios
from allocopt.headline import key_figures
from allocopt.model.build import FAMILIES, PlanModel
from allocopt.pipeline import timed
from allocopt.result import Result
from allocopt.scenario import Scenario
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT, SolveOutcome, relative_gap

Decision = tuple[str, tuple]
"""A decision of a plan model: (group, key), group ``build``, ``avail``, ``extend`` or ``open``."""

VARIANT_COLUMNS = ["forecast", "probability", "cost", "own_optimum", "unmet_place_years", "violations"]
"""``variants`` table: cost (under the robust plan) and own_optimum in SEK (discounted), unmet in
place-years. own_optimum: the cheapest plan found for the variant on its own, its WS plan's or its
robust plan's, whichever costs less (each solve stops within its gap)."""

FIGURE_COLUMNS = ["figure", "value", "low", "high", "status"]
"""``figures`` table: RP, EV, EEV, WS, VSS, EVPI in SEK; value None where only the interval is known."""


def default_commit_until(scenario: Scenario) -> int:
    """The first year plus the largest lead time of any option (the first year without options):
    decisions taken while the projects decided in the first year are still being built."""
    return scenario.settings.first_year + max((o.lead_time for o in scenario.options), default=0)


def decision_year(pm: PlanModel, group: str, key: tuple) -> int:
    """When a decision is taken: the opening year less the lead time for ``build`` and ``avail``
    (modules in service by the year: decided by its opening year's decision year), the year before
    for ``extend`` (a hire kept one more year is extended before it runs out: the actions table's
    ``decision_year``), the year itself for ``open`` (a closure)."""
    if group in ("build", "avail"):
        option, year = key
        return year - pm.index.options[option].lead_time
    if group == "extend":
        return key[1] - 1
    return key[1]


def decisions(pm: PlanModel) -> dict[Decision, Any]:
    """Every decision variable of ``pm`` by (group, key)."""
    return {(g, k): v for g in ("build", "avail", "extend", "open") for k, v in getattr(pm, g).items()}


def committed(pm: PlanModel, commit_until: int) -> dict[Decision, Any]:
    """The decisions of ``pm`` taken by ``commit_until`` (:func:`decision_year`)."""
    return {d: v for d, v in decisions(pm).items() if decision_year(pm, *d) <= commit_until}


@dataclass(frozen=True)
class Risk:
    """How the robust plan weighs the worst variants (models/robust.md, *Risk*): it minimises
    ``(1 − weight) · expected cost + weight · CVaR_level``, where ``CVaR_level`` is the expected cost
    of the worst ``1 − level`` of probability (``level`` 0.9: the worst 10 %). ``weight`` 0 (the
    default) is the expected cost alone."""

    weight: float = 0.0
    level: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"the CVaR weight must be within 0 … 1, not {self.weight:g}")
        if not 0.0 <= self.level < 1.0:
            raise ValueError(f"the CVaR level must be within 0 … 1 (1 excluded), not {self.level:g}")


def cvar(costs: list[float], probabilities: list[float], level: float) -> float:
    """The conditional value at risk of a discrete cost: ``min_η η + Σ_v p_v · max(0, c_v − η) / (1 − level)``,
    attained at one of the costs (SEK in, SEK out)."""
    return min(
        eta + math.fsum(p * max(0.0, c - eta) for c, p in zip(costs, probabilities, strict=True)) / (1.0 - level)
        for eta in costs
    )


def mean_risk(costs: list[float], probabilities: list[float], risk: Risk) -> float:
    """The robust plan's objective for the variants' ``costs`` (SEK): the expected cost, with
    ``risk.weight`` of it moved onto the CVaR (:class:`Risk`)."""
    expected = math.fsum(p * c for c, p in zip(costs, probabilities, strict=True))
    if risk.weight == 0.0:
        return expected
    return (1.0 - risk.weight) * expected + risk.weight * cvar(costs, probabilities, risk.level)


@dataclass
class Extensive:
    """The extensive form: one Pyomo model, the variants' plan models in it, their probabilities."""

    model: Any
    names: list[str]
    probabilities: list[float]
    scenarios: list[Scenario]
    plans: list[PlanModel]
    refusals: list[str] = field(default_factory=list)
    risk: Risk = Risk()

    @property
    def money_scale(self) -> float:
        return self.plans[0].money_scale


def extensive_form(
    variants: list[tuple[str, float, Scenario]],
    commit_until: int | None,
    fixed: dict[Decision, float] | None = None,
    risk: Risk = Risk(),
) -> Extensive:
    """The extensive form of ``variants`` (name, probability, scenario): each variant's model
    (:func:`~allocopt.model.build.build_model`, the default families) a block, the objective
    ``expected_cost`` (``mean_risk_cost`` with a CVaR weight, :class:`Risk`), and ``commit_same`` for
    the decisions taken by ``commit_until`` (None: no rows, each variant on its own). ``fixed``:
    decisions fixed to these values in every variant."""
    import pyomo.environ as pyo

    from allocopt.index import build_index
    from allocopt.model.build import money_scale

    model = pyo.ConcreteModel(name="robust")
    indexes = [build_index(scen) for _n, _p, scen in variants]
    scale = money_scale(indexes[0])
    plans, refusals = [], []
    for i, ((name, _p, _scen), index) in enumerate(zip(variants, indexes, strict=True)):
        pm, problems = variant_model(index, scale)
        refusals += [f"forecast '{name}': " + str(p).removeprefix("error: ") for p in problems]
        pm.model.total_cost.deactivate()
        model.add_component(f"variant_{i}", pm.model)
        plans.append(pm)
    _add_objective(model, [v[1] for v in variants], plans, risk)
    if commit_until is not None:
        _add_commit_same(model, plans, commit_until)
    for pm in plans:
        for d, var in decisions(pm).items():
            if fixed is not None and d in fixed:
                var.fix(fixed[d])
    return Extensive(
        model, [v[0] for v in variants], [v[1] for v in variants], [v[2] for v in variants], plans, refusals, risk
    )


def _add_objective(model: Any, probabilities: list[float], plans: list[PlanModel], risk: Risk) -> None:
    """``expected_cost = Σ_v p_v · total_cost_v``; with a CVaR weight λ at level α, ``mean_risk_cost =
    (1 − λ) · Σ_v p_v · total_cost_v + λ · (cvar_threshold + Σ_v p_v · cvar_excess_over[v] / (1 − α))`` and
    ``cvar_excess[v]``: ``cvar_excess_over[v] ≥ total_cost_v − cvar_threshold`` (money-scaled SEK)."""
    import pyomo.environ as pyo

    expected = pyo.quicksum(p * pm.model.total_cost.expr for p, pm in zip(probabilities, plans, strict=True))
    if risk.weight == 0.0:
        model.expected_cost = pyo.Objective(expr=expected, sense=pyo.minimize)
        return
    n = range(len(plans))
    model.cvar_threshold = pyo.Var(domain=pyo.Reals)
    model.cvar_excess_over = pyo.Var(n, domain=pyo.NonNegativeReals)
    model.cvar_excess = pyo.Constraint(
        n, rule=lambda m, v: m.cvar_excess_over[v] >= plans[v].model.total_cost.expr - m.cvar_threshold
    )
    tail = pyo.quicksum(p * model.cvar_excess_over[v] for v, p in zip(n, probabilities, strict=True))
    model.mean_risk_cost = pyo.Objective(
        expr=(1.0 - risk.weight) * expected + risk.weight * (model.cvar_threshold + tail / (1.0 - risk.level)),
        sense=pyo.minimize,
    )


def variant_model(index: Any, scale: float) -> tuple[PlanModel, list]:
    """One variant's plan model as the extensive form builds it (the default families, its state, the
    money ``scale`` of the first variant) and what a solve would refuse in it (lock conflicts,
    unreachable demand: :func:`allocopt.refusals.refusal_problems`). ScenarioError when a money
    figure is out of the solver's range."""
    from allocopt.model.build import build_model
    from allocopt.refusals import refusal_problems
    from allocopt.validate import ScenarioError

    pm = build_model(index, families=FAMILIES, state=True, scale=scale)
    problems = refusal_problems(index, pm)
    if pm.out_of_range:
        raise ScenarioError(problems[: len(pm.out_of_range)])
    return pm, problems


def shared_decisions(plans: list[PlanModel], commit_until: int) -> list[Decision]:
    """The decisions of the first variant taken by ``commit_until`` that every other variant has, in
    the first variant's order: those ``commit_same`` ties in every variant (a decomposition's
    nonanticipative decisions; ``commit_same`` also ties one that only some variants have)."""
    others = [decisions(pm) for pm in plans[1:]]
    return [d for d in committed(plans[0], commit_until) if all(d in o for o in others)]


def _add_commit_same(model: Any, plans: list[PlanModel], commit_until: int) -> None:
    """``commit_same[v, group, id, year]``: ``x_v = x_first`` for every decision ``(group, (id, year))``
    taken by ``commit_until`` and every variant ``v`` after the first."""
    import pyomo.environ as pyo

    first = committed(plans[0], commit_until)
    by_variant = [decisions(pm) for pm in plans]
    rows = {
        (v, group, *key): (by_variant[v][group, key], var)
        for v in range(1, len(plans))
        for (group, key), var in first.items()
        if (group, key) in by_variant[v]
    }
    model.commit_same = pyo.Constraint(list(rows), rule=lambda m, *k: rows[k][0] - rows[k][1] == 0)


def solve_extensive(
    ext: Extensive, *, time_limit: float, mip_gap: float, threads: int, tee: bool = False
) -> SolveOutcome:
    """Solve ``ext`` with HiGHS (:func:`allocopt.solver.hand_off` and :func:`~allocopt.solver.run`, no
    first plan); a refused variant is an infeasible outcome with the refusal as message."""
    from allocopt.solver import hand_off, run

    if ext.refusals:
        return SolveOutcome("infeasible", None, None, None, 0.0, "; ".join(ext.refusals))
    return run(
        hand_off(ext.model),
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        tee=tee,
        objective_scale=ext.money_scale,
    )


@dataclass
class RobustResult:
    """What :func:`robust` found: the shared plan, each variant's adapted plan, the figures.

    ``status``: ``optimal`` (every solve within the gap and every variant's plan confirmed by the
    checker under its own variant scenario), ``time_limit``, ``unverified``, ``infeasible`` or
    ``error``. ``expected_cost``: RP, SEK (discounted): the expected cost, or with a CVaR weight
    (``risk``, :class:`Risk`) the mean-risk cost (:func:`mean_risk`). ``committed``: the actions taken by
    ``commit_until`` (the actions table's columns), the same in every variant. ``plans``: each
    variant's :class:`~allocopt.result.Result`. ``variants`` and ``figures``: see
    :data:`VARIANT_COLUMNS`, :data:`FIGURE_COLUMNS`. ``timings``: wall seconds per phase.
    """

    scenario: str
    status: str
    commit_until: int
    message: str = ""
    expected_cost: float | None = None
    bound: float | None = None
    gap: float | None = None
    committed: pd.DataFrame = field(default_factory=pd.DataFrame)
    plans: dict[str, Result] = field(default_factory=dict)
    variants: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VARIANT_COLUMNS))
    figures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FIGURE_COLUMNS))
    timings: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    risk: Risk = Risk()

    def figure(self, name: str) -> float | None:
        """The point value of figure ``name`` (RP, EV, EEV, WS, VSS, EVPI), SEK; None if unknown."""
        row = self.figures[self.figures["figure"] == name]
        return None if row.empty or pd.isna(row["value"].iloc[0]) else float(row["value"].iloc[0])

    def save(self, directory: str | os.PathLike) -> Path:
        """Write robust.json (status, commit_until, expected cost, bound and gap in SEK, message,
        timings, model size), variants.csv, figures.csv, committed.csv and, per variant,
        ``<forecast>/`` with its actions, balance and costs tables into ``directory``."""
        import json

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        summary = {
            "scenario": self.scenario,
            "status": self.status,
            "commit_until": self.commit_until,
            "cvar_weight": self.risk.weight,
            "cvar_level": self.risk.level,
            "expected_cost": self.expected_cost,
            "bound": self.bound,
            "gap": self.gap,
            "message": self.message,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "model_size": self.model_size,
        }
        (out / "robust.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.variants.to_csv(out / "variants.csv", index=False)
        self.figures.to_csv(out / "figures.csv", index=False)
        self.committed.to_csv(out / "committed.csv", index=False)
        for name, plan in self.plans.items():
            folder = out / _safe(name)
            folder.mkdir(exist_ok=True)
            for table in ("actions", "balance", "costs"):
                getattr(plan, table).to_csv(folder / f"{table}.csv", index=False)
        return out


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "variant"


def robust(
    scenario: Scenario | str | os.PathLike,
    commit_until: int | None = None,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    mip_gap: float = DEFAULT_MIP_GAP,
    threads: int = DEFAULT_THREADS,
    tee: bool = False,
    figures: bool = True,
    risk: Risk = Risk(),
) -> RobustResult:
    """The robust plan of ``scenario`` over its forecast variants (models/robust.md).

    ``commit_until``: the last decision year whose decisions all variants share (default
    :func:`default_commit_until`). ``time_limit`` (seconds) and ``mip_gap`` apply to each of the
    four solves (RP, EV, EEV, WS); ``figures``: False solves RP only (no VSS, EVPI). ``risk``: a
    CVaR weight on the worst variants' cost (:class:`Risk`; the default minimises the expected
    cost), applied alike in RP, EEV and WS.
    """
    from allocopt.pipeline import model_size

    timings: dict[str, float] = {}
    if not isinstance(scenario, Scenario):
        from allocopt.load import load_scenario

        scenario = timed(timings, "load", load_scenario, Path(scenario))
    commit = default_commit_until(scenario) if commit_until is None else int(commit_until)
    variants = timed(timings, "variants", variant_scenarios, scenario)
    opts = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads, tee=tee)
    ext = timed(timings, "build", extensive_form, variants, commit, risk=risk)
    size = timed(timings, "count", model_size, ext.model)
    rp = timed(timings, "solve", solve_extensive, ext, **opts)
    out = RobustResult(
        scenario=scenario.settings.name,
        status=rp.status,
        commit_until=commit,
        message=rp.message,
        timings=timings,
        model_size=size,
        risk=risk,
    )
    if not rp.has_plan:
        return out
    plans, costs, doubts = timed(timings, "check", _read_and_check, ext, rp, mip_gap)
    out.plans = plans
    out.expected_cost, out.bound, out.gap = rp.objective, rp.bound, rp.gap
    out.committed = committed_actions(plans[ext.names[0]].actions, commit)
    if doubts:
        out.status = "unverified"
        out.message = "the independent checker does not confirm the robust plan: " + "; ".join(doubts)
    rows = [_figure("RP", rp)]
    own: dict[str, float | None] = {}
    if figures:
        ev, eev, ws, own = timed(timings, "figures", _figures, scenario, variants, commit, opts, risk)
        # Each solve stops within its gap: a variant's plan under the robust plan may cost less than
        # its own plan did, and is a plan of that variant on its own too (WS is a minimum over more).
        own = {n: c if c is None else min(c, costs[n]) for n, c in own.items()}
        if ws.has_plan and all(c is not None for c in own.values()):
            better = mean_risk([own[n] for n in ext.names], ext.probabilities, risk)
            if better < ws.objective:
                ws = replace(ws, objective=better, gap=relative_gap(better, ws.bound))
        rows += [_figure("EV", ev), _figure("EEV", eev), _figure("WS", ws)]
        rows += [_difference("VSS", eev, rp), _difference("EVPI", rp, ws)]
    out.figures = pd.DataFrame(rows, columns=FIGURE_COLUMNS)
    out.variants = pd.DataFrame(
        [
            {
                "forecast": name,
                "probability": p,
                "cost": costs[name],
                "own_optimum": own.get(name),
                "unmet_place_years": key_figures(plans[name]).unmet_place_years,
                "violations": len(plans[name].violations),
            }
            for name, p in zip(ext.names, ext.probabilities, strict=True)
        ],
        columns=VARIANT_COLUMNS,
    )
    return out


def committed_actions(actions: pd.DataFrame, commit_until: int) -> pd.DataFrame:
    """The rows of ``actions`` (of the first variant's plan) taken by ``commit_until``: openings and
    extensions by their ``decision_year``, closures (no decision year) by their year, as
    :func:`decision_year` dates the decisions."""
    if actions.empty:
        return actions
    decided = actions["decision_year"].astype(float).fillna(actions["year"].astype(float))
    return actions[decided <= commit_until].reset_index(drop=True)


def _read_and_check(
    ext: Extensive, outcome: SolveOutcome, mip_gap: float
) -> tuple[dict[str, Result], dict[str, float], list[str]]:
    """Each variant's tables and checked plan, each variant's recomputed cost (SEK), and what does
    not agree: a broken rule in a variant's plan, or the expected cost recomputed from the
    variants' plans against the solver's."""
    from allocopt.check import check_plan
    from allocopt.model.readout import plan_objective, read_tables
    from allocopt.scenario_facts import facts

    plans: dict[str, Result] = {}
    costs: dict[str, float] = {}
    doubts: list[str] = []
    status = "optimal" if outcome.status == "optimal" else "time_limit"
    for name, scen, pm in zip(ext.names, ext.scenarios, ext.plans, strict=True):
        tables = read_tables(pm)
        own = plan_objective(pm, tables["party_costs"])
        plan = Result(scenario=scen.settings.name, status=status, objective=own, **facts(scen), **tables)
        report = check_plan(scen, plan)
        plan.violations = [str(v) for v in report.violations]
        if plan.violations:
            doubts.append(f"forecast '{name}': {len(plan.violations)} violation(s), the first: {plan.violations[0]}")
        costs[name] = float(report.objective) if report.objective is not None else math.nan
        plans[name] = plan
    expected = mean_risk([costs[n] for n in ext.names], ext.probabilities, ext.risk)
    reported = outcome.reported if outcome.reported is not None else outcome.objective
    allowed = max(mip_gap * abs(expected), 1e-6 * max(1.0, abs(expected)))
    if reported is not None and not abs(reported - expected) <= allowed:
        what = "expected cost" if ext.risk.weight == 0.0 else "mean-risk cost"
        doubts.append(
            f"the solver reported a{'n' if what[0] == 'e' else ''} {what} of {reported:,.2f} SEK, "
            f"the checker recomputes {expected:,.2f} SEK"
        )
    return plans, costs, doubts


def _figures(
    scenario: Scenario, variants: list[tuple[str, float, Scenario]], commit: int, opts: dict, risk: Risk
) -> tuple[SolveOutcome, SolveOutcome, SolveOutcome, dict[str, float | None]]:
    """EV (the mean-demand plan), EEV (its committed decisions fixed, every variant adapting) and WS
    (every variant on its own), and each variant's own optimum (SEK) from the WS solve."""
    import pyomo.environ as pyo

    mean = mean_scenario(scenario, variants)
    ev_form = extensive_form([("mean", 1.0, mean)], None)
    ev = solve_extensive(ev_form, **opts)
    if ev.has_plan:
        fixed = {d: float(round(v.value or 0.0)) for d, v in committed(ev_form.plans[0], commit).items()}
        eev = solve_extensive(extensive_form(variants, None, fixed, risk), **opts)
    else:
        eev = SolveOutcome(ev.status, None, None, None, 0.0, f"no plan for the mean demand: {ev.message}")
    ws_form = extensive_form(variants, None, risk=risk)
    ws = solve_extensive(ws_form, **opts)
    own: dict[str, float | None] = {}
    for name, pm in zip(ws_form.names, ws_form.plans, strict=True):
        own[name] = pyo.value(pm.model.total_cost.expr) / pm.money_scale if ws.has_plan else None
    return ev, eev, ws, own


def _interval(o: SolveOutcome) -> tuple[float, float]:
    """What a minimisation's outcome proves of its optimum: (bound, best plan's cost), SEK.
    An infeasible outcome: (inf, inf); no plan: (bound or -inf, inf)."""
    if o.status == "infeasible":
        return math.inf, math.inf
    high = o.objective if o.objective is not None else math.inf
    low = o.bound if o.bound is not None else -math.inf
    if o.status == "optimal" and o.gap is not None and o.gap <= 1e-9:
        low = high
    return min(low, high), high


def _figure(name: str, o: SolveOutcome) -> dict:
    low, high = _interval(o)
    return {"figure": name, "value": o.objective, "low": low, "high": high, "status": o.status}


def _difference(name: str, minuend: SolveOutcome, subtrahend: SolveOutcome) -> dict:
    """``minuend − subtrahend`` (both ≥ the other by construction): an interval from the bounds,
    clamped at 0; the point value only when both are optimal (then also clamped at 0)."""
    a_low, a_high = _interval(minuend)
    b_low, b_high = _interval(subtrahend)
    low = max(0.0, a_low - b_high) if math.isfinite(b_high) else 0.0
    high = a_high - b_low if math.isfinite(a_high) or math.isfinite(b_low) else math.inf
    both = minuend.status == "optimal" and subtrahend.status == "optimal"
    value = max(0.0, minuend.objective - subtrahend.objective) if both else None  # type: ignore[operator]
    if minuend.status == "infeasible" and subtrahend.has_plan:
        value, low, high = math.inf, math.inf, math.inf
    status = "optimal" if both else "interval"
    return {"figure": name, "value": value, "low": low, "high": max(low, high), "status": status}
