"""Convolution and pooling beyond the op table's random draws: what is refused (before anything
is recorded), which entry of a max-pool window gets the gradient (ties, NaN, -inf, a window
wholly in the padding), 'same' padding, float32 at a realistic size, any number of spatial
dimensions, and that the gradients are recorded as the conv family's own ops (so they
differentiate again)."""
import re

import numpy as np
import pytest

import autograd as ag
from autograd import Value
from autograd.engine import gradients
import ag_cases  # noqa: F401  (first: it loads cases_conv into the table)
from cases_conv import np_conv, torch_conv
from test_errors import raises_before_recording

RNG = np.random.default_rng(15)


def _normal(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


# ----- bad input -------------------------------------------------------------------------------
CONV_ERRORS = [
    ("channel mismatch", (1, 3, 5, 5), (4, 2, 3, 3), {},
     r"conv2d: x of shape \(1, 3, 5, 5\) has 3 channels, but the weight of shape \(4, 2, 3, 3\)"),
    ("groups mismatch", (1, 4, 5, 5), (4, 4, 3, 3), {"groups": 2},
     r"conv2d: x of shape \(1, 4, 5, 5\) has 4 channels, but the weight .* takes 8"),
    ("groups not dividing C_out", (1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2},
     r"conv2d: groups=2 must .* divide both the input's 4 and the output's 3 channels"),
    ("groups not dividing C_in", (1, 3, 5, 5), (2, 1, 3, 3), {"groups": 2},
     r"conv2d: groups=2 must .* divide both the input's 3"),
    ("groups zero", (1, 2, 5, 5), (2, 2, 3, 3), {"groups": 0}, r"conv2d: groups=0 must be"),
    ("kernel too large", (1, 1, 2, 6), (1, 1, 3, 3), {},
     r"conv2d: the kernel \(3, 3\) .* spans more than the padded input: x of shape "
     r"\(1, 1, 2, 6\)"),
    ("dilated kernel too large", (1, 1, 6, 6), (1, 1, 3, 3), {"dilation": 3},
     r"conv2d: the kernel \(3, 3\) \(dilation \(3, 3\)\) spans more"),
    ("stride zero", (1, 1, 5, 5), (1, 1, 3, 3), {"stride": 0}, r"conv2d: stride must be positive"),
    ("dilation negative", (1, 1, 5, 5), (1, 1, 3, 3), {"dilation": (1, -1)},
     r"conv2d: dilation must be positive"),
    ("padding negative", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": -1},
     r"conv2d: padding must be non-negative"),
    ("stride of the wrong length", (1, 1, 5, 5), (1, 1, 3, 3), {"stride": (1, 1, 1)},
     r"conv2d: stride \(1, 1, 1\) must be an int or 2 ints"),
    ("same with a stride", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": "same", "stride": 2},
     r"conv2d: padding='same' needs stride 1"),
    ("unknown padding word", (1, 1, 5, 5), (1, 1, 3, 3), {"padding": "full"},
     r"conv2d: padding 'full' is not 'same' or 'valid'"),
    ("x of the wrong rank", (5, 5), (1, 1, 3, 3), {},
     r"conv2d: x must be \(N, C_in, H, W\), or \(C_in, H, W\) for one sample; got shape "
     r"\(5, 5\)"),
    ("weight of the wrong rank", (1, 1, 5, 5), (1, 3, 3), {},
     r"conv2d: weight must be \(C_out, C_in // groups, k1, k2\), got shape \(1, 3, 3\)"),
]


@pytest.mark.parametrize("xs,ws,kwargs,match", [c[1:] for c in CONV_ERRORS],
                         ids=[c[0] for c in CONV_ERRORS])
def test_bad_convolutions_are_refused_before_recording(xs, ws, kwargs, match):
    x, w = Value(np.ones(xs)), Value(np.ones(ws))
    with raises_before_recording(ValueError, match=match):
        ag.conv2d(x, w, **kwargs)


def test_bad_bias_and_generic_ranks_are_refused():
    x, w, b = Value(np.ones((1, 2, 5))), Value(np.ones((3, 2, 2))), Value(np.ones(2))
    with raises_before_recording(ValueError, match=re.escape(
            "conv1d: bias must have shape (3,), one per output channel of the weight of shape "
            "(3, 2, 2); got (2,)")):
        ag.conv1d(x, w, b)
    flat, cube = Value(np.ones((3, 2))), Value(np.ones((3, 2, 1, 1, 1)))
    with raises_before_recording(ValueError, match=re.escape(
            "conv: weight must be (C_out, C_in // groups, *kernel), got shape (3, 2)")):
        ag.conv(x, flat)
    with raises_before_recording(ValueError, match=re.escape(
            "conv: x must be (N, C_in, D, H, W), or (C_in, D, H, W) for one sample; got shape "
            "(1, 2, 5)")):
        ag.conv(x, cube)


@pytest.mark.parametrize("kwargs", [{"stride": 1.5}, {"dilation": (1, True)}, {"groups": 1.0},
                                    {"padding": (1, "1")}])
def test_arguments_of_the_wrong_type_are_a_type_error(kwargs):
    x, w = Value(np.ones((1, 2, 5, 5))), Value(np.ones((2, 2, 3, 3)))
    with raises_before_recording(TypeError, match="conv2d: (stride|dilation|groups|padding) "
                                                  "must be an int"):
        ag.conv2d(x, w, **kwargs)


POOL_ERRORS = [
    (ag.max_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "padding": 2},
     r"max_pool2d: padding 2 must be at most half of kernel_size \(2, 2\) .* x of shape "
     r"\(1, 1, 4, 4\)"),
    (ag.avg_pool1d, (1, 1, 4), {"kernel_size": 3, "padding": 2},
     r"avg_pool1d: padding 2 must be at most half"),
    (ag.max_pool2d, (1, 1, 2, 5), {"kernel_size": 3},
     r"max_pool2d: the kernel \(3, 3\) .* spans more than the padded input: x of shape "
     r"\(1, 1, 2, 5\)"),
    (ag.max_pool1d, (1, 1, 9), {"kernel_size": 3, "dilation": 5},
     r"max_pool1d: the kernel \(3,\) \(dilation \(5,\)\) spans more"),
    (ag.avg_pool2d, (1, 1, 4, 4), {"kernel_size": 2, "stride": 0},
     r"avg_pool2d: stride must be positive"),
    (ag.max_pool1d, (1, 1, 4), {"kernel_size": 0}, r"max_pool1d: kernel_size must be positive"),
    (ag.max_pool2d, (4, 4), {"kernel_size": 2},
     r"max_pool2d: x must be \(N, C, H, W\), or \(C, H, W\) for one sample; got shape \(4, 4\)"),
    (ag.adaptive_avg_pool2d, (1, 1, 4, 4), {"output_size": (2, 0)},
     r"adaptive_avg_pool2d: output_size must be positive"),
    (ag.adaptive_avg_pool2d, (1, 1, 4, 4), {"output_size": (2, 2, 2)},
     r"adaptive_avg_pool2d: output_size \(2, 2, 2\) must be an int or 2 ints"),
]


