"""plot_history and plot_decision_boundary (matplotlib is an optional extra)."""
import sys

import numpy as np
import pytest

from autograd import Value
from visualize import plot_decision_boundary, plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HISTORY = {"loss": [1.0, 0.6, 0.3], "val_loss": [1.1, 0.8, 0.5],
           "accuracy": [0.5, 0.7, 0.9], "val_accuracy": [0.4, 0.6, 0.8]}


class KerasStyleHistory:
    def __init__(self, history):
        self.history = history


def _linear(x: Value) -> Value:
    return x @ Value(np.array([[1.0], [-1.0]])) + 0.1


@pytest.fixture
def matplotlib():
    return pytest.importorskip("matplotlib")


@pytest.mark.parametrize("history", [HISTORY, KerasStyleHistory(HISTORY)])
def test_history_is_plotted_with_one_panel_per_metric(tmp_path, matplotlib, history):
    out = plot_history(history, tmp_path / "plots" / "history.png")
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_history_svg_names_its_panels(tmp_path, matplotlib):
    text = plot_history(HISTORY, tmp_path / "h.svg").read_text()
    assert "<svg" in text and text.count("epoch") >= 2
    assert "validation" in text and "accuracy" in text


def test_empty_or_odd_histories_are_refused(tmp_path, matplotlib):
    with pytest.raises(ValueError, match="empty"):
        plot_history({"loss": []}, tmp_path / "h.png")
    with pytest.raises(TypeError, match="History or a dict"):
        plot_history(3, tmp_path / "h.png")


@pytest.mark.parametrize("model", [_linear, lambda x: (_linear(x)).sigmoid(),
                                   lambda x: x @ Value(np.eye(2))])
def test_decision_boundary_is_drawn_for_scores_probabilities_and_classes(tmp_path, matplotlib,
                                                                          model):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > X[:, 1]).astype(int)
    out = plot_decision_boundary(model, X, y, tmp_path / "b.png", resolution=50)
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_decision_boundary_checks_shapes(tmp_path, matplotlib):
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot_decision_boundary(_linear, np.zeros((5, 3)), np.zeros(5), tmp_path / "b.png")


def test_missing_matplotlib_gives_a_clear_import_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history(HISTORY, tmp_path / "h.png")
    with pytest.raises(ImportError, match="plot_decision_boundary needs matplotlib"):
        plot_decision_boundary(_linear, np.zeros((2, 2)), [0, 1], tmp_path / "b.png")
