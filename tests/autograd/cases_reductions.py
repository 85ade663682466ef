"""Op-table rows for prod, cumsum, cumprod, var, std, norm, sort and topk (see ag_cases).

prod and cumprod draw no zeros in their main rows: PyTorch's gradient at NaN changes with
whether the input holds a zero anywhere (it divides by x when none does), and those rows are
compared with torch at NaN. Their "-zeros" rows plant zeros (one, several, whole slices) and
check finite differences and second order there; tests/autograd/test_reductions_extra.py
compares them with torch. norm, sort and topk draw no ties where the gradient is not unique:
the matrix norms of singular values (ord 2, -2, 'nuc') draw their matrices as
tests/autograd/cases_linalg.py draws svd inputs, with singular values ~0.4 apart and away
from 0.
"""
from __future__ import annotations

from typing import List

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from ag_cases import Case, arrays, axes_of, dims_of, shapes, spread
from cases_linalg import draw_svd_input


# ----- draw helpers -------------------------------------------------------------------------
def _one_axis_or_none(data, ndim: int):
    if ndim == 0 or data.draw(st.booleans(), label="flatten"):
        return None
    return data.draw(st.integers(-ndim, ndim - 1), label="axis")


def _factors(data, zeros: bool) -> np.ndarray:
    """x in [-2, 2] away from 0; with `zeros`, 1 to 3 entries (and maybe a whole slice) 0."""
    x = data.draw(arrays(shapes(), low=-2.0, high=2.0, avoid=(0.0,), margin=0.2), label="x")
    if zeros:
        x = x.copy()
        if x.ndim and data.draw(st.booleans(), label="zero slice"):
            x[..., 0] = 0.0
        for _ in range(data.draw(st.integers(1, 3), label="zeros")):
            x[tuple(data.draw(st.integers(0, n - 1), label="at") for n in x.shape)] = 0.0
    return x


def draw_prod(zeros: bool):
    def draw(data):
        x = _factors(data, zeros)
        return [x], {"axis": axes_of(data, x.ndim),
                     "keepdims": data.draw(st.booleans(), label="keepdims")}
    return draw


def draw_cumulative(products: bool = False, zeros: bool = False):
    def draw(data):
        x = _factors(data, zeros) if products else data.draw(arrays(shapes()), label="x")
        return [x], {"axis": _one_axis_or_none(data, x.ndim)}
    return draw


def draw_spread_reduction(spread_out: bool):
    """x (entries 0.2 apart with `spread_out`, so no slice has zero variance), axis, keepdims
    and a ddof of 0 or 1 that leaves N - ddof > 0."""
    def draw(data):
        x = data.draw(arrays(shapes()), label="x")
        if spread_out:
            x = spread(x)[0]
        axis = axes_of(data, x.ndim)
        n = int(np.prod([x.shape[d] for d in dims_of(axis, x.ndim)]))
        ddof = data.draw(st.integers(0, 1 if n > 1 else 0), label="ddof")
        return [x], {"axis": axis, "ddof": ddof,
                     "keepdims": data.draw(st.booleans(), label="keepdims")}
    return draw


VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1.5]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