@pytest.mark.parametrize("fn,xs,kwargs,match", POOL_ERRORS,
                         ids=[f"{e[0].__name__}-{i}" for i, e in enumerate(POOL_ERRORS)])
def test_bad_pooling_is_refused_before_recording(fn, xs, kwargs, match):
    x = Value(np.ones(xs))
    with raises_before_recording(ValueError, match=match):
        fn(x, **kwargs)


def test_count_include_pad_must_be_a_bool():
    x = Value(np.ones((1, 1, 4)))
    with raises_before_recording(TypeError, match="avg_pool1d: count_include_pad must be True "
                                                  "or False"):
        ag.avg_pool1d(x, 2, count_include_pad=1)


# ----- which entry of a max-pool window gets the gradient --------------------------------------
def _pool_grad(fn, x, upstream=None, **kwargs):
    v = Value(np.asarray(x, dtype=np.float64))
    y = fn(v, **kwargs)
    y.backward(np.ones(y.shape) if upstream is None else upstream)
    return y.data, v.grad


def test_tied_maxima_give_the_gradient_to_the_first_in_window_order():
    y, g = _pool_grad(ag.max_pool1d, [[[1.0, 3.0, 3.0, 2.0, 3.0]]], kernel_size=3, stride=1)
    np.testing.assert_array_equal(y, [[[3.0, 3.0, 3.0]]])
    np.testing.assert_array_equal(g, [[[0.0, 2.0, 1.0, 0.0, 0.0]]])
    y, g = _pool_grad(ag.max_pool2d, [[[[1.0, 5.0], [5.0, 5.0]]]], kernel_size=2)
    np.testing.assert_array_equal(g, [[[[0.0, 1.0], [0.0, 0.0]]]])     # row-major order


