"""`Value`: a Python float or a numpy array that records the operations applied to it.

This file defines what a Value holds: its data and gradient, the record of the op that made
it, and the stamps of in-place writes to it. Its operators and methods (`+`, `exp`, `sum`, ...)
are attached next to the ops they run, in `autograd/ops/`, `backward()` in
`autograd/engine.py`, and copying and pickling in `autograd/copying.py`, so this class stays
readable on its own.
"""
from __future__ import annotations

import itertools
import threading
import weakref
from operator import attrgetter
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

Data = Union[float, np.ndarray]

next_order = itertools.count().__next__
"""Creation order: every node gets a larger number than every node that existed before it, so
a node is always newer than its inputs (the backward pass relies on this)."""


class Marker:
    """A named singleton stored in nodes' slots; copies and pickles refer to the one object."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __reduce__(self) -> str:
        return self._name               # by reference: copy and pickle keep `is` working

    def __repr__(self) -> str:
        return self._name


# How a node keeps its op's inputs: in two slots, not a tuple, because every object holding
# references is one more for Python's cyclic garbage collector to traverse, again and again
# while a graph grows (a third of the time of a long chain). One input: `_a`, and ONE_INPUT
# in `_b`; two: `_a` and `_b`; more: a tuple in `_a` and MANY_INPUTS in `_b`.
ONE_INPUT, MANY_INPUTS = Marker("ONE_INPUT"), Marker("MANY_INPUTS")

# What a released node holds instead of its op (see `backward(retain_graph=False)`).
RELEASED = Marker("RELEASED")


def inputs_of(node: "Value") -> tuple:
    """The inputs of the op that made `node`, in order, as stored (constants raw); () for a
    leaf. Raises for a node whose record was released: its inputs are gone."""
    op, b = node._op, node._b
    if op is None:
        return ()
    if op is RELEASED:
        raise_released()
    if b is ONE_INPUT:
        return (node._a,)
    return node._a if b is MANY_INPUTS else (node._a, b)


def raise_released() -> None:
    raise RuntimeError("this graph (or the part of it reached here) was released by an earlier "
                       "backward(retain_graph=False): its ops and inputs are gone, so it cannot "
                       "be differentiated, walked or drawn again; pass retain_graph=True to that "
                       "backward() to keep it")


# In-place writes. A write stamps what changed with the creation order at that moment (and
# counts it): the Value, when `.data` is assigned a new array or number; the array's memory,
# when it is written in place, since every Value sharing it (views, `detach()`) sees the
# change. A node recorded before a write to one of its inputs, or to itself, would
# backpropagate through data it never saw, so the engine refuses it, as PyTorch's version
# counters do. The stamps live beside what they stamp, keyed by id and dropped with it, so
# nodes pay nothing for them; `latest_write` lets the engine skip the check for graphs
# recorded after every write (a training loop's, always).
_stamps: Dict[int, List[Any]] = {}       # id -> [weak ref, stamp, count]
_stamping = threading.Lock()
_latest = [0]


def memory_of(data: Data) -> Optional[np.ndarray]:
    """The array owning `data`'s memory (views lead back to it); None for a Python float."""
    if type(data) is float:
        return None
    base = data.base
    while base is not None and isinstance(base, np.ndarray):
        data, base = base, base.base
    return data


def note_write(v: "Value", in_place: bool) -> None:
    """Record that `v`'s data changed: written in place (stamping its memory, for every Value
    that shares it) or replaced (stamping `v` alone)."""
    note_writes((v,), in_place)


