"""The fresh-process mode and the before/after comparison, on the tiniest settings.

No timing assertions: the tables exist with every requested contender, their cells are times,
ratios and agreeing values, children import what they should, and bad input fails in one line.
"""
import json
import math
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import compare, fresh, peers, run, workloads  # noqa: E402
from benchmarks.timing import Settings, Timing, alone, paired_ratios, rotated  # noqa: E402

TIME = re.compile(r"^\d[\d.]* (s|ms|µs|ns)$")
RATIO = re.compile(r"^\d+\.\d\d×$")


def _rows(table):
    return [dict(zip(table.columns, row)) for row in table.rows]


@pytest.fixture(scope="module")
def tables():
    """Workloads 2 and 7 on ours, the numpy floor and a peer that is not installed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(peers.REGISTRY, "ghost",
                      ("benchmarks.peers.numpy_floor", "no_such_package_for_bench"))
        found = run.run([2, 7], ["ours", "numpy", "ghost"], Settings.tiny(), fresh_too=True)
    return {table.title.split(":")[0].split(" (")[0]: table for table in found}


def test_each_workload_is_followed_by_its_fresh_table(tables):
    assert list(tables) == ["Workload 2", "Workload 2 in fresh processes", "Workload 7"]
    assert tables["Workload 2 in fresh processes"].columns == fresh.COLUMNS


def test_fresh_tables_have_every_requested_peer_and_variant(tables):
    rows = _rows(tables["Workload 2 in fresh processes"])
    assert [(r["peer"], r["variant"]) for r in rows] == [
        (peer, dtype) for dtype in ("float64", "float32") for peer in ("ours", "numpy", "ghost")]


def test_fresh_rows_hold_times_ratios_and_agreeing_values(tables):
    one_process = {(r["peer"], r["variant"]): r for r in _rows(tables["Workload 2"])}
    for row in _rows(tables["Workload 2 in fresh processes"]):
        if row["peer"] == "ghost":
            assert row["time / step"] == "not installed"
            continue
        assert TIME.match(row["time / step"]), row
        assert RATIO.match(row["× ours"]) and RATIO.match(row["× ours, one process"]), row
        assert row["check"] == ("reference" if row["peer"] == "ours" else "ok"), row
        if row["peer"] == "ours":
            assert row["× ours"] == row["× ours, one process"] == "1.00×"
        same = one_process[(row["peer"], row["variant"])]    # the same first loss
        assert math.isclose(float(row["first value"]), float(same["first loss"]), rel_tol=1e-12)


def test_a_chain_case_runs_in_a_fresh_process_like_in_one():
    key = ("ours", "scalar", "fwd+bwd")
    one = workloads.in_one_process(5, peers.load_all(["ours"]), Settings.tiny())[key]
    out = fresh.sample(5, key, Settings.tiny())
    assert out["seconds"] > 0
    assert math.isclose(out["first"], one.first, rel_tol=1e-12)


def test_the_floor_table_gives_the_fresh_ratio_too(tables):
    rows = _rows(tables["Workload 7"])
    assert [(r["variant"], r["peer"]) for r in rows] == [("float64", "ours"), ("float32", "ours")]
    for row in rows:
        assert RATIO.match(row["× floor"]) and RATIO.match(row["× floor, fresh"])
        assert row["met, fresh"] in ("yes", "no")


def test_a_case_the_peer_cannot_run_is_left_out():
    results = fresh.in_fresh_processes(1, peers.load_all(["numpy"]), Settings.tiny())
    assert list(results) == [("numpy", "batched")]      # the floor has no scalar modes
    assert results[("numpy", "batched")].timing is not None


def test_a_failing_child_keeps_its_reason_and_no_time():
    def sampler(key, root):
        return fresh.sample(2, key, Settings.tiny(), root)
    bogus = {("ours", "float16"): "float64"}                   # workload 2 has no such case
    result, = fresh.in_rounds(bogus, 2, sampler).values()
    assert result.timing is None
    assert result.status.startswith("crashed (exit 1): ValueError: fresh.child: workload 2 has "
                                     "no case ['ours', 'float16']")


def test_a_child_imports_only_its_own_peer():
    script = ("import json, sys; from benchmarks import fresh; "
              "out = fresh.child(2, ('numpy', 'float64'), 1, 0.0); "
              "print(json.dumps([out, 'autograd' in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    out, engine_loaded = json.loads(proc.stdout)
    assert set(out) == {"first", "seconds"} and out["seconds"] > 0
    assert not engine_loaded


def test_alone_warms_up_then_times_each_block_after_an_untimed_step():
    calls = []
    timing = alone(lambda: calls.append(1), blocks=3, min_block=0.0, estimate=1.0)
    assert len(timing.samples) == 3
    assert len(calls) == 1 + 3 * 2          # one warm-up step, then per block one untimed + one


def test_rounds_rotate_and_pairs_need_the_same_rounds():
    assert rotated(["a", "b", "c"], 4) == ["b", "c", "a"]
    assert rotated(["base", "head"], 1) == ["head", "base"]
    with pytest.raises(ValueError, match="2 rounds against 3"):
        paired_ratios(Timing([1.0, 2.0]), Timing([1.0, 2.0, 3.0]))


def _imported_from(root):
    script = ("import os, autograd, benchmarks; "
              "print(os.path.realpath(autograd.__file__)); "
              "print(os.path.realpath(benchmarks.__file__))")
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], out[1]


def test_sides_link_their_engine_and_this_trees_benchmarks_and_are_removed():
    here = os.path.realpath(ROOT) + os.sep
    with compare.sides(compare.resolve("HEAD")) as roots:
        base_engine, base_benchmarks = _imported_from(roots["base"])
        head_engine, head_benchmarks = _imported_from(roots["head"])
        assert not base_engine.startswith(here)          # the extracted revision
        assert base_engine.startswith(os.path.realpath(os.path.dirname(roots["base"])))
        assert head_engine.startswith(here)
        assert base_benchmarks.startswith(here) and head_benchmarks.startswith(here)
    assert not os.path.exists(os.path.dirname(roots["base"]))


@pytest.mark.slow
def test_base_head_runs_end_to_end_and_reports_ratios(capsys, tmp_path):
    out = tmp_path / "before-after.md"
    assert run.main(["--base", "HEAD", "--workloads", "2", "--quick", "--rounds", "1",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "## Sides" in printed and "- base: HEAD = " in printed
    table = printed.split("### ")[1]
    assert table.startswith("Workload 2 before and after")
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| float")]
    assert [row[0] for row in rows] == ["| float64", "| float32"]
    for _, base, head, ratio, _, check in rows:
        assert TIME.match(base) and TIME.match(head) and RATIO.match(ratio)
        assert check == "ok |"
    assert table.split("\n\n")[1] in out.read_text(encoding="utf-8")


def test_deep_chains_compare_time_and_memory_per_link():
    table, = compare.compare(compare.resolve("HEAD"), [6], Settings.tiny())
    assert table.columns == compare.COLUMNS + ["base bytes/link", "head bytes/link"]
    row, = _rows(table)
    assert row["variant"] == "1e3 links" and row["check"] == "ok"
    assert TIME.match(row["base / step"]) and RATIO.match(row["head / base"])
    assert int(row["base bytes/link"]) >= 0 and int(row["head bytes/link"]) >= 0


@pytest.mark.parametrize("args, message", [
    (["--base", "no-such-revision"], "--base 'no-such-revision' names no commit"),
    (["--base", "HEAD", "--workloads", "7"],
     "--base compares workloads 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, not 7"),
])
def test_base_errors_are_one_clear_line(capsys, args, message):
    with pytest.raises(SystemExit) as exit:
        run.main(args)
    assert exit.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and message in lines[0]


class _Clock:
    """perf_counter for benchmarks.timing, advanced only by the fake step below."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def _recording_step(clock, calls):
    """A step like a compiled one: its first call (recording) takes 8 s, later ones 1/16 s
    (binary fractions, so the clock's sums are exact)."""
    def step():
        clock.now += 8.0 if not calls else 0.0625
        calls.append(1)
        return 0.0
    return step


