"""The command line: train an MLP, report held-out accuracy, and draw backpropagation.

`python -m nn` (or the `seegrad` command) with no arguments is the demo: an MLP learns the real
8x8 digits, the held-out accuracy and the time taken are printed, and the pictures go to
`out/`. Options choose another dataset, model, loss, optimiser or output folder.

>>> main(["--dataset", "xor", "--epochs", "5", "--no-graphs", "--quiet"])   # doctest: +SKIP
0
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, NoReturn, Optional, Sequence, Tuple

import numpy as np

import nn
from autograd import Value
from nn.functional import ACTIVATIONS
from nn.training import Callback, History

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
# regression losses), or one score per sample for the two-class losses.
MULTICLASS_LOSSES = ("cross_entropy", "mse", "l1", "huber")
BINARY_LOSSES = ("hinge", "binary_cross_entropy_with_logits")
LOSS_CHOICES = MULTICLASS_LOSSES + BINARY_LOSSES

NEURON_INPUTS = 3          # pixels of one digit fed to the drawn neuron: small enough to read
MLP_STEP_BATCH = 8         # samples in the drawn MLP step
GRID_SAMPLES = 12          # test digits in the predictions picture
VALIDATION_SPLIT = 0.1     # of the training part, for the validation curves
INTERRUPTED = 130          # the shell's exit status for a run stopped by Ctrl-C


class CLIError(Exception):
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


# ----- arguments ------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block), so a bad value reads at a glance."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _positive(kind: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    """An argparse type: `kind(text)` that must be > 0."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


def _non_negative_int(text: str) -> int:
    """An argparse type for the number of epochs (0 evaluates a loaded model)."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def build_parser(prog: str = "seegrad") -> argparse.ArgumentParser:
    """The argument parser; every option is documented in `--help`."""
    p = _Parser(prog=prog, description=(
        "Train a multi-layer perceptron with the seegrad autograd engine, print its\n"
        "held-out test accuracy, and draw backpropagation. Without options: the demo\n"
        "on the real 8x8 handwritten digits, with pictures in out/."), epilog=(
        f"examples:\n  {prog}\n  {prog} --dataset moons --hidden 16 16 --activation tanh\n"
        f"  {prog} --dataset mnist --data-dir ~/mnist --epochs 3 --save mnist.npz\n"
        f"  {prog} --load mnist.npz --dataset mnist --data-dir ~/mnist --epochs 0"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=DATASETS, default="digits",
                   help="what to learn: digits (real 8x8 handwritten digits, bundled), the 2-D "
                        "toy problems moons, circles, spirals, xor, or mnist (needs --data-dir)"
                        " (default: digits)")
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder with the four MNIST IDX files (train-images-idx3-ubyte, "
                        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                        "t10k-labels-idx1-ubyte; .gz or not); only for --dataset mnist")
    p.add_argument("--hidden", nargs="+", type=_positive(int, "a positive layer size"),
                   metavar="N", help="hidden layer sizes, e.g. --hidden 64 32 (default: 64 32 "
                                     "for digits, 128 64 for mnist, 64 64 for spirals, else 16 16)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", metavar="NAME",
                   help="activation of the hidden layers: " + ", ".join(sorted(ACTIVATIONS))
                        + " (default: relu)")
    p.add_argument("--loss", choices=LOSS_CHOICES, default="cross_entropy", metavar="NAME",
                   help="training loss: cross_entropy on class scores, mse/l1/huber on one-hot "
                        "rows, or for two classes hinge (micrograd's) or "
                        "binary_cross_entropy_with_logits (default: cross_entropy)")
    p.add_argument("--optimizer", "--optimiser", dest="optimizer", choices=sorted(OPTIMIZERS),
                   default="adam", metavar="NAME",
                   help="optimiser: " + ", ".join(sorted(OPTIMIZERS)) + " (default: adam)")
    p.add_argument("--lr", type=_positive(float, "a positive learning rate"),
                   help="learning rate (default: " + ", ".join(
                       f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    p.add_argument("--epochs", type=_non_negative_int,
                   help="passes over the training data; 0 only evaluates, e.g. with --load "
                        "(default: 20 for digits, 5 for mnist, 300 for spirals, else 100)")
    p.add_argument("--batch-size", type=_positive(int, "a positive batch size"), default=32,
                   help="samples per gradient step (default: 32)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the data split, initial weights and shuffling (default: 0)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float64",
                   help="floating-point type of the model and data (default: float64)")
    p.add_argument("--out", default="out", metavar="DIR",
                   help="folder for the pictures and history.json (default: out)")
    p.add_argument("--no-graphs", action="store_true",
                   help="skip the Graphviz drawings (neuron graph, MLP step, backprop frames); "
                        "the matplotlib plots are still written")
    p.add_argument("--save", metavar="MODEL.npz", help="save the trained model to this file")
    p.add_argument("--load", metavar="MODEL.npz",
                   help="start from a model saved by --save (same dataset and --hidden)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no per-epoch progress lines")
    return p


def parse_args(argv: Optional[Sequence[str]] = None, prog: str = "seegrad") -> argparse.Namespace:
    """Parse and check the options, filling the per-dataset defaults."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.dataset == "mnist" and not args.data_dir:
        parser.error("--dataset mnist needs --data-dir DIR, a folder holding the four MNIST "
                     "IDX files (train-images-idx3-ubyte[.gz] and the other three)")
    if args.data_dir and args.dataset != "mnist":
        parser.error(f"--data-dir is only for --dataset mnist (got --dataset {args.dataset})")
    args.hidden = args.hidden or DEFAULT_HIDDEN.get(args.dataset, TOY_HIDDEN)
    args.epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS.get(
        args.dataset, TOY_EPOCHS)
    args.lr = args.lr or DEFAULT_LR[args.optimizer]
    return args


