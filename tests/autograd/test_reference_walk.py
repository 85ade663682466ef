"""The walk the library runs (`backward`) computes bit for bit what the reference walk, the
backward pass by its definition (`autograd.engine.backward_reference`), computes: on every op
of the op table and on random graphs, for every node of the graph."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.engine import backward_reference, topological_order
from ag_cases import CASE_IDS, CASES
from ag_numeric import to_value
from test_engine_dags import build, leaf_values, recipes
from test_gradients import _draw_case


def _assert_same_gradients(root_a: Value, root_b: Value) -> None:
    """Both graphs have the same structure: compare the gradients node by node, bitwise."""
    nodes_a, nodes_b = topological_order(root_a), topological_order(root_b)
    assert len(nodes_a) == len(nodes_b)
    for a, b in zip(nodes_a, nodes_b):
        assert a.op == b.op
        if a.grad is None or b.grad is None:
            assert a.grad is None and b.grad is None, f"{a.op}: one walk gave no gradient"
            continue
        assert type(a.grad) is type(b.grad)
        assert np.asarray(a.grad).dtype == np.asarray(b.grad).dtype
        np.testing.assert_array_equal(np.asarray(a.grad), np.asarray(b.grad),
                                      err_msg=f"{a.op}: the walks disagree")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_every_op_gives_the_reference_gradients_bit_for_bit(case, data):
    xs, params, g = _draw_case(case, data)
    for dtype in (np.float64, np.float32) if case.float32 else (np.float64,):
        fast = case.fn(*[to_value(x.astype(dtype)) for x in xs], **params)
        reference = case.fn(*[to_value(x.astype(dtype)) for x in xs], **params)
        fast.backward(g.astype(dtype))
        backward_reference(reference, g.astype(dtype))
        _assert_same_gradients(fast, reference)


@settings(deadline=None)
@given(recipes, leaf_values)
def test_random_graphs_give_the_reference_gradients_bit_for_bit(recipe, xs):
    fast = build(recipe, [Value(x) for x in xs])
    reference = build(recipe, [Value(x) for x in xs])
    if not fast.requires_grad:
        return                              # nothing recorded: nothing to compare
    fast.backward()
    backward_reference(reference)
    _assert_same_gradients(fast, reference)


def test_shared_nodes_sum_their_shares_in_the_same_order():
    x = Value(np.array([0.1, 0.2, 0.3]))
    ys = [x * (1.0 + k / 3) for k in range(5)]          # five users of x, summed in order
    root = ys[0]
    for y in ys[1:]:
        root = root + y * x
    twin_x = Value(np.array([0.1, 0.2, 0.3]))
    twin_ys = [twin_x * (1.0 + k / 3) for k in range(5)]
    twin = twin_ys[0]
    for y in twin_ys[1:]:
        twin = twin + y * twin_x
    root.sum().backward()
    backward_reference(twin.sum())
    assert x.grad.tobytes() == twin_x.grad.tobytes()


def test_the_reference_walk_refuses_what_backward_refuses():
    with pytest.raises(RuntimeError, match="implied"):
        backward_reference(Value(np.ones(3)) * 2.0)
    released = Value(2.0) * Value(3.0)
    released.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="released"):
        backward_reference(released)
