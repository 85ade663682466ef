"""The inputs users get wrong, fed to every public entry point: each gives a clear error of a
built-in type that names the problem, and the model's parameters are unchanged afterwards.

Plus a hypothesis fuzz test: random shapes and dtypes through the public ops either work (with
numpy's result shape) or raise a clean ValueError/TypeError/IndexError naming the op.
"""
import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
import nn
from autograd import Value

# ----- helpers -------------------------------------------------------------------------------


def _model(seed=0):
    return nn.MLP(2, [4, 3], seed=seed)


def _snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_unchanged(model, before):
    after = model.state_dict()
    assert list(after) == list(before)
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=f"{k} changed")


def _data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)), rng.integers(0, 3, n)


# ----- shapes: every binary op and matmul ----------------------------------------------------
BINARY = [("add", "add (+)", lambda a, b: a + b), ("sub", "subtract (-)", lambda a, b: a - b),
          ("mul", "multiply (*)", lambda a, b: a * b), ("div", "divide (/)", lambda a, b: a / b),
          ("power", "power (**)", lambda a, b: a ** b),
          ("maximum", "maximum", ag.maximum), ("minimum", "minimum", ag.minimum),
          ("where", "where", lambda a, b: ag.where(np.ones((2, 3), bool), a, b))]


@pytest.mark.parametrize("name, word, fn", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("reflected", [False, True], ids=["value-value", "array-value"])
def test_binary_ops_with_mismatched_shapes(name, word, fn, reflected):
    a = np.ones((2, 3)) if reflected else Value(np.ones((2, 3)))
    b = Value(np.ones((4, 5)))
    with pytest.raises(ValueError, match=re.escape(word)) as info:
        fn(a, b)
    assert "(2, 3)" in str(info.value) and "(4, 5)" in str(info.value)


@pytest.mark.parametrize("sa, sb, words", [
    ((2, 3), (4, 2), "not aligned (3 != 4)"),
    ((3,), (4,), "not aligned (3 != 4)"),
    ((2, 3), (), "0-d operands are not allowed"),
    ((2, 2, 3), (4, 3, 2), "batch dimensions"),
])
def test_matmul_with_mismatched_shapes(sa, sb, words):
    with pytest.raises(ValueError, match=re.escape(words)) as info:
        Value(np.ones(sa)) @ Value(np.ones(sb))
    assert str(info.value).startswith("matmul:")


def test_layer_given_the_wrong_number_of_features_leaves_the_model_unchanged():
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"Layer: expected inputs of shape \(N, 2\)"):
        model(np.ones((5, 3)))
    _assert_unchanged(model, before)


# ----- losses: wrong label dtype, range, width -----------------------------------------------
LOGITS = np.zeros((3, 4))


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("labels, words", [
    (np.array([0, 1, 4]), "labels must lie in 0..3 for 4 classes"),
    (np.array([0, -1, 2]), "labels must lie in 0..3"),
    (np.array([0.0, 1.0, 2.0]), "class labels must be integers, got dtype float64"),
    (np.array([0, 1]), "expected 3 labels"),
])
def test_classification_losses_with_bad_labels(loss, labels, words):
    with pytest.raises(ValueError, match=re.escape(words)) as info:
        getattr(nn.losses, loss)(Value(LOGITS), labels)
    assert str(info.value).startswith(loss)


def test_cross_entropy_one_hot_of_the_wrong_width():
    with pytest.raises(ValueError, match=r"cross_entropy: probability targets have shape "
                                         r"\(3, 3\) but the scores have shape \(3, 4\)"):
        nn.losses.cross_entropy(Value(LOGITS), np.eye(3))


def test_nll_loss_given_one_hot_rows_asks_for_integer_labels():
    with pytest.raises(ValueError, match="nll_loss: class labels must be integers"):
        nn.losses.nll_loss(Value(LOGITS), np.eye(3, 4))


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_classification_losses_need_score_matrices(loss):
    with pytest.raises(ValueError, match=rf"{loss}: expected .* of shape \(N, C\)"):
        getattr(nn.losses, loss)(Value(np.zeros(4)), np.array([0]))


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits", "hinge_loss", "kl_div"])
def test_elementwise_losses_with_mismatched_shapes(loss):
    with pytest.raises(ValueError, match=rf"{loss}: predictions have shape \(3, 1\) but targets "
                                         r"have shape \(3,\)"):
        getattr(nn.losses, loss)(Value(np.full((3, 1), 0.5)), np.ones(3))


