"""The ``summary`` sheet of ``result.xlsx``: the headline, notes on the units, the settings, and
what the model leaves out, in English or Swedish.

Every figure and phrase comes from :mod:`allocopt.headline`, so that the sheet says what the HTML
report and the terminal say. Three columns: a label, the figure in words (``2 759.5 MSEK``,
``proven within 0.5 % of the best possible plan``) and, for figures, the number itself in a cell
a spreadsheet can compute with (money in MSEK, shares as percentages). The settings' keys are
their ids as written in scenario.yaml, in either language.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from allocopt.headline import DISCLAIMER, Language, key_figures, msek, percent, place_years, status_in_words
from allocopt.writers import excel_value, mark_text_cells

if TYPE_CHECKING:
    from allocopt.result import Result

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "allocopt result",
        "scenario": "Scenario",
        "description": "Description",
        "status": "Status",
        "message": "Solver message",
        "npv_real_money": "NPV, real money (discounted)",
        "penalty_npv": "Unmet-demand penalty (notional, discounted; never paid)",
        "npv_total": "Objective: real money + penalty (discounted)",
        "unmet": "Unmet demand",
        "capex_total": "Capex over the horizon (undiscounted)",
        "party": "NPV paid by {party}",
        "gap": "Gap to the best possible plan",
        "notes": "How to read the sheets",
        "scenario_settings": "Scenario settings",
        "solve_settings": "Solve settings",
        "disclaimer": "What the model leaves out",
        "in_words": "in words",
        "value": "value (MSEK, places or %)",
        "note_money": "Money in the table sheets is in MSEK (million SEK, one decimal; the cell holds "
        "SEK / 1 000 000), in real prices{price_level}, discounted to {first_year} where a column says so. "
        "The CSV files hold the same tables in SEK.",
        "note_capex": "actions: 'capex (MSEK, whole project)' is the project's whole investment, shown in its opening "
        "year. It is paid {timing}: the costs and party_costs sheets show capex in the years it is paid.",
        "timing_spread": "evenly over the lead-time years before opening (in the opening year when the lead time is 0)",
        "timing_opening": "all in the opening year",
        "note_penalty": "The unmet-demand penalty is a notional price, never paid: the 'penalty (MSEK, notional)' "
        "columns show it apart, and 'discounted (MSEK, incl. penalty)' includes it; the real-money NPV above does not.",
    },
    "sv": {
        "title": "allocopt-resultat",
        "scenario": "Scenario",
        "description": "Beskrivning",
        "status": "Status",
        "message": "Lösarens meddelande",
        "npv_real_money": "Nuvärde, verkliga pengar (diskonterat)",
        "penalty_npv": "Straffkostnad för ej tillgodosedd efterfrågan (tänkt, diskonterad; betalas aldrig)",
        "npv_total": "Målfunktion: verkliga pengar + straffkostnad (diskonterat)",
        "unmet": "Ej tillgodosedd efterfrågan",
        "capex_total": "Investeringar under perioden (odiskonterat)",
        "party": "Nuvärde som {party} betalar",
        "gap": "Avstånd till den bästa möjliga planen",
        "notes": "Så läses bladen",
        "scenario_settings": "Scenariots inställningar",
        "solve_settings": "Lösarens inställningar",
        "disclaimer": "Det modellen bortser från",
        "in_words": "i ord",
        "value": "värde (mnkr, platser eller %)",
        "note_money": "Pengar i tabellbladen är i mnkr (miljoner kronor, en decimal; cellen håller "
        "kronor / 1 000 000), i fasta priser{price_level}, diskonterade till {first_year} där kolumnen "
        "säger det. CSV-filerna håller samma tabeller i kronor.",
        "note_capex": "actions: 'capex (MSEK, whole project)' är projektets hela investering, visad det år det öppnar. "
        "Den betalas {timing}: bladen costs och party_costs visar investeringen de år den betalas.",
        "timing_spread": "jämnt under ledtidens år före öppnandet (öppningsåret när ledtiden är 0)",
        "timing_opening": "helt under öppningsåret",
        "note_penalty": "Straffkostnaden för ej tillgodosedd efterfrågan är ett tänkt pris som aldrig betalas: "
        "kolumnerna 'penalty (MSEK, notional)' visar den för sig, och 'discounted (MSEK, incl. penalty)' räknar med "
        "den; nuvärdet av verkliga pengar ovan gör det inte.",
    },
}
"""The summary sheet's words, by language."""

PARTIES: dict[str, dict[str, str]] = {
    "en": {"municipality": "the municipality", "property_company": "the property company"},
    "sv": {"municipality": "kommunen", "property_company": "fastighetsbolaget"},
}

MSEK_FORMAT, SHARE_FORMAT, PLACES_FORMAT = "#,##0.0", "0.00%", "#,##0.0"
SECTION = "section"
"""A row's format that marks it as a section's title (bold), not a figure."""
WIDTHS = {"A": 30, "B": 70, "C": 26}
"""Column widths of the summary sheet, characters (the labels' column widened to the longest label)."""
WIDEST_LABEL = 90
"""Widest the labels' column gets, characters."""


