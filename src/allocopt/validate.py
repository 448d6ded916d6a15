"""Problems found in a scenario, and the cross-table checks.

Every problem names where it is (file, row as a spreadsheet user counts it, column) and what
was expected. Checks collect all problems; :class:`ScenarioError` carries them together.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from allocopt.tables import CLOSURES

if TYPE_CHECKING:
    from allocopt.scenario import Option, Scenario

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

    def add(
        self,
        table: str,
        index: int | None,
        column: str | None,
        message: str,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
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


def after_horizon(
    tables: Mapping[str, Sequence[Any]], last_year: int, sources: Sources | None = None
) -> tuple[dict[str, set[int]], list[Problem]]:
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
        warnings.append(
            Problem(
                file,
                None,
                "year",
                f"{len(found)} row(s) in {span}, after the horizon's last year {last_year}, are ignored",
                "warning",
            )
        )
    return later, warnings


@dataclass(frozen=True)
class Partial:
    """What a cross check of a partly valid scenario leaves out (:func:`allocopt.load.validate_path`
    on files where some rows failed validation on their own, and are reported already): a
    reference to an id of such a row, every reference to a kind of id whose table is missing or
    could not be read, and a required table that is empty (reported again once its rows are fixed)."""

    invalid_ids: Mapping[str, Collection[str]] = field(default_factory=dict)
    """Kind of id (``district``, ``service``, ``site``, ``option``) -> the ids of rows that failed."""
    unread: Collection[str] = ()
    """Kinds of id whose table is missing or could not be read."""

    def unchecked(self, kind: str, value: str) -> bool:
        """Whether a reference to the ``kind`` id ``value`` goes unchecked."""
        return kind in self.unread or value in self.invalid_ids.get(kind, ())


def cross_check(scenario: Scenario, sources: Sources | None = None, partial: Partial | None = None) -> list[Problem]:
    """Checks that span tables: ids, references, horizon years, coverage, options' reach.

    Returns every problem (errors and warnings), in the order of the named checks below; an empty
    list means the scenario is sound. ``partial``: what to leave out for a scenario whose invalid
    rows were dropped.
    """
    c = _Context(scenario, _Reporter(sources), partial, sources)
    for check in (
        _check_ids,
        _check_coverage,
        _check_population,
        _check_housing,
        _check_demand,
        _check_sites,
        _check_options,
        _check_distances,
        _check_budget,
        _check_locks,
        _check_coordinates,
        _check_forecasts,
        _check_adopted_plan,
    ):
        check(c)
    return c.r.problems


class _Context:
    """What the named checks share: the scenario, the horizon, the ids of each kind, the problems."""

    def __init__(self, scenario: Scenario, reporter: _Reporter, partial: Partial | None, sources: Sources | None):
        self.s, self.r, self.partial = scenario, reporter, partial
        self.years = set(scenario.years)
        self.first, self.last = scenario.settings.first_year, scenario.settings.last_year
        self.later, warnings = after_horizon({t: getattr(scenario, t) for t in HORIZON_TRIMMED}, self.last, sources)
        reporter.problems.extend(warnings)  # the loader leaves these rows out; derive_demand ignores them
        self.ids: dict[str, set[str]] = {}

    def ref(self, table: str, i: int, column: str, value: str | None, what: str) -> None:
        """A reference from row ``i`` of ``table`` to an id of kind ``what`` (None: blank, fine)."""
        if value is None or value in self.ids[what]:
            return
        if self.partial is not None and self.partial.unchecked(what, value):
            return
        self.r.add(table, i, column, f"unknown {what} '{value}' (expected one of the ids in {what}s)")

    def in_horizon(self, table: str, i: int, column: str, year: int | None) -> None:
        if i in self.later.get(table, ()):
            return
        if year is not None and year not in self.years:
            self.r.add(table, i, column, f"year {year} is outside the horizon {self.first}-{self.last}")

    def duplicate_keys(self, table: str, keys: tuple[str, ...]) -> None:
        seen: dict[tuple, int] = {}
        for i, x in enumerate(getattr(self.s, table)):
            k = tuple(getattr(x, c) for c in keys)
            if k in seen:
                self.r.add(table, i, keys[-1], f"duplicate row for {dict(zip(keys, k))}")
            seen[k] = i


ID_TABLES: dict[str, str] = {"districts": "district", "services": "service", "sites": "site", "options": "option"}
"""The tables whose rows other tables refer to, and their id column (also the kind of id)."""


def _check_ids(c: _Context) -> None:
    """Ids are unique in their table; at least one district and one service."""
    for table, key in ID_TABLES.items():
        rows = getattr(c.s, table)
        counts = Counter(getattr(x, key) for x in rows)
        for i, x in enumerate(rows):
            if counts[getattr(x, key)] > 1:
                c.r.add(table, i, key, f"duplicate id '{getattr(x, key)}' (ids must be unique)")
        c.ids[key] = set(counts)
    if c.partial is None and not c.s.districts:
        c.r.add("districts", None, None, "at least one district is required")
    if c.partial is None and not c.s.services:
        c.r.add("services", None, None, "at least one service is required")


def _check_coverage(c: _Context) -> None:
    bands = {p.age_band for p in c.s.population} | {h.age_band for h in c.s.housing_types}
    for i, x in enumerate(c.s.coverage):
        c.ref("coverage", i, "service", x.service, "service")
        if x.age_band not in bands:
            c.r.add(
                "coverage",
                i,
                "age_band",
                f"age band '{x.age_band}' appears in neither population nor housing_types",
                "warning",
            )
    c.duplicate_keys("coverage", ("service", "age_band"))


def _with_forecast(rows: list, keys: tuple[str, ...]) -> tuple[str, ...]:
    """A population or housing table's row key: ``forecast`` too when some row names a variant."""
    return ("forecast", *keys) if any(r.forecast is not None for r in rows) else keys


