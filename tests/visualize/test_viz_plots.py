"""plot_history, plot_decision_boundary and plot_predictions (matplotlib is an optional extra):
what each figure holds (curves, classes, colours, titles) and the files they write."""
import sys

import numpy as np
import pytest

import nn
from autograd import Value
from visualize import plot_decision_boundary, plot_history, plot_predictions

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HISTORY = {"loss": [1.0, 0.6, 0.3], "val_loss": [1.1, 0.8, 0.5],
           "accuracy": [0.5, 0.7, 0.9], "val_accuracy": [0.4, 0.6, 0.8]}


class KerasStyleHistory:
    def __init__(self, history):
        self.history = history


def _score(x):
    """A linear score whose sign splits the plane along x1 = x0 + 0.1."""
    return x @ Value(np.array([[1.0], [-1.0]])) + 0.1


def _expected_score(points):
    return points[:, 0] - points[:, 1] + 0.1


def _cell_centres(image):
    """The plane coordinates (n, 2) of the cells of an imshow image with origin='lower'."""
    (x0, x1, y0, y1), (rows, cols) = image.get_extent(), image.get_array().shape
    gx, gy = np.meshgrid(x0 + (np.arange(cols) + 0.5) * (x1 - x0) / cols,
                         y0 + (np.arange(rows) + 0.5) * (y1 - y0) / rows)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _boundary(saved_figures, tmp_path, model, **options):
    """(classes drawn per cell, cell centres, the scatter) of one decision-boundary plot."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(40, 2))
    y = (_expected_score(X) > 0).astype(int)
    path = plot_decision_boundary(model, X, y, tmp_path / "b.png", resolution=40, **options)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    ax = saved_figures[-1].axes[0]
    image = ax.images[0]
    return np.asarray(image.get_array()).ravel(), _cell_centres(image), ax.collections[0], y


# ----- plot_history ---------------------------------------------------------------------------
@pytest.mark.parametrize("history", [HISTORY, KerasStyleHistory(HISTORY)])
def test_history_draws_one_panel_per_metric_with_both_curves(tmp_path, saved_figures, history):
    out = plot_history(history, tmp_path / "plots" / "history.png")
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    axes = saved_figures[-1].axes
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    for ax in axes:
        metric = ax.get_title()
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert sorted(lines) == ["train", "validation"]
        for label, key in (("train", metric), ("validation", "val_" + metric)):
            np.testing.assert_array_equal(lines[label].get_xdata(), [1, 2, 3])
            np.testing.assert_array_equal(lines[label].get_ydata(), HISTORY[key])
        assert lines["validation"].get_linestyle() == "--"
        assert ax.get_xlabel() == "epoch" and ax.get_yscale() == "linear"


def test_a_loss_falling_by_orders_of_magnitude_is_drawn_on_a_log_scale(tmp_path, saved_figures):
    plot_history({"loss": [10.0, 1.0, 0.01]}, tmp_path / "h.png")
    assert saved_figures[-1].axes[0].get_yscale() == "log"


def test_history_from_fit_is_drawn_epoch_by_epoch(tmp_path, saved_figures):
    X, y = nn.data.make_blobs(30, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    h = nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), 0.1), epochs=4,
               verbose=False)
    plot_history(h, tmp_path / "h.png")
    (line,) = saved_figures[-1].axes[0].get_lines()
    np.testing.assert_array_equal(line.get_ydata(), h.history["loss"])


def test_history_svg_names_its_panels(tmp_path, saved_figures):
    text = plot_history(HISTORY, tmp_path / "h.svg").read_text()
    assert "<svg" in text and text.count("epoch") >= 2
    assert "validation" in text and "accuracy" in text


def test_empty_or_odd_histories_are_refused(tmp_path, saved_figures):
    with pytest.raises(ValueError, match="empty"):
        plot_history({"loss": []}, tmp_path / "h.png")
    with pytest.raises(TypeError, match="History or a dict"):
        plot_history(3, tmp_path / "h.png")
    assert not saved_figures and list(tmp_path.iterdir()) == []


def test_files_are_replaced_whole_and_no_temporary_file_stays(tmp_path, saved_figures):
    path = tmp_path / "h.png"
    path.write_bytes(b"old")
    plot_history(HISTORY, path)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert [p.name for p in tmp_path.iterdir()] == ["h.png"]


# ----- plot_decision_boundary -----------------------------------------------------------------
def test_a_score_is_cut_at_zero_and_points_share_the_regions_colours(tmp_path, saved_figures):
    classes, centres, points, y = _boundary(saved_figures, tmp_path, _score)
    np.testing.assert_array_equal(classes, _expected_score(centres) > 0)
    assert 0.2 < classes.mean() < 0.8
    np.testing.assert_array_equal(points.get_array(), y)
    image = saved_figures[-1].axes[0].images[0]
    assert image.norm.vmin == points.norm.vmin == 0 and image.norm.vmax == points.norm.vmax == 1


def test_probabilities_are_cut_where_the_caller_says(tmp_path, saved_figures):
    scores, *_ = _boundary(saved_figures, tmp_path, _score)
    probs, *_ = _boundary(saved_figures, tmp_path, lambda x: _score(x).sigmoid(), threshold=0.5)
    np.testing.assert_array_equal(probs, scores)


def test_logits_inside_zero_to_one_are_still_logits(tmp_path, saved_figures):
    def squashed(x):                                  # every score lies in (0.1, 0.9)
        return (x @ Value(np.array([[1.0], [0.0]]))).tanh() * 0.4 + 0.5

    classes, centres, *_ = _boundary(saved_figures, tmp_path, squashed)
    assert classes.all()                              # all above 0: class 1 everywhere
    classes, centres, *_ = _boundary(saved_figures, tmp_path, squashed, threshold=0.5)
    np.testing.assert_array_equal(classes, centres[:, 0] > 0)


def test_class_scores_are_argmaxed_and_agree_with_accuracy(tmp_path, saved_figures):
    classes, centres, *_ = _boundary(saved_figures, tmp_path, lambda x: x @ Value(np.eye(2)))
    np.testing.assert_array_equal(classes, centres[:, 1] > centres[:, 0])
    scores = centres @ np.eye(2)
    assert nn.accuracy(scores, classes) == 1.0


def test_decision_boundary_checks_shapes(tmp_path, saved_figures):
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot_decision_boundary(_score, np.zeros((5, 3)), np.zeros(5), tmp_path / "b.png")


# ----- plot_predictions -----------------------------------------------------------------------
def test_predictions_are_titled_and_mistakes_are_red(tmp_path, saved_figures):
    images = np.arange(5 * 4 * 3, dtype=float).reshape(5, 4, 3)
    path = plot_predictions(images, [1, 2, 3, 0, 9], [1, 2, 0, 0, 9], tmp_path / "p.png",
                            count=4)
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    axes = saved_figures[-1].axes
    assert [ax.get_title() for ax in axes] == ["pred 1 / true 1", "pred 2 / true 2",
                                               "pred 3 / true 0", "pred 0 / true 0"]
    colours = [ax.title.get_color() for ax in axes]
    assert colours == ["black", "black", "red", "black"]
    np.testing.assert_array_equal(axes[2].images[0].get_array(), images[2])


@pytest.mark.parametrize("images, predicted, labels", [
    (np.zeros((3, 16)), [0, 1, 2], [0, 1, 2]),          # flat rows: reshape to (n, h, w)
    (np.zeros((3, 4, 4)), [0, 1], [0, 1, 2]),
])
def test_predictions_check_shapes(tmp_path, saved_figures, images, predicted, labels):
    with pytest.raises(ValueError, match=r"plot_predictions: expected images \(n, height"):
        plot_predictions(images, predicted, labels, tmp_path / "p.png")


def test_missing_matplotlib_gives_a_clear_import_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(HISTORY, tmp_path / "h.png")
    with pytest.raises(ImportError, match="plot_decision_boundary needs matplotlib"):
        plot_decision_boundary(_score, np.zeros((2, 2)), [0, 1], tmp_path / "b.png")
    with pytest.raises(ImportError, match="plot_predictions needs matplotlib"):
        plot_predictions(np.zeros((1, 2, 2)), [0], [0], tmp_path / "p.png")
