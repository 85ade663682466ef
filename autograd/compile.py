"""`autograd.compile`: record a function once, then run it as straight-line numpy code.

    step = autograd.compile(lambda X, y: nn.losses.cross_entropy(model(X), y))
    loss = step(X, y)           # a Value; the first call with these shapes records
    loss.backward()             # the recorded backward: parameters get their .grad
    print(step.source())        # the program, forward then backward, as Python

A whole training step compiles too: `zero_grad()`, `backward()` and an optimiser's `step()`
inside the function are training events (`tape.record_event`) that each call replays after
the program (`autograd.events`), and the call returns plain Values (its backward is done);
after its first, each call is one function written for it (`Program._write_call`).

The first call with a signature (the arguments' shapes and dtypes, the values of the other
arguments, grad mode, and the train/eval mode of the modules called) runs the function in
eager mode, recording every op on a tape (`autograd.tape`), and records it again on other
data of the same shapes (the arrays' elements shuffled, the parameters too) to check that
nothing but the recorded ops depends on the data. Both recordings must describe the same
program; otherwise the function's numbers depend on its data in a way a program cannot
replay (Python control flow on values, numpy on `.data`), and compiling raises saying where.

The program (`autograd.program`) is Python source: each forward op one statement on raw
arrays, then the VJPs in the order `backward()` runs them, so values and gradients equal eager
mode's to the bit. Large results are written into arrays of earlier calls that nothing refers
to any more (`autograd.buffers`), instead of new ones. A call runs it as one node of the graph
whose inputs are the parameters and argument Values that need a gradient, so `backward()`,
`autograd.grad` and further eager ops work on its result as on any Value. Random draws
(`tape.fresh_random`) and state updates (`tape.state_update`) happen again on every call.
Compiled results are first-order: differentiate eagerly for `create_graph=True`. Under
`detect_anomaly()` the function runs eagerly.
"""
from __future__ import annotations

import builtins
import functools
import inspect
import warnings
from collections import OrderedDict
from operator import attrgetter
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from autograd.grad_mode import ANOMALY, GRAD, RECORD, current_mode
from autograd.op import NUMERIC_ERRORS, Op, normalize
from autograd.events import Events
from autograd.program import Run, first_difference, same, write
from autograd.tape import BACKWARD, Tape, TracerError, recording
from autograd.value import Value, init_node, record_inputs


def compile(fn: Optional[Callable] = None, *, cache_size: int = 8) -> Any:
    """Compile `fn` (a decorator, with or without arguments): see the module docstring.
    `cache_size` programs are kept (one per signature, the least recently used dropped)."""
    if fn is None:
        return lambda f: Compiled(f, cache_size)
    return Compiled(fn, cache_size)


