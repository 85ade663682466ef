"""Recording what a function does, for `autograd.compile`: a tape of every op applied to a Value.

While a tape records (in this thread), `apply` appends each op it runs on a Value, recorded for
differentiation or not (a `detach()` too), so the tape holds the whole computation from the
arguments and parameters to the result. What the function computes otherwise, with plain
numpy or Python, reaches the tape as constants; `autograd.compile` records twice, on other
data, to make sure they really are constant.

Three things a tape cannot see are declared by the code that does them: random draws
(`fresh_random`: drawn again on every run, as Dropout's masks are), updates of module state
(`state_update`: run again on every run, as BatchNorm's running statistics are) and checks of
argument values (`check_values`: run again on every run, as cross-entropy's label range is).
Each costs a function call when nothing records. Code that branches on argument values in
Python refuses to be recorded (`refuse_recording`).

A whole training step can be recorded too: `backward()` of a recorded Value, `zero_grad()` and
an optimiser's `step()` called inside the function are training events (`record_event`): the
program replays them after its forward pass, in their order, on every call. Recording only
notes them; `autograd.compile` does the first call's once both recordings succeeded (nothing
in the function can see their effects, see `record_event`), so a refused function changes no
gradient or parameter.

Turning a recorded Value into a Python number or bool, or reading its data from outside the
library, would freeze this call's numbers into the program; while recording it raises.
"""
from __future__ import annotations

import contextvars
import functools
import sys
import threading
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from autograd.grad_mode import RECORD, Switch, current_mode
from autograd.value import Value, memory_of, next_order

_tape = contextvars.ContextVar("autograd_tape", default=None)
LIBRARY = ("autograd", "nn", "visualize")
"""Packages whose code may read a recorded Value's `.data` (for shapes and dtypes; what it
computes from the numbers is caught by the second recording)."""


class Detach:
    """The op of a `detach()` on the tape: the same data, no gradient."""

    name = "detach"

    @staticmethod
    def forward(x: Any) -> Any:
        return x


class Tape:
    """What one run of a function did: `steps` (op, inputs as given, attrs, output Value), the
    random draws and their draw functions, the state updates, the modules called."""

    def __init__(self, replay_draws: Optional[List[np.ndarray]] = None) -> None:
        self.start = next_order()               # Values made from here on are the run's own
        self.steps: List[tuple] = []
        self.traced: Dict[int, Value] = {}      # id -> Value computed by a step
        self.draws: List[tuple] = []            # (draw function, the array it gave)
        self.effects: List[tuple] = []          # (update, Values, number of steps before it)
        self.checks: List[tuple] = []           # (check, its arguments as given)
        self.modules: Dict[int, Any] = {}       # id -> module called, in order of first call
        self.events: List[tuple] = []           # (kind, target, do): see record_event
        self.updated: set = set()               # ids of what steps write, and its memory
        self._replay = replay_draws             # the second recording reuses the first's draws

    def is_traced(self, v: Value) -> bool:
        """Whether `v` is computed by this run, or is a parameter it reads."""
        return id(v) in self.traced or (v.requires_grad and v._order < self.start)


def recording(tape: Tape) -> "_Recording":
    """`with recording(tape): fn(...)` appends what fn does to `tape`."""
    return _Recording(tape)


class _Recording:
    def __init__(self, tape: Tape) -> None:
        self.tape = tape

    def __enter__(self) -> Tape:
        self._token = _tape.set(self.tape)
        self._switch = Switch(RECORD, True)
        self._switch.__enter__()
        _guards.acquire()
        return self.tape

    def __exit__(self, *exc: object) -> None:
        _guards.release()
        self._switch.__exit__()
        _tape.reset(self._token)


def record_step(op: Any, args: tuple, raws: list, attrs: Optional[dict], out: Value) -> None:
    """Called by `apply` for each op run on a Value while recording."""
    tape = _tape.get()
    if tape.updated:                    # after an optimiser step
        _refuse_after_step(tape, op, args)
    stored = tuple(a if isinstance(a, Value) else r for a, r in zip(args, raws))
    tape.steps.append((op, stored, attrs, out))
    tape.traced[id(out)] = out


def note_module(module: Any) -> None:
    """Called by `nn.Module.__call__` while recording: the program depends on its mode."""
    tape = _tape.get()
    if tape is not None:
        tape.modules.setdefault(id(module), module)


def fresh_random(draw: Callable[[], np.ndarray]) -> np.ndarray:
    """`draw()`, a random array: a compiled program calls `draw` again on every run instead of
    keeping this one (Dropout's masks)."""
    tape = _tape.get() if current_mode() & RECORD else None
    if tape is None:
        return draw()
    array = draw() if tape._replay is None else tape._replay[len(tape.draws)]
    tape.draws.append((draw, array))
    return array


