"""``allocopt report``: the HTML report of a saved result folder (:func:`allocopt.board.plan_report`),
written by the other commands with ``--report`` (``--lang``: :data:`allocopt.cli_common.lang_option`).

Parses arguments and calls the Python API, nothing more.
"""

from __future__ import annotations

from pathlib import Path

import click

from allocopt.cli_common import friendly, lang_option
from allocopt.console import visible


@click.command()
@click.argument("result_dir", type=click.Path())
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="The HTML file to write [default: RESULT_DIR/report.html].",
)
@lang_option
@friendly
def report(result_dir: str, out: str | None, lang: str | None) -> None:
    """Write the HTML report of the result folder RESULT_DIR (of allocopt solve or evaluate): one
    self-contained file that opens without a network."""
    from allocopt.board import REPORT_NAME, plan_report, write_report
    from allocopt.compare import CompareError, read_result
    from allocopt.headline import language

    try:
        result = read_result(result_dir)
        lang = language(result, lang)
    except (CompareError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="RESULT_DIR") from None
    target = Path(out) if out else Path(result_dir) / REPORT_NAME
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder: give --out a file name such as report.html")
    written = write_report(plan_report(result, lang), target)
    click.echo(f"report written to {visible(written)}")
