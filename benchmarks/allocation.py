"""Memory faults of a training step: workload 4's MLP, each contender alone in a fresh process.

    python -m benchmarks.allocation              # every installed peer, ours compiled, graph kept
    python -m benchmarks.allocation --steps 50

When a step frees a lot of memory at once, the C allocator may give it back to the system, and
the next step faults it in again, page by page. Other libraries loaded into the same process
change when that happens, so the interleaved timings of `python -m benchmarks` cannot show it;
here each contender runs alone and reports milliseconds, minor page faults and system time per
step. Ours releases the graph during backward (`retain_graph=False`, as `nn.fit` does); the
`ours, graph kept` row shows what keeping it costs; `compiled` runs the loss as one recorded
program (`autograd.compile`), whose large results go into arrays lent by its earlier calls.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any, Dict

from benchmarks.deep import run_child

CONTENDERS = ("ours", "compiled", "ours, graph kept", "mygrad", "torch", "numpy")


def child(contender: str, steps: int) -> Dict[str, Any]:
    """Time `steps` workload-4 steps of one contender in this process."""
    import numpy as np

    from benchmarks import problems
    from benchmarks.peers import Missing, load
    from benchmarks.peers.ours import Ours
    peer = Ours(retain_graph=True) if contender == "ours, graph kept" else load(contender)
    if isinstance(peer, Missing):
        return {"error": "not installed"}
    step = peer.mlp(problems.classifier([1024, 1024, 1024, 10], 512, np.float32))
    for _ in range(3):                  # warm up: the allocator settles into its steady state
        step()
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"ms": 1e3 * seconds / steps, "faults": (after.ru_minflt - before.ru_minflt) / steps,
            "system_ms": 1e3 * (after.ru_stime - before.ru_stime) / steps}


def measure(contender: str, steps: int) -> Dict[str, Any]:
    """`child(contender, steps)` in a fresh interpreter."""
    return run_child("benchmarks.allocation", ["--child", contender, "--steps", str(steps)])


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.steps)))
        return 0
    print("| contender | ms / step | minor page faults / step | system ms / step |")
    print("|---|---:|---:|---:|")
    for contender in CONTENDERS:
        r = measure(contender, args.steps)
        if "error" in r:
            print(f"| {contender} | {r['error']} | | |")
        else:
            print(f"| {contender} | {r['ms']:.1f} | {r['faults']:,.0f} | {r['system_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
