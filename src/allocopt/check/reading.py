"""The result tables as the checker reads them: every column present, numbers as floats.

A table made by hand (or damaged) may miss columns or hold text where numbers belong; the
checker reads it all the same and reports what is wrong instead of failing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from allocopt.tables import TABLE_COLUMNS

if TYPE_CHECKING:
    from allocopt.result import Result

COMPARED_COLUMNS: list[str] = [c for c in TABLE_COLUMNS["costs"] if c != "year"]
"""Every ``Result.costs`` column the checker recomputes and compares."""


def numeric(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of ``df`` with ``columns`` as floats (blank or text → NaN; a missing column → NaN)
    and a fresh 0 … n−1 index."""
    df = df.reset_index(drop=True)
    for c in columns:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float) if c in df else math.nan
    return df


TEXT_COLUMNS: frozenset[str] = frozenset(
    {
        "action",
        "option",
        "site",
        "district",
        "service",
        "from_service",
        "kind",
        "party",
        "frame",
        "cheapest_module_option",
        "reason",
        "detail",
        "id",
        "name",
    }
)
"""Result-table columns that hold ids and kinds; every other column holds numbers."""

FLAG_COLUMNS: frozenset[str] = frozenset({"binding"})
"""Result-table columns that hold True/False (written so in the CSVs)."""

NUMERIC_COLUMNS: dict[str, list[str]] = {
    name: [c for c in columns if c not in TEXT_COLUMNS] for name, columns in TABLE_COLUMNS.items()
}
"""The columns of each result table that hold numbers (the others hold ids and kinds)."""

UTILISATION_KEYS: list[str] = ["site", "service", "year"]
"""The key columns of the utilisation table (``site`` is any facility: a site or a new option)."""


def table(result: Result, name: str) -> pd.DataFrame:
    """Result table ``name`` as the checker reads it: every column of ``TABLE_COLUMNS[name]``
    (a missing one blank), :data:`NUMERIC_COLUMNS` as floats (see :func:`numeric`)."""
    df = numeric(getattr(result, name), NUMERIC_COLUMNS[name])
    for c in TABLE_COLUMNS[name]:
        if c not in df:
            df[c] = None
    return df


def whole(values: pd.Series) -> pd.Series:
    """Where ``values`` (floats) are whole numbers (a year, a count); False where blank."""
    return values.notna() & np.isfinite(values) & (values == values.round())