def draw_norm(data):
    """A flattened, vector or matrix norm of x with random signs and magnitudes at least 0.3
    (no kink of |x| near), all distinct (no tie for ord=inf); for the matrix orders 1 and inf,
    each slice of the axis picked from holds larger entries than the one before, in a random
    order, so the sums compared are never tied."""
    kind = data.draw(st.sampled_from(["flat", "vector", "matrix"]), label="kind")
    if kind == "flat":
        shape = data.draw(shapes(), label="shape")
        ord = data.draw(st.sampled_from([None] + [{1: 2, 2: "fro"}[len(shape)]]
                                        if len(shape) in (1, 2) else [None]), label="ord")
        axis = None
    elif kind == "vector":
        shape = data.draw(shapes(min_dims=1), label="shape")
        ord = data.draw(st.sampled_from(VECTOR_ORDS), label="ord")
        axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
        if len(shape) == 1 and data.draw(st.booleans(), label="axis None"):
            axis = None
    else:
        shape = data.draw(shapes(min_dims=2, max_side=3), label="shape")
        ord = data.draw(st.sampled_from(MATRIX_ORDS), label="ord")
        axis = None if len(shape) == 2 and data.draw(st.booleans(), label="axis None") else (
            tuple(data.draw(st.permutations(range(len(shape))), label="axes")[:2]))
    u = data.draw(arrays(shape, low=0.0, high=1.0), label="u")
    magnitude = 0.3 + 0.25 * np.argsort(np.argsort(u, axis=None), axis=None).reshape(shape) \
        + 0.01 * u
    if kind == "matrix" and ord not in (None, "fro"):
        rows, cols = (0, 1) if axis is None else axis
        summed, picked = (rows, cols) if ord in (1, -1) else (cols, rows)
        order = np.array(data.draw(st.permutations(range(shape[picked])), label="order"))
        levels = np.expand_dims(order, [i for i in range(len(shape)) if i != picked])
        magnitude = 0.3 + u + (shape[summed] + 0.5) * levels
    signs = np.where(data.draw(arrays(shape, low=-1.0, high=1.0), label="signs") < 0, -1, 1)
    return [np.asarray(signs * magnitude)], {"ord": ord, "axis": axis,
                                 "keepdims": data.draw(st.booleans(), label="keepdims")}


def draw_singular_value_norm(data):
    """ord 2, -2 or 'nuc' of matrices with separated singular values (batched or not) whose two
    axes are moved to random places and named by positive or negative numbers (or axis None
    for a single matrix)."""
    a = draw_svd_input(data)
    ndim = a.ndim
    rows, cols = data.draw(st.permutations(range(ndim)), label="axes")[:2]
    x = np.moveaxis(a, (-2, -1), (rows, cols))
    if ndim == 2 and data.draw(st.booleans(), label="axis None"):
        axis = None
    else:
        axis = tuple(d - ndim if data.draw(st.booleans(), label="negative") else d
                     for d in (rows, cols))
    return [x], {"ord": data.draw(st.sampled_from([2, -2, "nuc"]), label="ord"), "axis": axis,
                 "keepdims": data.draw(st.booleans(), label="keepdims")}


def draw_sort(data):
    x = spread(data.draw(arrays(shapes(min_dims=1)), label="x"))[0]
    return [x], {"axis": _one_axis_or_none(data, x.ndim),
                 "descending": data.draw(st.booleans(), label="descending")}


def draw_topk(data):
    x = spread(data.draw(arrays(shapes(min_dims=1)), label="x"))[0]
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    return [x], {"k": data.draw(st.integers(0, x.shape[axis]), label="k"), "axis": axis,
                 "largest": data.draw(st.booleans(), label="largest"),
                 "sorted": data.draw(st.booleans(), label="sorted")}


# ----- references -----------------------------------------------------------------------------
def np_cumulative(name: str):
    return lambda x, axis: getattr(np, name)(x, axis=axis)


def torch_cumulative(name: str):
    def run(t, x, axis):
        return getattr(t, name)(x.reshape(-1), 0) if axis is None else getattr(t, name)(x, axis)
    return run


def torch_prod(t, x, axis, keepdims):
    """torch.prod reduces one dim at a time: the reduced dims are moved last and flattened."""
    if x.ndim == 0:
        return x.prod()
    dims = dims_of(axis, x.ndim)
    kept = [d for d in range(x.ndim) if d not in dims]
    lines = x.permute(kept + list(dims)).reshape([x.shape[d] for d in kept] + [-1])
    out = lines.prod(-1)
    if keepdims:
        return out.reshape([1 if d in dims else n for d, n in enumerate(x.shape)])
    return out


def torch_spread(name: str):
    def run(t, x, axis, ddof, keepdims):
        dims = dims_of(axis, x.ndim)
        if not dims:                # numpy's axis=() reduces nothing: N = 1 per entry
            return getattr(t, name)(x.unsqueeze(-1), dim=-1, correction=ddof)
        return getattr(t, name)(x, dim=dims, correction=ddof, keepdim=keepdims)
    return run


