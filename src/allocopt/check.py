"""The independent plan checker: every constraint family and every cost, checked.

``check(scenario, result)`` reads the plan off ``result.actions`` and compares it, and the result
tables, with what :mod:`allocopt.check_costs` re-derives from the scenario alone (``build``,
``active``, ``open``, ``capacity``, demand, km, costs per year and the objective; never through
the model, the solver or their index and demand code).

Each family is one function ``check_<family>(rc)``; :func:`check` calls them in the order of
:data:`FAMILIES`. The families of ``models/premises.md`` keep their names; the checker adds
``opening_year``, ``lock_forbid``, ``lock_keep_open``, ``lock_close``, ``close_from``,
``lease_end`` (a non-renewable lease not closed by ``lease_end + 1``), ``reach``,
``unmet_forbidden`` and the table families ``balance_table``, ``assignments_table``,
``actions_table``, ``costs_table`` and ``objective``.

Tolerances: places ``1e-6·max(1, |reference|) + 1e-5``; money relative ``1e-6`` (denominator
``max(|value|, 1)``); modules ``1e-6``. ``amount`` is in places, SEK, modules or years as fits the
family (stated in each function).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, get_args

import pandas as pd

from allocopt.check_costs import (
    COMPARED_COLUMNS, Recomputed, cf, closure_cost, numeric, recompute, sale_value,
)
from allocopt.result import Result
from allocopt.scenario import Option, OptionKind, Scenario

FAMILIES: tuple[str, ...] = (
    "demand_balance", "capacity_limit", "module_limit", "stays_closed", "needs_open_site",
    "conversion_limit", "capex_cap", "opex_cap", "lock_force", "single_assign",
    "opening_year", "lock_forbid", "lock_keep_open", "lock_close", "close_from", "lease_end",
    "reach", "unmet_forbidden", "balance_table", "assignments_table", "actions_table",
    "costs_table", "objective",
)
"""Every family the checker reports, in the order :func:`check` runs them (and sorts by)."""

MODULE_TOL = 1e-6


def places_tol(reference: float) -> float:
    """Absolute tolerance for a place quantity of size ``reference``."""
    return 1e-6 * max(1.0, abs(reference)) + 1e-5


def money_tol(reference: float) -> float:
    """Absolute tolerance for a money figure of size ``reference`` (relative 1e-6)."""
    return 1e-6 * max(1.0, abs(reference))


@dataclass(frozen=True)
class Violation:
    """One broken constraint or inconsistent figure.

    ``keys`` locates it (``district``, ``service``, ``year``, ``site``, ``option``, ``column``);
    ``amount`` is by how much it is broken (places, SEK, modules or years; always ≥ 0).
    """

    family: str
    keys: dict[str, Any] = field(hash=False)
    amount: float
    message: str

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.keys.items())
        return f"{self.family}[{where}]: {self.message} (by {self.amount:.6g})"

    def sort_key(self) -> tuple:
        rank = FAMILIES.index(self.family) if self.family in FAMILIES else len(FAMILIES)
        keys = tuple((k, (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v)))
                     for k, v in sorted(self.keys.items()))
        amount = self.amount if not math.isnan(self.amount) else -1.0
        return (rank, self.family, keys, amount, self.message)


def _v(family: str, amount: float, message: str, **keys: Any) -> Violation:
    """A violation with plain Python key values (numpy scalars unwrapped)."""
    clean = {k: (v.item() if hasattr(v, "item") else v) for k, v in keys.items()}
    return Violation(family, clean, float(amount), message)


def _size(x: Any) -> float:
    """|x| of a table cell, 0 when blank."""
    try:
        v = abs(float(x))
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(v) else v


def _served(rc: Recomputed) -> pd.Series:
    """Σ_k assign[d,k,s,y] from the assignments table (places)."""
    a = rc.assignments.dropna(subset=["year"])
    return a.groupby(["district", "service", a["year"].astype(int)])["places"].sum()


def _unmet(rc: Recomputed) -> pd.Series:
    b = rc.balance.dropna(subset=["year"])
    return b.groupby(["district", "service", b["year"].astype(int)])["unmet"].sum()


# ----------------------------------------------------------------- the families of premises.md


def check_demand_balance(rc: Recomputed) -> list[Violation]:
    """Σ_k assign[d,k,s,y] + unmet[d,s,y] = demand[d,s,y] (amount: places)."""
    f = rc.demand.to_frame()
    f["served"] = _served(rc).reindex(f.index, fill_value=0.0).fillna(0.0)
    f["unmet"] = _unmet(rc).reindex(f.index, fill_value=0.0).fillna(0.0)
    gap = (f["served"] + f["unmet"] - f["demand"]).abs()
    bad = f[gap > 1e-6 * f["demand"].abs().clip(lower=1.0) + 1e-5]
    return [_v("demand_balance", abs(r.served + r.unmet - r.demand),
               f"served {r.served:.6g} + unmet {r.unmet:.6g} differs from demand {r.demand:.6g} places",
               district=d, service=s, year=int(y))
            for (d, s, y), r in bad.iterrows()]


def check_capacity_limit(rc: Recomputed) -> list[Violation]:
    """Σ_d assign[d,k,s,y] ≤ u_s · capacity[k,s,y] for (k,s) ∈ KS (amount: places)."""
    a = rc.assignments.dropna(subset=["year"])
    load = a.groupby(["site", "service", a["year"].astype(int)])["places"].sum().to_dict()
    out = []
    for k, s in sorted(rc.ks):
        u = rc.services[s].utilisation
        for y in rc.years:
            usable, used = u * rc.capacity(k, s, y), load.get((k, s, y), 0.0)
            if used > usable + places_tol(max(abs(usable), used)):
                out.append(_v("capacity_limit", used - usable,
                              f"{used:.6g} places served at {k} for {s}, usable capacity {usable:.6g}",
                              site=k, service=s, year=y))
    return out


def check_module_limit(rc: Recomputed) -> list[Violation]:
    """Σ_t build[o,t] ≤ N_o (amount: modules)."""
    total: dict[str, float] = defaultdict(float)
    for (o, _), m in rc.build.items():
        total[o] += m
    return [_v("module_limit", m - rc.options[o].max_modules,
               f"{m:g} modules of {o} taken, at most {rc.options[o].max_modules}", option=o)
            for o, m in sorted(total.items()) if m > rc.options[o].max_modules + MODULE_TOL]


def check_stays_closed(rc: Recomputed) -> list[Violation]:
    """A site closes at most once, within the horizon, and is not open again (amount: 1 per case)."""
    out, first = [], {}
    closes = rc.actions[rc.actions["action"] == "close"].sort_values("year", kind="stable")
    for row in closes.to_dict("records"):
        e, y = row.get("site"), row["year"]
        year = None if math.isnan(y) else int(y)
        if e not in rc.sites:
            out.append(_v("stays_closed", 1, f"close row for unknown site '{e}'", site=e, year=year))
        elif year is None or not rc.y0 <= year <= rc.last:
            out.append(_v("stays_closed", 1, f"site {e} closed in {year}, outside the horizon", site=e, year=year))
        elif e in first:
            out.append(_v("stays_closed", 1, f"site {e} closed again in {year} (first closed {first[e]})",
                          site=e, year=year))
        else:
            first[e] = year
    u = rc.result.utilisation
    if len(u) and {"site", "kind", "year", "open"} <= set(u.columns):
        u = numeric(u[u["kind"] == "site"], ["year", "open"])
        for row in u.to_dict("records"):
            c = rc.close_year.get(row["site"])
            if c is not None and row["year"] >= c and row["open"] > 0.5:
                out.append(_v("stays_closed", 1, f"site {row['site']} closed in {c} is open again",
                              site=row["site"], year=int(row["year"])))
    return out


def check_needs_open_site(rc: Recomputed) -> list[Violation]:
    """active[o,y] ≤ N_o · open[e,y] for expansions and conversions (amount: modules)."""
    return [_v("needs_open_site", rc.active[(o.option, y)],
               f"{rc.active[(o.option, y)]:g} modules of {o.option} in service at closed site {e}",
               option=o.option, site=e, year=y)
            for e, opts in sorted(rc.site_options.items()) for o in opts for y in rc.years
            if rc.active.get((o.option, y), 0.0) > MODULE_TOL and not rc.is_open(e, y)]


def check_conversion_limit(rc: Recomputed) -> list[Violation]:
    """Σ_{o conversion at e from s} cf_o·active[o,y] ≤ cap[e,s] (amount: places)."""
    groups: dict[tuple[str, str], list[Option]] = defaultdict(list)
    for e, opts in rc.site_options.items():
        for o in opts:
            if o.kind == "conversion":
                groups[(e, o.from_service)].append(o)
    out = []
    for (e, s), opts in sorted(groups.items()):
        limit = rc.cap.get((e, s), 0.0)
        for y in rc.years:
            moved = sum(cf(o) * rc.active.get((o.option, y), 0.0) for o in opts)
            if moved > limit + places_tol(limit):
                out.append(_v("conversion_limit", moved - limit,
                              f"{moved:.6g} places of {s} converted at {e}, which has {limit:.6g}",
                              site=e, service=s, year=y))
    return out


def _spend_cap(rc: Recomputed, family: str, spend: pd.Series, column: str) -> list[Violation]:
    out = []
    for b in rc.scenario.budget:
        cap = getattr(b, column)
        if cap is not None and b.year in spend.index and spend[b.year] > cap + money_tol(cap):
            out.append(_v(family, spend[b.year] - cap,
                          f"{spend[b.year]:.10g} SEK spent, cap {cap:.10g} SEK", year=b.year))
    return out


def check_capex_cap(rc: Recomputed) -> list[Violation]:
    """Σ_o Σ_t capex_o·pay[o,t,y]·build[o,t] ≤ capex_cap_y (amount: SEK)."""
    return _spend_cap(rc, "capex_cap", rc.costs["capex"], "capex_cap")


def check_opex_cap(rc: Recomputed) -> list[Violation]:
    """Operating cost plus rent of open sites and active modules ≤ opex_cap_y (amount: SEK)."""
    return _spend_cap(rc, "opex_cap", rc.costs["opex"] + rc.costs["rent"], "opex_cap")


def check_lock_force(rc: Recomputed) -> list[Violation]:
    """A forced option opens (≥ 1 module) no later than the lock's year (blank: last year)."""
    out = []
    for lock in rc.scenario.locks:
        if lock.rule == "force":
            by = lock.year if lock.year is not None else rc.last
            built = sum(m for (o, t), m in rc.build.items() if o == lock.id and t <= by)
            if built < 1 - MODULE_TOL:
                out.append(_v("lock_force", 1 - built, f"option {lock.id} must open by {by}",
                              option=lock.id, year=by))
    return out


