"""Docstring examples run as tests (pytest --doctest-modules): give them `np` and `Value`."""
import numpy as np
import pytest

from autograd import Value


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    doctest_namespace["np"] = np
    doctest_namespace["Value"] = Value
