"""Why no plan exists: the least that must give, found by an elastic re-solve (issue 17).

:func:`diagnose` builds the scenario's model as :func:`allocopt.solve` does, then makes it
*elastic*, so that it always has a plan, and minimises the violation instead of the cost:

- every frame row (``capex_cap``, ``opex_cap``, ``investment_cap``, ``borrowing_cap``,
  ``operating_cap``, by year) gets a slack ``slack[frame, y] ≥ 0`` (SEK × money scale): the
  family is deactivated and rebuilt as ``<frame>_elastic`` rows, ``spend − slack ≤ cap``;
- demand whose unmet is forbidden may go unmet (the index is built with a penalty of 0 for those
  services, so ``unmet`` / ``unmet_all`` exist; the penalty is not used: the objective is new);
- each ``lock_force`` row gets a slack ``0 … 1`` (``lock_force_elastic``: ``Σ build + slack ≥ 1``).

Two solves, in this order (lexicographic where it matters, weighted where it does not):

1. **Locks held.** ``keep_open``, ``close`` and ``forbid`` locks stay as the index applies them
   (bounds on ``open``, empty ``Y_o``); they are the strategist's decisions, so the diagnosis says
   what they cost against the frames (a cap short *because* a forced project or a kept-open site
   is paid in that year). Objective ``violation``, with the weights of :class:`DiagnosisSettings`
   (model units: money in SEK × money scale, MSEK for a municipality): a broken force lock
   outweighs any unmet place, an unmet place-year outweighs the money any one module costs, and a
   share of the plan's cost (``total_cost``, off by default) may pick among equally violating
   ones. In effect: honour the locks, serve all the demand that some plan can serve, then find the
   least money above the frames. Locks that contradict each other (the index's
   :class:`allocopt.locks.LockConflict`) are reported as the index words them.
2. **Locks giving instead** (only when step 1 found something and the scenario has locks): the
   model of the scenario without locks, frames and forbidden unmet hard, one binary per lock that
   may drop it; the fewest locks whose dropping alone lets a plan exist (:func:`_without_locks`).
   Its rows are ``alternative`` 1 of the table: a second way out, not an addition to the first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import pandas as pd
import pyomo.environ as pyo

from allocopt.index import PlanIndex, build_index
from allocopt.model.build import FAMILIES, PlanModel, build_model
from allocopt.model.money import FRAMES, MUNICIPALITY
from allocopt.model.terms import Affine
from allocopt.scenario import SITE_KINDS, Scenario
from allocopt.validate import locate

COLUMNS = ("what", "family", "key", "amount", "unit", "message", "alternative")
"""Columns of :attr:`Diagnosis.table`: ``what`` (frame, unmet, lock, rule), the constraint family,
its ``key`` (a year; ``district/service/years``; a lock's id), the ``amount`` that must give in
``unit`` (SEK, place-years, locks), the plain sentence saying it, and ``alternative``: 0 for what
must give with the locks held (every such row together), 1 for the locks whose dropping alone
would let a plan exist instead (every such row together)."""

FRAME_WORDS = {
    "capex_cap": "capex cap",
    "opex_cap": "opex cap",
    "investment_cap": "investment cap",
    "borrowing_cap": "borrowing cap",
    "operating_cap": "operating cap",
}

MONEY_UNITS = {0: "SEK", 3: "kSEK", 6: "MSEK", 9: "GSEK"}
"""Powers of ten -> the unit the messages state money in: the money scale's power (the unit the
solver counts money in) rounded down to a multiple of three (MSEK for a municipality)."""


def money_unit(scale: float) -> tuple[float, str]:
    """(SEK per unit, unit name) of the messages for a model whose money scale is ``scale``."""
    power = min(9, 3 * (round(-math.log10(scale)) // 3))
    return 10.0**power, MONEY_UNITS[power]


@dataclass(frozen=True)
class DiagnosisSettings:
    """The weights of the two elastic objectives and the search settings of :func:`diagnose`.

    Weights are in model units (money × money scale: 1 MSEK for a municipality, 1 SEK for a tiny case):

    - ``frame``: per money unit of frame slack;
    - ``unmet``: per place-year left unmet where unmet is forbidden. 1000 money units is more than
      any one module costs (money_scale keeps every paid figure below 1000 units), so demand is
      served wherever some plan can serve it, whatever the money: the frames give first;
    - ``force``: per force lock not honoured: above any unmet demand, so a force lock gives only
      where it cannot hold at all;
    - ``lock``: per lock dropped in the second solve (the locks' alternative, where it is the only
      violation allowed);
    - ``cost``: per money unit of the plan's discounted cost, a tie-break among plans that violate
      as much (1e-8 outweighs less than a thousandth of a money unit of violation on scenarios that
      cost less than 100 000 units). Off by default: on the Södertälje scenario made infeasible
      (investment caps at 30 %, unmet forbidden) a tie-break of 1e-8 kept HiGHS from proving the
      least violation in 100 s, proven in under 60 s without it. Without it the plan behind the
      messages (which projects a short frame lists, which of two equal locks is dropped) is
      HiGHS's pick among the least violating ones.

    ``mip_gap``: HiGHS's relative gap on the violation (0.0001: a hand-worked case is solved exactly,
    a municipality's is found to within 0.01 %); ``first_share``: share of the time limit the first
    solve (locks held) may take when the scenario has locks, the rest left to the second;
    ``listed``: the most projects and sites a frame's message names besides the locked ones.
    """

    frame: float = 1.0
    unmet: float = 1e3
    force: float = 1e6
    lock: float = 1.0
    cost: float = 0.0
    mip_gap: float = 1e-4
    first_share: float = 0.6
    listed: int = 4


SETTINGS = DiagnosisSettings()

TOLERANCE = 1e-6
"""Slack (money units) or unmet places below this count as none."""


@dataclass(frozen=True)
class Diagnosis:
    """What must give for a plan to exist.

    ``table``: one row per violation (:data:`COLUMNS`), most important first; ``messages``: the
    same as plain sentences, most important first (empty: a plan exists as the scenario stands);
    ``status``: the elastic solve's status (``optimal``, ``time_limit``: the amounts may not be
    the least; ``infeasible``: rules that no slack covers, named in ``messages``); ``seconds``:
    wall time of the whole diagnosis.
    """

    table: pd.DataFrame
    messages: list[str] = field(default_factory=list)
    status: str = "optimal"
    seconds: float = 0.0

    @property
    def empty(self) -> bool:
        """True when nothing must give: the scenario has a plan."""
        return not self.messages


@dataclass
class _Elastic:
    """The elastic model and its slack variables by key."""

    pm: PlanModel
    forbidden: set[str]
    kept_open: dict[str, int]  # site -> the last year a keep_open lock holds it open
    settings: DiagnosisSettings
    scenario: Scenario
    frame_slack: dict[tuple[str, int], pyo.Var] = field(default_factory=dict)
    force_slack: dict[str, pyo.Var] = field(default_factory=dict)


def diagnose(
    scenario: Scenario,
    *,
    time_limit: float = 60.0,
    threads: int = 1,
    settings: DiagnosisSettings = SETTINGS,
    index: PlanIndex | None = None,
) -> Diagnosis:
    """What must give for ``scenario`` to have a plan: the two solves of the module docstring.

    ``time_limit``: seconds for both solves together (the first takes ``settings.first_share`` of
    it when the scenario has locks); ``threads``: HiGHS's threads; ``index``: the scenario's
    :func:`~allocopt.index.build_index`, if already built (it is not changed). Returns a
    :class:`Diagnosis`; never raises on an infeasible or badly framed scenario (its ``status`` and
    ``messages`` say so).
    """
    from allocopt.solver import solve_model

    began = time.perf_counter()
    index = build_index(scenario) if index is None else index
    rows: list[dict] = []
    for conflict in index.lock_conflicts:
        ids = ", ".join(scenario.locks[i].id for i in conflict.locks)
        rows.append(_row("lock", "locks", ids, float(len(conflict.locks)), "locks", conflict.message))
    kept_open: dict[str, int] = {}
    for lock in scenario.locks:
        if lock.target == "site" and lock.rule == "keep_open":
            through = lock.year if lock.year is not None else index.years[-1]
            kept_open[lock.id] = max(through, kept_open.get(lock.id, through))
    elastic = _elastic_model(scenario, index, kept_open, settings)
    pm = elastic.pm
    for text in pm.conflicts:  # rows no slack covers: the data contradicts itself
        rows.append(_row("rule", text.split("[", 1)[0], "", 0.0, "", text))
    first_limit = time_limit * (settings.first_share if scenario.locks else 1.0)
    outcome = solve_model(
        pm.model, time_limit=first_limit, mip_gap=settings.mip_gap, threads=threads, objective_scale=pm.money_scale
    )
    if not outcome.has_plan:
        if not rows:
            rows.append(_row("rule", "", "", 0.0, "", f"the elastic model has no plan: {outcome.message}"))
        return _diagnosis(rows, outcome.status, began)
    conflicted = {scenario.locks[i].id for c in index.lock_conflicts for i in c.locks}
    rows += [r for r in _force_rows(elastic) if r["key"] not in conflicted]
    rows += _unmet_rows(elastic)
    rows += _frame_rows(elastic)
    notes: list[str] = []
    if outcome.status != "optimal" and rows:
        notes.append(
            f"the search stopped ({outcome.status}) before it proved these amounts the least: they are enough, "
            "perhaps more than needed"
        )
    left = time_limit - (time.perf_counter() - began)
    if rows and scenario.locks and left > 0:
        instead, status, why = _without_locks(scenario, left, threads, settings)
        if instead:
            rows += instead
        elif status == "infeasible":
            notes.append("dropping locks alone does not let a plan exist")
        else:
            notes.append(f"no locks to drop instead were found: {why}")
        if instead and status != "optimal":
            notes.append(f"the search for locks to drop stopped ({status}): fewer may do")
    return _diagnosis(rows, outcome.status, began, notes)


def _diagnosis(rows: list[dict], status: str, began: float, notes: list[str] | None = None) -> Diagnosis:
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["amount"] = table["amount"].astype(float)
    table["alternative"] = table["alternative"].astype(int)
    messages = [r["message"] for r in rows] + (notes or [])
    return Diagnosis(table, messages, status, time.perf_counter() - began)


def _row(what: str, family: str, key: str, amount: float, unit: str, message: str, alternative: int = 0) -> dict:
    return dict(what=what, family=family, key=key, amount=amount, unit=unit, message=message, alternative=alternative)


# -- the elastic model -------------------------------------------------------------------------


def _elastic_model(
    scenario: Scenario, index: PlanIndex, kept_open: dict[str, int], settings: DiagnosisSettings
) -> _Elastic:
    """The model of ``index`` with elastic frames, unmet demand and force locks, and the
    objective ``violation``."""
    forbidden = {s for s, info in index.services.items() if info.penalty is None}
    services = {s: replace(info, penalty=0.0) if s in forbidden else info for s, info in index.services.items()}
    pm = build_model(replace(index, services=services), families=FAMILIES)
    elastic = _Elastic(pm, forbidden, kept_open, settings, scenario)
    m, k = pm.model, pm.money_scale
    spend = pm.spend()
    caps = {frame: getattr(index, frame) for frame in FRAMES}
    keys = [(frame, y) for frame, by_year in caps.items() for y in by_year]
    m.frame_slack = pyo.Var(keys, within=pyo.NonNegativeReals, dense=True)
    for frame, by_year in caps.items():
        if hasattr(m, frame):
            getattr(m, frame).deactivate()
        rows = {}
        for y, cap in by_year.items():
            slack = elastic.frame_slack[frame, y] = m.frame_slack[frame, y]
            rows[y] = Affine().add_affine(spend[frame][y], k).add(slack, -1.0).expr() <= cap * k
        if rows:
            m.add_component(f"{frame}_elastic", pyo.Constraint(list(rows), rule=lambda m, y, rows=rows: rows[y]))
    forced = [o for o in index.options.values() if o.force_by is not None]
    m.force_slack = pyo.Var([o.option for o in forced], bounds=(0.0, 1.0), dense=True)
    if hasattr(m, "lock_force"):
        m.lock_force.deactivate()
    force_rows = {}
    for o in forced:
        slack = elastic.force_slack[o.option] = m.force_slack[o.option]
        body = Affine().add(slack)
        for t in o.years:
            if t <= o.force_by:
                body.add_affine(pm.build_term(o.option, t))
        force_rows[o.option] = body.expr() >= 1.0
    m.lock_force_elastic = pyo.Constraint(list(force_rows), rule=lambda m, o: force_rows[o])
    pm.conflicts = [c for c in pm.conflicts if c.split("[", 1)[0] not in {*FRAMES, "lock_force"}]

    violation = Affine()
    for var in elastic.frame_slack.values():
        violation.add(var, settings.frame)
    for var in elastic.force_slack.values():
        violation.add(var, settings.force)
    for d, s, y in index.demand:
        if s in forbidden:
            violation.add_affine(pm.unmet_places(d, s, y), settings.unmet)
    m.total_cost.deactivate()
    m.violation = pyo.Objective(expr=violation.expr() + settings.cost * m.total_cost.expr, sense=pyo.minimize)
    return elastic


def _without_locks(
    scenario: Scenario, time_limit: float, threads: int, settings: DiagnosisSettings
) -> tuple[list[dict], str, str]:
    """The fewest locks whose dropping alone lets a plan exist (every frame held, all demand served
    where unmet is forbidden), as rows of alternative 1, with the solve's status and message (no
    rows: no plan was found; status ``infeasible``: no choice of locks helps).

    The model of the scenario without locks, with a binary ``lock_broken[i]`` per lock of
    ``scenario.locks`` and the lock as an elastic row (``lock_dropped``): ``force``:
    ``Σ_{t ≤ Y} build[o,t] + broken ≥ 1``; ``forbid``: ``Σ_t build[o,t] ≤ N_o · broken`` for the option
    (or each expansion and conversion at the site); ``keep_open``: ``open[e,y] + broken ≥ 1`` for
    ``y ≤ Y``; ``close``: ``open[e,y] ≤ broken`` for ``y ≥ Y``. Objective: ``Σ lock · broken`` plus
    the cost tie-break.
    """
    from allocopt.solver import solve_model

    index = build_index(scenario.model_copy(update={"locks": []}))
    pm = build_model(index, families=FAMILIES)
    if pm.conflicts or pm.unreachable:
        return [], "infeasible", "rows no lock touches cannot hold"
    m, years = pm.model, index.years
    locks = scenario.locks
    m.lock_broken = pyo.Var(range(len(locks)), within=pyo.Binary, dense=True)
    rows: dict = {}
    for i, lock in enumerate(locks):
        broken = m.lock_broken[i]
        if lock.target == "option" and lock.rule == "force":
            by = lock.year if lock.year is not None else years[-1]
            body = Affine().add(broken)
            for t in index.options[lock.id].years:
                if t <= by:
                    body.add_affine(pm.build_term(lock.id, t))
            rows[i, 0] = body.expr() >= 1.0
        elif lock.rule == "forbid":
            targets = [index.options[lock.id]] if lock.target == "option" else index.site_options(lock.id)
            for j, o in enumerate(targets):
                body = Affine().add(broken, -float(o.max_modules))
                for t in o.years:
                    body.add_affine(pm.build_term(o.option, t))
                rows[i, j] = body.expr() <= 0.0
        elif lock.rule == "keep_open":
            through = lock.year if lock.year is not None else years[-1]
            for y in years:
                if y <= through:
                    rows[i, y] = pm.open_term(lock.id, y).add(broken).expr() >= 1.0
        else:
            by = lock.year if lock.year is not None else years[0]
            for y in years:
                if y >= by:
                    rows[i, y] = pm.open_term(lock.id, y).add(broken, -1.0).expr() <= 0.0
    m.lock_dropped = pyo.Constraint(list(rows), rule=lambda m, i, j: rows[i, j])
    m.total_cost.deactivate()
    dropped = Affine()
    for i in range(len(locks)):
        dropped.add(m.lock_broken[i], settings.lock)
    m.locks_dropped = pyo.Objective(expr=dropped.expr() + settings.cost * m.total_cost.expr, sense=pyo.minimize)
    outcome = solve_model(
        m, time_limit=time_limit, mip_gap=settings.mip_gap, threads=threads, objective_scale=pm.money_scale
    )
    if not outcome.has_plan:
        return [], outcome.status, outcome.message
    broken = [i for i in range(len(locks)) if (m.lock_broken[i].value or 0.0) > 0.5]
    out = []
    for i in broken:
        lock = locks[i]
        together = f" (one of {len(broken)} locks to drop together)" if len(broken) > 1 else ""
        message = (
            f"alternatively, drop the {_describe(lock)} ({', row '.join(locate(None, 'locks', i))}){together}: "
            "without it a plan "
            "exists within every frame and serves all the demand"
        )
        out.append(_row("lock", lock.rule, lock.id, 1.0, "locks", message, alternative=1))
    return out, outcome.status, outcome.message


def _describe(lock) -> str:
    """'keep_open lock on site S through 2027' and the like."""
    when = {"force": "by {}", "keep_open": "through {}", "close": "from {}"}.get(lock.rule)
    year = f" {when.format(lock.year)}" if when and lock.year is not None else ""
    return f"{lock.rule} lock on {lock.target} {lock.id}{year}"


# -- reading the violations ------------------------------------------------------------------


def _force_rows(elastic: _Elastic) -> list[dict]:
    rows = []
    for name, var in elastic.force_slack.items():
        if (var.value or 0.0) > 0.5:
            o = elastic.pm.index.options[name]
            opens = f"its earliest opening is {o.years[0]}" if o.years else "it cannot open in the horizon"
            rows.append(
                _row(
                    "lock",
                    "lock_force",
                    name,
                    1.0,
                    "locks",
                    f"the force lock on option {name} cannot hold: it must open by {o.force_by}, but {opens}",
                )
            )
    return rows


def _runs(years: list[int]) -> list[list[int]]:
    """Consecutive years grouped: [2026, 2027, 2029] -> [[2026, 2027], [2029]]."""
    out: list[list[int]] = []
    for y in sorted(years):
        if out and y == out[-1][-1] + 1:
            out[-1].append(y)
        else:
            out.append([y])
    return out


def _span(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _unmet_rows(elastic: _Elastic) -> list[dict]:
    """Forbidden unmet demand the elastic plan leaves, one row per district, service and run of
    consecutive years, with what stands in the way."""
    pm = elastic.pm
    idx = pm.index
    unmet: dict[tuple[str, str], dict[int, float]] = {}
    for d, s, y in idx.demand:
        if s not in elastic.forbidden:
            continue
        places = pm.unmet_places(d, s, y).value()
        if places > TOLERANCE:
            unmet.setdefault((d, s), {})[y] = places
    reach = idx.reach_of()
    rows = []
    for (d, s), by_year in unmet.items():
        for run in _runs(list(by_year)):
            places = [by_year[y] for y in run]
            total = sum(places)
            size = (
                f"{_num(places[0])} places"
                if max(places) - min(places) < TOLERANCE
                else f"up to {_num(max(places))} places"
            )
            why = _why_unmet(pm, reach.get((d, s), []), s, run) + _locks_in_the_way(elastic, d, s, run)
            message = (
                f"district {d}, service {s}, {_span(run)}: {size} a year cannot be served "
                f"({_num(total)} place-years): {why}"
            )
            rows.append(_row("unmet", "demand_balance", f"{d}/{s}/{_span(run)}", total, "place-years", message))
    return rows


def _why_unmet(pm: PlanModel, facilities: list[str], service: str, years: list[int]) -> str:
    """Why the district's demand cannot be served in ``years`` from ``facilities`` (within reach)."""
    idx = pm.index
    if not facilities:
        return f"no facility is within reach (max_km {idx.services[service].max_km:g})"
    serving = [k for k in facilities if any(pm.may_serve(k, service, y) for y in years)]
    if not serving:
        opening = [
            o.years[0] for o in idx.options.values() if o.service == service and o.years and o.facility in facilities
        ]
        later = [t for t in opening if t > years[-1]]
        when = f"earliest option opens {min(later)}" if later else "no option within reach opens in the horizon"
        return f"no capacity within reach can open in time ({when})"
    return (
        f"the capacity that can be within reach ({', '.join(serving)}) falls short, "
        "with every other district's demand on it, the locks held and the options' limits"
    )


