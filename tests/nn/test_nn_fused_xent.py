"""cross_entropy with integer labels is one fused op: same numbers, one node, higher order."""
import numpy as np
import pytest

import autograd as ag
from autograd import Value
from nn import losses
from nn.functional import log_softmax


def _composite(logits, labels):
    """The unfused formula: mean of -log_softmax(z)[label]."""
    logp = log_softmax(logits, axis=-1)
    return -ag.getitem(logp, (np.arange(len(labels)), labels)).mean()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_cross_entropy_equals_the_composite_formula(dtype):
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((6, 4)) * 3).astype(dtype)
    labels = rng.integers(0, 4, 6)
    a, b = Value(z), Value(z)
    fused, composite = losses.cross_entropy(a, labels), _composite(b, labels)
    fused.backward()
    composite.backward()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(float(fused.data), float(composite.data), rtol=tol)
    np.testing.assert_allclose(a.grad, b.grad, rtol=tol, atol=tol)
    assert a.grad.dtype == dtype and np.result_type(fused.data) == dtype


def test_fused_cross_entropy_is_one_node_and_stable_for_huge_scores():
    z = Value(np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 1e4]]))
    loss = losses.cross_entropy(z, np.array([0, 1]), reduction="none")
    assert loss.op == "cross_entropy" and loss.parents == (z,)
    np.testing.assert_allclose(loss.data, [0.0, 1e4])
    loss.sum().backward()
    assert np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(z.grad, [[0, 0, 0], [0, -1, 1]], atol=1e-12)


def test_fused_cross_entropy_has_correct_first_and_second_derivatives():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((3, 5))
    labels = np.array([4, 0, 2])
    assert ag.gradcheck(lambda v: losses.cross_entropy(v, labels), z)
    assert ag.check_ops(losses.cross_entropy(Value(z), labels)) == []
    v = rng.standard_normal((3, 5))
    hvp = ag.grad(lambda w: (ag.grad(lambda u: losses.cross_entropy(u, labels))(w) * v).sum())
    eps = 1e-6
    g = ag.grad(lambda u: losses.cross_entropy(u, labels))
    numeric = (g(z + eps * v) - g(z - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp(z), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_each_reduction_is_one_node_with_the_composite_gradient(reduction):
    rng = np.random.default_rng(2)
    z, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    w = rng.standard_normal(5)                    # a random upstream gradient for 'none'
    a, b = Value(z), Value(z)
    fused = losses.cross_entropy(a, labels, reduction=reduction)
    rows = -ag.getitem(log_softmax(b, axis=-1), (np.arange(5), labels))
    composite = {"mean": rows.mean(), "sum": rows.sum(), "none": rows}[reduction]
    assert fused.op == "cross_entropy" and fused.parents == (a,)
    np.testing.assert_allclose(fused.data, composite.data, rtol=1e-12)
    (fused * w).sum().backward() if reduction == "none" else fused.backward()
    (composite * w).sum().backward() if reduction == "none" else composite.backward()
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-15)
    assert ag.gradcheck(lambda v: (losses.cross_entropy(v, labels, reduction) * 1.0).sum(), z)
