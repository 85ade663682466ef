"""Optimisers, schedules and clipping: step-by-step trajectories against PyTorch."""
import math

import numpy as np
import pytest

from autograd import Value
from nn import optim

rng = np.random.default_rng(1)
X = rng.normal(size=(8, 3))
Y = rng.normal(size=(8, 2))
W0 = rng.normal(size=(3, 2))
B0 = rng.normal(size=2)
S0 = 0.7

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.05)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                        enumerate(CONFIGS)])
def test_trajectory_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    W, b, s = Value(W0.copy()), Value(B0.copy()), Value(S0)       # s is a Python-float param
    ours = getattr(optim, name)([W, b, s], **kwargs)
    tW, tb, ts = (torch.tensor(v, dtype=torch.float64, requires_grad=True)
                  for v in (W0, B0, S0))
    theirs = getattr(torch.optim, name)([tW, tb, ts], **kwargs)
    for _ in range(25):
        ours.zero_grad()
        loss = (((Value(X, requires_grad=False) @ W + b).tanh() * s - Y) ** 2).mean()
        loss.backward()
        ours.step()
        theirs.zero_grad()
        tloss = (((torch.tensor(X) @ tW + tb).tanh() * ts - torch.tensor(Y)) ** 2).mean()
        tloss.backward()
        theirs.step()
        assert float(loss.data) == pytest.approx(tloss.item(), rel=1e-9)
        np.testing.assert_allclose(W.data, tW.detach().numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-9, atol=1e-12)
        assert type(s.data) is float
        assert s.data == pytest.approx(ts.item(), rel=1e-9, abs=1e-12)


def test_updates_in_place_and_keep_float32():
    W = Value(W0.astype(np.float32))
    before = W.data
    opt = optim.Adam([W], lr=0.1)
    (W * W).sum().backward()
    opt.step()
    assert W.data is before and W.data.dtype == np.float32
    assert not np.allclose(W.data, W0.astype(np.float32))
    assert opt.state[id(W)]["exp_avg"].dtype == np.float32


def test_sgd_closed_form_step():
    p = Value(np.array([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        (p * p).sum().backward()          # gradient 2p
        opt.step()
    # step 1: buf = 2p0, p1 = p0 - 0.2 p0 = 0.8 p0; step 2: buf = 0.9*2p0 + 2p1 = 3.4 p0
    np.testing.assert_allclose(p.data, [0.8 - 0.34, -2 * (0.8 - 0.34)])


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam,
                                 optim.AdamW])
def test_rejects_empty_params_and_negative_lr(cls):
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        cls([Value(1.0)], lr=-0.1)


def test_rejects_bad_hyperparameters():
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([Value(1.0)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas\\[1\\]"):
        optim.Adam([Value(1.0)], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="single Value"):
        optim.SGD(Value(1.0), lr=0.1)


@pytest.mark.parametrize("make,theirs", [
    (lambda o: optim.StepLR(o, step_size=3, gamma=0.5),
     lambda t, o: t.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    (lambda o: optim.ExponentialLR(o, gamma=0.9),
     lambda t, o: t.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    (lambda o: optim.CosineAnnealingLR(o, T_max=7, eta_min=0.01),
     lambda t, o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7, eta_min=0.01)),
], ids=["step", "exponential", "cosine"])
def test_schedulers_match_torch(make, theirs):
    torch = pytest.importorskip("torch")
    opt = optim.SGD([Value(1.0)], lr=0.3)
    sched = make(opt)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    tsched = theirs(torch, topt)
    for _ in range(20):
        topt.step()
        tsched.step()
        sched.step()
        assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-9, abs=1e-12)
        assert sched.get_last_lr() == opt.lr


def test_cosine_closed_form_ends_at_eta_min():
    opt = optim.SGD([Value(1.0)], lr=1.0)
    sched = optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    lrs = []
    for _ in range(4):
        sched.step()
        lrs.append(opt.lr)
    assert lrs == pytest.approx([0.1 + 0.9 * (1 + math.cos(math.pi * k / 4)) / 2
                                 for k in range(1, 5)])
    assert lrs[-1] == pytest.approx(0.1)


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    a, b = Value(np.zeros((2, 3))), Value(0.0)
    ga, gb = rng.normal(size=(2, 3)) * 3, 4.0
    a.grad, b.grad = ga, gb
    ta = torch.zeros(2, 3, dtype=torch.float64, requires_grad=True)
    tb = torch.zeros((), dtype=torch.float64, requires_grad=True)
    ta.grad, tb.grad = torch.tensor(ga), torch.tensor(gb, dtype=torch.float64)
    norm = optim.clip_grad_norm([a, b], 1.5)
    tnorm = torch.nn.utils.clip_grad_norm_([ta, tb], 1.5)
    assert norm == pytest.approx(tnorm.item())
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-6)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-6)
    total = math.sqrt(float(np.sum(a.grad ** 2)) + b.grad ** 2)
    assert total == pytest.approx(1.5, rel=1e-5)
    assert optim.clip_grad_norm([a, b], 10.0) == pytest.approx(total)   # no change below max
    assert math.sqrt(float(np.sum(a.grad ** 2)) + b.grad ** 2) == pytest.approx(total)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam,
                                 optim.AdamW])
