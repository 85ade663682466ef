"""`Value`: a Python float or a numpy array that records the operations applied to it."""
from __future__ import annotations

import itertools
from typing import Any, Optional, Union

import numpy as np

Data = Union[float, np.ndarray]

_next_order = itertools.count().__next__


class _Marker:
    """A named singleton stored in nodes' slots; copies and pickles refer to the one object."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __reduce__(self) -> str:
        return self._name               # by reference: copy and pickle keep `is` working

    def __repr__(self) -> str:
        return self._name


# How a node keeps its op's inputs: in two slots, not a tuple, because every object that
# holds references is one more for Python's cyclic garbage collector to traverse, again and
# again while a graph grows (a third of the time of a long chain). One input: `_a` and
# ONE_INPUT in `_b`; two: `_a` and `_b`; more: a tuple in `_a` and MANY_INPUTS in `_b`.
ONE_INPUT, MANY_INPUTS = _Marker("ONE_INPUT"), _Marker("MANY_INPUTS")


def inputs_of(node: "Value") -> tuple:
    """The inputs of the op that made `node` as stored (constants raw); () for a leaf."""
    if node._op is None:
        return ()
    b = node._b
    if b is ONE_INPUT:
        return (node._a,)
    return node._a if b is MANY_INPUTS else (node._a, b)


def set_inputs(node: "Value", inputs: tuple) -> None:
    """Store an op's inputs on its node (see ONE_INPUT)."""
    if len(inputs) == 2:
        node._a, node._b = inputs
    elif len(inputs) == 1:
        node._a, node._b = inputs[0], ONE_INPUT
    else:
        node._a, node._b = inputs, MANY_INPUTS