def _check_population(c: _Context) -> None:
    for i, p in enumerate(c.s.population):
        c.ref("population", i, "district", p.district, "district")
        c.in_horizon("population", i, "year", p.year)
    c.duplicate_keys("population", _with_forecast(c.s.population, ("district", "year", "age_band")))


def _check_housing(c: _Context) -> None:
    housing_types = {h.housing_type for h in c.s.housing_types}
    for i, h in enumerate(c.s.housing):
        c.ref("housing", i, "district", h.district, "district")
        c.in_horizon("housing", i, "year", h.year)
        if h.housing_type not in housing_types:
            c.r.add(
                "housing",
                i,
                "housing_type",
                f"unknown housing type '{h.housing_type}' (expected one listed in housing_types)",
            )
    c.duplicate_keys("housing", _with_forecast(c.s.housing, ("district", "year", "housing_type")))
    c.duplicate_keys("housing_types", ("housing_type", "age_band"))
    from allocopt.age_bands import age_band_problems

    for table, i, column, message in age_band_problems(c.s):
        c.r.add(table, i, column, message)


def _check_demand(c: _Context) -> None:
    """Direct demand rows, and services that have no demand at all."""
    banded = {x.service for x in c.s.coverage}
    for i, d in enumerate(c.s.demand):
        c.ref("demand", i, "district", d.district, "district")
        c.ref("demand", i, "service", d.service, "service")
        c.in_horizon("demand", i, "year", d.year)
        if d.service in banded:
            c.r.add(
                "demand",
                i,
                "service",
                f"service '{d.service}' has coverage rates; give its demand either by age band or directly, not both",
            )
    c.duplicate_keys("demand", ("district", "service", "year"))
    direct = {d.service for d in c.s.demand}
    for i, svc in enumerate(c.s.services):
        if svc.service not in banded and svc.service not in direct:
            c.r.add(
                "services",
                i,
                "service",
                f"service '{svc.service}' has no demand (no coverage rates and no rows in demand)",
                "warning",
            )


