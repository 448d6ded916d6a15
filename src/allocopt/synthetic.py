"""Made-up scenarios for benchmarks and tests: seeded synthetic municipalities, and budget
variants of a given scenario.

    from allocopt.synthetic import generate, write
    scenario = generate("M", seed=1)          # an allocopt.Scenario, built from the row models
    write("M", "instances/M_seed1", seed=1)   # the same, as a scenario folder

(``python benchmarks/generate.py SIZE OUT_DIR [--seed N]`` on the command line.)

| size | districts | services | years | sites + options (about) | residents |
|---|---|---|---|---|---|
| S  | 15  | 4 | 15 | 130  | 100 000 (Södertälje scale) |
| M  | 40  | 4 | 15 | 270  | 180 000 |
| L  | 120 | 5 | 25 | 900  | 430 000 (city scale) |
| XL | 300 | 6 | 25 | 2500 | 1 150 000 |

What a municipality holds (every random draw from one ``numpy`` generator seeded by ``seed``,
in a fixed order, so the same size and seed give byte-identical files):

- districts on a jittered grid around a centre (spacing ``spacing_km``) plus outlying villages;
- an age-structured population forecast (bands 1-5, 6-12, 13-15, 80+) with district trends, the
  young bands slowly falling and 80+ growing, as in Swedish forecasts;
- a housing plan of about one new home per 100 residents a year, concentrated in a few growth
  districts (``housing`` + ``housing_types``, net residents per new home as in the Södertälje
  scenario);
- existing sites sized on each district's first-year demand times a supply ratio (below 1 in
  growth districts, above 1 where the young bands shrink), so demand and capacity start roughly
  matched; owned and leased, some leases ending inside the horizon (most renewable at a higher
  rent, some for good), some old sites that may close (closure cost, sale value if owned);
  school-age after-school care (fritids) shares school sites, some 7-9 schools are F-9 schools;
- candidate options of every kind: builds (some in two stages, some not before a detailed plan
  is ready), leases, pavilions, expansions and conversions (preschool <-> school F-6);
- a capex frame (``budget.capex_cap``) sized on the capex the growth calls for, tighter in the
  first two years, so that it binds in some years; the unmet penalty is a number (the safety valve).

Figures follow the municipal planning parameters (capacities, capex, rents, lead times,
utilisation, coverage) quoted at each service below; the fifth and sixth services (fritids, LSS
group homes) have no published figures and use estimates marked "est.".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from allocopt.scenario import (
    Budget,
    Coverage,
    Demand,
    District,
    Housing,
    HousingType,
    Lock,
    Option,
    Population,
    Scenario,
    Service,
    Settings,
    Site,
    SiteCapacity,
)

__all__ = ["SIZES", "capex_variant", "describe", "generate", "write"]

FIRST_YEAR = 2026
MSEK = 1e6
BANDS = ("1-5", "6-12", "13-15", "80+")


@dataclass(frozen=True)
class SizeSpec:
    districts: int
    services: int
    years: int
    residents: int
    spacing_km: float  # distance between neighbouring urban districts
    village_share: float  # share of districts that are outlying villages
    option_rate: float  # scales how many options an ordinary district offers
    growth_share: float  # share of districts in the housing plan


SIZES: dict[str, SizeSpec] = {
    "S": SizeSpec(15, 4, 15, 100_000, 2.0, 0.30, 0.6, 0.15),
    "M": SizeSpec(40, 4, 15, 180_000, 1.8, 0.25, 0.9, 0.15),
    "L": SizeSpec(120, 5, 25, 430_000, 1.4, 0.15, 0.35, 0.10),
    "XL": SizeSpec(300, 6, 25, 1_150_000, 1.2, 0.10, 0.35, 0.08),
}


@dataclass(frozen=True)
class ServiceSpec:
    """One service's figures (P: the planning parameters; est.: an estimate)."""

    service: str
    name: str
    band: str | None  # age band of the coverage rate; None: demand given directly
    rate: float  # places per person of the band (direct: per resident)
    utilisation: float
    reach: float  # max_km in urban district spacings
    unit: float  # typical existing site, places
    module: float  # department / class / unit, places (capacities are multiples)
    area: float  # m2 BTA per place
    capex: tuple[float, float]  # SEK per place of a new building
    lead: tuple[int, int]  # lead time of a new building, years
    rent: tuple[float, float]  # SEK per place and year, leased premises
    leased_share: float
    penalty: float  # SEK per unmet place and year
    travel_cost: float  # SEK per place, km and year
    builds: tuple[float, ...]  # sizes of new buildings, places
    expansion: float  # places per expansion module (0: none)
    pavilion: float  # places per pavilion module (0: none)
    prefix: str


