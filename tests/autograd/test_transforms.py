"""jacobian, hessian, hvp, vjp and jvp: against torch.func on a selection of the op table's
cases (skipped without torch), then layouts, argnums, composition, dtypes and errors on closed
forms."""
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import autograd as ag
from autograd import Value, grad, hessian, hvp, jacobian, jvp, no_grad, vjp
from ag_cases import CASES, arrays

try:
    import torch
    import torch.func as tf
except ImportError:                     # the torch comparisons skip; the rest still runs
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed: the "
                                 "comparisons need it (pip install torch==2.13.0)")

# The transforms are built on the engine's backward pass, which every op's row already checks
# (test_higher_order, test_torch); these cases cover its kinds of op: elementwise, broadcasting
# binary, reductions to scalars or arrays, gathers, joins, matrix products and composites.
SELECTED = ("exp", "log", "tanh", "sigmoid", "relu", "sin", "pow-const", "mul", "div",
            "pow-value-exponent", "maximum", "where", "matmul", "affine", "sum", "mean", "max",
            "logsumexp", "getitem-int-arrays", "concatenate", "broadcast_to", "softmax",
            "diamond", "mlp-layer")
BY_NAME = {c.name: c for c in CASES}
TORCH_CASES = [pytest.param(BY_NAME[name], id=name) for name in SELECTED]
# Every transform runs several backward passes per example: a few examples per op suffice
# (2 under the `ci` profile, 41 under `thorough`), each run in float64 and float32.
FEW = settings(max_examples=max(2, settings().max_examples // 12))
CLOSE = {np.float64: dict(rtol=1e-9, atol=1e-11), np.float32: dict(rtol=5e-4, atol=5e-4)}


def test_the_selected_cases_exist_and_have_torch_counterparts():
    for name in SELECTED:
        assert name in BY_NAME and BY_NAME[name].torch is not None, name


# ----- against torch.func on the op table -------------------------------------------------
def _dtypes(case):
    return (np.float64, np.float32) if case.float32 else (np.float64,)


def _ours(arrays_, dtype):
    """Our arguments: the arrays in `dtype`, 0-d float64 ones as Python floats."""
    return [a.astype(dtype) if a.ndim or dtype != np.float64 else float(a) for a in arrays_]


def _theirs(arrays_, dtype):
    return tuple(torch.tensor(np.asarray(a).astype(dtype)) for a in arrays_)


def _same(mine, theirs, what, dtype, scale=1.0):
    """One result of ours against torch's (a tensor or an array): raw data of the dtype, the
    shape and the numbers."""
    assert not isinstance(mine, Value), what
    assert np.asarray(mine).dtype == dtype, what
    theirs = np.asarray(theirs.detach() if isinstance(theirs, torch.Tensor) else theirs)
    assert np.shape(mine) == theirs.shape, what
    close = {k: scale * v for k, v in CLOSE[dtype].items()}
    np.testing.assert_allclose(np.asarray(mine), theirs, err_msg=what, **close)


def _functions(case, params, w=None):
    """The case as our function and torch's; with weights `w`, its scalar `sum(w * op)`."""
    if w is None:
        return (lambda *v: case.fn(*v, **params)), (lambda *t: case.torch(torch, *t, **params))
    return ((lambda *v: (case.fn(*v, **params) * w).sum()),
            (lambda *t: (case.torch(torch, *t, **params) * torch.tensor(w)).sum()))


@needs_torch
@pytest.mark.parametrize("case", TORCH_CASES)
@FEW
@given(data=st.data())
def test_jacobian_vjp_and_jvp_match_torch_func(case, data):
    xs, params = case.draw(data)
    out_shape = np.shape(case.ref(*xs, **params))
    w = data.draw(arrays(out_shape, low=-2.0, high=2.0), label="w")
    tangents = [data.draw(arrays(x.shape, low=-2.0, high=2.0), label=f"t{i}")
                for i, x in enumerate(xs)]
    everything, last = tuple(range(len(xs))), len(xs) - 1
    for dtype in _dtypes(case):
        # the op's own (array) output, and a scalar made of it
        for kind, weights in (("array output", None), ("scalar output", w.astype(dtype))):
            f, ft = _functions(case, params, weights)
            ours, ts = _ours(xs, dtype), _theirs(xs, dtype)
            what = f"{case.name} in {np.dtype(dtype).name}, {kind}"
            shape = out_shape if weights is None else ()
            cotangent = w.astype(dtype) if weights is None else np.asarray(1.5, dtype)

            reverse = tf.jacrev(ft, argnums=everything)(*ts)
            forward = tf.jacfwd(ft, argnums=everything)(*ts)
            blocks = jacobian(f, argnums=everything)(*ours)
            for i, (mine, rev, fwd) in enumerate(zip(blocks, reverse, forward)):
                _same(mine, rev, f"{what}: jacobian vs jacrev, input {i}", dtype)
                _same(mine, fwd, f"{what}: jacobian vs jacfwd, input {i}", dtype)
            block = jacobian(f, argnums=last)(*ours)     # an int: one block, not a tuple
            _same(block, reverse[last], f"{what}: jacobian, argnums={last}", dtype)
            assert np.shape(block) == shape + xs[last].shape

            value, vjp_fn = vjp(f, *ours)
            t_value, t_vjp_fn = tf.vjp(ft, *ts)
            _same(value, t_value, f"{what}: vjp output", dtype)
            pulled = vjp_fn(cotangent)
            assert isinstance(pulled, tuple) and len(pulled) == len(xs)
            t_pulled = t_vjp_fn(torch.tensor(cotangent))
            for i, (mine, theirs) in enumerate(zip(pulled, t_pulled)):
                _same(mine, theirs, f"{what}: vjp, input {i}", dtype)
            _same(vjp(f, *ours, argnums=last)[1](cotangent), t_pulled[last],
                  f"{what}: vjp, argnums={last}", dtype)

            ours_t, theirs_t = _ours(tangents, dtype), _theirs(tangents, dtype)
            value, pushed = jvp(f, ours, ours_t)
            t_value, t_pushed = tf.jvp(ft, ts, theirs_t)
            _same(value, t_value, f"{what}: jvp output", dtype)
            _same(pushed, t_pushed, f"{what}: jvp", dtype)
            # only the last input moves: torch's jvp of f with the others closed over
            _, t_pushed = tf.jvp(lambda t: ft(*ts[:last], t), ts[last:], theirs_t[last:])
            _same(jvp(f, ours, ours_t[last], argnums=last)[1], t_pushed,
                  f"{what}: jvp, argnums={last}", dtype)


@needs_torch
@pytest.mark.parametrize("case", TORCH_CASES)
@FEW
@given(data=st.data())
def test_hessian_and_hvp_match_torch_func(case, data):
    xs, params = case.draw(data)
    # torch's pow backward masks a zero exponent, so its derivative by the exponent is 0 there
    # (ours is the true one: test_mixed_partial_of_a_power_at_exponent_zero)
    assume(case.name != "pow-value-exponent" or np.all(xs[1].astype(np.float32) != 0))
    w = data.draw(arrays(np.shape(case.ref(*xs, **params)), low=-1.0, high=1.0), label="w")
    vs = [data.draw(arrays(x.shape, low=-1.0, high=1.0), label=f"v{i}")
          for i, x in enumerate(xs)]
    f, ft = _functions(case, params)
    everything, last = tuple(range(len(xs))), len(xs) - 1
    for dtype in _dtypes(case):
        ours, ts = _ours(xs, dtype), _theirs(xs, dtype)
        what = f"{case.name} in {np.dtype(dtype).name}"
        # sum(w * op^2): its second derivatives exercise every op's VJP, the linear ones too
        loss = lambda *v: (f(*v) * f(*v) * w.astype(dtype)).sum()           # noqa: E731
        t_w = torch.tensor(w.astype(dtype))
        t_loss = lambda *t: (ft(*t) * ft(*t) * t_w).sum()                  # noqa: E731

        mine = hessian(loss, argnums=everything)(*ours)
        theirs = tf.hessian(t_loss, argnums=everything)(*ts)
        for i in everything:
            for j in everything:
                _same(mine[i][j], theirs[i][j], f"{what}: hessian block ({i}, {j})", dtype,
                      scale=10.0)
        _same(hessian(loss, argnums=last)(*ours), theirs[last][last],
              f"{what}: hessian, argnums={last}", dtype, scale=10.0)

        # H @ v without forming H: ours reverse over reverse (hvp) and forward over reverse
        # (jvp of grad), torch's forward over reverse
        vs_ours, vs_theirs = tuple(_ours(vs, dtype)), _theirs(vs, dtype)
        expected = tf.jvp(tf.grad(t_loss, argnums=everything), ts, vs_theirs)[1]
        products = hvp(loss, argnums=everything)(*ours, vs_ours)
        forward_over_reverse = jvp(grad(loss, argnums=everything), ours, vs_ours)[1]
        for i in everything:
            _same(products[i], expected[i], f"{what}: hvp, input {i}", dtype, scale=10.0)
            _same(forward_over_reverse[i], expected[i], f"{what}: jvp of grad, input {i}",
                  dtype, scale=10.0)
# ----- layouts and types ------------------------------------------------------------------
def test_scalars_give_floats():
    assert jacobian(lambda x: x ** 3)(2.0) == 12.0
    assert type(jacobian(lambda x: x ** 3)(2.0)) is float
    assert hessian(lambda x: x ** 3)(2.0) == 12.0
    assert type(hessian(lambda x: x ** 3)(2.0)) is float
    assert hvp(lambda x: x ** 3)(2.0, 0.5) == 6.0
    out, vjp_fn = vjp(lambda x: x ** 3, 2.0)
    assert (out, vjp_fn(2.0)) == (8.0, (24.0,))
    assert jvp(lambda x: x ** 3, (2.0,), (0.5,)) == (8.0, 6.0)
    assert all(type(r) is float for r in (out, *vjp_fn(2.0), *jvp(lambda x: x ** 3, [2.0],
                                                                   [1.0])))


def test_jacobian_layout_is_output_shape_then_input_shape():
    a = np.arange(6.0).reshape(2, 3)
    x = np.array([1.0, -2.0, 0.5])
    j = jacobian(lambda v: a @ v.tanh())(x)
    assert j.shape == (2, 3) and j.dtype == np.float64
    np.testing.assert_allclose(j, a * (1 - np.tanh(x) ** 2))
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    j = jacobian(lambda v: v * v)(m)
    assert j.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(j.reshape(4, 4), np.diag(2 * m.ravel()))
    column = jacobian(lambda s: s * np.array([1.0, 2.0, 3.0]))(2.0)    # scalar input
    np.testing.assert_array_equal(column, [1.0, 2.0, 3.0])


def test_jacobian_of_a_tuple_of_outputs_is_a_tuple():
    x, y = np.array([1.0, 2.0]), 3.0
    outs = jacobian(lambda a, b: (a * b, (a * a).sum()), argnums=(0, 1))(x, y)
    assert isinstance(outs, tuple) and len(outs) == 2
    (dprod_dx, dprod_dy), (dsq_dx, dsq_dy) = outs
    np.testing.assert_array_equal(dprod_dx, 3.0 * np.eye(2))
    np.testing.assert_array_equal(dprod_dy, x)
    np.testing.assert_array_equal(dsq_dx, 2 * x)
    assert dsq_dy == 0.0 and type(dsq_dy) is float


def test_jacobian_of_an_empty_output():
    j = jacobian(lambda v: v[:0] * 2.0)(np.ones(3, dtype=np.float32))
    assert j.shape == (0, 3) and j.dtype == np.float32


def test_outputs_that_do_not_depend_on_the_inputs():
    const = lambda x: Value(np.ones(2), requires_grad=False) * 2.0      # noqa: E731
    np.testing.assert_array_equal(jacobian(const)(np.ones(3)), np.zeros((2, 3)))
    assert jvp(const, (np.ones(3),), (np.ones(3),))[1].tolist() == [0.0, 0.0]
    assert vjp(const, np.ones(3))[1](np.ones(2))[0].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_array_equal(hessian(lambda x: (x * 3.0).sum())(np.ones(2)),
                                  np.zeros((2, 2)))


def test_transforms_leave_grads_and_arguments_alone():
    w = Value(np.array([1.0, 2.0]))
    x = np.array([0.5, -1.0])
    hessian(lambda v: (v * v * w).sum())(x)
    jvp(lambda v: v * w, (x,), (x,))
    vjp(lambda v: v * w, x)[1](x)
    assert w.grad is None and x.tolist() == [0.5, -1.0]


def test_value_arguments_give_values_with_history():
    x = Value(np.array([1.0, 2.0]))
    j = jacobian(lambda v: v ** 3)(x)
    assert isinstance(j, Value) and j.requires_grad
    j.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data)       # d/dx sum(diag(3x^2))


def test_value_vectors_give_values_with_history():
    x = np.array([1.0, 2.0])
    v = Value(np.array([1.0, -1.0]))
    product = hvp(lambda a: (a ** 3).sum())(x, v)              # 6 x v
    assert isinstance(product, Value)
    product.sum().backward()
    np.testing.assert_allclose(v.grad, 6 * x)
    t = Value(np.array([0.5, 2.0]))
    _, pushed = jvp(lambda a: a.sin(), (x,), (t,))             # cos(x) t
    assert isinstance(pushed, Value)
    pushed.sum().backward()
    np.testing.assert_allclose(t.grad, np.cos(x))


def test_transforms_work_under_no_grad_and_return_raw_data():
    with no_grad():
        h = hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
        _, t = jvp(lambda x: x.exp(), (1.0,), (1.0,))
    np.testing.assert_array_equal(h, np.diag([6.0, 12.0]))
    assert t == pytest.approx(math.e) and type(t) is float


def test_keyword_arguments_reach_the_function():
    f = lambda x, *, power: (x ** power).sum()                          # noqa: E731
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(jacobian(f)(x, power=3), 3 * x ** 2)
    np.testing.assert_allclose(hessian(f)(x, power=3), np.diag(6 * x))
    np.testing.assert_allclose(hvp(f)(x, np.ones(2), power=3), 6 * x)


# ----- argnums ----------------------------------------------------------------------------
def test_argnums_pick_the_arguments_and_hold_the_rest_constant():
    f = lambda x, y, z: (x * y * y + z).sum()                          # noqa: E731
    x, y, z = np.array([1.0, 2.0]), np.array([3.0, -1.0]), 4.0
    np.testing.assert_array_equal(jacobian(f, argnums=1)(x, y, z), 2 * x * y)
    np.testing.assert_array_equal(jacobian(f, argnums=-1)(x, y, z), 2.0)
    np.testing.assert_array_equal(hessian(f, argnums=1)(x, y, z), np.diag(2 * x))
    np.testing.assert_array_equal(hvp(f, argnums=1)(x, y, z, np.array([1.0, 0.0])),
                                  [2 * x[0], 0.0])
    (hxx, hxy), (hyx, hyy) = hessian(f, argnums=(0, 1))(x, y, z)
    assert hxx.shape == hxy.shape == hyx.shape == hyy.shape == (2, 2)
    np.testing.assert_array_equal(hxy, np.diag(2 * y))
    np.testing.assert_array_equal(hyx, hxy.T)
    # hvp with a tuple argnums: the full block Hessian times the stacked vector
    v = (np.array([1.0, 0.5]), np.array([-1.0, 2.0]))
    hx, hy = hvp(f, argnums=(0, 1))(x, y, z, v)
    np.testing.assert_allclose(hx, hxx @ v[0] + hxy @ v[1])
    np.testing.assert_allclose(hy, hyx @ v[0] + hyy @ v[1])


@pytest.mark.parametrize("transform,args", [
    (jacobian, (1.0, 2.0)), (hessian, (1.0, 2.0)), (hvp, (1.0, 2.0, 1.0))],
    ids=["jacobian", "hessian", "hvp"])
def test_bad_argnums_are_refused(transform, args):
    def make(argnums):
        return transform(lambda x, y: x * y, argnums=argnums)

    name = transform.__name__
    with pytest.raises(ValueError, match=rf"^{name}: argnums 2 is out of range for 2 "
                                         "positional"):
        make(2)(*args)
    with pytest.raises(ValueError, match=rf"^{name}: argnums \(0, -2\) names an argument "
                                         "twice"):
        make((0, -2))(*args)
    with pytest.raises(ValueError, match=rf"^{name}: argnums is empty"):
        make(())
    with pytest.raises(TypeError, match=rf"^{name}: argnums must be an int or a tuple of ints, "
                                        "got 'x'"):
        make("x")
    with pytest.raises(TypeError, match="argnums must be"):
        make(1.0)


def test_vjp_and_jvp_take_argnums_like_grad():
    f = lambda x, y, z: x * y * y + z                                   # noqa: E731
    x, y, z = np.array([1.0, 2.0]), np.array([3.0, -1.0]), 4.0
    c = np.array([1.0, -2.0])
    out, vjp_fn = vjp(f, x, y, z, argnums=1)                # an int: one result
    np.testing.assert_array_equal(out, x * y * y + z)
    np.testing.assert_array_equal(vjp_fn(c), c * 2 * x * y)
    pulled = vjp(f, x, y, z, argnums=(2, 0))[1](c)          # a tuple: in argnums' order
    assert isinstance(pulled, tuple) and pulled[0] == -1.0 and type(pulled[0]) is float
    np.testing.assert_array_equal(pulled[1], c * y * y)
    t = np.array([0.5, 1.0])
    _, pushed = jvp(f, (x, y, z), t, argnums=1)             # one tangent for an int
    np.testing.assert_array_equal(pushed, 2 * x * y * t)
    _, pushed = jvp(f, [x, y, z], (t, 2.0), argnums=(0, -1))
    np.testing.assert_array_equal(pushed, y * y * t + 2.0)


def test_bad_argnums_of_vjp_and_jvp_are_refused():
    f = lambda x, y: x * y                                              # noqa: E731
    for name, call in (("vjp", lambda a: vjp(f, 1.0, 2.0, argnums=a)),
                       ("jvp", lambda a: jvp(f, (1.0, 2.0), (1.0, 1.0), argnums=a))):
        with pytest.raises(ValueError, match=rf"^{name}: argnums -3 is out of range for 2 "):
            call(-3)
        with pytest.raises(ValueError, match=rf"^{name}: argnums \(1, 1\) names an argument "
                                             "twice"):
            call((1, 1))
        with pytest.raises(TypeError, match=rf"^{name}: argnums must be an int or a tuple"):
            call("0")


# ----- composition ------------------------------------------------------------------------
def test_grad_of_a_jvp_output():
    f = lambda x: (x ** 3).sum()                                       # noqa: E731
    x, t = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    # d/dx (grad f . t) = H t; d/dt (grad f . t) = grad f
    np.testing.assert_allclose(grad(lambda p: jvp(f, (p,), (t,))[1])(x), 6 * x * t)
    np.testing.assert_allclose(grad(lambda s: jvp(f, (x,), (s,))[1])(t), 3 * x ** 2)


def test_grad_of_a_vjp_output_through_the_cotangent_and_the_primal():
    x, c = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    pull = lambda p, s: vjp(lambda v: v ** 2, p)[1](s)[0].sum()          # noqa: E731
    np.testing.assert_allclose(grad(pull, argnums=1)(x, c), 2 * x)     # sum(2 p s) by s
    np.testing.assert_allclose(grad(pull, argnums=0)(x, c), 2 * c)     # and by p


def test_higher_derivatives_compose():
    f = lambda x: x ** 4                                                # noqa: E731
    assert jacobian(jacobian(f))(2.0) == pytest.approx(48.0)            # 12 x^2
    assert grad(hessian(f))(2.0) == pytest.approx(48.0)                 # 24 x
    assert hessian(hessian(f))(2.0) == pytest.approx(24.0)
    assert jvp(grad(f), (2.0,), (1.0,))[1] == pytest.approx(48.0)
    assert jvp(lambda x: jvp(f, (x,), (1.0,))[1], (2.0,), (1.0,))[1] == pytest.approx(48.0)
    assert grad(lambda v: hvp(f)(2.0, v))(1.0) == pytest.approx(48.0)   # linear in v
    assert jacobian(grad(f))(2.0) == pytest.approx(48.0)
    # mixed partials with a closed-over outer argument: d/dy of d2/dx2 (x^2 y^3) = 6 y^2
    assert grad(lambda y: hessian(lambda x: x ** 2 * y ** 3)(1.5))(2.0) == pytest.approx(24.0)


def test_mixed_partial_of_a_power_at_exponent_zero():
    # d2(x^y)/dxdy = x^(y-1) (1 + y log x), 1/x at y = 0, both ways round
    (_, hxy), (hyx, _) = hessian(lambda x, y: x ** y, argnums=(0, 1))(2.0, 0.0)
    assert hxy == hyx == pytest.approx(0.5)


# ----- dtypes -----------------------------------------------------------------------------
def test_float32_stays_float32_and_float64_tangents_are_narrowed():
    x = np.array([0.5, -1.0], dtype=np.float32)
    f = lambda v: (v.sin() * v).sum()                                   # noqa: E731
    results = [jacobian(lambda v: v.sin())(x), hessian(f)(x), hvp(f)(x, np.ones(2)),
               vjp(lambda v: v.sin(), x)[1](np.ones(2))[0],
               jvp(lambda v: v.sin(), (x,), (np.ones(2),))[1]]
    for r in results:
        assert r.dtype == np.float32
    np.testing.assert_allclose(results[1], np.diag(2 * np.cos(x) - x * np.sin(x)), rtol=1e-6)


# ----- errors -----------------------------------------------------------------------------
def test_non_scalar_output_names_the_transform_the_shape_and_the_fix():
    for transform in ("grad", "hessian"):
        with pytest.raises(TypeError, match=rf"^{transform}: the function must return a "
                           r"one-element Value, got a Value of shape \(3,\); reduce"):
            getattr(ag, transform)(lambda x: x * 2.0)(np.ones(3))
    with pytest.raises(TypeError, match=r"^hvp: .* shape \(3,\); .*with jacobian, vjp or "
                                        "jvp"):
        hvp(lambda x: x * 2.0)(np.ones(3), np.ones(3))
    with pytest.raises(TypeError, match="jacobian: the function must return a Value or a "
                                        "tuple of Values, got a float"):
        jacobian(lambda x: 3.0)(1.0)
    with pytest.raises(TypeError, match="vjp: the function must return a Value or a tuple of "
                                        "Values, got a float"):
        vjp(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match="jvp: the function must return a Value"):
        jvp(lambda x: 3.0, (1.0,), (1.0,))


def test_vectors_of_the_wrong_shape_are_refused():
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"vjp: the cotangent has shape \(2,\) but the output "
                                         r"has shape \(3,\)"):
        vjp(lambda v: v * 2.0, x)[1](np.ones(2))
    with pytest.raises(ValueError, match=r"jvp: the tangent for primal 0 has shape \(\) but "
                                         r"primal 0 has shape \(3,\); give it the shape of "
                                         r"primal 0$"):
        jvp(lambda v: v * 2.0, (x,), (1.0,))
    with pytest.raises(ValueError, match=r"jvp: the tangent for primal 1 has shape \(1, 3\) .*"
                                         r"\(an int argnums takes the tangent itself, not a "
                                         r"tuple\)"):
        jvp(lambda a, b: a * b, (1.0, x), (x,), argnums=1)
    with pytest.raises(ValueError, match=r"hvp: the v for argument 0 has shape \(2,\) but "
                                         r"argument 0 has shape \(3,\)"):
        hvp(lambda v: (v * v).sum())(x, np.ones(2))
    with pytest.raises(ValueError, match=r"hvp: v must be a tuple of 2 arrays, one for each "
                                         r"argument differentiated \(0, 1\); got a ndarray"):
        hvp(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, x, x)
    with pytest.raises(ValueError, match=r"vjp: f returns a tuple of 2 Values, so the "
                                         r"cotangent must be a tuple of 2 arrays"):
        vjp(lambda v: (v, v), x)[1](x)


