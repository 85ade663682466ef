"""Containers of modules that register what they hold: `ModuleList`, `ModuleDict` and
`Sequential` (a list of parameters is an `nn.ParameterList`). A plain list or dict of layers
would not be registered, so models keep their layers in these."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from nn.module import Module


def _position(index: Any, length: int, caller: str) -> int:
    """A list index (negative counts from the end) checked against `length`."""
    if not isinstance(index, int):
        raise TypeError(f"{caller}: indices must be integers or slices, got a "
                        f"{type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{caller}: index {index} is out of range for {length} items")
    return index % length


class ModuleList(Module):
    """A list of modules, registered as `0`, `1`, ... (so parameters are named
    `layers.0.W` when the list is `self.layers`).

    >>> import nn
    >>> layers = ModuleList([nn.Layer(2, 3, seed=0), nn.Layer(3, 1, seed=1)])
    >>> len(layers), [n for n, _ in layers.named_parameters()][:2]
    (2, ['0.W', '0.b'])
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module: Module) -> "ModuleList":
        """Add `module` at the end; returns self."""
        self.register_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        """Add each of `modules` at the end; returns self."""
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: Union[int, slice]) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(_position(index, len(self), "ModuleList"))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.register_module(str(_position(index, len(self), "ModuleList")), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys.

    >>> import nn
    >>> heads = ModuleDict({'mean': nn.Layer(4, 1, seed=0), 'log_var': nn.Layer(4, 1, seed=1)})
    >>> [n for n, _ in heads.named_parameters()]
    ['mean.W', 'mean.b', 'log_var.W', 'log_var.b']
    """

    def __init__(self, modules: Optional[Mapping[str, Module]] = None) -> None:
        super().__init__()
        for key, module in (modules or {}).items():
            self[key] = module

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r} (have: "
                           f"{', '.join(self._modules) or 'none'})")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.register_module(key, module)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> List[str]:
        return list(self._modules)

    def values(self) -> List[Module]:
        return list(self._modules.values())

    def items(self) -> List[Tuple[str, Module]]:
        return list(self._modules.items())


class Sequential(ModuleList):
    """Modules applied one after the other, registered as `0`, `1`, ... as in PyTorch (so a
    PyTorch Sequential's state_dict keys, `0.weight`, ..., are ours too).

    >>> import numpy as np
    >>> import nn
    >>> model = Sequential(nn.Linear(2, 4, seed=0), nn.Activation('relu'), nn.Linear(4, 1, seed=1))
    >>> model(np.ones((3, 2))).shape, [n for n, _ in model.named_parameters()][:2]
    ((3, 1), ['0.weight', '0.bias'])
    """

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(m).__name__}, not a Module "
                                "(wrap functions in nn.Activation)")
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for layer in self:
            x = layer(x)
        return x

    def __getitem__(self, index: Union[int, slice]) -> Any:
        if isinstance(index, slice):
            return Sequential(*list(self._modules.values())[index])
        return super().__getitem__(index)
