"""Step 8 of the first plan (allocopt.heuristics.neighbourhood): a search around the best plan so far,
where the decisions on which the plan and the LP relaxation agree stay fixed. Hand-worked on
big_or_pavilions, and the way relax and fix hands over to it when its windows lose their pace."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import allocopt.heuristics.first_plan as fp
from allocopt.heuristics.completion import Completion, quiet_copy
from allocopt.heuristics.neighbourhood import search_neighbourhood
from allocopt.heuristics.relax_fix import Deadline, windows_left
from allocopt.heuristics.settings import FirstPlanSettings
from test_first_plan import assert_feasible, big_or_pavilions, handed, run_first_plan

SETTINGS = FirstPlanSettings()


def plan_of(pm, lp, column, modules: dict[str, int]):
    """The whole plan (column values, objective in SEK) opening ``modules[option]`` in 2026."""
    cum = {name: np.full(len(pm.index.options[name].years), float(n)) for name, n in modules.items()}
    site_open = fp._site_open(pm, np.zeros(lp.num_col_), column, cum)
    return (
        Completion(lp, 1, lp_only=True, time_limit=SETTINGS.lp_seconds)
        .solve(fp._fixed_values(pm, cum, site_open, column))
        .plan
    )


def lp_relaxation(lp) -> np.ndarray:
    relaxed = quiet_copy(lp, 1, SETTINGS.lp_seconds, relax=True)
    relaxed.run()
    return np.asarray(relaxed.getSolution().col_value)


def search(pm, lp, column, plan):
    deadline = Deadline(time.perf_counter() + 60.0, threading.Event())
    rounding = fp._Rounding(pm, column, Completion(lp, 1, lp_only=True, time_limit=SETTINGS.lp_seconds), SETTINGS)
    return search_neighbourhood(
        lp, lp_relaxation(lp), plan, lambda x: rounding.best(x, deadline, (0.5,)), 1, deadline, settings=SETTINGS
    )


def opened(pm, column, x) -> dict[str, float]:
    """Modules of each option opened by the last year."""
    return {name: float(cum[-1]) for name, cum in fp._cumulative(pm, x, column).items()}


def test_the_search_frees_the_decisions_where_plan_and_lp_disagree():
    """big_or_pavilions (2026-2028): the LP relaxation opens 3.33 pavilions in 2026 and no build.
    A plan with the build and 4 pavilions, all in 2026 (1000 + 4 × 90 × 3 = 2080 SEK), disagrees
    with it on the build in 2026 and the pavilions in 2026; every later opening agrees (none).
    The neighbourhood: build or not, 0-5 pavilions, in 2026. Its best: the build alone, 1000 SEK,
    which is also the optimum. The next round's neighbourhood is the same, so the search ends."""
    pm, _solver, lp, column = handed(big_or_pavilions())
    plan = plan_of(pm, lp, column, {"big": 1, "pav": 4})
    assert plan[1] == pytest.approx(2080.0 * pm.money_scale)
    x, objective = search(pm, lp, column, plan)
    assert objective == pytest.approx(1000.0 * pm.money_scale)
    assert opened(pm, column, x) == pytest.approx({"big": 1.0, "pav": 0.0})
    assert_feasible(lp, x)


def test_the_search_keeps_what_plan_and_lp_agree_on():
    """The rounded plan of big_or_pavilions, 4 pavilions in 2026 (1080 SEK), agrees with the LP
    relaxation on the build (none): the search may not build, and 4 pavilions are the least that
    cover 100 places, so the plan stays as it is (the build, 1000 SEK, lies outside)."""
    pm, _solver, lp, column = handed(big_or_pavilions())
    plan = plan_of(pm, lp, column, {"pav": 4})
    x, objective = search(pm, lp, column, plan)
    assert objective == pytest.approx(1080.0 * pm.money_scale)
    assert opened(pm, column, x) == pytest.approx({"big": 0.0, "pav": 4.0})


def test_windows_that_lose_their_pace_hand_the_time_to_the_search(monkeypatch):
    """With no time for any window (``window_pace`` ~ 0), relax and fix is not complete and has no
    plan; the search then starts from the rounded plan (1080 SEK, as above) and keeps it."""
    calls = []
    real_rf, real_search = fp.relax_and_fix, fp.search_neighbourhood

    def windows(*args, **kwargs):
        calls.append(("relax_and_fix", real_rf(*args, **kwargs)))
        return calls[-1][1]

    def searched(lp, guide, plan, *args, **kwargs):
        calls.append(("search", plan[1]))
        return real_search(lp, guide, plan, *args, **kwargs)

    monkeypatch.setattr(fp, "relax_and_fix", windows)
    monkeypatch.setattr(fp, "search_neighbourhood", searched)
    x, objective, lp = run_first_plan(big_or_pavilions(), settings=FirstPlanSettings(window_pace=1e-9))
    assert [name for name, _ in calls] == ["relax_and_fix", "search"]
    assert calls[0][1] == (None, False)
    assert objective == pytest.approx(1080.0)
    assert_feasible(lp, x)


def test_complete_windows_skip_the_search(monkeypatch):
    """Relax and fix that runs its last window is the first plan's last step (big_or_pavilions:
    the build, 1000 SEK, as test_first_plan works out)."""
    monkeypatch.setattr(fp, "search_neighbourhood", lambda *a, **k: pytest.fail("searched"))
    x, objective, lp = run_first_plan(big_or_pavilions())
    assert objective == pytest.approx(1000.0)


def test_windows_left_counts_the_last_window_once():
    """15 decision years with a 5-year tail: 11 windows (2026 ... 2035, then 2036-2040); 4 years:
    the first window and the last."""
    assert [windows_left(i, 15, 5) for i in (0, 1, 9, 10)] == [11, 10, 2, 1]
    assert [windows_left(i, 4, 5) for i in (0, 1)] == [2, 1]
