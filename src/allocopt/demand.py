"""Demand for places, derived from the population forecast and the housing plan.

``demand[d,s,y] = Σ_b rate[s,b] · (population[d,y,b] + Σ_h Σ_{t≤y} homes[d,t,h] · persons_per_home[h,b])``
for services with coverage rates; the ``demand`` table directly for the others
(models/premises.md, *Demand*).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocopt.scenario import Scenario

DEMAND_COLUMNS = ["district", "service", "year", "places"]


def residents_by_band(scenario: Scenario) -> pd.DataFrame:
    """Residents per district, year and age band: forecast plus cumulative housing-plan residents.

    Columns: district, year, age_band, persons (persons).
    """
    years = scenario.years
    pop = scenario.table("population")[["district", "year", "age_band", "persons"]]
    pop = pop.astype({"persons": float})
    housing = scenario.table("housing")
    types = scenario.table("housing_types")
    if len(housing) and len(types):
        new = housing.merge(types, on="housing_type")
        new["persons"] = new["homes"].astype(float) * new["persons_per_home"].astype(float)
        new = new.groupby(["district", "age_band", "year"], as_index=False)["persons"].sum()
        # cumulative over years: residents of homes completed in t count from t on
        grid = new.pivot_table(
            index=["district", "age_band"], columns="year", values="persons", aggfunc="sum", fill_value=0.0
        )
        grid = grid.reindex(columns=years, fill_value=0.0).cumsum(axis=1)
        extra = grid.stack().rename("persons").reset_index()
        extra = extra[["district", "year", "age_band", "persons"]]
        pop = pd.concat([pop, extra], ignore_index=True)
    if pop.empty:
        return pd.DataFrame(
            {
                "district": pd.Series(dtype=object),
                "year": pd.Series(dtype=int),
                "age_band": pd.Series(dtype=object),
                "persons": pd.Series(dtype=float),
            }
        )
    return pop.groupby(["district", "year", "age_band"], as_index=False, sort=True)["persons"].sum()


def derive_demand(scenario: Scenario) -> pd.DataFrame:
    """Demand in places for every district, service and year of the horizon (zeros included).

    Columns: district, service, year, places. Rows sorted by district, service, year in the
    scenario's table order.
    """
    districts = [d.district for d in scenario.districts]
    services = [s.service for s in scenario.services]
    years = scenario.years
    full = pd.MultiIndex.from_product([districts, services, years], names=["district", "service", "year"])
    parts = []
    coverage = scenario.table("coverage")
    if len(coverage):
        residents = residents_by_band(scenario)
        banded = residents.merge(coverage, on="age_band")
        banded["places"] = banded["persons"] * banded["rate"].astype(float)
        parts.append(banded.groupby(["district", "service", "year"])["places"].sum())
    direct = scenario.table("demand")
    if len(direct):
        parts.append(direct.groupby(["district", "service", "year"])["places"].sum().astype(float))
    if parts:
        places = pd.concat(parts).groupby(level=[0, 1, 2]).sum().reindex(full, fill_value=0.0)
    else:
        places = pd.Series(np.zeros(len(full)), index=full)
    out = places.rename("places").reset_index()
    out["places"] = out["places"].astype(float)
    return out
