"""The numpy floor of workload 8: LeNet's forward and backward written by hand, for speed.

Convolutions are im2col: the 3x3 windows of each sample are a strided view, copied once into a
(N, C*9, H'*W') stack, so the forward pass is one stacked matrix product straight into the
(N, C_out, H', W') layout, the weight gradient another, and the input gradient a product
folded back by nine strided adds. A 2x2 max pool is a reshape and a max; its gradient goes to
every entry equal to its window's maximum (with continuous data only relu's zeros tie, and
relu's gradient stops those).
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks.arch_problems import CNNProblem, CONV1, CONV2, FC, State


def columns(x: np.ndarray) -> np.ndarray:
    """The 3x3 windows of x (N, C, H, W) as (N, C * 9, H' * W'), H' = H - 2."""
    n, c, h, w = x.shape
    windows = sliding_window_view(x, (3, 3), axis=(2, 3))           # (N, C, H', W', 3, 3)
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, (h - 2) * (w - 2))


def conv_forward(cols: np.ndarray, w: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """(N, C_out, size, size) from the windows of the input and the weight (C_out, C, 3, 3)."""
    y = w.reshape(w.shape[0], -1) @ cols
    y += b[:, None]
    return y.reshape(len(cols), w.shape[0], size, size)


def conv_weight_grad(g: np.ndarray, cols: np.ndarray, shape: Tuple[int, ...]) -> np.ndarray:
    """The weight's gradient for the output gradient g (N, C_out, H', W')."""
    g3 = g.reshape(g.shape[0], g.shape[1], -1)
    return (g3 @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(shape)


def conv_input_grad(g: np.ndarray, w: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """The input's gradient (N, C, *size): each window's share w^T g, added where it was read."""
    n, o, hh, ww = g.shape
    c = w.shape[1]
    shares = (w.reshape(o, c * 9).T @ g.reshape(n, o, hh * ww)).reshape(n, c, 3, 3, hh, ww)
    dx = np.zeros((n, c) + size, g.dtype)
    for i in range(3):
        for j in range(3):
            dx[:, :, i:i + hh, j:j + ww] += shares[:, :, i, j]
    return dx


CORNERS = ((0, 0), (0, 1), (1, 0), (1, 1))


def pool_forward(a: np.ndarray) -> Tuple[List[np.ndarray], np.ndarray]:
    """2x2 max pooling of a (N, C, H, W) (an odd last row and column are dropped, as PyTorch
    does): (the four corners of the windows as strided views, their maxima)."""
    h, w = a.shape[2] // 2 * 2, a.shape[3] // 2 * 2
    corners = [a[:, :, i:h:2, j:w:2] for i, j in CORNERS]
    m = np.maximum(corners[0], corners[1])
    np.maximum(m, np.maximum(corners[2], corners[3]), out=m)
    return corners, m


def pool_backward(gp: np.ndarray, corners: List[np.ndarray], m: np.ndarray,
                  size: Tuple[int, int]) -> np.ndarray:
    """The gradient of pool_forward's input (N, C, *size) for the pooled gradient gp."""
    h, w = 2 * gp.shape[2], 2 * gp.shape[3]
    out = np.zeros(gp.shape[:2] + size, gp.dtype)
    for (i, j), corner in zip(CORNERS, corners):
        np.multiply(gp, corner == m, out=out[:, :, i:h:2, j:w:2])
    return out


def xent(logits: np.ndarray, y: np.ndarray) -> Tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient for the logits."""
    n = len(logits)
    peak = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - peak)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.mean(np.log(s[:, 0]) + peak[:, 0] - logits[rows, y])
    g = e / s
    g[rows, y] -= 1.0
    return float(loss), g / np.asarray(n, logits.dtype)


def loss_and_grads(state: State, x: np.ndarray, y: np.ndarray
                   ) -> Tuple[float, Dict[str, np.ndarray]]:
    """LeNet's loss on (x, y) and the gradient of every parameter, keyed as `state`."""
    w1, b1 = state[f"{CONV1}.weight"], state[f"{CONV1}.bias"]
    w2, b2 = state[f"{CONV2}.weight"], state[f"{CONV2}.bias"]
    wf, bf = state[f"{FC}.weight"], state[f"{FC}.bias"]
    n = len(x)
    cols1 = columns(x)
    a1 = np.maximum(conv_forward(cols1, w1, b1, x.shape[2] - 2), 0)            # (N, 8, 26, 26)
    r1, p1 = pool_forward(a1)                                                 # (N, 8, 13, 13)
    cols2 = columns(p1)
    a2 = np.maximum(conv_forward(cols2, w2, b2, p1.shape[2] - 2), 0)           # (N, 16, 11, 11)
    r2, p2 = pool_forward(a2)                                                 # (N, 16, 5, 5)
    flat = p2.reshape(n, -1)
    loss, g = xent(flat @ wf.T + bf, y)
    grads = {f"{FC}.weight": g.T @ flat, f"{FC}.bias": g.sum(axis=0)}
    g2 = pool_backward((g @ wf).reshape(p2.shape), r2, p2, a2.shape[2:]) * (a2 > 0)
    grads[f"{CONV2}.weight"] = conv_weight_grad(g2, cols2, w2.shape)
    grads[f"{CONV2}.bias"] = g2.sum(axis=(0, 2, 3))
    g1 = pool_backward(conv_input_grad(g2, w2, p1.shape[2:]), r1, p1, a1.shape[2:]) * (a1 > 0)
    grads[f"{CONV1}.weight"] = conv_weight_grad(g1, cols1, w1.shape)
    grads[f"{CONV1}.bias"] = g1.sum(axis=(0, 2, 3))
    return loss, grads


def sgd_step(problem: CNNProblem):
    """A step function: loss and gradients, then SGD in place; returns the loss."""
    state = {k: v.copy() for k, v in problem.state.items()}
    lr = problem.dtype.type(problem.lr)

    def step() -> float:
        loss, grads = loss_and_grads(state, problem.x, problem.y)
        for name, g in grads.items():
            state[name] -= lr * g
        return loss
    return step
