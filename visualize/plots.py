"""Training curves, 2-D decision boundaries, predicted images and gradient flow with
matplotlib (the optional `plot` extra). NaN or infinite numbers are refused, as by `nn.fit`:
a picture would silently leave them out."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Dict, List, Union

import numpy as np

from autograd.grad_mode import no_grad
from autograd.value import Value
from nn.checks import finite_array
from nn.metrics import scores_to_classes
from nn.serialization import write_atomically


def new_figure(caller: str, **kwargs: Any) -> Any:
    """A matplotlib Figure that is not tied to pyplot's global state or a GUI backend."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(f"{caller} needs matplotlib: pip install matplotlib (or pip install "
                          "'seegrad[plot]')") from exc
    return Figure(**kwargs)


def save_figure(fig: Any, path: Union[str, os.PathLike], dpi: int = 120) -> Path:
    """Write the figure atomically, in the format the extension names."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda f: fig.savefig(f, format=path.suffix[1:] or None, dpi=dpi,
                                                 bbox_inches="tight"), "plot")
    return path


def _series(history: Any) -> Dict[str, List[float]]:
    """`{'loss': [...], 'val_loss': [...], ...}` from a mapping, a Keras-style object with a
    `.history` mapping, or an object with list attributes."""
    if isinstance(history, Mapping):
        data = history
    elif isinstance(getattr(history, "history", None), Mapping):
        data = history.history
    elif hasattr(history, "__dict__"):
        data = {k: v for k, v in vars(history).items()
                if not k.startswith("_") and isinstance(v, (list, tuple))}
    else:
        raise TypeError(f"plot_history: expected a History or a dict of lists, got "
                        f"{type(history).__name__}")
    series = {str(k): [float(x) for x in v] for k, v in data.items() if len(v)}
    if not series:
        raise ValueError("plot_history: the history is empty; train for at least one epoch")
    for key, values in series.items():
        finite_array(np.array(values), f"{key!r} (by epoch)", "plot_history",
                     fix="the run diverged (fit stops there unless terminate_on_nan=False); "
                         "plot the epochs before it")
    return series


def plot_history(history: Any, path: Union[str, os.PathLike]) -> Path:
    """Plot each metric per epoch (training and, where recorded, validation) to `path`.

    >>> plot_history({'loss': [1.0, 0.5, 0.2], 'val_loss': [1.1, 0.7, 0.4]},
    ...              'loss.png')   # doctest: +SKIP
    PosixPath('loss.png')
    """
    series = _series(history)
    metrics = [k for k in series if not k.startswith("val_")] or list(series)
    fig = new_figure("plot_history", figsize=(4.5 * len(metrics), 3.4))
    from matplotlib.ticker import MaxNLocator
    for n, metric in enumerate(metrics, start=1):
        ax = fig.add_subplot(1, len(metrics), n)
        for key, label, style in ((metric, "train", "-"), ("val_" + metric, "validation", "--")):
            if key in series:
                values = series[key]
                ax.plot(range(1, len(values) + 1), values, style, marker=".", label=label)
        values = np.array(series[metric])
        if metric.endswith("loss") and values.min() > 0 and values.max() > 100 * values.min():
            ax.set_yscale("log")
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return save_figure(fig, path)


def plot_decision_boundary(model: Any, X: Any, y: Any, path: Union[str, os.PathLike],
                           resolution: int = 200, threshold: float = 0.0) -> Path:
    """Shade the class `model` predicts over the plane of 2-D data `X`, with the points on top.

    `model` takes a Value of shape (n, 2). Its outputs become classes by
    `nn.scores_to_classes`, the rule `nn.accuracy` uses: k outputs per row are class scores
    (argmax); one output per row is a score, class 1 above `threshold` (0 for a logit or a
    margin; pass 0.5 for probabilities). Regions and points (coloured by `y`: class labels, or
    -1/+1) share one colour scale, so a misclassified point stands out against its region.

    >>> plot_decision_boundary(model, X, y, 'boundary.png')   # doctest: +SKIP
    PosixPath('boundary.png')
    """
    X, y = np.asarray(X), np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y):
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2) and y shape (n,); "
                         f"got {X.shape} and {y.shape}")
    finite_array(X, "X", "plot_decision_boundary")
    finite_array(y, "y", "plot_decision_boundary")
    X = X.astype(np.float64)
    fig = new_figure("plot_decision_boundary", figsize=(5, 4.5))
    pad = 0.1 * np.ptp(X, axis=0) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    step = (hi - lo) / resolution
    centres = [lo[i] + step[i] * (np.arange(resolution) + 0.5) for i in (0, 1)]
    gx, gy = np.meshgrid(*centres)
    with no_grad():
        out = model(Value(np.column_stack([gx.ravel(), gy.ravel()])))
    scores = np.asarray(out.data if isinstance(out, Value) else out, dtype=np.float64)
    scores = scores.reshape(gx.size, -1)
    classes = scores_to_classes(scores, threshold).reshape(gx.shape)
    colours = dict(cmap="coolwarm", vmin=0, vmax=max(scores.shape[1] - 1, 1))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(classes, origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]), aspect="auto",
              interpolation="nearest", alpha=0.3, **colours)
    ax.scatter(X[:, 0], X[:, 1], c=y, edgecolors="k", s=18, **colours)
    ax.set_title("decision boundary")
    return save_figure(fig, path)


def plot_predictions(images: Any, predicted: Any, labels: Any, path: Union[str, os.PathLike],
                     count: int = 12) -> Path:
    """A grid of the first `count` images, each titled with its predicted and true class
    ('pred 3 / true 5'), mistakes in red.

    `images` has shape (n, height, width); `predicted` and `labels` hold n class labels (from
    `nn.scores_to_classes`, for example).

    >>> plot_predictions(X_test.reshape(-1, 8, 8), classes, y_test, 'predictions.png')
    ... # doctest: +SKIP
    PosixPath('predictions.png')
    """
    images = np.asarray(images)
    predicted, labels = np.asarray(predicted).reshape(-1), np.asarray(labels).reshape(-1)
    if images.ndim != 3 or not len(images) == len(predicted) == len(labels):
        raise ValueError(f"plot_predictions: expected images (n, height, width) with n "
                         f"predicted and n true labels; got shapes {images.shape}, "
                         f"{predicted.shape} and {labels.shape}")
    for what, array in (("images", images), ("predicted", predicted), ("labels", labels)):
        finite_array(array, what, "plot_predictions")
    count = min(count, len(images))
    if count < 1:
        raise ValueError("plot_predictions: there are no images to show")
    cols = min(6, count)
    rows = -(-count // cols)
    fig = new_figure("plot_predictions", figsize=(1.6 * cols, 1.9 * rows))
    for i in range(count):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="gray_r")
        pred, true = int(predicted[i]), int(labels[i])
        ax.set_title(f"pred {pred} / true {true}", fontsize=9,
                     color="black" if pred == true else "red")
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)


def _layer_series(source: Any) -> Dict[str, List[float]]:
    """`{layer: [gradient norm per record]}` from a GradientMonitor (`.reports`), a list of
    gradient reports (`.layer_norms()`), one report, or a mapping of layer -> norms."""
    if isinstance(source, Mapping):
        series = {str(k): [float(x) for x in v] for k, v in source.items()}
    else:
        reports = getattr(source, "reports", source)
        if hasattr(reports, "layer_norms"):
            reports = [reports]
        try:
            reports = list(reports)
        except TypeError:
            raise TypeError(f"plot_gradient_flow: expected a GradientMonitor, a list of gradient "
                            f"reports or a dict of layer -> norms, got "
                            f"{type(source).__name__}") from None
        series = {}
        for n, report in enumerate(reports):
            if not hasattr(report, "layer_norms"):
                raise TypeError(f"plot_gradient_flow: item {n} is a {type(report).__name__}, "
                                "not a gradient report (nn.gradient_report)")
            for layer, norm in report.layer_norms().items():
                series.setdefault(layer, []).append(float(norm))
    series = {k: v for k, v in series.items() if len(v)}
    if not series:
        raise ValueError("plot_gradient_flow: nothing to plot; record at least one gradient "
                         "report (train for an epoch with nn.GradientMonitor())")
    for layer, values in series.items():
        finite_array(np.array(values), f"the gradient norms of {layer!r}", "plot_gradient_flow",
                     fix="its gradients were NaN or infinite (nn.gradient_report gives the "
                         "verdict 'nan' and names the parameter)")
    return series


def plot_gradient_flow(history_or_reports: Any, path: Union[str, os.PathLike]) -> Path:
    """Plot the gradient norm of each layer across training (log scale) to `path`: layers
    whose curves sink towards the bottom have vanishing gradients, curves that shoot up are
    exploding.

    Takes an `nn.GradientMonitor` after `fit`, a list of `nn.gradient_report` results, or a
    dict mapping layer names to one norm per epoch.

    >>> plot_gradient_flow({'layers.0': [1e-6, 1e-7], 'layers.1': [0.1, 0.05]},
    ...                    'flow.png')   # doctest: +SKIP
    PosixPath('flow.png')
    """
    series = _layer_series(history_or_reports)
    fig = new_figure("plot_gradient_flow", figsize=(6, 3.8))
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator
    ax = fig.add_subplot(1, 1, 1)
    cmap = colormaps["viridis"]
    for n, (layer, values) in enumerate(series.items()):
        shown = [v if v > 0 else np.nan for v in values]       # log scale: zeros are gaps
        ax.plot(range(1, len(values) + 1), shown, marker=".", label=layer,
                color=cmap(n / max(len(series) - 1, 1)))
    if any(v > 0 for values in series.values() for v in values):
        ax.set_yscale("log")
    ax.set_title("gradient norm per layer")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(series) > 12 else 1, loc="center left",
              bbox_to_anchor=(1.01, 0.5), title="layer", title_fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path)
