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
from visualize.plots import _figure, _save

COLUMNS = 8                 # images per row of a grid


def _grid(fig: Any, images: np.ndarray, titles: List[str], cols: int) -> None:
    """Draw `images` (n, h, w) into `fig` (a Figure or SubFigure), `cols` to a row, on one
    diverging colour scale centred on zero (red positive, blue negative)."""
    rows = -(-len(images) // cols)
    limit = float(np.max(np.abs(images), initial=0.0)) or 1.0
    for i, (image, title) in enumerate(zip(images, titles)):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(title, fontsize=7)
        ax.axis("off")


def plot_filters(layer: Any, path: Union[str, os.PathLike]) -> Path:
    """Draw every kernel of an `nn.Conv2d` layer as a small image to `path`: one cell per
    (output channel, input channel) pair, titled 'o' (one input channel) or 'o,i', on one
    diverging colour scale centred on zero (red positive, blue negative), so the filters'
    strengths compare across the grid.

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
    out_channels, in_channels = weight.shape[:2]
    kernels = weight.reshape((-1,) + weight.shape[2:])
    titles = [str(o) if in_channels == 1 else f"{o},{i}"
              for o in range(out_channels) for i in range(in_channels)]
    cols = min(COLUMNS, len(kernels))
    rows = -(-len(kernels) // cols)
    fig = _figure("plot_filters", figsize=(1.1 * cols, 1.2 * rows + 0.5))
    _grid(fig, kernels, titles, cols)
    fig.suptitle(f"Conv2d filters {tuple(weight.shape)}", fontsize=9)
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
    cols = min(COLUMNS, max(len(images) for _, images in blocks))
    fig = _figure("plot_feature_maps",
                  figsize=(1.1 * cols, 1.3 * sum(heights) + 0.4 * len(blocks)))
    subfigures = np.atleast_1d(fig.subfigures(len(blocks), 1, height_ratios=heights))
    for sub, (title, images) in zip(subfigures, blocks):
        _grid(sub, images.astype(np.float64), [str(c) for c in range(len(images))], cols)
        sub.suptitle(f"{title} {tuple(images.shape)}", fontsize=8)
    return _save(fig, path)
