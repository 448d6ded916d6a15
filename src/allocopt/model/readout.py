"""The readout: the plan of a solved model read off into the tidy result tables of :class:`allocopt.Result`.

Integer decisions are rounded to whole numbers first (HiGHS returns them within its
feasibility tolerance), continuous places to micro-places; every money figure is recomputed
from those values with the model's own cost expressions (models/premises.md, *Objective*).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from allocopt.model.build import PlanModel, district_usable
from allocopt.model.money import FLOW_TERMS, FRAMES, MUNICIPALITY, residual, sign
from allocopt.scenario import PARTIES, SITE_KINDS
from allocopt.tables import TABLE_COLUMNS

PLACES_DECIMALS = 6
"""Places (assignments, unmet, capacity) are read to micro-places."""


def round_decisions(pm: PlanModel) -> None:
    """Snap integer variables to integers and tiny continuous values to zero."""
    for group in (pm.build, pm.avail, pm.extend, pm.open, pm.pick, pm.unmet_all):
        for var in group.values():
            var.set_value(float(round(var.value or 0.0)), skip_validation=True)
    for group in (pm.assign, pm.flow, pm.unmet):
        for var in group.values():
            v = round(var.value or 0.0, PLACES_DECIMALS)
            var.set_value(v if v > 0 else 0.0, skip_validation=True)


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TABLE_COLUMNS[name])


def oldest_in_service(openings: dict[int, int], active: dict[int, int]) -> dict[int, int]:
    """Year -> opening year of the oldest module in service, the modules in service being the youngest
    ``active[y]`` of those opened by ``y`` (``openings``: opening year -> modules): the plan that keeps
    the youngest modules, which ``permit_limit`` holds to (models/premises.md, *Temporary permits*)."""
    out = {}
    for y, n in active.items():
        count = 0
        for t in sorted((t for t in openings if t <= y), reverse=True):
            count += openings[t]
            if count >= n:
                out[y] = t
                break
    return out


def permits_table(pm: PlanModel) -> pd.DataFrame:
    """One row per lease or pavilion under a temporary permit with premises on its plot before the first
    year or in the plan: the permit, the years used before, the years of the horizon with a module in
    service, the years left to the module that stands longest (its years used included), and the first
    year a module reaches the permit (blank: not within the horizon); and one per existing site under a
    temporary permit, the same for the site's years open."""
    rows = []
    for o in pm.index.options.values():
        if o.permit_left is None:
            continue
        permit, used = o.permit_left + o.permit_used, o.permit_used  # validation holds used within the permit
        active = {y: n for y in pm.index.years if (n := int(round(pm.active(o, y).value()))) > 0}
        openings = {t: n for t in o.years if (n := int(round(pm.build_term(o.option, t).value()))) > 0}
        if not used and not active:
            continue
        ages = {y: y - t + 1 + used for y, t in oldest_in_service(openings, active).items()}
        rows.append(
            {
                "option": o.option,
                "site": None,
                "district": o.district,
                "service": o.service,
                "permit_years": permit,
                "used_years": used,
                "years_in_service": len(active),
                "remaining_years": permit - max(ages.values(), default=used),
                "limit_year": next((y for y, age in ages.items() if age >= permit), None),
            }
        )
    y0 = pm.index.years[0]
    for x in pm.index.sites.values():
        if x.permit_years is None:
            continue
        open_years = [y for y in pm.index.years if round(pm.open_term(x.site, y).value()) == 1]
        stood = x.permit_used + len(open_years)
        last_allowed = y0 + x.permit_years - x.permit_used - 1
        rows.append(
            {
                "option": None,
                "site": x.site,
                "district": x.district,
                "service": None,
                "permit_years": x.permit_years,
                "used_years": x.permit_used,
                "years_in_service": len(open_years),
                "remaining_years": x.permit_years - stood,
                "limit_year": last_allowed if last_allowed in open_years else None,
            }
        )
    out = _frame("permits", rows)
    return out.astype({"limit_year": "Int64"})  # a calendar year, blank where no module reaches the permit


