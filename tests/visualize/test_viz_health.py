"""Gradient health: planted vanishing, exploding, NaN/Inf gradients and dead ReLUs."""
import math

import numpy as np
import pytest

from autograd import Value
from visualize import classify, dot_source, reference
from visualize.health import COLORS, RAMP

from viz_graphs import attrs_of, neuron


def _drawn(root, node_index, **options):
    return attrs_of(dot_source(root, **options), f"v{node_index}")


def test_planted_vanishing_gradient_is_grey_and_explained():
    x = Value(1.0, name="x")
    y = x * 1e-9
    y.backward()
    line = _drawn(y, 0)
    assert f'fillcolor="{COLORS["vanishing"]}"' in line
    assert "vanishing gradient (below 1e-06" in line and "penwidth=2.5" in line


def test_planted_exploding_gradient_is_flagged():
    x = Value(1.0, name="x")
    y = x * 1e9
    y.backward()
    line = _drawn(y, 0)
    assert f'fillcolor="{COLORS["exploding"]}"' in line and "exploding gradient" in line


def test_planted_nan_gradient_is_red():
    x = Value(1.0, name="x")
    y = x * float("nan")
    y.backward()
    assert math.isnan(x.grad)
    line = _drawn(y, 0)
    assert f'fillcolor="{COLORS["nan"]}"' in line and "gradient contains NaN" in line


def test_infinite_gradient_is_red():
    x = Value(0.0, name="x")
    y = x.sqrt()
    with np.errstate(divide="ignore"):      # d sqrt(x)/dx = 1/(2 sqrt x) is 1/0 at 0
        y.backward()
    assert classify(x, reference(y)).kind == "inf"
    assert f'fillcolor="{COLORS["inf"]}"' in _drawn(y, 0)


def _relu_net(w):
    x = Value(np.array([[1.0, 2.0], [0.5, 1.0], [2.0, 0.1], [1.0, 1.0]]), requires_grad=False)
    W = Value(np.array(w), name="W")
    h = (x @ W).relu()
    loss = h.sum() + (W * W).sum()
    loss.backward()
    return loss, h


def test_dead_relu_over_the_whole_batch_is_flagged():
    loss, h = _relu_net([[-1.0, -2.0, -0.5], [-1.0, -0.3, -2.0]])
    assert not np.any(h.data)
    src = dot_source(loss)
    relu_node = next(line for line in src.splitlines() if 'label="relu"' in line).split()[0]
    line = attrs_of(src, "v" + relu_node.lstrip("o"))
    assert f'fillcolor="{COLORS["dead_relu"]}"' in line and "fontcolor=white" in line
    assert "3 of 3 units output 0 for all 4 samples" in line


def test_one_dead_unit_is_counted_and_live_relus_are_not_flagged():
    _, h = _relu_net([[-1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])
    assert classify(h, 1.0).kind == "dead_relu"
    assert "1 of 3 units" in classify(h, 1.0).reason
    _, live = _relu_net([[1.0, 2.0, 0.5], [1.0, 0.3, 2.0]])
    assert classify(live, 1.0).kind == "ok"


def test_healthy_gradients_get_the_band_of_their_size():
    o = neuron()
    x1 = _drawn(o, 0)                   # |grad| 1.5: between 1 and 100
    root = _drawn(o, 9)                 # the seed, exactly 1
    mid = _drawn(o, 2)                  # |grad| 0.5: between 0.01 and 1
    assert f'fillcolor="{RAMP[3][1]}"' in x1 and f'fillcolor="{RAMP[3][1]}"' in root
    assert f'fillcolor="{RAMP[2][1]}"' in mid and "penwidth" not in mid


def test_zero_gradient_counts_as_vanishing():
    o = neuron()                        # x2 = 0, so w2 gets no gradient at all
    line = _drawn(o, 4)
    assert "{ w2 |" in line and "zero gradient" in line


def test_color_none_draws_plain():
    x = Value(1.0, name="x")
    y = x * float("nan")
    y.backward()
    src = dot_source(y, color=None)
    assert COLORS["nan"] not in src.split("cluster_legend")[0]
    assert "tooltip" not in src


def test_before_backward_nothing_is_flagged():
    x = Value(1.0, name="x")
    y = x * 1e-9
    assert reference(y) == 0.0
    verdict = classify(x, reference(y))
    assert verdict.kind == "none" and "call backward()" in verdict.reason
    assert COLORS["vanishing"] not in dot_source(y).split("cluster_legend")[0]


@pytest.mark.parametrize("grad, kind", [(np.array([1e-8, 2e-9]), "vanishing"),
                                        (np.array([1.0, np.nan]), "nan"),
                                        (np.array([0.5, -3e7]), "exploding"),
                                        (np.array([0.5, -3.0]), "ok")])
def test_array_gradients_are_judged_by_their_largest_entry(grad, kind):
    x = Value(np.zeros(2))
    x.grad = grad
    assert classify(x, 1.0).kind == kind
