"""Copying and pickling Values and their graphs: ops pickle by name, graphs of any depth copy
and pickle (no recursion per link), shared nodes stay shared, and copies are new nodes that
differentiate like the originals."""
import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
from autograd import Op, Value
from autograd.op import named_op

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPTH = 20_000                     # twenty times Python's default recursion limit


def _chain(depth: int):
    x = Value(0.5, name="x")
    v = x
    for i in range(depth):
        v = (v * 0.9999 + 0.0001) if i % 10 else v.tanh()
    return x, v


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
                         ids=["deepcopy", "pickle"])
def test_a_graph_deeper_than_the_recursion_limit_copies_and_differentiates(clone):
    x, y = _chain(DEPTH)
    twin = clone(y)
    assert twin is not y and twin.data == y.data and twin.op == y.op
    y.backward()
    twin.backward()
    leaf = twin
    while leaf.parents:
        leaf = leaf.parents[0]
    assert leaf.name == "x" and leaf is not x and leaf.grad == x.grad


def test_a_small_graph_pickles_with_its_ops():
    a = Value(np.array([1.0, 2.0]), name="a")
    y = (a * 2.0).exp().sum()
    twin = pickle.loads(pickle.dumps(y))
    assert [n.op for n in ag.engine.topological_order(twin)] == [
        n.op for n in ag.engine.topological_order(y)]
    twin.backward()
    y.backward()
    twin_a = twin.parents[0].parents[0].parents[0]
    np.testing.assert_array_equal(twin_a.grad, a.grad)


def test_nodes_shared_in_one_pickle_stay_shared_in_either_order():
    x = Value(2.0)
    y = x * x + 1.0
    for objects in ([y, x], [x, y]):
        loaded = pickle.loads(pickle.dumps(objects))
        new_y, new_x = (loaded if objects[0] is y else loaded[::-1])
        assert new_y.parents[0].parents[0] is new_x
    assert not ag.copying._pickling.ids            # nothing left behind for later pickles


def test_a_copy_is_a_new_node_with_the_same_inputs():
    x = Value(3.0)
    y = x * 2.0
    twin = copy.copy(y)
    assert twin is not y and twin.parents[0] is x and twin.data == 6.0
    twin.backward()
    assert x.grad == 2.0


def test_ops_pickle_by_module_and_name_and_the_latest_definition_wins():
    assert pickle.loads(pickle.dumps(ag.ops.exp)) is ag.ops.exp
    first = Op("copying-test-op", lambda x: x, lambda g, ans, x: g)
    assert pickle.loads(pickle.dumps(first)) is first
    second = Op("copying-test-op", lambda x: 2 * x, lambda g, ans, x: 2 * g)  # a cell run again
    twin = pickle.loads(pickle.dumps(second(Value(1.0))))
    assert twin.data == 2.0 and twin._op is second
    with pytest.raises(TypeError, match="a later op of that module has the same name"):
        pickle.dumps(first(Value(1.0)))
    same_name_elsewhere = ag.ops.elementwise.exp
    assert named_op("autograd.ops.elementwise", "exp") is same_name_elsewhere
    with pytest.raises(LookupError, match="no op named 'nowhere' is defined by __main__"):
        named_op("__main__", "nowhere")


def test_unpickling_imports_the_module_that_defines_an_op():
    code = ("import pickle, sys; from autograd import Value; import nn; "
            "sys.stdout.buffer.write(pickle.dumps(nn.functional.softplus(Value(1.0))))")
    data = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True,
                          cwd=ROOT).stdout
    load = ("import pickle, sys; v = pickle.loads(sys.stdin.buffer.read()); "
            "print(v.op, 'nn.functional' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", load], input=data, capture_output=True,
                         check=True, cwd=ROOT).stdout.decode().split()
    assert out == ["softplus", "True"]


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))],
                         ids=["deepcopy", "pickle"])
def test_a_gradient_with_a_graph_is_copied_in_order_and_still_differentiates(clone):
    x = Value(2.0)
    (x * x * x).backward(create_graph=True)         # x.grad = 3x^2, a Value with a graph
    twin = clone(x)
    nodes = ag.engine.topological_order(twin.grad)
    assert all(p._order < n._order for n in nodes for p in n.parents if p._order != -1)
    assert ag.engine.gradients(twin.grad, [twin])[0] == 12.0       # d(3x^2)/dx = 6x


def test_constants_copy_and_subclasses_keep_their_attributes():
    constant = (Value(2.0) * 3.0).parents[1]
    for clone in (copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))):
        assert clone(constant).data == 3.0

    class Tagged(Value):                            # a user subclass with a __dict__
        pass
    p = Tagged(np.ones(2))
    p.lr_scale = 0.1
    for clone in (copy.copy, copy.deepcopy):
        assert clone(p).lr_scale == 0.1 and type(clone(p)) is Tagged
