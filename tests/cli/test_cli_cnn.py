"""`--model cnn`: the convolutional network the job builds, what it prints and draws, its
options and refusals, and (the one long test) the accuracy it reaches on the held-out digits."""
import contextlib
import dataclasses
import io
import json

import numpy as np
import pytest

from seegrad import cli, cnn, job
from test_cli import ACCURACY, accuracy_of, fake_mnist, is_png, is_svg, needs_dot, run_cli

ONE_EPOCH = ["--model", "cnn", "--epochs", "1", "--quiet"]
FEW = 160                   # training samples in the quick runs (the test split stays whole)


def _first_few(load):
    """`load` keeping the first FEW samples of the training split."""
    def first_few(*args):
        data = load(*args)
        return dataclasses.replace(data, X_train=data.X_train[:FEW], y_train=data.y_train[:FEW])
    return first_few


@pytest.fixture
def few_digits(monkeypatch):
    """The quick runs train on the first FEW samples of the job's training split."""
    monkeypatch.setattr(cnn, "load_data", _first_few(cnn.load_data))


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """(exit status, stdout, stderr, output folder) of a quick run without graphs, seed 1, that
    saves its model as cnn.npz there: trained once for the tests that only read what it left."""
    folder = tmp_path_factory.mktemp("cnn")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cnn, "load_data", _first_few(cnn.load_data))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main([*ONE_EPOCH, "--no-graphs", "--seed", "1", "--out", str(folder),
                               "--save", str(folder / "cnn.npz")])
    return status, out.getvalue(), err.getvalue(), folder


def test_the_cnn_is_conv_blocks_then_a_linear_layer_with_pytorch_names():
    args = cli.parse_args(["--model", "cnn"])
    data = cnn.load_images("digits", None, 0)
    model = cnn.build_cnn(args, data)
    assert data.X_train.shape[1:] == data.X_test.shape[1:] == (1, 8, 8)
    assert [type(m).__name__ for m in model] == [
        "Conv2d", "BatchNorm2d", "Activation", "MaxPool2d",
        "Conv2d", "BatchNorm2d", "Activation", "MaxPool2d", "Flatten", "Linear"]
    assert model[0].weight.shape == (16, 1, 3, 3) and model[4].weight.shape == (32, 16, 3, 3)
    assert model[9].weight.shape == (10, 32 * 2 * 2)
    assert {"0.weight", "1.running_mean", "4.bias", "9.weight"} <= set(model.state_dict())
    assert model.dtype == np.float32 and args.dtype == "float32"
    assert model(data.X_test[:3]).shape == (3, 10)


def test_the_cnn_sees_the_same_held_out_split_as_the_mlp():
    images, flat = cnn.load_images("digits", None, 4), job.load_data("digits", None, 4)
    np.testing.assert_array_equal(images.X_test.reshape(len(flat.X_test), -1), flat.X_test)
    np.testing.assert_array_equal(images.y_test, flat.y_test)
    np.testing.assert_array_equal(images.X_train.reshape(len(flat.X_train), -1), flat.X_train)


@needs_dot
def test_cnn_job_prints_its_shapes_and_writes_its_pictures(tmp_path, capsys, few_digits):
    status, out, err = run_cli(capsys, *ONE_EPOCH, "--out", str(tmp_path))
    assert status == 0, err
    first = out.splitlines()[0]
    assert first.startswith("CNN 1x8x8 -> 16x4x4 -> 32x2x2 -> 10 (conv 3x3, batchnorm, relu")
    assert f"on digits: {FEW} train samples ({round(FEW * 0.1)} of them held out" in first
    assert "/ 360 test" in first
    assert "1 epoch of batch 32, float32" in first and "(cosine to 0)" in first
    assert 0.0 <= accuracy_of(out) <= 1.0 and ACCURACY.search(out).group(2) == "360"
    for name in ("filters.png", "feature_maps.png", "predictions.png", "history.png"):
        assert is_png(tmp_path / name), name
        assert name in out
    svg = (tmp_path / "cnn_step.svg").read_text()
    assert is_svg(tmp_path / "cnn_step.svg")
    for label in ("conv(", "max_pool(", "(4, 16, 8, 8) float32", "(4, 32, 2, 2) float32",
                  "0.weight", "4.weight", "9.weight"):
        assert label in svg, label
    assert json.loads((tmp_path / "history.json").read_text())["epochs"] == [1]
    assert not err


