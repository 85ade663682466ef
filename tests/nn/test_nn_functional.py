"""Activations: values and gradients against PyTorch, finite differences, and stability."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autograd as ag
from autograd import Value
from nn import functional as F

NAMES = ["relu", "leaky_relu", "sigmoid", "tanh", "softmax", "elu", "selu", "swish", "silu",
         "mish", "gelu", "softplus", "linear"]
SMOOTH = ["sigmoid", "tanh", "softmax", "selu", "silu", "mish", "gelu", "softplus", "elu"]


def _torch_fn(name):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    return {
        "relu": tf.relu, "leaky_relu": lambda x: tf.leaky_relu(x, 0.01),
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "softmax": lambda x: tf.softmax(x, -1),
        "log_softmax": lambda x: tf.log_softmax(x, -1), "elu": tf.elu, "selu": tf.selu,
        "swish": tf.silu, "silu": tf.silu, "mish": tf.mish,
        "gelu": tf.gelu, "softplus": tf.softplus,                 # both exact (erf) gelu
        "linear": lambda x: x,
    }[name]


def _ours(name):
    return F.log_softmax if name == "log_softmax" else F.get_activation(name)


@pytest.mark.parametrize("name", NAMES + ["log_softmax"])
def test_matches_torch_values_and_gradients(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.normal(scale=3.0, size=(5, 7))
    x[np.abs(x) < 1e-3] = 0.5                                 # keep off the kinks at 0
    upstream = rng.normal(size=(5, 7))
    xv = Value(x)
    out = _ours(name)(xv)
    out.backward(upstream)
    xt = torch.tensor(x, requires_grad=True)
    ot = _torch_fn(name)(xt)
    ot.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xv.grad, xt.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES + ["log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_magnitude_1e3(name, dtype):
    x = np.array([[-1e3, -30.0, -1.0, 0.0, 1.0, 30.0, 1e3]], dtype=dtype)
    xv = Value(x)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow is fine
        out = _ours(name)(xv)
        out.backward(np.ones_like(x))
    assert out.dtype == dtype and xv.grad.dtype == dtype
    assert np.all(np.isfinite(out.data)), out.data
    assert np.all(np.isfinite(xv.grad)), xv.grad


@pytest.mark.parametrize("name", SMOOTH)
def test_gradcheck_smooth_activations(name):
    x = np.array([[-2.5, -0.7, 0.3, 1.9], [0.1, -1.2, 2.2, -0.05]])
    assert ag.gradcheck(F.get_activation(name), x)


@given(arrays(np.float64, (3, 4), elements=st.floats(-50, 50)))
def test_softmax_rows_are_distributions(x):
    p = F.softmax(Value(x)).data
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.log(np.maximum(p, 1e-300)),
                               np.maximum(F.log_softmax(Value(x)).data, np.log(1e-300)),
                               atol=1e-9)


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


def test_closed_forms_at_known_points():
    assert F.relu(Value(-2.0)).data == 0.0
    assert F.leaky_relu(Value(-2.0), 0.2).data == pytest.approx(-0.4)
    assert F.elu(Value(-1.0)).data == pytest.approx(np.exp(-1.0) - 1.0)
    assert F.softplus(Value(0.0)).data == pytest.approx(np.log(2.0))
    assert F.gelu(Value(1.0)).data == pytest.approx(0.5 * (1 + math.erf(1 / math.sqrt(2))))
    assert F.gelu(Value(1.0), approximate="tanh").data == pytest.approx(
        0.5 * (1 + np.tanh(np.sqrt(2 / np.pi) * (1 + 0.044715))))
    assert F.selu(Value(1.0)).data == pytest.approx(F.SELU_SCALE)
    assert F.mish(Value(1.0)).data == pytest.approx(np.tanh(np.log1p(np.e)))


def test_softplus_primitive_gradient_at_zero_and_second_order():
    x = Value(0.0)
    F.softplus(x).backward()
    assert x.grad == pytest.approx(0.5)                       # sigmoid(0): no kink
    second = ag.grad(ag.grad(lambda v: F.softplus(v)))(0.0)  # d/dx sigmoid = 1/4 at 0
    assert second == pytest.approx(0.25)


def test_prelu_uses_weight_on_negative_side():
    x = Value(np.array([-2.0, 3.0]))
    w = Value(np.array([0.25]))
    out = F.prelu(x, w)
    np.testing.assert_allclose(out.data, [-0.5, 3.0])
    out.sum().backward()
    np.testing.assert_allclose(w.grad, [-2.0])
    np.testing.assert_allclose(x.grad, [0.25, 1.0])


def test_activation_lookup():
    assert F.get_activation("swish") is F.get_activation("silu") and F.swish is F.silu
    assert F.get_activation(None) is F.linear
    square = lambda v: v * v                                   # noqa: E731
    assert F.get_activation(square) is square
    assert F.get_activation("ReLU") is F.relu and F.get_activation("GELU") is F.gelu
    with pytest.raises(ValueError, match="unknown activation 'relux'.*gelu"):
        F.get_activation("relux")


def test_raw_data_in_raw_data_out():
    out = F.silu(np.array([1.0, -1.0]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [1 / (1 + np.exp(-1)), -1 / (1 + np.exp(1))])
