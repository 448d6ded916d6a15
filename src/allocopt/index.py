"""Sparse index tables: everything the model builder needs, precomputed once from a Scenario.

The builder never reads the scenario itself: it reads a :class:`PlanIndex` of plain Python
data (ids, floats, lists), so the sets of models/premises.md are computed here, once, with
numpy/pandas: opening years ``Y_o``, the fixed or free ``open`` status of each site and year,
the facility-service pairs ``KS`` and the reach set ``R``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from allocopt.adopted import AdoptedPrice, adopted_price
from allocopt.demand import derive_demand
from allocopt.locks import LockConflict, apply_locks
from allocopt.scenario import LEASED_KINDS, SITE_KINDS, Scenario

PLACE_EPS = 1e-9
"""Demand below this many places counts as none."""


@dataclass
class SiteInfo:
    """An existing site, with its open status bounds per year (1 = must be open, 0 = must be closed)."""

    site: str
    district: str
    tenure: str
    opex: float  # SEK/year while open
    rent: dict[int, float]  # SEK/year while open, by year
    closure_cost: dict[int, float]  # SEK if first closed in that year
    sale_value: float  # SEK on closing (owned)
    capacity: dict[str, float]  # nominal places by service
    open_lb: dict[int, int]
    open_ub: dict[int, int]
    lease_end: int | None = None  # last year of a leased site's current lease (None: owned, or no end)
    party: str = "property_company"  # who holds the site: municipality or property_company
    internal_rent: dict[int, float] = field(default_factory=dict)  # SEK/year the municipality pays, by year
    vacant: bool = False  # on_close vacant: internal rent goes on after closing
    kept_value: float = 0.0  # SEK credited at the horizon end whether open or not (owned, relet or vacant)
    relet_rent: float = 0.0  # SEK/year received while closed (on_close relet)
    vacancy_cost: float = 0.0  # SEK/year paid while closed (on_close vacant)
    permit_years: int | None = None  # premises under a temporary permit: years in all on the plot (None: permanent)
    permit_used: int = 0  # years of that permit used before y0

    def closure_action(self, first_closed_year: int) -> str:
        """The actions table's word for the site's closing in ``first_closed_year``: ``lease_end`` for a
        leased site first closed after its lease_end (the lease runs out or is not renewed, at no
        closure cost), else ``close`` (a decision to close, breaking a lease before its end)."""
        if self.lease_end is not None and first_closed_year > self.lease_end:
            return "lease_end"
        return "close"

    def is_free(self, year: int) -> bool:
        """Whether ``open[site, year]`` is a decision (not fixed)."""
        return self.open_lb[year] < self.open_ub[year]


@dataclass
class OptionInfo:
    """A candidate option with its opening years and money per module."""

    option: str
    kind: str
    facility: str  # where its capacity lands: itself (new) or its site
    district: str
    service: str
    from_service: str | None
    capacity: float  # places per module, of `service`
    capacity_from: float  # places per module removed from `from_service`
    max_modules: int
    capex: float  # SEK per module, raised by settings.capex_overrun: capex × (1 + capex_overrun)
    opex: float  # SEK per module and year in service
    rent: float  # SEK per module and year in service
    lead_time: int
    life: int  # years in service of a module
    years: list[int]  # opening years Y_o
    pay: dict[int, list[tuple[int, float]]]  # opening year -> [(payment year, share of capex)]
    residual: dict[int, float]  # opening year -> residual share at the horizon end
    force_by: int | None = None  # lock: at least one module open by this year
    party: str = "property_company"  # who holds the premises: municipality or property_company
    internal_rent: float = 0.0  # SEK per module and year in its term, paid by the municipality
    extension_rent: float | None = None  # SEK per module and year of a one-year extension (None: none)
    extension_internal_rent: float = 0.0  # SEK per module and extension year, paid by the municipality
    host_is_option: bool = False  # an expansion or conversion at a build option (facility = that option)
    extension_years: list[int] | None = None  # years `extend` may be taken (None: every year after a term)
    permit_left: int | None = None  # years its premises may still stand on the plot from y0 (None: no limit)
    permit_used: int = 0  # years of the plot's permit used before y0

    @property
    def extendable(self) -> bool:
        """Whether modules may stay beyond their term, one year at a time (``extension_rent`` given)."""
        return self.extension_rent is not None and bool(self.years)

    def extension_span(self, horizon: list[int]) -> list[int]:
        """Years in which ``extend[o,y]`` exists: after the first term that can end, within the horizon."""
        if not self.extendable:
            return []
        if self.extension_years is not None:
            return list(self.extension_years)
        return [y for y in horizon if y >= self.years[0] + self.life]

    @property
    def depreciation(self) -> float:
        """Straight-line depreciation per module and year in its term, SEK: capex_o / L_o."""
        return self.capex / self.life

    def opened_in_service(self, year: int) -> list[int]:
        """Opening years whose modules are in service in ``year``."""
        return [t for t in self.years if year - self.life < t <= year]

    def service_years(self, horizon: list[int]) -> list[int]:
        """Years of ``horizon`` in which a module of the option may be in service (in its term or extended)."""
        extended = set(self.extension_span(horizon))
        return [y for y in horizon if y in extended or self.opened_in_service(y)]

    def permit_years_binding(self, horizon: list[int]) -> list[int]:
        """Years of ``horizon`` in which a module of the option may be in service and may have stood
        on its plot for more than the ``permit_left`` years its temporary permit allows (opened in or
        before ``y − permit_left``): the years of ``permit_limit``; none without a permit."""
        if self.permit_left is None or not self.years:
            return []
        return [y for y in self.service_years(horizon) if y - self.permit_left >= self.years[0]]


@dataclass
class ServiceInfo:
    service: str
    utilisation: float
    assignment: str
    travel_cost: float  # SEK per place, km and year
    max_km: float
    penalty: float | None  # SEK per unmet place and year; None: forbidden
    surplus_min: float | None = None  # floor of the surplus band, share of a district's demand (None: none)
    surplus_max: float | None = None  # ceiling of the surplus band, share of a district's demand (None: none)
    surplus_cost: float = 0.0  # SEK per place and year outside the band


@dataclass
class PlanIndex:
    """The sparse sets and plain-data parameters of one scenario (see models/premises.md)."""

    name: str
    years: list[int]
    discount: dict[int, float]  # δ_y
    discount_end: float  # δ_end
    services: dict[str, ServiceInfo]
    demand: dict[tuple[str, str, int], float]  # (district, service, year) -> places, > 0 only
    demand_table: pd.DataFrame  # every (district, service, year), zeros included
    sites: dict[str, SiteInfo]
    options: dict[str, OptionInfo]
    facility_kind: dict[str, str]  # facility -> "site" or option kind
    facility_district: dict[str, str]
    facility_services: list[tuple[str, str]]  # KS
    reach: list[tuple[str, str, str, float]]  # R: (district, facility, service, km)
    capex_cap: dict[int, float]
    opex_cap: dict[int, float]
    residual_value: bool
    investment_cap: dict[int, float] = field(default_factory=dict)
    borrowing_cap: dict[int, float] = field(default_factory=dict)
    operating_cap: dict[int, float] = field(default_factory=dict)
    perspective: str = "consolidated"  # whose cost the objective is: consolidated or municipality
    conflicts: list[str] = field(default_factory=list)  # locks that cannot hold: the plan is infeasible
    options_at_site: dict[str, list[OptionInfo]] = field(default_factory=dict)
    lock_conflicts: list[LockConflict] = field(default_factory=list)  # the same, located (allocopt.refusals)
    adopted: AdoptedPrice | None = None  # the adopted plan as the model prices it (adopted_plan: price)

    def site_options(self, site: str) -> list[OptionInfo]:
        """Expansion and conversion options at ``site``."""
        return self.options_at_site.get(site, [])

    def reach_of(self) -> dict[tuple[str, str], list[str]]:
        """(district, service) -> the facilities within reach, in the order of ``reach``."""
        out: dict[tuple[str, str], list[str]] = {}
        for d, k, s, _km in self.reach:
            out.setdefault((d, s), []).append(k)
        return out


def discount_factors(scenario: Scenario) -> tuple[dict[int, float], float]:
    """δ_y = (1+r)^-(y-y0) per year, and δ_end = (1+r)^-(T+1-y0)."""
    r = scenario.settings.discount_rate
    y0, last = scenario.settings.first_year, scenario.settings.last_year
    return {y: (1.0 + r) ** -(y - y0) for y in scenario.years}, (1.0 + r) ** -(last + 1 - y0)


def district_distances(scenario: Scenario) -> pd.DataFrame:
    """Distance in km between every pair of districts (rows: from, columns: to); NaN = unreachable.

    The distances table wins (either direction); otherwise Euclidean distance of the
    coordinates; 0 on the diagonal unless the table says otherwise.
    """
    ids = [d.district for d in scenario.districts]
    n = len(ids)
    xs = np.array([np.nan if d.x_km is None else d.x_km for d in scenario.districts], dtype=float)
    ys = np.array([np.nan if d.y_km is None else d.y_km for d in scenario.districts], dtype=float)
    km = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    np.fill_diagonal(km, 0.0)
    if scenario.distances:
        pos = {d: i for i, d in enumerate(ids)}
        rows = scenario.table("distances")
        a = rows["from_district"].map(pos).to_numpy()
        b = rows["to_district"].map(pos).to_numpy()
        v = rows["km"].to_numpy(dtype=float)
        given = np.zeros((n, n), dtype=bool)
        given[a, b] = True
        km[a, b] = v
        reverse = ~given[b, a]  # a pair given in one direction only holds both ways
        km[b[reverse], a[reverse]] = v[reverse]
    return pd.DataFrame(km, index=ids, columns=ids)


def _site_info(scenario: Scenario, site, capacity: dict[str, float]) -> SiteInfo:
    years = scenario.years
    y0 = years[0]
    lb = {y: 1 for y in years}
    ub = {y: 1 for y in years}
    lease_end = site.lease_end if site.tenure == "leased" else None
    for y in years:
        during_lease = lease_end is None or y <= lease_end
        if during_lease:
            if site.may_close and y >= (site.close_from if site.close_from is not None else y0):
                lb[y] = 0
        elif site.renewable:
            lb[y] = 0
        else:
            lb[y], ub[y] = 0, 0
    permit_end = site.permit_end_from(y0)
    for y in years:
        if permit_end is not None and y >= permit_end:  # permit_limit: the temporary permit has run out
            lb[y], ub[y] = 0, 0
    rent = {
        y: (
            site.rent
            if lease_end is None or y <= lease_end
            else (site.renewal_rent if site.renewal_rent is not None else site.rent)
        )
        for y in years
    }
    closure = {y: (site.closure_cost if lease_end is None or y <= lease_end else 0.0) for y in years}
    if lease_end is not None and lease_end + 1 <= years[-1] and lease_end + 1 >= y0:
        closure[lease_end + 1] = 0.0  # letting a lease run out costs nothing
    owned = site.tenure == "owned"
    on_close = site.on_close if owned else "sell"
    settings = scenario.settings
    internal = dict.fromkeys(years, 0.0)
    if site.holder == "property_company" and settings.internal_rent_method == "cost_based":
        places = sum(capacity.values())
        for y in years:
            given = site.internal_rent
            internal[y] = given if given is not None else rent[y] + settings.internal_upkeep * places
    return SiteInfo(
        site.site,
        site.district,
        site.tenure,
        site.opex,
        rent,
        closure,
        site.sale_value if owned and on_close == "sell" else 0.0,
        capacity,
        lb,
        ub,
        lease_end,
        party=site.holder,
        internal_rent=internal,
        vacant=on_close == "vacant",
        kept_value=site.sale_value if owned and on_close != "sell" else 0.0,
        relet_rent=site.relet_rent if on_close == "relet" else 0.0,
        vacancy_cost=site.vacancy_cost if on_close == "vacant" else 0.0,
        permit_years=site.permit_years,
        permit_used=site.permit_used_years,
    )


def annuity(rate: float, years: int) -> float:
    """Share of a capital repaid with interest each year over ``years`` years at ``rate``:
    ``rate / (1 − (1 + rate)^−years)``, and ``1/years`` at rate 0."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


