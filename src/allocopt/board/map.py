"""The schematic map of a plan (:func:`map_chart`): districts as circles at their coordinates (km,
equal scales, no map tiles), coloured by demand / capacity; sites and options inside them,
coloured by what the plan does with them; labels placed so that they do not overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from allocopt.board import data
from allocopt.board.charts import ratio_text
from allocopt.board.style import COLOURS, RATIO_TOP, esc, ratio_colorbar, ratio_colour, saying, styled
from allocopt.board.words import ACTIONS, WORDS
from allocopt.headline import Language
from allocopt.result import Result


def map_chart(result: Result, lang: Language) -> go.Figure:
    """A schematic map (:func:`allocopt.board.data.map_points`): districts as circles coloured by
    demand / capacity in their busiest year (outlined black where demand goes unmet), sites and
    options inside them by what the plan does; km, equal scales."""
    w, kinds = WORDS[lang], ACTIONS[lang]
    districts, facilities, _ = data.map_points(result)
    if districts.empty:
        return saying(w["no_plan"])
    fig = go.Figure()
    turn = np.linspace(0, 2 * np.pi, 41)
    for row in districts.itertuples():
        short = row.unmet >= 0.05
        fig.add_trace(
            go.Scatter(
                x=row.x + row.r * np.cos(turn),
                y=row.y + row.r * np.sin(turn),
                mode="lines",
                fill="toself",
                fillcolor=ratio_colour(min(row.peak, RATIO_TOP), 0.55),
                line={"color": "black" if short else "#9aa5b1", "width": 2.5 if short else 1},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    span_x = (districts["x"] + districts["r"]).max() - (districts["x"] - districts["r"]).min()
    span_y = (districts["y"] + districts["r"]).max() - (districts["y"] - districts["r"]).min()
    height = int(min(1000, max(480, 140 + 1000 * span_y / max(span_x, 1e-9))))
    shorts = [n.split(" / ")[0] for n in districts["name"]]
    spots = _label_spots(districts, shorts, (height - 180) / max(span_y, 1e-9))
    fig.add_trace(
        go.Scatter(
            x=[s[0] for s in spots],
            y=[s[1] for s in spots],
            mode="markers+text",
            text=[esc(n) for n in shorts],
            textposition=[s[2] for s in spots],
            textfont={"size": 11, "color": "#243b53"},
            marker={"size": 1, "color": districts["peak"].fillna(0.0).clip(upper=RATIO_TOP), "coloraxis": "coloraxis"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    biggest = max(float(facilities["capacity"].max()) if len(facilities) else 0.0, 1.0)
    statuses = ["kept", "build", "lease", "pavilion", "expansion", "conversion", "closed", "not_chosen"]
    for status in statuses + sorted(set(facilities["status"]) - set(statuses)):
        part = facilities[facilities["status"] == status]
        if part.empty:
            continue
        name = w.get(status) if status in ("kept", "closed", "not_chosen") else kinds.get(status, status)
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=esc(name),
                visible="legendonly" if status == "not_chosen" else True,
                marker={
                    "size": 5 + 11 * np.sqrt(part["capacity"].clip(lower=0) / biggest),
                    "color": COLOURS.get(status, "#607d8b"),
                    "symbol": "x" if status == "closed" else "circle",
                    "line": {"width": 0.5, "color": "white"},
                },
                text=part["name"].map(esc),
                customdata=np.stack([part["district"].map(esc), part["capacity"]], axis=-1),
                hovertemplate=(
                    f"<b>%{{text}}</b> (%{{customdata[0]}})<br>{esc(name)}"
                    f"<br>%{{customdata[1]:,.0f}} {w['places']}<extra></extra>"
                ),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=districts["x"],
            y=districts["y"],
            mode="markers",
            marker={"size": 10, "opacity": 0},
            text=districts["name"].map(esc),
            customdata=np.stack([districts["peak"].map(lambda r: ratio_text(r, w)), districts["unmet"]], axis=-1),
            hovertemplate=(
                f"<b>%{{text}}</b><br>{w['peak_ratio']}: %{{customdata[0]}}"
                f"<br>{w['unmet_place_years']}: %{{customdata[1]:,.1f}}<extra></extra>"
            ),
            showlegend=False,
        )
    )
    fig.update_layout(coloraxis=ratio_colorbar(w["peak_ratio"]))
    fig.update_xaxes(title_text=w["km"], showgrid=True)
    fig.update_yaxes(title_text=w["km"], scaleanchor="x", scaleratio=1)
    return styled(fig, height)


def _label_spots(districts: pd.DataFrame, texts: list[str], px_per_km: float) -> list[tuple[float, float, str]]:
    """Where each district's label goes: above its circle, else below, right or left, the first
    place whose box (estimated from the text's length at 11 px) overlaps no label placed before."""
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for row, label in zip(districts.itertuples(), texts):
        wide, high = (6.6 * len(label) + 4) / px_per_km, 15 / px_per_km
        options = [
            (row.x, row.y + row.r, "top center", (row.x - wide / 2, row.y + row.r, wide, high)),
            (row.x, row.y - row.r, "bottom center", (row.x - wide / 2, row.y - row.r - high, wide, high)),
            (row.x + row.r, row.y, "middle right", (row.x + row.r, row.y - high / 2, wide, high)),
            (row.x - row.r, row.y, "middle left", (row.x - row.r - wide, row.y - high / 2, wide, high)),
        ]
        free = [o for o in options if not any(_overlap(o[3], box) for box in placed)]
        x, y, where, box = (free or options)[0]
        placed.append(box)
        out.append((x, y, where))
    return out


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether boxes (left, bottom, width, height) overlap."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
