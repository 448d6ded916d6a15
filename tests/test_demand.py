"""Demand derivation from population forecasts and housing plans, against hand arithmetic."""

from __future__ import annotations

import pytest

from allocopt.demand import derive_demand
from allocopt.scenario import Coverage, Housing, HousingType, Population, Service
from cases import District, flat, tiny


def _places(table, district, service, year):
    row = table[(table.district == district) & (table.service == service) & (table.year == year)]
    assert len(row) == 1
    return float(row["places"].iloc[0])


def scenario_with_population(**extra):
    return tiny(
        2026,
        2028,
        districts=[District(district="A", x_km=0, y_km=0), District(district="B", x_km=1, y_km=0)],
        services=[Service(service="pre"), Service(service="school")],
        coverage=[
            Coverage(service="pre", age_band="1-5", rate=0.87),
            Coverage(service="school", age_band="6-12", rate=0.73),
        ],
        population=[
            Population(district="A", year=2026, age_band="1-5", persons=200),
            Population(district="A", year=2027, age_band="1-5", persons=220),
            Population(district="A", year=2026, age_band="6-12", persons=300),
            Population(district="B", year=2028, age_band="1-5", persons=100),
        ],
        **extra,
    )


def test_demand_from_population_forecast():
    """pre = 0.87 × persons aged 1-5; school = 0.73 × persons aged 6-12; missing rows are 0."""
    table = derive_demand(scenario_with_population())
    assert _places(table, "A", "pre", 2026) == pytest.approx(0.87 * 200)  # 174
    assert _places(table, "A", "pre", 2027) == pytest.approx(0.87 * 220)  # 191.4
    assert _places(table, "A", "pre", 2028) == 0.0
    assert _places(table, "A", "school", 2026) == pytest.approx(0.73 * 300)  # 219
    assert _places(table, "B", "pre", 2028) == pytest.approx(87.0)
    assert len(table) == 2 * 2 * 3  # every district × service × year


def test_housing_plan_adds_cumulative_residents():
    """A gets 100 apartments in 2026 and 50 in 2027 (0.3 children 1-5 and 0.2 aged 6-12 per home)
    and 10 houses in 2027 (0.8 and 0.9 per home). Residents of homes completed count from then on:
    extra 1-5 in A: 2026 30; 2027 30 + 15 + 8 = 53; 2028 53 (no new homes).
    pre in A: 2026 0.87·(200 + 30) = 200.1; 2027 0.87·(220 + 53) = 237.51; 2028 0.87·53 = 46.11.
    school in A: 2026 0.73·(300 + 20) = 233.6; 2027 0.73·(20 + 10 + 9) = 28.47."""
    sc = scenario_with_population(
        housing=[
            Housing(district="A", year=2026, housing_type="apartment", homes=100),
            Housing(district="A", year=2027, housing_type="apartment", homes=50),
            Housing(district="A", year=2027, housing_type="house", homes=10),
        ],
        housing_types=[
            HousingType(housing_type="apartment", age_band="1-5", persons_per_home=0.3),
            HousingType(housing_type="apartment", age_band="6-12", persons_per_home=0.2),
            HousingType(housing_type="house", age_band="1-5", persons_per_home=0.8),
            HousingType(housing_type="house", age_band="6-12", persons_per_home=0.9),
        ],
    )
    table = derive_demand(sc)
    assert _places(table, "A", "pre", 2026) == pytest.approx(200.1)
    assert _places(table, "A", "pre", 2027) == pytest.approx(237.51)
    assert _places(table, "A", "pre", 2028) == pytest.approx(46.11)
    assert _places(table, "A", "school", 2026) == pytest.approx(233.6)
    assert _places(table, "A", "school", 2027) == pytest.approx(28.47)
    assert _places(table, "B", "pre", 2028) == pytest.approx(87.0)


def test_direct_demand_table():
    table = derive_demand(tiny(demand=flat(42.5, (2026, 2028))))
    assert _places(table, "A", "pre", 2026) == 42.5
    assert _places(table, "A", "pre", 2027) == 0.0
    assert _places(table, "A", "pre", 2028) == 42.5
