"""Errors at forward time: built-in types, messages naming the op, the shapes and the fix,
raised before anything is recorded."""
import contextlib
import gc
import operator
import re

import numpy as np
import pytest
from hypothesis import assume, given

import autograd as ag
from autograd import Value
from autograd.testing import shapes


@contextlib.contextmanager
def raises_before_recording(kind, match=None):
    """The op raises `kind` and leaves no new Value behind (nothing was recorded).

    With the collector off and every older object frozen, generation 0 holds exactly the
    objects created inside the block that are still alive (a recorded node would be kept
    alive by the traceback's frames)."""
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        with pytest.raises(kind, match=match) as info:
            yield info
        new = [o for o in gc.get_objects(generation=0) if type(o) is Value]
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
    assert ag.is_grad_enabled() is True
    assert not new, f"{len(new)} Value(s) were created before the error was raised"


def test_the_recording_detector_detects():
    with pytest.raises(AssertionError, match="created before"):
        with raises_before_recording(ValueError):
            kept = Value(1.0) * 2.0                    # noqa: F841
            raise ValueError("after recording")


BINARY = [
    ("add (+)", operator.add), ("subtract (-)", operator.sub), ("multiply (*)", operator.mul),
    ("divide (/)", operator.truediv), ("power (**)", operator.pow),
    ("maximum", ag.maximum), ("minimum", ag.minimum),
]


