"""A recorded run turned into Python source: the forward ops, then their VJPs in reverse, one
statement each (see `autograd.compile`).

Every number in the run is given a place (`Source`): an argument, a parameter read afresh on
each run, a step's result, a random draw, a module's buffer, or a constant. `describe` lists
the run that way (two recordings of the same function on other data must describe the same
program, or the function depends on its data in a way a program cannot replay), and `write`
turns it into source: forward, then backward in the order `backward()` visits the graph, so
the gradients are computed by the same numpy calls in the same order as in eager mode.
`autograd.placement` then decides where its arrays live: an element-wise result in an operand
that dies there, other large results in arrays lent from the last call, and each intermediate
deleted after the statement that last reads it.
"""
from __future__ import annotations

import builtins
import keyword
import operator
import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple, Union

import numpy as np

from autograd.buffers import LARGE, Buffers
from autograd.engine import accumulate, fit_data
from autograd.op import normalize
from autograd.placement import SPARE, in_place, lend, released, returned
from autograd.tape import BACKWARD, Detach, Tape
from autograd.value import Value, memory_of
from autograd.vjp_source import (GLOBALS, Code, Site, Spread, fit_source, forward_source,
                                 operand, takes_number, vjp_source)


class Source(NamedTuple):
    """Where a number comes from: kind is 'input', 'leaf', 'step', 'draw', 'buffer', 'const',
    'view' (a reshape of an input or a buffer, `shape` given) or 'tuple' (of sources, an index);
    `key` says which."""
    kind: str
    key: Any
    shape: Optional[tuple] = None


INLINE = {operator.add: "{} + {}", operator.sub: "{} - {}", operator.mul: "{} * {}",
          operator.truediv: "{} / {}", operator.neg: "-{}"}
"""Ops written as Python operators in the source (on Python floats they need no wrapping)."""
UFUNCS = {operator.add: "np.add", operator.sub: "np.subtract", operator.mul: "np.multiply",
          operator.truediv: "np.true_divide", operator.neg: "np.negative"}
"""The same ops on arrays as the numpy functions the operators call, which take `out=`."""


