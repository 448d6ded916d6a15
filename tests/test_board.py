"""The HTML report (allocopt.board, ``allocopt report`` and ``--report``): every section, both
languages, the same bytes twice, hostile names escaped, edge cases that have nothing to draw, and
the command line's files and exit codes. The browser's view is in test_board_browser.py."""

from __future__ import annotations

import re
from html import escape

import pandas as pd
import pytest

import allocopt
from allocopt.board import REPORT_NAME, comparison_report, frontier_report, plan_report, write_report
from allocopt.board.data import map_points, pressure, timeline
from allocopt.board.words import ACTIONS, FRAMES, NPV_PARTS, WORDS
from allocopt.compare import compare, read_result
from allocopt.frontier import Frontier
from allocopt.load import write_scenario
from allocopt.result import Result
from allocopt.scenario import Scenario, Settings
from cases import Budget, District, Option, Service, Site, SiteCapacity, flat, run, tiny

HOSTILE = "<script>alert('x')</script>"
PLAN_CHARTS = ("chart-pressure", "chart-frames", "chart-timeline", "chart-map")


def town(name: str = "town", penalty=5000.0, language: str = "en", description: str = "A small town.") -> Scenario:
    """Three districts (A at 0 km, B 3 km east, C 20 km east, beyond reach of A and B), preschool
    and school, 2026-2031. Preschool: A's site holds 80 places against demand 100, B has two sites of
    40 (one may close) against demand 30, C none against 20; options: a build in A (2 000 SEK over a
    2-year lead time), a lease of 10 places in C, a pavilion in A. School: demand 50 in A, served by
    its site. The capex cap is 1 000 SEK a year (the build's spread capex uses it in full); unmet
    demand costs ``penalty`` SEK a place-year, so C goes 10 places short at the default penalty."""
    years = range(2026, 2032)
    districts = [
        District(district="A", name="Alby", x_km=0.0, y_km=0.0),
        District(district="B", name=HOSTILE, x_km=3.0, y_km=0.0),
        District(district="C", name="Centrum & <b>Öst</b>", x_km=20.0, y_km=1.0),
    ]
    services = [Service(service="pre", name="Preschool", max_km=5.0), Service(service="sch", max_km=5.0)]
    demand = {**flat(100, years, "A"), **flat(30, years, "B"), **flat(20, years, "C"), **flat(50, years, "A", "sch")}
    sites = [
        Site(site="SA", name="Site A", district="A", opex=100.0),
        Site(site="SB", name="Old B", district="B", opex=500.0, may_close=True, closure_cost=10.0),
        Site(site="SB2", name="New B", district="B", opex=100.0),
        Site(site="SS", name="School A", district="A", opex=100.0),
    ]
    capacities = [
        SiteCapacity(site="SA", service="pre", capacity=80.0),
        SiteCapacity(site="SB", service="pre", capacity=40.0),
        SiteCapacity(site="SB2", service="pre", capacity=40.0),
        SiteCapacity(site="SS", service="sch", capacity=60.0),
    ]
    options = [
        Option(
            option="BA",
            name="New A",
            kind="build",
            district="A",
            service="pre",
            capacity=40.0,
            capex=2000.0,
            opex=50.0,
            lifetime=30,
            lead_time=2,
        ),
        Option(
            option="LC", name="Lease C", kind="lease", district="C", service="pre", capacity=10.0, rent=100.0, term=10
        ),
        Option(
            option="PA",
            name="Pavilion A",
            kind="pavilion",
            district="A",
            service="pre",
            capacity=25.0,
            capex=100.0,
            rent=300.0,
            term=3,
        ),
    ]
    scenario = tiny(
        2026,
        2031,
        penalty=penalty,
        districts=districts,
        services=services,
        demand=demand,
        sites=sites,
        capacities=capacities,
        options=options,
        budget=[Budget(year=y, capex_cap=1000.0) for y in years],
    )
    settings = scenario.settings.model_dump() | {"name": name, "description": description, "language": language}
    return scenario.model_copy(update={"settings": Settings(**settings)})


