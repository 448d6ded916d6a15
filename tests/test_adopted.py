"""The adopted plan (allocopt.adopted): kept as locks or ignored, its deviations listed; tiny cases
worked out by hand."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

import allocopt
from allocopt.adopted import adopted_locks, deviations, with_adopted
from allocopt.adopted_savings import deviation_savings
from allocopt.load import write_scenario
from allocopt.scenario import AdoptedAction
from allocopt.validate import ScenarioError
from cases import Lock, Option, Site, SiteCapacity, flat, run, tiny

YEARS = range(2026, 2029)


def school(mode="ignore", until=None, adopted=(), sites=(), capacities=(), lead_time=0):
    """One district A, an existing school S (100 places, opex 1 000 SEK a year, may not close), demand 140
    places in 2026-2028, unmet demand at 100 SEK per place-year; options: build B (50 places, capex 3 000 SEK)
    and lease L (20 places a module, rent 100 SEK per module and year, up to 3 modules, a 10-year term).
    Discount rate 0, no residual value. The free optimum leases 2 modules of L from 2026: 600 SEK
    (B costs 3 000, the 40 places unmet 12 000). ``sites``, ``capacities``: more sites; ``lead_time``: B's."""
    scenario = tiny(
        2026,
        2028,
        penalty=100.0,
        residual="none",
        demand=flat(140.0, YEARS),
        sites=[Site(site="S", district="A", opex=1000.0), *sites],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0), *capacities],
        options=[
            Option(
                option="B", kind="build", district="A", service="pre", capacity=50.0, capex=3000.0, lead_time=lead_time
            ),
            Option(
                option="L", kind="lease", district="A", service="pre", capacity=20.0, rent=100.0, term=10, max_modules=3
            ),
        ],
        adopted_plan=[AdoptedAction(**row) for row in adopted],
    )
    settings = scenario.settings.model_copy(update={"adopted_plan": mode, "adopted_until": until})
    return type(scenario).model_validate({**scenario.model_dump(), "settings": settings.model_dump()})


ADOPTED = [dict(year=2027, action="build", option="B")]
"""The board's plan: build B, opening in 2027."""


def solved(scenario):
    result = allocopt.solve(with_adopted(scenario), mip_gap=0.0)
    assert result.status == "optimal", result.message
    return result


def rows(table: pd.DataFrame) -> list[tuple]:
    """(change, action, id, from year, to year, from modules, to modules, kept) of every deviation."""
    out = []
    for r in table.to_dict("records"):
        ident = r["option"] if isinstance(r["option"], str) else r["site"]
        nums = [None if pd.isna(r[c]) else int(r[c]) for c in ("from_year", "to_year", "from_modules", "to_modules")]
        out.append((r["change"], r["action"], ident, *nums, bool(r["kept"])))
    return out


def test_ignore_lists_the_departures_of_the_free_optimum():
    """ignore: the plan is the free optimum (L × 2 from 2026, 600 SEK): B dropped, L added."""
    scenario = school("ignore", adopted=ADOPTED)
    assert adopted_locks(scenario) == [] and with_adopted(scenario) is scenario
    result = solved(scenario)
    assert result.objective == pytest.approx(3 * 1000.0 + 600.0)
    assert rows(deviations(scenario, result)) == [
        ("dropped", "build", "B", 2027, None, 1, None, False),
        ("added", "lease", "L", None, 2026, None, 2, False),
    ]


def test_keep_makes_the_adopted_opening_a_lock():
    """keep: B must open by 2027 (a force lock). Opening it in 2026 (3 000 SEK) serves all 40 places in
    every year; opening in 2027 leaves 2026 to L × 2 (200 SEK) or the penalty (4 000 SEK): 3 200 at least.
    So B opens a year early, and nothing else: the one deviation is B moved 2027 → 2026, kept."""
    scenario = school("keep", adopted=ADOPTED)
    assert adopted_locks(scenario) == [Lock(target="option", id="B", rule="force", year=2027)]
    result = solved(scenario)
    assert result.objective == pytest.approx(3 * 1000.0 + 3000.0)
    assert rows(deviations(scenario, result)) == [("moved", "build", "B", 2027, 2026, 1, 1, True)]
    assert allocopt.check(with_adopted(scenario), result) == []


