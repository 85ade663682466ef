"""Reverse-mode differentiation over the recorded graph.

The definition is `backward_reference`, a dozen lines: visit the nodes users-before-inputs,
give each input the vector-Jacobian product (VJP) of each of its users, summed back to the
input's shape (`fit`), and add up what a node receives. Every node is created after its
inputs, so newest-first (decreasing creation order) is a users-before-inputs order.

`backward_pass` is the walk the library runs. It computes the same numbers in the same order
(the tests check it bit for bit) without sorting the graph first: the nodes waiting for their
gradient sit on a heap, newest first, so when a node comes off the heap every user has already
given it its share, and nodes that need no gradient are never visited. It also skips work a
plain reading of the definition would do: the VJPs run on raw floats and arrays (or on Values,
recorded, for `create_graph=True`), a Python-float gradient needs no reshaping, a chain's
next link skips the heap, and leaves (which have no VJPs to run) skip it too. `backward`,
`gradients` and `backward_steps` all run it.
"""
from __future__ import annotations

import operator
from heapq import heappop, heappush
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from autograd.anomaly import check_backward
from autograd.grad_mode import ANOMALY, RECORD, current_mode, enable_grad, no_grad
from autograd.op import NUMERIC_ERRORS, normalize, retry_in_float64
from autograd.ops import astype, sum_to
from autograd.tape import BACKWARD, TracerError, record_event
from autograd.value import (MANY_INPUTS, ONE_INPUT, RELEASED, Constant, Value, grad_like,
                            inputs_of, latest_write, raise_released, written_after)

creation_order = operator.attrgetter("_order")


# ----- the definition ---------------------------------------------------------------------
def backward_reference(root: Value, gradient: Any = None) -> None:
    """Accumulate d(root)/d(node) into `.grad` of every node that requires a gradient: the
    backward pass by its definition (see the module docstring); `backward` does the same."""
    grads = {root: _seed(root, gradient, "backward_reference")}
    for node in sorted(_graph(root), key=creation_order, reverse=True):   # users first
        g = grads.pop(node)
        node._grad = g if node._grad is None else accumulate(node._grad, g)
        args = [p.data for p in node.parents]
        for i, parent in enumerate(node.parents):
            if parent.requires_grad:
                share = node._op.vjp(i, g, node.data, *args, **node.attrs)
                share = fit_share(node, i, share, parent)
                grads[parent] = accumulate(grads[parent], share) if parent in grads else share


def _graph(root: Value, oldest_target: Optional[int] = None) -> List[Value]:
    """Every node reachable from `root` through inputs that require a gradient. Reaching a
    released node raises (its inputs are gone), unless `oldest_target` (the creation order of
    the oldest node whose gradient is wanted) is newer: then nothing wanted lies behind it,
    as inputs are always older than their users."""
    seen, stack = {root}, [root]
    while stack:
        node = stack.pop()
        if node._op is RELEASED and oldest_target is not None and oldest_target >= node._order:
            continue
        for p in inputs_of(node):
            if isinstance(p, Value) and p.requires_grad and p not in seen:
                seen.add(p)
                stack.append(p)
    return list(seen)


def accumulate(a: Any, b: Any) -> Any:
    """a + b, out of place; a sum of 0-d float32 arrays stays a 0-d array (numpy would
    return a numpy scalar)."""
    total = a + b
    t = type(total)
    return total if t is float or t is np.ndarray or isinstance(total, Value) else normalize(
        total)


def fit(g: Any, p: Value) -> Any:
    """Sum a gradient back to the shape of input `p` (undo broadcasting) and give it p's type
    and dtype. The one place where broadcasting is undone. Raises TypeError for something that
    is not a gradient, ValueError for one that does not fit `p`."""
    data = p._data
    if type(g) is np.ndarray and type(data) is np.ndarray:     # a backward pass's usual case
        return fit_data(g, data.shape, data.dtype)
    if not isinstance(g, GRADIENT_TYPES):
        raise TypeError(f"expected a number or an array, got {type(g).__name__}")
    if isinstance(g, Value):
        if type(data) is float:
            g = sum_to(g, ())
            return g if type(g.data) is float else astype(g, np.float64)
        g = sum_to(g, data.shape)
        return g if g.dtype == data.dtype else astype(g, data.dtype)
    if type(data) is float:
        return fit_data(g, None, None)
    return fit_data(g, data.shape, data.dtype)


