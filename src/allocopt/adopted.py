"""The plan the board adopted earlier: the scenario's ``adopted_plan`` table, kept as locks or ignored,
and every deviation of a plan from it.

The table has the format of a result's actions table (:data:`allocopt.tables.TABLE_COLUMNS`
``actions``; a result's ``actions.csv`` copied as it is reads as one): option rows (``year`` = opening
year, ``modules``, blank 1), ``extend`` rows and closure rows (``close`` or ``lease_end``, ``site``,
``year`` = first closed year). Its rows are checked with the scenario's
(allocopt.validate: ids, kinds, years, and under ``keep`` what a lock can hold), and priced by
``allocopt evaluate`` as a plan given to it is.

The setting ``adopted_plan`` says how it is treated:

- ``keep``: its actions up to ``adopted_until`` (blank: every year) become policy locks
  (:func:`adopted_locks`): an opening of option ``o`` in year ``t`` a ``force`` lock (``o`` opens at
  least one module by ``t``), a closure of site ``e`` from year ``y`` a ``close`` lock (``e`` is
  closed by ``y``). A lock is a floor, not the action itself: the plan may open the option earlier
  or with other modules, close the site earlier; such a departure is listed as a deviation.
  ``extend`` rows are not kept (whether a lease runs on stays the plan's choice);
- ``ignore``: the plan is free;
- ``price``: the plan is free, but each departure costs a notional penalty in the objective
  (allocopt.model.adopted_price, models/premises.md *Adopted plan*): ``deviation_cost`` SEK per option or
  site that departs and ``deviation_year_cost`` SEK per module-year of departure (:func:`adopted_price`
  gives the model its data, :func:`deviation_penalties` prices a plan's actions).

Either way :func:`deviations` lists how the plan departs from the adopted plan, action by action:
``dropped`` (only the adopted plan takes it), ``added`` (only the plan), ``moved`` (another year) or
``resized`` (same year, other modules), matched as :func:`allocopt.compare.changes` matches two plans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from allocopt.scenario import Lock, Scenario
from allocopt.tables import CHANGE_COLUMNS, CLOSURES, TABLE_COLUMNS

if TYPE_CHECKING:
    from allocopt.result import Result

DEVIATIONS_FILE = "deviations.csv"
"""The deviations table in a result folder (``allocopt solve`` on a scenario with an adopted plan)."""

DEVIATION_COLUMNS: list[str] = [*CHANGE_COLUMNS, "kept"]
"""Columns of the deviations table. ``change``: dropped | added | moved | resized; ``from_*`` the
adopted plan's year and modules, ``to_*`` the plan's (calendar years, modules); ``kept``: whether the
adopted action was kept as a lock (``adopted_plan: keep``, its year no later than ``adopted_until``).
Under ``adopted_plan: price`` a column ``cost`` follows (:func:`deviations`)."""


def adopted_actions(scenario: Scenario) -> pd.DataFrame:
    """The adopted plan as an actions table (its columns; blank modules of an opening read as 1)."""
    table = scenario.table("adopted_plan").reindex(columns=TABLE_COLUMNS["actions"])
    opening = ~table["action"].isin(CLOSURES)
    table["modules"] = table["modules"].astype(object).where(~(opening & table["modules"].isna()), 1)
    return table


def kept_until(scenario: Scenario) -> int | None:
    """The last year whose adopted actions are locks: ``adopted_until`` (blank: the last year) under
    ``keep``; None under ``ignore``."""
    settings = scenario.settings
    if settings.adopted_plan != "keep":
        return None
    return settings.adopted_until if settings.adopted_until is not None else settings.last_year


def adopted_locks(scenario: Scenario) -> list[Lock]:
    """The locks the adopted plan's kept actions become (none under ``ignore``), in the table's order."""
    until = kept_until(scenario)
    if until is None:
        return []
    locks = []
    for row in scenario.adopted_plan:
        if row.year > until or row.action == "extend":
            continue
        if row.action in CLOSURES:
            locks.append(Lock(target="site", id=row.site, rule="close", year=row.year))
        else:
            locks.append(Lock(target="option", id=row.option, rule="force", year=row.year))
    return locks


def with_adopted(scenario: Scenario) -> Scenario:
    """``scenario`` with the adopted plan's kept actions added to its locks (:func:`adopted_locks`);
    ``scenario`` itself when none are kept or all are there already."""
    new = [lock for lock in adopted_locks(scenario) if lock not in scenario.locks]
    if not new:
        return scenario
    return scenario.model_copy(update={"locks": [*scenario.locks, *new]})


@dataclass(frozen=True)
class AdoptedPrice:
    """What ``adopted_plan: price`` gives the model (allocopt.model.adopted_price): the adopted openings and
    closures, and the two prices (SEK, undiscounted, notional)."""

    openings: dict[str, dict[int, int]]  # option -> {opening year: modules} (extend rows left out)
    closures: dict[str, int]  # site -> first closed year
    deviation_cost: float  # SEK per option or site that departs
    deviation_year_cost: float  # SEK per module-year (option) or year (site) of departure

    def adopted_by(self, option: str, year: int) -> int:
        """``A[o,y]``: modules of ``option`` the adopted plan has opened by ``year`` (cumulative)."""
        return sum(m for t, m in self.openings.get(option, {}).items() if t <= year)


def adopted_price(scenario: Scenario) -> AdoptedPrice | None:
    """The adopted plan as the model prices it under ``adopted_plan: price``; None in the other modes, without
    an adopted plan, or when both prices are 0 (the plan is then as free as under ``ignore``)."""
    settings = scenario.settings
    if settings.adopted_plan != "price" or not scenario.adopted_plan:
        return None
    if settings.deviation_cost <= 0 and settings.deviation_year_cost <= 0:
        return None
    openings: dict[str, dict[int, int]] = {}
    closures: dict[str, int] = {}
    for row in scenario.adopted_plan:
        if row.action in CLOSURES:
            closures[row.site] = min(row.year, closures.get(row.site, row.year))
        elif row.action != "extend":
            years = openings.setdefault(row.option, {})
            years[row.year] = years.get(row.year, 0) + (row.modules or 1)
    return AdoptedPrice(openings, closures, float(settings.deviation_cost), float(settings.deviation_year_cost))


def deviation_penalties(scenario: Scenario, actions: pd.DataFrame) -> dict[tuple[str, str], float]:
    """The penalty (SEK, undiscounted) of each option and site on which the plan ``actions`` departs from the
    adopted plan under ``adopted_plan: price``, keyed ``("option", id)`` or ``("site", id)``: ``deviation_cost``
    plus ``deviation_year_cost`` per module-year Σ_y |opened by y − adopted by y| (an option) or per year
    |first closed year − adopted first closed year| (a site; never closed counts as closed after the last
    year). Empty when nothing is priced (:func:`adopted_price`)."""
    price = adopted_price(scenario)
    if price is None:
        return {}
    years = scenario.years
    after = years[-1] + 1
    opened: dict[str, dict[int, int]] = {}
    closed: dict[str, int] = {}
    for row in actions.to_dict("records"):
        year = int(row["year"])
        if row["action"] in CLOSURES:
            closed[row["site"]] = min(year, closed.get(row["site"], year))
        elif row["action"] != "extend":
            modules = 1 if pd.isna(row["modules"]) else int(row["modules"])
            opened.setdefault(row["option"], {})[year] = opened.get(row["option"], {}).get(year, 0) + modules
    out: dict[tuple[str, str], float] = {}
    for option in set(opened) | set(price.openings):
        plan = opened.get(option, {})
        moved = sum(abs(sum(m for t, m in plan.items() if t <= y) - price.adopted_by(option, y)) for y in years)
        if moved:
            out["option", option] = price.deviation_cost + price.deviation_year_cost * moved
    for site in set(closed) | set(price.closures):
        moved = abs(closed.get(site, after) - price.closures.get(site, after))
        if moved:
            out["site", site] = price.deviation_cost + price.deviation_year_cost * moved
    return out


def without_locks(scenario: Scenario) -> Scenario:
    """``scenario`` with no policy locks at all: its locks dropped and an adopted plan under ``keep``
    no longer kept (``ignore``; :func:`allocopt.solve` would make its actions locks again)."""
    settings = scenario.settings
    if settings.adopted_plan == "keep":
        settings = settings.model_copy(update={"adopted_plan": "ignore"})
    return scenario.model_copy(update={"locks": [], "settings": settings})


def deviations(scenario: Scenario, result: Result) -> pd.DataFrame:
    """How ``result``'s plan departs from the scenario's adopted plan, one row per action
    (:data:`DEVIATION_COLUMNS`); empty without an adopted plan or when the plan takes it exactly."""
    from allocopt.compare import changes

    if not scenario.adopted_plan:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DEVIATION_COLUMNS})
    table = changes(adopted_actions(scenario), result.actions, "plan")
    table["change"] = table["change"].replace({"removed": "dropped"})
    until = kept_until(scenario)
    from_year = pd.to_numeric(table["from_year"], errors="coerce")
    table["kept"] = (from_year <= until) & (table["action"] != "extend") if until is not None else False
    out = table[DEVIATION_COLUMNS].reset_index(drop=True)
    for column in ("from_year", "to_year", "from_modules", "to_modules"):
        out[column] = out[column].astype("Int64")
    out["kept"] = out["kept"].astype(bool)
    if scenario.settings.adopted_plan == "price":
        out["cost"] = _row_costs(out, deviation_penalties(scenario, result.actions))
    return out


def _row_costs(table: pd.DataFrame, penalties: dict[tuple[str, str], float]) -> list[float]:
    """The ``cost`` column of a priced deviations table (SEK): the penalty of the option or site a row
    departs on (:func:`deviation_penalties`), on its first row (the others of that option or site 0, so
    the column sums to the plan's whole penalty); ``extend`` rows are not priced."""
    seen: set[tuple[str, str]] = set()
    out = []
    for row in table.to_dict("records"):
        key = ("site", row["site"]) if row["action"] in CLOSURES else ("option", row["option"])
        if row["action"] == "extend" or key in seen:
            out.append(0.0)
            continue
        seen.add(key)
        out.append(penalties.get(key, 0.0))
    return out


def deviation_summary(scenario: Scenario, table: pd.DataFrame) -> dict:
    """summary.json's ``adopted_plan`` object: how it is treated, its actions, the deviations by change."""
    counts = table["change"].value_counts()
    return {
        "mode": scenario.settings.adopted_plan,
        "kept_until": kept_until(scenario),
        "actions": len(scenario.adopted_plan),
        "deviations": int(len(table)),
        "by_change": {c: int(counts.get(c, 0)) for c in ("dropped", "added", "moved", "resized")},
        **({"cost": float(table["cost"].sum())} if "cost" in table else {}),
        "file": DEVIATIONS_FILE,
    }


DEVIATION_LINES = 20
"""Most deviations :func:`deviation_lines` shows one by one (the table holds them all)."""


def deviation_lines(table: pd.DataFrame, about: dict, limit: int = DEVIATION_LINES) -> list[str]:
    """The deviations in words: a line counting them by change, then one line each (years and modules
    adopted → planned, and what it saves where
    :func:`allocopt.adopted_savings.deviation_savings` priced it), at most ``limit``."""
    counts = ", ".join(f"{n} {change}" for change, n in about["by_change"].items() if n)
    kept = f", kept as locks through {about['kept_until']}" if about["mode"] == "keep" else ""
    if about["mode"] == "price":
        kept = f", priced at {about.get('cost', 0.0):,.0f} SEK in all"
    lines = [f"{about['deviations']} deviation(s) from the adopted plan{kept}" + (f": {counts}" if counts else "")]
    for row in table.head(limit).to_dict("records"):
        opening = isinstance(row["option"], str)
        years = " → ".join("–" if pd.isna(v) else str(v) for v in (row["from_year"], row["to_year"]))
        modules = " → ".join("–" if pd.isna(v) else str(v) for v in (row["from_modules"], row["to_modules"]))
        ident, shown = (row["option"], f", modules {modules}") if opening else (row["site"], "")
        if row.get("cost"):
            shown += f", penalty {row['cost']:,.0f} SEK"
        if "saves" in row and not pd.isna(row["saves"]):
            shown += f", saves {row['saves']:,.0f} SEK"
        if row.get("note"):
            shown += f" ({row['note']})"
        lines.append(f"  {row['change']} {row['action']} {ident}: year {years}{shown}")
    if len(table) > limit:
        lines.append(f"  … and {len(table) - limit} more in {DEVIATIONS_FILE}")
    return lines
