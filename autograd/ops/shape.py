"""Shape primitives: reshape, transpose, indexing and joining.

Their VJPs only move gradient entries around, so each is another shape op. (broadcast_to,
whose VJP is a sum, lives with the reductions.)
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from autograd.op import Op, data_of, shape_of
from autograd.value import Value


def normalize_axes(axis: Any, ndim: int, op: str) -> Any:
    """`axis` (None, int or tuple, negatives allowed) as None or a sorted tuple of indices."""
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise ValueError(f"{op}: axis {a!r} is not an integer; give an int or a tuple "
                             "of ints")
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {a!r} is out of range for a value with {ndim} "
                             f"dimension{'s' if ndim != 1 else ''}")
        out.append(int(a) % builtins.max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def as_shape(shape: Any) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(map(int, shape))


def _reshape_error(a: tuple, shape: tuple = ()) -> str:
    return (f"reshape: cannot reshape a value of shape {a} (size {int(np.prod(a))}) "
            f"into shape {shape}")


def _scatter(g: Any, index: Any, shape: tuple, order: Any = None) -> Any:
    """A zero array of `shape` with g added at `index` (repeated indices accumulate), its axes
    laid out in memory in `order` (C order when None)."""
    if order is None:
        out = np.zeros(shape, dtype=np.result_type(g))
    else:
        out = np.zeros([shape[a] for a in order], np.result_type(g)).transpose(np.argsort(order))
    if _has_int_array(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


def _memory_order(x: Any) -> Any:
    """The axes of x's data from the largest stride to the smallest, when that is not C order
    (None): the layout a gradient of x takes, so that arithmetic on both runs on arrays of one
    layout (an LSTM's feature-major records, `autograd.ops.recurrent`)."""
    data = data_of(x)
    if type(data) is not np.ndarray or data.ndim < 2 or data.flags.c_contiguous:
        return None
    order = tuple(int(a) for a in np.argsort([-abs(s) for s in data.strides], kind="stable"))
    return None if order == tuple(range(data.ndim)) else order


def _has_int_array(index: Any) -> bool:
    parts = index if type(index) is tuple else (index,)
    return builtins.any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts)


def _transpose(x: Any, axes: Any) -> Any:
    return np.transpose(x, axes)      # also serves Python floats (a 0-d transpose is identity)


def _inverse(axes: Any) -> Any:
    return None if axes is None else tuple(np.argsort(axes))


_reshape_op = Op("reshape", lambda x, shape: np.reshape(x, shape),
                 lambda g, ans, x, shape: reshape(g, shape_of(x)),      # moves entries back
                 describe_error=_reshape_error)
_transpose_op = Op("transpose", _transpose,
                   lambda g, ans, x, axes: _transpose_op(g, axes=_inverse(axes)))  # inverse perm
_getitem_op = Op("getitem", lambda x, index: x[index],
                 lambda g, ans, x, index: _scatter_op(g, index=index, shape=shape_of(x),
                                                      order=_memory_order(x)))
_scatter_op = Op("scatter_add", _scatter,
                 lambda g, ans, x, index, shape, order=None: _getitem_op(g, index=index))


def _concat_vjp(g: Any, ans: Any, *args: Any, axis: int) -> list:
    """Each input gets its slice of g along `axis`."""
    grads, start = [], 0
    for a in args:
        stop = start + shape_of(a)[axis]
        grads.append(_getitem_op(g, index=(slice(None),) * axis + (slice(start, stop),)))
        start = stop
    return grads


_concatenate_op = Op("concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
                     joint_vjp=_concat_vjp,
                     describe_error=lambda *shapes, axis=0: (
                         f"concatenate: shapes {', '.join(map(str, shapes))} must match "
                         f"except along axis {axis}"))


def reshape(x: Any, shape: Any) -> Any:
    """Same entries, new shape (one dimension may be -1).

    >>> reshape(Value(np.arange(6.0)), (2, 3)).shape
    (2, 3)
    """
    return _reshape_op(x, shape=as_shape(shape))


