"""Timing in rounds: every contender runs once per round, so load that comes and goes on the
machine hits all of them alike; each contender's time is the median over the rounds. In one
process the contenders interleave (`interleaved`); a contender alone in a fresh process is timed
by `alone` (see fresh.py)."""
from __future__ import annotations

import gc
import math
import statistics
import time
from dataclasses import dataclass
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Tuple

Step = Callable[[], object]


@dataclass(frozen=True)
class Settings:
    """How long to measure: `rounds` interleaved rounds (and rounds of the before/after
    comparison) of blocks of at least `min_block` seconds (a block repeats a fast step enough
    times to be timed reliably). With a fresh process per contender, `fresh_rounds` rounds of
    processes that each time `fresh_blocks` blocks: fewer rounds, as every process pays its
    start-up (importing torch takes about 3 s)."""

    rounds: int
    min_block: float
    deep_sizes: tuple
    deep_timeout: float
    fresh_rounds: int
    fresh_blocks: int

    @classmethod
    def full(cls) -> "Settings":
        return cls(rounds=9, min_block=0.1, deep_sizes=(10**3, 10**4, 10**5, 10**6),
                   deep_timeout=150.0, fresh_rounds=5, fresh_blocks=3)

    @classmethod
    def quick(cls) -> "Settings":
        return cls(rounds=3, min_block=0.03, deep_sizes=(10**3, 10**4, 10**5), deep_timeout=40.0,
                   fresh_rounds=2, fresh_blocks=2)

    @classmethod
    def tiny(cls) -> "Settings":
        """For tests: one round of one step each, no calibration."""
        return cls(rounds=1, min_block=0.0, deep_sizes=(10**3,), deep_timeout=60.0,
                   fresh_rounds=1, fresh_blocks=1)


@dataclass
class Timing:
    """Seconds per step of one contender: the median of the rounds, and all of them."""

    samples: List[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        return spread(self.samples)


def spread(samples: Sequence[float]) -> float:
    """How noisy the rounds were: the interquartile range (the full range under four rounds)
    relative to the median; nan for a single round."""
    if len(samples) < 2:
        return math.nan
    if len(samples) < 4:
        low, high = min(samples), max(samples)
    else:
        low, _, high = statistics.quantiles(samples, n=4)
    return (high - low) / statistics.median(samples)


def paired_ratios(a: Timing, b: Timing) -> List[float]:
    """a's time / b's time in each round."""
    if len(a.samples) != len(b.samples):
        raise ValueError(f"paired_ratios: {len(a.samples)} rounds against "
                         f"{len(b.samples)}; pair timings of the same rounds")
    return [x / y for x, y in zip(a.samples, b.samples)]


def paired_ratio(a: Timing, b: Timing) -> float:
    """The median over rounds of a's time / b's time in the same round. Contenders run back to
    back within a round, so a drift of the machine's speed (this shared VM's can reach 1.5x
    within minutes) cancels, where a ratio of two medians would keep it."""
    return statistics.median(paired_ratios(a, b))


def rotated(items: Sequence, r: int) -> list:
    """The items starting at item r (modulo their number): round r's order of contenders."""
    shift = r % len(items) if items else 0
    return list(items[shift:]) + list(items[:shift])


def _block(step: Step, repeat: int) -> float:
    """Seconds per step over `repeat` timed steps. The contender before left the caches, the
    allocator and the thread pools in its own state, so one untimed step comes first: a first
    step can take twice as long, and not alike for every peer (torch's threads wake slowest)."""
    step()
    gc.collect()        # start clean: no timed step pays for garbage made before it
    start = time.perf_counter()
    for _ in range(repeat):
        step()
    return (time.perf_counter() - start) / repeat


def steady_seconds(step: Step) -> float:
    """Seconds of one untimed step run after the first: what sizes the timed blocks. The first
    call is no estimate: a compiled step records its program then, taking about 50 times a
    later step, and blocks sized by it held a few steps each, right after the collector ran
    (measured 370-380 us a step in such blocks, 310 us in blocks of the intended length)."""
    return _block(step, 1)


def _repeat(min_block: float, estimate: float) -> int:
    """Steps per block: enough to last `min_block` seconds at `estimate` seconds per step."""
    return max(1, math.ceil(min_block / max(estimate, 1e-9)))


def first_call(step: Step) -> Tuple[object, float]:
    """Run a step once: its result and how long it took (an estimate that sizes blocks)."""
    gc.collect()
    start = time.perf_counter()
    out = step()
    return out, time.perf_counter() - start


def interleaved(steps: Dict[Hashable, Step], settings: Settings,
                estimates: Optional[Dict[Hashable, float]] = None) -> Dict[Hashable, Timing]:
    """Time each step function, in rounds that visit every contender once (starting at a
    different contender each round). A block repeats a step enough times to last
    `settings.min_block`, judging by `estimates` (seconds per step; `steady_seconds` measures
    it when not given)."""
    estimates = dict(estimates or {})
    for key, step in steps.items():
        if key not in estimates and settings.min_block:
            estimates[key] = steady_seconds(step)
    repeats = {key: _repeat(settings.min_block, estimates.get(key, 1.0)) for key in steps}
    keys = list(steps)
    samples: Dict[Hashable, List[float]] = {key: [] for key in keys}
    for r in range(settings.rounds):
        for key in rotated(keys, r):
            samples[key].append(_block(steps[key], repeats[key]))
    return {key: Timing(s) for key, s in samples.items()}


def alone(step: Step, blocks: int, min_block: float, estimate: float) -> Timing:
    """Time a step with nothing else in the process: untimed warm-up steps for one block's
    length (the allocator and caches settle into the step's steady state), then `blocks`
    blocks sized by `estimate` (seconds per step)."""
    repeat = _repeat(min_block, estimate)
    for _ in range(repeat):
        step()
    return Timing([_block(step, repeat) for _ in range(blocks)])
