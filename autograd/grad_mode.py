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
from typing import Any, Callable, List, Optional, TypeVar

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


def _switched(flag: int, on: bool) -> int:
    mode = current_mode()
    return mode | flag if on else mode & ~flag


class Switch:
    """Turn one switch (`flag`) on or off for a block, restoring the mode after: a context
    manager, and a decorator (each call of the function gets a switch of its own, so threads
    calling it at once do not share one)."""

    def __init__(self, flag: int, on: bool) -> None:
        self.flag, self.on = flag, bool(on)
        self._tokens: List[contextvars.Token] = []

    def __enter__(self) -> None:
        self._tokens.append(_mode.set(_switched(self.flag, self.on)))

    def __exit__(self, *exc: object) -> None:
        _mode.reset(self._tokens.pop())

    def __call__(self, fn: F) -> F:
        flag, on = self.flag, self.on

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Switch(flag, on):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def switch(flag: int, on: bool, fn: Optional[Callable] = None) -> Any:
    """A Switch for `with ...():` and `@...()`, or `fn` decorated for `@...` alone."""
    if fn is None:
        return Switch(flag, on)
    if not callable(fn):
        raise TypeError(f"expected a function to decorate, got {fn!r}; use it as "
                        "`with no_grad():` or as a decorator")
    return Switch(flag, on)(fn)


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
        self._token = _mode.set(_switched(GRAD, self.on))

    def __enter__(self) -> None:
        if self._token is None:                 # a second `with` of the same object
            super().__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _mode.reset(self._token)
            self._token = None
        else:
            super().__exit__(*exc)

    def __call__(self, fn: F) -> F:
        _mode.reset(self._token)
        self._token = None
        return super().__call__(fn)
