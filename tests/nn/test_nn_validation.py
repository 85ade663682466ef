"""Arguments and data are checked by one rule each (nn.checks) before anything changes: sizes,
epochs and batch sizes are ints and never truncated, hyper-parameters are finite numbers, an
optimiser gets each parameter once, `fit`'s shape errors name the user's shape, and NaN is
refused alike by fit, evaluate, predict, load and the plots."""
import re

import numpy as np
import pytest

import nn


def _snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_unchanged(model, before):
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def _data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)), rng.integers(0, 3, size=n)


# ----- predict and evaluate: batch_size ----------------------------------------------------------
@pytest.mark.parametrize("batch_size", [0, -1, -7])
def test_predict_and_evaluate_refuse_a_batch_size_below_one(batch_size):
    model = nn.MLP(4, [3, 2], seed=0)
    X, y = np.ones((50, 4)), np.zeros(50, dtype=np.int64)
    with pytest.raises(ValueError, match=re.escape(
            f"predict: batch_size must be a positive integer, got {batch_size}")):
        nn.predict(model, X, batch_size=batch_size)
    with pytest.raises(ValueError, match=re.escape(
            f"evaluate: batch_size must be a positive integer, got {batch_size}")):
        nn.evaluate(model, X, y, "cross_entropy", batch_size=batch_size)


def test_predict_and_evaluate_refuse_a_fractional_batch_size():
    model = nn.MLP(4, [3, 2], seed=0)
    with pytest.raises(TypeError, match=r"predict: batch_size must be a positive integer, got "
                                        r"2\.5 \(a float\); nothing is rounded"):
        nn.predict(model, np.ones((5, 4)), batch_size=2.5)


@pytest.mark.parametrize("batch_size", [1, 7, 49, 50, 64, None, np.int64(8)])
def test_predict_in_batches_gives_one_row_per_input_and_the_same_numbers(batch_size):
    model = nn.MLP(4, [3, 2], seed=0)
    X = np.random.default_rng(1).normal(size=(50, 4))
    whole = nn.predict(model, X)
    got = nn.predict(model, X, batch_size=batch_size)
    assert got.shape == (50, 2)
    np.testing.assert_allclose(got, whole, rtol=1e-12, atol=1e-12)


# ----- constructors: nothing truncated silently ----------------------------------------------
@pytest.mark.parametrize("make, kind, words", [
    (lambda: nn.MLP(4, 3), TypeError,
     "MLP: nouts must be a list of layer sizes such as [16, 1], got 3 (an int); for a single "
     "layer of 3 write MLP(4, [3])"),
    (lambda: nn.MLP(4, [3, 2.5]), TypeError,
     "MLP: nouts[1] must be a positive integer, got 2.5 (a float); nothing is rounded"),
    (lambda: nn.MLP(4, [3, 0]), ValueError, "MLP: nouts[1] must be a positive integer, got 0"),
    (lambda: nn.MLP(4, [-2]), ValueError, "MLP: nouts[0] must be a positive integer, got -2"),
    (lambda: nn.MLP(0, [3]), ValueError, "MLP: nin must be a positive integer, got 0"),
    (lambda: nn.MLP(4.0, [3]), TypeError, "MLP: nin must be a positive integer, got 4.0"),
    (lambda: nn.MLP(4, []), ValueError, "MLP: nouts must list at least one layer size"),
    (lambda: nn.Layer(3, 0), ValueError, "Layer: nout must be a positive integer, got 0"),
    (lambda: nn.Layer(3, "2"), TypeError, "Layer: nout must be a positive integer, got '2' "
                                          "(a str); convert the text first: int('2')"),
    (lambda: nn.Layer(True, 2), TypeError, "Layer: nin must be a positive integer, got True"),
    (lambda: nn.Neuron(2.7), TypeError, "Neuron: nin must be a positive integer, got 2.7"),
    (lambda: nn.Neuron(-1), ValueError, "Neuron: nin must be a positive integer, got -1"),
    (lambda: nn.BatchNorm(0), ValueError, "BatchNorm: num_features must be a positive integer"),
    (lambda: nn.BatchNorm(4, momentum=1.5), ValueError, "BatchNorm: momentum must be in [0, 1]"),
    (lambda: nn.LayerNorm(3.5), TypeError, "LayerNorm: normalized_shape must be an int or a"),
    (lambda: nn.PReLU(-1), ValueError, "PReLU: num_parameters must be a positive integer"),
    (lambda: nn.Maxout(3, 2, pieces=1.5), TypeError, "Maxout: pieces must be a positive integer"),
    (lambda: nn.Dropout("0.5"), TypeError, "Dropout: p must be in [0, 1], got '0.5' (a str)"),
    (lambda: nn.Dropout(float("nan")), ValueError, "Dropout: p must be in [0, 1], got nan"),
])
def test_constructors_refuse_bad_sizes_with_the_value_and_the_fix(make, kind, words):
    with pytest.raises(kind, match=re.escape(words)):
        make()


