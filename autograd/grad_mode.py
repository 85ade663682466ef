"""Switch graph recording on and off: `no_grad()`, `enable_grad()`, `set_grad_enabled()`.

Each works as a context manager and as a decorator (`no_grad` and `enable_grad` with or without
parentheses); `set_grad_enabled(False)` called on its own switches recording off until it is
switched on again, as in PyTorch. The switches are per thread (and per asyncio task): they live
in a `contextvars.ContextVar`, so `no_grad()` in one thread never stops another from recording,
and reading them costs an op no more than reading a global.
"""
from __future__ import annotations

import contextvars
import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


# This thread's switches, as bits of one int (cheap for every op to read and test):
GRAD = 1        # record operations for differentiation
ANOMALY = 2     # check every op's numbers for NaN/Inf (autograd.detect_anomaly)

_mode = contextvars.ContextVar("autograd_mode", default=GRAD)
_mode.set(GRAD)         # a value set in this context, not the default, is what get() caches
current_mode = _mode.get
"""This thread's switches: GRAD | ANOMALY bits (new threads start with GRAD alone)."""


def is_grad_enabled() -> bool:
    """Return True when new operations are being recorded for differentiation (in this
    thread)."""
    return bool(current_mode() & GRAD)


def _with(mode: int, flag: int, on: bool) -> int:
    return mode | flag if on else mode & ~flag


class Switch:
    """Set one switch (`flag`, a bit) of this thread's mode for a block and restore the mode
    after: a context manager and a decorator."""

    flag = GRAD

    def __init__(self, value: bool) -> None:
        self.value = bool(value)
        self._saved = threading.local()     # one instance may be entered by several threads

    def __enter__(self) -> None:
        self._saved.__dict__.setdefault("modes", []).append(current_mode())
        _mode.set(_with(current_mode(), self.flag, self.value))

    def __exit__(self, *exc: object) -> None:
        _mode.set(self._saved.modes.pop())

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(Switch):
    """Set recording on or off: at once when called (`set_grad_enabled(False)`), for a block
    (`with set_grad_enabled(False):`, restoring the mode it found on exit), or for a function
    (as a decorator, changing nothing until the function runs), as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        super().__init__(mode)
        self._found = current_mode()
        _mode.set(_with(self._found, GRAD, self.value))

    def __enter__(self) -> None:
        _mode.set(_with(current_mode(), GRAD, self.value))

    def __exit__(self, *exc: object) -> None:
        _mode.set(self._found)

    def __call__(self, fn: F) -> F:
        _mode.set(self._found)
        return Switch(self.value)(fn)


class FixedSwitch(Switch):
    """A switch whose value is fixed by its class (`value`), usable as `with switch():`,
    `@switch()` and `@switch`."""

    value = True

    def __new__(cls, fn: Any = None) -> Any:
        switch = super().__new__(cls)
        if fn is None:
            return switch
        if not callable(fn):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {fn!r}); use it as "
                            f"`with {cls.__name__}():` or as a decorator")
        switch.__init__()
        return switch(fn)

    def __init__(self, fn: Any = None) -> None:
        super().__init__(type(self).value)


class no_grad(FixedSwitch):
    """Do not record operations (inference, optimiser updates).

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * 2          # nothing is recorded
    >>> y.requires_grad, y.parents
    (False, ())
    """

    value = False


class enable_grad(FixedSwitch):
    """Record operations again, even inside `no_grad()`."""

    value = True
