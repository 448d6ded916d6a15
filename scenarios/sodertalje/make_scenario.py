"""Generate the illustrative Södertälje scenario (scenario.yaml and the CSV tables).

ILLUSTRATIVE: shaped on Södertälje's public figures (``/work/shared/domain/PARAMETERS.md``,
cited as "P: <row>" below), but the districts, sites and options are made up; this is not the
municipality's plan or site list. See README.md for what each figure means.

Deterministic: one seeded numpy generator; re-running writes byte-identical files::

    python scenarios/sodertalje/make_scenario.py            # write files, validate
    python scenarios/sodertalje/make_scenario.py --summary  # also print a demand/capacity summary
"""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
SEED = 20260101
rng = np.random.default_rng(SEED)

FIRST, LAST = 2026, 2040
YEARS = list(range(FIRST, LAST + 1))
MSEK = 1_000_000.0

# ---------------------------------------------------------------------------------------------
# Settings (P: internal interest rate (SKR internränta) 2.5 % for 2024 and 2025)
# ---------------------------------------------------------------------------------------------
SETTINGS = {
    "name": "sodertalje",
    "description": (
        "ILLUSTRATIVE scenario shaped on Södertälje's public figures (population forecast, "
        "20 000-homes ambition, school, preschool and elderly-care stock). Districts, sites and "
        "options are made up: not the municipality's plan or site list."
    ),
    "first_year": FIRST,
    "last_year": LAST,
    "currency": "SEK",
    "currency_year": 2024,
    "discount_rate": 0.025,
    "residual_value": "straight_line",
    "capex_overrun": 0.17,  # P: cost overrun, school projects deviate from budget by 17 % on average
    "capex_timing": "spread",
    "unmet_penalty": 2.0 * MSEK,
    # The property company (P: Telge Fastigheter owns the school and preschool stock) charges
    # internal rent: cost-based for new premises, an annuity at the internal rate (P: SKR
    # internränta 2.5 %); its operation and maintenance is the sites' opex (est. 300-500 SEK/m2/yr),
    # paid by the services, so no upkeep is charged on top.
    "perspective": "consolidated",
    "internal_rent_method": "cost_based",
    "internal_rate": 0.025,
    "internal_upkeep": 0.0,
}

# ---------------------------------------------------------------------------------------------
# Services and coverage
# (P: preschool 1-5 about 87 %; compulsory school 100 %, about 27 % independent in Stockholm
#  county -> 73 % in municipal premises; elderly care homes est. 10-14 % of 80+; planning
#  utilisation est. 90-95 % school/preschool, 95-98 % elderly care)
# travel_cost: a small preference for nearby places (not a published figure).
# ---------------------------------------------------------------------------------------------
SERVICES = [
    {"service": "preschool", "name": "Förskola (preschool, ages 1-5)", "max_km": 4.0,
     "utilisation": 0.95, "assignment": "split", "travel_cost": 1000.0, "unmet_penalty": 1.0 * MSEK},
    {"service": "school_f6", "name": "Grundskola F-6 (ages 6-12)", "max_km": 5.0,
     "utilisation": 0.92, "assignment": "split", "travel_cost": 500.0, "unmet_penalty": 2.0 * MSEK},
    {"service": "school_79", "name": "Grundskola 7-9 (ages 13-15)", "max_km": 8.0,
     "utilisation": 0.92, "assignment": "split", "travel_cost": 300.0, "unmet_penalty": 2.0 * MSEK},
    {"service": "elderly", "name": "Vård- och omsorgsboende (elderly-care home, 80+)", "max_km": 25.0,
     "utilisation": 0.97, "assignment": "split", "travel_cost": 500.0, "unmet_penalty": 3.0 * MSEK},
]
COVERAGE = [
    {"service": "preschool", "age_band": "1-5", "rate": 0.87},
    {"service": "school_f6", "age_band": "6-12", "rate": 0.73},
    {"service": "school_79", "age_band": "13-15", "rate": 0.73},
    {"service": "elderly", "age_band": "80+", "rate": 0.12},
]
UTIL = {s["service"]: s["utilisation"] for s in SERVICES}
RATE = {c["service"]: c["rate"] for c in COVERAGE}
BAND = {c["service"]: c["age_band"] for c in COVERAGE}
BANDS = ["1-5", "6-12", "13-15", "80+"]

