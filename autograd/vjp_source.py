"""Ops and VJPs written out as source, for `autograd.compile`'s programs: where an op's forward
or generic VJP would end in a few numpy calls or Python operators on the recorded shapes and
types, the program states those calls directly instead of calling the op (no call, no `apply`,
no checks of ndim or type per step).

Each template gives the expression the generic VJP evaluates on raw data, operator for
operator and numpy call for numpy call, so gradients stay bit-identical to eager mode's
(tests/autograd/test_vjp_source.py draws shapes and dtypes to check it). A template returns
None where that cannot be promised (0-d results, which `apply` normalises; the special cases
of power), and the program calls the generic VJP there. Forward templates do the same for an
op's forward; one may name temporaries (`Site.temp`) that its VJP template reads again
(`Site.temps`), as cross-entropy's VJP reads the forward's exponentials. Ops defined outside
autograd (nn's losses) add theirs with `register`. `fit_source` does the same for
`engine.fit_data`, the summing back of a broadcast gradient.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple, Union

import numpy as np

from autograd.ops.elementwise import power
from autograd.ops.reductions import FILL_BELOW, broadcast_axes


class Site(NamedTuple):
    """One op (its forward, or one of its VJPs) of a program being written: the names it
    reads and what the recording held."""
    g: str                      # the upstream gradient ('' for a forward)
    ans: str                    # the op's output
    args: Tuple[str, ...]       # the op's inputs, as source
    data: Tuple[Any, ...]       # the inputs' recorded data (types, shapes and dtypes)
    out: Any                    # the output's recorded data
    constant: Tuple[bool, ...]  # which inputs are constants of the program
    attrs: Dict[str, Any]       # the op's recorded non-differentiable arguments
    attr_text: Dict[str, str]   # the same, as source (an index array may be an argument)
    temps: Dict[str, str]       # the forward's temporaries, by role (filled by `temp`)
    temp: Callable[[str], str]  # a new name for a temporary of this role, noted in temps
    buffer: str                 # an array (or None) the result may be written into, as
                                # `out=` (see autograd.buffers), or '' for none


class Code(NamedTuple):
    """Source that needs statements before its value: `lines` ('name = expression', the names
    from `Site.temp`) run first, then `value` is the result."""
    lines: Tuple[str, ...]
    value: str


class Spread(NamedTuple):
    """A VJP's result that is one number throughout an array of its input's shape: `value`
    makes the array from `number` (the gradient of a 0-d output, as source). A program may
    hand the number itself to the input's VJPs where they take it (`takes_number`)."""
    number: str
    value: str


Template = Callable[[int, Site], Union[None, str, Code, Spread]]
ForwardTemplate = Callable[[Site], Union[None, str, Code]]


def vjp_source(op: Any, j: int, site: Site) -> Union[None, str, Code, Spread]:
    """Source for the VJP of input `j` of `op` at `site`, or None where only the op's own VJP
    will do."""
    template = TEMPLATES.get(_key(op))
    return None if template is None else template(j, site)


def takes_number(op: Any, j: int, site: Site, python_float: bool) -> bool:
    """Whether the VJP template of input `j` gives the same bits, shape and dtype when its
    gradient, an array of the output's shape and dtype holding one number throughout, is given
    as that number: a Python float where `python_float` (the output is then float64), else a
    0-d array of the output's dtype. It does where the template first combines the gradient,
    by an IEEE operation (correctly rounded wherever numpy runs it), with an operand of the
    output's shape (`Elementwise.partner`), and numpy gives the number and that operand the
    result dtype it gives the array and that operand (a Python float adopts a float32
    operand's dtype; the array would make the result float64)."""
    template = TEMPLATES.get(_key(op))
    if not isinstance(template, Elementwise) or not _nd(site.out):
        return False
    partner = template.partner(j, site)
    dtype = site.out.dtype
    if partner is None or partner[0] != site.out.shape or dtype not in _IEEE:
        return False
    result = np.result_type(dtype, partner[1])
    number = 1.0 if python_float else dtype
    return result in _IEEE and np.result_type(number, partner[1]) == result


_IEEE = (np.dtype(np.float32), np.dtype(np.float64))
"""Dtypes whose + - * / numpy computes correctly rounded in every loop (a number broadcast or
an array of it give the same bits)."""


def forward_source(op: Any, site: Site) -> Union[None, str, Code]:
    """Source for the forward of `op` at `site`, or None where only the op's own will do."""
    template = FORWARDS.get(_key(op))
    return None if template is None else template(site)


