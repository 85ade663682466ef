"""Importing never needs Graphviz's dot, the graphviz package or matplotlib."""
import subprocess
import sys

import pytest

from visualize import dot_source, draw_dot

from viz_graphs import neuron


def test_import_loads_no_optional_dependency(tmp_path):
    code = ("import sys, autograd, visualize; "
            "print(sorted(m for m in ('graphviz', 'matplotlib', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PATH": str(tmp_path)}, check=True)
    assert out.stdout.strip() == "[]"


def test_without_the_graphviz_package_source_still_works(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    o = neuron()
    assert dot_source(o).startswith("digraph {")
    with pytest.raises(ImportError, match="pip install graphviz"):
        draw_dot(o)
