"""numpy's own functions on Values (autograd/numpy_dispatch.py): every row of the table gives
numpy's numbers and our op's gradients; numpy code differentiates unmodified; what cannot be
differentiated is refused by name."""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
import pytest
from hypothesis import given, strategies as st

import autograd as ag
from autograd import Value, grad
from autograd.numpy_dispatch import NUMPY, ON_DATA
from autograd.testing import broadcastable_shapes
from ag_cases import (arrays, axes_of, binary, draw_broadcast_to, draw_clip, draw_concatenate,
                      draw_matmul, draw_reshape, draw_stack, draw_transpose, draw_where,
                      reduction, shapes, spread, unary)
from cases_elementwise import draw_round
from cases_linalg import (draw_einsum, draw_invertible, draw_solve, draw_spd, draw_svd_input,
                          draw_symmetric, draw_tensordot)
from cases_reductions import (draw_cumulative, draw_norm, draw_prod, draw_sort,
                              draw_spread_reduction)
from cases_shape import (draw_flip, draw_moveaxis, draw_pad_constant, draw_pad_numpy,
                         draw_repeat, draw_roll, draw_split, draw_squeeze, draw_swapaxes,
                         draw_take, draw_take_along_axis, draw_tile)

README = Path(__file__).resolve().parents[2] / "README.md"


def numpy_name(key: Any) -> str:
    """How a reader writes a table key: np.exp, np.add.reduce, np.linalg.inv."""
    owner = getattr(key, "__self__", None)
    if isinstance(owner, np.ufunc):
        return f"np.{owner.__name__}.{key.__name__}"
    if isinstance(key, np.ufunc):
        return f"np.{key.__name__}"
    return f"{key.__module__.replace('numpy', 'np', 1)}.{key.__name__}"


@dataclass
class Row:
    """One path through the protocols: `numpy_fn` is written with numpy's functions (run on
    arrays it is the oracle, on Values it goes through the protocol), `ours` calls our ops
    directly, `torch` (optional) is PyTorch's counterpart."""

    key: Any                # the NUMPY key this checks; None for a path without its own row
    draw: Callable[[Any], Any]
    numpy_fn: Callable[..., Any]
    ours: Callable[..., Any]
    torch: Optional[Callable[..., Any]] = None
    label: str = ""

    def __repr__(self) -> str:
        return self.label or numpy_name(self.key)


# ----- operands: Values, plain arrays or numbers, on either side ---------------------------
FORMS = ["vv", "av", "va", "nv", "vn"]      # v: the Value, a: its data as an array, n: a number


def operand(x: Any, form: str) -> Any:
    if form == "a":
        return np.asarray(x)                # a constant array (a Value's data: no gradient)
    if form == "n":
        return float(np.asarray(x).reshape(-1)[0])
    return x


def with_param(draw: Callable[[Any], Any], key: str, values: list) -> Callable[[Any], Any]:
    """`draw`, and the parameter `key` drawn from `values`."""
    def drawn(data):
        xs, params = draw(data)
        return xs, dict(params, **{key: data.draw(st.sampled_from(values), label=key)})
    return drawn


def with_form(draw: Callable[[Any], Any], forms=FORMS) -> Callable[[Any], Any]:
    return with_param(draw, "form", forms)


def without(draw: Callable[[Any], Any], key: str) -> Callable[[Any], Any]:
    """`draw` without its parameter `key` (one numpy's function does not have)."""
    def drawn(data):
        xs, params = draw(data)
        return xs, {k: v for k, v in params.items() if k != key}
    return drawn


def binary_row(ufunc, op, draw=binary(), forms=FORMS) -> Row:
    def numpy_fn(x, y, form):
        return ufunc(operand(x, form[0]), operand(y, form[1]))

    def ours(x, y, form):
        return op(operand(x, form[0]), operand(y, form[1]))
    return Row(ufunc, with_form(draw, forms), numpy_fn, ours)


def unary_row(ufunc, ours, torch=None, **draw) -> Row:
    return Row(ufunc, unary(**draw), lambda x: ufunc(x), ours, torch)


# ----- draws for the rows ag_cases has no draw for -----------------------------------------
NUMPY_DEFAULT = "numpy's default"


def draw_reduce_method(no_ties: bool = False):
    """x, and axis (None, int, tuple, or left at numpy's default 0) and keepdims."""
    def draw(data):
        x = data.draw(arrays(shapes()), label="x")
        x = spread(x)[0] if no_ties else x
        axis = axes_of(data, x.ndim)
        if x.ndim and data.draw(st.booleans(), label="default axis"):
            axis = NUMPY_DEFAULT
        return [x], {"axis": axis, "keepdims": data.draw(st.booleans(), label="keepdims")}
    return draw


def reduce_row(method, op) -> Row:
    def numpy_fn(x, axis, keepdims):
        return method(x, keepdims=keepdims) if axis is NUMPY_DEFAULT else method(
            x, axis=axis, keepdims=keepdims)

    def ours(x, axis, keepdims):
        return op(x, 0 if axis is NUMPY_DEFAULT else axis, keepdims)
    return Row(method, draw_reduce_method(no_ties=op is not ag.sum), numpy_fn, ours)


def reduction_row(func, op, torch_name=None) -> Row:
    return Row(func, reduction(no_ties=op is not ag.sum and op is not ag.mean),
               lambda x, axis, keepdims: func(x, axis=axis, keepdims=keepdims),
               lambda x, axis, keepdims: op(x, axis, keepdims))


def draw_dot(data):
    """Operands np.dot shares with * and @: a scalar and anything, vectors and matrices."""
    kind = data.draw(st.sampled_from(["sx", "xs", "vv", "mm", "mv", "vm"]), label="kind")
    m, n, p = (data.draw(st.integers(1, 3), label=s) for s in "mnp")
    sx, sy = {"sx": ((), (m, n)), "xs": ((n,), ()), "vv": ((n,), (n,)),
              "mm": ((m, n), (n, p)), "mv": ((m, n), (n,)), "vm": ((n,), (n, p))}[kind]
    return [data.draw(arrays(sx), label="x"), data.draw(arrays(sy), label="y")], {}


