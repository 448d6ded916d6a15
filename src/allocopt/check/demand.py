"""demand[d,s,y] as the checker derives it from the scenario's tables (models/premises.md, *Demand*),
independently of :mod:`allocopt.demand` and :mod:`allocopt.age_bands`.

Under ``housing_ageing: cohort`` the new residents are followed person-share by single age:
each move-in band is spread over its single years, every arrival is aged to each later planning
year, and each age is looked up in the scenario's bands."""

from __future__ import annotations

import pandas as pd

from allocopt.scenario import Scenario


def recompute_demand(scenario: Scenario) -> pd.Series:
    """demand[d,s,y] over every district, service and planning year (places)."""
    years = scenario.years
    grid = pd.MultiIndex.from_product(
        [[d.district for d in scenario.districts], [s.service for s in scenario.services], years],
        names=["district", "service", "year"],
    )
    parts = []
    cov = scenario.table("coverage")
    if len(cov):
        persons = scenario.table("population").groupby(["district", "age_band", "year"])["persons"].sum()
        new = scenario.table("housing").merge(scenario.table("housing_types"), on="housing_type")
        if len(new) and scenario.settings.housing_ageing == "cohort":
            persons = persons.add(_aged_arrivals(scenario, new), fill_value=0.0)
        elif len(new):
            new["persons"] = new["homes"] * new["persons_per_home"]
            wide = new.pivot_table(
                index=["district", "age_band"], columns="year", values="persons", aggfunc="sum", fill_value=0.0
            )
            wide = wide.reindex(columns=sorted(set(wide.columns) | set(years)), fill_value=0.0)
            cum = wide.cumsum(axis=1)[years].stack()
            cum.index = cum.index.set_names(["district", "age_band", "year"])
            persons = persons.add(cum, fill_value=0.0)
        if len(persons):
            p = persons.rename("persons").reset_index().merge(cov, on="age_band")
            p["places"] = p["rate"] * p["persons"]
            parts.append(p.groupby(["district", "service", "year"])["places"].sum())
    direct = scenario.table("demand")
    direct = direct[~direct["service"].isin(set(cov["service"]))]
    if len(direct):
        parts.append(direct.groupby(["district", "service", "year"])["places"].sum())
    out = pd.Series(0.0, index=grid)
    for part in parts:
        out = out.add(part.astype(float).reindex(grid, fill_value=0.0), fill_value=0.0)
    return out.rename("demand")


OLDEST = 150
"""Highest age (years) a band label may name."""


def _span(label: str) -> tuple[int, int | None]:
    """(lowest, highest) age in years of a band label 'a-b', 'a' or 'a+'; highest None for 'a+'."""
    low, dash, high = label.removesuffix("+").partition("-")
    words = [low, high] if dash else [low]
    if not all(w.isascii() and w.isdecimal() for w in words) or (dash and label.endswith("+")):
        raise ValueError(f"age band {label!r} is not written 'a-b', 'a' or 'a+'")
    lo, hi = int(low), int(high or low)
    if not lo <= hi <= OLDEST:
        raise ValueError(f"age band {label!r} is not written 'a-b', 'a' or 'a+' within 0-{OLDEST}")
    return lo, None if label.endswith("+") else hi


def _aged_arrivals(scenario: Scenario, new: pd.DataFrame) -> pd.Series:
    """Persons of the new homes by (district, age_band, year), each arrival one year older per
    year (``housing_ageing: cohort``); ``new`` is housing merged with housing_types."""
    years = scenario.years
    bands = set(scenario.table("coverage")["age_band"]) | set(scenario.table("population")["age_band"])
    spans = {b: _span(b) for b in bands | set(new["age_band"])}
    # persons per single age at move-in: a closed band spread evenly, an open band at its lowest age
    ages = {b: list(range(lo, lo + 1 if hi is None else hi + 1)) for b, (lo, hi) in spans.items()}
    arrivals = new[new["year"] <= years[-1]].assign(age0=new["age_band"].map(ages))
    arrivals["persons"] = arrivals["homes"] * arrivals["persons_per_home"] / arrivals["age0"].str.len()
    arrivals = arrivals.explode("age0")
    later = arrivals.merge(pd.DataFrame({"then": years}), how="cross")
    later = later[later["then"] >= later["year"]]
    later["age"] = later["age0"].astype(int) + later["then"] - later["year"]
    oldest = OLDEST + len(years)
    owner = pd.DataFrame(
        [(a, b) for b, (lo, hi) in spans.items() for a in range(lo, (oldest if hi is None else hi) + 1)],
        columns=["age", "band"],
    )
    found = later.merge(owner, on="age").groupby(["district", "band", "then"])["persons"].sum()
    found.index = found.index.set_names(["district", "age_band", "year"])
    return found
