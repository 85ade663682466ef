"""Training that cannot go on stops with a clear message (a NaN or infinite loss), saved files
record the architecture they need and refuse a different one, file errors name the user's
path, and damaged MNIST files are refused by name."""
import gzip
import inspect
import json
import os
import re

import numpy as np
import pytest

import nn


def _snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_unchanged(model, before):
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def _moons():
    return nn.data.make_moons(40, noise=0.1, seed=0)


# ----- terminate on NaN ------------------------------------------------------------------------
def _failing_step(bad_call, loss):
    """nn.train_step, except that call number `bad_call` (from 1) reports `loss`."""
    calls = []

    def step(model, xb, yb, loss_fn, optimizer):
        calls.append(None)
        result = nn.train_step(model, xb, yb, loss_fn, optimizer)
        return (loss, result[1]) if len(calls) == bad_call else result

    return step


@pytest.mark.parametrize("loss", [float("nan"), float("inf"), -float("inf")])
def test_fit_stops_at_a_non_finite_loss_naming_epoch_and_batch(loss):
    X, y = _moons()
    model = nn.MLP(2, [8, 2], seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    history = nn.History()
    with pytest.raises(FloatingPointError, match=re.escape(
            f"fit: the loss became {loss} at epoch 2/5, batch 3/4, so training stopped; lower "
            "the learning rate (it is 0.1)")):
        nn.fit(model, X, y, "cross_entropy", optimizer, epochs=5, batch_size=10,
               callbacks=[history], verbose=False, train_step=_failing_step(7, loss))
    assert history.epoch == [0] and len(history.history["loss"]) == 1   # finished epochs kept
    assert optimizer.steps == 7


def test_a_huge_learning_rate_stops_fit_instead_of_training_to_nan():
    X, y = _moons()
    model = nn.MLP(2, [8, 2], seed=0)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError,
                                                  match=r"the loss became nan at epoch 1/3"):
        nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=1e200),
               epochs=3, batch_size=10, verbose=False)


def test_terminate_on_nan_is_on_by_default_documented_and_can_be_switched_off():
    assert inspect.signature(nn.fit).parameters["terminate_on_nan"].default is True
    assert "terminate_on_nan" in nn.fit.__doc__ and "TerminateOnNaN" in nn.fit.__doc__
    X, y = _moons()
    model = nn.MLP(2, [8, 2], seed=0)
    history = nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1),
                     epochs=3, batch_size=10, verbose=False, terminate_on_nan=False,
                     train_step=_failing_step(2, float("nan")))
    assert history.epoch == [0, 1, 2]
    assert np.isnan(history.history["loss"][0]) and np.isfinite(history.history["loss"][1])


# ----- the architecture a file records -----------------------------------------------------
def test_save_records_the_architecture_as_json_beside_the_arrays(tmp_path):
    path = tmp_path / "model.npz"
    nn.MLP(2, [16, 2], activation="tanh", dtype=np.float32, seed=0).save(path)
    with np.load(path, allow_pickle=False) as archive:
        record = json.loads(str(archive["__architecture__"]))
    assert record == {"type": "MLP", "nin": 2, "nouts": [16, 2], "activation": "tanh",
                      "output_activation": "linear", "dtype": "float32"}


