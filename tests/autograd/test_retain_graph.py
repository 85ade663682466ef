"""`backward(retain_graph=False)`: the graph is released during the pass, as PyTorch does.

Intermediate Values are freed as soon as their gradient has been passed on (not all at once
afterwards), their data stays readable where the caller holds them, and differentiating
through a released graph again raises a clear error instead of giving wrong gradients."""
import gc
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
    with pytest.raises(RuntimeError, match="retain_graph=True to the earlier backward"):
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
