"""Plans side by side: :func:`compare` results (the first the reference), :func:`read_result` a saved one.

A :class:`Comparison` holds five tidy tables (money in SEK, places in places):

- ``npv``: one row per plan: its discounted cost split into parts (:data:`NPV_PARTS`), the
  unmet-demand ``penalty`` kept apart from real money (``npv_real = npv - penalty``), the unmet
  place-years, and each figure's difference against the reference (``<figure>_diff``);
- ``frames``: each frame of the budget per year and plan (spend, cap, use);
- ``unmet``: demand and unmet places per plan, service and year (long: one row each);
- ``closed``: the sites each plan closes, and the year;
- ``changes``: the actions of each plan that differ from the reference's.

:meth:`Comparison.save` writes ``comparison.xlsx`` and one CSV per table into a folder, atomically.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from allocopt.check.reading import FLAG_COLUMNS, NUMERIC_COLUMNS, TEXT_COLUMNS, numeric
from allocopt.result import Result
from allocopt.tables import CHANGE_COLUMNS, CLOSURES, OPTIONAL_TABLES, TABLE_COLUMNS
from allocopt.writers import escape_formula, excel_value, mark_text_cells, replace_folder, unescape_formula

NPV_PARTS: dict[str, int] = {
    "capex": 1,
    "opex": 1,
    "rent": 1,
    "closure_cost": 1,
    "sale": -1,
    "vacancy_cost": 1,
    "relet_income": -1,
    "travel": 1,
    "residual": -1,
}
"""The NPV's parts of real money and the sign each enters it with: costs +1, incomes (sale, relet
income, residual value) -1. Each is shown discounted and as a positive amount; with the unmet-demand
penalty they sum to the NPV: ``npv = Σ sign · part + penalty``."""

DIFFERENCES: tuple[str, ...] = ("objective", "npv", *NPV_PARTS, "penalty", "npv_real", "unmet_place_years")
"""Figures of the ``npv`` table whose difference against the reference is given (``<figure>_diff``)."""

COLUMNS: dict[str, list[str]] = {
    "npv": [
        "plan",
        "scenario",
        "status",
        "objective",
        "gap",
        "npv",
        *NPV_PARTS,
        "penalty",
        "npv_real",
        "npv_municipality",
        "npv_property_company",
        "unmet_place_years",
        *(f"{f}_diff" for f in DIFFERENCES),
    ],
    "frames": ["plan", "year", "frame", "party", "spend", "cap", "use"],
    "unmet": ["plan", "service", "year", "demand", "unmet"],
    "closed": ["plan", "site", "district", "year", "action", "closure_cost", "sale_value"],
    "changes": ["plan", *CHANGE_COLUMNS],
}
"""Columns of each comparison table. Money in SEK (npv: discounted; frames, closed: undiscounted);
``use`` = spend / cap; ``unmet`` and ``demand`` in places; years are calendar years. ``change`` is
``added`` (only the plan takes it), ``removed`` (only the reference), ``moved`` (another year:
``from_year`` the reference's, ``to_year`` the plan's) or ``resized`` (same year, other modules)."""

COMPARISON_FILES: tuple[str, ...] = tuple(f"{t}.csv" for t in COLUMNS) + ("comparison.xlsx",)
"""Files :meth:`Comparison.save` writes into its folder."""

COMPARISON_FOLDER_FILES: tuple[str, ...] = COMPARISON_FILES + ("report.html",)
"""What a comparison folder may hold and a new comparison replaces: its files and the HTML report."""


class CompareError(ValueError):
    """Results that cannot be compared (no plan, names that do not fit), or a folder that is no result."""


@dataclass
class Comparison:
    """Plans side by side, the first the reference: see the module's docstring and :data:`COLUMNS`."""

    npv: pd.DataFrame
    frames: pd.DataFrame
    unmet: pd.DataFrame
    closed: pd.DataFrame
    changes: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in a fixed order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def save(self, directory: str | os.PathLike) -> Path:
        """Write one CSV per table (SEK; text that looks like a formula gets a leading ``'``) and
        ``comparison.xlsx`` (one sheet per table, money shown in MSEK, shares as percentages) into
        ``directory``, filled beside it and swapped into place in one step
        (:func:`allocopt.writers.replace_folder`). Returns the folder."""
        return replace_folder(Path(directory), self._write, COMPARISON_FOLDER_FILES, "comparison")

    def _write(self, folder: Path) -> None:
        for name, table in self.tables().items():
            text = table.map(lambda v: escape_formula(v) if isinstance(v, str) else v)
            text.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        write_workbook(self.tables(), folder / "comparison.xlsx")