def note_writes(values: Sequence["Value"], in_place: bool) -> None:
    """`note_write` for several Values changed at once (an optimiser's step), with one stamp.
    Optimisers call it at every step, so its usual case (arrays that own their memory,
    written again) is short: each stamp's entry is updated in place, under the lock taken
    once, without `with` (which would double the cost)."""
    _stamping.acquire()
    try:
        stamp = _latest[0] = next_order()   # stamps taken under the lock only grow
        for v in values:
            owner = v._data
            if not in_place or type(owner) is float:
                owner = v
            elif owner.base is not None:
                owner = memory_of(owner)
            entry = _stamps.get(id(owner))
            if entry is not None and entry[0]() is owner:
                entry[1] = stamp
                entry[2] += 1
            else:
                _stamps[id(owner)] = _first_entry(owner, stamp)
    finally:
        _stamping.release()


def _first_entry(owner: Any, stamp: int) -> List[Any]:
    """The stamp entry of `owner`'s first write: dropped with `owner`."""
    key = id(owner)
    return [weakref.ref(owner, lambda _: _stamps.pop(key, None)), stamp, 1]


def _stamp_of(owner: Any) -> Tuple[int, int]:
    """(last stamp, count) of writes to `owner`; (0, 0) for none."""
    entry = _stamps.get(id(owner))
    return (entry[1], entry[2]) if entry is not None and entry[0]() is owner else (0, 0)


def latest_write() -> int:
    """The stamp of the most recent in-place write (0: none yet)."""
    return _latest[0]


def written_after(v: "Value", order: int) -> bool:
    """Whether `v`'s data changed after the node with creation order `order` was recorded."""
    memory = memory_of(v._data)
    return _stamp_of(v)[0] > order or (memory is not None and _stamp_of(memory)[0] > order)


def as_data(x: Any) -> Data:
    """Convert user input to what a Value holds: a float64 scalar becomes a Python float,
    anything else a numpy array of a float dtype (integers and bools become float64)."""
    t = type(x)
    if t is float or (t is np.ndarray and x.ndim and x.dtype.kind == "f"):
        return x                        # already what a Value holds (the usual case)
    if isinstance(x, (bool, int, float)):
        return float(x)
    if isinstance(x, Value):
        return x._data
    a = np.asarray(x)
    if a.dtype.kind not in "fc":
        if a.dtype.kind not in "biu":
            raise TypeError(f"Value: cannot hold data of dtype {a.dtype}; give numbers or a "
                            "numeric numpy array")
        a = a.astype(np.float64)
    elif a.dtype.kind == "c":
        raise TypeError("Value: complex data is not supported")
    if a.ndim == 0 and a.dtype == np.float64:
        return float(a)
    return a


