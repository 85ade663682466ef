"""The sequence demos: `--model lstm` (character language model), `--model rnn-gru-lstm` (the
vanishing gradient) and `--model transformer` (reversing digits): their pieces, what they print
and draw, their option checks, and (the slow tests) the numbers the README promises."""
import math
import re

import numpy as np
import pytest

import nn
from seegrad import charlm, cli, reverse, vanishing
from test_cli import is_png, is_svg, needs_dot, run_cli

SHORT_TEXT = nn.data.load_shakespeare()[:6000]
BITS = re.compile(r"^validation: (\d+\.\d+) bits/char, the unigram baseline (\d+\.\d+)", re.M)


@pytest.fixture
def short_text(monkeypatch):
    monkeypatch.setattr(nn.data, "load_shakespeare", lambda: SHORT_TEXT)


# ----- the language model ---------------------------------------------------------------------
def test_vocabulary_round_trips_and_refuses_unknown_characters():
    vocab = charlm.Vocabulary.of("hello world")
    assert vocab.chars == sorted(set("hello world"))
    assert vocab.decode(vocab.encode("low hold")) == "low hold"
    with pytest.raises(ValueError, match=r"never saw: \['z'\]"):
        vocab.encode("wood z")


def test_unigram_baseline_is_the_cross_entropy_of_character_frequencies():
    train = np.array([0, 0, 1, 1])                       # counts 2 and 2, smoothed 3 and 3
    assert charlm.unigram_bits(train, np.array([0, 1, 1]), 2) == pytest.approx(1.0)
    train = np.array([0] * 6 + [1] * 2)                  # smoothed 7/10 and 3/10
    assert charlm.unigram_bits(train, np.array([1]), 2) == pytest.approx(-math.log2(0.3))


def test_an_untrained_model_scores_about_log2_of_the_vocabulary():
    vocab = charlm.Vocabulary.of(SHORT_TEXT)
    model = charlm.CharLSTM(len(vocab), 16, seed=0)
    bits = charlm.validation_bits(model, vocab.encode(SHORT_TEXT[:2000]), seq_len=20, batch=4)
    assert abs(bits - math.log2(len(vocab))) < 0.2


def test_truncated_bptt_cuts_the_graph_at_each_chunk():
    vocab = charlm.Vocabulary.of(SHORT_TEXT)
    model = charlm.CharLSTM(len(vocab), 8, seed=0)
    rows = charlm.streams(vocab.encode(SHORT_TEXT), 4)
    _, state = charlm.chunk_loss(model, rows, 0, 10, None)
    carried = charlm.detached(state)
    assert all(not s.requires_grad and s.op == "" for s in carried)
    np.testing.assert_array_equal(carried[0].data, state[0].data)
    loss, _ = charlm.chunk_loss(model, rows, 10, 10, carried)
    loss.backward()
    assert all(s.grad is None for s in carried)           # nothing flows into the last chunk
    assert model.lstm.weight_hh_l0.grad is not None


def test_sampling_is_seeded_and_speaks_the_vocabulary():
    vocab = charlm.Vocabulary.of(SHORT_TEXT)
    model = charlm.CharLSTM(len(vocab), 8, seed=0)
    one = charlm.sample(model, vocab, 40, 0.8, prompt="ROMEO:", seed=3)
    assert one == charlm.sample(model, vocab, 40, 0.8, prompt="ROMEO:", seed=3)
    assert one.startswith("ROMEO:") and len(one) == 46 and set(one) <= set(vocab.chars)


@needs_dot
def test_lstm_job_reports_bits_and_writes_samples_and_pictures(tmp_path, capsys, short_text):
    status, out, err = run_cli(capsys, "--model", "lstm", "--epochs", "1", "--hidden", "16",
                               "--seq-len", "16", "--out", str(tmp_path))
    assert status == 0, err
    assert "epoch 1/1: train" in out
    bits, unigram = map(float, BITS.search(out).groups())
    assert 0 < bits < 10 and 3 < unigram < 6
    assert (tmp_path / "samples.txt").read_text().startswith("--- sample at temperature 0.5")
    assert is_png(tmp_path / "lm_curves.png") and is_svg(tmp_path / "lstm_step.svg")
    drawing = (tmp_path / "lstm_step.svg").read_text()
    assert all(f">{gate}<" in drawing or f">{gate} " in drawing for gate in "ifgoc")


