"""What the op table cannot say about the functions of cases_elementwise: erf's accuracy
against `math.erf`; Python floats (the `math` path) and arrays (numpy's) giving the same values
and gradients, also outside the domains and at NaN and inf, and PyTorch's there; numpy's
warning, not an error, outside a domain; the zero gradient of the piecewise-constant ops
whatever comes from upstream; Python's round() beside `Value.round`; second derivatives in
closed form."""
import math
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Value, grad
import ag_cases  # noqa: F401  (first: it loads cases_elementwise into the table)
from cases_elementwise import torch_sign


def _ulps(ours: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|ours - exact| in units of the last place of `exact` (in its dtype)."""
    return np.abs(ours - exact) / np.spacing(np.abs(exact))


def _erf_grid() -> np.ndarray:
    """Dense over [-7, 7] (both of erf's methods, where they meet at 1/2, and where it reaches
    +-1 at 6), with the tails: tiny and subnormal numbers, large ones, infinities."""
    tiny = np.geomspace(1e-310, 0.5, 20_001)
    large = np.geomspace(5.0, 1e300, 2_001)
    middle = np.linspace(-7.0, 7.0, 400_001)
    seams = np.concatenate([np.linspace(k - 1e-6, k + 1e-6, 201) for k in (0.5, 6.0)])
    half = np.concatenate([tiny, large, seams, [0.0, np.inf]])
    return np.concatenate([middle, half, -half])


def test_erf_is_within_one_ulp_of_math_erf():
    x = _erf_grid()
    exact = np.array([math.erf(v) for v in x])
    ours = ag.erf(x)
    assert type(ours) is np.ndarray and ours.dtype == np.float64
    assert _ulps(ours, exact).max() <= 1.0
    np.testing.assert_array_equal(ag.erf(-x), -ours)              # odd, exactly
    assert np.signbit(ag.erf(np.array([-0.0]))[0])
    assert np.isnan(ag.erf(np.array([np.nan, 1.0]))[0])


def test_erf_of_float32_stays_float32_within_one_ulp():
    grid = _erf_grid()
    x = grid[np.abs(grid) < 1e38].astype(np.float32)
    exact = np.array([math.erf(v) for v in x.tolist()]).astype(np.float32)
    ours = ag.erf(x)
    assert ours.dtype == np.float32
    assert _ulps(ours, exact).max() <= 1.0
    assert ag.erf(np.array(0.5, dtype=np.float32)).dtype == np.float32


# ----- the math path and numpy's path, and PyTorch, at the edges --------------------------------
EDGES = {  # op: (torch's op, points at and beyond the edges of its domain)
    "tan": ("tan", [-1.0, 0.0, 1.5, np.inf, np.nan]),
    "arcsin": ("asin", [-2.0, -1.0, 0.5, 1.0, 2.0, np.inf, np.nan]),
    "arccos": ("acos", [-2.0, -1.0, 0.5, 1.0, 2.0, np.inf, np.nan]),
    "arctan": ("atan", [-np.inf, 0.0, 2.0, np.nan]),
    "sinh": ("sinh", [-1000.0, 0.0, 2.0, 1000.0, np.inf, np.nan]),
    "cosh": ("cosh", [-1000.0, 0.0, 2.0, 1000.0, np.inf, np.nan]),
    "arctanh": ("atanh", [-2.0, -1.0, 0.5, 1.0, 2.0, np.nan]),
    "log2": ("log2", [-1.0, 0.0, 0.5, np.inf, np.nan]),
    "log10": ("log10", [-1.0, 0.0, 0.5, np.inf, np.nan]),
    "exp2": ("exp2", [-np.inf, -2000.0, 0.0, 3.0, 2000.0, np.inf, np.nan]),
    "expm1": ("expm1", [-np.inf, -1000.0, 1e-10, 1000.0, np.nan]),
    "erf": ("erf", [-np.inf, -7.0, -0.3, 0.0, 1e-300, 2.5, 6.5, np.inf, np.nan]),
    "sign": (None, [-2.0, -0.0, 0.0, 3.0, np.inf, np.nan]),
    "floor": ("floor", [-2.5, -0.5, -0.0, 0.5, 1e30, np.inf, np.nan]),
    "ceil": ("ceil", [-2.5, -0.5, -0.0, 0.5, 1e30, np.inf, np.nan]),
    "round": ("round", [-2.5, -0.5, -0.0, 0.5, 1.5, 1e30, np.inf, np.nan]),
}
UPSTREAM = -0.75


def _ours(name: str, data) -> tuple:
    x = Value(data)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = getattr(ag, name)(x)
        y.backward(UPSTREAM if type(y.data) is float else np.full(y.shape, UPSTREAM, y.dtype))
    return y.data, x.grad


@pytest.mark.parametrize("name", list(EDGES))
def test_floats_and_arrays_agree_at_the_edges(name):
    """Values and gradients of a Python float (the math path) and of arrays (numpy's),
    float64 and float32, 0-d and 1-d: NaN and inf in the same places, the same numbers (to
    an ulp or two: math and numpy are different libraries), the same sign of zero."""
    for p in EDGES[name][1]:
        out, g = _ours(name, p)
        assert type(out) is float and type(g) is float, f"{name}({p}): not floats"
        for shape in ((), (1,)):
            a_out, a_g = _ours(name, np.full(shape, p))
            np.testing.assert_allclose(a_out, out, rtol=5e-16, atol=0, err_msg=f"{name}({p})")
            np.testing.assert_allclose(a_g, g, rtol=5e-16, atol=0, err_msg=f"{name}'({p})")
            if out == 0:
                assert np.signbit(a_out).all() == np.signbit(out), f"{name}({p}): sign of 0"
            s_out, s_g = _ours(name, np.full(shape, p, dtype=np.float32))
            assert s_out.dtype == np.float32 and s_g.dtype == np.float32
            np.testing.assert_allclose(s_out, np.float32(out), rtol=1e-6, atol=0,
                                       err_msg=f"{name}({p}) in float32")


@pytest.mark.parametrize("name", list(EDGES))
def test_values_and_gradients_at_the_edges_are_pytorchs(name):
    """PyTorch's values and gradients, also outside the domain and at NaN and inf (sign's
    value at NaN is numpy's NaN, not torch's 0)."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install "
                                                "torch==2.13.0")
    torch_name, points = EDGES[name]
    for dtype, t_dtype, tol in [(np.float64, torch.float64, 1e-12),
                                (np.float32, torch.float32, 1e-6)]:
        x = np.array(points, dtype=dtype)
        out, g = _ours(name, x)
        t = torch.tensor(x, requires_grad=True)
        t_out = torch_sign(torch, t) if torch_name is None else getattr(torch, torch_name)(t)
        t_out.backward(torch.full_like(t_out, UPSTREAM))
        assert t.grad.dtype == t_dtype
        np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=tol, atol=0,
                                   err_msg=f"{name} at {points}")
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=tol, atol=0,
                                   err_msg=f"{name}' at {points}")