def _locks_in_the_way(elastic: _Elastic, district: str, service: str, years: list[int]) -> str:
    """'; locks stand in the way: site S closed from 2027, option B forbidden' for the close locks on
    sites with capacity for ``service`` within reach of ``district`` closed by ``years[-1]``, and
    the forbid locks on options for ``service`` within reach (site forbid locks: its expansions and
    conversions); '' if none."""
    from allocopt.index import district_distances

    scenario, idx = elastic.scenario, elastic.pm.index
    if not scenario.locks:
        return ""
    km = district_distances(scenario)[district]
    reach = idx.services[service].max_km + 1e-9

    def near(other: str) -> bool:
        return bool(km[other] <= reach)  # NaN (unreachable) is never <=

    found: list[str] = []
    for lock in scenario.locks:
        if lock.target == "site" and lock.rule == "close":
            x = idx.sites[lock.id]
            by = lock.year if lock.year is not None else idx.years[0]
            if by <= years[-1] and x.capacity.get(service, 0.0) > 0 and near(x.district):
                found.append(f"site {x.site} closed from {by}")
        elif lock.rule == "forbid":
            if lock.target == "option":
                options = [idx.options[lock.id]]
            else:
                options = [o for o in idx.options.values() if o.kind in SITE_KINDS and o.facility == lock.id]
            for o in options:
                if o.service == service and near(o.district):
                    found.append(f"option {o.option} forbidden")
    return f"; locks stand in the way: {', '.join(found)}" if found else ""


