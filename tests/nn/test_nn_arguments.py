"""Arguments of activations and losses away from their defaults: softmax's axis, elu's alpha,
and every reduction of the hinge loss."""
import numpy as np
import pytest

import autograd as ag
from autograd import Value
from nn import functional as F
from nn import losses as L

Z = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_along_an_axis(axis):
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    expected = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(F.softmax(Value(Z), axis=axis).data, expected, rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(Value(Z), axis=axis).data, np.log(expected),
                               rtol=1e-12)
    assert ag.gradcheck(lambda z: F.log_softmax(z, axis=axis) * Z, Z)


def test_elu_alpha_scales_the_negative_side():
    out = F.elu(Value(np.array([-1.0, 2.0])), alpha=0.5)
    np.testing.assert_allclose(out.data, [0.5 * (np.exp(-1.0) - 1.0), 2.0])
    assert ag.gradcheck(lambda x: F.elu(x, alpha=2.5), np.array([-1.3, -0.2, 0.7]))


def test_hinge_loss_reductions():
    scores = np.array([2.0, 0.5, -0.3, -2.0])
    y = np.array([1, 1, 1, -1])
    margins = np.maximum(0.0, 1 - y * scores)
    np.testing.assert_allclose(L.hinge_loss(Value(scores), y, "none").data, margins)
    s = Value(scores)
    total = L.hinge_loss(s, y, "sum")
    assert float(total.data) == pytest.approx(margins.sum())
    total.backward()
    np.testing.assert_allclose(s.grad, np.where(margins > 0, -y, 0.0))