def draw_two(max_dims: int = 2):
    def draw(data):
        return [data.draw(arrays(shapes(max_dims=max_dims)), label=s) for s in "xy"], {}
    return draw


def draw_expand_dims(data):
    """x, and one axis or a tuple of them (negative ones too), valid for numpy."""
    x = data.draw(arrays(shapes(max_dims=2)), label="x")
    k = data.draw(st.integers(1, 2), label="new axes")
    ndim = x.ndim + k
    at = data.draw(st.lists(st.integers(0, ndim - 1), min_size=k, max_size=k, unique=True),
                   label="positions")
    axis = tuple(a - ndim if data.draw(st.booleans(), label="negative") else a for a in at)
    return [x], {"axis": axis[0] if k == 1 and data.draw(st.booleans(), label="int") else axis}


def torch_expand_each(t, x, axis):
    axes = (axis,) if isinstance(axis, int) else axis
    ndim = x.ndim + len(axes)
    for a in sorted(a % ndim for a in axes):
        x = x.unsqueeze(a)
    return x


def draw_clip_spelled(data):
    xs, params = draw_clip(data)
    return xs, dict(params, keywords=data.draw(st.sampled_from(["a_min", "min", None]),
                                               label="spelling"))


def np_clip(x, lo, hi, keywords):
    """np.clip(x, lo, hi), np.clip(x, a_min=lo, a_max=hi) or np.clip(x, min=lo, max=hi) (the
    last without the bounds that are None, which numpy allows there only)."""
    if keywords == "a_min":
        return np.clip(x, a_min=lo, a_max=hi)
    if keywords == "min":
        return np.clip(x, **{k: b for k, b in (("min", lo), ("max", hi)) if b is not None})
    return np.clip(x, lo, hi)


def draw_concatenate_or_flat(data):
    xs, params = draw_concatenate(data)
    return xs, {"axis": None if data.draw(st.booleans(), label="flat") else params["axis"]}


def concatenate_ours(*xs, axis):
    if axis is None:
        return ag.concatenate([x.reshape(-1) for x in xs])
    return ag.concatenate(xs, axis)


def torch_concatenate(t, *xs, axis):
    return t.cat([x.reshape(-1) for x in xs]) if axis is None else t.cat(xs, dim=axis)


def draw_broadcast_arrays(data):
    found = data.draw(broadcastable_shapes(data.draw(st.integers(1, 3), label="count")),
                      label="shapes")
    return [data.draw(arrays(s), label=f"x{i}") for i, s in enumerate(found)], {}


def broadcast_each(*xs):
    shape = np.broadcast_shapes(*(x.shape for x in xs))
    return ag.stack([ag.broadcast_to(x, shape) for x in xs])


def draw_transpose_or_none(data):
    xs, params = draw_transpose(data)
    return xs, {"axes": None if data.draw(st.booleans(), label="reverse") else params["axes"]}


def draw_accumulate(products: bool):
    """x of at least one dimension (numpy cannot accumulate a scalar), and an int axis or
    numpy's default 0 (accumulate refuses axis=None)."""
    def draw(data):
        xs, params = draw_cumulative(products=products)(data)
        x = xs[0] if xs[0].ndim else xs[0].reshape(1)
        axis = params["axis"]
        if axis is None:
            axis = NUMPY_DEFAULT if data.draw(st.booleans(), label="default") else 0
        return [x], {"axis": axis}
    return draw


def accumulate_row(ufunc, op) -> Row:
    def numpy_fn(x, axis):
        return ufunc.accumulate(x) if axis is NUMPY_DEFAULT else ufunc.accumulate(x, axis=axis)

    def ours(x, axis):
        return op(x, 0 if axis is NUMPY_DEFAULT else axis)
    return Row(ufunc.accumulate, draw_accumulate(products=op is ag.cumprod), numpy_fn, ours)


def draw_at_least(ndim: int):
    def draw(data):
        return [data.draw(arrays(shapes(min_dims=ndim)), label="x")], {}
    return draw


def joined(pieces, axis, cat):
    """Split pieces side by side again, piece i scaled by i + 1 (each gradient differs)."""
    return cat([p * float(i + 1) for i, p in enumerate(pieces)], axis=axis)


def draw_matrix(draw_one):
    return lambda data: ([draw_one(data)], {})


def draw_exactly_symmetric(draw_one):
    """Matrices equal to their transpose bit for bit: numpy reads one triangle, ours the
    symmetric part, which agree there only."""
    def draw(data):
        a = draw_one(data)
        return [(a + np.swapaxes(a, -1, -2)) / 2], {}
    return draw


def eigh_parts(result, lib):
    """A function of eigenvalues and eigenvectors that their signs do not change."""
    w, v = result
    return ((v * v) * lib.expand_dims(w, -2)
            + v @ (lib.expand_dims(lib.tanh(w), -1) * lib.swapaxes(v, -1, -2)))


def svd_parts(result, lib):
    """A function of U, S and Vh that the signs of the singular vectors do not change."""
    u, s, vh = result
    weighted = lib.expand_dims(s, -1) * (vh * vh)
    return (u * u) @ weighted + u @ (lib.expand_dims(lib.tanh(s), -1) * vh)


def draw_svd(data):
    """A matrix, and full_matrices (True only for square ones, where it changes nothing)."""
    x = draw_svd_input(data)
    square = x.shape[-1] == x.shape[-2]
    return [x], {"full_matrices": square and data.draw(st.booleans(), label="full")}


def subtract_outer(x, y, form):
    x, y = operand(x, form[0]), operand(y, form[1])
    return ag.sub(ag.reshape(x, np.shape(x) + (1,) * np.ndim(y)), y)


