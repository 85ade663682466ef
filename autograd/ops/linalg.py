"""Matrix product with numpy's `@` semantics (1-D operands, batch broadcasting), and `affine`,
a whole neuron's weighted sum as one node."""
from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from autograd.op import Op, apply, binary_method, shape_of
from autograd.value import Value
from autograd.ops.shape import expand_dims, reshape, swap_last


def _drop_last(x: Any) -> Any:
    return reshape(x, shape_of(x)[:-1])


def _vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x @ y)/dx applied to g: g @ y^T, with 1-D operands promoted and demoted again."""
    if y.ndim == 1:                     # (x and y are arrays or Values: never 0-d)
        return g * y if x.ndim == 1 else expand_dims(g, -1) * y
    if x.ndim == 1:
        return _drop_last(y @ expand_dims(g, -1))
    return g @ swap_last(y)


def _vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x @ y)/dy applied to g: x^T @ g, with 1-D operands promoted and demoted again."""
    if x.ndim == 1:
        return g * x if y.ndim == 1 else expand_dims(x, -1) * expand_dims(g, -2)
    if y.ndim == 1:
        return _drop_last(swap_last(x) @ expand_dims(g, -1))
    return swap_last(x) @ g


def _matmul_error(a: tuple, b: tuple) -> str:
    if not a or not b:
        return (f"matmul: shapes {a} and {b}: 0-d operands are not allowed, use * to scale")
    inner_a, inner_b = a[-1], b[-2] if len(b) > 1 else b[0]
    if inner_a != inner_b:
        return f"matmul: shapes {a} and {b} are not aligned ({inner_a} != {inner_b})"
    return f"matmul: batch dimensions of shapes {a} and {b} cannot be broadcast together"


matmul = Op("matmul", np.matmul, _vjp_x, _vjp_y, describe_error=_matmul_error)


def _affine(bias: Any, *pairs: Any) -> Any:
    if not pairs:                       # a copy: the output must not share the bias's array
        return bias.copy() if type(bias) is np.ndarray else bias
    n = len(pairs) // 2                 # summed left to right from the bias, as micrograd does
    return sum(map(operator.mul, pairs[:n], pairs[n:]), bias)


def _affine_vjp(g: Any, ans: Any, bias: Any, *pairs: Any) -> list:
    n = len(pairs) // 2                 # d/dbias = 1, d/dw_i = x_i, d/dx_i = w_i
    return [g] + [g * x for x in pairs[n:]] + [g * w for w in pairs[:n]]


_affine_op = Op("affine", _affine, joint_vjp=_affine_vjp,
                describe_error=lambda *shapes: (
                    f"affine: bias, weights and inputs of shapes "
                    f"{', '.join(map(str, shapes))} cannot be broadcast together"))


def affine(weights: Sequence[Any], inputs: Sequence[Any], bias: Any = 0.0) -> Any:
    """`bias + weights[0] * inputs[0] + weights[1] * inputs[1] + ...` as one node.

    The same number as the chain of `*` and `+` micrograd builds for a neuron (summed in the
    same order), but one node instead of 2n: a network of scalar Values trains several times
    faster, and its drawing shows one `affine` op per neuron. Entries may be scalars or
    arrays (broadcast elementwise); with no weights the result is (a copy of) the bias.

    >>> w = [Value(2.0), Value(-1.0)]
    >>> y = affine(w, [3.0, 4.0], bias=0.5); y.backward(); y.data, w[0].grad, w[1].grad
    (2.5, 3.0, 4.0)
    """
    if isinstance(weights, Value) or isinstance(inputs, Value):
        raise TypeError("affine: weights and inputs must be sequences (lists or tuples) of "
                        "numbers or Values; for one array of weights use inputs @ weights")
    if len(weights) != len(inputs):
        raise ValueError(f"affine: {len(weights)} weights but {len(inputs)} inputs; they "
                         "must pair up")
    return apply(_affine_op, (bias, *weights, *inputs), None)


# ----- Value's operators for this family (see autograd/value.py) ---------------------------
Value.__matmul__ = binary_method(matmul, "self @ other")
Value.__rmatmul__ = binary_method(matmul, "other @ self", reflected=True)
