"""Loss functions, each the mean over a batch, and their gradients.

Convention: ``loss(y_hat, y) -> float`` averages over the batch (the first axis);
``loss_backward(y_hat, y) -> dL/dy_hat`` has the shape of ``y_hat`` and already includes
the ``1/batch`` factor, so a model's backward pass starts from it directly. The
cross-entropies take *logits* (pre-activation scores), never probabilities, because the
fused form is both exact and stable: the gradient of softmax followed by cross-entropy
is simply ``softmax(z) - onehot(y)``.

Derived in :doc:`/book/mlp/loss-functions`, :doc:`/book/mlp/logistic-regression` and
:doc:`/book/mlp/softmax-regression`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_labels,
    check_positive,
    check_same_shape,
)
from .activations import sigmoid, softmax

__all__ = [
    "mse",
    "mse_backward",
    "mae",
    "mae_backward",
    "huber",
    "huber_backward",
    "binary_cross_entropy",
    "binary_cross_entropy_backward",
    "cross_entropy",
    "cross_entropy_backward",
    "Loss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "MSELoss",
    "MAELoss",
    "HuberLoss",
]


def _pair(y_hat: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_hat = as_float_array(
        y_hat, "y_hat", ndim=(1, 2), shape_hint="(batch,) or (batch, n_out)"
    )
    y = as_float_array(y, "y", ndim=(1, 2), shape_hint="(batch,) or (batch, n_out)")
    check_same_shape(y_hat, y, "y_hat", "y")
    return y_hat, y


# --- regression
# -------------------------------------------------------------------------------


def mse(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error: (1/n) sum_i ||y_hat_i - y_i||^2 (summed over outputs,
    averaged over
    the batch). ``y_hat``, ``y``: (batch,) or (batch, n_out)."""
    y_hat, y = _pair(y_hat, y)
    r = y_hat - y
    return float(np.sum(r * r) / y.shape[0])


def mse_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dMSE/dy_hat = 2 (y_hat - y) / n."""
    y_hat, y = _pair(y_hat, y)
    return 2.0 * (y_hat - y) / y.shape[0]


def mae(y_hat: np.ndarray, y: np.ndarray) -> float:
    """Mean absolute error: (1/n) sum_i |y_hat_i - y_i|_1."""
    y_hat, y = _pair(y_hat, y)
    return float(np.sum(np.abs(y_hat - y)) / y.shape[0])


def mae_backward(y_hat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sign(y_hat - y) / n (the subgradient 0 where they are equal)."""
    y_hat, y = _pair(y_hat, y)
    return np.sign(y_hat - y) / y.shape[0]


def huber(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0) -> float:
    """Huber loss (Huber, 1964): r^2 / 2 for |r| <= delta, delta (|r| - delta/2) beyond,
    r = y_hat - y; quadratic near zero, linear in the tails, so outliers pull with
    bounded force."""
    y_hat, y = _pair(y_hat, y)
    delta = check_positive(delta, "delta")
    a = np.abs(y_hat - y)
    return float(
        np.sum(np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta)))
        / y.shape[0]
    )


