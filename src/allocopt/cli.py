"""The ``allocopt`` command line: parses arguments and calls the Python API, nothing more.

Exit codes: 0 a plan was found (or the scenario is valid); 1 no feasible plan or a solver
failure (with the reason); 2 bad input or usage. No tracebacks: errors are reported as text.
"""

from __future__ import annotations

import sys
import time
from functools import wraps
from pathlib import Path

import click
from rich.console import Console

from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT
from allocopt.validate import ScenarioError

EXIT_OK, EXIT_NO_PLAN, EXIT_BAD_INPUT = 0, 1, 2

err = Console(stderr=True)


def _friendly(func):
    """Turn bad input into messages with exit code 2, and unexpected errors into exit code 1."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            from allocopt.console import print_problems

            errors = exc.errors
            err.print(f"[red]The scenario has {len(errors)} problem(s):[/]")
            print_problems(exc.problems, err)
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
            err.print(f"[red]error:[/] {exc}")
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            err.print("[red]interrupted[/]")
            sys.exit(130)
        except Exception as exc:  # a bug: say so plainly, without a traceback
            err.print(f"[red]internal error:[/] {type(exc).__name__}: {exc}")
            err.print("Please report it with the scenario that caused it.")
            sys.exit(EXIT_NO_PLAN)

    return wrapper


def _print_violations(violations: list[str], head: str, most: int = 50) -> None:
    err.print(head)
    for v in violations[:most]:
        err.print(f"  {v}", highlight=False, soft_wrap=True)
    if len(violations) > most:
        err.print(f"  ... and {len(violations) - most} more (see summary.json)")


def _exit_without_plan(result) -> None:
    """Exit with code 1, saying why, when ``result`` carries no plan."""
    if not result.has_plan:
        err.print(f"[red]no plan: {result.status}[/] {result.message}")
        sys.exit(EXIT_NO_PLAN)


def _scenario_path(path: str | None) -> Path:
    if path is None:
        from allocopt import default_scenario_path

        return Path(str(default_scenario_path()))
    return Path(path)


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
@_friendly
def validate(path: str | None) -> None:
    """Check a scenario (folder or .xlsx) without solving: every problem, with file, row and column."""
    from allocopt.console import print_problems
    from allocopt.load import validate_path

    problems = validate_path(_scenario_path(path))
    errors = [p for p in problems if p.severity == "error"]
    if problems:
        print_problems(problems, err)
    if errors:
        err.print(f"[red]{len(errors)} error(s), {len(problems) - len(errors)} warning(s)[/]")
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"valid: {_scenario_path(path)} ({len(problems)} warning(s))")


@cli.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for the result files [default: ./results/<scenario name>].")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIME_LIMIT, show_default=True,
              help="Solver time limit, seconds.")
@click.option("--mip-gap", type=click.FloatRange(min=0), default=DEFAULT_MIP_GAP, show_default=True,
              help="Relative optimality gap at which a plan counts as optimal (0.005 = 0.5 %).")
@click.option("--threads", type=click.IntRange(min=1), default=DEFAULT_THREADS, show_default=True,
              help="Threads: with two or more, the first plan is made on one of them, beside HiGHS.")
@click.option("--first-plan/--no-first-plan", default=True, show_default=True,
              help="Hand HiGHS a first plan (the LP rounded, then re-planned year by year): made beside "
                   "HiGHS with two threads or more, before it with one.")
@click.option("--check/--no-check", "run_check", default=False, show_default=True,
              help="Recompute every constraint and cost from the result tables; fail on a violation.")
@click.option("--no-excel", is_flag=True, help="Skip result.xlsx.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the status line.")
@_friendly
def solve(path, out, time_limit, mip_gap, threads, first_plan, run_check, no_excel, quiet) -> None:
    """Solve a scenario (folder or .xlsx) and write the plan to --out."""
    import allocopt
    from allocopt.console import print_result

    start = time.perf_counter()
    scenario = allocopt.load_scenario(_scenario_path(path))
    load_seconds = time.perf_counter() - start
    result = allocopt.solve(scenario, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                            first_plan=first_plan)
    result.timings = {"load": load_seconds, **result.timings}
    if run_check and result.has_plan:
        result.violations = [str(v) for v in allocopt.check(scenario, result)]
    target = Path(out) if out else Path("results") / result.scenario
    result.save(target, excel=not no_excel)
    if quiet:
        click.echo(f"{result.status}: objective {result.objective}, gap {result.gap}")
    else:
        print_result(result, Console())
    click.echo(f"results written to {target}")
    if result.violations:
        _print_violations(result.violations, f"[red]check failed: {len(result.violations)} violation(s)[/]")
        sys.exit(EXIT_NO_PLAN)
    _exit_without_plan(result)


@cli.command()
@click.argument("path", required=False, type=click.Path())
@click.option("--plan", "plan", required=True, type=click.Path(dir_okay=False),
              help="The plan: a CSV in the format of actions.csv (year, action, option, site, modules).")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Folder for the result files [default: ./results/<scenario name>-evaluated].")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True, help="Solver threads.")
@click.option("--no-excel", is_flag=True, help="Skip result.xlsx.")
@_friendly
def evaluate(path, plan, out, threads, no_excel) -> None:
    """Price a given plan: its decisions fixed, demand assigned at least cost, every breach named."""
    import allocopt
    from allocopt.console import print_result

    scenario = allocopt.load_scenario(_scenario_path(path))
    result = allocopt.evaluate(scenario, Path(plan), threads=threads)
    target = Path(out) if out else Path("results") / f"{result.scenario}-evaluated"
    result.save(target, excel=not no_excel)
    print_result(result, Console())
    click.echo(f"results written to {target}")
    if result.violations:
        _print_violations(result.violations, f"[yellow]the plan breaks {len(result.violations)} rule(s):[/]")
    _exit_without_plan(result)


def _write_imported(scenario, out_dir: str) -> None:
    """Write an imported benchmark scenario as a folder and say how to solve it."""
    from allocopt.load import write_scenario

    try:
        write_scenario(scenario, Path(out_dir))
    except FileExistsError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_BAD_INPUT)
    customers = len(scenario.demand)
    click.echo(f"wrote scenario {scenario.settings.name} to {out_dir}: {len(scenario.options)} candidate "
               f"site(s), {customers} customer(s) with demand")
    click.echo(f"solve it to proven optimality with: allocopt solve {out_dir} --mip-gap 0")


@cli.command("import-orlib")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--capacity", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Capacity of every warehouse, places: required for capa/capb/capc, whose files hold the "
                   "word 'capacity' instead; not accepted for files that state capacities.")
@_friendly
def import_orlib(file, out_dir, capacity) -> None:
    """Turn an OR-Library capacitated warehouse location file (cap41.txt ... capc.txt) into a scenario folder."""
    from allocopt.benchmarks_io import read_orlib

    _write_imported(read_orlib(Path(file), capacity=capacity), out_dir)


@cli.command("import-holmberg")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("out_dir", type=click.Path(file_okay=False))
@_friendly
def import_holmberg(file, out_dir) -> None:
    """Turn a Holmberg single-source facility location file (p1 ... p71) into a scenario folder."""
    from allocopt.benchmarks_io import read_holmberg

    _write_imported(read_holmberg(Path(file)), out_dir)


def main() -> None:
    """Entry point of the ``allocopt`` command."""
    cli(prog_name="allocopt")


if __name__ == "__main__":
    main()
