"""What the checker recomputes: the plan's quantities, demand, distances, costs and objective.

:func:`recompute` reads the plan off ``result.actions`` (option rows: ``action`` = the option's
kind, ``option``, ``year`` = opening year, ``modules``; closure rows: ``action = "close"``,
``site``, ``year`` = first closed year) and re-derives, from the scenario and the result tables
alone (pandas, never the model builder, the solver or their index and demand code), everything
:mod:`allocopt.check` compares: ``build[o,t]``, ``active[o,y]``, ``open[e,y]``,
``capacity[k,s,y]``, ``demand[d,s,y]``, ``km(d, d')`` and, per *Objective* in
``models/premises.md``, the costs per year ``Σ_y δ_y·(capex + opex + rent + closure_cost − sale +
travel + penalty) − δ_end·residual`` with ``δ_y = (1 + r)^-(y − y0)``, ``δ_end = (1 + r)^-(T + 1 − y0)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from allocopt.result import Result
from allocopt.scenario import LEASED_KINDS, SITE_KINDS, Option, Scenario, Site

COST_COLUMNS: list[str] = ["capex", "opex", "rent", "closure_cost", "sale", "travel", "penalty", "residual"]
"""Undiscounted SEK per year, as in ``Result.costs``."""

COMPARED_COLUMNS: list[str] = COST_COLUMNS + [
    "discount_factor", "discounted", "capex_cap", "capex_use", "opex_cap", "opex_use"]
"""Every ``Result.costs`` column the checker recomputes and compares."""


@dataclass
class Recomputed:
    """What the checker re-derives from the scenario and the result tables."""

    scenario: Scenario
    result: Result
    years: list[int]
    sites: dict
    options: dict[str, Option]
    services: dict
    build: dict[tuple[str, int], float]
    close_year: dict[str, int]
    active: dict[tuple[str, int], float]
    ks: set[tuple[str, str]]
    facility_district: dict[str, str]
    cap: dict[tuple[str, str], float]
    site_options: dict[str, list[Option]]
    demand: pd.Series
    actions: pd.DataFrame
    assignments: pd.DataFrame
    balance: pd.DataFrame
    dist: dict[tuple[str, str], float]
    coords: dict[str, tuple[float, float]]
    costs: pd.DataFrame = None  # type: ignore[assignment]
    objective: float = math.nan

    @property
    def y0(self) -> int:
        return self.years[0]

    @property
    def last(self) -> int:
        return self.years[-1]

    def is_open(self, site: str, year: int) -> int:
        """open[e,y]: 1 until the site's first closed year."""
        c = self.close_year.get(site)
        return int(c is None or year < c)

    def km(self, a: str, b: str) -> float | None:
        """km(d, d'): distances table, then coordinates, 0 for d = d', None when unreachable."""
        if (a, b) in self.dist:
            return self.dist[(a, b)]
        if (b, a) in self.dist:
            return self.dist[(b, a)]
        if a in self.coords and b in self.coords:
            (xa, ya), (xb, yb) = self.coords[a], self.coords[b]
            return math.hypot(xa - xb, ya - yb)
        return 0.0 if a == b else None

    def capacity(self, k: str, s: str, y: int) -> float:
        """capacity[k,s,y] in places (nominal)."""
        if k in self.sites:
            total = self.cap.get((k, s), 0.0) * self.is_open(k, y)
            for o in self.site_options.get(k, []):
                act = self.active.get((o.option, y), 0.0)
                if o.service == s:
                    total += o.capacity * act
                if o.kind == "conversion" and o.from_service == s:
                    total -= cf(o) * act
            return total
        o = self.options[k]
        return o.capacity * self.active.get((k, y), 0.0) if o.service == s else 0.0


def cf(o: Option) -> float:
    """Places of ``from_service`` removed per converted module."""
    return o.capacity_from if o.capacity_from is not None else o.capacity


