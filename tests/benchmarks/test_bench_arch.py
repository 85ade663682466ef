"""The architecture workloads (8-11): the hand-written numpy floors compute the gradients torch
computes (a wrong fast floor would make every ratio to it meaningless), and the workloads'
tables exist, agree on the first loss and report a layer this tree lacks as unavailable.

No timing assertions.
"""
import math
import os
import re
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import nn  # noqa: E402
from benchmarks import arch_problems, fresh, peers, run  # noqa: E402
from benchmarks.arch_workloads import GEMM, SQUARE  # noqa: E402
from benchmarks.peers import numpy_cnn, numpy_lstm, numpy_transformer  # noqa: E402
from benchmarks.timing import Settings  # noqa: E402

torch = pytest.importorskip("torch")
F = torch.nn.functional
TORCH = peers.load("torch")
from benchmarks.peers import torch_peer as torch_models  # noqa: E402

TIME = re.compile(r"^\d[\d.]* (s|ms|µs|ns)$")
RATIO = re.compile(r"^\d+\.\d\d×$")


def _small(kind, dtype):
    """A small problem of each kind (the floors' maths does not depend on the sizes)."""
    if kind == "cnn":
        return arch_problems.lenet(batch=6, dtype=dtype, seed=3)
    if kind == "lstm":
        return arch_problems.lstm(seq=7, batch=3, inputs=5, hidden=8, dtype=dtype, seed=3)
    return arch_problems.transformer(seq=5, batch=3, d_model=16, heads=4, ff=24, layers=2,
                                     dtype=dtype, seed=3)


def _floor_loss_and_grads(kind, problem):
    if kind == "cnn":
        return numpy_cnn.loss_and_grads(problem.state, problem.x, problem.y)
    if kind == "lstm":
        return numpy_lstm.loss_and_grads(problem.state, problem.x, problem.target)
    return numpy_transformer.loss_and_grads(problem.state, problem.x, problem.target,
                                            problem.sizes["heads"], problem.sizes["layers"])


def _torch_model_and_loss(kind, problem):
    if kind == "cnn":
        model = torch_models.lenet(problem.state)
        x, y = torch.from_numpy(problem.x), torch.from_numpy(problem.y.astype(np.int64))
        return model, lambda: F.cross_entropy(model(x), y)
    x, target = torch.from_numpy(problem.x), torch.from_numpy(problem.target)
    if kind == "lstm":
        model = torch_models.lstm(problem)
        return model, lambda: F.mse_loss(model(x)[0][-1], target)
    model = torch_models.encoder(problem)
    return model, lambda: F.mse_loss(model(x), target)


KINDS = ["cnn", "lstm", "transformer"]


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("kind", KINDS)
def test_floor_gradients_are_torchs(kind, dtype, rtol):
    problem = _small(kind, dtype)
    loss, grads = _floor_loss_and_grads(kind, problem)
    model, loss_fn = _torch_model_and_loss(kind, problem)
    expected = loss_fn()
    expected.backward()
    assert math.isclose(loss, expected.item(), rel_tol=rtol)
    params = dict(model.named_parameters())
    assert set(grads) == set(params) == set(problem.state)
    for name, p in params.items():
        got, want = grads[name], p.grad.numpy()
        assert got.dtype == dtype and got.shape == want.shape, name
        scale = np.abs(want).max()
        assert np.abs(got - want).max() <= rtol * scale + 1e-30, name


@pytest.mark.parametrize("kind", KINDS)
def test_floor_steps_train_as_torch_sgd_does(kind):
    problem = _small(kind, np.float64)
    floor = getattr(peers.load("numpy"), kind)(problem)
    theirs = getattr(TORCH, kind)(problem)
    for _ in range(3):                          # equal losses after updates: equal steps
        assert math.isclose(floor(), theirs(), rel_tol=1e-10)


def test_floor_pooling_drops_an_odd_edge_as_torch_does():
    x = np.arange(2 * 3 * 5 * 5, dtype=np.float64).reshape(2, 3, 5, 5)
    corners, pooled = numpy_cnn.pool_forward(x)
    assert np.array_equal(pooled, F.max_pool2d(torch.from_numpy(x), 2).numpy())
    g = np.random.default_rng(0).standard_normal(pooled.shape)
    tx = torch.from_numpy(x).requires_grad_()
    F.max_pool2d(tx, 2).backward(torch.from_numpy(g))
    assert np.array_equal(numpy_cnn.pool_backward(g, corners, pooled, (5, 5)), tx.grad.numpy())


def _rows(table):
    return [dict(zip(table.columns, row)) for row in table.rows]


# A run of the harness over these workloads takes a while: its readers are marked slow.
@pytest.fixture(scope="module")
def tables():
    found = run.run([8, 9, 10, 11], ["ours", "numpy", "torch"], Settings.tiny())
    return {int(t.title.split(":")[0].split()[-1]): t for t in found}


@pytest.mark.slow
def test_every_architecture_workload_has_a_table(tables):
    assert sorted(tables) == [8, 9, 10, 11]
    assert set(run.ALL_WORKLOADS) >= {8, 9, 10, 11}
    for table in tables.values():
        assert table.rows and all(len(row) == len(table.columns) for row in table.rows)


