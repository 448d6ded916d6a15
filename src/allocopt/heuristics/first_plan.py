"""A first plan for HiGHS: the LP relaxation rounded along the plan's own structure, filled
where it leaves demand unmet, then re-planned year by year (relax and fix).

HiGHS's own heuristics start from a blank (feasibility jump, which on a municipality leaves most
demand unmet) and find good plans only after the root cut loop, through its sub-MIPs. A good
plan handed over as a start lets it fix columns by reduced cost and prune from the first node.
Steps (models/first_plan.md):

1. solve the LP relaxation of the model HiGHS was handed;
2. round every option's *cumulative* opened modules by year, ``C_o,y`` (``avail`` for state
   options, the running sum of ``build`` otherwise), up when its fraction is at least ``θ``:
   rounding a non-decreasing sequence keeps it non-decreasing, within ``N_o`` and ``lock_force``;
3. take back, while a year's ``capex_cap`` or ``investment_cap`` is exceeded, the rounded-up opening that the LP
   supported least among those paying in that year;
4. keep a site open where the LP kept it at least half open, and wherever an expansion or
   conversion at it is in service (``needs_open_site``);
5. fix those decisions and let HiGHS solve what is left (assignments, unmet demand and one-year
   extensions, an LP whose extensions are then rounded up and fixed; a small MIP where a service
   assigns each district to a single facility);
6. where demand is left unmet (or, where unmet demand is forbidden, step 5's elastic
   completion falls short), open the modules of least cost per place that reach it within the
   capex cap, and go back to 5 (at most ``fill_rounds`` times);
7. relax and fix over the years (allocopt.heuristics.relax_fix), finished by steps 2-6;
8. where step 7 did not finish (it lost its pace, or the model has too few years for it), search
   around the cheapest plan so far with the time left (allocopt.heuristics.neighbourhood).

Each ``θ`` of ``thresholds`` gives a candidate through steps 2-6, step 7 one more and step 8
improves on the cheapest; the cheapest is the first plan. The plan is only a start: HiGHS checks
it against every row and the search goes on from there, so a poor start costs time but never
changes the optimum. The numbers (``θ``, rounds, time limits) are a
:class:`~allocopt.heuristics.settings.FirstPlanSettings`, passed in.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from allocopt.heuristics.completion import Completion, quiet_copy
from allocopt.heuristics.neighbourhood import search_neighbourhood
from allocopt.heuristics.protocol import ColumnOf, Plan, RowOf
from allocopt.heuristics.relax_fix import Deadline, decision_years, relax_and_fix
from allocopt.heuristics.settings import FirstPlanSettings
from allocopt.interrupt import StopWatch
from allocopt.root_cuts import COVER_FAMILIES
from allocopt.scenario import FORBIDDEN_UNMET_SEK, PARTIES, SITE_KINDS

if TYPE_CHECKING:
    import highspy

    from allocopt.model.build import PlanModel


def _cumulative(pm: PlanModel, x: np.ndarray, col: ColumnOf) -> dict[str, np.ndarray]:
    """LP modules opened by each option's opening years, cumulated: option -> array over ``o.years``."""
    out = {}
    for o in pm.index.options.values():
        if not o.years:
            continue
        if o.option in pm.state_options:
            out[o.option] = np.array([_at(x, col, pm.avail[o.option, t]) for t in o.years])
        else:
            out[o.option] = np.cumsum([_at(x, col, pm.build[o.option, t]) for t in o.years])
    return out


def _round(pm: PlanModel, lp_cum: dict[str, np.ndarray], theta: float) -> dict[str, np.ndarray]:
    """Step 2: cumulative modules rounded up at fraction ``theta``, within ``N_o`` and the locks."""
    out = {}
    for name, c in lp_cum.items():
        o = pm.index.options[name]
        r = np.minimum(np.floor(c + 1.0 - theta + 1e-9), o.max_modules)
        r = np.maximum.accumulate(np.maximum(r, 0.0))
        if o.force_by is not None:
            by = [i for i, t in enumerate(o.years) if t <= o.force_by]
            if by:
                r[by[-1] :] = np.maximum(r[by[-1] :], 1.0)
        out[name] = r
    return out


def _capex_frames(pm: PlanModel) -> list[tuple[dict[int, float], tuple[str, ...]]]:
    """The capex frames a plan must keep: (cap by year, the parties whose capex counts): the
    group's ``capex_cap`` and the property company's ``investment_cap``."""
    idx = pm.index
    frames = [(idx.capex_cap, PARTIES), (idx.investment_cap, ("property_company",))]
    return [(caps, parties) for caps, parties in frames if caps]


