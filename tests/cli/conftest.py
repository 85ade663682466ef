"""The demo job's default run with its pictures, made once for the tests that read its output:
training and drawing take a while, and reading the files changes nothing."""
import contextlib
import io

import pytest

from seegrad import cli


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """(exit status, stdout, stderr, output folder) of `seegrad --epochs 2 --quiet --out ...`."""
    folder = tmp_path_factory.mktemp("demo")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["--epochs", "2", "--out", str(folder), "--quiet"])
    return status, out.getvalue(), err.getvalue(), folder
