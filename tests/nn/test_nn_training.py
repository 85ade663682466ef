"""Training: classic demonstrations (XOR, micrograd's moons, the digits), fit/evaluate/predict,
from scores to classes, History and the other callbacks, the display."""
import io
import math

import numpy as np
import pytest

from autograd import Value
import nn
from nn import losses


def _bce(out, y):
    assert out.shape == y.shape == (len(y), 1)     # fit gives (N,) targets the output's shape
    return losses.binary_cross_entropy_with_logits(out, y.astype(out.dtype))


def test_xor_needs_depth():
    X, y = nn.data.make_xor(4, seed=0)
    linear = nn.MLP(2, [1], seed=0)                               # a linear model
    h_lin = nn.fit(linear, X, y, _bce, nn.optim.Adam(linear.parameters(), lr=0.05),
                   epochs=500, batch_size=None, verbose=False)
    # By the symmetries of XOR the best linear logistic fit is w = 0, b = 0: loss ln 2.
    assert min(h_lin.history["loss"]) >= math.log(2) - 1e-9
    assert max(h_lin.history["accuracy"]) <= 0.75
    deep = nn.MLP(2, [8, 1], activation="tanh", seed=0)           # 2-8-1
    h = nn.fit(deep, X, y, _bce, nn.optim.Adam(deep.parameters(), lr=0.05), epochs=300,
               batch_size=None, verbose=False)
    assert h.history["accuracy"][-1] == 1.0
    assert h.history["loss"][-1] < 0.05
    np.testing.assert_array_equal((nn.predict(deep, X).reshape(-1) > 0).astype(int), y)


@pytest.mark.parametrize("seed", [0, 1])
def test_micrograd_moons_demo(seed):
    """micrograd's demo.ipynb: 100 moons, MLP(2, [16, 16, 1]), max-margin loss with L2 1e-4,
    full-batch SGD with lr 1.0 - 0.9 k / 100 for 100 steps."""
    X, y = nn.data.make_moons(100, noise=0.1, seed=seed)
    y = 2 * y - 1
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    inputs = Value(X, requires_grad=False)
    for k in range(100):
        scores = model(inputs).reshape(-1)
        data_loss = losses.hinge_loss(scores, y)
        reg_loss = 1e-4 * sum((p * p).sum() for p in model.parameters())
        loss = data_loss + reg_loss
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / 100
        opt.step()
    scores = nn.predict(model, X).reshape(-1)
    assert np.mean((scores > 0) == (y > 0)) == 1.0
    assert nn.accuracy(scores, y) == 1.0


def test_digits_mlp_reaches_96_percent():
    X, y = nn.data.load_digits()
    Xtr, Xte, ytr, yte = nn.data.train_test_split(X / 16, y, test_size=0.2, seed=0,
                                                  stratify=True)
    model = nn.MLP(64, [64, 32, 10], seed=0)
    history = nn.fit(model, Xtr, ytr, "cross_entropy", nn.optim.Adam(model.parameters(),
                     lr=3e-3), epochs=20, batch_size=32, seed=0, verbose=False)
    scores = nn.evaluate(model, Xte, yte, "cross_entropy")
    assert scores["accuracy"] >= 0.96, scores
    assert history.history["loss"][-1] < history.history["loss"][0] / 10
    assert len(Xte) == 360


def test_float32_training_stays_float32():
    X, y = nn.data.make_moons(64, noise=0.1, seed=0)
    f32 = np.float32
    model = nn.Sequential(nn.Layer(2, 16, dtype=f32, seed=0), nn.LayerNorm(16, dtype=f32),
                          nn.Layer(16, 2, activation=None, dtype=f32, seed=1))
    seen = []

    def loss(out, target):
        value = losses.cross_entropy(out, target)
        seen.append((out.dtype, value.dtype))
        return value

    opt = nn.optim.AdamW(model.parameters(), lr=0.01)
    history = nn.fit(model, X, y, loss, opt, epochs=3, batch_size=16, seed=0,
                     validation_data=(X, y), verbose=False)
    assert set(seen) == {(np.dtype(np.float32), np.dtype(np.float32))}
    for p in model.parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[id(p)].values()
                   if isinstance(v, np.ndarray))
    assert nn.predict(model, X).dtype == np.float32
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_history_keys_validation_split_and_shuffle_seed():
    X, y = nn.data.make_blobs(120, noise=1.0, seed=0)

    def run():
        model = nn.MLP(2, [8, 3], seed=0)
        return nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1),
                      epochs=4, batch_size=10, validation_split=0.25, seed=1, verbose=False)

    h1, h2 = run(), run()
    assert sorted(h1.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == 4 for v in h1.history.values()) and h1.epoch == [0, 1, 2, 3]
    assert h1.history == h2.history                               # same seed, same run
    model = nn.MLP(2, [8, 3], seed=0)
    nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1), epochs=4,
           batch_size=10, validation_split=0.25, seed=1, verbose=False)
    val = nn.evaluate(model, X[90:], y[90:], "cross_entropy")
    assert val["loss"] == pytest.approx(h1.history["val_loss"][-1])
    assert val["accuracy"] == pytest.approx(h1.history["val_accuracy"][-1])


