"""The constraint families of models/premises.md, checked on the plan: one ``check_<family>(rc)`` each.

Each reads the plan and the recomputed quantities off :class:`~allocopt.check.recompute.Recomputed`
and returns its violations; ``amount`` is in places, SEK, modules or years as stated in each
function. Besides the families of premises.md: ``opening_year``, ``lock_forbid``,
``lock_keep_open``, ``lock_close``, ``close_from``, ``lease_end`` (a non-renewable lease not
closed by ``lease_end + 1``), ``reach`` and ``unmet_forbidden``.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd

from allocopt.check.cost_rules import CLOSURE_ACTIONS
from allocopt.check.reading import whole
from allocopt.check.recompute import Recomputed, cf, pair_km, served_places, unmet_places
from allocopt.check.violations import MODULE_TOL, Violation, is_whole, money_tol, places_tol, violation
from allocopt.scenario import Option


def check_demand_balance(rc: Recomputed) -> list[Violation]:
    """Σ_k assign[d,k,s,y] + unmet[d,s,y] = demand[d,s,y] (amount: places)."""
    f = rc.demand.to_frame()
    f["served"] = served_places(rc).reindex(f.index, fill_value=0.0).fillna(0.0)
    f["unmet"] = unmet_places(rc).reindex(f.index, fill_value=0.0).fillna(0.0)
    gap = (f["served"] + f["unmet"] - f["demand"]).abs()
    bad = f[gap > 1e-6 * f["demand"].abs().clip(lower=1.0) + 1e-5]
    return [
        violation(
            "demand_balance",
            abs(r.served + r.unmet - r.demand),
            f"served {r.served:.6g} + unmet {r.unmet:.6g} differs from demand {r.demand:.6g} places",
            district=d,
            service=s,
            year=int(y),
        )
        for (d, s, y), r in bad.iterrows()
    ]


def check_capacity_limit(rc: Recomputed) -> list[Violation]:
    """Σ_d assign[d,k,s,y] ≤ u_s · capacity[k,s,y] for (k,s) ∈ KS (amount: places)."""
    f = rc.implied
    pairs = pd.MultiIndex.from_arrays([f.index.get_level_values(0), f.index.get_level_values(1)]).isin(list(rc.ks))
    bad = f[pairs & (f["served"] > f["usable"] + places_tol(np.maximum(f["usable"].abs(), f["served"])))]
    return [
        violation(
            "capacity_limit",
            used - usable,
            f"{used:.6g} places served at {k} for {s}, usable capacity {usable:.6g}",
            site=k,
            service=s,
            year=y,
        )
        for (k, s, y), used, usable in zip(bad.index, bad["served"], bad["usable"])
    ]


def check_module_limit(rc: Recomputed) -> list[Violation]:
    """Σ_t build[o,t] ≤ N_o (amount: modules)."""
    total: dict[str, float] = defaultdict(float)
    for (o, _), m in rc.build.items():
        total[o] += m
    return [
        violation(
            "module_limit",
            m - rc.options[o].max_modules,
            f"{m:g} modules of {o} taken, at most {rc.options[o].max_modules}",
            option=o,
        )
        for o, m in sorted(total.items())
        if m > rc.options[o].max_modules + MODULE_TOL
    ]


def check_stays_closed(rc: Recomputed) -> list[Violation]:
    """A site closes at most once, within the horizon (amount: 1 per case). That it is not open
    again is the ``open`` column of the utilisation table (``utilisation_table``)."""
    out, first = [], {}
    closes = rc.actions[rc.actions["action"].isin(CLOSURE_ACTIONS)].sort_values("year", kind="stable")
    for row in closes.to_dict("records"):
        e, y = row.get("site"), row["year"]
        year = int(y) if is_whole(y) else None
        if year is None and not math.isnan(y) and e in rc.sites:
            continue  # a year that is not a whole number: actions_table
        if e not in rc.sites:
            out.append(violation("stays_closed", 1, f"close row for unknown site '{e}'", site=e, year=year))
        elif year is None or not rc.y0 <= year <= rc.last:
            out.append(
                violation("stays_closed", 1, f"site {e} closed in {year}, outside the horizon", site=e, year=year)
            )
        elif e in first:
            out.append(
                violation(
                    "stays_closed", 1, f"site {e} closed again in {year} (first closed {first[e]})", site=e, year=year
                )
            )
        else:
            first[e] = year
    return out


def _host_standing(rc: Recomputed, host: str, year: int) -> float:
    """open[e,y] of a site, or active[b,y] (modules standing) of a build option hosting expansions or conversions."""
    if host in rc.sites:
        return float(rc.is_open(host, year))
    return rc.active.get((host, year), 0.0)


def check_needs_open_site(rc: Recomputed) -> list[Violation]:
    """active[o,y] ≤ N_o · open[e,y] for expansions and conversions at a site, and ≤ N_o · active[b,y]
    at a build option b: modules in service only where their host stands (more than N_o of them is
    ``module_limit``'s) (amount: modules)."""
    out = []
    for e, opts in sorted(rc.site_options.items()):
        for o in opts:
            for y in rc.years:
                n = rc.active.get((o.option, y), 0.0)
                standing = _host_standing(rc, e, y)
                if n > MODULE_TOL and standing < MODULE_TOL:
                    where = f"closed site {e}" if e in rc.sites else f"{e}, which is not built"
                    out.append(
                        violation(
                            "needs_open_site",
                            n,
                            f"{n:g} modules of {o.option} in service at {where}",
                            option=o.option,
                            site=e,
                            year=y,
                        )
                    )
    return out


def check_conversion_limit(rc: Recomputed) -> list[Violation]:
    """Σ_{o conversion at e from s} cf_o·active[o,y] ≤ cap[e,s] at a site, ≤ c_b·active[b,y] at a build
    option b of service s (amount: places)."""
    groups: dict[tuple[str, str], list[Option]] = defaultdict(list)
    for e, opts in rc.site_options.items():
        for o in opts:
            if o.kind == "conversion":
                groups[(e, o.from_service)].append(o)
    out = []
    for (e, s), opts in sorted(groups.items()):
        for y in rc.years:
            if e in rc.sites:
                limit = rc.cap.get((e, s), 0.0)
            else:
                host = rc.options[e]
                limit = host.capacity * rc.active.get((e, y), 0.0) if host.service == s else 0.0
            moved = sum(cf(o) * rc.active.get((o.option, y), 0.0) for o in opts)
            if moved > limit + places_tol(limit):
                out.append(
                    violation(
                        "conversion_limit",
                        moved - limit,
                        f"{moved:.6g} places of {s} converted at {e}, which has {limit:.6g}",
                        site=e,
                        service=s,
                        year=y,
                    )
                )
    return out


def check_extension_limit(rc: Recomputed) -> list[Violation]:
    """extend[o,y] ≤ extend[o,y−1] + build[o,y−L_o], and only for a lease or pavilion with an
    extension_rent (amount: modules)."""
    out = []
    for (o, y), n in sorted(rc.extend.items()):
        opt = rc.options[o]
        if opt.extension_rent is None:
            allowed, why = 0.0, f"{o} has no extension_rent"
        else:
            allowed = rc.extend.get((o, y - 1), 0.0) + rc.build.get((o, y - opt.years_in_service), 0.0)
            why = f"{allowed:g} of its modules end their term or were kept the year before"
        if n > allowed + MODULE_TOL:
            out.append(
                violation("extension_limit", n - allowed, f"{n:g} modules of {o} kept in {y}: {why}", option=o, year=y)
            )
    return out


def _spend_cap(rc: Recomputed, family: str, spend: pd.Series, column: str) -> list[Violation]:
    out = []
    for b in rc.scenario.budget:
        cap = getattr(b, column)
        if cap is not None and b.year in spend.index and spend[b.year] > cap + money_tol(cap):
            out.append(
                violation(
                    family, spend[b.year] - cap, f"{spend[b.year]:.10g} SEK spent, cap {cap:.10g} SEK", year=b.year
                )
            )
    return out


def _frame(rc: Recomputed, frame: str) -> list[Violation]:
    return _spend_cap(rc, frame, rc.frames.xs(frame, level="frame")["spend"], frame)


def check_capex_cap(rc: Recomputed) -> list[Violation]:
    """Both parties' capex paid in the year ≤ capex_cap_y (amount: SEK)."""
    return _frame(rc, "capex_cap")


def check_opex_cap(rc: Recomputed) -> list[Violation]:
    """Both parties' operating cost plus external rent ≤ opex_cap_y (amount: SEK)."""
    return _frame(rc, "opex_cap")


def check_investment_cap(rc: Recomputed) -> list[Violation]:
    """The property company's capex paid in the year ≤ investment_cap_y (amount: SEK)."""
    return _frame(rc, "investment_cap")


def check_borrowing_cap(rc: Recomputed) -> list[Violation]:
    """The property company's capex so far less depreciation so far ≤ borrowing_cap_y (amount: SEK)."""
    return _frame(rc, "borrowing_cap")


def check_operating_cap(rc: Recomputed) -> list[Violation]:
    """The municipality's opex + external rent + internal rent + vacancy cost ≤ operating_cap_y (amount: SEK)."""
    return _frame(rc, "operating_cap")


def check_lock_force(rc: Recomputed) -> list[Violation]:
    """A forced option opens (≥ 1 module) no later than the lock's year (blank: last year)."""
    out = []
    for lock in rc.scenario.locks:
        if lock.rule == "force":
            by = lock.year if lock.year is not None else rc.last
            built = sum(m for (o, t), m in rc.build.items() if o == lock.id and t <= by)
            if built < 1 - MODULE_TOL:
                out.append(
                    violation("lock_force", 1 - built, f"option {lock.id} must open by {by}", option=lock.id, year=by)
                )
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
            out.append(
                violation(
                    "single_assign",
                    g.sum() - g.max(),
                    f"{d} served by {', '.join(map(str, g.index))} for single-assigned {s}",
                    district=d,
                    service=s,
                    year=y,
                )
            )
        elif len(g) == 1 and dem - g.iloc[0] > places_tol(dem):
            out.append(
                violation(
                    "single_assign",
                    dem - g.iloc[0],
                    f"{d} served only {g.iloc[0]:.6g} of {dem:.6g} places at {g.index[0]}",
                    district=d,
                    service=s,
                    year=y,
                )
            )
    return out


# ------------------------------------------------------------------ years, locks and closures


def check_opening_year(rc: Recomputed) -> list[Violation]:
    """max(earliest_year, y0 + lead_time) ≤ opening year ≤ min(T, latest_year) (amount: years)."""
    out = []
    for (o, t), m in sorted(rc.build.items()):
        opt = rc.options[o]
        lo = max(opt.earliest_year or rc.y0, rc.y0 + opt.lead_time)
        hi = rc.last if opt.latest_year is None else min(rc.last, opt.latest_year)
        if abs(m) > MODULE_TOL and (t < lo or t > hi):
            if t < lo:
                why = f"before {lo} (earliest year, first year + lead time {opt.lead_time})"
            elif hi < rc.last:
                why = f"after its latest year {hi}"
            else:
                why = f"after the last year {rc.last}"
            out.append(
                violation("opening_year", lo - t if t < lo else t - hi, f"{o} opens in {t}, {why}", option=o, year=t)
            )
    return out


def check_lock_forbid(rc: Recomputed) -> list[Violation]:
    """A forbidden option is never chosen, nor any option (expansion, conversion) at a site a
    ``target: site, rule: forbid`` lock forbids (amount: modules)."""
    why: dict[str, str] = {}
    for lock in rc.scenario.locks:
        if lock.rule == "forbid" and lock.target == "option":
            why.setdefault(lock.id, f"forbidden option {lock.id}")
        elif lock.rule == "forbid":
            for o in rc.site_options.get(lock.id, []):
                why.setdefault(o.option, f"option {o.option} at forbidden site {lock.id}")
    return [
        violation("lock_forbid", m, f"{why[o]} opens {m:g} modules in {t}", option=o, year=t)
        for (o, t), m in sorted(rc.build.items())
        if o in why and abs(m) > MODULE_TOL
    ]


def check_lock_keep_open(rc: Recomputed) -> list[Violation]:
    """A kept site stays open through the lock's year (blank: every year) (amount: years closed)."""
    out = []
    for lock in rc.scenario.locks:
        c = rc.close_year.get(lock.id)
        through = lock.year if lock.year is not None else rc.last
        if lock.rule == "keep_open" and c is not None and c <= through:
            out.append(
                violation(
                    "lock_keep_open",
                    through - c + 1,
                    f"site {lock.id} closes in {c}, must stay open through {through}",
                    site=lock.id,
                    year=c,
                )
            )
    return out


def check_lock_close(rc: Recomputed) -> list[Violation]:
    """A site locked to close is closed no later than the lock's year (blank: first year) (amount: years)."""
    out = []
    for lock in rc.scenario.locks:
        if lock.rule == "close":
            by = lock.year if lock.year is not None else rc.y0
            c = rc.close_year.get(lock.id, rc.last + 1)
            if c > by:
                out.append(
                    violation("lock_close", c - by, f"site {lock.id} must be closed by {by}", site=lock.id, year=by)
                )
    return out


def check_close_from(rc: Recomputed) -> list[Violation]:
    """Only a site that may close is closed, not before close_from; a leased site may always close
    after its lease_end, a site under a temporary permit once the permit has run out (amount: years
    closed too early)."""
    out = []
    for e, c in sorted(rc.close_year.items()):
        site = rc.sites[e]
        if site.tenure == "leased" and site.lease_end is not None and c > site.lease_end:
            continue
        end = site.permit_end_from(rc.y0)
        if end is not None and c >= end:
            continue
        first = (site.close_from or rc.y0) if site.may_close else rc.last + 1
        if c < first:
            why = f"before close_from {first}" if site.may_close else "but may not close"
            out.append(violation("close_from", first - c, f"site {e} closes in {c}, {why}", site=e, year=c))
    return out


def check_lease_end(rc: Recomputed) -> list[Violation]:
    """A non-renewable lease is closed by lease_end + 1 (amount: years kept open after it)."""
    out = []
    for e, site in sorted(rc.sites.items()):
        if site.tenure != "leased" or site.lease_end is None or site.renewable:
            continue
        due, c = max(rc.y0, site.lease_end + 1), rc.close_year.get(e, rc.last + 1)
        if due <= rc.last and c > due:
            out.append(
                violation(
                    "lease_end",
                    min(c, rc.last + 1) - due,
                    f"non-renewable lease {e} ends {site.lease_end} but is not closed in {due}",
                    site=e,
                    year=due,
                )
            )
    return out


# ----------------------------------------------------------------- assignments and the tables


def check_reach(rc: Recomputed) -> list[Violation]:
    """Assignments only to facilities offering the service within max_km (amount: places)."""
    a = rc.assignments[whole(rc.assignments["year"])]
    a = a.groupby(["district", "site", "service", a["year"].astype(int)])["places"].sum().reset_index()
    a = a[a["places"] > places_tol(0.0)]
    km = pair_km(rc, a["district"], a["site"])
    max_km = a["service"].map({s: svc.max_km for s, svc in rc.services.items()}).astype(float)
    offered = pd.MultiIndex.from_arrays([a["site"], a["service"]]).isin(list(rc.ks))
    out = []
    for r in a[~(offered & (km <= max_km + 1e-9))].to_dict("records"):
        d, k, s, places = r["district"], r["site"], r["service"], r["places"]
        dist = rc.km(d, rc.facility_district[k]) if k in rc.facility_district and d in rc.districts else None
        if s not in rc.services or d not in rc.districts:
            why = "unknown district or service"
        elif (k, s) not in rc.ks:
            why = f"{k} does not offer {s}" if k in rc.facility_district else f"{k} is not a site or a new option"
        elif dist is None:
            why = f"{k} is unreachable from {d} (no distance, no coordinates)"
        else:
            why = f"{k} is {dist:.6g} km from {d}, beyond max_km {rc.services[s].max_km:g}"
        out.append(
            violation(
                "reach", places, f"{places:.6g} places assigned: {why}", district=d, site=k, service=s, year=r["year"]
            )
        )
    return out


def check_unmet_forbidden(rc: Recomputed) -> list[Violation]:
    """unmet[d,s,y] = 0 where the service's penalty is 'forbidden' (amount: places)."""
    forbidden = [s for s in rc.services if rc.scenario.unmet_penalty(s) is None]
    u = unmet_places(rc)
    u = u[u.index.get_level_values(1).isin(forbidden)]
    u = u[u > places_tol(rc.demand.reindex(u.index).fillna(0.0))]
    return [
        violation(
            "unmet_forbidden",
            x,
            f"{x:.6g} places unmet but unmet demand of {s} is forbidden",
            district=d,
            service=s,
            year=y,
        )
        for (d, s, y), x in u.items()
    ]
