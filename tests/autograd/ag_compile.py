"""Helpers for the compile tests: results compared bit for bit, and a function run compiled and
eagerly on the same operands."""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

import autograd as ag
from autograd import Value


def same_bits(a: Any, b: Any, what: str) -> None:
    """The same type, dtype and numbers (NaN equal to NaN)."""
    assert type(a) is type(b), what
    assert np.asarray(a).dtype == np.asarray(b).dtype, what
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=what)


def compiled_and_eager(fn: Callable[..., Value], operands: Sequence[Any],
                       backward: Callable[[Value], None]
                       ) -> Tuple[Value, Value, List[Any], List[Any], str]:
    """Compile `fn`, call it twice (the second call runs the program) and once eagerly, each on
    fresh Values of `operands` (other operands as they are), with `backward(result)` after
    each call: (compiled result, eager result, compiled operands, eager operands, the source)."""
    def fresh() -> List[Any]:
        return [Value(o.data, requires_grad=o.requires_grad) if isinstance(o, Value) else o
                for o in operands]

    def run(f: Callable[..., Value], vals: List[Any]) -> Value:
        out = f(*vals)
        backward(out)
        return out
    step = ag.compile(fn)
    run(step, fresh())
    compiled_vals, eager_vals = fresh(), fresh()
    compiled, eager = run(step, compiled_vals), run(fn, eager_vals)
    assert compiled.op.startswith("compiled"), "the second call ran the program"
    return compiled, eager, compiled_vals, eager_vals, step.source()