def test_fit_rejects_bad_arguments():
    X, y = nn.data.make_blobs(20, seed=0)
    model = nn.MLP(2, [3], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="X has 20 rows but y has 19"):
        nn.fit(model, X, y[:19], "cross_entropy", opt, verbose=False)
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'"):
        nn.fit(model, X, y, "crossentropy", opt, verbose=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        nn.fit(model, X, y, "cross_entropy", opt, metrics=["f1"], verbose=False)


def test_early_stopping_restores_best_weights():
    X, y = nn.data.make_blobs(60, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    script = iter([1.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.0])
    snapshots = []

    class Fake(nn.Callback):
        def on_epoch_end(self, epoch, logs):
            logs["score"] = next(script)                          # runs before EarlyStopping
            snapshots.append(model.state_dict())

    stopper = nn.EarlyStopping(monitor="score", patience=2)
    history = nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.5),
                     epochs=8, callbacks=[Fake(), stopper], verbose=False)
    assert history.epoch == [0, 1, 2, 3]                          # two epochs without progress
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, snapshots[1][k])
    with pytest.raises(ValueError, match="'val_loss' is not in the logs"):
        nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.5),
               epochs=1, callbacks=[nn.EarlyStopping()], verbose=False)


def _weights(model):
    return {k: np.array(v) for k, v in model.state_dict().items()}


@pytest.mark.parametrize("callback, key", [
    (lambda tmp: nn.EarlyStopping(), "val_loss"),
    (lambda tmp: nn.EarlyStopping(monitor="los"), "los"),
    (lambda tmp: nn.ModelCheckpoint(str(tmp / "m.npz"), monitor="val_accuracy",
                                    save_best_only=True), "val_accuracy"),
])
def test_missing_monitor_is_refused_before_any_step(tmp_path, callback, key):
    X, y = nn.data.make_xor(16, seed=0)
    model = nn.MLP(2, [4, 2], seed=0)
    before = _weights(model)
    with pytest.raises(ValueError, match=rf"{key!r}.*available: loss, accuracy\)"):
        nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), 0.5), epochs=2,
               verbose=False, callbacks=[callback(tmp_path)])
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, before[k])
    assert list(tmp_path.iterdir()) == []


class _OnlyBegins(nn.Callback):                     # cannot add log keys: no on_epoch_end
    def on_train_begin(self, model):
        self.began = True


class _ReadsLogs(nn.Callback):
    writes_logs = False

    def on_epoch_end(self, epoch, logs):
        self.seen = dict(logs)


@pytest.mark.parametrize("first", [_OnlyBegins, _ReadsLogs])
def test_callbacks_that_add_no_keys_keep_the_check(first):
    X, y = nn.data.make_xor(16, seed=0)
    model = nn.MLP(2, [4, 2], seed=0)
    before = _weights(model)
    with pytest.raises(ValueError, match="EarlyStopping: monitored quantity 'val_loss' is not"):
        nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), 0.5), epochs=2,
               verbose=False, callbacks=[first(), nn.EarlyStopping()])
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, before[k])


def test_present_monitors_still_train(tmp_path):
    X, y = nn.data.make_xor(16, seed=0)
    model = nn.MLP(2, [4, 2], seed=0)
    stop = nn.EarlyStopping(monitor="val_accuracy", patience=5)
    save = nn.ModelCheckpoint(str(tmp_path / "m-{epoch}.npz"))   # monitor unused: no check
    h = nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), 0.5), epochs=2,
               validation_split=0.25, verbose=False, callbacks=[stop, save])
    assert len(h.epoch) == 2 and len(save.saved) == 2


def test_history_is_a_callback_and_fit_records_into_the_one_it_is_given():
    X, y = nn.data.make_blobs(40, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    returned = nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1),
                      epochs=2, verbose=False)
    assert isinstance(returned, nn.Callback) and returned.epoch == [0, 1]
    mine = nn.History()
    for epochs in (3, 1):                             # each run starts a fresh record
        returned = nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), 0.1),
                          epochs=epochs, verbose=False, callbacks=[mine])
        assert returned is mine and mine.epoch == list(range(epochs))
        assert [len(v) for v in mine.history.values()] == [epochs, epochs]


