"""What the checker recomputes: the plan's quantities, demand, distances, capacity, costs and objective.

:func:`recompute` reads the plan off ``result.actions`` (option rows: ``action`` = the option's
kind, ``option``, ``year`` = opening year, ``modules``; closure rows: ``action`` = ``close``
or ``lease_end``, ``site``, ``year`` = first closed year) and re-derives, from the scenario and
the result tables alone (pandas, never the model builder, the solver or their index and demand code), everything
:mod:`allocopt.check` compares: ``build[o,t]``, ``active[o,y]``, ``open[e,y]``,
``capacity[k,s,y]``, ``demand[d,s,y]``, ``km(d, d')``, the utilisation table (every facility,
service and year: open, nominal capacity, usable, served, utilisation) and, per *Objective* in
``models/premises.md``, the costs per year ``Σ_y δ_y·(capex + opex + rent + closure_cost − sale +
travel + penalty) − δ_end·residual`` with ``δ_y = (1 + r)^-(y − y0)``, ``δ_end = (1 + r)^-(T + 1 − y0)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from allocopt.check.cost_rules import (
    CLOSURE_ACTIONS,
)
from allocopt.check.demand import recompute_demand
from allocopt.check.money import recompute_money
from allocopt.check.reading import UTILISATION_KEYS, table, whole
from allocopt.scenario import SITE_KINDS, Option, Scenario
from allocopt.tables import TABLE_COLUMNS

if TYPE_CHECKING:
    from allocopt.result import Result


@dataclass
class Recomputed:
    """What the checker re-derives from the scenario and the result tables.

    ``actions``, ``assignments``, ``balance`` and ``utilisation`` are the result's tables as
    :func:`~allocopt.check.reading.table` reads them; ``implied`` and everything else is recomputed.
    """

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
    facility_kind: dict[str, str]
    cap: dict[tuple[str, str], float]
    site_options: dict[str, list[Option]]
    demand: pd.Series
    actions: pd.DataFrame
    assignments: pd.DataFrame
    balance: pd.DataFrame
    utilisation: pd.DataFrame
    dist: dict[tuple[str, str], float]
    coords: dict[str, tuple[float, float]]
    costs: pd.DataFrame = None  # type: ignore[assignment]
    party_costs: pd.DataFrame = None  # type: ignore[assignment]
    """The party_costs table the plan implies, indexed by (year, party)."""
    frames: pd.DataFrame = None  # type: ignore[assignment]
    """The frames table the plan implies, indexed by (year, frame)."""
    extend: dict = None  # type: ignore[assignment]
    """(option, year) -> modules kept that year beyond their term (the actions' extend rows)."""
    in_term: dict = None  # type: ignore[assignment]
    """(option, year) -> modules in service within their lifetime or term."""
    objective: float = math.nan
    km_of_assignments: pd.Series = None  # type: ignore[assignment]
    """km(d, district of k) per assignments row (:func:`pair_km`)."""
    implied: pd.DataFrame = None  # type: ignore[assignment]
    """The utilisation table the plan implies (:func:`recompute_utilisation`)."""

    @property
    def districts(self) -> set[str]:
        return {d.district for d in self.scenario.districts}

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
        """capacity[k,s,y] in places (nominal): ``cap[e,s]·open[e,y] + Σ c_o·active[o,y] −
        Σ cf_o·active[o,y]`` for a site, ``c_o·active[o,y]`` for a new option."""
        try:
            return float(self.implied.at[(k, s, y), "capacity"])
        except KeyError:  # not a facility, service or planning year
            return 0.0


def cf(o: Option) -> float:
    """Places of ``from_service`` removed per converted module."""
    return o.capacity_from if o.capacity_from is not None else o.capacity


def pair_km(rc: Recomputed, districts: pd.Series, facilities: pd.Series) -> pd.Series:
    """km(d, district of k) per row (NaN where k is no facility or k is unreachable from d)."""
    pairs = list(zip(districts.tolist(), facilities.map(rc.facility_district).tolist()))
    known = {p: rc.km(*p) for p in set(pairs) if isinstance(p[1], str)}
    km = [known.get(p) for p in pairs]
    return pd.Series([math.nan if k is None else k for k in km], index=districts.index, dtype=float)


def recompute(scenario: Scenario, result: Result) -> Recomputed:
    """Read the plan off ``result.actions`` and re-derive everything the families need."""
    years = scenario.years
    sites = {s.site: s for s in scenario.sites}
    options = {o.option: o for o in scenario.options}
    actions = table(result, "actions")
    build: dict[tuple[str, int], float] = defaultdict(float)
    extend: dict[tuple[str, int], float] = defaultdict(float)
    close_year: dict[str, int] = {}
    for row in actions[whole(actions["year"])].to_dict("records"):
        year = row["year"]
        if row.get("action") in CLOSURE_ACTIONS:
            if row.get("site") in sites and years[0] <= year <= years[-1]:
                close_year[row["site"]] = min(int(year), close_year.get(row["site"], int(year)))
        elif row.get("option") in options and not math.isnan(row["modules"]):
            if row.get("action") == "extend":
                if years[0] <= year <= years[-1]:
                    extend[(row["option"], int(year))] += row["modules"]
            else:
                build[(row["option"], int(year))] += row["modules"]
    in_term: dict[tuple[str, int], float] = defaultdict(float)
    for (o, t), m in build.items():
        life = options[o].years_in_service
        for y in years:
            if t <= y < t + life:
                in_term[(o, y)] += m
    active: dict[tuple[str, int], float] = defaultdict(float, in_term)
    for key, m in extend.items():
        active[key] += m
    cap = {(c.site, c.service): c.capacity for c in scenario.site_capacities}
    site_options: dict[str, list[Option]] = defaultdict(list)
    ks = set(cap)
    facility_district = {s.site: s.district for s in scenario.sites}
    facility_kind = dict.fromkeys(facility_district, "site")
    for o in scenario.options:
        if o.kind in SITE_KINDS:
            site_options[o.site].append(o)
            ks.add((o.site, o.service))
        else:
            ks.add((o.option, o.service))
            facility_district.setdefault(o.option, o.district)
            facility_kind.setdefault(o.option, o.kind)
    assignments, balance = table(result, "assignments"), table(result, "balance")
    rc = Recomputed(
        scenario=scenario,
        result=result,
        years=years,
        sites=sites,
        options=options,
        services={s.service: s for s in scenario.services},
        build=dict(build),
        close_year=close_year,
        active=dict(active),
        ks=ks,
        facility_district=facility_district,
        facility_kind=facility_kind,
        cap=cap,
        site_options=dict(site_options),
        demand=recompute_demand(scenario),
        actions=actions,
        assignments=assignments,
        balance=balance,
        utilisation=table(result, "utilisation"),
        dist={(d.from_district, d.to_district): d.km for d in scenario.distances},
        coords={d.district: (d.x_km, d.y_km) for d in scenario.districts if d.x_km is not None and d.y_km is not None},
    )
    rc.extend, rc.in_term = dict(extend), dict(in_term)
    rc.km_of_assignments = pair_km(rc, assignments["district"], assignments["site"])
    rc.implied = recompute_utilisation(rc)
    rc.costs, rc.party_costs, rc.frames, rc.objective = recompute_money(rc)
    return rc


def recompute_utilisation(rc: Recomputed) -> pd.DataFrame:
    """The utilisation table the plan implies, for every facility ``k`` (existing site or new
    option), service ``s`` and year ``y`` (index ``site, service, year``; rows with neither
    capacity nor use included): ``kind`` (``site`` or the option's kind), ``district``, ``open``
    (a site: 1 before its first closed year; a new option: 1 with modules in service),
    ``capacity`` = capacity[k,s,y] (nominal places), ``usable`` = u_s·capacity, ``served`` =
    Σ_d assignments places (whole years only) and ``utilisation`` = served / capacity (NaN where
    capacity ≤ 0)."""
    facilities, services, years = pd.Index(list(rc.facility_kind)), pd.Index(list(rc.services)), pd.Index(rc.years)
    shape = (len(facilities), len(services), len(years))
    is_site = facilities.isin(list(rc.sites))
    closed = np.array([rc.close_year.get(k, np.inf) for k in facilities], dtype=float)
    open_site = closed[:, None] > years.to_numpy()[None, :]  # facility × year
    capacity, in_service = np.zeros(shape), np.zeros(shape[0::2])
    if rc.cap:
        e, s = zip(*rc.cap)
        capacity[facilities.get_indexer(list(e)), services.get_indexer(list(s)), :] += (
            np.array(list(rc.cap.values()))[:, None] * open_site[facilities.get_indexer(list(e))]
        )
    for (o, y), m in rc.active.items():
        opt, t = rc.options[o], years.get_loc(y)
        k = facilities.get_loc(opt.site if opt.kind in SITE_KINDS else o)
        capacity[k, services.get_loc(opt.service), t] += opt.capacity * m
        if opt.kind == "conversion":
            capacity[k, services.get_loc(opt.from_service), t] -= cf(opt) * m
        if opt.kind not in SITE_KINDS:
            in_service[k, t] += m
    served = np.zeros(shape)
    a = rc.assignments
    at = (
        facilities.get_indexer(a["site"]),
        services.get_indexer(a["service"]),
        years.get_indexer(a["year"].where(whole(a["year"]))),
    )
    ok = (at[0] >= 0) & (at[1] >= 0) & (at[2] >= 0) & a["places"].notna().to_numpy()
    np.add.at(served, tuple(i[ok] for i in at), a["places"].to_numpy(dtype=float)[ok])
    each = shape[1] * shape[2]
    f = pd.DataFrame(
        {
            "kind": np.repeat(np.array([rc.facility_kind[k] for k in facilities], dtype=object), each),
            "district": np.repeat(np.array([rc.facility_district[k] for k in facilities], dtype=object), each),
            "open": np.broadcast_to(np.where(is_site[:, None], open_site, in_service > 0)[:, None, :], shape)
            .astype(int)
            .ravel(),
            "capacity": capacity.ravel(),
            "usable": (capacity * np.array([rc.services[x].utilisation for x in services])[None, :, None]).ravel(),
            "served": served.ravel(),
        },
        index=pd.MultiIndex.from_product([facilities, services, years], names=UTILISATION_KEYS),
    )
    f["utilisation"] = f["served"] / f["capacity"].where(f["capacity"] > 0)
    return f[["kind", "district", "open", "capacity", "usable", "served", "utilisation"]]


def utilisation_table(rc: Recomputed) -> pd.DataFrame:
    """:attr:`Recomputed.implied` as a result table (``TABLE_COLUMNS["utilisation"]``): the rows
    with a capacity or places served above 1e-6 (for results made by hand, as in the tests)."""
    f = rc.implied
    f = f[np.maximum(f["capacity"].abs(), f["served"]) > 1e-6].reset_index()
    return f[TABLE_COLUMNS["utilisation"]]


def served_places(rc: Recomputed) -> pd.Series:
    """Σ_k assign[d,k,s,y] from the assignments table (places; rows with a whole year)."""
    a = rc.assignments[whole(rc.assignments["year"])]
    return a.groupby(["district", "service", a["year"].astype(int)])["places"].sum()


def unmet_places(rc: Recomputed) -> pd.Series:
    """unmet[d,s,y] from the balance table (places; rows with a whole year)."""
    b = rc.balance[whole(rc.balance["year"])]
    return b.groupby(["district", "service", b["year"].astype(int)])["unmet"].sum()
