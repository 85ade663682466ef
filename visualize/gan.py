"""Pictures of a generative adversarial network in training (matplotlib, the optional `plot`
extra): the generator's samples over the real data at several steps, as a grid and as an
animated GIF, with the discriminator's belief "real" shaded behind 2-D samples, and both
models' losses. Non-finite numbers are refused: a picture would silently leave them out."""
from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from autograd.grad_mode import no_grad
from autograd.value import Value
from nn.checks import finite_array
from visualize.frames import animate_pngs
from visualize.plots import new_figure, save_figure

Extent = Tuple[float, float, float, float]


@dataclass
class GanSnapshot:
    """The generator's samples at one training step: points of shape (n, 2) or images of
    shape (n, height, width); for points, optionally the discriminator's probability "real"
    on a grid (rows bottom to top) over `extent` (x_min, x_max, y_min, y_max)."""

    step: int
    samples: np.ndarray
    surface: Optional[np.ndarray] = None
    extent: Optional[Extent] = None


def discriminator_surface(discriminator: Any, extent: Extent, resolution: int = 100,
                          dtype: Any = np.float32) -> np.ndarray:
    """sigmoid(discriminator(x)), the probability it gives "real", on a `resolution` x
    `resolution` grid of cell centres over `extent`; row 0 is the bottom (imshow's
    origin='lower'). `discriminator` maps a Value (n, 2) to logits (n, 1).

    >>> surface = discriminator_surface(lambda x: x[:, :1] * 0.0, (-1, 1, -1, 1), 4)
    >>> surface.shape, float(surface[0, 0])
    ((4, 4), 0.5)
    """
    x0, x1, y0, y1 = extent
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"discriminator_surface: extent must be (x_min, x_max, y_min, y_max) "
                         f"with min < max, got {extent}")
    xs = x0 + (x1 - x0) * (np.arange(resolution) + 0.5) / resolution
    ys = y0 + (y1 - y0) * (np.arange(resolution) + 0.5) / resolution
    gx, gy = np.meshgrid(xs, ys)
    with no_grad():
        out = discriminator(Value(np.column_stack([gx.ravel(), gy.ravel()]).astype(dtype)))
    logits = np.asarray(out.data if isinstance(out, Value) else out, dtype=np.float64)
    if logits.size != gx.size:
        raise ValueError(f"discriminator_surface: expected one logit per point ({gx.size}), "
                         f"got an output of shape {logits.shape}")
    return (0.5 * (1.0 + np.tanh(0.5 * logits))).reshape(gx.shape)   # a sigmoid, overflow-free


def _check_snapshots(snapshots: Sequence[GanSnapshot], real: Any,
                     caller: str) -> Optional[np.ndarray]:
    """Refuse what cannot be drawn; returns `real` as an array (or None)."""
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError(f"{caller}: there are no snapshots to draw; take at least one")
    for snap in snapshots:
        if not isinstance(snap, GanSnapshot):
            raise TypeError(f"{caller}: expected visualize.gan.GanSnapshot items, got "
                            f"{type(snap).__name__}")
        samples = np.asarray(snap.samples)
        if not (samples.ndim == 3 or (samples.ndim == 2 and samples.shape[1] == 2)):
            raise ValueError(f"{caller}: the samples of step {snap.step} must be points (n, 2) "
                             f"or images (n, height, width), got shape {samples.shape}")
        finite_array(samples, f"the samples of step {snap.step}", caller,
                     fix="the generator diverged; draw the steps before it")
        if snap.surface is not None and snap.extent is None:
            raise ValueError(f"{caller}: the surface of step {snap.step} needs its extent")
    if real is None:
        return None
    real = np.asarray(real)
    finite_array(real, "real", caller)
    return real


def _mosaic(images: np.ndarray, count: int = 36) -> np.ndarray:
    """The first `count` images tiled into one square-ish picture, one blank pixel between."""
    images = images[:count]
    n, h, w = images.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = image
    return canvas


