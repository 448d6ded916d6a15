"""Build the Pyomo model of models/premises.md from a :class:`~allocopt.index.PlanIndex`.

One function per variable group and per constraint family, called in a fixed order by
:func:`build_model`; each family is a Pyomo component of the same name as in models/premises.md.
"""

from __future__ import annotations

import gc
from collections import defaultdict

import pyomo.environ as pyo

from allocopt.index import OptionInfo, PlanIndex
from allocopt.model.adopted_price import add_adopted_price
from allocopt.model.money import FLOW_TERMS, MUNICIPALITY, party_total, residual
from allocopt.model.plan_model import PlanModel, money_scale
from allocopt.model.terms import Affine
from allocopt.scenario import PARTIES, SITE_KINDS

MAX_COEFFICIENT = 1e15
"""Largest objective coefficient (model units) allocopt hands HiGHS; HiGHS counts 1e20 as
infinite and its tolerances (1e-7 to 1e-9) make anything near that meaningless. A scenario
whose figures reach it is refused, naming the figure (PlanModel.out_of_range)."""


# -- variables -------------------------------------------------------------------------------


def uses_state(option: OptionInfo, years: list[int]) -> bool:
    """Whether ``option`` is modelled by availability state variables: its modules never leave
    service within the horizon and it may open in any year from its first opening year on."""
    return (
        bool(option.years) and option.life >= len(years) and option.years == list(range(option.years[0], years[-1] + 1))
    )


def add_build(pm: PlanModel, state: bool = True) -> None:
    """Opening decisions: ``avail[o,y]`` (modules in service, non-decreasing) for options whose
    modules stay for the whole horizon (``state``), ``build[o,t]`` for the others."""
    options = pm.index.options.values()
    if state:
        pm.state_options = {o.option for o in options if uses_state(o, pm.index.years)}
    avail_keys = [(o.option, t) for o in options if o.option in pm.state_options for t in o.years]
    build_keys = [(o.option, t) for o in options if o.option not in pm.state_options for t in o.years]
    bounds = {o.option: (0, o.max_modules) for o in options}
    binary = {o.option for o in options if o.max_modules == 1}
    m = pm.model
    m.build = pyo.Var(build_keys, within=pyo.NonNegativeIntegers, bounds=lambda m, o, t: bounds[o], dense=True)
    m.avail = pyo.Var(avail_keys, within=pyo.NonNegativeIntegers, bounds=lambda m, o, t: bounds[o], dense=True)
    for name, keys, target in (("build", build_keys, pm.build), ("avail", avail_keys, pm.avail)):
        component = getattr(m, name)
        for o, t in keys:
            if o in binary:
                component[o, t].domain = pyo.Binary
            target[o, t] = component[o, t]


def add_extend(pm: PlanModel) -> None:
    """``extend[o,y]``: integer ``0 … N_o``, modules of a lease or pavilion with ``extension_rent``
    kept in year ``y`` beyond their term (one-year extensions)."""
    years = pm.index.years
    keys = [(o.option, y) for o in pm.index.options.values() for y in o.extension_span(years)]
    bounds = {o.option: (0, o.max_modules) for o in pm.index.options.values()}
    pm.model.extend = pyo.Var(keys, within=pyo.NonNegativeIntegers, bounds=lambda m, o, y: bounds[o], dense=True)
    for k in keys:
        pm.extend[k] = pm.model.extend[k]


def add_extension_limit(pm: PlanModel) -> None:
    """``extend[o,y] ≤ extend[o,y−1] + build[o,y−L_o]``: a module is kept one more year only if it was
    in service the year before and its term has ended (it ended last year, or it was kept last year)."""
    rows = {}
    for (name, y), var in pm.extend.items():
        o = pm.index.options[name]
        body = Affine().add(var)
        if (name, y - 1) in pm.extend:
            body.add(pm.extend[name, y - 1], -1.0)
        if y - o.life in o.years:
            body.add_affine(pm.build_term(name, y - o.life), -1.0)
        rows[name, y] = (None, body, 0.0)
    _constraint(pm, "extension_limit", rows)


