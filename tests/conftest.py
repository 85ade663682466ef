"""Hypothesis profiles: `ci` (default under make test) keeps the suite to a few minutes on two
cores; `thorough` runs many more examples (HYPOTHESIS_PROFILE=thorough make test). And
fixtures several files share: `no_training` and `demo_run` (command line), `saved_figures`
(plots)."""
import contextlib
import io
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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """(exit status, stdout, stderr, output folder) of the demo job with its pictures,
    `seegrad --epochs 2 --quiet --out ...`: run once for the tests that only read its output
    (training and drawing take a while)."""
    from seegrad import cli

    folder = tmp_path_factory.mktemp("demo")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["--epochs", "2", "--out", str(folder), "--quiet"])
    return status, out.getvalue(), err.getvalue(), folder


@pytest.fixture
def saved_figures(monkeypatch):
    """Every matplotlib Figure saved during the test, in order."""
    figure = pytest.importorskip("matplotlib.figure")
    figures, savefig = [], figure.Figure.savefig

    def keep(fig, *args, **kwargs):
        figures.append(fig)
        return savefig(fig, *args, **kwargs)

    monkeypatch.setattr(figure.Figure, "savefig", keep)
    return figures
