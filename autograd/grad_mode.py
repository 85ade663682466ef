"""Switch graph recording on and off: `no_grad()`, `enable_grad()`, `set_grad_enabled()`.

Each works as a context manager and as a decorator (with or without parentheses for
`no_grad` and `enable_grad`). The switches are per thread, as in PyTorch: `no_grad()` in one
thread never stops another thread from recording.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Modes(threading.local):
    """The switches every op reads, one set per thread (new threads start from these
    defaults): record nodes for differentiation? check every number for NaN/Inf?"""

    grad_enabled = True
    anomaly = False


modes = Modes()


def is_grad_enabled() -> bool:
    """Return True when new operations are being recorded for differentiation (in this
    thread)."""
    return modes.grad_enabled


class Switch:
    """Set one attribute of `modes` for a block and restore it after: a context manager and
    a decorator. Subclasses name the attribute in `mode`."""

    mode = "grad_enabled"

    def __init__(self, value: bool) -> None:
        self.value = bool(value)
        self._previous = threading.local()      # one instance may be entered by many threads

    def __enter__(self) -> None:
        stack = self._previous.__dict__.setdefault("stack", [])
        stack.append(getattr(modes, self.mode))
        setattr(modes, self.mode, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(modes, self.mode, self._previous.stack.pop())

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(Switch):
    """Set recording on or off for a block; restores the previous state on exit."""


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
