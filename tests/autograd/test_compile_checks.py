"""autograd.compile and value checks: a check that a wrapper makes on its arguments' values
(labels in range, probabilities in [0, 1], indices in bounds) runs again on every replay, so
bad data of a recorded shape raises the error eager mode raises, before any state changes,
instead of giving a wrong number."""

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Value
from nn.attention import scaled_dot_product_attention

_RNG = np.random.default_rng(0)
_SCORES = _RNG.normal(size=(4, 3))
_PROBS = _RNG.uniform(0.1, 0.9, size=(4,))
_LABELS = np.array([0, 2, 1, 2])


def _error(fn, *args):
    with pytest.raises(Exception) as caught:
        fn(*args)
    return type(caught.value), str(caught.value)


def _replays_raise_as_eager(fn, good, bad):
    """`fn` compiled runs on `good`, then raises on `bad` exactly as `fn` does eagerly."""
    eager = _error(fn, *bad)
    step = ag.compile(fn)
    step(*good)
    step(*good)                         # a replay: the program is what runs now
    assert _error(step, *bad) == eager
    assert len(step.programs) == 1      # the same signature: no recording again


def _scores():
    return Value(_SCORES.copy())


CASES = {
    "cross_entropy negative label": (
        lambda z, y: nn.losses.cross_entropy(z, y),
        (_scores(), _LABELS), (_scores(), np.array([0, -1, 1, 2]))),
    "cross_entropy label too large": (
        lambda z, y: nn.losses.cross_entropy(z, y, reduction="sum"),
        (_scores(), _LABELS), (_scores(), np.array([0, 3, 1, 2]))),
    "nll_loss negative label": (
        lambda z, y: nn.losses.nll_loss(ag.log(ag.sigmoid(z)), y),
        (_scores(), _LABELS), (_scores(), np.array([-2, 0, 1, 2]))),
    "binary_cross_entropy probability above 1": (
        lambda p, t: nn.losses.binary_cross_entropy(p, t),
        (Value(_PROBS), np.array([0.0, 1.0, 1.0, 0.0])),
        (Value(_PROBS + 0.5), np.array([0.0, 1.0, 1.0, 0.0]))),
    "binary_cross_entropy target below 0": (
        lambda p, t: nn.losses.binary_cross_entropy(p, t),
        (Value(_PROBS), np.array([0.0, 1.0, 1.0, 0.0])),
        (Value(_PROBS), np.array([0.0, -1.0, 1.0, 0.0]))),
    "binary_cross_entropy_with_logits target above 1": (
        lambda z, t: nn.losses.binary_cross_entropy_with_logits(z, t),
        (Value(_PROBS), np.array([0.0, 1.0, 1.0, 0.0])),
        (Value(_PROBS), np.array([0.0, 2.0, 1.0, 0.0]))),
    "hinge_loss 0/1 labels": (
        lambda s, t: nn.losses.hinge_loss(s, t),
        (Value(_PROBS), np.array([1.0, -1.0, 1.0, -1.0])),
        (Value(_PROBS), np.array([1.0, 0.0, 1.0, -1.0]))),
    "take index out of bounds": (
        lambda x, i: ag.sum(ag.take(x, i, axis=1)),
        (_scores(), np.array([0, 2, -3])), (_scores(), np.array([0, -4, 1]))),
    "take flattened index out of bounds": (
        lambda x, i: ag.sum(ag.take(x, i)),
        (_scores(), np.array([0, 11])), (_scores(), np.array([0, 12]))),
    "take_along_axis index out of bounds": (
        lambda x, i: ag.sum(ag.take_along_axis(x, i, axis=1)),
        (_scores(), np.array([[0], [1], [2], [0]])), (_scores(), np.array([[0], [1], [5], [0]]))),
    "index_add index out of bounds": (
        lambda x, i, s: ag.sum(ag.index_add(x, 0, i, s)),
        (_scores(), np.array([0, 3]), Value(np.ones((2, 3)))),
        (_scores(), np.array([0, 4]), Value(np.ones((2, 3))))),
    "attention mask holding NaN": (
        lambda q, m: ag.sum(scaled_dot_product_attention(q, q, q, attn_mask=m)),
        (Value(_RNG.normal(size=(1, 3, 2))), np.zeros((3, 3))),
        (Value(_RNG.normal(size=(1, 3, 2))), np.where(np.eye(3) > 0, np.nan, 0.0))),
}


@pytest.mark.parametrize("name", CASES)
def test_a_replay_raises_on_bad_values_as_eager_mode_does(name):
    fn, good, bad = CASES[name]
    _replays_raise_as_eager(fn, good, bad)


