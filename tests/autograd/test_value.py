"""`Value`: construction and dtype rules, attributes, repr, operators on either side,
comparisons, hashing, detach, zero_grad, item and numpy."""
import operator

import numpy as np
import pytest
from hypothesis import given, strategies as st

from autograd import Value
from autograd.testing import arrays, elements, shapes


# ----- construction and dtype rules -----------------------------------------------------------
@pytest.mark.parametrize("x", [3, 3.0, True, np.float64(3.0), np.int64(3), np.array(3.0),
                               np.array(3), np.bool_(True), np.uint8(3)])
def test_float64_scalars_become_python_floats(x):
    v = Value(x)
    assert type(v.data) is float
    assert v.data == float(x)
    assert v.shape == () and v.ndim == 0 and v.size == 1 and v.dtype == np.float64


@pytest.mark.parametrize("x,dtype", [
    ([1, 2, 3], np.float64), ([1.5, 2.0], np.float64), ([True, False], np.float64),
    (np.arange(4, dtype=np.int32), np.float64), (np.arange(4, dtype=np.uint8), np.float64),
    (np.ones(3, dtype=np.float32), np.float32), (np.ones((2, 2)), np.float64),
    (np.array([True]), np.float64), ([[1, 2], [3, 4]], np.float64)])
def test_arrays_keep_a_float_dtype(x, dtype):
    v = Value(x)
    assert type(v.data) is np.ndarray and v.data.dtype == dtype
    np.testing.assert_array_equal(v.data, np.asarray(x, dtype=dtype))
    assert v.shape == np.shape(x) and v.ndim == np.ndim(x) and v.size == np.size(x)
    assert v.dtype == dtype


def test_0d_float32_stays_a_0d_float32_array():
    for x in (np.float32(1.5), np.array(1.5, dtype=np.float32)):
        v = Value(x)
        assert type(v.data) is np.ndarray and v.data.shape == () and v.dtype == np.float32
        (v * 2.0).backward()
        g = v.grad
        assert type(g) is np.ndarray and g.dtype == np.float32 and g.shape == () and g == 2
        out = v * 2.0
        assert type(out.data) is np.ndarray and out.dtype == np.float32 and out.shape == ()
        s = Value(np.ones(3, dtype=np.float32)).sum()
        assert type(s.data) is np.ndarray and s.dtype == np.float32 and s.shape == ()


@pytest.mark.parametrize("bad", ["text", np.array(["a"]), 1 + 2j, np.array([1j]), None,
                                 np.array([object()], dtype=object)])
def test_non_numeric_data_is_refused(bad):
    with pytest.raises(TypeError):
        Value(bad)


@given(st.sampled_from([np.float32, np.float64]).flatmap(lambda t: arrays(shapes(), dtype=t)))
def test_grad_is_none_until_a_backward_pass_then_like_the_data(a):
    v = Value(a)
    assert v.grad is None                                  # no gradient yet, as in PyTorch
    (v * 1.0).sum().backward()
    g = v.grad
    if a.ndim == 0 and a.dtype == np.float64:
        assert type(g) is float and g == 1.0
    else:
        assert g.shape == a.shape and g.dtype == a.dtype and np.all(g == 1)
        assert not np.shares_memory(g, v.data)


def test_integer_results_of_float_ops_stay_float():
    v = Value(np.arange(3))                                # int input becomes float64
    assert (v * 2).dtype == np.float64
    assert type((Value(2) * 3).data) is float


# ----- attributes -----------------------------------------------------------------------------
def test_attributes_of_leaves_and_nodes():
    a = Value(2.0, name="a")
    b = Value(3.0, requires_grad=False)
    assert a.name == "a" and b.name is None
    assert a.requires_grad is True and b.requires_grad is False
    assert a.op == "" and a.parents == ()
    c = a * b
    assert c.op == "*" and type(c.parents) is tuple
    assert c.parents[0] is a and c.parents[1] is b        # ordered, the objects themselves
    d = 5.0 - a
    assert d.parents[1] is a and d.parents[0].data == 5.0
    assert d.parents[0].requires_grad is False            # constants wrap as no-grad Values
    s = Value(np.ones((2, 3))).sum(axis=-1, keepdims=True)
    assert s.op == "sum" and s.attrs.get("keepdims") is True and 1 in tuple(s.attrs["axis"])
    assert (a + a).parents == (a, a)


