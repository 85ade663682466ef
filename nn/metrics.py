"""From model outputs to classes, and the accuracy metric built on that one rule."""
from __future__ import annotations

import math
from typing import Any, Callable, Tuple, Union

import numpy as np

from nn.losses import binary_cross_entropy

MetricFn = Callable[[np.ndarray, np.ndarray], float]
Metric = Union[str, MetricFn]


def scores_to_classes(scores: Any, threshold: float = 0.0) -> np.ndarray:
    """The class each row of model outputs predicts, as int64 labels.

    Rows of `C >= 2` class scores `(N, C)` (logits, probabilities or regressions onto one-hot
    rows) give the index of the largest. One score per sample, `(N,)` or `(N, 1)`, is a
    binary decision: class 1 where the score is above `threshold`, else 0. The default 0 reads
    the score as a logit or a margin (`binary_cross_entropy_with_logits`, `hinge_loss`, a
    linear last layer); pass 0.5 for probabilities (a sigmoid output trained with
    `binary_cross_entropy`). NaN scores have no class and raise.

    >>> scores_to_classes(np.array([[0.1, 2.0], [3.0, -1.0]]))
    array([1, 0])
    >>> scores_to_classes(np.array([[-0.3], [0.4]])), scores_to_classes([0.3, 0.7], 0.5)
    (array([0, 1]), array([0, 1]))
    """
    s = np.asarray(scores)
    if s.dtype.kind not in "biuf" or s.ndim not in (1, 2) or (s.ndim == 2 and s.shape[1] == 0):
        raise ValueError(f"scores_to_classes: expected scores of shape (N, C) or (N,) as "
                         f"numbers, got shape {s.shape} and dtype {s.dtype}")
    if s.dtype.kind == "f" and np.isnan(s).any():
        raise ValueError(f"scores_to_classes: {int(np.isnan(s).sum())} score(s) are NaN and "
                         "predict no class; check the model for a diverged training run")
    if s.ndim == 2 and s.shape[1] > 1:
        return s.argmax(axis=1).astype(np.int64)
    return (s.reshape(-1) > threshold).astype(np.int64)


def _true_classes(y: np.ndarray, n_scores: int) -> np.ndarray:
    """Labels as classes for `accuracy`: label vectors, one-hot or probability rows (argmax),
    and for one score per sample 0/1 or -1/+1 labels (class 1 is the positive label)."""
    if n_scores > 1:
        if y.ndim == 2 and y.shape[1] == n_scores:
            return y.argmax(axis=1)
        if y.ndim == 1 and np.array_equal(y, np.round(y)):
            return y.astype(np.int64)
        raise ValueError(f"accuracy: with {n_scores} class scores per row the targets must be "
                         f"integer labels (N,) or rows (N, {n_scores}); got shape {y.shape}")
    t = y.reshape(-1)
    values = set(np.unique(t).tolist())
    if not (values <= {0, 1} or values <= {-1, 1}):
        shown = ", ".join(f"{v:g}" for v in sorted(values)[:4])
        raise ValueError(f"accuracy: one score per sample is a binary decision, so the labels "
                         f"must be 0/1 or -1/+1; got {shown}{', ...' if len(values) > 4 else ''}"
                         "; for a regression pass metrics=()")
    return (t > 0).astype(np.int64)


def accuracy(pred: Any, y: Any, threshold: float = 0.0) -> float:
    """Fraction of rows whose predicted class (`scores_to_classes(pred, threshold)`) is the
    label's: labels `(N,)`, one-hot or probability rows `(N, C)`, or for one score per sample
    0/1 or -1/+1 labels. NaN when a score is NaN (as the loss is then).

    `fit` and `evaluate` pick the threshold from the loss: 0.5 for `binary_cross_entropy`
    (probabilities), 0 for every other. For another, give them a metric function of your own
    that calls `accuracy(pred, y, threshold=...)`.

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    >>> accuracy(np.array([0.3, -0.1]), np.array([1, -1]))
    1.0
    """
    pred, y = np.asarray(pred), np.asarray(y)
    if pred.dtype.kind == "f" and np.isnan(pred).any():
        return math.nan
    predicted = scores_to_classes(pred, threshold)
    n_scores = pred.shape[1] if pred.ndim == 2 else 1
    truth = _true_classes(y, n_scores)
    if len(predicted) != len(truth):
        raise ValueError(f"accuracy: {len(predicted)} predictions for {len(truth)} labels")
    return float(np.mean(predicted == truth)) if len(truth) else math.nan


def _threshold_for(loss_fn: Any) -> float:
    """Where the 'accuracy' metric cuts one score per sample: 0.5 for the loss that takes
    probabilities, 0 (the sign of a logit or margin) for every other."""
    return 0.5 if loss_fn is binary_cross_entropy else 0.0


def get_metric(metric: Metric, loss_fn: Any = None) -> Tuple[str, MetricFn]:
    """`(name, fn(pred, y) -> float)` for a metric given by name ('accuracy' or 'acc', with
    the threshold `loss_fn` implies) or as a callable (named by its `__name__`).

    >>> name, fn = get_metric('acc')
    >>> name, fn(np.array([[0.2, 0.8]]), np.array([1]))
    ('accuracy', 1.0)
    """
    if isinstance(metric, str):
        if metric.lower() not in ("accuracy", "acc"):
            raise ValueError(f"unknown metric {metric!r}; use a callable or 'accuracy' ('acc')")
        threshold = _threshold_for(loss_fn)

        def accuracy_metric(pred: np.ndarray, y: np.ndarray) -> float:
            return accuracy(pred, y, threshold)

        return "accuracy", accuracy_metric
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    raise TypeError(f"a metric must be a name or a callable, got {type(metric).__name__}")
