"""The op table's rows for the fused recurrent steps (ag_cases appends them): rnn_step (tanh and
relu), lstm_step and gru_step, each with or without biases.

Draws are small (N, input and hidden sizes 1 to 3) and the state may have more columns than the
step reads (a previous step's record does), which must get a zero gradient. Weights stay in
[-1, 1] so the gates are not saturated, and relu's pre-activations keep away from its kink.
The oracles and torch's counterparts compute the record from PyTorch's cell equations.
"""
from __future__ import annotations

from typing import List

import numpy as np
from hypothesis import assume, strategies as st

import autograd as ag
from ag_cases import Case, arrays

STATE_BLOCKS = {"rnn": 1, "lstm": 2, "gru": 1}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _draw(kind, relu=False):
    def draw(data):
        n = data.draw(st.integers(1, 3), label="N")
        size = data.draw(st.integers(1, 3), label="input_size")
        hidden = data.draw(st.integers(1, 3), label="hidden_size")
        extra = data.draw(st.integers(0, hidden), label="unread state columns")
        rows = GATES[kind] * hidden
        xs = [data.draw(arrays((n, size)), label="x"),
              data.draw(arrays((n, STATE_BLOCKS[kind] * hidden + extra)), label="state"),
              data.draw(arrays((rows, size), low=-1.0, high=1.0), label="w_ih"),
              data.draw(arrays((rows, hidden), low=-1.0, high=1.0), label="w_hh")]
        if data.draw(st.booleans(), label="bias"):
            xs += [data.draw(arrays((rows,), low=-1.0, high=1.0), label=f"b_{side}")
                   for side in ("ih", "hh")]
        if relu:
            assume(np.all(np.abs(_pre(*xs)) > 0.05))
        return xs, {}
    return draw


def _pre(x, state, w_ih, w_hh, b_ih=None, b_hh=None, split=False):
    """x w_ih^T + b_ih and h w_hh^T + b_hh, summed (or apart, for the GRU)."""
    hidden = w_hh.shape[1]
    xw, hw = x @ w_ih.T, state[:, :hidden] @ w_hh.T
    if b_ih is not None:
        xw, hw = xw + b_ih, hw + b_hh
    return (xw, hw) if split else xw + hw


def _sigmoid(lib, a):
    return 1 / (1 + np.exp(-a)) if lib is np else a.sigmoid()


def _tanh(lib, a):
    return np.tanh(a) if lib is np else a.tanh()


def _cat(lib, parts):
    return np.concatenate(parts, axis=1) if lib is np else lib.cat(parts, 1)


def _rnn(lib, *xs, relu=False):
    pre = _pre(*xs)
    if relu:
        return np.maximum(pre, 0) if lib is np else pre.relu()
    return _tanh(lib, pre)


def _lstm(lib, x, state, w_ih, w_hh, *biases):
    hidden = w_hh.shape[1]
    pre = _pre(x, state, w_ih, w_hh, *biases)
    i, f, g, o = (pre[:, k * hidden:(k + 1) * hidden] for k in range(4))
    i, f, g, o = _sigmoid(lib, i), _sigmoid(lib, f), _tanh(lib, g), _sigmoid(lib, o)
    c = f * state[:, hidden:2 * hidden] + i * g
    tanh_c = _tanh(lib, c)
    return _cat(lib, [o * tanh_c, c, i, f, g, o, tanh_c])


def _gru(lib, x, state, w_ih, w_hh, *biases):
    hidden = w_hh.shape[1]
    xw, hw = _pre(x, state, w_ih, w_hh, *biases, split=True)
    blocks = [(xw[:, k * hidden:(k + 1) * hidden], hw[:, k * hidden:(k + 1) * hidden])
              for k in range(3)]
    r = _sigmoid(lib, blocks[0][0] + blocks[0][1])
    z = _sigmoid(lib, blocks[1][0] + blocks[1][1])
    hn = blocks[2][1]
    n = _tanh(lib, blocks[2][0] + r * hn)
    h = state[:, :hidden]
    return _cat(lib, [(1 - z) * n + z * h, r, z, n, hn])


CASES: List[Case] = [
    Case("rnn_step", _draw("rnn"), lambda *xs: ag.rnn_step(*xs),
         lambda *xs: _rnn(np, *xs), lambda t, *xs: _rnn(t, *xs)),
    Case("rnn_step-relu", _draw("rnn", relu=True),
         lambda *xs: ag.rnn_step(*xs[:4], *(xs[4:] or (None, None)), nonlinearity="relu"),
         lambda *xs: _rnn(np, *xs, relu=True), lambda t, *xs: _rnn(t, *xs, relu=True)),
    Case("lstm_step", _draw("lstm"), lambda *xs: ag.lstm_step(*xs),
         lambda *xs: _lstm(np, *xs), lambda t, *xs: _lstm(t, *xs)),
    Case("gru_step", _draw("gru"), lambda *xs: ag.gru_step(*xs),
         lambda *xs: _gru(np, *xs), lambda t, *xs: _gru(t, *xs)),
]
