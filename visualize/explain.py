"""`explain_gradient`: a value's gradient written out as the chain rule computes it, one term
per path from the root down to the value.

Each path's term is the product of the local derivatives along it (d user / d input at each
step); the terms add up to the gradient. A value used twice is reached by two paths, so its
gradient is a sum: this is why gradients accumulate. For arrays a local derivative is a
Jacobian, so each term is the path's VJPs applied to the seed in turn (the product of the
Jacobians, applied), shown as the array it gives.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import numpy as np

from autograd.engine import accumulate, fit_share, gradients
from autograd.grad_mode import no_grad
from autograd.value import Value
from nn.checks import int_at_least
from visualize.format import numbers
from visualize.names import node_label, parameter_names
from visualize.trace import Graph, trace

Edge = Tuple[int, int, int]          # (user, input position, input): one step down a path


@dataclass(frozen=True)
class GradientPath:
    """One path from the root down to the value: its edges (root end first), the local
    derivative of each edge (None for arrays) and its term of the gradient."""

    edges: Tuple[Edge, ...]
    local: Optional[Tuple[float, ...]]
    term: Any


@dataclass(frozen=True)
class Explanation:
    """The paths from `root` to the value numbered `target` of `graph`, the first
    `len(paths)` of `count` listed, and the gradient they add up to."""

    graph: Graph
    target: int
    paths: Tuple[GradientPath, ...]
    count: int
    gradient: Any
    labels: Tuple[str, ...]
    precision: int

    def listed_sum(self) -> Any:
        """The sum of the listed paths' terms (the whole gradient when none is left out)."""
        total: Any = 0.0
        for path in self.paths:
            total = accumulate(total, path.term)
        return total

    def path_text(self, k: int) -> str:
        """Path `k` as `o ←[tanh 0.5000]− n ←[* 2.0000]− w : 0.5000 × 2.0000 = 1.0000`."""
        path = self.paths[k]
        parts = [self.labels[path.edges[0][0]] if path.edges else self.labels[self.target]]
        for n, (user, _, inp) in enumerate(path.edges):
            op = self.graph.nodes[user].op
            local = "" if path.local is None else " " + self._num(path.local[n])
            parts.append(f"←[{op}{local}]− {self.labels[inp]}")
        product = " × ".join(self._num(x) for x in path.local) if path.local else ""
        shown = f"{product} = " if path.local and len(path.local) > 1 else ""
        return " ".join(parts) + f" : {shown}{self._num(path.term)}"

    def sum_text(self) -> str:
        """The closing line: the terms' sum and the gradient it equals."""
        name = self.labels[self.target]
        root = self.labels[len(self.graph) - 1]
        listed = self.listed_sum()
        if len(self.paths) == self.count:
            return (f"sum of {_paths(self.count)} = {self._num(listed)} = d{root}/d{name} "
                    f"= {name}.grad after {root}.backward() ({self._num(self.gradient)})")
        rest = self.gradient - listed
        return (f"{_paths(len(self.paths))} listed sum to {self._num(listed)}; the other "
                f"{self.count - len(self.paths):,} paths (not listed: raise max_paths to see "
                f"them) add {self._num(rest)}, for d{root}/d{name} = {name}.grad = "
                f"{self._num(self.gradient)}")

    def __str__(self) -> str:
        name = self.labels[self.target]
        root = self.labels[len(self.graph) - 1]
        how = ("the product of the local derivatives along it" if self.paths and
               self.paths[0].local is not None else
               "its VJPs applied in turn to the seed (arrays: local derivatives are Jacobians)")
        lines = [f"d{root}/d{name}: one term per path from {root} to {name}, {how}:"]
        lines += [f"  {self.path_text(k)}" for k in range(len(self.paths))]
        return "\n".join(lines + [self.sum_text()])

    def _num(self, x: Any) -> str:
        return numbers(x, self.precision, 6)


def _paths(count: int) -> str:
    return "1 path" if count == 1 else f"{count:,} paths"


