"""autograd.compile of a whole training step: zero_grad(), the forward pass, backward() and an
optimiser's step() inside the compiled function are replayed on every call, leaving parameters,
gradients and optimiser state exactly where eager mode leaves them; what a program cannot
replay raises."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from autograd import TracerError, Value
from ag_compile import same_bits

OPTIMIZERS = {
    "sgd": lambda ps: nn.optim.SGD(ps, lr=0.1),
    "sgd-nesterov": lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                            weight_decay=1e-3),
    "adagrad": lambda ps: nn.optim.Adagrad(ps, lr=0.05),
    "rmsprop": lambda ps: nn.optim.RMSprop(ps, lr=0.01),
    "adam": lambda ps: nn.optim.Adam(ps, lr=0.01),
    "adamw": lambda ps: nn.optim.AdamW(ps, lr=0.01),
}


def _model(dtype, dropout=0.0, batchnorm=False):
    layers = [nn.Linear(4, 8, seed=1)]
    layers += [nn.BatchNorm(8)] if batchnorm else []
    layers += [nn.Activation("tanh")]
    layers += [nn.Dropout(dropout, seed=2)] if dropout else []
    layers += [nn.Linear(8, 3, seed=3)]
    return nn.Sequential(*layers).astype(dtype)


def _data(n=6, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return Value(rng.normal(size=(n, 4)).astype(dtype), requires_grad=False), \
        rng.integers(0, 3, n)


def _training_step(model, opt, order="zero first"):
    def step(X, y):
        if order == "zero first":
            opt.zero_grad()
        loss = nn.losses.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        if order == "zero last":
            opt.zero_grad()
        return loss
    return step


def _same_state(eager_model, compiled_model, eager_opt, compiled_opt):
    for (name, p), q in zip(eager_model.named_parameters(), compiled_model.parameters()):
        assert p.data.dtype == q.data.dtype, name
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
        assert (p.grad is None) == (q.grad is None), name
        if p.grad is not None:
            np.testing.assert_array_equal(p.grad, q.grad, err_msg=name)
    assert eager_opt.steps == compiled_opt.steps
    for p, q in zip(eager_opt.params, compiled_opt.params):
        e, c = eager_opt.state.get(id(p), {}), compiled_opt.state.get(id(q), {})
        assert e.keys() == c.keys()
        for k in e:
            np.testing.assert_array_equal(np.asarray(e[k]), np.asarray(c[k]), err_msg=k)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["zero first", "zero last", "accumulate"])
def test_a_compiled_training_step_equals_eager_bit_for_bit(optimizer, dtype, order):
    models = [_model(dtype, dropout=0.3, batchnorm=True) for _ in range(2)]
    opts = [OPTIMIZERS[optimizer](m.parameters()) for m in models]
    eager = _training_step(models[0], opts[0], order)
    compiled = ag.compile(_training_step(models[1], opts[1], order))
    for i in range(4):
        X, y = _data(seed=i, dtype=dtype)
        a, b = eager(X, y), compiled(X, y)
        assert type(b) is Value and not b.requires_grad and b.op == ""
        same_bits(b.data, a.data, "the loss")
        _same_state(models[0], models[1], opts[0], opts[1])
        for m, n in zip(models[0].buffers(), models[1].buffers()):
            np.testing.assert_array_equal(m, n)     # BatchNorm's running statistics
    assert compiled.last.trains and len(compiled.programs) == 1


@settings(max_examples=20, deadline=None)
@given(lr=st.lists(st.floats(1e-4, 1.0), min_size=3, max_size=3),
       momentum=st.sampled_from([0.0, 0.5, 0.9]))
def test_the_learning_rate_of_each_call_is_used(lr, momentum):
    models = [_model(np.float64) for _ in range(2)]
    opts = [nn.optim.SGD(m.parameters(), lr=0.1, momentum=momentum) for m in models]
    eager = _training_step(models[0], opts[0])
    compiled = ag.compile(_training_step(models[1], opts[1]))
    X, y = _data()
    for rate in lr:
        for opt in opts:
            opt.lr = rate                   # as a scheduler outside the function sets it
        eager(X, y), compiled(X, y)
    _same_state(models[0], models[1], opts[0], opts[1])


def test_recording_steps_once_though_it_runs_the_function_twice():
    model = _model(np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = [p.data.copy() for p in model.parameters()]
    versions = [p.version for p in model.parameters()]
    ag.compile(_training_step(model, opt))(*_data())
    assert opt.steps == 1
    assert [p.version for p in model.parameters()] == [v + 1 for v in versions]
    reference = _model(np.float64)
    ref_opt = nn.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    _training_step(reference, ref_opt)(*_data())
    _same_state(reference, model, ref_opt, opt)
    assert not all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters()))


def test_a_graph_recorded_before_a_compiled_step_refuses_to_backpropagate():
    model = _model(np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    step = ag.compile(_training_step(model, opt))
    X, y = _data()
    step(X, y)
    old = nn.losses.cross_entropy(model(X), y)
    step(X, y)                              # the program's step stamps the parameters
    with pytest.raises(RuntimeError, match="changed in place"):
        old.backward()


def test_argument_values_get_their_gradients_and_a_scalar_graph_trains():
    w = [Value(0.5), Value(-1.5), Value(2.0)]
    eager_w = [Value(p.data) for p in w]

    def step_on(params, opt):
        def step(x):
            opt.zero_grad()
            loss = (params[0] * x * x + params[1] * x + params[2] - 1.0) ** 2
            loss.backward()
            opt.step()
            return loss
        return step
    compiled = ag.compile(step_on(w, nn.optim.SGD(w, lr=0.01)))
    eager = step_on(eager_w, nn.optim.SGD(eager_w, lr=0.01))
    for x in (0.5, 1.5, -1.0):
        xs = [Value(x), Value(x)]
        a, b = eager(xs[0]), compiled(xs[1])
        assert a.data == b.data and type(b.data) is float
        assert xs[0].grad == xs[1].grad and type(xs[1].grad) is float
        assert [p.data for p in w] == [p.data for p in eager_w]
        assert [p.grad for p in w] == [p.grad for p in eager_w]


@pytest.mark.parametrize("zero_first", [True, False])
def test_each_value_gets_a_gradient_array_of_its_own(zero_first):
    """The program gives both inputs of `p + q` one gradient array, `w` a view (its reshape's
    VJP reshapes the gradient it receives) and `x` the seed itself: each `.grad` must be an
    array of its own, as eager mode's walk stores them, or changing one in place would change
    another."""
    p, q, w = Value(np.ones(3)), Value(np.ones(3)), Value(np.ones(3))

    @ag.compile
    def step(x):
        if zero_first:
            for v in (p, q, w, x):
                v.zero_grad()
        loss = ((p + q) * 2.0).sum() + (w.reshape(3, 1) * 3.0).sum() + x
        loss.backward()
        return loss
    for call in range(3):               # the first call records; later ones run the program
        x = Value(np.asarray(1.0, np.float32))   # a 0-d array (float64 would be a float)
        step(x)
        grads = [p.grad, q.grad, w.grad, x.grad]
        for i, a in enumerate(grads):
            assert a.base is None and not any(np.shares_memory(a, b) for b in grads[i + 1:]), (
                call, i)
        times = 1.0 if zero_first else call + 1.0
        same_bits(p.grad, np.full(3, 2.0), "p's gradient (zeroed in place below)")
        same_bits(w.grad, np.full(3, 3.0 * times), "w's gradient")
        p.grad *= 0.0
        same_bits(q.grad, np.full(3, 2.0 * times), "q's gradient, after p's was changed")


def test_results_come_back_as_the_function_packs_them():
    model = _model(np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)

    def with_outputs(X, y):
        out = model(X)
        loss = nn.losses.cross_entropy(out, y)
        loss.backward()
        opt.step()
        return loss, out.detach(), (X * 2.0).sum()     # reading arguments after it is fine

    def nothing(X, y):
        nn.losses.cross_entropy(model(X), y).backward()
        opt.step()
    def empty(X, y):
        nothing(X, y)
        return ()

    def a_list(X, y):
        loss = nn.losses.cross_entropy(model(X), y)
        loss.backward()
        opt.step()
        return [loss]
    X, y = _data()
    for fn in (with_outputs, nothing, empty, a_list):
        step = ag.compile(fn)
        first, second = step(X, y), step(X, y)
        if fn in (nothing, empty):
            assert first == second == (None if fn is nothing else ())
        elif fn is a_list:
            assert type(first) is type(second) is list and len(second) == 1
        else:
            assert [type(v) for v in second] == [Value] * 3 and type(second) is tuple
            assert second[2].item() == pytest.approx(2 * X.data.sum())
            assert second[1].shape == (6, 3) and not second[0].requires_grad
    assert opt.steps == 8


def _fails(fn, error, match, *args):
    with pytest.raises(error, match=match):
        ag.compile(fn)(*(args or _data()))


def test_what_a_program_cannot_replay_raises_before_any_update():
    model = _model(np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    sched = nn.optim.StepLR(opt, step_size=1)
    loss_of = lambda X, y: nn.losses.cross_entropy(model(X), y)     # noqa: E731

    def twice(X, y):
        loss_of(X, y).backward()
        loss_of(X, y).backward()

    def step_first(X, y):
        opt.step()
        loss_of(X, y).backward()

    def second_order(X, y):
        loss_of(X, y).backward(create_graph=True)

    def reads_after_step(X, y):
        loss = loss_of(X, y)
        loss.backward()
        opt.step()
        return loss_of(X, y)

    def reads_a_view_after_step(X, y):
        weight = model[0].weight.T               # a view of the parameter's array
        nn.losses.cross_entropy(model(X), y).backward()
        opt.step()
        return (weight * 2.0).sum()

    def clips(X, y):
        loss_of(X, y).backward()
        nn.clip_grad_norm(model.parameters(), 1.0)
        opt.step()

    def schedules(X, y):
        loss_of(X, y).backward()
        opt.step()
        sched.step()

    def sets_lr(X, y):
        opt.lr = opt.lr * 0.5
        loss_of(X, y).backward()
        opt.step()

    def returns_a_parameter(X, y):
        loss_of(X, y).backward()
        opt.step()
        return model[0].weight

    def writes(X, y):
        loss_of(X, y).backward()
        for p in model.parameters():
            p.data = np.zeros(p.shape)
    before = [p.data.copy() for p in model.parameters()]
    _fails(twice, TracerError, "backward\\(\\) is called twice")
    _fails(step_first, TracerError, "comes before backward")
    _fails(second_order, TracerError, "create_graph")
    _fails(reads_after_step, TracerError, "reads a parameter \\(or a view of one\\) after")
    _fails(reads_a_view_after_step, TracerError, "reads a parameter \\(or a view of one\\)")
    _fails(clips, TracerError, "\\.grad is read or set")
    _fails(schedules, TracerError, "StepLR.step\\(\\) inside")
    _fails(writes, TracerError, "written in place")
    _fails(sets_lr, TracerError, "setting SGD.lr inside the compiled function")
    _fails(returns_a_parameter, TracerError, "returns a Value it did not compute")
    _fails(lambda x: x.backward(), TracerError, "did not compute", Value(np.ones(1)))
    _fails(lambda x: (x * 2).backward(), TracerError, "shape \\(2,\\)", Value(np.ones(2)))
    # Recording only notes the events, so a refused function changed nothing.
    assert opt.steps == 0 and sched.last_epoch == 0
    assert all(p.grad is None for p in model.parameters())
    for b, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(b, p.data)


def test_a_graph_from_outside_the_function_is_refused_before_anything_changes():
    w = Value(np.ones(3))
    opt = nn.optim.SGD([w], lr=0.1)

    def step(x):
        (x * w).sum().backward()
        opt.step()
    for first in (False, True):
        compiled = ag.compile(step)
        if not first:
            compiled(Value(np.ones(3)))     # records (x is a leaf)
        before, steps = w.data.copy(), opt.steps
        a = Value(np.ones(3))
        with pytest.raises(RuntimeError, match="computed by ops outside"):
            compiled(a * 2.0)               # an op outside the function made the argument
        assert a.grad is None and opt.steps == steps
        np.testing.assert_array_equal(w.data, before)


def test_after_the_step_ops_may_read_what_no_optimiser_writes():
    models = [_model(np.float64) for _ in range(2)]
    opts = [nn.optim.SGD(m.parameters(), lr=0.1) for m in models]

    def step_of(model, opt):
        def step(X, y, extra):
            loss = nn.losses.cross_entropy(model(X), y)
            loss.backward()
            opt.step()
            return loss, (extra * 3.0).sum()
        return step
    compiled = ag.compile(step_of(models[1], opts[1]))
    eager = step_of(models[0], opts[0])
    for i in range(3):
        X, y = _data(seed=i)
        extras = [Value(np.arange(3.0) + i) for _ in range(2)]     # need a gradient
        a, b = eager(X, y, extras[0]), compiled(X, y, extras[1])
        assert a[1].item() == b[1].item() and a[0].item() == b[0].item()
        assert extras[0].grad is None and extras[1].grad is None
    _same_state(models[0], models[1], opts[0], opts[1])


def test_the_source_shows_the_training_events():
    model = _model(np.float64)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    step = ag.compile(_training_step(model, opt, "zero last"))
    step(*_data())
    source = step.source()
    tail = source[source.index("def backward"):]
    assert "backward() adds the gradients to .grad" in tail
    assert tail.index("Adam.step()") < tail.index("zero_grad() of 4 Values")
    namespace = dict(step.last.written.globals)
    exec(compile(source, "<source>", "exec"), namespace)     # it still runs
    assert callable(namespace["forward"]) and callable(namespace["backward"])


class _OwnSGD:
    """An optimiser of the user's own, not an nn.optim.Optimizer."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def zero_grad(self):
        for p in self.params:
            p.zero_grad()

    def step(self):
        for p in self.params:
            if p.grad is not None:
                p.data -= self.lr * p.grad


