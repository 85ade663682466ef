"""Second (and third) derivatives: backward(create_graph=True) and nested grad(grad(f)).

For every op of the table, a Hessian-vector product of L(x) = sum(w * op(x)^2) is computed
two ways (nested `grad`, and `create_graph=True` followed by a second backward) and checked
against central differences of the first-order gradient. Squaring makes even the linear ops
(reshape, getitem, matmul, ...) exercise the differentiability of their VJPs.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd import Value, grad, value_and_grad
from ag_numeric import to_value
from ag_cases import CASE_IDS, CASES, arrays

# Second-order checks repeat the first-order machinery several times per example; a fifth of
# the profile's examples (5 under `ci`, 100 under `thorough`) keeps the suite fast.
FEWER = settings(max_examples=max(5, settings().max_examples // 5))


def _loss(case, params, w):
    def loss(*xs):
        out = case.fn(*xs, **params)
        return (out * out * w).sum()
    return loss


def _gradient(loss, n, xs):
    gs = grad(loss, argnums=tuple(range(n)))(*xs)
    return [np.asarray(g, dtype=np.float64) for g in gs]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@FEWER
@given(data=st.data())
def test_hessian_vector_product(case, data):
    xs, params = case.draw(data)
    n = len(xs)
    out_shape = np.shape(case.ref(*xs, **params))
    w = data.draw(arrays(out_shape, low=-1.0, high=1.0), label="w")
    vs = [data.draw(arrays(np.shape(x), low=-1.0, high=1.0), label=f"v{i}")
          for i, x in enumerate(xs)]
    loss = _loss(case, params, w)
    argnums = tuple(range(n))
    x0 = [x if x.ndim else float(x) for x in xs]

    # Nested grad: grad(lambda x: (grad(L)(x) * v).sum())(x0).
    def directional(*ys):
        gs = grad(loss, argnums=argnums)(*ys)
        total = 0.0
        for g, v in zip(gs, vs):
            assert isinstance(g, Value)                       # inner grads keep history
            total = total + (g * v).sum()
        return total

    hvp = [np.asarray(h, dtype=np.float64) for h in grad(directional, argnums=argnums)(*x0)]
    for h, x in zip(hvp, xs):
        assert h.shape == x.shape

    # Central differences of the first-order gradient along v.
    eps, rtol, atol = max(1e-5, case.eps), max(1e-4, case.rtol), max(1e-5, case.atol)
    up = _gradient(loss, n, [x + eps * v for x, v in zip(xs, vs)])
    down = _gradient(loss, n, [x - eps * v for x, v in zip(xs, vs)])
    for i, (h, u, d) in enumerate(zip(hvp, up, down)):
        np.testing.assert_allclose(h, (u - d) / (2 * eps), rtol=rtol, atol=atol,
                                   err_msg=f"{case.name}: Hessian-vector product, input {i}")

    # backward(create_graph=True): gradients are Values with history; differentiate again.
    vals = [to_value(x) for x in xs]
    loss(*vals).backward(create_graph=True)
    gs = [v.grad for v in vals]
    first = _gradient(loss, n, x0)
    for g, f in zip(gs, first):
        assert isinstance(g, Value) and g.requires_grad
        np.testing.assert_allclose(np.asarray(g.data, dtype=np.float64), f, rtol=1e-12,
                                   atol=1e-12)
    for v in vals:
        v.zero_grad()
    total = 0.0
    for g, v in zip(gs, vs):
        total = total + (g * v).sum()
    total.backward()
    for i, (val, h) in enumerate(zip(vals, hvp)):
        np.testing.assert_allclose(np.asarray(val.grad, dtype=np.float64), h, rtol=1e-9,
                                   atol=1e-10, err_msg=f"{case.name}: create_graph, input {i}")


# ----- closed forms for scalars ---------------------------------------------------------------
def _sig(x):
    return 1 / (1 + math.exp(-x))


SECOND = [
    ("cube", lambda x: x ** 3, lambda x: 6 * x, 1.3),
    ("exp", lambda x: x.exp(), math.exp, 0.7),
    ("log", lambda x: x.log(), lambda x: -1 / x ** 2, 1.7),
    ("sqrt", lambda x: x.sqrt(), lambda x: -0.25 * x ** -1.5, 2.2),
    ("tanh", lambda x: x.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), 0.4),
    ("sigmoid", lambda x: x.sigmoid(),
     lambda x: _sig(x) * (1 - _sig(x)) * (1 - 2 * _sig(x)), -0.8),
    ("sin", lambda x: x.sin(), lambda x: -math.sin(x), 1.1),
    ("cos", lambda x: x.cos(), lambda x: -math.cos(x), 0.3),
    ("reciprocal", lambda x: 1 / x, lambda x: 2 / x ** 3, 1.5),
    ("const ** x", lambda x: 2.0 ** x, lambda x: 2.0 ** x * math.log(2.0) ** 2, 0.9),
    ("log1p", lambda x: ag.log1p(x), lambda x: -1 / (1 + x) ** 2, 0.5),
    ("relu * x", lambda x: x.relu() * x, lambda x: 2.0, 0.6),
    ("abs * x", lambda x: x.abs() * x, lambda x: -2.0, -0.6),
]


@pytest.mark.parametrize("name,f,d2,x", SECOND, ids=[s[0] for s in SECOND])
def test_second_derivative_closed_form(name, f, d2, x):
    nested = grad(grad(f))(x)
    assert type(nested) is float
    assert nested == pytest.approx(d2(x), rel=1e-10, abs=1e-12)
    v = Value(x)
    f(v).backward(create_graph=True)
    g = v.grad
    assert isinstance(g, Value)
    v.zero_grad()
    g.backward()
    assert v.grad == pytest.approx(d2(x), rel=1e-10, abs=1e-12)


def test_third_derivatives():
    assert grad(grad(grad(lambda x: x ** 4)))(2.0) == pytest.approx(48.0)
    assert grad(grad(grad(lambda x: x.exp())))(0.5) == pytest.approx(math.exp(0.5))
    assert grad(grad(grad(lambda x: x.sin())))(0.3) == pytest.approx(-math.cos(0.3))


def test_mixed_partials_of_pow_with_value_exponent():
    # f = x ** y: d2f/dydx = x^(y-1) (1 + y log x), d2f/dy2 = x^y log^2 x
    x0, y0 = 1.7, 0.6
    dxdy = grad(lambda y: grad(lambda x: x ** y)(x0), argnums=0)(y0)
    assert dxdy == pytest.approx(x0 ** (y0 - 1) * (1 + y0 * math.log(x0)), rel=1e-10)
    dyy = grad(grad(lambda y: Value(x0) ** y))(y0)
    assert dyy == pytest.approx(x0 ** y0 * math.log(x0) ** 2, rel=1e-10)


def test_hessian_of_a_quadratic_form_is_exact():
    a = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    f = lambda w: 0.5 * (w @ (a @ w))                  # noqa: E731
    w0 = np.array([0.3, -1.2, 0.7])
    for v in np.eye(3):
        hv = grad(lambda w: (grad(f)(w) * v).sum())(w0)
        assert type(hv) is np.ndarray
        np.testing.assert_allclose(hv, a @ v, rtol=1e-12)


def test_value_and_grad_nests():
    value, slope = value_and_grad(lambda x: grad(lambda y: y ** 3)(x))(2.0)
    assert (value, slope) == (pytest.approx(12.0), pytest.approx(12.0))
    assert type(value) is float and type(slope) is float


def test_second_backward_through_matmul_of_batches():
    rng = np.random.default_rng(0)
    x = Value(rng.standard_normal((2, 3, 4)))
    y = Value(rng.standard_normal((4, 2)))
    ((x @ y) ** 2).sum().backward(create_graph=True)
    gy = y.grad
    y.zero_grad()
    x.zero_grad()
    gy.sum().backward()
    # d/dy sum_ij (2 x^T x y)_ij = 2 x^T x 1 summed over the batch
    xd = x.data.reshape(-1, 4)
    np.testing.assert_allclose(y.grad, 2 * xd.T @ xd @ np.ones((4, 2)), rtol=1e-12)