@pytest.mark.parametrize("word,op", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("left_value", [True, False])
def test_binary_ops_name_the_op_and_both_shapes(word, op, left_value):
    a = Value(np.ones((2, 3)))
    b = np.ones((4,))
    x, y = (a, b) if left_value else (b, a)
    with raises_before_recording(ValueError) as info:
        op(x, y)
    message = str(info.value)
    assert message.startswith(word), message
    shown = [np.shape(x), np.shape(y)]
    assert str(shown[0]) in message and str(shown[1]) in message
    assert "broadcast" in message


@given(shapes(min_dims=1), shapes(min_dims=1))
def test_any_incompatible_pair_is_a_value_error(sx, sy):
    try:
        np.broadcast_shapes(sx, sy)
        compatible = True
    except ValueError:
        compatible = False
    assume(not compatible)
    with pytest.raises(ValueError, match=re.escape(str(sx)) + ".*" + re.escape(str(sy))):
        Value(np.ones(sx)) * Value(np.ones(sy))


def test_where_names_the_condition_and_value_shapes():
    a = Value(np.ones((2, 2)))
    with raises_before_recording(ValueError) as info:
        ag.where(np.ones((3,), dtype=bool), a, 0.0)
    message = str(info.value)
    assert message.startswith("where") and "(3,)" in message and "(2, 2)" in message


@pytest.mark.parametrize("sx,sy,fragment", [
    ((3, 4), (3, 4), "matmul: shapes (3, 4) and (3, 4) are not aligned"),
    ((3,), (4,), "matmul: shapes (3,) and (4,) are not aligned"),
    ((2, 3), (4,), "matmul: shapes (2, 3) and (4,) are not aligned"),
    ((3,), (4, 2), "matmul: shapes (3,) and (4, 2) are not aligned"),
    ((2, 3, 4), (3, 4, 5), "matmul: batch dimensions of shapes (2, 3, 4) and (3, 4, 5)"),
    ((), (3,), "matmul: shapes () and (3,)"),
])
def test_matmul_errors(sx, sy, fragment):
    x = Value(np.ones(sx)) if sx else Value(1.0)
    y = np.ones(sy)
    with raises_before_recording(ValueError) as info:
        x @ y
    assert str(info.value).startswith(fragment), str(info.value)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
@pytest.mark.parametrize("axis", [2, -3, (0, 2), (0, 0), (1, -1), 1.5])
def test_bad_axes_are_value_errors_naming_the_op(name, axis):
    x = Value(np.ones((2, 3)))
    with raises_before_recording(ValueError, match=f"^{name}: .*axis"):
        getattr(x, name)(axis=axis)


def test_bad_reshape_names_both_shapes():
    x = Value(np.ones((2, 3)))
    with raises_before_recording(ValueError) as info:
        x.reshape(4, 2)
    message = str(info.value)
    assert message.startswith("reshape") and "(2, 3)" in message and "(4, 2)" in message


@pytest.mark.parametrize("axes", [(0, 0), (0,), (1,), (0, 1, 2), (0, 2), (-3, 0)])
def test_bad_transpose_axes(axes):
    x = Value(np.ones((2, 3)))
    with raises_before_recording(ValueError, match=r"^transpose: .*\(2, 3\)"):
        x.transpose(*axes)


def test_bad_broadcast_to():
    x = Value(np.ones(3))
    with raises_before_recording(ValueError, match=r"^broadcast_to: .*\(3,\).*\(4,\)"):
        ag.broadcast_to(x, (4,))


@pytest.mark.parametrize("axis", [5, -5, 1.5])
def test_expand_dims_refuses_an_axis_out_of_range_or_not_an_integer(axis):
    x = Value(np.ones(3))
    with raises_before_recording(ValueError, match="^expand_dims: .*axis"):
        ag.expand_dims(x, axis)


def test_expand_dims_takes_every_axis_from_minus_ndim_minus_one_to_ndim():
    shapes = [ag.expand_dims(Value(np.ones((2, 3))), a).shape for a in (0, 1, 2, -1, -3)]
    assert shapes == [(1, 2, 3), (2, 1, 3), (2, 3, 1), (2, 3, 1), (1, 2, 3)]


def test_concatenate_and_stack_errors():
    a, b = Value(np.ones((2, 3))), Value(np.ones((2, 4)))
    with raises_before_recording(ValueError, match=r"^concatenate: .*\(2, 3\).*\(2, 4\)"):
        ag.concatenate([a, b], axis=0)
    with raises_before_recording(ValueError, match="^concatenate: .*axis"):
        ag.concatenate([a, a], axis=2)
    with raises_before_recording(ValueError, match="^concatenate"):
        ag.concatenate([])
    s = Value(1.0)
    with raises_before_recording(ValueError, match="^concatenate: .*stack"):
        ag.concatenate([s, s])
    with raises_before_recording(ValueError, match=r"^stack: .*\(2, 3\).*\(2, 4\)"):
        ag.stack([a, b])
    with raises_before_recording(ValueError, match="^stack: .*axis"):
        ag.stack([a, a], axis=3)


@pytest.mark.parametrize("index", [5, -4, (0, 3), (slice(None), 7), np.array([0, 3]),
                                   [1, -4], (0, 0, 0)])
def test_out_of_range_indices_are_index_errors(index):
    x = Value(np.ones((3, 3)))
    with raises_before_recording(IndexError, match="^getitem"):
        x[index]


@pytest.mark.parametrize("index", [np.array([0.0, 1.0]), [0.5], Value(np.array([0.0, 1.0])),
                                   1.0])
def test_non_integer_index_arrays_are_index_errors(index):
    x = Value(np.ones(3))
    with raises_before_recording(IndexError, match="^getitem"):
        x[index]


def test_boolean_mask_of_the_wrong_shape_is_an_index_error():
    x = Value(np.ones(3))
    with raises_before_recording(IndexError):
        x[np.array([True, False])]


def test_other_argument_errors():
    x = Value(np.ones(2))
    with raises_before_recording(ValueError, match="^clip: .*lo.*hi"):
        x.clip()
    with raises_before_recording(TypeError, match="^astype"):
        x.astype(np.int32)


def test_errors_are_raised_before_recording_even_under_create_graph_use():
    x = Value(np.ones(3))
    y = x * 2.0
    z = Value(np.ones(4))
    with raises_before_recording(ValueError):
        y + z
    y.sum().backward()                                 # the graph is still usable
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])
