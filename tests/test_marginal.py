"""The fixed LP's place prices, frame rows and unmet reasons (allocopt.marginal) on hand-worked cases."""

from __future__ import annotations

import math

import pandas as pd
import pyomo.environ as pyo
import pytest

from allocopt.index import build_index
from allocopt.marginal import EXHAUSTED, NO_REACH, PENALTY, five_dearest, marginal_tables
from allocopt.model.build import build_model
from allocopt.model.readout import read_tables
from allocopt.solver import hand_off, run
from cases import Budget, District, Option, Service, Site, SiteCapacity, flat, tiny

TWO = [District(district="A", x_km=0.0, y_km=0.0), District(district="B", x_km=3.0, y_km=0.0)]


def solved(scenario):
    """The solved PlanModel of ``scenario`` (as allocopt.pipeline.solve makes it) and its tables."""
    pm = build_model(build_index(scenario))
    outcome = run(hand_off(pm.model), mip_gap=0.0, objective_scale=pm.money_scale)
    assert outcome.status == "optimal", outcome.message
    read_tables(pm)
    return pm


def row(table: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in where.items():
        mask &= table[column] == value
    assert mask.sum() == 1, table
    return table[mask].iloc[0]


def travel_case(places: float, capacity: float = 100.0, rate: float = 0.0, penalty=1000.0, **kw):
    """District A's demand is served only by site S in district B, 3 km away (max 5 km), travel
    10 SEK per place and km, unmet penalty ``penalty`` SEK per place, 2026-2027."""
    return tiny(
        2026,
        2027,
        rate=rate,
        districts=TWO,
        services=kw.pop("services", None)
        or [Service(service="pre", max_km=5.0, travel_cost=10.0, unmet_penalty=penalty)],
        demand=flat(places, [2026, 2027]),
        sites=[Site(site="S", district="B")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=capacity)],
        **kw,
    )


def test_travel_prices_a_place_while_capacity_remains():
    """50 places, S holds 100 at 3 km: one more place travels 3 km at 10 SEK = 30 SEK (r = 0, both
    years), and the plan's variables are left as they were."""
    pm = solved(travel_case(50.0))
    before = {id(v): v.value for v in pm.model.component_data_objects(pyo.Var)}
    tables = marginal_tables(pm)
    after = {id(v): v.value for v in pm.model.component_data_objects(pyo.Var)}
    assert before == after
    mc = tables["marginal_costs"]
    assert list(mc.columns) == [
        "district",
        "service",
        "year",
        "sek_per_place",
        "sek_per_place_discounted",
        "cheapest_module_option",
        "cheapest_module_sek_per_place",
    ]
    assert len(mc) == 2
    assert mc["sek_per_place"].tolist() == pytest.approx([30.0, 30.0])
    assert mc["sek_per_place_discounted"].tolist() == pytest.approx([30.0, 30.0])
    assert mc["cheapest_module_option"].isna().all()
    assert tables["unmet_reasons"].empty and tables["binding_caps"].empty


def test_an_lp_out_of_time_leaves_the_prices_blank_and_the_reasons_whole():
    """The LPs around the plan get a time budget (lp_seconds: 10 % of the solve's limit, 10 s at
    least); one that does not finish gives no duals: blank prices, the same rows, and the reasons
    (which need no LP) as they are."""
    from allocopt.marginal import lp_seconds

    assert lp_seconds(60.0) == 10.0 and lp_seconds(1200.0) == 120.0
    pm = solved(travel_case(50.0))
    timed_out = marginal_tables(pm, seconds=1e-9)["marginal_costs"]
    assert len(timed_out) == 2 and timed_out["sek_per_place"].isna().all()
    assert marginal_tables(pm)["marginal_costs"]["sek_per_place"].tolist() == pytest.approx([30.0, 30.0])


def test_penalty_prices_a_place_once_capacity_is_exhausted():
    """120 places, S holds 100: 20 unmet at 1000 SEK each; one more place is one more unmet: 1000
    SEK (r = 0). No option exists: the reason is exhausted capacity, S named full."""
    pm = solved(travel_case(120.0))
    tables = marginal_tables(pm)
    assert tables["marginal_costs"]["sek_per_place"].tolist() == pytest.approx([1000.0, 1000.0])
    reasons = tables["unmet_reasons"]
    assert reasons["unmet"].tolist() == pytest.approx([20.0, 20.0])
    assert set(reasons["reason"]) == {EXHAUSTED}
    assert "S full" in reasons["detail"].iloc[0]