def as_data(x: Any) -> Data:
    """Convert user input to what a Value holds: a float64 scalar becomes a Python float,
    anything else a numpy array of a float dtype (integers and bools become float64)."""
    if type(x) is float:
        return x
    if isinstance(x, (bool, int, float)):
        return float(x)
    if isinstance(x, Value):
        return x.data
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

    >>> a = Value(2.0); b = a * a + 1.0; b.backward(); a.grad
    4.0
    """

    __slots__ = ("data", "_grad", "requires_grad", "name", "_op", "_a", "_b", "_attrs",
                 "_order", "__weakref__")
    # numpy defers to our reflected operators (np_array * value gives a Value).
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = True, name: Optional[str] = None) -> None:
        self.data = as_data(data)
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op = None
        self._a = self._b = None        # the op's inputs (see set_inputs); none for a leaf
        self._attrs = None
        self._order = _next_order()

    def __setstate__(self, state: Any) -> None:
        """A copied or unpickled Value is a new node: it gets a fresh creation order, so every
        node stays newer than its inputs and no two share an order (the engine relies on it).
        Its inputs are restored first (copy and pickle build them before it), so they are older."""
        for key, item in (state[1] if isinstance(state, tuple) else state).items():
            object.__setattr__(self, key, item)
        self._order = _next_order()

    # ----- graph and gradient -------------------------------------------------------------
    @property
    def op(self) -> str:
        """Label of the op that made this value; '' for leaves and unrecorded values."""
        return self._op.name if self._op is not None else ""

    @property
    def parents(self) -> tuple:
        """The inputs of the op that made this value, in order, all Values: a number or array
        the op used (`x * 2.0`) appears as a read-only `Constant`."""
        parents = inputs_of(self)
        for p in parents:
            if not isinstance(p, Value):
                # Ops store constants raw (a Value per constant costs a third of an op); they
                # become Constants when someone looks, once, so their identity is stable.
                parents = tuple(
                    p if isinstance(p, Value) else Constant(as_data(p)) for p in parents)
                set_inputs(self, parents)
                break
        return parents

    @property
    def attrs(self) -> dict:
        """Non-differentiable arguments of the op that made this value (such as `axis`)."""
        return dict(self._attrs) if self._attrs else {}

    @property
    def grad(self) -> Any:
        """The gradient accumulated by backward passes: a float or an array of this value's
        shape and dtype (a Value under `create_graph=True`). None when no gradient is kept:
        before any backward pass reaches this value, after `zero_grad()`, and for intermediate
        values after `backward(retain_grads=False)` (as in PyTorch)."""
        return self._grad

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = None if value is None else grad_like(value, self)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (`grad` reads None again, as in PyTorch's
        `zero_grad(set_to_none=True)`)."""
        self._grad = None

    def backward(self, gradient: Any = None, create_graph: bool = False,
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
        If the pass fails part-way (anomaly mode, say), the part already walked is released.
        """
        engine.backward(self, gradient, create_graph, retain_grads, retain_graph)

    def detach(self) -> "Value":
        """The same data, cut from the graph and needing no gradient."""
        return Value(self.data, requires_grad=False)

    # ----- data access --------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return () if type(self.data) is float else self.data.shape

    @property
    def ndim(self) -> int:
        return 0 if type(self.data) is float else self.data.ndim

    @property
    def size(self) -> int:
        return 1 if type(self.data) is float else self.data.size

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float64) if type(self.data) is float else self.data.dtype

    def item(self) -> float:
        """The data as a Python float (one-element values only)."""
        if self.size != 1:
            raise ValueError(f"item: only one-element values convert to a float, "
                             f"this one has shape {self.shape}")
        return float(self.data if type(self.data) is float else self.data.reshape(-1)[0])

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shares memory with an array Value)."""
        return np.asarray(self.data)

    def __float__(self) -> float:
        return self.item()

    def __bool__(self) -> bool:
        return bool(self.data)

    def __len__(self) -> int:
        if type(self.data) is float or self.data.ndim == 0:
            raise TypeError("len() of a 0-d Value")
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.data, dtype=dtype)

    def __repr__(self) -> str:
        parts = []
        if type(self.data) is float:
            parts.append(f"{self.data:.6g}")
            if self._grad is not None:
                parts.append(f"grad={_short(self._grad)}")
        elif self.data.size <= 6:
            parts.append(np.array2string(self.data, precision=4, separator=", "))
            parts.append(f"dtype={self.data.dtype}")
        else:
            parts.append(f"shape={self.data.shape}, dtype={self.data.dtype}")
        if self.name:
            parts.append(f"name={self.name!r}")
        if self._op is not None:
            parts.append(f"op={self.op!r}")
        return f"Value({', '.join(parts)})"

    # ----- comparisons: plain numpy/bool results, no gradient -----------------------------
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        try:
            return self.data == as_data(other)
        except TypeError:               # not a number (None, a string): unequal, as for floats
            return NotImplemented

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        try:
            return self.data != as_data(other)
        except TypeError:
            return NotImplemented

    def __lt__(self, other: Any) -> Any:
        return self.data < as_data(other)

    def __le__(self, other: Any) -> Any:
        return self.data <= as_data(other)

    def __gt__(self, other: Any) -> Any:
        return self.data > as_data(other)

    def __ge__(self, other: Any) -> Any:
        return self.data >= as_data(other)

    # ----- arithmetic: one-line delegations to the ops ------------------------------------
    def __add__(self, other: Any) -> "Value": return apply(ops.add, (self, other), None)
    def __radd__(self, other: Any) -> "Value": return apply(ops.add, (other, self), None)
    def __sub__(self, other: Any) -> "Value": return apply(ops.sub, (self, other), None)
    def __rsub__(self, other: Any) -> "Value": return apply(ops.sub, (other, self), None)
    def __mul__(self, other: Any) -> "Value": return apply(ops.mul, (self, other), None)
    def __rmul__(self, other: Any) -> "Value": return apply(ops.mul, (other, self), None)
    def __truediv__(self, other: Any) -> "Value": return apply(ops.div, (self, other), None)
    def __rtruediv__(self, other: Any) -> "Value": return apply(ops.div, (other, self), None)
    def __pow__(self, other: Any) -> "Value": return apply(ops.power, (self, other), None)
    def __rpow__(self, other: Any) -> "Value": return apply(ops.power, (other, self), None)
    def __matmul__(self, other: Any) -> "Value": return apply(ops.matmul, (self, other), None)
    def __rmatmul__(self, other: Any) -> "Value": return apply(ops.matmul, (other, self), None)
    def __neg__(self) -> "Value": return apply(ops.neg, (self,), None)
    def __pos__(self) -> "Value": return self
    def __abs__(self) -> "Value": return apply(ops.abs, (self,), None)
    def __getitem__(self, index: Any) -> "Value": return ops.getitem(self, index)

    # ----- elementwise methods ------------------------------------------------------------
    def exp(self) -> "Value": return apply(ops.exp, (self,), None)
    def log(self) -> "Value": return apply(ops.log, (self,), None)
    def sqrt(self) -> "Value": return apply(ops.sqrt, (self,), None)
    def abs(self) -> "Value": return apply(ops.abs, (self,), None)
    def tanh(self) -> "Value": return apply(ops.tanh, (self,), None)
    def sigmoid(self) -> "Value": return apply(ops.sigmoid, (self,), None)
    def relu(self) -> "Value": return apply(ops.relu, (self,), None)
    def sin(self) -> "Value": return apply(ops.sin, (self,), None)
    def cos(self) -> "Value": return apply(ops.cos, (self,), None)
    def log1p(self) -> "Value": return apply(ops.log1p, (self,), None)
    def clip(self, lo: Any = None, hi: Any = None) -> "Value": return ops.clip(self, lo, hi)
    def astype(self, dtype: Any) -> "Value": return ops.astype(self, dtype)

    # ----- reductions ---------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> "Value":
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Value":
        return ops.mean(self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Value":
        return ops.max(self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Value":
        return ops.min(self, axis, keepdims)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> "Value":
        return ops.logsumexp(self, axis, keepdims)

    # ----- shape --------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> "Value":
        return ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> "Value":
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]              # x.transpose((1, 0)) as well as x.transpose(1, 0)
        return ops.transpose(self, tuple(axes) if axes else None)

    @property
    def T(self) -> "Value":
        return ops.transpose(self, None)


class Constant(Value):
    """A number or array used by an op (`x * 2.0`), seen as a parent: read-only, no gradient.

    Everything but `data` is a class attribute.
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
        self.data = data

    def __reduce__(self) -> tuple:
        return (Constant, (self.data,))  # copies and pickles rebuild it from its data alone


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
    if type(like.data) is float:
        return float(as_data(value))
    return np.array(as_data(value), dtype=like.dtype)


from autograd import engine, ops  # noqa: E402  (ops and engine need Value defined first)
from autograd.op import apply  # noqa: E402
