"""Switch graph recording on and off: `no_grad()` and `enable_grad()`.

Both work as context managers and as decorators. The flag is process-wide (not per thread),
which keeps the check in every op to a single attribute read.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """Holds the one flag every op reads before it records a node."""

    enabled = True


def is_grad_enabled() -> bool:
    """Return True when new operations are being recorded for differentiation."""
    return _GradMode.enabled


class set_grad_enabled:
    """Set recording on or off for a block; restores the previous state on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(_GradMode.enabled)
        _GradMode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self._previous.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self.mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(set_grad_enabled):
    """Do not record operations (inference, optimiser updates).

    >>> with no_grad():
    ...     y = x * 2          # y.requires_grad is False, nothing is recorded
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record operations again, even inside `no_grad()`."""

    def __init__(self) -> None:
        super().__init__(True)
