"""The README's scenario format is generated from the pydantic models and must not drift."""

from __future__ import annotations

from pathlib import Path

from allocopt.docs import END, START, scenario_reference
from allocopt.scenario import TABLES, Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_scenario_format_matches_the_models():
    text = README.read_text(encoding="utf-8")
    block = START + text.split(START, 1)[1].split(END, 1)[0] + END
    assert block == scenario_reference(), "run: python -m allocopt.docs README.md"


def test_every_field_is_documented_with_its_meaning():
    for model in [Settings, *TABLES.values()]:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_readme_opens_with_the_two_quickstart_commands():
    lines = [ln for ln in README.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert lines[1:5] == ["```bash", 'pip install -e ".[dev]" && allocopt solve', "pytest", "```"]


def test_every_constraint_family_is_stated_in_the_formulation():
    """models/premises.md and allocopt.model.build name the same constraint families (one name,
    used in both); ``single_assign`` is substituted in the code, not a row."""
    import inspect
    import re

    import allocopt.model.build as build

    root = Path(__file__).resolve().parents[1]
    text = (root / "models" / "premises.md").read_text(encoding="utf-8")
    table = text.split("## Constraint families", 1)[1].split("\n\n", 2)[1]
    stated = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.M))
    built = set(re.findall(r'_constraint\(pm, "(\w+)"', inspect.getsource(build)))
    frames = {f.__name__.removeprefix("add_") for f in build.FAMILIES if "_frame_cap(" in inspect.getsource(f)}
    assert frames == {"capex_cap", "opex_cap", "investment_cap", "borrowing_cap", "operating_cap"}
    built |= frames
    assert built == stated - {"single_assign"}