@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "huber_loss",
                                  "binary_cross_entropy_with_logits"])
def test_losses_with_non_numeric_targets(loss):
    with pytest.raises(TypeError, match=rf"{loss}: targets must be numbers, got .*dtype <U1"):
        getattr(nn.losses, loss)(Value(np.zeros(3)), np.array(["a", "b", "c"]))


@pytest.mark.parametrize("loss", ["binary_cross_entropy", "binary_cross_entropy_with_logits"])
def test_binary_losses_with_targets_outside_0_1(loss):
    with pytest.raises(ValueError, match=rf"{loss}: targets must lie in \[0, 1\].* from -1"):
        getattr(nn.losses, loss)(Value(np.array([0.2, 0.7])), np.array([-1.0, 1.0]))


def test_binary_cross_entropy_given_logits_points_to_the_logits_version():
    with pytest.raises(ValueError, match="use binary_cross_entropy_with_logits"):
        nn.losses.binary_cross_entropy(Value(np.array([0.5, 2.0])), np.array([0.0, 1.0]))


def test_hinge_loss_with_0_1_labels():
    with pytest.raises(ValueError, match=r"hinge_loss: labels must be -1 or \+1"):
        nn.losses.hinge_loss(Value(np.zeros(3)), np.array([0, 1, 1]))


def test_kl_div_with_negative_target_probabilities():
    with pytest.raises(ValueError, match="kl_div: target probabilities must be >= 0"):
        nn.losses.kl_div(Value(np.zeros(3)), np.array([-0.5, 1.0, 0.5]))


@pytest.mark.parametrize("loss, pred, target", [
    ("cross_entropy", np.zeros((0, 3)), np.zeros(0, dtype=np.int64)),
    ("nll_loss", np.zeros((0, 3)), np.zeros(0, dtype=np.int64)),
    ("mse_loss", np.zeros(0), np.zeros(0)),
    ("binary_cross_entropy_with_logits", np.zeros(0), np.zeros(0)),
])
def test_mean_losses_of_an_empty_batch(loss, pred, target):
    with pytest.raises(ValueError, match=rf"{loss}: cannot average the loss of an empty batch"):
        getattr(nn.losses, loss)(Value(pred), target)
    # a sum over nothing is a well-defined 0
    assert getattr(nn.losses, loss)(Value(pred), target, reduction="sum").item() == 0.0


def test_unknown_loss_and_reduction():
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'"):
        nn.losses.get_loss("crossentropy")
    with pytest.raises(ValueError, match="mse_loss: reduction must be one of"):
        nn.losses.mse_loss(Value(np.zeros(3)), np.zeros(3), reduction="avg")


# ----- empty arrays through the ops -----------------------------------------------------------
@pytest.mark.parametrize("name", ["max", "min", "logsumexp"])
def test_reductions_that_need_an_entry_refuse_empty_input(name):
    x = Value(np.ones((0, 3)))
    with pytest.raises(ValueError, match=rf"{name}: cannot reduce a value of shape \(0, 3\)"):
        getattr(ag, name)(x)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
@pytest.mark.parametrize("axis", [0, -1, (0,)])
def test_reductions_of_a_0d_value_over_an_axis(name, axis):
    """Regression: mean raised a bare IndexError and max blamed an 'empty input'."""
    with pytest.raises(ValueError, match=rf"{name}: axis .* out of range for a value with 0 "
                                         "dimensions"):
        getattr(ag, name)(Value(np.array(1.0, dtype=np.float32)), axis=axis)


def test_empty_arrays_flow_through_shape_preserving_ops_and_backward():
    x = Value(np.ones((0, 3)))
    y = (x * 2.0 + 1.0).tanh() @ Value(np.ones((3, 2)))
    assert y.shape == (0, 2)
    y.sum().backward()
    assert x.grad.shape == (0, 3) and x.grad.size == 0