ROWS = [
    unary_row(np.exp, ag.exp),
    unary_row(np.log, ag.log, low=0.2),
    unary_row(np.log1p, ag.log1p, low=-0.8),
    unary_row(np.sqrt, ag.sqrt, low=0.2),
    unary_row(np.tanh, ag.tanh),
    unary_row(np.sin, ag.sin),
    unary_row(np.cos, ag.cos),
    unary_row(np.absolute, ag.abs, avoid=(0.0,)),
    unary_row(np.negative, ag.neg),
    unary_row(np.positive, lambda x: x, lambda t, x: +x),
    unary_row(np.square, lambda x: x * x, lambda t, x: t.square(x)),
    unary_row(np.reciprocal, lambda x: 1.0 / x, lambda t, x: t.reciprocal(x), avoid=(0.0,)),
    binary_row(np.add, ag.add),
    binary_row(np.subtract, ag.sub),
    binary_row(np.multiply, ag.mul),
    binary_row(np.divide, ag.div, binary(avoid=((0.0,), (0.0,)), margin=(0.5, 0.5))),
    binary_row(np.power, ag.power, binary(low=(0.3, -2.0), high=(3.0, 2.0))),
    binary_row(np.maximum, ag.maximum, binary(no_ties=True)),
    binary_row(np.minimum, ag.minimum, binary(no_ties=True)),
    binary_row(np.matmul, ag.matmul, draw_matmul, forms=["vv", "av", "va"]),
    reduce_row(np.add.reduce, ag.sum),
    reduce_row(np.maximum.reduce, ag.max),
    reduce_row(np.minimum.reduce, ag.min),
    Row(None, draw_two(), lambda x, y: np.multiply.outer(x, y),
        lambda x, y: ag.reshape(x, x.shape + (1,) * y.ndim) * y,
        lambda t, x, y: x.reshape(x.shape + (1,) * y.ndim) * y, label="np.multiply.outer"),
    Row(None, with_form(draw_two(), ["av", "va"]), lambda x, y, form: np.subtract.outer(
        operand(x, form[0]), operand(y, form[1])), subtract_outer,
        label="np.subtract.outer (constants)"),
    reduction_row(np.sum, ag.sum),
    reduction_row(np.mean, ag.mean),
    reduction_row(np.max, ag.max),
    reduction_row(np.amax, ag.max),
    reduction_row(np.min, ag.min),
    reduction_row(np.amin, ag.min),
    Row(np.dot, draw_dot, np.dot, lambda x, y: x * y if not x.ndim or not y.ndim else x @ y,
        lambda t, x, y: x * y if not x.ndim or not y.ndim else x @ y),
    Row(np.outer, draw_two(), np.outer,
        lambda x, y: ag.reshape(x, (-1, 1)) * ag.reshape(y, (1, -1)),
        lambda t, x, y: t.outer(x.reshape(-1), y.reshape(-1))),
    Row(np.clip, draw_clip_spelled, np_clip, lambda x, lo, hi, keywords: ag.clip(x, lo, hi)),
    Row(np.where, draw_where, lambda a, b, cond: np.where(cond, a, b),
        lambda a, b, cond: ag.where(cond, a, b)),
    Row(np.reshape, draw_reshape, lambda x, shape: np.reshape(x, shape),
        lambda x, shape: ag.reshape(x, shape)),
    Row(np.ravel, unary(), np.ravel, lambda x: ag.reshape(x, -1),
        lambda t, x: x.reshape(-1)),
    Row(np.transpose, draw_transpose_or_none, lambda x, axes: np.transpose(x, axes),
        lambda x, axes: ag.transpose(x, axes)),
    Row(np.broadcast_to, draw_broadcast_to, lambda x, shape: np.broadcast_to(x, shape),
        lambda x, shape: ag.broadcast_to(x, shape)),
    Row(np.broadcast_arrays, draw_broadcast_arrays,
        lambda *xs: np.stack(np.broadcast_arrays(*xs)), broadcast_each,
        lambda t, *xs: t.stack(t.broadcast_tensors(*xs))),
    Row(np.expand_dims, draw_expand_dims, lambda x, axis: np.expand_dims(x, axis),
        lambda x, axis: ag.expand_dims(x, axis), torch_expand_each),
    Row(np.concatenate, draw_concatenate_or_flat,
        lambda *xs, axis: np.concatenate(xs, axis=axis), concatenate_ours, torch_concatenate),
    Row(np.stack, draw_stack, lambda *xs, axis: np.stack(xs, axis=axis),
        lambda *xs, axis: ag.stack(xs, axis)),
    # elementwise functions beyond the basics (sign, floor, ceil, rint, round: zero gradient)
    unary_row(np.tan, ag.tan, low=-1.3, high=1.3),
    unary_row(np.arcsin, ag.arcsin, low=-0.9, high=0.9),
    unary_row(np.arccos, ag.arccos, low=-0.9, high=0.9),
    unary_row(np.arctan, ag.arctan),
    unary_row(np.sinh, ag.sinh),
    unary_row(np.cosh, ag.cosh),
    unary_row(np.arctanh, ag.arctanh, low=-0.9, high=0.9),
    unary_row(np.log2, ag.log2, low=0.2),
    unary_row(np.log10, ag.log10, low=0.2),
    unary_row(np.exp2, ag.exp2),
    unary_row(np.expm1, ag.expm1),
    unary_row(np.sign, ag.sign),
    unary_row(np.floor, ag.floor),
    unary_row(np.ceil, ag.ceil),
    unary_row(np.rint, ag.round),
    Row(np.round, draw_round, lambda x, decimals: np.round(x, decimals),
        lambda x, decimals: ag.round(x, decimals)),
    Row(np.around, draw_round, lambda x, decimals: np.around(x, decimals=decimals),
        lambda x, decimals: ag.round(x, decimals)),
    # products, running sums and products, spread, norms, sorting
    reduce_row(np.multiply.reduce, ag.prod),
    accumulate_row(np.add, ag.cumsum),
    accumulate_row(np.multiply, ag.cumprod),
    Row(np.prod, draw_prod(zeros=False), lambda x, axis, keepdims: np.prod(
        x, axis=axis, keepdims=keepdims), lambda x, axis, keepdims: ag.prod(x, axis, keepdims)),
    Row(np.prod, draw_prod(zeros=True), lambda x, axis, keepdims: np.prod(
        x, axis, keepdims=keepdims), lambda x, axis, keepdims: ag.prod(x, axis, keepdims),
        label="np.prod (zeros)"),
    Row(np.cumsum, draw_cumulative(), lambda x, axis: np.cumsum(x, axis=axis),
        lambda x, axis: ag.cumsum(x, axis)),
    Row(np.cumprod, draw_cumulative(products=True, zeros=True),
        lambda x, axis: np.cumprod(x, axis), lambda x, axis: ag.cumprod(x, axis)),
    Row(np.var, draw_spread_reduction(spread_out=False),
        lambda x, axis, ddof, keepdims: np.var(x, axis, ddof=ddof, keepdims=keepdims),
        lambda x, axis, ddof, keepdims: ag.var(x, axis, ddof=ddof, keepdims=keepdims)),
    Row(np.std, draw_spread_reduction(spread_out=True),
        lambda x, axis, ddof, keepdims: np.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
        lambda x, axis, ddof, keepdims: ag.std(x, axis, ddof=ddof, keepdims=keepdims)),
    Row(np.linalg.norm, draw_norm,
        lambda x, ord, axis, keepdims: np.linalg.norm(x, ord, axis, keepdims),
        lambda x, ord, axis, keepdims: ag.norm(x, ord, axis, keepdims)),
    Row(np.sort, with_param(without(draw_sort, "descending"), "kind",
                            [None, "stable", "quicksort"]),
        lambda x, axis, kind: np.sort(x, axis, kind), lambda x, axis, kind: ag.sort(x, axis)),
    # layout and gathers
    Row(np.split, draw_split("split"),
        lambda x, cuts, axis: joined(np.split(x, cuts, axis=axis), axis, np.concatenate),
        lambda x, cuts, axis: joined(ag.split(x, cuts, axis), axis, ag.concatenate)),
    Row(np.array_split, draw_split("sections"),
        lambda x, cuts, axis: joined(np.array_split(x, cuts, axis), axis, np.concatenate),
        lambda x, cuts, axis: joined(ag.array_split(x, cuts, axis), axis, ag.concatenate)),
    Row(np.array_split, draw_split("indices"),
        lambda x, cuts, axis: joined(np.array_split(x, cuts, axis), axis, np.concatenate),
        lambda x, cuts, axis: joined(ag.array_split(x, cuts, axis), axis, ag.concatenate),
        label="np.array_split (indices)"),
    Row(np.squeeze, draw_squeeze, lambda x, axis: np.squeeze(x, axis=axis),
        lambda x, axis: ag.squeeze(x, axis)),
    Row(np.flip, draw_flip, lambda x, axis: np.flip(x, axis), lambda x, axis: ag.flip(x, axis)),
    Row(np.flipud, draw_at_least(1), np.flipud, lambda x: ag.flip(x, 0),
        lambda t, x: t.flipud(x)),
    Row(np.fliplr, draw_at_least(2), np.fliplr, lambda x: ag.flip(x, 1),
        lambda t, x: t.fliplr(x)),
    Row(np.roll, draw_roll, lambda x, shift, axis: np.roll(x, shift, axis=axis),
        lambda x, shift, axis: ag.roll(x, shift, axis)),
    Row(np.repeat, draw_repeat, lambda x, repeats, axis: np.repeat(x, repeats, axis),
        lambda x, repeats, axis: ag.repeat(x, repeats, axis)),
    Row(np.tile, draw_tile, lambda x, reps: np.tile(x, reps), lambda x, reps: ag.tile(x, reps)),
    Row(np.pad, draw_pad_constant,
        lambda x, pad_width, constant_values: np.pad(x, pad_width,
                                                     constant_values=constant_values),
        lambda x, pad_width, constant_values: ag.pad(x, pad_width,
                                                     constant_values=constant_values)),
    Row(np.pad, draw_pad_numpy, lambda x, pad_width, mode: np.pad(x, pad_width, mode),
        lambda x, pad_width, mode: ag.pad(x, pad_width, mode), label="np.pad (other modes)"),
    Row(np.moveaxis, draw_moveaxis,
        lambda x, source, destination: np.moveaxis(x, source, destination),
        lambda x, source, destination: ag.moveaxis(x, source, destination)),
    Row(np.swapaxes, draw_swapaxes, lambda x, axis1, axis2: np.swapaxes(x, axis1, axis2),
        lambda x, axis1, axis2: ag.swapaxes(x, axis1, axis2)),
    Row(np.take, draw_take, lambda x, indices, axis: np.take(x, indices, axis=axis),
        lambda x, indices, axis: ag.take(x, indices, axis)),
    Row(np.take_along_axis, draw_take_along_axis,
        lambda x, indices, axis: np.take_along_axis(x, indices, axis),
        lambda x, indices, axis: ag.take_along_axis(x, indices, axis)),
    # products and linear algebra
    Row(np.einsum, with_param(draw_einsum, "optimize", [False, True, "greedy", "optimal"]),
        lambda *xs, spec, torch_spec, optimize: np.einsum(spec, *xs, optimize=optimize),
        lambda *xs, spec, torch_spec, optimize: ag.einsum(spec, *xs)),
    Row(np.tensordot, draw_tensordot, lambda a, b, axes: np.tensordot(a, b, axes),
        lambda a, b, axes: ag.tensordot(a, b, axes)),
    Row(np.linalg.inv, draw_matrix(draw_invertible), np.linalg.inv, ag.linalg.inv),
    Row(np.linalg.solve, draw_solve, np.linalg.solve, ag.linalg.solve),
    Row(np.linalg.det, draw_matrix(draw_invertible), np.linalg.det, ag.linalg.det),
    Row(np.linalg.slogdet, draw_matrix(draw_invertible),
        lambda x: np.linalg.slogdet(x).sign * np.linalg.slogdet(x).logabsdet,
        lambda x: ag.linalg.slogdet(x).sign * ag.linalg.slogdet(x).logabsdet),
    Row(np.linalg.cholesky, with_param(draw_exactly_symmetric(draw_spd), "upper",
                                       [False, True]),
        lambda x, upper: np.linalg.cholesky(x, upper=upper),
        lambda x, upper: ag.linalg.cholesky(x, upper)),
    Row(np.linalg.eigh, with_param(draw_exactly_symmetric(draw_symmetric), "UPLO", ["L", "U"]),
        lambda x, UPLO: eigh_parts(np.linalg.eigh(x, UPLO), np),
        lambda x, UPLO: eigh_parts(ag.linalg.eigh(x, UPLO), ag)),
    Row(np.linalg.eigvalsh, draw_exactly_symmetric(draw_symmetric), np.linalg.eigvalsh,
        lambda x: ag.linalg.eigh(x).eigenvalues),
    Row(np.linalg.svd, draw_svd,
        lambda x, full_matrices: svd_parts(np.linalg.svd(x, full_matrices), np),
        lambda x, full_matrices: svd_parts(ag.linalg.svd(x, full_matrices), ag)),
    Row(np.linalg.svd, draw_matrix(draw_svd_input), lambda x: np.linalg.svd(x, compute_uv=False),
        lambda x: ag.linalg.svd(x, compute_uv=False), label="np.linalg.svd (compute_uv=False)"),
    Row(np.linalg.svdvals, draw_matrix(draw_svd_input), np.linalg.svdvals,
        lambda x: ag.linalg.svd(x, compute_uv=False)),
]


