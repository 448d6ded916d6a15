"""``result.xlsx``: a result as a workbook for people to read.

Sheets: ``summary`` first (the headline, notes on the units and on when capex is paid, the
scenario's and the solve's settings, what the model leaves out: :mod:`allocopt.workbook_summary`),
then one sheet per result table (:data:`allocopt.tables.TABLE_COLUMNS`), each with a bold, frozen
header row, an auto-filter, columns sized to their content and every number formatted by its
unit (:data:`COLUMN_UNITS`):

- money as MSEK with one decimal: the cell holds SEK / 1e6, the header says ``capex (MSEK)``; the
  unmet-demand penalty, which is never paid, is headed ``penalty (MSEK, notional)``;
- places as whole numbers (the cell keeps the exact value), shares as percentages, years as plain
  integers, km with one decimal; prices per place stay in SEK (``SEK per place``).

Language: the summary's labels follow :func:`allocopt.headline.language` (English or Swedish);
sheet names and the tables' headers are the tables' English column ids with their unit, the same
ids as in the CSV files (which keep raw SEK), so that a reader can match the two.

The same result gives byte-identical files: the zip entries' dates and the core properties'
times are pinned (:func:`save_pinned`). Every text cell is stored as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from allocopt.writers import excel_value, mark_text_cells

if TYPE_CHECKING:
    from allocopt.result import Result

FIXED_TIME = dt.datetime(2000, 1, 1)
"""Timestamp written into workbooks, so that identical results give identical files."""


@dataclass(frozen=True)
class Unit:
    """How a column of one unit is shown: ``cell = value * scale``, headed ``<column> (<label>)``."""

    label: str | None  # shown after the column id; None: the id alone (years, or a unit the id states)
    number_format: str  # Excel number format of the cells
    scale: float = 1.0  # factor from the table's value to the cell's


UNITS: dict[str, Unit] = {
    "money": Unit("MSEK", "#,##0.0", 1e-6),
    "penalty": Unit("MSEK, notional", "#,##0.0", 1e-6),
    "discounted": Unit("MSEK, incl. penalty", "#,##0.0", 1e-6),
    "capex_whole": Unit("MSEK, whole project", "#,##0.0", 1e-6),
    "places": Unit("places", "#,##0"),
    "modules": Unit(None, "#,##0"),
    "flag": Unit("1 = yes", "0"),
    "share": Unit("%", "0.0%"),
    "year": Unit(None, "0"),
    "km": Unit(None, "#,##0.0"),
    "factor": Unit("factor", "0.0000"),
    "sek_per_place": Unit("SEK per place", "#,##0"),
    "sek_per_place_year": Unit("SEK per place and year", "#,##0"),
    "ratio": Unit(None, "0.000"),
}
"""Every unit a result column is shown in."""

_MONEY = (
    "capex opex rent internal_rent closure_cost sale sale_value vacancy_cost relet_income travel residual "
    "capex_cap opex_cap spend cap slack"
)
COLUMN_UNITS: dict[str, str] = {
    **dict.fromkeys(_MONEY.split(), "money"),
    **dict.fromkeys("capacity_change capacity_removed demand served unmet capacity usable places".split(), "places"),
    **dict.fromkeys("year decision_year".split(), "year"),
    **dict.fromkeys("capex_use opex_use use utilisation".split(), "share"),
    **dict.fromkeys("km x_km y_km".split(), "km"),
    **dict.fromkeys("sek_per_place sek_per_place_discounted".split(), "sek_per_place"),
    "cheapest_module_sek_per_place": "sek_per_place_year",
    "penalty": "penalty",
    "discounted": "discounted",
    "discount_factor": "factor",
    "modules": "modules",
    "open": "flag",
    "dual_sek_per_sek": "ratio",
}
"""The unit of every numeric result column, by column id (the same id means the same unit in every
table; units as in :data:`allocopt.tables.TABLE_COLUMNS`); columns not named here are text."""

TABLE_UNITS: dict[tuple[str, str], str] = {("actions", "capex"): "capex_whole"}
"""Where one table's column is shown otherwise: the actions' capex is the whole project's, in its
opening year (the costs sheets show it in the years it is paid)."""

WIDEST = 60
"""Widest column, characters (longer text runs on into the next cell or is cut)."""
FILTER_BUTTON = 2
"""Characters the auto-filter's button takes in a header cell."""