class Run:
    """One recording described: each step's op, argument sources and attrs."""

    def __init__(self, tape: Tape, inputs: List[Any], out: Value, aux: Tuple[Value, ...],
                 modules: List[Tuple[str, Any]]) -> None:
        self.tape, self.out, self.inputs = tape, out, inputs
        self.produced = {id(step[3]): i for i, step in enumerate(tape.steps)}
        self.input_of = {id(x): k for k, x in enumerate(inputs)}
        self.draw_of = {id(array): j for j, (_, array) in enumerate(tape.draws)}
        self.buffers: List[Tuple[Any, str]] = []
        self.buffer_of: Dict[int, int] = {}
        for _, module in modules:
            for name, array in module._buffers.items():
                if array is not None and id(array) not in self.buffer_of:
                    self.buffer_of[id(array)] = len(self.buffers)
                    self.buffers.append((module, name))
        self.live = {id(x): x for x in inputs if isinstance(x, np.ndarray)}
        self.live.update({id(getattr(m, n)): getattr(m, n) for m, n in self.buffers})
        self.leaves: List[Value] = []
        self.leaf_of: Dict[int, int] = {}
        self.steps = [(op, tuple(self.source(a) for a in args),
                       {k: self.attr_source(v) for k, v in (attrs or {}).items()}, out)
                      for op, args, attrs, out in tape.steps]
        self.result = self.source(out)
        self.aux = tuple(self.source(a) for a in aux)
        self.effects = [(update, tuple(self.source(v) for v in values), after)
                        for update, values, after in tape.effects]
        # Training events (tape.record_event) as the program replays them: (kind, what it
        # acts on, the function doing it); zero_grad of an argument Value acts on its position,
        # backward on the result.
        self.events = [(kind, self.result if kind == BACKWARD else
                        self.input_of.get(id(target), target), do)
                       for kind, target, do in tape.events]
        self.checks: List[tuple] = []          # (check, argument sources, _first_use)
        for check, args in tape.checks:
            sources = tuple(self.source(a) if isinstance(a, Value) else self.attr_source(a)
                            for a in args)
            self.checks.append((check, sources, _first_use(sources)))

    def source(self, x: Any) -> Source:
        """Where `x`, an op's argument, comes from."""
        key = id(x)
        if key in self.produced:
            return Source("step", self.produced[key])
        if key in self.input_of:
            return Source("input", self.input_of[key])
        if isinstance(x, Value):
            if x._order >= self.tape.start:         # made by the run from raw data
                return self.source(x._data)
            if key not in self.leaf_of:
                self.leaf_of[key] = len(self.leaves)
                self.leaves.append(x)
            return Source("leaf", self.leaf_of[key])
        if key in self.draw_of:
            return Source("draw", self.draw_of[key])
        if key in self.buffer_of:
            return Source("buffer", self.buffer_of[key])
        if type(x) is np.ndarray:
            owner = memory_of(x)
            for live_key, live in self.live.items():
                if memory_of(live) is owner:
                    return self._view_of(x, live_key, live)
        return Source("const", x)

    def attr_source(self, value: Any) -> Source:
        """Where an op's non-differentiable argument comes from: an array as an argument
        does (an index array may be the call's input), a tuple element by element (numpy
        indices: `(slice(None), idx)`), anything else is a constant."""
        if isinstance(value, np.ndarray):
            return self.source(value)
        if type(value) is tuple and any(isinstance(v, np.ndarray) for v in value):
            return Source("tuple", tuple(self.attr_source(v) for v in value))
        return Source("const", value)

    def _view_of(self, x: np.ndarray, live_key: int, live: np.ndarray) -> Source:
        base = (Source("input", self.input_of[live_key]) if live_key in self.input_of
                else Source("buffer", self.buffer_of[live_key]))
        if x.size == live.size and x.flags.c_contiguous and live.flags.c_contiguous:
            return Source("view", base, x.shape)
        raise ValueError(
            f"compile: an op reads part of {'argument' if base.kind == 'input' else 'a buffer'} "
            f"{base.key} (shape {live.shape}) through a numpy view of shape {x.shape}: the "
            "program cannot follow it to the next call's data. Index it with ops (x[...] on a "
            "Value) or pass that part as its own argument")

    def data(self) -> List[Any]:
        """The forward's arguments in this run: the inputs' data, then the parameters'."""
        return ([x._data if isinstance(x, Value) else x for x in self.inputs]
                + [leaf._data for leaf in self.leaves])

    def describe(self) -> list:
        """The run as comparable data: ops, sources (constants by value), attrs, effects."""
        steps = [(op, args, attrs) for op, args, attrs, _ in self.steps]
        effects = [(getattr(u, "__code__", u), values, after) for u, values, after in self.effects]
        events = [(kind, target if type(target) in (int, Source) else id(target))
                  for kind, target, _ in self.events]
        return [steps, self.result, self.aux, effects, len(self.tape.draws), self.leaves,
                self.checks, events]


def _first_use(sources: Tuple[Source, ...]) -> Optional[int]:
    """Where a value check can run first: after the last step whose result it reads (its
    index), -1 (after the random draws) where it reads a draw and no step, None (before
    anything) where it reads only the arguments, parameters, buffers and constants."""
    last = None
    for s in sources:
        parts = s.key if s.kind == "tuple" else (s,)
        for part in parts:
            base = part.key if part.kind == "view" else part
            if base.kind == "step":
                last = base.key if last is None else max(last, base.key)
            elif base.kind == "draw" and last is None:
                last = -1
    return last


def same(a: Any, b: Any) -> bool:
    """Whether two descriptions (or constants in them) are equal, arrays by content."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, Value) or isinstance(b, Value):
        return a is b
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True                     # NaN constants are the same constant
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b


def first_difference(one: list, other: list) -> str:
    """Says where two descriptions of the same function's runs differ."""
    steps, others = one[0], other[0]
    for i, (a, b) in enumerate(zip(steps, others)):
        if a[0] is not b[0]:
            return (f"step {i} is op '{a[0].name}' on one call and '{b[0].name}' on another: "
                    "the function takes a different path on other data (Python control flow "
                    "on the numbers)")
        if not same(a, b):
            return (f"op '{a[0].name}' (step {i}) uses a number or array computed from the "
                    "arguments or parameters outside the recorded ops (numpy on .data, a "
                    "Python float of a Value, ...), which a program would keep")
    if len(steps) != len(others):
        return (f"one call runs {len(steps)} ops and another {len(others)}: the function takes "
                "a different path on other data")
    return ("the result, the state updates, the random draws or the training events "
            "(backward(), zero_grad(), optimizer.step()) depend on the data in a way the "
            "recorded ops do not show")