def check_single_assign(rc: Recomputed) -> list[Violation]:
    """With assignment 'single', a district's demand is served whole at one facility (amount: places)."""
    single = {s for s, svc in rc.services.items() if svc.assignment == "single"}
    a = rc.assignments[rc.assignments["service"].isin(single)].dropna(subset=["year"])
    a = a.groupby(["district", "service", a["year"].astype(int), "site"])["places"].sum()
    out = []
    for (d, s, y), g in a.groupby(level=[0, 1, 2]):
        dem = float(rc.demand.get((d, s, y), 0.0))
        g = g[g > places_tol(dem)].droplevel([0, 1, 2])
        if len(g) > 1:
            out.append(_v("single_assign", g.sum() - g.max(),
                          f"{d} served by {', '.join(map(str, g.index))} for single-assigned {s}",
                          district=d, service=s, year=y))
        elif len(g) == 1 and dem - g.iloc[0] > places_tol(dem):
            out.append(_v("single_assign", dem - g.iloc[0],
                          f"{d} served only {g.iloc[0]:.6g} of {dem:.6g} places at {g.index[0]}",
                          district=d, service=s, year=y))
    return out


# ------------------------------------------------------------------ years, locks and closures


def check_opening_year(rc: Recomputed) -> list[Violation]:
    """max(earliest_year, y0 + lead_time) ≤ opening year ≤ T (amount: years)."""
    out = []
    for (o, t), m in sorted(rc.build.items()):
        opt = rc.options[o]
        lo = max(opt.earliest_year or rc.y0, rc.y0 + opt.lead_time)
        if abs(m) > MODULE_TOL and (t < lo or t > rc.last):
            why = f"before {lo} (earliest year, first year + lead time {opt.lead_time})" if t < lo \
                else f"after the last year {rc.last}"
            out.append(_v("opening_year", lo - t if t < lo else t - rc.last, f"{o} opens in {t}, {why}",
                          option=o, year=t))
    return out