def huber_backward(y_hat: np.ndarray, y: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """clip(y_hat - y, -delta, delta) / n."""
    y_hat, y = _pair(y_hat, y)
    delta = check_positive(delta, "delta")
    return np.clip(y_hat - y, -delta, delta) / y.shape[0]


# --- classification from logits
# ------------------------------------------------------------------


def _binary(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = as_float_array(z, "z", ndim=(1, 2), shape_hint="(batch,) or (batch, 1)")
    y = as_float_array(y, "y", ndim=(1, 2), shape_hint="(batch,) or (batch, 1)")
    check_same_shape(z, y, "z", "y")
    if np.any((y < 0) | (y > 1)):
        raise ValueError(
            f"y must hold targets in [0, 1]; got values from {y.min()} to {y.max()}"
        )
    return z, y


def binary_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy of targets ``y`` in [0, 1] under p = sigma(z), from
    logits ``z``:

    -(1/n) sum [y log sigma(z) + (1 - y) log(1 - sigma(z))] = (1/n) sum [softplus(z) - y
    z],

    the right-hand form being exact and free of log(0). ``z``, ``y``: (batch,) or
    (batch, 1).
    """
    z, y = _binary(z, y)
    return float(np.sum(np.logaddexp(0.0, z) - y * z) / z.shape[0])


def binary_cross_entropy_backward(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d/dz of the mean binary cross-entropy: (sigma(z) - y) / n."""
    z, y = _binary(z, y)
    return (sigmoid(z) - y) / z.shape[0]


def _categorical(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = as_float_array(z, "z", ndim=2, shape_hint="(batch, n_classes)", finite=False)
    if not np.isfinite(
        np.sum(z)
    ):  # one reduction instead of an elementwise temporary; a NaN or inf
        as_float_array(
            z, "z"
        )  # makes the sum non-finite, and this call then names the bad values
    y = check_labels(y, z.shape[0], z.shape[1])
    return z, y


def cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    """Mean categorical cross-entropy of integer labels ``y`` under softmax(z), from
    logits:

    -(1/n) sum_i log softmax(z_i)[y_i] = (1/n) sum_i (logsumexp(z_i) - z_i[y_i]).

    ``z``: (batch, n_classes); ``y``: (batch,) integers in [0, n_classes).
    """
    z, y = _categorical(z, y)
    e = z - np.max(z, axis=1, keepdims=True)  # shifted logits z_ij - m_i <= 0
    picked = e[
        np.arange(z.shape[0]), y
    ]  # z_{i,y_i} - m_i: the large m_i cancels exactly
    np.exp(e, out=e)
    return float(
        np.sum(np.log(np.sum(e, axis=1)) - picked) / z.shape[0]
    )  # LSE(z_i) - z_{i,y_i}


def cross_entropy_backward(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(softmax(z) - onehot(y)) / n, shape (batch, n_classes)."""
    z, y = _categorical(z, y)
    grad = softmax(z, axis=1)
    grad[np.arange(z.shape[0]), y] -= 1.0
    grad /= z.shape[0]
    return grad


# --- losses for the training loop
# ----------------------------------------------------------


class Loss:
    """A loss as the training loop uses it: ``loss(outputs, targets) -> (value,
    dL/doutputs)``.

    It pairs a loss function of this module with its backward twin, so that both are
    computed from the same arguments. ``correct(outputs, targets)`` counts the correct
    predictions of a batch (NaN for a regression loss), which gives
    :func:`nnbook.train.fit` its accuracy. Any function with the same call signature can
    stand in for a ``Loss``. Introduced in :doc:`/book/mlp/multilayer-perceptron`.
    """

    def __init__(
        self, value: Callable[..., float], grad: Callable[..., np.ndarray]
    ) -> None:
        self.value, self.grad = value, grad

    def _targets(self, outputs: np.ndarray, targets: Any) -> Any:
        return targets

    def __call__(self, outputs: np.ndarray, targets: Any) -> tuple[float, np.ndarray]:
        t = self._targets(outputs, targets)
        return self.value(outputs, t), self.grad(outputs, t)

    def correct(self, outputs: np.ndarray, targets: Any) -> float:
        """Number of correct predictions in the batch; NaN when it has no meaning."""
        return math.nan

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits (batch, n_classes) and integer labels (batch,):
    :func:`cross_entropy` and :func:`cross_entropy_backward`."""

    def __init__(self) -> None:
        super().__init__(cross_entropy, cross_entropy_backward)

    def correct(self, outputs: np.ndarray, targets: Any) -> float:
        """Rows whose largest logit is the label's."""
        return float(
            np.count_nonzero(np.argmax(outputs, axis=-1) == np.asarray(targets))
        )


class _Regression(Loss):
    def _targets(self, outputs: np.ndarray, targets: Any) -> Any:
        t = np.asarray(targets)
        if t.size == np.size(outputs) and t.shape != np.shape(outputs):
            t = t.reshape(np.shape(outputs))  # (batch,) targets for a (batch, 1) output
        return t


class BCEWithLogitsLoss(_Regression):
    """Binary cross-entropy on logits, targets in [0, 1] of the output's shape:
    :func:`binary_cross_entropy` and its backward twin."""

    def __init__(self) -> None:
        super().__init__(binary_cross_entropy, binary_cross_entropy_backward)

    def correct(self, outputs: np.ndarray, targets: Any) -> float:
        """Examples whose outputs all fall on the side of 0 that their targets do."""
        t = self._targets(outputs, targets)
        z = np.asarray(outputs)
        per_output = (z > 0) == (t > 0.5)
        return float(np.sum(per_output) / max(1, z.size // max(1, z.shape[0])))


class MSELoss(_Regression):
    """Mean squared error (summed over outputs, averaged over the batch):
    :func:`mse`."""

    def __init__(self) -> None:
        super().__init__(mse, mse_backward)


class MAELoss(_Regression):
    """Mean absolute error: :func:`mae`."""

    def __init__(self) -> None:
        super().__init__(mae, mae_backward)


class HuberLoss(_Regression):
    """Huber loss with threshold ``delta``: :func:`huber`."""

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = check_positive(delta, "delta")
        super().__init__(
            lambda y_hat, y: huber(y_hat, y, self.delta),
            lambda y_hat, y: huber_backward(y_hat, y, self.delta),
        )

    def __repr__(self) -> str:
        return f"HuberLoss(delta={self.delta})"
