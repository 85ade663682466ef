"""Convolution and pooling over 1, 2 or 3 spatial dimensions, as PyTorch's functional API
defines them: conv1d/2d/3d (and `conv` for any number of dimensions), max_pool1d/2d/3d,
avg_pool1d/2d/3d and adaptive_avg_pool1d/2d/3d.

Layouts are PyTorch's: x is (N, C, *spatial), or (C, *spatial) for one unbatched sample; a
convolution's weight is (C_out, C_in // groups, *kernel) and its bias (C_out,). A convolution
is a cross-correlation (the kernel is not flipped):
    y[n, o, p] = bias[o] + sum over c, k of weight[o, c, k] * x_padded[n, g(o) C' + c, p s + k d]
with stride s, dilation d, zero padding, and g(o) the group of output channel o.

How it runs, on numpy alone: the windows of x are a strided view (no copy, no Python loop over
output positions), laid out as one matrix per sample and group (im2col), so the contraction
with the weight is one stacked matrix product whose result is already in (N, C, ...) layout.
The three bilinear maps of the form <conv(x, w), g> are primitives: `conv`, its input
gradient `conv_input_grad` (a transposed convolution: a matrix product, then a loop over the
kernel's offsets adding strided slices) and its weight gradient `conv_weight_grad` (windows
of x against g, one matrix product per sample, summed). The VJPs of each are the other two,
so convolutions differentiate to any order. Pooling works the same way: each of max_pool,
max_unpool, avg_pool and avg_unpool is the other's VJP.

Max pooling, where a window's maximum is tied, gives the gradient to the first of the tied
entries in the window's row-major order; where a window holds NaN its value is NaN and the
last NaN gets the gradient; padding (-inf) is never chosen, and a window whose entries are
all -inf gives its gradient to the first of them. This is PyTorch's rule on CPU.
"""
from __future__ import annotations

import math
from typing import Any, Iterator, Optional, Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from autograd.op import Op, shape_of
from autograd.ops.reductions import mean
from autograd.ops.shape import concatenate, expand_dims, getitem, reshape
from autograd.value import as_data

Ints = Tuple[int, ...]
Pairs = Tuple[Tuple[int, int], ...]
_CACHE_BYTES = 1 << 18          # what one chunk of a convolution's work may hold: about a core's L2


# ----- geometry: where each kernel offset meets the (padded) input ---------------------------
def _out_size(size: Ints, kernel: Ints, stride: Ints, padding: Pairs, dilation: Ints) -> Ints:
    """How many windows fit along each spatial axis."""
    return tuple((n + b + a - d * (k - 1) - 1) // s + 1
                 for n, k, s, (b, a), d in zip(size, kernel, stride, padding, dilation))


def _padded(x: np.ndarray, padding: Pairs, fill: float) -> np.ndarray:
    """x (..., *spatial) with `fill` before and after each spatial axis (x itself if none)."""
    if not any(b or a for b, a in padding):
        return x
    d = len(padding)
    shape = x.shape[:-d] + tuple(n + b + a for n, (b, a) in zip(x.shape[-d:], padding))
    out = np.full(shape, fill, dtype=x.dtype)
    out[_inside(x.shape[-d:], padding)] = x
    return out


def _inside(size: Ints, padding: Pairs) -> tuple:
    """The index of the unpadded input within the padded one."""
    return (Ellipsis,) + tuple(slice(b, b + n) for n, (b, _) in zip(size, padding))


def _offset(k: Ints, stride: Ints, dilation: Ints, out: Ints) -> tuple:
    """The index of the padded input's entries that kernel offset k meets, one per window."""
    return (Ellipsis,) + tuple(slice(i * d, i * d + s * (o - 1) + 1, s)
                               for i, s, d, o in zip(k, stride, dilation, out))


def _fold(parts: Any, lead: tuple, dtype: Any, size: Ints, kernel: Ints, stride: Ints,
          padding: Pairs, dilation: Ints) -> np.ndarray:
    """The adjoint of reading windows: `parts(i, k)` is what the i-th kernel offset k adds to
    the entries it meets; the sums, padding cropped, as an array (*lead, *size)."""
    out = _out_size(size, kernel, stride, padding, dilation)
    total = np.zeros(lead + tuple(n + b + a for n, (b, a) in zip(size, padding)), dtype)
    for i, k in enumerate(np.ndindex(*kernel)):
        total[_offset(k, stride, dilation, out)] += parts(i, k)
    return np.ascontiguousarray(total[_inside(size, padding)])


