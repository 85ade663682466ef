"""The op table's rows for einsum, tensordot and `autograd.linalg` (ag_cases appends them).

Matrices are drawn well conditioned, so finite differences mean something: an invertible one
is diagonally dominant (rows of either sign, so determinants of both signs), a symmetric
positive definite one is B B^T + n I, and those for eigh and svd are built from orthonormal
vectors and eigen/singular values at least ~0.4 apart. cholesky and eigh get their input
symmetrised first: finite differences move one entry, and they refuse a matrix that is not
symmetric. Functions of eigen- and singular vectors are ones the vectors' signs do not change.

A matrix holding NaN gives NaN results and gradients in autograd.linalg; torch's cholesky and
svd raise on one and its eigh returns numbers unrelated to it, so those rows' torch column
keeps that convention on such matrices (`_nan_matrices`) and is torch's alone on the others.
"""
from __future__ import annotations

from typing import List

import numpy as np
from hypothesis import strategies as st

import autograd as ag
from autograd.ops import swap_last
from ag_cases import Case, arrays, broadcastable_shapes

# ----- einsum and tensordot -------------------------------------------------------------------
# (numpy subscripts, each operand's dimensions, the subscripts torch is given). In the
# dimensions a letter is that label's drawn size, '1' a size-1 dimension (broadcast by
# einsum), '*' the operand's drawn batch shape (under '...'), '-' a 0-d operand.
EINSUMS = [
    ("ij,jk->ik", "ij jk", "ij,jk->ik"),
    ("ij,jk", "ij jk", "ij,jk->ik"),
    ("bij,bjk->bik", "bij bjk", "bij,bjk->bik"),
    ("...ij,...jk->...ik", "*ij *jk", "...ij,...jk->...ik"),
    ("i...,i", "i* i", "i...,i->..."),
    ("ij->ji", "ij", "ij->ji"),
    ("ij->", "ij", "ij->"),
    ("ii->i", "ii", "ii->i"),
    ("ii", "ii", "ii->"),
    ("iij->j", "iij", "iij->j"),
    ("i,j->ij", "i j", "i,j->ij"),
    ("i,i", "i i", "i,i->"),
    ("ij,ij->i", "ij i1", "ij,ij->i"),
    ("Ba,aA", "Ba aA", "Ba,aA->AB"),
    (",ij->ij", "- ij", ",ij->ij"),
    ("ij,jk,kl->il", "ij jk kl", "ij,jk,kl->il"),
    ("ij,jk,k->i", "ij jk k", "ij,jk,k->i"),
    ("ij,j,ik->jk", "ij j ik", "ij,j,ik->jk"),
]


def draw_einsum(data):
    spec, dims, torch_spec = data.draw(st.sampled_from(EINSUMS), label="einsum")
    tokens = dims.split()
    sizes = {c: data.draw(st.integers(1, 3), label=c) for c in sorted(set(dims) - set("1*- "))}
    starred = sum("*" in t for t in tokens)
    batches = iter(data.draw(broadcastable_shapes(starred, max_dims=2, max_side=3),
                             label="batch shapes") if starred else ())
    xs = []
    for i, token in enumerate(tokens):
        shape = ()
        for c in token:
            shape += next(batches) if c == "*" else (1,) if c == "1" else (
                () if c == "-" else (sizes[c],))
        xs.append(data.draw(arrays(shape), label=f"x{i}"))
    return xs, {"spec": spec, "torch_spec": torch_spec}


def draw_tensordot(data):
    a = data.draw(arrays(data.draw(st.lists(st.integers(1, 3), max_size=3).map(tuple),
                                   label="shape of a")), label="a")
    n = data.draw(st.integers(0, a.ndim), label="paired axes")
    ax_a = data.draw(st.permutations(range(a.ndim)), label="axes of a")[:n]
    free = data.draw(st.lists(st.integers(1, 3), max_size=3 - n), label="free sides of b")
    order = data.draw(st.permutations(range(n + len(free))), label="layout of b")
    sides = [a.shape[i] for i in ax_a] + free
    b = data.draw(arrays(tuple(sides[k] for k in order)), label="b")
    ax_b = [order.index(k) for k in range(n)]
    as_int = ax_a == list(range(a.ndim - n, a.ndim)) and ax_b == list(range(n))
    if as_int and data.draw(st.booleans(), label="axes as an int"):
        return [a, b], {"axes": n}
    if data.draw(st.booleans(), label="negative axes"):
        ax_a, ax_b = [i - a.ndim for i in ax_a], [j - b.ndim for j in ax_b]
    return [a, b], {"axes": (ax_a, ax_b)}