@pytest.mark.parametrize("bad", [-1, 5])
def test_embedding_indices_out_of_range_raise_on_replay(bad):
    table = nn.Embedding(5, 2, seed=0)
    fn = lambda idx: ag.sum(table(idx))    # noqa: E731
    _replays_raise_as_eager(fn, (np.array([[0, 4], [2, 1]]),), (np.array([[0, 4], [bad, 1]]),))


def test_a_failed_call_changes_no_gradient_and_no_module_state():
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.BatchNorm(4), nn.Linear(4, 3, seed=1))
    step = ag.compile(lambda x, y: nn.losses.cross_entropy(model(x), y))
    x = _RNG.normal(size=(4, 3))
    step(x, _LABELS).backward()
    step(x, _LABELS)
    grads = [p.grad.copy() for p in model.parameters()]
    buffers = {k: v.copy() for k, v in model.named_buffers()}
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        step(x, np.array([0, 1, 7, 2]))
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_array_equal(p.grad, g)
    for k, v in model.named_buffers():
        np.testing.assert_array_equal(v, buffers[k])


def test_the_source_shows_each_check_before_what_reads_its_values():
    step = ag.compile(lambda z, t, y: nn.losses.binary_cross_entropy(ag.sigmoid(z), t)
                      + nn.losses.cross_entropy(ag.reshape(z, (2, 2)), y))
    step(Value(_PROBS), np.array([0.0, 1.0, 1.0, 0.0]), np.array([1, 0]))
    lines = step.source().splitlines()
    check = [k for k, line in enumerate(lines) if line.lstrip().startswith("check_")]
    assert [lines[k].split("(")[0].strip() for k in check] == [
        "check_binary_targets", "check_labels", "check_probabilities"]
    assert lines[check[0]].startswith("    check_binary_targets(t, 'binary_cross_entropy')")
    assert lines[check[1]].startswith("    check_labels(y, 2, 2, 'cross_entropy')")
    assert check[:2] == [1, 2]                  # on the arguments: before anything else
    sigmoid = next(k for k, line in enumerate(lines) if line.endswith("# sigmoid"))
    assert check[2] == sigmoid + 1              # on a computed value: as soon as it exists
    assert lines[check[2]].startswith(f"    check_probabilities({lines[sigmoid].split()[0]})")


def test_check_values_declares_a_users_own_check():
    def positive(x):
        if np.any(x <= 0):
            raise ValueError("f: x must be positive")

    def f(x):
        ag.check_values(positive, x)
        return ag.sum(ag.log(x))

    good, bad = Value(np.array([1.0, 2.0])), Value(np.array([1.0, -2.0]))
    _replays_raise_as_eager(f, (good,), (bad,))
    assert f(good).data == pytest.approx(np.log(2.0))


def test_an_embedding_with_a_padding_row_refuses_to_be_compiled():
    table = nn.Embedding(5, 2, padding_idx=0, seed=0)
    step = ag.compile(lambda idx: ag.sum(table(idx)))
    with pytest.raises(ag.TracerError, match=r"Embedding\(5, 2, padding_idx=0\) keeps the "
                                             "padding row out of the gradient"):
        step(np.array([1, 2, 3]))
    ag.sum(table(np.array([0, 2, 0]))).backward()           # eager mode: the padding row
    assert not table.weight.grad[0].any() and table.weight.grad[2].all()    # gets none


def test_a_check_failing_after_a_state_update_updates_once_as_eager_mode_does():
    # The probabilities are checked after BatchNorm has updated its running statistics: the
    # failed call must not run the program again (a retry is for Python-float arithmetic).
    def make():
        return nn.Sequential(nn.Linear(3, 4, seed=0), nn.BatchNorm(4))

    def loss(model):
        return lambda x, scale, t: nn.losses.binary_cross_entropy(
            ag.sigmoid(model(x)) * scale, t)
    compiled, eager = make(), make()
    step, plain = ag.compile(loss(compiled)), loss(eager)
    x, t = _RNG.normal(size=(5, 3)), np.full((5, 4), 0.5)
    for f in (step, step, plain, plain):
        f(x, np.ones(4), t)
    for f in (step, plain):
        with pytest.raises(ValueError, match="binary_cross_entropy"):
            f(x, np.full(4, 3.0), t)
    for (name, a), (_, b) in zip(compiled.named_buffers(), eager.named_buffers()):
        np.testing.assert_array_equal(a, b, err_msg=name)
