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
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.op import Op, data_of, shape_of
from autograd.ops.elementwise import exp, where
from autograd.ops.scans import exclusive_cumprod, nan_poisoned
from autograd.ops.shape import as_shape, normalize_axes, reshape, transpose
from autograd.value import Value


def kept_shape(shape: tuple, axis: Any) -> tuple:
    """`shape` with the reduced axes kept as size 1."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


def unreduce(g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Give a reduced gradient size-1 axes where `x` was reduced, so it broadcasts against x."""
    if keepdims or axis is None:
        return g
    return reshape(g, kept_shape(shape_of(x), axis))


def extreme_vjp(g: Any, ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """The VJP of a maximum or minimum `ans` of x over `axis`: tied extremes share it evenly,
    and where the extreme is NaN, the NaNs of that slice do."""
    xd = data_of(x)
    if type(xd) is float:
        return g
    peak = np.reshape(data_of(ans), kept_shape(xd.shape, axis))
    hits = xd == peak
    count = np.sum(hits, axis=axis, keepdims=True)
    if np.count_nonzero(count) < count.size:    # a NaN extreme equals no entry: its NaNs share
        hits = hits | (xd != xd)
        count = np.sum(hits, axis=axis, keepdims=True)
    share = (hits / count).astype(xd.dtype, copy=False)
    return unreduce(g, x, axis, keepdims) * share


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


FILL_BELOW = 1 << 17
"""A sum's gradient for an input of fewer bytes is filled into a new array (np.full, about 3 us),
for a larger one it is a broadcast view (numpy's broadcast_to is written in Python, about 7 us,
but a view of a large array saves writing it out)."""


def _sum_vjp(g: Any, ans: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """d(sum x)/dx_i = 1: g spread back over the summed axes."""
    g = unreduce(g, x, axis, keepdims)
    if type(x) is np.ndarray and x.nbytes < FILL_BELOW and not isinstance(g, Value):
        return np.full(x.shape, g)
    return broadcast_to(g, shape_of(x))


_sum_op = Op("sum", lambda x, axis, keepdims: np.add.reduce(x, axis, keepdims=keepdims)
             if type(x) is np.ndarray else np.sum(x, axis=axis, keepdims=keepdims), _sum_vjp)
_broadcast_op = Op("broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
                   lambda g, ans, x, shape: sum_to(g, shape_of(x)),     # sum the copies
                   describe_error=lambda a, shape=(): (
                       f"broadcast_to: cannot broadcast shape {a} to shape {shape}"))
_max_op = Op("max", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
             extreme_vjp,                       # 1 at the maximum (ties share; NaN is the max)
             describe_error=_reduction_error("max"))
_min_op = Op("min", lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
             extreme_vjp,                       # 1 at the minimum (ties share; NaN is the min)
             describe_error=_reduction_error("min"))
_logsumexp_op = Op("logsumexp", _logsumexp,                  # d/dx_i = softmax(x)_i
                   lambda g, ans, x, axis, keepdims: unreduce(g, x, axis, keepdims) * exp(
                       x - unreduce(ans, x, axis, keepdims)),
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


def broadcast_axes(gshape: tuple, shape: tuple) -> tuple:
    """The axes of `gshape` that broadcasting `shape` to it added (the leading ones) or
    stretched (size 1 in `shape`): what `sum_to` sums over. `gshape` has at least as many axes.

    >>> broadcast_axes((4, 3, 2), (3, 1))
    (0, 2)
    """
    lead = len(gshape) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and gshape[lead + i] != 1)


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
        axes = broadcast_axes(gshape, shape)
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


# ----- products and spread -----------------------------------------------------------------
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
    grad = unreduce(g, x, axis, keepdims) * _others_product(x, axis)
    return nan_poisoned(grad, x, axis)


def _var_vjp(g: Any, ans: Any, x: Any, axis: Any, ddof: float, keepdims: bool) -> Any:
    scale = 2.0 / (_count(x, axis) - ddof)          # d var / dx = 2 (x - mean) / (N - ddof)
    return unreduce(g, x, axis, keepdims) * (x - mean(x, axis, keepdims=True)) * scale


def _std_vjp(g: Any, ans: Any, x: Any, axis: Any, ddof: float, keepdims: bool) -> Any:
    sd = unreduce(ans, x, axis, keepdims)          # d sd / dx = (x - mean) / ((N - ddof) sd)
    flat = data_of(sd) == 0
    share = unreduce(g, x, axis, keepdims) / (where(flat, 1.0, sd) * (_count(x, axis) - ddof))
    return where(flat, 0.0, share) * (x - mean(x, axis, keepdims=True))


_prod_op = Op("prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
              _prod_vjp, describe_error=_reduction_error("prod"))
_var_op = Op("var", lambda x, axis, ddof, keepdims: np.var(x, axis=axis, ddof=ddof,
                                                            keepdims=keepdims), _var_vjp)
_std_op = Op("std", lambda x, axis, ddof, keepdims: np.std(x, axis=axis, ddof=ddof,
                                                            keepdims=keepdims), _std_vjp)


def check_keepdims(keepdims: Any, name: str) -> bool:
    """`keepdims` as a bool; anything but True or False (an axis given in its place, say) is
    refused."""
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{name}: keepdims must be True or False, got {keepdims!r}")
    return bool(keepdims)


def prod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product over `axis` (all axes when None); the gradient is exact with zeros.

    >>> x = Value(np.array([2.0, 0.0, 3.0])); prod(x).backward(); x.grad
    array([0., 6., 0.])
    """
    return _prod_op(x, axis=_axes(x, axis, "prod"), keepdims=check_keepdims(keepdims, "prod"))


def _spread(op: Op, x: Any, axis: Any, ddof: Any, keepdims: Any) -> Any:
    axes = _axes(x, axis, op.name)
    if isinstance(ddof, bool) or not isinstance(ddof, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op.name}: ddof must be a number, got {ddof!r}")
    n = _count(x, axes)
    if not n - ddof > 0:
        raise ValueError(f"{op.name}: ddof={ddof} leaves no degrees of freedom for slices of "
                         f"{n} entr{'y' if n == 1 else 'ies'} (N - ddof must be positive); use "
                         "a smaller ddof or reduce over more entries")
    return op(x, axis=axes, ddof=ddof, keepdims=check_keepdims(keepdims, op.name))


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


# ----- Value's methods for this family (see autograd/value.py) -----------------------------
Value.sum = sum
Value.mean = mean
Value.max = max
Value.min = min
Value.logsumexp = logsumexp
Value.prod = prod
Value.var = var
Value.std = std
