"""Hypothesis profiles: `ci` (default under make test) keeps the suite to a few minutes on two
cores; `thorough` runs many more examples (HYPOTHESIS_PROFILE=thorough make test). And the
command-line tests' `no_training` fixture."""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def no_training(monkeypatch):
    """Fail a command-line test if the job gets as far as training."""
    from seegrad import job

    def refuse(*args, **kwargs):
        pytest.fail("training started")

    monkeypatch.setattr(job, "train", refuse)
