"""Activation functions built from autograd ops, all stable for inputs of magnitude 1e3.

Every function accepts a `Value` or raw data (a float or a numpy array) and returns the same
kind. No exponential is ever taken of a large positive number, so values and gradients stay
finite (no inf, no nan) for |x| up to 1e3 and beyond, in float32 and float64.

conv1d/conv2d, max_pool1d/2d, avg_pool1d/2d and adaptive_avg_pool1d/2d are autograd's, with
PyTorch's signatures, so `F.conv2d(x, weight, bias, stride, padding)` reads as in PyTorch.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Union

import numpy as np

import autograd as ag
from autograd import Op, Value
from autograd import (  # noqa: F401  convolution and pooling: PyTorch's functional API
    adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, conv1d, conv2d,
    max_pool1d, max_pool2d)
from nn.attention import scaled_dot_product_attention  # noqa: F401  PyTorch's F.<name>
from nn.lookup import by_name

Activation = Union[str, Callable[[Any], Any], None]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_GELU_C = math.sqrt(2.0 / math.pi)
_SQRT_HALF = math.sqrt(0.5)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Value) else np.asarray(x)


def _softplus_forward(x: Any) -> Any:
    if type(x) is float:
        return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))
    return np.logaddexp(np.zeros((), dtype=x.dtype), x)


# softplus(x) = log(1 + e^x), computed as logaddexp(0, x); d/dx = sigmoid(x).
_softplus = Op("softplus", _softplus_forward, lambda g, ans, x: g * ag.sigmoid(x))


def relu(x: Any) -> Any:
    """max(x, 0); the gradient at 0 is 0.

    >>> relu(Value([-1.0, 2.0])).data
    array([0., 2.])
    """
    return ag.relu(x)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Any:
    """x for x > 0, negative_slope * x otherwise.

    >>> leaky_relu(Value([-1.0, 2.0]), 0.1).data
    array([-0.1,  2. ])
    """
    return ag.where(_data(x) > 0, x, x * negative_slope)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e^-x), evaluated without overflow."""
    return ag.sigmoid(x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return ag.tanh(x)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """x - logsumexp(x) along `axis`: log-probabilities, stable for any logits.

    >>> np.round(np.exp(log_softmax(Value([0.0, 0.0])).data), 3)
    array([0.5, 0.5])
    """
    return x - ag.logsumexp(x, axis=axis, keepdims=True)


def softmax(x: Any, axis: int = -1) -> Any:
    """exp(x) / sum(exp(x)) along `axis`, computed as exp(log_softmax(x)).

    >>> softmax(Value([0.0, 1e3])).data
    array([0., 1.])
    """
    return ag.exp(log_softmax(x, axis))


def elu(x: Any, alpha: float = 1.0) -> Any:
    """x for x > 0, alpha * (e^x - 1) otherwise.

    >>> round(float(elu(Value(-1e3)).data), 6)
    -1.0
    """
    positive = _data(x) > 0
    negative_part = ag.where(positive, 0.0, x)      # never exponentiate a large positive x
    return ag.where(positive, x, (ag.exp(negative_part) - 1.0) * alpha)


def selu(x: Any) -> Any:
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return elu(x, SELU_ALPHA) * SELU_SCALE


def silu(x: Any) -> Any:
    """x * sigmoid(x) (also called swish).

    >>> silu(Value([0.0, 1e3])).data
    array([   0., 1000.])
    """
    return x * ag.sigmoid(x)


swish = silu


def softplus(x: Any) -> Any:
    """log(1 + e^x), a smooth relu; computed as logaddexp(0, x) so it never overflows.

    >>> softplus(Value([-1e3, 1e3])).data
    array([   0., 1000.])
    """
    return _softplus(x)


def mish(x: Any) -> Any:
    """x * tanh(softplus(x)) (Misra, 2019)."""
    return x * ag.tanh(_softplus(x))


def gelu(x: Any, approximate: str = "none") -> Any:
    """GELU, x * Phi(x) with Phi the standard normal CDF, as PyTorch's `gelu`.

    `approximate='none'` (the default, PyTorch's) is the exact form 0.5 x (1 + erf(x / sqrt(2)));
    `approximate='tanh'` is the tanh approximation
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), which differs from it by less than 1e-3.

    >>> round(float(gelu(Value(1.0)).data), 6), round(float(gelu(Value(1.0), 'tanh').data), 6)
    (0.841345, 0.841192)
    """
    if approximate == "none":
        return x * (ag.erf(x * _SQRT_HALF) + 1.0) * 0.5
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * _GELU_C
        return x * (ag.tanh(inner) + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' (the exact erf form) or 'tanh', got "
                     f"{approximate!r}")


def prelu(x: Any, weight: Any) -> Any:
    """x for x > 0, weight * x otherwise; `weight` (a learnable slope) broadcasts against x."""
    return ag.where(_data(x) > 0, x, x * weight)


def linear(x: Any) -> Any:
    """The identity: a layer without an activation."""
    return x


ACTIVATIONS: Dict[str, Callable[[Any], Any]] = {
    "relu": relu, "leaky_relu": leaky_relu, "sigmoid": sigmoid, "tanh": tanh,
    "softmax": softmax, "elu": elu, "selu": selu, "swish": swish, "silu": silu, "mish": mish,
    "gelu": gelu, "softplus": softplus, "linear": linear,
}


def get_activation(activation: Activation) -> Callable[[Any], Any]:
    """Resolve an activation given by name, as a callable, or None (linear).

    >>> get_activation('tanh') is tanh
    True
    """
    return linear if activation is None else by_name(activation, ACTIVATIONS, "activation")


def activation_name(activation: Activation) -> str:
    """A printable name for an activation given by name, callable or None."""
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return activation.lower()
    return getattr(activation, "__name__", type(activation).__name__)
