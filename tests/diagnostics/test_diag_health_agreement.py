"""One health model: a drawing (`model=`) and `nn.gradient_report` give every parameter the
same verdict, read from the drawn DOT source (its class and fill) and from the report."""
import re

import numpy as np
import pytest

import nn
from visualize import dot_source
from visualize.style import fill_color

rng = np.random.default_rng(0)
X = rng.standard_normal((64, 4))
Y = (X[:, 0] * X[:, 1] > 0).astype(int)


def _drawn_verdicts(source):
    """{parameter name: (verdict kind, fill colour)} from the value nodes of a DOT source."""
    out = {}
    for line in source.splitlines():
        found = re.match(r'\s*v\d+ \[label="\{ ([^ |(][^ |]*)', line)
        kind = re.search(r'class="grad-(\w+)"', line)
        if found and kind:
            out[found.group(1)] = (kind.group(1), re.search(r'fillcolor="([^"]+)"', line)[1])
    return out


def _both(model, lr=None, max_nodes=500):
    """The report and the drawing of one backward pass with a DeadReluWatch on the model."""
    model.zero_grad()
    with nn.DeadReluWatch(model) as watch:
        loss = nn.losses.cross_entropy(model(X), Y)
    loss.backward()
    report = nn.gradient_report(model, lr=lr, watch=watch)
    return report, dot_source(loss, model=model, lr=lr, max_nodes=max_nodes)


def _assert_agree(report, source):
    drawn = _drawn_verdicts(source)
    assert set(drawn) == {row.name for row in report}
    for row in report:
        assert drawn[row.name] == (row.kind, fill_color(row.verdict)), row.name
    return {row.name: row.kind for row in report}


def _dead_first_layer(model):
    model.layers[0].b.data[:] = -50.0
    return model


@pytest.mark.parametrize("lr", [None, 0.1, 1e3])
def test_a_relu_mlp_is_judged_the_same_with_and_without_a_learning_rate(lr):
    kinds = _assert_agree(*_both(nn.MLP(4, [16, 16, 2], seed=0), lr=lr))
    assert ("exploding" in kinds.values()) == (lr == 1e3)


@pytest.mark.parametrize("lr", [None, 0.1])
def test_a_dead_relu_layer_is_judged_the_same(lr):
    kinds = _assert_agree(*_both(_dead_first_layer(nn.MLP(4, [16, 16, 2], seed=0)), lr=lr))
    assert [n for n, k in kinds.items() if k == "dead_relu"] == [
        "layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"]


@pytest.mark.parametrize("lr", [None, 0.1])
def test_a_vanishing_deep_sigmoid_net_is_judged_the_same(lr):
    model = nn.MLP(4, [8] * 7 + [2], activation="sigmoid", seed=0)
    kinds = _assert_agree(*_both(model, lr=lr))
    assert kinds["layers.0.W"] == "vanishing" and kinds["layers.7.W"] == "ok"


def test_a_relu_module_after_a_linear_layer_is_judged_the_same():
    model = nn.Sequential(nn.Layer(4, 8, activation=None, seed=0), nn.Activation("relu"),
                          nn.BatchNorm(8), nn.Layer(8, 2, activation=None, seed=1))
    model[0].b.data[:5] = -50.0
    kinds = _assert_agree(*_both(model))
    assert kinds["0.W"] == kinds["0.b"] == "dead_relu"
    assert kinds["2.gamma"] != "dead_relu"


def test_neurons_with_their_weight_lists_are_judged_the_same():
    model = nn.Sequential(nn.Neuron(4, seed=0), nn.Activation("tanh"))
    model[0].b.data = -50.0

    def loss_of(out):
        return ((out - 1.0) ** 2).mean()

    model.zero_grad()
    with nn.DeadReluWatch(model) as watch:
        loss = loss_of(model(X))
    loss.backward()
    report = nn.gradient_report(model, watch=watch)
    kinds = _assert_agree(report, dot_source(loss, model=model))
    assert set(kinds.values()) == {"dead_relu"}


def test_a_collapsed_drawing_colours_a_layers_parameters_by_their_verdict():
    model = _dead_first_layer(nn.MLP(4, [16, 16, 2], seed=0))
    report, source = _both(model, max_nodes=20)
    assert "Collapsed" in source and "grouped by module" in source
    groups = re.findall(r'label="parameters x2 [^\n]*fillcolor="([^"]+)"[^\n]*'
                        r'tooltip="2 nodes in (layers\.\d)', source)
    assert [layer for _, layer in groups] == ["layers.0", "layers.1", "layers.2"]
    for color, layer in groups[:2]:                  # W and b agree: both dead_relu
        assert report[f"{layer}.W"].kind == report[f"{layer}.b"].kind == "dead_relu"
        assert color == fill_color(report[f"{layer}.W"].verdict), layer
