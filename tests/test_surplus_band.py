"""The surplus band (``surplus_floor``, ``surplus_ceiling``): hand-worked cases, priced apart from real money."""

from __future__ import annotations

import pytest

import allocopt
from allocopt.headline import key_figures
from allocopt.index import build_index
from allocopt.model.build import build_model
from allocopt.scenario import Option, Service, Site, SiteCapacity
from cases import tiny

BAND = dict(surplus_min=0.05, surplus_max=0.15, surplus_cost=10.0)


def one_school(demand: dict[int, float], band=BAND, options=()) -> object:
    """District A with site S of 100 places (always open, no costs), r = 0, no residual value; ``band``
    on service 'pre'."""
    return tiny(
        2026,
        2028,
        residual="none",
        services=[Service(service="pre", max_km=10.0, **band)],
        demand={("A", "pre", y): p for y, p in demand.items()},
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
        options=list(options),
    )


def solved(scenario):
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal", result.message
    assert allocopt.check(scenario, result) == []
    return result


def test_the_band_classes_and_their_cost():
    """100 places; demand 100, 80, 90 in 2026-2028; band 5-15 % of demand at 10 SEK per place-year.
    2026: spare 0, floor 5: 5 short, under capacity, 50 SEK. 2027: spare 20, ceiling 12: 8 beyond,
    surplus, 80 SEK. 2028: spare 10 within 4.5-13.5: within band, 0. Objective 130, all of it the band's:
    real money 0, unmet penalty 0."""
    sc = one_school({2026: 100.0, 2027: 80.0, 2028: 90.0})
    r = solved(sc)
    assert r.objective == pytest.approx(130.0, abs=1e-6)
    band = r.surplus_band.set_index("year")
    assert list(band["class"]) == ["under capacity", "surplus", "within band"]
    assert list(band["spare"]) == pytest.approx([0.0, 20.0, 10.0])
    assert list(band["floor"]) == pytest.approx([5.0, 4.0, 4.5])
    assert list(band["ceiling"]) == pytest.approx([15.0, 12.0, 13.5])
    assert list(band["under"]) == pytest.approx([5.0, 0.0, 0.0])
    assert list(band["over"]) == pytest.approx([0.0, 8.0, 0.0])
    assert list(band["cost"]) == pytest.approx([50.0, 80.0, 0.0])
    assert list(r.costs["penalty"]) == pytest.approx([50.0, 80.0, 0.0])
    figures = key_figures(r)
    assert figures.band_npv == pytest.approx(130.0)
    assert figures.penalty_npv == pytest.approx(0.0, abs=1e-9)
    assert figures.npv_real_money == pytest.approx(0.0, abs=1e-9)
    assert r.summary()["surplus_band_npv"] == pytest.approx(130.0)


def test_the_floor_makes_a_module_worth_building():
    """Demand 100 every year; module M adds 10 places for 100 SEK capex (3 modules at most). Without a
    module, 5 places short of the floor each year: 3 · 5 · 10 = 150. One module in 2026: spare 10,
    within 5-15, 100 SEK. Two: 200 capex and 5 beyond the ceiling. Opening in 2027 instead:
    100 + 50 = 150. The optimum: one module in 2026, 100 SEK. Without the band nothing is built (0)."""
    module = Option(option="M", kind="build", district="A", service="pre", capacity=10.0, capex=100.0, max_modules=3)
    r = solved(one_school(dict.fromkeys(range(2026, 2029), 100.0), options=[module]))
    assert [(int(a.year), a.option, int(a.modules)) for a in r.actions.itertuples()] == [(2026, "M", 1)]
    assert r.objective == pytest.approx(100.0, abs=1e-6)
    assert set(r.surplus_band["class"]) == {"within band"}
    free = solved(one_school(dict.fromkeys(range(2026, 2029), 100.0), band={}, options=[module]))
    assert len(free.actions) == 0 and free.objective == pytest.approx(0.0, abs=1e-9)
    assert len(free.surplus_band) == 0


