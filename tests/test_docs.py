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
