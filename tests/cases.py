"""Builders of tiny scenarios for hand-worked test cases, and helpers several test modules share."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from allocopt.cli import cli
from allocopt.report import VOLATILE_SUMMARY_KEYS
from allocopt.scenario import (
    Budget,
    Demand,
    Distance,
    District,
    Lock,
    Option,
    Scenario,
    Service,
    Settings,
    Site,
    SiteCapacity,
)
from allocopt.tables import RESULT_FILES


def tiny(
    first: int = 2026,
    last: int = 2028,
    *,
    rate: float = 0.0,
    penalty="forbidden",
    residual: str = "straight_line",
    timing: str = "spread",
    overrun: float = 0.0,
    districts=None,
    services=None,
    demand: dict | None = None,
    sites=(),
    capacities=(),
    options=(),
    budget=(),
    locks=(),
    **tables,
) -> Scenario:
    """A scenario with one district 'A' (0, 0) and one service 'pre' unless told otherwise.

    ``demand`` maps (district, service, year) -> places; ``overrun`` is settings.capex_overrun.
    """
    return Scenario(
        settings=Settings(
            name="tiny",
            first_year=first,
            last_year=last,
            discount_rate=rate,
            unmet_penalty=penalty,
            residual_value=residual,
            capex_timing=timing,
            capex_overrun=overrun,
        ),
        districts=districts or [District(district="A", x_km=0.0, y_km=0.0)],
        services=services or [Service(service="pre", max_km=10.0)],
        demand=[Demand(district=d, service=s, year=y, places=p) for (d, s, y), p in (demand or {}).items()],
        sites=list(sites),
        site_capacities=list(capacities),
        options=list(options),
        budget=list(budget),
        locks=list(locks),
        **tables,
    )


def flat(places: float, years, district: str = "A", service: str = "pre") -> dict:
    """The same demand in every year of ``years``."""
    return {(district, service, y): places for y in years}


BUILD = dict(kind="build", district="A", service="pre", capacity=100.0, capex=1000.0, opex=10.0, lifetime=10)
LEASE = dict(kind="lease", district="A", service="pre", capacity=100.0, rent=150.0, term=10)


def new_building(option: str = "B", **fields) -> Option:
    """A build option in district A for service 'pre' (the tiny cases' usual new building);
    ``fields``: capacity, capex, lifetime, lead_time, ... as the case needs."""
    return Option(option=option, kind="build", district="A", service="pre", **fields)


def build_or_lease(**kw) -> Scenario:
    """100 places 2026-2030; build 550 net (1000 + 50 − 500 residual), lease 750 (see
    test_model_cases). ``kw`` goes to :func:`tiny`."""
    return tiny(
        2026,
        2030,
        demand=flat(100, range(2026, 2031)),
        options=[Option(option="B", **BUILD), Option(option="L", **LEASE)],
        **kw,
    )


def school_140(penalty=100.0, options=(), locks=(), sites=(), capacities=(), **tables) -> Scenario:
    """One district A, one existing school S (100 places, opex 1 000 SEK a year, may not close), demand
    140 places in 2026-2028, unmet demand at ``penalty`` SEK per place-year; a build option B of 50
    places (capex 3 000 SEK, no lead time) and ``options``. Discount rate 0, no residual value."""
    build = Option(option="B", kind="build", district="A", service="pre", capacity=50.0, capex=3000.0)
    return tiny(
        2026,
        2028,
        penalty=penalty,
        residual="none",
        demand=flat(140.0, range(2026, 2029)),
        sites=[Site(site="S", district="A", opex=1000.0), *sites],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0), *capacities],
        options=[build, *options],
        locks=list(locks),
        **tables,
    )


def pavilion(extension_rent: float | None):
    """100 places in 2026-2029, r = 0. Pavilion P (municipality): 100 places, set-up 100, rent 50
    a year, term 2, up to 2 modules, extension_rent ``extension_rent``.

    - no extensions: one module in 2026 and another in 2028: 2·(100 + 2·50) = 400;
    - extension_rent 60: P in 2026 (100 + 2·50) and kept in 2028 and 2029 (2·60): 320 < 400; a
      new module in 2029 instead of the 2029 extension costs 100 + 50 > 60;
    - extension_rent 120: extending costs 100 + 2·120 = 440 > 400: re-open in 2028."""
    sc = tiny(
        2026,
        2029,
        demand=flat(100, range(2026, 2030)),
        options=[
            Option(
                option="P",
                kind="pavilion",
                district="A",
                service="pre",
                capacity=100,
                capex=100,
                rent=50,
                term=2,
                max_modules=2,
                extension_rent=extension_rent,
            )
        ],
    )
    return sc


def district_group(years) -> Scenario:
    """A (0 km) and B (4 km) reach only the build OA in A, C (20 km) only OC in C (max 5 km): one
    district group, (A, B) served from {OA}. Demand in each of ``years``: A 60, B 60, C 50 places;
    OA 100 places per module (capex 1000, up to 2 modules), OC 100 places (capex 1000); r = 0, no
    residual value. The optimum opens OA with 2 modules and OC in the first year: 3 000 SEK."""
    districts = [
        District(district="A", x_km=0, y_km=0),
        District(district="B", x_km=4, y_km=0),
        District(district="C", x_km=20, y_km=0),
    ]
    build = dict(kind="build", service="pre", capacity=100.0, capex=1000.0)
    return tiny(
        min(years),
        max(years),
        residual="none",
        districts=districts,
        services=[Service(service="pre", max_km=5.0)],
        demand={**flat(60.0, years, "A"), **flat(60.0, years, "B"), **flat(50.0, years, "C")},
        options=[Option(option="OA", district="A", max_modules=2, **build), Option(option="OC", district="C", **build)],
    )


# ------------------------------------------------------------------------------ command line


def run(*args: str):
    """``allocopt *args`` in-process; exceptions propagate and no traceback may be printed."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def assert_same_results(first: Path, second: Path) -> None:
    """The result files in two folders are byte-identical (summary.json: all but the timings)."""
    for name in RESULT_FILES:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if name == "summary.json":
            a, b = (json.loads(x) for x in (a, b))
            for key in VOLATILE_SUMMARY_KEYS:
                a.pop(key), b.pop(key)
        assert a == b, f"{name} differs between two runs of the same input"


__all__ = [
    "Budget",
    "Demand",
    "Distance",
    "District",
    "Lock",
    "Option",
    "Scenario",
    "Service",
    "Settings",
    "Site",
    "SiteCapacity",
    "assert_same_results",
    "build_or_lease",
    "flat",
    "run",
    "tiny",
]


def too_tight_frame() -> Scenario:
    """Demand 100 places 2027-2029 with unmet demand forbidden; the only build (100 places) costs
    1 000 SEK against capex caps of 0 in 2026 and 500 in 2027: no plan serves 2027 (infeasible)."""
    return tiny(
        2026,
        2029,
        demand=flat(100, range(2027, 2030)),
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=1000.0, lifetime=10)
        ],
        budget=[Budget(year=2026, capex_cap=0.0), Budget(year=2027, capex_cap=500.0)],
    )
