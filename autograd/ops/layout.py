"""Layout ops with numpy's signatures and results: split and array_split, squeeze, flip, roll,
repeat, tile, pad, moveaxis and swapaxes.

Most are compositions of the shape primitives, which give their gradients: split's pieces are
slices (views, as numpy's), squeeze is a reshape, moveaxis and swapaxes transpose, tile and an
even repeat broadcast a new axis, an uneven repeat gathers. flip, roll and pad are primitives
whose VJPs are layout ops and gathers again, so all of them differentiate twice.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional

import numpy as np

from autograd.op import Op, data_of, shape_of
from autograd.ops.gather import index_add, take
from autograd.ops.reductions import broadcast_to
from autograd.ops.shape import getitem, one_axis, reshape, transpose
from autograd.value import Value


def _is_int(n: Any) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, bool)


def _axes(axis: Any, shape: tuple, op: str, name: str = "axis") -> Optional[tuple]:
    """None, or the distinct axes an int or a sequence names, as indices."""
    if axis is None:
        return None
    axes = tuple(one_axis(a, shape, op, name) for a in (axis if isinstance(axis, (tuple, list))
                                                         else (axis,)))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: {name} {axis!r} names an axis twice; name each at most once")
    return axes


def _integers(values: Any, op: str, name: str) -> np.ndarray:
    """An int or a (nested) sequence of ints as an integer array (an empty one included)."""
    if isinstance(values, Value):
        raise TypeError(f"{op}: {name} must be integers, not a Value")
    try:
        ints = np.asarray(values)
    except ValueError:
        raise ValueError(f"{op}: {name} {values!r} is ragged; give an int or equal-length "
                         "sequences of ints") from None
    if ints.size == 0 and ints.dtype.kind == "f":
        return ints.astype(np.intp)
    if ints.dtype.kind not in "iu":
        raise TypeError(f"{op}: {name} must be integers, got {values!r}")
    return ints


def _counts(values: Any, op: str, name: str) -> np.ndarray:
    """Non-negative integers (an int or a sequence of them) as an integer array."""
    counts = _integers(values, op, name)
    if (counts < 0).any():
        raise ValueError(f"{op}: {name} must not be negative, got {values!r}")
    return counts


# ----- split ---------------------------------------------------------------------------------
def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> List[Any]:
    """Split `x` along `axis` into pieces, numpy's `array_split`: an int N gives N pieces (the
    first `size % N` one longer), a sequence of indices cuts before each (as slices cut). The
    pieces' gradients assemble back into x's. Each piece's VJP fills an array of x's shape, so
    a backward pass through k pieces costs k times x's size.

    >>> [p.shape for p in array_split(Value(np.arange(7.0)), 3)]
    [(3,), (2,), (2,)]
    """
    return _split(x, indices_or_sections, axis, "array_split")


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> List[Any]:
    """numpy's `split`: `array_split`, except that N sections must be of equal size."""
    return _split(x, indices_or_sections, axis, "split")


def _split(x: Any, cuts: Any, axis: int, op: str) -> List[Any]:
    shape = shape_of(x)
    axis = one_axis(axis, shape, op)
    n = shape[axis]
    if _is_int(cuts):
        if cuts <= 0:
            raise ValueError(f"{op}: the number of sections must be positive, got {cuts}")
        if op == "split" and n % cuts:
            raise ValueError(f"split: axis {axis} of size {n} does not divide into {cuts} "
                             "equal sections; use array_split for unequal ones")
        size, extra = divmod(n, int(cuts))
        bounds = [0, *np.cumsum([size + 1] * extra + [size] * (int(cuts) - extra)).tolist()]
    else:
        points = _integers(cuts, op, "indices_or_sections")
        if points.ndim != 1:
            raise ValueError(f"{op}: indices_or_sections must be an int or a 1-d sequence of "
                             f"indices, got {cuts!r}")
        bounds = [0, *points.tolist(), n]
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:])]


# ----- squeeze, moveaxis, swapaxes, flatten --------------------------------------------------
def squeeze(x: Any, axis: Any = None) -> Any:
    """Remove size-1 axes: all of them, or those `axis` names (each must have size 1).

    >>> squeeze(Value(np.ones((1, 3, 1))), axis=0).shape
    (3, 1)
    """
    shape = shape_of(x)
    axes = _axes(axis, shape, "squeeze")
    if axes is None:
        axes = tuple(i for i, n in enumerate(shape) if n == 1)
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of a value of shape {shape} has size "
                             f"{shape[a]}, not 1; only size-1 axes can be removed")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """Move axes to new positions, the others keeping their order (numpy's `moveaxis`).

    >>> moveaxis(Value(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    shape = shape_of(x)
    src = _axes(source, shape, "moveaxis", "source")
    dst = _axes(destination, shape, "moveaxis", "destination")
    if src is None or dst is None or len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must "
                         "name the same number of axes")
    order = [a for a in range(len(shape)) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, tuple(order))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes (numpy's `swapaxes`, torch's `transpose(dim0, dim1)`)."""
    shape = shape_of(x)
    order = list(range(len(shape)))
    a = one_axis(axis1, shape, "swapaxes", "axis1")
    b = one_axis(axis2, shape, "swapaxes", "axis2")
    order[a], order[b] = b, a
    return transpose(x, tuple(order))