def run(fn, xs, params, g):
    """fn on fresh Values of xs, differentiated with upstream gradient g."""
    vals = [Value(x) for x in xs]
    out = fn(*vals, **params)
    out.backward(g)
    return out, [v.grad for v in vals]


@pytest.mark.parametrize("row", ROWS, ids=repr)
@given(data=st.data())
def test_numpy_on_values_gives_numpys_numbers_and_our_ops_gradients(row, data):
    xs, params = row.draw(data)
    dtype = data.draw(st.sampled_from([np.float64, np.float32]), label="dtype")
    xs = [x.astype(dtype) for x in xs]
    expected = row.numpy_fn(*xs, **params)              # numpy itself, on arrays
    g = data.draw(arrays(np.shape(expected), low=-2.0, high=2.0), label="g").astype(dtype)
    out, grads = run(row.numpy_fn, xs, params, g)       # numpy, on Values
    direct, direct_grads = run(row.ours, xs, params, g)     # our ops, called directly
    assert isinstance(out, Value), f"{row!r}: gave {type(out).__name__}, not a Value"
    assert out.dtype == np.result_type(expected)
    tight = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out.data), expected, **tight)
    np.testing.assert_array_equal(np.asarray(out.data), np.asarray(direct.data))
    for i, (got, want) in enumerate(zip(grads, direct_grads)):
        assert (got is None) == (want is None), f"{row!r}: input {i}"
        if got is not None:
            np.testing.assert_array_equal(got, want, err_msg=f"{row!r}: gradient of input {i}")
            assert np.result_type(got) == np.dtype(dtype)


