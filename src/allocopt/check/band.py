"""The surplus band, checked on the plan: ``surplus_floor``, ``surplus_ceiling`` and the ``surplus_band`` table.

For every district, service with a band and year with demand, :func:`band_rows` recomputes from the
utilisation the plan implies (:attr:`~allocopt.check.recompute.Recomputed.implied`) the district's
usable places, its spare places (usable − demand), the band's floor and ceiling (``surplus_min`` and
``surplus_max`` times demand), the places short of the floor and beyond the ceiling, the class and the
cost (``surplus_cost`` per place-year). The cost counts in the ``penalty`` column of the costs tables
(:mod:`allocopt.check.money`). A result without a ``surplus_band`` table (a result folder written
without it) has its band's cost checked through ``costs_table`` alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from allocopt.check.violations import Violation, money_tol, places_tol, violation

if TYPE_CHECKING:
    from allocopt.check.recompute import Recomputed

CLASSES: tuple[str, str, str] = ("under capacity", "within band", "surplus")
"""A district-year's class: short of the floor, within the band, beyond the ceiling."""

PLACE_EPS = 1e-9
"""Demand below this many places counts as none (no band row), as in the model."""

KEYS: list[str] = ["district", "service", "year"]
NUMBERS: tuple[str, ...] = ("demand", "usable", "spare", "floor", "ceiling", "under", "over", "cost")
"""The numeric columns of the ``surplus_band`` table (places; ``cost`` in SEK)."""


def band_rows(rc: Recomputed) -> pd.DataFrame:
    """The surplus_band table the plan implies, indexed by (district, service, year); empty without a band."""
    banded = {s: v for s, v in rc.services.items() if v.surplus_min is not None or v.surplus_max is not None}
    demand = rc.demand[rc.demand.index.get_level_values("service").isin(list(banded))]
    demand = demand[demand > PLACE_EPS]
    if not len(demand):
        return pd.DataFrame(columns=[*NUMBERS, "class"], index=pd.MultiIndex.from_tuples([], names=KEYS))
    implied = rc.implied.reset_index()
    usable = implied.groupby(["district", "service", "year"])["usable"].sum()
    f = demand.rename("demand").to_frame()
    f["usable"] = usable.reindex(f.index, fill_value=0.0).to_numpy()
    f["spare"] = f["usable"] - f["demand"]
    services = f.index.get_level_values("service")
    low = services.map(lambda s: np.nan if banded[s].surplus_min is None else banded[s].surplus_min).astype(float)
    high = services.map(lambda s: np.nan if banded[s].surplus_max is None else banded[s].surplus_max).astype(float)
    f["floor"] = low.to_numpy() * f["demand"]
    f["ceiling"] = high.to_numpy() * f["demand"]
    f["under"] = (f["floor"] - f["spare"]).clip(lower=0.0).fillna(0.0)
    f["over"] = (f["spare"] - f["ceiling"]).clip(lower=0.0).fillna(0.0)
    rate = services.map(lambda s: banded[s].surplus_cost).astype(float).to_numpy()
    f["cost"] = rate * (f["under"] + f["over"])
    f["class"] = np.where(
        f["under"] > places_tol(f["demand"]),
        CLASSES[0],
        np.where(f["over"] > places_tol(f["demand"]), CLASSES[2], CLASSES[1]),
    )
    return f


def band_cost_per_year(rc: Recomputed) -> pd.Series:
    """Σ cost of the band per planning year (SEK, undiscounted)."""
    f = band_rows(rc)
    if not len(f):
        return pd.Series(0.0, index=rc.years)
    return f["cost"].groupby(level="year").sum().reindex(rc.years, fill_value=0.0).astype(float)


def _given(rc: Recomputed) -> pd.DataFrame:
    """The result's surplus_band table, numbers as floats, indexed by its keys (whole years only)."""
    have = getattr(rc.result, "surplus_band", None)
    if have is None or not len(have):
        return pd.DataFrame()
    f = have.reset_index(drop=True).copy()
    for c in (*NUMBERS, "year"):
        f[c] = pd.to_numeric(f[c], errors="coerce").astype(float) if c in f else math.nan
    f = f[f["year"].notna() & (f["year"] == f["year"].round())]
    f["year"] = f["year"].astype(int)
    return f.set_index(KEYS)


def _slack(rc: Recomputed, family: str, column: str, what: str) -> list[Violation]:
    """The table's ``column`` (places) against the slack the plan implies (amount: places)."""
    want, have = band_rows(rc), _given(rc)
    if not len(have) or not len(want):
        return []
    out = []
    for key, got in have[column].items():
        if key not in want.index:
            continue
        expected = want.at[key, column]
        if math.isnan(got) or abs(got - expected) > places_tol(expected):
            out.append(
                violation(
                    family,
                    abs(got - expected) if not math.isnan(got) else expected,
                    f"{column} {got:.6g} places, the plan's {what} {expected:.6g}",
                    **dict(zip(KEYS, key)),
                )
            )
    return out


def check_surplus_floor(rc: Recomputed) -> list[Violation]:
    """surplus_under[d,s,y] = max(0, surplus_min·demand − spare): the table's ``under`` (amount: places)."""
    return _slack(rc, "surplus_floor", "under", "places short of the floor")


def check_surplus_ceiling(rc: Recomputed) -> list[Violation]:
    """surplus_over[d,s,y] = max(0, spare − surplus_max·demand): the table's ``over`` (amount: places)."""
    return _slack(rc, "surplus_ceiling", "over", "places beyond the ceiling")


def check_surplus_band_table(rc: Recomputed) -> list[Violation]:
    """The surplus_band table: one row per district, service with a band and year with demand (none
    unknown, none twice, none missing); demand, usable, spare, floor, ceiling (blank without one) and
    cost as recomputed, the class as the slacks say (amount: places or SEK). Skipped for a result
    without the table."""
    want, have = band_rows(rc), _given(rc)
    if not len(have):
        return []
    out = []
    for key in have.index[have.index.duplicated()].unique():
        out.append(violation("surplus_band_table", 0.0, "a second row for these keys", **dict(zip(KEYS, key))))
    have = have[~have.index.duplicated()]
    for key in have.index.difference(want.index):
        out.append(
            violation(
                "surplus_band_table",
                0.0,
                "no district-year of a service with a band and demand",
                **dict(zip(KEYS, key)),
            )
        )
    for key in want.index.difference(have.index):
        out.append(violation("surplus_band_table", 0.0, "no row", **dict(zip(KEYS, key))))
    both = have.index.intersection(want.index)
    for column in (*NUMBERS, "class"):
        if column in ("under", "over"):
            continue  # surplus_floor, surplus_ceiling
        for key in both:
            got, expected = have.at[key, column], want.at[key, column]
            if column == "class":
                bad, size = got != expected, 0.0
            elif isinstance(expected, float) and math.isnan(expected):
                bad, size = not (isinstance(got, float) and math.isnan(got)), 0.0
            else:
                tol = money_tol(expected) if column == "cost" else places_tol(expected)
                bad = math.isnan(got) or abs(got - expected) > tol
                size = 0.0 if math.isnan(got) else abs(got - expected)
            if bad:
                out.append(
                    violation(
                        "surplus_band_table",
                        size,
                        f"{column} {got}, recomputed {expected}",
                        column=column,
                        **dict(zip(KEYS, key)),
                    )
                )
    return out
