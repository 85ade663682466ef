"""The op table's rows for the fused recurrent ops (ag_cases appends them): rnn_step (tanh and
relu), lstm_step and gru_step, and their whole-sequence forms rnn_sequence, lstm_sequence and
gru_sequence (1 to 3 timesteps, either direction), each with or without biases.

Draws are small (N, input and hidden sizes 1 to 3) and the state may have more columns than the
step reads (a previous step's record does), which must get a zero gradient. Weights stay in
[-1, 1] so the gates are not saturated, and relu's pre-activations keep away from its kink.
The oracles and torch's counterparts compute the record from PyTorch's cell equations, and a
sequence's records by looping them over the timesteps.
"""
from __future__ import annotations

from typing import List

import numpy as np
from hypothesis import assume, strategies as st

import autograd as ag
from ag_cases import Case, arrays

STATE_BLOCKS = {"rnn": 1, "lstm": 2, "gru": 1}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _draw(kind, relu=False, sequence=False):
    def draw(data):
        steps = data.draw(st.integers(1, 3), label="L") if sequence else None
        n = data.draw(st.integers(1, 3), label="N")
        size = data.draw(st.integers(1, 3), label="input_size")
        hidden = data.draw(st.integers(1, 3), label="hidden_size")
        extra = data.draw(st.integers(0, hidden), label="unread state columns")
        rows = GATES[kind] * hidden
        xs = [data.draw(arrays((n, size) if steps is None else (steps, n, size)), label="x"),
              data.draw(arrays((n, STATE_BLOCKS[kind] * hidden + extra)), label="state"),
              data.draw(arrays((rows, size), low=-1.0, high=1.0), label="w_ih"),
              data.draw(arrays((rows, hidden), low=-1.0, high=1.0), label="w_hh")]
        if data.draw(st.booleans(), label="bias"):
            xs += [data.draw(arrays((rows,), low=-1.0, high=1.0), label=f"b_{side}")
                   for side in ("ih", "hh")]
        params = {"reverse": data.draw(st.booleans(), label="reverse")} if sequence else {}
        if relu:
            assume(all(np.all(np.abs(pre) > 0.05) for pre in _relu_pres(*xs, **params)))
        return xs, params
    return draw


def _relu_pres(x, state, *weights, reverse=None):
    """The pre-activations of a relu RNN's steps (one step when `reverse` is None)."""
    if reverse is None:
        return [_pre(x, state, *weights)]
    pres = []
    for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
        pres.append(_pre(x[t], state, *weights))
        state = np.maximum(pres[-1], 0)
    return pres


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


def _sequence(step):
    """A sequence's records from a step's oracle: the step at every timestep, in the direction's
    order, each taking the previous record as its state; stacked in the input's order."""
    def records(lib, x, state, *weights, reverse=False, **attrs):
        out = [None] * len(x)
        for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
            state = out[t] = step(lib, x[t], state, *weights, **attrs)
        return np.stack(out) if lib is np else lib.stack(out)
    return records


def _relu_args(xs):
    """The inputs of a relu row, biases given as None when absent."""
    return (*xs[:4], *(xs[4:] or (None, None)))


CASES: List[Case] = [
    Case("rnn_step", _draw("rnn"), lambda *xs: ag.rnn_step(*xs),
         lambda *xs: _rnn(np, *xs), lambda t, *xs: _rnn(t, *xs)),
    Case("rnn_step-relu", _draw("rnn", relu=True),
         lambda *xs: ag.rnn_step(*_relu_args(xs), nonlinearity="relu"),
         lambda *xs: _rnn(np, *xs, relu=True), lambda t, *xs: _rnn(t, *xs, relu=True)),
    Case("lstm_step", _draw("lstm"), lambda *xs: ag.lstm_step(*xs),
         lambda *xs: _lstm(np, *xs), lambda t, *xs: _lstm(t, *xs)),
    Case("gru_step", _draw("gru"), lambda *xs: ag.gru_step(*xs),
         lambda *xs: _gru(np, *xs), lambda t, *xs: _gru(t, *xs)),
    Case("rnn_sequence", _draw("rnn", sequence=True), lambda *xs, **kw: ag.rnn_sequence(*xs, **kw),
         lambda *xs, **kw: _sequence(_rnn)(np, *xs, **kw),
         lambda t, *xs, **kw: _sequence(_rnn)(t, *xs, **kw)),
    Case("rnn_sequence-relu", _draw("rnn", relu=True, sequence=True),
         lambda *xs, **kw: ag.rnn_sequence(*_relu_args(xs), nonlinearity="relu", **kw),
         lambda *xs, **kw: _sequence(_rnn)(np, *xs, relu=True, **kw),
         lambda t, *xs, **kw: _sequence(_rnn)(t, *xs, relu=True, **kw)),
    Case("lstm_sequence", _draw("lstm", sequence=True),
         lambda *xs, **kw: ag.lstm_sequence(*xs, **kw),
         lambda *xs, **kw: _sequence(_lstm)(np, *xs, **kw),
         lambda t, *xs, **kw: _sequence(_lstm)(t, *xs, **kw)),
    Case("gru_sequence", _draw("gru", sequence=True), lambda *xs, **kw: ag.gru_sequence(*xs, **kw),
         lambda *xs, **kw: _sequence(_gru)(np, *xs, **kw),
         lambda t, *xs, **kw: _sequence(_gru)(t, *xs, **kw)),
]
