"""Grad mode and anomaly mode: their forms (context manager, decorator with and without
parentheses, PyTorch's set_grad_enabled call) and that they are per thread: a switch in one
thread, or a backward pass (which runs without recording), never changes what another thread
records."""
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Value, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from autograd import set_grad_enabled


def _in_thread(fn):
    """Run fn in a new thread and return its result (re-raising its exception)."""
    box = {}

    def run():
        try:
            box["out"] = fn()
        except BaseException as exc:   # noqa: BLE001 - handed back to the caller
            box["err"] = exc
    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "err" in box:
        raise box["err"]
    return box["out"]


def test_no_grad_in_one_thread_does_not_stop_another_from_recording():
    inside, done = threading.Event(), threading.Event()

    def holder():
        with no_grad():
            inside.set()
            done.wait(5)
    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    try:
        assert is_grad_enabled()
        y = Value(2.0) * 3.0
        assert y.requires_grad and y.op == "*"
    finally:
        done.set()
        t.join()


def test_overlapping_blocks_in_two_threads_leave_recording_on_in_both():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()
        return is_grad_enabled()

    def b():
        a_in.wait(5)
        with no_grad():
            b_in.set()
            a_out.wait(5)           # a leaves its block while b is still inside its own
        return is_grad_enabled()
    results = {}
    threads = [threading.Thread(target=lambda f=f: results.setdefault(f.__name__, f()))
               for f in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"a": True, "b": True}
    assert is_grad_enabled()


def test_a_new_thread_starts_recording_whatever_the_creating_thread_does():
    with no_grad():
        assert _in_thread(is_grad_enabled) is True
        with detect_anomaly(), np.errstate(invalid="ignore"):
            assert np.isnan(_in_thread(lambda: Value(-1.0).log().data))    # no anomaly error


def test_a_backward_pass_does_not_stop_other_threads_recording():
    started, built = threading.Event(), threading.Event()
    recorded = {}

    def slow_vjp(g, ans, x):
        started.set()
        built.wait(5)               # the other thread builds its graph during our backward
        return g * 2.0
    double = ag.Op("double", lambda x: x * 2.0, slow_vjp)

    def other():
        started.wait(5)
        y = Value(1.0) * 4.0
        recorded["ok"] = y.requires_grad
        built.set()
    t = threading.Thread(target=other)
    t.start()
    x = Value(3.0)
    double(x).backward()
    t.join()
    assert recorded == {"ok": True} and x.grad == 2.0


def test_no_grad_and_enable_grad_decorate_with_or_without_parentheses():
    @no_grad
    def bare(x):
        return x * 2.0

    @no_grad()
    def called(x):
        return x * 2.0

    @enable_grad
    def recording(x):
        return x * 2.0

    x = Value(1.0)
    assert not bare(x).requires_grad and not called(x).requires_grad
    assert bare.__name__ == "bare"
    with no_grad():
        assert recording(x).requires_grad
    with pytest.raises(TypeError, match="expected a function"):
        no_grad(3)


def test_a_decorated_function_runs_in_several_threads_at_once():
    barrier = threading.Barrier(4)

    @no_grad
    def work(x):
        barrier.wait(5)             # every thread is inside the decorated call at once
        return (x * 2.0).requires_grad
    threads, results = [], []
    for _ in range(4):
        threads.append(threading.Thread(target=lambda: results.append(work(Value(1.0)))))
        threads[-1].start()
    for t in threads:
        t.join()
    assert results == [False] * 4 and is_grad_enabled()


def test_set_grad_enabled_as_a_call_a_block_and_a_decorator():
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled()
    with set_grad_enabled(False):
        assert not (Value(1.0) * 2.0).requires_grad
    assert is_grad_enabled()

    @set_grad_enabled(False)
    def off(x):
        return x * 2.0
    assert is_grad_enabled()                       # decorating changed nothing
    assert not off(Value(1.0)).requires_grad and is_grad_enabled()


def test_threads_training_at_once_get_the_single_threaded_gradients():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 4))
    weights = [rng.normal(size=(4, 8)), rng.normal(size=(8, 1))]

    def train(seed):
        w1, w2 = (Value(w.copy()) for w in weights)
        grads = []
        for step in range(20):
            x = Value(X * (1 + seed + step), requires_grad=False)
            loss = ((x @ w1).tanh() @ w2).sum()
            loss.backward(retain_grads=False, retain_graph=False)
            grads.append((w1.grad.copy(), w2.grad.copy()))
            with no_grad():
                w1.data = w1.data - 1e-3 * w1.grad
                w2.data = w2.data - 1e-3 * w2.grad
            w1.zero_grad(), w2.zero_grad()
        return grads

    alone = [train(seed) for seed in range(6)]
    together = [None] * 6
    threads = [threading.Thread(target=lambda k=k: together.__setitem__(k, train(k)))
               for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together):
        for (a1, a2), (b1, b2) in zip(a, b):
            np.testing.assert_array_equal(a1, b1)
            np.testing.assert_array_equal(a2, b2)


def test_one_switch_object_entered_by_several_threads_at_once():
    inference = no_grad()                           # one object, shared
    barrier = threading.Barrier(2)
    results = {}

    def work(name):
        with inference:
            barrier.wait(5)                         # both threads inside the same switch
            results[name] = (Value(1.0) * 2.0).requires_grad
        results[name + " after"] = is_grad_enabled()
    threads = [threading.Thread(target=work, args=(n,)) for n in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"A": False, "B": False, "A after": True, "B after": True}


def test_one_switch_object_in_two_asyncio_tasks():
    import asyncio
    inference = no_grad()

    async def task():
        with inference:
            await asyncio.sleep(0)                  # the other task enters meanwhile
            inside = is_grad_enabled()
        return inside, is_grad_enabled()

    async def both():
        return await asyncio.gather(task(), task())
    assert asyncio.run(both()) == [(False, True), (False, True)]


def test_set_grad_enabled_decorates_twice_and_after_a_block():
    switch = set_grad_enabled(False)

    def f(x):
        return (x * 2.0).requires_grad
    first, second = switch(f), switch(f)
    assert is_grad_enabled() and not first(Value(1.0)) and not second(Value(1.0))
    block = set_grad_enabled(False)
    with block:
        assert not is_grad_enabled()
    assert is_grad_enabled() and not block(f)(Value(1.0))


def test_a_decorated_generator_runs_every_step_without_recording():
    @no_grad
    def steps(x):
        for _ in range(3):
            yield (x * 2.0).requires_grad
    assert list(steps(Value(1.0))) == [False, False, False] and is_grad_enabled()


def test_grad_in_one_thread_is_plain_while_another_thread_is_inside_grad():
    inside, done = threading.Event(), threading.Event()

    def slow(x):
        inside.set()
        done.wait(5)
        return x * x
    t = threading.Thread(target=lambda: ag.grad(slow)(1.0))
    t.start()
    inside.wait(5)
    try:
        result = ag.grad(lambda x: x ** 3)(2.0)
    finally:
        done.set()
        t.join()
    assert result == 12.0 and type(result) is float
