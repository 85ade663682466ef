"""`seegrad --model gan`: a generative adversarial network trained by a loop written by hand,
as in PyTorch: a generator and a discriminator (MLPs of 128 units), two Adam optimisers
(betas (0.5, 0.999)), the non-saturating loss, and an R1 gradient penalty on the real data
(the gradient of a gradient) with a cosine learning-rate decay as the stabiliser.

On `--dataset ring`, eight Gaussians on a circle, it prints per checkpoint how many modes get
at least 5% of 2,000 samples and how many samples lie off every mode; on `--dataset digits`
the generator draws 8x8 digits. Pictures go to `--out`.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import autograd
import nn
from autograd import Value
from nn.serialization import write_atomically
from seegrad.job import JobError, Written, prepare_paths, report
from visualize.gan import (GanSnapshot, animate_gan, discriminator_surface, plot_gan_losses,
                           plot_gan_samples)

DATASETS = ("ring", "digits")
HIDDEN = 128
BATCH = 256
BETAS = (0.5, 0.999)
DTYPE = np.float32
RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.05
EVAL_SAMPLES = 2000                     # generated samples behind the coverage numbers
MODE_SHARE, MAX_OFF_MODE = 0.05, 0.10   # the targets: 7 of 8 modes >= 5%, <= 10% off-mode
MIN_MODES = 7
CHECKPOINTS = 7
RING_EXTENT = (-3.0, 3.0, -3.0, 3.0)


@dataclass(frozen=True)
class Recipe:
    """How one dataset is trained: steps, learning rate (decayed by a cosine to lr/100), R1
    weight gamma (the penalty is gamma/2 E|grad_x D(x)|^2 on real x) and noise size."""

    steps: int
    lr: float
    r1_gamma: float
    noise_dim: int


RECIPES = {"ring": Recipe(steps=4000, lr=4e-3, r1_gamma=0.01, noise_dim=2),
           "digits": Recipe(steps=2000, lr=1e-3, r1_gamma=1.0, noise_dim=16)}
# Options of the MLP job that mean nothing here: given with --model gan, they are refused.
NOT_READ = ("data_dir", "hidden", "activation", "loss", "optimizer", "lr", "epochs",
            "batch_size", "dtype", "no_graphs", "save", "load", "seq_len")


# ----- the models and one adversarial step -----------------------------------------------------
def mlp(n_in: int, n_out: int, rng: np.random.Generator,
        out: Optional[str] = None) -> nn.Sequential:
    """n_in -> 128 -> 128 -> n_out with ReLUs (and `out`, an activation, on the output)."""
    layers = [nn.Linear(n_in, HIDDEN, dtype=DTYPE, seed=rng), nn.Activation("relu"),
              nn.Linear(HIDDEN, HIDDEN, dtype=DTYPE, seed=rng), nn.Activation("relu"),
              nn.Linear(HIDDEN, n_out, dtype=DTYPE, seed=rng)]
    return nn.Sequential(*layers, *([nn.Activation(out)] if out else []))


def r1_penalty(discriminator: nn.Module, real: Value) -> Value:
    """E |d D(x) / dx|^2 over the real batch: `autograd.grad` of D, recorded (the argument is
    a Value), so the penalty's own backward pass differentiates a gradient."""
    grad_x = autograd.grad(lambda x: discriminator(x).sum())(real)
    return (grad_x ** 2).sum(axis=1).mean()


def discriminator_step(D: nn.Module, opt_D: nn.optim.Optimizer, real: np.ndarray,
                       fake: Value, r1_gamma: float) -> float:
    """Teach D real -> 1 and generated -> 0, with the R1 penalty; `fake.detach()` keeps this
    loss from reaching the generator. Returns the loss."""
    bce = nn.losses.binary_cross_entropy_with_logits
    opt_D.zero_grad()
    real = Value(real)
    loss = (bce(D(real), np.ones((len(real), 1), real.dtype))
            + bce(D(fake.detach()), np.zeros((len(fake), 1), fake.dtype))
            + r1_gamma / 2 * r1_penalty(D, real))
    loss.backward(retain_grads=False, retain_graph=False)
    opt_D.step()
    return float(loss)


def generator_step(D: nn.Module, opt_G: nn.optim.Optimizer, fake: Value) -> float:
    """Teach the generator to make D say "real" (the non-saturating loss), with D frozen so
    that only the generator gets gradients. Returns the loss."""
    bce = nn.losses.binary_cross_entropy_with_logits
    D.requires_grad_(False)
    try:
        opt_G.zero_grad()
        loss = bce(D(fake), np.ones((len(fake), 1), fake.dtype))
        loss.backward(retain_grads=False, retain_graph=False)
        opt_G.step()
    finally:
        D.requires_grad_(True)
    return float(loss)