def fit_data(g: Any, shape: Optional[tuple], dtype: Any) -> Any:
    """`fit` for a raw gradient: summed back to `shape` and cast to `dtype` (both None: the
    input is a Python float). Compiled programs call it where a VJP's result needs it."""
    if shape is None:
        return g if type(g) is float else float(np.sum(g))
    if type(g) is not np.ndarray or g.shape != shape:
        g = np.asarray(sum_to(g, shape))
    return g if g.dtype == dtype else g.astype(dtype)


GRADIENT_TYPES = (float, int, np.ndarray, np.generic, Value)


def fit_share(node: Value, i: int, share: Any, p: Value) -> Any:
    """`fit` the gradient that input `i` of `node` (the Value `p`) receives from its VJP, or
    raise naming the op, the input and what the VJP returned instead of a gradient that fits."""
    try:
        return fit(share, p)
    except (TypeError, ValueError) as why:
        shape = np.shape(p.data)
        if isinstance(why, TypeError):
            got = "None" if share is None else f"a {type(share).__name__}"
            raise TypeError(f"backward: the VJP of op '{node.op}' for input {i} returned {got}, "
                            f"not a gradient (a number or an array of shape {shape})") from None
        got = np.shape(share.data if isinstance(share, Value) else share)
        raise ValueError(f"backward: the VJP of op '{node.op}' for input {i} returned shape "
                         f"{got}, but input {i} has shape {shape}: a VJP returns the input's "
                         f"gradient, of the input's shape or one the input broadcasts to "
                         f"({why})") from None


# ----- the walk the library runs ----------------------------------------------------------
Visit = Callable[[Value, Any], None]


def backward_pass(root: Value, seed: Any, create_graph: bool = False,
                  retain_grads: bool = True, visit: Optional[Visit] = None,
                  release: bool = False, only: Optional[set] = None) -> None:
    """Walk the graph below `root` once, newest node first, giving every node that requires a
    gradient its complete gradient: `visit(node, g)`, or by default add g to `node.grad` (of
    the leaves only, without `retain_grads`). Leaves are not queued: their sums wait in
    `pending` and are stored when the walk ends (the same numbers, added in the same order).

    `only`: visit just these nodes (the ones on a path to the wanted inputs). `release`: drop
    each node's record (op, inputs) once its VJPs have run, so intermediate Values are freed
    during the walk instead of all at once afterwards.
    """
    pending: Dict[Value, Any] = {root: seed}    # node -> the sum of its users' shares so far
    waiting: List[tuple] = []                   # (-order, node) of the pending, newest first
    lone: Optional[Value] = root                # a pending node kept off the heap (see below)
    anomaly = current_mode() & ANOMALY
    latest = latest_write()                     # nodes recorded after it need no check
    given: set = set()                          # ids of the arrays given to leaves so far
    while lone is not None or waiting:
        if lone is not None:
            node, lone = lone, None
        else:
            node = heappop(waiting)[1]
        g = pending.pop(node)
        op, a, b = node._op, node._a, node._b
        if visit is not None:
            visit(node, g)
        elif retain_grads or op is None:
            node._grad = g if node._grad is None else accumulate(node._grad, g)
        if op is None:                          # a leaf
            continue
        if node._order < latest or op is RELEASED:     # rare, so one test for both
            if op is RELEASED:
                if only is not None:
                    continue                    # a wanted input itself (see _on_paths)
                raise_released()
            _check_unchanged(node)
        # The inputs (constants raw, see value.ONE_INPUT) and what the VJPs read of them.
        if b is ONE_INPUT:
            parents = (a,)
            args = (a._data,)
        elif b is MANY_INPUTS:
            parents = a
            args = [p._data if isinstance(p, Value) else p for p in a]
        else:
            parents = (a, b)
            args = (a._data if isinstance(a, Value) else a, b._data if isinstance(b, Value) else b)
        if create_graph:                        # the VJPs run on the inputs themselves, recorded
            args = [p if isinstance(p, Value) and type(p) is not Constant else d
                    for p, d in zip(parents, args)]
        ans = node if create_graph else node._data
        attrs = node._attrs
        joint = op.joint_vjp
        if joint is not None:                   # every input's gradient in one call
            try:
                shares = joint(g, ans, *args, **attrs) if attrs else joint(g, ans, *args)
            except NUMERIC_ERRORS as exc:
                shares = retry_in_float64(joint, (g, ans, *args), attrs, exc)
            if not isinstance(shares, (list, tuple)) or len(shares) != len(parents):
                raise _wrong_joint_vjp(node, shares)
        vjps = op.vjps
        for i, p in enumerate(parents):
            if not (isinstance(p, Value) and p.requires_grad) or (only is not None and
                                                                   p not in only):
                continue
            if joint is None:
                vjp = vjps[i]
                try:
                    share = vjp(g, ans, *args, **attrs) if attrs else vjp(g, ans, *args)
                except NUMERIC_ERRORS as exc:
                    share = retry_in_float64(vjp, (g, ans, *args), attrs, exc)
            else:
                share = shares[i]
            if anomaly:
                check_backward(node, i, share, g)
            pd = p._data
            if type(share) is float and type(pd) is float:     # scalars: nothing to fit or copy
                earlier = pending.get(p)
                if earlier is not None:
                    pending[p] = earlier + share
                    continue
            else:
                if type(share) is not np.ndarray or type(pd) is not np.ndarray or (
                        share.shape != pd.shape or share.dtype != pd.dtype):
                    share = fit_share(node, i, share, p)
                earlier = pending.get(p)
                if earlier is not None:
                    pending[p] = accumulate(earlier, share)
                    continue
                if p._op is None and type(share) is np.ndarray:
                    share = owned(share, g, given)
            pending[p] = share
            # Leaves wait in `pending` alone: their sums are stored after the walk. A node that
            # becomes pending while nothing else is (the next link of a chain) waits in `lone`
            # instead of the heap: it is the newest pending node anyway.
            if p._op is None and visit is None:
                continue
            if lone is None and not waiting:
                lone = p
            else:
                if lone is not None:
                    heappush(waiting, (-lone._order, lone))
                    lone = None
                heappush(waiting, (-p._order, p))
        if release:
            node._op, node._a, node._b, node._attrs = RELEASED, None, None, None
    for leaf, g in pending.items():             # what is left: the leaves' complete sums
        leaf._grad = g if leaf._grad is None else accumulate(leaf._grad, g)


