"""Training in Keras's style: `fit` (argument checks, an overridable `train_step`, the epoch
loop) returns a `History`; `evaluate`; `predict`."""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple

import numpy as np

from autograd import Value, no_grad
from autograd import compile as compile_function
from nn import checks
from nn.callbacks import Callback, History, check_monitors
from nn.data import batches
from nn.init import as_generator
from nn.losses import get_loss
from nn.metrics import Metric, MetricFn, get_metric
from nn.module import Module
from nn.optim import Optimizer

TrainStep = Callable[[Module, Value, np.ndarray, Callable[..., Value], Any], Tuple[float, Any]]


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
        batches = f"{self.n_batches} batch{'' if self.n_batches == 1 else 'es'}"
        line = f"Epoch {epoch + 1}/{self.epochs} - {batches} - {seconds:.2f}s - {shown}"
        self.stream.write(("\r" + line + "\x1b[K\n") if self.live else line + "\n")
        self.stream.flush()


# ----- fit: checks, a step, the epoch loop ---------------------------------------------------
def train_step(model: Module, xb: Value, yb: np.ndarray, loss_fn: Callable[..., Value],
               optimizer: Any) -> Tuple[float, Any]:
    """One optimisation step on a batch: forward, loss, backward, update. Returns the batch's
    loss and the model's outputs on it (`fit` computes the epoch's metrics from them).

    `fit` calls it for every batch with the inputs as a Value in the model's dtype and the
    targets as the loss takes them; `fit(..., train_step=my_step)` runs your own instead
    (Keras's design), for example one that clips the gradients before the update:

    >>> import nn
    >>> def clipped_step(model, xb, yb, loss_fn, optimizer):
    ...     optimizer.zero_grad()
    ...     out = model(xb)
    ...     loss = loss_fn(out, yb)
    ...     loss.backward(retain_grads=False, retain_graph=False)
    ...     nn.clip_grad_norm(model.parameters(), max_norm=1.0)
    ...     optimizer.step()
    ...     return loss.item(), out.data
    >>> X, y = nn.data.make_xor(8, seed=0)
    >>> model = nn.MLP(2, [8, 2], seed=0)
    >>> h = nn.fit(model, X, y, 'cross_entropy', nn.optim.SGD(model.parameters(), lr=0.1),
    ...            epochs=2, verbose=False, train_step=clipped_step)
    """
    optimizer.zero_grad()
    out = model(xb)
    loss = loss_fn(out, yb)
    loss.backward(retain_grads=False, retain_graph=False)    # keep leaf gradients, free the rest
    optimizer.step()
    return loss.item(), out.data


_default_step = train_step


def compiled_train_step(model: Module) -> TrainStep:
    """A `train_step` run as one compiled program (`autograd.compile`, recorded once per
    batch shape): `train_step`'s zero_grad, forward, loss, backward and update, replayed on
    every call. What `fit(..., compile=True)` uses. An optimiser of your own (one that is not
    an `nn.optim.Optimizer`, or overrides its `step()`) may run Python a program cannot
    replay, so with it only the forward and the loss are compiled, and backward and step
    run as in `train_step`."""
    def whole_step(xb: Value, yb: np.ndarray, loss_fn: Callable[..., Value],
                   optimizer: Any) -> tuple:
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward(retain_grads=False, retain_graph=False)
        optimizer.step()
        return loss, out

    def loss_and_outputs(xb: Value, yb: np.ndarray, loss_fn: Callable[..., Value]) -> tuple:
        out = model(xb)
        return loss_fn(out, yb), out
    whole, forward = compile_function(whole_step), compile_function(loss_and_outputs)

    def step(model: Module, xb: Value, yb: np.ndarray, loss_fn: Callable[..., Value],
             optimizer: Any) -> Tuple[float, Any]:
        if isinstance(optimizer, Optimizer) and type(optimizer).step is Optimizer.step:
            loss, out = whole(xb, yb, loss_fn, optimizer)
        else:
            optimizer.zero_grad()
            loss, out = forward(xb, yb, loss_fn)
            loss.backward(retain_grads=False, retain_graph=False)
            optimizer.step()
        return loss.item(), out.data
    return step