@pytest.fixture(scope="module")
def solved() -> Result:
    result = allocopt.solve(town(name=HOSTILE, description=f"about {HOSTILE}"), mip_gap=0.0)
    assert result.status == "optimal", result.message
    return result


@pytest.fixture(scope="module")
def saved(solved, tmp_path_factory):
    return solved.save(tmp_path_factory.mktemp("board") / "result", excel=False)


def chart_ids(html: str) -> list[str]:
    return re.findall(r'<div id="([^"]+)" class="plotly-graph-div"', html)


# ---------------------------------------------------------------- the plan report


def test_every_section_and_chart_in_order(solved):
    html = plan_report(solved)
    keys = re.findall(r'<section id="([^"]+)">', html)
    assert keys == ["headline", "pressure", "frames", "timeline", "map", "marginal", "settings"]
    assert [c for c in chart_ids(html) if c in PLAN_CHARTS] == list(PLAN_CHARTS)
    assert html.count('<script type="text/javascript">') == 1  # plotly.js once
    assert escape(WORDS["en"]["npv_real"]) in html and escape(WORDS["en"]["penalty_npv"]) in html
    assert "proven within" in html and "MSEK" in html
    assert "What the model leaves out" in html


def test_self_contained(solved):
    """No address a browser would fetch: no http(s) source, link or import (plotly.js mentions URLs
    in its text, so only attributes and CSS imports are checked), and a policy that forbids them."""
    html = plan_report(solved)
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    assert "default-src 'none'" in html and "connect-src 'none'" in html


def test_hostile_names_are_escaped(solved):
    html = plan_report(solved)
    assert "<script>alert" not in html and "\\u003cscript\\u003ealert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html  # the title, the headline
    assert "<b>Öst</b>" not in html
    assert "&lt;script&gt;alert('x')&lt;\\u002fscript&gt;" in html  # in the charts' JSON, as plotly shows text


def test_swedish(solved):
    html = plan_report(solved, "sv")
    assert '<html lang="sv">' in html
    assert "Nuvärde av verkliga pengar" in html and "mnkr" in html and "Vad modellen bortser från" in html
    assert "bevisat högst" in html
    with pytest.raises(ValueError, match="language"):
        plan_report(solved, "de")


def test_scenario_language_is_the_default(solved):
    swedish = Result(**{**solved.__dict__, "scenario_settings": {**solved.scenario_settings, "language": "sv"}})
    assert '<html lang="sv">' in plan_report(swedish)
    assert '<html lang="en">' in plan_report(swedish, "en")


def test_same_bytes_twice(solved, saved, tmp_path):
    assert plan_report(solved) == plan_report(solved)
    first = write_report(plan_report(read_result(saved)), tmp_path / "a.html").read_bytes()
    second = write_report(plan_report(read_result(saved)), tmp_path / "b.html").read_bytes()
    assert first == second


def test_words_in_both_languages():
    for table in (WORDS, ACTIONS, FRAMES, NPV_PARTS):
        assert set(table["en"]) == set(table["sv"])


def test_derived_tables(solved):
    """A: demand 100 against 80 places until something opens; C has demand and no site; the plan's
    openings appear in the timeline; the map has the three districts at their coordinates."""
    press = pressure(solved)
    first = press[(press["district"] == "A") & (press["service"] == "pre")].iloc[0]
    assert first["demand"] == pytest.approx(100.0)
    assert first["capacity"] >= 80.0 * 0.9 - 1e-6
    bars, _ = timeline(solved)
    assert set(bars["row"]) >= set(solved.actions.loc[solved.actions["action"] != "extend", "option"].dropna())
    districts, facilities, circle = map_points(solved)
    assert not circle and list(districts["id"]) == ["A", "B", "C"]
    assert list(districts["x"]) == [0.0, 3.0, 20.0]
    assert set(facilities["id"]) == {"SA", "SB", "SB2", "SS", "BA", "LC", "PA"}


