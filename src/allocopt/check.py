"""The independent plan checker: every constraint family, every cost and every result table, checked.

``check_plan(scenario, result)`` reads the plan off ``result.actions`` and compares it, and the
result tables, with what :mod:`allocopt.check_costs` re-derives from the scenario alone
(``build``, ``active``, ``open``, ``capacity``, demand, km, the utilisation the plan implies,
costs per year and the objective; never through the model, the solver or their index and demand
code). It returns the violations and the recomputed objective; ``check`` returns the violations.

Each family is one function ``check_<family>(rc)``; :func:`check_plan` calls them in the order
of :data:`FAMILIES`. The families of ``models/premises.md`` keep their names; the checker adds
``opening_year``, ``lock_forbid``, ``lock_keep_open``, ``lock_close``, ``close_from``,
``lease_end`` (a non-renewable lease not closed by ``lease_end + 1``), ``reach``,
``unmet_forbidden``, the table families ``balance_table``, ``assignments_table``,
``actions_table``, ``utilisation_table`` and ``costs_table``, and ``objective``.

Which family checks each column of each table (:data:`allocopt.result.TABLE_COLUMNS`); every
table family also reports rows for unknown ids or for years that are not planning years, rows
given twice, rows missing, and blanks where a number is due:

- ``actions``: read as the plan (``year``, ``action``, ``option``, ``site``, ``modules``) by
  every constraint family; each row by ``actions_table`` (a known option of that kind in whole
  modules, once per option and year; ``site``, ``district``, ``service``, ``from_service``,
  ``capacity_change``, ``capacity_removed``, ``capex``, ``decision_year``, ``closure_cost``,
  ``sale_value`` as the scenario gives them, blank where they do not apply); closures by
  ``stays_closed`` (a known site, in the horizon, closed once).
- ``balance``: every column by ``balance_table`` (``demand`` as recomputed, ``served`` =
  Σ assignments, ``unmet`` a number ≥ 0); ``unmet`` also by ``demand_balance``,
  ``unmet_forbidden``, ``single_assign`` and, priced, ``costs_table`` (``penalty``).
- ``costs``: every column by ``costs_table``, per year as recomputed (``capex_cap``,
  ``capex_use``, ``opex_cap``, ``opex_use`` blank where the budget has no cap); their spending
  against the caps by ``capex_cap`` and ``opex_cap``; Σ ``discounted`` by ``objective``.
- ``utilisation``: every column by ``utilisation_table`` (a row per facility, service and year
  with capacity or use; ``kind``, ``district``, ``open``, ``capacity``, ``usable``, ``served``,
  ``utilisation`` as recomputed from the scenario, the actions and the assignments).
- ``assignments``: every column by ``assignments_table`` (known ids, a planning year, ``places``
  ≥ 0, ``km`` as recomputed); ``places`` also by ``demand_balance``, ``capacity_limit``,
  ``single_assign``, ``reach`` and, priced, ``costs_table`` (``travel``).
- ``Result.objective``: ``objective`` (the sum of the recomputed ``discounted``).

Tolerances: places ``1e-6·max(1, |reference|) + 1e-5``; money relative ``1e-6`` (denominator
``max(|value|, 1)``); modules ``1e-6``; years, ids and kinds exact. ``amount`` is in places,
SEK, modules or years as fits the family (stated in each function).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, get_args

import numpy as np
import pandas as pd

from allocopt.check_costs import (
    COMPARED_COLUMNS, UTILISATION_KEYS, Recomputed, cf, closure_cost, pair_km, recompute, sale_value, table,
    whole,
)
from allocopt.result import Result
from allocopt.scenario import SITE_KINDS, Option, OptionKind, Scenario

FAMILIES: tuple[str, ...] = (
    "demand_balance", "capacity_limit", "module_limit", "stays_closed", "needs_open_site",
    "conversion_limit", "capex_cap", "opex_cap", "lock_force", "single_assign",
    "opening_year", "lock_forbid", "lock_keep_open", "lock_close", "close_from", "lease_end",
    "reach", "unmet_forbidden", "balance_table", "assignments_table", "actions_table",
    "utilisation_table", "costs_table", "objective",
)
"""Every family the checker reports, in the order :func:`check_plan` runs them (and sorts by)."""

MODULE_TOL = 1e-6


def places_tol(reference):
    """Absolute tolerance for a place quantity of size ``reference`` (a number or an array)."""
    return 1e-6 * np.maximum(1.0, np.abs(reference)) + 1e-5


def money_tol(reference):
    """Absolute tolerance for a money figure of size ``reference`` (relative 1e-6; a number or an array)."""
    return 1e-6 * np.maximum(1.0, np.abs(reference))


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


def _whole(x: float) -> bool:
    """A whole number (a year, a count); False for a blank."""
    return math.isfinite(x) and x == round(x)


def _blank(x: Any) -> bool:
    """A blank cell: None, NaN, NA or ''."""
    return x == "" if isinstance(x, str) else bool(pd.isna(x))


def _keys(row: dict, columns: list[str]) -> dict[str, Any]:
    """The key cells of a row; a whole year as an int."""
    out = {c: row[c] for c in columns}
    if "year" in out and _whole(out["year"]):
        out["year"] = int(out["year"])
    return out


def _in_horizon(rc: Recomputed, years: pd.Series) -> pd.Series:
    """Where ``years`` are planning years (whole numbers)."""
    return whole(years) & years.isin(rc.years)


def _bad_rows(rc: Recomputed, family: str, df: pd.DataFrame, keys: list[str], known: pd.Series,
              amount: pd.Series) -> list[Violation]:
    """A violation per row whose keys are not ``known`` (an unknown id, a year that is not a
    planning year) and per repeat of a known key (amount: |amount| of the row)."""
    twice = known & df.duplicated(keys)
    out = []
    for r, again, size in zip(df[~known | twice][keys].to_dict("records"), twice[~known | twice],
                              amount[~known | twice]):
        out.append(_v(family, _size(size), "a second row for these keys" if again else
                      f"row for {_unknown(rc, r)}", **_keys(r, keys)))
    return out


def _unknown(rc: Recomputed, row: dict) -> str:
    known = {"district": rc.districts, "site": rc.facility_kind, "service": rc.services}
    what = [f"unknown {'facility' if c == 'site' else c} '{row[c]}'" for c, ids in known.items()
            if c in row and row[c] not in ids]
    if "year" in row and not (_whole(row["year"]) and int(row["year"]) in rc.years):
        what.append(f"year {row['year']}, not a planning year")
    return ", ".join(what)


def _cells(family: str, got: pd.Series, want: pd.Series, tol: Callable, keys: Callable, column: str) -> list[Violation]:
    """A violation per cell of ``got`` that differs from ``want`` (aligned by index): text (a
    ``want`` not numeric) unequal, a number beyond ``tol(want)``, a blank where a value is due, a
    value where ``want`` is blank (amount: |difference|, or the value, or 1 for text).
    ``keys(i)``: the keys of row ``i``."""
    text = not pd.api.types.is_numeric_dtype(want)
    if text:
        want, got = want.astype(object), got.astype(object)
        w_blank, g_blank = want.map(_blank).astype(bool), got.map(_blank).astype(bool)
        bad = (w_blank != g_blank) | (~w_blank & (got != want))
    else:
        w, g = want.astype(float), got.astype(float)
        bad = pd.Series(np.where(w.isna(), g.notna(), ~((g - w).abs() <= tol(w))), index=want.index)
    out = []
    for i in want.index[bad.to_numpy()]:
        g, w = got[i], want[i]
        if text:
            amount = 1.0
            what = f"{column} blank, expected {w!r}" if _blank(g) else \
                f"{column} {g!r} where none applies" if _blank(w) else f"{column} {g!r}, expected {w!r}"
        elif math.isnan(w):
            amount, what = _size(g), f"{column} {g:.10g} where none applies (blank expected)"
        elif math.isnan(g):
            amount, what = abs(w), f"{column} blank, recomputed {w:.10g}"
        else:
            amount, what = abs(g - w), f"{column} {g:.10g}, recomputed {w:.10g}"
        out.append(_v(family, amount, what, **keys(i), column=column))
    return out


def _locate(df: pd.DataFrame, keys: list[str]) -> Callable[[Any], dict[str, Any]]:
    """Row index → the key cells of that row of ``df``."""
    return lambda i: _keys(df.loc[i, keys].to_dict(), keys)


def _columns(family: str, got: pd.DataFrame, want: pd.DataFrame, tol: Callable, keys: list[str]) -> list[Violation]:
    """:func:`_cells` for every column of ``want`` (the key cells of ``got`` locate each violation)."""
    return [v for c in want.columns for v in _cells(family, got[c], want[c], tol, _locate(got, keys), c)]


def _served(rc: Recomputed) -> pd.Series:
    """Σ_k assign[d,k,s,y] from the assignments table (places; rows with a whole year)."""
    a = rc.assignments[whole(rc.assignments["year"])]
    return a.groupby(["district", "service", a["year"].astype(int)])["places"].sum()


def _unmet(rc: Recomputed) -> pd.Series:
    b = rc.balance[whole(rc.balance["year"])]
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
    f = rc.implied
    pairs = pd.MultiIndex.from_arrays([f.index.get_level_values(0), f.index.get_level_values(1)]).isin(list(rc.ks))
    bad = f[pairs & (f["served"] > f["usable"] + places_tol(np.maximum(f["usable"].abs(), f["served"])))]
    return [_v("capacity_limit", used - usable,
               f"{used:.6g} places served at {k} for {s}, usable capacity {usable:.6g}", site=k, service=s, year=y)
            for (k, s, y), used, usable in zip(bad.index, bad["served"], bad["usable"])]


def check_module_limit(rc: Recomputed) -> list[Violation]:
    """Σ_t build[o,t] ≤ N_o (amount: modules)."""
    total: dict[str, float] = defaultdict(float)
    for (o, _), m in rc.build.items():
        total[o] += m
    return [_v("module_limit", m - rc.options[o].max_modules,
               f"{m:g} modules of {o} taken, at most {rc.options[o].max_modules}", option=o)
            for o, m in sorted(total.items()) if m > rc.options[o].max_modules + MODULE_TOL]


def check_stays_closed(rc: Recomputed) -> list[Violation]:
    """A site closes at most once, within the horizon (amount: 1 per case). That it is not open
    again is the ``open`` column of the utilisation table (``utilisation_table``)."""
    out, first = [], {}
    closes = rc.actions[rc.actions["action"] == "close"].sort_values("year", kind="stable")
    for row in closes.to_dict("records"):
        e, y = row.get("site"), row["year"]
        year = int(y) if _whole(y) else None
        if year is None and not math.isnan(y) and e in rc.sites:
            continue  # a year that is not a whole number: actions_table
        if e not in rc.sites:
            out.append(_v("stays_closed", 1, f"close row for unknown site '{e}'", site=e, year=year))
        elif year is None or not rc.y0 <= year <= rc.last:
            out.append(_v("stays_closed", 1, f"site {e} closed in {year}, outside the horizon", site=e, year=year))
        elif e in first:
            out.append(_v("stays_closed", 1, f"site {e} closed again in {year} (first closed {first[e]})",
                          site=e, year=year))
        else:
            first[e] = year
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
        out.append(_v("reach", places, f"{places:.6g} places assigned: {why}", district=d, site=k, service=s,
                      year=r["year"]))
    return out


def check_unmet_forbidden(rc: Recomputed) -> list[Violation]:
    """unmet[d,s,y] = 0 where the service's penalty is 'forbidden' (amount: places)."""
    forbidden = [s for s in rc.services if rc.scenario.unmet_penalty(s) is None]
    u = _unmet(rc)
    u = u[u.index.get_level_values(1).isin(forbidden)]
    u = u[u > places_tol(rc.demand.reindex(u.index).fillna(0.0))]
    return [_v("unmet_forbidden", x, f"{x:.6g} places unmet but unmet demand of {s} is forbidden",
               district=d, service=s, year=y)
            for (d, s, y), x in u.items()]


