"""Rewrite the plan's figures in this folder's README.md from a result folder of `allocopt solve`.

    allocopt solve scenarios/sodertalje --out /tmp/sodertalje
    python scenarios/sodertalje/plan_tables.py /tmp/sodertalje

Each table sits between ``<!-- plan_tables.py:NAME start -->`` and ``<!-- plan_tables.py:NAME end -->``
in README.md and is written from the result's files only (summary.json, actions.csv,
party_costs.csv, frames.csv), so the README's figures are the result's, to the rounding shown.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pandas as pd

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


TABLES = {"headline": headline, "frames": frames, "actions": actions}


def main(folder: Path) -> None:
    text = README.read_text(encoding="utf-8")
    for name, make in TABLES.items():
        start, end = f"<!-- plan_tables.py:{name} start -->", f"<!-- plan_tables.py:{name} end -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), flags=re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no {start} … {end}")
        text = pattern.sub(lambda _m, t=make(folder): f"{start}\n{t}\n{end}", text)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