# ----- data and the coverage numbers ------------------------------------------------------------
def ring_centres() -> np.ndarray:
    """The eight modes, evenly spaced on a circle of radius 2."""
    angles = 2 * np.pi * np.arange(RING_MODES) / RING_MODES
    return RING_RADIUS * np.column_stack([np.cos(angles), np.sin(angles)])


def sample_ring(n: int, rng: np.random.Generator) -> np.ndarray:
    """n points of the mixture: a mode chosen uniformly, plus Gaussian noise of std 0.05."""
    modes = rng.integers(0, RING_MODES, n)
    return (ring_centres()[modes] + RING_STD * rng.standard_normal((n, 2))).astype(DTYPE)


def mode_coverage(samples: np.ndarray) -> Tuple[np.ndarray, float]:
    """(the share of samples within 3 std of each mode, the share farther than 3 std from
    every mode)."""
    distances = np.linalg.norm(samples[:, None, :] - ring_centres()[None], axis=2)
    near = distances.min(axis=1) <= 3 * RING_STD
    shares = np.bincount(distances.argmin(axis=1)[near], minlength=RING_MODES) / len(samples)
    return shares, 1.0 - float(near.mean())


def coverage_line(shares: np.ndarray, off: float) -> Tuple[str, bool]:
    """The line printed for `mode_coverage`'s numbers ('modes >= 5%: 8/8 | off-mode (> 3 std):
    3.1% | per mode %: 12 13 ...') and whether they meet the targets."""
    covered = int((shares >= MODE_SHARE).sum())
    per_mode = " ".join(f"{100 * s:.0f}" for s in shares)
    line = (f"modes >= {MODE_SHARE:.0%}: {covered}/{RING_MODES} | off-mode (> 3 std): "
            f"{100 * off:.1f}% | per mode %: {per_mode}")
    return line, covered >= MIN_MODES and off <= MAX_OFF_MODE


# ----- the job --------------------------------------------------------------------------------
@dataclass
class Training:
    """What training leaves behind for the report and the pictures."""

    losses: Dict[str, List[float]]
    snapshots: List[GanSnapshot]
    coverage: List[Dict[str, Any]]
    met_targets: Optional[bool]


def train(dataset: str, recipe: Recipe, steps: int, seed: int, quiet: bool) -> Training:
    """Train on `dataset`, printing a line per checkpoint; returns losses and snapshots."""
    rng = np.random.default_rng(seed)
    if dataset == "ring":
        n_out, out, sample_real = 2, None, lambda n: sample_ring(n, rng)
    else:
        X = (nn.data.load_digits()[0] / 16.0).astype(DTYPE)
        n_out, out, sample_real = X.shape[1], "sigmoid", lambda n: X[rng.integers(0, len(X), n)]
    G, D = mlp(recipe.noise_dim, n_out, rng, out), mlp(n_out, 1, rng)
    print(f"GAN on {dataset}: generator {recipe.noise_dim}-{HIDDEN}-{HIDDEN}-{n_out}, "
          f"discriminator {n_out}-{HIDDEN}-{HIDDEN}-1 (ReLU), Adam lr={recipe.lr:g} "
          f"betas={BETAS} with cosine decay, R1 penalty gamma={recipe.r1_gamma:g}, {steps} "
          f"steps of batch {BATCH}, float32, seed {seed}", flush=True)
    opt_G = nn.optim.Adam(G.parameters(), lr=recipe.lr, betas=BETAS)
    opt_D = nn.optim.Adam(D.parameters(), lr=recipe.lr, betas=BETAS)
    decays = [nn.optim.CosineAnnealingLR(o, T_max=max(steps, 1), eta_min=recipe.lr / 100)
              for o in (opt_G, opt_D)]
    fixed_z = rng.standard_normal((EVAL_SAMPLES, recipe.noise_dim)).astype(DTYPE)
    marks = sorted({0, *np.linspace(0, steps, CHECKPOINTS + 1).round().astype(int)[1:]})
    run = Training({"discriminator": [], "generator": []}, [], [], None)
    start = time.perf_counter()
    for step in range(steps + 1):
        if step:
            fake = G(rng.standard_normal((BATCH, recipe.noise_dim)).astype(DTYPE))
            loss_D = discriminator_step(D, opt_D, sample_real(BATCH), fake, recipe.r1_gamma)
            loss_G = generator_step(D, opt_G, fake)
            if not np.isfinite(loss_D + loss_G):
                raise JobError(f"training diverged at step {step}: discriminator loss {loss_D}, "
                               f"generator loss {loss_G}; try another --seed")
            run.losses["discriminator"].append(loss_D)
            run.losses["generator"].append(loss_G)
            for decay in decays:
                decay.step()
        if step in marks:
            checkpoint(run, G, D, fixed_z, dataset, step, steps, time.perf_counter() - start,
                       quiet)
    return run


