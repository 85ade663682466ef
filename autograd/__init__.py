"""A small reverse-mode autograd engine over Python floats and numpy arrays.

>>> from autograd import Value
>>> x = Value(3.0); y = x * x + 2 * x; y.backward(); x.grad
8.0
"""
from autograd.value import Value
from autograd.op import Op
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd.anomaly import detect_anomaly
from autograd.ops import (arccos, arcsin, arctan, arctanh, ceil, cosh, erf, exp2, expm1, floor,
                          log2, log10, round, sign, sinh, tan)
from autograd.ops import (abs, add, affine, astype, broadcast_to, clip, concatenate, cos, div, exp,
                          expand_dims, getitem, log, log1p, logsumexp, matmul, max, maximum, mean,
                          min, minimum, mul, neg, power, relu, reshape, sigmoid, sin, sqrt, stack,
                          sub, sum, sum_to, tanh, transpose, where)
from autograd.ops import (argmax, argmin, argsort, cumprod, cumsum, norm, prod, sort, std, topk,
                          var)
from autograd.ops import (array_split, flip, index_add, moveaxis, pad, repeat, roll, split,
                          squeeze, swapaxes, take, take_along_axis, tile)
from autograd.ops import einsum, tensordot
from autograd import linalg
from autograd.engine import backward
from autograd import copying  # noqa: F401  (attaches copy and pickle support to Value)
from autograd import numpy_dispatch  # noqa: F401  (attaches numpy's protocols to Value)
from autograd.functional import grad, value_and_grad
from autograd.functional import hessian, hvp, jacobian, jvp, vjp
from autograd.gradcheck import GradcheckError, gradcheck
from autograd.gradcheck import OpFinding, check_ops

__all__ = [
    "Value", "Op", "backward", "detect_anomaly", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "grad", "value_and_grad", "gradcheck", "GradcheckError",
    "check_ops", "OpFinding",
    "jacobian", "hessian", "hvp", "vjp", "jvp",
    "add", "sub", "mul", "div", "power", "neg", "exp", "log", "log1p", "sqrt", "tanh",
    "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arctanh", "log2", "log10", "exp2",
    "expm1", "erf", "sign", "floor", "ceil", "round",
    "sigmoid", "relu", "sin", "cos", "clip", "maximum", "minimum", "where", "astype", "mean",
    "logsumexp", "reshape", "transpose", "broadcast_to", "sum_to", "expand_dims", "getitem",
    "concatenate", "stack", "matmul", "affine",
    "prod", "cumsum", "cumprod", "var", "std", "norm", "sort", "topk", "argsort", "argmax",
    "argmin",
    "split", "array_split", "squeeze", "flip", "roll", "repeat", "tile", "pad", "moveaxis",
    "swapaxes", "take", "take_along_axis", "index_add",
    "einsum", "tensordot", "linalg",
]
__version__ = "0.1.0"
