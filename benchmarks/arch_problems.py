"""The computations of the architecture workloads (8-11): a LeNet-style CNN, one convolution
layer, an LSTM and a Transformer encoder, each one training step.

A problem holds its data and initial weights as numpy arrays keyed by PyTorch's state_dict
names, so every peer loads the same numbers the way its users would (`load_state_dict`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Tuple

import numpy as np

State = Dict[str, np.ndarray]


def _uniform(rng: np.random.Generator, bound: float, shape: Tuple[int, ...],
             dtype: Any) -> np.ndarray:
    """U(-bound, bound), PyTorch's default initialisation of conv, dense and recurrent layers."""
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


@dataclass
class CNNProblem:
    """Workload 8: one SGD step of LeNet (`LENET` below) with softmax cross-entropy."""

    state: State
    x: np.ndarray                  # (N, 1, 28, 28)
    y: np.ndarray                  # (N,) class labels
    lr: float

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype


# The network as torch.nn.Sequential layers: conv 1->8 3x3, relu, maxpool 2, conv 8->16 3x3,
# relu, maxpool 2, flatten, linear 400 -> 10 (28x28 -> 26 -> 13 -> 11 -> 5, and 16 * 5 * 5).
CONV1, CONV2, FC = "0", "3", "7"
CHANNELS = (1, 8, 16)
CLASSES = 10
FLAT = 16 * 5 * 5


def lenet(batch: int = 64, dtype: Any = np.float32, seed: int = 0) -> CNNProblem:
    rng = np.random.default_rng(seed)
    state: State = {}
    for name, cin, cout in ((CONV1, 1, 8), (CONV2, 8, 16)):
        bound = 1.0 / math.sqrt(cin * 9)
        state[f"{name}.weight"] = _uniform(rng, bound, (cout, cin, 3, 3), dtype)
        state[f"{name}.bias"] = _uniform(rng, bound, (cout,), dtype)
    bound = 1.0 / math.sqrt(FLAT)
    state[f"{FC}.weight"] = _uniform(rng, bound, (CLASSES, FLAT), dtype)
    state[f"{FC}.bias"] = _uniform(rng, bound, (CLASSES,), dtype)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, CLASSES, batch)
    return CNNProblem(state, x, y, lr=0.05)


@dataclass
class ConvProblem:
    """Workload 9: a 3x3 convolution (no bias) forward and backward: y = conv2d(x, w,
    padding), then the gradients of x and w for the output gradient `g`."""

    x: np.ndarray                  # (N, C_in, H, W)
    w: np.ndarray                  # (C_out, C_in, 3, 3)
    g: np.ndarray                  # (N, C_out, H, W)
    padding: int

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    def gemm(self) -> Tuple[int, int, int]:
        """(M, K, P) of the forward pass as one matrix product (C_out, K) @ (K, P)."""
        n, c, h, w = self.x.shape
        return self.w.shape[0], c * self.w.shape[2] * self.w.shape[3], n * h * w

    def flops(self) -> float:
        """Forward, input gradient and weight gradient: three products of the forward's size."""
        m, k, p = self.gemm()
        return 3 * 2.0 * m * k * p


def conv_layer(dtype: Any = np.float32, seed: int = 0) -> ConvProblem:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 16, 28, 28)).astype(dtype)
    w = _uniform(rng, 1.0 / math.sqrt(16 * 9), (32, 16, 3, 3), dtype)
    g = rng.standard_normal((64, 32, 28, 28)).astype(dtype)
    return ConvProblem(x, w, g, padding=1)


@dataclass
class SequenceProblem:
    """Workloads 10 and 11: one SGD step of a sequence model whose loss is the mean squared
    difference of its last output (the LSTM) or of all its outputs (the encoder) and `target`.
    Inputs are (L, N, features): sequence first, PyTorch's default layout."""

    state: State
    x: np.ndarray
    target: np.ndarray
    lr: float
    sizes: Dict[str, int]

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype


def lstm(seq: int = 50, batch: int = 32, inputs: int = 32, hidden: int = 128,
         dtype: Any = np.float32, seed: int = 0) -> SequenceProblem:
    """An LSTM of one layer (PyTorch's gate order i, f, g, o); MSE of h_L against a target."""
    rng = np.random.default_rng(seed)
    bound = 1.0 / math.sqrt(hidden)
    state = {"weight_ih_l0": _uniform(rng, bound, (4 * hidden, inputs), dtype),
             "weight_hh_l0": _uniform(rng, bound, (4 * hidden, hidden), dtype),
             "bias_ih_l0": _uniform(rng, bound, (4 * hidden,), dtype),
             "bias_hh_l0": _uniform(rng, bound, (4 * hidden,), dtype)}
    x = rng.standard_normal((seq, batch, inputs)).astype(dtype)
    target = (0.5 * rng.standard_normal((batch, hidden))).astype(dtype)
    return SequenceProblem(state, x, target, lr=0.1,
                           sizes={"seq": seq, "batch": batch, "input": inputs, "hidden": hidden})


def transformer(seq: int = 32, batch: int = 32, d_model: int = 64, heads: int = 4,
                ff: int = 128, layers: int = 2, dtype: Any = np.float32,
                seed: int = 0) -> SequenceProblem:
    """A post-norm Transformer encoder (PyTorch's TransformerEncoder of TransformerEncoderLayer,
    relu, dropout 0), every layer with its own weights; MSE of the output against a target."""
    rng = np.random.default_rng(seed)
    state: State = {}
    e = d_model
    for i in range(layers):
        p = f"layers.{i}."
        state[p + "self_attn.in_proj_weight"] = _uniform(rng, math.sqrt(6.0 / (4 * e)),
                                                         (3 * e, e), dtype)
        state[p + "self_attn.in_proj_bias"] = _uniform(rng, 0.1, (3 * e,), dtype)
        state[p + "self_attn.out_proj.weight"] = _uniform(rng, 1 / math.sqrt(e), (e, e), dtype)
        state[p + "self_attn.out_proj.bias"] = _uniform(rng, 0.1, (e,), dtype)
        state[p + "linear1.weight"] = _uniform(rng, 1 / math.sqrt(e), (ff, e), dtype)
        state[p + "linear1.bias"] = _uniform(rng, 1 / math.sqrt(e), (ff,), dtype)
        state[p + "linear2.weight"] = _uniform(rng, 1 / math.sqrt(ff), (e, ff), dtype)
        state[p + "linear2.bias"] = _uniform(rng, 1 / math.sqrt(ff), (e,), dtype)
        for norm in ("norm1", "norm2"):
            state[p + norm + ".weight"] = (1 + _uniform(rng, 0.1, (e,), np.float64)).astype(dtype)
            state[p + norm + ".bias"] = _uniform(rng, 0.1, (e,), dtype)
    x = rng.standard_normal((seq, batch, e)).astype(dtype)
    target = rng.standard_normal((seq, batch, e)).astype(dtype)
    return SequenceProblem(state, x, target, lr=0.1,
                           sizes={"seq": seq, "batch": batch, "d_model": e, "heads": heads,
                                  "ff": ff, "layers": layers})
