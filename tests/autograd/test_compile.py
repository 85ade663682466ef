"""autograd.compile: a recorded program gives eager mode's values and gradients, records again
when the signature changes, refuses what it cannot replay, draws randomness and updates module
state on every call, and shows itself as source that runs."""
import threading

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import TracerError, Value


def _mlp(seed=0, dropout=0.0, batchnorm=False):
    layers = [nn.Linear(4, 8, seed=seed + 1)]
    layers += [nn.BatchNorm(8)] if batchnorm else []
    layers += [nn.Activation("tanh")]
    layers += [nn.Dropout(dropout, seed=seed + 2)] if dropout else []
    layers += [nn.Linear(8, 3, seed=seed + 3)]
    return nn.Sequential(*layers)


def _data(n=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, n)


def _grads(model):
    return [p.grad.copy() for p in model.parameters()]


def _same(a, b):
    assert type(a) is type(b)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _step_both(eager_model, compiled_model, step, X, y):
    eager = nn.losses.cross_entropy(eager_model(X), y)
    eager.backward()
    compiled = step(X, y)
    compiled.backward()
    _same(compiled.data, eager.data)
    for a, b in zip(_grads(eager_model), _grads(compiled_model)):
        _same(a, b)
    return compiled


def test_a_training_loop_compiled_ends_with_eager_weights_bit_for_bit():
    X, y = _data()
    eager_model, compiled_model = _mlp(), _mlp()
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(compiled_model(X), y))
    opts = [nn.optim.Adam(m.parameters(), 0.01) for m in (eager_model, compiled_model)]
    for i in range(5):
        for opt in opts:
            opt.zero_grad()
        loss = _step_both(eager_model, compiled_model, step, X, y)
        for opt in opts:
            opt.step()
        assert (loss.op == "compiled <lambda>") == (i > 0)     # the first call records
    for a, b in zip(eager_model.parameters(), compiled_model.parameters()):
        _same(a.data, b.data)


def test_a_new_shape_records_again_and_the_cache_keeps_the_newest():
    W = Value(np.ones((4, 2)))
    runs = []

    def f(X):
        runs.append(X.shape)            # each recording runs the function twice
        return (X @ W).sum()
    compiled = ag.compile(f, cache_size=2)
    for n in (1, 2, 3, 2, 3):
        X = np.arange(4.0 * n).reshape(n, 4)
        assert compiled(X).data == X.sum() * 2
    assert len(runs) == 6                   # shapes 1, 2, 3 recorded, 2 and 3 replayed
    compiled(np.ones((1, 4)))               # dropped from the cache of two: recorded again
    compiled(np.ones((1, 4), dtype=np.float32))     # a dtype is part of the signature
    assert len(runs) == 10 and len(compiled.programs) == 2


@pytest.mark.parametrize("body, word", [
    (lambda s: s if s > 0 else -s, "comparing"),
    (lambda s: s * float(s), "item()"),
    (lambda s: s * s.item(), "item()"),
    (lambda s: s * s.data, "reading .data"),
    (lambda s: s * (1.0 if s else 2.0), "bool()"),
    (lambda s: s * np.asarray(s), "converting to a numpy array"),
])
def test_python_control_flow_on_recorded_values_raises_a_tracer_error(body, word):
    W = Value(np.array([1.0, -2.0]))
    f = ag.compile(lambda x: body((x * W).sum()))
    with pytest.raises(TracerError, match=word) as err:
        f(np.array([0.5, 0.25]))
    assert "static" in str(err.value)
    assert Value(1.0) > 0                       # nothing stays guarded after recording


def test_a_static_argument_records_one_program_per_value():
    W = Value(np.array([1.0, -2.0]))
    f = ag.compile(lambda x, flip: (x * W).sum() * (-1.0 if flip else 1.0))
    x = np.array([0.5, 0.25])
    assert f(x, True).data == -(f(x, False).data)
    assert len(f.programs) == 2


def test_numbers_computed_from_the_data_outside_the_ops_are_refused():
    W = Value(np.array([1.0, -2.0]))
    doubled = ag.compile(lambda x: (Value(x * 2.0) * W).sum())      # numpy on an argument
    with pytest.raises(ValueError, match="computed from the arguments"):
        doubled(np.array([0.5, 0.25]))
    frozen = ag.compile(lambda x: (x * W).sum() * W.numpy().sum())  # a parameter's numbers
    with pytest.raises(TracerError):
        frozen(np.array([0.5, 0.25]))
    part = ag.compile(lambda x: (Value(x[:, :1]) * W).sum())        # a numpy view of a part
    with pytest.raises(ValueError, match="part of argument 0"):
        part(np.ones((3, 2)))