class Compiled:
    """A function and the programs recorded from it, one per signature."""

    def __init__(self, fn: Callable, cache_size: int = 8) -> None:
        if not callable(fn):
            raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
        if not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"compile: cache_size must be a positive int, got {cache_size!r}")
        self.fn, self.cache_size = fn, cache_size
        self.programs: "OrderedDict[tuple, List[Program]]" = OrderedDict()
        self.last: Optional[Program] = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        mode = current_mode()
        if mode & (ANOMALY | RECORD):       # anomaly checks, or inside another recording
            return self.fn(*args, **kwargs)
        inputs: List[Any] = []
        key = (_signature(args, inputs), _signature(kwargs, inputs) if kwargs else (),
               mode & GRAD)
        for program in self.programs.get(key, ()):
            if program.still_valid():
                if self.last is not program:
                    self.programs.move_to_end(key)
                    self.last = program
                return program.run(inputs)
        out, program = self._record(args, kwargs, inputs)
        self.programs.setdefault(key, []).append(program)
        self.programs.move_to_end(key)
        while len(self.programs) > self.cache_size:
            self.programs.popitem(last=False)
        self.last = program
        return out

    def source(self) -> str:
        """The program the last call ran, as Python source: forward, then backward."""
        if self.last is None:
            raise RuntimeError("source: nothing is recorded yet; call the compiled function "
                               "once first")
        events = self.last.events
        return self.last.written.text + ("" if events is None else events.comment())

    def _record(self, args: tuple, kwargs: dict, inputs: List[Any]) -> Tuple[Value, "Program"]:
        """Run the function recording, twice (the second time on other data), and build its
        program; the first run's result is returned (its graph is eager mode's)."""
        name = getattr(self.fn, "__name__", "function")
        tape = Tape()
        with recording(tape):
            out = self.fn(*args, **kwargs)
        result, aux = _outputs(out, tape, name)
        modules = list(tape.modules.values())
        hooked = [type(m).__name__ for m in modules if m._forward_hooks or m._forward_pre_hooks]
        if hooked:
            raise ValueError(f"compile: {name} calls modules with forward hooks "
                             f"({', '.join(hooked)}): a program replays ops, not Python hooks, "
                             "which would run on the first call only; remove the hooks, or "
                             "call the function without compile")
        run = Run(tape, inputs, result, aux, _named(modules))
        other = self._record_again(run, args, kwargs, name, modules)
        if not same(run.describe(), other.describe()):
            raise ValueError(f"compile: cannot record {name}: "
                             f"{first_difference(run.describe(), other.describe())}. Compute "
                             "that part outside the compiled function, or with ops on Values")
        program = Program(run, _input_names(self.fn, args, kwargs, len(inputs)), modules, name,
                          None if out is None else list if isinstance(out, list) else
                          tuple if isinstance(out, tuple) else Value)
        if program.trains:
            program.check_arguments(inputs)
        for _, _, do in tape.events:    # this call's training events, as eager mode does them
            do()
        if program.trains:
            out = program.results(out if isinstance(out, (tuple, list)) else (out,))
        return out, program

    def _record_again(self, run: Run, args: tuple, kwargs: dict, name: str,
                      modules: List[Any]) -> Run:
        """Record the function again on other data of the same shapes: the elements of its
        arrays, parameters and buffers drawn again from their own values (labels stay valid
        labels, but counts, sums and maxima change) and nudged by up to 0.1%; when that raises,
        only drawn again (exact values some checks need), then only nudged (a matrix drawn
        again may be singular)."""
        failures = []
        for other_data in (_resampled_and_nudged, _resampled, _nudged):
            rng = np.random.default_rng(20261129)       # the same other data on every run
            change = functools.partial(other_data, rng=rng)
            other_inputs: List[Any] = []
            memo: Dict[int, Any] = {}
            other_args = _other(args, other_inputs, change, memo)
            other_kwargs = _other(kwargs, other_inputs, change, memo)
            again = Tape(replay_draws=[array for _, array in run.tape.draws])
            restore = _change_state(run, change)
            try:
                with recording(again), np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")     # other data may leave an op's domain
                    other_out = self.fn(*other_args, **other_kwargs)
                result, aux = _outputs(other_out, again, name)
                return Run(again, other_inputs, result, aux, _named(modules))  # state changed
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
            finally:
                restore()
        raise RuntimeError(f"compile: {name} raised when recorded again on other data of the "
                           "same shapes (to check that nothing but its recorded ops depends on "
                           f"the data): {'; '.join(failures)}")


def _outputs(out: Any, tape: Tape, name: str) -> Tuple[Value, Tuple[Value, ...]]:
    """The result that carries gradients, and the other results (a tuple's later Values). A
    function that calls backward() itself (a training step) carries gradients from that
    Value; all it returns (a Value, a tuple or list of them, or None), which must be Values it
    computed, is returned without."""
    root = next((target for kind, target, _ in tape.events if kind == BACKWARD), None)
    parts = (() if out is None and root is not None else
             tuple(out) if isinstance(out, (tuple, list)) else (out,))
    if (root is None and not parts) or not all(isinstance(p, Value) for p in parts):
        raise TypeError(f"compile: {name} must return a Value, or a tuple of Values (the first "
                        "carries gradients, the others are returned without; a training step "
                        f"may return None), got {type(out).__name__}")
    if root is None:
        return parts[0], parts[1:]
    if not all(id(p) in tape.traced for p in parts):
        raise TracerError(f"compile: the training step {name} returns a Value it did not "
                          "compute (a parameter or an argument): a program returns what its "
                          "forward pass computed, before the step's update. Read parameters "
                          "after the call instead")
    return root, parts


