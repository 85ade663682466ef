"""einsum and tensordot beyond the op table's random draws: every form of subscripts numpy
accepts (diagonals, traces, implicit output, '...', size-1 broadcasting, three operands and
more), checked against numpy (forward), torch (gradients and Hessian-vector products), and
the errors for bad subscripts and axes, raised before anything is recorded."""
import numpy as np
import pytest

import autograd as ag
from autograd import Value, grad
from test_errors import raises_before_recording

# (numpy's subscripts, operand shapes, the same for torch where its spelling differs)
FORMS = [
    ("ii->i", [(3, 3)], None),                          # a diagonal
    ("ii", [(3, 3)], None),                             # a trace (implicit output)
    ("iii->i", [(2, 2, 2)], None),
    ("iij->j", [(2, 2, 3)], None),
    ("...ii->...i", [(2, 3, 3)], None),                 # diagonals of a batch
    ("ij,jk", [(2, 3), (3, 4)], None),                  # implicit output 'ik'
    ("Ba,aA", [(2, 3), (3, 4)], "Ba,aA->AB"),           # implicit: code order, 'A' < 'B' < 'a'
    ("...ij,...jk", [(5, 2, 3), (1, 3, 4)], None),      # '...' broadcast, implicit output
    ("i...,i...->...", [(3, 2, 4), (3, 1, 4)], None),
    ("ij,ij,ij->", [(2, 3), (2, 1), (1, 3)], None),     # size-1 dimensions broadcast
    (",ij->ij", [(), (2, 3)], None),                    # a 0-d operand
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], None),
    ("ij,jk,k->i", [(2, 3), (3, 4), (4,)], None),
    ("ab,bc,ca->", [(2, 3), (3, 4), (4, 2)], None),     # the trace of a product
    ("ii,ij,jj->", [(3, 3), (3, 3), (3, 3)], None),     # diagonals among three operands
    ("a,b,c->abc", [(2,), (3,), (4,)], None),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 5), (5, 2)], None),
    (" b i j , b j k -> b i k ", [(2, 2, 3), (2, 3, 2)], "bij,bjk->bik"),
]
IDS = [f[0].replace(" ", "_") or "empty" for f in FORMS]


def _draws(shapes, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2.0, 2.0, s) for s in shapes]


@pytest.mark.parametrize("spec,shapes,torch_spec", FORMS, ids=IDS)
def test_einsum_forms_compute_what_numpy_computes(spec, shapes, torch_spec):
    xs = _draws(shapes, 0)
    out = ag.einsum(spec, *[Value(x) for x in xs])
    np.testing.assert_allclose(np.asarray(out.data), np.einsum(spec, *xs), rtol=1e-12,
                               atol=1e-12)
    out32 = ag.einsum(spec, *[Value(x.astype(np.float32)) for x in xs])
    assert out32.dtype == np.float32
    out32.backward(np.ones(out32.shape, dtype=np.float32))


def _ours(spec, xs, w, vs):
    """The gradients and a Hessian-vector product of sum(w * einsum(...)^2)."""
    def loss(*ys):
        out = ag.einsum(spec, *ys)
        return (out * out * w).sum()
    argnums = tuple(range(len(xs)))
    first = grad(loss, argnums=argnums)(*xs)

    def directional(*ys):
        return sum((g * v).sum() for g, v in zip(grad(loss, argnums=argnums)(*ys), vs))
    return first, grad(directional, argnums=argnums)(*xs)


def _torch(torch, spec, xs, w, vs):
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    out = torch.einsum(spec, *ts)
    firsts = torch.autograd.grad((out * out * torch.tensor(w)).sum(), ts, create_graph=True)
    directional = sum((g * torch.tensor(v)).sum() for g, v in zip(firsts, vs))
    seconds = torch.autograd.grad(directional, ts)
    return [g.detach().numpy() for g in firsts], [h.numpy() for h in seconds]


@pytest.mark.parametrize("spec,shapes,torch_spec", FORMS, ids=IDS)
def test_einsum_forms_differentiate_twice_as_torch(spec, shapes, torch_spec):
    torch = pytest.importorskip("torch")
    xs = _draws(shapes, 1)
    w = _draws([np.shape(np.einsum(spec, *xs))], 2)[0]
    vs = _draws(shapes, 3)
    first, second = _ours(spec, [x if x.ndim else float(x) for x in xs], w, vs)
    t_first, t_second = _torch(torch, torch_spec or spec, xs, w, vs)
    for i, (a, b) in enumerate(zip(first, t_first)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"gradient {i}")
    for i, (a, b) in enumerate(zip(second, t_second)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"HVP {i}")


def test_einsum_contracts_many_operands_two_at_a_time_cheapest_first():
    """numpy's greedy path: the matrix-vector product first, never the (n, n, n) outer one."""
    a, b, v = Value(np.ones((4, 5))), Value(np.ones((5, 6))), Value(np.ones(6))
    out = ag.einsum("ij,jk,k->i", a, b, v)
    assert out.op == "einsum" and out.parents[0] is a
    inner = out.parents[1]
    assert inner.op == "einsum" and inner.parents == (b, v) and inner.shape == (5,)
    np.testing.assert_array_equal(out.data, np.full(4, 30.0))