@pytest.mark.parametrize("name,x", [("arcsin", 2.0), ("arccos", -1.5), ("arctanh", 3.0),
                                    ("log2", -1.0), ("log10", -2.0)])
def test_outside_the_domain_is_nan_with_numpys_warning(name, x):
    for data in (x, np.array([x, 0.5]), np.array(x, dtype=np.float32)):
        with pytest.warns(RuntimeWarning, match="invalid value"):
            out = getattr(ag, name)(Value(data))
        assert np.isnan(np.ravel(out.data)[0])


# ----- the piecewise-constant ops ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round"])
def test_piecewise_constant_ops_give_zero_whatever_comes_from_upstream(name):
    """PyTorch's zeros_like(grad): an inf or NaN upstream gradient still gives 0, not NaN."""
    fn = getattr(ag, name)
    x = Value(np.array([-1.5, 0.25, 2.0], dtype=np.float32))
    fn(x).backward(np.array([np.inf, np.nan, -np.inf], dtype=np.float32))
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    s = Value(0.7)
    (fn(s) * math.inf).backward()
    assert s.grad == 0.0 and type(s.grad) is float
    # Product rule with a zero: d(fn(x) x)/dx = fn(x), and the second derivative is 0.
    assert grad(lambda v: fn(v) * v)(2.7) == fn(2.7)
    assert grad(grad(lambda v: fn(v) * v))(2.7) == 0.0


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round"])
def test_floats_give_what_arrays_give_bit_for_bit(name):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-50.0, 50.0, 500), np.arange(-3.0, 3.5, 0.5), [-0.0, 0.0],
                        -np.geomspace(1e-300, 0.4, 50), np.geomspace(1e-300, 0.4, 50)])
    fn = getattr(ag, name)
    floats = np.array([fn(float(v)) for v in x])
    arrays = fn(x)
    np.testing.assert_array_equal(floats, arrays)
    np.testing.assert_array_equal(np.signbit(floats), np.signbit(arrays))