class Program:
    """One recorded signature: its source, compiled, run as one node per call."""

    def __init__(self, run: Run, input_names: List[str], modules: List[Any], name: str,
                 packing: Optional[type]) -> None:
        self.leaves = run.leaves
        self.packing = packing          # how a training step returns: None, Value, tuple, list
        self.trains = any(kind == BACKWARD for kind, _, _ in run.events)
        self.still_valid = _still_valid(modules, self.leaves, name)
        leaf_names = _leaf_names(run.leaves, modules)
        draw_names = [f"draw_{j}" for j in range(len(run.tape.draws))]
        module_names = [type(m).__name__.lower() for m, _ in run.buffers]
        names = (run, input_names, leaf_names, draw_names, module_names)
        # One run shows which VJP results need fitting (with the recorded draws, no updates).
        stubs = {id(draw): functools.partial(np.copy, array) for draw, array in run.tape.draws}
        stubs.update({id(update): _ignore for update, _, _ in run.tape.effects})
        probe = write(*names, stubs=stubs)
        fits: Dict[int, tuple] = {}
        if probe.probes:
            _load(probe, name)
            out, saved, _ = probe.globals["forward"](*run.data())
            probe.globals["backward"](_ones_like(normalize(out)), *saved)
            fits = probe.globals["fits"]
        self.written = _load(write(*names, fits=fits), name)
        self.forward = self.written.globals["forward"]
        self.backward = self.written.globals["backward"]
        self.op = Op(f"compiled {name}", self._run_forward, joint_vjp=self._run_backward)
        self.grad_sources = self.written.grad_inputs
        n_inputs = len(input_names)
        self.grad_positions = [s.key if s.kind == "input" else n_inputs + s.key
                               for s in self.grad_sources]
        # The node's inputs: the argument Values that get a gradient (by position), then
        # the parameters (the same objects on every call, see still_valid).
        self.grad_arguments = [s.key for s in self.grad_sources if s.kind == "input"]
        self.grad_leaves = tuple(self.leaves[s.key] for s in self.grad_sources
                                 if s.kind == "leaf")
        # Where a training program's backward puts each gradient: a parameter, or the
        # position of an argument Value.
        receivers = [s.key if s.kind == "input" else self.leaves[s.key]
                     for s in self.grad_sources]
        self.events = Events(run.events, receivers, self._backward_raw) if run.events else None
        self.run: Callable[[List[Any]], Any] = self._call   # a call, its inputs -> its result

    def _call(self, inputs: List[Any]) -> Any:
        """A call: the program run as one node of the graph, or a training step's program
        and events. Once a training step's first call showed that its gradients fit their
        Values as they come, its later calls run written for them (`_write_call`)."""
        args = [x._data if isinstance(x, Value) else x for x in inputs] if inputs else []
        args += map(_DATA, self.leaves)
        state: Dict[str, Any] = {}
        if self.trains and self.grad_arguments:
            self.check_arguments(inputs)
        data = self._run(args, state)
        if self.events is not None:
            kinds = self.events.run(inputs, data, state["saved"])
            if self.trains:
                if kinds is not None and all(type(a) is np.ndarray for a in args):
                    self.run = self._write_call(inputs, kinds)
                return self.results(state["aux"])
        parents = (tuple([inputs[k] for k in self.grad_arguments]) + self.grad_leaves
                   if self.grad_arguments else self.grad_leaves)
        if parents:                     # a node, as `apply` records one (a program never runs
            out = object.__new__(Value)     # under anomaly checks or while recording)
            init_node(out, data, True, None, self.op, None, None, {"args": args, "state": state})
            record_inputs(out, parents)
        else:
            out = Value(data, requires_grad=False)
        if not self.written.aux:
            return out
        return (out, *[Value(normalize(a), requires_grad=False) for a in state["aux"]])

    def results(self, parts: Any) -> Any:
        """What a function that trains (calls backward() itself) returns, from its results
        (Values or their data): plain Values, without a graph (the step's backward pass is
        done), packed as the function packed them."""
        if self.packing is None:
            return None
        values = [_plain(p._data if isinstance(p, Value) else p) for p in parts]
        return values[0] if self.packing is Value else self.packing(values)

    def _write_call(self, inputs: List[Any], kinds: List[type]) -> Callable[[List[Any]], Any]:
        """A training step's call as one straight-line function: what `_call` does for it,
        with the events' `lines` for gradients of these types, and nothing looked up or
        looped over. (For programs of arrays: `_run`'s float64 retry serves Python floats.
        Each input is a Value or an array in the same places on every call: the signature
        says which.)"""
        env = {"forward": self.forward, "plain": _plain, "check_arguments": self.check_arguments}
        args = [f"inputs[{k}]._data" if isinstance(x, Value) else f"inputs[{k}]"
                for k, x in enumerate(inputs)]
        for j, leaf in enumerate(self.leaves):
            env[f"leaf_{j}"] = leaf
            args.append(f"leaf_{j}._data")
        lines = ["def call(inputs):"]
        if self.grad_arguments:
            lines += ["    if " + " or ".join(f"inputs[{k}]._op is not None"
                                            for k in self.grad_arguments) + ":",
                      "        check_arguments(inputs)"]
        # (a training step's result is an op's, so already a Value's data: no normalize)
        lines.append(f"    data, saved, aux = forward({', '.join(args)})")
        lines += self.events.lines(kinds, env, self.written.made)
        results = [f"plain(aux[{i}])" for i in range(self.written.aux)]
        lines.append("    return " + (
            "None" if self.packing is None else results[0] if self.packing is Value else
            f"[{', '.join(results)}]" if self.packing is list else
            f"({''.join(r + ', ' for r in results)})"))
        exec(builtins.compile("\n".join(lines) + "\n", f"<call of {self.op.name}>", "exec"), env)
        return env["call"]

    def check_arguments(self, inputs: List[Any]) -> None:
        """Refuse, before anything runs, an argument Value that a training step's backward()
        reaches but ops outside the function computed: a program cannot walk its graph."""
        for k in self.grad_arguments:
            if inputs[k]._op is not None:
                raise RuntimeError(
                    f"{self.op.name}: backward() inside the compiled function reaches argument "
                    f"{k}, a Value computed by ops outside it, whose graph a program cannot "
                    "walk; pass it detached (x.detach()), or call backward() outside")

    def _run_forward(self, *grad_args: Any, args: List[Any], state: dict) -> Any:
        """The node's forward (the op's): the program on `args` with the node's inputs'
        data in their places."""
        args = list(args)
        for pos, data in zip(self.grad_positions, grad_args):
            args[pos] = data
        return self._run(args, state)

    def _run(self, args: List[Any], state: dict) -> Any:
        try:
            out, saved, aux = self.forward(*args)
        except NUMERIC_ERRORS:
            if float not in map(type, args):    # not Python-float arithmetic (a value check
                raise                           # failed): a rerun would repeat state updates
            # Python-float arithmetic raised where numpy's IEEE rules give inf or nan
            out, saved, aux = self.forward(*[np.float64(a) if type(a) is float else a
                                             for a in args])
        state["saved"], state["aux"] = saved, aux
        return normalize(out)

    def _run_backward(self, g: Any, ans: Any, *grad_args: Any, args: List[Any],
                      state: dict) -> Any:
        if isinstance(ans, Value):      # create_graph=True passes the node and its inputs
            raise RuntimeError(
                f"{self.op.name}: a compiled function's result is differentiated once (its "
                "program is first-order), but this pass records the gradients to differentiate "
                "them again: backward(create_graph=True), or autograd.grad / jacobian / hessian "
                "given Values (they nest, so they record). Call the function without compile "
                "for that, or give autograd.grad raw numbers or arrays (x.data), which it "
                "differentiates once")
        return self._backward_raw(g, state["saved"])

    def _backward_raw(self, g: Any, saved: tuple) -> Any:
        """The program's backward on raw data: each input's gradient (retried in float64
        where Python-float arithmetic raised, as `_run` retries the forward)."""
        try:
            return self.backward(g, *saved)
        except NUMERIC_ERRORS:
            wide = [np.float64(a) if type(a) is float else a for a in (g, *saved)]
            return [normalize(x) for x in self.backward(*wide)]