def unit_of(table: str, column: str) -> Unit | None:
    """The :class:`Unit` column ``column`` of result table ``table`` is shown in (None: text)."""
    kind = TABLE_UNITS.get((table, column), COLUMN_UNITS.get(column))
    return None if kind is None else UNITS[kind]


def header(table: str, column: str) -> str:
    """A table sheet's header: the column id and its unit, ``capex (MSEK)``, ``demand (places)``."""
    unit = unit_of(table, column)
    return column if unit is None or unit.label is None else f"{column} ({unit.label})"


def write_result_workbook(result: Result, path: Path, lang: str | None = None) -> None:
    """Write ``result`` as ``result.xlsx`` at ``path``: the ``summary`` sheet (labels in ``lang``,
    else the scenario's language: :func:`allocopt.headline.language`), then one formatted sheet per
    result table. Deterministic bytes; the timings, which differ run to run, are in summary.json only."""
    from openpyxl import Workbook

    from allocopt.headline import language
    from allocopt.workbook_summary import write_summary_sheet

    book = Workbook()
    write_summary_sheet(book.active, result, language(result, lang))
    for name, table in result.tables().items():
        write_table_sheet(book.create_sheet(name), name, table)
    save_pinned(book, path)


def write_table_sheet(sheet: Any, name: str, table: pd.DataFrame) -> None:
    """Fill an empty openpyxl worksheet with result table ``name``: header with units (bold,
    frozen, auto-filter), cells in their units and number formats, columns sized to fit."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = list(table.columns)
    units = [unit_of(name, c) for c in columns]
    sheet.append([excel_value(header(name, c)) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    values = [_cells(table[c], u) for c, u in zip(columns, units, strict=True)]
    for row in zip(*values, strict=True):
        sheet.append(row)
    for j, (unit, cells) in enumerate(zip(units, values, strict=True), start=1):
        if unit is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = unit.number_format
        width = max(
            [len(str(sheet.cell(1, j).value)) + FILTER_BUTTON] + [_shown_width(v, unit) for v in _extremes(cells)]
        )
        sheet.column_dimensions[get_column_letter(j)].width = min(WIDEST, width + 2)
    mark_text_cells(sheet)  # text, never a formula or an error code
    sheet.freeze_panes = "A2"
    last = get_column_letter(max(1, len(columns)))
    sheet.auto_filter.ref = f"A1:{last}{len(table) + 1}"


def _cells(values: pd.Series, unit: Unit | None) -> list[Any]:
    """A column's cell values: blanks as None, numbers scaled to the unit (-0.0 as 0), text as a
    workbook can hold it (:func:`allocopt.writers.excel_value`)."""
    out = []
    for v in values.astype(object).tolist():
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        elif unit is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(excel_value(float(v) * unit.scale if unit.scale != 1.0 else v))
        else:
            out.append(excel_value(v))
    return out


def _extremes(cells: list[Any]) -> list[Any]:
    """The cells whose shown width is the largest: the longest text, the smallest and largest number."""
    numbers = [v for v in cells if isinstance(v, (int, float)) and not isinstance(v, bool)]
    texts = [v for v in cells if not isinstance(v, (int, float)) and v is not None]
    out: list[Any] = [min(numbers), max(numbers)] if numbers else []
    return out + ([max(texts, key=lambda v: len(str(v)))] if texts else [])


def _shown_width(value: Any, unit: Unit | None) -> int:
    """Characters ``value`` takes as shown in its number format (text: its length)."""
    if unit is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return len(str(value))
    form = unit.number_format
    decimals = len(form.split(".")[1].rstrip("%")) if "." in form else 0
    if form.endswith("%"):
        return len(f"{100 * value:,.{decimals}f}%")
    return len(f"{value:{',' if ',' in form else ''}.{decimals}f}")


def save_pinned(book: Any, path: Path) -> None:
    """Save an openpyxl workbook at ``path`` with its core properties' times and its zip entries'
    dates pinned to :data:`FIXED_TIME`: the same content gives the same bytes."""
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    src = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _pin_core_times(content)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)


def _pin_core_times(xml: bytes) -> bytes:
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\g<2>", xml)
