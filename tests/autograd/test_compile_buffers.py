"""A compiled program writes its large results into the arrays of its last call (`out=`) only
where nothing else refers to them (autograd.buffers): values and gradients stay those of eager
mode bit for bit, arrays the user keeps (a loss, a gradient, a view of one, an undifferentiated
graph's saved arrays) are never overwritten, and dropped ones are reused. Each intermediate is
deleted after the statement that last reads it, so it is freed at once."""
import re
import threading
import tracemalloc
import weakref

import numpy as np

import autograd as ag
import nn
from ag_compile import same_bits
from autograd import Value
from autograd.buffers import LARGE

WIDTH, BATCH = 256, 96                  # float64 (96, 256) and (256, 256): above LARGE


def _model(seed=0):
    return nn.Sequential(nn.Linear(WIDTH, WIDTH, seed=seed + 1), nn.Activation("relu"),
                         nn.Linear(WIDTH, WIDTH, seed=seed + 2), nn.Activation("tanh"),
                         nn.Linear(WIDTH, 10, seed=seed + 3))


def _batch(seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((BATCH, WIDTH)), rng.integers(0, 10, BATCH)


def _pointer(array):
    return array.__array_interface__["data"][0]


def test_large_results_are_written_into_last_calls_arrays_bit_for_bit_with_eager():
    assert BATCH * WIDTH * 8 >= LARGE
    compiled_model, eager_model = _model(), _model()
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(compiled_model(X), y))
    opts = [nn.optim.SGD(m.parameters(), 0.1) for m in (compiled_model, eager_model)]
    for i in range(4):
        X, y = _batch(i)
        for opt in opts:
            opt.zero_grad()
        compiled = step(X, y)
        compiled.backward()
        eager = nn.losses.cross_entropy(eager_model(X), y)
        eager.backward()
        same_bits(compiled.data, eager.data, f"call {i}: the loss")
        for c, e in zip(compiled_model.parameters(), eager_model.parameters()):
            same_bits(c.grad, e.grad, f"call {i}: a gradient")
        for opt in opts:
            opt.step()
    assert "out=buffers.spare(" in step.source()


def test_a_dropped_gradient_and_released_activations_are_written_again():
    rng = np.random.default_rng(0)
    W1, W2 = Value(rng.standard_normal((WIDTH, WIDTH))), Value(rng.standard_normal((WIDTH, 3)))
    step = ag.compile(lambda X: ((X @ W1).relu() @ W2).sum())
    X = rng.standard_normal((BATCH, WIDTH))
    pointers, grads = [], []
    for _ in range(4):
        W1.zero_grad(), W2.zero_grad()
        step(X).backward(retain_graph=False)
        pointers.append(_pointer(W1.grad))
        grads.append(W1.grad.copy())
    assert pointers[1] == pointers[2] == pointers[3]    # dropped by zero_grad: written again
    W1.zero_grad(), W2.zero_grad()
    ((X @ W1).relu() @ W2).sum().backward()
    for g in grads:
        same_bits(g, W1.grad, "a gradient written into a lent array")


def test_arrays_the_user_keeps_are_never_overwritten():
    rng = np.random.default_rng(1)
    W1, W2 = Value(rng.standard_normal((WIDTH, WIDTH))), Value(rng.standard_normal((WIDTH, 3)))
    step = ag.compile(lambda X: ((X @ W1).tanh() @ W2).sum())

    def call(seed):
        W1.zero_grad(), W2.zero_grad()
        loss = step(np.random.default_rng(seed).standard_normal((BATCH, WIDTH)))
        loss.backward()
        return loss
    call(0)                                 # records
    loss = call(1)
    held = W1.grad                          # kept by the user
    expected = [np.copy(loss.data), held.copy()]
    call(2)
    view = W1.grad[:3]                      # only a view kept: it keeps its base
    expected.append(view.copy())
    call(3)
    ref = weakref.ref(W1.grad)              # only a weak reference kept
    weakly_held = ref().copy()
    for seed in range(4, 7):
        call(seed)
        assert ref() is None or np.array_equal(ref(), weakly_held)     # freed, not written
    for got, want, what in zip((loss.data, held, view), expected, ("a loss", "a gradient",
                                                                    "a view")):
        same_bits(np.asarray(got), want, what)
    assert not np.array_equal(W1.grad, held)        # later calls computed other gradients


