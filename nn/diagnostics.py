"""Gradient health of a model after a backward pass: `gradient_report` and the `fit` callback
`GradientMonitor` that records it every epoch.

For each parameter the report gives the gradient norm, the weight norm, the update-to-weight
ratio `lr * ||grad|| / ||weight||` (the relative size of a plain gradient-descent step; for
adaptive optimisers such as Adam it is the nominal ratio, not their exact step) and flags:

- `nan`: a gradient or weight entry is NaN or infinite;
- `exploding`: the update ratio is above `exploding` (one step would be bigger than the
  weight), or, without a learning rate, the gradient norm is above `exploding_grad`;
- `vanishing`: the gradient norm is below `vanishing` times the largest gradient norm of the
  model (or zero);
- `dead_relu`: at least a fraction `dead` of the parameter's layer's ReLU units output 0 for
  every sample of the last training batch, so no gradient flows through them.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, TextIO, Tuple

import numpy as np

from autograd import Value
from nn.module import Module
from nn.training import Callback

VANISHING = 1e-4
EXPLODING = 1.0
EXPLODING_GRAD = 1e6
DEAD = 0.25


@dataclass(frozen=True)
class ParameterHealth:
    """One row of a `GradientReport`."""

    name: str
    shape: tuple
    grad_norm: float
    weight_norm: float
    update_ratio: Optional[float]
    dead_units: Optional[Tuple[int, int]]
    flags: Tuple[str, ...]

    @property
    def layer(self) -> str:
        """The dotted name of the module that owns the parameter ('' at the top level)."""
        return self.name.rpartition(".")[0]


class GradientReport:
    """Per-parameter gradient health; `str(report)` (or `.table()`) prints it as a table."""

    def __init__(self, rows: List[ParameterHealth], lr: Optional[float]) -> None:
        self.rows = rows
        self.lr = lr

    def __iter__(self) -> Iterator[ParameterHealth]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, name: str) -> ParameterHealth:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"gradient report: no parameter named {name!r} (have: "
                       f"{', '.join(r.name for r in self.rows)})")

    def flagged(self, flag: Optional[str] = None) -> List[str]:
        """Names of the parameters with any flag (or with `flag`)."""
        return [r.name for r in self.rows if (flag in r.flags if flag else r.flags)]

    def layer_norms(self) -> Dict[str, float]:
        """Gradient norm per layer: the norm of all of its parameters' gradients together."""
        totals: Dict[str, float] = {}
        for row in self.rows:
            key = row.layer or row.name
            totals[key] = totals.get(key, 0.0) + row.grad_norm ** 2
        return {k: math.sqrt(v) for k, v in totals.items()}

    def table(self) -> str:
        """The report as a fixed-width text table, with a footer explaining any flags."""
        head = ("parameter", "shape", "grad norm", "weight norm", "update/weight", "dead units",
                "flags")
        body = [(r.name, str(r.shape), f"{r.grad_norm:.3e}", f"{r.weight_norm:.3e}",
                 "-" if r.update_ratio is None else f"{r.update_ratio:.3e}",
                 "-" if r.dead_units is None else f"{r.dead_units[0]}/{r.dead_units[1]}",
                 ", ".join(r.flags) or "ok") for r in self.rows]
        widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                 for row in [head] + body]
        lines.insert(1, "-" * len(lines[0]))
        if self.lr is None:
            lines.append("update/weight needs a learning rate: gradient_report(model, lr=...) "
                         "or optimizer=...")
        if self.rows and all(r.grad_norm == 0.0 for r in self.rows):
            lines.append("every gradient is zero or missing: was backward() called on the loss?")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"GradientReport({len(self.rows)} parameters, flagged={self.flagged()})"


def _norm(x: Any) -> float:
    a = np.asarray(x.data if isinstance(x, Value) else x, dtype=np.float64)
    return float(np.sqrt(np.sum(a * a))) if np.all(np.isfinite(a)) else math.nan


def _learning_rate(lr: Optional[float], optimizer: Any) -> Optional[float]:
    if optimizer is not None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"gradient_report: optimizer must have an `lr` attribute, got a "
                            f"{type(optimizer).__name__}")
        if lr is not None and float(lr) != float(optimizer.lr):
            raise ValueError(f"gradient_report: lr={lr} disagrees with the optimizer's "
                             f"lr={optimizer.lr}; give one of them")
        lr = optimizer.lr
    if lr is not None and not (math.isfinite(float(lr)) and float(lr) >= 0):
        raise ValueError(f"gradient_report: lr must be a finite number >= 0, got {lr}")
    return None if lr is None else float(lr)