def test_dropout_draws_new_masks_each_call_and_matches_eager_under_one_seed():
    X, y = _data()
    eager_model, compiled_model = _mlp(dropout=0.5), _mlp(dropout=0.5)
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(compiled_model(X), y))
    losses = []
    for _ in range(4):
        for m in (eager_model, compiled_model):
            m.zero_grad()
        losses.append(_step_both(eager_model, compiled_model, step, X, y).data)
    assert len(set(losses)) == 4                # a new mask on every call


def test_batchnorm_statistics_update_on_every_call_and_eval_mode_is_a_signature():
    X, y = _data()
    eager_model, compiled_model = _mlp(batchnorm=True), _mlp(batchnorm=True)
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(compiled_model(X), y))
    for _ in range(3):
        for m in (eager_model, compiled_model):
            m.zero_grad()
        _step_both(eager_model, compiled_model, step, X, y)
        _same(compiled_model[1].running_mean, eager_model[1].running_mean)
        _same(compiled_model[1].running_var, eager_model[1].running_var)
    before = compiled_model[1].running_mean.copy()
    for m in (eager_model, compiled_model):
        m.eval()
        m.zero_grad()
    for _ in range(2):
        _step_both(eager_model, compiled_model, step, X, y)
    _same(compiled_model[1].running_mean, before)
    assert [len(programs) for programs in step.programs.values()] == [2]


def test_fit_with_compile_trains_to_the_same_weights_as_eager():
    X, y = _data(60)
    models = [_mlp(dropout=0.2), _mlp(dropout=0.2)]
    for model, compiled in zip(models, (False, True)):
        nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), 0.1), epochs=5,
               batch_size=16, seed=0, verbose=False, compile=compiled)
    for a, b in zip(*[m.parameters() for m in models]):
        _same(a.data, b.data)
    model = _mlp()
    with pytest.raises(ValueError, match="not both"):
        nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), 0.1),
               compile=True, train_step=lambda *a: (0.0, None))


def test_the_source_runs_and_gives_the_same_values_and_gradients():
    X, y = _data()
    model = _mlp(batchnorm=True)
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))
    step(X, y)
    loss = step(X, y)
    loss.backward()
    source = step.source()
    assert "def forward(X, y, layer0_weight, layer0_bias" in source
    assert "# back through line" in source and "= relu(" not in source
    namespace = dict(step.last.written.globals)
    exec(source, namespace)
    params = [p.data for p in model.parameters()]
    out, saved, _ = namespace["forward"](X, y, *params)
    grads = namespace["backward"](1.0, *saved)
    _same(out, loss.data)
    assert len(grads) == len(params)
    for source, g in zip(step.last.grad_sources, grads):
        _same(g, step.last.leaves[source.key].grad)


def test_a_scalar_graph_compiles_to_straight_line_float_code():
    ws = [Value(0.5, name="w0"), Value(-1.5, name="w1")]
    b = Value(0.25, name="b")

    def neuron(x0, x1):
        return (ws[0] * x0 + ws[1] * x1 + b).tanh()

    f = ag.compile(neuron)
    f(Value(1.0), Value(2.0))
    x0, x1 = Value(1.5), Value(-0.5)
    out = f(x0, x1)
    out.backward()
    eager_ws, eager_b = [Value(w.data) for w in ws], Value(b.data)
    ex0, ex1 = Value(1.5), Value(-0.5)
    expected = (eager_ws[0] * ex0 + eager_ws[1] * ex1 + eager_b).tanh()
    expected.backward()
    _same(out.data, expected.data)
    for a, e in zip(ws + [b, x0, x1], eager_ws + [eager_b, ex0, ex1]):
        _same(a.grad, e.grad)
    assert "w0 * x0" in f.source() and "normalize(w0 * x0)" not in f.source()


def test_python_float_errors_follow_ieee_rules_as_in_eager_mode():
    w = Value(1.0)
    f = ag.compile(lambda x: w / x)
    f(Value(2.0))
    assert f(Value(0.0)).data == float("inf")


