"""numpy's own functions on Values: `np.exp(v)`, `np.sum(v, axis=0)`, `np.where(c, v, 0.0)` and
`array * v` give Values that differentiate, so a function written for numpy arrays
differentiates when it is given Values.

numpy hands every call with a Value among its arguments to the Value (numpy's protocols, NEP 13
and NEP 18): ufuncs (`np.exp`, `np.add`, and the operators of an array left of a Value) and
their methods (`np.add.reduce`) to `__array_ufunc__`, other functions (`np.sum`,
`np.concatenate`) to `__array_function__`. Both look the function up in one table, NUMPY, and
run its row. A function without a row raises TypeError naming it, so no result silently drops
the graph; so do keywords numpy allows and a row does not take (`out=`, `dtype=`, `where=`,
`initial=`), unless they are given at numpy's default.

`np.array(v)` and `np.asarray(v)` are no protocol calls: they give the data as a plain array.
Nor is a list of Values a Value: numpy makes it a plain array before any protocol runs, so
`np.sum([v, w])` has no gradient; join them with `np.stack([v, w])` first.

>>> x = Value([1.0, 2.0]); y = np.sum(np.exp(x)); y.backward(); x.grad.round(3)
array([2.718, 7.389])
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Dict, Tuple

import numpy as np

from autograd import linalg, ops
from autograd.op import shape_of
from autograd.value import Marker, Value

ON_DATA = Marker("ON_DATA")
"""A row for functions whose results carry no gradient by their nature (booleans, indices,
shapes): numpy runs on the Values' data and its result is returned as it is."""


def _dot(a: Any, b: Any) -> Any:
    """np.dot where it is a product Values have: scalars scale, vectors and matrices matmul."""
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return ops.mul(a, b)
    if len(sa) > 2 or len(sb) > 2:
        raise TypeError(f"numpy.dot: operands of shapes {sa} and {sb}: dot of arrays with more "
                        "than 2 dimensions is not supported on Values; use np.matmul for "
                        "stacks of matrices")
    return ops.matmul(a, b)


def _concatenate(arrays: Any, axis: Any = 0) -> Any:
    """np.concatenate, and with axis=None of the flattened arrays."""
    if axis is None:
        return ops.concatenate([ops.reshape(a, -1) for a in arrays])
    return ops.concatenate(arrays, axis)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, *, min: Any = None,
          max: Any = None) -> Any:
    """np.clip with numpy's two spellings of the bounds (a_min/a_max or min/max)."""
    if (a_min is not None and min is not None) or (a_max is not None and max is not None):
        raise TypeError("numpy.clip: give each bound once, as a_min or min (a_max or max)")
    return ops.clip(a, min if a_min is None else a_min, max if a_max is None else a_max)


def _broadcast_arrays(*args: Any) -> tuple:
    """np.broadcast_arrays: each argument broadcast to the shape of all of them."""
    shape = np.broadcast_shapes(*map(shape_of, args))
    return tuple(ops.broadcast_to(a, shape) for a in args)


