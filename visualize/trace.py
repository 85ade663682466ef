"""Walk a recorded graph once, iteratively, into a numbered list of nodes.

Nodes are numbered in depth-first post-order from the root, visiting parents in their recorded
order. That order depends only on the graph's structure, so the same graph (even rebuilt from
scratch) always gets the same numbers, and drawings never show `id()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Tuple

from autograd.engine import topological_order
from autograd.value import Value


@dataclass(frozen=True)
class Graph:
    """The nodes reachable from `root`, parents before children, and their parent indices."""

    root: Value
    nodes: Tuple[Value, ...]
    parents: Tuple[Tuple[int, ...], ...]

    def __len__(self) -> int:
        return len(self.nodes)

    def index(self) -> Dict[int, int]:
        """A map from `id(node)` to the node's number (for lookups, never for output)."""
        return {id(v): i for i, v in enumerate(self.nodes)}

    def consumers(self) -> List[List[int]]:
        """For each node, the numbers of the nodes that use it, in order."""
        out: List[List[int]] = [[] for _ in self.nodes]
        for i, ps in enumerate(self.parents):
            for p in ps:
                out[p].append(i)
        return out

    def drawn_node_count(self) -> int:
        """Nodes of the full drawing: one record per value and one small node per op."""
        return len(self.nodes) + sum(1 for ps in self.parents if ps)


def trace(root: Value) -> Graph:
    """Collect the graph below `root` without recursion (a million-op chain is fine).

    >>> from autograd import Value
    >>> a = Value(2.0); g = trace(a * a + 1.0)
    >>> [v.op for v in g.nodes]
    ['', '*', '', '+']
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace: expected a Value, got {type(root).__name__}")
    order = topological_order(root)
    number = {id(v): i for i, v in enumerate(order)}
    parents = tuple(tuple(number[id(p)] for p in v.parents) for v in order)
    return Graph(root, tuple(order), parents)