# ---------------------------------------------------------------------------------------------
# Districts: km east (x) and north (y) of Södertälje centrum, approximate real geography
# (P: urban areas; growth areas). Relative residents in 2026 and age-profile multipliers for
# the bands 1-5, 6-12, 13-15, 80+ (young suburbs, older centre, family villa areas).
# ---------------------------------------------------------------------------------------------
# weight: relative residents 2026; young/old: multipliers of the 1-15 and 80+ shares; growth:
# the district's extra yearly growth in the base forecast (the total is rescaled to the forecast).
#          id              name                                        x_km   y_km  weight  young  old  growth
DISTRICTS = [
    ("centrum",      "Centrum",                                      0.0,   0.0,  9.0,  0.85, 1.35, 0.000),
    ("rosenlund",    "Rosenlund",                                   -0.3,  -1.5,  4.5,  0.95, 1.10, 0.000),
    ("fornhojden",   "Fornhöjden / Brunnsäng / Västergård",          -1.8,  -1.3, 10.0,  1.10, 0.95, -0.002),
    ("hovsjo",       "Hovsjö",                                      -3.2,  -0.7,  6.0,  1.25, 0.55, -0.002),
    ("ronna_geneta", "Ronna / Geneta",                              -2.3,   1.3, 14.0,  1.20, 0.80, -0.002),
    ("norr",         "Mariekäll / Lina / Tveta (norr)",              0.8,   1.8,  9.0,  0.90, 1.35, -0.002),
    ("blombacka",    "Blombacka / Saltskog",                         2.2,   0.0,  8.0,  1.00, 1.05, 0.000),
    ("ostertalje",   "Östertälje / Igelsta / Glasberga",             3.2,  -2.8,  9.5,  1.05, 0.90, 0.004),
    ("sodra",        "Södertälje Södra / Bergvik",                   1.0,  -3.8,  3.5,  1.00, 0.85, 0.003),
    ("vikbergen",    "Vikbergsområdet",                             -0.5,  -6.0,  3.0,  1.10, 0.70, 0.004),
    ("pershagen",    "Pershagen",                                    2.0,  -5.5,  4.5,  1.10, 0.85, 0.000),
    ("enhorna",      "Enhörna",                                     -7.0,   8.0,  3.0,  1.05, 0.95, 0.000),
    ("jarna",        "Järna",                                       -4.0, -12.0,  9.0,  1.00, 1.10, 0.002),
    ("molnbo",       "Mölnbo / Vårdinge",                          -11.0, -15.0,  2.5,  0.95, 1.10, -0.002),
    ("holo",         "Hölö / Mörkö",                                -5.5, -19.0,  3.0,  0.95, 1.15, -0.002),
]
DIST_IDS = [d[0] for d in DISTRICTS]
XY = {d[0]: (d[2], d[3]) for d in DISTRICTS}

# ---------------------------------------------------------------------------------------------
# Base population forecast (P: population 31 Dec 2023 102 519; official forecast 2040 112 280).
# The base forecast is read as the population WITHOUT the extra housing plan below.
# Age shares 2026 and their drift to 2040 (falling births; 80+ growing as the 1940s cohorts
# age): illustrative, not published district figures.
# ---------------------------------------------------------------------------------------------
POP_2023, POP_2040 = 102_519, 112_280
G = (POP_2040 / POP_2023) ** (1 / (2040 - 2023)) - 1
BAND_SHARE_2026 = {"1-5": 0.060, "6-12": 0.093, "13-15": 0.040, "80+": 0.046}
BAND_DRIFT_2040 = {"1-5": 0.95, "6-12": 0.95, "13-15": 1.03, "80+": 1.40}


def base_population() -> list[dict]:
    weights = np.array([d[4] for d in DISTRICTS])
    growth = np.array([d[7] for d in DISTRICTS]) + rng.normal(0.0, 0.0008, len(DISTRICTS))
    rows = []
    for y in YEARS:
        total = POP_2023 * (1 + G) ** (y - 2023)
        raw = weights * (1 + G + growth) ** (y - FIRST)
        persons = total * raw / raw.sum()
        k = (y - FIRST) / (LAST - FIRST)
        for (did, _n, _x, _y, _w, young, old, _g), p in zip(DISTRICTS, persons):
            shares = {}
            for b in BANDS:
                drift = 1 + (BAND_DRIFT_2040[b] - 1) * k
                mult = old if b == "80+" else young
                shares[b] = BAND_SHARE_2026[b] * drift * mult
            banded = {b: round(p * shares[b]) for b in BANDS}
            banded["other"] = round(p) - sum(banded.values())
            for b in BANDS + ["other"]:
                rows.append({"district": did, "year": y, "age_band": b, "persons": float(banded[b])})
    return rows


# ---------------------------------------------------------------------------------------------
# Housing plan (P: housing goal 20 000 new homes 2016-2036, about 1 000 a year; growth areas).
# All ~1 000 homes a year 2026-2036 are listed, in the growth districts; persons_per_home are the
# NET residents a new home adds ON TOP of the base forecast (the base forecast already assumes
# part of the building, and moves within the municipality free existing homes), roughly a
# third of a new home's gross occupancy. Illustrative figures.
# ---------------------------------------------------------------------------------------------
HOUSING_TYPES = {
    #              1-5    6-12   13-15  80+    other
    "apartment":  (0.07,  0.07,  0.025, 0.012, 0.50),
    "townhouse":  (0.11,  0.14,  0.050, 0.004, 0.65),
    "detached":   (0.14,  0.20,  0.070, 0.002, 0.80),
}
#                 share of homes, first year, mix (apartment, townhouse, detached)
HOUSING_PLAN = {  # share of all homes, first and last year, mix (apartment, townhouse, detached)
    "ostertalje": (0.24, 2026, 2033, (0.40, 0.35, 0.25)),
    "vikbergen":  (0.15, 2028, 2036, (0.30, 0.35, 0.35)),
    "sodra":      (0.15, 2027, 2035, (0.70, 0.20, 0.10)),
    "centrum":    (0.14, 2026, 2036, (0.90, 0.10, 0.00)),
    "rosenlund":  (0.12, 2026, 2032, (0.85, 0.15, 0.00)),
    "jarna":      (0.12, 2026, 2034, (0.35, 0.30, 0.35)),
    "blombacka":  (0.04, 2026, 2031, (0.60, 0.30, 0.10)),
    "pershagen":  (0.04, 2027, 2032, (0.00, 0.40, 0.60)),
}
HOMES_PER_YEAR, HOUSING_LAST = 1000, 2036


