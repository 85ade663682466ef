"""The layout ops and gathers beyond the op table (cases_shape.py checks their values and
gradients against numpy, finite differences and torch): split's pieces, accumulation at
repeated indices, the Value methods, numpy's argument forms, dtypes, and the errors for bad
arguments, raised before anything is recorded."""
import pickle

import numpy as np
import pytest

import autograd as ag
from autograd import Value
from test_errors import raises_before_recording


def _x(*shape, dtype=np.float64):
    return Value(np.arange(float(np.prod(shape)), dtype=dtype).reshape(shape))


# ----- split -------------------------------------------------------------------------------
def test_split_returns_values_whose_gradients_assemble_into_the_input():
    x = _x(2, 5)
    a, b, c = ag.array_split(x, 3, axis=1)
    assert [p.shape for p in (a, b, c)] == [(2, 2), (2, 2), (2, 1)]
    (a.sum() * 1.0 + b.sum() * 2.0 + c.sum() * 3.0).backward()
    np.testing.assert_array_equal(x.grad, [[1, 1, 2, 2, 3]] * 2)


def test_unused_pieces_get_no_gradient_and_empty_pieces_are_values():
    x = _x(4)
    pieces = ag.array_split(x, [1, 1, 3])
    assert [p.shape for p in pieces] == [(1,), (0,), (2,), (1,)]
    assert all(isinstance(p, Value) and p.requires_grad for p in pieces)
    pieces[2].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 1, 1, 0])


def test_split_of_plain_arrays_gives_numpy_pieces():
    pieces = ag.split(np.arange(6.0), 3)
    assert all(type(p) is np.ndarray for p in pieces)
    np.testing.assert_array_equal(np.concatenate(pieces), np.arange(6.0))


# ----- gathers: repeated positions accumulate -------------------------------------------------
def test_take_accumulates_the_gradient_of_repeated_indices():
    x = _x(3)
    ag.take(x, [[0, 0], [2, -1]]).backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 7.0])


def test_take_along_axis_picks_what_argsort_orders():
    data = np.array([[3.0, 1.0, 2.0], [0.5, 2.5, 1.5]])
    x = Value(data)
    order = np.argsort(data, axis=1)
    y = ag.take_along_axis(x, order, axis=1)
    np.testing.assert_array_equal(y.data, np.sort(data, axis=1))
    (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3.0, 1.0, 2.0], [1.0, 3.0, 2.0]])


def test_index_add_adds_repeated_rows_and_sends_gradients_to_both_inputs():
    x, source = _x(3, 2), Value(np.ones((4, 2)))
    y = ag.index_add(x, 0, [2, 0, 2, 2], source)
    np.testing.assert_array_equal(y.data, [[1.0, 2.0], [2.0, 3.0], [7.0, 8.0]])
    assert y.op == "index_add"
    y.backward(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    np.testing.assert_array_equal(x.grad, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(source.grad, [[5.0, 6.0], [1.0, 2.0], [5.0, 6.0], [5.0, 6.0]])


def test_index_add_of_mixed_dtypes_promotes_and_casts_the_gradients_back():
    x, source = Value(np.zeros(3, np.float32)), Value(np.ones(2))
    y = ag.index_add(x, 0, [1, 1], source)
    assert y.dtype == np.float64 and y.data[1] == 2.0
    y.sum().backward()
    assert x.grad.dtype == np.float32 and source.grad.dtype == np.float64


# ----- Value methods -------------------------------------------------------------------------
def test_methods_are_the_functions():
    x = _x(1, 3, 1)
    assert x.squeeze().shape == ag.squeeze(x).shape == (3,)
    assert x.squeeze(axis=-1).shape == (1, 3)
    assert x.swapaxes(0, 1).shape == ag.swapaxes(x, 0, 1).shape == (3, 1, 1)
    assert x.flatten().shape == (3,)
    np.testing.assert_array_equal(x.repeat(2, axis=1).data, ag.repeat(x, 2, axis=1).data)
    np.testing.assert_array_equal(x.take([2, 0]).data, [2.0, 0.0])


def test_T_reverses_every_axis_as_numpy_does():
    x = _x(2, 3, 4)
    assert x.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(x.T.data, x.data.T)


def test_repeat_is_numpys_and_tile_is_torchs_tensor_repeat():
    x = Value(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.repeat(2).data, [1.0, 1.0, 2.0, 2.0])
    np.testing.assert_array_equal(ag.tile(x, 2).data, [1.0, 2.0, 1.0, 2.0])
    np.testing.assert_array_equal(x.repeat([0, 3]).data, [2.0, 2.0, 2.0])


def test_repeat_by_one_count_and_by_equal_counts_give_the_same_gradients():
    g = np.arange(12.0).reshape(2, 6)
    a, b = _x(2, 3), _x(2, 3)
    a.repeat(2, axis=1).backward(g)
    b.repeat([2, 2, 2], axis=1).backward(g)
    np.testing.assert_array_equal(a.grad, b.grad)
    np.testing.assert_array_equal(a.grad, [[1.0, 5.0, 9.0], [13.0, 17.0, 21.0]])


# ----- pad -----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("pad_width", [2, (1, 3), ((1, 2),), ((0, 1), (3, 0)),
                                       np.array([[1, 0], [2, 7]])])
