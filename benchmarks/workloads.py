"""The seven workloads of the suite. Each returns its markdown table(s); the timing, the
peers and the formats live in their own modules."""
from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, Optional, Sequence

import numpy as np

from benchmarks import deep, problems
from benchmarks.peers import Missing
from benchmarks.peers.base import Peer
from benchmarks.report import (Table, agreement, count, micro, number, percent, ratio,
                               seconds)
from benchmarks.timing import Settings, Timing, first_call, interleaved, paired_ratio

OURS = "ours"


@dataclass
class Result:
    """One row's measurement: which peer on which variant, its first value(s) and time."""

    peer: str
    variant: str
    status: str = ""                       # "" when it ran, else why not
    first: Optional[float] = None          # the first loss (or chain output)
    timing: Optional[Timing] = None

    @property
    def median(self) -> Optional[float]:
        return self.timing.median if self.timing else None


def _first_call(step: Callable[[], float]) -> tuple:
    """Run a step once: (its value, seconds, "") or (None, None, why it failed)."""
    try:
        value, elapsed = first_call(step)
        return float(value), elapsed, ""
    except Exception as exc:                 # a failing peer is reported, not fatal
        return None, None, f"fails: {type(exc).__name__}: {str(exc)[:60]}"


def _run(candidates: Dict[tuple, Callable[[], Optional[Callable]]], peers: Dict[str, Peer],
         settings: Settings) -> Dict[tuple, Result]:
    """Build each (peer, variant, ...) candidate's step, run it once for its first value, then
    time all runnable steps in interleaved rounds. A candidate whose first name is not a peer
    is a reference computation (such as numpy's own matmul) timed alongside."""
    results: Dict[tuple, Result] = {}
    steps, estimates = {}, {}
    for key, make in candidates.items():
        result = results[key] = Result(key[0], key[1])
        if isinstance(peers.get(key[0]), Missing):
            result.status = "not installed"
            continue
        step = make()
        if step is None:
            del results[key]                 # this peer does not do this kind of workload
            continue
        result.first, estimates[key], result.status = _first_call(step)
        if not result.status:
            steps[key] = step
    for key, timing in interleaved(steps, settings, estimates).items():
        results[key].timing = timing
    return results


def _ours(results: Dict[tuple, Result], key: tuple) -> Optional[Result]:
    return results.get((OURS,) + tuple(key[1:]))


# ----- workloads 1-4 and 7: MLP training steps ----------------------------------------------
MLP_COLUMNS = ["peer", "variant", "time / step", "spread", "× ours", "first loss", "check"]


def mlp_table(title: str, variants: Sequence[tuple], peers: Dict[str, Peer],
              settings: Settings, notes: Sequence[str] = (),
              references: Optional[Dict[tuple, Callable]] = None) -> tuple:
    """Time one SGD step of each (variant label, problem, peer method) on every peer, and the
    `references` ((label, variant) -> step) alongside. Returns the table and the results
    (workload 7 summarises the latter)."""
    candidates = {}
    for label, problem, method in variants:
        for name, peer in peers.items():
            candidates[(name, label)] = (
                lambda peer=peer, problem=problem, method=method:
                getattr(peer, method)(problem))
    candidates.update({key: (lambda step=step: step) for key, step in (references or {}).items()})
    results = _run(candidates, peers, settings)
    table = Table(title, list(MLP_COLUMNS), notes=list(notes) + [
        "spread: half the interquartile range of the rounds (half the full range under four "
        "rounds), relative to the median.", paired_note()])
    dtypes = {label: problem.dtype for label, problem, _ in variants}
    for key, r in results.items():
        ours = _ours(results, key)
        if r.status:
            table.add(r.peer, r.variant, r.status, "", "", "", "")
            continue
        if r.peer not in peers:
            table.add(r.peer, r.variant, seconds(r.median), percent(r.timing.spread), "–", "",
                      "")
            continue
        check = "reference" if r.peer == OURS else (
            agreement([r.first], [ours.first if ours else None], dtypes[r.variant]))
        table.add(r.peer, r.variant, seconds(r.median), percent(r.timing.spread),
                  _paired(r, ours), number(r.first), check)
    return table, results


def paired_note(columns: str = "× ours, ours / floor") -> str:
    """How the ratio columns are computed (see timing.paired_ratio)."""
    return (f"{columns}: the median over the rounds of the ratio within each round (the "
            "contenders of a round run back to back, so a drift of the machine's speed "
            "cancels).")


def _paired(r: Result, ref: Optional[Result]) -> str:
    """r's time over ref's, round by round (see paired_note)."""
    if ref is None or r.timing is None or ref.timing is None:
        return "–"
    return f"{paired_ratio(r.timing, ref.timing):.2f}×"


def workload_1(peers, settings):
    problem = problems.micrograd_demo()
    table, results = mlp_table(
        f"Workload 1: micrograd's demo ({problem.name}, hinge + 1e-4 L2, full-batch SGD step)",
        [("scalar", problem, "scalar_mlp"), ("scalar, fused", problem, "fused_scalar_mlp"),
         ("batched", problem, "mlp")], peers, settings,
        ["scalar: one scalar node per weight and per sample, as micrograd does; "
         "scalar, fused: the same scalar Values and graphs, but each neuron's weighted sum (and "
         "the loss's sums) one `autograd.affine` node; batched: the 100 samples as one array. "
         "× ours compares with ours in the same mode."])
    micrograd, fused = results.get(("micrograd", "scalar")), results.get((OURS, "scalar, fused"))
    if micrograd and fused and micrograd.timing and fused.timing:
        table.notes.append(f"micrograd / ours (scalar, fused): {_paired(micrograd, fused)}.")
    table.notes.append("Target: ours (scalar) at least 15× faster than micrograd.")
    return table, results