def actions_table(pm: PlanModel) -> pd.DataFrame:
    """One row per option opening (modules in a year) and per site closure (``close``, or ``lease_end``
    for a leased site first closed after its lease_end: :meth:`~allocopt.index.SiteInfo.closure_action`)."""
    idx = pm.index
    rows = []
    openings = [(o, t) for o in idx.options.values() for t in o.years]
    for o, t in openings:
        n = int(round(pm.build_term(o.option, t).value()))
        if n <= 0:
            continue
        rows.append(
            {
                "year": t,
                "action": o.kind,
                "option": o.option,
                "site": o.facility if o.kind in SITE_KINDS else None,
                "district": o.district,
                "service": o.service,
                "from_service": o.from_service,
                "modules": n,
                "capacity_change": n * o.capacity,
                "capacity_removed": n * o.capacity_from if o.kind == "conversion" else None,
                "capex": n * o.capex,
                "decision_year": t - o.lead_time,
                "closure_cost": None,
                "sale_value": None,
            }
        )
    for (name, y), var in pm.extend.items():
        n = int(round(var.value or 0.0))
        if n > 0:
            o = idx.options[name]
            rows.append(
                {
                    "year": y,
                    "action": "extend",
                    "option": name,
                    "site": None,
                    "district": o.district,
                    "service": o.service,
                    "from_service": None,
                    "modules": n,
                    "capacity_change": 0.0,
                    "capacity_removed": None,
                    "capex": 0.0,
                    "decision_year": y - 1,
                    "closure_cost": None,
                    "sale_value": None,
                }
            )
    for x in idx.sites.values():
        for y in idx.years:
            if round(pm.open_term(x.site, y).value()) == 0:
                rows.append(
                    {
                        "year": y,
                        "action": x.closure_action(y),
                        "option": None,
                        "site": x.site,
                        "district": x.district,
                        "service": None,
                        "from_service": None,
                        "modules": None,
                        "capacity_change": -sum(x.capacity.values()),
                        "capacity_removed": None,
                        "capex": 0.0,
                        "decision_year": None,
                        "closure_cost": x.closure_cost[y],
                        "sale_value": x.sale_value,
                    }
                )
                break
    out = _frame("actions", rows)
    out["sort_id"] = out["option"].fillna(out["site"])
    out = out.sort_values(["year", "action", "sort_id"], kind="mergesort").drop(columns="sort_id")
    return out.reset_index(drop=True).astype({"year": int})


def assignments_table(pm: PlanModel) -> pd.DataFrame:
    """Places served per district, facility, service and year (non-zero only), with km; a
    district-to-district ``flow`` split over the receiving district's facilities (:meth:`PlanModel.placed`)."""
    km = {(d, k, s): dist for d, k, s, dist in pm.index.reach}
    rows = []
    for (d, k, s, y), served in pm.placed().items():
        places = round(served, PLACES_DECIMALS)
        if places > 0:
            rows.append({"district": d, "site": k, "service": s, "year": y, "places": places, "km": km[d, k, s]})
    out = _frame("assignments", rows)
    return out.sort_values(["district", "service", "year", "site"], kind="mergesort").reset_index(drop=True)


def balance_table(pm: PlanModel, assignments: pd.DataFrame) -> pd.DataFrame:
    """Demand, served and unmet places per district, service and year (years with demand)."""
    table = pm.index.demand_table
    table = table[table["places"] > 0].rename(columns={"places": "demand"}).copy()
    served = assignments.groupby(["district", "service", "year"])["places"].sum()
    keys = list(zip(table["district"], table["service"], table["year"]))
    table["served"] = [round(float(served.get(k, 0.0)), PLACES_DECIMALS) for k in keys]
    unmet = []
    for k, dem in zip(keys, table["demand"]):
        if k in pm.unmet:
            unmet.append(pm.unmet[k].value or 0.0)
        elif k in pm.unmet_all:
            unmet.append(dem * (pm.unmet_all[k].value or 0.0))
        else:
            unmet.append(0.0)
    table["unmet"] = np.round(unmet, PLACES_DECIMALS)
    return table[TABLE_COLUMNS["balance"]].reset_index(drop=True)


