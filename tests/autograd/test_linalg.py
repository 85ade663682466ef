"""autograd.linalg beyond the op table's random draws: what is refused (non-square, singular to
working precision, not symmetric, not positive definite, gradients that do not exist where
eigen- or singular values repeat), what is kept (det's gradient at a singular matrix,
eigenvalues' gradient where they repeat, slogdet's sign), the svd variants, broadcasting in
solve, and NaN or inf in one matrix of a stack."""
import numpy as np
import pytest

import autograd as ag
from autograd import Value, linalg
from test_errors import raises_before_recording

GOOD = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 2.0]])   # SPD, eigenvalues apart


def _rotation(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


# ----- bad input -----------------------------------------------------------------------------
SQUARE_ONLY = [
    ("inv", linalg.inv), ("det", linalg.det), ("slogdet", linalg.slogdet),
    ("cholesky", linalg.cholesky), ("eigh", linalg.eigh),
    ("solve", lambda a: linalg.solve(a, np.ones(3))),
]


@pytest.mark.parametrize("name,fn", SQUARE_ONLY, ids=[s[0] for s in SQUARE_ONLY])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 2)])
def test_non_square_input_is_refused_before_recording(name, fn, shape):
    a = Value(np.ones(shape))
    with raises_before_recording(ValueError, match=f"{name}: .*square matrices of shape "
                                                   r"\(\.\.\., n, n\), got shape"):
        fn(a)


def test_svd_of_a_vector_is_refused():
    a = Value(np.ones(3))
    with raises_before_recording(ValueError, match=r"svd: .*matrices of shape \(\.\.\., m, n\)"):
        linalg.svd(a)


@pytest.mark.parametrize("sb,match", [
    ((4,), "b of shape \\(4,\\) does not fit a"), ((2, 4, 1), "does not fit"), ((), "does not fit"),
    ((4, 3, 1), "batch axes of a \\(2, 3, 3\\) and b \\(4, 3, 1\\) cannot be broadcast"),
])
def test_solve_refuses_b_that_does_not_fit(sb, match):
    a, b = Value(np.tile(GOOD, (2, 1, 1))), Value(np.ones(sb))
    with raises_before_recording(ValueError, match=match):
        linalg.solve(a, b)


SINGULAR = [
    np.array([[1.0, 2.0], [2.0, 4.0]]),                                    # exactly
    (_rotation(2, 0) * [1.0, 1e-17]) @ _rotation(2, 1).T,                  # to working precision
    np.stack([GOOD[:2, :2], np.zeros((2, 2))]),                            # one of a stack
]


@pytest.mark.parametrize("a", SINGULAR, ids=["exactly", "numerically", "in-a-stack"])
def test_inv_and_solve_refuse_matrices_singular_to_working_precision(a):
    x = Value(a)
    with raises_before_recording(ValueError, match="inv: a matrix is singular to working "
                                                   "precision.*no digit of the result"):
        linalg.inv(x)
    with raises_before_recording(ValueError, match="solve: a matrix is singular"):
        linalg.solve(x, np.ones(2))


def test_the_singularity_threshold_is_the_dtypes():
    """Condition number 1e9: fine in float64 (about 7 digits right), none right in float32."""
    a = (_rotation(2, 2) * [1.0, 1e-9]) @ _rotation(2, 3).T
    np.testing.assert_allclose(linalg.inv(Value(a)).data @ a, np.eye(2), atol=1e-6)
    with pytest.raises(ValueError, match="condition number reaches"):
        linalg.inv(Value(a.astype(np.float32)))


def test_cholesky_and_eigh_refuse_matrices_that_are_not_symmetric():
    a = Value(GOOD + np.triu(np.full((3, 3), 0.1), 1))
    for name, fn in [("cholesky", linalg.cholesky), ("eigh", linalg.eigh)]:
        with raises_before_recording(ValueError, match=f"{name}: the matrix is not symmetric "
                                                       r".*pass \(a \+ a\^T\) / 2"):
            fn(a)
    linalg.eigh(Value(GOOD + np.triu(np.full((3, 3), 1e-12), 1)))      # rounding is let through


def test_cholesky_refuses_a_matrix_that_is_not_positive_definite():
    a = Value(np.stack([GOOD, -GOOD]))
    with raises_before_recording(ValueError, match="cholesky: a matrix is not positive "
                                                   "definite"):
        linalg.cholesky(a)


