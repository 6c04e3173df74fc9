"""Batch and layer normalization: pure forward/backward functions and the layers that
use them.

Both normalise a pre-activation to zero mean and unit variance and then give the network
back
a learned scale ``gamma`` and shift ``beta``:

.. math:: \\hat x = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}, \\qquad y = \\gamma
\\hat x + \\beta .

*Batch* normalization (Ioffe and Szegedy, 2015) takes :math:`\\mu, \\sigma^2` per
feature over
the batch (axis 0) and, at evaluation time, uses running averages instead; *layer*
normalization (Ba, Kiros and Hinton, 2016) takes them per example over the features
(axis 1)
and behaves the same in training and evaluation. The backward passes use the compact
form

.. math:: \\frac{\\partial L}{\\partial x} = \\frac{1}{m\\sqrt{\\sigma^2+\\epsilon}}
   \\Big(m\\, g - \\textstyle\\sum g - \\hat x \\sum g \\hat x\\Big), \\qquad g =
   \\gamma \\odot
   \\frac{\\partial L}{\\partial y},

with the sums over the ``m`` values that share a mean. Derived in
:doc:`/book/training/normalization`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_dtype,
    check_int,
    check_positive,
    check_probability,
)
from .module import Module

__all__ = [
    "batchnorm_forward",
    "batchnorm_backward",
    "layernorm_forward",
    "layernorm_backward",
    "BatchNorm",
    "LayerNorm",
]


def _check_inputs(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    X = as_float_array(X, "X", ndim=2, shape_hint="(batch, n_features)")
    n_features = X.shape[1]
    gamma = as_float_array(gamma, "gamma", ndim=1, shape_hint=f"({n_features},)")
    beta = as_float_array(beta, "beta", ndim=1, shape_hint=f"({n_features},)")
    for name, v in (("gamma", gamma), ("beta", beta)):
        if v.shape != (n_features,):
            raise ValueError(
                f"{name} must have shape ({n_features},) to match X's {n_features} "
                f"features; got shape {v.shape}"
            )
    eps = check_positive(eps, "eps")
    return X, gamma, beta, eps


def _normalise(
    X: np.ndarray, axis: int, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (X_hat, mean, var, inv_std) with statistics along ``axis`` (kept as a
    size-1 axis)."""
    mean = X.mean(axis=axis, keepdims=True)
    Xc = X - mean  # centred input,  x - mu
    var = (Xc * Xc).mean(
        axis=axis, keepdims=True
    )  # biased variance, sigma^2 = mean (x - mu)^2
    inv_std = 1.0 / np.sqrt(var + eps)  # 1 / sqrt(sigma^2 + eps)
    return Xc * inv_std, mean, var, inv_std


def _normalise_backward(
    dX_hat: np.ndarray, X_hat: np.ndarray, inv_std: np.ndarray, axis: int
) -> np.ndarray:
    """dX = inv_std / m * (m dX_hat - sum dX_hat - X_hat * sum(dX_hat * X_hat)), sums
    along ``axis``."""
    m = X_hat.shape[axis]
    return (inv_std / m) * (
        m * dX_hat
        - dX_hat.sum(axis=axis, keepdims=True)
        - X_hat * (dX_hat * X_hat).sum(axis=axis, keepdims=True)
    )


def _check_cache(dY: np.ndarray, cache: dict[str, np.ndarray]) -> np.ndarray:
    dY = as_float_array(dY, "dY", ndim=2, shape_hint="(batch, n_features)")
    if not isinstance(cache, dict) or not {"X_hat", "inv_std", "gamma"} <= cache.keys():
        raise ValueError(
            "cache must be the dict returned by the matching forward function"
        )
    if dY.shape != cache["X_hat"].shape:
        raise ValueError(
            f"dY must have the shape of the forward output {cache['X_hat'].shape}; "
            f"got shape {dY.shape}"
        )
    return dY


def batchnorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Batch normalization in training mode, statistics over the batch (axis 0).

    mu_j = (1/N) sum_i x_ij,  sigma_j^2 = (1/N) sum_i (x_ij - mu_j)^2,
    x_hat_ij = (x_ij - mu_j) / sqrt(sigma_j^2 + eps),  y_ij = gamma_j x_hat_ij + beta_j.

    ``X``: (batch, n_features); ``gamma``, ``beta``: (n_features,). Returns ``Y`` of the
    shape of ``X`` and a cache dict with ``X_hat``, ``inv_std``, ``gamma`` (for the
    backward pass) and the batch ``mean`` and ``var`` of shape (n_features,) (for the
    running statistics). A batch of one example has zero variance and normalises to 0
    (``beta``). Derived in :doc:`/book/training/normalization`.
    """
    X, gamma, beta, eps = _check_inputs(X, gamma, beta, eps)
    X_hat, mean, var, inv_std = _normalise(X, 0, eps)
    Y = gamma * X_hat + beta
    cache = {
        "X_hat": X_hat,
        "inv_std": inv_std,
        "gamma": gamma,
        "mean": mean[0],
        "var": var[0],
    }
    return Y, cache


def batchnorm_backward(
    dY: np.ndarray, cache: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`batchnorm_forward` (training mode).

    dbeta_j = sum_i dY_ij,  dgamma_j = sum_i dY_ij x_hat_ij,  dX_hat = gamma * dY,
    dX = inv_std / N * (N dX_hat - sum_i dX_hat - X_hat * sum_i (dX_hat * X_hat)).

    ``dY``: (batch, n_features). Returns ``dX`` (batch, n_features), ``dgamma`` and
    ``dbeta`` (n_features,). Derived step by step in
    :doc:`/book/training/normalization`.
    """
    dY = _check_cache(dY, cache)
    X_hat, inv_std, gamma = cache["X_hat"], cache["inv_std"], cache["gamma"]
    dbeta = dY.sum(axis=0)
    dgamma = (dY * X_hat).sum(axis=0)
    dX = _normalise_backward(gamma * dY, X_hat, inv_std, axis=0)
    return dX, dgamma, dbeta


def layernorm_forward(
    X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Layer normalization, statistics per example over the features (axis 1).

    mu_i = (1/D) sum_j x_ij,  sigma_i^2 = (1/D) sum_j (x_ij - mu_i)^2,
    x_hat_ij = (x_ij - mu_i) / sqrt(sigma_i^2 + eps),  y_ij = gamma_j x_hat_ij + beta_j.

    ``X``: (batch, n_features); ``gamma``, ``beta``: (n_features,). Returns ``Y`` of the
    shape of ``X`` and a cache dict (``X_hat``, ``inv_std`` of shape (batch, 1),
    ``gamma``). The same computation serves training and evaluation: there are no
    running statistics. Derived in :doc:`/book/training/normalization`.
    """
    X, gamma, beta, eps = _check_inputs(X, gamma, beta, eps)
    X_hat, _, _, inv_std = _normalise(X, 1, eps)
    return gamma * X_hat + beta, {"X_hat": X_hat, "inv_std": inv_std, "gamma": gamma}


def layernorm_backward(
    dY: np.ndarray, cache: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`layernorm_forward`: the batch-norm formula with the sums
    taken over the features of each row instead of over the batch,

    dX = inv_std / D * (D dX_hat - sum_j dX_hat - X_hat * sum_j (dX_hat * X_hat)),
    dX_hat = gamma * dY,

    while dgamma = sum_i dY * X_hat and dbeta = sum_i dY still sum over the batch.
    ``dY``: (batch, n_features). Returns ``dX`` (batch, n_features), ``dgamma``,
    ``dbeta`` (n_features,). Derived in :doc:`/book/training/normalization`.
    """
    dY = _check_cache(dY, cache)
    X_hat, inv_std, gamma = cache["X_hat"], cache["inv_std"], cache["gamma"]
    dbeta = dY.sum(axis=0)
    dgamma = (dY * X_hat).sum(axis=0)
    dX = _normalise_backward(gamma * dY, X_hat, inv_std, axis=1)
    return dX, dgamma, dbeta


def _check_n_features(n_features: int) -> int:
    return check_int(n_features, "n_features")


def _check_features(X: np.ndarray, n_features: int, dtype: np.dtype) -> np.ndarray:
    """X as a (batch, n_features) array of the layer's dtype, or a ValueError saying
    what came."""
    X = as_float_array(X, "X", ndim=2, shape_hint=f"(batch, {n_features})")
    if X.shape[1] != n_features:
        raise ValueError(
            f"X must have shape (batch, {n_features}) (n_features = {n_features} "
            f"columns); got shape {X.shape}"
        )
    return X.astype(dtype, copy=False)


class BatchNorm(Module):
    """Batch normalization layer (Ioffe and Szegedy, 2015), params ``gamma`` (ones) and
    ``beta`` (zeros), each of shape (n_features,).

    Training mode (``training=True``): normalise with the batch statistics
    (:func:`batchnorm_forward`) and update the running statistics

        running_mean <- momentum * running_mean + (1 - momentum) * mu_B,
        running_var  <- momentum * running_var  + (1 - momentum) * N / (N - 1) *
        sigma_B^2,

    the variance made unbiased as in the original paper (for N = 1 the batch variance is
    used as it is). Evaluation mode: the fixed affine map y = gamma
    (x - running_mean) / sqrt(running_var + eps) + beta, so a prediction does not depend
    on the other examples of its batch. ``X``: (batch, n_features). Derived in
    :doc:`/book/training/normalization`.
    """

    def __init__(
        self,
        n_features: int,
        momentum: float = 0.9,
        eps: float = 1e-5,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        self.n_features = _check_n_features(n_features)
        self.momentum = check_probability(momentum, "momentum")
        self.eps = check_positive(eps, "eps")
        dt = check_dtype(dtype)
        self.add_param("gamma", np.ones(self.n_features, dtype=dt))
        self.add_param("beta", np.zeros(self.n_features, dtype=dt))
        self.running_mean = self.add_buffer(
            "running_mean", np.zeros(self.n_features, dtype=dt)
        )
        self.running_var = self.add_buffer(
            "running_var", np.ones(self.n_features, dtype=dt)
        )

    def _check_X(self, X: np.ndarray) -> np.ndarray:
        return _check_features(X, self.n_features, self.params["gamma"].dtype)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Normalise ``X`` (batch, n_features) with batch statistics (training) or
        running
        statistics (evaluation); returns ``Y`` of the same shape."""
        X = self._check_X(X)
        gamma, beta = self.params["gamma"], self.params["beta"]
        cache: dict[str, Any]
        if self.training:
            Y, stats = batchnorm_forward(X, gamma, beta, self.eps)
            cache = {**stats, "mode": "train"}
            n = X.shape[0]
            unbiased = cache["var"] * (n / (n - 1)) if n > 1 else cache["var"]
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1.0 - m) * cache["mean"]
            self.running_var *= m
            self.running_var += (1.0 - m) * unbiased
        else:
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            X_hat = (X - self.running_mean) * inv_std
            Y = gamma * X_hat + beta
            cache = {"X_hat": X_hat, "inv_std": inv_std, "gamma": gamma, "mode": "eval"}
        self._save(cache)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dgamma, dbeta added into ``grads``; returns dX. In training mode by
        :func:`batchnorm_backward`; in evaluation mode the map is affine and
        dX = gamma * inv_std * dY."""
        cache = self._saved()
        dY = self._check_dY(dY, cache["X_hat"].shape)
        dY = dY.astype(self.params["gamma"].dtype, copy=False)
        if cache["mode"] == "train":
            dX, dgamma, dbeta = batchnorm_backward(dY, cache)
        else:
            dgamma, dbeta = (dY * cache["X_hat"]).sum(axis=0), dY.sum(axis=0)
            dX = dY * (cache["gamma"] * cache["inv_std"])
        self.grads["gamma"] += dgamma
        self.grads["beta"] += dbeta
        return dX if input_grad else None

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_features}, momentum={self.momentum}, eps={self.eps})"


