"""Fused recurrent cells: one node per timestep of an RNN, LSTM or GRU, with a joint VJP.

A cell written with ordinary ops records a dozen nodes per timestep (a product, the gates, their
products); the fused step records one, and its VJP does the gate arithmetic on whole arrays. The
layers in `nn.recurrent` use these by default and the per-gate graph with `fused=False` (the
graph a drawing of the gates needs).

Each step returns a *record*: the new state and what its VJP needs, side by side along the last
axis, so the next step reads its state from it and no extra node is recorded:
    rnn_step:  h                              (N, H)
    lstm_step: [h, c, i, f, g, o, tanh(c)]    (N, 7H), gates after their activation
    gru_step:  [h, r, z, n, W_hn h + b_hn]    (N, 5H), the last block is what r multiplies
A step reads its state from the first columns of `state` (h, and for the LSTM c), so the
previous step's record or the initial state `[h0, c0]` both serve. Weights and gate orders are
PyTorch's: w_ih (G*H, H_in), w_hh (G*H, H), biases (G*H,), LSTM gates i, f, g, o, GRU gates
r, z, n. The VJPs are written with Value-aware ops and read the gates from the record, so they
differentiate again (the record is the op's own output, a function of the inputs).

`projected` is `x @ w_ih.T + b_ih` when the caller already has it: a sequence computes it for
every timestep in one product before its time loop (with `project`). It must equal that
product; it gets no gradient of its own.
"""
from __future__ import annotations

import functools
from typing import Any, List, Optional

import numpy as np

from autograd.grad_mode import no_grad
from autograd.op import Op, data_of, shape_of
from autograd.ops.linalg import matmul
from autograd.ops.shape import concatenate, transpose
from autograd.value import Value

_NONLINEARITIES = ("tanh", "relu")


def _logistic(x: np.ndarray) -> np.ndarray:
    """The sigmoid of a raw array in three passes, under np.errstate(over="ignore"): exp(-x)
    overflows to inf for x < -88 (float32), and 1 / (1 + inf) is then the right limit, 0."""
    return 1.0 / (1.0 + np.exp(-x))


def _join(parts: List[Any]) -> Any:
    """The parts side by side along axis 1: numpy's concatenate for raw arrays (no node to
    record), the recorded op when one part is a Value."""
    if any(isinstance(p, Value) for p in parts):
        return concatenate(parts, axis=1)
    return np.concatenate(parts, axis=1)


def _rows_times(a: Any, b: Any) -> Any:
    """a @ b for a short batch of rows a (N, K): on raw arrays computed as (b^T a^T)^T, the
    same product, which OpenBLAS runs 1.5-1.8x faster at a step's shapes (N below b's
    columns); Values (second order) multiply as they are."""
    if isinstance(a, Value) or isinstance(b, Value):
        return a @ b
    return (b.T @ a.T).T


def _block(a: Any, k: int, size: int) -> Any:
    """Columns k*size .. (k+1)*size of a 2-D array or Value."""
    return a[:, k * size:(k + 1) * size]


def _padded_state(d_state: List[Any], state: Any, used: int) -> Any:
    """The gradient of `state`: the blocks it read, then zeros for its unread columns (written
    straight into one array when nothing is recorded, the usual case)."""
    n, m = shape_of(state)
    if len(d_state) == 1 and m == used:
        return d_state[0]
    dtype = np.asarray(data_of(state)).dtype
    if not any(isinstance(d, Value) for d in d_state):
        out = np.zeros((n, m), dtype=dtype)
        out[:, :used] = _join(d_state) if len(d_state) > 1 else d_state[0]
        return out
    pad = [np.zeros((n, m - used), dtype=dtype)] if m > used else []
    return _join(d_state + pad)


