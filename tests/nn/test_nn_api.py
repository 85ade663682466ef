"""The public surface issue 3 names: signatures, defaults, names and default initialisers."""
import inspect
from pathlib import Path
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn import data, init, losses, optim
from nn import functional as F


def _defaults(fn):
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _leading(fn, count):
    return list(inspect.signature(fn).parameters)[:count]


def test_fit_signature_and_defaults():
    assert _leading(nn.fit, 5) == ["model", "X", "y", "loss", "optimizer"]
    expected = dict(epochs=10, batch_size=32, validation_data=None, validation_split=0.0,
                    shuffle=True, seed=None, metrics=("accuracy",), callbacks=(), verbose=True)
    assert {k: _defaults(nn.fit)[k] for k in expected} == expected
    assert _leading(nn.evaluate, 5) == ["model", "X", "y", "loss", "metrics"]
    assert _leading(nn.predict, 3) == ["model", "X", "batch_size"]


def test_callbacks_signatures():
    assert _leading(nn.EarlyStopping, 2) == ["monitor", "patience"]
    assert _defaults(nn.EarlyStopping)["restore_best"] is True
    assert _leading(nn.ModelCheckpoint, 1) == ["path"]


@pytest.mark.parametrize("cls,expected", [
    (optim.SGD, dict(momentum=0, nesterov=False, weight_decay=0)),
    (optim.RMSprop, dict(alpha=0.99, eps=1e-8, momentum=0)),
    (optim.Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)),
    (optim.AdamW, dict(weight_decay=1e-2)),
], ids=["SGD", "RMSprop", "Adam", "AdamW"])
def test_optimiser_defaults(cls, expected):
    got = _defaults(cls)
    assert {k: got[k] for k in expected} == expected
    assert _leading(cls, 2) == ["params", "lr"]
    opt = cls([nn.Layer(2, 2, seed=0).W], lr=0.1)
    assert callable(opt.step) and callable(opt.zero_grad)


def test_sgd_needs_a_learning_rate_and_clip_takes_params_and_max_norm():
    assert "lr" not in _defaults(optim.SGD)
    assert _leading(nn.clip_grad_norm, 2) == ["params", "max_norm"]
    for name in ("Adagrad", "StepLR", "ExponentialLR", "CosineAnnealingLR"):
        assert hasattr(optim, name)


@pytest.mark.parametrize("fn", [losses.mse_loss, losses.l1_loss, losses.huber_loss,
                                losses.binary_cross_entropy,
                                losses.binary_cross_entropy_with_logits, losses.cross_entropy,
                                losses.nll_loss, losses.hinge_loss, losses.kl_div])
def test_every_loss_has_a_mean_reduction_by_default(fn):
    assert _defaults(fn)["reduction"] == "mean"


def test_loss_and_activation_arguments():
    assert _defaults(losses.huber_loss)["delta"] == 1.0
    assert _leading(losses.binary_cross_entropy, 2) == ["probs", "targets"]
    assert _leading(losses.binary_cross_entropy_with_logits, 2) == ["logits", "targets"]
    assert _leading(losses.cross_entropy, 2) == ["logits", "targets"]
    assert _defaults(F.leaky_relu) == {"negative_slope": 0.01}
    assert _defaults(F.softmax) == {"axis": -1} == _defaults(F.log_softmax)
    assert _defaults(F.elu) == {"alpha": 1.0}
    assert _leading(F.prelu, 2) == ["x", "weight"]
    assert F.swish is F.silu