def workload_2(peers, settings):
    sizes = [64, 64, 32, 10]
    variants = [(dt, problems.classifier(sizes, 32, dt), "mlp") for dt in ("float64", "float32")]
    return mlp_table("Workload 2: small MLP 64-64-32-10, batch 32, ReLU, softmax cross-entropy, "
                     "SGD lr 0.1", variants, peers, settings,
                     ["Target: faster than torch and mygrad, at most 2.0× the numpy floor."])


def workload_3(peers, settings):
    sizes = [784, 128, 64, 10]
    variants = [(dt, problems.classifier(sizes, 128, dt), "mlp") for dt in ("float32", "float64")]
    return mlp_table("Workload 3: MNIST-sized MLP 784-128-64-10, batch 128, same recipe",
                     variants, peers, settings,
                     ["Target: at most 1.10× the numpy floor in float32 and float64."])


def workload_4(peers, settings):
    problem = problems.classifier([1024, 1024, 1024, 10], 512, "float32")
    a, b = problem.x, problem.weights[0][0]
    matmul = "numpy a @ b"
    table, results = mlp_table(
        "Workload 4: compute-bound MLP 1024-1024-1024-10, batch 512, float32",
        [("float32", problem, "mlp")], peers, settings,
        references={(matmul, "float32"): lambda: (a @ b)[0, 0]})
    flops = {matmul: 2.0 * a.shape[0] * a.shape[1] * b.shape[1]}
    rates = {key: flops.get(key[0], problem.flops_per_step()) / r.median / 1e9
             for key, r in results.items() if r.median}
    peak = rates.get((matmul, "float32"))
    table.columns += ["GFLOP/s", "% of numpy matmul"]
    for row, key in zip(table.rows, results):
        rate = rates.get(key)
        row += ["–", "–"] if rate is None or not peak else [f"{rate:.1f}",
                                                             f"{100 * rate / peak:.0f}%"]
    table.notes += [
        f"{matmul}: numpy's own matmul, (512, 1024) @ (1024, 1024) float32, timed in the same "
        f"rounds. A step is {problem.flops_per_step() / 1e9:.2f} GFLOP of matmuls (forward, "
        "and backward without a gradient for the input).",
        "Target: at most 1.05× the numpy floor (above 85% of numpy's matmul throughput)."]
    return table, results


TARGETS = {"Workload 2": 2.0, "Workload 3": 1.10, "Workload 4": 1.05}


def workload_7(mlp_results: Dict[str, Dict[tuple, Result]]) -> Table:
    """Ours against the hand-written numpy floor, from the MLP tables measured above."""
    table = Table("Workload 7: the numpy floor (hand-written forward and backward)",
                  ["workload", "variant", "numpy floor / step", "ours / step", "ours / floor",
                   "target", "met"],
                  notes=["The floor rows were timed inside workloads 1-4, in alternation with "
                         "the other peers.", paired_note()])
    for workload, results in mlp_results.items():
        for key, r in results.items():
            if r.peer != "numpy" or r.median is None:
                continue
            ours = _ours(results, key)
            if ours is None or ours.median is None:
                continue
            target = TARGETS.get(workload)
            over = paired_ratio(ours.timing, r.timing)
            met = "" if target is None else ("yes" if over <= target else "no")
            table.add(workload, r.variant, seconds(r.median), seconds(ours.median),
                      f"{over:.2f}×", f"≤ {target:.2f}×" if target else "", met)
    if not table.rows:
        table.notes.append("No floor measured: run workloads 1-4 with the numpy and ours peers.")
    return table


# ----- workload 5: per-op overhead ----------------------------------------------------------
def _chain_step(chain, mode: str) -> Optional[Callable[[], float]]:
    """A step building the chain ("forward") or building and differentiating it."""
    if chain is None:
        return None
    if mode == "forward":
        return lambda: chain.value(chain.forward())
    return lambda: chain.backward(chain.forward())


@contextlib.contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def workload_5(peers, settings, n_ops: int = 1000):
    inputs = {"scalar": problems.op_chain(n_ops), "(16,)": problems.op_chain(n_ops, (16,))}
    candidates = {}
    for name, peer in peers.items():
        for label, problem in inputs.items():
            for mode in ("forward", "fwd+bwd"):
                candidates[(name, label, mode)] = (
                    lambda peer=peer, problem=problem, mode=mode:
                    _chain_step(peer.chain(problem), mode))
    with recursion_limit(10_000):
        results = _run(candidates, peers, settings)
    table = Table(f"Workload 5: per-op overhead, a chain of {n_ops:,} elementwise ops "
                  "(mul, add, every tenth a tanh)",
                  ["peer", "input", "forward µs/op", "fwd+bwd µs/op", "× ours (fwd+bwd)",
                   "output", "d out/dx0", "check"],
                  notes=["micrograd's recursive topological sort cannot walk 1,000 links under "
                         "Python's default recursion limit; it is raised to 10,000 for this "
                         "workload (workload 6 runs with the default).",
                         "Target: ours at most 1.5 µs/op forward+backward on scalars and 2.5 "
                         "on (16,) arrays.", paired_note("× ours")])
    for name in peers:
        for label in inputs:
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
            table.add(name, label, micro(fwd.median / n_ops), micro(both.median / n_ops),
                      _paired(both, ours_b), number(fwd.first), number(both.first), check)
    return table


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
