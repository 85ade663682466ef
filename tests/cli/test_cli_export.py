"""--export-onnx: the app writes the model it trained as ONNX, which ONNX Runtime runs to the
same numbers as the model saved by --save; a bad option is one line, before training."""
import importlib.util

import numpy as np
import pytest

from seegrad import cli, cnn, job
from test_cli import run_cli

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra is not installed")


FAST = ["--dataset", "xor", "--epochs", "2", "--no-graphs", "--quiet"]


@pytest.mark.parametrize("model, extra, shape", [
    ("mlp", FAST + ["--hidden", "5"], (7, 2)),
    ("cnn", ["--epochs", "1", "--no-graphs", "--quiet"], (7, 1, 8, 8)),
])
def test_the_trained_model_is_exported(tmp_path, capsys, model, extra, shape):
    exported, saved = tmp_path / "model.onnx", tmp_path / "model.npz"
    argv = ["--model", model, *extra, "--out", str(tmp_path / "out")]
    status, out, err = run_cli(capsys, *argv, "--save", str(saved), "--export-onnx",
                               str(exported))
    assert status == 0, err
    assert f"model exported to {exported} (ONNX)" in out
    proto = onnx.load(str(exported))
    onnx.checker.check_model(proto, full_check=True)
    args = cli.parse_args(argv + ["--load", str(saved)])
    recipe = cnn.CNN if model == "cnn" else job.MLP
    trained = recipe.build(args, recipe.load(args.dataset, args.data_dir, args.seed)).eval()
    x = np.random.default_rng(0).normal(size=shape).astype(trained.dtype)
    session = ort.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    tol = 1e-5 if trained.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(session.run(None, {"input": x})[0], trained(x).data, rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("argv, words", [
    (FAST + ["--export-onnx", "model.txt"], ["--export-onnx model.txt", "ending in .onnx"]),
    (FAST + ["--export-onnx", "missing/model.onnx"], ["--export-onnx", "does not exist"]),
    (["--model", "gan", "--export-onnx", "model.onnx"], ["exports the mlp or the cnn",
                                                         "--model gan"]),
    (["--model", "lstm", "--export-onnx", "model.onnx"], ["--model lstm"]),
], ids=["extension", "folder", "gan", "lstm"])
def test_a_bad_export_option_is_one_line_before_training(tmp_path, capsys, no_training,
                                                         monkeypatch, argv, words):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and not out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seegrad: error: ")
    for word in words:
        assert word in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_onnx_missing_is_named_before_training(tmp_path, capsys, no_training, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *args: None if name == "onnx" else real(name, *args))
    status, _, err = run_cli(capsys, *FAST, "--export-onnx", str(tmp_path / "m.onnx"))
    assert status == 2
    assert "pip install seegrad[onnx]" in err and len(err.strip().splitlines()) == 1
