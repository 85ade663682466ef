"""Linear algebra with gradients, named as in `numpy.linalg` (`autograd.linalg.inv`, ...).

The ops are defined in `autograd/ops/decompositions.py`, whose docstring states the
conventions where a gradient is not unique or does not exist (symmetric inputs, singular
matrices, repeated eigenvalues and singular values, signs of vectors).
"""
from autograd.ops.decompositions import (EighResult, SlogdetResult, SVDResult, cholesky, det,
                                         eigh, inv, slogdet, solve, svd)

__all__ = ["inv", "solve", "det", "slogdet", "cholesky", "eigh", "svd", "EighResult",
           "SlogdetResult", "SVDResult"]
