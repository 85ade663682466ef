"""Module structure, state dicts, safe save/load, astype, modes and summary."""
import os
import pickle
import zipfile

import numpy as np
import pytest

from autograd import Value
import nn


def _params(model):
    return {k: np.array(v) for k, v in model.state_dict().items()}


def test_named_parameters_are_dotted_and_stable():
    model = nn.MLP(3, [4, 2], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"]
    assert [p.shape for p in model.parameters()] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.parameters()[0] is model.layers[0].W
    assert model.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2


def test_named_modules_follow_pytorch_semantics():
    shared = nn.Layer(2, 2, seed=0)
    model = nn.Sequential(nn.Sequential(shared, nn.Dropout(0.1)), shared, nn.BatchNorm(2))
    names = [(n, type(m).__name__) for n, m in model.named_modules()]
    assert names == [("", "Sequential"), ("0", "Sequential"), ("0.0", "Layer"),
                     ("0.1", "Dropout"), ("2", "BatchNorm")]   # the shared layer appears once
    assert [n for n, _ in model.named_parameters()] == ["0.0.W", "0.0.b", "2.gamma", "2.beta"]
    assert [n for n, _ in model.named_buffers()] == ["2.running_mean", "2.running_var"]


def test_neuron_builds_micrograds_scalar_graph():
    n = nn.Neuron(3, activation="tanh", seed=0)
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1", "w.2", "b"]
    assert all(type(p.data) is float for p in n.parameters())
    x = [Value(1.0), Value(-2.0), Value(0.5)]
    out = n(x)
    assert out.op == "tanh" and type(out.data) is float
    expected = np.tanh(sum(w.data * v.data for w, v in zip(n.w, x)) + n.b.data)
    assert out.data == pytest.approx(expected)
    out.backward()
    assert n.w[1].grad == pytest.approx((1 - expected ** 2) * -2.0)
    batch = n(np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 0.0]]))   # same math on arrays
    np.testing.assert_allclose(batch.data, [expected, np.tanh(n.b.data)])


def test_layer_takes_batches_and_single_samples():
    layer = nn.Layer(3, 2, activation=None, seed=0)
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(layer(x).data, x @ layer.W.data + layer.b.data)
    assert layer(np.stack([x, x])).shape == (2, 2)
    with pytest.raises(ValueError, match="expected inputs of shape \\(N, 3\\)"):
        layer(np.ones((2, 4)))


def test_layers_take_an_activation_as_a_callable():
    def cube(v):
        return v * v * v

    layer = nn.Layer(2, 3, activation=cube, seed=0)
    x = np.array([[1.0, -2.0]])
    np.testing.assert_allclose(layer(x).data, (x @ layer.W.data + layer.b.data) ** 3)
    assert nn.Neuron(2, activation=cube, seed=0)([1.0, 2.0]).op == "*"
    assert "activation='cube'" in repr(layer)


def test_fused_neuron_computes_the_same_as_the_expanded_one():
    x = [Value(0.5), -1.5, Value(2.0)]
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


def test_mlp_last_layer_linear_unless_told():
    model = nn.MLP(2, [5, 1], seed=0)
    out = model(np.array([[-50.0, 40.0]]))
    assert model.layers[0].activation == "relu" and model.layers[1].activation is None
    assert out.op == "+"                                       # no activation after the bias
    model2 = nn.MLP(2, [5, 1], output_activation="sigmoid", seed=0)
    assert model2(np.array([[-50.0, 40.0]])).op == "sigmoid"


def test_state_dict_round_trip_and_copies():
    a, b = nn.MLP(3, [4, 2], seed=0), nn.MLP(3, [4, 2], seed=1)
    state = a.state_dict()
    state["layers.0.W"][0, 0] = 99.0                           # a copy, not a view
    assert a.layers[0].W.data[0, 0] != 99.0
    b.load_state_dict(a.state_dict())
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.data is not q.data


def test_save_load_round_trip(tmp_path):
    model = nn.Sequential(nn.Layer(3, 4, seed=0), nn.BatchNorm(4), nn.Neuron(4, seed=1))
    model(np.random.default_rng(0).normal(size=(5, 3)))          # move the running stats
    path = tmp_path / "model.npz"
    model.save(path)
    other = nn.Sequential(nn.Layer(3, 4, seed=5), nn.BatchNorm(4), nn.Neuron(4, seed=6))
    other.load(path)
    for (k, v), (k2, v2) in zip(model.state_dict().items(), other.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(v, v2)
    assert type(other[2].b.data) is float
    assert os.listdir(tmp_path) == ["model.npz"]               # no temporary file left behind


def test_save_is_atomic(tmp_path, monkeypatch):
    model = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "model.npz"
    model.save(path)
    original = path.read_bytes()

    def failing_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP(2, [3, 1], seed=1).save(path)
    assert path.read_bytes() == original                       # old file intact
    assert os.listdir(tmp_path) == ["model.npz"]               # temporary file removed


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_saved_file_has_the_usual_permissions(tmp_path, umask):
    old = os.umask(umask)
    try:
        nn.MLP(2, [3, 1], seed=0).save(tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "model.npz").st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_load_refuses_pickles(tmp_path, protocol):
    path = tmp_path / "evil.npz"
    np.savez(path, **{"layers.0.W": np.array([{"a": 1}], dtype=object)})
    model = nn.MLP(2, [3, 1], seed=0)
    before = _params(model)
    with pytest.raises(ValueError, match="pickled objects"):
        model.load(path)
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps({"layers.0.W": np.zeros((2, 3))}, protocol=protocol))
    with pytest.raises(ValueError, match="pickled objects, which are refused"):
        model.load(raw)
    for k, v in _params(model).items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("cut", [10, 200])
