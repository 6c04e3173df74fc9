"""Tests for nnbook.metrics.classification: hand-computed cases, agreement with scikit-learn on random inputs
(hypothesis), the two computations of AUC, invariants and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnbook.metrics.classification as M
from nnbook.nn.losses import mae, mse

# --- strategies ---------------------------------------------------------------------------------


@st.composite
def label_pairs(draw: st.DrawFn, max_n: int = 40, max_classes: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Two integer label vectors of one length, labels in [0, k)."""
    n = draw(st.integers(1, max_n))
    k = draw(st.integers(2, max_classes))
    labels = st.integers(0, k - 1)
    return draw(hnp.arrays(np.int64, (n,), elements=labels)), draw(hnp.arrays(np.int64, (n,), elements=labels))


@st.composite
def binary_scored(draw: st.DrawFn, max_n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Binary labels with both classes, and scores with many ties (drawn from a few levels)."""
    n = draw(st.integers(2, max_n))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 1)))
    y[0], y[1] = 0, 1
    levels = draw(st.integers(1, 8))
    s = draw(hnp.arrays(np.float64, (n,), elements=st.integers(0, levels).map(float)))
    s += draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 0.0, 0.25])))
    return y, s


@st.composite
def regression_pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 20))
    shape = draw(st.sampled_from([(n,), (n, 1), (n, 3)]))
    el = st.floats(-100, 100, allow_nan=False, width=64)
    y = draw(hnp.arrays(np.float64, shape, elements=el))
    y_hat = draw(hnp.arrays(np.float64, shape, elements=el))
    return y_hat, y


# --- hand-computed cases ---------------------------------------------------------------------------


def test_hand_computed_classification() -> None:
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    assert M.accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    C = M.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    p, r, f = M.precision_recall_f1(y_true, y_pred)
    np.testing.assert_allclose(p, [1.0, 2 / 3, 0.5])
    np.testing.assert_allclose(r, [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(f, [2 / 3, 2 / 3, 2 / 3])
    assert M.precision_recall_f1(y_true, y_pred, average="micro") == pytest.approx((4 / 6,) * 3)
    assert M.precision_recall_f1(y_true, y_pred, average="macro")[0] == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    # an absent predicted class has precision 0 by convention, not NaN
    p, _, _ = M.precision_recall_f1(np.array([0, 1]), np.array([0, 0]))
    np.testing.assert_array_equal(p, [0.5, 0.0])


def test_hand_computed_roc_and_pr() -> None:
    # scores 0.8 (+), 0.4 (+), 0.4 (+), 0.35 (-), 0.1 (-): thresholds 0.8, 0.4, 0.35, 0.1
    y = np.array([0, 1, 1, 0, 1])
    s = np.array([0.1, 0.4, 0.4, 0.35, 0.8])
    fpr, tpr, thr = M.roc_curve(y, s)
    np.testing.assert_allclose(fpr, [0, 0, 0, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1, 1, 1])
    np.testing.assert_allclose(thr, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert M.roc_auc(y, s) == 1.0 == M.roc_auc(y, s, method="rank")
    prec, rec, thr = M.precision_recall_curve(y, s)  # scikit-learn's order
    np.testing.assert_allclose(prec, [0.6, 0.75, 1, 1, 1])
    np.testing.assert_allclose(rec, [1, 1, 1, 1 / 3, 0])
    np.testing.assert_allclose(thr, [0.1, 0.35, 0.4, 0.8])
    assert M.average_precision(y, s) == pytest.approx(1.0)
    # a tie between a positive and a negative counts one half
    assert M.roc_auc([0, 1], [0.5, 0.5]) == 0.5 == M.roc_auc([0, 1], [0.5, 0.5], method="rank")
    assert M.roc_auc([1, 0], [0.9, 0.1]) == 1.0 and M.roc_auc([0, 1], [0.9, 0.1]) == 0.0


def test_hand_computed_regression() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    y_hat = np.array([1.0, 3.0, 3.0, 2.0])  # residuals 0, 1, 0, -2
    assert M.mean_squared_error(y, y_hat) == pytest.approx(5 / 4)
    assert M.root_mean_squared_error(y, y_hat) == pytest.approx(math.sqrt(5 / 4))
    assert M.mean_absolute_error(y, y_hat) == pytest.approx(3 / 4)
    assert M.r2_score(y, y_hat) == pytest.approx(1 - 5 / 5)  # SS_tot = 2.25 + 0.25 + 0.25 + 2.25
    assert M.r2_score(y, np.full(4, y.mean())) == pytest.approx(0.0)
    assert M.r2_score(y, y[::-1]) == pytest.approx(1 - 20 / 5)  # worse than the mean: negative
    # (y_true, y_pred) as in scikit-learn: SS_tot is the variance of the *true* values
    assert M.r2_score(y, y_hat) != pytest.approx(M.r2_score(y_hat, y))


def test_rmse_averages_per_output_rmse_like_sklearn() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(size=(50, 3)) * np.array([1.0, 2.0, 0.5])
    y_hat = y + rng.normal(size=(50, 3)) * np.array([0.3, 2.5, 0.2])
    per_output = np.sqrt(np.mean((y - y_hat) ** 2, axis=0))
    assert M.root_mean_squared_error(y, y_hat) == pytest.approx(per_output.mean())
    assert M.root_mean_squared_error(y, y_hat) < math.sqrt(M.mean_squared_error(y, y_hat))


def test_macro_average_counts_present_labels_unless_labels_given() -> None:
    y_true, y_pred = np.array([0, 0, 2, 2]), np.array([0, 2, 2, 2])  # class 1 absent
    P, R, F = M.precision_recall_f1(y_true, y_pred)
    assert P.shape == (2,)  # classes 0 and 2
    macro = M.precision_recall_f1(y_true, y_pred, average="macro")
    np.testing.assert_allclose(macro, [(1 + 2 / 3) / 2, (0.5 + 1) / 2, (2 / 3 + 0.8) / 2])
    with_absent = M.precision_recall_f1(y_true, y_pred, average="macro", labels=[0, 1, 2])
    np.testing.assert_allclose(with_absent, np.array(macro) * 2 / 3)
    assert M.precision_recall_f1(y_true, y_pred, n_classes=3, average="macro") == pytest.approx(with_absent)


def test_regression_metrics_versus_losses() -> None:
    rng = np.random.default_rng(0)
    y, y_hat = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    assert mse(y_hat, y) == pytest.approx(3 * M.mean_squared_error(y, y_hat))  # the loss sums over outputs
    assert mae(y_hat, y) == pytest.approx(3 * M.mean_absolute_error(y, y_hat))
    assert mse(y_hat[:, 0], y[:, 0]) == pytest.approx(M.mean_squared_error(y[:, 0], y_hat[:, 0]))


def test_calibration() -> None:
    probs = np.array([0.05, 0.15, 0.15, 0.95, 0.95, 0.95, 0.95])
    y = np.array([0, 0, 1, 1, 1, 1, 0])
    conf, freq, counts = M.reliability_curve(y, probs, n_bins=10)
    np.testing.assert_array_equal(counts, [1, 2, 0, 0, 0, 0, 0, 0, 0, 4])
    np.testing.assert_allclose(freq[[0, 1, 9]], [0.0, 0.5, 0.75])
    assert np.isnan(conf[2])
    ece = (1 * 0.05 + 2 * 0.35 + 4 * 0.2) / 7
    assert M.expected_calibration_error(y, probs) == pytest.approx(ece)


# --- agreement with scikit-learn ---------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")  # sklearn's, on one-class draws
@given(label_pairs())
def test_classification_matches_sklearn(pair) -> None:
    t, p = pair
    k = int(max(t.max(), p.max())) + 1
    assert M.accuracy(t, p) == pytest.approx(skm.accuracy_score(t, p))
    np.testing.assert_array_equal(M.confusion_matrix(t, p, k), skm.confusion_matrix(t, p, labels=range(k)))
    ours = M.precision_recall_f1(t, p, k)
    theirs = skm.precision_recall_fscore_support(t, p, labels=range(k), zero_division=0)[:3]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=1e-12)
    for average in ("macro", "micro", "weighted"):
        ours = M.precision_recall_f1(t, p, k, average=average)
        theirs = skm.precision_recall_fscore_support(t, p, labels=range(k), average=average, zero_division=0)[:3]
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


@given(binary_scored())
def test_ranking_matches_sklearn(ys) -> None:
    y, s = ys
    fpr, tpr, thr = M.roc_curve(y, s)
    sf, st_, sthr = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sf)
    np.testing.assert_allclose(tpr, st_)
    np.testing.assert_allclose(thr[1:], sthr[1:])
    auc = skm.roc_auc_score(y, s)
    assert M.roc_auc(y, s) == pytest.approx(auc, abs=1e-12)
    assert M.roc_auc(y, s, method="rank") == pytest.approx(auc, abs=1e-12)
    prec, rec, pthr = M.precision_recall_curve(y, s)
    sp, sr, spthr = skm.precision_recall_curve(y, s)
    np.testing.assert_allclose(prec, sp)
    np.testing.assert_allclose(rec, sr)
    np.testing.assert_allclose(pthr, spthr)
    assert M.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)


@given(regression_pairs())
def test_regression_matches_sklearn(pair) -> None:
    y_hat, y = pair
    assert M.mean_squared_error(y, y_hat) == pytest.approx(skm.mean_squared_error(y, y_hat), rel=1e-12, abs=1e-12)
    assert M.mean_absolute_error(y, y_hat) == pytest.approx(skm.mean_absolute_error(y, y_hat), rel=1e-12, abs=1e-12)
    assert M.root_mean_squared_error(y, y_hat) == pytest.approx(
        skm.root_mean_squared_error(y, y_hat), rel=1e-12, abs=1e-12)
    if np.all(np.ptp(y, axis=0) > 1e-6):
        assert M.r2_score(y, y_hat) == pytest.approx(skm.r2_score(y, y_hat), rel=1e-9, abs=1e-9)


# --- invariants ---------------------------------------------------------------------------------


@given(binary_scored())
def test_ranking_invariants(ys) -> None:
    y, s = ys
    auc = M.roc_auc(y, s)
    assert 0.0 <= auc <= 1.0
    assert M.roc_auc(y, -s) == pytest.approx(1.0 - auc, abs=1e-12)      # reversing the ranking
    assert M.roc_auc(y, 3 * s + 7) == pytest.approx(auc, abs=1e-12)     # only the order matters
    assert M.roc_auc(1 - y, s) == pytest.approx(1.0 - auc, abs=1e-12)   # swapping the classes
    # AUC is the probability that a random positive outranks a random negative (ties count 1/2)
    d = s[y == 1][:, None] - s[y == 0][None, :]
    assert auc == pytest.approx(np.mean((d > 0) + 0.5 * (d == 0)), abs=1e-12)
    fpr, tpr, _ = M.roc_curve(y, s)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    ap = M.average_precision(y, s)
    assert 0.0 < ap <= 1.0 + 1e-12


@given(label_pairs())
def test_confusion_matrix_invariants(pair) -> None:
    t, p = pair
    C = M.confusion_matrix(t, p)
    assert C.sum() == len(t)
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(t, minlength=C.shape[0]))
    assert np.trace(C) / len(t) == pytest.approx(M.accuracy(t, p))


# --- bad input ----------------------------------------------------------------------------------


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        M.accuracy(np.array([0, 1, 1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="must not be empty"):
        M.accuracy(np.array([], dtype=int), np.array([], dtype=int))
    with pytest.raises(ValueError, match="integer class labels"):
        M.confusion_matrix(np.array([0.0, np.nan]), np.array([0, 1]))
    with pytest.raises(ValueError, match="integer class labels"):
        M.accuracy(np.array([0.5, 1.0]), np.array([0, 1]))
    with pytest.raises(ValueError, match="n_classes=2"):
        M.confusion_matrix(np.array([0, 2]), np.array([0, 1]), n_classes=2)
    with pytest.raises(ValueError, match="negative"):
        M.accuracy(np.array([0, -1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="average must be"):
        M.precision_recall_f1(np.array([0, 1]), np.array([0, 1]), average="mean")
    with pytest.raises(ValueError, match="both classes"):
        M.roc_auc(np.array([1, 1, 1]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="both classes"):
        M.roc_curve(np.array([0, 0]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="at least one positive"):
        M.average_precision(np.array([0, 0]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"labels in \[0, 2\)"):
        M.roc_auc(np.array([0, 2]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="scores must be finite"):
        M.roc_auc(np.array([0, 1]), np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match="same length"):
        M.roc_auc(np.array([0, 1, 1]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="method must be"):
        M.roc_auc(np.array([0, 1]), np.array([0.1, 0.2]), method="exact")
    with pytest.raises(ValueError, match="same shape"):
        M.mean_squared_error(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="y_pred must be finite"):
        M.mean_absolute_error(np.zeros(2), np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="must not be empty"):
        M.mean_squared_error(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="constant"):
        M.r2_score(np.array([3.0, 3.0]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="probs must lie in"):
        M.reliability_curve(np.array([0, 1]), np.array([0.5, 1.5]))


def test_float32_scores() -> None:
    y = np.array([0, 1, 0, 1])
    s = np.array([0.1, 0.9, 0.4, 0.3], dtype=np.float32)
    assert M.roc_auc(y, s) == pytest.approx(0.75)
    assert M.mean_squared_error(y.astype(np.float32), s) == pytest.approx(np.mean((s - y) ** 2))