def test_vectors_that_are_not_real_numbers_are_refused():
    x = np.ones(2)
    with pytest.raises(TypeError, match=r"^jvp: the tangent for primal 0 has dtype complex128; "
                                        r"give real numbers"):
        jvp(lambda v: v * 2.0, (x,), (x * 1j,))
    with pytest.raises(TypeError, match=r"^vjp: the cotangent has dtype <U1; give real"):
        vjp(lambda v: v * 2.0, x)[1](np.array(["a", "b"]))
    with pytest.raises(TypeError, match=r"^hvp: the v for argument 0 has dtype object"):
        hvp(lambda v: (v * v).sum())(x, None)
    # integers and booleans are numbers, as everywhere in the library
    assert jvp(lambda v: v * 2.0, (x,), ([1, 0],))[1].tolist() == [2.0, 0.0]


def test_misused_calls_are_refused():
    with pytest.raises(TypeError, match=r"jvp: primals must be a non-empty tuple or list .* "
                                        r"got a float; write jvp\(f, \(x,\), \(t,\)\)"):
        jvp(lambda v: v, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"jvp: tangents must be a tuple of 2 arrays, one for "
                                         r"each primal differentiated \(0, 1\); got a tuple "
                                         r"of 1"):
        jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,))
    with pytest.raises(TypeError, match="vjp: give the point to differentiate at"):
        vjp(lambda: Value(1.0))
    with pytest.raises(TypeError, match=r"hvp: call it with f's arguments and then the vector"):
        hvp(lambda v: v * v)(1.0)
