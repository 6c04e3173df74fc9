"""Tests for nnbook.train.selection: folds partition the indices, stratification keeps proportions,
cross-validation and the searches call fit_and_score as documented, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnbook.train.selection import (
    cross_validate,
    grid_search,
    kfold_indices,
    log_uniform_sampler,
    random_search,
    uniform_sampler,
)


@given(st.integers(2, 60), st.data())
def test_folds_partition_the_indices(n: int, data) -> None:
    k = data.draw(st.integers(2, n))
    folds = kfold_indices(n, k, np.random.default_rng(data.draw(st.integers(0, 10**6))))
    assert len(folds) == k
    val = np.concatenate([va for _, va in folds])
    np.testing.assert_array_equal(np.sort(val), np.arange(n))  # every index validated exactly once
    sizes = [len(va) for _, va in folds]
    assert max(sizes) - min(sizes) <= 1
    for tr, va in folds:
        assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == n


@given(hnp.arrays(np.int64, st.integers(10, 80), elements=st.integers(0, 3)), st.integers(2, 5), st.integers(0, 1000))
def test_stratification_preserves_class_proportions(labels: np.ndarray, k: int, seed: int) -> None:
    folds = kfold_indices(len(labels), k, np.random.default_rng(seed), stratify_labels=labels)
    totals = np.bincount(labels, minlength=4)
    for _, va in folds:
        counts = np.bincount(labels[va], minlength=4)
        assert np.all(np.abs(counts - totals / k) < 1)  # within one example of the exact share
    val = np.concatenate([va for _, va in folds])
    np.testing.assert_array_equal(np.sort(val), np.arange(len(labels)))


def test_folds_are_reproducible_and_random() -> None:
    a = kfold_indices(20, 4, np.random.default_rng(1))
    b = kfold_indices(20, 4, np.random.default_rng(1))
    c = kfold_indices(20, 4, np.random.default_rng(2))
    assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
    assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))


def _mean_predictor(params, X_tr, y_tr, X_va, y_va) -> float:
    """Predict the training mean plus an offset; score = minus the validation MSE."""
    return -float(np.mean((y_tr.mean() + params.get("offset", 0.0) - y_va) ** 2))


def test_cross_validate_hand_computed() -> None:
    X = np.arange(4.0)[:, None]
    y = np.array([0.0, 0.0, 2.0, 2.0])
    folds = [(np.array([2, 3]), np.array([0, 1])), (np.array([0, 1]), np.array([2, 3]))]
    cv = cross_validate(_mean_predictor, X, y, 2, np.random.default_rng(0), folds=folds)
    np.testing.assert_allclose(cv["scores"], [-4.0, -4.0])
    assert cv["mean"] == -4.0 and cv["std"] == 0.0
    cv = cross_validate(_mean_predictor, X, y, 4, np.random.default_rng(0))  # leave-one-out
    assert len(cv["scores"]) == 4 and cv["mean"] == pytest.approx(-16 / 9)


def test_grid_search_finds_the_best_and_keeps_all_trials() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1))
    y = 3.0 + rng.normal(scale=0.1, size=40)
    grid = {"offset": [-1.0, 0.0, 0.5, 1.0], "unused": ["a", "b"]}
    res = grid_search(_mean_predictor, grid, X[:30], y[:30], X[30:], y[30:])
    assert len(res) == 8
    assert res[0]["params"]["offset"] == 0.0
    assert [r["score"] for r in res] == sorted((r["score"] for r in res), reverse=True)
    assert {(r["params"]["offset"], r["params"]["unused"]) for r in res} == {(o, u) for o in grid["offset"] for u in "ab"}
    res_cv = grid_search(_mean_predictor, grid, X, y, k=5, rng=np.random.default_rng(1))
    assert res_cv[0]["params"]["offset"] == 0.0 and all(len(r["scores"]) == 5 for r in res_cv)
    # the same folds for every trial: settings that differ only in an unused parameter tie exactly
    by = {(r["params"]["offset"], r["params"]["unused"]): r["score"] for r in res_cv}
    assert all(by[(o, "a")] == by[(o, "b")] for o in grid["offset"])


def test_random_search_draws_from_the_distributions() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 1))
    y = rng.normal(size=30)
    dists = {"offset": uniform_sampler(-2.0, 2.0), "lr": log_uniform_sampler(1e-4, 1e-1), "kind": ["x", "y"]}
    res = random_search(_mean_predictor, dists, 25, np.random.default_rng(3), X[:20], y[:20], X[20:], y[20:])
    assert len(res) == 25 and sorted(r["trial"] for r in res) == list(range(25))
    offsets = np.array([r["params"]["offset"] for r in res])
    lrs = np.array([r["params"]["lr"] for r in res])
    assert np.all((-2 <= offsets) & (offsets <= 2)) and np.all((1e-4 <= lrs) & (lrs <= 1e-1))
    assert {r["params"]["kind"] for r in res} <= {"x", "y"}
    assert [r["score"] for r in res] == sorted((r["score"] for r in res), reverse=True)
    again = random_search(_mean_predictor, dists, 25, np.random.default_rng(3), X[:20], y[:20], X[20:], y[20:])
    assert [r["params"] for r in again] == [r["params"] for r in res]


def test_log_uniform_covers_decades_evenly() -> None:
    draw = log_uniform_sampler(1e-4, 1.0)
    rng = np.random.default_rng(0)
    x = np.array([draw(rng) for _ in range(4000)])
    counts = np.histogram(np.log10(x), bins=[-4, -3, -2, -1, 0])[0]
    assert counts.min() > 900  # about 1000 per decade


def test_bad_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="k must be between 2 and n=5"):
        kfold_indices(5, 6, rng)
    with pytest.raises(ValueError, match="k must be an integer >= 2"):
        kfold_indices(5, 1, rng)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        kfold_indices(5, 2, 0)
    with pytest.raises(ValueError, match="stratify_labels must be a 1-D array of 5"):
        kfold_indices(5, 2, rng, stratify_labels=np.array([0, 1]))
    X, y = np.zeros((6, 2)), np.zeros(6)
    with pytest.raises(ValueError, match="one entry per row of X"):
        cross_validate(_mean_predictor, X, y[:4], 2, rng)
    with pytest.raises(ValueError, match="X must be finite"):
        cross_validate(_mean_predictor, np.full((6, 2), np.nan), y, 2, rng)
    with pytest.raises(ValueError, match="returned NaN"):
        cross_validate(lambda *a: float("nan"), X, y, 2, rng)
    with pytest.raises(ValueError, match="either a validation set"):
        grid_search(_mean_predictor, {"offset": [0.0]}, X, y)
    with pytest.raises(ValueError, match="either a validation set"):
        grid_search(_mean_predictor, {"offset": [0.0]}, X, y, X, y, k=2, rng=rng)
    with pytest.raises(ValueError, match="non-empty list"):
        grid_search(_mean_predictor, {"offset": []}, X, y, X, y)
    with pytest.raises(ValueError, match="rng must be given"):
        grid_search(_mean_predictor, {"offset": [0.0]}, X, y, k=2)
    with pytest.raises(ValueError, match="n_iter must be"):
        random_search(_mean_predictor, {"offset": [0.0]}, 0, rng, X, y, X, y)
    with pytest.raises(ValueError, match="sampler f\\(rng\\) or a non-empty list"):
        random_search(_mean_predictor, {"offset": 3.0}, 2, rng, X, y, X, y)
    with pytest.raises(ValueError, match="0 < low < high"):
        log_uniform_sampler(0.0, 1.0)
