"""Plans side by side (allocopt.compare and ``allocopt compare``): tiny cases worked out by hand."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

import allocopt
from allocopt.cli import cli
from allocopt.compare import COMPARISON_FILES, NPV_PARTS, CompareError, compare, locks_cost, read_result
from allocopt.load import write_scenario
from allocopt.result import Result
from allocopt.scenario import Budget
from cases import BUILD, LEASE, Lock, Option, Site, SiteCapacity, build_or_lease, flat, new_building, run, tiny


def solved(scenario):
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal", result.message
    return result


def priced(scenario, *rows):
    """``scenario``'s plan of ``rows`` (year, action, option or site, modules) evaluated."""
    actions = pd.DataFrame(
        [
            dict(year=y, action=a, option=None if a == "close" else i, site=i if a == "close" else None, modules=m)
            for y, a, i, m in rows
        ],
        columns=["year", "action", "option", "site", "modules"],
    )
    result = allocopt.evaluate(scenario, actions)
    assert result.status == "evaluated", result.message
    return result


def named_build_or_lease(build: str, lease: str):
    """:func:`cases.build_or_lease` with other ids."""
    options = [Option(option=build, **BUILD), Option(option=lease, **LEASE)]
    return tiny(2026, 2030, demand=flat(100, range(2026, 2031)), options=options)


def changes(comparison) -> list[tuple]:
    """(plan, change, action, id, from year, to year, from modules, to modules) of every change."""
    out = []
    for r in comparison.changes.to_dict("records"):
        ident = r["option"] if isinstance(r["option"], str) else r["site"]
        nums = [None if pd.isna(r[c]) else int(r[c]) for c in ("from_year", "to_year", "from_modules", "to_modules")]
        out.append((r["plan"], r["change"], r["action"], ident, *nums))
    return out


def parts_sum(row) -> float:
    return sum(sign * row[part] for part, sign in NPV_PARTS.items()) + row["penalty"]


# ---------------------------------------------------------------- the Python API


def test_build_optimum_against_a_lease():
    """build_or_lease, r = 0: the optimum builds B in 2026: capex 1000 + opex 5·10 − residual
    1000·(1 − 5/10) = 550. The plan leases L in 2026 instead: rent 5·150 = 750. Difference +200:
    capex −1000, opex −50, rent +750, residual (an income) −500. Changes: the build removed, the lease added."""
    scenario = build_or_lease()
    c = compare(solved(scenario), priced(scenario, (2026, "lease", "L", 1)), names=["optimum", "lease"])
    ref, lease = c.npv.to_dict("records")
    assert (ref["npv"], ref["capex"], ref["opex"], ref["residual"]) == pytest.approx((550.0, 1000.0, 50.0, 500.0))
    assert (lease["npv"], lease["rent"]) == pytest.approx((750.0, 750.0))
    assert lease["npv_diff"] == pytest.approx(200.0)
    assert (lease["capex_diff"], lease["opex_diff"], lease["rent_diff"], lease["residual_diff"]) == pytest.approx(
        (-1000.0, -50.0, 750.0, -500.0)
    )
    assert ref["npv_diff"] == 0.0 and lease["objective_diff"] == pytest.approx(200.0)
    assert changes(c) == [
        ("lease", "removed", "build", "B", 2026, None, 1, None),
        ("lease", "added", "lease", "L", None, 2026, None, 1),
    ]
    assert c.closed.empty and (c.unmet["unmet"] == 0).all()
    assert sorted(c.frames["plan"].unique()) == ["lease", "optimum"]


def test_parts_sum_to_the_npv_with_discounting():
    """The same at r = 5 %: capex 1000 (2026, factor 1), opex 10·Σ 1.05^−k for k = 0…4, residual
    500 discounted with the end factor 1.05^−5: 1000 + 45.460 − 391.763 = 653.696."""
    c = compare(solved(build_or_lease(rate=0.05)), solved(build_or_lease(rate=0.05)))
    row = c.npv.iloc[0]
    assert row["opex"] == pytest.approx(10 * sum(1.05**-k for k in range(5)), rel=1e-12)
    assert row["residual"] == pytest.approx(500 / 1.05**5, rel=1e-9)
    assert parts_sum(row) == pytest.approx(row["npv"], rel=1e-12)
    assert row["npv"] == pytest.approx(1000 + 10 * sum(1.05**-k for k in range(5)) - 500 / 1.05**5, rel=1e-9)
    assert c.changes.empty and list(c.npv["plan"]) == ["plan 1", "plan 2"]


