"""The plan model: the Pyomo model of models/premises.md and the maps from index keys to its
variables (:class:`PlanModel`), with the money scale it is built at (:func:`money_scale`).
:mod:`allocopt.model.build` adds the variables and the constraint families to it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pyo

from allocopt.index import OptionInfo, PlanIndex
from allocopt.model.money import Flows, frame_spend, money_flows
from allocopt.model.terms import Affine


def money_scale(index: PlanIndex) -> float:
    """The power of ten by which money enters the solver, so that the largest money figure that
    is *paid* (capex, opex, rent, closure costs, sale values) is below 1000 units (MSEK for a
    municipality, SEK for a small benchmark).

    SEK coefficients of 1e2…1e9 leave HiGHS badly scaled; but a fixed MSEK scale would make
    HiGHS's cutoff tolerance (1e-6 units) worth 1 SEK, too coarse where costs are small. The
    unmet-demand penalty does not set the scale: a penalty of 1e10 SEK per place (meaning
    "almost forbidden") would otherwise push every paid cost and the travel cost below HiGHS's
    tolerances, where the plan they decide is no longer optimised. It enters with the same
    scale, as a large coefficient, up to :data:`MAX_COEFFICIENT`.
    """
    figures = [1.0]
    for o in index.options.values():
        figures += [o.capex, o.opex, o.rent, o.internal_rent, o.extension_rent or 0.0, o.extension_internal_rent]
    for x in index.sites.values():
        figures += [x.opex, x.sale_value, *x.rent.values(), *x.closure_cost.values(), *x.internal_rent.values()]
        figures += [x.kept_value, x.relet_rent, x.vacancy_cost]
    largest = max(abs(f) for f in figures)
    return 10.0 ** -max(0, math.floor(math.log10(largest)) - 2)


@dataclass
class PlanModel:
    """The Pyomo model and the maps from index keys to its variables (read by the results step)."""

    model: pyo.ConcreteModel
    index: PlanIndex
    build: dict = field(default_factory=dict)  # (option, year) -> var (options without `avail`)
    avail: dict = field(default_factory=dict)  # (option, year) -> var: modules in service (state options)
    extend: dict = field(default_factory=dict)  # (option, year) -> var: modules kept one more year after their term
    open: dict = field(default_factory=dict)  # (site, year) -> var (free years only)
    assign: dict = field(default_factory=dict)  # (district, facility, service, year) -> var (split services)
    flow: dict = field(default_factory=dict)  # (district, district', service, year) -> var (split, by district)
    pick: dict = field(default_factory=dict)  # (district, facility, service, year) -> var (single services)
    unmet: dict = field(default_factory=dict)  # (district, service, year) -> var (split services)
    unmet_all: dict = field(default_factory=dict)  # (district, service, year) -> binary (single services)
    surplus_under: dict = field(default_factory=dict)  # (district, service, year) -> places short of the band
    surplus_over: dict = field(default_factory=dict)  # (district, service, year) -> places beyond the band
    adopted_price: Affine = field(default_factory=Affine)  # departures from the adopted plan, SEK undiscounted
    unreachable: list[tuple[str, str, int]] = field(default_factory=list)  # demand with no facility in reach
    conflicts: list[str] = field(default_factory=list)  # rows that cannot hold whatever the plan
    out_of_range: list[str] = field(default_factory=list)  # figures too large for HiGHS (MAX_COEFFICIENT)
    money_scale: float = 1.0  # money rows and the objective are in SEK × money_scale (see money_scale())
    state_options: set = field(default_factory=set)  # options modelled by `avail` state variables
    _flows: Flows | None = None  # money_flows(self), built once (the variables never change)
    _spend: dict | None = None  # frame_spend(self, self.money()), built once
    _by_district: dict | None = None  # (district, service) -> facilities K(d', s), built once

    def money(self) -> Flows:
        """:func:`allocopt.model.money.money_flows` of this model, computed once."""
        if self._flows is None:
            self._flows = money_flows(self)
        return self._flows

    def spend(self) -> dict[str, dict[int, Affine]]:
        """:func:`allocopt.model.money.frame_spend` of this model (SEK per frame and year), computed once."""
        if self._spend is None:
            self._spend = frame_spend(self, self.money())
        return self._spend

    # -- expressions of models/premises.md -------------------------------------------------
    def open_term(self, site: str, year: int) -> Affine:
        """``open[site, year]`` (a variable, or the constant it is fixed to)."""
        var = self.open.get((site, year))
        if var is not None:
            return Affine().add(var)
        return Affine(self.index.sites[site].open_ub[year])

    def build_term(self, option: str, year: int) -> Affine:
        """``build[o, t]``: modules opening in ``year`` (a variable, or ``avail[t] − avail[t−1]``)."""
        if (option, year) in self.avail:
            out = Affine().add(self.avail[option, year])
            if (option, year - 1) in self.avail:
                out.add(self.avail[option, year - 1], -1.0)
            return out
        return Affine().add(self.build[option, year])

    def active(self, option: OptionInfo, year: int) -> Affine:
        """``active[o, y] = term[o, y] + extend[o, y]``: modules of the option in service in ``year``."""
        return self.in_term(option, year).add_affine(self.extended(option, year))

    def extended(self, option: OptionInfo, year: int) -> Affine:
        """``extend[o, y]``: modules kept in ``year`` beyond their term (0 where there is no such variable)."""
        var = self.extend.get((option.option, year))
        return Affine() if var is None else Affine().add(var)

    def in_term(self, option: OptionInfo, year: int) -> Affine:
        """``term[o, y]``: modules of the option in service in ``year`` within their lifetime or term."""
        if option.option in self.state_options:
            var = self.avail.get((option.option, year))
            return Affine() if var is None else Affine().add(var)
        out = Affine()
        for t in option.opened_in_service(year):
            out.add(self.build[option.option, t])
        return out

    def capacity(self, facility: str, service: str, year: int) -> Affine:
        """``capacity[k, s, y]`` in nominal places."""
        idx = self.index
        if facility in idx.sites:
            site = idx.sites[facility]
            out = Affine()
            out.add_affine(self.open_term(facility, year), site.capacity.get(service, 0.0))
            for o in idx.site_options(facility):
                if o.service == service:
                    out.add_affine(self.active(o, year), o.capacity)
                if o.from_service == service:
                    out.add_affine(self.active(o, year), -o.capacity_from)
            return out
        o = idx.options[facility]
        out = Affine().add_affine(self.active(o, year), o.capacity) if o.service == service else Affine()
        for hosted in idx.site_options(facility):  # expansions and conversions of a new building
            if hosted.service == service:
                out.add_affine(self.active(hosted, year), hosted.capacity)
            if hosted.from_service == service:
                out.add_affine(self.active(hosted, year), -hosted.capacity_from)
        return out

    def host_term(self, option: OptionInfo, year: int) -> tuple[Affine, float]:
        """For an expansion or conversion: (``open[e,y]`` of its site, or ``active[b,y]`` of its build
        option, and the most that term can be: 1 or ``N_b``)."""
        if option.host_is_option:
            host = self.index.options[option.facility]
            return self.active(host, year), float(host.max_modules)
        return self.open_term(option.facility, year), 1.0

    def may_serve(self, facility: str, service: str, year: int) -> bool:
        """Whether ``facility`` can have capacity for ``service`` in ``year`` at all."""
        idx = self.index
        if facility in idx.sites:
            site = idx.sites[facility]
            if site.open_ub[year] == 0:
                return False
            if site.capacity.get(service, 0.0) > 0:
                return True
            return any(o.service == service and o.opened_in_service(year) for o in idx.site_options(facility))
        o = idx.options[facility]
        if o.service == service:
            return bool(o.opened_in_service(year)) or (o.option, year) in self.extend
        return any(h.service == service and h.opened_in_service(year) for h in idx.site_options(facility))

    def unmet_places(self, district: str, service: str, year: int) -> Affine:
        """Places of ``district`` left unmet: ``unmet`` or ``demand · unmet_all`` (none if forbidden)."""
        key = (district, service, year)
        if key in self.unmet:
            return Affine().add(self.unmet[key])
        if key in self.unmet_all:
            return Affine().add(self.unmet_all[key], self.index.demand[key])
        return Affine()

    def district_facilities(self, district: str, service: str) -> list[str]:
        """``K(d', s)``: the facilities of ``district`` with capacity for ``service`` (pairs of ``KS``),
        in the order of ``KS``; they share ``district_capacity[d', s, y]`` and, in the plan, its inflow."""
        if self._by_district is None:
            self._by_district = defaultdict(list)
            for k, s in self.index.facility_services:
                self._by_district[self.index.facility_district[k], s].append(k)
        return self._by_district.get((district, service), [])

    def placed(self) -> dict[tuple[str, str, str, int], float]:
        """Places served per (district, facility, service, year) in the current values of the
        variables: ``assign`` and ``demand · pick`` as they stand; each district-to-district
        ``flow[d,d',s,y]`` split over the facilities ``K(d', s)`` in proportion to their usable
        capacity ``u_s · capacity[k,s,y]`` (every facility of ``d'`` then serves the same share of
        its capacity, so ``capacity_limit`` holds at each whenever ``district_capacity`` holds).
        The last facility with capacity takes what rounding leaves, so that the shares sum to the flow."""
        out = {key: self.served(*key).value() for key in list(self.assign) + list(self.pick)}
        if not self.flow:
            return out
        idx = self.index
        usable: dict = {}
        for (d, dd, s, y), var in self.flow.items():
            places = var.value or 0.0
            if places <= 0:
                continue
            if (dd, s, y) not in usable:
                u = idx.services[s].utilisation
                usable[dd, s, y] = [
                    (k, max(0.0, u * self.capacity(k, s, y).value())) for k in self.district_facilities(dd, s)
                ]
            shares = [(k, room) for k, room in usable[dd, s, y] if room > 0] or usable[dd, s, y][:1]
            total = sum(room for _k, room in shares)
            left = places
            for i, (k, room) in enumerate(shares):
                part = left if i == len(shares) - 1 else places * room / total
                out[d, k, s, y] = part
                left -= part
        return out

    def served(self, district: str, facility: str, service: str, year: int) -> Affine:
        """Places of ``district`` served at ``facility``: ``assign`` or ``demand · pick``."""
        key = (district, facility, service, year)
        if key in self.assign:
            return Affine().add(self.assign[key])
        if key in self.pick:
            return Affine().add(self.pick[key], self.index.demand[district, service, year])
        return Affine()
