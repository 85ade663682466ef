"""MyGrad: numpy arrays with autodiff, used with its own loss and activation functions."""
from __future__ import annotations

import mygrad as mg
from mygrad.nnet.activations import relu
from mygrad.nnet.losses import softmax_crossentropy

from benchmarks.peers.base import AutogradChain, Peer
from benchmarks.problems import ChainProblem, MLPProblem


class MyGrad(Peer):
    """MyGrad from PyPI (memory guarding left on, its default)."""

    name = "mygrad"
    distribution = "mygrad"

    def mlp(self, problem: MLPProblem):
        params = [mg.tensor(a.copy()) for layer in problem.weights for a in layer]
        x = problem.x
        n = len(x)
        y = problem.y if problem.loss == "xent" else problem.y.astype(problem.dtype)
        last = len(params) - 2

        def step() -> float:
            h = x
            for i in range(0, len(params), 2):
                h = mg.matmul(h, params[i]) + params[i + 1]
                if i < last:
                    h = relu(h)
            if problem.loss == "xent":
                loss = softmax_crossentropy(h, y)
            else:
                loss = mg.mean(relu(1.0 - y * h.reshape(n)))
                loss = loss + problem.alpha * sum(mg.sum(p * p) for p in params)
            loss.backward()
            for p in params:
                p.data -= problem.lr * p.grad
            return loss.item()
        return step

    def chain(self, problem: ChainProblem):
        def backward(y) -> None:
            y.backward()
        return AutogradChain(problem, leaf=mg.tensor, tanh=mg.tanh, reduce=mg.sum,
                             backward=backward, grad=lambda x0: x0.grad,
                             item=lambda y: y.item())


PEER = MyGrad()
