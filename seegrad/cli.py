"""The command line: options, their checks and defaults, and the entry point of the job.

>>> main(["--dataset", "xor", "--epochs", "5", "--no-graphs", "--quiet"])   # doctest: +SKIP
0
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Any, Callable, NoReturn, Optional, Sequence

from nn import checks
from nn.functional import ACTIVATIONS
from nn.serialization import check_writable
from seegrad import charlm, cnn, gan, job, reverse, vanishing
from seegrad.job import (DATASETS, DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_LR, LOSS_CHOICES,
                         OPTIMIZERS, TOY_EPOCHS, TOY_HIDDEN, JobError)

MODELS = {"mlp": job.run, "cnn": cnn.run,
          "lstm": lambda args: job.run_demo(args, charlm.run_lstm),
          "rnn-gru-lstm": lambda args: job.run_demo(args, vanishing.run_vanishing),
          "transformer": lambda args: job.run_demo(args, reverse.run_transformer),
          "gan": gan.run}
IMAGE_DATASETS = ("digits", "mnist")
SEQUENCE_MODELS = ("lstm", "rnn-gru-lstm", "transformer")
# the sequence demos' own defaults: sizes, lengths, budgets and learning rates they were tuned with
SEQUENCE_DEFAULTS = {
    "lstm": dict(hidden=[128], epochs=3, seq_len=64, steps=None, lr=3e-3),
    "rnn-gru-lstm": dict(hidden=[32], epochs=None, seq_len=50, steps=1000, lr=3e-3),
    "transformer": dict(hidden=[64], epochs=None, seq_len=10, steps=400, lr=3e-3),
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage block), so a bad value reads at a glance."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(parse: Callable[[str], Any], check: Callable[[Any, str, str], Any],
            what: str) -> Callable[[str], Any]:
    """An argparse type: the text read by `parse` (int or float), then held to the library's
    rule `check` (from nn.checks, the one the constructors and `fit` use); a failure reads
    'expected <what>, got <text>'."""

    def convert(text: str) -> Any:
        try:
            return check(parse(text), what, "seegrad")
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None

    return convert


def _finite_positive(value: float, name: str, caller: str) -> float:
    """The learning rate's rule: finite and > 0."""
    return checks.finite_float(value, name, caller, 0.0, low_open=True)


