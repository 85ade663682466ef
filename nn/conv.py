"""Convolutional layers with PyTorch's names, signatures and layouts: Conv1d/Conv2d, MaxPool1d/2d,
AvgPool1d/2d, AdaptiveAvgPool1d/2d, Flatten and BatchNorm2d.

Inputs are (N, C, L) or (N, C, H, W) (one unbatched sample (C, ...) also works where PyTorch
allows it). A convolution's `weight` is (out_channels, in_channels // groups, *kernel_size) and
its `bias` (out_channels,), drawn as PyTorch draws them, so a PyTorch model's state_dict, as
numpy arrays, loads into the same layers unchanged. Arguments are checked when a layer is
built; what the functional op refuses in an input is reported with the layer's name.

>>> import nn, numpy as np
>>> conv = nn.Conv2d(1, 4, 3, padding=1, seed=0)
>>> conv.weight.shape, conv.bias.shape, conv(np.zeros((2, 1, 8, 8))).shape
((4, 1, 3, 3), (4,), (2, 4, 8, 8))
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

import autograd as ag
from autograd import Value
from nn import checks
from nn.init import Rng, as_generator
from nn.layers import as_input
from nn.module import Module
from nn.parameter import Parameter

Size = Union[int, Sequence[int]]
Shape = Optional[Union[int, Tuple[int, ...]]]


def _per_axis(value: Any, d: int, name: str, layer: str, minimum: int) -> Tuple[int, ...]:
    """An int, or d ints (one per spatial axis), each at least `minimum`, as d ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * d
    if len(items) != d:
        raise ValueError(f"{layer}: {name} must be an int or {d} ints (one per spatial axis), "
                         f"got {value!r}")
    return tuple(checks.int_at_least(v, name, layer, minimum) for v in items)


def _windows(size: Tuple[int, ...], kernel: Tuple[int, ...], stride: Tuple[int, ...],
             padding: Tuple[int, ...], dilation: Tuple[int, ...],
             ceil_mode: bool = False) -> Tuple[int, ...]:
    """How many windows fit along each spatial axis (PyTorch's output-size rule): with
    ceil_mode rounded up, but the last window starts inside the input or its padding before."""
    counts = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        span = n + 2 * p - d * (k - 1) - 1
        count = (-(-span // s) if ceil_mode else span // s) + 1
        counts.append(count - 1 if ceil_mode and (count - 1) * s >= n + p else count)
    return tuple(counts)


@contextmanager
def _named(module: Module) -> Iterator[None]:
    """Put the layer (type and arguments) in front of what an op refuses about an input."""
    try:
        yield
    except ValueError as error:
        raise ValueError(f"{type(module).__name__}({module.extra_repr()}): {error}") from error


def _sample_shape(input_size: Shape, d: int) -> Optional[Tuple[int, ...]]:
    """`input_size` as the shape (C, *spatial) of one sample, or None if it is not one."""
    if isinstance(input_size, tuple) and len(input_size) == d + 1:
        return input_size
    return None


class _ConvNd(Module):
    """The convolution layers' common body; subclasses fix the number of spatial axes."""

    _d = 0
    _conv: Callable[..., Any]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Size, stride: Size = 1,
                 padding: Union[Size, str] = 0, dilation: Size = 1, groups: int = 1,
                 bias: bool = True, dtype: Any = np.float64, seed: Rng = None) -> None:
        super().__init__()
        name, d = type(self).__name__, self._d
        self.in_channels = checks.positive_int(in_channels, "in_channels", name)
        self.out_channels = checks.positive_int(out_channels, "out_channels", name)
        self.groups = checks.positive_int(groups, "groups", name)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{name}: groups={self.groups} must divide both in_channels="
                             f"{self.in_channels} and out_channels={self.out_channels}")
        self.kernel_size = _per_axis(kernel_size, d, "kernel_size", name, 1)
        self.stride = _per_axis(stride, d, "stride", name, 1)
        self.dilation = _per_axis(dilation, d, "dilation", name, 1)
        self.padding = self._checked_padding(padding)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"{name}: bias must be True or False, got {bias!r}")
        dt = checks.float_dtype(dtype, name)
        rng = as_generator(seed)
        fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in)     # PyTorch's kaiming_uniform(a=sqrt(5)) and bias rule
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(rng.uniform(-bound, bound, size=shape).astype(dt))
        self.register_parameter("bias", Parameter(
            rng.uniform(-bound, bound, size=self.out_channels).astype(dt)) if bias else None)

    def _checked_padding(self, padding: Any) -> Union[Tuple[int, ...], str]:
        name = type(self).__name__
        if not isinstance(padding, str):
            return _per_axis(padding, self._d, "padding", name, 0)
        if padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be ints, 'same' or 'valid', got {padding!r}")
        if padding == "same" and any(s != 1 for s in self.stride):
            raise ValueError(f"{name}: padding='same' needs stride 1 (as in PyTorch), got "
                             f"stride={self.stride}; give the padding as ints")
        return padding

    def forward(self, x: Any) -> Value:
        with _named(self):
            return self._conv(as_input(x, self.weight.dtype), self.weight, self.bias,
                              self.stride, self.padding, self.dilation, self.groups)

    def output_size(self, input_size: Shape) -> Optional[Tuple[int, ...]]:
        """(out_channels, *spatial) for one sample of shape (in_channels, *spatial)."""
        sample = _sample_shape(input_size, self._d)
        if sample is None:
            return None
        size = sample[1:]
        if self.padding == "same":
            return (self.out_channels,) + size
        pads = (0,) * self._d if self.padding == "valid" else self.padding
        return (self.out_channels,) + _windows(size, self.kernel_size, self.stride, pads,
                                               self.dilation)

    def config(self) -> Dict[str, Any]:
        padding = self.padding if isinstance(self.padding, str) else list(self.padding)
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": padding, "dilation": list(self.dilation), "groups": self.groups,
                "bias": self.bias is not None, "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._d:
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self._d:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv1d(_ConvNd):
    """A 1-D convolution over (N, in_channels, L), as torch.nn.Conv1d; weight
    (out_channels, in_channels // groups, k), initialised as PyTorch does.

    >>> Conv1d(2, 3, 5, stride=2, seed=0)(np.ones((4, 2, 11))).shape
    (4, 3, 4)
    """

    _d = 1
    _conv = staticmethod(ag.conv1d)


