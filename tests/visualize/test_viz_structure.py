"""How visualize is put together: its modules import each other without cycles, use no
private name of another module, and keep every colour in the style module."""
import ast
import re
from pathlib import Path

import visualize

PACKAGE = Path(visualize.__file__).parent


def _modules():
    return {path.stem: ast.parse(path.read_text(encoding="utf-8"))
            for path in PACKAGE.glob("*.py") if path.stem != "__init__"}


def _imports(tree):
    """(module, name) for every `from visualize.module import name`."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("visualize."):
            out += [(node.module.split(".", 1)[1], alias.name) for alias in node.names]
    return out


def test_visualize_modules_import_each_other_without_cycles():
    graph = {name: {m for m, _ in _imports(tree)} for name, tree in _modules().items()}

    def reaches(start, target, seen=()):
        return any(n == target or (n not in seen and reaches(n, target, seen + (n,)))
                   for n in graph.get(start, ()))

    assert graph["dot"] >= {"collapse", "style", "options"}
    assert not [name for name in graph if reaches(name, name)]


def test_no_private_name_crosses_a_module_boundary():
    crossing = [(name, module, imported) for name, tree in _modules().items()
                for module, imported in _imports(tree) if imported.startswith("_")]
    assert crossing == []


def test_colours_live_in_the_style_module_only():
    colour = re.compile(r"#[0-9a-fA-F]{6}\b")
    found = {name for name, tree in _modules().items()
             if colour.search(ast.unparse(tree)) and name not in ("style", "plots")}
    assert found == set()
