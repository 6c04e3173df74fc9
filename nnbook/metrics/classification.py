"""Evaluation metrics for classifiers and regressors. Derived in
:doc:`/book/training/evaluation`.

Every metric takes ``(y_true, y_pred)`` (or ``(y_true, scores)``), in scikit-learn's
order. Classification metrics take integer labels of shape (n,); the ranking metrics
(ROC, precision-recall) take binary labels ``y_true`` in {0, 1} and real ``scores`` of
shape (n,), larger meaning "more likely positive", and handle tied scores exactly: a
group of tied scores is one threshold, one point of the curve. Regression metrics take
arrays of shape (n,) or (n, n_out) and average over the outputs, as scikit-learn does;
the training losses ``nnbook.mse`` / ``nnbook.mae`` instead *sum* over outputs and
average over the batch, the form whose gradient a model uses. For one output the two
agree.

All functions are vectorized (sorting, cumulative sums, ``bincount``) and validate their
input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_choice,
    check_int,
    check_labels,
    check_same_shape,
)

__all__ = [
    "accuracy",
    "confusion_matrix",
    "precision_recall_f1",
    "roc_curve",
    "roc_auc",
    "precision_recall_curve",
    "average_precision",
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "r2_score",
    "reliability_curve",
    "expected_calibration_error",
]


# --- labels
# ------------------------------------------------------------------------------------


def _label_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(y_true)
    if t.ndim != 1:
        raise ValueError(
            f"y_true must be a 1-D array of integer labels; got shape {t.shape}"
        )
    if t.size == 0:
        raise ValueError("y_true must not be empty; got shape (0,)")
    t = check_labels(t, t.shape[0], name="y_true")
    p = np.asarray(y_pred)
    if p.shape != t.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length; got shapes {t.shape} and "
            f"{p.shape}"
        )
    p = check_labels(p, t.shape[0], name="y_pred")
    if min(t.min(), p.min()) < 0:
        raise ValueError(
            "labels must be non-negative integers 0, 1, ..., n_classes - 1; got a "
            "negative label"
        )
    return t, p


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of correct predictions, (1/n) sum_i 1[y_pred_i = y_true_i].

    ``y_true``, ``y_pred``: (n,) integer labels."""
    t, p = _label_pair(y_true, y_pred)
    return float(np.mean(t == p))


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int | None = None
) -> np.ndarray:
    """Counts C[i, j] = #{examples of true class i predicted as class j}, an (n_classes,
    n_classes) integer array: the diagonal holds the correct predictions, row sums the
    class sizes.

    ``y_true``, ``y_pred``: (n,) labels in [0, n_classes); ``n_classes`` defaults to the
    largest label + 1. Computed with one ``bincount`` of the pair codes
    n_classes * i + j."""
    t, p = _label_pair(y_true, y_pred)
    if n_classes is None:
        k = int(max(t.max(), p.max())) + 1
    else:
        k = check_int(n_classes, "n_classes")
    if max(t.max(), p.max()) >= k:
        raise ValueError(
            f"labels must lie in [0, n_classes) with n_classes={k}; "
            f"got a largest label of {max(t.max(), p.max())}"
        )
    return np.bincount(k * t + p, minlength=k * k).reshape(k, k)


def precision_recall_f1(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_classes: int | None = None,
    average: str | None = None,
    labels: Any = None,
) -> tuple[Any, Any, Any]:
    """Precision TP/(TP+FP), recall TP/(TP+FN) and F1 = 2PR/(P+R) from the confusion
    matrix.

    For class c: TP = C[c, c], FP = column sum - TP, FN = row sum - TP. A ratio whose
    denominator is 0 is taken as 0. ``average``:

    * ``None``: three arrays of shape (n_classes,), one entry per class;
    * ``"macro"``: the unweighted mean over classes of each per-class score (F1
    averaged, not
      recomputed from the averaged P and R);
    * ``"weighted"``: the mean weighted by class support (row sums);
    * ``"micro"``: pool TP, FP and FN over classes first; for single-label data all
    three equal
      the accuracy.

    The classes are, as in scikit-learn, the labels present in ``y_true`` or ``y_pred``
    (sorted), unless ``labels`` (a list of classes) or ``n_classes`` (meaning
    ``labels = range(n_classes)``) is given: a class that never occurs then counts in
    the macro average with scores 0.
    """
    check_choice(average, (None, "macro", "micro", "weighted"), "average")
    if labels is not None:
        keep = np.asarray(labels)
        if keep.ndim != 1 or keep.size == 0 or keep.dtype.kind not in "iu":
            raise ValueError(
                "labels must be a non-empty 1-D list of integer classes; "
                f"got {labels!r}"
            )
        if keep.min() < 0:
            raise ValueError(f"labels must be non-negative; got {keep.tolist()}")
        t, p = _label_pair(y_true, y_pred)
        k = max(int(keep.max()), int(t.max()), int(p.max())) + 1
        n_classes = k if n_classes is None else n_classes
    C = confusion_matrix(y_true, y_pred, n_classes).astype(np.float64)
    if labels is not None:
        if keep.max() >= C.shape[0]:
            raise ValueError(
                f"labels must lie in [0, n_classes={C.shape[0]}); got {keep.tolist()}"
            )
    elif n_classes is not None:
        keep = np.arange(C.shape[0])
    else:  # the classes that occur in y_true or y_pred
        keep = np.flatnonzero(C.sum(axis=0) + C.sum(axis=1))
    tp = np.diag(C)[keep]
    predicted, actual = C.sum(axis=0)[keep], C.sum(axis=1)[keep]
    if average == "micro":
        tp, predicted, actual = (
            tp.sum(keepdims=True),
            predicted.sum(keepdims=True),
            actual.sum(keepdims=True),
        )
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(
        2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0
    )
    if average is None:
        return precision, recall, f1
    if average == "micro":
        return float(precision[0]), float(recall[0]), float(f1[0])
    w = np.full(len(tp), 1.0 / len(tp)) if average == "macro" else actual / actual.sum()
    return float(w @ precision), float(w @ recall), float(w @ f1)