# ----- the source ---------------------------------------------------------------------------
class Names:
    """Unique Python names, readable ones where the run has them."""

    def __init__(self) -> None:
        self.used = set(keyword.kwlist) | set(dir(builtins)) | {
            "np", "normalize", "accumulate", "fit_data", "probe", "g", "saved", "buffers", SPARE,
            *GLOBALS}
        self.count: Dict[str, int] = {}     # the last number given to each base name

    def new(self, hint: str) -> str:
        base = re.sub(r"\W+", "_", hint).strip("_") or "t"
        base = base if not base[0].isdigit() else "layer" + base
        name, k = base, self.count.get(base, 1)
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.count[base] = k
        self.used.add(name)
        return name


def _literal(x: Any) -> Optional[str]:
    """Python source for a small constant, or None when it needs a name."""
    if x is None or type(x) in (bool, int, str):
        return repr(x)
    if type(x) is float:
        return repr(x) if x == x and abs(x) != float("inf") else None
    if type(x) is tuple and all(_literal(e) is not None for e in x):
        return repr(x)
    if isinstance(x, np.dtype):
        return f"np.dtype({str(x)!r})"
    return None


class Written(NamedTuple):
    """The source of a recorded run and what it refers to."""
    text: str
    aux: int                    # how many results the forward returns beside the first
    probes: int                 # VJP results whose fitting a first run finds out
    globals: Dict[str, Any]
    grad_inputs: List[Any]      # what backward returns gradients for: ('input', k) / ('leaf', j)
    made: Tuple[bool, ...]      # per gradient: an array the program made, that nothing else
                                # refers to (`placement.in_place`)


