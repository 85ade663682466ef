"""Matrix product with numpy's `@` semantics (1-D operands, batch broadcasting), `einsum` and
`tensordot` (contractions named by labels), and `affine`, a whole neuron's weighted sum as one
node."""
from __future__ import annotations

import operator
import string
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from autograd.op import Op, apply, binary_method, data_of, shape_of
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


# ----- einsum and tensordot ---------------------------------------------------------------
LABELS = string.ascii_letters           # the 52 labels numpy's einsum accepts


def _spell_out(subscripts: Any, shapes: Sequence[tuple]) -> Tuple[List[str], str]:
    """numpy's einsum subscripts for operands of `shapes`, spelled out: the labels of each
    operand and of the output, with each ellipsis replaced by labels of its own (right-aligned,
    as numpy broadcasts them) and implicit mode's output made explicit (the ellipsis, then the
    labels used once, in alphabetical order). Raises naming what does not fit."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string such as 'ij,jk->ik', got "
                        f"{type(subscripts).__name__}")
    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand"
                         f"{'s' if len(terms) != 1 else ''} but {len(shapes)} "
                         f"{'was' if len(shapes) == 1 else 'were'} given")
    for term in terms + [out]:
        for c in term.replace("...", "", 1):
            if c not in LABELS:
                raise ValueError(f"einsum: {c!r} in subscripts {subscripts!r} is not a label; "
                                 "use letters (a-z, A-Z), one '...' per operand, ',' and '->'")
    widths = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term) - 3 * ("..." in term)
        widths.append(len(shape) - named)
        if widths[-1] < 0 or (widths[-1] and "..." not in term):
            raise ValueError(f"einsum: operand {i} has shape {shape}, but its subscripts "
                             f"{term!r} name {named} dimension{'s' if named != 1 else ''}"
                             f"{' and an ellipsis' if '...' in term else ''}")
    spare = [c for c in LABELS if c not in spec]
    wide = max(widths)
    if wide > len(spare):
        raise ValueError(f"einsum: {subscripts!r} with operands of shapes {list(shapes)} needs "
                         f"more than the {len(LABELS)} labels einsum has")
    ellipsis = "".join(spare[:wide])
    once = [c for t in terms for c in t.replace("...", "")]
    terms = [t.replace("...", ellipsis[wide - w:]) for t, w in zip(terms, widths)]
    if not arrow:
        out = ellipsis + "".join(sorted(c for c in set(once) if once.count(c) == 1))
    elif "..." in out:
        out = out.replace("...", ellipsis)
    elif wide:
        raise ValueError(f"einsum: in {subscripts!r} the operands have dimensions under '...' "
                         "but the output has no '...'; put '...' in the output")
    for c in out:
        if out.count(c) > 1 or c not in once + list(ellipsis):
            raise ValueError(f"einsum: output label {c!r} of {subscripts!r} "
                             f"{'repeats' if out.count(c) > 1 else 'names no input dimension'}"
                             "; each output label appears once and in some operand")
    used = len(set("".join(terms)))
    if any(used + len(t) - len(set(t)) > len(LABELS) for t in terms):
        raise ValueError(f"einsum: the gradient of {subscripts!r} (a diagonal taken among "
                         f"{used} labels) needs more than the {len(LABELS)} labels einsum has")
    _check_sizes(subscripts, terms, shapes, ellipsis)
    return terms, out


def _check_sizes(subscripts: str, terms: List[str], shapes: Sequence[tuple],
                 ellipsis: str) -> None:
    """Every label has one size (1 broadcasts, as in numpy); a label repeated within one
    operand (a diagonal) has exactly one."""
    sizes: Dict[str, int] = {}
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        own: Dict[str, int] = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise ValueError(f"einsum: label {c!r} repeats in operand {i} of shape {shape} "
                                 f"({subscripts!r}) over sizes {own[c]} and {n}; a repeated "
                                 "label takes a diagonal, which needs equal sizes")
        for c, n in own.items():
            known = sizes.setdefault(c, n)
            if known != n and 1 not in (known, n):
                what = "dimensions under '...' have" if c in ellipsis else f"label {c!r} has"
                raise ValueError(f"einsum: {what} sizes {known} and {n} in {subscripts!r} "
                                 f"with operands of shapes {list(shapes)}; sizes must be equal "
                                 "(or 1, which broadcasts)")
            sizes[c] = max(known, n)


def _operand_grad(k: int, g: Any, xs: Sequence[Any], subscripts: str) -> Any:
    """The gradient of einsum operand k: the einsum of g with the other operands whose output
    has operand k's labels. A label repeated in operand k (a diagonal) becomes a new label tied
    to the first by an identity matrix, and a label only operand k has at its full size (summed
    away, or broadcast by the others) comes back through a vector of ones."""
    lhs, out = subscripts.split("->")
    terms = lhs.split(",")
    shape, dtype = shape_of(xs[k]), np.result_type(data_of(xs[k]))
    given = [out] + terms[:k] + terms[k + 1:]
    operands = [g, *xs[:k], *xs[k + 1:]]
    spare = [c for c in LABELS if c not in subscripts]
    target = ""
    for c, n in zip(terms[k], shape):
        if c in target:                 # (einsum checked there are labels to spare)
            given.append(c + spare[0])
            operands.append(np.eye(n, dtype=dtype))
            c = spare.pop(0)
        target += c
    sizes: Dict[str, int] = {}
    for term, x in zip(given, operands):
        for c, n in zip(term, shape_of(x)):
            sizes[c] = max(sizes.get(c, 1), n)
    for c, n in zip(target, shape):
        if c not in sizes or sizes[c] < n:
            given.append(c)
            operands.append(np.ones(n, dtype=dtype))
    return einsum(",".join(given) + "->" + target, *operands)


def _einsum(*xs: Any, subscripts: str) -> Any:
    return np.einsum(subscripts, *xs)


# d/dx_k einsum(x_1, ..., x_n) applied to g: einsum(g and the other operands) onto x_k's labels.
_einsum1 = Op("einsum1", _einsum,
              lambda g, ans, x, subscripts: _operand_grad(0, g, (x,), subscripts))
_einsum2 = Op("einsum", _einsum,
              lambda g, ans, x, y, subscripts: _operand_grad(0, g, (x, y), subscripts),
              lambda g, ans, x, y, subscripts: _operand_grad(1, g, (x, y), subscripts))


def einsum(subscripts: str, *operands: Any) -> Any:
    """numpy's `einsum`: the sum of products of the operands' entries named by `subscripts`.

    Explicit (`'ij,jk->ik'`) and implicit (`'ij,jk'`: the labels used once, in alphabetical
    order) output, `...` for broadcast dimensions, repeated labels for diagonals and traces
    (`'ii->i'`, `'ii'`), and any number of operands. One operand or two make one node; more
    are contracted two at a time, in the order numpy's greedy `einsum_path` picks. The
    gradient of each operand is itself an einsum, so it can be differentiated again.

    >>> a = Value(np.arange(4.0).reshape(2, 2))
    >>> t = einsum('ii', a); t.backward(); t.data, a.grad.tolist()
    (3.0, [[1.0, 0.0], [0.0, 1.0]])
    """
    if not operands:
        raise ValueError("einsum: no operands given; call einsum(subscripts, *arrays)")
    shapes = [shape_of(x) for x in operands]
    terms, out = _spell_out(subscripts, shapes)
    if len(operands) <= 2:
        op = _einsum1 if len(operands) == 1 else _einsum2
        return op(*operands, subscripts=",".join(terms) + "->" + out)
    stand_ins = [np.broadcast_to(0.0, s) for s in shapes]     # einsum_path reads shapes only
    path = np.einsum_path(",".join(terms) + "->" + out, *stand_ins, optimize="greedy")[0]
    pending = list(zip(terms, operands))
    for step in path[1:]:
        picked = [pending[i] for i in step]
        pending = [p for i, p in enumerate(pending) if i not in step]
        while picked:                   # a step of three or more goes two at a time
            now, picked = picked[:2], picked[2:]
            later = out + "".join(t for t, _ in picked + pending)
            kept = "".join(dict.fromkeys(c for t, _ in now for c in t if c in later))
            spec = ",".join(t for t, _ in now) + "->" + (kept if picked or pending else out)
            op = _einsum1 if len(now) == 1 else _einsum2
            result = (kept, op(*(x for _, x in now), subscripts=spec))
            if picked:
                picked.insert(0, result)
            else:
                pending.append(result)
    return pending[0][1]


def _tensordot_axes(axes: Any, sa: tuple, sb: tuple) -> Tuple[List[int], List[int]]:
    """numpy's `axes` for tensordot as two lists of paired, non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(len(sa), len(sb)):
            raise ValueError(f"tensordot: axes={n} must be between 0 and "
                             f"{min(len(sa), len(sb))} for shapes {sa} and {sb}")
        return list(range(len(sa) - n, len(sa))), list(range(n))
    try:
        first, second = axes
    except (TypeError, ValueError):
        raise TypeError(f"tensordot: axes must be an int or a pair (axes of a, axes of b), "
                        f"got {axes!r}") from None
    pair = []
    for name, given, shape in (("a", first, sa), ("b", second, sb)):
        seq = [given] if isinstance(given, (int, np.integer)) else list(given)
        for ax in seq:
            if not isinstance(ax, (int, np.integer)):
                raise TypeError(f"tensordot: axis {ax!r} for {name} is not an integer; axes "
                                "are an int or a pair of sequences of ints")
            if not -len(shape) <= ax < len(shape):
                raise ValueError(f"tensordot: axis {ax} is out of range for {name} of shape "
                                 f"{shape}")
        seq = [int(ax) % len(shape) for ax in seq]
        if len(set(seq)) != len(seq):
            raise ValueError(f"tensordot: repeated axis in {given!r} for {name}")
        pair.append(seq)
    if len(pair[0]) != len(pair[1]):
        raise ValueError(f"tensordot: {len(pair[0])} axes of a but {len(pair[1])} of b; they "
                         "must pair up")
    return pair[0], pair[1]


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """numpy's `tensordot`: sum the products over the paired `axes` (an int N for the last N of
    a with the first N of b, or a pair of axis sequences). An einsum underneath.

    >>> tensordot(Value(np.ones((2, 3))), np.ones((3, 4)), axes=1).shape
    (2, 4)
    """
    sa, sb = shape_of(a), shape_of(b)
    ax_a, ax_b = _tensordot_axes(axes, sa, sb)
    for i, j in zip(ax_a, ax_b):
        if sa[i] != sb[j]:
            raise ValueError(f"tensordot: axis {i} of a and axis {j} of b have sizes {sa[i]} "
                             f"and {sb[j]} (shapes {sa} and {sb}); paired axes must match")
    if len(sa) + len(sb) - len(ax_a) > len(LABELS):
        raise ValueError(f"tensordot: shapes {sa} and {sb} have more than {len(LABELS)} "
                         "dimensions in all")
    la = LABELS[:len(sa)]
    fresh = iter(LABELS[len(sa):])
    lb = "".join(la[ax_a[ax_b.index(j)]] if j in ax_b else next(fresh) for j in range(len(sb)))
    out = ("".join(c for i, c in enumerate(la) if i not in ax_a)
           + "".join(c for j, c in enumerate(lb) if j not in ax_b))
    return einsum(f"{la},{lb}->{out}", a, b)


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
