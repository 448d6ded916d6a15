"""``allocopt solve``: the plan of least discounted cost, with the do-nothing baseline on request
(:mod:`allocopt.baseline`) and the adopted plan's deviations (:mod:`allocopt.adopted`); parses
arguments, calls the Python API, prints the summary and writes the result folder.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console

from allocopt.cli_common import (
    EXIT_NO_PLAN,
    err,
    friendly,
    lang_option,
    print_violations,
    scenario_path,
)
from allocopt.console import markup_safe, print_result, visible
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT


def _shown(flag: str, kind, default, text: str):
    """A solve setting with its default shown in --help."""
    return click.option(flag, type=kind, default=default, show_default=True, help=text)


@click.command()
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the result files [default: ./results/<scenario name as a safe folder name>].",
)
@_shown("--time-limit", click.FloatRange(min=0, min_open=True), DEFAULT_TIME_LIMIT, "Solver time limit, seconds.")
@_shown(
    "--mip-gap",
    click.FloatRange(min=0),
    DEFAULT_MIP_GAP,
    "Relative optimality gap at which a plan counts as optimal (0.005 = 0.5 %).",
)
@_shown(
    "--threads",
    click.IntRange(min=1),
    DEFAULT_THREADS,
    "Threads: with two or more, the first plan is made on one of them, beside HiGHS.",
)
@_shown(
    "--first-plan/--no-first-plan",
    None,
    True,
    "Hand HiGHS a first plan (the LP rounded, then re-planned year by year): made beside "
    "HiGHS with two threads or more, before it with one.",
)
@click.option(
    "--check/--no-check",
    "run_check",
    default=True,
    hidden=True,
    help="Kept for scripts: every plan is checked by the independent checker; a plan it does not "
    "confirm is reported as 'unverified' and not saved.",
)
@click.option(
    "--save-interrupted",
    is_flag=True,
    help="On Ctrl-C or SIGTERM, save the best plan so far into --out even where it replaces an "
    "earlier result (without it, an earlier result is never replaced by an interrupted one).",
)
@click.option(
    "--failure-record",
    is_flag=True,
    help="When no plan is saved (infeasible, error, unverified), write the reason to <out>.failed.json beside --out.",
)
@click.option("--no-excel", is_flag=True, help="Skip result.xlsx.")
@click.option("--report", "html_report", is_flag=True, help="Also write the HTML report, report.html, into --out.")
@click.option(
    "--baseline",
    "with_baseline",
    is_flag=True,
    help="Also solve the do-nothing baseline (no new build, lease, pavilion, expansion or conversion beyond "
    "the forced ones) once the plan is found (optimal or time-limited): its result into <out>/baseline/, the "
    "plan's difference against it into summary.json; both written together or not at all.",
)
@click.option(
    "--deviation-savings",
    is_flag=True,
    help="With an adopted plan: price what each deviation from it saves (the plan with that deviation undone, "
    "priced by allocopt evaluate: one evaluation per deviation), into deviations.csv.",
)
@lang_option
@click.option("--quiet", "-q", is_flag=True, help="Print only the status line.")
@friendly
def solve(
    path,
    out,
    time_limit,
    mip_gap,
    threads,
    first_plan,
    run_check,
    save_interrupted,
    failure_record,
    no_excel,
    html_report,
    with_baseline,
    deviation_savings,
    lang,
    quiet,
) -> None:
    """Solve a scenario (folder or .xlsx) and write the plan to --out (with --baseline, beside the
    do-nothing plan; with an adopted plan, its deviations from it)."""
    import allocopt
    from allocopt.baseline import check_writable as check_plan_folder
    from allocopt.console import SolveProgress
    from allocopt.interrupt import EXIT_CODES
    from allocopt.report import check_writable, results_folder
    from allocopt.result import PLAN_STATUSES

    start = time.perf_counter()
    scenario = allocopt.load_scenario(scenario_path(path))
    load_seconds = time.perf_counter() - start
    target = Path(out) if out else results_folder(scenario.settings.name)
    extras = with_baseline or bool(scenario.adopted_plan)
    (check_plan_folder if extras else check_writable)(target)  # before the solve: a folder that cannot take it
    settings = dict(time_limit=time_limit, mip_gap=mip_gap, threads=threads, first_plan=first_plan)
    with SolveProgress(Console(stderr=True) if not quiet else Console(stderr=True, quiet=True)) as progress:
        result = allocopt.solve(scenario, progress=progress, **settings)  # kept adopted actions: locks
    result.timings = {"load": load_seconds, **result.timings}
    if extras and result.status in PLAN_STATUSES:
        base = _solve_baseline(scenario, result, target, settings, quiet, failure_record) if with_baseline else None
        priced = settings if deviation_savings else None
        return _save_plan_folder(scenario, result, base, priced, target, no_excel, html_report, lang, quiet)
    saved = _save_solved(result, target, save_interrupted, no_excel, plan_folder=extras)
    _print_status(result, quiet)
    if saved:
        click.echo(f"results written to {visible(target)}")
        if html_report:
            from allocopt.board import REPORT_NAME, plan_report, write_report

            click.echo(f"report written to {visible(write_report(plan_report(result, lang), target / REPORT_NAME))}")
    if result.status == "interrupted":
        _report_interrupted(result, target, saved)
        sys.exit(EXIT_CODES.get(result.stopped_by or "", EXIT_CODES["SIGINT"]))
    if not saved:
        if failure_record:
            record = _write_failure_record(result, target)
            err.print(f"the reason is recorded in {markup_safe(record)}", highlight=False)
        err.print(f"nothing written to {markup_safe(target)} (an earlier result there is kept)", highlight=False)
        if result.violations:
            print_violations(result.violations, f"[red]check failed: {len(result.violations)} violation(s)[/]")
        err.print(f"[red]no plan: {result.status}[/] {markup_safe(result.message)}", highlight=False)
        sys.exit(EXIT_NO_PLAN)


def _solve_baseline(scenario, result, target: Path, settings: dict, quiet, record):
    """``allocopt solve --baseline`` once the plan is found: the do-nothing baseline solved with the same
    ``settings``, and the plan's difference against it. Without a baseline plan nothing is written:
    exit 1 (interrupted: the signal's exit code)."""
    import allocopt
    from allocopt.baseline import baseline_difference
    from allocopt.console import SolveProgress
    from allocopt.interrupt import EXIT_CODES
    from allocopt.result import PLAN_STATUSES

    with SolveProgress(Console(stderr=True, quiet=quiet), "solving the do-nothing baseline") as progress:
        base = allocopt.baseline(scenario, progress=progress, **settings)
    if base.status in PLAN_STATUSES:
        return base, baseline_difference(result, base)
    _print_status(result, quiet, f"; baseline {base.status}")
    if record and base.status != "interrupted":
        written = _write_failure_record(base, target)
        err.print(f"the reason is recorded in {markup_safe(written)}", highlight=False)
    err.print(
        f"nothing written to {markup_safe(target)} (an earlier result there is kept): the do-nothing "
        f"baseline has no plan: {markup_safe(base.status)} {markup_safe(base.message)}",
        highlight=False,
    )
    if base.status == "interrupted":
        sys.exit(EXIT_CODES.get(base.stopped_by or "", EXIT_CODES["SIGINT"]))
    sys.exit(EXIT_NO_PLAN)


def _save_plan_folder(scenario, result, base, priced, target: Path, no_excel, html_report, lang, quiet) -> None:
    """Write the plan with its baseline ``base`` (or None) and its deviations from the adopted plan (when
    the scenario has one; what each saves when ``priced`` gives the solve's settings) in one step
    (allocopt.baseline.save_plan_folder), and say what they hold."""
    from allocopt.adopted import deviation_summary, deviations
    from allocopt.adopted_savings import deviation_savings
    from allocopt.baseline import save_plan_folder

    departs = None
    if scenario.adopted_plan:
        table = deviations(scenario, result)
        if priced is not None:
            table = deviation_savings(
                scenario, result, table, time_limit=priced["time_limit"], threads=priced["threads"]
            )
        departs = (table, deviation_summary(scenario, table))
    save_plan_folder(result, target, excel=not no_excel, base=base, deviations=departs)
    _print_status(result, quiet)
    if base is not None:
        click.echo(f"against doing nothing: {base[1].sentence()}")
    if departs is not None:
        _print_deviations(*departs)
    where = f" (the baseline's in {visible(target / 'baseline')})" if base is not None else ""
    click.echo(f"results written to {visible(target)}{where}")
    if html_report:
        from allocopt.board import REPORT_NAME, plan_report, write_report

        click.echo(f"report written to {visible(write_report(plan_report(result, lang), target / REPORT_NAME))}")


def _print_deviations(table, about: dict) -> None:
    """The deviations from the adopted plan, one line each (allocopt.adopted.deviation_lines)."""
    from allocopt.adopted import deviation_lines

    for line in deviation_lines(table, about):
        click.echo(visible(line))


def _save_solved(result, target: Path, save_interrupted: bool, no_excel: bool, plan_folder: bool = False) -> bool:
    """Save ``result`` into ``target`` when allocopt stands behind it: an optimal or time-limited
    plan, or an interrupted one where it replaces no earlier result (or the user asked for it).
    ``plan_folder``: ``target`` may hold a baseline and deviations (allocopt.baseline.save_plan_folder),
    which the plan replaces. Whether it was saved."""
    from allocopt.baseline import save_plan_folder
    from allocopt.result import PLAN_STATUSES

    def save() -> None:
        if plan_folder:
            save_plan_folder(result, target, excel=not no_excel)
        else:
            result.save(target, excel=not no_excel)

    if result.status in PLAN_STATUSES:
        save()
        return True
    if result.status == "interrupted" and result.has_plan and (save_interrupted or not _holds_a_result(target)):
        save()
        return True
    return False


def _holds_a_result(target: Path) -> bool:
    """Whether ``target`` holds a saved result other than an interrupted one."""
    import json

    try:
        summary = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return target.is_dir() and any(target.iterdir())
    return summary.get("status") != "interrupted"


def _report_interrupted(result, target: Path, saved: bool) -> None:
    if saved:
        err.print(
            f"[yellow]interrupted:[/] the best plan so far is saved in {markup_safe(target)} with status 'interrupted'",
            highlight=False,
        )
    elif result.has_plan:
        err.print(
            f"[yellow]interrupted:[/] the best plan so far was not saved: {markup_safe(target)} holds an "
            "earlier result, which is kept (add --save-interrupted to replace it)",
            highlight=False,
        )
    else:
        err.print("[yellow]interrupted[/] before any plan was found; nothing written", highlight=False)


def _write_failure_record(result, target: Path) -> Path:
    """``<target>.failed.json``: the summary of a run that saved no plan (status, message,
    violations, settings), written whole or not at all."""
    import json
    import os
    import tempfile

    record = target.with_name(f"{target.name}.failed.json")
    record.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{record.name}.", dir=record.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(result.summary(), indent=2, sort_keys=True) + "\n")
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, record)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return record


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def _print_status(result, quiet: bool, tail: str = "") -> None:
    """The solve's outcome: its status line (``tail`` appended) with ``--quiet``, else the full summary."""
    if quiet:
        click.echo(f"{result.status}: objective {result.objective}, gap {result.gap}{tail}")
    else:
        print_result(result, Console())