def test_ctrl_c_in_fit_leaves_the_history_of_the_finished_epochs():
    X, y = nn.data.make_blobs(40, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    steps = []

    def interrupted_after_two_epochs(*args):
        if len(steps) == 2 * 4 + 1:                   # the second batch of the third epoch
            raise KeyboardInterrupt
        steps.append(1)
        return nn.train_step(*args)

    history = nn.History()
    with pytest.raises(KeyboardInterrupt):
        nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1),
               epochs=5, batch_size=10, verbose=False, callbacks=[history],
               train_step=interrupted_after_two_epochs)
    assert history.epoch == [0, 1] and len(history.history["loss"]) == 2
    assert model.training


def test_model_checkpoint(tmp_path):
    X, y = nn.data.make_blobs(60, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    ckpt = nn.ModelCheckpoint(str(tmp_path / "m-{epoch}.npz"), monitor="loss")
    nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1), epochs=3,
           callbacks=[ckpt], verbose=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-1.npz", "m-2.npz", "m-3.npz"]
    restored = nn.MLP(2, [4, 3], seed=9).load(tmp_path / "m-3.npz")
    np.testing.assert_allclose(nn.predict(restored, X), nn.predict(model, X))
    best = nn.ModelCheckpoint(str(tmp_path / "best.npz"), save_best_only=True)
    nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1), epochs=3,
           validation_data=(X, y), callbacks=[best], verbose=False)
    assert 1 <= len(best.saved) <= 3 and (tmp_path / "best.npz").exists()


def test_progress_is_one_line_per_epoch_in_a_log():
    X, y = nn.data.make_blobs(100, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    log = io.StringIO()
    nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1), epochs=3,
           batch_size=10, validation_data=(X, y), stream=log)
    lines = log.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in log.getvalue()
    assert lines[0].startswith("Epoch 1/3 - 10 batches - ")
    for key in ("loss: ", "accuracy: ", "val_loss: ", "val_accuracy: "):
        assert key in lines[2]
    quiet = io.StringIO()
    nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1), epochs=2,
           stream=quiet, verbose=False)
    assert quiet.getvalue() == ""


def test_predict_and_evaluate_use_eval_mode_without_graph():
    model = nn.Sequential(nn.Layer(2, 8, seed=0), nn.Dropout(0.5, seed=0),
                          nn.Layer(8, 1, activation=None, seed=1))
    X = np.random.default_rng(0).normal(size=(50, 2))
    a, b = nn.predict(model, X, batch_size=7), nn.predict(model, X)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)     # dropout is off
    assert isinstance(a, np.ndarray) and a.shape == (50, 1)
    assert model.training                                        # mode restored
    scores = nn.evaluate(model, X, np.zeros((50, 1)), "mse", metrics=())
    assert scores == {"loss": pytest.approx(float(np.mean(a ** 2)))}
    assert all(p.grad is None for p in model.parameters())


# ----- from scores to classes: one rule -----------------------------------------------------
def test_scores_to_classes_takes_the_argmax_of_rows_and_cuts_one_score_at_the_threshold():
    to_classes = nn.scores_to_classes
    np.testing.assert_array_equal(to_classes(np.array([[0.1, 0.9, 0.0], [2.0, -1.0, 1.0]])),
                                  [1, 0])
    logits = np.array([0.2, 0.7, -0.1, 0.0])               # all but one inside [0, 1]
    np.testing.assert_array_equal(to_classes(logits), [1, 1, 0, 0])          # above 0
    np.testing.assert_array_equal(to_classes(logits[:, None]), [1, 1, 0, 0])  # (N, 1) too
    np.testing.assert_array_equal(to_classes(logits, threshold=0.5), [0, 1, 0, 0])
    assert to_classes(np.zeros((3, 2), dtype=np.float32)).dtype == np.int64


@pytest.mark.parametrize("scores, words", [
    (np.array([0.5, np.nan]), r"1 score\(s\) are NaN"),
    (np.zeros((2, 2, 2)), r"shape \(N, C\) or \(N,\)"),
    (np.zeros((2, 0)), r"got shape \(2, 0\)"),
    (np.array(["a", "b"]), "dtype <U1"),
])
def test_scores_without_a_class_are_refused(scores, words):
    with pytest.raises(ValueError, match=words):
        nn.scores_to_classes(scores)


