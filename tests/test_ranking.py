"""Tests for nnbook.metrics.ranking: hand-computed cases and scikit-learn parity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, ndcg_score

from nnbook.metrics.ranking import (
    dcg_score,
    mean_average_precision,
    mean_reciprocal_rank,
    ndcg,
)


def test_hand_computed_cases():
    rel = np.array([[3.0, 2.0, 3.0, 0.0, 1.0]])
    score = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]])       # ranking = given order
    dcg = 3 + 2 / np.log2(3) + 3 / 2 + 0 + 1 / np.log2(6)
    idcg = 3 + 3 / np.log2(3) + 2 / 2 + 1 / np.log2(5)
    assert dcg_score(rel, score)[0] == pytest.approx(dcg)
    assert ndcg(rel, score) == pytest.approx(dcg / idcg)
    assert dcg_score(rel, score, k=2)[0] == pytest.approx(3 + 2 / np.log2(3))
    exp = 7 + 3 / np.log2(3) + 7 / 2 + 0 + 1 / np.log2(6)
    assert dcg_score(rel, score, gain="exponential")[0] == pytest.approx(exp)
    # AP: relevant at ranks 1, 3, 4 of 5 -> (1 + 2/3 + 3/4) / 3
    y = np.array([[1, 0, 1, 1, 0]])
    assert mean_average_precision(y, score) == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    # RR: first relevant at rank 3 in query 1, rank 1 in query 2 -> (1/3 + 1) / 2
    y2 = np.array([[0, 0, 1, 0, 1], [1, 0, 0, 0, 0]])
    assert mean_reciprocal_rank(y2, np.tile(score, (2, 1))) == pytest.approx(2 / 3)
    # ties: a relevant item tied with two irrelevant ones ranks third
    assert mean_reciprocal_rank(np.array([[0, 1, 0]]), np.ones((1, 3))) == \
        pytest.approx(1 / 3)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), m=st.integers(1, 5), n=st.integers(2, 9),
       k=st.one_of(st.none(), st.integers(1, 9)), ties=st.booleans())
def test_ndcg_matches_sklearn(seed, m, n, k, ties):
    rng = np.random.default_rng(seed)
    rel = rng.integers(0, 4, (m, n)).astype(float)
    score = rng.integers(0, 3, (m, n)).astype(float) if ties else rng.random((m, n))
    assert ndcg(rel, score, k=k) == pytest.approx(ndcg_score(rel, score, k=k),
                                                  abs=1e-12)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), m=st.integers(1, 5), n=st.integers(2, 9),
       ties=st.booleans())
def test_map_matches_sklearn(seed, m, n, ties):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, (m, n))
    y[:, 0] = 1                                       # every query has a relevant item
    score = rng.integers(0, 3, (m, n)).astype(float) if ties else rng.random((m, n))
    ref = np.mean([average_precision_score(y[i], score[i]) for i in range(m)])
    assert mean_average_precision(y, score) == pytest.approx(ref, abs=1e-12)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000))
def test_perfect_ranking_scores_one(seed):
    rng = np.random.default_rng(seed)
    rel = rng.integers(0, 4, (3, 6)).astype(float)
    rel[:, 0] = 2
    y = (rel > 0).astype(float)
    assert ndcg(rel, rel + 1e-3 * np.arange(6)[::-1]) == pytest.approx(1.0)
    assert mean_average_precision(y, y) == pytest.approx(1.0)
    assert mean_reciprocal_rank(y, y) == pytest.approx(1.0)
    assert 0 <= ndcg(rel, rng.random((3, 6))) <= 1


def test_bad_inputs():
    with pytest.raises(ValueError, match="same shape"):
        ndcg(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="binary"):
        mean_average_precision(np.full((1, 3), 2.0), np.ones((1, 3)))
    with pytest.raises(ValueError, match="at least one query"):
        mean_average_precision(np.zeros((1, 3)), np.ones((1, 3)))
    with pytest.raises(ValueError, match="gain"):
        dcg_score(np.ones((1, 3)), np.ones((1, 3)), gain="cubic")
    with pytest.raises(ValueError, match="y_true"):
        ndcg(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        ndcg(-np.ones((1, 3)), np.ones((1, 3)))
