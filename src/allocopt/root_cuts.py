"""A root cut loop: strengthen a handed-off model's LP relaxation before HiGHS's MIP search.

HiGHS (1.16) takes no user cuts during its search, so valid inequalities go in as rows before
it starts: :func:`strengthen` solves the LP relaxation of the model HiGHS holds (a copy of it,
integrality dropped), separates the families below on the LP solution, adds the violated rows
to the copy, re-solves from the copy's basis and repeats while the bound moves; then it adds
every separated row to the model HiGHS will search. Each row is a valid inequality: it holds in
every plan with whole-numbered integer columns (models/root_cuts.md gives the reasoning).

Families, separated from the rows of the model's own constraint families, read off HiGHS's
matrix:

- ``pick_link`` (from ``capacity_limit``): ``x_p ≤ Σ_{j ∈ N} x_j`` for a binary ``x_p`` with a
  positive coefficient in a row ``Σ a_j x_j ≤ b``, ``b ≤ 0``, whose negative-coefficient columns
  ``N`` are all integer ``≥ 0``: a single-source assignment ``pick[d,k,s,y]`` needs the facility
  in service.
- ``cover_count`` (from ``capacity_cover`` and ``district_group_cover``): ``Σ_{j ∈ P} x_j ≥ k`` for a
  row ``Σ a_j x_j ≥ b`` whose positive-coefficient columns ``P`` are all integer ``≥ 0``, with
  ``k`` the fewest columns (each up to its upper bound, largest coefficients first) that can reach
  ``b``: the number of facilities a service's demand needs at least.

:class:`RootCutSettings` holds the loop's numbers; :func:`strengthen` returns a
:class:`RootCuts` saying what it added and what the LP bound did.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import highspy

FAMILIES = ("pick_link", "cover_count")
"""The cut families, by the name used here and in models/root_cuts.md."""

COVER_FAMILIES = ("capacity_cover", "district_group_cover")
"""The implied rows that cover demand less unmet demand with capacity (model/build.py)."""

SOURCE_ROWS = {"pick_link": ("capacity_limit",), "cover_count": COVER_FAMILIES}
"""The model's constraint families (Pyomo component names) each cut family is separated from."""

VIOLATION = 1e-6
"""A row counts as violated by the LP solution when it is broken by more than this (model units)."""


@dataclass(frozen=True)
class RootCutSettings:
    """How the root cut loop runs and where: ``RootCutSettings()`` runs it on models of at most
    ``max_nonzeros`` nonzeros; ``families=()`` switches it off (:data:`allocopt.solver.ROOT_CUTS`,
    what ``allocopt.solve`` uses)."""

    families: tuple[str, ...] = FAMILIES
    """The cut families separated (names of :data:`FAMILIES`)."""

    rounds: int = 20
    """LP solves with cuts added at most (the first LP not counted)."""

    min_gain: float = 1e-6
    """The loop stops once a round raises the LP bound by less than this share of the bound."""

    time_share: float = 0.25
    """Share (0-1) of the solve's time limit the loop may take: a safety net, each LP is
    stopped at the loop's deadline and the rows separated so far are kept."""

    rows_per_round: int = 5000
    """Rows added per round at most, the most violated first."""

    max_nonzeros: int = 100_000
    """The loop runs only on models of at most this many nonzeros, whose LP relaxation costs
    little beside HiGHS's search (OR-Library capa's, 400 200 nonzeros, takes most of a two-minute
    time limit by itself: benchmarks/RESULTS.md)."""

    def applies(self, nonzeros: int) -> bool:
        """Whether the loop runs on a model of ``nonzeros`` nonzeros."""
        return bool(self.families) and nonzeros <= self.max_nonzeros


@dataclass
class RootCuts:
    """What the loop did: rows added per family, LP ``rounds`` solved with cuts, the LP bound
    (model units) before the first cut (None: that LP did not finish) and at the last LP that
    finished, and wall ``seconds``."""

    added: dict[str, int] = field(default_factory=dict)
    rounds: int = 0
    lp_bound: float | None = None
    cut_bound: float | None = None
    seconds: float = 0.0


@dataclass
class _Candidates:
    """Cuts ``Σ coef·x ≥ lower`` or ``≤ upper`` waiting for a violated LP solution: per cut, its
    family, its columns and coefficients and its bounds."""

    family: list[str] = field(default_factory=list)
    columns: list[np.ndarray] = field(default_factory=list)
    coefs: list[np.ndarray] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def add(self, family: str, columns: np.ndarray, coefs: np.ndarray, lower: float, upper: float) -> None:
        self.family.append(family)
        self.columns.append(columns)
        self.coefs.append(coefs)
        self.lower.append(lower)
        self.upper.append(upper)

    def violation(self, x: np.ndarray) -> np.ndarray:
        """How much each cut is broken at ``x`` (≤ 0: it holds)."""
        out = np.empty(len(self.family))
        for i, (cols, coefs) in enumerate(zip(self.columns, self.coefs)):
            activity = float(coefs @ x[cols])
            out[i] = max(self.lower[i] - activity, activity - self.upper[i])
        return out


