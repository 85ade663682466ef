"""Attention, the Transformer encoder and gelu against PyTorch with the same weights (outputs,
and gradients of the inputs and of every parameter, float32 and float64), finite differences
to second order, masks (fully masked rows included), dropout, and the errors."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Value
from nn import functional as F
from nn.normalization import LayerNorm

torch = pytest.importorskip("torch")

TOL = {np.float32: dict(rtol=2e-4, atol=2e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


def _normal(shape, dtype, seed):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _load(ours, theirs):
    """Give `ours` the weights of `theirs` (their state_dict as numpy arrays, same keys)."""
    state = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state)
    ours.load_state_dict(state)


def _check_against_torch(ours_fn, theirs_fn, inputs, dtype, ours_module=None,
                         theirs_module=None):
    """Run both on the same inputs, backpropagate the same random upstream gradient, and
    compare outputs, input gradients and (if modules are given) every parameter gradient."""
    values = [Value(x.copy()) for x in inputs]
    tensors = [torch.tensor(x, requires_grad=True) for x in inputs]
    out, tout = ours_fn(*values), theirs_fn(*tensors)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL[dtype])
    up = _normal(out.shape, dtype, 99)
    out.backward(up)
    tout.backward(torch.tensor(up))
    for v, t in zip(values, tensors):
        assert v.grad.dtype == dtype
        np.testing.assert_allclose(v.grad, t.grad.numpy(), **TOL[dtype])
    if ours_module is not None:
        mine = dict(ours_module.named_parameters())
        theirs = dict(theirs_module.named_parameters())
        assert set(mine) == set(theirs)
        for name, p in theirs.items():
            np.testing.assert_allclose(mine[name].grad, p.grad.numpy(), **TOL[dtype],
                                       err_msg=name)
    return out


# ----- gelu ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_torch_in_both_forms(approximate, dtype):
    x = np.concatenate([_normal(40, dtype, 0) * 3, np.array([-30.0, -8.0, 0.0, 8.0], dtype)])
    _check_against_torch(lambda v: F.gelu(v, approximate=approximate),
                         lambda t: torch.nn.functional.gelu(t, approximate=approximate),
                         [x], dtype)


def test_gelu_default_is_the_exact_erf_form_and_second_order_holds():
    x = np.array([-2.5, -0.4, 0.0, 0.7, 3.0])
    assert F.get_activation("gelu") is F.gelu
    exact = torch.nn.functional.gelu(torch.tensor(x)).numpy()
    np.testing.assert_allclose(F.gelu(Value(x)).data, exact, rtol=1e-15, atol=1e-16)
    assert np.abs(F.gelu(Value(x), "tanh").data - exact).max() > 1e-5   # the forms differ
    assert ag.gradcheck(lambda v: F.gelu(v), x, order=2)
    assert ag.gradcheck(lambda v: F.gelu(v, approximate="tanh"), x, order=2)
    with pytest.raises(ValueError, match="gelu: approximate must be 'none'.*or 'tanh', got 'erf'"):
        F.gelu(Value(x), approximate="erf")


# ----- scaled_dot_product_attention --------------------------------------------------------------
def _masks(kind, dtype):
    """(ours, torch's) attn_mask for scores (2, 3, 4, 6), or None."""
    rng = np.random.default_rng(5)
    if kind is None:
        return None, None
    allowed = rng.random((4, 6)) < 0.6
    allowed[:, 0] = True                                # no row fully masked here
    if kind == "bool":
        return allowed, torch.tensor(allowed)
    if kind == "float-inf":
        m = np.broadcast_to(np.where(allowed, 0.0, -np.inf), (1, 3, 4, 6)).astype(dtype)
    else:
        m = rng.normal(size=(2, 1, 4, 6)).astype(dtype)  # finite: a learned bias
    return m, torch.tensor(m)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mask", [None, "bool", "float-inf", "float"])
@pytest.mark.parametrize("is_causal", [False, True])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_matches_torch(dtype, mask, is_causal, scale):
    q, k, v = (_normal((2, 3, 4, 5), dtype, 1), _normal((2, 3, 6, 5), dtype, 2),
               _normal((2, 3, 6, 7), dtype, 3))
    ours_mask, their_mask = _masks(mask, dtype)
    if is_causal and their_mask is not None:        # torch takes one or the other; we combine
        causal = torch.ones(4, 6, dtype=torch.bool).tril()
        their_mask = (their_mask & causal if their_mask.dtype == torch.bool else
                      their_mask.masked_fill(~causal, float("-inf")))
    _check_against_torch(
        lambda *a: F.scaled_dot_product_attention(*a, attn_mask=ours_mask, is_causal=is_causal,
                                                  scale=scale),
        lambda *a: torch.nn.functional.scaled_dot_product_attention(
            *a, attn_mask=their_mask, is_causal=is_causal and their_mask is None, scale=scale),
        [q, k, v], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sdpa_rows_with_every_key_masked_give_zero_and_zero_gradients(dtype):
    q, k, v = _normal((3, 4), dtype, 1), _normal((5, 4), dtype, 2), _normal((5, 2), dtype, 3)
    allowed = np.ones((3, 5), dtype=bool)
    allowed[1] = False
    for mask in (allowed, np.where(allowed, 0.0, -np.inf).astype(dtype)):
        qv, kv, vv = Value(q), Value(k), Value(v)
        with np.errstate(all="raise"):
            out = F.scaled_dot_product_attention(qv, kv, vv, attn_mask=mask)
            out.backward(np.ones_like(out.data))
        np.testing.assert_array_equal(out.data[1], 0.0)
        assert np.all(np.isfinite(out.data)) and np.all(out.data[0] != 0)
        np.testing.assert_array_equal(qv.grad[1], 0.0)
        theirs = torch.nn.functional.scaled_dot_product_attention(
            *map(torch.tensor, (q, k, v)), attn_mask=torch.tensor(mask))
        np.testing.assert_allclose(out.data, theirs.numpy(), **TOL[dtype])


def test_sdpa_is_stable_for_huge_scores():
    q = np.array([[1e3, 0.0]])
    k = np.array([[1e3, 0.0], [-1e3, 0.0]])
    with np.errstate(over="raise", invalid="raise"):
        out = F.scaled_dot_product_attention(q, k, np.array([[1.0], [2.0]]))
    np.testing.assert_allclose(out.data, [[1.0]])


def test_sdpa_gradcheck_to_second_order():
    q, k, v = _normal((2, 3, 4), np.float64, 1), _normal((2, 5, 4), np.float64, 2), \
        _normal((2, 5, 3), np.float64, 3)
    allowed = np.random.default_rng(0).random((3, 5)) < 0.7
    allowed[:, 0] = True
    assert ag.gradcheck(lambda *a: F.scaled_dot_product_attention(*a, attn_mask=allowed),
                        q, k, v, order=2)
    assert ag.gradcheck(lambda *a: F.scaled_dot_product_attention(*a, is_causal=True),
                        q, k[:, :3], v[:, :3], order=2)


def test_sdpa_dropout_is_drawn_from_its_seed():
    q = _normal((2, 6, 4), np.float64, 1)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5, seed=3).data
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5, seed=3).data
    plain = F.scaled_dot_product_attention(q, q, q).data
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, plain)


