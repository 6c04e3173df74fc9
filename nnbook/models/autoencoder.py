"""Autoencoders: undercomplete, denoising, sparse and contractive.

Derived in :doc:`/book/generative/autoencoders`. An autoencoder is an encoder
``H = f(X)`` and a decoder ``X_hat = g(H)`` trained to reconstruct ``X``. Here a model's
forward pass returns the pair ``(X_hat, penalty)``: the reconstruction and a scalar
regularization term (0 for a plain encoder). Encoders that carry a penalty (the sparse
and the contractive one) return ``(H, penalty)`` themselves; the mathematics of each
penalty lives in a pure function and its backward twin.
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
from ..nn.activations import sigmoid
from ..nn.layers import Dense
from ..nn.module import Module, no_grad

__all__ = [
    "pca_components", "subspace_distance",
    "kl_sparsity", "kl_sparsity_backward",
    "contractive_penalty", "contractive_penalty_backward",
    "corrupt", "SparseEncoder", "ContractiveEncoder", "Autoencoder",
    "train_autoencoder", "reconstruction_error",
]


# --- PCA, the optimum of the linear autoencoder ---------------------------------------


def pca_components(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean and the top-``k`` principal directions of ``X`` by an SVD.

    X - mean = U S V^T; the directions are the first k rows of V^T, returned as the
    columns of ``V_k``. Shapes: ``X``: (n, d) -> ``mean``: (d,), ``V_k``: (d, k).
    The optimal linear autoencoder spans ``V_k`` (:doc:`/book/generative/autoencoders`).
    """
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    k = check_int(k, "k", maximum=min(X.shape))
    mean = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
    return mean, Vt[:k].T


def subspace_distance(A: np.ndarray, B: np.ndarray) -> float:
    """Distance between the column spaces of A and B: ||P_A - P_B||_F / sqrt(2k).

    P_A = A (A^T A)^+ A^T is the orthogonal projector onto span(A). The value is 0 for
    the same subspace and 1 for orthogonal ones (it is the root mean square of the sines
    of the principal angles). Shapes: ``A``, ``B``: (d, k).
    """
    A = as_float_array(A, "A", ndim=2, shape_hint="(d, k)")
    B = as_float_array(B, "B", ndim=2, shape_hint="(d, k)")
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape (d, k); got {A.shape} "
                         f"and {B.shape}")
    QA, _ = np.linalg.qr(A)
    QB, _ = np.linalg.qr(B)
    PA, PB = QA @ QA.T, QB @ QB.T
    return float(np.linalg.norm(PA - PB) / np.sqrt(2 * A.shape[1]))


# --- the sparsity penalty -------------------------------------------------------------


def _check_rho(rho: float) -> float:
    return check_float(rho, "rho", low=0.0, high=1.0, low_open=True, high_open=True)


def kl_sparsity(H: np.ndarray, rho: float) -> float:
    """KL sparsity penalty: sum_j KL(rho || rho_hat_j), rho_hat_j = mean_n H[n, j].

    KL(rho || q) = rho log(rho / q) + (1 - rho) log((1 - rho) / (1 - q)), the divergence
    between Bernoulli(rho) and Bernoulli(q). ``H``: (batch, n_code) in (0, 1).
    """
    H = as_float_array(H, "H", ndim=2, shape_hint="(batch, n_code)")
    rho = _check_rho(rho)
    q = np.clip(H.mean(axis=0), 1e-12, 1 - 1e-12)
    kl = rho * np.log(rho / q) + (1 - rho) * np.log((1 - rho) / (1 - q))
    return float(np.sum(kl))


def kl_sparsity_backward(H: np.ndarray, rho: float) -> np.ndarray:
    """dP/dH[n, j] = (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)) / batch.

    ``H``: (batch, n_code) -> (batch, n_code).
    """
    H = as_float_array(H, "H", ndim=2, shape_hint="(batch, n_code)")
    rho = _check_rho(rho)
    q = np.clip(H.mean(axis=0), 1e-12, 1 - 1e-12)
    d_q = -rho / q + (1 - rho) / (1 - q)          # dKL/d rho_hat_j
    return np.broadcast_to(d_q / H.shape[0], H.shape).astype(H.dtype)


# --- the contractive penalty ----------------------------------------------------------


