"""Model selection: k-fold splits, cross-validation, grid search and random search.

Derived in :doc:`/book/training/evaluation`. Every search takes a ``fit_and_score``
function

    fit_and_score(params, X_train, y_train, X_val, y_val) -> float

that trains a model with the hyperparameters ``params`` (a dict) on the training part
and returns its score on the validation part, *larger is better* (return minus a loss).
The searches evaluate it on a held-out validation set (``X_val``, ``y_val``) or, with
``k``, by k-fold cross-validation on ``X``, ``y`` with the same folds for every trial,
so trials are compared on equal terms. They return every trial, best first.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    check_callable,
    check_float,
    check_int,
    check_labels,
    check_rng,
    check_type,
)

__all__ = [
    "kfold_indices",
    "cross_validate",
    "grid_search",
    "random_search",
    "log_uniform_sampler",
    "uniform_sampler",
]


def kfold_indices(
    n: int, k: int, rng: np.random.Generator, stratify_labels: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split ``range(n)`` at random into ``k`` folds and return ``k`` pairs
    ``(train_idx, val_idx)``: fold j is the validation part of pair j, the other folds
    its
    training part. Every index is in exactly one validation fold; fold sizes differ by
    at most 1.

    With ``stratify_labels`` (shape (n,), integer classes) the examples of each class
    are dealt
    round-robin to the folds, so each fold's class counts differ from n_c / k by less
    than 1:
    every fold has (almost) the class proportions of the whole set."""
    check_rng(rng)
    n = check_int(n, "n", minimum=2)
    k = check_int(k, "k", minimum=2)
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and n={n}; got {k}")
    order = rng.permutation(n)
    if stratify_labels is not None:
        labels = check_labels(stratify_labels, n, name="stratify_labels")
        order = order[
            np.argsort(labels[order], kind="stable")
        ]  # classes in blocks, shuffled within
    fold = np.empty(n, dtype=np.int64)
    fold[order] = (
        np.arange(n) % k
    )  # deal the (class-sorted) shuffled indices to folds in turn
    return [(np.flatnonzero(fold != j), np.flatnonzero(fold == j)) for j in range(k)]


def _check_xy(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim < 1 or X.shape[0] == 0:
        raise ValueError(
            "X must be a non-empty array with examples along axis 0; got shape "
            f"{X.shape}"
        )
    if y.ndim < 1 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must have one entry per row of X ({X.shape[0]}); got shape {y.shape}"
        )
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError("X must be finite; got NaN or infinite values")
    return X, y


def _score(value: Any) -> float:
    s = float(value)
    if math.isnan(s):
        raise ValueError(
            "fit_and_score returned NaN; it must return a number (larger is better)"
        )
    return s


def _check_folds(folds: Any, n: int) -> None:
    if not isinstance(folds, (list, tuple)) or not folds:
        raise ArgumentTypeError(
            "folds must be a non-empty list of (train_idx, val_idx) pairs; "
            f"got {type(folds).__name__}"
        )
    for pair in folds:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ArgumentTypeError(
                f"folds must hold (train_idx, val_idx) pairs; got {pair!r}"
            )
        for idx in pair:
            a = np.asarray(idx)
            if a.dtype.kind not in "iu" or a.ndim != 1 or a.size == 0:
                raise ValueError(
                    "folds must hold non-empty 1-D integer index arrays; got "
                    f"dtype {a.dtype} and shape {a.shape}"
                )
            if a.min() < 0 or a.max() >= n:
                raise ValueError(f"folds must index rows 0..{n - 1} of X")


def cross_validate(
    fit_and_score: Callable[..., float],
    X: np.ndarray,
    y: np.ndarray,
    k: int,
    rng: np.random.Generator,
    params: Mapping[str, Any] | None = None,
    stratify: bool = False,
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, Any]:
    """k-fold cross-validation of one setting ``params``: train on k - 1 folds, score on
    the held-out fold, k times. ``X``: (n, ...), ``y``: (n, ...). With ``stratify`` the
    folds keep the class proportions of the integer labels ``y``; ``folds`` (from
    ``kfold_indices``) overrides the split. Returns ``{"scores": (k,) array, "mean":
    float, "std": float}``, the standard deviation over folds (ddof = 1)."""
    X, y = _check_xy(X, y)
    check_callable(fit_and_score, "fit_and_score")
    check_type(stratify, bool, "stratify")
    if params is not None:
        check_type(params, Mapping, "params")
    if folds is None:
        folds = kfold_indices(X.shape[0], k, rng, y if stratify else None)
    else:
        _check_folds(folds, X.shape[0])
    p = dict(params or {})
    scores = np.array(
        [_score(fit_and_score(p, X[tr], y[tr], X[va], y[va])) for tr, va in folds]
    )
    return {
        "scores": scores,
        "mean": float(scores.mean()),
        "std": float(scores.std(ddof=1)) if len(scores) > 1 else 0.0,
    }


