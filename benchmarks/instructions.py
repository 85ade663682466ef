"""Instructions counted by valgrind: a repeatable measure of the engine's cost, unaffected by
other load on the machine (wall-clock numbers here move by 10-20%, and more in slow spells).

    .venv/bin/python -m benchmarks.instructions        # needs valgrind (apt-get install valgrind)

Two measurements, each run at two lengths with the cyclic garbage collector off, dividing the
difference in instructions by the difference in length, so interpreter start-up and imports
cancel out:
- per scalar op of the workload-5 chain (mul and add by constants, every tenth a tanh);
- per training step of workload 2 in float32, ours and the hand-written numpy floor. Python's
  instructions retire more slowly than BLAS's, so the ratio of instructions is smaller than
  the ratio of times; it is a stable way to compare two versions of the engine.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from benchmarks.deep import ROOT

_CHAIN = """
import gc, sys
gc.disable()
from autograd import Value
x = Value(0.5)
for i in range(int(sys.argv[1])):
    x = x.tanh() if i % 10 == 9 else (x * 0.999 if i % 2 else x + 0.001)
if sys.argv[2] == "backward":
    x.backward()
"""

_MLP_STEPS = """
import gc, sys
gc.disable()
import numpy as np
from benchmarks import problems
from benchmarks.peers import load
step = load(sys.argv[2]).mlp(problems.classifier([64, 64, 32, 10], 32, np.float32))
for _ in range(int(sys.argv[1])):
    step()
"""


def _instructions(script: str, *args: str) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         os.path.realpath(sys.executable), "-c", script, *args],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"}).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def _per_repeat(script: str, arg: str, short: int, long: int) -> float:
    """Instructions per repetition of `script`'s loop: run at two lengths, so start-up and
    imports cancel out."""
    return ((_instructions(script, str(long), arg) - _instructions(script, str(short), arg))
            / (long - short))


def per_op(mode: str, short: int = 10_000, long: int = 20_000) -> float:
    """Instructions per op of the chain: forward only, or forward and backward."""
    return _per_repeat(_CHAIN, mode, short, long)


def per_step(peer: str, short: int = 50, long: int = 250) -> float:
    """Instructions per workload-2 float32 training step of `peer` ('ours' or 'numpy')."""
    return _per_repeat(_MLP_STEPS, peer, short, long)


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is missing: apt-get install valgrind (or brew install valgrind)")
        return 1
    forward = per_op("forward")
    both = per_op("backward")
    print(f"scalar chain, instructions per op: forward {forward:,.0f}, "
          f"backward {both - forward:,.0f}, forward+backward {both:,.0f}")
    ours, floor = per_step("ours"), per_step("numpy")
    print(f"workload 2 float32, instructions per step: ours {ours:,.0f}, numpy floor "
          f"{floor:,.0f} ({ours / floor:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
