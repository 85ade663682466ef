"""Elementwise primitives. Each line pair: the forward on raw data, then its VJPs.

Python floats use `math` (a float op costs a fraction of a 0-d numpy op); arrays use numpy;
both follow the same rules. Subgradient conventions at kinks, as PyTorch's: relu'(0) = 0,
abs'(0) = 0, maximum/minimum split the gradient evenly between tied inputs, and clip gives
it to x when x equals a bound (see `clip` for the bounds' share).

At NaN inputs the gradients are PyTorch's. Arithmetic propagates NaN (exp, log, tanh,
sigmoid, ...: a NaN input gets a NaN gradient, and so does the other input of x * y or x / y);
the ops that choose where the gradient goes say at their VJP what a NaN does.
"""
from __future__ import annotations

import builtins
import math
import operator
from typing import Any, Callable

import numpy as np

from autograd.op import Op, binary_method, data_of, unary_method
from autograd.ops.special import erf_of_array
from autograd.value import Value


def _float_or_array(math_fn: Callable[[float], float], np_fn: Callable[[Any], Any]):
    """A forward that uses `math_fn` on Python floats and `np_fn` on arrays."""
    def forward(x: Any) -> Any:
        return math_fn(x) if type(x) is float else np_fn(x)
    return forward


def _broadcast_error(word: str) -> Callable[..., str]:
    return lambda a, b, **_: f"{word}: shapes {a} and {b} cannot be broadcast together"


def _sign(x: Any) -> Any:
    """sign(x), and 0 at NaN as PyTorch's (numpy's is NaN): [x > 0] - [x < 0], both false at
    NaN; as int8 for arrays, so that g * sign keeps g's dtype."""
    if type(x) is float:
        return float((x > 0) - (x < 0))
    return (x > 0).view(np.int8) - (x < 0).view(np.int8)


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
    """numpy's clip: max(x, lo), then min(.., hi), so hi wins when lo > hi; NaN anywhere gives
    NaN. A bound may be None."""
    if type(x) is float and type(lo) is not np.ndarray and type(hi) is not np.ndarray:
        if lo is not None:
            x = lo if x < lo else x if x >= lo else math.nan      # neither: x or lo is NaN
        if hi is not None:
            x = hi if x > hi else x if x <= hi else math.nan
        return x
    return np.clip(x, lo, hi)


# Where clip's gradient goes, on raw data (a bound may be None): PyTorch's comparisons, and
# every comparison with a NaN is false.
def _to_x(x: Any, lo: Any, hi: Any) -> Any:
    """lo <= x <= hi: x is the output, also when it equals a bound."""
    if lo is None:
        return x <= hi
    if hi is None:
        return x >= lo
    return (x >= lo) & (x <= hi)


def _to_lo(x: Any, lo: Any, hi: Any) -> Any:
    """x < lo < hi: lo is the output."""
    return x < lo if hi is None else (x < lo) & (lo < hi)


def _to_hi(x: Any, lo: Any, hi: Any) -> Any:
    """x > hi, or crossed bounds (hi < lo: the output is hi whatever x is), or equal bounds
    with x below them, where the output is lo = hi and moves with both: PyTorch gives neither
    bound the gradient there; hi gets it, as when the bounds cross."""
    if lo is None:
        return x > hi
    return (x > hi) | (hi < lo) | ((hi == lo) & (x < lo))


def _clip_vjp(to: Callable[[Any, Any, Any], Any], lower: bool = True,
              upper: bool = True) -> Callable[..., Any]:
    """The VJP of one input of clip: g where `to` says that input is the output. The op's
    inputs are x and the bounds it has (`lower`, `upper` or both)."""
    def vjp(g: Any, ans: Any, x: Any, *bounds: Any) -> Any:
        lo = data_of(bounds[0]) if lower else None
        hi = data_of(bounds[-1]) if upper else None
        return g * to(data_of(x), lo, hi)
    return vjp


def _where(a: Any, b: Any, cond: Any) -> Any:
    if type(a) is float and type(b) is float and isinstance(cond, (bool, np.bool_)):
        return a if cond else b
    return np.where(cond, a, b)


