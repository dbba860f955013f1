"""The package's folders follow the data flow: each imports only the core modules and the folders before it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "activellm"
CORE = ("cli", "errors", "files", "machine", "models", "paths")
FOLDERS = ("data", "prompts", "selection", "llm", "training", "annotation", "reporting", "sweep")  # the data flow


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """Every activellm module a file imports, at any depth (inside functions and TYPE_CHECKING blocks too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("activellm")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("activellm"):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if _is_module(submodule) else node.module)
    return found


def _layer(module: str) -> int:
    """-1 for the package and its core modules, else the folder's place in the data flow."""
    parts = module.split(".")
    return FOLDERS.index(parts[1]) if len(parts) > 2 or (len(parts) == 2 and parts[1] in FOLDERS) else -1


def _graph() -> dict[str, set[str]]:
    return {_module(path): _imports(path) - {_module(path)} for path in PACKAGE.rglob("*.py")}


def test_the_package_holds_its_core_modules_and_the_folders_of_the_data_flow():
    assert {path.stem for path in PACKAGE.glob("*.py")} == {"__init__", *CORE}
    assert {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"} == set(FOLDERS)


def test_each_folder_says_what_it_owns_and_what_it_may_import_and_re_exports_nothing():
    for folder in FOLDERS:
        tree = ast.parse((PACKAGE / folder / "__init__.py").read_text(encoding="utf-8"))
        docstring = ast.get_docstring(tree)
        assert docstring and "Imports:" in docstring, folder
        assert len(tree.body) == 1, f"activellm/{folder}/__init__.py holds more than its docstring"


def test_no_import_runs_up_the_data_flow():
    upward = [f"{module} imports {target}" for module, targets in _graph().items() for target in targets
              if _layer(target) > _layer(module)]
    assert not upward


def test_no_imports_form_a_circle():
    graph, circles, state = _graph(), [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                circles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not circles


def test_the_architecture_page_lists_the_folders_in_the_data_flows_order_and_the_readme_links_it():
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    places = [page.index(f"| `{folder}/` |") for folder in FOLDERS]
    assert places == sorted(places)
    assert "(docs/architecture.md)" in (REPO / "README.md").read_text(encoding="utf-8")
