"""``allocopt.sweep``: many variants of one scenario, solved in parallel on Dask distributed.

:func:`sweep` solves every point of a sweep (:mod:`allocopt.sweep_points`: the base scenario with
a few overrides) as one Dask task each, with one thread per solve: by default on a ``LocalCluster``
of one single-threaded worker process per core, or on any Dask cluster the caller's ``client`` (or
``scheduler`` address) reaches. The base scenario goes to the workers once; each worker builds its
point's scenario and solves it. In the calling process, each result is saved as it arrives:

- ``<out>/points/<point id>/``: the point's result files (:meth:`allocopt.Result.save`, which
  replaces a folder in one step), whatever its status except ``interrupted``; its summary.json's
  ``settings.sweep`` records the point's overrides and the base scenario's fingerprint;
- ``<out>/sweep.csv``: the sweep table (:data:`COLUMNS`), one row per point in the sweep's order,
  rewritten in one step after every point.

A sweep run again into the same folder skips every point whose folder holds a finished result
(any status but ``interrupted``) for the same overrides, base scenario, time limit and gap: a sweep
that was stopped resumes where it stopped. A task lost with its worker (a crash, a killed process,
a batch job's walltime) is run again on another worker by Dask (a point that takes its worker down
more often than Dask's ``distributed.scheduler.allowed-failures``, 3, is given up: ``KilledWorker``);
a point whose solve raises is retried ``retries`` times. Either way a point that fails gets status
``error`` in the table (with the reason as its message) and the others go on.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from allocopt.interrupt import StopRequest
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT
from allocopt.sweep_points import (
    OVERRIDES,
    Overrides,
    SweepSpec,
    base_path,
    check_frames,
    fingerprint,
    point_id,
    point_scenario,
    read_spec,
)

if TYPE_CHECKING:
    from distributed import Client

    from allocopt.result import Result
    from allocopt.scenario import Scenario

FIGURES = ["status", "objective", "bound", "gap", "unmet_place_years", "capex_total", "npv_real_money", "seconds"]
COLUMNS = ["point", *OVERRIDES, *FIGURES, "message"]
"""Columns of the sweep table (sweep.csv): ``point`` (the point's id and folder name), each override
(blank where the point keeps the base scenario's value; :class:`allocopt.sweep_points.Overrides`),
``status`` (a :data:`allocopt.result.Status`, ``error`` when the solve raised, ``pending`` when not
yet solved), ``objective`` and ``bound`` (discounted total cost, SEK), ``gap`` (relative),
``unmet_place_years`` (places × years), ``capex_total`` (SEK, undiscounted), ``npv_real_money``
(SEK: the objective less the discounted unmet-demand penalty), ``seconds`` (the point's wall time
on its worker: the sum of its phases in summary.json's ``timings``, its scenario, index, build,
solve, results, check and write, the parts of the solve in :data:`SOLVE_PARTS` counted once),
``message``. The table holds the columns of the overrides the sweep sets, in this order."""

SOLVE_PARTS = ("hand_off", "first_plan", "highs")
"""Phases of ``Result.timings`` counted within its ``solve`` (left out of a point's seconds)."""

POINTS_FOLDER = "points"
TABLE_FILE = "sweep.csv"
UNFINISHED = ("interrupted",)
"""Statuses of a saved point that a new run solves again."""

DEFAULT_RETRIES = 1
"""How often a point whose solve raised is run again before it counts as ``error``."""

Progress = Callable[[int, int, dict[str, Any]], None]
"""``progress(done, total, row)``: after each point (solved, failed or skipped as finished)."""


def sweep(
    spec: SweepSpec | str | os.PathLike,
    out: str | os.PathLike,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    retries: int = DEFAULT_RETRIES,
    excel: bool = False,
    progress: Progress | None = None,
    stop: StopRequest | None = None,
) -> pd.DataFrame:
    """Solve every point of ``spec`` (a :class:`SweepSpec`, or the path of a sweep file) and save
    each into ``out`` (see the module's docstring); returns the sweep table (:data:`COLUMNS`).

    ``client``: a connected ``distributed.Client`` to run on (left open); else ``scheduler``, the
    address of a running scheduler (``tcp://host:8786``); else a ``LocalCluster`` of ``workers``
    single-threaded worker processes (default: one per core), started and closed here.
    ``time_limit`` (seconds per point) and ``mip_gap`` override the sweep file's, whose own default
    is :func:`allocopt.solve`'s. ``retries``: runs again of a point whose solve raised; ``excel``:
    also write each point's result.xlsx. ``stop``: set it (from ``progress``, another thread or a
    signal handler) to end the sweep after the point under way; unsolved points stay ``pending``.
    Raises :class:`allocopt.sweep_points.SweepError` for a bad sweep file or points the base
    scenario cannot take (a frame to scale that it lacks); the base scenario's own problems raise
    as :func:`allocopt.load_scenario` raises them (:class:`allocopt.ScenarioError`, FileNotFoundError).

    Without ``client`` or ``scheduler``, the local cluster's workers are new Python processes
    (spawned): a script that calls this must do so under ``if __name__ == "__main__":``.
    """
    spec_file = None if isinstance(spec, SweepSpec) else Path(spec)
    if spec_file is not None:
        spec = read_spec(spec_file)
    points = spec.overrides()
    settings = {
        "time_limit": _first(time_limit, spec.time_limit, DEFAULT_TIME_LIMIT),
        "mip_gap": _first(mip_gap, spec.mip_gap, DEFAULT_MIP_GAP),
    }
    base = _load_base(base_path(spec, spec_file))
    check_frames(base, points, str(spec_file) if spec_file is not None else "sweep")
    out = Path(out)
    (out / POINTS_FOLDER).mkdir(parents=True, exist_ok=True)
    ids = [point_id(p) for p in points]
    record = {"base": fingerprint(base), **settings}
    rows = {
        name: _row(name, p, finished_summary(out / POINTS_FOLDER / name, p, record)) for name, p in zip(ids, points)
    }
    todo = [(name, p) for name, p in zip(ids, points) if rows[name]["status"] == "pending"]
    table = _write_table(out, ids, rows)
    done, total = len(ids) - len(todo), len(ids)
    if progress is not None:
        for name in ids:
            if rows[name]["status"] != "pending":
                progress(done, total, rows[name])
    if not todo:
        return table
    stop = stop or StopRequest()
    with _connected(client, scheduler, workers) as dask:
        from distributed import as_completed

        shared = dask.scatter(base, broadcast=True, hash=False)  # a key of its own: never another sweep's
        point_of: dict[str, tuple[str, Overrides]] = {}  # task key -> its point
        waiting = set()
        for name, p in todo:
            future = dask.submit(
                solve_point,
                shared,
                p,
                settings,
                {**record, "point": name, "overrides": p.given()},
                key=f"allocopt-sweep-{name}-{uuid.uuid4().hex[:8]}",
                pure=False,
                retries=retries,
            )
            point_of[future.key] = (name, p)
            waiting.add(future)
        for future in as_completed(list(waiting)):
            waiting.discard(future)  # no reference kept: the cluster frees the result once saved
            name, p = point_of.pop(future.key)
            rows[name] = _row(name, p, _saved(future, out / POINTS_FOLDER / name, excel))
            table = _write_table(out, ids, rows)
            done += 1
            if progress is not None:
                progress(done, total, rows[name])
            if stop.is_set():
                for f in waiting:
                    f.cancel()
                break
    return table


def solve_point(base: Scenario, overrides: Overrides, settings: dict[str, float], record: dict) -> Result:
    """One point on a worker: its scenario (timed as ``scenario``) and :func:`allocopt.solve` with one
    thread; ``record`` goes into the result's ``settings.sweep``."""
    from allocopt.pipeline import solve

    at = time.perf_counter()
    scenario = point_scenario(base, overrides)
    built = time.perf_counter() - at
    result = solve(scenario, threads=1, **settings)
    result.timings = {"scenario": built, **result.timings}
    result.settings = {**result.settings, "sweep": record}
    return result


def finished_summary(folder: Path, overrides: Overrides, record: dict) -> dict | None:
    """The summary.json in ``folder`` when it holds a finished result (status not in
    :data:`UNFINISHED`) of ``overrides`` solved with ``record`` (base fingerprint, time limit, gap);
    None otherwise."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    saved = summary.get("settings", {}).get("sweep", {})
    same = saved.get("overrides") == overrides.given() and all(saved.get(k) == v for k, v in record.items())
    return summary if same and summary.get("status") not in UNFINISHED else None


# ---------------------------------------------------------------- in the calling process


def _first(*values: float | None) -> float:
    """The first of ``values`` that is given, as a float."""
    return float(next(v for v in values if v is not None))


def _load_base(path: Path | None) -> Scenario:
    from allocopt import default_scenario_path
    from allocopt.load import load_scenario

    return load_scenario(path if path is not None else Path(str(default_scenario_path())))


class _connected:
    """The caller's client as it is, or a new one (to ``scheduler``, or to a LocalCluster of
    ``workers`` single-threaded processes) closed on leaving."""

    def __init__(self, client: Client | None, scheduler: str | None, workers: int | None):
        self.client, self.scheduler, self.workers = client, scheduler, workers
        self.owned: list = []

    def __enter__(self) -> Client:
        from distributed import Client, LocalCluster

        if self.client is not None:
            return self.client
        if self.scheduler is not None:
            self.client = Client(self.scheduler)
        else:
            cluster = LocalCluster(
                n_workers=self.workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # no dashboard wanted; a free port for its HTTP server
                silence_logs=logging.CRITICAL,  # a point that fails says why in the table
            )
            self.owned.append(cluster)
            self.client = Client(cluster)
        self.owned.insert(0, self.client)
        return self.client

    def __exit__(self, *exc) -> None:
        for thing in self.owned:
            thing.close()


def _saved(future, folder: Path, excel: bool) -> dict:
    """The finished point's summary: its result saved into ``folder`` (unless interrupted), or an
    ``error`` summary when its task raised (or was lost with its workers too often)."""
    try:
        result = future.result()
    except Exception as exc:  # the solve raised, or Dask gave the task up (KilledWorker)
        return {"status": "error", "message": " ".join(f"{type(exc).__name__}: {exc}".split())}
    summary = result.summary()
    if result.status not in UNFINISHED:
        try:
            result.save(folder, excel=excel)
        except OSError as exc:  # a folder holding other files, a full disk: this point only
            return {**summary, "status": "error", "message": f"not saved: {' '.join(str(exc).split())}"}
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))  # with the write time
    return summary


def _row(name: str, overrides: Overrides, summary: dict | None) -> dict[str, Any]:
    """One row of the sweep table; ``pending`` without a summary."""
    row: dict[str, Any] = {"point": name, **overrides.model_dump()}
    if summary is None:
        return {**row, "status": "pending"}
    timings = summary.get("timings") or {}
    return {
        **row,
        **{k: summary.get(k) for k in FIGURES if k != "seconds"},
        "seconds": round(sum(v for k, v in timings.items() if k not in SOLVE_PARTS), 3) if timings else None,
        "message": summary.get("message", ""),
    }


def _write_table(out: Path, ids: list[str], rows: dict[str, dict]) -> pd.DataFrame:
    """The sweep table, in the points' order, written to ``out/sweep.csv`` in one step."""
    used = [o for o in OVERRIDES if any(rows[i][o] is not None for i in ids)]
    table = pd.DataFrame([rows[i] for i in ids]).reindex(columns=["point", *used, *FIGURES, "message"])
    path = out / TABLE_FILE
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:16]}.tmp")
    try:
        table.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return table
