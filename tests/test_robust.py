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
from cases import flat, tiny

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
    """The default scenario with three variants (base ½, demand +10 % ¼, housing two years late ¼):
    the robust plan is found and every variant's plan passes the checker under its own variant."""
    from allocopt import default_scenario_path
    from allocopt.load import load_scenario

    base = load_scenario(Path(str(default_scenario_path())))
    scen = base.model_copy(
        update={
            "forecasts": [
                Forecast(forecast="base", probability=0.5),
                Forecast(forecast="high", probability=0.25, demand_scale=1.1),
                Forecast(forecast="late_housing", probability=0.25, housing_delay=2),
            ]
        }
    )
    res = robust(scen, time_limit=120, threads=2, figures=False)
    assert res.status in ("optimal", "time_limit"), res.message
    assert (res.variants["violations"] == 0).all()