def _input_shares(d_pre: Any, x: Any, w_ih: Any, input_grad: bool) -> list:
    """Gradients of x (None when x needs none), w_ih and b_ih from the gradient of the input
    side's pre-activations."""
    return [_rows_times(d_pre, w_ih) if input_grad else None, d_pre.T @ x, d_pre.sum(axis=0)]


# ----- RNN ------------------------------------------------------------------------------------
def _rnn_forward(x, state, w_ih, w_hh, b_ih, b_hh, projected, nonlinearity, input_grad):
    hidden = w_hh.shape[1]
    pre = projected + _rows_times(state[:, :hidden], w_hh.T) + b_hh
    return np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0)


def _rnn_vjp(g, ans, x, state, w_ih, w_hh, b_ih, b_hh, projected, nonlinearity, input_grad):
    hidden = shape_of(w_hh)[1]
    d_pre = g * (1.0 - ans * ans) if nonlinearity == "tanh" else g * (data_of(ans) != 0)
    dx, dw_ih, db = _input_shares(d_pre, x, w_ih, input_grad)
    d_state = _padded_state([_rows_times(d_pre, w_hh)], state, hidden)
    return [dx, d_state, dw_ih, d_pre.T @ state[:, :hidden], db, d_pre.sum(axis=0), None]


# ----- LSTM -----------------------------------------------------------------------------------
def _lstm_forward(x, state, w_ih, w_hh, b_ih, b_hh, projected, input_grad):
    hidden = w_hh.shape[1]
    pre = projected + _rows_times(state[:, :hidden], w_hh.T) + b_hh
    record = np.empty((pre.shape[0], 7 * hidden), dtype=pre.dtype)
    h, c, i_f, g, o, tanh_c = (_block(record, 0, hidden), _block(record, 1, hidden),
                               record[:, 2 * hidden:4 * hidden], _block(record, 4, hidden),
                               _block(record, 5, hidden), _block(record, 6, hidden))
    with np.errstate(over="ignore"):
        i_f[...] = _logistic(pre[:, :2 * hidden])
        o[...] = _logistic(pre[:, 3 * hidden:])
    np.tanh(pre[:, 2 * hidden:3 * hidden], out=g)
    np.add(i_f[:, hidden:] * state[:, hidden:2 * hidden], i_f[:, :hidden] * g, out=c)
    np.tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)
    return record


def _lstm_vjp(up, ans, x, state, w_ih, w_hh, b_ih, b_hh, projected, input_grad):
    hidden = shape_of(w_hh)[1]
    h_prev, c_prev = _block(state, 0, hidden), _block(state, 1, hidden)
    i, g, o, tanh_c = (_block(ans, k, hidden) for k in (2, 4, 5, 6))
    gates, up_gates = ans[:, 2 * hidden:6 * hidden], up[:, 2 * hidden:6 * hidden]
    up_h, up_c, up_tanh_c = _block(up, 0, hidden), _block(up, 1, hidden), _block(up, 6, hidden)
    dc = up_c + (up_h * o + up_tanh_c) * (1.0 - tanh_c * tanh_c)
    d_gates = _join([dc * g, dc * c_prev, dc * i, up_h * tanh_c]) + up_gates
    d_pre = d_gates * ((1.0 - gates) * (gates + _tanh_offset(hidden, d_gates.dtype)))
    dx, dw_ih, db = _input_shares(d_pre, x, w_ih, input_grad)
    d_state = _padded_state([_rows_times(d_pre, w_hh), dc * _block(ans, 3, hidden)], state,
                             2 * hidden)
    return [dx, d_state, dw_ih, d_pre.T @ h_prev, db, d_pre.sum(axis=0), None]


@functools.lru_cache(maxsize=None)
def _tanh_offset(hidden: int, dtype: np.dtype) -> np.ndarray:
    """0 over the sigmoid gates i, f, o and 1 over g: (1 - a)(a + offset) is then every gate's
    slope at once, a(1 - a) for a sigmoid and 1 - a^2 for tanh. Read-only (shared)."""
    offset = np.zeros(4 * hidden, dtype=dtype)
    offset[2 * hidden:3 * hidden] = 1
    offset.flags.writeable = False
    return offset


