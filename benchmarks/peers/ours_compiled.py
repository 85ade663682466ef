"""Our engine with each training step compiled (`autograd.compile`): the same models, losses
and SGD updates as peers/ours.py, but the step (forward pass, loss, `backward()` and
`nn.optim.SGD`'s update; for micrograd's scalar graph, the loss only) is recorded on the first
call and replayed as one program afterwards. A step's first call records (it runs the function
twice eagerly and builds the program), so it is slower than the rest: the tables report it
apart (workloads.recording_notes)."""
from __future__ import annotations

from typing import Callable

import autograd
import nn
from autograd import Value
from benchmarks.arch_problems import SequenceProblem
from benchmarks.peers import ours
from benchmarks.peers.base import Peer, Step
from benchmarks.problems import MLPProblem


def compiled_step(loss: Callable[[], Value], optimizer: nn.optim.Optimizer) -> Step:
    """The whole training step compiled: the loss, its backward pass and the optimiser's
    update are one program; the step returns the loss before the update."""
    @autograd.compile
    def train() -> Value:
        value = loss()
        value.backward(retain_grads=False, retain_graph=False)
        optimizer.step()
        optimizer.zero_grad()
        return value
    return lambda: float(train().data)


class Compiled(Peer):
    """`ours` with `autograd.compile` on each training step (the MLPs, the LSTM and the
    Transformer) or on its loss (micrograd's scalar graph, updated as `ours` updates it)."""

    name = "compiled"
    distribution = "seegrad"

    def mlp(self, problem: MLPProblem):
        params, loss = ours.mlp_loss(problem)
        return compiled_step(loss, nn.optim.SGD(params, lr=problem.lr))

    def scalar_mlp(self, problem: MLPProblem):
        params, loss = ours.scalar_loss(problem)
        return ours.sgd_step(autograd.compile(loss), params, problem.lr)

    def lstm(self, problem: SequenceProblem):
        model, loss = ours.lstm_loss(problem)
        return compiled_step(loss, nn.optim.SGD(model.parameters(), lr=problem.lr))

    def transformer(self, problem: SequenceProblem):
        model, loss = ours.transformer_loss(problem)
        return compiled_step(loss, nn.optim.SGD(model.parameters(), lr=problem.lr))


PEER = Compiled()
