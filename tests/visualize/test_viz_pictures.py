"""Real pictures: PNGs that parse as images, a big graph at a readable size, and a model
from nn drawn with its parameter names."""
import shutil

import numpy as np
import pytest

import nn
from visualize import dot_source, render

from viz_graphs import NEEDS_DOT, neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=NEEDS_DOT)


@needs_dot
def test_png_parses_as_an_image(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    path = render(neuron(), tmp_path / "neuron.png")
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width > im.height > 100
        assert len(im.convert("RGB").getcolors(1 << 24)) > 5       # drawn, not blank


@needs_dot
def test_a_graph_of_tens_of_thousands_of_nodes_gives_a_picture_of_readable_size(tmp_path,
                                                                                big_mlp):
    Image = pytest.importorskip("PIL.Image")
    model, loss = big_mlp
    with Image.open(render(loss, tmp_path / "big.png", model=model)) as im:
        im.verify()
        assert 500 < im.width <= 8000 and 200 < im.height <= 8000


def test_an_nn_model_is_drawn_with_its_parameter_names():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = nn.losses.mse_loss(model(np.array([[1.0, 2.0], [0.5, -1.0]])), np.zeros((2, 1)))
    loss.backward()
    named = dot_source(loss, model=model)
    for name in ("layers.0.W (2, 3) float64", "layers.0.b (3,) float64",
                 "layers.1.W (3, 1) float64", "layers.1.b (1,) float64"):
        assert "{ " + name + " | data" in named
    assert "layers.0.W" not in dot_source(loss)
