"""The job: load the data, build the MLP, train it with `nn`, report its held-out accuracy,
and draw the pictures with `visualize` (backprop graphs, training curves, results)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

import nn
import visualize
from autograd import Value
from nn.serialization import write_atomically

DATASETS = ("digits", "moons", "circles", "spirals", "xor", "mnist")
TOY_SAMPLES = 400
TOY_NOISE = {"moons": 0.1, "circles": 0.05, "spirals": 0.02, "xor": 0.1}
DEFAULT_HIDDEN = {"digits": [64, 32], "mnist": [128, 64], "spirals": [64, 64]}
DEFAULT_EPOCHS = {"digits": 20, "mnist": 5, "spirals": 300}
TOY_HIDDEN, TOY_EPOCHS = [16, 16], 100

OPTIMIZERS: Dict[str, Callable[..., Any]] = {
    "sgd": nn.optim.SGD, "adagrad": nn.optim.Adagrad, "rmsprop": nn.optim.RMSprop,
    "adam": nn.optim.Adam, "adamw": nn.optim.AdamW}
DEFAULT_LR = {"sgd": 0.1, "adagrad": 0.05, "rmsprop": 1e-3, "adam": 3e-3, "adamw": 3e-3}

# Losses that fit class labels: one output per class (labels, or one-hot rows for the
# regression losses), or for two classes one score per sample, a logit or a margin, which
# nn.scores_to_classes (and so the accuracy and the decision boundary) cuts at 0.
MULTICLASS_LOSSES = ("cross_entropy", "mse", "l1", "huber")
BINARY_LOSSES = ("hinge", "binary_cross_entropy_with_logits")
LOSS_CHOICES = MULTICLASS_LOSSES + BINARY_LOSSES

NEURON_INPUTS = 3          # pixels of one digit fed to the drawn neuron: small enough to read
MLP_STEP_BATCH = 8         # samples in the drawn MLP step
MLP_STEP_RANKDIR = "TB"    # its chain of wide records down the page: legible at natural size
GRID_SAMPLES = 12          # test digits in the predictions picture
VALIDATION_SPLIT = 0.1     # of the training part, for the validation curves
INTERRUPTED = 130          # the shell's exit status for a run stopped by Ctrl-C

Written = List[Tuple[Path, str]]


class JobError(Exception):
    """A problem the user can fix (missing data, an incompatible model file); one line."""


@dataclass
class Data:
    """A train/test split with what the pictures need to know about it."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    image_shape: Optional[Tuple[int, int]] = None

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


# ----- data, model, training ------------------------------------------------------------------
def load_data(name: str, data_dir: Optional[str], seed: int) -> Data:
    """The dataset split 80/20 (stratified), features scaled to about [0, 1]."""
    if name == "mnist":
        try:
            (Xtr, ytr), (Xte, yte) = nn.data.load_mnist(data_dir)
        except (FileNotFoundError, ValueError) as exc:
            raise JobError(str(exc)) from None
        if max(ytr.max(initial=0), yte.max(initial=0)) > 9:
            raise JobError(f"--data-dir {data_dir}: the labels must be digits 0..9, got up to "
                           f"{max(ytr.max(), yte.max())} (a damaged or foreign label file?)")
        return Data(name, Xtr.reshape(len(Xtr), -1) / 255.0, ytr.astype(np.int64),
                    Xte.reshape(len(Xte), -1) / 255.0, yte.astype(np.int64), 10, (28, 28))
    if name == "digits":
        X, y = nn.data.load_digits()
        X, shape = X / 16.0, (8, 8)
    else:
        make = getattr(nn.data, f"make_{name}")
        X, y = make(TOY_SAMPLES, noise=TOY_NOISE[name], seed=seed)
        shape = None
    Xtr, Xte, ytr, yte = nn.data.train_test_split(X, y, test_size=0.2, seed=seed, stratify=True)
    return Data(name, Xtr, ytr, Xte, yte, int(y.max()) + 1, shape)


def n_outputs(loss: str, n_classes: int) -> int:
    """Output units the loss needs: one per class, or one score for a two-class loss."""
    if loss in BINARY_LOSSES:
        if n_classes != 2:
            raise JobError(f"--loss {loss} is for two classes; this dataset has {n_classes}: "
                           f"use one of {', '.join(MULTICLASS_LOSSES)}")
        return 1
    return n_classes


