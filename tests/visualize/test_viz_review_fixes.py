"""Regression tests for review findings in visualize/."""
import shutil

import pytest

from autograd.engine import backward_steps
from visualize import backprop_frames

from viz_graphs import NEEDS_DOT, neuron


@pytest.mark.parametrize("format", ["png", "svg", "gif"])
def test_too_many_steps_is_refused_before_any_file_is_written(tmp_path, format):
    # V1: the step count was checked while drawing, so frames 0..max_frames-1 were left behind.
    folder = tmp_path / "frames"
    with pytest.raises(ValueError, match=r"10 steps, more than max_frames=3"):
        backprop_frames(neuron(), folder, format=format, max_frames=3)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.skipif(shutil.which("dot") is None, reason=NEEDS_DOT)
def test_exactly_max_frames_steps_are_drawn(tmp_path):
    o = neuron()
    steps = len(backward_steps(o))
    paths = backprop_frames(o, tmp_path, format="svg", max_frames=steps)
    assert len(paths) == steps
