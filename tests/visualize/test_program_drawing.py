"""draw_program: a compiled program drawn as its statements, forward and backward."""
import re

import numpy as np
import pytest

import autograd as ag
import nn
from visualize import draw_program, program_dot


def _compiled():
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Activation("tanh"), nn.Linear(4, 2, seed=1))
    step = ag.compile(lambda x, y: nn.losses.cross_entropy(model(x), y))
    x, y = np.ones((5, 3)), np.array([0, 1, 1, 0, 1])
    step(x, y)
    step(x, y)
    return step


def test_every_statement_is_a_node_and_every_read_an_edge():
    step = _compiled()
    dot = program_dot(step.source())
    assignments = [line for line in step.source().splitlines()
                   if re.match(r"^    \w+ = ", line)]
    nodes = re.findall(r'"(forward|backward)_\d+" \[label=', dot)
    assert len(nodes) == len(assignments)
    assert nodes.count("forward") == sum(1 for line in step.source().split("def backward")[0]
                                         .splitlines() if re.match(r"^    \w+ = ", line))
    assert '"in_layer0_weight" -> "forward_0"' in dot          # the transpose reads the weight
    assert "style=dashed" in dot                                # backward reads forward values
    assert 'label="g = 1 (the seed)"' in dot


def test_draw_program_returns_a_digraph_and_refuses_what_it_cannot_show():
    step = _compiled()
    drawing = draw_program(step)
    assert drawing.source.startswith("digraph {") and "cluster_backward" in drawing.source
    with pytest.raises(ValueError, match="max_statements=3"):
        draw_program(step, max_statements=3)
    with pytest.raises(ValueError, match="source of a compiled program"):
        program_dot("x = 1")


def test_an_attribute_draws_no_edge_from_a_variable_of_its_name():
    step = _compiled()
    source = step.source()
    assert "np.add.reduce" in source and "\n    add = " in source
    dot = program_dot(source)
    add_node = re.search(r'"(forward_\d+)" \[label="add\\n', dot).group(1)
    tanh_node = re.search(r'"(forward_\d+)" \[label="tanh\\n', dot).group(1)
    readers = re.findall(rf'"{add_node}" -> "(\w+)"', dot)
    assert readers == [tanh_node]               # tanh = np.tanh(add); not np.add.reduce(...)