def test_values_use_slots():
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.some_new_attribute = 1


def test_every_way_of_making_a_value_sets_every_slot():
    # Value() sets its slots through value.init_node, op.apply writes them itself (for speed):
    # a slot one of them forgets would raise AttributeError far from its cause.
    from autograd import compile, no_grad, stack
    slots = [s for s in Value.__slots__ if s != "__weakref__"]
    x = Value(np.ones(3), name="x")
    made = {"Value()": x, "recorded op": x * 2.0, "op on a converted constant": x + [1, 2, 3],
            "one-input op": x.exp(), "many-input op": stack([x, x, x]),
            "no input needs a gradient": Value(2.0, requires_grad=False) * 3.0}
    with no_grad():
        made["op under no_grad"] = x * 2.0
    made["compiled call"] = compile(lambda v: (v * v).sum())(x)
    for how, v in made.items():
        for slot in slots:
            assert hasattr(v, slot), f"{how} leaves slot {slot} unset"


def test_repr_is_short_and_informative():
    assert repr(Value(2.5)).startswith("Value(2.5")
    r = repr(Value(np.zeros((100, 100)), name="w"))
    assert "(100, 100)" in r and "name='w'" in r and len(r) < 120
    small = repr(Value(np.array([1.0, 2.0])))
    assert "1." in small and "2." in small
    node = Value(1.0) + Value(2.0)
    assert "op='+'" in repr(node) and "3" in repr(node)
    assert "float32" in repr(Value(np.ones(3, dtype=np.float32)))


def test_item_numpy_float_len_iter():
    assert Value(2.5).item() == 2.5 and type(Value(2.5).item()) is float
    assert Value(np.array([[4.0]])).item() == 4.0
    assert type(Value(np.array([[4.0]], dtype=np.float32)).item()) is float
    with pytest.raises(ValueError, match=r"\(2,\)"):
        Value(np.ones(2)).item()
    a = np.arange(3.0)
    v = Value(a)
    assert v.numpy() is v.data or np.shares_memory(v.numpy(), v.data)
    n = Value(1.5).numpy()
    assert type(n) is np.ndarray and n.shape == () and n == 1.5
    assert float(Value(np.array([7.0]))) == 7.0
    assert len(v) == 3
    parts = list(v)
    assert all(isinstance(p, Value) for p in parts) and [p.data for p in parts] == [0, 1, 2]
    with pytest.raises(TypeError):
        len(Value(1.0))


# ----- operators ------------------------------------------------------------------------------
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.__name__)
@given(x=elements(0.5, 3.0), y=elements(0.5, 3.0))
def test_scalar_operators_with_numbers_on_either_side(op, x, y):
    expected = op(x, y)
    for out in (op(Value(x), y), op(x, Value(y)), op(Value(x), Value(y)),
                op(Value(x), np.float64(y))):
        assert isinstance(out, Value)
        assert type(out.data) is float
        assert out.data == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("op", BINARY + [operator.matmul], ids=lambda o: o.__name__)
def test_numpy_array_on_the_left_gives_a_value(op):
    a = np.array([1.0, 2.0, 3.0])
    v = Value(np.array([0.5, 1.5, 2.5]))
    out = op(a, v)
    assert isinstance(out, Value), f"np_array {op.__name__} Value gave {type(out)}"
    np.testing.assert_allclose(out.data, op(a, v.data))
    assert out.requires_grad and any(p is v for p in out.parents)
    out.sum().backward() if out.size > 1 else out.backward()
    assert np.any(v.grad != 0)


def test_numpy_scalar_on_the_left_gives_a_value():
    v = Value(np.array([1.0, 2.0]))
    for left in (np.float64(2.0), np.float32(2.0), np.int64(2)):
        out = left * v
        assert isinstance(out, Value)
        np.testing.assert_array_equal(out.data, [2.0, 4.0])