def _torch_axes(axes):
    return axes if isinstance(axes, int) else (list(axes[0]), list(axes[1]))


# ----- matrices -----------------------------------------------------------------------------
def _batch(data):
    return data.draw(st.sampled_from([(), (2,), (2, 1)]), label="batch")


def draw_invertible(data, n=None):
    """Diagonally dominant matrices (..., n, n) with rows of either sign."""
    n = n or data.draw(st.integers(1, 3), label="n")
    shape = _batch(data) + (n, n)
    b = data.draw(arrays(shape, low=-1.0, high=1.0), label="b")
    flips = data.draw(arrays(shape[:-1], low=-1.0, high=1.0), label="row signs")
    return np.where(flips < 0, -1.0, 1.0)[..., None] * (b + (n + 1) * np.eye(n))


def draw_spd(data):
    n = data.draw(st.integers(1, 3), label="n")
    b = data.draw(arrays(_batch(data) + (n, n), low=-1.0, high=1.0), label="b")
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def _orthonormal(data, rows, cols, batch, label):
    """Orthonormal columns (..., rows, cols), from the QR factors of a drawn matrix."""
    raw = data.draw(arrays(batch + (rows, cols), low=-1.0, high=1.0), label=label)
    return np.linalg.qr(raw + np.eye(rows, cols))[0]


def _separated(data, k, batch, label):
    """k values per matrix, ascending, at least ~0.4 apart: 1.2 i + (a draw in +-0.4)."""
    jitter = data.draw(arrays(batch + (k,), low=-0.4, high=0.4), label=label)
    return 1.2 * np.arange(k) + jitter


def draw_symmetric(data):
    """Symmetric Q diag(w) Q^T with eigenvalues of both signs, ~0.4 apart or more."""
    n, batch = data.draw(st.integers(1, 3), label="n"), _batch(data)
    q = _orthonormal(data, n, n, batch, "q")
    w = _separated(data, n, batch, "eigenvalues") - 0.6 * (n - 1)
    a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
    return (a + np.swapaxes(a, -1, -2)) / 2


def draw_svd_input(data):
    """U diag(s) V^T of any shape (tall, wide, square), s >= 0.4 and ~0.4 apart or more."""
    m, n, batch = (data.draw(st.integers(1, 3), label="m"), data.draw(st.integers(1, 3),
                                                                     label="n"), _batch(data))
    k = min(m, n)
    u, v = _orthonormal(data, m, k, batch, "u"), _orthonormal(data, n, k, batch, "v")
    s = _separated(data, k, batch, "singular values") + 0.8
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


def _as_matrices(b, a):
    """b read as stacked matrices, as numpy reads it: torch reads a b of shape a.shape[:-1] as
    stacked vectors, so give it a leading axis (which broadcasting ignores)."""
    return b[None] if tuple(b.shape) == tuple(a.shape[:-1]) else b


def draw_solve(data):
    a = draw_invertible(data)
    n = a.shape[-1]
    if data.draw(st.booleans(), label="b a vector"):
        return [a, data.draw(arrays((n,)), label="b")], {}
    k = data.draw(st.integers(1, 2), label="k")
    batch = data.draw(st.sampled_from([(), (2,), (1,)]), label="batch of b")
    return [a, data.draw(arrays(batch + (n, k)), label="b")], {}


def _sym(x):
    return (x + swap_last(x)) * 0.5


def _np_sym(x):
    return (x + np.swapaxes(x, -1, -2)) * 0.5


def _svd_fn(u, s, vh, expand, tanh):
    """Squared singular vectors weighted by s, plus U tanh(diag(s)) Vh."""
    return (u * u) @ (expand(s, -1) * (vh * vh)) + u @ (expand(tanh(s), -1) * vh)


def _np_svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return _svd_fn(u, s, vh, np.expand_dims, np.tanh)


def _ag_svd(x):
    u, s, vh = ag.linalg.svd(x, full_matrices=False)
    return _svd_fn(u, s, vh, ag.expand_dims, lambda v: v.tanh())


