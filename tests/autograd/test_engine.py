"""The backward pass: seeding, errors, accumulation, deep graphs, grad modes, memory, dtypes
and IEEE semantics of scalar arithmetic."""
import copy
import gc
import math
import pickle
import sys
import warnings
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Op, Value, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd.engine import backward_steps


# ----- seeding and errors ---------------------------------------------------------------------
def test_backward_seeds_one_for_scalars():
    x = Value(2.0)
    y = x * 3.0
    y.backward()
    assert y.grad == 1.0 and type(y.grad) is float
    assert x.grad == 3.0 and type(x.grad) is float
    a = Value(np.array([[2.0]]))
    b = a * 5.0
    b.backward()                                       # one element: seeded with ones
    np.testing.assert_array_equal(b.grad, [[1.0]])
    np.testing.assert_array_equal(a.grad, [[5.0]])


def test_non_scalar_backward_without_gradient_names_the_remedy():
    y = Value(np.ones(3)) * 2.0
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "(3,)" in message and "gradient" in message and ".sum()" in message


@pytest.mark.parametrize("bad", [np.ones(2), np.ones((3, 1)), 1.0, np.ones((1, 3))])
def test_gradient_of_the_wrong_shape_is_a_value_error(bad):
    y = Value(np.ones(3)) * 2.0
    with pytest.raises(ValueError) as info:
        y.backward(bad)
    assert str(np.shape(bad)) in str(info.value) and "(3,)" in str(info.value)


def test_backward_on_a_value_without_history_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        (Value(1.0, requires_grad=False) * 2).backward()


def test_gradient_may_be_a_list_or_value():
    x = Value(np.array([1.0, 2.0]))
    (x * x).backward([1.0, 1.0])
    (x * x).backward(Value(np.array([1.0, 1.0])))
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_a_given_gradient_takes_the_type_and_dtype_of_the_output():
    x = Value(np.float32(2.0))
    x.backward(2.0)
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float32 and x.grad == 2.0
    y = Value(2.0)
    y.backward(np.float32(1.0))
    assert type(y.grad) is float and y.grad == 1.0


def test_a_given_gradient_is_copied_not_aliased():
    x = Value(np.ones(3))
    seed = np.full(3, 2.0)
    x.backward(seed)
    seed[:] = 0.0
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


# ----- accumulation and micrograd semantics ---------------------------------------------------
def test_gradients_accumulate_across_backward_calls():
    x = Value(3.0)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 12.0
    z = x * 2.0
    z.backward()
    assert x.grad == 14.0


def test_every_node_keeps_its_gradient():
    a, b = Value(2.0), Value(-3.0)
    c = a * b          # -6
    d = c + a          # -4
    e = d.tanh()
    e.backward()
    de = 1 - math.tanh(-4.0) ** 2
    assert e.grad == 1.0
    assert d.grad == pytest.approx(de)
    assert c.grad == pytest.approx(de)
    assert a.grad == pytest.approx(de * (b.data + 1))
    assert b.grad == pytest.approx(de * a.data)


def test_retain_grads_false_keeps_gradients_on_leaves_only():
    w = Value(np.array([[1.0, -2.0], [0.5, 3.0]]))
    x = Value(np.array([1.0, 2.0]), requires_grad=False)
    h = (w @ x).tanh()
    loss = (h * h).sum()
    loss.backward(retain_grads=False)
    kept = w.grad.copy()
    assert h.grad is None and loss.grad is None             # intermediates keep nothing
    w.zero_grad()
    loss.backward()                                         # the default keeps every gradient
    np.testing.assert_allclose(w.grad, kept)
    assert np.any(h.grad != 0) and loss.grad == 1.0
    loss.backward(retain_grads=False)                       # leaves still accumulate
    np.testing.assert_allclose(w.grad, 2 * kept)


def test_a_wide_graph_accumulates_every_use():
    x = Value(np.array([1.0, 2.0]))
    total = x * 0.0
    for i in range(1, 2001):
        total = total + x * float(i)
    total.sum().backward()
    np.testing.assert_array_equal(x.grad, [2001000.0, 2001000.0])


