"""Pictures of sequence models: gradient through time, learning curves, attention heatmaps."""
import numpy as np
import pytest

import visualize
from visualize.sequences import plot_attention, plot_gradient_through_time, plot_learning_curves

pytest.importorskip("matplotlib")


def _png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    return data


def test_gradient_through_time_one_and_two_panels(tmp_path):
    before = {"RNN": np.geomspace(1e-9, 1.0, 50), "LSTM": np.linspace(0.2, 1.0, 50)}
    after = {"RNN": np.geomspace(1e-5, 1.0, 50), "LSTM": np.linspace(0.5, 1.0, 50)}
    one = _png(plot_gradient_through_time(before, tmp_path / "one.png"))
    two = _png(plot_gradient_through_time(before, tmp_path / "two.png", after=after))
    assert one != two
    assert list(tmp_path.iterdir()) and not list(tmp_path.glob("*.tmp*"))


def test_learning_curves_smooth_and_baseline(tmp_path):
    curves = {"RNN": np.full(100, 2.3), "GRU": np.linspace(2.3, 0.1, 100)}
    _png(plot_learning_curves(curves, tmp_path / "curves.png", smooth=10, baseline=np.log(10)))


@pytest.mark.parametrize("call, error, message", [
    (lambda p: plot_gradient_through_time([1.0, 2.0], p), TypeError, "dict of norms"),
    (lambda p: plot_gradient_through_time({"RNN": []}, p), ValueError, "'RNN' are empty"),
    (lambda p: plot_gradient_through_time({"RNN": [1.0, np.nan]}, p), ValueError,
     "norms of 'RNN' contains 1 NaN"),
    (lambda p: plot_learning_curves({"a": [1.0]}, p, smooth=0), ValueError, "smooth must"),
    (lambda p: plot_attention(np.ones((2, 2, 3, 3)), p), ValueError,
     r"shape \(queries, keys\) or \(heads, queries, keys\), got \(2, 2, 3, 3\)"),
    (lambda p: plot_attention(np.ones((3, 3)), p, tokens="ab"), ValueError,
     "2 tokens for 3 positions"),
])
def test_bad_input_is_one_clear_error(tmp_path, call, error, message):
    with pytest.raises(error, match=message):
        call(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_attention_heads_per_layer_with_tokens(tmp_path):
    rng = np.random.default_rng(0)
    w = rng.random((2, 4, 4))
    w /= w.sum(axis=-1, keepdims=True)
    _png(visualize.plot_attention({"layer 0": w, "layer 1": w[::-1]}, tmp_path / "a.png",
                                  tokens=list("abcd")))
    _png(visualize.plot_attention(w[0], tmp_path / "b.png"))
