"""Tests for nnbook.data.augment: shapes, dtypes, reproducibility, exact values, bad input."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.data.augment as A
from tests.strategies import arrays

AUGMENTATIONS = {
    "noise": partial(A.add_noise, std=0.3),
    "shift": partial(A.random_shift, max_shift=4),
    "shift_zeros": partial(A.random_shift, max_shift=4, mode="zeros"),
    "scale": partial(A.random_scale, max_stretch=0.2),
    "composed": A.compose(partial(A.random_shift, max_shift=3), partial(A.random_scale, max_stretch=0.1),
                          partial(A.add_noise, std=0.1)),
}

series = arrays(st.tuples(st.integers(1, 6), st.integers(2, 12)), -10.0, 10.0)


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_are_preserved(name, dtype, rng) -> None:
    X = rng.normal(size=(7, 40)).astype(dtype)
    Y = AUGMENTATIONS[name](X, rng)
    assert Y.shape == X.shape and Y.dtype == dtype


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
def test_reproducible_given_the_seed(name) -> None:
    X = np.random.default_rng(1).normal(size=(5, 40))
    Y1 = AUGMENTATIONS[name](X, np.random.default_rng(7))
    Y2 = AUGMENTATIONS[name](X, np.random.default_rng(7))
    np.testing.assert_array_equal(Y1, Y2)
    assert not np.array_equal(Y1, AUGMENTATIONS[name](X, np.random.default_rng(8)))


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
def test_input_is_not_modified(name, rng) -> None:
    X = rng.normal(size=(4, 20))
    X0 = X.copy()
    AUGMENTATIONS[name](X, rng)
    np.testing.assert_array_equal(X, X0)


@given(series, st.integers(0, 15))
def test_circular_shift_is_a_rotation_of_each_row(X: np.ndarray, max_shift: int) -> None:
    Y = A.random_shift(X, np.random.default_rng(0), max_shift)
    for x, y in zip(X, Y):  # each row equals some np.roll of its input (test code, not a hot path)
        assert any(np.array_equal(np.roll(x, s), y) for s in range(-max_shift, max_shift + 1))


@given(series, st.integers(0, 15))
def test_zero_padded_shift_keeps_a_contiguous_window(X: np.ndarray, max_shift: int) -> None:
    Y = A.random_shift(X, np.random.default_rng(0), max_shift, mode="zeros")
    length = X.shape[1]
    for x, y in zip(X, Y):
        ok = False
        for s in range(-max_shift, max_shift + 1):
            src = np.arange(length) - s
            inside = (src >= 0) & (src < length)
            expect = np.where(inside, x[np.clip(src, 0, length - 1)], 0.0)
            ok |= np.array_equal(expect, y)
        assert ok


def test_shift_by_hand() -> None:
    X = np.arange(10.0).reshape(2, 5)
    rng = np.random.default_rng(0)
    s = np.random.default_rng(0).integers(-2, 3, size=(2, 1))[:, 0]
    Y = A.random_shift(X, rng, 2)
    for i in range(2):
        np.testing.assert_array_equal(Y[i], np.roll(X[i], s[i]))


@given(series, st.floats(0.0, 0.5))
def test_scale_stays_within_the_range_of_each_row(X: np.ndarray, m: float) -> None:
    Y = A.random_scale(X, np.random.default_rng(0), m)
    assert np.all(Y <= X.max(axis=1, keepdims=True) + 1e-9)
    assert np.all(Y >= X.min(axis=1, keepdims=True) - 1e-9)


def test_scale_zero_is_identity_and_keeps_linear_ramps(rng) -> None:
    X = rng.normal(size=(3, 9))
    np.testing.assert_allclose(A.random_scale(X, rng, 0.0), X)
    # a linear ramp stretched by a about its centre is the ramp with slope 1/a (inside the window)
    t = np.arange(41.0)
    ramp = np.tile(t - 20.0, (4, 1))
    a = np.random.default_rng(5).uniform(0.8, 1.2, size=(4, 1))
    Y = A.random_scale(ramp, np.random.default_rng(5), 0.2)
    inner = slice(10, 31)  # away from the clamped ends
    np.testing.assert_allclose(Y[:, inner], (t[inner] - 20.0) / a, atol=1e-12)


def test_noise_statistics(rng) -> None:
    X = np.zeros((200, 50))
    Y = A.add_noise(X, rng, std=0.5)
    assert abs(Y.mean()) < 0.02 and abs(Y.std() - 0.5) < 0.02
    np.testing.assert_array_equal(A.add_noise(X, rng, std=0.0), X)


def test_compose_order() -> None:
    def plus_one(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return X + 1

    def double(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return 2 * X

    np.testing.assert_array_equal(A.compose(plus_one, double)(np.zeros((1, 2)), np.random.default_rng(0)), 2.0)


def test_bad_input(rng) -> None:
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(batch, length\); got shape \(4,\)"):
        A.add_noise(np.zeros(4), rng)
    with pytest.raises(ValueError, match="finite"):
        A.random_shift(np.array([[np.nan, 1.0]]), rng)
    with pytest.raises(ValueError, match="not be empty"):
        A.random_scale(np.zeros((0, 4)), rng)
    with pytest.raises(ValueError, match="max_shift"):
        A.random_shift(np.zeros((2, 4)), rng, max_shift=-1)
    with pytest.raises(ValueError, match="mode"):
        A.random_shift(np.zeros((2, 4)), rng, mode="reflect")
    with pytest.raises(ValueError, match=r"max_stretch must be in \[0, 1\)"):
        A.random_scale(np.zeros((2, 4)), rng, max_stretch=1.0)
    with pytest.raises(ValueError, match="std"):
        A.add_noise(np.zeros((2, 4)), rng, std=-1.0)
    with pytest.raises(ValueError, match="Generator"):
        A.add_noise(np.zeros((2, 4)), 0)
    with pytest.raises(ValueError, match="at least one"):
        A.compose()
    with pytest.raises(ValueError, match="callable"):
        A.compose(3)
