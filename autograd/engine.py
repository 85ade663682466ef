"""Reverse-mode differentiation over the recorded graph.

One walk per backward pass: collect the nodes that need a gradient (iteratively, so a chain of
a million ops is fine), order them newest first (a node is always created after its parents,
so creation order is a topological order), and run each node's VJPs once. Gradients are summed
back to each input's shape in one place (`_fit`).
"""
from __future__ import annotations

import operator
from typing import Any, Dict, Iterable, List, Optional, Sequence

import numpy as np

from autograd.grad_mode import enable_grad, no_grad
from autograd.op import _NUMERIC_ERRORS, retry_in_float64
from autograd.ops import astype, sum_to
from autograd.value import Value, as_data

_newest_first = operator.attrgetter("_order")


def backward(root: Value, gradient: Any = None, create_graph: bool = False) -> None:
    """Accumulate d(root)/d(node) into `.grad` of every node that requires a gradient."""
    seed = _seed(root, gradient, "backward")
    with enable_grad() if create_graph else no_grad():
        for node, g in _backprop(root, seed, create_graph, targets=None):
            node._grad = g if node._grad is None else node._grad + g


def gradients(root: Value, inputs: Sequence[Value], gradient: Any = None,
              create_graph: bool = False) -> List[Any]:
    """d(root)/d(input) for each input, without touching any `.grad`; zero where unreached."""
    seed = _seed(root, gradient, "grad")
    found: Dict[int, Any] = {}
    wanted = {id(v) for v in inputs}
    with enable_grad() if create_graph else no_grad():
        for node, g in _backprop(root, seed, create_graph, targets=inputs):
            if id(node) in wanted:
                found[id(node)] = g
    return [found[id(v)] if id(v) in found else _zero(v) for v in inputs]


def _seed(root: Value, gradient: Any, caller: str) -> Any:
    if not isinstance(root, Value):
        raise TypeError(f"{caller}: expected a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(f"{caller}: this value does not require a gradient (it was built "
                           "from constants, under no_grad(), or detached), so there is "
                           "nothing to differentiate")
    if gradient is None:
        if root.size != 1:
            raise RuntimeError(
                f"{caller}: the output has shape {root.shape}; a gradient can only be implied "
                "for a one-element output. Reduce it first (y.sum().backward()) or pass "
                "gradient= an array of the output's shape")
        return 1.0 if type(root.data) is float else np.ones_like(root.data)
    if isinstance(gradient, Value):
        gradient = gradient.data
    seed = as_data(gradient)
    if np.shape(seed) != root.shape:
        raise ValueError(f"{caller}: gradient has shape {np.shape(seed)} but the output has "
                         f"shape {root.shape}")
    return seed if type(seed) is float else np.array(seed, dtype=root.dtype)


def _zero(v: Value) -> Any:
    return 0.0 if type(v.data) is float else np.zeros_like(v.data)


def _graph(root: Value, targets: Optional[Sequence[Value]]) -> List[Value]:
    """Nodes reachable from root that require a gradient, newest (closest to root) first.
    With `targets`, only the nodes on a path from root to a target are kept."""
    seen = {id(root)}
    stack = [root]
    nodes = []
    while stack:
        node = stack.pop()
        nodes.append(node)
        for p in node._parents:
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    nodes.sort(key=_newest_first, reverse=True)
    if targets is None:
        return nodes
    leads = {id(v) for v in targets}
    kept = []
    for node in reversed(nodes):                 # oldest first: parents before children
        if id(node) in leads or any(id(p) in leads for p in node._parents):
            leads.add(id(node))
            kept.append(node)
    kept.reverse()
    return kept


def _backprop(root: Value, seed: Any, create_graph: bool,
              targets: Optional[Sequence[Value]]) -> Iterable[tuple]:
    """Yield (node, gradient of root w.r.t. node), each node once, children before parents."""
    nodes = _graph(root, targets)
    keep = {id(n) for n in nodes} if targets is not None else None
    pending: Dict[Value, Any] = {root: seed}
    for node in nodes:
        g = pending.pop(node)
        yield node, g
        parents = node._parents
        if not parents:
            continue
        attrs = node._attrs
        if create_graph:
            args, ans = parents, node
        else:
            args, ans = [p.data for p in parents], node.data
        vjps = node._op.vjps
        for i, p in enumerate(parents):
            if not p.requires_grad or (keep is not None and id(p) not in keep):
                continue
            vjp = vjps[i]
            try:
                gp = vjp(g, ans, *args, **attrs) if attrs else vjp(g, ans, *args)
            except _NUMERIC_ERRORS as exc:
                gp = retry_in_float64(vjp, (g, ans, *args), attrs, exc)
            gp = _fit(gp, p)
            prev = pending.get(p)
            if prev is not None:
                pending[p] = prev + gp
            elif p._parents or type(gp) is not np.ndarray or (gp is not g and gp.base is None):
                pending[p] = gp
            else:
                pending[p] = gp.copy()      # a leaf's .grad never aliases another array


def _fit(g: Any, p: Value) -> Any:
    """Sum a gradient back to the shape of input `p` and give it p's type and dtype."""
    data = p.data
    if type(data) is float:
        if type(g) is float:
            return g
        if isinstance(g, Value):
            g = sum_to(g, ())
            return g if type(g.data) is float else astype(g, np.float64)
        return float(np.sum(g))
    if isinstance(g, Value):
        g = sum_to(g, data.shape)
        return g if g.dtype == data.dtype else astype(g, data.dtype)
    if type(g) is not np.ndarray or g.shape != data.shape:
        g = sum_to(np.asarray(g), data.shape)
    return g if g.dtype == data.dtype else g.astype(data.dtype)


def backward_steps(root: Value, gradient: Any = None) -> Iterable[tuple]:
    """The steps of a backward pass, without storing anything: yields (node, gradient) in
    processing order, each node once, after every contribution to its gradient has arrived.
    This is what step-by-step pictures of backpropagation show."""
    seed = _seed(root, gradient, "backward_steps")
    with no_grad():
        yield from _backprop(root, seed, False, targets=None)