def housing() -> tuple[list[dict], list[dict]]:
    types = [
        {"housing_type": h, "age_band": b, "persons_per_home": v}
        for h, vals in HOUSING_TYPES.items() for b, v in zip(BANDS + ["other"], vals)
    ]
    rows = []
    for did, (share, start, end, mix) in HOUSING_PLAN.items():
        years = [y for y in YEARS if start <= y <= min(end, HOUSING_LAST)]
        # the district's share of ~1 000 homes a year 2026-2036, over its own build-out years
        total = share * HOMES_PER_YEAR * (HOUSING_LAST - FIRST + 1)
        noise = rng.uniform(0.75, 1.25, len(years))
        per_year = total * noise / noise.sum()
        for y, n in zip(years, per_year):
            for h, m in zip(HOUSING_TYPES, mix):
                homes = round(n * m)
                if homes > 0:
                    rows.append({"district": did, "year": y, "housing_type": h, "homes": float(homes)})
    return rows, types


def demand(pop: list[dict], houses: list[dict], types: list[dict]) -> dict:
    """demand[(district, service, year)] in places, as allocopt derives it (models/premises.md)."""
    persons = {}
    for r in pop:
        persons[(r["district"], r["year"], r["age_band"])] = r["persons"]
    pph = {(t["housing_type"], t["age_band"]): t["persons_per_home"] for t in types}
    for h in houses:
        for y in YEARS:
            if y >= h["year"]:
                for b in BANDS + ["other"]:
                    key = (h["district"], y, b)
                    persons[key] = persons.get(key, 0.0) + h["homes"] * pph[(h["housing_type"], b)]
    out = {}
    for d in DIST_IDS:
        for s in RATE:
            for y in YEARS:
                out[(d, s, y)] = RATE[s] * persons.get((d, y, BAND[s]), 0.0)
    return out


# ---------------------------------------------------------------------------------------------
# Existing sites (P: "just over 70" schools and preschools, about 250 000 m2; unit sizes;
# area per place; operating cost est. 300-500 SEK/m2/yr; preschool rent 20 000-40 000 SEK per
# child and year; old premises internal rent 700-800 SEK/m2/yr; elderly lease about 124 000 SEK
# per place and year; elderly homes Björkmossen 54, Oxbackshemmet 48).
# Capacity is sized on the 2026 demand of each district times a supply ratio: below 1 in the
# growth districts and east of the canal (P: preschool shortage east of the canal), above 1
# in older suburbs with falling child numbers.
# ---------------------------------------------------------------------------------------------
RURAL = {"enhorna", "molnbo", "holo"}  # sized to cover their own demand to 2040 (no options)
AREA = {"preschool": 12.0, "school_f6": 12.0, "school_79": 12.0, "elderly": 77.0}  # m2 BTA per place
INTERNAL_RENT_M2 = 750.0  # SEK/m2/yr the services pay the property company for old premises (P: 700-800)
RATIO = {  # nominal capacity 2026 / (demand 2026 / utilisation)
    #               preschool school_f6
    "centrum":      (0.90, 0.97),
    "rosenlund":    (0.95, 0.97),
    "fornhojden":   (1.10, 1.10),
    "hovsjo":       (1.15, 1.12),
    "ronna_geneta": (1.12, 1.08),
    "norr":         (1.25, 0.60),  # Soldalaskolan F-6 (below) serves norr as well
    "blombacka":    (0.90, 1.00),
    "ostertalje":   (0.78, 0.82),
    "sodra":        (0.72, 0.80),
    "vikbergen":    (0.72, 0.78),
    "pershagen":    (0.97, 1.00),
    "enhorna":      (1.05, 1.05),
    "jarna":        (0.97, 1.00),
    "molnbo":       (1.05, 1.10),
    "holo":         (1.05, 1.10),
}
# 7-9 (and F-9) schools by hand: (district, kind, 7-9 places)
SCHOOLS_79 = [
    ("centrum", "79", 450), ("fornhojden", "79", 450), ("ronna_geneta", "79", 450),
    ("blombacka", "79", 450), ("jarna", "79", 450), ("rosenlund", "79", 225),
    ("hovsjo", "F9", 300), ("ostertalje", "F9", 375), ("pershagen", "F9", 225),
    ("enhorna", "F9", 120), ("holo", "F9", 100),
]
# elderly-care homes: (id, name, district, places, tenure)
ELDERLY = [
    ("vob_bjorkmossen", "Björkmossen vård- och omsorgsboende", "norr", 54, "owned"),
    ("vob_oxbacken", "Oxbackshemmet", "centrum", 48, "owned"),
    ("vob_ostertalje", "Vård- och omsorgsboende Östertälje", "ostertalje", 64, "owned"),
    ("vob_jarna", "Vård- och omsorgsboende Järna", "jarna", 72, "owned"),
    ("vob_ronna", "Vård- och omsorgsboende Ronna", "ronna_geneta", 80, "owned"),
    ("vob_fornhojden", "Vård- och omsorgsboende Fornhöjden", "fornhojden", 60, "leased"),
    ("vob_hovsjo", "Vård- och omsorgsboende Hovsjö", "hovsjo", 56, "owned"),
    ("vob_blombacka", "Vård- och omsorgsboende Blombacka", "blombacka", 64, "leased"),
    ("vob_rosenlund", "Vård- och omsorgsboende Rosenlund (1970s)", "rosenlund", 48, "owned"),
    ("vob_pershagen", "Vård- och omsorgsboende Pershagen", "pershagen", 48, "owned"),
]
# sites the model may close from 2028 (old buildings in districts with surplus)
MAY_CLOSE = {"fsk_hovsjo_2", "fsk_ronna_geneta_3", "fsk_norr_3", "fsk_fornhojden_4",
             "sk_ronna_geneta_2", "vob_rosenlund"}
