"""The adopted plan's price as the checker recomputes it (``adopted_plan: price``, models/premises.md
*Adopted plan*): from the scenario's ``adopted_plan`` rows and the plan read off the actions, never through
the model or allocopt.adopted.

Per option ``o``: ``moved_o = Σ_y |Σ_{t ≤ y} build[o,t] − Σ_{t ≤ y} adopted[o,t]|`` module-years (``extend`` rows
are not openings); per site ``e``: ``moved_e = |first closed year − adopted first closed year|`` years (never
closed: the year after the horizon). The penalty is ``Σ (deviation_cost · [moved > 0] + deviation_year_cost ·
moved)`` in SEK, undiscounted, added to the objective beside the parties' discounted costs (it is in none of
the cost tables: notional, never paid).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from allocopt.check.cost_rules import CLOSURE_ACTIONS

if TYPE_CHECKING:
    from allocopt.check.recompute import Recomputed


def deviation_penalty(rc: Recomputed) -> float:
    """The plan's penalty for departing from the adopted plan (SEK, undiscounted); 0 unless
    ``adopted_plan: price`` with an adopted plan."""
    settings = rc.scenario.settings
    if settings.adopted_plan != "price" or not rc.scenario.adopted_plan:
        return 0.0
    per_action, per_year = float(settings.deviation_cost), float(settings.deviation_year_cost)
    after = rc.last + 1
    adopted_open: dict[str, dict[int, float]] = defaultdict(dict)  # option -> year -> modules opened
    adopted_close: dict[str, int] = {}
    for row in rc.scenario.adopted_plan:
        if row.action in CLOSURE_ACTIONS:
            adopted_close[row.site] = min(row.year, adopted_close.get(row.site, row.year))
        elif row.action != "extend":
            opened = adopted_open[row.option]
            opened[row.year] = opened.get(row.year, 0.0) + (1 if row.modules is None else row.modules)
    plan_open: dict[str, dict[int, float]] = defaultdict(dict)
    for (o, t), m in rc.build.items():
        plan_open[o][t] = m
    total = 0.0
    for o in set(adopted_open) | set(plan_open):
        moved = _module_years_apart(plan_open.get(o, {}), adopted_open.get(o, {}), rc.years)
        if moved > 1e-6:
            total += per_action + per_year * moved
    for e in set(adopted_close) | set(rc.close_year):
        moved = abs(rc.close_year.get(e, after) - adopted_close.get(e, after))
        if moved:
            total += per_action + per_year * moved
    return total


def _module_years_apart(plan: dict[int, float], adopted: dict[int, float], years: list[int]) -> float:
    """``Σ_y |Σ_{t ≤ y} plan[t] − Σ_{t ≤ y} adopted[t]|`` over ``years`` (modules opened by year)."""
    moved = 0.0
    for y in years:
        moved += abs(sum(m for t, m in plan.items() if t <= y) - sum(m for t, m in adopted.items() if t <= y))
    return moved