def check_balance_table(rc: Recomputed) -> list[Violation]:
    """The balance table: one row per district, service and year with demand (none for an
    unknown district or service or a year that is not a planning year, none twice); demand as
    recomputed, served = Σ assignments, unmet a number ≥ 0 (amount: places)."""
    b, family = rc.balance, "balance_table"
    keys = ["district", "service", "year"]
    known = (_in_horizon(rc, b["year"]) & b["district"].isin(list(rc.districts))
             & b["service"].isin(list(rc.services)))
    out = _bad_rows(rc, family, b, keys, known, b["demand"])
    b = b[known & ~b.duplicated(keys)]
    at = pd.MultiIndex.from_arrays([b["district"], b["service"], b["year"].astype(int)])
    want = pd.DataFrame({"demand": rc.demand.reindex(at).to_numpy(),
                         "served": _served(rc).reindex(at, fill_value=0.0).to_numpy()}, index=b.index)
    out += _columns(family, b, want, places_tol, keys)
    low = ~(b["unmet"] >= -places_tol(want["demand"]))
    out += [_v(family, _size(r["unmet"]) if not math.isnan(r["unmet"]) else r["demand"],
               f"unmet {r['unmet']:.6g}: a number of places ≥ 0 expected",
               district=r["district"], service=r["service"], year=int(r["year"]), column="unmet")
            for r in b[low].to_dict("records")]
    missing = rc.demand[(rc.demand > places_tol(rc.demand)) & ~rc.demand.index.isin(at)]
    out += [_v(family, dem, f"no row for demand {dem:.6g} places", district=d, service=s, year=y)
            for (d, s, y), dem in missing.items()]
    return out


