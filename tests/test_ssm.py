"""Tests for nnbook.nn.ssm: recurrence, scan, convolution view, selective scan."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    associative_scan,
    causal_convolve,
    linear_recurrence,
    selective_scan,
    ssm_kernel,
)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**31 - 1), T=st.integers(1, 40))
def test_scan_equals_loop(seed: int, T: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (2, T, 3))
    b = rng.standard_normal((2, T, 3))
    np.testing.assert_allclose(associative_scan(a, b), linear_recurrence(a, b),
                               atol=1e-12)


def test_hand_computed_recurrence() -> None:
    a = np.array([[0.5, 0.5, 0.5]])
    b = np.array([[1.0, 1.0, 1.0]])
    np.testing.assert_allclose(linear_recurrence(a, b), [[1.0, 1.5, 1.75]])
    np.testing.assert_allclose(associative_scan(a, b), [[1.0, 1.5, 1.75]])


def test_time_invariant_ssm_is_a_convolution() -> None:
    rng = np.random.default_rng(0)
    T, N = 32, 4
    a, bvec, c = rng.uniform(0.2, 0.95, N), rng.standard_normal(N), rng.standard_normal(N)
    x = rng.standard_normal((3, T))
    h = linear_recurrence(np.broadcast_to(a, (3, T, N)), x[..., None] * bvec)
    y_rec = h @ c
    y_conv = causal_convolve(x, ssm_kernel(a, bvec, c, T))
    np.testing.assert_allclose(y_conv, y_rec, atol=1e-10)


def _selective_naive(x, delta, A, B, C, D):
    bt, T, d = x.shape
    n = A.shape[1]
    y = np.zeros_like(x)
    for i in range(bt):
        h = np.zeros((d, n))
        for t in range(T):
            for j in range(d):
                for k in range(n):
                    h[j, k] = (np.exp(delta[i, t, j] * A[j, k]) * h[j, k]
                               + delta[i, t, j] * B[i, t, k] * x[i, t, j])
                y[i, t, j] = sum(C[i, t, k] * h[j, k] for k in range(n)) + D[j] * x[i, t, j]
    return y


@pytest.mark.parametrize("method", ["scan", "loop"])
def test_selective_scan_equals_naive_loop(method: str) -> None:
    rng = np.random.default_rng(1)
    bt, T, d, n = 2, 7, 3, 4
    x = rng.standard_normal((bt, T, d))
    delta = np.log1p(np.exp(rng.standard_normal((bt, T, d))))
    A = -np.exp(rng.standard_normal((d, n)))
    B, C = rng.standard_normal((bt, T, n)), rng.standard_normal((bt, T, n))
    D = rng.standard_normal(d)
    np.testing.assert_allclose(selective_scan(x, delta, A, B, C, D, method=method),
                               _selective_naive(x, delta, A, B, C, D), atol=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="same shape"):
        associative_scan(np.ones((1, 3)), np.ones((1, 4)))
    with pytest.raises(ValueError, match="method"):
        selective_scan(np.ones((1, 2, 1)), np.ones((1, 2, 1)), -np.ones((1, 1)),
                       np.ones((1, 2, 1)), np.ones((1, 2, 1)), method="fft")
    with pytest.raises(ValueError, match="shapes must be"):
        selective_scan(np.ones((1, 2, 1)), np.ones((1, 2, 1)), -np.ones((2, 1)),
                       np.ones((1, 2, 1)), np.ones((1, 2, 1)))
    with pytest.raises(ValueError, match="length"):
        causal_convolve(np.ones((2, 5)), np.ones(4))