def _check_sites(c: _Context) -> None:
    """Sites' tenure and closing year, and the site capacities."""
    for i, x in enumerate(c.s.sites):
        c.ref("sites", i, "district", x.district, "district")
        if x.tenure == "owned" and x.lease_end is not None:
            c.r.add("sites", i, "lease_end", "an owned site has no lease_end (leave it blank)")
        if x.tenure == "leased" and x.sale_value > 0:
            c.r.add("sites", i, "sale_value", "a leased site cannot be sold (expected 0)")
        if x.close_from is not None and not (c.first <= x.close_from <= c.last + 1):
            c.r.add("sites", i, "close_from", f"year {x.close_from} is outside the horizon {c.first}-{c.last}")
        _check_site_closing(c, i, x)
        _check_site_permit(c, i, x)
    for i, x in enumerate(c.s.site_capacities):
        c.ref("site_capacities", i, "site", x.site, "site")
        c.ref("site_capacities", i, "service", x.service, "service")
    c.duplicate_keys("site_capacities", ("site", "service"))


def _check_site_permit(c: _Context, i: int, x) -> None:
    """permit_used_years needs permit_years and stays within it (errors); a keep_open lock past the year
    the permit runs out is an error that names both."""
    if x.permit_years is None:
        if x.permit_used_years:
            c.r.add("sites", i, "permit_used_years", "years used of a temporary permit need permit_years")
        return
    if x.permit_used_years > x.permit_years:
        c.r.add(
            "sites",
            i,
            "permit_used_years",
            f"{x.permit_used_years} years used of a permit of {x.permit_years} years (permit_years)",
        )
        return
    end = x.permit_end_from(c.first)
    for j, lock in enumerate(c.s.locks):
        if lock.target == "site" and lock.id == x.site and lock.rule == "keep_open":
            through = lock.year if lock.year is not None else c.last
            if through >= end:
                c.r.add(
                    "locks",
                    j,
                    "year",
                    f"site '{x.site}' is kept open through {through} by this lock but its temporary permit runs "
                    f"out after {end - 1} (permit_years {x.permit_years}, used {x.permit_used_years}): keep it open "
                    f"no later than {end - 1}",
                )


def _check_site_closing(c: _Context, i: int, x) -> None:
    """What closing does (on_close, relet_rent, vacancy_cost) applies to owned sites; a given
    internal_rent to property-company sites."""
    if x.tenure == "leased":
        if x.on_close != "sell":
            c.r.add(
                "sites", i, "on_close", "on_close applies to owned sites: a leased site's lease ends (leave it sell)"
            )
        for column in ("relet_rent", "vacancy_cost"):
            if getattr(x, column) > 0:
                c.r.add("sites", i, column, f"{column} applies to an owned site (expected 0 for a leased one)")
    elif x.relet_rent > 0 and x.on_close != "relet":
        c.r.add(
            "sites",
            i,
            "relet_rent",
            f"relet_rent is counted only with on_close relet (on_close is {x.on_close})",
            "warning",
        )
    elif x.vacancy_cost > 0 and x.on_close != "vacant":
        c.r.add(
            "sites",
            i,
            "vacancy_cost",
            f"vacancy_cost is counted only with on_close vacant (on_close is {x.on_close})",
            "warning",
        )
    if x.internal_rent is not None and x.holder != "property_company":
        c.r.add(
            "sites",
            i,
            "internal_rent",
            "internal_rent applies to a property_company site; it is ignored here",
            "warning",
        )


