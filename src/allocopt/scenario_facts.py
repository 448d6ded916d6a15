"""What a result carries of its scenario, so that a result folder can be reported on its own: where
the districts, sites and options are (the ``locations`` table) and the settings a reader needs to
understand the figures (``Result.scenario_settings``: description, horizon, prices, discount rate,
penalty, language, the services' names).

Nothing here is used by the model or the checker: these are the scenario's own facts, copied.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from allocopt.scenario import Scenario
from allocopt.tables import TABLE_COLUMNS

SETTINGS_KEPT: tuple[str, ...] = (
    "name",
    "description",
    "first_year",
    "last_year",
    "currency",
    "currency_year",
    "discount_rate",
    "residual_value",
    "capex_overrun",
    "capex_timing",
    "unmet_penalty",
    "perspective",
    "internal_rent_method",
    "housing_ageing",
    "language",
)
"""The scenario settings copied into a result (``summary.json``'s ``scenario_settings``)."""


def locations(scenario: Scenario) -> pd.DataFrame:
    """Districts, sites and options with their names and coordinates (km, the district centre's:
    sites and options stand in their district, an expansion or conversion in its site's; blank
    where the scenario gives no coordinates), in
    the scenario's order: districts, then sites, then options. ``kind`` is ``district``, ``site``
    or the option's kind (build, lease, pavilion, expansion, conversion)."""
    where = {d.district: (d.x_km, d.y_km) for d in scenario.districts}
    home = {s.site: s.district for s in scenario.sites}  # an expansion or conversion stands at its site,
    home.update({o.option: o.district for o in scenario.options if o.district})  # or at the build it extends
    rows = [("district", d.district, d.name, d.district, d.x_km, d.y_km) for d in scenario.districts]
    rows += [("site", s.site, s.name, s.district, *where.get(s.district, (None, None))) for s in scenario.sites]
    for o in scenario.options:
        district = o.district or home.get(o.site or "")
        rows.append((o.kind, o.option, o.name, district, *where.get(district, (None, None))))
    table = pd.DataFrame(rows, columns=["kind", "id", "name", "district", "x_km", "y_km"])
    table["x_km"] = pd.to_numeric(table["x_km"], errors="coerce")
    table["y_km"] = pd.to_numeric(table["y_km"], errors="coerce")
    return table[TABLE_COLUMNS["locations"]]


def scenario_settings(scenario: Scenario) -> dict[str, Any]:
    """The settings of :data:`SETTINGS_KEPT`, plus ``services``: each service's display name and
    unmet penalty (SEK per place-year, or ``"forbidden"``), by service id."""
    settings = scenario.settings.model_dump()
    out: dict[str, Any] = {key: settings[key] for key in SETTINGS_KEPT}
    penalty = {s.service: scenario.unmet_penalty(s.service) for s in scenario.services}
    out["services"] = {
        s.service: {
            "name": s.name or s.service,
            "unmet_penalty": "forbidden" if penalty[s.service] is None else penalty[s.service],
        }
        for s in scenario.services
    }
    return out


def facts(scenario: Scenario) -> dict[str, Any]:
    """The :class:`~allocopt.result.Result` fields these facts fill: ``locations`` and ``scenario_settings``."""
    return {"locations": locations(scenario), "scenario_settings": scenario_settings(scenario)}
