"""expand_dims takes one axis or a tuple of them, as numpy's: the positions of the new axes in
the result, negatives counting from its end."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import autograd as ag
from autograd import Value
from ag_cases import arrays
from autograd.testing import shapes


def test_a_tuple_of_axes_inserts_one_axis_for_each():
    x = Value(np.arange(3.0))
    assert ag.expand_dims(x, (0, 1)).shape == (1, 1, 3)
    assert ag.expand_dims(x, (0, -1)).shape == (1, 3, 1)
    assert ag.expand_dims(x, [-1, -2]).shape == (3, 1, 1)
    assert ag.expand_dims(x, ()).shape == (3,)


@given(data=st.data())
def test_expand_dims_gives_numpys_shape_and_entries_and_the_gradient_back(data):
    x = data.draw(arrays(shapes(max_dims=2)), label="x")
    k = data.draw(st.integers(0, 3), label="new axes")
    ndim = x.ndim + k
    at = data.draw(st.lists(st.integers(0, max(ndim - 1, 0)), min_size=k, max_size=k,
                            unique=True), label="positions")
    axis = tuple(a - ndim if data.draw(st.booleans(), label="negative") else a for a in at)
    if k == 1 and data.draw(st.booleans(), label="as an int"):
        axis = axis[0]
    v = Value(x)
    out = ag.expand_dims(v, axis)
    want = np.expand_dims(x, axis)
    assert out.shape == want.shape
    np.testing.assert_array_equal(out.data, want)
    g = data.draw(arrays(want.shape), label="g")
    out.backward(g)
    np.testing.assert_array_equal(v.grad, g.reshape(x.shape))


@pytest.mark.parametrize("axis, message", [
    ((0, 0), r"repeated axis in \(0, 0\)"),
    ((0, -3), r"repeated axis"),             # -3 is 0 of the 3-d result
    ((0, 3), r"axis 3 is out of range for a value with 3 dimensions"),
    ((0, -4), r"axis -4 is out of range"),
])
def test_bad_axes_are_refused_as_numpy_refuses_them(axis, message):
    x = Value(np.arange(3.0))
    with pytest.raises(ValueError, match=r"^expand_dims: " + message):
        ag.expand_dims(x, axis)
    with pytest.raises(ValueError):
        np.expand_dims(x.data, axis)
