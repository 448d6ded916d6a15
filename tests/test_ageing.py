"""Cohort ageing of the housing plan's new residents (``settings.housing_ageing: cohort``),
against hand arithmetic; the checker's independent derivation against the model's."""

from __future__ import annotations

import numpy as np
import pytest

import allocopt
from allocopt.age_bands import Band, age_band_problems, parse_band, share_matrix
from allocopt.check.demand import recompute_demand
from allocopt.demand import derive_demand
from allocopt.scenario import Coverage, Housing, HousingType, Option, Population, Scenario, Service
from cases import BUILD, District, tiny

YEARS = range(2026, 2031)


def ageing(scenario: Scenario, how: str = "cohort") -> Scenario:
    """``scenario`` with settings.housing_ageing = ``how``, validated again."""
    settings = {**scenario.settings.model_dump(), "housing_ageing": how}
    return Scenario.model_validate({**scenario.model_dump(), "settings": settings})


def unchecked(scenario: Scenario, how: str = "cohort") -> Scenario:
    """``scenario`` with settings.housing_ageing = ``how``, not validated again (to test the
    band checks themselves on bands validation would refuse)."""
    return scenario.model_copy(update={"settings": scenario.settings.model_copy(update={"housing_ageing": how})})


def places(table, service: str, district: str = "A") -> list[float]:
    """Places of ``service`` in ``district`` for each planning year, in year order."""
    rows = table[(table.district == district) & (table.service == service)].sort_values("year")
    return rows["places"].tolist()


def preschool_and_school(homes: dict[int, float], band: str = "1-5", **extra) -> Scenario:
    """District A, 2026-2030; pre covers '1-5' and school '6-12' at rate 1.0; ``homes`` new homes
    by year of completion, each with 1.0 person of ``band``."""
    return tiny(
        2026,
        2030,
        services=[Service(service="pre"), Service(service="school")],
        coverage=[
            Coverage(service="pre", age_band="1-5", rate=1.0),
            Coverage(service="school", age_band="6-12", rate=1.0),
        ],
        housing=[Housing(district="A", year=y, housing_type="flat", homes=n) for y, n in homes.items()],
        housing_types=[HousingType(housing_type="flat", age_band=band, persons_per_home=1.0)],
        **extra,
    )


def test_one_cohort_ages_from_preschool_into_school():
    """10 homes in 2026, 1.0 person aged 1-5 per home: 10 persons, 2 at each single age 1..5.
    2026 ages 1-5: pre 10, school 0; 2027 ages 2-6: pre 8 (2..5), school 2 (6);
    2028 ages 3-7: 6 and 4; 2029 ages 4-8: 4 and 6; 2030 ages 5-9: 2 and 8."""
    table = derive_demand(ageing(preschool_and_school({2026: 10})))
    assert places(table, "pre") == pytest.approx([10, 8, 6, 4, 2])
    assert places(table, "school") == pytest.approx([0, 2, 4, 6, 8])


def test_cohorts_of_several_years_add_up():
    """10 homes in 2026 as above, and 5 more in 2028 (1 person at each age 1..5) counting from 2028:
    the 2028 cohort gives pre 5, 4, 3 and school 0, 1, 2 in 2028-2030.
    pre 2026-2030: 10, 8, 6 + 5 = 11, 4 + 4 = 8, 2 + 3 = 5; school: 0, 2, 4, 6 + 1 = 7, 8 + 2 = 10."""
    table = derive_demand(ageing(preschool_and_school({2026: 10, 2028: 5})))
    assert places(table, "pre") == pytest.approx([10, 8, 11, 8, 5])
    assert places(table, "school") == pytest.approx([0, 2, 4, 7, 10])


def test_persons_ageing_out_of_every_band_count_for_no_service():
    """10 homes in 2026 with 1.0 person aged 6-12 (10/7 at each age 6…12). School (6-12): 2026 10;
    2027 ages 7-13, six ages in the band: 10·6/7 = 8.571; 2028 10·5/7 = 7.143; 2029 10·4/7 = 5.714;
    2030 10·3/7 = 4.286: the older ones age out into no band; pre always 0."""
    table = derive_demand(ageing(preschool_and_school({2026: 10}, band="6-12")))
    assert places(table, "school") == pytest.approx([10, 60 / 7, 50 / 7, 40 / 7, 30 / 7])
    assert places(table, "pre") == pytest.approx([0, 0, 0, 0, 0])


