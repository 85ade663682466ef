"""Linear algebra with gradients, batched over leading axes like `numpy.linalg`: inv, solve,
det, slogdet, cholesky, eigh and svd (as `autograd.linalg`).

Each is a primitive whose VJP is written with ops (`@`, `solve`, `inv`, ...), so it can be
differentiated again. `eigh` and `svd` make several arrays from one factorisation: their op
returns them packed in one array, and the public function hands out slices of it, so the
factorisation runs once and each part's gradient flows back through its slice.

Where a result or a gradient is not unique or does not exist, the choice is stated and kept:

- `inv` and `solve` refuse a matrix that is singular to working precision (its reciprocal
  condition number in the 1-norm is below the dtype's eps): no digit of the result would be
  right. `det` is right there (0, or nearly), and so is its gradient, the cofactor matrix
  (through the SVD where det is 0); a second derivative at a singular matrix is refused.
  `slogdet`'s sign has no gradient (it is a constant), and log|det| has none at a singular
  matrix (-inf there): refused, as inv is.
- `cholesky` and `eigh` are for symmetric matrices: they refuse one that is not (to within
  sqrt(eps) of its largest entry) and factor the symmetric part (a + a^T) / 2, which is the
  matrix itself or its rounding. Their gradient is symmetric, as PyTorch's (the derivative
  along symmetric changes), and is the gradient of what they compute, also entry by entry
  (numpy and PyTorch read one triangle, whose gradient is not symmetric).
- Eigenvectors and singular vectors are unique only up to sign (and not at all where values
  repeat). The gradient is that of the vectors numpy returned, which is what every loss
  unaffected by those signs (eigenvalues, V f(w) V^T, U^2, U S Vh) needs. Where two values are
  equal to working precision, the vectors' gradient (through 1/(w_i - w_j)) does not exist and
  is refused, as is that of a non-square matrix's singular vectors at a zero singular value
  (through 1/s); PyTorch returns inf or nan instead. A loss of the values alone keeps its
  gradient there if it is symmetric in the equal values (their sum, say); one that weighs them
  differently has none (their order flips there) and is refused. A singular value that is 0 is
  not differentiable (as |x| at 0): it gets the subgradient 0, as |x| does, the least one
  (sum(s) at a low-rank matrix gets U_r Vh_r, of its nonzero values' vectors only).
- A matrix holding a NaN or an infinity gives NaN in every result and every gradient it feeds.
  LAPACK would raise on it (cholesky, svd) or return numbers unrelated to it (eigh).
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

import numpy as np

from autograd.grad_mode import no_grad
from autograd.op import Op, data_of, normalize, shape_of
from autograd.value import Value
from autograd.ops.elementwise import where
from autograd.ops.reductions import sum as total
from autograd.ops.shape import expand_dims, reshape, swap_last

LinAlgError = np.linalg.LinAlgError


class SlogdetResult(NamedTuple):
    """The sign of the determinant (no gradient: it is piecewise constant) and log|det|."""

    sign: Any
    logabsdet: Any


class EighResult(NamedTuple):
    """The eigenvalues in ascending order and the eigenvectors as columns."""

    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    """a = U @ (S[..., None] * Vh), with the singular values S in descending order."""

    U: Any
    S: Any
    Vh: Any


# ----- checks on the input, before anything is recorded --------------------------------------
def _square(name: str, a: Any, what: str = "the input") -> tuple:
    """The shape of `a`, checked to be a stack of square matrices (..., n, n)."""
    shape = shape_of(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name}: {what} must be square matrices of shape (..., n, n), got "
                         f"shape {shape}")
    return shape


def _floats(a: Any) -> np.ndarray:
    x = np.asarray(data_of(a))
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _check_symmetric(name: str, a: Any) -> None:
    """Refuse finite matrices that are not symmetric to within sqrt(eps) of their largest
    entry: `name` would factor their symmetric part, not what numpy factors (one triangle)."""
    x = _floats(a)
    with np.errstate(invalid="ignore"):         # inf - inf: a matrix _nan_where_nonfinite takes
        gap = np.abs(x - np.swapaxes(x, -1, -2)).max(axis=(-2, -1), initial=0.0)
    scale = np.abs(x).max(axis=(-2, -1), initial=0.0)
    if np.any((gap > np.sqrt(np.finfo(x.dtype).eps) * scale) & np.isfinite(scale)):
        raise ValueError(f"{name}: the matrix is not symmetric (|a - a^T| reaches "
                         f"{float(np.nanmax(gap)):.3g}); {name} is for symmetric matrices (numpy "
                         "reads one triangle, PyTorch too): pass (a + a^T) / 2")


def _nonfinite(a: Any) -> np.ndarray:
    """Which matrices of the stack `a` hold a NaN or an infinity."""
    return ~np.isfinite(np.asarray(data_of(a))).all(axis=(-2, -1))


def _stand_in(x: np.ndarray) -> np.ndarray:
    """diag(1, 2, ...) shaped like one matrix of `x`: invertible, positive definite, with
    distinct eigen- and singular values, so every op here takes it."""
    m, n = x.shape[-2:]
    return np.eye(m, n, dtype=x.dtype) * np.arange(1, n + 1, dtype=x.dtype)


def _nan_where_nonfinite(op: Op, a: Any, b: Optional[Any] = None) -> Any:
    """op(a) (or op(a, b)), where each matrix of `a` that holds a NaN or an infinity gives NaN
    in all its results and in the gradients of all it read (of `b` too): the op runs on a
    stand-in for that matrix, and NaN times the sum of 0 * its entries is added to its
    results (recorded, so the NaN reaches the gradients); the other matrices get 0 added."""
    args = (a,) if b is None else (a, b)
    bad = _nonfinite(a)
    if not bad.any():
        return op(*args)
    x = _floats(a)
    picked = bad[..., None, None]
    op(np.where(picked, _stand_in(x), x), *map(data_of, args[1:]))  # raises before recording
    out = op(where(picked, _stand_in(x), a), *args[1:])
    batch = x.shape[:-2]
    core = len(shape_of(out)) - len(batch) if b is None else min(len(shape_of(b)), 2)

    def zero_or_nan(y: Any, k: int) -> Any:     # per k-D block of y, recorded: 0 * its sum
        with np.errstate(invalid="ignore"):     # (0 * inf)
            return reshape(total(y * 0.0, axis=tuple(range(-k, 0))),
                           shape_of(y)[:-k] + (1,) * core)
    zeros = zero_or_nan(a, 2) if b is None else zero_or_nan(a, 2) + zero_or_nan(b, core)
    nan = np.where(bad, np.nan, 0.0).astype(x.dtype).reshape(batch + (1,) * core)
    return out + nan * zeros


# ----- forwards on raw data: what LAPACK cannot do as a ValueError that says so ---------------
def _inverse(a: np.ndarray) -> np.ndarray:
    """The inverses, refusing a matrix singular to working precision: exactly (LAPACK's zero
    pivot) or with a reciprocal condition number in the 1-norm below eps."""
    try:
        inverse = np.linalg.inv(a)
    except LinAlgError:
        inverse = None
    if inverse is not None:
        def norm(m: np.ndarray) -> np.ndarray:
            return np.abs(m).sum(axis=-2).max(axis=-1, initial=0.0)
        with np.errstate(divide="ignore", over="ignore"):
            rcond = 1.0 / (norm(a) * norm(inverse))
        if not np.any(rcond < np.finfo(inverse.dtype).eps):
            return inverse
        detail = f" (its condition number reaches {1.0 / np.min(rcond):.3g})"
    else:
        detail = " (its determinant is 0)"
    raise ValueError(f"a matrix is singular to working precision{detail}, so no digit of the "
                     "result would be right; check the input, or add a small multiple of the "
                     "identity")


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _inverse(a)                                 # refuses what the solution cannot be right for
    return np.linalg.solve(a, b)


def _symmetric_part(a: np.ndarray) -> np.ndarray:
    """(a + a^T) / 2: what cholesky and eigh factor, so that their symmetric gradient is the
    gradient of what they compute (numpy reads one triangle, whose gradient is not symmetric)."""
    return (a + a.swapaxes(-1, -2)) * 0.5


def _cholesky(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.cholesky(_symmetric_part(a))
    except LinAlgError:
        raise ValueError("a matrix is not positive definite, so it has no Cholesky factor; "
                         "check the input, or add a small multiple of the identity") from None


def _eigh(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(_symmetric_part(a))
    return np.concatenate([w[..., None, :], v], axis=-2)       # packed: w on top of V


def _svd(a: np.ndarray) -> np.ndarray:
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([u, s[..., None, :], vh.swapaxes(-1, -2)], axis=-2)  # U, s, V


# ----- helpers of the VJPs (on raw arrays and on Values alike) -------------------------------
def _dtype(x: Any) -> np.dtype:
    return np.result_type(data_of(x))


def _as_matrix_scalars(x: Any) -> Any:
    """A stack of scalars (...) shaped (..., 1, 1), to scale a stack of matrices."""
    return reshape(x, shape_of(x) + (1, 1))


def _diag(v: Any) -> Any:
    """Diagonal matrices (..., n, n) from their diagonals (..., n)."""
    return expand_dims(v, -2) * np.eye(shape_of(v)[-1], dtype=_dtype(v))


def _may_be_nonzero(g: Any) -> bool:
    """Whether a part of an upstream gradient counts: a recorded one always does (its
    derivatives may not vanish), a raw one unless all zero (a loss that did not use it)."""
    return isinstance(g, Value) or bool(np.any(g))


def negligible(x: np.ndarray, scale: np.ndarray, n: int) -> np.ndarray:
    """Where |x| is 0 to working precision next to `scale` (the largest of n numbers, such as
    eigen- or singular values, each known to about n eps times the largest)."""
    return np.abs(x) <= n * np.finfo(x.dtype).eps * scale


def _equal_pairs(w: Any) -> np.ndarray:
    """Which pairs (i, j), i != j, of the values w (..., n) of each matrix are equal to
    working precision."""
    raw = np.asarray(data_of(w))
    n = raw.shape[-1]
    scale = np.abs(raw).max(axis=-1, initial=0.0)[..., None, None]
    return negligible(raw[..., None, :] - raw[..., :, None], scale, n) & ~np.eye(n, dtype=bool)


def _check_weights(name: str, what: str, equal: np.ndarray, g: Any) -> None:
    """Refuse a loss that weighs equal values differently: one of them alone is not
    differentiable where it meets another (their order flips), only functions symmetric in
    them are. Weights equal to within sqrt(eps) of the largest count as equal."""
    if not equal.any():
        return
    raw = np.asarray(data_of(g))
    spread = np.abs(raw[..., None, :] - raw[..., :, None])
    scale = np.abs(raw).max(axis=-1, initial=0.0)[..., None, None]
    if np.any(equal & (spread > np.sqrt(np.finfo(raw.dtype).eps) * scale)):
        raise ValueError(f"{name}: two {what} are equal (to working precision) and the loss "
                         f"weighs them differently; each of them alone has no gradient there, "
                         f"only functions symmetric in equal {what} (their sum, say) have one")


def _inverse_gaps(name: str, w: Any, equal: np.ndarray, what: str,
                  squares: bool = False) -> Any:
    """F[..., i, j] = 1 / (w_j - w_i) (1 / (w_j^2 - w_i^2) with `squares`) off the diagonal,
    0 on it. Values equal to working precision (`equal`) make F infinite or noise: the vectors
    that belong to them are not unique, and their gradient is refused."""
    if equal.any():
        raise ValueError(f"{name}: two {what} are equal (to working precision), so the vectors "
                         "that belong to them are not unique and their gradient (through "
                         f"1/(w_i - w_j)) does not exist; a loss of the {what} alone, "
                         "symmetric in the equal ones, has one")
    gaps = expand_dims(w, -2) - expand_dims(w, -1)
    if squares:
        gaps = gaps * (expand_dims(w, -2) + expand_dims(w, -1))
    eye = np.eye(shape_of(w)[-1], dtype=_dtype(w))
    return (1.0 - eye) / (gaps + eye)


def _cofactors(a: np.ndarray, det: Any) -> np.ndarray:
    """The cofactor matrices of a stack of matrices (the gradient of det), exact also where a
    matrix is singular: det(a) a^-T where det(a) != 0, else from the SVD a = U S Vh,
    det(U) det(Vh) U diag(prod_{j != i} s_j) Vh."""
    n = a.shape[-1]
    flat, dets = a.reshape(-1, n, n), np.reshape(det, -1)
    out = np.empty_like(flat)
    invertible = dets != 0
    if invertible.any():
        inverses = np.linalg.inv(flat[invertible])
        out[invertible] = dets[invertible, None, None] * inverses.swapaxes(-1, -2)
    if not invertible.all():
        u, s, vh = np.linalg.svd(flat[~invertible])
        others = np.where(np.eye(n, dtype=bool), 1.0, s[:, None, :]).prod(axis=-1)
        signs = np.sign(np.linalg.det(u) * np.linalg.det(vh))
        out[~invertible] = signs[:, None, None] * ((u * others[:, None, :]) @ vh)
    return out.reshape(a.shape)


# ----- VJPs --------------------------------------------------------------------------------
def _inv_vjp(g: Any, ans: Any, a: Any) -> Any:
    """d(a^-1) = -a^-1 da a^-1: -a^-T g a^-T."""
    return -(swap_last(ans) @ g @ swap_last(ans))


def _solve_vjp(g: Any, ans: Any, a: Any, b: Any) -> list:
    """x = a^-1 b: b's gradient is a^-T g, and a's is -(a^-T g) x^T."""
    if len(shape_of(b)) == 1:                  # one vector b: solved as a one-column matrix
        gb = solve(swap_last(a), expand_dims(g, -1))
        return [-(gb * expand_dims(ans, -2)), reshape(gb, shape_of(gb)[:-1])]
    gb = solve(swap_last(a), g)
    return [-(gb @ swap_last(ans)), gb]


def _det_vjp(g: Any, ans: Any, a: Any) -> Any:
    """d det(a) = det(a) tr(a^-1 da): g times the cofactor matrix, det(a) a^-T. Recorded
    (for a second derivative) through inv, which a singular matrix cannot go through."""
    if not isinstance(ans, Value):
        return _as_matrix_scalars(g) * _cofactors(a, ans)
    try:
        inverse = inv(a)
    except ValueError:
        raise ValueError("det: a matrix is singular (to working precision); det's gradient "
                         "there (the cofactor matrix) is computed to first order only, not "
                         "recorded for a second derivative") from None
    return _as_matrix_scalars(g * ans) * swap_last(inverse)


def _logabsdet_vjp(g: Any, ans: Any, a: Any) -> Any:
    """d log|det a| = tr(a^-1 da): g a^-T."""
    try:
        inverse = inv(a)
    except ValueError:
        raise ValueError("slogdet: a matrix is singular (to working precision), where log|det| "
                         "has no gradient") from None
    return _as_matrix_scalars(g) * swap_last(inverse)


def _cholesky_vjp(g: Any, ans: Any, a: Any) -> Any:
    """Murray's formula (arXiv:1602.07527), symmetrised as PyTorch's: with Phi the lower
    triangle of L^T g with its diagonal halved, the gradient is L^-T (Phi + Phi^T)/2 L^-1."""
    n = shape_of(a)[-1]
    eye = np.eye(n, dtype=_dtype(ans))
    phi = (swap_last(ans) @ g) * (np.tril(np.ones_like(eye)) - 0.5 * eye)
    x = solve(swap_last(ans), (phi + swap_last(phi)) * 0.5)           # L^-T S
    return swap_last(solve(swap_last(ans), swap_last(x)))             # L^-T S L^-1


def _eigh_vjp(g: Any, ans: Any, a: Any) -> Any:
    """a = V diag(w) V^T: V (diag(g_w) + sym(F * V^T g_V)) V^T, F_ij = 1 / (w_j - w_i)."""
    w, v = ans[..., 0, :], ans[..., 1:, :]
    gw, gv = g[..., 0, :], g[..., 1:, :]
    equal = _equal_pairs(w)
    _check_weights("eigh", "eigenvalues", equal, gw)
    inner = _diag(gw)
    if _may_be_nonzero(gv):
        x = _inverse_gaps("eigh", w, equal, "eigenvalues") * (swap_last(v) @ gv)
        inner = inner + (x + swap_last(x)) * 0.5
    return v @ inner @ swap_last(v)


def _svd_vjp(g: Any, ans: Any, a: Any) -> Any:
    """Townsend's formula for a = U diag(s) V^T (reduced), F_ij = 1 / (s_j^2 - s_i^2):
    U [(F * (U^T gU - gU^T U)) S + diag(gs) + S (F * (V^T gV - gV^T V))] V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T) (the last two for non-square a).
    A singular value that is 0 gets the subgradient 0, as |x| at 0 does (the least one)."""
    m, n = shape_of(a)[-2:]
    u, s, v = ans[..., :m, :], ans[..., m, :], ans[..., m + 1:, :]
    gu, gs, gv = g[..., :m, :], g[..., m, :], g[..., m + 1:, :]
    raw = np.asarray(data_of(s))
    zero = negligible(raw, raw.max(axis=-1, keepdims=True, initial=0.0), max(m, n))
    if zero.any():
        gs = where(zero, 0.0, gs)
    equal = _equal_pairs(s)
    _check_weights("svd", "singular values", equal, gs)
    vt = swap_last(v)
    inner = _diag(gs)
    with_u, with_v = _may_be_nonzero(gu), _may_be_nonzero(gv)
    if with_u or with_v:
        f = _inverse_gaps("svd", s, equal, "singular values", squares=True)
        if with_u:
            j = swap_last(u) @ gu
            inner = inner + (f * (j - swap_last(j))) * expand_dims(s, -2)
        if with_v:
            j = vt @ gv
            inner = inner + expand_dims(s, -1) * (f * (j - swap_last(j)))
    grad = u @ inner @ vt
    outside_u, outside_v = with_u and m > n, with_v and n > m
    if not (outside_u or outside_v):
        return grad
    if zero.any():
        raise ValueError("svd: a singular value is 0 (to working precision), where the "
                         "singular vectors of a non-square matrix have no gradient (through "
                         "1/s); a loss of the singular values alone has one")
    if outside_u:
        grad = grad + ((gu - u @ (swap_last(u) @ gu)) / expand_dims(s, -2)) @ vt
    if outside_v:
        grad = grad + u @ swap_last((gv - v @ (vt @ gv)) / expand_dims(s, -2))
    return grad


_inv_op = Op("inv", _inverse, _inv_vjp)
_solve_op = Op("solve", _solve, joint_vjp=_solve_vjp)
_det_op = Op("det", np.linalg.det, _det_vjp)
_logabsdet_op = Op("logabsdet", lambda a: np.linalg.slogdet(a)[1], _logabsdet_vjp)
_cholesky_op = Op("cholesky", _cholesky, _cholesky_vjp)
_eigh_op = Op("eigh", _eigh, _eigh_vjp)
_svd_op = Op("svd", _svd, _svd_vjp)


# ----- the public functions ----------------------------------------------------------------
def inv(a: Any) -> Any:
    """The inverse of each matrix of a stack (..., n, n); a matrix singular to working
    precision is refused.

    >>> x = Value(np.array([[2.0, 0.0], [0.0, 4.0]])); inv(x).data.tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    _square("inv", a)
    return _nan_where_nonfinite(_inv_op, a)


