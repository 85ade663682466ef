"""`autograd.gradcheck`: True on correct gradients, a precise GradcheckError on wrong ones,
a warning on float32."""
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from autograd import GradcheckError, Op, Value, gradcheck
from autograd.testing import arrays, broadcastable_shapes

# A deliberately wrong product: the VJP for y returns g * y instead of g * x.
bad_mul = Op("bad_mul", lambda x, y: x * y,
             lambda g, ans, x, y: g * y,
             lambda g, ans, x, y: g * y)
# A deliberately wrong square: d(x^2)/dx given as x instead of 2x.
bad_square = Op("bad_square", lambda x: x * x, lambda g, ans, x: g * x)


def _reported(message):
    """The (analytic, numeric) pair of the first sentence of a gradcheck message."""
    number = r"(?:np\.float\d+\()?([-+0-9.eE]+|nan|inf)\)?"
    found = re.search(f"analytic {number}, numeric {number}", message)
    assert found, message
    return float(found.group(1)), float(found.group(2))


@given(broadcastable_shapes(2, max_dims=2).flatmap(
    lambda s: st.tuples(arrays(s[0], low=0.5, high=3.0), arrays(s[1]))))
def test_passes_on_correct_functions(pair):
    x, y = pair
    assert gradcheck(lambda a: (a.log() * a).sum(), x) is True
    assert gradcheck(lambda a, b: a.sqrt() * b.tanh(), x, y) is True


def test_passes_for_scalars_arrays_and_non_scalar_outputs():
    assert gradcheck(lambda a: a * a, 1.5) is True
    assert gradcheck(lambda a, b: a @ b, np.ones((2, 3)), np.arange(6.0).reshape(3, 2))
    assert gradcheck(lambda a: a.exp(), np.array([0.1, -0.2]), gradient=np.array([2.0, 3.0]))


def test_names_input_index_worst_index_and_both_values():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 2.0, 10.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: bad_mul(a, b).sum(), x, y)
    message = str(info.value)
    assert "input 1" in message                          # input 0's gradient (g*y) is right
    assert "(2,)" in message                             # |10 - 3| is the worst entry
    assert _reported(message) == (pytest.approx(10.0), pytest.approx(3.0, rel=1e-6))


def test_wrong_scalar_gradient_is_reported():
    with pytest.raises(GradcheckError, match="input 0") as info:
        gradcheck(lambda a: bad_square(a), 1.5)
    assert _reported(str(info.value)) == (pytest.approx(1.5), pytest.approx(3.0, rel=1e-6))


def test_error_is_an_assertion_error_with_a_2d_index():
    assert issubclass(GradcheckError, AssertionError)
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(GradcheckError, match=r"index \(1, 1\)"):
        gradcheck(lambda a: bad_square(a).sum(), x)


def test_nan_gradient_is_reported_not_passed():
    nan_grad = Op("nan_grad", lambda x: x * 2.0, lambda g, ans, x: g * np.nan)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda a: nan_grad(a).sum(), np.ones(2))


def test_tolerances_are_used():
    almost = Op("almost", lambda x: x * 2.0, lambda g, ans, x: g * 2.001)
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: almost(a).sum(), np.ones(2), rtol=1e-5)
    assert gradcheck(lambda a: almost(a).sum(), np.ones(2), rtol=1e-2)


