"""What the op table cannot express for prod, cumsum, cumprod, var, std, norm, sort, topk and
the index functions: zeros against PyTorch (first and second order), documented conventions
(subgradients, ties, NaN, infinities), exact results where division would fail, the errors,
and the integer results of argmax, argmin and argsort."""
import math

import numpy as np
import pytest

import autograd as ag
from autograd import Value, grad

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison tests "
                                            "need it (pip install torch==2.13.0)")

RNG = np.random.default_rng(14)


def _ours(f, x, v):
    """f(x), its gradient for upstream 1 (f returns a scalar) and its Hessian times v."""
    value = Value(x)
    out = f(value)
    out.backward()
    hv = grad(lambda y: (grad(f)(y) * v).sum())(x)
    return out.data, value.grad, hv


def _torch(f, x, v):
    t = torch.tensor(x, requires_grad=True)
    out = f(t)
    (g,) = torch.autograd.grad(out, t, create_graph=True)
    (hv,) = torch.autograd.grad((g * torch.tensor(v)).sum(), t)
    return out.detach().numpy(), g.detach().numpy(), hv.numpy()


def _assert_like_torch(f, tf, x):
    v = RNG.standard_normal(np.shape(x))
    for ours, theirs, what in zip(_ours(f, x, v), _torch(tf, x, v),
                                  ["value", "gradient", "Hessian-vector product"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, err_msg=what)


# ----- prod and cumprod with zeros --------------------------------------------------------------
ZEROS = [
    np.array([2.0, 0.0, 3.0, -1.5]),                        # one zero
    np.array([0.0, 2.0, 0.0, 3.0]),                         # two
    np.array([0.0, 0.0, 0.0]),                              # all
    np.array([[1.5, 0.0, 2.0], [0.0, 0.0, -3.0], [2.0, 0.5, 4.0]]),
]
WEIGHTS = np.array([0.3, -1.1, 0.7, 2.0])


@pytest.mark.parametrize("x", ZEROS, ids=["one-zero", "two-zeros", "all-zeros", "matrix"])
def test_prod_at_zeros_matches_torch_to_second_order(x):
    _assert_like_torch(lambda v: v.prod(), lambda t: t.prod(), x)
    if x.ndim == 2:
        for axis in (0, 1):
            w = WEIGHTS[:3]
            _assert_like_torch(lambda v: (v.prod(axis) * w).sum(),
                               lambda t: (t.prod(axis) * torch.tensor(w)).sum(), x)


@pytest.mark.parametrize("x", ZEROS, ids=["one-zero", "two-zeros", "all-zeros", "matrix"])
def test_cumprod_at_zeros_matches_torch_to_second_order(x):
    for axis in range(x.ndim):
        w = RNG.standard_normal(x.shape)
        _assert_like_torch(lambda v: (ag.cumprod(v, axis) * w).sum(),
                           lambda t: (t.cumprod(axis) * torch.tensor(w)).sum(), x)


def test_prod_gradient_is_the_product_of_the_others_in_closed_form():
    x = Value(np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 5.0]]))
    x.prod(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 0.0], [0.0, 15.0, 0.0]])
    # d2/dx_i dx_j prod(x) = product of the entries other than i and j: nonzero for the zeros
    hessian_row = grad(lambda y: grad(lambda z: z.prod())(y)[0])(np.array([0.0, 0.0, 3.0]))
    np.testing.assert_array_equal(hessian_row, [0.0, 3.0, 0.0])


def test_prod_divides_by_nothing():
    """The product underflows to 0, yet each entry's gradient, the product of the others, is
    a normal number; dividing the product by x would give 0."""
    x = Value(np.array([1e-300, 1e-300, 2.0]))
    x.prod().backward()
    assert x.grad[0] == 2e-300 and x.grad[1] == 2e-300
    y = Value(np.array([1e-300, 1e-300, 2.0]))
    running = y.cumprod()
    running.sum().backward()
    assert running.data[1] == 0.0 and y.grad[1] == pytest.approx(3e-300, rel=1e-12, abs=0.0)


