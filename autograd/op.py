"""The op core: a primitive is a forward on raw data plus its VJPs (one per input, or one joint
VJP for all inputs), written once.

`apply` runs the forward on raw data (Python floats or numpy arrays). When no argument is a
`Value` it returns the raw result, so the same functions serve as plain numeric helpers; when
an argument is a `Value` that requires a gradient (and grad mode is on) it records a node.
VJPs are written with operators and these same ops, so the engine can run them on raw data
(fast) or on Values (recorded, for higher-order gradients): one rule, two speeds.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Optional, Sequence

import numpy as np

from autograd.anomaly import check_forward
from autograd.grad_mode import ANOMALY, GRAD, RECORD, WATCHED, current_mode
from autograd.tape import record_step
from autograd.value import MANY_INPUTS, ONE_INPUT, Constant, Value, as_data, next_order

NUMERIC_ERRORS = (ZeroDivisionError, OverflowError, ValueError)
"""What Python's float arithmetic raises where numpy returns inf or nan (see retry_in_float64)."""
_new = object.__new__


class Op:
    """A differentiable primitive: `forward(*raw, **attrs)` and its VJPs.

    Either one VJP per input, `vjps[i](g, ans, *args, **attrs)` giving the gradient for input
    i from the upstream gradient `g` and the output `ans` (the engine calls only those whose
    input needs a gradient), or, for ops with many inputs, one `joint_vjp(g, ans, *args,
    **attrs)` returning every input's gradient in one call. The engine sums each gradient
    back to its input's shape, so VJPs may ignore broadcasting.

    >>> square = Op('square', lambda x: x * x, lambda g, ans, x: 2.0 * g * x)
    >>> square(Value(3.0)).data
    9.0
    """

    __slots__ = ("name", "forward", "vjps", "joint_vjp", "describe_error", "_module")

    def __init__(self, name: str, forward: Callable[..., Any], *vjps: Callable[..., Any],
                 joint_vjp: Optional[Callable[..., Sequence[Any]]] = None,
                 describe_error: Optional[Callable[..., str]] = None) -> None:
        if bool(vjps) == (joint_vjp is not None):
            raise TypeError(f"Op {name!r}: give one VJP per input or a joint_vjp, not "
                            f"{'both' if vjps else 'neither'}")
        self.name = name
        self.forward = forward
        self.vjps = vjps
        self.joint_vjp = joint_vjp
        self.describe_error = describe_error
        # Known by the module that defines it and its name (a later definition, such as a
        # notebook cell run again, replaces an earlier one): that is how pickles find it.
        self._module = sys._getframe(1).f_globals.get("__name__", "__main__")
        _by_name[(self._module, name)] = self

    def __reduce__(self) -> tuple:
        """Pickle by module and name, not by functions (lambdas do not pickle): unpickling
        finds the op of that name that module defines in the loading process."""
        if _by_name.get((self._module, self.name)) is not self:
            raise TypeError(f"op '{self.name}' of {self._module} cannot be pickled: a later op "
                            "of that module has the same name and replaced it")
        return (named_op, (self._module, self.name))

    def __call__(self, *args: Any, **attrs: Any) -> Any:
        if self.joint_vjp is None and len(args) != len(self.vjps):
            raise TypeError(f"op '{self.name}' has {len(self.vjps)} VJP"
                            f"{'s' if len(self.vjps) != 1 else ''} but was called with "
                            f"{len(args)} input{'s' if len(args) != 1 else ''}: give one VJP "
                            "per input (or one joint_vjp for all of them)")
        return apply(self, args, attrs or None)

    def vjp(self, argnum: int, g: Any, ans: Any, *args: Any, **attrs: Any) -> Any:
        """The gradient for input `argnum`, whichever form the VJPs take (a joint VJP computes
        every input's gradient to return this one). Python-float arithmetic that raises is
        redone in float64, as in the forward (see retry_in_float64)."""
        fn = self.vjps[argnum] if self.joint_vjp is None else self.joint_vjp
        try:
            grads = fn(g, ans, *args, **attrs)
        except NUMERIC_ERRORS as exc:
            grads = retry_in_float64(fn, (g, ans, *args), attrs, exc)
        return grads if self.joint_vjp is None else grads[argnum]

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


_by_name: dict = {}


def named_op(module: str, name: str) -> "Op":
    """The op called `name` that `module` defines (how pickled graphs find their ops),
    importing the module if it is not loaded yet."""
    if (module, name) not in _by_name and module != "__main__":
        importlib.import_module(module)
    try:
        return _by_name[(module, name)]
    except KeyError:
        raise LookupError(f"no op named '{name}' is defined by {module} in this process; run "
                          "the code that defines it before unpickling") from None


def normalize(out: Any) -> Any:
    """Make a raw result what a Value holds: float64 scalars become Python floats,
    other 0-d results 0-d arrays (so float32 stays float32)."""
    t = type(out)
    if t is float or (t is np.ndarray and out.ndim):
        return out
    if t is np.ndarray or isinstance(out, np.generic):
        return float(out) if out.dtype == np.float64 else np.asarray(out)
    return float(out)


def retry_in_float64(fn: Callable[..., Any], args: Any, attrs: Optional[dict],
                     exc: Exception) -> Any:
    """Redo Python-float arithmetic that raised (1/0, exp(1000), log(-1)) in numpy float64,
    so scalars follow the same IEEE rules (inf, nan, a warning) as arrays. A joint VJP's
    list of gradients comes back as a list of floats."""
    if not all(type(a) is float for a in args):
        raise exc
    wide = [np.float64(a) for a in args]
    out = fn(*wide, **attrs) if attrs else fn(*wide)
    return [float(o) for o in out] if isinstance(out, (list, tuple)) else float(out)


