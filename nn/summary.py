"""`Module.summary()`: a Keras-style table of a model's layers, sizes and parameter counts."""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from nn.containers import ParameterList, own_parameters
from nn.module import Module


def summary_table(model: Module, input_size: Optional[int] = None) -> str:
    """One row per layer: modules without sub-layers, and modules holding parameters of their
    own next to sub-layers (their row counts only those). Pure containers (ModuleList,
    Sequential) give no row; a ParameterList's parameters count for the module holding it."""
    rows: List[Tuple[str, str, str]] = [("Layer (type)", "Output", "Params")]
    size = input_size
    for name, module in model.named_modules():
        if isinstance(module, ParameterList):
            continue
        own = own_parameters(module)
        has_layers = any(not isinstance(c, ParameterList) for c in module.children())
        if has_layers and not own:
            continue
        if not has_layers:
            size = module.output_size(size)
        count = sum(p.size for p in (own if has_layers else module.parameters()))
        label = f"{name} ({type(module).__name__})" if name else type(module).__name__
        rows.append((label, "?" if size is None else f"(N, {size})", f"{count:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    rule = "-" * (sum(widths) + 4)

    def fmt(r: Tuple[str, str, str]) -> str:
        return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}"

    buffers = sum(int(np.size(b)) for _, b in model.named_buffers())
    lines = [f'Model: "{type(model).__name__}"', rule, fmt(rows[0]), rule]
    lines += [fmt(r) for r in rows[1:]]
    lines += [rule, f"Total params: {model.num_parameters():,}",
              f"Non-trainable buffers: {buffers:,}", rule]
    return "\n".join(lines)