def test_the_result_is_an_ordinary_node():
    X, y = _data()
    model = _mlp()
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))
    step(X, y)
    w = model[0].weight
    total = step(X, y) + 0.1 * (w * w).sum()            # more eager ops on the result
    total.backward()
    eager = _mlp()
    (nn.losses.cross_entropy(eager(X), y) + 0.1 * (eager[0].weight ** 2).sum()).backward()
    np.testing.assert_allclose(w.grad, eager[0].weight.grad, rtol=1e-12)
    with pytest.raises(RuntimeError, match="first-order"):
        step(X, y).backward(create_graph=True)
    loss = step(X, y)
    with ag.no_grad():
        w.data = w.data * 2.0
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_extra_results_come_back_without_gradients():
    X, y = _data()
    model = _mlp()

    def loss_and_logits(X, y):
        logits = model(X)
        return nn.losses.cross_entropy(logits, y), logits
    f = ag.compile(loss_and_logits)
    f(X, y)
    loss, logits = f(X, y)
    assert loss.requires_grad and not logits.requires_grad
    _same(logits.data, model(X).data)


def test_recording_in_one_thread_does_not_disturb_another():
    X, y = _data()
    errors = []

    def eager_training():
        model = _mlp(seed=5)
        try:
            for _ in range(200):
                loss = nn.losses.cross_entropy(model(X), y)
                loss.backward()
                assert loss.data > 0 and float(loss) > 0
        except Exception as exc:        # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=eager_training)
    thread.start()
    for seed in range(20):
        model = _mlp(seed=seed)
        ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))(X, y)
    thread.join()
    assert errors == []


def test_arguments_must_be_arrays_values_or_hashable():
    f = ag.compile(lambda x, opts: x)
    with pytest.raises(TypeError, match="neither an array"):
        f(np.ones(2), {1, 2})
    with pytest.raises(TypeError, match="must return a Value"):
        ag.compile(lambda x: 3.0)(np.ones(2))
    with pytest.raises(ValueError, match="cache_size"):
        ag.compile(lambda x: x, cache_size=0)


def test_under_detect_anomaly_the_function_runs_eagerly():
    W = Value(np.array([1.0, 2.0]))
    f = ag.compile(lambda x: (x * W).sum())
    with ag.detect_anomaly():
        out = f(np.ones(2))
    assert out.op == "sum" and not f.programs


def test_a_parameter_assigned_anew_is_read_by_a_new_recording():
    X, y = _data()
    model = _mlp()
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))
    step(X, y)
    step(X, y)
    model[0].weight = nn.Parameter(model[0].weight.data * 0.0)
    loss = step(X, y)
    _same(loss.data, nn.losses.cross_entropy(model(X), y).data)
    assert [len(programs) for programs in step.programs.values()] == [2]


@pytest.mark.parametrize("derived", [
    lambda x, mask: float(mask.sum()),                      # a count of the data
    lambda x, mask: float(np.abs(x).max()),                 # its maximum
    lambda x, mask: float(np.bincount(mask.astype(int)).max()),
])
def test_numbers_shuffling_would_keep_are_caught_too(derived):
    W = Value(np.ones((3, 2)))
    f = ag.compile(lambda x, mask: (x @ W).sum() / derived(x, mask))
    with pytest.raises(ValueError, match="computed from the arguments"):
        f(np.arange(12.0).reshape(4, 3), np.array([1.0, 1.0, 0.0, 0.0]))


def test_what_a_program_read_of_its_modules_is_checked_on_every_call():
    X, y = _data()
    model = _mlp(dropout=0.5)
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))
    step(X, y)
    step(X, y)
    model[0].requires_grad_(False)          # frozen: no gradient, as eagerly
    model.zero_grad()
    step(X, y).backward()
    assert model[0].weight.grad is None and model[-1].weight.grad is not None
    model[0].requires_grad_(True)           # unfrozen: trains again
    step(X, y).backward()
    assert model[0].weight.grad is not None
    model[2].p = 0.0                        # a setting read as a constant: records again
    model[-1] = nn.Linear(8, 3, seed=9)     # a sub-module replaced: records again
    model.eval()
    loss = step(X, y)
    _same(loss.data, nn.losses.cross_entropy(model(X), y).data)


def test_hooks_are_refused_and_aliased_or_nested_calls_work():
    X, y = _data()
    model = _mlp()
    handle = model[0].register_forward_hook(lambda m, args, out: None)
    with pytest.raises(ValueError, match="forward hooks"):
        ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))(X, y)
    handle.remove()
    twice = ag.compile(lambda a, b: ((model(a) - model(b)) ** 2).sum() + (model(a) ** 2).sum())
    twice(X, X)
    _same(twice(X, X).data, (model(X) ** 2).sum().data)
    inner = ag.compile(lambda X: (model(X) ** 2).sum())
    outer = ag.compile(lambda X: inner(X) * 2.0)
    inner(X)
    outer(X)
    _same(outer(X).data, (model(X) ** 2).sum().data * 2.0)


