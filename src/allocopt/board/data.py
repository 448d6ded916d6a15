"""The tables the report's charts draw, derived from a :class:`~allocopt.result.Result`'s tables
alone (never from the model): demand against capacity (:func:`pressure`), the actions as bars in
time (:func:`timeline`) and the map's points (:func:`map_points`). Places in places, money in SEK,
coordinates in km, years as calendar years."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from allocopt.result import Result
from allocopt.tables import CLOSURES

OPENINGS = ("build", "lease", "pavilion", "expansion", "conversion")
"""Actions that open modules of an option (``extend`` keeps them: drawn as service, not as a row)."""

GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
"""Angle between neighbouring sites around a district's centre on the map (radians)."""


def num(table: pd.DataFrame, column: str) -> pd.Series:
    """``table[column]`` as floats (blank and text as NaN; a missing column as NaN)."""
    if column not in table:
        return pd.Series(np.nan, index=table.index, dtype=float)
    return pd.to_numeric(table[column], errors="coerce").astype(float)


def text(value) -> str:
    """A table cell as text: blank (None, NaN) as ''."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def years(result: Result) -> list[int]:
    """The plan's years, from the balance and costs tables (first to last, every year between)."""
    found = pd.concat([num(result.balance, "year"), num(result.costs, "year")]).dropna()
    first, last = result.scenario_settings.get("first_year"), result.scenario_settings.get("last_year")
    if len(found):
        first, last = int(found.min()), int(found.max())
    if first is None or last is None:
        return []
    return list(range(int(first), int(last) + 1))


def pressure(result: Result) -> pd.DataFrame:
    """Demand against capacity per district, service and year: ``demand`` and ``unmet`` (places, from
    ``balance``), ``capacity`` (usable places of the facilities open in the district that year, from
    ``utilisation``; nominal where usable is blank) and ``ratio`` = demand / capacity (inf where
    there is demand and no capacity, NaN where there is neither)."""
    balance = pd.DataFrame(
        {
            "district": result.balance["district"].map(text),
            "service": result.balance["service"].map(text),
            "year": num(result.balance, "year"),
            "demand": num(result.balance, "demand").fillna(0.0),
            "unmet": num(result.balance, "unmet").fillna(0.0),
        }
    )
    use = result.utilisation
    usable = num(use, "usable").fillna(num(use, "capacity")).fillna(0.0)
    open_ = num(use, "open").fillna(1.0) > 0.5
    cap = pd.DataFrame(
        {
            "district": use["district"].map(text),
            "service": use["service"].map(text),
            "year": num(use, "year"),
            "capacity": usable.where(open_, 0.0),
        }
    )
    cap = cap.groupby(["district", "service", "year"], as_index=False)["capacity"].sum()
    keys = ["district", "service", "year"]
    out = balance.groupby(keys, as_index=False)[["demand", "unmet"]].sum().merge(cap, on=keys, how="outer")
    out[["demand", "unmet", "capacity"]] = out[["demand", "unmet", "capacity"]].fillna(0.0)
    out = out.dropna(subset=["year"])
    out["year"] = out["year"].astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out["demand"] / out["capacity"]
    ratio[(out["capacity"] <= 0) & (out["demand"] > 0)] = np.inf
    ratio[(out["capacity"] <= 0) & (out["demand"] <= 0)] = np.nan
    out["ratio"] = ratio
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def names(result: Result) -> dict[str, str]:
    """Display names by id (districts, sites, options) from ``locations``; ids without one map to themselves."""
    loc = result.locations
    out = {}
    for ident, name in zip(loc["id"].map(text), loc["name"].map(text)):
        out[ident] = name or ident
    return out


