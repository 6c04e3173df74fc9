"""Tests for nnbook.nn.init: shapes, dtypes, and the variance formulas checked statistically."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.nn.init as I

FAN_IN, FAN_OUT = 400, 300

SCHEMES = [
    (I.xavier_uniform, 2.0 / (FAN_IN + FAN_OUT), "uniform"),
    (I.xavier_normal, 2.0 / (FAN_IN + FAN_OUT), "normal"),
    (I.he_uniform, 2.0 / FAN_IN, "uniform"),
    (I.he_normal, 2.0 / FAN_IN, "normal"),
    (I.lecun_normal, 1.0 / FAN_IN, "normal"),
]


@pytest.mark.parametrize("scheme, var, kind", SCHEMES, ids=[s.__name__ for s, _, _ in SCHEMES])
def test_variance_matches_formula(scheme, var, kind, rng) -> None:
    W = scheme(FAN_IN, FAN_OUT, rng)
    n = W.size
    # The sample variance of n iid draws has standard error sqrt((m4 - var^2) / n), where the fourth
    # moment m4 is 3 var^2 for a normal and 9/5 var^2 for a uniform. Allow 5 standard errors.
    m4 = 3 * var**2 if kind == "normal" else 1.8 * var**2
    se = math.sqrt((m4 - var**2) / n)
    assert abs(W.var() - var) < 5 * se, (W.var(), var, se)
    assert abs(W.mean()) < 5 * math.sqrt(var / n)


@pytest.mark.parametrize("scheme, limit", [(I.xavier_uniform, math.sqrt(6 / (FAN_IN + FAN_OUT))),
                                            (I.he_uniform, math.sqrt(6 / FAN_IN))])
def test_uniform_limits(scheme, limit, rng) -> None:
    W = scheme(FAN_IN, FAN_OUT, rng)
    assert np.abs(W).max() <= limit
    assert np.abs(W).max() > 0.99 * limit  # 120,000 draws reach the edge


def test_normal_std_and_shape(rng) -> None:
    W = I.normal((200, 300), 0.01, rng)
    assert W.shape == (200, 300)
    assert abs(W.std() - 0.01) < 5 * 0.01 / math.sqrt(2 * W.size)


def test_zeros_and_constant() -> None:
    assert np.all(I.zeros(3, 4) == 0) and I.zeros(3, 4).shape == (3, 4)
    np.testing.assert_array_equal(I.constant_init(2, 2, value=0.5), np.full((2, 2), 0.5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scheme", [I.xavier_uniform, I.xavier_normal, I.he_uniform, I.he_normal, I.lecun_normal, I.zeros])
def test_dtype(scheme, dtype, rng) -> None:
    assert scheme(5, 7, rng, dtype).dtype == dtype


@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_same_seed_same_weights(fan_in, fan_out, seed) -> None:
    a = I.he_normal(fan_in, fan_out, np.random.default_rng(seed))
    b = I.he_normal(fan_in, fan_out, np.random.default_rng(seed))
    assert a.shape == (fan_in, fan_out)
    np.testing.assert_array_equal(a, b)


def test_get_initializer() -> None:
    assert I.get_initializer("he") is I.he_normal
    assert I.get_initializer("Xavier") is I.xavier_uniform
    assert I.get_initializer(I.lecun_normal) is I.lecun_normal


def test_bad_input(rng) -> None:
    with pytest.raises(ValueError, match="fan_(in|out) must be a positive integer"):
        I.he_normal(0, 3, rng)
    with pytest.raises(ValueError, match="Generator"):
        I.xavier_uniform(3, 3, 42)
    with pytest.raises(ValueError, match="floating-point"):
        I.he_normal(3, 3, rng, np.int32)
    with pytest.raises(ValueError, match="std must be a finite non-negative"):
        I.normal((2, 2), -1.0, rng)
    with pytest.raises(ValueError, match="init must be one of"):
        I.get_initializer("orthogonalish")
    with pytest.raises(ValueError, match="value must be a finite number"):
        I.constant_init(2, 2, value=float("nan"))
