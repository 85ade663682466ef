"""`Parameter`, the Values a `Module` trains, and `ParameterList`, a list of them."""
from __future__ import annotations

from typing import Any, Iterable

from autograd import Value


class Parameter(Value):
    """A Value that a Module registers as trainable when it is assigned as an attribute
    (`self.W = nn.Parameter(...)`), as PyTorch's `nn.Parameter`. Plain Values assigned to a
    module are not parameters: an input or a constant never becomes one by accident.

    Operations on a Parameter give plain Values. Like any Value, its `grad` is None until a
    backward pass reaches it, and None again after `zero_grad()`.

    >>> w = Parameter([1.0, 2.0]); (w * w).sum().backward(); w.grad
    array([2., 4.])
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Value"):]


def _checked(value: Any) -> Parameter:
    if not isinstance(value, Parameter):
        raise TypeError(f"ParameterList: items must be nn.Parameter, got a "
                        f"{type(value).__name__} (wrap it: nn.Parameter(value))")
    return value


class ParameterList(list):
    """A list of Parameters that a Module registers under one attribute: item i is the
    parameter `<attribute>.<i>`, wherever the list stands when the module is walked
    (micrograd's neuron keeps its weights as `n.w`: `n.w[0]` is `w.0`). Only Parameters go
    in; otherwise it is a plain list, as fast to iterate.

    >>> w = ParameterList([Parameter(1.0), Parameter(2.0)])
    >>> len(w), w[1].data
    (2, 2.0)
    """

    def __init__(self, values: Iterable[Parameter] = ()) -> None:
        super().__init__(_checked(v) for v in values)

    def append(self, value: Parameter) -> None:
        super().append(_checked(value))

    def extend(self, values: Iterable[Parameter]) -> None:
        super().extend(_checked(v) for v in values)

    def insert(self, index: Any, value: Parameter) -> None:
        super().insert(index, _checked(value))

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, [_checked(v) for v in value] if isinstance(index, slice)
                            else _checked(value))

    def __iadd__(self, values: Iterable[Parameter]) -> "ParameterList":  # type: ignore[override]
        self.extend(values)
        return self

    def __repr__(self) -> str:
        return f"ParameterList({list.__repr__(self)})"
