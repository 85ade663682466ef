"""PyTorch's `LayerNorm`: `weight` and `bias` over the last `normalized_shape` axes, so its
state_dict keys are PyTorch's (`norm1.weight`, `norm1.bias` in a Transformer layer).

`nn.LayerNorm` (learnable `gamma` and `beta` over the last axis) is the older layer of this
library and stays as it is; this one is what the Transformer modules use.

>>> import numpy as np
>>> norm = LayerNorm(4)
>>> [name for name, _ in norm.named_parameters()], norm(np.arange(8.0).reshape(2, 4)).shape
(['weight', 'bias'], (2, 4))
"""
from __future__ import annotations

import numbers
from typing import Any, Dict, Sequence, Tuple, Union

import numpy as np

from autograd import Op, Value
from autograd.vjp_source import register
from nn import checks
from nn.module import Module
from nn.normalization_source import standardize_forward, standardize_vjp
from nn.parameter import Parameter


def _normalized_shape(shape: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    """`normalized_shape` as a tuple of positive ints (an int n means (n,))."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"LayerNorm: normalized_shape must be an int or a non-empty tuple of "
                        f"ints (the sizes of the last axes), got {shape!r}")
    return tuple(checks.positive_int(n, "normalized_shape", "LayerNorm") for n in shape)


def _standardize_forward(x: np.ndarray, axes: Tuple[int, ...], eps: float) -> np.ndarray:
    centred = x - x.mean(axis=axes, keepdims=True)
    return centred * _inverse_std(centred, axes, eps)


def _inverse_std(centred: Any, axes: Tuple[int, ...], eps: float) -> Any:
    """1 / sqrt(var + eps) from the centred values (raw or Values), as the forward computes it
    and its VJP again (and a compiled program's VJP reads it from the forward)."""
    return ((centred * centred).mean(axis=axes, keepdims=True) + eps) ** -0.5


def _standardize_vjp(g: Any, ans: Any, x: Any, axes: Tuple[int, ...], eps: float) -> Any:
    """With y = (x - mean) / s: dx = (g - mean(g) - y mean(g y)) / s, s recomputed from x (so
    the VJP is differentiable again through x and y)."""
    centred = x - x.mean(axis=axes, keepdims=True)
    return _inverse_std(centred, axes, eps) * (
        g - g.mean(axis=axes, keepdims=True)
        - ans * (g * ans).mean(axis=axes, keepdims=True))


# (x - mean) / sqrt(var + eps) over `axes` as one node: a third of the ops of the composed form.
_standardize = Op("standardize", _standardize_forward, _standardize_vjp)
register(_standardize, forward=standardize_forward, vjp=standardize_vjp)   # compiled as source


class LayerNorm(Module):
    """Normalise each sample over its last `len(normalized_shape)` axes to mean 0 and variance
    1 (the biased variance, plus `eps`), then scale by `weight` and shift by `bias` (ones and
    zeros at first), as PyTorch's `nn.LayerNorm`."""

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = checks.finite_float(eps, "eps", "LayerNorm", 0.0, low_open=True)
        self.elementwise_affine = bool(elementwise_affine)
        dt = self._dtype = checks.float_dtype(dtype, "LayerNorm")
        affine, shifted = self.elementwise_affine, self.elementwise_affine and bool(bias)
        self.register_parameter(
            "weight", Parameter(np.ones(self.normalized_shape, dtype=dt)) if affine else None)
        self.register_parameter(
            "bias", Parameter(np.zeros(self.normalized_shape, dtype=dt)) if shifted else None)

    def forward(self, x: Any) -> Value:
        if not isinstance(x, Value):
            x = Value(np.asarray(x, dtype=self._dtype), requires_grad=False)
        n = len(self.normalized_shape)
        if x.shape[x.ndim - n:] != self.normalized_shape or x.ndim < n:
            raise ValueError(f"LayerNorm({self.extra_repr()}): expected inputs of shape "
                             f"(*, {', '.join(map(str, self.normalized_shape))}), got "
                             f"{x.shape}; the last axes must be normalized_shape")
        out = _standardize(x, axes=tuple(range(-n, 0)), eps=self.eps)
        if self.weight is not None:
            out = out * self.weight
        return out if self.bias is None else out + self.bias

    def output_size(self, input_size: Any) -> Any:
        return input_size

    def config(self) -> Dict[str, Any]:
        return {"normalized_shape": list(self.normalized_shape), "eps": self.eps,
                "elementwise_affine": self.elementwise_affine, "bias": self.bias is not None,
                "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