def _capex_by_year(pm: PlanModel, cum: dict[str, np.ndarray], parties: tuple[str, ...] = PARTIES) -> dict[int, float]:
    """Capex paid per year (SEK) by the options of ``parties`` opened as ``cum`` says."""
    paid: dict[int, float] = {}
    for name, r in cum.items():
        o = pm.index.options[name]
        if o.party not in parties:
            continue
        opened = np.diff(r, prepend=0.0)
        for t, n in zip(o.years, opened, strict=True):
            if n:
                for y, share in o.pay[t]:
                    paid[y] = paid.get(y, 0.0) + o.capex * share * n
    return paid


def _over_frame(pm: PlanModel, cum: dict[str, np.ndarray]) -> tuple[int, tuple[str, ...]] | None:
    """The first year a capex frame is exceeded, and whose capex that frame counts; None if none is."""
    for caps, parties in _capex_frames(pm):
        paid = _capex_by_year(pm, cum, parties)
        over = [y for y, cap in sorted(caps.items()) if paid.get(y, 0.0) > cap * (1 + 1e-9) + 1e-6]
        if over:
            return over[0], parties
    return None


def _repair_capex(pm: PlanModel, cum: dict[str, np.ndarray], lp_cum: dict[str, np.ndarray]) -> None:
    """Step 3: drop rounded-up openings, least LP-supported first, until every year's capex frames hold."""
    while True:
        found = _over_frame(pm, cum)
        if found is None:
            return
        year, parties = found
        best = None
        for name, r in cum.items():
            o = pm.index.options[name]
            if o.party not in parties:
                continue
            opened = np.diff(r, prepend=0.0)
            for i, t in enumerate(o.years):
                if opened[i] < 1 or not any(y == year for y, _ in o.pay[t]) or o.capex <= 0:
                    continue
                if o.force_by is not None and t <= o.force_by and r[i] < 2 and (i == 0 or r[i - 1] < 1):
                    continue  # the lock needs this module: the first one, opened by the lock's year
                support = float(lp_cum[name][i] - (r[i] - 1))  # LP share of the module taken back
                if best is None or support < best[0]:
                    best = (support, name, i)
        if best is None:
            return  # nothing left to take back: HiGHS will find the start infeasible
        _support, name, i = best
        cum[name][i:] -= 1.0


def _site_open(pm: PlanModel, x: np.ndarray, col: ColumnOf, cum: dict[str, np.ndarray]) -> dict:
    """Step 4: ``open[e,y]`` values for the sites whose status is a decision."""
    out = {key: 1.0 if _at(x, col, var) >= 0.5 else 0.0 for key, var in pm.open.items()}
    for name, r in cum.items():
        o = pm.index.options[name]
        if o.kind not in SITE_KINDS:
            continue
        opened = np.diff(r, prepend=0.0)
        in_service = (t + o.life - 1 for t, n in zip(o.years, opened, strict=True) if n)
        last = max(in_service, default=None)  # last year in service
        for y in pm.index.years:
            if last is not None and y <= last and (o.facility, y) in out:
                out[o.facility, y] = 1.0
    return out


def _fixed_values(pm: PlanModel, cum: dict[str, np.ndarray], site_open: dict, col: ColumnOf) -> dict[int, float]:
    """Column -> value of every decision of the plan (variables HiGHS was not handed are left out)."""
    pairs: list = []
    for name, r in cum.items():
        o = pm.index.options[name]
        if name in pm.state_options:
            pairs += [(pm.avail[name, t], float(v)) for t, v in zip(o.years, r, strict=True)]
        else:
            pairs += [(pm.build[name, t], float(v)) for t, v in zip(o.years, np.diff(r, prepend=0.0), strict=True)]
    pairs += [(pm.open[key], v) for key, v in site_open.items()]
    return {c: v for c, v in ((col(var), v) for var, v in pairs) if c is not None}


def _at(x: np.ndarray, col: ColumnOf, var) -> float:
    """Value of Pyomo variable ``var`` in the column values ``x`` (0 if HiGHS was not handed it:
    a variable in no row and without cost)."""
    c = col(var)
    return 0.0 if c is None else float(x[c])


def module_cost(pm: PlanModel, name: str, t: int) -> float:
    """Discounted cost (SEK) of one module of option ``name`` opened in year ``t``: capex as paid,
    less its residual value, plus opex and rent over its years in service within the horizon."""
    idx = pm.index
    o = idx.options[name]
    cost = sum(o.capex * share * idx.discount[y] for y, share in o.pay[t])
    if idx.residual_value:
        cost -= idx.discount_end * o.capex * o.residual[t]
    return cost + sum(idx.discount[y] * (o.opex + o.rent) for y in idx.years if t <= y < t + o.life)


