"""Numbers and their ranges: the numeric column types of the scenario, each with its unit.

Every numeric column of :mod:`allocopt.scenario` is one of the types below, made by
:func:`number`: a float (or int) whose :class:`Range` is checked on validation, shown in the
README's reference (:mod:`allocopt.docs`) and quoted in the messages of
:mod:`allocopt.error_messages`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, Field
from pydantic.fields import FieldInfo

MAX_SEK = 1e13
"""Largest money figure, SEK or SEK per year (ten trillion: far above any municipal budget)."""
MAX_PLACES = 1e9
"""Largest number of places (capacity, demand)."""
MIN_PLACES = 1e-6
"""Smallest nonzero number of places: smaller ones are typing errors and break the solver's arithmetic."""
MAX_PERSONS = 1e9
"""Largest number of residents in one population row."""
MAX_HOMES = 1e7
"""Largest number of homes completed in one housing row."""
MAX_PERSONS_PER_HOME = 100.0
"""Largest number of residents of one age band per new home."""
MAX_KM = 1e5
"""Largest distance or coordinate, km."""
MAX_TRAVEL_COST = 1e9
"""Largest travel cost, SEK per place, km and year."""
FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Range of every calendar-year column."""
MAX_YEARS_IN_SERVICE = 200
"""Longest lifetime or lease term, years."""
MAX_MODULES = 10_000
"""Most modules of one option."""


def number_text(x: float) -> str:
    """A bound as people read it: ``0``, ``0.5``, ``2200``, ``1e+13``, ``1e-06``."""
    x = float(x)
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:g}"


@dataclass(frozen=True)
class Range:
    """The range of a numeric column: checked on validation, shown in the README and in messages.

    ``lo`` … ``hi`` inclusive (``lo`` excluded when ``lo_open``); ``tiny``: nonzero magnitudes
    below it are errors; ``unlimited``: ``inf`` is accepted and means no limit (as a blank does).
    NaN and infinities are errors everywhere else (``allow_inf_nan=False`` on every row).
    """

    lo: float
    hi: float
    unit: str = ""
    lo_open: bool = False
    tiny: float | None = None
    unlimited: bool = False

    def text(self) -> str:
        """'0 … 1e+13 SEK', '> 0 … 1', '0, or 1e-06 … 1e+09 places', '> 0 … 100000 km; inf: unlimited'."""
        unit = f" {self.unit}" if self.unit else ""
        hi = number_text(self.hi)
        if self.tiny is not None:
            low = f"{number_text(self.tiny)} … {hi}"
            out = low if self.lo_open else f"0, or {low}"
        else:
            out = f"{'> ' if self.lo_open else ''}{number_text(self.lo)} … {hi}"
        return out + unit + ("; inf: unlimited" if self.unlimited else "")

    def check(self, value: float) -> float:
        """The checks Field constraints cannot state (tiny magnitudes; inf meaning unlimited)."""
        unit = f" {self.unit}" if self.unit else ""
        if self.unlimited:
            if math.isnan(value) or value == -math.inf:
                raise ValueError(f"must be a number (blank or inf: unlimited), got {value}")
            if value != math.inf and not (value > self.lo if self.lo_open else value >= self.lo):
                raise ValueError(f"must be {'>' if self.lo_open else '>='} {number_text(self.lo)}, got {value:g}")
            if self.hi < value < math.inf:
                raise ValueError(f"must be <= {number_text(self.hi)}{unit} (blank or inf: unlimited), got {value:g}")
        if self.tiny is not None and 0 < abs(value) < self.tiny:
            least = f"at least {number_text(self.tiny)}{unit}"
            raise ValueError(f"must be {least if self.lo_open else '0 or ' + least}, got {value!r}")
        return value


def number(
    lo: float,
    hi: float,
    unit: str = "",
    *,
    lo_open: bool = False,
    tiny: float | None = None,
    unlimited: bool = False,
    integer: bool = False,
) -> Any:
    """A numeric column type: ``Annotated[float, constraints, Range]`` (``int`` when ``integer``)."""
    spec = Range(lo, hi, unit, lo_open, tiny, unlimited)
    if unlimited:  # every check in Range.check, so that NaN is not reported as 'must be > 0'
        return Annotated[float, Field(allow_inf_nan=True), AfterValidator(spec.check), spec]
    bounds = Field(gt=lo, le=hi) if lo_open else Field(ge=lo, le=hi)
    if tiny is not None:
        return Annotated[int if integer else float, bounds, AfterValidator(spec.check), spec]
    return Annotated[int if integer else float, bounds, spec]


def value_range(field: FieldInfo) -> Range | None:
    """The :class:`Range` of a field (of its number branch, for unions such as ``number | None``)."""
    for m in field.metadata:
        if isinstance(m, Range):
            return m
    if get_origin(field.annotation) in (Union, UnionType):
        for arg in get_args(field.annotation):
            if get_origin(arg) is Annotated:
                for m in arg.__metadata__:
                    if isinstance(m, Range):
                        return m
    return None


SEK = number(0, MAX_SEK, "SEK")
SEK_PER_YEAR = number(0, MAX_SEK, "SEK per year")
PENALTY = number(0, MAX_SEK, "SEK per place and year")
PLACES = number(0, MAX_PLACES, "places", tiny=MIN_PLACES)
PLACES_PER_MODULE = number(0, MAX_PLACES, "places", lo_open=True, tiny=MIN_PLACES)
PERSONS = number(0, MAX_PERSONS, "persons")
HOMES = number(0, MAX_HOMES, "homes")
PERSONS_PER_HOME = number(0, MAX_PERSONS_PER_HOME, "persons")
COORDINATE = number(-MAX_KM, MAX_KM, "km")
KM = number(0, MAX_KM, "km")
REACH_KM = number(0, MAX_KM, "km", lo_open=True, unlimited=True)
TRAVEL_COST = number(0, MAX_TRAVEL_COST, "SEK per place, km and year")
SHARE = number(0, 1)
POSITIVE_SHARE = number(0, 1, lo_open=True)
DISCOUNT_RATE = number(0, 0.5)
YEAR = number(FIRST_YEAR, LAST_YEAR, integer=True)
YEARS_IN_SERVICE = number(1, MAX_YEARS_IN_SERVICE, "years", integer=True)
LEAD_TIME = number(0, 30, "years", integer=True)
MODULES = number(1, MAX_MODULES, "modules", integer=True)
