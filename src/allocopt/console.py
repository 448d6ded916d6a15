"""The readable terminal summary of a result (rich tables).

Shows status, NPV (discounted total cost), gap, actions per year, unmet demand and budget use
per year. Money is shown in MSEK.

User text (ids, names, messages) never reaches rich as markup: it goes in :class:`~rich.text.Text`
objects or through :func:`rich.markup.escape`, after :func:`visible` has made control characters
visible (an escape byte in an id is shown as ``\\x1b``, never sent to the terminal).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from allocopt.headline import key_figures, place_years

if TYPE_CHECKING:
    from allocopt.result import Result
    from allocopt.validate import Problem

_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_INVISIBLE_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def visible(text: object, *, lines: bool = False) -> str:
    """``text`` with control characters (C0, DEL, C1: ESC, CR, BEL ...) and invisible formatting
    characters (bidirectional overrides, zero-width spaces) written out as ``\\x1b`` or
    ``\\u202e``, so that none reaches the terminal. ``lines=True`` keeps newlines and tabs."""
    pattern = _INVISIBLE_BUT_LINES if lines else _INVISIBLE

    def show(m: re.Match) -> str:
        code = ord(m[0])
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return pattern.sub(show, str(text))


def plain(text: object, style: str = "", *, lines: bool = False) -> Text:
    """User text as a rich Text: shown as it is (no markup, no emoji codes), control characters
    visible (see :func:`visible`)."""
    return Text(visible(text, lines=lines), style=style)


def markup_safe(text: object, *, lines: bool = False) -> str:
    """User text to put inside a rich markup string: visible control characters, ``[`` escaped."""
    return escape(visible(text, lines=lines))


MSEK = 1e6


def _msek(x) -> str:
    """MSEK with one decimal; small figures (below 0.1 MSEK) with four significant digits."""
    if x is None or pd.isna(x):
        return "–"
    return f"{x / MSEK:,.1f}" if abs(x) >= 0.1 * MSEK or x == 0 else f"{x / MSEK:.4g}"


def id_column(table: Table, header: str, ids) -> None:
    """Add a column of ids to ``table`` that is never cut or folded: as wide as its longest id."""
    longest = max((len(visible(i)) for i in ids if isinstance(i, str)), default=1)
    table.add_column(header, no_wrap=True, min_width=min(longest, 60))


def _places(x: float) -> str:
    """Places or place-years as :func:`allocopt.headline.place_years` rounds them: one decimal under
    10, whole numbers above, 0 only when below 0.05."""
    return "0" if x < 0.05 else f"{x:,.1f}" if x < 10 else f"{x:,.0f}"


def _pct(x) -> str:
    return "–" if x is None or pd.isna(x) else f"{100 * x:.0f} %"


def headline(result: Result) -> Table:
    table = Table(title=Text(f"allocopt: {visible(result.scenario)}"), show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    colour = {"optimal": "green", "time_limit": "yellow", "evaluated": "cyan"}.get(result.status, "red")
    status = Text(visible(result.status), style=colour)
    if result.message:
        status.append("  " + visible(result.message))
    table.add_row("status", status)
    if result.objective is not None:
        table.add_row("NPV of cost", f"{_msek(result.objective)} MSEK (discounted)")
    figures = key_figures(result)
    if figures.npv_real_money is not None and figures.penalty_npv:
        table.add_row(
            "of which",
            f"real money {_msek(figures.npv_real_money)} MSEK, unmet-demand penalty (notional, never paid) "
            f"{_msek(figures.penalty_npv)} MSEK",
        )
    if result.has_plan and len(result.party_costs):
        npv = result.party_costs.groupby("party")["discounted"].sum()
        table.add_row(
            "by party",
            f"group {_msek(npv.sum())}, municipality {_msek(npv.get('municipality', 0.0))}, "
            f"property company {_msek(npv.get('property_company', 0.0))} MSEK",
        )
    if result.gap is not None:
        table.add_row("gap", f"{100 * result.gap:.3f} % (bound {_msek(result.bound)} MSEK)")
    table.add_row("solver time", f"{result.solve_seconds:.1f} s")
    if result.settings:
        st = result.settings
        table.add_row(
            "settings",
            f"gap {100 * st['mip_gap']:g} %, time limit {st['time_limit']:g} s, "
            f"{st['threads']} thread(s), {'with' if st['first_plan'] else 'no'} first plan",
        )
    if result.has_plan:
        unmet = float(result.balance["unmet"].sum()) if len(result.balance) else 0.0
        table.add_row("unmet demand", place_years(unmet))
    return table


ACTION_COLUMNS: tuple[str, ...] = (
    "year",
    "action",
    "option / site",
    "district",
    "service",
    "modules",
    "places",
    "capex MSEK",
)
NUMBER_COLUMNS: frozenset[str] = frozenset({"year", "modules", "places", "capex MSEK"})


def _action_cells(row) -> list[str]:
    return [
        str(row.year),
        visible(row.action),
        visible(row.option if isinstance(row.option, str) else row.site),
        visible(row.district),
        visible(row.service if isinstance(row.service, str) else ""),
        "" if pd.isna(row.modules) else f"{int(row.modules)}",
        f"{row.capacity_change:+,.0f}",
        _msek(row.capex),
    ]


def actions_per_year(result: Result, width: int = 120) -> Table:
    """The plan's actions, one row each. Ids are never cut: where the full table does not fit in
    ``width`` columns, each action is one line of text under its year and kind, wrapped between
    words (an id is one word)."""
    rows = [_action_cells(r) for r in result.actions.itertuples(index=False)]
    widths = [max([len(c) for c in column] + [len(h)]) for h, column in zip(ACTION_COLUMNS, zip(*rows) or [()] * 8)]
    table = Table(title="Actions per year", title_justify="left")
    if sum(widths) + 3 * len(widths) + 1 <= width:
        for head, size in zip(ACTION_COLUMNS, widths):
            table.add_column(head, justify="right" if head in NUMBER_COLUMNS else "left", no_wrap=True, min_width=size)
        for cells in rows:
            table.add_row(*map(Text, cells))  # Text: user ids are never read as markup
        return table
    table.add_column("year", justify="right", no_wrap=True)
    table.add_column("action", no_wrap=True, min_width=max([len(r[1]) for r in rows] + [6]))
    table.add_column("option or site · district · service · ×modules · places · capex", overflow="fold")
    for year, action, ident, district, service, modules, places, capex in rows:
        what = [ident, district, service] + ([f"×{modules}"] if modules else [])
        line = " · ".join([w for w in what if w] + [f"{places} places", f"{capex} MSEK"])
        table.add_row(year, Text(action), Text(line))
    return table


FRAME_LABELS: dict[str, str] = {
    "investment_cap": "company capex",
    "borrowing_cap": "company debt",
    "operating_cap": "municipal operating",
    "capex_cap": "group capex",
    "opex_cap": "group opex+rent",
}
"""The frames table's frames as the summary names them (the property company's, the municipality's,
the group's)."""


def budget_per_year(result: Result) -> Table:
    """Both frames' use per year: what each frame counts (MSEK), and its cap and the share used where
    the budget caps it (the group's frames only then), and the unmet places."""
    frames = result.frames
    capped = set(frames.loc[frames["cap"].notna(), "frame"]) if len(frames) else set()
    shown = [f for f in FRAME_LABELS if f not in ("capex_cap", "opex_cap") or f in capped]
    table = Table(title="The two frames per year (MSEK, undiscounted)", title_justify="left")
    table.add_column("year", justify="right")
    for f in shown:
        table.add_column(FRAME_LABELS[f], justify="right")
        if f in capped:
            table.add_column("cap", justify="right")
            table.add_column("use", justify="right")
    table.add_column("unmet places", justify="right")
    unmet = result.balance.groupby("year")["unmet"].sum() if len(result.balance) else pd.Series(dtype=float)
    for y, g in frames.groupby("year") if len(frames) else ():
        g = g.set_index("frame")
        cells = []
        for f in shown:
            cells.append(_msek(g.at[f, "spend"]))
            if f in capped:
                cells += [_msek(g.at[f, "cap"]), _pct(g.at[f, "use"])]
        table.add_row(str(y), *cells, _places(unmet.get(y, 0.0)))
    return table


def unmet_by_service(result: Result, width: int = 120) -> Table | None:
    """Unmet place-years per service and district, with why (``Result.unmet_reasons``: the reason
    of most of its place-years). Service and district share one column, wrapped between them, where
    two columns of whole ids would not leave room for the reason in ``width`` columns."""
    bal = result.balance
    if not len(bal) or bal["unmet"].sum() <= 0:
        return None
    table = Table(title="Unmet demand (place-years)", title_justify="left")
    grouped = bal[bal["unmet"] > 0].groupby(["service", "district"])["unmet"].sum()
    services, districts = grouped.index.get_level_values(0), grouped.index.get_level_values(1)
    longest = max(len(visible(s)) for s in services) + max(len(visible(d)) for d in districts)
    apart = longest + 40 <= width
    if apart:
        id_column(table, "service", services)
        id_column(table, "district", districts)
    else:
        widest = max(len(visible(i)) for i in [*services, *districts])
        table.add_column("service · district", min_width=min(widest + 2, 60))
    table.add_column("place-years", justify="right")
    table.add_column("why (most place-years)")
    reasons = result.unmet_reasons
    for (service, district), value in grouped.items():
        mine = reasons[(reasons["service"] == service) & (reasons["district"] == district)] if len(reasons) else reasons
        why = mine.groupby("reason")["unmet"].sum().idxmax() if len(mine) else ""
        where = [plain(service), plain(district)] if apart else [plain(f"{visible(service)} · {visible(district)}")]
        table.add_row(*where, _places(value), plain(why))
    return table


def dearest_places(result: Result) -> Table | None:
    """The five district-years where one more place costs most with the chosen premises
    (``Result.marginal_costs``), and each frame that binds with its shadow price."""
    from allocopt.marginal import five_dearest

    if not len(result.marginal_costs):
        return None
    table = Table(title="What one more place costs with the chosen premises (SEK, that year)", title_justify="left")
    dearest = five_dearest(result.marginal_costs)
    id_column(table, "district", dearest["district"])
    id_column(table, "service", dearest["service"])
    table.add_column("year", justify="right", no_wrap=True)
    table.add_column("SEK per place", justify="right")
    id_column(table, "cheapest new module", dearest["cheapest_module_option"].fillna("–"))
    table.add_column("SEK per place-year", justify="right")
    for row in dearest.itertuples(index=False):
        module = row.cheapest_module_option if isinstance(row.cheapest_module_option, str) else "–"
        per = "–" if pd.isna(row.cheapest_module_sek_per_place) else f"{row.cheapest_module_sek_per_place:,.0f}"
        table.add_row(
            plain(row.district), plain(row.service), str(row.year), f"{row.sek_per_place:,.0f}", plain(module), per
        )
    caps = binding_caps_in_words(result.binding_caps)
    if caps:
        table.caption = f"binding frames: {caps}"
    return table


def binding_caps_in_words(caps: pd.DataFrame) -> str:
    """The binding frames, each with its years as ranges and its shadow prices (SEK of NPV per SEK
    of frame, the range over those years): ``investment_cap 2026–2028, 2031 (−0.12 to −0.03 SEK
    per SEK)``; empty when none binds."""
    if not len(caps):
        return ""
    binding = caps[caps["binding"].map(lambda b: b is True or b == 1 or str(b).lower() == "true")]
    parts = []
    for frame, rows in binding.groupby("frame", sort=False):
        years, duals = sorted(int(y) for y in rows["year"]), rows["dual_sek_per_sek"].astype(float)
        low, high = duals.min(), duals.max()
        price = f"{low:+.2f}" if abs(high - low) < 0.005 else f"{low:+.2f} to {high:+.2f}"
        parts.append(f"{visible(frame)} {_year_ranges(years)} ({price} SEK per SEK)")
    return "; ".join(parts)


def _year_ranges(years: list[int]) -> str:
    """``[2026, 2027, 2028, 2031]`` as ``2026–2028, 2031``."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def print_result(result: Result, console: Console | None = None) -> None:
    """Print the summary of ``result``."""
    console = console or Console()
    tables = [headline(result)]
    if result.has_plan:
        tables += [actions_per_year(result, console.width), budget_per_year(result)]
        tables += [t for t in (unmet_by_service(result, console.width), dearest_places(result)) if t is not None]
    for table in tables:
        for column in table.columns:  # headers and figures wrap on a narrow terminal, never end in '…'
            if not column.no_wrap:
                column.overflow = "fold"
        console.print(table)


def print_problems(problems: list[Problem], console: Console | None = None) -> None:
    """Print each problem on one line: severity, file, row, column, message."""
    console = console or Console(stderr=True)
    for p in problems:
        colour = "red" if p.severity == "error" else "yellow"
        console.print(plain(p, colour), highlight=False, soft_wrap=True)


class SolveProgress:
    """One live line on a terminal while a solve runs: elapsed time, the best plan, the bound and
    the gap (updated at each HiGHS log line; the clock every half second). A context manager; call
    the object with each :class:`~allocopt.solver.Progress`. On a console that is no terminal it
    shows nothing."""

    def __init__(self, console: Console, what: str = "solving"):
        import time

        from rich.live import Live

        self.console, self.what, self.began = console, what, time.perf_counter()
        self.latest = None
        self.live = Live(self, console=console, refresh_per_second=2, transient=True) if console.is_terminal else None

    def __call__(self, progress) -> None:
        self.latest = progress

    def __rich__(self) -> Text:
        import time

        line = Text(f"{self.what}: {time.perf_counter() - self.began:,.0f} s", style="bold")
        p = self.latest
        if p is None or p.objective is None:
            line.append("  looking for a first plan")
        else:
            line.append(f"  best plan {_msek(p.objective)} MSEK")
        if p is not None and p.bound is not None:
            line.append(f"  bound {_msek(p.bound)} MSEK")
        if p is not None and p.gap is not None:
            line.append(f"  gap {100 * p.gap:.2f} %")
        return line

    def __enter__(self) -> SolveProgress:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)
