"""The outcome of a solve: status, key figures and tidy result tables, and how it is saved.

Every table has explicit columns (below, with units); they are available right after
:func:`allocopt.solve` returns.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

Status = Literal["optimal", "time_limit", "infeasible", "error", "evaluated"]
"""allocopt's own statuses:

- ``optimal``: a plan proven within the requested relative MIP gap;
- ``time_limit``: the time limit was reached with a feasible plan (see ``gap``);
- ``infeasible``: no plan satisfies the constraints (``message`` says which, where known);
- ``error``: the solver failed or stopped without a plan (``message`` says why);
- ``evaluated``: a given plan priced by :func:`allocopt.evaluate`.
"""

TABLE_COLUMNS: dict[str, list[str]] = {
    # One row per decision: an option's modules opening in a year, or a site closing in a year.
    # action: build | lease | pavilion | expansion | conversion | close
    # capacity_change (places, nominal, of `service`; negative for a closure: the site's total),
    # capex (SEK, undiscounted, all modules), decision_year (opening year minus lead time),
    # closure_cost and sale_value (SEK, for closures).
    "actions": ["year", "action", "option", "site", "district", "service", "from_service",
                "modules", "capacity_change", "capacity_removed", "capex", "decision_year",
                "closure_cost", "sale_value"],
    # Demand and service per district, service and year (places).
    "balance": ["district", "service", "year", "demand", "served", "unmet"],
    # Costs per year, SEK, undiscounted, except `discounted` (= discount_factor * (capex + opex +
    # rent + closure_cost - sale + travel + penalty), minus discount_factor_end * residual in the
    # last year). Their sum over years is the objective. capex_use / opex_use = spend / cap (share).
    "costs": ["year", "capex", "opex", "rent", "closure_cost", "sale", "travel", "penalty",
              "residual", "discount_factor", "discounted", "capex_cap", "capex_use", "opex_cap",
              "opex_use"],
    # Capacity use per facility (site or new option), service and year (places; utilisation =
    # served / capacity, nominal). kind: site | build | lease | pavilion. open: 1 if in service.
    "utilisation": ["site", "kind", "district", "service", "year", "open", "capacity", "usable",
                    "served", "utilisation"],
    # Places of each district's demand served at each facility (site or option id), with km.
    "assignments": ["district", "site", "service", "year", "places", "km"],
}

RESULT_FILES: tuple[str, ...] = tuple(f"{t}.csv" for t in TABLE_COLUMNS) + ("result.xlsx", "summary.json")
"""Files :meth:`Result.save` writes."""


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=TABLE_COLUMNS[name])


@dataclass
class Result:
    """What a solve or an evaluation found.

    ``objective`` and ``bound`` are discounted total cost in SEK; ``gap`` is the relative gap
    ``|objective - bound| / max(|objective|, 1)``; ``solve_seconds`` is the solver's wall time.
    ``timings`` holds phase wall times in seconds (load, build, solve, results, write);
    ``settings`` how it was solved (time limit in seconds, gap, threads, first plan, formulation).
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
    violations: list[str] = field(default_factory=list)
    actions: pd.DataFrame = field(default_factory=lambda: _empty("actions"))
    balance: pd.DataFrame = field(default_factory=lambda: _empty("balance"))
    costs: pd.DataFrame = field(default_factory=lambda: _empty("costs"))
    utilisation: pd.DataFrame = field(default_factory=lambda: _empty("utilisation"))
    assignments: pd.DataFrame = field(default_factory=lambda: _empty("assignments"))

    @property
    def has_plan(self) -> bool:
        """True when the result carries a plan (optimal, time-limited or evaluated)."""
        return self.status in ("optimal", "time_limit", "evaluated")

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
        }
        if self.has_plan:
            out["unmet_place_years"] = float(self.balance["unmet"].sum()) if len(self.balance) else 0.0
            out["actions"] = int(len(self.actions))
            out["capex_total"] = float(self.costs["capex"].sum()) if len(self.costs) else 0.0
        if self.violations:
            out["violations"] = list(self.violations)
        return out

    def save(self, directory: str | os.PathLike, *, excel: bool = True) -> Path:
        """Write every table as CSV, a workbook ``result.xlsx`` (one sheet per table) and
        ``summary.json`` into ``directory``.

        Files are written to a temporary folder beside ``directory`` and moved into place only
        when all are complete, so a reader never sees a half-written result. An existing
        ``directory`` is replaced only when it holds nothing but result files (an earlier
        result); otherwise :class:`FileExistsError` is raised and nothing is touched. Returns
        the folder.
        """
        from allocopt.report import write_tables  # local: keeps import of allocopt light

        target = Path(directory).resolve()
        if target.exists():
            foreign = sorted(p.name for p in target.iterdir() if p.name not in RESULT_FILES) \
                if target.is_dir() else [target.name]
            if foreign:
                raise FileExistsError(
                    f"{target} exists and holds other files ({', '.join(foreign[:5])}); "
                    "choose an empty or new folder for the results")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            write_tables(self, tmp, excel=excel)
            backup = None
            if target.exists():
                backup = target.with_name(f".{target.name}.old")
                if backup.exists():
                    shutil.rmtree(backup)
                target.rename(backup)
            tmp.rename(target)
            if backup is not None:
                shutil.rmtree(backup)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target


def write_summary(result: Result, path: Path) -> None:
    """Write ``summary.json`` (sorted keys, fixed float formatting: identical input, identical file)."""
    path.write_text(json.dumps(result.summary(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
