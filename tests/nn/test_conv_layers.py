"""Convolutional layers against PyTorch: the same weights give the same outputs and gradients
(inputs and parameters), state_dicts load both ways, initialisation follows PyTorch's rule, and
bad arguments and inputs are refused before anything changes."""
import math

import numpy as np
import pytest

from autograd import Value
import nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")

DTYPES = [(np.float64, torch.float64, dict(rtol=1e-10, atol=1e-12)),
          (np.float32, torch.float32, dict(rtol=2e-4, atol=2e-5))]


def _numpy_state(module):
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def _compare(ours, theirs, x, tol):
    """Run both layers on x with the same upstream gradient; compare outputs and gradients of
    the input and of every parameter, by PyTorch's names (ours are the same)."""
    xv = Value(x.copy())
    xt = torch.tensor(x, requires_grad=True)
    out, tout = ours(xv), theirs(xt)
    assert out.dtype == x.dtype
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **tol)
    upstream = np.random.default_rng(1).normal(size=out.shape).astype(x.dtype)
    out.backward(upstream)
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(xv.grad, xt.grad.numpy(), **tol)
    grads = {name: p.grad for name, p in ours.named_parameters()}
    assert set(grads) == {name for name, _ in theirs.named_parameters()}
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), **tol)


CONVS = [
    (1, dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 11)),
    (1, dict(in_channels=4, out_channels=6, kernel_size=4, stride=2, padding=1, dilation=2,
             groups=2), (3, 4, 17)),
    (1, dict(in_channels=2, out_channels=2, kernel_size=5, padding="same", bias=False),
     (2, 2, 9)),
    (2, dict(in_channels=1, out_channels=5, kernel_size=3), (2, 1, 8, 8)),
    (2, dict(in_channels=6, out_channels=4, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0),
             dilation=(1, 2), groups=2), (2, 6, 9, 7)),
    (2, dict(in_channels=3, out_channels=3, kernel_size=4, padding="same", groups=3),
     (1, 3, 6, 5)),
    (2, dict(in_channels=2, out_channels=3, kernel_size=2, padding="valid", bias=False),
     (2, 2, 5, 4)),
]


@pytest.mark.parametrize("np_dtype,torch_dtype,tol", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("d,kwargs,shape", CONVS)
def test_conv_layers_match_torch_with_torch_weights(d, kwargs, shape, np_dtype, torch_dtype,
                                                    tol):
    theirs = (torch.nn.Conv1d if d == 1 else torch.nn.Conv2d)(**kwargs, dtype=torch_dtype)
    ours = (nn.Conv1d if d == 1 else nn.Conv2d)(**kwargs, dtype=np_dtype, seed=0)
    state = _numpy_state(theirs)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in state.items()}
    ours.load_state_dict(state)
    x = np.random.default_rng(0).normal(size=shape).astype(np_dtype)
    _compare(ours, theirs, x, tol)