def test_prod_at_an_infinity_gives_the_product_of_the_others():
    x = Value(np.array([2.0, np.inf, 3.0]))
    x.prod().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 6.0, np.inf])


def test_a_nan_poisons_its_slice_even_beside_a_zero():
    """The documented rule (PyTorch's when the input has no zero; with a zero somewhere,
    PyTorch gives the NaN entry the product of the others instead)."""
    x = Value(np.array([[1.0, np.nan, 0.0], [2.0, 3.0, 0.0]]))
    x.prod(axis=1).sum().backward()
    assert np.isnan(x.grad[0]).all()
    np.testing.assert_array_equal(x.grad[1], [0.0, 0.0, 6.0])
    y = Value(np.array([1.0, np.nan, 2.0]))
    y.cumprod().sum().backward()
    assert np.isnan(y.grad).all()


def test_cumsum_gradient_sums_from_the_end_and_ignores_nan():
    x = Value(np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]]))
    (x.cumsum(axis=1) * np.array([1.0, 10.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[111.0, 110.0, 100.0]] * 2)
    flat = Value(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(flat.cumsum().data, [1.0, 3.0, 6.0, 10.0])


# ----- var and std ----------------------------------------------------------------------------
def test_std_gradient_at_zero_spread_is_zero_as_in_torch():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 7.0]])
    value = Value(x)
    value.std(axis=1, ddof=1).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    t.std(dim=1, correction=1).sum().backward()
    np.testing.assert_array_equal(value.grad[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(value.grad, t.grad.numpy(), rtol=1e-12)


def test_var_and_std_keep_numpys_results_and_dtypes():
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    for f, ref in [(ag.var, np.var), (ag.std, np.std)]:
        out = f(Value(x), axis=0, ddof=1, keepdims=True)
        assert out.dtype == np.float32 and out.shape == (1, 4)
        np.testing.assert_allclose(out.data, ref(x, axis=0, ddof=1, keepdims=True), rtol=1e-6)
    assert type(ag.var(Value(3.0)).data) is float


def test_var_and_std_refuse_what_has_no_degrees_of_freedom():
    with pytest.raises(ValueError, match=r"var: ddof=2 .* 2 entries \(N - ddof must be positive\)"):
        ag.var(Value(np.ones(2)), ddof=2)
    with pytest.raises(ValueError, match=r"std: ddof=1 .* 1 entry"):
        ag.std(Value(np.ones((3, 1))), axis=1, ddof=1)
    with pytest.raises(TypeError, match="var: ddof must be a number"):
        ag.var(Value(np.ones(3)), ddof="1")
    with pytest.raises(TypeError, match="std: keepdims must be True or False"):
        ag.std(Value(np.ones(3)), keepdims=np.float64)
    with pytest.raises(TypeError):
        Value(np.ones(3)).var(0, None)          # numpy's positional dtype is not read as ddof


# ----- norm -----------------------------------------------------------------------------------
VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1.5]
MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


def _norm_grads(x, ord, axis):
    value = Value(x)
    out = ag.norm(value, ord, axis)
    out.sum().backward()
    t = torch.tensor(x, requires_grad=True)
    t_out = torch.linalg.norm(t, ord, dim=axis)
    t_out.sum().backward()
    t_grad = t.grad.numpy() if t.grad is not None else np.zeros_like(x)
    return out.data, value.grad, t_out.detach().numpy(), t_grad


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norm_subgradients_at_zero_match_torch(ord):
    for x in [np.zeros(3), np.array([0.0, -2.0, 0.0, 1.5]), np.array([[0.0, 3.0], [0.0, 0.0]])]:
        out, g, t_out, t_grad = _norm_grads(x, ord, -1)
        np.testing.assert_allclose(out, t_out, rtol=1e-12, err_msg=f"ord={ord}, x={x}")
        np.testing.assert_allclose(g, t_grad, rtol=1e-12, err_msg=f"ord={ord}, x={x}")


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norm_subgradients_at_zero_and_ties_match_torch(ord):
    for x in [np.zeros((2, 3)), np.array([[1.0, -2.0], [-2.0, 1.0]]),
              np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])]:
        for axis in [(0, 1), (1, 0)]:
            out, g, t_out, t_grad = _norm_grads(x, ord, axis)
            np.testing.assert_allclose(out, t_out, rtol=1e-12)
            np.testing.assert_allclose(g, t_grad, rtol=1e-12, err_msg=f"ord={ord}, x={x}")


