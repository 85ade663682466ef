"""Fused recurrent ops: one node per timestep of an RNN, LSTM or GRU (the cells), or one node
per whole sequence of a layer and direction (the sequence layers), each with a joint VJP.

A cell written with ordinary ops records a dozen nodes per timestep (a product, the gates, their
products); a fused step records one, and its VJP does the gate arithmetic on whole arrays. A
fused sequence records one node for all timesteps: its forward computes the input side's
product x @ w_ih.T + b_ih (+ b_hh for the RNN and LSTM) for every timestep at once and loops
the cell; its VJP runs backpropagation through time and forms the gradients of w_ih, w_hh,
the biases and x as one product each over all timesteps (not one small product per step). The
layers in `nn.recurrent` use these by default and the per-gate graph with `fused=False` (the
graph a drawing of the gates needs).

Each step returns a *record*: the new state and what its VJP needs, side by side along the last
axis, so the next step reads its state from it and no extra node is recorded:
    rnn_step:  h                              (N, H)
    lstm_step: [h, c, i, f, g, o, tanh(c)]    (N, 7H), gates after their activation
    gru_step:  [h, r, z, n, W_hn h + b_hn]    (N, 5H), the last block is what r multiplies
A sequence returns every step's record, (L, N, blocks * H) in the input's time order. A step
reads its state from the first columns of `state` (h, and for the LSTM c), so the previous
step's record or the initial state `[h0, c0]` both serve. The LSTM's records are stored
feature-major (same shape and values, the last two axes transposed in memory), so that each
block of each step is one contiguous (H, N) array and its gate arithmetic runs on whole
arrays. Weights and gate orders are PyTorch's: w_ih (G*H, H_in), w_hh (G*H, H), biases
(G*H,), LSTM gates i, f, g, o, GRU gates r, z, n. The VJPs are written with Value-aware
ops and read the gates from the records, so they differentiate again (the records are the
op's own output, a function of the inputs).

A step's `projected` is `x @ w_ih.T + b_ih` when the caller already has it (with `project`). It
must equal that product; it gets no gradient of its own.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, List, Optional

import numpy as np

from autograd.grad_mode import no_grad
from autograd.op import Op, data_of, shape_of
from autograd.ops.elementwise import where
from autograd.ops.linalg import matmul
from autograd.ops.shape import concatenate, reshape, stack, transpose
from autograd.value import Value

_NONLINEARITIES = ("tanh", "relu")
_workspace = threading.local()


def _scratch(name: str, shape: tuple, dtype: Any) -> np.ndarray:
    """An uninitialised array for one op call's own use, kept (one per name, in this thread)
    for the next call of the same shape and dtype: a sequence's input projection and its
    gradients of all timesteps are megabytes, and memory taken fresh at every call costs a
    page fault per 4 KiB on its first write. None of it leaves the call."""
    arrays = _workspace.__dict__.setdefault("arrays", {})
    array = arrays.get(name)
    if array is None or array.shape != shape or array.dtype != dtype:
        array = arrays[name] = np.empty(shape, dtype)
    return array


def _logistic(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The sigmoid of a raw array written into `out` (which may be x) in four passes without a
    temporary, under np.errstate(over="ignore"): exp(-x) overflows to inf for x < -88 (float32),
    and 1 / (1 + inf) is then the right limit, 0. (0 - x, not np.negative: numpy 2.4's float32
    negative misreads some strided inputs written to an `out` of other strides.)"""
    np.subtract(0.0, x, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _join(parts: List[Any], out: Optional[np.ndarray] = None) -> Any:
    """The parts side by side along axis 1: numpy's concatenate for raw arrays (no node to
    record; into `out` when given), the recorded op when one part is a Value."""
    if any(isinstance(p, Value) for p in parts):
        return concatenate(parts, axis=1)
    return np.concatenate(parts, axis=1, out=out)


def _plus(a: np.ndarray, b: Any) -> np.ndarray:
    """a + b for raw arrays, written into `a` (the caller's own) when that keeps numpy's result
    dtype (a bias of wider dtype than `a` promotes, as numpy's +); `a` itself when b is None
    (a bias already added)."""
    if b is None:
        return a
    if np.result_type(a, b) != a.dtype:
        return a + b
    a += b
    return a


def _stored(a: Any, out: Optional[np.ndarray]) -> Any:
    """`a`, copied into `out` when one is given (a sequence's buffer of every step's gradient)."""
    if out is None:
        return a
    out[...] = a
    return out


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


def _carried(up: Any, carry: Optional[List[Any]], k: int, size: int) -> Any:
    """Block k of the upstream gradient, plus the gradient the next step sends back to that
    block of its state (`carry`, the blocks a step reads from its state; None for a lone step)."""
    block = up if shape_of(up)[1] == size else _block(up, k, size)
    return block if carry is None else block + carry[k]


def time_order(steps: int, reverse: bool) -> range:
    """The timesteps in the order a direction visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


# A kind's cell computes one step's record on raw arrays into `out` (the forward); its core VJP
# gives, from the gradient of the record (plus `carry`), the gradients of the input side's and
# the hidden side's pre-activations and of the state blocks the step read (Value-aware). A core
# given `out` (raw arrays only) writes the input side's gradient there.

# ----- RNN ------------------------------------------------------------------------------------
def _rnn_cell(projected, state, w_hh, b_hh, out, nonlinearity):
    hidden = w_hh.shape[1]
    pre = _plus(projected + _rows_times(state[:, :hidden], w_hh.T), b_hh)
    return np.tanh(pre, out=out) if nonlinearity == "tanh" else np.maximum(pre, 0, out=out)


def _rnn_core(up, carry, ans, state, w_hh, out, nonlinearity):
    g = _carried(up, carry, 0, shape_of(w_hh)[1])
    # relu passes the gradient where its output is not 0 (NaN included), and only there: a
    # NaN carried back from a later step stays out of an output of 0, as in PyTorch
    d_pre = g * (1.0 - ans * ans) if nonlinearity == "tanh" else where(data_of(ans) != 0, g, 0.0)
    d_pre = _stored(d_pre, out)
    return d_pre, d_pre, [_rows_times(d_pre, w_hh)]


# ----- LSTM -----------------------------------------------------------------------------------
# An LSTM record is laid out feature-major (`_record`): each of its seven blocks is one
# contiguous (H, N) array in memory, so the gate arithmetic runs on whole contiguous arrays (on
# a block of a row-major record numpy loops over N rows of H: three times slower at H = 128).
def _lstm_cell(projected, state, w_hh, b_hh, out):
    """One step into the feature-major record `out`; `projected` None when its gate rows
    already hold the input side (a sequence puts every step's there at once)."""
    hidden = w_hh.shape[1]
    record, previous = out.T, state.T           # (7H, N): block k is rows kH .. (k+1)H
    gates = record[2 * hidden:6 * hidden]       # the pre-activations, activated in place
    product = w_hh @ previous[:hidden]
    if projected is None:
        gates += product
    else:
        np.add(projected.T, product, out=gates)
    if b_hh is not None:
        gates += np.asarray(b_hh)[..., None]
    i_f, g, o = gates[:2 * hidden], _rows(gates, 2, hidden), _rows(gates, 3, hidden)
    _logistic(i_f, i_f)
    _logistic(o, o)
    np.tanh(g, out=g)
    h, c, tanh_c = _rows(record, 0, hidden), _rows(record, 1, hidden), _rows(record, 6, hidden)
    np.multiply(i_f[:hidden], g, out=c)
    c += i_f[hidden:] * previous[hidden:2 * hidden]
    np.tanh(c, out=tanh_c)
    np.multiply(o, tanh_c, out=h)
    return out


def _lstm_core(up, carry, ans, state, w_hh, out):
    if out is not None:
        return _lstm_core_into(up, carry, ans, state, w_hh, out)
    hidden = shape_of(w_hh)[1]
    i, g, o, tanh_c = (_block(ans, k, hidden) for k in (2, 4, 5, 6))
    gates, up_gates = ans[:, 2 * hidden:6 * hidden], up[:, 2 * hidden:6 * hidden]
    up_h, up_c = _carried(up, carry, 0, hidden), _carried(up, carry, 1, hidden)
    dc = up_c + (up_h * o + _block(up, 6, hidden)) * (1.0 - tanh_c * tanh_c)
    d_gates = _join([dc * g, dc * _block(state, 1, hidden), dc * i, up_h * tanh_c]) + up_gates
    d_pre = d_gates * ((1.0 - gates) * (gates + _tanh_offset(hidden, d_gates.dtype)))
    return d_pre, d_pre, [_rows_times(d_pre, w_hh), dc * _block(ans, 3, hidden)]


def _lstm_core_into(up, carry, ans, state, w_hh, out):
    """`_lstm_core`'s arithmetic on raw arrays, feature-major: `out` (4H, N) gets the
    pre-activations' gradient, and the carried gradients (H, N) of h and c, the previous
    call's own arrays, are updated in place: a sequence's backward pass runs it at every
    step, where temporaries cost as much as the arithmetic. `ans` is a feature-major record;
    `up` comes in its producer's layout."""
    hidden = w_hh.shape[1]
    record, upstream = ans.T, up.T
    i, f, g, o, tanh_c = (_rows(record, k, hidden) for k in range(2, 7))
    if carry is None:
        up_h, dc = _rows(upstream, 0, hidden).copy(), _rows(upstream, 1, hidden).copy()
    else:
        up_h, dc = carry
        up_h += _rows(upstream, 0, hidden)
        dc += _rows(upstream, 1, hidden)
    slope = tanh_c * tanh_c
    np.subtract(1.0, slope, out=slope)
    through_h = up_h * o
    through_h += _rows(upstream, 6, hidden)
    through_h *= slope
    dc += through_h
    for k, (a, b) in enumerate(((dc, g), (dc, _rows(state.T, 1, hidden)), (dc, i),
                                (up_h, tanh_c))):
        np.multiply(a, b, out=_rows(out, k, hidden))
    out += upstream[2 * hidden:6 * hidden]
    gates = record[2 * hidden:6 * hidden]
    slope = np.subtract(1.0, gates)
    slope *= gates + _tanh_offset(hidden, out.dtype, out.shape[1])
    out *= slope
    dc *= f
    return out, out, [w_hh.T @ out, dc]


def _rows(a: np.ndarray, k: int, size: int) -> np.ndarray:
    """Rows k*size .. (k+1)*size of a feature-major record or gradient: block k."""
    return a[k * size:(k + 1) * size]


@functools.lru_cache(maxsize=64)
def _tanh_offset(hidden: int, dtype: np.dtype, columns: int = 0) -> np.ndarray:
    """0 over the sigmoid gates i, f, o and 1 over g: (1 - a)(a + offset) is then every gate's
    slope at once, a(1 - a) for a sigmoid and 1 - a^2 for tanh. Along the last axis (4H,), or
    feature-major (4H, columns) with `columns`, whole (a column broadcast along N rows would
    loop over them). Read-only (shared)."""
    offset = np.zeros((4 * hidden, columns) if columns else 4 * hidden, dtype=dtype)
    offset[2 * hidden:3 * hidden] = 1
    offset.flags.writeable = False
    return offset


# ----- GRU ------------------------------------------------------------------------------------
def _gru_cell(projected, state, w_hh, b_hh, out):
    hidden = w_hh.shape[1]
    h = state[:, :hidden]
    hw = _rows_times(h, w_hh.T) + b_hh
    r_z = projected[:, :2 * hidden] + hw[:, :2 * hidden]
    _logistic(r_z, r_z)
    r, z = _block(r_z, 0, hidden), _block(r_z, 1, hidden)
    hn = _block(hw, 2, hidden)
    n = np.tanh(_block(projected, 2, hidden) + r * hn)
    return np.concatenate([(1 - z) * n + z * h, r, z, n, hn], axis=1, out=out)


def _gru_core(up, carry, ans, state, w_hh, out):
    hidden = shape_of(w_hh)[1]
    h = _block(state, 0, hidden)
    r, z, n, hn = (_block(ans, k, hidden) for k in range(1, 5))
    up_h = _carried(up, carry, 0, hidden)
    up_r, up_z, up_n, up_hn = (_block(up, k, hidden) for k in range(1, 5))
    dn_pre = (up_h * (1.0 - z) + up_n) * (1.0 - n * n)
    dr_pre = (dn_pre * hn + up_r) * r * (1.0 - r)
    dz_pre = (up_h * (h - n) + up_z) * z * (1.0 - z)
    d_x_pre = _join([dr_pre, dz_pre, dn_pre], out)
    d_h_pre = _join([dr_pre, dz_pre, dn_pre * r + up_hn])
    return d_x_pre, d_h_pre, [_rows_times(d_h_pre, w_hh) + up_h * z]


# ----- one step and a whole sequence, from a kind's cell and core ----------------------------
def _record(blocks: int, w_hh: np.ndarray, feature_major: bool, *inputs: Any) -> np.ndarray:
    """An empty record of `blocks` blocks of hidden size for every row of the first input (and
    the leading axes before them), in the inputs' common dtype. `feature_major`: the same shape,
    its last two axes stored transposed, so that each block of each step is one contiguous
    (H, N) array (`.T` of a step's record, or `np.swapaxes(records, 1, 2)`, is contiguous)."""
    lead = np.shape(inputs[0])[:-1]
    width, dtype = blocks * w_hh.shape[1], np.result_type(w_hh, *inputs)
    if not feature_major:
        return np.empty(lead + (width,), dtype=dtype)
    return np.swapaxes(np.empty(lead[:-1] + (width, lead[-1]), dtype=dtype), -1, -2)


def _step_op(name: str, cell: Any, core: Any, blocks: int, feature_major: bool) -> Op:
    """One timestep as one node: its record from `projected` (x @ w_ih.T + b_ih), and a VJP
    that adds the input side's gradients to the core's."""
    def forward(x, state, w_ih, w_hh, b_ih, b_hh, projected, input_grad, **attrs):
        out = _record(blocks, w_hh, feature_major, projected, x, state, w_ih, b_ih, b_hh)
        with np.errstate(over="ignore"):                # the sigmoids' exp (see _logistic)
            return cell(projected, state, w_hh, b_hh, out, **attrs)

    def vjp(up, ans, x, state, w_ih, w_hh, b_ih, b_hh, projected, input_grad, **attrs):
        hidden = shape_of(w_hh)[1]
        d_x_pre, d_h_pre, d_state = core(up, None, ans, state, w_hh, None, **attrs)
        dx = _rows_times(d_x_pre, w_ih) if input_grad else None
        return [dx, _padded_state(d_state, state, len(d_state) * hidden), d_x_pre.T @ x,
                d_h_pre.T @ state[:, :hidden], d_x_pre.sum(axis=0), d_h_pre.sum(axis=0), None]
    return Op(name, forward, joint_vjp=vjp)


def _sequence_op(name: str, cell: Any, core: Any, blocks: int, summed_biases: bool,
                 gate_rows: Optional[slice] = None) -> Op:
    """A whole sequence (L, N, input_size) as one node: the input side's product for every
    timestep at once (with `summed_biases`, both biases added to it once, where a kind's cell
    adds b_hh to the same pre-activation), then the cell at each step, giving the records
    (L, N, blocks * H). Its VJP runs backpropagation through time, the core at each step in
    reverse with the state's gradient carried back, then forms the weight and input gradients
    as one product each over all timesteps. A kind with `gate_rows` (in units of H) keeps its
    records feature-major (`_record`) and gets its input side written straight into those
    rows of every step's record; its raw core works feature-major too."""
    feature_major = gate_rows is not None

    def forward(x, state, w_ih, w_hh, b_ih, b_hh, reverse, input_grad, **attrs):
        steps, n, size = x.shape
        records = _record(blocks, w_hh, feature_major, x, state, w_ih, b_ih, b_hh)
        bias, step_bias = (b_ih + b_hh, None) if summed_biases else (b_ih, b_hh)
        if feature_major:
            hidden = w_hh.shape[1]
            rows = slice(gate_rows.start * hidden, gate_rows.stop * hidden)
            _inputs_into(np.swapaxes(records, 1, 2)[:, rows], x, w_ih, bias)
            projected = [None] * steps
        else:
            scratch = _scratch("projected", (steps * n, shape_of(w_ih)[0]),
                               np.result_type(x, w_ih))
            projected = _plus(np.matmul(x.reshape(steps * n, size), w_ih.T, out=scratch), bias)
            projected = projected.reshape(steps, n, -1)
        with np.errstate(over="ignore"):                # the sigmoids' exp (see _logistic)
            for t in time_order(steps, reverse):
                state = cell(projected[t], state, w_hh, step_bias, records[t], **attrs)
        return records

    def vjp(up, ans, x, state, w_ih, w_hh, b_ih, b_hh, reverse, input_grad, **attrs):
        (steps, n, size), hidden = shape_of(x), shape_of(w_hh)[1]
        order, rows, gates = time_order(steps, reverse), steps * n, shape_of(w_ih)[0]
        d_x_pre: List[Any] = [None] * steps
        d_h_pre: List[Any] = [None] * steps
        raw = not any(isinstance(a, Value) for a in (up, ans, state, w_hh))
        buffer = (_scratch("gradients", (steps, gates, n) if feature_major else (steps, n, gates),
                           ans.dtype) if raw else None)
        carry = None
        for k in range(steps - 1, -1, -1):
            t = order[k]
            previous = state if k == 0 else ans[order[k - 1]]
            d_x_pre[t], d_h_pre[t], carry = core(up[t], carry, ans[t], previous, w_hh,
                                                 None if buffer is None else buffer[t], **attrs)
        if raw and feature_major:       # into the row-major forms the rest reads
            d_x, carry = _regrouped(buffer).T, [c.T for c in carry]
        else:
            d_x = reshape(_stacked(d_x_pre) if buffer is None else buffer, (rows, gates))
        d_h = d_x if d_h_pre[0] is d_x_pre[0] else reshape(_stacked(d_h_pre), (rows, gates))
        dx = reshape(_rows_times(d_x, w_ih), (steps, n, size)) if input_grad else None
        db_ih = d_x.sum(axis=0)
        db_hh = d_h.sum(axis=0) if d_h is not d_x else 1.0 * db_ih     # an array of its own
        return [dx, _padded_state(carry, state, len(carry) * hidden),
                d_x.T @ reshape(x, (rows, size)), _times_h_read(d_h, ans, state, hidden, reverse),
                db_ih, db_hh]
    return Op(name, forward, joint_vjp=vjp)


def _inputs_into(gates: np.ndarray, x: np.ndarray, w_ih: np.ndarray, bias: Any) -> None:
    """Every step's input side w_ih x_t^T + bias into `gates` (L, G*H, N), each step's
    contiguous: one product per step (numpy's batched matmul), then the bias, as a contiguous
    (G*H, N) tile (a column broadcast along N would loop over G*H rows of N)."""
    np.matmul(w_ih, x.transpose(0, 2, 1), out=gates)
    bias = np.asarray(bias)
    gates += np.repeat(bias, gates.shape[2]).reshape(gates.shape[1:]) if bias.ndim else bias


def _regrouped(d: np.ndarray) -> np.ndarray:
    """Every step's feature-major gradient d (L, G*H, N) regrouped by row, (G*H, L*N) in time
    order (one copy, into a scratch array), so that each weight's gradient is one product
    over all timesteps."""
    steps, rows, n = d.shape
    by_row = _scratch("gradients by row", (rows, steps, n), d.dtype)
    by_row[...] = d.transpose(1, 0, 2)
    return by_row.reshape(rows, steps * n)


def _stacked(parts: List[Any]) -> Any:
    """The parts stacked along a new first axis: numpy's stack for raw arrays, the recorded op
    when one part is a Value."""
    if any(isinstance(p, Value) for p in parts):
        return stack(parts)
    return np.stack(parts)


def _times_h_read(d_h: Any, ans: Any, state: Any, hidden: int, reverse: bool) -> Any:
    """d_h.T @ (the h each timestep read), d_h being (L * N, G * H) in time order: the initial
    state's h for the first step visited, the step visited before's for the others, as two
    products (row-major records' h are read where they are; the reshape gathers a
    feature-major record's)."""
    steps, n, _ = shape_of(ans)
    first = state[:, :hidden]
    if steps == 1:
        return d_h.T @ first
    later = (steps - 1) * n
    rest = reshape(ans[1:, :, :hidden] if reverse else ans[:-1, :, :hidden], (later, hidden))
    d_rest, d_first = (d_h[:later], d_h[later:]) if reverse else (d_h[n:], d_h[:n])
    return d_rest.T @ rest + d_first.T @ first


_rnn_op = _step_op("rnn_step", _rnn_cell, _rnn_core, 1, False)
_lstm_op = _step_op("lstm_step", _lstm_cell, _lstm_core, 7, True)
_gru_op = _step_op("gru_step", _gru_cell, _gru_core, 5, False)
_rnn_sequence_op = _sequence_op("rnn_sequence", _rnn_cell, _rnn_core, 1, True)
_lstm_sequence_op = _sequence_op("lstm_sequence", _lstm_cell, _lstm_core, 7, True, slice(2, 6))
_gru_sequence_op = _sequence_op("gru_sequence", _gru_cell, _gru_core, 5, False)


def _needs_grad(x: Any) -> bool:
    """Whether the input x needs a gradient (a sequence's raw data does not: the VJP then skips
    the product that would give it one)."""
    return isinstance(x, Value) and x.requires_grad


def _checked(op: str, gates: int, state_blocks: int, x: Any, state: Any, w_ih: Any, w_hh: Any,
             b_ih: Any, b_hh: Any, sequence: bool) -> tuple:
    """The inputs once their shapes fit (absent biases as 0.0), or a ValueError naming `op`,
    the shapes and what they must be. x is (N, input_size), or (L, N, input_size) with L >= 1
    for a `sequence`."""
    ws, xs, ss = shape_of(w_hh), shape_of(x), shape_of(state)
    if len(ws) != 2 or ws[0] != gates * ws[1]:
        raise ValueError(f"{op}: w_hh must be ({gates} * hidden_size, hidden_size), got {ws}")
    hidden = ws[1]
    rows = gates * hidden
    layout = "(L, N, input_size) with L >= 1" if sequence else "(N, input_size)"
    if (len(xs) != 2 + sequence or (sequence and xs[0] == 0)
            or shape_of(w_ih) != (rows, xs[-1])):
        raise ValueError(f"{op}: x must be {layout} and w_ih ({rows}, input_size), got "
                         f"x {xs} and w_ih {shape_of(w_ih)}")
    if len(ss) != 2 or ss[0] != xs[-2] or ss[1] < state_blocks * hidden:
        raise ValueError(f"{op}: state must be (N, at least {state_blocks * hidden}) for x of "
                         f"shape {xs} and hidden_size {hidden}, got {ss}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and shape_of(b) != (rows,):
            raise ValueError(f"{op}: {name} must have shape ({rows},), got {shape_of(b)}")
    zero = 0.0
    return (x, state, w_ih, w_hh, zero if b_ih is None else b_ih, zero if b_hh is None else b_hh)


def _with_projected(op: str, args: tuple, b_ih: Any, projected: Any) -> tuple:
    """A step's checked inputs and its `projected` (computed when not given)."""
    x, w_ih = args[0], args[2]
    rows, n = shape_of(w_ih)[0], shape_of(x)[0]
    if projected is None:
        projected = project(x, w_ih, b_ih)
    elif shape_of(projected) != (n, rows):
        raise ValueError(f"{op}: projected must be x @ w_ih.T + b_ih, of shape ({n}, {rows}), "
                         f"got {shape_of(projected)}")
    return args + (projected,)


def _direction(op: str, reverse: Any) -> bool:
    if not isinstance(reverse, (bool, np.bool_)):
        raise TypeError(f"{op}: reverse must be True or False, got {reverse!r}")
    return bool(reverse)


def _nonlinearity(op: str, nonlinearity: Any) -> str:
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"{op}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return nonlinearity


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
    nonlinearity = _nonlinearity("rnn_step", nonlinearity)
    args = _checked("rnn_step", 1, 1, x, state, w_ih, w_hh, b_ih, b_hh, False)
    return _rnn_op(*_with_projected("rnn_step", args, b_ih, projected), nonlinearity=nonlinearity,
                   input_grad=_needs_grad(x))


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
    args = _checked("lstm_step", 4, 2, x, state, w_ih, w_hh, b_ih, b_hh, False)
    return _lstm_op(*_with_projected("lstm_step", args, b_ih, projected), input_grad=_needs_grad(x))


def gru_step(x: Any, state: Any, w_ih: Any, w_hh: Any, b_ih: Optional[Any] = None,
             b_hh: Optional[Any] = None, projected: Optional[Any] = None) -> Any:
    """One GRU step as one node, PyTorch's cell: r, z = sigmoid(x w_i^T + b_i + h w_h^T + b_h),
    n = tanh(x w_in^T + b_in + r (h w_hn^T + b_hn)), h' = (1 - z) n + z h; h is the first H
    columns of `state` (N, >= H). Returns the record [h', r, z, n, h w_hn^T + b_hn] (N, 5H).

    >>> gru_step(np.ones((2, 3)), np.zeros((2, 4)), np.zeros((12, 3)), np.zeros((12, 4))).shape
    (2, 20)
    """
    args = _checked("gru_step", 3, 1, x, state, w_ih, w_hh, b_ih, b_hh, False)
    return _gru_op(*_with_projected("gru_step", args, b_ih, projected), input_grad=_needs_grad(x))


def rnn_sequence(x: Any, state: Any, w_ih: Any, w_hh: Any, b_ih: Optional[Any] = None,
                 b_hh: Optional[Any] = None, nonlinearity: str = "tanh",
                 reverse: bool = False) -> Any:
    """`rnn_step` at every timestep of x (L, N, input_size) as one node, from `state` (N, >= H),
    last to first with `reverse`. Returns every step's h (L, N, H), in x's order.

    >>> rnn_sequence(np.ones((5, 2, 3)), np.zeros((2, 4)), np.ones((4, 3)), np.eye(4)).shape
    (5, 2, 4)
    """
    nonlinearity = _nonlinearity("rnn_sequence", nonlinearity)
    args = _checked("rnn_sequence", 1, 1, x, state, w_ih, w_hh, b_ih, b_hh, True)
    return _rnn_sequence_op(*args, nonlinearity=nonlinearity,
                            reverse=_direction("rnn_sequence", reverse),
                            input_grad=_needs_grad(x))


def lstm_sequence(x: Any, state: Any, w_ih: Any, w_hh: Any, b_ih: Optional[Any] = None,
                  b_hh: Optional[Any] = None, reverse: bool = False) -> Any:
    """`lstm_step` at every timestep of x (L, N, input_size) as one node, from `state` (N, >= 2H:
    h and c), last to first with `reverse`. Returns every step's record (L, N, 7H), in x's
    order; [..., :H] is the output h.

    >>> lstm_sequence(np.ones((5, 2, 3)), np.zeros((2, 8)), np.ones((16, 3)), np.ones((16, 4))
    ...               ).shape
    (5, 2, 28)
    """
    args = _checked("lstm_sequence", 4, 2, x, state, w_ih, w_hh, b_ih, b_hh, True)
    return _lstm_sequence_op(*args, reverse=_direction("lstm_sequence", reverse),
                             input_grad=_needs_grad(x))


def gru_sequence(x: Any, state: Any, w_ih: Any, w_hh: Any, b_ih: Optional[Any] = None,
                 b_hh: Optional[Any] = None, reverse: bool = False) -> Any:
    """`gru_step` at every timestep of x (L, N, input_size) as one node, from `state` (N, >= H),
    last to first with `reverse`. Returns every step's record (L, N, 5H), in x's order.

    >>> gru_sequence(np.ones((5, 2, 3)), np.zeros((2, 4)), np.ones((12, 3)), np.ones((12, 4))
    ...              ).shape
    (5, 2, 20)
    """
    args = _checked("gru_sequence", 3, 1, x, state, w_ih, w_hh, b_ih, b_hh, True)
    return _gru_sequence_op(*args, reverse=_direction("gru_sequence", reverse),
                            input_grad=_needs_grad(x))