def add_permit_limit(pm: PlanModel) -> None:
    """``active[o,y] ≤ Σ_{t ∈ Y_o, y − left_o < t ≤ y} build[o,t]`` with ``left_o = permit_o − used_o``:
    a module of a lease or pavilion under a temporary building permit stands on the plot (in its term
    or extended) at most ``left_o`` years, so the modules in service in ``y`` are at most those opened
    in the last ``left_o`` years. Rows only in years ``y ≥ min Y_o + left_o``, where a module could
    have stood longer (:meth:`OptionInfo.permit_years_binding`); elsewhere the limit cannot bind."""
    rows = {}
    for o in pm.index.options.values():
        for y in o.permit_years_binding(pm.index.years):
            body = pm.active(o, y)
            for t in o.years:
                if y - o.permit_left < t <= y:
                    body.add_affine(pm.build_term(o.option, t), -1.0)
            rows[o.option, y] = (None, body, 0.0)
    if rows:  # no component where no permit can bind: the model is the one without permits
        _constraint(pm, "permit_limit", rows)


def district_usable(pm: PlanModel, district: str, service: str, year: int) -> Affine:
    """``u_s · Σ_{k ∈ K(d,s)} capacity[k,s,y]``: the usable places of ``district``'s own facilities."""
    out = Affine()
    for k in pm.district_facilities(district, service):
        out.add_affine(pm.capacity(k, service, year), pm.index.services[service].utilisation)
    return out


def _surplus_rows(pm: PlanModel, share: str, slack: str) -> dict:
    """The rows of one side of the surplus band: for every district, year and service with the band's
    ``share`` (``surplus_min`` or ``surplus_max``) and demand, a ``slack`` variable (places ≥ 0, the
    Pyomo component and ``PlanModel`` map of that name) and the row it relaxes."""
    idx = pm.index
    keys = [key for key in idx.demand if getattr(idx.services[key[1]], share) is not None]
    if not keys:
        return {}
    var = pyo.Var(keys, within=pyo.NonNegativeReals, dense=True)
    setattr(pm.model, slack, var)
    target = getattr(pm, slack)
    rows = {}
    for d, s, y in keys:
        target[d, s, y] = var[d, s, y]
        bound = (1.0 + getattr(idx.services[s], share)) * idx.demand[d, s, y]
        usable = district_usable(pm, d, s, y)
        if share == "surplus_min":
            rows[d, s, y] = (bound, usable.add(var[d, s, y]), None)
        else:
            rows[d, s, y] = (None, usable.add(var[d, s, y], -1.0), bound)
    return rows


def add_surplus_floor(pm: PlanModel) -> None:
    """``u_s · Σ_{k ∈ K(d,s)} capacity[k,s,y] + surplus_under[d,s,y] ≥ (1 + surplus_min_s) · demand[d,s,y]``:
    a district's spare places (its usable places less its demand) below the band's floor are
    ``surplus_under``, priced at ``surplus_cost_s`` per place-year. Services without a floor: no rows."""
    rows = _surplus_rows(pm, "surplus_min", "surplus_under")
    if rows:
        _constraint(pm, "surplus_floor", rows)


def add_surplus_ceiling(pm: PlanModel) -> None:
    """``u_s · Σ_{k ∈ K(d,s)} capacity[k,s,y] − surplus_over[d,s,y] ≤ (1 + surplus_max_s) · demand[d,s,y]``:
    spare places beyond the band's ceiling are ``surplus_over``, priced at ``surplus_cost_s`` per
    place-year. Services without a ceiling: no rows."""
    rows = _surplus_rows(pm, "surplus_max", "surplus_over")
    if rows:
        _constraint(pm, "surplus_ceiling", rows)


def add_stays_built(pm: PlanModel) -> None:
    """``avail[o,y-1] ≤ avail[o,y]``: modules once opened stay in service (state options)."""
    rows = {}
    for (o, y), var in pm.avail.items():
        if (o, y - 1) in pm.avail:
            rows[o, y] = (None, Affine().add(pm.avail[o, y - 1]).add(var, -1.0), 0.0)
    _constraint(pm, "stays_built", rows)


