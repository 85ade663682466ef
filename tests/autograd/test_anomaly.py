"""Anomaly mode: the first NaN/Inf is reported at the op and the user line that made it."""
import inspect
import warnings

import numpy as np
import pytest

import autograd
from autograd import Value, detect_anomaly
from autograd.anomaly import _origins
from autograd.grad_mode import ANOMALY, current_mode


def _line_of(marker: str) -> int:
    """The line number of this file that contains `marker`."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    return next(i + 1 for i, text in enumerate(lines) if marker in text and "_line_of" not in text)


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_log_of_a_negative_number_is_reported_at_log_and_its_line():
    x = Value(np.array([1.0, -2.0]))
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        x.log()  # marker: log-negative
    message = str(err.value)
    assert "op 'log' (forward)" in message
    assert "input shapes (2,)" in message
    assert f"{__file__}:{_line_of('marker: log-negative')}" in message


def test_scalar_log_of_a_negative_number_is_reported_too():
    with detect_anomaly(), pytest.raises(FloatingPointError, match="op 'log'"):
        Value(-1.0).log()


def test_zero_over_zero_in_backward_is_reported_at_sqrt_with_its_creation_line():
    with detect_anomaly():
        x = Value(np.array([0.0, 4.0]))
        y = x.sqrt()  # marker: sqrt-at-zero
        loss = (y * np.array([0.0, 1.0])).sum()
        with pytest.raises(FloatingPointError) as err:
            loss.backward()
    message = str(err.value)
    assert "op 'sqrt' (backward)" in message
    assert "gradient for input 0" in message
    assert f"{__file__}:{_line_of('marker: sqrt-at-zero')}" in message


def test_overflow_in_exp_is_reported_at_exp():
    x = Value(np.array([1.0, 800.0]))
    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        (x * 2.0).exp()  # marker: exp-overflow
    assert "op 'exp' (forward)" in str(err.value)
    assert f":{_line_of('marker: exp-overflow')} " in str(err.value)


def test_nan_coming_from_the_data_names_the_input():
    x = Value(np.array([1.0, np.nan]), requires_grad=False)
    w = Value(np.ones(2))
    with detect_anomaly(), pytest.raises(FloatingPointError, match="input 0 contains NaN"):
        x * w


def test_graph_built_outside_the_mode_still_reports_the_op():
    x = Value(0.0)
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(FloatingPointError, match="unknown line"):
        y.backward()


def test_user_line_is_the_callers_line_when_the_op_runs_inside_a_library_function():
    def model(v):
        return autograd.log(v)          # inside "library-like" code of this test file

    with detect_anomaly(), pytest.raises(FloatingPointError) as err:
        model(Value(-3.0))  # marker: via-function
    assert f":{_line_of('return autograd.log(v)')} in model" in str(err.value)


def test_decorator_form_and_state_restored_after_an_error():
    @detect_anomaly()
    def run():
        return Value(-1.0).log()

    with pytest.raises(FloatingPointError):
        run()
    assert not current_mode() & ANOMALY
    assert Value(-1.0).log().data != Value(-1.0).log().data   # nan again, no error outside


def test_normal_runs_record_nothing_and_finite_runs_pass_in_the_mode():
    before = set(_origins)                 # entries of earlier tests' nodes may still leave
    x = Value(np.array([1.0, 2.0]))
    (x * x).sum().backward()
    assert not set(_origins) - before
    with detect_anomaly():
        y = (x.tanh() * 3.0).sum()
        y.backward()
    assert np.all(np.isfinite(x.grad))
    assert _origins[id(y)][0]() is y


def test_recorded_lines_are_forgotten_with_their_nodes():
    with detect_anomaly():
        y = Value(2.0) * 3.0
    key = id(y)
    assert _origins[key][0]() is y
    del y
    assert key not in _origins