# ---------------------------------------------------------------- comparing


def compare(*results: Result, names: list[str] | tuple[str, ...] | None = None) -> Comparison:
    """Compare the plans of ``results`` (two or more), the first the reference.

    ``names`` labels them (default ``plan 1``, ``plan 2`` ...); they must be distinct. Raises
    :class:`CompareError` for a result without a plan (infeasible, error).
    """
    if len(results) < 2:
        raise CompareError(f"compare needs two plans or more, got {len(results)}")
    names = [f"plan {i + 1}" for i in range(len(results))] if names is None else [str(n) for n in names]
    if len(names) != len(results):
        raise CompareError(f"{len(names)} name(s) for {len(results)} plan(s)")
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise CompareError(f"plan names must be distinct and not blank: {', '.join(names)}")
    for name, result in zip(names, results):
        if not result.has_plan:
            raise CompareError(f"{name} holds no plan (status {result.status}): nothing to compare")
    npv = pd.DataFrame([npv_row(name, r) for name, r in zip(names, results)])
    for figure in DIFFERENCES:
        npv[f"{figure}_diff"] = npv[figure] - npv.at[0, figure]
    reference = results[0].actions
    return Comparison(
        npv=npv[COLUMNS["npv"]],
        frames=_stack("frames", names, results, frames_of),
        unmet=_stack("unmet", names, results, unmet_of),
        closed=_stack("closed", names, results, closed_of),
        changes=_changes_of(reference, names, results),
    )


def npv_row(name: str, result: Result) -> dict:
    """The ``npv`` table's row of one plan (without the differences).

    Each part is ``Σ discount_factor · part`` over the years; the residual value, discounted with the
    end factor, is what the costs table's ``discounted`` column leaves: ``Σ (discount_factor · (other
    parts + penalty) − discounted)``, so that the parts sum exactly to ``npv = Σ discounted``.
    """
    costs = numeric(result.costs, [c for c in TABLE_COLUMNS["costs"]]).fillna(0.0)
    factor = costs["discount_factor"]
    row: dict = {"plan": name, "scenario": result.scenario, "status": result.status}
    row["objective"] = math.nan if result.objective is None else float(result.objective)
    row["gap"] = math.nan if result.gap is None else float(result.gap)
    row["npv"] = float(costs["discounted"].sum())
    flows = [p for p in NPV_PARTS if p != "residual"] + ["penalty"]
    for part in flows:
        row[part] = float((factor * costs[part]).sum())
    before_residual = sum(NPV_PARTS.get(p, 1) * factor * costs[p] for p in flows)
    row["residual"] = float((before_residual - costs["discounted"]).sum()) if len(costs) else 0.0
    row["npv_real"] = row["npv"] - row["penalty"]
    by_party = numeric(result.party_costs, ["discounted"]).groupby("party")["discounted"].sum()
    row["npv_municipality"] = float(by_party.get("municipality", 0.0))
    row["npv_property_company"] = float(by_party.get("property_company", 0.0))
    balance = numeric(result.balance, ["unmet"])
    row["unmet_place_years"] = float(balance["unmet"].sum()) if len(balance) else 0.0
    return row


def frames_of(result: Result) -> pd.DataFrame:
    """Each frame of the budget per year: spend, cap, use (SEK; use a share)."""
    return numeric(result.frames, ["year", "spend", "cap", "use"])


def unmet_of(result: Result) -> pd.DataFrame:
    """Demand and unmet places per service and year (summed over districts)."""
    balance = numeric(result.balance, ["year", "demand", "unmet"])
    return balance.groupby(["service", "year"], as_index=False)[["demand", "unmet"]].sum()


def closed_of(result: Result) -> pd.DataFrame:
    """The sites the plan closes: first closed year, closure cost and sale value (SEK)."""
    actions = numeric(result.actions, ["year", "closure_cost", "sale_value"])
    return actions.loc[actions["action"].isin(CLOSURES)].sort_values(["year", "site"], kind="stable")