def test_moved_and_resized_openings():
    """100 places in 2027-2028 (2026-2028), build B: 100 places a module, capex 1000, opex 10 a module
    and year, up to 2 modules, no residual value, r = 0. Optimum: 1 module in 2027: 1000 + 2·10 = 1020.
    A plan opening it in 2026: 1000 + 3·10 = 1030 (moved 2027 → 2026, +10); one with 2 modules in
    2027: 2000 + 2·2·10 = 2040 (resized 1 → 2, +1020)."""
    scenario = tiny(
        residual="none",
        demand=flat(100, (2027, 2028)),
        options=[new_building("B", capacity=100.0, capex=1000.0, opex=10.0, max_modules=2, lifetime=10)],
    )
    optimum = solved(scenario)
    early, big = priced(scenario, (2026, "build", "B", 1)), priced(scenario, (2027, "build", "B", 2))
    c = compare(optimum, early, big, names=["optimum", "early", "big"])
    assert list(c.npv["npv"]) == pytest.approx([1020.0, 1030.0, 2040.0])
    assert list(c.npv["npv_diff"]) == pytest.approx([0.0, 10.0, 1020.0])
    assert changes(c) == [
        ("early", "moved", "build", "B", 2027, 2026, 1, 1),
        ("big", "resized", "build", "B", 2027, 2027, 1, 2),
    ]


def test_closures_compared_by_site():
    """Site K (opex 50, closure cost 30, sale value 200) is not needed beside S (opex 10), r = 0,
    2026-2028. Optimum: close K in 2026: 3·10 + 30 − 200 = −140. Closing it in 2028 instead:
    30 + 2·50 + 30 − 200 = −40 (moved 2026 → 2028, +100); never: 30 + 3·50 − 200 (its value at the
    end) = −20 (removed, +120)."""
    scenario = tiny(
        demand=flat(60, range(2026, 2029)),
        sites=[
            Site(site="S", district="A", opex=10.0),
            Site(site="K", district="A", opex=50.0, may_close=True, closure_cost=30.0, sale_value=200.0),
        ],
        capacities=[SiteCapacity(site=s, service="pre", capacity=100.0) for s in ("S", "K")],
    )
    kept = priced(scenario)
    c = compare(solved(scenario), priced(scenario, (2028, "close", "K", None)), kept, names=["opt", "late", "kept"])
    assert list(c.npv["npv"]) == pytest.approx([-140.0, -40.0, -20.0])
    assert list(c.npv["sale"]) == pytest.approx([200.0, 200.0, 0.0])
    assert [(r["plan"], r["site"], r["year"]) for r in c.closed.to_dict("records")] == [
        ("opt", "K", 2026),
        ("late", "K", 2028),
    ]
    assert changes(c) == [
        ("late", "moved", "close", "K", 2026, 2028, None, None),
        ("kept", "removed", "close", "K", 2026, None, None, None),
    ]


def test_the_penalty_is_kept_apart_from_real_money():
    """10 places a year 2026-2028, unmet penalty 50 per place-year, a build of 10 places for 2000
    (no residual value), r = 0. Optimum: leave it unmet: penalty 3·10·50 = 1500, real money 0. The
    plan builds in 2026: 2000 real, no penalty. NPV +500, real money +2000, penalty −1500, unmet −30."""
    scenario = tiny(
        penalty=50.0,
        residual="none",
        demand=flat(10, range(2026, 2029)),
        options=[Option(option="B", kind="build", district="A", service="pre", capacity=10.0, capex=2000.0)],
    )
    c = compare(solved(scenario), priced(scenario, (2026, "build", "B", 1)))
    ref, built = c.npv.to_dict("records")
    assert (ref["npv"], ref["penalty"], ref["npv_real"], ref["unmet_place_years"]) == pytest.approx(
        (1500.0, 1500.0, 0.0, 30.0)
    )
    assert (built["npv_diff"], built["npv_real_diff"], built["penalty_diff"]) == pytest.approx((500.0, 2000.0, -1500.0))
    assert built["unmet_place_years_diff"] == pytest.approx(-30.0)
    assert parts_sum(ref) == pytest.approx(ref["npv"])
    unmet = c.unmet.set_index(["plan", "year"])["unmet"]
    assert [unmet[("plan 1", y)] for y in (2026, 2027, 2028)] == pytest.approx([10.0, 10.0, 10.0])
    assert [unmet[("plan 2", y)] for y in (2026, 2027, 2028)] == pytest.approx([0.0, 0.0, 0.0])