def _option_info(scenario: Scenario, o, district: str) -> OptionInfo:
    s = scenario.settings
    first, last = s.first_year, s.last_year
    start = max(o.earliest_year if o.earliest_year is not None else first, first + o.lead_time)
    end = last if o.latest_year is None else min(last, o.latest_year)
    years = list(range(start, end + 1))
    life = o.years_in_service
    pay: dict[int, list[tuple[int, float]]] = {}
    residual: dict[int, float] = {}
    owned = o.kind not in LEASED_KINDS
    for t in range(first, last + 1):  # every year: a given plan (evaluate) may open off Y_o
        if s.capex_timing == "spread" and o.lead_time > 0:
            # payments that would fall before the horizon are counted in its first year
            pay[t] = [(max(y, first), 1.0 / o.lead_time) for y in range(t - o.lead_time, t)]
        else:
            pay[t] = [(t, 1.0)]
        residual[t] = max(0.0, 1.0 - (last - t + 1) / life) if owned and s.residual_value == "straight_line" else 0.0
    facility = o.site if o.kind in SITE_KINDS else o.option
    capex = o.capex * (1.0 + s.capex_overrun)
    party = o.holder
    internal = extension_internal = 0.0
    if party == "property_company" and s.internal_rent_method == "cost_based":
        upkeep = 0.0 if o.kind == "conversion" else s.internal_upkeep * o.capacity
        internal = capex * annuity(s.internal_rate, life) + o.rent + upkeep
        extension_internal = (o.extension_rent or 0.0) + upkeep
    return OptionInfo(
        option=o.option,
        kind=o.kind,
        facility=facility,
        district=district,
        service=o.service,
        from_service=o.from_service,
        capacity=o.capacity,
        capacity_from=o.capacity_from if o.capacity_from is not None else o.capacity,
        max_modules=o.max_modules,
        capex=capex,
        opex=o.opex,
        rent=o.rent,
        lead_time=o.lead_time,
        life=life,
        years=years,
        pay=pay,
        residual=residual,
        party=party,
        internal_rent=internal,
        extension_rent=o.extension_rent,
        extension_internal_rent=extension_internal,
        host_is_option=o.kind in SITE_KINDS and o.site not in {x.site for x in scenario.sites},
        permit_left=None if o.permit is None else max(0, o.permit - o.permit_used_years),
        permit_used=o.permit_used_years,
    )