def _frame_rows(elastic: _Elastic) -> list[dict]:
    """Frames short in the elastic plan, with what is paid against them."""
    pm = elastic.pm
    k = pm.money_scale
    per_unit, unit = money_unit(k)
    spend = pm.spend()
    rows = []
    for (frame, y), var in elastic.frame_slack.items():
        slack = var.value or 0.0
        if slack <= TOLERANCE:
            continue
        short, cap = slack / k, getattr(pm.index, frame)[y]
        paid = spend[frame][y].value()
        named, count = _listing(_items(elastic, frame, y), per_unit, elastic.settings.listed)
        verb = "costs" if count == 1 else "cost"
        against = f"{_num(paid / per_unit)} against {_num(cap / per_unit)}"
        what = f"{named}, {verb} {against}" if named else f"it counts {against}"
        message = f"the {FRAME_WORDS[frame]} of {y} is {_num(short / per_unit)} {unit} short ({what})"
        rows.append(_row("frame", frame, str(y), short, "SEK", message))
    return rows


def _listing(items: list[tuple[str, str, float]], per_unit: float, listed: int) -> tuple[str, int]:
    """('the forced B1, 100, and B2, 80', 2) from (label, name, SEK) items, amounts in ``per_unit``
    SEK: every locked item (labelled), then at most ``listed`` others, the rest summed as 'N more'."""
    shown = [(label, name, amount) for label, name, amount in items if abs(amount) / per_unit > TOLERANCE]
    locked = [i for i in shown if i[0]]
    others = [i for i in shown if not i[0]]
    parts, previous = [], None
    for label, name, amount in locked + others[:listed]:
        prefix = f"{label} " if label and label != previous else ""
        parts.append(f"{prefix}{name}, {_num(amount / per_unit)}")
        previous = label
    rest = others[listed:]
    if rest:
        parts.append(f"{len(rest)} more, {_num(sum(a for _l, _n, a in rest) / per_unit)}")
    if len(parts) <= 1:
        return (parts[0] if parts else ""), len(shown)
    return ", ".join(parts[:-1]) + ", and " + parts[-1], len(shown)


