"""Work a compiled program's writer saves where eager mode's bits allow it: a sum's gradient
(one number throughout) read as that number by VJPs that broadcast it anyway, a product of an
input with itself computed once and added to itself, no np.asarray around a reduction that
already gives an array, reshapes and transposes as the array's methods. Each case checks the shorter source and eager mode's bits, type and
dtype (hypothesis over shapes, 0-d and broadcasting included, float32 and float64), and that
where the rewrite would change a dtype the program keeps the array."""
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ag_compile import compiled_and_eager, same_bits
from autograd import Value

DTYPES = st.sampled_from([np.float32, np.float64])


def _compare(fn, operands):
    """Compile `fn`, run it twice (the second call runs the program) and eagerly, with
    backward(0.75 throughout); assert equal values and gradients (bits, types and dtypes).
    Returns the backward's statements that compute (not its `del`s), an operator written
    into a dying operand (`np.add(a, b, out=a)`, test_compile_in_place) shown as `a + b`."""
    def backward(out):
        out.backward(0.75 if type(out.data) is float else np.full(out.shape, 0.75, out.dtype))
    compiled, eager, compiled_vals, eager_vals, source = compiled_and_eager(fn, operands,
                                                                            backward)
    same_bits(compiled.data, eager.data, f"value\n{source}")
    for c, e in zip(compiled_vals, eager_vals):
        if isinstance(c, Value) and c.requires_grad:
            same_bits(c.grad, e.grad, f"gradient\n{source}")
    backward_lines = source[source.index("def backward"):].splitlines()[1:]
    return [_INTO.sub(lambda m: f"{m[2]} {_OPERATORS[m[1]]} {m[3]}", line.strip())
            for line in backward_lines
            if line.strip() and not line.strip().startswith(("#", "return", "(", "del "))]


_OPERATORS = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/"}
_INTO = re.compile(r"np\.(add|subtract|multiply|true_divide)\((\w+), (.+), out=\w+\)$")


def _shape(draw, ndim_min=0):
    return tuple(draw(st.lists(st.integers(1, 4), min_size=ndim_min, max_size=3)))


def _array(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=DTYPES)
def test_a_sum_of_squares_multiplies_once_by_the_number(data, seed, dtype):
    shape = _shape(data.draw)
    x = Value(_array(np.random.default_rng(seed), shape, dtype))
    statements = _compare(lambda v: (v * v).sum(), [x])
    if x.ndim:                          # np.full and a second product were written before
        assert statements == ["g_v = g * v", "g_v = g_v + g_v"]


@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtypes=st.tuples(DTYPES, DTYPES),
       constant=st.booleans())
def test_a_sum_of_a_broadcast_product_reads_the_number_only_where_bits_and_dtype_stay(
        data, seed, dtypes, constant):
    rng = np.random.default_rng(seed)
    shape = _shape(data.draw, 1)
    other = shape[data.draw(st.integers(0, len(shape))):]
    other = tuple(1 if data.draw(st.booleans()) else n for n in other)
    x = Value(_array(rng, shape, dtypes[0]))
    y = _array(rng, other, dtypes[1])
    y = y if constant else Value(y)
    statements = _compare(lambda a, b: (a * b).sum(), [x, y])
    filled = any("np.full(" in s for s in statements)
    # The number stands in for the array where every share's other operand has the product's
    # shape and its dtype promotes with the number as with the array: x's share reads y, y's
    # reads x. A Python float (a float64 product) would take a float32 operand's dtype.
    operands = [y] if constant else [y, x]
    python_float = np.result_type(*dtypes) == np.float64
    kept = any(np.shape(o.data if isinstance(o, Value) else o) != shape
               or python_float and np.asarray(o.data if isinstance(o, Value) else o).dtype
               == np.float32 for o in operands)
    assert filled is kept, statements


def test_a_float32_operand_keeps_the_array_where_the_number_would_change_the_dtype():
    rng = np.random.default_rng(1)
    x = Value(_array(rng, (3, 2), np.float64))
    c = _array(rng, (3, 2), np.float32)
    statements = _compare(lambda v: (v * c).sum(), [x])
    assert statements == ["g_mul = np.full((3, 2), g)", "g_v = g_mul * const"]
    assert ((1.0 * c).dtype, (np.full((3, 2), 1.0) * c).dtype) == (np.float32, np.float64)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=DTYPES,
       name=st.sampled_from(["relu", "exp", "log", "sigmoid", "div", "pow", "tanh"]))