def test_a_nan_in_a_window_is_its_maximum_and_the_last_nan_gets_the_gradient():
    nan = np.nan
    y, g = _pool_grad(ag.max_pool1d, [[[2.0, nan, 7.0, nan, 1.0]]], kernel_size=5)
    assert np.isnan(y).all()
    np.testing.assert_array_equal(g, [[[0.0, 0.0, 0.0, 1.0, 0.0]]])
    y, g = _pool_grad(ag.max_pool2d, [[[[1.0, nan], [nan, 2.0]]]], kernel_size=2)
    np.testing.assert_array_equal(g, [[[[0.0, 0.0], [1.0, 0.0]]]])


def test_padding_is_never_chosen():
    """A window of -inf entries and -inf padding gives its gradient to its first entry inside
    the input."""
    y, g = _pool_grad(ag.max_pool1d, [[[-np.inf, -np.inf, 1.0, 1.0]]], kernel_size=2, padding=1)
    np.testing.assert_array_equal(y, [[[-np.inf, 1.0, 1.0]]])
    np.testing.assert_array_equal(g, [[[1.0, 0.0, 1.0, 1.0]]])


def test_a_window_wholly_in_the_padding_is_minus_infinity_without_gradient():
    """Its maximum is that of no entries; PyTorch writes outside its gradient here."""
    y, g = _pool_grad(ag.max_pool1d, [[[4.0]]], kernel_size=2, stride=1, padding=1, dilation=2)
    np.testing.assert_array_equal(y, [[[-np.inf]]])
    np.testing.assert_array_equal(g, [[[0.0]]])


def test_max_pool_ties_nan_and_infinities_match_torch():
    torch = pytest.importorskip("torch")
    x = np.round(RNG.uniform(-2, 2, (2, 3, 7, 6)))                  # many ties
    x[0, 0, 1, 2] = x[1, 2, 4, 4] = x[1, 2, 5, 5] = np.nan
    x[0, 1, :3, :3] = -np.inf
    upstream = _normal(2, 3, 4, 3)
    y, g = _pool_grad(ag.max_pool2d, x, upstream, kernel_size=(3, 2), stride=(2, 2),
                      padding=1, dilation=(1, 2))
    t = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(t, (3, 2), (2, 2), 1, (1, 2))
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)