def test_optimisers_read_grad_and_skip_parameters_without_one(cls):
    used, unused = Value(np.array([1.0, -2.0])), Value(np.array([3.0]))
    opt = cls([used, unused], lr=0.1)
    used.grad = np.array([0.5, 0.5])                 # set by hand: step reads .grad
    assert unused.grad is None
    opt.step()
    assert not np.allclose(used.data, [1.0, -2.0])
    np.testing.assert_array_equal(unused.data, [3.0])
    assert id(unused) not in opt.state               # no state for a skipped parameter
    opt.zero_grad()
    assert used.grad is None
    before = used.data.copy()
    opt.step()                                       # nothing to apply after zero_grad
    np.testing.assert_array_equal(used.data, before)


SKIPPING = [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
            ("Adam", dict(lr=0.1)),
            ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True)),
            ("AdamW", dict(lr=0.1, weight_decay=0.1)),
            ("Adagrad", dict(lr=0.1, weight_decay=0.1)),
            ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1, centered=True))]


@pytest.mark.parametrize("name,kwargs", SKIPPING, ids=[f"{n}-{i}" for i, (n, _) in
                                                       enumerate(SKIPPING)])
def test_a_parameter_without_a_gradient_in_one_step_is_skipped_like_torch(name, kwargs):
    """Skipped means untouched: no weight decay, no momentum, no state update that step."""
    torch = pytest.importorskip("torch")
    a0, b0 = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    a, b = Value(a0.copy()), Value(b0.copy())
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a0, b0))
    ours = getattr(optim, name)([a, b], **kwargs)
    theirs = getattr(torch.optim, name)([ta, tb], **kwargs)
    for step in range(4):
        use_b = step != 1                                # b gets no gradient in step 2
        ours.zero_grad()
        theirs.zero_grad(set_to_none=True)
        loss = (a * a).sum() + ((b * b * b).sum() if use_b else 0.0)
        tloss = (ta * ta).sum() + ((tb ** 3).sum() if use_b else 0.0)
        loss.backward()
        tloss.backward()
        assert (b.grad is None) == (tb.grad is None)
        ours.step()
        theirs.step()
        np.testing.assert_allclose(a.data, ta.detach().numpy(), rtol=1e-10)
        np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-10)


def test_clip_grad_norm_leaves_missing_gradients_missing():
    a, b = Value(np.array([3.0, 4.0])), Value(np.array([1.0]))
    a.grad = np.array([3.0, 4.0])
    assert optim.clip_grad_norm([a, b], 1.0) == 5.0
    assert b.grad is None
    before = b.data.copy()
    optim.SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1).step()
    np.testing.assert_array_equal(b.data, before)


def test_an_empty_parameter_list_says_what_a_parameter_is():
    with pytest.raises(ValueError, match="only nn.Parameter attributes are parameters"):
        optim.SGD([], lr=0.1)
