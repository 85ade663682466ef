"""Compare analytic gradients with central finite differences: for a whole function
(`gradcheck`) and for each recorded op on its own (`check_ops`), so a wrong VJP is named."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

import numpy as np

from autograd import engine
from autograd.grad_mode import enable_grad, no_grad
from autograd.ops import sum_to
from autograd.value import Value, as_data


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences; `.findings` lists the ops
    whose VJPs disagree with their own forward (see `check_ops`)."""

    def __init__(self, message: str, findings: Optional[List["OpFinding"]] = None) -> None:
        super().__init__(message)
        self.findings = list(findings or [])


def gradcheck(f: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, gradient: Any = None, seed: int = 0, order: int = 1) -> bool:
    """Check d f / d input for every input against central differences in float64.

    `f` takes the inputs (numbers, arrays or Values) and returns a Value of any shape; a
    non-scalar output is contracted with `gradient` (a random array by default, fixed by
    `seed`), so every entry of the Jacobian takes part. Returns True or raises
    `GradcheckError` naming the input, the worst entry and both values, and the first op of
    the graph whose VJP disagrees with its own forward (found by `check_ops`).

    `order=2` checks second derivatives too, as HIPS autograd's `check_grads` does: along a
    random direction of each input in turn, the Hessian-vector product of the contracted
    output against central differences of the analytic gradient, so every block of the
    Hessian takes part. This finds VJPs that are right but wrong when differentiated again.

    >>> gradcheck(lambda x: (x * x).sum(), np.array([1.0, 2.0]))
    True
    >>> gradcheck(lambda x: x.tanh().sum(), np.array([0.5, -1.0]), order=2)
    True
    """
    if not (type(order) is int and order in (1, 2)):
        raise ValueError(f"gradcheck: order must be 1 (gradients) or 2 (gradients and "
                         f"second derivatives), got {order!r}")
    raw = [np.array(as_data(x), dtype=np.float64) for x in inputs]
    if any(np.result_type(as_data(x)) == np.float32 for x in inputs):
        warnings.warn("gradcheck: float32 inputs are checked in float64; finite differences "
                      "in float32 are too coarse to be meaningful", stacklevel=2)
    values = _values(raw)
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: the function must return a Value, got {type(out).__name__}")
    if gradient is None:            # a one-element output keeps the reported values its own
        gradient = (np.ones(out.shape) if out.size == 1
                    else np.random.default_rng(seed).standard_normal(out.shape))
    gradient = np.asarray(gradient, dtype=np.float64)

    def projected(args: list) -> float:
        with no_grad():
            y = f(*_values(args))
        return float(np.sum(np.asarray(y.data, dtype=np.float64) * gradient))

    analytic = engine.gradients(out, values, gradient=gradient)
    for index, (x, a) in enumerate(zip(raw, analytic)):
        numeric = np.zeros_like(x)
        for pos in np.ndindex(x.shape):
            shifted = [r.copy() for r in raw]
            shifted[index][pos] = x[pos] + eps
            up = projected(shifted)
            shifted[index][pos] = x[pos] - eps
            numeric[pos] = (up - projected(shifted)) / (2 * eps)
        a = np.broadcast_to(np.asarray(a, dtype=np.float64), x.shape)
        worst = _worst(a, numeric, atol, rtol)
        if worst is not None:
            findings = check_ops(out, eps=eps, atol=atol, rtol=rtol, seed=seed)
            raise GradcheckError(
                f"gradcheck: gradient of input {index} (shape {x.shape}) is wrong at index "
                f"{worst}: analytic {float(a[worst])!r}, numeric {float(numeric[worst])!r} "
                f"(atol={atol}, rtol={rtol}){_culprit(findings, _OUTSIDE)}", findings)
    if order == 2:
        _check_second_order(f, raw, gradient, eps, atol, rtol, seed)
    return True


def _values(raw: List[np.ndarray]) -> List[Value]:
    return [Value(r if r.ndim else float(r)) for r in raw]


def _worst(analytic: np.ndarray, numeric: np.ndarray, atol: float,
           rtol: float) -> Optional[tuple]:
    """The index where `analytic` is furthest outside tolerance of `numeric` (or differs in
    being finite); None when they agree everywhere."""
    error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if not np.any(error > 0) and np.all(np.isfinite(analytic) == np.isfinite(numeric)):
        return None
    if not analytic.ndim:
        return ()
    flat = np.nanargmax(np.where(np.isnan(error), np.inf, error))
    return tuple(int(i) for i in np.unravel_index(flat, analytic.shape))