def recompute_demand(scenario: Scenario) -> pd.Series:
    """demand[d,s,y] over every district, service and planning year (places)."""
    years = scenario.years
    grid = pd.MultiIndex.from_product(
        [[d.district for d in scenario.districts], [s.service for s in scenario.services], years],
        names=["district", "service", "year"])
    parts = []
    cov = scenario.table("coverage")
    if len(cov):
        persons = scenario.table("population").groupby(["district", "age_band", "year"])["persons"].sum()
        new = scenario.table("housing").merge(scenario.table("housing_types"), on="housing_type")
        if len(new):
            new["persons"] = new["homes"] * new["persons_per_home"]
            wide = new.pivot_table(index=["district", "age_band"], columns="year", values="persons",
                                   aggfunc="sum", fill_value=0.0)
            wide = wide.reindex(columns=sorted(set(wide.columns) | set(years)), fill_value=0.0)
            cum = wide.cumsum(axis=1)[years].stack()
            cum.index = cum.index.set_names(["district", "age_band", "year"])
            persons = persons.add(cum, fill_value=0.0)
        if len(persons):
            p = persons.rename("persons").reset_index().merge(cov, on="age_band")
            p["places"] = p["rate"] * p["persons"]
            parts.append(p.groupby(["district", "service", "year"])["places"].sum())
    direct = scenario.table("demand")
    direct = direct[~direct["service"].isin(set(cov["service"]))]
    if len(direct):
        parts.append(direct.groupby(["district", "service", "year"])["places"].sum())
    out = pd.Series(0.0, index=grid)
    for part in parts:
        out = out.add(part.astype(float).reindex(grid, fill_value=0.0), fill_value=0.0)
    return out.rename("demand")


