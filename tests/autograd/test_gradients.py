"""Property tests of every op's VJP against central differences, plus the invariants every op
keeps: inputs not mutated, leaf gradients not aliased, gradients shaped and typed like their
data, zero upstream gives zero, backward is deterministic and accumulates."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import autograd as ag
from autograd import Value
from ag_cases import CASE_IDS, CASES, arrays
from ag_numeric import assert_grad_like, forward, numeric_vjp, to_value


def _draw_case(case, data):
    xs, params = case.draw(data)
    out_shape = np.shape(case.ref(*[np.array(x) for x in xs], **params))
    g = data.draw(arrays(out_shape, low=-2.0, high=2.0), label="upstream")
    return xs, params, g


def _grads(vals):
    return [v.grad for v in vals]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_vjp_matches_finite_differences(case, data):
    xs, params, g = _draw_case(case, data)
    xs_before = [x.copy() for x in xs]
    g_before = g.copy()

    vals = [to_value(x) for x in xs]
    out = case.fn(*vals, **params)
    assert isinstance(out, Value) and out.requires_grad
    assert out.op != "" or any(out is v for v in vals)     # recorded, unless an identity
    np.testing.assert_allclose(np.asarray(out.data), case.ref(*xs_before, **params),
                               rtol=1e-12, atol=1e-12)
    assert out.shape == np.shape(g)

    out.backward(g)
    grads = _grads(vals)

    # Inputs and upstream gradient untouched.
    for x, before, v in zip(xs, xs_before, vals):
        np.testing.assert_array_equal(x, before)
        np.testing.assert_array_equal(np.asarray(v.data), before)
    np.testing.assert_array_equal(g, g_before)

    # The root keeps the seed, as every node keeps its gradient.
    np.testing.assert_array_equal(np.asarray(out.grad), g)

    # Gradients look like their data and share memory with nothing else.
    for v, gr in zip(vals, grads):
        assert_grad_like(gr, v)
    others = [*(v.data for v in vals), out.data, g]
    if not any(out is v for v in vals):
        others.append(out.grad)                        # the root's stored seed
    arrays_seen = [a for a in others if type(a) is np.ndarray]
    for i, gr in enumerate(grads):
        if type(gr) is not np.ndarray:
            continue
        for a in arrays_seen:
            assert not np.shares_memory(gr, a), f"gradient of input {i} aliases an array"
        for j, other in enumerate(grads):
            if j != i and type(other) is np.ndarray:
                assert not np.shares_memory(gr, other), f"gradients {i} and {j} alias"

    # Central differences in float64.
    numeric = numeric_vjp(case.fn, xs_before, params, g, case.eps)
    for i, (gr, num) in enumerate(zip(grads, numeric)):
        np.testing.assert_allclose(np.asarray(gr), num, rtol=case.rtol, atol=case.atol,
                                   err_msg=f"{case.name}: gradient of input {i}")

    # A second identical pass accumulates to exactly twice the first.
    first = [np.array(gr, copy=True) for gr in grads]
    out.backward(g)
    for v, f in zip(vals, first):
        np.testing.assert_array_equal(np.asarray(v.grad), 2 * f)
        assert_grad_like(v.grad, v)

    # A fresh graph gives bitwise the same gradients (deterministic backward).
    vals2 = [to_value(x) for x in xs_before]
    case.fn(*vals2, **params).backward(g)
    for v, f in zip(vals2, first):
        np.testing.assert_array_equal(np.asarray(v.grad), f)

    # Zero upstream gives zero gradients.
    vals3 = [to_value(x) for x in xs_before]
    case.fn(*vals3, **params).backward(np.zeros_like(g))
    for v in vals3:
        assert_grad_like(v.grad, v)
        assert not np.any(np.asarray(v.grad)), f"{case.name}: zero upstream, nonzero gradient"

    # Only input k requires a gradient: it gets the same one, the others stay zero.
    k = data.draw(st.integers(0, len(xs) - 1), label="differentiated input")
    vals4 = [to_value(x, requires_grad=(i == k)) for i, x in enumerate(xs_before)]
    case.fn(*vals4, **params).backward(g)
    np.testing.assert_array_equal(np.asarray(vals4[k].grad), first[k])
    for i, v in enumerate(vals4):
        if i != k:
            assert v.grad is None, f"{case.name}: input {i} needs no gradient but got one"


@pytest.mark.parametrize("case", [c for c in CASES if c.float32], ids=lambda c: c.name)
@given(data=st.data())
def test_float32_stays_float32(case, data):
    xs, params, g = _draw_case(case, data)
    xs32 = [x.astype(np.float32) for x in xs]
    vals = [Value(x) for x in xs32]
    assert all(v.dtype == np.float32 for v in vals)
    out = case.fn(*vals, **params)
    assert out.dtype == np.float32, f"{case.name} promoted float32 to {out.dtype}"
    assert type(out.data) is np.ndarray           # 0-d float32 stays a 0-d array
    out.backward(g.astype(np.float32))
    for v in vals:
        assert_grad_like(v.grad, v)
    # The float32 gradient is close to the float64 one.
    vals64 = [to_value(x) for x in xs]
    case.fn(*vals64, **params).backward(g)
    for v32, v64 in zip(vals, vals64):
        np.testing.assert_allclose(v32.grad, np.asarray(v64.grad), rtol=2e-3, atol=2e-3)


def test_forward_oracle_is_sane():
    """The numeric helper itself: d/dx sum(x^2 * g) = 2 x g."""
    x = np.array([1.0, -2.0, 0.5])
    g = np.array([0.3, 1.0, -2.0])
    (num,) = numeric_vjp(lambda v: v * v, [x], {}, g)
    np.testing.assert_allclose(num, 2 * x * g, rtol=1e-7)
    np.testing.assert_allclose(forward(lambda v: v * v, [x], {}), x * x)


# ----- subgradient conventions and accumulation cases written out by hand -----------------
def test_relu_and_abs_have_zero_gradient_at_zero():
    x = Value(np.array([-1.0, 0.0, 2.0]))
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 2.0])
    s = Value(0.0)
    (s.relu() + s.abs()).backward()
    assert s.grad == 0.0


def test_clip_passes_gradient_at_its_bounds():
    x = Value(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    x.clip(-1.0, 1.0).backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad, [0.0, 2.0, 3.0, 4.0, 0.0])
    y = Value(np.array([0.0, 1.0]))
    y.clip(hi=0.0).sum().backward()
    np.testing.assert_array_equal(y.grad, [1.0, 0.0])
    z = Value(np.array([0.0, -1.0]))
    z.clip(lo=0.0).sum().backward()
    np.testing.assert_array_equal(z.grad, [1.0, 0.0])
    w = Value(np.array([-2.0, 0.5, 3.0, 5.0]))            # array bounds, elementwise
    out = w.clip(np.array([-1.0, 0.0, 0.0, 0.0]), np.array([1.0, 1.0, 5.0, 5.0]))
    np.testing.assert_array_equal(out.data, [-1.0, 0.5, 3.0, 5.0])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [0.0, 1.0, 1.0, 1.0])


def test_maximum_minimum_split_evenly_at_ties():
    a, b = Value(np.array([1.0, 2.0, 3.0])), Value(np.array([1.0, 5.0, 0.0]))
    ag.maximum(a, b).backward(np.array([2.0, 2.0, 2.0]))
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0, 0.0])
    c, d = Value(1.0), Value(1.0)
    ag.minimum(c, d).backward()
    assert (c.grad, d.grad) == (0.5, 0.5)
    e = Value(np.array([1.0, 1.0]))
    ag.minimum(e, 1.0).sum().backward()               # tie with a constant: half the gradient
    np.testing.assert_array_equal(e.grad, [0.5, 0.5])


def test_max_min_reductions_share_between_ties():
    x = Value(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]))
    x.max(axis=1).backward(np.array([6.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    y = Value(np.array([[1.0, 1.0], [1.0, 5.0]]))
    y.min().backward()
    np.testing.assert_allclose(y.grad, [[1 / 3, 1 / 3], [1 / 3, 0.0]])


def test_repeated_integer_indices_accumulate():
    x = Value(np.array([10.0, 20.0, 30.0]))
    x[np.array([0, 2, 0, -1, 0])].backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad, [9.0, 0.0, 6.0])
    y = Value(np.arange(6.0).reshape(2, 3))
    y[[1, 1], [0, 0]].sum().backward()                 # lists work like integer arrays
    np.testing.assert_array_equal(y.grad, [[0, 0, 0], [2, 0, 0]])


def test_boolean_mask_gradient():
    x = Value(np.array([[1.0, -2.0], [3.0, -4.0]]))
    x[x.data > 0].backward(np.array([5.0, 7.0]))
    np.testing.assert_array_equal(x.grad, [[5.0, 0.0], [7.0, 0.0]])


def test_broadcast_gradient_is_summed_back_to_each_shape():
    a = Value(np.ones((2, 1, 3)))
    b = Value(np.ones((4, 1)))
    (a * b).backward(np.arange(24.0).reshape(2, 4, 3))
    expected_a = np.arange(24.0).reshape(2, 4, 3).sum(axis=1, keepdims=True)
    expected_b = np.arange(24.0).reshape(2, 4, 3).sum(axis=(0, 2))[:, None]
    np.testing.assert_array_equal(a.grad, expected_a)
    np.testing.assert_array_equal(b.grad, expected_b)
    s = Value(2.0)
    (s * np.ones((3, 2))).sum().backward()
    assert s.grad == 6.0 and type(s.grad) is float


def test_module_functions_and_methods_agree():
    x = np.array([0.3, 1.2, 2.5])
    for name in ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "sin", "cos"]:
        v = Value(x)
        by_method = getattr(v, name)()
        by_function = getattr(ag, name)(v)
        np.testing.assert_array_equal(by_method.data, by_function.data)
        assert by_method.op == by_function.op == name
        # on raw data, the same function returns raw data
        raw = getattr(ag, name)(x)
        assert type(raw) is np.ndarray
        np.testing.assert_array_equal(raw, by_method.data)
    assert type(ag.exp(1.0)) is float


def test_logsumexp_is_stable_for_large_inputs():
    x = Value(np.array([1e4, 1e4, -1e4]))
    y = x.logsumexp()
    assert np.isfinite(y.data)
    assert y.data == pytest.approx(1e4 + np.log(2.0))
    y.backward()
    np.testing.assert_allclose(x.grad, [0.5, 0.5, 0.0])
    z = Value(np.array([[-1e4, -1e4 + 1.0]]))
    out = z.logsumexp(axis=1, keepdims=True)
    assert out.shape == (1, 1)
    np.testing.assert_allclose(out.data, [[-1e4 + 1.0 + np.log1p(np.exp(-1.0))]])


def test_logsumexp_with_minus_infinity_entries():
    x = Value(np.array([0.0, -np.inf]))
    y = x.logsumexp()
    assert y.data == 0.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])
    with np.errstate(divide="ignore"):
        z = Value(np.array([[-np.inf, -np.inf], [0.0, 0.0]])).logsumexp(axis=1)
    assert z.data[0] == -np.inf and z.data[1] == pytest.approx(np.log(2.0))


def test_sigmoid_is_stable_for_large_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no overflow warning either
        x = Value(np.array([-1000.0, 0.0, 1000.0]))
        y = x.sigmoid()
        np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
        y.sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, 0.25, 0.0])
        s = Value(-1000.0)
        s.sigmoid().backward()
        assert s.grad == 0.0


def test_power_vjp_keeps_float32_without_a_cast():
    x = Value(np.array([0.0, 2.0], dtype=np.float32))
    y = x ** 2.0
    assert ag.power.vjp(0, np.ones(2, np.float32), y.data, x.data, 2.0).dtype == np.float32
    y.sum().backward(create_graph=True)
    assert x.grad.dtype == np.float32 and x.grad.op != "astype"
    np.testing.assert_array_equal(x.grad.data, [0.0, 4.0])


def test_power_at_base_zero_has_pytorchs_gradients():
    x = Value(np.array([0.0, 0.0, 2.0]))
    (x ** np.array([0.0, 1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 4.0])        # not nan at 0 ** 0
    base, exponent = Value(np.zeros(2)), Value(np.array([0.0, 2.0]))
    (base ** exponent).sum().backward()
    np.testing.assert_array_equal(exponent.grad, [0.0, 0.0])      # not -inf / nan
    np.testing.assert_array_equal(base.grad, [0.0, 0.0])
    s = Value(0.0)
    (s ** 0.0).backward()
    assert s.grad == 0.0
    assert ag.grad(ag.grad(lambda v: v ** 3.0))(2.0) == 12.0       # second order unchanged