def _flatten_method(self: Value) -> Value:
    """The entries as a 1-d value, in row-major order (numpy's `ndarray.flatten`)."""
    return reshape(self, (-1,))


# ----- flip and roll: primitives that undo themselves ----------------------------------------
_flip_op = Op("flip", lambda x, axis: np.flip(x, axis),
              lambda g, ans, x, axis: _flip_op(g, axis=axis))          # flipping back
_roll_op = Op("roll", lambda x, shift, axis: np.roll(x, shift, axis),
              lambda g, ans, x, shift, axis: _roll_op(g, shift=tuple(-s for s in shift),
                                                      axis=axis))      # rolling back


def flip(x: Any, axis: Any = None) -> Any:
    """Reverse the order of the entries along `axis` (an int or a tuple; all axes when None).

    >>> flip(Value(np.array([1.0, 2.0, 3.0]))).data
    array([3., 2., 1.])
    """
    return _flip_op(x, axis=_axes(axis, shape_of(x), "flip"))


def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """Shift the entries by `shift` places along `axis`, those pushed off one end coming back
    at the other (numpy's `roll`): with axis None, of x flattened; several shifts and axes
    pair up (an int broadcasts against a tuple).

    >>> roll(Value(np.array([1.0, 2.0, 3.0])), 1).data
    array([3., 1., 2.])
    """
    shape = shape_of(x)
    shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
    if not all(_is_int(s) for s in shifts):
        raise TypeError(f"roll: shift must be an integer or a tuple of integers, got {shift!r}")
    if axis is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: with axis=None x is flattened and takes one shift, got "
                             f"{shift!r}; give an axis for each shift")
        return _roll_op(x, shift=(int(shifts[0]),), axis=None)       # numpy flattens
    axes = [one_axis(a, shape, "roll") for a in (axis if isinstance(axis, (tuple, list))
                                                 else (axis,))]
    if len(shifts) != len(axes) and 1 not in (len(shifts), len(axes)):
        raise ValueError(f"roll: {len(shifts)} shifts and {len(axes)} axes do not pair up; "
                         "give one shift per axis, or one for all")
    shifts = shifts * len(axes) if len(shifts) == 1 else shifts
    axes = axes * len(shifts) if len(axes) == 1 else axes
    return _roll_op(x, shift=tuple(map(int, shifts)), axis=tuple(axes))


# ----- repeat and tile: broadcasting a new axis ----------------------------------------------
def repeat(x: Any, repeats: Any, axis: Any = None) -> Any:
    """numpy's `repeat`: each entry `repeats` times in a row along `axis` (x flattened when
    None); `repeats` is an int or one count per entry. This is torch's `repeat_interleave`;
    torch's `Tensor.repeat` is numpy's (and our) `tile`.

    >>> repeat(Value(np.array([1.0, 2.0])), 2).data
    array([1., 1., 2., 2.])
    """
    counts = _counts(repeats, "repeat", "repeats")
    shape = shape_of(x)
    flat = axis is None
    axis = 0 if flat else one_axis(axis, shape, "repeat")
    if flat:
        shape = (math.prod(shape),)
    n = shape[axis]
    if counts.ndim > 1 or counts.size not in (1, n):
        raise ValueError(f"repeat: repeats {repeats!r} must be one count or {n} (one per "
                         f"entry along axis {axis})")
    if counts.size and (counts == counts.flat[0]).all():        # every entry equally often
        r = int(counts.flat[0])
        spread = shape[:axis + 1] + (1,) + shape[axis + 1:]
        copies = broadcast_to(reshape(x, spread), shape[:axis + 1] + (r,) + shape[axis + 1:])
        return reshape(copies, shape[:axis] + (n * r,) + shape[axis + 1:])
    return take(x, np.repeat(np.arange(n), counts), None if flat else axis)