def test_discounting_of_the_place_price():
    """As above with r = 0.1: a place in 2027 costs 1000 SEK in 2027's money, 1000/1.1 discounted."""
    pm = solved(travel_case(120.0, rate=0.1))
    mc = marginal_tables(pm)["marginal_costs"]
    second = row(mc, year=2027)
    assert second["sek_per_place_discounted"] == pytest.approx(1000.0 / 1.1)
    assert second["sek_per_place"] == pytest.approx(1000.0)
    assert row(mc, year=2026)["sek_per_place_discounted"] == pytest.approx(1000.0)


def test_binding_capex_cap_is_reported_with_spend_and_cap():
    """150 places in 2026 only, penalty 1000, build B in modules of 50 places (capex 500 each, up to 3,
    no residual) against a capex cap of 1000 in 2026: two modules open (1000 SEK, the whole cap:
    binding, slack 0) and 50 places are unmet (50 000 SEK). Its shadow price in the LP relaxation:
    one SEK more of cap buys 1/500 of a module, 0.1 place, 100 SEK of penalty less the SEK it costs:
    −99 SEK per SEK."""
    sc = tiny(
        2026,
        2026,
        residual="none",
        services=[Service(service="pre", unmet_penalty=1000.0)],
        demand={("A", "pre", 2026): 150.0},
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=50.0, capex=500.0, max_modules=3)
        ],
        budget=[Budget(year=2026, capex_cap=1000.0)],
    )
    caps = marginal_tables(solved(sc))["binding_caps"]
    assert list(caps.columns) == ["frame", "year", "spend", "cap", "slack", "binding", "dual_sek_per_sek"]
    r = row(caps, frame="capex_cap", year=2026)
    assert (r["spend"], r["cap"], r["slack"], bool(r["binding"])) == pytest.approx((1000.0, 1000.0, 0.0, True))
    assert r["dual_sek_per_sek"] == pytest.approx(-99.0)


def test_operating_cap_with_slack_and_an_unopened_lease():
    """Demand 100 in 2026, penalty 1000, lease L (100 places, rent 50 000 a year, the municipality's)
    against an operating cap of 30 000: L does not fit the frame, so all 100 places are unmet
    (100 000 SEK). The cap row has slack 30 000: not binding, dual 0 (the LP relaxation would take
    0.6 of L and price the frame, but the plan leaves it unused). The unmet places are a choice
    (L could have opened): cheaper to pay the penalty, L named in the detail."""
    sc = tiny(
        2026,
        2026,
        services=[Service(service="pre", unmet_penalty=1000.0)],
        demand={("A", "pre", 2026): 100.0},
        options=[Option(option="L", kind="lease", district="A", service="pre", capacity=100.0, rent=50_000.0, term=5)],
        budget=[Budget(year=2026, operating_cap=30_000.0)],
    )
    tables = marginal_tables(solved(sc))
    r = row(tables["binding_caps"], frame="operating_cap", year=2026)
    assert (r["spend"], r["slack"], bool(r["binding"]), r["dual_sek_per_sek"]) == pytest.approx(
        (0.0, 30_000.0, False, 0.0)
    )
    reasons = tables["unmet_reasons"]
    assert reasons["reason"].tolist() == [PENALTY]
    assert "cheapest module L" in reasons["detail"].iloc[0]


def test_no_facility_within_reach():
    """A's demand with penalty 1000 and nothing within 5 km (S stands in B, 3 km away, but the only
    facility there is for another service): unmet, no facility within reach."""
    sc = tiny(
        2026,
        2026,
        districts=TWO,
        services=[
            Service(service="pre", max_km=5.0, unmet_penalty=1000.0),
            Service(service="school", max_km=5.0),
        ],
        demand={("A", "pre", 2026): 10.0},
        sites=[Site(site="S", district="B")],
        capacities=[SiteCapacity(site="S", service="school", capacity=10.0)],
    )
    tables = marginal_tables(solved(sc))
    reasons = tables["unmet_reasons"]
    assert reasons["reason"].tolist() == [NO_REACH]
    assert reasons["unmet"].tolist() == pytest.approx([10.0])
    assert tables["marginal_costs"]["sek_per_place"].tolist() == pytest.approx([1000.0])