def write(run: Run, input_names: List[str], leaf_names: List[str], draw_names: List[str],
          module_names: List[str], fits: Optional[Dict[int, tuple]] = None,
          stubs: Optional[Dict[int, Any]] = None) -> Written:
    """The run as two Python functions, `forward(*inputs)` returning (result, saved, aux) and
    `backward(g, *saved)` returning the gradients of `grad_inputs`. `fits`: which VJP
    results need summing back to their input's shape or casting (by site number, with the
    type, shape and dtype the result had); None writes a program that finds out. `stubs`:
    objects the source calls, replaced (by id) in its globals. The program that knows its fits
    also writes element-wise results into operands that die there, and other large results
    into the arrays of its last call where nothing else refers to them (`autograd.placement`,
    `autograd.buffers`)."""
    names = Names()
    env = {"np": np, "normalize": normalize, "accumulate": accumulate, "fit_data": fit_data,
           **GLOBALS}
    layout: Dict[str, tuple] = {}       # the shape and dtype of each array result, by name
    if fits is not None:
        env["buffers"] = Buffers()
    if fits is None:
        env["fits"] = {}
        env["probe"] = lambda k, g, shape, dtype: _probe(env["fits"], k, g, shape, dtype)
    inputs = [names.new(n) for n in input_names]
    leaves = [names.new(n) for n in leaf_names]
    steps = run.steps
    var = [names.new(out.name or _op_word(op)) for op, _, _, out in steps]
    op_names: Dict[int, str] = {}
    consts: Dict[int, str] = {}

    def global_for(obj: Any, hint: str, table: Dict[int, str]) -> str:
        if id(obj) not in table:
            table[id(obj)] = names.new(hint)
            env[table[id(obj)]] = (stubs or {}).get(id(obj), obj)
        return table[id(obj)]

    def expr(s: Source) -> str:
        if s.kind == "input":
            return inputs[s.key]
        if s.kind == "leaf":
            return leaves[s.key]
        if s.kind == "step":
            return var[s.key]
        if s.kind == "draw":
            return draws[s.key]
        if s.kind == "buffer":
            module, attr = run.buffers[s.key]
            return f"{global_for(module, module_names[s.key], consts)}.{attr}"
        if s.kind == "view":
            return f"{expr(s.key)}.reshape({s.shape!r})"
        if s.kind == "tuple":
            return f"({''.join(expr(e) + ', ' for e in s.key)})"
        literal = _literal(s.key)
        return literal if literal is not None else global_for(s.key, "const", consts)

    def call(fn: str, args: Tuple[Source, ...], attrs: Dict[str, Source]) -> str:
        parts = [expr(a) for a in args]
        parts += [f"{k}={expr(v)}" for k, v in attrs.items()]
        return f"{fn}({', '.join(parts)})"

    # forward
    draws = [names.new(n) for n in draw_names]
    lines = [f"def forward({', '.join(inputs + leaves)}):"]
    checks: Dict[Optional[int], List[str]] = {}     # by the step they follow (None: first)
    for check, args, after in run.checks:
        fn = global_for(check, check.__name__, consts)
        checks.setdefault(after, []).append(
            f"    {fn}({', '.join(map(expr, args))})   # check the values, as eager mode does")
    lines += checks.get(None, [])
    for j, (draw, _) in enumerate(run.tape.draws):
        lines.append(f"    {draws[j]} = {global_for(draw, 'draw', consts)}()"
                     "   # a fresh random draw on every call")
    lines += checks.get(-1, [])
    effects = {}
    for update, values, after in run.effects:
        effects.setdefault(after, []).append((update, values))
    line_of: Dict[int, int] = {}
    temps: List[Dict[str, str]] = []        # each step's temporaries (a template's), by role
    defined = inputs + leaves + draws       # the forward's names, in order of definition
    for i, (op, args, attrs, out) in enumerate(steps):
        for update, values in effects.get(i, []):
            lines.append(f"    {global_for(update, 'update', consts)}"
                         f"({', '.join(expr(v) for v in values)})   # state update")
        temps.append({})
        buffer = _buffer(fits, out._data)
        if _nd(out):
            layout[var[i]] = (out._data.shape, out._data.dtype)
        code = None if op is Detach else forward_source(op, site_of(
            run, "", var[i], args, attrs, out, expr, temps[i], names, buffer))
        if op is Detach:
            rhs, word = expr(args[0]), "detach"
        elif code is not None:
            if isinstance(code, Code):
                lines += [f"    {line}   # {op.name}" for line in code.lines]
                code = code.value
            rhs, word = (code if _nd(out) else f"normalize({code})"), op.name
        elif op.forward in INLINE and not attrs:
            if buffer:
                rhs = f"{UFUNCS[op.forward]}({', '.join(map(expr, args))}, out={buffer})"
            else:
                rhs = INLINE[op.forward].format(*(expr(a) for a in args))
            word = op.name
            if not _all_floats(out, args, run):
                rhs = f"normalize({rhs})" if not _nd(out) else rhs
        else:
            fn = global_for(op, f"op_{_op_word(op)}", op_names) + ".forward"
            rhs, word = call(fn, args, attrs), op.name
            if not _nd(out):
                rhs = f"normalize({rhs})"
        defined += list(temps[i].values()) + [var[i]]
        line_of[i] = len(lines)
        lines.append(f"    {var[i]} = {rhs}   # {word}")
        lines += checks.get(i, [])
    for update, values in effects.get(len(steps), []):
        lines.append(f"    {global_for(update, 'update', consts)}"
                     f"({', '.join(expr(v) for v in values)})   # state update")
    order = {name: k for k, name in enumerate(defined)}
    back, saved, grad_inputs, probes = _backward(run, expr, global_for, op_names, consts,
                                                 line_of, names, fits, order.__getitem__, temps,
                                                 layout)
    result, aux = expr(run.result), [expr(a) for a in run.aux]
    lines.append(f"    return {result}, {_tuple(saved)}, {_tuple(aux)}")
    kept = set(inputs + leaves)
    place = fits is not None and bool(layout)   # (numbers only: nothing to write into)
    lines, _ = in_place(lines, kept, layout) if place else (lines, set())
    lines, slots = lend(lines, 0)
    lines, moved = released(lines, kept)
    back_kept = {"g", *saved}
    back, owned = in_place(back, back_kept, layout) if place else (back, set())
    back, _ = lend(back, slots)
    back, _ = released(back, back_kept)
    back = [_BACK_THROUGH.sub(lambda m: f"{m.group(1)}{moved[int(m.group(2)) - 1] + 1}:", line)
            for line in back]
    text = "\n".join(lines + [""] + back) + "\n"
    made = (tuple(g in owned for g in returned(back)) if owned else
            (False,) * len(grad_inputs))
    return Written(text, len(run.aux), probes, env, grad_inputs, made)