def add_open(pm: PlanModel) -> None:
    """``open[e,y]``: binary, only where the site's status is a decision."""
    keys = [(x.site, y) for x in pm.index.sites.values() for y in pm.index.years if x.is_free(y)]
    pm.model.open = pyo.Var(keys, within=pyo.Binary, dense=True)
    for k in keys:
        pm.open[k] = pm.model.open[k]


def add_assign(pm: PlanModel, by_district: bool = False) -> None:
    """``assign`` (split services) or ``pick`` (single services) over the reach set, and ``unmet``.

    ``by_district``: split services are served district to district, ``flow[d,d',s,y]`` for every
    district ``d'`` with a facility within reach of ``d`` that may serve ``s`` in ``y`` (reach and
    km are the districts' own, so the facilities of ``d'`` are interchangeable for ``d``), instead
    of ``assign[d,k,s,y]`` per facility.
    """
    idx = pm.index
    split_keys, single_keys, flow_keys = [], [], []
    reach_by_ds = idx.reach_of()
    covered: set[tuple[str, str, int]] = set()
    for d, s, y in idx.demand:
        single = idx.services[s].assignment == "single"
        flows: dict[str, None] = {}
        for k in reach_by_ds.get((d, s), ()):
            if pm.may_serve(k, s, y):
                if single:
                    single_keys.append((d, k, s, y))
                elif by_district:
                    flows[idx.facility_district[k]] = None
                else:
                    split_keys.append((d, k, s, y))
                covered.add((d, s, y))
        flow_keys.extend((d, dd, s, y) for dd in flows)
    m = pm.model
    if by_district:
        m.flow = pyo.Var(flow_keys, within=pyo.NonNegativeReals, dense=True)
        pm.flow = {k: m.flow[k] for k in flow_keys}
    else:
        m.assign = pyo.Var(split_keys, within=pyo.NonNegativeReals, dense=True)
        pm.assign = {k: m.assign[k] for k in split_keys}
    m.pick = pyo.Var(single_keys, within=pyo.Binary, dense=True)
    pm.pick = {k: m.pick[k] for k in single_keys}

    unmet_keys, unmet_all_keys = [], []
    for key in idx.demand:
        d, s, y = key
        if idx.services[s].penalty is None:
            if key not in covered:
                pm.unreachable.append(key)
            continue
        (unmet_all_keys if idx.services[s].assignment == "single" else unmet_keys).append(key)
    m.unmet = pyo.Var(unmet_keys, within=pyo.NonNegativeReals, dense=True)
    m.unmet_all = pyo.Var(unmet_all_keys, within=pyo.Binary, dense=True)
    pm.unmet = {k: m.unmet[k] for k in unmet_keys}
    pm.unmet_all = {k: m.unmet_all[k] for k in unmet_all_keys}


# -- constraint families ---------------------------------------------------------------------


def _constraint(pm: PlanModel, name: str, rows: dict) -> None:
    """Add family ``name`` from ``{key: (lower, Affine, upper)}`` (None = unbounded side).

    Rows without variables are left out; one that cannot hold is recorded in ``pm.conflicts``.
    ``rows`` is emptied once the family is built.
    """
    for key in [k for k, (_lo, body, _up) in rows.items() if body.is_constant]:
        lo, body, up = rows.pop(key)
        if (lo is not None and body.constant < lo - 1e-9) or (up is not None and body.constant > up + 1e-9):
            pm.conflicts.append(
                f"{name}[{key}] cannot hold: {body.constant:g} against "
                f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if up is None else f'{up:g}'}]"
            )
    keys = list(rows)

    def rule(m, *key):
        key = key[0] if len(key) == 1 else key
        lo, body, up = rows[key]
        return (lo, body.expr(), up)

    setattr(pm.model, name, pyo.Constraint(keys, rule=rule))
    rows.clear()  # Pyomo keeps the rule, and with it these rows, for the model's life: XL's peak -0.7 GiB


