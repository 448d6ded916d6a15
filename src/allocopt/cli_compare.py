"""``allocopt compare``: plans side by side in the terminal (rich tables) and, with --out, in files.

Three ways to name the plans, the first the reference:

- result folders: ``allocopt compare A B [C ...]``;
- a scenario and plans: ``allocopt compare SCENARIO --plan NAME=plan.csv ...``: the scenario's
  optimum (``allocopt solve``'s default settings) next to each plan priced by ``allocopt evaluate``;
  a plan spelled ``--plan baseline`` is the scenario's do-nothing plan (:func:`allocopt.baseline`),
  solved and compared like the others, with the optimum's difference against it said in a sentence;
- a scenario with and without its locks: ``allocopt compare SCENARIO --without-locks``, saying what
  the locks cost (an interval from the solvers' bounds when a solve is not proven to a zero gap).

Parses arguments and calls the Python API (:func:`allocopt.compare.compare`), nothing more.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from allocopt.cli_common import EXIT_NO_PLAN, err, friendly, lang_option, scenario_path
from allocopt.compare import CompareError, Comparison, locks_cost, read_result
from allocopt.compare import compare as compare_plans
from allocopt.console import plain, visible
from allocopt.solver import DEFAULT_TIME_LIMIT

MSEK = 1e6

GAP_SHOWN = 1e-9
"""A relative gap above this makes the locks' cost an interval (below it the solve is taken as exact)."""


BASELINE_ENTRY = "baseline"
"""The ``--plan`` entry that stands for the scenario's do-nothing plan (:func:`allocopt.baseline`)."""


def _is_baseline(value: str) -> bool:
    return value.strip() == BASELINE_ENTRY


def _named_plan(value: str) -> tuple[str, Path | None]:
    """``NAME=FILE`` as (name, file); the entry ``baseline`` as (baseline, None)."""
    if _is_baseline(value):
        return BASELINE_ENTRY, None
    name, sep, file = value.partition("=")
    if not sep or not name.strip() or not file:
        raise click.BadParameter(f"'{visible(value)}' is not NAME=plan.csv", param_hint="--plan")
    return name.strip(), Path(file)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--plan",
    "plans",
    multiple=True,
    metavar="NAME=FILE",
    help="A plan (CSV in the format of actions.csv) to price against the optimum of the scenario PATH, or "
    "'baseline': the scenario's do-nothing plan (no new build, lease, pavilion, expansion or conversion beyond "
    "the forced ones), solved; repeatable.",
)
@click.option(
    "--without-locks",
    is_flag=True,
    help="Compare the scenario's optimum with its locks and without them, and say what the locks cost.",
)
@click.option(
    "--names",
    default=None,
    help="Comma-separated names of the compared plans, in order [default: the folders' names; with a "
    "scenario: optimum (with --without-locks: with locks, without locks), the --plan names].",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for comparison.xlsx and one CSV per table (SEK).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIME_LIMIT,
    show_default=True,
    help="Time limit of each solve of the scenario, seconds.",
)
@click.option(
    "--report",
    "html_report",
    is_flag=True,
    help="Also write the comparison's HTML report, report.html, into --out (default: ./results/comparison).",
)
@lang_option
@friendly
def compare(paths, plans, without_locks, names, out, time_limit, html_report, lang) -> None:
    """Compare plans, the first the reference: result folders (PATHS: two or more), or the optimum of
    the scenario PATH with --plan NAME=FILE ... and/or --without-locks."""

    console = Console()
    scenario_mode = bool(plans or without_locks)
    count = 1 + int(without_locks) + len(plans) if scenario_mode else len(paths)
    given = None if names is None else [n.strip() for n in names.split(",")]
    if given is not None and len(given) != count:
        raise click.UsageError(f"--names gives {len(given)} name(s) for {count} plan(s)")
    if scenario_mode:
        if len(paths) > 1:
            raise click.UsageError("with --plan or --without-locks, give one scenario PATH (or none: the default)")
        results, labels = _from_scenario(paths[0] if paths else None, plans, without_locks, time_limit, console)
        baseline_at = next((i for i, plan in enumerate(plans, start=count - len(plans)) if _is_baseline(plan)), None)
    else:
        if len(paths) < 2:
            raise click.UsageError("give two result folders or more, or a scenario with --plan or --without-locks")
        results, baseline_at = [read_result(p) for p in paths], None
        labels = [Path(p).resolve().name or str(p) for p in paths]
    labels = given or labels
    unplanned = [(label, r) for label, r in zip(labels, results) if not r.has_plan]
    for label, r in unplanned:
        err.print(
            Text.assemble(("no plan: ", "red"), f"{visible(label)}: {visible(r.status)} ", visible(r.message)),
            highlight=False,
            soft_wrap=True,
        )
    if unplanned:
        sys.exit(EXIT_NO_PLAN)
    try:
        comparison = compare_plans(*results, names=labels)
    except CompareError as exc:
        raise click.UsageError(str(exc)) from None
    print_comparison(comparison, console)
    if baseline_at is not None:
        print_against_baseline(results[0], results[baseline_at], console)
    if without_locks:
        print_locks_cost(results[0], results[1], console)
    if html_report and not out:
        from allocopt.report import results_folder

        out = results_folder("comparison")
    if out:
        click.echo(f"comparison written to {visible(comparison.save(out))}")
    if html_report:
        from allocopt.board import REPORT_NAME, comparison_report, write_report

        written = write_report(comparison_report(comparison, results, labels, lang), Path(out) / REPORT_NAME)
        click.echo(f"report written to {visible(written)}")