def _op_word(op: Any) -> str:
    words = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul"}
    return words.get(op.name, op.name)


def _nd(out: Value) -> bool:
    data = out._data
    return type(data) is np.ndarray and data.ndim > 0


def _all_floats(out: Value, args: Tuple[Source, ...], run: Run) -> bool:
    """Whether an op's result and inputs are all Python floats (a float op: nothing to wrap
    or fit)."""
    return type(out._data) is float and all(_is_float(a, run) for a in args)


def _is_float(s: Source, run: Run) -> bool:
    if s.kind == "step":
        return type(run.steps[s.key][3]._data) is float
    if s.kind == "leaf":
        return type(run.leaves[s.key]._data) is float
    if s.kind == "input":
        x = run.inputs[s.key]
        return isinstance(x, Value) and type(x._data) is float
    return s.kind == "const" and type(s.key) is float


def recorded(run: Run, s: Source) -> Any:
    """What the recording held at source `s`, for templates (None for what none reads)."""
    if s.kind == "input":
        x = run.inputs[s.key]
        return x._data if isinstance(x, Value) else x
    if s.kind == "step":
        return run.steps[s.key][3]._data
    if s.kind == "leaf":
        return run.leaves[s.key]._data
    return s.key if s.kind == "const" else None


def site_of(run: Run, g: str, ans: str, args: Tuple[Source, ...], attrs: Dict[str, Source],
            out: Value, expr: Any, temps: Dict[str, str], names: Names, buffer: str = "") -> Site:
    """A template's view of one op of the run (`autograd.vjp_source.Site`)."""
    def temp(role: str) -> str:
        temps[role] = names.new(role)
        return temps[role]
    return Site(g, ans, tuple(expr(a) for a in args), tuple(recorded(run, a) for a in args),
                out._data, tuple(a.kind == "const" for a in args),
                {k: recorded(run, v) for k, v in attrs.items()},
                {k: expr(v) for k, v in attrs.items()}, temps, temp, buffer)


def _buffer(fits: Optional[dict], data: Any) -> str:
    """`out=` source for a result like `data` (`SPARE`, placed by `autograd.placement`), or ''
    where the program finds out its fits (it runs once) or the result is not a large array."""
    if fits is None or type(data) is not np.ndarray or data.nbytes < LARGE:
        return ""
    return SPARE


def _probe(needed: Dict[int, tuple], k: int, g: Any, shape: Optional[tuple], dtype: Any) -> Any:
    fit = fit_data(g, shape, dtype)
    if fit is not g:
        needed[k] = (type(g), np.shape(g), getattr(g, "dtype", None))
    return fit


