"""In-place changes between forward and backward: a graph recorded before a value's data
changed in place (an optimiser step, a .data assignment, load_state_dict) refuses to
backpropagate through it, instead of computing gradients at data the forward never used."""
import numpy as np
import pytest

import nn
from autograd import Value


def _graph():
    w = Value(np.array([[0.5, -1.0], [2.0, 0.25]]), name="w")
    x = Value(np.array([[1.0, 2.0]]), requires_grad=False)
    return w, (x @ w).tanh().sum()


def test_an_optimiser_step_before_backward_raises_naming_the_value():
    w, loss = _graph()
    nn.optim.SGD([w], lr=0.1).step()                  # no gradient yet: nothing changes
    assert w.version == 0
    w.grad = np.ones((2, 2))
    nn.optim.SGD([w], lr=0.1).step()
    assert w.version == 1
    with pytest.raises(RuntimeError, match=r"input 1 of op 'matmul' \('w'\).*shape \(2, 2\)"
                                           r".*changed in place.*forward pass again"):
        loss.backward()


def test_a_data_assignment_before_backward_raises():
    w, loss = _graph()
    w.data = w.data * 2.0
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_load_state_dict_before_backward_raises():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = model(np.ones((4, 2))).sum()
    model.load_state_dict(nn.MLP(2, [3, 1], seed=1).state_dict())
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_the_output_of_a_node_changed_in_place_raises():
    x = Value(np.array([0.3, -0.7]))
    y = x.tanh()                                      # tanh's VJP reads its output
    loss = (y * 2.0).sum()
    y.data = np.zeros(2)
    with pytest.raises(RuntimeError, match="op 'tanh'|op '\\*'"):
        loss.backward()


def test_without_the_check_the_gradient_would_be_silently_wrong():
    """What the check prevents: x's gradient through an old graph uses the new weights."""
    def graph():
        w = Value(np.array([[0.5, -1.0], [2.0, 0.25]]))
        x = Value(np.array([[1.0, 2.0]]))
        return w, x, (x @ w).tanh().sum()
    _, x_right, right = graph()
    right.backward()
    w, x, loss = graph()
    w.data[...] = w.data * 2.0                        # by hand, without bump_version: untracked
    loss.backward()                                   # the escape hatch computes something
    assert not np.allclose(x.grad, x_right.grad)      # ... and it is not the right gradient
    x.zero_grad()
    w.bump_version()                                  # declared: now refused
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_the_next_forward_pass_after_a_write_differentiates_normally():
    model = nn.MLP(2, [4, 1], seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.1)
    X = np.ones((8, 2))
    for _ in range(3):                                # zero_grad, forward, backward, step
        opt.zero_grad()
        model(X).sum().backward()
        opt.step()
    assert all(p.version == 3 for p in model.parameters())


def test_writes_to_unrelated_values_and_older_leaves_are_fine():
    w = Value(np.ones(3))
    w.data = np.full(3, 2.0)                          # written before the graph: fine
    other = Value(1.0)
    loss = (w * w).sum()
    other.data = 5.0                                  # not in the graph: fine
    loss.backward()
    loss.backward()                                   # twice, nothing changed: fine
    np.testing.assert_array_equal(w.grad, [8.0, 8.0, 8.0])


def test_assigning_integer_data_keeps_float_gradients():
    b = Value(np.array([0.5]))
    b.data = np.array([0])                            # an integer array becomes float64
    assert b.dtype == np.float64
    (b * 0.9).sum().backward()
    np.testing.assert_array_equal(b.grad, [0.9])
    s = Value(2.0)
    s.data = 3                                        # a Python int becomes a float
    assert type(s.data) is float


def test_a_write_through_one_value_is_seen_by_every_value_sharing_the_memory():
    t, s = Value(np.array([1.0, 2.0])), Value(np.array([3.0, 4.0]))
    loss = (s * t.detach()).sum()                   # detach shares t's array
    t.data[...] = [10.0, 20.0]
    t.bump_version()
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    data = Value(np.arange(6.0), requires_grad=False)
    w = Value(np.ones(2))
    batch = (data[1:3] * w).sum()                   # a view of data's memory
    data.data[...] = 0.0
    data.bump_version()
    with pytest.raises(RuntimeError, match="changed in place"):
        batch.backward()
    assert t.version == 1 and t.detach().version == 1


def test_a_constant_cannot_be_assigned():
    y = Value(2.0) * 3.0
    with pytest.raises(AttributeError, match="a Constant is read-only"):
        y.parents[1].data = 4.0



def test_writes_from_many_threads_are_all_counted_and_each_is_seen_at_once():
    """The stamps are updated under a lock: concurrent optimiser-like writes to one array lose
    no count, and once a write returns, the engine's "latest write" is newer than any node
    recorded before it (or backward would skip the check for that node)."""
    import sys
    import threading

    from autograd.value import latest_write, next_order

    w = Value(np.ones(3))
    loss = (w * w).sum()
    missed = []

    def bump() -> None:
        for _ in range(3000):
            recorded = next_order()                 # a node recorded now...
            w.bump_version()                        # ...then a write to what it read
            if latest_write() < recorded:
                missed.append(recorded)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)                     # threads interleave as often as they can
    try:
        threads = [threading.Thread(target=bump) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert missed == [] and w.version == 12000
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
