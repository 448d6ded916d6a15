"""Every word the HTML report shows, in English and Swedish (:data:`WORDS`), and the names of the
action kinds (:data:`ACTIONS`). Money is said in MSEK (en) or mnkr (sv); places in places (platser)."""

from __future__ import annotations

from allocopt.headline import Language

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title_plan": "Premises plan",
        "title_comparison": "Plans compared",
        "title_frontier": "Budget frontier",
        "headline": "Headline",
        "npv_real": "NPV of real money",
        "npv_real_note": "discounted cost actually paid, the penalty apart",
        "penalty_npv": "Unmet-demand penalty (NPV)",
        "penalty_note": "notional, never paid",
        "unmet": "Unmet demand",
        "capex_total": "Capex over the horizon",
        "capex_note": "undiscounted",
        "status": "Status",
        "scenario": "Scenario",
        "no_plan": "There is no plan to show.",
        "diagnosis": "What must give",
        "pressure": "Demand against capacity",
        "pressure_caption": (
            "Each cell: the demand of the district's residents divided by the usable places of the facilities "
            "open in the district that year. Above 100 % (red) the district needs places in a neighbouring "
            "district or goes short; a cross marks a district-year with unmet demand. Grey: demand and no "
            "places in the district (served from a neighbouring one, or unmet); white: neither demand nor places. "
            "Hover a cell for demand, capacity and unmet places."
        ),
        "district": "District",
        "year": "Year",
        "demand": "Demand",
        "capacity": "Usable places in the district",
        "unmet_places": "Unmet places",
        "no_capacity": "no places in the district",
        "ratio": "Demand / capacity",
        "surplus_band": "Spare places against the surplus band",
        "surplus_band_caption": (
            "Each cell: the district's usable places less its residents' demand, against the service's target band "
            "of spare places (a share of demand). Red: under capacity, short of the band's floor; green: within "
            "the band; amber: surplus, beyond its ceiling. Hover a cell for spare places, the band and its cost "
            "(a notional price, never paid)."
        ),
        "under capacity": "under capacity",
        "within band": "within band",
        "surplus": "surplus",
        "spare": "Spare places",
        "band": "Band",
        "band_cost": "Band cost (notional)",
        "frames": "Spending against each frame",
        "frames_caption": (
            "Spending per year in each frame of the budget (MSEK, undiscounted), with the frame's cap as a red "
            "line where the scenario sets one; orange bars use their cap in full."
        ),
        "spend": "Spend",
        "cap": "Cap",
        "no_caps": "No frame has a cap: the bars show spending alone.",
        "msek": "MSEK",
        "timeline": "Actions over time",
        "timeline_caption": (
            "One row per option or site acted on: a light bar from the decision year to the opening year "
            "(planning and construction), a solid bar while in service, a cross where a site closes."
        ),
        "construction": "Decision to opening",
        "closed_marker": "Closure",
        "lease_end_marker": "Lease ends",
        "existing": "Existing site",
        "no_actions": "The plan takes no action: every existing site is kept as it is.",
        "places": "places",
        "map": "Map",
        "map_caption": (
            "Districts as circles at their coordinates (km), coloured by demand / capacity over all services in "
            "their busiest year and outlined black where demand goes unmet. Sites and options are drawn inside "
            "their district's circle (a schematic place, not their address), sized by capacity and coloured by "
            "what the plan does with them. Candidates not chosen are hidden: click their legend entry to show "
            "them; drag to zoom, double-click to zoom out."
        ),
        "map_circle": (
            "The scenario gives no coordinates: the districts are laid out on a circle, in the scenario's order."
        ),
        "km": "km",
        "kept": "Existing, kept",
        "closed": "Closed",
        "not_chosen": "Candidate not chosen",
        "peak_ratio": "Highest demand / capacity",
        "unmet_place_years": "Unmet place-years",
        "marginal": "What one more place costs",
        "marginal_caption": (
            "The district-years where one more place of demand would cost the most with the chosen premises "
            "(SEK per place, discounted; the dual of the demand balance)."
        ),
        "sek_per_place": "SEK per place (discounted)",
        "binding": "Binding caps",
        "binding_caption": (
            "Frames whose cap the plan uses in full: one more SEK of frame would lower the NPV by the shadow price."
        ),
        "why_unmet": "Why demand goes unmet",
        "settings": "Settings",
        "disclaimer": "What the model leaves out",
        "more_rows": "{n} more rows in the result files.",
        "setting": "Setting",
        "value": "Value",
        "solve_settings": "How it was solved",
        "plan": "Plan",
        "npv_parts": "NPV by part",
        "npv_parts_caption": (
            "Each plan's discounted cost by part (MSEK); incomes (sale, re-let income, residual value) are "
            "negative. The unmet-demand penalty is a bar of its own, apart from the real money."
        ),
        "frames_compare_caption": (
            "Spending per year in each frame, one line per plan (MSEK, undiscounted); caps dotted."
        ),
        "unmet_compare": "Unmet demand per plan",
        "unmet_compare_caption": "Unmet places per year, summed over districts and services.",
        "no_unmet": "No plan leaves demand unmet.",
        "changes": "Decisions that differ from the first plan",
        "no_changes": "Every plan takes the same decisions as the first.",
        "side_by_side": "Each plan: demand against capacity and the map",
        "side_by_side_caption": (
            "The charts of each plan's own report, side by side: demand of the district's residents over the "
            "places standing in it, per service and year (red above 100 %), and the map of what the plan does."
        ),
        "frontier_caption": (
            "The plan's cost and unmet demand at each level of the {frame} frame. A vertical bar shows how much "
            "cheaper the best possible plan could be where a level is not proven optimal (objective down to the "
            "solver's bound)."
        ),
        "level": "Level",
        "objective": "Objective (with penalty)",
        "levels": "Levels",
        "per_year_cap": "× the caps",
        "msek_per_year": "MSEK per year",
        "contents": "Contents",
        "service": "Service",
        "reason": "Reason",
        "detail": "Detail",
        "frame": "Frame",
        "change": "Change",
        "action": "Action",
        "option_site": "Option / site",
        "modules": "Modules",
        "bound": "Bound",
        "gap": "Gap",
        "actions_changed": "Actions changed",
        "d_npv": "ΔNPV per MSEK of frame",
        "shadow_price": "Shadow price (SEK per SEK)",
    },
    "sv": {
        "title_plan": "Lokalplan",
        "title_comparison": "Planer jämförda",
        "title_frontier": "Budgetfronten",
        "headline": "Sammanfattning",
        "npv_real": "Nuvärde av verkliga pengar",
        "npv_real_note": "diskonterad kostnad som faktiskt betalas, straffet borträknat",
        "penalty_npv": "Straff för ej tillgodosedd efterfrågan (nuvärde)",
        "penalty_note": "tänkt, betalas aldrig",
        "unmet": "Ej tillgodosedd efterfrågan",
        "capex_total": "Investeringar under perioden",
        "capex_note": "odiskonterat",
        "status": "Status",
        "scenario": "Scenario",
        "no_plan": "Det finns ingen plan att visa.",
        "diagnosis": "Vad som måste ändras",
        "pressure": "Efterfrågan mot kapacitet",
        "pressure_caption": (
            "Varje ruta: efterfrågan från stadsdelens invånare delad med de användbara platserna i de enheter "
            "som är öppna i stadsdelen det året. Över 100 % (rött) behöver stadsdelen platser i en "
            "grannstadsdel eller får brist; ett kryss markerar ett år med ej tillgodosedd efterfrågan. Grått: "
            "efterfrågan men inga platser i stadsdelen (den tillgodoses i en grannstadsdel, eller inte alls); vitt: "
            "varken efterfrågan eller platser. Håll muspekaren över en ruta för efterfrågan, kapacitet och brist."
        ),
        "district": "Stadsdel",
        "year": "År",
        "demand": "Efterfrågan",
        "capacity": "Användbara platser i stadsdelen",
        "unmet_places": "Platser som saknas",
        "no_capacity": "inga platser i stadsdelen",
        "ratio": "Efterfrågan / kapacitet",
        "surplus_band": "Lediga platser mot målintervallet",
        "surplus_band_caption": (
            "Varje ruta: stadsdelens användbara platser minus invånarnas efterfrågan, mot tjänstens målintervall "
            "för lediga platser (en andel av efterfrågan). Rött: underkapacitet, under intervallets golv; grönt: "
            "inom intervallet; orange: överskott, över dess tak. Håll muspekaren över en ruta för lediga platser, "
            "intervallet och dess kostnad (ett tänkt pris som aldrig betalas)."
        ),
        "under capacity": "underkapacitet",
        "within band": "inom intervallet",
        "surplus": "överskott",
        "spare": "Lediga platser",
        "band": "Intervall",
        "band_cost": "Intervallets kostnad (tänkt)",
        "frames": "Utgifter mot varje ram",
        "frames_caption": (
            "Utgifter per år i varje budgetram (mnkr, odiskonterat), med ramens tak som röd linje där scenariot anger "
            "ett; orange staplar använder hela taket."
        ),
        "spend": "Utgift",
        "cap": "Tak",
        "no_caps": "Ingen ram har tak: staplarna visar bara utgifterna.",
        "msek": "mnkr",
        "timeline": "Åtgärder över tid",
        "timeline_caption": (
            "En rad per alternativ eller enhet som berörs: ljus stapel från beslutsår till öppningsår "
            "(planering och byggtid), mörk stapel under drift, kryss där en enhet stängs."
        ),
        "construction": "Beslut till öppning",
        "closed_marker": "Stängning",
        "lease_end_marker": "Hyresavtal löper ut",
        "existing": "Befintlig enhet",
        "no_actions": "Planen vidtar inga åtgärder: alla befintliga enheter behålls som de är.",
        "places": "platser",
        "map": "Karta",
        "map_caption": (
            "Stadsdelar som cirklar vid sina koordinater (km), färgade efter efterfrågan / kapacitet över alla "
            "verksamheter det år den är högst, med svart kant där efterfrågan inte tillgodoses. Enheter och "
            "alternativ ritas inne i stadsdelens cirkel (en schematisk plats, inte deras adress), storlek efter "
            "kapacitet och färg efter vad planen gör med dem. Alternativ som inte valts är dolda: klicka på deras "
            "förklaring för att visa dem; dra för att zooma, dubbelklicka för att zooma ut."
        ),
        "map_circle": "Scenariot anger inga koordinater: stadsdelarna är placerade på en cirkel, i scenariots ordning.",
        "km": "km",
        "kept": "Befintlig, behålls",
        "closed": "Stängs",
        "not_chosen": "Alternativ som inte valts",
        "peak_ratio": "Högsta efterfrågan / kapacitet",
        "unmet_place_years": "Platsår som saknas",
        "marginal": "Vad en plats till kostar",
        "marginal_caption": (
            "De stadsdelar och år där en plats till skulle kosta mest med de valda lokalerna "
            "(kr per plats, diskonterat; dualvärdet av efterfrågebalansen)."
        ),
        "sek_per_place": "kr per plats (diskonterat)",
        "binding": "Bindande tak",
        "binding_caption": (
            "Ramar vars tak planen använder fullt ut: en krona till i ramen skulle sänka nuvärdet med skuggpriset."
        ),
        "why_unmet": "Varför efterfrågan inte tillgodoses",
        "settings": "Inställningar",
        "disclaimer": "Vad modellen bortser från",
        "more_rows": "{n} rader till finns i resultatfilerna.",
        "setting": "Inställning",
        "value": "Värde",
        "solve_settings": "Hur planen togs fram",
        "plan": "Plan",
        "npv_parts": "Nuvärde per del",
        "npv_parts_caption": (
            "Varje plans diskonterade kostnad per del (mnkr); intäkter (försäljning, uthyrning, restvärde) är "
            "negativa. Straffet för ej tillgodosedd efterfrågan är en egen stapel, skild från de verkliga pengarna."
        ),
        "frames_compare_caption": "Utgifter per år i varje ram, en linje per plan (mnkr, odiskonterat); tak streckade.",
        "unmet_compare": "Ej tillgodosedd efterfrågan per plan",
        "unmet_compare_caption": "Platser som saknas per år, summerat över stadsdelar och verksamheter.",
        "no_unmet": "Ingen plan lämnar efterfrågan otillgodosedd.",
        "changes": "Beslut som skiljer sig från den första planen",
        "no_changes": "Alla planer fattar samma beslut som den första.",
        "side_by_side": "Varje plan: efterfrågan mot kapacitet och kartan",
        "side_by_side_caption": (
            "Diagrammen ur varje plans egen rapport, sida vid sida: efterfrågan från stadsdelens invånare mot "
            "platserna i den, per verksamhet och år (rött över 100 %), och kartan över vad planen gör."
        ),
        "frontier_caption": (
            "Planens kostnad och brist på platser vid varje nivå av {frame}-ramen. Ett lodrätt streck visar hur "
            "mycket billigare den bästa möjliga planen kan vara där en nivå inte är bevisat optimal (målvärdet ned "
            "till lösarens gräns)."
        ),
        "level": "Nivå",
        "objective": "Målvärde (med straff)",
        "levels": "Nivåer",
        "per_year_cap": "× taken",
        "msek_per_year": "mnkr per år",
        "contents": "Innehåll",
        "service": "Verksamhet",
        "reason": "Orsak",
        "detail": "Detalj",
        "frame": "Ram",
        "change": "Ändring",
        "action": "Åtgärd",
        "option_site": "Alternativ / enhet",
        "modules": "Moduler",
        "bound": "Gräns",
        "gap": "Gap",
        "actions_changed": "Ändrade åtgärder",
        "d_npv": "Δnuvärde per mnkr ram",
        "shadow_price": "Skuggpris (kr per kr)",
    },
}
"""The report's words by language; both languages hold the same keys (a test checks)."""

