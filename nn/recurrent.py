"""Recurrent layers with PyTorch's names, signatures and layouts: the cells RNNCell, LSTMCell and
GRUCell (one timestep) and the sequence layers RNN, LSTM and GRU (stacked, maybe bidirectional).

Parameters are PyTorch's: `weight_ih_l{k}` (G*H, input), `weight_hh_l{k}` (G*H, H), `bias_ih_l{k}`
and `bias_hh_l{k}` (G*H,) for layer k (`_reverse` for the second direction; the cells drop the
`_l{k}`), with G gates stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n), all drawn from
U(-1/sqrt(H), 1/sqrt(H)). A PyTorch module's state_dict, as numpy arrays, loads unchanged.

A sequence is (L, N, input_size), (N, L, input_size) with batch_first, or (L, input_size)
unbatched. The product of every timestep's input with weight_ih is one matrix product before the
time loop; each step is then h @ weight_hh.T and the gate arithmetic. By default this is fused
(`autograd.ops.recurrent`): a cell's step is one node, and so is a sequence layer's whole pass
in one direction, whose backward runs backpropagation through time inside it. `fused=False`
records every gate as its own node, named ('i', 'f', 'g', 'o', 'c', 'h'; 'r', 'z', 'n' for the
GRU), the graph a drawing of a cell shows.

Truncated backpropagation through time: run a long sequence in chunks and carry the state from
one chunk to the next with `.detach()`, so each backward pass stops at its chunk's start.

>>> import nn, numpy as np
>>> lstm = nn.LSTM(3, 5, num_layers=2, seed=0)
>>> out, (h_n, c_n) = lstm(np.ones((7, 2, 3)))            # L=7 steps, N=2 sequences
>>> out.shape, h_n.shape, c_n.shape
((7, 2, 5), (2, 2, 5), (2, 2, 5))
"""
from __future__ import annotations

import functools
import math
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import autograd as ag
from autograd import Value
from autograd.ops.recurrent import (gru_sequence, gru_step, lstm_sequence, lstm_step, project,
                                    rnn_sequence, rnn_step, time_order)
from nn import checks
from nn.init import Rng, as_generator
from nn.linear import uniform
from nn.module import Module

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
_SEQUENCES = {"RNN": rnn_sequence, "LSTM": lstm_sequence, "GRU": gru_sequence}