class _Filler:
    """Step 6: open more modules where the completed plan leaves demand unmet."""

    def __init__(self, pm: PlanModel):
        idx = pm.index
        self.pm = pm
        self.reach = {key: set(ks) for key, ks in idx.reach_of().items()}
        self.by_service: dict[str, list] = {}
        for o in idx.options.values():
            if o.years and o.capacity > 0:
                self.by_service.setdefault(o.service, []).append(o)

    def fill(self, cum: dict[str, np.ndarray], unmet: dict[tuple[str, str, int], float]) -> bool:
        """Add modules for the first unmet year of each district and service that modules can be added
        for (within reach, ``N_o`` and the capex cap); False if none could be."""
        idx = self.pm.index
        frames = [(caps, parties, _capex_by_year(self.pm, cum, parties)) for caps, parties in _capex_frames(self.pm)]
        left = dict(unmet)
        added = False
        filled: set[tuple[str, str]] = set()  # districts and services given modules this round
        for d, s, y in sorted(unmet):
            u = left.get((d, s, y), 0.0)
            if u <= 1e-6 or (d, s) in filled:
                continue
            util = idx.services[s].utilisation
            best = None
            for o in self.by_service.get(s, ()):
                if o.facility not in self.reach.get((d, s), ()):
                    continue
                opening = [(i, t) for i, t in enumerate(o.years) if t <= y < t + o.life]
                if not opening:
                    continue
                i, t = opening[-1]
                n = min(math.ceil(u / (util * o.capacity) - 1e-9), int(o.max_modules - cum[o.option][-1]))
                if n < 1 or any(
                    paid.get(py, 0.0) + n * o.capex * share > caps.get(py, math.inf)
                    for caps, parties, paid in frames
                    if o.party in parties
                    for py, share in o.pay[t]
                ):
                    continue
                cost = n * module_cost(self.pm, o.option, t) / min(u, n * util * o.capacity)
                if best is None or cost < best[0]:
                    best = (cost, o, i, t, n)
            if best is None:
                continue
            _cost, o, i, t, n = best
            cum[o.option][i:] += n
            filled.add((d, s))
            for _caps, parties, paid in frames:
                if o.party in parties:
                    for py, share in o.pay[t]:
                        paid[py] = paid.get(py, 0.0) + n * o.capex * share
            added = True
            spare = {}  # places of the new modules not yet counted, by year: they serve neighbours too
            for (d2, s2, y2), u2 in sorted(left.items()):
                if s2 == s and t <= y2 < t + o.life and u2 > 1e-6 and o.facility in self.reach.get((d2, s), ()):
                    take = min(u2, spare.setdefault(y2, n * util * o.capacity))
                    left[d2, s2, y2] = u2 - take
                    spare[y2] -= take
        return added


def first_plan(
    pm: PlanModel,
    lp: highspy.HighsLp,
    col: ColumnOf,
    threads: int = 1,
    seconds: float = math.inf,
    stop: threading.Event | None = None,
    row: RowOf | None = None,
    *,
    settings: FirstPlanSettings = FirstPlanSettings(),
) -> Plan | None:
    """A feasible plan of ``pm`` as column values of ``lp``, the highspy model (``HighsLp``) it
    was handed to HiGHS as, with its objective (in the model's units), or None when no rounding
    gave one. Bound to its ``pm`` (and ``settings``), it is a
    :class:`~allocopt.heuristics.protocol.StartCallback`.

    ``col(var)`` is the column of a Pyomo variable in ``lp`` (None for a variable it was not
    handed: Pyomo hands over only the variables of active rows and the objective); ``seconds``
    bounds the work (the LP relaxation's time limit, then checked between solves); ``stop``
    ends it as soon as it is set (between solves; the MIPs of steps 7 and 8 at once) with the
    best plan found so far. ``row(con)``, the row of a Pyomo constraint in ``lp``, lets steps 7
    and 8 leave out the families of ``settings.left_out`` (without it they stay).
    """
    import time

    import highspy

    deadline = Deadline(time.perf_counter() + seconds, stop or threading.Event())
    # the LP relaxation is what every later step starts from: it has the first plan's whole time
    relaxed = quiet_copy(lp, threads, max(1e-3, deadline.remaining()), relax=True)
    with StopWatch(relaxed, deadline.stop):  # the LP has no interrupt callback of ours
        relaxed.run()
    if relaxed.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x = np.asarray(relaxed.getSolution().col_value)
    del relaxed
    # what the plan leaves free is an LP (the one-year extensions rounded up), or a small MIP over
    # the single-assignment picks
    extensions = [c for var in pm.extend.values() if (c := col(var)) is not None]
    deviates = getattr(pm.model, "deviates", {})  # adopted_price: rounded up, its row holds
    extensions += [c for key in deviates if (c := col(deviates[key])) is not None]
    elastic = None if row is None else _forbidden_rows(pm, row)
    completion = Completion(
        lp,
        threads,
        lp_only=not (pm.pick or pm.unmet_all),
        time_limit=settings.lp_seconds,
        round_up=extensions,
        elastic=elastic,
        implied=_rows_of(pm, row, COVER_FAMILIES) if elastic else (),  # they hold unmet demand
    )
    rounding = _Rounding(pm, col, completion, settings)
    best = rounding.best(x, deadline)  # None where no rounding completes: relax and fix may still
    left_out = [] if row is None else _rows_of(pm, row, settings.left_out)
    windows, complete = relax_and_fix(
        lp, decision_years(pm, col), lambda last: rounding.best(last, deadline), threads, deadline, left_out, settings
    )
    best = _cheaper(best, windows)
    if not complete and best is not None:
        best = search_neighbourhood(
            lp, x, best, lambda found: rounding.best(found, deadline, (0.5,)), threads, deadline, left_out, settings
        )
    return best