# ----- fit ------------------------------------------------------------------------------------
def _fit(model, X, y, loss="cross_entropy", **kw):
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    kw.setdefault("epochs", 2)
    return nn.fit(model, X, y, loss, opt, batch_size=2, verbose=False, **kw)


@pytest.mark.parametrize("where, words", [
    ("X", "fit: X contains 2 NaN or infinite value(s), the first at row 3, column 1"),
    ("y", "fit: y contains 1 NaN or infinite value(s), the first at row 4"),
    ("val", "fit: validation X contains 1 NaN"),
])
def test_fit_refuses_nan_in_the_data_before_training(where, words):
    model = _model()
    before = _snapshot(model)
    X, y = _data()
    y = y.astype(np.float64) if where == "y" else y
    kw = {}
    if where == "X":
        X[3, 1], X[7, 0] = np.nan, np.inf
    elif where == "y":
        y[4] = np.nan
    else:
        Xv = X[:3].copy()
        Xv[1, 1] = np.nan
        kw["validation_data"] = (Xv, y[:3])
    with pytest.raises(ValueError, match=re.escape(words)):
        _fit(model, X, y, loss="mse_loss" if where == "y" else "cross_entropy", **kw)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("case, kind, words", [
    ("lengths", ValueError, "fit: X has 10 rows but y has 9"),
    ("empty", ValueError, "fit: X and y are empty"),
    ("strings", TypeError, "fit: X must hold numbers, got an array of dtype <U"),
    ("width", ValueError, r"Layer: expected inputs of shape (N, 2)"),
    ("label range", ValueError, "cross_entropy: labels must lie in 0..2 for 3 classes"),
    ("float labels", ValueError, "cross_entropy: class labels must be integers"),
    ("one-hot width", ValueError, "cross_entropy: probability targets have shape (10, 4)"),
    ("val labels", ValueError, "cross_entropy: labels must lie in 0..2"),
])
def test_fit_with_bad_data_fails_before_any_parameter_changes(case, kind, words):
    model = _model()
    before = _snapshot(model)
    X, y = _data()
    kw = {}
    if case == "lengths":
        y = y[:9]
    elif case == "empty":
        X, y = X[:0], y[:0]
    elif case == "strings":
        X = X.astype(str)
    elif case == "width":
        X = np.ones((10, 3))
    elif case == "label range":
        y[-1] = 3                        # only the last row is bad: it still fails up front
    elif case == "float labels":
        y = y.astype(np.float64)
    elif case == "one-hot width":
        y = np.eye(4)[y]
    elif case == "val labels":
        kw["validation_data"] = (X[:2], np.array([0, 7]))
    with pytest.raises(kind, match=re.escape(words)):
        _fit(model, X, y, **kw)
    _assert_unchanged(model, before)


def test_fit_with_shuffled_bad_label_in_a_late_batch_changes_nothing():
    model = _model()
    before = _snapshot(model)
    X, y = _data(40)
    y[-1] = 5
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        _fit(model, X, y, shuffle=False)      # the bad label sits in the 20th batch
    _assert_unchanged(model, before)


def test_evaluate_with_mismatched_lengths():
    model = _model()
    X, y = _data()
    with pytest.raises(ValueError, match="evaluate: X has 10 rows but y has 3"):
        nn.evaluate(model, X, y[:3], "cross_entropy")


# ----- backward misuse ------------------------------------------------------------------------
def test_backward_twice_accumulates_gradients():
    """The graph is kept by default (retain_graph=True): a second backward() over the same
    graph runs again and adds to .grad, as in micrograd. Call zero_grad() between passes to
    start over."""
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    y.backward()
    assert x.grad == 12.0
    x.zero_grad()
    y.backward()
    assert x.grad == 6.0


