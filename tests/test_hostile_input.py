"""Bad, hostile and foreign input: a clear error naming file, row and column, exit code 2, no
traceback, in well under a second; or, for input that is only unusual (a ';'-separated Excel
CSV, an id typed in decomposed Unicode, a forecast longer than the plan), a scenario that loads.

Every case starts from ``BASE`` written as a folder (or a workbook) in tmp_path and changes one
cell or one file. ``BASE``: one district 'A', services 'pre' (demand 100 places a year, given
directly) and 'care' (10 % of the 80+ residents: 300 a year, plus 0.2 per home of the 10 homes
built in 2027), the site 'E' (120 places of pre, 50 of care), a build 'B' and a lease 'L' of 100
pre places, a capex cap in 2026, 2026-2028. It is valid and can be solved: 100 <= 120 and
30.2 <= 50.
"""

from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from allocopt.demand import derive_demand
from allocopt.load import load_scenario, validate_path, write_scenario, write_scenario_workbook
from allocopt.readers import ReadLimits
from allocopt.scenario import Coverage, Housing, HousingType, Population
from allocopt.validate import ScenarioError, cross_check
from cases import Budget, Demand, District, Lock, Option, Scenario, Service, Site, SiteCapacity, flat, run, tiny

YEARS = range(2026, 2029)
FAST = 5.0
"""Seconds a refused file may take at most (generous: they take well under one; read without the
limits, the files below take 30 s and more)."""


def base(**changes) -> Scenario:
    """BASE (see the module docstring), with ``changes`` to :func:`cases.tiny`'s arguments."""
    kw = dict(
        services=[Service(service="pre", max_km=10.0), Service(service="care", max_km=10.0)],
        demand=flat(100.0, YEARS),
        sites=[Site(site="E", district="A", may_close=True)],
        capacities=[
            SiteCapacity(site="E", service="pre", capacity=120.0),
            SiteCapacity(site="E", service="care", capacity=50.0),
        ],
        options=[
            Option(option="B", kind="build", district="A", service="pre", capacity=100.0, capex=1000.0, lifetime=10),
            Option(option="L", kind="lease", district="A", service="pre", capacity=100.0, rent=150.0, term=10),
        ],
        budget=[Budget(year=2026, capex_cap=1e6)],
        coverage=[Coverage(service="care", age_band="80+", rate=0.1)],
        population=[Population(district="A", year=y, age_band="80+", persons=300.0) for y in YEARS],
        housing=[Housing(district="A", year=2027, housing_type="flat", homes=10.0)],
        housing_types=[HousingType(housing_type="flat", age_band="80+", persons_per_home=0.2)],
    )
    kw.update(changes)
    return tiny(2026, 2028, **kw)


def folder(tmp_path: Path, scenario: Scenario | None = None, name: str = "scenario") -> Path:
    out = tmp_path / name
    write_scenario(scenario or base(), out)
    return out