def build_index(scenario: Scenario) -> PlanIndex:
    """Precompute the sparse sets and parameters of ``scenario`` for the model builder."""
    years = scenario.years
    discount, discount_end = discount_factors(scenario)
    services = {
        s.service: ServiceInfo(
            s.service,
            s.utilisation,
            s.assignment,
            s.travel_cost,
            s.max_km,
            scenario.unmet_penalty(s.service),
            s.surplus_min,
            s.surplus_max,
            s.surplus_cost or 0.0,
        )
        for s in scenario.services
    }
    demand_table = derive_demand(scenario)
    positive = demand_table[demand_table["places"] > PLACE_EPS]
    keys = zip(positive["district"], positive["service"], positive["year"].astype(int), strict=True)
    demand = dict(zip(keys, positive["places"].astype(float), strict=True))

    capacity: dict[str, dict[str, float]] = {x.site: {} for x in scenario.sites}
    for c in scenario.site_capacities:
        capacity[c.site][c.service] = capacity[c.site].get(c.service, 0.0) + c.capacity
    sites = {x.site: _site_info(scenario, x, capacity[x.site]) for x in scenario.sites}
    site_district = {x.site: x.district for x in scenario.sites}
    site_district.update({o.option: o.district for o in scenario.options if o.kind not in SITE_KINDS})
    options = {o.option: _option_info(scenario, o, o.district or site_district[o.site]) for o in scenario.options}
    for o in options.values():
        if o.host_is_option:  # opens only once its host can stand
            host = options[o.facility]
            o.years = [t for t in o.years if host.years and t >= host.years[0]]
    lock_conflicts = apply_locks(scenario, sites, options)

    facility_kind = {x: "site" for x in sites}
    facility_district = dict(site_district)
    pairs: set[tuple[str, str]] = {(x, s) for x, caps in capacity.items() for s, c in caps.items() if c > 0}
    for o in options.values():
        if o.kind not in SITE_KINDS:
            facility_kind[o.option] = o.kind
            facility_district[o.option] = o.district
        if o.years:
            pairs.add((o.facility, o.service))
    order = {k: i for i, k in enumerate(facility_kind)}
    facility_services = sorted(pairs, key=lambda p: (order[p[0]], p[1]))

    km = district_distances(scenario)
    reach: list[tuple[str, str, str, float]] = []
    districts = np.array([d.district for d in scenario.districts], dtype=object)
    for k, s in facility_services:
        column = km[facility_district[k]].to_numpy()
        within = np.flatnonzero(column <= services[s].max_km + 1e-9)  # NaN (unreachable) is never <=
        reach.extend((districts[i], k, s, float(column[i])) for i in within)

    options_at_site: dict[str, list[OptionInfo]] = {}
    for o in options.values():
        if o.kind in SITE_KINDS:
            options_at_site.setdefault(o.facility, []).append(o)
    budget = scenario.budget
    return PlanIndex(
        name=scenario.settings.name,
        years=years,
        discount=discount,
        discount_end=discount_end,
        services=services,
        demand=demand,
        demand_table=demand_table,
        sites=sites,
        options=options,
        facility_kind=facility_kind,
        facility_district=facility_district,
        facility_services=facility_services,
        reach=reach,
        capex_cap=_caps(budget, "capex_cap"),
        opex_cap=_caps(budget, "opex_cap"),
        investment_cap=_caps(budget, "investment_cap"),
        borrowing_cap=_caps(budget, "borrowing_cap"),
        operating_cap=_caps(budget, "operating_cap"),
        perspective=scenario.settings.perspective,
        residual_value=scenario.settings.residual_value == "straight_line",
        conflicts=[c.message for c in lock_conflicts],
        options_at_site=options_at_site,
        lock_conflicts=lock_conflicts,
        adopted=adopted_price(scenario),
    )


