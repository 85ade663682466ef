"""Gradient health of a model after a backward pass: `gradient_report`, the forward hooks of
`DeadReluWatch` that tell it which ReLU units are dead, and the `fit` callback
`GradientMonitor` that records a report every epoch.

Every parameter gets one verdict from `autograd.health` (the rule the drawings of
`visualize` use, so a parameter is judged the same in both): `ok`, `none` (no gradient),
`nan`, `dead_relu`, `exploding` or `vanishing`. The report also shows the gradient norm, the
weight norm and the update-to-weight ratio `lr * ||grad|| / ||weight||` (the relative size of
a plain gradient-descent step; for adaptive optimisers such as Adam the nominal ratio).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import partial
from typing import Any, Dict, Iterator, List, Optional, TextIO, Tuple

from autograd import Value, health
from autograd.health import Verdict
from nn import functional as F
from nn.hooks import RemovableHandle
from nn.module import Module
from nn.parameter import Parameter
from nn.callbacks import Callback


@dataclass(frozen=True)
class ParameterHealth:
    """One row of a `GradientReport`; `grad_norm` is None for a parameter without gradient."""

    name: str
    shape: tuple
    grad_norm: Optional[float]
    weight_norm: float
    update_ratio: Optional[float]
    dead_units: Optional[Tuple[int, int]]
    verdict: Verdict

    @property
    def kind(self) -> str:
        """The verdict's kind: 'ok', 'none', 'nan', 'dead_relu', 'exploding' or 'vanishing'."""
        return self.verdict.kind

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

    def flagged(self, kind: Optional[str] = None) -> List[str]:
        """Names of the parameters whose verdict is not 'ok' (or is `kind`)."""
        if kind is not None and kind not in health.KINDS:
            raise ValueError(f"flagged: unknown verdict {kind!r}; choose from "
                             f"{', '.join(health.KINDS)}")
        return [r.name for r in self.rows if (r.kind == kind if kind else r.kind != "ok")]

    def layer_norms(self) -> Dict[str, float]:
        """Gradient norm per layer: the norm of all of its parameters' gradients together."""
        totals: Dict[str, float] = {}
        for row in self.rows:
            key = row.layer or row.name
            totals[key] = totals.get(key, 0.0) + (row.grad_norm or 0.0) ** 2
        return {k: math.sqrt(v) for k, v in totals.items()}

    def table(self) -> str:
        """The report as a fixed-width text table, with a footer for what is missing."""
        head = ("parameter", "shape", "grad norm", "weight norm", "update/weight", "dead units",
                "verdict")
        body = [(r.name, str(r.shape), "-" if r.grad_norm is None else f"{r.grad_norm:.3e}",
                 f"{r.weight_norm:.3e}",
                 "-" if r.update_ratio is None else f"{r.update_ratio:.3e}",
                 "-" if r.dead_units is None else f"{r.dead_units[0]}/{r.dead_units[1]}",
                 r.kind) for r in self.rows]
        widths = [max(len(row[i]) for row in [head] + body) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                 for row in [head] + body]
        lines.insert(1, "-" * len(lines[0]))
        if self.lr is None:
            lines.append("update/weight needs a learning rate: gradient_report(model, lr=...) "
                         "or optimizer=...")
        if self.rows and all(r.grad_norm is None for r in self.rows):
            lines.append("no parameter has a gradient: call backward() on the loss first")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"GradientReport({len(self.rows)} parameters, flagged={self.flagged()})"


class DeadReluWatch:
    """Forward hooks on the ReLU modules of `model` (those built with activation='relu':
    Layer, Neuron, Activation) that keep each one's last output in training mode (a reference,
    not a copy: nothing is computed per step). `gradient_report(model, watch=...)` then counts
    the units that output 0 for every sample of that batch. A ReLU's dead units count for its
    module's parameters; a parameterless one (nn.Activation) counts for the module with
    parameters just before it. `remove()` takes the hooks off; also a context manager.

    >>> import nn, numpy as np
    >>> model = nn.MLP(2, [4, 1], seed=0)
    >>> with DeadReluWatch(model) as watch:
    ...     _ = model(np.ones((8, 2)))
    >>> sorted(watch.outputs)
    ['layers.0']
    """

    def __init__(self, model: Module) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"DeadReluWatch: expected an nn.Module, got {type(model).__name__}")
        self.model = model
        self.outputs: Dict[str, Any] = {}
        self.targets: Dict[str, List[Parameter]] = {}
        self.handles: List[RemovableHandle] = []
        before: List[Parameter] = []
        for name, module in model.named_modules():
            if module.parameters(recurse=False):
                before = module.parameters()
            if F.activation_name(getattr(module, "activation", None)) == "relu":
                targets = module.parameters() or before
                if targets:
                    self.targets[name] = targets
                    self.handles.append(module.register_forward_hook(partial(self._record, name)))

    def _record(self, name: str, module: Module, args: tuple, output: Any) -> None:
        if module.training:
            self.outputs[name] = output.data if isinstance(output, Value) else output

    def dead_units(self) -> Dict[int, Tuple[int, int]]:
        """id(parameter) -> (dead, total) units of the ReLU its gradient flows back through."""
        out: Dict[int, Tuple[int, int]] = {}
        for name, output in self.outputs.items():
            units = health.dead_units(output)
            for p in self.targets[name]:
                out[id(p)] = units
        return out

    def remove(self) -> None:
        """Take the hooks off the model."""
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def __enter__(self) -> "DeadReluWatch":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _learning_rate(lr: Optional[float], optimizer: Any) -> Optional[float]:
    if optimizer is not None:
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"gradient_report: optimizer must have an `lr` attribute, got a "
                            f"{type(optimizer).__name__}")
        if lr is not None and float(lr) != float(optimizer.lr):
            raise ValueError(f"gradient_report: lr={lr} disagrees with the optimizer's "
                             f"lr={optimizer.lr}; give one of them")
        lr = optimizer.lr
    return health.check_learning_rate(lr, "gradient_report")