def test_vector_inf_norm_shares_the_gradient_between_ties_as_torch():
    out, g, t_out, t_grad = _norm_grads(np.array([3.0, -3.0, 1.0]), np.inf, 0)
    np.testing.assert_array_equal(g, [0.5, -0.5, 0.0])
    np.testing.assert_array_equal(g, t_grad)


def test_norms_neither_overflow_nor_underflow():
    for scale in (1e200, 1e-200):
        x = np.array([3.0, -4.0]) * scale
        assert ag.norm(Value(x)).data == pytest.approx(5.0 * scale, rel=1e-15)
        assert ag.norm(Value(x), 3).data == pytest.approx(91.0 ** (1 / 3) * scale, rel=1e-15)
        assert ag.norm(Value(x), -1.5).data == pytest.approx(
            (3.0 ** -1.5 + 4.0 ** -1.5) ** (-1 / 1.5) * scale, rel=1e-15)
        assert ag.norm(Value(x.reshape(1, 2)), "fro").data == pytest.approx(5.0 * scale)
    big = Value(np.array([1e200, 1e200]))
    ag.norm(big).backward()
    np.testing.assert_allclose(big.grad, [2 ** -0.5] * 2, rtol=1e-15)


def test_norm_keeps_float32_and_numpys_shapes():
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    for ord, axis in [(None, None), (None, 1), (1, (2, 0)), (np.inf, (0, 1)), (0, -1),
                      (0.5, 2), ("fro", (1, 2)), (2, (0, 2)), (-2, (-1, 1)), ("nuc", (2, -3))]:
        for keepdims in (False, True):
            out = ag.norm(Value(x), ord, axis, keepdims)
            ref = np.linalg.norm(x, ord, axis, keepdims)
            assert out.dtype == np.float32 and out.shape == np.shape(ref)
            np.testing.assert_allclose(out.data, ref, rtol=1e-5)


def _separated_matrices(batch, m, n):
    """U diag(s) V^T (..., m, n) with singular values about 1, 2, 3, ... (well separated)."""
    k = min(m, n)
    u = np.linalg.qr(RNG.standard_normal(batch + (m, k)))[0]
    v = np.linalg.qr(RNG.standard_normal(batch + (n, k)))[0]
    s = np.arange(k, 0, -1) + RNG.uniform(-0.2, 0.2, batch + (k,))
    return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("ord", [2, -2, "nuc"], ids=str)
def test_singular_value_norms_match_torch_on_batches_over_any_two_axes(ord, dtype):
    tol = dict(rtol=1e-10, atol=1e-12) if dtype is np.float64 else dict(rtol=2e-5, atol=2e-6)
    for m, n in [(3, 3), (4, 2), (2, 5)]:
        a = _separated_matrices((2, 3), m, n)              # matrices on the last two axes
        for where, axis in [((2, 3), (-2, -1)), ((0, 2), (0, 2)), ((3, 1), (-1, 1))]:
            x = np.moveaxis(a, (2, 3), where).astype(dtype)
            for keepdims in (False, True):
                ref = np.linalg.norm(x, ord, axis, keepdims)
                w = RNG.standard_normal(ref.shape).astype(dtype)
                value = Value(x)
                out = ag.norm(value, ord, axis, keepdims)
                (out * w).sum().backward()
                t = torch.tensor(x, requires_grad=True)
                (torch.linalg.matrix_norm(t, ord, dim=axis, keepdim=keepdims)
                 * torch.tensor(w)).sum().backward()
                assert out.shape == ref.shape and out.dtype == dtype and value.grad.dtype == dtype
                np.testing.assert_allclose(out.data, ref, **tol)
                np.testing.assert_allclose(value.grad, t.grad.numpy(), **tol)
    x = _separated_matrices((2,), 3, 4)                    # and the second order, in float64
    _assert_like_torch(lambda v: (ag.norm(v, ord, (1, 2)) * WEIGHTS[:2]).sum(),
                       lambda t: (torch.linalg.matrix_norm(t, ord) * torch.tensor(WEIGHTS[:2])
                                  ).sum(), x)