class Value:
    """A node of the computation graph: data, its gradient, and the op that made it.

    A float array given to `Value` is shared, not copied (like `torch.from_numpy`), so an
    optimiser updating the Value in place also changes that array; pass `arr.copy()` to keep it.
    `grad` is None until a backward pass reaches this value (as in PyTorch).

    >>> a = Value(2.0); b = a * a + 1.0; b.backward(); a.grad
    4.0
    """

    # The node's record, written by `apply` (autograd/op.py) and read by the engine: `_op`
    # (None for a leaf, RELEASED once released), its inputs in `_a`/`_b` (see ONE_INPUT) and
    # its non-array arguments `_attrs`; `_order` is the creation order (see next_order).
    __slots__ = ("_data", "_grad", "requires_grad", "name", "_op", "_a", "_b", "_attrs",
                 "_order", "__weakref__")
    # numpy's protocols (`np.exp(v)`, `np.sum(v)` and `np_array * v` give Values) are
    # attached in autograd/numpy_dispatch.py.

    def __init__(self, data: Any, requires_grad: bool = True, name: Optional[str] = None) -> None:
        init_node(self, as_data(data), bool(requires_grad), name, None, None, None, None)

    # ----- data and gradient --------------------------------------------------------------
    # `data` and `grad` are read through C getters (attrgetter): training loops read them for
    # every parameter at every step, and a Python getter would cost a call each time.
    def _set_data(self, new: Any) -> None:
        if new is self._data:           # `v.data -= x` hands back the array it changed
            note_write(self, True)      # (in place)
        else:
            self._data = as_data(new)
            note_write(self, False)

    data = property(attrgetter("_data"), _set_data, doc="""The number or array this value holds.
        Assigning converts as the constructor does (integers become floats); graphs recorded
        before will refuse to backpropagate through this value.""")

    @property
    def version(self) -> int:
        """How many times this value's data changed since it was made: `.data` assigned, or
        its memory written in place by an optimiser step or by anyone who then called
        `bump_version()` (PyTorch's `_version`, which views and `detach()` share)."""
        memory = memory_of(self._data)
        return _stamp_of(self)[1] + (0 if memory is None else _stamp_of(memory)[1])

    def bump_version(self) -> None:
        """Declare that this value's data was written in place (`v.data[...] = ...`): graphs
        recorded before will refuse to backpropagate through it, or through any Value sharing
        its memory, since their gradients would be computed at data they never saw. Our own
        in-place writers (optimisers) call it; writing into `.data[...]` by hand without it is
        the escape hatch, as in PyTorch."""
        note_write(self, True)          # (in place)

    def _set_grad(self, value: Any) -> None:
        self._grad = None if value is None else grad_like(value, self)

    grad = property(attrgetter("_grad"), _set_grad, doc="""The gradient accumulated by
        backward passes: a float or an array of this value's shape and dtype (a Value under
        `create_graph=True`). None when no gradient is kept: before any backward pass reaches
        this value, after `zero_grad()`, and for intermediate values after
        `backward(retain_grads=False)` (as in PyTorch).""")

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (`grad` reads None again, as in PyTorch's
        `zero_grad(set_to_none=True)`)."""
        self._grad = None

    def detach(self) -> "Value":
        """The same data, cut from the graph and needing no gradient."""
        return Value(self._data, requires_grad=False)

    # ----- the graph ----------------------------------------------------------------------
    @property
    def op(self) -> str:
        """Label of the op that made this value; '' for leaves and unrecorded values."""
        op = self._op
        return "" if op is None else "released" if op is RELEASED else op.name

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this value, in order, all Values: a number or array
        the op used (`x * 2.0`) appears as a read-only `Constant`. () for a leaf, and for a
        node released by `backward(retain_graph=False)` (walking through it raises)."""
        if self._op is RELEASED:
            return ()
        parents = inputs_of(self)
        if not all(isinstance(p, Value) for p in parents):
            # Ops store constants raw (a Value per constant costs a third of an op); they
            # become Constants when someone looks, once, so their identity is stable.
            parents = tuple(p if isinstance(p, Value) else Constant(as_data(p))
                            for p in parents)
            record_inputs(self, parents)
        return parents

    @property
    def attrs(self) -> dict:
        """Non-differentiable arguments of the op that made this value (such as `axis`)."""
        return dict(self._attrs) if self._attrs else {}

    # ----- shape and conversions ----------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return () if type(self._data) is float else self._data.shape

    @property
    def ndim(self) -> int:
        return 0 if type(self._data) is float else self._data.ndim

    @property
    def size(self) -> int:
        return 1 if type(self._data) is float else self._data.size

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float64) if type(self._data) is float else self._data.dtype

    def item(self) -> float:
        """The data as a Python float (one-element values only)."""
        if self.size != 1:
            raise ValueError(f"item: only one-element values convert to a float, "
                             f"this one has shape {self.shape}")
        data = self._data
        return float(data if type(data) is float else data.reshape(-1)[0])

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shares memory with an array Value)."""
        return np.asarray(self._data)

    def __float__(self) -> float:
        return self.item()

    def __int__(self) -> int:
        return int(self.item())

    def __round__(self, ndigits: Optional[int] = None) -> Any:
        return round(self.item(), ndigits)

    def __format__(self, spec: str) -> str:
        """`f"{v:.3f}"` formats a one-element value's number; an empty spec is `str(v)`."""
        if not spec:
            return str(self)
        if self.size != 1:
            raise TypeError(f"format: a format spec ({spec!r}) needs a one-element Value, this "
                            f"one has shape {self.shape}; format v.data instead")
        return format(self.item(), spec)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Value")
        return len(self._data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """`np.asarray(v)` shares the data; `np.array(v)` copies it, as for any array."""
        if copy:
            return np.array(self._data, dtype=dtype, copy=True)
        return np.asarray(self._data, dtype=dtype)

    def __repr__(self) -> str:
        data, parts = self._data, []
        if type(data) is float:
            parts.append(f"{data:.6g}")
            if self._grad is not None:
                parts.append(f"grad={_short(self._grad)}")
        elif data.size <= 6:
            parts.append(np.array2string(data, precision=4, separator=", "))
            parts.append(f"dtype={data.dtype}")
        else:
            parts.append(f"shape={data.shape}, dtype={data.dtype}")
        if self.name:
            parts.append(f"name={self.name!r}")
        if self._op is not None:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"

    # ----- comparisons: plain numpy/bool results, no gradient -----------------------------
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        try:
            return self._data == as_data(other)
        except TypeError:               # not a number (None, a string): unequal, as for floats
            return NotImplemented

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        try:
            return self._data != as_data(other)
        except TypeError:
            return NotImplemented

    def __lt__(self, other: Any) -> Any:
        return self._data < as_data(other)

    def __le__(self, other: Any) -> Any:
        return self._data <= as_data(other)

    def __gt__(self, other: Any) -> Any:
        return self._data > as_data(other)

    def __ge__(self, other: Any) -> Any:
        return self._data >= as_data(other)


def init_node(v: Value, data: Data, requires_grad: bool, name: Optional[str], op: Any, a: Any,
              b: Any, attrs: Optional[dict]) -> None:
    """Set every slot of a new Value: used by `Value()` (after converting the user's data) and
    by compiled programs' nodes. `op.apply` writes the same slots itself, for speed."""
    v._data = data
    v._grad = None
    v.requires_grad = requires_grad
    v.name = name
    v._op = op
    v._a = a
    v._b = b
    v._attrs = attrs
    v._order = next_order()


def record_inputs(node: Value, inputs: tuple) -> None:
    """Store an op's inputs on its node (see ONE_INPUT)."""
    if len(inputs) == 2:
        node._a, node._b = inputs
    elif len(inputs) == 1:
        node._a, node._b = inputs[0], ONE_INPUT
    else:
        node._a, node._b = inputs, MANY_INPUTS


class Constant(Value):
    """A number or array used by an op (`x * 2.0`), seen as a parent: read-only, no gradient.

    Everything but the data is a class attribute. Its data cannot be assigned: the op that
    used it would compute its gradients from a number it never used.
    """

    __slots__ = ()
    requires_grad = False   # type: ignore[assignment]
    name = None             # type: ignore[assignment]
    _grad = None
    _op = None
    _a = _b = None
    _attrs = None
    _order = -1

    def __init__(self, data: Data) -> None:
        self._data = data

    @property
    def data(self) -> Data:
        """The number or array the op used."""
        return self._data

    @data.setter
    def data(self, new: Any) -> None:
        raise AttributeError("a Constant is read-only: it is a number an op used; build the "
                             "graph again with the new number")


def _short(x: Any) -> str:
    return f"{x:.6g}" if type(x) is float else f"array{np.shape(x)}"


def grad_like(value: Any, like: Value, caller: str = "grad", what: str = "value") -> Any:
    """Check a gradient given by the user (an assigned `.grad`, a backward seed): it must
    have the shape of `like`'s data, and gets its type and dtype (a copy, never an alias)."""
    shape = value.shape if isinstance(value, Value) else np.shape(as_data(value))
    if shape != like.shape:
        raise ValueError(f"{caller}: gradient has shape {shape} but the {what} has shape "
                         f"{like.shape}")
    if isinstance(value, Value):
        return value
    if type(like._data) is float:
        return float(as_data(value))
    return np.array(as_data(value), dtype=like.dtype)
