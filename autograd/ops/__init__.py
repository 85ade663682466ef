"""Every primitive and composite op, importable from one place. Importing a family also
attaches its operators and methods to Value."""
from autograd.ops.elementwise import (
    abs, add, arccos, arcsin, arctan, arctanh, ceil, clip, cos, cosh, div, erf, exp, exp2, expm1,
    floor, log, log1p, log2, log10, maximum, minimum, mul, neg, power, relu, round, sigmoid, sign,
    sin, sinh, sqrt, sub, tan, tanh, where)
from autograd.ops.shape import (concatenate, expand_dims, getitem, reshape, stack, swap_last,
                                transpose)
from autograd.ops.layout import (array_split, flip, moveaxis, pad, repeat, roll, split, squeeze,
                                 swapaxes, tile)
from autograd.ops.gather import index_add, take, take_along_axis
from autograd.ops.reductions import (broadcast_to, logsumexp, max, mean, min, prod, std,
                                     sum, sum_to, var)
from autograd.ops.norms import norm
from autograd.ops.scans import cumprod, cumsum
from autograd.ops.sorting import TopK, argmax, argmin, argsort, sort, topk
from autograd.ops.linalg import affine, einsum, matmul, tensordot
from autograd.ops.cast import astype
from autograd.ops.convolution import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                               avg_pool1d, avg_pool2d, avg_pool3d, conv, conv1d, conv2d, conv3d,
                               max_pool1d, max_pool2d, max_pool3d)
from autograd.ops.recurrent import gru_step, lstm_step, rnn_step
from autograd.ops.recurrent import gru_sequence, lstm_sequence, rnn_sequence