def test_eigh_checks_uplo():
    linalg.eigh(Value(GOOD), UPLO="U")
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U', got 'X'"):
        linalg.eigh(Value(GOOD), UPLO="X")


# ----- solve's broadcasting ------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((2, 1, 3, 3), (4, 3, 2)), ((2, 3, 3), (3,)),
                                   ((3, 3), (2, 3, 1))])
def test_solve_broadcasts_batches_as_numpy_with_torchs_gradients(sa, sb):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, sa) + 4 * np.eye(3)
    y = rng.uniform(-1, 1, sb)
    a, b = Value(x), Value(y)
    out = linalg.solve(a, b)
    np.testing.assert_allclose(out.data, np.linalg.solve(x, y), rtol=1e-12)
    g = rng.uniform(-1, 1, out.shape)
    out.backward(g)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    t_out = (torch.linalg.solve(tx, ty[:, None])[..., 0] if len(sb) == 1
             else torch.linalg.solve(tx, ty))
    t_out.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad, ty.grad.numpy(), rtol=1e-10, atol=1e-12)


# ----- det and slogdet -----------------------------------------------------------------------
def _cofactors_by_minors(a):
    n = a.shape[0]
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1))
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("a", [
    np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),      # rank 2
    np.outer([1.0, 2.0, -1.0], [0.5, 1.0, 3.0]),                          # rank 1: cofactors 0
    np.zeros((3, 3)),
], ids=["rank-2", "rank-1", "zero"])
def test_det_gradient_at_a_singular_matrix_is_the_cofactor_matrix(a):
    x = Value(a)
    d = linalg.det(x)
    assert abs(d.data) < 1e-12
    d.backward()
    np.testing.assert_allclose(x.grad, _cofactors_by_minors(a), atol=1e-12)


def test_det_second_derivative_at_a_singular_matrix_is_refused():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="det: a matrix is singular.*first order only"):
        linalg.det(Value(a)).backward(create_graph=True)
    with pytest.raises(ValueError, match="det: a matrix is singular.*first order only"):
        ag.grad(lambda z: (ag.grad(linalg.det)(z) ** 2).sum())(a)