def register(op: Any, forward: Optional[ForwardTemplate] = None,
             vjp: Optional[Template] = None) -> None:
    """Templates for an op defined outside autograd (a loss of `nn`): its forward's source,
    its VJP's source, or both. Each must give the numpy calls the op itself makes, so that
    compiled programs stay bit-identical to eager mode."""
    if forward is not None:
        FORWARDS[_key(op)] = forward
    if vjp is not None:
        TEMPLATES[_key(op)] = vjp


def _key(op: Any) -> Tuple[Any, str]:
    return (getattr(op, "_module", None), op.name)


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
        share = f"np.add.reduce({share}, {axes!r})"
        if not shape:                   # a full reduction gives a numpy scalar, not an array
            share = f"np.asarray({share})"
    return share if gdtype == dtype else f"{operand(share)}.astype({dtype_name})"


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


class Elementwise(NamedTuple):
    """A template (`vjp`) whose VJPs are elementwise in the gradient, and for input j the shape
    and dtype of the array the gradient is first combined with by * or / (`partner`), or None
    where it is combined otherwise or the template gives no source (see `takes_number`)."""
    vjp: Template
    partner: Callable[[int, Site], Optional[Tuple[tuple, Any]]]

    def __call__(self, j: int, site: Site) -> Union[None, str, Code, Spread]:
        return self.vjp(j, site)


_PARTNER = re.compile(r"-?\{g\} [*/] \{(x|y|ans)\}")
"""An operator form that starts by multiplying or dividing the (maybe negated) gradient by an
input or the output."""


def _operators(*forms: str) -> Elementwise:
    """An op whose VJPs are Python operators only (they run as written on floats and arrays
    alike): form j for input j, over the names g, ans, x, y."""
    def template(j: int, site: Site) -> Optional[str]:
        names = dict(g=operand(site.g), ans=operand(site.ans), x=operand(site.args[0]),
                     y=operand(site.args[-1]))
        return forms[j].format(**names)

    def partner(j: int, site: Site) -> Optional[Tuple[tuple, Any]]:
        first = _PARTNER.match(forms[j])
        if first is None:
            return None
        data = {"x": site.data[0], "y": site.data[-1], "ans": site.out}[first.group(1)]
        return (data.shape, data.dtype) if _nd(data) else None
    return Elementwise(template, partner)


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


def _power_partner(j: int, site: Site) -> Optional[Tuple[tuple, Any]]:
    """g * c * x ** (c - 1) on arrays: g times the Python float c (a product of numbers where g
    is one), then times the power, an array of x's shape and dtype."""
    x = site.data[0]
    if not _nd(x) or _power(j, site) is None:
        return None
    return x.shape, x.dtype


def _matmul(j: int, site: Site) -> Optional[str]:
    """Matrices (or stacks of them): g @ y^T, x^T @ g, through the same transposed views (`.mT`
    is swapaxes(-1, -2), an attribute where that is a method call)."""
    x, y = site.data
    if not (type(x) is np.ndarray and type(y) is np.ndarray and x.ndim >= 2 and y.ndim >= 2):
        return None
    if j == 0:
        a, b = operand(site.g), f"{operand(site.args[1])}.mT"
    else:
        a, b = f"{operand(site.args[0])}.mT", operand(site.g)
    return _product(a, b, site.buffer)


def _product(a: str, b: str, buffer: str) -> str:
    """a @ b (operands as `operand` gives them), into `buffer` when there is one (the same
    product: np.matmul is what @ calls)."""
    return f"np.matmul({a}, {b}, out={buffer})" if buffer else f"{a} @ {b}"


def _relu(j: int, site: Site) -> Optional[str]:
    """g * (ans != 0): the gradient where relu passed its input."""
    if site.buffer and _nd(site.out):
        return f"np.multiply({site.g}, {operand(site.ans)} != 0, out={site.buffer})"
    return f"{operand(site.g)} * ({operand(site.ans)} != 0)"


def _relu_mask(j: int, site: Site) -> Optional[Tuple[tuple, Any]]:
    """What relu's gradient is first multiplied by: a boolean mask of the output's shape."""
    return (site.out.shape, np.dtype(bool)) if _nd(site.out) else None


