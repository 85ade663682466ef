"""The command line's promise: every bad value and every unusable path gives a one-line error and
a non-zero exit, before training starts where that can be known before; training that diverges
stops with one; and the demo's words and pictures read right."""
import configparser
import os
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from seegrad import cli, job

ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys, *argv):
    """Run the CLI in-process; returns (exit status, stdout, stderr)."""
    try:
        status = cli.main(list(argv))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(status, err, code):
    """The single line of stderr, after checking the exit status."""
    assert status == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("seegrad: error: ")
    return lines[0]


FAST = ["--dataset", "xor", "--epochs", "1", "--no-graphs", "--quiet"]


# ----- bad values ---------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["--seed", "-1"], ["argument --seed", "whole number >= 0", "'-1'"]),
    (["--seed", "1.5"], ["argument --seed", "'1.5'"]),
    (["--lr", "inf"], ["argument --lr", "finite number > 0", "'inf'"]),
    (["--lr", "1e400"], ["argument --lr", "finite number > 0", "'1e400'"]),
    (["--lr", "nan"], ["argument --lr", "'nan'"]),
    (["--epochs", "2.5"], ["argument --epochs", "whole number >= 0", "'2.5'"]),
    (["--batch-size", "2.5"], ["argument --batch-size", "whole number >= 1", "'2.5'"]),
    (["--hidden", "16", "1.5"], ["argument --hidden", "positive layer size", "'1.5'"]),
])
def test_bad_values_are_one_line_usage_errors(capsys, no_training, argv, words):
    status, out, err = run_cli(capsys, *argv)
    line = one_line_error(status, err, 2)
    assert not out
    for word in words:
        assert word in line


# ----- unusable paths, before training --------------------------------------------------------------
def _denied(monkeypatch, folder):
    """os.access says `folder` is not writable (as for a user without permission; root may
    write anywhere, so chmod alone cannot show it)."""
    real = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path).resolve() == Path(folder).resolve() and mode & os.W_OK:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_out_that_is_a_file(tmp_path, capsys, no_training):
    target = tmp_path / "a_file"
    target.write_text("not a folder")
    status, _, err = run_cli(capsys, *FAST, "--out", str(target))
    line = one_line_error(status, err, 1)
    assert f"--out {target}: it is a file, not a folder" in line
    assert target.read_text() == "not a folder"


def test_out_below_a_file(tmp_path, capsys, no_training):
    (tmp_path / "a_file").write_text("")
    target = tmp_path / "a_file" / "out"
    status, _, err = run_cli(capsys, *FAST, "--out", str(target))
    line = one_line_error(status, err, 1)
    assert f"--out {target}: cannot create the folder" in line


def test_out_that_is_not_writable(tmp_path, capsys, no_training, monkeypatch):
    target = tmp_path / "locked"
    target.mkdir()
    _denied(monkeypatch, target)
    status, _, err = run_cli(capsys, *FAST, "--out", str(target))
    line = one_line_error(status, err, 1)
    assert f"--out {target}: the folder is not writable" in line


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write into any folder")
def test_out_that_is_not_writable_by_permissions(tmp_path, capsys, no_training):
    target = tmp_path / "locked"
    target.mkdir()
    target.chmod(0o555)
    try:
        status, _, err = run_cli(capsys, *FAST, "--out", str(target))
    finally:
        target.chmod(0o755)
    assert "not writable" in one_line_error(status, err, 1)


@pytest.mark.parametrize("case, words", [
    ("missing folder", "the folder {folder!r} does not exist; create it first"),
    ("a folder", "cannot write {path!r}: it is a folder"),
    ("below a file", "{folder!r} is a file, not a folder"),
    ("unwritable folder", "the folder {folder!r} is not writable"),
])
def test_save_to_an_unusable_path_fails_before_training(tmp_path, capsys, no_training,
                                                        monkeypatch, case, words):
    folder = tmp_path / "models"
    path = folder / "model.npz"
    if case == "a folder":
        path.mkdir(parents=True)
    elif case == "below a file":
        folder.write_text("")
    elif case == "unwritable folder":
        folder.mkdir()
        _denied(monkeypatch, folder)
    out_dir = tmp_path / "out"
    status, out, err = run_cli(capsys, *FAST, "--out", str(out_dir), "--save", str(path))
    line = one_line_error(status, err, 1)
    assert "--save" in line
    assert words.format(folder=str(folder), path=str(path)) in line
    assert not (out_dir / "history.json").exists()
    if case == "missing folder":
        assert not folder.exists()                     # nothing is created behind your back