def add_demand_balance(pm: PlanModel) -> None:
    """``Σ_k served + unmet = demand`` for split services; ``Σ_k pick + unmet_all = 1`` for single."""
    idx = pm.index
    balance: dict = {}
    pick_rows: dict = {}
    for (d, _k, s, y), var in list(pm.assign.items()) + list(pm.flow.items()):
        balance.setdefault((d, s, y), Affine()).add(var)
    for (d, _k, s, y), var in pm.pick.items():
        pick_rows.setdefault((d, s, y), Affine()).add(var)
    for key, var in pm.unmet.items():
        balance.setdefault(key, Affine()).add(var)
    for key, var in pm.unmet_all.items():
        pick_rows.setdefault(key, Affine()).add(var)
    _constraint(pm, "demand_balance", {k: (idx.demand[k], a, idx.demand[k]) for k, a in balance.items()})
    _constraint(pm, "single_pick", {k: (1.0, a, 1.0) for k, a in pick_rows.items()})


def add_capacity_limit(pm: PlanModel) -> None:
    """``Σ_d served[d,k,s,y] ≤ u_s · capacity[k,s,y]``."""
    idx = pm.index
    load: dict = defaultdict(Affine)
    for key in list(pm.assign) + list(pm.pick):
        d, k, s, y = key
        load[k, s, y].add_affine(pm.served(d, k, s, y))
    rows = {}
    for (k, s, y), body in load.items():
        body.add_affine(pm.capacity(k, s, y), -idx.services[s].utilisation)
        rows[k, s, y] = (None, body, 0.0)
    _constraint(pm, "capacity_limit", rows)


def add_district_capacity(pm: PlanModel) -> None:
    """``Σ_d flow[d,d',s,y] ≤ u_s · Σ_{k ∈ K(d',s)} capacity[k,s,y]``: what district ``d'`` receives
    for ``s`` fits in the usable capacity of its facilities together. Split among them in
    proportion to their usable capacity (:meth:`PlanModel.placed`), each facility's share meets
    its ``capacity_limit``: the same optimum as the facility-by-facility ``assign``."""
    idx = pm.index
    load: dict = defaultdict(Affine)
    for (_d, dd, s, y), var in pm.flow.items():
        load[dd, s, y].add(var)
    rows = {}
    for (dd, s, y), body in load.items():
        u = idx.services[s].utilisation
        for k in pm.district_facilities(dd, s):
            body.add_affine(pm.capacity(k, s, y), -u)
        rows[dd, s, y] = (None, body, 0.0)
    _constraint(pm, "district_capacity", rows)


def indicator(pm: PlanModel, facility: str, service: str, year: int) -> tuple[Affine, float]:
    """A term that is at least 1 in every whole plan in which ``facility`` has capacity for
    ``service`` in ``year``, and the capacity it stands for per unit:
    ``open[e,y]`` and ``cap[e,s]`` for a site with capacity for ``s``; ``active[o,y]`` and ``c_o``
    for a new building of ``s``; else the sum of ``active`` of the options that add ``s`` there
    (expansions need their host, so they stand for its capacity too), with their largest ``c_o``."""
    idx = pm.index
    if facility in idx.sites and idx.sites[facility].capacity.get(service, 0.0) > 0:
        return pm.open_term(facility, year), idx.sites[facility].capacity[service]
    o = idx.options.get(facility)
    if o is not None and o.service == service:
        return pm.active(o, year), o.capacity
    out, per_unit = Affine(), 0.0
    for hosted in idx.site_options(facility):
        if hosted.service == service:
            out.add_affine(pm.active(hosted, year))
            per_unit = max(per_unit, hosted.capacity)
    return out, per_unit


def add_flow_link(pm: PlanModel) -> None:
    """``flow[d,d',s,y] ≤ demand[d,s,y] · Σ_{k ∈ K(d',s)} I[k,s,y]`` (:func:`indicator`) where no
    facility of ``d'`` is there for certain and ``demand[d,s,y] ≤ u_s · c`` for the largest ``c``
    an indicator stands for: ``assign_link`` of the district, summed over its facilities (the
    same row where ``d'`` has one facility). Implied by ``district_capacity`` for whole plans."""
    idx = pm.index
    rows = {}
    terms: dict = {}
    for (d, dd, s, y), var in pm.flow.items():
        if (dd, s, y) not in terms:
            body, largest, certain = Affine(), 0.0, False
            for k in pm.district_facilities(dd, s):
                term, per_unit = indicator(pm, k, s, y)
                if term.is_constant:
                    certain = certain or term.constant >= 1
                    continue
                body.add_affine(term)
                largest = max(largest, per_unit)
            terms[dd, s, y] = None if certain or not body.coefs else (body, largest)
        found = terms[dd, s, y]
        if found is None:
            continue
        body, largest = found
        demand = idx.demand[d, s, y]
        if demand <= idx.services[s].utilisation * largest:
            rows[d, dd, s, y] = (None, Affine().add(var).add_affine(body, -demand), 0.0)
    _constraint(pm, "flow_link", rows)


