"""The command line: options, their checks and defaults, and the entry point of the job.

>>> main(["--dataset", "xor", "--epochs", "5", "--no-graphs", "--quiet"])   # doctest: +SKIP
0
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, NoReturn, Optional, Sequence

from nn import checks
from nn.functional import ACTIVATIONS
from seegrad import gan
from seegrad.job import (DATASETS, DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_LR, LOSS_CHOICES,
                         OPTIMIZERS, TOY_EPOCHS, TOY_HIDDEN, JobError, run)


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
        "Train a multi-layer perceptron with the seegrad autograd engine, print its\n"
        "held-out test accuracy, and draw backpropagation. Without options: the demo\n"
        "on the real 8x8 handwritten digits, with pictures in out/."), epilog=(
        f"examples:\n  {prog}\n  {prog} --dataset moons --hidden 16 16 --activation tanh\n"
        f"  {prog} --dataset mnist --data-dir ~/mnist --epochs 3 --save mnist.npz\n"
        f"  {prog} --load mnist.npz --dataset mnist --data-dir ~/mnist --epochs 0"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=("mlp", "gan"), default="mlp",
                   help="mlp: a classifier (default); gan: a generative adversarial network on "
                        "--dataset ring (default) or digits")
    p.add_argument("--dataset", choices=DATASETS + ("ring",),
                   help="what to learn: digits (real 8x8 handwritten digits, bundled), the 2-D "
                        "toy problems moons, circles, spirals, xor, or mnist (needs --data-dir)"
                        " (default: digits); for --model gan, ring (default) or digits")
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder with the four MNIST IDX files (train-images-idx3-ubyte, "
                        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                        "t10k-labels-idx1-ubyte; .gz or not); only for --dataset mnist")
    size = "(a whole number >= 1)"
    p.add_argument("--hidden", nargs="+", metavar="N",
                   type=_number(int, checks.positive_int, f"a positive layer size {size}"),
                   help="hidden layer sizes, e.g. --hidden 64 32 (default: 64 32 for digits, "
                        "128 64 for mnist, 64 64 for spirals, else 16 16)")
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
    p.add_argument("--lr", type=_number(float, _finite_positive,
                                        "a positive learning rate (a finite number > 0)"),
                   help="learning rate (default: " + ", ".join(
                       f"{k} {v:g}" for k, v in DEFAULT_LR.items()) + ")")
    p.add_argument("--epochs", type=_number(int, checks.non_negative_int, "a whole number >= 0"),
                   help="passes over the training data; 0 only evaluates, e.g. with --load "
                        "(default: 20 for digits, 5 for mnist, 300 for spirals, else 100)")
    p.add_argument("--batch-size", default=32,
                   type=_number(int, checks.positive_int, f"a positive batch size {size}"),
                   help="samples per gradient step (default: 32)")
    p.add_argument("--seed", type=_number(int, checks.non_negative_int, "a whole number >= 0"),
                   default=0,
                   help="seed of the data split, initial weights and shuffling (default: 0)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float64",
                   help="floating-point type of the model and data (default: float64)")
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
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no per-epoch progress lines")
    gan.add_arguments(p)
    return p


def parse_args(argv: Optional[Sequence[str]] = None, prog: str = "seegrad") -> argparse.Namespace:
    """Parse and check the options, filling the per-dataset defaults."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.model == "gan":
        return gan.check_args(parser, args)
    if args.dataset == "ring" or args.steps is not None:
        parser.error("--dataset ring and --steps are only for --model gan (add --model gan)")
    args.dataset = args.dataset or "digits"
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


def main(argv: Optional[Sequence[str]] = None, prog: str = "seegrad") -> int:
    """Entry point of `seegrad` and `python -m seegrad`; returns the exit status."""
    args = parse_args(argv, prog)
    try:
        return (gan.run if args.model == "gan" else run)(args)
    except JobError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