def test_integer_sizes_of_any_integer_type_are_accepted():
    model = nn.MLP(np.int64(4), (np.int32(3), 2), seed=0)
    assert [layer.nout for layer in model.layers] == [3, 2]
    assert all(type(layer.nout) is int for layer in model.layers)


# ----- fit: epochs, batch sizes, split -------------------------------------------------------
@pytest.mark.parametrize("kw, kind, words", [
    (dict(epochs=2.5), TypeError, "fit: epochs must be a non-negative integer, got 2.5"),
    (dict(epochs=-1), ValueError, "fit: epochs must be a non-negative integer, got -1"),
    (dict(epochs="3"), TypeError, "convert the text first: int('3')"),
    (dict(batch_size=2.5), TypeError, "fit: batch_size must be a positive integer, got 2.5 "
                                      "(a float); nothing is rounded"),
    (dict(batch_size=0), ValueError, "fit: batch_size must be a positive integer, got 0"),
    (dict(validation_split="0.2"), TypeError, "fit: validation_split must be in [0, 1), got "
                                              "'0.2' (a str)"),
    (dict(validation_split=1.0), ValueError, "fit: validation_split must be in [0, 1), got 1.0"),
    (dict(validation_split=float("nan")), ValueError, "validation_split must be in [0, 1)"),
])
def test_fit_refuses_bad_counts_before_any_step(kw, kind, words):
    model = nn.MLP(2, [4, 3], seed=0)
    before = _snapshot(model)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.5)
    X, y = _data()
    with pytest.raises(kind, match=re.escape(words)):
        nn.fit(model, X, y, "cross_entropy", optimizer, verbose=False, **kw)
    assert optimizer.steps == 0
    _assert_unchanged(model, before)


def test_fit_shape_errors_name_the_users_shape_not_a_probe():
    model = nn.MLP(2, [4, 3], seed=0)
    before = _snapshot(model)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.5)
    _, y = _data(10)
    with pytest.raises(ValueError, match=r"got \(10, 3\)") as info:
        nn.fit(model, np.ones((10, 3)), y, "cross_entropy", optimizer, verbose=False)
    assert "(1, 3)" not in str(info.value)
    X, _ = _data(10)
    with pytest.raises(ValueError, match=r"got \(4, 5\)") as info:
        nn.fit(model, X, y, "cross_entropy", optimizer, verbose=False,
               validation_data=(np.ones((4, 5)), y[:4]))
    assert "(1, 5)" not in str(info.value)
    assert optimizer.steps == 0
    _assert_unchanged(model, before)


