"""Handles of the forward hooks registered on a module: `handle.remove()` takes one off."""
from __future__ import annotations

import itertools
from typing import Any, Dict

_next_id = itertools.count().__next__


class RemovableHandle:
    """Returned by `register_forward_hook` and `register_forward_pre_hook`: `remove()` takes
    the hook off its module (a second call does nothing); also a context manager that removes
    it on exit."""

    def __init__(self, hooks: Dict[int, Any]) -> None:
        self.hooks = hooks
        self.id = _next_id()

    def remove(self) -> None:
        """Take the hook off."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(hooks: Dict[int, Any], hook: Any, caller: str) -> RemovableHandle:
    """Store a callable `hook` in `hooks` and return its handle."""
    if not callable(hook):
        raise TypeError(f"{caller}: hook must be callable, got a {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle
