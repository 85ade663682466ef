"""Smoke test of the benchmark harness: our engine and the numpy floor on the tiniest settings.

No timing assertions: the tables exist, have their columns, and our first losses equal the
hand-written numpy floor's.
"""
import math
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks import peers, problems, run, workloads  # noqa: E402
from benchmarks.timing import Settings  # noqa: E402

PEERS = ["ours", "numpy"]


# A run of the harness over these workloads takes a while: its readers are marked slow.
@pytest.fixture(scope="module")
def tables():
    found = run.run(range(1, 8), PEERS, Settings.tiny())     # 8-11: test_bench_arch.py
    return {int(t.title.split(":")[0].split()[-1]): t for t in found}


def _rows(table, **match):
    return [dict(zip(table.columns, row)) for row in table.rows
            if all(dict(zip(table.columns, row))[k] == v for k, v in match.items())]


def _close(a, b, rtol=1e-9):
    a, b = float(a), float(b)
    return math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)


@pytest.mark.slow
def test_every_workload_has_a_table(tables):
    assert sorted(tables) == [1, 2, 3, 4, 5, 6, 7]
    for table in tables.values():
        assert table.rows, table.title
        assert all(len(row) == len(table.columns) for row in table.rows)
        assert table.markdown().startswith("### Workload")


@pytest.mark.slow
def test_columns(tables):
    for w in (1, 2, 3):
        assert tables[w].columns == workloads.MLP_COLUMNS
    assert tables[4].columns == workloads.MLP_COLUMNS + ["GFLOP/s", "% of numpy matmul"]
    assert tables[5].columns[:5] == ["peer", "input", "forward µs/op", "fwd+bwd µs/op",
                                     "× ours (fwd+bwd)"]
    assert "bytes/link" in tables[6].columns and "result" in tables[6].columns
    assert {"peer", "× floor", "target", "met"} <= set(tables[7].columns)


@pytest.mark.slow
@pytest.mark.parametrize("workload, variant", [(1, "batched"), (2, "float64"), (3, "float64")])
def test_first_loss_matches_the_numpy_floor(tables, workload, variant):
    ours, = _rows(tables[workload], peer="ours", variant=variant)
    floor, = _rows(tables[workload], peer="numpy", variant=variant)
    assert _close(ours["first loss"], floor["first loss"])
    assert floor["check"] == "ok"


@pytest.mark.slow
def test_scalar_modes_compute_the_same_loss(tables):
    batched, = _rows(tables[1], peer="ours", variant="batched")
    for variant in ("scalar", "scalar, fused"):
        scalar, = _rows(tables[1], peer="ours", variant=variant)
        assert _close(scalar["first loss"], batched["first loss"])


def test_fused_scalar_steps_train_like_the_expanded_ones():
    ours = peers.load("ours")
    problem = problems.micrograd_demo(n=8)
    expanded, fused = ours.scalar_mlp(problem), ours.fused_scalar_mlp(problem)
    for _ in range(3):                          # same losses after updates: same gradients
        assert _close(expanded(), fused(), rtol=1e-12)


@pytest.mark.slow
def test_op_chains_agree(tables):
    for variant in ("scalar", "(16,)"):
        ours, = _rows(tables[5], peer="ours", input=variant)
        floor, = _rows(tables[5], peer="numpy", input=variant)
        assert _close(ours["output"], floor["output"])
        assert _close(ours["d out/dx0"], floor["d out/dx0"])
    ours, floor = _rows(tables[6], peer="ours"), _rows(tables[6], peer="numpy")
    assert ours[0]["result"] == floor[0]["result"] == "ok"
    assert _close(ours[0]["d out/dx0"], floor[0]["d out/dx0"])


def test_a_missing_peer_is_reported_not_fatal(monkeypatch):
    monkeypatch.setitem(peers.REGISTRY, "ghost",
                        ("benchmarks.peers.numpy_floor", "no_such_package_for_bench"))
    table, _ = workloads.workload_2(peers.load_all(["ours", "ghost"]), Settings.tiny())
    ghost = _rows(table, peer="ghost")
    assert ghost and all(r["time / step"] == "not installed" for r in ghost)


@pytest.mark.parametrize("name", ["micrograd", "mygrad", "torch"])
def test_installed_peers_agree_on_workload_1(name):
    peer = peers.load(name)
    if isinstance(peer, peers.Missing):
        pytest.skip(f"{name} is not installed")
    problem = problems.micrograd_demo(n=8)
    step = peer.scalar_mlp(problem) or peer.mlp(problem)
    ours = peers.load("ours").mlp(problem)
    assert _close(step(), ours(), rtol=1e-9)


def test_paired_ratio_compares_round_by_round():
    from benchmarks.timing import Timing, paired_ratio
    slow_machine_late = Timing([1.0, 2.0, 4.0])       # the machine slows down round by round
    floor = Timing([0.5, 1.0, 2.0])
    assert paired_ratio(slow_machine_late, floor) == 2.0
    assert paired_ratio(Timing([1.0, 3.0, 2.0]), Timing([1.0, 1.0, 1.0])) == 2.0


def test_deep_chain_child_reports_collector_time_within_the_run():
    from benchmarks import deep
    result = deep.child("ours", 2000)
    assert set(result) == {"forward", "backward", "gc", "grad", "bytes"}
    assert 0.0 <= result["gc"] <= result["forward"] + result["backward"]
    assert _close(result["grad"], 1.000001 ** 1000, rtol=1e-9)  # 1000 muls, 1000 adds


def test_lines_run_counts_each_function_once_per_line():
    from benchmarks.profiling import lines_run

    def three_lines():
        a = 1
        b = a + 1
        return b

    def twice():
        three_lines()
        three_lines()

    report = lines_run(twice, top=5)
    assert "      6 lines     2 calls  test_bench_smoke.py:three_lines" in report
    assert "      2 lines     1 calls  test_bench_smoke.py:twice" in report


def test_allocation_child_reports_per_step_costs_for_each_way_of_ours():
    from benchmarks import allocation
    for contender in ("ours", "compiled", "ours, graph kept"):
        result = allocation.child(contender, steps=1)
        assert set(result) == {"ms", "faults", "system_ms"}
        assert result["ms"] > 0 and result["faults"] >= 0 and result["system_ms"] >= 0