def torch_singular_value_norm(t, x, ord, axis, keepdims):
    """torch.linalg.matrix_norm, with autograd's convention for a matrix holding NaN (a NaN
    norm and NaN gradients for all its entries), where torch's SVD raises."""
    dims = (0, 1) if axis is None else axis
    bad = x.isnan().any(dim=dims, keepdim=True)
    nan = t.where(bad, float("nan"), 0.0).to(x.dtype) * x.sum(dim=dims, keepdim=True)
    out = t.linalg.matrix_norm(t.where(bad, 0.0, x), ord, dim=dims, keepdim=True) + nan
    return out if keepdims else out.squeeze(dims)


def np_sort(x, axis, descending):
    """numpy's sort, largest first by the stable order of -x (no NaN in these draws)."""
    if axis is None:
        x, axis = x.reshape(-1), 0
    order = np.argsort(-x if descending else x, axis=axis, kind="stable")
    return np.take_along_axis(x, order, axis)


def torch_sort(t, x, axis, descending):
    if axis is None:
        x, axis = x.reshape(-1), 0
    return t.sort(x, dim=axis, descending=descending, stable=True).values


def np_topk(x, k, axis, largest, sorted):
    order = np.argsort(-x if largest else x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, np.sort(idx, axis=axis) if not sorted else idx, axis)


def torch_topk(t, x, k, axis, largest, sorted):
    """torch.topk picks among ties (NaNs too) in no set order; its stable sort picks by
    position, as topk does. tests/autograd/test_reductions_extra.py checks torch.topk itself
    on inputs without ties."""
    idx = t.sort(x, dim=axis, descending=largest, stable=True).indices.narrow(axis, 0, k)
    return x.gather(axis, idx if sorted else idx.sort(dim=axis).values)


# ----- the rows -------------------------------------------------------------------------------
CASES: List[Case] = [
    Case("prod", draw_prod(zeros=False),
         lambda x, axis, keepdims: x.prod(axis, keepdims),
         lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims), torch_prod),
    Case("prod-zeros", draw_prod(zeros=True),
         lambda x, axis, keepdims: ag.prod(x, axis=axis, keepdims=keepdims),
         lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims)),
    Case("cumsum", draw_cumulative(), lambda x, axis: x.cumsum(axis), np_cumulative("cumsum"),
         torch_cumulative("cumsum")),
    Case("cumprod", draw_cumulative(products=True), lambda x, axis: x.cumprod(axis),
         np_cumulative("cumprod"), torch_cumulative("cumprod")),
    Case("cumprod-zeros", draw_cumulative(products=True, zeros=True),
         lambda x, axis: ag.cumprod(x, axis), np_cumulative("cumprod")),
    Case("var", draw_spread_reduction(spread_out=False),
         lambda x, axis, ddof, keepdims: x.var(axis, ddof=ddof, keepdims=keepdims),
         lambda x, axis, ddof, keepdims: np.var(x, axis=axis, ddof=ddof, keepdims=keepdims),
         torch_spread("var")),
    Case("std", draw_spread_reduction(spread_out=True),
         lambda x, axis, ddof, keepdims: x.std(axis, ddof=ddof, keepdims=keepdims),
         lambda x, axis, ddof, keepdims: np.std(x, axis=axis, ddof=ddof, keepdims=keepdims),
         torch_spread("std")),
    Case("norm", draw_norm,
         lambda x, ord, axis, keepdims: ag.norm(x, ord, axis, keepdims),
         lambda x, ord, axis, keepdims: np.linalg.norm(x, ord, axis, keepdims),
         lambda t, x, ord, axis, keepdims: t.linalg.norm(x, ord, dim=axis, keepdim=keepdims)),
    Case("norm-singular-values", draw_singular_value_norm,
         lambda x, ord, axis, keepdims: ag.norm(x, ord, axis, keepdims),
         lambda x, ord, axis, keepdims: np.linalg.norm(x, ord, axis, keepdims),
         torch_singular_value_norm),
    Case("sort", draw_sort, lambda x, axis, descending: ag.sort(x, axis, descending=descending),
         np_sort, torch_sort),
    Case("topk", draw_topk,
         lambda x, k, axis, largest, sorted: x.topk(k, axis, largest, sorted).values,
         np_topk, torch_topk),
]