def solve(a: Any, b: Any) -> Any:
    """The x with a @ x = b, numpy's rules: b is one vector (n,) or matrices (..., n, k),
    their batch axes broadcast with a's. Gradients for both a and b; a matrix a singular to
    working precision is refused.

    >>> solve(Value(np.array([[2.0, 0.0], [0.0, 4.0]])), np.array([1.0, 1.0])).data.tolist()
    [0.5, 0.25]
    """
    sa, sb = _square("solve", a, "a"), shape_of(b)
    if not sb or sb[-1 if len(sb) == 1 else -2] != sa[-1]:
        raise ValueError(f"solve: b of shape {sb} does not fit a of shape {sa}: b is one "
                         f"vector ({sa[-1]},) or matrices of shape (..., {sa[-1]}, k)")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"solve: the batch axes of a {sa} and b {sb} cannot be broadcast "
                         "together") from None
    return _nan_where_nonfinite(_solve_op, a, b)


def det(a: Any) -> Any:
    """The determinant of each matrix of a stack (..., n, n). Its gradient, the cofactor
    matrix, is right also at a singular matrix (through the SVD), where a second derivative
    is refused. A 1x1 determinant is its entry (a reshape).

    >>> x = Value(np.array([[1.0, 2.0], [2.0, 4.0]])); d = det(x); d.backward(); x.grad
    array([[ 4., -2.],
           [-2.,  1.]])
    """
    shape = _square("det", a)
    if shape[-1] == 1:                  # the entry itself, NaN or not: its gradient is 1
        return reshape(a, shape[:-2])
    return _nan_where_nonfinite(_det_op, a)