def _integer_columns(lp: Any) -> np.ndarray:
    """Whether each column of ``lp`` is integer (HiGHS's ``kInteger``)."""
    import highspy

    n = lp.num_col_
    kinds = list(lp.integrality_)
    if not kinds:
        return np.zeros(n, dtype=bool)
    return np.array([k == highspy.HighsVarType.kInteger for k in kinds], dtype=bool)


def _pick_link(cand: _Candidates, cols, vals, upper, col_lower, col_upper, integer) -> None:
    """``pick_link`` candidates of one row ``Σ vals·x[cols] ≤ upper``."""
    if upper > 0 or len(cols) < 2:
        return
    if np.any(col_lower[cols] < 0):
        return
    neg = vals < 0
    if not neg.any() or not integer[cols[neg]].all():
        return
    providers = cols[neg]
    binary = (vals > 0) & integer[cols] & (col_upper[cols] <= 1) & (col_lower[cols] >= 0)
    for p in cols[binary]:
        cand.add(
            "pick_link",
            np.concatenate(([p], providers)),
            np.concatenate(([1.0], -np.ones(len(providers)))),
            -math.inf,
            0.0,
        )


def _fewest(coefs: np.ndarray, uppers: np.ndarray, need: float) -> int | None:
    """The fewest whole units (column ``j`` at most ``uppers[j]`` times, worth ``coefs[j]`` each)
    whose worth reaches ``need``; None when even all of them fall short."""
    order = np.argsort(-coefs, kind="stable")
    count, total = 0, 0.0
    for j in order:
        room = uppers[j]
        if not math.isfinite(room):
            return count + max(1, math.ceil((need - total) / coefs[j] - 1e-9))
        take = min(int(room), max(0, math.ceil((need - total) / coefs[j] - 1e-9)))
        count += take
        total += take * coefs[j]
        if total >= need - 1e-9 * max(1.0, abs(need)):
            return count
    return None


def _cover_count(cand: _Candidates, cols, vals, lower, upper, col_lower, col_upper, integer) -> None:
    """``cover_count`` candidate of one row ``lower ≤ Σ vals·x[cols] ≤ upper`` (one side finite)."""
    if math.isfinite(lower):
        sign, rhs = 1.0, lower
    elif math.isfinite(upper):
        sign, rhs = -1.0, -upper
    else:
        return
    a = sign * vals
    pos = a > 0
    if not pos.any():
        return
    if not integer[cols[pos]].all() or np.any(col_lower[cols[pos]] < 0):
        return
    neg_cols = cols[~pos]
    if np.any(~np.isfinite(col_lower[neg_cols])):
        return
    need = rhs - float(a[~pos] @ col_lower[neg_cols])  # Σ_pos a·x ≥ b - Σ_neg a·x ≥ b - Σ_neg a·lower
    if need <= 0:
        return
    k = _fewest(a[pos], col_upper[cols[pos]], need)
    if k is None or k < 1:
        return
    cand.add("cover_count", cols[pos], np.ones(int(pos.sum())), float(k), math.inf)


def _row_wise(lp: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HiGHS's matrix of ``lp`` row by row: (row starts, column indices, values)."""
    import highspy

    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_, dtype=float)
    if a.format_ == highspy.MatrixFormat.kRowwise:
        return start, index, value
    column = np.repeat(np.arange(lp.num_col_), np.diff(start))
    order = np.argsort(index, kind="stable")
    indptr = np.zeros(lp.num_row_ + 1, dtype=np.int64)
    np.cumsum(np.bincount(index, minlength=lp.num_row_), out=indptr[1:])
    return indptr, column[order], value[order]


def candidates(lp: Any, rows_of: dict[str, list[int]], families: tuple[str, ...]) -> _Candidates:
    """Every cut of ``families`` derivable from the rows ``rows_of[name]`` (row indices of the
    model's constraint family ``name``) of the HiGHS ``lp``."""
    indptr, indices, data = _row_wise(lp)
    col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    row_lower, row_upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    integer = _integer_columns(lp)
    cand = _Candidates()
    for family in families:
        for source in SOURCE_ROWS[family]:
            for r in rows_of.get(source, ()):
                start, end = indptr[r], indptr[r + 1]
                cols, vals = indices[start:end], data[start:end]
                if family == "pick_link":
                    _pick_link(cand, cols, vals, row_upper[r], col_lower, col_upper, integer)
                else:
                    _cover_count(cand, cols, vals, row_lower[r], row_upper[r], col_lower, col_upper, integer)
    return cand


