"""Switch graph recording on and off: `no_grad()`, `enable_grad()`, `set_grad_enabled()`.

Each works as a context manager and as a decorator (`no_grad` and `enable_grad` with or without
parentheses; a decorated generator runs each step under the switch); `set_grad_enabled(False)`
called on its own switches recording off until it is switched on again, as in PyTorch. The
switches are per thread and per asyncio task: they live in `contextvars.ContextVar`s, so
`no_grad()` in one thread never stops another from recording (one switch object may even be
entered by several threads at once), and reading them costs an op no more than reading a
global. A task starts from its creator's switches, and what it switches stays in it.
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import threading
from typing import Any, Callable, Optional, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# This thread's switches, as bits of one int (cheap for every op to read and test):
GRAD = 1        # record operations for differentiation
ANOMALY = 2     # check every op's numbers for NaN/Inf (autograd.detect_anomaly)
RECORD = 4      # append every op to a tape (autograd.compile, see autograd/tape.py)
WATCHED = ANOMALY | RECORD     # either: each op is looked at after it runs

_mode = contextvars.ContextVar("autograd_mode", default=GRAD)
current_mode = _mode.get
"""This thread's switches: GRAD | ANOMALY | RECORD bits (new threads start with GRAD alone)."""
_undo = contextvars.ContextVar("autograd_undo", default=None)
"""How to leave the innermost block: the tokens that reset `_mode` and `_undo` to what they
were before it. Resetting (not setting back) leaves the context as the block found it, empty
outside any block, which keeps every context lookup cheap, numpy's own on each call included."""


def is_grad_enabled() -> bool:
    """Return True when new operations are being recorded for differentiation (in this
    thread)."""
    return bool(current_mode() & GRAD)


class Switch:
    """Turn one switch (`flag`) on or off for a block, restoring the mode after: a context
    manager and a decorator. The mode to restore is kept per thread and task, not on the
    object, so one Switch may be entered anywhere at once (`no_grad()` hands out the same one
    every time)."""

    def __init__(self, flag: int, on: bool) -> None:
        self.flag, self.on = flag, bool(on)
        self._keep, self._add = (-1, flag) if self.on else (~flag, 0)   # mode & keep | add

    def __enter__(self) -> None:
        undo = [_mode.set(current_mode() & self._keep | self._add), None]
        undo[1] = _undo.set(undo)       # (the list holds the token of its own setting)

    def __exit__(self, *exc: object) -> None:
        mode_token, undo_token = _undo.get()
        _mode.reset(mode_token)
        _undo.reset(undo_token)

    def __call__(self, fn: F) -> F:
        if inspect.isgeneratorfunction(fn):
            return _each_step(self, fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _each_step(switch: Switch, fn: F) -> F:
    """A generator function whose every step (not only its creation) runs under `switch`."""
    @functools.wraps(fn)
    def generator(*args: Any, **kwargs: Any) -> Any:
        try:
            with switch:
                steps = fn(*args, **kwargs)
                item = steps.send(None)
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    with switch:
                        steps.close()
                    raise
                except BaseException as exc:    # thrown in: the generator handles it
                    with switch:
                        item = steps.throw(exc)
                else:
                    with switch:
                        item = steps.send(sent)
        except StopIteration as finished:
            return finished.value

    return generator  # type: ignore[return-value]


def switch(flag: int, on: bool, fn: Optional[Callable] = None) -> Any:
    """A Switch for `with ...():` and `@...()`, or `fn` decorated for `@...` alone."""
    if fn is None:
        return _SWITCHES[flag, on]
    if not callable(fn):
        raise TypeError(f"expected a function to decorate, got {fn!r}; use it as "
                        "`with no_grad():` or as a decorator")
    return _SWITCHES[flag, on](fn)


_SWITCHES = {(flag, on): Switch(flag, on) for flag in (GRAD, ANOMALY) for on in (False, True)}


def no_grad(fn: Optional[Callable] = None) -> Any:
    """Do not record operations (inference, optimiser updates): `with no_grad():`,
    `@no_grad()` or `@no_grad`.

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * 2          # nothing is recorded
    >>> y.requires_grad, y.parents
    (False, ())
    """
    return switch(GRAD, False, fn)


def enable_grad(fn: Optional[Callable] = None) -> Any:
    """Record operations again, even inside `no_grad()`: `with enable_grad():`,
    `@enable_grad()` or `@enable_grad`."""
    return switch(GRAD, True, fn)


class set_grad_enabled(Switch):
    """Set recording on or off: at once when called (`set_grad_enabled(False)`), for a block
    (`with set_grad_enabled(False):`, restoring the mode it found on exit), or for a function
    (as a decorator, changing nothing until the function runs), as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        super().__init__(GRAD, mode)
        self._found = current_mode()
        self._where = threading.get_ident()
        self._fresh = True              # its own switch is still on, where it was made
        _mode.set(self._found & self._keep | self._add)

    def _undo_own_switch(self) -> bool:
        """Whether this object's call switched the current thread's mode and still owns it."""
        own = self._fresh and threading.get_ident() == self._where
        self._fresh = False
        return own

    def __enter__(self) -> None:
        if self._undo_own_switch():     # the block, not the call, switches: exit restores
            _mode.set(self._found)      # the mode found before the call
        super().__enter__()

    def __call__(self, fn: F) -> F:
        if self._undo_own_switch():
            _mode.set(self._found)
        return Switch(GRAD, self.on)(fn)
