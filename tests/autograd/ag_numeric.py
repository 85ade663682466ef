"""Finite-difference helpers for the tests (independent of `autograd.gradcheck`)."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence

import numpy as np

from autograd import Value, no_grad


def to_value(a: np.ndarray, requires_grad: bool = True) -> Value:
    """A Value holding `a` (a 0-d float64 array becomes a Python-float Value)."""
    return Value(a, requires_grad=requires_grad)


def forward(fn: Callable[..., Any], arrays: Sequence[np.ndarray], params: dict) -> np.ndarray:
    """fn on constant Values, as a float64 array."""
    with no_grad():
        out = fn(*[to_value(a, requires_grad=False) for a in arrays], **params)
    return np.asarray(out.data, dtype=np.float64)


def numeric_vjp(fn: Callable[..., Any], arrays: Sequence[np.ndarray], params: dict,
                g: np.ndarray, eps: float = 1e-6) -> List[np.ndarray]:
    """Central differences of sum(fn(*arrays) * g) with respect to each array, in float64."""
    base = [np.array(a, dtype=np.float64) for a in arrays]
    grads = []
    for i, x in enumerate(base):
        out = np.zeros_like(x)
        for pos in np.ndindex(x.shape):
            shifted = [b.copy() for b in base]
            shifted[i][pos] = x[pos] + eps
            up = np.sum(forward(fn, shifted, params) * g)
            shifted[i][pos] = x[pos] - eps
            down = np.sum(forward(fn, shifted, params) * g)
            out[pos] = (up - down) / (2 * eps)
        grads.append(out)
    return grads


def engine_grads(fn: Callable[..., Any], arrays: Sequence[np.ndarray], params: dict,
                 g: np.ndarray) -> List[np.ndarray]:
    """First-order gradients of sum(fn(*x) * g) from the engine, as float64 arrays."""
    vals = [to_value(np.array(a, dtype=np.float64)) for a in arrays]
    out = fn(*vals, **params)
    out.backward(np.asarray(g, dtype=np.float64).reshape(out.shape))
    return [np.asarray(v.grad, dtype=np.float64) for v in vals]


def assert_grad_like(grad: Any, value: Value) -> None:
    """A gradient has the same type, shape and dtype as the data it belongs to."""
    if type(value.data) is float:
        assert type(grad) is float, f"expected a float gradient, got {type(grad).__name__}"
    else:
        assert type(grad) is np.ndarray, f"expected an ndarray gradient, got {type(grad)}"
        assert grad.shape == value.data.shape
        assert grad.dtype == value.data.dtype