def write_summary_sheet(sheet: Any, result: Result, lang: Language) -> None:
    """Fill the (empty, first) openpyxl worksheet ``sheet`` with ``result``'s summary in ``lang``."""
    from openpyxl.styles import Alignment, Font

    words = LABELS[lang]
    sheet.title = "summary"
    rows: list[tuple[str, Any, Any, str | None]] = []  # label, in words, number, number format
    rows.append((words["scenario"], result.scenario, None, None))
    description = result.scenario_settings.get("description")
    if description:
        rows.append((words["description"], description, None, None))
    rows += _headline(result, lang)
    rows += _section(words["notes"], [("", note, None, None) for note in _notes(result, lang)])
    settings = [(key, _setting_text(value), None, None) for key, value in _flat(result.scenario_settings)]
    rows += _section(words["scenario_settings"], settings)
    rows += _section(words["solve_settings"], [(key, value, None, None) for key, value in _flat(result.settings)])
    rows += _section(words["disclaimer"], [("", DISCLAIMER[lang], None, None)])

    sheet.append([words["title"], words["in_words"], words["value"]])
    for cell in sheet[1]:
        cell.font = Font(bold=True, size=12)
    for label, text, number, form in rows:
        sheet.append([excel_value(label) or None, excel_value(text), excel_value(number)])
        row = sheet.max_row
        if form == SECTION:
            sheet.cell(row, 1).font = Font(bold=True)
        elif form is not None:
            sheet.cell(row, 3).number_format = form
        if isinstance(text, str) and len(text) > WIDTHS["B"]:
            sheet.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
            sheet.row_dimensions[row].height = 15 * math.ceil(len(text) / (WIDTHS["B"] * 1.1))
    mark_text_cells(sheet)  # text, never a formula
    for letter, width in WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    labels = [len(str(label)) for label, *_ in rows]
    sheet.column_dimensions["A"].width = min(WIDEST_LABEL, max([WIDTHS["A"], *labels]) + 2)
    sheet.freeze_panes = "A2"


def _section(title: str, rows: list[tuple[str, Any, Any, str | None]]) -> list[tuple[str, Any, Any, str | None]]:
    """A blank row, the section's title (bold), its rows."""
    return [("", None, None, None), (title, None, None, SECTION), *rows]


def _headline(result: Result, lang: Language) -> list[tuple[str, Any, Any, str | None]]:
    """The key figures (:func:`allocopt.headline.key_figures`) as rows: label, words, number, format."""
    words = LABELS[lang]
    figures = key_figures(result)
    rows: list[tuple[str, Any, Any, str | None]] = [
        (words["status"], status_in_words(figures.status, figures.gap, lang), figures.status, None),
    ]
    if result.message:
        rows.append((words["message"], result.message, None, None))
    if not result.has_plan:
        return rows

    def money(key: str, sek: float | None) -> tuple[str, Any, Any, str | None]:
        return (key, msek(sek, lang), None if sek is None else sek / 1e6, MSEK_FORMAT)

    rows += [
        money(words["npv_real_money"], figures.npv_real_money),
        money(words["penalty_npv"], figures.penalty_npv),
        money(words["npv_total"], figures.npv_total),
        (words["unmet"], place_years(figures.unmet_place_years, lang), figures.unmet_place_years, PLACES_FORMAT),
        money(words["capex_total"], figures.capex_total),
    ]
    for party, sek in figures.npv_by_party.items():
        rows.append(money(words["party"].format(party=PARTIES[lang].get(party, party)), sek))
    rows.append((words["gap"], percent(figures.gap, lang, 2), figures.gap, SHARE_FORMAT))
    return rows


def _notes(result: Result, lang: Language) -> list[str]:
    """How to read the table sheets: money units, when capex is paid, the penalty."""
    words = LABELS[lang]
    settings = result.scenario_settings
    year = settings.get("currency_year")
    price_level = "" if year is None else (f" ({year} års prisnivå)" if lang == "sv" else f" of {year}")
    timing = words["timing_opening" if settings.get("capex_timing") == "opening" else "timing_spread"]
    first = settings.get("first_year", "the first year" if lang == "en" else "första året")
    return [
        words["note_money"].format(price_level=price_level, first_year=first),
        words["note_capex"].format(timing=timing),
        words["note_penalty"],
    ]


def _flat(settings: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested settings as (dotted key, value) pairs, in their order: ``services.pre.name``."""
    out: list[tuple[str, Any]] = []
    for key, value in settings.items():
        if isinstance(value, dict):
            out += _flat(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _setting_text(value: Any) -> Any:
    """A setting as a cell: numbers and text as they are, lists as JSON, None as blank, inf as 'inf'."""
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), ensure_ascii=False)
    return value