def test_backward_on_a_non_scalar_graph_says_how_to_fix_it():
    x = Value(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*y\.sum\(\)\.backward\(\)"):
        (x * 2.0).backward()
    assert x.grad is None


def test_backward_with_a_gradient_of_the_wrong_shape():
    x = Value(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"backward: gradient has shape \(3,\) but the output "
                                         r"has shape \(2, 3\)"):
        (x * 2.0).backward(np.ones(3))


def test_backward_on_a_constant():
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        Value(1.0, requires_grad=False).backward()


# ----- load -----------------------------------------------------------------------------------
def _load_case(tmp_path, case):
    path = tmp_path / f"{case}.npz"
    if case == "other architecture":
        nn.MLP(3, [4, 3], seed=1).save(path)
    elif case == "truncated":
        _model(seed=1).save(path)
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    elif case == "pickled array":
        np.savez(path, **{"layers.0.W": np.array([{"evil": 1}] * 8, dtype=object).reshape(2, 4)})
    elif case == "pickle file":
        path.write_bytes(pickle.dumps({"layers.0.W": np.ones((2, 4))}))
    elif case == "empty file":
        path.write_bytes(b"")
    elif case == "single array":
        path = tmp_path / "single.npy"
        np.save(path, np.ones(3))
    elif case == "missing names":
        state = _model(seed=1).state_dict()
        del state["layers.1.b"]
        np.savez(path, **state)
    return path


@pytest.mark.parametrize("case, kind, words", [
    ("other architecture", ValueError, "mismatched shapes: layers.0.W: file (3, 4) vs model "
                                       "(2, 4)"),
    ("truncated", ValueError, "truncated or foreign file?"),
    ("pickled array", ValueError, "pickled objects, which are refused"),
    ("pickle file", ValueError, "pickled objects, which are refused"),
    ("empty file", ValueError, "not a readable parameter file"),
    ("single array", ValueError, "a single array, not an .npz archive"),
    ("missing names", KeyError, "missing: layers.1.b"),
])
def test_load_of_a_bad_file_changes_nothing(tmp_path, case, kind, words):
    model = _model()
    before = _snapshot(model)
    path = _load_case(tmp_path, case)
    with pytest.raises(kind, match=re.escape(words)):
        model.load(path)
    _assert_unchanged(model, before)


def test_load_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="load: no such file"):
        _model().load(tmp_path / "nope.npz")


# ----- optimisers -----------------------------------------------------------------------------
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_with_no_parameters(name):
    with pytest.raises(ValueError, match=rf"{name}: got an empty parameter list"):
        getattr(nn.optim, name)([], lr=0.1)
    with pytest.raises(ValueError, match=rf"{name}: got an empty parameter list"):
        getattr(nn.optim, name)(nn.Sequential().parameters(), lr=0.1)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("lr", [-0.1, float("nan")])
def test_optimizer_with_a_bad_learning_rate_leaves_the_model_unchanged(name, lr):
    model = _model()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=rf"{name}: lr must be a finite number >= 0, got"):
        getattr(nn.optim, name)(model.parameters(), lr=lr)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_given_a_single_value_or_non_values(name):
    with pytest.raises(TypeError, match="got a single Value"):
        getattr(nn.optim, name)(Value(np.ones(2)), lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, not a Value"):
        getattr(nn.optim, name)([np.ones(2)], lr=0.1)


# ----- values ---------------------------------------------------------------------------------
@pytest.mark.parametrize("data, kind, words", [
    ("abc", TypeError, "Value: cannot hold data of dtype"),
    (np.array([1 + 2j]), TypeError, "complex data is not supported"),
    ([1.0, None], TypeError, "Value: cannot hold data of dtype object"),
])
def test_value_with_non_numeric_data(data, kind, words):
    with pytest.raises(kind, match=re.escape(words)):
        Value(data)


# ----- fuzz: random shapes and dtypes through the public ops ----------------------------------
DTYPES = [np.float32, np.float64, np.int64]
CLEAN = (ValueError, TypeError, IndexError)


def _arrays(shape=None):
    shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3) if shape is None \
        else shape
    return st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(
        dt, shape, elements=st.integers(1, 4) if dt == np.int64 else
        st.floats(0.5, 2.0, width=32)))


def _as_held(a):
    """The data as a Value holds it: integers become float64, a float64 0-d array a Python
    float (which, like any Python float, does not widen float32 arrays)."""
    a = a.astype(np.float64) if a.dtype.kind == "i" else a
    return float(a) if a.ndim == 0 and a.dtype == np.float64 else a