def test_det_of_a_one_by_one_matrix_is_its_entry():
    x = Value(np.array([[[2.5]], [[np.nan]]]))
    d = linalg.det(x)
    np.testing.assert_array_equal(d.data, [2.5, np.nan])
    d.backward(np.array([3.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [[[3.0]], [[-1.0]]])     # d det / d a = 1, NaN or not


def test_slogdet_sign_and_log_of_each_determinant():
    stack = np.stack([np.diag([-2.0, 3.0]), np.diag([2.0, 3.0]), np.zeros((2, 2)),
                      np.full((2, 2), np.nan)])
    x = Value(stack)
    sign, logabsdet = linalg.slogdet(x)
    np.testing.assert_array_equal(sign.data, [-1.0, 1.0, 0.0, np.nan])
    np.testing.assert_allclose(logabsdet.data, [np.log(6.0), np.log(6.0), -np.inf, np.nan])
    assert not sign.requires_grad and logabsdet.requires_grad
    with pytest.raises(ValueError, match="slogdet: a matrix is singular.*no gradient"):
        logabsdet.backward(np.ones(4))
    y = Value(stack[:2].astype(np.float32))
    sign32, log32 = linalg.slogdet(y)
    assert sign32.dtype == np.float32 and log32.dtype == np.float32
    log32.backward(np.ones(2, dtype=np.float32))
    np.testing.assert_allclose(y.grad, np.linalg.inv(stack[:2]).swapaxes(-1, -2), rtol=1e-6)
    s, = linalg.slogdet(Value(np.diag([-1.0, 1.0])))[:1]
    assert type(s.data) is float and s.data == -1.0


# ----- cholesky ------------------------------------------------------------------------------
def test_cholesky_upper_is_the_transpose_with_torchs_gradient():
    torch = pytest.importorskip("torch")
    x = Value(GOOD)
    u = linalg.cholesky(x, upper=True)
    np.testing.assert_allclose(u.data, np.linalg.cholesky(GOOD).T, rtol=1e-12)
    np.testing.assert_allclose(u.data.T @ u.data, GOOD, rtol=1e-12)
    g = np.triu(np.arange(9.0).reshape(3, 3))
    u.backward(g)
    t = torch.tensor(GOOD, requires_grad=True)
    torch.linalg.cholesky(t, upper=True).backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-10)


# ----- eigh and svd where values repeat ------------------------------------------------------
REPEATED = [np.eye(3), (_rotation(3, 5) * [1.0, 1.0, 2.0]) @ _rotation(3, 5).T]


@pytest.mark.parametrize("a", REPEATED, ids=["identity", "equal-to-rounding"])
def test_eigh_where_eigenvalues_repeat(a):
    """Symmetric functions of equal eigenvalues keep their gradient; a loss weighing them
    differently, or using the eigenvectors, has none and is refused."""
    a = (a + a.T) / 2
    x = Value(a)
    w, v = linalg.eigh(x)
    (w ** 2).sum().backward()                               # the squared Frobenius norm
    np.testing.assert_allclose(x.grad, 2 * a, atol=1e-12)
    for loss, match in [(lambda w, v: (w * np.array([1.0, -2.0, 0.5])).sum(), "weighs them "
                         "differently; each of them alone has no gradient"),
                        (lambda w, v: (v[:, 0] ** 2).sum(), "vectors that belong to them are "
                         "not unique")]:
        w, v = linalg.eigh(Value(a))
        with pytest.raises(ValueError, match=f"eigh: two eigenvalues are equal .*{match}"):
            loss(w, v).backward()


def test_svd_where_singular_values_repeat():
    a = 2.0 * _rotation(3, 6)                  # every singular value is 2
    x = Value(a)
    linalg.svd(x, compute_uv=False).sum().backward()
    u, _, vh = np.linalg.svd(a)
    np.testing.assert_allclose(x.grad, u @ vh, atol=1e-12)          # d sum(s) = U Vh
    s = linalg.svd(Value(a), compute_uv=False)
    with pytest.raises(ValueError, match="svd: two singular values are equal .*weighs them"):
        (s * np.array([1.0, 2.0, 3.0])).sum().backward()
    u, s, vh = linalg.svd(Value(a))
    with pytest.raises(ValueError, match="svd: two singular values are equal .*not unique"):
        (u ** 2 * s).sum().backward()


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
def test_a_zero_singular_value_gets_the_subgradient_zero(shape):
    """sum(s) (the nuclear norm) at a rank-1 matrix: u_1 v_1^T, nothing of the null spaces."""
    u1, v1 = np.ones(shape[0]) / np.sqrt(shape[0]), np.arange(1.0, shape[1] + 1)
    v1 /= np.linalg.norm(v1)
    x = Value(3.0 * np.outer(u1, v1))
    linalg.svd(x, compute_uv=False).sum().backward()
    np.testing.assert_allclose(x.grad, np.outer(u1, v1), atol=1e-12)


def test_svd_vectors_of_a_non_square_matrix_at_a_zero_singular_value_are_refused():
    a = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])            # s = (1, 0), tall
    u, s, vh = linalg.svd(Value(a), full_matrices=False)
    with pytest.raises(ValueError, match="svd: a singular value is 0"):
        (u ** 3).sum().backward()


def test_svd_vectors_of_a_square_matrix_at_one_zero_singular_value_match_torch():
    torch = pytest.importorskip("torch")
    a = (_rotation(3, 7) * [3.0, 1.0, 0.0]) @ _rotation(3, 8).T
    x = Value(a)
    u, s, vh = linalg.svd(x)
    (u[:, :2] ** 3).sum().backward()
    t = torch.tensor(a, requires_grad=True)
    tu, ts, tvh = torch.linalg.svd(t)
    (tu[:, :2] ** 3).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-8, atol=1e-10)


# ----- svd's variants ------------------------------------------------------------------------
def test_svd_full_matrices_on_a_square_matrix_is_the_reduced_svd():
    a = (_rotation(3, 9) * [3.0, 2.0, 0.5]) @ _rotation(3, 10).T
    parts = []
    for full in (True, False):
        x = Value(a)
        u, s, vh = linalg.svd(x, full_matrices=full)
        (u * vh.T * s).sum().backward()
        parts.append((u.data, s.data, vh.data, x.grad))
    for p, q in zip(*parts):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("shape", [(2, 3), (4, 3, 2)])
