"""The ``allocopt`` command line: parses arguments and calls the Python API, nothing more.

Exit codes: 0 a plan was found (or the scenario is valid); 1 no feasible plan or a solver
failure (with the reason); 2 bad input or usage. No tracebacks: errors are reported as text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from allocopt.cli_common import (
    EXIT_BAD_INPUT,
    err,
    exit_without_plan,
    friendly,
    print_violations,
    scenario_path,
)
from allocopt.console import visible

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


from allocopt.cli_solve import solve  # noqa: E402

cli.add_command(solve)

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