def test_a_result_read_back_compares_equal(tmp_path):
    """A saved result read back (ids that look like formulas included) is the same plan: no change,
    no difference."""
    scenario = named_build_or_lease("=B", "L")
    result = solved(scenario)
    back = read_result(result.save(tmp_path / "r", excel=False))
    assert back.status == "optimal" and back.objective == pytest.approx(result.objective)
    assert list(back.actions["option"]) == ["=B"]
    c = compare(result, back)
    assert c.changes.empty
    assert c.npv.filter(like="_diff").abs().to_numpy().max() == pytest.approx(0.0, abs=1e-9)


def test_every_table_reads_back_as_it_was_saved(tmp_path):
    """Every table of a saved result, read back, writes the same CSV: flags (a cap's ``binding``)
    stay True/False, never blank, and the scenario's locations come back too."""
    base = named_build_or_lease("B", "L")
    scenario = base.model_copy(update={"budget": [Budget(year=2026, capex_cap=2000.0)]})
    result = solved(scenario)
    back = read_result(result.save(tmp_path / "r", excel=False))
    assert len(result.binding_caps) and len(result.locations)
    assert back.binding_caps["binding"].tolist() == result.binding_caps["binding"].tolist()
    for name, table in result.tables().items():
        assert back.tables()[name].to_csv(index=False) == table.to_csv(index=False), name
    assert back.scenario_settings == result.scenario_settings


def test_save_writes_the_tables_and_a_workbook(tmp_path):
    from openpyxl import load_workbook

    scenario = build_or_lease()
    c = compare(solved(scenario), priced(scenario, (2026, "lease", "L", 1)))
    folder = c.save(tmp_path / "cmp")
    assert sorted(p.name for p in folder.iterdir()) == sorted(COMPARISON_FILES)
    assert pd.read_csv(folder / "npv.csv")["npv"].tolist() == pytest.approx([550.0, 750.0])
    book = load_workbook(folder / "comparison.xlsx")
    assert book.sheetnames == ["npv", "frames", "unmet", "closed", "changes"]
    sheet = book["npv"]
    headers = [cell.value for cell in sheet[1]]
    assert sheet["A1"].font.bold and "npv (MSEK)" in headers and "gap" in headers
    npv = sheet.cell(2, headers.index("npv (MSEK)") + 1)
    assert npv.value == pytest.approx(550.0) and npv.number_format.startswith("#,##0.0,,")
    assert sheet.column_dimensions["A"].width >= 8
    c.save(tmp_path / "cmp")  # an earlier comparison is replaced


def test_names_must_fit_and_plans_exist():
    scenario = build_or_lease()
    result = solved(scenario)
    with pytest.raises(CompareError, match="3 name"):
        compare(result, result, names=["a", "b", "c"])
    with pytest.raises(CompareError, match="distinct"):
        compare(result, result, names=["a", "a"])
    with pytest.raises(CompareError, match="no plan"):
        compare(result, Result(scenario="tiny", status="infeasible"))


def test_locks_cost_interval_from_the_bounds():
    """With locks: objective 1000, bound 990; without: 700, bound 690. Cost 300, within
    [990 − 700, 1000 − 690] = [290, 310]; never below 0."""
    with_locks = Result(scenario="s", status="time_limit", objective=1000.0, bound=990.0, gap=0.01)
    without = Result(scenario="s", status="time_limit", objective=700.0, bound=690.0, gap=0.0143)
    assert locks_cost(with_locks, without) == pytest.approx((300.0, 290.0, 310.0))
    near = Result(scenario="s", status="time_limit", objective=1000.0, bound=600.0, gap=0.4)
    assert locks_cost(near, without)[1] == 0.0


# ---------------------------------------------------------------- the command line


@pytest.fixture
def lease_plan(tmp_path):
    path = tmp_path / "lease.csv"
    path.write_text("year,action,option,site,modules\n2026,lease,L,,1\n", encoding="utf-8")
    return path


