"""Forecast variants and the robust plan (allocopt.forecasts, allocopt.robust, allocopt robust)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from allocopt.check import check_plan
from allocopt.cli import cli
from allocopt.forecasts import mean_scenario, variant_scenarios
from allocopt.load import write_scenario
from allocopt.robust import robust
from allocopt.scenario import Forecast, Option, Site, SiteCapacity
from allocopt.validate import ScenarioError
from cases import flat, pavilion, tiny

YEARS = range(2026, 2029)


def wait_or_build(forecasts=None, **kw):
    """One district A, service 'pre', 2026-2028, no discounting, no residual value, unmet forbidden.

    Demand 100 places every year; forecast ``high`` (probability ½) has 140 in 2027 and 2028
    (demand_scale 1.4 on those years), ``low`` (½) keeps 100. An existing site S holds 100 places.
    Options: build B (40 places, capex 50, lead time 1, latest opening 2027: decided in 2026 or
    never) or pavilion P (40 places, no set-up cost, rent 30 a year, term 2, lead time 0: opened
    in 2027 when needed, 60 for 2027-2028). Decisions of 2026 are committed (``commit_until`` 2026).

    - WS: high builds (50 < 60), low does nothing (0): WS = ½·50 + ½·0 = 25.
    - RP: build now, 50 in both, expected 50; or wait: low 0, high the pavilion 60, expected 30.
      RP = 30 (wait).
    - EV: the mean demand is 120 in 2027-2028, 20 places short: build (50) beats the pavilion (60),
      decided in 2026 and so committed. EEV = 50 (both variants carry the building).
    - VSS = EEV − RP = 50 − 30 = 20; EVPI = RP − WS = 30 − 25 = 5.
    """
    if forecasts is None:
        forecasts = [
            Forecast(forecast="low", probability=0.5),
            Forecast(forecast="high", probability=0.5, year=2027, demand_scale=1.4),
            Forecast(forecast="high", year=2028, demand_scale=1.4),
        ]
    return tiny(
        2026,
        2028,
        residual="none",
        demand=flat(100, YEARS),
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
        options=[
            Option(
                option="B",
                kind="build",
                district="A",
                service="pre",
                capacity=40.0,
                capex=50.0,
                lead_time=1,
                latest_year=2027,
            ),
            Option(option="P", kind="pavilion", district="A", service="pre", capacity=40.0, rent=30.0, term=2),
        ],
        forecasts=forecasts,
        **kw,
    )


def test_variant_scenarios_make_demand_explicit():
    variants = variant_scenarios(wait_or_build())
    assert [(n, p) for n, p, _s in variants] == [("low", 0.5), ("high", 0.5)]
    high = {(d.year): d.places for d in variants[1][2].demand}
    assert high == {2026: 100.0, 2027: pytest.approx(140.0), 2028: pytest.approx(140.0)}
    mean = {d.year: d.places for d in mean_scenario(wait_or_build()).demand}
    assert mean == {2026: 100.0, 2027: pytest.approx(120.0), 2028: pytest.approx(120.0)}
    assert variant_scenarios(wait_or_build(forecasts=[]))[0][0] == "base"


def test_robust_hand_worked():
    """RP 30, EEV 50, WS 25, VSS 20, EVPI 5 (see :func:`wait_or_build`), proven (gap 0)."""
    scen = wait_or_build()
    res = robust(scen, commit_until=2026, mip_gap=0.0, time_limit=60)
    assert res.status == "optimal", res.message
    assert res.expected_cost == pytest.approx(30.0)
    for name, value in {"RP": 30.0, "EV": 50.0, "EEV": 50.0, "WS": 25.0, "VSS": 20.0, "EVPI": 5.0}.items():
        assert res.figure(name) == pytest.approx(value), name
    assert res.committed.empty  # nothing is decided in 2026: wait
    costs = dict(zip(res.variants["forecast"], res.variants["cost"], strict=True))
    assert costs == {"low": pytest.approx(0.0), "high": pytest.approx(60.0)}
    own = dict(zip(res.variants["forecast"], res.variants["own_optimum"], strict=True))
    assert own == {"low": pytest.approx(0.0), "high": pytest.approx(50.0)}
    assert list(res.plans["high"].actions["option"]) == ["P"]
    for name, _p, variant in variant_scenarios(scen):
        assert check_plan(variant, res.plans[name]).violations == []
    assert (res.variants["unmet_place_years"] == 0).all()


def test_robust_commits_the_build_when_it_must_be_decided_later():
    """With everything decided by 2027 committed, the high demand can no longer be waited for:
    the pavilion of 2027 is committed too. Build (50) against the pavilion (60) in both: RP = 50."""
    res = robust(wait_or_build(), commit_until=2027, mip_gap=0.0, time_limit=60)
    assert res.status == "optimal", res.message
    assert res.expected_cost == pytest.approx(50.0)
    assert list(res.committed["option"]) == ["B"]
    assert res.figure("VSS") == pytest.approx(0.0)
    assert res.figure("EVPI") == pytest.approx(25.0)


def test_a_cvar_weight_builds_against_the_worst_variant():
    """CVaR at level ½ is the cost of the worse half of probability: the high variant. Waiting costs
    low 0, high 60 (expected 30, CVaR 60); building now costs 50 in both (expected and CVaR 50).
    Weight λ: wait (1 − λ)·30 + λ·60 = 30 + 30λ against build 50, so wait while λ < ⅔.

    - λ = 0.5: wait, 45. WS (low 0, high 50): 0.5·25 + 0.5·50 = 37.5; EVPI = 7.5; EEV (the EV plan
      builds): 50, VSS = 5.
    - λ = 0.8: build, 50. WS: 0.2·25 + 0.8·50 = 45; EVPI = 5; EEV = 50, VSS = 0."""
    from allocopt.robust import Risk, cvar

    assert cvar([0.0, 60.0], [0.5, 0.5], 0.5) == pytest.approx(60.0)
    assert cvar([0.0, 60.0], [0.5, 0.5], 0.0) == pytest.approx(30.0)
    for weight, rp, committed, ws, vss, evpi in ((0.5, 45.0, [], 37.5, 5.0, 7.5), (0.8, 50.0, ["B"], 45.0, 0.0, 5.0)):
        res = robust(wait_or_build(), commit_until=2026, mip_gap=0.0, time_limit=60, risk=Risk(weight, 0.5))
        assert res.status == "optimal", res.message
        assert res.expected_cost == pytest.approx(rp)
        assert list(res.committed["option"]) == committed
        for name, value in {"RP": rp, "WS": ws, "EEV": 50.0, "VSS": vss, "EVPI": evpi}.items():
            assert res.figure(name) == pytest.approx(value), (weight, name)
    with pytest.raises(ValueError, match="CVaR level"):
        Risk(0.5, 1.0)


def test_an_extension_is_committed_by_the_year_before_it():
    """Pavilion P (100 places 2026-2029, term 2, extension rent 60: P in 2026, extended in 2028 and
    2029, 320 SEK): an extension in year y is decided in y − 1, in the shared plan's decisions
    (commit_same) and in its committed actions alike."""
    from allocopt.robust import committed, decision_year, extensive_form

    sc = pavilion(60.0)
    pm = extensive_form([("base", 1.0, sc)], None).plans[0]
    assert decision_year(pm, "extend", ("P", 2028)) == 2027
    assert ("extend", ("P", 2028)) in committed(pm, 2027) and ("extend", ("P", 2029)) not in committed(pm, 2027)
    res = robust(sc, 2027, mip_gap=0.0, figures=False)
    assert res.expected_cost == pytest.approx(320.0)
    assert [(r.year, r.action) for r in res.committed.itertuples()] == [(2026, "pavilion"), (2028, "extend")]


def test_without_forecasts_rp_is_the_optimum():
    from allocopt.pipeline import solve

    scen = wait_or_build(forecasts=[])
    res = robust(scen, mip_gap=0.0, time_limit=60)
    plain = solve(scen, mip_gap=0.0, time_limit=60, threads=1, first_plan=False)
    assert res.status == "optimal"
    assert res.expected_cost == pytest.approx(plain.objective)
    assert res.figure("VSS") == 0.0
    assert res.figure("EVPI") == 0.0


def test_probabilities_must_sum_to_one():
    with pytest.raises(ScenarioError) as exc:
        wait_or_build(forecasts=[Forecast(forecast="low", probability=0.5), Forecast(forecast="high", probability=0.4)])
    assert "sum to 0.9" in str(exc.value)
    assert "forecasts.csv" in str(exc.value) and "'probability'" in str(exc.value)


def test_forecast_rows_checked():
    with pytest.raises(ScenarioError) as exc:
        wait_or_build(
            forecasts=[
                Forecast(forecast="low", probability=0.5, district="X"),
                Forecast(forecast="high", probability=0.5, year=2040, service="pre", housing_delay=1),
                Forecast(forecast="high", probability=0.4),
                Forecast(forecast="none"),
            ]
        )
    text = str(exc.value)
    assert "row 2, column 'district': unknown district 'X'" in text
    assert "row 3, column 'year'" in text and "outside the horizon" in text
    assert "row 3, column 'service'" in text  # a delay with a service
    assert "row 4, column 'probability'" in text  # not the same as on row 3
    assert "row 5, column 'probability': forecast 'none' has no probability" in text


def test_housing_delay_shifts_homes():
    from allocopt.forecasts import variant_demand
    from allocopt.scenario import Coverage, Housing, HousingType

    scen = tiny(
        2026,
        2028,
        demand=None,
        coverage=[Coverage(service="pre", age_band="1-5", rate=1.0)],
        housing=[Housing(district="A", year=2026, housing_type="flat", homes=10)],
        housing_types=[HousingType(housing_type="flat", age_band="1-5", persons_per_home=1.0)],
    )
    rows = [Forecast(forecast="late", probability=1.0, housing_delay=1)]
    got = {d.year: d.places for d in variant_demand(scen, rows)}
    assert got == {2027: 10.0, 2028: 10.0}


def test_a_variant_with_its_own_population_and_housing():
    """Base: 50 children in A every year plus 10 homes of 1 child each in 2026 (60 places a year). Variant
    ``census`` has its own population (80 a year) and keeps the base housing (90 places); ``plan_b`` keeps
    the base population and has its own housing plan (20 homes in 2027: 50, 70, 70). The base
    demand ignores both variants' rows."""
    from allocopt.demand import derive_demand
    from allocopt.scenario import Coverage, Housing, HousingType, Population

    years = range(2026, 2029)
    scen = tiny(
        2026,
        2028,
        demand=None,
        coverage=[Coverage(service="pre", age_band="1-5", rate=1.0)],
        population=[Population(district="A", year=y, age_band="1-5", persons=50) for y in years]
        + [Population(district="A", year=y, age_band="1-5", persons=80, forecast="census") for y in years],
        housing=[
            Housing(district="A", year=2026, housing_type="flat", homes=10),
            Housing(district="A", year=2027, housing_type="flat", homes=20, forecast="plan_b"),
        ],
        housing_types=[HousingType(housing_type="flat", age_band="1-5", persons_per_home=1.0)],
        forecasts=[
            Forecast(forecast="base", probability=0.5),
            Forecast(forecast="census", probability=0.25),
            Forecast(forecast="plan_b", probability=0.25),
        ],
    )
    assert derive_demand(scen)["places"].tolist() == [60.0] * 3
    demand = {n: [d.places for d in v.demand] for n, _p, v in variant_scenarios(scen)}
    assert demand == {"base": [60.0] * 3, "census": [90.0] * 3, "plan_b": [50.0, 70.0, 70.0]}


