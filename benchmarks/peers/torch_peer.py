"""PyTorch on the CPU, used the way its users write a training step."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

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


PEER = Torch()
