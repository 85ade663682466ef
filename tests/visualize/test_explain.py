"""explain_gradient: one term per path from the root to a value, the product of the local
derivatives along it, and the terms add up to the value's .grad."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from visualize import explain_gradient
from visualize.explain import path_counts
from visualize.format import numbers
from visualize.trace import trace

from viz_graphs import neuron


def _leaves(root):
    graph = trace(root)
    return [v for v, ps in zip(graph.nodes, graph.parents) if not ps and v.requires_grad]


def test_the_neurons_leaves_each_have_one_path_whose_product_is_their_grad():
    o = neuron()
    for leaf in _leaves(o):
        why = explain_gradient(o, leaf)
        assert why.count == len(why.paths) == 1
        (path,) = why.paths
        assert path.term == math.prod(path.local)
        assert path.term == pytest.approx(leaf.grad, rel=1e-12, abs=1e-15)
        assert str(why).endswith(f"({numbers(leaf.grad, 4, 6)})")


def test_a_value_used_twice_has_a_term_per_use_and_their_sum_is_its_grad():
    a = Value(3.0, name="a")
    y = a * a + a
    y.name = "y"
    y.backward()
    why = explain_gradient(y, a)
    assert sorted(p.term for p in why.paths) == [1.0, 3.0, 3.0]
    assert why.listed_sum() == a.grad == 7.0
    text = str(why)
    assert text.splitlines()[0].startswith("dy/da: one term per path from y to a")
    assert "sum of 3 paths = 7.0000 = dy/da = a.grad after y.backward() (7.0000)" in text
    assert "y ←[+ 1.0000]− *#1 ←[* 3.0000]− a : 1.0000 × 3.0000 = 3.0000" in text


_OPS = (lambda u, v: u * v, lambda u, v: u + v, lambda u, v: u - v,
        lambda u, v: (u * v).tanh(), lambda u, v: u * v.exp())


@given(st.lists(st.tuples(st.integers(0, len(_OPS) - 1), st.integers(0, 40),
                          st.integers(0, 40)), min_size=1, max_size=10),
       st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3))
def test_the_terms_of_any_scalar_graph_add_up_to_every_leafs_grad(program, start):
    leaves = [Value(x) for x in start]
    values = list(leaves)
    for op, i, j in program:
        values.append(_OPS[op](values[i % len(values)], values[j % len(values)]))
    root = values[-1]
    root.backward()
    for leaf in _leaves(root):
        why = explain_gradient(root, leaf, max_paths=10**6)
        assert why.count == len(why.paths)
        assert why.listed_sum() == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)


def test_too_many_paths_are_counted_but_not_listed():
    x = Value(1.0, name="x")
    y = x
    for _ in range(12):
        y = y + y                      # every level doubles the paths: 4,096 of them
    y.name = "y"
    y.backward()
    why = explain_gradient(y, x, max_paths=5)
    assert (len(why.paths), why.count) == (5, 4096)
    assert why.gradient == x.grad == 4096.0
    assert "5 paths listed sum to 5.0000; the other 4,091 paths" in why.sum_text()
    assert "raise max_paths" in str(why)


def test_path_counts_count_an_input_used_twice_by_one_op_twice():
    x = Value(2.0)
    y = (x * x) * x
    assert path_counts(trace(y), 0) == [1, 2, 3]


def test_array_paths_apply_the_vjps_and_add_up_to_the_grad():
    a = Value(np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32), name="a")
    b = Value(np.array([2.0, 1.0], dtype=np.float32), name="b")
    y = ((a * b).sum() + (a * a).tanh().sum())
    y.backward()
    why = explain_gradient(y, a)
    assert why.count == 3 and all(p.local is None for p in why.paths)
    assert all(p.term.dtype == np.float32 and p.term.shape == (2, 2) for p in why.paths)
    np.testing.assert_allclose(why.listed_sum(), a.grad, rtol=1e-6)
    assert "VJPs applied in turn" in str(why)


def test_bad_requests_raise_before_anything_is_computed():
    o = neuron()
    stranger = Value(1.0)
    with pytest.raises(ValueError, match="not in root's graph"):
        explain_gradient(o, stranger)
    c = Value(2.0, requires_grad=False)
    y = Value(1.0) * c
    with pytest.raises(ValueError, match="does not require a gradient"):
        explain_gradient(y, c)
    with pytest.raises(TypeError, match="must be a Value"):
        explain_gradient(o, 1.0)
    with pytest.raises(ValueError, match="max_paths"):
        explain_gradient(o, _leaves(o)[0], max_paths=0)
    v = Value(np.ones(3))
    with pytest.raises(RuntimeError, match="one-element output"):
        explain_gradient(v * 2.0, v)