def test_no_graphs_skips_the_step_drawing_but_not_the_filters(saved_run):
    status, _, err, folder = saved_run
    assert status == 0, err
    assert not (folder / "cnn_step.svg").exists()
    assert is_png(folder / "filters.png") and is_png(folder / "feature_maps.png")


def test_the_same_seed_trains_the_same_cnn(tmp_path, capsys, few_digits, saved_run):
    status, _, err, first = saved_run
    assert status == 0, err
    status, _, err = run_cli(capsys, *ONE_EPOCH, "--no-graphs", "--seed", "1",
                             "--out", str(tmp_path))
    assert status == 0, err
    histories = [json.loads((run / "history.json").read_text()) for run in (first, tmp_path)]
    assert histories[0] == histories[1]
    data = cnn.load_images("digits", None, 1)
    weights = [cnn.build_cnn(cli.parse_args(["--model", "cnn", "--seed", seed]), data)[4].weight
               for seed in ("1", "1", "2")]
    np.testing.assert_array_equal(weights[0].data, weights[1].data)
    assert not np.array_equal(weights[0].data, weights[2].data)


def test_cnn_save_then_load_round_trip(tmp_path, capsys, few_digits, saved_run):
    status, out, err, folder = saved_run
    assert status == 0, err
    path, trained = folder / "cnn.npz", accuracy_of(out)
    common = ["--model", "cnn", "--no-graphs", "--quiet", "--seed", "1", "--out", str(tmp_path)]
    status, out, err = run_cli(capsys, *common, "--epochs", "0", "--load", str(path))
    assert status == 0, err
    assert accuracy_of(out) == trained
    status, _, err = run_cli(capsys, "--epochs", "0", "--load", str(path), "--no-graphs",
                             "--quiet", "--out", str(tmp_path))
    assert status == 1 and f"--load {path}" in err            # not an MLP


def test_cnn_on_mnist_reads_28x28_images(tmp_path, capsys):
    folder = fake_mnist(tmp_path / "mnist")
    status, out, err = run_cli(capsys, *ONE_EPOCH, "--dataset", "mnist", "--data-dir",
                               str(folder), "--no-graphs", "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert out.startswith("CNN 1x28x28 -> 16x14x14 -> 32x7x7 -> 10")
    assert ACCURACY.search(out).group(2) == "20"
    assert is_png(tmp_path / "out" / "feature_maps.png")


@pytest.mark.parametrize("argv, words", [
    (["--model", "cnn", "--dataset", "moons"], ["--model cnn needs images", "--dataset moons"]),
    (["--model", "cnn", "--hidden", "8"], ["--hidden", "--model mlp"]),
    (["--model", "rnn"], ["--model", "'rnn'", "cnn", "mlp"]),
])
def test_cnn_option_mistakes_are_one_line_usage_errors(argv, words, capsys, monkeypatch):
    monkeypatch.setattr(job, "train", lambda *a, **k: pytest.fail("training started"))
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and not out and len(err.strip().splitlines()) == 1
    for word in words:
        assert word in err


def test_help_documents_the_model_choice_and_its_dtype(capsys):
    status, out, _ = run_cli(capsys, "--help")
    assert status == 0
    assert "--model {cnn,gan,lstm,mlp,rnn-gru-lstm,transformer}" in out and "--model cnn" in out
    assert "float32 for the cnn" in " ".join(out.split())


def test_the_mlp_keeps_float64_by_default():
    assert cli.parse_args([]).dtype == "float64" and cli.parse_args([]).model == "mlp"
    assert cli.parse_args(["--model", "cnn", "--dtype", "float64"]).dtype == "float64"


@pytest.mark.slow
def test_cnn_reaches_98_5_percent_on_the_held_out_digits(tmp_path, capsys):
    """The demo's promise (about 20 s on two cores): the full default run."""
    status, out, err = run_cli(capsys, "--model", "cnn", "--no-graphs", "--quiet",
                               "--out", str(tmp_path))
    assert status == 0, err
    assert accuracy_of(out) >= 0.985
    assert ACCURACY.search(out).group(2) == "360"
