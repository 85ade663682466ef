"""A small reverse-mode autograd engine over Python floats and numpy arrays.

>>> from autograd import Value
>>> x = Value(3.0); y = x * x + 2 * x; y.backward(); x.grad
8.0
"""
from autograd.value import Value
from autograd.op import Op
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd.anomaly import detect_anomaly
from autograd.ops import (  # elementwise
    abs, add, arccos, arcsin, arctan, arctanh, ceil, clip, cos, cosh, div, erf, exp, exp2, expm1,
    floor, log, log1p, log2, log10, maximum, minimum, mul, neg, power, relu, round, sigmoid, sign,
    sin, sinh, sqrt, sub, tan, tanh, where)
from autograd.ops import (  # reductions, scans, sorting
    argmax, argmin, argsort, cumprod, cumsum, logsumexp, max, mean, min, norm, prod, sort, std,
    sum, topk, var)
from autograd.ops import (  # shape, layout, gathers
    array_split, broadcast_to, concatenate, expand_dims, flip, getitem, index_add, moveaxis, pad,
    repeat, reshape, roll, split, squeeze, stack, sum_to, swapaxes, take, take_along_axis, tile,
    transpose)
from autograd.ops import affine, astype, einsum, matmul, tensordot
from autograd.ops import (  # convolution and pooling
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, avg_pool1d, avg_pool2d,
    avg_pool3d, conv, conv1d, conv2d, conv3d, max_pool1d, max_pool2d, max_pool3d)
from autograd.ops import gru_step, lstm_step, rnn_step  # recurrent cells
from autograd.ops import gru_sequence, lstm_sequence, rnn_sequence  # recurrent sequences
from autograd import linalg
from autograd.engine import backward
from autograd import copying  # noqa: F401  (attaches copy and pickle support to Value)
from autograd import numpy_dispatch  # noqa: F401  (attaches numpy's protocols to Value)
from autograd.functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from autograd.gradcheck import GradcheckError, OpFinding, check_ops, gradcheck
from autograd.tape import TracerError, fresh_random, state_update
from autograd.compile import Compiled, compile
from autograd.tape import check_values  # value checks a compiled program runs again

__all__ = [
    "Value", "Op", "backward", "detect_anomaly", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "grad", "value_and_grad", "jacobian", "hessian", "hvp", "vjp", "jvp",
    "gradcheck", "GradcheckError", "check_ops", "OpFinding", "linalg",
    "compile", "Compiled", "TracerError", "fresh_random", "state_update",  # compile
    # elementwise
    "add", "sub", "mul", "div", "power", "neg", "abs", "exp", "exp2", "expm1", "log", "log1p",
    "log2", "log10", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "arctanh", "erf", "sigmoid", "relu", "clip", "maximum", "minimum", "where", "sign",
    "floor", "ceil", "round",
    # reductions, scans, sorting
    "sum", "mean", "max", "min", "logsumexp", "prod", "var", "std", "norm", "cumsum", "cumprod",
    "sort", "topk", "argsort", "argmax", "argmin",
    # shape, layout, gathers
    "reshape", "transpose", "broadcast_to", "sum_to", "expand_dims", "squeeze", "getitem",
    "concatenate", "stack", "split", "array_split", "flip", "roll", "repeat", "tile", "pad",
    "moveaxis", "swapaxes", "take", "take_along_axis", "index_add",
    # products
    "matmul", "affine", "einsum", "tensordot", "astype",
    # convolution and pooling
    "conv", "conv1d", "conv2d", "conv3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
    "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "rnn_step", "lstm_step", "gru_step",  # recurrent cells
    "rnn_sequence", "lstm_sequence", "gru_sequence",  # recurrent sequences
    "check_values",  # value checks a compiled program runs again
]
__version__ = "0.1.0"
