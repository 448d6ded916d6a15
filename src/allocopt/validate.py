"""Problems found in a scenario, and the cross-table checks.

Every problem names where it is (file, row as a spreadsheet user counts it, column) and what
was expected. Checks collect all problems; :class:`ScenarioError` carries them together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from allocopt.scenario import Scenario

Sources = dict[str, list[tuple[str, str]]]
"""Where each row came from: table name -> one (file, row label) per row, in table order."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or doubtful) in a scenario."""

    file: str
    row: str | None
    column: str | None
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{self.severity}: {where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in the scenario"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in errors))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def locate(sources: Sources | None, table: str, index: int | None) -> tuple[str, str | None]:
    """(file, row label) of row ``index`` of ``table`` (the table's file alone for None); without
    ``sources`` (a scenario built in Python) the row it would have in ``<table>.csv``."""
    located = (sources or {}).get(table)
    if located is not None and index is not None and index < len(located):
        return located[index]
    if located and index is None:
        return (located[0][0], None)
    if index is None:
        return (f"{table}.csv", None)
    return (f"{table}.csv", str(index + 2))


class _Reporter:
    """Collects problems, locating rows through ``sources`` when the loader gave them."""

    def __init__(self, sources: Sources | None):
        self.sources = sources or {}
        self.problems: list[Problem] = []

    def where(self, table: str, index: int | None) -> tuple[str, str | None]:
        return locate(self.sources, table, index)

    def add(self, table: str, index: int | None, column: str | None, message: str,
            severity: Literal["error", "warning"] = "error") -> None:
        file, row = self.where(table, index)
        self.problems.append(Problem(file, row, column, message, severity))


def year_span(years: Sequence[int]) -> str:
    """'2041', '2041-2045' (consecutive), '2041, 2043, 2045'."""
    ys = sorted(set(years))
    if len(ys) == 1:
        return str(ys[0])
    if ys[-1] - ys[0] == len(ys) - 1:
        return f"{ys[0]}-{ys[-1]}"
    return ", ".join(map(str, ys))


HORIZON_TRIMMED: tuple[str, ...] = ("population", "housing", "demand")
"""Tables whose rows after the horizon's last year are ignored, with a warning (a forecast often
runs past the plan); rows before the first year stay errors, as do budget and locks years
outside the horizon."""


def after_horizon(tables: Mapping[str, Sequence[Any]], last_year: int,
                  sources: Sources | None = None) -> tuple[dict[str, set[int]], list[Problem]]:
    """Rows of :data:`HORIZON_TRIMMED` tables with a year after ``last_year``: their indexes by
    table, and one warning per table naming the file, how many rows and which years."""
    later: dict[str, set[int]] = {}
    warnings: list[Problem] = []
    for table in HORIZON_TRIMMED:
        rows = tables.get(table) or []
        found = {i for i, x in enumerate(rows) if x.year > last_year}
        if not found:
            continue
        later[table] = found
        span = year_span([rows[i].year for i in found])
        file, _row = locate(sources, table, min(found))
        warnings.append(Problem(file, None, "year", f"{len(found)} row(s) in {span}, after the horizon's last "
                                f"year {last_year}, are ignored", "warning"))
    return later, warnings


def cross_check(scenario: "Scenario", sources: Sources | None = None) -> list[Problem]:
    """Checks that span tables: ids, references, horizon years, coverage, options' reach.

    Returns every problem (errors and warnings); an empty list means the scenario is sound.
    """
    r = _Reporter(sources)
    s = scenario
    years = set(s.years)
    first, last = s.settings.first_year, s.settings.last_year
    later, warnings = after_horizon({t: getattr(s, t) for t in HORIZON_TRIMMED}, last, sources)
    r.problems.extend(warnings)  # the loader leaves these rows out; derive_demand ignores them

    def unique(table: str, key: str) -> set[str]:
        rows = getattr(s, table)
        counts = Counter(getattr(x, key) for x in rows)
        for i, x in enumerate(rows):
            if counts[getattr(x, key)] > 1:
                r.add(table, i, key, f"duplicate id '{getattr(x, key)}' (ids must be unique)")
        return set(counts)

    districts = unique("districts", "district")
    services = unique("services", "service")
    sites = unique("sites", "site")
    options = unique("options", "option")
    if not s.districts:
        r.add("districts", None, None, "at least one district is required")
    if not s.services:
        r.add("services", None, None, "at least one service is required")

    def ref(table: str, i: int, column: str, value: str | None, known: set[str], what: str) -> None:
        if value is not None and value not in known:
            r.add(table, i, column, f"unknown {what} '{value}' (expected one of the ids in {what}s)")

    def in_horizon(table: str, i: int, column: str, year: int | None) -> None:
        if i in later.get(table, ()):
            return
        if year is not None and year not in years:
            r.add(table, i, column, f"year {year} is outside the horizon {first}-{last}")

    def duplicate_keys(table: str, keys: tuple[str, ...]) -> None:
        seen: dict[tuple, int] = {}
        for i, x in enumerate(getattr(s, table)):
            k = tuple(getattr(x, c) for c in keys)
            if k in seen:
                r.add(table, i, keys[-1], f"duplicate row for {dict(zip(keys, k))}")
            seen[k] = i

    bands = {p.age_band for p in s.population} | {h.age_band for h in s.housing_types}
    for i, c in enumerate(s.coverage):
        ref("coverage", i, "service", c.service, services, "service")
        if c.age_band not in bands:
            r.add("coverage", i, "age_band",
                  f"age band '{c.age_band}' appears in neither population nor housing_types", "warning")
    duplicate_keys("coverage", ("service", "age_band"))

    for i, p in enumerate(s.population):
        ref("population", i, "district", p.district, districts, "district")
        in_horizon("population", i, "year", p.year)
    duplicate_keys("population", ("district", "year", "age_band"))

    housing_types = {h.housing_type for h in s.housing_types}
    for i, h in enumerate(s.housing):
        ref("housing", i, "district", h.district, districts, "district")
        in_horizon("housing", i, "year", h.year)
        if h.housing_type not in housing_types:
            r.add("housing", i, "housing_type",
                  f"unknown housing type '{h.housing_type}' (expected one listed in housing_types)")
    duplicate_keys("housing", ("district", "year", "housing_type"))
    duplicate_keys("housing_types", ("housing_type", "age_band"))

    banded = {c.service for c in s.coverage}
    for i, d in enumerate(s.demand):
        ref("demand", i, "district", d.district, districts, "district")
        ref("demand", i, "service", d.service, services, "service")
        in_horizon("demand", i, "year", d.year)
        if d.service in banded:
            r.add("demand", i, "service",
                  f"service '{d.service}' has coverage rates; give its demand either by age band or directly, not both")
    duplicate_keys("demand", ("district", "service", "year"))
    direct = {d.service for d in s.demand}
    for i, svc in enumerate(s.services):
        if svc.service not in banded and svc.service not in direct:
            r.add("services", i, "service",
                  f"service '{svc.service}' has no demand (no coverage rates and no rows in demand)", "warning")

    for i, x in enumerate(s.sites):
        ref("sites", i, "district", x.district, districts, "district")
        if x.tenure == "owned" and x.lease_end is not None:
            r.add("sites", i, "lease_end", "an owned site has no lease_end (leave it blank)")
        if x.tenure == "leased" and x.sale_value > 0:
            r.add("sites", i, "sale_value", "a leased site cannot be sold (expected 0)")
        if x.close_from is not None and not (first <= x.close_from <= last + 1):
            r.add("sites", i, "close_from", f"year {x.close_from} is outside the horizon {first}-{last}")
    for i, c in enumerate(s.site_capacities):
        ref("site_capacities", i, "site", c.site, sites, "site")
        ref("site_capacities", i, "service", c.service, services, "service")
    duplicate_keys("site_capacities", ("site", "service"))

    capacity = {(c.site, c.service) for c in s.site_capacities}
    for i, o in enumerate(s.options):
        ref("options", i, "district", o.district, districts, "district")
        ref("options", i, "site", o.site, sites, "site")
        ref("options", i, "service", o.service, services, "service")
        ref("options", i, "from_service", o.from_service, services, "service")
        if o.kind == "conversion" and o.site in sites and o.from_service in services:
            if (o.site, o.from_service) not in capacity:
                r.add("options", i, "from_service",
                      f"site '{o.site}' has no '{o.from_service}' capacity to convert")
        if o.kind == "conversion" and o.from_service == o.service:
            r.add("options", i, "from_service", "a conversion must move capacity between two different services")
        if o.earliest_year is not None and o.earliest_year > last:
            r.add("options", i, "earliest_year",
                  f"year {o.earliest_year} is after the horizon {first}-{last}", "warning")
        opening = max(o.earliest_year or first, first + o.lead_time)
        if opening > last and (o.earliest_year is None or o.earliest_year <= last):
            r.add("options", i, "lead_time",
                  f"earliest opening {opening} (earliest year plus lead time) is after the horizon's "
                  f"last year {last}: the option can never open", "warning")

    seen_dist: set[tuple[str, str]] = set()
    for i, d in enumerate(s.distances):
        ref("distances", i, "from_district", d.from_district, districts, "district")
        ref("distances", i, "to_district", d.to_district, districts, "district")
        if (d.from_district, d.to_district) in seen_dist:
            r.add("distances", i, "to_district", f"duplicate distance {d.from_district} -> {d.to_district}")
        seen_dist.add((d.from_district, d.to_district))

    for i, b in enumerate(s.budget):
        in_horizon("budget", i, "year", b.year)
    duplicate_keys("budget", ("year",))

    for i, lock in enumerate(s.locks):
        known = options if lock.target == "option" else sites
        ref("locks", i, "id", lock.id, known, lock.target)
        in_horizon("locks", i, "year", lock.year)

    if not s.distances and any(d.x_km is None or d.y_km is None for d in s.districts):
        for i, d in enumerate(s.districts):
            if d.x_km is None or d.y_km is None:
                r.add("districts", i, "x_km",
                      "coordinates (x_km, y_km) are needed when no distances table is given", "warning")
    return r.problems