def timeline(result: Result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The actions as bars and marks in time.

    Bars: one per row, phase and span: ``row`` (the option or site acted on), ``phase``
    (``construction``: decision year to opening; an opening action's kind while in service;
    ``existing``: a closed site before its closure), ``start`` and ``end`` (years; the bar covers
    ``start`` to ``end`` exclusive), ``capex`` (SEK, the row's openings), ``places`` (the row's
    capacity change), ``district``, ``service``. Marks: closures, ``row``, ``year``, ``action``.
    Rows come in the order of their first year, then id.
    """
    actions = result.actions
    span = years(result)
    end_of_plan = (span[-1] + 1) if span else None
    if actions is None or actions.empty or end_of_plan is None:
        return _bars([]), pd.DataFrame(columns=["row", "year", "action"])
    table = pd.DataFrame(
        {
            "year": num(actions, "year"),
            "action": actions["action"].map(text),
            "option": actions["option"].map(text) if "option" in actions else "",
            "site": actions["site"].map(text) if "site" in actions else "",
            "district": actions["district"].map(text) if "district" in actions else "",
            "service": actions["service"].map(text) if "service" in actions else "",
            "places": num(actions, "capacity_change").fillna(0.0),
            "capex": num(actions, "capex").fillna(0.0),
            "decision_year": num(actions, "decision_year"),
        }
    ).dropna(subset=["year"])
    table["id"] = np.where(table["action"].isin(CLOSURES), table["site"], table["option"])
    table["id"] = [i or s or o for i, s, o in zip(table["id"], table["site"], table["option"])]
    in_service = _open_years(result)
    bars, marks = [], []
    for ident, rows in table.groupby("id", sort=False):
        openings = rows[rows["action"].isin(OPENINGS)].sort_values("year", kind="stable")
        closures = rows[rows["action"].isin(CLOSURES)].sort_values("year", kind="stable")
        first = rows.iloc[0]
        for row in openings.itertuples():
            decided = row.decision_year if not math.isnan(row.decision_year) else row.year
            if decided < row.year:
                bars.append(_bar(ident, "construction", decided, row.year, row))
        if len(openings):
            kind = openings.iloc[0]["action"]
            start = int(openings["year"].min())
            runs = _runs([y for y in in_service.get(ident, []) if y >= start]) or [(start, end_of_plan)]
            summary = openings.assign(year=start).iloc[0].copy()
            summary["capex"], summary["places"] = openings["capex"].sum(), openings["places"].sum()
            bars += [_bar(ident, kind, a, b, summary) for a, b in runs]
        if len(closures):
            closed = int(closures["year"].min())
            if not len(openings) and span and closed > span[0]:
                bars.append(_bar(ident, "existing", span[0], closed, first))
            marks += [{"row": ident, "year": int(y), "action": a} for y, a in zip(closures["year"], closures["action"])]
    bars_table = _bars(bars)
    order = bars_table.groupby("row", sort=False)["start"].min().reset_index()
    order = order.sort_values(["start", "row"], kind="stable")["row"].tolist()
    rank = {r: i for i, r in enumerate(order)}
    rank.update({m["row"]: len(rank) + i for i, m in enumerate(marks) if m["row"] not in rank})
    bars_table = bars_table.sort_values("row", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)
    marks_table = pd.DataFrame(marks, columns=["row", "year", "action"])
    marks_table = marks_table.sort_values("row", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)
    return bars_table, marks_table


def _bar(ident: str, phase: str, start: float, end: float, row) -> dict:
    return {
        "row": ident,
        "phase": phase,
        "start": int(start),
        "end": int(end),
        "capex": float(row["capex"] if isinstance(row, pd.Series) else row.capex),
        "places": float(row["places"] if isinstance(row, pd.Series) else row.places),
        "district": row["district"] if isinstance(row, pd.Series) else row.district,
        "service": row["service"] if isinstance(row, pd.Series) else row.service,
    }


def _bars(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", "phase", "start", "end", "capex", "places", "district", "service"])


def _open_years(result: Result) -> dict[str, list[int]]:
    """Years each facility (site or option id) is open, from ``utilisation``."""
    use = result.utilisation
    if use.empty:
        return {}
    table = pd.DataFrame({"id": use["site"].map(text), "year": num(use, "year"), "open": num(use, "open")})
    table = table[(table["open"] > 0.5) & table["year"].notna()]
    return {i: sorted({int(y) for y in g["year"]}) for i, g in table.groupby("id", sort=False)}


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """Consecutive years as spans ``(first, last + 1)``."""
    out: list[tuple[int, int]] = []
    for y in sorted(set(values)):
        if out and out[-1][1] == y:
            out[-1] = (out[-1][0], y + 1)
        else:
            out.append((y, y + 1))
    return out


def map_points(result: Result) -> tuple[pd.DataFrame, pd.DataFrame, bool]:
    """The map's districts and facilities, and whether the districts were laid on a circle (no coordinates).

    Districts: ``id``, ``name``, ``x``, ``y`` (km), ``r`` (km: the circle drawn, 0.42 of the distance
    to the nearest district, so that circles never overlap, and at most 1.5 times the typical one),
    ``peak`` (the district's demand over all services / its usable places over all services, in the
    year this is highest; inf with demand and no places, NaN with neither), ``unmet`` (place-years).

    Facilities: ``id``, ``name``, ``district``, ``x``, ``y`` (km: inside the district's circle on a
    golden-angle spiral: a fixed, schematic place, not the facility's address), ``status``
    (``kept``, ``closed``, an opening's action kind, or ``not_chosen``), ``capacity`` (places: the
    largest total over the years, or the opened capacity).
    """
    loc = result.locations
    kinds = loc["kind"].map(text)
    districts = loc[kinds == "district"]
    ids = districts["id"].map(text).tolist()
    ids += sorted(set(pressure_districts(result)) - set(ids))
    x = dict(zip(districts["id"].map(text), num(districts, "x_km")))
    y = dict(zip(districts["id"].map(text), num(districts, "y_km")))
    circle = not ids or any(math.isnan(x.get(d, math.nan)) or math.isnan(y.get(d, math.nan)) for d in ids)
    if circle:
        radius = max(2.0, len(ids) / math.pi)
        x = {d: radius * math.cos(2 * math.pi * i / max(len(ids), 1)) for i, d in enumerate(ids)}
        y = {d: radius * math.sin(2 * math.pi * i / max(len(ids), 1)) for i, d in enumerate(ids)}
    shown = names(result)
    press = pressure(result).groupby(["district", "year"])[["demand", "capacity", "unmet"]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = press["demand"] / press["capacity"]
    ratio[(press["capacity"] <= 0) & (press["demand"] <= 0)] = np.nan
    peak = ratio.groupby(level=0).max()
    unmet = press["unmet"].groupby(level=0).sum()
    near = _nearest(x, y, ids)
    typical = float(np.median(list(near.values()))) if near else 4.0
    near = {d: min(n, 1.5 * typical) for d, n in near.items()}
    district_table = pd.DataFrame(
        {
            "id": ids,
            "name": [shown.get(d, d) for d in ids],
            "x": [x[d] for d in ids],
            "y": [y[d] for d in ids],
            "r": [0.42 * near[d] for d in ids],
            "peak": [float(peak.get(d, np.nan)) for d in ids],
            "unmet": [float(unmet.get(d, 0.0)) for d in ids],
        }
    )
    radius = dict(zip(district_table["id"], district_table["r"]))
    return district_table, _facilities(result, x, y, radius), circle


def pressure_districts(result: Result) -> list[str]:
    """Districts named in the balance table."""
    return sorted({text(d) for d in result.balance["district"]} - {""})


def _nearest(x: dict[str, float], y: dict[str, float], ids: list[str]) -> dict[str, float]:
    """Each district's distance to its nearest other district (km; 4 km for a lone district, and
    the median of the others for one standing on another)."""
    points = np.array([[x[d], y[d]] for d in ids], dtype=float).reshape(-1, 2)
    if len(points) < 2:
        return {d: 4.0 for d in ids}
    dist = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(dist, np.inf)
    nearest = dist.min(axis=1)
    positive = nearest[nearest > 0]
    fallback = float(np.median(positive)) if len(positive) else 4.0
    return {d: float(n) if n > 0 else fallback for d, n in zip(ids, nearest)}


def _facilities(result: Result, x: dict, y: dict, radius: dict) -> pd.DataFrame:
    loc = result.locations
    table = pd.DataFrame(
        {"kind": loc["kind"].map(text), "id": loc["id"].map(text), "district": loc["district"].map(text)}
    )
    actions = result.actions
    acted = pd.DataFrame(
        {
            "action": actions["action"].map(text),
            "option": actions["option"].map(text),
            "district": actions["district"].map(text),
        }
    )
    where = dict(zip(acted["option"], acted["district"]))  # expansions and conversions: their site's district
    table["district"] = [d or where.get(i, "") for i, d in zip(table["id"], table["district"])]
    table = table[(table["kind"] != "district") & table["district"].isin(x.keys())]
    shown = names(result)
    table["name"] = [shown.get(i, i) for i in table["id"]]
    closed = {text(s) for s, a in zip(actions["site"], actions["action"]) if a in CLOSURES}
    opened = acted[acted["action"].isin(OPENINGS)].drop_duplicates("option").set_index("option")["action"].to_dict()
    places = num(actions, "capacity_change").groupby(acted["option"]).sum()
    use = result.utilisation
    by_year = pd.DataFrame({"id": use["site"].map(text), "year": num(use, "year"), "cap": num(use, "capacity")})
    biggest = by_year.groupby(["id", "year"])["cap"].sum().groupby(level=0).max()
    status, capacity = [], []
    for kind, ident in zip(table["kind"], table["id"]):
        status.append(("closed" if ident in closed else "kept") if kind == "site" else opened.get(ident, "not_chosen"))
        capacity.append(float(biggest.get(ident, places.get(ident, 0.0))))
    table["status"], table["capacity"] = status, capacity
    spot = {}
    for district, group in table.groupby("district", sort=False):
        step = 0.85 * radius[district] / math.sqrt(len(group) + 0.5)
        for i, ident in enumerate(group["id"]):
            r, angle = step * math.sqrt(i + 0.5), GOLDEN_ANGLE * i
            spot[(ident, district)] = (x[district] + r * math.cos(angle), y[district] + r * math.sin(angle))
    table["x"] = [spot[(i, d)][0] for i, d in zip(table["id"], table["district"])]
    table["y"] = [spot[(i, d)][1] for i, d in zip(table["id"], table["district"])]
    return table[["id", "name", "district", "x", "y", "status", "capacity"]].reset_index(drop=True)