def test_a_single_year_band_moves_on_whole():
    """10 homes in 2026 with 1.0 person aged '0' (one year, in no service's band): 10 aged 0 in 2026,
    in no band; 10 aged 1 in 2027, all in pre (1-5), and so on to 4 in 2030: pre 0, 10, 10, 10, 10;
    school 0 throughout."""
    table = derive_demand(ageing(preschool_and_school({2026: 10}, band="0")))
    assert places(table, "pre") == pytest.approx([0, 10, 10, 10, 10])
    assert places(table, "school") == pytest.approx([0, 0, 0, 0, 0])


def test_none_keeps_the_cumulative_stock():
    """The same 10 + 5 homes without ageing (the default 'none'): the 1-5 stock is 10 in 2026-2027
    and 15 from 2028; nobody reaches school."""
    sc = preschool_and_school({2026: 10, 2028: 5})
    assert sc.settings.housing_ageing == "none"
    table = derive_demand(sc)
    assert places(table, "pre") == [10.0, 10.0, 15.0, 15.0, 15.0]
    assert places(table, "school") == [0.0] * 5
    assert derive_demand(ageing(sc, "none")).equals(table)


def elderly(**extra) -> Scenario:
    """District A, 2026-2030, service 'elder' covering '80+' at rate 1.0; bands '65-79' and '80+'.
    10 homes in 2026, each with 2.0 persons aged 65-79 and 1.0 aged 80+."""
    return tiny(
        2026,
        2030,
        services=[Service(service="elder")],
        coverage=[Coverage(service="elder", age_band="80+", rate=1.0)],
        population=[Population(district="A", year=2026, age_band="65-79", persons=0.0)],
        housing=[Housing(district="A", year=2026, housing_type="senior", homes=10)],
        housing_types=[
            HousingType(housing_type="senior", age_band="65-79", persons_per_home=2.0),
            HousingType(housing_type="senior", age_band="80+", persons_per_home=1.0),
        ],
        **extra,
    )


def test_an_open_band_holds_everyone_past_its_first_age():
    """20 persons aged 65-79 (4/3 at each of the 15 single ages) and 10 aged 80+ (counted at 80).
    k years on, ages 65+k..79+k: k of the 15 ages are 80 or more, so 20·k/15 join the 10 in 80+,
    who stay there: elder 2026-2030 = 10, 10 + 4/3, 10 + 8/3, 14, 10 + 16/3."""
    table = derive_demand(ageing(elderly()))
    assert places(table, "elder") == pytest.approx([10, 10 + 4 / 3, 10 + 8 / 3, 14, 10 + 16 / 3])


def test_share_matrix_by_hand():
    """Bands 1-5, 6-12, 80+ two years on: of 1-5 (ages 3..7) 3/5 stay, 2/5 reach 6-12; of 6-12
    (ages 8..14) 5/7 stay and 2/7 leave every band; 80+ stays 80+."""
    bands = ["1-5", "6-12", "80+"]
    expected = np.array([[3 / 5, 2 / 5, 0], [0, 5 / 7, 0], [0, 0, 1]])
    assert share_matrix(bands, bands, 2) == pytest.approx(expected)
    assert share_matrix(bands, bands, 0) == pytest.approx(np.eye(3))


def test_band_labels():
    """'a-b', 'a' and 'a+' with whole years 0..150 and a ≤ b; anything else is no band."""
    assert parse_band("1-5") == Band(1, 5)
    assert parse_band("7") == Band(7, 7)
    assert parse_band("80+") == Band(80, None)
    for bad in ["5-1", "1-5+", "-5", "1–5", "1 - 5", "151", "0-151", "adults", "", "80 +"]:
        assert parse_band(bad) is None, bad


def test_age_band_problems_name_unparsable_and_overlapping_bands():
    """Under cohort, 'adults' (housing_types row 1) is unparsable and '1-3' (population row 0)
    overlaps '1-5' (coverage row 0); '6-12' is fine. Under 'none' nothing is reported."""
    sc = tiny(
        2026,
        2028,
        coverage=[Coverage(service="pre", age_band="1-5", rate=1.0)],
        population=[Population(district="A", year=2026, age_band="1-3", persons=1.0)],
        housing_types=[
            HousingType(housing_type="flat", age_band="6-12", persons_per_home=1.0),
            HousingType(housing_type="flat", age_band="adults", persons_per_home=1.0),
        ],
    )
    assert age_band_problems(sc) == []
    problems = age_band_problems(unchecked(sc))
    assert [(t, i, c) for t, i, c, _ in problems] == [
        ("population", 0, "age_band"),
        ("housing_types", 1, "age_band"),
    ]
    assert "'1-3' overlaps age band '1-5'" in problems[0][3]
    assert "'adults' is not written 'a-b', 'a' or 'a+'" in problems[1][3]