def test_sdpa_errors_name_the_shapes_and_the_fix():
    q = np.ones((2, 3, 4))
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(ValueError, match=r"query \(2, 3, 4\), key \(2, 3, 5\).*same feature"):
        sdpa(q, np.ones((2, 3, 5)), q)
    with pytest.raises(ValueError, match=r"attn_mask has shape \(4, 3\).*scores' shape "
                                         r"\(2, 3, 3\)"):
        sdpa(q, q, q, attn_mask=np.ones((4, 3), dtype=bool))
    with pytest.raises(TypeError, match="attn_mask has dtype int64; use a bool mask"):
        sdpa(q, q, q, attn_mask=np.ones((3, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="attn_mask holds NaN or \\+inf"):
        sdpa(q, q, q, attn_mask=np.full((3, 3), np.nan))
    with pytest.raises(TypeError, match="key has dtype float32, expected float64"):
        sdpa(q, Value(q.astype(np.float32)), q)
    assert sdpa(q.astype(np.float32), q, q).dtype == np.float32     # raw data follows query


# ----- MultiheadAttention --------------------------------------------------------------------
def _mha_pair(dtype, batch_first=False, bias=True, embed_dim=8, num_heads=2):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(embed_dim, num_heads, bias=bias,
                                         batch_first=batch_first, dtype=TORCH_DTYPE[dtype])
    with torch.no_grad():                       # nonzero biases, so their gradients are tested
        for p in theirs.parameters():
            if p.ndim == 1:
                p.normal_()
    ours = nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=batch_first,
                                 dtype=dtype, seed=0)
    _load(ours, theirs)
    return ours, theirs


MHA_MASKS = {
    "none": (None, None),
    "key_padding": (np.array([[False] * 6, [False] * 4 + [True] * 2, [False, True] * 3]), None),
    "attn_bool": (None, np.triu(np.ones((5, 6), dtype=bool), 2)),
    "both_float": (np.where(np.arange(6) < 5, 0.0, -np.inf)[None].repeat(3, 0),
                   np.random.default_rng(7).normal(size=(3 * 2, 5, 6))),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("masks", list(MHA_MASKS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("weights", ["average", "per_head", "none"])
def test_mha_matches_torch(dtype, masks, batch_first, weights):
    ours, theirs = _mha_pair(dtype, batch_first)
    padding, attn = MHA_MASKS[masks]
    padding = None if padding is None else padding.astype(dtype if padding.dtype.kind == "f"
                                                          else bool)
    attn = None if attn is None else attn.astype(dtype if attn.dtype.kind == "f" else bool)
    kw = dict(need_weights=weights != "none", average_attn_weights=weights == "average")
    tmask = {k: None if m is None else torch.tensor(m)
             for k, m in (("key_padding_mask", padding), ("attn_mask", attn))}
    layout = (lambda n, l: (n, l, 8)) if batch_first else (lambda n, l: (l, n, 8))
    q, k, v = (_normal(layout(3, 5), dtype, 1), _normal(layout(3, 6), dtype, 2),
               _normal(layout(3, 6), dtype, 3))
    seen = {}

    def run_ours(*a):
        out, w = ours(*a, key_padding_mask=padding, attn_mask=attn, **kw)
        seen["ours"] = w
        return out

    def run_theirs(*a):
        out, w = theirs(*a, **tmask, **kw)
        seen["theirs"] = w
        return out

    _check_against_torch(run_ours, run_theirs, [q, k, v], dtype, ours, theirs)
    if weights == "none":
        assert seen["ours"] is None and seen["theirs"] is None
    else:
        expected = (3, 5, 6) if weights == "average" else (3, 2, 5, 6)
        assert seen["ours"].shape == expected
        np.testing.assert_allclose(seen["ours"].data, seen["theirs"].detach().numpy(),
                                   **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
def test_mha_self_attention_and_unbatched_inputs_match_torch(dtype, bias):
    ours, theirs = _mha_pair(dtype, bias=bias)
    x = _normal((5, 2, 8), dtype, 4)
    _check_against_torch(lambda a: ours(a, a, a)[0], lambda a: theirs(a, a, a)[0], [x], dtype,
                         ours, theirs)
    ours.zero_grad()
    theirs.zero_grad()
    one = _normal((5, 8), dtype, 5)
    padding = np.array([False, False, True, False, True])
    out = _check_against_torch(
        lambda a: ours(a, a, a, key_padding_mask=padding)[0],
        lambda a: theirs(a, a, a, key_padding_mask=torch.tensor(padding))[0], [one], dtype,
        ours, theirs)
    assert out.shape == (5, 8)
    w = ours(one, one, one, average_attn_weights=False)[1]
    assert w.shape == (2, 5, 5)


def test_mha_queries_with_every_key_masked_give_the_output_bias():
    ours, theirs = _mha_pair(np.float64)
    x = _normal((4, 2, 8), np.float64, 6)
    forbid = np.zeros((4, 4), dtype=bool)
    forbid[2] = True                                    # query 2 may attend to nothing
    xv = Value(x)
    out, w = ours(xv, xv, xv, attn_mask=forbid)
    out.backward(np.ones_like(out.data))
    np.testing.assert_allclose(out.data[2], np.broadcast_to(ours.out_proj.bias.data, (2, 8)))
    np.testing.assert_array_equal(w.data[:, 2], 0.0)
    assert np.all(np.isfinite(xv.grad))
    t = torch.tensor(x)                                 # torch: the same with need_weights=False
    tout = theirs(t, t, t, attn_mask=torch.tensor(forbid), need_weights=False)[0]
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_mha_gradcheck_to_second_order():
    ours = nn.MultiheadAttention(4, 2, batch_first=True, seed=1)
    padding = np.array([[False, False, True]])
    assert ag.gradcheck(lambda x: ours(x, x, x, key_padding_mask=padding)[0],
                        _normal((1, 3, 4), np.float64, 2), order=2)


def test_mha_initialises_like_torch():
    ours = nn.MultiheadAttention(64, 4, seed=0)
    bound = np.sqrt(6 / (64 + 192))
    assert ours.in_proj_weight.shape == (192, 64)
    assert bound * 0.95 < np.abs(ours.in_proj_weight.data).max() <= bound
    assert np.abs(ours.out_proj.weight.data).max() <= 1 / 8
    np.testing.assert_array_equal(ours.in_proj_bias.data, 0.0)
    np.testing.assert_array_equal(ours.out_proj.bias.data, 0.0)
    assert nn.MultiheadAttention(8, 2, dtype=np.float32).in_proj_weight.dtype == np.float32


def test_mha_dropout_acts_in_training_only():
    ours = nn.MultiheadAttention(8, 2, dropout=0.5, seed=0)
    x = _normal((5, 2, 8), np.float64, 1)
    trained = ours(x, x, x)[0].data
    ours.eval()
    evaluated, again = ours(x, x, x)[0].data, ours(x, x, x)[0].data
    np.testing.assert_array_equal(evaluated, again)
    assert not np.allclose(trained, evaluated)


def test_mha_errors_name_the_module_the_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"MultiheadAttention: embed_dim=10 is not divisible "
                                         r"by num_heads=4.*among \[1, 2, 5, 10\]"):
        nn.MultiheadAttention(10, 4)
    mha = nn.MultiheadAttention(8, 2, seed=0)
    x = np.ones((5, 2, 8))
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=8, num_heads=2\): got "
                                         r"query \(5, 2, 6\).*E = embed_dim = 8"):
        mha(np.ones((5, 2, 6)), x, x)
    with pytest.raises(ValueError, match=r"key_padding_mask has shape \(5, 2\); expected "
                                         r"\(2, 5\)"):
        mha(x, x, x, key_padding_mask=np.zeros((5, 2), dtype=bool))
    with pytest.raises(ValueError, match=r"attn_mask has shape \(5, 4\); expected \(5, 5\) or "
                                         r"\(4, 5, 5\)"):
        mha(x, x, x, attn_mask=np.zeros((5, 4), dtype=bool))
    with pytest.raises(TypeError, match="attn_mask has dtype int64; use a bool mask \\(True "
                                        "where attention is forbidden\\)"):
        mha(x, x, x, attn_mask=np.zeros((5, 5), dtype=np.int64))
    with pytest.raises(TypeError, match="query has dtype float32, expected float64"):
        mha(Value(x.astype(np.float32)), x, x)


# ----- TransformerEncoderLayer, TransformerEncoder, LayerNorm ---------------------------------
def _layer_pair(dtype, norm_first=False, activation="relu", dropout=0.0, batch_first=False):
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=dropout,
                                              activation=activation, batch_first=batch_first,
                                              norm_first=norm_first, dtype=TORCH_DTYPE[dtype])
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            if "norm" in name:
                p.add_(0.3 * torch.randn_like(p))
    ours = nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, dropout=dropout,
                                      activation=activation, batch_first=batch_first,
                                      norm_first=norm_first, dtype=dtype, seed=0)
    _load(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_encoder_layer_matches_torch(dtype, norm_first, activation, dropout):
    ours, theirs = _layer_pair(dtype, norm_first, activation, dropout)
    if dropout:                                     # dropout only in training: compare in eval
        ours.eval()
        theirs.eval()
    padding = np.array([[False] * 5, [False] * 3 + [True] * 2])
    _check_against_torch(
        lambda x: ours(x, src_key_padding_mask=padding),
        lambda x: theirs(x, src_key_padding_mask=torch.tensor(padding)),
        [_normal((5, 2, 8), dtype, 1)], dtype, ours, theirs)


def test_encoder_layer_batch_first_matches_torch():
    ours, theirs = _layer_pair(np.float64, batch_first=True)
    _check_against_torch(ours, theirs, [_normal((2, 5, 8), np.float64, 1)], np.float64,
                         ours, theirs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_causal_encoder_matches_torch(dtype):
    torch.manual_seed(1)
    layer = torch.nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, batch_first=True,
                                             dtype=TORCH_DTYPE[dtype])
    theirs = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(
        8, dtype=TORCH_DTYPE[dtype]), enable_nested_tensor=False)
    ours = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, batch_first=True, dtype=dtype),
        2, norm=LayerNorm(8, dtype=dtype))
    with torch.no_grad():
        for p in theirs.parameters():                   # layers differ, as after training
            p.add_(0.1 * torch.randn_like(p))
    _load(ours, theirs)
    assert list(ours.state_dict())[:2] == ["layers.0.self_attn.in_proj_weight",
                                           "layers.0.self_attn.in_proj_bias"]
    mask = torch.nn.Transformer.generate_square_subsequent_mask(6, dtype=TORCH_DTYPE[dtype])
    x = _normal((2, 6, 8), dtype, 2)
    for our_mask in (mask.numpy(), None):             # the float mask, or is_causal alone
        ours.zero_grad()
        theirs.zero_grad()
        _check_against_torch(lambda a: ours(a, mask=our_mask, is_causal=True),
                             lambda a: theirs(a, mask=mask, is_causal=True), [x], dtype,
                             ours, theirs)
    later = x.copy()
    later[:, 4:] += 1.0                                 # the future does not change the past
    np.testing.assert_array_equal(ours(later, is_causal=True).data[:, :4],
                                  ours(x, is_causal=True).data[:, :4])


