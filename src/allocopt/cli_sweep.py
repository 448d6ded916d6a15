"""``allocopt sweep``: many variants of a scenario solved in parallel (:func:`allocopt.sweep.sweep`).

Parses the options, calls the Python API with a progress bar over the points (on a terminal),
and prints how the points ended and where the sweep table is.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from allocopt.cli_common import EXIT_BAD_INPUT, EXIT_NO_PLAN, CountBar, err, friendly
from allocopt.console import visible


@click.command()
@click.argument("spec", metavar="SWEEP.yaml", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for sweep.csv and each point's results (points/<point id>/); a sweep run again into it "
    "skips the points already solved [default: ./results/<sweep file name>_sweep].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Run on the Dask cluster of this scheduler (tcp://host:8786) instead of a local one.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes of the local cluster, one thread each [default: one per core].",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Solver time limit per point, seconds [default: the sweep file's time_limit, else allocopt solve's].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar: only the closing lines.")
@friendly
def sweep(spec, out, scheduler, workers, time_limit, quiet) -> None:
    """Solve a grid or a list of variants of a scenario in parallel on Dask, one point per worker."""
    from allocopt.interrupt import EXIT_CODES
    from allocopt.report import results_folder
    from allocopt.sweep import TABLE_FILE
    from allocopt.sweep import sweep as run_sweep
    from allocopt.sweep_points import SweepError

    if scheduler is not None and workers is not None:
        raise click.UsageError("--workers sets up a local cluster: give it or --scheduler, not both")
    target = Path(out) if out else results_folder(f"{Path(spec).stem}_sweep")
    console = Console(stderr=True, quiet=quiet)
    try:
        with _Bar(console) as bar:
            table = run_sweep(spec, target, scheduler=scheduler, workers=workers, time_limit=time_limit, progress=bar)
    except SweepError as exc:  # a bad sweep file, or points the base scenario cannot take
        err.print(Text.assemble(("error:", "red"), " ", visible(exc, lines=True)), highlight=False, soft_wrap=True)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt as exc:
        name = getattr(exc, "signal_name", "SIGINT")
        err.print(
            f"[red]interrupted[/] ({name}): the points solved so far are saved in {visible(target)}; "
            "run the same command again to solve the others",
            highlight=False,
        )
        sys.exit(EXIT_CODES.get(name, 130))
    counts = table["status"].value_counts()
    click.echo(f"{len(table)} point(s): " + ", ".join(f"{n} {visible(status)}" for status, n in counts.items()))
    click.echo(f"sweep table written to {visible(target / TABLE_FILE)}")
    if counts.get("error", 0) or not table["status"].isin(("optimal", "time_limit")).any():
        sys.exit(EXIT_NO_PLAN)


class _Bar(CountBar):
    """The progress bar over the points, with the last point's id and status."""

    def __init__(self, console: Console):
        super().__init__(console, "sweep")

    def __call__(self, done: int, total: int, row: dict) -> None:
        self.update(done, total, f"{row['point']}: {row['status']}")
