"""The compiled peer (our engine with `autograd.compile` on each step's loss): it computes what
ours computes on every workload it runs, and the tables show it beside ours and the floor, with
its targets, its ratios to the floor and what recording cost.

No timing assertions (the payback arithmetic is checked on made-up timings).
"""
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import (arch_problems, instructions, peers, problems, run,  # noqa: E402
                        workloads)
from benchmarks.timing import Settings, Timing  # noqa: E402
from benchmarks.workloads import Result  # noqa: E402

RATIO = re.compile(r"^\d+\.\d\d×$")
OURS, COMPILED = peers.load("ours"), peers.load("compiled")


def _small(kind, dtype=np.float32):
    if kind == "lstm":
        return arch_problems.lstm(seq=6, batch=3, inputs=5, hidden=8, dtype=dtype, seed=3)
    return arch_problems.transformer(seq=5, batch=3, d_model=16, heads=4, ff=24, layers=2,
                                     dtype=dtype, seed=3)


CASES = {
    "micrograd demo, batched": (problems.micrograd_demo(n=8), "mlp"),
    "micrograd demo, scalar": (problems.micrograd_demo(n=4), "scalar_mlp"),
    "classifier float64": (problems.classifier([6, 5, 3], 4, "float64"), "mlp"),
    "classifier float32": (problems.classifier([6, 5, 3], 4, "float32"), "mlp"),
    "lstm": (_small("lstm"), "lstm"),
    "transformer": (_small("transformer"), "transformer"),
}


def test_the_compiled_peer_is_registered_right_after_ours():
    names = list(peers.REGISTRY)
    assert names[names.index("ours") + 1] == "compiled"


@pytest.mark.parametrize("case", list(CASES))
def test_compiled_steps_train_as_ours_do(case):
    problem, method = CASES[case]
    eager, compiled = getattr(OURS, method)(problem), getattr(COMPILED, method)(problem)
    rtol = 1e-12 if problem.dtype == np.float64 else 1e-6
    for _ in range(3):          # the first call records; equal losses after updates: equal steps
        assert math.isclose(compiled(), eager(), rel_tol=rtol)


def _timed(key, seconds, first_seconds=None):
    return Result(key, first=1.0, first_seconds=first_seconds, timing=Timing([seconds]))


def test_payback_is_the_recording_over_the_saving_per_step():
    results = {("ours", "float64"): _timed(("ours", "float64"), 2e-3),
               ("compiled", "float64"): _timed(("compiled", "float64"), 1.5e-3, 0.0225),
               ("ours", "float32"): _timed(("ours", "float32"), 2e-3),
               ("compiled", "float32"): _timed(("compiled", "float32"), 3e-3, 0.01)}
    notes = workloads.recording_notes(results)
    assert notes[0] == ("compiled (float64): the first call (recording) took 22.5 ms, against "
                        "2 ms per eager step, a compiled step taking 0.75× that: pays back "
                        "after 41 steps.")           # (22.5 - 2) / (2 × (1 - 0.75)) = 41
    assert notes[1].endswith("a compiled step taking 1.50× that: never pays back (no faster "
                             "than eager here).")
    assert notes[2].startswith("pays back after N steps: N = (first call − eager step)")


# A run of the harness over these workloads takes a while: its readers are marked slow.
@pytest.fixture(scope="module")
def tables():
    found = run.run([1, 2, 7, 10], ["ours", "compiled", "numpy"], Settings.tiny())
    return {int(t.title.split(":")[0].split()[-1]): t for t in found}


def _rows(table, **match):
    rows = [dict(zip(table.columns, row)) for row in table.rows]
    return [r for r in rows if all(r[k] == v for k, v in match.items())]