def test_million_op_chain_needs_no_recursion(monkeypatch):
    def refuse(limit):
        raise AssertionError("the engine must not change the recursion limit")

    limit = sys.getrecursionlimit()
    monkeypatch.setattr(sys, "setrecursionlimit", refuse)
    x = Value(1.0)
    c = Value(1.000001, requires_grad=False)
    y = x
    for _ in range(1_000_000):
        y = y * c
    y.backward()
    assert x.grad == pytest.approx(1.000001 ** 1_000_000, rel=1e-9)
    assert sys.getrecursionlimit() == limit
    del y                                              # freeing the chain must not crash


def test_backward_steps_visit_each_node_once_children_first():
    a = Value(1.5)
    b = a * a
    c = b + a
    d = c * b
    steps = list(backward_steps(d))
    nodes = [n for n, _ in steps]
    assert len(nodes) == len({id(n) for n in nodes}) == 4
    order = {id(n): i for i, n in enumerate(nodes)}
    for n in nodes:
        for p in n.parents:
            if p.requires_grad:
                assert order[id(n)] < order[id(p)]
    grads = {id(n): g for n, g in steps}
    assert grads[id(a)] == pytest.approx(2 * a.data * (b.data + a.data) * 1
                                         + b.data * (2 * a.data + 1))
    assert a.grad is None                              # nothing stored


def test_topological_order_lists_every_node_once_parents_first():
    from autograd.engine import topological_order
    a, b = Value(2.0), Value(3.0)
    c = a * b
    d = c + c * 2.0                 # a shared node and a constant
    order = topological_order(d)
    assert len(order) == len({id(v) for v in order}) == 6    # a, b, c, 2.0, c*2, d
    position = {id(v): i for i, v in enumerate(order)}
    assert all(position[id(p)] < position[id(v)] for v in order for p in v.parents)
    assert order[-1] is d and [v.op for v in topological_order(d)] == [v.op for v in order]


# ----- grad modes and constants ---------------------------------------------------------------
def test_no_grad_context_manager_records_nothing():
    x = Value(np.ones(2))
    with no_grad():
        assert is_grad_enabled() is False
        y = (x * 2.0).exp().sum()
    assert is_grad_enabled() is True
    assert isinstance(y, Value) and y.requires_grad is False
    assert y.parents == () and y.op == ""
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_decorator_records_nothing():
    @no_grad()
    def step(v):
        assert is_grad_enabled() is False
        return v * 3.0

    x = Value(2.0)
    y = step(x)
    assert y.requires_grad is False and y.parents == () and y.data == 6.0
    assert is_grad_enabled() is True
    assert step.__name__ == "step"


def test_enable_grad_inside_no_grad_records_again():
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and y.parents == (x, x)
    assert not z.requires_grad
    y.backward()
    assert x.grad == 4.0

    @enable_grad()
    def record(v):
        return v * 5.0

    with no_grad():
        w = record(x)
    assert w.requires_grad and w.op == "*"


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            raise ZeroDivisionError
    assert is_grad_enabled() is True
    with set_grad_enabled(False):
        assert is_grad_enabled() is False
        with set_grad_enabled(True):
            assert is_grad_enabled() is True
        assert is_grad_enabled() is False
    assert is_grad_enabled() is True


def test_backward_works_under_no_grad_and_restores_the_mode():
    x = Value(2.0)
    y = x ** 3
    with no_grad():
        y.backward(create_graph=True)
        assert is_grad_enabled() is False
    assert isinstance(x.grad, Value) and x.grad.data == 12.0 and x.grad.requires_grad
    x.zero_grad()
    y.backward()
    assert type(x.grad) is float and x.grad == 12.0
    assert is_grad_enabled() is True


def test_inputs_without_grad_get_none_and_their_vjp_never_runs():
    def forbidden(g, ans, x, y):
        raise AssertionError("the VJP of an input that needs no gradient ran")

    probe = Op("probe", lambda x, y: x * y, lambda g, ans, x, y: g * y, forbidden)
    x = Value(np.array([1.0, 2.0]))
    c = Value(np.array([3.0, 4.0]), requires_grad=False)
    probe(x, c).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    assert c.grad is None
    probe(x, np.array([1.0, 1.0])).sum().backward()    # raw constants: the same
    with no_grad():
        probe(x, x)                                     # nothing recorded, nothing to run