def apply(op: Op, args: tuple, attrs: Optional[dict]) -> Any:
    """Run `op` on raw data; record a node when an input Value needs a gradient."""
    raws = []
    converted = False
    # record: None while no Value is among the args; True if one needs a gradient, else False
    record = None
    for a in args:
        if isinstance(a, Value):
            raws.append(a._data)
            if a.requires_grad:
                record = True
            elif record is None:
                record = False
        elif type(a) is float or type(a) is np.ndarray:
            raws.append(a)
        else:
            raws.append(as_data(a))
            converted = True
    try:
        out = op.forward(*raws, **attrs) if attrs else op.forward(*raws)
    except NUMERIC_ERRORS as exc:
        try:
            out = retry_in_float64(op.forward, raws, attrs, exc)
        except (ValueError, TypeError, IndexError) as error:
            raise _forward_error(op, raws, attrs, error) from None
    except (TypeError, IndexError) as exc:
        raise _forward_error(op, raws, attrs, exc) from None
    t = type(out)
    if t is not float and (t is not np.ndarray or not out.ndim):
        out = normalize(out)
        if type(out) is np.ndarray and record is not None and _promotes(args, raws):
            return apply(op, tuple(_in_float64(a) for a in args), attrs)
    if record is None:
        return out
    # The node's slots are written here rather than through value.init_node, the constructor
    # Value() uses: this is the hottest code of the library, and the call would cost a scalar
    # op 6% (tests/autograd/test_value.py checks that both set every slot).
    v = _new(Value)
    v._data = out
    v._grad = None
    v.name = None
    v._order = next_order()
    mode = current_mode()               # this thread's switches (see grad_mode)
    if record and mode & GRAD:
        if converted:                   # constants are kept raw (see Value.parents)
            args = tuple([a if isinstance(a, Value) else r for a, r in zip(args, raws)])
        v.requires_grad = True
        v._op = op
        n = len(args)                   # the inputs' two slots (see value.ONE_INPUT)
        v._a, v._b = args if n == 2 else (args[0], ONE_INPUT) if n == 1 else (args, MANY_INPUTS)
        v._attrs = attrs
    else:
        v.requires_grad = False
        v._op = v._a = v._b = v._attrs = None
    if mode & WATCHED:                  # anomaly mode or a compile tape: one test for both
        if mode & ANOMALY:
            check_forward(op, raws, out, v)
        if mode & RECORD:
            record_step(op, args, raws, attrs, v)
    return v


def _promotes(args: tuple, raws: list) -> bool:
    """Whether a 0-d result of lower precision must be float64: PyTorch's rule, where a float64
    scalar Value (a Python float inside) meets only other scalars (0-d float32 Values or numpy
    scalars), the result is float64. numpy would give float32, since it reads a Python float
    as weak; with an array of any shape in the op, the array's dtype wins, as in PyTorch; and an
    op that chooses its output's dtype (astype) keeps its choice."""
    narrower = False
    for r in raws:
        if type(r) is np.ndarray:
            if r.ndim:
                return False            # an array in the op: its dtype stands
            narrower = narrower or r.dtype != np.float64
    return narrower and any(isinstance(a, Value) and type(a) is not Constant
                            and type(a._data) is float for a in args)


def _in_float64(x: Any) -> Any:
    """A 0-d input of another float dtype as float64: numbers converted, Values through a
    recorded `astype` (so the graph shows the promotion, and gradients are cast back)."""
    from autograd.ops.cast import astype    # here, not at the top: the ops build on this module
    data = x.data if isinstance(x, Value) else as_data(x)
    if type(data) is not np.ndarray or data.dtype == np.float64:
        return x
    return astype(x, np.float64) if isinstance(x, Value) else float(data)


def _forward_error(op: Op, raws: list, attrs: Optional[dict], exc: Exception) -> Exception:
    """Rewrite a numpy error so it names the op and the shapes that caused it."""
    shapes = [np.shape(r) for r in raws]
    if op.describe_error is not None:
        message = op.describe_error(*shapes, **(attrs or {}))
    else:
        shown = " and ".join(str(s) for s in shapes)
        message = f"{op.name}: {exc} (input shape{'s' if len(shapes) > 1 else ''} {shown})"
    kind = ValueError if isinstance(exc, np.exceptions.AxisError) else type(exc)
    return kind(message)


def data_of(x: Any) -> Any:
    """The raw data of a Value, or `x` itself."""
    return x.data if isinstance(x, Value) else x


def shape_of(x: Any) -> tuple:
    """The shape of a Value or of raw data."""
    if type(x) is np.ndarray:
        return x.shape
    return x.shape if isinstance(x, Value) else np.shape(x)


def unary_method(op: Op, doc: str) -> Callable[[Value], Value]:
    """A Value method `x.f()` that runs `op` on x (ops attach these to Value)."""
    def method(self: Value) -> Value:
        return apply(op, (self,), None)
    method.__doc__ = doc
    return method


def binary_method(op: Op, doc: str, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """A Value operator `x (op) y`, or with `reflected` the `y (op) x` Python calls when the
    left operand is not a Value (ops attach these to Value)."""
    if reflected:
        def method(self: Value, other: Any) -> Value:
            return apply(op, (other, self), None)
    else:
        def method(self: Value, other: Any) -> Value:
            return apply(op, (self, other), None)
    method.__doc__ = doc
    return method
