"""numpy.linalg.norm with gradients: vector norms over one axis, matrix norms over two.

Subgradients (but for the singular-value orders, below) are PyTorch's (torch.linalg.norm):
0 at a zero vector or matrix for every order, sign(x) for ord=1 (0 at 0), ord=inf/-inf (and
the matrix orders 1, -1, inf, -inf) split the gradient between tied largest (smallest)
entries, ord=0 counts nonzero entries and has zero gradient, other orders p give zero
entries 0. A vector p-norm is scaled by its largest |entry| (smallest, for p < 0) first, so
it neither overflows nor underflows where numpy's does. At NaN the gradients are PyTorch's:
NaN over the slice for 2-, p- and matrix norms; for ord=1 the NaN entries get 0 (the others
their sign), for ord=inf and -inf the whole slice gets 0.

The matrix orders 2, -2 and 'nuc' (the largest, the smallest and the sum of the singular
values) go through `autograd.linalg.svd` with the two axes moved last, and keep its rules: a
singular value that is 0 gets the subgradient 0 (so ord=-2 of a singular matrix, and ord=2
and 'nuc' of a zero one, have gradient 0, where PyTorch picks other subgradients), and a
matrix holding NaN or an infinity has a NaN norm and NaN gradients (numpy's and PyTorch's
norm are NaN there too, for an infinity; PyTorch's SVD raises on NaN). Where the largest
(for ord=2) or smallest (ord=-2) singular value is repeated, as for the identity or any
orthogonal matrix, the norm has a kink, as max(a, b) where a == b: its gradient is refused
there, as svd refuses a loss that weighs equal singular values differently. 'nuc' is the sum
of all of them and keeps its gradient. Second derivatives of these orders need distinct
singular values (svd's rule for the vectors).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.op import Op, data_of, shape_of
from autograd.ops.decompositions import negligible, svd
from autograd.ops.elementwise import abs, power, where
from autograd.ops.layout import moveaxis
from autograd.ops.reductions import (check_keepdims, extreme_vjp, kept_shape, max, min, sum,
                                     unreduce)
from autograd.ops.shape import normalize_axes, reshape


# Vector p-norms are one primitive (scaled, see the module's notes); ord 1, inf, -inf and the
# matrix orders are compositions. The matrix orders 1, -1, inf and -inf take the peak as
# torch.amax does: ties share the gradient, and a NaN peak gives every entry of its slice a
# NaN gradient. 2, -2 and 'nuc' pick from or sum the singular values of svd.
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


def _pick_singular_value(s: np.ndarray, index: int, ord: Any) -> np.ndarray:
    if not s.shape[-1]:
        return np.zeros(s.shape[:-1], s.dtype)  # ord=2 of empty matrices (-2 is refused)
    return s[..., index]


def _refuse_repeated(s: np.ndarray, index: int, ord: Any, g: Any) -> None:
    """Refuse the gradient of the singular value s[..., index] where it equals its neighbour,
    by svd's rule (within k eps of the largest of the k values, and not 0 itself, which gets
    the subgradient 0): svd would refuse it too, in its own words. Matrices the loss does not
    use (upstream 0) pass, as in svd."""
    k, largest = s.shape[-1], s[..., 0]
    picked, beside = s[..., index], s[..., 1 if index == 0 else -2]
    repeated = (negligible(picked - beside, largest, k) & ~negligible(picked, largest, k)
                & (np.asarray(data_of(g)) != 0))
    if repeated.any():
        at = tuple(int(i) for i in np.argwhere(repeated)[0])
        which, kink = ("largest", "max") if index == 0 else ("smallest", "min")
        place = f"the matrix at index {at} of the batch" if at else "the matrix"
        raise ValueError(
            f"norm: ord={ord!r} is the {which} singular value, which is repeated (to working "
            f"precision) in {place} (singular values {s[at].tolist()}); the norm has a kink "
            f"there, as {kink}(a, b) where a == b, and no gradient. ord='fro' and 'nuc' are "
            "differentiable there")


def _pick_singular_value_vjp(g: Any, ans: Any, s: Any, index: int, ord: Any) -> Any:
    raw = np.asarray(data_of(s))
    k = raw.shape[-1]
    if k > 1:
        _refuse_repeated(raw, index, ord, g)
    one = np.zeros(k, raw.dtype)    # 1 at the picked value
    if k:
        one[index] = 1.0
    return reshape(g, shape_of(g) + (1,)) * one


_pick_singular_value_op = Op("singular_value", _pick_singular_value, _pick_singular_value_vjp)


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


def _singular_value_norm(x: Any, ord: Any, rows: int, cols: int) -> Any:
    """ord 2, -2 or 'nuc' of the matrices on axes (rows, cols), over the axes kept."""
    shape = shape_of(x)
    if ord == -2 and 0 in (shape[rows], shape[cols]):
        raise ValueError(f"norm: ord=-2 is the smallest singular value, and the matrices of "
                         f"shape {(shape[rows], shape[cols])} on axes {(rows, cols)} of a value "
                         f"of shape {shape} are empty and have none; give non-empty matrices")
    s = svd(moveaxis(x, (rows, cols), (-2, -1)), compute_uv=False)
    if ord == "nuc":
        return sum(s, axis=-1)
    return _pick_singular_value_op(s, index=0 if ord == 2 else -1, ord=ord)


def _matrix_norm(x: Any, ord: Any, rows: int, cols: int, keepdims: bool) -> Any:
    if ord is None or ord == "fro":
        return _pnorm_op(x, ord=2.0, axis=tuple(sorted((rows, cols))), keepdims=keepdims)
    if ord not in ("nuc", 1, -1, 2, -2, math.inf, -math.inf):
        raise ValueError(f"norm: ord={ord!r} is not a matrix norm order; give None, 'fro', "
                         "'nuc', 1, -1, 2, -2, inf or -inf")
    kept = kept_shape(shape_of(x), (rows, cols))
    if ord in ("nuc", 2, -2):
        out = _singular_value_norm(x, ord, rows, cols)
        return reshape(out, kept) if keepdims else out
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
    1 and -1 (largest and smallest column sum of |x|), inf and -inf (row sums), 2 and -2
    (largest and smallest singular value) and 'nuc' (the sum of the singular values), over
    any two axes. The subgradients at kinks are PyTorch's, but for the singular-value orders,
    which give a zero singular value the subgradient 0 and raise ValueError in backward where
    the largest (ord=2) or smallest (ord=-2) singular value is repeated, as for the identity:
    the norm has no gradient there (see the module's notes).

    >>> x = Value(np.array([3.0, -4.0])); norm(x).backward(); x.grad
    array([ 0.6, -0.8])
    >>> m = Value(np.array([[3.0, 0.0], [0.0, -4.0]])); norm(m, 2).backward(); m.grad
    array([[ 0.,  0.],
           [ 0., -1.]])
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
