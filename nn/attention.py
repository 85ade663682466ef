"""Attention and the Transformer encoder, with PyTorch's names, signatures, parameter names and
layouts, so a PyTorch state_dict of the same modules loads as it is.

`scaled_dot_product_attention` (also `nn.functional.scaled_dot_product_attention`) is the
function; `MultiheadAttention`, `TransformerEncoderLayer`, `TransformerEncoder` and
`PositionalEncoding` are the modules. All heads and samples are computed together, as batched
matrix products over arrays of shape (N, heads, L, head_dim).

Masks follow PyTorch, whose two conventions differ:

- in `scaled_dot_product_attention` a boolean `attn_mask` is True where a query *may* attend to
  a key;
- in `MultiheadAttention` and the Transformer modules a boolean `attn_mask`, `mask` or
  `key_padding_mask` is True where attention is *forbidden* (a padded key, a future position).

A float mask is added to the scores in both (0 keeps a key, -inf removes it). `is_causal=True`
removes every key after the query's position, on top of any mask given.

A query whose keys are all removed has nothing to attend to: its weights are all 0 and its
output is 0 (the empty weighted sum), with zero gradients, as PyTorch's
`scaled_dot_product_attention` gives. (PyTorch's `MultiheadAttention` gives NaN there when
`need_weights=True` and 0 otherwise; here it is 0 in both.)

>>> import nn, numpy as np
>>> mha = nn.MultiheadAttention(8, 2, batch_first=True, seed=0)
>>> x = np.random.default_rng(0).normal(size=(3, 5, 8))
>>> out, weights = mha(x, x, x)
>>> out.shape, weights.shape
((3, 5, 8), (3, 5, 5))
"""
from __future__ import annotations

import copy
import math
from typing import Any, Dict, Optional, Tuple

import numpy as np

from autograd import Op, Value, fresh_random, where
from autograd.tape import check_values
from nn import checks
from nn.containers import ModuleList
from nn.init import Rng, as_generator
from nn.module import Module
from nn.normalization import LayerNorm
from nn.parameter import Parameter

Mask = Optional[Any]


