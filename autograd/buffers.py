"""Large arrays a compiled program lends from one call to the next (`out=`), for
`autograd.compile`.

A program keeps each large result it computed (`keep`, the last two of each statement) and on
a later call asks for one back (`spare`) to write the new result into instead of allocating
one. It gets one only when nothing else can see it: no name, list, Value, saved state of a
graph not yet differentiated, `.grad`, numpy view (a view holds its base) or weak reference
refers to it. Then overwriting it is invisible to everyone; otherwise `spare` gives None, and
`out=None` makes numpy allocate, as without reuse. A user who keeps a returned loss or gradient
therefore keeps it unchanged. Two per statement, because a loop holds the last call's result
(`loss = step(x)` keeps the previous loss and its graph until the call returns). The check is
CPython's reference count, taken the same way as for an array nobody else holds (`_ALONE`);
where the interpreter has none, nothing is lent.
"""
from __future__ import annotations

import sys
import weakref
from typing import Any, Dict, List, Optional

import numpy as np

LARGE = 1 << 17
"""Results of at least this many bytes are lent (128 KiB: below, numpy and malloc reuse freed
memory cheaply; above, each allocation maps fresh pages the first write faults in)."""

DEPTH = 2
"""Results kept per statement."""


class Buffers:
    """The large results of a program's last calls, by statement number."""

    def __init__(self) -> None:
        self._kept: Dict[int, List[np.ndarray]] = {}

    def spare(self, k: int) -> Optional[np.ndarray]:
        """One of statement k's arrays from earlier calls that nothing else refers to, oldest
        first, else None. Each is taken off the list to be checked (two threads never get the
        same array); one still referred to goes back for a later call."""
        kept = self._kept.get(k, [])
        for _ in range(len(kept)):
            try:
                array = kept.pop(0)
            except IndexError:          # another thread took the last one
                return None
            if _count(array) <= _ALONE and not weakref.getweakrefcount(array):
                return array
            kept.append(array)
        return None

    def keep(self, first: int, *arrays: Any) -> None:
        """Keep statements first, first + 1, ...'s results for later calls (DEPTH each)."""
        for k, array in enumerate(arrays, first):
            if type(array) is np.ndarray and array.base is None:     # owns its memory
                kept = self._kept.setdefault(k, [])
                kept.append(array)
                del kept[:-DEPTH]


def _never(array: np.ndarray) -> int:
    return _ALONE + 1


_count = getattr(sys, "getrefcount", _never)


def _alone() -> int:
    """The reference count `spare` sees for an array nothing else refers to."""
    kept = [np.empty(1)]
    array = kept.pop(0)                 # as `spare` holds it
    return _count(array) if _count is not _never else 0


_ALONE = _alone()
