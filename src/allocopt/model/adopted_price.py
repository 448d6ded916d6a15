"""The adopted plan's price (``adopted_plan: price``, models/premises.md *Adopted plan*): each departure of the
plan from the plan the board adopted costs a notional penalty, so the optimum departs only where it pays.

With ``P[o,y] = Σ_{t ≤ y} build[o,t]`` the modules of option ``o`` the plan has opened by year ``y``,
``A[o,y]`` the adopted plan's, and ``a_e`` the first year the adopted plan has site ``e`` closed (after the
horizon: never), the penalty (SEK, undiscounted) is

    Σ_o (deviation_cost · deviates[o] + deviation_year_cost · Σ_y |P[o,y] − A[o,y]|)
  + Σ_e (deviation_cost · deviates[e] + deviation_year_cost · Σ_y |1 − open[e,y] − [y ≥ a_e]|)

where ``deviates`` is 1 for an option or site whose departure is not zero. Where ``A[o,y] > 0`` and the plan
may open the option by ``y`` the absolute value is ``ahead[o,y] + behind[o,y]`` with row ``adopted_gap``
``P[o,y] − ahead[o,y] + behind[o,y] = A[o,y]``; where ``A[o,y] = 0`` it is ``P[o,y]`` itself, and for a site
``open[e,y]`` (adopted closed) or ``1 − open[e,y]``: linear, with no column of their own.

``deviates`` needs no column where the departure's decisions are 0/1: for a site (``open`` never reopens)
``deviates[e] = open[e,a_e] + 1 − open[e,a_e − 1]`` (``1 − open[e,T]`` when the adopted plan keeps it open),
for an option of one module ``deviates[o] = 1 − P[o,a_o] + P[o,a_o − 1]`` (``P[o,T]`` when the adopted
plan does not take it). An option of more modules gets a binary ``deviates[o]`` with row
``adopted_deviates``: ``Σ_y |P[o,y] − A[o,y]| ≤ M_o · deviates[o]``, ``M_o`` the most that sum can be.
What the scenario fixes (an option that cannot open, a site whose status is fixed) adds a constant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from allocopt.model.terms import Affine

if TYPE_CHECKING:
    from allocopt.adopted import AdoptedPrice
    from allocopt.index import OptionInfo
    from allocopt.model.plan_model import PlanModel


def add_adopted_price(pm: PlanModel) -> None:
    """Families ``adopted_gap`` and ``adopted_deviates`` and the penalty ``pm.adopted_price`` (SEK,
    undiscounted: the objective adds it as it is); nothing without a priced adopted plan."""
    price: AdoptedPrice | None = pm.index.adopted  # PlanIndex.adopted (allocopt.index)
    if price is None:
        return
    idx = pm.index
    options = sorted(set(price.openings) | {o for o, info in idx.options.items() if info.years})
    cumulative = {o: _opened_by(pm, idx.options.get(o)) for o in options}
    ahead, behind = _gap_bounds(pm, price, cumulative)
    m = pm.model
    m.ahead = pyo.Var(list(ahead), within=pyo.NonNegativeReals, bounds=lambda m, o, y: (0, ahead[o, y]))
    m.behind = pyo.Var(list(behind), within=pyo.NonNegativeReals, bounds=lambda m, o, y: (0, behind[o, y]))
    gap_rows: dict = {}
    binary: dict[str, tuple[Affine, float]] = {}  # option -> (Σ_y |P − A|, its largest value)
    for o in options:
        away, most = Affine(), 0.0
        for y in idx.years:
            opened, adopted = cumulative[o][y], price.adopted_by(o, y)
            if adopted == 0:  # |P − 0| = P
                away.add_affine(opened)
                most += 0.0 if opened.is_constant else _most(idx.options.get(o))
            elif opened.is_constant:  # the plan cannot open the option by y
                away.add(abs(opened.constant - adopted))
                most += abs(opened.constant - adopted)
            else:
                body = Affine().add_affine(opened)
                for var, sign in ((m.ahead, -1.0), (m.behind, 1.0)):
                    if (o, y) in var:
                        body.add(var[o, y], sign)
                        away.add(var[o, y])
                gap_rows[o, y] = (float(adopted), body, float(adopted))
                most += max(ahead.get((o, y), 0.0), behind.get((o, y), 0.0))
        pm.adopted_price.add_affine(away, price.deviation_year_cost)
        info = idx.options.get(o)
        if info is not None and info.max_modules > 1 and not away.is_constant:
            binary[o] = (away, most)
        else:
            pm.adopted_price.add_affine(_option_departs(price, o, cumulative[o], idx.years), price.deviation_cost)
    for site in idx.sites:
        away, departs = _site_terms(pm, price, site)
        pm.adopted_price.add_affine(away, price.deviation_year_cost)
        pm.adopted_price.add_affine(departs, price.deviation_cost)
    _rows(pm, "adopted_gap", gap_rows)
    _add_deviates(pm, price, binary if price.deviation_cost > 0 else {})


def _opened_by(pm: PlanModel, info: OptionInfo | None) -> dict[int, Affine]:
    """``P[o,y]`` per year: the modules of ``info`` opened by ``y`` (0 for an option the scenario lacks)."""
    out, opened = {}, Affine()
    for y in pm.index.years:
        if info is not None and y in info.years:
            opened = Affine().add_affine(opened).add_affine(pm.build_term(info.option, y))
        out[y] = opened
    return out


def _most(info: OptionInfo | None) -> float:
    return float(info.max_modules) if info is not None and info.years else 0.0


def _gap_bounds(pm: PlanModel, price: AdoptedPrice, cumulative: dict) -> tuple[dict, dict]:
    """The bounds (modules) of ``ahead`` (``N_o − A``, where positive) and ``behind`` (``A``) at the keys of
    ``adopted_gap``: adopted modules by ``y`` and a plan that may open the option by then."""
    ahead, behind = {}, {}
    for o, by_year in cumulative.items():
        most = _most(pm.index.options.get(o))
        for y, opened in by_year.items():
            adopted = price.adopted_by(o, y)
            if adopted == 0 or opened.is_constant:
                continue
            if most > adopted:
                ahead[o, y] = most - adopted
            behind[o, y] = float(adopted)
    return ahead, behind


def _option_departs(price: AdoptedPrice, option: str, opened: dict[int, Affine], years: list[int]) -> Affine:
    """``deviates[o]`` as an expression, for an option whose ``P[o,y]`` is 0 or 1 (one module, or fixed)."""
    adopted = price.openings.get(option, {})
    total = sum(adopted.values())
    if total == 0:
        return Affine().add_affine(opened[years[-1]])
    if total > 1:
        return Affine(1.0)  # the plan can never match it
    year = next(iter(adopted))
    before = opened[year - 1] if year - 1 in opened else Affine()
    return Affine(1.0).add_affine(opened[year], -1.0).add_affine(before)


def _site_terms(pm: PlanModel, price: AdoptedPrice, site: str) -> tuple[Affine, Affine]:
    """(``Σ_y |1 − open[e,y] − [y ≥ a_e]|``, ``deviates[e]``) of ``site`` as expressions."""
    years = pm.index.years
    closed_from = price.closures.get(site)
    away = Affine()
    for y in years:
        if closed_from is not None and y >= closed_from:
            away.add_affine(pm.open_term(site, y))  # adopted closed: open departs
        else:
            away.add(1.0).add_affine(pm.open_term(site, y), -1.0)  # adopted open: closed departs
    if closed_from is None or closed_from > years[-1]:
        return away, Affine(1.0).add_affine(pm.open_term(site, years[-1]), -1.0)
    before = pm.open_term(site, closed_from - 1) if closed_from - 1 in years else Affine(1.0)
    return away, Affine(1.0).add_affine(pm.open_term(site, closed_from)).add_affine(before, -1.0)


def _add_deviates(pm: PlanModel, price: AdoptedPrice, binary: dict[str, tuple[Affine, float]]) -> None:
    """Binary ``deviates[o]`` with row ``adopted_deviates[o]``: ``Σ_y |P[o,y] − A[o,y]| ≤ M_o · deviates[o]``."""
    pm.model.deviates = pyo.Var(list(binary), within=pyo.Binary)
    rows = {}
    for o, (away, most) in binary.items():
        var = pm.model.deviates[o]
        pm.adopted_price.add(var, price.deviation_cost)
        rows[o] = (None, Affine().add_affine(away).add(var, -most), 0.0)
    _rows(pm, "adopted_deviates", rows)


def _rows(pm: PlanModel, name: str, rows: dict) -> None:
    """Family ``name`` from ``{key: (lower, Affine, upper)}`` (None = unbounded side); every row here has a
    variable (``ahead``, ``behind`` or ``deviates``), so none can be a constant that fails."""

    def rule(m, *key):
        lo, body, up = rows[key[0] if len(key) == 1 else key]
        return (lo, body.expr(), up)

    pm.model.add_component(name, pyo.Constraint(list(rows), rule=rule))