_DATA = attrgetter("_data")


def _plain(data: Any) -> Value:
    """A Value of a program's result, needing no gradient (`init_node` itself: the data is
    the program's own, no conversion needed)."""
    out = object.__new__(Value)
    init_node(out, normalize(data), False, None, None, None, None, None)
    return out


def _still_valid(modules: List[Any], leaves: List[Value], name: str) -> Callable[[], bool]:
    """What a program assumes beyond its signature, as a function telling whether it still
    holds: the modules it read are as they were (see _module_state), the parameters hold data
    of the type (and an array's shape and dtype) they held, and need a gradient where they
    did. Written as straight-line code, since it runs on every call (identity first,
    equality where the objects differ)."""
    env: Dict[str, Any] = {"module_state": _module_state}
    lines = ["def still_valid():"]
    for i, module in enumerate(modules):
        env[f"module_{i}"], env[f"state_{i}"] = module, _module_state(module)
        lines.append(f"    if module_state(module_{i}) != state_{i}: return False")
    for j, leaf in enumerate(leaves):
        data, wanted = leaf._data, leaf.requires_grad
        env[f"leaf_{j}"], env[f"kind_{j}"] = leaf, type(data)
        lines += [f"    data = leaf_{j}._data",
                  f"    if type(data) is not kind_{j} or (leaf_{j}.requires_grad is not "
                  f"{wanted!r} and leaf_{j}.requires_grad != {wanted!r}): return False"]
        if type(data) is np.ndarray:
            env[f"dtype_{j}"] = data.dtype
            lines.append(f"    if data.shape != {data.shape!r} or (data.dtype is not dtype_{j} "
                         f"and data.dtype != dtype_{j}): return False")
    lines.append("    return True")
    exec(builtins.compile("\n".join(lines) + "\n", f"<checks of {name}>", "exec"), env)
    return env["still_valid"]