# ---------------------------------------------------------------- edge cases


def test_no_actions_no_caps_no_unmet():
    """Demand 50 against a site of 100: nothing to do, no cap, no unmet demand, no coordinates."""
    scenario = tiny(
        2026,
        2028,
        districts=[District(district="A")],
        demand=flat(50, range(2026, 2029)),
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
    )
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal" and result.actions.empty
    html = plan_report(result)
    assert escape(WORDS["en"]["no_actions"]) in html
    assert escape(WORDS["en"]["no_caps"]) in html
    assert escape(WORDS["en"]["map_circle"]) in html
    assert "none" in html  # unmet place-years, in words
    assert set(PLAN_CHARTS) <= set(chart_ids(html))


def test_infeasible_shows_status_and_diagnosis():
    diagnosis = pd.DataFrame(
        [
            {
                "what": "capex_cap 2027",
                "family": "capex_cap",
                "key": HOSTILE,
                "amount": 500.0,
                "unit": "SEK",
                "message": "raise the cap",
                "alternative": "",
            }
        ]
    )
    result = Result(scenario="x", status="infeasible", message="no plan <here>", diagnosis=diagnosis)
    html = plan_report(result)
    assert "no plan meets every rule" in html and "no plan &lt;here&gt;" in html
    assert re.findall(r'<section id="([^"]+)">', html) == ["headline", "diagnosis", "settings"]
    assert "plotly-graph-div" not in html and "Plotly.newPlot" not in html
    assert "<script>alert" not in html


def test_empty_result_tables_never_crash():
    """A plan whose tables are all empty (an old or hand-made folder) still gives every chart."""
    html = plan_report(Result(scenario="empty", status="evaluated", objective=0.0))
    assert set(PLAN_CHARTS) <= set(chart_ids(html))