def _backward(run: Run, expr: Any,
              global_for: Any, op_names: Dict[int, str], consts: Dict[int, str],
              line_of: Dict[int, int], names: Names, fits: Optional[set],
              order_of: Any, temps: List[Dict[str, str]], layout: Dict[str, tuple]
              ) -> Tuple[List[str], List[str], List[Any], int]:
    """The backward function's lines, the forward names it reads, whose gradients it returns,
    and how many probes it holds: the eager walk (`autograd.engine.backward_pass`) written
    out. Nodes are visited newest first; each gives every input that requires a gradient its
    VJP, fitted to the input's shape, added to what that input has received so far."""
    used: Dict[str, None] = {}          # an ordered set
    sites: List[str] = []

    def read(s: Source) -> str:
        for part in s.key if s.kind == "tuple" else (s,):
            base = part.key if part.kind == "view" else part
            if base.kind in ("step", "input", "leaf", "draw"):
                used[expr(base)] = None
        return expr(s)

    def needs_grad(s: Source) -> bool:
        if s.kind == "step":
            return run.steps[s.key][3].requires_grad
        if s.kind == "leaf":
            return run.leaves[s.key].requires_grad
        if s.kind == "input":
            x = run.inputs[s.key]
            return isinstance(x, Value) and x.requires_grad
        return False

    def data_of(s: Source) -> Any:
        if s.kind == "step":
            return run.steps[s.key][3]._data
        return run.leaves[s.key]._data if s.kind == "leaf" else run.inputs[s.key]._data

    def written_vjp(op: Any, j: int, g: str, ans: str, node: Source,
                    args: Tuple[Source, ...], attrs: Dict[str, Source],
                    buffer: str) -> Union[None, str, Spread]:
        """The VJP as numpy source (`autograd.vjp_source`), its statements written out, noting
        the names it reads."""
        site = site_of(run, g, ans, args, attrs, run.steps[node.key][3], expr,
                       dict(temps[node.key]), names, buffer)
        code = vjp_source(op, j, site)
        if code is None:
            return None
        if isinstance(code, Code):
            lines.extend(f"    {line}" for line in code.lines)
            code, text = code.value, "\n".join((*code.lines, code.value))
        else:
            text = code.value if isinstance(code, Spread) else code
        words = set(NAME.findall(text))
        for s in (node, *args, *attrs.values()):
            name = NAME.match(expr(s))
            if name is not None and name.group() in words:
                read(s)
        used.update((name, None) for name in temps[node.key].values() if name in words)
        return code

    def takes(node: Source, number: str, python_float: bool) -> bool:
        """Whether each VJP of step `node` is written, and takes the node's gradient as the
        one number it holds throughout (`autograd.vjp_source.takes_number`)."""
        op, args, attrs, out = run.steps[node.key]
        site = site_of(run, number, expr(node), args, attrs, out, expr, dict(temps[node.key]),
                       names)
        return op.joint_vjp is None and all(takes_number(op, j, site, python_float)
                                            for j, a in enumerate(args) if needs_grad(a))

    lines = ["def backward(g, *saved):"]
    pending: Dict[Source, str] = {}
    spreads: Dict[str, Tuple[Spread, int]] = {}     # by name: a gradient kept as its number,
                                                    # and the line due to make its array
    if needs_grad(run.result):
        pending[run.result] = "g"
    for i in range(len(run.steps) - 1, -1, -1):
        node = Source("step", i)
        if node not in pending:
            continue
        op, args, attrs, out = run.steps[i]
        g, ans = pending.pop(node), expr(node)
        lines.append(  # (the number _BACK_THROUGH finds)
            f"    # back through line {line_of[i] + 1}: {ans} = {op.name}(...)")
        if g in spreads:                # its VJPs take the number (see `takes`)
            g = spreads.pop(g)[0].number
        joint = None
        held: Dict[Tuple[Source, str], str] = {}    # the name of a share, by input and source
        for j, parent in enumerate(args):
            if not needs_grad(parent):
                continue
            written = lend = pure = False
            spread = None
            if op.joint_vjp is not None:
                if joint is None:
                    joint = names.new(f"g_{ans}_inputs")
                    fn = global_for(op, f"op_{_op_word(op)}", op_names) + ".joint_vjp"
                    read(node)
                    lines.append(f"    {joint} = {call_read(fn, g, ans, args, attrs, read)}")
                share = f"{joint}[{j}]"
            else:
                # A share that becomes the parent's gradient as it is may be written into a
                # lent array: the fit it needs is none, so it has the parent's shape and dtype.
                buffer = "" if parent in pending or fits is None or len(sites) in fits else (
                    _buffer(fits, data_of(parent)))
                before = len(lines)
                share = written_vjp(op, j, g, ans, node, args, attrs, buffer)
                if isinstance(share, Spread):
                    spread, share = share, share.value
                written = share is not None     # its result's type, shape, dtype are fixed
                lend = bool(buffer) and written and buffer in share
                pure = written and not lend and len(lines) == before
                if not written:
                    read(node)
                    fn = global_for(op.vjps[j], f"vjp_{_op_word(op)}_{j}", op_names)
                    share = call_read(fn, g, ans, args, attrs, read)
            data = data_of(parent)
            if type(data) is float:
                shape, dtype = "None", "None"
            else:
                shape, dtype = repr(data.shape), global_for(data.dtype, str(data.dtype), consts)
            if _all_floats(out, args, run):     # a float op's VJPs give floats: nothing to fit
                fit = share
            elif fits is None:              # a first run notes where a VJP's result needs it
                fit = f"probe({len(sites)}, {share}, {shape}, {dtype})"
                sites.append(fit)
            else:
                got = fits.get(len(sites))
                fit = share if got is None else (
                    written and type(data) is not float
                    and fit_source(share, got, data.shape, data.dtype, dtype)
                    or f"fit_data({share}, {shape}, {dtype})")
                sites.append(fit)
            # A share of an input the node reads twice (x * x) whose source repeats is the
            # same array: it is added to itself (the bits of computing it twice).
            fit = held.pop((parent, fit), fit) if pure else fit
            if parent not in pending:
                pending[parent] = names.new(f"g_{expr(parent)}")
                python_float = type(out._data) is float
                if (spread is not None and fit == share and parent.kind == "step"
                        and takes(parent, spread.number, python_float)):
                    spreads[pending[parent]] = (spread, len(lines))
                    lines.append(f"    # {expr(parent)}'s gradient: {spread.value}, which its "
                                 f"VJPs read as the number {spread.number}")
                    continue
                lines.append(f"    {pending[parent]} = {fit}")
                if type(data) is np.ndarray and data.ndim:
                    layout[pending[parent]] = (data.shape, data.dtype)
                if pure and args.count(parent) > 1:
                    held[(parent, fit)] = pending[parent]
                continue
            if pending[parent] in spreads:  # another share: the array is made where it was due
                spread, at = spreads.pop(pending[parent])
                lines[at] = f"    {pending[parent]} = {spread.value}"
            if type(data) is float or data.ndim:  # the same type, shape and dtype: a + b
                lines.append(f"    {pending[parent]} = {pending[parent]} + {operand(fit)}")
            else:
                lines.append(f"    {pending[parent]} = accumulate({pending[parent]}, {fit})")
    grad_inputs = sorted(pending, key=lambda s: (s.kind != "input", s.key))
    lines.append(f"    return {_tuple([pending[s] for s in grad_inputs])}")
    saved = sorted(used, key=order_of)
    if saved:
        lines.insert(1, f"    {_tuple(saved)} = saved")
    return lines, saved, grad_inputs, len(sites) if fits is None else 0