class LayerNorm(Module):
    """Layer normalization (Ba, Kiros and Hinton, 2016): each example normalised over
    its
    features, then y = gamma x_hat + beta with ``gamma`` (ones) and ``beta`` (zeros) of
    shape
    (n_features,). Identical in training and evaluation mode (no running statistics).
    ``X``: (batch, n_features). Derived in :doc:`/book/training/normalization`.
    """

    def __init__(
        self, n_features: int, eps: float = 1e-5, dtype: type | np.dtype = np.float64
    ) -> None:
        super().__init__()
        self.n_features = _check_n_features(n_features)
        self.eps = check_positive(eps, "eps")
        dt = check_dtype(dtype)
        self.add_param("gamma", np.ones(self.n_features, dtype=dt))
        self.add_param("beta", np.zeros(self.n_features, dtype=dt))

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = gamma * (X - mean_row) / sqrt(var_row + eps) + beta; ``X``: (batch,
        n_features)."""
        X = _check_features(X, self.n_features, self.params["gamma"].dtype)
        Y, cache = layernorm_forward(
            X, self.params["gamma"], self.params["beta"], self.eps
        )
        self._save(cache)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dgamma, dbeta added into ``grads``; dX by :func:`layernorm_backward`."""
        cache = self._saved()
        dY = self._check_dY(dY, cache["X_hat"].shape)
        dY = dY.astype(self.params["gamma"].dtype, copy=False)
        dX, dgamma, dbeta = layernorm_backward(dY, cache)
        self.grads["gamma"] += dgamma
        self.grads["beta"] += dbeta
        return dX if input_grad else None

    def __repr__(self) -> str:
        return f"LayerNorm({self.n_features}, eps={self.eps})"