def checkpoint(run: Training, G: nn.Module, D: nn.Module, fixed_z: np.ndarray, dataset: str,
               step: int, steps: int, seconds: float, quiet: bool) -> None:
    """Record the generator's samples of the fixed noise (and D's surface) and print a line."""
    with autograd.no_grad():
        samples = np.asarray(G(fixed_z).data)
    losses = ("" if not step else f"loss D {run.losses['discriminator'][-1]:.3f} "
              f"G {run.losses['generator'][-1]:.3f} | ")
    if dataset == "ring":
        shares, off = mode_coverage(samples)
        line, run.met_targets = coverage_line(shares, off)
        run.coverage.append({"step": step, "mode_shares": shares.tolist(), "off_mode": off})
        run.snapshots.append(GanSnapshot(step, samples, discriminator_surface(D, RING_EXTENT),
                                         RING_EXTENT))
    else:
        line = ""
        run.snapshots.append(GanSnapshot(step, samples.reshape(-1, 8, 8)))
    if not quiet or step == steps:
        print(f"step {step:>5}/{steps} ({seconds:5.1f}s) | {losses}{line}".rstrip(" |"),
              flush=True)


def draw(run: Training, dataset: str, seed: int, out: Path) -> Written:
    """The samples over training (grid and GIF) and the losses."""
    rng = np.random.default_rng(seed)
    real = (sample_ring(EVAL_SAMPLES, rng) if dataset == "ring" else
            (nn.data.load_digits()[0][:36] / 16.0).reshape(-1, 8, 8))
    steps = range(1, len(run.losses["generator"]) + 1)
    what = "over the real data, D's belief 'real' shaded" if dataset == "ring" else "digits"
    written: Written = [
        (plot_gan_samples(run.snapshots, out / "gan_samples.png", real),
         f"generated samples at {len(run.snapshots)} steps ({what})"),
        (animate_gan(run.snapshots, out / "gan_training.gif", real), "the same, animated")]
    if len(steps):
        written.append((plot_gan_losses(steps, run.losses, out / "gan_losses.png"),
                        "discriminator and generator losses per step"))
    return written


def write_history(run: Training, path: Path) -> Path:
    """The losses per step and the coverage per checkpoint as JSON, atomically."""
    record = {"losses": run.losses, "coverage": run.coverage, "met_targets": run.met_targets}
    text = (json.dumps(record) + "\n").encode("utf-8")
    write_atomically(path, lambda f: f.write(text), "history")
    return path


def run(args: argparse.Namespace) -> int:
    """Train the GAN the options describe, print its numbers and draw; returns the status."""
    start = time.perf_counter()
    out = prepare_paths(args)
    recipe = RECIPES[args.dataset]
    steps = recipe.steps if args.steps is None else args.steps
    result = train(args.dataset, recipe, steps, args.seed, args.quiet)
    train_seconds = time.perf_counter() - start
    written: Written = [(write_history(result, out / "gan_history.json"),
                         "losses per step and coverage per checkpoint")]
    try:
        written += draw(result, args.dataset, args.seed, out)
    except ImportError as exc:                  # matplotlib (and Pillow) are optional
        print(f"skipped the GAN pictures: {' '.join(str(exc).split())}", file=sys.stderr)
    total = time.perf_counter() - start
    if result.met_targets is not None:
        print(f"targets (>= {MIN_MODES} of {RING_MODES} modes with >= {MODE_SHARE:.0%}, "
              f"<= {MAX_OFF_MODE:.0%} off-mode): {'met' if result.met_targets else 'NOT met'}")
    print(f"time taken: {total:.1f}s (training {train_seconds:.1f}s, pictures "
          f"{total - train_seconds:.1f}s)")
    report(written, out)
    return 0


# ----- options ---------------------------------------------------------------------------------
def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """--model gan's options: --dataset ring (default) or digits, and no MLP-only option."""
    args.dataset = args.dataset or "ring"
    if args.dataset not in DATASETS:
        parser.error(f"--model gan trains on --dataset {' or '.join(DATASETS)}, got "
                     f"{args.dataset}")
    given = [name for name in NOT_READ if getattr(args, name) != parser.get_default(name)]
    if given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        parser.error(f"{flags}: not read by --model gan; it reads --dataset, --steps, "
                     "--seed, --out and --quiet")
    return args

