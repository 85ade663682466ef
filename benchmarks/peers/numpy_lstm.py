"""The numpy floor of workload 10: one LSTM layer's forward and backward written by hand.

The input's contribution to the gates is one matrix product over all timesteps; each step adds
h @ W_hh^T and applies the gates (PyTorch's order i, f, g, o) in place on one (N, 4H) array.
Backward walks the steps in reverse, keeping only what each step needs (dh @ W_hh and the
gates' gradient), and forms the weight gradients afterwards as one product each over all steps.
"""
from __future__ import annotations

from typing import Dict, Tuple

import numpy as np

from benchmarks.arch_problems import SequenceProblem, State


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) in place (numpy's exp is faster than its tanh; where exp(-z)
    overflows the result is 0, as it should be: see the errstate in loss_and_grads)."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    return z


def loss_and_grads(state: State, x: np.ndarray, target: np.ndarray
                   ) -> Tuple[float, Dict[str, np.ndarray]]:
    """The mean squared error of the last hidden state against `target`, and the gradient of
    every parameter, keyed as `state`."""
    with np.errstate(over="ignore"):
        return _loss_and_grads(state, x, target)


def _loss_and_grads(state: State, x: np.ndarray, target: np.ndarray
                    ) -> Tuple[float, Dict[str, np.ndarray]]:
    w_ih, w_hh = state["weight_ih_l0"], state["weight_hh_l0"]
    steps, n, inputs = x.shape
    hidden = w_hh.shape[1]
    i_, f_, g_, o_ = (slice(k * hidden, (k + 1) * hidden) for k in range(4))
    gates = (x.reshape(steps * n, inputs) @ w_ih.T).reshape(steps, n, 4 * hidden)
    gates += state["bias_ih_l0"] + state["bias_hh_l0"]
    hs = np.zeros((steps + 1, n, hidden), x.dtype)         # hs[t + 1] is h after step t
    cs = np.zeros((steps + 1, n, hidden), x.dtype)
    tanh_c = np.empty((steps, n, hidden), x.dtype)
    for t in range(steps):
        z = gates[t]                                       # activated in place
        z += hs[t] @ w_hh.T
        _sigmoid(z[:, :2 * hidden])                        # i and f
        np.tanh(z[:, g_], out=z[:, g_])
        _sigmoid(z[:, o_])
        np.multiply(z[:, f_], cs[t], out=cs[t + 1])
        cs[t + 1] += z[:, i_] * z[:, g_]
        np.tanh(cs[t + 1], out=tanh_c[t])
        np.multiply(z[:, o_], tanh_c[t], out=hs[t + 1])
    diff = hs[steps] - target
    loss = float(np.mean(diff * diff))
    dh = diff * np.asarray(2.0 / diff.size, x.dtype)
    dc = np.zeros_like(dh)
    dgates = np.empty_like(gates)
    for t in range(steps - 1, -1, -1):
        z, d = gates[t], dgates[t]
        i, f, g, o = z[:, i_], z[:, f_], z[:, g_], z[:, o_]
        dc += dh * o * (1 - tanh_c[t] * tanh_c[t])
        np.multiply(dh * tanh_c[t], o * (1 - o), out=d[:, o_])
        np.multiply(dc * g, i * (1 - i), out=d[:, i_])
        np.multiply(dc * cs[t], f * (1 - f), out=d[:, f_])
        np.multiply(dc * i, 1 - g * g, out=d[:, g_])
        dc *= f
        dh = d @ w_hh
    flat = dgates.reshape(steps * n, 4 * hidden)
    db = flat.sum(axis=0)
    grads = {"weight_ih_l0": flat.T @ x.reshape(steps * n, inputs),
             "weight_hh_l0": flat.T @ hs[:steps].reshape(steps * n, hidden),
             "bias_ih_l0": db, "bias_hh_l0": db.copy()}
    return loss, grads


def sgd_step(problem: SequenceProblem):
    """A step function: loss and gradients, then SGD in place; returns the loss."""
    state = {k: v.copy() for k, v in problem.state.items()}
    lr = problem.dtype.type(problem.lr)

    def step() -> float:
        loss, grads = loss_and_grads(state, problem.x, problem.target)
        for name, g in grads.items():
            state[name] -= lr * g
        return loss
    return step
