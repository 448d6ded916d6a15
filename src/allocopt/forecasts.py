"""Forecast variants of a scenario: the ``forecasts`` table checked, and each variant as a scenario.

A variant is the base forecast, or the variant's own population and housing tables (rows of those
tables whose ``forecast`` column names it), with its housing plan delayed (``housing_delay``) and
its demand scaled (``demand_scale``), rows of the ``forecasts`` table
(:class:`allocopt.scenario.Forecast`).
:func:`variant_scenarios` gives each variant as an ordinary :class:`~allocopt.scenario.Scenario`
whose demand is explicit (the ``demand`` table; population, housing and coverage dropped), so that
:func:`allocopt.solve` and :func:`allocopt.check.check_plan` take it as they take any scenario.
A scenario without forecasts has one variant, itself, with probability 1. The table's cross checks
are :func:`allocopt.validate.cross_check`'s (``_check_forecasts``).
"""

from __future__ import annotations

from collections import defaultdict

from allocopt.scenario import Demand, Forecast, Housing, Scenario

BASE = "base"
"""The name of the one variant of a scenario without forecasts."""


def forecast_names(scenario: Scenario) -> list[str]:
    """The forecast variants' names in order of first appearance (``[BASE]`` without forecasts)."""
    return list(dict.fromkeys(f.forecast for f in scenario.forecasts)) or [BASE]


def probabilities(scenario: Scenario) -> dict[str, float]:
    """Each variant's probability (the first row of the forecast that gives one)."""
    if not scenario.forecasts:
        return {BASE: 1.0}
    out: dict[str, float] = {}
    for f in scenario.forecasts:
        if f.probability is not None:
            out.setdefault(f.forecast, float(f.probability))
    return {name: out.get(name, 0.0) for name in forecast_names(scenario)}


def _applies(row: Forecast, district: str | None, year: int | None, service: str | None = None) -> bool:
    return (
        (row.district is None or row.district == district)
        and (row.year is None or row.year == year)
        and (row.service is None or service is None or row.service == service)
    )


def delayed_housing(scenario: Scenario, rows: list[Forecast]) -> list[Housing]:
    """The housing plan with each row's ``housing_delay`` applied to the homes of its district and
    completion year (delays of several rows add up); homes delayed past the last year are left out."""
    last = scenario.settings.last_year
    out = []
    for h in scenario.housing:
        delay = sum(r.housing_delay for r in rows if r.housing_delay and _applies(r, h.district, h.year))
        if h.year + delay <= last:
            out.append(h.model_copy(update={"year": h.year + delay}) if delay else h)
    return out


def variant_demand(scenario: Scenario, rows: list[Forecast]) -> list[Demand]:
    """The demand of the variant whose ``forecasts`` rows are ``rows``: derived from the scenario with
    the housing delayed (:func:`delayed_housing`), then scaled (every ``demand_scale`` that applies
    to a district, service and year multiplies its places); one row per positive demand."""
    from allocopt.demand import derive_demand

    delayed = scenario.model_copy(update={"housing": delayed_housing(scenario, rows)})
    table = derive_demand(delayed)
    scales = [r for r in rows if r.demand_scale != 1.0]
    out = []
    for d, s, y, places in table[["district", "service", "year", "places"]].itertuples(index=False):
        factor = 1.0
        for r in scales:
            if _applies(r, d, int(y), s):
                factor *= r.demand_scale
        value = float(places) * factor
        if value > 0:
            out.append(Demand(district=d, service=s, year=int(y), places=value))
    return out


def own_tables(scenario: Scenario, name: str) -> Scenario:
    """``scenario`` with variant ``name``'s own population and housing rows (its ``forecast``
    column) in place of the base rows, table by table; a table without rows of ``name`` keeps the
    base rows. The result's rows all have a blank ``forecast``."""

    def chosen(rows: list) -> list:
        own = [r for r in rows if r.forecast == name]
        picked = own if own else [r for r in rows if r.forecast is None]
        return [r.model_copy(update={"forecast": None}) for r in picked]

    return scenario.model_copy(update={"population": chosen(scenario.population), "housing": chosen(scenario.housing)})


def variant_scenario(scenario: Scenario, name: str) -> Scenario:
    """Variant ``name`` of ``scenario`` as a scenario of its own: the same settings (named
    ``<scenario>:<variant>``) and tables, its demand explicit (:func:`variant_demand` on the
    variant's own population and housing tables where it has them, :func:`own_tables`), no forecasts."""
    rows = [f for f in scenario.forecasts if f.forecast == name]
    settings = scenario.settings.model_copy(update={"name": f"{scenario.settings.name}:{name}"})
    data = {field: getattr(scenario, field) for field in Scenario.model_fields}
    data.update(
        settings=settings,
        demand=variant_demand(own_tables(scenario, name), rows),
        coverage=[],
        population=[],
        housing=[],
        housing_types=[],
        forecasts=[],
    )
    return Scenario(**data)


def variant_scenarios(scenario: Scenario) -> list[tuple[str, float, Scenario]]:
    """(name, probability, scenario) of every forecast variant, in the order of the ``forecasts``
    table; ``[("base", 1.0, scenario)]`` for a scenario without forecasts."""
    if not scenario.forecasts:
        return [(BASE, 1.0, scenario)]
    p = probabilities(scenario)
    return [(name, p[name], variant_scenario(scenario, name)) for name in forecast_names(scenario)]


def mean_scenario(scenario: Scenario, variants: list[tuple[str, float, Scenario]] | None = None) -> Scenario:
    """The expected-value scenario: each district's, service's and year's demand the
    probability-weighted mean of the variants' (the forecast the EEV of :mod:`allocopt.robust` plans for)."""
    variants = variant_scenarios(scenario) if variants is None else variants
    if len(variants) == 1:
        return variants[0][2]
    places: dict[tuple[str, str, int], float] = defaultdict(float)
    for _name, p, scen in variants:
        for d in scen.demand:
            places[d.district, d.service, d.year] += p * d.places
    base = variants[0][2]
    rows = [Demand(district=d, service=s, year=y, places=v) for (d, s, y), v in places.items() if v > 0]
    settings = base.settings.model_copy(update={"name": f"{scenario.settings.name}:mean"})
    return base.model_copy(update={"settings": settings, "demand": rows})
