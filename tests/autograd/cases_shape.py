"""The op table's rows for the layout ops and gathers (ag_cases appends them): split and
array_split, squeeze, flatten, flip, roll, repeat, tile, pad, moveaxis, swapaxes, take,
take_along_axis and index_add.

split returns a list: its rows join the pieces again, each scaled by its position, so every
piece's gradient is checked separately. Indices are drawn with repeats and negatives (their
gradients accumulate); torch, which wants them non-negative for some ops, gets them modulo the
axis size. pad has rows torch can check (the modes and shapes torch's `nn.functional.pad`
supports) and one for numpy's wider rules (borders longer than the axis, 'symmetric').
"""
from __future__ import annotations

from typing import List

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from ag_cases import Case, arrays, axes_of, shapes


def _axis(data, ndim: int, label: str = "axis") -> int:
    return data.draw(st.integers(-ndim, ndim - 1), label=label)


def _indices(data, size: int, shape, label: str = "indices") -> np.ndarray:
    """Integer positions in [-size, size) of `shape` (repeats likely on small axes)."""
    return data.draw(hnp.arrays(np.intp, shape, elements=st.integers(-size, size - 1)),
                     label=label)


# ----- split and array_split --------------------------------------------------------------
def _joined(pieces, axis, cat):
    """The pieces side by side again, piece i scaled by i + 1."""
    return cat([p * float(i + 1) for i, p in enumerate(pieces)], axis)


def draw_split(kind: str):
    def draw(data):
        x = data.draw(arrays(shapes(min_dims=1)), label="x")
        axis = _axis(data, x.ndim)
        n = x.shape[axis]
        if kind == "split":
            cuts = data.draw(st.sampled_from([k for k in range(1, n + 1) if n % k == 0]),
                             label="sections")
        elif kind == "sections":
            cuts = data.draw(st.integers(1, n + 2), label="sections")
        else:
            cuts = data.draw(st.lists(st.integers(-n - 1, n + 1), max_size=3), label="cuts")
        return [x], {"cuts": cuts, "axis": axis}
    return draw


def _split_case(name: str, kind: str, ours, theirs, torch_split) -> Case:
    return Case(name, draw_split(kind),
                lambda x, cuts, axis: _joined(ours(x, cuts, axis=axis), axis,
                                              lambda ps, a: ag.concatenate(ps, axis=a)),
                lambda x, cuts, axis: _joined(theirs(x, cuts, axis=axis), axis,
                                              lambda ps, a: np.concatenate(ps, axis=a)),
                lambda t, x, cuts, axis: _joined(torch_split(t, x, cuts, axis), axis,
                                                 lambda ps, a: t.cat(ps, dim=a)))