NON_RENEWABLE = {"fsk_centrum_2", "fsk_ronna_geneta_5"}  # leases that end for good
LEASE_END_SHARE = 0.4  # share of the other preschool and school leases that end (renewable) in the horizon


def split(total: float, n: int, lo: float = 0.93, hi: float = 1.07) -> np.ndarray:
    w = rng.uniform(lo, hi, n)
    return total * w / w.sum()


def sites(dem: dict) -> tuple[list[dict], list[dict]]:
    site_rows, caps = [], []

    def add(site: str, name: str, district: str, capacity: dict[str, float], tenure: str = "owned",
            rent_per_place: float = 0.0) -> None:
        places = sum(capacity.values())
        area = sum(AREA[s] * c for s, c in capacity.items())
        old = site in MAY_CLOSE
        opex_rate = rng.uniform(450, 500) if old else rng.uniform(300, 450)  # SEK/m2/yr
        row = {"site": site, "name": name, "district": district, "tenure": tenure,
               "opex": round(area * opex_rate, -3), "rent": 0.0, "lease_end": None,
               "renewable": True, "renewal_rent": None, "may_close": old, "close_from": None,
               "closure_cost": 0.0, "sale_value": 0.0,
               # owned: the property company's, at the internal rent of old premises (P: 700-800 SEK/m2/yr)
               "internal_rent": round(area * INTERNAL_RENT_M2, -3) if tenure == "owned" else None}
        if tenure == "leased":
            row["rent"] = round(places * rent_per_place, -3)
            ends = (rng.random() < LEASE_END_SHARE and not site.startswith("vob_")) or site in NON_RENEWABLE
            end_year = int(rng.integers(2027, 2036))
            renewal = rng.uniform(1.10, 1.25)
            if ends:  # the rest run past the horizon (no lease_end)
                row["lease_end"] = end_year
                row["renewable"] = site not in NON_RENEWABLE
                if row["renewable"]:
                    row["renewal_rent"] = round(row["rent"] * renewal, -3)
        if old:
            row["close_from"] = 2028
            row["closure_cost"] = round(area * 1500, -5)  # est. move-out, decommissioning
            if tenure == "owned":
                row["sale_value"] = round(area * rng.uniform(5000, 8000), -5)  # est. SEK/m2
        site_rows.append(row)
        for s, c in capacity.items():
            caps.append({"site": site, "service": s, "capacity": float(c)})

    # preschools: 4-8 departments of 15-20 children (P: preschool department; 60-160 places)
    def isolated(d: str, service: str) -> bool:  # rural, out of reach of others, no options there
        km = {s["service"]: s["max_km"] for s in SERVICES}[service]
        return d in RURAL and all(math.dist(XY[d], XY[e]) > km for e in DIST_IDS if e != d)

    def target_of(d: str, service: str, ratio: float) -> float:
        if isolated(d, service):  # sized for the larger of 2026 and 2040 demand, 5 % margin
            return max(dem[(d, service, FIRST)], dem[(d, service, LAST)]) / UTIL[service] * 1.05
        return dem[(d, service, FIRST)] / UTIL[service] * ratio

    for d in DIST_IDS:
        target = target_of(d, "preschool", RATIO[d][0])
        n = max(1, round(target / 120), math.ceil(target / 160))
        for i, t in enumerate(split(target, n), start=1):
            depts = int(np.clip(round(t / 18), 4, 8))
            per_dept = t / depts
            cap = int(np.clip(round(per_dept) * depts, 60, 160))
            sid = f"fsk_{d}_{i}"
            leased = sid in NON_RENEWABLE or (i > 1 and rng.random() < 0.3)
            add(sid, f"Förskola {dict((x[0], x[1]) for x in DISTRICTS)[d].split(' /')[0]} {i}", d,
                {"preschool": cap}, "leased" if leased else "owned",
                rent_per_place=rng.uniform(20_000, 40_000))
    # F-6 schools: 2-3 parallels x 7 grades x 25-30 pupils (P: F-6 school 350-630); rural
    # schools smaller. F-9 sites get their F-6 part here too.
    f9 = {d: c for d, k, c in SCHOOLS_79 if k == "F9"}
    for d in DIST_IDS:
        target = target_of(d, "school_f6", RATIO[d][1])
        n = max(1, round(target / 480))
        name = dict((x[0], x[1]) for x in DISTRICTS)[d].split(" /")[0]
        for i, t in enumerate(split(target, n), start=1):
            cap = int(round(t / 7) * 7)
            if i == 1 and d in f9:
                add(f"f9_{d}", f"F-9 skola {name}", d, {"school_f6": cap, "school_79": f9[d]})
            else:
                sid = f"sk_{d}_{i}"
                leased = i > 1 and rng.random() < 0.3
                add(sid, f"F-6 skola {name} {i}", d, {"school_f6": cap}, "leased" if leased else "owned",
                    rent_per_place=AREA["school_f6"] * rng.uniform(700, 800))
    # Soldalaskolan: F-6 part now; the +240 7-9 building is an option (P: school extension)
    add("sk_soldala", "Soldalaskolan (F-6 part; district assumed)", "norr", {"school_f6": 364})
    for d, k, c in SCHOOLS_79:
        if k == "79":
            name = dict((x[0], x[1]) for x in DISTRICTS)[d].split(" /")[0]
            add(f"hs_{d}", f"7-9 skola {name}", d, {"school_79": c})
    for sid, name, d, c, tenure in ELDERLY:
        add(sid, name, d, {"elderly": c}, tenure, rent_per_place=rng.uniform(105_000, 124_000))
    return site_rows, caps


