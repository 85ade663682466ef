"""dtype=: float64 by default everywhere; float32 on the models micrograd users build first,
Neuron (scalar graph) and MLP."""
import numpy as np
import pytest

from autograd import Value
import nn


def test_models_are_float64_by_default():
    assert nn.MLP(2, [3, 1], seed=0).dtype == np.float64
    assert all(type(p.data) is float for p in nn.Neuron(3, seed=0).parameters())
    assert nn.MLP(2, [3, 1], seed=0)(np.ones((4, 2), dtype=np.float32)).dtype == np.float64
    for layer in (nn.Layer(2, 3), nn.BatchNorm(3), nn.LayerNorm(3), nn.PReLU(), nn.Maxout(2, 3)):
        assert {p.dtype for p in layer.parameters()} == {np.dtype(np.float64)}, layer


def test_a_float32_mlp_trains_in_float32():
    model = nn.MLP(2, [8, 3], dtype=np.float32, seed=0)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    out = model(np.ones((5, 2)))
    assert out.dtype == np.float32
    nn.losses.cross_entropy(out, np.array([0, 1, 2, 0, 1])).backward()
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(np.float32)}


def test_a_float32_neuron_keeps_float32_on_its_scalar_graph():
    n = nn.Neuron(3, activation="tanh", dtype=np.float32, seed=0)
    assert {p.dtype for p in n.parameters()} == {np.dtype(np.float32)}
    inputs = [Value(np.float32(v), requires_grad=False) for v in (1.0, -2.0, 0.5)]
    assert n([1.0, -2.0, 0.5]).dtype == np.float32             # Python floats are weak
    assert n([Value(1.0), Value(-2.0), Value(0.5)]).dtype == np.float64   # float64 scalars win
    out = n(inputs)
    assert out.dtype == np.float32
    out.backward()
    assert all(np.asarray(p.grad).dtype == np.float32 for p in n.parameters())
    weights = np.array([float(w.data) for w in n.w])
    assert float(out.data) == pytest.approx(
        np.tanh(weights @ [1.0, -2.0, 0.5] + float(n.b.data)), rel=1e-6)