def test_ops_on_constants_only_are_not_recorded():
    a = Value(1.0, requires_grad=False)
    b = a * 2.0 + a.exp()
    assert b.requires_grad is False and b.parents == ()
    assert type(ag.exp(np.ones(2))) is np.ndarray       # raw in, raw out


def test_detached_branch_gets_no_gradient():
    x = Value(3.0)
    y = x * x.detach()
    y.backward()
    assert x.grad == 3.0


def test_constants_appear_as_stable_read_only_parents():
    from autograd.value import Constant
    x = Value(np.array([1.0, 2.0]))
    y = x * 2 + np.array([1, 1])                     # an int and an int array, made float
    first, second = y.parents, y.parents
    assert first[1] is second[1] and isinstance(first[1], Constant)
    assert first[1].data.dtype == np.float64 and not first[1].requires_grad
    assert [type(p.data) for p in first[0].parents] == [np.ndarray, float]
    y.sum().backward()                               # after the lookup the pass still works
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    with pytest.raises(AttributeError):
        first[1].requires_grad = True


# ----- memory ---------------------------------------------------------------------------------
@pytest.mark.parametrize("run_backward", [False, True])
def test_graph_is_freed_by_refcounting_alone(run_backward):
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        x = Value(np.ones((300, 300)))
        hidden = (x * 2.0).exp()
        out = (hidden * 3.0).sum()
        if run_backward:
            out.backward()
        node, array = weakref.ref(hidden), weakref.ref(hidden.data)
        del hidden
        assert node() is not None and array() is not None       # the output holds them
        del out
        assert node() is None, "an intermediate node outlived its output"
        assert array() is None, "a big intermediate array outlived its output"
    finally:
        if was_enabled:
            gc.enable()