@pytest.mark.parametrize("row", [r for r in ROWS if r.torch is not None], ids=repr)
@given(data=st.data())
def test_composite_rows_match_torch(row, data):
    torch = pytest.importorskip("torch")
    xs, params = row.draw(data)
    expected = row.numpy_fn(*xs, **params)
    g = data.draw(arrays(np.shape(expected), low=-2.0, high=2.0), label="g")
    out, grads = run(row.numpy_fn, xs, params, g)
    ts = [torch.tensor(np.asarray(x), dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = row.torch(torch, *ts, **params)
    t_out.backward(torch.as_tensor(np.asarray(g)).reshape(t_out.shape))
    np.testing.assert_allclose(np.asarray(out.data), t_out.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    for got, t in zip(grads, ts):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-10, atol=1e-12)


# ----- results without a gradient: numpy on the data ---------------------------------------
V = np.array([[1.0, -2.0], [np.inf, 0.5]])
W = np.array([[1.0, 3.0], [2.0, np.nan]])
ON_DATA_CALLS = {
    np.equal: lambda v, w: np.equal(v, w), np.not_equal: lambda v, w: np.not_equal(v, w),
    np.less: lambda v, w: np.less(v, w), np.less_equal: lambda v, w: np.less_equal(v, w),
    np.greater: lambda v, w: np.greater(v, w),
    np.greater_equal: lambda v, w: np.greater_equal(v, w),
    np.isfinite: lambda v, w: np.isfinite(v), np.isnan: lambda v, w: np.isnan(w),
    np.isinf: lambda v, w: np.isinf(v), np.signbit: lambda v, w: np.signbit(v),
    np.shape: lambda v, w: np.shape(v), np.ndim: lambda v, w: np.ndim(v),
    np.size: lambda v, w: np.size(v), np.argmax: lambda v, w: np.argmax(w, axis=0),
    np.argmin: lambda v, w: np.argmin(v, axis=1),
    np.argsort: lambda v, w: np.argsort(w, axis=0),
    np.isclose: lambda v, w: np.isclose(v, w, equal_nan=True),
    np.allclose: lambda v, w: np.allclose(v, v), np.array_equal: lambda v, w: np.array_equal(v, w),
}


@pytest.mark.parametrize("key", list(ON_DATA_CALLS), ids=numpy_name)
def test_results_without_a_gradient_are_numpys_on_the_data(key):
    call = ON_DATA_CALLS[key]
    got = call(Value(V), Value(W))
    want = call(V, W)
    assert not isinstance(got, Value)
    assert type(got) is type(want)
    np.testing.assert_array_equal(got, want)


def test_comparisons_with_an_array_on_the_left_give_plain_booleans():
    a, v = np.array([0.0, 1.0, 2.0]), Value([1.0, 1.0, 1.0])
    for got, want in [(a < v, [True, False, False]), (a <= v, [True, True, False]),
                      (a > v, [False, False, True]), (a >= v, [False, True, True]),
                      (a == v, [False, True, False]), (a != v, [True, False, True])]:
        assert type(got) is np.ndarray and got.dtype == bool
        np.testing.assert_array_equal(got, want)


def test_operators_with_an_array_on_the_left_record_our_ops():
    a, v = np.array([1.0, 2.0]), Value([3.0, 0.5])
    for got, want in [(a + v, ag.add(a, v)), (a - v, ag.sub(a, v)), (a * v, ag.mul(a, v)),
                      (a / v, ag.div(a, v)), (a ** v, ag.power(a, v)), (a @ v, ag.matmul(a, v))]:
        assert isinstance(got, Value) and got.op == want.op
        np.testing.assert_array_equal(got.data, want.data)


def test_a_numpy_scalar_on_the_left_keeps_the_promotion_rule():
    """np.float32 * (a float64 scalar Value) is float64, as Value.__rmul__ gives it."""
    got = np.float32(2.0) * Value(0.1)
    assert type(got.data) is float and got.data == Value(0.1).__rmul__(np.float32(2.0)).data


def test_a_ufuncs_outer_with_a_number_keeps_the_values_dtype():
    """A Python number never changes a dtype (numpy's outer would make this float64)."""
    got = np.subtract.outer(Value(np.array([1.0, 2.0], dtype=np.float32)), 0.5)
    assert got.dtype == np.float32 and got.shape == (2,)
    np.testing.assert_array_equal(got.data, [0.5, 1.5])


def test_a_row_on_the_data_refuses_a_floating_result(monkeypatch):
    """ON_DATA is for results without a gradient: a floating one would drop the graph."""
    monkeypatch.setitem(NUMPY, np.cos, ON_DATA)
    with pytest.raises(TypeError, match="numpy.cos gave floating-point numbers"):
        np.cos(Value([1.0]))


# ----- unmodified numpy functions ------------------------------------------------------------
def logistic_loss(w, X, y):
    """Written for numpy arrays: the mean binary cross-entropy of a linear model."""
    p = 1.0 / (1.0 + np.exp(-np.dot(X, w)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p))


def softmax_cross_entropy(W, b, X, labels):
    """Written for numpy arrays: a linear classifier's mean cross-entropy."""
    logits = X @ W + b
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(labels)), labels])


