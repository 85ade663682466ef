"""The VJPs compiled programs write out as numpy source (`autograd.vjp_source`): they are the
ones a training step uses, and on shapes hypothesis draws (broadcasting, 0-d, Python floats)
in float32 and float64 they give eager mode's gradients bit for bit."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
import nn
from ag_compile import compiled_and_eager, same_bits
from autograd import Value


def test_an_mlp_step_is_written_without_generic_vjp_calls():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(5, 4, seed=1), nn.Activation("relu"),
                          nn.Linear(4, 3, seed=2))
    X = rng.standard_normal((6, 5))
    y = rng.integers(0, 3, 6)
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))
    step(X, y)
    source = step.source()
    backward = source[source.index("def backward"):]
    for generic in ("vjp_matmul", "vjp_add", "vjp_relu", "vjp_cross_entropy", "fit_data("):
        assert generic not in backward, generic
    for op in ("op_matmul", "op_relu", "op_cross_entropy"):
        assert op not in source, op                         # forwards written out too
    assert "np.add.reduce(" in backward                     # the bias's broadcast, summed
    assert ".mT @ " in backward                             # matmul's transposed views
    assert "relu != 0" in backward                          # relu's mask
    loss = step(X, y)
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    nn.losses.cross_entropy(model(X), y).backward()
    for g, p in zip(grads, model.parameters()):
        same_bits(g, p.grad, "an MLP's gradient")


# ----- every template against eager mode ------------------------------------------------------
def _shape(draw, ndim_min=0):
    return tuple(draw(st.lists(st.integers(1, 4), min_size=ndim_min, max_size=3)))


def _broadcasting(draw, shape):
    """A shape that broadcasts against `shape`: leading axes dropped, some axes made 1."""
    kept = shape[draw(st.integers(0, len(shape))):]
    return tuple(1 if draw(st.booleans()) else n for n in kept)


def _operand(draw, shape, rng, positive, dtype):
    """A Value of `shape` (a Python float for shape None), or a constant."""
    if shape is None:
        x = float(rng.uniform(0.5, 2.0) if positive else rng.standard_normal())
        return Value(x) if draw(st.booleans()) else x
    data = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    if draw(st.integers(0, 4)) == 0:
        return data.astype(dtype)                           # a constant array
    return Value(data.astype(dtype))


BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
UNARY = {"neg": (lambda x: -x, False), "exp": (lambda x: x.exp(), False),
         "log": (lambda x: x.log(), True), "sqrt": (lambda x: x.sqrt(), True),
         "tanh": (lambda x: x.tanh(), False), "sigmoid": (lambda x: x.sigmoid(), False),
         "relu": (lambda x: x.relu(), False)}


def _check(fn, operands, word, dtype):
    """Compile `fn` on `operands`, run it twice (the second call runs the program), and compare
    its value and the gradients with eager mode's; the op's VJP must be written out."""
    def backward(out):
        total = out.sum() if out.shape else out
        seed = 1.0 if type(total.data) is float else np.ones_like(total.data)
        total.backward(seed * 0.75)
    compiled, eager, compiled_vals, eager_vals, source = compiled_and_eager(fn, operands,
                                                                            backward)
    assert f"vjp_{word}" not in source, source
    same_bits(compiled.data, eager.data, f"{word}: value ({dtype.__name__})")
    for c, e in zip(compiled_vals, eager_vals):
        if isinstance(c, Value):
            same_bits(c.grad, e.grad, f"{word}: gradient ({dtype.__name__})\n{source}")


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_binary_operators_broadcast_bit_for_bit(name, data, seed, dtype):
    rng = np.random.default_rng(seed)
    draw = data.draw
    if draw(st.booleans()):
        shapes = [None, None]                               # a scalar graph (Python floats)
    else:
        shape = _shape(draw)
        shapes = [shape, _broadcasting(draw, shape)]
        if draw(st.booleans()):
            shapes.reverse()
    x, y = (_operand(draw, s, rng, name == "/" and i == 1, dtype) for i, s in enumerate(shapes))
    if not any(isinstance(o, Value) for o in (x, y)):
        x = Value(x) if type(x) is float else Value(np.asarray(x))
    op = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b}[name]
    _check(op, [x, y], BINARY[name], dtype)


@pytest.mark.parametrize("name", list(UNARY))
@settings(max_examples=15, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_elementwise_functions_bit_for_bit(name, data, seed, dtype):
    fn, positive = UNARY[name]
    rng = np.random.default_rng(seed)
    shape = None if data.draw(st.booleans()) else _shape(data.draw)
    x = _operand(data.draw, shape, rng, positive, dtype)
    x = x if isinstance(x, Value) else Value(x)
    _check(lambda v: fn(v * 1.5), [x], name, dtype)


@settings(max_examples=20, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]),
       exponent=st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.5]))
def test_power_by_a_constant_bit_for_bit(data, seed, exponent, dtype):
    rng = np.random.default_rng(seed)
    shape = None if data.draw(st.booleans()) else _shape(data.draw, 1)
    x = _operand(data.draw, shape, rng, True, dtype)
    x = x if isinstance(x, Value) else Value(x)
    _check(lambda v: v ** exponent, [x], "pow", dtype)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_matrix_products_bit_for_bit(data, seed, dtype):
    rng = np.random.default_rng(seed)
    n, k, m = (data.draw(st.integers(1, 5)) for _ in range(3))
    batch = _shape(data.draw)[:2]
    a_batch = batch[data.draw(st.integers(0, len(batch))):]     # batch axes broadcast
    a = Value(rng.standard_normal(a_batch + (n, k)).astype(dtype))
    b = Value(rng.standard_normal(batch + (k, m)).astype(dtype))
    if data.draw(st.booleans()):
        a, b = Value(a.data.swapaxes(-1, -2).copy()), Value(b.data.swapaxes(-1, -2).copy())
        _check(lambda x, y: x.swapaxes(-1, -2) @ y.swapaxes(-1, -2), [a, b], "matmul", dtype)
    else:
        _check(lambda x, y: x @ y, [a, b], "matmul", dtype)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]),
       keepdims=st.booleans(), mean=st.booleans())
def test_sums_and_means_bit_for_bit(data, seed, dtype, keepdims, mean):
    rng = np.random.default_rng(seed)
    shape = _shape(data.draw, 1)
    axes = data.draw(st.sampled_from([None] + list(range(len(shape)))
                                     + [tuple(range(len(shape)))]))
    x = Value(rng.standard_normal(shape).astype(dtype))
    reduce = ag.mean if mean else ag.sum
    _check(lambda v: reduce(v * v, axis=axes, keepdims=keepdims), [x], "sum", dtype)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_reshapes_and_transposes_bit_for_bit(data, seed, dtype):
    rng = np.random.default_rng(seed)
    shape = _shape(data.draw, 1)
    x = Value(rng.standard_normal(shape).astype(dtype))
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    _check(lambda v: (v * v).transpose(perm) * 2.0, [x], "transpose", dtype)
    _check(lambda v: (v * v).reshape(-1) * 2.0, [x], "reshape", dtype)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]),
       reduction=st.sampled_from(["mean", "sum", "none"]), labels_argument=st.booleans())
def test_cross_entropy_with_labels_bit_for_bit(data, seed, dtype, reduction, labels_argument):
    rng = np.random.default_rng(seed)
    n, classes = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 5))
    scale = data.draw(st.sampled_from([1.0, 30.0, 1e3]))     # large scores: the shift matters
    x = Value((rng.standard_normal((n, classes)) * scale).astype(dtype))
    labels = rng.integers(0, classes, n)                    # repeats included
    W = Value(rng.standard_normal((classes, classes)).astype(dtype))

    def loss(v, y=labels):
        return nn.losses.cross_entropy(v @ W, y, reduction=reduction)
    if labels_argument:                                     # the labels an argument
        _check(loss, [x, labels], "cross_entropy", dtype)
    else:                                                   # or a constant of the program
        _check(lambda v: loss(v), [x], "cross_entropy", dtype)


def test_cross_entropy_labels_are_read_from_each_call():
    rng = np.random.default_rng(1)
    W = Value(rng.standard_normal((3, 4)))
    step = ag.compile(lambda X, y: nn.losses.cross_entropy(X @ W, y))
    X = rng.standard_normal((5, 3))
    step(X, np.array([0, 1, 2, 3, 0]))
    assert "op_cross_entropy" not in step.source()
    for y in (np.array([3, 3, 1, 0, 2]), np.array([1, 0, 0, 0, 1])):
        W.zero_grad()
        compiled = step(X, y)
        compiled.backward()
        grad = W.grad
        W.zero_grad()
        eager = nn.losses.cross_entropy(X @ W, y)
        eager.backward()
        same_bits(compiled.data, eager.data, "the loss on new labels")
        same_bits(grad, W.grad, "the gradient on new labels")


@pytest.mark.parametrize("rows", [4, 600])               # 600 x 64 float64: 300 KiB, lent-sized
def test_a_sums_gradient_is_filled_when_small_and_a_broadcast_view_when_large(rows):
    rng = np.random.default_rng(3)
    x = Value(rng.standard_normal((rows, 64)))
    _check(lambda v: (v * v).sum(axis=1).sum(), [x], "sum", np.float64)
    step = ag.compile(lambda v: v.sum())           # the spread array is x's gradient itself
    step(x)
    small = x.data.nbytes < (1 << 17)
    code = "\n".join(line for line in step.source().splitlines()
                     if not line.strip().startswith("#"))
    assert ("np.full(" in code) is small
    assert ("np.broadcast_to(" in code) is not small