def check_lock_forbid(rc: Recomputed) -> list[Violation]:
    """A forbidden option is never chosen (amount: modules)."""
    forbidden = {lock.id for lock in rc.scenario.locks if lock.rule == "forbid"}
    return [_v("lock_forbid", m, f"forbidden option {o} opens {m:g} modules in {t}", option=o, year=t)
            for (o, t), m in sorted(rc.build.items()) if o in forbidden and abs(m) > MODULE_TOL]


def check_lock_keep_open(rc: Recomputed) -> list[Violation]:
    """A kept site stays open through the lock's year (blank: every year) (amount: years closed)."""
    out = []
    for lock in rc.scenario.locks:
        c = rc.close_year.get(lock.id)
        through = lock.year if lock.year is not None else rc.last
        if lock.rule == "keep_open" and c is not None and c <= through:
            out.append(_v("lock_keep_open", through - c + 1,
                          f"site {lock.id} closes in {c}, must stay open through {through}", site=lock.id, year=c))
    return out


def check_lock_close(rc: Recomputed) -> list[Violation]:
    """A site locked to close is closed no later than the lock's year (blank: first year) (amount: years)."""
    out = []
    for lock in rc.scenario.locks:
        if lock.rule == "close":
            by = lock.year if lock.year is not None else rc.y0
            c = rc.close_year.get(lock.id, rc.last + 1)
            if c > by:
                out.append(_v("lock_close", c - by, f"site {lock.id} must be closed by {by}",
                              site=lock.id, year=by))
    return out


