"""`autograd.health`: the one rule behind reports and drawings, judged on plain numbers."""
import math

import numpy as np
import pytest

from autograd import Value, health
from autograd.health import judge


def test_norm_is_the_l2_norm_in_float64_without_overflow():
    assert health.norm(np.array([3.0, 4.0], dtype=np.float32)) == 5.0
    assert health.norm(-2.5) == 2.5 and health.norm(np.zeros((0, 3))) == 0.0
    assert health.norm(np.array([1e200, 1e200])) == pytest.approx(math.sqrt(2) * 1e200)
    assert health.norm(np.full(4, 1e-200)) == pytest.approx(2e-200)
    assert math.isnan(health.norm(np.array([1.0, np.inf])))
    assert health.norm(Value(np.array([0.0, 2.0]))) == 2.0        # a create_graph gradient


def test_the_reference_is_the_largest_finite_parameter_gradient_norm():
    assert health.reference([]) == 0.0 and health.reference([None, None]) == 0.0
    assert health.reference([np.array([np.nan]), 1.0, np.array([0.0, -2.0])]) == 2.0


def test_dead_units_count_units_along_the_last_axis():
    batch = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]])
    assert health.dead_units(batch) == (2, 4)
    assert health.dead_units(np.zeros((2, 3, 5))) == (5, 5)
    assert health.dead_units(0.0) == (1, 1) and health.dead_units(np.array([0.0, 1.0])) == (0, 1)


@pytest.mark.parametrize("grad, value, kwargs, kind", [
    (None, 1.0, dict(reference=1.0), "none"),
    (1.0, 1.0, dict(reference=1.0, needs_grad=False), "none"),
    (np.array([1.0, np.nan]), np.ones(2), dict(reference=1.0), "nan"),
    (1.0, math.inf, dict(reference=1.0), "nan"),
    (0.0, 1.0, dict(reference=1.0, dead=(1, 4)), "dead_relu"),
    (0.0, 1.0, dict(reference=1.0, dead=(1, 5)), "vanishing"),
    (2e6, 1.0, dict(reference=2e6), "exploding"),
    (0.5, 1.0, dict(reference=1.0, lr=3.0), "exploding"),
    (0.5, 1.0, dict(reference=1.0, lr=1.0), "ok"),
    (0.0, 1.0, dict(reference=0.0), "vanishing"),
    (9e-5, 1.0, dict(reference=1.0), "vanishing"),
    (1e-4, 1.0, dict(reference=1.0), "ok"),
], ids=["no-gradient", "constant", "nan-gradient", "inf-value", "dead-quarter",
        "dead-fifth", "large-norm", "large-step", "small-step", "zero", "below-1e-4",
        "at-1e-4"])
def test_each_rule(grad, value, kwargs, kind):
    assert judge(grad, value, **kwargs).kind == kind


def test_worse_news_wins():
    both = judge(np.array([np.nan, 0.0]), np.ones(2), 1.0, lr=10.0, dead=(4, 4))
    assert both.kind == "nan"
    dead_and_tiny = judge(1e-9, 1.0, 1.0, dead=(4, 4))
    assert dead_and_tiny.kind == "dead_relu"             # the cause, not the symptom


def test_a_verdict_carries_its_numbers_and_reason():
    v = judge(np.array([0.3, 0.4]), np.array([3.0, 4.0]), reference=2.0, lr=0.5)
    assert (v.kind, v.norm, v.relative) == ("ok", pytest.approx(0.5), pytest.approx(0.25))
    assert v.update_ratio == pytest.approx(0.5 * 0.5 / 5.0) and not v.flagged
    assert "gradient norm 0.5 = 0.25 x the largest parameter gradient norm" in v.reason
    assert judge(None, 1.0, 0.0).reason.startswith("no gradient yet: call backward()")
    assert "did not keep its gradient" in judge(None, 1.0, 1.0).reason
    assert judge(1e-9, 1.0, 1.0).flagged


def test_learning_rates_are_checked():
    assert health.check_learning_rate(None, "f") is None
    assert health.check_learning_rate(1, "f") == 1.0
    for bad in (-0.1, math.inf, math.nan):
        with pytest.raises(ValueError, match="f: lr must be a finite number >= 0"):
            health.check_learning_rate(bad, "f")


def test_every_kind_has_a_rule_in_words():
    assert set(health.RULES) == set(health.KINDS)
    assert set(health.FLAGS) < set(health.KINDS)
