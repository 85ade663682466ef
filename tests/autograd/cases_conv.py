"""The op table's rows for convolution and pooling (ag_cases appends them): conv1d/2d/3d,
max_pool1d/2d/3d, avg_pool1d/2d/3d and adaptive_avg_pool1d/2d/3d, one row per family with the
number of spatial dimensions drawn.

Draws cover strides, paddings (ints per dimension or one for all, 'same' with kernels of
even and odd extent, 'valid'), dilations, groups, bias or none, unbatched samples and inputs
the windows do not tile evenly. Sizes stay small (finite differences and the NaN rows run the
op once per entry). Max pooling gets distinct entries (no ties, where finite differences
mislead; test_conv checks ties) and, with dilation, inputs at least a window long (PyTorch
misbehaves on a window that lies wholly in the padding). Pooling draws ceil_mode too, so a
last window may hang over the end. avg_pool3d's inputs are at least a kernel long: PyTorch
refuses shorter ones though padding would make them fit.

The forward's oracles below are written out by output position, independently of the library's
strided views and matrix products.
"""
from __future__ import annotations

import math
import warnings
from typing import List

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from ag_cases import Case, arrays, spread

EXTRA = {1: 4, 2: 3, 3: 1}          # how far past the smallest input a side may grow
LONGEST = {1: 6, 2: 5, 3: 3}        # the longest side for adaptive pooling


# ----- drawing ----------------------------------------------------------------------------------
def _per_dim(data, d, low, high, label):
    """An int for every dimension, given as one int (when equal, sometimes) or a tuple."""
    values = tuple(data.draw(st.integers(low, high), label=f"{label} {i}") for i in range(d))
    if len(set(values)) == 1 and data.draw(st.booleans(), label=f"{label} as an int"):
        return values[0]
    return values


def _dims(value, d):
    return value if isinstance(value, tuple) else (value,) * d


def _side(data, d, smallest, label):
    return data.draw(st.integers(max(1, smallest), max(1, smallest) + EXTRA[d]), label=label)


def _sample(data, channels, size, label="x"):
    """(N, C, *size), or (C, *size) for an unbatched sample."""
    if data.draw(st.booleans(), label="unbatched"):
        return data.draw(arrays((channels,) + size), label=label)
    n = data.draw(st.integers(1, 2), label="N")
    return data.draw(arrays((n, channels) + size), label=label)