def test_the_lstm_step_graph_names_every_gate():
    loss, _ = charlm.lstm_step_graph()
    names, seen, stack = set(), set(), [loss]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            names.add(v.name)
            stack.extend(v.parents)
    assert {"i", "f", "g", "o", "c", "h", "x_t", "h_prev", "c_prev"} <= names


# ----- the vanishing gradient -----------------------------------------------------------------
def test_recall_batch_marks_the_first_token_and_labels_it():
    x, y = vanishing.recall_batch(5, 7, 4, np.random.default_rng(0), np.float32)
    assert x.shape == (5, 7, 5) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, :, :4].sum(axis=2), 1.0)     # one token per step
    np.testing.assert_array_equal(x[:, :, 4], np.eye(1, 7, 0).repeat(5, axis=0))  # the mark
    np.testing.assert_array_equal(x[:, 0, :4].argmax(axis=1), y)


@pytest.mark.parametrize("kind, rows", [("LSTM", {"i": -3.0, "f": 3.0, "g": 0.0, "o": 0.0}),
                                        ("GRU", {"r": 0.0, "z": 3.0, "n": 0.0})])
def test_gated_cells_start_set_to_remember(kind, rows):
    gated = getattr(nn, kind)(5, 6, seed=0)
    before = gated.bias_hh_l0.data.copy()
    vanishing.remember_at_start(gated, kind)
    shift = (gated.bias_hh_l0.data - before).reshape(len(rows), 6)
    for row, (gate, value) in zip(shift, rows.items()):
        np.testing.assert_allclose(row, value, err_msg=gate)


def test_the_plain_rnns_gradient_vanishes_with_distance_and_the_gated_cells_do_not():
    probe = vanishing.recall_batch(16, 30, 8, np.random.default_rng(1), np.float64)
    ratio = {cell: vanishing.decay(vanishing.gradient_through_time(
        vanishing.Recaller(cell, 8, 16, np.float64, 0), *probe)) for cell in vanishing.CELLS}
    assert ratio["RNN"] < 1e-5
    assert ratio["GRU"] > 1e-2 and ratio["LSTM"] > 1e-2


def test_rnn_gru_lstm_job_prints_each_cell_and_draws(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--model", "rnn-gru-lstm", "--steps", "3", "--seq-len",
                               "6", "--hidden", "4", "--out", str(tmp_path))
    assert status == 0, err
    for cell in ("RNN", "GRU", "LSTM"):
        assert re.search(rf"^\s*{cell}: accuracy +\d+\.\d%", out, re.M)
    assert is_png(tmp_path / "recall_curves.png")
    assert is_png(tmp_path / "gradient_through_time.png")


# ----- the Transformer ------------------------------------------------------------------------
def test_reversal_batches_and_exact_accuracy():
    x, y = reverse.reversal_batch(4, 6, np.random.default_rng(0))
    np.testing.assert_array_equal(y, x[:, ::-1])
    model = reverse.Reverser(6, d_model=16, seed=0)
    exact, digits = reverse.exact_accuracy(model, x, y)
    assert 0 <= exact <= digits <= 1


def test_attention_maps_are_each_heads_rows_of_weights():
    model = reverse.Reverser(5, d_model=16, seed=0)
    maps = reverse.attention_maps(model, np.array([1, 2, 3, 4, 5]))
    assert list(maps) == ["layer 0", "layer 1"]
    for weights in maps.values():
        assert weights.shape == (4, 5, 5)
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    assert all(not layer._forward_pre_hooks for layer in model.encoder.layers)


