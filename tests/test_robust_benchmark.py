"""benchmarks/robust.py on a hand-worked two-variant case: the extensive form's growth rows and
progressive hedging (mpi-sppy) against the extensive form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from allocopt.load import write_scenario
from allocopt.scenario import Option, Site, SiteCapacity
from cases import flat, tiny

ROBUST = Path(__file__).resolve().parents[1] / "benchmarks" / "robust.py"
YEARS = range(2026, 2029)
TOL = 1e-6


def build_now_or_never(folder: Path) -> Path:
    """One district A, service 'pre', 2026-2028, no discounting, no residual value; an existing
    site of 100 places; unmet demand costs 2 SEK per place and year. One option, build B (40
    places, capex 30, lead time 0, latest opening 2026): decided in 2026 or never.

    The benchmark makes two variants of the base demand 100: v0 × 0.92 (92 places) and v1 × 1.08
    (108, its housing a year late: no housing here), probability ½ each. ``commit_until`` is
    2026 + the largest lead time 0 = 2026, so B is a shared decision.

    - v0 on its own: nothing, 0. v1 on its own: B (30) beats 8 places × 3 years × 2 = 48 unmet.
      The trivial bound (each variant on its own) is ½·0 + ½·30 = 15.
    - RP: build B in both (30) or not (½·0 + ½·48 = 24): RP = 24, B not built.
    """
    scenario = tiny(
        2026,
        2028,
        residual="none",
        penalty=2.0,
        demand=flat(100, YEARS),
        sites=[Site(site="S", district="A")],
        capacities=[SiteCapacity(site="S", service="pre", capacity=100.0)],
        options=[
            Option(
                option="B",
                kind="build",
                district="A",
                service="pre",
                capacity=40.0,
                capex=30.0,
                lead_time=0,
                latest_year=2026,
            )
        ],
    )
    write_scenario(scenario, folder)
    return folder


def run(part: str, folder: Path, out: Path, *options: str) -> list[dict]:
    cmd = [sys.executable, str(ROBUST), part, "--scenario", str(folder), "--json", str(out), "--mip-gap", "0"]
    subprocess.run(cmd + ["--time-limit", "20", *options], check=True, capture_output=True, text=True)
    return json.loads(out.read_text())["results"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return build_now_or_never(tmp_path_factory.mktemp("robust-bench") / "tiny")


def test_growth_rows(folder, tmp_path):
    """One variant (demand × 1: 100, nothing to do) costs 0; two cost RP = 24 (see
    :func:`build_now_or_never`); the two-variant model holds both blocks and one commit_same row."""
    one, two = run("growth", folder, tmp_path / "growth.json", "--variants", "1,2")
    assert [one["variants"], two["variants"]] == [1, 2]
    assert one["status"] == two["status"] == "optimal"
    assert one["objective"] == pytest.approx(0.0, abs=TOL)
    assert two["objective"] == pytest.approx(24.0)
    for r in (one, two):
        assert r["objective"] >= r["bound"] - TOL
        assert r["peak_mib"] > 0 and r["build"] >= 0 and r["solve"] >= 0
    size_one, size_two = one["model_size"], two["model_size"]
    shared = 1  # B's one decision of 2026
    assert size_two["columns"] == 2 * size_one["columns"]
    assert size_two["integers"] == 2 * size_one["integers"]
    assert size_two["rows"] == 2 * size_one["rows"] + shared
    assert size_two["nonzeros"] == 2 * size_one["nonzeros"] + 2 * shared


def test_hedging_against_the_extensive_form(folder, tmp_path):
    """PH (rho 10) ends with B not built: its first stage priced in the extensive form costs RP =
    24; its trivial bound is 15 and no bound exceeds RP."""
    (case,) = run("hedging", folder, tmp_path / "hedging.json", "--variants", "2", "--rho", "10")
    ef, ph, priced = case["ef"], case["ph"], case["priced"]
    assert ef["status"] == priced["status"] == "optimal"
    assert ef["objective"] == pytest.approx(24.0)
    assert ef["objective"] >= ef["bound"] - TOL
    assert ph["nonants"] == 1
    assert ph["trivial"] == pytest.approx(15.0)
    assert ph["trivial"] <= ef["objective"] + TOL
    assert ph["lagrangian"] <= ef["objective"] + TOL
    assert priced["objective"] >= ef["bound"] - TOL
    assert priced["objective"] == pytest.approx(24.0)
    assert ph["split"] == 0 and 1 <= ph["iterations"] <= 20
