"""The plan's money by party, term and year (models/premises.md, *Money by party*).

Every cost belongs to a party: the ``municipality`` (its services' operating budget) or the
``property_company`` (which builds, owns, and charges the municipality internal rent). The
model's objective, its frame rows (``capex_cap`` … ``operating_cap``) and the result tables
(``costs``, ``party_costs``, ``frames``) all read the same expressions from here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from allocopt.model.terms import Affine
from allocopt.scenario import PARTIES

if TYPE_CHECKING:
    from allocopt.model.build import PlanModel

FLOW_TERMS: tuple[str, ...] = (
    "capex",
    "opex",
    "rent",
    "internal_rent",
    "closure_cost",
    "sale",
    "vacancy_cost",
    "relet_income",
)
"""Yearly money terms (SEK, undiscounted) of :func:`money_flows`; travel and the unmet penalty are
the municipality's too, read off the assignments and unmet places."""

INCOME_TERMS: frozenset[str] = frozenset({"sale", "relet_income"})
"""Terms that are income: they enter a party's cost with a minus sign."""

MUNICIPALITY, PROPERTY_COMPANY = PARTIES


def sign(term: str) -> float:
    """+1 for a cost term, −1 for an income term."""
    return -1.0 if term in INCOME_TERMS else 1.0


Flows = dict[tuple[str, str, int], Affine]
"""(party, term, year) -> SEK."""


def money_flows(pm: PlanModel) -> Flows:
    """Every (party, term, year) amount of :data:`FLOW_TERMS`, in SEK (undiscounted).

    - ``capex``: the holder's; ``Σ_t capex_o · pay[o,t,y] · build[o,t]``;
    - ``opex``: the municipality's (the services run the premises), of open sites and modules in service;
    - ``rent``: external rent, the holder's: ``rent_e,y · open`` for sites, ``rent_o · term[o,y] +
      extension_rent_o · extend[o,y]`` for options;
    - ``internal_rent``: paid by the municipality (+), received by the property company (−), for the
      property company's premises: ``irent_e,y · open[e,y]`` (``· 1`` for a site left ``vacant``), and
      ``irent_o · term[o,y] + irent_ext_o · extend[o,y]``;
    - ``closure_cost``, ``sale``: the holder's, on closing (``close[e,y]``);
    - ``vacancy_cost``, ``relet_income``: the holder's, per year closed (``1 − open[e,y]``).
    """
    idx = pm.index
    out: Flows = defaultdict(Affine)
    for o in idx.options.values():
        for t in o.years:
            opened = pm.build_term(o.option, t)
            for y, share in o.pay[t]:
                out[o.party, "capex", y].add_affine(opened, o.capex * share)
        for y in idx.years:
            term, extended = pm.in_term(o, y), pm.extended(o, y)
            if o.opex:
                out[MUNICIPALITY, "opex", y].add_affine(term, o.opex).add_affine(extended, o.opex)
            if o.rent:
                out[o.party, "rent", y].add_affine(term, o.rent)
            if o.extension_rent:
                out[o.party, "rent", y].add_affine(extended, o.extension_rent)
            paid = Affine().add_affine(term, o.internal_rent).add_affine(extended, o.extension_internal_rent)
            _internal_rent(out, y, paid)
    years = idx.years
    for x in idx.sites.values():
        for i, y in enumerate(years):
            is_open = pm.open_term(x.site, y)
            out[MUNICIPALITY, "opex", y].add_affine(is_open, x.opex)
            out[x.party, "rent", y].add_affine(is_open, x.rent[y])
            _internal_rent(
                out, y, Affine(x.internal_rent[y]) if x.vacant else Affine().add_affine(is_open, x.internal_rent[y])
            )
            closed = Affine(1.0).add_affine(is_open, -1.0)
            if x.vacancy_cost:
                out[x.party, "vacancy_cost", y].add_affine(closed, x.vacancy_cost)
            if x.relet_rent:
                out[x.party, "relet_income", y].add_affine(closed, x.relet_rent)
            before = pm.open_term(x.site, years[i - 1]) if i > 0 else Affine(1.0)
            closing = before.add_affine(is_open, -1.0)
            out[x.party, "closure_cost", y].add_affine(closing, x.closure_cost[y])
            out[x.party, "sale", y].add_affine(closing, x.sale_value)
    return out