def numeric(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A copy of ``df`` with ``columns`` as floats (blank or text → NaN; a missing column → NaN)."""
    df = df.copy()
    for c in columns:
        df[c] = pd.to_numeric(df[c], errors="coerce") if c in df else math.nan
    return df


def recompute(scenario: Scenario, result: Result) -> Recomputed:
    """Read the plan off ``result.actions`` and re-derive everything the families need."""
    years = scenario.years
    sites = {s.site: s for s in scenario.sites}
    options = {o.option: o for o in scenario.options}
    actions = numeric(result.actions, ["year", "modules", "capex", "decision_year",
                                        "closure_cost", "sale_value"])
    build: dict[tuple[str, int], float] = defaultdict(float)
    close_year: dict[str, int] = {}
    for row in actions.to_dict("records"):
        year = row["year"]
        if math.isnan(year):
            continue
        if row.get("action") == "close":
            if row.get("site") in sites and years[0] <= year <= years[-1]:
                close_year[row["site"]] = min(int(year), close_year.get(row["site"], int(year)))
        elif row.get("option") in options and not math.isnan(row["modules"]):
            build[(row["option"], int(year))] += row["modules"]
    active: dict[tuple[str, int], float] = defaultdict(float)
    for (o, t), m in build.items():
        life = options[o].years_in_service
        for y in years:
            if t <= y < t + life:
                active[(o, y)] += m
    cap = {(c.site, c.service): c.capacity for c in scenario.site_capacities}
    site_options: dict[str, list[Option]] = defaultdict(list)
    ks = set(cap)
    facility_district = {s.site: s.district for s in scenario.sites}
    for o in scenario.options:
        if o.kind in SITE_KINDS:
            site_options[o.site].append(o)
            ks.add((o.site, o.service))
        else:
            ks.add((o.option, o.service))
            facility_district.setdefault(o.option, o.district)
    assignments = numeric(result.assignments, ["year", "places", "km"])
    balance = numeric(result.balance, ["year", "demand", "served", "unmet"])
    rc = Recomputed(
        scenario=scenario, result=result, years=years, sites=sites, options=options,
        services={s.service: s for s in scenario.services}, build=dict(build),
        close_year=close_year, active=dict(active), ks=ks, facility_district=facility_district,
        cap=cap, site_options=dict(site_options), demand=recompute_demand(scenario),
        actions=actions, assignments=assignments, balance=balance,
        dist={(d.from_district, d.to_district): d.km for d in scenario.distances},
        coords={d.district: (d.x_km, d.y_km) for d in scenario.districts
                if d.x_km is not None and d.y_km is not None},
    )
    rc.costs, rc.objective = recompute_costs(rc)
    return rc


def discount_factor(rate: float, first_year: int, year: int) -> float:
    """δ_y = (1 + rate)^-(year − first_year); ``year = T + 1`` gives δ_end."""
    return (1.0 + rate) ** -(year - first_year)


def capex_payments(option: Option, opening: int, timing: str) -> dict[int, float]:
    """pay[o,t,·]: share of one module's capex paid in each year.

    ``spread`` with a lead time: ``1/lead`` in each year ``t−lead … t−1``; otherwise all in ``t``.
    """
    lead = option.lead_time
    if timing == "spread" and lead > 0:
        return {opening - lead + i: 1.0 / lead for i in range(lead)}
    return {opening: 1.0}


def residual_share(option: Option, opening: int, last_year: int, rule: str) -> float:
    """ρ[o,t] = max(0, 1 − (T − t + 1)/L_o) for owned kinds with ``straight_line``; else 0."""
    if rule != "straight_line" or option.kind in LEASED_KINDS:
        return 0.0
    return max(0.0, 1.0 - (last_year - opening + 1) / option.years_in_service)


def site_rent(site: Site, year: int) -> float:
    """rent_e,y: ``rent`` through ``lease_end``, ``renewal_rent`` (default ``rent``) after."""
    if site.lease_end is not None and year > site.lease_end:
        return site.renewal_rent if site.renewal_rent is not None else site.rent
    return site.rent


def closure_cost(site: Site, first_closed_year: int) -> float:
    """closure_e,y: the site's closure cost; 0 for a leased site closing after its lease_end."""
    if site.tenure == "leased" and site.lease_end is not None and first_closed_year > site.lease_end:
        return 0.0
    return site.closure_cost


def sale_value(site: Site) -> float:
    """sale_e: the sale value of an owned site; 0 for a leased one."""
    return site.sale_value if site.tenure == "owned" else 0.0


def recompute_costs(rc: Recomputed) -> tuple[pd.DataFrame, float]:
    """Costs per year (index ``year``, columns :data:`COMPARED_COLUMNS`) and the objective (SEK).

    Capex payments falling before the first year (only in a plan that opens an option before
    its lead time allows) are charged in the first year; payments after the last year are not
    counted.
    """
    settings = rc.scenario.settings
    years, y0, last = rc.years, rc.y0, rc.last
    cost = {c: dict.fromkeys(years, 0.0) for c in COST_COLUMNS}
    straight = settings.residual_value == "straight_line"
    for (o, t), modules in rc.build.items():
        opt = rc.options[o]
        for y, share in capex_payments(opt, t, settings.capex_timing).items():
            if y <= last:
                cost["capex"][max(y, y0)] += opt.capex * share * modules
        cost["residual"][last] += opt.capex * residual_share(opt, t, last, settings.residual_value) * modules
    for (o, y), modules in rc.active.items():
        cost["opex"][y] += rc.options[o].opex * modules
        cost["rent"][y] += rc.options[o].rent * modules
    for e, site in rc.sites.items():
        for y in years:
            if rc.is_open(e, y):
                cost["opex"][y] += site.opex
                cost["rent"][y] += site_rent(site, y)
        c = rc.close_year.get(e)
        if c is not None:
            cost["closure_cost"][c] += closure_cost(site, c)
            cost["sale"][c] += sale_value(site)
        if straight and rc.is_open(e, last):
            cost["residual"][last] += sale_value(site)
    for row in rc.assignments.to_dict("records"):
        y, s = row["year"], row.get("service")
        if math.isnan(y) or int(y) not in cost["travel"] or s not in rc.services or math.isnan(row["places"]):
            continue
        where = rc.facility_district.get(row.get("site"))
        km = rc.km(row.get("district"), where) if where is not None else None
        if km is None:
            km = 0.0 if math.isnan(row["km"]) else row["km"]
        cost["travel"][int(y)] += rc.services[s].travel_cost * km * row["places"]
    for row in rc.balance.to_dict("records"):
        y, s = row["year"], row.get("service")
        if math.isnan(y) or int(y) not in cost["penalty"] or s not in rc.services or math.isnan(row["unmet"]):
            continue
        penalty = rc.scenario.unmet_penalty(s)
        if penalty is not None:
            cost["penalty"][int(y)] += penalty * row["unmet"]
    frame = pd.DataFrame(cost, index=pd.Index(years, name="year"))
    frame["discount_factor"] = [discount_factor(settings.discount_rate, y0, y) for y in years]
    flows = (frame["capex"] + frame["opex"] + frame["rent"] + frame["closure_cost"] - frame["sale"]
             + frame["travel"] + frame["penalty"])
    frame["discounted"] = frame["discount_factor"] * flows
    frame.loc[last, "discounted"] -= discount_factor(settings.discount_rate, y0, last + 1) * frame.at[last, "residual"]
    caps = {b.year: b for b in rc.scenario.budget}
    frame["capex_cap"] = [_cap(caps.get(y), "capex_cap") for y in years]
    frame["opex_cap"] = [_cap(caps.get(y), "opex_cap") for y in years]
    frame["capex_use"] = _use(frame["capex"], frame["capex_cap"])
    frame["opex_use"] = _use(frame["opex"] + frame["rent"], frame["opex_cap"])
    return frame[COMPARED_COLUMNS], float(frame["discounted"].sum())


def _cap(budget, column: str) -> float:
    value = getattr(budget, column) if budget is not None else None
    return math.nan if value is None else float(value)


def _use(spend: pd.Series, cap: pd.Series) -> pd.Series:
    """spend / cap (share); NaN where there is no cap or the cap is 0."""
    return spend / cap.where(cap > 0)
