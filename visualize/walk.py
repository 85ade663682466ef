"""The forward and backward pass of a graph as the explorer steps through them: the op results
in the order they were computed, then the engine's backward steps, with the share of the
gradient each input receives from each user.

The shares are the VJPs `backward` runs, fitted to each input's shape (`fit_share`), and a
node's gradient is their sum in arrival order; `walk` checks that this sum is bit for bit the
gradient the engine's walk (`backward_steps`) gives the node, so the page never shows a number
the engine did not compute.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

import numpy as np

from autograd.engine import accumulate, backward_steps, creation_order, fit_share
from autograd.grad_mode import no_grad
from visualize.trace import Graph


@dataclass(frozen=True)
class Share:
    """What input number `position` of node `user` (node `input`) receives from it."""

    user: int
    position: int
    input: int
    value: Any


@dataclass(frozen=True)
class Walk:
    """`forward`: the op results in creation order; `backward`: (node, complete gradient) in
    the engine's order (`grads`: the same as a dict); `sent[i]`: the shares node i sends its
    inputs; `received[i]`: the shares node i receives, in arrival order."""

    forward: Tuple[int, ...]
    backward: Tuple[Tuple[int, Any], ...]
    grads: Dict[int, Any]
    sent: Dict[int, List[Share]]
    received: Dict[int, List[Share]]


def walk(graph: Graph) -> Walk:
    """Both passes over `graph` (its root must be a one-element Value that needs a gradient).

    >>> from autograd import Value
    >>> from visualize.trace import trace
    >>> x = Value(3.0); w = walk(trace(x * x))
    >>> [(s.position, s.value) for s in w.received[0]], w.backward[-1]
    ([(0, 3.0), (1, 3.0)], (0, 6.0))
    """
    forward = tuple(sorted((i for i, ps in enumerate(graph.parents) if ps),
                           key=lambda i: creation_order(graph.nodes[i])))
    index = graph.index()
    steps = tuple((index[id(node)], g) for node, g in backward_steps(graph.root))
    sent: Dict[int, List[Share]] = {}
    received: Dict[int, List[Share]] = {}
    with no_grad():
        for i, g in steps:
            node = graph.nodes[i]
            _check_sum(graph, i, g, received.get(i, []))
            args = [p.data for p in node.parents]
            for j, (p, parent) in enumerate(zip(graph.parents[i], node.parents)):
                if not parent.requires_grad:
                    continue
                value = fit_share(node, j, node._op.vjp(j, g, node.data, *args, **node.attrs),
                                  parent)
                share = Share(i, j, p, value)
                sent.setdefault(i, []).append(share)
                received.setdefault(p, []).append(share)
    return Walk(forward, steps, dict(steps), sent, received)


def _check_sum(graph: Graph, i: int, g: Any, shares: List[Share]) -> None:
    """Raise unless the shares node `i` received add up to the engine's gradient `g`."""
    if not shares:
        return
    total = shares[0].value
    for share in shares[1:]:
        total = accumulate(total, share.value)
    if not np.array_equal(np.asarray(total), np.asarray(g), equal_nan=True):
        raise RuntimeError(f"explore: the shares node {i} ('{graph.nodes[i].op or 'leaf'}') "
                           "received from its users do not add up to the gradient the engine "
                           "gives it; a VJP must return the same result when run twice")
