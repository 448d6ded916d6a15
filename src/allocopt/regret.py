"""How each forecast variant's own plan fares when another variant comes true (``allocopt regret``).

For every variant ``u``: its own optimal plan (the variants planned each on its own, as WS in
:mod:`allocopt.robust`), its decisions taken by ``commit_until`` fixed, and every variant ``v``
adapting after ``commit_until`` (the extensive form without ``commit_same``, those decisions fixed
in every block). The result is a ``u × v`` table of cost, regret (cost less ``v``'s optimum: the
cheapest plan found for ``v``, its own or another's adapted, so that no regret is negative when the
solves stop within a gap) and unmet place-years.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from allocopt.forecasts import variant_scenarios
from allocopt.robust import committed, default_commit_until, extensive_form, solve_extensive
from allocopt.scenario import Scenario
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT

REGRET_COLUMNS = ["plan", "forecast", "cost", "regret", "unmet_place_years", "status", "gap"]
"""``table``: the plan of variant ``plan`` (its committed decisions) when ``forecast`` comes true; cost
and regret in SEK (discounted; regret = cost − the forecast's optimum, the cheapest plan found for it),
unmet in place-years,
the status and relative gap of the solve that adapted it."""


@dataclass
class RegretResult:
    """The regret table (:data:`REGRET_COLUMNS`) and each variant's own optimum (SEK)."""

    scenario: str
    commit_until: int
    own: dict[str, float | None] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REGRET_COLUMNS))

    def wide(self, column: str = "cost") -> pd.DataFrame:
        """``column`` as a plan × forecast table."""
        return self.table.pivot(index="plan", columns="forecast", values=column).loc[list(self.own), list(self.own)]

    def save(self, directory: str | os.PathLike) -> Path:
        """Write regret.csv into ``directory``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(out / "regret.csv", index=False)
        return out


def regret(
    scenario: Scenario | str | os.PathLike,
    commit_until: int | None = None,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    mip_gap: float = DEFAULT_MIP_GAP,
    threads: int = DEFAULT_THREADS,
) -> RegretResult:
    """Each variant's own plan, its decisions by ``commit_until`` fixed, under every variant
    (``time_limit`` and ``mip_gap`` per solve: one for the own plans, one per variant)."""
    import pyomo.environ as pyo

    from allocopt.model.readout import read_tables

    if not isinstance(scenario, Scenario):
        from allocopt.load import load_scenario

        scenario = load_scenario(Path(scenario))
    commit = default_commit_until(scenario) if commit_until is None else int(commit_until)
    variants = variant_scenarios(scenario)
    opts = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    ws = extensive_form(variants, None)
    outcome = solve_extensive(ws, **opts)
    out = RegretResult(scenario=scenario.settings.name, commit_until=commit)
    if not outcome.has_plan:
        out.own = {name: None for name in ws.names}
        return out
    out.own = {n: pyo.value(pm.model.total_cost.expr) / pm.money_scale for n, pm in zip(ws.names, ws.plans)}
    fixed_by = {
        n: {d: float(round(v.value or 0.0)) for d, v in committed(pm, commit).items()}
        for n, pm in zip(ws.names, ws.plans)
    }
    rows = []
    for plan, fixed in fixed_by.items():
        ext = extensive_form(variants, None, fixed)
        got = solve_extensive(ext, **opts)
        for name, pm in zip(ext.names, ext.plans, strict=True):
            row = {"plan": plan, "forecast": name, "status": got.status, "gap": got.gap}
            if got.has_plan:
                cost = pyo.value(pm.model.total_cost.expr) / pm.money_scale
                balance = read_tables(pm)["balance"]
                row.update(cost=cost, unmet_place_years=float(balance["unmet"].sum()) if len(balance) else 0.0)
            rows.append(row)
    table = pd.DataFrame(rows, columns=REGRET_COLUMNS)
    # Each solve stops within its gap, so a plan adapted to forecast v may cost less than v's own plan
    # did: v's optimum is the cheapest plan found for it, and no regret is negative.
    best = table.groupby("forecast", sort=False)["cost"].min()
    out.own = {n: min(c for c in (out.own[n], best.get(n)) if c is not None and pd.notna(c)) for n in out.own}
    table["regret"] = table["cost"] - table["forecast"].map(out.own)
    out.table = table
    return out
