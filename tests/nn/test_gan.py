"""What a GAN written as in PyTorch relies on: `detach()`, `requires_grad_(False)` on a module,
two optimisers in one loop, and the R1 penalty (a gradient of a gradient); then the demo's
adversarial step: each half moves only its own model, the generator's gradient through the
frozen discriminator matches finite differences, and the R1 penalty's gradient matches torch."""
import numpy as np
import pytest

import autograd
import nn
from autograd import Value
from seegrad import gan


def small_mlp(n_in, n_out, seed, activation="tanh"):
    """A float64 n_in-8-8-n_out MLP, smooth (tanh) so finite differences are accurate."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(n_in, 8, seed=rng), nn.Activation(activation),
                         nn.Linear(8, 8, seed=rng), nn.Activation(activation),
                         nn.Linear(8, n_out, seed=rng))


def snapshot(module):
    return {k: np.array(p.data, copy=True) for k, p in module.named_parameters()}


def same(before, module):
    return all(np.array_equal(before[k], p.data) for k, p in module.named_parameters())


@pytest.fixture
def models():
    G, D = small_mlp(3, 2, seed=1), small_mlp(2, 1, seed=2)
    opt_G = nn.optim.Adam(G.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt_D = nn.optim.Adam(D.parameters(), lr=1e-2, betas=(0.5, 0.999))
    rng = np.random.default_rng(0)
    return G, D, opt_G, opt_D, rng.normal(size=(16, 2)), rng.normal(size=(16, 3))


# ----- the engine pieces --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_detach_shares_the_data_and_stops_the_gradient(dtype):
    x = Value(np.array([1.0, -2.0, 3.0], dtype=dtype))
    d = (x * 2.0).detach()
    assert d.dtype == dtype and not d.requires_grad and d.op == "" and d.parents == ()
    y = (d * x).sum()               # d is a constant here: dy/dx = d = 2x, not 4x
    y.backward()
    np.testing.assert_array_equal(x.grad, 2.0 * x.data)
    view = x.detach()
    assert np.shares_memory(view.data, x.data)      # PyTorch's detach shares the storage


def test_detach_sees_in_place_updates_of_the_original():
    w = Value(np.array([1.0, 2.0]))
    frozen = w.detach()
    loss = (frozen * w).sum()
    w.grad = np.ones(2)
    nn.optim.SGD([w], lr=0.5).step()                # an in-place write, versioned
    np.testing.assert_array_equal(frozen.data, [0.5, 1.5])
    assert frozen.version == w.version == 1
    with pytest.raises(RuntimeError):               # the graph saw the old data
        loss.backward()


def test_requires_grad_false_freezes_the_module_but_not_its_input():
    D = small_mlp(2, 1, seed=0)
    x = Value(np.ones((4, 2)))
    assert D.requires_grad_(False) is D
    D(x).sum().backward()
    assert all(p.grad is None for p in D.parameters())
    assert x.grad is not None and np.any(x.grad != 0)
    D.requires_grad_(True)
    D(x).sum().backward()
    assert all(p.grad is not None for p in D.parameters())


def test_two_optimisers_each_update_only_their_own_parameters(models):
    G, D, opt_G, opt_D, real, z = models
    loss = (D(G(z)) ** 2).mean()          # gradients reach both models
    loss.backward()
    g_before, d_before = snapshot(G), snapshot(D)
    opt_G.step()
    assert not same(g_before, G) and same(d_before, D)
    g_after = snapshot(G)
    opt_D.step()
    assert same(g_after, G) and not same(d_before, D)


# ----- the adversarial step -----------------------------------------------------------------
def test_discriminator_step_leaves_the_generator_alone(models):
    G, D, opt_G, opt_D, real, z = models
    g_before, d_before = snapshot(G), snapshot(D)
    loss = gan.discriminator_step(D, opt_D, real, G(z), r1_gamma=1.0)
    assert np.isfinite(loss)
    assert same(g_before, G) and all(p.grad is None for p in G.parameters())
    assert not same(d_before, D)


def test_generator_step_leaves_the_discriminator_alone(models):
    G, D, opt_G, opt_D, real, z = models
    g_before, d_before = snapshot(G), snapshot(D)
    loss = gan.generator_step(D, opt_G, G(z))
    assert np.isfinite(loss)
    assert same(d_before, D) and all(p.grad is None for p in D.parameters())
    assert all(p.requires_grad for p in D.parameters())       # unfrozen again afterwards
    assert not same(g_before, G)


def test_generator_step_unfreezes_the_discriminator_when_it_fails(models):
    G, D, opt_G, opt_D, real, z = models
    with pytest.raises(ValueError):
        gan.generator_step(D, opt_G, G(np.ones((4, 2))))      # G expects 3 noise inputs
    assert all(p.requires_grad for p in D.parameters())


def test_generator_gradient_through_the_frozen_discriminator_matches_finite_differences(models):
    G, D, opt_G, opt_D, real, z = models
    bce = nn.losses.binary_cross_entropy_with_logits
    ones = np.ones((len(z), 1))

    def loss():
        return bce(D(G(z)), ones)

    D.requires_grad_(False)
    loss().backward()
    eps = 1e-6
    for name, p in G.named_parameters():
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            saved = p.data[i]
            p.data[i] = saved + eps
            with autograd.no_grad():
                up = float(loss())
            p.data[i] = saved - eps
            with autograd.no_grad():
                down = float(loss())
            p.data[i] = saved
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(p.grad, numeric, rtol=1e-5, atol=1e-8, err_msg=name)
    assert all(p.grad is None for p in D.parameters())


def test_r1_penalty_is_a_recorded_gradient_that_gradcheck_accepts():
    D = small_mlp(2, 1, seed=3)
    x = np.random.default_rng(1).normal(size=(5, 2))
    assert autograd.gradcheck(lambda v: gan.r1_penalty(D, v), x, order=2)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_r1_penalty_and_its_gradient_match_torch(activation):
    torch = pytest.importorskip("torch")
    D = small_mlp(2, 1, seed=4, activation=activation)
    x = np.random.default_rng(2).normal(size=(32, 2))
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[activation]
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 8), act(), torch.nn.Linear(8, 8), act(),
                                 torch.nn.Linear(8, 1)).double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in D.state_dict().items()})
    penalty = gan.r1_penalty(D, Value(x))
    penalty.backward()
    tx = torch.tensor(x, requires_grad=True)
    tgrad, = torch.autograd.grad(theirs(tx).sum(), tx, create_graph=True)
    tpenalty = (tgrad ** 2).sum(dim=1).mean()
    tpenalty.backward()
    np.testing.assert_allclose(float(penalty), tpenalty.item(), rtol=1e-12)
    for name, p in D.named_parameters():
        tp = theirs.get_parameter(name)
        expected = np.zeros(p.shape) if tp.grad is None else tp.grad.numpy()
        got = np.zeros(p.shape) if p.grad is None else p.grad
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=name)
    if activation == "tanh":      # tanh's second derivative reaches the hidden biases too
        hidden_biases = dict(D.named_parameters())
        assert all(np.any(hidden_biases[k].grad != 0) for k in ("0.bias", "2.bias"))


# ----- the coverage numbers -----------------------------------------------------------------
def test_mode_coverage_counts_samples_near_each_mode():
    centres = gan.ring_centres()
    on_modes = np.repeat(centres, [100, 100, 100, 100, 100, 100, 100, 300], axis=0)
    shares, off = gan.mode_coverage(on_modes)
    np.testing.assert_allclose(shares, [0.1] * 7 + [0.3])
    assert off == 0.0
    far = np.vstack([on_modes, np.zeros((1000, 2))])          # the ring's centre is far
    shares, off = gan.mode_coverage(far)
    assert off == 0.5 and shares.sum() == 0.5
    line, met = gan.coverage_line(shares, off)
    assert "8/8" in line and "50.0%" in line and not met


def test_mode_coverage_uses_three_standard_deviations():
    centre = gan.ring_centres()[:1]
    inside = centre + [[2.9 * gan.RING_STD, 0.0]]
    outside = centre + [[3.1 * gan.RING_STD, 0.0]]
    assert gan.mode_coverage(inside)[1] == 0.0
    assert gan.mode_coverage(outside)[1] == 1.0
