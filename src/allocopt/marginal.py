"""What a place costs, which frame binds, and why demand goes unmet: read off the **fixed LP** of a solved plan.

The fixed LP is the model of the plan with every integer decision (``build``, ``avail``, ``extend``,
``open``, ``pick``, ``unmet_all``) fixed at the plan's value and made continuous; only the
assignment of demand to the chosen premises (``assign``, or ``flow`` by district) and the unmet places (``unmet``) are
free. It is a copy: the model is handed to a fresh HiGHS (:func:`allocopt.solver.hand_off`), the
copy's integer columns get the plan's values as both bounds, and the Pyomo variables are never
touched (the plan's values stay as the readout left them).

The strengthening rows (``assign_link``, ``flow_link``, ``capacity_cover``, ``district_group_cover``) are
implied by ``demand_balance`` and ``capacity_limit`` (``district_capacity``) once the integer decisions are fixed; their
bounds are lifted in the copy, so that a place's price shows on its own ``demand_balance`` row and
not spread over rows that say the same thing.

Sign convention (verified by tests/test_marginal.py): HiGHS's ``row_dual`` of a minimisation is
``∂ objective / ∂ (row bound)``: positive for ``demand_balance`` (one place more of demand costs
more), ≤ 0 for a binding ``≤`` cap row (a larger frame costs no more). Both tables report that
derivative, the demand duals divided by the money scale (the objective is in SEK × money_scale,
demand rows in places), the frame duals as they are (frame rows are in SEK × money_scale too).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from allocopt.root_cuts import COVER_FAMILIES
from allocopt.tables import TABLE_COLUMNS

if TYPE_CHECKING:
    from allocopt.index import OptionInfo
    from allocopt.model.build import PlanModel

FRAME_FAMILIES = ("capex_cap", "opex_cap", "investment_cap", "borrowing_cap", "operating_cap")
"""The frame families of models/premises.md whose rows :func:`marginal_tables` reports."""

IMPLIED_FAMILIES = ("assign_link", "flow_link", *COVER_FAMILIES)
"""Strengthening families, implied once the integer decisions are fixed: lifted in the fixed LP."""

PLACE_TOL = 1e-6
"""Places: unmet above this is reported; a facility is full when its load is within this of its usable capacity."""

SLACK_TOL = 1e-6
"""A frame row binds when its slack is at most this share of its cap (or of 1 SEK, whichever is larger)."""

NO_REACH, EXHAUSTED, PENALTY = (
    "no facility within reach",
    "capacity within reach exhausted",
    "cheaper to pay the penalty",
)
"""The reasons of ``unmet_reasons``."""

COLUMNS = {name: TABLE_COLUMNS[name] for name in ("marginal_costs", "binding_caps", "unmet_reasons")}
"""The columns of each table :func:`marginal_tables` returns."""


LP_SECONDS_SHARE = 0.1
"""Share of the solve's time limit each LP around the plan may take (the fixed LP, the relaxation)."""

LP_SECONDS_MIN = 10.0
"""Seconds each LP around the plan may take at least, however short the time limit."""


def lp_seconds(time_limit: float) -> float:
    """Seconds each LP around a plan solved within ``time_limit`` seconds may take: an LP that does not
    finish in them gives no duals (the price columns blank) rather than holding the run."""
    return max(LP_SECONDS_MIN, LP_SECONDS_SHARE * time_limit)