def test_a_variant_own_population_must_be_complete_and_named():
    from allocopt.scenario import Coverage, Population

    def scenario(own_years, name="census"):
        return tiny(
            2026,
            2027,
            demand=None,
            coverage=[Coverage(service="pre", age_band="1-5", rate=1.0)],
            population=[Population(district="A", year=y, age_band="1-5", persons=50) for y in (2026, 2027)]
            + [Population(district="A", year=y, age_band="1-5", persons=80, forecast=name) for y in own_years],
            forecasts=[Forecast(forecast="base", probability=0.5), Forecast(forecast="census", probability=0.5)],
        )

    with pytest.raises(ScenarioError) as exc:
        scenario([2026])
    text = str(exc.value)
    assert "row 4, column 'forecast': forecast 'census' has its own population rows but none for district 'A', " in text
    assert "year 2027, age band '1-5'" in text
    with pytest.raises(ScenarioError) as exc:
        scenario([2026, 2027], name="cenus")
    assert "row 4, column 'forecast': unknown forecast 'cenus' (expected one of the forecasts: base, census)" in str(
        exc.value
    )


def test_cli_robust_and_bad_probabilities(tmp_path):
    folder = tmp_path / "scen"
    write_scenario(wait_or_build(), folder)
    out = tmp_path / "out"
    runner = CliRunner()
    done = runner.invoke(cli, ["robust", str(folder), "--commit-until", "2026", "--mip-gap", "0", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "VSS" in done.output and (out / "figures.csv").is_file() and (out / "high" / "actions.csv").is_file()
    text = (folder / "forecasts.csv").read_text().replace("0.5,", "0.6,", 1)
    (folder / "forecasts.csv").write_text(text)
    bad = runner.invoke(cli, ["robust", str(folder)])
    assert bad.exit_code == 2, bad.output
    assert "forecasts.csv" in bad.output and "probability" in bad.output


def test_regret_hand_worked():
    """Own plans (commit 2026): low does nothing, high builds B in 2026 (50 < 60). Low's plan when high
    comes true adapts with the pavilion, 60 (regret 10); high's plan when low comes true still pays the
    building, 50 (regret 50); each under itself its own optimum (0 and 50)."""
    from allocopt.regret import regret

    res = regret(wait_or_build(), commit_until=2026, mip_gap=0.0, time_limit=60)
    assert res.own == {"low": pytest.approx(0.0), "high": pytest.approx(50.0)}
    cost = res.wide("cost")
    assert cost.loc["low", "low"] == pytest.approx(0.0) and cost.loc["low", "high"] == pytest.approx(60.0)
    assert cost.loc["high", "low"] == pytest.approx(50.0) and cost.loc["high", "high"] == pytest.approx(50.0)
    assert res.wide("regret").loc["low", "high"] == pytest.approx(10.0)
    assert (res.table["unmet_place_years"] == 0).all()


def test_cli_regret(tmp_path):
    folder = tmp_path / "scen"
    write_scenario(wait_or_build(), folder)
    done = CliRunner().invoke(cli, ["regret", str(folder), "--commit-until", "2026", "--mip-gap", "0"])
    assert done.exit_code == 0, done.output
    assert "regret" in done.output and "cost (SEK)" in done.output and "60.00" in done.output


@pytest.mark.slow
def test_default_scenario_three_variants():
    """The default scenario's own forecasts (base ½, vintage_2021 ⅕, late_housing ³⁄₁₀): the robust
    plan is found and every variant's plan passes the checker under its own variant."""
    from allocopt import default_scenario_path
    from allocopt.load import load_scenario

    scen = load_scenario(Path(str(default_scenario_path())))
    assert [(n, p) for n, p, _s in variant_scenarios(scen)] == [
        ("base", 0.5),
        ("vintage_2021", 0.2),
        ("late_housing", 0.3),
    ]
    res = robust(scen, time_limit=120, figures=False)
    assert res.status in ("optimal", "time_limit"), res.message
    assert (res.variants["violations"] == 0).all()