def tile(x: Any, reps: Any) -> Any:
    """numpy's `tile` (torch's `Tensor.repeat`): x repeated `reps[i]` times along axis i,
    with x given leading size-1 axes, or reps leading ones, until the two have equal length.

    >>> tile(Value(np.array([1.0, 2.0])), 2).data
    array([1., 2., 1., 2.])
    """
    counts = _counts(reps, "tile", "reps")
    if counts.ndim > 1:
        raise ValueError(f"tile: reps must be an int or a 1-d sequence of ints, got {reps!r}")
    reps = tuple(int(r) for r in counts.reshape(-1))
    shape = shape_of(x)
    d = max(len(reps), len(shape))
    shape, reps = (1,) * (d - len(shape)) + shape, (1,) * (d - len(reps)) + reps
    spread = sum(((1, n) for n in shape), ())
    copies = broadcast_to(reshape(x, spread), sum(((r, n) for r, n in zip(reps, shape)), ()))
    return reshape(copies, tuple(r * n for r, n in zip(reps, shape)))


# ----- pad -----------------------------------------------------------------------------------
PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad(x: Any, pad_width: tuple, mode: str, constant_values: Any) -> Any:
    if mode == "constant":
        return np.pad(x, pad_width, mode="constant", constant_values=constant_values)
    return np.pad(x, pad_width, mode=mode)


def _pad_vjp(g: Any, ans: Any, x: Any, pad_width: tuple, mode: str, constant_values: Any) -> Any:
    """The border's gradient goes to the entries it copies, axis by axis: each padded axis is
    a gather of x's entries at np.pad(arange(n)) (none for the constant border)."""
    shape = shape_of(x)
    if mode == "constant":
        return getitem(g, tuple(slice(b, b + n) for (b, _), n in zip(pad_width, shape)))
    for axis, ((before, after), n) in enumerate(zip(pad_width, shape)):
        if before or after:
            gshape = shape_of(g)
            zeros = np.zeros(gshape[:axis] + (n,) + gshape[axis + 1:], dtype=data_of(g).dtype)
            g = index_add(zeros, axis, np.pad(np.arange(n), (before, after), mode=mode), g)
    return g


_pad_op = Op("pad", _pad, _pad_vjp)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Any:
    """numpy's `pad`: `pad_width` is an int, a (before, after) pair or one pair per axis;
    `mode` is 'constant' (with `constant_values`, 0 by default), 'edge', 'reflect',
    'symmetric' or 'wrap'. (torch's `nn.functional.pad` lists its pairs last axis first and
    calls edge 'replicate' and wrap 'circular'.)

    >>> pad(Value(np.array([1.0, 2.0])), (1, 2), mode="edge").data
    array([1., 1., 2., 2., 2.])
    """
    if not isinstance(mode, str) or mode not in PAD_MODES:
        raise ValueError(f"pad: mode {mode!r} is not supported; use one of "
                         f"{', '.join(map(repr, PAD_MODES))}")
    if mode != "constant" and constant_values is not None:
        raise ValueError(f"pad: constant_values applies to mode 'constant' only, not {mode!r}")
    shape = shape_of(x)
    if not shape:
        raise ValueError("pad: a 0-d value has no axis to pad; reshape it to 1-d first")
    widths = _counts(pad_width, "pad", "pad_width")
    try:
        widths = tuple((int(b), int(a)) for b, a in np.broadcast_to(widths, (len(shape), 2)))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a value of shape "
                         f"{shape}; give an int, a (before, after) pair or {len(shape)} "
                         "pairs") from None
    value = 0.0 if constant_values is None else _constant(constant_values, len(shape))
    if mode != "constant":
        for axis, ((before, after), n) in enumerate(zip(widths, shape)):
            if n == 0 and (before or after):
                raise ValueError(f"pad: mode {mode!r} cannot extend axis {axis}, which is "
                                 "empty; use mode='constant'")
    return _pad_op(x, pad_width=widths, mode=mode, constant_values=value)


def _constant(values: Any, ndim: int) -> Any:
    """constant_values as a float, or per axis as (before, after) pairs of floats."""
    if isinstance(values, Value):
        raise TypeError("pad: constant_values must be numbers, not a Value (the border gets no "
                        "gradient); pass value.data, or concatenate Values to pad with them")
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"pad: constant_values must be numbers, got {values!r}")
    if arr.size == 1:
        return float(arr.reshape(()))
    try:
        return tuple((float(b), float(a)) for b, a in np.broadcast_to(arr, (ndim, 2)))
    except ValueError:
        raise ValueError(f"pad: constant_values {values!r} does not fit {ndim} axes; give a "
                         f"number, a (before, after) pair or {ndim} pairs") from None


# ----- Value's methods for this family (see autograd/value.py) -----------------------------
Value.flatten = _flatten_method
Value.squeeze = squeeze
Value.swapaxes = swapaxes
Value.repeat = repeat
