"""What a convolutional network learned, with matplotlib (the optional `plot` extra): the
filters of a Conv2d layer, and the feature maps an image makes after each Conv2d of a model.
NaN or infinite numbers are refused, as by the other plots."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Tuple, Union

import numpy as np

from autograd.grad_mode import no_grad
from autograd.value import Value
from nn.checks import finite_array
from nn.conv import Conv2d
from nn.module import Module
from nn.serialization import write_atomically

COLUMNS = 8                 # images per row of a grid


def _figure(caller: str, **kwargs: Any) -> Any:
    """A matplotlib Figure that is not tied to pyplot's global state or a GUI backend (as
    visualize.plots makes them)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(f"{caller} needs matplotlib: pip install matplotlib (or pip install "
                          "'seegrad[plot]')") from exc
    return Figure(**kwargs)


def _save(fig: Any, path: Union[str, os.PathLike]) -> Path:
    """Write the figure atomically, in the format the extension names."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda f: fig.savefig(f, format=path.suffix[1:] or None, dpi=120,
                                                 bbox_inches="tight"), "plot")
    return path


def montage(images: np.ndarray, cols: int = COLUMNS) -> np.ndarray:
    """Images (n, h, w) tiled `cols` to a row, in order, with a NaN line between neighbours
    (drawn blank): one array, so a grid of many small images is one picture to draw.

    >>> montage(np.ones((3, 1, 2)), cols=2)
    array([[ 1.,  1., nan,  1.,  1.],
           [nan, nan, nan, nan, nan],
           [ 1.,  1., nan, nan, nan]])
    """
    n, h, w = images.shape
    cols = min(cols, n)
    rows = -(-n // cols)
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = image
    return canvas


def _draw(ax: Any, images: np.ndarray, title: str) -> None:
    """The montage of `images` on `ax`, on one diverging colour scale centred on zero (red
    positive, blue negative, white zero), titled."""
    from matplotlib import colormaps
    limit = float(np.max(np.abs(images), initial=0.0)) or 1.0
    ax.imshow(montage(images), cmap=colormaps["RdBu_r"].with_extremes(bad="white"),
              vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def plot_filters(layer: Any, path: Union[str, os.PathLike]) -> Path:
    """Draw every kernel of an `nn.Conv2d` layer as a small image to `path`, COLUMNS to a
    row: output channel by output channel, and within one, input channel by input channel.
    One diverging colour scale centred on zero (red positive, blue negative) for all, so the
    filters' strengths compare across the grid.

    >>> import nn
    >>> plot_filters(nn.Conv2d(1, 8, 3, seed=0), 'filters.png')   # doctest: +SKIP
    PosixPath('filters.png')
    """
    if not isinstance(layer, Conv2d):
        raise TypeError(f"plot_filters: expected an nn.Conv2d layer, got {type(layer).__name__}"
                        " (for a model, pass its convolution, e.g. model[0])")
    weight = np.asarray(layer.weight.data, dtype=np.float64)
    finite_array(weight, "the layer's weight", "plot_filters",
                 fix="its training diverged; plot the filters of a finite model")
    kernels = weight.reshape((-1,) + weight.shape[2:])
    cols = min(COLUMNS, len(kernels))
    rows = -(-len(kernels) // cols)
    fig = _figure("plot_filters", figsize=(0.8 * cols + 0.4, 0.8 * rows + 0.6))
    _draw(fig.add_subplot(1, 1, 1), kernels, f"Conv2d filters {tuple(weight.shape)}")
    return _save(fig, path)


def _conv_outputs(model: Module, x: np.ndarray) -> List[Tuple[str, np.ndarray]]:
    """(name, output of one sample) of each Conv2d in `model`, in the order they ran, for x run
    through the model in evaluation mode without recording a graph."""
    seen: List[Tuple[str, np.ndarray]] = []
    convs = [(name, m) for name, m in model.named_modules() if isinstance(m, Conv2d)]
    handles = [m.register_forward_hook(
        lambda module, args, out, name=name: seen.append((name, np.asarray(out.data)[0])))
        for name, m in convs]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return seen


def plot_feature_maps(model: Any, x: Any, path: Union[str, os.PathLike]) -> Path:
    """Run one image `x` (C, H, W) or (1, C, H, W) through `model` and draw, to `path`, the
    image and the output of every `nn.Conv2d` in the model (each channel a small image, one
    block of rows per layer, in the order the layers ran): what each convolution responds to.
    The model runs in evaluation mode without recording a graph; its training mode is restored.

    >>> plot_feature_maps(model, X_test[0], 'feature_maps.png')   # doctest: +SKIP
    PosixPath('feature_maps.png')
    """
    if not isinstance(model, Module):
        raise TypeError(f"plot_feature_maps: expected an nn.Module holding Conv2d layers, got "
                        f"{type(model).__name__}")
    if not any(isinstance(m, Conv2d) for m in model.modules()):
        raise ValueError(f"plot_feature_maps: the model ({type(model).__name__}) has no "
                         "nn.Conv2d layer, so there are no feature maps to draw")
    image = np.asarray(x.data if isinstance(x, Value) else x)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 3:
        raise ValueError(f"plot_feature_maps: x must be one image (C, H, W) or a batch of one "
                         f"(1, C, H, W), got shape {image.shape}")
    finite_array(image, "x", "plot_feature_maps")
    maps = _conv_outputs(model, image[None].astype(model.dtype))
    for name, out in maps:
        finite_array(out, f"the feature maps of layer {name!r}", "plot_feature_maps",
                     fix="its training diverged; plot the feature maps of a finite model")
    blocks = [("input", image)] + [(f"layer {name}: Conv2d", out) for name, out in maps]
    heights = [-(-len(images) // COLUMNS) for _, images in blocks]
    fig = _figure("plot_feature_maps", figsize=(7, 0.9 * sum(heights) + 0.5 * len(blocks)))
    grid = fig.add_gridspec(len(blocks), 1, height_ratios=heights)
    for n, (title, images) in enumerate(blocks):
        _draw(fig.add_subplot(grid[n]), images.astype(np.float64),
              f"{title} {tuple(images.shape)}")
    return _save(fig, path)