def _power_less_one(x: Any, y: Any) -> Any:
    """x^(y-1), for d(x^y)/dx = y x^(y-1); but 0 (as 0^1, a constant) where y == 0 and x is 0
    or NaN. x^0 = 1 for every x, NaN included, so d(x^y)/dx = 0 there (PyTorch's), where
    y x^(y-1) would be 0 * inf or 0 * NaN. Only there: elsewhere at y == 0, x^(y-1) keeps the
    derivative in y, d(y x^(y-1))/dy = x^(y-1) + ..., right."""
    xd, yd = data_of(x), data_of(y)
    flat = yd == 0
    if flat if type(flat) is bool else flat.any():
        flat = flat & ((xd == 0) | (xd != xd))
        if np.any(flat):
            one = np.ones((), dtype=np.result_type(xd, yd))    # keeps float32
            return power(where(flat, 0.0 * one, x), where(flat, one, y - 1.0))
    return power(x, y - 1.0)            # the usual case: no mask, and y's own dtype


def _base_for_log(x: Any, y: Any) -> Any:
    """x, but 1 where x == 0 and y >= 0: there d(x^y)/dy = 0 (PyTorch's convention), not
    0 * log 0 = nan."""
    return where((data_of(x) == 0) & (data_of(y) >= 0), 1.0, x)


