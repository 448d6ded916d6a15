"""A plan's headline in plain words, in English or Swedish: the key figures (real money apart from
the notional unmet-demand penalty), the status said as a board member would read it, and what the
model leaves out. The HTML report, the workbook's summary sheet and the terminal read them here,
so that they never say different things.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:
    from allocopt.result import Result

Language = Literal["en", "sv"]
LANGUAGES: tuple[str, ...] = ("en", "sv")


@dataclass(frozen=True)
class KeyFigures:
    """A plan's key figures. Money in SEK, discounted to the first year (``*_npv``) or undiscounted
    sums over the horizon; places in place-years (one place for one year)."""

    npv_total: float | None  # the objective: real money + penalty + band cost (SEK, discounted), of the perspective
    npv_real_money: float | None  # consolidated NPV less the notional parts: what is actually paid (SEK)
    penalty_npv: float | None  # the unmet-demand penalty, discounted (SEK): notional, never paid
    unmet_place_years: float  # places of demand not served, summed over years
    capex_total: float  # investment over the horizon, undiscounted (SEK)
    npv_by_party: dict[str, float]  # each party's discounted cost (SEK)
    status: str
    gap: float | None  # relative gap (0.005 = 0.5 %)
    bound: float | None  # the solver's lower bound on the objective (SEK)
    band_npv: float | None = None  # the surplus band's cost, discounted (SEK): notional, never paid


def _band_npv(result: Result) -> float:
    """The surplus band's cost discounted (SEK): Σ its ``cost`` per year times the year's discount factor."""
    band = getattr(result, "surplus_band", None)
    if band is None or not len(band) or not len(result.costs):
        return 0.0
    factor = pd.to_numeric(result.costs["discount_factor"], errors="coerce").fillna(0.0)
    factor.index = pd.to_numeric(result.costs["year"], errors="coerce")
    per_year = (
        pd.to_numeric(band["cost"], errors="coerce")
        .fillna(0.0)
        .groupby(pd.to_numeric(band["year"], errors="coerce"))
        .sum()
    )
    return float((per_year * factor.reindex(per_year.index).fillna(0.0)).sum())


def key_figures(result: Result) -> KeyFigures:
    """The :class:`KeyFigures` of ``result``, from its tables (``costs``, ``party_costs``, ``balance``)."""
    costs = result.costs
    has = result.has_plan and len(costs) > 0
    num = (lambda c: pd.to_numeric(costs[c], errors="coerce").fillna(0.0)) if has else None
    band_npv = _band_npv(result) if has else None
    # the costs' penalty column holds both notional parts: the unmet-demand penalty and the band's cost
    penalty_npv = float((num("penalty") * num("discount_factor")).sum()) - band_npv if has else None
    consolidated = float(num("discounted").sum()) if has else None
    unmet = pd.to_numeric(result.balance["unmet"], errors="coerce").fillna(0.0).sum() if len(result.balance) else 0.0
    by_party: dict[str, float] = {}
    if len(result.party_costs):
        discounted = pd.to_numeric(result.party_costs["discounted"], errors="coerce").fillna(0.0)
        by_party = {str(p): float(v) for p, v in discounted.groupby(result.party_costs["party"]).sum().items()}
    return KeyFigures(
        npv_total=_finite(result.objective),
        npv_real_money=None if consolidated is None else consolidated - penalty_npv - band_npv,
        penalty_npv=penalty_npv,
        unmet_place_years=float(unmet),
        capex_total=float(num("capex").sum()) if has else 0.0,
        npv_by_party=by_party,
        status=result.status,
        gap=_finite(result.gap),
        bound=_finite(result.bound),
        band_npv=band_npv,
    )


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def number(x: float, lang: Language = "en", decimals: int = 1) -> str:
    """``x`` with a (narrow no-break) space between thousands and the language's decimal mark:
    ``2 759.5`` in English, ``2 759,5`` in Swedish."""
    x = round(x, decimals) + 0.0  # -0.04 at one decimal is 0.0, never -0.0
    text = f"{x:,.{decimals}f}".replace(",", "\u202f")
    return text.replace(".", ",") if lang == "sv" else text


def msek(sek: float | None, lang: Language = "en", decimals: int = 1) -> str:
    """SEK as millions: ``2 759.5 MSEK`` (en), ``2 759,5 mnkr`` (sv); an em dash for none."""
    if sek is None:
        return "—"
    return f"{number(sek / 1e6, lang, decimals)} {'mnkr' if lang == 'sv' else 'MSEK'}"


def percent(share: float | None, lang: Language = "en", decimals: int = 1) -> str:
    """A share as a percentage: ``0.5 %`` (en), ``0,5 %`` (sv)."""
    return "—" if share is None else f"{number(100 * share, lang, decimals)} %"


def place_years(x: float, lang: Language = "en") -> str:
    """Unmet place-years said consistently: ``none`` for 0, ``about 1.5 place-years`` otherwise (one
    decimal under 10, whole numbers above)."""
    if x < 0.05:
        return "inga" if lang == "sv" else "none"
    shown = number(x, lang, 1 if x < 10 else 0)
    return f"ungefär {shown} platsår" if lang == "sv" else f"about {shown} place-years"


_STATUS = {
    "en": {
        "optimal": "proven within {gap} of the best possible plan",
        "time_limit": "the best plan found within the time limit; the best possible plan may be up to {gap} cheaper",
        "time_limit_unknown": (
            "the best plan found within the time limit; how far it is from the best possible is not known"
        ),
        "evaluated": "a given plan, priced (not optimised)",
        "interrupted": "the solve was stopped; the best plan found so far, up to {gap} from the best possible",
        "unverified": "the independent check does not confirm this plan: do not use it",
        "infeasible": "no plan meets every rule of the scenario",
        "error": "the solver failed without a plan",
    },
    "sv": {
        "optimal": "bevisat högst {gap} från den bästa möjliga planen",
        "time_limit": (
            "den bästa planen som hittades inom tidsgränsen; den bästa möjliga kan vara upp till {gap} billigare"
        ),
        "time_limit_unknown": (
            "den bästa planen som hittades inom tidsgränsen; avståndet till den bästa möjliga är okänt"
        ),
        "evaluated": "en given plan, prissatt (inte optimerad)",
        "interrupted": "lösningen avbröts; den bästa planen hittills, upp till {gap} från den bästa möjliga",
        "unverified": "den oberoende kontrollen bekräftar inte planen: använd den inte",
        "infeasible": "ingen plan uppfyller scenariots alla regler",
        "error": "lösaren misslyckades utan plan",
    },
}


def status_in_words(status: str, gap: float | None, lang: Language = "en") -> str:
    """The status said plainly, e.g. ``proven within 0.5 % of the best possible plan``."""
    words = _STATUS[lang]
    if status == "time_limit" and gap is None:
        status = "time_limit_unknown"
    text = words.get(status, status)
    return text.format(gap=percent(gap, lang, 2 if gap is not None and gap < 0.1 else 1))


DISCLAIMER: dict[str, str] = {
    "en": (
        "This plan is the cheapest way, under the scenario's figures and rules, to give every forecast "
        "child, pupil and elderly resident a place within reach. It is a model, not a decision. It leaves out "
        "what the scenario does not state: the quality and condition of buildings beyond their cost, planning "
        "permission and land, the market for leases, how families choose a preschool or school, staff, "
        "traffic and travel other than the distance cost, and every risk that the forecast, the prices or "
        "the timetable turn out differently. The unmet-demand penalty is a notional price that says how "
        "much a place left unserved should weigh; it is never paid and is shown apart from the real money."
    ),
    "sv": (
        "Planen är det billigaste sättet, med scenariots siffror och regler, att ge varje barn, elev och "
        "äldre som prognosen räknar med en plats inom räckhåll. Den är en modell, inte ett beslut. Den "
        "bortser från det som scenariot inte anger: byggnadernas kvalitet och skick utöver kostnaden, "
        "detaljplan och mark, hyresmarknaden, hur familjer väljer förskola och skola, personal, trafik och "
        "resor utöver avståndskostnaden, och varje risk att prognosen, priserna eller tidplanen blir "
        "annorlunda. Straffkostnaden för ej tillgodosedd efterfrågan är ett tänkt pris som anger hur tungt "
        "varje plats som saknas ska väga; den betalas aldrig och visas skild från de verkliga pengarna."
    ),
}
"""What the model leaves out, in plain words (shown in every report and workbook)."""


def language(result: Result, lang: str | None = None) -> Language:
    """The report language: ``lang`` if given, else the scenario's ``language`` setting, else English."""
    chosen = lang or result.scenario_settings.get("language") or "en"
    if chosen not in LANGUAGES:
        raise ValueError(f"language {chosen!r}: expected one of {', '.join(LANGUAGES)}")
    return chosen  # type: ignore[return-value]
