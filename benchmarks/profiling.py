"""Where our engine spends its time: cProfile of workload 1, 2 and 5 steps.

    python -m benchmarks.profiling            # top 15 functions of each, by own time
    python -m benchmarks.profiling --top 30 --steps 5
    python -m benchmarks.profiling --lines    # Python lines run per function in one step

`--lines` counts, with `sys.settrace`, the Python lines each function runs during one step: a
profiler-free picture of the interpreter work per graph node (on a small model it is that
work, not numpy's, that separates an engine from the hand-written floor).
"""
from __future__ import annotations

import argparse
import cProfile
import collections
import io
import pstats
import sys
from typing import Callable, Dict

import numpy as np

from benchmarks import problems
from benchmarks.peers import load


def steps(n_steps: int, fast_repeats: int = 20) -> Dict[str, Callable[[], None]]:
    """Named callables running `n_steps` steps of each profiled workload with our engine
    (`fast_repeats` times as many of the fast ones: batched steps and op chains)."""
    ours = load("ours")
    demo = problems.micrograd_demo()
    scalar_step, batched_step = ours.scalar_mlp(demo), ours.mlp(demo)
    fused_step = ours.fused_scalar_mlp(demo)
    small_step = ours.mlp(problems.classifier([64, 64, 32, 10], 32, np.float32))
    chains = {label: ours.chain(problems.op_chain(1000, shape))
              for label, shape in (("scalar", ()), ("(16,)", (16,)))}

    def repeat(fn: Callable[[], object], times: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(times):
                fn()
        return run

    out = {"workload 1, scalar mode": repeat(scalar_step, n_steps),
           "workload 1, scalar mode, fused": repeat(fused_step, n_steps),
           "workload 1, batched": repeat(batched_step, fast_repeats * n_steps),
           "workload 2, float32": repeat(small_step, fast_repeats * n_steps)}
    for label, c in chains.items():
        out[f"workload 5, {label}, fwd+bwd"] = repeat(lambda c=c: c.backward(c.forward()),
                                                      fast_repeats * n_steps)
    return out


def profile(fn: Callable[[], None], top: int) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def lines_run(fn: Callable[[], None], top: int) -> str:
    """The Python lines each function runs during `fn()`, most first, with its call count."""
    lines: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()

    def trace(frame, event, arg):
        where = f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_code.co_name}"
        if event == "call":
            calls[where] += 1
        elif event == "line":
            lines[where] += 1
        return trace

    sys.settrace(trace)
    try:
        fn()
    finally:
        sys.settrace(None)
    rows = [f"{n:7,d} lines {calls[where]:5,d} calls  {where}"
            for where, n in lines.most_common(top)]
    return "\n".join([f"{sum(lines.values()):7,d} lines {sum(calls.values()):5,d} calls  in all"]
                     + rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--lines", action="store_true",
                        help="count the Python lines run in one step instead of profiling")
    args = parser.parse_args()
    for name, fn in (steps(1, 1) if args.lines else steps(args.steps)).items():
        print(f"==== {name} ====")
        if args.lines:
            fn()                        # warm up: first calls import and allocate
            print(lines_run(fn, args.top))
        else:
            print(profile(fn, args.top))


if __name__ == "__main__":
    main()