SERVICES: tuple[ServiceSpec, ...] = (
    # P: preschool 87 % of 1-5; departments of 15-20, 4-8 departments (70-160 children); 10-15 m2
    # per child; 0.40-0.65 MSEK per place; rent 20 000-40 000 SEK per child; lead 2-3 years.
    ServiceSpec(
        "preschool",
        "Preschool (1-5)",
        "1-5",
        0.87,
        0.95,
        1.8,
        110,
        18,
        12.0,
        (0.40e6, 0.65e6),
        (2, 3),
        (20_000, 40_000),
        0.30,
        1.0 * MSEK,
        1000.0,
        (72, 108, 144),
        18,
        36,
        "fsk",
    ),
    # P: 73 % of 6-12 in municipal premises; F-6 350-630 pupils; 0.29-0.67 MSEK per place; old
    # premises internal rent 700-800 SEK/m2 (x 12 m2); lead 3-4 years.
    ServiceSpec(
        "school_f6",
        "School F-6 (6-12)",
        "6-12",
        0.73,
        0.92,
        2.3,
        450,
        25,
        12.0,
        (0.35e6, 0.60e6),
        (3, 4),
        (8_400, 9_600),
        0.15,
        2.0 * MSEK,
        500.0,
        (350, 525),
        175,
        50,
        "sk",
    ),
    # P: 7-9 225-450 pupils (3-5 parallels x 3 grades x 25-30).
    ServiceSpec(
        "school_79",
        "School 7-9 (13-15)",
        "13-15",
        0.73,
        0.92,
        3.5,
        330,
        25,
        12.0,
        (0.45e6, 0.65e6),
        (3, 4),
        (8_400, 9_600),
        0.10,
        2.0 * MSEK,
        300.0,
        (225, 300, 375),
        75,
        50,
        "hs",
    ),
    # P: 10-14 % of 80+; homes of 50-80 apartments, 77 m2 each; 2.7 MSEK per apartment; external
    # lease about 124 000 SEK per place and year; lead 3-5 years; utilisation 95-98 %.
    ServiceSpec(
        "elderly",
        "Elderly-care home (80+)",
        "80+",
        0.12,
        0.97,
        6.0,
        64,
        8,
        77.0,
        (2.45e6, 2.95e6),
        (3, 5),
        (105_000, 124_000),
        0.30,
        3.0 * MSEK,
        500.0,
        (60, 80),
        16,
        0,
        "vob",
    ),
    # est.: after-school care (fritidshem) for about 45 % of 6-12, mostly in school premises.
    ServiceSpec(
        "fritids",
        "After-school care (6-12)",
        "6-12",
        0.45,
        0.95,
        1.8,
        120,
        30,
        6.0,
        (0.15e6, 0.25e6),
        (1, 2),
        (4_000, 6_000),
        0.15,
        0.5 * MSEK,
        1000.0,
        (60, 90, 120),
        30,
        60,
        "fri",
    ),
    # est.: LSS group homes, about 0.6 apartments per 1 000 residents, 6 apartments a home.
    ServiceSpec(
        "lss",
        "LSS group home (direct demand)",
        None,
        0.0006,
        1.0,
        8.0,
        6,
        6,
        70.0,
        (3.0e6, 3.6e6),
        (2, 3),
        (120_000, 150_000),
        0.50,
        3.0 * MSEK,
        500.0,
        (6,),
        0,
        0,
        "lss",
    ),
)