def torch_split(t, x, sections, axis):
    """torch.split takes the pieces' size where numpy takes their number."""
    return t.split(x, x.shape[axis] // sections, dim=axis)


def torch_tensor_split(t, x, cuts, axis):
    return t.tensor_split(x, cuts, dim=axis)


# ----- squeeze, flip, roll, moveaxis, swapaxes ------------------------------------------------
def draw_squeeze(data):
    x = data.draw(arrays(shapes(max_side=2)), label="x")
    ones = [a for a, n in enumerate(x.shape) if n == 1]
    if not ones or data.draw(st.booleans(), label="all"):
        return [x], {"axis": None}
    chosen = data.draw(st.lists(st.sampled_from(ones), unique=True, min_size=1), label="axes")
    axis = tuple(a - x.ndim if data.draw(st.booleans(), label="negative") else a
                 for a in chosen)
    return [x], {"axis": axis[0] if len(axis) == 1 else axis}


def torch_squeeze(t, x, axis):
    return x.squeeze() if axis is None else x.squeeze(axis)


def draw_flip(data):
    x = data.draw(arrays(shapes()), label="x")
    return [x], {"axis": axes_of(data, x.ndim)}


def draw_roll(data):
    x = data.draw(arrays(shapes()), label="x")
    shift = st.integers(-6, 6)
    if x.ndim == 0 or data.draw(st.booleans(), label="flat"):
        return [x], {"shift": data.draw(shift, label="shift"), "axis": None}
    k = data.draw(st.integers(1, 3), label="count")
    axes = tuple(data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis") for _ in range(k))
    shifts = tuple(data.draw(shift, label="shift") for _ in range(k))
    if k == 1:
        return [x], {"shift": shifts[0], "axis": axes[0]}
    return [x], {"shift": shifts, "axis": axes}


def draw_moveaxis(data):
    x = data.draw(arrays(shapes()), label="x")
    k = data.draw(st.integers(0, x.ndim), label="count")
    src = data.draw(st.permutations(range(x.ndim)), label="source")[:k]
    dst = data.draw(st.permutations(range(x.ndim)), label="destination")[:k]
    flip_sign = data.draw(st.booleans(), label="negative")
    src = [a - x.ndim if flip_sign else a for a in src]
    if k == 1 and data.draw(st.booleans(), label="ints"):
        return [x], {"source": src[0], "destination": dst[0]}
    return [x], {"source": tuple(src), "destination": tuple(dst)}


def draw_swapaxes(data):
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    return [x], {"axis1": _axis(data, x.ndim, "axis1"), "axis2": _axis(data, x.ndim, "axis2")}


# ----- repeat and tile ----------------------------------------------------------------------
def draw_repeat(data):
    x = data.draw(arrays(shapes()), label="x")
    axis = None if x.ndim == 0 or data.draw(st.booleans(), label="flat") else _axis(data, x.ndim)
    n = x.size if axis is None else x.shape[axis]
    count = st.integers(0, 3)
    if data.draw(st.booleans(), label="one count"):
        return [x], {"repeats": data.draw(count, label="repeats"), "axis": axis}
    return [x], {"repeats": data.draw(st.lists(count, min_size=n, max_size=n), label="repeats"),
                 "axis": axis}


def torch_repeat(t, x, repeats, axis):
    counts = repeats if isinstance(repeats, int) else t.as_tensor(repeats)
    return t.repeat_interleave(x, counts, dim=axis)


def draw_tile(data):
    x = data.draw(arrays(shapes(max_dims=2)), label="x")
    if data.draw(st.booleans(), label="int"):
        return [x], {"reps": data.draw(st.integers(0, 3), label="reps")}
    return [x], {"reps": tuple(data.draw(st.lists(st.integers(0, 2), max_size=3),
                                         label="reps"))}


def torch_tile(t, x, reps):
    return t.tile(x, (reps,) if isinstance(reps, int) else reps)


# ----- pad ----------------------------------------------------------------------------------
TORCH_PAD_MODES = {"edge": "replicate", "reflect": "reflect", "wrap": "circular"}


def _pairs(pad_width, ndim: int) -> List[List[int]]:
    return np.broadcast_to(np.asarray(pad_width), (ndim, 2)).tolist()


def _torch_widths(pad_width, ndim: int, trailing: int) -> List[int]:
    """torch's flat list: (before, after) of the last axis first, for `trailing` axes."""
    pairs = _pairs(pad_width, ndim)[ndim - trailing:]
    return [w for pair in reversed(pairs) for w in pair]


def draw_pad_constant(data):
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    width = st.integers(0, 2)
    form = data.draw(st.sampled_from(["int", "pair", "pairs"]), label="form")
    if form == "int":
        pad_width = data.draw(width, label="pad_width")
    elif form == "pair":
        pad_width = (data.draw(width, label="before"), data.draw(width, label="after"))
    else:
        pad_width = tuple((data.draw(width, label="before"), data.draw(width, label="after"))
                          for _ in range(x.ndim))
    return [x], {"pad_width": pad_width,
                 "constant_values": data.draw(st.floats(-2, 2), label="constant_values")}


def torch_pad_constant(t, x, pad_width, constant_values):
    widths = _torch_widths(pad_width, x.ndim, x.ndim)
    return t.nn.functional.pad(x, widths, mode="constant", value=constant_values)


def draw_pad_torchlike(mode: str):
    """Shapes torch pads in `mode`: one or two leading axes left alone, then 1-3 padded ones,
    each border shorter than the axis for reflect and no longer than it for wrap."""
    def draw(data):
        lead = data.draw(st.lists(st.integers(1, 2), min_size=1, max_size=2), label="lead")
        padded = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3), label="sides")
        x = data.draw(arrays(tuple(lead + padded)), label="x")
        most = {"edge": lambda n: 2, "reflect": lambda n: n - 1, "wrap": lambda n: n}[mode]
        pairs = [(0, 0)] * len(lead) + [
            (data.draw(st.integers(0, most(n)), label="before"),
             data.draw(st.integers(0, most(n)), label="after")) for n in padded]
        return [x], {"pad_width": tuple(pairs)}
    return draw