def _inputs(X: Any, dtype: np.dtype) -> Value:
    return Value(np.asarray(X, dtype=dtype), requires_grad=False)


def _loss_targets(y: np.ndarray, dtype: np.dtype, column: bool) -> np.ndarray:
    """Targets as the loss takes them: integer labels stay integers, real targets take the
    model's dtype, and with `column` the targets `(N,)` meet a single output column as
    `(N, 1)`."""
    y = y if y.dtype.kind in "iub" else y.astype(dtype)
    return y[:, None] if column else y


def _meets_column(y: np.ndarray, out_shape: Tuple[int, ...]) -> bool:
    return y.ndim == 1 and len(out_shape) == 2 and out_shape[1] == 1


def _probe(model: Module, X: np.ndarray) -> np.ndarray:
    """The model's evaluation-mode output for the first row of `X`, without a graph. When the
    model refuses that row, the error is the one it gives for the whole of `X`, so that it names
    the user's shape rather than the probe's."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            try:
                return np.asarray(model(_inputs(X[:1], model.dtype)).data)
            except (ValueError, TypeError) as probe_error:
                try:
                    model(_inputs(X, model.dtype))
                except (ValueError, TypeError) as error:
                    raise error from None
                raise probe_error
    finally:
        model.train(was_training)


def _check_targets(model: Module, loss_fn: Any, metrics: List[Tuple[str, MetricFn]],
                   X: np.ndarray, y: np.ndarray) -> bool:
    """Run the loss and the metrics once on every target before the first step (against one
    evaluation-mode output repeated for each row), so a bad label anywhere in the data fails
    before any parameter changes, not in the middle of an epoch. Returns whether the targets
    meet a single output column."""
    one = _probe(model, X)
    rows = np.broadcast_to(one, (len(y),) + one.shape[1:])
    column = _meets_column(y, rows.shape)
    with no_grad():
        loss_fn(Value(rows, requires_grad=False), _loss_targets(y, model.dtype, column))
    for _, fn in metrics:
        fn(rows, y)
    return column


@dataclass
class _Plan:
    """What `fit` checked and set up before training: the data, its split and batching."""

    X: np.ndarray
    y: np.ndarray
    validation: Optional[Tuple[np.ndarray, np.ndarray]]
    batch_size: int
    column: bool
    metrics: List[Tuple[str, MetricFn]]
    terminate_on_nan: bool


def _plan(model: Module, X: Any, y: Any, loss_fn: Any, epochs: int, batch_size: Optional[int],
          validation_data: Optional[Tuple[Any, Any]], validation_split: float,
          metrics: Sequence[Metric], callbacks: List[Any], train_step: Any,
          terminate_on_nan: bool) -> _Plan:
    """Every check of `fit`'s arguments and data, all before any parameter changes."""
    checks.non_negative_int(epochs, "epochs", "fit")
    batch_size = checks.optional_positive_int(batch_size, "batch_size", "fit")
    validation_split = checks.finite_float(validation_split, "validation_split", "fit", 0.0, 1.0,
                                           high_open=True)
    if not callable(train_step):
        raise TypeError(f"fit: train_step must be a function (model, xb, yb, loss_fn, "
                        f"optimizer) -> (loss, outputs), got {type(train_step).__name__}")
    named = [get_metric(m, loss_fn) for m in metrics]
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} rows but y has {len(y)}")
    if len(X) == 0:
        raise ValueError("fit: X and y are empty; there is nothing to train on")
    checks.finite_array(X, "X", "fit")
    checks.finite_array(y, "y", "fit")
    validation = None
    if validation_data is not None:
        validation = (np.asarray(validation_data[0]), np.asarray(validation_data[1]))
        checks.finite_array(validation[0], "validation X", "fit")
        checks.finite_array(validation[1], "validation y", "fit")
    column = _check_targets(model, loss_fn, named, X, y)
    if validation is not None:
        _check_targets(model, loss_fn, named, *validation)
    elif validation_split:
        cut = len(X) - int(round(len(X) * validation_split))
        if cut <= 0 or cut >= len(X):
            raise ValueError(f"fit: validation_split {validation_split} of {len(X)} samples "
                             "leaves one side empty")
        X, y, validation = X[:cut], y[:cut], (X[cut:], y[cut:])
    keys = ["loss"] + [name for name, _ in named]
    if validation is not None:
        keys += [f"val_{k}" for k in keys]
    check_monitors(callbacks, keys)
    size = len(X) if batch_size is None else batch_size
    return _Plan(X, y, validation, size, column, named, bool(terminate_on_nan))


