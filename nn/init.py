"""Weight initialisers. Each takes a shape and an explicit random generator (or a seed).

Weights are stored as `(fan_in, fan_out)` (inputs times outputs, so `x @ W` works); a vector
of shape `(n,)` (one neuron's weights) has fan_in n and fan_out 1.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence, Union

import numpy as np

from nn.lookup import by_name

Rng = Union[np.random.Generator, int, None]
Initializer = Callable[..., np.ndarray]


def as_generator(rng: Rng) -> np.random.Generator:
    """A numpy Generator from a Generator, an integer seed, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"expected a numpy Generator, an integer seed or None, "
                    f"got {type(rng).__name__}")


def fans(shape: Sequence[int]) -> tuple:
    """(fan_in, fan_out) of a weight of `shape`."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], 1
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[0] * receptive, shape[1] * receptive


def xavier_uniform(shape: Sequence[int], rng: Rng, gain: float = 1.0,
                   dtype: Any = np.float64) -> np.ndarray:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).

    >>> xavier_uniform((3, 2), 0).shape
    (3, 2)
    """
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return as_generator(rng).uniform(-bound, bound, size=tuple(shape)).astype(dtype)


def xavier_normal(shape: Sequence[int], rng: Rng, gain: float = 1.0,
                  dtype: Any = np.float64) -> np.ndarray:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return (as_generator(rng).standard_normal(tuple(shape)) * std).astype(dtype)


def kaiming_uniform(shape: Sequence[int], rng: Rng, gain: float = math.sqrt(2.0),
                    dtype: Any = np.float64) -> np.ndarray:
    """He uniform: U(-a, a) with a = gain * sqrt(3 / fan_in) (gain sqrt(2) suits ReLU)."""
    fan_in, _ = fans(shape)
    bound = gain * math.sqrt(3.0 / fan_in)
    return as_generator(rng).uniform(-bound, bound, size=tuple(shape)).astype(dtype)


def kaiming_normal(shape: Sequence[int], rng: Rng, gain: float = math.sqrt(2.0),
                   dtype: Any = np.float64) -> np.ndarray:
    """He normal: N(0, std^2) with std = gain / sqrt(fan_in) (gain sqrt(2) suits ReLU)."""
    fan_in, _ = fans(shape)
    return (as_generator(rng).standard_normal(tuple(shape)) * (gain / math.sqrt(fan_in))
            ).astype(dtype)


def lecun_normal(shape: Sequence[int], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """LeCun normal: N(0, 1 / fan_in), the initialisation SELU networks need."""
    fan_in, _ = fans(shape)
    return (as_generator(rng).standard_normal(tuple(shape)) / math.sqrt(fan_in)).astype(dtype)


def zeros(shape: Sequence[int], rng: Rng = None, dtype: Any = np.float64) -> np.ndarray:
    """All zeros (`rng` is accepted so every initialiser has the same signature)."""
    return np.zeros(tuple(shape), dtype=dtype)


INITIALIZERS = {"xavier_uniform": xavier_uniform, "glorot_uniform": xavier_uniform,
                "xavier_normal": xavier_normal, "glorot_normal": xavier_normal,
                "kaiming_uniform": kaiming_uniform, "he_uniform": kaiming_uniform,
                "kaiming_normal": kaiming_normal, "he_normal": kaiming_normal,
                "lecun_normal": lecun_normal, "zeros": zeros}

_RELU_FAMILY = {"relu", "leaky_relu", "elu", "swish", "silu", "mish", "gelu", "softplus",
                "prelu"}


def default_initializer(activation: str) -> Initializer:
    """The initialiser that suits an activation: He normal for the ReLU family, LeCun normal
    for SELU, Glorot uniform otherwise (tanh, sigmoid, softmax, linear, custom callables)."""
    if activation in _RELU_FAMILY:
        return kaiming_normal
    if activation == "selu":
        return lecun_normal
    return xavier_uniform


def get_initializer(init: Union[str, Initializer, None], activation: str) -> Initializer:
    """Resolve `init` given by name, as a callable `(shape, rng, dtype=...)`, or None
    (the default for `activation`)."""
    if init is None:
        return default_initializer(activation)
    return by_name(init, INITIALIZERS, "initialiser")


def initialize(init: Union[str, Initializer, None], activation: str, shape: Sequence[int],
               rng: np.random.Generator, dtype: Any) -> np.ndarray:
    """Draw a weight of `shape` with `init` (or the activation's default) in `dtype`."""
    out = np.asarray(get_initializer(init, activation)(tuple(shape), rng, dtype=dtype))
    if out.shape != tuple(shape):
        raise ValueError(f"initialiser {init!r} returned shape {out.shape}, "
                         f"expected {tuple(shape)}")
    return out.astype(dtype, copy=False)


__all__ = ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
           "lecun_normal", "zeros", "fans", "as_generator", "default_initializer",
           "get_initializer"]
