"""Workloads 1-7 of the suite (8-11 are in arch_workloads.py), each building its markdown
table; the timing, the peers and the formats live in their own modules.

Workloads 1-5 and 8-11 are made of cases: one step function per (peer, variant, ...) key, built
by `CASES[workload](peers)` in whichever process measures it, so that the same cases run
interleaved in one process (`in_one_process`) or each alone in a fresh one (fresh.py).
"""
from __future__ import annotations

import contextlib
import math
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from benchmarks import deep, problems
from benchmarks.peers import Missing
from benchmarks.peers.base import Peer, Step, Unavailable
from benchmarks.report import (Table, agreement, count, micro, number, percent, ratio,
                               seconds)
from benchmarks.timing import Settings, Timing, first_call, interleaved, paired_ratio

OURS = "ours"
COMPILED = "compiled"
FLOOR = "numpy"


@dataclass(frozen=True)
class Case:
    """One contender on one variant of a workload: `make()` builds its step function (None
    when the peer does not do this kind of workload); `dtype` is what its values are computed
    in, which sets how closely they must agree with ours."""

    make: Callable[[], Optional[Step]]
    dtype: Any = np.float64


@dataclass
class Result:
    """One case's measurement: its first value (the first loss or chain output) and time."""

    key: tuple                             # (peer, variant, ...)
    dtype: Any = np.float64
    status: str = ""                       # "" when it ran, else why not
    first: Optional[float] = None
    first_seconds: Optional[float] = None  # the first call's time (a compiled step records)
    timing: Optional[Timing] = None

    @property
    def peer(self) -> str:
        return self.key[0]

    @property
    def variant(self) -> str:
        return ", ".join(self.key[1:])

    @property
    def median(self) -> Optional[float]:
        return self.timing.median if self.timing else None


def built(case: Case) -> Tuple[Optional[Step], str]:
    """(the case's step, "") or (None, why it could not be built); (None, "") when the peer
    does not do this kind of workload."""
    try:
        return case.make(), ""
    except Unavailable as why:              # what this tree of the peer lacks, e.g. a layer
        return None, f"unavailable: {why}"
    except Exception as exc:                 # a failing peer is reported, not fatal
        return None, f"fails: {type(exc).__name__}: {str(exc)[:60]}"


def first_value(step: Step) -> Tuple[Optional[float], Optional[float], str]:
    """Run a step once: (its value, seconds, "") or (None, None, why it failed)."""
    try:
        value, elapsed = first_call(step)
        return float(value), elapsed, ""
    except Exception as exc:                 # a failing peer is reported, not fatal
        return None, None, f"fails: {type(exc).__name__}: {str(exc)[:60]}"


def in_one_process(workload: int, peers: Dict[str, Peer],
                   settings: Settings) -> Dict[tuple, Result]:
    """Build each case of the workload, run it once for its first value, then time all runnable
    steps in interleaved rounds. A case whose first name is not a peer is a reference
    computation (such as numpy's own matmul) timed alongside."""
    results: Dict[tuple, Result] = {}
    steps = {}
    with workload_limits(workload):
        for key, case in CASES[workload](peers).items():
            result = Result(key, case.dtype)
            if isinstance(peers.get(key[0]), Missing):
                result.status = "not installed"
                results[key] = result
                continue
            step, result.status = built(case)
            if step is None and not result.status:  # the peer does not do this kind of workload
                continue
            results[key] = result
            if result.status:
                continue
            result.first, result.first_seconds, result.status = first_value(step)
            if not result.status:
                steps[key] = step
        for key, timing in interleaved(steps, settings).items():
            results[key].timing = timing
    return results


def ours_of(results: Dict[tuple, Result], key: tuple) -> Optional[Result]:
    """Ours on the same variant as `key`."""
    return results.get((OURS,) + tuple(key[1:]))


SPREAD_NOTE = ("spread: half the interquartile range of the rounds (half the full range under "
               "four rounds), relative to the median.")


# ----- workloads 1-4 and 7: MLP training steps ----------------------------------------------
MLP_COLUMNS = ["peer", "variant", "time / step", "spread", "× ours", "first loss", "check"]


