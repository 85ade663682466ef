"""LayerNorm's standardization in compiled programs (`nn.normalization_source`): written out as
numpy source, its VJP reading the forward's 1 / sqrt(var + eps), and on shapes and dtypes
hypothesis draws the compiled values and gradients are eager mode's bit for bit."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import Value
from nn.normalization import LayerNorm


def _same(a, b, what):
    assert type(a) is type(b), what
    assert np.asarray(a).dtype == np.asarray(b).dtype, what
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=what)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]),
       normalized=st.integers(1, 2), scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_layer_norm_compiles_to_source_bit_for_bit(data, seed, dtype, normalized, scale):
    rng = np.random.default_rng(seed)
    lead = tuple(data.draw(st.lists(st.integers(1, 4), min_size=0, max_size=2), label="lead"))
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=normalized,
                                     max_size=normalized), label="normalized_shape"))
    norm = LayerNorm(shape, eps=1e-5, dtype=dtype)
    for p in norm.parameters():
        p.data = (p.data + rng.standard_normal(shape)).astype(dtype)
    x = (rng.standard_normal(lead + shape) * scale + scale).astype(dtype)
    w = rng.standard_normal(lead + shape).astype(dtype)

    def loss(v):
        return (norm(v) * w).sum()
    step = ag.compile(loss)
    step(Value(x))
    compiled_x, eager_x = Value(x), Value(x)
    compiled = step(compiled_x)
    compiled.backward()
    compiled_grads = [p.grad for p in norm.parameters()]
    norm.zero_grad()
    eager = loss(eager_x)
    eager.backward()
    source = step.source()
    assert "op_standardize" not in source and "vjp_standardize" not in source, source
    assert "inverse_std" in source[source.index("def backward"):]   # read from the forward
    _same(compiled.data, eager.data, "the loss")
    _same(compiled_x.grad, eager_x.grad, "the input's gradient")
    for c, p in zip(compiled_grads, norm.parameters()):
        _same(c, p.grad, "a parameter's gradient")
