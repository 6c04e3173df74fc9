"""Logistic and softmax regression: one neuron, then one layer of competing neurons.

The mathematics lives in pure functions (forward pass, loss, gradients, Hessian), each
with the formula the chapter derives; the two classes only keep the parameters, run
gradient descent in its batch, stochastic and mini-batch forms, and record the loss as
training goes.

Derived in :doc:`/book/mlp/logistic-regression` and :doc:`/book/mlp/softmax-regression`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_int,
    check_labels,
    check_positive,
    check_rng,
    check_type,
)
from ..nn.activations import sigmoid, softmax
from ..nn.losses import binary_cross_entropy, cross_entropy

__all__ = [
    "logistic_forward",
    "logistic_loss",
    "logistic_gradients",
    "logistic_hessian",
    "softmax_regression_forward",
    "softmax_regression_loss",
    "softmax_regression_gradients",
    "LogisticRegression",
    "SoftmaxRegression",
]

_MODES = ("batch", "sgd", "minibatch")


# --- validation
# ------------------------------------------------------------------------------


def _check_X(X: Any) -> np.ndarray:
    return as_float_array(X, "X", ndim=2, shape_hint="(batch, n_features)")


def _check_binary_targets(y: Any, n: int) -> np.ndarray:
    y = as_float_array(y, "y", ndim=1, shape_hint="(batch,)")
    if y.shape[0] != n:
        raise ValueError(
            f"y must hold one target per row of X ({n}); got shape {y.shape}"
        )
    if np.any((y < 0) | (y > 1)):
        raise ValueError(
            f"y must hold targets in [0, 1]; got values from {y.min()} to {y.max()}"
        )
    return y


def _check_w(w: Any, d: int) -> np.ndarray:
    w = as_float_array(w, "w", ndim=1, shape_hint="(n_features,)")
    if w.shape[0] != d:
        raise ValueError(
            f"w must have shape ({d},) to match the {d} columns of X; got {w.shape}"
        )
    return w


def _check_W(W: Any, d: int) -> np.ndarray:
    W = as_float_array(W, "W", ndim=2, shape_hint="(n_features, n_classes)")
    if W.shape[0] != d:
        raise ValueError(
            f"W must have {d} rows to match the {d} columns of X; got shape {W.shape}"
        )
    return W


def _check_b(b: Any, k: int | None, dtype: np.dtype) -> np.ndarray:
    """A scalar bias (k None) or one per class, in the dtype of X @ W (a 0-d float64 b
    would otherwise turn a float32 computation into float64)."""
    b = as_float_array(
        b, "b", ndim=0 if k is None else 1, shape_hint="()" if k is None else f"({k},)"
    )
    if k is not None and b.shape[0] != k:
        raise ValueError(f"b must have shape ({k},), one bias per class; got {b.shape}")
    return b.astype(dtype, copy=False)


def _check_l2(l2: float) -> float:
    return check_positive(l2, "l2", strict=False)


# --- logistic regression: the pure functions
# -------------------------------------------------


def logistic_forward(X: np.ndarray, w: np.ndarray, b: float | np.ndarray) -> np.ndarray:
    """The neuron's forward pass: y_hat = sigma(X w + b), the probability of class 1.

    ``X``: (batch, n_features); ``w``: (n_features,); ``b``: scalar. Returns (batch,).
    Derived in :doc:`/book/mlp/logistic-regression`.
    """
    X = _check_X(X)
    w = _check_w(w, X.shape[1])
    b = _check_b(b, None, np.result_type(X, w))
    return sigmoid(X @ w + b)


def logistic_loss(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float | np.ndarray, l2: float = 0.0
) -> float:
    """Mean binary cross-entropy of the neuron, plus an optional L2 penalty on the
    weights:

    L = (1/n) sum_i [softplus(z_i) - y_i z_i] + (l2 / 2) ||w||^2,   z = X w + b,

    which equals -(1/n) sum_i [y_i log y_hat_i + (1 - y_i) log(1 - y_hat_i)] + (l2/2)
    ||w||^2.
    ``X``: (batch, n_features); ``y``: (batch,) targets in [0, 1]; ``w``: (n_features,).
    Derived in :doc:`/book/mlp/logistic-regression`.
    """
    X = _check_X(X)
    y = _check_binary_targets(y, X.shape[0])
    w = _check_w(w, X.shape[1])
    b = _check_b(b, None, np.result_type(X, w))
    l2 = _check_l2(l2)
    return binary_cross_entropy(X @ w + b, y) + 0.5 * l2 * float(w @ w)


def _logistic_gradients(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: Any, l2: float
) -> tuple[np.ndarray, np.ndarray]:
    n = X.shape[0]
    z = X @ w + b  # logits, z = X w + b
    y_hat = sigmoid(z)  # probabilities, y_hat = sigma(z)
    delta = (y_hat - y) / n  # dL/dz_i = (y_hat_i - y_i) / n
    dw = X.T @ delta + l2 * w  # dL/dw = X^T (y_hat - y) / n + l2 w
    db = np.sum(delta)  # dL/db = mean(y_hat - y)
    return dw, db


def logistic_gradients(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float | np.ndarray, l2: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`logistic_loss` with respect to ``w`` and ``b``:

    dL/dw = X^T (sigma(X w + b) - y) / n + l2 w,     dL/db = (1/n) sum_i (sigma(z_i) -
    y_i).

    ``X``: (batch, n_features); ``y``: (batch,); ``w``: (n_features,). Returns ``(dw,
    db)`` with ``dw``: (n_features,) and ``db`` a 0-d array. Derived in
    :doc:`/book/mlp/logistic-regression`.
    """
    X = _check_X(X)
    y = _check_binary_targets(y, X.shape[0]).astype(X.dtype, copy=False)
    w = _check_w(w, X.shape[1])
    b = _check_b(b, None, np.result_type(X, w))
    return _logistic_gradients(X, y, w, b, _check_l2(l2))