# ----- GRU ------------------------------------------------------------------------------------
def _gru_forward(x, state, w_ih, w_hh, b_ih, b_hh, projected, input_grad):
    hidden = w_hh.shape[1]
    h = state[:, :hidden]
    hw = _rows_times(h, w_hh.T) + b_hh
    with np.errstate(over="ignore"):
        r_z = _logistic(projected[:, :2 * hidden] + hw[:, :2 * hidden])
    r, z = _block(r_z, 0, hidden), _block(r_z, 1, hidden)
    hn = _block(hw, 2, hidden)
    n = np.tanh(_block(projected, 2, hidden) + r * hn)
    return np.concatenate([(1 - z) * n + z * h, r, z, n, hn], axis=1)


def _gru_vjp(up, ans, x, state, w_ih, w_hh, b_ih, b_hh, projected, input_grad):
    hidden = shape_of(w_hh)[1]
    h = _block(state, 0, hidden)
    r, z, n, hn = (_block(ans, k, hidden) for k in range(1, 5))
    up_h, up_r, up_z, up_n, up_hn = (_block(up, k, hidden) for k in range(5))
    dn_pre = (up_h * (1.0 - z) + up_n) * (1.0 - n * n)
    dr_pre = (dn_pre * hn + up_r) * r * (1.0 - r)
    dz_pre = (up_h * (h - n) + up_z) * z * (1.0 - z)
    d_x_pre = _join([dr_pre, dz_pre, dn_pre])
    d_h_pre = _join([dr_pre, dz_pre, dn_pre * r + up_hn])
    dx, dw_ih, db_ih = _input_shares(d_x_pre, x, w_ih, input_grad)
    d_state = _padded_state([_rows_times(d_h_pre, w_hh) + up_h * z], state, hidden)
    return [dx, d_state, dw_ih, d_h_pre.T @ h, db_ih, d_h_pre.sum(axis=0), None]


_rnn_op = Op("rnn_step", _rnn_forward, joint_vjp=_rnn_vjp)
_lstm_op = Op("lstm_step", _lstm_forward, joint_vjp=_lstm_vjp)
_gru_op = Op("gru_step", _gru_forward, joint_vjp=_gru_vjp)


def _needs_grad(x: Any) -> bool:
    """Whether the step's input x needs a gradient (a sequence's raw data does not: its VJP
    then skips the product that would give it one)."""
    return isinstance(x, Value) and x.requires_grad


