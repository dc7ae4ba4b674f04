"""The layout a newcomer relies on: domain packages, two levels at most, dependencies one way."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.support.paths import REPO

SCHEDULER = REPO / "scheduler"
# Lowest first: a package may import from its own layer and those before it, never after.
LAYERS = [
    "foundation",  # settings, clock, contacts, shipped: what every domain uses
    "channels",
    "outbound",
    "followups",
    "inbound",
    "staff",
    "privacy",
    "ops",
    "web",
    "service",
    "cli",
]
FOUNDATION = {"settings", "clock", "contacts", "shipped", "text_input"}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "scheduler" or len(parts) < 2:
        return None
    return "foundation" if parts[1] in FOUNDATION else parts[1]


def _modules() -> list[tuple[str, Path]]:
    return [
        (".".join(path.relative_to(REPO).with_suffix("").parts), path)
        for path in sorted(SCHEDULER.rglob("*.py"))
    ]


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "scheduler":
                found += [f"scheduler.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def test_every_package_is_a_known_layer_and_top_level_modules_are_foundation() -> None:
    for module, _path in _modules():
        if module.endswith("__init__"):
            continue
        layer = _layer(module)
        if module.count(".") == 1:
            assert layer == "foundation", f"{module}: put it in a domain package"
        assert layer is None or layer in LAYERS, module


def test_dependencies_point_one_way() -> None:
    wrong = []
    for module, path in _modules():
        mine = _layer(module)
        for imported in _imports(path):
            theirs = _layer(imported)
            if mine and theirs and LAYERS.index(theirs) > LAYERS.index(mine):
                wrong.append(f"{module} ({mine}) imports {imported} ({theirs})")
    assert wrong == []


def test_two_levels_at_most_and_empty_init_files() -> None:
    for path in SCHEDULER.rglob("*.py"):
        depth = len(path.relative_to(SCHEDULER).parts) - 1  # folders below scheduler/
        assert depth <= 2, path
        if path.name == "__init__.py":
            assert path.read_text().strip() == "", f"{path}: keep __init__ files empty"


def test_the_wheel_lists_every_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(init.parent.relative_to(REPO).parts)
        for root in ("scheduler", "models")
        for init in (REPO / root).rglob("__init__.py")
    }
    assert set(config["packages"]) == on_disk | {"scheduler.templates"}
    assert config["package-dir"] == {"scheduler.templates": "templates"}


def test_the_readme_module_table_names_every_module() -> None:
    # A newcomer reads the table to find where a change goes: a module missing from it is lost.
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("| module | job |") :]
    table = table[: table.index("\n\n")]
    missing = [
        module
        for module, path in _modules()
        if path.name != "__init__.py" and f"{path.stem}.py" not in table
    ]
    assert missing == []