def _draw(ax: Any, snap: GanSnapshot, real: Optional[np.ndarray], title: str) -> None:
    samples = np.asarray(snap.samples, dtype=np.float64)
    ax.set_title(title, fontsize=10)
    if samples.ndim == 3:
        ax.imshow(_mosaic(samples), cmap="gray_r", vmin=0.0, vmax=1.0)
        ax.axis("off")
        return
    if snap.surface is not None:
        ax.imshow(snap.surface, origin="lower", extent=snap.extent, cmap="RdBu", vmin=0.0,
                  vmax=1.0, alpha=0.5, aspect="auto", interpolation="bilinear")
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=4, c="black", alpha=0.25, label="real")
    ax.scatter(samples[:, 0], samples[:, 1], s=3, c="tab:orange", alpha=0.5, label="generated")
    if snap.extent is not None:
        ax.set_xlim(snap.extent[:2])
        ax.set_ylim(snap.extent[2:])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_gan_samples(snapshots: Sequence[GanSnapshot], path: Union[str, os.PathLike],
                     real: Any = None, columns: int = 4) -> Path:
    """One panel per snapshot: the generated samples at that step, over the `real` points
    (2-D) with the discriminator's probability "real" shaded behind them (blue real, red
    generated), or a tile of generated images; `real` images get a last panel of their own.

    >>> plot_gan_samples([GanSnapshot(0, np.zeros((5, 2)))], 'samples.png')   # doctest: +SKIP
    PosixPath('samples.png')
    """
    real = _check_snapshots(snapshots, real, "plot_gan_samples")
    panels = [(snap, f"step {snap.step}") for snap in snapshots]
    images = np.asarray(snapshots[0].samples).ndim == 3
    if images and real is not None:
        panels.append((GanSnapshot(-1, real), "real data"))
    cols = min(columns, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = new_figure("plot_gan_samples", figsize=(3.2 * cols, 3.2 * rows))
    for n, (snap, title) in enumerate(panels, start=1):
        _draw(fig.add_subplot(rows, cols, n), snap, None if images else real, title)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)


def animate_gan(snapshots: Sequence[GanSnapshot], path: Union[str, os.PathLike], real: Any = None,
                seconds_per_frame: float = 0.6) -> Path:
    """An animated GIF, one frame per snapshot, drawn as in `plot_gan_samples` (needs Pillow,
    which comes with matplotlib).

    >>> animate_gan([GanSnapshot(0, np.zeros((5, 2)))], 'training.gif')   # doctest: +SKIP
    PosixPath('training.gif')
    """
    real = _check_snapshots(snapshots, real, "animate_gan")
    images = np.asarray(snapshots[0].samples).ndim == 3
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        frames: List[Path] = []
        for k, snap in enumerate(snapshots):
            fig = new_figure("animate_gan", figsize=(4, 4))
            _draw(fig.add_subplot(1, 1, 1), snap, None if images else real, f"step {snap.step}")
            frames.append(save_figure(fig, Path(work) / f"frame_{k:03d}.png", dpi=80))
        return animate_pngs(frames, path, seconds_per_frame)


def plot_gan_losses(steps: Sequence[int], losses: Mapping, path: Union[str, os.PathLike]) -> Path:
    """Each model's loss against the training step, one line per entry of `losses`
    (`{'discriminator': [...], 'generator': [...]}`), smoothed over a window of about a
    fiftieth of the run (faint: every step).

    >>> plot_gan_losses([1, 2], {'generator': [0.7, 0.6]}, 'losses.png')   # doctest: +SKIP
    PosixPath('losses.png')
    """
    steps = np.asarray(steps, dtype=np.float64)
    if not losses:
        raise ValueError("plot_gan_losses: no losses given; pass {'name': [one per step]}")
    series = {}
    for name, values in losses.items():
        values = np.asarray(values, dtype=np.float64)
        if values.shape != steps.shape:
            raise ValueError(f"plot_gan_losses: {name!r} has {values.size} values for "
                             f"{steps.size} steps; give one loss per step")
        finite_array(values, f"the {name} loss", "plot_gan_losses",
                     fix="the run diverged; plot the steps before it")
        series[str(name)] = values
    if steps.size == 0:
        raise ValueError("plot_gan_losses: there are no steps to plot; train for at least one")
    fig = new_figure("plot_gan_losses", figsize=(6, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    window = max(1, steps.size // 50)
    for n, (name, values) in enumerate(series.items()):
        colour = f"C{n}"
        ax.plot(steps, values, color=colour, alpha=0.2, linewidth=0.6)
        smooth = np.convolve(values, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1:], smooth, color=colour, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("adversarial losses")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)
