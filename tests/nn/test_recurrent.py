"""nn.RNN, nn.LSTM, nn.GRU and their cells against PyTorch with the same weights (outputs, final
states and the gradients of every parameter, of the input and of the initial state), fused and
per-gate; initialisation, dropout between layers, finite differences and second order through
cells, truncated backpropagation through time, clip_grad_norm, and the errors."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Value
from autograd.engine import gradients, topological_order
from autograd.value import next_order

torch = pytest.importorskip("torch")

KINDS = ["RNN", "LSTM", "GRU"]
TOL = {np.float32: dict(rtol=1e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def _twins(kind, dtype, fused, cell=False, **options):
    """A torch module and ours holding its weights (the state_dict loads unchanged)."""
    torch.manual_seed(0)
    name = kind + "Cell" if cell else kind
    theirs = getattr(torch.nn, name)(3, 4, **options).to(TORCH_DTYPE[dtype])
    ours = getattr(nn, name)(3, 4, dtype=dtype, fused=fused, **options)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    return theirs, ours


def _pair(a):
    """The same array as a Value of ours and a torch tensor, both needing a gradient."""
    return Value(a.copy()), torch.tensor(a, requires_grad=True)


def _compare_gradients(theirs, ours, pairs, tol):
    for v, t in pairs:
        np.testing.assert_allclose(v.grad, t.grad.numpy(), **tol)
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        assert mine[name].grad.dtype == mine[name].dtype
        np.testing.assert_allclose(mine[name].grad, p.grad.numpy(), **tol, err_msg=name)


def _run_sequence(kind, dtype, fused, layers, bidirectional, batch_first, given_state,
                  unbatched=False):
    theirs, ours = _twins(kind, dtype, fused, num_layers=layers, bidirectional=bidirectional,
                          batch_first=batch_first)
    rng = np.random.default_rng(1)
    directions = 2 if bidirectional else 1
    shape = (5, 3) if unbatched else (2, 5, 3) if batch_first else (5, 2, 3)
    x, xt = _pair(rng.normal(size=shape).astype(dtype))
    pairs, args, targs = [(x, xt)], [], []
    if given_state:
        state_shape = (layers * directions,) + (() if unbatched else (2,)) + (4,)
        states = [_pair(rng.normal(size=state_shape).astype(dtype))
                  for _ in range(2 if kind == "LSTM" else 1)]
        pairs += states
        mine, its = [s[0] for s in states], [s[1] for s in states]
        args, targs = ([tuple(mine)], [tuple(its)]) if kind == "LSTM" else (mine, its)
    out, final = ours(x, *args)
    tout, tfinal = theirs(xt, *targs)
    if kind == "LSTM":                      # both parts of the final state take part
        final, tfinal = final[0] * 1.5 + final[1], tfinal[0] * 1.5 + tfinal[1]
    tol = TOL[dtype]
    assert out.dtype == dtype and out.shape == tuple(tout.shape)
    assert final.shape == tuple(tfinal.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **tol)
    np.testing.assert_allclose(final.data, tfinal.detach().numpy(), **tol)
    up_out = rng.normal(size=out.shape).astype(dtype)
    up_final = rng.normal(size=final.shape).astype(dtype)
    ((out * up_out).sum() + (final * up_final).sum()).backward()
    ((tout * torch.tensor(up_out)).sum() + (tfinal * torch.tensor(up_final)).sum()).backward()
    _compare_gradients(theirs, ours, pairs, tol)


# Every option meets every other across these four layouts (pairwise), for each kind, dtype
# and path: (num_layers, bidirectional, batch_first, initial state given).
LAYOUTS = [(1, False, False, False), (2, True, True, True), (2, False, True, False),
           (1, True, False, True)]


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "per-gate"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("layout", LAYOUTS,
                         ids=lambda v: "layers{}-bi{:d}-bf{:d}-h0{:d}".format(*v))
@pytest.mark.parametrize("kind", KINDS)
def test_sequence_matches_torch(kind, layout, dtype, fused):
    _run_sequence(kind, dtype, fused, *layout)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "per-gate"])
@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_sequence_matches_torch(kind, fused):
    _run_sequence(kind, np.float64, fused, 2, True, False, True, unbatched=True)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "per-gate"])
def test_relu_rnn_without_bias_matches_torch(fused):
    torch.manual_seed(0)
    theirs = torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bias=False).double()
    ours = nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bias=False, fused=fused)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert [n for n, _ in ours.named_parameters()] == ["weight_ih_l0", "weight_hh_l0",
                                                       "weight_ih_l1", "weight_hh_l1"]
    x, xt = _pair(np.random.default_rng(2).normal(size=(6, 2, 3)))
    out, h_n = ours(x)
    tout, th_n = theirs(xt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL[np.float64])
    (out.sum() + h_n.sum()).backward()
    (tout.sum() + th_n.sum()).backward()
    _compare_gradients(theirs, ours, [(x, xt)], TOL[np.float64])


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "per-gate"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("unbatched", [False, True], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kind", KINDS)
def test_cell_matches_torch(kind, unbatched, dtype, fused):
    theirs, ours = _twins(kind, dtype, fused, cell=True)
    rng = np.random.default_rng(3)
    lead = () if unbatched else (2,)
    x, xt = _pair(rng.normal(size=lead + (3,)).astype(dtype))
    pairs = [(x, xt)]
    if unbatched:                           # and the default (zero) state
        out, tout = ours(x), theirs(xt)
    else:
        states = [_pair(rng.normal(size=lead + (4,)).astype(dtype))
                  for _ in range(2 if kind == "LSTM" else 1)]
        pairs += states
        mine, its = [s[0] for s in states], [s[1] for s in states]
        out = ours(x, tuple(mine) if kind == "LSTM" else mine[0])
        tout = theirs(xt, tuple(its) if kind == "LSTM" else its[0])
    if kind == "LSTM":
        assert out[0].shape == out[1].shape == lead + (4,)
        out, tout = out[0] * 1.5 + out[1], tout[0] * 1.5 + tout[1]
    assert out.dtype == dtype and out.shape == lead + (4,)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL[dtype])
    up = rng.normal(size=out.shape).astype(dtype)
    (out * up).sum().backward()
    (tout * torch.tensor(up)).sum().backward()
    _compare_gradients(theirs, ours, pairs, TOL[dtype])


@pytest.mark.parametrize("kind", KINDS)
def test_parameters_have_pytorchs_names_shapes_and_initialisation(kind):
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    model = getattr(nn, kind)(5, 20, num_layers=2, bidirectional=True, seed=0)
    theirs = getattr(torch.nn, kind)(5, 20, num_layers=2, bidirectional=True)
    shapes = {name: tuple(p.shape) for name, p in theirs.named_parameters()}
    assert {name: p.shape for name, p in model.named_parameters()} == shapes
    assert [name for name, _ in model.named_parameters()] == list(shapes)
    assert model.weight_ih_l1_reverse.shape == (gates * 20, 40)
    bound = 1 / np.sqrt(20)
    values = np.concatenate([p.data.ravel() for p in model.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.05 * bound
    assert np.array_equal(getattr(nn, kind)(5, 20, seed=3).weight_hh_l0.data,
                          getattr(nn, kind)(5, 20, seed=3).weight_hh_l0.data)
    cell = getattr(nn, kind + "Cell")(5, 20, bias=False, dtype=np.float32, seed=0)
    assert [name for name, _ in cell.named_parameters()] == ["weight_ih", "weight_hh"]
    assert cell.weight_ih.dtype == np.float32


def test_dropout_acts_between_layers_in_training_only():
    torch.manual_seed(0)
    plain = nn.LSTM(3, 4, num_layers=2, seed=0)
    dropped = nn.LSTM(3, 4, num_layers=2, dropout=0.5, seed=0)
    dropped.load_state_dict(plain.state_dict())
    x = np.random.default_rng(4).normal(size=(5, 2, 3))
    reference = plain(x)[0].data
    np.testing.assert_array_equal(dropped.eval()(x)[0].data, reference)
    dropped.train()
    assert not np.allclose(dropped(x)[0].data, reference)
    first = dropped(x)[0].data
    again = nn.LSTM(3, 4, num_layers=2, dropout=0.5, seed=0)
    again(x)                                # the same seed draws the same masks
    np.testing.assert_array_equal(again(x)[0].data, first)
    one_layer = nn.GRU(3, 4, dropout=0.5, seed=0)            # nothing between layers to drop
    np.testing.assert_array_equal(one_layer(x)[0].data, one_layer.eval()(x)[0].data)
    np.testing.assert_array_equal(nn.GRU(3, 4, num_layers=2, dropout=0.0, seed=0)(x)[0].data,
                                  nn.GRU(3, 4, num_layers=2, seed=0).eval()(x)[0].data)


def _through_steps(cell, kind, steps):
    """A function of (inputs of every step, initial h[, c]) running `cell` over the steps."""
    def run(xs, h, *c):
        state = (h, c[0]) if kind == "LSTM" else h
        outs = []
        for t in range(steps):
            state = cell(xs[t], state)
            outs.append(state[0] * 1.5 + state[1] if kind == "LSTM" else state)
        return ag.stack(outs)
    return run


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "per-gate"])
@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_through_three_steps_of_each_cell(kind, fused):
    cell = getattr(nn, kind + "Cell")(2, 3, seed=0, fused=fused)
    rng = np.random.default_rng(5)
    inputs = [rng.normal(size=(3, 2, 2)), rng.normal(size=(2, 3))]
    if kind == "LSTM":
        inputs.append(rng.normal(size=(2, 3)))
    assert ag.gradcheck(_through_steps(cell, kind, 3), *inputs)
    assert ag.gradcheck(lambda w_ih, w_hh: _with_weights(cell, w_ih, w_hh, kind, inputs),
                        cell.weight_ih.data.copy(), cell.weight_hh.data.copy())


def _with_weights(cell, w_ih, w_hh, kind, inputs):
    """The cell's steps with w_ih and w_hh (Values) in place of its weights."""
    saved = cell.weight_ih, cell.weight_hh
    cell._parameters["weight_ih"], cell._parameters["weight_hh"] = w_ih, w_hh
    try:
        return _through_steps(cell, kind, 3)(*inputs)
    finally:
        cell._parameters["weight_ih"], cell._parameters["weight_hh"] = saved


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "per-gate"])
def test_second_order_through_an_rnn_cell(fused):
    cell = nn.RNNCell(2, 3, seed=0, fused=fused)
    rng = np.random.default_rng(6)
    xs, h = rng.normal(size=(2, 2, 2)), rng.normal(size=(2, 3))
    assert ag.gradcheck(_through_steps(cell, "RNN", 2), xs, h, order=2)


