"""The public surface issue 4 names: signatures and defaults of the drawing functions."""
import inspect

import pytest

from visualize import (backprop_frames, dot_source, draw_dot, plot_decision_boundary,
                       plot_history, render)

from viz_graphs import neuron


def _params(fn):
    return inspect.signature(fn).parameters


def test_draw_dot_signature_and_defaults():
    params = _params(draw_dot)
    expected = dict(format="svg", rankdir="LR", show_data=True, show_grad=True, max_elems=6,
                    precision=4, color="grad", max_nodes=500)
    assert list(params)[:9] == ["root"] + list(expected)       # micrograd's first three
    assert {k: params[k].default for k in expected} == expected


def test_dot_source_defaults_are_draw_dots():
    o = neuron()
    explicit = dict(rankdir="LR", show_data=True, show_grad=True, max_elems=6, precision=4,
                    color="grad", max_nodes=500)
    assert dot_source(o) == dot_source(o, **explicit)


def test_files_and_plots_signatures():
    assert list(_params(render))[:2] == ["root", "path"]
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in _params(render).values())
    frames = _params(backprop_frames)
    assert list(frames)[:3] == ["root", "folder", "format"] and frames["format"].default == "png"
    assert list(_params(plot_history))[:2] == ["history", "path"]
    assert list(_params(plot_decision_boundary))[:4] == ["model", "X", "y", "path"]


def test_draw_dot_passes_format_and_options_through():
    graphviz = pytest.importorskip("graphviz")
    o = neuron()
    g = draw_dot(o, format="png", show_grad=False, precision=2)
    assert isinstance(g, graphviz.Digraph) and g.format == "png"
    assert g.source == dot_source(o, show_grad=False, precision=2)
    assert "data 2.00" in g.source and "grad " not in g.source


def test_op_nodes_are_labelled_with_the_op():
    import numpy as np
    from autograd import Value
    x = Value(np.ones((2, 3)), requires_grad=False)
    W = Value(np.ones((3, 2)), name="W")
    y = (x @ W).exp().sum(axis=1)
    y.backward(np.ones(2))
    src = dot_source(y)
    for label in ("matmul", "exp", "sum(axis=1)"):
        assert f'label="{label}" shape=ellipse' in src
