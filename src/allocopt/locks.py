"""The policy locks applied to a scenario's index: the sites' open bounds and the options' years
narrowed as each lock says (models/premises.md, the locks table), and every set of locks that
cannot all hold located, with its cause and a fix (:class:`LockConflict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from allocopt.scenario import SITE_KINDS, Scenario

if TYPE_CHECKING:
    from allocopt.index import OptionInfo, SiteInfo


@dataclass(frozen=True)
class LockConflict:
    """Locks that cannot all hold (the plan would be infeasible).

    ``locks``: their indexes in ``scenario.locks``, the one to look at first; ``column``: that
    lock's column to change ('year', or 'id' when its year is blank); ``message`` says why.
    """

    locks: tuple[int, ...]
    column: str
    message: str

    def __str__(self) -> str:
        return self.message


def apply_locks(scenario: Scenario, sites: dict[str, SiteInfo], options: dict[str, OptionInfo]) -> list[LockConflict]:
    """Apply the locks to the sites' open bounds and the options' years; the conflicts found."""
    years = scenario.years
    conflicts: list[LockConflict] = []
    keep: dict[str, list[tuple[int, int]]] = {}  # site -> [(lock index, open through year)]
    close: dict[str, list[tuple[int, int]]] = {}  # site -> [(lock index, closed from year)]
    force: dict[str, list[tuple[int, int]]] = {}  # option -> [(lock index, open by year)]
    forbid: dict[str, list[int]] = {}  # option -> [lock index] (option locks, and site locks at its site)
    for i, lock in enumerate(scenario.locks):
        if lock.target == "option":
            o = options[lock.id]
            if lock.rule == "forbid":
                o.years = []
                forbid.setdefault(o.option, []).append(i)
            else:
                by = lock.year if lock.year is not None else years[-1]
                o.force_by = by if o.force_by is None else min(o.force_by, by)
                force.setdefault(o.option, []).append((i, by))
        elif lock.rule == "forbid":  # a whole site: every expansion and conversion there
            for o in options.values():
                if o.kind in SITE_KINDS and o.facility == lock.id:
                    o.years = []
                    forbid.setdefault(o.option, []).append(i)
        else:
            x = sites[lock.id]
            if lock.rule == "keep_open":
                through = lock.year if lock.year is not None else years[-1]
                keep.setdefault(x.site, []).append((i, through))
                for y in years:
                    if y <= through:
                        x.open_lb[y] = 1
            else:
                by = lock.year if lock.year is not None else years[0]
                close.setdefault(x.site, []).append((i, by))
                for y in years:
                    if y >= by:
                        x.open_ub[y] = 0
    for x in sites.values():
        # a closed site stays closed: an upper bound of 0 holds for every later year,
        # a lower bound of 1 for every earlier one
        for a, b in zip(years, years[1:], strict=False):
            x.open_ub[b] = min(x.open_ub[b], x.open_ub[a])
        for a, b in zip(reversed(years[1:]), reversed(years[:-1]), strict=True):
            x.open_lb[b] = max(x.open_lb[b], x.open_lb[a])
        bad = [y for y in years if x.open_lb[y] > x.open_ub[y]]
        if bad:
            conflicts.append(_site_conflict(scenario, x.site, bad[0], keep.get(x.site, []), close.get(x.site, [])))
            for y in bad:
                x.open_lb[y] = x.open_ub[y]
    for o in options.values():
        if o.force_by is not None and not any(t <= o.force_by for t in o.years):
            conflicts.append(_option_conflict(scenario, o, force[o.option], forbid.get(o.option, [])))
    return conflicts


def _site_conflict(
    scenario: Scenario, site: str, year: int, keep: list[tuple[int, int]], close: list[tuple[int, int]]
) -> LockConflict:
    """Why ``site`` must be both open and closed in ``year``, naming the cause: a keep_open lock, the
    site's own rules (``may_close`` false, ``close_from``) or the end of a non-renewable lease, against
    a close lock or that lease end."""
    x = next(s for s in scenario.sites if s.site == site)
    opening = [(i, through) for i, through in keep if through >= year]
    closing = [(i, by) for i, by in close if by <= year]
    involved = tuple(i for i, _ in opening + closing)
    column = "year" if involved and scenario.locks[involved[0]].year is not None else "id"
    lease_end = x.lease_end if x.tenure == "leased" else None
    if closing:
        first, by = min(closing, key=lambda c: (c[1], c[0]))
        blank = " (blank year: the first year)" if scenario.locks[first].year is None else ""
        closes = f"a close lock closes it by {by}{blank}"
        if opening:
            through = min(t for _, t in opening)
            message = (
                f"site '{site}' is kept open through {through} by a keep_open lock but {closes}: "
                "change one lock's year or drop one of them"
            )
        elif not x.may_close:
            ends = f" before its lease ends ({lease_end})" if lease_end is not None else ""
            message = (
                f"site '{site}' may not close{ends} (may_close is false) but {closes}: "
                "set may_close to true or drop the lock"
            )
        else:
            message = (
                f"site '{site}' may close only from close_from {x.close_from} but {closes}: "
                f"move the lock's year to {x.close_from} or later, set close_from earlier, or drop the lock"
            )
    else:
        through = min(t for _, t in opening)
        message = (
            f"site '{site}' is kept open through {through} by a keep_open lock but its lease ends {lease_end} "
            "and is not renewable: keep it open no later than its lease_end, or make the lease renewable"
        )
    return LockConflict(involved, column, message)


def _option_conflict(
    scenario: Scenario, o: OptionInfo, force: list[tuple[int, int]], forbid: list[int]
) -> LockConflict:
    """Why option ``o`` cannot open by the year it is forced to."""
    if forbid:
        first = min(i for i, _ in force)
        return LockConflict(
            (first, *forbid),
            "id" if scenario.locks[first].year is None else "year",
            f"option '{o.option}' is forced to open by {o.force_by}, but a lock forbids it",
        )
    first = min(i for i, by in force if by == o.force_by)
    earliest = min(o.years) if o.years else None
    latest = next(x.latest_year for x in scenario.options if x.option == o.option)
    when = f"is {earliest}" if earliest is not None else "is after the horizon"
    if earliest is None and latest is not None and latest < scenario.settings.last_year:
        when = f"is after its latest year {latest}"
    return LockConflict(
        (first,),
        "year" if scenario.locks[first].year is not None else "id",
        f"option '{o.option}' is forced to open by {o.force_by}, but its earliest opening year "
        f"(earliest year plus lead time) {when}",
    )
