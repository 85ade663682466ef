"""The vanishing gradient through time, measured: a plain RNN, a GRU and an LSTM learn the same
long-range task with the same budget, and the norm of d loss / d x_t is measured at every
timestep t, at initialisation and after training.

The task (recall the marked token): a sequence of `length` one-hot tokens from `classes`
symbols, the first one marked by an extra input channel; the label is that first token, so
what the model needs lies `length - 1` steps before it answers, behind `length - 1` distractors.
Chance accuracy is 1 / classes.

The gated cells start with their gates set to remember (the "chrono" initialisation of Tallec
and Ollivier, 2018): the LSTM's forget-gate bias +3 and input-gate bias -3, the GRU's
update-gate bias +3, so the cell state is carried nearly unchanged from step to step. With
PyTorch's default biases the gates start half open and the gradient vanishes through them too.
"""
from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import nn
from autograd import Value
from seegrad.job import attempt

CELLS = ("RNN", "GRU", "LSTM")
CLASSES = 8
CHRONO_BIAS = 3.0


def recall_batch(batch: int, length: int, classes: int, rng: np.random.Generator,
                 dtype: Any) -> Tuple[np.ndarray, np.ndarray]:
    """Inputs (batch, length, classes + 1): one-hot tokens, the last channel marking the first
    step; labels (batch,): the first token."""
    tokens = rng.integers(0, classes, size=(batch, length))
    x = np.zeros((batch, length, classes + 1), dtype=dtype)
    x[..., :classes] = np.eye(classes, dtype=dtype)[tokens]
    x[:, 0, classes] = 1.0
    return x, tokens[:, 0]


def remember_at_start(layer: nn.Module, kind: str) -> None:
    """Set a GRU's or LSTM's gate biases so that it starts carrying its state (chrono
    initialisation); a plain RNN has no gate and is left as it is."""
    hidden = layer.hidden_size
    bias = layer.bias_hh_l0.data
    if kind == "LSTM":                     # gates i, f, g, o
        bias[:hidden] -= CHRONO_BIAS
        bias[hidden:2 * hidden] += CHRONO_BIAS
    elif kind == "GRU":                    # gates r, z, n; h' = (1 - z) n + z h
        bias[hidden:2 * hidden] += CHRONO_BIAS


class Recaller(nn.Module):
    """A recurrent layer (RNN, GRU or LSTM) and a linear read-out of its last output."""

    def __init__(self, cell: str, classes: int, hidden_size: int, dtype: Any,
                 seed: Optional[int]) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        layer = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}[cell]
        self.rnn = layer(classes + 1, hidden_size, batch_first=True, dtype=dtype, seed=rng)
        remember_at_start(self.rnn, cell)
        self.head = nn.Linear(hidden_size, classes, dtype=dtype, seed=rng)

    def forward(self, x: Any) -> Value:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def gradient_through_time(model: Recaller, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """||d loss / d x_t|| for each timestep t (the norm over the batch and the features)."""
    inputs = Value(x)
    nn.losses.cross_entropy(model(inputs), y).backward()
    return np.sqrt((inputs.grad.astype(np.float64) ** 2).sum(axis=(0, 2)))


@dataclass
class CellRun:
    """One cell's learning curve and its gradient norms through time before and after."""

    losses: List[float] = field(default_factory=list)
    accuracy: float = 0.0
    grad_before: np.ndarray = field(default_factory=lambda: np.zeros(0))
    grad_after: np.ndarray = field(default_factory=lambda: np.zeros(0))
    seconds: float = 0.0


def train_cell(cell: str, length: int, classes: int, hidden_size: int, steps: int, batch: int,
               lr: float, dtype: Any, seed: int) -> CellRun:
    """Train one cell with Adam on fresh batches; measure the gradient through time on one
    fixed probe batch before and after, and the accuracy on a held-out batch of 1,000."""
    rng = np.random.default_rng(seed)
    probe = recall_batch(batch, length, classes, np.random.default_rng(seed + 1), dtype)
    test_x, test_y = recall_batch(1000, length, classes, np.random.default_rng(seed + 2), dtype)
    model = Recaller(cell, classes, hidden_size, dtype, seed)
    run = CellRun(grad_before=gradient_through_time(model, *probe))
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for _ in range(steps):
        x, y = recall_batch(batch, length, classes, rng, dtype)
        optimizer.zero_grad()
        loss = nn.losses.cross_entropy(model(x), y)
        loss.backward()
        nn.clip_grad_norm(model.parameters(), 5.0)
        optimizer.step()
        run.losses.append(float(loss.data))
    run.seconds = time.perf_counter() - start
    model.zero_grad()
    run.grad_after = gradient_through_time(model, *probe)
    run.accuracy = float(np.mean(nn.predict(model, test_x).argmax(axis=1) == test_y))
    return run


def decay(norms: np.ndarray) -> float:
    """How much smaller the gradient reaching the first step is than at the last one."""
    return float(norms[0] / norms[-1]) if norms[-1] > 0 else float("nan")


def compare(length: int, classes: int, hidden_size: int, steps: int, batch: int, lr: float,
            dtype: Any, seed: int) -> Dict[str, CellRun]:
    """Train each cell in CELLS the same way and print what it reached."""
    runs: Dict[str, CellRun] = {}
    for cell in CELLS:
        runs[cell] = run = train_cell(cell, length, classes, hidden_size, steps, batch, lr,
                                      dtype, seed)
        print(f"{cell:>4}: accuracy {100 * run.accuracy:5.1f}% (chance "
              f"{100 / classes:.1f}%), final loss {np.mean(run.losses[-20:]):.3f}; "
              f"|dL/dx_1| / |dL/dx_{length}| = {decay(run.grad_before):.1e} at "
              f"initialisation, {decay(run.grad_after):.1e} after training "
              f"({run.seconds:.0f}s)", flush=True)
    return runs


def run_vanishing(args: argparse.Namespace, out: Path) -> List[Tuple[Path, str]]:
    """The `--model rnn-gru-lstm` job: train the three cells on the recall task, print what
    each reached, and draw the learning curves and the gradient through time."""
    import visualize
    classes = CLASSES
    print(f"recall the first of {args.seq_len} tokens ({classes} symbols): RNN, GRU and LSTM "
          f"of hidden size {args.hidden[0]}, each {args.steps} Adam steps of batch "
          f"{args.batch_size}, lr={args.lr:g}, {args.dtype}", flush=True)
    runs = compare(args.seq_len, classes, args.hidden[0], args.steps, args.batch_size, args.lr,
                   np.dtype(args.dtype), args.seed)
    losses = {cell: run.losses for cell, run in runs.items()}
    before = {cell: run.grad_before for cell, run in runs.items()}
    after = {cell: run.grad_after for cell, run in runs.items()}
    return attempt("the pictures", lambda: [
        (visualize.plot_learning_curves(losses, out / "recall_curves.png", ylabel="cross-entropy",
                                        smooth=25, baseline=math.log(classes)),
         "the three learning curves (dashed: the loss of guessing)"),
        (visualize.plot_gradient_through_time(before, out / "gradient_through_time.png",
                                              after=after),
         "|d loss / d x_t| against t, at initialisation and after training")])