def _check_host(c: _Context, i: int, o: Option, builds: dict[str, Option], capacity: set) -> None:
    """An expansion's or conversion's site: an existing site, or a build option (whose service a
    conversion converts from)."""
    if o.site in builds:
        host = builds[o.site]
        if o.kind == "conversion" and o.from_service != host.service:
            c.r.add(
                "options",
                i,
                "from_service",
                f"build option '{o.site}' builds '{host.service}' places; a conversion there converts from "
                f"'{host.service}', not '{o.from_service}'",
            )
        return
    if o.site is not None and o.site not in c.ids["site"] and o.site in c.ids["option"]:
        c.r.add(
            "options",
            i,
            "site",
            f"'{o.site}' is an option but not a build option: only a build can be expanded or converted",
        )
        return
    c.ref("options", i, "site", o.site, "site")
    if o.kind == "conversion" and o.site in c.ids["site"] and o.from_service in c.ids["service"]:
        if (o.site, o.from_service) not in capacity:
            c.r.add("options", i, "from_service", f"site '{o.site}' has no '{o.from_service}' capacity to convert")


def _check_options(c: _Context) -> None:
    """Options' references, conversions, and whether each can open within the horizon."""
    capacity = {(x.site, x.service) for x in c.s.site_capacities}
    builds = {o.option: o for o in c.s.options if o.kind == "build"}
    first, last = c.first, c.last
    for i, o in enumerate(c.s.options):
        c.ref("options", i, "district", o.district, "district")
        c.ref("options", i, "service", o.service, "service")
        c.ref("options", i, "from_service", o.from_service, "service")
        _check_host(c, i, o, builds, capacity)
        if o.kind == "conversion" and o.from_service == o.service:
            c.r.add("options", i, "from_service", "a conversion must move capacity between two different services")
        if o.earliest_year is not None and o.earliest_year > last:
            c.r.add(
                "options", i, "earliest_year", f"year {o.earliest_year} is after the horizon {first}-{last}", "warning"
            )
        opening = max(o.earliest_year or first, first + o.lead_time)
        if opening > last and (o.earliest_year is None or o.earliest_year <= last):
            c.r.add(
                "options",
                i,
                "lead_time",
                f"earliest opening {opening} (earliest year plus lead time) is after the horizon's "
                f"last year {last}: the option can never open",
                "warning",
            )
        _check_latest_year(c, i, o, opening)
        _check_permit(c, i, o)


def _check_permit(c: _Context, i: int, o: Option) -> None:
    """permit_used_years within the permit (an error); a term longer than the years the permit has left
    means the option can never open (a warning)."""
    permit = o.permit
    if permit is None:
        return
    if o.permit_used_years > permit:
        c.r.add(
            "options",
            i,
            "permit_used_years",
            f"{o.permit_used_years} years used of a permit of {permit} years (permit_years)",
        )
    elif o.term is not None and o.term > permit - o.permit_used_years:
        c.r.add(
            "options",
            i,
            "term",
            f"a term of {o.term} years does not fit in the {permit - o.permit_used_years} years its temporary "
            f"permit has left (permit {permit}, used {o.permit_used_years}): the option can never open",
            "warning",
        )


def _check_latest_year(c: _Context, i: int, o: Option, opening: int) -> None:
    """latest_year is not before earliest_year (an error); before the earliest opening (earliest
    year plus lead time) within the horizon, the option can never open (a warning)."""
    if o.latest_year is None:
        return
    if o.earliest_year is not None and o.latest_year < o.earliest_year:
        c.r.add("options", i, "latest_year", f"latest year {o.latest_year} is before earliest_year {o.earliest_year}")
    elif o.latest_year < opening <= c.last:
        c.r.add(
            "options",
            i,
            "latest_year",
            f"latest year {o.latest_year} is before the earliest opening {opening} (earliest year plus lead "
            "time): the option can never open",
            "warning",
        )


def _check_distances(c: _Context) -> None:
    seen: set[tuple[str, str]] = set()
    for i, d in enumerate(c.s.distances):
        c.ref("distances", i, "from_district", d.from_district, "district")
        c.ref("distances", i, "to_district", d.to_district, "district")
        if (d.from_district, d.to_district) in seen:
            c.r.add("distances", i, "to_district", f"duplicate distance {d.from_district} -> {d.to_district}")
        seen.add((d.from_district, d.to_district))


