"""numpy.linalg.norm with gradients: vector norms over one axis, matrix norms over two.

`norm` is numpy.linalg.norm; its subgradients are PyTorch's (torch.linalg.norm): 0 at a zero
vector or matrix for every order, sign(x) for ord=1 (0 at 0), ord=inf/-inf (and the matrix
orders 1, -1, inf, -inf) split the gradient between tied largest (smallest) entries, ord=0
counts nonzero entries and has zero gradient, other orders p give zero entries 0. A vector
p-norm is scaled by its largest |entry| (smallest, for p < 0) first, so it neither overflows
nor underflows where numpy's does. At NaN the gradients are PyTorch's: NaN over the slice for
2-, p- and matrix norms; for ord=1 the NaN entries get 0 (the others their sign), for ord=inf
and -inf the whole slice gets 0.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.op import Op, data_of, shape_of
from autograd.ops.elementwise import abs, power, where
from autograd.ops.reductions import (check_keepdims, extreme_vjp, kept_shape, max, min, sum,
                                     unreduce)
from autograd.ops.shape import normalize_axes, reshape


# norm: vector p-norms are one primitive (scaled, see the module's notes); ord 1, inf, -inf
# and the matrix orders are compositions. The matrix orders take the peak as torch.amax does:
# ties share the gradient, and a NaN peak gives every entry of its slice a NaN gradient.
def _pnorm(x: Any, ord: float, axis: Any, keepdims: bool) -> Any:
    x = np.asarray(x)
    if ord == 0:
        return np.sum(x != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
    a = np.abs(x)
    peak = a.max(axis, keepdims=True, initial=0) if ord > 0 else a.min(
        axis, keepdims=True, initial=np.inf)
    scale = np.where((peak > 0) & (peak < np.inf), peak, np.ones((), a.dtype))
    with np.errstate(divide="ignore"):          # 0 ** p for p < 0 is inf, and the norm 0
        total = np.sum((a / scale) ** ord, axis=axis, keepdims=True)
    out = scale * total ** (1.0 / ord)
    return out if keepdims else (out.squeeze(axis) if axis is not None else out.reshape(()))


def _pnorm_vjp(g: Any, ans: Any, x: Any, ord: float, axis: Any, keepdims: bool) -> Any:
    """d|x|_p / dx = sign(x) |x|^(p-1) |x|_p^(1-p), PyTorch's: zero entries get 0, and so
    does a zero vector for p > 1 (where |x|_p^(1-p) is infinite)."""
    g = unreduce(g, x, axis, keepdims)
    xd = data_of(x)
    if ord == 0:
        return g * np.zeros(np.shape(xd), dtype=np.result_type(xd))
    if ord == 2:
        entry = x
    else:
        sign = (xd > 0).astype(np.int8) - (xd < 0)
        entry = sign * power(where(xd == 0, 1.0, abs(x)), ord - 1.0)
    norm = unreduce(ans, x, axis, keepdims)
    if ord > 1:
        norm = where(data_of(norm) == 0, 1.0, norm)  # then every entry is 0
    return g * entry * power(norm, 1.0 - ord)


_pnorm_op = Op("norm", _pnorm, _pnorm_vjp)


def _peak_vjp(g: Any, ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    grad = extreme_vjp(g, ans, x, axis, keepdims)
    lost = np.isnan(np.reshape(data_of(ans), kept_shape(shape_of(x), axis)))
    return where(lost, math.nan, grad) if lost.any() else grad


_amax_op = Op("amax", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
              _peak_vjp)
_amin_op = Op("amin", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
              _peak_vjp)
_SVD_ORDS = {2: "[..., 0] (the largest)", -2: "[..., -1] (the smallest)",
             "nuc": ".sum(axis=-1) (their sum)"}


def _vector_norm(x: Any, ord: Any, axis: Any, keepdims: bool) -> Any:
    if ord is None or ord == 2:
        return _pnorm_op(x, ord=2.0, axis=axis, keepdims=keepdims)
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(
            ord, (int, float, np.integer, np.floating)) or math.isnan(ord):
        raise ValueError(f"norm: ord={ord!r} is not a vector norm order; give None, a number, "
                         "inf or -inf ('fro' and 'nuc' need two axes)")
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if math.isinf(ord):
        return (max if ord > 0 else min)(abs(x), axis, keepdims)
    return _pnorm_op(x, ord=float(ord), axis=axis, keepdims=keepdims)


def _matrix_norm(x: Any, ord: Any, rows: int, cols: int, keepdims: bool) -> Any:
    if ord is None or ord == "fro":
        return _pnorm_op(x, ord=2.0, axis=tuple(sorted((rows, cols))), keepdims=keepdims)
    if ord == "nuc" or (not isinstance(ord, str) and ord in _SVD_ORDS):
        raise NotImplementedError(
            f"norm: ord={ord!r} of matrices is a function of the singular values, which this "
            "norm does not compute; move the matrix axes last and use the singular values of "
            f"autograd.linalg.svd(x, compute_uv=False){_SVD_ORDS[ord]}, or ord='fro'")
    if isinstance(ord, str) or ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"norm: ord={ord!r} is not a matrix norm order; give None, 'fro', "
                         "1, -1, inf or -inf (2, -2 and 'nuc' need the singular values)")
    summed, picked = (rows, cols) if ord in (1, -1) else (cols, rows)
    sums = sum(abs(x), summed, keepdims=True)
    out = (_amax_op if ord > 0 else _amin_op)(sums, axis=(picked,), keepdims=True)
    if keepdims:
        return out
    return reshape(out, [n for i, n in enumerate(shape_of(x)) if i not in (rows, cols)])


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.linalg.norm: a vector norm over one axis, a matrix norm over two; with axis None,
    the 2-norm of the flattened value when ord is None, else the vector norm of a 1-D value
    or the matrix norm of a 2-D one. Vector orders: None or 2, 1, inf, -inf, 0 (count of
    nonzero entries) and any other number p, (sum |x|^p)^(1/p); matrix orders: None or 'fro',
    1 and -1 (largest and smallest column sum of |x|), inf and -inf (row sums). Orders 2, -2
    and 'nuc' of matrices need the singular values and raise NotImplementedError. The
    subgradients at kinks are PyTorch's (see the module's notes).

    >>> x = Value(np.array([3.0, -4.0])); norm(x).backward(); x.grad
    array([ 0.6, -0.8])
    """
    keepdims = check_keepdims(keepdims, "norm")
    ndim = len(shape_of(x))
    if axis is None:
        if ord is None or (ord == "fro" and ndim == 2) or (ord == 2 and ndim == 1):
            return _pnorm_op(x, ord=2.0, axis=None, keepdims=keepdims)
        if ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} with axis=None needs a 1-D value (a vector "
                             f"norm) or a 2-D one (a matrix norm), got shape {shape_of(x)}; "
                             "give the axis or axes to reduce")
        axis = tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    if len(axes) not in (1, 2):
        raise ValueError(f"norm: axis {axis!r} names {len(axes)} axes of a value of shape "
                         f"{shape_of(x)}; a norm reduces one axis (a vector norm) or two (a "
                         "matrix norm)")
    if len(axes) == 1:
        return _vector_norm(x, ord, normalize_axes(axes, ndim, "norm"), keepdims)
    rows, cols = (normalize_axes(a, ndim, "norm")[0] for a in axes)
    if rows == cols:
        raise ValueError(f"norm: axis {axis!r} names the same axis twice; a matrix norm needs "
                         "two different axes")
    return _matrix_norm(x, ord, rows, cols, keepdims)
