"""Markdown tables and the number formats and agreement checks they use."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence

import numpy as np

# How closely a peer's first loss must match ours, relative (float32 sums in a different
# order differ in the 7th digit).
RTOL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4}


@dataclass
class Table:
    """One workload's results: a title, the column names, rows of cells, and notes below."""

    title: str
    columns: List[str]
    rows: List[List[str]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def add(self, *cells: Any) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"table {self.title!r}: {len(cells)} cells for "
                             f"{len(self.columns)} columns")
        self.rows.append([str(c) for c in cells])

    def markdown(self) -> str:
        lines = [f"### {self.title}", "",
                 "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.columns)))
                 + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def seconds(t: Optional[float]) -> str:
    """A duration with a unit that keeps three significant digits."""
    if t is None or math.isnan(t):
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def micro(t: Optional[float]) -> str:
    return "–" if t is None or math.isnan(t) else f"{t * 1e6:.3g}"


def ratio(t: Optional[float], ref: Optional[float]) -> str:
    if t is None or ref is None or not ref:
        return "–"
    return f"{t / ref:.2f}×"


def percent(x: Optional[float]) -> str:
    return "–" if x is None or math.isnan(x) else f"±{50 * x:.0f}%"


def number(x: Optional[float]) -> str:
    return "–" if x is None else f"{x:.12g}"


def count(n: float) -> str:
    """1000 -> 1e3."""
    e = int(round(math.log10(n)))
    return f"1e{e}" if 10 ** e == n else f"{n:g}"


def relative_error(x: float, ref: float) -> float:
    scale = max(abs(x), abs(ref))
    return 0.0 if scale == 0 else abs(x - ref) / scale


def agreement(values: Sequence[Optional[float]], refs: Sequence[Optional[float]],
              dtype: Any) -> str:
    """'ok' when each value matches its reference to RTOL[dtype], else the worst mismatch."""
    rtol = RTOL[np.dtype(dtype)]
    if all(ref is None for ref in refs):
        return "no reference"
    worst = 0.0
    for x, ref in zip(values, refs):
        if x is None or ref is None:
            continue
        if not (math.isfinite(x) and math.isfinite(ref)):
            if not (x == ref or (math.isnan(x) and math.isnan(ref))):
                return f"MISMATCH ({x} vs {ref})"
            continue
        worst = max(worst, relative_error(x, ref))
    return "ok" if worst <= rtol else f"MISMATCH (rel {worst:.1e} > {rtol:g})"