def mlp_cases(variants: Sequence[tuple], peers: Dict[str, Peer],
              references: Optional[Dict[tuple, Step]] = None) -> Dict[tuple, Case]:
    """One SGD step of each (variant label, problem, peer method) on every peer, and the
    `references` ((label, variant) -> step) alongside."""
    cases = {}
    dtypes = {}
    for label, problem, method in variants:
        dtypes[label] = problem.dtype
        for name, peer in peers.items():
            cases[(name, label)] = Case(
                lambda peer=peer, problem=problem, method=method:
                getattr(peer, method)(problem), problem.dtype)
    cases.update({key: Case(lambda step=step: step, dtypes[key[1]])
                  for key, step in (references or {}).items()})
    return cases


def mlp_table(title: str, results: Dict[tuple, Result], peers: Dict[str, Peer],
              notes: Sequence[str] = ()) -> Table:
    """The table of an MLP workload's results (with what recording cost the compiled peer)."""
    table = Table(title, list(MLP_COLUMNS), notes=list(notes) + recording_notes(results)
                  + [SPREAD_NOTE, paired_note()])
    for key, r in results.items():
        ours = ours_of(results, key)
        if r.status:
            table.add(r.peer, r.variant, r.status, "", "", "", "")
            continue
        if r.peer not in peers:
            table.add(r.peer, r.variant, seconds(r.median), percent(r.timing.spread), "–", "",
                      "")
            continue
        check = "reference" if r.peer == OURS else (
            agreement([r.first], [ours.first if ours else None], r.dtype))
        table.add(r.peer, r.variant, seconds(r.median), percent(r.timing.spread),
                  paired(r, ours), number(r.first), check)
    return table


def recording_notes(results: Dict[tuple, Result]) -> List[str]:
    """For each compiled case: its first call (which records the program), and after how many
    steps compiling has paid that back against eager mode (ours on the same variant)."""
    notes = []
    for key, r in results.items():
        ours = ours_of(results, key)
        if r.peer != COMPILED or r.timing is None or not (ours and ours.timing):
            continue
        over = paired_ratio(r.timing, ours.timing)     # the × ours column
        extra = r.first_seconds - ours.median          # the first call does one step's work too
        saving = ours.median * (1.0 - over)
        payback = (f"pays back after {max(0, math.ceil(extra / saving)):,} steps"
                   if saving > 0 else "never pays back (no faster than eager here)")
        notes.append(f"{COMPILED} ({r.variant}): the first call (recording) took "
                     f"{seconds(r.first_seconds)}, against {seconds(ours.median)} per eager "
                     f"step, a compiled step taking {over:.2f}× that: {payback}.")
    if notes:
        notes.append("pays back after N steps: N = (first call − eager step) / (eager step × "
                     "(1 − compiled / eager)), compiled / eager being × ours: the steps after "
                     "which compiling has saved its recording.")
    return notes


def floor_verdicts(results: Dict[tuple, Result], peer: str, target: float) -> List[str]:
    """`peer` / the numpy floor on each variant with a floor, and whether it meets `target`."""
    notes = []
    for key, r in results.items():
        over = _over_floor(results, key, peer) if r.peer == FLOOR else None
        if over is not None:
            notes.append(f"{peer} / floor ({r.variant}): {over:.2f}× (target at most "
                         f"{target:.2f}×: {'met' if over <= target else 'not met'}).")
    return notes


def paired_note(columns: str = "× ours and the ratios to the floor") -> str:
    """How the ratio columns are computed (see timing.paired_ratio)."""
    return (f"{columns}: the median over the rounds of the ratio within each round (the "
            "contenders of a round run back to back, so a drift of the machine's speed "
            "cancels).")


def paired(r: Optional[Result], ref: Optional[Result]) -> str:
    """r's time over ref's, round by round (see paired_note)."""
    if r is None or ref is None or r.timing is None or ref.timing is None:
        return "–"
    return f"{paired_ratio(r.timing, ref.timing):.2f}×"


