"""Cumulative sums and products along an axis, numpy's `cumsum` and `cumprod`.

cumsum's VJP is the gradient summed from the other end. cumprod's is exact with zeros (one,
several, anywhere) and divides by nothing: with y = cumprod(x),

    dL/dx_i = y_{i-1} * b_i,    b_i = g_i + x_{i+1} b_{i+1}   (y_{-1} = 1, b past the end 0),

where b is a first-order linear recurrence run backwards (`_scan_op`). The VJPs of a recurrence
are recurrences again, so derivatives of every order stay exact. A recurrence runs as one
numpy step per entry along the axis (vectorised over the other axes): cumprod's backward
costs a Python loop over the axis, its forward does not.

At NaN the gradients are PyTorch's: in cumprod a NaN makes every gradient of its line NaN
(its own entry's too, which the formula above would give a number), unless the line has one
entry (then cumprod copies it); cumsum's gradient does not depend on x.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.op import Op, data_of, shape_of
from autograd.ops.elementwise import where
from autograd.ops.shape import concatenate, getitem, normalize_axes, reshape
from autograd.value import Value


def _run_scan(v: np.ndarray, a: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """u_k = v_k + a_k u_{k-1} along `axis` (from the end with `reverse`: u_k = v_k +
    a_{k+1} u_{k+1}). a_k links entries k-1 and k, both ways; a_0 is never used."""
    out = np.array(v, dtype=np.result_type(v, a))
    u, links = np.moveaxis(out, axis, 0), np.moveaxis(np.asarray(a), axis, 0)
    n = u.shape[0]
    if reverse:
        for k in range(n - 2, -1, -1):
            u[k] += links[k + 1] * u[k + 1]
    else:
        for k in range(1, n):
            u[k] += links[k] * u[k - 1]
    return out


def _along(axis: int, ndim: int, index: Any) -> tuple:
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _flip(x: Any, axis: int) -> Any:
    return getitem(x, _along(axis, len(shape_of(x)), slice(None, None, -1)))


def _shift(x: Any, axis: int, fill: float) -> Any:
    """x moved one place along `axis`: entry k holds x_{k-1}, entry 0 holds `fill`."""
    shape = shape_of(x)
    edge = np.full(shape[:axis] + (1,) + shape[axis + 1:], fill,
                   dtype=np.result_type(data_of(x)))
    return concatenate([edge, getitem(x, _along(axis, len(shape), slice(None, -1)))], axis)


def _scan_vjp(g: Any, ans: Any, v: Any, a: Any, axis: int, reverse: bool) -> list:
    """The transpose of a recurrence runs the other way along the same links; a_k scales
    u_{k-1} into u_k (forward), or u_k into u_{k-1} (reverse)."""
    back = _scan_op(g, a, axis=axis, reverse=not reverse)
    if reverse:
        return [back, _shift(back, axis, 0.0) * ans]
    return [back, back * _shift(ans, axis, 0.0)]


_scan_op = Op("linear_scan", _run_scan, joint_vjp=_scan_vjp)


def nan_poisoned(grad: Any, x: Any, axis: Any) -> Any:
    """`grad` made NaN over every slice (along `axis`) of x holding a NaN: PyTorch's gradient
    of products at NaN, which divide the product by x there."""
    lost = np.isnan(data_of(x)).any(axis=axis, keepdims=True)
    return where(lost, math.nan, grad) if lost.any() else grad


def _cumprod_vjp(g: Any, ans: Any, x: Any, axis: int) -> Any:
    if shape_of(x)[axis] == 1:
        return g                        # lines of one entry are copied, NaN or not
    grad = _scan_op(g, x, axis=axis, reverse=True) * _shift(ans, axis, 1.0)
    return nan_poisoned(grad, x, axis)


_cumsum_op = Op("cumsum", lambda x, axis: np.cumsum(x, axis=axis),
                lambda g, ans, x, axis: _flip(_cumsum_op(_flip(g, axis), axis=axis), axis))
_cumprod_op = Op("cumprod", lambda x, axis: np.cumprod(x, axis=axis), _cumprod_vjp)


def one_axis(x: Any, axis: Any, name: str, flattens: bool = True) -> int:
    """`axis` as the index of one axis of x (negatives allowed), or a clear error; `flattens`
    says the function reads axis=None as the flattened value (the error says so)."""
    ndim = len(shape_of(x))
    if ndim == 0 or axis is None or isinstance(axis, (tuple, list)):
        hint = ", or axis=None for the flattened value" if flattens else ""
        raise ValueError(f"{name}: axis {axis!r} is not one axis of a value of shape "
                         f"{shape_of(x)}; give an int axis{hint}")
    return normalize_axes(axis, ndim, name)[0]


def _cumulative(op: Op, x: Any, axis: Any) -> Any:
    """Run `op` along `axis`; along the flattened value when axis is None, as numpy does."""
    if axis is None:
        return op(reshape(x, (-1,)), axis=0)
    return op(x, axis=one_axis(x, axis, op.name))


def cumsum(x: Any, axis: Any = None) -> Any:
    """Running sums along `axis` (the flattened value when None), as numpy's cumsum.

    >>> cumsum(Value(np.array([[1.0, 2.0], [3.0, 4.0]])), axis=1).data
    array([[1., 3.],
           [3., 7.]])
    """
    return _cumulative(_cumsum_op, x, axis)


def cumprod(x: Any, axis: Any = None) -> Any:
    """Running products along `axis` (the flattened value when None), as numpy's cumprod;
    the gradient is exact with zeros (see the module's notes).

    >>> x = Value(np.array([2.0, 0.0, 3.0])); cumprod(x).sum().backward(); x.grad
    array([1., 8., 0.])
    """
    return _cumulative(_cumprod_op, x, axis)


def exclusive_cumprod(x: Any, axis: int, reverse: bool = False) -> Any:
    """The product of the entries before each one along `axis` (after it, with `reverse`),
    1 for the first (last): how prod's gradient gets the product of the others exactly."""
    if reverse:
        return _flip(exclusive_cumprod(_flip(x, axis), axis), axis)
    return _shift(_cumprod_op(x, axis=axis), axis, 1.0)


# ----- Value's methods for this family (see autograd/value.py) -----------------------------
Value.cumsum = cumsum
Value.cumprod = cumprod