@pytest.mark.parametrize("kind", KINDS)
def test_double_backward_of_fused_cells_matches_torch(kind):
    """d/dx of |d loss / d h|^2 through two fused steps, against torch's double backward."""
    theirs, ours = _twins(kind, np.float64, True, cell=True)
    rng = np.random.default_rng(7)
    xs, h = rng.normal(size=(2, 2, 3)), rng.normal(size=(2, 4))
    x, xt = _pair(xs)
    h0, ht = _pair(h)
    zeros = np.zeros((2, 4))
    state, tstate = (h0, zeros) if kind == "LSTM" else h0, (
        (ht, torch.zeros(2, 4, dtype=torch.float64)) if kind == "LSTM" else ht)
    for t in range(2):
        state, tstate = ours(x[t], state), theirs(xt[t], tstate)
    out, tout = (state[0], tstate[0]) if kind == "LSTM" else (state, tstate)
    grad_h = gradients((out * out).sum(), [h0], create_graph=True)[0]
    (grad_h * grad_h).sum().backward()
    (tgrad_h,) = torch.autograd.grad((tout * tout).sum(), [ht], create_graph=True)
    (tgrad_h * tgrad_h).sum().backward()
    np.testing.assert_allclose(grad_h.data, tgrad_h.detach().numpy(), **TOL[np.float64])
    np.testing.assert_allclose(x.grad, xt.grad.numpy(), **TOL[np.float64])
    _compare_gradients(theirs, ours, [], TOL[np.float64])


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "per-gate"])
def test_truncated_bptt_stops_at_the_detached_state(fused):
    """Chunks of one sequence, the state carried with .detach(): the gradient of the second
    chunk's loss reaches neither the first chunk's input nor its graph, and equals the gradient
    of that chunk run alone from the carried state, as in torch."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 4, num_layers=2).double()
    ours = nn.LSTM(3, 4, num_layers=2, fused=fused)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(8)
    chunks = [rng.normal(size=(4, 2, 3)) for _ in range(2)]
    first = Value(chunks[0].copy())
    _, (h, c) = ours(first)
    state = (h.detach(), c.detach())
    assert not state[0].requires_grad
    out, _ = ours(Value(chunks[1].copy()), state)
    loss = (out * out).mean()
    loss.backward()
    assert first.grad is None and h.grad is None
    grads = {name: p.grad.copy() for name, p in ours.named_parameters()}
    ours.zero_grad()
    alone, _ = ours(chunks[1], (h.data.copy(), c.data.copy()))
    (alone * alone).mean().backward()
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad, rtol=1e-12, atol=1e-14)
    _, (th, tc) = theirs(torch.tensor(chunks[0]))
    tout, _ = theirs(torch.tensor(chunks[1]), (th.detach(), tc.detach()))
    (tout * tout).mean().backward()
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), **TOL[np.float64])


def test_clip_grad_norm_on_a_recurrent_model():
    model = nn.GRU(3, 4, num_layers=2, seed=0)
    out, h_n = model(np.random.default_rng(9).normal(size=(6, 2, 3)) * 5)
    (out.sum() * 10).backward()
    params = model.parameters()
    before = np.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    assert nn.clip_grad_norm(params, 0.5) == pytest.approx(before)
    after = np.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    assert before > 0.5 and after == pytest.approx(0.5, rel=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_fused_records_one_node_per_direction_and_step_and_per_gate_names_the_gates(kind):
    x = np.ones((7, 2, 3))
    fused_out, _ = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, seed=0)(x)
    ops = [node.op for node in topological_order(fused_out)]
    assert ops.count(f"{kind.lower()}_sequence") == 4 and f"{kind.lower()}_step" not in ops
    fused_cell = getattr(nn, kind + "Cell")(3, 4, seed=0)(np.ones((2, 3)))
    fused_h = fused_cell[0] if kind == "LSTM" else fused_cell
    assert [node.op for node in topological_order(fused_h)].count(f"{kind.lower()}_step") == 1
    cell = getattr(nn, kind + "Cell")(3, 4, seed=0, fused=False)
    out = cell(np.ones((2, 3)))
    h = out[0] if kind == "LSTM" else out
    names = {node.name for node in topological_order(h)}
    expected = {"RNN": {"h"}, "LSTM": {"i", "f", "g", "o", "c", "h"},
                "GRU": {"r", "z", "n", "h"}}[kind]
    assert expected <= names


def test_an_embedding_feeds_an_lstm_and_the_model_saves_and_loads(tmp_path):
    emb, lstm = nn.Embedding(10, 3, seed=0), nn.LSTM(3, 4, batch_first=True, seed=1)
    tokens = np.array([[1, 2, 3, 0], [4, 4, 5, 6]])
    out, (h_n, _) = lstm(emb(tokens))
    np.testing.assert_allclose(out.data[:, -1], h_n.data[0], rtol=1e-14)
    out.sum().backward()
    assert emb.weight.grad[7:].sum() == 0 and np.abs(emb.weight.grad[4]).sum() > 0
    path = tmp_path / "lstm.npz"
    lstm.save(path)
    again = nn.LSTM(3, 4, batch_first=True, seed=2).load(path)
    np.testing.assert_array_equal(again(emb(tokens))[0].data, out.data)
    with pytest.raises(ValueError, match="batch_first: True in the file, False here"):
        nn.LSTM(3, 4, seed=2).load(path)


def _refuses(error, pattern, call):
    """`call` raises `error` matching `pattern` before recording or creating any Value."""
    start = next_order()
    with pytest.raises(error, match=pattern):
        call()
    assert next_order() == start + 1


def test_bad_inputs_raise_one_clear_error_before_computing():
    lstm = nn.LSTM(32, 128, seed=0)
    _refuses(ValueError, r"LSTM\(32, 128\): expected input of shape \(L, N, 32\) or \(L, 32\) "
                         r"unbatched, got \(5, 2, 31\); the last axis holds the features",
             lambda: lstm(np.zeros((5, 2, 31))))
    _refuses(ValueError, r"LSTM\(32, 128\): h_0 must have shape \(1, 2, 128\) for this input, "
                         r"got \(2, 128\)",
             lambda: lstm(np.zeros((5, 2, 32)), (np.zeros((2, 128)), np.zeros((1, 2, 128)))))
    _refuses(TypeError, r"LSTM\(32, 128\): the initial state must be a pair \(h_0, c_0\)",
             lambda: lstm(np.zeros((5, 2, 32)), np.zeros((1, 2, 128))))
    _refuses(TypeError, r"LSTM\(32, 128\): input must hold floating point numbers, got dtype "
                        r"int64; convert it with .astype\(np.float64\)",
             lambda: lstm(np.zeros((5, 2, 32), dtype=np.int64)))
    single = Value(np.zeros((5, 2, 32), dtype=np.float32))
    _refuses(TypeError, r"LSTM\(32, 128\): input is float32 but the layer is float64",
             lambda: lstm(single))
    _refuses(ValueError, r"LSTM\(32, 128\): the sequence is empty",
             lambda: lstm(np.zeros((0, 2, 32))))
    gru = nn.GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True, seed=0)
    _refuses(ValueError, r"GRU\(3, 4, num_layers=2, batch_first=True, bidirectional=True\): "
                         r"expected input of shape \(N, L, 3\)",
             lambda: gru(np.zeros((2, 5, 4))))
    _refuses(ValueError, r"h_0 must have shape \(4, 2, 4\) for this input, got \(2, 2, 4\)",
             lambda: gru(np.zeros((2, 5, 3)), np.zeros((2, 2, 4))))
    cell = nn.RNNCell(3, 4, seed=0)
    _refuses(ValueError, r"RNNCell\(3, 4\): expected input of shape \(N, 3\) or \(3,\)",
             lambda: cell(np.zeros((2, 2))))
    _refuses(ValueError, r"RNNCell\(3, 4\): hx must have shape \(2, 4\) for this input, got "
                         r"\(4,\)", lambda: cell(np.zeros((2, 3)), np.zeros(4)))
    lstm_cell = nn.LSTMCell(3, 4, seed=0)
    _refuses(TypeError, r"LSTMCell\(3, 4\): the state must be a pair \(h, c\)",
             lambda: lstm_cell(np.zeros(3), np.zeros(4)))


def test_bad_arguments_are_refused_when_building():
    with pytest.raises(ValueError, match="RNN: nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTM: dropout must be in \\[0, 1\\]"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(TypeError, match="GRU: num_layers must be a positive integer"):
        nn.GRU(3, 4, num_layers=1.0)
    with pytest.raises(TypeError, match="LSTMCell: dtype must be a floating dtype"):
        nn.LSTMCell(3, 4, dtype=np.int32)
    with pytest.raises(TypeError, match="RNN: bidirectional must be True or False"):
        nn.RNN(3, 4, bidirectional="yes")


def test_fused_steps_refuse_misshapen_arguments():
    with pytest.raises(ValueError, match=r"lstm_step: state must be \(N, at least 8\)"):
        ag.lstm_step(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((16, 3)), np.zeros((16, 4)))
    with pytest.raises(ValueError, match=r"gru_step: w_hh must be \(3 \* hidden_size"):
        ag.gru_step(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((12, 3)), np.zeros((8, 4)))
    with pytest.raises(ValueError, match=r"rnn_step: nonlinearity must be 'tanh' or 'relu'"):
        ag.rnn_step(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4)),
                    nonlinearity="gelu")


def test_astype_and_a_saved_fused_model_loaded_per_gate(tmp_path):
    x = np.random.default_rng(10).normal(size=(5, 2, 3))
    fused = nn.GRU(3, 4, num_layers=2, seed=0)
    reference = fused(x)[0].data
    fused.save(tmp_path / "gru.npz")
    per_gate = nn.GRU(3, 4, num_layers=2, seed=1, fused=False).load(tmp_path / "gru.npz")
    np.testing.assert_allclose(per_gate(x)[0].data, reference, rtol=1e-12, atol=1e-14)
    out, h_n = fused.astype(np.float32)(x)
    assert out.dtype == h_n.dtype == np.float32
    np.testing.assert_allclose(out.data, reference, rtol=1e-4, atol=1e-5)
