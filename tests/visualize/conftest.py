"""Shared fixtures of the visualize tests: the big scalar MLP graph (built once)."""
import pytest

from viz_graphs import ScalarMLP, mlp_loss


@pytest.fixture(scope="session")
def big_mlp():
    """(model, loss) of a 2-16-16-1 scalar MLP over 50 samples: about 33,000 values."""
    model = ScalarMLP()
    return model, mlp_loss(model)