def _flag(value: Any, name: str, caller: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{caller}: {name} must be True or False, got {value!r}")
    return bool(value)


def _named(v: Value, name: str) -> Value:
    v.name = name
    return v


# ----- the unfused cells: one node per gate, for drawings ---------------------------------------
def _rnn_cell(xw: Any, h: Any, w_hh: Any, b_hh: Any, nonlinearity: str) -> Value:
    pre = xw + h @ w_hh.T
    pre = pre if b_hh is None else pre + b_hh
    return _named(ag.tanh(pre) if nonlinearity == "tanh" else ag.relu(pre), "h")


def _lstm_cell(xw: Any, h: Any, c: Any, w_hh: Any, b_hh: Any) -> Tuple[Value, Value]:
    pre = xw + h @ w_hh.T
    pre = pre if b_hh is None else pre + b_hh
    i, f, g, o = ag.split(pre, 4, axis=-1)
    i, f = _named(ag.sigmoid(i), "i"), _named(ag.sigmoid(f), "f")
    g, o = _named(ag.tanh(g), "g"), _named(ag.sigmoid(o), "o")
    c = _named(f * c + i * g, "c")
    return _named(o * ag.tanh(c), "h"), c


def _gru_cell(xw: Any, h: Any, w_hh: Any, b_hh: Any) -> Value:
    hw = h @ w_hh.T
    hw = hw if b_hh is None else hw + b_hh
    x_r, x_z, x_n = ag.split(xw, 3, axis=-1)
    h_r, h_z, h_n = ag.split(hw, 3, axis=-1)
    r, z = _named(ag.sigmoid(x_r + h_r), "r"), _named(ag.sigmoid(x_z + h_z), "z")
    n = _named(ag.tanh(x_n + r * h_n), "n")
    return _named((1.0 - z) * n + z * h, "h")


class _Recurrent(Module):
    """What the cells and the sequence layers share: the kind (RNN, LSTM, GRU), the sizes, the
    input and state checks, and one timestep of any kind, fused or not."""

    _kind = "RNN"

    def _setup(self, input_size: int, hidden_size: int, nonlinearity: str, bias: bool,
               dtype: Any, fused: bool) -> np.dtype:
        """Check and keep the arguments every kind has; returns the dtype to draw weights in."""
        name = type(self).__name__
        self.input_size = checks.positive_int(input_size, "input_size", name)
        self.hidden_size = checks.positive_int(hidden_size, "hidden_size", name)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.bias = _flag(bias, "bias", name)
        self.fused = _flag(fused, "fused", name)
        return checks.float_dtype(dtype, name)

    def _weights(self, rng: np.random.Generator, in_size: int, suffix: str,
                 dt: np.dtype) -> None:
        """Register weight_ih, weight_hh, bias_ih and bias_hh + suffix, in PyTorch's order."""
        rows, bound = _GATES[self._kind] * self.hidden_size, 1.0 / math.sqrt(self.hidden_size)
        self.register_parameter(f"weight_ih{suffix}", uniform(rng, bound, (rows, in_size), dt))
        self.register_parameter(f"weight_hh{suffix}",
                                uniform(rng, bound, (rows, self.hidden_size), dt))
        for name in (f"bias_ih{suffix}", f"bias_hh{suffix}"):
            self.register_parameter(name, uniform(rng, bound, (rows,), dt) if self.bias else None)

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def _floats(self, x: Any, what: str) -> Any:
        """`x` as a Value or array of this layer's dtype, or a TypeError naming the fix."""
        dt = self.dtype
        data = x.data if isinstance(x, Value) else np.asarray(x)
        kind = np.asarray(data).dtype
        if kind.kind != "f":
            raise TypeError(f"{self._label()}: {what} must hold floating point numbers, got "
                            f"dtype {kind}; convert it with .astype(np.{dt})")
        if isinstance(x, Value):
            if kind != dt:
                raise TypeError(f"{self._label()}: {what} is {kind} but the layer is {dt}; "
                                f"convert one of them (x.astype(np.{dt}) or layer.astype(...))")
            return x
        return np.asarray(x, dtype=dt)

    def _states(self, hx: Any, shape: Tuple[int, ...], what: str,
                names: Tuple[str, str, str]) -> Tuple[Any, Any]:
        """(h, c) from `hx`, a pair for the LSTM (c is None for the others), each checked
        against `shape`; `names` are how the error messages call h, c, and a lone h."""
        if self._kind != "LSTM":
            return self._state(hx, shape, names[2]), None
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{self._label()}: {what} must be a pair ({names[0]}, {names[1]}), "
                            f"got {type(hx).__name__}")
        h, c = (None, None) if hx is None else hx
        return self._state(h, shape, names[0]), self._state(c, shape, names[1])

    def _state(self, state: Any, shape: Tuple[int, ...], what: str) -> Any:
        """A given initial state checked against `shape`, or zeros of that shape."""
        if state is None:
            return np.zeros(shape, dtype=self.dtype)
        state = self._floats(state, what)
        if tuple(state.shape) != shape:
            raise ValueError(f"{self._label()}: {what} must have shape {shape} for this input, "
                             f"got {tuple(state.shape)}")
        return state

    def _step(self, x: Any, xw: Any, state: Any, suffix: str) -> Any:
        """One timestep from `state` (h; for the LSTM (h, c) unfused, [h, c, ...] fused): x is
        the step's input and xw its product with weight_ih plus bias_ih (a Value unfused, raw
        data fused). Returns the next state, in the same form."""
        p = self._parameters
        w_ih, w_hh = p[f"weight_ih{suffix}"], p[f"weight_hh{suffix}"]
        b_ih, b_hh = p[f"bias_ih{suffix}"], p[f"bias_hh{suffix}"]
        kind = self._kind
        if self.fused:
            if kind == "LSTM":
                return lstm_step(x, state, w_ih, w_hh, b_ih, b_hh, projected=xw)
            if kind == "GRU":
                return gru_step(x, state, w_ih, w_hh, b_ih, b_hh, projected=xw)
            return rnn_step(x, state, w_ih, w_hh, b_ih, b_hh, self.nonlinearity, projected=xw)
        if kind == "LSTM":
            return _lstm_cell(xw, state[0], state[1], w_hh, b_hh)
        if kind == "GRU":
            return _gru_cell(xw, state, w_hh, b_hh)
        return _rnn_cell(xw, state, w_hh, b_hh, self.nonlinearity)

    def _projected(self, x: Any, suffix: str) -> Any:
        """x @ weight_ih.T + bias_ih for every row of x in one product: without a gradient for
        the fused steps (their VJPs give weight_ih its gradient), recorded otherwise."""
        w_ih, b_ih = self._parameters[f"weight_ih{suffix}"], self._parameters[f"bias_ih{suffix}"]
        if self.fused:
            return project(x, w_ih, b_ih)
        out = x @ w_ih.T
        return out if b_ih is None else out + b_ih

    def _start(self, h: Any, c: Any) -> Any:
        """The state a first step takes, from h (and c)."""
        if self._kind != "LSTM":
            return h
        return ag.concatenate([h, c], axis=-1) if self.fused else (h, c)

    def _parts(self, state: Any) -> Tuple[Any, Any]:
        """(h, c) of a state (c is None but for the LSTM)."""
        if self._kind == "RNN" or not self.fused:
            return (state, None) if self._kind != "LSTM" else state
        if self._kind == "GRU":
            return state[:, :self.hidden_size], None
        return state[:, :self.hidden_size], state[:, self.hidden_size:2 * self.hidden_size]

    def config(self) -> Dict[str, Any]:
        record = {"input_size": self.input_size, "hidden_size": self.hidden_size,
                  "bias": self.bias, "dtype": str(self.dtype)}
        if self._kind == "RNN":
            record["nonlinearity"] = self.nonlinearity
        return record


