"""The computations every peer runs: MLP training steps and chains of scalar ops.

A problem holds the data and the initial weights as numpy arrays; each peer copies them into
its own types, so all peers start from the same numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, List, Sequence, Tuple

import numpy as np

MUL, ADD, TANH = "mul", "add", "tanh"


@dataclass
class MLPProblem:
    """One SGD step of an MLP: ReLU hidden layers, a linear last layer, then `loss`.

    `loss` is "xent" (softmax cross-entropy with integer labels `y`, mean over the batch) or
    "hinge" (micrograd's demo: mean of relu(1 - y * score) with y = +-1, plus
    `alpha` * the sum of squares of every parameter).
    """

    name: str
    weights: List[Tuple[np.ndarray, np.ndarray]]
    x: np.ndarray
    y: np.ndarray
    lr: float
    loss: str
    alpha: float = 0.0

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype

    @property
    def sizes(self) -> List[int]:
        return [self.weights[0][0].shape[0]] + [W.shape[1] for W, _ in self.weights]

    def flops_per_step(self) -> float:
        """Multiply-adds x 2 of the matmuls in forward and backward (no gradient for x)."""
        n = len(self.x)
        forward = sum(2.0 * n * W.shape[0] * W.shape[1] for W, _ in self.weights)
        first = 2.0 * n * self.weights[0][0].size
        return 3.0 * forward - first


@dataclass
class ChainProblem:
    """A chain of elementwise ops applied to `x0` (a float or an array): op i is a tanh when
    `tanh_every` divides i + 1, otherwise `* mul` for even i and `+ add` for odd i."""

    n_ops: int
    x0: Any
    mul: float
    add: float
    tanh_every: int = 0
    ops: Tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        every = self.tanh_every
        self.ops = tuple(TANH if every and (i + 1) % every == 0 else (MUL if i % 2 == 0 else ADD)
                         for i in range(self.n_ops))

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.x0, float)


def run_chain(x: Any, problem: ChainProblem, tanh: Callable[[Any], Any]) -> Any:
    """Apply the chain's ops to `x` with operators, and `tanh` for the tanh steps."""
    m, a = problem.mul, problem.add
    for op in problem.ops:
        if op is MUL:
            x = x * m
        elif op is ADD:
            x = x + a
        else:
            x = tanh(x)
    return x


# ----- data ---------------------------------------------------------------------------------
def moons(n: int, noise: float, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's make_moons), labels -1 and +1."""
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, math.pi, n_out)
    t_in = np.linspace(0, math.pi, n_in)
    x = np.vstack([np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
                   np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1)])
    x += rng.normal(scale=noise, size=x.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n_in)])
    return x, y


def he_weights(sizes: Sequence[int], dtype: Any, rng: np.random.Generator):
    """He-normal weights and zero biases for layers sizes[0] -> sizes[1] -> ..."""
    return [((rng.standard_normal((i, o)) * math.sqrt(2.0 / i)).astype(dtype),
             np.zeros(o, dtype=dtype)) for i, o in zip(sizes[:-1], sizes[1:])]


def micrograd_demo(n: int = 100, seed: int = 0) -> MLPProblem:
    """Workload 1: micrograd's README demo, MLP(2, [16, 16, 1]) on moons, hinge + 1e-4 L2.
    Weights are uniform in [-1, 1] and biases zero, as micrograd initialises them."""
    rng = np.random.default_rng(seed)
    x, y = moons(n, 0.1, rng)
    sizes = [2, 16, 16, 1]
    weights = [(rng.uniform(-1, 1, (i, o)), np.zeros(o)) for i, o in zip(sizes[:-1], sizes[1:])]
    return MLPProblem(f"moons {n}, MLP(2, [16, 16, 1])", weights, x, y, lr=0.1,
                      loss="hinge", alpha=1e-4)


def classifier(sizes: Sequence[int], batch: int, dtype: Any, seed: int = 0) -> MLPProblem:
    """Workloads 2-4: softmax cross-entropy on a fixed random batch, SGD lr 0.1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    name = f"{'-'.join(map(str, sizes))}, batch {batch}, {np.dtype(dtype).name}"
    return MLPProblem(name, he_weights(sizes, dtype, rng), x, y, lr=0.1, loss="xent")


def op_chain(n_ops: int, shape: Tuple[int, ...] = ()) -> ChainProblem:
    """Workload 5: mul, add and every tenth a tanh, on a scalar or an array of `shape`."""
    x0 = 0.5 if shape == () else np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape)
    return ChainProblem(n_ops, x0, mul=1.2, add=-0.1, tanh_every=10)


def deep_chain(n_ops: int) -> ChainProblem:
    """Workload 6: a long chain of scalar muls and adds whose values stay of order one."""
    return ChainProblem(n_ops, 0.5, mul=1.000001, add=1e-6)
