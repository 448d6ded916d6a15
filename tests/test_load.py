"""Loading scenarios from folders and workbooks, writing them back, and locating bad input.

Every scenario here is a tiny one written to tmp_path: ``BASE`` below (two districts, one
preschool service with coverage rates, one existing site, one build option), changed per test.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import pytest
import yaml

from allocopt.load import load_scenario, validate_path, write_scenario, write_scenario_workbook
from allocopt.scenario import Scenario
from allocopt.validate import Problem, ScenarioError

SETTINGS = {"name": "tiny", "first_year": 2025, "last_year": 2030, "discount_rate": 0.03}

BASE: dict[str, list[dict]] = {
    "districts": [
        {"district": "A", "name": "Alpha", "x_km": 0, "y_km": 0},
        {"district": "B", "name": "Beta", "x_km": 3.5, "y_km": 0},
    ],
    "services": [{"service": "pre", "name": "Preschool", "max_km": 5, "unmet_penalty": "forbidden"}],
    "coverage": [{"service": "pre", "age_band": "1-5", "rate": 0.87}],
    "population": [
        {"district": "A", "year": 2025, "age_band": "1-5", "persons": 100},
        {"district": "B", "year": 2025, "age_band": "1-5", "persons": 80.5},
    ],
    "sites": [
        {
            "site": "s1",
            "district": "A",
            "tenure": "leased",
            "rent": 1e6,
            "lease_end": 2027,
            "renewable": "yes",
            "may_close": "no",
        }
    ],
    "site_capacities": [{"site": "s1", "service": "pre", "capacity": 160}],  # 2025 demand: 157.035 places
    "options": [
        {
            "option": "o1",
            "kind": "build",
            "district": "B",
            "service": "pre",
            "capacity": 60,
            "capex": 2.5e7,
            "lead_time": 2,
            "lifetime": 40,
        }
    ],
    "budget": [{"year": 2026, "capex_cap": 3e7}],
}


# ---------------------------------------------------------------- helpers for loading


def write_tables_as_csv(folder: Path, tables: dict[str, list[dict]]) -> None:
    """Write each table as <name>.csv, columns in first-seen order; None becomes an empty cell."""
    for name, rows in tables.items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
            w.writeheader()
            w.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)


def make_folder(
    tmp_path: Path,
    changes: dict | None = None,
    inline: dict | None = None,
    settings: dict | None = None,
    yaml_extra: dict | None = None,
    name: str = "scenario",
) -> Path:
    """Folder tmp_path/name: BASE with ``changes`` (table -> rows, None drops the table) as CSV,
    ``inline`` tables written into scenario.yaml."""
    folder = tmp_path / name
    folder.mkdir()
    tables = copy.deepcopy(BASE)
    for name, rows in (changes or {}).items():
        if rows is None:
            tables.pop(name, None)
        else:
            tables[name] = rows
    doc = {"settings": settings if settings is not None else SETTINGS, **(inline or {}), **(yaml_extra or {})}
    (folder / "scenario.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    write_tables_as_csv(folder, tables)
    return folder


def with_row(table: str, **fields) -> list[dict]:
    """BASE's table with one more row (CSV row 2 + len(BASE[table]))."""
    return [*copy.deepcopy(BASE[table]), fields]


def find(problems: list[Problem], file: str, row: str | None, column: str | None) -> Problem:
    """The one problem at (file, row, column); fails listing all problems otherwise."""
    hits = [p for p in problems if (p.file, p.row, p.column) == (file, row, column)]
    assert len(hits) == 1, f"expected one problem at {(file, row, column)}, got:\n" + "\n".join(map(str, problems))
    return hits[0]


