"""The application (seegrad): the demo job's files, options, errors, save/load, Ctrl-C, its
entry points, and the library underneath that knows nothing of it."""
import configparser
import contextlib
import gzip
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from seegrad import cli, job

ROOT = Path(__file__).resolve().parents[2]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot binary is not installed (make test does)")
ACCURACY = re.compile(r"^test accuracy: (\d+\.\d+)% on (\d+) held-out samples$", re.M)
GRAPH_FILES = ("neuron.png", "mlp_step.svg", "backprop", "backprop_neuron.html",
               "backprop_mlp.html")


def run_cli(capsys, *argv):
    """Run the CLI in-process; returns (exit status, stdout, stderr)."""
    try:
        status = cli.main(list(argv))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def is_png(path):
    return Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def is_gif(path):
    return Path(path).read_bytes()[:6] in (b"GIF87a", b"GIF89a")


def is_svg(path):
    import xml.etree.ElementTree as ET
    return ET.parse(path).getroot().tag.endswith("svg")


def accuracy_of(out):
    match = ACCURACY.search(out)
    assert match, f"no accuracy line in:\n{out}"
    return float(match.group(1)) / 100


# ----- the demo job ---------------------------------------------------------------------------
@needs_dot
def test_demo_job_writes_every_picture(demo_run):
    status, out, err, folder = demo_run
    assert status == 0, err
    assert accuracy_of(out) > 0.5
    assert re.search(r"^time taken: \d+\.\ds", out, re.M)
    assert str(folder.resolve()) in out.splitlines()[-1]
    assert is_png(folder / "neuron.png")
    assert is_svg(folder / "mlp_step.svg")
    svg = (folder / "mlp_step.svg").read_text()
    assert "layers.0.W" in svg and "layers.2.b" in svg          # drawn with model=
    assert is_png(folder / "history.png")
    assert is_png(folder / "predictions.png")
    frames = sorted((folder / "backprop").glob("step_*.png"))
    assert 5 <= len(frames) <= 20 and all(is_png(f) for f in frames)   # a small neuron
    assert is_gif(folder / "backprop" / "backprop.gif")
    for page in ("backprop_neuron.html", "backprop_mlp.html"):
        text = (folder / page).read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in text
        assert page in out
    assert "layers.0.W" in (folder / "backprop_mlp.html").read_text(encoding="utf-8")
    history = json.loads((folder / "history.json").read_text())
    assert history["epochs"] == [1, 2] and len(history["val_accuracy"]) == 2
    assert not err


