"""result.xlsx for people: the summary sheet first, formatted table sheets, text kept text, same bytes."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

import allocopt
from allocopt.headline import DISCLAIMER
from allocopt.tables import TABLE_COLUMNS
from allocopt.workbook import header, write_result_workbook
from cases import District, Option, Service, Site, SiteCapacity, flat, tiny

HOSTILE = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def result():
    """One district (named like a formula), 120 places demanded in 2026-2030, an existing site of 10
    places (1 SEK a year), a build of 100 places (capex 1 MSEK, 10 SEK a year, lifetime 10, lead
    time 2: opens 2028 at the earliest), unmet places at 100 000 SEK a year, no discounting.

    Optimum: build, opening 2028 (capex 0.5 MSEK in each of 2026 and 2027). Unmet: 110 + 110 + 10 +
    10 + 10 = 250 place-years, penalty 25 MSEK. Real money: 1 000 000 + 5 + 30 less the residual
    1 000 000 * 7/10 = 300 035 SEK (0.3 MSEK).
    """
    sc = tiny(
        2026,
        2030,
        penalty=1e5,
        districts=[District(district=HOSTILE, x_km=0.0, y_km=0.0)],
        services=[Service(service="pre", max_km=10.0)],
        demand=flat(120, range(2026, 2031), district=HOSTILE),
        sites=[Site(site="S", district=HOSTILE, opex=1.0)],
        capacities=[SiteCapacity(site="S", service="pre", capacity=10.0)],
        options=[
            Option(
                option="B",
                kind="build",
                district=HOSTILE,
                service="pre",
                capacity=100.0,
                capex=1e6,
                opex=10.0,
                lifetime=10,
                lead_time=2,
            )
        ],
    )
    res = allocopt.solve(sc)
    assert res.status == "optimal"
    return res


@pytest.fixture(scope="module")
def book(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("wb") / "result.xlsx"
    write_result_workbook(result, path)
    return load_workbook(path)


def _rows(sheet) -> list[list]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _labelled(sheet) -> dict:
    return {row[0]: row[1:] for row in _rows(sheet) if row[0]}


def test_summary_first_with_the_penalty_apart(book):
    assert book.sheetnames == ["summary", *TABLE_COLUMNS]
    rows = _labelled(book["summary"])
    assert rows["Scenario"][0] == "tiny"
    assert rows["Status"][0].startswith("proven within")
    real = rows["NPV, real money (discounted)"]
    assert real[0] == "0.3 MSEK" and real[1] == pytest.approx(0.300035)
    penalty = rows["Unmet-demand penalty (notional, discounted; never paid)"]
    assert penalty[0] == "25.0 MSEK" and penalty[1] == pytest.approx(25.0)
    assert rows["Unmet demand"][0] == "about 250 place-years"
    assert rows["Capex over the horizon (undiscounted)"][1] == pytest.approx(1.0)
    texts = [v for row in _rows(book["summary"]) for v in row if isinstance(v, str)]
    assert DISCLAIMER["en"] in texts
    assert any("whole investment" in t and "evenly over the lead-time years" in t for t in texts)
    assert rows["capex_timing"][0] == "spread" and rows["mip_gap"][0] == 0.005  # scenario and solve settings


def test_every_table_sheet_has_a_frozen_filtered_header(book):
    for name, columns in TABLE_COLUMNS.items():
        sheet = book[name]
        assert [c.value for c in sheet[1]] == [header(name, c) for c in columns], name
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:"), name
        assert all(sheet.column_dimensions[c.column_letter].width >= len(str(c.value)) for c in sheet[1]), name


def test_money_in_msek_places_whole_years_plain(book):
    costs = book["costs"]
    head = [c.value for c in costs[1]]
    assert "capex (MSEK)" in head and "penalty (MSEK, notional)" in head
    first = {h: c for h, c in zip(head, costs[2], strict=True)}
    assert first["capex (MSEK)"].value == pytest.approx(0.5)  # 1 MSEK spread over 2026 and 2027
    assert first["capex (MSEK)"].number_format == "#,##0.0"
    assert first["penalty (MSEK, notional)"].value == pytest.approx(11.0)  # 110 places * 100 000 SEK
    assert first["year"].value == 2026 and first["year"].number_format == "0"
    actions = book["actions"]
    action = {h: c for h, c in zip([c.value for c in actions[1]], actions[2], strict=True)}
    assert action["capex (MSEK, whole project)"].value == pytest.approx(1.0)  # all of it, in the opening year
    assert action["year"].value == 2028 and action["decision_year"].value == 2026
    balance = book["balance"]
    demand = {h: c for h, c in zip([c.value for c in balance[1]], balance[2], strict=True)}["demand (places)"]
    assert demand.value == 120 and demand.number_format == "#,##0"
    utilisation = book["utilisation"]
    share = {h: c for h, c in zip([c.value for c in utilisation[1]], utilisation[2], strict=True)}["utilisation (%)"]
    assert share.number_format == "0.0%" and share.value == pytest.approx(1.0)


def test_hostile_text_stays_text(book):
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    hostile = [c for c in cells if c.value == HOSTILE]
    assert hostile and all(c.data_type == "s" for c in hostile)


def test_swedish_labels(result, tmp_path):
    write_result_workbook(result, tmp_path / "sv.xlsx", lang="sv")
    summary = load_workbook(tmp_path / "sv.xlsx")["summary"]
    rows = _labelled(summary)
    assert rows["Nuvärde, verkliga pengar (diskonterat)"][0] == "0,3 mnkr"
    assert rows["Ej tillgodosedd efterfrågan"][0] == "ungefär 250 platsår"
    assert rows["Status"][0].startswith("bevisat högst")
    assert DISCLAIMER["sv"] in [v for row in _rows(summary) for v in row]


def test_two_saves_are_byte_identical(result, tmp_path):
    write_result_workbook(result, tmp_path / "a.xlsx")
    write_result_workbook(result, tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_a_result_without_a_plan_has_a_summary(tmp_path):
    """An infeasible result: the status in words, no figures, every table sheet with its header."""
    res = allocopt.Result(scenario="none", status="infeasible", message="demand out of reach")
    write_result_workbook(res, tmp_path / "r.xlsx")
    book = load_workbook(tmp_path / "r.xlsx")
    rows = _labelled(book["summary"])
    assert rows["Status"][0] == "no plan meets every rule of the scenario"
    assert rows["Solver message"][0] == "demand out of reach"
    assert "NPV, real money (discounted)" not in rows
    assert book["costs"].auto_filter.ref == "A1:Q1"
