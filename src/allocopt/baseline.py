"""The do-nothing baseline: what happens if nothing new is built, leased or converted.

:func:`baseline_scenario` is a copy of a scenario in which no option may be taken (new builds,
leases, pavilions, expansions, conversions), each forbidden by a ``forbid`` lock, except the
projects the scenario already commits to: an option a ``force`` lock names stays forced, with one
module (the lock's commitment: at least one module by its year; ``max_modules`` 1). Existing sites
keep their own rules: closures and lease renewals stay decisions as the scenario allows, budget
caps and the other locks stay as they are. Where the scenario forbids unmet demand for a service,
the baseline prices it at :data:`BASELINE_PENALTY` instead, so that a shortfall is a figure rather
than an infeasible plan; the penalty is notional and kept apart from real money. An adopted plan
(allocopt.adopted) is no commitment: the copy has none.

:func:`baseline` solves that copy through the same pipeline as :func:`allocopt.solve` (its plan is
checked by the independent checker under the baseline scenario, as every plan is);
:func:`baseline_difference` says what a plan buys against it: extra place-years served, extra NPV
of real money (:func:`allocopt.headline.key_figures`, penalty apart), SEK per place-year, and the
baseline's shortfall per district, service and year. :func:`save_plan_folder` writes a plan's
result folder with the baseline's in ``baseline/``, the difference in summary.json and the plan's
deviations from an adopted plan (allocopt.adopted), in one step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from allocopt.adopted import DEVIATIONS_FILE
from allocopt.headline import Language, key_figures, msek, number
from allocopt.result import Result, _no_negative_zero
from allocopt.scenario import FORBIDDEN_UNMET_SEK, Lock, Scenario
from allocopt.solver import DEFAULT_MIP_GAP, DEFAULT_THREADS, DEFAULT_TIME_LIMIT
from allocopt.tables import RESULT_FOLDER_FILES

BASELINE_PENALTY = FORBIDDEN_UNMET_SEK
"""SEK per unmet place and year that stands in, in the baseline, for a service whose unmet demand the
scenario forbids (:data:`allocopt.scenario.FORBIDDEN_UNMET_SEK`: the baseline serves every place its
premises can)."""

BASELINE_FOLDER = "baseline"
"""The baseline's result folder inside the plan's (``allocopt solve --baseline``)."""

SHORTFALL_FILE = "shortfall.csv"
"""The baseline's shortfall table in :data:`BASELINE_FOLDER`: district, service, year, demand, unmet (places)."""

BASELINE_FOLDER_FILES: tuple[str, ...] = RESULT_FOLDER_FILES + (SHORTFALL_FILE,)
"""What the baseline's folder may hold: a result folder's files and the shortfall table."""

PLAN_FOLDER_FILES: tuple[str, ...] = RESULT_FOLDER_FILES + (BASELINE_FOLDER, DEVIATIONS_FILE)
"""What a plan's folder written by :func:`save_plan_folder` may hold."""

SHORTFALL_COLUMNS: list[str] = ["district", "service", "year", "demand", "unmet"]
"""Columns of the shortfall table: places demanded and left unmet per district, service and year."""

SERVED_TOLERANCE = 0.05
"""Place-years below which a difference in places served counts as none (the reports' rounding)."""


# ---------------------------------------------------------------- the baseline scenario and its plan


def committed_options(scenario: Scenario) -> set[str]:
    """The options the scenario commits to: those a ``force`` lock names."""
    return {lock.id for lock in scenario.locks if lock.target == "option" and lock.rule == "force"}


def baseline_scenario(scenario: Scenario, *, unmet_penalty: float = BASELINE_PENALTY) -> Scenario:
    """The do-nothing copy of ``scenario`` (see the module's docstring); named ``<name>-baseline``.

    ``unmet_penalty``: SEK per place and year for the services whose unmet demand ``scenario`` forbids.
    """
    committed = committed_options(scenario)
    forbid = [Lock(target="option", id=o.option, rule="forbid") for o in scenario.options if o.option not in committed]
    options = [o.model_copy(update={"max_modules": 1}) if o.option in committed else o for o in scenario.options]
    services = [
        s.model_copy(update={"unmet_penalty": float(unmet_penalty)}) if scenario.unmet_penalty(s.service) is None else s
        for s in scenario.services
    ]
    settings = scenario.settings.model_copy(update={"name": f"{scenario.settings.name}-baseline"})
    return scenario.model_copy(
        update={
            "settings": settings,
            "options": options,
            "services": services,
            "locks": [*scenario.locks, *forbid],
            "adopted_plan": [],
        }
    )