def _step_result(result: Any) -> Tuple[float, np.ndarray]:
    """(loss, outputs) from what a train_step returned, refused clearly when malformed."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"fit: train_step must return (loss, outputs), got "
                        f"{type(result).__name__}")
    loss, out = result
    return float(loss), np.asarray(out.data if isinstance(out, Value) else out)


def fit(model: Module, X: Any, y: Any, loss: Any, optimizer: Any, epochs: int = 10,
        batch_size: Optional[int] = 32, validation_data: Optional[Tuple[Any, Any]] = None,
        validation_split: float = 0.0, shuffle: bool = True, seed: Any = None,
        metrics: Sequence[Metric] = ("accuracy",), callbacks: Iterable[Callback] = (),
        verbose: Any = True, stream: Optional[TextIO] = None,
        train_step: TrainStep = train_step, terminate_on_nan: bool = True,
        compile: bool = False) -> History:
    """Train `model` on `(X, y)` with mini-batches and return the `History` of the run.

    `loss` is a callable `(outputs, targets) -> Value` or a loss name; `batch_size=None`
    uses the whole set. Targets of shape `(N,)` are given to the loss as `(N, 1)` when the
    model has a single output column. `validation_split` holds out the last fraction of the
    data (before shuffling). Every argument and every target is checked before the first
    step: sizes and counts must be ints (nothing is rounded), the data finite (NaN or
    infinite entries are refused, as by `evaluate`, `predict`, `load` and the plots), and a
    shape error names the shape of `X`. Each batch goes through `train_step` (see
    `nn.train_step` to write your own); with `compile=True` each step's forward, loss and
    backward run as one compiled program (`autograd.compile`: the same numbers, recorded once
    per batch shape, faster for models of many small ops). With `terminate_on_nan` (the
    default, Keras's TerminateOnNaN) a NaN or infinite batch loss stops training with a
    FloatingPointError naming the epoch and batch; the History keeps the finished epochs, and
    the parameters are those of the step that diverged. The display writes one line per epoch
    (updated in place on a terminal) to `stream` (stdout by default); `verbose=False` silences
    it. The History returned is the first one in `callbacks`, else a new one.

    >>> import nn
    >>> X, y = nn.data.make_xor(4, seed=0)
    >>> model = nn.MLP(2, [8, 2], seed=0)
    >>> h = nn.fit(model, X, y, 'cross_entropy', nn.optim.Adam(model.parameters(), 0.05),
    ...            epochs=3, verbose=False)
    >>> sorted(h.history)
    ['accuracy', 'loss']
    """
    loss_fn = get_loss(loss)
    callbacks = list(callbacks)
    if not isinstance(compile, bool):
        raise TypeError(f"fit: compile must be True or False, got {compile!r}")
    if compile:
        if train_step is not _default_step:
            raise ValueError("fit: give compile=True or your own train_step, not both (compile "
                             "your step yourself with autograd.compile)")
        train_step = compiled_train_step(model)
    plan = _plan(model, X, y, loss_fn, epochs, batch_size, validation_data, validation_split,
                 metrics, callbacks, train_step, terminate_on_nan)
    history = next((cb for cb in callbacks if isinstance(cb, History)), None)
    if history is None:
        history = History()
        callbacks.insert(0, history)
    progress = _Progress(epochs, math.ceil(len(plan.X) / plan.batch_size), verbose, stream)
    rng = as_generator(seed)
    for cb in callbacks:
        cb.on_train_begin(model)
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            logs = _train_epoch(model, plan, loss_fn, optimizer, train_step, epoch,
                                batches(plan.X, plan.y, plan.batch_size, shuffle, rng), progress)
            if plan.validation is not None:
                scores = evaluate(model, *plan.validation, loss_fn, metrics, batch_size=None)
                logs.update({f"val_{k}": v for k, v in scores.items()})
            progress.epoch(epoch, time.perf_counter() - start, logs)
            if any([cb.on_epoch_end(epoch, logs) for cb in callbacks]):
                break
    finally:
        model.train()
    for cb in callbacks:
        cb.on_train_end()
    return history


def _train_epoch(model: Module, plan: _Plan, loss_fn: Any, optimizer: Any, step: TrainStep,
                 epoch: int, data: Iterable[Tuple[np.ndarray, np.ndarray]],
                 progress: _Progress) -> Dict[str, float]:
    """One pass of `step` over the batches; the logs: the mean loss and the metrics."""
    model.train()
    total, count, outputs, targets = 0.0, 0, [], []
    for done, (xb, yb) in enumerate(data, 1):
        batch_loss, out = _step_result(step(model, _inputs(xb, model.dtype),
                                            _loss_targets(yb, model.dtype, plan.column),
                                            loss_fn, optimizer))
        if plan.terminate_on_nan and not math.isfinite(batch_loss):
            raise FloatingPointError(_diverged(batch_loss, epoch, done, progress, optimizer))
        total += batch_loss * len(xb)
        count += len(xb)
        outputs.append(out)
        targets.append(yb)
        progress.batch(epoch, done, total / count)
    logs = {"loss": total / max(count, 1)}
    if plan.metrics and outputs:
        pred, truth = np.concatenate(outputs), np.concatenate(targets)
        logs.update({name: float(fn(pred, truth)) for name, fn in plan.metrics})
    return logs


def _diverged(loss: float, epoch: int, batch: int, progress: _Progress, optimizer: Any) -> str:
    """The message of a run stopped by a NaN or infinite loss: where (1-based, as the progress
    lines count) and what to do."""
    lr = getattr(optimizer, "lr", None)
    rate = f" (it is {lr:g})" if isinstance(lr, float) else ""
    return (f"fit: the loss became {loss} at epoch {epoch + 1}/{progress.epochs}, batch "
            f"{batch}/{progress.n_batches}, so training stopped; lower the learning rate{rate}")


def evaluate(model: Module, X: Any, y: Any, loss: Any,
             metrics: Sequence[Metric] = ("accuracy",), batch_size: Optional[int] = None
             ) -> Dict[str, float]:
    """Loss and metrics of `model` on `(X, y)` in evaluation mode, without recording a graph.

    Returns a dict such as `{'loss': 0.12, 'accuracy': 0.97}`. `batch_size` is a positive int,
    or None for all of `X` at once; NaN or infinite entries in `X` or `y` are refused.
    """
    loss_fn = get_loss(loss)
    named = [get_metric(m, loss_fn) for m in metrics]
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"evaluate: X has {len(X)} rows but y has {len(y)}")
    checks.finite_array(y, "y", "evaluate")
    pred = _predict(model, X, batch_size, "evaluate")
    with no_grad():
        targets = _loss_targets(y, model.dtype, _meets_column(y, pred.shape))
        value = loss_fn(Value(pred, requires_grad=False), targets)
    out = {"loss": float(value.item())}
    for name, fn in named:
        out[name] = float(fn(pred, y))
    return out


def predict(model: Module, X: Any, batch_size: Optional[int] = None) -> np.ndarray:
    """The model's outputs for `X` as a numpy array (evaluation mode, no graph), computed
    `batch_size` rows at a time (a positive int; None: all at once). NaN or infinite entries
    in `X` are refused."""
    return _predict(model, X, batch_size, "predict")


def _predict(model: Module, X: Any, batch_size: Optional[int], caller: str) -> np.ndarray:
    """`predict`, with errors in the name of `caller`."""
    size = checks.optional_positive_int(batch_size, "batch_size", caller)
    X = np.asarray(X)
    checks.finite_array(X, "X", caller)
    size = len(X) if size is None else size
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            parts = [np.asarray(model(_inputs(X[i:i + size], model.dtype)).data)
                     for i in range(0, len(X), max(size, 1))]
    finally:
        model.train(was_training)
    return np.concatenate(parts) if parts else np.zeros((0,), dtype=model.dtype)