def check_assignments_table(rc: Recomputed) -> list[Violation]:
    """The assignments table: known district, facility (a site or a new option) and service, a
    planning year, each key once; places a number ≥ 0; km as recomputed where the facility is
    within reach (amount: places or km)."""
    a, family, keys = rc.assignments, "assignments_table", ["district", "site", "service", "year"]
    known = (_in_horizon(rc, a["year"]) & a["district"].isin(list(rc.districts))
             & a["site"].isin(list(rc.facility_kind)) & a["service"].isin(list(rc.services)))
    out = _bad_rows(rc, family, a, keys, known, a["places"])
    bad = ~(a["places"] >= -places_tol(0.0))
    out += [_v(family, _size(r["places"]), f"places {r['places']:.6g}: a number ≥ 0 expected",
               **_keys(r, keys), column="places") for r in a[bad].to_dict("records")]
    km = rc.km_of_assignments
    got = km.notna()  # unreachable or an unknown facility: reach reports it
    out += _columns(family, a[got], km[got].to_frame("km"), lambda w: 1e-6 * np.maximum(1.0, np.abs(w)), keys)
    return out


def check_actions_table(rc: Recomputed) -> list[Violation]:
    """Every action row reads as one decision: a known option of that kind in whole modules (≥ 1)
    opening in a whole year, once per option and year, or a closure (its site and year:
    ``stays_closed``); every other column as the scenario gives it: ``site`` (expansions and
    conversions), ``district``, ``service``, ``from_service`` (conversions), ``capacity_change``
    (modules · capacity; a closure: −Σ the site's capacity), ``capacity_removed`` (conversions:
    modules · capacity_from), ``capex`` (modules · capex; a closure: 0), ``decision_year``
    (opening year − lead time), ``closure_cost`` and ``sale_value`` (closures); blank where it
    does not apply (amount: modules, places, SEK or years)."""
    out, family, want, rows = [], "actions_table", [], []
    a = rc.actions
    opening = a["action"].isin(get_args(OptionKind))
    a = a.assign(_dup=a[opening].duplicated(["option", "year"]).reindex(a.index, fill_value=False))
    for i, row in zip(a.index, a.to_dict("records")):
        act, y, m = row["action"], row["year"], row["modules"]
        year = int(y) if _whole(y) else None
        if act == "close":
            site = rc.sites.get(row["site"])
            if site is not None and year is None and not math.isnan(y):
                out.append(_v(family, 1, f"closed in {y}, not a whole year", site=row["site"], year=y, column="year"))
            if site is None or year is None:
                continue  # stays_closed reports an unknown site or a year outside the horizon
            keys = dict(site=row["site"], year=year)
            total = sum(c for (e, _), c in rc.cap.items() if e == row["site"])
            want.append(dict(option=None, site=row["site"], district=site.district, service=None,
                             from_service=None, modules=math.nan,
                             capacity_change=-total, capacity_removed=math.nan, capex=0.0, decision_year=math.nan,
                             closure_cost=closure_cost(site, year), sale_value=sale_value(site)))
        elif act in get_args(OptionKind):
            o = rc.options.get(row["option"])
            keys = dict(option=row["option"], year=year)
            if o is None:
                out.append(_v(family, _size(m), f"unknown option '{row['option']}'", **keys))
                continue
            if o.kind != act:
                out.append(_v(family, _size(m), f"action {act}, but {o.option} is a {o.kind}", **keys))
            if not (_whole(m) and m >= 1) or year is None:
                out.append(_v(family, _size(m), f"modules {m} in year {y} is not a decision", **keys))
                continue
            if row["_dup"]:
                out.append(_v(family, m, f"a second row for {o.option} opening in {year}", **keys))
            conversion = o.kind == "conversion"
            want.append(dict(option=o.option, site=o.site if o.kind in SITE_KINDS else None,
                             district=o.district or rc.sites[o.site].district, service=o.service,
                             from_service=o.from_service if conversion else None, modules=m,
                             capacity_change=m * o.capacity, capacity_removed=m * cf(o) if conversion else math.nan,
                             capex=m * o.capex, decision_year=year - o.lead_time,
                             closure_cost=math.nan, sale_value=math.nan))
        else:
            out.append(_v(family, 1, f"unknown action '{act}'", site=row["site"], option=row["option"], year=year))
            continue
        rows.append((i, keys))
    if rows:
        index = [i for i, _ in rows]
        want_f, got, keys_of = pd.DataFrame(want, index=index), a.loc[index], dict(rows)
        tol = {"capacity_change": places_tol, "capacity_removed": places_tol, "modules": lambda w: MODULE_TOL,
               "decision_year": lambda w: 0.0}
        for col in want_f.columns:
            out += _cells(family, got[col], want_f[col], tol.get(col, money_tol), keys_of.__getitem__, col)
    return out


