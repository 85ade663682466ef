"""Pictures of sequence models: the gradient's norm through time (the vanishing gradient made
visible), several models' learning curves side by side, and attention weights as heatmaps."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import numpy as np

from autograd.value import Value
from nn.checks import finite_array
from visualize.plots import new_figure, save_figure


def _curves(curves: Mapping[str, Sequence[float]], what: str, caller: str
            ) -> Dict[str, np.ndarray]:
    """Each labelled series as a finite, non-empty float array."""
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{caller}: expected a dict of {what} by model name, e.g. "
                        f"{{'RNN': [...], 'LSTM': [...]}}, got {curves!r:.60}")
    arrays = {}
    for label, values in curves.items():
        array = np.asarray(values, dtype=np.float64).ravel()
        if array.size == 0:
            raise ValueError(f"{caller}: the {what} of {label!r} are empty")
        finite_array(array, f"the {what} of {label!r}", caller)
        arrays[str(label)] = array
    return arrays


def plot_gradient_through_time(norms: Mapping[str, Sequence[float]],
                               path: Union[str, os.PathLike],
                               after: Optional[Mapping[str, Sequence[float]]] = None) -> Path:
    """Plot ||d loss / d x_t|| against the timestep t, one line per model, on a log scale.

    `norms` maps a model's name to its norms per timestep (first step first); with `after`
    (the same after training) the two are side by side, "at initialisation" and "after
    training". A line falling towards the start is the gradient vanishing with distance.

    >>> plot_gradient_through_time({'RNN': [1e-6, 1e-3, 1.0], 'LSTM': [0.1, 0.3, 1.0]},
    ...                            'grad_time.png')   # doctest: +SKIP
    PosixPath('grad_time.png')
    """
    caller = "plot_gradient_through_time"
    panels = [("at initialisation" if after is not None else "", _curves(norms, "norms",
                                                                        caller))]
    if after is not None:
        panels.append(("after training", _curves(after, "norms", caller)))
    fig = new_figure(caller, figsize=(5.0 * len(panels), 3.6))
    axes = [fig.add_subplot(1, len(panels), n + 1) for n in range(len(panels))]
    for ax, (title, series) in zip(axes, panels):
        for label, values in series.items():
            ax.semilogy(np.arange(1, len(values) + 1), np.maximum(values, 1e-300), label=label)
        ax.set_xlabel("timestep t (the loss is at the last one)")
        ax.set_title(title)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("||d loss / d x_t||")
    return save_figure(fig, path)


def plot_learning_curves(curves: Mapping[str, Sequence[float]], path: Union[str, os.PathLike],
                         ylabel: str = "loss", smooth: int = 1, baseline: Any = None) -> Path:
    """Plot several models' per-step values (e.g. the loss) on one set of axes.

    `smooth` > 1 draws the running mean over that many steps; `baseline` (a number) draws a
    dashed horizontal line, e.g. the loss of guessing.
    """
    caller = "plot_learning_curves"
    series = _curves(curves, "values", caller)
    if not isinstance(smooth, int) or smooth < 1:
        raise ValueError(f"{caller}: smooth must be a whole number >= 1, got {smooth!r}")
    fig = new_figure(caller, figsize=(5.5, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    for label, values in series.items():
        window = min(smooth, len(values))
        shown = np.convolve(values, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, len(values) + 1), shown, label=label)
    if baseline is not None:
        ax.axhline(float(baseline), color="grey", linestyle="--", label="baseline")
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel + (f" (mean of {smooth} steps)" if smooth > 1 else ""))
    ax.grid(True, alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def _as_head_maps(weights: Any, caller: str) -> Dict[str, np.ndarray]:
    """Attention weights as {row label: (heads, queries, keys)}."""
    if isinstance(weights, Mapping):
        items = list(weights.items())
    else:
        items = [("", weights)]
    maps = {}
    for label, w in items:
        array = np.asarray(w.data if isinstance(w, Value) else w, dtype=np.float64)
        if array.ndim == 2:
            array = array[None]
        if array.ndim != 3:
            of = f" for {label!r}" if label else ""
            raise ValueError(f"{caller}: expected weights of shape (queries, keys) or (heads, "
                             f"queries, keys), got {array.shape}{of}; for a batch, pass one "
                             "sample's weights (weights[0])")
        finite_array(array, "the attention weights", caller)
        maps[str(label)] = array
    return maps


def plot_attention(weights: Any, path: Union[str, os.PathLike],
                   tokens: Optional[Sequence[Any]] = None,
                   key_tokens: Optional[Sequence[Any]] = None) -> Path:
    """Heatmaps of attention weights, one per head, with the tokens on the axes.

    `weights` is one sample's weights, (queries, keys) or (heads, queries, keys) as
    `nn.MultiheadAttention(..., average_attn_weights=False)` returns them, or a dict of those by
    layer name (a row of heads per layer). `tokens` label the queries (and the keys, unless
    `key_tokens` is given). Row q of a map is where query q looks; each row sums to 1.
    """
    caller = "plot_attention"
    maps = _as_head_maps(weights, caller)
    shapes = {m.shape[1:] for m in maps.values()}
    queries, keys = next(iter(shapes))
    key_tokens = key_tokens if key_tokens is not None else tokens
    for name, labels, size in (("tokens", tokens, queries), ("key_tokens", key_tokens, keys)):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{caller}: {len(labels)} {name} for {size} positions; give one "
                             "label per position")
    heads = max(m.shape[0] for m in maps.values())
    cell = 0.32 * max(queries, keys) + 1.2
    fig = new_figure(caller, figsize=(cell * heads, cell * len(maps)))
    for row, (label, array) in enumerate(maps.items()):
        for head in range(array.shape[0]):
            ax = fig.add_subplot(len(maps), heads, row * heads + head + 1)
            ax.imshow(array[head], cmap="viridis", vmin=0.0, vmax=1.0)
            ax.set_title(f"{label + ', ' if label else ''}head {head}", fontsize=9)
            for axis, labels, size in ((ax.xaxis, key_tokens, array.shape[2]),
                                       (ax.yaxis, tokens, array.shape[1])):
                axis.set_ticks(range(size))
                axis.set_ticklabels([str(t) for t in labels] if labels is not None
                                    else range(size), fontsize=7)
            ax.set_xlabel("key", fontsize=8)
            ax.set_ylabel("query", fontsize=8)
    return save_figure(fig, path)