def set_cell(path: Path, index: int, column: str, text: str) -> None:
    """Put ``text`` in data row ``index`` (0-based; spreadsheet row index + 2) of CSV ``path``."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows[index + 1][rows[0].index(column)] = text
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def refused(path: Path, *where: str) -> str:
    """``allocopt validate path`` fails with exit code 2, its output naming each of ``where``."""
    res = run("validate", str(path))
    assert res.exit_code == 2, res.output
    for text in where:
        assert text in res.output, res.output
    return res.output


def refused_within(limits: ReadLimits, path: Path, *where: str) -> None:
    """Loading ``path`` within ``limits`` fails, and validating it reports errors naming each of ``where``."""
    problems = [str(p) for p in validate_path(path, limits=limits) if p.severity == "error"]
    for text in where:
        assert any(text in p for p in problems), problems
    with pytest.raises(ScenarioError, match=re.escape(where[0])):
        load_scenario(path, limits=limits)


def timed(path: Path, *where: str) -> float:
    start = time.perf_counter()
    refused(path, *where)
    return time.perf_counter() - start


# ---------------------------------------------------------------- numbers: finite and in range


@pytest.mark.parametrize(
    "table, column, text, message",
    [
        ("districts", "x_km", "NaN", "must be a finite number, got NaN"),
        ("districts", "y_km", "-1e6", "must be >= -100000, got -1e6"),
        ("budget", "capex_cap", "1e400", "must be a finite number, got 1e400"),
        ("site_capacities", "capacity", "1e400", "must be a finite number, got 1e400"),
        ("options", "capex", "1e400", "must be a finite number, got 1e400"),
        ("options", "rent", "1e20", "must be <= 1e+13 SEK per year, got 1e20"),
        ("population", "persons", "1e400", "must be a finite number, got 1e400"),
        ("housing", "homes", "1e400", "must be a finite number, got 1e400"),
        ("housing_types", "persons_per_home", "1000", "must be <= 100 persons, got 1000"),
        ("demand", "places", "1e20", "must be <= 1e+09 places, got 1e20"),
        ("site_capacities", "capacity", "1e-320", "must be 0 or at least 1e-06 places, got 1e-320"),
        ("options", "capacity", "1e-9", "must be at least 1e-06 places, got 1e-09"),
        ("services", "max_km", "nan", "must be a number (blank or inf: unlimited), got nan"),
        ("services", "max_km", "1e6", "must be <= 100000 km (blank or inf: unlimited), got 1e+06"),
        ("services", "travel_cost", "1e10", "must be <= 1e+09 SEK per place, km and year, got 1e10"),
        ("sites", "lease_end", "3000", "must be <= 2200, got 3000"),
        ("options", "lifetime", "500", "must be <= 200 years, got 500"),
        ("options", "max_modules", "20000", "must be <= 10000 modules, got 20000"),
    ],
)
def test_number_out_of_range_is_located(tmp_path, table, column, text, message):
    scenario = folder(tmp_path)
    set_cell(scenario / f"{table}.csv", 0, column, text)
    refused(scenario, f"{table}.csv, row 2, column '{column}': {message}")


def test_nan_penalty_in_yaml(tmp_path):
    """``unmet_penalty: .nan`` made the objective NaN."""
    scenario = folder(tmp_path)
    doc = yaml.safe_load((scenario / "scenario.yaml").read_text())
    doc["settings"]["unmet_penalty"] = math.nan
    (scenario / "scenario.yaml").write_text(yaml.safe_dump(doc))
    assert ".nan" in (scenario / "scenario.yaml").read_text()
    refused(scenario, "scenario.yaml, column 'unmet_penalty': must be a finite number, got nan (or 'forbidden')")


def test_scenarios_built_in_python_are_checked_too():
    with pytest.raises(ValidationError, match="finite number"):
        Demand(district="A", service="pre", year=2026, places=math.nan)
    with pytest.raises(ValidationError, match="finite number"):
        District(district="A", x_km=math.inf)
    with pytest.raises(ValidationError, match="at least 1e-06 places"):
        SiteCapacity(site="E", service="pre", capacity=1e-320)
    with pytest.raises(ValidationError, match="less than or equal to 10000000000000"):
        Budget(year=2026, opex_cap=1e20)
    assert Service(service="pre", max_km=math.inf).max_km == math.inf


# ---------------------------------------------------------------- workbooks


def test_formula_without_computed_value_is_an_error(tmp_path):
    """A workbook saved by a program that does not compute (openpyxl here) holds the formula but
    no value: an error naming the cell, not a blank that would silently give the default opex of 0."""
    from openpyxl import load_workbook

    path = tmp_path / "plan.xlsx"
    write_scenario_workbook(base(), path)
    wb = load_workbook(path)
    ws = wb["options"]
    column = [c.value for c in ws[1]].index("opex") + 1
    ws.cell(2, column, value="=1000*2")
    wb.save(path)
    refused(path, "plan.xlsx[options], row 2, column 'opex': a formula (=1000*2) without a computed value")


def test_used_range_to_row_a_million_reads_fast(tmp_path):
    """One styled empty cell at Z1000000 makes the sheet's used range A1:Z1000000 (a 9 KiB file):
    it ran 34 s into a MemoryError; only the rows the file holds are read now."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    path = tmp_path / "plan.xlsx"
    write_scenario_workbook(base(), path)
    wb = load_workbook(path)
    wb["options"].cell(1_000_000, 26).font = Font(bold=True)
    wb.save(path)
    assert load_workbook(path, read_only=True)["options"].max_row == 1_000_000
    start = time.perf_counter()
    res = run("validate", str(path))
    assert res.exit_code == 0, res.output
    assert time.perf_counter() - start < FAST


