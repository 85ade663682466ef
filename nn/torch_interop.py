"""Moving models to and from PyTorch: `to_torch(model)` builds the equivalent `torch.nn`
module with the same weights, `from_torch(module)` builds ours from a PyTorch model made of the
layers this library has.

Layers whose names, signatures and layouts are PyTorch's (Linear, the convolutions and pooling,
BatchNorm2d, LayerNorm, Embedding, the recurrent layers, attention and the Transformer encoder)
move by their constructor arguments and state_dict, unchanged. micrograd's `Layer` and `MLP`
(W of shape (in, out)) become `torch.nn.Linear` (weight (out, in)) with the transpose done, each
followed by its activation. Every module of the model is checked before anything is built, so
an unsupported one raises a TypeError naming it and nothing half-converted is returned. torch is
imported only inside these two functions.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List

import numpy as np

from nn import functional as F
from nn.attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer
from nn.containers import ModuleList, Sequential
from nn.conv import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, BatchNorm2d,
                     Conv1d, Conv2d, Flatten, MaxPool1d, MaxPool2d)
from nn.layers import MLP, Activation, BatchNorm, Dropout, Layer, PReLU
from nn.linear import Embedding, Identity, Linear
from nn.module import Module
from nn.normalization import LayerNorm
from nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

_TORCH_ACTIVATIONS = {F.relu: "ReLU", F.tanh: "Tanh", F.sigmoid: "Sigmoid", F.gelu: "GELU",
                      F.elu: "ELU", F.selu: "SELU", F.silu: "SiLU", F.mish: "Mish",
                      F.linear: "Identity"}
"""Our activation functions with a torch.nn module of the same numbers, by class name; softmax,
log_softmax and leaky_relu take an argument and are handled apart."""


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch and from_torch need PyTorch; install it with `pip install "
                          "torch`") from None
    return torch


def _tensors(torch: Any, state: Dict[str, Any]) -> Dict[str, Any]:
    return {k: torch.from_numpy(np.array(v, copy=True)) for k, v in state.items()}


# ----- ours -> torch -----------------------------------------------------------------------------
def _activation_to_torch(torch: Any, fn: Callable[..., Any], path: str) -> Any:
    """The torch.nn module computing activation `fn`, or a TypeError naming it."""
    tnn = torch.nn
    if fn in _TORCH_ACTIVATIONS:
        return getattr(tnn, _TORCH_ACTIVATIONS[fn])()
    if fn is F.softmax:
        return tnn.Softmax(dim=-1)
    if fn is F.log_softmax:
        return tnn.LogSoftmax(dim=-1)
    if fn is F.leaky_relu:
        return tnn.LeakyReLU()
    if isinstance(fn, functools.partial) and fn.func is F.leaky_relu and not fn.args and set(
            fn.keywords) == {"negative_slope"}:
        return tnn.LeakyReLU(fn.keywords["negative_slope"])
    raise TypeError(f"to_torch: the activation {F.activation_name(fn)!r} of '{path or 'model'}' "
                    f"has no torch.nn counterpart here; use one of "
                    f"{sorted(F.activation_name(f) for f in _TORCH_ACTIVATIONS)}, softmax, "
                    "log_softmax or leaky_relu")


def _micrograd_to_torch(torch: Any, layer: Layer, path: str) -> List[Any]:
    """A micrograd Layer as torch.nn.Linear (weight = W.T), then its activation if any."""
    linear = torch.nn.Linear(layer.nin, layer.nout, bias=layer.b is not None)
    linear = linear.to(_torch_dtype(torch, layer.W.dtype))
    state = {"weight": layer.W.data.T}
    if layer.b is not None:
        state["bias"] = layer.b.data
    linear.load_state_dict(_tensors(torch, state))
    if layer._act is F.linear:
        return [linear]
    return [linear, _activation_to_torch(torch, layer._act, path)]


def _torch_dtype(torch: Any, dtype: Any) -> Any:
    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype)]


def _same_layout(torch: Any, module: Module) -> Any:
    """A PyTorch-layout layer built by its constructor arguments (before its weights)."""
    tnn, kind = torch.nn, type(module)
    if kind is Linear:
        return tnn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
    if kind in (Conv1d, Conv2d):
        return getattr(tnn, kind.__name__)(
            module.in_channels, module.out_channels, module.kernel_size, stride=module.stride,
            padding=module.padding, dilation=module.dilation, groups=module.groups,
            bias=module.bias is not None)
    if kind in (MaxPool1d, MaxPool2d):
        return getattr(tnn, kind.__name__)(module.kernel_size, module.stride, module.padding,
                                           module.dilation, module.return_indices,
                                           module.ceil_mode)
    if kind in (AvgPool1d, AvgPool2d):
        return getattr(tnn, kind.__name__)(module.kernel_size, module.stride, module.padding,
                                           module.ceil_mode, module.count_include_pad)
    if kind in (AdaptiveAvgPool1d, AdaptiveAvgPool2d):
        return getattr(tnn, kind.__name__)(module._given)
    if kind is BatchNorm2d:
        return tnn.BatchNorm2d(module.num_features, module.eps, module.momentum,
                               affine=module.weight is not None)
    if kind is LayerNorm:
        return tnn.LayerNorm(module.normalized_shape, module.eps, module.elementwise_affine,
                             bias=module.bias is not None)
    if kind is Embedding:
        return tnn.Embedding(module.num_embeddings, module.embedding_dim, module.padding_idx)
    if kind in (RNN, LSTM, GRU):
        extra = {"nonlinearity": module.nonlinearity} if kind is RNN else {}
        return getattr(tnn, kind.__name__)(
            module.input_size, module.hidden_size, module.num_layers, bias=module.bias,
            batch_first=module.batch_first, dropout=module.dropout,
            bidirectional=module.bidirectional, **extra)
    if kind in (RNNCell, LSTMCell, GRUCell):
        extra = {"nonlinearity": module.nonlinearity} if kind is RNNCell else {}
        return getattr(tnn, kind.__name__)(module.input_size, module.hidden_size,
                                           bias=module.bias, **extra)
    if kind is MultiheadAttention:
        return tnn.MultiheadAttention(module.embed_dim, module.num_heads, module.dropout,
                                      bias=module.in_proj_bias is not None,
                                      batch_first=module.batch_first)
    if kind is TransformerEncoderLayer:
        c = module._config
        return tnn.TransformerEncoderLayer(
            c["d_model"], c["nhead"], c["dim_feedforward"], c["dropout"],
            activation=c["activation"], layer_norm_eps=c["layer_norm_eps"],
            batch_first=c["batch_first"], norm_first=c["norm_first"], bias=c["bias"])
    if kind is TransformerEncoder:
        layer = _same_layout(torch, module.layers[0])
        norm = None if module.norm is None else _same_layout(torch, module.norm)
        return tnn.TransformerEncoder(layer, module.num_layers, norm=norm,
                                      enable_nested_tensor=False)
    if kind is PReLU:
        return tnn.PReLU(module.weight.size)
    raise AssertionError(kind)          # _check_ours admitted only the kinds above


_SAME_LAYOUT = (Linear, Conv1d, Conv2d, MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d,
                AdaptiveAvgPool1d, AdaptiveAvgPool2d, BatchNorm2d, LayerNorm, Embedding, RNN,
                LSTM, GRU, RNNCell, LSTMCell, GRUCell, MultiheadAttention,
                TransformerEncoderLayer, TransformerEncoder, PReLU)
_CONTAINERS = (Sequential, ModuleList, MLP)


def _check_ours(module: Module, path: str) -> None:
    """Refuse, naming it, any module of the tree that to_torch cannot convert."""
    kind = type(module)
    if kind in _CONTAINERS:
        for name, child in module._modules.items():
            if child is not None:
                _check_ours(child, f"{path}.{name}" if path else name)
        return
    if kind is TransformerEncoderLayer and module._config["activation"] not in ("relu", "gelu"):
        raise TypeError(f"to_torch: '{path or 'model'}' (TransformerEncoderLayer) uses the "
                        f"activation {module._config['activation']!r}; torch's layer takes "
                        "relu or gelu by name")
    if kind is TransformerEncoder and module.norm is not None:
        _check_ours(module.norm, f"{path}.norm")
    if kind is Activation:
        _activation_to_torch(_import_torch(), module._act, path)
    elif kind is Layer:
        if module._act is not F.linear:
            _activation_to_torch(_import_torch(), module._act, path)
    elif kind not in _SAME_LAYOUT + (Dropout, Flatten, Identity, BatchNorm):
        raise TypeError(f"to_torch: '{path or 'model'}' is a {kind.__name__}, which has no "
                        "torch.nn counterpart here; to_torch converts Linear, Layer, MLP, the "
                        "convolution, pooling, normalisation, activation, dropout, recurrent, "
                        "embedding and attention layers, and Sequential or ModuleList of them "
                        "(convert a custom model's layers one by one)")


def _ours_to_torch(torch: Any, module: Module, path: str) -> Any:
    """torch's module for ours, in our module's training mode (its children keep theirs)."""
    converted = _convert_ours(torch, module, path)
    converted.training = module.training
    return converted


def _convert_ours(torch: Any, module: Module, path: str) -> Any:
    tnn, kind = torch.nn, type(module)
    if kind is MLP:
        return tnn.Sequential(*[part for i, layer in enumerate(module.layers)
                                for part in _micrograd_to_torch(torch, layer, f"{path}.{i}")])
    if kind is Sequential:
        return tnn.Sequential(*[_ours_to_torch(torch, c, f"{path}.{i}")
                                for i, c in enumerate(module)])
    if kind is ModuleList:
        return tnn.ModuleList([_ours_to_torch(torch, c, f"{path}.{i}")
                               for i, c in enumerate(module)])
    if kind is Layer:
        return tnn.Sequential(*_micrograd_to_torch(torch, module, path))
    if kind is Activation:
        return _activation_to_torch(torch, module._act, path)
    if kind is Dropout:
        return tnn.Dropout(module.p)
    if kind is Identity:
        return tnn.Identity()
    if kind is Flatten:
        return tnn.Flatten(module.start_dim, module.end_dim)
    if kind is BatchNorm:
        converted = tnn.BatchNorm1d(module.num_features, module.eps, module.momentum)
        state = {"weight": module.gamma.data, "bias": module.beta.data,
                 "running_mean": module.running_mean, "running_var": module.running_var,
                 "num_batches_tracked": np.array(0, dtype=np.int64)}
    else:
        converted = _same_layout(torch, module)
        state = module.state_dict()
    if state:
        converted = converted.to(_torch_dtype(torch, module.dtype))
        converted.load_state_dict(_tensors(torch, state))
    return converted.train(module.training)


def to_torch(model: Module) -> Any:
    """The torch.nn module computing what `model` computes, with copies of its weights, buffers
    and training mode (float32 stays float32, float64 float64). An `MLP` becomes a
    Sequential of Linear layers and activations.
    """
    torch = _import_torch()
    if not isinstance(model, Module):
        raise TypeError(f"to_torch: model must be an nn.Module, got {type(model).__name__}")
    _check_ours(model, "")
    return _ours_to_torch(torch, model, "")


# ----- torch -> ours -----------------------------------------------------------------------------
def _refuse(path: str, module: Any, why: str) -> None:
    raise TypeError(f"from_torch: '{path or 'model'}' ({type(module).__name__}) {why}")


def _dtype_of(module: Any, path: str) -> Any:
    """The float dtype of a torch module's parameters and buffers (float64 when it has none)."""
    kinds = {str(t.dtype) for t in list(module.parameters()) + list(module.buffers())
             if t.is_floating_point()}
    if len(kinds) > 1 or kinds - {"torch.float32", "torch.float64"}:
        _refuse(path, module, f"holds tensors of dtypes {sorted(kinds)}; convert it to one of "
                "float32 or float64 first (module.float() or module.double())")
    return np.float32 if kinds == {"torch.float32"} else np.float64


