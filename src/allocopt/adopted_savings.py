"""What each deviation of a plan from the adopted plan saves (``allocopt solve --deviation-savings``):
the deviation undone alone and the plan so changed priced by :func:`allocopt.evaluate`.
(:mod:`allocopt.adopted` lists the deviations; this module prices them, through the pipeline.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from allocopt.adopted import with_adopted
from allocopt.scenario import Scenario
from allocopt.tables import CLOSURES

if TYPE_CHECKING:
    from allocopt.result import Result

SAVINGS_COLUMNS: list[str] = ["saves", "note"]
"""Columns :func:`deviation_savings` adds: ``saves`` (SEK, discounted: the objective of the plan with the
deviation undone less the plan's own, both priced by allocopt.evaluate; negative where the deviation costs)
and ``note`` (blank, or why the undone plan could not be priced, or the rules it breaks)."""


def deviation_savings(
    scenario: Scenario, result: Result, table: pd.DataFrame, *, time_limit: float = 60.0, threads: int = 1
) -> pd.DataFrame:
    """``table`` (:func:`deviations` of ``result``) with what each deviation saves (:data:`SAVINGS_COLUMNS`).

    Each deviation is undone alone in ``result``'s plan (dropped: the adopted action added back; added:
    the plan's action taken out; moved, resized: the plan's action given the adopted year and modules), and
    the plan so changed priced by :func:`allocopt.evaluate` under the scenario with its kept actions
    (:func:`with_adopted`), as is the plan itself. One evaluation per deviation: ``time_limit`` seconds
    each, ``threads`` threads."""
    from allocopt.pipeline import evaluate
    from allocopt.validate import ScenarioError

    kept = with_adopted(scenario)
    plan = _decisions(result.actions)
    own = evaluate(kept, _frame(plan), time_limit=time_limit, threads=threads)
    saves, notes = [], []
    for row in table.to_dict("records"):
        try:
            priced = evaluate(kept, _frame(_undone(plan, row)), time_limit=time_limit, threads=threads)
        except ScenarioError as exc:
            saves.append(None)
            notes.append(f"undone, the plan is refused: {exc.errors[0].message if exc.errors else exc}")
            continue
        if priced.objective is None or own.objective is None:
            saves.append(None)
            notes.append(f"undone, the plan cannot be priced ({priced.status})")
            continue
        saves.append(float(priced.objective) - float(own.objective))
        broken = len(priced.violations) - len(own.violations)
        notes.append(f"undone, the plan breaks {broken} more rule(s)" if broken > 0 else "")
    return table.assign(saves=pd.array(saves, dtype="Float64"), note=notes)


def _decisions(actions: pd.DataFrame) -> list[dict]:
    """The plan's decisions as plain rows: year, action, option, site, modules (blank for closures)."""
    out = []
    for row in actions.to_dict("records"):
        closure = row["action"] in CLOSURES
        out.append(
            {
                "year": int(row["year"]),
                "action": row["action"],
                "option": None if closure else row["option"],
                "site": row["site"] if closure else None,
                "modules": None if closure or pd.isna(row["modules"]) else int(row["modules"]),
            }
        )
    return out


def _matches(plan_row: dict, deviation: dict) -> bool:
    """Whether ``plan_row`` is the plan's side of ``deviation`` (closures by site, openings by action and option)."""
    if plan_row["year"] != deviation["to_year"]:
        return False
    if deviation["action"] in CLOSURES:
        return plan_row["action"] in CLOSURES and plan_row["site"] == deviation["site"]
    return plan_row["action"] == deviation["action"] and plan_row["option"] == deviation["option"]


def _undone(plan: list[dict], deviation: dict) -> list[dict]:
    """``plan`` with ``deviation`` undone (see :func:`deviation_savings`)."""
    change = deviation["change"]
    if change == "dropped":
        closure = deviation["action"] in CLOSURES
        back = {
            "year": int(deviation["from_year"]),
            "action": deviation["action"],
            "option": None if closure else deviation["option"],
            "site": deviation["site"] if closure else None,
            "modules": None if closure else int(deviation["from_modules"]),
        }
        return [*plan, back]
    if change == "added":
        return [r for r in plan if not _matches(r, deviation)]
    out = []
    for r in plan:
        if _matches(r, deviation):
            r = {**r, "year": int(deviation["from_year"])}
            if not pd.isna(deviation["from_modules"]):
                r["modules"] = int(deviation["from_modules"])
        out.append(r)
    return out


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "action", "option", "site", "modules"])