def transpose(x: Any, axes: Any = None) -> Any:
    """Permute the axes (reverse them when `axes` is None)."""
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)                    # a 1-D value's x.transpose(0), as in numpy
    if axes is not None:
        ndim = len(shape_of(x))
        perm = tuple(int(a) % builtins.max(ndim, 1) if -ndim <= a < ndim else -1 for a in axes)
        if sorted(perm) != list(range(ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                             f"{ndim} axes of a value of shape {shape_of(x)}")
        axes = perm
    return _transpose_op(x, axes=axes)


def swap_last(x: Any) -> Any:
    """Swap the last two axes (the matrix transpose of a batch of matrices)."""
    if type(x) is np.ndarray:
        return x.swapaxes(-1, -2)       # raw data (an ordinary backward pass): a numpy view
    ndim = len(shape_of(x))
    return transpose(x, None if ndim == 2 else tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


def expand_dims(x: Any, axis: Any) -> Any:
    """Insert size-1 axes, as numpy's expand_dims: `axis` (an int or a tuple) gives their
    positions in the result, negatives counting from its end (-1 appends one).

    >>> expand_dims(Value(np.ones(3)), (0, -1)).shape
    (1, 3, 1)
    """
    shape = list(shape_of(x))
    count = len(axis) if isinstance(axis, (tuple, list)) else 1
    for at in normalize_axes(axis, len(shape) + count, "expand_dims"):
        shape.insert(at, 1)
    return reshape(x, shape)


def _normalize_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_normalize_index(i) for i in index)
    index = data_of(index)
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "biu":
        raise IndexError(f"getitem: arrays used as indices must be of integer or boolean type, "
                         f"got {index.dtype}")
    return index


def scatter_add(g: Any, index: Any, shape: tuple) -> Any:
    """Zeros of `shape` with g added at `index` (repeats accumulate): getitem's VJP."""
    return _scatter_op(g, index=index, shape=shape)


def getitem(x: Any, index: Any) -> Any:
    """numpy indexing: ints, slices, None, Ellipsis, integer arrays (repeats accumulate in the
    gradient) and boolean masks."""
    return _getitem_op(x, index=_normalize_index(index))


def concatenate(values: Sequence[Any], axis: int = 0) -> Any:
    """Join values along an existing axis.

    >>> concatenate([Value(np.ones(2)), Value(np.zeros(3))]).shape
    (5,)
    """
    values = list(values)
    if not values:
        raise ValueError("concatenate: need at least one value")
    ndim = len(shape_of(values[0]))
    if ndim == 0:
        raise ValueError("concatenate: 0-d values cannot be concatenated; use stack")
    return _concatenate_op(*values, axis=normalize_axes(axis, ndim, "concatenate")[0])


def stack(values: Sequence[Any], axis: int = 0) -> Any:
    """Join values of equal shape along a new axis.

    >>> stack([Value(1.0), Value(2.0)]).data
    array([1., 2.])
    """
    values = list(values)
    if not values:
        raise ValueError("stack: need at least one value")
    shapes = {shape_of(v) for v in values}
    if len(shapes) > 1:
        raise ValueError(f"stack: all values must have the same shape, got {sorted(shapes)}")
    axis = normalize_axes(axis, len(shape_of(values[0])) + 1, "stack")[0]
    return concatenate([expand_dims(v, axis) for v in values], axis=axis)


# ----- Value's methods for this family (see autograd/value.py) -----------------------------
def _reshape_method(self: Value, *shape: Any) -> Value:
    """Same entries, new shape: `x.reshape(2, 3)` or `x.reshape((2, 3))`."""
    return reshape(self, shape[0] if len(shape) == 1 else shape)


def _transpose_method(self: Value, *axes: Any) -> Value:
    """Permute the axes: `x.transpose(1, 0)`, `x.transpose((1, 0))`; reversed when none."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return transpose(self, tuple(axes) if axes else None)


Value.__getitem__ = getitem
Value.reshape = _reshape_method
Value.transpose = _transpose_method
Value.T = property(lambda self: transpose(self), doc="The axes reversed (x.transpose()).")


# ----- one axis, for the ops that need it to exist (see autograd/ops/layout.py, gather.py) --
def one_axis(axis: Any, shape: tuple, op: str, name: str = "axis") -> int:
    """A single axis of a value of `shape` (negatives count from the end) as an index; a
    ValueError naming the argument `name` when it is not an integer (as `normalize_axes`) or
    not an axis of that value."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{op}: {name} must be an integer, got {axis!r}")
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        valid = f"from {-ndim} to {ndim - 1}" if ndim else "none: reshape it to 1-d first"
        raise ValueError(f"{op}: {name} {int(axis)} is out of range for a value of shape "
                         f"{shape} (valid axes: {valid})")
    return int(axis) % ndim