def slogdet(a: Any) -> SlogdetResult:
    """The sign and the log of the absolute value of each determinant, as numpy's slogdet:
    det = sign * exp(logabsdet) without overflow. The sign is a constant (no gradient; 0 for
    a singular matrix, NaN for one holding NaN); logabsdet's gradient is a^-T, and a singular
    matrix (logabsdet = -inf) has none.

    >>> sign, logabsdet = slogdet(Value(np.array([[-2.0, 0.0], [0.0, 3.0]])))
    >>> sign.data, round(logabsdet.data, 4)
    (-1.0, 1.7918)
    """
    _square("slogdet", a)
    with no_grad():                     # an op (a compiled program finds each call's sign)
        sign = _sign_op(a)
    return SlogdetResult(sign, _nan_where_nonfinite(_logabsdet_op, a))


def _sign(a: np.ndarray) -> Any:
    """The sign of each determinant: 0 when singular, NaN for a matrix holding NaN."""
    x = _floats(a)
    bad = _nonfinite(x)
    sign = np.linalg.slogdet(np.where(bad[..., None, None], _stand_in(x), x))[0]
    return normalize(np.where(bad, np.nan, sign).astype(sign.dtype))


_sign_op = Op("slogdet_sign", _sign, lambda g, ans, a: where(False, a, 0.0))   # no gradient


