"""Losses: values and gradients against PyTorch, closed forms, and argument errors."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import autograd as ag
from autograd import Value
from nn import losses as L

REDUCTIONS = ["mean", "sum", "none"]
rng = np.random.default_rng(0)
PRED = rng.normal(size=(6, 3))
TARGET = rng.normal(size=(6, 3))
LOGITS = rng.normal(scale=2.0, size=(6, 4))
LABELS = np.array([0, 3, 1, 2, 3, 0])
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(1, keepdims=True)
BINARY = (rng.random((6, 3)) > 0.5).astype(np.float64)


def _compare(ours, theirs, inputs, reduction, grads=None):
    """Run both on the same inputs with a random upstream gradient; compare the values and
    the gradients of the inputs listed in `grads` (all by default)."""
    torch = pytest.importorskip("torch")
    values = [Value(x) for x in inputs]
    out = ours(*values, reduction)
    tensors = [torch.tensor(x, requires_grad=True) for x in inputs]
    ot = theirs(*tensors, reduction)
    np.testing.assert_allclose(out.data, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.normal(size=np.shape(out.data))
    out.backward(upstream if np.ndim(upstream) else float(upstream))
    ot.backward(torch.tensor(upstream))
    for i, (v, t) in enumerate(zip(values, tensors)):
        if grads is not None and i not in grads:
            continue
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_match_torch(reduction):
    tf = pytest.importorskip("torch").nn.functional
    _compare(lambda a, b, r: L.mse_loss(a, b, r), lambda a, b, r: tf.mse_loss(a, b, reduction=r),
             [PRED, TARGET], reduction)
    _compare(lambda a, b, r: L.l1_loss(a, b, r), lambda a, b, r: tf.l1_loss(a, b, reduction=r),
             [PRED, TARGET], reduction)
    _compare(lambda a, b, r: L.huber_loss(a, b, 0.7, r),
             lambda a, b, r: tf.huber_loss(a, b, reduction=r, delta=0.7), [PRED, TARGET],
             reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    probs = 1 / (1 + np.exp(-PRED))
    _compare(lambda p, t, r: L.binary_cross_entropy(p, t, r),
             lambda p, t, r: tf.binary_cross_entropy(p, t, reduction=r), [probs, BINARY],
             reduction)
    _compare(lambda z, t, r: L.binary_cross_entropy_with_logits(z, t, r),
             lambda z, t, r: tf.binary_cross_entropy_with_logits(z, t, reduction=r),
             [PRED * 5, BINARY * 0.8 + 0.1], reduction)


# Probabilities at and next to 0 and 1, against hard and soft targets.
EDGE_PROBS = np.array([0.0, 1e-20, 0.3, 1.0] * 3)
EDGE_TARGETS = np.array([0.0] * 4 + [1.0] * 4 + [0.25] * 4)
EDGE_TOL = {np.float64: dict(rtol=1e-6, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch_at_probabilities_0_and_1(dtype, reduction):
    torch = pytest.importorskip("torch")
    p = Value(EDGE_PROBS.astype(dtype))
    loss = L.binary_cross_entropy(p, EDGE_TARGETS.astype(dtype), reduction=reduction)
    (loss if reduction != "none" else ag.sum(loss)).backward()
    tp = torch.tensor(EDGE_PROBS.astype(dtype), requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy(
        tp, torch.tensor(EDGE_TARGETS.astype(dtype)), reduction=reduction)
    (tloss if reduction != "none" else tloss.sum()).backward()
    assert loss.dtype == dtype and p.grad.dtype == dtype          # float32 stays float32
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), **EDGE_TOL[dtype])
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), **EDGE_TOL[dtype])
    assert np.all(p.grad[[3, 4, 5, 8, 11]] != 0)       # no dead gradient at p = 0 or 1


@pytest.mark.parametrize("p, t", [(p, t) for p in (0.0, 1e-20, 0.3, 1.0) for t in (0.0, 1.0)])
def test_binary_cross_entropy_of_a_python_float_matches_torch(p, t):
    torch = pytest.importorskip("torch")
    x = Value(p)
    loss = L.binary_cross_entropy(x, t)
    loss.backward()
    tx = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy(tx, torch.tensor(t, dtype=torch.float64))
    tloss.backward()
    assert type(loss.data) is float
    assert loss.data == pytest.approx(tloss.item(), rel=1e-9, abs=1e-30)
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-6)


def test_binary_cross_entropy_gradient_with_respect_to_the_targets():
    # Exact gradient of the clamped value; inside (0, 1) that is PyTorch's too.
    torch = pytest.importorskip("torch")
    p, t = Value(EDGE_PROBS.copy()), Value(EDGE_TARGETS.copy())
    L.binary_cross_entropy(p, t, reduction="sum").backward()
    with np.errstate(divide="ignore"):
        want = -(np.maximum(np.log(EDGE_PROBS), -100) - np.maximum(np.log1p(-EDGE_PROBS), -100))
    np.testing.assert_allclose(t.grad, want, rtol=1e-12)
    inner = np.array([0.1, 0.5, 0.9])
    tp, tt = (torch.tensor(a, requires_grad=True) for a in (inner, np.array([0.2, 1.0, 0.0])))
    torch.nn.functional.binary_cross_entropy(tp, tt, reduction="sum").backward()
    p, t = Value(inner), Value(np.array([0.2, 1.0, 0.0]))
    L.binary_cross_entropy(p, t, reduction="sum").backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-10)


def test_binary_cross_entropy_gradient_by_finite_differences_to_second_order():
    probs, targets = np.array([0.1, 0.5, 0.9]), np.array([0.2, 0.7, 0.5])
    assert ag.gradcheck(lambda p, t: L.binary_cross_entropy(p, t, reduction="none"),
                        probs, targets)
    # The VJP also runs on Values (create_graph), so the gradient is differentiable again.
    dloss = ag.grad(lambda q: L.binary_cross_entropy(q, targets, reduction="sum"))
    assert ag.gradcheck(dloss, probs)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_classification_losses_match_torch(reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    labels_t = torch.tensor(LABELS)
    _compare(lambda z, r: L.cross_entropy(z, LABELS, r),
             lambda z, r: tf.cross_entropy(z, labels_t, reduction=r), [LOGITS], reduction)
    _compare(lambda z, t, r: L.cross_entropy(z, t, r),
             lambda z, t, r: tf.cross_entropy(z, t, reduction=r), [LOGITS, PROBS[::-1].copy()],
             reduction)
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    _compare(lambda z, r: L.nll_loss(z, LABELS, r),
             lambda z, r: tf.nll_loss(z, labels_t, reduction=r), [logp], reduction)
    target = PROBS.copy()
    target[0, 1] = 0.0                                          # a zero target probability
    target[0] /= target[0].sum()
    # d/dt of t log t is -inf at t = 0: torch reports nan there, we report 0, so only the
    # input's gradient is compared when a target probability is zero.
    _compare(lambda z, t, r: L.kl_div(z, t, r), lambda z, t, r: tf.kl_div(z, t, reduction=r),
             [logp, target], reduction, grads=[0])
    _compare(lambda z, t, r: L.kl_div(z, t, r), lambda z, t, r: tf.kl_div(z, t, reduction=r),
             [logp, PROBS], reduction)


def test_kl_div_batchmean_and_log_target_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    logq = np.log(PROBS[::-1].copy())
    _compare(lambda z, t, r: L.kl_div(z, t, r), lambda z, t, r: tf.kl_div(z, t, reduction=r),
             [logp, PROBS[::-1].copy()], "batchmean")
    _compare(lambda z, t, r: L.kl_div(z, t, r, log_target=True),
             lambda z, t, r: tf.kl_div(z, t, reduction=r, log_target=True), [logp, logq], "sum")


def test_hinge_loss_is_micrograds_max_margin():
    scores = Value(np.array([2.0, 0.5, -0.3, -2.0]))
    y = np.array([1, 1, 1, -1])
    loss = L.hinge_loss(scores, y)
    assert loss.data == pytest.approx((0 + 0.5 + 1.3 + 0) / 4)
    loss.backward()
    np.testing.assert_allclose(scores.grad, [0, -0.25, -0.25, 0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        L.hinge_loss(scores, np.array([0, 1, 1, 0]))


def test_hinge_loss_reductions():
    scores = np.array([2.0, 0.5, -0.3, -2.0])
    y = np.array([1, 1, 1, -1])
    margins = np.maximum(0.0, 1 - y * scores)
    np.testing.assert_allclose(L.hinge_loss(Value(scores), y, "none").data, margins)
    s = Value(scores)
    total = L.hinge_loss(s, y, "sum")
    assert float(total.data) == pytest.approx(margins.sum())
    total.backward()
    np.testing.assert_allclose(s.grad, np.where(margins > 0, -y, 0.0))


def test_cross_entropy_gradient_by_finite_differences():
    assert ag.gradcheck(lambda z: L.cross_entropy(z, LABELS, "sum"), LOGITS)
    assert ag.gradcheck(lambda z: L.binary_cross_entropy_with_logits(z, BINARY), PRED)


def test_cross_entropy_is_stable_for_huge_logits():
    z = Value(np.array([[1e3, -1e3, 0.0], [-1e3, 1e3, 1e3]]))
    loss = L.cross_entropy(z, np.array([1, 0]))
    loss.backward()
    assert loss.data == pytest.approx((2e3 + 2e3 + np.log(2)) / 2)
    assert np.all(np.isfinite(z.grad))
    z2 = Value(np.array([1e3, -1e3]))
    bce = L.binary_cross_entropy_with_logits(z2, np.array([0.0, 1.0]), "sum")
    bce.backward()
    assert bce.data == pytest.approx(2e3) and np.all(np.isfinite(z2.grad))


def test_float32_losses_stay_float32():
    z = Value(LOGITS.astype(np.float32))
    out = L.cross_entropy(z, LABELS)
    out.backward()
    assert out.dtype == np.float32 and z.grad.dtype == np.float32
    p = Value(PRED.astype(np.float32))
    assert L.mse_loss(p, TARGET).dtype == np.float32


@given(st.sampled_from(["i1", "i2", ">i4", "<i8", "u1", "u2", ">u8"]),
       st.sampled_from([1, 4, 127, 128, 129, 255, 256, 300, 40000]), st.data())
def test_labels_are_refused_exactly_when_a_label_is_out_of_range(dtype, classes, data):
    info = np.iinfo(np.dtype(dtype))
    labels = data.draw(arrays(dtype, 6, elements=st.integers(max(info.min, -400),
                                                              min(info.max, 400))))
    scores = Value(np.zeros((6, classes)))
    if ((labels < 0) | (labels >= classes)).any():
        with pytest.raises(ValueError, match=f"labels must lie in 0..{classes - 1} for"):
            L.cross_entropy(scores, labels)
    else:
        assert L.cross_entropy(scores, labels).item() == pytest.approx(np.log(classes))


def test_cross_entropy_rejects_bad_targets():
    z = Value(LOGITS)
    with pytest.raises(ValueError, match="integers, got dtype float64"):
        L.cross_entropy(z, LABELS.astype(float))
    with pytest.raises(ValueError, match="labels must lie in 0..3 for 4 classes"):
        L.cross_entropy(z, np.array([0, 4, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="labels must lie in 0..3"):
        L.cross_entropy(z, np.array([0, -1, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="expected 6 labels"):
        L.cross_entropy(z, LABELS[:5])
    with pytest.raises(ValueError, match="probability targets have shape \\(6, 3\\)"):
        L.cross_entropy(z, PROBS[:, :3])
    with pytest.raises(ValueError, match="dtype bool"):
        L.cross_entropy(z, LABELS > 1)
    with pytest.raises(ValueError, match="scores of shape \\(N, C\\)"):
        L.cross_entropy(Value(LOGITS[0]), LABELS)


def test_shape_mismatch_and_bad_reduction_are_errors():
    with pytest.raises(ValueError, match="shape \\(6, 1\\) but targets have shape \\(6,\\)"):
        L.mse_loss(Value(PRED[:, :1]), TARGET[:, 0])
    with pytest.raises(ValueError, match="reduction must be one of mean, sum, none"):
        L.l1_loss(Value(PRED), TARGET, reduction="avg")
    with pytest.raises(ValueError, match="lie in \\[0, 1\\]"):
        L.binary_cross_entropy(Value(PRED), BINARY)


def test_loss_names_resolve_in_any_case_and_unknown_names_list_the_choices():
    assert L.get_loss("MSE") is L.mse_loss
    with pytest.raises(ValueError, match="unknown loss 'mse2'.*cross_entropy"):
        L.get_loss("mse2")


@given(arrays(np.float64, (4, 3), elements=st.floats(-20, 20)),
       arrays(np.int64, 4, elements=st.integers(0, 2)))
def test_cross_entropy_labels_equal_one_hot_rows(logits, labels):
    a, b = Value(logits), Value(logits)
    by_label = L.cross_entropy(a, labels, "sum")
    by_rows = L.cross_entropy(b, np.eye(3)[labels], "sum")
    assert float(by_label.data) == pytest.approx(float(by_rows.data), rel=1e-12, abs=1e-12)
    by_label.backward()
    by_rows.backward()
    np.testing.assert_allclose(a.grad, b.grad, atol=1e-12)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(a.grad, p - np.eye(3)[labels], atol=1e-12)   # softmax - onehot


@given(arrays(np.float64, 5, elements=st.floats(-5, 5)),
       arrays(np.float64, 5, elements=st.floats(-5, 5)))
def test_mse_gradient_closed_form(pred, target):
    p = Value(pred)
    L.mse_loss(p, target).backward()
    np.testing.assert_allclose(p.grad, 2 * (pred - target) / 5, atol=1e-12)


def test_huber_and_kl_gradients_by_finite_differences():
    d = np.array([-2.0, -0.3, 0.2, 1.7])
    assert ag.gradcheck(lambda p: L.huber_loss(p, np.zeros(4), delta=1.0, reduction="sum"), d)
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    assert ag.gradcheck(lambda z, t: L.kl_div(z, t, "batchmean"), logp, PROBS)
