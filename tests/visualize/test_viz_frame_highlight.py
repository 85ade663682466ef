"""Each frame of backprop_frames highlights the node being processed, on the DOT source."""
import re

from autograd.engine import backward_steps
from visualize.dot import Options, Step, body_lines
from visualize.legend import FRAME_COLORS
from visualize.trace import trace

from viz_graphs import neuron


def test_each_step_highlights_its_node_and_fills_the_gradients_known_so_far():
    o = neuron()
    graph = trace(o)
    index = graph.index()
    grads = {}
    current = f'fillcolor="{FRAME_COLORS["current"]}"'
    for k, (node, g) in enumerate(backward_steps(o)):
        i = index[id(node)]
        grads[i] = g
        lines = body_lines(graph, Options(), None, Step(dict(grads), i))
        values = [line for line in lines if re.match(r"\tv\d+ \[label=", line)]
        assert [line.split()[0] for line in values if current in line] == [f"v{i}"], k
        assert sum("grad ?" not in line for line in values) == k + 1
