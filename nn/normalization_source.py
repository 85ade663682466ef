"""`LayerNorm`'s standardization written out as numpy source, for `autograd.compile`'s programs
(registered by `nn.normalization`): the forward makes the numpy calls of
`_standardize_forward`, and the VJP reads the forward's 1 / sqrt(var + eps) again where the op's
own VJP computes it anew from x (the same calls on the same numbers: the same bits), so a
compiled backward pass skips the mean, the centring and the variance a second time."""
from __future__ import annotations

from typing import Optional

import numpy as np

from autograd.vjp_source import Code, Site, operand


def _arrays(site: Site) -> bool:
    """Whether the op standardizes a float array (0-d data and Python floats are left to the
    op)."""
    x = site.data[0]
    return type(x) is np.ndarray and x.ndim > 0 and x.dtype.kind == "f"


def standardize_forward(site: Site) -> Optional[Code]:
    """(x - mean) * (mean((x - mean)^2) + eps)^-0.5 over the op's axes."""
    if not _arrays(site):
        return None
    x, axes, eps = operand(site.args[0]), site.attrs["axes"], site.attrs["eps"]
    centred, inverse_std = site.temp("centred"), site.temp("inverse_std")
    lines = (f"{centred} = {x} - {x}.mean(axis={axes!r}, keepdims=True)",
             f"{inverse_std} = (({centred} * {centred}).mean(axis={axes!r}, keepdims=True) "
             f"+ {eps!r}) ** -0.5")
    return Code(lines, f"{centred} * {inverse_std}")


def standardize_vjp(j: int, site: Site) -> Optional[str]:
    """(g - mean(g) - y mean(g y)) / s with 1 / s the forward's."""
    if not _arrays(site) or "inverse_std" not in site.temps:
        return None
    g, y, axes = operand(site.g), operand(site.ans), site.attrs["axes"]
    return (f"{site.temps['inverse_std']} * ({g} - {g}.mean(axis={axes!r}, keepdims=True) "
            f"- {y} * ({g} * {y}).mean(axis={axes!r}, keepdims=True))")