def _forbidden_rows(pm: PlanModel, row: RowOf) -> dict[int, tuple[tuple[str, str, int], float]]:
    """Row -> ((district, service, year), cost in model units per place short) of each
    ``demand_balance`` row of a split service whose unmet demand is forbidden."""
    rows = getattr(pm.model, "demand_balance", {})
    discount = pm.index.discount
    return {
        r: (key, FORBIDDEN_UNMET_SEK * discount[key[2]] * pm.money_scale)
        for key, con in rows.items()
        if key not in pm.unmet and (r := row(con)) is not None
    }


def _rows_of(pm: PlanModel, row: RowOf, families: Sequence[str]) -> list[int]:
    """The rows in HiGHS's model of the constraint ``families`` (those the model has)."""
    return [
        r
        for name in families
        if hasattr(pm.model, name)
        for con in getattr(pm.model, name).values()
        if (r := row(con)) is not None
    ]


def _cheaper(a: Plan | None, b: Plan | None) -> Plan | None:
    """The cheaper of two plans (column values, objective); None counts as no plan."""
    if a is None or (b is not None and b[1] < a[1] - 1e-9 * max(1.0, abs(b[1]))):
        return b
    return a


class _Rounding:
    """Steps 2-6: a whole plan from column values ``x`` whose decisions may be fractional."""

    def __init__(
        self, pm: PlanModel, col: ColumnOf, completion: Completion, settings: FirstPlanSettings = FirstPlanSettings()
    ):
        self.pm, self.col, self.completion, self.settings = pm, col, completion, settings
        self.filler = _Filler(pm)

    def best(self, x: np.ndarray, deadline: Deadline, thresholds: Sequence[float] | None = None) -> Plan | None:
        """The cheapest plan from ``x`` over the ``thresholds`` ``θ`` (default: the settings'; one is
        enough where ``x`` is integral)."""
        out = None
        x_cum = _cumulative(self.pm, x, self.col)
        for theta in self.settings.thresholds if thresholds is None else thresholds:
            if deadline.stop.is_set():
                break
            out = _cheaper(out, self.plan(x, x_cum, theta, deadline))
        return out

    def plan(self, x: np.ndarray, x_cum: dict[str, np.ndarray], theta: float, deadline: Deadline) -> Plan | None:
        """The cheapest plan of the fill rounds from ``x`` (cumulated: ``x_cum``) rounded at
        ``theta``; the first completion always runs (unless stopped), the fill rounds only until
        ``deadline``."""
        pm, col = self.pm, self.col
        cum = _round(pm, x_cum, theta)
        _repair_capex(pm, cum, x_cum)
        best = None
        for round_no in range(self.settings.fill_rounds + 1):
            if (round_no and deadline.passed()) or deadline.stop.is_set():
                break
            done = self.completion.solve(_fixed_values(pm, cum, _site_open(pm, x, col, cum), col))
            if done is None:
                break
            best = _cheaper(best, done.plan)
            unmet = {key: places for key, var in pm.unmet.items() if (places := _at(done.values, col, var)) > 1e-6}
            unmet.update(done.short)  # where unmet demand is forbidden: the places the decisions left short
            if not unmet or not self.filler.fill(cum, unmet):
                break
        return best
