"""Every colour of the drawings lives in the style module (import cycles and private names are
checked for the whole project in tests/test_structure.py)."""
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


def test_colours_live_in_the_style_module_only():
    colour = re.compile(r"#[0-9a-fA-F]{6}\b")
    found = {name for name, tree in _modules().items()
             if colour.search(ast.unparse(tree)) and name not in ("style", "plots")}
    assert found == set()