# P: 2026 shares of the bands and their drift (falling births; 80+ growing as the 1940s cohorts age)
BAND_SHARE = {"1-5": 0.060, "6-12": 0.093, "13-15": 0.040, "80+": 0.046}
BAND_DRIFT = {"1-5": -0.003, "6-12": -0.003, "13-15": 0.002, "80+": 0.024}  # per year
# Net residents per new home on top of the base forecast (as scenarios/sodertalje)
HOUSING_TYPES = {
    "apartment": (0.07, 0.07, 0.025, 0.012),
    "townhouse": (0.11, 0.14, 0.050, 0.004),
    "detached": (0.14, 0.20, 0.070, 0.002),
}
HOMES_PER_RESIDENT = 0.01  # P: about 1 000 homes a year for 100 000 residents
PAVILION_SETUP, PAVILION_RENT = 8.4e6 / 200, 4.0e6 / 200  # P: per place; term 3 years + extensions
OPEX_M2 = (300.0, 500.0)  # est.: SEK per m2 and year
CAPEX_FRAME = 0.75  # capex cap per year as a share of the growth capex spread over 40 % of the years
# (calibrated by hand so that the frame binds in a few years of the best plans found for S and M)
OPTION_TAGS = {"build": "new", "lease": "lease", "pavilion": "pav", "expansion": "exp", "conversion": "conv"}


def _r(x: float, digits: int = 0) -> float:
    """Round to ``digits`` (negative: tens, hundreds ...) and return a plain float."""
    return float(round(float(x), digits))


# ---------------------------------------------------------------------- geography and people


@dataclass
class Municipality:
    """The drawn districts, residents and housing plan, and the demand they make (district index,
    year) → places per service; what the sites, options and frame are sized on."""

    spec: SizeSpec
    years: list[int]
    services: tuple[ServiceSpec, ...]
    ids: list[str]
    xy: np.ndarray
    village: np.ndarray
    km: np.ndarray  # district × district, km
    residents: dict[tuple[int, int], float]
    persons: dict[tuple[int, int, str], float]  # (district, year, band)
    growth: list[int]  # districts of the housing plan
    young_trend: dict[int, float]  # 1-5 persons, last year / first year
    homes: dict[tuple[int, int, str], float]  # (district, year, housing type)
    demand: dict[str, dict[tuple[int, int], float]]

    @property
    def n(self) -> int:
        return self.spec.districts


def draw_districts(spec: SizeSpec, rng: np.random.Generator) -> tuple[list[str], np.ndarray, np.ndarray]:
    """District ids, coordinates (km) and which are villages: hexagonal grid points nearest the
    centre, jittered, then villages on a ring outside them."""
    n, sp = spec.districts, spec.spacing_km
    n_village = max(2, round(n * spec.village_share))
    n_urban = n - n_village
    k = math.ceil(math.sqrt(n_urban)) + 3
    grid = [((i + 0.5 * (j % 2)) * sp, j * sp * math.sqrt(3) / 2) for i in range(-k, k + 1) for j in range(-k, k + 1)]
    grid.sort(key=lambda p: (round(math.hypot(*p), 6), p))
    xy = [(x + rng.uniform(-0.2, 0.2) * sp, y + rng.uniform(-0.2, 0.2) * sp) for x, y in grid[:n_urban]]
    radius = max(math.hypot(*p) for p in xy)
    for _ in range(n_village):
        angle, dist = rng.uniform(0, 2 * math.pi), radius + rng.uniform(3.0, 15.0)
        xy.append((dist * math.cos(angle), dist * math.sin(angle)))
    ids = [f"d{i + 1:03d}" for i in range(n)]
    return ids, np.array(xy), np.array([i >= n_urban for i in range(n)])


def draw_population(spec: SizeSpec, years: list[int], village: np.ndarray, rng: np.random.Generator):
    """(residents[i, y], persons[i, y, band], growth districts, young trend[i])."""
    n = spec.districts
    weight = rng.lognormal(0.0, 0.35, n) * np.where(village, 0.45, 1.0)
    base = spec.residents * weight / weight.sum()
    trend = rng.normal(0.004, 0.004, n)
    young, old = rng.uniform(0.80, 1.25, n), rng.uniform(0.60, 1.40, n)
    n_growth = max(2, round(spec.growth_share * n))
    urban = [i for i in range(n) if not village[i]]
    growth = sorted(int(i) for i in rng.choice(urban, size=n_growth, replace=False))
    persons: dict[tuple[int, int, str], float] = {}
    residents: dict[tuple[int, int], float] = {}
    for i in range(n):
        for t, y in enumerate(years):
            total = base[i] * (1 + trend[i]) ** t
            residents[i, y] = total
            for b in BANDS:
                share = BAND_SHARE[b] * (old[i] if b == "80+" else young[i]) * (1 + BAND_DRIFT[b]) ** t
                persons[i, y, b] = float(round(total * share))
    young_trend = {i: persons[i, years[-1], "1-5"] / max(persons[i, years[0], "1-5"], 1.0) for i in range(n)}
    return residents, persons, growth, young_trend