def test_unary_operators_and_reflected_forms():
    x = Value(2.0)
    assert (-x).data == -2.0 and (+x) is x and abs(Value(-3.0)).data == 3.0
    assert (1 - x).data == -1.0 and (1 / x).data == 0.5 and (2 ** x).data == 4.0
    assert (3 + x).data == 5.0 and (3 * x).data == 6.0
    m = Value(np.eye(2))
    assert isinstance(np.ones((2, 2)) @ m, Value)
    np.testing.assert_array_equal((m @ np.array([1.0, 2.0])).data, [1.0, 2.0])


def test_pow_with_value_exponent():
    b, e = Value(2.0), Value(3.0)
    y = b ** e
    assert y.data == 8.0
    y.backward()
    assert b.grad == pytest.approx(12.0) and e.grad == pytest.approx(8.0 * np.log(2.0))


def test_inplace_operators_rebind_without_mutating():
    a = Value(np.ones(2))
    data_before = a.data
    b = a
    b += 1.0
    assert b is not a and np.all(a.data == 1.0) and data_before is a.data
    np.testing.assert_array_equal(b.data, [2.0, 2.0])


# ----- comparisons and hashing ----------------------------------------------------------------
@pytest.mark.parametrize("op", [operator.lt, operator.le, operator.gt, operator.ge,
                                operator.eq, operator.ne], ids=lambda o: o.__name__)
def test_comparisons_return_plain_results(op):
    s = op(Value(1.0), 2.0)
    assert type(s) is bool and s == op(1.0, 2.0)
    assert type(op(2.0, Value(1.0))) is bool and op(2.0, Value(1.0)) == op(2.0, 1.0)
    assert type(op(Value(1.0), Value(1.0))) is bool
    a = np.array([0.0, 1.0, 2.0])
    for out in (op(Value(a), 1.0), op(Value(a), Value(np.ones(3))), op(a, Value(1.0)),
                op(Value(a), np.ones(3))):
        assert type(out) is np.ndarray and out.dtype == bool, type(out)
        np.testing.assert_array_equal(out, op(a, 1.0))


def test_equality_with_non_numbers_is_false_not_an_error():
    assert (Value(1.0) == None) is False                  # noqa: E711
    assert (Value(1.0) != "a") is True


def test_hashing_is_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert hash(a) != hash(b) or a is b
    s = {a, b}
    assert len(s) == 2
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b"
    arr = Value(np.ones(3))
    assert arr in {arr} and hash(arr) == hash(arr)


# ----- detach, zero_grad, grad assignment -----------------------------------------------------
def test_detach_cuts_the_graph():
    x = Value(np.array([1.0, 2.0]))
    d = x.detach()
    assert d.requires_grad is False and d.parents == () and d.op == ""
    np.testing.assert_array_equal(d.data, x.data)
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad, x.data)            # only the x path counts
    assert not np.any(d.grad)


def test_zero_grad_forgets_the_gradient():
    x = Value(np.array([1.0, 2.0]))
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    x.zero_grad()
    assert x.grad is None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    s = Value(1.0)
    (s * 4).backward()
    s.zero_grad()
    assert s.grad is None


def test_grad_assignment_is_checked_and_cast():
    x = Value(np.zeros(3, dtype=np.float32))
    x.grad = [1, 2, 3]
    assert x.grad.dtype == np.float32 and list(x.grad) == [1, 2, 3]
    with pytest.raises(ValueError, match=r"\(3,\)"):
        x.grad = np.ones(2)
    x.grad = None
    assert not np.any(x.grad)
    s = Value(1.0)
    s.grad = 2
    assert s.grad == 2.0 and type(s.grad) is float


def test_a_value_assigned_as_grad_must_have_the_shape_of_the_data():
    a = Value(np.ones(3))
    with pytest.raises(ValueError, match=r"grad: gradient has shape \(5,\) but the value"):
        a.grad = Value(np.ones(5))
    a.grad = Value(np.full(3, 2.0))
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0, 2.0])
