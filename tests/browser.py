"""Open an HTML report in a real browser (Debian's Chromium through playwright, never playwright's
own download) and say what it saw: console errors, page errors, every request other than the file
itself, and per chart div whether plotly drew it and how many marks. Used by the browser tests and
by docs/screenshot.py."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags that let Chromium run here: no sandbox (containers), no GPU, and no call home."""

MARKS = (
    ".heatmaplayer image, .barlayer .point path, .scatterlayer .points path, "
    ".scatterlayer .js-line, .scatterlayer .textpoint, .errorbars path"
)
"""What counts as a drawn mark of a plotly chart: heat map images, bars, points, lines, labels."""

COUNT_MARKS = f"""
(ids) => ids.map((id) => {{
  const div = document.getElementById(id);
  if (!div) return {{id, found: false, svg: 0, marks: 0, notes: 0}};
  return {{
    id, found: true,
    svg: div.querySelectorAll('.main-svg').length,
    plotted: div.classList.contains('js-plotly-plot'),
    marks: div.querySelectorAll('{MARKS}').length,
    notes: div.querySelectorAll('.annotation-text').length,
  }};
}})
"""


@dataclass
class Seen:
    """What the browser saw of a page: console errors, uncaught page errors, requests to anything
    but the file, and per chart id its count of SVGs, marks and annotations."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    charts: dict[str, dict] = field(default_factory=dict)
    chart_ids: list[str] = field(default_factory=list)


def chromium() -> str | None:
    """The system's Chromium, or None."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def look(
    html_file: Path,
    screenshot: Path | None = None,
    *,
    width: int = 1280,
    full_page: bool = True,
    clip_height: int | None = None,
) -> Seen:
    """Open ``html_file`` in headless Chromium, wait for the charts, and report what was seen; save a
    screenshot to ``screenshot`` (the full page, or the top ``clip_height`` pixels)."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium: /usr/bin/chromium is missing and none is on PATH")
    url = Path(html_file).resolve().as_uri()
    seen = Seen()
    with tempfile.TemporaryDirectory(prefix="allocopt-chromium-") as profile, sync_playwright() as play:
        browser = play.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            args=list(CHROMIUM_FLAGS),
            headless=True,
            viewport={"width": width, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: seen.page_errors.append(str(e)))
            page.on("request", lambda r: seen.requests.append(r.url) if r.url != url else None)
            page.goto(url, wait_until="load")
            seen.chart_ids = page.eval_on_selector_all("div.plotly-graph-div", "(divs) => divs.map((d) => d.id)")
            if seen.chart_ids:
                page.wait_for_function(
                    "(n) => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
                    arg=len(seen.chart_ids),
                    timeout=30_000,
                )
                page.wait_for_timeout(300)
            seen.charts = {c["id"]: c for c in page.evaluate(COUNT_MARKS, seen.chart_ids)}
            if screenshot is not None:
                if clip_height is None:
                    page.screenshot(path=str(screenshot), full_page=full_page)
                else:
                    page.set_viewport_size({"width": width, "height": clip_height})
                    page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    return seen
