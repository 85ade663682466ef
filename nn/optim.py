"""Optimisers and learning-rate schedules following PyTorch's documented algorithms, so
trajectories can be compared step by step. Updates change `.data` in place and record nothing
(inside a function `autograd.compile` records, `step()` is a training event the program
replays on every call; the optimiser's settings are refused there, as they would change on
the first call only).
"""
from __future__ import annotations

import math
from operator import attrgetter
from typing import Any, Collection, Dict, Iterable, List, Tuple

import numpy as np

from autograd import Value
from autograd.grad_mode import RECORD, current_mode
from autograd.tape import STEP, record_event, refuse_recording
from autograd.value import note_writes
from nn import checks


def _raw(grad: Any) -> Any:
    """A gradient's number or array (one recorded under create_graph is a Value)."""
    return grad.data if isinstance(grad, Value) else grad


def _check(name: str, value: Any, what: str, low: float = 0.0, high: float = math.inf,
           high_open: bool = False) -> float:
    """A hyper-parameter as a finite float in [low, high] (or [low, high)): NaN, infinities
    and text are refused (nn.checks.finite_float)."""
    return checks.finite_float(value, what, name, low, high, high_open=high_open)


def _distinct(params: List[Value], name: str) -> None:
    """Refuse a parameter given twice: each step would update it twice (PyTorch only warns)."""
    first: Dict[int, int] = {}
    for i, p in enumerate(params):
        if id(p) in first:
            raise ValueError(f"{name}: the optimizer got the same parameter twice (parameters "
                             f"{first[id(p)]} and {i}), so each step would update it twice; "
                             "pass each parameter once")
        first[id(p)] = i


