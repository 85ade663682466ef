"""clip with Value bounds: the bounds get gradients (summed back to their shapes), where the
gradient goes at ties and crossed bounds, NaN bounds, Python floats and float32, second
order, and bad shapes. The op table (ag_cases) checks the same against finite differences and
PyTorch on random draws; here are the edges written out."""
import math

import numpy as np
import pytest

import autograd as ag
from autograd import Value, grad


def _clip_and_backward(x, lo, hi, g):
    vals = [b if isinstance(b, Value) or b is None else Value(b) for b in (x, lo, hi)]
    out = ag.clip(*vals)
    out.backward(g)
    return out, [None if v is None else v.grad for v in vals]


def test_value_bounds_get_the_gradient_where_they_are_the_output():
    x = Value(np.array([[-3.0, 0.5, 2.0], [1.0, -0.5, 4.0]]))
    lo = Value(np.array([-1.0, 0.0, 0.0]))             # broadcast along x's rows
    hi = Value(1.5)                                    # a scalar bound: a float gradient
    out = x.clip(lo, hi)
    np.testing.assert_array_equal(out.data, [[-1.0, 0.5, 1.5], [1.0, 0.0, 1.5]])
    out.backward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0, 0.0], [4.0, 0.0, 0.0]])
    np.testing.assert_array_equal(lo.grad, [1.0, 5.0, 0.0])     # summed over the rows
    assert hi.grad == 9.0 and type(hi.grad) is float


def test_one_bound_as_a_value():
    x = Value(np.array([-2.0, 0.0, 2.0]))
    lo = Value(np.array([-1.0, -1.0, -1.0]))
    ag.clip(x, lo=lo).sum().backward()
    np.testing.assert_array_equal(lo.grad, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])
    y = Value(np.array([-2.0, 0.0, 2.0]))
    hi = Value(1.0)
    y.clip(hi=hi).sum().backward()
    assert hi.grad == 1.0
    np.testing.assert_array_equal(y.grad, [1.0, 1.0, 0.0])


def test_a_value_bound_with_a_number_bound():
    x, hi = Value(np.array([-2.0, 0.0, 2.0])), Value(np.array([1.0, 1.0, 1.0]))
    x.clip(-1, hi).sum().backward()                    # an int bound is a number like any
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(hi.grad, [0.0, 0.0, 1.0])


