"""Age band labels ('a-b', 'a', 'a+'), and how a band's persons age into other bands.

Used by the cohort ageing of new residents (``settings.housing_ageing: cohort``,
models/premises.md, *Demand*). Ages are whole years, 0 to :data:`MAX_AGE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from allocopt.scenario import Scenario

MAX_AGE = 150
"""Highest age (years) a band label may name."""

BAND_TABLES: tuple[str, ...] = ("coverage", "population", "housing_types")
"""Tables whose ``age_band`` column names the scenario's age bands."""

_LABEL = re.compile(r"(\d{1,3})(?:-(\d{1,3})|(\+))?")


@dataclass(frozen=True)
class Band:
    """Ages ``low`` to ``high`` inclusive, in years; ``high`` None for an open band 'low+'."""

    low: int
    high: int | None

    @property
    def arrival_ages(self) -> range:
        """Single ages (years) over which the band's persons are spread evenly at move-in;
        an open band counts at its lowest age."""
        return range(self.low, (self.low if self.high is None else self.high) + 1)

    def holds(self, age: int) -> bool:
        """Whether a person aged ``age`` (years) belongs to the band."""
        return self.low <= age and (self.high is None or age <= self.high)

    def overlaps(self, other: Band) -> bool:
        """Whether some age belongs to both bands."""
        top = MAX_AGE + 1 if self.high is None else self.high
        other_top = MAX_AGE + 1 if other.high is None else other.high
        return max(self.low, other.low) <= min(top, other_top)


def parse_band(label: str) -> Band | None:
    """The band a label 'a-b', 'a' or 'a+' names (whole years 0..150, a <= b), or None."""
    m = _LABEL.fullmatch(label)
    if m is None:
        return None
    low = int(m.group(1))
    high = None if m.group(3) else int(m.group(2) or low)
    if low > MAX_AGE or (high is not None and not low <= high <= MAX_AGE):
        return None
    return Band(low, high)


def scenario_bands(scenario: Scenario) -> list[str]:
    """Every age band label of :data:`BAND_TABLES`, in order of first appearance."""
    return list(dict.fromkeys(x.age_band for t in BAND_TABLES for x in getattr(scenario, t)))


def share_matrix(arrival: list[str], target: list[str], years: int) -> np.ndarray:
    """``share[i, j]``: the share of the persons of band ``arrival[i]`` at move-in who are in
    band ``target[j]`` ``years`` years later (each person one year older per year).

    ``share(b -> B, k) = |{x in b : x + k in B}| / |b|`` over the band's single ages, an open
    move-in band counting as its lowest age. Raises ValueError on an unparsable label.
    """
    parsed = {label: parse_band(label) for label in (*arrival, *target)}
    bad = [label for label, band in parsed.items() if band is None]
    if bad:
        raise ValueError(f"age bands not written 'a-b', 'a' or 'a+': {', '.join(map(repr, bad))}")
    share = np.zeros((len(arrival), len(target)))
    for i, a in enumerate(arrival):
        ages = parsed[a].arrival_ages
        for j, b in enumerate(target):
            share[i, j] = sum(parsed[b].holds(x + years) for x in ages) / len(ages)
    return share


def age_band_problems(scenario: Scenario) -> list[tuple[str, int | None, str, str]]:
    """(table, row index in that table, column, message) for each age band that cohort ageing
    cannot use: a label not written 'a-b', 'a' or 'a+', or two bands that share an age.

    Empty unless ``settings.housing_ageing`` is 'cohort'. Each label is reported once, at its
    first row (tables in :data:`BAND_TABLES` order); an overlap at the later label's first row.
    """
    if scenario.settings.housing_ageing != "cohort":
        return []
    first: dict[str, tuple[str, int]] = {}
    for table in BAND_TABLES:
        for i, x in enumerate(getattr(scenario, table)):
            first.setdefault(x.age_band, (table, i))
    problems: list[tuple[str, int | None, str, str]] = []
    seen: list[tuple[str, Band]] = []
    for label, (table, i) in first.items():
        band = parse_band(label)
        if band is None:
            problems.append(
                (
                    table,
                    i,
                    "age_band",
                    f"age band '{label}' is not written 'a-b', 'a' or 'a+' (whole years 0-{MAX_AGE}, a ≤ b), "
                    "as housing_ageing 'cohort' requires",
                )
            )
            continue
        for other, other_band in seen:
            if band.overlaps(other_band):
                problems.append(
                    (
                        table,
                        i,
                        "age_band",
                        f"age band '{label}' overlaps age band '{other}': housing_ageing 'cohort' "
                        "needs age bands that share no age",
                    )
                )
        seen.append((label, band))
    return problems