def test_encoder_copies_the_layer_and_gives_each_copy_its_own_dropout():
    layer = nn.TransformerEncoderLayer(8, 2, 12, dropout=0.5, seed=0)
    encoder = nn.TransformerEncoder(layer, 3)
    assert len(encoder.layers) == 3 and encoder.layers[0] is not layer
    np.testing.assert_array_equal(encoder.layers[2].linear1.weight.data, layer.linear1.weight.data)
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    x = np.ones((4, 1, 8))
    drops = [layer_copy.dropout(x).data for layer_copy in encoder.layers]
    assert not np.array_equal(drops[0], drops[1])
    with pytest.raises(TypeError, match="encoder_layer must be an nn.TransformerEncoderLayer"):
        nn.TransformerEncoder(nn.Linear(2, 2), 2)


def test_saved_attention_loads_only_into_the_same_architecture(tmp_path):
    path = tmp_path / "encoder.npz"
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 4, 12, seed=0), 2)
    model.save(path)
    same = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 4, 12, seed=1), 2).load(path)
    np.testing.assert_array_equal(same.layers[1].linear2.weight.data,
                                  model.layers[1].linear2.weight.data)
    for other in (nn.TransformerEncoderLayer(8, 2, 12), nn.TransformerEncoderLayer(
            8, 4, 12, activation="gelu"), nn.TransformerEncoderLayer(8, 4, 12, norm_first=True)):
        with pytest.raises(ValueError, match="was saved from"):      # same shapes, other math
            nn.TransformerEncoder(other, 2).load(path)