def draw_housing(spec: SizeSpec, years: list[int], growth: list[int], rng: np.random.Generator):
    """homes[i, y, housing type]: the housing plan, spread over the growth districts."""
    share = rng.dirichlet(np.ones(len(growth)) * 2.0)
    plan_years = max(8, round(0.75 * len(years)))
    total = HOMES_PER_RESIDENT * spec.residents * plan_years
    homes: dict[tuple[int, int, str], float] = {}
    for g, sh in zip(growth, share, strict=True):
        start = years[0] + int(rng.integers(0, 4))
        span = [y for y in years if start <= y < years[0] + plan_years]
        noise = rng.uniform(0.75, 1.25, len(span))
        mix = rng.dirichlet([3.0, 2.0, 1.5])
        for y, v in zip(span, total * sh * noise / noise.sum(), strict=True):
            for h, m in zip(HOUSING_TYPES, mix, strict=True):
                homes_y = round(v * m)
                if homes_y > 0:
                    homes[g, y, h] = float(homes_y)
    return homes


def service_demand(s: ServiceSpec, n: int, years: list[int], residents, persons, homes) -> dict:
    """demand[(district index, year)] of service ``s`` in places, as allocopt derives it."""
    out = {}
    b = BANDS.index(s.band) if s.band is not None else None
    for i in range(n):
        extra = 0.0
        for y in years:
            if b is None:
                out[i, y] = s.rate * residents[i, y]
                continue
            extra += sum(homes.get((i, y, h), 0.0) * pph[b] for h, pph in HOUSING_TYPES.items())
            out[i, y] = s.rate * (persons[i, y, s.band] + extra)
    return out


def draw_municipality(size: str, rng: np.random.Generator) -> Municipality:
    spec = SIZES[size]
    years = list(range(FIRST_YEAR, FIRST_YEAR + spec.years))
    services = SERVICES[: spec.services]
    ids, xy, village = draw_districts(spec, rng)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    residents, persons, growth, young_trend = draw_population(spec, years, village, rng)
    homes = draw_housing(spec, years, growth, rng)
    demand = {s.service: service_demand(s, spec.districts, years, residents, persons, homes) for s in services}
    return Municipality(
        spec, years, services, ids, xy, village, km, residents, persons, growth, young_trend, homes, demand
    )


# ---------------------------------------------------------------------- existing sites