def test_accuracy_counts_the_classes_scores_to_classes_predicts():
    acc = nn.accuracy
    assert acc(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert acc(np.array([[0.1, 0.9]]), np.array([[0.0, 1.0]])) == 1.0    # one-hot rows
    assert acc(np.array([2.0, -1.0]), np.array([1, 0])) == 1.0           # logits
    assert acc(np.array([0.7, 0.2]), np.array([1, 0])) == 0.5           # still logits: > 0
    assert acc(np.array([0.7, 0.2]), np.array([1, 0]), threshold=0.5) == 1.0   # probabilities
    assert acc(np.array([[0.3], [-0.1]]), np.array([1, -1])) == 1.0     # -1/+1 labels
    assert math.isnan(acc(np.array([0.3, np.nan]), np.array([1, 0])))
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=(50, 1)), rng.integers(0, 2, 50)
    assert acc(scores, labels) == np.mean(nn.scores_to_classes(scores) == labels)


@pytest.mark.parametrize("pred, y, words", [
    (np.array([0.3, 0.6]), np.array([0.2, 1.0]), "must be 0/1 or -1/\\+1; got 0.2, 1"),
    (np.array([0.3, 0.6]), np.array([0, 2]), "got 0, 2"),
    (np.zeros((2, 3)), np.zeros((2, 2)), r"integer labels \(N,\) or rows \(N, 3\)"),
    (np.zeros((3, 2)), np.array([0, 1]), "3 predictions for 2 labels"),
])
def test_accuracy_refuses_labels_it_cannot_compare(pred, y, words):
    with pytest.raises(ValueError, match=words):
        nn.accuracy(pred, y)


def test_fit_and_evaluate_cut_probabilities_at_one_half_and_scores_at_zero():
    X, y = nn.data.make_moons(80, noise=0.1, seed=0)
    probs = nn.Sequential(nn.MLP(2, [8, 1], seed=0), nn.Activation("sigmoid"))
    h = nn.fit(probs, X, y, "binary_cross_entropy", nn.optim.Adam(probs.parameters(), 0.05),
               epochs=20, batch_size=None, verbose=False, validation_data=(X, y))
    p = nn.predict(probs, X)
    assert h.history["val_accuracy"][-1] == nn.accuracy(p, y, threshold=0.5) > 0.8
    assert nn.evaluate(probs, X, y, "binary_cross_entropy")["accuracy"] == \
        h.history["val_accuracy"][-1]
    logits = nn.MLP(2, [8, 1], seed=0)
    h = nn.fit(logits, X, y, "binary_cross_entropy_with_logits", nn.optim.Adam(
        logits.parameters(), 0.05), epochs=20, batch_size=None, verbose=False,
        validation_data=(X, y))
    assert h.history["val_accuracy"][-1] == nn.accuracy(nn.predict(logits, X), y) > 0.8


def test_a_regression_with_the_accuracy_metric_is_refused_before_training():
    X = np.linspace(-1, 1, 20)[:, None]
    model = nn.MLP(1, [4, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"accuracy: .*for a regression pass metrics=\(\)"):
        nn.fit(model, X, 0.3 * X[:, 0], "mse", nn.optim.SGD(model.parameters(), 0.1),
               epochs=2, verbose=False)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    h = nn.fit(model, X, 0.3 * X[:, 0], "mse", nn.optim.SGD(model.parameters(), 0.1),
               epochs=2, metrics=(), verbose=False)
    assert sorted(h.history) == ["loss"]


def test_single_output_column_meets_flat_targets():
    X, y = nn.data.make_moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 1], seed=0)                            # outputs (N, 1)
    history = nn.fit(model, X, 2 * y - 1, "hinge", nn.optim.Adam(model.parameters(), 0.02),
                     epochs=30, batch_size=None, verbose=False)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.8
    scores = nn.evaluate(model, X, y.astype(float), "mse")
    assert scores["loss"] == pytest.approx(float(np.mean((nn.predict(model, X)[:, 0] - y) ** 2)))


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_updates_in_place_on_a_terminal():
    X, y = nn.data.make_blobs(40, seed=0)
    model = nn.MLP(2, [4, 3], seed=0)
    term = _Terminal()
    nn.fit(model, X, y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1), epochs=2,
           batch_size=10, stream=term)
    text = term.getvalue()
    assert text.count("\n") == 2                                  # one finished line per epoch
    assert text.count("\r") == 2 * 4 + 2                          # batch updates + final lines
    assert "Epoch 2/2 4/4 - loss: " in text