def _culprit(findings: List["OpFinding"], outside: str) -> str:
    """The end of a failure report: the first wrong op, or where else to look."""
    if findings:
        return f"; the first op whose VJP is wrong: {findings[0]}"
    return (f"; every recorded op's VJP agrees with its own forward, so look for a step "
            f"outside the graph ({outside})")


_OUTSIDE = "data read through .data, or a non-differentiable point"
_UNDIFFERENTIABLE = ("a VJP computing on raw data, through .data or numpy, gives right "
                     "gradients that cannot be differentiated again: write it with operators "
                     "and ops; or a non-differentiable point")


def _check_second_order(f: Callable[..., Any], raw: List[np.ndarray], gradient: np.ndarray,
                        eps: float, atol: float, rtol: float, seed: int) -> None:
    """Check Hessian-vector products of sum(f(*raw) * gradient) against central differences
    of its analytic gradient, along a random direction of each input in turn."""
    def gradients(args: List[np.ndarray], create_graph: bool) -> Tuple[List[Value], List[Any]]:
        values = _values(args)
        return values, engine.gradients(f(*values), values, gradient=gradient,
                                        create_graph=create_graph)

    def wide(g: Any, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.asarray(as_data(g), dtype=np.float64), x.shape)

    values, slopes = gradients(raw, create_graph=True)
    rng = np.random.default_rng(seed)
    for moved, x_moved in enumerate(raw):
        direction = rng.standard_normal(x_moved.shape)
        slope = slopes[moved]
        if isinstance(slope, Value):        # else a constant: nothing reached it, or a VJP
            with enable_grad():             # computed it outside the graph (found below)
                root = (slope * direction).sum()
            analytic = engine.gradients(root, values)
        else:
            root, analytic = None, [np.zeros(x.shape) for x in raw]
        shifted = [list(raw), list(raw)]
        shifted[0][moved] = x_moved + eps * direction
        shifted[1][moved] = x_moved - eps * direction
        up, down = (gradients(args, create_graph=False)[1] for args in shifted)
        for index, x in enumerate(raw):
            a = wide(analytic[index], x)
            numeric = (wide(up[index], x) - wide(down[index], x)) / (2 * eps)
            worst = _worst(a, numeric, atol, rtol)
            if worst is not None:
                findings = ([] if root is None else
                            check_ops(root, eps=eps, atol=atol, rtol=rtol, seed=seed))
                raise GradcheckError(
                    f"gradcheck: second derivatives (order=2) by inputs {index} and {moved} "
                    f"are wrong: the Hessian-vector product along a random direction of input "
                    f"{moved} (seed={seed}), for input {index} (shape {x.shape}), differs at "
                    f"index {worst}: analytic {float(a[worst])!r}, numeric "
                    f"{float(numeric[worst])!r} from central differences of the gradient "
                    f"(atol={atol}, rtol={rtol}){_culprit(findings, _UNDIFFERENTIABLE)}",
                    findings)


@dataclass(frozen=True)
class OpFinding:
    """One op whose VJP disagrees with central differences of its own forward."""

    op: str
    node: Value
    input: int
    input_shapes: Tuple[tuple, ...]
    index: Optional[tuple]
    analytic: float
    numeric: float
    reason: str

    def __str__(self) -> str:
        shapes = ", ".join(str(s) for s in self.input_shapes)
        return f"op {self.op!r} (input shapes {shapes}): {self.reason}"


def check_ops(root: Value, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, max_entries: int = 256) -> List[OpFinding]:
    """Check every recorded op below `root` on its own: each VJP against central differences
    of that op's forward at the op's recorded inputs, in float64, with a random upstream
    gradient. Returns the failing ops (first in forward order first); empty when all agree.

    Inputs with at most `max_entries` entries are checked entry by entry (the finding names
    the worst one); larger inputs along three random directions. At kinks (relu at 0, tied
    maxima) any value between the one-sided derivatives is accepted.

    >>> from autograd import Op, Value
    >>> bad = Op('bad_square', lambda x: x * x, lambda g, ans, x: g * x)   # should be 2 g x
    >>> [f.op for f in check_ops(bad(Value(3.0)) + 1.0)]
    ['bad_square']
    """
    if not isinstance(root, Value):
        raise TypeError(f"check_ops: expected a Value, got {type(root).__name__}")
    rng = np.random.default_rng(seed)
    findings = []
    for node in (n for n in engine.topological_order(root) if n.parents):
        finding = _check_node(node, eps, atol, rtol, rng, max_entries)
        if finding is not None:
            findings.append(finding)
    return findings


def _wide(x: Any) -> Any:
    return x if type(x) is float else np.array(x, dtype=np.float64)