def add_assign_link(pm: PlanModel) -> None:
    """``assign[d,o,s,y] ≤ demand[d,s,y] · active[o,y]`` for new options (split services).

    Implied by ``capacity_limit`` for whole plans, but it cuts off the fractional builds of the
    LP relaxation that serve a whole district's demand from a sliver of a building.
    """
    idx = pm.index
    rows = {}
    for (d, k, s, y), var in pm.assign.items():
        o = idx.options.get(k)
        if o is None:
            continue
        demand = idx.demand[d, s, y]
        if demand <= idx.services[s].utilisation * o.capacity:
            body = Affine().add(var).add_affine(pm.active(o, y), -demand)
            rows[d, k, s, y] = (None, body, 0.0)
    _constraint(pm, "assign_link", rows)


def add_capacity_cover(pm: PlanModel) -> None:
    """``Σ_k u_s · capacity[k,s,y] ≥ Σ_d (demand[d,s,y] − unmet[d,s,y])`` per service and year.

    The sum of ``capacity_limit`` over facilities and ``demand_balance`` over districts: implied,
    but as one row it lets HiGHS derive cover and rounding cuts on the integer capacity.
    """
    idx = pm.index
    rows: dict = {}
    for k, s in idx.facility_services:
        for y in idx.years:
            body = rows.setdefault((s, y), [None, Affine(), 0.0])[1]
            body.add_affine(pm.capacity(k, s, y), -idx.services[s].utilisation)
    for (d, s, y), places in idx.demand.items():
        if (s, y) in rows:
            rows[s, y][2] -= places
            rows[s, y][1].add_affine(pm.unmet_places(d, s, y), -1.0)
    _constraint(pm, "capacity_cover", {k: (None, body, rhs) for k, (_lo, body, rhs) in rows.items()})


def reach_groups(index: PlanIndex) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """The groups of ``district_group_cover``: (service, district d, facilities K, districts C),
    where K is the set of facilities within reach of d and C every district that reaches only
    facilities in K (d among them); groups of two districts or more, each set K once (named by
    its first district), and not the group of the whole service (that row is
    ``capacity_cover``'s). In the order of the index, so the same scenario gives the same rows."""
    by_service: dict[str, list[tuple[str, frozenset]]] = defaultdict(list)
    for (d, s), ks in index.reach_of().items():
        by_service[s].append((d, frozenset(ks)))
    everything = {s: frozenset(k for (k, s2) in index.facility_services if s2 == s) for s in by_service}
    rank = {ks: i for i, ks in enumerate(index.facility_services)}
    groups, seen = [], set()
    for s, districts in by_service.items():
        for d, ks in districts:
            if (s, ks) in seen or ks == everything[s]:
                continue
            seen.add((s, ks))
            members = tuple(d2 for d2, k2 in districts if k2 <= ks)
            if len(members) >= 2:
                groups.append((s, d, tuple(sorted(ks, key=lambda k: rank[k, s])), members))
    return groups


def add_district_group_cover(pm: PlanModel) -> None:
    """``Σ_{k∈K} u_s·capacity[k,s,y] ≥ Σ_{d∈C} (demand[d,s,y] − unmet[d,s,y])`` per group of
    :func:`reach_groups` and year: the districts of C can only be served from K.

    The sum of ``demand_balance`` over C and ``capacity_limit`` over K (assignments from K to
    districts outside C dropped): implied, so it cannot change the optimum, but it lets HiGHS
    see that a cluster of districts needs its own capacity; on the default scenario the root
    bound at the first node rises from 2 688.75 to 2 690.2 MSEK (benchmarks/RESULTS.md).
    """
    idx = pm.index
    rows: dict = {}
    for s, d0, ks, members in reach_groups(idx):
        u = idx.services[s].utilisation
        for y in idx.years:
            places = sum(idx.demand.get((d, s, y), 0.0) for d in members)
            if places <= 0:
                continue
            body = Affine()
            for k in ks:
                body.add_affine(pm.capacity(k, s, y), u)
            for d in members:
                body.add_affine(pm.unmet_places(d, s, y))
            rows[s, d0, y] = (places, body, None)
    _constraint(pm, "district_group_cover", rows)


