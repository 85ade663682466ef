"""Our engine: array mode (one Value per weight matrix) and scalar mode (one Value per weight)."""
from __future__ import annotations

from typing import Any, Callable, List

import autograd
import nn
from autograd import Value
from benchmarks.arch_problems import CNNProblem, ConvProblem, SequenceProblem, State
from benchmarks.peers.base import AutogradChain, Peer, Step, Unavailable
from benchmarks.problems import ChainProblem, MLPProblem


def _loss(problem: MLPProblem, out: Value, params: List[Value], y: Any) -> Value:
    n = len(problem.x)
    if problem.loss == "xent":
        return nn.losses.cross_entropy(out, y)
    data = (1.0 - y * out.reshape(n)).relu().mean()
    return data + problem.alpha * sum((p * p).sum() for p in params)


def _sgd(params: List[Value], lr: float) -> None:
    with autograd.no_grad():
        for p in params:
            p.data -= lr * p.grad
            p.zero_grad()


def _scalar_step(problem: MLPProblem, neuron: Callable[[List[Value], List[Any], Value], Value],
                 mean: Callable[[List[Value]], Value], squares: Callable[[List[Value]], Value]):
    """micrograd's training step on scalar Values: one graph per sample, a Value per weight.
    `neuron(ws, inputs, b)` is a neuron's pre-activation; `mean` and `squares` (the sum of
    squares) reduce lists of Values."""
    # layers[l][j] = (weights of neuron j as a list of Values, its bias Value)
    layers = [[([Value(float(w)) for w in W[:, j]], Value(float(b[j])))
               for j in range(W.shape[1])] for W, b in problem.weights]
    params = [p for layer in layers for ws, b in layer for p in ws + [b]]
    rows = problem.x.tolist()
    labels = problem.y.tolist()
    last = len(layers) - 1

    def forward(row: List[float]) -> Value:
        act = row
        for depth, layer in enumerate(layers):
            act = [neuron(ws, act, b) for ws, b in layer]
            if depth < last:
                act = [v.relu() for v in act]
        return act[0]

    def step() -> float:
        losses = [(1.0 - yi * forward(row)).relu() for row, yi in zip(rows, labels)]
        loss = mean(losses) + problem.alpha * squares(params)
        loss.backward()
        _sgd(params, problem.lr)
        return loss.data
    return step


class Ours(Peer):
    """This repository's `autograd`. Array steps release the graph during backward, as
    `nn.fit` does; `Ours(retain_graph=True)` keeps it (what `benchmarks.allocation` compares)."""

    name = "ours"
    distribution = "seegrad"

    def __init__(self, retain_graph: bool = False) -> None:
        self.retain_graph = retain_graph

    def mlp(self, problem: MLPProblem):
        params = [Value(a.copy()) for layer in problem.weights for a in layer]
        x = Value(problem.x, requires_grad=False)
        y = problem.y if problem.loss == "xent" else problem.y.astype(problem.dtype)
        last = len(params) - 2

        def step() -> float:
            h = x
            for i in range(0, len(params), 2):
                h = h @ params[i] + params[i + 1]
                if i < last:
                    h = h.relu()
            loss = _loss(problem, h, params, y)
            loss.backward(retain_grads=False, retain_graph=self.retain_graph)
            _sgd(params, problem.lr)
            return float(loss.data)
        return step

    def scalar_mlp(self, problem: MLPProblem):
        def neuron(ws: List[Value], inputs: List[Any], b: Value) -> Value:
            return sum((w * a for w, a in zip(ws, inputs)), b)

        def mean(terms: List[Value]) -> Value:
            return sum(terms) * (1.0 / len(terms))

        def squares(params: List[Value]) -> Value:
            return sum(p * p for p in params)
        return _scalar_step(problem, neuron, mean, squares)

    def fused_scalar_mlp(self, problem: MLPProblem):
        def neuron(ws: List[Value], inputs: List[Any], b: Value) -> Value:
            return autograd.affine(ws, inputs, b)

        def mean(terms: List[Value]) -> Value:
            return autograd.affine([1.0 / len(terms)] * len(terms), terms)

        def squares(params: List[Value]) -> Value:
            return autograd.affine(params, params)
        return _scalar_step(problem, neuron, mean, squares)

    def chain(self, problem: ChainProblem):
        def backward(y: Value) -> None:
            y.backward()
        return AutogradChain(problem, leaf=Value, tanh=Value.tanh, reduce=Value.sum,
                             backward=backward, grad=lambda x0: x0.grad,
                             item=lambda y: float(y.data))

    def cnn(self, problem: CNNProblem):
        dt = problem.dtype
        model = _loaded(nn.Sequential(
            nn.Conv2d(1, 8, 3, dtype=dt), nn.Activation("relu"), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, dtype=dt), nn.Activation("relu"), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 10, dtype=dt)), problem.state)
        opt = nn.optim.SGD(model.parameters(), lr=problem.lr)
        x = Value(problem.x, requires_grad=False)
        return lambda: nn.train_step(model, x, problem.y, nn.losses.cross_entropy, opt)[0]

    def conv(self, problem: ConvProblem):
        x, w = Value(problem.x.copy()), Value(problem.w.copy())

        def step() -> float:
            y = autograd.conv2d(x, w, padding=problem.padding)
            y.backward(problem.g, retain_grads=False, retain_graph=False)
            grad = w.grad
            x.zero_grad()
            w.zero_grad()
            return float((grad * grad).sum())
        return step

    def lstm(self, problem: SequenceProblem):
        s = problem.sizes
        model = _loaded(_layer("LSTM", "recurrent")(s["input"], s["hidden"], dtype=problem.dtype),
                        problem.state)
        return _train(model, problem,
                      lambda out: nn.losses.mse_loss(out[0][-1], problem.target))

    def transformer(self, problem: SequenceProblem):
        s = problem.sizes
        layer = _layer("TransformerEncoderLayer", "attention")(
            s["d_model"], s["heads"], s["ff"], dropout=0.0, dtype=problem.dtype)
        model = _loaded(_layer("TransformerEncoder", "attention")(layer, s["layers"]),
                        problem.state)
        return _train(model, problem, lambda out: nn.losses.mse_loss(out, problem.target))


def _layer(name: str, branch: str) -> Callable[..., nn.Module]:
    """nn.<name>, or Unavailable when this tree does not have it yet."""
    layer = getattr(nn, name, None)
    if layer is None:
        raise Unavailable(f"nn.{name} is not in this tree (being written on branch {branch})")
    return layer


def _loaded(model: nn.Module, state: State) -> nn.Module:
    """`model` with the problem's weights, copied (load_state_dict takes PyTorch's keys)."""
    model.load_state_dict({k: v.copy() for k, v in state.items()})
    return model


def _train(model: nn.Module, problem: SequenceProblem, loss_of: Callable[[Any], Value]) -> Step:
    """One SGD step of a model whose output the loss unpacks itself (nn.train_step takes
    a single output array)."""
    opt = nn.optim.SGD(model.parameters(), lr=problem.lr)

    def step() -> float:
        opt.zero_grad()
        loss = loss_of(model(problem.x))
        loss.backward(retain_grads=False, retain_graph=False)
        opt.step()
        return loss.item()
    return step


PEER = Ours()
