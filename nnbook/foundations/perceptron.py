"""Rosenblatt's perceptron, its learning rule, and the quantities of Novikoff's
convergence theorem.

Derived in :doc:`/book/foundations/perceptron`.

Conventions: examples are rows, ``X``: (n, d); labels are ``y``: (n,) in {-1, +1}; a
linear
classifier is a weight vector ``w``: (d,) and a bias ``b`` (a float), with score
``w . x + b`` and prediction ``sign(w . x + b)``. An example is a *mistake* when
``y (w . x + b) <= 0``: a score of exactly zero counts as an error, which is what lets
the rule
start from ``w = 0`` and what the convergence proof needs.

* :func:`perceptron_update` is one step of the learning rule, a pure function;
* :class:`Perceptron` runs the rule epoch after epoch and records what it did;
* :func:`perceptron_margin` and :func:`mistake_bound` compute the margin ``gamma``, the
radius
  ``R`` and the bound ``(R / gamma)^2`` of the perceptron convergence theorem;
* :func:`batch_perceptron` is the vectorized variant that adds up every mistake of an
epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_float,
    check_int,
    check_positive,
    check_rng,
    check_type,
)

__all__ = [
    "perceptron_update",
    "perceptron_margin",
    "mistake_bound",
    "Perceptron",
    "batch_perceptron",
]


# --- validation
# ---------------------------------------------------------------------------------


def _check_X(X: Any, name: str = "X") -> np.ndarray:
    return as_float_array(X, name, ndim=2, shape_hint="(n, d)")


def _check_pm1(y: Any, n: int, dtype: np.dtype, name: str = "y") -> np.ndarray:
    """Labels of shape (n,) with every value -1 or +1, returned in ``dtype``."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"{name} must be a 1-D array of {n} labels in {{-1, +1}}; got shape "
            f"{arr.shape}"
        )
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must hold numeric labels in {{-1, +1}}; got dtype {arr.dtype}"
        )
    bad = ~np.isin(arr, (-1, 1))
    if bad.any():
        shown = np.unique(arr[bad])[:5]
        raise ValueError(
            f"{name} must hold labels in {{-1, +1}} (map 0/1 labels with 2 * y - 1); "
            f"got other values such as {shown.tolist()}"
        )
    return arr.astype(dtype)


def _check_w(w: Any, d: int, name: str = "w") -> np.ndarray:
    w = as_float_array(w, name, ndim=1, shape_hint="(d,)")
    if w.shape[0] != d:
        raise ValueError(
            f"{name} must have shape ({d},) to match X with {d} columns; got {w.shape}"
        )
    return w


# --- the pure functions
# -------------------------------------------------------------------------


def perceptron_update(
    w: np.ndarray, b: float, x: np.ndarray, y: float, lr: float = 1.0
) -> tuple[np.ndarray, float, bool]:
    """One step of Rosenblatt's rule on one example: if it is a mistake, move towards
    it.

    If ``y (w . x + b) <= 0`` (a mistake) return ``(w + lr * y * x, b + lr * y, True)``;
    otherwise return ``(w, b, False)`` unchanged. The inputs are not modified.

    ``w``: (d,) weights, ``b``: bias, ``x``: (d,) one example, ``y``: its label in {-1,
    +1},
    ``lr`` > 0 the step size (irrelevant when starting from zero: it only rescales ``w``
    and ``b``).

    The learning rule of :doc:`/book/foundations/perceptron`, where one update is also
    worked by hand.
    """
    w = as_float_array(w, "w", ndim=1, shape_hint="(d,)")
    x = as_float_array(x, "x", ndim=1, shape_hint="(d,)")
    if x.shape != w.shape:
        raise ValueError(f"x must have the shape of w, {w.shape}; got {x.shape}")
    if y not in (-1, 1):
        raise ValueError(f"y must be a label in {{-1, +1}}; got {y!r}")
    if not np.isfinite(b):
        raise ValueError(f"b must be finite; got {b!r}")
    lr = check_positive(lr, "lr")
    if y * (float(w @ x) + b) <= 0:
        return w + lr * y * x, float(b + lr * y), True
    return w.copy(), float(b), False


def perceptron_margin(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float = 0.0
) -> float:
    """Geometric margin of a labelled set under the hyperplane ``w . x + b = 0``:

        gamma = min_i y_i (w . x_i + b) / ||w||,

    the smallest signed distance of an example to the plane, positive exactly when the
    plane separates the classes (negative: some example is on the wrong side).

    ``X``: (n, d), ``y``: (n,) in {-1, +1}, ``w``: (d,) not zero, ``b``: the bias.
    Defined, with the signed distance it is built on, in
    :doc:`/book/foundations/perceptron`.
    """
    X = _check_X(X)
    y = _check_pm1(y, X.shape[0], X.dtype)
    w = _check_w(w, X.shape[1])
    norm = float(np.linalg.norm(w))
    if norm == 0.0:
        raise ValueError("w must not be the zero vector: it defines no hyperplane")
    b = check_float(b, "b")
    return float(np.min(y * (X @ w + b)) / norm)


