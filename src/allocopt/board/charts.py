"""The charts of one plan, one function each, every one a :class:`plotly.graph_objects.Figure` made
from a :class:`~allocopt.result.Result`'s tables (via :mod:`allocopt.board.data`). Money shown in
MSEK, places in places, years as calendar years. A chart with nothing to draw says why in words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from allocopt.board import data
from allocopt.board.style import COLOURS, RATIO_TOP, esc, ratio_colorbar, saying, styled
from allocopt.board.words import ACTIONS, FRAMES, WORDS
from allocopt.headline import Language, number
from allocopt.result import Result

MSEK = 1e6
NO_PLACES = "#b9c0c9"
"""Colour of a district-year with demand and no places in the district."""
FRAME_ORDER = ("capex_cap", "opex_cap", "investment_cap", "borrowing_cap", "operating_cap")


def _labels(ids: list[str], shown: dict[str, str]) -> dict[str, str]:
    """Display label by id: the name, with the id beside it where two names are the same; escaped."""
    first = {i: shown.get(i, i) or i for i in ids}
    counts = pd.Series(list(first.values())).value_counts()
    return {i: esc(n if counts[n] == 1 else f"{n} ({i})") for i, n in first.items()}


def _services(result: Result, present: list[str]) -> list[str]:
    """Services in the scenario's order, then any other present."""
    known = [s for s in result.scenario_settings.get("services", {}) if s in present]
    return known + sorted(set(present) - set(known))


def service_name(result: Result, service: str) -> str:
    """A service's display name from the scenario settings, else its id."""
    entry = result.scenario_settings.get("services", {}).get(service)
    return str(entry.get("name") or service) if isinstance(entry, dict) else service


def _district_order(result: Result, present: list[str]) -> list[str]:
    loc = result.locations
    known = [data.text(i) for i, k in zip(loc["id"], loc["kind"]) if k == "district"]
    return [d for d in known if d in present] + sorted(set(present) - set(known))


