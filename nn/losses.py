"""Loss functions, each with `reduction='mean' | 'sum' | 'none'`, matching PyTorch's values
and gradients for the functions of the same names; the few differences are noted on each
function ('mean' of an empty batch raises where PyTorch gives nan)."""
from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Value
from autograd.tape import check_values
from autograd.vjp_source import register
from nn.functional import log_softmax, softplus
from nn.losses_source import xent_forward, xent_vjp
from nn.lookup import by_name

_REDUCTIONS = ("mean", "sum", "none")


def _data(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Value) else x)


def _check_reduction(size: int, reduction: str, name: str) -> None:
    """A known reduction, and no mean of nothing."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {', '.join(_REDUCTIONS)}, "
                         f"got {reduction!r}")
    if reduction == "mean" and size == 0:
        raise ValueError(f"{name}: cannot average the loss of an empty batch (no rows); "
                         "give at least one sample, or use reduction='sum'")


def _reduce(loss: Any, reduction: str, name: str) -> Any:
    _check_reduction(np.size(_data(loss)), reduction, name)
    if reduction == "mean":
        return ag.mean(loss)
    return ag.sum(loss) if reduction == "sum" else loss


def _same_shape(a: Any, b: Any, name: str) -> None:
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    if _data(b).dtype.kind not in "biuf":
        raise TypeError(f"{name}: targets must be numbers, got an array of dtype "
                        f"{_data(b).dtype}")
    if sa != sb:
        raise ValueError(f"{name}: predictions have shape {sa} but targets have shape {sb}; "
                         "reshape one of them (a (N, 1) output against (N,) targets would "
                         "silently broadcast to (N, N))")


def _as_target(t: Any, like: Any) -> Any:
    """Targets as data of the predictions' dtype (Values pass unchanged)."""
    if isinstance(t, Value):
        return t
    return np.asarray(t, dtype=np.result_type(_data(like).dtype, np.float32))


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error: (pred - target)^2.

    >>> float(mse_loss(Value([1.0, 3.0]), [0.0, 0.0]).data)
    5.0
    """
    _same_shape(pred, target, "mse_loss")
    d = pred - _as_target(target, pred)
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean absolute error: |pred - target|."""
    _same_shape(pred, target, "l1_loss")
    return _reduce(ag.abs(pred - _as_target(target, pred)), reduction, "l1_loss")


def huber_loss(pred: Any, target: Any, delta: float = 1.0, reduction: str = "mean") -> Any:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta/2), with d = pred - target."""
    _same_shape(pred, target, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = pred - _as_target(target, pred)
    small = np.abs(_data(d)) < delta
    loss = ag.where(small, d * d * 0.5, (ag.abs(d) - 0.5 * delta) * delta)
    return _reduce(loss, reduction, "huber_loss")


def _bce_forward(p: Any, t: Any) -> Any:
    with np.errstate(divide="ignore"):                 # log 0 = -inf, then clamped to -100
        return -(t * np.maximum(np.log(p), -100.0)
                 + (1.0 - t) * np.maximum(np.log1p(-p), -100.0))


def _bce_vjp_p(g: Any, ans: Any, p: Any, t: Any) -> Any:
    return g * (p - t) / ag.maximum(p * (1.0 - p), 1e-12)    # PyTorch's clamped derivative


def _bce_vjp_t(g: Any, ans: Any, p: Any, t: Any) -> Any:
    with np.errstate(divide="ignore"):
        return -g * (ag.maximum(ag.log(p), -100.0) - ag.maximum(ag.log1p(-p), -100.0))


_bce_op = ag.Op("binary_cross_entropy", _bce_forward, _bce_vjp_p, _bce_vjp_t)


def binary_cross_entropy(probs: Any, targets: Any, reduction: str = "mean") -> Any:
    """-(t max(log p, -100) + (1 - t) max(log(1 - p), -100)) for probabilities p in [0, 1].

    Like PyTorch, each log term is clamped at -100 (so p = 0 or 1 gives a finite loss) and
    the gradient for p is (p - t) / max(p (1 - p), 1e-12), nonzero even at p = 0 or 1. Targets
    given as Values get the exact gradient of this value, -(max(log p, -100) -
    max(log(1 - p), -100)) (PyTorch leaves the log terms unclamped there). Prefer
    `binary_cross_entropy_with_logits`, which is stable without any clamping.
    """
    _same_shape(probs, targets, "binary_cross_entropy")
    check_values(_check_probabilities, probs)
    check_values(_check_binary_targets, targets, "binary_cross_entropy")
    loss = _bce_op(probs, _as_target(targets, probs))
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of sigmoid(logits), computed stably as softplus(z) - t z."""
    _same_shape(logits, targets, "binary_cross_entropy_with_logits")
    check_values(_check_binary_targets, targets, "binary_cross_entropy_with_logits")
    t = _as_target(targets, logits)
    return _reduce(softplus(logits) - t * logits, reduction, "binary_cross_entropy_with_logits")


