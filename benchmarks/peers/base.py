"""The small interface every peer implements, and the chain runner the autograd peers share."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from benchmarks.arch_problems import CNNProblem, ConvProblem, SequenceProblem
from benchmarks.problems import ChainProblem, MLPProblem, run_chain

Step = Callable[[], float]


class Unavailable(Exception):
    """Raised by a peer method when this installation of the peer lacks what the workload
    needs (such as a layer not written yet): the tables report why, and nothing stops."""


class Peer:
    """An engine under test. Each method returns None when the peer cannot run that kind of
    workload (the table then says "n/a").

    - `mlp(problem)`: a step function doing one full SGD step on the whole batch (forward,
      backward, update, gradients cleared) and returning the loss before the update.
    - `scalar_mlp(problem)`: the same step built from one scalar node per weight and one scalar
      graph per sample, as micrograd does.
    - `fused_scalar_mlp(problem)`: scalar mode with each neuron's weighted sum as one node
      (our `autograd.affine`).
    - `chain(problem)`: a `Chain` that builds the op chain and differentiates it.
    - `cnn`, `lstm`, `transformer`: one SGD step of workload 8's LeNet, 10's LSTM or 11's
      encoder, returning the loss before the update; `conv`: workload 9's convolution forward
      and backward, returning the squared norm of the weight's gradient.
    """

    name = ""
    package: Optional[str] = None       # import name; when missing the peer is "not installed"
    distribution: Optional[str] = None  # pip name, for the version

    def mlp(self, problem: MLPProblem) -> Optional[Step]:
        return None

    def scalar_mlp(self, problem: MLPProblem) -> Optional[Step]:
        return None

    def fused_scalar_mlp(self, problem: MLPProblem) -> Optional[Step]:
        return None

    def chain(self, problem: ChainProblem) -> Optional["Chain"]:
        return None

    def cnn(self, problem: CNNProblem) -> Optional[Step]:
        return None

    def conv(self, problem: ConvProblem) -> Optional[Step]:
        return None

    def lstm(self, problem: SequenceProblem) -> Optional[Step]:
        return None

    def transformer(self, problem: SequenceProblem) -> Optional[Step]:
        return None


class Chain:
    """Build a chain (`forward`), read its output (`value`) and differentiate it (`backward`,
    returning the sum of d(output)/d(x0), the output being summed first when it is an array)."""

    def forward(self) -> Any:
        raise NotImplementedError

    def value(self, out: Any) -> float:
        raise NotImplementedError

    def backward(self, out: Any) -> float:
        raise NotImplementedError


class AutogradChain(Chain):
    """A chain for an engine with operator overloading: the peer gives how to make the input
    leaf, its tanh, how to reduce the output to a scalar, run backward and read a gradient."""

    def __init__(self, problem: ChainProblem, leaf: Callable[[Any], Any],
                 tanh: Callable[[Any], Any], reduce: Callable[[Any], Any],
                 backward: Callable[[Any], None], grad: Callable[[Any], Any],
                 item: Callable[[Any], float] = float) -> None:
        self.problem = problem
        self._leaf, self._tanh, self._reduce = leaf, tanh, reduce
        self._backward, self._grad, self._item = backward, grad, item

    def forward(self) -> Any:
        x0 = self._leaf(self.problem.x0)
        out = run_chain(x0, self.problem, self._tanh)
        return x0, (out if self.problem.is_scalar else self._reduce(out))

    def value(self, out: Any) -> float:
        return self._item(out[1])

    def backward(self, out: Any) -> float:
        x0, y = out
        self._backward(y)
        return float(np.sum(self._grad(x0)))
