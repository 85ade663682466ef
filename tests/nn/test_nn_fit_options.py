"""fit's options: batches in order or shuffled by a seed, inputs without gradients, the
per-epoch display, metrics, restore_best=False, and a train_step of your own."""
import io
import re

import numpy as np
import pytest

import nn

X = np.arange(10.0)[:, None]
Y = np.arange(10) % 2


class Recorder(nn.Module):
    """A linear model that remembers the first feature of each training batch it sees."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Layer(1, 2, activation=None, seed=0)
        self._seen = []

    def forward(self, x):
        if self.training:
            self._seen.append((x.data[:, 0].tolist(), x.requires_grad))
        return self.layer(x)


def _fit(model, **options):
    return nn.fit(model, X, Y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.01),
                  verbose=False, **options)


def test_without_shuffling_batches_come_in_order_and_inputs_need_no_gradient():
    model = Recorder()
    _fit(model, epochs=2, batch_size=4, shuffle=False)
    assert [rows for rows, _ in model._seen] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2
    assert not any(needs_grad for _, needs_grad in model._seen)


def test_shuffling_follows_the_seed():
    runs = []
    for seed in (5, 5, 6):
        model = Recorder()
        _fit(model, epochs=2, batch_size=4, seed=seed)
        runs.append([rows for rows, _ in model._seen])
    assert runs[0] == runs[1] != runs[2]
    first_epoch = runs[0][:3]
    assert sorted(sum(first_epoch, [])) == list(range(10))
    assert sum(first_epoch, []) != list(range(10))
    assert runs[0][:3] != runs[0][3:]                  # a new order every epoch


def test_the_epoch_line_shows_batches_time_loss_and_metrics():
    log = io.StringIO()
    model = nn.MLP(1, [4, 2], seed=0)
    nn.fit(model, X, Y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=0.1), epochs=2,
           batch_size=3, validation_data=(X, Y), stream=log)
    pattern = (r"Epoch (\d)/2 - 4 batches - \d+\.\d\ds - loss: \d+\.\d{4} - accuracy: "
               r"\d\.\d{4} - val_loss: \d+\.\d{4} - val_accuracy: \d\.\d{4}")
    lines = log.getvalue().splitlines()
    assert [re.fullmatch(pattern, line).group(1) for line in lines] == ["1", "2"]


def test_metrics_can_be_empty_or_callables():
    model = nn.MLP(1, [4, 2], seed=0)
    h = _fit(model, epochs=2, metrics=())
    assert sorted(h.history) == ["loss"]

    def top_score(pred, y):
        return float(np.max(pred))

    h = _fit(model, epochs=2, metrics=("acc", top_score), validation_data=(X, Y))
    assert sorted(h.history) == ["accuracy", "loss", "top_score", "val_accuracy", "val_loss",
                                 "val_top_score"]
    assert h.history["val_top_score"][-1] == pytest.approx(float(nn.predict(model, X).max()))


def test_early_stopping_without_restore_keeps_the_last_weights():
    model = nn.MLP(1, [4, 2], seed=0)
    script = iter([1.0, 0.5, 0.7, 0.8, 0.9])
    snapshots = []

    class Scripted(nn.Callback):
        def on_epoch_end(self, epoch, logs):
            logs["score"] = next(script)
            snapshots.append(model.state_dict())

    stopper = nn.EarlyStopping("score", 2, restore_best=False)
    history = _fit(model, epochs=5, callbacks=[Scripted(), stopper])
    assert history.epoch == [0, 1, 2, 3] and stopper.best_epoch == 1
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, snapshots[3][k])
    assert any(not np.array_equal(v, snapshots[1][k]) for k, v in model.state_dict().items())


def test_fit_hands_every_batch_to_the_train_step():
    model = nn.MLP(1, [4, 1], seed=0)                     # one output column
    calls = []

    def step(model_, xb, yb, loss_fn, optimizer):
        calls.append((xb.data[:, 0].tolist(), xb.dtype, xb.requires_grad, yb.shape, yb.dtype))
        assert model_ is model and loss_fn is nn.losses.mse_loss
        return 0.25, np.full((len(yb), 1), 0.5)          # no update: parameters stay put

    before = model.state_dict()
    h = nn.fit(model, X, Y.astype(np.float32), "mse", nn.optim.SGD(model.parameters(), 0.1),
               epochs=2, batch_size=4, shuffle=False, train_step=step, verbose=False)
    assert [c[0] for c in calls] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2
    f64 = np.dtype(np.float64)
    assert {c[1:] for c in calls[:2]} == {(f64, False, (4, 1), f64)}
    assert h.history == {"loss": [0.25, 0.25], "accuracy": [0.5, 0.5]}   # from its returns
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_a_train_step_that_clips_gradients():
    model = nn.MLP(1, [8, 2], seed=0)
    norms = []

    def clipped(model, xb, yb, loss_fn, optimizer):
        optimizer.zero_grad()
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward(retain_grads=False, retain_graph=False)
        nn.clip_grad_norm(model.parameters(), max_norm=1e-3)
        norms.append(np.sqrt(sum(float(np.sum(p.grad ** 2)) for p in model.parameters())))
        optimizer.step()
        return loss.item(), out

    h = nn.fit(model, X, Y, "cross_entropy", nn.optim.SGD(model.parameters(), lr=10.0),
               epochs=3, batch_size=5, train_step=clipped, verbose=False)
    assert len(norms) == 6 and max(norms) == pytest.approx(1e-3)
    plain = nn.MLP(1, [8, 2], seed=0)
    h_plain = nn.fit(plain, X, Y, "cross_entropy", nn.optim.SGD(plain.parameters(), lr=10.0),
                     epochs=3, batch_size=5, verbose=False)
    assert h.history["loss"] != h_plain.history["loss"]


@pytest.mark.parametrize("step, kind, words", [
    (3, TypeError, r"train_step must be a function .* got int"),
    (lambda *args: 0.5, TypeError, r"train_step must return \(loss, outputs\), got float"),
])
def test_a_bad_train_step_is_named(step, kind, words):
    model = nn.MLP(1, [4, 2], seed=0)
    with pytest.raises(kind, match=words):
        _fit(model, epochs=1, train_step=step)
