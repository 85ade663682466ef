"""Per-op gradient checking: a planted wrong VJP in a custom Op is named by `check_ops`, by
`gradcheck`'s error and by `draw_dot(check=True)`; correct graphs give no findings."""
import re

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import GradcheckError, Op, Value, check_ops, gradcheck
from visualize import dot_source, draw_dot


def _softplus(x):
    return np.logaddexp(0.0, x)


# softplus'(x) = sigmoid(x); the planted bug forgets the upstream gradient's sign handling
# by using tanh instead of sigmoid.
bad_softplus = Op("bad_softplus", _softplus, lambda g, ans, x: g * np.tanh(x))
good_softplus = Op("good_softplus", _softplus, lambda g, ans, x: g * ag.sigmoid(x))
# A binary op whose VJP for the second input is wrong (x instead of 2 x y... here: d(x y^2)/dy).
bad_second = Op("bad_second", lambda x, y: x * y * y,
                lambda g, ans, x, y: g * y * y,           # right: d/dx = y^2
                lambda g, ans, x, y: g * x * y)           # wrong: d/dy = 2 x y
raising = Op("raising", lambda x: 2.0 * x, lambda g, ans, x: g[:1] * np.ones(5))


def _net(x, W1, W2, act):
    """A bigger graph around the custom op: matmul, broadcasting, tanh, relu, reductions."""
    h = (x @ W1 + 0.1).tanh()
    z = act(h) @ W2
    return ag.logsumexp(ag.relu(z) + z, axis=1).mean() + (h * h).sum() * 0.01


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))


def test_check_ops_names_exactly_the_planted_op():
    x, W1, W2 = _inputs()
    loss = _net(Value(x), Value(W1), Value(W2), bad_softplus)
    findings = check_ops(loss)
    assert [f.op for f in findings] == ["bad_softplus"]
    f = findings[0]
    assert f.input == 0 and f.input_shapes == ((5, 4),)
    assert len(f.index) == 2 and abs(f.analytic - f.numeric) > 1e-3
    assert "bad_softplus" in str(f) and "(5, 4)" in str(f)
    assert f.node.op == "bad_softplus"


def test_correct_custom_op_passes_both_checks():
    x, W1, W2 = _inputs()
    assert check_ops(_net(Value(x), Value(W1), Value(W2), good_softplus)) == []
    assert gradcheck(lambda a, b, c: _net(a, b, c, good_softplus), x, W1, W2)


def test_gradcheck_error_names_the_wrong_op():
    x, W1, W2 = _inputs()
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b, c: _net(a, b, c, bad_softplus), x, W1, W2)
    message = str(info.value)
    assert "gradient of input" in message
    assert "first op whose VJP is wrong: op 'bad_softplus' (input shapes (5, 4))" in message
    assert [f.op for f in info.value.findings] == ["bad_softplus"]


def test_wrong_vjp_of_a_second_input_is_reported_for_that_input():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    findings = check_ops((bad_second(Value(a).exp(), Value(b)) * 3.0).sum())
    assert [(f.op, f.input) for f in findings] == [("bad_second", 1)]
    with pytest.raises(GradcheckError, match=r"op 'bad_second' \(input shapes \(4,\), \(4,\)\): "
                                             r"the VJP for input 1"):
        gradcheck(lambda u, v: bad_second(u.exp(), v).sum(), a, b)


def test_a_vjp_that_raises_is_a_finding():
    findings = check_ops(raising(Value(np.ones(3))).sum())
    assert len(findings) == 1 and findings[0].op == "raising"
    assert "raised ValueError" in findings[0].reason


def test_large_inputs_are_checked_along_random_directions():
    rng = np.random.default_rng(2)
    x = Value(rng.standard_normal((40, 30)))
    findings = check_ops(bad_softplus(x * 2.0).sum(), max_entries=100)
    assert [f.op for f in findings] == ["bad_softplus"]
    assert findings[0].index is None and "random unit direction" in findings[0].reason