# ---------------------------------------------------------------------------------------------
# Candidate options (P: unit sizes; new preschool 0.4-0.65 MSEK per place; new school
# 0.29-0.67 MSEK per pupil place; new elderly-care home 2.7 MSEK per apartment; pavilions
# 8.4 MSEK set-up and 4 MSEK/yr rent per 200 places, 3-year term plus extensions; external
# elderly lease about 124 000 SEK per place and year; preschool rent 20 000-40 000 SEK per
# child and year; lead times; depreciation 33-50 years; new preschools Igelsta; Lina about 80;
# Soldalaskolan +240 years 7-9).
# Capex is per module, opex and rent per module and year.
# ---------------------------------------------------------------------------------------------
OPEX_M2 = 400.0                          # SEK/m2/yr, mid of the est. 300-500
PAV_CAPEX, PAV_RENT = 8.4e6 / 200, 4.0e6 / 200  # per place: 42 000 SEK set-up, 20 000 SEK/yr
DEPT, CLASS, GROUP = 18, 25, 8           # preschool department; class size; elderly housing group


# The option catalogue: (district, size, MSEK per place, lead time, earliest opening year)
PRESCHOOL_BUILDS = [
    ("ostertalje", 6, 0.55, 3, None), ("vikbergen", 8, 0.50, 3, 2029), ("sodra", 6, 0.55, 3, None),
    ("rosenlund", 4, 0.60, 2, None), ("centrum", 6, 0.65, 3, None), ("jarna", 6, 0.52, 2, None),
]
PRESCHOOL_PAVILIONS = ["ostertalje", "sodra", "vikbergen", "centrum", "jarna"]
PRESCHOOL_LEASES = [("centrum", 54, 35_000, 10), ("rosenlund", 72, 30_000, 15)]  # places, rent/place, term
PRESCHOOL_EXPANSIONS = [("ostertalje", 0, 3), ("ostertalje", 1, 2), ("sodra", 0, 3), ("vikbergen", 0, 2),
                        ("blombacka", 0, 2), ("jarna", 0, 3), ("pershagen", 0, 2), ("rosenlund", 0, 2),
                        ("centrum", 0, 2)]  # district, nth owned preschool, max modules
CONVERSIONS = ["norr"]
F6_BUILDS = [("ostertalje", 2, 0.50, 4, None), ("vikbergen", 2, 0.55, 4, 2031), ("sodra", 2, 0.55, 3, None)]
F6_PAVILIONS = ["ostertalje", "vikbergen", "jarna"]
F6_EXPANSIONS = [("ostertalje", 4), ("sodra", 3), ("jarna", 3), ("rosenlund", 3), ("blombacka", 2),
                 ("pershagen", 2)]  # district, max modules of 2 classrooms
S79_BUILDS = [("ostertalje", 4, 0.60, 4, None), ("vikbergen", 3, 0.62, 4, 2031)]
S79_EXPANSIONS = [("hs_jarna", 2), ("hs_centrum", 2), ("hs_blombacka", 2), ("f9_ostertalje", 2)]
S79_PAVILIONS = ["ostertalje"]
ELDERLY_BUILDS = [("ostertalje", 80, 2.7, 4, None), ("jarna", 60, 2.7, 4, 2032)]
ELDERLY_LEASES = [("centrum", 60, 15)]  # a whole leased home: places, term
ELDERLY_PLACE_LEASES = [("fornhojden", 6, 10)]  # housing groups of 8 leased in a private home: max, term
ELDERLY_EXPANSIONS = [("vob_bjorkmossen", 4), ("vob_jarna", 4), ("vob_ronna", 4), ("vob_hovsjo", 3),
                      ("vob_ostertalje", 3)]  # site, max housing groups of 8 apartments
COST_SPREAD = 0.12  # +-12 % site-to-site variation of capex and rent (illustrative)
FIXED_PRICE = {"fsk_igelsta_a", "fsk_igelsta_b", "vob_lina", "hs_exp_soldala", "conv_igelsta_a", "conv_igelsta_b"}
PAV_MODULES = 10  # most pavilion modules (one department or classroom each) per district, over the horizon
PAV_TERM = 3  # years (P: pavilions, 3-year term)
EXP_MSEK = {"preschool": 0.45, "school_f6": 0.40, "school_79": 0.45, "elderly": 2.6}  # extensions, per place