def targets_for(loss: str, y: np.ndarray, n_classes: int, dtype: np.dtype) -> np.ndarray:
    """Labels in the form the loss expects: labels, one-hot rows, or a (N, 1) column."""
    if loss == "cross_entropy":
        return y
    if loss == "hinge":
        return (2.0 * y - 1.0).astype(dtype)[:, None]
    if loss in BINARY_LOSSES:
        return y.astype(dtype)[:, None]
    return np.eye(n_classes, dtype=dtype)[y]


def build_model(args: argparse.Namespace, data: Data) -> nn.MLP:
    """The MLP the options describe, loaded from `--load` when given."""
    sizes = list(args.hidden) + [n_outputs(args.loss, data.n_classes)]
    return loaded(nn.MLP(data.n_features, sizes, activation=args.activation, dtype=args.dtype,
                         seed=args.seed), args)


def loaded(model: nn.Module, args: argparse.Namespace) -> nn.Module:
    """`model` with the weights of the `--load` file when one is given; a file that does not
    fit stops the job with one line."""
    if args.load:
        try:
            model.load(args.load)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            raise JobError(f"--load {args.load}: {' '.join(str(exc).split())}") from None
    return model


class _Anneal(nn.Callback):
    """Step a learning-rate schedule at the end of every epoch."""

    writes_logs = False

    def __init__(self, schedule: nn.optim.LRScheduler) -> None:
        self.schedule = schedule

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> None:
        self.schedule.step()


def train(model: nn.Module, data: Data, args: argparse.Namespace,
          anneal: bool = False) -> Tuple[nn.History, bool]:
    """Fit the model; returns the history and whether Ctrl-C stopped training early. With
    `anneal` the learning rate follows a cosine from --lr down to 0 over the epochs.

    Ctrl-C is caught here rather than inside `nn.fit`, which lets KeyboardInterrupt through
    like every Python library (a script calling fit does not run on after Ctrl-C); the History
    given to fit keeps the epochs finished before it.
    """
    history = nn.History()
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    callbacks: List[nn.Callback] = [history]
    if anneal and args.epochs:
        callbacks.append(_Anneal(nn.optim.CosineAnnealingLR(optimizer, args.epochs)))
    targets = targets_for(args.loss, data.y_train, data.n_classes, model.dtype)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):   # fit stops at NaN
            nn.fit(model, data.X_train, targets, args.loss, optimizer, epochs=args.epochs,
                   batch_size=args.batch_size, validation_split=VALIDATION_SPLIT,
                   seed=args.seed, callbacks=callbacks, verbose=not args.quiet,
                   compile=args.compile)
    except KeyboardInterrupt:
        print(f"\ninterrupted: training stopped after {len(history.epoch)} complete "
              "epoch(s)", flush=True)
        return history, True
    except FloatingPointError as exc:
        raise JobError(str(exc)) from None
    return history, False


# ----- pictures -------------------------------------------------------------------------------
def neuron_on_sample(data: Data, seed: int) -> Tuple[Value, nn.Neuron]:
    """micrograd's tanh neuron on the first test sample, after its backward pass.

    A 2-D sample is fed whole; for images the neuron sees a few of the sample's inked pixels
    (spread over the image), so the drawing stays small enough to read.
    """
    x = data.X_test[0]
    inked = np.flatnonzero(x)
    if len(x) <= NEURON_INPUTS or len(inked) < NEURON_INPUTS:
        picked = np.arange(min(len(x), NEURON_INPUTS))
    else:
        picked = inked[np.linspace(0, len(inked) - 1, NEURON_INPUTS).round().astype(int)]
    label = "pixel" if data.image_shape else "x"
    inputs = [Value(float(x[i]), requires_grad=False, name=f"{label} {i}") for i in picked]
    neuron = nn.Neuron(len(inputs), activation="tanh", seed=seed)
    out = neuron(inputs)
    out.name = "out"
    out.backward()
    return out, neuron


