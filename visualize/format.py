"""Text of the drawings: numbers, arrays, op labels, and DOT escaping."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

_RECORD_SPECIALS = "{}|<>\""
_MAX_OP_LABEL = 40


def escape_record(text: str) -> str:
    """Escape text for a field of a DOT record label (inside a double-quoted string).

    >>> escape_record('a{b}|"c"')
    'a\\\\{b\\\\}\\\\|\\\\"c\\\\"'
    """
    text = str(text).replace("\\", "\\\\").replace("\n", " ")
    for ch in _RECORD_SPECIALS:
        text = text.replace(ch, "\\" + ch)
    return text


def escape_string(text: str) -> str:
    """Escape text for a plain double-quoted DOT string (tooltips, graph labels)."""
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(x: float, precision: int) -> str:
    """A number in fixed notation in the everyday range, else in scientific notation.

    >>> number(2.0, 4), number(3.1e-08, 4), number(float('nan'), 4)
    ('2.0000', '3.100e-08', 'nan')
    """
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == 0.0 or 1e-3 <= abs(x) < 1e6:
        return f"{x:.{precision}f}"
    return f"{x:.{max(precision - 1, 0)}e}"


def numbers(x: Any, precision: int, max_elems: int) -> str:
    """A float, a small array in full, or a large array as min/mean/max.

    >>> numbers(np.arange(3.0), 2, 6)
    '[0.00, 1.00, 2.00]'
    """
    if type(x) is float or np.ndim(x) == 0:
        return number(float(np.asarray(x)), precision)
    a = np.asarray(x)
    if a.size <= max_elems:
        text = np.array2string(a, separator=", ", max_line_width=10**9, threshold=10**9,
                               formatter={"all": lambda v: number(v, precision)})
        return text.replace("\n", "")
    return (f"min {number(np.min(a), precision)}  mean {number(np.mean(a), precision)}  "
            f"max {number(np.max(a), precision)}")


def shape_text(shape: tuple, dtype: np.dtype) -> str:
    """`(3, 4) float32`; empty for float64 scalars, which are the common case."""
    if shape == () and dtype == np.float64:
        return ""
    return f"{shape} {dtype}"


def op_label(op: str, attrs: dict) -> str:
    """A short label for an op and its arguments: `sum(axis=1)`, `[0, 1:3]`, `+`.

    >>> op_label('sum', {'axis': (1,), 'keepdims': False})
    'sum(axis=1)'
    """
    if op == "getitem" and "index" in attrs:
        index = attrs["index"]
        parts = index if type(index) is tuple else (index,)
        text = "[" + ", ".join(_attr_text(p) for p in parts) + "]"
    else:
        shown = []
        for key, val in attrs.items():
            if val is None or val is False:
                continue
            shown.append(key if val is True else f"{key}={_attr_text(val)}")
        text = f"{op}({', '.join(shown)})" if shown else op
    return text if len(text) <= _MAX_OP_LABEL else text[:_MAX_OP_LABEL - 1] + "…"


def _attr_text(val: Any) -> str:
    if isinstance(val, np.ndarray):
        return f"{val.dtype}{list(val.shape)}"
    if isinstance(val, slice):
        parts = ["" if p is None else str(p) for p in (val.start, val.stop, val.step)]
        return ":".join(parts[:2] if val.step is None else parts)
    if val is Ellipsis:
        return "..."
    if isinstance(val, tuple):
        return str(val[0]) if len(val) == 1 else "(" + ", ".join(map(_attr_text, val)) + ")"
    if isinstance(val, float):
        return f"{val:g}"
    return str(val)
