"""micrograd (Karpathy): scalar Values only, driven exactly as its README demo does."""
from __future__ import annotations

import math

from micrograd.engine import Value
from micrograd.nn import MLP

from benchmarks.peers.base import AutogradChain, Peer
from benchmarks.problems import ChainProblem, MLPProblem


def _tanh(x: Value) -> Value:
    """tanh as a micrograd node, written the way micrograd writes its ops (the pip release
    has no tanh)."""
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")

    def _backward() -> None:
        x.grad += (1 - t * t) * out.grad
    out._backward = _backward
    return out


class Micrograd(Peer):
    """micrograd from PyPI."""

    name = "micrograd"
    distribution = "micrograd"

    def scalar_mlp(self, problem: MLPProblem):
        sizes = problem.sizes
        model = MLP(sizes[0], sizes[1:])
        for layer, (W, b) in zip(model.layers, problem.weights):
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    w.data = float(W[i, j])
                neuron.b.data = float(b[j])
        rows = problem.x.tolist()
        labels = problem.y.tolist()

        def step() -> float:
            inputs = [list(map(Value, row)) for row in rows]
            scores = list(map(model, inputs))
            losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            loss = data_loss + problem.alpha * sum(p * p for p in model.parameters())
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= problem.lr * p.grad
            return loss.data
        return step

    def chain(self, problem: ChainProblem):
        if not problem.is_scalar:
            return None

        def backward(y: Value) -> None:
            y.backward()
        return AutogradChain(problem, leaf=Value, tanh=_tanh, reduce=None, backward=backward,
                             grad=lambda x0: x0.grad, item=lambda y: float(y.data))


PEER = Micrograd()