# ----- data, model, training ------------------------------------------------------------------
def load_data(name: str, data_dir: Optional[str], seed: int) -> Data:
    """The dataset split 80/20 (stratified), features scaled to about [0, 1]."""
    if name == "mnist":
        try:
            (Xtr, ytr), (Xte, yte) = nn.data.load_mnist(data_dir)
        except FileNotFoundError as exc:
            raise CLIError(str(exc)) from None
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
            raise CLIError(f"--loss {loss} is for two classes; this dataset has {n_classes}: "
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


def predicted_classes(scores: np.ndarray) -> np.ndarray:
    """Class labels from model outputs: argmax of class scores, or the sign of one score."""
    scores = np.asarray(scores)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1)
    return (scores.reshape(-1) > 0).astype(np.int64)


def build_model(args: argparse.Namespace, data: Data) -> nn.MLP:
    """The MLP the options describe, loaded from `--load` when given."""
    sizes = list(args.hidden) + [n_outputs(args.loss, data.n_classes)]
    model = nn.MLP(data.n_features, sizes, activation=args.activation, dtype=args.dtype,
                   seed=args.seed)
    if args.load:
        try:
            model.load(args.load)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            raise CLIError(f"--load {args.load}: {' '.join(str(exc).split())}") from None
    return model


class Recorder(Callback):
    """Keeps the history epoch by epoch, so it survives a Ctrl-C in the middle of `fit`."""

    def __init__(self) -> None:
        self.history = History()

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> Optional[bool]:
        self.history.append(epoch, dict(logs))
        return None


def train(model: nn.MLP, data: Data, args: argparse.Namespace) -> Tuple[History, bool]:
    """Fit the model; returns the history and whether Ctrl-C stopped training early.

    Ctrl-C is caught here rather than inside `nn.fit`, which lets KeyboardInterrupt through
    like every Python library, so a script calling fit() does not run on after Ctrl-C.
    """
    recorder = Recorder()
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    targets = targets_for(args.loss, data.y_train, data.n_classes, model.dtype)
    try:
        nn.fit(model, data.X_train, targets, args.loss, optimizer, epochs=args.epochs,
               batch_size=args.batch_size, validation_split=VALIDATION_SPLIT, seed=args.seed,
               callbacks=[recorder], verbose=not args.quiet)
    except KeyboardInterrupt:
        print(f"\ninterrupted: training stopped after {len(recorder.history.epoch)} complete "
              "epoch(s)", flush=True)
        return recorder.history, True
    return recorder.history, False


# ----- pictures -------------------------------------------------------------------------------
Written = List[Tuple[Path, str]]


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
    import visualize

    written: Written = []
    neuron_out, neuron = neuron_on_sample(data, args.seed)
    path = visualize.render(neuron_out, out / "neuron.png", model=neuron)
    written.append((path, "backprop graph of one tanh neuron on one test sample"))
    loss = mlp_step(model, data, args)
    path = visualize.render(loss, out / "mlp_step.svg", model=model)
    model.zero_grad()
    written.append((path, f"one MLP step on {MLP_STEP_BATCH} test samples, coloured by "
                          "gradient health (hover for details)"))
    frames = visualize.backprop_frames(neuron_out, out / "backprop", format="png", model=neuron)
    written.append((frames[0].parent / "step_*.png",
                    f"the neuron's backward pass in {len(frames)} frames"))
    gif = visualize.backprop_frames(neuron_out, out / "backprop", format="gif", model=neuron)
    written.append((gif[0], "the same frames as an animation"))
    return written