def marginal_tables(pm: PlanModel, handoff=None, seconds: float = math.inf) -> dict[str, pd.DataFrame]:
    """The tables ``marginal_costs``, ``binding_caps`` and ``unmet_reasons`` of the solved plan in ``pm``.

    ``pm``: a solved :class:`~allocopt.model.build.PlanModel` whose variables hold the plan (integers
    rounded by :func:`allocopt.model.readout.round_decisions`); its variables are read, never changed.

    ``marginal_costs``, one row per (district, service, year) with demand:

    - ``sek_per_place_discounted`` (SEK of discounted NPV per place): the dual of
      ``demand_balance[d,s,y]`` in the fixed LP, the cost of serving one more place in that year
      **with the premises the plan has chosen**: the travel to the nearest site with room, or,
      when the sites within reach are full, the unmet penalty (or what moving other districts'
      places to farther sites costs). It is not the cost of a new building: no integer decision
      moves in the fixed LP. For a single-assignment service (no ``demand_balance`` row; the
      district's whole demand goes where it is picked) it is the discounted travel to the picked
      site, or the discounted penalty where the plan leaves the district unmet; the picked site's
      capacity is not priced. NaN when the fixed LP has no duals (nothing to solve, or HiGHS failed);
    - ``sek_per_place`` (SEK per place, in that year's money): ``sek_per_place_discounted / δ_y``;
    - ``cheapest_module_option``, ``cheapest_module_sek_per_place``: the complement, the cheapest
      additional module: among the options within reach of (d, s) that add capacity for s, may
      open in or before the year (an opening year ``t ≤ y`` in ``index.options[o].years``), have
      modules left in the plan (``N_o`` less the modules it opens) and whose host stands in the
      year (an expansion's site open, or its build option built), the one of least levelised
      cost; a module opened in the latest such ``t``, its cost
      ``(Σ_y' δ_y'·capex_o·pay[o,t,y'] − δ_end·capex_o·ρ[o,t] + Σ_{y' in service} δ_y'·(opex_o + rent_o))
      / (u_s · c_o · Σ_{y' in service} δ_y')``, the years in service those of the horizon from ``t``
      on within ``L_o``: SEK per usable place and year in service, in each year's money (comparable
      with ``sek_per_place`` and the penalty ``P_s``). Internal rent, extensions and the places a
      conversion removes are left out. Empty (None, NaN) when no option qualifies.

    ``binding_caps``, one row per frame row (:data:`FRAME_FAMILIES` that are components of the
    model) and year with a cap: ``spend`` and ``cap`` (SEK, what the frame counts in the plan and
    its cap), ``slack = cap − spend`` (SEK), ``binding`` (slack ≤ :data:`SLACK_TOL` · max(1, |cap|)),
    ``dual_sek_per_sek``: the row's dual in the **LP relaxation** of the whole model, SEK of NPV per
    SEK more of frame (≤ 0): the shadow price of the frame when buildings may be taken in
    fractions, a guide to what the frame is worth, not a promise (the frontier, a new solve per
    frame, is the exact answer), reported where the frame binds in the plan (0 elsewhere: a frame the
    plan leaves slack in is worth nothing to it, whatever the relaxation says). Not the fixed LP's:
    every frame counts only integer decisions (capex of openings, opex and rent of open sites and
    modules in service, debt), so with those fixed a frame row holds fixed columns only and its
    dual is 0 even when it binds.
    ``handoff``: the solve's :class:`~allocopt.solver.HandOff`, whose HiGHS model is copied (not
    changed); without it the model is handed to HiGHS again. ``seconds``: the time each of the two
    LPs may take (:func:`lp_seconds`); one that does not finish in it gives no duals (NaN).

    ``unmet_reasons``, one row per (district, service, year) with unmet places above
    :data:`PLACE_TOL` in the plan: ``unmet`` (places) and ``reason``:

    - ``no facility within reach``: no facility within ``max_km`` for (d, s), or none that can have
      capacity that year (the sites within reach have no capacity in the plan's year, and no option
      within reach may open by then);
    - ``capacity within reach exhausted``: every facility within reach with capacity is full in the
      plan (load ≥ ``u_s``·capacity − :data:`PLACE_TOL`; for a single-assignment service: its room
      is less than the district's demand) and no option within reach with modules left may open
      by then;
    - ``cheaper to pay the penalty``: a facility within reach had room, or an option could have
      opened, and the plan chose the penalty (``detail`` names the sites with room and their
      travel, the cheapest module, what a whole module costs a year against the penalty on the
      unmet places (modules are lumpy), and any frame row that binds in or before the year);

    and ``detail``, a sentence naming the facilities and options behind the reason.
    """
    idx = pm.index
    duals, frame_duals = _lp_duals(pm, handoff, seconds)
    plan = _PlanView(pm)
    cheapest = {key: plan.cheapest_module(*key) for key in idx.demand}
    caps = _binding_caps(pm, frame_duals)
    return {
        "marginal_costs": _marginal_costs(pm, plan, duals, cheapest),
        "binding_caps": caps,
        "unmet_reasons": _unmet_reasons(pm, plan, cheapest, caps),
    }