def test_cli_compares_result_folders(tmp_path, lease_plan):
    scenario = tmp_path / "scenario"
    write_scenario(build_or_lease(), scenario)
    assert run("solve", str(scenario), "--out", str(tmp_path / "opt"), "--no-excel").exit_code == 0
    assert run("evaluate", str(scenario), "--plan", str(lease_plan), "--out", str(tmp_path / "lease")).exit_code == 0
    out = tmp_path / "cmp"
    result = run("compare", str(tmp_path / "opt"), str(tmp_path / "lease"), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "removed" in result.output and "added" in result.output and "lease" in result.output
    assert pd.read_csv(out / "npv.csv")["npv_diff"].tolist() == pytest.approx([0.0, 200.0])
    named = run("compare", str(tmp_path / "opt"), str(tmp_path / "lease"), "--names", "mine,theirs")
    assert named.exit_code == 0 and "theirs" in named.output


def test_cli_prices_plans_against_the_optimum(tmp_path, lease_plan):
    scenario = tmp_path / "scenario"
    write_scenario(build_or_lease(), scenario)
    result = run("compare", str(scenario), "--plan", f"lease={lease_plan}", "--out", str(tmp_path / "cmp"))
    assert result.exit_code == 0, result.output
    npv = pd.read_csv(tmp_path / "cmp" / "npv.csv")
    assert list(npv["plan"]) == ["optimum", "lease"] and npv["npv_diff"].tolist() == pytest.approx([0.0, 200.0])


def test_cli_says_what_the_locks_cost(tmp_path):
    """build_or_lease with the lease L forced open by 2027: either L from 2026 (750) or B in 2026
    and L from 2027 (550 + 4·150 = 1150): 750. Without the lock, the build: 550. The lock costs 200."""
    scenario = tmp_path / "scenario"
    write_scenario(build_or_lease(locks=[Lock(target="option", id="L", rule="force", year=2027)]), scenario)
    result = run("compare", str(scenario), "--without-locks")
    assert result.exit_code == 0, result.output
    assert "the locks cost 0.0002 MSEK (200 SEK" in result.output
    assert "within" not in result.output  # both proven: no interval


def test_cli_shows_long_ids_whole_on_a_narrow_terminal(tmp_path):
    """A long option id is folded over lines, never cut: its cell's lines joined give it whole."""
    long_id = "lease_offer_at_the_old_fire_station_by_the_canal_2026"
    scenario = tmp_path / "scenario"
    write_scenario(named_build_or_lease("B", long_id), scenario)
    plan = tmp_path / "p.csv"
    plan.write_text(f"year,action,option,site,modules\n2026,lease,{long_id},,1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["compare", str(scenario), "--plan", f"p={plan}"], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 60
    assert long_id in _column_text(result.output, long_id[:6])


def _column_text(output: str, start: str) -> str:
    """The text of the table cell whose first line begins with ``start``, its folded lines joined."""
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if re.search(rf"│ *{start}", line))
    column = next(j for j, cell in enumerate(lines[first].split("│")) if cell.strip().startswith(start))
    text = ""
    for line in lines[first:]:
        cells = line.split("│")
        if len(cells) <= column or (line is not lines[first] and cells[1].strip()):
            break
        text += cells[column].strip()
    return text


def test_evaluate_against_an_optimum(tmp_path, lease_plan):
    scenario = tmp_path / "scenario"
    write_scenario(build_or_lease(), scenario)
    assert run("solve", str(scenario), "--out", str(tmp_path / "opt"), "--no-excel").exit_code == 0
    against = ("--against", str(tmp_path / "opt"))
    result = run("evaluate", str(scenario), "--plan", str(lease_plan), "--out", str(tmp_path / "ev"), *against)
    assert result.exit_code == 0, result.output
    assert "Changes against the first plan" in result.output and "removed" in result.output


def test_bad_input_exits_2_with_a_clear_message(tmp_path, lease_plan, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "scenario"
    write_scenario(build_or_lease(), scenario)
    assert run("solve", str(scenario), "--out", str(tmp_path / "opt"), "--no-excel").exit_code == 0
    missing = run("compare", str(tmp_path / "opt"), str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "no result folder" in missing.output and "nowhere" in missing.output
    assert run("compare", str(tmp_path / "opt")).exit_code == 2
    assert run("compare", str(scenario), "--plan", "no-equals-sign").exit_code == 2
    assert run("compare", str(scenario), "--plan", f"x={tmp_path / 'none.csv'}").exit_code == 2
    names = run("compare", str(tmp_path / "opt"), str(tmp_path / "opt"), "--names", "a,b,c")
    assert names.exit_code == 2 and "3 name(s) for 2 plan(s)" in names.output
    against = run("evaluate", str(scenario), "--plan", str(lease_plan), "--against", str(tmp_path / "nowhere"))
    assert against.exit_code == 2 and "no result folder" in against.output
    assert not (tmp_path / "results").exists()
