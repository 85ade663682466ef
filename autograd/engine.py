"""Reverse-mode differentiation over the recorded graph.

One walk per backward pass, without recursion (a chain of a million ops is fine): nodes come
off a heap newest first. A node is always created after its inputs (copies and unpickled
Values get a fresh creation order, see Value.__setstate__), so by the time a node is taken
every node that feeds it a gradient has been processed, and its gradient is complete.
Each node's VJPs run once; gradients are summed back to each input's shape in one place
(`_fit`).
"""
from __future__ import annotations

import operator
from heapq import heappop, heappush
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from autograd.anomaly import check_backward
from autograd.grad_mode import _GradMode, enable_grad, no_grad
from autograd.op import _NUMERIC_ERRORS, Op, normalize, retry_in_float64
from autograd.ops import astype, sum_to
from autograd.value import MANY_INPUTS, ONE_INPUT, Value, grad_like, inputs_of

_creation_order = operator.attrgetter("_order")


def backward(root: Value, gradient: Any = None, create_graph: bool = False,
             retain_grads: bool = True, retain_graph: bool = True) -> None:
    """Accumulate d(root)/d(node) into `.grad` of every node that requires a gradient
    (of the leaves only with `retain_grads=False`); with `retain_graph=False`, release each
    node's record (its op and inputs) once its gradient has been passed on."""
    if create_graph and not retain_graph:
        raise ValueError("backward: create_graph=True records the gradients on top of this "
                         "graph, so it needs retain_graph=True")
    seed = _seed(root, gradient, "backward")
    _walkable(root)                     # a released root raises before any gradient is stored
    with enable_grad() if create_graph else no_grad():
        _backprop(root, seed, create_graph, on_node=None if retain_grads else _store_leaf,
                  release=not retain_graph)


def _released(*_: Any) -> None:
    raise RuntimeError("this graph (or the part of it reached here) was released by an earlier "
                       "backward(retain_graph=False): its ops and inputs are gone, so it cannot "
                       "be differentiated, walked or drawn again; pass retain_graph=True to that "
                       "backward() to keep it")


class _ReleasedOp(Op):
    """What a released node holds instead of its op: differentiating through it raises."""

    __slots__ = ()

    def __reduce__(self) -> str:
        return "_RELEASED"              # copies and pickles of a released node stay released


_RELEASED = _ReleasedOp("released", _released, joint_vjp=_released)


def _store_leaf(node: Value, g: Any) -> None:
    if node._op is None:
        node._grad = g if node._grad is None else _add(node._grad, g)


def gradients(root: Value, inputs: Sequence[Value], gradient: Any = None,
              create_graph: bool = False) -> List[Any]:
    """d(root)/d(input) for each input, without touching any `.grad`; zero where unreached
    (all zero when `root` was computed without recording: nothing reaches the inputs)."""
    if isinstance(root, Value) and not root.requires_grad:
        return [_zero(v) for v in inputs]
    seed = _seed(root, gradient, "grad")
    wanted = set(inputs)
    found: Dict[Value, Any] = {}

    def keep(node: Value, g: Any) -> None:
        if node in wanted:
            found[node] = g

    with enable_grad() if create_graph else no_grad():
        _backprop(root, seed, create_graph, inputs, keep)
    return [found[v] if v in found else _zero(v) for v in inputs]


def backward_steps(root: Value, gradient: Any = None) -> List[tuple]:
    """The steps of a backward pass, without storing anything: (node, gradient) pairs in
    processing order, each node once, after every contribution to its gradient has arrived.
    This is what step-by-step pictures of backpropagation show."""
    seed = _seed(root, gradient, "backward_steps")
    steps: List[tuple] = []
    with no_grad():
        _backprop(root, seed, False, None, lambda node, g: steps.append((node, g)))
    return steps


