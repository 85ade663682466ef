"""Every op of the op table, compiled: the program's values and gradients equal eager mode's
bit for bit (the same numpy calls in the same order), in float64 and float32, on inputs
hypothesis draws (broadcasting, integer indexing with repeats, constants included)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from ag_cases import CASE_IDS, CASES
from ag_compile import same_bits
from ag_numeric import to_value
from test_gradients import _draw_case


def _run(fn, xs, g, dtype):
    vals = [to_value(x.astype(dtype)) for x in xs]
    out = fn(*vals)
    out.backward(g.astype(dtype))
    return out, vals


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@settings(max_examples=10)
@given(data=st.data())
def test_every_op_compiled_equals_eager_bit_for_bit(case, data):
    xs, params, g = _draw_case(case, data)
    for dtype in (np.float64, np.float32) if case.float32 else (np.float64,):
        step = ag.compile(lambda *vals: case.fn(*vals, **params))
        _run(step, xs, g, dtype)                        # the first call records
        compiled, compiled_inputs = _run(step, xs, g, dtype)    # later calls run the program
        assert compiled.op.startswith("compiled"), "the second call ran the program"
        eager, eager_inputs = _run(lambda *vals: case.fn(*vals, **params), xs, g, dtype)
        same_bits(compiled.data, eager.data, f"{case.name}: value")
        for c, e in zip(compiled_inputs, eager_inputs):
            same_bits(c.grad, e.grad, f"{case.name}: gradient")
        arrays = [v.grad for v in compiled_inputs if type(v.grad) is np.ndarray]
        for i, a in enumerate(arrays):          # each gradient an array of its own
            assert not any(np.shares_memory(a, b) for b in arrays[i + 1:]), case.name