def _expected(fn, *arrays):
    """numpy's result on the data as Values hold it, or the exception it raises."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return np.asarray(fn(*[_as_held(a) for a in arrays]))
        except Exception as exc:                    # numpy's own refusal
            return exc


def _compare(name, ours, theirs):
    """Same shape as numpy when numpy works; a clean error naming the op when it does not."""
    if isinstance(theirs, Exception):
        assert isinstance(ours, CLEAN), (name, ours, theirs)
        assert name in str(ours), (name, str(ours))
        return
    assert not isinstance(ours, Exception), (name, repr(ours), theirs.shape)
    assert ours.shape == theirs.shape, (name, ours.shape, theirs.shape)
    expected_dtype = theirs.dtype if theirs.dtype.kind == "f" else np.dtype(np.float64)
    assert ours.dtype == expected_dtype, (name, ours.dtype, expected_dtype)


def _ours(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return fn(*args)
        except CLEAN as exc:
            return exc


BINARY_FUZZ = {"add": (np.add, ag.add), "sub": (np.subtract, ag.sub),
               "mul": (np.multiply, ag.mul), "div": (np.divide, ag.div),
               "maximum": (np.maximum, ag.maximum), "minimum": (np.minimum, ag.minimum),
               "matmul": (np.matmul, ag.matmul)}
# the words each op's error message uses for its name
BINARY_WORDS = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "divide",
                "maximum": "maximum", "minimum": "minimum", "matmul": "matmul"}


@given(name=st.sampled_from(sorted(BINARY_FUZZ)), a=_arrays(), b=_arrays())
def test_fuzz_binary_ops_and_matmul(name, a, b):
    np_fn, ag_fn = BINARY_FUZZ[name]
    theirs = _expected(np_fn, a, b)
    if name == "matmul" and (a.ndim == 0 or b.ndim == 0):
        theirs = ValueError("numpy refuses 0-d matmul operands too")
    ours = _ours(lambda: ag_fn(Value(a), Value(b)))
    _compare(BINARY_WORDS[name], ours, theirs)
    if not isinstance(ours, Exception):
        ours.sum().backward()                        # and the backward pass works too


def test_backward_to_a_0d_float32_input_from_a_float64_result():
    a = Value(np.array(2.0, dtype=np.float32))
    (a * Value(np.ones(3))).sum().backward()
    assert a.grad.dtype == np.float32 and a.grad == 3.0


REDUCTIONS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}


@given(name=st.sampled_from(sorted(REDUCTIONS)), x=_arrays(), data=st.data())
def test_fuzz_reductions_with_random_axes(name, x, data):
    axis = data.draw(st.one_of(
        st.none(), st.integers(-4, 3),
        st.lists(st.integers(-4, 3), min_size=1, max_size=3).map(tuple)), label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    theirs = _expected(lambda v: REDUCTIONS[name](v, axis=axis, keepdims=keepdims), x)
    if x.ndim == 0 and axis not in (None, ()):
        theirs = ValueError("a 0-d value has no axis (numpy accepts axis=0 for some reductions)")
    ours = _ours(lambda: getattr(ag, name)(Value(x), axis=axis, keepdims=keepdims))
    _compare(name, ours, theirs)


@given(x=_arrays(), data=st.data())
def test_fuzz_reshape(x, data):
    shape = data.draw(st.lists(st.integers(-1, 4), min_size=0, max_size=3).map(tuple),
                      label="shape")
    theirs = _expected(lambda v: np.reshape(v, shape), x)
    _compare("reshape", _ours(lambda: ag.reshape(Value(x), shape)), theirs)


_INDEX_PART = st.one_of(st.integers(-4, 4), st.slices(4), st.none(), st.just(Ellipsis),
                        st.lists(st.integers(-4, 4), min_size=1, max_size=3).map(np.array),
                        st.floats(0, 2))


@given(x=_arrays(), index=st.one_of(_INDEX_PART, st.lists(_INDEX_PART, max_size=4).map(tuple)))
def test_fuzz_getitem(x, index):
    theirs = _expected(lambda v: v[index], x)
    ours = _ours(lambda: Value(x)[index])
    _compare("getitem", ours, theirs)
    if not isinstance(ours, Exception) and ours.requires_grad:
        ours.sum().backward()
