"""A custom op whose VJPs cannot be right fails with one clear error naming the op, the input
and the shapes: the wrong number of VJPs (when it is called), a VJP returning None or a
gradient that does not fit its input (in backward). A VJP that leaves broadcasting to the
engine is fine."""
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


def test_a_vjp_may_leave_broadcasting_to_the_engine():
    total = Op("total", lambda x: np.sum(x), lambda g, ans, x: g)     # g is the scalar upstream
    x = Value(np.array([1.0, 2.0, 3.0]))
    total(x).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0])


@pytest.mark.parametrize("count", [1, 3])
def test_a_joint_vjp_returning_the_wrong_number_of_gradients(count):
    op = Op("pair", lambda x, y: x * y, joint_vjp=lambda g, ans, x, y: [g * y] * count)
    with pytest.raises(TypeError, match=rf"joint VJP of op 'pair' returned {count} gradients; "
                                        r"it must return one gradient per input \(2\)"):
        op(Value(2.0), Value(3.0)).backward()
