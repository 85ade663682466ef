"""draw_dot and dot_source on known graphs: counts, labels, styles, legend, escaping."""
import re
import shutil

import numpy as np
import pytest

from autograd import Value
from visualize import dot_source, draw_dot
from visualize.dot import ROOT_BORDER

from viz_graphs import NEEDS_DOT, ScalarMLP, attrs_of, edge_lines, neuron, node_lines


def test_neuron_has_a_record_per_value_an_oval_per_op_and_their_edges():
    src = dot_source(neuron())
    nodes = node_lines(src)
    assert len([n for n in nodes if n.strip().startswith("v")]) == 10
    assert len([n for n in nodes if n.strip().startswith("o")]) == 5
    # two '*' and two '+' with two inputs each, tanh with one; plus one edge op -> result each
    assert len(edge_lines(src)) == 4 * 3 + 2


def test_records_read_name_data_grad_micrograd_style():
    src = dot_source(neuron())
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in src
    assert "{ o | data 0.7071 | grad 1.0000 }" in src
    assert re.search(r'o\d+ \[label="tanh"', src)
    assert 'rankdir=LR' in src


def test_leaves_constants_and_root_look_different():
    x = Value(2.0, name="x")
    y = x * 3.0
    y.backward()
    src = dot_source(y)
    leaf, const, root = attrs_of(src, "v0"), attrs_of(src, "v1"), attrs_of(src, "v2")
    assert "shape=Mrecord" in leaf and "dashed" not in leaf
    assert "shape=record" in const and "dashed" in const and "no grad" in const
    assert f'color="{ROOT_BORDER}"' in root and "penwidth=3" in root


def test_legend_explains_kinds_and_colours():
    src = dot_source(neuron())
    assert "cluster_legend" in src
    for text in ("leaf that needs a gradient", "constant", "root", "vanishing", "exploding",
                 "NaN or Inf", "dead ReLU"):
        assert text in src
    plain = dot_source(neuron(), color=None)
    assert "cluster_legend" in plain and "exploding" not in plain


def test_op_nodes_are_ovals_labelled_with_the_op_and_its_arguments():
    x = Value(np.arange(24.0).reshape(2, 3, 4))
    y = x.sum(axis=1)[0, 1:3].max(keepdims=True).reshape(1)
    src = dot_source(y)
    for label in ("sum(axis=1)", "[0, 1:3]", "max(keepdims)", "reshape(shape=1)"):
        assert f'label="{label}"' in src
    x = Value(np.ones((2, 3)), requires_grad=False)
    W = Value(np.ones((3, 2)), name="W")
    y = (x @ W).exp().sum(axis=1)
    y.backward(np.ones(2))
    src = dot_source(y)
    for label in ("matmul", "exp", "sum(axis=1)"):
        assert f'label="{label}" shape=ellipse' in src


def test_arrays_show_shape_dtype_and_values_or_summary():
    small = Value(np.array([1.0, 2.0], dtype=np.float32), name="s")
    big = Value(np.arange(10.0), name="b")
    y = (small.sum() + big.sum()).astype(np.float64)
    y.backward()
    src = dot_source(y)
    assert "s (2,) float32 | data [1.0000, 2.0000] | grad [1.0000, 1.0000]" in src
    assert "b (10,) float64 | data min 0.0000  mean 4.5000  max 9.0000" in src
    assert "data [1.00, 2.00]" in dot_source(y, precision=2)
    assert "data min" in dot_source(y, max_elems=1).split("s (2,)")[1].split("\n")[0]


def test_data_and_grad_fields_can_be_hidden():
    src = dot_source(neuron(), show_data=False, show_grad=False)
    assert "data " not in src and "grad " not in src
    assert "{ x1 }" in src


def test_unusual_characters_in_names_are_escaped():
    x = Value(1.0, name='a{b}|<c>"d"\\e')
    y = x * 2.0
    y.backward()
    src = dot_source(y)
    assert r'a\{b\}\|\<c\>\"d\"\\e' in src


def test_same_graph_gives_identical_source_without_object_ids():
    a, b = dot_source(neuron()), dot_source(neuron())
    assert a == b
    ids = re.findall(r"^\s*v(\d+) \[", a, flags=re.M)
    assert [int(i) for i in ids] == list(range(len(ids)))
    assert not re.search(r"\d{8,}|0x[0-9a-f]{6,}", a)


def test_parameters_are_named_after_their_place_in_the_model():
    model = ScalarMLP(sizes=(2, 2, 1))
    out = model([Value(0.5, requires_grad=False), Value(-1.0, requires_grad=False)])
    out.backward()
    src = dot_source(out, model=model)
    assert "layers.0.neurons.1.w.0 | data" in src
    assert "layers.1.neurons.0.b | data" in src
    model.layers[0][0][1].name = "mine"
    assert "{ mine | data" in dot_source(out, model=model)


def test_model_must_have_named_parameters():
    with pytest.raises(TypeError, match="named_parameters"):
        dot_source(neuron(), model=object())


@pytest.mark.parametrize("bad", [{"rankdir": "XY"}, {"color": "red"}, {"max_nodes": 3}])
def test_bad_options_are_refused(bad):
    with pytest.raises(ValueError, match="draw_dot"):
        dot_source(neuron(), **bad)


@pytest.mark.parametrize("bad", [{"max_nodes": None}, {"max_nodes": 20.5},
                                 {"max_elems": "3"}, {"precision": 2.0}])
def test_options_of_the_wrong_type_are_refused_with_the_fix(bad):
    (name, value), = bad.items()
    with pytest.raises(TypeError, match=rf"draw_dot: {name} must be an? .*integer.*got "
                                        rf"{re.escape(repr(value))}"):
        dot_source(neuron(), **bad)


def test_draw_dot_returns_a_digraph_of_the_same_source_in_the_format_asked_for():
    graphviz = pytest.importorskip("graphviz")
    o = neuron()
    g = draw_dot(o, rankdir="TB")
    assert isinstance(g, graphviz.Digraph)
    assert g.source == dot_source(o, rankdir="TB")
    assert g.format == "svg"
    g = draw_dot(o, "png", "TB")                     # micrograd's positional format, rankdir
    assert g.format == "png" and g.source == dot_source(o, rankdir="TB")
    g = draw_dot(o, format="png", show_grad=False, precision=2)
    assert g.format == "png" and g.source == dot_source(o, show_grad=False, precision=2)
    assert "data 2.00" in g.source and "grad " not in g.source


@pytest.mark.skipif(shutil.which("dot") is None, reason=NEEDS_DOT)
def test_drawing_displays_inline_as_svg_in_notebooks():
    pytest.importorskip("graphviz")
    bundle = draw_dot(neuron())._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