# ----- convolution: three primitives, each the others' VJP ----------------------------------
def _column_chunks(x: np.ndarray, kernel: Ints, stride: Ints, padding: Pairs,
                   dilation: Ints, groups: int) -> Iterator[Tuple[slice, np.ndarray]]:
    """im2col a cache-sized chunk of samples at a time: (the samples, their windows as
    (n, groups, C/groups * K, P)), K the kernel's entries and P the windows; one copy out of a
    strided view each, used while it is still in the cache. Sample-major, so the products with
    it come out in x's (N, C, ...) layout with no transposed copy."""
    d = len(kernel)
    spatial = tuple(range(2, 2 + d))
    extent = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))
    windows = sliding_window_view(_padded(x, padding, 0.0), extent, axis=spatial)
    windows = windows[(slice(None),) * 2 + tuple(slice(None, None, s) for s in stride)
                      + tuple(slice(None, None, dl) for dl in dilation)]  # (N, C, *P, *K)
    windows = windows.transpose(0, 1, *range(2 + d, 2 + 2 * d), *spatial)  # (N, C, *K, *P)
    shape = (groups, x.shape[1] // groups * math.prod(kernel), math.prod(windows.shape[-d:]))
    chunk = max(1, _CACHE_BYTES // (math.prod(shape) * x.itemsize))
    for n in range(0, x.shape[0], chunk):
        rows = slice(n, n + chunk)
        yield rows, np.ascontiguousarray(windows[rows]).reshape((-1,) + shape)


def _rows(g: np.ndarray, groups: int) -> np.ndarray:
    """An output-shaped g (N, C_out, *P) as (N, groups, C_out/groups, P)."""
    return g.reshape(g.shape[0], groups, g.shape[1] // groups, math.prod(g.shape[2:]))


def _matrices(w: np.ndarray, groups: int) -> np.ndarray:
    """The weight (C_out, C_in/groups, *kernel) as (groups, C_out/groups, C_in/groups * K)."""
    return w.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:]))