BAD_SUBSCRIPTS = [
    ("ij,jk", [(2, 3), (4, 5)], ValueError, "label 'j' has sizes 3 and 4"),
    ("ij", [(2, 3, 4)], ValueError, "operand 0 has shape \\(2, 3, 4\\)"),
    ("ij,jk->il", [(2, 3), (3, 4)], ValueError, "output label 'l'.*names no input"),
    ("ii", [(2, 3)], ValueError, "label 'i' repeats in operand 0.*sizes 2 and 3"),
    ("i1", [(2, 2)], ValueError, "'1' in subscripts 'i1' is not a label"),
    ("ij->ii", [(2, 2)], ValueError, "output label 'i'.*repeats"),
    ("ij,jk", [(2, 3)], ValueError, "name 2 operands but 1 was given"),
    ("...i,...i->i", [(2, 3), (2, 3)], ValueError, "put '...' in the output"),
    ("i..j", [(2, 3)], ValueError, "'.' in subscripts"),
    ("ij->j->i", [(2, 3)], ValueError, "'-' in subscripts"),
    ("...i,...i->...i", [(2, 3), (4, 3)], ValueError, "dimensions under '...' have sizes"),
    (3, [(2,)], TypeError, "subscripts must be a string"),
]


@pytest.mark.parametrize("spec,shapes,kind,match", BAD_SUBSCRIPTS,
                         ids=[str(b[0]) for b in BAD_SUBSCRIPTS])
def test_bad_subscripts_are_refused_before_recording(spec, shapes, kind, match):
    xs = [Value(np.ones(s)) for s in shapes]
    with raises_before_recording(kind, match=match):
        ag.einsum(spec, *xs)


def test_einsum_without_operands_is_refused():
    with pytest.raises(ValueError, match="no operands given"):
        ag.einsum("ij")


def test_einsum_refuses_subscripts_whose_gradient_runs_out_of_labels():
    """A diagonal's gradient needs a label more than the forward; with all 52 in use, none is
    left: refused at the forward, not in the middle of backward."""
    labels = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    xs = [Value(np.ones((1, 1, 1)))] + [Value(np.ones(1)) for _ in labels[2:]]
    with raises_before_recording(ValueError, match="needs more than the 52 labels"):
        ag.einsum("aab," + ",".join(labels[2:]), *xs)


# ----- tensordot ---------------------------------------------------------------------------
AXES = [
    ((2, 3), (3, 4), 1), ((2, 3, 4), (3, 4, 2), 2), ((2, 3), (4,), 0), ((3,), (3,), 1),
    ((2, 3, 4), (4, 3), ((1, 2), (1, 0))), ((2, 3, 4), (4, 2), ([-1, 0], [0, 1])),
    ((2, 3), (3, 2), (1, 0)), ((2, 3), (2, 3), 2),
]


@pytest.mark.parametrize("sa,sb,axes", AXES, ids=[str(a[2]) for a in AXES])
def test_tensordot_matches_numpy_and_its_gradients_torch(sa, sb, axes):
    torch = pytest.importorskip("torch")
    x, y = _draws([sa, sb], 4)
    a, b = Value(x), Value(y)
    out = ag.tensordot(a, b, axes)
    expected = np.tensordot(x, y, axes)
    np.testing.assert_allclose(np.asarray(out.data), expected, rtol=1e-12, atol=1e-12)
    g = _draws([expected.shape], 5)[0]
    out.backward(g)
    tx, ty = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    dims = axes if isinstance(axes, int) else ([*np.atleast_1d(axes[0])],
                                               [*np.atleast_1d(axes[1])])
    torch.tensordot(tx, ty, dims=dims).backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, ty.grad.numpy(), rtol=1e-12, atol=1e-12)


BAD_AXES = [
    ((2, 3), (4, 5), 1, ValueError, "axis 1 of a and axis 0 of b have sizes 3 and 4"),
    ((2, 3), (3, 4), 3, ValueError, "axes=3 must be between 0 and 2"),
    ((2, 3), (3, 4), ((1,), (2,)), ValueError, "axis 2 is out of range for b"),
    ((2, 3), (3, 3), ((1, 1), (0, 1)), ValueError, "repeated axis"),
    ((2, 3), (3, 4), ((1,), (0, 1)), ValueError, "1 axes of a but 2 of b"),
    ((2, 3), (3, 4), 1.5, TypeError, "axes must be an int or a pair"),
    ((2, 3), (3, 4), ((1.0,), (0,)), TypeError, "axis 1.0 for a is not an integer"),
]


@pytest.mark.parametrize("sa,sb,axes,kind,match", BAD_AXES, ids=[b[4] for b in BAD_AXES])
def test_bad_tensordot_axes_are_refused_before_recording(sa, sb, axes, kind, match):
    a, b = Value(np.ones(sa)), Value(np.ones(sb))
    with raises_before_recording(kind, match=match):
        ag.tensordot(a, b, axes)


def test_check_ops_finds_einsum_and_tensordot_right():
    a, b = Value(np.arange(9.0).reshape(3, 3) / 4), Value(np.arange(6.0).reshape(3, 2) - 2)
    loss = ag.einsum("ii,ij,jk->", a, a, b) + ag.tensordot(a, b, axes=([0], [0])).sum()
    assert ag.check_ops(loss) == []