def _sum(j: int, site: Site) -> Union[None, str, Spread]:
    """g spread back over the summed axes, as the op's VJP does (see reductions.FILL_BELOW):
    np.full for a small x, else broadcast_to(reshape(g, kept), x's shape). A sum of all of x
    spreads one number (a `Spread`)."""
    x, axis, keepdims = site.data[0], site.attrs["axis"], site.attrs["keepdims"]
    if not _nd(x):
        return None
    g = site.g
    if not keepdims and axis is not None:
        kept = tuple(1 if i in axis else n for i, n in enumerate(x.shape))
        if not kept:
            return None
        g = f"np.reshape({g}, {kept!r})"
    if x.nbytes < FILL_BELOW:
        value = f"np.full({x.shape!r}, {g})"
    else:
        value = f"np.broadcast_to({g}, {x.shape!r})"
    return Spread(g, value) if axis is None and not keepdims else value


def _reshape(j: int, site: Site) -> Optional[str]:
    """g reshaped to x's shape (the array's method: np.reshape calls it, through more Python)."""
    x = site.data[0]
    return f"{operand(site.g)}.reshape({x.shape!r})" if _nd(x) and _nd(site.out) else None


def _transpose(j: int, site: Site) -> Optional[str]:
    """g with the inverse permutation: `.T` where the axes were reversed."""
    if not _nd(site.out):
        return None
    return _permuted(operand(site.g), site.attrs["axes"], inverse=True)


def _permuted(x: str, axes: Any, inverse: bool = False) -> str:
    """x's view with its axes permuted by `axes` (or its inverse), None reversing them all: the
    array's own `.T` and `.transpose` (what np.transpose calls)."""
    if axes is None:
        return f"{x}.T"
    order = tuple(int(a) for a in (np.argsort(axes) if inverse else axes))
    return f"{x}.transpose({order!r})"


def _matmul_forward(site: Site) -> Optional[str]:
    x, y = site.data
    if not (_nd(x) and _nd(y) and _nd(site.out)):
        return None
    return _product(operand(site.args[0]), operand(site.args[1]), site.buffer)


def _into(site: Site) -> str:
    return f", out={site.buffer}" if site.buffer else ""


def _relu_forward(site: Site) -> Optional[str]:
    return f"np.maximum({site.args[0]}, 0{_into(site)})" if _nd(site.data[0]) else None


def _transpose_forward(site: Site) -> Optional[str]:
    """A view with the axes permuted: `.T` reverses them all, as np.transpose(x, None)."""
    if not _nd(site.out):
        return None
    return _permuted(operand(site.args[0]), site.attrs["axes"])


def _sum_forward(site: Site) -> Optional[str]:
    """The ufunc reduction the op runs on an array (normalised by the program where 0-d)."""
    if type(site.data[0]) is not np.ndarray:
        return None
    axis, keepdims = site.attrs["axis"], site.attrs["keepdims"]
    return f"np.add.reduce({site.args[0]}, {axis!r}, keepdims={keepdims!r})"


def _reshape_forward(site: Site) -> Optional[str]:
    shape = site.attrs["shape"]
    return f"{operand(site.args[0])}.reshape({shape!r})" if _nd(site.data[0]) else None


def _unary_forward(fn: str) -> ForwardTemplate:
    """An op whose forward on an array is one numpy function."""
    return lambda site: f"np.{fn}({site.args[0]}{_into(site)})" if _nd(site.data[0]) else None


_ELEMENTWISE = "autograd.ops.elementwise"
FORWARDS: Dict[Tuple[str, str], ForwardTemplate] = {
    ("autograd.ops.linalg", "matmul"): _matmul_forward,
    (_ELEMENTWISE, "relu"): _relu_forward,
    ("autograd.ops.shape", "transpose"): _transpose_forward,
    ("autograd.ops.shape", "reshape"): _reshape_forward,
    ("autograd.ops.reductions", "sum"): _sum_forward,
    (_ELEMENTWISE, "exp"): _unary_forward("exp"),
    (_ELEMENTWISE, "log"): _unary_forward("log"),
    (_ELEMENTWISE, "tanh"): _unary_forward("tanh"),
    (_ELEMENTWISE, "sqrt"): _unary_forward("sqrt"),
}
"""Forward templates by (the module defining the op, the op's name)."""
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
    (_ELEMENTWISE, "relu"): Elementwise(_relu, _relu_mask),
    (_ELEMENTWISE, "**"): Elementwise(_power, _power_partner),
    ("autograd.ops.linalg", "matmul"): _matmul,
    ("autograd.ops.reductions", "sum"): _sum,
    ("autograd.ops.shape", "reshape"): _reshape,
    ("autograd.ops.shape", "transpose"): _transpose,
}
"""Templates by (the module defining the op, the op's name)."""