def test_one_head_graph_names_its_parts_and_matches_the_formula():
    loss = reverse.one_head_graph(d_model=4, length=3, seed=0)
    nodes, stack = {}, [loss]
    while stack:
        v = stack.pop()
        if v.name and v.name not in nodes:
            nodes[v.name] = v
            stack.extend(v.parents)
        elif not v.name:
            stack.extend(v.parents)
    assert {"q", "k", "v", "scores", "softmax", "weighted sum", "x"} <= set(nodes)
    q, k, v = (nodes[n].data for n in "qkv")
    s = q @ k.T / 2.0
    p = np.exp(s - s.max(axis=1, keepdims=True))
    np.testing.assert_allclose(nodes["weighted sum"].data, p / p.sum(axis=1, keepdims=True) @ v)


@needs_dot
def test_transformer_job_reports_and_draws(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--model", "transformer", "--steps", "2", "--seq-len",
                               "4", "--hidden", "16", "--out", str(tmp_path))
    assert status == 0, err
    assert re.search(r"^held-out: \d+\.\d+% of sequences exactly reversed", out, re.M)
    for name in ("attention.png", "reverse_curve.png"):
        assert is_png(tmp_path / name)
    assert is_svg(tmp_path / "attention_head.svg")


# ----- options --------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, words", [
    (["--model", "lstm", "--dataset", "moons"], "--model lstm does not use --dataset"),
    (["--model", "transformer", "--epochs", "3"], "--model transformer does not use --epochs"),
    (["--model", "lstm", "--steps", "3"], "--model lstm does not use --steps"),
    (["--model", "lstm", "--hidden", "8", "8"], "takes one --hidden size, got 2"),
    (["--model", "mlp", "--seq-len", "5"], "--seq-len is for --model gan and the sequence models"),
])
def test_sequence_option_mistakes_are_one_line_usage_errors(argv, words, capsys):
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and words in err and len(err.strip().splitlines()) == 1


def test_each_sequence_model_has_its_defaults():
    lstm = cli.parse_args(["--model", "lstm"])
    assert (lstm.hidden, lstm.epochs, lstm.seq_len, lstm.dtype) == ([128], 3, 64, "float32")
    recall = cli.parse_args(["--model", "rnn-gru-lstm"])
    assert (recall.steps, recall.seq_len, recall.lr) == (1000, 50, 3e-3)
    assert cli.parse_args(["--model", "transformer", "--lr", "0.01"]).lr == 0.01


# ----- the promises (slow: minutes each) ------------------------------------------------------
@pytest.mark.slow
def test_the_lstm_learns_word_like_text_clearly_below_the_unigram_baseline(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--model", "lstm", "--quiet", "--no-graphs", "--out",
                               str(tmp_path))
    assert status == 0, err
    bits, unigram = map(float, BITS.search(out).groups())
    assert bits < unigram - 1.5
    words = set(re.findall(r"[a-z]+", nn.data.load_shakespeare().lower()))
    sampled = re.findall(r"[a-z]+", (tmp_path / "samples.txt").read_text().lower())
    assert np.mean([w in words for w in sampled]) > 0.6            # mostly real words


@pytest.mark.slow
def test_the_gated_cells_learn_the_recall_task_and_the_rnn_does_not(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--model", "rnn-gru-lstm", "--quiet", "--out",
                               str(tmp_path))
    assert status == 0, err
    accuracy = {cell: float(re.search(rf"{cell}: accuracy +(\d+\.\d)%", out).group(1))
                for cell in ("RNN", "GRU", "LSTM")}
    assert accuracy["RNN"] < 25 and accuracy["GRU"] > 90 and accuracy["LSTM"] > 50


@pytest.mark.slow
def test_the_transformer_reverses_99_percent_of_held_out_sequences(tmp_path, capsys):
    status, out, err = run_cli(capsys, "--model", "transformer", "--quiet", "--no-graphs",
                               "--out", str(tmp_path))
    assert status == 0, err
    exact = float(re.search(r"held-out: (\d+\.\d+)% of sequences", out).group(1))
    assert exact >= 99.0