def torch_pad(mode: str):
    """torch pads the last k axes of a value with one or two more (batch, channel): k runs
    from the first axis with a border to the end, and covers all but two axes at least."""
    def run(t, x, pad_width):
        pairs = _pairs(pad_width, x.ndim)
        first = next((i for i, pair in enumerate(pairs) if pair != [0, 0]), x.ndim - 1)
        trailing = max(x.ndim - first, x.ndim - 2, 1)
        return t.nn.functional.pad(x, _torch_widths(pad_width, x.ndim, trailing),
                                   mode=TORCH_PAD_MODES[mode])
    return run


def draw_pad_numpy(data):
    """numpy's rules beyond torch's: every axis padded, borders up to twice the axis and more,
    'symmetric' too."""
    x = data.draw(arrays(shapes(min_dims=1, max_dims=2)), label="x")
    mode = data.draw(st.sampled_from(["edge", "reflect", "symmetric", "wrap"]), label="mode")
    pairs = tuple((data.draw(st.integers(0, 2 * n + 1), label="before"),
                   data.draw(st.integers(0, 2 * n + 1), label="after")) for n in x.shape)
    return [x], {"pad_width": pairs, "mode": mode}


# ----- gathers ------------------------------------------------------------------------------
def draw_take(data):
    x = data.draw(arrays(shapes()), label="x")
    axis = None if x.ndim == 0 or data.draw(st.booleans(), label="flat") else _axis(data, x.ndim)
    n = x.size if axis is None else x.shape[axis]
    if data.draw(st.booleans(), label="one index"):
        return [x], {"indices": data.draw(st.integers(-n, n - 1), label="index"), "axis": axis}
    return [x], {"indices": _indices(data, n, shapes(max_dims=2, max_side=3)), "axis": axis}


def torch_take(t, x, indices, axis):
    idx = np.asarray(indices)
    if axis is None:
        return t.take(x, t.as_tensor(idx % x.numel()))
    n = x.shape[axis]
    picked = x.index_select(axis, t.as_tensor(idx.reshape(-1) % n))
    return picked.reshape(tuple(x.shape[:axis]) + idx.shape + tuple(x.shape[axis % x.ndim + 1:]))


def draw_take_along_axis(data):
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    if data.draw(st.booleans(), label="flat"):
        k = data.draw(st.integers(0, 5), label="count")
        return [x], {"indices": _indices(data, x.size, (k,)), "axis": None}
    axis = _axis(data, x.ndim)
    shape = tuple(data.draw(st.integers(0, 4), label="along") if d == axis % x.ndim
                  else data.draw(st.sampled_from([n, 1] if n > 1 else [1, 2]), label="side")
                  for d, n in enumerate(x.shape))
    return [x], {"indices": _indices(data, x.shape[axis], shape), "axis": axis}


def torch_take_along_axis(t, x, indices, axis):
    size = x.numel() if axis is None else x.shape[axis]
    return t.take_along_dim(x, t.as_tensor(indices % size), dim=axis)


def draw_index_add(data):
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    axis = _axis(data, x.ndim)
    index = _indices(data, x.shape[axis], (data.draw(st.integers(0, 5), label="count"),),
                     label="index")
    shape = x.shape[:axis % x.ndim] + (len(index),) + x.shape[axis % x.ndim + 1:]
    return [x, data.draw(arrays(shape), label="source")], {"axis": axis, "index": index}


