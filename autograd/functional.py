"""Function transforms, in the conventions of JAX and torch.func: `grad`, `value_and_grad`,
`jacobian`, `hessian`, `hvp` (Hessian-vector product), `vjp` and `jvp`.

Each transform runs `f` on fresh Values standing for the arguments it differentiates, chosen
by `argnums` (an int gives one result, a tuple a tuple of them), then differentiates the
recorded graph with `engine.gradients`. Results are plain numbers and arrays shaped like the
arguments they belong to (float32 stays float32). Inside an outer transform, or given Values,
they are Values with history instead, so transforms compose: `grad(grad(f))`,
`jacobian(grad(f))`, `grad` of a `jvp` output.
"""
from __future__ import annotations

import contextvars
import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import numpy as np

from autograd import engine
from autograd.grad_mode import enable_grad, is_grad_enabled
from autograd.ops import astype, stack
from autograd.value import Value, as_data

Argnums = Union[int, Sequence[int]]
# How many transforms are running their function now, in this thread or task.
_outer_calls = contextvars.ContextVar("autograd_outer_grad_calls", default=0)


# ----- gradients --------------------------------------------------------------------------
def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Tuple[Any, Any]]:
    """Wrap `f` (returning a one-element Value) to return `(f(*args), gradient)`.

    Gradients are shaped like the chosen arguments: floats for floats, arrays for arrays. When
    an argument is itself a Value (an outer `grad` is running), the gradient is a Value with
    history, so `grad(grad(f))` gives second derivatives. Cost: one forward and one backward
    pass.

    >>> value_and_grad(lambda x: x ** 3)(2.0)
    (8.0, 12.0)
    """
    return _value_and_grad(f, argnums, "grad")


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Wrap `f` (returning a one-element Value) to return its gradient w.r.t. `argnums`.

    >>> grad(grad(lambda x: x ** 3))(2.0)   # second derivative 6x
    12.0
    """
    return _gradient(f, argnums, "grad")


def _value_and_grad(f: Callable[..., Any], argnums: Argnums,
                    caller: str) -> Callable[..., Tuple[Any, Any]]:
    many, positions = _argnums(argnums, caller)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Tuple[Any, Any]:
        chosen = _in_range(positions, len(args), argnums, caller)
        out, inputs, nested = _trace(f, args, kwargs, chosen)
        _check_scalar(out, caller)
        grads = [_result(g, nested) for g in engine.gradients(out, inputs, create_graph=nested)]
        return _result(out, nested), (tuple(grads) if many else grads[0])

    return wrapped


def _gradient(f: Callable[..., Any], argnums: Argnums, caller: str) -> Callable[..., Any]:
    vg = _value_and_grad(f, argnums, caller)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped


# ----- Jacobians and Hessians -------------------------------------------------------------
def jacobian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Wrap `f` to return its Jacobian w.r.t. `argnums` (torch.func.jacrev's layout).

    For an output of shape S and an argument of shape A the Jacobian has shape S + A (a float
    when both are scalars). A tuple `argnums` gives a tuple over the arguments; an `f`
    returning a tuple of Values gives a tuple over its outputs (of tuples over arguments).
    Cost: one forward pass, then one backward pass per output entry, so it suits functions
    with fewer outputs than inputs.

    >>> jacobian(lambda x: x ** 2)(np.array([1.0, 3.0]))
    array([[2., 0.],
           [0., 6.]])
    """
    return _jacobian(f, argnums, "jacobian")


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Wrap `f` (returning a one-element Value) to return its Hessian w.r.t. `argnums`.

    For an argument of shape A the Hessian has shape A + A; a tuple `argnums` gives the
    blocks `H[i][j]` of shape A_i + A_j (torch.func.hessian's layout). It is the Jacobian of
    the gradient: one forward and one backward pass recording the gradient's graph, then one
    backward pass through that graph per entry of the arguments. For H @ v alone use `hvp`.

    >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return functools.wraps(f)(_jacobian(_gradient(f, argnums, "hessian"), argnums, "hessian"))


def _jacobian(f: Callable[..., Any], argnums: Argnums, caller: str) -> Callable[..., Any]:
    many, positions = _argnums(argnums, caller)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        chosen = _in_range(positions, len(args), argnums, caller)
        out, inputs, nested = _trace(f, args, kwargs, chosen)
        blocks = []
        for o in _outputs(out, caller):
            block = _jacobian_blocks(o, inputs, nested)
            blocks.append(tuple(block) if many else block[0])
        return tuple(blocks) if isinstance(out, tuple) else blocks[0]

    return wrapped


def _jacobian_blocks(out: Value, inputs: List[Value], nested: bool) -> List[Any]:
    """d out / d input for each input, of shape out.shape + input.shape, a row (one backward
    pass) per entry of `out`."""
    rows: List[List[Any]] = [[] for _ in inputs]
    for index in np.ndindex(out.shape):
        if type(out.data) is float:
            seed: Any = 1.0
        else:
            seed = np.zeros(out.shape, dtype=out.dtype)
            seed[index] = 1
        for row, g in zip(rows, engine.gradients(out, inputs, seed, create_graph=nested)):
            row.append(_result(g, nested))
    blocks = []
    for x, row in zip(inputs, rows):
        shape = out.shape + x.shape
        if not row:                                     # an output with no entries
            blocks.append(_result(np.zeros(shape, dtype=x.dtype), nested))
        elif not out.shape:
            blocks.append(row[0])
        elif nested:
            blocks.append(stack(row).reshape(shape))
        else:
            blocks.append(np.stack([np.asarray(r) for r in row]).reshape(shape))
    return blocks


# ----- products with vectors --------------------------------------------------------------
def hvp(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Wrap `f` (returning a one-element Value) into `(*args, v) -> H @ v`, the Hessian of `f`
    w.r.t. `argnums` times `v`, without forming the Hessian.

    `v` comes after f's arguments and has the shape of the argument differentiated (a tuple
    of such for a tuple `argnums`; the result is then a tuple too, each the sum over blocks
    `H[i][j] @ v[j]`). Reverse over reverse: the gradient `g` with its graph recorded, then
    the gradient of `sum(g * v)`: a few times the cost of a gradient, whatever the size of
    the arguments.

    >>> hvp(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([ 6., 12.])
    """
    many, positions = _argnums(argnums, "hvp")

    @functools.wraps(f)
    def wrapped(*args_and_v: Any, **kwargs: Any) -> Any:
        if len(args_and_v) < 2:
            raise TypeError(f"hvp: call it with f's arguments and then the vector, "
                            f"hvp(f)(x, v); got {len(args_and_v)} positional argument(s)")
        *args, v = args_and_v
        chosen = _in_range(positions, len(args), argnums, "hvp")
        vs = _per_argument(v, many, args, chosen, "hvp", "v", "v", "argument")
        out, inputs, nested = _trace(f, args, kwargs, chosen, also=vs)
        _check_scalar(out, "hvp")
        slopes = engine.gradients(out, inputs, create_graph=True)
        products = _gradients_of(_dot(slopes, vs), inputs, nested)
        return tuple(products) if many else products[0]

    return wrapped


def vjp(f: Callable[..., Any], *primals: Any,
        argnums: Optional[Argnums] = None) -> Tuple[Any, Callable[[Any], Any]]:
    """Run `f(*primals)` and return `(output, vjp_fn)`: `vjp_fn(cotangent)` gives
    `cotangent @ J` for each primal (JAX's and torch.func's `vjp`), shaped like it: a tuple
    over all primals, or over `argnums` when given (one result for an int). The cotangent has
    the output's shape (a tuple of such when `f` returns a tuple). Cost: one forward pass,
    then one backward pass per call of `vjp_fn` (the graph is kept for more calls).

    >>> out, vjp_fn = vjp(lambda x, y: x * y, 2.0, 3.0)
    >>> out, vjp_fn(1.0)
    (6.0, (3.0, 2.0))
    """
    if not primals:
        raise TypeError("vjp: give the point to differentiate at, vjp(f, x, ...); "
                        "got no primals")
    many, chosen = _chosen(argnums, len(primals), "vjp")
    out, inputs, nested = _trace(f, primals, {}, chosen)
    outs = _outputs(out, "vjp")

    def vjp_fn(cotangent: Any) -> Any:
        cs = _per_output(cotangent, out, outs)
        # An outer transform differentiating by the cotangent needs it recorded in the graph.
        by_cotangent = is_grad_enabled() and any(isinstance(c, Value) and c.requires_grad
                                                 for c in cs)
        if by_cotangent or len(cs) > 1:
            root, seed = _dot(outs, cs), None
        else:
            root, seed = outs[0], _result(cs[0], False)
        recorded = nested or by_cotangent
        pulled = [_result(g, recorded)
                  for g in engine.gradients(root, inputs, seed, create_graph=recorded)]
        return tuple(pulled) if many else pulled[0]

    return _result(out, nested), vjp_fn


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Any,
        argnums: Optional[Argnums] = None) -> Tuple[Any, Any]:
    """Return `(f(*primals), J @ tangents)`, the Jacobian-vector product (forward mode, as
    JAX's and torch.func's `jvp`). `tangents` has one entry per primal, of its shape; with
    `argnums`, one per chosen primal (a single tangent for an int), the others held fixed.
    When `f` returns a tuple of Values, the product is a tuple too.

    Exact, by the double-VJP trick rather than forward rules: `u -> u @ J` is linear in the
    cotangent `u`, so J @ t is the gradient of `(u @ J) . t` w.r.t. `u`. Cost: one forward
    pass, one backward pass recording its graph, and one backward pass through that graph:
    about three times a gradient, and the memory of a recorded backward pass.

    >>> jvp(lambda x: x ** 3, (2.0,), (1.0,))
    (8.0, 12.0)
    """
    if not isinstance(primals, (tuple, list)) or not primals:
        raise TypeError(f"jvp: primals must be a non-empty tuple or list with one entry per "
                        f"argument of f, got {_describe(primals)}; write jvp(f, (x,), (t,))")
    many, chosen = _chosen(argnums, len(primals), "jvp")
    ts = _per_argument(tangents, many, primals, chosen, "jvp", "tangents", "tangent",
                       "primal")
    out, inputs, nested = _trace(f, primals, {}, chosen, also=ts)
    outs = _outputs(out, "jvp")
    us = [Value(_zeros(o.data)) for o in outs]      # stand-in cotangents, one per output
    pulled = engine.gradients(_dot(outs, us), inputs, create_graph=True)
    pushed = _gradients_of(_dot(pulled, ts), us, nested)
    return _result(out, nested), (tuple(pushed) if isinstance(out, tuple) else pushed[0])


# ----- shared machinery -------------------------------------------------------------------
def _argnums(argnums: Any, caller: str) -> Tuple[bool, Tuple[int, ...]]:
    """(whether argnums is a sequence, its positions), checked when the transform is made."""
    def is_int(n: Any) -> bool:
        return isinstance(n, (int, np.integer)) and not isinstance(n, bool)

    if is_int(argnums):
        return False, (int(argnums),)
    if isinstance(argnums, (tuple, list)) and all(is_int(n) for n in argnums):
        if not argnums:
            raise ValueError(f"{caller}: argnums is empty; name at least one positional "
                             "argument to differentiate, e.g. argnums=0")
        return True, tuple(int(n) for n in argnums)
    raise TypeError(f"{caller}: argnums must be an int or a tuple of ints, got {argnums!r}")


def _in_range(positions: Tuple[int, ...], count: int, argnums: Any,
              caller: str) -> Tuple[int, ...]:
    """The positions as indices into `count` arguments; each must exist, and occur once."""
    for n in positions:
        if not -count <= n < count:
            raise ValueError(f"{caller}: argnums {argnums!r} is out of range for {count} "
                             "positional argument(s); argnums counts f's positional "
                             "arguments from 0 (negative from the end)")
    chosen = tuple(n % count for n in positions)
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"{caller}: argnums {argnums!r} names an argument twice; name each "
                         "argument once")
    return chosen


def _chosen(argnums: Optional[Argnums], count: int, caller: str) -> Tuple[bool, Tuple[int, ...]]:
    """`_argnums` and `_in_range` at once, None meaning all `count` primals (as a tuple)."""
    if argnums is None:
        return True, tuple(range(count))
    many, positions = _argnums(argnums, caller)
    return many, _in_range(positions, count, argnums, caller)


def _trace(f: Callable[..., Any], args: Sequence[Any], kwargs: dict,
           chosen: Sequence[int], also: Sequence[Any] = ()) -> Tuple[Any, List[Value], bool]:
    """Run `f(*args, **kwargs)` with the arguments at `chosen` (checked indices) as fresh
    Values to differentiate by. Returns f's output, those Values, and whether results must
    keep their history: inside an outer transform, or when an argument (or one of `also`, the
    vectors a product takes) is a Value."""
    args = list(args)
    # Inside an outer transform, f may close over the outer Values (mixed partials), so the
    # results must keep their history even when the arguments here are plain numbers.
    nested = is_grad_enabled() and (
        _outer_calls.get() > 0 or any(isinstance(args[n], Value) for n in chosen) or
        any(isinstance(a, Value) for a in also))
    inputs = []
    for n in chosen:
        arg = args[n]
        if isinstance(arg, Value) and not arg.requires_grad:
            arg = Value(arg.data)
        elif not isinstance(arg, Value):
            arg = Value(arg)
        args[n] = arg
        inputs.append(arg)
    token = _outer_calls.set(_outer_calls.get() + 1)
    try:
        with enable_grad():             # a transform: an outer no_grad() must not zero it
            out = f(*args, **kwargs)
    finally:
        _outer_calls.reset(token)
    return out, inputs, nested


def _check_scalar(out: Any, caller: str) -> None:
    if not isinstance(out, Value) or out.size != 1:
        raise TypeError(f"{caller}: the function must return a one-element Value, got "
                        f"{_describe(out)}; reduce the output to one number (.sum(), "
                        ".mean()), or differentiate a non-scalar output with jacobian, vjp "
                        "or jvp")


def _outputs(out: Any, caller: str) -> Tuple[Value, ...]:
    """f's output as a tuple of Values (f may return one Value or a tuple of them)."""
    outs = out if isinstance(out, tuple) else (out,)
    if not outs or not all(isinstance(o, Value) for o in outs):
        raise TypeError(f"{caller}: the function must return a Value or a tuple of Values, "
                        f"got {_describe(out)}")
    return outs


def _per_argument(v: Any, many: bool, args: Sequence[Any], chosen: Tuple[int, ...],
                  caller: str, name: str, entry: str, kind: str) -> List[Any]:
    """`v`, the `name` (the `entry` itself for an int argnums, a tuple of them otherwise), as
    one checked array per chosen argument, which `kind` names."""
    if not many:
        n = chosen[0]
        hint = (f" (an int argnums takes the {entry} itself, not a tuple)"
                if isinstance(v, (tuple, list)) else "")
        return [_vector(v, args[n], caller, f"the {entry} for {kind} {n}", f"{kind} {n}", hint)]
    if not isinstance(v, (tuple, list)) or len(v) != len(chosen):
        raise ValueError(f"{caller}: {name} must be a tuple of {len(chosen)} "
                         f"{'arrays' if len(chosen) > 1 else 'array'}, one for each {kind} "
                         f"differentiated ({', '.join(map(str, chosen))}); got {_describe(v)}")
    return [_vector(t, args[n], caller, f"the {entry} for {kind} {n}", f"{kind} {n}")
            for t, n in zip(v, chosen)]


def _per_output(v: Any, out: Any, outs: Tuple[Value, ...]) -> List[Any]:
    """vjp's cotangent, one checked array per output of f (a tuple when f returns a tuple)."""
    if not isinstance(out, tuple):
        return [_vector(v, out, "vjp", "the cotangent", "the output")]
    if not isinstance(v, (tuple, list)) or len(v) != len(outs):
        raise ValueError(f"vjp: f returns a tuple of {len(outs)} Values, so the cotangent "
                         f"must be a tuple of {len(outs)} arrays, one per output; got "
                         f"{_describe(v)}")
    return [_vector(c, o, "vjp", f"cotangent {k}", f"output {k}")
            for k, (c, o) in enumerate(zip(v, outs))]


def _vector(t: Any, like: Any, caller: str, what: str, whose: str, hint: str = "") -> Any:
    """A tangent, cotangent or vector given by the user, checked to be real numbers of the
    shape of `like` (a Value or raw data), and given its type and dtype (narrowed to float32
    for float32 `like`, as backward's seeds are)."""
    data = like.data if isinstance(like, Value) else as_data(like)
    if isinstance(t, Value):
        shape = t.shape
    else:
        raw = np.asarray(t)
        if raw.dtype.kind not in "biuf":
            raise TypeError(f"{caller}: {what} has dtype {raw.dtype}; give real numbers (a "
                            f"float array) of the shape of {whose}")
        shape = raw.shape
    if shape != np.shape(data):
        raise ValueError(f"{caller}: {what} has shape {shape} but {whose} has shape "
                         f"{np.shape(data)}; give it the shape of {whose}{hint}")
    dtype = np.result_type(data)
    if isinstance(t, Value):
        return t if t.dtype == dtype else astype(t, dtype)
    return float(raw) if type(data) is float else raw.astype(dtype)


def _dot(values: Sequence[Any], vectors: Sequence[Any]) -> Optional[Value]:
    """sum_k sum(values[k] * vectors[k]) over the Values among `values`, recorded; None when
    there are none (raw entries are constants: gradients that nothing reached)."""
    total = None
    with enable_grad():
        for v, t in zip(values, vectors):
            if isinstance(v, Value):
                term = (v * t).sum()
                total = term if total is None else total + term
    return total


def _gradients_of(root: Optional[Value], inputs: List[Value], nested: bool) -> List[Any]:
    """d root / d input for each input as a transform hands it back; zeros without a root."""
    if root is None:
        return [_result(_zeros(x.data), nested) for x in inputs]
    return [_result(g, nested) for g in engine.gradients(root, inputs, create_graph=nested)]


def _zeros(data: Any) -> Any:
    return 0.0 if type(data) is float else np.zeros_like(data)


def _result(x: Any, nested: bool) -> Any:
    """What a transform hands back: Values (with history) when nested, else raw data; f's
    output may be a tuple of them."""
    if isinstance(x, tuple):
        return tuple(_result(e, nested) for e in x)
    if nested:
        return x if isinstance(x, Value) else Value(x, requires_grad=False)
    return x.data if isinstance(x, Value) else x


def _describe(x: Any) -> str:
    if isinstance(x, Value):
        return f"a Value of shape {x.shape}"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of {len(x)}"
    return f"a {type(x).__name__}"
