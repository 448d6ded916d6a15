"""What the checker reports: :class:`Violation`, the order of its families, and its tolerances.

Tolerances: places ``1e-6·max(1, |reference|) + 1e-5``; money relative ``1e-6`` (denominator
``max(|value|, 1)``); modules ``1e-6``; years, ids and kinds exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

FAMILIES: tuple[str, ...] = (
    "demand_balance",
    "capacity_limit",
    "module_limit",
    "stays_closed",
    "needs_open_site",
    "conversion_limit",
    "extension_limit",
    "permit_limit",
    "surplus_floor",
    "surplus_ceiling",
    "capex_cap",
    "opex_cap",
    "investment_cap",
    "borrowing_cap",
    "operating_cap",
    "lock_force",
    "single_assign",
    "opening_year",
    "lock_forbid",
    "lock_keep_open",
    "lock_close",
    "close_from",
    "lease_end",
    "reach",
    "unmet_forbidden",
    "balance_table",
    "assignments_table",
    "actions_table",
    "utilisation_table",
    "costs_table",
    "party_costs_table",
    "frames_table",
    "permits_table",
    "surplus_band_table",
    "objective",
)
"""Every family the checker reports, in the order :func:`allocopt.check.check_plan` runs them
(and sorts by)."""

MODULE_TOL = 1e-6
"""Tolerance on a number of modules."""

Reference = float | np.ndarray | pd.Series
"""A reference figure: one number, or an array or Series of them."""


def places_tol(reference: Reference) -> Reference:
    """Absolute tolerance for a place quantity of size ``reference`` (a number or an array)."""
    return 1e-6 * np.maximum(1.0, np.abs(reference)) + 1e-5


def money_tol(reference: Reference) -> Reference:
    """Absolute tolerance for a money figure of size ``reference`` (relative 1e-6; a number or an array)."""
    return 1e-6 * np.maximum(1.0, np.abs(reference))


@dataclass(frozen=True)
class Violation:
    """One broken constraint or inconsistent figure.

    ``keys`` locates it (``district``, ``service``, ``year``, ``site``, ``option``, ``column``);
    ``amount`` is by how much it is broken (places, SEK, modules or years; always ≥ 0).
    """

    family: str
    keys: dict[str, Any] = field(hash=False)
    amount: float
    message: str

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.keys.items())
        return f"{self.family}[{where}]: {self.message} (by {self.amount:.6g})"

    def sort_key(self) -> tuple:
        rank = FAMILIES.index(self.family) if self.family in FAMILIES else len(FAMILIES)
        keys = tuple(
            (k, (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v))) for k, v in sorted(self.keys.items())
        )
        amount = self.amount if not math.isnan(self.amount) else -1.0
        return (rank, self.family, keys, amount, self.message)


def violation(family: str, amount: float, message: str, **keys: Any) -> Violation:
    """A violation with plain Python key values (numpy scalars unwrapped)."""
    clean = {k: (v.item() if hasattr(v, "item") else v) for k, v in keys.items()}
    return Violation(family, clean, float(amount), message)


def cell_size(x: Any) -> float:
    """|x| of a table cell, 0 when blank."""
    try:
        v = abs(float(x))
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(v) else v


def is_whole(x: float) -> bool:
    """A whole number (a year, a count); False for a blank."""
    return math.isfinite(x) and x == round(x)


def is_blank(x: Any) -> bool:
    """A blank cell: None, NaN, NA or ''."""
    return x == "" if isinstance(x, str) else bool(pd.isna(x))


def row_keys(row: dict, columns: list[str]) -> dict[str, Any]:
    """The key cells of a row; a whole year as an int."""
    out = {c: row[c] for c in columns}
    if "year" in out and is_whole(out["year"]):
        out["year"] = int(out["year"])
    return out