@pytest.mark.slow
def test_default_demo_reaches_96_percent_on_held_out_digits(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--no-graphs", "--quiet", "--out", str(tmp_path))
    assert status == 0, err
    assert accuracy_of(out) >= 0.96
    assert ACCURACY.search(out).group(2) == "360"
    assert "MLP 64-64-32-10 (relu) on digits" in out


def test_progress_display_prints_one_line_per_epoch(tmp_path, capsys):
    status, out, _ = run_cli(capsys, "--dataset", "xor", "--epochs", "3", "--no-graphs",
                             "--out", str(tmp_path))
    assert status == 0
    assert [line.split(" - ")[0] for line in out.splitlines() if line.startswith("Epoch")] == [
        "Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]


def test_no_graphs_writes_no_graph_files(tmp_path, capsys):
    status, _, err = run_cli(capsys, "--epochs", "1", "--no-graphs", "--quiet",
                             "--out", str(tmp_path))
    assert status == 0, err
    for name in GRAPH_FILES:
        assert not (tmp_path / name).exists()
    assert not list(tmp_path.rglob("*.svg")) and not list(tmp_path.rglob("*.gif"))
    assert is_png(tmp_path / "history.png") and is_png(tmp_path / "predictions.png")


# ----- datasets -------------------------------------------------------------------------------
@pytest.mark.parametrize("dataset", ["moons", "circles", "spirals", "xor"])
def test_each_toy_dataset_runs_one_epoch(dataset, tmp_path, capsys):
    status, out, err = run_cli(capsys, "--dataset", dataset, "--epochs", "1", "--no-graphs",
                               "--quiet", "--out", str(tmp_path))
    assert status == 0, err
    assert 0.0 <= accuracy_of(out) <= 1.0
    assert ACCURACY.search(out).group(2) == "80"
    assert is_png(tmp_path / "decision_boundary.png")
    assert not (tmp_path / "predictions.png").exists()


@needs_dot
def test_toy_dataset_neuron_sees_the_whole_2d_sample(tmp_path, capsys):
    status, _, err = run_cli(capsys, "--dataset", "moons", "--epochs", "1", "--quiet",
                             "--out", str(tmp_path))
    assert status == 0, err
    assert is_png(tmp_path / "neuron.png") and is_svg(tmp_path / "mlp_step.svg")
    data = job.load_data("moons", None, 0)
    out, neuron = job.neuron_on_sample(data, 0)
    assert neuron.nin == 2 and out.name == "out"


def write_idx(path, array):
    """Write `array` (uint8) as an IDX file, gzipped when the name ends in .gz."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    raw = header + array.astype(np.uint8).tobytes()
    (gzip.open if str(path).endswith(".gz") else open)(path, "wb").write(raw)


def fake_mnist(folder, n_train=60, n_test=20):
    rng = np.random.default_rng(0)
    folder.mkdir()
    for split, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, size=(n, 28, 28)))
        write_idx(folder / f"{split}-labels-idx1-ubyte", np.arange(n) % 10)
    return folder


def test_mnist_from_a_folder_of_idx_files(tmp_path, capsys):
    folder = fake_mnist(tmp_path / "mnist")
    status, out, err = run_cli(capsys, "--dataset", "mnist", "--data-dir", str(folder),
                               "--epochs", "1", "--hidden", "8", "--no-graphs", "--quiet",
                               "--out", str(tmp_path / "out"))
    assert status == 0, err
    assert "MLP 784-8-10" in out and ACCURACY.search(out).group(2) == "20"
    assert is_png(tmp_path / "out" / "predictions.png")


def test_mnist_without_data_dir_is_a_one_line_usage_error(capsys):
    status, out, err = run_cli(capsys, "--dataset", "mnist")
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and "--data-dir" in err


def test_mnist_with_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    status, out, err = run_cli(capsys, "--dataset", "mnist", "--data-dir", str(missing))
    assert status == 1
    assert len(err.strip().splitlines()) == 1
    assert str(missing) in err and "not a folder" in err


def test_mnist_with_a_missing_file_names_it(tmp_path, capsys):
    folder = fake_mnist(tmp_path / "mnist")
    (folder / "t10k-labels-idx1-ubyte").unlink()
    status, _, err = run_cli(capsys, "--dataset", "mnist", "--data-dir", str(folder))
    assert status == 1 and "t10k-labels-idx1-ubyte" in err


def test_data_dir_is_only_for_mnist(capsys):
    status, _, err = run_cli(capsys, "--dataset", "moons", "--data-dir", "x")
    assert status == 2 and "only for --dataset mnist" in err


# ----- options --------------------------------------------------------------------------------
def test_help_documents_every_option(capsys):
    status, out, _ = run_cli(capsys, "--help")
    assert status == 0
    parser = cli.build_parser()
    for action in parser._actions:
        assert action.help, f"{action.option_strings} has no help"
        for flag in action.option_strings:
            assert flag in out
    for name in job.DATASETS + job.LOSS_CHOICES + tuple(job.OPTIMIZERS):
        assert name in out


@pytest.mark.parametrize("argv, allowed", [
    (["--dataset", "cifar"], ["digits", "moons", "mnist"]),
    (["--activation", "swishy"], ["relu", "tanh", "gelu"]),
    (["--loss", "mae"], ["cross_entropy", "hinge"]),
    (["--optimizer", "lbfgs"], ["adam", "sgd", "rmsprop"]),
    (["--optimiser", "lbfgs"], ["adam", "sgd"]),
    (["--dtype", "float16"], ["float32", "float64"]),
    (["--lr", "-0.1"], ["positive learning rate"]),
    (["--lr", "fast"], ["positive learning rate"]),
    (["--epochs", "-1"], ["whole number >= 0"]),
    (["--batch-size", "0"], ["positive batch size"]),
    (["--hidden", "16", "0"], ["positive layer size"]),
    (["--colour", "red"], ["unrecognized arguments"]),
])
def test_bad_values_give_a_one_line_error_naming_the_allowed_values(argv, allowed, capsys):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and not out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("seegrad: error: argument") or "unrecognized" in lines[0]
    for word in allowed:
        assert word in lines[0]


def test_two_class_loss_on_ten_classes_is_a_clear_error(capsys):
    status, _, err = run_cli(capsys, "--loss", "hinge")
    assert status == 1
    assert len(err.strip().splitlines()) == 1 and "cross_entropy" in err and "10" in err


@pytest.mark.parametrize("loss", ["hinge", "binary_cross_entropy_with_logits", "mse", "huber"])
def test_other_losses_train(loss, tmp_path, capsys):
    status, out, err = run_cli(capsys, "--dataset", "moons", "--loss", loss, "--epochs", "30",
                               "--no-graphs", "--quiet", "--out", str(tmp_path))
    assert status == 0, err
    assert accuracy_of(out) >= 0.75


@pytest.mark.parametrize("optimizer", sorted(job.OPTIMIZERS))
def test_each_optimizer_trains(optimizer, tmp_path, capsys):
    status, out, err = run_cli(capsys, "--dataset", "moons", "--optimizer", optimizer,
                               "--epochs", "30", "--no-graphs", "--quiet",
                               "--out", str(tmp_path))
    assert status == 0, err
    assert f"{optimizer} lr=" in out and accuracy_of(out) >= 0.75


def test_options_reach_the_model(tmp_path, capsys):
    model_path = tmp_path / "m.npz"
    status, out, err = run_cli(capsys, "--dataset", "circles", "--hidden", "5", "7",
                               "--activation", "tanh", "--dtype", "float32", "--lr", "0.02",
                               "--batch-size", "16", "--seed", "3", "--epochs", "1",
                               "--no-graphs", "--quiet", "--out", str(tmp_path),
                               "--save", str(model_path))
    assert status == 0, err
    assert "MLP 2-5-7-2 (tanh) on circles" in out and "lr=0.02" in out
    assert "1 epoch of batch 16, float32" in out
    with np.load(model_path) as saved:
        assert saved["layers.0.W"].shape == (2, 5) and saved["layers.0.W"].dtype == np.float32


def test_save_then_load_round_trip(tmp_path, capsys):
    model_path = tmp_path / "model.npz"
    common = ["--dataset", "moons", "--no-graphs", "--quiet", "--out", str(tmp_path)]
    status, out, err = run_cli(capsys, *common, "--epochs", "20", "--save", str(model_path))
    assert status == 0, err
    assert f"model saved to {model_path}" in out
    trained = accuracy_of(out)
    status, out, err = run_cli(capsys, *common, "--epochs", "0", "--load", str(model_path))
    assert status == 0, err
    assert accuracy_of(out) == trained
    assert json.loads((tmp_path / "history.json").read_text())["epochs"] == []


def test_load_of_a_mismatched_model_is_a_one_line_error(tmp_path, capsys):
    model_path = tmp_path / "model.npz"
    common = ["--dataset", "xor", "--epochs", "1", "--no-graphs", "--quiet",
              "--out", str(tmp_path)]
    assert run_cli(capsys, *common, "--save", str(model_path))[0] == 0
    status, _, err = run_cli(capsys, *common, "--hidden", "4", "--load", str(model_path))
    assert status == 1
    assert len(err.strip().splitlines()) == 1 and "--load" in err and "layers.0.W" in err


def test_load_of_a_missing_file_is_a_one_line_error(tmp_path, capsys):
    status, _, err = run_cli(capsys, "--load", str(tmp_path / "none.npz"))
    assert status == 1 and len(err.strip().splitlines()) == 1 and "none.npz" in err


# ----- Ctrl-C ---------------------------------------------------------------------------------
def test_ctrl_c_after_the_first_epoch_saves_the_history_so_far(tmp_path, capsys, monkeypatch):
    data = job.load_data("xor", None, 0)
    n_fit = len(data.X_train) - int(round(len(data.X_train) * job.VALIDATION_SPLIT))
    per_epoch = math.ceil(n_fit / 32)
    step = nn.optim.Adam.step

    def interrupted_step(self):
        if self.steps >= per_epoch + 2:          # a few batches into the second epoch
            raise KeyboardInterrupt
        step(self)

    monkeypatch.setattr(nn.optim.Adam, "step", interrupted_step)
    model_path = tmp_path / "partial.npz"
    status, out, err = run_cli(capsys, "--dataset", "xor", "--epochs", "50", "--quiet",
                               "--out", str(tmp_path), "--save", str(model_path))
    assert status == job.INTERRUPTED
    assert "interrupted: training stopped after 1 complete epoch(s)" in out
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["interrupted"] is True
    assert history["epochs"] == [1] and len(history["loss"]) == 1
    assert is_png(tmp_path / "history.png")
    assert model_path.exists()
    assert "test accuracy" not in out
    for name in GRAPH_FILES:
        assert not (tmp_path / name).exists()


def test_ctrl_c_before_any_epoch_writes_an_empty_history(tmp_path, capsys, monkeypatch):
    def interrupted_step(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(nn.optim.Adam, "step", interrupted_step)
    status, out, _ = run_cli(capsys, "--dataset", "xor", "--quiet", "--out", str(tmp_path))
    assert status == job.INTERRUPTED
    assert json.loads((tmp_path / "history.json").read_text())["epochs"] == []
    assert not (tmp_path / "history.png").exists()


def _sigint_as_default():
    """Run in the child before exec: SIGINT back to its default action and unblocked. A child
    inherits both settings, and a test runner may ignore SIGINT (a background job, some CI
    services) or block it; Python installs its KeyboardInterrupt handler only over the
    default action."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def runner_sigint(setting):
    """The test process's own SIGINT setting while the child starts: as it is, or ignored and
    blocked (the settings a child would otherwise inherit)."""
    if setting == "as it is":
        yield
        return
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, handler)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("runner", ["as it is", "ignoring and blocking SIGINT"])
def test_a_real_sigint_stops_training_cleanly(tmp_path, runner):
    """Ctrl-C as the terminal sends it: SIGINT to a running `python -m seegrad`, started in a
    session of its own (no terminal) whatever the runner's own SIGINT setting."""
    command = [sys.executable, "-m", "seegrad", "--dataset", "spirals", "--epochs", "100000",
               "--out", str(tmp_path)]
    with runner_sigint(runner):
        proc = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=_sigint_as_default, start_new_session=True)
    with proc:
        try:
            for line in proc.stdout:
                if line.startswith("Epoch 2/"):
                    proc.send_signal(signal.SIGINT)
                    break
            out, err = proc.communicate(timeout=120)
        finally:
            proc.kill()
    assert proc.returncode == job.INTERRUPTED, err
    assert "Traceback" not in err and "interrupted: training stopped" in out
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["interrupted"] is True and len(history["epochs"]) >= 1
    assert is_png(tmp_path / "history.png")


