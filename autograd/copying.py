"""Copying and pickling Values, with their graphs, at any depth.

`copy.deepcopy` and `pickle` copy a node's inputs before the node itself. Done naively that is
one level of recursion per link of the graph, and a chain of a few thousand ops exceeds
Python's recursion limit. So a Value first lists every Value it leads to (its inputs, theirs,
and gradients that are Values, as after `backward(create_graph=True)`), oldest first, and has
them all copied or pickled in that order, each referring only to Values already done: the depth
no longer matters, and the copies are created in the originals' order, so each gets a creation
order above its inputs' (the engine relies on it). Ops pickle by name (see Op.__reduce__).
"""
from __future__ import annotations

import copy
import copyreg
import threading
from typing import Any, Dict, List

from autograd.value import MANY_INPUTS, RELEASED, Constant, Value, next_order

_SLOTS = tuple(slot for slot in Value.__slots__ if slot != "__weakref__")
_pickling = threading.local()       # ids of Values a pickle in this thread writes in order


def graph_of(root: Value) -> List[Value]:
    """`root` and every Value it leads to through inputs and Value gradients, oldest first
    (constants, which are rebuilt from their data alone, left out)."""
    seen, stack, found = {id(root)}, [root], [root]
    while stack:
        node = stack.pop()
        linked = [node._grad]
        if node._op is not None and node._op is not RELEASED:
            linked += node._a if node._b is MANY_INPUTS else (node._a, node._b)
        for p in linked:
            if isinstance(p, Value) and type(p) is not Constant and id(p) not in seen:
                seen.add(id(p))
                found.append(p)
                stack.append(p)
    return sorted(found, key=lambda v: v._order)


def _state(v: Value) -> tuple:
    """What a copy needs: the slots, and the attributes of a subclass with a __dict__."""
    return getattr(v, "__dict__", None), {slot: getattr(v, slot) for slot in _SLOTS}


def _setstate(v: Value, state: tuple) -> None:
    """A copied or unpickled Value is a new node: it gets a fresh creation order. Copies are
    made oldest first (see the module docstring), so every node stays newer than its inputs."""
    attributes, slots = state
    for key, item in slots.items():
        object.__setattr__(v, key, item)
    if attributes:
        v.__dict__.update(attributes)
    v._order = next_order()


def _copy(self: Value) -> Value:
    """A shallow copy: a new node with the same data, gradient and inputs."""
    if type(self) is Constant:
        return Constant(self._data)
    twin = object.__new__(type(self))
    _setstate(twin, _state(self))
    return twin


def _deepcopy(self: Value, memo: Dict[int, Any]) -> Value:
    if type(self) is Constant:
        return Constant(copy.deepcopy(self._data, memo))
    nodes = [v for v in graph_of(self) if id(v) not in memo]
    for v in nodes:                     # every twin exists before any state is copied, so
        memo[id(v)] = object.__new__(type(v))      # copying a state never recurses into them
    for v in nodes:                     # oldest first: creation orders as in the original
        _setstate(memo[id(v)], copy.deepcopy(_state(v), memo))
    return memo[id(self)]


def _reduce_ex(self: Value, protocol: int) -> tuple:
    if type(self) is Constant:
        return (Constant, (self._data,))
    pending = _pickling.__dict__.setdefault("ids", set())
    if id(self) in pending:             # listed by a Value above: what it uses is done
        pending.discard(id(self))
        attributes, slots = _state(self)
        if isinstance(slots["_grad"], Value):
            slots["_grad"] = None       # a newer Value: linked once all are loaded (_pick)
        return (copyreg.__newobj__, (type(self),), (attributes, slots))
    nodes = graph_of(self)              # self included, in its place: pickled in that order,
    pending.update(id(v) for v in nodes)    # each through the branch above
    position = {id(v): i for i, v in enumerate(nodes)}
    grads = [(i, position[id(v._grad)]) for i, v in enumerate(nodes)
             if isinstance(v._grad, Value)]
    # The marker after the nodes forgets their ids, should one of them have been pickled
    # earlier in this pickle (then it is not reduced again, and its id would stay behind). A
    # pickle that fails part-way leaves ids behind; those Values then pickle link by link in
    # this thread, which is right but limited by the recursion limit.
    return (_pick, (nodes, position[id(self)], grads, _Forget([id(v) for v in nodes])))


def _pick(nodes: list, index: int, grads: list, forgotten: Any) -> Value:
    """The unpickled graph's Value at `index`, once Value gradients are linked again."""
    for node, grad in grads:
        nodes[node]._grad = nodes[grad]
    return nodes[index]


class _Forget:
    """Pickled after a graph's Values: clears their ids from this thread's pending set."""

    def __init__(self, ids: List[int]) -> None:
        self.ids = ids

    def __reduce__(self) -> tuple:
        _pickling.__dict__.setdefault("ids", set()).difference_update(self.ids)
        return (int, ())


Value.__setstate__ = _setstate
Value.__copy__ = _copy
Value.__deepcopy__ = _deepcopy
Value.__reduce_ex__ = _reduce_ex
