"""Instructions counted by valgrind: a repeatable measure of the engine's cost, unaffected by
other load on the machine (wall-clock numbers here move by 10-20%, and more in slow spells).

    .venv/bin/python -m benchmarks.instructions        # needs valgrind (apt-get install valgrind)
    .venv/bin/python -m benchmarks.instructions --base main    # before/after, both sides
    .venv/bin/python -m benchmarks.instructions --compiled     # a compiled step, part by part
    .venv/bin/python -m benchmarks.instructions --cache        # and its cache misses

Two measurements, each run at two lengths with the cyclic garbage collector off, dividing the
difference in instructions by the difference in length, so interpreter start-up and imports
cancel out:
- per scalar op of the workload-5 chain (mul and add by constants, every tenth a tanh);
- per training step of workload 2 in float32, ours and the hand-written numpy floor. Python's
  instructions retire more slowly than BLAS's, so the ratio of instructions is smaller than
  the ratio of times; it is a stable way to compare two versions of the engine.

`--cache` counts, with cachegrind, the compiled training step's and the floor's instructions
and the data reads and writes missing a simulated last-level cache of 512 KiB (one core's L2
on the machines we measure, whose shared L3 is much larger) on workloads 2, 3 and 10 (the
LSTM): where the two make the same numpy calls, a step that touches less memory waits less
for it.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import nullcontext
from typing import Callable, Dict, List, Optional, Tuple

from benchmarks import compare
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


_COMPILED_PARTS = """
import gc, sys
gc.disable()
import numpy as np
import autograd
import nn
from benchmarks import problems
from benchmarks.peers import ours
from benchmarks.peers.ours_compiled import compiled_step
problem = problems.classifier([64, 64, 32, 10], 32, np.float32)
params, loss = ours.mlp_loss(problem)
compiled = autograd.compile(loss)
for _ in range(3):
    ours.sgd_step(compiled, params, problem.lr, retain_grads=False, retain_graph=False)()
program, lr, one = compiled.last, problem.lr, np.ones((), np.float32)
part = sys.argv[2]


def update(p, g):
    weights = p.data
    weights -= lr * g                   # in place on the raw array, as the floor does


def program_alone():
    out, saved, _ = program.forward(*[leaf.data for leaf in program.leaves])
    for p, g in zip(program.grad_leaves, program.backward(one, *saved)):
        update(p, g)


def with_call():
    loss = compiled()
    for p, g in zip(program.grad_leaves, program.backward(one, *loss.attrs["state"]["saved"])):
        update(p, g)


def with_backward():
    compiled().backward(retain_grads=False, retain_graph=False)
    for p in program.grad_leaves:
        update(p, p.grad)
        p.zero_grad()


step = {"program": program_alone, "call": with_call, "backward": with_backward,
        "step": ours.sgd_step(compiled, params, lr, retain_grads=False, retain_graph=False),
        "trained": compiled_step(loss, nn.optim.SGD(params, lr=lr))}[part]
for _ in range(int(sys.argv[1])):
    step()
"""
_MISSES = """
import gc, sys
gc.disable()
import numpy as np
from benchmarks import arch_problems, problems
from benchmarks.peers import load
peer, workload, dtype = sys.argv[2].split()
if workload == "10":
    step = load(peer).lstm(arch_problems.lstm(dtype=np.dtype(dtype)))
else:
    sizes, batch = {"2": ([64, 64, 32, 10], 32), "3": ([784, 128, 64, 10], 128)}[workload]
    step = load(peer).mlp(problems.classifier(sizes, batch, np.dtype(dtype)))
for _ in range(3 if workload == "10" else 10):
    step()
for _ in range(int(sys.argv[1])):
    step()
"""
L2 = "--LL=524288,8,64"
"""cachegrind's last-level cache: 512 KiB, 8-way, 64-byte lines."""
CACHE_CASES = (("2", "float32"), ("2", "float64"), ("3", "float32"), ("3", "float64"),
               ("10", "float32"))
COMPILED_PARTS = ("program", "call", "backward", "step", "trained")
"""The compiled workload-2 step built up part by part: the program alone on raw arrays (its
forward, its backward, the SGD update), then with the compiled call around it, then with
`backward()` on its node, then the whole step (the update through Values, as `ours`); and
the training step compiled whole (backward and `nn.optim.SGD`'s step inside, as the
benchmark's compiled peer runs it)."""


# BLAS threads spin while they wait for work, and callgrind counts their instructions too: with
# them the same run varied by 10-20%; with one thread it gives the same count every time.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _valgrind(options: List[str], script: str, args: Tuple[str, ...], root: str) -> str:
    """Run `script` with `args` under valgrind with `options` in `root`; its stderr."""
    return subprocess.run(
        ["valgrind", *options, os.path.realpath(sys.executable), "-c", script, *args],
        capture_output=True, text=True, check=True, cwd=root,
        env={**os.environ, "PYTHONHASHSEED": "0", **ONE_THREAD}).stderr


def _instructions(script: str, *args: str, root: str = ROOT) -> Dict[str, int]:
    """callgrind's count for a run of `script`: instructions (Ir)."""
    out = _valgrind(["--tool=callgrind", "--callgrind-out-file=/dev/null"], script, args, root)
    return {"Ir": int(re.search(r"Collected : (\d+)", out).group(1))}


