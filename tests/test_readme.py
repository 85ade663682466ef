"""The README cannot rot: every ```python block runs, and shown outputs match.

The python blocks run in order in one namespace (later blocks may use names from earlier
ones, as a reader typing them into one session would), in a temporary working folder so the
files they write land there. A python block followed directly by a ```text block (only blank
lines between) must print exactly that text; a block that prints without such a block fails,
so every printed output the README shows is checked.
"""
import contextlib
import io
import re
import shutil
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

import nn
from nn.functional import ACTIVATIONS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.M | re.S)


def python_blocks(text: str) -> List[Tuple[int, str, Optional[str]]]:
    """(line number, code, expected output or None) for each ```python block, in order."""
    fences = list(FENCE.finditer(text))
    blocks = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        expected = None
        if i + 1 < len(fences):
            following = fences[i + 1]
            between = text[fence.end():following.start()]
            if following.group(1) == "text" and not between.strip():
                expected = following.group(2)
        blocks.append((text.count("\n", 0, fence.start()) + 1, fence.group(2), expected))
    return blocks


def normalise(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.strip("\n").splitlines())


def test_readme_python_blocks_run_and_print_what_the_readme_shows(tmp_path, monkeypatch):
    if shutil.which("dot") is None:
        pytest.skip("the README's drawing blocks need Graphviz's dot binary (make test "
                    "installs it)")
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    repo_files = set(ROOT.iterdir())
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    for line, code, expected in blocks:
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        printed = normalise(stdout.getvalue())
        if expected is None:
            assert not printed, (f"README.md:{line}: the block prints but the README shows no "
                                 f"```text output after it; it printed:\n{printed}")
        else:
            assert printed == normalise(expected), f"README.md:{line}: output differs"
    for written in ("neuron.png", "digits.npz", "history.png", "mlp_step.svg",
                    "frames/backprop.gif"):
        assert (tmp_path / written).exists(), written
    assert set(ROOT.iterdir()) == repo_files, "a README block wrote into the repository"


def test_block_extraction_pairs_outputs_only_when_adjacent():
    text = ("```python\nprint(1)\n```\n\n```text\n1\n```\n"
            "```python\nx = 2\n```\nprose\n```text\nnot an output\n```\n")
    assert python_blocks(text) == [(1, "print(1)\n", "1\n"), (8, "x = 2\n", None)]


def test_readme_picture_is_a_png_in_docs():
    text = README.read_text(encoding="utf-8")
    assert "](docs/neuron.png)" in text
    assert (ROOT / "docs" / "neuron.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_structure():
    text = README.read_text(encoding="utf-8")
    assert text.index("make demo") < text.index("make test")
    headings = re.findall(r"^## (.+)$", text, re.M)
    for heading in ("Two commands", "A scalar example", "An array example",
                    "Training an MLP in ten lines", "Drawing a graph", "Checking gradients",
                    "Activations, losses and optimisers", "Adding an op", "Benchmarks",
                    "Project layout", "How it compares"):
        assert heading in headings
    assert "seegrad" in text and "HIPS autograd" in text


def test_readme_lists_every_activation_loss_and_optimiser():
    text = README.read_text(encoding="utf-8")
    losses = {f.__name__ for f in nn.losses.LOSSES.values()}
    optimisers = ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "StepLR", "ExponentialLR",
                  "CosineAnnealingLR")
    for name in sorted(ACTIVATIONS) + sorted(losses) + list(optimisers):
        assert f"`{name}`" in text, name


def test_readme_training_block_fits_in_ten_lines():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Training an MLP in ten lines")[1]
    code = FENCE.search(section).group(2)
    statements = [l for l in code.splitlines() if l.strip() and not l.startswith(" ")]
    assert len(statements) <= 10
