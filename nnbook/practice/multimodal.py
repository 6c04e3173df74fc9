"""CLIP's contrastive image-text objective (Radford et al., 2021) on small encoders.

Derived in :doc:`/book/practice/large-models-map`. A batch holds N matching pairs
(image i, text i). Both are embedded and L2-normalized, and the N x N matrix of scaled
cosine similarities is read as two classification problems: each image must pick its
text among the N texts, and each text its image.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_rng
from ..nn.activations import log_softmax, softmax
from ..nn.layers import Dense
from ..nn.module import Module

__all__ = ["symmetric_cross_entropy", "CLIP", "ClipLoss"]


def symmetric_cross_entropy(logits: np.ndarray) -> tuple[float, np.ndarray]:
    """The CLIP loss of an (N, N) logit matrix whose diagonal holds the true pairs:

        L = (CE(logits, arange N) + CE(logits^T, arange N)) / 2,

    rows = images choosing a text, columns = texts choosing an image. Returns the value
    and dL/dlogits = [(softmax_rows - I) + (softmax_cols - I)] / (2N), (N, N).
    """
    Z = as_float_array(logits, "logits", ndim=2, shape_hint="(N, N)")
    n = Z.shape[0]
    if Z.shape != (n, n) or n < 2:
        raise ValueError(f"logits must be a square (N, N) matrix with N >= 2; "
                         f"got {Z.shape}")
    idx = np.arange(n)
    value = -(log_softmax(Z, axis=1)[idx, idx].mean()
              + log_softmax(Z, axis=0)[idx, idx].mean()) / 2
    grad = softmax(Z, axis=1) + softmax(Z, axis=0)    # row- and column-softmax
    grad[idx, idx] -= 2.0
    return float(value), grad / (2 * n)


class CLIP(Module):
    """Two linear encoders into a shared d-dimensional space and a learned temperature.

    forward(X_img (N, d_img), X_txt (M, d_txt)) -> logits (N, M) (N = M in training;
    M = one caption per class for zero-shot classification):
    u_i = I_i / ||I_i||, v_j = T_j / ||T_j|| with I = X_img W_i + b_i and
    T = X_txt W_t + b_t, logits_ij = exp(s) u_i . v_j, s = ``log_scale`` (a parameter,
    initialized to log(1 / 0.07) as in CLIP). Backward returns (dX_img, dX_txt).
    """

    def __init__(self, d_img: int, d_txt: int, d: int, rng: np.random.Generator,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        d = check_int(d, "d")
        self.image_proj = Dense(check_int(d_img, "d_img"), d, rng, init="xavier",
                                dtype=dtype)
        self.text_proj = Dense(check_int(d_txt, "d_txt"), d, rng, init="xavier",
                               dtype=dtype)
        self.add_param("log_scale", np.array([np.log(1 / 0.07)], dtype=dtype))

    def forward(self, X_img: np.ndarray, X_txt: np.ndarray) -> np.ndarray:
        """The (N, M) matrix of scaled cosine similarities."""
        I, T = self.image_proj(X_img), self.text_proj(X_txt)
        nI = np.linalg.norm(I, axis=1, keepdims=True) + 1e-12
        nT = np.linalg.norm(T, axis=1, keepdims=True) + 1e-12
        U, V = I / nI, T / nT
        scale = np.exp(self.params["log_scale"][0])
        logits = scale * (U @ V.T)
        self._save(U, V, nI, nT, logits)
        return np.asarray(logits)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """ds = sum(dY * logits); dU = e^s dY V, dV = e^s dY^T U; through the
        normalization dI = (dU - u (u . dU)) / ||I||; then the two encoders."""
        U, V, nI, nT, logits = self._saved()
        dY = self._check_dY(dY, logits.shape)
        self.grads["log_scale"] += np.sum(dY * logits)
        scale = np.exp(self.params["log_scale"][0])
        dU, dV = scale * dY @ V, scale * dY.T @ U
        dI = (dU - U * np.sum(U * dU, axis=1, keepdims=True)) / nI
        dT = (dV - V * np.sum(V * dV, axis=1, keepdims=True)) / nT
        dT_in = self.text_proj.backward(dT, input_grad=input_grad)
        dI_in = self.image_proj.backward(dI, input_grad=input_grad)
        return None if not input_grad else (dI_in, dT_in)


class ClipLoss:
    """:func:`symmetric_cross_entropy` as a loss for :func:`~nnbook.train.fit` (the
    targets are ignored: the pairs are the diagonal). ``correct`` counts images whose
    best-scoring text is their own (top-1 retrieval)."""

    def __call__(self, outputs: np.ndarray, targets: Any) -> tuple[float, np.ndarray]:
        return symmetric_cross_entropy(outputs)

    def correct(self, outputs: np.ndarray, targets: Any) -> float:
        """Rows whose largest logit is on the diagonal."""
        Z = np.asarray(outputs)
        return float(np.count_nonzero(np.argmax(Z, axis=1) == np.arange(len(Z))))
