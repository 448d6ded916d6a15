"""The ``allocopt`` command line: parses arguments and calls the Python API, nothing more.

Exit codes: 0 a plan was found (or the scenario is valid); 1 no feasible plan or a solver
failure (with the reason); 2 bad input or usage. No tracebacks: errors are reported as text.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from allocopt.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_NO_PLAN,
    err,
    exit_without_plan,
    friendly,
    lang_option,
    print_violations,
    scenario_path,
)
from allocopt.console import markup_safe, visible
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT

if TYPE_CHECKING:
    from allocopt.scenario import Scenario


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="allocopt")
def cli() -> None:
    """allocopt: which builds, leases, expansions and closures, in which year, meet forecast
    demand for preschool, school and elderly-care places at the lowest discounted cost within
    the economic frame.

    Without a PATH, commands use the embedded default scenario (Södertälje, illustrative).
    """


@cli.command()
@click.argument("path", required=False, type=click.Path())
@friendly
def validate(path: str | None) -> None:
    """Check a scenario (folder or .xlsx) without solving: every problem, with file, row and column."""
    from allocopt.console import print_problems
    from allocopt.load import validate_path

    problems = validate_path(scenario_path(path))
    errors = [p for p in problems if p.severity == "error"]
    if problems:
        print_problems(problems, err)
    if errors:
        err.print(f"[red]{len(errors)} error(s), {len(problems) - len(errors)} warning(s)[/]")
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"valid: {visible(scenario_path(path))} ({len(problems)} warning(s))")


def _shown(flag: str, kind, default, text: str):
    """A solve setting with its default shown in --help."""
    return click.option(flag, type=kind, default=default, show_default=True, help=text)


@cli.command()
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
    lang,
    quiet,
) -> None:
    """Solve a scenario (folder or .xlsx) and write the plan to --out."""
    import allocopt
    from allocopt.console import SolveProgress, print_result
    from allocopt.interrupt import EXIT_CODES
    from allocopt.report import check_writable, results_folder

    start = time.perf_counter()
    scenario = allocopt.load_scenario(scenario_path(path))
    load_seconds = time.perf_counter() - start
    target = Path(out) if out else results_folder(scenario.settings.name)
    check_writable(target)  # before the solve: a folder that cannot take the result fails now, not later
    with SolveProgress(Console(stderr=True) if not quiet else Console(stderr=True, quiet=True)) as progress:
        result = allocopt.solve(
            scenario, time_limit=time_limit, mip_gap=mip_gap, threads=threads, first_plan=first_plan, progress=progress
        )
    result.timings = {"load": load_seconds, **result.timings}
    saved = _save_solved(result, target, save_interrupted, no_excel)
    if quiet:
        click.echo(f"{result.status}: objective {result.objective}, gap {result.gap}")
    else:
        print_result(result, Console())
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


def _save_solved(result, target: Path, save_interrupted: bool, no_excel: bool) -> bool:
    """Save ``result`` into ``target`` when allocopt stands behind it: an optimal or time-limited
    plan, or an interrupted one where it replaces no earlier result (or the user asked for it).
    Whether it was saved."""
    from allocopt.result import PLAN_STATUSES

    if result.status in PLAN_STATUSES:
        result.save(target, excel=not no_excel)
        return True
    if result.status == "interrupted" and result.has_plan and (save_interrupted or not _holds_a_result(target)):
        result.save(target, excel=not no_excel)
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


@cli.command()
@click.argument("path", required=False, type=click.Path())
@click.option(
    "--plan",
    "plan",
    required=True,
    type=click.Path(dir_okay=False),
    help="The plan: a CSV in the format of actions.csv (year, action, option, site, modules).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the result files [default: ./results/<scenario name>-evaluated].",
)
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True, help="Solver threads.")
@click.option("--no-excel", is_flag=True, help="Skip result.xlsx.")
@click.option(
    "--against",
    type=click.Path(file_okay=False),
    default=None,
    help="A result folder (e.g. of allocopt solve) to compare the plan with, printed after the evaluation.",
)
@friendly
def evaluate(path, plan, out, threads, no_excel, against) -> None:
    """Price a given plan: its decisions fixed, demand assigned at least cost, every breach named."""
    import allocopt
    from allocopt.console import print_result
    from allocopt.report import check_writable, results_folder

    reference = None
    if against is not None:  # read before the evaluation: a missing or broken folder fails now
        from allocopt.compare import read_result

        reference = read_result(against)
        if not reference.has_plan:
            raise click.BadParameter(
                f"{visible(against)} holds no plan ({visible(reference.status)})", param_hint="--against"
            )
    scenario = allocopt.load_scenario(scenario_path(path))
    target = Path(out) if out else results_folder(f"{scenario.settings.name}-evaluated")
    check_writable(target)  # before the evaluation: a folder that cannot take the result fails now
    result = allocopt.evaluate(scenario, Path(plan), threads=threads)
    result.save(target, excel=not no_excel)
    print_result(result, Console())
    click.echo(f"results written to {visible(target)}")
    if result.violations:
        print_violations(result.violations, f"[yellow]the plan breaks {len(result.violations)} rule(s):[/]")
    exit_without_plan(result)
    if reference is not None:
        from allocopt.cli_compare import print_against

        print_against(reference, result, Path(against), Console())


def _write_imported(scenario: Scenario, out_dir: str) -> None:
    """Write an imported benchmark scenario as a folder and say how to solve it."""
    from allocopt.load import write_scenario

    try:
        write_scenario(scenario, Path(out_dir))
    except FileExistsError as exc:
        err.print(Text.assemble(("error:", "red"), " ", visible(exc, lines=True)), highlight=False, soft_wrap=True)
        sys.exit(EXIT_BAD_INPUT)
    customers = len(scenario.demand)
    click.echo(
        f"wrote scenario {visible(scenario.settings.name)} to {visible(out_dir)}: {len(scenario.options)} "
        f"candidate site(s), {customers} customer(s) with demand"
    )
    click.echo(f"solve it to proven optimality with: allocopt solve {visible(out_dir)} --mip-gap 0")


@cli.command("import-orlib")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option(
    "--capacity",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Capacity of every warehouse, places: required for capa/capb/capc, whose files hold the "
    "word 'capacity' instead; not accepted for files that state capacities.",
)
@friendly
def import_orlib(file: str, out_dir: str, capacity: float | None) -> None:
    """Turn an OR-Library capacitated warehouse location file (cap41.txt ... capc.txt) into a scenario folder."""
    from allocopt.importers import read_orlib

    _write_imported(read_orlib(Path(file), capacity=capacity), out_dir)


@cli.command("import-holmberg")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("out_dir", type=click.Path(file_okay=False))
@friendly
def import_holmberg(file: str, out_dir: str) -> None:
    """Turn a Holmberg single-source facility location file (p1 ... p71) into a scenario folder."""
    from allocopt.importers import read_holmberg

    _write_imported(read_holmberg(Path(file)), out_dir)


from allocopt.cli_frontier import frontier  # noqa: E402

cli.add_command(frontier)

from allocopt.cli_report import report  # noqa: E402

cli.add_command(report)

from allocopt.cli_sweep import sweep  # noqa: E402

cli.add_command(sweep)


from allocopt.cli_compare import compare  # noqa: E402

cli.add_command(compare)


from allocopt.cli_template import template  # noqa: E402

cli.add_command(template)


from allocopt.cli_robust import regret, robust  # noqa: E402

cli.add_command(robust)
cli.add_command(regret)


def main() -> None:
    """Entry point of the ``allocopt`` command: SIGTERM stops it as Ctrl-C does (cleanup runs,
    nothing half-written stays, exit code 143; 130 for Ctrl-C)."""
    from allocopt.interrupt import raise_on_sigterm

    raise_on_sigterm()
    cli(prog_name="allocopt")


if __name__ == "__main__":
    main()