def draw_conv(data):
    d = data.draw(st.integers(1, 3), label="spatial dims")
    groups = data.draw(st.integers(1, 2), label="groups")
    c_in = groups * data.draw(st.integers(1, 2 if d < 3 else 1), label="C_in / groups")
    c_out = groups * data.draw(st.integers(1, 2), label="C_out / groups")
    kernel = tuple(data.draw(st.integers(1, 3 if d < 3 else 2), label=f"k{i}") for i in range(d))
    dilation = _per_dim(data, d, 1, 2, "dilation")
    mode = data.draw(st.sampled_from(["ints", "same", "valid"]), label="padding kind")
    stride = 1 if mode == "same" else _per_dim(data, d, 1, 3, "stride")
    padding = _per_dim(data, d, 0, 2, "padding") if mode == "ints" else mode
    pads = (0,) * d if mode != "ints" else _dims(padding, d)
    extents = [dl * (k - 1) + 1 for k, dl in zip(kernel, _dims(dilation, d))]
    size = tuple(_side(data, d, 1 if mode == "same" else e - 2 * p, f"L{i}")
                 for i, (e, p) in enumerate(zip(extents, pads)))
    xs = [_sample(data, c_in, size), data.draw(arrays((c_out, c_in // groups) + kernel),
                                                label="weight")]
    if data.draw(st.booleans(), label="bias"):
        xs.append(data.draw(arrays((c_out,)), label="bias"))
    return xs, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def _draw_pool(data, avg):
    d = data.draw(st.integers(1, 3), label="spatial dims")
    kernel = _per_dim(data, d, 1, 3 if d < 3 else 2, "kernel_size")
    ks = _dims(kernel, d)
    dilation = (1,) * d if avg else _dims(_per_dim(data, d, 1, 2, "dilation"), d)
    stride = (None if data.draw(st.booleans(), label="default stride")
              else _per_dim(data, d, 1, 3, "stride"))
    padding = tuple(data.draw(st.integers(0, k // 2), label=f"padding {i}")
                    for i, k in enumerate(ks))
    smallest = [k if avg and d == 3 else dl * (k - 1) + 1 - (2 * p if dl == 1 else 0)
                for k, dl, p in zip(ks, dilation, padding)]
    size = tuple(_side(data, d, n, f"L{i}") for i, n in enumerate(smallest))
    x = _sample(data, data.draw(st.integers(1, 2), label="C"), size)
    params = {"d": d, "kernel_size": kernel, "stride": stride, "padding": padding,
              "ceil_mode": data.draw(st.booleans(), label="ceil_mode")}
    if avg:
        params["count_include_pad"] = data.draw(st.booleans(), label="count_include_pad")
    else:
        params["dilation"] = dilation
        x = spread(x)[0]
    return [x], params


def draw_adaptive(data):
    d = data.draw(st.integers(1, 3), label="spatial dims")
    size = tuple(data.draw(st.integers(1, LONGEST[d]), label=f"L{i}") for i in range(d))
    out = tuple(data.draw(st.one_of(st.integers(1, LONGEST[d]), st.sampled_from([1, n])),
                          label=f"output {i}") for i, n in enumerate(size))
    x = _sample(data, data.draw(st.integers(1, 2), label="C"), size)
    return [x], {"d": d, "output_size": out[0] if d == 1 else out}


# ----- oracles, by output position ------------------------------------------------------------
def _batched(x, d):
    return (x[None], True) if x.ndim == d + 1 else (x, False)


def np_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    d = w.ndim - 2
    x, unbatched = _batched(x, d)
    stride, dilation, kernel = _dims(stride, d), _dims(dilation, d), w.shape[2:]
    if padding == "same":
        totals = [dl * (k - 1) for k, dl in zip(kernel, dilation)]
        pairs = [(t // 2, t - t // 2) for t in totals]
    else:
        pairs = [(p, p) for p in _dims(0 if padding == "valid" else padding, d)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pairs)
    extents = [dl * (k - 1) + 1 for k, dl in zip(kernel, dilation)]
    out = [(n - e) // s + 1 for n, e, s in zip(xp.shape[2:], extents, stride)]
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    y = np.zeros((x.shape[0], w.shape[0], *out), dtype=np.result_type(x, w))
    axes = list(range(1, d + 2))
    for pos in np.ndindex(*out):
        window = xp[(Ellipsis,) + tuple(slice(p * s, p * s + e, dl) for p, s, e, dl
                                        in zip(pos, stride, extents, dilation))]
        for g in range(groups):
            y[(slice(None), slice(g * og, (g + 1) * og)) + pos] = np.tensordot(
                window[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og], axes=(axes, axes))
    if b is not None:
        y = y + b.reshape((-1,) + (1,) * d)
    return y[0] if unbatched else y


def _np_pool(x, d, kernel_size, stride, padding, dilation, ceil_mode, fill, reduce):
    """reduce(window, inside, real) at each output position: `inside` marks the window's
    entries in x, `real` those in x or its padding (not past it, where ceil_mode's last
    window may reach)."""
    x, unbatched = _batched(x, d)
    kernel = _dims(kernel_size, d)
    stride = kernel if stride is None else _dims(stride, d)
    dilation, padding = _dims(dilation, d), _dims(padding, d)
    extents = [dl * (k - 1) + 1 for k, dl in zip(kernel, dilation)]
    out = []
    for n, e, s, p in zip(x.shape[2:], extents, stride, padding):
        count = (n + 2 * p - e) // s + 1
        if ceil_mode and (n + 2 * p - e) % s and count * s < n + p:   # one more, starting in x
            count += 1
        out.append(count)
    past = [max((o - 1) * s + e - (n + 2 * p), 0)
            for o, s, e, n, p in zip(out, stride, extents, x.shape[2:], padding)]
    sides = [(p, p + extra) for p, extra in zip(padding, past)]
    xp = np.pad(x, [(0, 0), (0, 0)] + sides, constant_values=fill)
    inside = np.pad(np.ones(x.shape[2:]), sides)
    real = np.pad(np.ones(tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))),
                  [(0, extra) for extra in past])
    y = np.zeros(x.shape[:2] + tuple(out), dtype=x.dtype)
    for pos in np.ndindex(*out):
        index = tuple(slice(p * s, p * s + e, dl) for p, s, e, dl
                      in zip(pos, stride, extents, dilation))
        y[(Ellipsis,) + pos] = reduce(xp[(Ellipsis,) + index], inside[index], real[index])
    return y[0] if unbatched else y


def np_max_pool(x, d, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    return _np_pool(x, d, kernel_size, stride, padding, dilation, ceil_mode, -np.inf,
                    lambda w, inside, real: w.reshape(w.shape[:2] + (-1,)).max(-1))


def np_avg_pool(x, d, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True):
    def mean(w, inside, real):
        total = w.reshape(w.shape[:2] + (-1,)).sum(-1)
        return total / (real.sum() if count_include_pad else inside.sum())
    return _np_pool(x, d, kernel_size, stride, padding, 1, ceil_mode, 0.0, mean)


def np_adaptive_avg_pool(x, d, output_size):
    x, unbatched = _batched(x, d)
    out = _dims(output_size, d)
    y = np.zeros(x.shape[:2] + out, dtype=x.dtype)
    for pos in np.ndindex(*out):
        index = tuple(slice(o * n // m, math.ceil((o + 1) * n / m))
                      for o, n, m in zip(pos, x.shape[2:], out))
        y[(Ellipsis,) + pos] = x[(Ellipsis,) + index].reshape(x.shape[:2] + (-1,)).mean(-1)
    return y[0] if unbatched else y


# ----- the rows ---------------------------------------------------------------------------------
def _named(module, family):
    """module's `family + '{d}d'`, for the d a row drew."""
    return lambda d: getattr(module, f"{family}{d}d")


def _torch_f(t, family, d):
    return getattr(t.nn.functional, f"{family}{d}d")


def torch_conv(t, x, w, b=None, **params):
    """torch's conv1d/2d/3d (without its warning that 'same' padding with an even kernel copies
    the input). Some of torch's float32 kernels (depthwise ones, some 3-D ones) skip the
    padding, so a NaN weight that meets only padding gives 0 there, where its others, float64
    and ours multiply the padded zeros and give NaN: with NaN in float32, torch runs in
    float64."""
    given = [a for a in (x, w, b) if a is not None]
    if x.dtype == t.float32 and any(a.isnan().any() for a in given):
        wide = [None if a is None else a.double() for a in (x, w, b)]
        return torch_conv(t, *wide, **params).float()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using padding='same'")
        return _torch_f(t, "conv", w.ndim - 2)(x, w, b, **params)


CASES: List[Case] = [
    Case("conv", draw_conv,
         lambda x, w, b=None, **p: _named(ag, "conv")(len(w.shape) - 2)(x, w, b, **p),
         np_conv, torch_conv),
    Case("max_pool", lambda data: _draw_pool(data, avg=False),
         lambda x, d, **p: _named(ag, "max_pool")(d)(x, **p), np_max_pool,
         lambda t, x, d, **p: _torch_f(t, "max_pool", d)(x, **p)),
    Case("avg_pool", lambda data: _draw_pool(data, avg=True),
         lambda x, d, **p: _named(ag, "avg_pool")(d)(x, **p), np_avg_pool,
         lambda t, x, d, **p: _torch_f(t, "avg_pool", d)(x, **p)),
    Case("adaptive_avg_pool", draw_adaptive,
         lambda x, d, output_size: _named(ag, "adaptive_avg_pool")(d)(x, output_size),
         np_adaptive_avg_pool,
         lambda t, x, d, output_size: _torch_f(t, "adaptive_avg_pool", d)(x, output_size)),
]
