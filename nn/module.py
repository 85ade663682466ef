"""`Module`: registered parameters, buffers and sub-modules, forward hooks, modes and state."""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Set, Tuple

import numpy as np

from autograd import Value
from autograd.grad_mode import RECORD, current_mode
from autograd.tape import note_module
from nn import checks
from nn.hooks import RemovableHandle, add_hook
from nn.parameter import Parameter, ParameterList
from nn.serialization import Architecture, load_file, save_arrays

ForwardHook = Callable[["Module", tuple, Any], Any]
ForwardPreHook = Callable[["Module", tuple], Any]


class _SetByInit:
    """Class-level stand-in for the registries `Module.__init__` puts on every instance (the
    instance's own attribute hides it): reading it means that __init__ was skipped."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, module: Any, owner: Optional[type] = None) -> Any:
        if module is None:
            return self
        raise AttributeError(f"{type(module).__name__} has no {self.name}: its __init__ must "
                             "call super().__init__() first")


class Module:
    """Base class of layers and models: calling one runs `forward` (and its forward hooks).

    As in PyTorch, assigning an `nn.Parameter` to an attribute registers a parameter and
    assigning a Module registers a sub-module, in assignment order; `register_buffer` registers
    an array that is saved but not trained. Everything else is a plain attribute: a Value that
    is not a Parameter (an input, a constant) is never trained. Lists and dicts of modules or
    parameters go in `nn.ModuleList`, `nn.ModuleDict` or `nn.ParameterList`; a plain list or
    dict holding them is refused, since its parameters would silently not be trained or saved.
    Subclasses call `super().__init__()` before assigning parameters or modules.

    >>> import nn
    >>> class Scale(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.s = nn.Parameter(2.0)
    ...     def forward(self, x):
    ...         return x * self.s
    >>> [name for name, _ in Scale().named_parameters()]
    ['s']
    """

    training = _SetByInit()
    _parameters = _SetByInit()
    _buffers = _SetByInit()
    _modules = _SetByInit()
    _non_persistent = _SetByInit()
    _forward_pre_hooks = _SetByInit()
    _forward_hooks = _SetByInit()

    def __init__(self) -> None:
        for name, empty in (("_parameters", {}), ("_buffers", {}), ("_modules", {}),
                            ("_non_persistent", set()), ("_forward_pre_hooks", {}),
                            ("_forward_hooks", {})):
            object.__setattr__(self, name, empty)
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if current_mode() & RECORD:
            note_module(self)           # a compiled program depends on its train/eval mode
        if self._forward_pre_hooks or self._forward_hooks:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: Dict[str, Any]) -> Any:
        """`forward` between the hooks: a pre-hook returning something replaces the positional
        arguments, a forward hook returning something replaces the output (PyTorch's rules)."""
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(self, hook: ForwardHook) -> RemovableHandle:
        """Call `hook(module, args, output)` after every forward; returns a handle whose
        `remove()` takes it off. Hooks observe a layer without living in it.

        >>> import nn, numpy as np
        >>> layer = nn.Layer(2, 3, seed=0)
        >>> seen = []
        >>> handle = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        >>> _ = layer(np.ones((4, 2))); handle.remove(); _ = layer(np.ones((1, 2))); seen
        [(4, 3)]
        """
        return add_hook(self._forward_hooks, hook, "register_forward_hook")

    def register_forward_pre_hook(self, hook: ForwardPreHook) -> RemovableHandle:
        """Call `hook(module, args)` before every forward (it may return new arguments);
        returns a handle whose `remove()` takes it off."""
        return add_hook(self._forward_pre_hooks, hook, "register_forward_pre_hook")

    # ----- registration -------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None and isinstance(value, (Parameter, ParameterList, Module)):
            kind = "module" if isinstance(value, Module) else "parameter"
            raise AttributeError(f"cannot assign {kind} {name!r} before Module.__init__() call: "
                                 f"{type(self).__name__}.__init__ must call super().__init__() "
                                 "first")
        if isinstance(value, (Parameter, ParameterList)):
            self._unregister(name, keep=params)
            params[name] = value
        elif params is not None and name in params:
            self._check_type(name, value, None, "parameter",
                             "nn.Parameter, nn.ParameterList or None")
            params[name] = value
        elif isinstance(value, Module):
            self._unregister(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            self._check_type(name, value, None, "sub-module", "an nn.Module or None")
            self._modules[name] = value
        elif params is not None and name in self._buffers:
            self._check_type(name, value, np.ndarray, "buffer", "a numpy array or None")
            self._buffers[name] = value
        else:
            _refuse_unregistered(self, name, value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        object.__delattr__(self, name)

    def _unregister(self, name: str, keep: Optional[Dict[str, Any]] = None) -> None:
        """Drop `name` from every registry but `keep` (which it stays in, at its place)."""
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent.discard(name)

    def _check_type(self, name: str, value: Any, kind: Optional[type], role: str,
                    expected: str) -> None:
        if value is not None and (kind is None or not isinstance(value, kind)):
            raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} as "
                            f"{role} {name!r} ({expected} expected)")

    def _check_new_name(self, name: Any, registry: Dict[str, Any], caller: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{caller}: the name must be a str, got a {type(name).__name__}")
        if not name or "." in name:
            raise ValueError(f"{caller}: the name must be non-empty and without '.', got "
                             f"{name!r}")
        if name in self.__dict__ and name not in registry:
            raise ValueError(f"{caller}: {type(self).__name__} already has an attribute "
                             f"{name!r}")

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Register `param` (or None: a parameter slot left empty, such as a missing bias)."""
        self._check_new_name(name, self._parameters, "register_parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be an nn.Parameter or None, got "
                            f"a {type(param).__name__} (wrap it: nn.Parameter(value))")
        self._unregister(name, keep=self._parameters)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_module(self, name: str, module: Optional["Module"]) -> None:
        """Register a sub-module under `name` (PyTorch's add_module)."""
        self._check_new_name(name, self._modules, "register_module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"register_module: {name!r} must be an nn.Module or None, got a "
                            f"{type(module).__name__}")
        self._unregister(name, keep=self._modules)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    def register_buffer(self, name: str, array: Any, persistent: bool = True) -> None:
        """Register `array` as attribute `name`: moved by `astype`, never trained, and saved
        with the parameters unless `persistent=False`."""
        self._check_new_name(name, self._buffers, "register_buffer")
        if isinstance(array, Value):
            raise TypeError(f"register_buffer: {name!r} must be a numpy array, got a Value "
                            "(buffers are not trained; use nn.Parameter for a trained one)")
        self._unregister(name, keep=self._buffers)
        buffer = None if array is None else np.asarray(array)
        self._buffers[name] = buffer
        if not persistent:
            self._non_persistent.add(name)
        object.__setattr__(self, name, buffer)

    # ----- structure ----------------------------------------------------------------------
    def _in_order(self, registry: Dict[str, Any]) -> Iterator[Tuple[str, Any]]:
        """(name, item) of a registry's non-None entries in assignment order (every registered
        name is also an attribute, and attributes keep their order)."""
        for name in list(self.__dict__):
            item = registry.get(name)
            if item is not None:
                yield name, item

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        """(name, module) for the direct sub-modules, each once."""
        seen: Set[int] = set()
        for name, module in self._in_order(self._modules):
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator["Module"]:
        """The direct sub-modules."""
        return (m for _, m in self.named_children())

    def named_modules(self, memo: Optional[Set[int]] = None, prefix: str = ""
                      ) -> Iterator[Tuple[str, "Module"]]:
        """(dotted name, module) for this module ('' for itself) and every descendant, parents
        before children, each module once (PyTorch's semantics)."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._in_order(self._modules):
            yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        """This module and every descendant."""
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[Tuple[str, Parameter]]:
        """(dotted name, parameter) in assignment order, a sub-module's parameters where the
        sub-module was assigned and a ParameterList's where it was (micrograd's neuron lists
        `w.0, w.1, ..., b`), each parameter and module once; only this module's own with
        `recurse=False`.

        >>> from nn import MLP
        >>> [n for n, _ in MLP(2, [3, 1], seed=0).named_parameters()]
        ['layers.0.W', 'layers.0.b', 'layers.1.W', 'layers.1.b']
        """
        seen: Set[int] = set()
        modules: Set[int] = set()

        def walk(module: Module, path: str) -> Iterator[Tuple[str, Parameter]]:
            modules.add(id(module))
            for name in list(module.__dict__):
                full = f"{path}.{name}" if path else name
                held = module._parameters.get(name)
                child = module._modules.get(name) if recurse else None
                items = enumerate(held) if isinstance(held, ParameterList) else [(None, held)]
                for i, p in items:
                    if p is not None and id(p) not in seen:
                        seen.add(id(p))
                        yield (full if i is None else f"{full}.{i}"), p
                if child is not None and id(child) not in modules:
                    yield from walk(child, full)

        return walk(self, prefix)

    def parameters(self, recurse: bool = True) -> List[Parameter]:
        """Every parameter, in the order of `named_parameters`."""
        return [p for _, p in self.named_parameters(recurse=recurse)]

    def named_buffers(self, prefix: str = "", recurse: bool = True
                      ) -> Iterator[Tuple[str, np.ndarray]]:
        """(dotted name, array) for every registered buffer."""
        modules = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, buffer in module._in_order(module._buffers):
                yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse: bool = True) -> List[np.ndarray]:
        """Every buffer, in the order of `named_buffers`."""
        return [b for _, b in self.named_buffers(recurse=recurse)]

    def num_parameters(self) -> int:
        """The number of trainable numbers."""
        return int(sum(p.size for p in self.parameters()))

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (`grad` reads None again)."""
        for p in self.parameters():
            p.zero_grad()

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Switch gradients of every parameter on or off (to freeze a part of a model);
        returns self."""
        for p in self.parameters():
            p.requires_grad = bool(requires_grad)
        return self

    # ----- modes and dtype ----------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (dropout active, batch statistics) on this module and below."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Set evaluation mode (dropout off, running statistics) on this module and below."""
        return self.train(False)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the first parameter (float64 for a module without parameters)."""
        for p in self.parameters():
            return p.dtype
        return np.dtype(np.float64)

    def astype(self, dtype: Any) -> "Module":
        """Convert every parameter and floating buffer to `dtype` in place; returns self."""
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"astype: modules hold floating data; got dtype {dt}")
        for p in self.parameters():
            p.data = float(p.data) if p.ndim == 0 and dt == np.float64 else np.asarray(
                p.data, dtype=dt).copy()
            p.zero_grad()
        for module in self.modules():
            for name, buffer in list(module._buffers.items()):
                if buffer is not None and buffer.dtype.kind == "f":
                    setattr(module, name, buffer.astype(dt))
        return self

    # ----- state --------------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and persistent buffer as numpy arrays, by dotted name."""
        state: "OrderedDict[str, np.ndarray]" = OrderedDict()
        for name, p in self.named_parameters():
            state[name] = np.array(p.data)
        for name, (module, attr) in self._buffer_slots().items():
            state[name] = np.array(module._buffers[attr])
        return state

    def _buffer_slots(self) -> Dict[str, Tuple["Module", str]]:
        """dotted name -> (owning module, attribute) of every persistent buffer."""
        slots = {}
        for module_name, module in self.named_modules():
            for attr, _ in module._in_order(module._buffers):
                if attr not in module._non_persistent:
                    slots[f"{module_name}.{attr}" if module_name else attr] = (module, attr)
        return slots

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy `state` into the parameters and buffers, after checking every name and shape.

        Nothing changes unless everything matches; otherwise a KeyError (names) or ValueError
        (shapes, NaN or infinite values) lists the missing, unexpected and mismatched entries.
        With `strict=False` missing and unexpected names are allowed but shapes must still
        agree. Only names and shapes are compared, not the architecture a file records (see
        `load`): this is how weights go into a model built differently.
        """
        self._assign_state(self._checked_state(state, strict, "load_state_dict", "the state"))

    def _checked_state(self, state: Mapping[str, Any], strict: bool, caller: str,
                       source: str) -> Dict[str, np.ndarray]:
        """`state` as arrays, once every name, shape and value fits this module."""
        shapes = {name: tuple(p.shape) for name, p in self.named_parameters()}
        shapes.update({name: module._buffers[attr].shape
                       for name, (module, attr) in self._buffer_slots().items()})
        arrays = {k: np.asarray(v.data if isinstance(v, Value) else v) for k, v in state.items()}
        missing = [k for k in shapes if k not in arrays]
        unexpected = [k for k in arrays if k not in shapes]
        mismatched = [f"{k}: file {arrays[k].shape} vs model {shapes[k]}"
                      for k in shapes if k in arrays and arrays[k].shape != shapes[k]]
        bad_dtype = [f"{k}: {arrays[k].dtype}" for k in shapes
                     if k in arrays and arrays[k].dtype.kind not in "fiub"]
        problems = []
        if strict and missing:
            problems.append(f"missing: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected: {', '.join(unexpected)}")
        if mismatched:
            problems.append(f"mismatched shapes: {'; '.join(mismatched)}")
        if bad_dtype:
            problems.append(f"non-numeric: {', '.join(bad_dtype)}")
        if problems:
            kind = KeyError if (missing or unexpected) and strict else ValueError
            raise kind(f"{caller}: {source} does not fit this {type(self).__name__} "
                       f"({'; '.join(problems)})")
        for name in shapes:
            if name in arrays:
                checks.finite_array(arrays[name], f"{name!r} in {source}", caller,
                                    fix="the weights come from a diverged run; retrain "
                                        "with a lower learning rate")
        return arrays

    def _assign_state(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Copy checked arrays into the parameters (keeping their dtype, and Python floats for
        scalar ones) and buffers."""
        for name, p in self.named_parameters():
            if name in arrays:
                p.data = (float(arrays[name]) if type(p.data) is float
                          else np.array(arrays[name], dtype=p.dtype))
                p.zero_grad()
        for name, (module, attr) in self._buffer_slots().items():
            if name in arrays:
                setattr(module, attr, np.array(arrays[name], dtype=module._buffers[attr].dtype))

    def config(self) -> Optional[Dict[str, Any]]:
        """The constructor arguments that fix this module's architecture (sizes, activation,
        dtype; not its weights) as JSON values, or None when the module does not describe
        itself. `save` records it (or, without one, the type and the sub-modules' records) and
        `load` compares it. Layers with such arguments override this."""
        return None

    def save(self, path: str) -> None:
        """Write the parameters and persistent buffers to an .npz file atomically (a crash
        never leaves a half-written file at `path`), with a JSON record of the architecture
        (`config()`, else the type and the sub-modules'). The folder must exist; errors name
        `path`."""
        save_arrays(path, self.state_dict(), _architecture(self))

    def load(self, path: str, strict: bool = True) -> "Module":
        """Load parameters saved by `save`; checks everything before changing anything.

        The names and shapes must fit, every value must be finite, and the architecture the
        file records (sizes, activation, dtype, ...) must be this module's: a file from an
        MLP with ReLU does not load into one with tanh, and the ValueError names both. Files
        saved without a record (before records existed) load by names and shapes alone, as
        does `strict=False`. To put the weights into a different architecture on purpose:
        `model.load_state_dict(nn.serialization.load_arrays(path))`. Pickled objects are
        refused; a truncated or foreign file raises ValueError naming it.
        """
        arrays, saved = load_file(path)
        checked = self._checked_state(arrays, strict, "load", repr(os.fspath(path)))
        if strict and saved is not None:
            _check_architecture(saved, _architecture(self), os.fspath(path))
        self._assign_state(checked)
        return self

    # ----- display ------------------------------------------------------------------------
    def output_size(self, input_size: Optional[Any]) -> Optional[Any]:
        """The number of output features for `input_size` input features, or for convolutional
        layers the shape of one output sample for one input sample's shape such as (C, H, W)
        (None if unknown)."""
        size = input_size
        for child in self.children():
            size = child.output_size(size)
        return size

    def extra_repr(self) -> str:
        """The arguments shown in this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"

    def summary(self, input_size: Optional[Any] = None) -> str:
        """A table of the layers with output sizes and parameter counts, and the totals, for
        `input_size` input features or, for convolutional models, one sample's shape: a row
        per module without sub-modules, and per module holding parameters of its own next to
        sub-modules (counting only those); pure containers (ModuleList, Sequential) give none.

        >>> from nn import MLP
        >>> print(MLP(2, [3, 1], seed=0).summary().splitlines()[-3])
        Total params: 13
        """
        rows = [("Layer (type)", "Output", "Params")]
        size = input_size
        for name, module in self.named_modules():
            own = module.parameters(recurse=False)
            has_children = any(True for _ in module.children())
            if has_children and not own:
                continue
            if not has_children:
                size = module.output_size(size)
            count = sum(p.size for p in (own if has_children else module.parameters()))
            label = f"{name} ({type(module).__name__})" if name else type(module).__name__
            rows.append((label, _batch_shape(size), f"{count:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        rule = "-" * (sum(widths) + 4)

        def fmt(r: Tuple[str, str, str]) -> str:
            return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

        buffers = sum(int(np.size(b)) for _, b in self.named_buffers())
        lines = [f'Model: "{type(self).__name__}"', rule, fmt(rows[0]), rule]
        lines += [fmt(r) for r in rows[1:]]
        lines += [rule, f"Total params: {self.num_parameters():,}",
                  f"Non-trainable buffers: {buffers:,}", rule]
        return "\n".join(lines)


def _batch_shape(size: Optional[Any]) -> str:
    """'(N, 16)' or '(N, 8, 28, 28)': a batch of outputs of one sample's size or shape."""
    if size is None:
        return "?"
    return f"(N, {', '.join(str(n) for n in (size if isinstance(size, tuple) else (size,)))})"


def _refuse_unregistered(module: Module, name: str, value: Any) -> None:
    """Raise for a plain list, tuple, set or dict holding modules or parameters: they would not
    be registered, so their parameters would silently not be trained or saved."""
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        return
    holds_modules = any(isinstance(item, Module) for item in items)
    if not holds_modules and not any(isinstance(item, Parameter) for item in items):
        return
    kind = type(value).__name__
    if holds_modules:
        fix = "nn.ModuleDict(...)" if isinstance(value, dict) else "nn.ModuleList(...)"
    else:
        fix = ("one attribute per parameter" if isinstance(value, dict) else
               "nn.ParameterList(...)")
    raise TypeError(f"{type(module).__name__}.{name}: a plain {kind} of "
                    f"{'modules' if holds_modules else 'parameters'} is not registered, so "
                    f"its parameters would not be trained or saved; use {fix} instead")


def _architecture(module: Module) -> Architecture:
    """What a saved file records about `module`: its type and `config()`, or for a module
    without a config (containers, your own modules) its type and its sub-modules' records."""
    record: Architecture = {"type": type(module).__name__}
    config = module.config()
    if config is not None:
        record.update(config)
        return record
    children = {name: _architecture(child) for name, child in module.named_children()}
    if children:
        record["children"] = children
    return record


def _describe(record: Architecture) -> str:
    """An architecture record as a constructor-like line: `MLP(nin=2, nouts=[3, 1], ...)`."""
    fields = [f"{key}={value!r}" for key, value in record.items()
              if key not in ("type", "children")]
    fields += [f"{name}={_describe(child)}" for name, child in record.get("children", {}).items()]
    return f"{record.get('type', '?')}({', '.join(fields)})"


def _differences(saved: Any, here: Any, at: str = "") -> List[str]:
    """Where two records differ: 'activation: 'relu' in the file, 'tanh' here', ..., with the
    dotted place of a sub-module's field ('layers.1.activation')."""
    if not (isinstance(saved, dict) and isinstance(here, dict)):
        return [] if saved == here else [f"{at}: {saved!r} in the file, {here!r} here"]
    found: List[str] = []
    for key in list(saved) + [k for k in here if k not in saved]:
        inside = key == "children" and isinstance(saved.get(key), dict) and isinstance(
            here.get(key), dict)
        place = ".".join(filter(None, [at, "" if inside else key]))
        found += _differences(saved.get(key), here.get(key), place)
    return found


def _check_architecture(saved: Architecture, here: Architecture, path: str) -> None:
    """Refuse to load a file recorded from another architecture, naming both and the fix."""
    found = _differences(saved, here)
    if found:
        raise ValueError(f"load: {path!r} was saved from {_describe(saved)}, but this model is "
                         f"{_describe(here)} ({'; '.join(found)}); build the model the file "
                         "records, or load only the weights with "
                         "model.load_state_dict(nn.serialization.load_arrays(path))")
