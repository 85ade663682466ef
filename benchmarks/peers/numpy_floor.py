"""The zero-overhead floor (workload 7): the same computations in plain numpy and Python floats,
with the backward pass written by hand."""
from __future__ import annotations

import math
from typing import Any, List

import numpy as np

from benchmarks.peers import numpy_cnn, numpy_lstm, numpy_transformer
from benchmarks.peers.base import Chain, Peer
from benchmarks.problems import ADD, MUL, ChainProblem, MLPProblem


def _loss_and_grad(problem: MLPProblem, out: np.ndarray, y: np.ndarray):
    """The loss (without the L2 term) and its gradient with respect to the last layer."""
    n = len(out)
    if problem.loss == "xent":
        peak = out.max(axis=1, keepdims=True)
        e = np.exp(out - peak)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = np.mean(np.log(s[:, 0]) + peak[:, 0] - out[rows, y])
        g = e / s
        g[rows, y] -= 1.0
        return loss, g / n
    margin = 1.0 - y * out[:, 0]
    loss = np.mean(np.maximum(margin, 0))
    return loss, np.where(margin > 0, -y, 0.0)[:, None] / n


class NumpyFloor(Peer):
    """Hand-written numpy forward and backward: what an engine would cost with no overhead."""

    name = "numpy"
    distribution = "numpy"

    def mlp(self, problem: MLPProblem):
        Ws = [W.copy() for W, _ in problem.weights]
        bs = [b.copy() for _, b in problem.weights]
        x, lr, alpha = problem.x, problem.lr, problem.alpha
        y = problem.y if problem.loss == "xent" else problem.y.astype(problem.dtype)
        last = len(Ws) - 1

        def step() -> float:
            acts = [x]
            h = x
            for i, (W, b) in enumerate(zip(Ws, bs)):
                h = h @ W + b
                if i < last:
                    h = np.maximum(h, 0)
                acts.append(h)
            loss, g = _loss_and_grad(problem, h, y)
            if alpha:
                loss = loss + alpha * sum(np.sum(W * W) + np.sum(b * b) for W, b in zip(Ws, bs))
            for i in range(last, -1, -1):
                W, b = Ws[i], bs[i]
                gW = acts[i].T @ g
                gb = g.sum(axis=0)
                if i:
                    g = (g @ W.T) * (acts[i] > 0)
                if alpha:
                    gW += (2 * alpha) * W
                    gb += (2 * alpha) * b
                W -= lr * gW
                b -= lr * gb
            return float(loss)
        return step

    def chain(self, problem: ChainProblem):
        return _TapeChain(problem)

    def cnn(self, problem):
        return numpy_cnn.sgd_step(problem)

    def lstm(self, problem):
        return numpy_lstm.sgd_step(problem)

    def transformer(self, problem):
        return numpy_transformer.sgd_step(problem)


class _TapeChain(Chain):
    """Forward keeps each op's local derivative on a list; backward multiplies them out."""

    def __init__(self, problem: ChainProblem) -> None:
        self.problem = problem
        self.scalar = problem.is_scalar

    def forward(self) -> Any:
        p = self.problem
        m, a = p.mul, p.add
        tanh = math.tanh if self.scalar else np.tanh
        x = p.x0
        tape: List[Any] = []
        for op in p.ops:
            if op is MUL:
                x = x * m
                tape.append(m)
            elif op is ADD:
                x = x + a
            else:
                x = tanh(x)
                tape.append(1.0 - x * x)
        return x if self.scalar else x.sum(), tape

    def value(self, out: Any) -> float:
        return float(out[0])

    def backward(self, out: Any) -> float:
        g = 1.0 if self.scalar else np.ones_like(self.problem.x0)
        for d in reversed(out[1]):
            g = g * d
        return float(np.sum(g))


PEER = NumpyFloor()
