"""The temporary permits, checked on the plan: ``permit_limit`` and the ``permits`` table.

``permit_limit`` recomputes, from the actions alone, how long each module of a lease or pavilion
under a temporary building permit stands on its plot (in its term or extended, the plan keeping the
youngest modules), adds the years used before the first year, and flags a stay beyond the permit
(models/premises.md, *Temporary permits*). ``permits_table`` compares the result's ``permits``
table with the same figures. A result without a ``permits`` table (a result folder written without
it) is checked by ``permit_limit`` alone.
"""

from __future__ import annotations

import math

import pandas as pd

from allocopt.check.recompute import Recomputed
from allocopt.check.violations import MODULE_TOL, Violation, violation

PERMIT_COLUMNS: tuple[str, ...] = ("permit_years", "used_years", "years_in_service", "remaining_years", "limit_year")
"""The numeric columns of the ``permits`` table, in years (``limit_year`` a calendar year)."""


def _stays(rc: Recomputed, option: str) -> dict[int, float]:
    """Year -> years the oldest module in service has stood on the plot by then, the years used before
    the first year included: the modules in service in ``y`` are the youngest ``active[o,y]`` opened by ``y``."""
    used = rc.options[option].permit_used_years
    opened = sorted(((t, m) for (o, t), m in rc.build.items() if o == option and m > MODULE_TOL), reverse=True)
    out = {}
    for y in rc.years:
        n = rc.active.get((option, y), 0.0)
        if n <= MODULE_TOL:
            continue
        count, oldest = 0.0, None
        for t, m in opened:
            if t <= y:
                count, oldest = count + m, t
                if count >= n - MODULE_TOL:
                    break
        out[y] = (y - oldest + 1 if oldest is not None else y - rc.y0 + 1) + used
    return out


def permit_rows(rc: Recomputed) -> pd.DataFrame:
    """The permits table the plan implies, indexed by (option, site) with '' for the blank one: every
    lease or pavilion with a permit and premises on its plot before the first year or in the plan, and
    every existing site under a permit; ``limit_year`` NaN where the permit is not reached within the horizon."""
    rows = {}
    for o, opt in rc.options.items():
        permit = opt.permit
        if permit is None:
            continue
        stays, used = _stays(rc, o), opt.permit_used_years
        if not used and not stays:
            continue
        reached = [y for y, stay in stays.items() if stay >= permit]
        rows[o, ""] = {
            "district": opt.district,
            "service": opt.service,
            "permit_years": float(permit),
            "used_years": float(used),
            "years_in_service": float(len(stays)),
            "remaining_years": float(permit - max(stays.values(), default=used)),
            "limit_year": float(reached[0]) if reached else math.nan,
        }
    for e, site in rc.sites.items():
        if site.permit_years is None:
            continue
        open_years = [y for y in rc.years if rc.is_open(e, y)]
        used = site.permit_used_years
        reached = [y for i, y in enumerate(open_years, start=1) if used + i == site.permit_years]
        rows["", e] = {
            "district": site.district,
            "service": "",
            "permit_years": float(site.permit_years),
            "used_years": float(used),
            "years_in_service": float(len(open_years)),
            "remaining_years": float(site.permit_years - used - len(open_years)),
            "limit_year": float(reached[0]) if reached else math.nan,
        }
    index = pd.MultiIndex.from_tuples(list(rows), names=["option", "site"])
    return pd.DataFrame(list(rows.values()), index=index, columns=["district", "service", *PERMIT_COLUMNS])


def check_permit_limit(rc: Recomputed) -> list[Violation]:
    """Each module of a lease or pavilion under a temporary permit stands on the plot, with the years
    used before the first year, at most the permit; an existing site under a permit is open, with the
    years used, at most the permit (amount: years beyond it, in the year it stands longest)."""
    out = []
    for o, opt in rc.options.items():
        if opt.permit is None:
            continue
        stays = _stays(rc, o)
        beyond = {y: stay - opt.permit for y, stay in stays.items() if stay > opt.permit}
        if beyond:
            worst = max(beyond, key=beyond.get)
            out.append(
                violation(
                    "permit_limit",
                    beyond[worst],
                    f"a module stands on the plot {stays[worst]:g} years by {worst} (years used before included), "
                    f"beyond its temporary permit of {opt.permit} years (first beyond in {min(beyond)})",
                    option=o,
                )
            )
    for e, site in rc.sites.items():
        if site.permit_years is None:
            continue
        stood = site.permit_used_years + sum(rc.is_open(e, y) for y in rc.years)
        if stood > site.permit_years:
            out.append(
                violation(
                    "permit_limit",
                    stood - site.permit_years,
                    f"open {stood:g} years with the years used before, beyond its temporary permit of "
                    f"{site.permit_years} years: closed from {site.permit_end_from(rc.y0)} at the latest",
                    site=e,
                )
            )
    return out


def _blank(value) -> str:
    """A table cell as an id: blank (None, NaN, NA) as ''."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def check_permits_table(rc: Recomputed) -> list[Violation]:
    """The permits table: one row per option or site of :func:`permit_rows` (none unknown, none twice,
    none missing), each column as recomputed, ``limit_year`` blank where the permit is not reached
    (amount: years). Skipped for a result without the table (no rows at all)."""
    have = getattr(rc.result, "permits", None)
    if have is None or not len(have):
        return []
    want = permit_rows(rc)
    out = []
    seen: set[tuple[str, str]] = set()
    for row in have.to_dict("records"):
        key = (_blank(row.get("option")), _blank(row.get("site")))
        where = {k: v for k, v in zip(("option", "site"), key) if v}
        if key not in want.index or key in seen:
            why = "a second row for it" if key in seen else "no lease, pavilion or site of the plan under a permit"
            out.append(violation("permits_table", 0.0, why, **where))
            continue
        seen.add(key)
        for column in PERMIT_COLUMNS:
            got = pd.to_numeric(pd.Series([row.get(column)], dtype=object), errors="coerce").astype(float).iloc[0]
            expected = want.at[key, column]
            if math.isnan(expected) and math.isnan(got):
                continue
            if math.isnan(expected) or math.isnan(got) or abs(got - expected) > 1e-9:
                out.append(
                    violation(
                        "permits_table",
                        0.0 if math.isnan(got) or math.isnan(expected) else abs(got - expected),
                        f"{column} {got:g}, recomputed {expected:g}",
                        column=column,
                        **where,
                    )
                )
        for column in ("district", "service"):
            if _blank(row.get(column)) != want.at[key, column]:
                out.append(
                    violation(
                        "permits_table",
                        0.0,
                        f"{column} {row.get(column)}, expected {want.at[key, column]}",
                        column=column,
                        **where,
                    )
                )
    for key in want.index:
        if key not in seen:
            where = {k: v for k, v in zip(("option", "site"), key) if v}
            out.append(violation("permits_table", 0.0, "no row", **where))
    return out