# ----- optimisers and schedules --------------------------------------------------------------
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("lr, kind, words", [
    (float("inf"), ValueError, "lr must be a finite number >= 0, got inf"),
    (-float("inf"), ValueError, "lr must be a finite number >= 0, got -inf"),
    (float("nan"), ValueError, "lr must be a finite number >= 0, got nan"),
    ("0.1", TypeError, "lr must be a finite number >= 0, got '0.1' (a str); convert the text "
                       "first: float('0.1')"),
    (None, TypeError, "lr must be a finite number >= 0, got None"),
])
def test_optimizers_refuse_non_finite_or_text_learning_rates(name, lr, kind, words):
    with pytest.raises(kind, match=re.escape(f"{name}: {words}")):
        getattr(nn.optim, name)(nn.MLP(2, [3], seed=0).parameters(), lr=lr)


@pytest.mark.parametrize("make, kind, words", [
    (lambda p: nn.optim.SGD(p, lr=0.1, momentum=float("inf")), ValueError,
     "SGD: momentum must be a finite number >= 0, got inf"),
    (lambda p: nn.optim.SGD(p, lr=0.1, weight_decay="0.01"), TypeError,
     "SGD: weight_decay must be a finite number >= 0, got '0.01'"),
    (lambda p: nn.optim.Adam(p, eps=float("nan")), ValueError,
     "Adam: eps must be a finite number >= 0, got nan"),
    (lambda p: nn.optim.Adam(p, betas=0.9), TypeError,
     "Adam: betas must be a pair (beta1, beta2) such as (0.9, 0.999), got 0.9"),
    (lambda p: nn.optim.RMSprop(p, alpha=float("inf")), ValueError,
     "RMSprop: alpha must be in [0, 1], got inf"),
    (lambda p: nn.optim.StepLR(nn.optim.SGD(p, lr=0.1), step_size=2.5), TypeError,
     "StepLR: step_size must be a positive integer, got 2.5"),
    (lambda p: nn.optim.ExponentialLR(nn.optim.SGD(p, lr=0.1), gamma=float("inf")), ValueError,
     "ExponentialLR: gamma must be a finite number >= 0, got inf"),
    (lambda p: nn.optim.CosineAnnealingLR(nn.optim.SGD(p, lr=0.1), T_max=0), ValueError,
     "CosineAnnealingLR: T_max must be a positive integer, got 0"),
    (lambda p: nn.EarlyStopping(patience=1.5), TypeError,
     "EarlyStopping: patience must be a non-negative integer, got 1.5"),
])
def test_hyper_parameters_are_checked_by_the_same_rules(make, kind, words):
    with pytest.raises(kind, match=re.escape(words)):
        make(nn.MLP(2, [3], seed=0).parameters())


def test_a_learning_rate_set_later_is_checked_too_and_the_old_one_kept():
    optimizer = nn.optim.Adam(nn.MLP(2, [3], seed=0).parameters(), lr=0.01)
    with pytest.raises(ValueError, match="Adam: lr must be a finite number >= 0, got inf"):
        optimizer.lr = float("inf")
    assert optimizer.lr == 0.01
    optimizer.lr = 0.5
    assert optimizer.lr == 0.5 and type(optimizer.lr) is float


def test_an_optimizer_refuses_the_same_parameter_twice():
    model = nn.MLP(2, [3, 1], seed=0)
    params = model.parameters()
    with pytest.raises(ValueError, match=re.escape(
            "SGD: the optimizer got the same parameter twice (parameters 0 and 4), so each step "
            "would update it twice; pass each parameter once")):
        nn.optim.SGD(params + params[:1], lr=0.1)


def test_a_shared_layer_is_one_parameter_set_and_is_accepted():
    shared = nn.Layer(2, 2, seed=0)
    model = nn.Sequential(shared, shared)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    assert len(optimizer.params) == 2


# ----- NaN in inputs: one rule -------------------------------------------------------------------
def _with_nan(a, index):
    a = np.array(a, dtype=np.float64)
    a[index] = np.nan
    return a


