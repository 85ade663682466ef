"""nn.to_torch and nn.from_torch: to_torch then from_torch gives back every parameter exactly;
PyTorch's outputs and gradients of the converted model equal ours (float32 to 1e-5, float64 to
1e-10); a model made in PyTorch comes over and computes the same; what has no counterpart is
refused, naming it, before anything is built."""
import functools

import numpy as np
import pytest

import nn
from autograd import Value
from nn import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is not installed")

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
BOTH = [np.float32, np.float64]


def ours_and_torch(model, converted, x, rng):
    """Outputs and gradients (of a random weighting of the first output) of both models on x:
    (ours, theirs), each a list of the output, the input's gradient and every parameter's."""
    floats = x.dtype.kind == "f"
    given = Value(x, requires_grad=True) if floats else x
    out = model(given)
    out = out[0] if isinstance(out, tuple) else out
    weights = rng.normal(size=out.shape).astype(out.dtype)
    (out * weights).sum().backward()
    ours = [out.data] + ([given.grad] if floats else []) + [p.grad for p in model.parameters()]
    tx = torch.from_numpy(x.copy()).requires_grad_(floats) if floats else torch.from_numpy(
        x.astype(np.int64))
    t_out = converted(tx)
    t_out = t_out[0] if isinstance(t_out, tuple) else t_out
    (t_out * torch.from_numpy(weights)).sum().backward()
    theirs = [t_out.detach().numpy()] + ([tx.grad.numpy()] if floats else []) + [
        p.grad.numpy() for p in converted.parameters()]
    return ours, theirs


def assert_same(ours, theirs, dtype, transposed=()):
    tol = TOLERANCE[np.dtype(dtype).type]
    assert len(ours) == len(theirs)
    for k, (o, t) in enumerate(zip(ours, theirs)):
        o = np.asarray(o).T if k in transposed else np.asarray(o)
        assert t.dtype == o.dtype
        np.testing.assert_allclose(t, o, rtol=tol, atol=tol)


def assert_round_trip(model):
    """to_torch then from_torch gives every entry of the state_dict back exactly."""
    back = nn.from_torch(nn.to_torch(model))
    before, after = model.state_dict(), back.state_dict()
    assert list(before) == list(after)
    for name in before:
        assert before[name].dtype == after[name].dtype
        np.testing.assert_array_equal(before[name], after[name])
    return back