def _events(script: str, *args: str, root: str = ROOT) -> Dict[str, int]:
    """cachegrind's totals for a run of `script`: instructions (Ir), data read and write
    misses of the first-level (D1mr, D1mw) and last-level (DLmr, DLmw) caches."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "cachegrind.out")
        _valgrind(["--tool=cachegrind", "--cache-sim=yes", L2,
                   f"--cachegrind-out-file={out}"], script, args, root)
        with open(out) as f:
            text = f.read()
    names = re.search(r"^events: (.*)$", text, re.M).group(1).split()
    totals = re.search(r"^summary: (.*)$", text, re.M).group(1).split()
    return dict(zip(names, map(int, totals)))


def step_misses(peer: str, workload: str, dtype: str, root: str = ROOT) -> Dict[str, float]:
    """Per training step of `peer` on workload 2, 3 or 10 (the LSTM) in `dtype`:
    instructions, and data misses of the simulated L2 (`L2`)."""
    short, long = {"2": (60, 120), "3": (20, 40), "10": (1, 4)}[workload]
    per_step = _per_repeat(_MISSES, f"{peer} {workload} {dtype}", short, long, root, _events)
    return {"instructions": per_step["Ir"], "misses": per_step["DLmr"] + per_step["DLmw"]}


def _per_repeat(script: str, arg: str, short: int, long: int, root: str = ROOT,
                count: Callable[..., Dict[str, int]] = _instructions) -> Dict[str, float]:
    """What `count` counts (instructions by default), per repetition of `script`'s loop: run
    at two lengths, so start-up and imports cancel out (a first, short run compiles the .pyc
    files of every module the script imports, so neither count does)."""
    count(script, "1", arg, root=root)
    one, other = (count(script, str(n), arg, root=root) for n in (short, long))
    return {k: (other[k] - one[k]) / (long - short) for k in one}


def per_op(mode: str, short: int = 10_000, long: int = 20_000, root: str = ROOT) -> float:
    """Instructions per op of the chain: forward only, or forward and backward."""
    return _per_repeat(_CHAIN, mode, short, long, root)["Ir"]


def per_step(peer: str, short: int = 50, long: int = 250, root: str = ROOT) -> float:
    """Instructions per workload-2 float32 training step of `peer` ('ours' or 'numpy')."""
    return _per_repeat(_MLP_STEPS, peer, short, long, root)["Ir"]


def compiled_parts(short: int = 50, long: int = 250, root: str = ROOT) -> Dict[str, float]:
    """Instructions per compiled workload-2 float32 step, built up part by part (see
    COMPILED_PARTS), and the numpy floor's."""
    found = {part: _per_repeat(_COMPILED_PARTS, part, short, long, root)["Ir"]
             for part in COMPILED_PARTS}
    return found | {"floor": per_step("numpy", short, long, root)}


def counts(root: str = ROOT) -> Dict[str, float]:
    """Every count, for the engine in `root`."""
    forward, both = per_op("forward", root=root), per_op("backward", root=root)
    return {"forward": forward, "backward": both - forward, "forward+backward": both,
            "workload 2 step": per_step("ours", root=root)}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", metavar="REV", help="also count the engine at git revision "
                        "REV and show head / base (a load-proof before and after)")
    parser.add_argument("--compiled", action="store_true", help="instead: the compiled "
                        "workload-2 step part by part, where its instructions go")
    parser.add_argument("--cache", action="store_true", help="instead: the compiled step's "
                        "and the floor's instructions and L2-sized cache misses per step on "
                        "workloads 2, 3 and 10 (with --base, the compiled step's at REV too)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is missing: apt-get install valgrind (or brew install valgrind)")
        return 1
    if args.cache:
        return _print_cache(args.base)
    if args.compiled:
        parts = compiled_parts()
        print("compiled workload 2 float32, instructions per step (each adds to the one above):")
        for part, what in zip(COMPILED_PARTS, ("the program on raw arrays, SGD on raw arrays",
                                               "+ the compiled call around it",
                                               "+ backward() on its node",
                                               "the whole step: SGD through Values",
                                               "the training step compiled whole")):
            print(f"  {what:<46} {parts[part]:>12,.0f}  ({parts[part] / parts['floor']:.3f}x "
                  "the floor)")
        print(f"  {'the numpy floor':<46} {parts['floor']:>12,.0f}")
        return 0
    if args.base:
        with compare.sides(compare.resolve(args.base)) as roots:
            base, head = counts(roots["base"]), counts(roots["head"])
        print(f"instructions, base {args.base} -> this working tree")
        for key in base:
            print(f"  {key:<18} {base[key]:>12,.0f} -> {head[key]:>12,.0f}  "
                  f"({head[key] / base[key]:.3f}x)")
        return 0
    found = counts()
    print(f"scalar chain, instructions per op: forward {found['forward']:,.0f}, "
          f"backward {found['backward']:,.0f}, forward+backward {found['forward+backward']:,.0f}")
    floor = per_step("numpy")
    print(f"workload 2 float32, instructions per step: ours {found['workload 2 step']:,.0f}, "
          f"numpy floor {floor:,.0f} ({found['workload 2 step'] / floor:.2f}x)")
    return 0


def _print_cache(base: Optional[str]) -> int:
    """The --cache table: per step, the floor's counts, and the compiled step's (at `base`
    too) with their ratios to the floor's."""
    print("per training step: instructions, and data misses of a 512 KiB last-level cache "
          "(cachegrind)")
    with compare.sides(compare.resolve(base)) if base else nullcontext({"head": ROOT}) as roots:
        for workload, dtype in CACHE_CASES:
            floor = step_misses("numpy", workload, dtype)
            print(f"workload {workload} {dtype}")
            rows = [("numpy floor", floor)] + [
                (f"compiled{' at ' + base if side == 'base' else ''}",
                 step_misses("compiled", workload, dtype, root))
                for side, root in sorted(roots.items())]
            for name, found in rows:
                print(f"  {name:<24} {found['instructions']:>12,.0f} "
                      f"({found['instructions'] / floor['instructions']:.3f}x)"
                      f"  {found['misses']:>9,.0f} ({found['misses'] / floor['misses']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