def two_districts() -> Scenario:
    """Two districts, a forecast, three bands (one open), two housing types and homes in several
    years, one row after the horizon (ignored)."""
    return tiny(
        2026,
        2030,
        districts=[District(district="A", x_km=0, y_km=0), District(district="B", x_km=1, y_km=0)],
        services=[Service(service="pre"), Service(service="school"), Service(service="elder")],
        coverage=[
            Coverage(service="pre", age_band="1-5", rate=0.87),
            Coverage(service="school", age_band="6-12", rate=0.73),
            Coverage(service="elder", age_band="80+", rate=0.2),
        ],
        population=[
            Population(district="A", year=2026, age_band="1-5", persons=200),
            Population(district="B", year=2029, age_band="6-12", persons=50),
            Population(district="B", year=2027, age_band="0", persons=9),
        ],
        housing=[
            Housing(district="A", year=2026, housing_type="flat", homes=100),
            Housing(district="A", year=2028, housing_type="house", homes=12),
            Housing(district="B", year=2027, housing_type="flat", homes=40),
            Housing(district="B", year=2030, housing_type="house", homes=3),
            Housing(district="B", year=2031, housing_type="house", homes=99),
        ],
        housing_types=[
            HousingType(housing_type="flat", age_band="0", persons_per_home=0.1),
            HousingType(housing_type="flat", age_band="1-5", persons_per_home=0.3),
            HousingType(housing_type="flat", age_band="78-79", persons_per_home=0.4),
            HousingType(housing_type="house", age_band="6-12", persons_per_home=0.9),
            HousingType(housing_type="house", age_band="80+", persons_per_home=0.05),
        ],
    )


@pytest.mark.parametrize("how", ["none", "cohort"])
@pytest.mark.parametrize("case", [two_districts, lambda: preschool_and_school({2026: 10, 2028: 5}), elderly])
def test_the_checker_derives_the_same_demand(case, how):
    """The checker's own derivation (single ages, pandas) agrees with the model's (share matrices)."""
    sc = ageing(case(), how)
    mine = derive_demand(sc).set_index(["district", "service", "year"])["places"]
    theirs = recompute_demand(sc).reindex(mine.index)
    assert theirs.to_numpy() == pytest.approx(mine.to_numpy(), abs=1e-9)


def test_the_checker_sees_cohorts_age():
    """Spot values of the checker in two_districts under cohort. A's flats of 2026: 100 homes ×
    0.3 aged 1-5 = 30 (6 per age 1..5), × 0.1 aged 0 = 10; in 2027 the 10 are 1 and the 30 are 2..6:
    pre in A 2027 = 0.87 · (10 + 24) = 29.58; school 0.73 · 6 = 4.38. In 2028 the 40 aged 0 and 1-5
    are 2 (10) and 3..7 (6 each): 1-5 = 10 + 18 = 28, 6-12 = 12; houses of 2028 add 12 × 0.9 = 10.8
    aged 6-12: school 0.73 · 22.8 = 16.644. Flats' 40 aged 78-79 reach 80+ 20 in 2027 and all 40
    from 2028, plus houses' 12 × 0.05 = 0.6 aged 80+ from 2028: elder 2028 = 0.2 · 40.6 = 8.12."""
    dem = recompute_demand(ageing(two_districts()))
    assert dem["A", "pre", 2027] == pytest.approx(0.87 * 34)
    assert dem["A", "school", 2027] == pytest.approx(0.73 * 6)
    assert dem["A", "pre", 2028] == pytest.approx(0.87 * 28)
    assert dem["A", "school", 2028] == pytest.approx(0.73 * 22.8)
    assert dem["A", "elder", 2027] == pytest.approx(0.2 * 20)
    assert dem["A", "elder", 2028] == pytest.approx(0.2 * 40.6)


def test_solve_plans_for_the_aged_cohort_and_the_checker_agrees():
    """pre only (1-5 at rate 1.0), 10 homes in 2026 with 1.0 person aged 1-5: demand 10, 8, 6, 4, 2
    in 2026-2030 (those aged 6 and more are in no band). One build of 100 places meets it."""
    sc = ageing(
        tiny(
            2026,
            2030,
            coverage=[Coverage(service="pre", age_band="1-5", rate=1.0)],
            housing=[Housing(district="A", year=2026, housing_type="flat", homes=10)],
            housing_types=[HousingType(housing_type="flat", age_band="1-5", persons_per_home=1.0)],
            options=[Option(option="B", **BUILD)],
        )
    )
    result = allocopt.solve(sc, mip_gap=0.0)
    assert result.status == "optimal"
    balance = result.balance.sort_values("year")
    assert balance["demand"].tolist() == pytest.approx([10, 8, 6, 4, 2])
    assert balance["unmet"].tolist() == pytest.approx([0] * 5)
    assert allocopt.check(sc, result) == []
