"""An input scenario to fill in (``allocopt template``): every table and column, with help, and a
few example rows that form a small, valid scenario.

Two formats, the two :func:`allocopt.load_scenario` reads:

- an Excel workbook (``.xlsx``): the ``scenario`` sheet (key, value) and one sheet per table; every
  header cell carries a comment with the column's meaning, type, unit, range and default; kinds
  (the models' ``Literal`` fields) and yes/no columns have drop-down lists (data validation);
- a folder: ``scenario.yaml`` (each setting under a comment saying what it means), one CSV per
  table, and a ``README.md`` listing every table's columns with their meanings.

Everything said about a column comes from the row models of :mod:`allocopt.scenario` (through the
helpers of :mod:`allocopt.docs`), so the template never says other than the README's reference.
The example rows (:func:`example_scenario`) are a scenario of their own: two districts, a preschool
service with demand from the population forecast and a housing plan, elderly care with demand given
directly, one existing site, one build option, a budget row, a distance and a lock. It validates
and solves as written; replace the rows with your own.

Nothing is overwritten: an existing file, or a folder that is not empty, is refused, and what is
written appears in one step (a temporary file or folder, then renamed).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from allocopt.docs import default_text, field_rows, type_name
from allocopt.scenario import (
    TABLES,
    AdoptedAction,
    Budget,
    Coverage,
    Demand,
    Distance,
    District,
    Forecast,
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
from allocopt.units import value_range
from allocopt.writers import excel_value, replace_folder, write_csv

TEMPLATE_SUFFIX = ".xlsx"
"""Suffix of a template workbook; a path without a suffix is a template folder."""

VALIDATED_ROWS = 5000
"""Rows of each table sheet (below the header) that carry the drop-down lists."""

YES_NO = ("yes", "no")
"""How the workbook writes a yes/no (boolean) column; the loader also reads true/false, 1/0."""


def example_scenario() -> Scenario:
    """The template's example rows: a small scenario that validates and solves as it stands.

    Preschool: demand = 0.85 places per child aged 1-5; north's forecast (90 → 105 children) and
    30 new apartments in south in 2028 (0.3 children each) outgrow the existing site's 95 usable
    places (100 × 95 %) in 2030, so the plan builds the south preschool (lead time 2 years).
    Elderly care: 30 → 34 places in north, given directly, within the site's 40 places.
    """
    settings = Settings(
        name="New municipality",
        description="Example rows: replace them with your own figures, then run allocopt validate.",
        first_year=2026,
        last_year=2030,
        currency_year=2025,
    )
    years = settings.years
    return Scenario(
        settings=settings,
        districts=[
            District(district="north", name="North", x_km=0.0, y_km=0.0),
            District(district="south", name="South", x_km=4.0, y_km=3.0),
        ],
        services=[
            Service(service="preschool", name="Preschool", max_km=10.0, utilisation=0.95),
            Service(service="elderly_care", name="Elderly care home", max_km=10.0),
        ],
        coverage=[Coverage(service="preschool", age_band="1-5", rate=0.85)],
        population=[
            Population(district="north", year=y, age_band="1-5", persons=p)
            for y, p in zip(years, (90.0, 92.0, 95.0, 100.0, 105.0), strict=True)
        ],
        housing=[Housing(district="south", year=2028, housing_type="apartment", homes=30.0)],
        housing_types=[HousingType(housing_type="apartment", age_band="1-5", persons_per_home=0.3)],
        demand=[Demand(district="north", service="elderly_care", year=y, places=30.0 + i) for i, y in enumerate(years)],
        sites=[Site(site="north_centre", name="North centre", district="north", opex=2_000_000.0)],
        site_capacities=[
            SiteCapacity(site="north_centre", service="preschool", capacity=100.0),
            SiteCapacity(site="north_centre", service="elderly_care", capacity=40.0),
        ],
        options=[
            Option(
                option="south_preschool",
                name="New preschool, south",
                kind="build",
                district="south",
                service="preschool",
                capacity=60.0,
                capex=40_000_000.0,
                opex=500_000.0,
                lead_time=2,
                lifetime=50,
            )
        ],
        distances=[Distance(from_district="north", to_district="south", km=5.0)],
        budget=[Budget(year=2028, capex_cap=50_000_000.0)],
        locks=[Lock(target="site", id="north_centre", rule="keep_open")],
        forecasts=[
            Forecast(forecast="base", probability=0.7),
            Forecast(forecast="late_housing", probability=0.3, district="south", housing_delay=2),
        ],
        adopted_plan=[AdoptedAction(year=2030, action="build", option="south_preschool")],
    )


def column_help(field: FieldInfo) -> str:
    """What a column means, its type (with unit and range) and its default, as plain text."""
    kind = type_name(field.annotation, value_range(field)).replace("`", "")
    default = default_text(field).replace("*", "").replace("`", "")
    if choices(field) == YES_NO:
        kind = "yes or no (true/false and 1/0 are read too)"
        default = default if field.is_required() else YES_NO[0] if field.default else YES_NO[1]
    return f"{field.description or ''}\nType: {kind}.\nDefault: {default}."


def choices(field: FieldInfo) -> tuple[str, ...] | None:
    """The values a drop-down list offers for ``field``: a kind's (``Literal``) values, yes/no for a
    boolean; None for other columns (numbers, ids, and kinds that may also be a number)."""
    args = [a for a in _union(field.annotation) if a is not type(None)]
    if args == [bool]:
        return YES_NO
    if args and all(get_origin(a) is Literal for a in args):
        return tuple(str(v) for a in args for v in get_args(a))
    return None


def _union(annotation: Any) -> list[Any]:
    """The members of a union type (``a | b | None``), nested unions flattened; else the type alone."""
    if get_origin(annotation) in (Union, UnionType):
        return [x for a in get_args(annotation) for x in _union(a)]
    return [annotation]


def write_template(path: str | os.PathLike) -> Path:
    """Write the template at ``path``: a workbook for ``*.xlsx``, else a folder (a path without a
    suffix). ValueError for any other suffix; FileExistsError when ``path`` is an existing file or a
    folder that is not empty. Returns the path written."""
    path = Path(path)
    if path.suffix.lower() == TEMPLATE_SUFFIX:
        write_template_workbook(path)
    elif path.suffix == "" or path.is_dir():
        write_template_folder(path)
    else:
        raise ValueError(
            f"{path}: expected a workbook name ending in .xlsx, or a folder name without a suffix (got {path.suffix!r})"
        )
    return path


# ---------------------------------------------------------------- the workbook


def write_template_workbook(path: str | os.PathLike) -> None:
    """Write the template as an Excel workbook at ``path`` (refused when the file exists)."""
    from openpyxl import Workbook

    from allocopt.load import SETTINGS_SHEET

    path = Path(path)
    if os.path.lexists(path):
        raise FileExistsError(f"{path} exists; choose a new file name for the template (nothing was written)")
    scenario = example_scenario()
    book = Workbook()
    _settings_sheet(book.active, SETTINGS_SHEET, scenario.settings)
    for name, model in TABLES.items():
        rows = [list(r.model_dump().values()) for r in getattr(scenario, name)]
        _table_sheet(book.create_sheet(name), model, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:16]}.tmp")
    try:
        book.save(tmp)
        _place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _place(tmp: Path, path: Path) -> None:
    """Give the written file ``tmp`` the name ``path`` in one step, never replacing a file there."""
    try:
        os.link(tmp, path)  # fails with FileExistsError when another file took the name meanwhile
    except FileExistsError:
        raise FileExistsError(f"{path} exists; choose a new file name for the template (nothing was written)") from None
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise FileExistsError(f"{path} exists; choose a new file name for the template") from None
        os.replace(tmp, path)


def _settings_sheet(sheet: Any, title: str, settings: Settings) -> None:
    """The settings as key, value rows; help as comments on the keys; lists on the kinds."""
    sheet.title = title
    _header(sheet, ["key", "value"], [None, None])
    for i, (key, value) in enumerate(settings.model_dump().items(), start=2):
        field = Settings.model_fields[key]
        sheet.append([key, excel_value(value)])
        _comment(sheet.cell(i, 1), column_help(field))
        options = choices(field)
        if options:
            _drop_down(sheet, f"B{i}", options)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 40


def _table_sheet(sheet: Any, model: type[BaseModel], rows: list[list[Any]]) -> None:
    """One table: header with help comments, the example rows, lists on kind and yes/no columns."""
    from openpyxl.utils import get_column_letter

    fields = model.model_fields
    _header(sheet, list(fields), [column_help(f) for f in fields.values()])
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for j, (name, field) in enumerate(fields.items(), start=1):
        letter = get_column_letter(j)
        options = choices(field)
        if options:
            _drop_down(sheet, f"{letter}2:{letter}{VALIDATED_ROWS + 1}", options)
        widest = max([len(name) + 3] + [len(str(_cell(r[j - 1]) or "")) for r in rows])
        sheet.column_dimensions[letter].width = min(40, max(10, widest + 2))


def _cell(value: Any) -> Any:
    """A value as the template's cell: yes/no for booleans, else as a workbook holds it."""
    if isinstance(value, bool):
        return YES_NO[0] if value else YES_NO[1]
    return excel_value(value)