def five_dearest(marginal_costs: pd.DataFrame) -> pd.DataFrame:
    """The five (district, service, year) rows of ``marginal_costs`` whose place costs most
    (``sek_per_place``, descending; ties by district, service, year), for the summary."""
    table = marginal_costs.dropna(subset=["sek_per_place"])
    table = table.sort_values(["district", "service", "year"], kind="mergesort")
    return table.sort_values("sek_per_place", ascending=False, kind="mergesort").head(5).reset_index(drop=True)


# ---------------------------------------------------------------- the fixed LP


def _solve_lp(lp, seconds: float = math.inf) -> np.ndarray | None:
    """``row_dual`` of ``lp`` (a highspy ``HighsLp``) solved without its integrality within
    ``seconds``, or None without an optimum in them."""
    import highspy

    from allocopt.heuristics.completion import quiet_copy
    from allocopt.highs_threads import HIGHS_THREADS

    highs = quiet_copy(lp, HIGHS_THREADS.count or 1, seconds, relax=True)  # this thread's pool size
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal or not highs.getInfo().dual_solution_status:
        return None
    return np.asarray(highs.getSolution().row_dual)


def _lp_duals(pm: PlanModel, handoff=None, seconds: float = math.inf) -> tuple[dict | None, dict | None]:
    """``row_dual`` by Pyomo constraint (``id`` of its data object) of the **fixed LP** (the demand
    rows) and of the **LP relaxation** (the frame rows), or None where there is no LP to solve or
    HiGHS found no optimum. ``handoff``: the :class:`~allocopt.solver.HandOff` the plan was solved
    from (its HiGHS model is read, not changed); without it the model is handed to HiGHS again."""
    import highspy

    from allocopt.solver import hand_off

    handoff = handoff if handoff is not None and handoff.highs is not None else hand_off(pm.model)
    if handoff.highs is None:
        return None, None
    relaxed = handoff.highs.getLp()
    lp = handoff.highs.getLp()
    lower, upper = np.array(lp.col_lower_, dtype=float), np.array(lp.col_upper_, dtype=float)
    for group in (pm.build, pm.avail, pm.extend, pm.open, pm.pick, pm.unmet_all):
        for var in group.values():
            col = handoff.column(var)
            if col is not None:
                lower[col] = upper[col] = float(round(var.value or 0.0))
    lp.col_lower_, lp.col_upper_ = lower, upper
    row_lower, row_upper = np.array(lp.row_lower_, dtype=float), np.array(lp.row_upper_, dtype=float)
    for con in _constraints(pm, IMPLIED_FAMILIES):
        row = handoff.row(con)
        if row is not None:
            row_lower[row], row_upper[row] = -highspy.kHighsInf, highspy.kHighsInf
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    out = []
    for model, families in ((lp, ("demand_balance",)), (relaxed, FRAME_FAMILIES)):
        row_dual = _solve_lp(model, seconds)
        if row_dual is None:
            out.append(None)
            continue
        rows = {}
        for con in _constraints(pm, families):
            row = handoff.row(con)
            if row is not None:
                rows[id(con)] = row_dual[row]
        out.append(rows)
    return out[0], out[1]


def _constraints(pm: PlanModel, families) -> list:
    """The constraint data objects of the ``families`` that are components of the model."""
    out = []
    for name in families:
        component = getattr(pm.model, name, None)
        if component is not None:
            out.extend(component.values())
    return out


def _row_dual(pm: PlanModel, duals: dict | None, family: str, key) -> float:
    """The fixed LP's dual of ``family[key]`` (model units); 0 for a row left out of the model
    (it had no variables), NaN when there are no duals."""
    if duals is None:
        return math.nan
    component = getattr(pm.model, family, None)
    if component is None or key not in component:
        return 0.0
    return float(duals.get(id(component[key]), 0.0)) + 0.0  # + 0.0: no -0.0 in the tables


# ---------------------------------------------------------------- the plan as it stands