def _check_probabilities(probs: Any) -> None:
    p = _data(probs)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("binary_cross_entropy: probabilities must lie in [0, 1]; for raw "
                         "scores use binary_cross_entropy_with_logits")


def _check_binary_targets(targets: Any, name: str) -> None:
    t = _data(targets)
    if t.size and not np.all((t >= 0) & (t <= 1)):
        raise ValueError(f"{name}: targets must lie in [0, 1] (0/1 labels or probabilities), "
                         f"got values from {t.min()} to {t.max()}; map -1/+1 labels with "
                         "(y + 1) / 2")


def _out_of_range(labels: np.ndarray, classes: int) -> bool:
    """Whether a label is negative or >= classes, in one reduction where it can be: seen as
    unsigned, a negative label is at least 2 ** (bits - 1), beyond every class count up to
    that (more classes than a signed label can name: only a negative one is out of range)."""
    if not labels.dtype.isnative:
        labels = labels.astype(labels.dtype.newbyteorder("="))
    if labels.dtype.kind == "i" and classes > 1 << (8 * labels.dtype.itemsize - 1):
        return bool(np.minimum.reduce(labels) < 0)
    return bool(np.maximum.reduce(labels.view(_UNSIGNED[labels.dtype.itemsize])) >= classes)


_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def _check_labels(labels: np.ndarray, n: int, classes: int, name: str) -> None:
    if labels.dtype.kind not in "iu":
        raise ValueError(f"{name}: class labels must be integers, got dtype {labels.dtype} "
                         "(cast with .astype(int), or give probability rows of shape "
                         f"({n}, {classes}))")
    if labels.shape != (n,):
        raise ValueError(f"{name}: expected {n} labels (shape ({n},)) for {n} rows of scores, "
                         f"got shape {labels.shape}")
    if labels.size and _out_of_range(labels, classes):
        raise ValueError(f"{name}: labels must lie in 0..{classes - 1} for {classes} classes, "
                         f"got values from {labels.min()} to {labels.max()}")


def nll_loss(log_probs: Any, targets: Any, reduction: str = "mean") -> Any:
    """Negative log-likelihood of integer labels given log-probability rows `(N, C)`."""
    shape = np.shape(_data(log_probs))
    if len(shape) != 2:
        raise ValueError(f"nll_loss: expected log-probabilities of shape (N, C), got {shape}")
    labels = _data(targets)
    check_values(_check_labels, labels, shape[0], shape[1], "nll_loss")
    picked = ag.getitem(log_probs, (np.arange(shape[0]), labels))
    return _reduce(-picked, reduction, "nll_loss")


def _labelled_xent(logits: np.ndarray, labels: np.ndarray, reduction: str) -> Any:
    """Per-row logsumexp(z) - z[label], shifted by the row maximum (stable for any logits),
    then reduced."""
    # ufunc.reduce is what ndarray.max and .sum call, minus a Python layer: this op runs on
    # every training step.
    shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)
    rows = np.log(np.add.reduce(np.exp(shifted), axis=1)) - shifted[np.arange(len(labels)),
                                                                     labels]
    if reduction == "none":
        return rows
    total = np.add.reduce(rows)         # (sum / n is numpy's mean, without its Python layer)
    return total / len(rows) if reduction == "mean" else total


