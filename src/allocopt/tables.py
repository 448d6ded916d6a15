"""The result tables' schema: every table's columns, with units, and the files a result folder holds.

:mod:`allocopt.result` (the :class:`~allocopt.result.Result` that holds the tables),
:mod:`allocopt.model.readout` (which fills them from a solved model), :mod:`allocopt.report`
(which writes them) and :mod:`allocopt.check` (which reads them back) all take the columns from
here.
"""

from __future__ import annotations

TABLE_COLUMNS: dict[str, list[str]] = {
    # One row per decision: an option's modules opening in a year, or a site closing in a year.
    # action: build | lease | pavilion | expansion | conversion | extend | close | lease_end
    # (extend: modules of a lease or pavilion kept one more year after their term, `year` that year)
    # (lease_end: a leased site first closed in a year after its lease_end, its lease run out or not
    # renewed, at no closure cost; close: any other closure, a lease broken before its end included)
    # capacity_change (places, nominal, of `service`; negative for a closure: the site's total),
    # capex (SEK, undiscounted, all modules, with the cost overrun allowance), decision_year
    # (opening year minus lead time), closure_cost and sale_value (SEK, for closures).
    "actions": [
        "year",
        "action",
        "option",
        "site",
        "district",
        "service",
        "from_service",
        "modules",
        "capacity_change",
        "capacity_removed",
        "capex",
        "decision_year",
        "closure_cost",
        "sale_value",
    ],
    # Demand and service per district, service and year (places).
    "balance": ["district", "service", "year", "demand", "served", "unmet"],
    # Costs per year of both parties together (the group), SEK, undiscounted, except `discounted`
    # (= discount_factor * (capex + opex + rent + closure_cost - sale + vacancy_cost - relet_income +
    # travel + penalty), minus discount_factor_end * residual in the last year; internal rent cancels
    # out). Their sum over years is the consolidated NPV, the objective of perspective consolidated.
    # penalty: the notional costs, the unmet-demand penalty plus the surplus band's cost (surplus_band).
    # capex_use / opex_use = spend / cap (share).
    "costs": [
        "year",
        "capex",
        "opex",
        "rent",
        "closure_cost",
        "sale",
        "vacancy_cost",
        "relet_income",
        "travel",
        "penalty",
        "residual",
        "discount_factor",
        "discounted",
        "capex_cap",
        "capex_use",
        "opex_cap",
        "opex_use",
    ],
    # The same per party (municipality, property_company) and year, SEK: rent is external rent;
    # internal_rent is paid by the municipality (+) and received by the property company (-).
    # Σ discounted of a party is its NPV; of the municipality, the objective of perspective municipality.
    "party_costs": [
        "year",
        "party",
        "capex",
        "opex",
        "rent",
        "internal_rent",
        "closure_cost",
        "sale",
        "vacancy_cost",
        "relet_income",
        "travel",
        "penalty",
        "residual",
        "discount_factor",
        "discounted",
    ],
    # Each frame of the budget per year: whose (party: group, municipality, property_company), what
    # it counts (spend, SEK: capex_cap group capex; opex_cap group opex + external rent;
    # investment_cap the property company's capex; borrowing_cap its debt at the year's end;
    # operating_cap the municipality's opex + external rent + internal rent + vacancy cost),
    # the cap (SEK, blank: none) and use = spend / cap.
    "frames": ["year", "frame", "party", "spend", "cap", "use"],
    # Capacity use per facility (site or new option), service and year (places; utilisation =
    # served / capacity, nominal). kind: site | build | lease | pavilion. open: 1 if in service.
    "utilisation": [
        "site",
        "kind",
        "district",
        "service",
        "year",
        "open",
        "capacity",
        "usable",
        "served",
        "utilisation",
    ],
    # Places of each district's demand served at each facility (site or option id), with km.
    "assignments": ["district", "site", "service", "year", "places", "km"],
    # What one more place of demand costs with the chosen premises (allocopt.marginal): the dual of
    # demand_balance in the fixed LP, SEK per place in the year's money and discounted, and the
    # cheapest additional module within reach, SEK per usable place and year in service.
    "marginal_costs": [
        "district",
        "service",
        "year",
        "sek_per_place",
        "sek_per_place_discounted",
        "cheapest_module_option",
        "cheapest_module_sek_per_place",
    ],
    # Each capped frame and year: spend, cap and slack (SEK), whether it binds, and a binding
    # frame's shadow price in the LP relaxation (SEK of NPV per SEK of frame; 0 where it has slack).
    "binding_caps": ["frame", "year", "spend", "cap", "slack", "binding", "dual_sek_per_sek"],
    # Why places go unmet, per district, service and year with unmet places: reason (no facility
    # within reach | capacity within reach exhausted | cheaper to pay the penalty) and a detail.
    "unmet_reasons": ["district", "service", "year", "unmet", "reason", "detail"],
    # Each lease or pavilion option under a temporary building permit with premises on its plot (before
    # the first year or in the plan), and each existing site under one (option blank; service blank):
    # permit_years (the permit, years in all), used_years (used before the first year), years_in_service
    # (years of the horizon with a module in service, or the site open), remaining_years (the permit less
    # the years the longest-standing module, or the site, has stood by its last year in service, the
    # years used included) and limit_year (the first year a module or the site reaches the permit;
    # blank: not within the horizon).
    "permits": [
        "option",
        "site",
        "district",
        "service",
        "permit_years",
        "used_years",
        "years_in_service",
        "remaining_years",
        "limit_year",
    ],
    # Spare capacity per district, service and year, for services with a surplus band (places): demand,
    # usable (u_s · the district's own nominal capacity), spare = usable − demand, the band's floor
    # (surplus_min · demand) and ceiling (surplus_max · demand; blank where the service sets none), under
    # (places short of the floor), over (places above the ceiling), class (under capacity | within band |
    # surplus) and cost (SEK, undiscounted: surplus_cost · (under + over)).
    "surplus_band": [
        "district",
        "service",
        "year",
        "demand",
        "usable",
        "spare",
        "floor",
        "ceiling",
        "under",
        "over",
        "class",
        "cost",
    ],
    # Where the scenario's districts, sites and options are, copied from the scenario for the reports
    # (allocopt.scenario_facts): kind (district | site | build | lease | pavilion | expansion |
    # conversion), id, display name, district, and the district centre's coordinates (km; blank
    # where the scenario gives none).
    "locations": ["kind", "id", "name", "district", "x_km", "y_km"],
}

