"""VJPs written out as source, for `autograd.compile`'s programs: where an op's generic VJP
would end in a few numpy calls or Python operators on the recorded shapes and types, the
program states those calls directly instead of calling the VJP (no call, no `apply`, no
checks of ndim or type per step).

Each template gives the expression the generic VJP evaluates on raw data, operator for
operator and numpy call for numpy call, so gradients stay bit-identical to eager mode's
(tests/autograd/test_vjp_source.py draws shapes and dtypes to check it). A template returns
None where that cannot be promised (0-d results, which `apply` normalises; the special cases
of power), and the program calls the generic VJP there. `fit_source` does the same for
`engine.fit_data`, the summing back of a broadcast gradient.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

import numpy as np

from autograd.ops.elementwise import power
from autograd.ops.reductions import broadcast_axes


class Site(NamedTuple):
    """One VJP of a program being written: the names it reads and what the recording held."""
    g: str                      # the upstream gradient
    ans: str                    # the op's output
    args: Tuple[str, ...]       # the op's inputs, as source
    data: Tuple[Any, ...]       # the inputs' recorded data (types, shapes and dtypes)
    out: Any                    # the output's recorded data
    constant: Tuple[bool, ...]  # which inputs are constants of the program
    attrs: Dict[str, Any]       # the op's recorded non-differentiable arguments


Template = Callable[[int, Site], Optional[str]]


def vjp_source(op: Any, j: int, site: Site) -> Optional[str]:
    """Source for the VJP of input `j` of `op` at `site`, or None where only the op's own VJP
    will do."""
    template = TEMPLATES.get((getattr(op, "_module", None), op.name))
    return None if template is None else template(j, site)


def fit_source(share: str, got: Tuple[type, tuple, Any], shape: tuple, dtype: Any,
               dtype_name: str) -> Optional[str]:
    """Source for `engine.fit_data(share, shape, dtype)` when the share is an array of the
    `got` type, shape and dtype: the numpy calls `fit_data` (through `sum_to`) makes for
    them, or None when the fit takes another path (a reshape after the sum, a non-array)."""
    kind, gshape, gdtype = got
    if kind is not np.ndarray or shape is None or gdtype.kind != "f":
        return None
    if gshape != shape:
        lead = len(gshape) - len(shape)
        if lead < 0:
            return None
        axes = broadcast_axes(gshape, shape)
        if tuple(n for i, n in enumerate(gshape) if i not in axes) != shape:
            return None                 # sum_to would reshape: leave it to fit_data
        share = f"np.asarray(np.add.reduce({share}, {axes!r}))"
    return share if gdtype == dtype else f"{share}.astype({dtype_name})"


GLOBALS = {"op_pow_forward": power.forward}
"""What the templates' source refers to besides numpy (as `np`)."""


# ----- the templates -------------------------------------------------------------------------
_ATOM = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9][0-9.e+-]*")


def operand(text: str) -> str:
    """`text` parenthesised unless it is a name or a non-negative number (so it binds as one
    operand)."""
    return text if _ATOM.fullmatch(text) else f"({text})"


def _nd(x: Any) -> bool:
    return type(x) is np.ndarray and x.ndim > 0


def _operators(*forms: str) -> Template:
    """An op whose VJPs are Python operators only (they run as written on floats and arrays
    alike): form j for input j, over the names g, ans, x, y."""
    def template(j: int, site: Site) -> Optional[str]:
        names = dict(g=operand(site.g), ans=operand(site.ans), x=operand(site.args[0]),
                     y=operand(site.args[-1]))
        return forms[j].format(**names)
    return template


def _power(j: int, site: Site) -> Optional[str]:
    """x ** c for a constant Python float c != 0: g * c * x ** (c - 1), the exponent's
    gradient and the zero or NaN special cases left to the generic VJP."""
    x, c = site.data
    if j != 0 or not site.constant[1] or type(c) is not float or c == 0.0 or c != c:
        return None
    if type(x) is float and type(site.out) is float:
        return f"{operand(site.g)} * {c!r} * op_pow_forward({site.args[0]}, {c - 1.0!r})"
    if _nd(x) and _nd(site.out):
        return f"{operand(site.g)} * {c!r} * np.power({site.args[0]}, {c - 1.0!r})"
    return None


def _matmul(j: int, site: Site) -> Optional[str]:
    """Matrices (or stacks of them): g @ y^T, x^T @ g, through the same transposed views."""
    x, y = site.data
    if not (type(x) is np.ndarray and type(y) is np.ndarray and x.ndim >= 2 and y.ndim >= 2):
        return None
    if j == 0:
        return f"{operand(site.g)} @ {operand(site.args[1])}.swapaxes(-1, -2)"
    return f"{operand(site.args[0])}.swapaxes(-1, -2) @ {operand(site.g)}"


def _sum(j: int, site: Site) -> Optional[str]:
    """g spread back over the summed axes: broadcast_to(reshape(g, kept), x's shape)."""
    x, axis, keepdims = site.data[0], site.attrs["axis"], site.attrs["keepdims"]
    if not _nd(x):
        return None
    g = site.g
    if not keepdims and axis is not None:
        kept = tuple(1 if i in axis else n for i, n in enumerate(x.shape))
        if not kept:
            return None
        g = f"np.reshape({g}, {kept!r})"
    return f"np.broadcast_to({g}, {x.shape!r})"


def _reshape(j: int, site: Site) -> Optional[str]:
    x = site.data[0]
    return f"np.reshape({site.g}, {x.shape!r})" if _nd(x) and _nd(site.out) else None


def _transpose(j: int, site: Site) -> Optional[str]:
    axes = site.attrs["axes"]
    if not _nd(site.out):
        return None
    inverse = None if axes is None else tuple(int(a) for a in np.argsort(axes))
    return f"np.transpose({site.g}, {inverse!r})"


_ELEMENTWISE = "autograd.ops.elementwise"
TEMPLATES: Dict[Tuple[str, str], Template] = {
    (_ELEMENTWISE, "+"): _operators("{g}", "{g}"),
    (_ELEMENTWISE, "-"): _operators("{g}", "-{g}"),
    (_ELEMENTWISE, "*"): _operators("{g} * {y}", "{g} * {x}"),
    (_ELEMENTWISE, "/"): _operators("{g} / {y}", "-{g} * {ans} / {y}"),
    (_ELEMENTWISE, "neg"): _operators("-{g}"),
    (_ELEMENTWISE, "exp"): _operators("{g} * {ans}"),
    (_ELEMENTWISE, "log"): _operators("{g} / {x}"),
    (_ELEMENTWISE, "sqrt"): _operators("{g} / (2.0 * {ans})"),
    (_ELEMENTWISE, "tanh"): _operators("{g} * (1.0 - {ans} * {ans})"),
    (_ELEMENTWISE, "sigmoid"): _operators("{g} * {ans} * (1.0 - {ans})"),
    (_ELEMENTWISE, "relu"): _operators("{g} * ({ans} != 0)"),
    (_ELEMENTWISE, "**"): _power,
    ("autograd.ops.linalg", "matmul"): _matmul,
    ("autograd.ops.reductions", "sum"): _sum,
    ("autograd.ops.shape", "reshape"): _reshape,
    ("autograd.ops.shape", "transpose"): _transpose,
}
"""Templates by (the module defining the op, the op's name)."""