def utilisation_table(pm: PlanModel, assignments: pd.DataFrame) -> pd.DataFrame:
    """Capacity and use per facility, service and year (rows with capacity or use)."""
    idx = pm.index
    served = assignments.groupby(["site", "service", "year"])["places"].sum()
    rows = []
    for k, s in idx.facility_services:
        u = idx.services[s].utilisation
        for y in idx.years:
            cap = round(pm.capacity(k, s, y).value(), PLACES_DECIMALS)
            use = float(served.get((k, s, y), 0.0))
            if cap <= 0 and use <= 0:
                continue
            if k in idx.sites:
                is_open = round(pm.open_term(k, y).value())
            else:  # a new building is open while its own modules are in service
                is_open = int(pm.active(idx.options[k], y).value() > 0.5)
            rows.append(
                {
                    "site": k,
                    "kind": idx.facility_kind[k],
                    "district": idx.facility_district[k],
                    "service": s,
                    "year": y,
                    "open": int(is_open),
                    "capacity": cap,
                    "usable": round(u * cap, PLACES_DECIMALS),
                    "served": round(use, PLACES_DECIMALS),
                    "utilisation": round(use / cap, 6) if cap > 0 else math.nan,
                }
            )
    return _frame("utilisation", rows)


BAND_CLASSES: tuple[str, str, str] = ("under capacity", "within band", "surplus")
"""The surplus band's classes of a district-year: spare places short of the floor, within the band, beyond
the ceiling (the reports colour them as traffic lights: red, green, amber)."""


def surplus_band_table(pm: PlanModel) -> pd.DataFrame:
    """One row per district, year and service with a surplus band and demand: the district's usable
    places (``u_s`` times its own facilities' capacity), spare = usable − demand, the band's floor and
    ceiling in places, the places short of the floor and beyond the ceiling (the slacks of
    ``surplus_floor`` and ``surplus_ceiling`` that the plan implies, the least that satisfy them),
    the class, and their cost (SEK, undiscounted)."""
    idx = pm.index
    rows = []
    for (d, s, y), demand in idx.demand.items():
        info = idx.services[s]
        if info.surplus_min is None and info.surplus_max is None:
            continue
        usable = round(district_usable(pm, d, s, y).value(), PLACES_DECIMALS)
        spare = usable - demand
        floor = None if info.surplus_min is None else info.surplus_min * demand
        ceiling = None if info.surplus_max is None else info.surplus_max * demand
        under = 0.0 if floor is None else round(max(0.0, floor - spare), PLACES_DECIMALS)
        over = 0.0 if ceiling is None else round(max(0.0, spare - ceiling), PLACES_DECIMALS)
        rows.append(
            {
                "district": d,
                "service": s,
                "year": y,
                "demand": demand,
                "usable": usable,
                "spare": spare,
                "floor": floor,
                "ceiling": ceiling,
                "under": under,
                "over": over,
                "class": BAND_CLASSES[0] if under > 0 else BAND_CLASSES[2] if over > 0 else BAND_CLASSES[1],
                "cost": info.surplus_cost * (under + over),
            }
        )
    out = _frame("surplus_band", rows)
    return out.sort_values(["service", "district", "year"], kind="mergesort").reset_index(drop=True)


def _travel_and_penalty(
    pm: PlanModel,
    assignments: pd.DataFrame,
    balance: pd.DataFrame,
    penalty: dict[str, float] | None,
    band: pd.DataFrame,
) -> tuple[pd.Series, pd.Series]:
    """Travel cost and the notional costs per year (SEK), the municipality's: the unmet-demand penalty and
    the surplus band's cost (``band``: :func:`surplus_band_table`)."""
    idx = pm.index
    travel = pd.Series(0.0, index=idx.years)
    if len(assignments):
        rate = assignments["service"].map({s: v.travel_cost for s, v in idx.services.items()})
        travel = travel.add(
            (rate * assignments["km"] * assignments["places"]).groupby(assignments["year"]).sum(), fill_value=0.0
        )
    penalty_rate = penalty if penalty is not None else {s: (v.penalty or 0.0) for s, v in idx.services.items()}
    pen = (balance["unmet"] * balance["service"].map(penalty_rate)).groupby(balance["year"]).sum()
    if len(band):  # the surplus band's cost is notional too: counted with the penalty
        pen = pen.add(band.groupby("year")["cost"].sum(), fill_value=0.0)
    return travel.reindex(idx.years, fill_value=0.0), pen.reindex(idx.years, fill_value=0.0).astype(float)