def _internal_rent(out: Flows, year: int, paid: Affine) -> None:
    """The municipality pays ``paid``; the property company receives it."""
    if paid.constant or paid.coefs:
        out[MUNICIPALITY, "internal_rent", year].add_affine(paid)
        out[PROPERTY_COMPANY, "internal_rent", year].add_affine(paid, -1.0)


def residual(pm: PlanModel) -> dict[str, Affine]:
    """Value credited at the horizon end per party (SEK, undiscounted): ``capex_o · ρ[o,t] ·
    build[o,t]`` of its options, ``sale_e · open[e,T]`` of its owned sites that would be sold on
    closing and ``sale_e`` of those kept when closed (``relet``, ``vacant``); none without
    ``straight_line``."""
    idx = pm.index
    out: dict[str, Affine] = {p: Affine() for p in PARTIES}
    if not idx.residual_value:
        return out
    last = idx.years[-1]
    for o in idx.options.values():
        for t in o.years:
            if o.residual[t] > 0:
                out[o.party].add_affine(pm.build_term(o.option, t), o.capex * o.residual[t])
    for x in idx.sites.values():
        if x.sale_value:
            out[x.party].add_affine(pm.open_term(x.site, last), x.sale_value)
        out[x.party].add(x.kept_value)
    return out


def depreciation(pm: PlanModel, year: int) -> Affine:
    """The property company's straight-line depreciation in ``year`` (SEK): ``Σ_o capex_o / L_o ·
    term[o,y]`` over its options (modules in their term)."""
    out = Affine()
    for o in pm.index.options.values():
        if o.party == PROPERTY_COMPANY and o.capex:
            out.add_affine(pm.in_term(o, year), o.depreciation)
    return out


def party_total(flows: Flows, parties: tuple[str, ...], terms: tuple[str, ...], year: int) -> Affine:
    """Σ over ``parties`` and ``terms`` (income terms subtracted) in ``year``, SEK."""
    out = Affine()
    for p in parties:
        for term in terms:
            amount = flows.get((p, term, year))
            if amount is not None:
                out.add_affine(amount, sign(term))
    return out


FRAMES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "capex_cap": ("group", PARTIES, ("capex",)),
    "opex_cap": ("group", PARTIES, ("opex", "rent")),
    "investment_cap": (PROPERTY_COMPANY, (PROPERTY_COMPANY,), ("capex",)),
    "borrowing_cap": (PROPERTY_COMPANY, (PROPERTY_COMPANY,), ("capex",)),
    "operating_cap": (MUNICIPALITY, (MUNICIPALITY,), ("opex", "rent", "internal_rent", "vacancy_cost")),
}
"""Each frame of the budget table: (whose frame, the parties whose terms it sums, the terms). The
borrowing frame sums its capex over the years so far, less depreciation (:func:`frame_spend`)."""


def frame_spend(pm: PlanModel, flows: Flows) -> dict[str, dict[int, Affine]]:
    """What each frame of :data:`FRAMES` counts against its cap in each year (SEK)."""
    years = pm.index.years
    out: dict[str, dict[int, Affine]] = {}
    for frame, (_who, parties, terms) in FRAMES.items():
        out[frame] = {y: party_total(flows, parties, terms, y) for y in years}
    debt = Affine()
    out["borrowing_cap"] = {}
    for y in years:
        debt = Affine().add_affine(debt).add_affine(party_total(flows, (PROPERTY_COMPANY,), ("capex",), y))
        debt.add_affine(depreciation(pm, y), -1.0)
        out["borrowing_cap"][y] = debt
    return out