def check_utilisation_table(rc: Recomputed) -> list[Violation]:
    """The utilisation table as the plan implies it (:func:`~allocopt.check_costs.recompute_utilisation`).

    Rows: one per facility (existing site or new option: expansions and conversions add to and
    take from their site's rows), service and year where the recomputed nominal capacity or the
    places served there exceed ``places_tol(0)``; none where both are below 1e-6 places (results
    leave those out); either in between. No row for an unknown facility or service or a year
    that is not a planning year, none twice. Columns: ``kind``, ``district``, ``open`` (a site:
    open per the closures in actions; a new option: modules in service), ``capacity``,
    ``usable`` (u_s · capacity) and ``served`` (Σ assignments) as recomputed; ``utilisation`` =
    served / capacity (share, within 1e-6 plus the places tolerance of served over capacity)
    where the capacity exceeds ``places_tol(0)``, blank where it is 0 (amount: places, the share,
    or 1 for ``open``, ``kind`` or ``district``).
    """
    u, family, imp = rc.utilisation, "utilisation_table", rc.implied
    known = _in_horizon(rc, u["year"]) & u["site"].isin(list(rc.facility_kind)) & u["service"].isin(list(rc.services))
    out = _bad_rows(rc, family, u, UTILISATION_KEYS, known, u["capacity"])
    u = u[known & ~u.duplicated(UTILISATION_KEYS)]
    at = pd.MultiIndex.from_arrays([u["site"], u["service"], u["year"].astype(int)])
    want = imp.reindex(at).set_axis(u.index)
    size = np.maximum(want["capacity"].abs(), want["served"])
    empty = u[size < 1e-6]
    out += [_v(family, max(_size(r["capacity"]), _size(r["served"])),
               f"row (capacity {r['capacity']:.6g}, served {r['served']:.6g}, open {r['open']:g}) where the plan "
               "gives neither capacity nor use (the table leaves those out)", **_keys(r, UTILISATION_KEYS))
            for r in empty.to_dict("records")]
    u, want = u[size >= 1e-6], want[size >= 1e-6]
    keys = _locate(u, UTILISATION_KEYS)
    for col in ("kind", "district", "open"):
        out += _cells(family, u[col], want[col], lambda w: 0.0, keys, col)
    for col in ("capacity", "usable", "served"):
        out += _cells(family, u[col], want[col], places_tol, keys, col)
    cap = want["capacity"]
    share = want["utilisation"].where(cap > places_tol(0.0))  # blank where the capacity is 0
    slack = (places_tol(want["served"]) / cap).where(cap > places_tol(0.0), 0.0)
    checked = (cap > places_tol(0.0)) | (cap <= 1e-9)  # between: 0 within tolerance, either
    out += _cells(family, u.loc[checked, "utilisation"], share[checked],
                  lambda w: 1e-6 * np.maximum(1.0, np.abs(w)) + slack[checked], keys, "utilisation")
    need = imp[(np.maximum(imp["capacity"], imp["served"]) > places_tol(0.0)) & ~imp.index.isin(at)]
    out += [_v(family, max(abs(c), s), f"no row for capacity {c:.6g} places, {s:.6g} served",
               site=key[0], service=key[1], year=key[2])
            for key, c, s in zip(need.index, need["capacity"], need["served"])]
    return out


