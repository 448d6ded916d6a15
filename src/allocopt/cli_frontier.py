"""``allocopt frontier``: the budget frontier on the command line (:func:`allocopt.frontier.frontier`).

Parses the levels, calls the Python API, shows a progress bar over the levels, prints the table
and a chart, and writes ``frontier.csv`` and each level's result folder ``level_<i>/``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from allocopt.cli_common import EXIT_NO_PLAN, CountBar, friendly, lang_option, scenario_path
from allocopt.console import visible
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT


def parse_scale(text: str) -> list[float]:
    """``start:stop:count`` as the factors (inclusive; count 1 gives start alone); ValueError when malformed."""
    parts = text.split(":")
    if len(parts) != 3:
        raise ValueError(f"expected start:stop:count (such as 0.8:1.5:8), got {text!r}")
    try:
        start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"expected two numbers and a whole count, such as 0.8:1.5:8, got {text!r}") from None
    if count < 1:
        raise ValueError(f"the count must be at least 1, got {count}")
    if not (math.isfinite(start) and math.isfinite(stop)) or start < 0 or stop < start:
        raise ValueError(f"expected 0 ≤ start ≤ stop, got {text!r}")
    if count == 1:
        return [start]
    step = (stop - start) / (count - 1)
    return [round(start + i * step, 12) for i in range(count)]


def parse_list(text: str) -> list[float]:
    """Comma-separated numbers; ValueError when one is not a number."""
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(
            f"expected comma-separated numbers (MSEK per year), such as 200,250,300, got {text!r}"
        ) from None


def _levels(
    capex_scale: str | None, capex_levels: str | None, opex_scale: str | None, opex_levels: str | None
) -> tuple[list[float], str, str]:
    """The levels, the frame and the unit the options ask for; click.BadParameter (exit 2) when wrong."""
    from allocopt.frontier import check_levels

    options = {
        "--capex-scale": capex_scale,
        "--capex-levels": capex_levels,
        "--opex-scale": opex_scale,
        "--opex-levels": opex_levels,
    }
    given = [(name, text) for name, text in options.items() if text is not None]
    if len(given) != 1:
        raise click.UsageError(f"give exactly one of {', '.join(options)}")
    name, text = given[0]
    frame = "opex" if name.startswith("--opex") else "capex"
    unit = "msek" if name.endswith("-levels") else "factor"
    try:
        levels = check_levels(parse_list(text) if unit == "msek" else parse_scale(text), unit)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None
    return levels, frame, unit


@click.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--capex-scale", help="Factors on every year's capex caps: start:stop:count, inclusive (0.8:1.5:8).")
@click.option(
    "--capex-levels",
    help="Capex frame per year, MSEK, comma-separated (200,250,300): the cap of every year in the capex "
    "column(s) the scenario uses (capex_cap when it uses none).",
)
@click.option("--opex-scale", help="Factors on every year's opex caps (opex_cap, operating_cap): start:stop:count.")
@click.option(
    "--opex-levels",
    help="Opex frame per year, MSEK, comma-separated: the cap of every year in the opex column(s) the "
    "scenario uses (opex_cap when it uses none).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for frontier.csv and each level's results (level_<i>/) [default: ./results/<scenario>_frontier].",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIME_LIMIT,
    show_default=True,
    help="Solver time limit per level, seconds.",
)
@click.option(
    "--mip-gap", type=click.FloatRange(min=0), default=DEFAULT_MIP_GAP, show_default=True, help="Relative gap."
)
@click.option("--threads", type=click.IntRange(min=1), default=DEFAULT_THREADS, show_default=True, help="Threads.")
@click.option("--report", "html_report", is_flag=True, help="Also write the HTML report, report.html, into --out.")
@lang_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, table nor chart: one line per level.")
@friendly
def frontier(
    path,
    capex_scale,
    capex_levels,
    opex_scale,
    opex_levels,
    out,
    time_limit,
    mip_gap,
    threads,
    html_report,
    lang,
    quiet,
) -> None:
    """Solve a scenario at several levels of its capex (or opex) frame: what the next MSEK buys."""
    import allocopt
    from allocopt.frontier import frame_columns
    from allocopt.frontier import frontier as solve_frontier
    from allocopt.report import check_writable, results_folder

    levels, frame, unit = _levels(capex_scale, capex_levels, opex_scale, opex_levels)
    scenario = allocopt.load_scenario(scenario_path(path))
    target = Path(out) if out else results_folder(f"{scenario.settings.name}_frontier")
    try:
        frame_columns(scenario, frame, unit)
    except ValueError as exc:  # no frame to scale
        raise click.BadParameter(str(exc)) from None
    check_writable(target)
    err = Console(stderr=True, quiet=quiet)
    with _Bar(err, len(levels)) as bar:
        front = solve_frontier(
            scenario, levels, frame, unit=unit, time_limit=time_limit, mip_gap=mip_gap, threads=threads, progress=bar
        )
    chart = front.save(target)
    if quiet:
        for row in front.levels.itertuples():
            click.echo(
                f"{row.level:g}: {row.status}, objective {_num(row.objective, '.2f')}, gap {_num(row.gap, '.6f')}"
            )
    else:
        _print(front, Console(), chart)
    click.echo(f"frontier written to {visible(target)}")
    if html_report:
        from allocopt.board import REPORT_NAME, frontier_report, write_report

        click.echo(f"report written to {visible(write_report(frontier_report(front, lang), target / REPORT_NAME))}")
    stopped = next((r.stopped_by for r in front.results if r.stopped_by), None)
    if stopped is not None:
        from allocopt.interrupt import EXIT_CODES

        err.print(f"[red]interrupted[/] ({stopped}): the levels after it were not solved")
        sys.exit(EXIT_CODES.get(stopped, EXIT_CODES["SIGINT"]))
    if not any(r.has_plan and r.status != "unverified" for r in front.results):
        sys.exit(EXIT_NO_PLAN)


class _Bar(CountBar):
    """The progress bar over the levels, with the last level's status and gap."""

    def __init__(self, console: Console, total: int):
        super().__init__(console, "frontier", total)

    def __call__(self, done: int, total: int, result) -> None:
        gap = "" if result.gap is None else f", gap {100 * result.gap:.2f} %"
        level = result.settings.get("level", done)
        self.update(done, total, f"level {level:g}: {result.status}{gap}")