def _check_budget(c: _Context) -> None:
    for i, b in enumerate(c.s.budget):
        c.in_horizon("budget", i, "year", b.year)
    c.duplicate_keys("budget", ("year",))


def _check_locks(c: _Context) -> None:
    for i, lock in enumerate(c.s.locks):
        c.ref("locks", i, "id", lock.id, lock.target)
        c.in_horizon("locks", i, "year", lock.year)


def _check_adopted_plan(c: _Context) -> None:
    """The adopted plan's rows (allocopt.adopted): ids exist, an opening's action is its option's kind, years
    in the horizon; under adopted_plan keep, what a lock can hold (an option not forbidden, opening by the
    row's year; a site allowed to close by it)."""
    options = {o.option: o for o in c.s.options}
    until = c.s.settings.adopted_until if c.s.settings.adopted_until is not None else c.last
    for i, row in enumerate(c.s.adopted_plan):
        closure = row.action in CLOSURES
        column, value, kind = ("site", row.site, "site") if closure else ("option", row.option, "option")
        if value not in c.ids[kind]:
            c.ref("adopted_plan", i, column, value, kind)
            continue
        if row.year not in c.years:
            c.in_horizon("adopted_plan", i, "year", row.year)
            continue
        if not closure and value in options and row.action not in ("extend", options[value].kind):
            c.r.add("adopted_plan", i, "action", f"option '{value}' is a {options[value].kind}, not a {row.action}")
            continue
        if row.action == "extend" and value in options and options[value].extension_rent is None:
            c.r.add("adopted_plan", i, "action", f"option '{value}' cannot be extended (its extension_rent is blank)")
            continue
        if c.s.settings.adopted_plan != "keep" or row.year > until or row.action == "extend":
            continue
        why = (
            _adopted_site_closes(c, value, row.year)
            if closure
            else _adopted_option_opens(c, options.get(value), row.year)
        )
        if why:
            c.r.add("adopted_plan", i, "year", f"{why} (adopted_plan keep: the action is kept as a lock)")


def _adopted_option_opens(c: _Context, o: Option | None, year: int) -> str | None:
    """Why option ``o`` cannot open by ``year`` (forbidden, or its earliest opening later), or None."""
    if o is None:
        return None
    site_kind = o.kind in ("expansion", "conversion")
    if any(k.rule == "forbid" and (k.id == o.option or (site_kind and k.id == o.site)) for k in c.s.locks):
        return f"option '{o.option}' is forbidden by a lock"
    earliest = max(o.earliest_year or c.first, c.first + o.lead_time)
    if earliest > year:
        return (
            f"option '{o.option}' cannot open by {year}: its earliest opening year (earliest year plus lead "
            f"time) is {earliest}"
        )
    if o.latest_year is not None and o.latest_year < earliest:
        return (
            f"option '{o.option}' can never open: its latest year {o.latest_year} is before its earliest "
            f"opening {earliest}"
        )
    return None


def _adopted_site_closes(c: _Context, site: str, year: int) -> str | None:
    """Why ``site`` may not be closed by ``year`` (may_close, close_from; a lease ended earlier may), or None."""
    x = next((s for s in c.s.sites if s.site == site), None)
    if x is None or (x.tenure == "leased" and x.lease_end is not None and x.lease_end < year):
        return None
    if not x.may_close:
        return f"site '{site}' may not close by {year} (may_close is false)"
    if x.close_from is not None and x.close_from > year:
        return f"site '{site}' may close only from close_from {x.close_from}, not by {year}"
    return None


def _check_coordinates(c: _Context) -> None:
    """Districts need coordinates when no distances table is given."""
    if not c.s.distances and any(d.x_km is None or d.y_km is None for d in c.s.districts):
        for i, d in enumerate(c.s.districts):
            if d.x_km is None or d.y_km is None:
                c.r.add(
                    "districts",
                    i,
                    "x_km",
                    "coordinates (x_km, y_km) are needed when no distances table is given",
                    "warning",
                )


