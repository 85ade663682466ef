"""`Parameter`: the Values a `Module` trains."""
from __future__ import annotations

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
