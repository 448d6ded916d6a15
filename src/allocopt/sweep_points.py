"""A sweep's points: the sweep file (SWEEP.yaml), its overrides of the base scenario, each point's
id and each point's scenario. :mod:`allocopt.sweep` solves the points.

A sweep file names the base scenario and either a ``grid`` (override → list of values: every
combination, the first override varying slowest) or ``points`` (a list of mappings, each one
point), plus the solve settings of every point::

    base: ../scenarios/sodertalje    # relative to this file; omitted: the embedded default scenario
    grid:
      capex_scale: [0.9, 1.0, 1.1]
      discount_rate: [0.02, 0.035]
    time_limit: 120                  # seconds per point
    mip_gap: 0.005

The overrides, each applied to the base scenario in the order of :class:`Overrides`' fields, are
described by the fields themselves (units included). A grid's points are taken in that order too,
whatever order the file gives: a sweep's points, and so its table, do not depend on how the file
is written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from allocopt.scenario import Scenario
from allocopt.units import DISCOUNT_RATE

FACTOR_LIMIT = 1000.0
"""Largest scale factor an override accepts (a factor, not a unit): beyond it, a typo."""


def _factor(description: str):
    return Field(None, ge=0, le=FACTOR_LIMIT, allow_inf_nan=False, description=description)


class Overrides(BaseModel):
    """What one point changes in the base scenario (None: unchanged), applied in this order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    forecast: str | None = Field(
        None,
        min_length=1,
        description="A forecast variant of the base scenario's forecasts table (its name, e.g. high): the point "
        "plans for that variant's demand (allocopt.forecasts.variant_scenario: the housing plan delayed and the "
        "demand scaled as the variant says), applied before every other override.",
    )
    capex_scale: float | None = _factor(
        "Factor on every year's capex frame: the budget columns capex_cap and investment_cap (blank years "
        "stay blank; allocopt.frontier.level_scenario with frame 'capex', unit 'factor'). The base scenario "
        "must have one of them."
    )
    opex_scale: float | None = _factor(
        "Factor on every year's opex frame: the budget columns opex_cap and operating_cap (blank years stay "
        "blank; allocopt.frontier.level_scenario with frame 'opex'). The base scenario must have one of them."
    )
    discount_rate: DISCOUNT_RATE | None = Field(
        None, description="settings.discount_rate: the real discount rate per year (0.03 = 3 %)."
    )
    demand_scale: float | None = _factor(
        "Factor on demand: population.persons (the forecast), housing_types.persons_per_home (residents of "
        "the housing plan's new homes) and demand.places (demand given directly). Derived demand is linear in "
        "these, so every district's, service's and year's demand is multiplied by the factor; the number of "
        "homes built is unchanged."
    )
    cost_inflation: float | None = _factor(
        "Factor on premises prices, a real price change (money stays in the price level of "
        "settings.currency_year): options' capex, opex, rent and extension_rent; sites' opex, rent, "
        "renewal_rent and internal_rent; settings.internal_upkeep. Budget caps, sale values, closure costs, "
        "relet and vacancy figures, travel costs and unmet-demand penalties are unchanged, so 1.1 means "
        "premises cost 10 % more against an unchanged frame."
    )
    locks: bool | None = Field(
        None, description="on (or true): the base scenario's locks as they are; off (false): no locks at all."
    )

    def given(self) -> dict[str, Any]:
        """The overrides this point sets, in field order."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


OVERRIDES: tuple[str, ...] = tuple(Overrides.model_fields)
"""Every override's name, in the order they are applied (and in the sweep table's columns)."""


class Grid(BaseModel):
    """``grid:``: per override (the fields of :class:`Overrides`), the values to combine (each list
    non-empty; each value checked as :class:`Overrides` checks it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    forecast: list[str] | None = None
    capex_scale: list[float] | None = None
    opex_scale: list[float] | None = None
    discount_rate: list[float] | None = None
    demand_scale: list[float] | None = None
    cost_inflation: list[float] | None = None
    locks: list[bool] | None = None

    @field_validator("*")
    @classmethod
    def _not_empty(cls, values: list | None) -> list | None:
        if values is not None and not values:
            raise ValueError("give at least one value")
        return values


class SweepSpec(BaseModel):
    """A sweep file's contents (see the module's docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str | None = Field(
        None,
        description="The base scenario, a folder or .xlsx, relative to the sweep file; omitted: the "
        "embedded default scenario.",
    )
    grid: Grid | None = Field(None, description="Override → list of values: every combination is a point.")
    points: list[Overrides] | None = Field(None, description="The points, one mapping of overrides each.")
    time_limit: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Solver time limit per point, seconds."
    )
    mip_gap: float | None = Field(None, ge=0, allow_inf_nan=False, description="Relative MIP gap (0.005 = 0.5 %).")

    @model_validator(mode="after")
    def _grid_or_points(self) -> SweepSpec:
        if (self.grid is None) == (self.points is None):
            raise ValueError("give either grid or points, not both and not neither")
        if self.points is not None and not self.points:
            raise ValueError("points is empty: give at least one point")
        if self.grid is not None and not self.grid.model_dump(exclude_none=True):
            raise ValueError("grid is empty: give at least one override with its values")
        return self

    def overrides(self) -> list[Overrides]:
        """Every point's overrides: the grid's combinations (the first override in
        :data:`OVERRIDES` varying slowest) or the points as given. ValueError (naming the override)
        when a grid value is out of range, or when two points are the same."""
        if self.points is not None:
            points = list(self.points)
        else:
            axes = {k: v for k, v in self.grid.model_dump().items() if v is not None}
            points = []
            for values in itertools.product(*axes.values()):
                try:
                    points.append(Overrides(**dict(zip(axes, values))))
                except ValidationError as exc:
                    raise ValueError(describe_errors(exc, "grid")) from None
        seen: dict[str, int] = {}
        for i, p in enumerate(points):
            name = point_id(p)
            if name in seen:
                raise ValueError(f"points.{seen[name]} and points.{i} are the same point ({name})")
            seen[name] = i
        return points


class SweepError(ValueError):
    """A sweep that cannot run as given (a sweep file that cannot be read or is not valid, a frame to
    scale that the base scenario lacks): the message names the file and the key."""


def read_spec(path: str | Path) -> SweepSpec:
    """The sweep file at ``path``; :class:`SweepError` naming the file and the key when it is
    missing, not YAML or not valid (also when its points are out of range or repeat)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(f"{path}: no such sweep file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(f"{path}: cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        raise SweepError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise SweepError(f"{path}: expected a mapping with base, grid or points, time_limit, mip_gap")
    try:
        spec = SweepSpec.model_validate(data)
        spec.overrides()
    except ValidationError as exc:
        raise SweepError(f"{path}: {describe_errors(exc)}") from None
    except ValueError as exc:
        raise SweepError(f"{path}: {exc}") from None
    return spec


def base_path(spec: SweepSpec, spec_file: str | Path | None) -> Path | None:
    """The base scenario's path (relative to the sweep file's folder), or None: the default scenario."""
    if spec.base is None:
        return None
    folder = Path(spec_file).parent if spec_file is not None else Path()
    return folder / spec.base


def describe_errors(exc: ValidationError, prefix: str = "") -> str:
    """Every problem of ``exc`` as 'key: message' on one line, keys written as in the file
    (points.2.locks, budget.0.capex_cap)."""
    parts = []
    for e in exc.errors():
        where = ".".join(str(x) for x in ((prefix,) if prefix else ()) + tuple(e["loc"]))
        parts.append(f"{where or 'sweep file'}: {e['msg']}")
    return "; ".join(parts)


# ---------------------------------------------------------------- point ids


ID_LIMIT = 80
"""Most characters of a point id; a longer one is cut and ends in ``-`` and a hash of the whole."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return "".join(c if c.isalnum() or c in "_.-" else "-" for c in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(float(value))


def point_id(overrides: Overrides) -> str:
    """A point's id and folder name, from its overrides alone: ``capex_scale=1.1,discount_rate=0.03``
    (field order; numbers as Python writes them, whole numbers without ``.0``; locks on/off);
    ``base`` without overrides. Only letters, digits and ``_=,.-``: safe on every file system. One
    longer than :data:`ID_LIMIT` characters is cut and ends in ``-`` and 10 hex digits of the whole
    id's SHA-256, so different points never share an id."""
    given = overrides.given()
    text = ",".join(f"{k}={_text(v)}" for k, v in given.items()) or "base"
    if len(text) > ID_LIMIT:
        text = f"{text[: ID_LIMIT - 11]}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"
    return text


def fingerprint(scenario: Scenario) -> str:
    """Short SHA-256 of a scenario's contents: a saved point belongs to this base scenario."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- a point's scenario


_PREMISES_PRICES = {
    "options": ("capex", "opex", "rent", "extension_rent"),
    "sites": ("opex", "rent", "renewal_rent", "internal_rent"),
}
_DEMAND_FIGURES = {"population": "persons", "housing_types": "persons_per_home", "demand": "places"}


def point_scenario(base: Scenario, overrides: Overrides) -> Scenario:
    """``base`` with ``overrides`` applied (see :class:`Overrides`), validated again as a whole:
    a scaled figure out of its range, or a frame to scale that the base scenario lacks, is a
    ValueError saying which (a broken cross-table rule an :class:`allocopt.ScenarioError`)."""
    from allocopt.frontier import level_scenario

    scen = base
    if overrides.forecast is not None:
        from allocopt.forecasts import variant_scenario

        scen = variant_scenario(base, overrides.forecast)
    if overrides.capex_scale is not None:
        scen = level_scenario(scen, overrides.capex_scale, "capex", "factor")
    if overrides.opex_scale is not None:
        scen = level_scenario(scen, overrides.opex_scale, "opex", "factor")
    if overrides.locks is False:
        from allocopt.adopted import without_locks

        scen = without_locks(scen)
    data = scen.model_dump()
    if overrides.discount_rate is not None:
        data["settings"]["discount_rate"] = overrides.discount_rate
    if overrides.demand_scale is not None:
        for table, column in _DEMAND_FIGURES.items():
            _scale(data[table], (column,), overrides.demand_scale)
    if overrides.cost_inflation is not None:
        for table, columns in _PREMISES_PRICES.items():
            _scale(data[table], columns, overrides.cost_inflation)
        data["settings"]["internal_upkeep"] *= overrides.cost_inflation
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"the point's scenario is not valid: {describe_errors(exc)}") from None


def _scale(rows: list[dict], columns: tuple[str, ...], factor: float) -> None:
    for row in rows:
        for c in columns:
            if row.get(c) is not None and math.isfinite(row[c]):
                row[c] = row[c] * factor


def check_frames(base: Scenario, points: list[Overrides], where: str = "sweep") -> None:
    """:class:`SweepError` (starting with ``where``) when a point scales a frame (capex or opex)
    the base scenario has no cap in, or names a forecast variant the base scenario does not have."""
    from allocopt.forecasts import forecast_names
    from allocopt.frontier import frame_columns

    known = forecast_names(base) if base.forecasts else []
    for i, p in enumerate(points):
        if p.forecast is not None and p.forecast not in known:
            have = ", ".join(known) if known else "none (the base scenario has no forecasts table)"
            raise SweepError(f"{where}: point {i}: forecast: no forecast variant '{p.forecast}'; the base has {have}")

    for name, frame in (("capex_scale", "capex"), ("opex_scale", "opex")):
        if any(getattr(p, name) is not None for p in points):
            try:
                frame_columns(base, frame, "factor")
            except ValueError as exc:
                raise SweepError(f"{where}: {name}: {exc}") from None
