"""Temporary building permits (``permit_limit``): hand-worked cases over a horizon longer than the permit."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import allocopt
from allocopt.index import build_index
from allocopt.model.build import build_model
from allocopt.scenario import Lock, Option, Site, SiteCapacity
from allocopt.validate import cross_check
from cases import flat, tiny

YEARS = range(2026, 2036)  # ten planning years


def pavilion_or_lease(**pavilion) -> object:
    """20 places in A every year 2026-2035, r = 0. Pavilion P: 20 places, rent 100 a year, a term of 2 years
    extended a year at a time at 100 a year, no set-up cost. Lease L: 20 places, rent 150 a year, a term
    of 10 years. ``pavilion``: the pavilion's permit fields."""
    return tiny(
        2026,
        2035,
        demand=flat(20.0, YEARS),
        options=[
            Option(
                option="P",
                kind="pavilion",
                district="A",
                service="pre",
                capacity=20.0,
                rent=100.0,
                extension_rent=100.0,
                term=2,
                **pavilion,
            ),
            Option(option="L", kind="lease", district="A", service="pre", capacity=20.0, rent=150.0, term=10),
        ],
    )


def solved(scenario):
    result = allocopt.solve(scenario, mip_gap=0.0)
    assert result.status == "optimal", result.message
    assert allocopt.check(scenario, result) == []
    return result


def years_of(result, action: str) -> list[int]:
    return sorted(int(y) for y in result.actions.loc[result.actions["action"] == action, "year"])


def test_the_default_permit_cannot_bind_within_ten_years():
    """Permit 15 years (a pavilion's default) > the 10 years of the horizon: no rows, and the pavilion
    stays all ten years (opened 2026, its 2-year term, then 8 one-year extensions): 10 · 100 = 1 000,
    against the lease's 10 · 150 = 1 500. The permits table: 10 years in service, 5 left, no limit year."""
    sc = pavilion_or_lease()
    pm = build_model(build_index(sc))
    assert not hasattr(pm.model, "permit_limit")
    r = solved(sc)
    assert years_of(r, "pavilion") == [2026] and years_of(r, "extend") == list(range(2028, 2036))
    assert r.objective == pytest.approx(1000.0, abs=1e-6)
    row = r.permits.set_index("option").loc["P"]
    assert (row.permit_years, row.used_years, row.years_in_service, row.remaining_years) == (15, 0, 10, 5)
    assert pd.isna(row.limit_year)  # blank: not reached


def test_a_six_year_permit_hands_over_to_the_lease():
    """Permit 6 years. Premises on the plot in at most 6 of the 10 years; the lease, once open, serves
    through 2035. Pavilion in k years and the lease the other 10 − k: 100·k + 150·(10 − k), least at
    k = 6: the pavilion 2026-2031 (term 2026-27, extended 2028-2031) and the lease from 2032:
    600 + 4·150 = 1 200 (1 000 without the permit). The permit is reached in 2031, none left."""
    sc = pavilion_or_lease(permit_years=6)
    r = solved(sc)
    assert years_of(r, "pavilion") == [2026] and years_of(r, "extend") == [2028, 2029, 2030, 2031]
    assert years_of(r, "lease") == [2032]
    assert r.objective == pytest.approx(1200.0, abs=1e-6)
    row = r.permits.set_index("option").loc["P"]
    assert (row.years_in_service, row.remaining_years, row.limit_year) == (6, 0, 2031)


def test_years_used_before_the_horizon_count():
    """Permit 6 years of which 2 were used before 2026: 4 left. Pavilion 2026-2029 (400), lease from
    2030 (6 · 150 = 900): 1 300. The permit is reached in 2029."""
    sc = pavilion_or_lease(permit_years=6, permit_used_years=2)
    r = solved(sc)
    assert years_of(r, "pavilion") == [2026] and years_of(r, "extend") == [2028, 2029]
    assert years_of(r, "lease") == [2030]
    assert r.objective == pytest.approx(1300.0, abs=1e-6)
    row = r.permits.set_index("option").loc["P"]
    assert (row.used_years, row.years_in_service, row.remaining_years, row.limit_year) == (2, 4, 0, 2029)


def test_the_checker_flags_a_pavilion_beyond_its_permit():
    """The ten-year pavilion plan (no permit in the way) checked against a 6-year permit: 10 years in
    service, 4 beyond the permit; the permits table says 10 years and a limit year 2031."""
    free = solved(pavilion_or_lease(permit_years=15))
    limited = pavilion_or_lease(permit_years=6)
    found = allocopt.check(limited, free)
    assert [(v.family, v.keys, v.amount) for v in found if v.family == "permit_limit"] == [
        ("permit_limit", {"option": "P"}, 4.0)
    ]
    columns = {v.keys.get("column") for v in found if v.family == "permits_table"}
    assert columns == {"permit_years", "remaining_years", "limit_year"}
    assert {v.family for v in found} == {"permit_limit", "permits_table"}


def test_a_permit_already_used_up_keeps_the_pavilion_off_the_plot():
    """Permit 6, 6 years used: nothing left, the lease serves all ten years: 1 500."""
    sc = pavilion_or_lease(permit_years=6, permit_used_years=6)
    r = solved(sc)
    assert years_of(r, "pavilion") == [] and years_of(r, "lease") == [2026]
    assert r.objective == pytest.approx(1500.0, abs=1e-6)
    row = r.permits.set_index("option").loc["P"]
    assert (row.used_years, row.years_in_service, row.remaining_years) == (6, 0, 0) and pd.isna(row.limit_year)


