"""Fixtures the command-line tests share."""
import pytest

from seegrad import job


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if the job gets as far as training."""
    def refuse(*args, **kwargs):
        pytest.fail("training started")

    monkeypatch.setattr(job, "train", refuse)
