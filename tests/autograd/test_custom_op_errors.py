"""A custom op whose VJPs cannot be right fails with one clear error naming the op, the input
and the shapes: the wrong number of VJPs (when it is called), a VJP returning None, something
that is not a number or array, or a gradient that does not fit its input (in backward)."""
import re

import numpy as np
import pytest

from autograd import Op, Value


def test_too_few_or_too_many_vjps_fail_when_the_op_is_called():
    one_vjp = Op("twice", lambda x, y: x * y, lambda g, ans, x, y: g * y)
    with pytest.raises(TypeError, match=r"op 'twice' has 1 VJP but was called with 2 inputs"):
        one_vjp(Value(1.0), Value(2.0))
    two_vjps = Op("double", lambda x: 2 * x, lambda g, ans, x: 2 * g, lambda g, ans, x: g)
    with pytest.raises(TypeError, match=r"op 'double' has 2 VJPs but was called with 1 input"):
        two_vjps(Value(1.0))


def test_a_vjp_returning_none_names_the_op_and_input():
    op = Op("lazy", lambda x, y: x + y, lambda g, ans, x, y: g, lambda g, ans, x, y: None)
    x, y = Value(np.ones(3)), Value(np.ones(3))
    with pytest.raises(TypeError, match=r"VJP of op 'lazy' for input 1 returned None.*"
                                        r"shape \(3,\)"):
        op(x, y).sum().backward()


@pytest.mark.parametrize("wrong", [np.ones(2), np.ones((1, 6)), np.ones((3, 2))])
def test_a_vjp_returning_a_gradient_that_does_not_fit_names_the_shapes(wrong):
    op = Op("scale", lambda x: 2.0 * x, lambda g, ans, x: wrong)
    x = Value(np.ones((2, 3)) if wrong.size == 6 else np.ones(3))
    with pytest.raises(ValueError, match="VJP of op 'scale' for input 0 returned shape "
                                         + re.escape(str(wrong.shape))):
        op(x).sum().backward()


def test_a_vjp_returning_a_reduced_gradient_is_refused_not_spread_out():
    """A VJP that sums what it should not (here the square's 2x summed to one number) would be
    silently wrong if the engine broadcast it back: refused, as PyTorch does."""
    square = Op("summed-square", lambda x: x * x, lambda g, ans, x: np.sum(g * 2 * x))
    with pytest.raises(ValueError, match=r"'summed-square' for input 0 returned shape \(\)"):
        square(Value(np.array([1.0, 2.0, 3.0]))).sum().backward()
    total = Op("total", lambda x: np.sum(x), lambda g, ans, x: g * np.ones_like(x))
    x = Value(np.array([1.0, 2.0, 3.0]))
    total(x).backward()                             # the right shape: fine
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("count", [1, 3])
def test_a_joint_vjp_returning_the_wrong_number_of_gradients(count):
    op = Op("pair", lambda x, y: x * y, joint_vjp=lambda g, ans, x, y: [g * y] * count)
    with pytest.raises(TypeError, match=rf"joint VJP of op 'pair' returned {count} gradients; "
                                        r"it must return a list with one gradient per input \(2\)"):
        op(Value(2.0), Value(3.0)).backward()