def _party_rows(pm: PlanModel, travel: pd.Series, penalty: pd.Series) -> list[dict]:
    """One row per year and party: every money term (SEK), residual, discount factor, discounted."""
    idx = pm.index
    flows = pm.money()
    values = residual(pm)
    last = idx.years[-1]
    rows = []
    for y in idx.years:
        for p in PARTIES:
            row: dict = {"year": y, "party": p}
            for term in FLOW_TERMS:
                amount = flows.get((p, term, y))
                row[term] = amount.value() if amount is not None else 0.0
            row["travel"] = float(travel[y]) if p == MUNICIPALITY else 0.0
            row["penalty"] = float(penalty[y]) if p == MUNICIPALITY else 0.0
            row["residual"] = values[p].value() if y == last else 0.0
            row["discount_factor"] = idx.discount[y]
            spend = sum(sign(t) * row[t] for t in FLOW_TERMS) + row["travel"] + row["penalty"]
            row["discounted"] = idx.discount[y] * spend - idx.discount_end * row["residual"]
            rows.append(row)
    return rows


def costs_tables(
    pm: PlanModel,
    assignments: pd.DataFrame,
    balance: pd.DataFrame,
    band: pd.DataFrame,
    penalty: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``costs`` (both parties per year, SEK), ``party_costs`` (per party and year) and ``frames``
    (each frame's spend against its cap per year).

    ``band``: the surplus band table (:func:`surplus_band_table`); ``penalty``: SEK per unmet
    place-year by service (default: the scenario's).
    """
    idx = pm.index
    travel, pen = _travel_and_penalty(pm, assignments, balance, penalty, band)
    party = _frame("party_costs", _party_rows(pm, travel, pen))
    spend = pm.spend()
    caps = {f: getattr(idx, f) for f in FRAMES}
    group = party.groupby("year", sort=True)[
        [c for c in TABLE_COLUMNS["party_costs"][2:] if c != "discount_factor"]
    ].sum()
    rows = []
    for y in idx.years:
        row = {"year": y, **{c: float(group.at[y, c]) for c in group.columns}, "discount_factor": idx.discount[y]}
        for frame in ("capex_cap", "opex_cap"):
            cap = caps[frame].get(y)
            row[frame] = cap
            row[frame.replace("_cap", "_use")] = spend[frame][y].value() / cap if cap else None
        rows.append(row)
    costs = _frame("costs", rows)
    frames = [
        {
            "year": y,
            "frame": frame,
            "party": who,
            "spend": spend[frame][y].value(),
            "cap": caps[frame].get(y),
            "use": spend[frame][y].value() / caps[frame][y] if caps[frame].get(y) else None,
        }
        for y in idx.years
        for frame, (who, _parties, _terms) in FRAMES.items()
    ]
    return costs, party, _frame("frames", frames)


def plan_objective(pm: PlanModel, party_costs: pd.DataFrame) -> float:
    """The objective of the read-off plan (SEK): Σ ``discounted`` of the perspective's parties."""
    from allocopt.model.build import objective_parties

    return float(party_costs.loc[party_costs["party"].isin(objective_parties(pm.index)), "discounted"].sum())


def read_tables(pm: PlanModel, penalty: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """Every result table of a solved (or fixed) model (``penalty``: see :func:`costs_tables`)."""
    round_decisions(pm)
    assignments = assignments_table(pm)
    balance = balance_table(pm, assignments)
    band = surplus_band_table(pm)
    costs, party_costs, frames = costs_tables(pm, assignments, balance, band, penalty)
    return {
        "actions": actions_table(pm),
        "balance": balance,
        "costs": costs,
        "party_costs": party_costs,
        "frames": frames,
        "utilisation": utilisation_table(pm, assignments),
        "assignments": assignments,
        "permits": permits_table(pm),
        "surplus_band": band,
    }
