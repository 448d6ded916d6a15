"""The independent plan checker: every constraint family, every cost and every result table, checked.

``check_plan(scenario, result)`` reads the plan off ``result.actions`` and compares it, and the
result tables, with what :mod:`allocopt.check.recompute` re-derives from the scenario alone
(``build``, ``active``, ``open``, ``capacity``, demand, km, the utilisation the plan implies,
costs per year and the objective; never through the model, the solver or their index and demand
code). It returns the violations and the recomputed objective; ``check`` returns the violations.

Each family is one function ``check_<family>(rc)``; :func:`check_plan` calls them in the order
of :data:`FAMILIES`. The families of ``models/premises.md`` keep their names; the checker adds
``opening_year``, ``lock_forbid``, ``lock_keep_open``, ``lock_close``, ``close_from``,
``lease_end`` (a non-renewable lease not closed by ``lease_end + 1``), ``reach``,
``unmet_forbidden``, the table families ``balance_table``, ``assignments_table``,
``actions_table``, ``utilisation_table``, ``costs_table``, ``party_costs_table``,
``frames_table``, ``permits_table`` and ``surplus_band_table``, and ``objective``.

Which family checks each column of each table (:data:`allocopt.tables.TABLE_COLUMNS`); every
table family also reports rows for unknown ids or for years that are not planning years, rows
given twice, rows missing, and blanks where a number is due:

- ``actions``: read as the plan (``year``, ``action``, ``option``, ``site``, ``modules``) by
  every constraint family; each row by ``actions_table`` (a known option of that kind in whole
  modules, once per option and year; ``site``, ``district``, ``service``, ``from_service``,
  ``capacity_change``, ``capacity_removed``, ``capex``, ``decision_year``, ``closure_cost``,
  ``sale_value`` as the scenario gives them, blank where they do not apply); ``extend`` rows
  by ``actions_table`` (a known option, once per option and year) and ``extension_limit``; closures by
  ``stays_closed`` (a known site, in the horizon, closed once).
- ``balance``: every column by ``balance_table`` (``demand`` as recomputed, ``served`` =
  Σ assignments, ``unmet`` a number ≥ 0); ``unmet`` also by ``demand_balance``,
  ``unmet_forbidden``, ``single_assign`` and, priced, ``costs_table`` (``penalty``).
- ``costs``: every column by ``costs_table``, per year as recomputed (``capex_cap``,
  ``capex_use``, ``opex_cap``, ``opex_use`` blank where the budget has no cap).
- ``party_costs``: every column by ``party_costs_table``, per year and party as recomputed;
  Σ ``discounted`` of the perspective's parties by ``objective``.
- ``frames``: every column by ``frames_table``, per year and frame as recomputed (``cap`` and
  ``use`` blank where the budget has no cap); the spend against the caps by ``capex_cap``,
  ``opex_cap``, ``investment_cap``, ``borrowing_cap`` and ``operating_cap``.
- ``utilisation``: every column by ``utilisation_table`` (a row per facility, service and year
  with capacity or use; ``kind``, ``district``, ``open``, ``capacity``, ``usable``, ``served``,
  ``utilisation`` as recomputed from the scenario, the actions and the assignments).
- ``assignments``: every column by ``assignments_table`` (known ids, a planning year, ``places``
  ≥ 0, ``km`` as recomputed); ``places`` also by ``demand_balance``, ``capacity_limit``,
  ``single_assign``, ``reach`` and, priced, ``costs_table`` (``travel``).
- ``permits``: every column by ``permits_table`` (:mod:`~allocopt.check.features`; a result
  without the table is checked by ``permit_limit`` alone).
- ``surplus_band``: ``under`` by ``surplus_floor``, ``over`` by ``surplus_ceiling``, every other
  column by ``surplus_band_table`` (:mod:`~allocopt.check.band`); its cost also by ``costs_table``
  (``penalty``, with the unmet-demand penalty).
- ``Result.objective``: ``objective`` (the sum of the recomputed ``discounted``).

Tolerances: places ``1e-6·max(1, |reference|) + 1e-5``; money relative ``1e-6`` (denominator
``max(|value|, 1)``); modules ``1e-6``; years, ids and kinds exact. ``amount`` is in places,
SEK, modules or years as fits the family (stated in each function).

The modules: :mod:`~allocopt.check.violations` (:class:`Violation`, :data:`FAMILIES`, the
tolerances), :mod:`~allocopt.check.reading` (the result tables as the checker reads them),
:mod:`~allocopt.check.recompute` and :mod:`~allocopt.check.cost_rules` (what the plan implies),
:mod:`~allocopt.check.families` (the constraint families) and :mod:`~allocopt.check.tables` (the
table families and the objective). A new family is a ``check_<family>`` function in one of the
last two, added to :data:`FAMILIES` and to :data:`CHECKS` at the same position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from allocopt.check.band import check_surplus_band_table, check_surplus_ceiling, check_surplus_floor
from allocopt.check.families import (
    check_borrowing_cap,
    check_capacity_limit,
    check_capex_cap,
    check_close_from,
    check_conversion_limit,
    check_demand_balance,
    check_extension_limit,
    check_investment_cap,
    check_lease_end,
    check_lock_close,
    check_lock_forbid,
    check_lock_force,
    check_lock_keep_open,
    check_module_limit,
    check_needs_open_site,
    check_opening_year,
    check_operating_cap,
    check_opex_cap,
    check_reach,
    check_single_assign,
    check_stays_closed,
    check_unmet_forbidden,
)
from allocopt.check.features import check_permit_limit, check_permits_table
from allocopt.check.recompute import recompute
from allocopt.check.tables import (
    check_actions_table,
    check_assignments_table,
    check_balance_table,
    check_costs_table,
    check_frames_table,
    check_objective,
    check_party_costs_table,
    check_utilisation_table,
)
from allocopt.check.violations import FAMILIES, Violation

if TYPE_CHECKING:
    from allocopt.result import Result
    from allocopt.scenario import Scenario

__all__ = ["CHECKS", "FAMILIES", "CheckReport", "Violation", "check", "check_plan"]


CHECKS = (
    check_demand_balance,
    check_capacity_limit,
    check_module_limit,
    check_stays_closed,
    check_needs_open_site,
    check_conversion_limit,
    check_extension_limit,
    check_permit_limit,
    check_surplus_floor,
    check_surplus_ceiling,
    check_capex_cap,
    check_opex_cap,
    check_investment_cap,
    check_borrowing_cap,
    check_operating_cap,
    check_lock_force,
    check_single_assign,
    check_opening_year,
    check_lock_forbid,
    check_lock_keep_open,
    check_lock_close,
    check_close_from,
    check_lease_end,
    check_reach,
    check_unmet_forbidden,
    check_balance_table,
    check_assignments_table,
    check_actions_table,
    check_utilisation_table,
    check_costs_table,
    check_party_costs_table,
    check_frames_table,
    check_permits_table,
    check_surplus_band_table,
    check_objective,
)
"""The family checks, in the order of :data:`FAMILIES`."""


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_plan` found: the violations (sorted as :func:`check` returns them) and the
    objective recomputed from the result tables and the scenario (SEK; None without a plan)."""

    violations: list[Violation]
    objective: float | None


def check_plan(scenario: Scenario, result: Result) -> CheckReport:
    """Check the plan in ``result`` against ``scenario``: every violation, sorted by family (in
    the order of :data:`FAMILIES`) and keys, and the objective recomputed from the tables."""
    if not result.has_plan:
        return CheckReport([], None)
    rc = recompute(scenario, result)
    return CheckReport(sorted((v for fn in CHECKS for v in fn(rc)), key=Violation.sort_key), rc.objective)


def check(scenario: Scenario, result: Result) -> list[Violation]:
    """Every violation of the plan in ``result`` against ``scenario``, sorted by family (in the
    order of :data:`FAMILIES`) and keys; ``[]`` for a sound plan and for a result without a plan
    (``check_plan(scenario, result).violations``)."""
    return check_plan(scenario, result).violations