FORECAST_PROBABILITY_TOLERANCE = 1e-9
"""How far the forecast variants' probabilities may sum from 1."""


def _check_own_tables(c: _Context, names: set[str]) -> None:
    """A variant's own population and housing rows (their ``forecast`` column): the variant is in the
    forecasts table, and its own population covers every district, year and age band the base
    population has (it replaces the base table whole)."""
    base = {(p.district, p.year, p.age_band) for p in c.s.population if p.forecast is None}
    own: dict[str, tuple[int, set]] = {}
    for table in ("population", "housing"):
        for i, r in enumerate(getattr(c.s, table)):
            if r.forecast is None:
                continue
            if r.forecast not in names:
                known = ", ".join(sorted(names)) or "none (no forecasts table)"
                message = f"unknown forecast '{r.forecast}' (expected one of the forecasts: {known})"
                c.r.add(table, i, "forecast", message)
            elif table == "population":
                own.setdefault(r.forecast, (i, set()))[1].add((r.district, r.year, r.age_band))
    for name, (i, keys) in own.items():
        missing = sorted(base - keys)
        if missing:
            d, y, b = missing[0]
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            c.r.add(
                "population",
                i,
                "forecast",
                f"forecast '{name}' has its own population rows but none for district '{d}', year {y}, age band "
                f"'{b}'{more}, which the base has: a variant's own population replaces the base table whole",
            )


def _check_forecasts(c: _Context) -> None:
    """The forecast variants (:mod:`allocopt.forecasts`): ids exist, years in the horizon, each
    forecast's probability given and the same on every row that gives it, no service on a row with a
    housing delay, and the probabilities summing to 1 (within :data:`FORECAST_PROBABILITY_TOLERANCE`)."""
    rows = c.s.forecasts
    first_row: dict[str, int] = {}
    given: dict[str, tuple[int, float]] = {}
    for i, f in enumerate(rows):
        c.ref("forecasts", i, "service", f.service, "service")
        c.ref("forecasts", i, "district", f.district, "district")
        c.in_horizon("forecasts", i, "year", f.year)
        first_row.setdefault(f.forecast, i)
        if f.housing_delay and f.service is not None:
            c.r.add(
                "forecasts",
                i,
                "service",
                "a housing delay moves homes, not one service's demand: leave service blank on this row "
                "(give a service's demand_scale on a row of its own)",
            )
        if f.probability is None:
            continue
        if f.forecast not in given:
            given[f.forecast] = (i, float(f.probability))
        elif not math.isclose(given[f.forecast][1], f.probability, rel_tol=0, abs_tol=FORECAST_PROBABILITY_TOLERANCE):
            j, p = given[f.forecast]
            file, row = c.r.where("forecasts", j)
            c.r.add(
                "forecasts",
                i,
                "probability",
                f"forecast '{f.forecast}' has probability {f.probability:g} here but {p:g} at {file} row {row}: "
                "give it once, or the same on every row",
            )
    for name, i in first_row.items():
        if name not in given:
            c.r.add("forecasts", i, "probability", f"forecast '{name}' has no probability: give it on one of its rows")
    total = math.fsum(p for _i, p in given.values())
    if given and len(given) == len(first_row) and abs(total - 1.0) > FORECAST_PROBABILITY_TOLERANCE:
        parts = ", ".join(f"{name} {p:g}" for name, (_i, p) in given.items())
        c.r.add(
            "forecasts",
            None,
            "probability",
            f"the forecasts' probabilities sum to {total:.10g} ({parts}); they must sum to 1",
        )
    _check_own_tables(c, set(first_row))
    if any(f.housing_delay for f in rows) and not c.s.housing:
        i = next(i for i, f in enumerate(rows) if f.housing_delay)
        c.r.add("forecasts", i, "housing_delay", "the scenario has no housing plan to delay", "warning")
