"""The look every chart shares: colours by action kind, the demand / capacity colour scale, a small
fixed layout (no plotly template: smaller, and the same bytes whatever plotly's default), and
figures that say in words why they have nothing to draw."""

from __future__ import annotations

import html

import plotly.graph_objects as go

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
"""Fonts installed on the reader's machine (never a web font)."""

COLOURS: dict[str, str] = {
    "build": "#1b7837",
    "lease": "#5e3c99",
    "pavilion": "#e08214",
    "expansion": "#00acc1",
    "conversion": "#c51b7d",
    "extend": "#8c6d31",
    "construction": "#cfd8dc",
    "existing": "#90a4ae",
    "kept": "#546e7a",
    "close": "#d7301f",
    "closed": "#d7301f",
    "lease_end": "#8c510a",
    "not_chosen": "#bdbdbd",
}
"""Colours by action kind (and map status), the same in every chart."""

PLAN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
"""Colours of the plans in a comparison, in order."""

RATIO_TOP = 1.5
"""Demand / capacity at and above which the colour scale is darkest red (150 %)."""

RATIO_SCALE: list[list] = [
    [0.0, "#f7fbff"],
    [0.5 / RATIO_TOP, "#9ecae1"],
    [1.0 / RATIO_TOP, "#2171b5"],
    [1.0 / RATIO_TOP, "#fc9272"],
    [1.0, "#99000d"],
]
"""Blues up to 100 % demand / capacity, reds above: a district that needs more places than it has."""

CONFIG: dict = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
"""plotly's configuration of every chart: no link to plotly's site, no logo."""


def ratio_colour(ratio: float, alpha: float = 1.0) -> str:
    """The colour of demand / capacity ``ratio`` on :data:`RATIO_SCALE` (light grey for NaN), as rgba."""
    if ratio != ratio:
        return f"rgba(228,231,235,{alpha})"
    at = min(max(ratio, 0.0), RATIO_TOP) / RATIO_TOP
    stops = RATIO_SCALE if ratio <= 1.0 else RATIO_SCALE[3:]
    for (a, low), (b, high) in zip(stops, stops[1:]):
        if a <= at <= b and b > a:
            t = (at - a) / (b - a)
            rgb = [round(int(low[k : k + 2], 16) * (1 - t) + int(high[k : k + 2], 16) * t) for k in (1, 3, 5)]
            return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha})"
    return f"rgba(153,0,13,{alpha})"


def esc(value) -> str:
    """Text from the scenario as plotly shows it safely: ``<``, ``>`` and ``&`` as entities (plotly
    draws a few HTML tags in labels; names must never become tags)."""
    return html.escape(str(value), quote=False)


def ratio_colorbar(title: str) -> dict:
    """The shared colour axis of demand / capacity (0 to :data:`RATIO_TOP`, labelled in %)."""
    return {
        "colorscale": RATIO_SCALE,
        "cmin": 0.0,
        "cmax": RATIO_TOP,
        "colorbar": {
            "title": {"text": title, "side": "right"},
            "tickvals": [0, 0.5, 1.0, RATIO_TOP],
            "ticktext": ["0 %", "50 %", "100 %", f"≥{RATIO_TOP:.0%}".replace("%", " %")],
            "thickness": 14,
            "lenmode": "pixels",
            "len": 300,
            "y": 1.0,
            "yanchor": "top",
        },
    }


def styled(fig: go.Figure, height: int, *, legend: bool = True) -> go.Figure:
    """``fig`` with the report's layout: white, thin grey grid, system fonts, ``height`` pixels tall,
    the legend above the plot."""
    fig.update_layout(
        template=go.layout.Template(),
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
        hovermode="closest",
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
    )
    fig.update_xaxes(showgrid=True, gridcolor="#e4e7eb", zeroline=False, linecolor="#9aa5b1", automargin=True)
    fig.update_yaxes(showgrid=True, gridcolor="#e4e7eb", zeroline=False, linecolor="#9aa5b1", automargin=True)
    return fig


def saying(message: str, height: int = 140) -> go.Figure:
    """A chart with nothing to draw, saying why in words (``message``: allocopt's own words)."""
    fig = go.Figure()
    fig.add_annotation(text=esc(message), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 15})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, height, legend=False)