def add_module_limit(pm: PlanModel) -> None:
    """``Σ_t build[o,t] ≤ N_o`` where more than one opening year is possible."""
    rows = {}
    for o in pm.index.options.values():
        if len(o.years) > 1 and o.option not in pm.state_options:  # avail's bound holds it there
            body = Affine()
            for t in o.years:
                body.add(pm.build[o.option, t])
            rows[o.option] = (None, body, float(o.max_modules))
    _constraint(pm, "module_limit", rows)


def add_stays_closed(pm: PlanModel) -> None:
    """``open[e,y] ≤ open[e,y-1]``: a closed site stays closed."""
    rows = {}
    years = pm.index.years
    for x in pm.index.sites.values():
        for a, b in zip(years, years[1:]):
            if (x.site, a) in pm.open and (x.site, b) in pm.open:
                rows[x.site, b] = (None, Affine().add(pm.open[x.site, b]).add(pm.open[x.site, a], -1.0), 0.0)
    _constraint(pm, "stays_closed", rows)


def add_needs_open_site(pm: PlanModel) -> None:
    """``active[o,y] ≤ N_o · open[e,y]`` for expansions and conversions at sites that may close, and
    ``active[o,y] ≤ N_o · active[b,y]`` for those at a build option ``b`` (it must stand)."""
    rows = {}
    for o in pm.index.options.values():
        if o.kind not in SITE_KINDS:
            continue
        for y in pm.index.years:
            active = pm.active(o, y)
            if active.is_constant:
                continue
            host, _most = pm.host_term(o, y)
            if host.is_constant and host.constant >= 1:
                continue
            rows[o.option, y] = (None, active.add_affine(host, -float(o.max_modules)), 0.0)
    _constraint(pm, "needs_open_site", rows)


def add_conversion_limit(pm: PlanModel) -> None:
    """``Σ_{conversions at e from s} cf_o · active[o,y] ≤ cap[e,s]`` at a site, and ``≤ c_b · active[b,y]``
    at a build option ``b`` (the places it has built of ``s``)."""
    idx = pm.index
    rows: dict = {}
    for o in idx.options.values():
        if o.kind != "conversion":
            continue
        for y in idx.years:
            active = pm.active(o, y)
            if active.is_constant:
                continue
            key = (o.facility, o.from_service, y)
            if key not in rows:
                if o.host_is_option:
                    host = idx.options[o.facility]
                    built = host.capacity if host.service == o.from_service else 0.0
                    rows[key] = (None, Affine().add_affine(pm.active(host, y), -built), 0.0)
                else:
                    rows[key] = (None, Affine(), idx.sites[o.facility].capacity.get(o.from_service, 0.0))
            rows[key][1].add_affine(active, o.capacity_from)
    _constraint(pm, "conversion_limit", rows)


def _frame_cap(pm: PlanModel, frame: str, caps: dict[int, float]) -> None:
    """Family ``frame``: what the frame counts in a year (:data:`~allocopt.model.money.FRAMES`) ≤ its cap."""
    if not caps:
        return
    spend = pm.spend()[frame]
    k = pm.money_scale
    _constraint(pm, frame, {y: (None, Affine().add_affine(spend[y], k), cap * k) for y, cap in caps.items()})


def add_capex_cap(pm: PlanModel) -> None:
    """``Σ_p capex^p_y ≤ capex_cap_y``: both parties' capex (the group frame)."""
    _frame_cap(pm, "capex_cap", pm.index.capex_cap)


def add_opex_cap(pm: PlanModel) -> None:
    """``Σ_p (opex^p_y + rent^p_y) ≤ opex_cap_y``: operating cost and external rent (the group frame)."""
    _frame_cap(pm, "opex_cap", pm.index.opex_cap)


