"""Rewrite the plan's figures in this folder's README.md from a result folder of `allocopt solve`
(with its do-nothing baseline), one of `allocopt robust` and one with an adopted plan.

    allocopt solve scenarios/sodertalje --baseline --out /tmp/sodertalje
    allocopt robust scenarios/sodertalje --out /tmp/sodertalje-robust
    python scenarios/sodertalje/plan_tables.py /tmp/sodertalje --robust /tmp/sodertalje-robust \\
        --adopted /tmp/sodertalje-adopted   # see README.md, "The adopted plan"

Each table sits between ``<!-- plan_tables.py:NAME start -->`` and ``<!-- plan_tables.py:NAME end -->``
in README.md and is written from the results' files only (summary.json, actions.csv,
party_costs.csv, frames.csv, baseline/shortfall.csv; robust.json, figures.csv, variants.csv,
committed.csv and each variant's actions.csv; deviations.csv), so the README's figures are the
results', to the rounding shown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from allocopt.robust import committed_actions

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
MSEK = 1e6


def msek(x: float) -> str:
    """MSEK with one decimal and a thin space between thousands (as the README writes numbers)."""
    return f"{x / MSEK:,.1f}".replace(",", " ")


def headline(folder: Path) -> str:
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    party = pd.read_csv(folder / "party_costs.csv").groupby("party")["discounted"].sum()
    rows = [
        ("status", s["status"]),
        ("objective (NPV, consolidated)", f"{msek(s['objective'])} MSEK"),
        ("bound, gap", f"{msek(s['bound'])} MSEK, {100 * s['gap']:.2f} %"),
        ("NPV paid by the municipality", f"{msek(party['municipality'])} MSEK"),
        ("NPV of the property company", f"{msek(party['property_company'])} MSEK"),
        ("unmet demand", f"{s['unmet_place_years']:.1f} place-years"),
        ("investment (undiscounted, both parties)", f"{msek(s['capex_total'])} MSEK"),
    ]
    return "| figure | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)


def frames(folder: Path) -> str:
    f = pd.read_csv(folder / "frames.csv")
    wide = f.pivot(index="year", columns="frame", values="spend")
    cap = f.pivot(index="year", columns="frame", values="cap")
    use = f.pivot(index="year", columns="frame", values="use")
    lines = [
        "| year | company capex | company cap | use | company debt | municipal operating | of which internal rent |",
        "|---|---|---|---|---|---|---|",
    ]
    party = pd.read_csv(folder / "party_costs.csv")
    rent = party[party["party"] == "municipality"].set_index("year")["internal_rent"]
    for y in wide.index:
        c, u = cap.at[y, "investment_cap"], use.at[y, "investment_cap"]
        cells = [
            str(y),
            msek(wide.at[y, "investment_cap"]),
            "–" if pd.isna(c) else msek(c),
            "–" if pd.isna(u) else f"{100 * u:.0f} %",
            msek(wide.at[y, "borrowing_cap"]),
            msek(wide.at[y, "operating_cap"]),
            msek(rent[y]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def actions(folder: Path) -> str:
    a = pd.read_csv(folder / "actions.csv")
    lines = ["| action | rows | modules | places | first year | last year |", "|---|---|---|---|---|---|"]
    for kind, g in a.groupby("action", sort=True):
        modules = "–" if g["modules"].isna().all() else f"{g['modules'].sum():.0f}"
        places = f"{g['capacity_change'].sum():+.0f}"
        lines.append(f"| {kind} | {len(g)} | {modules} | {places} | {g['year'].min()} | {g['year'].max()} |")
    return "\n".join(lines)


def _interval(low: float, high: float) -> str:
    return "–" if pd.isna(low) or pd.isna(high) else f"{msek(low)} … {msek(high)}"


def robust_figures(folder: Path) -> str:
    f = pd.read_csv(folder / "figures.csv")
    lines = ["| figure | MSEK | proven interval, MSEK | status |", "|---|---|---|---|"]
    for r in f.itertuples(index=False):
        value = "–" if pd.isna(r.value) else msek(r.value)
        lines.append(f"| {r.figure} | {value} | {_interval(r.low, r.high)} | {r.status} |")
    return "\n".join(lines)


def robust_variants(folder: Path) -> str:
    v = pd.read_csv(folder / "variants.csv")
    lines = [
        "| forecast | probability | cost with the robust plan, MSEK | its own optimum, MSEK | unmet place-years |",
        "|---|---|---|---|---|",
    ]
    for r in v.itertuples(index=False):
        own = "–" if pd.isna(r.own_optimum) else msek(r.own_optimum)
        lines.append(f"| {r.forecast} | {r.probability:g} | {msek(r.cost)} | {own} | {r.unmet_place_years:,.1f} |")
    return "\n".join(lines)


OPENINGS = ("build", "lease", "pavilion", "expansion", "conversion")


def _key(r) -> str:
    return r.option if isinstance(r.option, str) else r.site


def robust_committed(folder: Path, base: Path) -> str:
    """Each option or site acted on by the commit year in the robust plan or the base plan
    (``allocopt solve``): the years and places of each plan's actions on it, side by side."""
    c = int(json.loads((folder / "robust.json").read_text(encoding="utf-8"))["commit_until"])
    plans = {
        "robust": pd.read_csv(folder / "committed.csv"),
        "base": committed_actions(pd.read_csv(base / "actions.csv"), c),
    }
    cells: dict[tuple[str, str], dict[str, list[str]]] = {}
    for plan, a in plans.items():
        for r in a[a["action"] != "extend"].sort_values("year", kind="mergesort").itertuples(index=False):
            cells.setdefault((r.action, _key(r)), {}).setdefault(plan, []).append(f"{r.year} {r.capacity_change:+.0f}")
    lines = ["| action | option or site | robust plan: year, places | base plan: year, places |", "|---|---|---|---|"]
    for (action, key), got in sorted(cells.items()):
        robust, plain = (", ".join(got.get(p, ["–"])) for p in plans)
        mark = "" if robust == plain else " **≠**"
        lines.append(f"| {action} | {key} | {robust} | {plain}{mark} |")
    total = {p: a.loc[a["action"].isin(OPENINGS), "capacity_change"].sum() for p, a in plans.items()}
    ext = {p: int(a.loc[a["action"] == "extend", "modules"].sum()) for p, a in plans.items()}
    lines.append(f"| all openings | places | {total['robust']:+.0f} | {total['base']:+.0f} |")
    lines.append(f"| extend | pavilion module-years | {ext['robust']} | {ext['base']} |")
    return "\n".join(lines)


