"""Shared fixtures of the visualize tests: the big scalar MLP graph (built once) and the
figures a test saves."""
import pytest

from viz_graphs import ScalarMLP, mlp_loss


@pytest.fixture(scope="session")
def big_mlp():
    """(model, loss) of a 2-16-16-1 scalar MLP over 50 samples: about 33,000 values."""
    model = ScalarMLP()
    return model, mlp_loss(model)


@pytest.fixture
def saved(monkeypatch):
    """Every matplotlib Figure saved during the test, in order."""
    figure = pytest.importorskip("matplotlib.figure")
    figures, savefig = [], figure.Figure.savefig

    def keep(fig, *args, **kwargs):
        figures.append(fig)
        return savefig(fig, *args, **kwargs)

    monkeypatch.setattr(figure.Figure, "savefig", keep)
    return figures
