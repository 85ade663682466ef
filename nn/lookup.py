"""Resolving an argument given by name or as a callable (activations, initialisers, losses)."""
from __future__ import annotations

from typing import Any, Callable, Mapping


def by_name(spec: Any, table: Mapping[str, Callable[..., Any]], what: str) -> Callable[..., Any]:
    """`spec` itself when it is callable, else the entry of `table` named `spec` (any case).

    >>> by_name('ABS', {'abs': abs}, 'function') is abs
    True
    """
    if callable(spec):
        return spec
    if isinstance(spec, str) and spec.lower() in table:
        return table[spec.lower()]
    raise ValueError(f"unknown {what} {spec!r}; use a callable or one of "
                     f"{', '.join(sorted(table))}")
