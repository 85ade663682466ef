"""Functional differentiation: `grad` and `value_and_grad`, nestable for higher orders."""
from __future__ import annotations

import contextvars
import functools
from typing import Any, Callable, Sequence, Tuple, Union

from autograd import engine
from autograd.grad_mode import enable_grad, is_grad_enabled
from autograd.value import Value

Argnums = Union[int, Sequence[int]]
# How many value_and_grad calls are running their function now, in this thread or task.
_outer_calls = contextvars.ContextVar("autograd_outer_grad_calls", default=0)


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Tuple[Any, Any]]:
    """Wrap `f` (returning a one-element Value) to return `(f(*args), gradient)`.

    Gradients are shaped like the chosen arguments: floats for floats, arrays for arrays. When
    an argument is itself a Value (an outer `grad` is running), the gradient is a Value with
    history, so `grad(grad(f))` gives second derivatives.

    >>> value_and_grad(lambda x: x ** 3)(2.0)
    (8.0, 12.0)
    """
    many = not isinstance(argnums, int)
    positions = tuple(argnums) if many else (argnums,)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Tuple[Any, Any]:
        for n in positions:
            if not -len(args) <= n < len(args):
                raise ValueError(f"grad: argnums {argnums!r} is out of range for "
                                 f"{len(args)} positional argument(s)")
        args = list(args)
        # Inside an outer grad, f may close over the outer Values (mixed partials), so the
        # gradient must keep its history even when the arguments here are plain numbers.
        nested = is_grad_enabled() and (_outer_calls.get() > 0 or
                                        any(isinstance(args[n], Value) for n in positions))
        inputs = []
        for n in positions:
            arg = args[n]
            if isinstance(arg, Value) and not arg.requires_grad:
                arg = Value(arg.data)
            elif not isinstance(arg, Value):
                arg = Value(arg)
            args[n] = arg
            inputs.append(arg)
        token = _outer_calls.set(_outer_calls.get() + 1)
        try:
            with enable_grad():         # a transform: an outer no_grad() must not zero it
                out = f(*args, **kwargs)
        finally:
            _outer_calls.reset(token)
        if not isinstance(out, Value) or out.size != 1:
            raise TypeError(f"grad: the function must return a one-element Value, "
                            f"got {_describe(out)}")
        grads = engine.gradients(out, inputs, create_graph=nested)
        if nested:
            grads = [g if isinstance(g, Value) else Value(g, requires_grad=False) for g in grads]
        else:
            grads = [g.data if isinstance(g, Value) else g for g in grads]
            out = out.data
        return out, (tuple(grads) if many else grads[0])

    return wrapped


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Wrap `f` (returning a one-element Value) to return its gradient w.r.t. `argnums`.

    >>> grad(grad(lambda x: x ** 3))(2.0)   # second derivative 6x
    12.0
    """
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return vg(*args, **kwargs)[1]

    return wrapped


def _describe(x: Any) -> str:
    if isinstance(x, Value):
        return f"a Value of shape {x.shape}"
    return type(x).__name__
