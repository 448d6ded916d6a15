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

Every number must be finite and within its column's range (:class:`allocopt.scenario.Range`,
shown in the README's reference). A CSV separated by ';' (Excel in a Swedish locale) is read
with decimal commas in its number columns. Population, housing and demand rows after the
horizon's last year are ignored with one warning per table. What is read is limited (each limit
an error naming the file; :mod:`allocopt.tables_io`): scenario.yaml at most 10 MiB, without
anchors or aliases, nested at most 20 deep; a CSV table at most 200 MiB; a workbook at most
100 MiB; at most 1 000 000 data rows per table. :func:`validate_path` also reports what the
solve would refuse before solving (:mod:`allocopt.refusals`: lock conflicts, demand out of
every facility's reach while unmet demand is forbidden, rows that cannot hold).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from allocopt.scenario import REQUIRED_TABLES, TABLES, Row, Scenario, Settings, number_text, value_range
from allocopt.tables_io import (
    SETTINGS_SHEET, RawTable, ReadError, cell_text, read_csv, read_workbook, read_yaml,
    replace_folder, write_csv, write_xlsx, write_yaml,
)
from allocopt.validate import Problem, ScenarioError, Sources, after_horizon, cross_check

__all__ = ["load_scenario", "validate_path", "write_scenario", "write_workbook"]

YAML_FILE = "scenario.yaml"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario at ``path`` (a scenario folder or an .xlsx workbook).

    Raises :class:`ScenarioError` listing every error (and the warnings found with them).
    Warnings of a scenario that loads are not shown here: see :func:`validate_path`.
    """
    raw = _read(Path(path))
    if _has_errors(raw.problems):
        raise ScenarioError(raw.problems + _partial_cross_check(raw))
    return _build(raw)


def validate_path(path: str | Path) -> list[Problem]:
    """Every problem (errors and warnings) of the scenario at ``path``, without raising.

    Where some rows are invalid, the cross-table checks still run on the valid ones (a
    reference to a row that is itself invalid is not reported twice). An empty list means the
    scenario is sound. A scenario that loads is also indexed and its model built, to report
    what the solve would refuse (:func:`allocopt.refusals.scenario_refusals`) as errors.
    """
    raw = _read(Path(path))
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


def write_workbook(scenario: Scenario, path: str | Path) -> None:
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
    invalid_ids: dict[str, set[str]] = field(default_factory=dict)  # ids of rows that failed validation


ID_COLUMNS = {"districts": "district", "services": "service", "sites": "site", "options": "option"}
"""The id column of each table that other tables refer to."""


def _partial_cross_check(raw: _Raw) -> list[Problem]:
    """Cross-table problems among the rows that are valid on their own (settings must be valid)."""
    if raw.settings is None:
        return []
    scenario = Scenario.model_construct(settings=raw.settings, **{n: raw.tables.get(n, []) for n in TABLES})
    noise = [f"unknown {ID_COLUMNS[t]} '{v}'" for t, ids in raw.invalid_ids.items() for v in ids]
    unread = [t for t in ID_COLUMNS if t not in raw.tables]  # missing, or the file could not be read
    noise += [f"unknown {ID_COLUMNS[t]} '" for t in unread]
    noise.append("at least one ")  # an empty required table: reported again once the rows are fixed
    return [p for p in cross_check(scenario, raw.sources) if not any(p.message.startswith(n) for n in noise)]


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


def _read(path: Path) -> _Raw:
    raw = _Raw()
    if not path.exists():
        raw.problems.append(Problem(str(path), None, None, "no such file or folder"))
    elif path.is_dir():
        _read_folder(path, raw)
    elif path.name == YAML_FILE:
        _read_folder(path.parent, raw)
    elif path.suffix.lower() in WORKBOOK_SUFFIXES:
        _read_workbook(path, raw)
    else:
        raw.problems.append(Problem(str(path), None, None,
                                    "expected a scenario folder (holding scenario.yaml) or an .xlsx workbook"))
    return raw


def _read_folder(folder: Path, raw: _Raw) -> None:
    if not (folder / YAML_FILE).is_file():
        raw.problems.append(Problem(str(folder), None, None, f"no {YAML_FILE} in the scenario folder"))
        return
    try:
        doc = read_yaml(folder / YAML_FILE, YAML_FILE)
    except ReadError as e:
        raw.problems.append(e.problem)
        return
    doc = {} if doc is None else doc
    if not isinstance(doc, dict):
        raw.problems.append(Problem(YAML_FILE, None, None, "expected a mapping with a 'settings:' block at the top level"))
        return

    allowed = ["settings", *TABLES]
    for key in doc:
        if key not in allowed:
            raw.problems.append(Problem(YAML_FILE, None, str(key),
                                        _unknown(str(key), allowed, "key")))
    settings = doc.get("settings")
    if settings is None:
        raw.problems.append(Problem(YAML_FILE, None, "settings",
                                    "missing 'settings:' mapping (name, first_year, last_year, ...)"))
    elif not isinstance(settings, dict):
        raw.problems.append(Problem(YAML_FILE, None, "settings", "expected a mapping of setting: value"))
    else:
        values = {str(k): cell_text(v) for k, v in settings.items()}
        _validate_settings(YAML_FILE, values, {}, raw)

    given: set[str] = set()
    for name in TABLES:
        if doc.get(name) is not None:
            given.add(name)
            _validate_table(name, _inline_table(name, doc[name], raw), raw)

    expected = [f"{name}.csv" for name in TABLES]
    for csv_path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
        name = csv_path.stem
        if name not in TABLES or csv_path.suffix != ".csv":
            raw.problems.append(Problem(csv_path.name, None, None,
                                        _unknown(csv_path.name, expected, "table file")))
        elif name in given:
            raw.problems.append(Problem(csv_path.name, None, None,
                                        f"table '{name}' is given twice: inline in {YAML_FILE} and as "
                                        f"{csv_path.name}; keep one"))
        else:
            given.add(name)
            try:
                _validate_table(name, read_csv(csv_path, csv_path.name), raw)
            except ReadError as e:
                raw.problems.append(e.problem)
    for name in REQUIRED_TABLES:
        if name not in given:
            raw.problems.append(Problem(f"{name}.csv", None, None,
                                        f"required table '{name}' is missing (give {name}.csv or a "
                                        f"'{name}:' list in {YAML_FILE})"))


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


def _read_workbook(path: Path, raw: _Raw) -> None:
    try:
        sheets = read_workbook(path)
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
            raw.problems.append(Problem(path.name, None, None,
                                        _unknown(sheet, expected, "sheet")))
    for name in (SETTINGS_SHEET, *REQUIRED_TABLES):
        if name not in sheets:
            raw.problems.append(Problem(path.name, None, None, f"required sheet '{name}' is missing"))


def _workbook_settings(table: RawTable, raw: _Raw) -> None:
    raw.problems.extend(table.problems)
    if table.header is None or not {"key", "value"} <= set(table.header):
        raw.problems.append(Problem(table.file, "1", None,
                                    "the settings sheet needs the columns 'key' and 'value' in its first row"))
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
        for column, message in _messages(e, Settings, noun="setting"):
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
                raw.problems.append(Problem(table.file, "1", column, _unknown(column, fields, "column")))
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
            if name in ID_COLUMNS and cells.get(ID_COLUMNS[name]):
                raw.invalid_ids.setdefault(name, set()).add(str(cells[ID_COLUMNS[name]]))
            for column, message in _messages(e, model, noun="column"):
                if column in header_missing and message == _MISSING:
                    continue  # reported once for the header
                raw.problems.append(Problem(table.file, label, column, message))


_MISSING = "required value missing"

_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?|\d*,\d+)(?:[eE][+-]?\d+)?")
"""A number as Excel writes it in a Swedish locale: decimal comma, digits grouped by spaces."""


def _decimal_point(value: Any) -> Any:
    """'12,5' -> '12.5', '1 234,5' -> '1234.5' (a ';'-separated CSV's number column); else unchanged."""
    if isinstance(value, str) and _DECIMAL_COMMA.fullmatch(value):
        return re.sub(r"[ \u00a0\u202f]", "", value).replace(",", ".")
    return value


_OUT_OF_RANGE = {"greater_than_equal", "greater_than", "less_than_equal", "less_than", "finite_number",
                 "value_error"}
"""Errors of a value that parsed as a number but is not one the column accepts."""


def _messages(error: ValidationError, model: type[BaseModel], noun: str) -> list[tuple[str | None, str]]:
    """(column, plain message) for each pydantic error; a union's failed branches give one message
    (the number branch's alone when the value was a number out of range: 'must be <= ...')."""
    grouped: dict[str | None, list[dict]] = {}
    for err in error.errors():
        loc = err["loc"]
        column = str(loc[0]) if loc else None
        grouped.setdefault(column, []).append(err)
    out: list[tuple[str | None, str]] = []
    for column, errs in grouped.items():
        branches = [e for e in errs if len(e["loc"]) > 1]
        if len(branches) > 1:
            wanted = [_expected(e) for e in branches]
            number = [e for e in branches if e["type"] in _OUT_OF_RANGE]
            if number:
                others = [w for e, w in zip(branches, wanted) if e not in number and w]
                also = f" (or {' or '.join(others)})" if others else ""
                out.append((column, _message(number[0], model, noun, column) + also))
            elif all(wanted):
                out.append((column, f"expected {' or '.join(wanted)}, got {_quoted(branches[0]['input'])}"))
            else:
                out.append((column, " or ".join(dict.fromkeys(_message(e, model, noun, column) for e in branches))))
            errs = [e for e in errs if len(e["loc"]) <= 1]
        out.extend((column, _message(e, model, noun, column)) for e in errs)
    return out


def _expected(err: dict) -> str | None:
    """What a parse error expected, in words (None when it is not a plain type mismatch)."""
    kind = err["type"]
    if kind in ("float_parsing", "float_type"):
        return "a number"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "true or false (or yes/no, 1/0)"
    if kind == "literal_error":
        return err["ctx"]["expected"]
    if kind == "string_type":
        return "text"
    return None


def _message(err: dict, model: type[BaseModel], noun: str, column: str | None = None) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err["input"]
    fields = list(model.model_fields)
    if kind == "missing":
        return _MISSING if noun == "column" else f"required {noun} missing"
    if kind == "extra_forbidden":
        return _unknown(str(err["loc"][-1]), fields, noun)
    if kind == "finite_number":
        return f"must be a finite number, got {value}"
    bounds = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"),
              "less_than_equal": ("<=", "le"), "less_than": ("<", "lt")}
    if kind in bounds:
        op, key = bounds[kind]
        info = model.model_fields.get(column) if column else None
        spec = value_range(info) if info is not None else None
        unit = f" {spec.unit}" if spec is not None and spec.unit and op in ("<=", "<") else ""
        return f"must be {op} {number_text(ctx[key])}{unit}, got {value}"
    if kind == "value_error":
        return str(ctx.get("error") or err["msg"].removeprefix("Value error, "))
    if kind == "string_too_short":
        return "must not be empty"
    wanted = _expected(err)
    if wanted:
        hint = ""
        if wanted == "a number" and isinstance(value, str) and re.fullmatch(r"-?\d+,\d+", value):
            hint = f" (use a decimal point: '{value.replace(',', '.')}')"
        return f"expected {wanted}, got {_quoted(value)}{hint}"
    return err["msg"]


def _quoted(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _unknown(name: str, allowed: list[str], noun: str) -> str:
    """'unknown column 'x' (expected one of: ...)', with a suggestion for a near miss."""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {noun} '{name}' (expected one of: {', '.join(allowed)}){hint}"