def mistake_bound(
    X: np.ndarray, y: np.ndarray, w_star: np.ndarray, b_star: float | None = None
) -> float:
    """Novikoff's bound (R / gamma)^2 on the number of mistakes of the perceptron.

    Without ``b_star`` (a perceptron without bias): R = max_i ||x_i|| and gamma = min_i
    y_i (w* . x_i) / ||w*||, the margin of the separating direction ``w_star``.

    With ``b_star`` (a perceptron that learns a bias): the bias is absorbed as a weight
    on a constant feature 1, so R = max_i ||(x_i, 1)|| = sqrt(max_i ||x_i||^2 + 1) and
    gamma = min_i y_i (w* . x_i + b*) / ||(w*, b*)||.

    ``X``: (n, d), ``y``: (n,) in {-1, +1}, ``w_star``: (d,). Any separating ``w_star``
    gives a valid bound; the one of largest margin gives the smallest. Raises
    ``ValueError`` when ``w_star`` does not separate the data (gamma <= 0).

    The perceptron convergence theorem (Block 1962; Novikoff 1962) is proved in
    :doc:`/book/foundations/perceptron`.
    """
    X = _check_X(X)
    y = _check_pm1(y, X.shape[0], X.dtype)
    w_star = _check_w(w_star, X.shape[1], "w_star")
    if b_star is None:
        R2 = float(np.max(np.einsum("ij,ij->i", X, X)))
        gamma = perceptron_margin(X, y, w_star)
    else:
        Xa = np.c_[X, np.ones(X.shape[0], dtype=X.dtype)]
        wa = np.r_[w_star, b_star]
        R2 = float(np.max(np.einsum("ij,ij->i", Xa, Xa)))
        gamma = perceptron_margin(Xa, y, wa)
    if gamma <= 0:
        raise ValueError(
            "w_star must separate the data with a positive margin; got margin "
            f"{gamma:.3g}"
        )
    return R2 / gamma**2


# --- the learner
# ------------------------------------------------------------------------------