def _load(written: Any, name: str) -> Any:
    """Run a program's source, defining its forward and backward in its globals."""
    exec(builtins.compile(written.text, f"<compiled {name}>", "exec"), written.globals)
    return written


def _ignore(*args: Any) -> None:
    return None


def _ones_like(x: Any) -> Any:
    return 1.0 if type(x) is float else np.ones_like(x)


# ----- signatures and inputs ------------------------------------------------------------------
def _signature(x: Any, inputs: List[Any]) -> Any:
    """What a program depends on in `x` (shapes and dtypes of arrays and Values, the values
    of everything else), collecting the arrays and Values into `inputs`. Each kind of thing
    gives a key of its own form: (shape, dtype) for an array, four items for a Value, (type
    name, items) for a list or tuple, three items for anything else. (Runs on every call:
    dtypes are compared as objects, whose equality is numpy's, not as strings.)"""
    t = type(x)
    if t is np.ndarray:
        inputs.append(x)
        return (x.shape, x.dtype)
    if t is tuple and not x:                # a function of no arguments
        return _NO_ARGUMENTS
    if isinstance(x, Value):
        inputs.append(x)
        return (x.shape, x.dtype, type(x._data), x.requires_grad)
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, tuple([_signature(e, inputs) for e in x]))
    if isinstance(x, dict):
        return ("dict", tuple([(k, _signature(x[k], inputs)) for k in x]))
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"compile: an argument of type {type(x).__name__} is neither an array, "
                        "a Value nor hashable: pass arrays, Values, numbers, strings, or lists "
                        "and tuples of them") from None
    return ("static", type(x), x)


_NO_ARGUMENTS = ("tuple", ())


def _resampled(x: Any, rng: np.random.Generator) -> Any:
    """The same kind of data, each element drawn from its own elements (a Python float moved
    by 0.5; a one-element array moved by 0.5, or an integer's last bit flipped)."""
    if type(x) is float:
        return x + 0.5
    if x.size < 2:                      # (np.asarray: arithmetic on 0-d gives a scalar)
        return np.asarray(x + 0.5 if x.dtype.kind == "f" else x ^ 1 if x.dtype.kind in "iu"
                          else ~x, dtype=x.dtype).reshape(x.shape)
    flat = x.reshape(-1)
    drawn = flat[rng.integers(0, x.size, x.size)]
    if np.array_equal(drawn, flat):     # the draw happened to keep it: roll it
        drawn = np.roll(flat, 1)
    return drawn.reshape(x.shape)