def load_errors(path: Path) -> list[Problem]:
    """The errors load_scenario raises for ``path`` (fails if it loads)."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.errors


# ---------------------------------------------------------------- good input


def test_minimal_folder_loads(tmp_path):
    s = load_scenario(make_folder(tmp_path))
    assert isinstance(s, Scenario)
    assert s.years == [2025, 2026, 2027, 2028, 2029, 2030]
    assert [d.district for d in s.districts] == ["A", "B"]
    site = s.sites[0]
    assert (site.renewable, site.may_close, site.lease_end, site.rent) == (True, False, 2027, 1e6)
    assert site.renewal_rent is None and site.close_from is None  # not given: defaults
    assert s.options[0].earliest_year is None
    assert s.population[1].persons == 80.5
    assert s.services[0].unmet_penalty == "forbidden"
    assert validate_path(tmp_path / "scenario") == []  # no warnings either


def test_empty_cells_mean_not_given_and_whitespace_is_stripped(tmp_path):
    sites = [{"site": " s1 ", "district": "A", "tenure": "", "opex": " 5 ", "lease_end": None, "renewable": "0"}]
    s = load_scenario(make_folder(tmp_path, {"sites": sites}))
    site = s.sites[0]
    assert (site.site, site.tenure, site.opex, site.lease_end, site.renewable) == ("s1", "owned", 5.0, None, False)


def test_inline_table_equals_csv_table(tmp_path):
    from_csv = load_scenario(make_folder(tmp_path, name="csv"))
    folder = make_folder(tmp_path, {"services": None}, inline={"services": BASE["services"]}, name="inline")
    assert load_scenario(folder) == from_csv


AWKWARD = {  # values a careless writer would not round-trip: inexact floats, huge numbers, infinity
    "options": [{**BASE["options"][0], "capex": 1 / 3, "opex": 2.675, "rent": 1e13}],
    "services": [{"service": "pre", "name": 'Förskola, "central"', "max_km": None}],  # max_km = inf
}


def test_write_scenario_round_trip_is_exact_and_deterministic(tmp_path):
    options = [{**AWKWARD["options"][0], "capex": 0.1 + 0.2}]  # needs 17 significant digits
    original = load_scenario(make_folder(tmp_path, {**AWKWARD, "options": options}))
    assert original.services[0].max_km == float("inf")
    write_scenario(original, tmp_path / "out1")
    write_scenario(original, tmp_path / "out2")
    assert load_scenario(tmp_path / "out1") == original
    for f in sorted(p.name for p in (tmp_path / "out1").iterdir()):
        assert (tmp_path / "out1" / f).read_bytes() == (tmp_path / "out2" / f).read_bytes()
    assert not (tmp_path / "out1" / "locks.csv").exists()  # empty tables are not written
    assert set(yaml.safe_load((tmp_path / "out1" / "scenario.yaml").read_text())) == {"settings"}
    header, row = (tmp_path / "out1" / "sites.csv").read_text().splitlines()
    assert header.split(",") == list(type(original.sites[0]).model_fields)  # model's field order
    assert ",," in row  # None as an empty cell


def test_write_scenario_replaces_an_earlier_scenario_but_nothing_else(tmp_path):
    s = load_scenario(make_folder(tmp_path))
    out = tmp_path / "out"
    write_scenario(s, out)
    smaller = s.model_copy(update={"budget": []})
    write_scenario(smaller, out)
    assert not (out / "budget.csv").exists()  # no stale table left behind
    assert load_scenario(out) == smaller
    (out / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="notes.txt"):
        write_scenario(s, out)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folders left


def test_workbook_round_trip(tmp_path):
    original = load_scenario(make_folder(tmp_path, AWKWARD))
    write_scenario_workbook(original, tmp_path / "plan.xlsx")
    assert load_scenario(tmp_path / "plan.xlsx") == original
    assert validate_path(tmp_path / "plan.xlsx") == []


def test_workbook_keeps_16_significant_digits(tmp_path):
    """openpyxl writes numbers as '%.16g' (Excel shows 15): a double needing 17 digits comes back
    within one unit in the last place. The folder format is exact."""
    options = [{**BASE["options"][0], "capex": 0.1 + 0.2}]
    write_scenario_workbook(load_scenario(make_folder(tmp_path, {"options": options})), tmp_path / "plan.xlsx")
    assert load_scenario(tmp_path / "plan.xlsx").options[0].capex == pytest.approx(0.1 + 0.2, rel=1e-15)


def test_blank_sheet_is_an_empty_table(tmp_path):
    from openpyxl import load_workbook

    write_scenario_workbook(load_scenario(make_folder(tmp_path)), tmp_path / "plan.xlsx")
    wb = load_workbook(tmp_path / "plan.xlsx")
    wb.remove(wb["budget"])
    wb.create_sheet("budget")
    wb.save(tmp_path / "plan.xlsx")
    assert load_scenario(tmp_path / "plan.xlsx").budget == []


# ---------------------------------------------------------------- bad rows: located by file, row, column


def test_unknown_csv_column_is_reported_once_for_the_header(tmp_path):
    caps = [{"site": "s1", "service": "pre", "capcity": 5}, {"site": "s1", "service": "pre", "capcity": 6}]
    problems = load_errors(make_folder(tmp_path, {"site_capacities": caps}))
    p = find(problems, "site_capacities.csv", "1", "capcity")
    assert p.message.startswith("unknown column 'capcity' (expected one of: site, service, capacity)")
    assert "did you mean 'capacity'" in p.message
    # the missing 'capacity' column is also reported once, for the header, not per row
    assert find(problems, "site_capacities.csv", "1", "capacity").message.startswith("required column")
    assert len(problems) == 2


def test_unknown_inline_column_is_reported_per_row(tmp_path):
    folder = make_folder(tmp_path, {"services": None}, inline={"services": [{"service": "pre", "colour": "red"}]})
    p = find(load_errors(folder), "scenario.yaml", "services[1]", "colour")
    assert p.message.startswith("unknown column 'colour' (expected one of: service, name,")


@pytest.mark.parametrize(
    "table, fields, column, message",
    [
        (
            "population",
            {"district": "A", "year": 2026, "age_band": "1-5", "persons": "abc"},
            "persons",
            "expected a number, got 'abc'",
        ),
        (
            "population",
            {"district": "A", "year": "2026.5", "age_band": "1-5", "persons": 1},
            "year",
            "expected a whole number, got '2026.5'",
        ),
        (
            "population",
            {"district": "A", "year": 2026, "age_band": "1-5", "persons": "1,5"},
            "persons",
            "expected a number, got '1,5' (use a decimal point: '1.5')",
        ),
        ("site_capacities", {"site": "s1", "service": "pre", "capacity": -5}, "capacity", "must be >= 0, got -5"),
        (
            "options",
            {"option": "o2", "kind": "build", "district": "A", "service": "pre", "capacity": 0},
            "capacity",
            "must be > 0, got 0",
        ),
        (
            "options",
            {"option": "o2", "kind": "build", "district": "A", "service": "pre", "capacity": 1, "capex": -1e6},
            "capex",
            "must be >= 0, got -1000000.0",
        ),
        (
            "options",
            {"option": "o2", "kind": "barn", "district": "A", "service": "pre", "capacity": 1},
            "kind",
            "expected 'build', 'lease', 'pavilion', 'expansion' or 'conversion', got 'barn'",
        ),
        ("coverage", {"service": "pre", "age_band": "0", "rate": 1.2}, "rate", "must be <= 1, got 1.2"),
        ("coverage", {"service": "pre", "age_band": "0", "rate": -0.1}, "rate", "must be >= 0, got -0.1"),
        (
            "sites",
            {"site": "s2", "district": "A", "may_close": "maybe"},
            "may_close",
            "expected true or false (or yes/no, 1/0), got 'maybe'",
        ),
        ("sites", {"site": "s2", "district": None}, "district", "required value missing"),
        ("budget", {"year": 2027, "capex_cap": "lots"}, "capex_cap", "expected a number, got 'lots'"),
    ],
)
def test_bad_value_is_located(tmp_path, table, fields, column, message):
    problems = load_errors(make_folder(tmp_path, {table: with_row(table, **fields)}))
    row = str(len(BASE[table]) + 2)
    assert find(problems, f"{table}.csv", row, column).message == message
    assert len(problems) == 1


def test_union_field_gives_one_message(tmp_path):
    services = [{"service": "pre", "unmet_penalty": "high"}]
    p = find(load_errors(make_folder(tmp_path, {"services": services})), "services.csv", "2", "unmet_penalty")
    assert p.message == "expected a number or 'forbidden', got 'high'"


def test_row_rule_without_a_field_has_no_column(tmp_path):
    options = with_row("options", option="x1", kind="expansion", service="pre", capacity=10)  # no site
    p = find(load_errors(make_folder(tmp_path, {"options": options})), "options.csv", "3", None)
    assert p.message == "a expansion option needs a site"


def test_settings_problems_name_the_key(tmp_path):
    folder = make_folder(tmp_path, settings={"name": "x", "first_year": "soon", "last_year": 2030, "colour": 1})
    problems = load_errors(folder)
    assert find(problems, "scenario.yaml", None, "first_year").message == "expected a whole number, got 'soon'"
    assert find(problems, "scenario.yaml", None, "colour").message.startswith("unknown setting 'colour'")


# ---------------------------------------------------------------- cross-table problems (allocopt.validate)


@pytest.mark.parametrize(
    "table, fields, column, message",
    [
        ("sites", {"site": "s2", "district": "Z"}, "district", "unknown district 'Z'"),
        ("site_capacities", {"site": "nowhere", "service": "pre", "capacity": 1}, "site", "unknown site 'nowhere'"),
        (
            "options",
            {"option": "o2", "kind": "build", "district": "A", "service": "gym", "capacity": 1},
            "service",
            "unknown service 'gym'",
        ),
        (
            "population",
            {"district": "A", "year": 2020, "age_band": "1-5", "persons": 1},
            "year",
            "year 2020 is outside the horizon 2025-2030",
        ),
    ],
)
def test_cross_check_problem_is_located(tmp_path, table, fields, column, message):
    problems = load_errors(make_folder(tmp_path, {table: with_row(table, **fields)}))
    assert find(problems, f"{table}.csv", str(len(BASE[table]) + 2), column).message.startswith(message)


def test_duplicate_ids_are_reported_on_every_row(tmp_path):
    problems = load_errors(make_folder(tmp_path, {"districts": with_row("districts", district="A", x_km=1, y_km=1)}))
    assert "duplicate id 'A'" in find(problems, "districts.csv", "2", "district").message
    assert "duplicate id 'A'" in find(problems, "districts.csv", "4", "district").message


def test_cross_check_problem_in_inline_table_uses_its_label(tmp_path):
    inline = {"services": [{"service": "pre"}, {"service": "pre"}]}
    problems = load_errors(make_folder(tmp_path, {"services": None}, inline=inline))
    assert "duplicate id" in find(problems, "scenario.yaml", "services[2]", "service").message


def test_option_that_can_never_open_is_a_warning_only(tmp_path):
    """Earliest opening = max(earliest_year, first_year + lead_time) = max(2027, 2025 + 6) = 2031 > 2030."""
    options = with_row(
        "options",
        option="late",
        kind="build",
        district="A",
        service="pre",
        capacity=10,
        earliest_year=2027,
        lead_time=6,
    )
    folder = make_folder(tmp_path, {"options": options})
    assert len(load_scenario(folder).options) == 2  # loads fine
    p = find(validate_path(folder), "options.csv", "3", "lead_time")
    assert p.severity == "warning" and "can never open" in p.message


def test_latest_year_before_earliest_year_is_an_error(tmp_path):
    options = with_row(
        "options",
        option="late",
        kind="build",
        district="A",
        service="pre",
        capacity=10,
        earliest_year=2028,
        latest_year=2027,
    )
    p = find(load_errors(make_folder(tmp_path, {"options": options})), "options.csv", "3", "latest_year")
    assert p.message == "latest year 2027 is before earliest_year 2028"


def test_latest_year_before_the_earliest_opening_is_a_warning_only(tmp_path):
    """Earliest opening = max(earliest_year, first_year + lead_time) = max(2026, 2025 + 3) = 2028;
    latest_year 2027 (not before earliest_year 2026): the option can never open."""
    options = with_row(
        "options",
        option="late",
        kind="build",
        district="A",
        service="pre",
        capacity=10,
        earliest_year=2026,
        lead_time=3,
        latest_year=2027,
    )
    folder = make_folder(tmp_path, {"options": options})
    assert load_scenario(folder).options[1].latest_year == 2027  # loads fine
    p = find(validate_path(folder), "options.csv", "3", "latest_year")
    assert p.severity == "warning" and "can never open" in p.message and "2028" in p.message


def test_latest_year_is_a_calendar_year(tmp_path):
    options = with_row(
        "options", option="late", kind="build", district="A", service="pre", capacity=10, latest_year=2300
    )
    p = find(load_errors(make_folder(tmp_path, {"options": options})), "options.csv", "3", "latest_year")
    assert "2200" in p.message


# ---------------------------------------------------------------- bad files


def test_table_given_twice(tmp_path):
    folder = make_folder(tmp_path, inline={"services": BASE["services"]})
    p = find(load_errors(folder), "services.csv", None, None)
    assert "given twice" in p.message


def test_unknown_csv_file(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "sites.csv").rename(folder / "site.csv")
    p = find(load_errors(folder), "site.csv", None, None)
    assert p.message.startswith("unknown table file 'site.csv' (expected one of: districts.csv,")
    assert "did you mean 'sites.csv'" in p.message


def test_unknown_yaml_key(tmp_path):
    p = find(load_errors(make_folder(tmp_path, yaml_extra={"setings": {}})), "scenario.yaml", None, "setings")
    assert p.message.startswith("unknown key 'setings' (expected one of: settings, districts,")


def test_missing_required_table(tmp_path):
    p = find(
        load_errors(
            make_folder(tmp_path, {"services": None, "coverage": None, "site_capacities": None, "options": None})
        ),
        "services.csv",
        None,
        None,
    )
    assert "required table 'services' is missing" in p.message


def test_missing_path(tmp_path):
    [p] = load_errors(tmp_path / "nowhere")
    assert p.file == str(tmp_path / "nowhere") and "no such file or folder" in p.message


def test_malformed_yaml(tmp_path):
    folder = make_folder(tmp_path)
    (folder / "scenario.yaml").write_text("settings:\n  name: [unclosed\n  first_year: 2025\n")
    [p] = load_errors(folder)
    assert p.file == "scenario.yaml" and p.message.startswith("invalid YAML at line")


def test_ragged_csv_row(tmp_path):
    folder = make_folder(tmp_path)
    with open(folder / "districts.csv", "a") as f:
        f.write("C,Gamma,1,2,surplus\n")
    [p] = load_errors(folder)
    assert (p.file, p.row) == ("districts.csv", "4") and "5 cells" in p.message


def test_file_that_is_not_a_workbook(tmp_path):
    (tmp_path / "plan.xlsx").write_text("district,name\n")
    [p] = load_errors(tmp_path / "plan.xlsx")
    assert p.file == "plan.xlsx" and "not a readable Excel workbook" in p.message


def test_several_problems_in_different_files_are_reported_together(tmp_path):
    folder = make_folder(
        tmp_path,
        {
            "population": with_row("population", district="A", year=2026, age_band="1-5", persons="many"),
            "budget": with_row("budget", year=2027, opex_cap=-1),
        },
    )
    (folder / "option.csv").write_text("option\n")
    problems = load_errors(folder)
    find(problems, "population.csv", "4", "persons")
    find(problems, "budget.csv", "3", "opex_cap")
    find(problems, "option.csv", None, None)
    assert len(problems) == 3


def test_workbook_problems_name_sheet_and_row(tmp_path):
    from openpyxl import load_workbook

    write_scenario_workbook(load_scenario(make_folder(tmp_path)), tmp_path / "plan.xlsx")
    wb = load_workbook(tmp_path / "plan.xlsx")
    wb["site_capacities"]["C2"] = "lots"  # capacity of the first data row
    settings = wb["scenario"]
    settings_row = next(r[0].row for r in settings.iter_rows(min_row=2) if r[0].value == "discount_rate")
    settings.cell(settings_row, 2, value=0.9)
    wb.create_sheet("Sheet1")
    wb.save(tmp_path / "plan.xlsx")
    problems = load_errors(tmp_path / "plan.xlsx")
    assert find(problems, "plan.xlsx[site_capacities]", "2", "capacity").message == "expected a number, got 'lots'"
    assert (
        find(problems, "plan.xlsx[scenario]", str(settings_row), "discount_rate").message == "must be <= 0.5, got 0.9"
    )
    assert find(problems, "plan.xlsx", None, None).message.startswith("unknown sheet 'Sheet1'")
    assert len(problems) == 3