def test_round_with_decimals_is_numpys_for_floats_too():
    """Python's round(x, 2) rounds the exact decimal value of x (2.675 is 2.67499...), numpy's
    scales first (2.68); ours is numpy's for floats and arrays alike."""
    x = np.random.default_rng(1).uniform(-1000.0, 1000.0, 1000)
    x[:3] = [2.675, 0.125, -2.5]
    for decimals in (-2, -1, 1, 2, 3):
        floats = np.array([ag.round(float(v), decimals) for v in x])
        np.testing.assert_array_equal(floats, np.round(x, decimals))
        np.testing.assert_array_equal(ag.round(x, decimals), np.round(x, decimals))
    assert ag.round(2.675, 2) == 2.68


def test_round_is_pythons_for_round_and_numpys_for_the_method():
    v = Value(2.5)
    assert round(v) == 2 and type(round(v)) is int                  # Python's: an int
    assert round(Value(np.array(3.5, dtype=np.float32))) == 4
    assert round(Value(2.567), 1) == 2.6
    r = v.round()
    assert isinstance(r, Value) and r.requires_grad and r.op == "round"
    assert r.data == 2.0 and type(r.data) is float
    np.testing.assert_array_equal(Value([0.5, 1.5, 2.5, -0.5, -1.5]).round().data,
                                  [0.0, 2.0, 2.0, -0.0, -2.0])       # halves to even
    assert Value(1234.5678).round(decimals=2).data == 1234.57
    assert Value(1234.5678).round(-2).data == 1200.0
    assert Value(np.array([1.25], dtype=np.float32)).round(1).dtype == np.float32
    with pytest.raises(TypeError, match="round: decimals must be an integer, got 1.5"):
        Value(1.0).round(1.5)


def test_sign_at_nan_is_numpys():
    x = Value(np.array([np.nan, -0.0, -3.0]))
    y = x.sign()
    np.testing.assert_array_equal(y.data, np.sign(x.data))
    assert np.isnan(Value(math.nan).sign().data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


# ----- second derivatives in closed form --------------------------------------------------------
SECOND = [
    ("tan", lambda x: 2 * math.tan(x) / math.cos(x) ** 2, 0.7),
    ("arcsin", lambda x: x / (1 - x * x) ** 1.5, 0.4),
    ("arccos", lambda x: -x / (1 - x * x) ** 1.5, -0.6),
    ("arctan", lambda x: -2 * x / (1 + x * x) ** 2, 1.3),
    ("sinh", math.sinh, -0.9),
    ("cosh", math.cosh, 1.2),
    ("arctanh", lambda x: 2 * x / (1 - x * x) ** 2, 0.5),
    ("log2", lambda x: -1 / (x * x * math.log(2)), 1.7),
    ("log10", lambda x: -1 / (x * x * math.log(10)), 0.6),
    ("exp2", lambda x: 2 ** x * math.log(2) ** 2, -1.4),
    ("expm1", math.exp, 0.3),
    ("erf", lambda x: -4 * x / math.sqrt(math.pi) * math.exp(-x * x), 0.8),
]


@pytest.mark.parametrize("name,d2,x", SECOND, ids=[s[0] for s in SECOND])
def test_second_derivative_closed_form(name, d2, x):
    fn = getattr(ag, name)
    assert grad(grad(fn))(x) == pytest.approx(d2(x), rel=1e-10)
    a = Value(np.array([x, x / 2]))
    fn(a).sum().backward(create_graph=True)
    first = a.grad
    a.zero_grad()
    first.sum().backward()
    np.testing.assert_allclose(a.grad, [d2(x), d2(x / 2)], rtol=1e-10)
