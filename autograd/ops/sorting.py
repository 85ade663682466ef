"""Sorting and selecting: sort and topk with gradients, argsort, argmax and argmin without.

sort and topk are one op each that finds its indices and gathers the entries, so each selected
entry's gradient goes back to where it came from (the VJP finds the same indices again) and
unselected entries get 0; a compiled program finds each call's indices. Ties keep their order
along the axis (a stable sort), largest-first orders included, so equal entries are picked
by position. NaN sorts as the largest number, as in numpy and PyTorch.

The index functions return plain numpy integers and integer arrays, as numpy's do: an index
has no gradient, and nothing is recorded.

numpy's `ndarray.sort()` sorts in place and returns None; a Value's data cannot change under
the graph that used it, so `Value.sort` refuses, pointing to `autograd.sort` (a sorted copy).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from autograd.op import Op, data_of, shape_of
from autograd.ops.scans import one_axis
from autograd.ops.shape import reshape, scatter_add
from autograd.value import Value


class TopK(NamedTuple):
    """What topk returns, as torch.topk: the values (a Value) and their indices (integers)."""

    values: Any
    indices: np.ndarray


def _order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sorting indices; largest first with `descending`, ties still by position (the
    reversed value sorted stably, then read backwards)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    backwards = np.argsort(np.flip(data, axis), axis=axis, kind="stable")
    return data.shape[axis] - 1 - np.flip(backwards, axis)


def _index(idx: np.ndarray, axis: int) -> tuple:
    """The numpy index that takes the entries at `idx` along `axis` (take_along_axis's)."""
    index = list(np.indices(idx.shape, sparse=True))
    index[axis] = idx
    return tuple(index)


def _selected(data: np.ndarray, axis: int, largest: bool, k: int, in_order: bool) -> tuple:
    """The index of the first k entries in sorted order along `axis` (all of them: k = n),
    largest first with `largest`, or in their order along the axis without `in_order`."""
    idx = _order(data, axis, largest)
    if k < data.shape[axis]:
        idx = np.take(idx, np.arange(k), axis=axis)
    return _index(idx if in_order else np.sort(idx, axis=axis), axis)


def _select(x: np.ndarray, **how: Any) -> np.ndarray:
    return x[_selected(x, **how)]


def _select_vjp(g: Any, ans: Any, x: Any, **how: Any) -> Any:
    return scatter_add(g, _selected(np.asarray(data_of(x)), **how), shape_of(x))


_sort_op = Op("sort", _select, _select_vjp)
_topk_op = Op("topk", _select, _select_vjp)


def argsort(x: Any, axis: Any = -1, *, descending: bool = False) -> np.ndarray:
    """Indices that sort x along `axis` (the flattened value when None), stably; largest
    first with `descending` (PyTorch's name). No gradient: plain integers.

    >>> argsort(Value(np.array([3.0, 1.0, 2.0])))
    array([1, 2, 0])
    """
    data = np.asarray(data_of(x))
    if axis is None:
        return _order(data.reshape(-1), 0, descending)
    return _order(data, one_axis(x, axis, "argsort"), descending)


def sort(x: Any, axis: Any = -1, *, descending: bool = False) -> Any:
    """A sorted copy of x along `axis` (the flattened value when None), as numpy's sort (and
    PyTorch's sort's values); largest first with `descending`. Each sorted entry's gradient
    goes back to its place; ties keep their order.

    >>> x = Value(np.array([3.0, 1.0, 2.0])); y = sort(x); y.data
    array([1., 2., 3.])
    >>> (y * np.array([1.0, 10.0, 100.0])).sum().backward(); x.grad
    array([100.,   1.,  10.])
    """
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = one_axis(x, axis, "sort")
    return _sort_op(x, axis=axis, largest=descending, k=shape_of(x)[axis], in_order=True)


def topk(x: Any, k: int, axis: int = -1, largest: bool = True, sorted: bool = True) -> TopK:
    """The k largest (smallest) entries along `axis` and their indices, as torch.topk: values
    largest (smallest) first, or with `sorted=False` in their order along the axis. The
    gradient goes to the selected entries; ties are picked by position.

    >>> values, indices = topk(Value(np.array([1.0, 5.0, 3.0, 4.0])), 2)
    >>> values.data, indices
    (array([5., 4.]), array([1, 3]))
    """
    axis = one_axis(x, axis, "topk", flattens=False)
    n = shape_of(x)[axis]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"topk: k={k!r} must be an integer from 0 to {n}, the size of axis "
                         f"{axis} of a value of shape {shape_of(x)}")
    how = dict(axis=axis, largest=largest, k=k, in_order=sorted)
    return TopK(_topk_op(x, **how), _selected(np.asarray(data_of(x)), **how)[axis])


def argmax(x: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """Index of the largest entry along `axis` (of the flattened value when None; the first
    NaN, or the first of tied maxima), as numpy's argmax. No gradient: plain integers."""
    return _arg_extreme(np.argmax, x, axis, keepdims, "argmax")


def argmin(x: Any, axis: Any = None, *, keepdims: bool = False) -> Any:
    """Index of the smallest entry along `axis`, as numpy's argmin (see argmax)."""
    return _arg_extreme(np.argmin, x, axis, keepdims, "argmin")


def _arg_extreme(find: Any, x: Any, axis: Any, keepdims: Any, name: str) -> Any:
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"{name}: keepdims must be True or False, got {keepdims!r}")
    data = np.asarray(data_of(x))
    axis = None if axis is None else one_axis(x, axis, name)
    if (data.size if axis is None else data.shape[axis]) == 0:
        raise ValueError(f"{name}: a value of shape {data.shape} has no entries to pick from "
                         f"along axis {axis}")
    return find(data, axis=axis, keepdims=bool(keepdims))


# ----- Value's methods for this family (see autograd/value.py) -----------------------------
def _sort_method(self: Value, *args: Any, **kwargs: Any) -> None:
    """Refused: numpy's ndarray.sort sorts in place, which a Value cannot do."""
    raise TypeError("Value.sort: numpy's ndarray.sort sorts in place and returns None, and a "
                    "Value's data cannot change under the graph that used it; use "
                    "autograd.sort(x, axis) for a sorted copy (or autograd.topk / argsort for "
                    "the indices)")


Value.argsort = argsort
Value.argmax = argmax
Value.argmin = argmin
Value.topk = topk
Value.sort = _sort_method
