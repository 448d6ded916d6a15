"""The report of plans side by side (:func:`comparison_report`): a headline row per plan, the NPV by
part, spending against the frames, unmet demand per plan and the decisions that differ from the
first plan's. Money in MSEK (discounted for the NPV, undiscounted per year), places in places."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from allocopt.board import charts, data
from allocopt.board.charts import FRAME_ORDER, MSEK
from allocopt.board.map import map_chart
from allocopt.board.page import Section, caption, chart, document, esc, table
from allocopt.board.plan import settings_body
from allocopt.board.style import PLAN_COLOURS, saying, styled
from allocopt.board.style import esc as label
from allocopt.board.words import ACTIONS, FRAMES, NPV_PARTS, WORDS
from allocopt.compare import NPV_PARTS as SIGNS
from allocopt.compare import Comparison
from allocopt.headline import Language, key_figures, language, msek, number, status_in_words
from allocopt.result import Result


def comparison_report(
    comparison: Comparison, results: Sequence[Result], names: Sequence[str], lang: str | None = None
) -> str:
    """The HTML report of ``comparison`` (of ``results``, named ``names``, the first the reference)
    in ``lang`` (default the first result's scenario language, else English)."""
    chosen = language(results[0], lang)
    w = WORDS[chosen]
    sections = [
        Section("headline", w["headline"], headline_table(comparison, results, names, chosen)),
        Section(
            "npv", w["npv_parts"], caption(w["npv_parts_caption"]) + chart(npv_chart(comparison, chosen), "chart-npv")
        ),
        Section(
            "frames",
            w["frames"],
            caption(w["frames_compare_caption"]) + chart(frames_chart(comparison, chosen), "chart-frames"),
        ),
        Section(
            "unmet",
            w["unmet_compare"],
            caption(w["unmet_compare_caption"]) + chart(unmet_chart(comparison, chosen), "chart-unmet"),
        ),
        Section("changes", w["changes"], changes_table(comparison, chosen)),
        Section("side_by_side", w["side_by_side"], side_by_side(results, names, chosen)),
        Section("settings", w["settings"], settings_body(results[0], chosen)),
    ]
    title = f"{w['title_comparison']}: {', '.join(str(n) for n in names)}"
    return document(title, str(results[0].scenario_settings.get("description") or ""), sections, chosen)


def side_by_side(results: Sequence[Result], names: Sequence[str], lang: Language) -> str:
    """Each plan's demand-against-capacity heat map and map (the charts of its own report), two
    plans to a row (``chart-pressure-<i>``, ``chart-map-<i>``, ``i`` from 1 in the given order). The
    grid's columns are fixed, so that each chart is drawn at its column's width as the page loads."""
    w = WORDS[lang]
    cells = []
    for i, (name, result) in enumerate(zip(names, results), start=1):
        if not result.has_plan:
            words = status_in_words(result.status, result.gap, lang)
            cells.append(f"<div><h3>{esc(name)}</h3>{caption(words)}</div>")
            continue
        pressure = chart(charts.pressure_chart(result, lang), f"chart-pressure-{i}")
        cells.append(f"<div><h3>{esc(name)}</h3>{pressure}{chart(map_chart(result, lang), f'chart-map-{i}')}</div>")
    return caption(w["side_by_side_caption"]) + f'<div class="side">{"".join(cells)}</div>'


def headline_table(comparison: Comparison, results: Sequence[Result], names: Sequence[str], lang: Language) -> str:
    """One row per plan: status in words, NPV of real money and its difference to the first plan,
    the penalty, unmet place-years, capex."""
    w = WORDS[lang]
    rows = []
    npv = comparison.npv.set_index("plan")
    for name, result in zip(names, results):
        figures = key_figures(result)
        row = npv.loc[str(name)] if str(name) in npv.index else None
        rows.append(
            {
                "plan": name,
                "status": status_in_words(result.status, figures.gap, lang),
                "npv_real": figures.npv_real_money,
                "diff": None if row is None else float(row["npv_real_diff"]),
                "penalty": figures.penalty_npv,
                "unmet": figures.unmet_place_years,
                "capex": figures.capex_total,
            }
        )
    money = lambda x: msek(x, lang)  # noqa: E731
    return table(
        pd.DataFrame(rows),
        [
            ("plan", w["plan"], None),
            ("status", w["status"], None),
            ("npv_real", w["npv_real"], money),
            ("diff", f"Δ {w['npv_real']}", lambda x: signed_msek(x, lang)),
            ("penalty", w["penalty_npv"], money),
            ("unmet", w["unmet_place_years"], lambda x: number(x, lang, 1)),
            ("capex", w["capex_total"], money),
        ],
        lang,
    )


def signed_msek(sek: float, lang: Language) -> str:
    """A difference in MSEK with its sign (``+1.5 MSEK``, ``-0.3 MSEK``); what rounds to 0.0 has none."""
    shown = round(sek / MSEK, 1)
    if shown == 0:
        return msek(0.0, lang)
    return ("+" if shown > 0 else "") + msek(sek, lang)


def npv_chart(comparison: Comparison, lang: Language) -> go.Figure:
    """Each plan's NPV by part (MSEK, discounted; incomes negative), the penalty as a part of its own."""
    parts = [*SIGNS, "penalty"]
    shown = [NPV_PARTS[lang].get(p, p) for p in parts]
    fig = go.Figure()
    for i, row in enumerate(comparison.npv.to_dict("records")):
        values = [SIGNS.get(p, 1) * float(row[p] or 0.0) / MSEK for p in parts]
        fig.add_trace(
            go.Bar(
                x=shown,
                y=values,
                name=label(row["plan"]),
                marker_color=PLAN_COLOURS[i % len(PLAN_COLOURS)],
                hovertemplate=f"<b>%{{x}}</b><br>{label(row['plan'])}: %{{y:,.1f}} {WORDS[lang]['msek']}"
                "<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=WORDS[lang]["msek"], zeroline=True, zerolinecolor="#9aa5b1", tickformat=",.4~g")
    return styled(fig, 440)


def frames_chart(comparison: Comparison, lang: Language) -> go.Figure:
    """Spending per year in each frame, one line per plan (MSEK); each plan's cap dotted."""
    w = WORDS[lang]
    frames = comparison.frames
    if frames.empty:
        return saying(w["no_plan"])
    table_ = pd.DataFrame(
        {
            "plan": frames["plan"].map(data.text),
            "frame": frames["frame"].map(data.text),
            "year": data.num(frames, "year"),
            "spend": data.num(frames, "spend").fillna(0.0) / MSEK,
            "cap": data.num(frames, "cap") / MSEK,
        }
    )
    present = list(dict.fromkeys(table_["frame"]))
    order = [f for f in FRAME_ORDER if f in present] + sorted(set(present) - set(FRAME_ORDER))
    order = [f for f in order if (table_.loc[table_["frame"] == f, "spend"].abs() > 0).any()] or order[:1]
    plans = list(dict.fromkeys(comparison.npv["plan"].map(str)))
    titles = [label(FRAMES[lang].get(f, f)) for f in order]
    fig = make_subplots(
        rows=len(order), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.25 / len(order)
    )
    for i, frame in enumerate(order, start=1):
        for j, plan in enumerate(plans):
            part = table_[(table_["frame"] == frame) & (table_["plan"] == plan)].sort_values("year")
            colour = PLAN_COLOURS[j % len(PLAN_COLOURS)]
            fig.add_trace(
                go.Scatter(
                    x=part["year"],
                    y=part["spend"],
                    mode="lines+markers",
                    name=label(plan),
                    legendgroup=plan,
                    showlegend=i == 1,
                    line={"color": colour, "width": 2},
                    hovertemplate=f"{label(plan)}, %{{x}}<br>{w['spend']}: %{{y:,.1f}} {w['msek']}<extra></extra>",
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
                        mode="lines",
                        line={"color": colour, "dash": "dot", "width": 1.5, "shape": "hv"},
                        name=f"{label(plan)}: {w['cap']}",
                        legendgroup=plan,
                        showlegend=False,
                        hovertemplate=f"{label(plan)}, %{{x}}<br>{w['cap']}: %{{y:,.1f}} {w['msek']}<extra></extra>",
                    ),
                    row=i,
                    col=1,
                )
        fig.update_yaxes(title_text=w["msek"], rangemode="tozero", tickformat=",.4~g", row=i, col=1)
    fig.update_xaxes(dtick=1)
    return styled(fig, 70 + 200 * len(order))


def unmet_chart(comparison: Comparison, lang: Language) -> go.Figure:
    """Unmet places per year and plan (summed over services), grouped bars."""
    w = WORDS[lang]
    unmet = comparison.unmet
    table_ = pd.DataFrame(
        {"plan": unmet["plan"].map(data.text), "year": data.num(unmet, "year"), "unmet": data.num(unmet, "unmet")}
    )
    if not (table_["unmet"].fillna(0.0) > 0.05).any():
        return saying(w["no_unmet"])
    per_year = table_.groupby(["plan", "year"], as_index=False)["unmet"].sum()
    fig = go.Figure()
    for j, plan in enumerate(dict.fromkeys(comparison.npv["plan"].map(str))):
        part = per_year[per_year["plan"] == plan]
        fig.add_trace(
            go.Bar(
                x=part["year"],
                y=part["unmet"],
                name=label(plan),
                marker_color=PLAN_COLOURS[j % len(PLAN_COLOURS)],
                hovertemplate=f"{label(plan)}, %{{x}}<br>{w['unmet_places']}: %{{y:,.1f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=w["year"], dtick=1)
    fig.update_yaxes(title_text=w["unmet_places"], rangemode="tozero")
    return styled(fig, 380)


def changes_table(comparison: Comparison, lang: Language) -> str:
    """The decisions that differ from the first plan's, or a sentence saying there are none."""
    w = WORDS[lang]
    changes = comparison.changes
    if changes.empty:
        return f"<p>{esc(w['no_changes'])}</p>"
    shown = changes.assign(
        action=changes["action"].map(lambda a: ACTIONS[lang].get(str(a), str(a))),
        ident=[o if isinstance(o, str) else s for o, s in zip(changes["option"], changes["site"])],
        years=[_arrow(a, b) for a, b in zip(changes["from_year"], changes["to_year"])],
        modules=[_arrow(a, b) for a, b in zip(changes["from_modules"], changes["to_modules"])],
    )
    return table(
        shown,
        [
            ("plan", w["plan"], None),
            ("change", w["change"], None),
            ("action", w["action"], None),
            ("ident", w["option_site"], None),
            ("district", w["district"], None),
            ("years", w["year"], None),
            ("modules", w["modules"], None),
        ],
        lang,
    )


def _arrow(before, after) -> str:
    shown = ["" if pd.isna(v) else str(int(v)) for v in (before, after)]
    return shown[0] if shown[0] == shown[1] else " → ".join(s or "–" for s in shown)
