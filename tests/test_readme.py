"""The README cannot rot: every ```python block runs, and shown outputs match.

The python blocks run as a reader runs them: in order, in one namespace (later blocks may use
names from earlier ones, as in one session), in a fresh Python started in an empty temporary
folder. So every file they write lands there and none in the repository, not even the cache
hypothesis keeps in `.hypothesis/` of the folder a Python starts in. A python block followed
directly by a ```text block (only blank lines between) must print exactly that text; a block
that prints without such a block fails, so every printed output the README shows is checked.
"""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
from hypothesis import settings

import nn
from nn.functional import ACTIVATIONS

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.M | re.S)

# Runs in the fresh Python: the blocks come on stdin; what each printed goes out as the last
# line of stdout. The suite's hypothesis profile sets the number of examples, without a
# deadline (no wall-clock assertions in tests).
RUN_BLOCKS = """
import contextlib, io, json, sys
from hypothesis import settings
job = json.load(sys.stdin)
settings.register_profile("readme", deadline=None, **job["hypothesis"])
settings.load_profile("readme")
namespace, printed = {"__name__": "readme"}, []
for line, code in job["blocks"]:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, f"README.md:{line}", "exec"), namespace)
    printed.append(out.getvalue())
print(json.dumps(printed))
"""


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


def run_blocks(blocks: List[Tuple[int, str, Optional[str]]], folder: Path) -> List[str]:
    """What each block printed, run one after another in one namespace by a fresh Python
    started in `folder` and importing this repository's packages."""
    job = {"blocks": [(line, code) for line, code, _ in blocks],
           "hypothesis": {"max_examples": settings().max_examples,
                          "derandomize": settings().derandomize}}
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", RUN_BLOCKS], input=json.dumps(job),
                          cwd=folder, env=dict(os.environ, PYTHONPATH=path),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def normalise(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.strip("\n").splitlines())


def test_readme_python_blocks_run_and_print_what_the_readme_shows(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("the README's drawing blocks need Graphviz's dot binary (make test "
                    "installs it)")
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 8
    if importlib.util.find_spec("torch") is None:       # optional: CI installs it
        blocks = [block for block in blocks if "import torch" not in block[1]]
    repo_files = set(ROOT.iterdir())
    printed = run_blocks(blocks, tmp_path)
    for (line, _, expected), output in zip(blocks, printed):
        output = normalise(output)
        if expected is None:
            assert not output, (f"README.md:{line}: the block prints but the README shows no "
                                f"```text output after it; it printed:\n{output}")
        else:
            assert output == normalise(expected), f"README.md:{line}: output differs"
    for written in ("neuron.png", "digits.npz", "history.png", "mlp_step.svg",
                    "frames/backprop.gif"):
        assert (tmp_path / written).exists(), written
    assert set(ROOT.iterdir()) == repo_files, "a README block wrote into the repository"


def test_the_hypothesis_blocks_leave_no_hypothesis_folder_where_the_tests_started(tmp_path):
    """tests/test_readme.py run alone in a fresh clone: hypothesis, imported when the run
    starts, keeps its files in the folder the run started in, here an empty `clone`. Running
    the README's property-test blocks (on a few examples) must leave nothing there."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Checking gradients"):text.index("## When training goes wrong")]
    assert "@given" in section
    clone, work = tmp_path / "clone", tmp_path / "work"
    clone.mkdir()
    work.mkdir()
    script = ("import sys\n"
              "from hypothesis import settings\n"
              "import test_readme\n"
              "settings.register_profile('few', max_examples=5)\n"
              "settings.load_profile('few')\n"
              "blocks = test_readme.python_blocks(sys.stdin.read())\n"
              "test_readme.run_blocks(blocks, test_readme.Path(sys.argv[1]))\n")
    path = os.pathsep.join(filter(None, [str(ROOT / "tests"), str(ROOT),
                                         os.environ.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", script, str(work)], input=section, cwd=clone,
                          env=dict(os.environ, PYTHONPATH=path), capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert list(clone.iterdir()) == []


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