# --- ranking metrics
# ----------------------------------------------------------------------------


def _binary_scores(
    y_true: Any, scores: Any, both_classes: bool = True, name: str = "scores"
) -> tuple[np.ndarray, np.ndarray]:
    s = as_float_array(scores, name, ndim=1, shape_hint="(n,)")
    t = np.asarray(y_true)
    if t.shape != s.shape:
        raise ValueError(
            f"y_true and {name} must have the same length; got shapes {t.shape} and "
            f"{s.shape}"
        )
    t = check_labels(t, s.shape[0], n_classes=2, name="y_true")
    if both_classes and (t.min() == t.max()):
        raise ValueError(
            "y_true must contain both classes 0 and 1 for a ranking metric; got only "
            f"class {t[0]}"
        )
    return t, s


def _cumulative_counts(
    y_true: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and false positives when predicting "positive" for score >= each distinct
    threshold, thresholds in decreasing order."""
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y_true[order]
    last = np.r_[
        np.flatnonzero(np.diff(s)), len(s) - 1
    ]  # last index of each group of tied scores
    tps = np.cumsum(t)[last].astype(np.float64)
    fps = (last + 1) - tps
    return tps, fps, s[last]


def roc_curve(
    y_true: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic: false-positive rate FP/N against true-positive
    rate TP/P as the threshold falls through every distinct score.

    ``y_true``: (n,) in {0, 1} with both classes present; ``scores``: (n,). Returns
    ``fpr``, ``tpr`` and ``thresholds``, each of shape (m + 1,) for m distinct scores:
    the curve starts at (0, 0) with threshold +inf and ends at (1, 1). Tied scores form
    one point, so the curve joins them by a straight (diagonal) segment."""
    t, s = _binary_scores(y_true, scores)
    tps, fps, thr = _cumulative_counts(t, s)
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return fpr, tpr, np.r_[np.inf, thr]


def roc_auc(y_true: np.ndarray, scores: np.ndarray, method: str = "trapezoid") -> float:
    """Area under the ROC curve, equal to P(score of a random positive > score of a
    random
    negative) + 1/2 P(tie).

    ``method="trapezoid"`` integrates the curve of ``roc_curve`` by the trapezoid rule;
    ``method="rank"`` uses the Mann-Whitney form (R_+ - P(P+1)/2) / (P N), where R_+ is
    the sum
    of the (tie-averaged) ranks of the positives. The two agree to rounding. ``y_true``:
    (n,) in
    {0, 1} with both classes; ``scores``: (n,)."""
    check_choice(method, ("trapezoid", "rank"), "method")
    if method == "trapezoid":
        fpr, tpr, _ = roc_curve(y_true, scores)
        return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))
    from scipy.stats import rankdata

    t, s = _binary_scores(y_true, scores)
    n_pos = float(t.sum())
    n_neg = float(len(t) - n_pos)
    ranks = rankdata(s)  # average ranks for ties, 1-based
    return float((ranks[t == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def precision_recall_curve(
    y_true: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision TP/(TP+FP) and recall TP/P as the threshold falls through every
    distinct score.

    ``y_true``: (n,) in {0, 1} with at least one positive; ``scores``: (n,). Returns
    ``precision`` and ``recall`` of shape (m + 1,) and ``thresholds`` of shape (m,), in
    scikit-learn's order: thresholds *increasing*, point i for predicting positive when
    score >= thresholds[i], and a last point (recall 0, precision 1) that belongs to no
    threshold. Plot it with ``ax.step(recall, precision, where="post")``."""
    t, s = _binary_scores(y_true, scores, both_classes=False)
    if t.sum() == 0:
        raise ValueError(
            "y_true must contain at least one positive (1) for precision and recall; "
            "got none"
        )
    tps, fps, thr = _cumulative_counts(t, s)  # thresholds decreasing
    precision = np.r_[(tps / (tps + fps))[::-1], 1.0]
    recall = np.r_[(tps / tps[-1])[::-1], 0.0]
    return precision, recall, thr[::-1]


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """AP = sum_k (R_k - R_{k-1}) P_k over the thresholds in decreasing order: the
    precision at each threshold weighted by the recall it adds, a step-function area
    under the precision-recall curve without interpolation. ``y_true``: (n,) in {0, 1}
    with at least one positive; ``scores``: (n,)."""
    precision, recall, _ = precision_recall_curve(y_true, scores)  # recall falling
    return float(-np.sum(np.diff(recall) * precision[:-1]))


# --- regression
# -------------------------------------------------------------------------------


def _regression_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    hint = "(n,) or (n, n_out)"
    y_true = as_float_array(y_true, "y_true", ndim=(1, 2), shape_hint=hint)
    y_pred = as_float_array(y_pred, "y_pred", ndim=(1, 2), shape_hint=hint)
    check_same_shape(y_true, y_pred, "y_true", "y_pred")
    return y_true, y_pred


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """(1/(n d)) sum_{i,j} (y_pred_ij - y_true_ij)^2, the mean over every entry;
    ``y_true``, ``y_pred``: (n,) or (n, d). Unlike the loss ``nnbook.mse`` (sum over
    outputs, mean over the batch), it does not grow with the number of outputs d."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean((y_pred - y_true) ** 2))


def root_mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The square root of the mean squared error of each output, averaged over the
    outputs (as scikit-learn does): the typical size of an error, in the units of
    ``y_true``. ``y_true``, ``y_pred``: (n,) or (n, d)."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean(np.sqrt(np.mean((y_pred - y_true) ** 2, axis=0))))


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """(1/(n d)) sum_{i,j} |y_pred_ij - y_true_ij|, the mean over every entry;
    ``y_true``, ``y_pred``: (n,) or (n, d). The loss ``nnbook.mae`` sums over outputs
    instead."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_pred - y_true)))


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Coefficient of determination R^2 = 1 - SS_res / SS_tot,

    SS_res = sum_i (y_i - y_hat_i)^2,   SS_tot = sum_i (y_i - mean(y))^2,

    with y = ``y_true`` and y_hat = ``y_pred`` (the order matters: SS_tot is the
    variance of the *true* values). 1 for a perfect fit, 0 for predicting the mean,
    negative for anything worse. For (n, d) arrays the R^2 of each output is averaged.
    ``y_true``, ``y_pred``: (n,) or (n, d) with n >= 2; an output of ``y_true`` with
    zero variance makes R^2 undefined."""
    y, y_hat = _regression_pair(y_true, y_pred)
    if y.shape[0] < 2:
        raise ValueError(f"y_true must hold at least 2 samples; got {y.shape[0]}")
    ss_res = np.sum((y - y_hat) ** 2, axis=0)
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    if np.any(ss_tot == 0):
        raise ValueError(
            "r2_score is undefined when y_true is constant (SS_tot = 0); got a "
            "constant target"
        )
    return float(np.mean(1.0 - ss_res / ss_tot))


# --- calibration
# --------------------------------------------------------------------------------


def reliability_curve(
    y_true: np.ndarray, probs: np.ndarray, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reliability diagram data: split [0, 1] into ``n_bins`` equal bins of predicted
    probability and return, per bin, the mean predicted probability, the observed
    frequency of class 1 and the count (empty bins give NaN for the first two). A
    calibrated classifier has frequency = confidence. ``y_true``: (n,) in {0, 1};
    ``probs``: (n,) in [0, 1]."""
    t, p = _binary_scores(y_true, probs, both_classes=False, name="probs")
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"probs must lie in [0, 1]; got values from {p.min()} to {p.max()}"
        )
    n_bins = check_int(n_bins, "n_bins")
    b = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    counts = np.bincount(b, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(b, weights=p, minlength=n_bins) / counts
        frequency = (
            np.bincount(b, weights=t.astype(np.float64), minlength=n_bins) / counts
        )
    return confidence, frequency, counts.astype(np.int64)


def expected_calibration_error(
    y_true: np.ndarray, probs: np.ndarray, n_bins: int = 10
) -> float:
    """ECE = sum_b (n_b / n) |frequency_b - confidence_b| over the non-empty bins of
    ``reliability_curve``. ``y_true``: (n,) in {0, 1}; ``probs``: (n,) in [0, 1]."""
    confidence, frequency, counts = reliability_curve(y_true, probs, n_bins)
    keep = counts > 0
    return float(
        np.sum(counts[keep] * np.abs(frequency[keep] - confidence[keep])) / counts.sum()
    )
