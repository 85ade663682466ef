"""Copying and pickling Values, with their graphs, at any depth.

`copy.deepcopy` and `pickle` copy a node's inputs before the node itself. Done naively that is
one level of recursion per link of the graph, and a chain of a few thousand ops exceeds
Python's recursion limit. So a Value first lists every node below it, oldest first, and has
those copied or pickled in that order, each referring only to nodes already done: the depth no
longer matters. A copy is a new node with a fresh creation order (see Value.__setstate__), so
inputs stay older than their users. Ops pickle by name (see Op.__reduce__).
"""
from __future__ import annotations

import copy
import copyreg
import threading
from typing import Any, Dict, List

from autograd.value import MANY_INPUTS, RELEASED, Constant, Value, next_order

_SLOTS = ("_data", "_grad", "requires_grad", "name", "_op", "_a", "_b", "_attrs", "_order")
_flattening = threading.local()     # ids of nodes a pickle in this thread is writing in order


def below(root: Value) -> List[Value]:
    """Every Value `root`'s op used, directly or not (constants included), oldest first."""
    seen, stack, found = {id(root)}, [root], []
    while stack:
        node = stack.pop()
        if node._op is None or node._op is RELEASED:
            continue
        inputs = node._a if node._b is MANY_INPUTS else (node._a, node._b)
        for p in inputs:
            if isinstance(p, Value) and id(p) not in seen:
                seen.add(id(p))
                found.append(p)
                stack.append(p)
    return sorted(found, key=lambda v: v._order)


def _state(v: Value) -> tuple:
    return (None, {slot: getattr(v, slot) for slot in _SLOTS})


def _setstate(v: Value, state: Any) -> None:
    """A copied or unpickled Value is a new node: it gets a fresh creation order, so every
    node stays newer than its inputs and no two share an order (the engine relies on it).
    Its inputs are restored first (see the module docstring), so they are older."""
    for key, item in (state[1] if isinstance(state, tuple) else state).items():
        object.__setattr__(v, key, item)
    v._order = next_order()


def _copy(self: Value) -> Value:
    """A shallow copy: a new node with the same data, gradient and inputs."""
    twin = object.__new__(type(self))
    _setstate(twin, _state(self))
    return twin


def _deepcopy(self: Value, memo: Dict[int, Any]) -> Value:
    for node in below(self) + [self]:
        if id(node) in memo:
            continue
        if type(node) is Constant:
            memo[id(node)] = Constant(copy.deepcopy(node._data, memo))
            continue
        twin = object.__new__(type(node))
        memo[id(node)] = twin
        _setstate(twin, copy.deepcopy(_state(node), memo))
    return memo[id(self)]


def _reduce_ex(self: Value, protocol: int) -> tuple:
    if type(self) is Constant:
        return (Constant, (self._data,))     # rebuilt from its data alone
    pending = _flattening.__dict__.setdefault("ids", set())
    if id(self) in pending:                  # listed by a node above: its inputs are done
        pending.discard(id(self))
        return (copyreg.__newobj__, (type(self),), _state(self))
    nodes = [v for v in below(self) if type(v) is not Constant]
    pending.update(id(v) for v in nodes)
    # The nodes below are pickled first, in order; then this node; then a marker whose only
    # job is to forget the ids listed here (a node pickled elsewhere first is never reduced
    # again here, and must not be taken for one of ours by a later pickle).
    return (_rebuild, (nodes, type(self), _state(self), _Forget([id(v) for v in nodes])))


def _rebuild(nodes: list, cls: type, state: Any, forgotten: Any) -> Value:
    v = object.__new__(cls)
    _setstate(v, state)
    return v


class _Forget:
    """Pickled after a flattened graph: clears its ids from this thread's pending set."""

    def __init__(self, ids: List[int]) -> None:
        self.ids = ids

    def __reduce__(self) -> tuple:
        _flattening.__dict__.setdefault("ids", set()).difference_update(self.ids)
        return (int, ())


Value.__setstate__ = _setstate
Value.__copy__ = _copy
Value.__deepcopy__ = _deepcopy
Value.__reduce_ex__ = _reduce_ex
