"""The terminal summary: ids are never cut at any width, unmet place-years are rounded one way
everywhere and said as "about …", the penalty is shown apart from real money."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from rich.console import Console

from allocopt.console import binding_caps_in_words, print_result
from allocopt.headline import place_years
from allocopt.result import Result
from allocopt.tables import TABLE_COLUMNS

LONG_IDS = ["fsk_paviljong_ostertalje_norra", "skola_f6_expansion_vikbergsskolan"]


def plan_with_long_ids() -> Result:
    """A made-up plan: two actions with long ids, 1.46 unmet place-years of one district (0.96 in
    2027, 0.5 in 2028: the per-year cells round to 1.0 and 0.5, the total to 1.5)."""
    actions = pd.DataFrame(
        [
            [
                2027,
                "pavilion",
                LONG_IDS[0],
                None,
                "ostertalje_norra_omradet",
                "preschool_kommunal",
                None,
                3,
                54,
                0,
                2.7e6,
                2027,
                None,
                None,
            ],
            [
                2028,
                "expansion",
                LONG_IDS[1],
                "vikbergsskolan",
                "vikbergsskolan_omradet",
                "school_f6_kommunal",
                None,
                2,
                100,
                0,
                44.5e6,
                2026,
                None,
                None,
            ],
        ],
        columns=TABLE_COLUMNS["actions"],
    )
    balance = pd.DataFrame(
        [["ostertalje_norra_omradet", "preschool_kommunal", 2027, 100.0, 99.04, 0.96],
         ["ostertalje_norra_omradet", "preschool_kommunal", 2028, 100.0, 99.5, 0.5]],
        columns=TABLE_COLUMNS["balance"],
    )  # fmt: skip
    costs = pd.DataFrame(
        [[2027] + [0.0] * 8 + [0.96e6, 0.0, 1.0, 0.96e6 + 2.7e6, None, None, None, None]],
        columns=TABLE_COLUMNS["costs"],
    )
    return Result(scenario="t", status="optimal", objective=3.66e6, bound=3.66e6, gap=0.0, actions=actions,
                  balance=balance, costs=costs)  # fmt: skip


@pytest.mark.parametrize("width", [60, 80, 200])
def test_ids_are_never_cut(width):
    out = io.StringIO()
    print_result(plan_with_long_ids(), Console(file=out, width=width))
    text = out.getvalue()
    assert "…" not in text
    for ident in [*LONG_IDS, "ostertalje_norra_omradet", "preschool_kommunal"]:
        assert ident in text, f"{ident} cut at {width} columns"
    unmet = text.split("Unmet demand", 1)[1]
    assert "ostertalje_norra_omradet" in unmet and "preschool_kommunal" in unmet


def test_unmet_place_years_are_rounded_one_way():
    out = io.StringIO()
    print_result(plan_with_long_ids(), Console(file=out, width=120))
    text = out.getvalue()
    assert "about 1.5 place-years" in text  # the headline
    assert "1 place-years" not in text
    unmet_rows = [line for line in text.splitlines() if "ostertalje_norra_omradet" in line and "1.5" in line]
    assert unmet_rows, "the unmet table shows the district's 1.5 place-years"


def test_the_penalty_is_apart_from_real_money():
    out = io.StringIO()
    print_result(plan_with_long_ids(), Console(file=out, width=200))
    assert "real money 2.7 MSEK, unmet-demand penalty (notional, never paid) 1.0 MSEK" in out.getvalue()


def test_place_years_in_words():
    assert place_years(0.0) == "none" and place_years(0.04) == "none"
    assert place_years(1.46) == "about 1.5 place-years"
    assert place_years(19147.2) == "about 19\u202f147 place-years"
    assert place_years(1.46, "sv") == "ungefär 1,5 platsår"


def test_binding_caps_are_said_as_year_ranges():
    caps = pd.DataFrame(
        [
            ["investment_cap", y, 1.0, 1.0, 0.0, b, d]
            for y, b, d in [(2026, True, -0.1), (2027, True, -0.05), (2028, False, 0.0), (2029, "True", -0.1)]
        ],
        columns=TABLE_COLUMNS["binding_caps"],
    )
    assert binding_caps_in_words(caps) == "investment_cap 2026–2027, 2029 (-0.10 to -0.05 SEK per SEK)"
    assert binding_caps_in_words(caps.assign(binding=False)) == ""
