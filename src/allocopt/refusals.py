"""What the solve refuses before it starts, as problems located by file, row and column.

:func:`allocopt.solve` builds the index and the model and does not hand HiGHS a model that
cannot have a plan: locks that conflict (:class:`allocopt.locks.LockConflict`), rows without
variables that cannot hold (``PlanModel.conflicts``), and demand that no facility can reach
while unmet demand is forbidden (``PlanModel.unreachable``); and an objective coefficient too large
for the solver (``PlanModel.out_of_range``). :func:`refusal_problems` turns them
into :class:`~allocopt.validate.Problem` s, so that ``allocopt validate`` reports them as errors
before anyone waits for a solve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allocopt.validate import Problem, Sources, locate, year_span

if TYPE_CHECKING:
    from allocopt.index import PlanIndex
    from allocopt.model.build import PlanModel
    from allocopt.scenario import Scenario

FAMILIES: dict[str, tuple[str, str | None, str]] = {
    "capacity_cover": (
        "services",
        None,
        "the capacity that can be in service (existing sites, and options that can "
        "open by then, times utilisation) is below the demand, and unmet demand is forbidden",
    ),
    "district_group_cover": (
        "services",
        None,
        "the capacity within reach of a group of districts is below their demand, and unmet demand is forbidden",
    ),
    "capex_cap": ("budget", "capex_cap", "the capex that must be paid in the year exceeds its cap"),
    "opex_cap": ("budget", "opex_cap", "the running costs of the sites that must stay open exceed the year's cap"),
    "investment_cap": (
        "budget",
        "investment_cap",
        "the property company's capex that must be paid in the year exceeds its cap",
    ),
    "borrowing_cap": ("budget", "borrowing_cap", "the property company's debt that cannot be avoided exceeds its cap"),
    "operating_cap": (
        "budget",
        "operating_cap",
        "what the municipality must pay in the year (running costs, rent, internal rent) exceeds its operating cap",
    ),
    "extension_limit": ("options", "extension_rent", "a module is kept beyond its term without being in service"),
    "lock_force": ("locks", "year", "a forced option cannot open by its year"),
    "module_limit": ("options", "max_modules", "an option's modules cannot stay within max_modules"),
    "conversion_limit": ("options", "capacity_from", "a conversion removes more capacity than the site has"),
}
"""Constraint family -> (table, column, meaning) for a row of it that cannot hold whatever the plan:
the problem names the table's file and column where the cause most likely is, says what it means,
and quotes the row (its key gives the service, year or ids). Other families: the services table."""

MOST_UNREACHABLE = 20
"""Unreachable (district, service) pairs reported one by one; the rest are counted in one more."""


def refusal_problems(index: PlanIndex, pm: PlanModel, sources: Sources | None = None) -> list[Problem]:
    """Every reason the solve would refuse the model of ``index``, as errors.

    ``sources`` (from the loader) locates rows in their files; without it rows are counted as in
    ``<table>.csv``. Lock conflicts name the lock's row in locks and its column 'year' (or 'id'
    when the year is blank); unreachable demand names the service's row (column max_km), the
    district and the years; rows that cannot hold name their constraint family.
    """
    problems: list[Problem] = []
    for text in pm.out_of_range:
        file, _row = locate(sources, "services", None)
        problems.append(Problem(file, None, "unmet_penalty", text))
    for c in index.lock_conflicts:
        file, row = locate(sources, "locks", c.locks[0] if c.locks else None)
        others = [r for r in (locate(sources, "locks", i)[1] for i in c.locks[1:]) if r]
        also = f" (see also row {', '.join(others)})" if others else ""
        problems.append(Problem(file, row, c.column, c.message + also))

    by_family: dict[str, list[str]] = {}
    for text in pm.conflicts:
        by_family.setdefault(text.split("[", 1)[0], []).append(text)
    if index.lock_conflicts:
        by_family.pop("lock_force", None)  # the same conflict as an option's, reported above
    for family, texts in by_family.items():
        table, column, meaning = FAMILIES.get(family, ("services", None, "a constraint cannot hold"))
        file, _row = locate(sources, table, None)
        more = f"; and {len(texts) - 1} more such rows" if len(texts) > 1 else ""
        problems.append(
            Problem(file, None, column, f"no plan exists: {meaning} ({texts[0]}{more}; constraint family {family})")
        )

    service_rows = {s: i for i, s in enumerate(index.services)}
    years: dict[tuple[str, str], list[int]] = {}
    for d, s, y in pm.unreachable:
        years.setdefault((s, d), []).append(y)
    for (s, d), ys in list(years.items())[:MOST_UNREACHABLE]:
        file, row = locate(sources, "services", service_rows[s])
        reach = index.services[s].max_km
        within = "" if reach == float("inf") else f" within {reach:g} km"
        problems.append(
            Problem(
                file,
                row,
                "max_km",
                f"district '{d}' has no site or option for '{s}'{within} in {year_span(ys)}, "
                "and unmet demand is forbidden: add one within reach, raise max_km, or give "
                "unmet_penalty a number",
            )
        )
    if len(years) > MOST_UNREACHABLE:
        file, _row = locate(sources, "services", None)
        problems.append(
            Problem(
                file,
                None,
                "max_km",
                f"and {len(years) - MOST_UNREACHABLE} more districts with "
                "demand out of every facility's reach while unmet demand is forbidden",
            )
        )
    return problems


def scenario_refusals(scenario: Scenario, sources: Sources | None = None) -> list[Problem]:
    """Build the index and the model of ``scenario`` (as :func:`allocopt.solve` does, default
    formulation) and return :func:`refusal_problems`. Imports Pyomo."""
    from allocopt.index import build_index
    from allocopt.model import build_model

    index = build_index(scenario)
    return refusal_problems(index, build_model(index), sources)