def test_encoder_layer_errors_name_the_module():
    layer = nn.TransformerEncoderLayer(8, 2, 12, seed=0)
    with pytest.raises(ValueError, match=r"MultiheadAttention\(embed_dim=8.*got query "
                                         r"\(5, 2, 7\)"):
        layer(np.ones((5, 2, 7)))
    with pytest.raises(ValueError, match="embed_dim=8 is not divisible by num_heads=3"):
        nn.TransformerEncoderLayer(8, 3)


def test_encoder_gradcheck_to_second_order():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                       norm_first=True, seed=0)
    assert ag.gradcheck(lambda x: layer(x, is_causal=True), _normal((3, 1, 4), np.float64, 3),
                        order=2)


@pytest.mark.parametrize("shape", [8, (3, 8)])
def test_layer_norm_matches_torch(shape):
    torch.manual_seed(0)
    theirs = torch.nn.LayerNorm(shape, eps=1e-3, dtype=torch.float64)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn_like(p))
    ours = LayerNorm(shape, eps=1e-3)
    _load(ours, theirs)
    _check_against_torch(ours, theirs, [_normal((2, 3, 8), np.float64, 0)], np.float64,
                         ours, theirs)
    assert ag.gradcheck(ours, _normal((2, 3, 8), np.float64, 1), order=2)
    with pytest.raises(ValueError, match=r"LayerNorm\(\(8,\).*shape \(\*, 8\), got \(2, 7\)"):
        LayerNorm(8)(np.ones((2, 7)))