def models(dtype):
    """(name, model, example input) for every layer family."""
    rng = np.random.default_rng(0)
    norm = nn.BatchNorm2d(4, dtype=dtype)
    norm.running_mean = rng.normal(size=4).astype(dtype)
    norm.running_var = (1 + rng.random(4)).astype(dtype)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
                                       batch_first=True, dtype=dtype, seed=0)
    x = lambda *shape: rng.normal(size=shape).astype(dtype)   # noqa: E731
    activations = [nn.Activation(a) for a in ("relu", "tanh", "sigmoid", "gelu", "elu", "selu",
                                              "silu", "mish", "leaky_relu")]
    return [
        ("dense", nn.Sequential(nn.Linear(3, 6, dtype=dtype, seed=0), *activations,
                                nn.Dropout(0.0), nn.Identity(),
                                nn.Activation(functools.partial(F.leaky_relu,
                                                                negative_slope=0.2)),
                                nn.PReLU(6, dtype=dtype), nn.BatchNorm(6, dtype=dtype),
                                nn.Linear(6, 4, dtype=dtype, seed=1),
                                nn.Activation(F.log_softmax)), x(5, 3)),
        ("softmax", nn.Sequential(nn.Linear(3, 4, dtype=dtype, seed=0),
                                  nn.Activation("softmax")), x(5, 3)),
        ("conv2d", nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, seed=0, dtype=dtype), norm,
                                 nn.Activation("relu"), nn.MaxPool2d(2, ceil_mode=True),
                                 nn.AvgPool2d(2, padding=1, count_include_pad=False),
                                 nn.AdaptiveAvgPool2d((2, 1)), nn.Flatten(),
                                 nn.Linear(8, 3, dtype=dtype, seed=0)).eval(), x(3, 2, 7, 7)),
        ("conv1d", nn.Sequential(nn.Conv1d(2, 4, 3, stride=2, dilation=2, groups=2, seed=0,
                                           dtype=dtype), nn.MaxPool1d(2), nn.AvgPool1d(2),
                                 nn.AdaptiveAvgPool1d(1), nn.Flatten()), x(3, 2, 20)),
        ("layernorm-transformer", nn.Sequential(
            nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8, dtype=dtype)),
            nn.LayerNorm(8, eps=1e-3, dtype=dtype)), x(2, 5, 8)),
        ("rnn", nn.RNN(3, 4, num_layers=2, nonlinearity="relu", dtype=dtype, seed=0), x(6, 2, 3)),
        ("lstm", nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True, dtype=dtype,
                         seed=0), x(2, 6, 3)),
        ("gru", nn.GRU(3, 4, bias=False, dtype=dtype, seed=0), x(6, 2, 3)),
        ("lstm-cell", nn.LSTMCell(3, 4, dtype=dtype, seed=0), x(2, 3)),
        ("gru-cell", nn.GRUCell(3, 4, dtype=dtype, seed=0), x(2, 3)),
        ("embedding", nn.Sequential(nn.Embedding(7, 4, padding_idx=1, dtype=dtype, seed=0),
                                    nn.Linear(4, 2, dtype=dtype, seed=0)),
         rng.integers(0, 7, (3, 5))),
        ("attention", nn.MultiheadAttention(8, 2, dtype=dtype, seed=0), x(5, 2, 8)),
    ]


CASES = [(name, dtype) for dtype in BOTH for name, _, _ in models(np.float64)]


def _case(name, dtype):
    return next((m, x) for n, m, x in models(dtype) if n == name)


class SelfAttention(nn.Module):
    def __init__(self, attention):
        super().__init__()
        self.attention = attention

    def forward(self, x):
        return self.attention(x, x, x)


@pytest.mark.parametrize("name, dtype", CASES, ids=[f"{n}-{d.__name__}" for n, d in CASES])
def test_round_trip_and_torch_computes_what_we_compute(name, dtype):
    model, x = _case(name, dtype)
    back = assert_round_trip(model)
    converted = nn.to_torch(model)
    assert converted.training == model.training
    if isinstance(model, nn.MultiheadAttention):
        model, back = SelfAttention(model), SelfAttention(back)
        inner = converted
        converted = lambda x: inner(x, x, x)        # noqa: E731
        converted.parameters = inner.parameters
    rng = np.random.default_rng(1)
    ours, theirs = ours_and_torch(model, converted, x, rng)
    assert_same(ours, theirs, dtype)
    again, _ = ours_and_torch(back, converted, x, np.random.default_rng(1))
    np.testing.assert_array_equal(again[0], ours[0])


@pytest.mark.parametrize("dtype", BOTH)
def test_micrograd_layers_become_linear_with_the_transpose_done(dtype):
    model = nn.MLP(3, [5, 4, 2], activation="tanh", dtype=dtype, seed=0)
    converted = nn.to_torch(model)
    assert [type(m).__name__ for m in converted] == ["Linear", "Tanh", "Linear", "Tanh",
                                                     "Linear"]
    back = nn.from_torch(converted)
    for layer, linear in zip(model.layers, [back[0], back[2], back[4]]):
        np.testing.assert_array_equal(linear.weight.data, layer.W.data.T)
        np.testing.assert_array_equal(linear.bias.data, layer.b.data)
        assert linear.weight.dtype == dtype
    x = np.random.default_rng(2).normal(size=(4, 3)).astype(dtype)
    ours, theirs = ours_and_torch(model, converted, x, np.random.default_rng(3))
    assert_same(ours, theirs, dtype, transposed=(2, 4, 6))      # W (in, out) vs weight (out, in)
    layer = nn.Layer(3, 2, activation="sigmoid", bias=False, dtype=dtype, seed=0)
    converted = nn.to_torch(layer)
    ours, theirs = ours_and_torch(layer, converted, x, np.random.default_rng(4))
    assert_same(ours, theirs, dtype, transposed=(2,))


