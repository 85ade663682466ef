"""Scalar Values convert like Python numbers (float, int, round, format), and the dtype of an
op between scalars follows PyTorch's rule: a float64 scalar Value is not silently narrowed to
float32 by a numpy float32 scalar; with an array in the op, the array's dtype wins."""
import numpy as np
import pytest

from autograd import Value


def test_scalar_values_convert_like_numbers():
    v = Value(2.0 / 3.0)
    assert f"{v:.3f}" == "0.667" and format(v, "e") == format(2.0 / 3.0, "e")
    assert round(Value(2.567), 1) == 2.6 and round(Value(2.5)) == 2
    assert int(Value(3.7)) == 3 and int(Value(np.array([-1.5]))) == -1
    assert float(Value(np.float32(0.5))) == 0.5
    assert f"{v}" == str(v)                           # no spec: the usual text


def test_format_specs_need_one_element():
    with pytest.raises(TypeError, match=r"needs a one-element Value.*shape \(2,\)"):
        f"{Value(np.ones(2)):.2f}"
    with pytest.raises(ValueError, match="only one-element values"):
        int(Value(np.ones(2)))


@pytest.mark.parametrize("small", [np.float32(2.0), Value(np.float32(2.0))],
                         ids=["numpy scalar", "0-d float32 Value"])
def test_a_float64_scalar_value_is_not_narrowed_by_a_float32_scalar(small):
    big = Value(3.0 + 1e-9)                           # needs float64 to hold the 1e-9
    for out in (small * big, big * small, big - small):
        assert out.dtype == np.float64 and type(out.data) is float
    assert (small * big).data == 2.0 * (3.0 + 1e-9)
    out = small * big
    out.backward()
    assert type(big.grad) is float and big.grad == 2.0


def test_arrays_keep_their_dtype_against_scalars():
    big = Value(3.0)
    assert (Value(np.ones(3, np.float32)) * big).dtype == np.float32
    assert (Value(np.float32(2.0)) * 2.0).dtype == np.float32      # a Python float is weak


def test_the_rule_is_pytorchs():
    torch = pytest.importorskip("torch")
    cases = [(np.float32(2.0), Value(3.0), torch.tensor(2.0, dtype=torch.float32),
              torch.tensor(3.0, dtype=torch.float64)),
             (Value(np.ones(3, np.float32)), Value(3.0), torch.ones(3, dtype=torch.float32),
              torch.tensor(3.0, dtype=torch.float64)),
             (Value(np.float32(2.0)), 2.0, torch.tensor(2.0, dtype=torch.float32), 2.0)]
    for ours_a, ours_b, theirs_a, theirs_b in cases:
        ours = (ours_a * ours_b).dtype
        theirs = (theirs_a * theirs_b).dtype
        assert str(ours) == str(theirs).replace("torch.", "")


def test_the_float64_gradient_is_computed_in_float64():
    x32, y64 = Value(np.float32(3.0)), Value(0.1)
    z = (x32 * y64) * 0.1
    z.backward()
    assert y64.grad == 3.0 * 0.1 and type(y64.grad) is float      # not 0.30000001192...
    assert x32.grad.dtype == np.float32


def test_np_array_copies_a_value_and_asarray_shares_it():
    v = Value(np.array([1.0, 2.0]))
    copied, shared = np.array(v), np.asarray(v)
    copied[0] = 99.0
    assert v.data[0] == 1.0 and np.shares_memory(shared, v.data)