def _conv(x: np.ndarray, w: np.ndarray, stride: Ints, padding: Pairs, dilation: Ints,
          groups: int) -> np.ndarray:
    kernel = w.shape[2:]
    out = _out_size(x.shape[2:], kernel, stride, padding, dilation)
    matrices = _matrices(w, groups)
    y = np.empty((x.shape[0], groups, w.shape[0] // groups, math.prod(out)),
                 np.result_type(x, w))
    for rows, cols in _column_chunks(x, kernel, stride, padding, dilation, groups):
        np.matmul(matrices, cols, out=y[rows])
    return y.reshape((x.shape[0], w.shape[0]) + out)


def _conv_input_grad(g: np.ndarray, w: np.ndarray, stride: Ints, padding: Pairs,
                     dilation: Ints, groups: int, size: Ints) -> np.ndarray:
    """The transposed convolution: each window's share w^T g, added back where it was read."""
    kernel, out = w.shape[2:], g.shape[2:]
    lead = g.shape[:1] + (w.shape[1] * groups,)
    transposed = np.swapaxes(_matrices(w, groups), 1, 2)                     # (G, C'K, O')
    if any(s != 1 for s in stride) or not np.isfinite(w).all():
        shares = (transposed @ _rows(g, groups)).reshape(lead + kernel + out)
        return _fold(lambda i, k: shares[(slice(None),) * 2 + k], lead, shares.dtype, size,
                     kernel, stride, padding, dilation)                     # (N, C, *size)
    # Stride 1: g's rows spaced as the padded input's (zeros between), so that what each
    # kernel offset adds is one shifted run of the flattened padded input (the zeros' shares
    # are 0 for a finite weight). A few samples at a time, so that their shares are added
    # while they are still in the cache.
    plane = tuple(n + b + a for n, (b, a) in zip(size, padding))
    spread = out[:1] + plane[1:]
    span = math.prod(spread)
    steps = [math.prod(plane[i + 1:]) for i in range(len(plane))]
    starts = [sum(j * dl * step for j, dl, step in zip(k, dilation, steps))
              for k in np.ndindex(*kernel)]
    total = np.zeros(lead + (math.prod(plane),), np.result_type(w, g))
    chunk = max(1, _CACHE_BYTES // (lead[1] * len(starts) * span * total.itemsize))
    wide = np.zeros((min(chunk, lead[0]),) + g.shape[1:2] + spread, g.dtype)
    inside = (Ellipsis,) + tuple(slice(0, o) for o in out[1:])
    for n in range(0, lead[0], chunk):
        spaced = wide[:min(chunk, lead[0] - n)]
        spaced[inside] = g[n:n + chunk]                 # the zeros between are never written
        shares = (transposed @ _rows(spaced, groups)).reshape(-1, lead[1], len(starts), span)
        part = total[n:n + chunk]
        for i, start in enumerate(starts):
            length = min(span, total.shape[-1] - start)   # what is cut off is the zeros between
            part[:, :, start:start + length] += shares[:, :, i, :length]
    return np.ascontiguousarray(total.reshape(lead + plane)[_inside(size, padding)])


def _conv_weight_grad(x: np.ndarray, g: np.ndarray, stride: Ints, padding: Pairs,
                      dilation: Ints, groups: int, kernel: Ints) -> np.ndarray:
    """Each weight's gradient: the windows' entries it met, weighted by g and summed."""
    rows_of_g = np.swapaxes(_rows(g, groups), 2, 3)                        # (N, G, P, O')
    dw = np.zeros((groups, x.shape[1] // groups * math.prod(kernel), g.shape[1] // groups),
                  np.result_type(x, g))
    for rows, cols in _column_chunks(x, kernel, stride, padding, dilation, groups):
        dw += (cols @ rows_of_g[rows]).sum(axis=0)                          # (G, C'K, O')
    return np.swapaxes(dw, 1, 2).reshape((g.shape[1], x.shape[1] // groups) + kernel)


# <conv(x, w), g> is linear in each of x, w and g: each op's VJPs are the other two.
_conv_op = Op("conv", _conv,
              lambda g, ans, x, w, **geo: _input_grad_op(g, w, **geo, size=shape_of(x)[2:]),
              lambda g, ans, x, w, **geo: _weight_grad_op(x, g, **geo,
                                                          kernel=shape_of(w)[2:]))
_input_grad_op = Op("conv_input_grad", _conv_input_grad,
                    lambda h, ans, g, w, size, **geo: _conv_op(h, w, **geo),
                    lambda h, ans, g, w, size, **geo: _weight_grad_op(
                        h, g, **geo, kernel=shape_of(w)[2:]))
_weight_grad_op = Op("conv_weight_grad", _conv_weight_grad,
                     lambda h, ans, x, g, kernel, **geo: _input_grad_op(
                         g, h, **geo, size=shape_of(x)[2:]),
                     lambda h, ans, x, g, kernel, **geo: _conv_op(x, h, **geo))


# ----- max pooling: a gather at each window's maximum, and its scatter ------------------------
def _first_inside(size: Ints, kernel: Ints, stride: Ints, padding: Pairs,
                  dilation: Ints) -> np.ndarray:
    """For each window (shape *P), the row-major position in the window of its first entry
    inside the input, or -1 for a window that lies in the padding."""
    out = _out_size(size, kernel, stride, padding, dilation)
    firsts = []
    for n, k, s, (b, _), d, o in zip(size, kernel, stride, padding, dilation, out):
        at = np.arange(o)[:, None] * s - b + np.arange(k) * d       # (windows, offsets)
        inside = (at >= 0) & (at < n)
        firsts.append(np.where(inside.any(1), inside.argmax(1), -1))
    grid = np.meshgrid(*firsts, indexing="ij")
    index = np.ravel_multi_index(tuple(np.maximum(f, 0) for f in grid), kernel)
    return np.where(np.all([f >= 0 for f in grid], axis=0), index, -1)


def _entries(x: np.ndarray, kernel: Ints, stride: Ints, padding: Pairs,
             dilation: Ints) -> list:
    """For each kernel offset, in row-major order, the entries of x's windows it meets (-inf
    in the padding), as strided views of shape (N, C, *P)."""
    out = _out_size(x.shape[2:], kernel, stride, padding, dilation)
    padded = _padded(x, padding, -np.inf)
    return [padded[_offset(k, stride, dilation, out)] for k in np.ndindex(*kernel)]


def _max_pool(x: np.ndarray, kernel: Ints, stride: Ints, padding: Pairs,
              dilation: Ints) -> np.ndarray:
    """Each window's maximum (NaN where it holds NaN, -inf where it holds no entry)."""
    entries = _entries(x, kernel, stride, padding, dilation)
    best = entries[0].copy()
    for entry in entries[1:]:
        np.maximum(best, entry, out=best)
    return best


def _window_argmax(x: np.ndarray, best: np.ndarray, kernel: Ints, stride: Ints,
                   padding: Pairs, dilation: Ints) -> np.ndarray:
    """Which entry of each window is its maximum `best`, by its row-major position in the
    window (PyTorch's choice: see the module's notes): a count of the offsets before the
    first entry equal to the maximum; windows whose maximum is NaN or -inf (rare) are then
    set by the rule for them."""
    entries = _entries(x, kernel, stride, padding, dilation)
    index = np.zeros(best.shape, np.int8 if len(entries) < 128 else np.intp)
    ahead = np.ones(best.shape, bool)               # the window's maximum is further on
    for entry in entries[:-1]:
        ahead &= entry != best
        index += ahead
    if np.isnan(best).any():
        for i, entry in enumerate(entries):         # the last NaN
            np.copyto(index, i, where=np.isnan(entry))
    lowest = best == -np.inf
    if lowest.any():
        first = _first_inside(x.shape[2:], kernel, stride, padding, dilation)
        index = np.where(lowest, first.astype(np.intp), index)
    return index


def _max_gather(x: np.ndarray, kernel: Ints, stride: Ints, padding: Pairs, dilation: Ints,
                index: np.ndarray) -> np.ndarray:
    """x's entry at `index` in each window (-inf where a window holds none)."""
    out = np.full(index.shape, -np.inf, dtype=x.dtype)
    for i, entry in enumerate(_entries(x, kernel, stride, padding, dilation)):
        out = np.where(index == i, entry, out)
    return out


def _max_unpool(g: np.ndarray, kernel: Ints, stride: Ints, padding: Pairs, dilation: Ints,
                index: np.ndarray, size: Ints) -> np.ndarray:
    """Each window's g added at the entry `index` picked. A finite g is multiplied by the
    mask (faster than a select; the -0.0 a negative g times 0 gives adds to +0.0 as 0 does)."""
    if np.isfinite(g).all():
        def part(i: int, k: Ints) -> np.ndarray:
            return g * (index == i)
    else:
        zero = np.zeros((), g.dtype)

        def part(i: int, k: Ints) -> np.ndarray:
            return np.where(index == i, g, zero)
    return _fold(part, g.shape[:2], g.dtype, size, kernel, stride, padding, dilation)


def _max_pool_vjp(g: Any, ans: Any, x: Any, **geo: Any) -> Any:
    """The gradient goes to each window's maximum, found from x and the output."""
    index = _window_argmax(as_data(x), as_data(ans), **geo)
    return _max_unpool_op(g, **geo, index=index, size=shape_of(x)[2:])


# max_pool's gradient is max_unpool at its windows' maxima; with the positions fixed,
# max_unpool and max_gather are linear and each the other's VJP.
_max_pool_op = Op("max_pool", _max_pool, _max_pool_vjp)
_max_unpool_op = Op("max_unpool", _max_unpool,
                    lambda h, ans, g, size, **geo: _max_gather_op(h, **geo))
_max_gather_op = Op("max_gather", _max_gather,
                    lambda h, ans, x, **geo: _max_unpool_op(h, **geo, size=shape_of(x)[2:]))


# ----- average pooling: window sums over a divisor, and their spread --------------------------
def _divisor(size: Ints, kernel: Ints, stride: Ints, padding: Pairs,
             count_include_pad: bool) -> Any:
    """What each window's sum is divided by: the number of its entries inside the input, with
    count_include_pad those inside the input or its padding (the kernel's size, except for a
    window that ceil_mode lets hang over the padding's end: PyTorch's rule). The padding
    before an axis is its padding; what is after it beyond that is ceil_mode's overhang."""
    if count_include_pad and all(a == b for b, a in padding):
        return float(math.prod(kernel))
    ones = (1,) * len(kernel)
    out = _out_size(size, kernel, stride, padding, ones)
    counts = []
    for n, k, s, (b, _), o in zip(size, kernel, stride, padding, out):
        start, edge = np.arange(o) * s - b, b if count_include_pad else 0
        counts.append(np.minimum(start + k, n + edge) - np.maximum(start, -edge))
    return math.prod(np.meshgrid(*counts, indexing="ij"))


def _avg_pool(x: np.ndarray, kernel: Ints, stride: Ints, padding: Pairs,
              count_include_pad: bool) -> np.ndarray:
    ones = (1,) * len(kernel)
    out = _out_size(x.shape[2:], kernel, stride, padding, ones)
    padded = _padded(x, padding, 0.0)
    total = np.zeros(x.shape[:2] + out, x.dtype)
    for k in np.ndindex(*kernel):
        total += padded[_offset(k, stride, ones, out)]
    divisor = _divisor(x.shape[2:], kernel, stride, padding, count_include_pad)
    return total / (divisor if type(divisor) is float else divisor.astype(x.dtype))


def _avg_unpool(g: np.ndarray, kernel: Ints, stride: Ints, padding: Pairs,
                count_include_pad: bool, size: Ints) -> np.ndarray:
    """Each window's g, over its divisor, added to every entry of the window."""
    divisor = _divisor(size, kernel, stride, padding, count_include_pad)
    share = g / (divisor if type(divisor) is float else divisor.astype(g.dtype))
    return _fold(lambda i, k: share, g.shape[:2], share.dtype, size, kernel, stride, padding,
                 (1,) * len(kernel))


_avg_pool_op = Op("avg_pool", _avg_pool,                        # 1/divisor in each window
                  lambda g, ans, x, **geo: _avg_unpool_op(g, **geo, size=shape_of(x)[2:]))
_avg_unpool_op = Op("avg_unpool", _avg_unpool,                  # linear: the window means
                    lambda h, ans, g, size, **geo: _avg_pool_op(h, **geo))


# ----- arguments: checked before anything runs ----------------------------------------------
def _ints(value: Any, d: int, op: str, name: str, low: int) -> Ints:
    """An int, or a tuple of d ints, each at least `low`, as a tuple of d ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * d
    if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in items):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {d} ints, got {value!r}")
    if len(items) != d:
        raise ValueError(f"{op}: {name} {value!r} must be an int or {d} ints, one per "
                         f"spatial dimension")
    if any(v < low for v in items):
        raise ValueError(f"{op}: {name} must be {'positive' if low else 'non-negative'}, got "
                         f"{value!r}")
    return tuple(int(v) for v in items)


def _spatial(xs: Tuple[int, ...], d: int, op: str, what: str) -> bool:
    """Whether x of shape xs, (N, C, *spatial) or (C, *spatial), is one unbatched sample."""
    if len(xs) not in (d + 1, d + 2):
        dims = f"{what}, " + {1: "L", 2: "H, W", 3: "D, H, W"}.get(d, "*spatial")
        raise ValueError(f"{op}: x must be (N, {dims}), or ({dims}) for one sample; got shape "
                         f"{xs}")
    return len(xs) == d + 1


def _fits(op: str, xs: tuple, size: Ints, kernel: Ints, padding: Pairs,
          dilation: Ints) -> None:
    """Every spatial axis holds at least one window."""
    for n, k, (b, a), dl in zip(size, kernel, padding, dilation):
        if dl * (k - 1) + 1 > n + b + a:
            raise ValueError(f"{op}: the kernel {kernel} (dilation {dilation}) spans more "
                             f"than the padded input: x of shape {xs}, spatial size {size}, "
                             f"padding {padding}; use a smaller kernel or dilation, or more "
                             "padding")


def _conv_padding(padding: Any, kernel: Ints, stride: Ints, dilation: Ints, op: str) -> Pairs:
    """'valid' (none), 'same' (the output keeps the input's size: PyTorch puts the odd one of
    an uneven total on the right) or ints, as (before, after) pairs."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel)
        if padding != "same":
            raise ValueError(f"{op}: padding {padding!r} is not 'same' or 'valid'; give one "
                             "of those or ints")
        if any(s != 1 for s in stride):
            raise ValueError(f"{op}: padding='same' needs stride 1 (as in PyTorch), got "
                             f"stride {stride}; give the padding as ints")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in _ints(padding, len(kernel), op, "padding", 0))


def conv(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
         dilation: Any = 1, groups: int = 1) -> Any:
    """The convolution (cross-correlation) of x with `weight`, over as many spatial dimensions
    as the weight has after its first two: PyTorch's conv1d/conv2d/conv3d for any number.

    x is (N, C_in, *spatial) or (C_in, *spatial); weight (C_out, C_in // groups, *kernel);
    bias None or (C_out,). `stride` and `dilation` are positive, `padding` non-negative (ints,
    one per spatial dimension, or one for all; zeros are padded), or 'valid' (none) or 'same'
    (stride 1 only: the output keeps x's size, an odd total padding has its extra entry on the
    right). `groups` splits the channels into that many independent convolutions.

    >>> x = Value(np.arange(5.0).reshape(1, 1, 5))
    >>> y = conv(x, np.array([[[1.0, 0.0, -1.0]]]), padding=1); y.data
    array([[[-1., -2., -2., -2.,  3.]]])
    >>> y.sum().backward(); x.grad
    array([[[ 1.,  0.,  0.,  0., -1.]]])
    """
    return _convolve(x, weight, bias, stride, padding, dilation, groups, None, "conv")


def _convolve(x: Any, weight: Any, bias: Any, stride: Any, padding: Any, dilation: Any,
              groups: Any, d: Optional[int], op: str) -> Any:
    xs, ws = shape_of(x), shape_of(weight)
    d = len(ws) - 2 if d is None else d
    if d < 1 or len(ws) != d + 2:
        kernel = "*kernel" if op == "conv" else ", ".join(f"k{i}" for i in range(1, d + 1))
        raise ValueError(f"{op}: weight must be (C_out, C_in // groups, {kernel}), got shape "
                         f"{ws}")
    unbatched = _spatial(xs, d, op, "C_in")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")
    c_in, c_out, kernel, size = xs[-d - 1], ws[0], ws[2:], xs[-d:]
    if groups < 1 or c_in % groups or c_out % groups:
        raise ValueError(f"{op}: groups={groups} must be positive and divide both the input's "
                         f"{c_in} and the output's {c_out} channels (x of shape {xs}, weight "
                         f"of shape {ws})")
    if ws[1] * groups != c_in:
        raise ValueError(f"{op}: x of shape {xs} has {c_in} channels, but the weight of shape "
                         f"{ws} with groups={groups} takes {ws[1] * groups} (C_in // groups = "
                         f"{ws[1]}); the weight is (C_out, C_in // groups, *kernel)")
    if bias is not None and shape_of(bias) != (c_out,):
        raise ValueError(f"{op}: bias must have shape ({c_out},), one per output channel of the "
                         f"weight of shape {ws}; got {shape_of(bias)}")
    if 0 in kernel:
        raise ValueError(f"{op}: the weight of shape {ws} has an empty kernel {kernel}")
    stride = _ints(stride, d, op, "stride", 1)
    dilation = _ints(dilation, d, op, "dilation", 1)
    pairs = _conv_padding(padding, kernel, stride, dilation, op)
    _fits(op, xs, size, kernel, pairs, dilation)
    if unbatched:
        x = expand_dims(x, 0)
    y = _conv_op(x, weight, stride=stride, padding=pairs, dilation=dilation, groups=int(groups))
    if bias is not None:
        y = y + reshape(bias, (c_out,) + (1,) * d)
    return reshape(y, shape_of(y)[1:]) if unbatched else y


def conv1d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """`conv` over one spatial dimension: x (N, C_in, L) or (C_in, L), weight
    (C_out, C_in // groups, k), as torch.nn.functional.conv1d.

    >>> conv1d(np.ones((2, 4, 10)), np.ones((6, 2, 3)), groups=2, stride=2).shape
    (2, 6, 4)
    """
    return _convolve(x, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """`conv` over two spatial dimensions: x (N, C_in, H, W) or (C_in, H, W), weight
    (C_out, C_in // groups, kH, kW), as torch.nn.functional.conv2d.

    >>> conv2d(np.ones((1, 3, 28, 28)), np.ones((8, 3, 3, 3)), padding="same").shape
    (1, 8, 28, 28)
    """
    return _convolve(x, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """`conv` over three spatial dimensions, as torch.nn.functional.conv3d."""
    return _convolve(x, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


# ----- pooling -------------------------------------------------------------------------------
def _ceil_overhang(size: Ints, kernel: Ints, stride: Ints, pads: Ints, dilation: Ints) -> Ints:
    """How far past the padding's end ceil_mode's last window reaches, per axis. As in
    PyTorch, ceil_mode rounds the number of windows up, except that a window must start
    inside the input or the padding before it."""
    overhang = []
    for n, k, s, p, d in zip(size, kernel, stride, pads, dilation):
        extent = d * (k - 1) + 1
        windows = -(-(n + 2 * p - extent) // s) + 1
        if (windows - 1) * s >= n + p:
            windows -= 1
        overhang.append(max((windows - 1) * s + extent - (n + 2 * p), 0))
    return tuple(overhang)


def _pool_geometry(x: Any, d: int, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: Any, op: str) -> tuple:
    """Checked pooling arguments: (unbatched?, kernel, stride, padding pairs, dilation). As in
    PyTorch, the stride defaults to the kernel size and padding may be at most half of it;
    ceil_mode's windows that hang over the end are padding after the axis (see
    _ceil_overhang)."""
    xs = shape_of(x)
    unbatched = _spatial(xs, d, op, "C")
    kernel = _ints(kernel_size, d, op, "kernel_size", 1)
    stride = kernel if stride is None else _ints(stride, d, op, "stride", 1)
    dilation = _ints(dilation, d, op, "dilation", 1)
    pads = _ints(padding, d, op, "padding", 0)
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise ValueError(f"{op}: padding {padding!r} must be at most half of kernel_size "
                         f"{kernel} along each dimension (PyTorch's rule), for x of shape {xs}")
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"{op}: ceil_mode must be True or False, got {ceil_mode!r}")
    pairs = tuple((p, p) for p in pads)
    _fits(op, xs, xs[-d:], kernel, pairs, dilation)
    if ceil_mode:
        overhang = _ceil_overhang(xs[-d:], kernel, stride, pads, dilation)
        pairs = tuple((p, p + extra) for p, extra in zip(pads, overhang))
    return unbatched, kernel, stride, pairs, dilation


def _pooled(op: Op, x: Any, unbatched: bool, **geometry: Any) -> Any:
    """op on x, a batch of one made for an unbatched sample and taken away again."""
    if not unbatched:
        return op(x, **geometry)
    y = op(expand_dims(x, 0), **geometry)
    return reshape(y, shape_of(y)[1:])


def _flat_indices(index: np.ndarray, size: Ints, kernel: Ints, stride: Ints, padding: Pairs,
                  dilation: Ints) -> np.ndarray:
    """Each window's chosen entry (its position in the window, -1 for none) as the row-major
    index into its input plane, as PyTorch's return_indices gives it; -1 where a window lies
    wholly in the padding."""
    offsets = np.unravel_index(np.maximum(index, 0), kernel)
    grid = np.meshgrid(*(np.arange(o) for o in index.shape[2:]), indexing="ij")
    at = [g * s - b + k * dl for g, k, s, (b, _), dl in zip(grid, offsets, stride, padding,
                                                              dilation)]
    return np.where(index >= 0, np.ravel_multi_index(at, size, mode="clip"), -1)


def _max_pool_nd(x: Any, d: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 ceil_mode: Any, return_indices: Any, op: str) -> Any:
    unbatched, kernel, stride, pairs, dilation = _pool_geometry(x, d, kernel_size, stride,
                                                                padding, dilation, ceil_mode, op)
    if not isinstance(return_indices, (bool, np.bool_)):
        raise TypeError(f"{op}: return_indices must be True or False, got {return_indices!r}")
    y = _pooled(_max_pool_op, x, unbatched, kernel=kernel, stride=stride, padding=pairs,
                dilation=dilation)
    if not return_indices:
        return y
    data, best = (as_data(v)[None] if unbatched else as_data(v) for v in (x, y))
    index = _window_argmax(data, best, kernel, stride, pairs, dilation)
    flat = _flat_indices(index, data.shape[2:], kernel, stride, pairs, dilation)
    return y, flat[0] if unbatched else flat


def max_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """The maximum of each window of x (N, C, L) or (C, L), as
    torch.nn.functional.max_pool1d: the stride defaults to the kernel size, the padding (at
    most half the kernel) is -inf. Ties and NaN: see the module's notes. With ceil_mode the
    number of windows is rounded up (a last window may hang over the end, but starts inside
    the input or the padding before it); with return_indices the result is (y, indices),
    indices an int64 array of y's shape holding where in x's row-major flattened (L) each
    maximum is (-1 for a window wholly in the padding, whose maximum is -inf).

    >>> x = Value(np.array([[[1.0, 3.0, 3.0, 2.0]]]))
    >>> y = max_pool1d(x, 2, stride=1); y.data
    array([[[3., 3., 3.]]])
    >>> y.sum().backward(); x.grad
    array([[[0., 2., 1., 0.]]])
    >>> y, indices = max_pool1d(np.array([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2, ceil_mode=True,
    ...                         return_indices=True)
    >>> y, indices
    (array([[[3., 5., 4.]]]), array([[[1, 3, 4]]]))
    """
    return _max_pool_nd(x, 1, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, "max_pool1d")


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """max_pool1d over two spatial dimensions: x (N, C, H, W) or (C, H, W), as
    torch.nn.functional.max_pool2d.

    >>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    return _max_pool_nd(x, 2, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, "max_pool2d")


def max_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """max_pool1d over three spatial dimensions, as torch.nn.functional.max_pool3d."""
    return _max_pool_nd(x, 3, kernel_size, stride, padding, dilation, ceil_mode,
                        return_indices, "max_pool3d")


def _avg_pool_nd(x: Any, d: int, kernel_size: Any, stride: Any, padding: Any, ceil_mode: Any,
                 count_include_pad: Any, op: str) -> Any:
    unbatched, kernel, stride, pairs, _ = _pool_geometry(x, d, kernel_size, stride, padding,
                                                         1, ceil_mode, op)
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"{op}: count_include_pad must be True or False, got "
                        f"{count_include_pad!r}")
    return _pooled(_avg_pool_op, x, unbatched, kernel=kernel, stride=stride, padding=pairs,
                   count_include_pad=bool(count_include_pad))


def avg_pool1d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """The mean of each window of x (N, C, L) or (C, L), as torch.nn.functional.avg_pool1d:
    the stride defaults to the kernel size, the padding (at most half the kernel) is zeros,
    counted in the mean unless count_include_pad is False. With ceil_mode the number of
    windows is rounded up, as in max_pool1d; the part of a last window past the padding
    counts in no mean.

    >>> avg_pool1d(np.array([[[1.0, 2.0, 3.0, 4.0]]]), 2, padding=1)
    array([[[0.5, 2.5, 2. ]]])
    """
    return _avg_pool_nd(x, 1, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        "avg_pool1d")


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """avg_pool1d over two spatial dimensions: x (N, C, H, W) or (C, H, W), as
    torch.nn.functional.avg_pool2d."""
    return _avg_pool_nd(x, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        "avg_pool2d")


def avg_pool3d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """avg_pool1d over three spatial dimensions, as torch.nn.functional.avg_pool3d."""
    return _avg_pool_nd(x, 3, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        "avg_pool3d")


def _adaptive_avg_pool_nd(x: Any, d: int, output_size: Any, op: str) -> Any:
    """Along each spatial axis of size n, output o of m is the mean of entries
    floor(o n / m) to ceil((o + 1) n / m) (PyTorch's windows): a reshape and a mean where m
    divides n, else the mean of each window, joined."""
    xs = shape_of(x)
    _spatial(xs, d, op, "C")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * d
    if len(sizes) == d:                 # None keeps that axis's size, as in PyTorch
        sizes = tuple(n if m is None else m for m, n in zip(sizes, xs[-d:]))
    sizes = _ints(sizes, d, op, "output_size", 1)
    for axis, (n, m) in enumerate(zip(xs[-d:], sizes), start=len(xs) - d):
        shape = shape_of(x)
        if n % m == 0:
            x = mean(reshape(x, shape[:axis] + (m, n // m) + shape[axis + 1:]), axis=axis + 1)
        else:
            lead = (slice(None),) * axis
            x = concatenate([mean(getitem(x, lead + (slice(o * n // m, -(-(o + 1) * n // m)),)),
                                  axis=axis, keepdims=True) for o in range(m)], axis=axis)
    return x


def adaptive_avg_pool1d(x: Any, output_size: Any) -> Any:
    """Average pooling of x (N, C, L) or (C, L) to `output_size` windows, as
    torch.nn.functional.adaptive_avg_pool1d (1: the mean over L).

    >>> adaptive_avg_pool1d(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2)
    array([[[2., 4.]]])
    """
    return _adaptive_avg_pool_nd(x, 1, output_size, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(x: Any, output_size: Any) -> Any:
    """Average pooling of x (N, C, H, W) or (C, H, W) to an `output_size` grid (an int, or
    (h, w) where None keeps that size), as torch.nn.functional.adaptive_avg_pool2d; 1 is the
    global average pooling of a CNN's last layers.

    >>> adaptive_avg_pool2d(np.ones((8, 16, 7, 7)), 1).shape
    (8, 16, 1, 1)
    """
    return _adaptive_avg_pool_nd(x, 2, output_size, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(x: Any, output_size: Any) -> Any:
    """adaptive_avg_pool2d over three spatial dimensions, as
    torch.nn.functional.adaptive_avg_pool3d."""
    return _adaptive_avg_pool_nd(x, 3, output_size, "adaptive_avg_pool3d")