def _caps(budget, column: str) -> dict[int, float]:
    """Year -> cap (SEK) of one budget column, years with a blank cap left out."""
    return {b.year: getattr(b, column) for b in budget if getattr(b, column) is not None}


def fix_plan(
    index: PlanIndex,
    builds: Mapping[tuple[str, int], int],
    closures: Mapping[str, int],
    forbidden_penalty: float,
    extensions: Mapping[tuple[str, int], int] | None = None,
) -> PlanIndex:
    """The index of one given plan (:func:`allocopt.evaluate`), ``index`` left as it is.

    ``builds`` (``{(option, opening year): modules}``) are the only openings: each option opens
    only in its years there, and no lock forces it. ``closures`` (``{site: first closed year}``)
    fix every site's status in every year (open before its closure, closed from it; open
    throughout without one). ``extensions`` (``{(option, year): modules}``) are the only years
    ``extend`` exists in. Lock conflicts are dropped: the plan's decisions stand in for the
    locks. Where unmet demand is forbidden it is priced at ``forbidden_penalty`` SEK per
    place-year instead, so that demand the plan cannot serve is a figure, not an infeasibility.
    """
    services = {
        name: replace(info, penalty=forbidden_penalty if info.penalty is None else info.penalty)
        for name, info in index.services.items()
    }
    extended = extensions or {}
    options = {
        name: replace(
            o,
            years=sorted(t for (option, t) in builds if option == name),
            force_by=None,
            extension_years=sorted(y for (option, y) in extended if option == name),
        )
        for name, o in index.options.items()
    }
    sites = {}
    for name, x in index.sites.items():
        closed = closures.get(name)
        status = {y: 0 if closed is not None and y >= closed else 1 for y in index.years}
        sites[name] = replace(x, open_lb=status, open_ub=dict(status))
    options_at_site = {site: [options[o.option] for o in at] for site, at in index.options_at_site.items()}
    return replace(
        index, services=services, options=options, sites=sites, options_at_site=options_at_site, conflicts=[]
    )
