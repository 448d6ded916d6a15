"""``allocopt template``: an input scenario to fill in, as a workbook or a folder, that validates
and solves as written, with help on every column, and that never overwrites anything."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import load_workbook

from allocopt.load import SETTINGS_SHEET, load_scenario
from allocopt.scenario import TABLES, Settings
from allocopt.template import example_scenario
from cases import run


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "plan.xlsx"
    res = run("template", str(path))
    assert res.exit_code == 0, res.output
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "plan"
    res = run("template", str(path))
    assert res.exit_code == 0, res.output
    return path


def test_workbook_has_every_table_column_and_help(workbook):
    book = load_workbook(workbook)
    assert book.sheetnames == [SETTINGS_SHEET, *TABLES]
    settings = book[SETTINGS_SHEET]
    assert [c.value for c in settings[1]] == ["key", "value"]
    assert [row[0].value for row in settings.iter_rows(min_row=2)] == list(Settings.model_fields)
    assert all(row[0].comment is not None for row in settings.iter_rows(min_row=2))
    for name, model in TABLES.items():
        head = book[name][1]
        assert [c.value for c in head] == list(model.model_fields), name
        for cell, field in zip(head, model.model_fields.values(), strict=True):
            assert cell.comment is not None and field.description in cell.comment.text, (name, cell.value)
        assert book[name].max_row >= 2, f"{name} has no example row"
    assert "Type: number (0 … 1e+13 SEK)" in book["options"]["K1"].comment.text  # capex: its unit and range


def test_workbook_has_drop_down_lists_on_kinds_and_yes_no(workbook):
    book = load_workbook(workbook)

    def lists(sheet: str) -> dict[str, str]:
        return {str(r.sqref): r.formula1 for r in book[sheet].data_validations.dataValidation if r.type == "list"}

    kind = list(TABLES["options"].model_fields).index("kind")
    options = lists("options")
    assert options[f"{'ABCDEFGHIJ'[kind]}2:{'ABCDEFGHIJ'[kind]}5001"] == '"build,lease,pavilion,expansion,conversion"'
    sites = lists("sites")
    assert '"yes,no"' in sites.values() and '"owned,leased"' in sites.values()
    assert '"spread,opening"' in lists(SETTINGS_SHEET).values()


def test_folder_has_every_table_column_and_a_readme(folder):
    assert (folder / "scenario.yaml").is_file()
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for name, model in TABLES.items():
        with open(folder / f"{name}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == list(model.model_fields), name
        assert len(rows) >= 2, f"{name} has no example row"
        assert f"## `{name}`" in readme
        for column, field in model.model_fields.items():
            assert f"| `{column}` |" in readme and field.description.split("|")[0][:40] in readme
    assert "# Real discount rate per year" in (folder / "scenario.yaml").read_text(encoding="utf-8")


def test_both_formats_load_as_the_example(workbook, folder):
    """The template for a new municipality round-trips: the same tables from either file."""
    assert load_scenario(workbook) == example_scenario()
    assert load_scenario(folder) == example_scenario()


@pytest.mark.parametrize("fixture", ["workbook", "folder"])
def test_validate_accepts_the_template(fixture, request):
    res = run("validate", str(request.getfixturevalue(fixture)))
    assert res.exit_code == 0, res.output
    assert "(0 warning(s))" in res.output


def test_solve_finds_a_plan_for_the_template(workbook, tmp_path):
    """North's children outgrow the site's 95 usable places in 2030: the south preschool is built."""
    res = run("solve", str(workbook), "--time-limit", "20", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["status"] == "optimal"
    with open(tmp_path / "out" / "actions.csv", newline="") as f:
        assert [r["option"] for r in csv.DictReader(f)] == ["south_preschool"]


def test_an_edited_template_still_validates(workbook, tmp_path):
    book = load_workbook(workbook)

    def edit(sheet: str, column: str, value) -> None:
        book[sheet].cell(2, [c.value for c in book[sheet][1]].index(column) + 1).value = value

    edit("population", "persons", 100)  # 85 places in 2026, within the site's 95
    edit("options", "option", "my_build")
    edit("options", "kind", "lease")
    edit("options", "term", 10)  # a lease needs a term ...
    edit("options", "lifetime", None)  # ... and no lifetime
    edit("sites", "may_close", "yes")
    edit("adopted_plan", "option", "my_build")  # the adopted plan names the option by its id and kind
    edit("adopted_plan", "action", "lease")
    book[SETTINGS_SHEET]["B2"] = "Nacka"  # name
    book.save(tmp_path / "mine.xlsx")
    res = run("validate", str(tmp_path / "mine.xlsx"))
    assert res.exit_code == 0, res.output
    scenario = load_scenario(tmp_path / "mine.xlsx")
    assert scenario.settings.name == "Nacka" and scenario.options[0].kind == "lease" and scenario.sites[0].may_close


def test_never_overwrites(workbook, folder, tmp_path):
    before = workbook.read_bytes()
    res = run("template", str(workbook))
    assert res.exit_code == 2 and "exists" in res.output
    assert workbook.read_bytes() == before
    res = run("template", str(folder))
    assert res.exit_code == 2 and "choose an empty or new folder" in res.output
    assert sorted(p.name for p in workbook.parent.iterdir()) == ["plan.xlsx"]  # no temporary file left
    (tmp_path / "empty").mkdir()
    assert run("template", str(tmp_path / "empty")).exit_code == 0  # an empty folder is filled
    assert (tmp_path / "empty" / "scenario.yaml").is_file()


def test_a_bad_suffix_is_refused(tmp_path):
    res = run("template", str(tmp_path / "plan.csv"))
    assert res.exit_code == 2 and ".xlsx" in res.output
    assert list(tmp_path.iterdir()) == []