def test_pad_accepts_numpys_forms_and_gives_numpys_result(mode, pad_width):
    data = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(ag.pad(Value(data), pad_width, mode=mode).data,
                                  np.pad(data, pad_width, mode=mode))


def test_pad_with_constant_values_per_axis():
    data = np.ones((2, 2))
    values = ((1.0, 2.0), (3.0, 4.0))
    y = ag.pad(Value(data), 1, constant_values=values)
    np.testing.assert_array_equal(y.data, np.pad(data, 1, constant_values=values))


def test_pad_sends_the_border_gradient_to_the_entries_it_copies():
    x = Value(np.array([1.0, 2.0, 3.0]))
    y = ag.pad(x, (2, 1), mode="reflect")            # [3, 2, 1, 2, 3, 2]
    assert y.op == "pad"
    y.backward(np.array([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]))
    np.testing.assert_array_equal(x.grad, [100.0, 101010.0, 10001.0])
    z = Value(np.array([1.0, 2.0]))
    ag.pad(z, 1, constant_values=5.0).backward(np.array([7.0, 1.0, 2.0, 7.0]))
    np.testing.assert_array_equal(z.grad, [1.0, 2.0])


@pytest.mark.parametrize("op", [
    lambda x: ag.pad(x, 1, mode="reflect", constant_values=None),
    lambda x: ag.pad(x, ((1, 0), (0, 2)), constant_values=2.5),
    lambda x: ag.flip(x, 0), lambda x: ag.roll(x, (1, 2), (0, 1)), lambda x: ag.tile(x, 2),
    lambda x: ag.split(x, 2, axis=1)[1], lambda x: ag.take_along_axis(x, np.zeros((2, 1), int)),
    lambda x: ag.index_add(x, 1, [0], Value(np.ones((2, 1), np.float32))),
])
def test_float32_stays_float32(op):
    x = _x(2, 4, dtype=np.float32)
    y = op(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_graphs_of_the_new_primitives_pickle_and_differentiate_alike():
    x = _x(2, 3)
    y = ag.index_add(ag.roll(ag.flip(ag.pad(x, 1, mode="wrap"), 1), 2, 0), 0, [0, 0], _x(2, 5))
    twin, x_twin = pickle.loads(pickle.dumps((y, x)))
    g = np.arange(20.0).reshape(4, 5)
    y.backward(g)
    twin.backward(g)
    assert x_twin.grad.sum() > 0
    np.testing.assert_array_equal(x_twin.grad, x.grad)


# ----- bad arguments: one clear error, nothing recorded ------------------------------------
X = np.arange(6.0).reshape(2, 3)
A_VALUE = Value(np.zeros(1))         # made here: the check counts the Values made in the call

BAD = [
    (lambda x: ag.split(x, 2, axis=1), ValueError, "^split: axis 1 of size 3 .*array_split"),
    (lambda x: ag.array_split(x, 0), ValueError, "^array_split: .*sections must be positive"),
    (lambda x: ag.array_split(x, [0.5]), TypeError, "^array_split: indices_or_sections"),
    (lambda x: ag.split(x, 1, axis=2), ValueError, r"^split: axis 2 is out of range .*\(2, 3\)"),
    (lambda x: ag.squeeze(x, 1), ValueError, r"^squeeze: axis 1 .* has size 3, not 1"),
    (lambda x: ag.squeeze(x, (0, 0)), ValueError, "^squeeze: .*twice"),
    (lambda x: ag.flip(x, 1.0), ValueError, "^flip: axis must be an integer"),
    (lambda x: ag.roll(x, (1, 2)), ValueError, "^roll: with axis=None .*one shift"),
    (lambda x: ag.roll(x, (1, 2, 3), (0, 1)), ValueError, "^roll: 3 shifts and 2 axes"),
    (lambda x: ag.roll(x, 1.5, 0), TypeError, "^roll: shift must be an integer"),
    (lambda x: ag.repeat(x, -1), ValueError, "^repeat: repeats must not be negative"),
    (lambda x: ag.repeat(x, [1, 2], axis=1), ValueError, "^repeat: .*must be one count or 3"),
    (lambda x: ag.repeat(x, 2.0), TypeError, "^repeat: repeats must be integers"),
    (lambda x: ag.tile(x, (2, -1)), ValueError, "^tile: reps must not be negative"),
    (lambda x: ag.tile(x, [[1, 2]]), ValueError, "^tile: reps must be an int or a 1-d"),
    (lambda x: ag.pad(x, 1, mode="mean"), ValueError,
     "^pad: mode 'mean' is not supported; use one of 'constant', 'edge', 'reflect', "
     "'symmetric', 'wrap'"),
    (lambda x: ag.pad(x, 1, mode=np.pad), ValueError, "^pad: mode .* is not supported"),
    (lambda x: ag.pad(x, -1), ValueError, "^pad: pad_width must not be negative"),
    (lambda x: ag.pad(x, 1.5), TypeError, "^pad: pad_width must be integers"),
    (lambda x: ag.pad(x, ((1, 1),) * 3), ValueError, r"^pad: pad_width .* shape \(2, 3\)"),
    (lambda x: ag.pad(x, [[1], [2, 3]]), ValueError, "^pad: pad_width .* is ragged"),
    (lambda x: ag.pad(x, 1, mode="edge", constant_values=1.0), ValueError,
     "^pad: constant_values applies to mode 'constant' only"),
    (lambda x: ag.pad(x, 1, constant_values=A_VALUE), TypeError,
     "^pad: constant_values must be numbers, not a Value"),
    (lambda x: ag.pad(x, 1, constant_values=(1.0, 2.0, 3.0)), ValueError,
     "^pad: constant_values .* does not fit 2 axes"),
    (lambda x: ag.moveaxis(x, (0, 1), 0), ValueError, "^moveaxis: source .* same number"),
    (lambda x: ag.moveaxis(x, 0, 2), ValueError, "^moveaxis: destination 2 is out of range"),
    (lambda x: ag.moveaxis(x, (0, 0), (0, 1)), ValueError,
     r"^moveaxis: source \(0, 0\) names an axis twice"),
    (lambda x: ag.swapaxes(x, 0, -3), ValueError, "^swapaxes: axis2 -3 is out of range"),
    (lambda x: ag.take(x, [6]), IndexError,
     "^take: index 6 is out of bounds for the flattened value of size 6"),
    (lambda x: ag.take(x, [0, -4], axis=1), IndexError,
     "^take: index -4 is out of bounds for axis 1 of size 3"),
    (lambda x: ag.take(x, [0.0]), TypeError, "^take: indices must be integers, got dtype"),
    (lambda x: ag.take(x, A_VALUE), TypeError, "^take: indices must be integers, "
     "not a Value"),
    (lambda x: ag.take(x, [True]), TypeError, "^take: indices must be integers"),
    (lambda x: ag.take_along_axis(x, np.zeros(2, int), 1), ValueError,
     "^take_along_axis: indices of shape .* as many dimensions"),
    (lambda x: ag.take_along_axis(x, np.zeros((3, 1), int), 1), ValueError,
     r"^take_along_axis: .*do not broadcast .* on axis 0"),
    (lambda x: ag.take_along_axis(x, np.zeros((2, 1), int), None), ValueError,
     "^take_along_axis: with axis=None .* 1-d"),
    (lambda x: ag.take_along_axis(x, np.full((2, 1), 3), 1), IndexError,
     "^take_along_axis: index 3 is out of bounds"),
    (lambda x: ag.index_add(x, 0, [0], np.ones((1, 2))), ValueError,
     r"^index_add: source has shape \(1, 2\) but must have shape \(1, 3\)"),
    (lambda x: ag.index_add(x, 0, [[0]], np.ones((1, 3))), ValueError,
     "^index_add: index must be 1-d"),
    (lambda x: ag.index_add(x, 1, [3], np.ones((2, 1))), IndexError,
     "^index_add: index 3 is out of bounds for axis 1 of size 3"),
    (lambda x: ag.index_add(x, 2, [0], np.ones((2, 1))), ValueError,
     "^index_add: axis 2 is out of range"),
]


@pytest.mark.parametrize("call,kind,match", BAD, ids=[b[2][1:40] for b in BAD])
def test_bad_arguments_raise_one_clear_error_before_recording(call, kind, match):
    x = Value(X.copy())
    with raises_before_recording(kind, match=match):
        call(x)


@pytest.mark.parametrize("call", [lambda x: ag.take(x, 0, axis=0),
                                  lambda x: ag.repeat(x, 2, axis=0),
                                  lambda x: ag.split(x, 1), lambda x: ag.flip(x, 0),
                                  lambda x: ag.squeeze(x, 0), lambda x: ag.pad(x, 1)])
def test_a_0d_value_has_no_axis_to_name(call):
    x = Value(2.0)
    with raises_before_recording(ValueError, match="(shape \\(\\)|0-d value) .*reshape it to 1-d"):
        call(x)


def test_pad_refuses_to_extend_an_empty_axis_by_copying():
    x = Value(np.zeros((2, 0)))
    with raises_before_recording(ValueError, match="^pad: mode 'wrap' cannot extend axis 1"):
        ag.pad(x, 1, mode="wrap")
    assert ag.pad(x, ((0, 0), (1, 1))).shape == (2, 2)
