"""Token embeddings: a lookup table whose backward pass scatters into the table.

``Embedding(n_vocab, d)`` holds a matrix ``W`` (n_vocab, d). Looking up the ids
``ids`` (any shape of integers) returns ``W[ids]``; the backward pass adds each row of
dY into the row of dW it came from (a token used twice receives the sum). The same
matrix can also serve as the output layer, logits = H W^T (:meth:`Embedding.attend`):
this is *weight tying* (Press and Wolf, 2017), used by GPT, and the gradient of ``W``
is then the sum of both uses. Derived in :doc:`/book/transformers/gpt`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_positive, check_rng
from .module import Module

__all__ = ["embedding_lookup", "embedding_backward", "Embedding"]


def _check_ids(ids: Any, n_vocab: int) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"ids must be an integer array of token ids; got dtype "
                        f"{arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n_vocab):
        raise ValueError(f"ids must lie in [0, {n_vocab}); got values from {arr.min()} "
                         f"to {arr.max()}")
    return arr


def embedding_lookup(W: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """E = W[ids]: row ``ids[...]`` of ``W`` (n_vocab, d); returns (*ids.shape, d)."""
    return W[_check_ids(ids, W.shape[0])]


def embedding_backward(dE: np.ndarray, ids: np.ndarray, n_vocab: int) -> np.ndarray:
    """dW[v] = sum of dE over the positions where ids == v; returns (n_vocab, d).

    The lookup is a product with a one-hot matrix, E = onehot(ids) W, so
    dW = onehot(ids)^T dE: a scatter-add, without forming the one-hot matrix."""
    d = dE.shape[-1]
    dW = np.zeros((n_vocab, d), dtype=dE.dtype)
    np.add.at(dW, ids.reshape(-1), dE.reshape(-1, d))
    return dW


class Embedding(Module):
    """A learned table ``W`` (n_vocab, d), drawn from N(0, std^2) (std = 1/sqrt(d) by
    default).

    ``forward(ids)``: ids of any integer shape -> (*ids.shape, d). ``backward(dY)`` adds
    the scatter of dY into ``grads["W"]`` and returns None (ids have no gradient).
    ``attend(H)``: logits = H W^T, (..., d) -> (..., n_vocab), the tied output layer;
    ``attend_backward(dZ)`` adds dZ^T H into the same ``grads["W"]`` and returns dH.
    Lookups and ``attend`` share one last-in-first-out cache, so a model undoes them in
    the reverse order of its forward calls. Derived in :doc:`/book/transformers/gpt`.
    """

    def __init__(self, n_vocab: int, d: int, rng: np.random.Generator,
                 std: float | None = None, dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.n_vocab = check_int(n_vocab, "n_vocab")
        self.d = check_int(d, "d")
        s = 1.0 / np.sqrt(self.d) if std is None else check_positive(std, "std")
        W = rng.standard_normal((self.n_vocab, self.d)) * s
        self.add_param("W", W.astype(np.dtype(dtype)))

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """E = W[ids]; caches the ids."""
        ids = _check_ids(ids, self.n_vocab)
        self._save("lookup", ids)
        return self.params["W"][ids]

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> None:
        """dW += scatter-add of dY at the cached ids; returns None."""
        kind, ids = self._saved()
        if kind != "lookup":
            raise ValueError("Embedding.backward must undo a lookup, but the latest "
                             "forward call was attend(); call attend_backward first")
        dY = self._check_dY(dY, ids.shape + (self.d,))
        W = self.params["W"]
        d = self.d
        np.add.at(self.grads["W"], ids.reshape(-1), dY.reshape(-1, d).astype(W.dtype))
        return None

    def attend(self, H: np.ndarray) -> np.ndarray:
        """Logits Z = H W^T of the tied output layer: (..., d) -> (..., n_vocab)."""
        H = as_float_array(H, "H", shape_hint=f"(..., {self.d})")
        if H.shape[-1] != self.d:
            raise ValueError(f"H must have shape (..., {self.d}); got {H.shape}")
        W = self.params["W"]
        H = H.astype(W.dtype, copy=False)
        self._save("attend", H)
        return H @ W.T

    def attend_backward(self, dZ: np.ndarray, input_grad: bool = True
                        ) -> np.ndarray | None:
        """dW += dZ^T H (summed over leading axes); returns dH = dZ W."""
        kind, H = self._saved()
        if kind != "attend":
            raise ValueError("Embedding.attend_backward must undo attend(), but the "
                             "latest forward call was a lookup")
        dZ = self._check_dY(dZ, H.shape[:-1] + (self.n_vocab,))
        W = self.params["W"]
        dZ = dZ.astype(W.dtype, copy=False)
        self.grads["W"] += dZ.reshape(-1, self.n_vocab).T @ H.reshape(-1, self.d)
        return dZ @ W if input_grad else None

    def extra_repr(self) -> str:
        return f"{self.n_vocab}, {self.d}"
