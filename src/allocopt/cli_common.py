"""What every ``allocopt`` command shares: exit codes, the error console, the error handling
(``friendly``: bad input as messages with exit code 2, no traceback) and where a scenario is.

The commands live in :mod:`allocopt.cli` and its ``cli_*`` modules; they all import these from
here, so that no command module imports another.
"""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from allocopt.console import visible
from allocopt.headline import LANGUAGES
from allocopt.validate import ScenarioError

EXIT_OK, EXIT_NO_PLAN, EXIT_BAD_INPUT = 0, 1, 2

err = Console(stderr=True)


def friendly(func):
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
            err.print(Text.assemble(("error:", "red"), " ", visible(exc, lines=True)), highlight=False, soft_wrap=True)
            sys.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (allocopt.interrupt.Interrupted), outside a solve
            from allocopt.interrupt import EXIT_CODES

            name = getattr(exc, "signal_name", "SIGINT")
            err.print(f"[red]interrupted[/] ({name}); nothing written")
            sys.exit(EXIT_CODES.get(name, 130))
        except OSError as exc:  # the system, not the input nor a bug: a full disk, a lost network drive
            err.print(Text.assemble(("error:", "red"), " ", visible(exc, lines=True)), highlight=False, soft_wrap=True)
            sys.exit(EXIT_NO_PLAN)
        except Exception as exc:  # a bug: say so plainly, without a traceback
            err.print(
                Text.assemble(("internal error:", "red"), f" {type(exc).__name__}: ", visible(exc, lines=True)),
                highlight=False,
                soft_wrap=True,
            )
            err.print("Please report it with the scenario that caused it.")
            sys.exit(EXIT_NO_PLAN)

    return wrapper


def print_violations(violations: list[str], head: str, most: int = 50) -> None:
    """Print ``head`` (rich markup, allocopt's own words) and the first ``most`` violations (user
    text: shown as it is, control characters visible)."""
    err.print(head)
    for v in violations[:most]:
        err.print(Text("  " + visible(v)), highlight=False, soft_wrap=True)
    if len(violations) > most:
        err.print(f"  ... and {len(violations) - most} more (see summary.json)")


def exit_without_plan(result) -> None:
    """Exit with code 1, saying why, when ``result`` carries no plan."""
    if not result.has_plan:
        err.print(
            Text.assemble((f"no plan: {visible(result.status)}", "red"), " ", visible(result.message, lines=True)),
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_NO_PLAN)


def scenario_path(path: str | None) -> Path:
    """The scenario at ``path``, or the embedded default scenario's folder without one."""
    if path is None:
        from allocopt import default_scenario_path

        return Path(str(default_scenario_path()))
    return Path(path)


lang_option = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the HTML report [default: the scenario's language setting, else en].",
)
"""The ``--lang`` option of every command that writes an HTML report."""


class CountBar:
    """A rich progress bar over counted items (a frontier's levels, a sweep's points) with a line
    on the last one; nothing when the console is no terminal (or quiet). A context manager."""

    def __init__(self, console: Console, what: str, total: int | None = None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = None
        if console.is_terminal and not console.quiet:
            self.progress = Progress(
                TextColumn(what),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[last]}"),
                console=console,
                transient=True,
            )
            self.task = self.progress.add_task(what, total=total, last="")

    def update(self, done: int, total: int, last: str) -> None:
        """``done`` of ``total`` items, the last one said as ``last``."""
        if self.progress is not None:
            self.progress.update(self.task, completed=done, total=total, last=last)

    def __enter__(self) -> CountBar:
        if self.progress is not None:
            self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.__exit__(*exc)