def cases_1(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    problem = problems.micrograd_demo()
    return mlp_cases([("scalar", problem, "scalar_mlp"),
                      ("scalar, fused", problem, "fused_scalar_mlp"),
                      ("batched", problem, "mlp")], peers)


def workload_1(peers, settings):
    results = in_one_process(1, peers, settings)
    table = mlp_table(
        f"Workload 1: micrograd's demo ({problems.micrograd_demo().name}, hinge + 1e-4 L2, "
        "full-batch SGD step)", results, peers,
        ["scalar: one scalar node per weight and per sample, as micrograd does; "
         "scalar, fused: the same scalar Values and graphs, but each neuron's weighted sum (and "
         "the loss's sums) one `autograd.affine` node; batched: the 100 samples as one array. "
         "× ours compares with ours in the same mode."])
    micrograd, fused = results.get(("micrograd", "scalar")), results.get((OURS, "scalar, fused"))
    if micrograd and fused and micrograd.timing and fused.timing:
        table.notes.append(f"micrograd / ours (scalar, fused): {paired(micrograd, fused)}.")
    table.notes.append("Target: ours (scalar) at least 15× faster than micrograd.")
    compiled = results.get((COMPILED, "scalar"))
    table.notes.append(f"Target: {COMPILED} (scalar) at least {SCALAR_TARGET:.0f}× faster than "
                       "micrograd.")
    if micrograd and compiled and micrograd.timing and compiled.timing:
        faster = paired_ratio(micrograd.timing, compiled.timing)
        table.notes.append(f"micrograd / {COMPILED} (scalar): {faster:.2f}× "
                           f"({'met' if faster >= SCALAR_TARGET else 'not met'}).")
    table.notes += compiled_notes("Workload 1", results)
    return table, results


def cases_2(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    sizes = [64, 64, 32, 10]
    return mlp_cases([(dt, problems.classifier(sizes, 32, dt), "mlp")
                      for dt in ("float64", "float32")], peers)


def workload_2(peers, settings):
    results = in_one_process(2, peers, settings)
    table = mlp_table("Workload 2: small MLP 64-64-32-10, batch 32, ReLU, softmax cross-entropy, "
                      "SGD lr 0.1", results, peers,
                      ["Target: faster than torch and mygrad, at most 2.0× the numpy floor."]
                      + compiled_notes("Workload 2", results))
    return table, results


def cases_3(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    sizes = [784, 128, 64, 10]
    return mlp_cases([(dt, problems.classifier(sizes, 128, dt), "mlp")
                      for dt in ("float32", "float64")], peers)


def workload_3(peers, settings):
    results = in_one_process(3, peers, settings)
    table = mlp_table("Workload 3: MNIST-sized MLP 784-128-64-10, batch 128, same recipe",
                      results, peers,
                      ["Target: at most 1.10× the numpy floor in float32 and float64."]
                      + compiled_notes("Workload 3", results))
    return table, results


MATMUL = "numpy a @ b"


def _compute_bound() -> problems.MLPProblem:
    return problems.classifier([1024, 1024, 1024, 10], 512, "float32")


def cases_4(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    problem = _compute_bound()
    a, b = problem.x, problem.weights[0][0]
    return mlp_cases([("float32", problem, "mlp")], peers,
                     references={(MATMUL, "float32"): lambda: (a @ b)[0, 0]})


def workload_4(peers, settings):
    problem = _compute_bound()
    a, b = problem.x, problem.weights[0][0]
    results = in_one_process(4, peers, settings)
    table = mlp_table("Workload 4: compute-bound MLP 1024-1024-1024-10, batch 512, float32",
                      results, peers)
    flops = {MATMUL: 2.0 * a.shape[0] * a.shape[1] * b.shape[1]}
    rates = {key: flops.get(key[0], problem.flops_per_step()) / r.median / 1e9
             for key, r in results.items() if r.median}
    peak = rates.get((MATMUL, "float32"))
    table.columns += ["GFLOP/s", "% of numpy matmul"]
    for row, key in zip(table.rows, results):
        rate = rates.get(key)
        row += ["–", "–"] if rate is None or not peak else [f"{rate:.1f}",
                                                             f"{100 * rate / peak:.0f}%"]
    table.notes += [
        f"{MATMUL}: numpy's own matmul, (512, 1024) @ (1024, 1024) float32, timed in the same "
        f"rounds. A step is {problem.flops_per_step() / 1e9:.2f} GFLOP of matmuls (forward, "
        "and backward without a gradient for the input).",
        "Target: at most 1.05× the numpy floor (above 85% of numpy's matmul throughput)."]
    table.notes += compiled_notes("Workload 4", results)
    return table, results


# The most each peer's step may take over the numpy floor's, per workload (issues 6 and 19).
TARGETS = {OURS: {"Workload 2": 2.0, "Workload 3": 1.10, "Workload 4": 1.05},
           COMPILED: {"Workload 1": 1.3, "Workload 2": 1.15, "Workload 3": 1.03,
                      "Workload 4": 1.0}}
SCALAR_TARGET = 50.0        # micrograd's scalar step over the compiled one, at least


def compiled_notes(workload: str, results: Dict[tuple, Result]) -> List[str]:
    """The compiled peer's target on an MLP workload, and its measured ratio to the floor."""
    target = TARGETS[COMPILED][workload]
    return ([f"Target: {COMPILED} at most {target:.2f}× the numpy floor."]
            + floor_verdicts(results, COMPILED, target))


def _over_floor(results: Dict[tuple, Result], key: tuple, peer: str = OURS) -> Optional[float]:
    """`peer` / the numpy floor on key's variant, paired by round; None unless both were
    timed."""
    floor, mine = results.get(key), results.get((peer,) + tuple(key[1:]))
    if not (floor and mine and floor.timing and mine.timing):
        return None
    return paired_ratio(mine.timing, floor.timing)


def workload_7(mlp_results: Dict[str, Dict[tuple, Result]],
               fresh_results: Optional[Dict[str, Dict[tuple, Result]]] = None) -> Table:
    """Our engine, eager and compiled, against the hand-written numpy floor, from the MLP tables
    measured above; with `fresh_results` (the same workloads in fresh processes) also the ratio
    and verdict there."""
    columns = ["workload", "variant", "peer", "numpy floor / step", "peer / step", "× floor",
               "target", "met"]
    notes = ["The floor rows were timed inside workloads 1-4, in alternation with the other "
             "peers. ours: eager mode; compiled: the step's loss under `autograd.compile`.",
             paired_note("× floor")]
    if fresh_results is not None:
        columns += ["× floor, fresh", "met, fresh"]
        notes.append("× floor, fresh: from the fresh-process tables (each contender alone in its "
                     "own processes).")
    table = Table("Workload 7: the numpy floor (hand-written forward and backward)", columns,
                  notes=notes)

    def verdict(over: Optional[float], target: Optional[float]) -> str:
        return "" if target is None or over is None else ("yes" if over <= target else "no")

    for workload, results in mlp_results.items():
        for key, r in results.items():
            if r.peer != FLOOR:
                continue
            for peer in (OURS, COMPILED):
                over = _over_floor(results, key, peer)
                if over is None:
                    continue
                target = TARGETS[peer].get(workload)
                row = [workload, r.variant, peer, seconds(r.median),
                       seconds(results[(peer,) + tuple(key[1:])].median), f"{over:.2f}×",
                       f"≤ {target:.2f}×" if target else "", verdict(over, target)]
                if fresh_results is not None:
                    fresh = _over_floor(fresh_results.get(workload, {}), key, peer)
                    row += ["–" if fresh is None else f"{fresh:.2f}×", verdict(fresh, target)]
                table.add(*row)
    if not table.rows:
        table.notes.append("No floor measured: run workloads 1-4 with the numpy and ours peers.")
    return table


# ----- workload 5: per-op overhead ----------------------------------------------------------
CHAIN_OPS = 1000
# Python's recursion limit for a workload's cases: micrograd's recursive topological sort
# cannot walk workload 5's chains under the default.
RECURSION_LIMITS = {5: 10_000}


def _chain_step(chain, mode: str) -> Optional[Callable[[], float]]:
    """A step building the chain ("forward") or building and differentiating it."""
    if chain is None:
        return None
    if mode == "forward":
        return lambda: chain.value(chain.forward())
    return lambda: chain.backward(chain.forward())


@contextlib.contextmanager
def workload_limits(workload: int) -> Iterator[None]:
    """Run a workload's cases under its recursion limit (RECURSION_LIMITS), if it has one."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, RECURSION_LIMITS.get(workload, old)))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


CHAIN_INPUTS = {"scalar": (), "(16,)": (16,)}      # input label -> shape


def cases_5(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    inputs = {label: problems.op_chain(CHAIN_OPS, shape) for label, shape in CHAIN_INPUTS.items()}
    cases = {}
    for name, peer in peers.items():
        for label, problem in inputs.items():
            for mode in ("forward", "fwd+bwd"):
                cases[(name, label, mode)] = Case(
                    lambda peer=peer, problem=problem, mode=mode:
                    _chain_step(peer.chain(problem), mode))
    return cases


def workload_5(peers, settings):
    results = in_one_process(5, peers, settings)
    table = Table(f"Workload 5: per-op overhead, a chain of {CHAIN_OPS:,} elementwise ops "
                  "(mul, add, every tenth a tanh)",
                  ["peer", "input", "forward µs/op", "fwd+bwd µs/op", "× ours (fwd+bwd)",
                   "output", "d out/dx0", "check"],
                  notes=["micrograd's recursive topological sort cannot walk 1,000 links under "
                         "Python's default recursion limit; it is raised to "
                         f"{RECURSION_LIMITS[5]:,} for this workload (workload 6 runs with the "
                         "default).",
                         "Target: ours at most 1.5 µs/op forward+backward on scalars and 2.5 "
                         "on (16,) arrays.", paired_note("× ours")])
    for name in peers:
        for label in CHAIN_INPUTS:
            fwd = results.get((name, label, "forward"))
            both = results.get((name, label, "fwd+bwd"))
            if fwd is None:
                continue
            if fwd.status or both.status:
                table.add(name, label, fwd.status or both.status, "", "", "", "", "")
                continue
            ours_f, ours_b = results[(OURS, label, "forward")], results[(OURS, label, "fwd+bwd")]
            check = "reference" if name == OURS else agreement(
                [fwd.first, both.first], [ours_f.first, ours_b.first], np.float64)
            table.add(name, label, micro(fwd.median / CHAIN_OPS), micro(both.median / CHAIN_OPS),
                      paired(both, ours_b), number(fwd.first), number(both.first), check)
    return table, results


CASES: Dict[int, Callable[[Dict[str, Peer]], Dict[tuple, Case]]] = {
    1: cases_1, 2: cases_2, 3: cases_3, 4: cases_4, 5: cases_5}


# ----- workload 6: deep graphs --------------------------------------------------------------
def workload_6(peers, settings):
    table = Table("Workload 6: deep graph, a chain of scalar muls and adds (one process per "
                  "peer and size)",
                  ["peer", "links", "forward µs/link", "backward µs/link", "fwd+bwd µs/link",
                   "× ours", "bytes/link", "d out/dx0", "result"],
                  notes=["bytes/link: growth of the child process's peak RSS (VmHWM) over its "
                         "baseline after imports and a warm-up, divided by the links.",
                         "Each size runs in a fresh process with Python's default recursion "
                         f"limit; a peer that fails, or would take over "
                         f"{settings.deep_timeout:.0f} s, is not tried at larger sizes.",
                         "Target: 1e6 links with under 500 bytes and 3 µs per link "
                         "forward+backward."])
    stopped: Dict[str, str] = {}
    last: Dict[str, tuple] = {}            # name -> (links, seconds) of its last success
    for n in settings.deep_sizes:
        rows = {}
        for name, peer in peers.items():
            if isinstance(peer, Missing):
                if n == settings.deep_sizes[0]:
                    table.add(name, "", "not installed", "", "", "", "", "", "")
                continue
            if name in stopped:
                continue
            if name in last and last[name][1] * n / last[name][0] > settings.deep_timeout:
                stopped[name] = (f"not tried at {count(n)} links: about "
                                 f"{last[name][1] * n / last[name][0]:.0f} s expected")
                continue
            rows[name] = deep.measure(name, n, settings.deep_timeout)
        ours = rows.get(OURS)
        for name, r in rows.items():
            if r.get("status") == "n/a":
                continue
            if r.get("error"):
                stopped[name] = f"fails at {count(n)} links: {r['error']}"
                table.add(name, count(n), "", "", "", "", "", "", r["error"])
                continue
            total = r["forward"] + r["backward"]
            last[name] = (n, total)
            ours_total = ours["forward"] + ours["backward"] if ours and not ours.get(
                "error") else None
            check = "ok" if name == OURS or ours_total is None else agreement(
                [r["grad"]], [ours["grad"]], np.float64)
            table.add(name, count(n), micro(r["forward"] / n), micro(r["backward"] / n),
                      micro(total / n), ratio(total, ours_total),
                      f"{r['bytes'] / n:.0f}", number(r["grad"]), check)
    for name, why in stopped.items():
        table.notes.append(f"{name}: {why}")
    return table


import benchmarks.arch_workloads  # noqa: E402,F401  (adds workloads 8-11 to CASES)