def _num(x, fmt: str, scale: float = 1.0) -> str:
    """``x / scale`` formatted, or – when unknown."""
    import pandas as pd

    return "–" if x is None or pd.isna(x) else format(x / scale, fmt)


def _print(front, console: Console, chart: Path | None) -> None:
    """The levels as a table, and NPV per level as a sparkline where no ``chart`` (frontier.png) was written."""
    import pandas as pd

    from allocopt.frontier_levels import sparkline

    what = "× caps" if front.unit == "factor" else "MSEK/yr"
    table = Table(title=f"{front.frame} frame frontier")
    for head in (
        f"level ({what})",
        "status",
        "NPV MSEK",
        "gap %",
        "unmet place-yrs",
        "capex MSEK",
        "Δ actions",
        "ΔNPV per MSEK",
    ):
        table.add_column(head, justify="right")
    for r in front.levels.itertuples():
        table.add_row(
            f"{r.level:g}",
            visible(r.status),
            _num(r.objective, ",.1f", 1e6),
            _num(r.gap, ".2f", 0.01),
            _num(r.unmet_place_years, ",.0f"),
            _num(r.capex_total, ",.1f", 1e6),
            _num(r.actions_changed, ".0f"),
            _num(r.d_npv_per_msek, ",.0f"),
        )
    console.print(table)
    if chart is None:
        ordered = front.levels.sort_values("level", kind="stable")
        npv = [None if pd.isna(x) else float(x) for x in ordered["objective"]]
        console.print(f"NPV by level, tightest left (matplotlib is not installed: no frontier.png): {sparkline(npv)}")
