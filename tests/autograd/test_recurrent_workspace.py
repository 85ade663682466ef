"""The fused sequence ops reuse their scratch arrays (the input projection, the gradients of all
timesteps) from one call to the next: nothing a call returns may share memory with them, and
threads keep their own."""
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Value

OPS = {"rnn": (ag.rnn_sequence, 1), "lstm": (ag.lstm_sequence, 4), "gru": (ag.gru_sequence, 3)}
STATE = {"rnn": 1, "lstm": 2, "gru": 1}


def _inputs(kind, seed, steps=20, n=8, size=5, hidden=16):
    rng = np.random.default_rng(seed)
    rows = OPS[kind][1] * hidden
    return [Value(rng.standard_normal((steps, n, size))),
            Value(rng.standard_normal((n, STATE[kind] * hidden))),
            Value(rng.uniform(-0.5, 0.5, (rows, size))),
            Value(rng.uniform(-0.5, 0.5, (rows, hidden))),
            Value(rng.uniform(-0.5, 0.5, rows)), Value(rng.uniform(-0.5, 0.5, rows))]


def _run(kind, seed, reverse=False, **sizes):
    """The records and every input's gradient of one sequence call."""
    inputs = _inputs(kind, seed, **sizes)
    records = OPS[kind][0](*inputs, reverse=reverse)
    (records * records).sum().backward()
    return [records.data] + [v.grad for v in inputs]


@pytest.mark.parametrize("kind", sorted(OPS))
def test_a_calls_results_stay_when_the_next_call_reuses_the_scratch(kind):
    first = _run(kind, 0)
    kept = [a.copy() for a in first]
    _run(kind, 1, reverse=True)                 # same shapes: the scratch arrays are reused
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_run(kind, 0), kept):       # and the first call again gives the same
        np.testing.assert_array_equal(a, b)


def test_threads_running_sequences_at_once_get_their_own_scratch():
    expected = {seed: _run("lstm", seed, size=64) for seed in range(4)}
    results, barrier = {}, threading.Barrier(4)

    def work(seed):
        barrier.wait()
        for _ in range(10):
            results[seed] = _run("lstm", seed, size=64)
    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed, arrays in expected.items():
        for a, b in zip(results[seed], arrays):
            np.testing.assert_array_equal(a, b)