def _stack(table: str, names, results, table_of) -> pd.DataFrame:
    """``table_of`` of every result, one below the other, with the plan's name in front."""
    columns = COLUMNS[table]
    parts = [table_of(r).assign(plan=name).reindex(columns=columns) for name, r in zip(names, results)]
    parts = [p for p in parts if len(p)]
    stacked = pd.concat(parts, ignore_index=True) if parts else _empty_from(columns)
    stacked["year"] = stacked["year"].astype("Int64")
    return stacked


def changes(reference: pd.DataFrame, plan: pd.DataFrame, name: str) -> pd.DataFrame:
    """The actions of ``plan`` that differ from ``reference``'s (both actions tables), for plan ``name``.

    Openings (and ``extend`` rows, as openings of action extend) are matched by action and option,
    closures by site. Years both take: ``resized`` where the modules differ. Of the years only one
    takes, the earliest of each are paired as ``moved`` (reference year → plan year; the modules
    may differ too), the rest are ``removed`` (reference only) or ``added`` (plan only).
    """
    ref, new = _decisions(reference), _decisions(plan)
    rows = []
    for key in sorted(set(ref) | set(new), key=lambda k: tuple(map(str, k))):
        before, after = ref.get(key, {}), new.get(key, {})
        for year in sorted(set(before) & set(after)):
            if not _same_modules(before[year]["modules"], after[year]["modules"]):
                rows.append(_change(name, "resized", before[year], after[year]))
        gone = sorted(set(before) - set(after))
        came = sorted(set(after) - set(before))
        for old, young in zip(gone, came):
            rows.append(_change(name, "moved", before[old], after[young]))
        rows += [_change(name, "removed", before[y], None) for y in gone[len(came) :]]
        rows += [_change(name, "added", None, after[y]) for y in came[len(gone) :]]
    return pd.DataFrame(rows, columns=COLUMNS["changes"])


def _same_modules(a, b) -> bool:
    """Whether two rows' modules agree (closures have none: blank on both sides agrees)."""
    return (_blank(a) and _blank(b)) or a == b


def _changes_of(reference: pd.DataFrame, names: list[str], results: tuple[Result, ...]) -> pd.DataFrame:
    parts = [changes(reference, r.actions, name) for name, r in zip(names[1:], results[1:])]
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else _empty("changes")
    for column in ("from_year", "to_year", "from_modules", "to_modules"):
        out[column] = out[column].astype("Int64")
    return out


def _decisions(actions: pd.DataFrame) -> dict[tuple, dict[int, dict]]:
    """{(kind, id): {year: row}}: kind ``close`` (closures, id the site) or the opening's action."""
    table = numeric(actions, ["year", "modules"])
    out: dict[tuple, dict[int, dict]] = {}
    for row in table.to_dict("records"):
        key = ("close", row["site"]) if row["action"] in CLOSURES else (row["action"], row["option"])
        out.setdefault(key, {})[int(row["year"])] = row
    return out


def _change(name: str, change: str, before: dict | None, after: dict | None) -> dict:
    shown = after if after is not None else before
    assert shown is not None

    def modules(row: dict | None):
        return None if row is None or row["action"] in CLOSURES or _blank(row["modules"]) else int(row["modules"])

    return {
        "plan": name,
        "change": change,
        "action": shown["action"],
        "option": None if _blank(shown.get("option")) else shown["option"],
        "site": None if _blank(shown.get("site")) else shown["site"],
        "district": None if _blank(shown.get("district")) else shown["district"],
        "service": None if _blank(shown.get("service")) else shown["service"],
        "from_year": None if before is None else int(before["year"]),
        "to_year": None if after is None else int(after["year"]),
        "from_modules": modules(before),
        "to_modules": modules(after),
    }


def locks_cost(with_locks: Result, without: Result) -> tuple[float, float, float]:
    """What the locks cost: ``(objective with − objective without, low, high)`` in SEK.

    The true optima lie between each solve's bound and objective, so the cost lies in
    ``[bound_with − objective_without, objective_with − bound_without]``; locks only remove plans,
    so it is never below 0 (low is raised to 0). Without a bound, the objective stands for it.
    """
    for result, which in ((with_locks, "with"), (without, "without")):
        if result.objective is None:
            raise CompareError(f"no plan {which} the locks (status {result.status}): {result.message}")
    obj_with, obj_without = float(with_locks.objective), float(without.objective)
    bound_with = obj_with if with_locks.bound is None else float(with_locks.bound)
    bound_without = obj_without if without.bound is None else float(without.bound)
    cost = obj_with - obj_without
    return cost, max(0.0, bound_with - obj_without), obj_with - bound_without