def test_no_facility_yet_names_the_earliest_opening():
    """Demand 10 places 2026-2027 with penalty 1000; the only facility is build B, lead time 1 year
    (opens 2027 at the earliest, capex 100, no residual): 2026 is unmet with no facility that year
    ("earliest option opens 2027"); B opens in 2027."""
    sc = tiny(
        2026,
        2027,
        residual="none",
        services=[Service(service="pre", unmet_penalty=1000.0)],
        demand=flat(10.0, [2026, 2027]),
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=100.0, lead_time=1)
        ],
    )
    reasons = marginal_tables(solved(sc))["unmet_reasons"]
    r = row(reasons, year=2026)
    assert r["reason"] == NO_REACH and "earliest option opens 2027" in r["detail"]
    assert len(reasons) == 1


def test_cheaper_to_pay_the_penalty_than_to_travel():
    """S 3 km away has room (100 places) but travel costs 30 SEK a place against a penalty of 20:
    all 50 places go unmet, with room at S; a place costs the penalty, 20 SEK."""
    pm = solved(travel_case(50.0, penalty=20.0))
    tables = marginal_tables(pm)
    reasons = tables["unmet_reasons"]
    assert set(reasons["reason"]) == {PENALTY}
    assert "room at S" in reasons["detail"].iloc[0]
    assert tables["marginal_costs"]["sek_per_place"].tolist() == pytest.approx([20.0, 20.0])


def test_cheapest_module_is_levelised_per_usable_place_year():
    """S full (100 places, 0 km away), 120 places, penalty 1000, 2026-2027, r = 0; expansion X at S
    (10 places a module, capex 100 000, no residual, up to 1 module): 20 places unmet
    (20 000 a year < 100 000). X's levelised cost: 100 000 / (10 places · 2 years) = 5 000 SEK per
    place-year in 2026 (opened 2026), 100 000 / 10 = 10 000 in 2027 (opened 2027). The reason:
    cheaper to pay the penalty."""
    sc = tiny(
        2026,
        2027,
        residual="none",
        timing="opening",
        services=[Service(service="pre", unmet_penalty=1000.0)],
        demand=flat(120.0, [2026, 2027]),
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
        options=[
            Option(option="X", kind="expansion", site="S", service="pre", capacity=10.0, capex=100_000.0, lifetime=10)
        ],
    )
    tables = marginal_tables(solved(sc))
    mc = tables["marginal_costs"]
    assert mc["cheapest_module_option"].tolist() == ["X", "X"]
    assert mc["cheapest_module_sek_per_place"].tolist() == pytest.approx([5000.0, 10000.0])
    assert set(tables["unmet_reasons"]["reason"]) == {PENALTY}


def test_five_dearest_sorts_by_place_price():
    table = pd.DataFrame(
        {
            "district": list("ABCDEFG"),
            "service": ["pre"] * 7,
            "year": [2026] * 7,
            "sek_per_place": [1.0, 7.0, math.nan, 3.0, 7.0, 5.0, 2.0],
        }
    )
    assert five_dearest(table)["district"].tolist() == ["B", "E", "F", "D", "G"]


def test_single_assignment_place_price():
    """A single-assignment service: A's 50 places picked to S in B (3 km, 10 SEK per place and km):
    one more place travels with them, 30 SEK. With 120 places and S holding 100, the whole district
    is unmet (single: all or nothing): a place costs the penalty, 1000 SEK."""
    service = [Service(service="pre", max_km=5.0, travel_cost=10.0, unmet_penalty=1000.0, assignment="single")]
    mc = marginal_tables(solved(travel_case(50.0, services=service)))["marginal_costs"]
    assert mc["sek_per_place"].tolist() == pytest.approx([30.0, 30.0])
    tables = marginal_tables(solved(travel_case(120.0, services=service)))
    assert tables["marginal_costs"]["sek_per_place"].tolist() == pytest.approx([1000.0, 1000.0])
    reasons = tables["unmet_reasons"]
    assert reasons["unmet"].tolist() == pytest.approx([120.0, 120.0])
    assert set(reasons["reason"]) == {EXHAUSTED}
    assert "without room for the district's 120 places" in reasons["detail"].iloc[0]
