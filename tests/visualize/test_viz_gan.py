"""visualize.gan: the discriminator's surface, the sample grids and GIF, the loss plot, and the
inputs they refuse."""
import numpy as np
import pytest

import nn
from visualize import (GanSnapshot, animate_gan, discriminator_surface, plot_gan_losses,
                       plot_gan_samples)

pytest.importorskip("matplotlib")


def test_surface_is_the_sigmoid_of_the_logits_at_the_cell_centres():
    D = nn.Linear(2, 1, seed=0)
    surface = discriminator_surface(D, (-1.0, 3.0, 0.0, 2.0), resolution=4, dtype=np.float64)
    xs, ys = [-0.5, 0.5, 1.5, 2.5], [0.25, 0.75, 1.25, 1.75]
    logits = np.array([[D(np.array([[x, y]])).item() for x in xs] for y in ys])
    np.testing.assert_allclose(surface, 1 / (1 + np.exp(-logits)), rtol=1e-12)


def test_surface_refuses_an_empty_extent_and_a_wrong_output():
    with pytest.raises(ValueError, match="min < max"):
        discriminator_surface(nn.Linear(2, 1), (1.0, 1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="one logit per point"):
        discriminator_surface(nn.Linear(2, 3), (0.0, 1.0, 0.0, 1.0), resolution=3)


def test_points_and_images_are_drawn_as_a_grid_and_a_gif(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(0)
    extent = (-3.0, 3.0, -3.0, 3.0)
    points = [GanSnapshot(s, rng.normal(size=(50, 2)), np.full((5, 5), 0.5), extent)
              for s in (0, 10, 20)]
    assert plot_gan_samples(points, tmp_path / "p.png", real=rng.normal(size=(30, 2))).exists()
    gif = animate_gan(points, tmp_path / "p.gif", real=rng.normal(size=(30, 2)))
    with Image.open(gif) as image:
        assert image.n_frames == 3
    images = [GanSnapshot(s, rng.uniform(size=(10, 8, 8))) for s in (0, 5)]
    assert plot_gan_samples(images, tmp_path / "i.png", real=rng.uniform(size=(4, 8, 8))).exists()
    with Image.open(animate_gan(images, tmp_path / "i.gif")) as image:
        assert image.n_frames == 2


@pytest.mark.parametrize("snapshots, error, words", [
    ([], ValueError, "no snapshots"),
    ([(0, np.zeros((3, 2)))], TypeError, "GanSnapshot"),
    ([GanSnapshot(0, np.zeros((3, 3)))], ValueError, "points (n, 2) or images"),
    ([GanSnapshot(7, np.array([[0.0, np.nan]]))], ValueError, "step 7"),
    ([GanSnapshot(0, np.zeros((3, 2)), np.zeros((2, 2)))], ValueError, "needs its extent"),
])
def test_what_cannot_be_drawn_is_refused_before_drawing(snapshots, error, words, tmp_path):
    for draw in (plot_gan_samples, animate_gan):
        with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
            draw(snapshots, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_losses_plot_and_its_refusals(tmp_path):
    steps = np.arange(1, 101)
    losses = {"discriminator": np.linspace(1.4, 1.3, 100), "generator": np.linspace(0.8, 0.7, 100)}
    assert plot_gan_losses(steps, losses, tmp_path / "l.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="'generator' has 3 values for 100 steps"):
        plot_gan_losses(steps, {"generator": [1, 2, 3]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="generator loss"):
        plot_gan_losses([1, 2], {"generator": [1.0, np.inf]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="no losses"):
        plot_gan_losses([1], {}, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
