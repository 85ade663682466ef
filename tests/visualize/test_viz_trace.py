"""The graph walk: order, sharing, determinism, and no recursion limit."""
from autograd import Value
from visualize import trace

from viz_graphs import neuron


def test_neuron_nodes_come_parents_first_with_the_root_last():
    o = neuron()
    g = trace(o)
    assert len(g) == 10
    assert g.nodes[-1] is o
    for i, ps in enumerate(g.parents):
        assert all(p < i for p in ps)
    assert [v.name for v in g.nodes if v.name] == ["x1", "w1", "x2", "w2", "b", "n", "o"]


def test_a_value_used_twice_is_one_node_with_two_parent_slots():
    a = Value(3.0)
    g = trace(a * a)
    assert len(g) == 2
    assert g.parents == ((), (0, 0))
    assert g.drawn_node_count() == 3


def test_numbering_depends_only_on_the_structure():
    first, second = trace(neuron()), trace(neuron())
    assert first.parents == second.parents
    assert [v.op for v in first.nodes] == [v.op for v in second.nodes]


def test_a_chain_deeper_than_the_recursion_limit_is_walked():
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0
    g = trace(y)
    assert len(g) == 1 + 2 * 20_000
    assert g.nodes[0] is x and g.nodes[-1] is y


def test_consumers_invert_parents():
    g = trace(neuron())
    users = g.consumers()
    assert sum(map(len, users)) == sum(map(len, g.parents))
    assert users[-1] == []