def build_parser(prog: str = "seegrad") -> argparse.ArgumentParser:
    """The argument parser; every option is documented in `--help`."""
    p = _Parser(prog=prog, description=(
        "Train a multi-layer perceptron (or a convolutional network) with the seegrad\n"
        "autograd engine, print its held-out test accuracy, and draw backpropagation.\n"
        "Without options: the demo on the real 8x8 handwritten digits, with pictures in out/."),
        epilog=(
        f"examples:\n  {prog}\n  {prog} --model cnn\n"
        f"  {prog} --dataset moons --hidden 16 16 --activation tanh\n"
        f"  {prog} --dataset mnist --data-dir ~/mnist --epochs 3 --save mnist.npz\n"
        f"  {prog} --load mnist.npz --dataset mnist --data-dir ~/mnist --epochs 0"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=sorted(MODELS), default="mlp",
                   help="what to train: mlp (a multi-layer perceptron, sized by --hidden) or cnn "
                        "(two blocks of 3x3 convolution, batchnorm and 2x2 max pooling, then a "
                        "linear layer; images only: digits or mnist; also draws its filters and "
                        "feature maps); lstm (a character-level language model of the bundled "
                        "Shakespeare, with samples); rnn-gru-lstm (the vanishing gradient: the "
                        "three cells on a task needing the first of --seq-len steps, their "
                        "learning curves and gradient through time); transformer (an encoder "
                        "that learns to reverse --seq-len digits, with its attention drawn); "
                        "gan (a generative adversarial network on --dataset ring or digits, "
                        "with its samples, losses and decision surface drawn) (default: mlp)")
    p.add_argument("--dataset", choices=DATASETS + gan.DATASETS[:1],
                   help="what to learn: digits (real 8x8 handwritten digits, bundled), the 2-D "
                        "toy problems moons, circles, spirals, xor, or mnist (needs --data-dir)"
                        " (default: digits); for --model gan, ring (8 Gaussians on a circle, the "
                        "default) or digits")
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder with the four MNIST IDX files (train-images-idx3-ubyte, "
                        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                        "t10k-labels-idx1-ubyte; .gz or not); only for --dataset mnist")
    size = "(a whole number >= 1)"
    p.add_argument("--hidden", nargs="+", metavar="N",
                   type=_number(int, checks.positive_int, f"a positive layer size {size}"),
                   help="hidden layer sizes of the mlp, e.g. --hidden 64 32 (default: 64 32 for "
                        "digits, 128 64 for mnist, 64 64 for spirals, else 16 16)")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", metavar="NAME",
                   help="activation of the hidden layers (of each conv block for the cnn): "
                        + ", ".join(sorted(ACTIVATIONS))
                        + " (default: relu)")
    p.add_argument("--loss", choices=LOSS_CHOICES, default="cross_entropy", metavar="NAME",
                   help="training loss: cross_entropy on class scores, mse/l1/huber on one-hot "
                        "rows, or for two classes hinge (micrograd's) or "
                        "binary_cross_entropy_with_logits (default: cross_entropy)")
    p.add_argument("--optimizer", "--optimiser", dest="optimizer", choices=sorted(OPTIMIZERS),
                   default="adam", metavar="NAME",
                   help="optimiser: " + ", ".join(sorted(OPTIMIZERS)) + " (default: adam)")
    p.add_argument("--lr", type=_number(float, _finite_positive,
                                        "a positive learning rate (a finite number > 0)"),
                   help="learning rate (default: " + ", ".join(
                       f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    p.add_argument("--epochs", type=_number(int, checks.non_negative_int, "a whole number >= 0"),
                   help="passes over the training data; 0 only evaluates, e.g. with --load "
                        "(default: 20 for digits, 5 for mnist, 300 for spirals, else 100)")
    p.add_argument("--steps", type=_number(int, checks.non_negative_int, "a whole number >= 0"),
                   help="training steps of rnn-gru-lstm (each cell; default 1000), transformer "
                        "(400) and gan (" + ", ".join(f"{name} {recipe.steps}" for name, recipe
                                                     in gan.RECIPES.items()) + ")")
    p.add_argument("--seq-len", type=_number(int, checks.positive_int, f"a length {size}"),
                   help="sequence length: characters per truncated-BPTT chunk for lstm (64), "
                        "steps to remember across for rnn-gru-lstm (50), digits to reverse for "
                        "transformer (10)")
    p.add_argument("--batch-size", default=32,
                   type=_number(int, checks.positive_int, f"a positive batch size {size}"),
                   help="samples per gradient step (default: 32)")
    p.add_argument("--seed", type=_number(int, checks.non_negative_int, "a whole number >= 0"),
                   default=0,
                   help="seed of the data split, initial weights and shuffling (default: 0)")
    p.add_argument("--dtype", choices=("float32", "float64"),
                   help="floating-point type of the model and data (default: float64 for the "
                        "mlp, float32 for the cnn)")
    p.add_argument("--out", default="out", metavar="DIR",
                   help="folder for the pictures and history.json (default: out)")
    p.add_argument("--no-graphs", action="store_true",
                   help="skip the Graphviz drawings (neuron graph, MLP step, backprop frames); "
                        "the matplotlib plots are still written")
    p.add_argument("--save", metavar="MODEL.npz",
                   help="save the trained model to this file (in a folder that exists)")
    p.add_argument("--load", metavar="MODEL.npz",
                   help="start from a model saved by --save (same dataset, --hidden, "
                        "--activation and --dtype; another architecture is refused)")
    p.add_argument("--compile", action="store_true",
                   help="run each training step (forward, loss, backward) as one compiled "
                        "program (autograd.compile): the same numbers, less time per step "
                        "(mlp and cnn)")
    p.add_argument("--export-onnx", metavar="MODEL.onnx",
                   help="export the trained mlp or cnn to this ONNX file, with a symbolic batch "
                        "size (needs the onnx extra: pip install seegrad[onnx])")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no per-epoch progress lines")
    return p


def parse_args(argv: Optional[Sequence[str]] = None, prog: str = "seegrad") -> argparse.Namespace:
    """Parse and check the options, filling the per-dataset defaults."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.compile and args.model not in ("mlp", "cnn"):
        parser.error(f"--compile is for --model mlp and cnn (their steps go through nn.fit); "
                     f"--model {args.model} trains with its own loop")
    if args.export_onnx:
        _check_export(parser, args)
    if args.model == "gan":
        return gan.check_args(parser, args)
    if args.model in SEQUENCE_MODELS:
        return _sequence_defaults(parser, args)
    if args.dataset == "ring":
        parser.error("--dataset ring is the GAN's data (add --model gan)")
    for option, value in (("--steps", args.steps), ("--seq-len", args.seq_len)):
        if value is not None:
            parser.error(f"{option} is for --model gan and the sequence models "
                         f"({', '.join(SEQUENCE_MODELS)}); --model {args.model} trains for "
                         "--epochs")
    args.dataset = args.dataset or "digits"
    if args.dataset == "mnist" and not args.data_dir:
        parser.error("--dataset mnist needs --data-dir DIR, a folder holding the four MNIST "
                     "IDX files (train-images-idx3-ubyte[.gz] and the other three)")
    if args.data_dir and args.dataset != "mnist":
        parser.error(f"--data-dir is only for --dataset mnist (got --dataset {args.dataset})")
    if args.model == "cnn" and args.dataset not in IMAGE_DATASETS:
        parser.error(f"--model cnn needs images: --dataset digits or mnist (got --dataset "
                     f"{args.dataset}, points in the plane)")
    if args.model == "cnn" and args.hidden:
        parser.error("--hidden sizes the mlp's layers; the cnn's are fixed (leave --hidden out "
                     "or use --model mlp)")
    args.dtype = args.dtype or ("float32" if args.model == "cnn" else "float64")
    args.hidden = args.hidden or DEFAULT_HIDDEN.get(args.dataset, TOY_HIDDEN)
    args.epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS.get(
        args.dataset, TOY_EPOCHS)
    args.lr = args.lr or DEFAULT_LR[args.optimizer]
    return args


def _check_export(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """--export-onnx's model, file name, folder and dependency, checked before any data is
    read."""
    path = args.export_onnx
    if args.model not in ("mlp", "cnn"):
        parser.error(f"--export-onnx exports the mlp or the cnn; --model {args.model} has no "
                     "export (use nn.export_onnx on its model in Python)")
    if not path.endswith(".onnx"):
        parser.error(f"--export-onnx {path}: give a file name ending in .onnx")
    if importlib.util.find_spec("onnx") is None:
        parser.error("--export-onnx needs the onnx package; install it with "
                     "`pip install seegrad[onnx]`")
    try:
        check_writable(path, "--export-onnx")
    except OSError as exc:
        parser.error(str(exc))


def _sequence_defaults(parser: argparse.ArgumentParser, args: argparse.Namespace
                       ) -> argparse.Namespace:
    """Fill a sequence demo's defaults; refuse the options it has no use for."""
    defaults = SEQUENCE_DEFAULTS[args.model]
    unused = [name for name, given in (("--dataset", args.dataset is not None),
                                       ("--data-dir", args.data_dir), ("--save", args.save),
                                       ("--load", args.load),
                                       ("--epochs", args.epochs is not None
                                        and defaults["epochs"] is None),
                                       ("--steps", args.steps is not None
                                        and defaults["steps"] is None)) if given]
    if unused:
        parser.error(f"--model {args.model} does not use {', '.join(unused)} (its data and "
                     "budget are its own; see --help)")
    if args.hidden and len(args.hidden) != 1:
        parser.error(f"--model {args.model} takes one --hidden size, got {len(args.hidden)}")
    if args.steps == 0:
        parser.error(f"--model {args.model} needs at least one step (got --steps 0)")
    args.dtype = args.dtype or "float32"
    args.hidden = args.hidden[:1] if args.hidden else defaults["hidden"]
    args.epochs = args.epochs if args.epochs is not None else defaults["epochs"]
    args.steps = args.steps or defaults["steps"]
    args.seq_len = args.seq_len or defaults["seq_len"]
    args.lr = args.lr or defaults["lr"]
    return args


def main(argv: Optional[Sequence[str]] = None, prog: str = "seegrad") -> int:
    """Entry point of `seegrad` and `python -m seegrad`; returns the exit status."""
    args = parse_args(argv, prog)
    try:
        return MODELS[args.model](args)
    except JobError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