# ----- one rule from scores to classes ----------------------------------------------------------
def cell_centres(image):
    """The plane coordinates (n, 2) of the cells of an imshow image with origin='lower'."""
    (x0, x1, y0, y1), (rows, cols) = image.get_extent(), image.get_array().shape
    xs = x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols
    ys = y0 + (np.arange(rows) + 0.5) * (y1 - y0) / rows
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


@pytest.mark.parametrize("loss", ["hinge", "binary_cross_entropy_with_logits", "cross_entropy"])
def test_printed_accuracy_evaluate_and_the_boundary_agree(loss, tmp_path, capsys,
                                                          saved_figures):
    model_path = tmp_path / "model.npz"
    status, out, err = run_cli(capsys, "--dataset", "moons", "--loss", loss, "--epochs", "3",
                               "--no-graphs", "--quiet", "--out", str(tmp_path),
                               "--save", str(model_path))
    assert status == 0, err
    data = job.load_data("moons", None, 0)
    model = nn.MLP(2, [16, 16, job.n_outputs(loss, 2)], seed=1).load(model_path)
    targets = job.targets_for(loss, data.y_test, 2, model.dtype)
    evaluated = nn.evaluate(model, data.X_test, targets, loss)["accuracy"]
    assert accuracy_of(out) == pytest.approx(evaluated, abs=5e-5)
    boundary = next(f for f in saved_figures if f.axes[0].get_title() == "decision boundary")
    image = boundary.axes[0].images[0]
    expected = nn.scores_to_classes(nn.predict(model, cell_centres(image)))
    np.testing.assert_array_equal(image.get_array().ravel(), expected)
    assert 0 < expected.mean() < 1                      # both classes are drawn


