"""Reductions with numpy's `axis` (None, int or tuple; negatives allowed) and `keepdims`, and
broadcasting, their adjoint: sum's VJP broadcasts, broadcast_to's VJP sums (`sum_to`).

Each VJP spreads the upstream gradient back over the reduced axes. `max`/`min` share the
gradient evenly between tied maxima (minima). A NaN is the extreme of its slice (numpy's and
PyTorch's result) and the NaNs of that slice share its gradient, the numbers get none, as
PyTorch's `max()` does (its `amax` gives every entry of the slice a NaN gradient instead).
`logsumexp` is stable for any input size; a NaN makes its slice's gradients NaN (PyTorch's).

prod's gradient is the product of the other entries of each slice, from running products
before and after each entry: exact with any number of zeros, no division by x. A NaN makes
its slice's gradients NaN (PyTorch's, which divides the product by x); at an infinite entry
the gradient is the product of the others, where PyTorch's division gives NaN.

var and std are numpy's (`ddof`: divide by N - ddof, which must stay positive). std's gradient
where the standard deviation is 0 is 0, as PyTorch's (sqrt has no finite slope there).

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
from autograd.ops.elementwise import abs, exp, power, where
from autograd.ops.scans import exclusive_cumprod, nan_poisoned
from autograd.ops.shape import as_shape, normalize_axes, reshape, transpose
from autograd.value import Value


def _kept_shape(shape: tuple, axis: Any) -> tuple:
    """`shape` with the reduced axes kept as size 1."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def _unreduce(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Give a reduced gradient size-1 axes where `x` was reduced, so it broadcasts against x."""
    if keepdims or axis is None:
        return g
    return reshape(g, _kept_shape(shape_of(x), axis))


