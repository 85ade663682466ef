"""Hypothesis strategies for property-testing gradients of your own functions.

>>> from hypothesis import given
>>> from autograd import gradcheck
>>> from autograd.testing import arrays
>>> @given(arrays(shape=(3,)))
... def test_square(x):
...     assert gradcheck(lambda v: (v * v).sum(), x)

Requires `hypothesis` (the project's `test` extra).
"""
from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("autograd.testing needs hypothesis: pip install hypothesis "
                      "(or the project's 'test' extra)") from exc

from autograd.value import Value

__all__ = ["shapes", "broadcastable_shapes", "elements", "arrays", "values", "value_pairs"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1,
           max_side: int = 4) -> st.SearchStrategy[Tuple[int, ...]]:
    """Array shapes, e.g. (), (3,), (2, 1, 4)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         min_side: int = 1,
                         max_side: int = 4) -> st.SearchStrategy[Tuple[Tuple[int, ...], ...]]:
    """Tuples of `num_shapes` shapes that broadcast together, e.g. ((3, 1), (4,))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda r: r.input_shapes)


def elements(low: float = -3.0, high: float = 3.0, avoid: Sequence[float] = (),
             margin: float = 1e-2, dtype: Any = np.float64) -> st.SearchStrategy[float]:
    """Finite floats in [low, high], kept at least `margin` away from each point of `avoid`
    (the kinks of relu or abs, the poles of log), where finite differences mislead."""
    width = 32 if np.dtype(dtype) == np.float32 else 64
    kind = np.float32 if width == 32 else np.float64
    low, high = _inward(low, high, kind)
    base = st.floats(low, high, allow_nan=False, allow_infinity=False, width=width)

    def step_away(k: float, side: int) -> float:
        """The number of `dtype` nearest to k + side * margin that is a full margin away."""
        x = kind(k + side * margin)
        while abs(float(x) - k) < margin:               # rounding may land just inside
            x = np.nextafter(x, kind(side * np.inf))
        return float(x)

    def push(x: float) -> float:
        for k in avoid:
            if abs(x - k) < margin:
                up, down = step_away(k, 1), step_away(k, -1)
                x = up if (x >= k and up <= high) or down < low else down
        return x

    def allowed(x: float) -> bool:                      # in range, away from every point
        return low <= x <= high and all(abs(x - k) >= margin for k in avoid)

    return base.map(push).filter(allowed) if avoid else base


def _inward(low: float, high: float, kind: Any) -> Tuple[float, float]:
    """The bounds rounded inward to numbers of `kind` (0.1 is not a float32)."""
    lo, hi = kind(low), kind(high)
    if lo < low:
        lo = np.nextafter(lo, kind(np.inf))
    if hi > high:
        hi = np.nextafter(hi, kind(-np.inf))
    return float(lo), float(hi)


def arrays(shape: Any = None, dtype: Any = np.float64, low: float = -3.0, high: float = 3.0,
           avoid: Sequence[float] = (), margin: float = 1e-2,
           unique: bool = False) -> st.SearchStrategy[np.ndarray]:
    """Float arrays with bounded elements; `shape` is a tuple or a strategy (random when None).
    `unique=True` avoids ties (for max, min and sorting-like functions)."""
    return hnp.arrays(np.dtype(dtype), shapes() if shape is None else shape,
                      elements=elements(low, high, avoid, margin, dtype), unique=unique)


def values(shape: Any = None, dtype: Any = np.float64, low: float = -3.0, high: float = 3.0,
           avoid: Sequence[float] = (), margin: float = 1e-2,
           requires_grad: bool = True) -> st.SearchStrategy[Value]:
    """Values built from `arrays(...)`; a 0-d float64 draw becomes a Python-float Value."""
    return arrays(shape, dtype, low, high, avoid, margin).map(
        lambda a: Value(a, requires_grad=requires_grad))


def value_pairs(dtype: Any = np.float64, low: float = -3.0, high: float = 3.0,
                max_dims: int = 3) -> st.SearchStrategy[Tuple[Value, Value]]:
    """Two Values whose shapes broadcast together (for binary ops)."""
    return broadcastable_shapes(max_dims=max_dims).flatmap(
        lambda pair: st.tuples(values(pair[0], dtype, low, high),
                               values(pair[1], dtype, low, high)))