class Optimizer:
    """Base class: holds the parameters, the learning rate `lr` and per-parameter state.

    Hyper-parameters must be finite numbers in their range (a NaN or infinite learning rate
    is refused, also when a scheduler or your code sets `lr` later), and each parameter must
    be given once: a duplicate raises ValueError, where PyTorch warns, because it would be
    updated twice per step.
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        name = type(self).__name__
        if isinstance(params, Value):
            raise TypeError(f"{name}: params must be an iterable of Values, got a single Value "
                            "(wrap it in a list)")
        self.params: List[Value] = list(params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list (did the model build any "
                             "layers? only nn.Parameter attributes are parameters, not plain "
                             "Values)")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Value")
        _distinct(self.params, name)
        self.lr = lr
        self.state: Dict[int, Dict[str, Any]] = {}
        self.steps = 0

    def __setattr__(self, name: str, value: Any) -> None:
        if current_mode() & RECORD:
            refuse_recording(f"setting {type(self).__name__}.{name} inside the compiled "
                             "function would happen on the first call only (a program replays "
                             "ops and steps, not Python); set it outside, between calls: each "
                             "call's step reads the settings of that moment")
        object.__setattr__(self, name, value)

    def _set_lr(self, value: float) -> None:
        self._lr = _check(type(self).__name__, value, "lr")

    # (a C getter: updates read it for every parameter at every step)
    lr = property(attrgetter("_lr"), _set_lr,
                  doc="The learning rate, a finite float >= 0 (checked whenever it is set).")

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter from its `.grad`. Parameters whose `.grad` is
        None (no gradient since `zero_grad`) are skipped, state included, as in PyTorch. The
        update is written into the parameter's array (a Python float is replaced), and the
        write stamped: graphs recorded before the step refuse to backpropagate. Inside a
        function `autograd.compile` records, the step is part of the program: it runs on
        every call, with the optimiser's settings (lr) of that moment."""
        if current_mode() & RECORD:
            record_event(STEP, self, self._step, self.params)
        else:
            self._step()

    def _step(self) -> None:
        self.steps += 1
        written = []                    # arrays written in place: stamped at once, after
        for p in self.params:
            g = p._grad
            if g is not None and p.requires_grad and self._update_parameter(p, g):
                written.append(p)
        note_writes(written, True)

    def _update_parameter(self, p: Value, g: Any) -> bool:
        """Update `p` from its gradient `g`; True when its array was written in place (to be
        stamped), False when its number was replaced (stamped by the `.data` setter)."""
        data = p._data
        state = self.state.get(id(p))
        if state is None:
            state = self.state[id(p)] = {}
        if type(data) is float:
            p.data = float(self._update(np.asarray(data), np.asarray(_raw(g)), state))
            return False
        new = self._update(data, g if type(g) is np.ndarray else np.asarray(_raw(g)), state)
        if new is not data:
            data[...] = new
        return True

    def _update(self, x: np.ndarray, g: np.ndarray, state: Dict[str, Any]) -> np.ndarray:
        """The parameter's new data from its data `x` and gradient `g`, updating `state`; it
        may be `x` itself, written in place."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight
    decay (PyTorch's torch.optim.SGD).

    >>> p = Value(1.0); (p * p).backward(); SGD([p], lr=0.1).step(); p.data
    0.8
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0,
                 dampening: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check("SGD", momentum, "momentum")
        self.weight_decay = _check("SGD", weight_decay, "weight_decay")
        self.dampening = _check("SGD", dampening, "dampening")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)

    def _step(self, dropped: Collection[int] = frozenset()) -> None:
        """The update. `dropped`: ids of parameters whose gradient arrays the caller drops
        right after (a compiled training step ending in zero_grad(), `tape.record_event`):
        lr * g goes into that array instead of a new one, the same bits, one parameter-sized
        temporary fewer, written while the gradient is still in cache."""
        if self.momentum or self.weight_decay:
            super()._step()
            return
        # Plain SGD, the usual case, with no per-parameter state or call for arrays
        self.steps += 1
        lr, written, array = self._lr, [], np.ndarray
        for p in self.params:
            g, data = p._grad, p._data
            if type(g) is array and type(data) is array and p.requires_grad:
                # the bits of _update's x -= lr * g
                data -= np.multiply(g, lr, out=g) if id(p) in dropped else lr * g
                written.append(p)
            elif g is not None and p.requires_grad and self._update_parameter(p, g):
                written.append(p)
        note_writes(written, True)

    def _update(self, x: np.ndarray, g: np.ndarray, state: Dict[str, Any]) -> np.ndarray:
        if self.weight_decay:
            g = g + self.weight_decay * x
        if self.momentum:
            buf = state.get("momentum")
            buf = g.copy() if buf is None else self.momentum * buf + (1 - self.dampening) * g
            state["momentum"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        x -= self.lr * g                # in place: one temporary, the bits of x - lr * g
        return x


class Adagrad(Optimizer):
    """Adagrad (PyTorch's torch.optim.Adagrad): steps shrink with the summed squared
    gradients."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, lr)
        self.lr_decay = _check("Adagrad", lr_decay, "lr_decay")
        self.weight_decay = _check("Adagrad", weight_decay, "weight_decay")
        self.initial = _check("Adagrad", initial_accumulator_value, "initial_accumulator_value")
        self.eps = _check("Adagrad", eps, "eps")

    def _update(self, x: np.ndarray, g: np.ndarray, state: Dict[str, Any]) -> np.ndarray:
        state["step"] = t = state.get("step", 0) + 1
        if self.weight_decay:
            g = g + self.weight_decay * x
        clr = self.lr / (1 + (t - 1) * self.lr_decay)
        total = state.get("sum", np.full_like(x, self.initial)) + g * g
        state["sum"] = total
        return x - clr * g / (np.sqrt(total) + self.eps)


class RMSprop(Optimizer):
    """RMSprop (PyTorch's torch.optim.RMSprop), optionally centred and with momentum."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr)
        self.alpha = _check("RMSprop", alpha, "alpha", 0.0, 1.0)
        self.eps = _check("RMSprop", eps, "eps")
        self.weight_decay = _check("RMSprop", weight_decay, "weight_decay")
        self.momentum = _check("RMSprop", momentum, "momentum")
        self.centered = bool(centered)

    def _update(self, x: np.ndarray, g: np.ndarray, state: Dict[str, Any]) -> np.ndarray:
        if self.weight_decay:
            g = g + self.weight_decay * x
        a = self.alpha
        sq = a * state.get("square_avg", np.zeros_like(x)) + (1 - a) * g * g
        state["square_avg"] = sq
        if self.centered:
            avg = a * state.get("grad_avg", np.zeros_like(x)) + (1 - a) * g
            state["grad_avg"] = avg
            sq = sq - avg * avg
        step = g / (np.sqrt(sq) + self.eps)
        if self.momentum:
            step = self.momentum * state.get("momentum", np.zeros_like(x)) + step
            state["momentum"] = step
        return x - self.lr * step


class Adam(Optimizer):
    """Adam (PyTorch's torch.optim.Adam) with bias correction, L2 weight decay and AMSGrad."""

    decoupled = False

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2) such as (0.9, 0.999), "
                            f"got {betas!r}")
        self.betas = (_check(name, betas[0], "betas[0]", 0.0, 1.0, high_open=True),
                      _check(name, betas[1], "betas[1]", 0.0, 1.0, high_open=True))
        self.eps = _check(name, eps, "eps")
        self.weight_decay = _check(name, weight_decay, "weight_decay")
        self.amsgrad = bool(amsgrad)

    def _update(self, x: np.ndarray, g: np.ndarray, state: Dict[str, Any]) -> np.ndarray:
        b1, b2 = self.betas
        state["step"] = t = state.get("step", 0) + 1
        if self.weight_decay:
            if self.decoupled:
                x = x * (1 - self.lr * self.weight_decay)
            else:
                g = g + self.weight_decay * x
        m = b1 * state.get("exp_avg", np.zeros_like(x)) + (1 - b1) * g
        v = b2 * state.get("exp_avg_sq", np.zeros_like(x)) + (1 - b2) * g * g
        state["exp_avg"], state["exp_avg_sq"] = m, v
        if self.amsgrad:
            v = np.maximum(state.get("max_exp_avg_sq", v), v)
            state["max_exp_avg_sq"] = v
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        return x - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (PyTorch's torch.optim.AdamW): the parameters shrink
    by lr * weight_decay before the Adam step."""

    decoupled = True

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most `max_norm`; returns the
    norm before clipping (PyTorch's clip_grad_norm_). Parameters without a gradient are left
    without one.

    >>> p = Value(np.array([3.0, 4.0])); p.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm([p], 1.0), np.round(p.grad, 3)
    (5.0, array([0.6, 0.8]))
    """
    params = [p for p in params if p.grad is not None]
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm: max_norm must be non-negative, got {max_norm}")
    grads = [np.asarray(_raw(p.grad), dtype=np.float64) for p in params]
    total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = _raw(p.grad) * coef
    return total


class LRScheduler:
    """Base class of learning-rate schedules: call `step()` once per epoch."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an optimiser, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def step(self) -> None:
        """Advance one epoch and set the optimiser's learning rate."""
        refuse_recording(f"{type(self).__name__}.step() inside the compiled function would "
                         "change the learning rate on the first call only; call it outside, "
                         "once per epoch (an optimizer.step() inside uses the lr of each call)")
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> float:
        """The learning rate set by the last step."""
        return self.optimizer.lr

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = checks.positive_int(step_size, "step_size", "StepLR")
        self.gamma = _check("StepLR", gamma, "gamma")

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by `gamma` every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = _check("ExponentialLR", gamma, "gamma")

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """Cosine from the initial rate down to `eta_min` over `T_max` epochs:
    eta_min + (lr0 - eta_min) (1 + cos(pi t / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        self.T_max = checks.positive_int(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = _check("CosineAnnealingLR", eta_min, "eta_min")

    def lr_at(self, epoch: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2


__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "clip_grad_norm",
           "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]
