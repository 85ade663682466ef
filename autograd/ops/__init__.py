"""Every primitive and composite op, importable from one place. Importing a family also
attaches its operators and methods to Value."""
from autograd.ops.elementwise import (abs, add, clip, cos, div, exp, log, log1p, maximum,
                                      minimum, mul, neg, power, relu, sigmoid, sin, sqrt, sub,
                                      tanh, where)
from autograd.ops.shape import (concatenate, expand_dims, getitem, reshape, stack, swap_last,
                                transpose)
from autograd.ops.reductions import broadcast_to, logsumexp, max, mean, min, sum, sum_to
from autograd.ops.linalg import affine, matmul
from autograd.ops.linalg import einsum, tensordot
from autograd.ops.cast import astype