def _share(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """x's part of g in maximum(x, y) or minimum(x, y): all of g where the output is not y (x
    wins, or the output is NaN: PyTorch gives the whole gradient to both inputs there), half
    where x and y tie."""
    xd, yd = data_of(x), data_of(y)
    return g * (data_of(ans) != yd) + (g * (xd == yd)) * 0.5


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
           lambda g, ans, x, y: g * y * _power_less_one(x, y),              # y x^(y-1)
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
abs = Op("abs", _float_or_array(math.fabs, np.abs),    # d|x|/dx = sign x, 0 at 0 and NaN
         lambda g, ans, x: g * _sign(data_of(x)))
tanh = Op("tanh", _float_or_array(math.tanh, np.tanh),
          lambda g, ans, x: g * (1.0 - ans * ans))     # d(tanh x)/dx = 1 - tanh^2 x
sigmoid = Op("sigmoid", _sigmoid,
             lambda g, ans, x: g * ans * (1.0 - ans))  # d(s(x))/dx = s(x)(1 - s(x))
relu = Op("relu", _relu,                              # d(relu x)/dx = [x > 0] = [relu x
          lambda g, ans, x: g * (ans != 0))            # != 0], and 1 at NaN as in PyTorch
sin = Op("sin", _float_or_array(math.sin, np.sin),
         lambda g, ans, x: g * cos(x))                 # d(sin x)/dx = cos x
cos = Op("cos", _float_or_array(math.cos, np.cos),
         lambda g, ans, x: -g * sin(x))                # d(cos x)/dx = -sin x
_clip_op = Op("clip", _clip, _clip_vjp(_to_x), _clip_vjp(_to_lo), _clip_vjp(_to_hi),
              describe_error=lambda *shapes: (
                  f"clip: x and bounds of shapes {' and '.join(map(str, shapes))} cannot be "
                  "broadcast together"))
_clip_lo_op = Op("clip", lambda x, lo: _clip(x, lo, None),       # clip(x, lo): no upper bound
                 _clip_vjp(_to_x, upper=False), _clip_vjp(_to_lo, upper=False),
                 describe_error=_broadcast_error("clip"))
_clip_hi_op = Op("clip", lambda x, hi: _clip(x, None, hi),       # clip(x, hi=hi): no lower one
                 _clip_vjp(_to_x, lower=False), _clip_vjp(_to_hi, lower=False),
                 describe_error=_broadcast_error("clip"))
maximum = Op("maximum", np.maximum,                               # 1 where x > y or NaN
             lambda g, ans, x, y: _share(g, ans, x, y),
             lambda g, ans, x, y: _share(g, ans, y, x),
             describe_error=_broadcast_error("maximum"))
minimum = Op("minimum", np.minimum,                               # 1 where x < y or NaN
             lambda g, ans, x, y: _share(g, ans, x, y),
             lambda g, ans, x, y: _share(g, ans, y, x),
             describe_error=_broadcast_error("minimum"))
_where_op = Op("where", _where,
               lambda g, ans, a, b, cond: where(cond, g, 0.0),    # a flows where cond holds
               lambda g, ans, a, b, cond: where(cond, 0.0, g),    # b flows elsewhere
               describe_error=lambda a, b, cond=None: (
                   f"where: condition of shape {np.shape(cond)} and values of shapes {a} and "
                   f"{b} cannot be broadcast together"))


def clip(x: Any, lo: Any = None, hi: Any = None) -> Any:
    """Limit `x` to [lo, hi], as numpy's clip and PyTorch's clamp: max(x, lo), then min with
    hi (so hi wins when lo > hi). Either bound may be None, a number, an array or a Value,
    broadcasting against x; Value bounds get gradients.

    The gradient goes to the input the output equals: x where lo <= x <= hi (x also gets it
    where it equals a bound), lo where x < lo < hi, hi where x > hi or hi < lo, as in PyTorch;
    and hi where lo == hi with x below (PyTorch gives neither bound the gradient there). A NaN
    in x or a bound makes the output NaN; comparisons with it are false, so as in PyTorch
    neither x nor that bound gets the gradient, and the other may (hi where x > hi).

    >>> clip(Value([-2.0, 0.5, 3.0]), 0.0, 1.0).data
    array([0. , 0.5, 1. ])
    >>> lo = Value(0.0); clip(Value([-2.0, 0.5, 3.0]), lo, 1.0).sum().backward(); lo.grad
    1.0
    """
    if hi is None:
        if lo is None:
            raise ValueError("clip: give at least one of lo and hi")
        return _clip_lo_op(x, lo)
    return _clip_hi_op(x, hi) if lo is None else _clip_op(x, lo, hi)


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


# ----- more functions: trigonometric, hyperbolic, logarithms and exponentials, erf ---------
# Outside their domains (arcsin of 2, log2 of -1) they give NaN with numpy's warning, not an
# error, and their VJPs give what PyTorch's do there (NaN, or a number where the formula has one).
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

tan = Op("tan", _float_or_array(math.tan, np.tan),
         lambda g, ans, x: g * (1.0 + ans * ans))        # d(tan x)/dx = 1 + tan^2 x
arcsin = Op("arcsin", _float_or_array(math.asin, np.arcsin),
            lambda g, ans, x: g / sqrt(1.0 - x * x))     # 1 / sqrt(1 - x^2)
arccos = Op("arccos", _float_or_array(math.acos, np.arccos),
            lambda g, ans, x: -g / sqrt(1.0 - x * x))    # -1 / sqrt(1 - x^2)
arctan = Op("arctan", _float_or_array(math.atan, np.arctan),
            lambda g, ans, x: g / (1.0 + x * x))         # 1 / (1 + x^2)
sinh = Op("sinh", _float_or_array(math.sinh, np.sinh),
          lambda g, ans, x: g * cosh(x))                 # d(sinh x)/dx = cosh x
cosh = Op("cosh", _float_or_array(math.cosh, np.cosh),
          lambda g, ans, x: g * sinh(x))                 # d(cosh x)/dx = sinh x
arctanh = Op("arctanh", _float_or_array(math.atanh, np.arctanh),
             lambda g, ans, x: g / (1.0 - x * x))        # 1 / (1 - x^2)
log2 = Op("log2", _float_or_array(math.log2, np.log2),
          lambda g, ans, x: g / (x * _LN2))              # 1 / (x ln 2)
log10 = Op("log10", _float_or_array(math.log10, np.log10),
           lambda g, ans, x: g / (x * _LN10))            # 1 / (x ln 10)
exp2 = Op("exp2", _float_or_array(lambda x: 2.0 ** x, np.exp2),
          lambda g, ans, x: g * ans * _LN2)              # d(2^x)/dx = 2^x ln 2
expm1 = Op("expm1", _float_or_array(math.expm1, np.expm1),
           lambda g, ans, x: g * (ans + 1.0))            # d(e^x - 1)/dx = e^x
erf = Op("erf", _float_or_array(math.erf, erf_of_array),  # d(erf x)/dx = 2/sqrt(pi) e^(-x^2)
         lambda g, ans, x: g * _TWO_OVER_SQRT_PI * exp(-(x * x)))


# ----- piecewise constant: sign, floor, ceil, round ----------------------------------------
# Flat except at their jumps, so their gradient is zero everywhere, as PyTorch's: it is the
# derivative wherever there is one, and a stand-in at the jumps (where there is none).
def _signum(x: Any) -> Any:
    """numpy's sign: -1, 0 or 1, and NaN at NaN (PyTorch's sign gives 0 there)."""
    if type(x) is float:
        return x if x != x else float((x > 0) - (x < 0))
    return np.sign(x)


def _integral(math_fn: Callable[[float], int], np_fn: Callable[[Any], Any]):
    """A forward for floor or ceil: `math_fn` on Python floats (its int made a float with the
    sign of x, so ceil(-0.5) is -0.0 as in numpy; inf and NaN are redone by numpy, see
    retry_in_float64), `np_fn` on arrays."""
    def forward(x: Any) -> Any:
        return math.copysign(float(math_fn(x)), x) if type(x) is float else np_fn(x)
    return forward


def _round(x: Any, decimals: int) -> Any:
    """numpy's round: halves to even, after scaling by 10^decimals. Python's round(x, 0) is
    the same for floats (other `decimals` differ: Python's rounds the exact decimal value)."""
    if type(x) is float and decimals == 0:
        return builtins.round(x, 0)
    return np.round(x, decimals)


def _zero_vjp(g: Any, ans: Any, x: Any, **attrs: Any) -> Any:
    """Zeros shaped like g, whatever g holds (PyTorch's zeros_like: an inf or NaN upstream still
    gives 0), made by `where` so that under create_graph they are a recorded Value, as every
    other gradient is."""
    return where(False, g, 0.0)


_sign_op = Op("sign", _signum, _zero_vjp)
_floor_op = Op("floor", _integral(math.floor, np.floor), _zero_vjp)
_ceil_op = Op("ceil", _integral(math.ceil, np.ceil), _zero_vjp)
_round_op = Op("round", _round, _zero_vjp)


def sign(x: Any) -> Any:
    """-1, 0 or 1 by the sign of each entry, and NaN at NaN (numpy's; PyTorch's sign gives 0).
    The gradient is zero, as in PyTorch (sign is flat but at 0).

    >>> x = Value([-2.0, 0.0, 3.0]); y = sign(x); y.sum().backward(); y.data, x.grad
    (array([-1.,  0.,  1.]), array([0., 0., 0.]))
    """
    return _sign_op(x)


def floor(x: Any) -> Any:
    """The largest integer <= each entry, as a float. The gradient is zero, as in PyTorch
    (floor is flat but at the integers).

    >>> floor(Value([-1.5, 0.5, 2.0])).data
    array([-2.,  0.,  2.])
    """
    return _floor_op(x)


def ceil(x: Any) -> Any:
    """The smallest integer >= each entry, as a float. The gradient is zero, as in PyTorch
    (ceil is flat but at the integers).

    >>> ceil(Value([-1.5, 0.5, 2.0])).data
    array([-1.,  1.,  2.])
    """
    return _ceil_op(x)


def round(x: Any, decimals: int = 0) -> Any:
    """Each entry rounded to `decimals` decimal places (negative: to tens, hundreds, ...),
    halves to even, as numpy's round and PyTorch's. The gradient is zero, as in PyTorch (round
    is flat but at the halves). `round(v)`, Python's, still gives an int for a one-element
    Value; `v.round()` gives a Value.

    >>> round(Value([0.5, 1.5, 2.675]), 0).data, round(Value(2.675), decimals=2).data
    (array([0., 2., 3.]), 2.68)
    """
    if not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}")
    return _round_op(x, decimals=int(decimals))


Value.tan = unary_method(tan, "Tangent, elementwise")
Value.arcsin = unary_method(arcsin, "Inverse sine, elementwise (NaN outside [-1, 1])")
Value.arccos = unary_method(arccos, "Inverse cosine, elementwise (NaN outside [-1, 1])")
Value.arctan = unary_method(arctan, "Inverse tangent, elementwise")
Value.sinh = unary_method(sinh, "Hyperbolic sine, elementwise")
Value.cosh = unary_method(cosh, "Hyperbolic cosine, elementwise")
Value.arctanh = unary_method(arctanh, "Inverse hyperbolic tangent, elementwise (NaN outside "
                                      "[-1, 1])")
Value.log2 = unary_method(log2, "Base-2 logarithm, elementwise")
Value.log10 = unary_method(log10, "Base-10 logarithm, elementwise")
Value.exp2 = unary_method(exp2, "2 ** self, elementwise")
Value.expm1 = unary_method(expm1, "e ** self - 1, elementwise (accurate for small self)")
Value.erf = unary_method(erf, "The error function, elementwise")
Value.sign = sign
Value.floor = floor
Value.ceil = ceil
Value.round = round
