"""The architecture workloads: 8 a LeNet-style CNN (issue 15), 9 a convolution's throughput
(issue 15), 10 an LSTM (issue 16) and 11 a Transformer encoder (issue 17), each one training
step (9: one convolution forward and backward), in float32.

Like workloads 1-5 they are made of cases (added to `workloads.CASES`), so each runs
interleaved in one process, each contender alone in fresh processes (fresh.py), and ours
before and after a change (compare.py).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from benchmarks import arch_problems
from benchmarks.peers.base import Peer
from benchmarks.report import Table, agreement, number, percent, seconds
from benchmarks.timing import Settings, paired_ratio
from benchmarks.workloads import (CASES, COMPILED, OURS, SPREAD_NOTE, Case, Result,
                                  in_one_process, mlp_cases, mlp_table, ours_of, paired,
                                  paired_note)

FLOAT32 = "float32"


def _ratio(results: Dict[tuple, Result], peer: str, of: str = OURS) -> Optional[float]:
    """`of` / `peer` on the float32 variant, paired by round; None unless both were timed."""
    ours, other = results.get((of, FLOAT32)), results.get((peer, FLOAT32))
    if not (ours and other and ours.timing and other.timing):
        return None
    return paired_ratio(ours.timing, other.timing)


def verdicts(results: Dict[tuple, Result], targets: Dict[str, float],
             of: str = OURS) -> List[str]:
    """A note per peer in `targets` (peer -> the most `of` / peer may be) and one for torch:
    the measured ratio and whether the target is met."""
    notes = []
    for peer, target in list(targets.items()) + [("torch", None)]:
        over = _ratio(results, peer, of)
        if over is None:
            notes.append(f"{of} / {peer}: not measured (both must run).")
            continue
        verdict = "" if target is None else (
            f" (target below {target:.2f}×: {'met' if over < target else 'not met'})"
            if peer == "mygrad" else
            f" (target at most {target:.2f}×: {'met' if over <= target else 'not met'})")
        notes.append(f"{of} / {peer}: {over:.2f}×{verdict}.")
    return notes


# ----- workload 8: LeNet ---------------------------------------------------------------------
def cases_8(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    return mlp_cases([(FLOAT32, arch_problems.lenet(), "cnn")], peers)


def workload_8(peers: Dict[str, Peer], settings: Settings):
    results = in_one_process(8, peers, settings)
    table = mlp_table(
        "Workload 8: LeNet-style CNN (conv 1→8 3×3, relu, maxpool 2, conv 8→16 3×3, relu, "
        "maxpool 2, linear 400→10), 28×28 inputs, batch 64, cross-entropy, SGD step",
        results, peers,
        ["numpy: im2col by hand (forward, backward and SGD; see peers/numpy_cnn.py). "
         "Targets: ours faster than mygrad and at most 1.30× the numpy floor."])
    table.notes += verdicts(results, {"mygrad": 1.0, "numpy": 1.30})
    return table, results


# ----- workload 9: convolution throughput ----------------------------------------------------
GEMM = "numpy matmul, the conv's shape"
SQUARE = "numpy matmul, square"


def _square(problem: arch_problems.ConvProblem) -> int:
    """The side of a square matmul with the conv forward's multiply-adds."""
    m, k, p = problem.gemm()
    return round((m * k * p) ** (1 / 3))


def _references(problem: arch_problems.ConvProblem) -> Dict[tuple, Case]:
    """numpy's own matmuls the convolution is measured against (see workload_9's notes)."""
    m, k, p = problem.gemm()
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(s).astype(problem.dtype) for s in ((m, k), (k, p)))
    n = _square(problem)
    c = rng.standard_normal((n, n)).astype(problem.dtype)
    return {(GEMM, FLOAT32): Case(lambda: lambda: (a @ b)[0, 0], problem.dtype),
            (SQUARE, FLOAT32): Case(lambda: lambda: (c @ c)[0, 0], problem.dtype)}