POOLS = [
    (nn.MaxPool1d(3), torch.nn.MaxPool1d(3), (2, 3, 10)),
    (nn.MaxPool1d(4, stride=2, padding=2, dilation=1), torch.nn.MaxPool1d(4, 2, 2), (2, 2, 9)),
    (nn.MaxPool2d(2), torch.nn.MaxPool2d(2), (2, 3, 8, 7)),
    (nn.MaxPool2d((3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
     torch.nn.MaxPool2d((3, 2), (1, 2), (1, 0), (2, 1)), (1, 2, 7, 6)),
    (nn.AvgPool1d(3, stride=2, padding=1), torch.nn.AvgPool1d(3, 2, 1), (2, 3, 10)),
    (nn.AvgPool2d(2), torch.nn.AvgPool2d(2), (2, 3, 8, 7)),
    (nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
     torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 2, 7, 8)),
    (nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True),
     (2, 2, 8, 7)),
    (nn.MaxPool1d(2, ceil_mode=True), torch.nn.MaxPool1d(2, ceil_mode=True), (2, 3, 9)),
    (nn.AvgPool2d(3, 2, 1, True), torch.nn.AvgPool2d(3, 2, 1, True), (2, 2, 8, 7)),
    (nn.AvgPool1d(2, 2, 1, ceil_mode=True, count_include_pad=False),
     torch.nn.AvgPool1d(2, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8)),
    (nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3), (2, 3, 10)),
    (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1), (2, 3, 5, 6)),
    (nn.AdaptiveAvgPool2d((3, None)), torch.nn.AdaptiveAvgPool2d((3, None)), (2, 2, 7, 5)),
    (nn.Flatten(), torch.nn.Flatten(), (2, 3, 4, 5)),
    (nn.Flatten(0, 2), torch.nn.Flatten(0, 2), (2, 3, 4, 5)),
    (nn.Flatten(-2), torch.nn.Flatten(-2), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("np_dtype,torch_dtype,tol", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("ours,theirs,shape", POOLS, ids=lambda v: repr(v).replace(" ", ""))
def test_pooling_and_flatten_match_torch(ours, theirs, shape, np_dtype, torch_dtype, tol):
    x = np.random.default_rng(2).normal(size=shape).astype(np_dtype)
    _compare(ours, theirs, x, tol)
    assert ours.state_dict() == {} and theirs.state_dict() == {}


def _batchnorm_pair(np_dtype, torch_dtype, **kwargs):
    rng = np.random.default_rng(4)
    theirs = torch.nn.BatchNorm2d(3, dtype=torch_dtype, **kwargs)
    if theirs.affine:
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(rng.normal(size=3)))
            theirs.bias.copy_(torch.tensor(rng.normal(size=3)))
    ours = nn.BatchNorm2d(3, dtype=np_dtype, **kwargs)
    ours.load_state_dict(_numpy_state(theirs))
    return ours, theirs


@pytest.mark.parametrize("np_dtype,torch_dtype,tol", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("kwargs", [{}, dict(momentum=0.3, eps=1e-3), dict(momentum=None),
                                    dict(affine=False)])
def test_batchnorm2d_matches_torch_in_train_and_eval(kwargs, np_dtype, torch_dtype, tol):
    ours, theirs = _batchnorm_pair(np_dtype, torch_dtype, **kwargs)
    rng = np.random.default_rng(5)
    for step in range(3):
        x = (rng.normal(size=(4, 3, 5, 6)) * (step + 1) + step).astype(np_dtype)
        _compare(ours, theirs, x, tol)
        ours.zero_grad()
        theirs.zero_grad()
    state = _numpy_state(theirs)
    for name, value in ours.state_dict().items():
        assert value.dtype == state[name].dtype
        np.testing.assert_allclose(value, state[name], **tol)
    assert int(ours.num_batches_tracked) == 3
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, rng.normal(size=(2, 3, 4, 4)).astype(np_dtype), tol)
    assert int(ours.num_batches_tracked) == 3


def test_batchnorm2d_loads_torch_state_dict_unchanged_and_keeps_buffer_dtypes():
    theirs = torch.nn.BatchNorm2d(4)
    theirs(torch.randn(8, 4, 3, 3))
    state = _numpy_state(theirs)
    ours = nn.BatchNorm2d(4, dtype=np.float32)
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)
    np.testing.assert_array_equal(ours.running_var, state["running_var"])
    assert ours.num_batches_tracked.dtype == np.int64 and int(ours.num_batches_tracked) == 1
    ours.astype(np.float64)
    assert ours.running_mean.dtype == np.float64 and ours.num_batches_tracked.dtype == np.int64


def _lenets():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(6 * 3 * 3, 10)).double()
    ours = nn.Sequential(
        nn.Conv2d(1, 4, 3, seed=0), nn.Activation("relu"), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding=1, seed=1), nn.Activation("relu"), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(6 * 3 * 3, 10, seed=2))
    return ours, theirs


def test_lenet_loads_a_torch_state_dict_and_gives_torch_outputs_and_gradients():
    ours, theirs = _lenets()
    state = _numpy_state(theirs)
    assert list(ours.state_dict()) == list(state)          # PyTorch's names: 0.weight, ...
    ours.load_state_dict(state)
    x = np.random.default_rng(6).normal(size=(5, 1, 14, 14))
    _compare(ours, theirs, x, dict(rtol=1e-10, atol=1e-12))


def test_a_model_named_like_torchs_loads_its_state_dict_unchanged():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3, seed=0)
            self.bn = nn.BatchNorm2d(3)
            self.head = nn.Linear(3, 2, seed=0)

        def forward(self, x):
            features = nn.AdaptiveAvgPool2d(1)(self.bn(self.conv(x)))
            return self.head(nn.Flatten()(features))

    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 3, 3)
            self.bn = torch.nn.BatchNorm2d(3)
            self.head = torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.head(torch.flatten(torch.nn.AdaptiveAvgPool2d(1)(self.bn(self.conv(x))),
                                           1))

    theirs = TorchNet().double()
    theirs(torch.randn(4, 2, 6, 6, dtype=torch.float64))       # running stats move
    ours = Net()
    ours.load_state_dict(_numpy_state(theirs))
    x = np.random.default_rng(7).normal(size=(3, 2, 6, 6))
    _compare(ours, theirs, x, dict(rtol=1e-10, atol=1e-12))
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, x, dict(rtol=1e-10, atol=1e-12))


