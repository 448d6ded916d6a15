"""Hypothesis strategies: random SMALL premises scenarios, and ways to derive variants of them.

Money is integer-valued (multiples of 10 SEK) so that tolerance issues cannot mask bugs.
Scenarios are built with the row models, so every one passes the scenario validation.
"""

from __future__ import annotations

import math

import pandas as pd
from hypothesis import strategies as st

from allocopt.scenario import (
    Budget,
    Demand,
    Distance,
    District,
    Lock,
    Option,
    Scenario,
    Service,
    Settings,
    Site,
    SiteCapacity,
)

FIRST = 2026


def money(hi: int, step: int = 10) -> st.SearchStrategy[float]:
    """A multiple of ``step`` SEK in ``0 … hi`` (as a float)."""
    return st.integers(0, hi // step).map(lambda n: float(n * step))


def penalties() -> st.SearchStrategy[float]:
    """SEK per unmet place and year: cheap (unmet demand is often the best answer) or dear."""
    return money(200) | money(3000, 100)


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """``strategy`` or None (a blank cell)."""
    return st.none() | strategy


@st.composite
def scenarios(draw, *, force_caps: bool = False, max_options: int = 5) -> Scenario:
    """A random small scenario, valid by construction.

    2–4 districts on a 10 km grid (sometimes a few ``distances`` overrides); 1–2 services
    (max_km 4–15, utilisation 0.9–1, split or single assignment, travel cost 0–5, penalty a
    number — cheap or dear — or 'forbidden', per service or from the settings); horizon of 2–4
    years from 2026; direct demand 0–200 places per district, service and year; 0–3 existing
    sites (owned or leased, lease_end inside or just outside the horizon, renewable or not,
    may_close with close_from, closure cost, sale value) with capacities; 1–``max_options``
    options of every kind with their kind's fields (conversions only from a service the site
    has); for a service whose unmet demand is forbidden, usually a dear rent-only pavilion in
    every district so that most such scenarios stay feasible; optional capex (and rarely opex)
    caps (always some with ``force_caps``), and the parties' frames (investment, borrowing,
    operating caps); sometimes a lock or two; discount rate 0–5 %, both residual-value rules and
    both capex timings; the two frames: sites' and options' party, a site's internal rent and
    what closing it does (sell, relet, vacant), leases and pavilions that may be extended, now
    and then an expansion or conversion at a build option, both perspectives, both internal-rent
    methods, an internal rate and upkeep, and a cost overrun allowance.
    """
    last = FIRST + draw(st.integers(1, 3), label="extra years")  # horizon 2–4 years
    years = list(range(FIRST, last + 1))

    n_districts = draw(st.integers(2, 4), label="districts")
    districts = [
        District(district=f"D{i}", x_km=float(draw(st.integers(0, 10))), y_km=float(draw(st.integers(0, 10))))
        for i in range(n_districts)
    ]
    dids = [d.district for d in districts]

    n_services = draw(st.integers(1, 2), label="services")
    # the penalty is a service's own (a number or 'forbidden') or, sometimes, the settings' default
    default_penalty = draw(st.sampled_from(["forbidden", None, None]), label="default forbidden") or draw(penalties())
    services = []
    for j in range(n_services):
        penalty = draw(st.sampled_from(["forbidden", None, None]), label=f"forbidden S{j}") or draw(penalties())
        if draw(st.integers(0, 3)) == 0:
            penalty = None
        services.append(
            Service(
                service=f"S{j}",
                max_km=float(draw(st.integers(4, 15))),
                utilisation=draw(st.sampled_from([0.9, 0.95, 1.0])),
                assignment=draw(st.sampled_from(["split", "split", "split", "single"])),
                travel_cost=float(draw(st.sampled_from([0, 0, 1, 2, 5]))),
                unmet_penalty=penalty,
            )
        )
    sids = [s.service for s in services]

    demand = []
    for d in dids:
        for s in sids:
            for y in years:
                places = draw(st.sampled_from([0, 0, 10, 30, 50, 80, 120, 200]) | st.integers(0, 200))
                if places:
                    demand.append(Demand(district=d, service=s, year=y, places=float(places)))

    sites, caps = [], []
    for i in range(draw(st.integers(0, 3), label="sites")):
        tenure = draw(st.sampled_from(["owned", "leased"]))
        may_close = draw(st.booleans())
        lease_end = (
            draw(maybe(st.sampled_from(years) | st.sampled_from([FIRST - 1, last + 1]))) if tenure == "leased" else None
        )
        renewable = draw(st.booleans()) if lease_end is not None else True
        sites.append(
            Site(
                site=f"E{i}",
                district=draw(st.sampled_from(dids)),
                tenure=tenure,
                opex=draw(money(2000)),
                rent=draw(money(2000)) if tenure == "leased" else 0.0,
                lease_end=lease_end,
                renewable=renewable,
                renewal_rent=draw(maybe(money(2000))) if lease_end is not None else None,
                may_close=may_close,
                close_from=draw(maybe(st.sampled_from([*years, last + 1]))) if may_close else None,
                closure_cost=draw(money(2000)),
                sale_value=draw(money(5000)) if tenure == "owned" else 0.0,
                **draw(_site_holding(tenure)),
            )
        )
        for s in sids:
            if draw(st.booleans()):
                caps.append(SiteCapacity(site=f"E{i}", service=s, capacity=float(draw(st.integers(1, 20)) * 10)))
    cap_pairs = {(c.site, c.service) for c in caps}

    options = []
    for i in range(draw(st.integers(1, max_options), label="options")):
        kind = draw(st.sampled_from(["build", "lease", "pavilion", "expansion", "conversion", "conversion"]))
        service = draw(st.sampled_from(sids))
        fields: dict = {}
        if kind == "conversion":
            pairs = [(e, f) for (e, f) in sorted(cap_pairs) if f != service]
            if not pairs:
                kind = "expansion"
            else:
                site, from_service = draw(st.sampled_from(pairs))
                fields = dict(
                    site=site,
                    from_service=from_service,
                    capacity_from=draw(maybe(st.integers(1, 10).map(lambda n: float(10 * n)))),
                )
        if kind == "expansion":
            if not sites:
                kind = "build"
            else:
                fields = dict(site=draw(st.sampled_from([x.site for x in sites])))
        if kind in ("build", "lease", "pavilion"):
            fields = dict(district=draw(st.sampled_from(dids)))
        if kind in ("lease", "pavilion"):
            fields["term"] = draw(st.integers(1, 4))
            fields["extension_rent"] = draw(st.none() | st.none() | money(2000))
        else:
            fields["lifetime"] = draw(maybe(st.integers(1, 6)))
        options.append(
            Option(
                option=f"O{i}",
                kind=kind,
                service=service,
                capacity=float(draw(st.integers(1, 10)) * 10),
                max_modules=draw(st.integers(1, 3)),
                capex=draw(money(2000 if kind == "conversion" else 10000, 100)),
                opex=draw(money(1000)),
                rent=draw(money(2000)) if kind in ("lease", "pavilion") else draw(st.sampled_from([0.0, 0.0, 100.0])),
                earliest_year=draw(maybe(st.sampled_from(years))),
                lead_time=draw(st.sampled_from([0, 0, 1, 2])),
                party=draw(st.none() | st.none() | st.sampled_from(["municipality", "property_company"])),
                **fields,
            )
        )
    builds = [o for o in options if o.kind == "build"]
    if builds and draw(st.integers(0, 2), label="conversion at a build?") == 0:
        host = draw(st.sampled_from(builds))
        to = [s for s in sids if s != host.service]
        kind = draw(st.sampled_from(["conversion", "expansion"])) if to else "expansion"
        options.append(
            Option(
                option=f"C{len(options)}",
                kind=kind,
                site=host.option,
                service=draw(st.sampled_from(to)) if kind == "conversion" else host.service,
                from_service=host.service if kind == "conversion" else None,
                capacity=float(draw(st.integers(1, 5)) * 10),
                max_modules=draw(st.integers(1, 2)),
                capex=draw(money(2000, 100)),
                lead_time=draw(st.sampled_from([0, 1])),
            )
        )

    for s in services:
        # unmet demand forbidden: usually give every district a dear but sure way out, so that
        # most such scenarios are feasible (a rent-only pavilion: capex caps cannot block it)
        own = s.unmet_penalty if s.unmet_penalty is not None else default_penalty
        if own == "forbidden" and draw(st.integers(0, 3), label="backup?") > 0:
            for d in dids:
                options.append(
                    Option(
                        option=f"B_{s.service}_{d}",
                        kind="pavilion",
                        district=d,
                        service=s.service,
                        capacity=100.0,
                        max_modules=3,
                        rent=draw(money(5000, 500)),
                        term=4,
                    )
                )

    budget = []
    if force_caps or draw(st.booleans(), label="caps?"):
        for y in years:
            capex_cap = draw(
                maybe(st.sampled_from([0.0, 500.0, 1000.0, 3000.0]) | money(20000, 100)), label="capex cap"
            )
            opex_cap = draw(st.none() | st.none() | st.none() | money(20000, 100), label="opex cap")
            frames = {
                column: draw(st.none() | st.none() | st.none() | money(20000, 100), label=column)
                for column in ("investment_cap", "borrowing_cap", "operating_cap")
            }
            if capex_cap is not None or opex_cap is not None or any(v is not None for v in frames.values()):
                budget.append(Budget(year=y, capex_cap=capex_cap, opex_cap=opex_cap, **frames))

    locks = []
    if draw(st.integers(0, 3), label="locks?") == 0:
        for _ in range(draw(st.integers(1, 2))):
            target = draw(st.sampled_from(["option", "site"] if sites else ["option"]))
            if target == "option":
                lock = Lock(
                    target="option",
                    id=draw(st.sampled_from([o.option for o in options])),
                    rule=draw(st.sampled_from(["force", "forbid"])),
                    year=draw(maybe(st.sampled_from(years))),
                )
            else:
                lock = Lock(
                    target="site",
                    id=draw(st.sampled_from([x.site for x in sites])),
                    rule=draw(st.sampled_from(["keep_open", "close"])),
                    year=draw(maybe(st.sampled_from(years))),
                )
            if (lock.target, lock.id) not in {(x.target, x.id) for x in locks}:
                locks.append(lock)

    distances = []
    if draw(st.integers(0, 3), label="distances?") == 0:
        for _ in range(draw(st.integers(1, 3))):
            a, b = draw(st.sampled_from(dids)), draw(st.sampled_from(dids))
            if (a, b) not in {(x.from_district, x.to_district) for x in distances}:
                distances.append(Distance(from_district=a, to_district=b, km=float(draw(st.integers(0, 20)))))

    settings = Settings(
        name="prop",
        first_year=FIRST,
        last_year=last,
        unmet_penalty=default_penalty,
        discount_rate=draw(st.sampled_from([0.0, 0.01, 0.025, 0.05])),
        residual_value=draw(st.sampled_from(["straight_line", "none"])),
        capex_timing=draw(st.sampled_from(["spread", "opening"])),
        capex_overrun=draw(st.sampled_from([0.0, 0.0, 0.17])),
        perspective=draw(st.sampled_from(["consolidated", "consolidated", "municipality"])),
        internal_rent_method=draw(st.sampled_from(["cost_based", "cost_based", "none"])),
        internal_rate=draw(st.sampled_from([0.0, 0.025, 0.1])),
        internal_upkeep=draw(st.sampled_from([0.0, 0.0, 10.0])),
    )
    return Scenario(
        settings=settings,
        districts=districts,
        services=services,
        demand=demand,
        sites=sites,
        site_capacities=caps,
        options=options,
        budget=budget,
        locks=locks,
        distances=distances,
    )


@st.composite
def plans(draw, scenario: Scenario, near: pd.DataFrame | None = None) -> pd.DataFrame:
    """A random plan for ``scenario`` as an actions table: some options opening (in their
    opening years, in whole modules, within max_modules) and some sites closing. With ``near``
    (an actions table, e.g. the optimal plan), a variation of it: each of its rows kept or
    dropped, then random openings and closures added.

    Conversions stay within the capacity they convert (``conversion_limit``; at a build option the
    places the plan builds there): a plan beyond it is refused by the evaluation. The optimal
    plan's ``extend`` rows are kept or dropped like the others.
    """
    years = scenario.years
    convertible = {(c.site, c.service): c.capacity for c in scenario.site_capacities}
    rows, used, closed = [], {}, set()
    options = {o.option: o for o in scenario.options}
    for row in [] if near is None else near.to_dict("records"):
        if draw(st.integers(0, 3)) == 0:  # drop a quarter of the rows
            continue
        if row["action"] in ("close", "lease_end"):  # evaluate reads either word as the closure
            rows.append({"year": int(row["year"]), "action": row["action"], "site": row["site"]})
            closed.add(row["site"])
            continue
        o = options[row["option"]]
        m = int(row["modules"])
        if row["action"] == "extend":
            rows.append({"year": int(row["year"]), "action": "extend", "option": o.option, "modules": m})
            continue
        used[o.option] = used.get(o.option, 0) + m
        if o.kind == "build":  # a build converted later: its places may be converted
            convertible[o.option, o.service] = convertible.get((o.option, o.service), 0.0) + m * o.capacity
        if o.kind == "conversion":
            key = (o.site, o.from_service)
            convertible[key] = convertible.get(key, 0.0) - m * (
                o.capacity_from if o.capacity_from is not None else o.capacity
            )
        rows.append({"year": int(row["year"]), "action": o.kind, "option": o.option, "modules": m})
    odds = 3 if near is None else 5  # 1 in odds: an option opens, a site closes
    for o in scenario.options:
        start = max(o.earliest_year if o.earliest_year is not None else years[0], years[0] + o.lead_time)
        opening = [y for y in years if y >= start]
        if not opening or draw(st.integers(1, odds)) != 1:
            continue
        left = o.max_modules - used.get(o.option, 0)
        if o.kind == "conversion":
            per_module = o.capacity_from if o.capacity_from is not None else o.capacity
            key = (o.site, o.from_service)
            left = max(0, min(left, int(convertible.get(key, 0.0) // per_module)))
            convertible[key] = convertible.get(key, 0.0) - left * per_module
        for y in sorted(draw(st.sets(st.sampled_from(opening), min_size=1, max_size=2))):
            if left:
                m = draw(st.integers(1, left))
                left -= m
                rows.append({"year": y, "action": o.kind, "option": o.option, "modules": m})
                if o.kind == "build":
                    convertible[o.option, o.service] = convertible.get((o.option, o.service), 0.0) + m * o.capacity
    for x in scenario.sites:
        if (
            x.site not in closed
            and (x.may_close or (x.tenure == "leased" and x.lease_end is not None))
            and draw(st.integers(1, odds)) == 1
        ):
            rows.append({"year": draw(st.sampled_from(years)), "action": "close", "site": x.site})
    return pd.DataFrame(rows, columns=["year", "action", "option", "site", "modules"])


# ----------------------------------------------------------------------------- derived scenarios


def rebuild(scenario: Scenario, **tables) -> Scenario:
    """``scenario`` with some tables (or ``settings``) replaced, validated again."""
    data = {name: getattr(scenario, name) for name in Scenario.model_fields}
    data.update(tables)
    return Scenario(**data)


@st.composite
def _site_holding(draw, tenure: str) -> dict:
    """Who holds a site, its internal rent and what closing it does (owned sites only)."""
    party = draw(st.none() | st.none() | st.sampled_from(["municipality", "property_company"]))
    holder = party or ("property_company" if tenure == "owned" else "municipality")
    out: dict = {"party": party}
    if holder == "property_company":  # elsewhere validation warns of a rent it ignores
        out["internal_rent"] = draw(st.none() | st.none() | money(2000))
    if tenure == "owned":
        rule = draw(st.sampled_from(["sell", "sell", "relet", "vacant"]))
        out["on_close"] = rule
        if rule == "relet":
            out["relet_rent"] = draw(money(1000))
        if rule == "vacant":
            out["vacancy_cost"] = draw(money(1000))
    return out


def _times(value, lam: float):
    return None if value is None else value * lam


def scale_costs(scenario: Scenario, lam: float) -> Scenario:
    """Every money figure (and the caps) multiplied by ``lam``."""

    def penalty(p):
        return p if p is None or p == "forbidden" else p * lam

    services = [
        s.model_copy(update=dict(travel_cost=s.travel_cost * lam, unmet_penalty=penalty(s.unmet_penalty)))
        for s in scenario.services
    ]
    sites = [
        x.model_copy(
            update=dict(
                opex=x.opex * lam,
                rent=x.rent * lam,
                renewal_rent=_times(x.renewal_rent, lam),
                closure_cost=x.closure_cost * lam,
                sale_value=x.sale_value * lam,
                internal_rent=_times(x.internal_rent, lam),
                relet_rent=x.relet_rent * lam,
                vacancy_cost=x.vacancy_cost * lam,
            )
        )
        for x in scenario.sites
    ]
    options = [
        o.model_copy(
            update=dict(
                capex=o.capex * lam, opex=o.opex * lam, rent=o.rent * lam, extension_rent=_times(o.extension_rent, lam)
            )
        )
        for o in scenario.options
    ]
    caps = ("capex_cap", "opex_cap", "investment_cap", "borrowing_cap", "operating_cap")
    budget = [b.model_copy(update={c: _times(getattr(b, c), lam) for c in caps}) for b in scenario.budget]
    settings = scenario.settings.model_copy(
        update=dict(
            unmet_penalty=penalty(scenario.settings.unmet_penalty),
            internal_upkeep=scenario.settings.internal_upkeep * lam,
        )
    )
    return rebuild(scenario, settings=settings, services=services, sites=sites, options=options, budget=budget)


def with_ample_capacity(scenario: Scenario) -> Scenario:
    """An extra owned, never-closing site (no running cost, held by the municipality: no internal
    rent) in every district with room for all demand, every service reaching far, a district 0 km
    from itself, and a positive penalty wherever it was 0 (so that leaving demand unmet is never a
    tie)."""
    total: dict = {}
    for d in scenario.demand:
        total[d.service, d.year] = total.get((d.service, d.year), 0.0) + d.places
    room = {
        s.service: math.ceil(max([v for (s2, _), v in total.items() if s2 == s.service] + [0.0]) / s.utilisation) + 10
        for s in scenario.services
    }
    services = [
        s.model_copy(
            update=dict(
                max_km=100.0, unmet_penalty=10.0 if scenario.unmet_penalty(s.service) == 0.0 else s.unmet_penalty
            )
        )
        for s in scenario.services
    ]
    sites = list(scenario.sites) + [
        Site(site=f"AMPLE_{d.district}", district=d.district, party="municipality") for d in scenario.districts
    ]
    caps = list(scenario.site_capacities) + [
        SiteCapacity(site=f"AMPLE_{d.district}", service=s, capacity=float(room[s]))
        for d in scenario.districts
        for s in room
    ]
    distances = [x for x in scenario.distances if x.from_district != x.to_district]
    return rebuild(scenario, services=services, sites=sites, site_capacities=caps, distances=distances)


def scenario_code(scenario: Scenario) -> str:
    """The scenario as Python code (for reporting a counterexample)."""

    def rows(name):
        items = getattr(scenario, name)
        if not items:
            return None
        cls = type(items[0]).__name__
        inner = ",\n        ".join(
            f"{cls}({', '.join(f'{k}={v!r}' for k, v in r.model_dump(exclude_defaults=True).items())})" for r in items
        )
        return f"    {name}=[\n        {inner}],"

    settings = scenario.settings.model_dump(exclude_defaults=True)
    body = [f"    settings=Settings({', '.join(f'{k}={v!r}' for k, v in settings.items())}),"]
    body += [r for r in (rows(n) for n in Scenario.model_fields if n != "settings") if r]
    return "Scenario(\n" + "\n".join(body) + "\n)"
