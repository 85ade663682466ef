"""MyGrad: numpy arrays with autodiff, used with its own loss and activation functions."""
from __future__ import annotations

import mygrad as mg
from mygrad.nnet.activations import relu
from mygrad.nnet.layers import conv_nd, max_pool
from mygrad.nnet.losses import softmax_crossentropy

from benchmarks.arch_problems import CNNProblem, CONV1, CONV2, FC, ConvProblem
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

    def cnn(self, problem: CNNProblem):
        params = {k: mg.tensor(v.copy()) for k, v in problem.state.items()}
        x, y = problem.x, problem.y

        def conv_relu_pool(h, name):
            h = conv_nd(h, params[f"{name}.weight"], stride=1)
            h = relu(h + params[f"{name}.bias"].reshape(1, -1, 1, 1))
            size = h.shape[-1] - h.shape[-1] % 2        # max_pool needs windows that tile
            return max_pool(h[..., :size, :size], (2, 2), 2)

        def step() -> float:
            h = conv_relu_pool(conv_relu_pool(x, CONV1), CONV2).reshape(len(x), -1)
            loss = softmax_crossentropy(mg.matmul(h, params[f"{FC}.weight"].T)
                                        + params[f"{FC}.bias"], y)
            loss.backward()
            for p in params.values():
                p.data -= problem.lr * p.grad
            return loss.item()
        return step

    def conv(self, problem: ConvProblem):
        x, w = mg.tensor(problem.x), mg.tensor(problem.w)

        def step() -> float:
            conv_nd(x, w, stride=1, padding=problem.padding).backward(problem.g)
            return float((w.grad * w.grad).sum())
        return step

    def chain(self, problem: ChainProblem):
        def backward(y) -> None:
            y.backward()
        return AutogradChain(problem, leaf=mg.tensor, tanh=mg.tanh, reduce=mg.sum,
                             backward=backward, grad=lambda x0: x0.grad,
                             item=lambda y: y.item())


PEER = MyGrad()