# ----- PositionalEncoding --------------------------------------------------------------------
@pytest.mark.parametrize("d_model", [6, 7])
def test_positional_encoding_follows_the_formula(d_model):
    pe = nn.PositionalEncoding(d_model, max_len=10)
    for pos in (0, 3, 9):
        for j in range(d_model):
            angle = pos / 10000 ** ((j - j % 2) / d_model)
            expected = np.sin(angle) if j % 2 == 0 else np.cos(angle)
            assert pe.pe[pos, j] == pytest.approx(expected, abs=1e-12)
    assert "pe" not in pe.state_dict()


def test_positional_encoding_layouts_and_length():
    x = _normal((4, 2, 6), np.float32, 0)
    pe = nn.PositionalEncoding(6, max_len=5, dtype=np.float32)
    out = pe(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, x + pe.pe[:4, None, :])
    first = nn.PositionalEncoding(6, max_len=5, batch_first=True, dtype=np.float32)
    np.testing.assert_allclose(first(x.swapaxes(0, 1)).data, out.data.swapaxes(0, 1))
    np.testing.assert_allclose(pe(x[:, 0]).data, out.data[:, 0])
    with pytest.raises(ValueError, match="the sequence has 6 positions but the table has "
                                         "max_len=5; build it with max_len >= 6"):
        pe(np.ones((6, 2, 6), dtype=np.float32))