def test_warns_on_float32_inputs_and_still_checks():
    x32 = np.array([0.5, 1.5], dtype=np.float32)
    with pytest.warns(UserWarning, match="float32"):
        assert gradcheck(lambda a: (a * a).sum(), x32) is True
    with pytest.warns(UserWarning, match="float32"):
        with pytest.raises(GradcheckError):
            gradcheck(lambda a: bad_square(a).sum(), Value(x32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gradcheck(lambda a: (a * a).sum(), x32.astype(np.float64))   # no warning for float64


def test_does_not_touch_the_inputs_or_their_grads():
    x = np.array([1.0, 2.0])
    v = Value(np.array([3.0, 4.0]))
    gradcheck(lambda a, b: (a * b).sum(), x, v)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    assert not np.any(v.grad)


def test_function_must_return_a_value():
    with pytest.raises(TypeError, match="Value"):
        gradcheck(lambda a: 3.0, 1.0)


def test_constant_function_has_zero_gradient():
    assert gradcheck(lambda a: Value(1.0, requires_grad=False) * 2.0, np.ones(2))
    assert gradcheck(lambda a, b: (a * 2.0).sum(), np.ones(2), np.ones(3))


# ----- order=2: second derivatives ----------------------------------------------------------
# A cube whose VJP is right (3 x^2, computed by `cube_slope`) but whose second derivative is
# wrong: cube_slope's own VJP gives 3 x instead of 6 x.
cube_slope = Op("cube_slope", lambda x: 3.0 * x * x, lambda g, ans, x: g * 3.0 * x)
cube = Op("cube", lambda x: x * x * x, lambda g, ans, x: g * cube_slope(x))
# A cube whose VJP computes on raw data: right numbers with no history, so grad of grad is 0.
raw_cube = Op("raw_cube", lambda x: x * x * x,
              lambda g, ans, x: g * 3.0 * np.square(x.data if isinstance(x, Value) else x))


@given(broadcastable_shapes(2, max_dims=2).flatmap(
    lambda s: st.tuples(arrays(s[0], low=0.5, high=3.0), arrays(s[1]))))
def test_order_2_passes_on_correct_functions(pair):
    x, y = pair
    assert gradcheck(lambda a, b: a.log() * b.tanh() + (a * b).sin(), x, y, order=2) is True
    assert gradcheck(lambda a: (a.sqrt() * a).sum(), x, order=2) is True


def test_order_2_passes_on_scalars_and_linear_or_constant_parts():
    assert gradcheck(lambda a, b: a * a * b, 1.5, -0.5, order=2)
    assert gradcheck(lambda a, b: a * 3.0 + b.exp(), np.ones(2), 0.5, order=2)
    assert gradcheck(lambda a: Value(1.0, requires_grad=False) * 2.0, np.ones(2), order=2)


def test_order_1_misses_what_order_2_catches():
    x = np.array([0.5, -1.0, 2.0])
    assert gradcheck(lambda a: cube(a).sum(), x) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: cube(a).sum(), x, order=2)
    message = str(info.value)
    assert message.startswith("gradcheck: second derivatives (order=2) by inputs 0 and 0 "
                              "are wrong"), message
    assert [f.op for f in info.value.findings] == ["cube_slope"]
    assert "the first op whose VJP is wrong: op 'cube_slope'" in message
    # along a random direction d the Hessian is diag(6 x): ours gives 3 x d, half of it
    analytic, numeric = _reported(message)
    assert analytic == pytest.approx(numeric / 2, rel=1e-4)


def test_order_2_names_the_input_whose_second_derivatives_are_wrong():
    # f = b * a^3 with a the second input: d2f/da2 is wrong, d2f/dadb and d2f/db2 are right
    f = lambda b, a: (b * cube(a)).sum()                                # noqa: E731
    a, b = np.array([1.0, 2.0]), np.array([0.5, -1.5])
    with pytest.raises(GradcheckError, match=r"^gradcheck: second derivatives \(order=2\) by "
                                             r"inputs 1 and 1 are wrong: .* for input 1 "
                                             r"\(shape \(2,\)\)"):
        gradcheck(f, b, a, order=2)
    assert gradcheck(lambda b, a: (b * a * a * a).sum(), b, a, order=2)


def test_order_2_catches_a_vjp_computed_outside_the_graph():
    x = np.array([0.5, 2.0])
    assert gradcheck(lambda a: raw_cube(a).sum(), x) is True
    with pytest.raises(GradcheckError, match="second derivatives") as info:
        gradcheck(lambda a: raw_cube(a).sum(), x, order=2)
    assert info.value.findings == []
    assert "a VJP computing on raw data" in str(info.value)
    assert _reported(str(info.value))[0] == 0.0          # the gradient had no history


@pytest.mark.parametrize("order", [0, 3, 2.0, True, "2"])
def test_order_must_be_1_or_2(order):
    with pytest.raises(ValueError, match=r"^gradcheck: order must be 1 .* or 2 .*, got "):
        gradcheck(lambda a: a * a, 1.0, order=order)
