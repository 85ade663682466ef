"""Training loops in Keras's style: `fit` returns a `History`; `evaluate`; `predict`;
callbacks `EarlyStopping` and `ModelCheckpoint`."""
from __future__ import annotations

import math
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple, Union

import numpy as np

from autograd import Value, no_grad
from nn.data import batches
from nn.init import as_generator
from nn.losses import get_loss
from nn.module import Module

Metric = Union[str, Callable[[np.ndarray, np.ndarray], float]]


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Fraction of correct predictions.

    Rows of scores `(N, C)` are compared by argmax with integer labels (or the argmax of
    probability rows). A single output `(N,)`/`(N, 1)` is a binary decision: with labels in
    {-1, +1} its sign, otherwise a probability thresholded at 0.5 when every output lies in
    [0, 1], else a logit thresholded at 0.

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    pred, y = np.asarray(pred), np.asarray(y)
    if pred.ndim == 2 and pred.shape[1] > 1:
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return float(np.mean(pred.argmax(axis=1) == labels))
    p, t = pred.reshape(-1), y.reshape(-1)
    if len(p) != len(t):
        raise ValueError(f"accuracy: {len(p)} predictions for {len(t)} labels")
    if np.any(t < 0):
        return float(np.mean(np.where(p > 0, 1, -1) == t))
    threshold = 0.5 if p.size and p.min() >= 0 and p.max() <= 1 else 0.0
    return float(np.mean((p > threshold).astype(np.int64) == t))


METRICS: Dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"accuracy": accuracy,
                                                                  "acc": accuracy}


def _metric(m: Metric) -> Tuple[str, Callable[[np.ndarray, np.ndarray], float]]:
    if isinstance(m, str):
        if m not in METRICS:
            raise ValueError(f"unknown metric {m!r}; use a callable or one of "
                             f"{', '.join(sorted(METRICS))}")
        return ("accuracy" if m == "acc" else m), METRICS[m]
    if callable(m):
        return getattr(m, "__name__", "metric"), m
    raise TypeError(f"a metric must be a name or a callable, got {type(m).__name__}")


def _inputs(X: Any, dtype: np.dtype) -> Value:
    return Value(np.asarray(X, dtype=dtype), requires_grad=False)


def _check_finite(a: np.ndarray, what: str) -> None:
    """Refuse non-numeric data, and NaN or infinite entries before training: one of them makes
    every later loss and gradient NaN, far from its cause."""
    if a.dtype.kind not in "biufc":
        raise TypeError(f"fit: {what} must hold numbers, got an array of dtype {a.dtype}")
    if a.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(a)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"row {first[0]}" + (f", column {first[1]}" if len(first) > 1 else "")
        if len(first) > 2:
            where += f" (index {first})"
        raise ValueError(f"fit: {what} contains {int(bad.sum())} NaN or infinite value(s), the "
                         f"first at {where}; drop or impute them before training")


def _check_targets(model: Module, loss_fn: Any, X: np.ndarray, y: np.ndarray,
                   dtype: np.dtype) -> None:
    """Run the loss once on every target before the first step (against one evaluation-mode
    output repeated for each row), so a bad label anywhere in the data fails before any
    parameter changes, not in the middle of an epoch."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            one = np.asarray(model(_inputs(X[:1], dtype)).data)
            rows = np.broadcast_to(one, (len(y),) + one.shape[1:])
            loss_fn(Value(rows, requires_grad=False), _targets(y, dtype, rows))
    finally:
        model.train(was_training)


def _targets(y: Any, dtype: np.dtype, out: Any) -> np.ndarray:
    """Integer labels stay integers; real targets take the model's dtype; targets `(N,)`
    meet a single output column `(N, 1)` as `(N, 1)`."""
    y = np.asarray(y)
    y = y if y.dtype.kind in "iub" else y.astype(dtype)
    shape = np.shape(out.data if isinstance(out, Value) else out)
    if y.ndim == 1 and len(shape) == 2 and shape[1] == 1 and shape[0] == len(y):
        y = y[:, None]
    return y


class History:
    """What `fit` recorded: `.history` maps 'loss', each metric and their 'val_' versions to
    one number per epoch; `.epoch` lists the epochs run."""

    def __init__(self) -> None:
        self.history: Dict[str, List[float]] = {}
        self.epoch: List[int] = []

    def append(self, epoch: int, logs: Dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class Callback:
    """Hooks called by `fit`; `on_epoch_end` returns True to stop training.

    `writes_logs` says whether `on_epoch_end` may add keys to the logs (None: assumed when it
    is overridden); `fit` checks monitors against the logs' keys before training only up to
    the first callback that may add some.
    """

    writes_logs: Optional[bool] = None

    def on_train_begin(self, model: Module) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> Optional[bool]:
        """Called after each epoch with its logs; return True to stop."""
        return None

    def on_train_end(self) -> None:
        """Called once after the last epoch."""

    def monitored(self) -> Optional[str]:
        """The log key this callback reads (checked by `fit` before training), or None."""
        return None


def _mode(monitor: str, mode: str) -> str:
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _may_write_logs(cb: Any) -> bool:
    declared = getattr(cb, "writes_logs", None)
    if declared is not None:
        return bool(declared)
    return getattr(type(cb), "on_epoch_end", None) is not Callback.on_epoch_end


def _lookup(logs: Dict[str, float], monitor: str, who: str) -> float:
    if monitor not in logs:
        raise ValueError(f"{who}: monitored quantity {monitor!r} is not in the logs "
                         f"(available: {', '.join(logs)}); give validation data for val_ "
                         "quantities")
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop after `patience` epochs in a row without an improvement of `monitor` by more than
    `min_delta` (Keras's rule); with `restore_best` the model ends with the weights of its
    best epoch."""

    writes_logs = False

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True) -> None:
        self.monitor, self.patience, self.min_delta = monitor, int(patience), abs(min_delta)
        self.mode = _mode(monitor, mode)
        self.restore_best = restore_best
        self.stopped_epoch: Optional[int] = None

    def on_train_begin(self, model: Module) -> None:
        self.model = model
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.best_state: Optional[Dict[str, np.ndarray]] = None
        self.wait = 0
        self.stopped_epoch = None

    def monitored(self) -> Optional[str]:
        return self.monitor

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> Optional[bool]:
        value = _lookup(logs, self.monitor, "EarlyStopping")
        better = (value < self.best - self.min_delta if self.mode == "min"
                  else value > self.best + self.min_delta)
        if better:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = self.model.state_dict()
            return None
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return None

    def on_train_end(self) -> None:
        if self.restore_best and self.best_state is not None:
            self.model.load_state_dict(self.best_state)