def test_grad_function_leaves_no_cycles():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        seen = []

        def f(w):
            h = (w * w).tanh()
            seen.append(weakref.ref(h))
            return h.sum()

        g = ag.grad(f)(np.ones(50))
        assert g.shape == (50,)
        assert seen[0]() is None
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.parametrize("link", [lambda x: x * 1.5, lambda x: 2.0 - x, lambda x: x.tanh()])
def test_a_link_adds_one_object_for_the_garbage_collector(link):
    """Nodes of one- and two-input ops keep their inputs in slots, not in a tuple: a long
    graph costs Python's cyclic collector one object per node to traverse, not two."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5)
        before = len(gc.get_objects())
        for _ in range(1000):
            x = link(x)
        grown = len(gc.get_objects()) - before
        assert 1000 <= grown <= 1010, grown
        assert x.parents and all(isinstance(p, Value) for p in x.parents)
    finally:
        if was_enabled:
            gc.enable()


def test_copies_are_new_nodes_newer_than_their_inputs():
    """copy.deepcopy (a target network, say) and pickle keep every slot, but a copy gets a
    fresh creation order: the engine takes nodes newest first."""
    a = Value(np.array([1.0, 2.0]))
    c = (a * 2.0) + a
    twin = copy.deepcopy(c)
    x2, twin_a = twin.parents
    assert twin_a is not a and x2.parents[0] is twin_a
    assert twin_a._order < x2._order < twin._order and twin_a._order > c._order
    total = c.sum() + (twin * 10.0).sum()           # the original and its copy in one graph
    total.backward()
    np.testing.assert_array_equal(a.grad, [3.0, 3.0])
    np.testing.assert_array_equal(twin_a.grad, [30.0, 30.0])
    seen = c.parents[0].parents[1]                  # a Constant, materialised by .parents
    assert copy.deepcopy(seen).data == 2.0 and pickle.loads(pickle.dumps(seen)).data == 2.0
    assert copy.deepcopy(c).parents[0].parents[1].data == 2.0
    w = pickle.loads(pickle.dumps(Value(np.array([1.0, 2.0]))))
    loss = (w * w).sum() + (w * 3.0).sum()
    np.testing.assert_array_equal(ag.grad(lambda v: (v * v).sum() + (v * 3.0).sum())(w.data),
                                  [5.0, 7.0])
    steps = [g for node, g in backward_steps(loss) if node is w]
    assert len(steps) == 1 and np.array_equal(steps[0], [5.0, 7.0])


# ----- dtypes ---------------------------------------------------------------------------------
def test_float32_stays_float32_through_forward_and_backward():
    x = Value(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    w = Value(np.ones((3, 2), dtype=np.float32))
    y = ((x @ w).tanh() * 2.0 + 1).logsumexp(axis=1).mean()
    assert y.dtype == np.float32 and type(y.data) is np.ndarray
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    assert y.grad.dtype == np.float32


def test_float64_stays_float64_and_mixed_inputs_keep_their_own_dtype():
    x = Value(np.ones(3))
    (x * 2.0).sum().backward()
    assert x.grad.dtype == np.float64
    a = Value(np.ones(3, dtype=np.float32))
    b = Value(np.ones(3, dtype=np.float64))
    out = a * b
    assert out.dtype == np.float64                       # numpy promotion
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_accumulated_0d_float32_gradient_stays_a_0d_array():
    x = Value(np.float32(1.5))
    (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float32 and x.grad.shape == ()


def test_0d_float32_gradient_stays_an_array_across_backward_calls():
    x = Value(np.float32(1.5))
    y = x * 2.0
    y.backward()
    y.backward()
    assert type(x.grad) is np.ndarray and x.grad.shape == () and x.grad == 4.0


# ----- IEEE semantics for scalars -------------------------------------------------------------
def test_scalar_arithmetic_follows_ieee_rules_without_exceptions():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        assert (Value(1.0) / 0).data == math.inf
        assert (Value(-1.0) / 0.0).data == -math.inf
        assert math.isnan((Value(0.0) / 0.0).data)
        assert math.isnan(Value(-1.0).log().data)
        assert Value(0.0).log().data == -math.inf
        assert Value(1000.0).exp().data == math.inf
        assert math.isnan(Value(-1.0).sqrt().data)
        assert (Value(10.0) ** 400).data == math.inf
        assert (Value(0.0) ** -1.0).data == math.inf
        assert Value(-1000.0).sigmoid().data == pytest.approx(0.0)
        assert Value(1000.0).sigmoid().data == 1.0
        for v in (Value(1.0) / 0, Value(-1.0).log(), Value(1000.0).exp()):
            assert type(v.data) is float
        x = Value(0.0)
        y = 1.0 / x
        y.backward()                                     # d(1/x)/dx at 0: -inf, no exception
        assert x.grad == -math.inf
        z = Value(0.0)
        z.log().backward()
        assert z.grad == math.inf


def test_looking_at_a_graph_does_not_change_its_higher_order_gradients():
    """Walking a graph (as a drawing does) turns stored numbers into Constant parents; the
    gradients computed after must be the same, in value and type."""
    results = []
    for look in (False, True):
        x = Value(np.array(1.0, dtype=np.float32))
        y = (x * 0.1) * 0.3
        if look:
            ag.engine.topological_order(y)
        y.backward(create_graph=True)
        results.append((type(x.grad), np.asarray(x.grad.data).tobytes()))
    assert results[0] == results[1]


def test_a_backward_pass_stopped_by_an_error_leaves_the_leaves_gradients_as_they_were():
    # Leaves get their sums when the walk ends, so a pass that stops half way (here: `a`
    # changed in place after recording) adds nothing to any leaf, even one whose users were
    # all walked before the error (`c`, newer than the node that fails).
    a = Value(np.ones(3))
    s = (a * 2.0).sum()
    c = Value(1.5)
    c.grad = 10.0
    z = s + c * 3.0
    a.data = np.zeros(3)
    with pytest.raises(RuntimeError, match="changed in place"):
        z.backward()
    assert c.grad == 10.0 and a.grad is None
    (((a * 2.0).sum()) + c * 3.0).backward()
    assert c.grad == 13.0 and np.array_equal(a.grad, np.full(3, 2.0))