def test_builtin_ops_at_kinks_and_ties_give_no_false_findings():
    """relu at exact zeros, max/min ties, abs at 0, clip at its bounds, repeated indices."""
    x = Value(np.array([[-1.0, 0.0, 2.0], [3.0, 3.0, -3.0]]))
    r = ag.relu(ag.relu(x))                      # the outer relu sees exact zeros
    tied = ag.max(Value(np.ones((2, 3))) * x * 0.0 + 1.0, axis=1)   # all entries tie
    y = (r.sum() + tied.sum() + ag.abs(x - x.data).sum() + ag.clip(x, 0.0, 2.0).sum()
         + x[np.array([0, 0, 1]), np.array([1, 1, 2])].sum() + ag.min(x, axis=0).sum()
         + ag.maximum(x, 0.0).sum() + ag.where(x.data > 0, x, x * 0.5).mean())
    assert check_ops(y) == []


def test_a_whole_model_and_loss_in_float32_have_no_findings():
    model = nn.MLP(3, [8, 8, 3], seed=0, dtype=np.float32)
    X = np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32)
    loss = nn.losses.cross_entropy(model(X), np.array([0, 1, 2, 0, 1, 2]))
    assert check_ops(loss) == []


def test_micrograd_scalar_graph_has_no_findings_and_a_planted_bug_is_found():
    a, b = Value(2.0), Value(-3.0)
    y = ((a * b + 1.0).tanh() ** 2 / (a.exp() + 1.0)).log1p()
    assert check_ops(y) == []
    assert [f.op for f in check_ops(bad_softplus(a * b) + y)] == ["bad_softplus"]


def test_check_ops_rejects_non_values():
    with pytest.raises(TypeError, match="check_ops: expected a Value"):
        check_ops(np.ones(3))


# ----- draw_dot(check=True) ------------------------------------------------------------------
def _op_lines(dot):
    return {m.group(1): line for line in dot.splitlines()
            for m in [re.match(r'\s*o\d+ \[label="([^"\\]+)', line)] if m}


def test_dot_source_colours_the_wrong_op_red_with_the_reason():
    x, W1, W2 = _inputs()
    loss = _net(Value(x), Value(W1), Value(W2), bad_softplus)
    loss.backward()
    ops = _op_lines(dot_source(loss, check=True))
    bad = ops["bad_softplus"]
    assert 'fillcolor="#ef3b2c"' in bad and "wrong VJP" in bad
    assert "tooltip=" in bad and "the VJP for input 0 is wrong" in bad
    others = [line for name, line in ops.items() if name != "bad_softplus"]
    assert others and not any("#ef3b2c" in line for line in others)


def test_without_check_nothing_is_marked_and_the_drawing_is_unchanged():
    x, W1, W2 = _inputs()
    loss = _net(Value(x), Value(W1), Value(W2), bad_softplus)
    loss.backward()
    plain = dot_source(loss)
    assert "wrong VJP" not in plain and "#ef3b2c" not in plain
    good = _net(Value(x), Value(W1), Value(W2), good_softplus)
    good.backward()
    # a correct graph draws the same with and without the check
    assert dot_source(good, check=True) == dot_source(good)


def test_draw_dot_check_marks_the_op_in_the_graphviz_source():
    pytest.importorskip("graphviz")
    a = Value(np.array([0.5, -1.0]), name="a")
    y = bad_softplus(a * 2.0).sum()
    y.backward()
    source = draw_dot(y, check=True).source
    assert re.search(r'label="bad_softplus\\nwrong VJP"[^\n]*fillcolor="#ef3b2c"', source)
    assert "wrong VJP" not in draw_dot(y).source


def test_collapsed_drawing_lists_wrong_ops_in_a_note():
    x = Value(np.arange(3.0))
    y = x
    for _ in range(12):
        y = (y * 0.5).tanh()
    y = bad_softplus(y).sum()
    dot = dot_source(y, check=True, max_nodes=10)
    assert "Collapsed" in dot
    note = [line for line in dot.splitlines() if line.strip().startswith("wrong_vjp")]
    assert len(note) == 1 and "bad_softplus" in note[0] and "#ef3b2c" in note[0]


def test_checked_drawing_renders_with_dot_and_keeps_the_tooltip(tmp_path):
    graphviz = pytest.importorskip("graphviz")
    a = Value(np.array([0.5, -1.0]), name="a")
    y = bad_softplus(a * 2.0).sum()
    y.backward()
    try:
        out = draw_dot(y, check=True, format="svg").render(tmp_path / "checked", cleanup=True)
    except graphviz.ExecutableNotFound:
        pytest.skip("Graphviz's dot binary is not installed")
    svg = open(out).read()
    assert "wrong VJP" in svg and "#ef3b2c" in svg
    assert "the VJP for input 0 is wrong" in svg        # the tooltip survives rendering
