"""`autograd.testing`: the strategies produce what they promise."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from autograd import Value
from autograd.testing import arrays, broadcastable_shapes, elements, shapes, value_pairs, values


@given(shapes())
def test_shapes_default_bounds(shape):
    assert isinstance(shape, tuple) and 0 <= len(shape) <= 3
    assert all(type(n) is int and 1 <= n <= 4 for n in shape)


@given(st.data())
def test_shapes_respect_their_arguments(data):
    lo_dims = data.draw(st.integers(0, 3))
    hi_dims = data.draw(st.integers(lo_dims, 4))
    lo_side = data.draw(st.integers(0, 3))
    hi_side = data.draw(st.integers(max(lo_side, 1), 5))
    shape = data.draw(shapes(lo_dims, hi_dims, lo_side, hi_side))
    assert lo_dims <= len(shape) <= hi_dims
    assert all(lo_side <= n <= hi_side for n in shape)


@given(st.integers(1, 4).flatmap(lambda k: st.tuples(st.just(k), broadcastable_shapes(k))))
def test_broadcastable_shapes_broadcast(drawn):
    k, group = drawn
    assert isinstance(group, tuple) and len(group) == k
    out = np.broadcast_shapes(*group)                    # raises if they do not
    assert all(len(s) <= 3 and all(1 <= n <= 4 for n in s) for s in group)
    assert len(out) <= 3


@given(broadcastable_shapes(2, min_dims=2, max_dims=2, min_side=2, max_side=3))
def test_broadcastable_shapes_respect_their_arguments(pair):
    for s in pair:
        assert len(s) == 2 and all(n == 1 or 2 <= n <= 3 for n in s)


@given(elements())
def test_elements_default_range(x):
    assert type(x) is float and np.isfinite(x) and -3.0 <= x <= 3.0


AVOIDS = [((-3.0, 3.0), (0.0,), 1e-2), ((0.0, 1.0), (0.0,), 0.1), ((0.0, 1.0), (1.0,), 0.1),
          ((-1.0, 1.0), (-1.0, 1.0), 0.05), ((-2.0, 2.0), (-0.5, 0.5), 0.3),
          ((0.0, 1.0), (0.5,), 0.2)]


@pytest.mark.parametrize("bounds,avoid,margin", AVOIDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(data=st.data())
def test_elements_keep_in_bounds_and_away_from_avoided_points(bounds, avoid, margin, dtype,
                                                              data):
    low, high = bounds
    x = data.draw(elements(low, high, avoid=avoid, margin=margin, dtype=dtype))
    assert low <= x <= high, f"{x} is outside [{low}, {high}]"
    for k in avoid:
        assert abs(x - k) >= margin, f"{x} is within {margin} of {k}"
    if dtype == np.float32:
        assert float(np.float32(x)) == x, f"{x!r} is not a float32 number"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(data=st.data())
def test_arrays_have_the_promised_dtype_shape_and_elements(dtype, data):
    shape = data.draw(shapes())
    a = data.draw(arrays(shape, dtype=dtype, low=-1.0, high=2.0, avoid=(0.0,), margin=0.1))
    assert type(a) is np.ndarray and a.dtype == dtype and a.shape == shape
    assert np.all(np.isfinite(a)) and np.all((a >= -1.0) & (a <= 2.0))
    assert np.all(np.abs(a) >= np.asarray(0.1, dtype=dtype))


@given(arrays(shape=(3,), dtype=np.float32, low=0.1, high=1.0))
def test_float32_arrays_take_bounds_that_are_not_float32_numbers(x):
    assert x.dtype == np.float32 and np.all((x >= 0.1) & (x <= 1.0))


@given(arrays(shapes(min_dims=1)))
def test_arrays_with_random_shapes(a):
    assert a.dtype == np.float64 and 1 <= a.ndim <= 3 and np.all(np.abs(a) <= 3.0)


@given(arrays(shapes(min_dims=1, max_dims=2), unique=True))
def test_unique_arrays_have_no_ties(a):
    assert len(np.unique(a)) == a.size


@given(values(shapes()), values((2, 3), dtype=np.float32, requires_grad=False))
def test_values_are_values(v, w):
    assert isinstance(v, Value) and v.requires_grad
    if v.ndim == 0:
        assert type(v.data) is float
    assert isinstance(w, Value) and not w.requires_grad
    assert w.shape == (2, 3) and w.dtype == np.float32


@given(values((4,), low=0.5, high=1.0, avoid=(0.75,), margin=0.05))
def test_values_pass_on_bounds_and_avoid(v):
    assert np.all((v.data >= 0.5) & (v.data <= 1.0))
    assert np.all(np.abs(v.data - 0.75) >= 0.05)


@given(value_pairs(), value_pairs(dtype=np.float32, low=0.0, high=1.0, max_dims=1))
def test_value_pairs_broadcast(p, q):
    a, b = p
    assert isinstance(a, Value) and isinstance(b, Value)
    np.broadcast_shapes(a.shape, b.shape)
    (a * b)                                              # the op itself accepts them
    c, d = q
    assert c.dtype == d.dtype == np.float32 and c.ndim <= 1 and d.ndim <= 1
    assert np.all((c.data >= 0) & (c.data <= 1)) and np.all((d.data >= 0) & (d.data <= 1))
