"""Demand for places, derived from the population forecast and the housing plan.

``demand[d,s,y] = Σ_b rate[s,b] · (population[d,y,b] + new_persons[d,y,b])`` for services with
coverage rates; the ``demand`` table directly for the others (models/premises.md, *Demand*).
New residents of homes completed in year t count from t on:

- ``housing_ageing: none`` (default): ``new_persons[d,y,b] = Σ_h Σ_{t≤y} homes[d,t,h] · persons_per_home[h,b]``
  (the cumulative stock, nobody ages);
- ``housing_ageing: cohort``: ``new_persons[d,y,B] = Σ_h Σ_{t≤y} Σ_b homes[d,t,h] · persons_per_home[h,b]
  · share(b → B, y − t)``, each arrival one year older per year (:func:`allocopt.age_bands.share_matrix`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocopt.age_bands import scenario_bands, share_matrix
from allocopt.scenario import Scenario

DEMAND_COLUMNS = ["district", "service", "year", "places"]
RESIDENT_DTYPES = {"district": object, "year": int, "age_band": object, "persons": float}


def base_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a population or housing table that belong to the base forecast (blank
    ``forecast``); a forecast variant's own rows are :func:`allocopt.forecasts.variant_scenario`'s."""
    if "forecast" not in table.columns:
        return table
    return table[table["forecast"].isna()]


def residents_by_band(scenario: Scenario) -> pd.DataFrame:
    """Residents per district, year and age band: forecast plus housing-plan residents
    (cumulative, or aged by cohort under ``housing_ageing: cohort``).

    Columns: district, year, age_band, persons (persons).
    """
    years = scenario.years
    pop = base_rows(scenario.table("population"))[["district", "year", "age_band", "persons"]]
    pop = pop.astype({"persons": float})
    housing = base_rows(scenario.table("housing"))
    types = scenario.table("housing_types")
    if len(housing) and len(types) and scenario.settings.housing_ageing == "cohort":
        pop = pd.concat([pop, cohort_residents(scenario)], ignore_index=True)
    elif len(housing) and len(types):
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
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in RESIDENT_DTYPES.items()})
    return pop.groupby(["district", "year", "age_band"], as_index=False, sort=True)["persons"].sum()


def cohort_residents(scenario: Scenario) -> pd.DataFrame:
    """Residents of the housing plan's new homes per district, year and age band, each year's
    arrivals ageing one year per year (``housing_ageing: cohort``).

    Arrivals in year t by move-in band b (persons) = Σ_h homes[d,t,h] · persons_per_home[h,b];
    in year y ≥ t they count in band B by ``share(b → B, y − t)``. Every band of the scenario
    gets a row for every district with new homes and every planning year.
    Columns: district, year, age_band, persons (persons).
    """
    years = scenario.years
    new = base_rows(scenario.table("housing")).merge(scenario.table("housing_types"), on="housing_type")
    new = new[new["year"].isin(years)]
    new = new.assign(persons=new["homes"].astype(float) * new["persons_per_home"].astype(float))
    if new.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in RESIDENT_DTYPES.items()})
    arrival = list(dict.fromkeys(new["age_band"]))
    target = scenario_bands(scenario)
    districts = sorted(set(new["district"]))
    grid = new.pivot_table(
        index=["district", "year"], columns="age_band", values="persons", aggfunc="sum", fill_value=0.0
    )
    full = pd.MultiIndex.from_product([districts, years], names=["district", "year"])
    arrivals = grid.reindex(index=full, columns=arrival, fill_value=0.0).to_numpy()
    arrivals = arrivals.reshape(len(districts), len(years), len(arrival))  # [d, t, b], persons
    aged = np.zeros((len(districts), len(years), len(target)))  # [d, y, B], persons
    for k in range(len(years)):  # arrivals of year t, k = y - t years later
        aged[:, k:, :] += arrivals[:, : len(years) - k, :] @ share_matrix(arrival, target, k)
    index = pd.MultiIndex.from_product([districts, years, target], names=["district", "year", "age_band"])
    return pd.DataFrame({"persons": aged.reshape(-1)}, index=index).reset_index()


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
