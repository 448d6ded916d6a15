"""``allocopt robust``: the plan that holds over the forecast variants (:func:`allocopt.robust.robust`).

Parses arguments, calls the Python API, prints the figures and the variants, and writes the
result folder (:meth:`allocopt.robust.RobustResult.save`).
"""

from __future__ import annotations

import math
import sys

import click
from rich.console import Console
from rich.table import Table

from allocopt.cli_common import EXIT_NO_PLAN, friendly, scenario_path
from allocopt.console import visible
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT


def _unit(values) -> tuple[float, str]:
    """MSEK (divisor 1e6), or SEK where every finite figure is below 10 000 SEK (a small test case)."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    return (1e6, "MSEK") if any(v >= 1e4 for v in finite) else (1.0, "SEK")


def _money(x, divisor: float) -> str:
    """``x`` SEK in the table's unit; – unknown, ∞ infinite."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if math.isinf(x):
        return "∞"
    return f"{x / divisor + 0.0:,.3f}" if divisor > 1 else f"{x + 0.0:,.2f}"


def _gap_and_threads(command):
    """``--mip-gap`` and ``--threads``, as robust and regret take them (each solve's)."""
    command = click.option(
        "--threads", type=click.IntRange(min=1), default=DEFAULT_THREADS, show_default=True, help="HiGHS threads."
    )(command)
    return click.option(
        "--mip-gap", type=float, default=DEFAULT_MIP_GAP, show_default=True, help="Relative gap of each solve."
    )(command)


@click.command()
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--commit-until",
    type=int,
    default=None,
    help="Last decision year whose decisions every forecast variant shares [default: the first year plus "
    "the largest lead time].",
)
@click.option(
    "--time-limit",
    type=float,
    default=DEFAULT_TIME_LIMIT,
    show_default=True,
    help="Seconds for each of the four solves.",
)
@_gap_and_threads
@click.option(
    "--cvar-weight",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Weight of the CVaR (the expected cost of the worst variants) against the expected cost: 0 minimises "
    "the expected cost, 1 the CVaR alone.",
)
@click.option(
    "--cvar-level",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.9,
    show_default=True,
    help="The CVaR's level: 0.9 weighs the worst 10 % of probability.",
)
@click.option("--no-figures", is_flag=True, help="Solve the robust plan only (no EV, EEV, WS, VSS, EVPI).")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder for the result files.")
@friendly
def robust(
    path: str | None,
    commit_until: int | None,
    time_limit: float,
    mip_gap: float,
    threads: int,
    cvar_weight: float,
    cvar_level: float,
    no_figures: bool,
    out: str | None,
) -> None:
    """The plan of least expected cost over the scenario's forecast variants (forecasts.csv): the
    decisions taken by --commit-until shared, each variant adapting after; the value of the stochastic
    solution (VSS) and of perfect information (EVPI). Money in MSEK."""
    from allocopt.robust import Risk
    from allocopt.robust import robust as solve_robust

    res = solve_robust(
        scenario_path(path),
        commit_until,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        figures=not no_figures,
        risk=Risk(cvar_weight, cvar_level),
    )
    console = Console()
    console.print(f"robust plan of {visible(res.scenario)}: [bold]{res.status}[/] (commit until {res.commit_until})")
    if res.message:
        console.print(visible(res.message, lines=True), highlight=False)
    if res.expected_cost is None:
        sys.exit(EXIT_NO_PLAN)
    divisor, unit = _unit([*res.figures["low"], *res.figures["high"], *res.variants["cost"]])
    what = "expected cost" if cvar_weight == 0 else f"mean-risk cost, CVaR weight {cvar_weight:g} at {cvar_level:g}"
    figures = Table("figure", "value", "low", "high", "status", title=f"{what} ({unit})")
    for row in res.figures.itertuples(index=False):
        figures.add_row(
            row.figure, _money(row.value, divisor), _money(row.low, divisor), _money(row.high, divisor), row.status
        )
    console.print(figures)
    variants = Table(
        "forecast", "probability", f"cost ({unit})", f"own optimum ({unit})", "unmet place-years", "violations"
    )
    for row in res.variants.itertuples(index=False):
        variants.add_row(
            visible(row.forecast),
            f"{row.probability:g}",
            _money(row.cost, divisor),
            _money(row.own_optimum, divisor),
            f"{row.unmet_place_years:,.1f}",
            str(row.violations),
        )
    console.print(variants)
    console.print(f"{len(res.committed)} committed action(s), the same in every variant")
    if out:
        console.print(f"written to {visible(res.save(out))}")
    if res.status not in ("optimal", "time_limit"):
        sys.exit(EXIT_NO_PLAN)


@click.command()
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--commit-until",
    type=int,
    default=None,
    help="Last decision year of each variant's plan that is kept [default: the first year plus the largest lead time].",
)
@click.option("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, show_default=True, help="Seconds for each solve.")
@_gap_and_threads
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Folder for regret.csv.")
@friendly
def regret(
    path: str | None, commit_until: int | None, time_limit: float, mip_gap: float, threads: int, out: str | None
) -> None:
    """Each forecast variant's own plan, its decisions by --commit-until kept, when every other variant
    comes true (adapting after): cost and regret in MSEK, unmet place-years."""
    from allocopt.regret import regret as solve_regret

    res = solve_regret(scenario_path(path), commit_until, time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    console = Console()
    console.print(f"regret of {visible(res.scenario)} (commit until {res.commit_until})")
    if res.table.empty:
        console.print("no plan for the variants planned on their own")
        sys.exit(EXIT_NO_PLAN)
    names = list(res.own)
    divisor, unit = _unit(res.table["cost"])
    for column, title in (("cost", f"cost ({unit})"), ("regret", f"regret ({unit})"), ("unmet_place_years", "unmet")):
        wide = res.wide(column)
        table = Table("plan of \\ comes true", *[visible(n) for n in names], title=title)
        for plan in names:
            cells = [wide.loc[plan, n] for n in names]
            shown = [f"{c:,.1f}" if column == "unmet_place_years" else _money(float(c), divisor) for c in cells]
            table.add_row(visible(plan), *shown)
        console.print(table)
    if out:
        console.print(f"written to {visible(res.save(out))}")