# ----- cells ------------------------------------------------------------------------------------
class _Cell(_Recurrent):
    """One timestep: input (N, input_size) or (input_size,), an optional state, the next state."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype: Any = np.float64, seed: Rng = None,
                 fused: bool = True) -> None:
        super().__init__()
        dt = self._setup(input_size, hidden_size, nonlinearity, bias, dtype, fused)
        self._weights(as_generator(seed), self.input_size, "", dt)

    def _run(self, x: Any, hx: Any) -> Tuple[Any, Any, bool]:
        """The checked step: (h', c' or None, whether the input was unbatched)."""
        x = self._floats(x, "input")
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{self._label()}: expected input of shape (N, {self.input_size}) "
                             f"or ({self.input_size},), got {tuple(x.shape)}; the last axis "
                             "holds the features")
        unbatched = x.ndim == 1
        shape = (self.hidden_size,) if unbatched else (x.shape[0], self.hidden_size)
        h, c = self._states(hx, shape, "the state", ("h", "c", "hx"))
        if unbatched:
            x, h = x[None], h[None]
            c = None if c is None else c[None]
        state = self._step(x, self._projected(x, ""), self._start(h, c), "")
        h, c = self._parts(state)
        if unbatched:
            h, c = h[0], None if c is None else c[0]
        return h, c, unbatched

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            text += ", bias=False"
        if self._kind == "RNN" and self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text + ("" if self.fused else ", fused=False")

    def output_size(self, input_size: Any) -> Any:
        return self.hidden_size


class RNNCell(_Cell):
    """An Elman RNN cell, as torch.nn.RNNCell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
    (or relu). `cell(x, hx=None)` returns h'; hx defaults to zeros.

    >>> RNNCell(3, 4, seed=0)(np.ones((2, 3))).shape
    (2, 4)
    """

    _kind = "RNN"

    def forward(self, input: Any, hx: Optional[Any] = None) -> Value:
        return self._run(input, hx)[0]


class LSTMCell(_Cell):
    """An LSTM cell, as torch.nn.LSTMCell: gates i, f, g, o, c' = f c + i g, h' = o tanh(c').
    `cell(x, (h, c))` returns (h', c'); the state defaults to zeros.

    >>> h, c = LSTMCell(3, 4, seed=0)(np.ones(3)); h.shape, c.shape
    ((4,), (4,))
    """

    _kind = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = np.float64, seed: Rng = None, fused: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, "tanh", dtype, seed, fused)

    def forward(self, input: Any, hx: Optional[Tuple[Any, Any]] = None) -> Tuple[Value, Value]:
        h, c, _ = self._run(input, hx)
        return h, c


class GRUCell(_Cell):
    """A GRU cell, as torch.nn.GRUCell: r, z gates, n = tanh(x W_in^T + b_in + r (h W_hn^T +
    b_hn)), h' = (1 - z) n + z h. `cell(x, hx=None)` returns h'.

    >>> GRUCell(3, 4, seed=0)(np.ones((5, 3))).shape
    (5, 4)
    """

    _kind = "GRU"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 dtype: Any = np.float64, seed: Rng = None, fused: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias, "tanh", dtype, seed, fused)

    def forward(self, input: Any, hx: Optional[Any] = None) -> Value:
        return self._run(input, hx)[0]


# ----- sequences --------------------------------------------------------------------------------
class _Sequence(_Recurrent):
    """Stacked layers of one kind over a whole sequence, maybe in both directions."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype: Any = np.float64,
                 seed: Rng = None, fused: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        dt = self._setup(input_size, hidden_size, nonlinearity, bias, dtype, fused)
        self.num_layers = checks.positive_int(num_layers, "num_layers", name)
        self.batch_first = _flag(batch_first, "batch_first", name)
        self.dropout = checks.finite_float(dropout, "dropout", name, 0.0, 1.0)
        self.bidirectional = _flag(bidirectional, "bidirectional", name)
        rng = as_generator(seed)
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else self.hidden_size * self._directions
            for suffix in self._suffixes(layer):
                self._weights(rng, in_size, suffix, dt)
        self._rng = rng                 # draws the dropout masks between layers

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> List[str]:
        return [f"_l{layer}"] + ([f"_l{layer}_reverse"] if self.bidirectional else [])

    def _checked_input(self, x: Any) -> Tuple[Any, bool]:
        """The input, checked, and whether it is unbatched."""
        x = self._floats(x, "input")
        layout = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
        expected = f"{layout.format(self.input_size)} or (L, {self.input_size}) unbatched"
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            raise ValueError(f"{self._label()}: expected input of shape {expected}, got "
                             f"{tuple(x.shape)}; the last axis holds the features")
        if x.shape[0 if x.ndim == 2 or not self.batch_first else 1] == 0:
            raise ValueError(f"{self._label()}: the sequence is empty (input of shape "
                             f"{tuple(x.shape)}); give at least one timestep")
        return x, x.ndim == 2

    def _time_major(self, x: Any, unbatched: bool) -> Value:
        """The checked input as a Value (L, N, input_size), reshaped by ops (which a compiled
        program replays on each call's input)."""
        x = x if isinstance(x, Value) else Value(x, requires_grad=False)
        if unbatched:
            return x[:, None]
        return ag.swapaxes(x, 0, 1) if self.batch_first else x

    def _initial(self, hx: Any, batch: int, unbatched: bool) -> Tuple[Any, Any]:
        """The initial h and c (None but for the LSTM), each (layers * directions, N, H)."""
        stacked = self.num_layers * self._directions
        shape = (stacked, self.hidden_size) if unbatched else (stacked, batch, self.hidden_size)
        h, c = self._states(hx, shape, "the initial state", ("h_0", "c_0", "h_0"))
        if unbatched:
            h, c = h[:, None], None if c is None else c[:, None]
        return h, c

    def _direction(self, x: Any, h: Any, c: Any, suffix: str, reverse: bool
                   ) -> Tuple[Value, Any, Any]:
        """One layer in one direction over x (L, N, in): outputs (L, N, H), h_n, c_n. Fused, the
        whole direction is one node; unfused, every gate of every step is one."""
        if self.fused:
            return self._fused_direction(x, h, c, suffix, reverse)
        xw = self._projected(x, suffix)
        state = self._start(h, c)
        states: List[Any] = [None] * len(xw)
        for t in time_order(len(xw), reverse):
            state = self._step(None, xw[t], state, suffix)
            states[t] = state
        out = ag.stack([h for h, _ in states] if self._kind == "LSTM" else states)
        return (out,) + self._parts(state)

    def _fused_direction(self, x: Any, h: Any, c: Any, suffix: str, reverse: bool
                         ) -> Tuple[Value, Any, Any]:
        """One layer in one direction as one sequence node: its records (L, N, blocks * H),
        whose first H columns are the outputs, the last step visited's the final state."""
        weights = [self._parameters[f"{name}{suffix}"]
                   for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        extra = {"nonlinearity": self.nonlinearity} if self._kind == "RNN" else {}
        records = _SEQUENCES[self._kind](x, self._start(h, c), *weights, reverse=reverse,
                                         **extra)
        out = records if self._kind == "RNN" else records[..., :self.hidden_size]
        return (out,) + self._parts(records[0 if reverse else -1])

    def _dropout_mask(self, shape: Tuple[int, ...]) -> np.ndarray:
        """Dropout between layers: keep with probability 1 - dropout, scaled up to match."""
        keep = self._rng.random(shape) >= self.dropout
        scale = 0.0 if self.dropout == 1.0 else 1.0 / (1.0 - self.dropout)
        return (keep * scale).astype(self.dtype)

    def forward(self, input: Any, hx: Optional[Any] = None) -> Tuple[Value, Any]:
        x, unbatched = self._checked_input(input)
        batch = 1 if unbatched else x.shape[0 if self.batch_first else 1]
        h0, c0 = self._initial(hx, batch, unbatched)
        x = self._time_major(x, unbatched)
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            if layer and self.training and self.dropout > 0:
                x = x * ag.fresh_random(functools.partial(self._dropout_mask, x.shape))
            outs = []
            for d, suffix in enumerate(self._suffixes(layer)):
                k = layer * self._directions + d
                out, h, c = self._direction(x, h0[k], None if c0 is None else c0[k], suffix,
                                            reverse=d == 1)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if len(outs) == 1 else ag.concatenate(outs, axis=-1)
        h_n = ag.stack(h_n)
        c_n = ag.stack(c_n) if self._kind == "LSTM" else None
        if unbatched:
            x, h_n = x[:, 0], h_n[:, 0]
            c_n = None if c_n is None else c_n[:, 0]
        elif self.batch_first:
            x = ag.swapaxes(x, 0, 1)
        return x, (h_n if c_n is None else (h_n, c_n))

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self._kind == "RNN" and self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        for name, value, default in (("bias", self.bias, True),
                                     ("batch_first", self.batch_first, False),
                                     ("dropout", self.dropout, 0.0),
                                     ("bidirectional", self.bidirectional, False),
                                     ("fused", self.fused, True)):
            if value != default:
                text += f", {name}={value}"
        return text

    def output_size(self, input_size: Any) -> Any:
        """The features of each output step, H (2H bidirectional); a (L, input_size) shape
        gives (L, features)."""
        features = self.hidden_size * self._directions
        return input_size[:-1] + (features,) if isinstance(input_size, tuple) else features

    def config(self) -> Dict[str, Any]:
        record = super().config()
        record.update(num_layers=self.num_layers, batch_first=self.batch_first,
                      dropout=self.dropout, bidirectional=self.bidirectional)
        return record


class RNN(_Sequence):
    """A multi-layer Elman RNN over a sequence, as torch.nn.RNN: `rnn(x, h_0=None)` returns
    (output, h_n), output (L, N, D*H) the last layer's h at every step (D = 2 when
    bidirectional), h_n (num_layers*D, N, H) every layer's last h.

    >>> out, h_n = RNN(3, 4, nonlinearity='relu', seed=0)(np.ones((6, 3)))   # unbatched
    >>> out.shape, h_n.shape
    ((6, 4), (1, 4))
    """

    _kind = "RNN"


class _GatedSequence(_Sequence):
    """LSTM and GRU: PyTorch's sequence arguments without `nonlinearity` (their gates fix it)."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype: Any = np.float64, seed: Rng = None,
                 fused: bool = True) -> None:
        super().__init__(input_size, hidden_size, num_layers, "tanh", bias, batch_first,
                         dropout, bidirectional, dtype, seed, fused)


class LSTM(_GatedSequence):
    """A multi-layer LSTM over a sequence, as torch.nn.LSTM: `lstm(x, (h_0, c_0))` returns
    (output, (h_n, c_n)); the state defaults to zeros."""

    _kind = "LSTM"


class GRU(_GatedSequence):
    """A multi-layer GRU over a sequence, as torch.nn.GRU: `gru(x, h_0=None)` returns
    (output, h_n).

    >>> out, h_n = GRU(3, 4, batch_first=True, bidirectional=True, seed=0)(np.ones((2, 5, 3)))
    >>> out.shape, h_n.shape
    ((2, 5, 8), (2, 2, 4))
    """

    _kind = "GRU"


__all__: List[str] = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]