class _PlanView:
    """The plan's capacity, load and modules, read once off the variables (never written)."""

    def __init__(self, pm: PlanModel):
        self.pm, idx = pm, pm.index
        self._by_facility: dict | None = None  # (facility, service) -> options adding capacity there
        self.reach = idx.reach_of()
        self.km = {(d, k, s): dist for d, k, s, dist in idx.reach}
        self.load: dict = {}
        for (_d, k, s, y), places in pm.placed().items():
            self.load[k, s, y] = self.load.get((k, s, y), 0.0) + places
        self.built = {  # modules the plan opens (a state option's telescope to those in service at the end)
            o.option: sum(round(pm.build_term(o.option, t).value()) for t in o.years) for o in idx.options.values()
        }

    def usable(self, k: str, s: str, y: int) -> float:
        """``u_s · capacity[k,s,y]`` in the plan (places)."""
        return self.pm.index.services[s].utilisation * self.pm.capacity(k, s, y).value()

    def options_within_reach(self, d: str, s: str) -> list[OptionInfo]:
        """Options that add capacity for ``s`` at a facility within reach of ``d``."""
        if self._by_facility is None:
            self._by_facility = {}
            for o in self.pm.index.options.values():
                self._by_facility.setdefault((o.facility, o.service), []).append(o)
        return [o for k in self.reach.get((d, s), ()) for o in self._by_facility.get((k, s), ())]

    def host_stands(self, o: OptionInfo, y: int) -> bool:
        """Whether an expansion or conversion's host is there in ``y`` (always, for a new building)."""
        if o.facility == o.option:
            return True
        host, _most = self.pm.host_term(o, y)
        return host.value() > 0.5

    def cheapest_module(self, d: str, s: str, y: int) -> tuple[str | None, float]:
        """(option, levelised SEK per usable place-year) of the cheapest additional module for
        (d, s) serving in ``y`` (see :func:`marginal_tables`); (None, NaN) if none qualifies."""
        best: tuple[str | None, float] = (None, math.nan)
        for o in self.options_within_reach(d, s):
            opening = [t for t in o.years if t <= y and y - o.life < t]
            if not opening or self.built.get(o.option, 0) >= o.max_modules or not self.host_stands(o, y):
                continue
            cost = self.levelised(o, max(opening))
            if cost is not None and (best[0] is None or cost < best[1]):
                best = (o.option, cost)
        return best

    def levelised(self, o: OptionInfo, t: int) -> float | None:
        """SEK per usable place-year of one module of ``o`` opened in ``t`` (see :func:`marginal_tables`)."""
        idx = self.pm.index
        places = idx.services[o.service].utilisation * o.capacity
        years = [y for y in idx.years if t <= y < t + o.life]
        weight = sum(idx.discount[y] for y in years)
        if places <= 0 or weight <= 0:
            return None
        npv = sum(idx.discount[y] * o.capex * share for y, share in o.pay[t])
        npv -= idx.discount_end * o.capex * o.residual.get(t, 0.0) if idx.residual_value else 0.0
        npv += sum(idx.discount[y] * (o.opex + o.rent) for y in years)
        return npv / (places * weight)


# ---------------------------------------------------------------- the tables


def _marginal_costs(pm: PlanModel, plan: _PlanView, duals: dict | None, cheapest: dict) -> pd.DataFrame:
    idx = pm.index
    rows = []
    for key in idx.demand:
        d, s, y = key
        info = idx.services[s]
        if info.assignment == "single":
            discounted = _single_place_cost(pm, plan, duals, key)
        else:
            discounted = _row_dual(pm, duals, "demand_balance", key) / pm.money_scale
        option, per_place = cheapest[key]
        rows.append(
            {
                "district": d,
                "service": s,
                "year": y,
                "sek_per_place": discounted / idx.discount[y],
                "sek_per_place_discounted": discounted,
                "cheapest_module_option": option,
                "cheapest_module_sek_per_place": per_place,
            }
        )
    out = pd.DataFrame(rows, columns=COLUMNS["marginal_costs"])
    return out.sort_values(["district", "service", "year"], kind="mergesort").reset_index(drop=True)


def _single_place_cost(pm: PlanModel, plan: _PlanView, duals: dict | None, key: tuple) -> float:
    """Discounted SEK of one more place of a single-assignment service: travel to the picked site,
    or the penalty where the district is left unmet (see :func:`marginal_tables`)."""
    if duals is None:
        return math.nan
    d, s, y = key
    info, delta = pm.index.services[s], pm.index.discount[key[2]]
    if key in pm.unmet_all and round(pm.unmet_all[key].value or 0.0) == 1:
        return delta * (info.penalty or 0.0)
    for k in plan.reach.get((d, s), ()):
        var = pm.pick.get((d, k, s, y))
        if var is not None and round(var.value or 0.0) == 1:
            return delta * info.travel_cost * plan.km[d, k, s]
    return math.nan