def check_close_from(rc: Recomputed) -> list[Violation]:
    """Only a site that may close is closed, not before close_from; a leased site may always close
    after its lease_end (amount: years closed too early)."""
    out = []
    for e, c in sorted(rc.close_year.items()):
        site = rc.sites[e]
        if site.tenure == "leased" and site.lease_end is not None and c > site.lease_end:
            continue
        first = (site.close_from or rc.y0) if site.may_close else rc.last + 1
        if c < first:
            why = f"before close_from {first}" if site.may_close else "but may not close"
            out.append(_v("close_from", first - c, f"site {e} closes in {c}, {why}", site=e, year=c))
    return out


def check_lease_end(rc: Recomputed) -> list[Violation]:
    """A non-renewable lease is closed by lease_end + 1 (amount: years kept open after it)."""
    out = []
    for e, site in sorted(rc.sites.items()):
        if site.tenure != "leased" or site.lease_end is None or site.renewable:
            continue
        due, c = max(rc.y0, site.lease_end + 1), rc.close_year.get(e, rc.last + 1)
        if due <= rc.last and c > due:
            out.append(_v("lease_end", min(c, rc.last + 1) - due,
                          f"non-renewable lease {e} ends {site.lease_end} but is not closed in {due}",
                          site=e, year=due))
    return out


# ----------------------------------------------------------------- assignments and the tables