def two_layer_net(W1, b1, w2, X, y):
    """Written for numpy arrays: a tanh layer, a linear output, a squared error."""
    hidden = np.tanh(np.matmul(X, W1) + b1)
    pred = np.dot(hidden, w2)
    return np.sum(np.square(pred - y)) / len(y) + 0.01 * np.sum(np.clip(W1, -1.0, 1.0) ** 2)


def central_differences(f, args, argnum, eps=1e-6):
    x = np.array(args[argnum], dtype=np.float64)
    out = np.zeros_like(x)
    for pos in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[pos] += eps
        down[pos] -= eps
        out[pos] = (f(*args[:argnum], up, *args[argnum + 1:])
                    - f(*args[:argnum], down, *args[argnum + 1:])) / (2 * eps)
    return out


@given(data=st.data())
def test_unmodified_numpy_functions_differentiate(data):
    n, d, k = (data.draw(st.integers(1, 4), label=s) for s in "ndk")
    X = data.draw(arrays((n, d)), label="X")
    problems = [
        (logistic_loss, [data.draw(arrays((d,), low=-1.0, high=1.0), label="w"), X,
                         data.draw(arrays((n,), low=0.0, high=1.0), label="y")], [0]),
        (softmax_cross_entropy, [data.draw(arrays((d, k)), label="W"),
                                 data.draw(arrays((k,)), label="b"), X,
                                 np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n,
                                                             max_size=n), label="labels"))],
         [0, 1]),
        (two_layer_net, [data.draw(arrays((d, k), avoid=(-1.0, 1.0)), label="W1"),
                         data.draw(arrays((k,)), label="b1"),
                         data.draw(arrays((k,)), label="w2"), X,
                         data.draw(arrays((n,)), label="y")], [0, 1, 2]),
    ]
    for f, args, argnums in problems:
        grads = grad(f, argnums=tuple(argnums))(*args)
        for argnum, got in zip(argnums, grads):
            assert type(got) is np.ndarray and got.shape == np.shape(args[argnum])
            np.testing.assert_allclose(got, central_differences(f, args, argnum), rtol=1e-5,
                                       atol=1e-7, err_msg=f"{f.__name__}: argument {argnum}")


def test_an_unmodified_numpy_function_keeps_float32():
    w = np.array([0.5, -0.25], dtype=np.float32)
    X = np.array([[1.0, 2.0], [0.5, -1.0]], dtype=np.float32)
    got = grad(logistic_loss)(w, X, np.array([1.0, 0.0], dtype=np.float32))
    assert got.dtype == np.float32


def test_numpy_code_differentiates_twice():
    """d2/dx2 of sin(x) e^x is 2 cos(x) e^x: the protocol's ops are differentiable again."""
    second = grad(grad(lambda x: np.sum(np.sin(x) * np.exp(x))))
    assert second(0.7) == pytest.approx(2 * np.cos(0.7) * np.exp(0.7), rel=1e-12)


def ridge_objective(X, y, w):
    """Written for numpy arrays: standardised features, a ridge fit's residual variance, the
    log-determinant of its normal matrix and a penalty on running sums."""
    Z = (X - np.mean(X, axis=0)) / np.std(X, axis=0, ddof=1)
    A = Z.T @ Z + np.eye(Z.shape[1])
    coef = np.linalg.solve(A, np.einsum("ij,i->j", Z, y))
    residual = y - Z @ coef
    return (np.var(residual) + np.linalg.slogdet(A)[1]
            + np.linalg.norm(np.cumsum(np.flip(w) * coef)) ** 2)