_BACK_THROUGH = re.compile(r"^(    # back through line )(\d+):")
"""The comment naming the forward line a gradient flows back through (by its number, which
`placement.released` moves)."""


NAME = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z_0-9]*")
"""A name in a program's source, not an attribute (the `matmul` of `np.matmul`); the drawing
of a program (`visualize.program`) finds its edges with it too."""


def _tuple(names: List[str], indent: str = "        ") -> str:
    """`(a, b, ...)` as source, wrapped to lines of about 90 columns."""
    text = ", ".join(names)
    if len(text) < 80:
        return f"({text}{',' if len(names) == 1 else ''})"
    rows, row = [], ""
    for name in names:
        if row and len(row) + len(name) > 84:
            rows.append(row.rstrip())
            row = ""
        row += name + ", "
    rows.append(row.rstrip())
    return "(\n" + "".join(f"{indent}{r}\n" for r in rows) + indent[:-4] + ")"


def call_read(fn: str, g: str, ans: str, args: Tuple[Source, ...], attrs: Dict[str, Source],
              read: Any) -> str:
    """`fn(g, ans, *args, **attrs)` as source, noting the forward names it reads."""
    parts = [g, ans] + [read(a) for a in args]
    parts += [f"{k}={read(v)}" for k, v in attrs.items()]
    return f"{fn}({', '.join(parts)})"
