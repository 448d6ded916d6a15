"""The table families: each result table checked row by row and column by column against what
the checker recomputes, and the objective (``check_<table>_table(rc)``, ``check_objective(rc)``).

Every table family reports rows for unknown ids or for years that are not planning years, rows
given twice, rows missing, blanks where a number is due, and each cell that differs from its
recomputed value beyond its tolerance (:mod:`allocopt.check.violations`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, get_args

import numpy as np
import pandas as pd

from allocopt.check.cost_rules import CLOSURE_ACTIONS, closure_action, closure_cost, option_capex, sale_value
from allocopt.check.reading import NUMERIC_COLUMNS, UTILISATION_KEYS, table, whole
from allocopt.check.recompute import Recomputed, cf, served_places
from allocopt.check.violations import (
    MODULE_TOL,
    Violation,
    cell_size,
    is_blank,
    is_whole,
    money_tol,
    places_tol,
    row_keys,
    violation,
)
from allocopt.scenario import PARTIES, SITE_KINDS, OptionKind


def in_horizon(rc: Recomputed, years: pd.Series) -> pd.Series:
    """Where ``years`` are planning years (whole numbers)."""
    return whole(years) & years.isin(rc.years)


def _bad_rows(
    rc: Recomputed, family: str, df: pd.DataFrame, keys: list[str], known: pd.Series, amount: pd.Series
) -> list[Violation]:
    """A violation per row whose keys are not ``known`` (an unknown id, a year that is not a
    planning year) and per repeat of a known key (amount: |amount| of the row)."""
    twice = known & df.duplicated(keys)
    out = []
    for r, again, size in zip(
        df[~known | twice][keys].to_dict("records"), twice[~known | twice], amount[~known | twice]
    ):
        out.append(
            violation(
                family,
                cell_size(size),
                "a second row for these keys" if again else f"row for {_unknown(rc, r)}",
                **row_keys(r, keys),
            )
        )
    return out


def _unknown(rc: Recomputed, row: dict) -> str:
    known = {"district": rc.districts, "site": rc.facility_kind, "service": rc.services}
    what = [
        f"unknown {'facility' if c == 'site' else c} '{row[c]}'"
        for c, ids in known.items()
        if c in row and row[c] not in ids
    ]
    if "year" in row and not (is_whole(row["year"]) and int(row["year"]) in rc.years):
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
        w_blank, g_blank = want.map(is_blank).astype(bool), got.map(is_blank).astype(bool)
        bad = (w_blank != g_blank) | (~w_blank & (got != want))
    else:
        w, g = want.astype(float), got.astype(float)
        bad = pd.Series(np.where(w.isna(), g.notna(), ~((g - w).abs() <= tol(w))), index=want.index)
    out = []
    for i in want.index[bad.to_numpy()]:
        g, w = got[i], want[i]
        if text:
            amount = 1.0
            what = (
                f"{column} blank, expected {w!r}"
                if is_blank(g)
                else f"{column} {g!r} where none applies"
                if is_blank(w)
                else f"{column} {g!r}, expected {w!r}"
            )
        elif math.isnan(w):
            amount, what = cell_size(g), f"{column} {g:.10g} where none applies (blank expected)"
        elif math.isnan(g):
            amount, what = abs(w), f"{column} blank, recomputed {w:.10g}"
        else:
            amount, what = abs(g - w), f"{column} {g:.10g}, recomputed {w:.10g}"
        out.append(violation(family, amount, what, **keys(i), column=column))
    return out


def _locate(df: pd.DataFrame, keys: list[str]) -> Callable[[Any], dict[str, Any]]:
    """Row index → the key cells of that row of ``df``."""
    return lambda i: row_keys(df.loc[i, keys].to_dict(), keys)


def _columns(family: str, got: pd.DataFrame, want: pd.DataFrame, tol: Callable, keys: list[str]) -> list[Violation]:
    """:func:`_cells` for every column of ``want`` (the key cells of ``got`` locate each violation)."""
    return [v for c in want.columns for v in _cells(family, got[c], want[c], tol, _locate(got, keys), c)]


def check_balance_table(rc: Recomputed) -> list[Violation]:
    """The balance table: one row per district, service and year with demand (none for an
    unknown district or service or a year that is not a planning year, none twice); demand as
    recomputed, served = Σ assignments, unmet a number ≥ 0 (amount: places)."""
    b, family = rc.balance, "balance_table"
    keys = ["district", "service", "year"]
    known = in_horizon(rc, b["year"]) & b["district"].isin(list(rc.districts)) & b["service"].isin(list(rc.services))
    out = _bad_rows(rc, family, b, keys, known, b["demand"])
    b = b[known & ~b.duplicated(keys)]
    at = pd.MultiIndex.from_arrays([b["district"], b["service"], b["year"].astype(int)])
    want = pd.DataFrame(
        {
            "demand": rc.demand.reindex(at).to_numpy(),
            "served": served_places(rc).reindex(at, fill_value=0.0).to_numpy(),
        },
        index=b.index,
    )
    out += _columns(family, b, want, places_tol, keys)
    low = ~(b["unmet"] >= -places_tol(want["demand"]))
    out += [
        violation(
            family,
            cell_size(r["unmet"]) if not math.isnan(r["unmet"]) else r["demand"],
            f"unmet {r['unmet']:.6g}: a number of places ≥ 0 expected",
            district=r["district"],
            service=r["service"],
            year=int(r["year"]),
            column="unmet",
        )
        for r in b[low].to_dict("records")
    ]
    missing = rc.demand[(rc.demand > places_tol(rc.demand)) & ~rc.demand.index.isin(at)]
    out += [
        violation(family, dem, f"no row for demand {dem:.6g} places", district=d, service=s, year=y)
        for (d, s, y), dem in missing.items()
    ]
    return out


def check_assignments_table(rc: Recomputed) -> list[Violation]:
    """The assignments table: known district, facility (a site or a new option) and service, a
    planning year, each key once; places a number ≥ 0; km as recomputed where the facility is
    within reach (amount: places or km)."""
    a, family, keys = rc.assignments, "assignments_table", ["district", "site", "service", "year"]
    known = (
        in_horizon(rc, a["year"])
        & a["district"].isin(list(rc.districts))
        & a["site"].isin(list(rc.facility_kind))
        & a["service"].isin(list(rc.services))
    )
    out = _bad_rows(rc, family, a, keys, known, a["places"])
    bad = ~(a["places"] >= -places_tol(0.0))
    out += [
        violation(
            family,
            cell_size(r["places"]),
            f"places {r['places']:.6g}: a number ≥ 0 expected",
            **row_keys(r, keys),
            column="places",
        )
        for r in a[bad].to_dict("records")
    ]
    km = rc.km_of_assignments
    got = km.notna()  # unreachable or an unknown facility: reach reports it
    out += _columns(family, a[got], km[got].to_frame("km"), lambda w: 1e-6 * np.maximum(1.0, np.abs(w)), keys)
    return out


def check_actions_table(rc: Recomputed) -> list[Violation]:
    """Every action row reads as one decision: a known option of that kind in whole modules (≥ 1)
    opening in a whole year, once per option and year, or a closure (its site and year:
    ``stays_closed``) whose ``action`` is ``lease_end`` for a leased site first closed after its
    lease_end and ``close`` otherwise; every other column as the scenario gives it: ``site`` (expansions and
    conversions), ``district``, ``service``, ``from_service`` (conversions), ``capacity_change``
    (modules · capacity; a closure: −Σ the site's capacity), ``capacity_removed`` (conversions:
    modules · capacity_from), ``capex`` (modules · capex · (1 + capex_overrun); a closure: 0), ``decision_year``
    (opening year − lead time), ``closure_cost`` and ``sale_value`` (closures); blank where it
    does not apply (amount: modules, places, SEK or years)."""
    out: list[Violation] = []
    want, rows = [], []
    a = rc.actions
    opening = a["action"].isin(get_args(OptionKind))
    extending = a["action"] == "extend"
    twice = a[opening].duplicated(["option", "year"]) | a[extending].duplicated(["option", "year"])
    a = a.assign(_dup=twice.reindex(a.index, fill_value=False))
    for i, row in zip(a.index, a.to_dict("records")):
        act, y = row["action"], row["year"]
        year = int(y) if is_whole(y) else None
        if act in CLOSURE_ACTIONS:
            found = _closure_row(rc, row, year, out)
        elif act == "extend":
            found = _extension_row(rc, row, year, out)
        elif act in get_args(OptionKind):
            found = _opening_row(rc, row, year, out)
        else:
            out.append(
                violation(ACTIONS, 1, f"unknown action '{act}'", site=row["site"], option=row["option"], year=year)
            )
            found = None
        if found is not None:
            rows.append((i, found[0]))
            want.append(found[1])
    if rows:
        index = [i for i, _ in rows]
        want_f, got, keys_of = pd.DataFrame(want, index=index), a.loc[index], dict(rows)
        tol = {
            "capacity_change": places_tol,
            "capacity_removed": places_tol,
            "modules": lambda w: MODULE_TOL,
            "decision_year": lambda w: 0.0,
        }
        for col in want_f.columns:
            out += _cells(ACTIONS, got[col], want_f[col], tol.get(col, money_tol), keys_of.__getitem__, col)
    return out


ACTIONS = "actions_table"


def _closure_row(
    rc: Recomputed, row: dict, year: int | None, out: list[Violation]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The keys and the expected cells of a closure row; None (a violation added to ``out``, or
    left to ``stays_closed``) where it names no known site in a whole year."""
    site, y = rc.sites.get(row["site"]), row["year"]
    if site is not None and year is None and not math.isnan(y):
        out.append(violation(ACTIONS, 1, f"closed in {y}, not a whole year", site=row["site"], year=y, column="year"))
    if site is None or year is None:
        return None  # stays_closed reports an unknown site or a year outside the horizon
    total = sum(c for (e, _), c in rc.cap.items() if e == row["site"])
    word = closure_action(site, year)
    if row["action"] != word:
        why = f"its lease ends {site.lease_end}" if word == "lease_end" else "it is no lease running out"
        out.append(
            violation(
                ACTIONS,
                1,
                f"action {row['action']} for site {row['site']} in {year}: {why}, expected {word}",
                site=row["site"],
                year=year,
                column="action",
            )
        )
    return dict(site=row["site"], year=year), dict(
        option=None,
        site=row["site"],
        district=site.district,
        service=None,
        from_service=None,
        modules=math.nan,
        capacity_change=-total,
        capacity_removed=math.nan,
        capex=0.0,
        decision_year=math.nan,
        closure_cost=closure_cost(site, year),
        sale_value=sale_value(site),
    )


