"""Tests for nnbook.gradcheck: the checker must accept right gradients and reject wrong ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from nnbook.gradcheck import (
    check_gradient,
    check_vjp,
    numerical_gradient,
    numerical_vjp,
    relative_error,
)
from tests.strategies import matrices


def test_quadratic_form_gradient(rng) -> None:
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    f = lambda v: float(v @ A @ v)  # noqa: E731
    np.testing.assert_allclose(numerical_gradient(f, x.copy()), (A + A.T) @ x, rtol=1e-7)
    assert check_gradient(f, lambda v: (A + A.T) @ v, x) < 1e-8


def test_wrong_gradient_is_rejected(rng) -> None:
    x = rng.normal(size=3)
    with pytest.raises(AssertionError):
        check_gradient(lambda v: float(np.sum(v**3)), lambda v: 2 * v**2, x)  # should be 3 v^2


def test_vjp_of_a_linear_map(rng) -> None:
    W = rng.normal(size=(3, 5))
    x = rng.normal(size=(2, 3))
    g = rng.normal(size=(2, 5))
    np.testing.assert_allclose(numerical_vjp(lambda a: a @ W, x.copy(), g), g @ W.T, rtol=1e-7)
    check_vjp(lambda a: a @ W, lambda a, gg: gg @ W.T, x, rng)


def test_input_is_restored(rng) -> None:
    x = rng.normal(size=(3, 2))
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_array_equal(x, before)


def test_central_differences_are_second_order() -> None:
    # error of the central difference of exp at 0 shrinks ~100x when h shrinks 10x
    errs = [abs(numerical_gradient(lambda v: float(np.exp(v[0])), np.zeros(1), eps)[0] - 1.0) for eps in (1e-2, 1e-3)]
    assert 50 < errs[0] / errs[1] < 200


@given(matrices())
def test_relative_error_properties(a: np.ndarray) -> None:
    assert relative_error(a, a) == 0.0
    assert 0.0 <= relative_error(a, -a) <= 1.0


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="float64.*float32"):
        numerical_gradient(lambda v: 0.0, np.zeros(2, dtype=np.float32))
    with pytest.raises(ValueError, match="finite"):
        numerical_gradient(lambda v: 0.0, np.array([np.nan]))
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))
