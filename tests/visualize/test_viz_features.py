"""plot_filters and plot_feature_maps (matplotlib is an optional extra): the files they write,
that the pictures hold the layer's weights and the conv layers' outputs tile by tile, that
the model is left as it was, and that bad input is refused before anything is drawn."""
import numpy as np
import pytest

import nn
from autograd import Value
from visualize import plot_feature_maps, plot_filters
from visualize.features import montage

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1, seed=0), nn.BatchNorm2d(3),
                         nn.Activation("relu"), nn.MaxPool2d(2),
                         nn.Conv2d(3, 10, 3, padding=1, seed=1), nn.Activation("relu"),
                         nn.Flatten(), nn.Linear(10 * 4 * 4, 2, seed=2))


def _tile(canvas, i, h, w, cols=8):
    r, c = divmod(i, cols)
    return canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w]


# ----- plot_filters ---------------------------------------------------------------------------
def test_filters_are_drawn_kernel_by_kernel_on_a_scale_centred_on_zero(tmp_path, saved_figures):
    layer = nn.Conv2d(2, 5, (3, 2), seed=3)
    path = plot_filters(layer, tmp_path / "pictures" / "filters.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    (ax,) = saved_figures[-1].axes
    image = ax.images[0]
    canvas = np.asarray(image.get_array().filled(np.nan))
    w = layer.weight.data
    assert canvas.shape == (2 * 4 - 1, 8 * 3 - 1)                    # 10 kernels, 8 to a row
    for o in range(5):
        for i in range(2):
            np.testing.assert_array_equal(_tile(canvas, 2 * o + i, 3, 2), w[o, i])
    assert np.isnan(canvas[3]).all() and np.isnan(canvas[:, 2]).all()   # blank separators
    limit = np.abs(w).max()
    assert image.get_clim() == pytest.approx((-limit, limit))
    assert ax.get_title() == "Conv2d filters (5, 2, 3, 2)"


def test_montage_tiles_in_order_with_blank_lines():
    images = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    canvas = montage(images, cols=2)
    assert canvas.shape == (3 * 3 - 1, 2 * 4 - 1)
    for i in range(5):
        np.testing.assert_array_equal(_tile(canvas, i, 2, 3, cols=2), images[i])
    assert np.isnan(_tile(canvas, 5, 2, 3, cols=2)).all()             # the unused cell


@pytest.mark.parametrize("layer,error,words", [
    (nn.Linear(3, 2, seed=0), TypeError, ["plot_filters", "nn.Conv2d", "Linear", "model[0]"]),
    (nn.Conv1d(1, 2, 3, seed=0), TypeError, ["plot_filters", "Conv1d"]),
    ("conv", TypeError, ["plot_filters", "str"]),
])
def test_plot_filters_refuses_what_is_not_a_conv2d(tmp_path, layer, error, words):
    with pytest.raises(error) as info:
        plot_filters(layer, tmp_path / "f.png")
    for word in words:
        assert word in str(info.value)
    assert not (tmp_path / "f.png").exists()


def test_plot_filters_refuses_non_finite_weights(tmp_path):
    layer = nn.Conv2d(1, 2, 3, seed=0)
    layer.weight.data[1, 0, 2, 2] = np.nan
    with pytest.raises(ValueError, match="plot_filters: .*weight"):
        plot_filters(layer, tmp_path / "f.png")
    assert not (tmp_path / "f.png").exists()


# ----- plot_feature_maps ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 1, 8, 8)])
def test_feature_maps_show_the_image_and_each_conv_output(tmp_path, saved_figures, shape):
    model = _cnn()
    x = np.random.default_rng(0).uniform(0, 1, (1, 8, 8))
    path = plot_feature_maps(model, x.reshape(shape), tmp_path / "maps.png")
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    axes = saved_figures[-1].axes
    assert [ax.get_title() for ax in axes] == [
        "input (1, 8, 8)", "layer 0: Conv2d (3, 8, 8)", "layer 4: Conv2d (10, 4, 4)"]
    model.eval()
    first = model[0](x[None]).data[0]
    second = model[4](model[:4](x[None])).data[0]
    for ax, expected in zip(axes, [x, first, second]):
        canvas = np.asarray(ax.images[0].get_array().filled(np.nan))
        h, w = expected.shape[1:]
        for c in range(len(expected)):
            np.testing.assert_allclose(_tile(canvas, c, h, w), expected[c], rtol=1e-12)


def test_feature_maps_leave_the_model_as_it_was(tmp_path, saved_figures):
    model = _cnn()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    plot_feature_maps(model, Value(np.ones((1, 8, 8))), tmp_path / "maps.png")
    assert model.training
    for name, value in model.state_dict().items():              # BatchNorm ran in eval mode
        np.testing.assert_array_equal(value, before[name])
    assert all(not m._forward_hooks for m in model.modules())
    assert all(p.grad is None or not np.any(p.grad) for p in model.parameters())


@pytest.mark.parametrize("model,x,error,words", [
    (_cnn(), np.ones((8, 8)), ValueError, ["plot_feature_maps", "(C, H, W)", "(8, 8)"]),
    (_cnn(), np.ones((2, 1, 8, 8)), ValueError, ["plot_feature_maps", "(2, 1, 8, 8)"]),
    (_cnn(), np.full((1, 8, 8), np.nan), ValueError, ["plot_feature_maps", "x"]),
    (nn.Sequential(nn.Flatten(), nn.Linear(64, 2, seed=0)), np.ones((1, 8, 8)), ValueError,
     ["plot_feature_maps", "no nn.Conv2d layer"]),
    (lambda x: x, np.ones((1, 8, 8)), TypeError, ["plot_feature_maps", "nn.Module", "function"]),
])
def test_plot_feature_maps_refuses_bad_input(tmp_path, model, x, error, words):
    with pytest.raises(error) as info:
        plot_feature_maps(model, x, tmp_path / "maps.png")
    for word in words:
        assert word in str(info.value)
    assert not (tmp_path / "maps.png").exists()


def test_a_channel_mismatch_is_the_layers_own_error(tmp_path):
    with pytest.raises(ValueError, match=r"Conv2d\(1, 3.*has 2 channels"):
        plot_feature_maps(_cnn(), np.ones((2, 8, 8)), tmp_path / "maps.png")