def cases_9(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    problem = arch_problems.conv_layer()
    cases = {(name, FLOAT32): Case(lambda peer=peer: peer.conv(problem), problem.dtype)
             for name, peer in peers.items()}
    cases.update(_references(problem))
    return cases


def _rates(results: Dict[tuple, Result]) -> Dict[tuple, float]:
    """GFLOP/s of each timed case of workload 9."""
    problem = arch_problems.conv_layer()
    m, k, p = problem.gemm()
    flops = {GEMM: 2.0 * m * k * p, SQUARE: 2.0 * _square(problem) ** 3}
    return {key: flops.get(key[0], problem.flops()) / r.median / 1e9
            for key, r in results.items() if r.median}


def with_rates(table: Table, results: Dict[tuple, Result]) -> Table:
    """Workload 9's fresh-process table (rows in the order of `results`) with GFLOP/s and the
    share of numpy's square matmul."""
    rates = _rates(results)
    peak = rates.get((SQUARE, FLOAT32))
    table.columns += ["GFLOP/s", "% of numpy matmul"]
    for row, key in zip(table.rows, results):
        rate = rates.get(key)
        row += ["–", "–"] if rate is None or not peak else [f"{rate:.1f}",
                                                             f"{100 * rate / peak:.0f}%"]
    return table


def workload_9(peers: Dict[str, Peer], settings: Settings):
    problem = arch_problems.conv_layer()
    m, k, p = problem.gemm()
    n = _square(problem)
    results = in_one_process(9, peers, settings)
    table = Table(
        "Workload 9: convolution forward and backward, x (64, 16, 28, 28), 32 filters 3×3, "
        "padding 1, float32: throughput",
        ["contender", "time / step", "spread", "× ours", "GFLOP/s", "% of numpy matmul",
         "|dW|²", "check"],
        notes=[f"A step is y = conv2d(x, w) and the gradients of x and w for a fixed output "
               f"gradient: three matrix products of the forward's size, "
               f"{problem.flops() / 1e9:.2f} GFLOP (im2col: ({m}, {k}) @ ({k}, {p})).",
               f"{GEMM}: numpy's ({m}, {k}) @ ({k}, {p}), the forward as one matrix product; "
               f"{SQUARE}: ({n}, {n}) @ ({n}, {n}), as many multiply-adds; both float32, timed in "
               f"the same rounds. % of numpy matmul is against the square one.",
               "|dW|²: the squared norm of the weight's gradient after the first step.",
               "Target: ours at least 50% of numpy's matmul throughput.",
               SPREAD_NOTE, paired_note("× ours")])
    rates = _rates(results)
    peak = rates.get((SQUARE, FLOAT32))
    for key, r in results.items():
        if r.status:
            table.add(r.peer, r.status, "", "", "", "", "", "")
            continue
        rate = rates[key]
        share = f"{100 * rate / peak:.0f}%" if peak else "–"
        if key[0] in (GEMM, SQUARE):
            table.add(r.peer, seconds(r.median), percent(r.timing.spread), "–", f"{rate:.1f}",
                      share, "", "")
            continue
        ours = ours_of(results, key)
        check = "reference" if r.peer == OURS else (
            agreement([r.first], [ours.first if ours else None], r.dtype))
        table.add(r.peer, seconds(r.median), percent(r.timing.spread), paired(r, ours),
                  f"{rate:.1f}", share, number(r.first), check)
    ours = rates.get((OURS, FLOAT32))
    if ours and peak:
        table.notes.append(f"ours: {ours:.1f} GFLOP/s, {100 * ours / peak:.0f}% of numpy's "
                           f"matmul ({'met' if ours >= 0.5 * peak else 'not met'}).")
    return table, results


# ----- workloads 10 and 11: sequence models --------------------------------------------------
COMPILED_TARGET = 1.15      # the compiled step over the numpy floor, at most (issue 19)


def cases_10(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    return mlp_cases([(FLOAT32, arch_problems.lstm(), "lstm")], peers)


def workload_10(peers: Dict[str, Peer], settings: Settings):
    s = arch_problems.lstm().sizes
    results = in_one_process(10, peers, settings)
    table = mlp_table(
        f"Workload 10: LSTM, 1 layer, input {s['input']}, hidden {s['hidden']}, sequence "
        f"{s['seq']}, batch {s['batch']}: MSE of the last output, SGD step", results, peers,
        ["torch: torch.nn.LSTM (its fused CPU kernel); numpy: forward and backward through "
         "time by hand (see peers/numpy_lstm.py). Target: ours at most 1.50× the numpy floor, "
         f"{COMPILED} at most {COMPILED_TARGET:.2f}×."])
    table.notes += verdicts(results, {"numpy": 1.50})
    if COMPILED in peers:
        table.notes += verdicts(results, {"numpy": COMPILED_TARGET}, of=COMPILED)
    return table, results


def cases_11(peers: Dict[str, Peer]) -> Dict[tuple, Case]:
    return mlp_cases([(FLOAT32, arch_problems.transformer(), "transformer")], peers)


def workload_11(peers: Dict[str, Peer], settings: Settings):
    s = arch_problems.transformer().sizes
    results = in_one_process(11, peers, settings)
    table = mlp_table(
        f"Workload 11: Transformer encoder, {s['layers']} layers, d_model {s['d_model']}, "
        f"{s['heads']} heads, feed-forward {s['ff']}, sequence {s['seq']}, batch {s['batch']}, "
        "dropout 0: MSE of the outputs, SGD step", results, peers,
        ["torch: torch.nn.TransformerEncoder (post-norm, relu); numpy: forward and backward by "
         "hand (see peers/numpy_transformer.py). Target: ours at most 1.50× the numpy floor, "
         f"{COMPILED} at most {COMPILED_TARGET:.2f}×."])
    table.notes += verdicts(results, {"numpy": 1.50})
    if COMPILED in peers:
        table.notes += verdicts(results, {"numpy": COMPILED_TARGET}, of=COMPILED)
    return table, results


ARCH_WORKLOADS = {8: workload_8, 9: workload_9, 10: workload_10, 11: workload_11}
# Columns a workload adds to its fresh-process table: workload -> f(table, fresh results).
FRESH_EXTRAS = {9: with_rates}
CASES.update({8: cases_8, 9: cases_9, 10: cases_10, 11: cases_11})
