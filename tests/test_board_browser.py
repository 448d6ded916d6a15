"""The HTML report in a real browser (Debian's Chromium through playwright): no console or page
error, no request to anything but the file itself, and every chart drawn by plotly with marks.
Skipped where no Chromium is installed. The default scenario's report (a ~60 s solve) is marked slow."""

from __future__ import annotations

import pytest

import allocopt
from allocopt.board import comparison_report, plan_report, write_report
from allocopt.compare import compare

browser = pytest.importorskip("browser")  # tests/browser.py: needs playwright
if browser.chromium() is None:
    pytest.skip("no Chromium at /usr/bin/chromium nor on PATH: the browser tests need one", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright")

from test_board import HOSTILE, PLAN_CHARTS, town  # noqa: E402


def assert_clean_and_drawn(seen, charts) -> None:
    """No error, no request, and each of ``charts`` drawn: an SVG and at least one mark (or, for a
    chart that says in words it has nothing to draw, its annotation)."""
    assert seen.console_errors == [], seen.console_errors
    assert seen.page_errors == [], seen.page_errors
    assert seen.requests == [], seen.requests
    for chart in charts:
        drawn = seen.charts.get(chart)
        assert drawn and drawn["found"] and drawn["plotted"], f"{chart}: not drawn ({drawn})"
        assert drawn["svg"] > 0, f"{chart}: no SVG"
        assert drawn["marks"] > 0, f"{chart}: no marks ({drawn})"


@pytest.fixture(scope="module")
def small():
    result = allocopt.solve(town(name=HOSTILE), mip_gap=0.0)
    assert result.status == "optimal", result.message
    return result


def test_small_plan_in_a_browser(small, tmp_path):
    page = write_report(plan_report(small), tmp_path / "report.html")
    seen = browser.look(page, tmp_path / "report.png")
    assert seen.chart_ids == [*PLAN_CHARTS, "chart-marginal"]
    assert_clean_and_drawn(seen, seen.chart_ids)
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_comparison_in_a_browser(small, tmp_path):
    other = allocopt.solve(town(penalty=10.0), mip_gap=0.0)
    comparison = compare(small, other, names=["optimum", "cheap penalty"])
    page = write_report(
        comparison_report(comparison, [small, other], ["optimum", "cheap penalty"], "sv"), tmp_path / "c.html"
    )
    seen = browser.look(page, tmp_path / "comparison.png")
    side = ["chart-pressure-1", "chart-map-1", "chart-pressure-2", "chart-map-2"]
    assert seen.chart_ids == ["chart-npv", "chart-frames", "chart-unmet", *side]
    assert_clean_and_drawn(seen, seen.chart_ids)


@pytest.mark.slow
def test_default_scenario_in_a_browser(tmp_path):
    """The embedded default scenario (Södertälje, illustrative): heat map, frames, timeline and map drawn."""
    result = allocopt.solve(allocopt.load_scenario(allocopt.default_scenario_path()))
    assert result.has_plan, result.message
    page = write_report(plan_report(result), tmp_path / "report.html")
    seen = browser.look(page, tmp_path / "report.png")
    assert_clean_and_drawn(seen, PLAN_CHARTS)
    assert seen.charts["chart-timeline"]["marks"] > 20 and seen.charts["chart-map"]["marks"] > 50


def test_frontier_in_a_browser(small, tmp_path):
    from allocopt.board import frontier_report
    from allocopt.frontier import frontier

    front = frontier(town(), [0.5, 1.0], "capex", mip_gap=0.0)
    page = write_report(frontier_report(front), tmp_path / "f.html")
    seen = browser.look(page, tmp_path / "frontier.png")
    assert seen.chart_ids == ["chart-frontier"]
    assert_clean_and_drawn(seen, seen.chart_ids)
