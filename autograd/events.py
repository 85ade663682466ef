"""The training events of a compiled function, replayed after its program on every call.

`zero_grad()`, `backward()` and an optimiser's `step()` inside a function `autograd.compile`
records are noted on the tape (`tape.record_event`). After the program's forward pass, each
call does them in the function's order: `backward()` runs the program's backward and adds
each gradient to its Value's `.grad` as the engine's walk adds a leaf's (`engine.owned`: no
two Values share a gradient array); `zero_grad()` and `step()` are the Values' and the
optimiser's own. The first call checks that each gradient fits its Value (type, shape, dtype)
and fits it as the walk would; once they all fit as they come, the program writes its later
calls as straight-line code with the events' `lines` (no loop, no dispatch): numpy's result
types follow from its operands' types, shapes and dtypes, which the program checks on every
call.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence

import numpy as np

from autograd.engine import accumulate, fit, owned, unit_seed
from autograd.tape import BACKWARD, STEP, ZERO_GRAD


class Events:
    """A program's training events: `run` does them for one call, `lines` writes them as
    code."""

    def __init__(self, events: List[tuple], receivers: List[Any],
                 backward: Callable[[Any, tuple], Any]) -> None:
        # Each event: (kind, what it acts on: the optimiser, or the Values of a zero_grad,
        # arguments by position; the function doing a step)
        self.events = _merged(events)
        self.receivers = receivers      # per gradient of the program: a Value, or an argument
        self.backward = backward        # (seed, saved) -> the program's gradients

    def comment(self) -> str:
        """The events, as comments for the program's source."""
        return ("\n# Then, on every call, in the function's order:\n"
                + "".join(f"#   {_said(kind, target)}\n" for kind, target, _ in self.events))

    def run(self, inputs: List[Any], data: Any, saved: tuple) -> Optional[List[type]]:
        """Do the events for one call (`data`: the program's result, `saved`: what its
        forward saved), each gradient fitted to its Value if it does not fit. Returns the
        gradients' types when none needed fitting (`lines` can then be written for them)."""
        fitted, kinds = True, []
        for kind, target, do in self.events:
            if kind == BACKWARD:
                seed = unit_seed(data)
                given: set = set()
                for v, g in zip(self.receivers, self.backward(seed, saved)):
                    v = inputs[v] if type(v) is int else v
                    if (type(g) is not float or type(v._data) is not float) and (
                            type(g) is not np.ndarray or type(v._data) is not np.ndarray
                            or g.shape != v._data.shape or g.dtype != v._data.dtype):
                        g, fitted = fit(g, v), False
                    kinds.append(type(g))
                    if type(g) is np.ndarray:
                        g = owned(g, seed, given)
                    v._grad = g if v._grad is None else accumulate(v._grad, g)
            elif kind == ZERO_GRAD:
                for v in target:
                    (inputs[v] if type(v) is int else v)._grad = None
            else:
                do()
        return kinds if fitted else None

    def lines(self, kinds: List[type], env: Dict[str, Any], made: Sequence[bool]) -> List[str]:
        """The events as straight-line statements of a call's body, which has `inputs`,
        `data` and `saved` as `run` has them, for gradients of these types (`made`: which are
        arrays the program made, that nothing else refers to); the objects they name are put
        in `env`."""
        env.update(unit_seed=unit_seed, accumulate=accumulate, backward=self.backward)
        lines = []

        def value(v: Any, name: str) -> str:
            if type(v) is int:
                return f"inputs[{v}]"
            env[name] = v
            return name
        for e, (kind, target, do) in enumerate(self.events):
            lines.append(f"    # {_said(kind, target)}")
            if kind == ZERO_GRAD:
                lines += [f"    {value(v, f'zero_{e}_{i}')}._grad = None"
                          for i, v in enumerate(target)]
            elif kind == STEP:
                env[f"step_{e}"] = do
                dropped = self._dropped(e, kinds, made)
                if dropped and "dropped" in inspect.signature(do).parameters:
                    env[f"dropped_{e}"] = dropped
                    lines.append(f"    step_{e}(dropped_{e})   # their gradients: dropped next")
                else:
                    lines.append(f"    step_{e}()")
            else:
                grads = [f"g{i}" for i in range(len(self.receivers))]
                lines += ["    seed = unit_seed(data)",
                          f"    ({', '.join(grads)}{',' if len(grads) == 1 else ''}) = "
                          "backward(seed, saved)"]
                arrays = [g for g, k in zip(grads, kinds) if k is np.ndarray]
                for i, (v, g) in enumerate(zip(self.receivers, grads)):
                    name = value(v, f"target_{i}")
                    if g in arrays:     # engine.owned's rule, the arrays given so far by name
                        given = "".join(f" or {g} is {h}" for h in arrays[:arrays.index(g)])
                        lines += [f"    if {g} is seed or {g}.base is not None{given}:",
                                  f"        {g} = {g}.copy()"]
                    lines.append(f"    {name}._grad = {g} if {name}._grad is None else "
                                 f"accumulate({name}._grad, {g})")
        return lines

    def _dropped(self, e: int, kinds: List[type], made: Sequence[bool]) -> FrozenSet[int]:
        """The ids of the Values whose gradients, arrays the program made, the next event
        after event `e` drops (a zero_grad()): a step between may use them as scratch (a
        STEP's `do` takes them as `dropped`, see `tape.record_event`)."""
        if e + 1 == len(self.events) or self.events[e + 1][0] != ZERO_GRAD:
            return frozenset()
        zeroed = {id(v) for v in self.events[e + 1][1]}
        return frozenset(id(v) for v, kind, ours in zip(self.receivers, kinds, made)
                         if kind is np.ndarray and ours and type(v) is not int
                         and id(v) in zeroed)


def _said(kind: str, target: Any) -> str:
    """An event in words (`target`: the optimiser of a step, the Values of a zero_grad)."""
    return ("backward() adds the gradients to .grad" if kind == BACKWARD else
            f"zero_grad() of {len(target)} Values" if kind == ZERO_GRAD else
            f"{type(target).__name__}.step()")


def _merged(events: List[tuple]) -> List[tuple]:
    """Training events as a program keeps them: each run of zero_grad() events one event, on
    a list of Values, and backward() without the recording's pass (whose graph it holds)."""
    merged: List[tuple] = []
    for kind, target, do in events:
        if kind != ZERO_GRAD:
            merged.append((kind, target, None if kind == BACKWARD else do))
        elif merged and merged[-1][0] == ZERO_GRAD:
            merged[-1][1].append(target)
        else:
            merged.append((kind, [target], None))
    return merged

