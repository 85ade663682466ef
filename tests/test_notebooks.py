"""The course notebooks in notebooks/: each is listed here, stored without outputs, and runs top
to bottom in a fresh kernel of this Python, importing this checkout's packages. A failing cell,
one of the notebook's own asserts included, fails its test."""
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = [
    "01_neuron", "02_activations", "03_losses", "04_backprop", "05_optimisers", "06_xor",
    "07_mlp_digits", "08_vanishing_exploding", "09_cnn", "10_rnn_lstm_gru",
    "11_transformer", "12_gan",
]
CELL_TIMEOUT = 300          # seconds per cell: generous, for a machine shared with other jobs


def _load(name: str) -> dict:
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))


def test_every_notebook_is_listed():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(CHAPTERS)


@pytest.mark.parametrize("name", CHAPTERS)
def test_stored_without_outputs(name):
    notebook = _load(name)
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code, f"{name} has no code cells"
    assert [cell["outputs"] for cell in code] == [[]] * len(code)
    assert [cell["execution_count"] for cell in code] == [None] * len(code)
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", CHAPTERS)
def test_checks_what_it_teaches(name):
    """Each notebook asserts at least one of the numbers it teaches."""
    code = "".join("".join(cell["source"]) for cell in _load(name)["cells"]
                   if cell["cell_type"] == "code")
    assert "assert " in code


@pytest.mark.parametrize("name", CHAPTERS)
def test_markdown_is_prose_not_comments(name):
    """Markdown cells read as prose: not every line starts with '#' (each would be a heading)."""
    for cell in _load(name)["cells"]:
        lines = [line for line in "".join(cell["source"]).splitlines() if line]
        if cell["cell_type"] == "markdown" and len(lines) > 1:
            assert not all(line.startswith("#") for line in lines), lines[0]


@pytest.fixture
def python3_kernel(tmp_path, monkeypatch):
    """A `python3` kernel spec that runs this very interpreter (so a user-wide `python3`
    kernel cannot stand in for it), with this checkout first on the kernel's import path."""
    for module in ("nbclient", "nbformat", "ipykernel"):
        try:
            __import__(module)
        except ImportError:
            pytest.skip(f"running the notebooks needs {module}: install the test extra "
                        "(.venv/bin/python -m pip install -e '.[test]')")
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    work = tmp_path / "work"           # the working directory and the pictures' temporary folders
    work.mkdir()
    monkeypatch.setenv("TMPDIR", str(work))
    return work


@pytest.mark.slow
@pytest.mark.parametrize("name", CHAPTERS)
def test_runs_top_to_bottom(name, python3_kernel):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(python3_kernel)}}).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
