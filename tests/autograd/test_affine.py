"""`affine` (a neuron's weighted sum as one node) and ops with a joint VJP.

The finite-difference, second-order, float32 and PyTorch checks of `affine` over random
shapes live in the shared case table (`ag_cases.py`); here: equality with micrograd's chain,
errors, and the joint-VJP machinery of the op core."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Op, Value, check_ops, gradcheck

finite = st.floats(-10, 10, allow_nan=False)


@given(st.lists(st.tuples(finite, finite), max_size=8), finite)
def test_equals_micrograds_chain_to_the_last_bit(pairs, b):
    ws, xs = [Value(w) for w, _ in pairs], [Value(x) for _, x in pairs]
    bias = Value(b)
    chain = sum((w * x for w, x in zip(ws, xs)), bias)
    chain.backward()
    expected = [v.grad for v in ws + xs + [bias]]
    for v in ws + xs + [bias]:
        v.zero_grad()
    fused = ag.affine(ws, xs, bias)
    fused.backward()
    assert fused.data == chain.data
    assert [v.grad for v in ws + xs + [bias]] == expected
    assert fused.op == "affine" and len(fused.parents) == 2 * len(pairs) + 1


def test_constants_and_reused_values():
    w = Value(3.0)
    y = ag.affine([w, w], [w, 2.0], bias=1.0)     # 1 + w*w + 2w
    y.backward()
    assert y.data == 16.0 and w.grad == 2 * 3.0 + 2.0


def test_sum_of_squares_and_weighted_mean():
    ps = [Value(v) for v in (1.0, -2.0, 0.5)]
    sq = ag.affine(ps, ps)
    sq.backward()
    assert sq.data == 5.25 and [p.grad for p in ps] == [2.0, -4.0, 1.0]


def test_arrays_keep_float32():
    w = [Value(np.ones(3, dtype=np.float32)), Value(np.full(3, 2.0, dtype=np.float32))]
    y = ag.affine(w, [np.float32(2.0), np.arange(3, dtype=np.float32)])
    y.sum().backward()
    assert y.dtype == np.float32 and w[1].grad.dtype == np.float32
    np.testing.assert_array_equal(w[1].grad, [0.0, 1.0, 2.0])


def test_bad_inputs_name_the_op_and_what_was_wrong():
    with pytest.raises(ValueError, match="^affine: 2 weights but 1 inputs"):
        ag.affine([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(TypeError, match="^affine: .*sequences.*inputs @ weights"):
        ag.affine(Value(np.ones(2)), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^affine: .*\(2,\).*\(3,\).*cannot be broadcast"):
        ag.affine([Value(np.ones(2))], [np.ones(3)])


def test_an_op_takes_exactly_one_form_of_vjp():
    with pytest.raises(TypeError, match="'f'.*neither"):
        Op("f", lambda x: x)
    with pytest.raises(TypeError, match="'f'.*both"):
        Op("f", lambda x: x, lambda g, ans, x: g, joint_vjp=lambda g, ans, x: [g])


def _weighted(joint_vjp):
    return Op("weighted", lambda x, y, z: x * y + 2.0 * z, joint_vjp=joint_vjp)


def test_user_op_with_joint_vjp_passes_gradcheck_and_second_order():
    op = _weighted(lambda g, ans, x, y, z: [g * y, g * x, 2.0 * g])
    assert gradcheck(lambda a, b, c: op(a, b, c).sum(), np.array([1.0, -2.0]),
                     np.array([0.5, 3.0]), np.array([2.0, 1.0]))
    x, y = Value(2.0), Value(5.0)
    assert ag.grad(lambda a: op(a, y, 1.0))(x) == 5.0
    assert ag.grad(ag.grad(lambda a: op(a, a, 1.0)))(x) == 2.0     # d2(x^2)/dx2


def test_check_ops_names_the_input_a_wrong_joint_vjp_gets_wrong():
    op = _weighted(lambda g, ans, x, y, z: [g * y, g * x, g])   # dz should be 2g
    root = op(Value(1.0), Value(2.0), Value(3.0))
    finding, = check_ops(root)
    assert finding.op == "weighted" and finding.input == 2


def test_a_joint_vjp_on_floats_follows_ieee_rules():
    op = Op("ratio", lambda x, y: x / y if y else math.copysign(math.inf, x),
            joint_vjp=lambda g, ans, x, y: [g / y, -g * x / (y * y)])
    x, y = Value(1.0), Value(0.0)
    with np.errstate(divide="ignore"):
        op(x, y).backward()
    assert x.grad == math.inf and y.grad == -math.inf


def test_no_weights_gives_a_copy_of_the_bias():
    b = Value(np.zeros(2))
    y = ag.affine([], [], b)
    y.sum().backward()
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    b.data[...] += 1.0                                  # in place: y is a copy, unchanged
    np.testing.assert_array_equal(y.data, [0.0, 0.0])