def add_investment_cap(pm: PlanModel) -> None:
    """``capex^pc_y ≤ investment_cap_y``: the property company's capex."""
    _frame_cap(pm, "investment_cap", pm.index.investment_cap)


def add_borrowing_cap(pm: PlanModel) -> None:
    """``Σ_{y' ≤ y} (capex^pc_y' − depreciation_y') ≤ borrowing_cap_y``: the property company's debt."""
    _frame_cap(pm, "borrowing_cap", pm.index.borrowing_cap)


def add_operating_cap(pm: PlanModel) -> None:
    """``opex^m_y + rent^m_y + internal_rent^m_y + vacancy_cost^m_y ≤ operating_cap_y``: the municipality's
    operating frame."""
    _frame_cap(pm, "operating_cap", pm.index.operating_cap)


def add_lock_force(pm: PlanModel) -> None:
    """``Σ_{t ≤ Y} build[o,t] ≥ 1`` for options forced by year ``Y``."""
    rows = {}
    for o in pm.index.options.values():
        if o.force_by is not None:
            body = Affine()
            for t in o.years:
                if t <= o.force_by:
                    body.add_affine(pm.build_term(o.option, t))
            rows[o.option] = (1.0, body, None)
    _constraint(pm, "lock_force", rows)


def objective_parties(index: PlanIndex) -> tuple[str, ...]:
    """The parties whose costs the objective sums: both (``consolidated``) or the municipality."""
    return PARTIES if index.perspective == "consolidated" else (MUNICIPALITY,)


def add_total_cost(pm: PlanModel) -> None:
    """The objective ``total_cost`` (SEK, discounted), as models/premises.md states it: the cash flows
    of the perspective's parties, travel and the unmet penalty (the municipality's), less the
    residual value of the parties' assets."""
    idx = pm.index
    parties = objective_parties(idx)
    flows = pm.money()
    total = Affine()
    for y in idx.years:
        total.add_affine(party_total(flows, parties, FLOW_TERMS, y), idx.discount[y])
    km = {(d, k, s): dist for d, k, s, dist in idx.reach}
    for key in list(pm.assign) + list(pm.pick):
        d, k, s, y = key
        rate = idx.services[s].travel_cost
        if rate:
            total.add_affine(pm.served(d, k, s, y), idx.discount[y] * rate * km[d, k, s])
    if pm.flow:
        between = {(d, idx.facility_district[k], s): dist for d, k, s, dist in idx.reach}
        for (d, dd, s, y), var in pm.flow.items():
            rate = idx.services[s].travel_cost
            if rate:
                total.add(var, idx.discount[y] * rate * between[d, dd, s])
    for (_d, s, y), var in pm.unmet.items():
        total.add(var, idx.discount[y] * idx.services[s].penalty)
    for (d, s, y), var in pm.unmet_all.items():
        total.add(var, idx.discount[y] * idx.services[s].penalty * idx.demand[d, s, y])
    for slack in (pm.surplus_under, pm.surplus_over):
        for (_d, s, y), var in slack.items():
            total.add(var, idx.discount[y] * idx.services[s].surplus_cost)
    total.add_affine(pm.adopted_price)  # notional, undiscounted (allocopt.model.adopted_price)
    values = residual(pm)
    for p in parties:
        total.add_affine(values[p], -idx.discount_end)
    scaled = Affine().add_affine(total, pm.money_scale)
    _check_range(pm, scaled)
    pm.model.total_cost = pyo.Objective(expr=scaled.expr(), sense=pyo.minimize)