# ----- entry points and layering -----------------------------------------------------------------
def test_python_dash_m_seegrad_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "seegrad", "--help"], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m seegrad")
    bad = subprocess.run([sys.executable, "-m", "seegrad", "--dataset", "x"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert bad.stderr.startswith("python -m seegrad: error:")


@pytest.mark.parametrize("argv", [["--help"], ["--dataset", "x"], ["--epochs", "-1"]])
def test_python_dash_m_nn_is_an_alias(argv):
    def run(package):
        result = subprocess.run([sys.executable, "-m", package, *argv], capture_output=True,
                                text=True, cwd=ROOT, timeout=120)
        named = f"python -m {package}"           # argparse wraps usage by the name's length
        return (result.returncode, " ".join(result.stdout.replace(named, "PROG").split()),
                " ".join(result.stderr.replace(named, "PROG").split()))

    assert run("nn") == run("seegrad")


def test_setup_cfg_installs_the_app_and_its_command():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "seegrad" in config["options.packages.find"]["include"].split()
    scripts = config["options.entry_points"]["console_scripts"].split("\n")
    entries = dict(line.replace(" ", "").split("=") for line in scripts if line.strip())
    assert entries["seegrad"] == "seegrad.cli:main" and callable(cli.main)


def test_the_library_imports_nothing_of_the_app_or_matplotlib():
    code = ("import importlib, pkgutil, sys, nn\n"
            "for m in pkgutil.walk_packages(nn.__path__, 'nn.'):\n"
            "    if m.name != 'nn.__main__':\n"
            "        importlib.import_module(m.name)\n"
            "print(sorted(m.split('.')[0] for m in sys.modules\n"
            "             if m.split('.')[0] in ('visualize', 'seegrad', 'matplotlib')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
