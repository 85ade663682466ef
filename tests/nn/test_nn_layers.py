"""Layers against PyTorch or closed forms, and initialisers' statistics."""
import math

import numpy as np
import pytest

import autograd as ag
from autograd import Value
import nn
from nn import init

rng = np.random.default_rng(3)
X = rng.normal(loc=1.0, scale=2.0, size=(16, 5))


def test_batchnorm_matches_torch_in_train_and_eval():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm(5)
    ours.gamma.data[:] = rng.normal(size=5)
    ours.beta.data[:] = rng.normal(size=5)
    theirs = torch.nn.BatchNorm1d(5, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.gamma.data))
        theirs.bias.copy_(torch.tensor(ours.beta.data))
    upstream = rng.normal(size=(16, 5))
    for step in range(3):
        batch = X + step
        xv, xt = Value(batch), torch.tensor(batch, requires_grad=True)
        out, tout = ours(xv), theirs(xt)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-12)
        out.backward(upstream)
        tout.backward(torch.tensor(upstream))
        np.testing.assert_allclose(xv.grad, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), rtol=1e-9)
        ours.zero_grad()
        theirs.zero_grad()
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)
    ours.eval()
    theirs.eval()
    out = ours(X[:3])
    np.testing.assert_allclose(out.data, theirs(torch.tensor(X[:3])).detach().numpy(),
                               rtol=1e-9)
    train_out = ours.train()(X[:3]).data
    assert not np.allclose(train_out, out.data)                 # the modes really differ
    with pytest.raises(ValueError, match="more than one sample"):
        ours(X[:1])


def test_layernorm_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.LayerNorm(5)
    ours.weight.data[:] = rng.normal(size=5)
    theirs = torch.nn.LayerNorm(5, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
    xv, xt = Value(X), torch.tensor(X, requires_grad=True)
    out, tout = ours(xv), theirs(xt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-12)
    upstream = rng.normal(size=X.shape)
    out.backward(upstream)
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xv.grad, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-9)
    assert list(ours.state_dict()) == list(theirs.state_dict())      # weight, bias


def test_prelu_matches_torch_and_learns_its_slope():
    torch = pytest.importorskip("torch")
    ours = nn.PReLU(5)
    theirs = torch.nn.PReLU(5, dtype=torch.float64)
    xv, xt = Value(X - 1.0), torch.tensor(X - 1.0, requires_grad=True)
    out, tout = ours(xv), theirs(xt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(xv.grad, xt.grad.numpy(), rtol=1e-12)
    assert [n for n, _ in ours.named_parameters()] == ["weight"]


def test_dropout_train_and_eval():
    d = nn.Dropout(0.25, seed=0)
    x = np.ones((200, 50))
    out = d(Value(x)).data
    kept = out != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    d.eval()
    assert np.array_equal(d(Value(x)).data, x)
    assert np.all(nn.Dropout(1.0, seed=0)(Value(x)).data == 0)
    with pytest.raises(ValueError, match="p must be in \\[0, 1\\]"):
        nn.Dropout(1.5)


@pytest.mark.parametrize("x, dtype", [(0.7, np.float64), (np.float32(0.7), np.float32),
                                      (np.ones(6), np.float64),
                                      (np.ones(6, dtype=np.float32), np.float32)])
def test_dropout_keeps_the_dtype_of_its_input(x, dtype):
    v = Value(x)
    out = nn.Dropout(0.5, seed=0)(v)
    assert np.asarray(out.data).dtype == dtype
    ag.sum(out).backward()
    assert np.asarray(v.grad).dtype == dtype


def test_maxout_closed_form_and_gradient():
    m = nn.Maxout(5, 3, pieces=4, seed=0)
    z = X @ m.W.data + m.b.data
    np.testing.assert_allclose(m(X).data, z.reshape(16, 3, 4).max(axis=-1))
    assert m(X[0]).shape == (3,)
    W = m.W.data.copy()
    assert ag.gradcheck(lambda w: (Value(X[:4], requires_grad=False) @ w + m.b.data)
                        .reshape(4, 3, 4).max(axis=-1), W)


def test_layers_are_float32_end_to_end():
    for layer in [nn.Layer(5, 3, dtype=np.float32), nn.Maxout(5, 3, dtype=np.float32),
                  nn.BatchNorm(5, dtype=np.float32), nn.LayerNorm(5, dtype=np.float32),
                  nn.PReLU(dtype=np.float32)]:
        out = layer(X)                                            # float64 data is cast
        assert out.dtype == np.float32, type(layer).__name__
        out.sum().backward()
        assert all(p.grad.dtype == np.float32 for p in layer.parameters())


@pytest.mark.parametrize("name,std", [
    ("kaiming_normal", math.sqrt(2 / 400)), ("kaiming_uniform", math.sqrt(2 / 400)),
    ("xavier_normal", math.sqrt(2 / 700)), ("xavier_uniform", math.sqrt(2 / 700)),
    ("lecun_normal", math.sqrt(1 / 400))])
def test_initialiser_statistics(name, std):
    fn = getattr(init, name)
    w = fn((400, 300), np.random.default_rng(0))
    assert w.shape == (400, 300) and w.dtype == np.float64
    assert abs(w.mean()) < 0.02 * std
    assert w.std() == pytest.approx(std, rel=0.02)
    np.testing.assert_array_equal(w, fn((400, 300), np.random.default_rng(0)))
    assert fn((4, 3), 0, dtype=np.float32).dtype == np.float32
    if "uniform" in name:
        assert np.abs(w).max() <= std * math.sqrt(3)


def test_every_named_initialiser_is_exported_and_repeats_with_the_same_generator():
    for name in ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                 "lecun_normal", "zeros"):
        fn = getattr(init, name)
        assert name in init.__all__
        a = fn((5, 4), np.random.default_rng(3))
        np.testing.assert_array_equal(a, fn((5, 4), np.random.default_rng(3)))


