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


def _watched_backward(model, X, y):
    """A backward pass with a DeadReluWatch on the model during the forward; the watch."""
    model.zero_grad()
    with nn.DeadReluWatch(model) as watch:
        loss = nn.losses.cross_entropy(model(X), y)
    loss.backward()
    return watch


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
    watch = _watched_backward(model, X, y)
    report = nn.gradient_report(model, lr=0.1, watch=watch)
    assert set(report.flagged("dead_relu")) == {"layers.0.W", "layers.0.b", "layers.1.W",
                                               "layers.1.b"}
    assert report["layers.0.W"].dead_units == (16, 16)
    assert report["layers.2.W"].dead_units is None          # linear output layer
    assert "16/16" in str(report) and "dead_relu" in str(report)
    assert "dead ReLU: 16 of 16 units" in report["layers.1.b"].verdict.reason
    without = nn.gradient_report(model, lr=0.1)             # no watch: no dead-unit verdicts
    assert without.flagged("dead_relu") == [] and without["layers.0.W"].dead_units is None


def test_healthy_relu_network_has_no_dead_flag_and_eval_mode_does_not_record():
    X, y = _data()
    model = nn.MLP(4, [32, 2], seed=0)
    watch = _watched_backward(model, X, y)
    report = nn.gradient_report(model, lr=0.1, watch=watch)
    assert report.flagged("dead_relu") == []
    dead, total = report["layers.0.W"].dead_units
    assert total == 32 and dead < 8
    model.layers[0].b.data[:] = -50.0
    with nn.DeadReluWatch(model) as watch:
        model(X)                               # a training pass records...
        model.eval()
        model(X + 1.0)                         # ...evaluation passes do not overwrite it
        dead_now = watch.dead_units()[id(model.layers[0].W)]
    assert dead_now == (32, 32)
    model.train()
    model.layers[0].b.data[:] = 0.0
    model(X)                                   # the watch is removed: nothing new recorded
    assert watch.handles == [] and watch.dead_units()[id(model.layers[0].W)] == (32, 32)


def test_dead_units_of_an_activation_module_count_for_the_layer_before_it():
    X, y = _data()
    model = nn.Sequential(nn.Layer(4, 8, activation=None, seed=0), nn.Activation("relu"),
                          nn.Layer(8, 2, activation=None, seed=1))
    model[0].b.data[:] = -50.0
    watch = _watched_backward(model, X, y)
    report = nn.gradient_report(model, watch=watch)
    assert report["0.W"].dead_units == (8, 8)
    assert report["0.b"].kind == "dead_relu"
    assert report["2.W"].dead_units is None
    assert list(watch.targets) == ["1"]                     # the hook sits on the Activation


def test_a_relu_first_in_a_sequential_counts_for_no_parameter():
    model = nn.Sequential(nn.Activation("relu"), nn.Layer(4, 2, activation=None, seed=0))
    watch = nn.DeadReluWatch(model)
    assert watch.targets == {} and watch.handles == []


def test_a_watch_belongs_to_its_model():
    X, y = _data()
    model, other = nn.MLP(4, [8, 2], seed=0), nn.MLP(4, [8, 2], seed=1)
    watch = _watched_backward(other, X, y)
    _backward(model, X, y)
    with pytest.raises(ValueError, match="DeadReluWatch built on this model"):
        nn.gradient_report(model, watch=watch)
    with pytest.raises(TypeError, match="expected an nn.Module"):
        nn.DeadReluWatch([model])


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
    model.layers[1].W.grad = np.full((8, 2), np.inf)
    report = nn.gradient_report(model, lr=0.1)
    assert report.flagged("nan") == ["layers.0.W", "layers.1.W"]
    assert np.isnan(report["layers.0.W"].grad_norm)
    assert "gradient contains Inf" in report["layers.1.W"].verdict.reason
    assert report.flagged("vanishing") == []       # NaN never hides as a small gradient
    with pytest.raises(ValueError, match="unknown verdict 'nans'"):
        report.flagged("nans")


def test_report_before_backward_says_so():
    model = nn.MLP(4, [8, 2], seed=0)
    report = nn.gradient_report(model)
    assert set(report.flagged("none")) == {n for n, _ in model.named_parameters()}
    assert report.flagged() == report.flagged("none")
    assert all(r.grad_norm is None for r in report)
    assert "call backward() on the loss first" in report["layers.0.W"].verdict.reason
    text = report.table()
    assert "no parameter has a gradient" in text and "needs a learning rate" in text


def test_a_parameter_the_loss_does_not_use_has_no_gradient_not_a_zero_one():
    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Layer(4, 2, activation=None, seed=0)
            self.spare = nn.Parameter(np.ones(3))

        def forward(self, x):
            return self.used(x)

    X, y = _data()
    model = Unused()
    _backward(model, X, y)
    report = nn.gradient_report(model)
    assert report.flagged() == ["spare"] and report["spare"].kind == "none"
    assert "did not reach this value" in report["spare"].verdict.reason
    assert "no parameter has a gradient" not in report.table()


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


def test_gradient_monitor_watches_relus_while_training_and_removes_its_hooks():
    X, y = _data()
    model = nn.MLP(4, [16, 2], seed=0)
    model.layers[0].b.data[:] = -50.0
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    monitor = nn.GradientMonitor(optimizer=opt)
    nn.fit(model, X, y, "cross_entropy", opt, epochs=2, callbacks=[monitor], verbose=False)
    assert all(r.flagged("dead_relu") == ["layers.0.W", "layers.0.b"] for r in monitor.reports)
    assert monitor.reports[-1]["layers.0.W"].dead_units == (16, 16)
    assert monitor.watch.handles == []
    recorded = monitor.watch.outputs["layers.0"]
    model(X)                                  # after fit the hooks are off: nothing recorded
    assert monitor.watch.outputs["layers.0"] is recorded


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
