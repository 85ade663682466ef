"""draw_dot without Graphviz's dot program: rendering and the notebook display say how to
install it, and the DOT source is still written."""
import pytest

from visualize import GraphvizNotFoundError, backprop_frames, draw_dot

from viz_graphs import neuron

HINTS = ("apt-get install graphviz", "brew install graphviz",
         "conda install -c conda-forge graphviz", "winget install graphviz")


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def test_render_says_how_to_install_and_keeps_the_source(tmp_path, no_dot):
    g = draw_dot(neuron())
    with pytest.raises(GraphvizNotFoundError) as info:
        g.render(tmp_path / "out" / "neuron", format="png")
    message = str(info.value)
    assert all(hint in message for hint in HINTS)
    source = tmp_path / "out" / "neuron"
    assert source.read_text() == g.source and str(source) in message
    assert not (tmp_path / "out" / "neuron.png").exists()
    assert isinstance(info.value, RuntimeError)


def test_notebook_display_says_how_to_install(no_dot):
    with pytest.raises(GraphvizNotFoundError, match="winget install graphviz") as info:
        draw_dot(neuron())._repr_mimebundle_()
    assert ".save('graph.dot')" in str(info.value)


@pytest.mark.parametrize("fmt", ["png", "gif"])
def test_backprop_frames_leave_the_source_in_the_folder(tmp_path, monkeypatch, fmt):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    folder = tmp_path / "frames"
    with pytest.raises(GraphvizNotFoundError, match="brew install graphviz") as info:
        backprop_frames(neuron(), folder, format=fmt)
    assert sorted(p.name for p in folder.iterdir()) == ["step_000.dot"]
    assert (folder / "step_000.dot").read_text().startswith("digraph {")
    assert str(folder / "step_000.dot") in str(info.value)