def _from_scenario(path, plans, without_locks, time_limit, console):
    """The scenario's optimum (with its locks, and an adopted plan's kept actions), then without them
    (--without-locks), then each plan priced or the do-nothing plan solved."""
    import allocopt
    from allocopt.adopted import with_adopted
    from allocopt.adopted import without_locks as lockless

    named = [_named_plan(p) for p in plans]
    for _, file in named:
        if file is not None and not file.is_file():
            raise FileNotFoundError(f"no plan file {file}")
    scenario = allocopt.load_scenario(scenario_path(path))
    results = [allocopt.solve(scenario, time_limit=time_limit)]  # an adopted plan's kept actions: locks
    labels = ["with locks" if without_locks else "optimum"]
    if without_locks:
        if not with_adopted(scenario).locks:
            console.print("the scenario has no locks: both solves are the same model")
        results.append(allocopt.solve(lockless(scenario), time_limit=time_limit))
        labels.append("without locks")
    for name, file in named:
        if file is None:
            results.append(allocopt.baseline(scenario, time_limit=time_limit))
            labels.append(name)
            continue
        results.append(allocopt.evaluate(scenario, file))
        labels.append(name)
        if results[-1].violations:
            console.print(
                Text(f"{visible(name)} breaks {len(results[-1].violations)} rule(s) (allocopt evaluate lists them)"),
                style="yellow",
            )
    return results, labels


# ---------------------------------------------------------------- the terminal


def _msek(x) -> str:
    """MSEK with one decimal; small figures (below 0.1 MSEK) with four significant digits."""
    if x is None or pd.isna(x):
        return "–"
    return f"{x / MSEK:,.1f}" if abs(x) >= 0.1 * MSEK or x == 0 else f"{x / MSEK:.4g}"


def _places(x) -> str:
    """A difference of place-years, signed (0 without a sign)."""
    return "0" if round(x) == 0 else f"{x:+,.0f}"


def _signed(x) -> str:
    text = _msek(x)
    return text if text in ("–", "0.0") or text.startswith("-") else "+" + text


ROWS: tuple[tuple[str, str], ...] = (
    ("npv", "NPV (discounted)"),
    ("capex", "  capex"),
    ("opex", "  opex"),
    ("rent", "  rent"),
    ("closure_cost", "  closure cost"),
    ("sale", "  sale (income)"),
    ("vacancy_cost", "  vacancy cost"),
    ("relet_income", "  re-let income"),
    ("travel", "  travel"),
    ("residual", "  residual value (income)"),
    ("penalty", "  unmet-demand penalty"),
    ("npv_real", "NPV of real money"),
)
"""The NPV table's rows: figure and label."""


def npv_table(comparison: Comparison) -> Table:
    """The plans' NPVs and their parts (MSEK), each plan's difference to the reference beside it."""
    npv = comparison.npv
    table = Table(title="NPV by part (MSEK, discounted; Δ: against the first)", title_justify="left")
    table.add_column("", overflow="fold", no_wrap=False)
    for i, name in enumerate(npv["plan"]):
        table.add_column(plain(name), justify="right", overflow="fold", no_wrap=False)
        if i:
            table.add_column(Text("Δ ") + plain(name), justify="right", overflow="fold", no_wrap=False)
    table.add_row("status", *_cells(npv, lambda r: visible(r["status"]), lambda r: ""))
    for figure, label in ROWS:
        value, diff = (lambda r, f=figure: _msek(r[f])), (lambda r, f=figure: _signed(r[f"{f}_diff"]))
        table.add_row(label, *_cells(npv, value, diff))
    table.add_row(
        "unmet place-years",
        *_cells(npv, lambda r: f"{r['unmet_place_years']:,.0f}", lambda r: _places(r["unmet_place_years_diff"])),
    )
    return table