def _extension_row(
    rc: Recomputed, row: dict, year: int | None, out: list[Violation]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The keys and expected cells of an ``extend`` row (modules kept one more year): a known option,
    whole modules ≥ 1, a whole year, once per option and year (``extension_limit`` checks the rest)."""
    o, m = rc.options.get(row["option"]), row["modules"]
    keys = dict(option=row["option"], year=year)
    if o is None:
        out.append(violation(ACTIONS, cell_size(m), f"unknown option '{row['option']}'", **keys))
        return None
    if not (is_whole(m) and m >= 1) or year is None:
        out.append(
            violation(ACTIONS, cell_size(m), f"modules {m} kept in year {row['year']} is not a decision", **keys)
        )
        return None
    if row["_dup"]:
        out.append(violation(ACTIONS, m, f"a second row extending {o.option} in {year}", **keys))
    return keys, dict(
        option=o.option,
        site=None,
        district=rc.facility_district.get(o.option),
        service=o.service,
        from_service=None,
        modules=m,
        capacity_change=0.0,
        capacity_removed=math.nan,
        capex=0.0,
        decision_year=year - 1,
        closure_cost=math.nan,
        sale_value=math.nan,
    )


def _opening_row(
    rc: Recomputed, row: dict, year: int | None, out: list[Violation]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The keys and the expected cells of an option's row; None where it is no decision (an
    unknown option, modules that are not a whole number ≥ 1, no whole year), with a violation
    added to ``out``, as for a kind that is not the option's and a second row for the same year."""
    act, y, m = row["action"], row["year"], row["modules"]
    o = rc.options.get(row["option"])
    keys = dict(option=row["option"], year=year)
    if o is None:
        out.append(violation(ACTIONS, cell_size(m), f"unknown option '{row['option']}'", **keys))
        return None
    if o.kind != act:
        out.append(violation(ACTIONS, cell_size(m), f"action {act}, but {o.option} is a {o.kind}", **keys))
    if not (is_whole(m) and m >= 1) or year is None:
        out.append(violation(ACTIONS, cell_size(m), f"modules {m} in year {y} is not a decision", **keys))
        return None
    if row["_dup"]:
        out.append(violation(ACTIONS, m, f"a second row for {o.option} opening in {year}", **keys))
    conversion = o.kind == "conversion"
    return keys, dict(
        option=o.option,
        site=o.site if o.kind in SITE_KINDS else None,
        district=o.district or rc.facility_district[o.site],
        service=o.service,
        from_service=o.from_service if conversion else None,
        modules=m,
        capacity_change=m * o.capacity,
        capacity_removed=m * cf(o) if conversion else math.nan,
        capex=m * option_capex(o, rc.scenario.settings.capex_overrun),
        decision_year=year - o.lead_time,
        closure_cost=math.nan,
        sale_value=math.nan,
    )


def check_utilisation_table(rc: Recomputed) -> list[Violation]:
    """The utilisation table as the plan implies it (:func:`~allocopt.check.recompute.recompute_utilisation`).

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
    known = in_horizon(rc, u["year"]) & u["site"].isin(list(rc.facility_kind)) & u["service"].isin(list(rc.services))
    out = _bad_rows(rc, family, u, UTILISATION_KEYS, known, u["capacity"])
    u = u[known & ~u.duplicated(UTILISATION_KEYS)]
    at = pd.MultiIndex.from_arrays([u["site"], u["service"], u["year"].astype(int)])
    want = imp.reindex(at).set_axis(u.index)
    size = np.maximum(want["capacity"].abs(), want["served"])
    empty = u[size < 1e-6]
    out += [
        violation(
            family,
            max(cell_size(r["capacity"]), cell_size(r["served"])),
            f"row (capacity {r['capacity']:.6g}, served {r['served']:.6g}, open {r['open']:g}) where the "
            "plan gives neither capacity nor use (the table leaves those out)",
            **row_keys(r, UTILISATION_KEYS),
        )
        for r in empty.to_dict("records")
    ]
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
    out += _cells(
        family,
        u.loc[checked, "utilisation"],
        share[checked],
        lambda w: 1e-6 * np.maximum(1.0, np.abs(w)) + slack[checked],
        keys,
        "utilisation",
    )
    need = imp[(np.maximum(imp["capacity"], imp["served"]) > places_tol(0.0)) & ~imp.index.isin(at)]
    out += [
        violation(
            family,
            max(abs(c), s),
            f"no row for capacity {c:.6g} places, {s:.6g} served",
            site=key[0],
            service=key[1],
            year=key[2],
        )
        for key, c, s in zip(need.index, need["capacity"], need["served"])
    ]
    return out


def _keyed_table(rc: Recomputed, name: str, keys: list[str], want: pd.DataFrame, known: pd.Series) -> list[Violation]:
    """Result table ``name`` against ``want`` (indexed by ``keys``): one row per key (none twice, none
    unknown, none missing); each number column as recomputed (relative 1e-6), blank where the
    recomputation is (amount: SEK or share)."""
    c, family = table(rc.result, name), f"{name}_table"
    compared = [col for col in NUMERIC_COLUMNS[name] if col not in ("year",)]
    amount = c[compared[-1] if name == "costs" else ("discounted" if "discounted" in c else "spend")]
    known = known(c)
    out = _bad_rows(rc, family, c, keys, known, amount.abs().fillna(0.0))
    c = c[known & ~c.duplicated(keys)]
    index = pd.MultiIndex.from_frame(c[keys].astype({"year": int})) if len(keys) > 1 else c["year"].astype(int)
    w = want.reindex(index).set_axis(c.index)
    located = dict(zip(c.index, c[keys].astype({"year": int}).to_dict("records"))).__getitem__
    for col in compared:
        if col in keys:
            continue
        size = c[col].abs().fillna(0.0)
        tol = lambda v, size=size: money_tol(np.maximum(np.abs(v), size))  # noqa: E731
        out += _cells(family, c[col], w[col], tol, located, col)
    have = set(index)
    for key in want.index:
        if key not in have:
            where = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
            out.append(violation(family, 0.0, "no row", **where))
    return out


def check_costs_table(rc: Recomputed) -> list[Violation]:
    """The costs table: one row per planning year (none twice, none for another year); each
    column of :data:`~allocopt.check.reading.COMPARED_COLUMNS` as recomputed (relative 1e-6),
    blank where the recomputation is (a cap, or its use, where the budget gives no cap)
    (amount: SEK or share)."""
    return _keyed_table(rc, "costs", ["year"], rc.costs, lambda c: in_horizon(rc, c["year"]))


def check_party_costs_table(rc: Recomputed) -> list[Violation]:
    """The party_costs table: one row per planning year and party; every column as recomputed
    (amount: SEK)."""
    return _keyed_table(
        rc,
        "party_costs",
        ["year", "party"],
        rc.party_costs,
        lambda c: in_horizon(rc, c["year"]) & c["party"].isin(PARTIES),
    )


def check_frames_table(rc: Recomputed) -> list[Violation]:
    """The frames table: one row per planning year and frame (party as the frame's); spend, cap and
    use as recomputed, cap and use blank without a cap (amount: SEK or share)."""
    out = _keyed_table(
        rc,
        "frames",
        ["year", "frame"],
        rc.frames[["spend", "cap", "use"]],
        lambda c: in_horizon(rc, c["year"]) & c["frame"].isin(rc.frames.index.get_level_values("frame")),
    )
    f = table(rc.result, "frames")
    who = rc.frames["party"].droplevel("year").groupby(level=0).first()
    wrong = f[f["frame"].isin(who.index) & (f["party"] != f["frame"].map(who))]
    for row in wrong.to_dict("records"):
        out.append(
            violation(
                "frames_table",
                1,
                f"party {row['party']}, expected {who[row['frame']]}",
                year=row["year"],
                frame=row["frame"],
                column="party",
            )
        )
    return out


def check_objective(rc: Recomputed) -> list[Violation]:
    """result.objective = the recomputed objective, relative 1e-6 (amount: SEK)."""
    obj = rc.result.objective
    if obj is None or math.isnan(obj):
        return [violation("objective", abs(rc.objective), f"no objective; recomputed {rc.objective:.10g} SEK")]
    if abs(obj - rc.objective) > money_tol(obj):
        return [
            violation(
                "objective", abs(obj - rc.objective), f"objective {obj:.10g} SEK, recomputed {rc.objective:.10g} SEK"
            )
        ]
    return []
