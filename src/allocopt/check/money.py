"""The plan's money as the checker recomputes it: per party, term and year, the group's costs, the
frames' spend, and the objective of the scenario's perspective (models/premises.md, *Money by
party*, *Frames*, *Objective*), from the scenario's rows and the plan read off the actions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from allocopt.check.adopted_price import deviation_penalty
from allocopt.check.band import band_cost_per_year
from allocopt.check.cost_rules import (
    capex_payments,
    closure_cost,
    discount_factor,
    kept_value,
    on_close,
    option_capex,
    option_internal_rent,
    residual_share,
    sale_value,
    site_internal_rent,
    site_rent,
)
from allocopt.check.reading import whole
from allocopt.tables import TABLE_COLUMNS

if TYPE_CHECKING:
    from allocopt.check.recompute import Recomputed

M, PC = "municipality", "property_company"
TERMS = ("capex", "opex", "rent", "internal_rent", "closure_cost", "sale", "vacancy_cost", "relet_income")
INCOME = ("sale", "relet_income")
FRAME_RULES = {
    "capex_cap": ("group", (M, PC), ("capex",)),
    "opex_cap": ("group", (M, PC), ("opex", "rent")),
    "investment_cap": (PC, (PC,), ("capex",)),
    "borrowing_cap": (PC, (PC,), ()),  # capex so far less depreciation so far: _debt
    "operating_cap": (M, (M,), ("opex", "rent", "internal_rent", "vacancy_cost")),
}


class Ledger:
    """Amounts by (party, term, year), SEK."""

    def __init__(self, years: list[int]):
        self.years = years
        self.amount: dict[tuple[str, str, int], float] = {}

    def add(self, party: str, term: str, year: int, value: float) -> None:
        if value and year in self.years:
            self.amount[party, term, year] = self.amount.get((party, term, year), 0.0) + value

    def get(self, party: str, term: str, year: int) -> float:
        return self.amount.get((party, term, year), 0.0)


def _ledger(rc: Recomputed) -> Ledger:
    """Every (party, term, year) amount of the plan."""
    settings = rc.scenario.settings
    book = Ledger(rc.years)
    for (o, t), modules in rc.build.items():
        opt = rc.options[o]
        capex = option_capex(opt, settings.capex_overrun)
        for y, share in capex_payments(opt, t, settings.capex_timing).items():
            if y <= rc.last:
                book.add(opt.holder, "capex", max(y, rc.y0), capex * share * modules)
    for o, opt in rc.options.items():
        irent, irent_extended = option_internal_rent(opt, settings)
        for y in rc.years:
            term, kept = rc.in_term.get((o, y), 0.0), rc.extend.get((o, y), 0.0)
            book.add(M, "opex", y, opt.opex * (term + kept))
            book.add(opt.holder, "rent", y, opt.rent * term + (opt.extension_rent or 0.0) * kept)
            paid = irent * term + irent_extended * kept
            book.add(M, "internal_rent", y, paid)
            book.add(PC, "internal_rent", y, -paid)
    for e, site in rc.sites.items():
        places = sum(c for (k, _s), c in rc.cap.items() if k == e)
        rule = on_close(site)
        for y in rc.years:
            is_open = rc.is_open(e, y)
            book.add(M, "opex", y, site.opex * is_open)
            book.add(site.holder, "rent", y, site_rent(site, y) * is_open)
            paid = site_internal_rent(site, settings, places, y) * (1 if rule == "vacant" else is_open)
            book.add(M, "internal_rent", y, paid)
            book.add(PC, "internal_rent", y, -paid)
            if not is_open and rule == "vacant":
                book.add(site.holder, "vacancy_cost", y, site.vacancy_cost)
            if not is_open and rule == "relet":
                book.add(site.holder, "relet_income", y, site.relet_rent)
        c = rc.close_year.get(e)
        if c is not None:
            book.add(site.holder, "closure_cost", c, closure_cost(site, c))
            book.add(site.holder, "sale", c, sale_value(site))
    return book


def _residual(rc: Recomputed) -> dict[str, float]:
    """Value credited at the horizon end per party (SEK)."""
    settings = rc.scenario.settings
    out = {M: 0.0, PC: 0.0}
    if settings.residual_value != "straight_line":
        return out
    for (o, t), modules in rc.build.items():
        opt = rc.options[o]
        share = residual_share(opt, t, rc.last, settings.residual_value)
        out[opt.holder] += option_capex(opt, settings.capex_overrun) * share * modules
    for e, site in rc.sites.items():
        out[site.holder] += sale_value(site) * rc.is_open(e, rc.last) + kept_value(site)
    return out


def _per_year(rc: Recomputed, year: pd.Series, amount: pd.Series) -> pd.Series:
    """Σ amount per planning year (rows with a blank amount or a year that is not a planning year
    left out)."""
    ok = whole(year) & year.isin(rc.years) & amount.notna()
    return amount[ok].groupby(year[ok].astype(int)).sum().reindex(rc.years, fill_value=0.0).astype(float)


def _debt(rc: Recomputed, book: Ledger) -> dict[int, float]:
    """The property company's debt at each year's end: its capex so far less its straight-line
    depreciation so far (capex_o / L_o per module and year in its term)."""
    settings = rc.scenario.settings
    debt, out = 0.0, {}
    for y in rc.years:
        debt += book.get(PC, "capex", y)
        for (o, yy), modules in rc.in_term.items():
            opt = rc.options[o]
            if yy == y and opt.holder == PC:
                debt -= option_capex(opt, settings.capex_overrun) / opt.years_in_service * modules
        out[y] = debt
    return out


def recompute_money(rc: Recomputed) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, float]:
    """(``costs`` indexed by year, ``party_costs`` indexed by (year, party), ``frames`` indexed by
    (year, frame), the objective in SEK), each with the result table's columns."""
    settings = rc.scenario.settings
    book = _ledger(rc)
    values = _residual(rc)
    a, b = rc.assignments, rc.balance
    km = rc.km_of_assignments.fillna(a["km"]).fillna(0.0)  # unreachable: the row's km
    travel = _per_year(
        rc, a["year"], a["service"].map({s: v.travel_cost for s, v in rc.services.items()}) * km * a["places"]
    )
    rate = b["service"].map({s: rc.scenario.unmet_penalty(s) for s in rc.services}).astype(float)
    penalty = _per_year(rc, b["year"], rate * b["unmet"]) + band_cost_per_year(rc)  # both notional
    end = discount_factor(settings.discount_rate, rc.y0, rc.last + 1)
    rows = []
    for y in rc.years:
        df = discount_factor(settings.discount_rate, rc.y0, y)
        for p in (M, PC):
            row = {"year": y, "party": p, **{t: book.get(p, t, y) for t in TERMS}}
            row["travel"] = float(travel[y]) if p == M else 0.0
            row["penalty"] = float(penalty[y]) if p == M else 0.0
            row["residual"] = values[p] if y == rc.last else 0.0
            row["discount_factor"] = df
            flow = sum(-row[t] if t in INCOME else row[t] for t in TERMS) + row["travel"] + row["penalty"]
            row["discounted"] = df * flow - end * row["residual"]
            rows.append(row)
    party = pd.DataFrame(rows, columns=TABLE_COLUMNS["party_costs"]).set_index(["year", "party"])
    summed = [c for c in party.columns if c != "discount_factor"]
    costs = party[summed].groupby(level="year").sum()
    costs["discount_factor"] = [discount_factor(settings.discount_rate, rc.y0, y) for y in rc.years]
    frames = _frames(rc, book)
    for frame in ("capex_cap", "opex_cap"):
        use = frame.replace("_cap", "_use")
        costs[frame] = frames.xs(frame, level="frame")["cap"]
        costs[use] = frames.xs(frame, level="frame")["use"]
    parties = (M, PC) if settings.perspective == "consolidated" else (M,)
    objective = float(party.loc[party.index.get_level_values("party").isin(parties), "discounted"].sum())
    objective += deviation_penalty(rc)  # adopted_plan price: notional, undiscounted, in no cost table
    return costs[[c for c in TABLE_COLUMNS["costs"] if c != "year"]], party, frames, objective


def _frames(rc: Recomputed, book: Ledger) -> pd.DataFrame:
    """Each frame's spend, cap (NaN: none) and use (spend / cap; NaN without a cap or with a cap of 0)."""
    caps = {b.year: b for b in rc.scenario.budget}
    debt = _debt(rc, book)
    rows = []
    for y in rc.years:
        for frame, (who, parties, terms) in FRAME_RULES.items():
            if frame == "borrowing_cap":
                spend = debt[y]
            else:
                spend = sum(-book.get(p, t, y) if t in INCOME else book.get(p, t, y) for p in parties for t in terms)
            cap = getattr(caps[y], frame) if y in caps else None
            cap = math.nan if cap is None else float(cap)
            use = spend / cap if cap > 0 else math.nan
            rows.append({"year": y, "frame": frame, "party": who, "spend": spend, "cap": cap, "use": use})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS["frames"]).set_index(["year", "frame"])
