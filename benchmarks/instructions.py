"""Instructions counted by valgrind: a repeatable measure of the engine's cost, unaffected by
other load on the machine (wall-clock numbers here move by 10-20%, and more in slow spells).

    .venv/bin/python -m benchmarks.instructions        # needs valgrind (apt-get install valgrind)
    .venv/bin/python -m benchmarks.instructions --base main    # before/after, both sides
    .venv/bin/python -m benchmarks.instructions --compiled     # a compiled step, part by part

Two measurements, each run at two lengths with the cyclic garbage collector off, dividing the
difference in instructions by the difference in length, so interpreter start-up and imports
cancel out:
- per scalar op of the workload-5 chain (mul and add by constants, every tenth a tanh);
- per training step of workload 2 in float32, ours and the hand-written numpy floor. Python's
  instructions retire more slowly than BLAS's, so the ratio of instructions is smaller than
  the ratio of times; it is a stable way to compare two versions of the engine.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Optional

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
COMPILED_PARTS = ("program", "call", "backward", "step", "trained")
"""The compiled workload-2 step built up part by part: the program alone on raw arrays (its
forward, its backward, the SGD update), then with the compiled call around it, then with
`backward()` on its node, then the whole step (the update through Values, as `ours`); and
the training step compiled whole (backward and `nn.optim.SGD`'s step inside, as the
benchmark's compiled peer runs it)."""


# BLAS threads spin while they wait for work, and callgrind counts their instructions too: with
# them the same run varied by 10-20%; with one thread it gives the same count every time.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _instructions(script: str, *args: str, root: str = ROOT) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         os.path.realpath(sys.executable), "-c", script, *args],
        capture_output=True, text=True, check=True, cwd=root,
        env={**os.environ, "PYTHONHASHSEED": "0", **ONE_THREAD}).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def _per_repeat(script: str, arg: str, short: int, long: int, root: str = ROOT) -> float:
    """Instructions per repetition of `script`'s loop: run at two lengths, so start-up and
    imports cancel out (a first, short run compiles the .pyc files of every module the script
    imports, so neither count does)."""
    _instructions(script, "1", arg, root=root)
    return ((_instructions(script, str(long), arg, root=root)
             - _instructions(script, str(short), arg, root=root)) / (long - short))


def per_op(mode: str, short: int = 10_000, long: int = 20_000, root: str = ROOT) -> float:
    """Instructions per op of the chain: forward only, or forward and backward."""
    return _per_repeat(_CHAIN, mode, short, long, root)


def per_step(peer: str, short: int = 50, long: int = 250, root: str = ROOT) -> float:
    """Instructions per workload-2 float32 training step of `peer` ('ours' or 'numpy')."""
    return _per_repeat(_MLP_STEPS, peer, short, long, root)


def compiled_parts(short: int = 50, long: int = 250, root: str = ROOT) -> Dict[str, float]:
    """Instructions per compiled workload-2 float32 step, built up part by part (see
    COMPILED_PARTS), and the numpy floor's."""
    found = {part: _per_repeat(_COMPILED_PARTS, part, short, long, root)
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
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is missing: apt-get install valgrind (or brew install valgrind)")
        return 1
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


if __name__ == "__main__":
    sys.exit(main())