def robust_adapts(folder: Path) -> str:
    """Per variant: what its plan opens after the commit year, by kind (places), and unmet demand."""
    c = int(json.loads((folder / "robust.json").read_text(encoding="utf-8"))["commit_until"])
    v = pd.read_csv(folder / "variants.csv")
    lines = [
        f"| forecast | places opened after {c} | of which pavilions | extension module-years after {c} "
        "| unmet place-years |",
        "|---|---|---|---|---|",
    ]
    for r in v.itertuples(index=False):
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in r.forecast) or "variant"
        a = pd.read_csv(folder / safe / "actions.csv")
        later = a[~a.index.isin(committed_actions(a.assign(row=a.index), c)["row"])]
        opened = later[later["action"].isin(OPENINGS)]
        pav = opened[opened["action"] == "pavilion"]["capacity_change"].sum()
        ext = later[later["action"] == "extend"]["modules"].sum()
        lines.append(
            f"| {r.forecast} | {opened['capacity_change'].sum():+.0f} | {pav:+.0f} | {ext:.0f} "
            f"| {r.unmet_place_years:,.1f} |"
        )
    return "\n".join(lines)


def baseline(folder: Path) -> str:
    """The plan against its do-nothing baseline (``allocopt solve --baseline``: summary.json's ``baseline``)."""
    b = json.loads((folder / "summary.json").read_text(encoding="utf-8"))["baseline"]
    per = b["sek_per_place_year"]
    rows = [
        ("NPV of real money, MSEK", msek(b["plan_npv_real_money"]), msek(b["npv_real_money"])),
        (
            "unmet demand, place-years",
            f"{b['plan_unmet_place_years']:,.1f}".replace(",", " "),
            f"{b['unmet_place_years']:,.1f}".replace(",", " "),
        ),
    ]
    lines = ["| | recommended plan | do nothing |", "|---|---|---|"]
    lines += [f"| {a} | {x} | {y} |" for a, x, y in rows]
    lines.append("")
    lines.append(
        f"The plan serves {b['extra_place_years']:,.0f} more place-years for {msek(b['extra_npv_real_money'])} MSEK "
        f"of NPV: {'–' if per is None else f'{per:,.0f}'} SEK per place-year.".replace(",", " ")
    )
    return "\n".join(lines)


