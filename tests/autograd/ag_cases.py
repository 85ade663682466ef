"""One table of every primitive and composite op, shared by the gradient, higher-order and
PyTorch tests (in the spirit of MyGrad's `tests/wrappers/uber.py`).

A case draws its differentiable inputs (float arrays, from the project's own strategies in
`autograd.testing`) and its constant parameters (axes, indices, conditions), then offers the
op three ways: on `Value`s (`fn`), on raw numpy (`ref`, the forward's oracle) and on torch
tensors (`torch`, optional). Draws keep away from kinks and ties (`avoid=`, `spread`), where
finite differences mislead.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd.testing import arrays as _project_arrays
from autograd.testing import broadcastable_shapes as _project_broadcastable_shapes
from autograd.testing import elements
from autograd.testing import shapes as _project_shapes

Draw = Callable[[Any], Tuple[List[np.ndarray], dict]]


@dataclass
class Case:
    """One op under test: how to draw its inputs and how to run it three ways."""

    name: str
    draw: Draw
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    torch: Optional[Callable[..., Any]] = None
    eps: float = 1e-6
    rtol: float = 1e-4
    atol: float = 1e-6
    float32: bool = True            # the op keeps float32 inputs float32

    def __repr__(self) -> str:
        return self.name


# ----- draw helpers -------------------------------------------------------------------------
# Drawing is the expensive part of these tests, and building (and validating) strategies is a
# good part of drawing: the helpers below build each distinct strategy once, not per example.
@functools.lru_cache(maxsize=None)
def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """`autograd.testing.shapes`, built once per distinct argument set."""
    return _project_shapes(min_dims, max_dims, min_side, max_side)


@functools.lru_cache(maxsize=None)
def broadcastable_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3,
                         min_side: int = 1, max_side: int = 4):
    """`autograd.testing.broadcastable_shapes`, built once per distinct argument set."""
    return _project_broadcastable_shapes(num_shapes, min_dims, max_dims, min_side, max_side)


@functools.lru_cache(maxsize=4096)
def _arrays(shape, low, high, avoid, margin):
    return _project_arrays(shape, low=low, high=high, avoid=avoid, margin=margin)


def arrays(shape, low: float = -3.0, high: float = 3.0, avoid: Tuple[float, ...] = (),
           margin: float = 1e-2):
    """`autograd.testing.arrays`, built once per distinct argument set (`shape` a tuple or a
    strategy, such as the one `shapes` above returns for the same arguments)."""
    if isinstance(shape, (tuple, st.SearchStrategy)):
        return _arrays(shape, low, high, tuple(avoid), margin)
    return _project_arrays(shape, low=low, high=high, avoid=avoid, margin=margin)


def spread(*xs: np.ndarray) -> List[np.ndarray]:
    """Make every entry of all `xs` distinct, at least ~0.2 apart (no ties for max/min/
    maximum), keeping their order and some of their randomness."""
    flat = np.concatenate([np.ravel(x) for x in xs]) if xs else np.zeros(0)
    ranks = np.argsort(np.argsort(flat, kind="stable"), kind="stable")
    new = (ranks - len(flat) / 2.0) * 0.25 + np.clip(flat, -3, 3) * 0.01
    out, start = [], 0
    for x in xs:
        out.append(new[start:start + np.size(x)].reshape(np.shape(x)).astype(x.dtype))
        start += np.size(x)
    return out


def unary(low: float = -3.0, high: float = 3.0, avoid: Tuple[float, ...] = ()) -> Draw:
    def draw(data):
        return [data.draw(arrays(shapes(), low=low, high=high, avoid=avoid), label="x")], {}
    return draw


def binary(low=(-3.0, -3.0), high=(3.0, 3.0), avoid=((), ()), margin=(1e-2, 1e-2),
           no_ties: bool = False) -> Draw:
    def draw(data):
        sx, sy = data.draw(broadcastable_shapes(2), label="shapes")
        x = data.draw(arrays(sx, low=low[0], high=high[0], avoid=avoid[0], margin=margin[0]),
                      label="x")
        y = data.draw(arrays(sy, low=low[1], high=high[1], avoid=avoid[1], margin=margin[1]),
                      label="y")
        return (spread(x, y) if no_ties else [x, y]), {}
    return draw


def axes_of(data, ndim: int) -> Any:
    """None, an int or a tuple of axes (negative ones included) valid for `ndim`."""
    kind = data.draw(st.sampled_from(["none", "int", "tuple"]), label="axis kind")
    if kind == "none" or (kind == "int" and ndim == 0):
        return None
    if kind == "int":
        return data.draw(st.integers(-ndim, ndim - 1), label="axis")
    return data.draw(hnp.valid_tuple_axes(ndim), label="axis")


def reduction(low: float = -3.0, high: float = 3.0, no_ties: bool = False) -> Draw:
    def draw(data):
        x = data.draw(arrays(shapes(), low=low, high=high), label="x")
        if no_ties:
            x = spread(x)[0]
        return [x], {"axis": axes_of(data, x.ndim),
                     "keepdims": data.draw(st.booleans(), label="keepdims")}
    return draw


def dims_of(axis: Any, ndim: int) -> Tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


def torch_reduce(name: str) -> Callable[..., Any]:
    def run(t, x, axis, keepdims):
        dims = dims_of(axis, x.ndim)
        if not dims:                       # torch reads dim=() as "all dims"; numpy as none:
            return getattr(t, name)(x.unsqueeze(-1), dim=-1)    # reduce a new size-1 axis
        return getattr(t, name)(x, dim=dims, keepdim=keepdims)
    return run


def torch_extreme(name: str) -> Callable[..., Any]:
    """torch's `max()`/`min()` of each reduced slice: tied extremes share the gradient, and
    so do the NaNs of a slice whose result is NaN. (`amax`/`amin` agree on numbers but give
    every entry of a NaN slice a NaN gradient, the finite ones too.)"""
    def run(t, x, axis, keepdims):
        dims = dims_of(axis, x.ndim)
        if not dims:
            return getattr(x.unsqueeze(-1), name)(dim=-1).values
        kept = [d for d in range(x.ndim) if d not in dims]
        rows = x.permute(kept + list(dims)).reshape(-1, int(np.prod([x.shape[d] for d in dims])))
        out = t.stack([getattr(row, name)() for row in rows])
        if keepdims:
            return out.reshape([1 if d in dims else n for d, n in enumerate(x.shape)])
        return out.reshape([x.shape[d] for d in kept])
    return run


def draw_reshape(data):
    shape = data.draw(shapes(), label="shape")
    size = int(np.prod(shape))
    targets = [(size,), (-1,), tuple(reversed(shape)), (1,) + shape, shape + (1,), (size, 1),
               (1, -1)]
    x = data.draw(arrays(shape), label="x")
    return [x], {"shape": data.draw(st.sampled_from(targets), label="target")}


def draw_transpose(data):
    x = data.draw(arrays(shapes()), label="x")
    perm = data.draw(st.permutations(range(x.ndim)), label="perm")
    negative = data.draw(st.lists(st.booleans(), min_size=x.ndim, max_size=x.ndim))
    return [x], {"axes": tuple(a - x.ndim if n else a for a, n in zip(perm, negative))}


def draw_basic_index(data):
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    return [x], {"index": data.draw(hnp.basic_indices(x.shape, allow_newaxis=True),
                                    label="index")}


def draw_int_array_index(data):
    """Integer arrays (negative and repeated entries) on one or two axes, maybe with slices."""
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    axis = data.draw(st.integers(0, x.ndim - 1), label="axis")
    n = x.shape[axis]
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6),
                             label="idx"))
    index = (slice(None),) * axis + (idx,)
    if axis + 1 < x.ndim and data.draw(st.booleans(), label="second array"):
        m = x.shape[axis + 1]
        idx2 = np.array(data.draw(st.lists(st.integers(-m, m - 1), min_size=len(idx),
                                           max_size=len(idx)), label="idx2"))
        index = index + (idx2,)
    return [x], {"index": index}


def draw_mask_index(data):
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    lead = data.draw(st.integers(1, x.ndim), label="mask dims")
    mask = data.draw(hnp.arrays(bool, x.shape[:lead]), label="mask")
    return [x], {"index": mask}


def torch_getitem(t, x, index, shape):
    """torch lacks negative-step slices: index the flat positions numpy picks instead."""
    flat = np.arange(int(np.prod(shape))).reshape(shape)[index]
    return x.reshape(-1)[t.as_tensor(np.array(flat))]   # a copy: no negative strides


def draw_concatenate(data):
    base = list(data.draw(shapes(min_dims=1), label="shape"))
    axis = data.draw(st.integers(-len(base), len(base) - 1), label="axis")
    k = data.draw(st.integers(1, 3), label="count")
    xs = []
    for i in range(k):
        s = list(base)
        s[axis] = data.draw(st.integers(1, 3), label=f"side {i}")
        xs.append(data.draw(arrays(tuple(s)), label=f"x{i}"))
    return xs, {"axis": axis}


def draw_stack(data):
    shape = data.draw(shapes(max_dims=2), label="shape")
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="axis")
    k = data.draw(st.integers(1, 3), label="count")
    return [data.draw(arrays(shape), label=f"x{i}") for i in range(k)], {"axis": axis}


def draw_broadcast_to(data):
    shape = data.draw(shapes(), label="shape")
    other = data.draw(hnp.broadcastable_shapes(shape, max_dims=3, max_side=4), label="other")
    x = data.draw(arrays(shape), label="x")
    return [x], {"shape": np.broadcast_shapes(shape, other)}


def draw_sum_to(data):
    shape = data.draw(shapes(), label="shape")
    other = data.draw(hnp.broadcastable_shapes(shape, max_dims=3, max_side=4), label="other")
    x = data.draw(arrays(np.broadcast_shapes(shape, other)), label="x")
    return [x], {"shape": shape}


def draw_expand_dims(data):
    x = data.draw(arrays(shapes(max_dims=2)), label="x")
    return [x], {"axis": data.draw(st.integers(-x.ndim - 1, x.ndim), label="axis")}


def draw_matmul(data):
    """Every numpy case: 1-D.1-D, 2-D@2-D, 2-D@1-D, 1-D@2-D, N-D with broadcast batches."""
    kind = data.draw(st.sampled_from(["vv", "mm", "mv", "vm", "batched", "batched-v",
                                      "v-batched"]), label="kind")
    side = st.integers(1, 3)
    m, n, p = (data.draw(side, label=s) for s in "mnp")
    if kind in ("batched", "batched-v", "v-batched"):
        ba, bb = data.draw(broadcastable_shapes(2, min_dims=0, max_dims=2, max_side=3),
                           label="batch shapes")
        if kind == "batched" and not (ba or bb):
            ba = (2,)
    shapes_by_kind = {
        "vv": ((n,), (n,)), "mm": ((m, n), (n, p)), "mv": ((m, n), (n,)),
        "vm": ((n,), (n, p)),
    }
    if kind == "batched":
        sx, sy = ba + (m, n), bb + (n, p)
    elif kind == "batched-v":
        sx, sy = (ba or (2,)) + (m, n), (n,)
    elif kind == "v-batched":
        sx, sy = (n,), (bb or (2,)) + (n, p)
    else:
        sx, sy = shapes_by_kind[kind]
    return [data.draw(arrays(sx), label="x"), data.draw(arrays(sy), label="y")], {}


def draw_where(data):
    sc, sa, sb = data.draw(broadcastable_shapes(3), label="shapes")
    cond = data.draw(hnp.arrays(bool, sc), label="cond")
    return [data.draw(arrays(sa), label="a"), data.draw(arrays(sb), label="b")], {"cond": cond}


def draw_clip(data):
    lo = data.draw(st.one_of(st.none(), elements(-2.0, 0.0)), label="lo")
    hi = data.draw(st.one_of(st.none(), elements(0.5, 2.0)) if lo is not None
                   else elements(0.5, 2.0), label="hi")
    bounds = tuple(b for b in (lo, hi) if b is not None)
    x = data.draw(arrays(shapes(), avoid=bounds), label="x")
    return [x], {"lo": lo, "hi": hi}


def draw_clip_bounds(lo: bool, hi: bool) -> Draw:
    """x and Value bounds of broadcastable shapes, every entry at least ~0.2 from every
    other (no ties between x and a bound), with lo < hi."""
    def draw(data):
        found = data.draw(broadcastable_shapes(1 + lo + hi), label="shapes")
        xs = [data.draw(arrays(found[0]), label="x")]
        if lo:
            xs.append(data.draw(arrays(found[len(xs)], low=-2.5, high=-0.2), label="lo"))
        if hi:
            xs.append(data.draw(arrays(found[len(xs)], low=0.2, high=2.5), label="hi"))
        return spread(*xs), {}
    return draw


def draw_clip_value_lo_number_hi(data):
    """A Value lower bound with a number (or no) upper bound, at least 0.05 from every entry
    of x and lo."""
    (x, lo), _ = draw_clip_bounds(True, False)(data)
    hi = data.draw(st.one_of(st.none(), st.sampled_from([0.1, 1.0, 4.0])), label="hi")
    while hi is not None and np.any(np.abs(np.concatenate([x.ravel(), lo.ravel()]) - hi) < 0.05):
        hi += 0.1
    return [x, lo], {"hi": hi}


def torch_clamp(t, x, lo=None, hi=None):
    """torch.clamp with the bounds broadcast against x (torch's output keeps x's shape) and
    numbers made tensors (torch takes two tensor bounds or two numbers, not one of each)."""
    bounds = [b if b is None or isinstance(b, t.Tensor) else t.tensor(b, dtype=x.dtype)
              for b in (lo, hi)]
    x, *given = t.broadcast_tensors(x, *[b for b in bounds if b is not None])
    given = iter(given)
    return t.clamp(x, *[None if b is None else next(given) for b in bounds])


def draw_pow_const(data):
    """x ** c with a constant exponent: integer powers of any base, real powers of positives."""
    if data.draw(st.booleans(), label="integer power"):
        c = data.draw(st.sampled_from([2, 3, -1, 0.0, 1]), label="c")
        x = data.draw(arrays(shapes(), avoid=(0.0,), margin=0.3 if c == -1 else 1e-2),
                      label="x")
    else:
        # Not within 1e-6 of 0: float32 would round the exponent to 0, and x ** 0 is 1 even
        # at x = NaN, where torch, which keeps it in double, gives NaN.
        c = data.draw(elements(-2.0, 2.5, avoid=(0.0,), margin=1e-6), label="c")
        x = data.draw(arrays(shapes(), low=0.3, high=3.0), label="x")
    return [x], {"c": c}


def draw_rpow(data):
    return [data.draw(arrays(shapes(), low=-2.0, high=2.0), label="x")], {
        "base": data.draw(elements(0.3, 3.0), label="base")}


def draw_array_left(data):
    """A numpy array on the left of a Value: np_array <op> value."""
    sx, sc = data.draw(broadcastable_shapes(2), label="shapes")
    x = data.draw(arrays(sx, avoid=(0.0,), margin=0.5), label="x")
    c = data.draw(arrays(sc), label="c")
    ops = "+-*/@" if sx == sc and len(sx) == 1 else "+-*/"     # @ needs two vectors
    return [x], {"c": c, "op": data.draw(st.sampled_from(ops), label="op")}


def _apply_left(c, x, op):
    return {"+": lambda: c + x, "-": lambda: c - x, "*": lambda: c * x, "/": lambda: c / x,
            "@": lambda: c @ x}[op]()


def draw_softmax(data):
    x = data.draw(arrays(shapes(min_dims=1)), label="x")
    return [x], {"axis": data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")}


def draw_affine(data):
    """A bias and 0-3 weight/input pairs of mutually broadcastable shapes."""
    n = data.draw(st.integers(0, 3), label="pairs")
    found = data.draw(broadcastable_shapes(2 * n + 1), label="shapes")
    return [data.draw(arrays(s), label=f"x{i}") for i, s in enumerate(found)], {}


def _affine_by_hand(bias, *pairs):
    n = len(pairs) // 2
    return sum((w * x for w, x in zip(pairs[:n], pairs[n:])), bias)


def draw_float_mix(data):
    x = data.draw(arrays(shapes(), avoid=(0.0,), margin=0.3), label="x")
    return [x], {"k": data.draw(elements(-2.0, 2.0, avoid=(0.0,), margin=0.3), label="k")}


def np_logsumexp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis if axis is not None else None)


def np_sum_to(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and x.shape[lead + i] != 1)
    return np.sum(x, axis=axes).reshape(shape)


def np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----- the table ----------------------------------------------------------------------------
def U(name, fn, ref, torch, low=-3.0, high=3.0, avoid=(), **kw) -> Case:
    return Case(name, unary(low, high, avoid), lambda x: fn(x), ref, torch, **kw)


CASES: List[Case] = [
    # unary elementwise
    U("neg", lambda x: -x, np.negative, lambda t, x: -x),
    U("exp", lambda x: x.exp(), np.exp, lambda t, x: t.exp(x)),
    U("log", lambda x: x.log(), np.log, lambda t, x: t.log(x), low=0.2),
    U("log1p", lambda x: ag.log1p(x), np.log1p, lambda t, x: t.log1p(x), low=-0.8),
    U("sqrt", lambda x: x.sqrt(), np.sqrt, lambda t, x: t.sqrt(x), low=0.2),
    U("abs", lambda x: x.abs(), np.abs, lambda t, x: t.abs(x), avoid=(0.0,)),
    U("abs-builtin", lambda x: abs(x), np.abs, lambda t, x: t.abs(x), avoid=(0.0,)),
    U("tanh", lambda x: x.tanh(), np.tanh, lambda t, x: t.tanh(x)),
    U("sigmoid", lambda x: x.sigmoid(), np_sigmoid, lambda t, x: t.sigmoid(x)),
    U("relu", lambda x: x.relu(), lambda x: np.maximum(x, 0.0), lambda t, x: t.relu(x),
      avoid=(0.0,)),
    U("sin", lambda x: x.sin(), np.sin, lambda t, x: t.sin(x)),
    U("cos", lambda x: x.cos(), np.cos, lambda t, x: t.cos(x)),
    Case("clip", draw_clip, lambda x, lo, hi: x.clip(lo, hi),
         lambda x, lo, hi: np.clip(x, lo, hi),
         lambda t, x, lo, hi: t.clamp(x, lo, hi)),
    Case("clip-value-bounds", draw_clip_bounds(True, True), lambda x, lo, hi: x.clip(lo, hi),
         np.clip, torch_clamp),
    Case("clip-value-lo", draw_clip_bounds(True, False), lambda x, lo: ag.clip(x, lo=lo),
         lambda x, lo: np.clip(x, lo, None), lambda t, x, lo: torch_clamp(t, x, lo=lo)),
    Case("clip-value-hi", draw_clip_bounds(False, True), lambda x, hi: ag.clip(x, hi=hi),
         lambda x, hi: np.clip(x, None, hi), lambda t, x, hi: torch_clamp(t, x, hi=hi)),
    Case("clip-value-lo-number-hi", draw_clip_value_lo_number_hi,
         lambda x, lo, hi: x.clip(lo, hi), lambda x, lo, hi: np.clip(x, lo, hi), torch_clamp),
    Case("pow-const", draw_pow_const, lambda x, c: x ** c, lambda x, c: np.power(x, c),
         lambda t, x, c: x ** c),
    Case("rpow-const-base", draw_rpow, lambda x, base: base ** x,
         lambda x, base: np.power(base, x), lambda t, x, base: base ** x),
    Case("astype-64", unary(), lambda x: x.astype(np.float64),
         lambda x: x.astype(np.float64), lambda t, x: x.to(t.float64), float32=False),
    Case("astype-32-roundtrip", unary(), lambda x: x.astype(np.float32).astype(np.float64),
         lambda x: x.astype(np.float32).astype(np.float64),
         lambda t, x: x.to(t.float32).to(t.float64), eps=1e-3, rtol=1e-2, atol=1e-3,
         float32=False),
    # binary (broadcasting)
    Case("add", binary(), lambda x, y: x + y, np.add, lambda t, x, y: x + y),
    Case("sub", binary(), lambda x, y: x - y, np.subtract, lambda t, x, y: x - y),
    Case("mul", binary(), lambda x, y: x * y, np.multiply, lambda t, x, y: x * y),
    Case("div", binary(avoid=((), (0.0,)), margin=(1e-2, 0.5)), lambda x, y: x / y,
         np.divide, lambda t, x, y: x / y),
    Case("pow-value-exponent", binary(low=(0.3, -2.0), high=(3.0, 2.0)), lambda x, y: x ** y,
         np.power, lambda t, x, y: x ** y),
    Case("maximum", binary(no_ties=True), lambda x, y: ag.maximum(x, y), np.maximum,
         lambda t, x, y: t.maximum(x, y)),
    Case("minimum", binary(no_ties=True), lambda x, y: ag.minimum(x, y), np.minimum,
         lambda t, x, y: t.minimum(x, y)),
    Case("where", draw_where, lambda a, b, cond: ag.where(cond, a, b),
         lambda a, b, cond: np.where(cond, a, b),
         lambda t, a, b, cond: t.where(t.as_tensor(cond), a, b)),
    Case("matmul", draw_matmul, lambda x, y: x @ y, np.matmul, lambda t, x, y: x @ y),
    Case("affine", draw_affine,
         lambda bias, *pairs: ag.affine(pairs[:len(pairs) // 2], pairs[len(pairs) // 2:], bias),
         _affine_by_hand, lambda t, *args: _affine_by_hand(*args)),
    Case("matmul-fn", draw_matmul, lambda x, y: ag.matmul(x, y), np.matmul,
         lambda t, x, y: t.matmul(x, y)),
    # reductions
    Case("sum", reduction(), lambda x, axis, keepdims: x.sum(axis, keepdims),
         lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims), torch_reduce("sum")),
    Case("mean", reduction(), lambda x, axis, keepdims: x.mean(axis=axis, keepdims=keepdims),
         lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
         torch_reduce("mean")),
    Case("max", reduction(no_ties=True), lambda x, axis, keepdims: x.max(axis, keepdims),
         lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
         torch_extreme("max")),
    Case("min", reduction(no_ties=True), lambda x, axis, keepdims: ag.min(x, axis, keepdims),
         lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
         torch_extreme("min")),
    Case("logsumexp", reduction(),
         lambda x, axis, keepdims: x.logsumexp(axis=axis, keepdims=keepdims), np_logsumexp,
         torch_reduce("logsumexp")),
    # shape
    Case("reshape", draw_reshape, lambda x, shape: x.reshape(shape),
         lambda x, shape: np.reshape(x, shape), lambda t, x, shape: x.reshape(shape)),
    Case("reshape-varargs", draw_reshape, lambda x, shape: x.reshape(*shape),
         lambda x, shape: np.reshape(x, shape), lambda t, x, shape: x.reshape(shape)),
    Case("transpose", draw_transpose, lambda x, axes: x.transpose(*axes),
         lambda x, axes: np.transpose(x, axes), lambda t, x, axes: x.permute(tuple(axes))),
    Case("transpose-none", unary(), lambda x: x.transpose(), np.transpose,
         lambda t, x: x.permute(tuple(reversed(range(x.ndim))))),
    Case("T", unary(), lambda x: x.T, lambda x: np.transpose(x),
         lambda t, x: x.permute(tuple(reversed(range(x.ndim))))),
    Case("getitem-basic", draw_basic_index, lambda x, index: x[index],
         lambda x, index: x[index],
         lambda t, x, index: torch_getitem(t, x, index, tuple(x.shape))),
    Case("getitem-int-arrays", draw_int_array_index, lambda x, index: x[index],
         lambda x, index: x[index],
         lambda t, x, index: torch_getitem(t, x, index, tuple(x.shape))),
    Case("getitem-mask", draw_mask_index, lambda x, index: x[index],
         lambda x, index: x[index],
         lambda t, x, index: torch_getitem(t, x, index, tuple(x.shape))),
    Case("concatenate", draw_concatenate, lambda *xs, axis: ag.concatenate(xs, axis=axis),
         lambda *xs, axis: np.concatenate(xs, axis=axis),
         lambda t, *xs, axis: t.cat(xs, dim=axis)),
    Case("stack", draw_stack, lambda *xs, axis: ag.stack(xs, axis=axis),
         lambda *xs, axis: np.stack(xs, axis=axis), lambda t, *xs, axis: t.stack(xs, dim=axis)),
    Case("broadcast_to", draw_broadcast_to, lambda x, shape: ag.broadcast_to(x, shape),
         lambda x, shape: np.broadcast_to(x, shape),
         lambda t, x, shape: t.broadcast_to(x, shape)),
    Case("sum_to", draw_sum_to, lambda x, shape: ag.sum_to(x, shape), np_sum_to, None),
    Case("expand_dims", draw_expand_dims, lambda x, axis: ag.expand_dims(x, axis),
         lambda x, axis: np.expand_dims(x, axis), lambda t, x, axis: t.unsqueeze(x, axis)),
    # composites and mixed operands
    Case("softmax", draw_softmax,
         lambda x, axis: (x - x.logsumexp(axis=axis, keepdims=True)).exp(), np_softmax,
         lambda t, x, axis: t.softmax(x, dim=axis)),
    Case("float-mix", draw_float_mix,
         lambda x, k: (k - x) * (x / k) + k / x - x * k + (k + x) ** 2,
         lambda x, k: (k - x) * (x / k) + k / x - x * k + (k + x) ** 2,
         lambda t, x, k: (k - x) * (x / k) + k / x - x * k + (k + x) ** 2),
    Case("array-left", draw_array_left, lambda x, c, op: _apply_left(c, x, op),
         lambda x, c, op: _apply_left(c, x, op),
         lambda t, x, c, op: _apply_left(t.as_tensor(c), x, op), float32=False),
    Case("diamond", unary(), lambda x: x * x + x.exp() * x - (x * 0.5).tanh() * x,
         lambda x: x * x + np.exp(x) * x - np.tanh(x * 0.5) * x,
         lambda t, x: x * x + x.exp() * x - (x * 0.5).tanh() * x),
    Case("reused-intermediate", unary(),
         lambda x: (lambda h: h * h + h - h.sigmoid())(x.sin()),
         lambda x: (lambda h: h * h + h - np_sigmoid(h))(np.sin(x)),
         lambda t, x: (lambda h: h * h + h - h.sigmoid())(x.sin())),
    Case("mlp-layer", lambda data: (
        lambda n, m, b: ([data.draw(arrays((b, n)), label="x"),
                          data.draw(arrays((n, m)), label="w"),
                          data.draw(arrays((m,)), label="bias")], {}))(
            data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)),
            data.draw(st.integers(1, 4))),
         lambda x, w, b: (x @ w + b).tanh().mean(axis=0),
         lambda x, w, b: np.tanh(x @ w + b).mean(axis=0),
         lambda t, x, w, b: (x @ w + b).tanh().mean(dim=0)),
]
# each family's rows live in their own file (they import Case and the draw helpers from here)
from cases_elementwise import CASES as _ELEMENTWISE  # noqa: E402
from cases_reductions import CASES as _REDUCTIONS  # noqa: E402
from cases_shape import CASES as _SHAPE  # noqa: E402
from cases_linalg import CASES as _LINALG  # noqa: E402
CASES += _ELEMENTWISE + _REDUCTIONS + _SHAPE + _LINALG
from cases_conv import CASES as _CONV; CASES += _CONV  # noqa: E402,E702
from cases_recurrent import CASES as _RECURRENT; CASES += _RECURRENT  # noqa: E402,E702
CASE_IDS = [c.name for c in CASES]