def owned(share: np.ndarray, incoming: Any, given: set) -> np.ndarray:
    """A leaf's gradient as it may be stored: a leaf's .grad never aliases another array (not
    the gradient passed in, a view, or an array given to another leaf in this pass, whose ids
    are `given`)."""
    if share is incoming or share.base is not None or id(share) in given:
        share = share.copy()
    given.add(id(share))
    return share


def _wrong_joint_vjp(node: Value, shares: Any) -> TypeError:
    got = (f"{len(shares)} gradients" if isinstance(shares, (list, tuple))
           else f"a {type(shares).__name__}")
    return TypeError(f"backward: the joint VJP of op '{node.op}' returned {got}; it must return "
                     f"a list with one gradient per input ({len(inputs_of(node))})")


def _check_unchanged(node: Value) -> None:
    """Raise if `node`'s data or an input's changed in place after `node` was recorded: its
    VJPs would compute the gradient at data the forward pass never used."""
    for i, v in enumerate((node, *inputs_of(node))):
        if isinstance(v, Value) and written_after(v, node._order):
            what = f"the output of op '{node.op}'" if i == 0 else (
                f"input {i - 1} of op '{node.op}'")
            named = f" ('{v.name}')" if v.name else ""
            raise RuntimeError(
                f"backward: {what}{named}, a Value of shape {v.shape} {v.dtype}, was changed "
                "in place (an optimiser step, load_state_dict or a .data assignment) after the "
                "graph was recorded, so its gradient would be computed at data the forward "
                "pass never used. Run the forward pass again after the change (a training "
                "step is zero_grad, forward, backward, then optimizer.step())")


