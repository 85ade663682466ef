"""Gradient health: the one rule that says whether a gradient looks right.

`nn.gradient_report` judges every parameter of a model with it and the drawings of
`visualize` judge every node, so a parameter gets the same verdict in both. The rule looks at
a gradient's L2 norm (its absolute value for a scalar):

- `none`: there is no gradient (no backward pass reached the value, or it was not kept);
- `nan`: the gradient or the value holds a NaN or an infinity;
- `dead_relu`: at least `DEAD` of the ReLU units the value feeds output 0 for every sample of
  the batch, so no gradient flows back through them;
- `exploding`: the norm is above `EXPLODING`, or, for a parameter trained with a learning
  rate, one plain gradient-descent step (lr x norm) would be larger than the parameter;
- `vanishing`: the norm is 0 or below `VANISHING` times the `reference`, the largest gradient
  norm of any parameter (so it learns at least 10,000 times slower than the fastest one);
- `ok` otherwise.

This module knows nothing of modules or drawings: callers say what the parameters are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Tuple

import numpy as np

from autograd.value import Value

VANISHING = 1e-4
EXPLODING = 1e6
EXPLODING_STEP = 1.0
DEAD = 0.25

KINDS = ("ok", "none", "nan", "dead_relu", "exploding", "vanishing")
FLAGS = ("nan", "dead_relu", "exploding", "vanishing")
RULES = {
    "ok": "healthy: none of the rules below",
    "none": "no gradient: backward() did not reach the value or did not keep its gradient",
    "nan": "NaN or Inf in the gradient or the value",
    "dead_relu": f"dead ReLU: at least {DEAD:.0%} of its units output 0 for the whole batch",
    "exploding": f"exploding: norm above {EXPLODING:g}, or a step lr x norm larger than the "
                 "parameter",
    "vanishing": f"vanishing: norm 0 or below {VANISHING:g} x the largest parameter gradient "
                 "norm",
}


@dataclass(frozen=True)
class Verdict:
    """The judgement of one gradient: `kind` (one of KINDS), the gradient's `norm`, that norm
    relative to the reference, the update-to-weight ratio (None without a learning rate or
    for a value that is not a parameter) and the reason in words."""

    kind: str
    norm: float
    relative: float
    update_ratio: Optional[float]
    reason: str

    @property
    def flagged(self) -> bool:
        """True for the kinds that point at a problem (FLAGS)."""
        return self.kind in FLAGS


def norm(x: Any) -> float:
    """The L2 norm of a gradient or value in float64, scaled so that huge finite entries do
    not overflow; NaN if any entry is NaN or infinite.

    >>> norm(np.array([3.0, -4.0])), norm(-2.0), norm(np.array([1e300, 1e300])) > 1e300
    (5.0, 2.0, True)
    """
    if isinstance(x, Value):
        x = x.data
    if type(x) is float:
        return abs(x) if math.isfinite(x) else math.nan
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return 0.0
    largest = float(np.max(np.abs(a)))
    if not math.isfinite(largest):
        return math.nan
    if largest == 0.0:
        return 0.0
    return largest * float(np.sqrt(np.sum(np.square(a / largest))))


def reference(grads: Iterable[Any]) -> float:
    """The largest finite norm among the gradients of the parameters (None entries are
    skipped); 0.0 when none has a gradient.

    >>> reference([None, 2.0, np.array([3.0, 4.0]), float('nan')])
    5.0
    """
    sizes = [norm(g) for g in grads if g is not None]
    return max((s for s in sizes if math.isfinite(s)), default=0.0)


def dead_units(output: Any) -> Tuple[int, int]:
    """(dead, total) units of a ReLU output: units along the last axis, samples along the
    others; a 0-d or 1-d output counts as one unit. A unit is dead when it outputs 0 for
    every sample.

    >>> dead_units(np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]]))
    (1, 3)
    """
    data = np.asarray(output.data if isinstance(output, Value) else output)
    if data.ndim < 2:
        return int(not np.any(data)), 1
    dead = ~np.any(data, axis=tuple(range(data.ndim - 1)))
    return int(np.sum(dead)), int(dead.size)


def check_learning_rate(lr: Optional[float], caller: str) -> Optional[float]:
    """`lr` as a float, or None; a negative, infinite or NaN rate raises ValueError."""
    if lr is None:
        return None
    rate = float(lr)
    if not (math.isfinite(rate) and rate >= 0.0):
        raise ValueError(f"{caller}: lr must be a finite number >= 0, got {lr}")
    return rate


def _nonfinite(x: Any) -> Optional[str]:
    """'NaN' or 'Inf' when `x` holds one (NaN first), else None."""
    a = np.asarray(x.data if isinstance(x, Value) else x)
    if a.dtype.kind != "f":
        return None
    if np.isnan(a).any():
        return "NaN"
    return "Inf" if np.isinf(a).any() else None


def judge(grad: Any, value: Any, reference: float, lr: Optional[float] = None,
          dead: Optional[Tuple[int, int]] = None, needs_grad: bool = True) -> Verdict:
    """The verdict on `grad`, the gradient of a value whose data is `value`.

    `reference` is the largest gradient norm of the parameters (see `reference`); `lr` is
    given for a parameter trained with that learning rate; `dead` is (dead, total) for the
    ReLU units the value feeds, when it feeds any; `needs_grad=False` marks a constant.

    >>> judge(1e-9, 1.0, reference=1.0).kind, judge(0.5, 1.0, 1.0, lr=10.0).kind
    ('vanishing', 'exploding')
    """
    if not needs_grad:
        return Verdict("none", math.nan, math.nan, None, "constant: needs no gradient")
    if grad is None:
        why = ("no gradient yet: call backward() on the loss first" if reference == 0.0 else
               "no gradient: backward() did not reach this value, or did not keep its "
               "gradient (backward(retain_grads=False) keeps only the leaves')")
        return Verdict("none", math.nan, math.nan, None, why)
    size = norm(grad)
    weight = norm(value)
    ratio = (lr * size / weight if lr is not None and weight > 0.0 and math.isfinite(size)
             else None)
    relative = size / reference if reference > 0.0 else math.nan
    for where, x in (("gradient", grad), ("value", value)):
        bad = _nonfinite(x)
        if bad:
            return Verdict("nan", size, math.nan, None, f"the {where} contains {bad}")
    shown = (f"gradient norm {size:.3g} = {relative:.3g} x the largest parameter gradient "
             f"norm" if reference > 0.0 else f"gradient norm {size:.3g}")
    if dead is not None and dead[1] and dead[0] / dead[1] >= DEAD:
        return Verdict("dead_relu", size, relative, ratio,
                       f"dead ReLU: {dead[0]} of {dead[1]} units output 0 for the whole batch, "
                       f"so no gradient flows back through them; {shown}")
    if size > EXPLODING:
        return Verdict("exploding", size, relative, ratio,
                       f"exploding gradient: norm above {EXPLODING:g}; {shown}")
    if ratio is not None and ratio > EXPLODING_STEP:
        return Verdict("exploding", size, relative, ratio,
                       f"exploding update: one step lr x norm = {lr * size:.3g} is larger than "
                       f"the parameter (norm {weight:.3g}); {shown}")
    if size == 0.0:
        return Verdict("vanishing", size, relative, ratio,
                       "zero gradient: no signal reaches this value")
    if size < VANISHING * reference:
        return Verdict("vanishing", size, relative, ratio,
                       f"vanishing gradient (below {VANISHING:g} x the largest parameter "
                       f"gradient norm): {shown}")
    return Verdict("ok", size, relative, ratio, shown)