def options(site_rows: list[dict], caps: list[dict]) -> list[dict]:
    rows: list[dict] = []
    cap_of = {(c["site"], c["service"]): c["capacity"] for c in caps}

    def opt(option, name, kind, service, capacity, capex, *, district=None, site=None,
            from_service=None, capacity_from=None, max_modules=1, opex=None, rent=0.0,
            earliest_year=None, lead_time=0, lifetime=None, term=None, extensions=False):
        if opex is None:
            opex = 0.0 if kind == "conversion" else capacity * AREA[service] * OPEX_M2
        if kind in ("build", "expansion", "conversion") and lifetime is None:
            lifetime = 50
        if option not in FIXED_PRICE:  # site conditions (ground, access, design) move the price
            factor = rng.uniform(1 - COST_SPREAD, 1 + COST_SPREAD)
            capex, rent = capex * factor, rent * factor
        rows.append({
            "option": option, "name": name, "kind": kind, "district": district, "site": site,
            "service": service, "from_service": from_service, "capacity": float(capacity),
            "capacity_from": None if capacity_from is None else float(capacity_from),
            "max_modules": max_modules, "capex": round(capex, -4), "opex": round(opex, -3),
            "rent": round(rent, -3), "earliest_year": earliest_year, "lead_time": lead_time,
            "lifetime": lifetime, "term": term,
            "extension_rent": round(rent, -3) if extensions else None,
        })

    place = {d[0]: d[1].split(" /")[0] for d in DISTRICTS}        # district display name
    site_name = {x["site"]: x["name"] for x in site_rows}

    def first_owned(district: str, service: str, nth: int = 0) -> str:
        owned = [s["site"] for s in site_rows if s["district"] == district and s["tenure"] == "owned"
                 and (s["site"], service) in cap_of and not s["may_close"]]
        return owned[nth] if nth < len(owned) else None

    # --- preschool ------------------------------------------------------------------------
    for tag in ("a", "b"):  # under construction Feb 2026 -> Feb 2027; rest of capex in 2026
        opt(f"fsk_igelsta_{tag}", f"Igelsta förskola {tag.upper()} (4 avd, under construction)", "build",
            "preschool", 4 * DEPT, 4 * DEPT * 0.55e6, district="ostertalje", earliest_year=2027, lead_time=1)
    for tag in ("a", "b"):  # P: the Igelsta preschools are built to convert to school later
        opt(f"conv_igelsta_{tag}", f"Igelsta förskola {tag.upper()} converted to F-6 (1 department -> 1 classroom)",
            "conversion", "school_f6", CLASS, 216 * 10_000, site=f"fsk_igelsta_{tag}", from_service="preschool",
            capacity_from=DEPT, max_modules=4, lead_time=1, earliest_year=2030)
    for d, depts, msek, lead, earliest in PRESCHOOL_BUILDS:
        opt(f"fsk_new_{d}_{depts}avd", f"New preschool {place[d]} ({depts} departments)", "build", "preschool",
            depts * DEPT, depts * DEPT * msek * 1e6, district=d, lead_time=lead, earliest_year=earliest)
    for d in PRESCHOOL_PAVILIONS:
        opt(f"fsk_pav_{d}", f"Preschool pavilion {place[d]} (1 department per module, {PAV_TERM} years)",
            "pavilion", "preschool", DEPT, DEPT * PAV_CAPEX, district=d, rent=DEPT * PAV_RENT,
            max_modules=PAV_MODULES, lead_time=0, term=PAV_TERM, extensions=True)
    for d, places, rent, term in PRESCHOOL_LEASES:
        opt(f"fsk_lease_{d}", f"Leased preschool {place[d]} (existing building, {term} years)", "lease",
            "preschool", places, places * 20_000, district=d, rent=places * rent, lead_time=1, term=term)
    for d, nth, n in PRESCHOOL_EXPANSIONS:
        site = first_owned(d, "preschool", nth)
        if site is None:
            continue
        opt(f"fsk_exp_{site}", f"Extension of {site_name[site]} (+1 department of 18)", "expansion", "preschool",
            DEPT, DEPT * EXP_MSEK["preschool"] * 1e6, site=site, max_modules=n, lead_time=2)
    for d in CONVERSIONS:  # one department (18 children) -> one classroom (25 pupils)
        site = first_owned(d, "preschool")
        opt(f"conv_{site}", f"Conversion of {site_name[site]} to F-6 (1 department -> 1 classroom)", "conversion",
            "school_f6", CLASS, 216 * 10_000, site=site, from_service="preschool", capacity_from=DEPT,
            max_modules=4, lead_time=1)

    # --- school F-6 -----------------------------------------------------------------------
    for d, par, msek, lead, earliest in F6_BUILDS:
        places = par * 7 * CLASS
        opt(f"sk_new_{d}_{par}par", f"New F-6 school {place[d]} ({par}-parallel)", "build", "school_f6", places,
            places * msek * 1e6, district=d, lead_time=lead, earliest_year=earliest)
    for d in F6_PAVILIONS:
        opt(f"sk_pav_{d}", f"F-6 pavilion {place[d]} (1 classroom per module, {PAV_TERM} years)",
            "pavilion", "school_f6", CLASS, CLASS * PAV_CAPEX, district=d, rent=CLASS * PAV_RENT,
            max_modules=PAV_MODULES, lead_time=0, term=PAV_TERM, extensions=True)
    for d, n in F6_EXPANSIONS:
        site = first_owned(d, "school_f6")
        opt(f"sk_exp_{site}", f"Extension of {site_name[site]} (+2 F-6 classrooms)", "expansion",
            "school_f6", 2 * CLASS, 2 * CLASS * EXP_MSEK["school_f6"] * 1e6, site=site, max_modules=n,
            lead_time=2)
    opt("sk_lease_centrum", "Leased F-6 premises Centrum (converted offices, 10 years)", "lease",
        "school_f6", 150, 150 * 30_000, district="centrum", rent=150 * 12 * 1000, lead_time=1, term=10)

    # --- school 7-9 -----------------------------------------------------------------------
    opt("hs_exp_soldala", "Soldalaskolan 7-9 building (+240)", "expansion", "school_79", 240,
        240 * 0.45e6, site="sk_soldala", lead_time=3)
    for d, par, msek, lead, earliest in S79_BUILDS:
        places = par * 3 * CLASS
        opt(f"hs_new_{d}_{par}par", f"New 7-9 school {place[d]} ({par}-parallel)", "build", "school_79",
            places, places * msek * 1e6, district=d, lead_time=lead, earliest_year=earliest)
    for site, n in S79_EXPANSIONS:
        opt(f"hs_exp_{site}", f"Extension of {site_name[site]} (+1 parallel 7-9)", "expansion", "school_79",
            3 * CLASS, 3 * CLASS * EXP_MSEK["school_79"] * 1e6, site=site, max_modules=n, lead_time=3)
    for d in S79_PAVILIONS:
        opt(f"hs_pav_{d}", f"7-9 pavilion {place[d]} (1 classroom per module, {PAV_TERM} years)",
            "pavilion", "school_79", CLASS, CLASS * PAV_CAPEX, district=d, rent=CLASS * PAV_RENT,
            max_modules=PAV_MODULES, lead_time=0, term=PAV_TERM, extensions=True)

    # --- elderly care ---------------------------------------------------------------------
    opt("vob_lina", "Lina vård- och omsorgsboende (80, decided 2024)", "build", "elderly", 80,
        80 * 2.7e6, district="norr", lead_time=2, earliest_year=2028)
    for d, places, msek, lead, earliest in ELDERLY_BUILDS:
        opt(f"vob_new_{d}_{places}", f"New elderly-care home {place[d]} ({places})", "build", "elderly", places,
            places * msek * 1e6, district=d, lead_time=lead, earliest_year=earliest)
    for d, places, term in ELDERLY_LEASES:
        opt(f"vob_lease_{d}", f"Leased elderly-care home {place[d]} ({places}, {term} years)", "lease", "elderly",
            places, places * 30_000, district=d, rent=places * 124_000, lead_time=1, term=term)
    for d, n, term in ELDERLY_PLACE_LEASES:
        opt(f"vob_places_{d}", f"Leased places, private elderly-care home {place[d]} (groups of 8, {term} years)",
            "lease", "elderly", GROUP, GROUP * 30_000, district=d, rent=GROUP * 124_000, max_modules=n,
            lead_time=1, term=term)
    for site, n in ELDERLY_EXPANSIONS:
        opt(f"vob_exp_{site}", f"Extension of {site_name[site]} (+1 housing group of {GROUP})", "expansion",
            "elderly", GROUP, GROUP * EXP_MSEK["elderly"] * 1e6, site=site, max_modules=n, lead_time=3)
    return rows


