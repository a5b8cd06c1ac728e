"""The import rule: faces -> phases -> areas -> core, never back.

Read from the modules' own `import` statements (those run at import time; names imported for the
type checker only, under `if TYPE_CHECKING:`, are not dependencies).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wizard

ROOT = Path(wizard.__file__).parent
FACES = {"cli", "__main__", "headless", "commands", "tui"}
PHASES = {"phases"}
AREAS = {"neutron", "translate", "alcor", "capture", "cutover", "preflight"}
CORE = {"core"}
# What each layer may not import: the layers above it.
FORBIDDEN = {
    "areas": FACES | PHASES,
    "core": FACES | PHASES | AREAS | {"plan", "lab"},
    "plan": FACES | PHASES | {"lab"},
}
# Between areas: translation makes Alcor's requests, so translate imports alcor, never back.
AREA_FORBIDDEN = {"alcor": {"translate"}}


def layer_of(top: str) -> str | None:
    if top in AREAS:
        return "areas"
    if top in CORE:
        return "core"
    return "plan" if top == "plan" else None


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of each `wizard.*` import that runs when the module is imported or called."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                   for statement in block.body for node in ast.walk(statement)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "wizard" else [f"wizard.{a.name}" for a in node.names]
            found += [(node.lineno, name) for name in names if name.startswith("wizard.")]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("wizard.")]
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def violations() -> list[str]:
    found = []
    for path in modules():
        top = path.relative_to(ROOT).parts[0].removesuffix(".py")
        layer = layer_of(top)
        if layer is None:
            continue
        forbidden = FORBIDDEN[layer] | AREA_FORBIDDEN.get(top, set())
        for line, module in runtime_imports(path):
            target = module.split(".")[1]
            if target in forbidden or module == "wizard.core.engine" and layer == "areas":
                found.append(f"{path.relative_to(ROOT.parent)}:{line}: {layer} imports {module}")
    return found


def test_no_area_imports_the_engine_the_phases_or_a_face_and_the_core_imports_no_area():
    """Also: alcor/ does not import translate/."""
    assert violations() == []


@pytest.mark.parametrize("source, expected", [
    ("from wizard.core.engine import RunContext\n", [(1, "wizard.core.engine")]),
    ("from wizard import phases\n", [(1, "wizard.phases")]),
    ("def f():\n    import wizard.tui.app\n", [(2, "wizard.tui.app")]),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from wizard.phases import x\n", []),
])
def test_the_rule_reads_every_runtime_import_and_skips_type_only_ones(tmp_path, source, expected):
    module = tmp_path / "m.py"
    module.write_text(source)
    assert runtime_imports(module) == expected


def test_every_module_of_the_tree_has_a_known_place():
    """A new top-level module or package is placed in a layer on purpose (faces, phases, areas,
    plan, core, or the lab, which may import anything: it builds whole runs)."""
    known = FACES | PHASES | AREAS | CORE | {"plan", "lab", "__init__"}
    tops = {path.relative_to(ROOT).parts[0].removesuffix(".py") for path in modules()}
    assert tops - known == set()