# ----- MNIST files ----------------------------------------------------------------------------------
def _idx(array):
    array = np.asarray(array)
    return (bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
            + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("damage, words", [
    ("bad magic", "train-images-idx3-ubyte is not an IDX file"),
    ("truncated", "train-images-idx3-ubyte holds"),
    ("swapped", "t10k-images-idx3-ubyte must hold images"),
    ("count", "t10k has 20 images but 19 labels"),
    ("labels", "the labels must be digits 0..9, got up to 200"),
])
def test_damaged_mnist_files_are_one_line_errors_before_training(tmp_path, capsys, no_training,
                                                                 damage, words):
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 30), ("t10k", 20)):
        (folder / f"{split}-images-idx3-ubyte").write_bytes(
            _idx(rng.integers(0, 256, size=(n, 28, 28))))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(_idx(np.arange(n) % 10))
    images = folder / "train-images-idx3-ubyte"
    if damage == "bad magic":
        images.write_bytes(b"GIF89a" + images.read_bytes()[6:])
    elif damage == "truncated":
        images.write_bytes(images.read_bytes()[:5000])
    elif damage == "swapped":
        a, b = folder / "t10k-images-idx3-ubyte", folder / "t10k-labels-idx1-ubyte"
        first, second = a.read_bytes(), b.read_bytes()
        a.write_bytes(second)
        b.write_bytes(first)
    elif damage == "count":
        (folder / "t10k-labels-idx1-ubyte").write_bytes(_idx(np.arange(19) % 10))
    elif damage == "labels":
        (folder / "t10k-labels-idx1-ubyte").write_bytes(_idx(np.full(20, 200)))
    status, out, err = run_cli(capsys, "--dataset", "mnist", "--data-dir", str(folder),
                               "--quiet", "--no-graphs", "--out", str(tmp_path / "out"))
    assert words in one_line_error(status, err, 1)


# ----- a model file for another architecture --------------------------------------------------------
@pytest.mark.parametrize("option, difference", [
    (["--activation", "tanh"], "activation: 'relu' in the file, 'tanh' here"),
    (["--dtype", "float32"], "dtype: 'float64' in the file, 'float32' here"),
])
def test_load_into_another_architecture_is_a_one_line_error(tmp_path, capsys, monkeypatch,
                                                            option, difference):
    model_path = tmp_path / "model.npz"
    common = [*FAST, "--out", str(tmp_path)]
    assert run_cli(capsys, *common, "--save", str(model_path))[0] == 0
    monkeypatch.setattr(job, "train", lambda *a: pytest.fail("training started"))
    status, out, err = run_cli(capsys, *common, "--load", str(model_path), *option)
    line = one_line_error(status, err, 1)
    assert f"--load {model_path}" in line and difference in line
    assert "test accuracy" not in out


# ----- training that diverges -------------------------------------------------------------------
def test_a_diverging_run_stops_with_a_one_line_error_naming_epoch_and_batch(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--dataset", "xor", "--optimizer", "sgd", "--lr", "1e200",
                               "--epochs", "5", "--no-graphs", "--quiet", "--out", str(tmp_path))
    line = one_line_error(status, err, 1)
    assert re.search(r"the loss became (nan|inf) at epoch 1/5, batch \d+/\d+, so training "
                     r"stopped; lower the learning rate \(it is 1e\+200\)", line), line
    assert "test accuracy" not in out


# ----- what the demo says and draws -----------------------------------------------------------------
def test_one_epoch_reads_in_the_singular_and_validation_is_said_to_be_held_out(tmp_path, capsys):
    status, out, err = run_cli(capsys, *FAST, "--out", str(tmp_path))
    assert status == 0, err
    data = job.load_data("xor", None, 0)
    held_out = int(round(len(data.X_train) * job.VALIDATION_SPLIT))
    first = out.splitlines()[0]
    assert f"{len(data.X_train)} train samples ({held_out} of them held out for validation)" \
        in first
    assert "1 epoch of batch 32" in first and "1 epochs" not in out


def test_a_single_batch_reads_in_the_singular(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--dataset", "xor", "--epochs", "1", "--batch-size",
                               "1000", "--no-graphs", "--out", str(tmp_path))
    assert status == 0, err
    assert "Epoch 1/1 - 1 batch - " in out and "1 batches" not in out


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_mlp_step_drawing_is_legible_at_its_natural_size(demo_run):
    status, _, err, folder = demo_run
    assert status == 0, err
    root = ET.parse(folder / "mlp_step.svg").getroot()
    width, height = (float(root.get(side).removesuffix("pt")) for side in ("width", "height"))
    assert width <= 1440, f"{width}pt wide: wider than a 1920-pixel screen"
    assert height <= 2400 and width * height > 0
    graph = root.find("{http://www.w3.org/2000/svg}g")
    assert "scale(1 1)" in graph.get("transform")             # drawn at its natural size
    sizes = {float(el.get("font-size")) for el in root.iter() if el.get("font-size")}
    assert sizes and min(sizes) >= 9, sizes                      # points, as printed


# ----- the package set-up -------------------------------------------------------------------------
def test_setup_cfg_uses_the_spdx_license_without_deprecated_classifiers():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    metadata = config["metadata"]
    assert metadata["license"].strip() == "MIT"
    classifiers = [c.strip() for c in metadata["classifiers"].splitlines() if c.strip()]
    assert classifiers and not [c for c in classifiers if c.startswith("License ::")]
