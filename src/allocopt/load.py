"""Load a scenario from files, and write one back.

Two formats hold the same scenario:

- a **folder** with ``scenario.yaml`` (a ``settings:`` mapping, and optionally any table inline
  as a list of rows under the table's name) plus one ``<table>.csv`` per other table;
- an **Excel workbook** (``.xlsx``) with one sheet per table and a sheet ``scenario`` with the
  columns ``key`` and ``value`` holding the settings.

Table names are the keys of :data:`allocopt.scenario.TABLES`. Every problem in every file is
collected, located by file, row (as a spreadsheet user counts it: the header is row 1; inline
rows are labelled ``services[3]``) and column, and raised together as one
:class:`~allocopt.validate.ScenarioError`. Problems in a workbook name the sheet as
``plan.xlsx[options]``.

Every number must be finite and within its column's range (:class:`allocopt.units.Range`,
shown in the README's reference). A CSV separated by ';' (Excel in a Swedish locale) is read
with decimal commas in its number columns. Population, housing and demand rows after the
horizon's last year are ignored with one warning per table. What is read is limited
(:class:`allocopt.readers.ReadLimits`, each limit an error naming the file): by default
scenario.yaml at most 10 MiB, without anchors or aliases, nested at most 20 deep; a CSV table at
most 200 MiB; a workbook at most 100 MiB; at most 1 000 000 data rows per table.
:func:`validate_path` also reports what the solve would refuse before solving
(:mod:`allocopt.refusals`: lock conflicts, demand out of every facility's reach while unmet
demand is forbidden, rows that cannot hold).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allocopt.error_messages import MISSING, error_messages, unknown_name
from allocopt.readers import (
    READ_LIMITS,
    RawTable,
    ReadError,
    ReadLimits,
    cell_text,
    read_csv,
    read_workbook,
    read_yaml,
)
from allocopt.scenario import REQUIRED_TABLES, TABLES, Row, Scenario, Settings
from allocopt.units import value_range
from allocopt.validate import ID_TABLES, Partial, Problem, ScenarioError, Sources, after_horizon, cross_check
from allocopt.writers import replace_folder, write_csv, write_xlsx, write_yaml

__all__ = ["ReadLimits", "load_scenario", "validate_path", "write_scenario", "write_scenario_workbook"]

YAML_FILE = "scenario.yaml"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
SETTINGS_SHEET = "scenario"
"""Name of the workbook sheet that holds the settings (columns ``key``, ``value``)."""


def load_scenario(path: str | Path, *, limits: ReadLimits = READ_LIMITS) -> Scenario:
    """Read and validate the scenario at ``path`` (a scenario folder or an .xlsx workbook).

    Raises :class:`ScenarioError` listing every error (and the warnings found with them).
    Warnings of a scenario that loads are not shown here: see :func:`validate_path`.
    ``limits``: the most the files may hold.
    """
    raw = _read(Path(path), limits)
    if _has_errors(raw.problems):
        raise ScenarioError(raw.problems + _partial_cross_check(raw))
    return _build(raw)


def validate_path(path: str | Path, *, limits: ReadLimits = READ_LIMITS) -> list[Problem]:
    """Every problem (errors and warnings) of the scenario at ``path``, without raising.

    Where some rows are invalid, the cross-table checks still run on the valid ones (a
    reference to a row that is itself invalid is not reported twice). An empty list means the
    scenario is sound. A scenario that loads is also indexed and its model built, to report
    what the solve would refuse (:func:`allocopt.refusals.scenario_refusals`) as errors.
    ``limits``: the most the files may hold.
    """
    raw = _read(Path(path), limits)
    if _has_errors(raw.problems):
        return raw.problems + _partial_cross_check(raw)
    try:
        scenario = _build(raw)
    except ScenarioError as e:
        return raw.problems + e.problems
    from allocopt.refusals import scenario_refusals

    return raw.problems + cross_check(scenario, raw.sources) + scenario_refusals(scenario, raw.sources)


def write_scenario(scenario: Scenario, folder: str | Path) -> None:
    """Write ``scenario`` as a folder: scenario.yaml (settings) plus one CSV per non-empty table.

    Columns follow the row model's field order, None is an empty cell, floats are written
    exactly. The folder is filled under a temporary name and renamed into place; an existing
    folder is replaced only if it holds nothing but scenario files.
    """
    allowed = {YAML_FILE} | {f"{name}.csv" for name in TABLES}

    def fill(tmp: Path) -> None:
        write_yaml(tmp / YAML_FILE, {"settings": scenario.settings.model_dump()})
        for name, model in TABLES.items():
            rows = getattr(scenario, name)
            if rows:
                write_csv(tmp / f"{name}.csv", list(model.model_fields), _values(rows))

    replace_folder(Path(folder), fill, allowed)


def write_scenario_workbook(scenario: Scenario, path: str | Path) -> None:
    """Write ``scenario`` as an Excel workbook: sheet ``scenario`` (key, value) plus one sheet
    per table (every table, empty ones with their header only, so the workbook is a template).

    Numbers keep 16 significant digits (openpyxl's limit; Excel itself shows 15), so a float
    needing 17 may come back one unit in the last place off: use :func:`write_scenario` for an
    exact copy. Infinite values are written as the text ``inf``.
    """
    settings = [(k, v) for k, v in scenario.settings.model_dump().items()]
    sheets: dict[str, tuple[list[str], list[list[Any]]]] = {SETTINGS_SHEET: (["key", "value"], settings)}
    for name, model in TABLES.items():
        sheets[name] = (list(model.model_fields), _values(getattr(scenario, name)))
    write_xlsx(Path(path), sheets)


def _values(rows: list[Row]) -> list[list[Any]]:
    return [list(r.model_dump().values()) for r in rows]


# ---------------------------------------------------------------- reading


@dataclass
class _Raw:
    """What the files hold, validated row by row: ready for :class:`Scenario` when error-free."""

    problems: list[Problem] = field(default_factory=list)
    settings: Settings | None = None
    tables: dict[str, list[Row]] = field(default_factory=dict)
    sources: Sources = field(default_factory=dict)
    invalid_ids: dict[str, set[str]] = field(default_factory=dict)  # kind of id -> ids of rows that failed validation


def _partial_cross_check(raw: _Raw) -> list[Problem]:
    """Cross-table problems among the rows that are valid on their own (settings must be valid):
    references to invalid rows, or to a table that is missing or could not be read, left out."""
    if raw.settings is None:
        return []
    scenario = Scenario.model_construct(settings=raw.settings, **{n: raw.tables.get(n, []) for n in TABLES})
    unread = [kind for table, kind in ID_TABLES.items() if table not in raw.tables]
    return cross_check(scenario, raw.sources, Partial(raw.invalid_ids, unread))


def _has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)


def _build(raw: _Raw) -> Scenario:
    """Assemble the scenario; the cross checks raise ScenarioError (not wrapped by pydantic).

    Rows after the horizon (population, housing, demand: a forecast longer than the plan) are
    left out here, with their warnings added to ``raw.problems``.
    """
    assert raw.settings is not None
    later, warnings = after_horizon(raw.tables, raw.settings.last_year, raw.sources)
    raw.problems.extend(warnings)
    for name, drop in later.items():
        keep = [i for i in range(len(raw.tables[name])) if i not in drop]
        raw.tables[name] = [raw.tables[name][i] for i in keep]
        raw.sources[name] = [raw.sources[name][i] for i in keep]
    return Scenario.model_validate({"settings": raw.settings, **raw.tables}, context={"sources": raw.sources})


def _read(path: Path, limits: ReadLimits) -> _Raw:
    raw = _Raw()
    if not path.exists():
        raw.problems.append(Problem(str(path), None, None, "no such file or folder"))
    elif path.is_dir():
        _read_folder(path, raw, limits)
    elif path.name == YAML_FILE:
        _read_folder(path.parent, raw, limits)
    elif path.suffix.lower() in WORKBOOK_SUFFIXES:
        _read_workbook(path, raw, limits)
    else:
        raw.problems.append(
            Problem(str(path), None, None, "expected a scenario folder (holding scenario.yaml) or an .xlsx workbook")
        )
    return raw


def _read_folder(folder: Path, raw: _Raw, limits: ReadLimits) -> None:
    """A scenario folder: scenario.yaml (settings, inline tables), then the CSV tables."""
    if not (folder / YAML_FILE).is_file():
        raw.problems.append(Problem(str(folder), None, None, f"no {YAML_FILE} in the scenario folder"))
        return
    try:
        doc = read_yaml(folder / YAML_FILE, YAML_FILE, limits)
    except ReadError as e:
        raw.problems.append(e.problem)
        return
    doc = {} if doc is None else doc
    if not isinstance(doc, dict):
        raw.problems.append(
            Problem(YAML_FILE, None, None, "expected a mapping with a 'settings:' block at the top level")
        )
        return
    _yaml_settings(doc, raw)
    given = {name for name in TABLES if doc.get(name) is not None}
    for name in TABLES:
        if name in given:
            _validate_table(name, _inline_table(name, doc[name], raw), raw)
    _csv_tables(folder, given, raw, limits)
    for name in REQUIRED_TABLES:
        if name not in given:
            raw.problems.append(
                Problem(
                    f"{name}.csv",
                    None,
                    None,
                    f"required table '{name}' is missing (give {name}.csv or a '{name}:' list in {YAML_FILE})",
                )
            )


def _yaml_settings(doc: dict, raw: _Raw) -> None:
    """The top-level keys of scenario.yaml, and its ``settings:`` mapping."""
    allowed = ["settings", *TABLES]
    for key in doc:
        if key not in allowed:
            raw.problems.append(Problem(YAML_FILE, None, str(key), unknown_name(str(key), allowed, "key")))
    settings = doc.get("settings")
    if settings is None:
        raw.problems.append(
            Problem(YAML_FILE, None, "settings", "missing 'settings:' mapping (name, first_year, last_year, ...)")
        )
    elif not isinstance(settings, dict):
        raw.problems.append(Problem(YAML_FILE, None, "settings", "expected a mapping of setting: value"))
    else:
        values = {str(k): cell_text(v) for k, v in settings.items()}
        _validate_settings(YAML_FILE, values, {}, raw)


def _csv_tables(folder: Path, given: set[str], raw: _Raw, limits: ReadLimits) -> None:
    """Every ``<table>.csv`` of the folder, in name order; adds each table read to ``given``."""
    expected = [f"{name}.csv" for name in TABLES]
    for csv_path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
        name = csv_path.stem
        if name not in TABLES or csv_path.suffix != ".csv":
            raw.problems.append(Problem(csv_path.name, None, None, unknown_name(csv_path.name, expected, "table file")))
        elif name in given:
            raw.problems.append(
                Problem(
                    csv_path.name,
                    None,
                    None,
                    f"table '{name}' is given twice: inline in {YAML_FILE} and as {csv_path.name}; keep one",
                )
            )
        else:
            given.add(name)
            try:
                _validate_table(name, read_csv(csv_path, csv_path.name, limits), raw)
            except ReadError as e:
                raw.problems.append(e.problem)


def _inline_table(name: str, value: Any, raw: _Raw) -> RawTable:
    table = RawTable(file=YAML_FILE)
    if not isinstance(value, list):
        raw.problems.append(Problem(YAML_FILE, None, name, f"table '{name}' must be a list of rows (- column: value)"))
        return table
    for i, row in enumerate(value, start=1):
        label = f"{name}[{i}]"
        if not isinstance(row, dict):
            raw.problems.append(Problem(YAML_FILE, label, None, "expected a mapping of column: value"))
            continue
        cells = {str(k): cell_text(v) for k, v in row.items()}
        table.rows.append((label, {k: v for k, v in cells.items() if v is not None}))
    return table


def _read_workbook(path: Path, raw: _Raw, limits: ReadLimits) -> None:
    try:
        sheets = read_workbook(path, limits)
    except ReadError as e:
        raw.problems.append(e.problem)
        return
    expected = [SETTINGS_SHEET, *TABLES]
    for sheet, table in sheets.items():
        if sheet == SETTINGS_SHEET:
            _workbook_settings(table, raw)
        elif sheet in TABLES:
            _validate_table(sheet, table, raw)
        else:
            raw.problems.append(Problem(path.name, None, None, unknown_name(sheet, expected, "sheet")))
    for name in (SETTINGS_SHEET, *REQUIRED_TABLES):
        if name not in sheets:
            raw.problems.append(Problem(path.name, None, None, f"required sheet '{name}' is missing"))


def _workbook_settings(table: RawTable, raw: _Raw) -> None:
    raw.problems.extend(table.problems)
    if table.header is None or not {"key", "value"} <= set(table.header):
        raw.problems.append(
            Problem(table.file, "1", None, "the settings sheet needs the columns 'key' and 'value' in its first row")
        )
        return
    values: dict[str, Any] = {}
    rows: dict[str, str] = {}
    for label, cells in table.rows:
        key = cells.get("key")
        if key is None:
            raw.problems.append(Problem(table.file, label, "key", "a value without a key"))
        elif key in values:
            raw.problems.append(Problem(table.file, label, str(key), f"setting '{key}' is given twice"))
        else:
            values[key], rows[key] = cells.get("value"), label
    _validate_settings(table.file, values, rows, raw)


# ---------------------------------------------------------------- validation


def _validate_settings(file: str, values: dict[str, Any], rows: dict[str, str], raw: _Raw) -> None:
    given = {k: v for k, v in values.items() if v is not None}
    try:
        raw.settings = Settings.model_validate(given)
    except ValidationError as e:
        for column, message in error_messages(e, Settings, noun="setting"):
            raw.problems.append(Problem(file, rows.get(column) if column else None, column, message))


def _validate_table(name: str, table: RawTable, raw: _Raw) -> None:
    """Validate each row with the table's row model; add rows and their sources to ``raw``."""
    model = TABLES[name]
    fields = list(model.model_fields)
    raw.problems.extend(table.problems)
    header_missing: set[str] = set()
    if table.header is not None and (any(table.header) or table.rows):  # a blank sheet is an empty table
        seen: set[str] = set()
        for column in table.header:
            if not column:
                continue
            if column in seen:
                raw.problems.append(Problem(table.file, "1", column, f"column '{column}' appears twice in the header"))
            elif column not in fields:
                raw.problems.append(Problem(table.file, "1", column, unknown_name(column, fields, "column")))
            seen.add(column)
        header_missing = {f for f, info in model.model_fields.items() if info.is_required() and f not in seen}
        for f in sorted(header_missing, key=fields.index):
            raw.problems.append(Problem(table.file, "1", f, f"required column '{f}' is missing from the header"))

    rows, where = raw.tables.setdefault(name, []), raw.sources.setdefault(name, [])
    numeric = {f for f, info in model.model_fields.items() if value_range(info) is not None}
    for label, cells in table.rows:
        if table.header is not None:
            cells = {k: v for k, v in cells.items() if k in fields}
        if table.decimal_comma:
            cells = {k: _decimal_point(v) if k in numeric else v for k, v in cells.items()}
        try:
            rows.append(model.model_validate(cells))
            where.append((table.file, label))
        except ValidationError as e:
            kind = ID_TABLES.get(name)
            if kind is not None and cells.get(kind):
                raw.invalid_ids.setdefault(kind, set()).add(str(cells[kind]))
            for column, message in error_messages(e, model, noun="column"):
                if column in header_missing and message == MISSING:
                    continue  # reported once for the header
                raw.problems.append(Problem(table.file, label, column, message))


_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d*,\d+)(?:[eE][+-]?\d+)?")
"""A number as Excel writes it in a Swedish locale: decimal comma, digits grouped by spaces."""


def _decimal_point(value: Any) -> Any:
    """'12,5' -> '12.5', '1 234,5' -> '1234.5' (a ';'-separated CSV's number column); else unchanged."""
    if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value):
        return re.sub(r"[ \u00a0\u202f]", "", value).replace(",", ".")
    return value
