"""Regression tests for review findings in nn/: binary cross-entropy at the edges, optimisers
skipping parameters without a gradient, Dropout's dtype, saved-file permissions and foreign
files given to load."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Value
from nn import optim
from nn.losses import binary_cross_entropy

# ----- B2: binary_cross_entropy agrees with PyTorch at p = 0 and 1 --------------------------
PROBS = np.array([0.0, 1e-20, 0.3, 1.0] * 2 + [0.0, 1e-20, 0.3, 1.0])
TARGETS = np.array([0.0] * 4 + [1.0] * 4 + [0.25] * 4)          # hard and soft targets
TOL = {np.float64: dict(rtol=1e-6, atol=1e-12), np.float32: dict(rtol=1e-5, atol=1e-6)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_value_and_gradient_match_torch_at_the_edges(dtype, reduction):
    torch = pytest.importorskip("torch")
    p = Value(PROBS.astype(dtype))
    loss = binary_cross_entropy(p, TARGETS.astype(dtype), reduction=reduction)
    (loss if reduction != "none" else ag.sum(loss)).backward()
    tp = torch.tensor(PROBS.astype(dtype), requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(TARGETS.astype(dtype)),
                                                     reduction=reduction)
    (tloss if reduction != "none" else tloss.sum()).backward()
    assert loss.dtype == dtype and p.grad.dtype == dtype          # float32 stays float32
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), **TOL[dtype])
    assert np.all(p.grad[[3, 4, 5, 8, 11]] != 0)       # no dead gradient at p = 0 or 1


@pytest.mark.parametrize("p, t", [(p, t) for p in (0.0, 1e-20, 0.3, 1.0) for t in (0.0, 1.0)])
def test_bce_of_a_python_float_matches_torch(p, t):
    torch = pytest.importorskip("torch")
    x = Value(p)
    loss = binary_cross_entropy(x, t)
    loss.backward()
    tx = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    tloss = torch.nn.functional.binary_cross_entropy(tx, torch.tensor(t, dtype=torch.float64))
    tloss.backward()
    assert type(loss.data) is float
    assert loss.data == pytest.approx(tloss.item(), rel=1e-9, abs=1e-30)
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-6)


def test_bce_target_gradient():
    # Exact gradient of the clamped value; inside (0, 1) that is PyTorch's too.
    torch = pytest.importorskip("torch")
    p, t = Value(PROBS.copy()), Value(TARGETS.copy())
    binary_cross_entropy(p, t, reduction="sum").backward()
    with np.errstate(divide="ignore"):
        want = -(np.maximum(np.log(PROBS), -100) - np.maximum(np.log1p(-PROBS), -100))
    np.testing.assert_allclose(t.grad, want, rtol=1e-12)
    inner = np.array([0.1, 0.5, 0.9])
    tp, tt = (torch.tensor(a, requires_grad=True) for a in (inner, np.array([0.2, 1.0, 0.0])))
    torch.nn.functional.binary_cross_entropy(tp, tt, reduction="sum").backward()
    p, t = Value(inner), Value(np.array([0.2, 1.0, 0.0]))
    binary_cross_entropy(p, t, reduction="sum").backward()
    np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-10)


def test_bce_gradcheck_inside_and_second_order():
    probs, targets = np.array([0.1, 0.5, 0.9]), np.array([0.2, 0.7, 0.5])
    assert ag.gradcheck(lambda p, t: binary_cross_entropy(p, t, reduction="none"),
                        probs, targets)
    # The VJP also runs on Values (create_graph), so the gradient is differentiable again.
    dloss = ag.grad(lambda q: binary_cross_entropy(q, targets, reduction="sum"))
    assert ag.gradcheck(dloss, probs)


# ----- B3: optimisers skip parameters without a gradient, as PyTorch does -------------------
OPTIMISERS = [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
              ("Adam", dict(lr=0.1)),
              ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True)),
              ("AdamW", dict(lr=0.1, weight_decay=0.1)),
              ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
              ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1, centered=True))]


@pytest.mark.parametrize("name, kwargs", OPTIMISERS, ids=[f"{n}-{i}" for i, (n, _) in
                                                          enumerate(OPTIMISERS)])
def test_unused_parameter_is_skipped_like_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    a0, b0 = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    a, b = Value(a0.copy()), Value(b0.copy())
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a0, b0))
    ours = getattr(optim, name)([a, b], **kwargs)
    theirs = getattr(torch.optim, name)([ta, tb], **kwargs)
    for step in range(4):
        use_b = step != 1                                # b gets no gradient in step 2
        ours.zero_grad()
        theirs.zero_grad(set_to_none=True)
        loss = ag.sum(a * a) + (ag.sum(b * b * b) if use_b else 0.0)
        tloss = (ta * ta).sum() + ((tb ** 3).sum() if use_b else 0.0)
        loss.backward()
        tloss.backward()
        assert (b._grad is None) == (tb.grad is None)
        ours.step()
        theirs.step()
        np.testing.assert_allclose(a.data, ta.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-10)


def test_clip_grad_norm_leaves_missing_gradients_missing():
    a, b = Value(np.array([3.0, 4.0])), Value(np.array([1.0]))
    a.grad = np.array([3.0, 4.0])
    assert optim.clip_grad_norm([a, b], 1.0) == 5.0
    assert b._grad is None
    before = b.data.copy()
    optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    np.testing.assert_array_equal(b.data, before)


# ----- B5: Dropout keeps the input's dtype -----------------------------------------------
@pytest.mark.parametrize("x, dtype", [(0.7, np.float64), (np.float32(0.7), np.float32),
                                      (np.ones(6), np.float64),
                                      (np.ones(6, dtype=np.float32), np.float32)])
def test_dropout_keeps_the_dtype(x, dtype):
    v = Value(x)
    out = nn.Dropout(0.5, seed=0)(v)
    assert np.asarray(out.data).dtype == dtype
    ag.sum(out).backward()
    assert np.asarray(v.grad).dtype == dtype


def _weights(model):
    return {k: np.array(v) for k, v in model.state_dict().items()}


# ----- B7 / B8: save's permissions, load's foreign files ---------------------------------
@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_saved_file_has_the_usual_permissions(tmp_path, umask):
    old = os.umask(umask)
    try:
        nn.MLP(2, [3, 1], seed=0).save(tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "model.npz").st_mode & 0o777 == 0o666 & ~umask


def test_plain_text_is_not_an_npz_archive(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    before = _weights(model)
    path = tmp_path / "notes.npz"
    path.write_text("hello, not an archive")
    with pytest.raises(ValueError, match="notes.npz.*not an .npz archive") as info:
        model.load(path)
    assert "pickle" not in str(info.value)
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_real_pickles_are_still_refused_as_pickles(tmp_path, protocol):
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps({"layers.0.W": np.zeros((2, 3))}, protocol=protocol))
    with pytest.raises(ValueError, match="pickled objects, which are refused"):
        nn.MLP(2, [3, 1], seed=0).load(path)


def test_empty_zip_is_read_as_an_archive(tmp_path):
    path = tmp_path / "empty.npz"
    with zipfile.ZipFile(path, "w"):
        pass
    assert path.read_bytes()[:4] == b"PK\x05\x06"
    with pytest.raises(KeyError, match="missing"):               # an archive without names
        nn.MLP(2, [3, 1], seed=0).load(path)
