"""Gathers and their adjoint, the scatter-add: take, take_along_axis and index_add.

take and take_along_axis are integer-array indexing (`getitem`), whose VJP adds the gradient
back at the positions read, so repeated indices accumulate. index_add is that scatter-add as
an op of its own (torch.index_add): its VJP gathers for the source and passes the gradient
through for x. Negative indices count from the end, as in numpy.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd.op import Op, shape_of
from autograd.ops.shape import getitem, one_axis, reshape
from autograd.tape import check_values
from autograd.value import Value


def _indices(indices: Any, op: str, name: str = "indices") -> np.ndarray:
    """`indices` as an integer array (an empty list is an empty one)."""
    if isinstance(indices, Value):
        raise TypeError(f"{op}: {name} must be integers, not a Value (positions carry no "
                        "gradient); pass an integer array")
    idx = np.asarray(indices)
    if idx.size == 0 and idx.dtype.kind == "f":
        return idx.astype(np.intp)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be integers, got dtype {idx.dtype}; give an "
                        "integer array (use x[mask] for a boolean mask)")
    return idx


def _check_range(idx: np.ndarray, size: int, op: str, axis: Any) -> None:
    """Every index within [-size, size), or an IndexError naming the first one that is not."""
    outside = (idx < -size) | (idx >= size)
    if outside.any():
        bad = int(idx[outside].flat[0])
        where = "the flattened value" if axis is None else f"axis {axis}"
        raise IndexError(f"{op}: index {bad} is out of bounds for {where} of size {size} "
                         f"(valid indices run from {-size} to {size - 1})")


def _along(axis: int, idx: np.ndarray) -> tuple:
    """The numpy index that picks `idx` along `axis` and everything along the other axes."""
    return (slice(None),) * axis + (idx,)


def take(x: Any, indices: Any, axis: Any = None) -> Any:
    """Entries of `x` at `indices` along `axis` (of x flattened when axis is None), numpy's
    `take`: the indices' shape replaces that axis. Repeated indices accumulate gradient.

    >>> take(Value(np.array([1.0, 2.0, 3.0])), [2, 0, 2]).data
    array([3., 1., 3.])
    """
    idx = _indices(indices, "take")
    shape = shape_of(x)
    if axis is None:
        check_values(_check_range, idx, math.prod(shape), "take", None)
        return getitem(reshape(x, (-1,)), _along(0, idx))
    axis = one_axis(axis, shape, "take")
    check_values(_check_range, idx, shape[axis], "take", axis)
    return getitem(x, _along(axis, idx))


def take_along_axis(x: Any, indices: Any, axis: Any = -1) -> Any:
    """numpy's `take_along_axis`: `indices` has x's number of dimensions and picks along
    `axis` for each position of the others (sizes 1 broadcast); with axis None, x is
    flattened and indices is 1-d. The output of `argsort` or `argmax(keepdims=True)` fits.

    >>> x = Value(np.array([[3.0, 1.0], [0.0, 2.0]]))
    >>> take_along_axis(x, np.array([[1], [0]]), axis=1).data
    array([[1.],
           [0.]])
    """
    idx = _indices(indices, "take_along_axis")
    shape = shape_of(x)
    if axis is None:
        if idx.ndim != 1:
            raise ValueError(f"take_along_axis: with axis=None x is flattened, so indices "
                             f"must be 1-d, got shape {idx.shape}")
        check_values(_check_range, idx, math.prod(shape), "take_along_axis", None)
        return getitem(reshape(x, (-1,)), (idx,))
    axis = one_axis(axis, shape, "take_along_axis")
    if idx.ndim != len(shape):
        raise ValueError(f"take_along_axis: indices of shape {idx.shape} need as many "
                         f"dimensions as x of shape {shape}; add size-1 axes to them")
    for d, (n, m) in enumerate(zip(shape, idx.shape)):
        if d != axis and n != m and 1 not in (n, m):
            raise ValueError(f"take_along_axis: indices of shape {idx.shape} do not "
                             f"broadcast against x of shape {shape} on axis {d}")
    check_values(_check_range, idx, shape[axis], "take_along_axis", axis)
    grid = tuple(idx if d == axis else np.arange(n).reshape((n,) + (1,) * (len(shape) - d - 1))
                 for d, n in enumerate(shape))
    return getitem(x, grid)


def _index_add(x: Any, source: Any, axis: int, index: np.ndarray) -> np.ndarray:
    out = np.array(x, dtype=np.result_type(x, source))    # a copy, in the common dtype
    np.add.at(out, _along(axis, index), source)           # repeated positions accumulate
    return out


_index_add_op = Op("index_add", _index_add,
                   lambda g, ans, x, source, axis, index: g,                   # identity
                   lambda g, ans, x, source, axis, index: getitem(g, _along(axis, index)))


def index_add(x: Any, axis: int, index: Any, source: Any) -> Any:
    """x with the slices of `source` added at positions `index` along `axis` (torch's
    `index_add`; numpy's `np.add.at` on a copy): `source` has x's shape but `len(index)`
    along `axis`, and repeated positions accumulate. Differentiable in x and source.

    >>> index_add(Value(np.zeros(3)), 0, [0, 2, 0], Value(np.array([1.0, 2.0, 3.0]))).data
    array([4., 0., 2.])
    """
    shape = shape_of(x)
    axis = one_axis(axis, shape, "index_add")
    idx = _indices(index, "index_add", "index")
    if idx.ndim != 1:
        raise ValueError(f"index_add: index must be 1-d (one position per slice of source), "
                         f"got shape {idx.shape}")
    check_values(_check_range, idx, shape[axis], "index_add", axis)
    expected = shape[:axis] + (len(idx),) + shape[axis + 1:]
    if shape_of(source) != expected:
        raise ValueError(f"index_add: source has shape {shape_of(source)} but must have shape "
                         f"{expected}: x's shape {shape} with len(index) = {len(idx)} along "
                         f"axis {axis}")
    return _index_add_op(x, source, axis=axis, index=idx)


Value.take = take           # a Value method too, as numpy's ndarray.take (see value.py)