@given(data=st.data())
def test_unmodified_numpy_code_with_statistics_and_linear_algebra_differentiates(data):
    n, d = data.draw(st.integers(3, 5), label="n"), data.draw(st.integers(1, 3), label="d")
    X = spread(data.draw(arrays((n, d)), label="X"))[0]      # no column of equal entries
    args = [X, data.draw(arrays((n,)), label="y"), data.draw(arrays((d,)), label="w")]
    grads = grad(ridge_objective, argnums=(0, 1, 2))(*args)
    for argnum, got in enumerate(grads):
        np.testing.assert_allclose(got, central_differences(ridge_objective, args, argnum),
                                   rtol=1e-5, atol=1e-6, err_msg=f"argument {argnum}")


def test_rounding_at_the_halves_is_numpys_to_the_bit():
    """rint, round and around on Values: halves to even, signed zeros and dtypes as numpy's."""
    x = np.array([-2.5, -1.5, -0.5, -0.4, 0.5, 1.5, 2.5, 15.0, 25.0, -25.0, 2.675, 0.0])
    for dtype in (np.float64, np.float32):
        a = x.astype(dtype)
        for got, want in [(np.rint(Value(a)), np.rint(a)), (np.round(Value(a)), np.round(a)),
                          (np.round(Value(a), -1), np.round(a, -1)),
                          (np.around(Value(a), decimals=2), np.around(a, decimals=2))]:
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.data, want)
            np.testing.assert_array_equal(np.signbit(got.data), np.signbit(want))
    for entry in x.tolist():        # one-entry Values hold Python floats
        got, want = np.rint(Value(entry)).data, np.rint(entry)
        assert got == want and np.signbit(got) == np.signbit(want)


def test_sorting_keeps_equal_entries_in_order_for_their_gradients():
    """np.sort gives numpy's numbers; among equal entries, the first keeps the first place."""
    x = Value([2.0, 1.0, 2.0, 1.0])
    y = np.sort(x, kind="stable")
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 2.0, 2.0])
    np.sum(y * np.array([1.0, 10.0, 100.0, 1000.0])).backward()
    np.testing.assert_array_equal(x.grad, [100.0, 1.0, 1000.0, 10.0])


# ----- refusals ------------------------------------------------------------------------------
v = Value(np.array([1.0, 2.0, 3.0]))
m = Value(np.array([[2.0, 1.0], [1.0, 3.0]]))
lower = Value(np.array([[2.0, 0.0], [1.0, 3.0]]))     # numpy's cholesky would read it as m