class ExistingSites:
    """The existing sites of every service, sized on the districts' first-year demand."""

    def __init__(self, town: Municipality, rng: np.random.Generator):
        self.town, self.rng = town, rng
        self.rows: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.caps: list[list] = []  # [site, service, places]
        self.at: dict[tuple[int, str], list[str]] = {}  # (district, service) → sites
        self.local_cap: dict[tuple[int, str], float] = {}  # capacity sized on district i's demand
        for s in town.services:
            self._sites_of(s)

    def _sites_of(self, s: ServiceSpec) -> None:
        """Host districts (the largest, and any without a host within reach) take their
        neighbours' capacity, split into sites of about ``s.unit`` places."""
        town, rng, y0 = self.town, self.rng, self.town.years[0]
        n = town.n
        max_km = s.reach * town.spec.spacing_km
        need = np.array([town.demand[s.service][i, y0] / s.utilisation for i in range(n)])
        ratio = rng.uniform(0.92, 1.10, n)
        ratio *= np.array(
            [0.90 if i in town.growth else (1.06 if town.young_trend[i] < 0.97 else 1.0) for i in range(n)]
        )
        target = need * ratio
        hosts: list[int] = []
        host_of = {}
        for i in sorted(range(n), key=lambda i: (-target[i], i)):
            near = [h for h in hosts if town.km[i, h] <= max_km]
            if target[i] >= 0.6 * s.unit or not near:
                hosts.append(i)
                host_of[i] = i
            else:
                host_of[i] = min(near, key=lambda h: (town.km[i, h], h))
        for i in range(n):
            self.local_cap[i, s.service] = target[i]
        for h in sorted(hosts):
            load = sum(target[i] for i in range(n) if host_of[i] == h)
            count = max(1, round(load / s.unit))
            w = rng.uniform(0.93, 1.07, count)
            for j, places in enumerate(load * w / w.sum(), start=1):
                places = max(s.module, s.module * round(places / s.module))
                self._add_site(s, h, j, places)

    def _add_site(self, s: ServiceSpec, i: int, j: int, places: float) -> None:
        """A site of ``places`` for ``s`` in district ``i``: in a school of the district where
        fritids and 7-9 may share one, else a new row."""
        rng = self.rng
        host_service = {"fritids": "school_f6", "school_79": "school_f6"}.get(s.service)
        share_site = {"fritids": 0.8, "school_79": 0.35}.get(s.service, 0.0)
        free = [x for x in self.at.get((i, host_service), []) if x not in self.at.get((i, s.service), [])]
        if free and rng.random() < share_site:
            site = free[0]
            row = self.by_id[site]
            row["opex"] = _r(row["opex"] + places * s.area * rng.uniform(*OPEX_M2), -3)
        else:
            row = self._site_row(s, i, j, places)
            site = row["site"]
            self.rows.append(row)
            self.by_id[site] = row
        self.caps.append([site, s.service, float(places)])
        self.at.setdefault((i, s.service), []).append(site)

    def _site_row(self, s: ServiceSpec, i: int, j: int, places: float) -> dict:
        """A new site's row: tenure, opex, a lease that may end, an old site that may close."""
        rng, y0, last = self.rng, self.town.years[0], self.town.years[-1]
        d = self.town.ids[i]
        area = places * s.area
        old = rng.random() < (0.25 if self.town.young_trend[i] < 0.97 and s.band in ("1-5", "6-12") else 0.10)
        leased = rng.random() < s.leased_share
        row = dict(
            site=f"{s.prefix}_{d}_{j}",
            name=f"{s.name} {d} {j}",
            district=d,
            tenure="leased" if leased else "owned",
            opex=_r(area * (rng.uniform(450, 500) if old else rng.uniform(*OPEX_M2)), -3),
            rent=0.0,
            lease_end=None,
            renewable=True,
            renewal_rent=None,
            may_close=False,
            close_from=None,
            closure_cost=0.0,
            sale_value=0.0,
        )
        if leased:
            row["rent"] = _r(places * rng.uniform(*s.rent), -3)
            if rng.random() < 0.45:
                row["lease_end"] = int(rng.integers(y0 + 1, last - 1))
                if rng.random() < 0.85:
                    row["renewal_rent"] = _r(row["rent"] * rng.uniform(1.05, 1.25), -3)
                else:
                    row["renewable"] = False
        if old:
            row.update(may_close=True, close_from=y0 + 2, closure_cost=_r(area * 1500, -5))
            if not leased:
                row["sale_value"] = _r(area * rng.uniform(5000, 8000), -5)
        return row


# ---------------------------------------------------------------------- options