# ---------------------------------------------------------------------------------------------
# Economic frame and locks
# ---------------------------------------------------------------------------------------------
# Investment frame for school, preschool and elderly-care premises: 320 MSEK a year, but only
# 200 MSEK in 2026, a year already largely committed to the Igelsta preschools and Lina. Tuned
# so that the frame binds in 2026 and shifts the plan (README); illustrative, not a budget figure.
CAPEX_CAP = {y: (240 if y == 2026 else 320) * MSEK for y in YEARS}
LOCKS = [  # decided projects (P: new preschools Igelsta, Feb 2026 -> Feb 2027)
    {"target": "option", "id": "fsk_igelsta_a", "rule": "force", "year": 2027},
    {"target": "option", "id": "fsk_igelsta_b", "rule": "force", "year": 2027},
    {"target": "option", "id": "vob_lina", "rule": "force", "year": 2028},  # decided 2024
]


# ---------------------------------------------------------------------------------------------
# Forecast variants for `allocopt robust` (P: official forecast 2040, 2024 vintage, 112 280;
# earlier forecast 2035, 2021 vintage, 122 740: "forecasts were cut sharply"; housing goal about
# 1 000 homes a year, actual completions 2016-18: 331, 219, 745).
# - base: the 2024 vintage with the housing plan, as the tables above.
# - vintage_2021: children as the 2021 vintage expected them. From the 2023 population the 2021
#   vintage implies +1.5 %/yr to 2035 against the 2024 vintage's +0.54 %/yr, so demand for preschool
#   and school grows by the ratio (1.0151 / 1.0054) a year from 2026. Elderly care is left at the base:
#   the 80+ of 2040 are alive today; the vintages differ in births and moves.
# - late_housing: the housing plan slips 3 years (2016-18 delivered 432 homes a year on average
#   against the goal of 1 000).
# ---------------------------------------------------------------------------------------------
VINTAGE_2021_GROWTH = (122_740 / POP_2023) ** (1 / (2035 - 2023)) / (1 + G)
CHILD_SERVICES = ("preschool", "school_f6", "school_79")
FORECASTS = {"base": 0.5, "vintage_2021": 0.2, "late_housing": 0.3}
HOUSING_DELAY = 3


def forecasts() -> list[dict]:
    rows = [{"forecast": "base", "probability": FORECASTS["base"]}]
    rows += [
        {"forecast": "vintage_2021", "probability": FORECASTS["vintage_2021"], "service": s, "year": y,
         "demand_scale": round(VINTAGE_2021_GROWTH ** (y - FIRST), 4)}
        for s in CHILD_SERVICES for y in YEARS if y > FIRST
    ]
    rows.append({"forecast": "late_housing", "probability": FORECASTS["late_housing"],
                 "housing_delay": HOUSING_DELAY})
    return rows


# ---------------------------------------------------------------------------------------------
# An example adopted plan (examples/adopted_plan.csv, not part of the scenario: README.md, "The
# adopted plan"): the projects the scenario commits to (the Igelsta pair and Lina, forced by locks)
# and the Soldalaskolan 7-9 building (P: school extension, Soldalaskolan +240 years 7-9), as if a
# board had adopted it for 2029.
# ---------------------------------------------------------------------------------------------
ADOPTED_EXAMPLE = [
    {"year": 2027, "action": "build", "option": "fsk_igelsta_a", "modules": 1},
    {"year": 2027, "action": "build", "option": "fsk_igelsta_b", "modules": 1},
    {"year": 2028, "action": "build", "option": "vob_lina", "modules": 1},
    {"year": 2029, "action": "expansion", "option": "hs_exp_soldala", "modules": 1},
]


