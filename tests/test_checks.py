"""The shared validators of nnbook._checks: one style of message, the right error type."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook._checks import (
    ArgumentTypeError,
    NonFiniteError,
    as_float_array,
    check_choice,
    check_dtype,
    check_float,
    check_int,
    check_positive,
    check_probability,
    check_rng,
    check_type,
)


@pytest.mark.parametrize("bad", [2.5, 1e300, True, "3", None, np.float64(3.0), np.ones(2)])
def test_check_int_rejects_non_integers(bad) -> None:
    with pytest.raises(ArgumentTypeError, match="epochs must be"):
        check_int(bad, "epochs")


def test_check_int_bounds_and_numpy_integers() -> None:
    assert check_int(np.int64(3), "n") == 3 and isinstance(check_int(np.int64(3), "n"), int)
    with pytest.raises(ValueError, match="n must be a positive integer; got 0"):
        check_int(0, "n")
    with pytest.raises(ValueError, match="k must be an integer >= 2; got 1"):
        check_int(1, "k", minimum=2)
    with pytest.raises(ValueError, match="n must be an integer <= 5; got 6"):
        check_int(6, "n", maximum=5)
    assert check_int(-3, "axis", minimum=None) == -3


@given(st.floats(allow_nan=True, allow_infinity=True))
@settings(deadline=None, max_examples=50)
def test_check_float_accepts_exactly_the_finite_numbers(x: float) -> None:
    if np.isfinite(x):
        assert check_float(x, "x") == x
    else:
        with pytest.raises(NonFiniteError, match="x must be a finite number"):
            check_float(x, "x")


def test_check_float_intervals() -> None:
    with pytest.raises(ValueError, match=r"gamma must be in \(0.0, 1.0\]; got 1.5"):
        check_float(1.5, "gamma", low=0.0, high=1.0, low_open=True)
    with pytest.raises(ValueError, match="lr must be >= 0"):
        check_float(-1, "lr", low=0.0)
    with pytest.raises(ArgumentTypeError, match="lr must be a real number; got str"):
        check_float("0.1", "lr")


def test_positive_probability_choice_type() -> None:
    with pytest.raises(ValueError, match="eps must be a finite positive number; got 0"):
        check_positive(0, "eps")
    assert check_positive(0, "l2", strict=False) == 0.0
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        check_probability(1.0, "p")
    assert check_probability(1.0, "p", include_one=True) == 1.0
    with pytest.raises(ValueError, match="mode must be one of"):
        check_choice("best", ("min", "max"), "mode")
    with pytest.raises(ArgumentTypeError, match="mode must be one of"):
        check_choice(np.ones(3), ("min", "max"), "mode")
    with pytest.raises(ArgumentTypeError, match="flag must be bool; got int 1"):
        check_type(1, bool, "flag")
    with pytest.raises(ArgumentTypeError, match="rng must be a numpy.random.Generator"):
        check_rng(None)


def test_dtype_and_arrays() -> None:
    assert check_dtype(np.float32) == np.float32
    with pytest.raises(ValueError, match="dtype must be a floating-point dtype"):
        check_dtype(np.int64)
    with pytest.raises(ArgumentTypeError, match="dtype must be a floating-point dtype"):
        check_dtype(float("nan"))
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(batch, n\)"):
        as_float_array(np.ones(3), "X", ndim=2, shape_hint="(batch, n)")
    with pytest.raises(NonFiniteError, match="X must be finite; got 1 NaN"):
        as_float_array([1.0, np.nan], "X")
    with pytest.raises(ArgumentTypeError, match="X must be an array of numbers"):
        as_float_array("abc", "X")
    assert as_float_array(np.ones(2, np.float32), "X").dtype == np.float32
    assert as_float_array([1, 2], "X").dtype == np.float64
    # arrays are described by shape and dtype, not by a long repr
    with pytest.raises(ArgumentTypeError, match=r"ndarray of shape \(2, 2\) and dtype"):
        check_int(np.ones((2, 2)), "n")
