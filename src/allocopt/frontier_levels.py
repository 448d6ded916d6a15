"""The budget frontier's figures: one row per level (:data:`LEVEL_COLUMNS`), what the MSEK
between neighbouring levels buys, and the frontier as a chart (a PNG where matplotlib is installed,
a terminal sparkline otherwise). :mod:`allocopt.frontier` solves the levels."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from allocopt.headline import key_figures

if TYPE_CHECKING:
    from allocopt.frontier import Frontier
    from allocopt.result import Result

MSEK = 1e6

LEVEL_COLUMNS = [
    "level",
    "frame_total",
    "status",
    "objective",
    "bound",
    "gap",
    "unmet_place_years",
    "capex_total",
    "npv_real",
    "actions_changed",
    "d_npv_per_msek",
    "d_npv_per_msek_low",
    "d_npv_per_msek_high",
    "d_unmet_per_msek",
    "seconds",
    "message",
]
"""Columns of :attr:`Frontier.levels` (and frontier.csv), in the order given by the caller:
``level`` (factor or MSEK per year), ``frame_total`` (SEK: the frame over the horizon, each year
the tightest of the frame's columns), ``objective``/``bound`` (SEK), ``gap`` (relative),
``unmet_place_years``, ``capex_total`` (SEK, undiscounted), ``npv_real`` (objective less the
discounted unmet-demand penalty: the money the plan costs), ``actions_changed`` (action rows in
this level's plan and not in the previous level's, or the other way round), and per MSEK of
``frame_total`` from the previous (tighter) level: ``d_npv_per_msek`` (SEK of objective; negative:
the level saves), its interval ``_low``/``_high`` from the two levels' bounds and objectives where
either is not proven, ``d_unmet_per_msek`` (place-years). ``seconds``: the level's solve."""


def _figures(result: Result) -> dict[str, float | None]:
    """A level's unmet place-years, capex and real NPV (the objective less the discounted
    unmet-demand penalty, :func:`allocopt.headline.key_figures`); None without a plan."""
    if not result.has_plan:
        return {"unmet_place_years": None, "capex_total": None, "npv_real": None}
    figures = key_figures(result)
    return {
        "unmet_place_years": figures.unmet_place_years,
        "capex_total": figures.capex_total,
        "npv_real": None if result.objective is None else result.objective - (figures.penalty_npv or 0.0),
    }


def _action_rows(result: Result) -> set[tuple]:
    if not result.has_plan or result.actions.empty:
        return set()
    return set(result.actions.astype(str).itertuples(index=False, name=None))


def levels_table(
    values: list[float], totals: list[float], results: list[Result], seconds: list[float], order: list[int]
) -> pd.DataFrame:
    """:data:`LEVEL_COLUMNS`, one row per level in the order given; the differences between each
    level and the next tighter one (by ``order``)."""
    rows: dict[int, dict] = {}
    previous: int | None = None
    for i in order:
        r = results[i]
        row = {
            "level": values[i],
            "frame_total": totals[i],
            "status": r.status,
            "objective": r.objective,
            "bound": r.bound,
            "gap": r.gap,
            **_figures(r),
            "seconds": seconds[i],
            "message": r.message,
        }
        if previous is not None:
            p = rows[previous]
            row["actions_changed"] = len(_action_rows(r) ^ _action_rows(results[previous])) if r.has_plan else None
            row.update(_per_msek(p, row))
        else:
            row["actions_changed"] = len(_action_rows(r)) if r.has_plan else None
        rows[i] = row
        previous = i
    table = pd.DataFrame([rows[i] for i in range(len(values))])
    return table.reindex(columns=LEVEL_COLUMNS)


def _per_msek(tighter: dict, looser: dict) -> dict[str, float | None]:
    """What the MSEK between two levels buys: the change in objective and unmet demand per MSEK of
    frame, and an interval for the change in objective from the bounds (objective ≥ bound, so the
    true optimum of each level lies in [bound, objective])."""
    msek = (looser["frame_total"] - tighter["frame_total"]) / MSEK
    out = dict.fromkeys(("d_npv_per_msek", "d_npv_per_msek_low", "d_npv_per_msek_high", "d_unmet_per_msek"))
    if msek <= 0 or tighter["objective"] is None or looser["objective"] is None:
        return out
    out["d_npv_per_msek"] = (looser["objective"] - tighter["objective"]) / msek
    out["d_unmet_per_msek"] = (looser["unmet_place_years"] - tighter["unmet_place_years"]) / msek
    lo_t = tighter["bound"] if tighter["bound"] is not None else -math.inf
    lo_l = looser["bound"] if looser["bound"] is not None else -math.inf
    if tighter["status"] == "optimal" and looser["status"] == "optimal":
        lo_t, lo_l = tighter["objective"], looser["objective"]  # proven within the gap: the point value
    low = (min(lo_l, looser["objective"]) - tighter["objective"]) / msek
    high = (looser["objective"] - min(lo_t, tighter["objective"])) / msek
    out["d_npv_per_msek_low"] = low if math.isfinite(low) else None
    out["d_npv_per_msek_high"] = min(0.0, high) if math.isfinite(high) else 0.0
    return out


def write_chart(front: Frontier, path: Path) -> bool:
    """NPV (MSEK) by level, with each level's bound, as a PNG at ``path``; False (nothing written)
    when matplotlib is not installed (it is no dependency of allocopt)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    t = front.levels.sort_values("level", kind="stable")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(t["level"], t["objective"].astype(float) / MSEK, marker="o", label="NPV (plan)")
    ax.plot(t["level"], t["bound"].astype(float) / MSEK, linestyle=":", label="bound")
    ax.set_xlabel(f"{front.frame} frame ({'× caps' if front.unit == 'factor' else 'MSEK per year'})")
    ax.set_ylabel("MSEK")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def sparkline(values: Sequence[float | None]) -> str:
    """A one-line chart of ``values`` (blank where None): for a terminal without matplotlib."""
    bars = "▁▂▃▄▅▆▇█"
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:
        return " " * len(values)
    lo, hi = min(known), max(known)
    span = hi - lo or 1.0
    return "".join(
        " " if v is None or not math.isfinite(v) else bars[round((v - lo) / span * (len(bars) - 1))] for v in values
    )
