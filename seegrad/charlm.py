"""The character-level language model: an LSTM learns the bundled Shakespeare one character at
a time, reports its validation loss in bits per character against the unigram baseline (what a
model that knows only how often each character occurs scores), and writes text sampled from it.

Training is truncated backpropagation through time: the text is cut into `batch` parallel
streams, each step reads the next `seq_len` characters of every stream, and the LSTM's state is
carried into the next chunk with `.detach()`, so the gradient stops at the chunk's start.
"""
from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

import autograd as ag
import nn
from autograd import Value
from seegrad.job import attempt

VALIDATION_PART = 0.1      # the text's last tenth, never trained on
SAMPLE_PROMPT = "ROMEO:\n"
SAMPLE_LENGTH = 300        # characters sampled at each temperature
GRAD_CLIP = 5.0            # the usual bound on the gradient norm for recurrent nets
State = Tuple[Value, Value]


@dataclass
class Vocabulary:
    """The characters of a text, each with an integer code (sorted, so codes are stable)."""

    chars: List[str]

    @classmethod
    def of(cls, text: str) -> "Vocabulary":
        return cls(sorted(set(text)))

    def encode(self, text: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted(set(text) - set(index))
        if unknown:
            raise ValueError(f"the text has characters the model never saw: {unknown!r}")
        return np.array([index[c] for c in text], dtype=np.int64)

    def decode(self, codes: Sequence[int]) -> str:
        return "".join(self.chars[int(i)] for i in codes)

    def __len__(self) -> int:
        return len(self.chars)


class CharLSTM(nn.Module):
    """Embedding -> LSTM -> Linear: scores for the next character at every position."""

    def __init__(self, vocab_size: int, hidden_size: int, embedding_dim: int = 32,
                 dtype: Any = np.float32, seed: Optional[int] = None) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.embed = nn.Embedding(vocab_size, embedding_dim, dtype=dtype, seed=rng)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, dtype=dtype, seed=rng)
        self.head = nn.Linear(hidden_size, vocab_size, dtype=dtype, seed=rng)

    def forward(self, codes: np.ndarray, state: Optional[State] = None
                ) -> Tuple[Value, State]:
        """Scores (N, L, vocab) for codes (N, L), and the LSTM's state after the last one."""
        out, state = self.lstm(self.embed(codes), state)
        return self.head(out), state


def bits_per_char(nats: float) -> float:
    return nats / math.log(2.0)


def unigram_bits(train: np.ndarray, valid: np.ndarray, vocab_size: int) -> float:
    """Bits per character on `valid` of the model that predicts each character by its
    frequency in `train` (add-one smoothed): the baseline a language model must beat."""
    counts = np.bincount(train, minlength=vocab_size) + 1.0
    return float(-np.mean(np.log2(counts[valid] / counts.sum())))


def streams(codes: np.ndarray, batch: int) -> np.ndarray:
    """The codes cut into `batch` equal contiguous rows (the remainder dropped)."""
    length = len(codes) // batch
    return codes[:length * batch].reshape(batch, length)


def chunk_loss(model: CharLSTM, rows: np.ndarray, start: int, seq_len: int,
               state: Optional[State]) -> Tuple[Value, State]:
    """Mean cross-entropy of predicting rows[:, start+1 : start+seq_len+1] from the chunk
    before it, starting from `state`."""
    inputs = rows[:, start:start + seq_len]
    targets = rows[:, start + 1:start + seq_len + 1]
    scores, state = model(inputs, state)
    vocab = scores.shape[-1]
    return nn.losses.cross_entropy(scores.reshape(-1, vocab), targets.reshape(-1)), state


def detached(state: State) -> State:
    """The state as new leaves: truncated backpropagation through time stops here."""
    return tuple(s.detach() for s in state)


def validation_bits(model: CharLSTM, valid: np.ndarray, seq_len: int, batch: int) -> float:
    """Bits per character over the validation text, read as `batch` streams."""
    rows = streams(valid, batch)
    state, total, count = None, 0.0, 0
    with ag.no_grad():
        for start in range(0, rows.shape[1] - 1, seq_len):
            width = min(seq_len, rows.shape[1] - 1 - start)
            loss, state = chunk_loss(model, rows, start, width, state)
            total += float(loss.data) * width
            count += width
    return bits_per_char(total / count)


def sample(model: CharLSTM, vocab: Vocabulary, length: int, temperature: float,
           prompt: str = SAMPLE_PROMPT, seed: Optional[int] = None) -> str:
    """`prompt` and `length` characters drawn one at a time from the model's softmax at
    `temperature` (below 1: safer, more repetitive; above 1: more varied)."""
    rng = np.random.default_rng(seed)
    with ag.no_grad():
        scores, state = model(vocab.encode(prompt)[None, :])
        codes: List[int] = []
        for _ in range(length):
            logits = scores.data[0, -1].astype(np.float64) / temperature
            p = np.exp(logits - logits.max())
            codes.append(int(rng.choice(len(p), p=p / p.sum())))
            scores, state = model(np.array([[codes[-1]]]), state)
    return prompt + vocab.decode(codes)


