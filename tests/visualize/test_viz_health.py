"""Gradient health in drawings: planted vanishing, exploding, NaN/Inf gradients, dead ReLUs,
gradients not kept, and the colour of each verdict."""
import math

import numpy as np
import pytest

from autograd import Value
from autograd.health import VANISHING
from visualize import classify, dot_source, reference
from visualize.style import COLORS, RAMP

from viz_graphs import attrs_of, neuron


def _drawn(root, node_index, **options):
    return attrs_of(dot_source(root, **options), f"v{node_index}")


def test_planted_vanishing_gradient_is_grey_and_explained():
    x, w = Value(1.0, name="x"), Value(1.0, name="w")
    y = x * 1e-9 + w                     # x learns a billion times slower than w
    y.backward()
    line = _drawn(y, 0)
    assert "{ x |" in line and f'fillcolor="{COLORS["vanishing"]}"' in line
    assert "vanishing gradient (below 0.0001 x the largest parameter" in line
    assert "penwidth=2.5" in line and 'class="grad-vanishing"' in line
    assert 'class="grad-ok"' in _drawn(y, 3)         # w itself is the reference


def test_planted_exploding_gradient_is_flagged():
    x = Value(1.0, name="x")
    y = x * 1e9
    y.backward()
    line = _drawn(y, 0)
    assert f'fillcolor="{COLORS["exploding"]}"' in line and "exploding gradient" in line


def test_a_learning_rate_flags_parameters_whose_step_outgrows_them():
    w = Value(np.array([0.5, -0.5]), name="w")
    loss = (w * 3.0).sum()
    loss.backward()                      # |grad| = 3 * sqrt(2), |w| = sqrt(1/2): ratio 6 lr
    assert 'class="grad-ok"' in _drawn(loss, 0)
    assert 'class="grad-ok"' in _drawn(loss, 0, lr=0.1)
    line = _drawn(loss, 0, lr=0.2)
    assert 'class="grad-exploding"' in line and "exploding update" in line
    assert 'class="grad-ok"' in _drawn(loss, 3, lr=1e3)   # not a parameter: no step
    with pytest.raises(ValueError, match="draw_dot: lr must be a finite number"):
        dot_source(loss, lr=-1.0)


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
    verdict = classify(x, reference(y))
    assert verdict.kind == "nan" and "gradient contains Inf" in verdict.reason
    assert f'fillcolor="{COLORS["nan"]}"' in _drawn(y, 0)


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
    assert "3 of 3 units output 0 for the whole batch" in line


def test_a_quarter_of_dead_units_is_flagged_and_fewer_are_not():
    _, h = _relu_net([[-1.0, 2.0, 0.5], [-1.0, 0.3, 2.0]])
    assert classify(h, 1.0).kind == "dead_relu"
    assert "1 of 3 units" in classify(h, 1.0).reason
    _, live = _relu_net([[1.0, 2.0, 0.5], [1.0, 0.3, 2.0]])
    assert classify(live, 1.0).kind == "ok"
    x = Value(np.array([[1.0, -1.0, 1.0, 1.0, 1.0]]), requires_grad=False)
    w = Value(np.ones(5))
    one_of_five = (x * w).relu()
    one_of_five.sum().backward()
    assert classify(one_of_five, 1.0).kind == "ok"          # 20% dead: below the 25% rule


def test_healthy_gradients_get_the_band_of_their_size():
    o = neuron()                        # leaves' gradients: x1 -1.5, w1 1, x2 0.5, w2 0, b 0.5
    assert reference(o) == pytest.approx(1.5)
    x1, w1, b, root = _drawn(o, 0), _drawn(o, 1), _drawn(o, 7), _drawn(o, 9)
    assert f'fillcolor="{RAMP[3][1]}"' in x1 and f'fillcolor="{RAMP[3][1]}"' in w1
    assert f'fillcolor="{RAMP[3][1]}"' in b and "penwidth" not in b
    assert "gradient norm 0.5 = 0.333 x the largest parameter gradient norm" in b
    assert f'fillcolor="{RAMP[3][1]}"' in root                      # 1 / 1.5


def test_zero_gradient_counts_as_vanishing():
    o = neuron()                        # x2 = 0, so w2 gets no gradient at all
    line = _drawn(o, 4)
    assert "{ w2 |" in line and "zero gradient" in line


def test_a_gradient_that_was_not_kept_is_none_not_zero():
    x, w = Value(2.0, name="x"), Value(3.0, name="w")
    h = x * w
    h.name = "h"
    y = h.tanh()
    y.backward(retain_grads=False)
    assert h.grad is None and x.grad is not None
    line = _drawn(y, 2)
    assert "{ h |" in line and "grad none" in line and 'class="grad-none"' in line
    assert "did not keep its gradient" in line and "zero gradient" not in line
    assert f'fillcolor="{COLORS["none"]}"' in line and "penwidth=2.5" not in line


def test_color_none_draws_plain():
    x = Value(1.0, name="x")
    y = x * float("nan")
    y.backward()
    src = dot_source(y, color=None)
    assert COLORS["nan"] not in src.split("cluster_legend")[0]
    assert "tooltip" not in src and "class=" not in src


def test_before_backward_nothing_is_flagged():
    x = Value(1.0, name="x")
    y = x * 1e-9
    assert reference(y) == 0.0
    verdict = classify(x, reference(y))
    assert verdict.kind == "none" and "call backward()" in verdict.reason
    assert COLORS["vanishing"] not in dot_source(y).split("cluster_legend")[0]


def test_the_legend_names_the_rule():
    src = dot_source(neuron()).split("cluster_legend")[1]
    assert f"below {VANISHING:g} x the largest parameter gradient norm" in src
    assert "relative to the largest parameter gradient norm" in src


@pytest.mark.parametrize("grad, kind", [(np.array([1e-8, 2e-9]), "vanishing"),
                                        (np.array([1.0, np.nan]), "nan"),
                                        (np.array([0.5, -3e7]), "exploding"),
                                        (np.array([0.5, -3.0]), "ok")])
def test_array_gradients_are_judged_by_their_norm(grad, kind):
    x = Value(np.zeros(2))
    x.grad = grad
    assert classify(x, 1.0).kind == kind
