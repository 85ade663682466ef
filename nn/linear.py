"""PyTorch's dense layers: `Linear` (weight (out_features, in_features)), `Identity` and
`Embedding` (a table of vectors looked up by integer index), with PyTorch's names, layouts and
default initialisation, so a PyTorch state_dict of the same layers loads as it is.

`nn.Layer` stays the micrograd-style layer (`W` of shape (nin, nout) and an activation);
`Linear` is the one to reach for when following PyTorch code.

>>> import nn, numpy as np
>>> fc = nn.Linear(3, 2, seed=0)
>>> fc.weight.shape, fc.bias.shape, fc(np.ones((5, 3))).shape
((2, 3), (2,), (5, 2))
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np

import autograd as ag
from autograd import Value
from autograd.tape import check_values, refuse_recording
from nn import checks
from nn.init import Rng, as_generator
from nn.layers import as_input
from nn.module import Module
from nn.parameter import Parameter

Size = Optional[Union[int, Tuple[int, ...]]]


def uniform(rng: np.random.Generator, bound: float, shape: Tuple[int, ...],
            dtype: np.dtype) -> Parameter:
    """A Parameter drawn from U(-bound, bound), PyTorch's default for dense and recurrent
    weights."""
    return Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))


class Linear(Module):
    """`y = x @ weight.T + bias`, weight `(out_features, in_features)` and bias
    `(out_features,)`, both drawn from U(-1/sqrt(in_features), 1/sqrt(in_features)) as in
    PyTorch. Takes inputs `(*, in_features)`: any number of leading axes.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float64, seed: Rng = None) -> None:
        super().__init__()
        self.in_features = checks.positive_int(in_features, "in_features", "Linear")
        self.out_features = checks.positive_int(out_features, "out_features", "Linear")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Linear: bias must be True or False, got {bias!r}")
        dt, rng = checks.float_dtype(dtype, "Linear"), as_generator(seed)
        bound = 1.0 / math.sqrt(self.in_features)
        self.weight = uniform(rng, bound, (self.out_features, self.in_features), dt)
        self.register_parameter(
            "bias", uniform(rng, bound, (self.out_features,), dt) if bias else None)

    def forward(self, x: Any) -> Value:
        x = as_input(x, self.weight.dtype)
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear({self.extra_repr()}): expected inputs of shape "
                             f"(*, {self.in_features}), got {x.shape}; the last axis holds "
                             "the features")
        out = x @ self.weight.T
        return out if self.bias is None else out + self.bias

    def output_size(self, input_size: Size) -> Size:
        if isinstance(input_size, tuple):
            return input_size[:-1] + (self.out_features,)
        return self.out_features

    def config(self) -> Dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged: a placeholder where a model takes an optional layer."""

    def forward(self, x: Any) -> Any:
        return x

    def output_size(self, input_size: Size) -> Size:
        return input_size


def _check_indices(idx: np.ndarray, size: int, caller: str) -> None:
    """Every index in [0, size), or an IndexError naming the first that is not."""
    outside = (idx < 0) | (idx >= size)
    if outside.any():
        raise IndexError(f"{caller}: index {int(idx[outside].flat[0])} is out of range; "
                         f"indices run from 0 to {size - 1}")


class Embedding(Module):
    """A table `weight (num_embeddings, embedding_dim)` drawn from N(0, 1), looked up by integer
    indices of any shape: the output has shape `(*indices.shape, embedding_dim)`. The gradient
    of an index used several times accumulates; the row `padding_idx` (zeros at first) is read
    but gets no gradient, as in PyTorch.

    >>> emb = Embedding(10, 4, padding_idx=0, seed=0)
    >>> emb(np.array([[1, 2, 0]])).shape
    (1, 3, 4)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: Optional[int] = None, dtype: Any = np.float64,
                 seed: Rng = None) -> None:
        super().__init__()
        self.num_embeddings = checks.positive_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = checks.positive_int(embedding_dim, "embedding_dim", "Embedding")
        if padding_idx is not None:
            n = self.num_embeddings
            if not isinstance(padding_idx, (int, np.integer)) or not -n <= padding_idx < n:
                raise ValueError(f"Embedding: padding_idx must be an int in [{-n}, {n - 1}] or "
                                 f"None, got {padding_idx!r}")
            padding_idx = int(padding_idx) % n
        self.padding_idx = padding_idx
        dt = checks.float_dtype(dtype, "Embedding")
        table = as_generator(seed).standard_normal((self.num_embeddings, self.embedding_dim))
        if padding_idx is not None:
            table[padding_idx] = 0.0
        self.weight = Parameter(table.astype(dt))

    def forward(self, indices: Any) -> Value:
        if isinstance(indices, Value):
            indices = indices.data
        idx = np.asarray(indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding({self.extra_repr()}): indices must be integers, got "
                            f"dtype {idx.dtype}; convert them with .astype(int)")
        check_values(_check_indices, idx, self.num_embeddings,
                     f"Embedding({self.extra_repr()})")
        rows = ag.take(self.weight, idx, axis=0)
        if self.padding_idx is not None:
            refuse_recording(
                f"Embedding({self.extra_repr()}) keeps the padding row out of the gradient "
                "where this call's indices hold it, a choice a program would keep for every "
                "call (a wrong gradient for that row); call it without compile, or without "
                "padding_idx")
        if self.padding_idx is None or not (idx == self.padding_idx).any():
            return rows
        padded = (idx == self.padding_idx)[..., None]
        return ag.where(padded, self.weight.data[self.padding_idx], rows)

    def output_size(self, input_size: Size) -> Size:
        if isinstance(input_size, tuple):
            return input_size + (self.embedding_dim,)
        return (input_size, self.embedding_dim) if input_size is not None else None

    def config(self) -> Dict[str, Any]:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "padding_idx": self.padding_idx, "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