class _Stack(nn.Module):
    """Layers kept as `layers.<i>`, as MLP keeps them, under another type."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = nn.ModuleList(layers)


@pytest.mark.parametrize("saved, built, difference", [
    (lambda: nn.MLP(2, [16, 2], seed=0), lambda: nn.MLP(2, [16, 2], activation="tanh"),
     "activation: 'relu' in the file, 'tanh' here"),
    (lambda: nn.MLP(2, [16, 2], seed=0), lambda: nn.MLP(2, [16, 2], dtype=np.float32),
     "dtype: 'float64' in the file, 'float32' here"),
    (lambda: nn.MLP(2, [16, 2], output_activation="sigmoid", seed=0),
     lambda: nn.MLP(2, [16, 2]), "output_activation: 'sigmoid' in the file, 'linear' here"),
    (lambda: nn.Layer(3, 2, activation="tanh", seed=0), lambda: nn.Layer(3, 2),
     "activation: 'tanh' in the file, 'relu' here"),
    (lambda: nn.Neuron(3, activation="sigmoid", seed=0), lambda: nn.Neuron(3),
     "activation: 'sigmoid' in the file, 'relu' here"),
    (lambda: nn.Maxout(3, 4, pieces=2, seed=0), lambda: nn.Maxout(3, 2, pieces=4),
     "nout: 4 in the file, 2 here; pieces: 2 in the file, 4 here"),
    (lambda: nn.Sequential(nn.Layer(2, 4, seed=0), nn.Activation("tanh"), nn.Layer(4, 1)),
     lambda: nn.Sequential(nn.Layer(2, 4), nn.Activation("relu"), nn.Layer(4, 1)),
     "1.activation: 'tanh' in the file, 'relu' here"),
    (lambda: nn.MLP(2, [4, 1], seed=0),
     lambda: _Stack(nn.Layer(2, 4), nn.Layer(4, 1, activation=None)),
     "type: 'MLP' in the file, '_Stack' here"),
])
def test_load_into_another_architecture_fails_naming_both(tmp_path, saved, built, difference):
    """The names and shapes fit in every case; only the recorded architecture tells them
    apart."""
    path = tmp_path / "model.npz"
    model = saved()
    model.save(path)
    target = built()
    assert list(target.state_dict()) == list(model.state_dict())
    before = _snapshot(target)
    with pytest.raises(ValueError) as info:
        target.load(path)
    message = str(info.value)
    assert difference in message
    assert message.startswith(f"load: {str(path)!r} was saved from {type(model).__name__}(")
    assert f"but this model is {type(target).__name__}(" in message
    assert message.endswith("load only the weights with "
                            "model.load_state_dict(nn.serialization.load_arrays(path))")
    _assert_unchanged(target, before)


def test_the_demo_failure_relu_file_into_a_tanh_model(tmp_path):
    """The issue's case: the weights fit by name and shape, only the activation differs."""
    path = tmp_path / "digits.npz"
    nn.MLP(64, [64, 32, 10], seed=0).save(path)
    tanh = nn.MLP(64, [64, 32, 10], activation="tanh", seed=1)
    before = _snapshot(tanh)
    with pytest.raises(ValueError, match=r"MLP\(nin=64, nouts=\[64, 32, 10\], "
                                         r"activation='relu', .*but this model is MLP\(nin=64, "
                                         r"nouts=\[64, 32, 10\], activation='tanh'"):
        tanh.load(path)
    _assert_unchanged(tanh, before)


