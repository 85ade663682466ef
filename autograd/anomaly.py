"""Anomaly mode: find the op where a NaN or an Inf first appears, forward or backward.

Inside `detect_anomaly()` every op checks its output and every VJP its result; the first
non-finite number raises `FloatingPointError` naming the op, its input shapes, which input or
output went bad, and the line of user code that created the node. The line is recorded only in
this mode, so ordinary runs pay nothing but one flag read per op.
"""
from __future__ import annotations

import linecache
import math
import sys
import weakref
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from autograd.grad_mode import ANOMALY, switch
from autograd.value import Value

# Top-level packages whose frames are not "user code": the engine's own, and those that
# register themselves (libraries built on it, such as nn) with `hide_frames_of`.
_ENGINE = __name__.partition(".")[0]
_library_packages = {_ENGINE}
# id(node) -> (weak reference to node, creation line); entries leave when their node dies.
# (A WeakKeyDictionary would compare Values with ==, which returns arrays.)
_origins: Dict[int, Tuple[Any, str]] = {}


def hide_frames_of(package: str) -> None:
    """Treat frames of `package` (a top-level package built on autograd) as library code, so
    anomaly reports name the line of user code that called into it."""
    _library_packages.add(package.partition(".")[0])


def detect_anomaly(fn: Optional[Callable] = None) -> Any:
    """Check every op and every gradient for NaN/Inf and raise at the first one:
    `with detect_anomaly():`, `@detect_anomaly()` or `@detect_anomaly`.

    >>> with detect_anomaly():
    ...     Value(-1.0).log()
    Traceback (most recent call last):
    FloatingPointError: anomaly in op 'log' (forward): ...
    """
    return switch(ANOMALY, True, fn)


def _finite(x: Any) -> bool:
    if isinstance(x, Value):
        x = x.data
    if type(x) is float:
        return math.isfinite(x)
    return bool(np.isfinite(x).all()) if isinstance(x, np.ndarray) else True


def _user_line() -> str:
    """Where user code called into the library: the first frame outside autograd and the
    packages registered with `hide_frames_of` (and, when different, the innermost frame
    outside autograd)."""
    frame: Optional[Any] = sys._getframe(1)
    inner = None
    while frame is not None:
        package = frame.f_globals.get("__name__", "").partition(".")[0]
        if inner is None and package != _ENGINE:
            inner = frame
        if package not in _library_packages:
            break
        frame = frame.f_back
    where = _describe_frame(frame) if frame is not None else "(no user frame)"
    if inner is not None and inner is not frame:
        where += f", via {_describe_frame(inner)}"
    return where


def _describe_frame(frame: Any) -> str:
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return (f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
            + (f": {code}" if code else ""))


def _shapes(raws: Any) -> str:
    return ", ".join(str(r.shape if isinstance(r, Value) else np.shape(r)) for r in raws)


def check_forward(op: Any, raws: list, out: Any, node: Any) -> None:
    """Raise if an input or the output of `op` is non-finite; remember where `node` was made."""
    bad = [i for i, r in enumerate(raws) if not _finite(r)]
    if bad:
        raise FloatingPointError(
            f"anomaly in op '{op.name}' (forward): input {bad[0]} contains NaN or Inf before "
            f"the op ran (input shapes {_shapes(raws)}); it came from data or a constant. "
            f"Created at {_user_line()}")
    if not _finite(out):
        raise FloatingPointError(
            f"anomaly in op '{op.name}' (forward): finite inputs gave a NaN or Inf output "
            f"(input shapes {_shapes(raws)}). Created at {_user_line()}")
    if node is not None and node.requires_grad:
        key = id(node)
        _origins[key] = (weakref.ref(node, lambda _, key=key: _origins.pop(key, None)),
                         _user_line())


def check_backward(node: Any, argnum: int, gradient: Any, upstream: Any) -> None:
    """Raise if the VJP of `node` for input `argnum` turned a finite gradient non-finite."""
    if _finite(gradient) or not _finite(upstream):
        return
    ref, origin = _origins.get(id(node), (None, ""))
    if ref is None or ref() is not node:
        origin = "an unknown line (the node was built outside detect_anomaly())"
    raise FloatingPointError(
        f"anomaly in op '{node.op}' (backward): the gradient for input {argnum} became NaN or "
        f"Inf from a finite upstream gradient (input shapes {_shapes(node.parents)}, output "
        f"shape {node.shape}). The node was created at {origin}")