def _safe_softmax_forward(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, after subtracting each row's maximum; a row of -inf (every
    key removed) gives zeros instead of 0/0."""
    peak = scores.max(axis=-1, keepdims=True)
    if not np.isfinite(peak).all():
        peak = np.where(peak == -np.inf, 0, peak)      # NaN rows stay NaN
    weights = np.exp(scores - peak)
    total = weights.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    weights /= total
    return weights


# d softmax: w * (g - sum(g * w)) along the row; rows of zeros get zero gradients.
_safe_softmax = Op("safe_softmax", _safe_softmax_forward,
                   lambda g, ans, s: ans * (g - (g * ans).sum(axis=-1, keepdims=True)))


def _as_value(x: Any, dtype: Optional[np.dtype], what: str, caller: str) -> Value:
    """An input as a Value of a floating dtype, `dtype` if given: raw data (which needs no
    gradient) is converted to it, as the other layers do; a Value of another dtype is
    refused."""
    if not isinstance(x, Value):
        x = Value(np.asarray(x, dtype=dtype), requires_grad=False)
    if x.dtype.kind != "f" or (dtype is not None and x.dtype != dtype):
        wanted = "a floating dtype" if dtype is None else dtype
        raise TypeError(f"{caller}: {what} has dtype {x.dtype}, expected {wanted}; convert it "
                        f"with .astype(...) so every input has the same float dtype")
    return x


def _check_float_mask(mask: np.ndarray, what: str, caller: str) -> None:
    if np.isnan(mask).any() or (mask == np.inf).any():
        raise ValueError(f"{caller}: {what} holds NaN or +inf; a float mask holds finite "
                         "numbers or -inf (which removes a key)")


def _additive_mask(mask: Any, true_means_keep: bool, shape: Tuple[int, ...], dtype: np.dtype,
                   what: str, caller: str, fix: str) -> Any:
    """A boolean or float mask as a Value (needing no gradient, unless it is one) to add to
    scores of `shape`: 0 where a key is kept, -inf where it is removed. Raises naming the mask
    if its dtype is neither bool nor float, if it holds NaN or +inf, or if it does not
    broadcast to `shape`."""
    data = np.asarray(mask.data if isinstance(mask, Value) else mask)
    if data.dtype.kind not in "bf":
        raise TypeError(f"{caller}: {what} has dtype {data.dtype}; use a bool mask ({fix}) or "
                        "a float mask added to the scores (0 keeps, -inf removes)")
    try:
        fits = np.broadcast_shapes(data.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{caller}: {what} has shape {data.shape}, which does not broadcast to "
                         f"the scores' shape {shape}")
    if data.dtype == bool:              # ops, so a compiled program reads each call's mask
        kept = Value(np.zeros((), dtype), requires_grad=False)
        removed = Value(np.full((), -np.inf, dtype), requires_grad=False)
        return where(data, kept, removed) if true_means_keep else where(data, removed, kept)
    check_values(_check_float_mask, mask if isinstance(mask, Value) else data, what, caller)
    mask = mask if isinstance(mask, Value) else Value(data, requires_grad=False)
    return mask if mask.dtype == dtype else mask.astype(dtype)


def _causal_mask(length: int, source_length: int, dtype: np.dtype) -> np.ndarray:
    """-inf above the diagonal of a (length, source_length) array: query i sees keys 0..i."""
    return np.triu(np.full((length, source_length), -np.inf, dtype=dtype), 1)


def _attend(query: Value, key: Value, value: Value, mask: Any, dropout_p: float,
            scale: float, rng: Optional[np.random.Generator]) -> Tuple[Value, Value]:
    """softmax(q k^T * scale + mask) @ v over the last two axes, with the weights (after
    dropout, as PyTorch returns them)."""
    scores = (query * scale) @ key.swapaxes(-1, -2)
    if mask is not None:
        scores = scores + mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        generator, shape, dtype = as_generator(rng), weights.shape, weights.dtype
        factor = 0.0 if dropout_p == 1.0 else 1.0 / (1.0 - dropout_p)
        weights = weights * fresh_random(
            lambda: ((generator.random(shape) >= dropout_p) * factor).astype(dtype))
    return weights @ value, weights


def scaled_dot_product_attention(query: Any, key: Any, value: Any, attn_mask: Mask = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: Optional[float] = None, *, seed: Rng = None) -> Value:
    """softmax(query @ key^T * scale + mask) @ value, PyTorch's function of that name.

    query (..., L, E), key (..., S, E), value (..., S, Ev) give (..., L, Ev); the leading axes
    broadcast. `scale` defaults to 1/sqrt(E). `attn_mask` broadcasts to (..., L, S): a bool
    mask is True where the query may attend to the key, a float mask is added to the scores.
    `is_causal` lets query i attend to keys 0..i only (combined with `attn_mask` if both are
    given). Queries with every key removed give 0. Dropout of probability `dropout_p` applies to
    the weights whenever it is above 0 (as in PyTorch); `seed` (an int or a numpy Generator)
    draws it.

    >>> q = np.eye(2)[None]                       # (1, 2, 2): two queries
    >>> out = scaled_dot_product_attention(q, q, np.array([[[1.0], [3.0]]]), is_causal=True)
    >>> out.data.round(4).tolist()
    [[[1.0], [2.3395]]]
    """
    caller = "scaled_dot_product_attention"
    query = _as_value(query, None, "query", caller)
    key = _as_value(key, query.dtype, "key", caller)
    value = _as_value(value, query.dtype, "value", caller)
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ValueError(f"{caller}: query, key and value need at least 2 axes (..., L, E), got "
                         f"shapes {query.shape}, {key.shape} and {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{caller}: query {query.shape}, key {key.shape} and value "
                         f"{value.shape} do not fit: query and key must end in the same "
                         "feature size E, key and value must have the same length S")
    try:
        lead = np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(f"{caller}: the leading (batch) axes of query {query.shape}, key "
                         f"{key.shape} and value {value.shape} do not broadcast") from None
    dropout_p = checks.finite_float(dropout_p, "dropout_p", caller, 0.0, 1.0)
    length, source = query.shape[-2], key.shape[-2]
    shape = lead + (length, source)
    mask = None
    if attn_mask is not None:
        mask = _additive_mask(attn_mask, True, shape, query.dtype, "attn_mask", caller,
                              "True where the query may attend to the key")
    if is_causal:
        causal = _causal_mask(length, source, query.dtype)
        mask = causal if mask is None else mask + causal
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scale = checks.finite_float(scale, "scale", caller)
    return _attend(query, key, value, mask, dropout_p, scale, seed)[0]


class MultiheadAttention(Module):
    """Multi-head attention as PyTorch's `nn.MultiheadAttention` (with kdim = vdim =
    embed_dim): the query, key and value are projected by the rows of `in_proj_weight`
    (3*embed_dim, embed_dim) (query, key, value in that order) plus `in_proj_bias`, split into
    `num_heads` heads of embed_dim // num_heads features, attended per head, joined and
    projected by `out_proj` (an `nn.Linear`).

    Inputs are (L, N, E), or (N, L, E) with `batch_first`, or (L, E) unbatched. `forward`
    returns (output, weights): the weights (N, L, S) are averaged over heads, or per head
    (N, num_heads, L, S) with `average_attn_weights=False`; None with `need_weights=False`.
    Boolean masks are True where attention is forbidden (see the module's docstring).
    Initialisation is PyTorch's: `in_proj_weight` Xavier-uniform, biases 0.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, dtype: Any = np.float64, seed: Rng = None) -> None:
        from nn.linear import Linear     # here: nn.linear leads back to nn.functional
        super().__init__()
        name = "MultiheadAttention"
        self.embed_dim = checks.positive_int(embed_dim, "embed_dim", name)
        self.num_heads = checks.positive_int(num_heads, "num_heads", name)
        if self.embed_dim % self.num_heads:
            divisors = [h for h in range(1, self.embed_dim + 1) if self.embed_dim % h == 0]
            raise ValueError(f"{name}: embed_dim={self.embed_dim} is not divisible by "
                             f"num_heads={self.num_heads}; every head takes embed_dim // "
                             f"num_heads features, so choose num_heads among {divisors}")
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = checks.finite_float(dropout, "dropout", name, 0.0, 1.0)
        self.batch_first = bool(batch_first)
        dt, rng = checks.float_dtype(dtype, name), as_generator(seed)
        e = self.embed_dim
        bound = math.sqrt(6.0 / (e + 3 * e))
        self.in_proj_weight = Parameter(rng.uniform(-bound, bound, (3 * e, e)).astype(dt))
        self.register_parameter("in_proj_bias",
                                Parameter(np.zeros(3 * e, dtype=dt)) if bias else None)
        self.out_proj = Linear(e, e, bias=bias, dtype=dt, seed=rng)
        if bias:
            self.out_proj.bias = Parameter(np.zeros(e, dtype=dt))
        self._rng = rng

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Mask = None,
                need_weights: bool = True, attn_mask: Mask = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> Tuple[Value, Optional[Value]]:
        self_attention = query is key and key is value
        dt = self.in_proj_weight.dtype
        q = _as_value(query, dt, "query", self._name())
        k = q if self_attention else _as_value(key, dt, "key", self._name())
        v = q if self_attention else _as_value(value, dt, "value", self._name())
        batched = self._check_shapes(q, k, v)
        if not batched:
            q, k, v = (x.reshape((1,) + x.shape) for x in (q, k, v))
        elif not self.batch_first:
            q = q.swapaxes(0, 1)
            k, v = (q, q) if self_attention else (k.swapaxes(0, 1), v.swapaxes(0, 1))
        n, length, source = q.shape[0], q.shape[1], k.shape[1]
        mask = self._mask(key_padding_mask, attn_mask, is_causal, batched, n, length, source)
        e, heads, d = self.embed_dim, self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        projected = []
        for i, x in enumerate((q, k, v)):             # rows of tokens: 2-d matrix products
            y = x.reshape((-1, e)) @ w[i * e:(i + 1) * e].T
            if b is not None:
                y = y + b[i * e:(i + 1) * e]
            projected.append(y.reshape((n, x.shape[1], heads, d)).swapaxes(1, 2))
        p = self.dropout if self.training else 0.0
        out, weights = _attend(*projected, mask, p, 1.0 / math.sqrt(d), self._rng)
        out = self.out_proj(out.swapaxes(1, 2).reshape((n * length, e)))
        out = out.reshape((n, length, e))
        if not batched:
            out = out.reshape(out.shape[1:])
        elif not self.batch_first:
            out = out.swapaxes(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, weights if batched else weights.reshape(weights.shape[1:])

    def _name(self) -> str:
        return f"MultiheadAttention({self.extra_repr()})"

    def _check_shapes(self, q: Value, k: Value, v: Value) -> bool:
        """Whether the inputs are batched, once their shapes fit; else a ValueError naming
        them."""
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        expected = (f"query (L, E) or {layout}, key and value of the same shape with "
                    f"length S in place of L, and E = embed_dim = {self.embed_dim}")
        batch_axis = 0 if self.batch_first else 1
        fits = (q.ndim in (2, 3) and k.ndim == q.ndim and k.shape == v.shape
                and q.shape[-1] == k.shape[-1] == self.embed_dim
                and (q.ndim == 2 or q.shape[batch_axis] == k.shape[batch_axis]))
        if not fits:
            raise ValueError(f"{self._name()}: got query {q.shape}, key {k.shape} and value "
                             f"{v.shape}; expected {expected}")
        return q.ndim == 3

    def _mask(self, key_padding_mask: Mask, attn_mask: Mask, is_causal: bool, batched: bool,
              n: int, length: int, source: int) -> Any:
        """key_padding_mask (N, S) or (S,), attn_mask (L, S) or (N*num_heads, L, S) (or
        (num_heads, L, S) unbatched) and the causal mask as one additive mask broadcasting to
        the scores (N, num_heads, L, S)."""
        scores = (n, self.num_heads, length, source)
        dt, caller = self.in_proj_weight.dtype, self._name()
        forbid = "True where attention is forbidden"
        mask = None
        if key_padding_mask is not None:
            shape = np.shape(_as_mask_value(key_padding_mask))
            if shape != ((n, source) if batched else (source,)):
                raise ValueError(f"{caller}: key_padding_mask has shape {shape}; expected "
                                 f"{(n, source) if batched else (source,)} (one entry per "
                                 "key of each sample, True for a padded key)")
            padding = _as_mask_value(key_padding_mask).reshape((n, 1, 1, source))
            mask = _additive_mask(padding, False, scores, dt, "key_padding_mask", caller, forbid)
        if attn_mask is not None:
            shape = np.shape(_as_mask_value(attn_mask))
            allowed = [(length, source), (n * self.num_heads if batched else self.num_heads,
                                          length, source)]
            if shape not in allowed:
                raise ValueError(f"{caller}: attn_mask has shape {shape}; expected "
                                 f"{allowed[0]} or {allowed[1]} (per sample and head)")
            grid = _as_mask_value(attn_mask)
            if len(shape) == 3:
                grid = grid.reshape(scores)
            added = _additive_mask(grid, False, scores, dt, "attn_mask", caller, forbid)
            mask = added if mask is None else mask + added
        if is_causal:
            causal = _causal_mask(length, source, dt)
            mask = causal if mask is None else mask + causal
        return mask

    def config(self) -> Dict[str, Any]:
        return {"embed_dim": self.embed_dim, "num_heads": self.num_heads,
                "dropout": self.dropout, "bias": self.in_proj_bias is not None,
                "batch_first": self.batch_first, "dtype": str(self.dtype)}

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
                + (f", dropout={self.dropout}" if self.dropout else "")
                + (", batch_first=True" if self.batch_first else ""))


def _as_mask_value(mask: Any) -> Any:
    """A mask as an array, or a float Value kept as it is (its gradient flows)."""
    return mask if isinstance(mask, Value) else np.asarray(mask)


class TransformerEncoderLayer(Module):
    """One Transformer encoder layer as PyTorch's: self-attention then a feed-forward block
    (`linear1`, activation, `dropout`, `linear2`), each added to its input (a residual) and
    normalised by `norm1` / `norm2` after the sum (`norm_first=False`, the original Transformer)
    or before the block (`norm_first=True`, steadier to train deep). The sub-modules and so the
    state_dict keys are PyTorch's. `activation` is 'relu', 'gelu' (the exact erf form) or any
    activation of `nn.functional` by name or as a callable.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: Any = "relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 dtype: Any = np.float64, seed: Rng = None) -> None:
        from nn.functional import activation_name, get_activation  # nn.functional imports us
        from nn.layers import Dropout
        from nn.linear import Linear
        super().__init__()
        name = "TransformerEncoderLayer"
        d_model = checks.positive_int(d_model, "d_model", name)
        dim_feedforward = checks.positive_int(dim_feedforward, "dim_feedforward", name)
        rng = as_generator(seed)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype, seed=rng)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype, seed=rng)
        self.dropout = Dropout(dropout, seed=rng)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype, seed=rng)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout, seed=rng)
        self.dropout2 = Dropout(dropout, seed=rng)
        self.activation = activation
        self._act = get_activation(activation)
        self._rng = rng
        self._config = {"d_model": d_model, "nhead": self.self_attn.num_heads,
                        "dim_feedforward": dim_feedforward, "dropout": self.dropout.p,
                        "activation": activation_name(activation),
                        "layer_norm_eps": self.norm1.eps, "batch_first": bool(batch_first),
                        "norm_first": self.norm_first, "bias": bool(bias),
                        "dtype": str(self.dtype)}

    def forward(self, src: Any, src_mask: Mask = None, src_key_padding_mask: Mask = None,
                is_causal: bool = False) -> Value:
        x = _as_value(src, self.linear1.weight.dtype, "src", "TransformerEncoderLayer")
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask,
                                          is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))

    def config(self) -> Dict[str, Any]:
        return dict(self._config)

    def _attention_block(self, x: Value, mask: Mask, padding: Mask, is_causal: bool) -> Value:
        out = self.self_attn(x, x, x, key_padding_mask=padding, need_weights=False,
                             attn_mask=mask, is_causal=is_causal)[0]
        return self.dropout1(out)

    def _feed_forward_block(self, x: Value) -> Value:
        rows = x.reshape((-1, x.shape[-1]))             # 2-d matrix products are the fastest
        out = self.linear2(self.dropout(self._act(self.linear1(rows))))
        return self.dropout2(out.reshape(x.shape))


class TransformerEncoder(Module):
    """`num_layers` copies of `encoder_layer` (`layers.0`, `layers.1`, ..., as PyTorch, each
    starting from the same weights and drawing its own dropout), then `norm` if given. `mask`,
    `src_key_padding_mask` and `is_causal` go to every layer: with `is_causal=True` (or a causal
    `mask`) it is a decoder-only language model's stack.
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Optional[Module] = None) -> None:
        super().__init__()
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            raise TypeError(f"TransformerEncoder: encoder_layer must be an "
                            f"nn.TransformerEncoderLayer, got {type(encoder_layer).__name__}")
        self.num_layers = checks.positive_int(num_layers, "num_layers", "TransformerEncoder")
        streams = encoder_layer._rng.spawn(self.num_layers)
        self.layers = ModuleList(copy.deepcopy(encoder_layer, {id(encoder_layer._rng): stream})
                                 for stream in streams)
        self.register_module("norm", norm)

    def forward(self, src: Any, mask: Mask = None, src_key_padding_mask: Mask = None,
                is_causal: bool = False) -> Value:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=is_causal)
        return x if self.norm is None else self.norm(x)