def logistic_hessian(
    X: np.ndarray, w: np.ndarray, b: float | np.ndarray, l2: float = 0.0
) -> np.ndarray:
    """Hessian of :func:`logistic_loss` with respect to ``w``: H = X^T S X / n + l2 I
    with
    S = diag(y_hat_i (1 - y_hat_i)). It does not depend on the targets and is positive
    semi-definite, which is why the loss is convex. To include the bias, append a column
    of ones
    to ``X`` and the bias to ``w`` (and pass ``b = 0``).

    ``X``: (batch, n_features); ``w``: (n_features,). Returns (n_features, n_features).
    Derived in :doc:`/book/mlp/logistic-regression`.
    """
    X = _check_X(X)
    w = _check_w(w, X.shape[1])
    b = _check_b(b, None, np.result_type(X, w))
    l2 = _check_l2(l2)
    p = sigmoid(X @ w + b)
    s = p * (1.0 - p)
    return (X.T * s) @ X / X.shape[0] + l2 * np.eye(X.shape[1], dtype=X.dtype)


# --- softmax regression: the pure functions
# ---------------------------------------------------


def softmax_regression_forward(
    X: np.ndarray, W: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Class probabilities Y_hat = softmax(X W + b) row by row.

    ``X``: (batch, n_features); ``W``: (n_features, n_classes); ``b``: (n_classes,).
    Returns (batch, n_classes), each row summing to 1. Derived in
    :doc:`/book/mlp/softmax-regression`.
    """
    X = _check_X(X)
    W = _check_W(W, X.shape[1])
    b = _check_b(b, W.shape[1], np.result_type(X, W))
    return softmax(X @ W + b, axis=1)


def softmax_regression_loss(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray, l2: float = 0.0
) -> float:
    """Mean categorical cross-entropy plus an optional L2 penalty:

    L = (1/n) sum_i [logsumexp(z_i) - z_{i, y_i}] + (l2 / 2) ||W||_F^2,   Z = X W + b.

    ``X``: (batch, n_features); ``y``: (batch,) integer labels in [0, n_classes); ``W``:
    (n_features, n_classes); ``b``: (n_classes,). Derived in
    :doc:`/book/mlp/softmax-regression`.
    """
    X = _check_X(X)
    W = _check_W(W, X.shape[1])
    b = _check_b(b, W.shape[1], np.result_type(X, W))
    y = check_labels(y, X.shape[0], W.shape[1])
    l2 = _check_l2(l2)
    return cross_entropy(X @ W + b, y) + 0.5 * l2 * float(np.sum(W * W))


def _softmax_regression_gradients(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray, l2: float
) -> tuple[np.ndarray, np.ndarray]:
    n = X.shape[0]
    Z = X @ W + b  # logits, Z = X W + b
    Y_hat = softmax(Z, axis=1)  # probabilities, row-wise softmax
    Y_hat[np.arange(n), y] -= 1.0  # Y_hat - Y, Y the one-hot labels
    Delta = Y_hat / n  # dL/dZ = (Y_hat - Y) / n
    dW = X.T @ Delta + l2 * W  # dL/dW = X^T (Y_hat - Y) / n + l2 W
    db = Delta.sum(axis=0)  # dL/db = column means of (Y_hat - Y)
    return dW, db


def softmax_regression_gradients(
    X: np.ndarray, y: np.ndarray, W: np.ndarray, b: np.ndarray, l2: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`softmax_regression_loss`:

    dL/dW = X^T (Y_hat - Y) / n + l2 W,   dL/db = (1/n) sum_i (Y_hat_i - Y_i),

    with Y_hat = softmax(X W + b) and Y the one-hot code of ``y``. ``X``: (batch,
    n_features); ``y``: (batch,); ``W``: (n_features, n_classes); ``b``: (n_classes,).
    Returns ``(dW, db)`` of the shapes of ``W`` and ``b``. Derived in
    :doc:`/book/mlp/softmax-regression`.
    """
    X = _check_X(X)
    W = _check_W(W, X.shape[1])
    b = _check_b(b, W.shape[1], np.result_type(X, W))
    y = check_labels(y, X.shape[0], W.shape[1])
    return _softmax_regression_gradients(X, y, W, b, _check_l2(l2))


# --- the models: parameters and the training loop
# ---------------------------------------------


class _LinearClassifier:
    """Shared bookkeeping: parameter storage, the gradient-descent loop and its
    history."""

    def __init__(self, l2: float = 0.0) -> None:
        self.l2 = _check_l2(l2)
        self.W: np.ndarray | None = None
        self.b: np.ndarray | None = None
        self.history: dict[str, list[float]] = {}

    # subclasses provide these four
    def _init_params(self, X: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def _check_targets(self, X: np.ndarray, y: Any) -> np.ndarray:
        raise NotImplementedError

    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    def _grads(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _params(self) -> tuple[np.ndarray, np.ndarray]:
        """The fitted (W, b); a clear error before ``fit``."""
        if self.W is None or self.b is None:
            raise ValueError(
                f"{type(self).__name__} must be fitted before it can predict; call "
                "fit(X, y) first"
            )
        return self.W, self.b

    def _check_predict_X(self, X: Any) -> np.ndarray:
        W, _ = self._params()
        X = _check_X(X)
        if X.shape[1] != W.shape[0]:
            raise ValueError(
                f"X must have {W.shape[0]} columns, as in training; got {X.shape[1]}"
            )
        return X

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        lr: float = 0.1,
        epochs: int = 100,
        mode: str = "batch",
        batch_size: int = 32,
        rng: np.random.Generator | None = None,
        record_steps: bool = False,
    ):  # returns self (the subclass), see the docstring
        """Gradient descent from zero weights; see the subclass for the loss.

        ``mode``: ``"batch"`` (one step per epoch on all n examples), ``"sgd"`` (n steps
        per epoch, one example each) or ``"minibatch"`` (steps on ``batch_size``
        examples); the stochastic modes visit the data in a fresh order each epoch drawn
        from ``rng``.

        Records in ``self.history``: ``"epoch"``, ``"seen"`` (examples seen) and
        ``"loss"`` (full training loss) at the start and after every epoch; with
        ``record_steps=True`` also ``"step_seen"`` and ``"step_loss"`` after every
        update (costs a full loss per step). Returns ``self``.
        """
        X = _check_X(X)
        y = self._check_targets(X, y)
        lr = check_positive(lr, "lr")
        epochs = check_int(epochs, "epochs", minimum=0)
        check_type(mode, str, "mode")
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}; got {mode!r}")
        size = check_int(batch_size, "batch_size")
        check_type(record_steps, bool, "record_steps")
        n = X.shape[0]
        size = {"batch": n, "sgd": 1}.get(mode, size)
        if mode != "batch" and rng is None:
            raise ValueError(
                f"rng is required for mode={mode!r} (np.random.default_rng(seed))"
            )
        gen = check_rng(rng) if rng is not None else None
        self._init_params(X, y)
        seen = 0
        loss0 = self._loss(X, y)
        self.history = {"epoch": [0], "seen": [0], "loss": [loss0]}
        if record_steps:
            self.history["step_seen"] = [0]
            self.history["step_loss"] = [loss0]
        W, b = self._params()
        for epoch in range(1, epochs + 1):
            order = np.arange(n) if gen is None else gen.permutation(n)
            for start in range(0, n, size):
                idx = order[start : start + size]
                dW, db = self._grads(X[idx], y[idx])
                W -= lr * dW  # the update: theta <- theta - lr * gradient
                b -= lr * db
                seen += idx.shape[0]
                if record_steps:
                    self.history["step_seen"].append(seen)
                    self.history["step_loss"].append(self._loss(X, y))
            self.history["epoch"].append(epoch)
            self.history["seen"].append(seen)
            self.history["loss"].append(self._loss(X, y))
        return self

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy: the fraction of rows of ``X`` (batch, n_features) whose predicted
        class equals ``y`` (batch,)."""
        X = self._check_predict_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"y must have shape ({X.shape[0]},) to match X; got {y.shape}"
            )
        return float(np.mean(self.predict(X) == y))

    def predict(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError


class LogisticRegression(_LinearClassifier):
    """Binary logistic regression: p(y = 1 | x) = sigma(w . x + b), trained by gradient
    descent on the mean binary cross-entropy plus ``(l2 / 2) ||w||^2``.

    After ``fit(X, y)`` with ``X``: (n, d) and ``y``: (n,) in {0, 1} (or soft targets in
    [0, 1]), the weights are ``W``: (d,) and ``b``: a 0-d array. Derived in
    :doc:`/book/mlp/logistic-regression`.
    """

    # the shared training loop, listed here so that it documents with the class
    fit = _LinearClassifier.fit
    score = _LinearClassifier.score

    def _init_params(self, X: np.ndarray, y: np.ndarray) -> None:
        self.W = np.zeros(X.shape[1], dtype=X.dtype)
        self.b = np.zeros((), dtype=X.dtype)

    def _check_targets(self, X: np.ndarray, y: Any) -> np.ndarray:
        return _check_binary_targets(y, X.shape[0]).astype(X.dtype, copy=False)

    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        W, b = self._params()
        return binary_cross_entropy(X @ W + b, y) + 0.5 * self.l2 * float(W @ W)

    def _grads(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W, b = self._params()
        return _logistic_gradients(X, y, W, b, self.l2)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits z = X w + b, shape (batch,); the decision boundary is z = 0."""
        X = self._check_predict_X(X)
        W, b = self._params()
        return X @ W + b

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """sigma(X w + b): the probability of class 1 for each row of ``X``; shape
        (batch,)."""
        return sigmoid(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class 1 where sigma(z) >= 1/2, i.e. where z = X w + b >= 0; shape (batch,)
        int64."""
        return (self.decision_function(X) >= 0).astype(np.int64)


class SoftmaxRegression(_LinearClassifier):
    """Multinomial logistic (softmax) regression: p(y = k | x) = softmax(x W + b)_k,
    trained by gradient descent on the mean cross-entropy plus ``(l2 / 2) ||W||_F^2``.

    ``n_classes`` is taken from the largest label seen in ``fit`` unless given. After
    ``fit(X, y)`` with ``X``: (n, d), ``y``: (n,) integers, ``W``: (d, n_classes) and
    ``b``: (n_classes,). Derived in :doc:`/book/mlp/softmax-regression`.
    """

    def __init__(self, n_classes: int | None = None, l2: float = 0.0) -> None:
        super().__init__(l2)
        self.n_classes = (
            None if n_classes is None else check_int(n_classes, "n_classes", minimum=2)
        )

    fit = _LinearClassifier.fit
    score = _LinearClassifier.score

    def _init_params(self, X: np.ndarray, y: np.ndarray) -> None:
        k = self.n_classes if self.n_classes is not None else max(int(y.max()) + 1, 2)
        self.W = np.zeros((X.shape[1], k), dtype=X.dtype)
        self.b = np.zeros(k, dtype=X.dtype)

    def _check_targets(self, X: np.ndarray, y: Any) -> np.ndarray:
        return check_labels(y, X.shape[0], self.n_classes)

    def _loss(self, X: np.ndarray, y: np.ndarray) -> float:
        W, b = self._params()
        return cross_entropy(X @ W + b, y) + 0.5 * self.l2 * float(np.sum(W * W))

    def _grads(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W, b = self._params()
        return _softmax_regression_gradients(X, y, W, b, self.l2)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits Z = X W + b, shape (batch, n_classes)."""
        X = self._check_predict_X(X)
        W, b = self._params()
        return X @ W + b

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """softmax(X W + b) row by row: shape (batch, n_classes), rows sum to 1."""
        return softmax(self.decision_function(X), axis=1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The most probable class, argmax_k z_k, for each row; shape (batch,) int64."""
        return np.argmax(self.decision_function(X), axis=1).astype(np.int64)
