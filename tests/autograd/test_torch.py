"""Values and gradients compared with PyTorch for every op of the table (skipped without
torch; CI installs torch==2.13.0 into the test venv)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograd import Value
from ag_numeric import to_value
from ag_cases import CASES, arrays

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the comparison tests "
                                            "need it (pip install torch==2.13.0)")

# Finite differences already check every VJP; torch is a second opinion on a few shapes.
HALF = settings(max_examples=max(5, settings().max_examples // 2))
TORCH_CASES = [pytest.param(c, id=c.name) for c in CASES if c.torch is not None]


def _run_torch(case, xs, params, g, dtype):
    ts = [torch.tensor(np.asarray(x), dtype=dtype, requires_grad=True) for x in xs]
    out = case.torch(torch, *ts, **params)
    out.backward(torch.as_tensor(np.asarray(g), dtype=dtype).reshape(out.shape))
    grads = [t.grad.numpy() if t.grad is not None else np.zeros(t.shape) for t in ts]
    return out.detach().numpy(), grads


@pytest.mark.parametrize("case", TORCH_CASES)
@HALF
@given(data=st.data())
def test_matches_torch_float64(case, data):
    xs, params = case.draw(data)
    out_shape = np.shape(case.ref(*xs, **params))
    g = data.draw(arrays(out_shape, low=-2.0, high=2.0), label="upstream")
    vals = [to_value(x) for x in xs]
    out = case.fn(*vals, **params)
    out.backward(g)
    t_out, t_grads = _run_torch(case, xs, params, g, torch.float64)
    assert out.shape == t_out.shape
    np.testing.assert_allclose(np.asarray(out.data), t_out, rtol=1e-10, atol=1e-12)
    for i, (v, tg) in enumerate(zip(vals, t_grads)):
        np.testing.assert_allclose(np.asarray(v.grad), tg, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case.name}: gradient of input {i}")


@pytest.mark.parametrize("case", [p for p in TORCH_CASES if p.values[0].float32])
@HALF
@given(data=st.data())
def test_matches_torch_float32(case, data):
    xs, params = case.draw(data)
    xs = [x.astype(np.float32) for x in xs]
    out_shape = np.shape(case.ref(*xs, **params))
    g = data.draw(arrays(out_shape, low=-2.0, high=2.0), label="upstream").astype(np.float32)
    vals = [Value(x) for x in xs]
    out = case.fn(*vals, **params)
    out.backward(g)
    t_out, t_grads = _run_torch(case, xs, params, g, torch.float32)
    assert out.dtype == np.float32 and t_out.dtype == np.float32
    np.testing.assert_allclose(out.data, t_out, rtol=2e-5, atol=2e-5)
    for i, (v, tg) in enumerate(zip(vals, t_grads)):
        assert np.asarray(v.grad).dtype == np.float32
        np.testing.assert_allclose(v.grad, tg, rtol=2e-4, atol=2e-4,
                                   err_msg=f"{case.name}: gradient of input {i}")


def test_micrograd_example_matches_torch():
    """The scalar README example (micrograd's own PyTorch check), graph reuse included."""
    def run(lib_value, relu):
        a, b = lib_value(-4.0), lib_value(2.0)
        c = a + b
        d = a * b + b ** 3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + relu(b + a)
        d = d + 3 * d + relu(b - a)
        e = c - d
        f = e ** 2
        g = f / 2.0
        g = g + 10.0 / f
        g.backward()
        return g, a, b

    g, a, b = run(Value, lambda v: v.relu())
    tg, ta, tb = run(lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True),
                     torch.relu)
    assert g.data == pytest.approx(tg.item(), rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


def test_power_at_base_zero_matches_torch():
    b = np.array([0.0, 0.0, 0.0, 1.5])
    e = np.array([0.0, 1.0, 2.5, -1.0])
    tb = torch.tensor(b, requires_grad=True)
    te = torch.tensor(e, requires_grad=True)
    (tb ** te).sum().backward()
    vb, ve = Value(b), Value(e)
    (vb ** ve).sum().backward()
    np.testing.assert_allclose(vb.grad, tb.grad.numpy())
    np.testing.assert_allclose(ve.grad, te.grad.numpy())