def _activation_from_torch(torch: Any, module: Any, path: str) -> Activation:
    tnn, kind = torch.nn, type(module)
    for fn, name in _TORCH_ACTIVATIONS.items():
        if name != "Identity" and kind is getattr(tnn, name):
            if kind is tnn.GELU and module.approximate != "none":
                return Activation(functools.partial(F.gelu, approximate=module.approximate))
            if kind is tnn.ELU and module.alpha != 1.0:
                _refuse(path, module, f"has alpha={module.alpha}; only alpha=1 is supported")
            return Activation(fn)
    if kind in (tnn.Softmax, tnn.LogSoftmax):
        if module.dim != -1:
            _refuse(path, module, f"takes dim={module.dim}; only dim=-1 (the last axis) is "
                    "supported")
        return Activation(F.softmax if kind is tnn.Softmax else F.log_softmax)
    if kind is tnn.LeakyReLU:
        if module.negative_slope == 0.01:
            return Activation(F.leaky_relu)
        return Activation(functools.partial(F.leaky_relu, negative_slope=module.negative_slope))
    return None


def _from_same_layout(torch: Any, module: Any, path: str) -> Module:
    """Ours for a PyTorch layer of the same layout, built from its arguments (weights after)."""
    tnn, kind, dt = torch.nn, type(module), _dtype_of(module, path)
    if kind is tnn.Linear:
        return Linear(module.in_features, module.out_features, module.bias is not None, dt)
    if kind in (tnn.Conv1d, tnn.Conv2d):
        if module.padding_mode != "zeros":
            _refuse(path, module, f"pads with {module.padding_mode!r}; only zeros are supported")
        ours = Conv1d if kind is tnn.Conv1d else Conv2d
        return ours(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                    module.padding, module.dilation, module.groups, module.bias is not None, dt)
    if kind in (tnn.MaxPool1d, tnn.MaxPool2d):
        ours = MaxPool1d if kind is tnn.MaxPool1d else MaxPool2d
        return ours(module.kernel_size, module.stride, module.padding, module.dilation,
                    module.return_indices, module.ceil_mode)
    if kind in (tnn.AvgPool1d, tnn.AvgPool2d):
        if getattr(module, "divisor_override", None) is not None:
            _refuse(path, module, "has a divisor_override, which is not supported")
        ours = AvgPool1d if kind is tnn.AvgPool1d else AvgPool2d
        return ours(module.kernel_size, module.stride, module.padding, module.ceil_mode,
                    module.count_include_pad)
    if kind in (tnn.AdaptiveAvgPool1d, tnn.AdaptiveAvgPool2d):
        ours = AdaptiveAvgPool1d if kind is tnn.AdaptiveAvgPool1d else AdaptiveAvgPool2d
        return ours(module.output_size)
    if kind is tnn.BatchNorm2d:
        if not module.track_running_stats:
            _refuse(path, module, "keeps no running statistics; only "
                    "track_running_stats=True is supported")
        return BatchNorm2d(module.num_features, module.eps, module.momentum, module.affine, dt)
    if kind is tnn.LayerNorm:
        return LayerNorm(module.normalized_shape, module.eps, module.elementwise_affine,
                         module.bias is not None, dt)
    if kind is tnn.Embedding:
        if module.max_norm is not None or module.scale_grad_by_freq:
            _refuse(path, module, "uses max_norm or scale_grad_by_freq, which are not supported")
        return Embedding(module.num_embeddings, module.embedding_dim, module.padding_idx, dt)
    if kind in (tnn.RNN, tnn.LSTM, tnn.GRU):
        if getattr(module, "proj_size", 0):
            _refuse(path, module, "has a projection (proj_size), which is not supported")
        ours = {tnn.RNN: RNN, tnn.LSTM: LSTM, tnn.GRU: GRU}[kind]
        extra = {"nonlinearity": module.nonlinearity} if kind is tnn.RNN else {}
        return ours(module.input_size, module.hidden_size, module.num_layers, bias=module.bias,
                    batch_first=module.batch_first, dropout=module.dropout,
                    bidirectional=module.bidirectional, dtype=dt, **extra)
    if kind in (tnn.RNNCell, tnn.LSTMCell, tnn.GRUCell):
        ours = {tnn.RNNCell: RNNCell, tnn.LSTMCell: LSTMCell, tnn.GRUCell: GRUCell}[kind]
        extra = {"nonlinearity": module.nonlinearity} if kind is tnn.RNNCell else {}
        return ours(module.input_size, module.hidden_size, bias=module.bias, dtype=dt, **extra)
    if kind is tnn.MultiheadAttention:
        if not module._qkv_same_embed_dim or module.bias_k is not None or module.add_zero_attn:
            _refuse(path, module, "has kdim/vdim, add_bias_kv or add_zero_attn, which are not "
                    "supported")
        return MultiheadAttention(module.embed_dim, module.num_heads, module.dropout,
                                  module.in_proj_bias is not None, module.batch_first, dt)
    if kind is tnn.TransformerEncoderLayer:
        activation = {1: "relu", 2: "gelu"}.get(module.activation_relu_or_gelu)
        if activation is None:
            _refuse(path, module, "uses an activation other than relu or gelu, which is not "
                    "supported")
        return TransformerEncoderLayer(
            module.linear1.in_features, module.self_attn.num_heads, module.linear1.out_features,
            module.dropout.p, activation, module.norm1.eps, module.self_attn.batch_first,
            module.norm_first, module.linear1.bias is not None, dt)
    if kind is tnn.TransformerEncoder:
        layer = _from_same_layout(torch, module.layers[0], f"{path}.layers.0")
        norm = None if module.norm is None else _from_same_layout(torch, module.norm,
                                                                  f"{path}.norm")
        return TransformerEncoder(layer, module.num_layers, norm)
    if kind is tnn.PReLU:
        return PReLU(module.num_parameters, dtype=dt)
    return None


