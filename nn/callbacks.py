"""Callbacks of `fit`, in Keras's style: `History` (which `fit` always records into),
`EarlyStopping` and `ModelCheckpoint`, on the hooks of `Callback`."""
from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Optional

import numpy as np

from nn import checks
from nn.module import Module
from nn.serialization import check_writable


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


class History(Callback):
    """The callback that records a run: `.history` maps 'loss', each metric and their 'val_'
    versions to one number per epoch; `.epoch` lists the epochs run (from 0).

    `fit` always records into one and returns it. It records epoch by epoch, so a History
    passed in `callbacks` keeps the finished epochs when Ctrl-C interrupts `fit`.
    """

    writes_logs = False

    def __init__(self) -> None:
        self.history: Dict[str, List[float]] = {}
        self.epoch: List[int] = []

    def on_train_begin(self, model: Module) -> None:
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> Optional[bool]:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        return None

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


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
        self.monitor = monitor
        self.patience = checks.non_negative_int(patience, "patience", "EarlyStopping")
        self.min_delta = abs(checks.finite_float(min_delta, "min_delta", "EarlyStopping"))
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
    `save_best_only`); `path` may contain `{epoch}`. Its folder must exist and be writable,
    which is checked before the first epoch."""

    writes_logs = False

    def __init__(self, path: str, monitor: str = "val_loss", save_best_only: bool = False,
                 mode: str = "auto") -> None:
        self.path, self.monitor, self.save_best_only = str(path), monitor, save_best_only
        self.mode = _mode(monitor, mode)
        self.saved: List[str] = []

    def on_train_begin(self, model: Module) -> None:
        """Refuse a path that cannot be written before the first epoch, not after it."""
        check_writable(self.path.format(epoch=1), "ModelCheckpoint")
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


def check_monitors(callbacks: Iterable[Any], keys: Iterable[str]) -> None:
    """Refuse a callback that monitors a key the logs will not have, before training starts.

    Only callbacks up to the first that may add keys to the logs are checked (later monitors
    may read what it adds).
    """
    available = dict.fromkeys(keys)
    for cb in callbacks:
        monitor = getattr(cb, "monitored", lambda: None)()     # duck-typed callbacks too
        if monitor is not None:
            _lookup(available, monitor, type(cb).__name__)
        if _may_write_logs(cb):
            break
