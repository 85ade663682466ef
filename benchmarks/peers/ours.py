"""Our engine: array mode (one Value per weight matrix) and scalar mode (one Value per weight)."""
from __future__ import annotations

from typing import Any, Callable, List, Tuple

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


def sgd(params: List[Value], lr: float) -> None:
    """Plain SGD on each parameter, then its gradient cleared."""
    with autograd.no_grad():
        for p in params:
            p.data -= lr * p.grad
            p.zero_grad()


def sgd_step(loss: Callable[[], Value], params: List[Value], lr: float,
             **backward: bool) -> Step:
    """One training step: `loss()`, its backward (with the `backward` options), `sgd`; the
    step returns the loss before the update. The compiled peer passes a compiled `loss`."""
    def step() -> float:
        value = loss()
        value.backward(**backward)
        sgd(params, lr)
        return float(value.data)
    return step


def mlp_loss(problem: MLPProblem) -> Tuple[List[Value], Callable[[], Value]]:
    """The MLP's parameters (one Value per weight matrix and bias), and its loss on the whole
    batch as a function of none: the forward pass and the loss."""
    params = [Value(a.copy()) for layer in problem.weights for a in layer]
    x = Value(problem.x, requires_grad=False)
    y = problem.y if problem.loss == "xent" else problem.y.astype(problem.dtype)
    last = len(params) - 2

    def loss() -> Value:
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < last:
                h = h.relu()
        return _loss(problem, h, params, y)
    return params, loss


def _neuron(ws: List[Value], inputs: List[Any], b: Value) -> Value:
    return sum((w * a for w, a in zip(ws, inputs)), b)


def _mean(terms: List[Value]) -> Value:
    return sum(terms) * (1.0 / len(terms))


def _squares(params: List[Value]) -> Value:
    return sum(p * p for p in params)


def _fused_neuron(ws: List[Value], inputs: List[Any], b: Value) -> Value:
    return autograd.affine(ws, inputs, b)


def _fused_mean(terms: List[Value]) -> Value:
    return autograd.affine([1.0 / len(terms)] * len(terms), terms)


def _fused_squares(params: List[Value]) -> Value:
    return autograd.affine(params, params)


def scalar_loss(problem: MLPProblem, fused: bool = False
                ) -> Tuple[List[Value], Callable[[], Value]]:
    """micrograd's model on scalar Values (a Value per weight) and its loss as a function of
    none: one graph per sample, as micrograd builds it. With `fused`, each neuron's weighted
    sum and the loss's sums are one `autograd.affine` node each."""
    neuron, mean, squares = ((_fused_neuron, _fused_mean, _fused_squares) if fused else
                             (_neuron, _mean, _squares))
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

    def loss() -> Value:
        losses = [(1.0 - yi * forward(row)).relu() for row, yi in zip(rows, labels)]
        return mean(losses) + problem.alpha * squares(params)
    return params, loss


class Ours(Peer):
    """This repository's `autograd`. Array steps release the graph during backward, as
    `nn.fit` does; `Ours(retain_graph=True)` keeps it (what `benchmarks.allocation` compares)."""

    name = "ours"
    distribution = "seegrad"

    def __init__(self, retain_graph: bool = False) -> None:
        self.retain_graph = retain_graph

    def mlp(self, problem: MLPProblem):
        params, loss = mlp_loss(problem)
        return sgd_step(loss, params, problem.lr, retain_grads=False,
                        retain_graph=self.retain_graph)

    def scalar_mlp(self, problem: MLPProblem):
        params, loss = scalar_loss(problem)
        return sgd_step(loss, params, problem.lr)

    def fused_scalar_mlp(self, problem: MLPProblem):
        params, loss = scalar_loss(problem, fused=True)
        return sgd_step(loss, params, problem.lr)

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
        return train(*lstm_loss(problem), problem.lr)

    def transformer(self, problem: SequenceProblem):
        return train(*transformer_loss(problem), problem.lr)


def lstm_loss(problem: SequenceProblem) -> Tuple[nn.Module, Callable[[], Value]]:
    """Workload 10's `nn.LSTM` and its loss as a function of none (MSE of the last output)."""
    s = problem.sizes
    model = _loaded(_layer("LSTM", "recurrent")(s["input"], s["hidden"], dtype=problem.dtype),
                    problem.state)
    return model, lambda: nn.losses.mse_loss(model(problem.x)[0][-1], problem.target)


def transformer_loss(problem: SequenceProblem) -> Tuple[nn.Module, Callable[[], Value]]:
    """Workload 11's `nn.TransformerEncoder` and its loss as a function of none."""
    s = problem.sizes
    layer = _layer("TransformerEncoderLayer", "attention")(
        s["d_model"], s["heads"], s["ff"], dropout=0.0, dtype=problem.dtype)
    model = _loaded(_layer("TransformerEncoder", "attention")(layer, s["layers"]),
                    problem.state)
    return model, lambda: nn.losses.mse_loss(model(problem.x), problem.target)


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


def train(model: nn.Module, loss: Callable[[], Value], lr: float) -> Step:
    """One step of `nn.optim.SGD` on a model's `loss()` (a function of none, as the loss
    unpacks the model's output itself; nn.train_step takes a single output array)."""
    opt = nn.optim.SGD(model.parameters(), lr=lr)

    def step() -> float:
        opt.zero_grad()
        value = loss()
        value.backward(retain_grads=False, retain_graph=False)
        opt.step()
        return value.item()
    return step


PEER = Ours()