def baseline(
    scenario: Scenario | str | os.PathLike,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    mip_gap: float = DEFAULT_MIP_GAP,
    threads: int = DEFAULT_THREADS,
    unmet_penalty: float = BASELINE_PENALTY,
    **solve_options: Any,
) -> Result:
    """The do-nothing plan of ``scenario`` (a :class:`Scenario` or a path): :func:`allocopt.solve` of
    :func:`baseline_scenario`. ``time_limit`` in seconds, ``mip_gap`` relative (0.005 = 0.5 %),
    ``unmet_penalty`` SEK per place and year where the scenario forbids unmet demand; ``solve_options``
    (first_plan, stop, progress, tee, formulation) go to :func:`allocopt.solve`."""
    from allocopt.load import load_scenario
    from allocopt.pipeline import solve

    scen = scenario if isinstance(scenario, Scenario) else load_scenario(Path(scenario))
    return solve(
        baseline_scenario(scen, unmet_penalty=unmet_penalty),
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        **solve_options,
    )


# ---------------------------------------------------------------- a plan against its baseline


@dataclass(frozen=True)
class BaselineDifference:
    """A plan against its do-nothing baseline. Places in place-years (one place for one year), money
    in SEK of NPV of real money (discounted, the unmet-demand penalty apart)."""

    extra_place_years: float  # the plan serves this many more place-years than the baseline
    extra_npv_real_money: float  # the plan's NPV of real money less the baseline's (SEK)
    sek_per_place_year: float | None  # extra NPV per extra place-year (SEK); None when it serves no more
    plan_unmet_place_years: float
    baseline_unmet_place_years: float
    plan_npv_real_money: float
    baseline_npv_real_money: float
    baseline_status: str
    baseline_gap: float | None
    shortfall: pd.DataFrame  # the baseline's unmet places per district, service and year (SHORTFALL_COLUMNS)

    def sentence(self, lang: Language = "en") -> str:
        """The difference in one sentence, e.g. ``the plan serves 4 310 more place-years for 1 245.0 MSEK
        of NPV, 0.29 MSEK per place-year``."""
        return difference_sentence(self, lang)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (summary.json's ``baseline`` object); the shortfall summed per service and year."""
        per_service_year = (
            self.shortfall.groupby(["service", "year"], as_index=False)[["demand", "unmet"]].sum()
            if len(self.shortfall)
            else pd.DataFrame(columns=["service", "year", "demand", "unmet"])
        )
        return {
            "folder": BASELINE_FOLDER,
            "status": self.baseline_status,
            "gap": self.baseline_gap,
            "unmet_place_years": self.baseline_unmet_place_years,
            "npv_real_money": self.baseline_npv_real_money,
            "plan_unmet_place_years": self.plan_unmet_place_years,
            "plan_npv_real_money": self.plan_npv_real_money,
            "extra_place_years": self.extra_place_years,
            "extra_npv_real_money": self.extra_npv_real_money,
            "sek_per_place_year": self.sek_per_place_year,
            "sentence": self.sentence(),
            "shortfall_by_service_year": [
                {"service": str(r["service"]), "year": int(r["year"]), "unmet": float(r["unmet"])}
                for r in per_service_year.to_dict("records")
            ],
        }


def shortfall(result: Result) -> pd.DataFrame:
    """Places demanded and left unmet per district, service and year where some are unmet (places)."""
    balance = result.balance
    if not len(balance):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SHORTFALL_COLUMNS})
    table = balance[SHORTFALL_COLUMNS].copy()
    for column in ("year", "demand", "unmet"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
    table = table.loc[table["unmet"].fillna(0.0) > 1e-6]
    table["year"] = table["year"].astype(int)
    return table.sort_values(["service", "district", "year"], kind="stable").reset_index(drop=True)


def baseline_difference(plan: Result, base: Result) -> BaselineDifference:
    """What ``plan`` buys against ``base``, its do-nothing baseline (both with a plan): see
    :class:`BaselineDifference`. Raises ValueError when either holds no plan."""
    for which, result in (("the plan", plan), ("the baseline", base)):
        if not result.has_plan:
            raise ValueError(f"{which} holds no plan (status {result.status}): {result.message}")
    ours, theirs = key_figures(plan), key_figures(base)
    extra_places = theirs.unmet_place_years - ours.unmet_place_years
    extra_money = (ours.npv_real_money or 0.0) - (theirs.npv_real_money or 0.0)
    return BaselineDifference(
        extra_place_years=extra_places,
        extra_npv_real_money=extra_money,
        sek_per_place_year=extra_money / extra_places if extra_places >= SERVED_TOLERANCE else None,
        plan_unmet_place_years=ours.unmet_place_years,
        baseline_unmet_place_years=theirs.unmet_place_years,
        plan_npv_real_money=ours.npv_real_money or 0.0,
        baseline_npv_real_money=theirs.npv_real_money or 0.0,
        baseline_status=base.status,
        baseline_gap=theirs.gap,
        shortfall=shortfall(base),
    )


def _money(sek: float, lang: Language, decimals: int) -> str:
    """SEK as MSEK (:func:`allocopt.headline.msek`), or whole SEK below 0.1 MSEK (tiny cases)."""
    if abs(sek) < 1e5:
        return f"{number(sek, lang, 0)} {'kr' if lang == 'sv' else 'SEK'}"
    return msek(sek, lang, decimals)


def difference_sentence(diff: BaselineDifference, lang: Language = "en") -> str:
    """``diff`` in one sentence (English or Swedish): place-years, MSEK of NPV, MSEK per place-year
    (whole SEK for figures below 0.1 MSEK)."""
    sv = lang == "sv"
    money = _money(abs(diff.extra_npv_real_money), lang, 1)
    if diff.extra_npv_real_money >= 0:
        paid = f"för {money} i nuvärde" if sv else f"for {money} of NPV"
    else:
        paid = f"och sparar {money} i nuvärde" if sv else f"and saves {money} of NPV"
    if diff.extra_place_years < SERVED_TOLERANCE:
        served = "planen ger inga fler platsår än att inte göra något" if sv else "the plan serves no more place-years"
        return f"{served} {paid}" if sv else f"{served} than doing nothing {paid}"
    places = number(diff.extra_place_years, lang, 0)
    text = f"planen ger {places} fler platsår {paid}" if sv else f"the plan serves {places} more place-years {paid}"
    if diff.sek_per_place_year is not None and diff.sek_per_place_year > 0:
        per = _money(diff.sek_per_place_year, lang, 2)
        text += f", {per} per platsår" if sv else f", {per} per place-year"
    return text


# ---------------------------------------------------------------- writing a plan with its baseline


def check_writable(target: str | os.PathLike) -> None:
    """:func:`allocopt.report.check_writable` for a plan folder written by :func:`save_plan_folder` (which
    may hold a ``baseline`` folder of result files, and the deviations): raise, naming the folder, when it
    could not be written to ``target``. Call it before a long solve."""
    from allocopt.report import check_writable as check_result_folder
    from allocopt.writers import check_replaceable

    target = Path(target).absolute()
    check_result_folder(target, PLAN_FOLDER_FILES)
    check_replaceable(target / BASELINE_FOLDER, BASELINE_FOLDER_FILES, "baseline results")


def save_plan_folder(
    plan: Result,
    directory: str | os.PathLike,
    *,
    excel: bool = True,
    base: tuple[Result, BaselineDifference] | None = None,
    deviations: tuple[pd.DataFrame, dict] | None = None,
) -> Path:
    """Write ``plan``'s result files into ``directory``, with, when given, its baseline ``base`` (the
    baseline's result into ``directory/baseline`` with :data:`SHORTFALL_FILE`, the difference as
    summary.json's ``baseline`` object) and its ``deviations`` from an adopted plan (the table as
    ``deviations.csv``, its summary as summary.json's ``adopted_plan`` object). Filled beside
    ``directory`` and swapped into place in one step (:func:`allocopt.writers.replace_folder`): a reader
    never sees one without the others. Returns the folder."""
    from allocopt.writers import replace_folder

    def fill(folder: Path) -> None:
        _write(plan, folder, excel, base, deviations)

    return replace_folder(Path(directory).resolve(), fill, PLAN_FOLDER_FILES, "results")


def _write(plan: Result, folder: Path, excel: bool, base, deviations) -> None:
    from allocopt.report import write_csv, write_tables

    summary: dict[str, Any] = {}
    if base is not None:
        result, diff = base
        inner = folder / BASELINE_FOLDER
        inner.mkdir()
        write_tables(result, inner, excel=excel)
        write_csv(diff.shortfall, inner / SHORTFALL_FILE)
        summary["baseline"] = diff.summary()
    if deviations is not None:
        table, about = deviations
        write_csv(table, folder / DEVIATIONS_FILE)
        summary["adopted_plan"] = about
    write_tables(plan, folder, excel=excel, extra=_no_negative_zero(summary))
