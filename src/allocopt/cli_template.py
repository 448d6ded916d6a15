"""``allocopt template``: write an input scenario to fill in (:func:`allocopt.template.write_template`)."""

from __future__ import annotations

from pathlib import Path

import click

from allocopt.cli_common import friendly
from allocopt.console import visible


@click.command()
@click.argument("path", type=click.Path())
@friendly
def template(path: str) -> None:
    """Write an empty scenario to fill in: FILE.xlsx (an Excel workbook) or DIR (a folder of
    scenario.yaml, one CSV per table and a README.md), with every table and column, help for each
    column, and example rows that validate and solve as they stand. Never overwrites: an existing
    file or a folder that is not empty is refused."""
    from allocopt.template import write_template

    try:
        written = write_template(Path(path))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="PATH") from None
    what = "folder" if written.is_dir() else "workbook"
    click.echo(f"wrote a scenario template ({what}) to {visible(written)}")
    click.echo(f"replace the example rows with your own, then: allocopt validate {visible(written)}")
