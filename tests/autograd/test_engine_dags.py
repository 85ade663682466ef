"""The engine on random graphs: shared nodes, constants, one-, two- and many-input ops.

Whatever the shape of the graph, a backward pass takes each node once, after every node that
uses it, and its gradients are the finite differences of the forward."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Value
from autograd.engine import backward_steps, gradients

N_LEAVES = 3

# A graph is a recipe: each step names an op and the earlier nodes (or a constant) it uses.
UNARY = {"tanh": ag.tanh, "sin": ag.sin, "neg": ag.neg}     # on Values and on floats
BINARY = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "-": lambda a, b: a - b}

step = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 99)),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("const*"), st.integers(0, 99), st.floats(-2, 2)),
    st.tuples(st.just("affine"), st.lists(st.integers(0, 99), min_size=1, max_size=4)),
)
recipes = st.lists(step, min_size=1, max_size=25)
leaf_values = st.lists(st.floats(-1.5, 1.5), min_size=N_LEAVES, max_size=N_LEAVES)


def build(recipe, leaves):
    """Run a recipe on the leaves (Values or floats); the root is the sum of the last three
    nodes, so that several branches meet."""
    nodes = list(leaves)
    pick = lambda k: nodes[k % len(nodes)]       # noqa: E731
    for op, *args in recipe:
        if op in UNARY:
            nodes.append(UNARY[op](pick(args[0])))
        elif op in BINARY:
            nodes.append(BINARY[op](pick(args[0]), pick(args[1])))
        elif op == "const*":
            nodes.append(pick(args[0]) * args[1])
        else:
            picked = [pick(k) for k in args[0]]
            nodes.append(ag.affine(picked, picked[::-1], bias=0.5))
    return sum(nodes[-3:], 0.0)


@settings(deadline=None)
@given(recipes, leaf_values)
def test_each_node_is_taken_once_after_all_its_users(recipe, xs):
    root = build(recipe, [Value(x) for x in xs])
    order = [node for node, _ in backward_steps(root)]
    position = {id(node): k for k, node in enumerate(order)}
    assert len(position) == len(order), "a node was taken twice"
    for node in order:
        for p in node.parents:
            if p.requires_grad:
                assert position[id(p)] > position[id(node)], "an input before its user"


@settings(deadline=None)
@given(recipes, leaf_values)
def test_gradients_are_the_finite_differences_of_the_forward(recipe, xs):
    leaves = [Value(x) for x in xs]
    root = build(recipe, leaves)
    root.backward()
    targeted = gradients(root, leaves[:2])
    eps = 1e-6
    for i, leaf in enumerate(leaves):
        up = build(recipe, [x + eps if j == i else x for j, x in enumerate(xs)])
        down = build(recipe, [x - eps if j == i else x for j, x in enumerate(xs)])
        numeric = (float(up) - float(down)) / (2 * eps)
        got = 0.0 if leaf.grad is None else leaf.grad       # None: the root does not use it
        assert math.isclose(got, numeric, rel_tol=1e-4, abs_tol=1e-4), (i, got, numeric)
        if i < 2:
            assert targeted[i] == got


@settings(deadline=None)
@given(recipes, leaf_values)
def test_releasing_the_graph_changes_no_gradient(recipe, xs):
    kept, released = [Value(x) for x in xs], [Value(x) for x in xs]
    build(recipe, kept).backward(retain_grads=False)
    root = build(recipe, released)
    root.backward(retain_grads=False, retain_graph=False)
    assert [v.grad for v in released] == [v.grad for v in kept]
    assert root.parents == () and root.op == "released"