# ---------------------------------------------------------------- reading a result folder


def read_result(folder: str | os.PathLike) -> Result:
    """The :class:`~allocopt.Result` a result folder holds (``summary.json`` and the tables' CSVs, as
    :func:`allocopt.report.save` writes them): ids as text (formula escapes undone), figures as numbers.

    Raises FileNotFoundError when the folder or one of its files is missing, :class:`CompareError`
    when ``summary.json`` cannot be read. ``solver_log`` is not saved, so it comes back empty.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no result folder {folder}")
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"{folder} is not a result folder: it has no summary.json")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict) or "status" not in summary:
            raise ValueError("no status")
    except (ValueError, UnicodeDecodeError) as exc:
        raise CompareError(f"cannot read {summary_path}: {exc}") from None
    tables = {name: _read_table(folder, name) for name in TABLE_COLUMNS}
    keys = (
        "objective",
        "bound",
        "gap",
        "message",
        "solve_seconds",
        "timings",
        "model_size",
        "settings",
        "scenario_settings",
    )
    return Result(
        scenario=str(summary.get("scenario", folder.name)),
        status=summary["status"],
        violations=list(summary.get("violations", [])),
        stopped_by=summary.get("stopped_by"),
        **{k: summary[k] for k in keys if k in summary and summary[k] is not None},
        **tables,
    )


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    if not path.is_file() and name in OPTIONAL_TABLES:  # a folder written by an earlier allocopt
        return pd.DataFrame(columns=TABLE_COLUMNS[name])
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a whole result folder: {path.name} is missing")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = numeric(raw, [c for c in NUMERIC_COLUMNS[name] if c in raw])
    for column in raw.columns:
        if column in TEXT_COLUMNS or column not in NUMERIC_COLUMNS[name]:
            table[column] = raw[column].map(lambda v: unescape_formula(v) if v != "" else None)
    for column in FLAG_COLUMNS & set(raw.columns):  # written True/False
        table[column] = raw[column].str.strip().str.lower().map({"true": True, "false": False, "1": True, "0": False})
    for column in ("year", "modules", "decision_year", "open"):
        if column in table:
            table[column] = table[column].astype("Int64") if table[column].isna().any() else table[column].astype(int)
    return table


# ---------------------------------------------------------------- the workbook

MONEY_FORMAT = "#,##0.0,,;-#,##0.0,,;0"
"""SEK shown as MSEK with one decimal (the cell keeps SEK)."""

FORMATS: dict[str, str] = {
    "gap": "0.000%",
    "use": "0.0%",
    "demand": "#,##0",
    "unmet": "#,##0",
    "unmet_place_years": "#,##0",
    "unmet_place_years_diff": "#,##0",
}
"""Number formats of the workbook's non-money figures; every other number not a year is money."""

NOT_MONEY = {"year", "from_year", "to_year", "from_modules", "to_modules", *FORMATS}


def write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per table: bold header naming money columns ``(MSEK)``, columns sized to fit, money
    formatted as MSEK (the cells hold SEK), shares as percentages; text stored as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from allocopt.report import FIXED_TIME

    book = Workbook()
    book.remove(book.active)
    for name, table in tables.items():
        sheet = book.create_sheet(name)
        money = [c for c in table.columns if c not in NOT_MONEY and pd.api.types.is_numeric_dtype(table[c])]
        sheet.append([f"{c} (MSEK)" if c in money else c for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for record in table.itertuples(index=False):
            sheet.append([None if _blank(v) else excel_value(_plain(v)) for v in record])
        for j, column in enumerate(table.columns, start=1):
            form = MONEY_FORMAT if column in money else FORMATS.get(column)
            if form:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = form
            widest = max([len(str(sheet.cell(1, j).value))] + [len(str(v)) for v in table[column].head(500)])
            sheet.column_dimensions[get_column_letter(j)].width = min(60, max(8, widest + 2))
        mark_text_cells(sheet)
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.save(path)


def _plain(value):
    """numpy scalars as Python numbers (openpyxl writes those)."""
    return value.item() if hasattr(value, "item") else value


def _blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _empty(name: str) -> pd.DataFrame:
    return _empty_from(COLUMNS[name])


def _empty_from(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
