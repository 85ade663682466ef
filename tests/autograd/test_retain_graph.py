"""`backward(retain_graph=False)`: the graph is released during the pass, as PyTorch does.

Intermediate Values are freed as soon as their gradient has been passed on (not all at once
afterwards), their data stays readable where the caller holds them, and differentiating
through a released graph again raises a clear error instead of giving wrong gradients."""
import copy
import gc
import pickle
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Value


def _mlp_loss(w1, w2, x):
    hidden = (x @ w1).relu()
    return ((hidden @ w2) ** 2).mean(), hidden


@pytest.fixture
def weights():
    rng = np.random.default_rng(0)
    return (Value(rng.standard_normal((4, 8)).astype(np.float32)),
            Value(rng.standard_normal((8, 2)).astype(np.float32)),
            Value(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=False))


def test_same_gradients_as_a_kept_graph(weights):
    w1, w2, x = weights
    loss, _ = _mlp_loss(w1, w2, x)
    loss.backward(retain_grads=False)
    expected = [w1.grad.copy(), w2.grad.copy()]
    w1.zero_grad(), w2.zero_grad()
    loss, _ = _mlp_loss(w1, w2, x)
    loss.backward(retain_grads=False, retain_graph=False)
    for got, want in zip((w1.grad, w2.grad), expected):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)


def test_intermediates_are_freed_by_the_pass_itself(weights):
    w1, w2, x = weights
    gc.disable()                        # freed by reference counting, not by the collector
    try:
        for retain_graph, freed in ((True, False), (False, True)):
            loss, hidden = _mlp_loss(w1, w2, x)
            product = weakref.ref(loss.parents[0])      # (hidden @ w2) ** 2, held by loss only
            del hidden
            loss.backward(retain_grads=False, retain_graph=retain_graph)
            assert (product() is None) == freed
            assert loss.data.shape == ()                # the root's data stays readable
    finally:
        gc.enable()


def test_held_values_keep_their_data_and_leaves_their_gradient(weights):
    w1, w2, x = weights
    loss, hidden = _mlp_loss(w1, w2, x)
    data = hidden.data.copy()
    loss.backward(retain_graph=False)
    np.testing.assert_array_equal(hidden.data, data)
    assert hidden.op == "released" and hidden.parents == ()
    assert w1.grad.shape == (4, 8) and w2.grad.shape == (8, 2)


def test_a_second_backward_raises_before_touching_any_gradient(weights):
    w1, w2, x = weights
    loss, _ = _mlp_loss(w1, w2, x)
    loss.backward(retain_graph=False)
    grads = [w1.grad.copy(), w2.grad.copy()]
    root_grad = loss.grad
    with pytest.raises(RuntimeError, match="retain_graph=False"):
        loss.backward()
    np.testing.assert_array_equal(w1.grad, grads[0])
    np.testing.assert_array_equal(w2.grad, grads[1])
    assert loss.grad == root_grad


def test_a_released_shared_part_raises_when_reached_again():
    a = Value(2.0)
    shared = a * a
    first, second = shared.tanh(), shared.sin()
    first.backward(retain_graph=False)
    with pytest.raises(RuntimeError, match="pass retain_graph=True to that backward"):
        second.backward()
    kept = Value(2.0)
    shared = kept * kept
    shared.tanh().backward()                            # the default keeps the graph
    shared.sin().backward()
    assert kept.grad == pytest.approx(2 * 2.0 * ((1 - np.tanh(4.0) ** 2) + np.cos(4.0)))


def test_create_graph_needs_the_graph_kept():
    a = Value(3.0)
    y = a * a
    with pytest.raises(ValueError, match="create_graph=True .* needs retain_graph=True"):
        y.backward(create_graph=True, retain_graph=False)
    assert a._grad is None and y._grad is None and y.op == "*"


def test_functional_grad_and_steps_leave_the_graph_whole():
    a = Value(1.5)
    y = (a * a).tanh()
    ag.grad(lambda v: (v * v).tanh())(a)
    ag.engine.backward_steps(y)
    y.backward(retain_graph=False)
    assert a.grad == pytest.approx(2 * 1.5 * (1 - np.tanh(2.25) ** 2))


def _released_square():
    x = Value(2.0)
    s = x * x
    s.tanh().backward(retain_graph=False)
    return x, s


def test_grad_through_a_released_node_raises_instead_of_losing_its_part():
    x, s = _released_square()
    with pytest.raises(RuntimeError, match="released"):
        ag.grad(lambda v: s * v)(x)                     # 3x^2 with the graph kept
    with pytest.raises(RuntimeError, match="released"):
        ag.engine.gradients(s.sin(), [x])
    with pytest.raises(RuntimeError, match="released"):
        ag.engine.gradients(s.sin(), [s, x])            # x could lie behind s: refuse


def test_grad_with_respect_to_a_released_node_itself():
    x, s = _released_square()
    assert ag.grad(lambda v: v * v)(s).data == pytest.approx(2 * 4.0)
    assert ag.engine.gradients(s.sin(), [s]) == [pytest.approx(np.cos(4.0))]


def test_walking_checking_or_drawing_a_released_graph_raises():
    from visualize.trace import trace
    bad = ag.Op("bad_square", lambda v: v * v, lambda g, ans, v: g * v)
    y = bad(Value(3.0)) + 1.0
    assert [finding.op for finding in ag.check_ops(y)] == ["bad_square"]
    y.backward(retain_graph=False)
    for look in (ag.check_ops, trace, ag.engine.topological_order, ag.engine.backward_steps):
        with pytest.raises(RuntimeError, match="released"):
            look(y)


@pytest.mark.parametrize("clone", [copy.copy, copy.deepcopy,
                                   lambda v: pickle.loads(pickle.dumps(v))])
def test_copies_of_a_released_node_stay_released(clone):
    y = Value(3.0) * Value(4.0)
    y.backward(retain_graph=False)
    c = clone(y)
    assert c.op == "released" and c.parents == () and c.data == 12.0
    grad = c.grad
    with pytest.raises(RuntimeError, match="released"):
        c.backward()
    assert c.grad == grad


def test_deep_copies_of_one_and_many_input_nodes_keep_their_inputs():
    x = Value(np.array([0.5, -1.0]))
    for node in (x.tanh(), ag.concatenate([x, x * 2.0])):
        twin = copy.deepcopy(node)
        assert len(twin.parents) == len(node.parents)
        twin.sum().backward()
        assert twin.parents[0].grad.shape == (2,)


def test_grad_of_new_work_on_a_released_value_needs_nothing_behind_it():
    feature = Value(np.array([1.0, 2.0])).tanh() * 3.0
    feature.sum().backward(retain_graph=False)
    w = np.array([0.5, -0.5])
    np.testing.assert_allclose(ag.grad(lambda v: (feature * v).sum())(w).data, feature.data)
    assert ag.gradcheck(lambda v: (feature * v).sum(), w)
    df, dw = ag.grad(lambda f, v: (f * v).sum(), argnums=(0, 1))(feature, Value(w))
    np.testing.assert_allclose(df.data, w)
    np.testing.assert_allclose(dw.data, feature.data)


def test_a_non_value_root_is_named_before_any_release_check():
    for call in (ag.engine.backward, ag.engine.backward_steps):
        with pytest.raises(TypeError, match="expected a Value, got float"):
            call(3.0)
