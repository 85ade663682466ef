"""backprop_frames: one picture per backward step, or one animated GIF; each frame highlights
the node being processed."""
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from autograd.engine import backward_steps
from visualize import backprop_frames
from visualize.dot import Options, Step, body_lines
from visualize.legend import FRAME_COLORS
from visualize.trace import trace

from viz_graphs import NEEDS_DOT, neuron


def _texts(svg):
    return ["".join(el.itertext()) for el in ET.parse(svg).getroot().iter()
            if el.tag.endswith("text")]


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=NEEDS_DOT)


@needs_dot
def test_one_png_per_backward_step(tmp_path):
    o = neuron()
    steps = len(list(backward_steps(o)))
    paths = backprop_frames(o, tmp_path / "frames")
    assert len(paths) == steps == 10
    assert [p.name for p in paths] == [f"step_{k:03d}.png" for k in range(steps)]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)


@needs_dot
def test_svg_frames_show_gradients_arriving(tmp_path):
    o = neuron()
    steps = len(backward_steps(o))
    paths = backprop_frames(o, tmp_path, format="svg", max_frames=steps)   # exactly enough
    assert len(paths) == steps
    first, last = _texts(paths[0]), _texts(paths[-1])
    assert first.count("grad ?") == 9 and "grad 1.0000" in first
    assert any("step 1: o has its complete gradient" in t for t in first)
    assert "grad ?" not in last and "grad -1.5000" in last


@needs_dot
def test_gif_is_one_animated_file_with_a_frame_per_step(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    o = neuron()
    grads_before = [o.grad]
    (gif,) = backprop_frames(o, tmp_path, format="gif")
    assert gif.name == "backprop.gif"
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 10
    assert [o.grad] == grads_before
    assert not list(tmp_path.glob("*.png"))


def test_frames_refuse_bad_formats_and_big_graphs(tmp_path, big_mlp):
    with pytest.raises(ValueError, match="format"):
        backprop_frames(neuron(), tmp_path, format="jpeg")
    with pytest.raises(ValueError, match="max_nodes=500"):
        backprop_frames(big_mlp[1], tmp_path)


@pytest.mark.parametrize("format", ["png", "svg", "gif"])
def test_too_many_steps_are_refused_before_any_file_is_written(tmp_path, format):
    with pytest.raises(ValueError, match=r"10 steps, more than max_frames=3"):
        backprop_frames(neuron(), tmp_path / "frames", format=format, max_frames=3)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_each_step_highlights_its_node_and_fills_the_gradients_known_so_far():
    o = neuron()
    graph = trace(o)
    index = graph.index()
    grads = {}
    current = f'fillcolor="{FRAME_COLORS["current"]}"'
    for k, (node, g) in enumerate(backward_steps(o)):
        i = index[id(node)]
        grads[i] = g
        lines = body_lines(graph, Options(), None, Step(dict(grads), i))
        values = [line for line in lines if re.match(r"\tv\d+ \[label=", line)]
        assert [line.split()[0] for line in values if current in line] == [f"v{i}"], k
        assert sum("grad ?" not in line for line in values) == k + 1
