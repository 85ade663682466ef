"""nn.Linear, nn.Identity and nn.Embedding against PyTorch: layouts, initialisation ranges,
outputs and gradients with the same weights, and the errors."""
import numpy as np
import pytest

import nn
from autograd import Value

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_with_the_same_weights(dtype, bias):
    theirs = torch.nn.Linear(5, 3, bias=bias).to(torch.float32 if dtype == np.float32
                                                  else torch.float64)
    ours = nn.Linear(5, 3, bias=bias, dtype=dtype, seed=0)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    x = np.random.default_rng(0).normal(size=(2, 4, 5)).astype(dtype)   # leading axes
    xv, xt = Value(x.copy()), torch.tensor(x, requires_grad=True)
    out, tout = ours(xv), theirs(xt)
    assert out.dtype == dtype and out.shape == (2, 4, 3)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **tol)
    up = np.random.default_rng(1).normal(size=out.shape).astype(dtype)
    out.backward(up)
    tout.backward(torch.tensor(up))
    np.testing.assert_allclose(xv.grad, xt.grad.numpy(), **tol)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(dict(ours.named_parameters())[name].grad, p.grad.numpy(),
                                   **tol)


def test_linear_initialises_like_torch():
    layer = nn.Linear(400, 300, seed=0)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
        assert np.abs(p.data).max() > 0.95 * bound          # uniform over the whole range
    assert layer.weight.dtype == np.float64
    assert nn.Linear(2, 2, dtype=np.float32).weight.dtype == np.float32


def test_linear_errors_name_the_layer_and_the_fix():
    with pytest.raises(ValueError, match=r"Linear\(in_features=3.*expected inputs of shape "
                                         r"\(\*, 3\), got \(2, 4\)"):
        nn.Linear(3, 2, seed=0)(np.ones((2, 4)))
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(0, 2)
    with pytest.raises(TypeError, match="floating dtype"):
        nn.Linear(2, 2, dtype=np.int64)


def test_linear_and_identity_in_a_summary():
    model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.Identity(), nn.Linear(8, 2, seed=1))
    text = model.summary(4)
    assert "0 (Linear)" in text and "2 (Linear)" in text and "Total params: 58" in text
    x = np.ones((3, 4))
    np.testing.assert_array_equal(model[1](x), x)


def test_sequential_slices_and_torch_state_dict_keys():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    ours = nn.Sequential(nn.Linear(3, 4), nn.Activation("tanh"), nn.Linear(4, 1))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).normal(size=(6, 3))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x).float()).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    head = ours[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    np.testing.assert_array_equal(head(x).data, np.tanh(ours[0](x).data))


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch_and_accumulates_repeated_indices(padding_idx):
    theirs = torch.nn.Embedding(7, 3, padding_idx=padding_idx).double()
    ours = nn.Embedding(7, 3, padding_idx=padding_idx, seed=0)
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    idx = np.array([[1, 2, 1, 0], [6, 6, 3, 1]])
    out, tout = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    up = np.random.default_rng(3).normal(size=out.shape)
    out.backward(up)
    tout.backward(torch.tensor(up))
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    if padding_idx is not None:
        assert not ours.weight.grad[padding_idx].any()
    assert ours.weight.grad[1].any()                      # index 1 used three times


def test_embedding_padding_row_starts_at_zero():
    emb = nn.Embedding(5, 4, padding_idx=2, seed=0)
    assert not emb.weight.data[2].any() and emb.weight.data[1].any()


@pytest.mark.parametrize("indices, error, message", [
    (np.array([0, 5]), IndexError, r"index 5 is out of range; indices run from 0 to 4"),
    (np.array([-1]), IndexError, r"index -1 is out of range"),
    (np.array([0.0, 1.0]), TypeError, r"indices must be integers, got dtype float64"),
])
def test_embedding_refuses_bad_indices(indices, error, message):
    with pytest.raises(error, match=r"Embedding\(5, 2\): " + message):
        nn.Embedding(5, 2, seed=0)(indices)