@pytest.mark.parametrize("dtype", BOTH)
def test_a_model_built_in_pytorch_comes_over(dtype):
    torch.manual_seed(0)
    tnn = torch.nn
    module = tnn.Sequential(tnn.Conv2d(1, 3, 3, padding=1), tnn.BatchNorm2d(3), tnn.ReLU(),
                            tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(12, 8), tnn.GELU(),
                            tnn.Dropout(0.1), tnn.BatchNorm1d(8), tnn.LeakyReLU(0.3),
                            tnn.Linear(8, 3), tnn.LogSoftmax(dim=-1))
    module = module.to(torch.float32 if dtype is np.float32 else torch.float64)
    module.train()
    module(torch.randn(8, 1, 4, 4, dtype=module[0].weight.dtype))   # running statistics
    module.eval()
    ours = nn.from_torch(module)
    assert not ours.training
    for name, array in ours.state_dict().items():
        key = {"gamma": "weight", "beta": "bias"}.get(name.split(".")[-1], name.split(".")[-1])
        source = module.state_dict()[name.rsplit(".", 1)[0] + "." + key].numpy()
        np.testing.assert_array_equal(array, source)
    x = np.random.default_rng(5).normal(size=(5, 1, 4, 4)).astype(dtype)
    ours_out, theirs = ours_and_torch(ours, module, x, np.random.default_rng(6))
    assert_same(ours_out, theirs, dtype)


@pytest.mark.parametrize("model, words", [
    (nn.Sequential(nn.Linear(2, 2), nn.PositionalEncoding(2)),
     ["to_torch: '1' is a PositionalEncoding", "no torch.nn counterpart"]),
    (nn.Sequential(nn.Activation(lambda v: v * 2.0)),
     ["to_torch: the activation '<lambda>' of '0'"]),
    (nn.Neuron(3), ["'model' is a Neuron"]),
], ids=["layer", "activation", "neuron"])
def test_to_torch_refuses_what_has_no_counterpart(model, words):
    with pytest.raises(TypeError) as error:
        nn.to_torch(model)
    for word in words:
        assert word in str(error.value)


@pytest.mark.parametrize("make, words", [
    (lambda tnn: tnn.Sequential(tnn.Linear(2, 2), tnn.Bilinear(2, 2, 2)),
     ["from_torch: '1' (Bilinear) has no counterpart"]),
    (lambda tnn: tnn.Sequential(tnn.Sequential(tnn.Conv2d(1, 1, 3, padding_mode="reflect"))),
     ["'0.0' (Conv2d) pads with 'reflect'"]),
    (lambda tnn: tnn.Softmax(dim=1), ["'model' (Softmax) takes dim=1"]),
    (lambda tnn: tnn.LSTM(2, 4, proj_size=2), ["(LSTM) has a projection"]),
    (lambda tnn: tnn.Linear(2, 2).half(), ["float16"]),
], ids=["layer", "padding-mode", "softmax-dim", "lstm-projection", "float16"])
def test_from_torch_refuses_what_has_no_counterpart(make, words):
    with pytest.raises(TypeError) as error:
        nn.from_torch(make(torch.nn))
    for word in words:
        assert word in str(error.value)


def test_the_arguments_must_be_modules():
    with pytest.raises(TypeError, match="to_torch: model must be an nn.Module"):
        nn.to_torch(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="from_torch: expected a torch.nn.Module"):
        nn.from_torch(nn.Linear(2, 2))