@pytest.mark.parametrize("activation,expected", [
    ("relu", "kaiming_normal"), ("leaky_relu", "kaiming_normal"), ("elu", "kaiming_normal"),
    ("gelu", "kaiming_normal"), ("swish", "kaiming_normal"), ("silu", "kaiming_normal"),
    ("mish", "kaiming_normal"), ("softplus", "kaiming_normal"),
    ("tanh", "xavier_uniform"), ("sigmoid", "xavier_uniform"), ("linear", "xavier_uniform"),
    ("softmax", "xavier_uniform"), ("selu", "lecun_normal")])
def test_default_initialiser_follows_the_activation(activation, expected):
    assert init.default_initializer(activation) is getattr(init, expected)


def test_layer_weights_follow_the_activation_they_are_built_for():
    def std(**activation):
        return nn.Layer(400, 300, seed=0, **activation).W.data.std()

    assert std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)              # relu: He
    assert std(activation="tanh") == pytest.approx(math.sqrt(2 / 700), rel=0.02)   # Glorot
    assert std(activation="selu") == pytest.approx(math.sqrt(1 / 400), rel=0.02)   # LeCun
    assert std(activation="sigmoid") == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    assert std(activation=None) == pytest.approx(math.sqrt(2 / 700), rel=0.02)     # linear


def test_initialisers_by_name_zeros_and_unknown_names():
    assert not np.any(init.zeros((3, 2)))
    assert nn.Layer(4, 3, init="zeros").W.data.sum() == 0
    assert init.get_initializer("He_Normal", "tanh") is init.kaiming_normal    # any case
    with pytest.raises(ValueError, match="unknown initialiser 'ones'"):
        nn.Layer(4, 3, init="ones")
    with pytest.raises(ValueError, match="unknown initialiser 3"):
        init.get_initializer(3, "relu")


def test_seeds_make_models_reproducible():
    a, b = nn.MLP(3, [4, 2], seed=7), nn.MLP(3, [4, 2], seed=7)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    c = nn.MLP(3, [4, 2], seed=8)
    assert not np.array_equal(a.layers[0].W.data, c.layers[0].W.data)