def mlp_step(model: nn.MLP, data: Data, args: argparse.Namespace) -> Value:
    """One training step's graph: the model on a few test samples, the loss, its backward."""
    X = data.X_test[:MLP_STEP_BATCH]
    y = targets_for(args.loss, data.y_test[:MLP_STEP_BATCH], data.n_classes, model.dtype)
    model.zero_grad()
    loss = nn.losses.get_loss(args.loss)(model(X), y)
    loss.name = "loss"
    loss.backward()
    return loss


def draw_graphs(model: nn.MLP, data: Data, args: argparse.Namespace, out: Path) -> Written:
    """The Graphviz pictures: neuron graph, MLP step with gradient health, backprop frames."""
    written: Written = []
    neuron_out, neuron = neuron_on_sample(data, args.seed)
    path = visualize.render(neuron_out, out / "neuron.png", model=neuron)
    written.append((path, "backprop graph of one tanh neuron on one test sample"))
    path = visualize.explore(neuron_out, out / "backprop_neuron.html", model=neuron).path
    written.append((path, "the neuron's forward and backward pass step by step (a browser)"))
    loss = mlp_step(model, data, args)
    path = visualize.render(loss, out / "mlp_step.svg", model=model, rankdir=MLP_STEP_RANKDIR)
    written.append((path, f"one MLP step on {MLP_STEP_BATCH} test samples, coloured by "
                          "gradient health (hover for details)"))
    path = visualize.explore(loss, out / "backprop_mlp.html", model=model,
                             rankdir=MLP_STEP_RANKDIR).path
    model.zero_grad()
    written.append((path, "the same MLP step, step by step (a browser)"))
    frames = visualize.backprop_frames(neuron_out, out / "backprop", format="png", model=neuron)
    written.append((frames[0].parent / "step_*.png",
                    f"the neuron's backward pass in {len(frames)} frames"))
    gif = visualize.backprop_frames(neuron_out, out / "backprop", format="gif", model=neuron)
    written.append((gif[0], "the same frames as an animation"))
    return written


def plot_curves(history: nn.History, out: Path) -> Written:
    """The training curves, when at least one epoch finished."""
    if not history.epoch:
        return []
    return [(visualize.plot_history(history, out / "history.png"),
             "training curves (loss and accuracy; validation dashed)")]


def plot_results(model: nn.MLP, data: Data, classes: np.ndarray, out: Path) -> Written:
    """Test images with their predictions, or the decision boundary of 2-D data."""
    if data.image_shape:
        images = data.X_test.reshape(-1, *data.image_shape)
        path = visualize.plot_predictions(images, classes, data.y_test,
                                          out / "predictions.png", count=GRID_SAMPLES)
        return [(path, "test images with predicted and true labels (mistakes in red)")]
    path = visualize.plot_decision_boundary(model, data.X_test, data.y_test,
                                            out / "decision_boundary.png")
    return [(path, "decision boundary over the test points")]


def attempt(what: str, make: Callable[[], Written]) -> Written:
    """Run a picture-making step; a missing optional tool skips it with a one-line note."""
    try:
        return make()
    except (visualize.GraphvizNotFoundError, ImportError) as exc:
        print(f"skipped {what}: {' '.join(str(exc).split())}", file=sys.stderr)
        return []


def write_history(history: nn.History, interrupted: bool, path: Path) -> Path:
    """Save the per-epoch numbers as JSON (epochs counted from 1), atomically."""
    record = {"epochs": [e + 1 for e in history.epoch], "interrupted": interrupted,
              **history.history}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (json.dumps(record, indent=1) + "\n").encode("utf-8")
    write_atomically(path, lambda f: f.write(text), "history")
    return path