@pytest.mark.slow
def test_tables_show_compiled_beside_ours_with_the_same_first_loss(tables):
    for w, variant in ((1, "batched"), (2, "float64"), (2, "float32"), (10, "float32")):
        ours, = _rows(tables[w], peer="ours", variant=variant)
        compiled, = _rows(tables[w], peer="compiled", variant=variant)
        assert compiled["check"] == "ok" and RATIO.match(compiled["× ours"])
        assert math.isclose(float(compiled["first loss"]), float(ours["first loss"]),
                            rel_tol=1e-9)
    scalar, = _rows(tables[1], peer="compiled", variant="scalar")
    eager_scalar, = _rows(tables[1], peer="ours", variant="scalar")
    assert scalar["check"] == "ok" and RATIO.match(scalar["× ours"])    # the 100-sample graph
    assert math.isclose(float(scalar["first loss"]), float(eager_scalar["first loss"]),
                        rel_tol=1e-9)


@pytest.mark.slow
def test_notes_give_the_compiled_targets_ratios_and_recording_cost(tables):
    notes = {w: "\n".join(tables[w].notes) for w in (1, 2, 10)}
    assert "Target: compiled at most 1.30× the numpy floor." in notes[1]
    assert "Target: compiled (scalar) at least 50× faster than micrograd." in notes[1]
    assert "Target: compiled at most 1.15× the numpy floor." in notes[2]
    assert re.search(r"compiled / floor \(float32\): \d+\.\d\d× \(target at most 1\.15×: "
                     r"(met|not met)\)", notes[2])
    assert re.search(r"compiled / numpy: \d+\.\d\d× \(target at most 1\.15×: (met|not met)\)",
                     notes[10])
    for w in (1, 2, 10):
        assert re.search(r"compiled \((float32|float64|batched)\): the first call "
                         r"\(recording\) took [\d.]+ (s|ms|µs)", notes[w])


@pytest.mark.slow
def test_the_floor_table_has_a_row_for_each_mode_with_its_target(tables):
    rows = {(r["workload"], r["variant"], r["peer"]): r for r in _rows(tables[7])}
    assert set(rows) == {("Workload 1", "batched", "ours"), ("Workload 1", "batched", "compiled"),
                         ("Workload 2", "float64", "ours"), ("Workload 2", "float64", "compiled"),
                         ("Workload 2", "float32", "ours"), ("Workload 2", "float32", "compiled")}
    assert rows[("Workload 2", "float64", "compiled")]["target"] == "≤ 1.15×"
    assert rows[("Workload 2", "float64", "ours")]["target"] == "≤ 2.00×"
    assert rows[("Workload 1", "batched", "compiled")]["target"] == "≤ 1.30×"
    for row in rows.values():
        assert RATIO.match(row["× floor"]) and row["met"] in ("yes", "no", "")


def test_the_compiled_step_built_up_part_by_part_trains_the_same_weights():
    """`python -m benchmarks.instructions --compiled` counts each part of a compiled step; the
    parts differ only in the Python around the program, so three steps of each leave the
    same weights, bit for bit (run without valgrind here)."""
    script = instructions._COMPILED_PARTS + "\nprint([p.data.tobytes().hex() for p in params])"
    weights = {part: subprocess.run([sys.executable, "-c", script, "3", part], check=True,
                                    capture_output=True, text=True, cwd=instructions.ROOT).stdout
               for part in instructions.COMPILED_PARTS}
    assert len(set(weights.values())) == 1 and weights["step"].startswith("['")


def test_the_cache_counts_run_the_floor_and_the_compiled_step_on_the_same_problem():
    """`python -m benchmarks.instructions --cache` runs its script under cachegrind; here
    without it: for each case the compiled step and the floor train the same model, so after
    the same steps their next losses agree (to float32 rounding: different numpy calls)."""
    script = instructions._MISSES + "\nprint(repr(float(step())))"
    for workload, dtype in instructions.CACHE_CASES:
        losses = [float(subprocess.run([sys.executable, "-c", script, "1",
                                        f"{peer} {workload} {dtype}"], check=True,
                                       capture_output=True, text=True,
                                       cwd=instructions.ROOT).stdout)
                  for peer in ("numpy", "compiled")]
        assert np.isclose(*losses, rtol=1e-4), (workload, dtype, losses)