def pressure_chart(result: Result, lang: Language) -> go.Figure:
    """Heat maps of demand / capacity (:func:`allocopt.board.data.pressure`), one per service:
    districts down, years across; red above 100 %; a cross where demand goes unmet."""
    w = WORDS[lang]
    table = data.pressure(result)
    table = table[(table["demand"] > 0) | (table["capacity"] > 0)]
    if table.empty:
        return saying(w["no_plan"])
    services, rows, label, years, height, fig = _service_grid(result, table)
    hover = (
        f"<b>%{{y}}</b>, %{{x}}<br>{w['ratio']}: %{{customdata[3]}}<br>{w['demand']}: %{{customdata[0]:,.1f}}"
        f"<br>{w['capacity']}: %{{customdata[1]:,.1f}}<br>{w['unmet_places']}: %{{customdata[2]:,.1f}}<extra></extra>"
    )
    for i, districts, grid, shape in _grids(table, services, rows, years):
        ratio = grid["ratio"].to_numpy(dtype=float).reshape(shape)
        shown = np.where(np.isinf(ratio), np.nan, np.minimum(ratio, RATIO_TOP))
        words_ratio = [ratio_text(r, w) for r in ratio.ravel()]
        custom = np.stack(
            [
                grid["demand"].fillna(0.0).to_numpy().reshape(shape),
                grid["capacity"].fillna(0.0).to_numpy().reshape(shape),
                grid["unmet"].fillna(0.0).to_numpy().reshape(shape),
                np.array(words_ratio, dtype=object).reshape(shape),
            ],
            axis=-1,
        )
        ys = [label[d] for d in districts]
        cells = dict(x=years, y=ys, customdata=custom, hovertemplate=hover, xgap=1, ygap=1, hoverongaps=False)
        fig.add_trace(go.Heatmap(z=shown, coloraxis="coloraxis", **cells), row=i, col=1)
        if np.isinf(ratio).any():
            none = np.where(np.isinf(ratio), 1.0, np.nan)
            grey = [[0.0, NO_PLACES], [1.0, NO_PLACES]]
            fig.add_trace(go.Heatmap(z=none, colorscale=grey, showscale=False, **cells), row=i, col=1)
        short = grid[grid["unmet"] > 0.05].reset_index()
        if len(short):
            fig.add_trace(
                go.Scatter(
                    x=short["year"],
                    y=[label[d] for d in short["district"]],
                    mode="markers",
                    marker={"symbol": "x-thin", "size": 10, "line": {"width": 2.5, "color": "black"}},
                    name=w["unmet_places"],
                    legendgroup="unmet",
                    showlegend=not any(t.legendgroup == "unmet" for t in fig.data),
                    customdata=short["unmet"],
                    hovertemplate=f"<b>%{{y}}</b>, %{{x}}<br>{w['unmet_places']}: %{{customdata:,.1f}}<extra></extra>",
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(autorange="reversed", showgrid=False, row=i, col=1, tickfont={"size": 12})
    fig.update_xaxes(showgrid=False, dtick=1, tickangle=0, showticklabels=True, tickfont={"size": 11})
    fig.update_xaxes(title_text=w["year"], row=len(services), col=1)
    fig.update_layout(coloraxis=ratio_colorbar(w["ratio"]))
    return styled(fig, height)


BAND_COLOURS: dict[str, str] = {"under capacity": "#d7301f", "within band": "#1a9850", "surplus": "#f39c12"}
"""Traffic-light colours of the surplus band's classes (the ``surplus_band`` table's ``class``)."""


def _service_grid(result: Result, table: pd.DataFrame):
    """One heat map row per service of ``table`` (districts down, years across): the services, each
    service's districts in order, the districts' labels, the years, the figure's height (px) and the
    empty figure of subplots, one per service."""
    services = _services(result, sorted({data.text(s) for s in table["service"]}))
    rows = [
        _district_order(result, sorted({data.text(d) for d in table.loc[table["service"] == s, "district"]}))
        for s in services
    ]
    label = _labels(sorted({d for r in rows for d in r}), data.names(result))
    years = data.years(result) or sorted(int(y) for y in table["year"].unique())
    height = 90 + sum(22 * len(r) + 60 for r in rows)
    fig = make_subplots(
        rows=len(services),
        cols=1,
        shared_xaxes=True,
        row_heights=[len(r) + 2 for r in rows],
        vertical_spacing=min(0.3 / len(services), 60 / height) if len(services) > 1 else 0.0,
        subplot_titles=[esc(service_name(result, s)) for s in services],
    )
    return services, rows, label, years, height, fig


def _grids(table: pd.DataFrame, services: list, rows: list, years: list):
    """Per service (numbered from 1, the subplot's row): its districts, ``table``'s rows on the
    districts × years grid (missing ones blank) and the grid's shape."""
    for i, (service, districts) in enumerate(zip(services, rows), start=1):
        part = table[table["service"] == service].set_index(["district", "year"])
        grid = part.reindex(pd.MultiIndex.from_product([districts, years], names=["district", "year"]))
        yield i, districts, grid, (len(districts), len(years))


def surplus_band_chart(result: Result, lang: Language) -> go.Figure | None:
    """The surplus band's classes per district and year, one heat map per service with a band (districts
    down, years across), coloured as traffic lights (:data:`BAND_COLOURS`); None without a band."""
    w = WORDS[lang]
    table = result.surplus_band
    if table is None or not len(table):
        return None
    classes = list(BAND_COLOURS)
    services, rows, label, years, height, fig = _service_grid(result, table)
    n = len(classes)
    scale = [[edge, BAND_COLOURS[c]] for i, c in enumerate(classes) for edge in (i / n, (i + 1) / n)]
    hover = (
        f"<b>%{{y}}</b>, %{{x}}<br>%{{customdata[0]}}<br>{w['spare']}: %{{customdata[1]:,.1f}}"
        f"<br>{w['band']}: %{{customdata[2]}}<br>{w['band_cost']}: %{{customdata[3]:,.0f}} SEK<extra></extra>"
    )
    for i, districts, grid, shape in _grids(table, services, rows, years):
        code = grid["class"].map({c: k for k, c in enumerate(classes)}).to_numpy(dtype=float).reshape(shape)
        band = [
            "—"
            if pd.isna(lo) and pd.isna(hi)
            else f"{'' if pd.isna(lo) else number(lo, lang)} … {'' if pd.isna(hi) else number(hi, lang)}"
            for lo, hi in zip(grid["floor"], grid["ceiling"])
        ]
        custom = np.stack(
            [
                np.array([w.get(c, "") if isinstance(c, str) else "" for c in grid["class"]], dtype=object),
                pd.to_numeric(grid["spare"], errors="coerce").fillna(0.0).to_numpy(),
                np.array(band, dtype=object),
                pd.to_numeric(grid["cost"], errors="coerce").fillna(0.0).to_numpy(),
            ],
            axis=-1,
        ).reshape((*shape, 4))
        fig.add_trace(
            go.Heatmap(
                z=code,
                x=years,
                y=[label[d] for d in districts],
                zmin=-0.5,
                zmax=n - 0.5,
                colorscale=scale,
                showscale=i == 1,
                colorbar={"tickvals": list(range(n)), "ticktext": [w[c] for c in classes], "title": w["band"]},
                customdata=custom,
                hovertemplate=hover,
                xgap=1,
                ygap=1,
                hoverongaps=False,
            ),
            row=i,
            col=1,
        )
        fig.update_yaxes(autorange="reversed", showgrid=False, row=i, col=1, tickfont={"size": 12})
    fig.update_xaxes(showgrid=False, dtick=1, tickangle=0, showticklabels=True, tickfont={"size": 11})
    fig.update_xaxes(title_text=w["year"], row=len(services), col=1)
    return styled(fig, height)


def ratio_text(ratio: float, w: dict[str, str]) -> str:
    """A demand / capacity ratio in words: a percentage, "no places" for inf, a dash for NaN."""
    if math.isnan(ratio):
        return "—"
    if math.isinf(ratio):
        return w["no_capacity"]
    return f"{100 * ratio:,.0f} %"


def frames_chart(result: Result, lang: Language) -> go.Figure:
    """Spending per year in each frame (bars, MSEK) with the frame's cap where one is set (a bar
    across each year): one panel per frame. Bars at their cap are orange."""
    w = WORDS[lang]
    frames = result.frames
    table = pd.DataFrame(
        {
            "frame": frames["frame"].map(data.text),
            "year": data.num(frames, "year"),
            "spend": data.num(frames, "spend").fillna(0.0) / MSEK,
            "cap": data.num(frames, "cap") / MSEK,
        }
    ).dropna(subset=["year"])
    if table.empty:
        return saying(w["no_plan"])
    present = list(table["frame"].unique())
    order = [f for f in FRAME_ORDER if f in present] + sorted(set(present) - set(FRAME_ORDER))
    order = [f for f in order if (table.loc[table["frame"] == f, "spend"].abs() > 0).any() or _has_cap(table, f)]
    order = order or present[:1]
    titles = [esc(FRAMES[lang].get(f, f)) for f in order]
    fig = make_subplots(
        rows=len(order), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.25 / len(order)
    )
    for i, frame in enumerate(order, start=1):
        part = table[table["frame"] == frame].sort_values("year")
        full = (part["cap"].notna()) & (part["spend"] >= 0.999 * part["cap"])
        fig.add_trace(
            go.Bar(
                x=part["year"],
                y=part["spend"],
                marker_color=np.where(full, "#e08214", "#4a6fa5").tolist(),
                name=w["spend"],
                legendgroup="spend",
                showlegend=i == 1,
                hovertemplate=f"%{{x}}<br>{w['spend']}: %{{y:,.1f}} {w['msek']}<extra></extra>",
            ),
            row=i,
            col=1,
        )
        capped = part[part["cap"].notna()]
        if len(capped):
            fig.add_trace(
                go.Scatter(
                    x=capped["year"],
                    y=capped["cap"],
                    mode="markers",
                    marker={"symbol": "line-ew", "size": 26, "line": {"width": 3, "color": "#c62828"}},
                    name=w["cap"],
                    legendgroup="cap",
                    showlegend=not any(t.legendgroup == "cap" for t in fig.data),
                    hovertemplate=f"%{{x}}<br>{w['cap']}: %{{y:,.1f}} {w['msek']}<extra></extra>",
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(title_text=w["msek"], rangemode="tozero", tickformat=",.4~g", row=i, col=1)
    fig.update_xaxes(dtick=1)
    if not table["cap"].notna().any():
        fig.add_annotation(text=esc(w["no_caps"]), xref="paper", yref="paper", x=0, y=1.0, yshift=40, showarrow=False)
    return styled(fig, 70 + 200 * len(order))


def _has_cap(table: pd.DataFrame, frame: str) -> bool:
    return bool(table.loc[table["frame"] == frame, "cap"].notna().any())


def timeline_chart(result: Result, lang: Language) -> go.Figure:
    """The actions as a Gantt chart (:func:`allocopt.board.data.timeline`): decision to opening,
    in service (coloured by kind), closures as crosses."""
    w, kinds = WORDS[lang], ACTIONS[lang]
    bars, marks = data.timeline(result)
    if bars.empty and marks.empty:
        return saying(w["no_actions"])
    rows = list(dict.fromkeys([*bars["row"], *marks["row"]]))
    label = _labels(rows, data.names(result))
    fig = go.Figure()
    phases = list(dict.fromkeys(bars["phase"]))
    for phase in sorted(phases, key=lambda p: (p != "construction", p != "existing", p)):
        part = bars[bars["phase"] == phase]
        name = {"construction": w["construction"], "existing": w["existing"]}.get(phase, kinds.get(phase, phase))
        custom = np.stack(
            [part["start"], part["end"] - 1, part["capex"] / MSEK, part["places"], part["district"].map(esc)], axis=-1
        )
        fig.add_trace(
            go.Bar(
                y=[label[r] for r in part["row"]],
                x=part["end"] - part["start"],
                base=part["start"],
                orientation="h",
                name=esc(name),
                marker={"color": COLOURS.get(phase, "#607d8b"), "line": {"width": 0}},
                width=0.7 if phase != "construction" else 0.45,
                customdata=custom,
                hovertemplate=(
                    f"<b>%{{y}}</b> (%{{customdata[4]}})<br>{esc(name)}: %{{customdata[0]}}–%{{customdata[1]}}"
                    f"<br>capex %{{customdata[2]:,.1f}} {w['msek']}, %{{customdata[3]:,.0f}} {w['places']}"
                    "<extra></extra>"
                ),
            )
        )
    for action, symbol in (("close", "x"), ("lease_end", "diamond")):
        part = marks[marks["action"] == action]
        if len(part):
            name = w["closed_marker"] if action == "close" else w["lease_end_marker"]
            fig.add_trace(
                go.Scatter(
                    y=[label[r] for r in part["row"]],
                    x=part["year"],
                    mode="markers",
                    name=esc(name),
                    marker={
                        "symbol": symbol,
                        "size": 12,
                        "color": COLOURS[action],
                        "line": {"width": 1, "color": "white"},
                    },
                    hovertemplate=f"<b>%{{y}}</b><br>{esc(name)}: %{{x}}<extra></extra>",
                )
            )
    fig.update_layout(barmode="overlay", bargap=0.3)
    fig.update_yaxes(
        range=[len(rows) - 0.5, -0.5],
        categoryorder="array",
        categoryarray=[label[r] for r in rows],
        showgrid=False,
        tickfont={"size": 11},
    )
    years = data.years(result)
    if years:
        fig.update_xaxes(range=[years[0] - 1.5, years[-1] + 1.5])
    fig.update_xaxes(title_text=w["year"], dtick=1, side="bottom")
    return styled(fig, 110 + 19 * len(rows))


def marginal_chart(result: Result, lang: Language, top: int = 15) -> go.Figure | None:
    """The ``top`` district-years where one more place costs most (SEK per place, discounted), one
    bar each, coloured by service; None when the table holds no positive figure."""
    w = WORDS[lang]
    table = result.marginal_costs
    value = data.num(table, "sek_per_place_discounted")
    part = pd.DataFrame(
        {
            "district": table["district"].map(data.text),
            "service": table["service"].map(data.text),
            "year": data.num(table, "year"),
            "value": value,
        }
    )
    part = part[part["value"] > 0].sort_values(
        ["value", "district", "service", "year"], ascending=[False, True, True, True]
    )
    part = part.head(top)
    if part.empty:
        return None
    shown = data.names(result)
    part["label"] = [
        f"{esc(shown.get(d, d))} · {esc(service_name(result, s))} · {int(y)}"
        for d, s, y in zip(part["district"], part["service"], part["year"])
    ]
    fig = go.Figure()
    for i, service in enumerate(_services(result, list(part["service"].unique()))):
        rows = part[part["service"] == service]
        fig.add_trace(
            go.Bar(
                y=rows["label"],
                x=rows["value"],
                orientation="h",
                name=esc(service_name(result, service)),
                marker_color=["#4a6fa5", "#e08214", "#1b7837", "#c51b7d", "#5e3c99", "#8c510a"][i % 6],
                hovertemplate=f"<b>%{{y}}</b><br>%{{x:,.0f}} {w['sek_per_place']}<extra></extra>",
                text=[number(v, lang, 0) for v in rows["value"]],
                textposition="outside",
                cliponaxis=False,
            )
        )
    fig.update_yaxes(categoryorder="array", categoryarray=part["label"].tolist(), autorange="reversed", showgrid=False)
    fig.update_xaxes(title_text=w["sek_per_place"], range=[0, 1.15 * float(part["value"].max())])
    return styled(fig, 110 + 24 * len(part))