class Perceptron:
    """Rosenblatt's perceptron trained by the online rule, with a record of every epoch.

    Score ``w . x + b``; prediction +1 where the score is positive, -1 elsewhere.

    ``fit`` visits the examples one at a time in a random order per epoch (drawn from
    ``rng``) and applies :func:`perceptron_update` to each: on a mistake, ``y (w .
    x + b) <= 0``, ``w += lr * y * x`` and ``b += lr * y``. It stops after the first
    epoch without a mistake (``converged = True``) or after ``max_epochs`` epochs
    (``converged = False``).

    After ``fit``: ``w`` (d,), ``b``, ``converged``, ``n_epochs`` (epochs run),
    ``mistakes_per_epoch`` (n_epochs,), ``w_history`` (n_epochs + 1, d) and
    ``b_history`` (n_epochs + 1,): row 0 holds the initial zeros, row e the weights
    after epoch e. With ``record_updates=True`` also ``w_updates`` (k + 1, d) and
    ``b_updates`` (k + 1,): the weights after each of the k updates (row 0 the zeros),
    the sequence w_0, w_1, ..., w_k of the convergence proof.

    The algorithm, its geometry and its convergence are derived in
    :doc:`/book/foundations/perceptron`.
    """

    def __init__(
        self,
        lr: float = 1.0,
        max_epochs: int = 100,
        fit_intercept: bool = True,
        record_updates: bool = False,
    ) -> None:
        self.lr = check_positive(lr, "lr")
        self.max_epochs = check_int(max_epochs, "max_epochs")
        self.fit_intercept = check_type(fit_intercept, bool, "fit_intercept")
        self.record_updates = check_type(record_updates, bool, "record_updates")
        self.w: np.ndarray | None = None
        self.b: float = 0.0
        self.converged = False
        self.n_epochs = 0
        self.mistakes_per_epoch = np.zeros(0, dtype=np.int64)
        self.w_history = np.zeros((0, 0))
        self.b_history = np.zeros(0)
        self.w_updates: np.ndarray | None = None
        self.b_updates: np.ndarray | None = None

    def fit(
        self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator | None = None
    ) -> Perceptron:
        """Run the online perceptron rule on ``X``: (n, d) with labels ``y``: (n,) in
        {-1, +1}.

        ``rng`` shuffles the visiting order afresh every epoch; ``None`` visits the rows
        in
        their given order (useful for checking a run by hand).

        The rule is sequential by definition: each update changes the scores of the
        examples
        that follow. What *can* be vectorized is finding the next mistake, so instead of
        a
        Python loop over all n examples we compute the margins of the rest of the epoch
        in one
        matrix-vector product, jump to the first one <= 0, update, and repeat. That
        visits the
        same examples in the same order and makes the same updates as the one-at-a-time
        loop,
        with one Python iteration per *mistake* instead of per example.
        """
        X = _check_X(X)
        n, d = X.shape
        y = _check_pm1(y, n, X.dtype)
        if rng is not None:
            check_rng(rng)
        w = np.zeros(d, dtype=X.dtype)
        b = 0.0
        ws, bs, mistakes = [w.copy()], [b], []
        w_up, b_up = [w.copy()], [b]
        converged = False
        for _ in range(self.max_epochs):
            order = rng.permutation(n) if rng is not None else np.arange(n)
            count, pos = 0, 0
            while pos < n:
                rest = order[pos:]
                scores = y[rest] * (
                    X[rest] @ w + b
                )  # margins of the examples still to visit
                bad = np.flatnonzero(scores <= 0)
                if bad.size == 0:
                    break
                i = rest[bad[0]]  # the next example the online rule gets wrong
                w = w + self.lr * y[i] * X[i]
                if self.fit_intercept:
                    b = b + self.lr * float(y[i])
                count += 1
                pos += int(bad[0]) + 1
                if self.record_updates:
                    w_up.append(w.copy())
                    b_up.append(b)
            ws.append(w.copy())
            bs.append(b)
            mistakes.append(count)
            if count == 0:
                converged = True
                break
        self.w, self.b, self.converged = w, float(b), converged
        self.n_epochs = len(mistakes)
        self.mistakes_per_epoch = np.asarray(mistakes, dtype=np.int64)
        self.w_history = np.asarray(ws)
        self.b_history = np.asarray(bs, dtype=np.float64)
        if self.record_updates:
            self.w_updates = np.asarray(w_up)
            self.b_updates = np.asarray(b_up, dtype=np.float64)
        return self

    def _check_fitted(self, X: np.ndarray) -> np.ndarray:
        if self.w is None:
            raise ValueError(
                "this Perceptron is not fitted yet; call fit(X, y, rng) first"
            )
        X = _check_X(X)
        if X.shape[1] != self.w.shape[0]:
            raise ValueError(
                f"X must have {self.w.shape[0]} columns, as in fit; got {X.shape[1]}"
            )
        return X

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Scores ``X @ w + b``: (n,) for ``X``: (n, d). Divided by ||w|| they are
        signed distances."""
        X = self._check_fitted(X)
        return X @ self.w + self.b

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels in {-1, +1}: (n,) for ``X``: (n, d); +1 where the score is
        positive."""
        return np.where(self.decision_function(X) > 0, 1, -1)

    def total_mistakes(self) -> int:
        """All the updates ``fit`` made: the sum of ``mistakes_per_epoch``."""
        return int(self.mistakes_per_epoch.sum())


def batch_perceptron(
    X: np.ndarray,
    y: np.ndarray,
    lr: float = 1.0,
    max_epochs: int = 100,
    fit_intercept: bool = True,
) -> tuple[np.ndarray, float, np.ndarray]:
    """The batch perceptron: each epoch adds up the corrections of *all* current
    mistakes,

        w <- w + lr * sum_{i in M} y_i x_i,   b <- b + lr * sum_{i in M} y_i,
        M = {i : y_i (w . x_i + b) <= 0},

    which is gradient descent with step ``lr`` on the perceptron criterion
    sum_{i in M} -y_i (w . x_i + b). Fully vectorized: one matrix-vector product per
    epoch.

    ``X``: (n, d), ``y``: (n,) in {-1, +1}. Returns ``(w, b, mistakes)`` with ``w``:
    (d,) and
    ``mistakes``: (epochs run,) the size of M at each epoch; it stops at the first epoch
    with
    no mistake (whose count, 0, is the last entry) or after ``max_epochs``.
    Discussed in :doc:`/book/foundations/perceptron` (its exercise on the perceptron
    criterion).
    """
    X = _check_X(X)
    n, d = X.shape
    y = _check_pm1(y, n, X.dtype)
    lr = check_positive(lr, "lr")
    max_epochs = check_int(max_epochs, "max_epochs")
    check_type(fit_intercept, bool, "fit_intercept")
    w = np.zeros(d, dtype=X.dtype)
    b = 0.0
    mistakes = []
    for _ in range(int(max_epochs)):
        wrong = y * (X @ w + b) <= 0
        mistakes.append(int(wrong.sum()))
        if not wrong.any():
            break
        w = w + lr * (y[wrong] @ X[wrong])
        if fit_intercept:
            b = b + lr * float(y[wrong].sum())
    return w, float(b), np.asarray(mistakes, dtype=np.int64)