def test_truncated_file_is_a_clear_error(tmp_path, cut):
    model = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "model.npz"
    model.save(path)
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    before = _params(model)
    with pytest.raises(ValueError, match="truncated or foreign"):
        model.load(path)
    for k, v in _params(model).items():
        np.testing.assert_array_equal(v, before[k])


def test_foreign_and_missing_files(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    before = _params(model)
    foreign = tmp_path / "notes.npz"
    foreign.write_text("hello, not an archive")
    with pytest.raises(ValueError, match="notes.npz.*not an .npz archive") as info:
        model.load(foreign)
    assert "pickle" not in str(info.value)              # plain text is not called a pickle
    for k, v in _params(model).items():
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        model.load(tmp_path / "nope.npz")


def test_an_empty_zip_is_read_as_an_archive_without_the_models_names(tmp_path):
    path = tmp_path / "empty.npz"
    with zipfile.ZipFile(path, "w"):
        pass
    assert path.read_bytes()[:4] == b"PK\x05\x06"
    with pytest.raises(KeyError, match="missing"):
        nn.MLP(2, [3, 1], seed=0).load(path)


def test_wrong_architecture_lists_problems_and_changes_nothing(tmp_path):
    path = tmp_path / "model.npz"
    nn.MLP(2, [4, 3, 1], seed=0).save(path)
    model = nn.MLP(2, [5, 1], seed=1)
    before = _params(model)
    with pytest.raises(KeyError) as info:
        model.load(path)
    message = str(info.value)
    assert "unexpected: layers.2.W, layers.2.b" in message
    assert "layers.0.W: file (2, 4) vs model (2, 5)" in message
    assert "layers.1.W: file (4, 3) vs model (5, 1)" in message
    for k, v in _params(model).items():
        np.testing.assert_array_equal(v, before[k])
    smaller = nn.MLP(2, [4], seed=0)
    with pytest.raises(KeyError, match="missing: layers.1.W, layers.1.b"):
        nn.MLP(2, [4, 3], seed=0).load_state_dict(smaller.state_dict())


def test_load_state_dict_shape_mismatch_non_strict_is_value_error():
    model = nn.MLP(2, [3], seed=0)
    with pytest.raises(ValueError, match="mismatched shapes: layers.0.W"):
        model.load_state_dict({"layers.0.W": np.zeros((3, 3))}, strict=False)
    model.load_state_dict({"layers.0.b": np.ones(3)}, strict=False)
    np.testing.assert_array_equal(model.layers[0].b.data, np.ones(3))


def test_astype_converts_params_and_buffers():
    model = nn.Sequential(nn.Layer(2, 3, seed=0), nn.BatchNorm(3), nn.Neuron(3, seed=0))
    model.astype(np.float32)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model[1].running_var.dtype == np.float32
    out = model(np.ones((4, 2)))
    assert out.dtype == np.float32
    model.astype(np.float64)
    assert type(model[2].b.data) is float
    with pytest.raises(TypeError, match="int64"):
        model.astype(np.int64)


def test_train_eval_propagate():
    model = nn.Sequential(nn.Layer(2, 2, seed=0), nn.Sequential(nn.Dropout(0.5)))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_all_parameters():
    model = nn.MLP(2, [3, 1], seed=0)
    model(np.ones((4, 2))).sum().backward()
    assert any(np.any(p.grad != 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_summary_table():
    model = nn.Sequential(nn.Layer(64, 32, seed=0), nn.BatchNorm(32), nn.Dropout(0.2),
                          nn.Layer(32, 10, activation=None, seed=0))
    text = model.summary(input_size=64)
    lines = text.splitlines()
    assert lines[0] == 'Model: "Sequential"'
    row = next(line for line in lines if line.startswith("0 (Layer)"))
    assert "(N, 32)" in row and row.rstrip().endswith("2,080")
    assert "(N, 10)" in next(line for line in lines if line.startswith("3 (Layer)"))
    assert "(N, 32)" in next(line for line in lines if line.startswith("2 (Dropout)"))
    assert "Total params: 2,474" in text                       # 2080 + 64 + 330
    assert "Non-trainable buffers: 64" in text
    assert model.num_parameters() == 2474


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="argument 1 is a function"):
        nn.Sequential(nn.Layer(2, 2), lambda x: x)


def test_summary_counts_parameters_owned_by_containers():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(np.ones(3))
            self.body = nn.Layer(2, 3, seed=0)

        def forward(self, x):
            return self.body(x) * self.scale

    model = Scaled()
    text = model.summary()
    assert "Total params: 12" in text
    assert any(line.startswith("Scaled") and line.rstrip().endswith(" 3")
               for line in text.splitlines())
    assert any(line.startswith("body (Layer)") and line.rstrip().endswith(" 9")
               for line in text.splitlines())