def check_reach(rc: Recomputed) -> list[Violation]:
    """Assignments only to facilities offering the service within max_km (amount: places)."""
    a = rc.assignments.dropna(subset=["year"])
    a = a.groupby(["district", "site", "service", a["year"].astype(int)])["places"].sum()
    districts = {x.district for x in rc.scenario.districts}
    out = []
    for (d, k, s, y), places in a.items():
        if not places > places_tol(0.0):
            continue
        km = rc.km(d, rc.facility_district[k]) if k in rc.facility_district and d in districts else None
        if s not in rc.services or d not in districts:
            why = "unknown district or service"
        elif (k, s) not in rc.ks:
            why = f"{k} does not offer {s}" if k in rc.facility_district else f"{k} is not a site or a new option"
        elif km is None:
            why = f"{k} is unreachable from {d} (no distance, no coordinates)"
        elif km > rc.services[s].max_km + 1e-9:
            why = f"{k} is {km:.6g} km from {d}, beyond max_km {rc.services[s].max_km:g}"
        else:
            continue
        out.append(_v("reach", places, f"{places:.6g} places assigned: {why}", district=d, site=k, service=s, year=y))
    return out


def check_unmet_forbidden(rc: Recomputed) -> list[Violation]:
    """unmet[d,s,y] = 0 where the service's penalty is 'forbidden' (amount: places)."""
    return [_v("unmet_forbidden", u, f"{u:.6g} places unmet but unmet demand of {s} is forbidden",
               district=d, service=s, year=y)
            for (d, s, y), u in _unmet(rc).items()
            if s in rc.services and rc.scenario.unmet_penalty(s) is None
            and u > places_tol(float(rc.demand.get((d, s, y), 0.0)))]


def check_balance_table(rc: Recomputed) -> list[Violation]:
    """The balance table: demand as recomputed, served = Σ assignments, unmet ≥ 0, one row per
    district, service and year with demand (amount: places)."""
    demand, served = rc.demand.to_dict(), _served(rc).to_dict()
    out, seen = [], set()
    for row in rc.balance.to_dict("records"):
        d, s, y = row.get("district"), row.get("service"), row["year"]
        key = (d, s, None if math.isnan(y) else int(y))
        if key not in demand or key in seen:
            why = "duplicate row" if key in seen else "row for an unknown district, service or year"
            out.append(_v("balance_table", _size(row["demand"]), why, district=d, service=s, year=key[2]))
            continue
        seen.add(key)
        dem, tol = demand[key], places_tol(demand[key])
        for col, want in (("demand", dem), ("served", served.get(key, 0.0))):
            if not abs(row[col] - want) <= tol:
                out.append(_v("balance_table", abs(row[col] - want), f"{col} {row[col]:.6g}, recomputed {want:.6g}",
                              district=d, service=s, year=key[2], column=col))
        if row["unmet"] < -tol:
            out.append(_v("balance_table", -row["unmet"], f"negative unmet {row['unmet']:.6g}",
                          district=d, service=s, year=key[2], column="unmet"))
    out += [_v("balance_table", dem, f"no row for demand {dem:.6g} places", district=d, service=s, year=y)
            for (d, s, y), dem in demand.items() if (d, s, y) not in seen and dem > places_tol(dem)]
    return out


def check_assignments_table(rc: Recomputed) -> list[Violation]:
    """The assignments table: years in the horizon, places ≥ 0, km as recomputed (amount: places or km)."""
    out = []
    for row in rc.assignments.to_dict("records"):
        d, k, s, y, places = row.get("district"), row.get("site"), row.get("service"), row["year"], row["places"]
        keys = dict(district=d, site=k, service=s, year=None if math.isnan(y) else int(y))
        if keys["year"] not in rc.years:
            out.append(_v("assignments_table", _size(places), "year outside the horizon", **keys))
        if places < -places_tol(0.0):
            out.append(_v("assignments_table", -places, f"negative places {places:.6g}", **keys, column="places"))
        km = rc.km(d, rc.facility_district[k]) if k in rc.facility_district else None
        if km is not None and not abs(row["km"] - km) <= 1e-6 * max(1.0, km):
            out.append(_v("assignments_table", _size(row["km"] - km) if not math.isnan(row["km"]) else km,
                          f"km {row['km']:.6g}, recomputed {km:.6g}", **keys, column="km"))
    return out