def test_validation_of_permits():
    """Years used beyond the permit are an error; a permit on an owned kind is an error; a term longer than
    the years the permit has left (2 > 6 − 5) is a warning that the option can never open."""
    with pytest.raises(Exception, match="permit_used_years"):
        pavilion_or_lease(permit_years=6, permit_used_years=7)
    with pytest.raises(Exception, match="no temporary permit"):
        Option(option="B", kind="build", district="A", service="pre", capacity=1.0, permit_years=5)
    sc = pavilion_or_lease(permit_years=6)
    assert dataclasses.replace(build_index(sc).options["P"]).permit_left == 6
    warned = [p for p in cross_check(pavilion_or_lease(permit_years=6, permit_used_years=5)) if p.column == "term"]
    assert [(p.severity, p.row) for p in warned] == [("warning", "2")]
    assert "never open" in warned[0].message


def test_each_module_counts_its_own_years():
    """Two pavilion modules (20 places each, term 1, kept a year at a time, 100 a year) under a 5-year permit,
    leases of 20 places at 150 a year (10-year term, two at most); 20 places demanded 2026-2033 and 20 more
    from 2029: 13 module-years of demand. A pavilion module stands at most 5 years and a lease, once open,
    serves to 2033, so at most 10 pavilion module-years: module A 2026-2030, module B 2029-2033, and one
    lease from 2031 (A gone, 40 places due): 10 · 100 + 3 · 150 = 1 450 (1 300 without the permit, the first
    module staying all eight years). Keeping the youngest module, the one in service in 2031-2033 is B: the
    permit is first reached in 2030 (A's fifth year) and none is left."""
    years = range(2026, 2034)
    demand = {**flat(20.0, years), **{("A", "pre", y): 40.0 for y in range(2029, 2034)}}
    pavilion = dict(kind="pavilion", district="A", service="pre", capacity=20.0, rent=100.0, term=1)
    lease = dict(kind="lease", district="A", service="pre", capacity=20.0, rent=150.0, term=10, max_modules=2)

    def scenario(permit: int):
        return tiny(
            2026,
            2033,
            demand=demand,
            options=[
                Option(option="P", max_modules=2, extension_rent=100.0, permit_years=permit, **pavilion),
                Option(option="L", **lease),
            ],
        )

    assert solved(scenario(15)).objective == pytest.approx(1300.0, abs=1e-6)
    r = solved(scenario(5))
    assert r.objective == pytest.approx(1450.0, abs=1e-6)
    assert years_of(r, "pavilion") == [2026, 2029] and years_of(r, "lease") == [2031]
    row = r.permits.set_index("option").loc["P"]
    assert (row.years_in_service, row.remaining_years, row.limit_year) == (8, 0, 2030)


def pavilion_site(**permit):
    """An existing leased pavilion S (20 places, rent 100 a year, may not close) and lease L (20 places, 150 a
    year, a 10-year term); 20 places demanded 2026-2030, r = 0. ``permit``: the site's permit fields."""
    return tiny(
        2026,
        2030,
        demand=flat(20.0, range(2026, 2031)),
        sites=[Site(site="S", district="A", tenure="leased", rent=100.0, **permit)],
        capacities=[SiteCapacity(site="S", service="pre", capacity=20.0)],
        options=[Option(option="L", kind="lease", district="A", service="pre", capacity=20.0, rent=150.0, term=10)],
    )


def test_a_pavilion_already_on_its_plot_closes_when_its_permit_runs_out():
    """Without a permit S stays all five years: 5 · 100 = 500. Under a 15-year permit of which 12 years are
    used, S may stand 3 more years (2026-2028) and closes in 2029 although it may not close otherwise; the
    lease takes over from 2029: 3 · 100 + 2 · 150 = 600. The permits table: 3 years open, none left, the
    limit reached in 2028."""
    assert solved(pavilion_site()).objective == pytest.approx(500.0, abs=1e-6)
    r = solved(pavilion_site(permit_years=15, permit_used_years=12))
    assert r.objective == pytest.approx(600.0, abs=1e-6)
    closing = r.actions[r.actions["site"] == "S"]
    assert list(zip(closing["year"], closing["action"])) == [(2029, "close")]
    assert years_of(r, "lease") == [2029]
    row = r.permits.set_index("site").loc["S"]
    assert (row.used_years, row.years_in_service, row.remaining_years, row.limit_year) == (12, 3, 0, 2028)


def test_the_checker_and_validation_hold_a_site_to_its_permit():
    """The five-year plan of S checked against the permit with 12 of 15 years used: open 5 + 12 = 17 years,
    2 beyond. A keep_open lock through 2029 (past 2028) and used years without a permit are errors."""
    free = solved(pavilion_site())
    found = allocopt.check(pavilion_site(permit_years=15, permit_used_years=12), free)
    assert [(v.keys, v.amount) for v in found if v.family == "permit_limit"] == [({"site": "S"}, 2.0)]
    with pytest.raises(Exception, match="temporary permit runs out after 2028"):
        tiny(
            2026,
            2030,
            demand=flat(20.0, range(2026, 2031)),
            sites=[Site(site="S", district="A", tenure="leased", permit_years=15, permit_used_years=12)],
            capacities=[SiteCapacity(site="S", service="pre", capacity=20.0)],
            locks=[Lock(target="site", id="S", rule="keep_open", year=2029)],
        )
    with pytest.raises(Exception, match="need permit_years"):
        pavilion_site(permit_used_years=3)