def test_a_service_without_a_band_has_no_rows_and_a_floor_alone_no_ceiling():
    """No band: no slack and no rows. A floor alone (5 %, 10 SEK): surplus_floor rows, no ceiling; the
    2027 spare of 20 is within band (no ceiling), cost 50 for 2026 only."""
    plain = build_model(build_index(one_school({2026: 100.0}, band={})))
    assert not hasattr(plain.model, "surplus_floor") and not hasattr(plain.model, "surplus_ceiling")
    floor_only = one_school({2026: 100.0, 2027: 80.0, 2028: 90.0}, band=dict(surplus_min=0.05, surplus_cost=10.0))
    pm = build_model(build_index(floor_only))
    assert len(pm.model.surplus_floor) == 3 and not hasattr(pm.model, "surplus_ceiling")
    r = solved(floor_only)
    assert r.objective == pytest.approx(50.0, abs=1e-6)
    assert list(r.surplus_band["class"]) == ["under capacity", "within band", "within band"]
    assert r.surplus_band["ceiling"].isna().all()


def test_the_checker_recomputes_the_slacks_and_their_cost():
    """A table that understates the 2026 shortfall (2 for 5) is a surplus_floor violation of 3 places;
    a costs table without the band's 50 SEK in 2026 is a costs_table violation."""
    sc = one_school({2026: 100.0, 2027: 80.0, 2028: 90.0})
    r = solved(sc)
    r.surplus_band.loc[r.surplus_band["year"] == 2026, "under"] = 2.0
    found = allocopt.check(sc, r)
    assert [(v.family, v.amount) for v in found] == [("surplus_floor", pytest.approx(3.0))]
    r = solved(sc)
    r.costs.loc[r.costs["year"] == 2026, "penalty"] = 0.0
    assert {v.family for v in allocopt.check(sc, r)} == {"costs_table"}


def test_an_evaluated_plan_pays_its_band():
    """The plan without the module, evaluated: 150 SEK of band cost (5 short in each of three years)."""
    module = Option(option="M", kind="build", district="A", service="pre", capacity=10.0, capex=100.0, max_modules=3)
    sc = one_school(dict.fromkeys(range(2026, 2029), 100.0), options=[module])
    empty = allocopt.solve(sc, mip_gap=0.0).actions.iloc[0:0]
    r = allocopt.evaluate(sc, empty)
    assert r.status == "evaluated" and r.violations == []
    assert r.objective == pytest.approx(150.0, abs=1e-6)


def test_validation_of_the_band():
    """A band needs its cost; the floor may not be above the ceiling."""
    with pytest.raises(ValueError, match="needs surplus_cost"):
        Service(service="pre", surplus_min=0.05)
    with pytest.raises(ValueError, match="above surplus_max"):
        Service(service="pre", surplus_min=0.2, surplus_max=0.1, surplus_cost=1.0)


def test_the_report_colours_the_classes_as_traffic_lights():
    """The chart of the first case: one row (A), years 2026-2028 coloured under capacity (red), surplus
    (amber), within band (green); the Swedish words on the colour bar."""
    from allocopt.board.charts import BAND_COLOURS, surplus_band_chart

    r = solved(one_school({2026: 100.0, 2027: 80.0, 2028: 90.0}))
    fig = surplus_band_chart(r, "sv")
    (heat,) = fig.data
    colours = [heat.colorscale[2 * int(code)][1] for code in heat.z[0]]  # two stops per class
    assert colours == [BAND_COLOURS["under capacity"], BAND_COLOURS["surplus"], BAND_COLOURS["within band"]]
    assert list(heat.colorbar.ticktext) == ["underkapacitet", "inom intervallet", "överskott"]
    assert surplus_band_chart(solved(one_school({2026: 100.0}, band={})), "en") is None


def test_the_plan_report_shows_the_band():
    """The plan's HTML report has the band's section and chart when a service has a band, and none without."""
    from allocopt.board.plan import plan_report

    html = plan_report(solved(one_school({2026: 100.0, 2027: 80.0, 2028: 90.0})), "en")
    assert '<section id="surplus-band">' in html and "chart-surplus-band" in html
    assert 'id="surplus-band"' not in plan_report(solved(one_school({2026: 100.0}, band={})), "en")