def test_bounds_that_need_no_gradient_get_none():
    x, lo = Value(np.array([-2.0, 2.0])), Value(np.array([0.0, 0.0]), requires_grad=False)
    x.clip(lo, 1.0).sum().backward()
    assert lo.grad is None
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_ties_with_a_bound_give_x_the_gradient():
    """x == lo or x == hi: x gets it and the bounds none, as PyTorch's clamp does."""
    x = np.array([-1.0, 1.0, 0.0, 0.5])
    lo, hi = np.array([-1.0, -1.0, 0.0, -2.0]), np.array([1.0, 1.0, 0.0, 0.5])
    out, (gx, glo, ghi) = _clip_and_backward(x, lo, hi, np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(out.data, x)
    np.testing.assert_array_equal(gx, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(glo, 0.0)
    np.testing.assert_array_equal(ghi, 0.0)


def test_crossed_bounds_give_hi_the_gradient():
    """lo > hi: the output is hi whatever x is (numpy and PyTorch), so hi gets the gradient."""
    x = np.array([-3.0, 0.0, 3.0])
    out, (gx, glo, ghi) = _clip_and_backward(x, np.full(3, 1.0), np.full(3, -1.0), np.ones(3))
    np.testing.assert_array_equal(out.data, [-1.0, -1.0, -1.0])
    np.testing.assert_array_equal(gx, 0.0)
    np.testing.assert_array_equal(glo, 0.0)
    np.testing.assert_array_equal(ghi, 1.0)


def test_equal_bounds_give_hi_the_gradient_when_x_is_outside():
    """lo == hi: the output is that bound, moving with both. PyTorch gives x below them no
    gradient to anyone; here hi gets it, as when the bounds cross (x above: hi, as PyTorch;
    x equal: x, as PyTorch)."""
    x = np.array([-3.0, 3.0, 1.0])
    out, (gx, glo, ghi) = _clip_and_backward(x, np.ones(3), np.ones(3), np.ones(3))
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(gx, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(glo, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(ghi, [1.0, 1.0, 0.0])


@pytest.mark.parametrize("shape", [(), (1,)], ids=["python-floats", "arrays"])
def test_nan_anywhere_gives_nan_and_pytorchs_gradients(shape):
    """Python floats (the math path) and arrays alike: a NaN in x or a bound gives NaN (numpy
    and PyTorch). Each input gets the gradient where its rule's comparisons hold, and every
    comparison with a NaN is false (PyTorch's): x > hi still gives hi the gradient."""
    rows = [((np.nan, -1.0, 1.0), (0.0, 0.0, 0.0)), ((0.5, np.nan, 1.0), (0.0, 0.0, 0.0)),
            ((0.5, -1.0, np.nan), (0.0, 0.0, 0.0)), ((5.0, np.nan, 1.0), (0.0, 0.0, 1.0)),
            ((-5.0, -1.0, np.nan), (0.0, 0.0, 0.0)), ((np.nan, 1.0, -1.0), (0.0, 0.0, 1.0))]
    for inputs, expected in rows:
        args = [np.full(shape, v) for v in inputs]
        out, grads = _clip_and_backward(*args, np.full(shape, 1.0))
        assert np.isnan(out.data), inputs
        assert [float(np.asarray(gr).sum()) for gr in grads] == list(expected), inputs
    assert math.isnan(ag.clip(0.5, lo=math.nan))           # raw floats, one bound
    assert math.isnan(ag.clip(0.5, hi=math.nan))


def test_python_floats_stay_floats():
    x, lo, hi = Value(0.25), Value(0.5), Value(2.0)
    y = x.clip(lo, hi)
    assert y.data == 0.5 and type(y.data) is float
    y.backward()
    assert (x.grad, lo.grad, hi.grad) == (0.0, 1.0, 0.0)
    assert all(type(v.grad) is float for v in (x, lo, hi))
    assert ag.clip(3.0, 0.0, 1.0) == 1.0 and type(ag.clip(3.0, 0, 1)) is float


def test_float32_stays_float32():
    x = Value(np.array([-2.0, 0.5, 2.0], dtype=np.float32))
    lo = Value(np.array([0.0], dtype=np.float32))
    hi = Value(np.array(1.0, dtype=np.float32))
    out = x.clip(lo, hi)
    assert out.dtype == np.float32
    out.sum().backward()
    assert lo.grad.dtype == hi.grad.dtype == np.float32
    assert lo.grad.shape == (1,) and hi.grad.shape == ()
    np.testing.assert_array_equal(lo.grad, [1.0])
    assert x.clip(-1.0, 1.0).dtype == np.float32              # number bounds keep it too


def test_second_derivatives_through_the_bounds():
    """f = sum(clip(x, lo, hi)^2): df/dlo = 2 lo per entry below lo, so d2f/dlo2 = 2 per
    such entry; the same for hi above; mixed partials vanish."""
    x = np.array([-3.0, -2.0, 0.0, 4.0])

    def f(lo, hi):
        return (ag.clip(x, lo, hi) ** 2).sum()

    assert grad(f)(-1.0, 1.0) == 2 * -1.0 * 2                 # two entries below lo
    assert grad(grad(f))(-1.0, 1.0) == 4.0
    assert grad(grad(f, argnums=1), argnums=1)(-1.0, 1.0) == 2.0
    assert grad(grad(f, argnums=1), argnums=0)(-1.0, 1.0) == 0.0
    lo = Value(-1.0)
    f(lo, 1.0).backward(create_graph=True)
    first = lo.grad
    lo.zero_grad()
    first.backward()
    assert lo.grad == 4.0


def test_bounds_that_do_not_broadcast_raise_naming_clip():
    with pytest.raises(ValueError, match=r"^clip: .*\(3,\).*\(2,\)"):
        ag.clip(Value(np.zeros(3)), Value(np.zeros(2)), 1.0)
    with pytest.raises(ValueError, match=r"^clip: .*\(3,\).*\(2,\)"):
        ag.clip(Value(np.zeros(3)), hi=np.zeros(2))


def test_the_recorded_graph_shows_the_bounds_as_inputs():
    x, lo = Value(np.array([0.0, 2.0]), name="x"), Value(0.5, name="lo")
    y = x.clip(lo, 1.0)
    assert y.op == "clip"
    assert y.parents[0] is x and y.parents[1] is lo and y.parents[2].data == 1.0