def _header(sheet: Any, columns: list[str], helps: list[str | None]) -> None:
    from openpyxl.styles import Font

    sheet.append(columns)
    for cell, text in zip(sheet[1], helps, strict=True):
        cell.font = Font(bold=True)
        if text:
            _comment(cell, text)
    sheet.freeze_panes = "A2"


def _comment(cell: Any, text: str) -> None:
    from openpyxl.comments import Comment

    comment = Comment(text, "allocopt")
    comment.width = 320
    comment.height = 40 + 16 * (len(text) // 45 + text.count("\n"))
    cell.comment = comment


def _drop_down(sheet: Any, cells: str, options: tuple[str, ...]) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    listed = ", ".join(options)
    rule = DataValidation(
        type="list",
        formula1='"' + ",".join(options) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not one of the choices",
        error=f"Choose one of: {listed} (or leave the cell blank for the default).",
    )
    sheet.add_data_validation(rule)
    rule.add(cells)


# ---------------------------------------------------------------- the folder


def write_template_folder(folder: str | os.PathLike) -> None:
    """Write the template as a scenario folder (scenario.yaml, one CSV per table, README.md);
    refused when ``folder`` is a file or a folder that is not empty."""
    from allocopt.load import YAML_FILE

    scenario = example_scenario()

    def fill(tmp: Path) -> None:
        (tmp / YAML_FILE).write_text(settings_yaml(scenario.settings), encoding="utf-8", newline="\n")
        for name, model in TABLES.items():
            rows = [list(r.model_dump().values()) for r in getattr(scenario, name)]
            write_csv(tmp / f"{name}.csv", list(model.model_fields), rows)
        (tmp / "README.md").write_text(template_readme(), encoding="utf-8", newline="\n")

    replace_folder(Path(folder), fill, (), "template")


def settings_yaml(settings: Settings) -> str:
    """scenario.yaml's text: the ``settings:`` mapping, each setting under a comment saying what
    it means (its type and default)."""
    lines = ["# The scenario's settings; the tables are the CSV files beside this one (see README.md).", "settings:"]
    for key, value in settings.model_dump().items():
        for line in column_help(Settings.model_fields[key]).splitlines():
            lines.append(f"  # {line}")
        text = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=False, width=1000).rstrip("\n")
        lines.append(f"  {text}")
    return "\n".join(lines) + "\n"


def template_readme() -> str:
    """README.md of a template folder: how to fill it in, and every table's columns (generated
    from the row models, like the project README's reference)."""
    out = [
        "# Scenario template",
        "",
        "Fill in the tables, then check and solve the scenario:",
        "",
        "    allocopt validate .",
        "    allocopt solve .",
        "",
        "The rows already here are an example that validates and solves as it stands (two districts, "
        "preschool and elderly care, one site, one build option): replace them with your own. A table "
        "you do not need may be left with its header only, or its file deleted (`districts` and "
        "`services` are required). Money is in SEK, places are children, pupils or residents, distances "
        "in km, years are calendar years. A blank cell takes the column's default.",
        "",
        "## `settings` (in scenario.yaml)",
        "",
        *field_rows(Settings),
    ]
    for name, model in TABLES.items():
        doc = (model.__doc__ or "").strip().splitlines()[0]
        out += ["", f"## `{name}` (`{name}.csv`): {doc}", "", *field_rows(model)]
    return "\n".join(out) + "\n"