def check_actions_table(rc: Recomputed) -> list[Violation]:
    """Every action row reads as a decision: a known option of that kind in whole modules, or a
    closure; its capex, decision_year, closure_cost and sale_value as recomputed (blank = not
    checked) (amount: modules, SEK or years)."""
    out = []
    for row in rc.actions.to_dict("records"):
        act, y = row.get("action"), row["year"]
        year = None if math.isnan(y) else int(y)
        if act == "close":
            site = rc.sites.get(row.get("site"))
            checks = [] if site is None or year is None else [
                ("closure_cost", closure_cost(site, year)), ("sale_value", sale_value(site))]
            keys = dict(site=row.get("site"), year=year)
        elif act in get_args(OptionKind):
            o, m = row.get("option"), row["modules"]
            keys = dict(option=o, year=year)
            opt = rc.options.get(o)
            if opt is None:
                out.append(_v("actions_table", _size(m), f"unknown option '{o}'", **keys))
                continue
            if opt.kind != act:
                out.append(_v("actions_table", _size(m), f"action {act}, but {o} is a {opt.kind}", **keys))
            if not (m > -MODULE_TOL and abs(m - round(m)) <= MODULE_TOL) or year is None:
                out.append(_v("actions_table", _size(m), f"modules {m} in year {year} is not a decision", **keys))
                continue
            checks = [("capex", opt.capex * m), ("decision_year", year - opt.lead_time)]
        else:
            out.append(_v("actions_table", 1, f"unknown action '{act}'", year=year))
            continue
        for col, want in checks:
            got = row.get(col, math.nan)
            if not math.isnan(got) and abs(got - want) > money_tol(want):
                out.append(_v("actions_table", abs(got - want), f"{col} {got:.10g}, recomputed {want:.10g}",
                              **keys, column=col))
    return out


def check_costs_table(rc: Recomputed) -> list[Violation]:
    """Each column of result.costs per year as recomputed (relative 1e-6) (amount: SEK or share)."""
    got = numeric(rc.result.costs, ["year", *COMPARED_COLUMNS]).dropna(subset=["year"])
    got = got.assign(year=got["year"].astype(int)).drop_duplicates("year").set_index("year")
    out = []
    for y in rc.years:
        if y not in got.index:
            out.append(_v("costs_table", abs(rc.costs.at[y, "discounted"]), "no row", year=y))
            continue
        for col in COMPARED_COLUMNS:
            want, have = rc.costs.at[y, col], got.at[y, col]
            if not math.isnan(want) and not abs(have - want) <= money_tol(max(abs(want), abs(have))):
                out.append(_v("costs_table", abs(have - want) if not math.isnan(have) else abs(want),
                              f"{col} {have:.10g}, recomputed {want:.10g}", year=y, column=col))
    return out


def check_objective(rc: Recomputed) -> list[Violation]:
    """result.objective = the recomputed objective, relative 1e-6 (amount: SEK)."""
    obj = rc.result.objective
    if obj is None or math.isnan(obj):
        return [_v("objective", abs(rc.objective), f"no objective; recomputed {rc.objective:.10g} SEK")]
    if abs(obj - rc.objective) > money_tol(obj):
        return [_v("objective", abs(obj - rc.objective),
                   f"objective {obj:.10g} SEK, recomputed {rc.objective:.10g} SEK")]
    return []


CHECKS = (
    check_demand_balance, check_capacity_limit, check_module_limit, check_stays_closed,
    check_needs_open_site, check_conversion_limit, check_capex_cap, check_opex_cap, check_lock_force,
    check_single_assign, check_opening_year, check_lock_forbid, check_lock_keep_open, check_lock_close,
    check_close_from, check_lease_end, check_reach, check_unmet_forbidden, check_balance_table,
    check_assignments_table, check_actions_table, check_costs_table, check_objective,
)
"""The family checks, in the order of :data:`FAMILIES`."""


def check(scenario: Scenario, result: Result) -> list[Violation]:
    """Every violation of the plan in ``result`` against ``scenario``, sorted by family (in the
    order of :data:`FAMILIES`) and keys; ``[]`` for a sound plan and for a result without a plan."""
    if not result.has_plan:
        return []
    rc = recompute(scenario, result)
    return sorted((v for fn in CHECKS for v in fn(rc)), key=Violation.sort_key)