def _dead_units(model: Module) -> Dict[int, Tuple[int, int]]:
    """id(parameter) -> (dead, total) ReLU units of the layer it belongs to. A parameterless
    ReLU module (nn.Activation) counts for the module with parameters just before it."""
    out: Dict[int, Tuple[int, int]] = {}
    owner: List[Value] = []
    for _, module in model.named_modules():
        own = [item for _, item in module._members() if isinstance(item, Value)]
        if own:
            owner = own
        dead = getattr(module, "dead_units", None)
        if dead is not None:
            for p in owner:
                out[id(p)] = (int(np.sum(dead)), int(np.size(dead)))
    return out


def gradient_report(model: Module, lr: Optional[float] = None, optimizer: Any = None,
                    vanishing: float = VANISHING, exploding: float = EXPLODING,
                    exploding_grad: float = EXPLODING_GRAD, dead: float = DEAD
                    ) -> GradientReport:
    """The gradient health of every parameter of `model`, after `loss.backward()`.

    The learning rate for the update ratio comes from `lr=` or from `optimizer=` (its `.lr`);
    without either the ratio is left out. Dead ReLU units are read from the model's last
    forward pass in training mode. See the module docstring for the flags.

    >>> import nn
    >>> model = nn.MLP(2, [4, 1], seed=0)
    >>> nn.losses.mse_loss(model(np.ones((8, 2))), np.zeros((8, 1))).backward()
    >>> gradient_report(model, lr=0.1).flagged('nan')
    []
    """
    if not isinstance(model, Module):
        raise TypeError(f"gradient_report: expected an nn.Module, got {type(model).__name__}")
    rate = _learning_rate(lr, optimizer)
    params = list(model.named_parameters())
    if not params:
        raise ValueError(f"gradient_report: {type(model).__name__} has no parameters")
    dead_of = _dead_units(model)
    grads = [0.0 if p.grad is None else _norm(p.grad) for _, p in params]
    largest = max((g for g in grads if math.isfinite(g)), default=0.0)
    rows = []
    for (name, p), g in zip(params, grads):
        w = _norm(p.data)
        ratio = rate * g / w if rate is not None and w > 0 and math.isfinite(g) else None
        flags = []
        if not (math.isfinite(g) and math.isfinite(w)):
            flags.append("nan")
        elif (ratio is not None and ratio > exploding) or g > exploding_grad:
            flags.append("exploding")
        elif g == 0.0 or g < vanishing * largest:
            flags.append("vanishing")
        units = dead_of.get(id(p))
        if units is not None and units[1] and units[0] / units[1] >= dead:
            flags.append("dead_relu")
        rows.append(ParameterHealth(name, tuple(p.shape), g, w, ratio, units, tuple(flags)))
    return GradientReport(rows, rate)


class GradientMonitor(Callback):
    """A `fit` callback that records `gradient_report` after each epoch (from the gradients of
    the epoch's last batch) in `.reports`; `verbose=True` also prints flagged parameters.

    >>> monitor = GradientMonitor(lr=0.01)
    >>> # nn.fit(model, X, y, loss, opt, callbacks=[monitor]); monitor.reports[-1]
    """

    def __init__(self, lr: Optional[float] = None, optimizer: Any = None, verbose: bool = False,
                 stream: Optional[TextIO] = None, **thresholds: float) -> None:
        self.lr, self.optimizer, self.verbose = lr, optimizer, verbose
        self.stream = stream
        self.thresholds = thresholds
        self.reports: List[GradientReport] = []
        self.epochs: List[int] = []

    def on_train_begin(self, model: Module) -> None:
        self.model = model
        self.reports, self.epochs = [], []

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> Optional[bool]:
        report = gradient_report(self.model, self.lr, self.optimizer, **self.thresholds)
        self.reports.append(report)
        self.epochs.append(epoch)
        if self.verbose and report.flagged():
            stream = self.stream if self.stream is not None else sys.stdout
            shown = "; ".join(f"{r.name}: {', '.join(r.flags)}" for r in report if r.flags)
            stream.write(f"gradient health, epoch {epoch + 1}: {shown}\n")
        return None

    def layer_norms(self) -> Dict[str, List[float]]:
        """Gradient norm per layer, one entry per recorded epoch."""
        series: Dict[str, List[float]] = {}
        for report in self.reports:
            for layer, norm in report.layer_norms().items():
                series.setdefault(layer, []).append(norm)
        return series