def _relaxation(lp: Any, threads: int) -> highspy.Highs:
    """A quiet HiGHS holding ``lp`` with its integrality dropped, on a pool of ``threads``."""
    import highspy

    from allocopt.highs_threads import HIGHS_THREADS

    HIGHS_THREADS.use(threads)
    relax = highspy.Highs()
    relax.setOptionValue("output_flag", False)
    relax.setOptionValue("threads", int(threads))
    relax.passModel(lp)
    relax.setOptionValue("solve_relaxation", True)
    return relax


def _solve(relax: highspy.Highs, deadline: float) -> float | None:
    """Solve ``relax`` until ``deadline`` (perf_counter seconds); its objective, None if unsolved."""
    import highspy

    left = deadline - time.perf_counter()
    if left <= 0:
        return None
    relax.setOptionValue("time_limit", left)
    relax.run()
    if relax.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(relax.getInfo().objective_function_value)


def _add(highs: highspy.Highs, cand: _Candidates, chosen: list[int]) -> None:
    """Add the candidate cuts ``chosen`` to ``highs`` as rows."""
    lower = np.array([cand.lower[i] for i in chosen], dtype=float)
    upper = np.array([cand.upper[i] for i in chosen], dtype=float)
    lower[~np.isfinite(lower)] = -np.inf
    upper[~np.isfinite(upper)] = np.inf
    starts = np.cumsum([0] + [len(cand.columns[i]) for i in chosen[:-1]]).astype(np.int32)
    index = np.concatenate([cand.columns[i] for i in chosen]).astype(np.int32)
    value = np.concatenate([cand.coefs[i] for i in chosen]).astype(float)
    highs.addRows(len(chosen), lower, upper, len(index), starts, index, value)


def strengthen(
    highs: highspy.Highs,
    rows_of: dict[str, list[int]],
    seconds: float,
    threads: int = 1,
    settings: RootCutSettings = RootCutSettings(),
) -> RootCuts:
    """Run the root cut loop on the model ``highs`` holds and add the rows it separates to it.

    ``rows_of``: the row indices in ``highs`` of the model's constraint families by name (those
    of :data:`SOURCE_ROWS`). ``seconds``: wall time the loop may take (each LP stops at that
    deadline). ``threads``: HiGHS threads of the loop's LPs. Never raises for an LP that does
    not solve: the loop ends and keeps the rows found so far.
    """
    began = time.perf_counter()
    deadline = began + max(0.0, seconds)
    lp = highs.getLp()
    cand = candidates(lp, rows_of, settings.families)
    report = RootCuts(added={f: 0 for f in settings.families})
    if not cand.family:
        report.seconds = time.perf_counter() - began
        return report
    relax = _relaxation(lp, threads)
    bound = _solve(relax, deadline)
    report.lp_bound = bound
    taken = np.zeros(len(cand.family), dtype=bool)
    chosen_all: list[int] = []
    while bound is not None and report.rounds < settings.rounds:
        x = np.asarray(relax.getSolution().col_value)
        broken = cand.violation(x)
        broken[taken] = -np.inf
        order = np.argsort(-broken, kind="stable")
        chosen = [int(i) for i in order[: settings.rows_per_round] if broken[i] > VIOLATION]
        if not chosen:
            break
        _add(relax, cand, chosen)
        taken[chosen] = True
        chosen_all += chosen
        report.rounds += 1
        new = _solve(relax, deadline)
        if new is None:
            break
        moved = new - bound > settings.min_gain * max(1.0, abs(bound))
        bound = new
        if not moved:
            break
    report.cut_bound = bound
    if chosen_all:
        _add(highs, cand, chosen_all)
        for i in chosen_all:
            report.added[cand.family[i]] += 1
    report.seconds = time.perf_counter() - began
    return report


def source_rows(model: Any, row: Any, families: tuple[str, ...] = FAMILIES) -> dict[str, list[int]]:
    """The HiGHS row indices of the Pyomo ``model``'s constraint families that ``families`` are
    separated from, by family name; ``row`` maps a Pyomo constraint to its HiGHS row (None: not
    handed over)."""
    out: dict[str, list[int]] = {}
    for family in families:
        for name in SOURCE_ROWS[family]:
            component = getattr(model, name, None)
            if component is None or name in out:
                continue
            out[name] = [r for r in (row(c) for c in component.values()) if r is not None]
    return out
