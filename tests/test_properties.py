"""Property tests on random small scenarios (hypothesis, derandomized: every run tests the same examples).

Every solve uses ``mip_gap=0`` so that objectives can be compared exactly (relative 1e-6 plus
1e-4 SEK). The scenarios come from :func:`strategies.scenarios` (2–4 districts in a 10 km
square, 1–2 services, horizons of 2–4 years, 0–3 existing sites, 1–5 options of every kind,
optional budget caps and locks; money in multiples of 10 SEK). Infeasible examples are skipped
(``assume``). A failing example is printed as Python code (``strategies.scenario_code``) in the
hypothesis notes.

Properties:

- the checker finds no violation in an optimal plan;
- evaluating the optimal plan reproduces its cost, without violations;
- no plan the evaluator prices without violations (random plans, variations of the optimum) is
  cheaper than the optimum;
- relaxing a capex or opex cap (raising or removing one, removing all) never raises the optimal
  cost; the relaxed optimum, when it keeps the tight caps, costs the tight optimum;
- adding a candidate option never raises the optimal cost; when the extended optimum does not
  take it, both optima cost the same;
- multiplying every money figure (caps included) by λ multiplies the optimal cost by λ;
- the textbook formulation has the same optimum;
- with ample capacity in every district, no demand is left unmet.

Known bugs found by these properties are pinned at the end of the file as minimal strict-xfail
tests; the properties skip (or check only the safe direction of) exactly those cases.

Runtime: about 40 s of CPU on the 2-core machine (8 properties, 355 passing examples).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

import allocopt
from allocopt.scenario import Demand, District, Option, Scenario, Service, Settings, Site, SiteCapacity
from strategies import plans, rebuild, scale_costs, scenario_code, scenarios, with_ample_capacity

SETTINGS = dict(
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def skip_empty_model(result) -> None:
    """A model without any variable is solved without HiGHS (regression tests at the end)."""
    assert not (result.status == "error" and result.model_size.get("columns") == 0), result.message


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


@settings(max_examples=80, **SETTINGS)
@given(scenarios())
def test_checker_finds_nothing_in_an_optimal_plan(scenario):
    result = solve_optimal(scenario)
    violations = allocopt.check(scenario, result)
    assert [str(v) for v in violations] == []


@settings(max_examples=50, **SETTINGS)
@given(scenarios())
def test_evaluating_the_optimal_plan_reproduces_its_cost(scenario):
    result = solve_optimal(scenario)
    evaluated = allocopt.evaluate(scenario, result.actions)
    skip_empty_model(evaluated)
    assert evaluated.status == "evaluated", evaluated.message
    assert evaluated.violations == []
    if any(scenario.unmet_penalty(s.service) is None for s in scenario.services):
        # known bug (test_evaluation_with_a_forbidden_service_prices_the_best_assignment below):
        # where unmet demand is forbidden the evaluation may price a worse assignment; until the
        # fix, only the safe direction is checked here
        event("forbidden service: only evaluated >= optimum checked")
        assert evaluated.objective >= result.objective - tol(result.objective, evaluated.objective)
    else:
        assert evaluated.objective == pytest.approx(result.objective, rel=1e-6, abs=1e-4)


@settings(max_examples=35, **SETTINGS)
@given(st.data())
def test_no_sound_plan_is_cheaper_than_the_optimum(data):
    """Any plan that the evaluator prices without a violation costs at least the optimum
    (random plans, and variations of the optimal plan)."""
    scenario = data.draw(scenarios())
    result = solve_optimal(scenario)
    plan = data.draw(plans(scenario, near=result.actions if data.draw(st.booleans()) else None))
    note(repr(plan.to_dict("records")))
    evaluated = allocopt.evaluate(scenario, plan)
    skip_empty_model(evaluated)
    assert evaluated.status == "evaluated", evaluated.message
    assume(evaluated.violations == [])
    event("sound plan")
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
    caps = ("capex_cap", "opex_cap", "investment_cap", "borrowing_cap", "operating_cap")
    column = draw(st.sampled_from([c for c in caps if getattr(b, c) is not None]))
    if how == "raise":
        budget[i] = b.model_copy(update={column: getattr(b, column) + draw(st.integers(1, 100)) * 100.0})
    else:
        budget[i] = b.model_copy(update={column: None})
    return scenario, rebuild(scenario, budget=budget)


@settings(max_examples=40, **SETTINGS)
@given(cap_relaxations())
def test_relaxing_a_cap_never_raises_the_optimal_cost(pair):
    tight, loose = pair
    base = solve_optimal(tight)
    note("relaxed: " + repr(loose.budget))
    relaxed = solve(loose)
    assert relaxed.status == "optimal"
    assert relaxed.objective <= base.objective + tol(base.objective, relaxed.objective)
    # and when the relaxed optimum happens to keep the tighter caps, it is optimal there too
    within = allocopt.evaluate(tight, relaxed.actions)
    skip_empty_model(within)
    if within.status == "evaluated" and within.violations == []:
        event("relaxed optimum within the tight caps")
        assert base.objective <= within.objective + tol(base.objective, within.objective)


@st.composite
def option_additions(draw):
    """(scenario without one of its options, the scenario)."""
    scenario = draw(scenarios())
    locked = {x.id for x in scenario.locks if x.target == "option"}
    free = [o.option for o in scenario.options if o.option not in locked]
    assume(free)  # an option under a lock cannot go without changing the rules
    gone = draw(st.sampled_from(free))
    return rebuild(scenario, options=[o for o in scenario.options if o.option != gone]), scenario


@settings(max_examples=40, **SETTINGS)
@given(option_additions())
def test_adding_an_option_never_raises_the_optimal_cost(pair):
    fewer, more = pair
    base = solve_optimal(fewer)
    note("added: " + repr([o for o in more.options if o not in fewer.options]))
    extended = solve(more)
    assert extended.status == "optimal"
    assert extended.objective <= base.objective + tol(base.objective, extended.objective)
    # and when the extended optimum does not take the new option, it is optimal without it too
    gone = {o.option for o in more.options} - {o.option for o in fewer.options}
    if not set(extended.actions["option"].dropna()) & gone:
        event("new option not taken")
        assert base.objective <= extended.objective + tol(base.objective, extended.objective)


@settings(max_examples=40, **SETTINGS)
@given(scenarios(), st.sampled_from([2.5, 10.0]))
def test_scaling_every_cost_scales_the_optimal_cost(scenario, lam):
    base = solve_optimal(scenario)
    scaled = solve(scale_costs(scenario, lam))
    assert scaled.status == "optimal"
    assert scaled.objective == pytest.approx(lam * base.objective, rel=1e-6, abs=1e-4)


@settings(max_examples=30, **SETTINGS)
@given(scenarios())
def test_both_formulations_find_the_same_optimum(scenario):
    """The textbook formulation (no strengthening rows, no state variables) has the same optimum."""
    base = solve_optimal(scenario)
    textbook = allocopt.solve(scenario, mip_gap=0.0, formulation="textbook")
    assert textbook.status == "optimal", textbook.message
    assert textbook.objective == pytest.approx(base.objective, rel=1e-6, abs=1e-4)
    assert [str(v) for v in allocopt.check(scenario, textbook)] == []


@settings(max_examples=40, **SETTINGS)
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


# ------------------------------------------------------------------------------ regressions
# Minimal counterexamples the properties above found, each a test of its own.

NO_DECISION = dict(
    settings=Settings(name="empty", first_year=2026, last_year=2027, discount_rate=0.0),
    districts=[District(district="D0", x_km=0.0, y_km=0.0)],
    services=[Service(service="S0", max_km=4.0)],
)


def test_a_scenario_with_nothing_to_decide_is_solved():
    scenario = Scenario(
        **NO_DECISION,
        sites=[Site(site="E0", district="D0", opex=100.0)],
        site_capacities=[SiteCapacity(site="E0", service="S0", capacity=50.0)],
    )
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal", result.message
    assert result.objective == pytest.approx(200.0)
    assert allocopt.check(scenario, result) == []


def test_evaluating_an_empty_plan_without_demand():
    scenario = Scenario(
        **NO_DECISION, options=[Option(option="O0", kind="build", district="D0", service="S0", capacity=10.0)]
    )
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal" and result.actions.empty
    evaluated = allocopt.evaluate(scenario, result.actions)
    assert evaluated.status == "evaluated", evaluated.message
    assert evaluated.objective == pytest.approx(0.0)
    assert evaluated.violations == []


def test_evaluating_a_plan_beyond_the_conversion_limit_is_refused_with_its_reason():
    """Converting 100 places of a site that has 50 is no plan to price: refused, naming the row."""
    scenario = Scenario(
        settings=Settings(name="conv", first_year=2026, last_year=2026, discount_rate=0.0, unmet_penalty=100.0),
        districts=[District(district="D0", x_km=0.0, y_km=0.0)],
        services=[Service(service="S0"), Service(service="S1")],
        demand=[Demand(district="D0", service="S0", year=2026, places=10.0)],
        sites=[Site(site="E0", district="D0")],
        site_capacities=[SiteCapacity(site="E0", service="S0", capacity=50.0)],
        options=[
            Option(
                option="C",
                kind="conversion",
                site="E0",
                service="S1",
                from_service="S0",
                capacity=10.0,
                capacity_from=100.0,
            )
        ],
    )
    plan = pd.DataFrame([{"year": 2026, "action": "conversion", "option": "C", "modules": 1}])
    with pytest.raises(allocopt.ScenarioError, match="converts 100 places of 'S0' at site 'E0', which has 50"):
        allocopt.evaluate(scenario, plan)


def test_evaluation_with_a_forbidden_service_prices_the_best_assignment():
    scenario = Scenario(
        settings=Settings(name="prop", first_year=2026, last_year=2029, discount_rate=0.0),
        districts=[
            District(district="D1", x_km=1.0, y_km=0.0),
            District(district="D2", x_km=2.0, y_km=0.0),
            District(district="D3", x_km=2.0, y_km=0.0),
        ],
        services=[
            Service(service="S0", max_km=4.0, utilisation=0.9),
            Service(service="S1", max_km=4.0, utilisation=0.9, travel_cost=1.0, unmet_penalty=10.0),
        ],
        demand=[
            Demand(district="D1", service="S1", year=2028, places=10.0),
            Demand(district="D3", service="S1", year=2028, places=10.0),
        ],
        options=[Option(option="O0", kind="build", district="D2", service="S1", capacity=10.0)],
    )
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal" and result.objective == pytest.approx(110.0)
    evaluated = allocopt.evaluate(scenario, result.actions)
    assert evaluated.status == "evaluated" and evaluated.violations == []
    assert evaluated.objective == pytest.approx(110.0)