# ----- the job --------------------------------------------------------------------------------
def plural(count: int, noun: str) -> str:
    """'1 epoch', '2 epochs'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe(args: argparse.Namespace, data: Data, model: nn.MLP) -> str:
    """One line saying what will be trained, and on which part of the data."""
    sizes = "-".join(str(s) for s in [data.n_features] + [layer.nout for layer in model.layers])
    held_out = int(round(len(data.X_train) * VALIDATION_SPLIT))     # fit's validation_split
    return (f"MLP {sizes} ({args.activation}) on {data.name}: {len(data.X_train)} train "
            f"samples ({held_out} of them held out for validation) / {len(data.X_test)} test; "
            f"{args.loss}, {args.optimizer} lr={args.lr:g}, {plural(args.epochs, 'epoch')} of "
            f"batch {args.batch_size}, {args.dtype}")


def prepare_paths(args: argparse.Namespace) -> Path:
    """The output folder, created, and the --save file's folder, checked: an unusable path
    stops the job before the data is read or a step is trained."""
    out = Path(args.out).resolve()
    if out.exists() and not out.is_dir():
        raise JobError(f"--out {args.out}: it is a file, not a folder; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise JobError(f"--out {args.out}: cannot create the folder ({exc.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise JobError(f"--out {args.out}: the folder is not writable; give another")
    if args.save:
        try:
            nn.serialization.check_writable(args.save, "--save")
        except OSError as exc:
            raise JobError(str(exc)) from None
    return out


def report(written: Written, out: Path) -> None:
    """List the files written, relative to the output folder, and print the folder."""
    for path, what in written:
        print(f"  {str(Path(path).relative_to(out)):<22} {what}")
    print(f"pictures and history are in {out}")


def run_demo(args: argparse.Namespace, demo: Callable[[argparse.Namespace, Path], Written]
             ) -> int:
    """A demo that trains, reports and draws in one function (the sequence models): its output
    folder prepared first, then its time and the files it wrote."""
    start = time.perf_counter()
    out = prepare_paths(args)
    written = demo(args, out)
    print(f"time taken: {time.perf_counter() - start:.1f}s")
    report(written, out)
    return 0


def write_onnx(model: nn.Module, data: Data, args: argparse.Namespace) -> None:
    """--export-onnx: the trained model as ONNX, recorded on two test samples (the batch size
    stays symbolic)."""
    try:
        nn.export_onnx(model, np.asarray(data.X_test[:2], dtype=args.dtype), args.export_onnx)
    except OSError as exc:
        raise JobError(str(exc)) from None
    print(f"model exported to {args.export_onnx} (ONNX)")


@dataclass(frozen=True)
class Recipe:
    """What makes one job differ from another; `run` does the rest (training, evaluation,
    history, curves, predictions, report) the same way for each."""

    load: Callable[[str, Optional[str], int], Data]
    build: Callable[[argparse.Namespace, Data], nn.Module]
    describe: Callable[[argparse.Namespace, Data, Any], str]
    graphs: Callable[[Any, Data, argparse.Namespace, Path], Written]      # Graphviz
    plots: Callable[[Any, Data, Path], Written] = field(default=lambda model, data, out: [])
    anneal: bool = False


MLP = Recipe(load_data, build_model, describe, draw_graphs)


def run(args: argparse.Namespace, recipe: Recipe = MLP) -> int:
    """Train, evaluate and draw as the options say; returns the exit status."""
    start = time.perf_counter()
    out = prepare_paths(args)
    data = recipe.load(args.dataset, args.data_dir, args.seed)
    model = recipe.build(args, data)
    print(recipe.describe(args, data, model), flush=True)
    history, interrupted = train(model, data, args, recipe.anneal)
    train_seconds = time.perf_counter() - start
    written: Written = [(write_history(history, interrupted, out / "history.json"),
                         "the numbers per epoch")]
    if args.save:
        try:
            model.save(args.save)
        except OSError as exc:
            raise JobError(str(exc)) from None
        print(f"model saved to {args.save}")
    if args.export_onnx:
        write_onnx(model, data, args)
    if interrupted:
        written += attempt("the training curves", lambda: plot_curves(history, out))
        report(written, out)
        return INTERRUPTED
    classes = nn.scores_to_classes(nn.predict(model, data.X_test))
    accuracy = float(np.mean(classes == data.y_test))
    print(f"test accuracy: {100 * accuracy:.2f}% on {len(data.y_test)} held-out samples")
    if not args.no_graphs:
        written += attempt("the graph drawings", lambda: recipe.graphs(model, data, args, out))
    written += attempt("the training curves", lambda: plot_curves(history, out))
    written += attempt("the pictures of the model", lambda: recipe.plots(model, data, out))
    written += attempt("the results plot", lambda: plot_results(model, data, classes, out))
    total = time.perf_counter() - start
    print(f"time taken: {total:.1f}s (loading and training {train_seconds:.1f}s, "
          f"pictures {total - train_seconds:.1f}s)")
    report(written, out)
    return 0