# ----- padding 'same' ------------------------------------------------------------------------
@pytest.mark.parametrize("kernel,dilation", [(3, 1), (4, 1), (2, 3), (4, 2), ((2, 5), (3, 1))])
def test_same_padding_keeps_the_size_with_the_extra_entry_on_the_right(kernel, dilation):
    x, w = _normal(2, 3, 7, 6), _normal(4, 3, *np.broadcast_to(kernel, 2))
    y = ag.conv2d(Value(x), Value(w), padding="same", dilation=dilation)
    assert y.shape == (2, 4, 7, 6)
    totals = np.asarray(dilation) * (np.asarray(w.shape[2:]) - 1) * np.ones(2, int)
    pads = [(0, 0), (0, 0)] + [(int(t) // 2, int(t) - int(t) // 2) for t in totals]
    expected = np_conv(np.pad(x, pads), w, dilation=dilation)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12, atol=1e-12)


def test_same_padding_matches_torch_for_an_even_kernel():
    torch = pytest.importorskip("torch")
    x, w, b = _normal(2, 2, 9), _normal(3, 2, 4), _normal(3)
    vx, vw, vb = Value(x), Value(w), Value(b)
    y = ag.conv1d(vx, vw, vb, padding="same", dilation=1)
    upstream = _normal(*y.shape)
    y.backward(upstream)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch_conv(torch, tx, tw, tb, padding="same")
    ty.backward(torch.tensor(upstream))
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in [(vx, tx), (vw, tw), (vb, tb)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


# ----- float32 at a realistic size, against torch -------------------------------------------
def test_a_lenet_block_in_float32_matches_torch():
    """conv, relu, max pool, conv with groups and stride, average pool, global average pool:
    float32 throughout, values and gradients close to torch's."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = _normal(8, 3, 28, 28, dtype=np.float32)
    w1, b1 = _normal(8, 3, 5, 5, dtype=np.float32) * 0.2, _normal(8, dtype=np.float32)
    w2 = _normal(16, 4, 3, 3, dtype=np.float32) * 0.2

    def net(lib, x, w1, b1, w2, relu):
        h = relu(lib.conv2d(x, w1, b1, padding=2))
        h = lib.max_pool2d(h, 2)
        h = relu(lib.conv2d(h, w2, stride=2, padding=1, groups=2))
        h = lib.avg_pool2d(h, 3, stride=1, padding=1, count_include_pad=False)
        return lib.adaptive_avg_pool2d(h, 1)

    ours = [Value(a) for a in (x, w1, b1, w2)]
    y = net(ag, *ours, lambda v: v.relu())
    upstream = _normal(*y.shape, dtype=np.float32)
    y.backward(upstream)
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w1, b1, w2)]
    ty = net(F, *theirs, torch.relu)
    ty.backward(torch.tensor(upstream))
    assert y.dtype == np.float32 and y.shape == tuple(ty.shape) == (8, 16, 1, 1)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    for i, (v, t) in enumerate(zip(ours, theirs)):
        assert v.grad.dtype == np.float32
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-3, atol=1e-4,
                                   err_msg=f"gradient of input {i}")


def test_mixed_precision_follows_numpy_and_gradients_keep_each_dtype():
    x, w = Value(_normal(1, 2, 5, dtype=np.float32)), Value(_normal(3, 2, 2))
    y = ag.conv1d(x, w)
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64


# ----- any number of spatial dimensions, unbatched samples, raw arrays ----------------------
def test_conv_takes_any_number_of_spatial_dimensions():
    x, w, b = _normal(2, 4, 5, 4, 3, 4), _normal(6, 2, 2, 3, 1, 2), _normal(6)
    kwargs = dict(stride=(2, 1, 1, 3), padding=(1, 0, 2, 1), dilation=(1, 1, 2, 2), groups=2)
    y = ag.conv(Value(x), Value(w), Value(b), **kwargs)
    np.testing.assert_allclose(y.data, np_conv(x, w, b, **kwargs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_the_named_convolutions_are_conv(d):
    x, w = _normal(2, 2, *(5,) * d), _normal(4, 1, *(2,) * d)
    named = getattr(ag, f"conv{d}d")(x, w, stride=2, padding=1, groups=2)
    np.testing.assert_array_equal(named, ag.conv(x, w, stride=2, padding=1, groups=2))
    assert type(named) is np.ndarray              # raw arrays in, raw array out


@pytest.mark.parametrize("fn,kwargs", [
    (ag.conv2d, {"weight": _normal(4, 3, 2, 2), "padding": 1}),
    (ag.max_pool2d, {"kernel_size": 2}), (ag.avg_pool2d, {"kernel_size": 3, "padding": 1}),
    (ag.adaptive_avg_pool2d, {"output_size": (2, 3)})])
def test_an_unbatched_sample_is_a_batch_of_one(fn, kwargs):
    x = _normal(3, 5, 7)
    one, batch = Value(x), Value(x[None])
    single, batched = fn(one, **kwargs), fn(batch, **kwargs)
    np.testing.assert_array_equal(single.data, batched.data[0])
    upstream = _normal(*single.shape)
    single.backward(upstream)
    batched.backward(upstream[None])
    np.testing.assert_array_equal(one.grad, batch.grad[0])


# ----- gradients are the family's own ops, so they differentiate again -----------------------
def test_gradients_are_recorded_as_conv_ops():
    x, w = Value(_normal(2, 2, 6, 6)), Value(_normal(3, 2, 3, 3))
    (ag.conv2d(x, w, stride=2, padding=1) ** 2).sum().backward(create_graph=True)
    assert x.grad.op == "conv_input_grad" and w.grad.op == "conv_weight_grad"
    y = Value(_normal(2, 2, 6, 6))
    ((ag.max_pool2d(y, 2) ** 2).sum() + (ag.avg_pool2d(y, 3, 1, 1) ** 2).sum()).backward(
        create_graph=True)
    assert {p.op for p in y.grad.parents} >= {"max_unpool", "avg_unpool"}


def test_second_derivative_of_a_convolution_in_closed_form():
    """L = sum(conv(x, w)^2): the Hessian in x applied to v is 2 conv^T(conv(v, w), w)."""
    x, w, v = _normal(1, 2, 6), _normal(3, 2, 3), _normal(1, 2, 6)
    hvp = ag.grad(lambda x: (ag.grad(lambda x: (ag.conv1d(x, w, padding=1) ** 2).sum())(x)
                             * v).sum())(x)
    conv_v = np_conv(v, w, padding=1)
    padded = np.zeros((1, 2, 8))                # conv_v's transposed convolution, by offsets
    for k in range(3):
        padded[:, :, k:k + 6] += np.einsum("nol,oc->ncl", 2 * conv_v, w[:, :, k])
    np.testing.assert_allclose(hvp, padded[:, :, 1:7], rtol=1e-12, atol=1e-12)


def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients():
    x, w, b = Value(np.ones((0, 4, 5, 5))), Value(np.ones((6, 2, 3, 3))), Value(np.ones(6))
    y = ag.conv2d(x, w, b, padding=1, groups=2)
    assert y.shape == (0, 6, 5, 5)
    (y.sum() + ag.max_pool2d(x, 2).sum() + ag.avg_pool2d(x, 2).sum()).backward()
    assert x.grad.shape == (0, 4, 5, 5)
    np.testing.assert_array_equal(w.grad, np.zeros((6, 2, 3, 3)))
    np.testing.assert_array_equal(b.grad, np.zeros(6))


# ----- ceil_mode and return_indices ------------------------------------------------------------
def test_ceil_mode_keeps_a_last_window_that_hangs_over_the_end():
    """Length 5, kernel 2: ceil_mode adds the window [4, 5), whose mean has one entry."""
    x = Value(np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]))
    y = ag.avg_pool1d(x, 2, ceil_mode=True)
    np.testing.assert_array_equal(y.data, [[[1.5, 3.5, 5.0]]])
    y.backward(np.array([[[1.0, 10.0, 100.0]]]))
    np.testing.assert_array_equal(x.grad, [[[0.5, 0.5, 5.0, 5.0, 100.0]]])
    np.testing.assert_array_equal(ag.max_pool1d(x.data, 2, ceil_mode=True), [[[2.0, 4.0, 5.0]]])
    assert ag.avg_pool1d(x.data, 2).shape == (1, 1, 2)             # floor: the window is dropped


@pytest.mark.parametrize("count_include_pad,expected", [(True, [2 / 3, 5 / 3, 3 / 2]),
                                                        (False, [2 / 2, 5 / 3, 3 / 1])])
def test_ceil_mode_counts_the_padding_but_not_the_overhang(count_include_pad, expected):
    """Length 4, kernel 3, stride 2, padding 1: the windows cover [-1, 2), [1, 4) and [3, 6);
    the last holds x[3], one entry of padding (4) and one past it (5)."""
    x = np.array([[[1.0, 1.0, 1.0, 3.0]]])
    y = ag.avg_pool1d(x, 3, stride=2, padding=1, ceil_mode=True,
                      count_include_pad=count_include_pad)
    np.testing.assert_allclose(y, [[expected]], rtol=1e-15)


def test_ceil_mode_drops_a_window_that_would_start_past_the_input():
    """Length 4, kernel 2, stride 2, padding 1: a fourth window would start at 5, in the
    padding, so there are three, as in PyTorch."""
    y = ag.max_pool1d(np.arange(4.0).reshape(1, 1, 4), 2, stride=2, padding=1, ceil_mode=True)
    np.testing.assert_array_equal(y, [[[0.0, 2.0, 3.0]]])


POOL_SWEEP = [(n, k, s, p, dl) for n in range(1, 8) for k in (1, 2, 3) for s in (1, 2, 3)
              for p in range(k // 2 + 1) for dl in (1, 2) if n >= dl * (k - 1) + 1]


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_max_pool_indices_values_and_gradients_match_torch(ceil_mode):
    """Every small geometry (inputs at least a window long: see the table's note on torch),
    with ties, in 2-D: values, int64 indices into the flattened plane, input gradients."""
    torch = pytest.importorskip("torch")
    for n, k, s, p, dl in POOL_SWEEP:
        x = np.round(RNG.uniform(-2, 2, (2, 2, n, n + 1)))
        v, t = Value(x), torch.tensor(x, requires_grad=True)
        y, indices = ag.max_pool2d(v, k, s, p, dl, ceil_mode=ceil_mode, return_indices=True)
        ty, tindices = torch.nn.functional.max_pool2d(t, k, s, p, dl, ceil_mode=ceil_mode,
                                                      return_indices=True)
        upstream = _normal(*y.shape)
        y.backward(upstream)
        ty.backward(torch.tensor(upstream))
        where = f"n={n} k={k} s={s} p={p} dilation={dl}"
        np.testing.assert_array_equal(y.data, ty.detach().numpy(), err_msg=where)
        assert indices.dtype == np.int64
        np.testing.assert_array_equal(indices, tindices.numpy(), err_msg=where)
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-12, err_msg=where)


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_with_ceil_mode_matches_torch_over_small_geometries(count_include_pad):
    torch = pytest.importorskip("torch")
    for n, k, s, p, _ in [g for g in POOL_SWEEP if g[4] == 1]:
        x = _normal(2, 2, n + 1, n)
        v, t = Value(x), torch.tensor(x, requires_grad=True)
        y = ag.avg_pool2d(v, k, s, p, ceil_mode=True, count_include_pad=count_include_pad)
        ty = torch.nn.functional.avg_pool2d(t, k, s, p, ceil_mode=True,
                                            count_include_pad=count_include_pad)
        upstream = _normal(*y.shape)
        y.backward(upstream)
        ty.backward(torch.tensor(upstream))
        where = f"n={n} k={k} s={s} p={p}"
        np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=where)
        np.testing.assert_allclose(v.grad, t.grad.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=where)


@pytest.mark.parametrize("d", [1, 3])
def test_indices_point_at_the_maximum_of_the_flattened_plane(d):
    x = _normal(2, 3, *(5,) * d)
    y, indices = getattr(ag, f"max_pool{d}d")(x, 2, stride=2, padding=1, ceil_mode=True,
                                              return_indices=True)
    flat = x.reshape(2, 3, -1)
    picked = np.take_along_axis(flat, indices.reshape(2, 3, -1), axis=-1)
    np.testing.assert_array_equal(picked.reshape(y.shape), y)


def test_indices_of_an_unbatched_sample_and_of_a_window_wholly_in_the_padding():
    y, indices = ag.max_pool1d(np.array([[4.0]]), 2, stride=1, padding=1, dilation=2,
                               return_indices=True)
    np.testing.assert_array_equal(y, [[-np.inf]])
    np.testing.assert_array_equal(indices, [[-1]])
    y, indices = ag.max_pool2d(np.arange(12.0).reshape(1, 3, 4), 2, return_indices=True)
    np.testing.assert_array_equal(indices, [[[5, 7]]])


@pytest.mark.parametrize("fn,kwargs", [(ag.max_pool2d, {"ceil_mode": 1}),
                                       (ag.max_pool2d, {"return_indices": "yes"}),
                                       (ag.avg_pool1d, {"ceil_mode": None})])
def test_ceil_mode_and_return_indices_must_be_bools(fn, kwargs):
    x = Value(np.ones((1, 1, 4, 4)[:3 if fn is ag.avg_pool1d else 4]))
    name = next(iter(kwargs))
    with raises_before_recording(TypeError, match=f"{fn.__name__}: {name} must be True or "
                                                  "False"):
        fn(x, 2, **kwargs)


# ----- the fast paths: stride-1 input gradients, max pooling's positions -------------------
# (x shape, weight shape, keyword arguments); the first runs in chunks of one sample, the
# second in chunks of three and two, the rest as one chunk.
STRIDE_ONE = [
    ((3, 4, 30, 30), (2, 4, 3, 3), {"padding": 1}),
    ((5, 1, 30, 30), (2, 1, 3, 3), {"padding": 1}),
    ((2, 4, 7, 6), (6, 2, 2, 3), {"padding": "same", "dilation": (2, 1), "groups": 2}),
    ((2, 3, 9), (4, 3, 4), {"padding": (2,), "dilation": 2}),
    ((1, 2, 4, 5, 3), (3, 2, 2, 3, 1), {"padding": (1, 0, 2)}),
]


@pytest.mark.parametrize("xs,ws,kwargs", STRIDE_ONE)
def test_stride_one_gradients_match_torch_to_second_order(xs, ws, kwargs):
    """conv_input_grad's stride-1 path (g spread over rows as long as the padded input's, a
    cache-sized chunk of samples at a time): gradients and a Hessian-vector product."""
    torch = pytest.importorskip("torch")
    x, w = _normal(*xs), _normal(*ws)
    ours = [Value(x), Value(w)]
    y = ag.conv(*ours, **kwargs)
    upstream = _normal(*y.shape)
    gx, gw = gradients((y * upstream).sum(), ours, create_graph=True)
    v = _normal(*xs)
    hvp_w = gradients((gx * v).sum(), [ours[1]])[0]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    ty = torch_conv(torch, *theirs, **kwargs)
    tgx, tgw = torch.autograd.grad((ty * torch.tensor(upstream)).sum(), theirs,
                                   create_graph=True)
    (thvp_w,) = torch.autograd.grad((tgx * torch.tensor(v)).sum(), theirs[1])
    for got, expected in [(gx, tgx), (gw, tgw), (hvp_w, thvp_w)]:
        np.testing.assert_allclose(np.asarray(getattr(got, "data", got)),
                                   expected.detach().numpy(), rtol=1e-10, atol=1e-10)


def test_stride_one_input_gradient_in_float32_and_with_a_nan_weight_in_the_padding():
    """float32 stays float32; a NaN weight that meets only padding leaves x's gradient what a
    zero there gives (it takes the general path: the spread rows' zeros times NaN would be
    NaN where x is)."""
    x = Value(_normal(2, 1, 3, 1, dtype=np.float32))
    w = _normal(1, 1, 3, 3, dtype=np.float32)
    ag.conv2d(x, w, padding=1).sum().backward()
    assert x.grad.dtype == np.float32
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1])
    np.testing.assert_allclose(x.grad, ag.conv2d(np.ones((2, 1, 3, 1), np.float32), flipped,
                                                 padding=1), rtol=1e-5)
    zeroed = w.copy()
    zeroed[0, 0, 1, 0] = 0.0                    # column 0 of the kernel meets only padding
    w[0, 0, 1, 0] = np.nan
    grads = []
    for weight in (w, zeroed):
        x.zero_grad()
        ag.conv2d(x, weight, padding=1).sum().backward()
        grads.append(x.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
    assert np.isfinite(grads[0]).all()


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2,
                                                         "padding": 1, "dilation": (1, 2)}])
def test_max_pool_gradients_match_torch_to_second_order(kwargs):
    """The positions are found in the VJP (from x and the output); the gradient is max_unpool
    there, and its VJP max_gather: a Hessian-vector product of sum(max_pool(x)^2), with ties
    (rounded entries), in float32, against torch's."""
    torch = pytest.importorskip("torch")
    x = np.round(RNG.uniform(-2, 2, (2, 3, 7, 8))).astype(np.float32)
    v = _normal(*x.shape, dtype=np.float32)
    ours = Value(x)
    (gx,) = gradients((ag.max_pool2d(ours, **kwargs) ** 2).sum(), [ours], create_graph=True)
    assert gx.op == "max_unpool" and gx.dtype == np.float32
    (hvp,) = gradients((gx * v).sum(), [ours], create_graph=True)   # through max_gather
    assert hvp.dtype == np.float32
    t = torch.tensor(x, requires_grad=True)
    (tgx,) = torch.autograd.grad((torch.nn.functional.max_pool2d(t, **kwargs) ** 2).sum(), t,
                                 create_graph=True)
    (thvp,) = torch.autograd.grad((tgx * torch.tensor(v)).sum(), t)
    np.testing.assert_allclose(gx.data, tgx.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(hvp.data, thvp.numpy(), rtol=1e-5, atol=1e-6)