def _binding_caps(pm: PlanModel, duals: dict | None) -> pd.DataFrame:

    idx = pm.index
    spend = pm.spend()
    rows = []
    for frame in FRAME_FAMILIES:
        if getattr(pm.model, frame, None) is None:
            continue
        for y, cap in sorted(getattr(idx, frame).items()):
            used = spend[frame][y].value()
            slack = cap - used
            binding = bool(slack <= SLACK_TOL * max(1.0, abs(cap)))
            rows.append(
                {
                    "frame": frame,
                    "year": y,
                    "spend": used,
                    "cap": cap,
                    "slack": slack,
                    "binding": binding,
                    "dual_sek_per_sek": _row_dual(pm, duals, frame, y) if binding else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS["binding_caps"]).astype({"binding": bool})


def _unmet_reasons(pm: PlanModel, plan: _PlanView, cheapest: dict, caps: pd.DataFrame) -> pd.DataFrame:
    idx = pm.index
    rows = []
    for key in idx.demand:
        unmet = pm.unmet_places(*key).value()
        if unmet <= PLACE_TOL:
            continue
        reason, detail = _reason(pm, plan, key, cheapest[key], caps)
        rows.append(
            {"district": key[0], "service": key[1], "year": key[2], "unmet": unmet, "reason": reason, "detail": detail}
        )
    out = pd.DataFrame(rows, columns=COLUMNS["unmet_reasons"])
    return out.sort_values(["district", "service", "year"], kind="mergesort").reset_index(drop=True)


def _reason(pm: PlanModel, plan: _PlanView, key: tuple, cheapest: tuple, caps: pd.DataFrame) -> tuple[str, str]:
    """(reason, detail) of the unmet places of ``key`` (see :func:`marginal_tables`)."""
    d, s, y = key
    info = pm.index.services[s]
    within = plan.reach.get((d, s), [])
    if not within:
        return NO_REACH, f"no site or option within {info.max_km:g} km"
    with_capacity = [k for k in within if plan.usable(k, s, y) > PLACE_TOL]
    options = plan.options_within_reach(d, s)
    may_open = [o for o in options if any(t <= y for t in o.years)]
    left = [o for o in may_open if plan.built.get(o.option, 0) < o.max_modules and plan.host_stands(o, y)]
    if not with_capacity and not may_open:
        later = [t for o in options for t in o.years]
        when = f"earliest option opens {min(later)}" if later else "no option within reach"
        return NO_REACH, f"no capacity within reach in {y} ({', '.join(within)} without capacity); {when}"
    room = {k: plan.usable(k, s, y) - plan.load.get((k, s, y), 0.0) for k in with_capacity}
    single = info.assignment == "single"  # the district's demand goes to one site whole, or nowhere
    needed = pm.index.demand[key] - PLACE_TOL if single else PLACE_TOL
    with_room = [k for k, r in room.items() if r >= needed]
    if not with_room and not left:
        full = ", ".join(with_capacity) or "none"
        what = f"without room for the district's {pm.index.demand[key]:g} places" if single else "full"
        return EXHAUSTED, f"sites within reach: {full} {what}; no option with modules left may open by {y}"
    parts = []
    if with_room:
        travel = min(info.travel_cost * plan.km[d, k, s] for k in with_room)
        parts.append(f"room at {', '.join(with_room)} (travel {travel:g} SEK/place)")
    option, per_place = cheapest
    penalty = info.penalty or 0.0
    parts.append(f"penalty {penalty:g} SEK/place")
    if option is not None:
        o = pm.index.options[option]
        usable = info.utilisation * o.capacity
        module, unmet = per_place * usable, pm.unmet_places(*key).value()
        parts.append(f"cheapest module {option}: {per_place:.6g} SEK/place-year, {usable:g} usable places")
        if module > penalty * unmet:
            parts.append(
                f"a module costs {module:.6g} SEK a year, the penalty on {unmet:g} unmet places {penalty * unmet:.6g}"
            )
        else:
            parts.append(
                "the module costs less than the penalty: the plan's gap or a constraint of other years keeps it out"
            )
    bound = caps[caps["binding"] & (caps["year"] <= y)]
    if len(bound):
        parts.append("binding: " + ", ".join(f"{f} {yy}" for f, yy in zip(bound["frame"], bound["year"])))
    return PENALTY, "; ".join(parts)