def _accumulate(name: str, op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """A ufunc's accumulate (np.add.accumulate: our cumsum), along one axis, 0 by default.
    numpy refuses a 0-d value and axis=None there (where our op would flatten): so do we."""
    def accumulate(array: Any, axis: Any = 0) -> Any:
        if axis is None or not shape_of(array):
            raise ValueError(f"numpy.{name}.accumulate: axis={axis!r} of a value of shape "
                             f"{shape_of(array)}: accumulate runs along one axis of a value of "
                             "1 or more dimensions, as numpy's; np.cumsum and np.cumprod with "
                             "axis=None run along the flattened value")
        return op(array, axis)
    return accumulate


def _flip_axis(name: str, axis: int) -> Callable[[Any], Any]:
    """np.flipud (axis 0) or np.fliplr (axis 1): a flip that needs that axis to exist."""
    def flip(m: Any) -> Any:
        if len(shape_of(m)) <= axis:
            raise ValueError(f"numpy.{name}: a value of shape {shape_of(m)} has no axis {axis} "
                             f"to flip; {name} needs a value of {axis + 1} or more dimensions")
        return ops.flip(m, axis)
    return flip


def _sort(a: Any, axis: Any = -1, kind: Any = None, *, stable: Any = None) -> Any:
    """np.sort, a sorted copy. Every kind sorts to the same numbers (numpy may put equal ones,
    as 0.0 and -0.0, either way round), and ours is stable: equal entries keep their order,
    which decides where each one's gradient goes. So `kind` and `stable` choose nothing here;
    numpy checks them, on an empty array."""
    np.sort(np.empty(0), kind=kind, stable=stable)
    return ops.sort(a, axis)


def _einsum(*operands: Any, optimize: Any = False) -> Any:
    """np.einsum with the subscripts as a string. `optimize` only chooses the order in which
    numpy multiplies the operands; ours picks its own (numpy's greedy path), same result."""
    if not operands or not isinstance(operands[0], str):
        raise TypeError("numpy.einsum: on Values, give the subscripts as a string first, as "
                        "in np.einsum('ij,jk->ik', a, b); the form with lists of axis numbers "
                        "is not supported")
    return ops.einsum(*operands)


# numpy function -> what runs when a Value is among its arguments. One row per function:
# - a ufunc's row is called with the ufunc's inputs in order (Values, arrays or numbers);
#   its `outer` method comes with it (ufuncs of two inputs);
# - any other function's row (a ufunc method such as np.add.reduce included) takes numpy's
#   names for the arguments it supports, with numpy's defaults; other arguments are refused
#   unless given at numpy's default (a function of *args, as np.einsum, gets them as *args);
# - ON_DATA runs numpy on the data, for results that have no gradient (booleans, indices).
NUMPY: Dict[Any, Any] = {
    np.add: ops.add,
    np.subtract: ops.sub,
    np.multiply: ops.mul,
    np.divide: ops.div,
    np.power: ops.power,
    np.negative: ops.neg,
    np.positive: lambda x: +x,
    np.square: lambda x: ops.mul(x, x),
    np.reciprocal: lambda x: ops.div(1.0, x),
    np.absolute: ops.abs,
    np.exp: ops.exp,
    np.log: ops.log,
    np.log1p: ops.log1p,
    np.sqrt: ops.sqrt,
    np.tanh: ops.tanh,
    np.sin: ops.sin,
    np.cos: ops.cos,
    np.tan: ops.tan,
    np.arcsin: ops.arcsin,
    np.arccos: ops.arccos,
    np.arctan: ops.arctan,
    np.sinh: ops.sinh,
    np.cosh: ops.cosh,
    np.arctanh: ops.arctanh,
    np.log2: ops.log2,
    np.log10: ops.log10,
    np.exp2: ops.exp2,
    np.expm1: ops.expm1,
    np.sign: ops.sign,
    np.floor: ops.floor,
    np.ceil: ops.ceil,
    np.rint: ops.round,
    np.maximum: ops.maximum,
    np.minimum: ops.minimum,
    np.matmul: ops.matmul,
    np.add.reduce: lambda array, axis=0, keepdims=False: ops.sum(array, axis, keepdims),
    np.maximum.reduce: lambda array, axis=0, keepdims=False: ops.max(array, axis, keepdims),
    np.minimum.reduce: lambda array, axis=0, keepdims=False: ops.min(array, axis, keepdims),
    np.multiply.reduce: lambda array, axis=0, keepdims=False: ops.prod(array, axis, keepdims),
    np.add.accumulate: _accumulate("add", ops.cumsum),
    np.multiply.accumulate: _accumulate("multiply", ops.cumprod),
    np.sum: lambda a, axis=None, keepdims=False: ops.sum(a, axis, keepdims),
    np.mean: lambda a, axis=None, keepdims=False: ops.mean(a, axis, keepdims),
    np.max: lambda a, axis=None, keepdims=False: ops.max(a, axis, keepdims),
    np.amax: lambda a, axis=None, keepdims=False: ops.max(a, axis, keepdims),
    np.min: lambda a, axis=None, keepdims=False: ops.min(a, axis, keepdims),
    np.amin: lambda a, axis=None, keepdims=False: ops.min(a, axis, keepdims),
    np.prod: lambda a, axis=None, keepdims=False: ops.prod(a, axis, keepdims),
    np.var: lambda a, axis=None, ddof=0, keepdims=False: ops.var(a, axis, ddof=ddof,
                                                                 keepdims=keepdims),
    np.std: lambda a, axis=None, ddof=0, keepdims=False: ops.std(a, axis, ddof=ddof,
                                                                 keepdims=keepdims),
    np.cumsum: lambda a, axis=None: ops.cumsum(a, axis),
    np.cumprod: lambda a, axis=None: ops.cumprod(a, axis),
    np.round: lambda a, decimals=0: ops.round(a, decimals),
    np.around: lambda a, decimals=0: ops.round(a, decimals),
    np.sort: _sort,
    np.linalg.norm: ops.norm,
    np.dot: _dot,
    np.outer: lambda a, b: ops.mul(ops.reshape(a, (-1, 1)), ops.reshape(b, (1, -1))),
    np.clip: _clip,
    np.where: lambda condition, x, y: ops.where(condition, x, y),
    np.reshape: lambda a, shape: ops.reshape(a, shape),
    np.ravel: lambda a: ops.reshape(a, -1),
    np.transpose: lambda a, axes=None: ops.transpose(a, axes),
    np.broadcast_to: lambda array, shape: ops.broadcast_to(array, shape),
    np.broadcast_arrays: _broadcast_arrays,
    np.expand_dims: lambda a, axis: ops.expand_dims(a, axis),
    np.concatenate: _concatenate,
    np.stack: lambda arrays, axis=0: ops.stack(arrays, axis),
    np.split: lambda ary, indices_or_sections, axis=0: ops.split(ary, indices_or_sections, axis),
    np.array_split: lambda ary, indices_or_sections, axis=0: ops.array_split(
        ary, indices_or_sections, axis),
    np.squeeze: lambda a, axis=None: ops.squeeze(a, axis),
    np.flip: lambda m, axis=None: ops.flip(m, axis),
    np.flipud: _flip_axis("flipud", 0),
    np.fliplr: _flip_axis("fliplr", 1),
    np.roll: lambda a, shift, axis=None: ops.roll(a, shift, axis),
    np.repeat: lambda a, repeats, axis=None: ops.repeat(a, repeats, axis),
    np.tile: lambda A, reps: ops.tile(A, reps),
    np.pad: lambda array, pad_width, mode="constant", constant_values=None: ops.pad(
        array, pad_width, mode, constant_values),
    np.moveaxis: lambda a, source, destination: ops.moveaxis(a, source, destination),
    np.swapaxes: lambda a, axis1, axis2: ops.swapaxes(a, axis1, axis2),
    np.take: lambda a, indices, axis=None: ops.take(a, indices, axis),
    np.take_along_axis: lambda arr, indices, axis=-1: ops.take_along_axis(arr, indices, axis),
    np.einsum: _einsum,
    np.tensordot: ops.tensordot,
    np.linalg.inv: linalg.inv,
    np.linalg.solve: linalg.solve,
    np.linalg.det: linalg.det,
    np.linalg.slogdet: linalg.slogdet,
    np.linalg.cholesky: linalg.cholesky,
    np.linalg.eigh: linalg.eigh,
    np.linalg.eigvalsh: lambda a, UPLO="L": linalg.eigh(a, UPLO).eigenvalues,
    np.linalg.svd: linalg.svd,
    np.linalg.svdvals: lambda x: linalg.svd(x, compute_uv=False),
    np.equal: ON_DATA,
    np.not_equal: ON_DATA,
    np.less: ON_DATA,
    np.less_equal: ON_DATA,
    np.greater: ON_DATA,
    np.greater_equal: ON_DATA,
    np.isfinite: ON_DATA,
    np.isnan: ON_DATA,
    np.isinf: ON_DATA,
    np.signbit: ON_DATA,
    np.shape: ON_DATA,
    np.ndim: ON_DATA,
    np.size: ON_DATA,
    np.argmax: ON_DATA,
    np.argmin: ON_DATA,
    np.argsort: ON_DATA,
    np.isclose: ON_DATA,
    np.allclose: ON_DATA,
    np.array_equal: ON_DATA,
}

# What to do instead of a keyword that is refused.
_INSTEAD = {
    "out": "writing into an array would drop the graph; use the Value it returns "
           "(a = a + v, not a += v)",
    "where": "choose the entries afterwards with np.where(mask, result, other)",
    "dtype": "a Value keeps its dtype; convert it first with v.astype(dtype)",
    "initial": "combine the result with the initial value yourself, as in "
               "np.maximum(np.max(v), initial) or np.prod(v) * initial",
    "correction": "give the same number as ddof=",
    "hermitian": "call it without hermitian=: the singular values are the same (the "
                 "singular vectors may differ in sign)",
}


def _array_ufunc(self: Value, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
    """numpy's ufunc protocol: `np.exp(v)`, `np.add(2.0, v)`, `array * v`, `np.add.reduce(v)`."""
    if any(map(_foreign, inputs)) or (kwargs and any(map(_foreign, kwargs.get("out", ())))):
        return NotImplemented
    row = NUMPY.get(ufunc)
    if row is not None and row is not ON_DATA and method == "__call__":
        if kwargs:
            _refuse_keywords(_ufunc_name(ufunc, method), kwargs)
        return row(*inputs)
    name = _ufunc_name(ufunc, method)
    if row is ON_DATA:
        return _on_data(name, getattr(ufunc, method), inputs, kwargs)
    if row is not None and method == "outer":   # (numpy allows it for two-input ufuncs only)
        _refuse_keywords(name, kwargs)
        a, b = inputs
        return row(ops.reshape(a, shape_of(a) + (1,) * len(shape_of(b))), b)
    method_row = NUMPY.get(getattr(ufunc, method))
    if method_row is None:
        raise _unsupported(name, "it writes into its first argument in place, which cannot be "
                           "recorded; build a new value instead" if method == "at" else "")
    return _call(name, method_row, inputs, kwargs, {})


def _array_function(self: Value, func: Callable[..., Any], types: Tuple[type, ...],
                    args: tuple, kwargs: dict) -> Any:
    """numpy's function protocol: `np.sum(v)`, `np.concatenate([a, v])`, `np.where(c, v, 0)`."""
    if not all(issubclass(t, (Value, np.ndarray)) for t in types):
        return NotImplemented
    row = NUMPY.get(func)
    name = f"{func.__module__}.{func.__name__}"
    if row is None:
        raise _unsupported(name)
    if row is ON_DATA:
        return _on_data(name, func, args, kwargs)
    numpys, starred = _parameters(func)     # (numpy checked the arguments against them)
    if starred:                 # np.einsum(*operands): the row takes the positional ones too
        return _call(name, row, args, kwargs, numpys)
    named = dict(zip(numpys, args))
    named.update(kwargs)
    return _call(name, row, (), named, numpys)


def _call(name: str, row: Callable[..., Any], inputs: tuple, named: dict, defaults: dict) -> Any:
    """Run `row` on the inputs and the named arguments it takes; refuse any other argument
    not given at its default (None for a ufunc's keywords, and for those of np.clip's
    **kwargs)."""
    takes = _parameters(row)[0]
    passed = {}
    for key, value in named.items():
        if key in takes:
            passed[key] = value
        elif not _is_default(value, defaults.get(key)):
            raise _refused(name, key)
    if any(default is _REQUIRED and key not in passed
           for key, default in list(takes.items())[len(inputs):]):
        raise TypeError(f"{name}: this call is not supported on Values; Values are supported "
                        f"as {name.split('.')[-1]}{inspect.signature(row)}")
    return row(*inputs, **passed)


def _refuse_keywords(name: str, kwargs: dict) -> None:
    """A ufunc call on Values takes its inputs only; keywords are refused unless None."""
    for key, value in kwargs.items():
        if value is not None:
            raise _refused(name, key)


def _on_data(name: str, func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """Run numpy on the data of the Values, for a result without a gradient; a floating
    result would have one, so it is refused (its row must be an op)."""
    out = func(*map(_data, args), **{key: _data(v) for key, v in kwargs.items()})
    parts = out if isinstance(out, tuple) else (out,)
    if any(isinstance(p, (float, np.floating))
           or (isinstance(p, np.ndarray) and p.dtype.kind in "fc") for p in parts):
        raise TypeError(f"{name} gave floating-point numbers from the data of Values, which "
                        "would carry no gradient: its row in autograd.numpy_dispatch.NUMPY "
                        "must be an op, not ON_DATA")
    return out


def _data(x: Any) -> Any:
    """`x` with every Value (also inside a list or tuple) replaced by its data."""
    if isinstance(x, Value):
        return x.data
    if type(x) in (list, tuple):
        return type(x)(_data(item) for item in x)
    return x


def _foreign(x: Any) -> bool:
    """Whether `x` is another library's array, which gets its own turn at the call."""
    kind = type(x)
    return (kind is not np.ndarray and kind is not float and hasattr(kind, "__array_ufunc__")
            and not isinstance(x, (Value, np.generic)))


def _is_default(value: Any, default: Any) -> bool:
    return value is default or (isinstance(default, str) and isinstance(value, str)
                                and value == default)


_REQUIRED = inspect.Parameter.empty


_STARRED = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


@functools.lru_cache(maxsize=None)
def _parameters(func: Callable[..., Any]) -> Tuple[Dict[str, Any], bool]:
    """The named parameters of a numpy function or a row, in order, with their defaults
    (_REQUIRED for none), and whether it takes any number of positional arguments."""
    parameters = inspect.signature(func).parameters.values()
    return ({p.name: p.default for p in parameters if p.kind not in _STARRED},
            any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters))


def _ufunc_name(ufunc: np.ufunc, method: str) -> str:
    return f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")


def _unsupported(name: str, why: str = "") -> TypeError:
    return TypeError(f"{name} is not supported on Values: "
                     f"{why or 'there is no differentiable version of it here yet'}"
                     "; README's 'numpy code on Values' lists what is, and a Value's .data "
                     "gives a plain array (without gradient)")


def _refused(name: str, key: str) -> TypeError:
    instead = _INSTEAD.get(key, f"call it without {key}=")
    return TypeError(f"{name}: {key}= is not supported on Values; {instead}")


Value.__array_ufunc__ = _array_ufunc
Value.__array_function__ = _array_function
