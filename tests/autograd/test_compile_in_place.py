"""A compiled program writes an element-wise op's result into an operand that dies there, an
array the program made that nothing else refers to, of the result's shape and dtype
(`autograd.placement.in_place`), as numpy reuses a temporary in `a @ b + c`: the same bits as
eager mode, and never into an array anyone can still read (an argument, a parameter, a result,
an operand read again, one a view shares, one of another shape or dtype). A training step that
ends in zero_grad() lets plain SGD write lr * g into the gradient it drops (`nn.optim.SGD`)."""
import operator
import re
import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from ag_compile import compiled_and_eager, same_bits
from autograd import Value

DTYPES = st.sampled_from([np.float32, np.float64])
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
UNSAVED = {"+ 1.5", "- 0.5", "* 1.5", "/ 1.5", "neg", "+ y", "y -"}
STEPS = sorted(UNSAVED) + ["relu", "* y", "/ y"]


def _then(h, step, y):
    """h after one step of a chain (`STEPS`)."""
    if step == "neg":
        return -h
    if step == "relu":
        return h.relu()
    if step == "y -":
        return y - h
    op, other = step.split()
    return OPERATORS[op](h, y if other == "y" else float(other))


def _bits_of_both(fn, operands):
    """Compiled (second call: the program) and eager results and gradients, bit for bit; the
    source."""
    compiled, eager, c_vals, e_vals, source = compiled_and_eager(
        fn, operands, lambda out: out.backward())
    same_bits(compiled.data, eager.data, f"the value\n{source}")
    for c, e in zip(c_vals, e_vals):
        if isinstance(c, Value) and c.requires_grad:
            same_bits(c.grad, e.grad, f"a gradient\n{source}")
    return source


@settings(max_examples=60, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtypes=st.tuples(DTYPES, DTYPES))
def test_element_wise_chains_written_in_place_give_eager_bits(data, seed, dtypes):
    rng = np.random.default_rng(seed)
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    tail = shape[data.draw(st.integers(0, len(shape))):]
    y_shape = tuple(1 if data.draw(st.booleans()) else n for n in tail)
    steps = data.draw(st.lists(st.sampled_from(STEPS), min_size=1, max_size=6))
    x = Value(rng.uniform(-2, 2, shape).astype(dtypes[0]))
    y = Value(rng.uniform(0.5, 2, y_shape).astype(dtypes[1]))

    def chain(a, b):
        h = a * 2.0                     # an array the program makes
        for step in steps:
            h = _then(h, step, b)
        return (h * h).sum()
    source = _bits_of_both(chain, [x, y])
    forward = source[:source.index("def backward")]
    # Each step keeps h's shape; where it keeps its dtype too, and no VJP reads h or the
    # step's result (which the backward would then need), each step is written into h.
    if dtypes[0] == dtypes[1] and set(steps) <= UNSAVED:
        assert len(re.findall(r"out=\w+\)", forward)) == len(steps), source


def test_a_chain_of_results_is_one_array():
    x = Value(np.ones(2000))            # 16 KB: below LARGE, so nothing is lent
    chain = ag.compile(lambda v: (((((v + 1.0) * 2.0) + 1.0) * 2.0) + 1.0).sum())
    chain(x), chain(x)
    source = chain.source()
    assert "    add = v + 1.0   # +" in source                  # not into the argument
    assert "    mul = np.multiply(add, 2.0, out=add)   # *" in source
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        chain(x).backward()             # five results and five gradients: one array each
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * x.data.nbytes, f"{peak} bytes at the peak\n{source}"
    same_bits(x.grad, np.full(2000, 4.0), "the chain's gradient")