@pytest.mark.parametrize("layer,fan_in", [
    (lambda **k: nn.Conv2d(16, 32, 3, **k), 16 * 9),
    (lambda **k: nn.Conv2d(16, 32, (5, 2), groups=4, **k), 4 * 10),
    (lambda **k: nn.Conv1d(8, 64, 7, **k), 8 * 7),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_initialisation_follows_torchs_rule(layer, fan_in, dtype):
    ours = layer(seed=0, dtype=dtype)
    bound = 1.0 / math.sqrt(fan_in)
    w, b = ours.weight.data, ours.bias.data
    assert w.dtype == dtype and b.dtype == dtype
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.95 * bound                       # the whole range is used
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound   # uniform's spread
    assert abs(w.mean()) < 0.1 * bound
    theirs = torch.nn.Conv2d(16, 32, 3) if fan_in == 144 else None
    if theirs is not None:                                      # torch's bound is the same
        assert theirs.weight.abs().max().item() <= bound < 1.05 * theirs.weight.abs().max().item()
    np.testing.assert_array_equal(layer(seed=0, dtype=dtype).weight.data, w)
    assert not np.array_equal(layer(seed=1, dtype=dtype).weight.data, w)


def test_summary_shows_conv_output_shapes():
    ours, _ = _lenets()
    text = ours.summary(input_size=(1, 14, 14))
    shapes = [line.split()[2:-1] for line in text.splitlines() if line[:1].isdigit()]
    assert [" ".join(s) for s in shapes] == [
        "(N, 4, 12, 12)", "(N, 4, 12, 12)", "(N, 4, 6, 6)", "(N, 6, 6, 6)", "(N, 6, 6, 6)",
        "(N, 6, 3, 3)", "(N, 54)", "(N, 10)"]
    assert f"Total params: {4 * 9 + 4 + 6 * 36 + 6 + 54 * 10 + 10:,}" in text


def test_max_pool_layer_returns_torch_indices_and_sizes_ceil_mode_windows():
    ours = nn.MaxPool2d(3, stride=2, return_indices=True, ceil_mode=True)
    theirs = torch.nn.MaxPool2d(3, stride=2, return_indices=True, ceil_mode=True)
    x = np.random.default_rng(6).normal(size=(2, 3, 8, 9))
    (y, indices), (ty, tindices) = ours(x), theirs(torch.tensor(x))
    np.testing.assert_array_equal(y, ty.numpy())
    np.testing.assert_array_equal(indices, tindices.numpy())
    assert ours.output_size((3, 8, 9)) == tuple(ty.shape[1:]) == (3, 4, 4)
    assert nn.MaxPool2d(3, stride=2).output_size((3, 8, 9)) == (3, 3, 4)
    assert "ceil_mode=True" in repr(ours)


def test_save_and_load_keep_the_conv_architecture(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding="same", seed=0), nn.BatchNorm2d(2),
                          nn.Flatten())
    path = tmp_path / "cnn.npz"
    model.save(path)
    other = nn.Sequential(nn.Conv2d(1, 2, 3, padding="same", seed=1), nn.BatchNorm2d(2),
                          nn.Flatten())
    other.load(path)
    np.testing.assert_array_equal(other[0].weight.data, model[0].weight.data)
    wider = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, seed=0), nn.BatchNorm2d(2),
                          nn.Flatten())
    with pytest.raises(ValueError, match="padding"):
        wider.load(path)