def check_costs_table(rc: Recomputed) -> list[Violation]:
    """The costs table: one row per planning year (none twice, none for another year); each
    column of :data:`~allocopt.check_costs.COMPARED_COLUMNS` as recomputed (relative 1e-6),
    blank where the recomputation is (a cap, or its use, where the budget gives no cap)
    (amount: SEK or share)."""
    c, family = table(rc.result, "costs"), "costs_table"
    known = _in_horizon(rc, c["year"])
    out = _bad_rows(rc, family, c, ["year"], known, c["discounted"])
    c = c[known & ~c.duplicated(["year"])]
    years = c["year"].astype(int)
    want = rc.costs.reindex(years).set_axis(c.index)
    keys = dict(zip(c.index, ({"year": y} for y in years))).__getitem__
    for col in COMPARED_COLUMNS:
        size = c[col].abs().fillna(0.0)
        out += _cells(family, c[col], want[col], lambda w, size=size: money_tol(np.maximum(np.abs(w), size)), keys, col)
    have = set(years)
    out += [_v(family, abs(rc.costs.at[y, "discounted"]), "no row", year=y) for y in rc.years if y not in have]
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
    check_assignments_table, check_actions_table, check_utilisation_table, check_costs_table, check_objective,
)
"""The family checks, in the order of :data:`FAMILIES`."""


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_plan` found: the violations (sorted as :func:`check` returns them) and the
    objective recomputed from the result tables and the scenario (SEK; None without a plan)."""

    violations: list[Violation]
    objective: float | None


def check_plan(scenario: Scenario, result: Result) -> CheckReport:
    """Check the plan in ``result`` against ``scenario``: every violation, sorted by family (in
    the order of :data:`FAMILIES`) and keys, and the objective recomputed from the tables."""
    if not result.has_plan:
        return CheckReport([], None)
    rc = recompute(scenario, result)
    return CheckReport(sorted((v for fn in CHECKS for v in fn(rc)), key=Violation.sort_key), rc.objective)


def check(scenario: Scenario, result: Result) -> list[Violation]:
    """Every violation of the plan in ``result`` against ``scenario``, sorted by family (in the
    order of :data:`FAMILIES`) and keys; ``[]`` for a sound plan and for a result without a plan
    (``check_plan(scenario, result).violations``)."""
    return check_plan(scenario, result).violations