class Conv2d(_ConvNd):
    """A 2-D convolution over (N, in_channels, H, W), as torch.nn.Conv2d; weight
    (out_channels, in_channels // groups, kH, kW), initialised as PyTorch does: weight and
    bias uniform in +-1/sqrt(fan_in), fan_in = in_channels // groups * kH * kW.

    >>> Conv2d(3, 8, (3, 5), seed=0)(np.ones((1, 3, 10, 10))).shape
    (1, 8, 8, 6)
    """

    _d = 2
    _conv = staticmethod(ag.conv2d)


class _PoolNd(Module):
    """The pooling layers' common arguments, checked as the functional op checks them; they
    are kept as given (PyTorch's attributes), and as one int per spatial axis for shapes."""

    _d = 0

    def __init__(self, kernel_size: Size, stride: Optional[Size], padding: Size,
                 dilation: Size, ceil_mode: bool) -> None:
        super().__init__()
        name, d = type(self).__name__, self._d
        if not isinstance(ceil_mode, (bool, np.bool_)):
            raise TypeError(f"{name}: ceil_mode must be True or False, got {ceil_mode!r}")
        kernel = _per_axis(kernel_size, d, "kernel_size", name, 1)
        pads = _per_axis(padding, d, "padding", name, 0)
        if any(2 * p > k for p, k in zip(pads, kernel)):
            raise ValueError(f"{name}: padding={padding!r} must be at most half of "
                             f"kernel_size={kernel_size!r} (PyTorch's rule)")
        strides = kernel if stride is None else _per_axis(stride, d, "stride", name, 1)
        self._geometry = (kernel, strides, pads, _per_axis(dilation, d, "dilation", name, 1))
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = bool(ceil_mode)

    def output_size(self, input_size: Shape) -> Optional[Tuple[int, ...]]:
        """(C, *spatial) of the output for one sample of shape (C, *spatial)."""
        sample = _sample_shape(input_size, self._d)
        if sample is None:
            return None
        return sample[:1] + _windows(sample[1:], *self._geometry, self.ceil_mode)


