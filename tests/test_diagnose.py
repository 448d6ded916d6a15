"""Why no plan exists (allocopt.diagnose): tiny infeasible scenarios whose least violation was worked
out by hand (in each docstring), and a feasible one with nothing to say."""

from __future__ import annotations

import pytest

import allocopt
from allocopt.diagnose import COLUMNS, DiagnosisSettings, diagnose
from cases import Budget, Lock, Site, SiteCapacity, build_or_lease, flat, new_building, tiny, too_tight_frame


def infeasible(scenario):
    """``scenario``'s diagnosis, after making sure allocopt.solve finds no plan for it."""
    assert allocopt.solve(scenario, time_limit=10.0, threads=1).status == "infeasible"
    d = diagnose(scenario, time_limit=10.0)
    assert d.status == "optimal"
    assert list(d.table.columns) == list(COLUMNS)
    return d


def rows(d, alternative: int = 0) -> list[tuple]:
    """(what, family, key, amount, unit) of the diagnosis's rows of one alternative."""
    t = d.table[d.table["alternative"] == alternative]
    return list(zip(t["what"], t["family"], t["key"], t["amount"], t["unit"]))


def forced(**kw):
    """B1 (capex 100) and B2 (capex 80), both forced by 2026, paid on opening (lead time 0)."""
    return tiny(
        2026,
        2027,
        options=[new_building("B1", capacity=10.0, capex=100.0), new_building("B2", capacity=10.0, capex=80.0)],
        locks=[
            Lock(target="option", id="B1", rule="force", year=2026),
            Lock(target="option", id="B2", rule="force", year=2026),
        ],
        **kw,
    )


def test_forced_builds_against_the_capex_cap():
    """B1 (100) and B2 (80) forced by 2026, cap 150 in 2026: 180 is paid in 2026, 30 over the cap.
    Dropping a lock instead: either one would do (one lock)."""
    d = infeasible(forced(budget=[Budget(year=2026, capex_cap=150.0)]))
    assert rows(d) == [("frame", "capex_cap", "2026", 30.0, "SEK")]
    assert (
        d.messages[0] == "the capex cap of 2026 is 30 SEK short (the forced B1, 100, and B2, 80, cost 180 against 150)"
    )
    (dropped,) = rows(d, 1)
    assert dropped in [("lock", "force", "B1", 1.0, "locks"), ("lock", "force", "B2", 1.0, "locks")]
    row = 2 if dropped[2] == "B1" else 3
    assert d.messages[1].startswith(
        f"alternatively, drop the force lock on option {dropped[2]} by 2026 (locks.csv, row {row})"
    )


def test_cost_tie_break_drops_the_dearer_lock():
    """As above with the cost tie-break on: dropping B1's lock saves 100, B2's 80: B1's goes."""
    sc = forced(budget=[Budget(year=2026, capex_cap=150.0)])
    d = diagnose(sc, time_limit=10.0, settings=DiagnosisSettings(cost=1e-8))
    assert rows(d) == [("frame", "capex_cap", "2026", 30.0, "SEK")]
    assert rows(d, 1) == [("lock", "force", "B1", 1.0, "locks")]


def test_forced_builds_against_the_investment_cap():
    """The same builds (the property company's, by default) against an investment cap of 100 in 2026: 80 short."""
    d = infeasible(forced(budget=[Budget(year=2026, investment_cap=100.0)]))
    assert rows(d) == [("frame", "investment_cap", "2026", 80.0, "SEK")]
    assert "the investment cap of 2026 is 80 SEK short" in d.messages[0]


def test_no_option_within_reach_in_time():
    """50 places a year 2026-2029, unmet forbidden; the only option B opens from 2028: 2026 and 2027
    cannot be served, 100 place-years; from 2028 B serves it."""
    sc = tiny(
        2026,
        2029,
        demand=flat(50, range(2026, 2030)),
        options=[new_building("B", capacity=100.0, capex=1000.0, earliest_year=2028)],
    )
    d = infeasible(sc)
    assert rows(d) == [("unmet", "demand_balance", "A/pre/2026-2027", 100.0, "place-years")]
    assert d.messages == [
        "district A, service pre, 2026-2027: 50 places a year cannot be served (100 place-years): "
        "no capacity within reach can open in time (earliest option opens 2028)"
    ]


