"""Large arrays a compiled program lends from one call to the next (`out=`), for
`autograd.compile`.

A program keeps each large result it computed (`keep`) and on its next call asks for it back
(`spare`) to write the new result into instead of allocating one. It gets it only when nothing
else can see the array: no name, list, Value, saved state of a graph not yet differentiated,
`.grad`, numpy view (a view holds its base) or weak reference refers to it. Then overwriting it
is invisible to everyone; otherwise `spare` gives None, and `out=None` makes numpy allocate, as
without reuse. A user who keeps a returned loss or gradient therefore keeps it unchanged. The
check is CPython's reference count, taken the same way as for an array nobody else holds
(`_ALONE`); where the interpreter has none, nothing is lent.
"""
from __future__ import annotations

import sys
import weakref
from typing import Any, Dict, Optional

import numpy as np

LARGE = 1 << 17
"""Results of at least this many bytes are lent (128 KiB: below, numpy and malloc reuse freed
memory cheaply; above, each allocation maps fresh pages the first write faults in)."""


class Buffers:
    """The large results of a program's last call, by statement number."""

    def __init__(self) -> None:
        self._kept: Dict[int, np.ndarray] = {}

    def spare(self, k: int) -> Optional[np.ndarray]:
        """Statement k's array from an earlier call when nothing else refers to it, else None
        (popped either way: two threads never get the same array)."""
        array = self._kept.pop(k, None)
        if array is None or _count(array) > _ALONE or weakref.getweakrefcount(array):
            return None
        return array

    def keep(self, first: int, *arrays: Any) -> None:
        """Keep statements first, first + 1, ...'s results for the next call."""
        for k, array in enumerate(arrays, first):
            if type(array) is np.ndarray and array.base is None:     # owns its memory
                self._kept[k] = array


def _never(array: np.ndarray) -> int:
    return _ALONE + 1


_count = getattr(sys, "getrefcount", _never)


def _alone() -> int:
    """The reference count `spare` sees for an array nothing else refers to."""
    probe = Buffers()
    probe._kept[0] = np.empty(1)
    array = probe._kept.pop(0, None)
    return _count(array) if _count is not _never else 0


_ALONE = _alone()