def test_weights_only_loading_stays_possible(tmp_path):
    path = tmp_path / "model.npz"
    relu = nn.MLP(2, [8, 2], seed=0)
    relu.save(path)
    tanh = nn.MLP(2, [8, 2], activation="tanh", seed=1)
    tanh.load_state_dict(nn.serialization.load_arrays(path))
    for (name, a), (_, b) in zip(relu.named_parameters(), tanh.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    other = nn.MLP(2, [8, 2], activation="tanh", seed=2).load(path, strict=False)
    np.testing.assert_array_equal(other.layers[0].W.data, relu.layers[0].W.data)


def test_files_saved_without_a_record_still_load(tmp_path):
    path = tmp_path / "old.npz"
    source = nn.MLP(2, [8, 2], seed=0)
    np.savez(path, **source.state_dict())              # as Module.save wrote before records
    loaded = nn.MLP(2, [8, 2], activation="tanh", seed=1).load(path)
    np.testing.assert_array_equal(loaded.layers[1].W.data, source.layers[1].W.data)


def test_the_same_architecture_round_trips_including_scalars_and_buffers(tmp_path):
    path = tmp_path / "model.npz"
    model = nn.Sequential(nn.Layer(3, 4, seed=0), nn.BatchNorm(4), nn.Neuron(4, seed=1))
    model(np.random.default_rng(0).normal(size=(5, 3)))
    model.save(path)
    other = nn.Sequential(nn.Layer(3, 4, seed=5), nn.BatchNorm(4), nn.Neuron(4, seed=6))
    other.load(path)
    for (k, v), (_, w) in zip(model.state_dict().items(), other.state_dict().items()):
        np.testing.assert_array_equal(v, w, err_msg=k)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


@pytest.mark.parametrize("entry, words", [
    (np.array("{not json"), "__architecture__ entry is not valid JSON"),
    (np.array("[1, 2]"), "__architecture__ entry is not a JSON object"),
    (np.array([1.0, 2.0]), "__architecture__ entry is not a JSON text"),
])
def test_a_damaged_record_is_refused_and_changes_nothing(tmp_path, entry, words):
    model = nn.MLP(2, [3], seed=0)
    path = tmp_path / "model.npz"
    np.savez(path, __architecture__=entry, **model.state_dict())
    target = nn.MLP(2, [3], seed=1)
    before = _snapshot(target)
    with pytest.raises(ValueError, match=re.escape(words)):
        target.load(path)
    _assert_unchanged(target, before)


# ----- file errors name the user's path ------------------------------------------------------
def test_save_into_a_missing_folder_names_the_path_not_a_temporary_file(tmp_path):
    path = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        nn.MLP(2, [3], seed=0).save(path)
    message = str(info.value)
    assert str(path) in message and "does not exist; create it first" in message
    assert ".tmp-" not in message


def test_save_onto_a_folder_names_it(tmp_path):
    (tmp_path / "model.npz").mkdir()
    with pytest.raises(IsADirectoryError, match=re.escape(
            f"save: cannot write {str(tmp_path / 'model.npz')!r}: it is a folder")):
        nn.MLP(2, [3], seed=0).save(tmp_path / "model.npz")


def test_a_failure_while_writing_names_the_path_and_leaves_no_temporary_file(tmp_path,
                                                                             monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    path = tmp_path / "model.npz"
    with pytest.raises(OSError) as info:
        nn.MLP(2, [3], seed=0).save(path)
    assert str(info.value) == f"save: could not write {str(path)!r}: No space left on device"
    assert os.listdir(tmp_path) == []


def test_model_checkpoint_into_a_missing_folder_fails_before_training(tmp_path):
    X, y = _moons()
    model = nn.MLP(2, [8, 2], seed=0)
    before = _snapshot(model)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "nowhere" / "m-{epoch}.npz"
    with pytest.raises(FileNotFoundError) as info:
        nn.fit(model, X, y, "cross_entropy", optimizer, epochs=2, verbose=False,
               callbacks=[nn.ModelCheckpoint(str(path))])
    assert str(tmp_path / "nowhere" / "m-1.npz") in str(info.value)
    assert ".tmp-" not in str(info.value)
    assert optimizer.steps == 0
    _assert_unchanged(model, before)


# ----- MNIST files -------------------------------------------------------------------------------
def _idx(array, dtype_code=0x08):
    array = np.asarray(array)
    return (bytes([0, 0, dtype_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
            + array.astype(np.uint8).tobytes())


def _mnist(folder, n_train=6, n_test=4, size=28):
    folder.mkdir()
    for split, n in (("train", n_train), ("t10k", n_test)):
        (folder / f"{split}-images-idx3-ubyte").write_bytes(_idx(np.zeros((n, size, size))))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(_idx(np.arange(n) % 10))
    return folder


@pytest.mark.parametrize("damage, words", [
    ("bad magic", "is not an IDX file (bad magic number)"),
    ("cut header", "ends inside its header (truncated download?)"),
    ("cut data", "data bytes but its header"),
    ("broken gzip", "could not be read"),
    ("truncated gzip", "could not be read"),
    ("swapped", "must hold images (N, height, width)"),
    ("count", "train has 6 images but 5 labels"),
    ("sizes", "train images are (28, 28) but test images (20, 20)"),
])
def test_damaged_or_mismatched_mnist_files_are_refused_by_name(tmp_path, damage, words):
    folder = _mnist(tmp_path / "mnist")
    images = folder / "train-images-idx3-ubyte"
    raw = images.read_bytes()
    if damage == "bad magic":
        images.write_bytes(b"\x1f\x8b" + raw[2:])
    elif damage == "cut header":
        images.write_bytes(raw[:10])
    elif damage == "cut data":
        images.write_bytes(raw[:-5])
    elif damage in ("broken gzip", "truncated gzip"):
        images.unlink()
        packed = gzip.compress(raw)
        images = folder / "train-images-idx3-ubyte.gz"
        images.write_bytes(packed[:40] if damage == "truncated gzip" else b"\x1f\x8b junk")
    elif damage == "swapped":
        labels = folder / "train-labels-idx1-ubyte"
        first, second = images.read_bytes(), labels.read_bytes()
        images.write_bytes(second)
        labels.write_bytes(first)
    elif damage == "count":
        (folder / "train-labels-idx1-ubyte").write_bytes(_idx(np.arange(5)))
    elif damage == "sizes":
        (folder / "t10k-images-idx3-ubyte").write_bytes(_idx(np.zeros((4, 20, 20))))
    with pytest.raises(ValueError, match=re.escape(words)) as info:
        nn.data.load_mnist(folder)
    if damage not in ("count", "sizes"):
        assert "train-" in str(info.value)
