"""fit's options issue 3 asks for beyond the demonstrations: batches in order or shuffled by a
seed, inputs without gradients, the per-epoch display, metrics and restore_best=False."""
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
