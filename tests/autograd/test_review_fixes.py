"""Regression tests for edge cases a review found in the engine."""
import numpy as np
import pytest
from hypothesis import given

from autograd import Value, expand_dims, grad
from autograd.testing import arrays


def test_power_gradients_at_base_zero_follow_pytorch():
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
    assert grad(grad(lambda v: v ** 3.0))(2.0) == 12.0             # second order unchanged


def test_power_matches_torch_at_base_zero():
    torch = pytest.importorskip("torch", reason="PyTorch comparison")
    b = np.array([0.0, 0.0, 0.0, 1.5])
    e = np.array([0.0, 1.0, 2.5, -1.0])
    tb = torch.tensor(b, requires_grad=True)
    te = torch.tensor(e, requires_grad=True)
    (tb ** te).sum().backward()
    vb, ve = Value(b), Value(e)
    (vb ** ve).sum().backward()
    np.testing.assert_allclose(vb.grad, tb.grad.numpy())
    np.testing.assert_allclose(ve.grad, te.grad.numpy())


def test_backward_seed_takes_the_type_and_dtype_of_the_output():
    x = Value(np.float32(2.0))
    x.backward(2.0)
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float32 and x.grad == 2.0
    y = Value(2.0)
    y.backward(np.float32(1.0))
    assert type(y.grad) is float and y.grad == 1.0


def test_backward_seed_is_copied_not_aliased():
    x = Value(np.ones(3))
    seed = np.full(3, 2.0)
    x.backward(seed)
    seed[:] = 0.0
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_assigning_a_value_as_grad_checks_its_shape():
    a = Value(np.ones(3))
    with pytest.raises(ValueError, match=r"grad: gradient has shape \(5,\) but the value"):
        a.grad = Value(np.ones(5))
    a.grad = Value(np.full(3, 2.0))
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("axis", [5, -5, 1.5])
def test_expand_dims_refuses_an_out_of_range_axis(axis):
    with pytest.raises(ValueError, match="expand_dims"):
        expand_dims(Value(np.ones(3)), axis)


def test_expand_dims_accepts_every_valid_axis():
    shapes = [expand_dims(Value(np.ones((2, 3))), a).shape for a in (0, 1, 2, -1, -3)]
    assert shapes == [(1, 2, 3), (2, 1, 3), (2, 3, 1), (2, 3, 1), (1, 2, 3)]


@given(arrays(shape=(3,), dtype=np.float32, low=0.1, high=1.0))
def test_float32_strategies_accept_bounds_that_are_not_float32_numbers(x):
    assert x.dtype == np.float32 and np.all((x >= 0.1) & (x <= 1.0))