def _checked(op: str, gates: int, state_blocks: int, x: Any, state: Any, w_ih: Any, w_hh: Any,
             b_ih: Any, b_hh: Any, projected: Any) -> tuple:
    """The step's inputs once their shapes fit (absent biases as 0.0, `projected` computed
    when not given), or a ValueError naming `op`, the shapes and what they must be."""
    ws, xs, ss = shape_of(w_hh), shape_of(x), shape_of(state)
    if len(ws) != 2 or ws[0] != gates * ws[1]:
        raise ValueError(f"{op}: w_hh must be ({gates} * hidden_size, hidden_size), got {ws}")
    hidden = ws[1]
    rows = gates * hidden
    if len(xs) != 2 or shape_of(w_ih) != (rows, xs[-1]):
        raise ValueError(f"{op}: x must be (N, input_size) and w_ih ({rows}, input_size), got "
                         f"x {xs} and w_ih {shape_of(w_ih)}")
    if len(ss) != 2 or ss[0] != xs[0] or ss[1] < state_blocks * hidden:
        raise ValueError(f"{op}: state must be (N, at least {state_blocks * hidden}) for x of "
                         f"shape {xs} and hidden_size {hidden}, got {ss}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and shape_of(b) != (rows,):
            raise ValueError(f"{op}: {name} must have shape ({rows},), got {shape_of(b)}")
    if projected is None:
        projected = project(x, w_ih, b_ih)
    elif shape_of(projected) != (xs[0], rows):
        raise ValueError(f"{op}: projected must be x @ w_ih.T + b_ih, of shape ({xs[0]}, "
                         f"{rows}), got {shape_of(projected)}")
    zero = 0.0
    return (x, state, w_ih, w_hh, zero if b_ih is None else b_ih, zero if b_hh is None else b_hh,
            projected)


def project(x: Any, w_ih: Any, b_ih: Any) -> Any:
    """x @ w_ih.T + b_ih, for the steps' `projected`: ops run without recording a gradient (the
    steps' VJPs give x, w_ih and b_ih theirs), so a compiled program computes it each call."""
    with no_grad():
        projected = matmul(x, transpose(w_ih))
        return projected if b_ih is None else projected + b_ih


def rnn_step(x: Any, state: Any, w_ih: Any, w_hh: Any, b_ih: Optional[Any] = None,
             b_hh: Optional[Any] = None, nonlinearity: str = "tanh",
             projected: Optional[Any] = None) -> Any:
    """One Elman RNN step as one node: h' = act(x w_ih^T + b_ih + h w_hh^T + b_hh), with act
    tanh or relu; h is the first H columns of `state` (N, >= H). Returns h' (N, H).

    >>> x, h = np.ones((2, 3)), np.zeros((2, 4))
    >>> rnn_step(x, h, np.full((4, 3), 0.1), np.eye(4)).shape
    (2, 4)
    """
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"rnn_step: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    args = _checked("rnn_step", 1, 1, x, state, w_ih, w_hh, b_ih, b_hh, projected)
    return _rnn_op(*args, nonlinearity=nonlinearity, input_grad=_needs_grad(x))


def lstm_step(x: Any, state: Any, w_ih: Any, w_hh: Any, b_ih: Optional[Any] = None,
              b_hh: Optional[Any] = None, projected: Optional[Any] = None) -> Any:
    """One LSTM step as one node, PyTorch's cell: gates i, f, g, o from x w_ih^T + b_ih +
    h w_hh^T + b_hh (sigmoid, sigmoid, tanh, sigmoid), c' = f c + i g, h' = o tanh(c'). h and c
    are the first 2H columns of `state` (N, >= 2H). Returns the record [h', c', i, f, g, o,
    tanh(c')] (N, 7H), which the next step takes as its state.

    >>> record = lstm_step(np.ones((2, 3)), np.zeros((2, 8)), np.zeros((16, 3)), np.zeros((16, 4)))
    >>> record.shape, float(record[0, 4])            # c' = 0.5 * 0 + 0.5 * tanh(0)
    ((2, 28), 0.0)
    """
    args = _checked("lstm_step", 4, 2, x, state, w_ih, w_hh, b_ih, b_hh, projected)
    return _lstm_op(*args, input_grad=_needs_grad(x))


def gru_step(x: Any, state: Any, w_ih: Any, w_hh: Any, b_ih: Optional[Any] = None,
             b_hh: Optional[Any] = None, projected: Optional[Any] = None) -> Any:
    """One GRU step as one node, PyTorch's cell: r, z = sigmoid(x w_i^T + b_i + h w_h^T + b_h),
    n = tanh(x w_in^T + b_in + r (h w_hn^T + b_hn)), h' = (1 - z) n + z h; h is the first H
    columns of `state` (N, >= H). Returns the record [h', r, z, n, h w_hn^T + b_hn] (N, 5H).

    >>> gru_step(np.ones((2, 3)), np.zeros((2, 4)), np.zeros((12, 3)), np.zeros((12, 4))).shape
    (2, 20)
    """
    args = _checked("gru_step", 3, 1, x, state, w_ih, w_hh, b_ih, b_hh, projected)
    return _gru_op(*args, input_grad=_needs_grad(x))
