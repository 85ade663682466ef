"""Big graphs: a scalar MLP over a batch (about 65,000 drawn nodes) is summarised."""
import re

import pytest

from visualize import dot_source, trace
from visualize.collapse import group_nodes
from visualize.style import COLORS
from visualize.names import parameter_names

from viz_graphs import ScalarMLP, edge_lines, mlp_loss, node_lines


@pytest.fixture(scope="module")
def big_mlp_source(big_mlp):
    """The big MLP's loss drawn with the default budget (it takes seconds: drawn once)."""
    return dot_source(big_mlp[1])


def test_big_graph_is_collapsed_below_max_nodes_and_says_so(big_mlp, big_mlp_source):
    _, loss = big_mlp
    g = trace(loss)
    assert g.drawn_node_count() > 20_000
    src = big_mlp_source
    nodes = node_lines(src)
    assert 3 <= len(nodes) <= 500
    assert f"Collapsed: {len(g):,} values" in src and "max_nodes=500" in src
    assert "constants folded" in src
    assert len(edge_lines(src)) < 2 * len(nodes)


@pytest.mark.parametrize("max_nodes", [10, 15, 40])
def test_the_node_bound_holds_for_small_budgets(big_mlp, max_nodes):
    _, loss = big_mlp
    assert len(node_lines(dot_source(loss, max_nodes=max_nodes))) <= max_nodes


def test_every_node_is_drawn_in_exactly_one_group_or_folded(big_mlp):
    _, loss = big_mlp
    g = trace(loss)
    grouping = group_nodes(g, 500, {})
    members = [i for group in grouping.groups for i in group.members]
    folded = sum(group.constants for group in grouping.groups)
    assert len(members) == len(set(members))
    assert len(members) + folded == len(g)
    assert all(grouping.group_of[i] == k for k, grp in enumerate(grouping.groups)
               for i in grp.members)


def test_runs_of_adds_merge_into_one_group_per_layer(big_mlp_source):
    src = big_mlp_source
    assert "+ x12,800 (run of 16 levels)" in src       # 50 samples x 16 neurons x 16 adds
    assert "tanh x800" in src and "* x12,800" in src
    assert re.search(r"root \| data [\d.]+ \| grad 1\.0000", src)


def test_drawn_from_a_model_each_layer_is_a_cluster(big_mlp):
    model, loss = big_mlp
    src = dot_source(loss, model=model)
    labels = re.findall(r'graph \[label="(layers[^"]*)"', src)
    assert len(labels) == 3 and set(labels) == {
        "layers.0", "layers.1", "layers.2"}
    assert "parameters x272" in src                     # 16 x 16 weights + 16 biases
    assert "module, op and depth" in src


def test_collapsed_drawing_is_deterministic():
    first = dot_source(mlp_loss(ScalarMLP(sizes=(2, 4, 1)), samples=20), max_nodes=30)
    second = dot_source(mlp_loss(ScalarMLP(sizes=(2, 4, 1)), samples=20), max_nodes=30)
    assert "Collapsed" in first and first == second


def test_a_planted_nan_colours_its_group():
    model = ScalarMLP(sizes=(2, 4, 1))
    loss = mlp_loss(model, samples=20)
    clean = dot_source(loss, max_nodes=30).split("cluster_legend")[0]
    model.layers[0][2][0][1].grad = float("nan")
    src = dot_source(loss, max_nodes=30).split("cluster_legend")[0]
    assert COLORS["nan"] not in clean
    assert f'fillcolor="{COLORS["nan"]}"' in src and "1 nan" in src


def test_parameter_names_come_from_named_parameters_and_modules():
    model = ScalarMLP(sizes=(2, 1))
    names = parameter_names(model)
    w = model.layers[0][0][0][1]
    assert names[id(w)] == ("layers.0.neurons.0.w.1", "layers.0.neurons.0")