def plot_predictions(data: Data, classes: np.ndarray, path: Path,
                     count: int = GRID_SAMPLES) -> Path:
    """A grid of test images titled with predicted and true labels (wrong ones in red)."""
    from matplotlib.figure import Figure

    count = min(count, len(data.X_test))
    cols = min(6, count)
    rows = -(-count // cols)
    fig = Figure(figsize=(1.6 * cols, 1.9 * rows))
    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(data.X_test[i].reshape(data.image_shape), cmap="gray_r")
        pred, true = int(classes[i]), int(data.y_test[i])
        ax.set_title(f"pred {pred} / true {true}", fontsize=9,
                     color="black" if pred == true else "red")
        ax.axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def plot_curves(history: History, out: Path) -> Written:
    """The training curves, when at least one epoch finished."""
    import visualize

    if not history.epoch:
        return []
    return [(visualize.plot_history(history, out / "history.png"),
             "training curves (loss and accuracy; validation dashed)")]


def plot_results(model: nn.MLP, data: Data, classes: np.ndarray, out: Path) -> Written:
    """Test images with their predictions, or the decision boundary of 2-D data."""
    import visualize

    if data.image_shape:
        return [(plot_predictions(data, classes, out / "predictions.png"),
                 "test images with predicted and true labels (mistakes in red)")]
    path = visualize.plot_decision_boundary(model, data.X_test, data.y_test,
                                            out / "decision_boundary.png", threshold=0.0)
    return [(path, "decision boundary over the test points")]


def _attempt(what: str, make: Callable[[], Written]) -> Written:
    """Run a picture-making step; a missing optional tool skips it with a one-line note."""
    from visualize import GraphvizNotFoundError

    try:
        return make()
    except (GraphvizNotFoundError, ImportError) as exc:
        print(f"skipped {what}: {' '.join(str(exc).split())}", file=sys.stderr)
        return []


def write_history(history: History, interrupted: bool, path: Path) -> Path:
    """Save the per-epoch numbers as JSON (epochs counted from 1)."""
    record = {"epochs": [e + 1 for e in history.epoch], "interrupted": interrupted,
              **history.history}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return path


# ----- the job --------------------------------------------------------------------------------
def describe(args: argparse.Namespace, data: Data, model: nn.MLP) -> str:
    """One line saying what will be trained."""
    sizes = "-".join(str(s) for s in [data.n_features] + [layer.nout for layer in model.layers])
    return (f"MLP {sizes} ({args.activation}) on {data.name}: {len(data.X_train)} train / "
            f"{len(data.X_test)} test samples; {args.loss}, {args.optimizer} lr={args.lr:g}, "
            f"{args.epochs} epochs of batch {args.batch_size}, {args.dtype}")


def report(written: Written, out: Path) -> None:
    """List the files written, relative to the output folder, and print the folder."""
    for path, what in written:
        print(f"  {str(Path(path).relative_to(out)):<22} {what}")
    print(f"pictures and history are in {out}")


def run(args: argparse.Namespace) -> int:
    """Train, evaluate and draw as the options say; returns the exit status."""
    start = time.perf_counter()
    out = Path(args.out).resolve()
    data = load_data(args.dataset, args.data_dir, args.seed)
    model = build_model(args, data)
    print(describe(args, data, model), flush=True)
    history, interrupted = train(model, data, args)
    train_seconds = time.perf_counter() - start
    written: Written = [(write_history(history, interrupted, out / "history.json"),
                         "the numbers per epoch")]
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        model.save(args.save)
        print(f"model saved to {args.save}")
    if interrupted:
        written += _attempt("the training curves", lambda: plot_curves(history, out))
        report(written, out)
        return INTERRUPTED
    classes = predicted_classes(nn.predict(model, data.X_test))
    accuracy = float(np.mean(classes == data.y_test))
    print(f"test accuracy: {100 * accuracy:.2f}% on {len(data.y_test)} held-out samples")
    if not args.no_graphs:
        written += _attempt("the graph drawings", lambda: draw_graphs(model, data, args, out))
    written += _attempt("the training curves", lambda: plot_curves(history, out))
    written += _attempt("the results plot", lambda: plot_results(model, data, classes, out))
    total = time.perf_counter() - start
    print(f"time taken: {total:.1f}s (loading and training {train_seconds:.1f}s, "
          f"pictures {total - train_seconds:.1f}s)")
    report(written, out)
    return 0


def main(argv: Optional[Sequence[str]] = None, prog: str = "seegrad") -> int:
    """Entry point of `seegrad` and `python -m nn`; returns the exit status."""
    args = parse_args(argv, prog)
    try:
        return run(args)
    except CLIError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
