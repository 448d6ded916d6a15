"""The shape of the house: no import cycle, tests that stand on the package alone, settings passed
rather than module constants patched, and the default scenario's model as HiGHS receives it."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import numpy as np

import allocopt

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "allocopt"
TESTS = ROOT / "tests"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported_modules(path: Path) -> set[str]:
    """allocopt modules ``path`` imports, at module level or inside functions (not under
    ``if TYPE_CHECKING``), each resolved to the most specific module that exists."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    out = set()
    for name in found:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("allocopt") and name != here:
            out.add(name)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_import_cycle_in_the_package():
    graph = {name: imported_modules(path) for name, path in MODULES.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_tests_import_nothing_from_benchmarks_by_path():
    for path in sorted(TESTS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert "sys.path" not in text or path == Path(__file__), f"{path.name} edits sys.path"
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "benchmarks",
                "generate",
                "run",
                "published",
            ):
                raise AssertionError(f"{path.name} imports {node.module} from benchmarks/")


def test_no_test_patches_a_module_constant():
    """Tuned numbers are settings passed in, not module globals patched (monkeypatch.setattr on an
    UPPER_CASE name)."""
    patched = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setattr"
                and "monkeypatch" in ast.unparse(node.func.value)
            ):
                names = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if any(n.rpartition(".")[2].isupper() for n in names):
                    patched.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert patched == []


DEFAULT_MODEL_SHA256 = "f6078285316d70341514bba2086d6dd25e6ca27ccc5e27459b20e79fba761bdf"
"""The default scenario's model as HiGHS holds it (costs, bounds, matrix, integrality; 8 124
columns, 3 020 rows: split services served district to district, ``flow``). A deliberate change
of the formulation or the default scenario changes it: then update it here, saying why in the commit."""


def handed_model_fingerprint(scenario) -> tuple[str, int, int]:
    """sha256 of the model HiGHS receives for ``scenario`` (through allocopt's own hand-off)."""
    from allocopt.index import build_index
    from allocopt.model import build_model
    from allocopt.solver import hand_off

    lp = hand_off(build_model(build_index(scenario)).model).highs.getLp()
    digest = hashlib.sha256()
    for part in (
        lp.col_cost_,
        lp.col_lower_,
        lp.col_upper_,
        lp.row_lower_,
        lp.row_upper_,
        lp.a_matrix_.start_,
        lp.a_matrix_.index_,
        lp.a_matrix_.value_,
        [int(x) for x in lp.integrality_],
    ):
        digest.update(np.ascontiguousarray(np.asarray(part, dtype=float)).tobytes())
    digest.update(repr((lp.num_col_, lp.num_row_, lp.offset_, int(lp.sense_), int(lp.a_matrix_.format_))).encode())
    return digest.hexdigest(), lp.num_col_, lp.num_row_


def test_the_default_scenario_reaches_highs_unchanged():
    scenario = allocopt.load_scenario(allocopt.default_scenario_path())
    assert handed_model_fingerprint(scenario) == (DEFAULT_MODEL_SHA256, 8124, 3020)