def state_update(update: Callable[..., None], *values: Value) -> None:
    """`update(*data)` now, with the data of `values`: a compiled program runs it again on
    every run, with that run's data (BatchNorm's running statistics)."""
    tape = _tape.get() if current_mode() & RECORD else None
    if tape is None:
        update(*[v._data for v in values])
        return
    if tape._replay is None:
        update(*[v._data for v in values])
    tape.effects.append((update, values, len(tape.steps)))


def check_values(check: Callable[..., None], *args: Any) -> None:
    """`check(*args)` now (Values passed as their data): a validation of argument values
    (labels in range, probabilities in [0, 1]) that raises on bad ones. A compiled program
    runs it again on every run, on that run's data, before anything that reads them, so a
    bad value raises there as in eager mode instead of giving a wrong number."""
    check(*[a._data if isinstance(a, Value) else a for a in args])
    if current_mode() & RECORD:
        tape = _tape.get()
        if tape is not None:
            tape.checks.append((check, args))


BACKWARD, ZERO_GRAD, STEP = "backward()", "zero_grad()", "optimizer.step()"
"""The kinds of training events."""


def record_event(kind: str, target: Any, do: Callable[[], None],
                 writes: Sequence[Value] = ()) -> None:
    """While recording: note a training event, `do` doing it (BACKWARD of a recorded Value,
    ZERO_GRAD of a Value, STEP of an optimiser writing the Values `writes`, `target` being
    that Value or optimiser), for the program to replay after its forward pass. A step's `do`
    may take `dropped`, the ids of Values whose gradients the program drops right after it,
    arrays nothing else refers to that it may then use as scratch. Doing the
    events after the function is done is what eager mode's order gives, since the function
    cannot see their effects: reading `.grad` raises while recording, and so does an op
    reading a Value a step writes after the step. Events the program cannot replay raise
    TracerError."""
    tape = _tape.get()
    if kind == BACKWARD:
        if any(k == BACKWARD for k, _, _ in tape.events):
            raise TracerError("compile: backward() is called twice in the compiled function; "
                              "a program runs one backward pass: sum the losses and call "
                              "backward() once")
        if id(target) not in tape.traced or not target.requires_grad:
            raise TracerError("compile: backward() is called on a Value the compiled function "
                              "did not compute from parameters or arguments that need a "
                              "gradient; call it on the function's loss")
        if target.size != 1:
            raise TracerError(f"compile: backward() is called on a Value of shape "
                              f"{target.shape}; a gradient can only be implied for a "
                              "one-element loss: reduce it first (loss.sum().backward())")
    elif kind == STEP:
        if not any(k == BACKWARD for k, _, _ in tape.events):
            raise TracerError("compile: optimizer.step() comes before backward() in the "
                              "compiled function, so it would update with the gradients of "
                              "an earlier call; order the step as zero_grad(), forward, "
                              "backward(), optimizer.step()")
        for v in writes:                # what ops after the step may not read
            tape.updated.add(id(v))
            if type(v._data) is np.ndarray:
                tape.updated.add(id(memory_of(v._data)))
    tape.events.append((kind, target, do))


def _refuse_after_step(tape: Tape, op: Any, args: tuple) -> None:
    """An op after an optimiser step may not read a Value the step writes, nor a view of one
    (a reshape, a transpose): the program runs every op before the step, so it would read
    the data before the update."""
    for a in args:
        if isinstance(a, Value) and (id(a) in tape.updated or (
                type(a._data) is np.ndarray and id(memory_of(a._data)) in tape.updated)):
            raise TracerError(
                f"compile: op '{op.name}' reads a parameter (or a view of one) after "
                "optimizer.step() in the compiled function; a program runs the forward pass, "
                "then backward() and the step, so it would read the data before the update. "
                "End the function with the step, and compute on the updated parameters in "
                "the next call")


class TracerError(RuntimeError):
    """A recorded Value was turned into a Python value while `autograd.compile` recorded."""


def refuse_recording(reason: str) -> None:
    """Raises a TracerError while `autograd.compile` records, saying `reason`: for code whose
    Python branches on its arguments' values (not Values the tape sees), so a program would
    replay one call's branch on every call."""
    if current_mode() & RECORD and _tape.get() is not None:
        raise TracerError(f"compile: {reason}")