def test_blocks_are_sized_by_a_later_step_not_the_first_call(monkeypatch):
    """Sized by the first call (8 s), a block of 1 s would hold one step; sized by a later one
    (1/16 s), it holds 16, in one process and in a fresh one alike."""
    from benchmarks import timing
    clock, calls = _Clock(), []
    monkeypatch.setattr(timing, "time", clock)
    step = _recording_step(clock, calls)
    monkeypatch.setitem(workloads.CASES, 99, lambda peers: {("fake", "v"): workloads.Case(
        lambda: step)})
    settings = Settings(rounds=1, min_block=1.0, deep_sizes=(), deep_timeout=1.0,
                        fresh_rounds=1, fresh_blocks=1)
    result = workloads.in_one_process(99, {}, settings)[("fake", "v")]
    assert result.first_seconds == 8.0 and result.timing.samples == [0.0625]
    assert len(calls) == 1 + 2 + (1 + 16)   # the first, the estimate's two (an untimed step,
    # then the timed one), then the block's untimed step and its 16

    calls.clear()
    step = _recording_step(clock, calls)
    out = fresh.child(99, ("fake", "v"), 1, 1.0)
    assert out["seconds"] == 0.0625
    assert len(calls) == 1 + 2 + 16 + (1 + 16)      # ... a block of warm-up, then one timed
