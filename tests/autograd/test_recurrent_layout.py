"""The LSTM's records are stored feature-major: each block of each step is one contiguous (H, N)
array in memory, so the gate arithmetic runs on whole contiguous arrays; their shape and values
are the row-major record's. The input side goes straight into the records' gate rows, in the
records' dtype when the inputs' dtypes differ. The gradient of a slice keeps the layout of what
was sliced (the records' upstream gradient is feature-major too)."""
import numpy as np
import pytest

import autograd as ag
from autograd import Value


def _inputs(rng, steps=4, n=3, size=5, hidden=6, dtype=np.float64, state_dtype=None):
    gates = 4 * hidden
    return [rng.standard_normal((steps, n, size)).astype(dtype),
            rng.standard_normal((n, 2 * hidden)).astype(state_dtype or dtype),
            rng.uniform(-0.5, 0.5, (gates, size)).astype(dtype),
            rng.uniform(-0.5, 0.5, (gates, hidden)).astype(dtype),
            rng.uniform(-0.5, 0.5, gates).astype(dtype),
            rng.uniform(-0.5, 0.5, gates).astype(dtype)]


def _loop(x, state, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """PyTorch's LSTM equations step by step, in float64: the records (L, N, 7H)."""
    hidden = w_hh.shape[1]
    h, c = state[:, :hidden], state[:, hidden:2 * hidden]
    records = [None] * len(x)
    for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
        z = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, o = (1 / (1 + np.exp(-z[:, k * hidden:(k + 1) * hidden])) for k in (0, 1, 3))
        g = np.tanh(z[:, 2 * hidden:3 * hidden])
        c = f * c + i * g
        h = o * np.tanh(c)
        records[t] = np.concatenate([h, c, i, f, g, o, np.tanh(c)], axis=1)
    return np.stack(records)


@pytest.mark.parametrize("reverse", [False, True])
def test_every_block_of_every_step_is_contiguous_and_the_values_are_the_equations(reverse):
    xs = _inputs(np.random.default_rng(0))
    records = ag.lstm_sequence(*map(Value, xs), reverse=reverse).data
    hidden = xs[3].shape[1]
    assert records.shape == (4, 3, 7 * hidden)
    for step in records:
        for k in range(7):
            assert step[:, k * hidden:(k + 1) * hidden].T.flags.c_contiguous
    np.testing.assert_allclose(records, _loop(*xs, reverse=reverse), rtol=1e-12, atol=1e-12)


def test_a_cells_record_is_feature_major_too():
    x, state, w_ih, w_hh, b_ih, b_hh = _inputs(np.random.default_rng(1))
    record = ag.lstm_step(*map(Value, (x[0], state, w_ih, w_hh, b_ih, b_hh))).data
    assert record.T.flags.c_contiguous
    np.testing.assert_allclose(record, _loop(x[:1], state, w_ih, w_hh, b_ih, b_hh)[0],
                               rtol=1e-12, atol=1e-12)


def test_a_wider_state_makes_the_records_and_their_input_side_float64():
    """float32 inputs and weights with a float64 state: the records are float64, as numpy's
    arithmetic on them would be, and the gradients match the float64 computation to float32's
    rounding."""
    xs = [Value(a, requires_grad=True) for a in
          _inputs(np.random.default_rng(2), dtype=np.float32, state_dtype=np.float64)]
    records = ag.lstm_sequence(*xs)
    assert records.dtype == np.float64
    wide = [Value(v.data.astype(np.float64), requires_grad=True) for v in xs]
    expected = ag.lstm_sequence(*wide)
    np.testing.assert_allclose(records.data, expected.data, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(records.data, _loop(*[v.data.astype(np.float64) for v in xs]),
                               rtol=1e-5, atol=1e-6)
    (records * records).sum().backward()
    (expected * expected).sum().backward()
    for v, w in zip(xs, wide):
        assert v.grad.dtype == v.data.dtype
        np.testing.assert_allclose(v.grad, w.grad, rtol=1e-4, atol=1e-5)


def test_a_slice_of_the_records_sends_back_a_gradient_laid_out_as_the_records():
    """The gradient a slice's VJP gives the records (what the sequence's backward reads at
    every step) has their layout, so that backward reads its blocks whole too."""
    xs = [Value(a, requires_grad=True) for a in _inputs(np.random.default_rng(3))]
    hidden = xs[3].shape[1]
    records = ag.lstm_sequence(*xs)
    (records[..., :hidden] ** 2).sum().backward()
    for step in records.grad:
        assert step.T.flags.c_contiguous
    expected = np.zeros(records.shape)
    expected[..., :hidden] = 2 * records.data[..., :hidden]
    np.testing.assert_array_equal(records.grad, expected)


@pytest.mark.parametrize("axes", [(2, 0, 1), (1, 2, 0), (0, 2, 1)])
def test_a_slices_gradient_is_right_whatever_the_layout_of_what_was_sliced(axes):
    data = np.random.default_rng(4).standard_normal((4, 5, 6)).transpose(axes)
    x = Value(data, requires_grad=True)
    y = x * 1.0                         # an intermediate of the same layout
    (y[1:3, ::2, -1] * y[1:3, ::2, -1]).sum().backward()
    expected = np.zeros(data.shape)
    expected[1:3, ::2, -1] = 2 * data[1:3, ::2, -1]
    np.testing.assert_array_equal(y.grad, expected)
    np.testing.assert_array_equal(x.grad, expected)
    assert y.grad.strides == y.data.strides