def test_without_locks_the_adopted_plan_is_not_kept():
    """No locks at all (compare --without-locks, a sweep's locks: off): the adopted plan under keep is no
    longer a lock, so the plan is the free optimum again (L × 2 from 2026: 3 · 1 000 + 600 SEK)."""
    from allocopt.adopted import without_locks
    from allocopt.sweep_points import Overrides, point_scenario

    scenario = school("keep", adopted=ADOPTED)
    for free in (without_locks(scenario), point_scenario(scenario, Overrides(locks=False))):
        assert adopted_locks(free) == [] and free.locks == []
        assert solved(free).objective == pytest.approx(3 * 1000.0 + 600.0)


def test_what_each_deviation_saves():
    """ignore, the plan L × 2 from 2026 (3 000 + 600 SEK). Undone alone: B taken back in 2027 adds its
    3 000 SEK (6 600); L taken out leaves 40 places unmet a year, 12 000 SEK of penalty (15 000). So
    dropping B saves 3 000 SEK, adding L saves 11 400 SEK."""
    scenario = school("ignore", adopted=ADOPTED)
    result = solved(scenario)
    priced = deviation_savings(scenario, result, deviations(scenario, result))
    assert priced["saves"].tolist() == [pytest.approx(3000.0), pytest.approx(11_400.0)]
    assert priced["note"].tolist() == ["", ""]


def test_keep_until_a_year_keeps_only_the_actions_up_to_it():
    """adopted_until 2026: B (2027) is not kept; the plan is the free optimum, B dropped (not kept)."""
    scenario = school("keep", until=2026, adopted=ADOPTED)
    assert adopted_locks(scenario) == []
    assert rows(deviations(scenario, solved(scenario)))[0] == ("dropped", "build", "B", 2027, None, 1, None, False)


def test_keep_a_closure():
    """A second site T (30 places, opex 50 SEK a year, may close) the board closes from 2027. Open, T costs
    50 SEK a year where a lease module costs 100: free (ignore), the plan keeps it open throughout (the
    closure dropped). Kept, T closes by 2027; it stays open in 2026, cheaper than a second module that year:
    one module of L from 2026, a second from 2027, and no deviation for T."""
    kw = dict(
        adopted=[dict(year=2027, action="close", site="T")],
        sites=[Site(site="T", district="A", opex=50.0, may_close=True)],
        capacities=[SiteCapacity(site="T", service="pre", capacity=30.0)],
    )
    free = school("ignore", **kw)
    assert [r for r in rows(deviations(free, solved(free))) if r[2] == "T"] == [
        ("dropped", "close", "T", 2027, None, None, None, False)
    ]
    scenario = school("keep", **kw)
    assert adopted_locks(scenario) == [Lock(target="site", id="T", rule="close", year=2027)]
    result = solved(scenario)
    assert result.objective == pytest.approx(3 * 1000.0 + 50.0 + 300.0 + 200.0)
    closures = result.actions.loc[result.actions["action"] == "close", ["site", "year"]].values.tolist()
    assert closures == [["T", 2027]]
    assert [r for r in rows(deviations(scenario, result)) if r[2] == "T"] == []


def test_a_result_actions_table_copied_as_the_adopted_plan_reads_and_is_kept(tmp_path):
    """The free optimum's own actions.csv as the adopted plan, kept: the plan takes it exactly, no deviation."""
    folder = tmp_path / "school"
    write_scenario(school("keep"), folder)
    first = tmp_path / "first"
    assert run("solve", str(folder), "--out", str(first), "--mip-gap", "0", "--no-excel").exit_code == 0
    shutil.copy(first / "actions.csv", folder / "adopted_plan.csv")
    scenario = allocopt.load_scenario(folder)
    assert scenario.settings.adopted_plan == "keep" and len(scenario.adopted_plan) == 1
    out = tmp_path / "out"
    result = run("solve", str(folder), "--out", str(out), "--mip-gap", "0", "--no-excel")
    assert result.exit_code == 0, result.output
    assert "0 deviation(s) from the adopted plan, kept as locks through 2028" in result.output
    assert len(pd.read_csv(out / "deviations.csv")) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["adopted_plan"]["deviations"] == 0 and summary["adopted_plan"]["mode"] == "keep"