def contractive_penalty(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
    """Mean squared Frobenius norm of the encoder's Jacobian, H = sigmoid(X W + b).

    J(x)_{ij} = dh_j/dx_i = s_j W_ij with s = h (1 - h), so
    ||J(x)||_F^2 = sum_j s_j^2 sum_i W_ij^2, averaged over the batch.
    Shapes: ``X``: (batch, d), ``W``: (d, k), ``b``: (k,).
    """
    H = sigmoid(X @ W + b)
    S = H * (1 - H)                               # (batch, k): dh/dz
    w = np.sum(W * W, axis=0)                     # (k,): column norms squared
    return float(np.mean(S**2 @ w))


def contractive_penalty_backward(X: np.ndarray, W: np.ndarray, b: np.ndarray
                                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients (dX, dW, db) of :func:`contractive_penalty`.

    With P = (1/N) sum_n sum_j s_nj^2 w_j, s = h (1 - h), w_j = sum_i W_ij^2:
    dP/dz_nj = (2/N) s_nj w_j (1 - 2 h_nj) s_nj =: G_nj (through s), then
    dW = X^T G + 2 W diag(mean_n s_nj^2) (the direct dependence on W), db = sum_n G,
    dX = G W^T.
    """
    N = X.shape[0]
    H = sigmoid(X @ W + b)
    S = H * (1 - H)
    w = np.sum(W * W, axis=0)
    G = (2.0 / N) * S * S * w * (1 - 2 * H)
    dW = X.T @ G + 2.0 * W * np.mean(S**2, axis=0)
    return G @ W.T, dW, G.sum(axis=0)


# --- corruption for the denoising autoencoder -----------------------------------------


def corrupt(X: np.ndarray, rng: np.random.Generator, *, noise_std: float = 0.0,
            mask_prob: float = 0.0) -> np.ndarray:
    """X with masking noise (each entry set to 0 with probability ``mask_prob``), then
    additive Gaussian noise of standard deviation ``noise_std``: the corruption
    q(x_tilde | x) of the denoising autoencoder (Vincent et al. 2008).

    ``X``: any shape -> same shape and dtype.
    """
    X = as_float_array(X, "X")
    check_rng(rng)
    noise_std = check_positive(noise_std, "noise_std", strict=False)
    mask_prob = check_float(mask_prob, "mask_prob", low=0.0, high=1.0, high_open=True)
    out = X.copy()
    if mask_prob > 0:
        out *= rng.random(X.shape) >= mask_prob
    if noise_std > 0:
        out += (noise_std * rng.standard_normal(X.shape)).astype(X.dtype)
    return out


# --- encoders with a penalty, and the autoencoder -------------------------------------


class SparseEncoder(Module):
    """A sigmoid layer H = sigmoid(X W + b) that also returns the sparsity penalty
    ``beta * sum_j KL(rho || rho_hat_j)`` (:func:`kl_sparsity`).

    ``forward(X)`` -> ``(H, penalty)``: (batch, n_code) and a 0-d array;
    ``backward((dH, dpenalty))`` -> dX.
    """

    def __init__(self, n_in: int, n_code: int, rng: np.random.Generator,
                 rho: float = 0.05, beta: float = 1.0,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        self.rho = _check_rho(rho)
        self.beta = check_positive(beta, "beta", strict=False)
        self.dense = Dense(n_in, n_code, rng, init="xavier", dtype=dtype)

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """H = sigmoid(X W + b) and beta * KL sparsity of H."""
        H = sigmoid(self.dense(X))
        self._save(H)
        return H, np.asarray(self.beta * kl_sparsity(H, self.rho), dtype=H.dtype)

    def backward(self, dY: Any, input_grad: bool = True) -> np.ndarray | None:
        """dZ = (dH + dpenalty * beta * dKL/dH) * H (1 - H), then the dense layer."""
        H = self._saved()
        dH, dP = dY
        dH = self._check_dY(dH, H.shape)
        total = dH + float(dP) * self.beta * kl_sparsity_backward(H, self.rho)
        out: np.ndarray | None = self.dense.backward(total * H * (1 - H), input_grad)
        return out


class ContractiveEncoder(Module):
    """A sigmoid layer H = sigmoid(X W + b) that also returns the contractive penalty
    ``lam * mean_n ||J(x_n)||_F^2`` (:func:`contractive_penalty`, Rifai et al. 2011).

    ``forward(X)`` -> ``(H, penalty)``; ``backward((dH, dpenalty))`` -> dX.
    Parameters ``W``: (n_in, n_code), ``b``: (n_code,).
    """

    def __init__(self, n_in: int, n_code: int, rng: np.random.Generator,
                 lam: float = 0.1, dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        n_in, n_code = check_int(n_in, "n_in"), check_int(n_code, "n_code")
        self.lam = check_positive(lam, "lam", strict=False)
        limit = np.sqrt(6.0 / (n_in + n_code))
        self.add_param("W", rng.uniform(-limit, limit, (n_in, n_code)).astype(dtype))
        self.add_param("b", np.zeros(n_code, dtype=dtype))

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """H = sigmoid(X W + b) and lam * the mean squared Jacobian norm."""
        W, b = self.params["W"], self.params["b"]
        X = as_float_array(X, "X", ndim=2, shape_hint=f"(batch, {W.shape[0]})")
        if X.shape[1] != W.shape[0]:
            raise ValueError(f"X must have shape (batch, {W.shape[0]}); got {X.shape}")
        X = X.astype(W.dtype, copy=False)
        H = sigmoid(X @ W + b)
        self._save(X, H)
        P = self.lam * contractive_penalty(X, W, b)
        return H, np.asarray(P, dtype=W.dtype)

    def backward(self, dY: Any, input_grad: bool = True) -> np.ndarray | None:
        """The reconstruction path dZ = dH * H (1 - H), plus dpenalty times
        :func:`contractive_penalty_backward`."""
        X, H = self._saved()
        W, b = self.params["W"], self.params["b"]
        dH, dP = dY
        dH = self._check_dY(dH, H.shape)
        dZ = dH * H * (1 - H)
        dXp, dWp, dbp = contractive_penalty_backward(X, W, b)
        c = float(dP) * self.lam
        self.grads["W"] += X.T @ dZ + c * dWp
        self.grads["b"] += dZ.sum(axis=0) + c * dbp
        return dZ @ W.T + c * dXp if input_grad else None


class Autoencoder(Module):
    """An encoder and a decoder: X_hat = g(f(X)).

    ``forward(X)`` returns ``(X_hat, penalty)``, where ``penalty`` is the 0-d array the
    encoder returns with its code (:class:`SparseEncoder`, :class:`ContractiveEncoder`)
    or 0 for an encoder that returns the code alone. ``backward((dX_hat, dpenalty))``
    runs the decoder's backward, then the encoder's. Shapes: ``X``: (batch, d),
    code (batch, k), ``X_hat``: (batch, d).
    Derived in :doc:`/book/generative/autoencoders`.
    """

    def __init__(self, encoder: Module, decoder: Module) -> None:
        super().__init__()
        self.encoder = check_type(encoder, Module, "encoder")
        self.decoder = check_type(decoder, Module, "decoder")

    def forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Encode, remember whether the encoder had a penalty, decode."""
        out = self.encoder(X)
        has_penalty = isinstance(out, tuple)
        H, P = out if has_penalty else (out, np.asarray(0.0, dtype=out.dtype))
        self._save(has_penalty)
        return self.decoder(H), P

    def backward(self, dY: Any, input_grad: bool = True) -> np.ndarray | None:
        """dH from the decoder; the encoder gets (dH, dpenalty) or dH."""
        has_penalty = self._saved()
        dX_hat, dP = dY
        dH = self.decoder.backward(dX_hat)
        out: np.ndarray | None = self.encoder.backward(
            (dH, dP) if has_penalty else dH, input_grad)
        return out

    def encode(self, X: np.ndarray) -> np.ndarray:
        """The code f(X), without caching. (batch, d) -> (batch, k)."""
        with no_grad():
            out = self.encoder(X)
        return out[0] if isinstance(out, tuple) else out

    def decode(self, H: np.ndarray) -> np.ndarray:
        """The reconstruction g(H), without caching. (batch, k) -> (batch, d)."""
        with no_grad():
            out: np.ndarray = self.decoder(H)
        return out


def train_autoencoder(model: Autoencoder, X: np.ndarray, optimizer: Any, *,
                      epochs: int, batch_size: int, rng: np.random.Generator,
                      noise_std: float = 0.0, mask_prob: float = 0.0) -> list[float]:
    """Minimise mean_n ||x_n - g(f(x_tilde_n))||^2 + penalty by mini-batches.

    ``x_tilde`` is ``x`` corrupted by :func:`corrupt` (the denoising autoencoder) when
    ``noise_std`` or ``mask_prob`` is positive, and ``x`` itself otherwise. The target
    is always the clean ``x``. Returns the mean training loss of each epoch.
    ``X``: (n, d).
    """
    check_type(model, Autoencoder, "model")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)").astype(model.dtype)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    check_rng(rng)
    one = np.asarray(1.0, dtype=model.dtype)
    history = []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            x = X[order[start:start + batch_size]]
            x_in = corrupt(x, rng, noise_std=noise_std, mask_prob=mask_prob)
            model.zero_grad()
            x_hat, penalty = model(x_in)
            diff = x_hat - x
            loss = float(np.mean(np.sum(diff**2, axis=1))) + float(penalty)
            model.backward((2 * diff / len(x), one))
            optimizer.step(model.parameters(), model.gradients())
            total += loss * len(x)
        history.append(total / len(X))
    return history


def reconstruction_error(model: Autoencoder, X: np.ndarray) -> np.ndarray:
    """Per-example squared reconstruction error ||x - g(f(x))||^2, the anomaly score.

    ``X``: (n, d) -> (n,).
    """
    check_type(model, Autoencoder, "model")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)").astype(model.dtype)
    with no_grad():
        X_hat, _ = model(X)
    return np.asarray(np.sum((X_hat - X) ** 2, axis=1))
