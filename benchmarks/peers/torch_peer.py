"""PyTorch on the CPU, used the way its users write a training step."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from benchmarks.arch_problems import CNNProblem, ConvProblem, SequenceProblem, State
from benchmarks.peers.base import AutogradChain, Peer
from benchmarks.problems import ChainProblem, MLPProblem


class Torch(Peer):
    """PyTorch: addmm layers (what nn.Linear runs), F.cross_entropy, optim.SGD."""

    name = "torch"
    distribution = "torch"

    def mlp(self, problem: MLPProblem):
        params = [torch.tensor(a, requires_grad=True) for layer in problem.weights for a in layer]
        opt = torch.optim.SGD(params, lr=problem.lr)
        x = torch.from_numpy(problem.x)
        n = len(problem.x)
        if problem.loss == "xent":
            y = torch.from_numpy(problem.y.astype(np.int64))
        else:
            y = torch.from_numpy(problem.y.astype(problem.dtype))
        last = len(params) - 2

        def step() -> float:
            h = x
            for i in range(0, len(params), 2):
                h = torch.addmm(params[i + 1], h, params[i])
                if i < last:
                    h = torch.relu(h)
            if problem.loss == "xent":
                loss = F.cross_entropy(h, y)
            else:
                loss = torch.relu(1.0 - y * h.reshape(n)).mean()
                loss = loss + problem.alpha * sum((p * p).sum() for p in params)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()
        return step

    def chain(self, problem: ChainProblem):
        def leaf(x0):
            return torch.tensor(x0, dtype=torch.float64, requires_grad=True)

        def backward(y) -> None:
            y.backward()
        return AutogradChain(problem, leaf=leaf, tanh=torch.tanh, reduce=torch.sum,
                             backward=backward, grad=lambda x0: x0.grad.numpy(),
                             item=lambda y: y.item())

    def cnn(self, problem: CNNProblem):
        model = lenet(problem.state)
        x, y = torch.from_numpy(problem.x), torch.from_numpy(problem.y.astype(np.int64))
        return _sgd_step(model, lambda: F.cross_entropy(model(x), y), problem.lr)

    def conv(self, problem: ConvProblem):
        x = torch.tensor(problem.x, requires_grad=True)
        w = torch.tensor(problem.w, requires_grad=True)
        g = torch.from_numpy(problem.g)

        def step() -> float:
            x.grad = w.grad = None
            F.conv2d(x, w, padding=problem.padding).backward(g)
            return float(torch.sum(w.grad * w.grad))
        return step

    def lstm(self, problem: SequenceProblem):
        model = lstm(problem)
        x, target = torch.from_numpy(problem.x), torch.from_numpy(problem.target)
        return _sgd_step(model, lambda: F.mse_loss(model(x)[0][-1], target), problem.lr)

    def transformer(self, problem: SequenceProblem):
        model = encoder(problem)
        x, target = torch.from_numpy(problem.x), torch.from_numpy(problem.target)
        return _sgd_step(model, lambda: F.mse_loss(model(x), target), problem.lr)


def _loaded(model: torch.nn.Module, state: State) -> torch.nn.Module:
    """`model` with the problem's weights (copied) and its dtype."""
    dtype = next(iter(state.values())).dtype
    model = model.to(torch.float32 if dtype == np.float32 else torch.float64)
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    return model


def lenet(state: State) -> torch.nn.Module:
    """Workload 8's network, as torch.nn.Sequential layers."""
    nn = torch.nn
    return _loaded(nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                                 nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(400, 10)), state)


def lstm(problem: SequenceProblem) -> torch.nn.Module:
    """Workload 10's torch.nn.LSTM (its fused CPU kernel)."""
    return _loaded(torch.nn.LSTM(problem.sizes["input"], problem.sizes["hidden"]), problem.state)


def encoder(problem: SequenceProblem) -> torch.nn.Module:
    """Workload 11's torch.nn.TransformerEncoder (post-norm, relu, dropout 0)."""
    s = problem.sizes
    layer = torch.nn.TransformerEncoderLayer(s["d_model"], s["heads"], s["ff"], dropout=0.0)
    model = torch.nn.TransformerEncoder(layer, s["layers"], enable_nested_tensor=False)
    return _loaded(model, problem.state)


def _sgd_step(model: torch.nn.Module, loss: Callable[[], torch.Tensor], lr: float):
    """A training step as PyTorch users write it: zero_grad, loss, backward, optimizer step."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        value = loss()
        value.backward()
        opt.step()
        return value.item()
    return step


PEER = Torch()
