"""Layers: micrograd's Neuron, array layers (Layer, MLP), and the usual extras."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Union

import numpy as np

import autograd as ag
from autograd import Value
from nn import checks
from nn import functional as F
from nn.containers import ModuleList
from nn.init import Rng, as_generator, initialize
from nn.module import Module
from nn.parameter import Parameter, ParameterList

Init = Union[str, Any, None]


def as_input(x: Any, dtype: np.dtype) -> Any:
    """Raw input data as a Value of the layer's dtype that needs no gradient; Values pass. A
    float array of that dtype is used as it is; other data is converted by a recorded `astype`
    (so a compiled program converts each call's data)."""
    if isinstance(x, Value):
        return x
    v = Value(x, requires_grad=False)
    return v if v.dtype == dtype else ag.astype(v, dtype)


class Neuron(Module):
    """One neuron: a weight per input (scalar Values, as in micrograd) and a bias.

    With a list of scalar inputs it builds micrograd's scalar graph, b + w0*x0 + w1*x1 + ...,
    then the activation, so the graph can be drawn and taught; `fused=True` makes that sum
    one `affine` node instead (the same numbers, several times faster to train, drawn as one
    op). With an array input `(nin,)` or `(N, nin)` the same math runs as one product.

    >>> n = Neuron(2, activation='tanh', seed=0)
    >>> n([1.0, -2.0]).shape
    ()
    """

    def __init__(self, nin: int, activation: F.Activation = "relu", init: Init = None,
                 dtype: Any = np.float64, seed: Rng = None, fused: bool = False) -> None:
        super().__init__()
        self.nin = checks.positive_int(nin, "nin", "Neuron")
        self.activation = activation
        self.fused = bool(fused)
        self._act = F.get_activation(activation)
        name = F.activation_name(activation)
        weights = initialize(init, name, (self.nin,), as_generator(seed), np.dtype(dtype))
        self.w = ParameterList(Parameter(float(v) if weights.dtype == np.float64 else v.copy())
                               for v in weights)
        self.b = Parameter(0.0 if np.dtype(dtype) == np.float64 else np.zeros((), dtype=dtype))

    def forward(self, x: Any) -> Value:
        if isinstance(x, (list, tuple)):
            if len(x) != self.nin:
                raise ValueError(f"Neuron: expected {self.nin} inputs, got {len(x)}")
            if self.fused:
                act = ag.affine(self.w, x, self.b)
            else:
                act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        else:
            x = as_input(x, self.b.dtype)
            if x.shape[-1:] != (self.nin,):
                raise ValueError(f"Neuron: expected inputs of shape (N, {self.nin}) or "
                                 f"({self.nin},), got {x.shape}")
            act = x @ ag.stack(self.w) + self.b
        return self._act(act)

    def output_size(self, input_size: Optional[int]) -> int:
        return 1

    def config(self) -> Dict[str, Any]:
        return {"nin": self.nin, "activation": F.activation_name(self._act),
                "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        fused = ", fused=True" if self.fused else ""
        return f"{self.nin}, activation={F.activation_name(self.activation)!r}{fused}"


class Layer(Module):
    """A dense layer: `activation(x @ W + b)` with `W (nin, nout)` and `b (nout,)`.

    Takes a batch `(N, nin)` or one sample `(nin,)`.

    >>> Layer(3, 2, seed=0)(np.ones((5, 3))).shape
    (5, 2)
    """

    def __init__(self, nin: int, nout: int, activation: F.Activation = "relu", init: Init = None,
                 dtype: Any = np.float64, seed: Rng = None, bias: bool = True) -> None:
        super().__init__()
        self.nin = checks.positive_int(nin, "nin", "Layer")
        self.nout = checks.positive_int(nout, "nout", "Layer")
        self.activation = activation
        self._act = F.get_activation(activation)
        dt = np.dtype(dtype)
        self.W = Parameter(initialize(init, F.activation_name(activation), (self.nin, self.nout),
                                      as_generator(seed), dt))
        self.register_parameter("b", Parameter(np.zeros(self.nout, dtype=dt)) if bias else None)

    def forward(self, x: Any) -> Value:
        x = as_input(x, self.W.dtype)
        if x.shape[-1:] != (self.nin,):
            raise ValueError(f"Layer: expected inputs of shape (N, {self.nin}) or ({self.nin},), "
                             f"got {x.shape}")
        out = x @ self.W
        if self.b is not None:
            out = out + self.b
        return self._act(out)

    def output_size(self, input_size: Optional[int]) -> int:
        return self.nout

    def config(self) -> Dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": F.activation_name(self._act),
                "bias": self.b is not None, "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        return f"{self.nin}, {self.nout}, activation={F.activation_name(self.activation)!r}"


class MLP(Module):
    """A multi-layer perceptron with micrograd's signature: `MLP(nin, nouts)`.

    Hidden layers use `activation`; the last layer is linear unless `output_activation` says
    otherwise.

    >>> model = MLP(2, [16, 16, 1], seed=0)
    >>> [layer.nout for layer in model.layers]
    [16, 16, 1]
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: F.Activation = "relu",
                 output_activation: F.Activation = None, init: Init = None,
                 dtype: Any = np.float64, seed: Rng = None) -> None:
        super().__init__()
        if not isinstance(nouts, (list, tuple)):
            raise TypeError(f"MLP: nouts must be a list of layer sizes such as [16, 1], got "
                            f"{nouts!r} ({checks.type_phrase(nouts)}); for a single layer of "
                            f"{nouts!r} write MLP({nin!r}, [{nouts!r}])")
        if not nouts:
            raise ValueError("MLP: nouts must list at least one layer size")
        rng = as_generator(seed)
        sizes = [checks.positive_int(nin, "nin", "MLP")] + [
            checks.positive_int(n, f"nouts[{i}]", "MLP") for i, n in enumerate(nouts)]
        last = len(nouts) - 1
        self.layers = ModuleList(
            Layer(sizes[i], sizes[i + 1], activation if i < last else output_activation,
                  init=init, dtype=dtype, seed=rng)
            for i in range(len(nouts)))

    def forward(self, x: Any) -> Value:
        for layer in self.layers:
            x = layer(x)
        return x

    def config(self) -> Dict[str, Any]:
        """The hidden layers' activation is None when there are none (it would not be used)."""
        used = [layer.config()["activation"] for layer in self.layers]
        return {"nin": self.layers[0].nin, "nouts": [layer.nout for layer in self.layers],
                "activation": used[0] if len(used) > 1 else None,
                "output_activation": used[-1], "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        return f"{self.layers[0].nin}, {[layer.nout for layer in self.layers]}"


class Activation(Module):
    """An activation as a module, for use in `Sequential`."""

    def __init__(self, activation: F.Activation) -> None:
        super().__init__()
        self.activation = activation
        self._act = F.get_activation(activation)

    def forward(self, x: Any) -> Any:
        return self._act(x)

    def config(self) -> Dict[str, Any]:
        return {"activation": F.activation_name(self._act)}

    def extra_repr(self) -> str:
        return repr(F.activation_name(self.activation))


class Dropout(Module):
    """Zero each input with probability `p` in training and scale the rest by 1/(1-p);
    the identity in evaluation mode."""

    def __init__(self, p: float = 0.5, seed: Rng = None) -> None:
        super().__init__()
        self.p = checks.finite_float(p, "p", "Dropout", 0.0, 1.0)
        self._rng = as_generator(seed)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        data = x.data if isinstance(x, Value) else np.asarray(x)
        shape, scale = np.shape(data), 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        # From the dtype, not the data: a Python float (float64) must not become float32.
        dtype = np.result_type(np.asarray(data).dtype, np.float32)
        return x * ag.fresh_random(
            lambda: ((self._rng.random(shape) >= self.p) * scale).astype(dtype))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm(Module):
    """Batch normalisation over the batch axis of `(N, num_features)` inputs.

    Training normalises with the batch statistics and updates running estimates (the
    unbiased batch variance, as PyTorch does); evaluation uses the running estimates.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        self.num_features = checks.positive_int(num_features, "num_features", "BatchNorm")
        self.eps = checks.finite_float(eps, "eps", "BatchNorm", 0.0, low_open=True)
        self.momentum = checks.finite_float(momentum, "momentum", "BatchNorm", 0.0, 1.0)
        self.gamma = Parameter(np.ones(self.num_features, dtype=dtype))
        self.beta = Parameter(np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dtype))

    def forward(self, x: Any) -> Value:
        x = as_input(x, self.gamma.dtype)
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm: expected inputs of shape (N, {self.num_features}), "
                             f"got {x.shape}")
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError("BatchNorm: training needs more than one sample per batch")
            mean = x.mean(axis=0)
            centred = x - mean
            var = (centred * centred).mean(axis=0)
            ag.state_update(lambda mean, var: self._track(mean, var * n / (n - 1)), mean, var)
        else:
            centred = x - Value(self.running_mean, requires_grad=False)
            var = Value(self.running_var, requires_grad=False)
        return centred / ag.sqrt(var + self.eps) * self.gamma + self.beta

    def _track(self, mean: np.ndarray, unbiased_var: np.ndarray) -> None:
        """Move the running statistics towards this batch's."""
        m = self.momentum
        self.running_mean = ((1 - m) * self.running_mean + m * mean).astype(
            self.running_mean.dtype)
        self.running_var = ((1 - m) * self.running_var + m * unbiased_var).astype(
            self.running_var.dtype)

    def output_size(self, input_size: Optional[int]) -> int:
        return self.num_features

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class PReLU(Module):
    """Leaky ReLU with a learnable negative slope (one shared, or one per feature)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        size = checks.positive_int(num_parameters, "num_parameters", "PReLU")
        self.weight = Parameter(np.full(size, checks.finite_float(init, "init", "PReLU"),
                                        dtype=dtype))

    def forward(self, x: Any) -> Value:
        return F.prelu(as_input(x, self.weight.dtype), self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.weight.size}"


class Maxout(Module):
    """Maxout (Goodfellow et al., 2013): the largest of `pieces` affine maps per output."""

    def __init__(self, nin: int, nout: int, pieces: int = 2, init: Init = None,
                 dtype: Any = np.float64, seed: Rng = None) -> None:
        super().__init__()
        self.nin = checks.positive_int(nin, "nin", "Maxout")
        self.nout = checks.positive_int(nout, "nout", "Maxout")
        self.pieces = checks.positive_int(pieces, "pieces", "Maxout")
        dt = np.dtype(dtype)
        self.W = Parameter(initialize(init, "linear", (self.nin, self.nout * self.pieces),
                                      as_generator(seed), dt))
        self.b = Parameter(np.zeros(self.nout * self.pieces, dtype=dt))

    def forward(self, x: Any) -> Value:
        x = as_input(x, self.W.dtype)
        if x.shape[-1:] != (self.nin,):
            raise ValueError(f"Maxout: expected inputs of shape (N, {self.nin}), got {x.shape}")
        z = x @ self.W + self.b
        return z.reshape(z.shape[:-1] + (self.nout, self.pieces)).max(axis=-1)

    def output_size(self, input_size: Optional[int]) -> int:
        return self.nout

    def config(self) -> Dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "pieces": self.pieces,
                "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        return f"{self.nin}, {self.nout}, pieces={self.pieces}"