def test_layer_signatures_and_default_dtype():
    assert _leading(nn.Neuron, 2) == ["nin", "activation"]
    assert _defaults(nn.Neuron)["activation"] == "relu"
    assert _leading(nn.Layer, 4) == ["nin", "nout", "activation", "init"]
    assert _defaults(nn.Layer)["activation"] == "relu" and _defaults(nn.Layer)["init"] is None
    assert _leading(nn.MLP, 4) == ["nin", "nouts", "activation", "output_activation"]
    assert _defaults(nn.MLP)["output_activation"] is None
    assert _leading(nn.Maxout, 3) == ["nin", "nout", "pieces"]
    for cls in (nn.Neuron, nn.Layer, nn.MLP, nn.BatchNorm, nn.LayerNorm, nn.PReLU, nn.Maxout):
        assert np.dtype(_defaults(cls)["dtype"]) == np.float64, cls.__name__


@pytest.mark.parametrize("make", [data.make_moons, data.make_circles, data.make_spirals,
                                  data.make_xor, data.make_blobs])
def test_dataset_signature(make):
    assert _leading(make, 3) == ["n_samples", "noise", "seed"]
    assert _defaults(make)["seed"] is None


def test_split_and_loader_signatures():
    assert _leading(data.train_test_split, 5) == ["X", "y", "test_size", "seed", "stratify"]
    assert _leading(data.load_mnist, 1) == ["path"]
    assert list(inspect.signature(data.load_digits).parameters) == []


def test_init_exposes_the_named_initialisers_with_a_generator():
    for name in ("xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                 "lecun_normal", "zeros"):
        fn = getattr(init, name)
        assert name in init.__all__ and _leading(fn, 2) == ["shape", "rng"]
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
    std = {a: nn.Layer(400, 300, activation=a, seed=0).W.data.std()
           for a in ("selu", "sigmoid", None)}
    assert std["selu"] == pytest.approx(math.sqrt(1 / 400), rel=0.02)      # LeCun normal
    assert std["sigmoid"] == pytest.approx(math.sqrt(2 / 700), rel=0.02)   # Glorot
    assert std[None] == pytest.approx(math.sqrt(2 / 700), rel=0.02)        # linear: Glorot


def test_names_resolve_in_any_case_and_unknown_names_list_the_choices():
    assert F.get_activation("GELU") is F.gelu
    assert init.get_initializer("He_Normal", "tanh") is init.kaiming_normal
    assert losses.get_loss("MSE") is losses.mse_loss
    with pytest.raises(ValueError, match="unknown loss 'mse2'.*cross_entropy"):
        losses.get_loss("mse2")
    with pytest.raises(ValueError, match="unknown initialiser 3"):
        init.get_initializer(3, "relu")


def test_layers_take_an_activation_as_a_callable():
    def cube(v):
        return v * v * v

    layer = nn.Layer(2, 3, activation=cube, seed=0)
    x = np.array([[1.0, -2.0]])
    np.testing.assert_allclose(layer(x).data, (x @ layer.W.data + layer.b.data) ** 3)
    assert nn.Neuron(2, activation=cube, seed=0)([1.0, 2.0]).op == "*"
    assert "activation='cube'" in repr(layer)


def test_the_digits_state_their_source_and_licence():
    readme = (Path(data.__file__).parent / "data" / "README.md").read_text()
    for fact in ("archive.ics.uci.edu/dataset/80", "Alpaydin", "CC BY 4.0", "1797"):
        assert fact in readme or fact in data.__doc__, fact
    assert "CC BY 4.0" in data.load_digits.__doc__


def test_fused_neuron_computes_the_same_as_the_expanded_one():
    x = [ag.Value(0.5), -1.5, ag.Value(2.0)]
    expanded, fused = nn.Neuron(3, activation="tanh", seed=0), nn.Neuron(3, "tanh", seed=0,
                                                                         fused=True)
    a, b = expanded(x), fused(x)
    a.backward()
    grads = [w.grad for w in expanded.parameters()] + [x[0].grad, x[2].grad]
    x[0].zero_grad(), x[2].zero_grad()
    b.backward()
    assert b.data == a.data and b.parents[0].op == "affine"
    assert [w.grad for w in fused.parameters()] + [x[0].grad, x[2].grad] == grads
    assert "fused=True" in repr(fused) and "fused" not in repr(expanded)