def explain_gradient(root: Value, value: Value, model: Any = None, max_paths: int = 20,
                     precision: int = 4) -> Explanation:
    """Why `value.grad` is what it is: every path from `root` down to `value` with the product
    of the local derivatives along it, and their sum, which is the gradient `root.backward()`
    gives `value` (print the result to read it). More than `max_paths` paths are counted and
    summed but not listed. `model=` names parameters as in the drawings.

    >>> from autograd import Value
    >>> x = Value(3.0, name='x'); y = x * x; y.name = 'y'
    >>> print(explain_gradient(y, x))
    dy/dx: one term per path from y to x, the product of the local derivatives along it:
      y ←[* 3.0000]− x : 3.0000
      y ←[* 3.0000]− x : 3.0000
    sum of 2 paths = 6.0000 = dy/dx = x.grad after y.backward() (6.0000)
    """
    if not isinstance(value, Value):
        raise TypeError(f"explain_gradient: value must be a Value of root's graph, got "
                        f"{type(value).__name__}")
    int_at_least(max_paths, "max_paths", "explain_gradient", 1)
    int_at_least(precision, "precision", "explain_gradient", 0)
    graph = trace(root)
    target = graph.index().get(id(value))
    if target is None:
        raise ValueError("explain_gradient: value is not in root's graph (root was not "
                         "computed from it); pass one of the Values root was computed from")
    if not value.requires_grad:
        raise ValueError("explain_gradient: value does not require a gradient (a constant, or "
                         "made under no_grad()), so no path carries one to it; pass a "
                         "parameter or an input made with requires_grad")
    names = parameter_names(model)
    labels = tuple(node_label(graph, names, i) for i in range(len(graph)))
    return explain_in(graph, target, max_paths, precision, labels)


def explain_in(graph: Graph, target: int, max_paths: int, precision: int,
               labels: Tuple[str, ...]) -> Explanation:
    """The explanation for node `target` of a traced graph (`labels` name its nodes)."""
    (gradient,) = gradients(graph.root, [graph.nodes[target]])
    counts = path_counts(graph, target)
    edges = _first_paths(graph, target, counts, max_paths)
    scalar = all(np.size(graph.nodes[i].data) == 1 for i in range(len(graph)) if counts[i])
    with no_grad():
        paths = tuple(_path(graph, e, scalar) for e in edges)
    return Explanation(graph, target, paths, counts[-1], gradient, labels, precision)


def path_counts(graph: Graph, target: int) -> List[int]:
    """For each node, the number of paths from it down to node `target` (an input used twice
    by one op counts twice); node numbers are topological, so one pass suffices."""
    counts = [0] * len(graph)
    counts[target] = 1
    for i in range(target + 1, len(graph)):
        counts[i] = sum(counts[p] for p in graph.parents[i])
    return counts


def _first_paths(graph: Graph, target: int, counts: List[int], limit: int
                 ) -> List[Tuple[Edge, ...]]:
    """Up to `limit` paths from the root down to `target`, inputs in recorded order."""
    found: List[Tuple[Edge, ...]] = []
    stack: List[Tuple[int, Tuple[Edge, ...]]] = [(len(graph) - 1, ())]
    while stack and len(found) < limit:
        node, edges = stack.pop()
        if node == target:
            found.append(edges)
            continue
        steps = [(node, j, p) for j, p in enumerate(graph.parents[node]) if counts[p]]
        stack += [(p, edges + ((node, j, p),)) for node, j, p in reversed(steps)]
    return found


def _path(graph: Graph, edges: Tuple[Edge, ...], scalar: bool) -> GradientPath:
    """One path's local derivatives (scalars) and term: the VJPs along it applied to the
    seed, exactly as backward applies them."""
    g: Any = _seed(graph.root)
    local: List[float] = []
    for user, j, inp in edges:
        node, parent = graph.nodes[user], graph.nodes[inp]
        if scalar:
            local.append(float(np.asarray(_vjp(node, j, _seed(node), parent)).item()))
        g = _vjp(node, j, g, parent)
    if scalar:
        return GradientPath(edges, tuple(local), math.prod(local))
    return GradientPath(edges, None, g)


def _seed(v: Value) -> Any:
    return 1.0 if type(v.data) is float else np.ones_like(v.data)


def _vjp(node: Value, j: int, g: Any, parent: Value) -> Any:
    """What input `j` of `node` receives when `node`'s gradient is `g`, fitted to its shape."""
    args = [p.data for p in node.parents]
    return fit_share(node, j, node._op.vjp(j, g, node.data, *args, **node.attrs), parent)