@pytest.mark.parametrize("call, words", [
    (lambda m, X, y: nn.fit(m, _with_nan(X, (2, 1)), y, "cross_entropy",
                            nn.optim.SGD(m.parameters(), lr=0.1), verbose=False),
     "fit: X contains 1 NaN or infinite value(s), the first at row 2, column 1"),
    (lambda m, X, y: nn.evaluate(m, _with_nan(X, (2, 1)), y, "cross_entropy"),
     "evaluate: X contains 1 NaN or infinite value(s), the first at row 2, column 1"),
    (lambda m, X, y: nn.evaluate(m, X, _with_nan(np.eye(3)[y], (4, 0)), "mse_loss",
                                 metrics=()),
     "evaluate: y contains 1 NaN or infinite value(s), the first at row 4, column 0"),
    (lambda m, X, y: nn.predict(m, _with_nan(X, (2, 1))),
     "predict: X contains 1 NaN or infinite value(s), the first at row 2, column 1"),
    (lambda m, X, y: nn.predict(m, np.where(np.eye(10, 2) > 0, np.inf, X), batch_size=3),
     "predict: X contains 2 NaN or infinite value(s), the first at row 0, column 0"),
])
def test_fit_evaluate_and_predict_refuse_nan_alike(call, words):
    model = nn.MLP(2, [4, 3], seed=0)
    before = _snapshot(model)
    X, y = _data()
    with pytest.raises(ValueError, match=re.escape(words)):
        call(model, X, y)
    _assert_unchanged(model, before)


def test_load_refuses_a_file_with_nan_weights_and_changes_nothing(tmp_path):
    source = nn.MLP(2, [4, 3], seed=1)
    source.layers[1].W.data[2, 0] = np.nan
    path = tmp_path / "diverged.npz"
    source.save(path)
    model = nn.MLP(2, [4, 3], seed=0)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=re.escape(
            f"load: 'layers.1.W' in {str(path)!r} contains 1 NaN or infinite value(s), the "
            "first at row 2, column 0")):
        model.load(path)
    _assert_unchanged(model, before)
    with pytest.raises(ValueError, match="load_state_dict: 'layers.1.W' in the state contains 1"):
        model.load_state_dict(source.state_dict())
    _assert_unchanged(model, before)


@pytest.fixture
def plots():
    pytest.importorskip("matplotlib")
    import visualize
    return visualize


@pytest.mark.parametrize("draw, words", [
    (lambda v, path: v.plot_decision_boundary(nn.MLP(2, [3, 2], seed=0),
                                              _with_nan(np.ones((5, 2)), (3, 0)),
                                              np.zeros(5, dtype=int), path),
     "plot_decision_boundary: X contains 1 NaN or infinite value(s), the first at row 3"),
    (lambda v, path: v.plot_predictions(_with_nan(np.ones((4, 8, 8)), (1, 2, 3)),
                                        np.zeros(4, dtype=int), np.zeros(4, dtype=int), path),
     "plot_predictions: images contains 1 NaN or infinite value(s), the first at row 1"),
    (lambda v, path: v.plot_history({"loss": [1.0, float("nan"), 0.5]}, path),
     "plot_history: 'loss' (by epoch) contains 1 NaN or infinite value(s), the first at row 1"),
    (lambda v, path: v.plot_gradient_flow({"layers.0": [0.1, float("inf")]}, path),
     "plot_gradient_flow: the gradient norms of 'layers.0' contains 1 NaN or infinite"),
])
def test_the_plots_refuse_nan_as_fit_does(plots, tmp_path, draw, words):
    path = tmp_path / "picture.png"
    with pytest.raises(ValueError, match=re.escape(words)):
        draw(plots, path)
    assert not path.exists()


def test_finite_inputs_still_plot(plots, tmp_path):
    path = plots.plot_decision_boundary(nn.MLP(2, [3, 2], seed=0), np.eye(4, 2),
                                        np.array([0, 1, 0, 1]), tmp_path / "ok.png")
    assert path.read_bytes()[:4] == b"\x89PNG"