ACTIONS: dict[str, dict[str, str]] = {
    "en": {
        "build": "New build",
        "lease": "Lease",
        "pavilion": "Pavilion",
        "expansion": "Expansion",
        "conversion": "Conversion",
        "extend": "Kept beyond term",
        "close": "Closure",
        "lease_end": "Lease ends",
    },
    "sv": {
        "build": "Nybyggnad",
        "lease": "Inhyrning",
        "pavilion": "Paviljong",
        "expansion": "Tillbyggnad",
        "conversion": "Ombyggnad",
        "extend": "Behålls efter avtalstiden",
        "close": "Stängning",
        "lease_end": "Hyresavtal löper ut",
    },
}
"""The action kinds of the actions table, said plainly."""

FRAMES: dict[str, dict[str, str]] = {
    "en": {
        "capex_cap": "Capex (group)",
        "opex_cap": "Opex and external rent (group)",
        "investment_cap": "Investment (property company)",
        "borrowing_cap": "Borrowing (property company)",
        "operating_cap": "Operating cost (municipality)",
    },
    "sv": {
        "capex_cap": "Investeringar (koncernen)",
        "opex_cap": "Drift och extern hyra (koncernen)",
        "investment_cap": "Investeringar (fastighetsbolaget)",
        "borrowing_cap": "Upplåning (fastighetsbolaget)",
        "operating_cap": "Driftkostnad (kommunen)",
    },
}
"""The budget's frames (the frames table's ``frame``), said plainly."""

NPV_PARTS: dict[str, dict[str, str]] = {
    "en": {
        "capex": "Capex",
        "opex": "Opex",
        "rent": "Rent",
        "closure_cost": "Closure cost",
        "sale": "Sale",
        "vacancy_cost": "Vacancy cost",
        "relet_income": "Re-let income",
        "travel": "Travel",
        "residual": "Residual value",
        "penalty": "Unmet-demand penalty",
    },
    "sv": {
        "capex": "Investeringar",
        "opex": "Drift",
        "rent": "Hyra",
        "closure_cost": "Stängningskostnad",
        "sale": "Försäljning",
        "vacancy_cost": "Vakanskostnad",
        "relet_income": "Uthyrningsintäkt",
        "travel": "Resor",
        "residual": "Restvärde",
        "penalty": "Straff för brist",
    },
}
"""The NPV's parts (:data:`allocopt.compare.NPV_PARTS` and the penalty), said plainly."""


def words(lang: Language) -> dict[str, str]:
    """The report's words in ``lang``."""
    return WORDS[lang]