def _labelled_xent_vjp(g: Any, ans: Any, logits: Any, labels: np.ndarray, reduction: str) -> Any:
    """d/dz of logsumexp(z) - z[label] is softmax(z) - onehot(label), per row, times the
    upstream gradient: g per row ('none'), g / N ('mean') or g ('sum')."""
    z = logits.data if isinstance(logits, Value) else logits
    # Shifting by the row maximum (a constant) changes no probability and no derivative.
    # Methods and indexing (e.sum, g[:, None]) serve raw arrays and Values alike, so the
    # ordinary backward pass runs plain numpy.
    e = ag.exp(logits - np.maximum.reduce(z, axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    onehot = np.zeros(z.shape, dtype=z.dtype)
    onehot[np.arange(len(labels)), labels] = 1
    scale = g[:, None] if reduction == "none" else (g / len(labels) if reduction == "mean"
                                                     else g)
    return (probs - onehot) * scale


# One node instead of the composite's six (max-shift, logsumexp, subtract, pick, negate,
# reduce): the usual classification loss is the hottest part of a small model's step, and a
# one-node loss reads better in drawings.
_softmax_cross_entropy = ag.Op("cross_entropy", _labelled_xent, _labelled_xent_vjp)
register(_softmax_cross_entropy, forward=xent_forward, vjp=xent_vjp)    # compiled as source


def cross_entropy(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy from raw scores `(N, C)`, stable for any scores.

    `targets` are integer class labels `(N,)` (one fused op) or probability rows `(N, C)`
    (through log-softmax).

    >>> round(float(cross_entropy(Value([[0.0, 0.0]]), np.array([1])).data), 4)
    0.6931
    """
    shape = np.shape(_data(logits))
    if len(shape) != 2:
        raise ValueError(f"cross_entropy: expected scores of shape (N, C), got {shape}")
    t = _data(targets)
    if t.dtype.kind == "f" and t.ndim == 2:
        if t.shape != shape:
            raise ValueError(f"cross_entropy: probability targets have shape {t.shape} but the "
                             f"scores have shape {shape} (rows and classes must agree)")
        target = targets if isinstance(targets, Value) else t.astype(
            np.result_type(_data(logits).dtype, np.float32), copy=False)
        logp = log_softmax(logits, axis=-1)
        return _reduce(-(logp * target).sum(axis=-1), reduction, "cross_entropy")
    check_values(_check_labels, t, shape[0], shape[1], "cross_entropy")
    _check_reduction(shape[0], reduction, "cross_entropy")
    return _softmax_cross_entropy(logits, labels=t, reduction=reduction)


def hinge_loss(scores: Any, targets: Any, reduction: str = "mean") -> Any:
    """max(0, 1 - t s) for labels t in {-1, +1}: micrograd's max-margin loss."""
    _same_shape(scores, targets, "hinge_loss")
    check_values(_check_signs, targets)
    t = _data(targets)
    return _reduce(ag.relu(1.0 - scores * _as_target(t, scores)), reduction, "hinge_loss")


def _check_signs(labels: Any) -> None:
    t = _data(labels)
    if not np.all((t == 1) | (t == -1)):
        raise ValueError("hinge_loss: labels must be -1 or +1 (map 0/1 labels with 2*y - 1)")


def _check_nonnegative(probs: Any) -> None:
    if np.any(_data(probs) < 0):
        raise ValueError("kl_div: target probabilities must be >= 0 (for log-probabilities "
                         "pass log_target=True)")


def kl_div(input: Any, target: Any, reduction: str = "mean", log_target: bool = False) -> Any:
    """KL divergence with PyTorch's convention: `input` holds log-probabilities, `target`
    probabilities (or log-probabilities when `log_target`); pointwise t (log t - input).

    'mean' averages over every element as PyTorch does; 'batchmean' divides the sum by the
    batch size, which is the mathematical KL divergence per sample. Where a target
    probability is 0 its term is 0 and so is its gradient for the target (PyTorch's is nan).
    """
    _same_shape(input, target, "kl_div")
    if not log_target:
        check_values(_check_nonnegative, target)
    t = _as_target(target, input)
    if log_target:
        loss = ag.exp(t) * (t - input)
    else:
        positive = _data(t) > 0
        safe = ag.where(positive, t, 1.0)                  # t log t is 0 where t == 0
        loss = ag.where(positive, t * (ag.log(safe) - input), 0.0)
    if reduction == "batchmean":
        shape = np.shape(_data(input))
        return ag.sum(loss) / float(shape[0] if shape else 1)
    return _reduce(loss, reduction, "kl_div")


LOSSES = {"mse": mse_loss, "mse_loss": mse_loss, "l1": l1_loss, "l1_loss": l1_loss,
          "huber": huber_loss, "huber_loss": huber_loss,
          "binary_cross_entropy": binary_cross_entropy,
          "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
          "cross_entropy": cross_entropy, "nll": nll_loss, "nll_loss": nll_loss,
          "hinge": hinge_loss, "hinge_loss": hinge_loss, "kl_div": kl_div}


def get_loss(loss: Any) -> Any:
    """Resolve a loss given by name (any case) or as a callable `(pred, target) -> Value`."""
    return by_name(loss, LOSSES, "loss")
