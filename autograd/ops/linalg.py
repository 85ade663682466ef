"""Matrix product with numpy's `@` semantics, including 1-D operands and batch broadcasting."""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd.op import Op, shape_of
from autograd.ops.shape import expand_dims, reshape, swap_last


def _drop_last(x: Any) -> Any:
    return reshape(x, shape_of(x)[:-1])


def _vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x @ y)/dx applied to g: g @ y^T, with 1-D operands promoted and demoted again."""
    xs, ys = shape_of(x), shape_of(y)
    if len(ys) == 1:
        return g * y if len(xs) == 1 else expand_dims(g, -1) * y
    if len(xs) == 1:
        return _drop_last(y @ expand_dims(g, -1))
    return g @ swap_last(y)


def _vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    """d(x @ y)/dy applied to g: x^T @ g, with 1-D operands promoted and demoted again."""
    xs, ys = shape_of(x), shape_of(y)
    if len(xs) == 1:
        return g * x if len(ys) == 1 else expand_dims(x, -1) * expand_dims(g, -2)
    if len(ys) == 1:
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