@pytest.mark.parametrize("build,error,message", [
    (lambda: nn.Conv2d(3, 4, 0), ValueError, "Conv2d: kernel_size must be a positive"),
    (lambda: nn.Conv2d(3, 4, 2.5), TypeError, "Conv2d: kernel_size"),
    (lambda: nn.Conv2d(3, 4, (3, 3, 3)), ValueError, "Conv2d: kernel_size must be an int or 2"),
    (lambda: nn.Conv1d(0, 4, 3), ValueError, "Conv1d: in_channels"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "groups=2 must divide"),
    (lambda: nn.Conv2d(3, 3, 3, stride=0), ValueError, "Conv2d: stride"),
    (lambda: nn.Conv2d(3, 3, 3, padding=-1), ValueError, "Conv2d: padding"),
    (lambda: nn.Conv2d(3, 3, 3, padding="full"), ValueError, "'same' or 'valid'"),
    (lambda: nn.Conv2d(3, 3, 3, stride=2, padding="same"), ValueError, "needs stride 1"),
    (lambda: nn.Conv2d(3, 3, 3, bias="no"), TypeError, "bias must be True or False"),
    (lambda: nn.Conv2d(3, 3, 3, dtype=np.int64), TypeError, "floating dtype"),
    (lambda: nn.MaxPool2d(2, padding=2), ValueError, "MaxPool2d: padding=2 must be at most"),
    (lambda: nn.MaxPool1d(0), ValueError, "MaxPool1d: kernel_size"),
    (lambda: nn.AvgPool2d(2, stride=(1, 0)), ValueError, "AvgPool2d: stride"),
    (lambda: nn.AvgPool1d(2, count_include_pad=1), TypeError, "count_include_pad"),
    (lambda: nn.AvgPool2d(2, ceil_mode="yes"), TypeError, "AvgPool2d: ceil_mode must be True"),
    (lambda: nn.MaxPool2d(2, return_indices=1), TypeError, "MaxPool2d: return_indices must"),
    (lambda: nn.AdaptiveAvgPool2d((2, 2, 2)), ValueError, "AdaptiveAvgPool2d: output_size"),
    (lambda: nn.AdaptiveAvgPool1d(0), ValueError, "AdaptiveAvgPool1d: output_size"),
    (lambda: nn.Flatten(1.0), TypeError, "Flatten: start_dim"),
    (lambda: nn.BatchNorm2d(0), ValueError, "BatchNorm2d: num_features"),
    (lambda: nn.BatchNorm2d(3, momentum=2.0), ValueError, "BatchNorm2d: momentum"),
])
def test_bad_arguments_are_refused_with_the_layer_named(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("layer,shape,message", [
    (nn.Conv2d(3, 4, 3), (2, 2, 5, 5), r"Conv2d\(3, 4, .*\): conv2d: x of shape \(2, 2, 5, 5\) "
                                       "has 2 channels"),
    (nn.Conv2d(3, 4, 3), (2, 3, 5), r"Conv2d\(3, 4.*\(2, 3, 5\)"),
    (nn.Conv1d(1, 1, 5), (2, 1, 3), r"Conv1d\(1, 1.*spans more than the padded input"),
    (nn.MaxPool2d(3), (1, 1, 2, 2), r"MaxPool2d\(kernel_size=3.*\(1, 1, 2, 2\)"),
    (nn.AvgPool1d(2), (2, 3, 4, 4), r"AvgPool1d\(kernel_size=2.*\(2, 3, 4, 4\)"),
    (nn.Flatten(2), (4, 5), r"Flatten\(start_dim=2, end_dim=-1\).*\(4, 5\)"),
    (nn.BatchNorm2d(3), (2, 4, 5, 5), r"BatchNorm2d\(3.*\(N, 3, H, W\), got shape \(2, 4, 5, 5\)"),
])
def test_bad_inputs_are_refused_with_the_layer_and_shapes_named(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


def test_batchnorm2d_refuses_one_value_per_channel_before_changing_its_statistics():
    bn = nn.BatchNorm2d(2)
    before = {k: v.copy() for k, v in bn.state_dict().items()}
    with pytest.raises(ValueError, match="more than one value per channel"):
        bn(np.ones((1, 2, 1, 1)))
    for name, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    bn.eval()
    assert bn(np.ones((1, 2, 1, 1))).shape == (1, 2, 1, 1)      # fine with running statistics


def test_functional_wrappers_have_torchs_signatures():
    F = nn.functional
    rng = np.random.default_rng(8)
    x, w, b = rng.normal(size=(2, 4, 7, 7)), rng.normal(size=(6, 2, 3, 3)), rng.normal(size=6)
    tx, tw, tb = (torch.tensor(a) for a in (x, w, b))
    tf = torch.nn.functional
    np.testing.assert_allclose(F.conv2d(x, w, b, 2, 1, 1, 2),
                               tf.conv2d(tx, tw, tb, 2, 1, 1, 2).numpy(), rtol=1e-10)
    np.testing.assert_allclose(F.max_pool2d(x, 3, 2, 1), tf.max_pool2d(tx, 3, 2, 1).numpy())
    np.testing.assert_allclose(F.avg_pool2d(x, 2), tf.avg_pool2d(tx, 2).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.conv1d(x[:, :, 0], w[:, :, 0], None, 1, "same", 1, 2),
                               tf.conv1d(tx[:, :, 0], tw[:, :, 0], None, 1, "same", 1, 2).numpy(),
                               rtol=1e-10)