@pytest.mark.parametrize("call, message", [
    (lambda: np.median(v), r"numpy.median is not supported on Values"),
    (lambda: np.cbrt(v), r"numpy.cbrt is not supported on Values"),
    (lambda: np.maximum.accumulate(v), r"numpy.maximum.accumulate is not supported"),
    (lambda: np.add.reduceat(v, [0, 2]), r"numpy.add.reduceat is not supported"),
    (lambda: np.add.at(v, [0], 1.0), r"numpy.add.at is not supported.*in place"),
    (lambda: np.exp(v, out=np.zeros(3)), r"numpy.exp: out= is not supported.*a = a \+ v"),
    (lambda: np.sum(v, out=np.zeros(())), r"numpy.sum: out= is not supported"),
    (lambda: np.add.reduce(v, out=np.zeros(())), r"numpy.add.reduce: out= is not supported"),
    (lambda: np.exp(v, where=v.data > 1), r"numpy.exp: where= is not supported.*np.where"),
    (lambda: np.sum(v, where=v.data > 1), r"numpy.sum: where= is not supported"),
    (lambda: np.sum(v, dtype=np.float32), r"numpy.sum: dtype= is not supported.*astype"),
    (lambda: np.exp(v, dtype=np.float32), r"numpy.exp: dtype= is not supported"),
    (lambda: np.max(v, initial=5.0), r"numpy.max: initial= is not supported"),
    (lambda: np.reshape(v, (3, 1), order="F"), r"numpy.reshape: order= is not supported"),
    (lambda: np.clip(v, 0.0, 1.0, casting="unsafe"), r"numpy.clip: casting= is not supported"),
    (lambda: np.clip(v, 0.0, a_max=1.0, min=0.5), r"numpy.clip: give each bound once"),
    (lambda: np.where(v), r"numpy.where: this call is not supported on Values.*where\("
                          r"condition, x, y\)"),
    (lambda: np.dot(np.ones((2, 2, 3)), v), r"numpy.dot: operands of shapes \(2, 2, 3\)"),
    (lambda: np.linalg.svd(m, hermitian=True),
     r"numpy.linalg.svd: hermitian= is not supported.*singular values are the same"),
    (lambda: np.var(v, correction=1), r"numpy.var: correction= is not supported.*as ddof="),
    (lambda: np.std(v, mean=2.0), r"numpy.std: mean= is not supported"),
    (lambda: np.prod(v, initial=2.0), r"numpy.prod: initial=.*np.prod\(v\) \* initial"),
    (lambda: np.cumsum(v, dtype=np.float32), r"numpy.cumsum: dtype= is not supported"),
    (lambda: np.multiply.accumulate(v, out=np.zeros(3)), r"numpy.multiply.accumulate: out="),
    (lambda: np.take(v, [4], mode="wrap"), r"numpy.take: mode= is not supported"),
    (lambda: np.pad(v, 1, mode="reflect", reflect_type="odd"), r"numpy.pad: reflect_type="),
    (lambda: np.sort(v, order="f"), r"numpy.sort: order= is not supported"),
    (lambda: np.einsum(v, [0], [0]), r"numpy.einsum: on Values, give the subscripts as a "
                                     r"string"),
])
def test_what_cannot_be_differentiated_is_refused_by_name(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("call, error, message", [
    (lambda: np.add.accumulate(m, axis=None), ValueError,
     r"numpy.add.accumulate: axis=None .*one axis"),
    (lambda: np.multiply.accumulate(Value(2.0)), ValueError,
     r"numpy.multiply.accumulate: axis=0 of a value of shape \(\)"),
    (lambda: np.cumsum(Value(2.0), axis=0), ValueError,             # numpy gives [2.]
     r"cumsum: axis 0 is not one axis of a value of shape \(\)"),
    (lambda: np.var(Value([1.0]), ddof=1), ValueError,               # numpy gives NaN
     r"var: ddof=1 leaves no degrees of freedom"),
    (lambda: np.roll(m, (1, 2)), ValueError,             # numpy rolls the flattened m by 3
     r"roll: with axis=None x is flattened and takes one shift"),
    (lambda: np.fliplr(v), ValueError, r"numpy.fliplr: a value of shape \(3,\) has no axis 1"),
    (lambda: np.flipud(Value(1.0)), ValueError, r"numpy.flipud: .* has no axis 0"),
    (lambda: np.sort(v, kind="bogus"), ValueError, r"sort kind must be one of"),
    (lambda: np.sort(v, kind="stable", stable=True), ValueError,
     r"`kind` and keyword parameters can't be provided at the same time"),
    (lambda: np.pad(v, 1, mode="mean"), ValueError, r"pad: mode 'mean' is not supported"),
    (lambda: np.linalg.svd(Value(np.ones((2, 3)))), ValueError,
     r"svd: full_matrices=True on non-square matrices"),
    (lambda: np.linalg.cholesky(lower), ValueError, r"cholesky: the matrix is not symmetric"),
    (lambda: np.linalg.eigvalsh(lower), ValueError, r"eigh: the matrix is not symmetric"),
])
def test_what_would_differ_from_numpys_result_is_refused(call, error, message):
    """Arguments numpy takes but where our op would give another result (or numpy's has no
    gradient) raise instead of answering differently."""
    with pytest.raises(error, match=message):
        call()


def test_adding_a_value_into_an_array_in_place_is_refused():
    """`a += v` writes into a plain array (numpy's out=), which would drop the graph."""
    a = np.zeros(3)
    with pytest.raises(TypeError, match=r"out= is not supported.*a = a \+ v"):
        a += v
    assert not a.any()


def test_keywords_at_numpys_defaults_are_accepted():
    for got, want in [(np.sum(v, out=None, dtype=None), 6.0),
                      (np.add.reduce(v, 0, None), 6.0),
                      (np.reshape(v, (3,), order="C", copy=None).sum(), 6.0),
                      (np.broadcast_to(v, (2, 3), subok=False).sum(), 12.0),
                      (np.concatenate([v, v], casting="same_kind").sum(), 12.0)]:
        assert isinstance(got, Value) and got.data == want


def test_another_librarys_array_gets_its_turn():
    class Other:
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return "other's answer"

        def __array_function__(self, func, types, args, kwargs):
            return "other's answer"
    assert np.add(v, Other()) == "other's answer"
    assert np.concatenate([v, Other()]) == "other's answer"


def test_np_array_of_a_value_stays_a_plain_copy():
    data = np.array([1.0, 2.0])
    w = Value(data)
    copied = np.array(w)
    assert type(copied) is np.ndarray and not np.shares_memory(copied, data)
    assert type(np.asarray(w)) is np.ndarray and np.shares_memory(np.asarray(w), data)


# ----- the table, the tests and the README agree ---------------------------------------------
def test_every_row_of_the_table_is_tested_here():
    tested = {r.key for r in ROWS} | set(ON_DATA_CALLS)
    assert {numpy_name(k) for k in NUMPY if k not in tested} == set()
    assert {numpy_name(k) for k in ON_DATA_CALLS if NUMPY.get(k) is not ON_DATA} == set()


# The keywords numpy passes a ufunc method's override (its signature hides them in **kwargs).
UFUNC_METHOD_KEYWORDS = {"array", "axis", "dtype", "out", "keepdims", "initial", "where"}
# Keywords a numpy function documents but takes through **kwargs, with their defaults.
THROUGH_KWARGS = {np.pad: {"constant_values": inspect.Parameter("constant_values",
                                                                 inspect.Parameter.KEYWORD_ONLY,
                                                                 default=None)}}


@pytest.mark.parametrize("key", [k for k in NUMPY if NUMPY[k] is not ON_DATA
                                 and not isinstance(k, np.ufunc)], ids=numpy_name)
def test_a_rows_parameters_are_numpys(key):
    """A function's row takes numpy's names for its arguments (so keywords pass through),
    with numpy's defaults where both have one (a row may require what numpy need not have,
    as np.where's x and y: leaving it out is then refused; numpy hides some defaults, as
    keepdims=<no value>, and gave take_along_axis's axis its default -1 in 2.3 only)."""
    ours = inspect.signature(NUMPY[key]).parameters
    owner = getattr(key, "__self__", None)
    if isinstance(owner, np.ufunc):
        assert ours and set(ours) <= UFUNC_METHOD_KEYWORDS, numpy_name(key)
        return
    numpys = dict(inspect.signature(key).parameters, **THROUGH_KWARGS.get(key, {}))
    assert ours and set(ours) <= set(numpys), f"{numpy_name(key)}: {set(ours) - set(numpys)}"
    for name, p in ours.items():
        theirs = numpys[name].default
        if p.default is not p.empty and theirs is not p.empty and theirs is not np._NoValue:
            assert p.default == theirs, f"{numpy_name(key)}: {name}"


def test_the_readme_lists_every_numpy_function_that_works():
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## numpy code on Values\n(.*?)^## ", text, re.M | re.S)
    assert section, "README.md has no '## numpy code on Values' section"
    missing = [numpy_name(k) for k in NUMPY if f"`{numpy_name(k)}`" not in section.group(1)]
    assert missing == []


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_matrix_norms_of_the_singular_values_match_numpy_and_our_norm(ord):
    a = np.array([[3.0, 1.0, 0.5], [-1.0, 2.0, 0.0]])
    x, y = Value(a), Value(a)
    out = np.linalg.norm(x, ord)
    out.backward()
    ag.norm(y, ord).backward()
    assert out.data == pytest.approx(np.linalg.norm(a, ord), rel=1e-12)
    np.testing.assert_array_equal(x.grad, y.grad)
