"""Workloads 1-5 and 8-11 with each contender alone in a fresh Python process, as a user runs
one model.

    python -m benchmarks.fresh WORKLOAD KEY BLOCKS MIN_BLOCK   # one case; prints one JSON line
    python -m benchmarks.fresh 2 '["ours", "float32"]' 3 0.1

In one process (the interleaved tables) every peer runs on a heap the others have warmed: memory
one contender's step frees is reused by the next one's, and when the C allocator hands memory
back to the system depends on everything loaded. A step that gives its memory back and faults
it in again every time (see allocation.py) can look cheaper there than it is for a user who runs
that one model. Here each case runs in a process that imports only its peer, builds the problem,
runs untimed warm-up steps and times blocks as timing.py does; rounds repeat that in new
processes, each round in a different order, so a drift of the machine's speed hits all alike.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Callable, Dict, List, Sequence, Tuple

from benchmarks import peers as registry
from benchmarks.deep import ROOT, run_child
from benchmarks.peers import Missing
from benchmarks.peers.base import Peer
from benchmarks.report import Table, agreement, number, percent, seconds
from benchmarks.timing import Settings, Timing, alone, rotated, steady_seconds
from benchmarks.workloads import (CASES, CHAIN_OPS, OURS, SPREAD_NOTE, Result, built,
                                  first_value, ours_of, paired, paired_note, workload_limits)

# Seconds one child may take: micrograd's scalar steps (about 1 s each) take 10 s at full settings.
TIMEOUT = 600.0
COLUMNS = ["peer", "variant", "time / step", "spread", "× ours", "× ours, one process",
           "first value", "check"]


def child(workload: int, key: tuple, blocks: int, min_block: float) -> Dict[str, Any]:
    """Time one case of a workload in this process, loading only its peer: {"first": its first
    value, "seconds": the median seconds per step of the blocks}, or {"status": why not}."""
    name = key[0]
    # A key whose first name is not a peer is a reference computation, needing none.
    loaded = {name: registry.load(name)} if name in registry.REGISTRY else {}
    if isinstance(loaded.get(name), Missing):
        return {"status": "not installed"}
    cases = CASES[workload](loaded)
    if key not in cases:
        raise ValueError(f"fresh.child: workload {workload} has no case {list(key)}; its cases "
                         f"are {[list(k) for k in cases]}")
    with workload_limits(workload):
        step, status = built(cases[key])
        if step is None:
            return {"status": status or "n/a"}
        first, _, status = first_value(step)
        if status:
            return {"status": status}
        timing = alone(step, blocks, min_block, steady_seconds(step))
    return {"first": first, "seconds": timing.median}


def sample(workload: int, key: tuple, settings: Settings, root: str = ROOT) -> Dict[str, Any]:
    """`child(workload, key, ...)` in a fresh interpreter started in `root`."""
    args = [str(workload), json.dumps(list(key)), str(settings.fresh_blocks),
            repr(settings.min_block)]
    return run_child("benchmarks.fresh", args, TIMEOUT, root)


# Runs one case in a fresh process started in a root directory: {"first", "seconds"} or
# {"status": why not} or {"error": what went wrong}.
Sampler = Callable[[tuple, str], Dict[str, Any]]


def in_rounds(dtypes: Dict[tuple, Any], rounds: int, sampler: Sampler,
              roots: Sequence[str] = (ROOT,)) -> Dict[Tuple[tuple, str], Result]:
    """Measure each case (key -> the dtype of its values) under each root (a directory its
    child starts in and imports from) in `rounds` rounds of fresh processes, keyed (case key,
    root). Round r visits the cases, and for each case the roots, from the r-th on: with two
    roots each case alternates which runs first. A case its child reports n/a is left out; one
    that fails keeps why, untimed."""
    results = {(key, root): Result(key, dtype) for key, dtype in dtypes.items()
               for root in roots}
    samples: Dict[Tuple[tuple, str], List[float]] = {label: [] for label in results}
    for r in range(rounds):
        for key in rotated(list(dtypes), r):
            for root in rotated(list(roots), r):
                result = results.get((key, root))
                if result is None or result.status:
                    continue
                out = sampler(key, root)
                if out.get("status") == "n/a":
                    del results[(key, root)]
                elif "seconds" in out:
                    result.first = out["first"]
                    samples[(key, root)].append(out["seconds"])
                else:
                    result.status = out.get("status") or out.get("error", "no result")
    for label, result in results.items():
        if not result.status:
            result.timing = Timing(samples[label])
    return results


def in_fresh_processes(workload: int, peers: Dict[str, Peer],
                       settings: Settings) -> Dict[tuple, Result]:
    """Every case of the workload on `peers`, each in its own fresh processes, keyed as
    `workloads.in_one_process` keys them."""
    cases = CASES[workload](peers)
    missing = {key for key in cases if isinstance(peers.get(key[0]), Missing)}
    measured = in_rounds({key: case.dtype for key, case in cases.items() if key not in missing},
                         settings.fresh_rounds, lambda key, root: sample(workload, key, settings))
    results = {}
    for key, case in cases.items():
        if key in missing:
            results[key] = Result(key, case.dtype, status="not installed")
        elif (key, ROOT) in measured:
            results[key] = measured[(key, ROOT)]
    return results


def table(workload: int, fresh: Dict[tuple, Result], one_process: Dict[tuple, Result],
          settings: Settings) -> Table:
    """The fresh-process results of a workload, with the one-process ratios beside them."""
    notes = [f"Each row ran alone in a fresh process per round, as a user runs one model: the "
             f"process imports only its peer, builds the problem, runs a block of untimed steps, "
             f"then times {settings.fresh_blocks} block(s) of at least {settings.min_block:g} s "
             "(each after one untimed step); time / step is the median over "
             f"{settings.fresh_rounds} round(s) of the process's median block.",
             "× ours, one process: the ratio in the interleaved table above, where every peer "
             "runs on a heap the others have warmed, which hides allocation costs.",
             SPREAD_NOTE, paired_note("× ours")]
    if workload == 5:
        notes.append(f"A step is the whole chain of {CHAIN_OPS:,} ops (forward, or forward and "
                     "backward).")
    out = Table(f"Workload {workload} in fresh processes (one per contender and variant)",
                list(COLUMNS), notes=notes)
    for key, r in fresh.items():
        if r.status:
            out.add(r.peer, r.variant, r.status, "", "", "", "", "")
            continue
        if r.peer not in registry.REGISTRY:           # a reference computation: no ratio
            out.add(r.peer, r.variant, seconds(r.median), percent(r.timing.spread), "–", "–",
                    number(r.first), "")
            continue
        ours = ours_of(fresh, key)
        check = "reference" if r.peer == OURS else agreement(
            [r.first], [ours.first if ours else None], r.dtype)
        out.add(r.peer, r.variant, seconds(r.median), percent(r.timing.spread), paired(r, ours),
                paired(one_process.get(key), ours_of(one_process, key)), number(r.first), check)
    return out


if __name__ == "__main__":
    print(json.dumps(child(int(sys.argv[1]), tuple(json.loads(sys.argv[2])), int(sys.argv[3]),
                           float(sys.argv[4]))))