def _from_torch(torch: Any, module: Any, path: str, build: bool) -> Any:
    """Ours for `module` (with its weights, in its training mode; its children keep theirs)
    when `build`, else only the check that it can be."""
    ours = _convert_torch(torch, module, path, build)
    if ours is not None:
        ours.training = module.training
    return ours


def _convert_torch(torch: Any, module: Any, path: str, build: bool) -> Any:
    tnn, kind = torch.nn, type(module)
    if kind in (tnn.Sequential, tnn.ModuleList):
        children = [_from_torch(torch, c, f"{path}.{name}" if path else name, build)
                    for name, c in module.named_children()]
        return (Sequential(*children) if kind is tnn.Sequential else ModuleList(children)
                ) if build else None
    if kind is tnn.Dropout:
        return Dropout(module.p) if build else None
    if kind is tnn.Identity:
        return Identity() if build else None
    if kind is tnn.Flatten:
        return Flatten(module.start_dim, module.end_dim) if build else None
    if kind is tnn.BatchNorm1d:
        if not (module.affine and module.track_running_stats) or module.momentum is None:
            _refuse(path, module, "needs affine=True, track_running_stats=True and a momentum "
                    "to become an nn.BatchNorm")
        ours = BatchNorm(module.num_features, module.eps, module.momentum,
                         _dtype_of(module, path))
        if build:
            state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
            ours.load_state_dict({"gamma": state["weight"], "beta": state["bias"],
                                  "running_mean": state["running_mean"],
                                  "running_var": state["running_var"]})
        return ours.train(module.training)
    activation = _activation_from_torch(torch, module, path)
    if activation is not None:
        return activation
    ours = _from_same_layout(torch, module, path)
    if ours is None:
        _refuse(path, module, "has no counterpart in this library; from_torch converts Linear, "
                "Conv1d/2d, MaxPool/AvgPool/AdaptiveAvgPool 1d/2d, BatchNorm1d/2d, LayerNorm, "
                "the activations ReLU, Tanh, Sigmoid, GELU, ELU, SELU, SiLU, Mish, LeakyReLU, "
                "Softmax, LogSoftmax, Dropout, Flatten, Identity, RNN/LSTM/GRU and their cells, "
                "Embedding, MultiheadAttention, TransformerEncoder(Layer), PReLU, Sequential and "
                "ModuleList")
    if build:
        ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in
                              module.state_dict().items()})
    return ours.train(module.training)


def from_torch(module: Any) -> Module:
    """Our module computing what the torch.nn `module` computes, with copies of its weights,
    buffers and training mode, for models made of the layers this library has (see the
    module's docstring); anything else raises a TypeError naming it, before anything is built.
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    _from_torch(torch, module, "", build=False)
    return _from_torch(torch, module, "", build=True)


__all__: List[str] = ["to_torch", "from_torch"]