# ----- what users call --------------------------------------------------------------------
def backward(root: Value, gradient: Any = None, create_graph: bool = False,
             retain_grads: bool = True, retain_graph: bool = True) -> None:
    """Accumulate d(self)/d(node) into `.grad` of every node of the graph.

    A scalar seeds with 1; any other shape needs `gradient` of its shape. With
    `create_graph=True` the backward pass is itself recorded, so gradients are Values
    that can be differentiated again. Every node keeps its gradient and the graph stays
    whole (as in micrograd, so drawings show them and backward can run again). A training
    loop needs neither: `retain_grads=False` keeps gradients on leaves only (as PyTorch
    does), freeing each intermediate gradient once used; `retain_graph=False` releases each
    node's op and inputs once passed, so intermediate Values are freed during the pass (as
    PyTorch frees its saved tensors). Less memory, and for big arrays much faster. A
    released node keeps its `.data`; differentiating, walking or drawing through it raises.
    If the pass stops on an error (anomaly mode, a value changed in place, a custom VJP), the
    leaves keep the gradients they had (theirs are stored when the pass ends), the
    intermediate nodes it passed keep theirs, and with `retain_graph=False` the part already
    walked is released.
    """
    if create_graph and not retain_graph:
        raise ValueError("backward: create_graph=True records the gradients on top of this "
                         "graph, so it needs retain_graph=True")
    if current_mode() & RECORD:        # inside autograd.compile: part of the program
        if gradient is not None or create_graph:
            raise TracerError("compile: backward() inside a compiled function takes no "
                              "gradient= and no create_graph=True (a program's backward pass "
                              "is first-order, from a one-element loss); call that backward() "
                              "outside, on the compiled function's result")
        record_event(BACKWARD, root, lambda: _backward(root, None, False, retain_grads,
                                                       retain_graph))
        return
    _backward(root, gradient, create_graph, retain_grads, retain_graph)


def _backward(root: Value, gradient: Any, create_graph: bool, retain_grads: bool,
              retain_graph: bool) -> None:
    seed = _seed(root, gradient, "backward")
    inputs_of(root)                     # a released root raises before anything is stored
    with enable_grad() if create_graph else no_grad():
        backward_pass(root, seed, create_graph, retain_grads, release=not retain_graph)


Value.backward = backward               # type: ignore[attr-defined]


def gradients(root: Value, inputs: Sequence[Value], gradient: Any = None,
              create_graph: bool = False) -> List[Any]:
    """d(root)/d(input) for each input, without touching any `.grad`; zero where unreached
    (all zero when `root` was computed without recording: nothing reaches the inputs)."""
    if isinstance(root, Value) and not root.requires_grad:
        return [_zero(v) for v in inputs]
    seed = _seed(root, gradient, "grad")
    found: Dict[Value, Any] = {}
    wanted = set(inputs)

    def keep(node: Value, g: Any) -> None:
        if node in wanted:
            found[node] = g

    with enable_grad() if create_graph else no_grad():
        backward_pass(root, seed, create_graph, visit=keep, only=_on_paths(root, inputs))
    return [found[v] if v in found else _zero(v) for v in inputs]


def backward_steps(root: Value, gradient: Any = None) -> List[tuple]:
    """The steps of a backward pass, without storing anything: (node, gradient) pairs in
    processing order, each node once, after every contribution to its gradient has arrived.
    This is what step-by-step pictures of backpropagation show."""
    seed = _seed(root, gradient, "backward_steps")
    steps: List[tuple] = []
    with no_grad():
        backward_pass(root, seed, visit=lambda node, g: steps.append((node, g)))
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
    """`node`, after checking that its record was not released (its inputs would be unknown)."""
    inputs_of(node)
    return node


def _on_paths(root: Value, targets: Sequence[Value]) -> set:
    """The nodes through which `root` depends on one of `targets` (targets included): the
    only ones whose gradient `gradients` needs. A node is on a path when one of its inputs
    is, so one pass over the graph, inputs before users, finds them all."""
    on_path = set(targets)
    oldest = min((t._order for t in targets), default=None)
    for node in sorted(_graph(root, oldest), key=creation_order):     # inputs first
        if node._op is not RELEASED and any(isinstance(p, Value) and p in on_path
                                            for p in inputs_of(node)):
            on_path.add(node)
    return on_path


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
        return unit_seed(root._data)
    return grad_like(gradient.data if isinstance(gradient, Value) else gradient, root, caller,
                     "output")


def unit_seed(data: Any) -> Any:
    """The gradient a one-element output seeds its backward pass with: 1 of its type, dtype
    and shape. (np.array is C; np.ones, 2.4 us, is Python.)"""
    return 1.0 if type(data) is float else np.array(1, data.dtype).reshape(data.shape)


def _zero(v: Value) -> Any:
    return 0.0 if type(v.data) is float else np.zeros_like(v.data)
