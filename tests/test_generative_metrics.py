"""Tests for nnbook.metrics.generative: the Frechet distance against closed forms, FID
of a set with itself, symmetry, Inception Score bounds, precision/recall."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook.metrics.generative import (
    fid,
    frechet_distance,
    inception_score,
    precision_recall_knn,
    sqrtm_psd,
)


def test_sqrtm_psd() -> None:
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    S = A @ A.T
    R = sqrtm_psd(S)
    np.testing.assert_allclose(R @ R, S, atol=1e-10)
    np.testing.assert_allclose(R, R.T)


def test_frechet_distance_closed_forms() -> None:
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    assert frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([3.0]),
                            np.array([[1.0]])) == pytest.approx(4 + 1)
    # commuting (diagonal) covariances: sum (sqrt(a) - sqrt(b))^2
    S1, S2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 9.0])
    assert frechet_distance(np.zeros(3), S1, np.zeros(3), S2) == pytest.approx(1 + 1 + 0)
    # against scipy's general matrix square root
    scipy_linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    S1, S2 = A @ A.T + np.eye(3), B @ B.T + np.eye(3)
    want = np.trace(S1 + S2 - 2 * np.real(scipy_linalg.sqrtm(S1 @ S2)))
    assert frechet_distance(np.zeros(3), S1, np.zeros(3), S2) == pytest.approx(want)


@settings(deadline=None, max_examples=25)
@given(st.integers(0, 10_000))
def test_fid_self_zero_and_symmetric(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((50, 5)) @ rng.standard_normal((5, 5))
    b = rng.standard_normal((40, 5)) + 0.5
    assert fid(a, a) == pytest.approx(0.0, abs=1e-8)
    assert fid(a, b) == pytest.approx(fid(b, a), rel=1e-8)
    assert fid(a, b) > 0


def test_fid_grows_with_shift() -> None:
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2000, 3))
    vals = [fid(a, rng.standard_normal((2000, 3)) + s) for s in (0.0, 0.5, 1.0)]
    assert vals[0] < vals[1] < vals[2]
    assert vals[2] == pytest.approx(3.0, rel=0.1)      # ||shift||^2 = 3


def test_inception_score_bounds() -> None:
    assert inception_score(np.eye(4)) == pytest.approx(4.0)
    assert inception_score(np.full((5, 4), 0.25)) == pytest.approx(1.0)
    assert inception_score(np.tile(np.eye(4)[:1], (6, 1))) == pytest.approx(1.0)


def test_precision_recall() -> None:
    rng = np.random.default_rng(3)
    real = rng.standard_normal((300, 2))
    p, r = precision_recall_knn(real, rng.standard_normal((300, 2)))
    assert p > 0.8 and r > 0.8
    # a collapsed generator: precise, no recall
    p, r = precision_recall_knn(real, 0.05 * rng.standard_normal((300, 2)))
    assert p > 0.9 and r < 0.2
    # a generator off the data: no precision
    p, r = precision_recall_knn(real, rng.standard_normal((300, 2)) + 10)
    assert p == 0.0 and r == 0.0


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same number of columns"):
        fid(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        fid(np.zeros((1, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="probabilities"):
        inception_score(np.array([[0.5, 0.6]]))
    with pytest.raises(ValueError, match="k must"):
        precision_recall_knn(np.zeros((3, 2)), np.zeros((3, 2)), k=5)
    with pytest.raises(ValueError, match="S must be square"):
        sqrtm_psd(np.zeros((2, 3)))