def test_too_many_rows_in_a_sheet(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "plan.xlsx"
    write_scenario_workbook(base(), path)
    wb = load_workbook(path)
    wb["options"].cell(80, 1, value="X")
    wb.save(path)
    rows = wb["scenario"].max_row + 5  # above the settings sheet's rows, one per setting
    refused_within(ReadLimits(rows=rows), path, f"plan.xlsx[options], row 80: more than {rows} data rows")


# ---------------------------------------------------------------- limits on scenario.yaml and CSV files


def test_yaml_alias_bomb(tmp_path):
    """Nine levels of ten aliases: a billion strings in 'description' (30 s into a MemoryError)."""
    scenario = folder(tmp_path)
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]")
    doc = yaml.safe_load((scenario / "scenario.yaml").read_text())
    text = "\n".join(lines) + "\n" + yaml.safe_dump(doc).replace("description: ''", "description: *l9")
    (scenario / "scenario.yaml").write_text(text)
    assert timed(scenario, "scenario.yaml: YAML anchors and aliases (&name, *name) are not allowed at line 1") < FAST


def test_yaml_nested_a_hundred_thousand_deep(tmp_path):
    """Refused as invalid YAML, not a RecursionError (exit 1, 'internal error')."""
    scenario = folder(tmp_path)
    (scenario / "scenario.yaml").write_text("settings: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert timed(scenario, "scenario.yaml: ", "YAML") < FAST


def test_yaml_nested_deeper_than_the_limit(tmp_path):
    scenario = folder(tmp_path)
    (scenario / "scenario.yaml").write_text("settings: " + "[" * 30 + "]" * 30 + "\n")
    refused(scenario, "scenario.yaml: lists and mappings nested more than 20 deep at line 1, column 30")


def test_yaml_larger_than_the_limit(tmp_path):
    scenario = folder(tmp_path)
    text = (scenario / "scenario.yaml").read_text()
    (scenario / "scenario.yaml").write_text(text.replace("description: ''", "description: " + "x" * (11 * 2**20)))
    assert timed(scenario, "scenario.yaml: the file is 11.0 MiB; scenario.yaml may be at most 10 MiB") < FAST


def test_too_many_rows_in_a_csv(tmp_path):
    refused_within(ReadLimits(rows=2), folder(tmp_path), "demand.csv, row 4: more than 2 data rows")


# ---------------------------------------------------------------- foreign but sound input


def test_semicolon_csv_with_decimal_commas(tmp_path):
    """Excel in a Swedish locale saves 'CSV' separated by ';' with decimal commas; ids and names
    keep their commas."""
    scenario = folder(tmp_path)
    (scenario / "districts.csv").write_text(
        "\ufeffdistrict;name;x_km;y_km\nA;Söder, norra;1,5;-2,25\n7,5;Sju och en halv;0;1 234,5\n", encoding="utf-8"
    )
    (scenario / "services.csv").write_text(
        "service;name;max_km;utilisation;unmet_penalty\npre;Förskola;12,5;0,95;forbidden\ncare;Omsorg;inf;1;\n",
        encoding="utf-8",
    )
    res = run("validate", str(scenario))
    assert res.exit_code == 0, res.output
    s = load_scenario(scenario)
    assert [(d.district, d.name, d.x_km, d.y_km) for d in s.districts] == [
        ("A", "Söder, norra", 1.5, -2.25),
        ("7,5", "Sju och en halv", 0.0, 1234.5),
    ]
    assert (s.services[0].max_km, s.services[0].utilisation) == (12.5, 0.95)
    assert s.services[1].max_km == math.inf  # an explicit inf means unlimited, as a blank does


def test_ids_are_compared_in_nfc(tmp_path):
    """'Söder' typed as o + combining diaeresis (NFD, as macOS file names and some exports give
    it) is the district 'Söder' (NFC)."""
    nfc = "Söder"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    scenario = folder(
        tmp_path,
        base(
            districts=[District(district=nfc, x_km=0.0, y_km=0.0)],
            demand=flat(100.0, YEARS, district=nfc),
            sites=[Site(site="E", district=nfc)],
            population=[],
            housing=[],
            options=[],
        ),
    )
    path = scenario / "sites.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(nfc, nfd), encoding="utf-8")
    assert nfd in path.read_text(encoding="utf-8")
    res = run("validate", str(scenario))
    assert res.exit_code == 0, res.output
    assert load_scenario(scenario).sites[0].district == nfc
    assert District(district=nfd).district == nfc


def test_population_after_the_last_year_is_ignored_with_a_warning(tmp_path):
    """A forecast to 2030 for a plan to 2028: the rows of 2029 and 2030 are ignored, said once.
    Rows before the first year stay errors."""
    assert [p for p in validate_path(folder(tmp_path, name="plain")) if p.severity == "error"] == []
    scenario = folder(tmp_path)
    with open(scenario / "population.csv", "a", encoding="utf-8") as f:
        f.write("A,2029,80+,5000\nA,2030,80+,5000\n")
    res = run("validate", str(scenario))
    assert res.exit_code == 0, res.output
    assert (
        "population.csv, column 'year': 2 row(s) in 2029-2030, after the horizon's last year 2028, are "
        "ignored" in res.output
    )
    assert res.output.count("after the horizon") == 1
    loaded = load_scenario(scenario)
    assert max(p.year for p in loaded.population) == 2028
    assert derive_demand(loaded).equals(derive_demand(load_scenario(tmp_path / "plain")))
    set_cell(scenario / "population.csv", 0, "year", "2020")
    refused(scenario, "population.csv, row 2, column 'year': year 2020 is outside the horizon 2026-2028")


def test_rows_after_the_last_year_in_a_scenario_built_in_python():
    later = [
        Population(district="A", year=2031, age_band="80+", persons=5000.0),
        Housing(district="A", year=2030, housing_type="flat", homes=1000.0),
    ]
    plain = base()
    s = base(
        population=[*plain.population, later[0]],
        housing=[*plain.housing, later[1]],
        demand={**flat(100.0, YEARS), ("A", "pre", 2029): 900.0},
    )
    warnings = [str(p) for p in cross_check(s) if "after the horizon" in p.message]
    assert warnings == [
        "warning: population.csv, column 'year': 1 row(s) in 2031, after the horizon's last year 2028, are ignored",
        "warning: housing.csv, column 'year': 1 row(s) in 2030, after the horizon's last year 2028, are ignored",
        "warning: demand.csv, column 'year': 1 row(s) in 2029, after the horizon's last year 2028, are ignored",
    ]
    assert derive_demand(s).equals(derive_demand(plain))


# ---------------------------------------------------------------- what the solve refuses, found by validate


@pytest.mark.parametrize(
    "changes, where",
    [
        (
            {
                "options": [
                    Option(option="B", kind="build", district="A", service="pre", capacity=100.0, earliest_year=2028)
                ],
                "locks": [Lock(target="option", id="B", rule="force", year=2027)],
            },
            "locks.csv, row 2, column 'year': option 'B' is forced to open by 2027, but its earliest opening year "
            "(earliest year plus lead time) is 2028",
        ),
        (
            {
                "locks": [
                    Lock(target="site", id="E", rule="keep_open", year=2028),
                    Lock(target="site", id="E", rule="close", year=2027),
                ]
            },
            "locks.csv, row 2, column 'year': site 'E' is kept open through 2028 by a keep_open lock but a close "
            "lock closes it by 2027: change one lock's year or drop one of them (see also row 3)",
        ),
        (  # a close lock on a site that may not close is refused, not honoured, and says why
            {"sites": [Site(site="E", district="A")], "locks": [Lock(target="site", id="E", rule="close", year=2028)]},
            "locks.csv, row 2, column 'year': site 'E' may not close (may_close is false) but a close lock closes "
            "it by 2028: set may_close to true or drop the lock",
        ),
        (
            {
                "sites": [Site(site="E", district="A", may_close=True, close_from=2028)],
                "locks": [Lock(target="site", id="E", rule="close")],
            },
            "locks.csv, row 2, column 'id': site 'E' may close only from close_from 2028 but a close lock closes "
            "it by 2026 (blank year: the first year): move the lock's year to 2028 or later",
        ),
        (
            {
                "sites": [Site(site="E", district="A", tenure="leased", lease_end=2026, renewable=False)],
                "locks": [Lock(target="site", id="E", rule="keep_open")],
            },
            "locks.csv, row 2, column 'id': site 'E' is kept open through 2028 by a keep_open lock but its lease "
            "ends 2026 and is not renewable",
        ),
        (
            {"locks": [Lock(target="option", id="L", rule="force"), Lock(target="option", id="L", rule="forbid")]},
            "locks.csv, row 2, column 'id': option 'L' is forced to open by 2028, "
            "but a lock forbids it (see also row 3)",
        ),
        (
            {
                "districts": [District(district="A", x_km=0.0, y_km=0.0), District(district="F", x_km=50.0, y_km=0.0)],
                "demand": {**flat(100.0, YEARS), **flat(10.0, YEARS, district="F")},
            },
            "services.csv, row 2, column 'max_km': district 'F' has no site or option for 'pre' "
            "within 10 km in 2026-2028, and unmet demand is forbidden",
        ),
        (
            {"options": [], "demand": flat(130.0, YEARS), "sites": [Site(site="E", district="A")]},
            "services.csv: no plan exists: the capacity that can be in service",
        ),
    ],
)
def test_validate_reports_what_solve_refuses(tmp_path, changes, where):
    """These passed validate and failed only in solve (exit 1)."""
    refused(folder(tmp_path, base(**changes)), where)


# ---------------------------------------------------------------- the installed command


def test_installed_command_exits_2_without_a_traceback(tmp_path):
    """The deep YAML ended in 'internal error' (exit 1); the NaN solved at a wrong cost (exit 0)."""
    exe = Path(sys.executable).parent / "allocopt"
    deep = folder(tmp_path, name="deep")
    (deep / "scenario.yaml").write_text("settings: " + "[" * 100_000 + "]" * 100_000 + "\n")
    nan = folder(tmp_path, name="nan")
    set_cell(nan / "districts.csv", 0, "x_km", "nan")
    for scenario, where in [
        (deep, "scenario.yaml: invalid YAML at line 1"),
        (nan, "districts.csv, row 2, column 'x_km': must be a finite number, got nan"),
    ]:
        for command in ("validate", "solve"):
            proc = subprocess.run(
                [str(exe), command, str(scenario), *(["--out", str(tmp_path / "out")] if command == "solve" else [])],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                timeout=60,
            )
            assert proc.returncode == 2, proc.stderr
            assert "Traceback" not in proc.stderr + proc.stdout
            assert where in proc.stderr
