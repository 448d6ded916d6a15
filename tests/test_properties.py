"""Property tests on random small scenarios (hypothesis, derandomized: every run tests the same examples).

Every solve uses ``mip_gap=0`` so that objectives can be compared exactly (relative 1e-6).
The scenarios come from :func:`strategies.scenarios`: 2–4 districts in a 10 km square, 1–2
services, horizons of 2–4 years, 0–3 existing sites, 1–5 options of every kind, optional
budget caps; money in multiples of 10 SEK. A failing example is printed as Python code
(``strategies.scenario_code``) in the hypothesis notes.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import allocopt
from strategies import plans, rebuild, scale_costs, scenario_code, scenarios, with_ample_capacity

SETTINGS = dict(derandomize=True, deadline=None, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def skip_empty_model(result) -> None:
    """Skip an example whose model has no variable at all: HiGHS calls such a model empty and
    allocopt reports an error (the known bug of the two xfail tests at the end of this file)."""
    assume(not (result.status == "error" and result.model_size.get("columns") == 0))


def solve(scenario):
    """Solve to proven optimality; the status is either optimal or infeasible, never anything else."""
    result = allocopt.solve(scenario, mip_gap=0.0)
    skip_empty_model(result)
    assert result.status in ("optimal", "infeasible"), (result.status, result.message)
    return result


def solve_optimal(scenario):
    """Solve; skip the example when it is infeasible."""
    note(scenario_code(scenario))
    result = solve(scenario)
    assume(result.status == "optimal")
    return result


def tol(*values: float) -> float:
    """Objective comparison tolerance: relative 1e-6 plus a small absolute term (SEK)."""
    return 1e-6 * max([1.0, *map(abs, values)]) + 1e-4


@settings(max_examples=120, **SETTINGS)
@given(scenarios())
def test_checker_finds_nothing_in_an_optimal_plan(scenario):
    result = solve_optimal(scenario)
    violations = allocopt.check(scenario, result)
    assert [str(v) for v in violations] == []


@settings(max_examples=70, **SETTINGS)
@given(scenarios())
def test_evaluating_the_optimal_plan_reproduces_its_cost(scenario):
    result = solve_optimal(scenario)
    evaluated = allocopt.evaluate(scenario, result.actions)
    skip_empty_model(evaluated)
    assert evaluated.status == "evaluated", evaluated.message
    assert evaluated.violations == []
    assert evaluated.objective == pytest.approx(result.objective, rel=1e-6, abs=1e-4)


@settings(max_examples=40, **SETTINGS)
@given(st.data())
def test_no_sound_plan_is_cheaper_than_the_optimum(data):
    """Any plan that the evaluator prices without a violation costs at least the optimum."""
    scenario = data.draw(scenarios())
    result = solve_optimal(scenario)
    plan = data.draw(plans(scenario))
    evaluated = allocopt.evaluate(scenario, plan)
    skip_empty_model(evaluated)
    assert evaluated.status == "evaluated", evaluated.message
    assume(evaluated.violations == [])
    assert evaluated.objective >= result.objective - tol(result.objective, evaluated.objective)


@st.composite
def cap_relaxations(draw):
    """(scenario with caps, the same with one cap raised, one removed, or all removed)."""
    scenario = draw(scenarios(force_caps=True))
    assume(scenario.budget)
    how = draw(st.sampled_from(["raise", "remove one", "remove all"]))
    budget = list(scenario.budget)
    if how == "remove all":
        return scenario, rebuild(scenario, budget=[])
    i = draw(st.integers(0, len(budget) - 1))
    b = budget[i]
    column = draw(st.sampled_from([c for c in ("capex_cap", "opex_cap") if getattr(b, c) is not None]))
    if how == "raise":
        budget[i] = b.model_copy(update={column: getattr(b, column) + draw(st.integers(1, 100)) * 100.0})
    else:
        budget[i] = b.model_copy(update={column: None})
    return scenario, rebuild(scenario, budget=budget)


@settings(max_examples=50, **SETTINGS)
@given(cap_relaxations())
def test_relaxing_a_cap_never_raises_the_optimal_cost(pair):
    tight, loose = pair
    base = solve_optimal(tight)
    note("relaxed: " + repr(loose.budget))
    relaxed = solve(loose)
    assert relaxed.status == "optimal"
    assert relaxed.objective <= base.objective + tol(base.objective, relaxed.objective)


@st.composite
def option_additions(draw):
    """(scenario without one of its options, the scenario)."""
    scenario = draw(scenarios())
    locked = {x.id for x in scenario.locks if x.target == "option"}
    free = [o.option for o in scenario.options if o.option not in locked]
    assume(free)  # an option under a lock cannot go without changing the rules
    gone = draw(st.sampled_from(free))
    return rebuild(scenario, options=[o for o in scenario.options if o.option != gone]), scenario


@settings(max_examples=50, **SETTINGS)
@given(option_additions())
def test_adding_an_option_never_raises_the_optimal_cost(pair):
    fewer, more = pair
    base = solve_optimal(fewer)
    note("added: " + repr([o for o in more.options if o not in fewer.options]))
    extended = solve(more)
    assert extended.status == "optimal"
    assert extended.objective <= base.objective + tol(base.objective, extended.objective)


@settings(max_examples=50, **SETTINGS)
@given(scenarios(), st.sampled_from([2.5, 10.0]))
def test_scaling_every_cost_scales_the_optimal_cost(scenario, lam):
    base = solve_optimal(scenario)
    scaled = solve(scale_costs(scenario, lam))
    assert scaled.status == "optimal"
    assert scaled.objective == pytest.approx(lam * base.objective, rel=1e-6, abs=1e-4)


@settings(max_examples=50, **SETTINGS)
@given(scenarios())
def test_ample_capacity_leaves_no_demand_unmet(scenario):
    ample = with_ample_capacity(scenario)
    note(scenario_code(ample))
    result = solve(ample)
    if ample.locks or any(b.opex_cap is not None for b in ample.budget):
        assume(result.status == "optimal")  # locks may conflict; running costs may break an opex cap
    assert result.status == "optimal", result.message
    assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)
    assert allocopt.check(ample, result) == []