def test_a_repeated_largest_or_smallest_singular_value_has_no_gradient():
    """The value is numpy's; the gradient is refused, in norm's words, where the singular value
    the order picks is repeated, and not where another one is (or for 'nuc', their sum)."""
    eye, tall = np.eye(3), np.diag([3.0, 1.0, 1.0])
    for x, ord, which in [(eye, 2, "largest"), (eye, -2, "smallest"), (tall, -2, "smallest"),
                          (eye.astype(np.float32), 2, "largest")]:
        value = Value(x)
        out = ag.norm(value, ord)
        assert out.data == np.linalg.norm(x, ord)
        with pytest.raises(ValueError, match=rf"norm: ord={ord} is the {which} singular value, "
                           r"which is repeated \(to working precision\) in the matrix \("
                           r"singular values \[.*\]\); the norm has a kink"):
            out.backward()
    for x, ord, expected in [(tall, 2, np.diag([1.0, 0.0, 0.0])), (eye, "nuc", eye)]:
        value = Value(x)
        ag.norm(value, ord).backward()
        t = torch.tensor(x, requires_grad=True)
        torch.linalg.matrix_norm(t, ord).backward()
        np.testing.assert_allclose(value.grad, expected, atol=1e-15)
        np.testing.assert_allclose(value.grad, t.grad.numpy(), atol=1e-15)