class PositionalEncoding(Module):
    """Adds the sinusoidal position code of "Attention is all you need" (Vaswani et al., 2017)
    to inputs (L, N, d_model), (N, L, d_model) with `batch_first`, or (L, d_model), then
    dropout: for position pos and i = 0, 1, ...,

        PE[pos, 2i] = sin(pos / 10000^(2i / d_model)),
        PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model)).

    Each pair of features turns at its own frequency, so nearby positions get similar codes and
    a fixed offset is a linear map of the code. The table `pe` (max_len, d_model) is a buffer
    computed from the formula (not saved).

    >>> PositionalEncoding(4, max_len=3).pe.round(3).tolist()[1]
    [0.841, 0.54, 0.01, 1.0]
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0,
                 batch_first: bool = False, dtype: Any = np.float64, seed: Rng = None) -> None:
        from nn.layers import Dropout    # here: nn.layers imports nn.functional, which imports us
        super().__init__()
        self.d_model = checks.positive_int(d_model, "d_model", "PositionalEncoding")
        self.max_len = checks.positive_int(max_len, "max_len", "PositionalEncoding")
        self.batch_first = bool(batch_first)
        position = np.arange(self.max_len)[:, None]
        frequency = np.exp(-math.log(10000.0) * np.arange(0, self.d_model, 2) / self.d_model)
        table = np.zeros((self.max_len, self.d_model))
        table[:, 0::2] = np.sin(position * frequency)
        table[:, 1::2] = np.cos(position * frequency[:self.d_model // 2])
        self.register_buffer("pe", table.astype(dtype), persistent=False)
        self.dropout = Dropout(dropout, seed=seed)

    def forward(self, x: Any) -> Value:
        caller = f"PositionalEncoding({self.extra_repr()})"
        x = _as_value(x, self.pe.dtype, "x", caller)
        length_axis = 1 if self.batch_first and x.ndim == 3 else 0
        if x.ndim not in (2, 3) or x.shape[-1] != self.d_model:
            layout = "(N, L, d_model)" if self.batch_first else "(L, N, d_model)"
            raise ValueError(f"{caller}: expected inputs {layout} or (L, d_model) with "
                             f"d_model={self.d_model}, got {x.shape}")
        length = x.shape[length_axis]
        if length > self.max_len:
            raise ValueError(f"{caller}: the sequence has {length} positions but the table "
                             f"has max_len={self.max_len}; build it with max_len >= {length}")
        code = Value(self.pe, requires_grad=False)[:length]     # ops: compiled programs follow
        if x.ndim == 3 and not self.batch_first:
            code = code[:, None, :]
        return self.dropout(x + code)

    def config(self) -> Dict[str, Any]:
        return {"d_model": self.d_model, "max_len": self.max_len, "dropout": self.dropout.p,
                "batch_first": self.batch_first, "dtype": str(self.pe.dtype)}

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"