def _extreme_vjp(g: Any, ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    xd = data_of(x)
    if type(xd) is float:
        return g
    peak = np.reshape(data_of(ans), _kept_shape(xd.shape, axis))
    hits = xd == peak
    count = np.sum(hits, axis=axis, keepdims=True)
    if np.count_nonzero(count) < count.size:    # a NaN extreme equals no entry: its NaNs share
        hits = hits | (xd != xd)
        count = np.sum(hits, axis=axis, keepdims=True)
    share = (hits / count).astype(xd.dtype, copy=False)
    return _unreduce(g, x, axis, keepdims) * share


def _logsumexp(x: Any, axis: Any, keepdims: bool) -> Any:
    if type(x) is float:
        return x
    peak = x.max(axis, keepdims=True)
    if not np.isfinite(peak).all():
        peak = np.where(np.isfinite(peak), peak, 0)  # rows of -inf give -inf, not nan
    out = np.log(np.exp(x - peak).sum(axis, keepdims=True))
    out += peak
    return out if keepdims else out.squeeze(axis)


def _reduction_error(name: str):
    return lambda a, axis=None, keepdims=False: (
        f"{name}: cannot reduce a value of shape {a} over axis {axis} (empty input?)")


_sum_op = Op("sum", lambda x, axis, keepdims: np.add.reduce(x, axis, keepdims=keepdims)
             if type(x) is np.ndarray else np.sum(x, axis=axis, keepdims=keepdims),
             lambda g, ans, x, axis, keepdims: broadcast_to(         # d/dx_i = 1
                 _unreduce(g, x, axis, keepdims), shape_of(x)))
_broadcast_op = Op("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                   lambda g, ans, x, shape: sum_to(g, shape_of(x)),     # sum the copies
                   describe_error=lambda a, shape=(): (
                       f"broadcast_to: cannot broadcast shape {a} to shape {shape}"))
_max_op = Op("max", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
             _extreme_vjp,                       # 1 at the maximum (ties share; NaN is the max)
             describe_error=_reduction_error("max"))
_min_op = Op("min", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
             _extreme_vjp,                       # 1 at the minimum (ties share; NaN is the min)
             describe_error=_reduction_error("min"))
_logsumexp_op = Op("logsumexp", _logsumexp,                  # d/dx_i = softmax(x)_i
                   lambda g, ans, x, axis, keepdims: _unreduce(g, x, axis, keepdims) * exp(
                       x - _unreduce(ans, x, axis, keepdims)),
                   describe_error=_reduction_error("logsumexp"))


def _axes(x: Any, axis: Any, name: str) -> Any:
    """Normalised axes; a 0-d value has no axis to name (numpy accepts axis=0 there for some
    reductions and not others, so we refuse it for all)."""
    ndim = len(shape_of(x))
    if ndim == 0 and axis is not None and axis != ():
        raise ValueError(f"{name}: axis {axis!r} is out of range for a value with 0 "
                         "dimensions (use axis=None)")
    return normalize_axes(axis, ndim, name)


def _reduce(op: Op, x: Any, axis: Any, keepdims: bool) -> Any:
    return op(x, axis=_axes(x, axis, op.name), keepdims=bool(keepdims))


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sum over `axis` (all axes when None).

    >>> sum(Value(np.ones((2, 3))), axis=0).data
    array([2., 2., 2.])
    """
    return _reduce(_sum_op, x, axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Arithmetic mean over `axis` (all axes when None)."""
    shape = shape_of(x)
    axes = _axes(x, axis, "mean")
    count = math.prod(shape if axes is None else [shape[a] for a in axes])
    return _sum_op(x, axis=axes, keepdims=bool(keepdims)) / float(count)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Largest entry over `axis`; tied maxima share the gradient."""
    return _reduce(_max_op, x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Smallest entry over `axis`; tied minima share the gradient."""
    return _reduce(_min_op, x, axis, keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """log(sum(exp(x))) over `axis`, computed stably (shifted by the maximum).

    >>> round(float(logsumexp(Value([1e4, 1e4]))), 4)
    10000.6931
    """
    return _reduce(_logsumexp_op, x, axis, keepdims)


def broadcast_to(x: Any, shape: Any) -> Any:
    """Repeat `x` along new or size-1 axes to `shape` (numpy rules)."""
    return _broadcast_op(x, shape=as_shape(shape))


def sum_to(g: Any, shape: tuple) -> Any:
    """Sum `g` over the axes broadcasting added to reach its shape from `shape` (the leading
    axes, then the size-1 axes), so the result has `shape`: the adjoint of broadcasting. The
    engine applies it to every gradient whose shape differs from its input's. `g` of any other
    shape is a wrong gradient (a smaller one too, as PyTorch rules: spreading it out would hide
    a VJP that summed what it should not have)."""
    gshape = shape_of(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead >= 0:
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                          if n == 1 and gshape[lead + i] != 1)
        if type(g) is np.ndarray:       # an ordinary backward pass: numpy directly
            out = np.add.reduce(g, axes)    # (ndarray.sum adds a Python layer on top of this)
            kept = out.shape
        else:
            out = _sum_op(g, axis=axes, keepdims=False) if axes else g
            kept = shape_of(out)
        if kept == shape:
            return out
        if kept == tuple(n for i, n in enumerate(shape) if lead + i not in axes):
            return reshape(out, shape)  # the summed size-1 axes back
    raise ValueError(f"a gradient of shape {gshape} does not fit a value of shape {shape} (it "
                     "must have that shape, or a shape that shape broadcasts to)")


# ----- products, spread and norms ------------------------------------------------------------
def _count(x: Any, axis: Any) -> int:
    """How many entries each slice reduced over `axis` (normalised) holds."""
    shape = shape_of(x)
    return math.prod(shape if axis is None else [shape[a] for a in axis])


def _others_product(x: Any, axis: Any) -> Any:
    """For each entry, the product of the other entries of its slice: the reduced axes are
    moved last and flattened into one, along which running products meet."""
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axis is None else axis
    kept = [i for i in range(len(shape)) if i not in axes]
    order = kept + list(axes)
    lines = reshape(transpose(x, order), [shape[i] for i in kept] + [_count(x, axes)])
    last = len(kept)
    others = exclusive_cumprod(lines, last) * exclusive_cumprod(lines, last, reverse=True)
    back = reshape(others, [shape[i] for i in order])
    return transpose(back, tuple(np.argsort(order)))


def _prod_vjp(g: Any, ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    if not shape_of(x):
        return g                        # a 0-d prod is x itself (PyTorch's, NaN or not)
    grad = _unreduce(g, x, axis, keepdims) * _others_product(x, axis)
    return nan_poisoned(grad, x, axis)


def _var_vjp(g: Any, ans: Any, x: Any, axis: Any, ddof: float, keepdims: bool) -> Any:
    scale = 2.0 / (_count(x, axis) - ddof)          # d var / dx = 2 (x - mean) / (N - ddof)
    return _unreduce(g, x, axis, keepdims) * (x - mean(x, axis, keepdims=True)) * scale


def _std_vjp(g: Any, ans: Any, x: Any, axis: Any, ddof: float, keepdims: bool) -> Any:
    sd = _unreduce(ans, x, axis, keepdims)          # d sd / dx = (x - mean) / ((N - ddof) sd)
    flat = data_of(sd) == 0
    share = _unreduce(g, x, axis, keepdims) / (where(flat, 1.0, sd) * (_count(x, axis) - ddof))
    return where(flat, 0.0, share) * (x - mean(x, axis, keepdims=True))


_prod_op = Op("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
              _prod_vjp, describe_error=_reduction_error("prod"))
_var_op = Op("var", lambda x, axis, ddof, keepdims: np.var(x, axis=axis, ddof=ddof,
                                                            keepdims=keepdims), _var_vjp)
_std_op = Op("std", lambda x, axis, ddof, keepdims: np.std(x, axis=axis, ddof=ddof,
                                                            keepdims=keepdims), _std_vjp)


def _check_keepdims(keepdims: Any, name: str) -> bool:
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{name}: keepdims must be True or False, got {keepdims!r}")
    return bool(keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product over `axis` (all axes when None); the gradient is exact with zeros.

    >>> x = Value(np.array([2.0, 0.0, 3.0])); prod(x).backward(); x.grad
    array([0., 6., 0.])
    """
    return _prod_op(x, axis=_axes(x, axis, "prod"), keepdims=_check_keepdims(keepdims, "prod"))


def _spread(op: Op, x: Any, axis: Any, ddof: Any, keepdims: Any) -> Any:
    axes = _axes(x, axis, op.name)
    if isinstance(ddof, bool) or not isinstance(ddof, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op.name}: ddof must be a number, got {ddof!r}")
    n = _count(x, axes)
    if not n - ddof > 0:
        raise ValueError(f"{op.name}: ddof={ddof} leaves no degrees of freedom for slices of "
                         f"{n} entr{'y' if n == 1 else 'ies'} (N - ddof must be positive); use "
                         "a smaller ddof or reduce over more entries")
    return op(x, axis=axes, ddof=ddof, keepdims=_check_keepdims(keepdims, op.name))


def var(x: Any, axis: Any = None, *, ddof: float = 0, keepdims: bool = False) -> Any:
    """Variance over `axis` (all axes when None): the mean squared deviation from the mean,
    with the sum divided by N - ddof (ddof=1: the unbiased estimate), as numpy's var.

    >>> var(Value(np.array([1.0, 2.0, 3.0, 4.0])), ddof=1).data
    1.6666666666666667
    """
    return _spread(_var_op, x, axis, ddof, keepdims)


def std(x: Any, axis: Any = None, *, ddof: float = 0, keepdims: bool = False) -> Any:
    """Standard deviation over `axis`, the square root of `var` (same arguments); its
    gradient is 0 where it is 0, as PyTorch's.

    >>> x = Value(np.array([2.0, 2.0])); std(x).backward(); x.grad
    array([0., 0.])
    """
    return _spread(_std_op, x, axis, ddof, keepdims)


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
    g = _unreduce(g, x, axis, keepdims)
    xd = data_of(x)
    if ord == 0:
        return g * np.zeros(np.shape(xd), dtype=np.result_type(xd))
    if ord == 2:
        entry = x
    else:
        sign = (xd > 0).astype(np.int8) - (xd < 0)
        entry = sign * power(where(xd == 0, 1.0, abs(x)), ord - 1.0)
    norm = _unreduce(ans, x, axis, keepdims)
    if ord > 1:
        norm = where(data_of(norm) == 0, 1.0, norm)  # then every entry is 0
    return g * entry * power(norm, 1.0 - ord)


_pnorm_op = Op("norm", _pnorm, _pnorm_vjp)


def _peak_vjp(g: Any, ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    grad = _extreme_vjp(g, ans, x, axis, keepdims)
    lost = np.isnan(np.reshape(data_of(ans), _kept_shape(shape_of(x), axis)))
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
    keepdims = _check_keepdims(keepdims, "norm")
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


# ----- Value's methods for this family (see autograd/value.py) -----------------------------
Value.sum = sum
Value.mean = mean
Value.max = max
Value.min = min
Value.logsumexp = logsumexp
Value.prod = prod
Value.var = var
Value.std = std
