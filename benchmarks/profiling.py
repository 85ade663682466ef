"""Where our engine spends its time: cProfile of workload 1 and workload 5 steps.

    python -m benchmarks.profiling            # top 15 functions of each, by own time
    python -m benchmarks.profiling --top 30 --steps 5
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
from typing import Callable, Dict

from benchmarks import problems
from benchmarks.peers import load


def steps(n_steps: int) -> Dict[str, Callable[[], None]]:
    """Named callables running `n_steps` steps of each profiled workload with our engine."""
    ours = load("ours")
    demo = problems.micrograd_demo()
    scalar_step, batched_step = ours.scalar_mlp(demo), ours.mlp(demo)
    fused_step = ours.fused_scalar_mlp(demo)
    chains = {label: ours.chain(problems.op_chain(1000, shape))
              for label, shape in (("scalar", ()), ("(16,)", (16,)))}

    def repeat(fn: Callable[[], object], times: int) -> Callable[[], None]:
        def run() -> None:
            for _ in range(times):
                fn()
        return run

    out = {"workload 1, scalar mode": repeat(scalar_step, n_steps),
           "workload 1, scalar mode, fused": repeat(fused_step, n_steps),
           "workload 1, batched": repeat(batched_step, 20 * n_steps)}
    for label, c in chains.items():
        out[f"workload 5, {label}, fwd+bwd"] = repeat(lambda c=c: c.backward(c.forward()),
                                                      20 * n_steps)
    return out


def profile(fn: Callable[[], None], top: int) -> str:
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    for name, fn in steps(args.steps).items():
        print(f"==== {name} ====")
        print(profile(fn, args.top))


if __name__ == "__main__":
    main()