class ModelCheckpoint(Callback):
    """Save the model to `path` after each epoch (only on improvement of `monitor` with
    `save_best_only`); `path` may contain `{epoch}`."""

    writes_logs = False

    def __init__(self, path: str, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto") -> None:
        self.path, self.monitor, self.save_best_only = str(path), monitor, save_best_only
        self.mode = _mode(monitor, mode)
        self.saved: List[str] = []

    def on_train_begin(self, model: Module) -> None:
        self.model = model
        self.best = math.inf if self.mode == "min" else -math.inf

    def monitored(self) -> Optional[str]:
        return self.monitor if self.save_best_only else None

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> Optional[bool]:
        if self.save_best_only:
            value = _lookup(logs, self.monitor, "ModelCheckpoint")
            if not (value < self.best if self.mode == "min" else value > self.best):
                return None
            self.best = value
        path = self.path.format(epoch=epoch + 1)
        self.model.save(path)
        self.saved.append(path)
        return None


class _Progress:
    """One line per epoch; on a terminal the line also updates in place during the epoch."""

    def __init__(self, epochs: int, n_batches: int, verbose: Any, stream: Optional[TextIO]):
        self.epochs, self.n_batches = epochs, n_batches
        self.stream = stream if stream is not None else sys.stdout
        self.on = bool(verbose)
        self.live = self.on and getattr(self.stream, "isatty", lambda: False)()

    def batch(self, epoch: int, done: int, loss: float) -> None:
        if self.live:
            self.stream.write(f"\rEpoch {epoch + 1}/{self.epochs} {done}/{self.n_batches} "
                              f"- loss: {loss:.4f}")
            self.stream.flush()

    def epoch(self, epoch: int, seconds: float, logs: Dict[str, float]) -> None:
        if not self.on:
            return
        shown = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        line = (f"Epoch {epoch + 1}/{self.epochs} - {self.n_batches} batches - {seconds:.2f}s "
                f"- {shown}")
        self.stream.write(("\r" + line + "\x1b[K\n") if self.live else line + "\n")
        self.stream.flush()


def fit(model: Module, X: Any, y: Any, loss: Any, optimizer: Any, epochs: int = 10,
        batch_size: Optional[int] = 32, validation_data: Optional[Tuple[Any, Any]] = None,
        validation_split: float = 0.0, shuffle: bool = True, seed: Any = None,
        metrics: Sequence[Metric] = ("accuracy",), callbacks: Iterable[Callback] = (),
        verbose: Any = True, stream: Optional[TextIO] = None) -> History:
    """Train `model` on `(X, y)` with mini-batches and return a `History`.

    `loss` is a callable `(outputs, targets) -> Value` or a loss name; `batch_size=None`
    uses the whole set. Targets of shape `(N,)` are given to the loss as `(N, 1)` when the
    model has a single output column. `validation_split` holds out the last fraction of the
    data (before shuffling). The display writes one line per epoch (updated in place on a
    terminal) to `stream` (stdout by default); `verbose=False` silences it.

    >>> import nn
    >>> X, y = nn.data.make_xor(4, seed=0)
    >>> model = nn.MLP(2, [8, 2], seed=0)
    >>> h = nn.fit(model, X, y, 'cross_entropy', nn.optim.Adam(model.parameters(), 0.05),
    ...            epochs=3, verbose=False)
    >>> sorted(h.history)
    ['accuracy', 'loss']
    """
    loss_fn = get_loss(loss)
    named = [_metric(m) for m in metrics]
    dtype = model.dtype
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} rows but y has {len(y)}")
    if len(X) == 0:
        raise ValueError("fit: X and y are empty; there is nothing to train on")
    _check_finite(X, "X")
    _check_finite(y, "y")
    if validation_data is not None:
        _check_finite(np.asarray(validation_data[0]), "validation X")
        _check_finite(np.asarray(validation_data[1]), "validation y")
    _check_targets(model, loss_fn, X, y, dtype)
    if validation_data is not None:
        _check_targets(model, loss_fn, np.asarray(validation_data[0]),
                       np.asarray(validation_data[1]), dtype)
    if epochs < 0:
        raise ValueError(f"fit: epochs must be non-negative, got {epochs}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
    if validation_split and validation_data is None:
        cut = len(X) - int(round(len(X) * validation_split))
        if cut <= 0 or cut >= len(X):
            raise ValueError(f"fit: validation_split {validation_split} of {len(X)} samples "
                             "leaves one side empty")
        validation_data = (X[cut:], y[cut:])
        X, y = X[:cut], y[:cut]
    size = len(X) if batch_size is None else int(batch_size)
    if size < 1:
        raise ValueError(f"fit: batch_size must be at least 1, got {batch_size}")
    rng = as_generator(seed)
    callbacks = list(callbacks)
    history = History()
    progress = _Progress(epochs, math.ceil(len(X) / size), verbose, stream)
    keys = ["loss"] + [name for name, _ in named]
    if validation_data is not None:
        keys += [f"val_{k}" for k in keys]
    for cb in callbacks:                # before any step changes the parameters
        monitor = getattr(cb, "monitored", lambda: None)()     # duck-typed callbacks too
        if monitor is not None:
            _lookup(dict.fromkeys(keys), monitor, type(cb).__name__)
        if _may_write_logs(cb):
            break                       # later monitors may read keys this one adds
    for cb in callbacks:
        cb.on_train_begin(model)
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            model.train()
            total, count, outputs, targets = 0.0, 0, [], []
            for done, (xb, yb) in enumerate(batches(X, y, size, shuffle, rng), 1):
                optimizer.zero_grad()
                out = model(_inputs(xb, dtype))
                value = loss_fn(out, _targets(yb, dtype, out))
                value.backward(retain_grads=False, retain_graph=False)  # as PyTorch
                optimizer.step()
                batch_loss = float(value.item())
                total += batch_loss * len(xb)
                count += len(xb)
                outputs.append(np.asarray(out.data))
                targets.append(yb)
                progress.batch(epoch, done, total / count)
            logs = {"loss": total / max(count, 1)}
            if named and outputs:
                pred, truth = np.concatenate(outputs), np.concatenate(targets)
                logs.update({name: float(fn(pred, truth)) for name, fn in named})
            if validation_data is not None:
                scores = evaluate(model, validation_data[0], validation_data[1], loss_fn,
                                  metrics, batch_size=None)
                logs.update({f"val_{k}": v for k, v in scores.items()})
            history.append(epoch, logs)
            progress.epoch(epoch, time.perf_counter() - start, logs)
            stop = [cb.on_epoch_end(epoch, logs) for cb in callbacks]
            if any(stop):
                break
    finally:
        model.train()
    for cb in callbacks:
        cb.on_train_end()
    return history


def evaluate(model: Module, X: Any, y: Any, loss: Any,
             metrics: Sequence[Metric] = ("accuracy",), batch_size: Optional[int] = None
             ) -> Dict[str, float]:
    """Loss and metrics of `model` on `(X, y)` in evaluation mode, without recording a graph.

    Returns a dict such as `{'loss': 0.12, 'accuracy': 0.97}`.
    """
    loss_fn = get_loss(loss)
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"evaluate: X has {len(X)} rows but y has {len(y)}")
    pred = predict(model, X, batch_size)
    with no_grad():
        value = loss_fn(Value(pred, requires_grad=False), _targets(y, model.dtype, pred))
    out = {"loss": float(value.item())}
    for name, fn in (_metric(m) for m in metrics):
        out[name] = float(fn(pred, y))
    return out


def predict(model: Module, X: Any, batch_size: Optional[int] = None) -> np.ndarray:
    """The model's outputs for `X` as a numpy array (evaluation mode, no graph)."""
    X = np.asarray(X)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            size = len(X) if batch_size is None else int(batch_size)
            parts = [np.asarray(model(_inputs(X[i:i + size], model.dtype)).data)
                     for i in range(0, len(X), max(size, 1))]
    finally:
        model.train(was_training)
    return np.concatenate(parts) if parts else np.zeros((0,), dtype=model.dtype)
