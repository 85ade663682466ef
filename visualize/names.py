"""Names from a model: each parameter's dotted name and the module that owns it.

Only `model.named_parameters()` and (optionally) `model.named_modules()` are used, with
PyTorch's meaning: `('layers.0.W', value)` and `('layers.0', module)`, the model itself ''.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple


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
