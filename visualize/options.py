"""What a drawing shows (`Options`, the keyword arguments of `draw_dot`) and one moment of a
backward pass (`Step`, for `backprop_frames`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from autograd.health import check_learning_rate
from nn.checks import int_at_least

RANKDIRS = ("LR", "RL", "TB", "BT")


@dataclass(frozen=True)
class Options:
    """What to show; the keyword arguments of `draw_dot`."""

    rankdir: str = "LR"
    show_data: bool = True
    show_grad: bool = True
    max_elems: int = 6
    precision: int = 4
    color: Optional[str] = "grad"
    max_nodes: int = 500
    check: bool = False
    lr: Optional[float] = None

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"draw_dot: rankdir must be one of {RANKDIRS}, got "
                             f"{self.rankdir!r}")
        if self.color not in (None, "grad"):
            raise ValueError(f"draw_dot: color must be 'grad' (gradient health) or None "
                             f"(plain), got {self.color!r}")
        int_at_least(self.max_nodes, "max_nodes", "draw_dot", 10)
        int_at_least(self.max_elems, "max_elems", "draw_dot", 0)
        int_at_least(self.precision, "precision", "draw_dot", 0)
        check_learning_rate(self.lr, "draw_dot")


@dataclass(frozen=True)
class Step:
    """One moment of a backward pass: the gradients known so far and the node at work."""

    grads: Dict[int, Any]
    current: int
