"""The report of one plan (:func:`plan_report`): headline, demand against capacity, the frames,
the actions in time, the map, what a place costs and why demand goes unmet, the settings and
what the model leaves out. A result without a plan gets its status, the diagnosis and the settings."""

from __future__ import annotations

import json

import pandas as pd

from allocopt.board import charts, data
from allocopt.board.map import map_chart
from allocopt.board.page import Section, caption, card, chart, document, esc, table
from allocopt.board.words import FRAMES, WORDS
from allocopt.headline import DISCLAIMER, Language, key_figures, language, msek, number, place_years, status_in_words
from allocopt.result import Result


def plan_report(result: Result, lang: str | None = None) -> str:
    """The HTML report of ``result`` in ``lang`` (``en`` or ``sv``; default the scenario's language,
    else English): one self-contained page. ValueError for another language."""
    chosen = language(result, lang)
    w = WORDS[chosen]
    sections = [Section("headline", w["headline"], headline(result, chosen))]
    if result.has_plan:
        sections += [
            Section(
                "pressure",
                w["pressure"],
                caption(w["pressure_caption"]) + chart(charts.pressure_chart(result, chosen), "chart-pressure"),
            ),
            Section(
                "frames",
                w["frames"],
                caption(w["frames_caption"]) + chart(charts.frames_chart(result, chosen), "chart-frames"),
            ),
            Section(
                "timeline",
                w["timeline"],
                caption(w["timeline_caption"]) + chart(charts.timeline_chart(result, chosen), "chart-timeline"),
            ),
            Section("map", w["map"], map_body(result, chosen)),
        ]
        band = charts.surplus_band_chart(result, chosen)
        if band is not None:
            body = caption(w["surplus_band_caption"]) + chart(band, "chart-surplus-band")
            sections.append(Section("surplus-band", w["surplus_band"], body))
        explained = explanations(result, chosen)
        if explained:
            sections.append(Section("marginal", w["marginal"], explained))
    elif isinstance(result.diagnosis, pd.DataFrame) and len(result.diagnosis):
        sections.append(Section("diagnosis", w["diagnosis"], _diagnosis(result.diagnosis, chosen)))
    sections.append(Section("settings", w["settings"], settings_body(result, chosen)))
    name = result.scenario_settings.get("name") or result.scenario
    return document(f"{w['title_plan']}: {name}", "", sections, chosen, charts=result.has_plan)


def headline(result: Result, lang: Language) -> str:
    """Key figures as cards (real money apart from the penalty), the status in words, the scenario."""
    w = WORDS[lang]
    figures = key_figures(result)
    status = status_in_words(result.status, figures.gap, lang)
    out = f'<p class="status"><b>{esc(w["status"])}:</b> {esc(status)}</p>'
    if result.message:
        out += caption(result.message)
    if result.has_plan:
        out += '<div class="cards">'
        out += card(w["npv_real"], msek(figures.npv_real_money, lang), w["npv_real_note"])
        out += card(w["penalty_npv"], msek(figures.penalty_npv, lang), w["penalty_note"])
        out += card(
            w["unmet"], place_years(figures.unmet_place_years, lang), "", warn=figures.unmet_place_years >= 0.05
        )
        out += card(w["capex_total"], msek(figures.capex_total, lang), w["capex_note"])
        out += "</div>"
    else:
        out += f"<p>{esc(w['no_plan'])}</p>"
    name = result.scenario_settings.get("name") or result.scenario
    out += f"<p><b>{esc(w['scenario'])}:</b> {esc(name)}"
    description = result.scenario_settings.get("description")
    out += f" — {esc(description)}</p>" if description else "</p>"
    return out


def map_body(result: Result, lang: Language) -> str:
    """The map with its caption (saying so where the districts were laid on a circle)."""
    w = WORDS[lang]
    _, _, circle = data.map_points(result)
    text = w["map_caption"] + (" " + w["map_circle"] if circle else "")
    return caption(text) + chart(map_chart(result, lang), "chart-map")


def explanations(result: Result, lang: Language) -> str:
    """What one more place costs (chart), the binding caps and why demand goes unmet (tables);
    '' when all three are empty."""
    w = WORDS[lang]
    out = ""
    marginal = charts.marginal_chart(result, lang)
    if marginal is not None:
        out += caption(w["marginal_caption"]) + chart(marginal, "chart-marginal")
    caps = result.binding_caps
    binding = caps[caps["binding"].map(_true)] if len(caps) else caps
    if len(binding):
        shown = binding.assign(
            frame=binding["frame"].map(lambda f: FRAMES[lang].get(str(f), str(f))),
            spend=data.num(binding, "spend"),
            cap=data.num(binding, "cap"),
            dual=data.num(binding, "dual_sek_per_sek"),
        )
        out += f"<h3>{esc(w['binding'])}</h3>" + caption(w["binding_caption"])
        money = lambda x: msek(x, lang)  # noqa: E731
        out += table(
            shown,
            [
                ("frame", w["frame"], None),
                ("year", w["year"], lambda y: str(int(y))),
                ("spend", w["spend"], money),
                ("cap", w["cap"], money),
                ("dual", w["shadow_price"], lambda x: number(x, lang, 3)),
            ],
            lang,
        )
    reasons = result.unmet_reasons
    if len(reasons):
        out += f"<h3>{esc(w['why_unmet'])}</h3>"
        out += table(
            reasons.assign(
                unmet=data.num(reasons, "unmet"),
                district=reasons["district"].map(lambda d: data.names(result).get(data.text(d), data.text(d))),
                service=reasons["service"].map(lambda v: charts.service_name(result, data.text(v))),
            ),
            [
                ("district", w["district"], None),
                ("service", w["service"], None),
                ("year", w["year"], lambda y: str(int(float(y)))),
                ("unmet", w["unmet_places"], lambda x: number(x, lang, 1)),
                ("reason", w["reason"], None),
                ("detail", w["detail"], None),
            ],
            lang,
        )
    return out


def _true(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "1.0", "yes")


def _diagnosis(diagnosis: pd.DataFrame, lang: Language) -> str:
    columns = [(c, c, None) for c in diagnosis.columns]
    return table(diagnosis, columns, lang)


def settings_body(result: Result, lang: Language) -> str:
    """The scenario's settings and how it was solved, as tables, then the disclaimer."""
    w = WORDS[lang]
    heads = [("key", w["setting"], None), ("value", w["value"], None)]
    scenario = [(k, _shown(v)) for k, v in result.scenario_settings.items() if k != "services"]
    for service, entry in result.scenario_settings.get("services", {}).items():
        scenario.append((f"service {service}", _shown(entry)))
    out = table(pd.DataFrame(scenario, columns=["key", "value"]), heads, lang, scroll=False)
    solved = [(k, _shown(v)) for k, v in result.settings.items()]
    if solved:
        out += f"<h3>{esc(w['solve_settings'])}</h3>" + table(
            pd.DataFrame(solved, columns=["key", "value"]), heads, lang, scroll=False
        )
    out += f"<h3>{esc(w['disclaimer'])}</h3>"
    return out + f'<p class="disclaimer">{esc(DISCLAIMER[lang])}</p>'


def _shown(value) -> str:
    """A setting as text: mappings and lists as compact JSON, the rest as they are."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "" if value is None else str(value)
