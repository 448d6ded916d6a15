"""The adopted plan priced (``adopted_plan: price``, allocopt.model.adopted_price): each departure costs
``deviation_cost`` per option or site and ``deviation_year_cost`` per module-year, undiscounted, so the plan
departs only where that pays; tiny cases worked out by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import allocopt
from allocopt.adopted import deviation_penalties, deviations
from allocopt.check import check_plan
from allocopt.index import build_index
from allocopt.load import write_scenario
from allocopt.model.build import build_model
from allocopt.scenario import AdoptedAction
from cases import Option, Site, SiteCapacity, run, school_140

YEARS = range(2026, 2029)


MODULES = (20.0, 100.0, 3)
"""Lease L in modules: 20 places and 100 SEK rent a year each, up to 3 modules."""
WHOLE = (40.0, 200.0, 1)
"""Lease L in one piece: 40 places, 200 SEK rent a year."""


def school(
    mode="price",
    adopted=(),
    penalty=100.0,
    deviation_cost=0.0,
    deviation_year_cost=0.0,
    sites=(),
    caps=(),
    lease=MODULES,
):
    """One district A, an existing school S (100 places, opex 1 000 SEK a year, may not close), demand 140
    places in 2026-2028, unmet demand at ``penalty`` SEK per place-year; options: build B (50 places, capex
    3 000 SEK) and lease L (``lease``: places and rent per module, most modules; a 10-year term). Discount rate
    0, no residual value: S costs 3 000 SEK in every plan. Free, the optimum leases 40 places of L from 2026
    (600 SEK)."""
    places, rent, most = lease
    lease_option = Option(
        option="L", kind="lease", district="A", service="pre", capacity=places, rent=rent, term=10, max_modules=most
    )
    scenario = school_140(
        penalty,
        options=[lease_option],
        sites=sites,
        capacities=caps,
        adopted_plan=[AdoptedAction(**row) for row in adopted],
    )
    update = {
        "adopted_plan": mode,
        "deviation_cost": deviation_cost,
        "deviation_year_cost": deviation_year_cost,
    }
    settings = scenario.settings.model_copy(update=update)
    return type(scenario).model_validate({**scenario.model_dump(), "settings": settings.model_dump()})


B_2027 = [dict(year=2027, action="build", option="B")]
"""The board's plan: build B, opening in 2027."""


def solved(scenario):
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal", result.message
    report = check_plan(scenario, result)
    assert report.violations == []
    assert report.objective == pytest.approx(result.objective, rel=1e-9)
    return result


def openings(result) -> list[tuple]:
    table = result.actions
    return sorted((r["action"], r["option"] or r["site"], int(r["year"]), r["modules"]) for r in _records(table))


def _records(table: pd.DataFrame) -> list[dict]:
    return table.astype(object).where(table.notna(), None).to_dict("records")


def test_a_small_saving_does_not_pay_the_deviation():
    """L whole, penalty 100 SEK per place-year, deviation_cost 5 000 SEK. B as adopted (2027) leaves 40 places
    of 2026 unmet: 3 000 + 4 000 = 7 000 SEK. Departures: B a year early, 3 000 + 5 000 = 8 000 (it saves 4 000,
    less than the 5 000 it costs); B in 2027 and L from 2026, 3 600 + 5 000 = 8 600; the free optimum (B
    dropped, L added: two departures), 600 + 10 000 = 10 600. So the plan is the adopted one: 3 000 + 7 000."""
    scenario = school(adopted=B_2027, deviation_cost=5000.0, lease=WHOLE)
    result = solved(scenario)
    assert openings(result) == [("build", "B", 2027, 1)]
    assert result.objective == pytest.approx(3000.0 + 7000.0)
    assert len(deviations(scenario, result)) == 0


def test_a_large_saving_pays_the_deviation():
    """L whole, penalty 200 SEK per place-year, deviation_cost 5 000 SEK. B as adopted: 3 000 + 8 000 (2026
    unmet) = 11 000 SEK; B a year early: 3 000 + 5 000 = 8 000 (it saves 8 000, more than its 5 000); B in 2027
    and L: 3 600 + 5 000 = 8 600; the free optimum: 600 + 10 000 = 10 600. So B moves 2027 → 2026 and pays the
    penalty: 3 000 + 8 000 = 11 000 SEK, of which 5 000 notional (in no cost table)."""
    scenario = school(adopted=B_2027, penalty=200.0, deviation_cost=5000.0, lease=WHOLE)
    result = solved(scenario)
    assert openings(result) == [("build", "B", 2026, 1)]
    assert result.objective == pytest.approx(3000.0 + 8000.0)
    assert float(result.party_costs["discounted"].sum()) == pytest.approx(3000.0 + 3000.0)  # real money only
    table = deviations(scenario, result)
    assert table[["change", "option", "from_year", "to_year", "cost"]].values.tolist() == [
        ["moved", "B", 2027, 2026, pytest.approx(5000.0)]
    ]


