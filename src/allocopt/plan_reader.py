"""A given plan read from an actions table (``allocopt evaluate``'s input), every bad row located.

The plan is an ``actions`` table (the format of :attr:`allocopt.Result.actions`, or a CSV of it):
option rows (``option``, ``year`` = opening year, ``modules``, default 1), ``extend`` rows (modules
of a lease or pavilion kept that year beyond their term) and closure rows (``action`` = ``close`` or
``lease_end``, ``site``, ``year`` = first closed year; either word reads as the same closure).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from allocopt.scenario import Scenario
from allocopt.tables import CLOSURES
from allocopt.validate import Problem, ScenarioError
from allocopt.writers import unescape_formula


@dataclass(frozen=True)
class GivenPlan:
    """A plan's decisions: ``builds`` ``{(option, opening year): modules}``, ``closures`` ``{site: first
    closed year}`` and ``extensions`` ``{(option, year): modules kept that year beyond their term}``."""

    builds: dict[tuple[str, int], int]
    closures: dict[str, int]
    extensions: dict[tuple[str, int], int]


def read_plan(actions: pd.DataFrame | str | os.PathLike, scenario: Scenario) -> GivenPlan:
    """The decisions of an actions table (:class:`GivenPlan`).

    Raises :class:`ScenarioError` naming the file, row and column of every bad row.
    """
    table, file = _plan_table(actions)
    problems = [
        Problem(file, "1", column, f"required column '{column}' is missing")
        for column in ("year", "action")
        if column not in table.columns
    ]
    if problems:
        raise ScenarioError(problems)
    reader = _PlanRows(scenario, file)
    for i, row in enumerate(table.to_dict("records")):
        reader.read(str(i + 2), row)
    problems = reader.problems + _conversions_beyond_capacity(scenario, reader.builds, file, reader.rows_of)
    if problems:
        raise ScenarioError(problems)
    return GivenPlan(reader.builds, reader.closures, reader.extensions)


def _plan_table(actions: pd.DataFrame | str | os.PathLike) -> tuple[pd.DataFrame, str]:
    """The plan's table and the file name problems name (``actions`` for a DataFrame)."""
    if isinstance(actions, pd.DataFrame):
        return actions.reset_index(drop=True), "actions"
    try:
        table = pd.read_csv(actions, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ScenarioError([Problem(str(actions), None, None, f"cannot read the plan: {exc}")]) from None
    return table.map(unescape_formula), Path(actions).name  # an actions.csv allocopt wrote: ids like '=x escaped


def _text(row: dict, column: str) -> str:
    value = row.get(column, "")
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


class _PlanRows:
    """Reads a plan's rows one by one into ``builds`` and ``closures``, collecting ``problems``."""

    def __init__(self, scenario: Scenario, file: str):
        self.file = file
        self.options = {o.option: o for o in scenario.options}
        self.sites = {x.site for x in scenario.sites}
        self.years = set(scenario.years)
        self.builds: dict[tuple[str, int], int] = {}
        self.closures: dict[str, int] = {}
        self.extensions: dict[tuple[str, int], int] = {}
        self.rows_of: dict[str, str] = {}  # option -> first plan row naming it
        self.problems: list[Problem] = []

    def _bad(self, label: str, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, label, column, message))

    def read(self, label: str, row: dict) -> None:
        """Read the row ``label`` (its line in the file)."""
        try:
            year = int(float(_text(row, "year")))
        except ValueError:
            return self._bad(label, "year", f"expected a year, got '{_text(row, 'year')}'")
        if year not in self.years:
            return self._bad(label, "year", f"year {year} is outside the horizon")
        if _text(row, "action") in CLOSURES:
            return self._closure(label, _text(row, "site"), year)
        if _text(row, "action") == "extend":
            return self._extension(label, row, year)
        self._opening(label, row, year)

    def _closure(self, label: str, site: str, year: int) -> None:
        if site not in self.sites:
            self._bad(label, "site", f"unknown site '{site}'")
        elif site in self.closures:
            self._bad(label, "site", f"site '{site}' is closed twice")
        else:
            self.closures[site] = year

    def _modules(self, label: str, row: dict) -> int | None:
        raw = _text(row, "modules") or "1"
        try:
            modules = float(raw)
        except ValueError:
            modules = -1.0
        if modules < 1 or modules != int(modules):
            self._bad(label, "modules", f"expected a whole number of modules ≥ 1, got '{raw}'")
            return None
        return int(modules)

    def _opening(self, label: str, row: dict, year: int) -> None:
        option, action = _text(row, "option"), _text(row, "action")
        if option not in self.options:
            return self._bad(label, "option", f"unknown option '{option}'")
        kind = self.options[option].kind
        if action and action != kind:
            return self._bad(label, "action", f"option '{option}' is a {kind}, not a {action}")
        modules = self._modules(label, row)
        if modules is not None:
            self.builds[option, year] = self.builds.get((option, year), 0) + modules
            self.rows_of.setdefault(option, label)

    def _extension(self, label: str, row: dict, year: int) -> None:
        option = _text(row, "option")
        if option not in self.options:
            return self._bad(label, "option", f"unknown option '{option}'")
        if self.options[option].extension_rent is None:
            return self._bad(label, "action", f"option '{option}' cannot be extended (its extension_rent is blank)")
        modules = self._modules(label, row)
        if modules is not None:
            self.extensions[option, year] = self.extensions.get((option, year), 0) + modules


def _conversions_beyond_capacity(scenario: Scenario, builds: dict, file: str, rows_of: dict) -> list[Problem]:
    """A plan cannot convert more places than a site has (or a build option it converts builds in all):
    such a plan is refused, not priced."""
    capacity = {(c.site, c.service): c.capacity for c in scenario.site_capacities}
    sites = {x.site for x in scenario.sites}
    for o in scenario.options:
        if o.kind == "build":
            built = sum(m for (name, _t), m in builds.items() if name == o.option)
            capacity[o.option, o.service] = capacity.get((o.option, o.service), 0.0) + o.capacity * built
    converted: dict[tuple[str, str], list] = {}
    for o in scenario.options:
        n = sum(m for (name, _t), m in builds.items() if name == o.option)
        if o.kind == "conversion" and n:
            entry = converted.setdefault((o.site, o.from_service), [0.0, o.option])
            entry[0] += n * (o.capacity_from if o.capacity_from is not None else o.capacity)
    return [
        Problem(
            file,
            rows_of[option],
            "modules",
            f"the plan converts {places:g} places of '{service}' at {'site' if site in sites else 'option'} "
            f"'{site}', which has "
            f"{capacity.get((site, service), 0.0):g} (conversion_limit)",
        )
        for (site, service), (places, option) in converted.items()
        if places > capacity.get((site, service), 0.0) + 1e-9
    ]