def _check_node(node: Value, eps: float, atol: float, rtol: float, rng: np.random.Generator,
                max_entries: int) -> Optional[OpFinding]:
    op = node._op
    raws = [_wide(p.data) for p in node.parents]
    attrs = node.attrs
    if isinstance(attrs.get("dtype"), np.dtype) and attrs["dtype"].kind == "f":
        attrs["dtype"] = np.dtype(np.float64)       # astype: differences need float64
    shapes = tuple(np.shape(r) for r in raws)

    def finding(i: int, index: Optional[tuple], a: float, n: float, reason: str) -> OpFinding:
        return OpFinding(op.name, node, i, shapes, index, a, n, reason)

    def projected(args: list) -> float:
        return float(np.sum(np.asarray(op.forward(*args, **attrs), dtype=np.float64) * g))

    with no_grad(), np.errstate(all="ignore"):
        ans = op.forward(*raws, **attrs)
        if not np.all(np.isfinite(ans)):
            return None                       # non-finite outputs: anomaly mode's business
        g = rng.standard_normal(np.shape(ans))
        g = float(g) if type(ans) is float else g
        base = projected(raws)
        for i, (p, x) in enumerate(zip(node.parents, raws)):
            if not p.requires_grad:
                continue
            try:
                a = op.vjp(i, g, ans, *raws, **attrs)
                a = _fitted(a, x)
            except Exception as exc:          # a user's VJP may fail in any way
                return finding(i, None, math.nan, math.nan,
                               f"the VJP for input {i} raised {type(exc).__name__}: {exc}")
            if np.size(x) <= max_entries:
                bad = _entrywise(projected, raws, i, x, a, base, eps, atol, rtol)
            else:
                bad = _directional(projected, raws, i, x, a, base, eps, atol, rtol, rng)
            if bad is not None:
                index, av, nv, where = bad
                return finding(i, index, av, nv,
                               f"the VJP for input {i} is wrong {where}: analytic {float(av)!r}, "
                               f"numeric {float(nv)!r} (atol={atol}, rtol={rtol})")
    return None


def _fitted(a: Any, x: Any) -> Any:
    """A VJP's result summed back to the input's shape, as the engine does."""
    if isinstance(a, Value):
        a = a.data
    if type(x) is float:
        return float(np.sum(a))
    a = np.asarray(a, dtype=np.float64)
    return a if a.shape == x.shape else np.asarray(sum_to(a, x.shape), dtype=np.float64)


def _disagree(a: float, central: float, up: float, down: float, atol: float,
              rtol: float) -> float:
    """How far `a` is outside tolerance of the central difference (<= 0: fine). A value
    between the one-sided differences is fine too: that is a subgradient at a kink."""
    if not math.isfinite(central):
        return -math.inf
    if not math.isfinite(a):
        return math.inf
    lo, hi = min(up, down), max(up, down)
    if lo - atol <= a <= hi + atol:
        return -math.inf
    return abs(a - central) - (atol + rtol * abs(central))


def _entrywise(projected: Callable, raws: list, i: int, x: Any, a: Any, base: float,
               eps: float, atol: float, rtol: float) -> Optional[tuple]:
    worst = None
    av = np.broadcast_to(np.asarray(a, dtype=np.float64), np.shape(x))
    for pos in np.ndindex(np.shape(x)):
        shifted = list(raws)
        if type(x) is float:
            up_x, down_x = x + eps, x - eps
        else:
            up_x, down_x = x.copy(), x.copy()
            up_x[pos] += eps
            down_x[pos] -= eps
        shifted[i] = up_x
        up = projected(shifted)
        shifted[i] = down_x
        down = projected(shifted)
        central = (up - down) / (2 * eps)
        score = _disagree(float(av[pos]), central, (up - base) / eps, (base - down) / eps,
                          atol, rtol)
        if score > 0 and (worst is None or score > worst[0]):
            worst = (score, pos, float(av[pos]), central)
    if worst is None:
        return None
    pos = tuple(int(k) for k in worst[1])
    return pos, worst[2], worst[3], f"at index {pos}" if pos else "(scalar input)"


def _directional(projected: Callable, raws: list, i: int, x: np.ndarray, a: np.ndarray,
                 base: float, eps: float, atol: float, rtol: float,
                 rng: np.random.Generator) -> Optional[tuple]:
    for _ in range(3):
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v)
        shifted = list(raws)
        shifted[i] = x + eps * v
        up = projected(shifted)
        shifted[i] = x - eps * v
        down = projected(shifted)
        central = (up - down) / (2 * eps)
        av = float(np.sum(a * v))
        if _disagree(av, central, (up - base) / eps, (base - down) / eps, atol, rtol) > 0:
            return None, av, central, "along a random unit direction"
    return None