def test_moved_two_years_costs_two_module_years_a_module():
    """Adopted: L × 2 from 2028; penalty 200 SEK per place-year, deviation_year_cost 100 SEK, deviation_cost 0.
    As adopted: rent 200 + 40 places unmet in 2026 and 2027, 16 000 = 16 200 SEK. L × 2 from 2026: rent 600 +
    2 years × 2 modules × 100 = 1 000. B from 2026 instead: 3 000 + L dropped (2 module-years) and B added (3)
    = 3 500. L × 2 from 2027: 400 + 8 000 + 200. So L moves 2028 → 2026: 3 000 + 1 000 = 4 000 SEK, 400 of
    them the penalty."""
    adopted = [dict(year=2028, action="lease", option="L", modules=2)]
    scenario = school(adopted=adopted, penalty=200.0, deviation_year_cost=100.0)
    result = solved(scenario)
    assert openings(result) == [("lease", "L", 2026, 2)]
    assert result.objective == pytest.approx(3000.0 + 600.0 + 400.0)
    assert deviation_penalties(scenario, result.actions) == {("option", "L"): pytest.approx(400.0)}
    table = deviations(scenario, result)[["change", "option", "from_year", "to_year", "from_modules", "to_modules"]]
    assert table.values.tolist() == [["moved", "L", 2028, 2026, 2, 2]]
    assert deviations(scenario, result)["cost"].tolist() == [pytest.approx(400.0)]


def test_a_closure_is_priced_by_the_years_it_moves():
    """A second site T (30 places, opex 50 SEK a year, may close). Adopted: T closed from 2027, L × 1 in 2026
    and one more in 2027 (3 000 + 50 + 300 + 200 = 3 550 SEK). Free: T open throughout and L × 1 (3 450), which
    departs twice: T's closure dropped (closed after the horizon, 2029, not 2027: 2 years) and L one module
    short in 2027 and 2028 (2 module-years). deviation_cost 60, deviation_year_cost 10: the free plan costs
    3 450 + 2 × 60 + 4 × 10 = 3 610; T closed from 2028 and the second module in 2028 (3 000 + 100 + 300 + 100
    + 2 × 60 + 2 × 10 = 3 640) is dearer still. So the plan is the adopted one, 3 550 SEK. At deviation_cost
    10 the free plan (3 450 + 20 + 40 = 3 510) is cheaper, and it is the optimum."""
    kw = dict(
        adopted=[
            dict(year=2027, action="close", site="T"),
            dict(year=2026, action="lease", option="L"),
            dict(year=2027, action="lease", option="L"),
        ],
        sites=[Site(site="T", district="A", opex=50.0, may_close=True)],
        caps=[SiteCapacity(site="T", service="pre", capacity=30.0)],
        deviation_year_cost=10.0,
    )
    kept = solved(school(deviation_cost=60.0, **kw))
    assert kept.objective == pytest.approx(3550.0)
    assert ("close", "T", 2027, None) in openings(kept)
    scenario = school(deviation_cost=10.0, **kw)
    free = solved(scenario)
    assert openings(free) == [("lease", "L", 2026, 1)]
    assert free.objective == pytest.approx(3450.0 + 20.0 + 40.0)
    table = deviations(scenario, free)
    assert table[["change", "action", "cost"]].values.tolist() == [
        ["dropped", "close", pytest.approx(30.0)],
        ["dropped", "lease", pytest.approx(30.0)],
    ]


def test_price_where_no_deviation_pays_changes_nothing():
    """The adopted plan is the free optimum (L whole from 2026): priced or ignored, the plan and its cost
    (3 000 + 600 SEK) are the same, and nothing is listed."""
    adopted = [dict(year=2026, action="lease", option="L")]
    ignored = solved(school("ignore", adopted=adopted, lease=WHOLE))
    priced_scenario = school(adopted=adopted, deviation_cost=1000.0, deviation_year_cost=100.0, lease=WHOLE)
    priced = solved(priced_scenario)
    assert openings(priced) == openings(ignored) == [("lease", "L", 2026, 1)]
    assert priced.objective == pytest.approx(ignored.objective) == pytest.approx(3600.0)
    assert len(deviations(priced_scenario, priced)) == 0


def test_only_price_adds_columns():
    """The families and columns exist under price with a price above 0, and under no other setting."""
    for mode, cost, expected in (("price", 1000.0, True), ("price", 0.0, False), ("ignore", 1000.0, False)):
        pm = build_model(build_index(school(mode, adopted=B_2027, deviation_cost=cost)))
        assert hasattr(pm.model, "adopted_deviates") == expected, (mode, cost)
        assert (pm.adopted_price.coefs != {}) == expected
        if expected:  # B one module: deviates is an expression; L up to 3 modules: a binary of its own
            assert list(pm.model.deviates) == ["L"]


def test_the_checker_prices_what_the_plan_departs():
    """The checker recomputes the penalty from the actions alone: the plan of the large-saving case with its
    objective lowered by the 5 000 SEK penalty is flagged."""
    scenario = school(adopted=B_2027, penalty=200.0, deviation_cost=5000.0, lease=WHOLE)
    result = solved(scenario)
    result.objective -= 5000.0
    assert [v.family for v in check_plan(scenario, result).violations] == ["objective"]


def test_solve_writes_the_deviations_with_their_cost(tmp_path):
    folder, out = tmp_path / "school", tmp_path / "out"
    write_scenario(school(adopted=B_2027, penalty=200.0, deviation_cost=5000.0, lease=WHOLE), folder)
    result = run("solve", str(folder), "--out", str(out), "--mip-gap", "0", "--no-excel")
    assert result.exit_code == 0, result.output
    assert "1 deviation(s) from the adopted plan, priced at 5,000 SEK in all" in result.output
    assert "moved build B: year 2027 → 2026, modules 1 → 1, penalty 5,000 SEK" in result.output
    table = pd.read_csv(out / "deviations.csv")
    assert table[["change", "option", "cost"]].values.tolist() == [["moved", "B", pytest.approx(5000.0)]]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["adopted_plan"]["mode"] == "price" and summary["adopted_plan"]["cost"] == pytest.approx(5000.0)
