"""The synthetic municipalities (allocopt.synthetic), micro-benchmarks of the hot pieces on the S
instance, and the benchmarks' HiGHS log reader.

The project's pytest options include ``--benchmark-disable``: in the default run each benchmark
calls its function once, as a plain test. Time them with::

    pytest tests/test_benchmarks.py --benchmark-enable

Each test also checks its output against an independent count or recomputation, so a faster
piece that computes something else fails here.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from allocopt.demand import DEMAND_COLUMNS, derive_demand
from allocopt.index import build_index
from allocopt.synthetic import capex_variant, generate, write

HIGHS_LOG = Path(__file__).resolve().parents[1] / "benchmarks" / "highs_log.py"


@pytest.fixture(scope="module")
def scenario():
    return generate("S", seed=1)


@pytest.fixture(scope="module")
def index(scenario):
    return build_index(scenario)


# ---------------------------------------------------------------------------- the generator


def test_generated_sizes_and_kinds(scenario):
    """S: 15 districts, 4 services, 15 years, about 130 sites + options, every option kind, a
    capex frame in every year, leases ending in the horizon, sites that may close."""
    assert (len(scenario.districts), len(scenario.services), len(scenario.years)) == (15, 4, 15)
    assert 110 <= len(scenario.sites) + len(scenario.options) <= 170
    assert {o.kind for o in scenario.options} == {"build", "lease", "pavilion", "expansion", "conversion"}
    assert len(scenario.budget) == 15 and all(b.capex_cap for b in scenario.budget)
    first, last = scenario.settings.first_year, scenario.settings.last_year
    assert any(x.lease_end is not None and first <= x.lease_end < last for x in scenario.sites)
    assert any(not x.renewable for x in scenario.sites) and any(x.may_close and x.sale_value for x in scenario.sites)
    assert isinstance(scenario.settings.unmet_penalty, float)
    assert {p.age_band for p in scenario.population} == {"1-5", "6-12", "13-15", "80+"}


def test_same_seed_same_files(tmp_path):
    """The same size and seed give byte-identical scenario files; another seed does not."""
    write("S", tmp_path / "a", seed=3)
    write("S", tmp_path / "b", seed=3)
    write("S", tmp_path / "c", seed=4)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert all((tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes() for n in names)
    assert (tmp_path / "a" / "sites.csv").read_bytes() != (tmp_path / "c" / "sites.csv").read_bytes()


def test_the_draws_of_a_seed_stay_the_same(scenario):
    """S with seed 1 holds what it always held: the same draws in the same order (counts and sums
    of what the generator drew, independent of how scenarios are written)."""
    kinds = {
        k: sum(o.kind == k for o in scenario.options) for k in ("build", "conversion", "expansion", "lease", "pavilion")
    }
    assert (len(scenario.sites), kinds) == (
        92,
        {"build": 26, "conversion": 4, "expansion": 7, "lease": 5, "pavilion": 7},
    )
    assert sum(x.may_close for x in scenario.sites) == 10
    assert sum(x.lease_end is not None for x in scenario.sites) == 9
    assert sum(p.persons for p in scenario.population) == 388_160
    assert sum(h.homes for h in scenario.housing) == 11_000
    assert sum(o.capex for o in scenario.options) == 3_772_440_000
    assert sum(b.capex_cap for b in scenario.budget) == 4_247_000_000
    assert sum(x.opex for x in scenario.sites) == 99_315_000
    assert [(lock.id, lock.rule, lock.year) for lock in scenario.locks] == [("fsk_new_d001", "force", 2028)]


# ---------------------------------------------------------------------------- hot pieces


def test_derive_demand(benchmark, scenario):
    """Demand of every district, service and year, recomputed here from the rows:
    rate · (population + Σ_{t ≤ y} homes · persons_per_home)."""
    table = benchmark(derive_demand, scenario)
    assert list(table.columns) == DEMAND_COLUMNS
    assert len(table) == 15 * 4 * 15

    persons = defaultdict(float)
    for p in scenario.population:
        persons[p.district, p.year, p.age_band] += p.persons
    pph = {(h.housing_type, h.age_band): h.persons_per_home for h in scenario.housing_types}
    bands = {b for _h, b in pph}
    for h in scenario.housing:
        for y in scenario.years:
            if y >= h.year:
                for b in bands:
                    persons[h.district, y, b] += h.homes * pph.get((h.housing_type, b), 0.0)
    expected = defaultdict(float)
    for c in scenario.coverage:
        for d in scenario.districts:
            for y in scenario.years:
                expected[d.district, c.service, y] += c.rate * persons[d.district, y, c.age_band]
    got = {(r.district, r.service, int(r.year)): r.places for r in table.itertuples(index=False)}
    assert got.keys() == expected.keys()
    assert all(math.isclose(got[k], expected[k], rel_tol=1e-9, abs_tol=1e-9) for k in got)
    assert sum(got.values()) > 0


def test_build_index(benchmark, scenario):
    """The reach set equals a brute-force count over every facility, service and district."""
    idx = benchmark(build_index, scenario)
    xy = {d.district: (d.x_km, d.y_km) for d in scenario.districts}
    max_km = {s.service: s.max_km for s in scenario.services}
    where = {x.site: x.district for x in scenario.sites}
    pairs = {(c.site, c.service) for c in scenario.site_capacities if c.capacity > 0}
    for o in scenario.options:
        pairs.add((o.site if o.site else o.option, o.service))
        if not o.site:
            where[o.option] = o.district
    assert set(idx.facility_services) == pairs
    expected = set()
    for k, s in pairs:
        kx, ky = xy[where[k]]
        for d, (x, y) in xy.items():
            if math.hypot(x - kx, y - ky) <= max_km[s] + 1e-9:
                expected.add((d, k, s))
    assert {(d, k, s) for d, k, s, _km in idx.reach} == expected
    assert len(idx.reach) == len(expected)
    assert all(v > 0 for v in idx.demand.values()) and len(idx.demand) == 15 * 4 * 15


@pytest.mark.parametrize("formulation", ["allocopt", "facility", "textbook"])
def test_build_model(benchmark, index, formulation):
    """Row and column counts of the families that can be counted from the index alone."""
    from allocopt.model.build import FORMULATIONS, build_model

    families, state = FORMULATIONS[formulation]
    pm = benchmark(build_model, index, families=families, state=state)
    m = pm.model
    assert not pm.conflicts and not pm.unreachable
    decisions = len(pm.build) + len(getattr(pm, "avail", {}))  # opening years, or availability states
    assert decisions == sum(len(o.years) for o in index.options.values())
    assert len(m.demand_balance) == len(index.demand)  # unmet is allowed: one row per positive demand
    assert len(m.unmet) == len(index.demand)
    assert len(m.capex_cap) == len(index.years)
    free = {(x.site, y) for x in index.sites.values() for y in index.years if x.is_free(y)}
    assert set(pm.open) == free
    reach = defaultdict(set)
    for d, k, s, _km in index.reach:
        reach[d, s].add(k)
    assert all(k in reach[d, s] for d, k, s, _y in pm.assign)
    home = {x.site: x.district for x in index.sites.values()} | {o.option: o.district for o in index.options.values()}
    reached = {(d, home[k], s) for d, k, s, _km in index.reach}
    assert all((d, to, s) in reached for d, to, s, _y in pm.flow)  # a district's demand flows only within reach
    if formulation == "allocopt":  # demand flows district to district: no per-facility assignment
        assert pm.flow and not pm.assign
        assert len(m.capacity_cover) == len(index.services) * len(index.years)
        assert len(m.flow_link) > 0
    elif formulation == "facility":
        assert pm.assign and not pm.flow
        assert len(m.capacity_cover) == len(index.services) * len(index.years)
        assert len(m.assign_link) > 0
    else:
        assert not any(hasattr(m, name) for name in ("capacity_cover", "assign_link", "district_group_cover"))


# ---------------------------------------------------------------------------- benchmarks/highs_log.py

LOG = """\
        Nodes      |    B&B Tree     |            Objective Bounds              |  Dynamic Constraints |  Work
