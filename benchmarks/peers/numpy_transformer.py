"""The numpy floor of workload 11: a post-norm Transformer encoder's forward and backward by hand.

Each layer is PyTorch's TransformerEncoderLayer (norm_first=False, relu, dropout 0):
    x = norm1(x + out_proj(attention(x))),   x = norm2(x + linear2(relu(linear1(x)))).
Tokens are rows of one (L * N, E) array, so every projection is one matrix product; attention
runs on a (N, heads, L, d) stack of matrix products.
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import numpy as np

from benchmarks.arch_problems import SequenceProblem, State

EPS = 1e-5


def _norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> Tuple[np.ndarray, tuple]:
    """LayerNorm over the last axis, and what its backward needs."""
    mu = x.mean(axis=1, keepdims=True)
    centred = x - mu
    inv = 1.0 / np.sqrt((centred * centred).mean(axis=1, keepdims=True) + EPS)
    xhat = centred * inv
    return xhat * w + b, (xhat, inv, w)


def _norm_backward(dy: np.ndarray, cache: tuple) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dw, db) of LayerNorm."""
    xhat, inv, w = cache
    dxhat = dy * w
    dx = inv * (dxhat - dxhat.mean(axis=1, keepdims=True)
                - xhat * (dxhat * xhat).mean(axis=1, keepdims=True))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


def _layer(state: State, p: str, x: np.ndarray, shape: Tuple[int, int, int],
           heads: int) -> Tuple[np.ndarray, Dict[str, Any]]:
    """One encoder layer on tokens x (L * N, E): its output and its cache."""
    steps, n, e = shape
    d = e // heads
    qkv = x @ state[p + "self_attn.in_proj_weight"].T + state[p + "self_attn.in_proj_bias"]
    # (L, N, 3, heads, d) -> three (N, heads, L, d) stacks
    q, k, v = qkv.reshape(steps, n, 3, heads, d).transpose(2, 1, 3, 0, 4)
    scores = (q @ k.transpose(0, 1, 3, 2)) * np.asarray(1.0 / np.sqrt(d), x.dtype)
    scores -= scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores, out=scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    mixed = (probs @ v).transpose(2, 0, 1, 3).reshape(steps * n, e)
    attended = (mixed @ state[p + "self_attn.out_proj.weight"].T
                + state[p + "self_attn.out_proj.bias"])
    x1, norm1 = _norm(x + attended, state[p + "norm1.weight"], state[p + "norm1.bias"])
    hidden = np.maximum(x1 @ state[p + "linear1.weight"].T + state[p + "linear1.bias"], 0)
    ff = hidden @ state[p + "linear2.weight"].T + state[p + "linear2.bias"]
    out, norm2 = _norm(x1 + ff, state[p + "norm2.weight"], state[p + "norm2.bias"])
    return out, {"x": x, "q": q, "k": k, "v": v, "probs": probs, "mixed": mixed, "x1": x1,
                 "hidden": hidden, "norm1": norm1, "norm2": norm2}


def _layer_backward(state: State, p: str, dout: np.ndarray, c: Dict[str, Any],
                    shape: Tuple[int, int, int], heads: int,
                    grads: Dict[str, np.ndarray]) -> np.ndarray:
    """The gradient of one layer's input for the gradient of its output; its parameters'
    gradients go into `grads`."""
    steps, n, e = shape
    d = e // heads
    dsum2, grads[p + "norm2.weight"], grads[p + "norm2.bias"] = _norm_backward(dout, c["norm2"])
    grads[p + "linear2.weight"] = dsum2.T @ c["hidden"]
    grads[p + "linear2.bias"] = dsum2.sum(axis=0)
    dhidden = (dsum2 @ state[p + "linear2.weight"]) * (c["hidden"] > 0)
    grads[p + "linear1.weight"] = dhidden.T @ c["x1"]
    grads[p + "linear1.bias"] = dhidden.sum(axis=0)
    dx1 = dsum2 + dhidden @ state[p + "linear1.weight"]
    dsum1, grads[p + "norm1.weight"], grads[p + "norm1.bias"] = _norm_backward(dx1, c["norm1"])
    grads[p + "self_attn.out_proj.weight"] = dsum1.T @ c["mixed"]
    grads[p + "self_attn.out_proj.bias"] = dsum1.sum(axis=0)
    dmixed = (dsum1 @ state[p + "self_attn.out_proj.weight"]).reshape(steps, n, heads, d)
    dmixed = dmixed.transpose(1, 2, 0, 3)                                  # (N, heads, L, d)
    probs, q, k, v = c["probs"], c["q"], c["k"], c["v"]
    dv = probs.transpose(0, 1, 3, 2) @ dmixed
    dprobs = dmixed @ v.transpose(0, 1, 3, 2)
    dscores = probs * (dprobs - (dprobs * probs).sum(axis=-1, keepdims=True))
    dscores *= np.asarray(1.0 / np.sqrt(d), dout.dtype)
    dq = dscores @ k
    dk = dscores.transpose(0, 1, 3, 2) @ q
    dqkv = np.stack([dq, dk, dv]).transpose(3, 1, 0, 2, 4).reshape(steps * n, 3 * e)
    grads[p + "self_attn.in_proj_weight"] = dqkv.T @ c["x"]
    grads[p + "self_attn.in_proj_bias"] = dqkv.sum(axis=0)
    return dsum1 + dqkv @ state[p + "self_attn.in_proj_weight"]


def loss_and_grads(state: State, x: np.ndarray, target: np.ndarray, heads: int, layers: int
                   ) -> Tuple[float, Dict[str, np.ndarray]]:
    """The mean squared error of the encoder's output (L, N, E) against `target`, and the
    gradient of every parameter, keyed as `state`."""
    shape = x.shape
    h = x.reshape(-1, shape[2])
    caches: List[Dict[str, Any]] = []
    for i in range(layers):
        h, cache = _layer(state, f"layers.{i}.", h, shape, heads)
        caches.append(cache)
    diff = h - target.reshape(h.shape)
    loss = float(np.mean(diff * diff))
    dh = diff * np.asarray(2.0 / diff.size, x.dtype)
    grads: Dict[str, np.ndarray] = {}
    for i in range(layers - 1, -1, -1):
        dh = _layer_backward(state, f"layers.{i}.", dh, caches[i], shape, heads, grads)
    return loss, grads


def sgd_step(problem: SequenceProblem):
    """A step function: loss and gradients, then SGD in place; returns the loss."""
    state = {k: v.copy() for k, v in problem.state.items()}
    lr = problem.dtype.type(problem.lr)
    heads, layers = problem.sizes["heads"], problem.sizes["layers"]

    def step() -> float:
        loss, grads = loss_and_grads(state, problem.x, problem.target, heads, layers)
        for name, g in grads.items():
            state[name] -= lr * g
        return loss
    return step