ANALYSIS_TABLES: tuple[str, ...] = ("marginal_costs", "binding_caps", "unmet_reasons")
"""Tables that explain a plan rather than state it (allocopt.marginal, from LPs around the plan):
the checker does not recompute them, and a result folder written before them is read without."""

SCENARIO_TABLES: tuple[str, ...] = ("locations",)
"""Tables copied from the scenario rather than read from the plan: the checker does not read them,
and a result folder written before them is read without."""

CLOSURES: tuple[str, ...] = ("close", "lease_end")
"""Actions that close a site or end a lease (matched by site); every other action opens modules
(matched by option)."""

CHANGE_COLUMNS: list[str] = [
    "change",
    "action",
    "option",
    "site",
    "district",
    "service",
    "from_year",
    "to_year",
    "from_modules",
    "to_modules",
]
"""How one plan's decision differs from another's (allocopt.compare's changes, allocopt.adopted's
deviations): change (added | removed | moved | resized; dropped for an adopted action), the action,
its option or site, district and service, and each plan's year and modules (calendar years, modules)."""

FEATURE_TABLES: tuple[str, ...] = ("permits", "surplus_band")
"""Tables of model features a scenario may not use (temporary permits, surplus bands): empty then,
and a result folder written before them is read without."""

OPTIONAL_TABLES: tuple[str, ...] = ANALYSIS_TABLES + SCENARIO_TABLES + FEATURE_TABLES
"""Tables a result folder may lack (written by an earlier allocopt): read as empty tables."""

RESULT_FILES: tuple[str, ...] = tuple(f"{t}.csv" for t in TABLE_COLUMNS) + ("result.xlsx", "summary.json")
"""Files :func:`allocopt.report.save` writes into a result folder."""

RESULT_FOLDER_FILES: tuple[str, ...] = RESULT_FILES + ("report.html",)
"""Files a result folder may hold: :data:`RESULT_FILES` and the HTML report (``allocopt report``,
``allocopt solve --report``), so that saving a result again replaces a folder holding a report."""