def test_a_graph_not_yet_differentiated_keeps_its_saved_arrays():
    compiled_model, eager_model = _model(), _model()
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(compiled_model(X), y))
    batches = [_batch(i) for i in range(3)]
    step(*batches[0]).backward()            # records, then one call runs the program
    step(*batches[0]).backward()
    compiled_model.zero_grad()
    losses = [step(*b) for b in batches]    # three graphs alive at once
    sum(losses[1:], losses[0]).backward()
    eager = [nn.losses.cross_entropy(eager_model(X), y) for X, y in batches]
    sum(eager[1:], eager[0]).backward()
    for c, e in zip(compiled_model.parameters(), eager_model.parameters()):
        same_bits(c.grad, e.grad, "gradients of three graphs alive at once")


def test_threads_running_one_program_get_their_own_arrays():
    model = _model()
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))
    step(*_batch(0))
    batches = [_batch(i) for i in range(4)]
    expected = [np.asarray(nn.losses.cross_entropy(model(X), y).data) for X, y in batches]
    results = {}

    def run(k):
        for _ in range(20):
            loss = step(*batches[k])
            results.setdefault(k, []).append(np.asarray(loss.data).copy())
    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        for got in results[k]:
            same_bits(got, expected[k], f"thread {k}")


def test_small_results_and_a_program_that_finds_its_fits_lend_nothing():
    w = Value(np.ones((4, 3)))
    f = ag.compile(lambda x: (x @ w).relu().sum())
    f(np.ones((2, 4)))
    assert "buffers" not in f.source()


def test_a_loop_holding_the_last_result_alternates_between_two_arrays():
    rng = np.random.default_rng(2)
    W1, W2 = Value(rng.standard_normal((WIDTH, WIDTH))), Value(rng.standard_normal((WIDTH, 3)))

    def f(X):
        hidden = (X @ W1).tanh()
        return (hidden @ W2).sum(), hidden
    step = ag.compile(f)
    inputs = [rng.standard_normal((BATCH, WIDTH)) for _ in range(6)]
    pointers, previous = [], None
    for X in inputs:
        loss, hidden = step(X)              # the last call's results live until rebound
        loss.backward()
        if previous is not None:
            same_bits(previous[0], previous[1], "the last call's result, still held")
        previous = (hidden.data, hidden.data.copy())
        pointers.append(_pointer(hidden.data))
        same_bits(hidden.data, f(X)[1].data, "a result written into a lent array")
    assert pointers[2] == pointers[4] and pointers[3] == pointers[5] != pointers[4]


def test_every_op_written_with_out_gives_eager_bits():
    rng = np.random.default_rng(3)
    W = Value(rng.uniform(0.5, 2.0, (BATCH, WIDTH)))
    V = Value(rng.standard_normal((WIDTH, WIDTH)))

    def f(X):
        xw = X * W
        a = (xw - 1.5) / (W + 2.0) + (-xw)
        b = (a @ V).tanh().exp() + (W.sqrt().log() * a).relu()
        return (b * b).sum()
    step = ag.compile(f)
    for seed in range(3):
        X = np.random.default_rng(seed).uniform(0.5, 2.0, (BATCH, WIDTH))
        W.zero_grad(), V.zero_grad()
        compiled = step(X)
        compiled.backward()
        grads = (W.grad, V.grad)
        W.zero_grad(), V.zero_grad()
        eager = f(X)
        eager.backward()
        same_bits(compiled.data, eager.data, "the value")
        same_bits(grads[0], W.grad, "W's gradient")
        same_bits(grads[1], V.grad, "V's gradient")
    source = step.source()
    for fn in ("np.add(", "np.subtract(", "np.multiply(", "np.true_divide(", "np.negative(",
               "np.matmul(", "np.tanh(", "np.exp(", "np.sqrt(", "np.log(", "np.maximum("):
        # into a lent array, or into an operand that dies there (test_compile_in_place)
        assert re.search(re.escape(fn) + r"[^\n]*out=(buffers\.spare\(\d+\)|\w+)\)", source), fn


def test_intermediates_are_freed_after_their_last_read():
    x = Value(np.ones(2000))            # 16 KB: below LARGE, so nothing is lent
    chain = ag.compile(lambda v: (((((v + 1.0) * 2.0) + 1.0) * 2.0) + 1.0).sum())
    chain(x), chain(x)
    source = chain.source()
    forward = source[:source.index("def backward")].splitlines()
    assert "    del add" in forward and forward[forward.index("    del add") - 1].startswith(
        "    mul = np.multiply(add, 2.0, out=add)"), source
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        chain(x).backward()             # five results; at most two alive at once
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 3 * x.data.nbytes, f"{peak} bytes at the peak\n{source}"
    same_bits(x.grad, np.full(2000, 4.0), "the chain's gradient")
