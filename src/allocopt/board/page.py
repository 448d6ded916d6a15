"""The report's HTML: one self-contained page (styles inline, plotly.js inlined once, no request to
any network: a Content-Security-Policy forbids them), its sections, tables and embedded charts.
Every text from the scenario is escaped here; the charts' JSON is plotly's own, with ``<``, ``>``
and ``/`` escaped so that it never ends its script early. The same sections give the same bytes."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from allocopt.board.style import CONFIG, FONT
from allocopt.board.words import WORDS
from allocopt.headline import Language

MOST_ROWS = 200
"""Most rows of a table shown in the report; the rest are counted (the result files hold them all)."""

POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)
"""The page's Content-Security-Policy: inline scripts and styles only, no request anywhere."""

CSS = f"""
:root {{ color-scheme: light; }}
body {{ font-family: {FONT}; color: #1f2933; background: #f5f7fa; margin: 0; line-height: 1.45; }}
main {{ max-width: 1280px; margin: 0 auto; padding: 24px 28px 60px; background: white; }}
h1 {{ font-size: 1.9rem; margin: 0.2em 0 0.1em; }}
h2 {{ font-size: 1.35rem; margin: 1.8em 0 0.4em; padding-top: 0.6em; border-top: 1px solid #e4e7eb; }}
h3 {{ font-size: 1.05rem; margin: 1.2em 0 0.3em; }}
p.lead {{ color: #52606d; margin: 0 0 1em; max-width: 70em; }}
p.caption {{ color: #52606d; font-size: 0.92rem; max-width: 75em; margin: 0.2em 0 0.6em; }}
nav {{ font-size: 0.9rem; margin: 0.6em 0 1em; }}
nav a {{ margin-right: 0.8em; display: inline-block; color: #2d5b8a; text-decoration: none; white-space: nowrap; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; margin: 1em 0; }}
.card {{ border: 1px solid #d9e2ec; border-radius: 8px; padding: 12px 14px; background: #fbfcfd; }}
.card .label {{ font-size: 0.85rem; color: #52606d; }}
.card .value {{ font-size: 1.45rem; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }}
.card .note {{ font-size: 0.8rem; color: #7b8794; }}
.card.warn {{ border-color: #f0b429; background: #fffbea; }}
.status {{ font-size: 1.02rem; margin: 0.5em 0; }}
table {{ border-collapse: collapse; font-size: 0.88rem; margin: 0.4em 0 0.8em; }}
th, td {{ border-bottom: 1px solid #e4e7eb; padding: 4px 10px; text-align: left; vertical-align: top; }}
th {{ background: #f0f4f8; font-weight: 600; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
.scroll {{ max-height: 460px; overflow: auto; }}
.chart {{ margin: 0.4em 0 1em; }}
.side {{ display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px; }}
.side > div {{ min-width: 0; }}
.disclaimer {{ background: #f0f4f8; border-left: 4px solid #829ab1; padding: 10px 14px; max-width: 75em; }}
@media print {{ body {{ background: white; }} main {{ padding: 0; }} .scroll {{ max-height: none; }}
  .chart {{ break-inside: avoid; }} nav {{ display: none; }} }}
"""


@dataclass(frozen=True)
class Section:
    """One section of the page: an anchor ``key``, a heading and its HTML body (already escaped)."""

    key: str
    title: str
    body: str


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.js, the bundle of the installed plotly (inlined once per page)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def esc(value) -> str:
    """Text as HTML text (quotes escaped too: safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def chart(fig: go.Figure, div_id: str) -> str:
    """``fig`` as a div with the fixed id ``div_id`` and the script that draws it (plotly.js apart)."""
    height = int(fig.layout.height or 450)
    body = pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        config=CONFIG,
        div_id=div_id,
        default_width="100%",
        default_height=f"{height}px",
        validate=False,
    )
    return f'<div class="chart" data-chart="{esc(div_id)}">{body}</div>'


def caption(text: str) -> str:
    """A chart's caption (allocopt's words, escaped)."""
    return f'<p class="caption">{esc(text)}</p>'


def card(label: str, value: str, note: str = "", *, warn: bool = False) -> str:
    """A key figure: label, value and a small note."""
    small = f'<div class="note">{esc(note)}</div>' if note else ""
    return (
        f'<div class="card{" warn" if warn else ""}"><div class="label">{esc(label)}</div>'
        f'<div class="value">{esc(value)}</div>{small}</div>'
    )


Column = tuple[str, str, Callable | None]
"""A table column: the DataFrame's column, its heading, and how a value is shown (None: as text)."""


def table(
    frame: pd.DataFrame, columns: Sequence[Column], lang: Language, *, most: int = MOST_ROWS, scroll: bool = True
) -> str:
    """``frame`` as an HTML table of ``columns``; numbers (columns with a formatter) right-aligned;
    at most ``most`` rows, the rest counted below; in a box that scrolls when ``scroll``."""
    head = "".join(f"<th>{esc(label)}</th>" for _, label, _ in columns)
    rows = []
    for record in frame.head(most).to_dict("records"):
        cells = []
        for key, _, shown in columns:
            value = record.get(key)
            blank = value is None or value is pd.NA or (isinstance(value, float) and value != value)
            if shown is None:
                cells.append(f"<td>{'' if blank else esc(value)}</td>")
            else:
                cells.append(f'<td class="num">{"" if blank else esc(shown(value))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(frame) > most:
        more = caption(WORDS[lang]["more_rows"].format(n=len(frame) - most))
    box = ' class="scroll"' if scroll else ""
    return f"<div{box}><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>{more}"


def document(title: str, subtitle: str, sections: Sequence[Section], lang: Language, *, charts: bool = True) -> str:
    """The whole page: ``title``, a ``subtitle`` line (none when empty), a table of contents and ``sections``; plotly.js
    inlined once in the head when the page has ``charts``."""
    nav = " ".join(f'<a href="#{esc(s.key)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(f'<section id="{esc(s.key)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections)
    script = f'<script type="text/javascript">{plotly_js()}</script>' if charts else ""
    lead = f'<p class="lead">{esc(subtitle)}</p>\n' if subtitle else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n"
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
        f"{script}\n</head>\n<body>\n<main>\n<h1>{esc(title)}</h1>\n{lead}"
        f'<nav aria-label="{esc(WORDS[lang]["contents"])}">{nav}</nav>\n{body}\n</main>\n</body>\n</html>\n'
    )