def _check_range(pm: PlanModel, objective: Affine) -> None:
    """Record in ``pm.out_of_range`` an objective whose largest coefficient reaches
    :data:`MAX_COEFFICIENT`, naming the service whose unmet penalty makes it (the other money
    figures are bounded in validation far below it)."""
    largest = max((abs(c) for c in objective.coefs.values()), default=0.0)
    if largest < MAX_COEFFICIENT:
        return
    idx = pm.index
    worst, worst_coef = None, 0.0
    for s, info in idx.services.items():
        if info.penalty is None:
            continue
        places = (
            max((p for (d, s2, y), p in idx.demand.items() if s2 == s), default=0.0)
            if info.assignment == "single"
            else 1.0
        )
        coef = info.penalty * places * pm.money_scale
        if coef > worst_coef:
            worst, worst_coef = s, coef
    what = (
        (
            f"the unmet penalty of service '{worst}' ({idx.services[worst].penalty:g} SEK per place and year"
            + (
                ", times a district's whole demand for a single-assignment service"
                if idx.services[worst].assignment == "single"
                else ""
            )
            + ")"
        )
        if worst
        else "a money figure"
    )
    pm.out_of_range.append(
        f"{what} makes an objective coefficient of {largest:.3g}, beyond the {MAX_COEFFICIENT:.0e} the solver "
        f"can use beside the scenario's other costs (money scale {pm.money_scale:g}): lower it"
    )


FAMILIES = (
    add_stays_built,
    add_demand_balance,
    add_capacity_limit,
    add_district_capacity,
    add_flow_link,
    add_capacity_cover,
    add_district_group_cover,
    add_module_limit,
    add_stays_closed,
    add_needs_open_site,
    add_conversion_limit,
    add_extension_limit,
    add_permit_limit,
    add_surplus_floor,
    add_surplus_ceiling,
    add_capex_cap,
    add_opex_cap,
    add_investment_cap,
    add_borrowing_cap,
    add_operating_cap,
    add_lock_force,
    add_adopted_price,
)
"""The default formulation's families: split services served district to district (``flow``,
``district_capacity``, ``flow_link``); ``capacity_limit`` is left to single services. On the
default scenario 8 124 columns and 3 020 rows against the ``facility`` formulation's 14 381 and
4 416, the same optimum (benchmarks/RESULTS.md)."""

FACILITY_FAMILIES = tuple(
    add_assign_link if f is add_district_capacity else f for f in FAMILIES if f is not add_flow_link
)
"""Split services served facility by facility (``assign``, ``capacity_limit``, ``assign_link``): the
``facility`` formulation."""

TEXTBOOK_FAMILIES = tuple(
    f for f in FACILITY_FAMILIES if f not in (add_assign_link, add_capacity_cover, add_district_group_cover)
)
"""The plain textbook formulation (facility by facility, no strengthening rows): the benchmarks' baseline."""

FORMULATIONS = {
    "allocopt": (FAMILIES, True),
    "facility": (FACILITY_FAMILIES, True),
    "textbook": (TEXTBOOK_FAMILIES, False),
}
"""Formulation name -> (constraint families, state variables). Split services are assigned
district to district where the families hold ``district_capacity`` (:func:`build_model`)."""

EVALUATION_FAMILIES = (add_demand_balance, add_capacity_limit, add_surplus_floor, add_surplus_ceiling)
"""Families kept when a given plan is evaluated: its decisions are fixed, only service is free (and the
surplus band's slacks, which price the plan's spare places)."""


def build_model(index: PlanIndex, families=FAMILIES, state: bool = True, scale: float | None = None) -> PlanModel:
    """The Pyomo model of ``index``: variables, the constraint ``families``, the objective.

    ``state``: model options whose modules stay for the whole horizon by availability state
    variables ``avail`` (branching on "in service by year y" splits the search evenly) rather
    than by opening-year variables ``build``; the two are the same model. ``scale``: the money
    scale (default :func:`money_scale` of the index). Split services are served district to
    district (``flow``) when ``families`` holds :func:`add_district_capacity`, the rows that bound
    those flows; facility by facility (``assign``) otherwise.
    """
    enabled = gc.isenabled()
    gc.disable()  # the build allocates many small objects; collection passes only cost time
    try:
        pm = PlanModel(
            model=pyo.ConcreteModel(name=index.name),
            index=index,
            money_scale=money_scale(index) if scale is None else scale,
        )
        add_build(pm, state)
        add_extend(pm)
        add_open(pm)
        add_assign(pm, by_district=add_district_capacity in families)
        for family in families:
            family(pm)
        add_total_cost(pm)
        return pm
    finally:
        if enabled:
            gc.enable()
