"""The report of a budget frontier (:func:`frontier_report`): the plan's cost and unmet demand
against the level of the frame, with the solver's bound as an interval where a level is not
proven, and the levels' table. Money in MSEK (discounted), places in place-years."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from allocopt.board import data
from allocopt.board.charts import MSEK
from allocopt.board.page import Section, caption, chart, document, table
from allocopt.board.plan import settings_body
from allocopt.board.style import saying, styled
from allocopt.board.words import WORDS
from allocopt.frontier import Frontier
from allocopt.headline import DISCLAIMER, LANGUAGES, Language, language, msek, number, percent

PROVEN_GAP = 1e-9
"""A relative gap above this shows the level's bound as an interval."""


def frontier_report(frontier: Frontier, lang: str | None = None) -> str:
    """The HTML report of ``frontier`` in ``lang`` (default the scenario's language, else English)."""
    chosen = _language(frontier, lang)
    w = WORDS[chosen]
    what = w["per_year_cap"] if frontier.unit == "factor" else w["msek_per_year"]
    sections = [
        Section(
            "frontier",
            w["title_frontier"],
            caption(w["frontier_caption"].format(frame=frontier.frame))
            + chart(frontier_chart(frontier, chosen), "chart-frontier"),
        ),
        Section("levels", w["levels"], levels_table(frontier, chosen, what)),
    ]
    if frontier.results:
        sections.append(Section("settings", w["settings"], settings_body(frontier.results[0], chosen)))
    else:
        sections.append(Section("settings", w["disclaimer"], f"<p>{DISCLAIMER[chosen]}</p>"))
    name = frontier.results[0].scenario_settings.get("name") if frontier.results else ""
    title = f"{w['title_frontier']}: {frontier.frame}" + (f" ({name})" if name else "")
    return document(title, f"{w['level']}: {what}", sections, chosen)


def _language(frontier: Frontier, lang: str | None) -> Language:
    if frontier.results:
        return language(frontier.results[0], lang)
    if (lang or "en") not in LANGUAGES:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    return lang or "en"  # type: ignore[return-value]


def frontier_chart(frontier: Frontier, lang: Language) -> go.Figure:
    """Top: the NPV of real money and the objective (MSEK) per level, the objective's interval down
    to the bound where not proven; bottom: unmet place-years per level."""
    w = WORDS[lang]
    levels = frontier.levels
    table_ = pd.DataFrame(
        {
            "level": data.num(levels, "level"),
            "objective": data.num(levels, "objective") / MSEK,
            "bound": data.num(levels, "bound") / MSEK,
            "gap": data.num(levels, "gap"),
            "npv_real": data.num(levels, "npv_real") / MSEK,
            "unmet": data.num(levels, "unmet_place_years"),
            "status": levels["status"].map(data.text) if "status" in levels else "",
        }
    ).sort_values("level", kind="stable")
    if table_["objective"].isna().all():
        return saying(w["no_plan"])
    unit = w["per_year_cap"] if frontier.unit == "factor" else w["msek_per_year"]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08)
    below = (table_["objective"] - table_["bound"]).where(table_["gap"] > PROVEN_GAP, 0.0).fillna(0.0).clip(lower=0)
    fig.add_trace(
        go.Scatter(
            x=table_["level"],
            y=table_["objective"],
            mode="lines+markers",
            name=w["objective"],
            line={"color": "#7b8794", "dash": "dot"},
            error_y={"type": "data", "symmetric": False, "array": [0.0] * len(table_), "arrayminus": below.tolist()},
            customdata=table_[["status", "gap"]].assign(gap=table_["gap"].map(lambda g: percent(g, lang, 2))),
            hovertemplate=(
                f"{w['level']} %{{x}}<br>{w['objective']}: %{{y:,.1f}} {w['msek']}"
                "<br>%{customdata[0]}, gap %{customdata[1]}<extra></extra>"
            ),
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=table_["level"],
            y=table_["npv_real"],
            mode="lines+markers",
            name=w["npv_real"],
            line={"color": "#1f77b4", "width": 3},
            hovertemplate=f"{w['level']} %{{x}}<br>{w['npv_real']}: %{{y:,.1f}} {w['msek']}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    steps = table_["level"].dropna().drop_duplicates().diff().dropna()
    fig.add_trace(
        go.Bar(
            x=table_["level"],
            y=table_["unmet"],
            width=0.3 * float(steps.min()) if len(steps) else None,
            name=w["unmet_place_years"],
            marker_color="#d7301f",
            hovertemplate=f"{w['level']} %{{x}}<br>{w['unmet_place_years']}: %{{y:,.1f}}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(title_text=w["msek"], row=1, col=1)
    fig.update_yaxes(title_text=w["unmet_place_years"], rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text=f"{w['level']} ({unit})", row=2, col=1)
    return styled(fig, 560)


def levels_table(frontier: Frontier, lang: Language, what: str) -> str:
    """The levels: status, objective, bound, gap, NPV of real money, unmet, capex, changes."""
    w = WORDS[lang]
    money = lambda x: msek(x, lang)  # noqa: E731
    levels = frontier.levels
    numeric = levels.assign(**{c: data.num(levels, c) for c in levels.columns if c not in ("status", "message")})
    return table(
        numeric,
        [
            ("level", f"{w['level']} ({what})", lambda x: f"{x:g}"),
            ("status", w["status"], None),
            ("objective", w["objective"], money),
            ("bound", w["bound"], money),
            ("gap", w["gap"], lambda g: percent(g, lang, 2)),
            ("npv_real", w["npv_real"], money),
            ("unmet_place_years", w["unmet_place_years"], lambda x: number(x, lang, 1)),
            ("capex_total", w["capex_total"], money),
            ("actions_changed", w["actions_changed"], lambda x: f"{x:.0f}"),
            ("d_npv_per_msek", w["d_npv"], lambda x: number(x, lang, 0)),
        ],
        lang,
    )