@pytest.mark.parametrize("workload, layer", [(8, None), (10, "LSTM"),
                                             (11, "TransformerEncoderLayer")])
@pytest.mark.slow
def test_training_workloads_agree_on_the_first_loss(tables, workload, layer):
    rows = {r["peer"]: r for r in _rows(tables[workload])}
    assert {"ours", "numpy", "torch"} <= set(rows)
    for name in ("numpy", "torch"):
        assert TIME.match(rows[name]["time / step"]), rows[name]
    if layer and not hasattr(nn, layer):
        assert rows["ours"]["time / step"].startswith(f"unavailable: nn.{layer} is not in")
        assert rows["numpy"]["check"] == "no reference"
        assert math.isclose(float(rows["numpy"]["first loss"]), float(rows["torch"]["first loss"]),
                            rel_tol=1e-4)
        return
    assert rows["ours"]["check"] == "reference"
    for name, row in rows.items():
        if name != "ours":
            assert row["check"] == "ok", row
            assert RATIO.match(row["× ours"]), row


def test_mygrad_runs_lenet_and_the_convolution_as_the_others_do():
    mygrad = peers.load("mygrad")
    if isinstance(mygrad, peers.Missing):
        pytest.skip("mygrad is not installed")
    problem = _small("cnn", np.float64)
    step, floor = mygrad.cnn(problem), peers.load("numpy").cnn(problem)
    for _ in range(2):
        assert math.isclose(step(), floor(), rel_tol=1e-10)
    g = np.random.default_rng(0).standard_normal((6, 8, 28, 28))
    conv = arch_problems.ConvProblem(problem.x, problem.state["0.weight"], g, padding=1)
    assert math.isclose(mygrad.conv(conv)(), TORCH.conv(conv)(), rel_tol=1e-10)


@pytest.mark.slow
def test_lenet_notes_give_the_targets_verdicts(tables):
    notes = " ".join(tables[8].notes)
    assert re.search(r"ours / numpy: \d+\.\d\d× \(target at most 1\.30×: (met|not met)\)", notes)
    assert re.search(r"ours / torch: \d+\.\d\d×\.", notes)


@pytest.mark.slow
def test_conv_throughput_table(tables):
    rows = {r["contender"]: r for r in _rows(tables[9])}
    assert {"ours", "torch", GEMM, SQUARE} <= set(rows)
    assert rows[SQUARE]["% of numpy matmul"] == "100%"
    for name in ("ours", "torch", GEMM):
        assert float(rows[name]["GFLOP/s"]) > 0
        assert re.match(r"^\d+%$", rows[name]["% of numpy matmul"])
    assert rows["torch"]["check"] == "ok"                  # the same weight gradient
    assert re.search(r"ours: [\d.]+ GFLOP/s, \d+% of numpy's matmul \((met|not met)\)",
                     " ".join(tables[9].notes))


def test_conv_problem_counts_three_products_of_the_forwards_size():
    problem = arch_problems.conv_layer()
    assert problem.gemm() == (32, 16 * 9, 64 * 28 * 28)
    assert problem.flops() == 3 * 2 * 32 * 144 * 64 * 784


def test_a_layer_this_tree_lacks_is_unavailable_in_both_modes(monkeypatch):
    monkeypatch.delattr(nn, "LSTM", raising=False)
    out = fresh.child(10, ("ours", "float32"), 1, 0.0)
    assert out == {"status": "unavailable: nn.LSTM is not in this tree (being written on "
                             "branch recurrent)"}
    table, results = run.IN_ONE_PROCESS[10](peers.load_all(["ours", "numpy"]), Settings.tiny())
    ours, floor = _rows(table)
    assert ours["time / step"] == out["status"]
    assert TIME.match(floor["time / step"]) and floor["check"] == "no reference"
    assert "ours / numpy: not measured (both must run)." in table.notes


def test_a_new_workload_runs_in_a_fresh_process_like_in_one():
    key = ("numpy", "float32")
    one = run.IN_ONE_PROCESS[8](peers.load_all(["ours", "numpy"]), Settings.tiny())[1][key]
    out = fresh.sample(8, key, Settings.tiny())
    assert out["seconds"] > 0
    assert math.isclose(out["first"], one.first, rel_tol=1e-12)


@pytest.mark.slow
def test_the_conv_fresh_table_gives_throughput_too():
    found = run.run([9], ["numpy"], Settings.tiny(), fresh_too=True)
    assert [t.title.split(":")[0] for t in found] == [
        "Workload 9", "Workload 9 in fresh processes (one per contender and variant)"]
    fresh_table = found[1]
    assert fresh_table.columns == fresh.COLUMNS + ["GFLOP/s", "% of numpy matmul"]
    rows = {r["peer"]: r for r in _rows(fresh_table)}
    assert set(rows) == {GEMM, SQUARE}                  # the floor has no convolution case
    assert rows[SQUARE]["% of numpy matmul"] == "100%"
    assert float(rows[GEMM]["GFLOP/s"]) > 0