@dataclass
class LMResult:
    """What a training run measured: bits per character per epoch and the baseline."""

    train_bits: List[float]
    valid_bits: List[float]
    unigram: float
    seconds: float


def train_lm(model: CharLSTM, train: np.ndarray, valid: np.ndarray, vocab_size: int,
             epochs: int, batch: int, seq_len: int, lr: float, quiet: bool = False) -> LMResult:
    """Adam with truncated BPTT over `epochs` passes of the training streams."""
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    rows = streams(train, batch)
    result = LMResult([], [], unigram_bits(train, valid, vocab_size), 0.0)
    start_time = time.perf_counter()
    for epoch in range(epochs):
        state, total, steps = None, 0.0, 0
        for start in range(0, rows.shape[1] - seq_len - 1, seq_len):
            loss, state = chunk_loss(model, rows, start, seq_len, state)
            optimizer.zero_grad()
            loss.backward()
            nn.clip_grad_norm(model.parameters(), GRAD_CLIP)
            optimizer.step()
            state = detached(state)
            total += float(loss.data)
            steps += 1
        result.train_bits.append(bits_per_char(total / steps))
        result.valid_bits.append(validation_bits(model, valid, seq_len, batch))
        if not quiet:
            print(f"epoch {epoch + 1}/{epochs}: train {result.train_bits[-1]:.3f} bits/char, "
                  f"validation {result.valid_bits[-1]:.3f} bits/char "
                  f"(unigram baseline {result.unigram:.3f})", flush=True)
    result.seconds = time.perf_counter() - start_time
    return result


def lstm_step_graph(seed: int = 0) -> Tuple[Value, nn.LSTMCell]:
    """One step of a small unfused LSTM cell (its gates i, f, g, o and the cell state c named),
    a loss on h, differentiated: the graph a learner follows the gradient through."""
    cell = nn.LSTMCell(3, 2, fused=False, seed=seed)
    rng = np.random.default_rng(seed)
    x = Value(rng.normal(size=(1, 3)), name="x_t")
    h, c = Value(rng.normal(size=(1, 2)), name="h_prev"), Value(rng.normal(size=(1, 2)),
                                                                name="c_prev")
    h_next, _ = cell(x, (h, c))
    loss = (h_next * h_next).sum()
    loss.name = "loss"
    loss.backward()
    return loss, cell


def run_lstm(args: argparse.Namespace, out: Path) -> List[Tuple[Path, str]]:
    """The `--model lstm` job: train on the bundled text, report, sample, draw; returns the
    files written."""
    import visualize
    text = nn.data.load_shakespeare()
    vocab = Vocabulary.of(text)
    codes = vocab.encode(text)
    split = int(len(codes) * (1 - VALIDATION_PART))
    train, valid = codes[:split], codes[split:]
    model = CharLSTM(len(vocab), args.hidden[0], dtype=np.dtype(args.dtype), seed=args.seed)
    print(f"LSTM language model, hidden {args.hidden[0]}, on {len(codes):,} characters of "
          f"Shakespeare ({len(vocab)} distinct; {len(train):,} train / {len(valid):,} "
          f"validation): {args.epochs} epochs of {args.batch_size} streams x {args.seq_len} "
          f"characters, adam lr={args.lr:g}, {args.dtype}", flush=True)
    result = train_lm(model, train, valid, len(vocab), args.epochs, args.batch_size,
                      args.seq_len, args.lr, args.quiet)
    print(f"validation: {result.valid_bits[-1]:.3f} bits/char, the unigram baseline "
          f"{result.unigram:.3f} ({result.seconds:.0f}s of training)")
    samples = []
    for temperature in (0.5, 1.0):
        samples.append(f"--- sample at temperature {temperature} ---\n"
                       f"{sample(model, vocab, SAMPLE_LENGTH, temperature, seed=args.seed)}")
        print("\n" + samples[-1])
    written = [(out / "samples.txt", "text sampled from the model")]
    data = ("\n\n".join(samples) + "\n").encode("utf-8")
    nn.serialization.write_atomically(out / "samples.txt", lambda f: f.write(data), "samples")
    curves = {"bits_per_char": result.train_bits, "val_bits_per_char": result.valid_bits}
    written += attempt("the learning curves", lambda: [(visualize.plot_history(
        curves, out / "lm_curves.png"), "bits per character per epoch, train and validation")])
    if not args.no_graphs:
        loss, cell = lstm_step_graph(args.seed)
        written += attempt("the LSTM step", lambda: [(visualize.render(
            loss, out / "lstm_step.svg", model=cell),
            "one LSTM step with its gates i, f, g, o and cell state c")])
    return written
