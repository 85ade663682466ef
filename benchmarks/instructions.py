"""Instructions per scalar op, counted by valgrind: a repeatable measure of the engine's per-op
cost, unaffected by other load on the machine (wall-clock numbers here move by 10-20%).

    .venv/bin/python -m benchmarks.instructions        # needs valgrind (apt-get install valgrind)

Runs the workload-5 chain (mul and add by constants, every tenth a tanh) at two lengths with the
cyclic garbage collector off, and divides the difference in instructions by the difference in
ops, so interpreter start-up and imports cancel out.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

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


def _instructions(ops: int, mode: str) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         os.path.realpath(sys.executable), "-c", _CHAIN, str(ops), mode],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"}).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def per_op(mode: str, short: int = 10_000, long: int = 20_000) -> float:
    """Instructions per op of the chain: forward only, or forward and backward."""
    return (_instructions(long, mode) - _instructions(short, mode)) / (long - short)


def main() -> int:
    if shutil.which("valgrind") is None:
        print("valgrind is missing: apt-get install valgrind (or brew install valgrind)")
        return 1
    forward = per_op("forward")
    both = per_op("backward")
    print(f"scalar chain, instructions per op: forward {forward:,.0f}, "
          f"backward {both - forward:,.0f}, forward+backward {both:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