def test_arrays_anyone_can_still_read_are_never_written_into():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2, (3, 4))
    w = Value(rng.uniform(0.5, 2, (3, 4)))
    x32 = Value(rng.uniform(0.5, 2, (3, 4)).astype(np.float32), requires_grad=False)

    def read_again(a, p):
        h = a * p
        return ((h + 1.0) * h).sum()    # h is read after h + 1.0

    def viewed(a, p):
        h = a * p
        view = h.reshape(12)            # shares h's memory, read after h + 1.0
        return (h + 1.0).sum() + (view * view).sum()

    def smaller(a, p):
        h = (a * p).sum(axis=0) * 2.0   # (4,): its sum with a (3, 4) array is larger
        return (h + p).sum()

    def wider(a, p):
        h = a * 2.0                     # float32: its sum with float64 is float64
        return (h + p).sum()

    def parameter_and_argument(a, p):
        return ((p + a) * -p).sum()     # p + a: neither operand is the program's
    for fn, arg in ((read_again, x), (viewed, x), (smaller, x), (wider, x32),
                    (parameter_and_argument, x)):
        data = arg.data if isinstance(arg, Value) else arg
        before = (data.copy(), w.data.copy())
        source = _bits_of_both(fn, [arg, w])
        same_bits(data, before[0], f"{fn.__name__}: the argument\n{source}")
        same_bits(w.data, before[1], f"{fn.__name__}: the parameter\n{source}")


def test_a_result_the_function_returns_is_not_written_into():
    w = Value(np.full((3, 4), 0.5))

    def f(a):
        h = a * w
        return (h + 1.0).sum(), h       # h is the caller's: h + 1.0 goes elsewhere
    step = ag.compile(f)
    x = np.arange(12.0).reshape(3, 4)
    for _ in range(3):
        loss, h = step(x)
        loss.backward()
        same_bits(h.data, x * 0.5, "the returned result")
        same_bits(loss.data, f(x)[0].data, "the loss")


def _model():
    return nn.Sequential(nn.Linear(6, 5, seed=1), nn.Activation("relu"), nn.Linear(5, 3, seed=2))


def _data(seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((8, 6)).astype(np.float32), rng.integers(0, 3, 8)


def _train(model, optimizers, zero_first, compiled):
    """Three training steps, compiled or eager; each step's loss."""
    def step(X, y):
        if zero_first:
            for opt in optimizers:
                opt.zero_grad()
        loss = nn.losses.cross_entropy(model(X), y)
        loss.backward(retain_grads=False, retain_graph=False)
        for opt in optimizers:
            opt.step()
        if not zero_first:
            for opt in optimizers:
                opt.zero_grad()
        return loss
    run = ag.compile(step) if compiled else step
    return [run(*_data(i)).data for i in range(3)]


def test_sgd_writes_into_gradients_a_step_drops_with_eager_bits():
    for zero_first in (False, True):    # dropped at the end, or kept for the user to read
        for shared in (False, True):    # two optimisers, one parameter in both
            models = [_model(), _model()]
            runs = []
            for model, compiled in zip(models, (True, False)):
                params = model.parameters()
                optimizers = [nn.optim.SGD(params, 0.1)]
                if shared:
                    optimizers.append(nn.optim.SGD(params[1:2], 0.05))   # a bias
                runs.append(_train(model, optimizers, zero_first, compiled))
            what = f"zero_grad first: {zero_first}, a parameter in two optimisers: {shared}"
            for c, e in zip(*runs):
                same_bits(c, e, f"{what}: a loss")
            for c, e in zip(models[0].parameters(), models[1].parameters()):
                same_bits(c.data, e.data, f"{what}: a parameter")
                assert (c.grad is None) is (e.grad is None), what
                if c.grad is not None:
                    same_bits(c.grad, e.grad, f"{what}: a gradient left for the user")


def test_a_dropped_gradient_holds_the_update_instead_of_a_new_array():
    rng = np.random.default_rng(0)
    W = Value(rng.standard_normal((512, 256)))       # 1 MiB
    x = rng.standard_normal((4, 512))
    opt = nn.optim.SGD([W], 0.1)

    @ag.compile
    def step(a):
        loss = (a @ W).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss
    for _ in range(3):
        step(x)
    expected = W.data - 0.1 * (x.T @ np.ones((4, 256)))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step(x)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < W.data.nbytes / 2, f"{peak} bytes at the peak"
    same_bits(W.data, expected, "the parameter after the step")