def test_kept_open_site_against_the_opex_cap():
    """Site S (opex 100 a year, may close, no demand) is kept open through 2027 by a lock; the opex
    cap of 2026 is 60: 40 short. Without the lock S closes in 2026 and every frame holds."""
    sc = tiny(
        2026,
        2028,
        sites=[Site(site="S", district="A", opex=100.0, may_close=True)],
        budget=[Budget(year=2026, opex_cap=60.0)],
        locks=[Lock(target="site", id="S", rule="keep_open", year=2027)],
    )
    d = infeasible(sc)
    assert rows(d) == [("frame", "opex_cap", "2026", 40.0, "SEK")]
    assert d.messages[0] == "the opex cap of 2026 is 40 SEK short (the kept-open S, 100, costs 100 against 60)"
    assert rows(d, 1) == [("lock", "keep_open", "S", 1.0, "locks")]


def test_too_tight_frame_asks_for_money_before_unmet_places():
    """tests/cases.too_tight_frame: the build (1 000) cannot be paid in 2027 (cap 500) and 100 places
    are forbidden to go unmet there. Unmet places weigh more than money: 500 must be found in 2027."""
    d = infeasible(too_tight_frame())
    assert rows(d) == [("frame", "capex_cap", "2027", 500.0, "SEK")]
    assert d.messages == ["the capex cap of 2027 is 500 SEK short (build B, 1,000, costs 1,000 against 500)"]


def test_force_lock_that_cannot_hold():
    """B forced by 2026 but its earliest year is 2028: the index's lock conflict is named, and
    dropping the lock lets a plan exist."""
    sc = tiny(
        2026,
        2028,
        options=[new_building("B", capacity=10.0, capex=100.0, earliest_year=2028)],
        locks=[Lock(target="option", id="B", rule="force", year=2026)],
    )
    d = diagnose(sc, time_limit=10.0)
    assert rows(d) == [("lock", "locks", "B", 1.0, "locks")]
    assert "forced to open by 2026" in d.messages[0]
    assert rows(d, 1) == [("lock", "force", "B", 1.0, "locks")]


def test_feasible_scenario_has_an_empty_diagnosis():
    d = diagnose(build_or_lease(), time_limit=10.0)
    assert d.empty and d.table.empty and d.messages == []


@pytest.mark.parametrize("penalty", [1000.0])
def test_allowed_unmet_is_no_violation(penalty):
    """Unmet demand with a penalty is part of the plan, not a violation: the too-tight frame with
    a penalty has a plan (it leaves 2027 unmet) and nothing must give."""
    sc = too_tight_frame().model_copy(
        update={"settings": too_tight_frame().settings.model_copy(update={"unmet_penalty": penalty})}
    )
    assert diagnose(sc, time_limit=10.0).empty


def test_locks_in_the_way_of_demand():
    """Site S (100 places) is closed from 2027 by a lock and the build B is forbidden; 50 places a
    year 2026-2028, unmet forbidden: 2027-2028 cannot be served (100 place-years), and the two locks
    are named. Dropping one lock instead: either would do."""
    sc = tiny(
        2026,
        2028,
        demand=flat(50, range(2026, 2029)),
        sites=[Site(site="S", district="A", may_close=True)],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
        options=[new_building("B", capacity=100.0, capex=1000.0)],
        locks=[Lock(target="site", id="S", rule="close", year=2027), Lock(target="option", id="B", rule="forbid")],
    )
    d = infeasible(sc)
    assert rows(d) == [("unmet", "demand_balance", "A/pre/2027-2028", 100.0, "place-years")]
    assert d.messages[0] == (
        "district A, service pre, 2027-2028: 50 places a year cannot be served (100 place-years): no capacity "
        "within reach can open in time (no option within reach opens in the horizon); locks stand in the way: "
        "site S closed from 2027, option B forbidden"
    )
    assert rows(d, 1) in ([("lock", "close", "S", 1.0, "locks")], [("lock", "forbid", "B", 1.0, "locks")])


def test_the_solve_s_index_is_reused_and_left_as_it_is():
    """allocopt.solve's index may be handed in: the same diagnosis, and the index unchanged."""
    from allocopt.index import build_index

    sc = too_tight_frame()
    index = build_index(sc)
    d = diagnose(sc, time_limit=10.0, index=index)
    assert rows(d) == [("frame", "capex_cap", "2027", 500.0, "SEK")]
    assert index.services["pre"].penalty is None
