"""Elementwise primitives. Each line pair: the forward on raw data, then its VJPs.

Python floats use `math` (a float op costs a fraction of a 0-d numpy op); arrays use numpy.
Subgradient conventions at kinks: relu'(0) = 0, abs'(0) = 0, clip passes the gradient at its
bounds, and maximum/minimum split the gradient evenly between tied inputs.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable

import numpy as np

from autograd.op import Op, binary_method, data_of, unary_method
from autograd.value import Value


def _float_or_array(math_fn: Callable[[float], float], np_fn: Callable[[Any], Any]):
    """A forward that uses `math_fn` on Python floats and `np_fn` on arrays."""
    def forward(x: Any) -> Any:
        return math_fn(x) if type(x) is float else np_fn(x)
    return forward


def _broadcast_error(word: str) -> Callable[..., str]:
    return lambda a, b, **_: f"{word}: shapes {a} and {b} cannot be broadcast together"


def _sign(x: Any) -> Any:
    return float((x > 0) - (x < 0)) if type(x) is float else np.sign(x)


def _relu(x: Any) -> Any:
    if type(x) is float:
        return 0.0 if x <= 0.0 else x
    return np.maximum(x, 0)


def _sigmoid(x: Any) -> Any:
    # Never exponentiate a positive number: no overflow for |x| ~ 1e3 and beyond.
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _clip(x: Any, lo: Any, hi: Any) -> Any:
    if type(x) is float and type(lo) is not np.ndarray and type(hi) is not np.ndarray:
        if lo is not None and x < lo:
            x = float(lo)
        if hi is not None and x > hi:
            x = float(hi)
        return x
    return np.clip(x, lo, hi)


def _inside(x: Any, lo: Any, hi: Any) -> Any:
    """Where clip passes the gradient: lo <= x <= hi (bounds included)."""
    x = data_of(x)
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


def _where(a: Any, b: Any, cond: Any) -> Any:
    if type(a) is float and type(b) is float and isinstance(cond, (bool, np.bool_)):
        return a if cond else b
    return np.where(cond, a, b)


def _exponent_less_one(x: Any, y: Any) -> Any:
    """y - 1, but 1 where x == 0 and y == 0: there d(x^y)/dx = 0, and 0^-1 would make 0 * inf.
    Only there: at y == 0 elsewhere, y - 1 keeps the derivative in y (x^(y-1) + ...) right."""
    both = (data_of(x) == 0) & (data_of(y) == 0)
    if not np.any(both):
        return y - 1.0                  # the usual case: no mask, and y's own dtype
    one = np.ones((), dtype=np.result_type(data_of(x), data_of(y)))    # keeps float32
    return where(both, one, y - 1.0)


def _base_for_log(x: Any, y: Any) -> Any:
    """x, but 1 where x == 0 and y >= 0: there d(x^y)/dy = 0 (PyTorch's convention), not
    0 * log 0 = nan."""
    return where((data_of(x) == 0) & (data_of(y) >= 0), 1.0, x)


def _share(g: Any, x: Any, y: Any, wins: Callable[[Any, Any], Any]) -> Any:
    """Gradient for x in maximum/minimum: all of g where x wins, half where x and y tie."""
    xd, yd = data_of(x), data_of(y)
    return g * wins(xd, yd) + (g * (xd == yd)) * 0.5


add = Op("+", operator.add,
         lambda g, ans, x, y: g,                       # d(x+y)/dx = 1
         lambda g, ans, x, y: g,                       # d(x+y)/dy = 1
         describe_error=_broadcast_error("add (+)"))
sub = Op("-", operator.sub,
         lambda g, ans, x, y: g,                       # d(x-y)/dx = 1
         lambda g, ans, x, y: -g,                      # d(x-y)/dy = -1
         describe_error=_broadcast_error("subtract (-)"))
mul = Op("*", operator.mul,
         lambda g, ans, x, y: g * y,                   # d(xy)/dx = y
         lambda g, ans, x, y: g * x,                   # d(xy)/dy = x
         describe_error=_broadcast_error("multiply (*)"))
div = Op("/", operator.truediv,
         lambda g, ans, x, y: g / y,                   # d(x/y)/dx = 1/y
         lambda g, ans, x, y: -g * ans / y,            # d(x/y)/dy = -x/y^2
         describe_error=_broadcast_error("divide (/)"))
power = Op("**", lambda x, y: math.pow(x, y) if type(x) is float and type(y) is float
           else np.power(x, y),
           lambda g, ans, x, y: g * y * power(x, _exponent_less_one(x, y)),  # y x^(y-1)
           lambda g, ans, x, y: g * ans * log(_base_for_log(x, y)),      # x^y log x
           describe_error=_broadcast_error("power (**)"))
neg = Op("neg", operator.neg,
         lambda g, ans, x: -g)                         # d(-x)/dx = -1
exp = Op("exp", _float_or_array(math.exp, np.exp),
         lambda g, ans, x: g * ans)                    # d(e^x)/dx = e^x
log = Op("log", _float_or_array(math.log, np.log),
         lambda g, ans, x: g / x)                      # d(log x)/dx = 1/x
log1p = Op("log1p", _float_or_array(math.log1p, np.log1p),
           lambda g, ans, x: g / (1.0 + x))            # d(log(1+x))/dx = 1/(1+x)
sqrt = Op("sqrt", _float_or_array(math.sqrt, np.sqrt),
          lambda g, ans, x: g / (2.0 * ans))           # d(sqrt x)/dx = 1/(2 sqrt x)
abs = Op("abs", _float_or_array(math.fabs, np.abs),
         lambda g, ans, x: g * _sign(data_of(x)))      # d|x|/dx = sign x
tanh = Op("tanh", _float_or_array(math.tanh, np.tanh),
          lambda g, ans, x: g * (1.0 - ans * ans))     # d(tanh x)/dx = 1 - tanh^2 x
sigmoid = Op("sigmoid", _sigmoid,
             lambda g, ans, x: g * ans * (1.0 - ans))  # d(s(x))/dx = s(x)(1 - s(x))
relu = Op("relu", _relu,
          lambda g, ans, x: g * (ans > 0))             # d(relu x)/dx = [x > 0] = [relu x > 0]
sin = Op("sin", _float_or_array(math.sin, np.sin),
         lambda g, ans, x: g * cos(x))                 # d(sin x)/dx = cos x
cos = Op("cos", _float_or_array(math.cos, np.cos),
         lambda g, ans, x: -g * sin(x))                # d(cos x)/dx = -sin x
_clip_op = Op("clip", _clip,
              lambda g, ans, x, lo, hi: g * _inside(x, lo, hi))   # 1 inside [lo, hi], else 0
maximum = Op("maximum", np.maximum,
             lambda g, ans, x, y: _share(g, x, y, operator.gt),   # 1 where x > y
             lambda g, ans, x, y: _share(g, y, x, operator.gt),   # 1 where y > x
             describe_error=_broadcast_error("maximum"))
minimum = Op("minimum", np.minimum,
             lambda g, ans, x, y: _share(g, x, y, operator.lt),   # 1 where x < y
             lambda g, ans, x, y: _share(g, y, x, operator.lt),   # 1 where y < x
             describe_error=_broadcast_error("minimum"))
_where_op = Op("where", _where,
               lambda g, ans, a, b, cond: where(cond, g, 0.0),    # a flows where cond holds
               lambda g, ans, a, b, cond: where(cond, 0.0, g),    # b flows elsewhere
               describe_error=lambda a, b, cond=None: (
                   f"where: condition of shape {np.shape(cond)} and values of shapes {a} and "
                   f"{b} cannot be broadcast together"))


def clip(x: Any, lo: Any = None, hi: Any = None) -> Any:
    """Limit `x` to [lo, hi] (either bound may be None).

    >>> clip(Value([-2.0, 0.5, 3.0]), 0.0, 1.0).data
    array([0. , 0.5, 1. ])
    """
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi")
    return _clip_op(x, lo=data_of(lo), hi=data_of(hi))


def where(cond: Any, a: Any, b: Any) -> Any:
    """Elementwise `a` where `cond` holds, else `b`; `cond` gets no gradient.

    >>> where(np.array([True, False]), Value([1.0, 2.0]), 0.0).data
    array([1., 0.])
    """
    cond = data_of(cond)
    if not isinstance(cond, (bool, np.bool_)):
        cond = np.asarray(cond, dtype=bool)
    return _where_op(a, b, cond=cond)


# ----- Value's operators and methods for this family (see autograd/value.py) ---------------
Value.__add__ = binary_method(add, "self + other")
Value.__radd__ = binary_method(add, "other + self", reflected=True)
Value.__sub__ = binary_method(sub, "self - other")
Value.__rsub__ = binary_method(sub, "other - self", reflected=True)
Value.__mul__ = binary_method(mul, "self * other")
Value.__rmul__ = binary_method(mul, "other * self", reflected=True)
Value.__truediv__ = binary_method(div, "self / other")
Value.__rtruediv__ = binary_method(div, "other / self", reflected=True)
Value.__pow__ = binary_method(power, "self ** other")
Value.__rpow__ = binary_method(power, "other ** self", reflected=True)
Value.__neg__ = unary_method(neg, "-self")
Value.__pos__ = lambda self: self
Value.__abs__ = Value.abs = unary_method(abs, "|self|, elementwise")
Value.exp = unary_method(exp, "e ** self, elementwise")
Value.log = unary_method(log, "Natural logarithm, elementwise")
Value.log1p = unary_method(log1p, "log(1 + self), elementwise (accurate for small self)")
Value.sqrt = unary_method(sqrt, "Square root, elementwise")
Value.tanh = unary_method(tanh, "Hyperbolic tangent, elementwise")
Value.sigmoid = unary_method(sigmoid, "1 / (1 + e ** -self), elementwise (stable)")
Value.relu = unary_method(relu, "max(self, 0), elementwise")
Value.sin = unary_method(sin, "Sine, elementwise")
Value.cos = unary_method(cos, "Cosine, elementwise")
Value.clip = clip