def test_solve_writes_the_deviations(tmp_path):
    folder, out = tmp_path / "school", tmp_path / "out"
    write_scenario(school("keep", adopted=ADOPTED), folder)
    args = ("--mip-gap", "0", "--no-excel", "--baseline", "--deviation-savings")
    result = run("solve", str(folder), "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    assert "moved build B: year 2027 → 2026, modules 1 → 1, saves 4,000 SEK" in result.output
    table = pd.read_csv(out / "deviations.csv")
    # B back in 2027 leaves the 40 places of 2026 unmet: 4 000 SEK of penalty against nothing
    assert table[["change", "option", "from_year", "to_year", "kept", "saves"]].values.tolist() == [
        ["moved", "B", 2027, 2026, True, pytest.approx(4000.0)]
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["adopted_plan"]["by_change"] == {"dropped": 0, "added": 0, "moved": 1, "resized": 0}
    # the baseline ignores the adopted plan: S alone, 40 places unmet a year
    assert summary["baseline"]["unmet_place_years"] == pytest.approx(120.0)


# ---------------------------------------------------------------- bad rows, located


def problems_of(**kw) -> list[tuple]:
    with pytest.raises(ScenarioError) as caught:
        school(**kw)
    return [(p.file, p.row, p.column) for p in caught.value.errors]


def test_unknown_ids_and_wrong_kinds_are_located():
    found = problems_of(
        adopted=[
            dict(year=2027, action="build", option="nowhere"),
            dict(year=2027, action="lease", option="B"),
            dict(year=2027, action="close", site="nowhere"),
        ]
    )
    assert found == [
        ("adopted_plan.csv", "2", "option"),
        ("adopted_plan.csv", "3", "action"),
        ("adopted_plan.csv", "4", "site"),
    ]


def test_a_kept_action_no_lock_can_hold_is_located():
    """keep: B with a lead time of 2 years opens 2028 at the earliest, not by 2027; S may not close."""
    found = problems_of(
        mode="keep",
        lead_time=2,
        adopted=[dict(year=2027, action="build", option="B"), dict(year=2027, action="close", site="S")],
    )
    assert found == [("adopted_plan.csv", "2", "year"), ("adopted_plan.csv", "3", "year")]


def test_the_same_rows_ignored_are_fine():
    school(mode="ignore", lead_time=2, adopted=[dict(year=2027, action="build", option="B")])


def test_a_row_without_its_target_is_refused():
    with pytest.raises(ValueError, match="a close action needs a site"):
        AdoptedAction(year=2027, action="close", option="B")


def test_the_adopted_plan_sheet_of_a_workbook(tmp_path):
    """The workbook's adopted_plan sheet reads as adopted_plan.csv does; a bad row is located in the sheet."""
    from openpyxl import load_workbook

    from allocopt.load import write_scenario_workbook

    path = tmp_path / "school.xlsx"
    write_scenario_workbook(school("keep", adopted=ADOPTED), path)
    loaded = allocopt.load_scenario(path)
    assert loaded.settings.adopted_plan == "keep"
    assert [(r.year, r.action, r.option) for r in loaded.adopted_plan] == [(2027, "build", "B")]
    book = load_workbook(path)
    sheet = book["adopted_plan"]
    column = [c.value for c in sheet[1]].index("option") + 1
    sheet.cell(2, column).value = "nowhere"
    book.save(path)
    with pytest.raises(ScenarioError) as caught:
        allocopt.load_scenario(path)
    assert [(p.file, p.row, p.column) for p in caught.value.errors] == [("school.xlsx[adopted_plan]", "2", "option")]
