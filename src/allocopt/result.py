"""The outcome of a solve or an evaluation: status, key figures and the tidy result tables.

Every table has explicit columns (:data:`allocopt.tables.TABLE_COLUMNS`, with units); they are
available right after :func:`allocopt.solve` returns. :func:`allocopt.report.save` writes them.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from allocopt import report
from allocopt.headline import key_figures
from allocopt.tables import TABLE_COLUMNS

Status = Literal["optimal", "time_limit", "interrupted", "unverified", "infeasible", "error", "evaluated"]
"""allocopt's own statuses:

- ``optimal``: a plan proven within the requested relative MIP gap;
- ``time_limit``: the time limit was reached with a feasible plan (see ``gap``);
- ``infeasible``: no plan satisfies the constraints (``message`` says which, where known);
- ``error``: the solver failed or stopped without a plan (``message`` says why);
- ``evaluated``: a given plan priced by :func:`allocopt.evaluate`;
- ``interrupted``: the solve was stopped (Ctrl-C, SIGTERM or the caller's ``stop``); the best plan
  found so far, if any, with its gap (``objective`` is None when there was none);
- ``unverified``: the solver returned a plan that the independent checker (:func:`allocopt.check`)
  does not confirm: a broken constraint, or an objective that differs from the solver's by more
  than the gap allows (``message`` and ``violations`` say which). Never saved as a result.
"""

PLAN_STATUSES: tuple[str, ...] = ("optimal", "time_limit", "evaluated")
"""Statuses whose result is a plan allocopt stands behind (saved by ``allocopt solve``)."""


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS[name])


@dataclass
class Result:
    """What a solve or an evaluation found.

    ``objective`` and ``bound`` are discounted total cost in SEK; ``gap`` is the relative gap
    ``|objective - bound| / max(|objective|, 1)``; ``solve_seconds`` is the solver's wall time.
    ``timings`` holds phase wall times in seconds (load, build, solve, results, write);
    ``settings`` how it was solved (time limit in seconds, gap, threads, first plan, formulation);
    ``scenario_settings`` and the ``locations`` table what the reports need of the scenario
    (:mod:`allocopt.scenario_facts`).
    ``solver_log`` is the solver's log of the solve (text; in no result file).
    """

    scenario: str
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float = 0.0
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    scenario_settings: dict = field(default_factory=dict)  # the scenario's own settings (allocopt.scenario_facts)
    violations: list[str] = field(default_factory=list)
    stopped_by: str | None = None  # what interrupted the solve: SIGINT, SIGTERM or caller
    solver_log: str = field(default="", repr=False)
    actions: pd.DataFrame = field(default_factory=lambda: _empty("actions"))
    balance: pd.DataFrame = field(default_factory=lambda: _empty("balance"))
    costs: pd.DataFrame = field(default_factory=lambda: _empty("costs"))
    party_costs: pd.DataFrame = field(default_factory=lambda: _empty("party_costs"))
    frames: pd.DataFrame = field(default_factory=lambda: _empty("frames"))
    utilisation: pd.DataFrame = field(default_factory=lambda: _empty("utilisation"))
    assignments: pd.DataFrame = field(default_factory=lambda: _empty("assignments"))
    diagnosis: pd.DataFrame | None = None  # infeasible: what must give (allocopt.diagnose), else None
    marginal_costs: pd.DataFrame = field(default_factory=lambda: _empty("marginal_costs"))
    binding_caps: pd.DataFrame = field(default_factory=lambda: _empty("binding_caps"))
    unmet_reasons: pd.DataFrame = field(default_factory=lambda: _empty("unmet_reasons"))
    locations: pd.DataFrame = field(default_factory=lambda: _empty("locations"))
    permits: pd.DataFrame = field(default_factory=lambda: _empty("permits"))
    surplus_band: pd.DataFrame = field(default_factory=lambda: _empty("surplus_band"))

    @property
    def has_plan(self) -> bool:
        """True when the result carries a plan (optimal, time-limited, evaluated, or the best plan
        so far of an interrupted solve, or a plan the checker did not confirm)."""
        return self.status in PLAN_STATUSES or (
            self.status in ("interrupted", "unverified") and self.objective is not None
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by name, in a fixed order."""
        return {name: getattr(self, name) for name in TABLE_COLUMNS}

    def summary(self) -> dict:
        """Key figures as plain JSON-ready values."""

        def num(x: float | None) -> float | None:
            return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)

        out: dict = {
            "scenario": self.scenario,
            "status": self.status,
            "message": self.message,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "solve_seconds": round(self.solve_seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "model_size": dict(self.model_size),
            "settings": dict(self.settings),
            "scenario_settings": dict(self.scenario_settings),
        }
        if self.has_plan:
            figures = key_figures(self)
            out["unmet_place_years"] = figures.unmet_place_years
            out["actions"] = int(len(self.actions))
            out["capex_total"] = figures.capex_total
            out["npv_consolidated"] = float(self.costs["discounted"].sum()) if len(self.costs) else 0.0
            out["npv_real_money"] = figures.npv_real_money
            out["penalty_npv"] = figures.penalty_npv
            if len(self.surplus_band):
                out["surplus_band_npv"] = figures.band_npv
            out["npv_by_party"] = figures.npv_by_party
        if self.violations:
            out["violations"] = list(self.violations)
        if self.diagnosis is not None and len(self.diagnosis):
            out["diagnosis"] = self.diagnosis.astype(object).where(self.diagnosis.notna(), None).to_dict("records")
        if self.stopped_by is not None:
            out["stopped_by"] = self.stopped_by
        return _no_negative_zero(out)

    def save(self, directory: str | os.PathLike, *, excel: bool = True) -> Path:
        """Write the result files into ``directory``: :func:`allocopt.report.save`."""
        return report.save(self, directory, excel=excel)


def _no_negative_zero(value):
    """``value`` with every float -0.0 (nested in dicts and lists too) written as 0.0."""
    if isinstance(value, float):
        return value + 0.0
    if isinstance(value, dict):
        return {k: _no_negative_zero(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_negative_zero(v) for v in value]
    return value