class _MaxPoolNd(_PoolNd):
    """Max pooling's arguments, PyTorch's: with return_indices the layer returns (output,
    indices), the indices into each input plane flattened (see autograd's max_pool1d)."""

    _pool: Callable[..., Any]

    def __init__(self, kernel_size: Size, stride: Optional[Size] = None, padding: Size = 0,
                 dilation: Size = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)
        if not isinstance(return_indices, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}: return_indices must be True or False, got "
                            f"{return_indices!r}")
        self.dilation = dilation
        self.return_indices = bool(return_indices)

    def forward(self, x: Any) -> Any:
        with _named(self):
            return self._pool(x, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window of (N, C, L), as torch.nn.MaxPool1d (the stride defaults
    to the kernel size; ties give the gradient to the first maximum, as PyTorch on CPU)."""

    _d = 1
    _pool = staticmethod(ag.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """The maximum of each window of (N, C, H, W), as torch.nn.MaxPool2d.

    >>> MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    _d = 2
    _pool = staticmethod(ag.max_pool2d)


class _AvgPoolNd(_PoolNd):
    """Average pooling's arguments (PyTorch's, without divisor_override)."""

    _pool: Callable[..., Any]

    def __init__(self, kernel_size: Size, stride: Optional[Size] = None, padding: Size = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding, 1, ceil_mode)
        if not isinstance(count_include_pad, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}: count_include_pad must be True or False, "
                            f"got {count_include_pad!r}")
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Any) -> Any:
        with _named(self):
            return self._pool(x, self.kernel_size, self.stride, self.padding,
                              ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool1d(_AvgPoolNd):
    """The mean of each window of (N, C, L), as torch.nn.AvgPool1d (zero padding, counted in
    the mean unless count_include_pad=False)."""

    _d = 1
    _pool = staticmethod(ag.avg_pool1d)


class AvgPool2d(_AvgPoolNd):
    """The mean of each window of (N, C, H, W), as torch.nn.AvgPool2d."""

    _d = 2
    _pool = staticmethod(ag.avg_pool2d)


class _AdaptiveAvgPoolNd(Module):
    """Adaptive average pooling's target size: an int, or one per axis (None keeps it). The
    `output_size` attribute of PyTorch's layer is `output_size()` here, summary's protocol."""

    _d = 0
    _pool: Callable[..., Any]

    def __init__(self, output_size: Union[Optional[int], Sequence[Optional[int]]]) -> None:
        super().__init__()
        name, d = type(self).__name__, self._d
        sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (
            output_size,) * d
        if len(sizes) != d:
            raise ValueError(f"{name}: output_size must be an int or {d} ints (None keeps "
                             f"that axis), got {output_size!r}")
        for size in sizes:
            if size is not None:
                checks.positive_int(size, "output_size", name)
        self._sizes = sizes
        self._given = output_size

    def forward(self, x: Any) -> Any:
        with _named(self):
            return self._pool(x, self._given)

    def output_size(self, input_size: Shape) -> Optional[Tuple[int, ...]]:
        """(C, *output_size) for one sample of shape (C, *spatial)."""
        sample = _sample_shape(input_size, self._d)
        if sample is None:
            return None
        return sample[:1] + tuple(n if m is None else m
                                  for m, n in zip(self._sizes, sample[1:]))

    def extra_repr(self) -> str:
        return f"output_size={self._given!r}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, L) to `output_size` windows, as torch.nn.AdaptiveAvgPool1d."""

    _d = 1
    _pool = staticmethod(ag.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, H, W) to an `output_size` grid, as torch.nn.AdaptiveAvgPool2d;
    `AdaptiveAvgPool2d(1)` is a CNN's global average pooling.

    >>> AdaptiveAvgPool2d(1)(np.ones((2, 3, 5, 5))).shape
    (2, 3, 1, 1)
    """

    _d = 2
    _pool = staticmethod(ag.adaptive_avg_pool2d)


class Flatten(Module):
    """Join axes start_dim..end_dim into one, as torch.nn.Flatten: by default (N, C, H, W)
    becomes (N, C * H * W), the step from convolutions to a dense classifier.

    >>> Flatten()(np.zeros((2, 3, 4, 5))).shape
    (2, 60)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"Flatten: {name} must be an int, got {value!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def _flat_shape(self, shape: Tuple[int, ...]) -> Tuple[int, ...]:
        n = len(shape)
        start = self.start_dim + n if self.start_dim < 0 else self.start_dim
        end = self.end_dim + n if self.end_dim < 0 else self.end_dim
        if not (0 <= start < max(n, 1) and 0 <= end < max(n, 1)) or start > end:
            raise ValueError(f"Flatten({self.extra_repr()}): the axes {self.start_dim}.."
                             f"{self.end_dim} are not an ordered range of an input of shape "
                             f"{shape}; choose start_dim <= end_dim within its {n} axes")
        return shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]

    def forward(self, x: Any) -> Any:
        data = x if isinstance(x, Value) else np.asarray(x)
        return data.reshape(self._flat_shape(tuple(data.shape)))

    def output_size(self, input_size: Shape) -> Shape:
        """The flattened shape of one sample of shape `input_size` (the batch axis is not in
        it, so start_dim counts it)."""
        if not isinstance(input_size, tuple):
            return input_size
        flat = self._flat_shape((1,) + input_size)[1:]
        return flat[0] if len(flat) == 1 else flat

    def config(self) -> Dict[str, Any]:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class BatchNorm2d(Module):
    """Batch normalisation of (N, C, H, W) per channel, as torch.nn.BatchNorm2d.

    Training normalises with the statistics of the batch over N, H and W and updates
    `running_mean` and `running_var` (the unbiased variance) by `momentum` (None: their
    cumulative average over the batches seen, counted in `num_batches_tracked`); evaluation
    normalises with them. `weight` and `bias` (with affine=True) scale and shift each channel.
    The parameter and buffer names are PyTorch's, so its state_dict loads unchanged.

    >>> bn = BatchNorm2d(3)
    >>> [name for name in bn.state_dict()]
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, dtype: Any = np.float64) -> None:
        super().__init__()
        self.num_features = checks.positive_int(num_features, "num_features", "BatchNorm2d")
        self.eps = checks.finite_float(eps, "eps", "BatchNorm2d", 0.0, low_open=True)
        self.momentum = None if momentum is None else checks.finite_float(
            momentum, "momentum", "BatchNorm2d", 0.0, 1.0)
        if not isinstance(affine, (bool, np.bool_)):
            raise TypeError(f"BatchNorm2d: affine must be True or False, got {affine!r}")
        dt = checks.float_dtype(dtype, "BatchNorm2d")
        c = self.num_features
        self.register_parameter("weight", Parameter(np.ones(c, dtype=dt)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(c, dtype=dt)) if affine else None)
        self.register_buffer("running_mean", np.zeros(c, dtype=dt))
        self.register_buffer("running_var", np.ones(c, dtype=dt))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def forward(self, x: Any) -> Value:
        x = as_input(x, self.running_mean.dtype)
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm2d({self.extra_repr()}): expected input (N, "
                             f"{self.num_features}, H, W), got shape {x.shape}")
        per_channel = (1, self.num_features, 1, 1)
        if self.training:
            count = x.size // self.num_features
            if count < 2:
                raise ValueError(f"BatchNorm2d({self.extra_repr()}): training needs more than "
                                 f"one value per channel, got input of shape {x.shape}")
            mean = x.mean(axis=(0, 2, 3), keepdims=True)
            centred = x - mean
            var = (centred * centred).mean(axis=(0, 2, 3), keepdims=True)
            ag.state_update(lambda mean, var: self._track(
                mean.reshape(-1), var.reshape(-1) * (count / (count - 1))), mean, var)
        else:
            # Values (needing no gradient), so a compiled program reads the buffers each call
            centred = x - Value(self.running_mean.reshape(per_channel), requires_grad=False)
            var = Value(self.running_var.reshape(per_channel), requires_grad=False)
        out = centred / ag.sqrt(var + self.eps)
        if self.weight is not None:
            out = out * self.weight.reshape(per_channel) + self.bias.reshape(per_channel)
        return out

    def _track(self, mean: np.ndarray, unbiased_var: np.ndarray) -> None:
        """Move the running statistics towards this batch's, as PyTorch does."""
        batches = self.num_batches_tracked + 1
        m = 1.0 / float(batches) if self.momentum is None else self.momentum
        dt = self.running_mean.dtype
        self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(dt)
        self.running_var = ((1 - m) * self.running_var + m * unbiased_var).astype(dt)
        self.num_batches_tracked = np.array(batches, dtype=np.int64)

    def output_size(self, input_size: Shape) -> Shape:
        return input_size

    def config(self) -> Dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.weight is not None, "dtype": str(self.running_mean.dtype)}

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


__all__: List[str] = ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
                      "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "Flatten", "BatchNorm2d"]
