"""NaN inputs, compared with PyTorch for every op of the table that has a torch counterpart
(skipped without torch).

NaN goes into one entry of one input (each entry in turn), then into every entry of an input.
The forward values and every input's gradient, for a random upstream gradient, must equal
torch's: NaN exactly where torch has NaN, close elsewhere. A grid of Python floats and
one-element arrays (0-d and 1-d, float64 and float32) checks that scalars (the `math` path)
and arrays follow the same rules.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ag_cases import CASES, arrays
from ag_numeric import to_value

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison tests "
                                            "need it (pip install torch==2.13.0)")

# Each example runs the op once per input entry: a fifth of the profile's examples.
FEWER = settings(max_examples=max(5, settings().max_examples // 5))
RUNS = [pytest.param(c, dtype, id=f"{c.name}-{np.dtype(dtype)}") for c in CASES
        for dtype in (np.float64, np.float32)
        if c.torch is not None and (dtype is np.float64 or c.float32)]
TOLERANCE = {np.float64: dict(rtol=1e-9, atol=1e-12), np.float32: dict(rtol=2e-4, atol=2e-4)}


def _ours(case, xs, params, g):
    vals = [to_value(x) for x in xs]       # 0-d float64 inputs become Python floats
    with np.errstate(all="ignore"):
        out = case.fn(*vals, **params)
        out.backward(g)
    return out, [v.grad for v in vals]


def _torch(case, xs, params, g):
    dtype = torch.float32 if np.asarray(xs[0]).dtype == np.float32 else torch.float64
    ts = [torch.tensor(np.asarray(x), dtype=dtype, requires_grad=True) for x in xs]
    out = case.torch(torch, *ts, **params)
    out.backward(torch.as_tensor(np.asarray(g), dtype=dtype).reshape(out.shape))
    return out.detach().numpy(), [t.grad.numpy() if t.grad is not None else np.zeros(t.shape)
                                  for t in ts]


def assert_like_torch(case, xs, params, g, where: str) -> None:
    """Our forward and gradients equal torch's: NaN in the same places, close elsewhere."""
    out, grads = _ours(case, xs, params, g)
    t_out, t_grads = _torch(case, xs, params, g)
    tol = TOLERANCE[np.asarray(xs[0]).dtype.type]
    assert out.shape == t_out.shape
    np.testing.assert_allclose(np.asarray(out.data), t_out, **tol,
                               err_msg=f"{case.name}, NaN {where}: forward")
    for i, (gr, tg) in enumerate(zip(grads, t_grads)):
        np.testing.assert_allclose(np.asarray(gr), tg, **tol,
                                   err_msg=f"{case.name}, NaN {where}: gradient of input {i}")


def _draw(case, data, dtype):
    xs, params = case.draw(data)
    out_shape = np.shape(case.ref(*xs, **params))
    g = data.draw(arrays(out_shape, low=-2.0, high=2.0), label="upstream")
    return [x.astype(dtype) for x in xs], params, g.astype(dtype)


@pytest.mark.parametrize("case,dtype", RUNS)
@FEWER
@given(data=st.data())
def test_nan_in_one_entry_matches_torch(case, dtype, data):
    xs, params, g = _draw(case, data, dtype)
    for i, x in enumerate(xs):
        for pos in np.ndindex(x.shape):
            poisoned = [a.copy() for a in xs]
            poisoned[i][pos] = np.nan
            assert_like_torch(case, poisoned, params, g, f"at input {i}, entry {pos}")


@pytest.mark.parametrize("case,dtype", RUNS)
@FEWER
@given(data=st.data())
def test_nan_in_every_entry_matches_torch(case, dtype, data):
    xs, params, g = _draw(case, data, dtype)
    for i in range(len(xs)):
        poisoned = [a.copy() for a in xs]
        poisoned[i][...] = np.nan
        assert_like_torch(case, poisoned, params, g, f"in every entry of input {i}")
    assert_like_torch(case, [np.full_like(a, np.nan) for a in xs], params, g,
                      "in every entry of every input")


# ----- scalars and arrays alike ---------------------------------------------------------------
BY_NAME = {c.name: c for c in CASES}
REDUCE_ALL = {"axis": None, "keepdims": False}
SCALAR_ROWS = [  # (case, its constant parameters, number of differentiable inputs)
    *[(name, {}, 1) for name in ["neg", "exp", "log", "log1p", "sqrt", "abs", "abs-builtin",
                                 "tanh", "sigmoid", "relu", "sin", "cos"]],
    ("clip", {"lo": -1.0, "hi": 1.0}, 1), ("clip", {"lo": None, "hi": 0.0}, 1),
    ("pow-const", {"c": 0.0}, 1), ("pow-const", {"c": 2}, 1), ("pow-const", {"c": -1}, 1),
    ("rpow-const-base", {"base": 2.0}, 1),
    *[(name, {}, 2) for name in ["add", "sub", "mul", "div", "pow-value-exponent", "maximum",
                                 "minimum", "clip-value-lo", "clip-value-hi"]],
    ("clip-value-bounds", {}, 3), ("clip-value-lo-number-hi", {"hi": 1.0}, 2),
    ("where", {"cond": np.True_}, 2), ("where", {"cond": np.False_}, 2),
    *[(name, REDUCE_ALL, 1) for name in ["sum", "mean", "max", "min", "logsumexp"]],
]
GRID = [-1.5, 0.0, 2.0, np.nan]


@pytest.mark.parametrize("name,params,arity", SCALAR_ROWS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(SCALAR_ROWS)])
def test_scalars_and_arrays_follow_torch_at_nan(name, params, arity):
    """Every combination of a few numbers with at least one NaN, as Python floats (0-d inputs
    become floats and run through `math`) and as one-element arrays, float64 and float32."""
    case = BY_NAME[name]
    for combo in itertools.product(GRID, repeat=arity):
        if not np.isnan(combo).any():
            continue
        scalars = [np.array(c) for c in combo]
        out, _ = _ours(case, scalars, params, 1.0)
        assert type(out.data) is float, f"{name}: Python floats in, {type(out.data)} out"
        for dtype, shape in [(np.float64, ()), (np.float64, (1,)), (np.float32, ()),
                             (np.float32, (1,))]:
            xs = [np.full(shape, c, dtype=dtype) for c in combo]
            g = np.full(np.shape(case.ref(*xs, **params)), -0.75, dtype=dtype)
            assert_like_torch(case, xs, params, g, f"in {combo} ({np.dtype(dtype)}{shape})")
