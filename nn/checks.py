"""Argument checks shared by the layers, `fit`, the optimisers and the seegrad command line: one
rule per kind of argument, and one form of message, `<caller>: <name> must be <rule>, got
<value>; <fix>`. A check returns the value as the library uses it (an int, a float) and raises
before anything has changed: nothing is rounded or converted silently.

>>> positive_int(3, 'nin', 'Layer'), finite_float(0.5, 'p', 'Dropout', high=1.0)
(3, 0.5)
>>> positive_int(2.5, 'nin', 'Layer')
Traceback (most recent call last):
...
TypeError: Layer: nin must be a positive integer, got 2.5 (a float); nothing is rounded ...
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional

import numpy as np


def _type_fix(value: Any, wanted: str) -> str:
    """The fix for a value of the wrong type: convert text, round a float, or pass a number."""
    if isinstance(value, str):
        return f"convert the text first: {wanted}({value!r})"
    if wanted == "int" and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return (f"nothing is rounded silently: pass an int (int({value!r}) or round({value!r}), "
                "as you mean it)")
    return f"pass {'an int' if wanted == 'int' else 'a number'}"


def type_phrase(value: Any) -> str:
    """'an int', 'a float', ...: the type of `value` with its article, for messages."""
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _refuse_type(value: Any, name: str, caller: str, rule: str, wanted: str) -> TypeError:
    return TypeError(f"{caller}: {name} must be {rule}, got {value!r} ({type_phrase(value)}); "
                     f"{_type_fix(value, wanted)}")


def int_at_least(value: Any, name: str, caller: str, minimum: int) -> int:
    """`value` as an int >= `minimum`: refuses floats, bools, text and smaller ints."""
    rule = {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _refuse_type(value, name, caller, rule, "int")
    if value < minimum:
        raise ValueError(f"{caller}: {name} must be {rule}, got {value!r}")
    return int(value)


def positive_int(value: Any, name: str, caller: str) -> int:
    """`value` as an int >= 1 (a size, a batch size): refuses floats, bools, text and 0.

    >>> positive_int(0, 'batch_size', 'fit')
    Traceback (most recent call last):
    ...
    ValueError: fit: batch_size must be a positive integer, got 0
    """
    return int_at_least(value, name, caller, 1)


def non_negative_int(value: Any, name: str, caller: str) -> int:
    """`value` as an int >= 0 (a number of epochs, a seed)."""
    return int_at_least(value, name, caller, 0)


def float_dtype(dtype: Any, caller: str) -> np.dtype:
    """`dtype` as a numpy floating dtype (float32 or float64 keeps its width), or a TypeError
    naming `caller`."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"{caller}: dtype must be a floating dtype such as np.float32, got {dt}")
    return dt


def optional_positive_int(value: Optional[Any], name: str, caller: str) -> Optional[int]:
    """None (meaning 'all of it', as `batch_size=None`) or a positive int."""
    return None if value is None else positive_int(value, name, caller)


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    """'a finite number > 0', 'in [0, 1)', ...: the rule in words."""
    if math.isinf(high):
        return "a finite number" + ("" if math.isinf(low) else
                                    f" {'>' if low_open else '>='} {low:g}")
    if math.isinf(low):
        return f"a finite number {'<' if high_open else '<='} {high:g}"
    return (f"in {'(' if low_open else '['}{low:g}, {high:g}"
            f"{')' if high_open else ']'}")


def finite_float(value: Any, name: str, caller: str, low: float = -math.inf,
                 high: float = math.inf, low_open: bool = False, high_open: bool = False
                 ) -> float:
    """`value` as a finite float between `low` and `high` (each bound included unless `*_open`):
    refuses NaN, infinities, text and bools.

    >>> finite_float(float('inf'), 'lr', 'SGD', low=0.0)
    Traceback (most recent call last):
    ...
    ValueError: SGD: lr must be a finite number >= 0, got inf
    """
    rule = _interval(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _refuse_type(value, name, caller, rule, "float")
    number = float(value)
    inside = (math.isfinite(number) and (number > low if low_open else number >= low)
              and (number < high if high_open else number <= high))
    if not inside:
        raise ValueError(f"{caller}: {name} must be {rule}, got {value!r}")
    return number


def finite_array(a: np.ndarray, what: str, caller: str,
                 fix: str = "drop or impute them first") -> None:
    """Refuse an array that does not hold numbers, or holds NaN or infinite entries (naming how
    many and where the first is): one of them turns every later result into NaN, far from its
    cause. This is the one rule for data given to `fit`, `evaluate`, `predict`, `load` and the
    plots.

    >>> finite_array(np.array([[1.0, 2.0], [np.nan, 0.0]]), 'X', 'predict')
    Traceback (most recent call last):
    ...
    ValueError: predict: X contains 1 NaN or infinite value(s), the first at row 1, column 0; ...
    """
    if a.dtype.kind not in "biufc":
        raise TypeError(f"{caller}: {what} must hold numbers, got an array of dtype {a.dtype}")
    if a.dtype.kind not in "fc":
        return
    bad = ~np.isfinite(a)
    if not bad.any():
        return
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    where = "" if not first else f", the first at {_position(first)}"
    raise ValueError(f"{caller}: {what} contains {int(bad.sum())} NaN or infinite value(s)"
                     f"{where}; {fix}")


def _position(index: tuple) -> str:
    """'row 3', 'row 3, column 1', or with more axes the whole index as well."""
    where = f"row {index[0]}" + (f", column {index[1]}" if len(index) > 1 else "")
    return where + (f" (index {index})" if len(index) > 2 else "")