def topological_order(root: Value) -> List[Value]:
    """Every node reachable from `root` (constants included), parents before children.

    Depth-first post-order visiting parents in their recorded order, without recursion: it
    depends only on the graph's structure, so the same graph always gives the same order.
    """
    order: List[Value] = []
    entered = {id(root)}
    stack = [(root, iter(_walkable(root).parents))]
    while stack:
        node, pending = stack[-1]
        for p in pending:
            if id(p) not in entered:
                entered.add(id(p))
                stack.append((p, iter(_walkable(p).parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _walkable(node: Value) -> Value:
    """`node`, unless its record was released (then its inputs are unknown)."""
    if node._op is _RELEASED:
        _released()
    return node


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
    return grad_like(gradient.data if isinstance(gradient, Value) else gradient, root, caller,
                     "output")


def _zero(v: Value) -> Any:
    return 0.0 if type(v.data) is float else np.zeros_like(v.data)


def _on_paths(root: Value, targets: Sequence[Value]) -> set:
    """The nodes on a path from `root` to one of `targets` (the only ones worth visiting when
    just the targets' gradients are wanted). Raises when a released node could hide a path:
    one reached with a target older than itself (inputs are always older than their users)."""
    leads = set(targets)
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        if node._op is _RELEASED and any(t is not node and t._order < node._order
                                         for t in leads):
            _released()     # its inputs are gone, and an older target could lie behind them
        for p in inputs_of(node):
            if isinstance(p, Value) and p.requires_grad and p not in seen:
                seen.add(p)
                stack.append(p)
    for node in sorted(seen, key=_creation_order):      # oldest first: inputs before users
        if node not in leads and any(isinstance(p, Value) and p in leads
                                     for p in inputs_of(node)):
            leads.add(node)
    return leads & seen


def _backprop(root: Value, seed: Any, create_graph: bool,
              targets: Optional[Sequence[Value]] = None,
              on_node: Optional[Callable[[Value, Any], None]] = None,
              release: bool = False) -> None:
    """The backward pass: every node once, children before parents. Each node's complete
    gradient goes to `on_node(node, g)`, or by default is accumulated into `node.grad`.
    With `release`, a node drops its op and inputs once its VJPs have run, so the graph's
    intermediate Values are freed during the walk (as PyTorch frees saved tensors) instead of
    all at once afterwards (which, for big arrays, makes the allocator hand the memory back
    to the system and fault it in again on the next step)."""
    keep = _on_paths(root, targets) if targets is not None else None
    pending: Dict[Value, Any] = {root: seed}
    # Pending nodes, newest first: a heap keyed by creation order, except that a lone pending
    # node (the next link of a chain) waits in `lone` and skips the heap.
    frontier: List[tuple] = []
    lone: Optional[Value] = root
    anomaly = _GradMode.anomaly
    while lone is not None or frontier:
        if lone is not None:
            node, lone = lone, None
        else:
            node = heappop(frontier)[1]
        g = pending.pop(node)
        if on_node is None:
            old = node._grad
            node._grad = g if old is None else _add(old, g)
        else:
            on_node(node, g)
        op = node._op
        if op is None:                  # a leaf
            continue
        attrs = node._attrs
        a, b = node._a, node._b         # the inputs (see value.set_inputs), constants raw
        if b is ONE_INPUT:
            parents = (a,)
            args = parents if create_graph else (a.data,)
        elif b is MANY_INPUTS:
            if op is _RELEASED and keep is not None:
                continue                # the one target, released: its gradient is all asked
            parents = a
            args = a if create_graph else [p.data if isinstance(p, Value) else p for p in a]
        else:
            parents = (a, b)
            args = parents if create_graph else (a.data if isinstance(a, Value) else a,
                                                 b.data if isinstance(b, Value) else b)
        ans = node if create_graph else node.data
        joint = op.joint_vjp
        if joint is not None:           # all inputs' gradients in one call
            try:
                grads = joint(g, ans, *args, **attrs) if attrs else joint(g, ans, *args)
            except _NUMERIC_ERRORS as exc:
                grads = retry_in_float64(joint, (g, ans, *args), attrs, exc)
        vjps = op.vjps
        for i, p in enumerate(parents):
            if not (isinstance(p, Value) and p.requires_grad) or (keep is not None and
                                                                   p not in keep):
                continue
            if joint is None:
                vjp = vjps[i]
                try:
                    gp = vjp(g, ans, *args, **attrs) if attrs else vjp(g, ans, *args)
                except _NUMERIC_ERRORS as exc:
                    gp = retry_in_float64(vjp, (g, ans, *args), attrs, exc)
            else:
                gp = grads[i]
            if anomaly:
                check_backward(node, i, gp, g)
            pd = p.data
            if type(gp) is float and type(pd) is float:     # scalars: nothing to fit or copy
                prev = pending.get(p)
                if prev is not None:
                    pending[p] = prev + gp
                    continue
                pending[p] = gp
            else:
                if type(gp) is np.ndarray and type(pd) is np.ndarray:
                    if gp.shape != pd.shape or gp.dtype != pd.dtype:
                        gp = _fit(gp, p)
                else:
                    gp = _fit(gp, p)
                prev = pending.get(p)
                if prev is not None:
                    pending[p] = _add(prev, gp)
                    continue
                if p._op is not None or type(gp) is not np.ndarray or (
                        gp is not g and gp.base is None):
                    pending[p] = gp
                else:
                    pending[p] = gp.copy()  # a leaf's .grad never aliases another array
            # p is newly pending
            if lone is None and not frontier:
                lone = p
            else:
                if lone is not None:
                    heappush(frontier, (-lone._order, lone))
                    lone = None
                heappush(frontier, (-p._order, p))
        if release:
            node._op, node._a, node._b, node._attrs = _RELEASED, (), MANY_INPUTS, None


def _add(a: Any, b: Any) -> Any:
    """a + b, out of place; a sum of 0-d float32 arrays stays a 0-d array (numpy would
    return a numpy scalar)."""
    total = a + b
    t = type(total)
    return total if t is float or t is np.ndarray or t is Value else normalize(total)


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
        g = np.asarray(sum_to(g, data.shape))
    return g if g.dtype == data.dtype else g.astype(data.dtype)

