"""How the house is put together: the packages depend one way (autograd <- nn <- visualize <-
seegrad), no module imports another in a cycle, `Value` is defined without the ops or the
engine, and no private name crosses a module boundary."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn", "visualize", "seegrad")
LAYER = {name: i for i, name in enumerate(PACKAGES)}     # a package may use those before it


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): ast.parse(p.read_text(encoding="utf-8"))
           for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _top_level_imports(module: str):
    """(imported module, imported name or None) for imports run when `module` is imported
    (imports inside functions run later and cannot make a cycle at import time)."""
    tree = MODULES[module]
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield (sub, None) if sub in MODULES else (node.module, alias.name)


def _project(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def test_packages_depend_one_way():
    """(`nn/__main__.py`, the `python -m nn` alias of the app, runs the app and is never
    imported by the library.)"""
    wrong = [(m, imported) for m in MODULES if not m.endswith("__main__")
             for imported, _ in _top_level_imports(m) if _project(imported)
             and LAYER[imported.split(".")[0]] > LAYER[m.split(".")[0]]]
    assert wrong == []


def test_no_module_imports_itself_through_others():
    graph = {m: {i for i, _ in _top_level_imports(m) if i in MODULES and i != m
                 and not m.startswith(i + ".")} for m in MODULES}   # a package's own __init__
    cycles = [cycle for module in sorted(MODULES) if (cycle := _shortest_cycle(graph, module))]
    assert cycles == []


def _shortest_cycle(graph, start):
    """The shortest import path from `start` back to itself (any length), or None: a
    breadth-first search, linear in the graph where listing every path is exponential."""
    came_from, frontier = {}, [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node]):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return path[::-1] + [start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    return None


def test_value_is_defined_without_the_ops_or_the_engine():
    imported = {i for i, _ in _top_level_imports("autograd.value")}
    assert not {i for i in imported if _project(i)}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(module):
    crossing = [(imported, name) for imported, name in _top_level_imports(module)
                if _project(imported) and name and name.startswith("_")
                and not name.startswith("__")]
    assert crossing == []
