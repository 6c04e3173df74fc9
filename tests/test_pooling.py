"""Tests for nnbook.nn.pooling: values, backward routing, gradient checks, invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbook.nn.pooling as P
from nnbook import check_module


def test_hand_computed() -> None:
    X = np.array([[[[1.0, 2.0, 0.0, 1.0],
                    [3.0, 4.0, 1.0, 5.0],
                    [0.0, 0.0, 2.0, 2.0],
                    [1.0, 0.0, 2.0, 6.0]]]])
    Y, _ = P.maxpool2d(X, 2)
    np.testing.assert_allclose(Y[0, 0], [[4.0, 5.0], [1.0, 6.0]])
    A, _ = P.avgpool2d(X, 2)
    np.testing.assert_allclose(A[0, 0], [[2.5, 1.75], [0.25, 3.0]])


def test_max_backward_routes_to_argmax() -> None:
    X = np.array([[[[1.0, 2.0], [3.0, 0.5]]]])
    Y, cache = P.maxpool2d(X, 2)
    dX = P.maxpool2d_backward(np.array([[[[7.0]]]]), cache)
    np.testing.assert_allclose(dX[0, 0], [[0.0, 0.0], [7.0, 0.0]])


@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1),
       seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_pool_gradients(k: int, s: int, p: int, seed: int) -> None:
    if p * 2 > k:
        p = 0
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, 2, 6, 5))
    check_module(P.MaxPool2d(k, s, p), X)
    check_module(P.AvgPool2d(k, s, p), X)
    check_module(P.MaxPool1d(k, s), X[:, :, 0])
    check_module(P.AvgPool1d(k, s), X[:, :, 0])


def test_global_pool_and_flatten(rng: np.random.Generator) -> None:
    X = rng.standard_normal((3, 4, 5, 2))
    np.testing.assert_allclose(P.GlobalAvgPool()(X), X.mean(axis=(2, 3)))
    check_module(P.GlobalAvgPool(), X)
    check_module(P.GlobalAvgPool(), X[:, :, :, 0])
    check_module(P.Flatten(), X)
    assert P.Flatten()(X).shape == (3, 40)


@given(shift=st.integers(1, 8), seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_global_pool_is_shift_invariant(shift: int, seed: int) -> None:
    X = np.random.default_rng(seed).standard_normal((1, 3, 1, 16))
    np.testing.assert_allclose(P.GlobalAvgPool()(np.roll(X, shift, axis=-1)),
                               P.GlobalAvgPool()(X))


def test_bad_inputs(rng: np.random.Generator) -> None:
    with pytest.raises(ValueError, match="larger than the padded input"):
        P.MaxPool2d(5)(np.zeros((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="4-D"):
        P.MaxPool2d(2)(np.zeros((1, 3, 3)))
    with pytest.raises(ValueError, match="spatial axis"):
        P.GlobalAvgPool()(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="kernel_size"):
        P.AvgPool2d(1.5)
    pool = P.MaxPool2d(2)
    pool(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="dY must have the shape"):
        pool.backward(np.zeros((1, 1, 3, 3)))