SHORTFALL_YEARS = (2026, 2028, 2030, 2032, 2034, 2036, 2038, 2040)


def baseline_shortfall(folder: Path) -> str:
    """The do-nothing plan's unmet places per service in every second year (baseline/shortfall.csv)."""
    short = pd.read_csv(folder / "baseline" / "shortfall.csv")
    wide = short.pivot_table(index="service", columns="year", values="unmet", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=list(SHORTFALL_YEARS), fill_value=0.0)
    lines = ["| service | " + " | ".join(map(str, SHORTFALL_YEARS)) + " |", "|---" * (len(SHORTFALL_YEARS) + 1) + "|"]
    for service, row in wide.iterrows():
        lines.append(f"| {service} | " + " | ".join(f"{v:,.0f}".replace(",", " ") for v in row) + " |")
    return "\n".join(lines)


def deviations(folder: Path) -> str:
    """How the plan departs from the adopted plan (deviations.csv): every deviation but the added
    actions one by one, the added ones counted by action."""
    d = pd.read_csv(folder / "deviations.csv")
    lines = [
        "| change | action | option or site | adopted: year, modules | plan: year, modules |",
        "|---|---|---|---|---|",
    ]

    def cell(year, modules) -> str:
        if pd.isna(year):
            return "–"
        return f"{int(year)}" + ("" if pd.isna(modules) else f", {int(modules)}")

    for r in d[d["change"] != "added"].itertuples(index=False):
        key = r.option if isinstance(r.option, str) else r.site
        adopted, planned = cell(r.from_year, r.from_modules), cell(r.to_year, r.to_modules)
        lines.append(f"| {r.change} | {r.action} | {key} | {adopted} | {planned} |")
    added = d[d["change"] == "added"].groupby("action").size()
    for action, n in added.items():
        lines.append(f"| added | {action} | {n} action(s) the adopted plan does not name | – | |")
    return "\n".join(lines)


TABLES = {"headline": headline, "frames": frames, "actions": actions}
ROBUST_TABLES = {
    "robust_figures": robust_figures,
    "robust_variants": robust_variants,
    "robust_adapts": robust_adapts,
}


def _put(text: str, name: str, table: str) -> str:
    start, end = f"<!-- plan_tables.py:{name} start -->", f"<!-- plan_tables.py:{name} end -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no {start} … {end}")
    return pattern.sub(lambda _m: f"{start}\n{table}\n{end}", text)


def main(folder: Path, robust: Path | None = None, adopted: Path | None = None) -> None:
    """Rewrite the plan's tables from ``folder`` (``allocopt solve --baseline``), the robust plan's from
    ``robust`` (``allocopt robust``) and the adopted-plan comparison from ``adopted``."""
    text = README.read_text(encoding="utf-8")
    for name, make in TABLES.items():
        text = _put(text, name, make(folder))
    text = _put(text, "baseline", baseline(folder))
    text = _put(text, "baseline_shortfall", baseline_shortfall(folder))
    if robust is not None:
        for name, make in ROBUST_TABLES.items():
            text = _put(text, name, make(robust))
        text = _put(text, "robust_committed", robust_committed(robust, folder))
    if adopted is not None:
        text = _put(text, "deviations", deviations(adopted))
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path, help="result folder of allocopt solve --baseline")
    parser.add_argument("--robust", type=Path, help="result folder of allocopt robust")
    parser.add_argument("--adopted", type=Path, help="result folder of allocopt solve with the example adopted plan")
    args = parser.parse_args()
    main(args.plan, args.robust, args.adopted)
