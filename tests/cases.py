"""Builders of tiny scenarios for hand-worked test cases."""

from __future__ import annotations

from allocopt.scenario import (
    Budget, Demand, District, Lock, Option, Scenario, Service, Settings, Site, SiteCapacity,
)


def tiny(first: int = 2026, last: int = 2028, *, rate: float = 0.0, penalty="forbidden",
         residual: str = "straight_line", timing: str = "spread", districts=None, services=None,
         demand: dict | None = None, sites=(), capacities=(), options=(), budget=(), locks=(),
         **tables) -> Scenario:
    """A scenario with one district 'A' (0, 0) and one service 'pre' unless told otherwise.

    ``demand`` maps (district, service, year) -> places.
    """
    return Scenario(
        settings=Settings(name="tiny", first_year=first, last_year=last, discount_rate=rate,
                          unmet_penalty=penalty, residual_value=residual, capex_timing=timing),
        districts=districts or [District(district="A", x_km=0.0, y_km=0.0)],
        services=services or [Service(service="pre", max_km=10.0)],
        demand=[Demand(district=d, service=s, year=y, places=p) for (d, s, y), p in (demand or {}).items()],
        sites=list(sites), site_capacities=list(capacities), options=list(options),
        budget=list(budget), locks=list(locks), **tables,
    )


def flat(places: float, years, district: str = "A", service: str = "pre") -> dict:
    """The same demand in every year of ``years``."""
    return {(district, service, y): places for y in years}


__all__ = ["Budget", "Demand", "District", "Lock", "Option", "Service", "Site", "SiteCapacity", "flat", "tiny"]