def gradient_report(model: Module, lr: Optional[float] = None, optimizer: Any = None,
                    watch: Optional[DeadReluWatch] = None) -> GradientReport:
    """The gradient health of every parameter of `model`, after `loss.backward()`.

    The learning rate for the update ratio comes from `lr=` or from `optimizer=` (its `.lr`);
    without either the ratio is left out. Dead ReLU units come from a `DeadReluWatch` on the
    model during the forward pass (`watch=`). See `autograd.health` for the verdicts.

    >>> import nn, numpy as np
    >>> model = nn.MLP(2, [4, 1], seed=0)
    >>> nn.losses.mse_loss(model(np.ones((8, 2))), np.zeros((8, 1))).backward()
    >>> gradient_report(model, lr=0.1).flagged('nan')
    []
    """
    if not isinstance(model, Module):
        raise TypeError(f"gradient_report: expected an nn.Module, got {type(model).__name__}")
    rate = _learning_rate(lr, optimizer)
    if watch is not None and (not isinstance(watch, DeadReluWatch) or watch.model is not model):
        raise ValueError("gradient_report: watch= must be a DeadReluWatch built on this model "
                         "(nn.DeadReluWatch(model))")
    params = list(model.named_parameters())
    if not params:
        raise ValueError(f"gradient_report: {type(model).__name__} has no parameters")
    dead_of = watch.dead_units() if watch is not None else {}
    reference = health.reference(p.grad for _, p in params)
    rows = []
    for name, p in params:
        units = dead_of.get(id(p))
        verdict = health.judge(p.grad, p.data, reference, lr=rate, dead=units)
        rows.append(ParameterHealth(name, tuple(p.shape),
                                    None if p.grad is None else verdict.norm,
                                    health.norm(p.data), verdict.update_ratio, units, verdict))
    return GradientReport(rows, rate)


class GradientMonitor(Callback):
    """A `fit` callback that records `gradient_report` after each epoch (from the gradients of
    the epoch's last batch) in `.reports`, with a `DeadReluWatch` on the model while it
    trains; `verbose=True` also prints the flagged parameters.

    >>> monitor = GradientMonitor(lr=0.01)
    >>> # nn.fit(model, X, y, loss, opt, callbacks=[monitor]); monitor.reports[-1]
    """

    def __init__(self, lr: Optional[float] = None, optimizer: Any = None, verbose: bool = False,
                 stream: Optional[TextIO] = None) -> None:
        self.lr, self.optimizer, self.verbose = lr, optimizer, verbose
        self.stream = stream
        self.watch: Optional[DeadReluWatch] = None
        self.reports: List[GradientReport] = []
        self.epochs: List[int] = []

    def on_train_begin(self, model: Module) -> None:
        if self.watch is not None:
            self.watch.remove()
        self.model = model
        self.watch = DeadReluWatch(model)
        self.reports, self.epochs = [], []

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> Optional[bool]:
        report = gradient_report(self.model, self.lr, self.optimizer, watch=self.watch)
        self.reports.append(report)
        self.epochs.append(epoch)
        if self.verbose and report.flagged():
            stream = self.stream if self.stream is not None else sys.stdout
            shown = "; ".join(f"{r.name}: {r.kind}" for r in report if r.kind != "ok")
            stream.write(f"gradient health, epoch {epoch + 1}: {shown}\n")
        return None

    def on_train_end(self) -> None:
        if self.watch is not None:
            self.watch.remove()

    def layer_norms(self) -> Dict[str, List[float]]:
        """Gradient norm per layer, one entry per recorded epoch."""
        series: Dict[str, List[float]] = {}
        for report in self.reports:
            for layer, norm in report.layer_norms().items():
                series.setdefault(layer, []).append(norm)
        return series
