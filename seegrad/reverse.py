"""The Transformer demo: a small encoder learns to reverse sequences of digits, a task whose
answer needs attention (output position i must read input position L-1-i, wherever the
digits are), then shows what each head attends to and one head's graph.

Every sequence is drawn at random from 10**length possibilities, so the held-out sequences
are (with near certainty) ones the model never saw; "exactly right" means every digit.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

import autograd as ag
import nn
from autograd import Value
from seegrad.job import attempt

DIGITS = 10
HELD_OUT = 2000


def reversal_batch(batch: int, length: int, rng: np.random.Generator
                   ) -> Tuple[np.ndarray, np.ndarray]:
    """Digit sequences (batch, length) and their reversals."""
    x = rng.integers(0, DIGITS, size=(batch, length))
    return x, x[:, ::-1].copy()


class Reverser(nn.Module):
    """Embedding plus sinusoidal positions, a TransformerEncoder, and a linear read-out of a
    digit at every position."""

    def __init__(self, length: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 128, dtype: Any = np.float32,
                 seed: Optional[int] = None) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.embed = nn.Embedding(DIGITS, d_model, dtype=dtype, seed=rng)
        self.position = nn.PositionalEncoding(d_model, max_len=length, batch_first=True,
                                              dtype=dtype)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0,
                                           batch_first=True, dtype=dtype, seed=rng)
        self.encoder = nn.TransformerEncoder(layer, num_layers)
        self.head = nn.Linear(d_model, DIGITS, dtype=dtype, seed=rng)

    def forward(self, digits: np.ndarray) -> Value:
        """Scores (N, L, 10) for the digit at each output position."""
        return self.head(self.encoder(self.position(self.embed(digits))))


def exact_accuracy(model: Reverser, x: np.ndarray, y: np.ndarray) -> Tuple[float, float]:
    """(share of sequences with every digit right, share of digits right)."""
    with ag.no_grad():
        guess = model(x).data.argmax(axis=-1)
    return float(np.mean((guess == y).all(axis=1))), float(np.mean(guess == y))


@dataclass
class ReverseRun:
    losses: List[float] = field(default_factory=list)
    checkpoints: List[Tuple[int, float, float]] = field(default_factory=list)
    seconds: float = 0.0


def train_reverser(model: Reverser, length: int, steps: int, batch: int, lr: float,
                   seed: int, test: Tuple[np.ndarray, np.ndarray], every: int = 250,
                   quiet: bool = False) -> ReverseRun:
    """Adam with a linear warm-up over the first 100 steps and a cosine decay to zero."""
    rng = np.random.default_rng(seed)
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    run = ReverseRun()
    start = time.perf_counter()
    for step in range(1, steps + 1):
        optimizer.lr = lr * min(1.0, step / 100) * 0.5 * (1 + np.cos(np.pi * step / steps))
        x, y = reversal_batch(batch, length, rng)
        scores = model(x)
        loss = nn.losses.cross_entropy(scores.reshape(-1, DIGITS), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.losses.append(float(loss.data))
        if step % every == 0 or step == steps:
            exact, digits = exact_accuracy(model, *test)
            run.checkpoints.append((step, exact, digits))
            if not quiet:
                print(f"step {step}/{steps}: loss {np.mean(run.losses[-every:]):.4f}, "
                      f"held-out sequences exactly reversed {100 * exact:.2f}% "
                      f"(digits {100 * digits:.2f}%)", flush=True)
    run.seconds = time.perf_counter() - start
    return run


def attention_maps(model: Reverser, digits: np.ndarray) -> Dict[str, np.ndarray]:
    """Each layer's attention weights per head for one sequence: name -> (heads, L, L)."""
    inputs: List[Value] = []
    handles = [layer.register_forward_pre_hook(lambda module, args: inputs.append(args[0]))
               for layer in model.encoder.layers]
    with ag.no_grad():
        model(digits[None, :])
        maps = {}
        for n, (layer, x) in enumerate(zip(model.encoder.layers, inputs)):
            source = layer.norm1(x) if layer.norm_first else x
            _, weights = layer.self_attn(source, source, source, need_weights=True,
                                         average_attn_weights=False)
            maps[f"layer {n}"] = weights.data[0]
    for handle in handles:
        handle.remove()
    return maps


def one_head_graph(d_model: int = 4, length: int = 3, seed: int = 0) -> Value:
    """A single attention head built step by step with its parts named (q, k, v, scores,
    softmax, weighted sum), and a loss on its output, differentiated: for drawing."""
    rng = np.random.default_rng(seed)
    x = Value(rng.normal(size=(length, d_model)), name="x")
    w = {part: Value(rng.normal(size=(d_model, d_model)) / np.sqrt(d_model), name=f"W_{part}")
         for part in "qkv"}
    q, k, v = (x @ w[part] for part in "qkv")
    q.name, k.name, v.name = "q", "k", "v"
    scores = q @ k.T / np.sqrt(d_model)
    scores.name = "scores"
    weights = nn.functional.softmax(scores, axis=-1)
    weights.name = "softmax"
    out = weights @ v
    out.name = "weighted sum"
    loss = (out * out).mean()
    loss.name = "loss"
    loss.backward()
    return loss


def run_transformer(args: argparse.Namespace, out: Path) -> List[Tuple[Path, str]]:
    """The `--model transformer` job: learn to reverse digit sequences, report the held-out
    exact-match rate, and draw the attention of each head and one head's graph."""
    import visualize
    length = args.seq_len
    model = Reverser(length, d_model=args.hidden[0], dtype=np.dtype(args.dtype), seed=args.seed)
    test = reversal_batch(HELD_OUT, length, np.random.default_rng(args.seed + 1))
    print(f"Transformer encoder (2 layers, d_model {args.hidden[0]}, 4 heads) reversing "
          f"sequences of {length} digits: {args.steps} Adam steps of batch {args.batch_size}, "
          f"lr={args.lr:g}, {args.dtype}; {HELD_OUT:,} held-out sequences", flush=True)
    run = train_reverser(model, length, args.steps, args.batch_size, args.lr, args.seed, test,
                         quiet=args.quiet)
    step, exact, digits = run.checkpoints[-1]
    print(f"held-out: {100 * exact:.2f}% of sequences exactly reversed, {100 * digits:.2f}% of "
          f"digits ({run.seconds:.0f}s of training)")
    example = test[0][0]
    maps = attention_maps(model, example)
    written = attempt("the pictures", lambda: [
        (visualize.plot_attention(maps, out / "attention.png", tokens=[str(d) for d in example]),
         "each head's attention for one held-out sequence (rows: queries)"),
        (visualize.plot_learning_curves({"Transformer": run.losses}, out / "reverse_curve.png",
                                        smooth=20), "the training loss per step")])
    if not args.no_graphs:
        written += attempt("the attention head", lambda: [(visualize.render(
            one_head_graph(), out / "attention_head.svg"),
            "one attention head: q, k, v, scores, softmax, weighted sum")])
    return written