def test_svd_full_matrices_on_a_non_square_matrix_is_refused_unless_only_values(shape):
    a = Value(np.arange(np.prod(shape), dtype=float).reshape(shape) % 5 + np.eye(*shape[-2:]))
    with raises_before_recording(ValueError, match="full_matrices=True on non-square matrices "
                                                   ".*pass full_matrices=False"):
        linalg.svd(a)
    s = linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(s.data, np.linalg.svd(a.data, compute_uv=False), rtol=1e-12)
    u, s, vh = linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(u.data @ (s.data[..., None] * vh.data), a.data, atol=1e-12)


# ----- NaN and inf ---------------------------------------------------------------------------
def _eigh_parts(x):
    w, v = linalg.eigh(x)
    return v * v * ag.expand_dims(w, -2)


def _svd_parts(x):
    u, s, vh = linalg.svd(x)
    return u * u * ag.expand_dims(s, -2) + vh


NAN_FNS = [
    ("inv", linalg.inv), ("solve", lambda x: linalg.solve(x, np.arange(6.0).reshape(3, 2))),
    ("det", linalg.det), ("slogdet", lambda x: linalg.slogdet(x).logabsdet),
    ("cholesky", linalg.cholesky), ("cholesky-upper", lambda x: linalg.cholesky(x, upper=True)),
    ("eigh", _eigh_parts), ("svd", _svd_parts),
    ("svd-values", lambda x: linalg.svd(x, compute_uv=False)),
]


@pytest.mark.parametrize("name,fn", NAN_FNS, ids=[n[0] for n in NAN_FNS])
@pytest.mark.parametrize("poison", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("pos", [(0, 0), (0, 2), (2, 1)])
def test_a_matrix_holding_nan_or_inf_gives_nan_and_leaves_the_others_alone(name, fn, poison,
                                                                           pos):
    bad = GOOD.copy()
    bad[pos] = poison
    x = Value(np.stack([GOOD, bad]))
    out = fn(x)
    g = np.random.default_rng(11).uniform(-1, 1, out.shape)
    out.backward(g)
    alone = Value(GOOD)
    expected = fn(alone)
    expected.backward(g[0])
    np.testing.assert_array_equal(out.data[0], expected.data)
    np.testing.assert_array_equal(x.grad[0], alone.grad)
    assert np.isnan(out.data[1]).all() and np.isnan(x.grad[1]).all()


def test_solve_gives_b_nan_gradients_where_a_holds_nan():
    a = np.stack([GOOD, np.full((3, 3), np.nan)])
    b = Value(np.ones((3, 1)))
    linalg.solve(Value(a), b).sum().backward()
    assert np.isnan(b.grad).all()


def test_a_bad_matrix_beside_a_nan_one_is_refused_before_recording():
    x = Value(np.stack([np.full((3, 3), np.nan), np.zeros((3, 3))]))
    with raises_before_recording(ValueError, match="inv: a matrix is singular"):
        linalg.inv(x)


def test_raw_arrays_give_raw_results():
    u, s, vh = linalg.svd(GOOD)
    assert type(u) is np.ndarray and type(s) is np.ndarray
    np.testing.assert_allclose(linalg.inv(GOOD) @ GOOD, np.eye(3), atol=1e-12)
    sign, logabsdet = linalg.slogdet(GOOD)
    assert sign == 1.0 and logabsdet == pytest.approx(np.log(np.linalg.det(GOOD)))


def test_check_ops_finds_every_linalg_vjp_right():
    """Each op alone against central differences of its forward, entry by entry: one entry
    of a symmetric matrix moved too (cholesky and eigh factor the symmetric part, so their
    symmetric gradient is the gradient of what they compute)."""
    a = Value(GOOD)
    b = Value(np.arange(6.0).reshape(3, 2) / 5 + 0.3)
    w, v = linalg.eigh(a)
    u, s, vh = linalg.svd(b, full_matrices=False)
    loss = (linalg.inv(a).sum() + linalg.solve(a, b).sum() + linalg.det(a)
            + linalg.slogdet(a).logabsdet + (linalg.cholesky(a, upper=True) ** 2).sum()
            + (v ** 2 * w).sum() + (u ** 2 * s).sum() + (vh ** 3).sum())
    assert ag.check_ops(loss) == []
