"""Money reaches HiGHS scaled by what is paid, so a huge unmet penalty leaves the small costs in play.

A penalty of 1e10 SEK per place ("almost forbidden") once set the scale, and travel at 1 SEK per
place-km fell below HiGHS's tolerances: plans came back "optimal, gap 0" at the wrong cost. Where
no demand need be left unmet, the penalty's size must not change the optimum at all.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import allocopt
from allocopt.model.build import MAX_COEFFICIENT
from allocopt.scenario import Demand, District, Option, Scenario, Service, Settings, Site, SiteCapacity
from allocopt.validate import ScenarioError
from cases import run

ORLIB = Path(__file__).resolve().parents[2] / "shared" / "orlib"
PENALTIES = (1e6, 1e8, 1e10, 1e12)


def with_penalty(scenario: Scenario, penalty) -> Scenario:
    """``scenario`` with ``settings.unmet_penalty`` replaced."""
    settings = scenario.settings.model_copy(update={"unmet_penalty": penalty})
    return scenario.model_copy(update={"settings": settings})


def two_districts(capex_b: float, penalty=1e10) -> Scenario:
    """A at 0 km, B at 3 km; 10 places demanded in B in 2026 and 2027; travel 1 SEK per place-km
    and year; no discounting, no residual value, capex paid at opening.

    Build in A (capex 50) and serve B from there: 50 + 10 places × 3 km × 2 years = 110 SEK.
    Build in B (capex ``capex_b``): ``capex_b`` SEK. The optimum is the cheaper of the two."""
    return Scenario(
        settings=Settings(
            name="two",
            first_year=2026,
            last_year=2027,
            discount_rate=0.0,
            residual_value="none",
            capex_timing="opening",
            unmet_penalty=penalty,
        ),
        districts=[District(district="A", x_km=0.0, y_km=0.0), District(district="B", x_km=3.0, y_km=0.0)],
        services=[Service(service="pre", max_km=5.0, travel_cost=1.0)],
        demand=[Demand(district="B", service="pre", year=y, places=10.0) for y in (2026, 2027)],
        options=[
            Option(option="BA", kind="build", district="A", service="pre", capacity=10.0, capex=50.0),
            Option(option="BB", kind="build", district="B", service="pre", capacity=10.0, capex=capex_b),
        ],
    )


@pytest.mark.parametrize(("capex_b", "built", "cost"), [(70.0, "BB", 70.0), (115.0, "BA", 110.0)])
def test_travel_decides_the_build_beside_a_penalty_of_1e10(capex_b, built, cost):
    result = allocopt.solve(two_districts(capex_b), mip_gap=0.0)
    assert result.status == "optimal", result.message
    assert result.objective == pytest.approx(cost, rel=1e-9)
    assert result.actions["option"].tolist() == [built]


def test_unmet_places_beside_a_huge_penalty_are_still_served_at_least_travel():
    """B (3, 0) wants 10 places; site SA in A (3 km) holds 6, site SC in C (5 km) holds 6; travel
    1 SEK per place-km. Serving 6 from SA and 4 from SC costs 18 + 20 = 38 SEK; the other split,
    4 + 6, costs 42. The penalty (1e10 or 1e12) is never paid."""
    for penalty in (1e10, 1e12):
        sc = Scenario(
            settings=Settings(name="split", first_year=2026, last_year=2026, discount_rate=0.0, unmet_penalty=penalty),
            districts=[
                District(district="A", x_km=0.0, y_km=0.0),
                District(district="B", x_km=3.0, y_km=0.0),
                District(district="C", x_km=3.0, y_km=5.0),
            ],
            services=[Service(service="pre", max_km=5.0, travel_cost=1.0)],
            demand=[Demand(district="B", service="pre", year=2026, places=10.0)],
            sites=[Site(site="SA", district="A"), Site(site="SC", district="C")],
            site_capacities=[
                SiteCapacity(site="SA", service="pre", capacity=6.0),
                SiteCapacity(site="SC", service="pre", capacity=6.0),
            ],
        )
        result = allocopt.solve(sc, mip_gap=0.0)
        assert result.status == "optimal"
        assert result.objective == pytest.approx(38.0, rel=1e-9)
        places = result.assignments.set_index("site")["places"]
        assert places["SA"] == pytest.approx(6.0) and places["SC"] == pytest.approx(4.0)


def random_districts(seed: int, n: int = 8) -> Scenario:
    """``n`` districts on a 20 × 20 km square, demand 5-40 places each in 2026-2028, one build
    option per district (capex 20-120 SEK, 30-60 places), travel 1 SEK per place-km; every
    district reaches every other (max 40 km), so no demand need be left unmet."""
    rng = random.Random(seed)
    districts = [District(district=f"d{i}", x_km=rng.uniform(0, 20), y_km=rng.uniform(0, 20)) for i in range(n)]
    years = range(2026, 2029)
    return Scenario(
        settings=Settings(name=f"random-{seed}", first_year=2026, last_year=2028, discount_rate=0.025),
        districts=districts,
        services=[Service(service="pre", max_km=40.0, travel_cost=1.0)],
        demand=[
            Demand(district=d.district, service="pre", year=y, places=float(rng.randint(5, 40)))
            for d in districts
            for y in years
        ],
        options=[
            Option(
                option=f"b{i}",
                kind="build",
                district=d.district,
                service="pre",
                capacity=float(rng.randint(30, 60)),
                capex=float(rng.randint(20, 120)),
            )
            for i, d in enumerate(districts)
        ],
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_penalty_does_not_move_an_optimum_that_serves_everyone(seed):
    """Unmet demand forbidden, and allowed at 1e6 ... 1e12 SEK per place: one optimum (gap 0)."""
    base = random_districts(seed)
    forbidden = allocopt.solve(base, mip_gap=0.0)
    assert forbidden.status == "optimal"
    for penalty in PENALTIES:
        result = allocopt.solve(with_penalty(base, penalty), mip_gap=0.0)
        assert result.status == "optimal", (penalty, result.message)
        assert result.objective == pytest.approx(forbidden.objective, rel=1e-6, abs=0.0), penalty
        assert result.balance["unmet"].sum() == pytest.approx(0.0, abs=1e-6)


ORLIB_SMALL = sorted((p.stem for p in ORLIB.glob("cap*.txt") if p.stem[3:].isdigit()), key=lambda s: int(s[3:]))
ORLIB_QUICK = ("cap41", "cap64", "cap71", "cap94", "cap104", "cap114", "cap124", "cap134")
"""One instance of each size and capacity class in the default run; the other 29 with -m slow."""


@pytest.mark.skipif(not (ORLIB / "optima.json").is_file(), reason=f"OR-Library files not found in {ORLIB}")
@pytest.mark.parametrize(
    "name", [n if n in ORLIB_QUICK else pytest.param(n, marks=pytest.mark.slow) for n in ORLIB_SMALL]
)
def test_published_optimum_whatever_the_penalty(name):
    """Every capNN optimum to 1e-6 with the penalty at 1e6, 1e8, 1e10 and 1e12 SEK per place
    (the instances serve every customer, so the penalty is never paid)."""
    from allocopt.importers import read_orlib

    published = json.loads((ORLIB / "optima.json").read_text())[name]
    scenario = read_orlib(ORLIB / f"{name}.txt")
    for penalty in PENALTIES:
        result = allocopt.solve(with_penalty(scenario, penalty), mip_gap=0.0, threads=1)
        assert result.status == "optimal", (penalty, result.message)
        assert result.objective == pytest.approx(published, rel=1e-6, abs=0.0), penalty


def test_a_penalty_beyond_what_the_solver_can_use_is_bad_input(tmp_path):
    """A single-assignment service pays its penalty on a district's whole demand: 1e13 SEK per place
    times 1e6 places is 1e19 in the objective, beyond MAX_COEFFICIENT; refused as bad input (exit 2)."""
    sc = Scenario(
        settings=Settings(name="huge", first_year=2026, last_year=2026, unmet_penalty=1e13),
        districts=[District(district="A", x_km=0.0, y_km=0.0)],
        services=[Service(service="pre", max_km=5.0, assignment="single")],
        demand=[Demand(district="A", service="pre", year=2026, places=1e6)],
        options=[Option(option="B", kind="build", district="A", service="pre", capacity=2e6, capex=10.0)],
    )
    assert 1e13 * 1e6 > MAX_COEFFICIENT
    with pytest.raises(ScenarioError, match="unmet penalty of service 'pre'"):
        allocopt.solve(sc)
    from allocopt.load import write_scenario

    write_scenario(sc, tmp_path / "huge")
    res = run("solve", str(tmp_path / "huge"), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2, res.output
    assert "unmet_penalty" in res.output and not (tmp_path / "out").exists()
