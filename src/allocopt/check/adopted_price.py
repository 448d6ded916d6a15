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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from allocopt.check.recompute import Recomputed

CLOSES = ("close", "lease_end")


def deviation_penalty(rc: Recomputed) -> float:
    """The plan's penalty for departing from the adopted plan (SEK, undiscounted); 0 unless
    ``adopted_plan: price`` with an adopted plan."""
    settings = rc.scenario.settings
    if settings.adopted_plan != "price" or not rc.scenario.adopted_plan:
        return 0.0
    per_action, per_year = float(settings.deviation_cost), float(settings.deviation_year_cost)
    after = rc.last + 1
    adopted_open: dict[tuple[str, int], float] = {}
    adopted_close: dict[str, int] = {}
    for row in rc.scenario.adopted_plan:
        if row.action in CLOSES:
            adopted_close[row.site] = min(row.year, adopted_close.get(row.site, row.year))
        elif row.action != "extend":
            key = (row.option, row.year)
            adopted_open[key] = adopted_open.get(key, 0.0) + (1 if row.modules is None else row.modules)
    total = 0.0
    for o in {o for o, _t in adopted_open} | {o for o, _t in rc.build}:
        moved = 0.0
        for y in rc.years:
            plan = sum(m for (oo, t), m in rc.build.items() if oo == o and t <= y)
            adopted = sum(m for (oo, t), m in adopted_open.items() if oo == o and t <= y)
            moved += abs(plan - adopted)
        if moved > 1e-6:
            total += per_action + per_year * moved
    for e in set(adopted_close) | set(rc.close_year):
        moved = abs(rc.close_year.get(e, after) - adopted_close.get(e, after))
        if moved:
            total += per_action + per_year * moved
    return total
