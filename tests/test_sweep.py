"""``allocopt sweep``: points from a sweep file, solved on a real Dask ``LocalCluster`` (two
single-threaded worker processes), saved as they finish, resumed, retried when a worker dies.

The scenario (:func:`capped`) is build_or_lease with a capex cap of 1 000 SEK in every year:
100 places 2026-2030, a build (capex 1 000, opex 10 a year, lifetime 10, no lead time: its capex
paid in the opening year) or a lease (rent 150 a year). At r = 0 the build costs 1 000 + 5 · 10 −
500 residual = 550 and the lease 5 · 150 = 750; with the caps × 0.5 (500 a year) the build no
longer fits and the lease is the plan: 750.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import distributed
import pandas as pd
import pytest

import allocopt
from allocopt.demand import derive_demand
from allocopt.interrupt import StopRequest
from allocopt.load import write_scenario
from allocopt.sweep import COLUMNS, sweep
from allocopt.sweep_points import (
    ID_LIMIT,
    Grid,
    Overrides,
    SweepError,
    SweepSpec,
    check_frames,
    point_id,
    point_scenario,
    read_spec,
)
from cases import Budget, Lock, build_or_lease, run

YEARS = range(2026, 2031)


def capped(cap: float = 1000.0, **kw):
    return build_or_lease(budget=[Budget(year=y, capex_cap=cap) for y in YEARS], **kw)


def write_sweep(folder: Path, text: str, scenario=None) -> Path:
    """The scenario (default :func:`capped`) in ``folder/scenario`` and the sweep file ``folder/sweep.yaml``."""
    write_scenario(scenario or capped(), folder / "scenario")
    path = folder / "sweep.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GRID = "base: scenario\ngrid:\n  capex_scale: [0.5, 1]\n  discount_rate: [0, 0.03]\ntime_limit: 20\n"


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes, as the sweep's own local cluster has."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


# ---------------------------------------------------------------- points (no cluster)


def test_grid_order_and_point_ids():
    """The grid's points in field order (the first override slowest), whatever order the file
    gives; ids from the overrides alone, safe as folder names, hashed when long."""
    spec = SweepSpec.model_validate({"grid": {"discount_rate": [0, 0.03], "capex_scale": [1.1, 0.9]}})
    ids = [point_id(p) for p in spec.overrides()]
    assert ids == [
        "capex_scale=1.1,discount_rate=0",
        "capex_scale=1.1,discount_rate=0.03",
        "capex_scale=0.9,discount_rate=0",
        "capex_scale=0.9,discount_rate=0.03",
    ]
    assert list(Grid.model_fields) == list(Overrides.model_fields)
    assert point_id(Overrides()) == "base"
    assert point_id(Overrides(locks=False, demand_scale=2.0)) == "demand_scale=2,locks=off"
    long_a = Overrides(capex_scale=1 / 3, opex_scale=1 / 7, discount_rate=0.0123456789, demand_scale=1 / 9)
    long_b = Overrides(capex_scale=1 / 3, opex_scale=1 / 7, discount_rate=0.0123456789, demand_scale=1 / 11)
    assert len(point_id(long_a)) == ID_LIMIT and point_id(long_a) != point_id(long_b)
    with pytest.raises(ValueError, match="the same point"):
        SweepSpec.model_validate({"points": [{"capex_scale": 1}, {"capex_scale": 1.0}]}).overrides()


def test_overrides_change_what_they_say():
    """Each override changes its own figures and nothing else."""
    base = capped(rate=0.02, locks=[Lock(target="option", id="B", rule="forbid")])
    s = point_scenario(
        base, Overrides(capex_scale=2, discount_rate=0.04, demand_scale=1.5, cost_inflation=1.1, locks=False)
    )
    assert [b.capex_cap for b in s.budget] == [2000.0] * 5
    assert s.settings.discount_rate == 0.04
    assert derive_demand(s)["places"].tolist() == [150.0] * 5
    b = next(o for o in s.options if o.option == "B")
    lease = next(o for o in s.options if o.option == "L")
    assert (b.capex, b.opex, lease.rent) == (pytest.approx(1100.0), pytest.approx(11.0), pytest.approx(165.0))
    assert s.locks == []
    assert point_scenario(base, Overrides(locks=True)).locks == base.locks
    assert point_scenario(base, Overrides()) == base


def test_forecast_override_plans_for_the_variant():
    """``forecast`` takes the variant's demand (here 100 places × 1.5), before ``demand_scale``
    (× 2: 300); the id names it first; a variant the base lacks is a SweepError naming both."""
    from allocopt.scenario import Forecast

    base = capped(
        forecasts=[
            Forecast(forecast="low", probability=0.5, demand_scale=0.5),
            Forecast(forecast="high", probability=0.5, demand_scale=1.5),
        ]
    )
    assert [d.places for d in point_scenario(base, Overrides(forecast="high")).demand] == [150.0] * 5
    both = point_scenario(base, Overrides(forecast="high", demand_scale=2, capex_scale=0.5))
    assert [d.places for d in both.demand] == [300.0] * 5 and [b.capex_cap for b in both.budget] == [500.0] * 5
    assert point_id(Overrides(capex_scale=1.1, forecast="high")) == "forecast=high,capex_scale=1.1"
    check_frames(base, [Overrides(forecast="low")])
    with pytest.raises(SweepError, match="point 1: forecast: no forecast variant 'mid'; the base has low, high"):
        check_frames(base, [Overrides(forecast="low"), Overrides(forecast="mid")])
    with pytest.raises(SweepError, match="no forecasts table"):
        check_frames(capped(), [Overrides(forecast="low")])


# ---------------------------------------------------------------- bad input (no cluster)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("grid:\n  capex_scale: [1]\n  colour: [2]\n", ["grid.colour", "Extra inputs"]),
        ("grid:\n  capex_scale: [-1]\n", ["grid.capex_scale", "greater than or equal to 0"]),
        ("points:\n  - discount_rate: 0.9\n", ["points.0.discount_rate"]),
        ("grid:\n  capex_scale: []\n", ["grid.capex_scale", "at least one value"]),
        ("grid: {capex_scale: [1]}\npoints: [{capex_scale: 1}]\n", ["either grid or points"]),
        ("time_limit: 0\npoints: [{capex_scale: 1}]\n", ["time_limit"]),
        ("grid: [1, 2\n", ["not valid YAML"]),
        ("- 1\n", ["expected a mapping"]),
    ],
)
def test_bad_sweep_file_names_file_and_key(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SweepError) as caught:
        read_spec(path)
    for word in [str(path), *words]:
        assert word in str(caught.value)


def test_bad_sweep_exits_2(tmp_path):
    """A bad file, a missing base scenario and a frame the base lacks: exit 2, no cluster started."""
    bad = write_sweep(tmp_path, "grid:\n  capex_scale: [1]\n  colour: [2]\n")
    result = run("sweep", str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "grid.colour" in result.output
    (tmp_path / "missing.yaml").write_text("base: nowhere\npoints: [{capex_scale: 1}]\n", encoding="utf-8")
    assert run("sweep", str(tmp_path / "missing.yaml")).exit_code == 2
    no_opex = write_sweep(tmp_path, "base: scenario\npoints: [{opex_scale: 1.1}]\n")
    result = run("sweep", str(no_opex), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2 and "opex_scale" in result.output and "opex_cap" in result.output
    assert run("sweep", "nowhere.yaml").exit_code == 2


# ---------------------------------------------------------------- on the cluster


def test_points_equal_solving_one_by_one(tmp_path, client):
    """Each point's plan is the one allocopt.solve finds for the point's scenario; the hand-worked
    objectives (module docstring) at r = 0."""
    path = write_sweep(tmp_path, GRID)
    table = sweep(path, tmp_path / "out", client=client)
    assert list(table.columns) == [
        c for c in COLUMNS if c not in ("forecast", "opex_scale", "demand_scale", "cost_inflation", "locks")
    ]
    assert (table["status"] == "optimal").all()
    on_disk = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert on_disk["point"].tolist() == table["point"].tolist()
    for spec in read_spec(path).overrides():
        row = table.set_index("point").loc[point_id(spec)]
        alone = allocopt.solve(point_scenario(capped(), spec), threads=1, time_limit=20)
        assert row["objective"] == pytest.approx(alone.objective, rel=1e-9)
        saved = pd.read_csv(tmp_path / "out" / "points" / point_id(spec) / "actions.csv")
        assert saved["option"].tolist() == alone.actions["option"].tolist()
    at_zero = table[table["discount_rate"] == 0].set_index("capex_scale")["objective"]
    assert at_zero.to_dict() == {0.5: pytest.approx(750.0), 1.0: pytest.approx(550.0)}


def test_stopped_sweep_resumes_and_rerun_skips(tmp_path, client):
    """Stopped after two points: those two are saved, the others pending. Run again, only the
    others are solved; a third run solves nothing; a deleted point folder is solved again."""
    path = write_sweep(tmp_path, GRID)
    out = tmp_path / "out"
    stop = StopRequest()

    def stop_after_two(done, total, row):
        if done == 2:
            stop.set()

    first = sweep(path, out, client=client, progress=stop_after_two, stop=stop)
    finished = first.loc[first["status"] == "optimal", "point"].tolist()
    assert len(finished) == 2 and (first["status"] == "pending").sum() == 2
    before = {p: (out / "points" / p / "summary.json").read_bytes() for p in finished}

    solved = []
    second = sweep(path, out, client=client, progress=lambda d, n, r: solved.append(r["point"]))
    assert (second["status"] == "optimal").all()
    assert {p: (out / "points" / p / "summary.json").read_bytes() for p in finished} == before
    assert len(os.listdir(out / "points")) == 4

    gone = second["point"].iloc[0]
    for f in (out / "points" / gone).iterdir():
        f.unlink()
    (out / "points" / gone).rmdir()
    third = sweep(path, out, client=client, time_limit=20)
    assert (third["status"] == "optimal").all() and (out / "points" / gone / "summary.json").exists()
    summary = json.loads((out / "points" / gone / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["sweep"]["point"] == gone

    other_limit = sweep(path, out, client=client, time_limit=30)  # other settings: every point again
    assert (other_limit["status"] == "optimal").all()
    again = json.loads((out / "points" / gone / "summary.json").read_text(encoding="utf-8"))
    assert again["settings"]["time_limit"] == 30


def test_raising_point_is_an_error_row(tmp_path, client):
    """A point whose scenario is out of range (caps × 1000 above the largest SEK figure) gets
    status error with the reason; the other point is solved."""
    path = write_sweep(
        tmp_path, "base: scenario\npoints:\n  - {capex_scale: 1}\n  - {capex_scale: 1000}\n", capped(cap=1e11)
    )
    table = sweep(path, tmp_path / "out", client=client, retries=0).set_index("point")
    assert table.loc["capex_scale=1", "status"] == "optimal"
    assert table.loc["capex_scale=1000", "status"] == "error"
    assert "budget.0.capex_cap: Input should be less than or equal to" in table.loc["capex_scale=1000", "message"]
    assert not (tmp_path / "out" / "points" / "capex_scale=1000").exists()


def test_killed_worker_point_is_run_again(tmp_path, client):
    """The first sweep task to start kills its worker process; the nanny starts a new worker,
    Dask runs the task again, and every point is solved."""
    marker = tmp_path / "killed"

    class KillFirst(distributed.WorkerPlugin):
        name = "allocopt-test-kill-first"

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and str(key).startswith("allocopt-sweep-") and not marker.exists():
                marker.write_text(str(key), encoding="utf-8")
                os._exit(1)

    client.register_plugin(KillFirst())
    try:
        table = sweep(write_sweep(tmp_path, GRID), tmp_path / "out", client=client)
    finally:
        client.unregister_worker_plugin(KillFirst.name)
    assert marker.exists()
    assert (table["status"] == "optimal").all()


def test_cli_end_to_end(tmp_path):
    """allocopt sweep with its own local cluster of two workers."""
    path = write_sweep(tmp_path, "base: scenario\npoints:\n  - {capex_scale: 0.5}\n  - {locks: off}\n")
    result = run("sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert "2 optimal" in result.output
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert table["point"].tolist() == ["capex_scale=0.5", "locks=off"]
    assert table["objective"].tolist() == pytest.approx([750.0, 550.0])