def _cells(npv: pd.DataFrame, value, diff) -> list[str]:
    out = []
    for i, row in enumerate(npv.to_dict("records")):
        out.append(value(row))
        if i:
            out.append(diff(row))
    return out


def changes_table(comparison: Comparison) -> Table:
    """The decisions that differ from the reference's."""
    table = Table(title="Changes against the first plan", title_justify="left")
    for column in ("plan", "change", "action", "option / site", "year", "modules"):
        table.add_column(column, overflow="fold", no_wrap=False)
    for row in comparison.changes.to_dict("records"):
        ident = row["option"] if isinstance(row["option"], str) else row["site"]
        table.add_row(
            plain(row["plan"]),
            row["change"],
            plain(row["action"]),
            plain(ident),
            _arrow(row["from_year"], row["to_year"]),
            _arrow(row["from_modules"], row["to_modules"]),
        )
    return table


def _arrow(before, after) -> str:
    shown = ["" if pd.isna(v) else str(int(v)) for v in (before, after)]
    if shown[0] == shown[1]:
        return shown[0]
    return " → ".join(s or "–" for s in shown)


def capex_table(comparison: Comparison) -> Table:
    """The group's capex and opex (with external rent) per year and plan (MSEK, undiscounted)."""
    frames = comparison.frames
    table = Table(title="Group capex / opex+rent per year (MSEK, undiscounted)", title_justify="left")
    table.add_column("year", justify="right")
    names = list(comparison.npv["plan"])
    for name in names:
        table.add_column(plain(name), justify="right", overflow="fold", no_wrap=False)
    spend = frames[frames["frame"].isin(["capex_cap", "opex_cap"])].pivot_table(
        index="year", columns=["plan", "frame"], values="spend", aggfunc="sum"
    )
    for year, row in spend.iterrows():
        cells = [f"{_msek(row.get((n, 'capex_cap')))} / {_msek(row.get((n, 'opex_cap')))}" for n in names]
        table.add_row(str(year), *cells)
    return table


def print_comparison(comparison: Comparison, console: Console | None = None) -> None:
    """Print the comparison: NPVs by part, the changes, the closures, capex per year, unmet demand."""
    console = console or Console()
    console.print(npv_table(comparison))
    if len(comparison.changes):
        console.print(changes_table(comparison))
    else:
        console.print("no decision differs from the first plan's")
    if len(comparison.closed):
        table = Table(title="Sites closed", title_justify="left")
        for column in ("plan", "site", "year", "action"):
            table.add_column(column, overflow="fold", no_wrap=False)
        for row in comparison.closed.to_dict("records"):
            table.add_row(plain(row["plan"]), plain(row["site"]), str(row["year"]), plain(row["action"]))
        console.print(table)
    if len(comparison.frames):
        console.print(capex_table(comparison))
    unmet = comparison.unmet[comparison.unmet["unmet"] > 0]
    if len(unmet):
        table = Table(title="Unmet demand (place-years)", title_justify="left")
        for column in ("plan", "service", "place-years"):
            table.add_column(
                column, overflow="fold", no_wrap=False, justify="right" if column == "place-years" else "left"
            )
        for (plan, service), value in unmet.groupby(["plan", "service"], sort=False)["unmet"].sum().items():
            table.add_row(plain(plan), plain(service), f"{value:,.0f}")
        console.print(table)


def print_against(reference, result, folder: Path, console: Console) -> None:
    """``allocopt evaluate --against``: the evaluated plan next to the plan in result folder ``folder``."""
    name = folder.resolve().name or "reference"
    print_comparison(compare_plans(reference, result, names=[name, "evaluated" if name == "plan" else "plan"]), console)


def print_against_baseline(plan, base, console: Console) -> None:
    """The optimum against the do-nothing plan in one sentence (:meth:`allocopt.BaselineDifference.sentence`)."""
    from allocopt.baseline import baseline_difference

    console.print(f"against doing nothing: {baseline_difference(plan, base).sentence()}", highlight=False)


def print_locks_cost(with_locks, without, console: Console) -> None:
    """Say what the locks cost: the difference of the objectives, and the interval the bounds allow
    when either solve is not proven to a zero gap."""
    cost, low, high = locks_cost(with_locks, without)
    console.print(f"the locks cost {_msek(cost)} MSEK ({cost:,.0f} SEK, discounted)", highlight=False)
    if max(with_locks.gap or 0.0, without.gap or 0.0) > GAP_SHOWN:
        console.print(
            f"  within [{_msek(low)}, {_msek(high)}] MSEK: the solves stopped at gaps of "
            f"{100 * (with_locks.gap or 0.0):.3f} % (with) and {100 * (without.gap or 0.0):.3f} % (without)",
            highlight=False,
        )