Src  Proc. InQueue |  Leaves   Expl. | BestBound       BestSol              Gap |   Cuts   InLp Confl. | LpIters  Time

         0       0         0   0.00%   2552.777024     inf                  inf      0      0      0       0   1.6s
 R       0       0         0   0.00%   3875.797485     4000               3.11%      0      0      0    4219   2.8s
 T      12       3         4  40.00%   3975            4000               0.63%    947     48      0    9445  14.1s

Solving report
  Status            Optimal
  Primal bound      3990
  Dual bound        3975
  Gap               0.376% (tolerance: 0.5%)
  Timing            20.50
"""


def highs_log(tmp_path: Path, *options: str) -> dict:
    """What ``python benchmarks/highs_log.py`` reads from :data:`LOG` (HiGHS's progress lines, with
    fewer spaces between the columns)."""
    path = tmp_path / "highs.log"
    path.write_text(LOG, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(HIGHS_LOG), str(path), *options], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_gap_over_time_from_a_highs_log(tmp_path):
    """Gap at fixed times, first time under 1 % and 0.5 %, from a HiGHS progress log: none before
    the first plan (∞), the last progress line before a checkpoint, the final gap at the time limit
    and after HiGHS stopped at the requested gap."""
    log = highs_log(tmp_path, "--time-limit", "60", "--checkpoints", "1,10,60,600")
    assert [p[0] for p in log["points"]] == [1.6, 2.8, 14.1]
    assert log["points"][0][3] == math.inf
    assert math.isclose(log["final"]["gap"], 15 / 3990)
    gap_at = log["gap_at"]
    assert gap_at["1"] == math.inf
    assert math.isclose(gap_at["10"], (4000 - 3875.797485) / 4000)
    assert math.isclose(gap_at["60"], 15 / 3990) and math.isclose(gap_at["600"], 15 / 3990)
    assert log["time_to"] == {"0.01": 14.1, "0.005": 20.5}


def test_times_count_from_the_start_of_the_solve_step(tmp_path):
    """``--offset``: the seconds before HiGHS started (the hand-off) are added to every time."""
    log = highs_log(tmp_path, "--offset", "2", "--time-limit", "60", "--checkpoints", "3,10")
    assert [p[0] for p in log["points"]] == [3.6, 4.8, 16.1]
    assert log["gap_at"]["3"] == math.inf
    assert log["time_to"] == {"0.01": 16.1, "0.005": 22.5}


# ---------------------------------------------------------------------------- budget variants


def test_capex_variant_scales_every_capex_cap_and_nothing_else(tmp_path):
    """benchmarks/default_scenario.py --capex-factors: the variant differs from the embedded
    scenario only in its capex caps (the group's and the property company's), each multiplied by
    the factor (whole MSEK), and is written
    and loaded back as it is."""
    import allocopt
    from allocopt.load import write_scenario

    base = allocopt.load_scenario(allocopt.default_scenario_path())
    variant = capex_variant(base, 1.1)
    assert [b.investment_cap for b in variant.budget] == [round(b.investment_cap * 1.1, -6) for b in base.budget]
    assert all(b.capex_cap is None for b in variant.budget)  # the default scenario caps the company's capex
    for column in ("opex_cap", "borrowing_cap", "operating_cap"):
        assert [getattr(b, column) for b in variant.budget] == [getattr(b, column) for b in base.budget]
    assert variant.model_copy(update={"budget": base.budget}) == base
    write_scenario(variant, tmp_path / "variant")
    assert allocopt.load_scenario(tmp_path / "variant") == variant