class OptionCatalogue:
    """Options where the demand calls for them (about 1.3 times the local shortfall), plus
    alternatives scattered over the other districts, conversions at owned sites, and one
    decided project (a lock)."""

    def __init__(self, town: Municipality, sites: ExistingSites, rng: np.random.Generator):
        self.town, self.sites, self.rng = town, sites, rng
        self.rows: list[dict] = []
        self.locks: list[Lock] = []
        rate = town.spec.option_rate
        for s in town.services:
            self._needed(s)
            for i in range(town.n):
                if rng.random() < 0.12 * rate:
                    self.build(s, i)
                if rng.random() < 0.06 * rate:
                    self.lease(s, i)
                if s.pavilion and rng.random() < 0.04 * rate:
                    self.pavilion(s, i)
                if s.expansion and rng.random() < 0.15 * rate:
                    self.expansion(s, i)
        self._conversions()
        kinds = {r["kind"] for r in self.rows}
        missing = [k for k in OPTION_TAGS if k not in kinds]
        assert not missing, f"no option of kind {missing}"
        # a decided project: the first growth district's new preschool opens by the third year
        first = next((r for r in self.rows if r["kind"] == "build" and r["service"] == "preschool"), None)
        if first is not None:
            first.update(lead_time=1, earliest_year=None)
            self.locks.append(Lock(target="option", id=first["option"], rule="force", year=town.years[0] + 2))

    def _option(self, s: ServiceSpec, kind: str, i: int, places: float, capex: float, **kw) -> dict:
        stem = f"{s.prefix}_{OPTION_TAGS[kind]}_{self.town.ids[i]}"
        n = sum(1 for r in self.rows if r["option"].startswith(stem))
        row = dict(
            option=stem + (f"_{n + 1}" if n else ""),
            name=f"{kind} {s.name} {self.town.ids[i]}",
            kind=kind,
            district=None,
            site=None,
            service=s.service,
            from_service=None,
            capacity=float(places),
            capacity_from=None,
            max_modules=1,
            capex=_r(capex, -4),
            opex=_r(places * s.area * 400.0, -3),
            rent=0.0,
            earliest_year=None,
            lead_time=0,
            lifetime=None,
            term=None,
        )
        row.update(kw)
        self.rows.append(row)
        return row

    def _needed(self, s: ServiceSpec) -> None:
        """Greedy cover of the shortfall: the district with the largest remaining shortfall offers
        options for its own and its near neighbours' shortfall (peak demand over the horizon
        less the capacity sized on the district's first-year demand)."""
        town, rng = self.town, self.rng
        near_km = 0.6 * s.reach * town.spec.spacing_km
        short = {
            i: max(
                0.0,
                max(town.demand[s.service][i, y] for y in town.years) / s.utilisation
                - self.sites.local_cap[i, s.service],
            )
            for i in range(town.n)
        }
        for i in sorted(range(town.n), key=lambda i: (-short[i], i)):
            if short[i] <= 0:
                continue
            near = [j for j in range(town.n) if town.km[i, j] <= near_km and short[j] > 0]
            need = sum(short[j] for j in near)
            if need < 0.25 * min(s.builds):
                continue
            for j in near:
                short[j] = 0.0
            offered = 0.0
            while offered < 1.3 * need:
                kind = rng.choice(["build", "expansion", "lease", "pavilion"], p=[0.45, 0.25, 0.15, 0.15])
                row = {
                    "build": self.build,
                    "expansion": self.expansion,
                    "lease": self.lease,
                    "pavilion": self.pavilion,
                }[str(kind)](s, i)
                if row is None:  # no pavilion for this service, no owned site to expand
                    row = self.build(s, i)
                offered += row["capacity"] * row["max_modules"]

    def build(self, s: ServiceSpec, i: int) -> dict:
        rng = self.rng
        places = float(s.builds[int(rng.integers(len(s.builds)))])
        growth = i in self.town.growth and rng.random() < 0.4
        earliest = self.town.years[0] + int(rng.integers(2, 6)) if growth else None
        return self._option(
            s,
            "build",
            i,
            places,
            places * rng.uniform(*s.capex),
            district=self.town.ids[i],
            max_modules=2 if rng.random() < 0.2 else 1,
            lead_time=int(rng.integers(s.lead[0], s.lead[1] + 1)),
            earliest_year=earliest,
            lifetime=int(rng.choice([40, 50])),
        )

    def lease(self, s: ServiceSpec, i: int) -> dict:
        rng = self.rng
        places = max(s.module, s.module * round(s.unit * rng.uniform(0.4, 0.8) / s.module))
        return self._option(
            s,
            "lease",
            i,
            places,
            places * rng.uniform(20_000, 30_000),
            district=self.town.ids[i],
            rent=_r(places * rng.uniform(*s.rent) * 1.1, -3),
            lead_time=1,
            term=int(rng.choice([10, 15])),
        )

    def pavilion(self, s: ServiceSpec, i: int) -> dict | None:
        if not s.pavilion:
            return None
        return self._option(
            s,
            "pavilion",
            i,
            s.pavilion,
            s.pavilion * PAVILION_SETUP,
            district=self.town.ids[i],
            rent=_r(s.pavilion * PAVILION_RENT, -3),
            max_modules=3,
            lead_time=0,
            term=4,
        )

    def expansion(self, s: ServiceSpec, i: int) -> dict | None:
        rng, by_id = self.rng, self.sites.by_id
        taken = {r["site"] for r in self.rows if r["kind"] == "expansion" and r["service"] == s.service}
        owned = [
            x
            for x in self.sites.at.get((i, s.service), [])
            if by_id[x]["tenure"] == "owned" and not by_id[x]["may_close"] and x not in taken
        ]
        if not s.expansion or not owned:
            return None
        site = owned[int(rng.integers(len(owned)))]
        return self._option(
            s,
            "expansion",
            i,
            s.expansion,
            s.expansion * rng.uniform(*s.capex) * 0.9,
            site=site,
            max_modules=int(rng.integers(1, 4)),
            lead_time=int(rng.integers(2, 4)),
            lifetime=50,
        )

    def _conversions(self) -> None:
        """Preschool departments into F-6 classrooms (18 -> 25 places) and back, at owned sites."""
        pairs = [("preschool", "school_f6", 25.0, 18.0), ("school_f6", "preschool", 18.0, 25.0)]
        spec = {s.service: s for s in self.town.services}
        for from_s, to_s, places, removed in pairs:
            if from_s not in spec or to_s not in spec:
                continue
            candidates = sorted(
                {
                    (site, i)
                    for (i, s), sites in self.sites.at.items()
                    if s == from_s
                    for site in sites
                    if self.sites.by_id[site]["tenure"] == "owned"
                }
            )
            chance = 0.15 if from_s == "preschool" else 0.08
            for k, (site, i) in enumerate(candidates):
                if self.rng.random() < chance or (
                    k == len(candidates) - 1 and not any(r["kind"] == "conversion" for r in self.rows)
                ):
                    cap = sum(c[2] for c in self.sites.caps if c[0] == site and c[1] == from_s)
                    self._option(
                        spec[to_s],
                        "conversion",
                        i,
                        places,
                        216 * 10_000,
                        site=site,
                        from_service=from_s,
                        capacity_from=removed,
                        max_modules=max(1, min(3, int(cap // removed))),
                        opex=0.0,
                        lead_time=1,
                        lifetime=50,
                    )


# ---------------------------------------------------------------------- the frame and the scenario


def capex_frame(town: Municipality, sites: ExistingSites, options: list[dict]) -> list[Budget]:
    """Capex cap per year: the capex the demand growth calls for, spread over 40 % of the years,
    at least what any one option pays in a year; 60 % of it in the first two years."""
    growth_capex = 0.0
    for s in town.services:
        cost = 0.5 * (s.capex[0] + s.capex[1])
        for i in range(town.n):
            peak = max(town.demand[s.service][i, y] for y in town.years) / s.utilisation
            growth_capex += max(0.0, peak - sites.local_cap[i, s.service]) * cost
    cap = CAPEX_FRAME * growth_capex / (0.4 * len(town.years))
    # every option fits in a year (capex is spread evenly over the lead-time years)
    cap = max(cap, 1.2 * max(r["capex"] / max(r["lead_time"], 1) for r in options))
    return [Budget(year=y, capex_cap=_r(cap * (0.6 if t < 2 else 1.0), -6)) for t, y in enumerate(town.years)]


def _settings(size: str, seed: int, town: Municipality) -> Settings:
    years = town.years
    return Settings(
        name=f"synthetic_{size}_seed{seed}",
        description=(
            f"Synthetic municipality of size {size} (benchmarks/generate.py, seed {seed}): "
            f"{town.spec.districts} districts, {len(town.services)} services, {len(years)} years. "
            "Made-up districts and sites; figures from PARAMETERS.md."
        ),
        first_year=years[0],
        last_year=years[-1],
        currency="SEK",
        currency_year=2024,
        discount_rate=0.025,
        residual_value="straight_line",
        capex_timing="spread",
        unmet_penalty=2.0 * MSEK,
    )


def assemble(size: str, seed: int, town: Municipality, sites: ExistingSites, options: OptionCatalogue) -> Scenario:
    """The scenario of the drawn municipality, built from the row models."""
    ids, years, sp = town.ids, town.years, town.spec.spacing_km
    direct = [s for s in town.services if s.band is None]
    return Scenario(
        settings=_settings(size, seed, town),
        districts=[
            District(district=d, name=f"{'Village' if v else 'District'} {d}", x_km=_r(x, 2), y_km=_r(y, 2))
            for d, (x, y), v in zip(ids, town.xy, town.village, strict=True)
        ],
        services=[
            Service(
                service=s.service,
                name=s.name,
                max_km=_r(s.reach * sp, 1),
                utilisation=s.utilisation,
                travel_cost=s.travel_cost,
                unmet_penalty=s.penalty,
            )
            for s in town.services
        ],
        coverage=[Coverage(service=s.service, age_band=s.band, rate=s.rate) for s in town.services if s.band],
        population=[
            Population(district=ids[i], year=y, age_band=b, persons=town.persons[i, y, b])
            for i in range(len(ids))
            for y in years
            for b in BANDS
        ],
        housing=[
            Housing(district=ids[i], year=y, housing_type=h, homes=v) for (i, y, h), v in sorted(town.homes.items())
        ],
        housing_types=[
            HousingType(housing_type=h, age_band=b, persons_per_home=v)
            for h, vals in HOUSING_TYPES.items()
            for b, v in zip(BANDS, vals, strict=True)
        ],
        demand=[
            Demand(district=ids[i], service=s.service, year=y, places=_r(town.demand[s.service][i, y], 2))
            for s in direct
            for i in range(len(ids))
            for y in years
        ],
        sites=[Site(**r) for r in sites.rows],
        site_capacities=[SiteCapacity(site=a, service=b, capacity=c) for a, b, c in sites.caps],
        options=[Option(**r) for r in options.rows],
        budget=capex_frame(town, sites, options.rows),
        locks=options.locks,
    )


def generate(size: str, seed: int = 1) -> Scenario:
    """The synthetic municipality of ``size`` (S, M, L, XL) drawn with ``seed``."""
    if size not in SIZES:
        raise ValueError(f"unknown size '{size}' (expected one of {', '.join(SIZES)})")
    rng = np.random.default_rng(seed)
    town = draw_municipality(size, rng)
    sites = ExistingSites(town, rng)
    options = OptionCatalogue(town, sites, rng)
    return assemble(size, seed, town, sites, options)


def write(size: str, out_dir: str | Path, seed: int = 1) -> Scenario:
    """Generate and write the scenario folder ``out_dir`` (replaced if it holds a scenario)."""
    from allocopt.load import write_scenario

    scenario = generate(size, seed)
    write_scenario(scenario, out_dir)
    return scenario


CAPEX_FRAMES: tuple[str, ...] = ("capex_cap", "investment_cap")
"""The budget columns that cap capex: the group's and the property company's."""


def capex_variant(scenario: Scenario, factor: float) -> Scenario:
    """``scenario`` with each year's capex caps (SEK; :data:`CAPEX_FRAMES`) multiplied by ``factor``,
    rounded to whole MSEK: the budget variants a strategist compares."""
    budget = [
        b.model_copy(
            update={c: None if getattr(b, c) is None else round(getattr(b, c) * factor, -6) for c in CAPEX_FRAMES}
        )
        for b in scenario.budget
    ]
    return scenario.model_copy(update={"budget": budget})


def describe(scenario: Scenario) -> str:
    """One line of counts."""
    kinds: dict[str, int] = {}
    for o in scenario.options:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    facilities = len(scenario.sites) + len(scenario.options)
    return (
        f"{scenario.settings.name}: {len(scenario.districts)} districts, {len(scenario.services)} services, "
        f"{len(scenario.years)} years, {len(scenario.sites)} sites + {len(scenario.options)} options = "
        f"{facilities} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
        f"{sum(1 for x in scenario.sites if x.may_close)} may close, "
        f"{sum(1 for x in scenario.sites if x.lease_end is not None)} leases ending"
    )