def _items(elastic: _Elastic, frame: str, year: int) -> list[tuple[str, str, float]]:
    """What each option and site counts against ``frame`` in ``year`` in the elastic plan:
    (label: 'the forced', 'the kept-open' or '', name, SEK), forced and kept-open first, then
    by amount."""
    pm = elastic.pm
    idx = pm.index
    _who, parties, terms = FRAMES[frame]
    out: list[tuple[int, str, str, float]] = []
    for o in idx.options.values():
        amount = 0.0
        if o.party in parties and "capex" in terms:
            upto = [y for y in idx.years if y <= year] if frame == "borrowing_cap" else [year]
            for t in o.years:
                opened = pm.build_term(o.option, t).value()
                amount += sum(o.capex * share * opened for y, share in o.pay[t] if y in upto)
            if frame == "borrowing_cap":
                amount -= sum(o.depreciation * pm.in_term(o, y).value() for y in upto)
        term, ext = pm.in_term(o, year).value(), pm.extended(o, year).value()
        if "opex" in terms and MUNICIPALITY in parties:
            amount += o.opex * (term + ext)
        if "rent" in terms and o.party in parties:
            amount += o.rent * term + (o.extension_rent or 0.0) * ext
        if "internal_rent" in terms and MUNICIPALITY in parties:
            amount += o.internal_rent * term + o.extension_internal_rent * ext
        if abs(amount) > 0:
            forced = o.force_by is not None
            out.append(
                (
                    0 if forced else 2,
                    "the forced" if forced else "",
                    o.option if forced else f"{o.kind} {o.option}",
                    amount,
                )
            )
    for x in idx.sites.values():
        if not {"opex", "rent"} & set(terms):
            continue
        is_open = pm.open_term(x.site, year).value()
        amount = 0.0
        if "opex" in terms and MUNICIPALITY in parties:
            amount += x.opex * is_open
        if "rent" in terms and x.party in parties:
            amount += x.rent[year] * is_open
        if "internal_rent" in terms and MUNICIPALITY in parties:
            amount += x.internal_rent[year] * (1.0 if x.vacant else is_open)
        if "vacancy_cost" in terms and x.party in parties:
            amount += x.vacancy_cost * (1.0 - is_open)
        if abs(amount) > 0:
            kept = year <= elastic.kept_open.get(x.site, year - 1)
            out.append(
                (1 if kept else 2, "the kept-open" if kept else "", x.site if kept else f"site {x.site}", amount)
            )
    out.sort(key=lambda r: (r[0], -r[3]))
    return [(label, name, amount) for _rank, label, name, amount in out]


def _num(value: float) -> str:
    """A money or place figure: one decimal, '.0' dropped (30, 7.2, 1,234.5)."""
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


__all__ = ["COLUMNS", "SETTINGS", "Diagnosis", "DiagnosisSettings", "diagnose"]
