"""Ranking metrics for retrieval and recommendation: DCG/NDCG, mean average precision
and mean reciprocal rank. Derived in :doc:`/book/practice/task-metrics`.

Every function takes ``y_true`` and ``y_score`` of shape (n_queries, n_items): the true
relevance of each item for each query (graded for NDCG, binary for MAP and MRR) and the
scores a model gave them, larger meaning "rank higher". Ranks are computed per row by
sorting, in one vectorized pass over all queries. Tied scores form one group whose items
share the group's positions, as in scikit-learn: NDCG gives each item of a group the
group's mean gain, AP treats a group as one threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_float_array, check_int

__all__ = [
    "dcg_score", "ndcg", "mean_average_precision", "mean_reciprocal_rank",
]


def _pair(y_true: Any, y_score: Any, binary: bool = False
          ) -> tuple[np.ndarray, np.ndarray]:
    t = as_float_array(y_true, "y_true", ndim=2, shape_hint="(n_queries, n_items)")
    s = as_float_array(y_score, "y_score", ndim=2, shape_hint="(n_queries, n_items)")
    if t.shape != s.shape:
        raise ValueError(f"y_true and y_score must have the same shape; got {t.shape} "
                         f"and {s.shape}")
    if binary and not np.isin(t, (0.0, 1.0)).all():
        raise ValueError("y_true must hold binary relevance (0 or 1)")
    if not binary and t.min() < 0:
        raise ValueError(f"y_true must hold non-negative relevance; got {t.min()}")
    return t, s


def _groups(t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort each row by decreasing score; return the sorted relevance, the flat index
    (row * n + tie-group) of every sorted position, and the row index."""
    m, n = s.shape
    order = np.argsort(-s, axis=1, kind="stable")
    s_sorted = np.take_along_axis(s, order, axis=1)
    r_sorted = np.take_along_axis(t, order, axis=1)
    new = np.ones((m, n), dtype=np.int64)
    new[:, 1:] = s_sorted[:, 1:] != s_sorted[:, :-1]
    gid = np.cumsum(new, axis=1) - 1                   # tie group of each position
    flat = (np.arange(m)[:, None] * n + gid).ravel()
    return r_sorted, flat, np.arange(m)


def _discount(n: int, k: int | None) -> np.ndarray:
    """1 / log2(i + 1) for positions i = 1..n, zero past k."""
    d = 1.0 / np.log2(np.arange(2, n + 2))
    if k is not None:
        d[check_int(k, "k"):] = 0.0
    return d


def dcg_score(y_true: np.ndarray, y_score: np.ndarray, k: int | None = None,
              gain: str = "linear") -> np.ndarray:
    """Discounted cumulative gain per query (Jarvelin and Kekalainen, 2002):

        DCG@k = sum_{i=1}^{k} g(rel_(i)) / log2(i + 1),

    rel_(i) the relevance of the item ranked i-th by ``y_score``; g(r) = r ("linear",
    scikit-learn's choice) or 2^r - 1 ("exponential"). Tied scores share their
    positions' discounts equally. (m, n), (m, n) -> (m,).
    """
    t, s = _pair(y_true, y_score)
    if gain not in ("linear", "exponential"):
        raise ValueError(f"gain must be 'linear' or 'exponential'; got {gain!r}")
    g = t if gain == "linear" else np.expm1(t * np.log(2.0))
    m, n = s.shape
    r_sorted, flat, _ = _groups(g, s)
    disc = np.tile(_discount(n, k), m)
    size = m * n
    rel_sum = np.bincount(flat, weights=r_sorted.ravel(), minlength=size)
    count = np.bincount(flat, minlength=size)
    disc_sum = np.bincount(flat, weights=disc, minlength=size)
    mean_gain = np.divide(rel_sum, count, out=np.zeros(size), where=count > 0)
    return np.asarray((mean_gain * disc_sum).reshape(m, n).sum(axis=1))


def ndcg(y_true: np.ndarray, y_score: np.ndarray, k: int | None = None,
         gain: str = "linear") -> float:
    """Normalized DCG, averaged over queries: NDCG@k = DCG@k / IDCG@k, where IDCG is the
    DCG of the ideal ranking (items sorted by true relevance). A query with no relevant
    item scores 0 (scikit-learn's convention). With linear gain this equals
    ``sklearn.metrics.ndcg_score``. Returns a float in [0, 1]."""
    t, s = _pair(y_true, y_score)
    dcg = dcg_score(t, s, k, gain)
    ideal = dcg_score(t, t, k, gain)
    out = np.divide(dcg, ideal, out=np.zeros_like(dcg), where=ideal > 0)
    return float(out.mean())


def mean_average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """MAP: the mean over queries of average precision,

        AP = (1 / R) sum over relevant items of precision at their rank
           = sum_k (R_k - R_{k-1}) P_k over the score thresholds,

    R the number of relevant items. A tie group is one threshold (as in
    ``sklearn.metrics.average_precision_score``). Queries without relevant items are
    skipped; there must be at least one with. ``y_true`` binary, (m, n)."""
    t, s = _pair(y_true, y_score, binary=True)
    m, n = s.shape
    R = t.sum(axis=1)
    if not (R > 0).any():
        raise ValueError("y_true must have at least one query with a relevant item")
    r_sorted, flat, _ = _groups(t, s)
    size = m * n
    tp = np.bincount(flat, weights=r_sorted.ravel(), minlength=size).reshape(m, n)
    cnt = np.bincount(flat, minlength=size).reshape(m, n)
    cum_tp, cum_cnt = np.cumsum(tp, axis=1), np.cumsum(cnt, axis=1)
    precision = np.divide(cum_tp, cum_cnt, out=np.zeros((m, n)), where=cum_cnt > 0)
    ap = (tp * precision).sum(axis=1)
    keep = R > 0
    return float(np.mean(ap[keep] / R[keep]))


def mean_reciprocal_rank(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """MRR (Voorhees, 1999): the mean over queries of 1 / rank of the first relevant
    item. The rank of a relevant item is 1 + the number of *irrelevant* items scored at
    least as high (ties with irrelevant items count against the ranking). A query
    without relevant items contributes 0. ``y_true`` binary, (m, n)."""
    t, s = _pair(y_true, y_score, binary=True)
    rel = t > 0
    best = np.where(rel, s, -np.inf).max(axis=1)               # best relevant score
    ahead = np.sum(~rel & (s >= best[:, None]), axis=1)         # irrelevant at or above
    rr = np.where(rel.any(axis=1), 1.0 / (1.0 + ahead), 0.0)
    return float(rr.mean())
