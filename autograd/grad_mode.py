"""Switch graph recording on and off: `no_grad()` and `enable_grad()`.

Both work as context managers and as decorators. The flag is process-wide (not per thread),
which keeps the check in every op to a single attribute read.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """The flags every op reads: record nodes? check for NaN/Inf (anomaly mode)?"""

    enabled = True
    anomaly = False


def is_grad_enabled() -> bool:
    """Return True when new operations are being recorded for differentiation."""
    return _GradMode.enabled


class _Switch:
    """Set one flag of `_GradMode` for a block: a context manager and a decorator."""

    flag = "enabled"

    def __init__(self, value: bool) -> None:
        self.value = bool(value)
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(getattr(_GradMode, self.flag))
        setattr(_GradMode, self.flag, self.value)

    def __exit__(self, *exc: object) -> None:
        setattr(_GradMode, self.flag, self._previous.pop())

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_grad_enabled(_Switch):
    """Set recording on or off for a block; restores the previous state on exit."""


class no_grad(set_grad_enabled):
    """Do not record operations (inference, optimiser updates).

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * 2          # nothing is recorded
    >>> y.requires_grad, y.parents
    (False, ())
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations again, even inside `no_grad()`."""

    def __init__(self) -> None:
        super().__init__(True)