def test_old_result_folder_without_locations(saved, tmp_path):
    """A folder written before locations.csv and the analysis tables: read, and reported."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(saved, old)
    for name in ("locations.csv", "marginal_costs.csv", "binding_caps.csv", "unmet_reasons.csv"):
        (old / name).unlink()
    html = plan_report(read_result(old))
    assert set(PLAN_CHARTS) <= set(chart_ids(html)) and escape(WORDS["en"]["map_circle"]) in html


# ---------------------------------------------------------------- comparison and frontier


def test_comparison_report(solved):
    other = allocopt.solve(town(penalty=10.0), mip_gap=0.0)
    comparison = compare(solved, other, names=["optimum", HOSTILE])
    html = comparison_report(comparison, [solved, other], ["optimum", HOSTILE])
    assert re.findall(r'<section id="([^"]+)">', html) == [
        "headline",
        "npv",
        "frames",
        "unmet",
        "changes",
        "side_by_side",
        "settings",
    ]
    side = ["chart-pressure-1", "chart-map-1", "chart-pressure-2", "chart-map-2"]
    assert chart_ids(html) == ["chart-npv", "chart-frames", "chart-unmet", *side]
    assert "<script>alert" not in html
    assert html == comparison_report(comparison, [solved, other], ["optimum", HOSTILE])
    assert "Planer jämförda" in comparison_report(comparison, [solved, other], ["optimum", "b"], "sv")


def test_frontier_report(solved):
    levels = pd.DataFrame(
        [
            {
                "level": 0.5,
                "status": "time_limit",
                "objective": 2e6,
                "bound": 1.5e6,
                "gap": 0.25,
                "npv_real": 1.8e6,
                "unmet_place_years": 20.0,
                "capex_total": 1e6,
            },
            {
                "level": 1.0,
                "status": "optimal",
                "objective": 1e6,
                "bound": 1e6,
                "gap": 0.0,
                "npv_real": 1e6,
                "unmet_place_years": 0.0,
                "capex_total": 2e6,
            },
        ]
    )
    html = frontier_report(Frontier(frame="capex", unit="factor", levels=levels, results=[solved, solved]))
    assert chart_ids(html) == ["chart-frontier"]
    assert re.findall(r'<section id="([^"]+)">', html) == ["frontier", "levels", "settings"]
    assert "× the caps" in html
    assert frontier_report(Frontier(frame="capex", unit="msek", levels=levels), "sv").count("<section") == 3


# ---------------------------------------------------------------- writing and the command line


def test_write_report_is_atomic(tmp_path, monkeypatch):
    target = write_report("<p>one</p>", tmp_path / "r.html")
    assert target.read_text(encoding="utf-8") == "<p>one</p>"

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_report("<p>two</p>", target)
    assert target.read_text(encoding="utf-8") == "<p>one</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left


def test_cli_report(saved, tmp_path):
    result = run("report", str(saved))
    assert result.exit_code == 0, result.output
    assert (saved / REPORT_NAME).is_file()
    out = tmp_path / "sv.html"
    result = run("report", str(saved), "--out", str(out), "--lang", "sv")
    assert result.exit_code == 0 and '<html lang="sv">' in out.read_text(encoding="utf-8")


def test_cli_report_bad_input(tmp_path, saved):
    missing = run("report", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "no result folder" in missing.output
    (tmp_path / "plain").mkdir()
    not_result = run("report", str(tmp_path / "plain"))
    assert not_result.exit_code == 2 and "not a result folder" in not_result.output
    bad_lang = run("report", str(saved), "--lang", "de")
    assert bad_lang.exit_code == 2 and "--lang" in bad_lang.output
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "summary.json").write_text("{nope", encoding="utf-8")
    broken = run("report", str(tmp_path / "broken"))
    assert broken.exit_code == 2 and "summary.json" in broken.output


def test_cli_solve_report_and_save_again(tmp_path):
    """solve --report writes report.html beside the result files, and a second solve into the same
    folder replaces it (report.html is a file a result folder may hold)."""
    folder = tmp_path / "scenario"
    write_scenario(town(), folder)
    out = tmp_path / "out"
    for _ in range(2):
        result = run("solve", str(folder), "--out", str(out), "--quiet", "--no-excel", "--report", "--lang", "sv")
        assert result.exit_code == 0, result.output
    assert '<html lang="sv">' in (out / REPORT_NAME).read_text(encoding="utf-8")
    result = run("solve", str(folder), "--out", str(out), "--quiet", "--no-excel")
    assert result.exit_code == 0 and not (out / REPORT_NAME).exists()


def test_cli_compare_report(saved, tmp_path, monkeypatch):
    """--report writes report.html beside the comparison's files in --out (replaced by a later
    comparison), or into ./results/comparison without --out."""
    out = tmp_path / "compared"
    for _ in range(2):
        result = run("compare", str(saved), str(saved), "--names", "a,b", "--out", str(out), "--report")
        assert result.exit_code == 0, result.output
    assert "chart-npv" in (out / REPORT_NAME).read_text(encoding="utf-8")
    assert (out / "comparison.xlsx").is_file()
    monkeypatch.chdir(tmp_path)
    result = run("compare", str(saved), str(saved), "--names", "a,b", "--report")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "results" / "comparison" / REPORT_NAME).is_file()


def test_cli_frontier_report(tmp_path):
    folder = tmp_path / "scenario"
    write_scenario(town(), folder)
    out = tmp_path / "frontier"
    result = run("frontier", str(folder), "--capex-scale", "0.5:1:2", "--out", str(out), "--quiet", "--report")
    assert result.exit_code == 0, result.output
    html = (out / REPORT_NAME).read_text(encoding="utf-8")
    assert chart_ids(html) == ["chart-frontier"] and "× the caps" in html