def test_a_repeated_singular_value_is_refused_only_in_the_matrices_the_loss_uses():
    stack = Value(np.stack([np.diag([3.0, 1.0]), np.eye(2), np.diag([2.0, 0.5])]))
    with pytest.raises(ValueError, match=r"in the matrix at index \(1,\) of the batch"):
        ag.norm(stack, 2, axis=(1, 2)).sum().backward()
    (ag.norm(stack, 2, axis=(1, 2)) * np.array([1.0, 0.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(stack.grad, [[[1.0, 0.0], [0.0, 0.0]], np.zeros((2, 2)),
                                               [[2.0, 0.0], [0.0, 0.0]]])


def test_a_zero_singular_value_gets_the_subgradient_zero():
    """As svd's: ord=-2 of a singular matrix and ord=2 and 'nuc' of a zero one have gradient 0
    (torch picks other subgradients there), and 'nuc' of a low-rank matrix gets U_r V_r^T."""
    for x, ord in [(np.diag([2.0, 0.0, 0.0]), -2), (np.diag([2.0, 1.0, 0.0]), -2),
                   (np.zeros((2, 3)), 2), (np.zeros((2, 3)), "nuc")]:
        value = Value(x)
        out = ag.norm(value, ord)
        out.backward()
        assert out.data == 0.0 and np.array_equal(value.grad, np.zeros_like(x))
    u, v = np.array([0.6, 0.8, 0.0]), np.array([0.0, 1.0])
    value = Value(3.0 * np.outer(u, v))
    ag.norm(value, "nuc").backward()
    np.testing.assert_allclose(value.grad, np.outer(u, v), atol=1e-15)


def test_singular_value_norms_of_empty_and_non_finite_matrices():
    for ord in (2, "nuc"):                                 # numpy's 0 (no singular values)
        value = Value(np.zeros((2, 0, 3)))
        out = ag.norm(value, ord, axis=(1, 2))
        out.sum().backward()
        np.testing.assert_array_equal(out.data, np.linalg.norm(np.zeros((2, 0, 3)), ord, (1, 2)))
        assert value.grad.shape == (2, 0, 3)
    with pytest.raises(ValueError, match=r"norm: ord=-2 .* matrices of shape \(0, 3\) .* are "
                                         "empty and have none"):
        ag.norm(Value(np.zeros((0, 3))), -2)
    x = np.stack([np.array([[1.0, np.inf], [2.0, 3.0]]), np.diag([1.0, 2.0])])
    for ord in (2, -2, "nuc"):                             # an infinity: NaN, as numpy's
        value = Value(x)
        out = ag.norm(value, ord, axis=(1, 2))
        out.sum().backward()
        np.testing.assert_array_equal(out.data, np.linalg.norm(x, ord, (1, 2)))
        assert np.isnan(value.grad[0]).all() and not np.isnan(value.grad[1]).any()


def test_norm_refuses_orders_and_axes_numpy_refuses():
    v = Value(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="norm: ord='fro' is not a vector norm order"):
        ag.norm(v, "fro", axis=0)
    with pytest.raises(ValueError, match="norm: ord=3 is not a matrix norm order"):
        ag.norm(v, 3, axis=(0, 1))
    with pytest.raises(ValueError, match=r"norm: ord=1 with axis=None needs a 1-D .* \(2, 2, 2\)"):
        ag.norm(v, 1)
    with pytest.raises(ValueError, match="norm: axis .* names 3 axes"):
        ag.norm(v, axis=(0, 1, 2))
    with pytest.raises(ValueError, match="names the same axis twice"):
        ag.norm(v, axis=(0, -3))
    with pytest.raises(ValueError, match="norm: axis 3 is out of range"):
        ag.norm(v, axis=3)


# ----- sort, topk and the index functions -------------------------------------------------------
def test_sort_ties_keep_their_order_and_get_their_own_gradient_as_torch_stable():
    x = np.array([[2.0, 1.0, 2.0, 1.0, 2.0], [0.5, 0.5, -1.0, 0.5, 3.0]])
    w = RNG.standard_normal(x.shape)
    for descending in (False, True):
        value = Value(x)
        (ag.sort(value, 1, descending=descending) * w).sum().backward()
        t = torch.tensor(x, requires_grad=True)
        (torch.sort(t, dim=1, descending=descending, stable=True).values * torch.tensor(w)).sum(
        ).backward()
        np.testing.assert_array_equal(value.grad, t.grad.numpy())
        np.testing.assert_array_equal(ag.argsort(x, 1, descending=descending),
                                      torch.sort(t, dim=1, descending=descending,
                                                 stable=True).indices.numpy())


def test_sort_puts_nan_last_as_numpy_and_first_when_descending_as_torch():
    x = np.array([3.0, np.nan, 1.0, np.nan, 2.0])
    np.testing.assert_array_equal(ag.sort(Value(x)).data, np.sort(x))
    np.testing.assert_array_equal(ag.sort(Value(x), descending=True).data,
                                  torch.sort(torch.tensor(x), descending=True).values.numpy())
    np.testing.assert_array_equal(ag.argsort(x), np.argsort(x, kind="stable"))
    assert ag.sort(Value(x.reshape(5, 1)), axis=None).shape == (5,)


def test_topk_matches_torch_topk_without_ties():
    x = RNG.permutation(24).reshape(2, 3, 4) / 7.0
    w = RNG.standard_normal((2, 2, 4))
    for largest in (True, False):
        value = Value(x)
        values, indices = ag.topk(value, 2, axis=1, largest=largest)
        (values * w).sum().backward()
        t = torch.tensor(x, requires_grad=True)
        t_values, t_indices = torch.topk(t, 2, dim=1, largest=largest)
        (t_values * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(values.data, t_values.detach().numpy())
        np.testing.assert_array_equal(indices, t_indices.numpy())
        np.testing.assert_array_equal(value.grad, t.grad.numpy())
        assert type(indices) is np.ndarray and indices.dtype.kind == "i"


def test_topk_unsorted_keeps_the_order_along_the_axis_and_ties_go_by_position():
    values, indices = Value(np.array([1.0, 5.0, 3.0, 5.0, 4.0])).topk(3, sorted=False)
    np.testing.assert_array_equal(indices, [1, 3, 4])
    np.testing.assert_array_equal(values.data, [5.0, 5.0, 4.0])
    assert ag.topk(Value(np.array([2.0, 1.0, 2.0])), 1).indices.tolist() == [0]
    assert ag.topk(Value(np.array([2.0, 1.0, 2.0])), 0).values.shape == (0,)


def test_topk_and_sort_refuse_what_they_cannot_do():
    x = Value(np.ones((2, 3)))
    with pytest.raises(ValueError, match="topk: k=4 must be an integer from 0 to 3"):
        ag.topk(x, 4)
    with pytest.raises(ValueError, match="topk: k=True"):
        ag.topk(x, True)
    with pytest.raises(ValueError, match="sort: axis 2 is out of range"):
        ag.sort(x, 2)
    with pytest.raises(ValueError, match="sort: axis -1 is not one axis of a value of shape"):
        ag.sort(Value(1.0))
    with pytest.raises(TypeError, match="Value.sort: numpy's ndarray.sort sorts in place"):
        x.sort()


def test_index_functions_return_numpys_integers_and_record_nothing():
    x = np.array([[1.0, 7.0, 7.0], [np.nan, 2.0, np.nan]])
    v = Value(x)
    for ours, theirs in [(v.argmax(), np.argmax(x)), (v.argmin(axis=1), np.argmin(x, axis=1)),
                         (ag.argmax(v, axis=0, keepdims=True), np.argmax(x, 0, keepdims=True)),
                         (v.argsort(axis=0), np.argsort(x, axis=0, kind="stable"))]:
        assert not isinstance(ours, Value)
        assert np.asarray(ours).dtype.kind == "i"
        np.testing.assert_array_equal(ours, theirs)
    assert v.grad is None
    with pytest.raises(ValueError, match="argmax: axis 2 is out of range"):
        v.argmax(2)
    with pytest.raises(ValueError, match="argmin: a value of shape .* has no entries"):
        ag.argmin(Value(np.ones((2, 0))), axis=1)
    with pytest.raises(TypeError, match="argmax: keepdims must be True or False"):
        ag.argmax(v, keepdims=None)


def test_scan_axes_are_checked():
    with pytest.raises(ValueError, match="cumsum: axis .* is not one axis"):
        ag.cumsum(Value(np.ones((2, 2))), axis=(0, 1))
    with pytest.raises(ValueError, match="cumprod: axis 0 is not one axis .* shape \\(\\)"):
        ag.cumprod(Value(2.0), axis=0)
    assert ag.cumprod(Value(2.0)).shape == (1,)
    with pytest.raises(ValueError, match="cumsum: axis 2 is out of range"):
        ag.cumsum(Value(np.ones((2, 2))), axis=2)


def test_third_derivative_of_cumprod_is_exact():
    """d3/dx0 dx1 dx2 of the last running product x0 x1 x2 x3 is x3, at zeros too."""
    def last(x):
        return ag.cumprod(x)[-1]

    x0 = np.array([0.0, 0.0, 0.0, 2.5])
    third = grad(lambda a: grad(lambda b: grad(last)(b)[0])(a)[1])(x0)
    np.testing.assert_array_equal(third, [0.0, 0.0, 2.5, 0.0])
    assert math.isclose(grad(last)(np.array([1.0, 2.0, 3.0, 4.0]))[2], 8.0)
