"""Names from a model: each parameter's dotted name, the module that owns it, and the module
each node of a graph belongs to.

Only `model.named_parameters()` and (optionally) `model.named_modules()` are used, with
PyTorch's meaning: `('layers.0.W', value)` and `('layers.0', module)`, the model itself ''.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from visualize.trace import Graph


def parameter_names(model: Any) -> Dict[int, Tuple[str, str]]:
    """Map `id(parameter)` to `(dotted name, owning module name)`; empty for no model.

    >>> class Tiny:
    ...     def named_parameters(self): return [('layer.w', w)]
    ...     def named_modules(self): return [('', self), ('layer', None)]
    >>> from autograd import Value
    >>> w = Value(1.0); parameter_names(Tiny())[id(w)]
    ('layer.w', 'layer')
    """
    if model is None:
        return {}
    if not hasattr(model, "named_parameters"):
        raise TypeError(f"draw: model= must have named_parameters() (an nn.Module), got "
                        f"{type(model).__name__}")
    modules = None
    if hasattr(model, "named_modules"):
        modules = {name for name, _ in model.named_modules()}
    return {id(p): (name, _owner(name, modules)) for name, p in model.named_parameters()}


def _owner(name: str, modules: Optional[set]) -> str:
    """The longest module name that prefixes `name` ('' is the model itself)."""
    parts = name.split(".")[:-1]
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if modules is None or prefix in modules:
            return prefix
    return ""


def truncate(module: str, depth: int) -> str:
    """The first `depth` components of a dotted module name.

    >>> truncate('layers.1.neurons.3', 2)
    'layers.1'
    """
    return ".".join(module.split(".")[:depth]) if module else ""


def node_modules(graph: Graph, names: Dict[int, Tuple[str, str]]) -> List[Optional[str]]:
    """The module of every node of `graph`: a parameter's owner; for an op, the module of its
    first parameter input, else the longest module shared by its inputs'; None where no
    parameter lies upstream (inputs, constants, or no model).

    >>> from autograd import Value
    >>> from visualize.trace import trace
    >>> w = Value(2.0); g = trace((w * 3.0).tanh())
    >>> node_modules(g, {id(w): ('layer.w', 'layer')})
    ['layer', None, 'layer', 'layer']
    """
    modules: List[Optional[str]] = [None] * len(graph)
    for i, (v, ps) in enumerate(zip(graph.nodes, graph.parents)):
        if not ps:
            if id(v) in names:
                modules[i] = names[id(v)][1]
            continue
        named = next((p for p in ps if not graph.parents[p] and id(graph.nodes[p]) in names),
                     None)
        if named is not None:
            modules[i] = modules[named]
            continue
        found = [modules[p].split(".") for p in ps if modules[p] is not None]
        if found:
            common = found[0]
            for parts in found[1:]:
                k = 0
                while k < min(len(parts), len(common)) and parts[k] == common[k]:
                    k += 1
                common = common[:k]
            modules[i] = ".".join(common)
    return modules


def node_label(graph: Graph, names: Dict[int, Tuple[str, str]], i: int) -> str:
    """What node `i` is called in text: its name, else its parameter name, else its op and
    number (`tanh#5`), or `leaf#2` / `const#3`.

    >>> from autograd import Value
    >>> from visualize.trace import trace
    >>> g = trace(Value(2.0, name='x').tanh())
    >>> node_label(g, {}, 0), node_label(g, {}, 1)
    ('x', 'tanh#1')
    """
    v = graph.nodes[i]
    if v.name:
        return v.name
    if id(v) in names:
        return names[id(v)][0]
    if graph.parents[i]:
        return f"{v.op}#{i}"
    return f"leaf#{i}" if v.requires_grad else f"const#{i}"