def _evaluate(
    fit_and_score: Callable[..., float],
    settings: list[dict[str, Any]],
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray | None,
    y_val: np.ndarray | None,
    k: int | None,
    rng: np.random.Generator | None,
    stratify: bool,
) -> list[dict[str, Any]]:
    X, y = _check_xy(X, y)
    if (X_val is None) == (k is None):
        raise ValueError(
            "give either a validation set (X_val, y_val) or a number of folds k, not "
            "both or neither"
        )
    trials = []
    if k is None:
        if y_val is None:
            raise ValueError("y_val must be given with X_val")
        X_val, y_val = _check_xy(X_val, y_val)
        for i, p in enumerate(settings):
            s = _score(fit_and_score(dict(p), X, y, X_val, y_val))
            trials.append(
                {"params": dict(p), "score": s, "scores": np.array([s]), "trial": i}
            )
    else:
        if rng is None:
            raise ValueError(
                "rng must be given for k-fold cross-validation "
                "(np.random.default_rng(seed))"
            )
        folds = kfold_indices(
            X.shape[0], k, rng, y if stratify else None
        )  # the same folds for every trial
        for i, p in enumerate(settings):
            cv = cross_validate(fit_and_score, X, y, k, rng, p, folds=folds)
            trials.append(
                {
                    "params": dict(p),
                    "score": cv["mean"],
                    "scores": cv["scores"],
                    "trial": i,
                }
            )
    return sorted(
        trials, key=lambda t: -t["score"]
    )  # stable: ties keep the trial order


def grid_search(
    fit_and_score: Callable[..., float],
    grid: Mapping[str, Sequence[Any]],
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    k: int | None = None,
    rng: np.random.Generator | None = None,
    stratify: bool = False,
) -> list[dict[str, Any]]:
    """Score every combination of the values in ``grid`` (a dict name -> list of values;
    the number of trials is the product of the list lengths) on ``(X_val, y_val)``, or
    by k-fold cross-validation on ``(X, y)`` when ``k`` (and ``rng``) are given.

    Returns one dict per trial, ``{"params", "score", "scores", "trial"}``, sorted by
    ``score``, best (largest) first; ``scores`` holds the per-fold scores."""
    if not grid or any(len(v) == 0 for v in grid.values()):
        raise ValueError(
            "grid must map each hyperparameter to a non-empty list of values; got "
            f"{dict(grid)}"
        )
    names = list(grid)
    settings = [
        dict(zip(names, combo))
        for combo in itertools.product(*(grid[n] for n in names))
    ]
    return _evaluate(fit_and_score, settings, X, y, X_val, y_val, k, rng, stratify)


def random_search(
    fit_and_score: Callable[..., float],
    distributions: Mapping[str, Any],
    n_iter: int,
    rng: np.random.Generator,
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    k: int | None = None,
    stratify: bool = False,
) -> list[dict[str, Any]]:
    """Score ``n_iter`` settings drawn independently at random (Bergstra and Bengio,
    2012).

    ``distributions`` maps each hyperparameter to a sampler ``f(rng) -> value`` (see
    ``log_uniform_sampler``, ``uniform_sampler``) or to a list of values drawn
    uniformly. All settings are drawn
    first from ``rng``, then evaluated as in ``grid_search``; returns every trial, best
    first."""
    check_rng(rng)
    if int(n_iter) < 1:
        raise ValueError(f"n_iter must be a positive integer; got {n_iter}")
    if not distributions:
        raise ValueError(
            "distributions must name at least one hyperparameter; got none"
        )
    for name, d in distributions.items():
        if not callable(d) and (not isinstance(d, Sequence) or len(d) == 0):
            raise ValueError(
                f"distributions[{name!r}] must be a sampler f(rng) or a non-empty "
                f"list; got {d!r}"
            )
    settings = [
        {
            name: (d(rng) if callable(d) else d[int(rng.integers(len(d)))])
            for name, d in distributions.items()
        }
        for _ in range(int(n_iter))
    ]
    return _evaluate(
        fit_and_score,
        settings,
        X,
        y,
        X_val,
        y_val,
        k,
        rng if k is not None else None,
        stratify,
    )


def log_uniform_sampler(
    low: float, high: float
) -> Callable[[np.random.Generator], float]:
    """A sampler of exp(U(log low, log high)): every decade between ``low`` > 0 and
    ``high`` is equally likely, the usual prior for a learning rate or a regularisation
    strength."""
    low, high = check_float(low, "low"), check_float(high, "high")
    if not (0 < low < high and math.isfinite(high)):
        raise ValueError(
            f"log_uniform_sampler needs 0 < low < high < inf; got low={low}, "
            f"high={high}"
        )
    a, b = math.log(low), math.log(high)
    return lambda rng: float(math.exp(rng.uniform(a, b)))


def uniform_sampler(low: float, high: float) -> Callable[[np.random.Generator], float]:
    """A sampler of U(low, high)."""
    low, high = check_float(low, "low"), check_float(high, "high")
    if not (low < high and math.isfinite(high - low)):
        raise ValueError(
            f"uniform_sampler needs finite low < high; got low={low}, high={high}"
        )
    return lambda rng: float(rng.uniform(low, high))
