"""`grad` and `value_and_grad`: types follow the inputs, argnums, errors and nesting."""
import numpy as np
import pytest
from hypothesis import given

from autograd import Value, grad, is_grad_enabled, no_grad, value_and_grad
from autograd.testing import arrays, elements, shapes


def test_floats_for_floats():
    g = grad(lambda x: x ** 3)(2.0)
    assert type(g) is float and g == pytest.approx(12.0)
    value, g = value_and_grad(lambda x: x ** 3)(2.0)
    assert type(value) is float and value == 8.0 and g == pytest.approx(12.0)
    assert type(grad(lambda x: x * 2)(3)) is float             # ints are numbers too


@given(arrays(shapes()))
def test_arrays_for_arrays(a):
    g = grad(lambda x: (x * x).sum())(a)
    if a.ndim == 0:
        assert type(g) is float
    else:
        assert type(g) is np.ndarray and g.shape == a.shape and g.dtype == a.dtype
    np.testing.assert_allclose(g, 2 * a)


def test_float32_arrays_give_float32_gradients():
    g = grad(lambda x: (x * x).sum())(np.ones(3, dtype=np.float32))
    assert g.dtype == np.float32


def test_argnums_int_and_tuple():
    f = lambda x, y, z: (x * y + z ** 2).sum()                    # noqa: E731
    x, y, z = np.array([1.0, 2.0]), np.array([3.0, 4.0]), 5.0
    np.testing.assert_array_equal(grad(f, argnums=1)(x, y, z), x)
    gx, gz = grad(f, argnums=(0, 2))(x, y, z)
    np.testing.assert_array_equal(gx, y)
    assert gz == 20.0 and type(gz) is float            # z**2 is broadcast over 2 entries
    value, grads = value_and_grad(f, argnums=(2,))(x, y, z)
    assert value == pytest.approx(61.0) and isinstance(grads, tuple) and grads == (20.0,)
    assert grad(f, argnums=-1)(x, y, z) == 20.0


def test_gradient_of_an_unused_argument_is_zero_of_its_shape():
    gx, gy = grad(lambda x, y: (x * 2.0).sum(), argnums=(0, 1))(np.ones(2), np.ones(3))
    np.testing.assert_array_equal(gx, [2.0, 2.0])
    assert type(gy) is np.ndarray and gy.shape == (3,) and not np.any(gy)
    assert grad(lambda x: Value(1.0, requires_grad=False) * 1.0)(2.0) == 0.0


def test_does_not_touch_grads_of_value_arguments():
    w = Value(np.array([1.0, 2.0]))
    g = grad(lambda x: (x * w).sum())(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(g, [1.0, 2.0])
    assert not np.any(w.grad)


def test_errors():
    with pytest.raises(TypeError, match="one-element Value"):
        grad(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(TypeError):
        grad(lambda x: 3.0)(1.0)
    with pytest.raises(ValueError, match="argnums"):
        grad(lambda x: x, argnums=2)(1.0)


def test_nesting_and_mixed_partials():
    assert grad(grad(lambda x: x ** 3))(2.0) == pytest.approx(12.0)
    assert grad(grad(grad(lambda x: x ** 3)))(2.0) == pytest.approx(6.0)
    # d2(x^2 y^3)/dxdy = 6 x y^2, with y closed over by the inner function
    mixed = grad(lambda y: grad(lambda x: x ** 2 * y ** 3)(1.5))(2.0)
    assert mixed == pytest.approx(6 * 1.5 * 2.0 ** 2)
    assert type(mixed) is float


@given(arrays((3,)), arrays((3,), low=-1.0, high=1.0))
def test_hessian_vector_product(w0, v):
    f = lambda w: (w.sin() * w).sum()                             # noqa: E731
    hv = grad(lambda w: (grad(f)(w) * v).sum())(w0)
    # Hessian of sum(w sin w) is diagonal: 2 cos w - w sin w
    np.testing.assert_allclose(hv, (2 * np.cos(w0) - w0 * np.sin(w0)) * v, rtol=1e-10,
                               atol=1e-12)


@given(elements(0.2, 3.0))
def test_value_and_grad_matches_grad(x):
    f = lambda t: t.log() * t                                     # noqa: E731
    value, g = value_and_grad(f)(x)
    assert value == pytest.approx(np.log(x) * x)
    assert g == grad(f)(x) == pytest.approx(np.log(x) + 1)


def test_grad_under_no_grad_still_differentiates():
    with no_grad():
        g = grad(lambda x: x * x)(3.0)
        assert is_grad_enabled() is False
    assert g == 6.0


def test_no_grad_inside_the_function_is_respected():
    def f(x):
        with no_grad():
            frozen = x * 10.0
        return x * x + frozen
    assert grad(f)(3.0) == 6.0


def test_wrapped_function_keeps_its_name():
    def loss(x):
        return x * x

    assert grad(loss).__name__ == "loss" and value_and_grad(loss).__name__ == "loss"
