"""`nn.gradient_report`, the `GradientMonitor` callback and `visualize.plot_gradient_flow`."""
import io
import sys

import numpy as np
import pytest

import nn
from visualize import plot_gradient_flow


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def _backward(model, X, y):
    model.zero_grad()
    nn.losses.cross_entropy(model(X), y).backward()


def test_deep_sigmoid_mlp_shows_vanishing_gradients_in_its_first_layers():
    X, y = _data()
    model = nn.MLP(4, [16] * 10 + [2], activation="sigmoid", seed=0)
    _backward(model, X, y)
    report = nn.gradient_report(model, lr=0.1)
    vanishing = report.flagged("vanishing")
    assert "layers.0.W" in vanishing and "layers.1.W" in vanishing
    assert "layers.10.W" not in vanishing and "layers.9.W" not in vanishing
    assert report["layers.0.W"].grad_norm < 1e-3 * report["layers.10.W"].grad_norm
    norms = report.layer_norms()
    assert norms["layers.0"] < norms["layers.5"] < norms["layers.10"]


def test_shallow_tanh_mlp_is_healthy():
    X, y = _data()
    model = nn.MLP(4, [16, 2], activation="tanh", seed=0)
    _backward(model, X, y)
    report = nn.gradient_report(model, lr=0.01)
    assert report.flagged() == []
    assert all(r.update_ratio is None or 0 < r.update_ratio < 1 for r in report)
    assert "ok" in report.table() and "update/weight needs" not in report.table()


def test_relu_network_with_large_negative_biases_shows_dead_units():
    X, y = _data()
    model = nn.MLP(4, [16, 16, 2], seed=0)
    for layer in model.layers[:-1]:
        layer.b.data[:] = -50.0
    _backward(model, X, y)
    report = nn.gradient_report(model, lr=0.1)
    assert set(report.flagged("dead_relu")) == {"layers.0.W", "layers.0.b", "layers.1.W",
                                               "layers.1.b"}
    assert report["layers.0.W"].dead_units == (16, 16)
    assert report["layers.2.W"].dead_units is None          # linear output layer
    assert "16/16" in str(report) and "dead_relu" in str(report)


def test_healthy_relu_network_has_no_dead_flag_and_eval_mode_does_not_record():
    X, y = _data()
    model = nn.MLP(4, [32, 2], seed=0)
    _backward(model, X, y)
    report = nn.gradient_report(model, lr=0.1)
    assert report.flagged("dead_relu") == []
    dead, total = report["layers.0.W"].dead_units
    assert total == 32 and dead < 8
    model.layers[0].b.data[:] = -50.0
    model.eval()
    model(X)                                   # evaluation passes do not overwrite the record
    assert model.layers[0].dead_units.sum() == dead


def test_dead_units_of_an_activation_module_count_for_the_layer_before_it():
    X, y = _data()
    model = nn.Sequential(nn.Layer(4, 8, activation=None, seed=0), nn.Activation("relu"),
                          nn.Layer(8, 2, activation=None, seed=1))
    model.layers[0].b.data[:] = -50.0
    _backward(model, X, y)
    report = nn.gradient_report(model)
    assert report["layers.0.W"].dead_units == (8, 8)
    assert "dead_relu" in report["layers.0.b"].flags
    assert report["layers.2.W"].dead_units is None


def test_learning_rate_of_1e3_shows_exploding_updates():
    X, y = _data()
    model = nn.MLP(4, [16, 16, 2], seed=0)
    _backward(model, X, y)
    opt = nn.optim.SGD(model.parameters(), lr=1e3)
    report = nn.gradient_report(model, optimizer=opt)
    assert report.lr == 1e3
    assert {"layers.0.W", "layers.1.W", "layers.2.W"} <= set(report.flagged("exploding"))
    assert report["layers.0.W"].update_ratio > 1.0
    # the same gradients with a sane learning rate are not exploding
    assert nn.gradient_report(model, lr=1e-3).flagged("exploding") == []


def test_nan_gradients_are_flagged():
    X, y = _data()
    model = nn.MLP(4, [8, 2], seed=0)
    _backward(model, X, y)
    model.layers[0].W.grad = np.full((4, 8), np.nan)
    report = nn.gradient_report(model, lr=0.1)
    assert report.flagged("nan") == ["layers.0.W"]
    assert np.isnan(report["layers.0.W"].grad_norm)
    assert report.flagged("vanishing") == []       # NaN never hides as a small gradient


def test_report_before_backward_says_so():
    model = nn.MLP(4, [8, 2], seed=0)
    report = nn.gradient_report(model)
    assert set(report.flagged("vanishing")) == {n for n, _ in model.named_parameters()}
    text = report.table()
    assert "every gradient is zero or missing" in text and "needs a learning rate" in text


def test_report_argument_errors():
    model = nn.MLP(2, [2], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="disagrees with the optimizer's lr=0.1"):
        nn.gradient_report(model, lr=0.5, optimizer=opt)
    with pytest.raises(ValueError, match="lr must be a finite number"):
        nn.gradient_report(model, lr=-1.0)
    with pytest.raises(TypeError, match="expected an nn.Module"):
        nn.gradient_report([1, 2])
    with pytest.raises(TypeError, match="`lr` attribute"):
        nn.gradient_report(model, optimizer=object())
    with pytest.raises(KeyError, match="no parameter named 'nope'"):
        nn.gradient_report(model)["nope"]


def test_gradient_monitor_records_one_report_per_epoch_during_fit():
    X, y = _data()
    model = nn.MLP(4, [16] * 10 + [2], activation="sigmoid", seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    stream = io.StringIO()
    monitor = nn.GradientMonitor(optimizer=opt, verbose=True, stream=stream)
    nn.fit(model, X, y, "cross_entropy", opt, epochs=3, batch_size=32, callbacks=[monitor],
           verbose=False, seed=0)
    assert monitor.epochs == [0, 1, 2] and len(monitor.reports) == 3
    assert all(r.lr == 0.1 for r in monitor.reports)
    series = monitor.layer_norms()
    assert list(series) == [f"layers.{i}" for i in range(11)]
    assert all(len(v) == 3 for v in series.values())
    assert "gradient health, epoch 1: layers.0.W: vanishing" in stream.getvalue()


def test_plot_gradient_flow_from_a_monitor_reports_and_a_dict(tmp_path):
    pytest.importorskip("matplotlib")
    X, y = _data()
    model = nn.MLP(4, [8, 8, 2], seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    monitor = nn.GradientMonitor(optimizer=opt)
    nn.fit(model, X, y, "cross_entropy", opt, epochs=2, callbacks=[monitor], verbose=False)
    for n, source in enumerate([monitor, monitor.reports, monitor.reports[0],
                                {"a": [1e-8, 0.0, 1e-9], "b": [0.1, 0.2, 0.3]}]):
        out = plot_gradient_flow(source, tmp_path / f"flow{n}.png")
        assert out.exists() and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_gradient_flow_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_gradient_flow([], tmp_path / "x.png")
    with pytest.raises(TypeError, match="not a gradient report"):
        plot_gradient_flow([1.0, 2.0], tmp_path / "x.png")
    with pytest.raises(TypeError, match="expected a GradientMonitor"):
        plot_gradient_flow(3.0, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_gradient_flow_without_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_gradient_flow({"a": [1.0]}, tmp_path / "x.png")
