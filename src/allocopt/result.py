"""The outcome of a solve: status, key figures and tidy result tables, and how it is saved.

Every table has explicit columns (below, with units); they are available right after
:func:`allocopt.solve` returns.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

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
    stopped_by: str | None = None  # what interrupted the solve: SIGINT, SIGTERM or caller
    actions: pd.DataFrame = field(default_factory=lambda: _empty("actions"))
    balance: pd.DataFrame = field(default_factory=lambda: _empty("balance"))
    costs: pd.DataFrame = field(default_factory=lambda: _empty("costs"))
    utilisation: pd.DataFrame = field(default_factory=lambda: _empty("utilisation"))
    assignments: pd.DataFrame = field(default_factory=lambda: _empty("assignments"))

    @property
    def has_plan(self) -> bool:
        """True when the result carries a plan (optimal, time-limited, evaluated, or the best plan
        so far of an interrupted solve, or a plan the checker did not confirm)."""
        return self.status in PLAN_STATUSES or (self.status in ("interrupted", "unverified")
                                                and self.objective is not None)

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
        if self.stopped_by is not None:
            out["stopped_by"] = self.stopped_by
        return _no_negative_zero(out)

    def save(self, directory: str | os.PathLike, *, excel: bool = True) -> Path:
        """Write every table as CSV, a workbook ``result.xlsx`` (one sheet per table) and
        ``summary.json`` into ``directory``.

        Files are written to a new folder beside ``directory`` (a unique hidden name) which then
        takes its place in one atomic step (see :func:`allocopt.tables_io.replace_folder`), so a
        reader never sees a half-written result and processes saving to one folder at the same
        time leave exactly one complete result. An existing ``directory`` is replaced only when it
        holds nothing but result files (an earlier result); otherwise :class:`FileExistsError` is
        raised and nothing is touched. Returns the folder.
        """
        from allocopt.report import write_tables  # local: keeps import of allocopt light
        from allocopt.tables_io import replace_folder

        return replace_folder(Path(directory).resolve(), lambda tmp: write_tables(self, tmp, excel=excel),
                              RESULT_FILES, "results")


def write_summary(result: Result, path: Path) -> None:
    """Write ``summary.json`` (sorted keys, fixed float formatting: identical input, identical file)."""
    path.write_text(json.dumps(result.summary(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _no_negative_zero(value):
    """``value`` with every float -0.0 (nested in dicts and lists too) written as 0.0."""
    if isinstance(value, float):
        return value + 0.0
    if isinstance(value, dict):
        return {k: _no_negative_zero(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_negative_zero(v) for v in value]
    return value


# ---------------------------------------------------------------- where results go

RESULTS_DIR = Path("results")
"""Parent of the default results folders, relative to the working directory."""

FOLDER_NAME_LIMIT = 80
"""Most characters of a folder name made from a scenario name (and at most 3 bytes each on average)."""

_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]+')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def folder_name(name: str) -> str:
    """A safe folder name made from a scenario name, which is a label, never a path.

    Unicode NFC; path separators, characters Windows forbids, control and invisible formatting
    characters become ``_``; runs of dots become one; leading dots, spaces, dashes and ``_`` and
    trailing dots and spaces are dropped; Windows device names (``CON``, ``NUL`` ...) get a
    trailing ``_``. A name longer than :data:`FOLDER_NAME_LIMIT` characters is cut and ends in
    ``-`` and 10 hex digits of the full name's SHA-256, so that long names that differ give
    different folders. Nothing left gives ``scenario``.
    """
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = text.lstrip(" ._-").rstrip(" .")
    if text.split(".")[0].upper() in _WINDOWS_DEVICES:
        text += "_"
    if len(text) > FOLDER_NAME_LIMIT or len(text.encode()) > 3 * FOLDER_NAME_LIMIT:
        digest = hashlib.sha256(unicodedata.normalize("NFC", name).encode()).hexdigest()[:10]
        head = text[:FOLDER_NAME_LIMIT - 11]
        while len(head.encode()) > 3 * FOLDER_NAME_LIMIT - 11:
            head = head[:-1]
        text = f"{head.rstrip(' .')}-{digest}"
    return text or "scenario"


def results_folder(name: str) -> Path:
    """The default folder for the results of scenario ``name``: ``results/<folder name>`` (see
    :func:`folder_name`); always inside ``results/``, whatever the name holds."""
    return RESULTS_DIR / folder_name(name)


def check_writable(target: str | os.PathLike) -> None:
    """Raise, naming the folder, when :meth:`Result.save` could not write to ``target``: call it
    before a long solve.

    - FileExistsError: ``target`` is a file, or a folder that holds files other than result files;
    - NotADirectoryError: a file stands where one of its parent folders must be;
    - PermissionError: the folder that would hold it cannot be written to (permissions, a
      read-only file system). This is tried, by creating and removing a folder there, since
      ``os.access`` answers yes to root even on a read-only file system.
    """
    from allocopt.tables_io import check_replaceable, probe_writable

    target = Path(target).absolute()
    check_replaceable(target, RESULT_FILES, "results")
    existing = next(p for p in (target.parent, *target.parent.parents) if os.path.lexists(p))
    if not existing.is_dir():
        raise NotADirectoryError(f"cannot write the results to {target}: {existing} is a file, not a folder")
    probe_writable(existing, target, "results")
    if target.is_dir():
        probe_writable(target, target, "results")