def budget() -> list[dict]:
    return [{"year": y, "investment_cap": CAPEX_CAP[y]} for y in YEARS]


# ---------------------------------------------------------------------------------------------
# Writing and checking
# ---------------------------------------------------------------------------------------------
def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(round(value, 6))
    return str(value)


def _clean(value):
    """Plain Python values for YAML (no numpy scalars, whole floats as ints)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_csv(name: str, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        unknown = set(r) - set(columns)
        assert not unknown, (name, unknown)
        w.writerow([_cell(r.get(c)) for c in columns])
    (HERE / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")


def build() -> dict[str, list[dict]]:
    pop = base_population()
    houses, types = housing()
    dem = demand(pop, houses, types)
    site_rows, caps = sites(dem)
    return {
        "districts": [{"district": d[0], "name": d[1], "x_km": d[2], "y_km": d[3]} for d in DISTRICTS],
        "services": SERVICES, "coverage": COVERAGE, "population": pop, "housing": houses,
        "housing_types": types, "sites": site_rows, "site_capacities": caps,
        "options": options(site_rows, caps), "budget": budget(), "locks": LOCKS,
        "forecasts": forecasts(),
    }


INLINE = ("services", "coverage")


def write(tables: dict[str, list[dict]]) -> None:
    from allocopt.scenario import TABLES

    settings = {"settings": SETTINGS, **{t: tables[t] for t in INLINE}}
    text = ("# ILLUSTRATIVE Södertälje scenario - generated by make_scenario.py; edit that, not this.\n"
            + yaml.safe_dump(_clean_all(settings), sort_keys=False, allow_unicode=True, width=100))
    (HERE / "scenario.yaml").write_text(text, encoding="utf-8")
    for name, rows in tables.items():
        if name not in INLINE:
            write_csv(name, list(TABLES[name].model_fields), rows)
    (HERE / "examples").mkdir(exist_ok=True)
    write_csv("examples/adopted_plan", ["year", "action", "option", "site", "modules"], ADOPTED_EXAMPLE)


def _clean_all(doc):
    if isinstance(doc, list):
        return [_clean_all(x) for x in doc]
    if isinstance(doc, dict):
        return {k: _clean_all(v) for k, v in doc.items()}
    return _clean(doc)


def self_check(tables: dict[str, list[dict]]) -> None:
    """Every row through its row model, the Scenario's cross checks, then the real loader."""
    from allocopt.scenario import TABLES, Scenario, Settings
    from allocopt.validate import cross_check

    scenario = Scenario(settings=Settings(**SETTINGS),
                        **{n: [TABLES[n](**r) for r in rows] for n, rows in tables.items()})
    warnings = [p for p in cross_check(scenario)]
    for p in warnings:
        print("  ", p)
    try:
        from allocopt.load import load_scenario
    except ImportError:
        print("allocopt.load not available yet: validated the row models and Scenario only")
        return
    loaded = load_scenario(HERE)
    assert loaded == scenario, "the files do not load back to the generated scenario"
    print(f"loaded back: {len(loaded.districts)} districts, {len(loaded.sites)} sites, "
          f"{len(loaded.options)} options")


def summary(tables: dict[str, list[dict]]) -> None:
    dem = demand(tables["population"], tables["housing"], tables["housing_types"])
    where = {s["site"]: s["district"] for s in tables["sites"]}
    cap: dict = {}
    for c in tables["site_capacities"]:
        key = (where[c["site"]], c["service"])
        cap[key] = cap.get(key, 0.0) + c["capacity"]
    tot = {y: sum(r["persons"] for r in tables["population"] if r["year"] == y) for y in (FIRST, LAST)}
    extra = sum(h["homes"] * t["persons_per_home"] for h in tables["housing"] for t in tables["housing_types"]
                if t["housing_type"] == h["housing_type"])
    print(f"residents base {tot[FIRST]:.0f} -> {tot[LAST]:.0f}; housing plan "
          f"{sum(h['homes'] for h in tables['housing']):.0f} homes, +{extra:.0f} residents")
    print(f"{'district':14s}" + "".join(f"{s:>24s}" for s in RATE))
    for d in DIST_IDS + ["TOTAL"]:
        cells = []
        for s in RATE:
            ds = DIST_IDS if d == "TOTAL" else [d]
            d0 = sum(dem[(x, s, FIRST)] for x in ds) / UTIL[s]
            d1 = sum(dem[(x, s, LAST)] for x in ds) / UTIL[s]
            c = sum(cap.get((x, s), 0.0) for x in ds)
            cells.append(f"{c:6.0f} {d0:6.0f}->{d1:6.0f} {c / max(d0, 1):4.2f}")
        print(f"{d:14s}" + "".join(f"{x:>24s}" for x in cells))
    print(f"sites {len(tables['sites'])}, options {len(tables['options'])}: "
          + ", ".join(f"{k} {sum(1 for o in tables['options'] if o['kind'] == k)}"
                      for k in ("build", "lease", "pavilion", "expansion", "conversion")))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1] / "src"))
    tables = build()
    write(tables)
    if "--summary" in sys.argv:
        summary(tables)
    self_check(tables)
    print("rows:", {n: len(r) for n, r in tables.items()})
