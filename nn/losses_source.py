"""Cross-entropy with integer labels written out as numpy source, for `autograd.compile`'s
programs (registered by `nn.losses`): the forward and the VJP make the numpy calls of
`_labelled_xent` and `_labelled_xent_vjp`, so compiled gradients equal eager ones bit for bit,
without a call into the op per step. The VJP reads the forward's exponentials of the shifted
scores and their row sums again instead of computing them anew (the same calls on the same
numbers: the same bits)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from autograd.vjp_source import Code, Site, operand


def _labelled(site: Site) -> Optional[tuple]:
    """(rows, the labels as source, reduction) when the op's source can be written: float
    scores of shape (N, C) and N integer labels; else None."""
    logits, labels = site.data[0], site.attrs["labels"]
    if not (type(logits) is np.ndarray and logits.ndim == 2 and logits.dtype.kind == "f"
            and type(labels) is np.ndarray and labels.dtype.kind in "iu"
            and labels.shape == logits.shape[:1]):
        return None
    return logits.shape[0], site.attr_text["labels"], site.attrs["reduction"]


def xent_forward(site: Site) -> Optional[Code]:
    """Per row logsumexp(z) - z[label], shifted by the row maximum, then reduced."""
    found = _labelled(site)
    if found is None:
        return None
    n, labels, reduction = found
    z = site.args[0]
    shifted, exps, rows = site.temp("shifted"), site.temp("exp_shifted"), site.temp("xent_rows")
    sums = site.temp("exp_sums")
    lines = (f"{shifted} = {operand(z)} - np.maximum.reduce({z}, axis=1, keepdims=True)",
             f"{exps} = np.exp({shifted})",
             f"{sums} = np.add.reduce({exps}, axis=1, keepdims=True)",
             f"{rows} = np.log({sums}[:, 0]) - {shifted}[np.arange({n}), {labels}]")
    if reduction == "none":
        return Code(lines, rows)
    total = f"np.add.reduce({rows})"
    return Code(lines, f"{total} / {n}" if reduction == "mean" else total)


def xent_vjp(j: int, site: Site) -> Optional[Code]:
    """(softmax(z) - onehot(label)) times g per row ('none'), g / N ('mean') or g ('sum').
    Subtracting 1 at each row's label in place gives the bits of subtracting the one-hot rows
    (x - 0 is x; each row has one label)."""
    found = _labelled(site)
    if found is None or "exp_sums" not in site.temps:
        return None
    n, labels, reduction = found
    exps, sums, probs = site.temps["exp_shifted"], site.temps["exp_sums"], site.temp("softmax")
    lines = (f"{probs} = {exps} / {sums}",
             f"{probs}[np.arange({n}), {labels}] -= 1")
    g = operand(site.g)
    scale = {"none": f"{g}[:, None]", "mean": f"({g} / {n})", "sum": g}[reduction]
    return Code(lines, f"{probs} * {scale}")