@pytest.mark.parametrize("layer", ["LSTM", "GRU"])
def test_a_recurrent_layer_compiles_with_its_input_as_an_argument(layer):
    rnn = getattr(nn, layer)(3, 4, batch_first=True, seed=0)
    x = np.random.default_rng(0).normal(size=(2, 5, 3))
    step = ag.compile(lambda x: (rnn(x)[0] ** 2).sum())
    step(x)
    loss = step(x * 0.5)
    loss.backward()
    grads = [p.grad.copy() for p in rnn.parameters()]
    rnn.zero_grad()
    eager = (rnn(x * 0.5)[0] ** 2).sum()
    eager.backward()
    _same(loss.data, eager.data)
    for g, p in zip(grads, rnn.parameters()):
        _same(g, p.grad)


def test_index_arrays_masks_and_zero_d_arrays_are_read_from_each_call():
    emb, head = nn.Embedding(10, 4, seed=0), nn.Linear(4, 2, seed=1)
    mha = nn.MultiheadAttention(4, 2, batch_first=True, seed=2)

    def loss(idx, pad, scale):
        x = emb(idx)
        return (head(mha(x, x, x, key_padding_mask=pad)[0]) ** 2).sum() * scale
    f = ag.compile(loss)
    rng = np.random.default_rng(0)
    for k in range(3):
        idx = rng.integers(0, 10, (2, 5))
        pad = np.zeros((2, 5), bool)
        pad[k % 2, 4 - k:] = True
        scale = np.array(1.0 + k)
        for m in (emb, head, mha):
            m.zero_grad()
        compiled = f(idx, pad, scale)
        compiled.backward()
        grads = [p.grad.copy() for p in emb.parameters() + mha.parameters()]
        for m in (emb, head, mha):
            m.zero_grad()
        eager = loss(idx, pad, scale)
        eager.backward()
        _same(compiled.data, eager.data)
        for g, p in zip(grads, emb.parameters() + mha.parameters()):
            _same(g, p.grad)


def test_grad_of_a_compiled_function_given_a_value_names_the_fix():
    w = Value(np.array([1.0, 2.0, 3.0]))
    f = ag.compile(lambda x: (w * x).sum())
    f(Value(np.ones(3)))
    with pytest.raises(RuntimeError, match=r"first-order.*autograd\.grad.*raw numbers"):
        ag.grad(f)(Value(np.ones(3)))
    np.testing.assert_array_equal(ag.grad(f)(np.ones(3)), w.data)


def test_a_parameter_given_data_of_another_shape_or_dtype_records_again():
    w = Value(np.ones(3))
    f = ag.compile(lambda x: (w * x + 1.0).sum())
    f(np.ones(3)).backward()
    w.data = np.full((2, 3), 2.0, dtype=np.float32)
    w.grad = None
    out = f(np.ones(3))
    out.backward()
    assert len(f.programs[next(iter(f.programs))]) == 2      # one program per data kind
    assert w.grad.shape == (2, 3) and w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, np.ones((2, 3), dtype=np.float32))


def test_byte_order_and_number_types_are_part_of_what_a_program_assumes():
    w = Value(np.arange(3.0))
    f = ag.compile(lambda x: (w * x).sum())
    x = np.array([1.0, 2.0, 3.0])
    assert f(x).data == 8.0
    key = next(iter(f.programs))
    swapped = x.astype(">f8")                       # equal numbers, another dtype
    assert f(swapped).data == 8.0 and len(f.programs) == 2
    w.data = np.arange(3.0).astype(">f8")           # a parameter's dtype changes
    assert f(x).data == 8.0 and len(f.programs[key]) == 2
    w.data = 2.0                                    # a Python float where an array was
    assert f(x).data == 12.0 and len(f.programs[key]) == 3


def test_two_parameters_never_get_one_gradient_array():
    """The program gives both inputs of `p + q` the same gradient array; each leaf must get
    its own, or changing one `.grad` in place would change the other."""
    p, q = Value(np.ones(3)), Value(np.ones(3))
    step = ag.compile(lambda: ((p + q) * 2.0).sum())
    for _ in range(2):                  # the first call records, the second runs the program
        p.zero_grad(), q.zero_grad()
        step().backward()
    assert not np.shares_memory(p.grad, q.grad)
    p.grad *= 0.0
    np.testing.assert_array_equal(q.grad, [2.0, 2.0, 2.0])