def cholesky(a: Any, upper: bool = False) -> Any:
    """The Cholesky factor of each symmetric positive definite matrix: lower triangular L
    with a = L @ L^T (or upper U = L^T with a = U^T @ U, as numpy's `upper=True`).

    The input must be symmetric (to rounding; its symmetric part is factored) and positive
    definite, else it is refused; the gradient is symmetric, as in PyTorch.

    >>> cholesky(Value(np.array([[4.0, 2.0], [2.0, 2.0]]))).data.tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    _square("cholesky", a)
    _check_symmetric("cholesky", a)
    factor = _nan_where_nonfinite(_cholesky_op, a)
    return swap_last(factor) if upper else factor


def eigh(a: Any, UPLO: str = "L") -> EighResult:
    """The eigenvalues (ascending) and eigenvectors (columns) of each symmetric matrix:
    a = V @ diag(w) @ V^T.

    The input must be symmetric (to rounding; its symmetric part is factored), so numpy's
    `UPLO` (the triangle read) changes nothing; the gradient is symmetric, as in PyTorch. Each
    eigenvector's sign is arbitrary, and where eigenvalues repeat the eigenvectors are not
    unique: a loss that uses them, or weighs the equal eigenvalues differently, has no gradient
    there and is refused (see the module's notes).

    >>> w, v = eigh(Value(np.array([[2.0, 1.0], [1.0, 2.0]]))); w.data.round(6).tolist()
    [1.0, 3.0]
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    _square("eigh", a)
    _check_symmetric("eigh", a)
    packed = _nan_where_nonfinite(_eigh_op, a)
    return EighResult(packed[..., 0, :], packed[..., 1:, :])


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """The singular value decomposition a = U @ (S[..., None] * Vh) of each matrix (..., m, n),
    S descending, as numpy's; with `compute_uv=False` only S.

    Only the reduced SVD has a gradient, so a non-square matrix needs `full_matrices=False`
    (the columns `full_matrices=True` adds are any basis of a complement); for a square one
    both are the same. The signs of the pairs (u_i, v_i) are arbitrary, and where singular
    values repeat the vectors are not unique: a loss that uses U or Vh then has no gradient
    and is refused, as is one at a zero singular value of a non-square matrix (see the
    module's notes).

    >>> x = Value(np.array([[3.0, 0.0], [0.0, -4.0]])); s = svd(x, compute_uv=False)
    >>> s.data.tolist()
    [4.0, 3.0]
    """
    shape = shape_of(a)
    if len(shape) < 2:
        raise ValueError(f"svd: the input must be matrices of shape (..., m, n), got shape "
                         f"{shape}")
    m, n = shape[-2:]
    if full_matrices and compute_uv and m != n:
        raise ValueError(f"svd: full_matrices=True on non-square matrices {shape} adds columns "
                         "to U or rows to Vh that are any basis of a complement and have no "
                         "gradient; pass full_matrices=False for the reduced SVD")
    packed = _nan_where_nonfinite(_svd_op, a)
    s = packed[..., m, :]
    if not compute_uv:
        return s
    return SVDResult(packed[..., :m, :], s, swap_last(packed[..., m + 1:, :]))
