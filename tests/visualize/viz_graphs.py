"""Graphs the visualize tests draw: micrograd's neuron, a scalar MLP over a batch, a model."""
import random
import re
from typing import List, Tuple

from autograd import Value

NEEDS_DOT = "Graphviz's dot program is not installed (make test installs it)"


def neuron() -> Value:
    """micrograd's neuron: o = tanh(x1*w1 + x2*w2 + b), after backward."""
    x1, x2 = Value(2.0, name="x1"), Value(0.0, name="x2")
    w1, w2 = Value(-3.0, name="w1"), Value(1.0, name="w2")
    b = Value(6.8813735870195432, name="b")
    n = x1 * w1 + x2 * w2 + b
    n.name = "n"
    o = n.tanh()
    o.name = "o"
    o.backward()
    return o


class ScalarMLP:
    """A stand-in for an nn model of scalar neurons: only named_parameters/named_modules."""

    def __init__(self, sizes=(2, 16, 16, 1), seed: int = 0) -> None:
        rng = random.Random(seed)
        self.layers = [[([Value(rng.uniform(-1, 1)) for _ in range(a)], Value(0.0))
                        for _ in range(b)] for a, b in zip(sizes, sizes[1:])]

    def named_parameters(self) -> List[Tuple[str, Value]]:
        out = []
        for i, layer in enumerate(self.layers):
            for j, (ws, b) in enumerate(layer):
                out += [(f"layers.{i}.neurons.{j}.w.{k}", w) for k, w in enumerate(ws)]
                out.append((f"layers.{i}.neurons.{j}.b", b))
        return out

    def named_modules(self) -> List[Tuple[str, object]]:
        out = [("", self), ("layers", None)]
        for i, layer in enumerate(self.layers):
            out.append((f"layers.{i}", None))
            out += [(f"layers.{i}.neurons.{j}", None) for j in range(len(layer))]
        return out

    def __call__(self, x: List[Value]) -> Value:
        h = x
        for k, layer in enumerate(self.layers):
            out = [sum((w * xi for w, xi in zip(ws, h)), b) for ws, b in layer]
            h = [o.tanh() for o in out] if k < len(self.layers) - 1 else out
        return h[0]


def mlp_loss(model: ScalarMLP, samples: int = 50, seed: int = 1) -> Value:
    """Squared error of the model over `samples` random 2-D points, after backward."""
    rng = random.Random(seed)
    loss = 0.0
    for _ in range(samples):
        x = [Value(rng.uniform(-1, 1), requires_grad=False) for _ in range(2)]
        loss = loss + (model(x) - 1.0) ** 2
    loss.backward()
    return loss


def node_lines(source: str) -> List[str]:
    """The node statements of a DOT source (not the graph/node/edge defaults or edges)."""
    return [line for line in source.splitlines()
            if re.match(r"\s*[vog]\d+ \[", line) and " -> " not in line]


def edge_lines(source: str) -> List[str]:
    return [line for line in source.splitlines() if " -> " in line]


def attrs_of(source: str, node_id: str) -> str:
    """The attribute text of one node statement."""
    for line in source.splitlines():
        if line.strip().startswith(node_id + " ["):
            return line
    raise AssertionError(f"no node {node_id} in the source")