def _refuse(what: str) -> None:
    raise TracerError(
        f"compile: {what} of a Value computed from the arguments or parameters while "
        "recording: the program would keep this call's number and give wrong results on the "
        "next call. Keep data-dependent Python (if, float(), .item(), .data) out of the "
        "compiled function: compute it outside, or pass the value as a non-array (static) "
        "argument so that each value records its own program")


def _recorded(v: Value) -> bool:
    tape = _tape.get() if current_mode() & RECORD else None
    return tape is not None and tape.is_traced(v)


def _guard(name: str, what: str) -> Callable:
    original = getattr(Value, name)

    def guarded(self: Value, *args: Any, **kwargs: Any) -> Any:
        if _recorded(self):
            _refuse(what)
        return original(self, *args, **kwargs)
    guarded.__doc__ = original.__doc__
    return guarded


def _guarded_data(self: Value) -> Any:
    if _recorded(self) and not sys._getframe(1).f_globals.get(
            "__name__", "").startswith(LIBRARY):
        _refuse("reading .data")
    return self._data


def _refuse_write(self: Value, *args: Any) -> None:
    if current_mode() & RECORD and _tape.get() is not None:
        raise TracerError(
            "compile: a Value's data is written in place while recording (a .data assignment "
            "or bump_version inside the compiled function): a program replays ops, backward() "
            "and optimizer.step(), not other writes, so this one would happen on the first "
            "call only. Update parameters with an optimizer from nn.optim, or outside")


def _refuse_grad(self: Value, *args: Any) -> None:
    if current_mode() & RECORD and _tape.get() is not None:
        raise TracerError(
            "compile: .grad is read or set inside the compiled function (gradient clipping, "
            "printing, a hand-written update): a program replays ops, backward() and "
            "optimizer.step(), not Python on gradients, which would run on the first call "
            "only. Compile the loss, and call backward(), the code on .grad and the step "
            "outside")


def _guarded_grad(self: Value) -> Any:
    _refuse_grad(self)
    return self._grad


def _guarded_set_grad(self: Value, value: Any) -> None:
    _refuse_grad(self)
    _SET_GRAD(self, value)


def _recorded_zero_grad(self: Value) -> None:
    tape = _tape.get() if current_mode() & RECORD else None
    if tape is None:
        _ZERO_GRAD(self)
    elif id(self) not in tape.traced:   # a Value made by the run has no gradient to forget
        record_event(ZERO_GRAD, self, functools.partial(_ZERO_GRAD, self))


def _guarded_set_data(self: Value, new: Any) -> None:
    _refuse_write(self)
    _SET_DATA(self, new)


def _guarded_bump(self: Value) -> None:
    _refuse_write(self)
    _BUMP(self)


def _recorded_detach(self: Value) -> Value:
    out = _DETACH(self)
    tape = _tape.get() if current_mode() & RECORD else None
    if tape is not None:
        if tape.updated:                # after an optimiser step
            _refuse_after_step(tape, Detach, (self,))
        tape.steps.append((Detach, (self,), None, out))
        tape.traced[id(out)] = out
    return out


class _Guards:
    """Value's conversions, swapped for guarded ones while any thread records (and put back
    after), so nothing costs more when nothing records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._originals: Dict[str, Any] = {}

    def acquire(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                self._originals = {name: Value.__dict__[name] for name in _GUARDED}
                for name, make in _GUARDED.items():
                    setattr(Value, name, make())

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                for name, original in self._originals.items():
                    setattr(Value, name, original)


_DETACH, _SET_DATA, _BUMP = Value.detach, Value.data.fset, Value.bump_version
_SET_GRAD, _ZERO_GRAD = Value.grad.fset, Value.zero_grad
_GUARDED: Dict[str, Callable[[], Any]] = {
    "item": lambda: _guard("item", "item(), float() or int()"),
    "numpy": lambda: _guard("numpy", "numpy()"),
    "__bool__": lambda: _guard("__bool__", "bool() (an `if` or `while` on it)"),
    "__array__": lambda: _guard("__array__", "converting to a numpy array"),
    "__lt__": lambda: _guard("__lt__", "comparing (<)"),
    "__le__": lambda: _guard("__le__", "comparing (<=)"),
    "__gt__": lambda: _guard("__gt__", "comparing (>)"),
    "__ge__": lambda: _guard("__ge__", "comparing (>=)"),
    "data": lambda: property(_guarded_data, _guarded_set_data, doc=Value.data.__doc__),
    "bump_version": lambda: _guarded_bump,
    "detach": lambda: _recorded_detach,
    "grad": lambda: property(_guarded_grad, _guarded_set_grad, doc=Value.grad.__doc__),
    "zero_grad": lambda: _recorded_zero_grad,
}
_guards = _Guards()