def test_elementwise_vjps_read_a_sums_number(data, seed, dtype, name):
    rng = np.random.default_rng(seed)
    x = Value(np.abs(_array(rng, _shape(data.draw, 1), dtype)) + dtype(0.5))
    w = Value(np.abs(_array(rng, x.shape, dtype)) + dtype(0.5))
    fn = {"relu": lambda v, u: (v - u).relu().sum(), "exp": lambda v, u: (v * u).exp().sum(),
          "log": lambda v, u: (v * u).log().sum(), "sigmoid": lambda v, u: (v * u).sigmoid().sum(),
          "div": lambda v, u: (v / u).sum(), "pow": lambda v, u: ((v * u) ** 1.5).sum(),
          "tanh": lambda v, u: (v * u).tanh().sum()}[name]
    statements = _compare(fn, [x, w])
    # tanh's VJP first computes 1 - ans * ans: it is not written to take the number
    assert any("np.full(" in s for s in statements) is (name == "tanh"), statements


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=DTYPES)
def test_a_number_given_another_share_becomes_an_array_first(data, seed, dtype):
    rng = np.random.default_rng(seed)
    x = Value(_array(rng, _shape(data.draw, 1), dtype))
    w = Value(_array(rng, x.shape, dtype))

    def fn(v, u):
        m = v * u
        e = m.exp()                     # an older user of m, whose share comes after the sum's
        return e.sum() + m.sum()
    statements = _compare(fn, [x, w])
    assert statements.index("g_mul = np.full(%r, g_sum_3)" % (x.shape,)) < statements.index(
        "g_mul = g_mul + (g_sum_2 * exp)")


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=DTYPES)
def test_a_product_with_itself_anywhere_computes_its_share_once(data, seed, dtype):
    rng = np.random.default_rng(seed)
    x = Value(_array(rng, _shape(data.draw), dtype))
    statements = _compare(lambda v: (v * v).tanh().sum() if v.ndim else (v * v).tanh(), [x])
    shares = [s for s in statements if s.startswith("g_v = ")]
    assert len(shares) == 2 and "g_mul * v" in shares[0], shares   # (0-d: fitted, accumulated)
    assert shares[1] in ("g_v = g_v + g_v", "g_v = accumulate(g_v, g_v)"), shares
    # an input with a share already: its two shares are added one after the other, as eagerly
    statements = _compare(lambda v: ((v * v) + v).sum() if v.ndim else (v * v) + v, [x])
    shares = [s for s in statements if s.startswith("g_v = ") and "g_mul * v" in s]
    assert len(shares) == 2 and all("(g_v, " in s or "g_v + " in s for s in shares), shares


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=DTYPES)
def test_a_broadcast_sum_is_an_array_without_asarray_and_a_full_one_keeps_it(data, seed, dtype):
    rng = np.random.default_rng(seed)
    rows, n = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    x = Value(_array(rng, (rows, n), dtype))
    b = Value(_array(rng, (n,), dtype))
    s = Value(np.asarray(_array(rng, (), dtype)))       # 0-d: float32 stays a 0-d array
    statements = _compare(lambda v, c, k: ((v + c) * k).tanh().sum(), [x, b, s])
    reductions = [t for t in statements if "np.add.reduce(" in t]
    assert any(t.startswith("g_c = np.add.reduce(") for t in reductions), reductions
    if dtype is np.float32:             # k is a 0-d array: the full reduction is wrapped
        assert any(t.startswith("g_k = np.asarray(np.add.reduce(") for t in reductions)


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtypes=st.tuples(DTYPES, DTYPES))
def test_a_share_cast_to_its_inputs_dtype_is_cast_after_the_product(data, seed, dtypes):
    rng = np.random.default_rng(seed)
    shape = _shape(data.draw, 1)
    a, b = (Value(_array(rng, shape, dtype)) for dtype in dtypes)
    statements = _compare(lambda x, y: x * y * 3.0, [a, b])
    casts = [s for s in statements if ".astype(" in s]
    assert len(casts) == (dtypes[0] != dtypes[1])
    assert all(").astype(" in s for s in casts), casts    # (g * y).astype, not g * y.astype


@settings(max_examples=25, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=DTYPES)
def test_reshapes_and_transposes_are_the_arrays_methods(data, seed, dtype):
    rng = np.random.default_rng(seed)
    shape = _shape(data.draw, 2)
    x = Value(_array(rng, shape, dtype))
    w = Value(_array(rng, shape[-1:] + (2,), dtype))
    perm = data.draw(st.one_of(st.none(), st.permutations(range(len(shape))).map(tuple)))

    def fn(v, u):
        return ((v @ u).reshape(-1).reshape(shape[:-1] + (2,)) * 2.0).transpose(perm) * 3.0
    statements = _compare(fn, [x, w])
    assert not any("np.reshape(" in s or "np.transpose(" in s for s in statements)
    assert sum(".reshape(" in s for s in statements) == 2
    assert any(s.endswith(".T" if perm is None else f".transpose({_inverse(perm)!r})")
               for s in statements), statements
    assert any(".mT" in s for s in statements) and ".swapaxes(" not in "".join(statements)


def _inverse(perm):
    return tuple(int(a) for a in np.argsort(perm))