class _LoggedAdam(nn.optim.Adam):
    """An nn.optim optimiser whose step() runs Python of its own."""

    def step(self):
        self.norm = float(sum(np.abs(p.grad).sum() for p in self.params))
        super().step()


@pytest.mark.parametrize("make", [lambda ps: nn.optim.Adam(ps, lr=0.01),
                                  lambda ps: _OwnSGD(ps, lr=0.1),
                                  lambda ps: _LoggedAdam(ps, lr=0.01)])
def test_fit_with_compile_trains_as_eager_does(make):
    X, y = nn.data.make_xor(24, seed=0)
    histories, weights = [], []
    for compile in (False, True):
        model = nn.MLP(2, [8, 2], seed=0)
        opt = make(model.parameters())
        histories.append(nn.fit(model, X, y, "cross_entropy", opt, epochs=5, batch_size=8,
                                verbose=False, compile=compile, seed=0))
        weights.append([p.data for p in model.parameters()])
    assert histories[0].history == histories[1].history
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_the_program_keeps_no_graph_of_its_recordings():
    model = _model(np.float64)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    outputs = []

    def step(X, y):
        out = model(X)
        outputs.append(weakref.ref(out))
        nn.losses.cross_entropy(out, y).backward()
        opt.step()
    compiled = ag.compile(step)
    compiled(*_data())
    gc.collect()
    assert len(outputs) == 2 and all(ref() is None for ref in outputs)
    assert compiled.last.trains