def _torch_svd(t, x):
    u, s, vh = t.linalg.svd(x, full_matrices=False)
    return _svd_fn(u, s, vh, t.unsqueeze, t.tanh)


def _nan_matrices(run):
    """`run(t, x)` with NaN results and gradients for each matrix of x holding NaN: run on a
    stand-in for that matrix, plus NaN * (the sum of its entries)."""
    def wrapped(t, x):
        bad = x.isnan().flatten(-2).any(-1)
        m, n = x.shape[-2:]
        stand_in = t.eye(m, n, dtype=x.dtype) * t.arange(1, n + 1, dtype=x.dtype)
        out = run(t, t.where(bad[..., None, None], stand_in, x))
        nan = t.where(bad, float("nan"), 0.0).to(x.dtype) * x.sum((-2, -1))
        return out + nan.reshape(bad.shape + (1,) * (out.ndim - bad.ndim))
    return wrapped


def _eigh_parts(w, v, expand, mT, tanh):
    return (v * v) * expand(w, -2) + v @ (expand(tanh(w), -1) * mT(v))


CASES: List[Case] = [
    Case("einsum", draw_einsum, lambda *xs, spec, torch_spec: ag.einsum(spec, *xs),
         lambda *xs, spec, torch_spec: np.einsum(spec, *xs),
         lambda t, *xs, spec, torch_spec: t.einsum(torch_spec, *xs)),
    Case("tensordot", draw_tensordot, lambda a, b, axes: ag.tensordot(a, b, axes),
         lambda a, b, axes: np.tensordot(a, b, axes),
         lambda t, a, b, axes: t.tensordot(a, b, dims=_torch_axes(axes))),
    Case("inv", lambda data: ([draw_invertible(data)], {}), lambda x: ag.linalg.inv(x),
         np.linalg.inv, lambda t, x: t.linalg.inv(x)),
    Case("solve", draw_solve, lambda a, b: ag.linalg.solve(a, b), np.linalg.solve,
         lambda t, a, b: (t.linalg.solve(a, b[:, None])[..., 0] if b.ndim == 1
                          else t.linalg.solve(a, _as_matrices(b, a)))),
    Case("det", lambda data: ([draw_invertible(data)], {}), lambda x: ag.linalg.det(x),
         np.linalg.det, lambda t, x: t.linalg.det(x)),
    Case("slogdet", lambda data: ([draw_invertible(data)], {}),
         lambda x: (lambda r: r.sign * r.logabsdet)(ag.linalg.slogdet(x)),
         lambda x: (lambda r: r[0] * r[1])(np.linalg.slogdet(x)),
         lambda t, x: (lambda r: r[0] * r[1])(t.linalg.slogdet(x))),
    Case("cholesky", lambda data: ([draw_spd(data)], {}),
         lambda x: ag.linalg.cholesky(_sym(x)), lambda x: np.linalg.cholesky(_np_sym(x)),
         _nan_matrices(lambda t, x: t.linalg.cholesky((x + x.mT) * 0.5))),
    Case("eigh", lambda data: ([draw_symmetric(data)], {}),
         lambda x: _eigh_parts(*ag.linalg.eigh(_sym(x)), ag.expand_dims, swap_last,
                               lambda v: v.tanh()),
         lambda x: _eigh_parts(*np.linalg.eigh(_np_sym(x)), np.expand_dims,
                               lambda v: np.swapaxes(v, -1, -2), np.tanh),
         _nan_matrices(lambda t, x: _eigh_parts(*t.linalg.eigh((x + x.mT) * 0.5),
                                                t.unsqueeze, lambda v: v.mT, t.tanh))),
    Case("eigh-eigenvalues", lambda data: ([draw_symmetric(data)], {}),
         lambda x: ag.linalg.eigh(_sym(x)).eigenvalues,
         lambda x: np.linalg.eigh(_np_sym(x)).eigenvalues,
         _nan_matrices(lambda t, x: t.linalg.eigvalsh((x + x.mT) * 0.5))),
    Case("svd", lambda data: ([draw_svd_input(data)], {}), _ag_svd, _np_svd,
         _nan_matrices(_torch_svd)),
    Case("svd-singular-values", lambda data: ([draw_svd_input(data)], {}),
         lambda x: ag.linalg.svd(x, compute_uv=False),
         lambda x: np.linalg.svd(x, compute_uv=False),
         _nan_matrices(lambda t, x: t.linalg.svdvals(x))),
]