def _nudged(x: Any, rng: np.random.Generator) -> Any:
    """Floats moved by up to 0.1% of themselves (and by 1e-3 where 0); other data kept."""
    if type(x) is float:
        return x * 1.001 if x else 1e-3
    if x.dtype.kind != "f":
        return x
    step = rng.uniform(0.5, 1.0, x.shape) * 1e-3
    return np.asarray(x + np.where(x == 0, step, x * step), dtype=x.dtype).reshape(x.shape)


def _resampled_and_nudged(x: Any, rng: np.random.Generator) -> Any:
    return _nudged(_resampled(x, rng), rng)


def _other(x: Any, inputs: List[Any], change: Callable[[Any], Any], memo: Dict[int, Any]) -> Any:
    """`x` with every array and Value replaced by one of changed data (collected into
    `inputs` in the order `_signature` collects them; one object given twice stays one)."""
    if type(x) is np.ndarray or isinstance(x, Value):
        if id(x) not in memo:
            memo[id(x)] = change(x) if type(x) is np.ndarray else Value(
                change(x._data), requires_grad=x.requires_grad)
        inputs.append(memo[id(x)])
        return inputs[-1]
    if isinstance(x, (list, tuple)):
        return type(x)(_other(e, inputs, change, memo) for e in x)
    if isinstance(x, dict):
        return {k: _other(v, inputs, change, memo) for k, v in x.items()}
    return x


def _change_state(run: Run, change: Callable[[Any], Any]) -> Callable[[], None]:
    """Change the data of the parameters and buffers the run read; returns the undo."""
    leaves = [(leaf, leaf._data) for leaf in run.leaves]
    buffers = [(m, name, getattr(m, name)) for m, name in run.buffers]
    for leaf, data in leaves:
        leaf._data = change(data)       # not an in-place write: no version stamp
    for m, name, data in buffers:
        _set_buffer(m, name, change(data))

    def restore() -> None:
        for leaf, data in leaves:
            leaf._data = data
        for m, name, data in buffers:
            _set_buffer(m, name, data)
    return restore


def _set_buffer(module: Any, name: str, array: np.ndarray) -> None:
    """Swap a buffer's array without the module's checks (it is put back after recording)."""
    module._buffers[name] = array
    object.__setattr__(module, name, array)


def _module_state(module: Any) -> tuple:
    """What a program read of a module besides its data: train/eval mode, its parameter and
    sub-module objects (by identity: one assigned anew is another), and its settings (plain
    attributes holding numbers, strings, tuples: Dropout's p, BatchNorm's eps)."""
    settings = tuple([(k, v) for k, v in vars(module).items()
                      if type(v) in _SETTING_TYPES and not k.startswith("_")])
    return (module.training, tuple(map(id, module._parameters.values())),
            tuple(map(id, module._modules.values())), settings)


_SETTING_TYPES = frozenset((bool, int, float, str, tuple, type(None)))


def _named(modules: List[Any]) -> List[Tuple[str, Any]]:
    return [(type(m).__name__, m) for m in modules]


def _input_names(fn: Callable, args: tuple, kwargs: dict, count: int) -> List[str]:
    """Names for the flattened arrays and Values: the parameter names of `fn`."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {f"arg{i}": a for i, a in enumerate(args)} | dict(kwargs)
    names: List[str] = []

    def visit(x: Any, name: str) -> None:
        if type(x) is np.ndarray or isinstance(x, Value):
            names.append(name)
        elif isinstance(x, (list, tuple)):
            for i, e in enumerate(x):
                visit(e, f"{name}_{i}")
        elif isinstance(x, dict):
            for k, v in x.items():
                visit(v, f"{name}_{k}")
    for name, x in bound.items():
        visit(x, name)
    return names if len(names) == count else [f"x{i}" for i in range(count)]


def _leaf_names(leaves: List[Value], modules: List[Any]) -> List[str]:
    """Parameters by their names in the outermost module that holds them, else their own
    `.name`, else p0, p1, ..."""
    name_of: Dict[int, str] = {}
    for m in modules:
        for name, p in m.named_parameters():
            name_of.setdefault(id(p), name)
    return [name_of.get(id(leaf)) or leaf.name or f"p{j}" for j, leaf in enumerate(leaves)]
