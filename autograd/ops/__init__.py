"""Every primitive and composite op, importable from one place. Importing a family also
attaches its operators and methods to Value."""
from autograd.ops.elementwise import (abs, add, clip, cos, div, exp, log, log1p, maximum,
                                      minimum, mul, neg, power, relu, sigmoid, sin, sqrt, sub,
                                      tanh, where)
from autograd.ops.elementwise import (arccos, arcsin, arctan, arctanh, ceil, cosh, erf, exp2,
                                      expm1, floor, log2, log10, round, sign, sinh, tan)
from autograd.ops.shape import (concatenate, expand_dims, getitem, reshape, stack, swap_last,
                                transpose)
from autograd.ops.reductions import broadcast_to, logsumexp, max, mean, min, sum, sum_to
from autograd.ops.linalg import affine, matmul
from autograd.ops.linalg import einsum, tensordot
from autograd.ops.cast import astype
from autograd.ops.reductions import norm, prod, std, var
from autograd.ops.scans import cumprod, cumsum
from autograd.ops.sorting import TopK, argmax, argmin, argsort, sort, topk
from autograd.ops.gather import index_add, take, take_along_axis
from autograd.ops.layout import (array_split, flip, moveaxis, pad, repeat, roll, split, squeeze,
                                 swapaxes, tile)
