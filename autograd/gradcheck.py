"""Compare analytic gradients with central finite differences."""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from autograd import engine
from autograd.grad_mode import no_grad
from autograd.value import Value, as_data


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences."""


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, gradient: Any = None, seed: int = 0) -> bool:
    """Check d f / d input for every input against central differences in float64.

    `f` takes the inputs (numbers, arrays or Values) and returns a Value of any shape; a
    non-scalar output is contracted with `gradient` (a random array by default, fixed by
    `seed`), so every entry of the Jacobian takes part. Returns True or raises
    `GradcheckError` naming the input, the worst entry and both values.

    >>> gradcheck(lambda x: (x * x).sum(), np.array([1.0, 2.0]))
    True
    """
    raw = [np.array(as_data(x), dtype=np.float64) for x in inputs]
    if any(np.result_type(as_data(x)) == np.float32 for x in inputs):
        warnings.warn("gradcheck: float32 inputs are checked in float64; finite differences "
                      "in float32 are too coarse to be meaningful", stacklevel=2)
    values = [Value(r if r.ndim else float(r)) for r in raw]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: the function must return a Value, got {type(out).__name__}")
    if gradient is None:
        gradient = np.random.default_rng(seed).standard_normal(out.shape)
    gradient = np.asarray(gradient, dtype=np.float64)

    def projected(args: list) -> float:
        with no_grad():
            y = f(*[Value(a if a.ndim else float(a)) for a in args])
        return float(np.sum(np.asarray(y.data, dtype=np.float64) * gradient))

    analytic = (engine.gradients(out, values, gradient=gradient)
                if out.requires_grad else [0.0 for _ in values])
    for index, (x, a) in enumerate(zip(raw, analytic)):
        numeric = np.zeros_like(x)
        for pos in np.ndindex(x.shape):
            shifted = [r.copy() for r in raw]
            shifted[index][pos] = x[pos] + eps
            up = projected(shifted)
            shifted[index][pos] = x[pos] - eps
            numeric[pos] = (up - projected(shifted)) / (2 * eps)
        a = np.broadcast_to(np.asarray(a, dtype=np.float64), x.shape)
        error = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
        if np.any(error > 0) or not np.all(np.isfinite(a) == np.isfinite(numeric)):
            worst = np.unravel_index(np.nanargmax(np.where(np.isnan(error), np.inf, error)),
                                     x.shape) if x.ndim else ()
            raise GradcheckError(
                f"gradcheck: gradient of input {index} (shape {x.shape}) is wrong at index "
                f"{tuple(int(i) for i in worst)}: analytic {a[worst]!r}, numeric "
                f"{numeric[worst]!r} (atol={atol}, rtol={rtol})")
    return True