def np_index_add(x, source, axis, index):
    out = x.copy()
    np.add.at(out, (slice(None),) * (axis % x.ndim) + (index,), source)
    return out


# ----- the rows -----------------------------------------------------------------------------
CASES: List[Case] = [
    _split_case("split", "split", ag.split, np.split, torch_split),
    _split_case("array_split-sections", "sections", ag.array_split, np.array_split,
                torch_tensor_split),
    _split_case("array_split-indices", "indices", ag.array_split, np.array_split,
                torch_tensor_split),
    Case("squeeze", draw_squeeze, lambda x, axis: x.squeeze(axis),
         lambda x, axis: np.squeeze(x, axis), torch_squeeze),
    Case("flatten", lambda data: ([data.draw(arrays(shapes()), label="x")], {}),
         lambda x: x.flatten(), lambda x: x.flatten(), lambda t, x: x.flatten()),
    Case("flip", draw_flip, lambda x, axis: ag.flip(x, axis), lambda x, axis: np.flip(x, axis),
         lambda t, x, axis: t.flip(x, tuple(range(x.ndim)) if axis is None
                                   else (axis,) if isinstance(axis, int) else axis)),
    Case("roll", draw_roll, lambda x, shift, axis: ag.roll(x, shift, axis),
         lambda x, shift, axis: np.roll(x, shift, axis),
         lambda t, x, shift, axis: t.roll(x, shift, axis)),
    Case("moveaxis", draw_moveaxis,
         lambda x, source, destination: ag.moveaxis(x, source, destination),
         lambda x, source, destination: np.moveaxis(x, source, destination),
         lambda t, x, source, destination: t.movedim(x, source, destination)),
    Case("swapaxes", draw_swapaxes, lambda x, axis1, axis2: x.swapaxes(axis1, axis2),
         lambda x, axis1, axis2: np.swapaxes(x, axis1, axis2),
         lambda t, x, axis1, axis2: t.swapaxes(x, axis1, axis2)),
    Case("repeat", draw_repeat, lambda x, repeats, axis: x.repeat(repeats, axis),
         lambda x, repeats, axis: np.repeat(x, repeats, axis), torch_repeat),
    Case("tile", draw_tile, lambda x, reps: ag.tile(x, reps), lambda x, reps: np.tile(x, reps),
         torch_tile),
    Case("pad-constant", draw_pad_constant,
         lambda x, pad_width, constant_values: ag.pad(x, pad_width,
                                                      constant_values=constant_values),
         lambda x, pad_width, constant_values: np.pad(x, pad_width,
                                                      constant_values=constant_values),
         torch_pad_constant),
    *[Case(f"pad-{mode}", draw_pad_torchlike(mode),
           lambda x, pad_width, mode=mode: ag.pad(x, pad_width, mode=mode),
           lambda x, pad_width, mode=mode: np.pad(x, pad_width, mode=mode), torch_pad(mode))
      for mode in TORCH_PAD_MODES],
    Case("pad-numpy-modes", draw_pad_numpy,
         lambda x, pad_width, mode: ag.pad(x, pad_width, mode=mode),
         lambda x, pad_width, mode: np.pad(x, pad_width, mode=mode)),
    Case("take", draw_take, lambda x, indices, axis: x.take(indices, axis),
         lambda x, indices, axis: np.take(x, indices, axis), torch_take),
    Case("take_along_axis", draw_take_along_axis,
         lambda x, indices, axis: ag.take_along_axis(x, indices, axis),
         lambda x, indices, axis: np.take_along_axis(x, indices, axis), torch_take_along_axis),
    Case("index_add", draw_index_add,
         lambda x, source, axis, index: ag.index_add(x, axis, index, source), np_index_add,
         lambda t, x, source, axis, index: t.index_add(
             x, axis, t.as_tensor(index % x.shape[axis]), source)),
]
