"""Gradient health: how large each gradient is next to the root's, and what looks wrong.

The size of a gradient is its largest absolute entry, divided by the largest absolute entry of
the root's gradient (the seed of the backward pass, usually 1). Below 1e-6 it is vanishing,
above 1e6 exploding; any NaN or Inf entry is flagged, and so is a ReLU with units that output
0 for every sample of the batch (no gradient flows through them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from autograd.value import Value

VANISHING = 1e-6
EXPLODING = 1e6

# Fill colours, from small to large relative gradients (upper bound of each band).
RAMP = ((1e-4, "#c6dbef"), (1e-2, "#c7e9c0"), (1.0, "#ffffcc"), (1e2, "#fed976"),
        (EXPLODING, "#fd8d3c"))
COLORS = {
    "vanishing": "#bdbdbd",
    "exploding": "#e7298a",
    "nan": "#ff4d4d",
    "inf": "#ff4d4d",
    "dead_relu": "#636363",
    "none": "#ffffff",
}
FLAGS = ("nan", "inf", "dead_relu", "exploding", "vanishing")


@dataclass(frozen=True)
class Health:
    """The verdict on one gradient: `kind` is 'ok', 'none' or one of FLAGS."""

    kind: str
    relative: float
    color: str
    reason: str

    @property
    def flagged(self) -> bool:
        return self.kind in FLAGS


def magnitude(x: Any) -> float:
    """Largest absolute entry (NaN if any entry is NaN, Inf if any is infinite)."""
    if type(x) is float:
        return abs(x)
    a = np.asarray(x)
    if a.size == 0:
        return 0.0
    if np.isnan(a).any():
        return math.nan
    return float(np.max(np.abs(a)))


def reference(root: Value) -> float:
    """The size of the root's gradient; 0 when no backward pass has reached it."""
    if root.grad is None:
        return 0.0
    g = magnitude(root.grad)
    return g if math.isfinite(g) else 0.0


def band_color(relative: float) -> str:
    """The ramp colour of a finite relative gradient size."""
    for upper, color in RAMP:
        if relative < upper:
            return color
    return COLORS["exploding"]


def dead_relu(node: Value) -> Optional[str]:
    """Why a ReLU output is dead for the whole batch, or None when it is not."""
    if node.op != "relu":
        return None
    data = node.data
    if type(data) is float or np.ndim(data) < 2:
        if np.all(np.asarray(data) == 0):
            return "dead ReLU: its output is 0 for every input, so no gradient flows back"
        return None
    dead = np.all(data == 0, axis=0)
    if not dead.any():
        return None
    return (f"dead ReLU: {int(dead.sum())} of {dead.size} units output 0 for all "
            f"{data.shape[0]} samples of the batch, so no gradient flows back through them")


def classify(node: Value, ref: float) -> Health:
    """Judge `node`'s gradient against the root's gradient size `ref`.

    >>> from autograd import Value
    >>> x = Value(1.0); y = x * 1e-9; y.backward()
    >>> classify(x, reference(y)).kind
    'vanishing'
    """
    if not node.requires_grad:
        return Health("none", math.nan, COLORS["none"], "constant: needs no gradient")
    if ref == 0.0:
        return Health("none", math.nan, COLORS["none"],
                      "no gradient yet: call backward() on the root first")
    if node.grad is None:
        return Health("none", math.nan, COLORS["none"],
                      "no gradient: the backward pass did not reach this value, or did not "
                      "keep its gradient (backward(retain_grads=False))")
    size = magnitude(node.grad)
    if math.isnan(size):
        return Health("nan", size, COLORS["nan"], "gradient contains NaN")
    if math.isinf(size):
        return Health("inf", size, COLORS["inf"], "gradient contains Inf")
    rel = size / ref
    shown = f"largest |grad| {size:.3g} = {rel:.3g} x the root's"
    dead = dead_relu(node)
    if dead:
        return Health("dead_relu", rel, COLORS["dead_relu"], f"{dead}; {shown}")
    if rel > EXPLODING:
        return Health("exploding", rel, COLORS["exploding"],
                      f"exploding gradient (above {EXPLODING:g} x the root's): {shown}")
    if rel < VANISHING:
        why = ("zero gradient: no signal reaches this value" if size == 0.0 else
               f"vanishing gradient (below {VANISHING:g} x the root's): {shown}")
        return Health("vanishing", rel, COLORS["vanishing"], why)
    return Health("ok", rel, band_color(rel), shown)
