"""Attention, multi-head attention, masks and positional encodings.

Scaled dot-product attention (Vaswani et al., 2017) maps queries ``Q`` (..., T_q, d_k),
keys ``K`` (..., T_k, d_k) and values ``V`` (..., T_k, d_v) to

.. math:: S = Q K^\\top / \\sqrt{d_k}, \\quad
   P = \\operatorname{softmax}_{\\text{rows}}(S), \\quad Y = P V,

and its backward pass never forms a softmax Jacobian: with dP = dY V^T,

.. math:: dS = P \\odot (dP - \\operatorname{rowsum}(dP \\odot P)),

then dQ = dS K / sqrt(d_k), dK = dS^T Q / sqrt(d_k), dV = P^T dY. Masks are boolean
arrays, True where a query may look at a key. Derived in
:doc:`/book/transformers/attention`; multi-head attention and positional encodings in
:doc:`/book/transformers/transformer`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_positive, check_rng, check_type
from .module import Module, is_grad_enabled

__all__ = [
    "causal_mask", "padding_mask",
    "scaled_dot_product_attention", "scaled_dot_product_attention_backward",
    "additive_attention", "additive_attention_backward",
    "AdditiveAttention", "MultiHeadAttention",
    "sinusoidal_positions", "rope", "rope_backward",
]


# --- masks ----------------------------------------------------------------------------


def causal_mask(T_q: int, T_k: int | None = None) -> np.ndarray:
    """Boolean (T_q, T_k) mask, True where query i may attend to key j:
    j <= i + T_k - T_q.

    With T_k = T_q this is the lower triangle (a token sees itself and its past). With
    T_k > T_q the queries are the *last* T_q positions of a sequence of T_k (generation
    with a key-value cache). Derived in :doc:`/book/transformers/attention`.
    """
    T_q = check_int(T_q, "T_q")
    T_k = T_q if T_k is None else check_int(T_k, "T_k")
    if T_k < T_q:
        raise ValueError(f"T_k must be >= T_q for a causal mask; got T_q={T_q}, "
                         f"T_k={T_k}")
    return np.tri(T_q, T_k, k=T_k - T_q, dtype=bool)


def padding_mask(lengths: Any, T: int) -> np.ndarray:
    """Boolean (batch, 1, T) mask, True at the first ``lengths[b]`` key positions
    of row b.

    Broadcasts against scores of shape (batch, T_q, T): every query ignores padded keys.
    ``lengths``: (batch,) integers in [1, T]. Derived in
    :doc:`/book/transformers/attention`.
    """
    T = check_int(T, "T")
    lens = np.asarray(lengths)
    if lens.ndim != 1 or lens.dtype.kind not in "iu":
        raise ValueError(f"lengths must be a 1-D integer array; got {lens.dtype} "
                         f"of shape {lens.shape}")
    if lens.size and (lens.min() < 1 or lens.max() > T):
        raise ValueError(f"lengths must lie in [1, {T}]; got values from {lens.min()} "
                         f"to {lens.max()}")
    return (np.arange(T)[None, :] < lens[:, None])[:, None, :]


def _allowed(mask: Any, causal: bool, T_q: int, T_k: int) -> np.ndarray | None:
    """The combined boolean mask (broadcastable to (..., T_q, T_k)), or None."""
    allowed = None
    if mask is not None:
        allowed = np.asarray(mask)
        if allowed.dtype != bool:
            raise TypeError(f"mask must be a boolean array (True = may attend); "
                            f"got dtype {allowed.dtype}")
        rows_ok = allowed.ndim >= 2 and allowed.shape[-2] in (1, T_q)
        if not rows_ok or allowed.shape[-1] != T_k:
            raise ValueError(f"mask must broadcast to (..., {T_q}, {T_k}); got shape "
                             f"{allowed.shape}")
    if causal:
        c = causal_mask(T_q, T_k)
        allowed = c if allowed is None else allowed & c
    if allowed is not None and not allowed.any(axis=-1).all():
        raise ValueError("every query must be allowed to see at least one key; the "
                         "mask has a row of all False")
    return allowed


# --- scaled dot-product attention -----------------------------------------------------


def _check_qkv(Q: Any, K: Any, V: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Q = as_float_array(Q, "Q", shape_hint="(..., T_q, d_k)")
    K = as_float_array(K, "K", shape_hint="(..., T_k, d_k)")
    V = as_float_array(V, "V", shape_hint="(..., T_k, d_v)")
    if Q.ndim < 2 or K.ndim != Q.ndim or V.ndim != Q.ndim:
        raise ValueError(f"Q, K and V must have the same rank >= 2; got shapes "
                         f"{Q.shape}, {K.shape}, {V.shape}")
    if K.shape[-1] != Q.shape[-1] or K.shape[:-2] != Q.shape[:-2]:
        raise ValueError(f"K must have shape (..., T_k, {Q.shape[-1]}) matching Q "
                         f"{Q.shape}; got {K.shape}")
    if V.shape[:-1] != K.shape[:-1]:
        raise ValueError(f"V must have shape {K.shape[:-1]} + (d_v,) to match K; "
                         f"got {V.shape}")
    dt = np.result_type(Q, K, V)
    return Q.astype(dt, copy=False), K.astype(dt, copy=False), V.astype(dt, copy=False)


def _masked_softmax(S: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    """Row softmax of the scores S, in place; disallowed entries become exactly 0."""
    if allowed is not None:
        np.copyto(S, -np.inf, where=~allowed)     # exp(-inf) = 0: masked keys get P = 0
    S -= S.max(axis=-1, keepdims=True)              # stable: every exponent <= 0
    np.exp(S, out=S)
    S /= S.sum(axis=-1, keepdims=True)
    return S


def scaled_dot_product_attention(Q: np.ndarray, K: np.ndarray, V: np.ndarray,
                                 mask: np.ndarray | None = None, causal: bool = False
                                 ) -> tuple[np.ndarray, dict[str, Any]]:
    """Y = softmax(Q K^T / sqrt(d_k) + masking) V, row by row.

    ``Q``: (..., T_q, d_k), ``K``: (..., T_k, d_k), ``V``: (..., T_k, d_v); ``mask``: a
    boolean array broadcastable to (..., T_q, T_k), True where a query may attend;
    ``causal`` adds :func:`causal_mask`. Returns ``Y`` (..., T_q, d_v) and a cache
    holding the attention weights ``P`` (..., T_q, T_k) (each row sums to 1, 0 at
    masked keys).
    Derived in :doc:`/book/transformers/attention`.
    """
    Q, K, V = _check_qkv(Q, K, V)
    check_type(causal, bool, "causal")
    T_q, d_k = Q.shape[-2:]
    allowed = _allowed(mask, causal, T_q, K.shape[-2])
    scale = 1.0 / math.sqrt(d_k)
    S = (Q * Q.dtype.type(scale)) @ np.swapaxes(K, -1, -2)   # (..., T_q, T_k) scores
    P = _masked_softmax(S, allowed)                          # attention weights
    Y = P @ V                                               # weighted average of values
    return Y, {"Q": Q, "K": K, "V": V, "P": P, "Y": Y, "scale": scale}


def scaled_dot_product_attention_backward(
    dY: np.ndarray, cache: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of :func:`scaled_dot_product_attention`:

        dV = P^T dY,  dP = dY V^T,  dS = P * (dP - rowsum(dP * P)),
        dQ = dS K / sqrt(d_k),  dK = dS^T Q / sqrt(d_k).

    The row sum is computed as rowsum(dY * Y), which equals rowsum(dP * P) because
    Y = P V (a sum over d_v instead of T_k). ``dY``: (..., T_q, d_v). Returns
    ``(dQ, dK, dV)`` with the shapes of Q, K, V. Derived in
    :doc:`/book/transformers/attention`.
    """
    Q, K, V, P, Y = cache["Q"], cache["K"], cache["V"], cache["P"], cache["Y"]
    dY = as_float_array(dY, "dY").astype(P.dtype, copy=False)
    if dY.shape != Y.shape:
        raise ValueError(f"dY must have the output's shape {Y.shape}; got {dY.shape}")
    dV = np.swapaxes(P, -1, -2) @ dY                         # (..., T_k, d_v)
    dS = dY @ np.swapaxes(V, -1, -2)                         # dP, (..., T_q, T_k)
    D = np.einsum("...ic,...ic->...i", dY, Y)[..., None]     # rowsum(dP * P)
    dS -= D
    dS *= P                                                  # dS = P * (dP - D)
    s = P.dtype.type(cache["scale"])
    dQ = dS @ K
    dQ *= s
    dK = np.swapaxes(dS, -1, -2) @ Q
    dK *= s
    return dQ, dK, dV


# --- additive (Bahdanau) attention ----------------------------------------------------


def additive_attention(Q: np.ndarray, K: np.ndarray, V: np.ndarray, W_q: np.ndarray,
                       W_k: np.ndarray, v: np.ndarray, mask: np.ndarray | None = None
                       ) -> tuple[np.ndarray, dict[str, Any]]:
    """Additive attention (Bahdanau et al., 2015):
    s_ij = v^T tanh(W_q^T q_i + W_k^T k_j).

    ``Q``: (batch, T_q, d_q), ``K``: (batch, T_k, d_k), ``V``: (batch, T_k, d_v),
    ``W_q``: (d_q, h), ``W_k``: (d_k, h), ``v``: (h,). P = softmax over j of s_ij
    (masked), Y = P V. Returns ``Y`` (batch, T_q, d_v) and the cache (with ``P``).
    Costs a
    (batch, T_q, T_k, h) tensor, which is why dot products replaced it. Derived in
    :doc:`/book/transformers/attention`.
    """
    Q = as_float_array(Q, "Q", ndim=3, shape_hint="(batch, T_q, d_q)")
    K = as_float_array(K, "K", ndim=3, shape_hint="(batch, T_k, d_k)")
    V = as_float_array(V, "V", ndim=3, shape_hint="(batch, T_k, d_v)")
    if K.shape[:2] != V.shape[:2] or K.shape[0] != Q.shape[0]:
        raise ValueError(f"Q, K, V must share the batch and K, V the length; got "
                         f"{Q.shape}, {K.shape}, {V.shape}")
    allowed = _allowed(mask, False, Q.shape[1], K.shape[1])
    A = np.tanh((Q @ W_q)[:, :, None, :] + (K @ W_k)[:, None, :, :])  # (B, T_q, T_k, h)
    S = A @ v                                                        # (B, T_q, T_k)
    P = _masked_softmax(S, allowed)
    Y = P @ V
    return Y, {"Q": Q, "K": K, "V": V, "W_q": W_q, "W_k": W_k, "v": v, "A": A, "P": P}


def additive_attention_backward(dY: np.ndarray, cache: dict[str, Any]
                                ) -> tuple[np.ndarray, ...]:
    """Backward pass of :func:`additive_attention`. Returns
    ``(dQ, dK, dV, dW_q, dW_k, dv)``: the softmax part as in
    :func:`scaled_dot_product_attention_backward`, then through tanh (1 - A^2) and the
    two projections, summing over the key axis for queries and the query axis for
    keys."""
    Q, K, V, A, P = cache["Q"], cache["K"], cache["V"], cache["A"], cache["P"]
    W_q, W_k, v = cache["W_q"], cache["W_k"], cache["v"]
    dV = np.swapaxes(P, -1, -2) @ dY
    dP = dY @ np.swapaxes(V, -1, -2)
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True))    # (B, T_q, T_k)
    dv = np.einsum("bqk,bqkh->h", dS, A)
    dZ = dS[..., None] * v * (1.0 - A * A)                  # through tanh
    dHq, dHk = dZ.sum(axis=2), dZ.sum(axis=1)               # (B, T_q, h), (B, T_k, h)
    dW_q = np.einsum("bqd,bqh->dh", Q, dHq)
    dW_k = np.einsum("bkd,bkh->dh", K, dHk)
    return dHq @ W_q.T, dHk @ W_k.T, dV, dW_q, dW_k, dv


class AdditiveAttention(Module):
    """Bahdanau attention as a module: parameters ``W_q`` (d_q, h), ``W_k`` (d_k, h) and
    ``v`` (h,). ``forward(Q, K, V, mask=None)`` returns (batch, T_q, d_v); ``backward``
    returns ``(dQ, dK, dV)``. The weights of the last call are in ``attention_weights``.
    Derived in :doc:`/book/transformers/attention`."""

    def __init__(self, d_q: int, d_k: int, d_hidden: int, rng: np.random.Generator,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        d_q, d_k = check_int(d_q, "d_q"), check_int(d_k, "d_k")
        h = check_int(d_hidden, "d_hidden")
        dt = np.dtype(dtype)
        W_q = rng.standard_normal((d_q, h)) / math.sqrt(d_q)
        W_k = rng.standard_normal((d_k, h)) / math.sqrt(d_k)
        self.add_param("W_q", W_q.astype(dt))
        self.add_param("W_k", W_k.astype(dt))
        self.add_param("v", (rng.standard_normal(h) / math.sqrt(h)).astype(dt))
        self.attention_weights: np.ndarray | None = None

    def forward(self, Q: np.ndarray, K: np.ndarray, V: np.ndarray,
                mask: np.ndarray | None = None) -> np.ndarray:
        """Y = softmax(v^T tanh(W_q^T q_i + W_k^T k_j)) V; caches for backward."""
        p = self.params
        dt = p["v"].dtype
        Q, K, V = (np.asarray(a, dt) for a in (Q, K, V))
        Y, cache = additive_attention(Q, K, V, p["W_q"], p["W_k"], p["v"], mask)
        self.attention_weights = cache["P"]
        self._save(cache)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Adds dW_q, dW_k, dv into ``grads``; returns (dQ, dK, dV)."""
        cache = self._saved()
        shape = cache["P"].shape[:2] + (cache["V"].shape[-1],)
        dY = self._check_dY(dY, shape).astype(cache["P"].dtype, copy=False)
        dQ, dK, dV, dW_q, dW_k, dv = additive_attention_backward(dY, cache)
        self.grads["W_q"] += dW_q
        self.grads["W_k"] += dW_k
        self.grads["v"] += dv
        return (dQ, dK, dV) if input_grad else None


# --- positional encodings -------------------------------------------------------------


def sinusoidal_positions(T: int, d: int, base: float = 10000.0,
                         dtype: type | np.dtype = np.float64) -> np.ndarray:
    """The sinusoidal encoding of Vaswani et al. (2017), shape (T, d) with d even:

        PE[t, 2i] = sin(t w_i),  PE[t, 2i + 1] = cos(t w_i),  w_i = base^(-2i / d).

    Each pair of columns is a point on a circle turning at frequency w_i, so the
    encoding of t + k is a fixed rotation (by k w_i) of the encoding of t. Derived in
    :doc:`/book/transformers/transformer`.
    """
    T = check_int(T, "T")
    d = check_int(d, "d")
    if d % 2:
        raise ValueError(f"d must be even (sine and cosine pairs); got {d}")
    base = check_positive(base, "base")
    w = base ** (-np.arange(0, d, 2) / d)                     # (d/2,) frequencies
    angles = np.arange(T)[:, None] * w[None, :]               # (T, d/2)
    PE = np.empty((T, d))
    PE[:, 0::2], PE[:, 1::2] = np.sin(angles), np.cos(angles)
    return PE.astype(dtype)


def _rope_cos_sin(positions: np.ndarray, d: int, base: float, dtype: np.dtype
                  ) -> tuple[np.ndarray, np.ndarray]:
    w = base ** (-np.arange(0, d, 2) / d)
    angles = np.asarray(positions, dtype=np.float64)[:, None] * w[None, :]  # (T, d/2)
    return np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)


def _check_rope(X: Any, positions: Any) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array(X, "X", shape_hint="(..., T, d)")
    if X.ndim < 2 or X.shape[-1] % 2:
        raise ValueError(f"X must have shape (..., T, d) with d even; got {X.shape}")
    pos = np.asarray(positions)
    if pos.shape != (X.shape[-2],) or pos.dtype.kind not in "iu":
        raise ValueError(f"positions must be {X.shape[-2]} integers (one per row of "
                         f"X); got {pos.dtype} of shape {pos.shape}")
    return X, pos


def rope(X: np.ndarray, positions: np.ndarray, base: float = 10000.0) -> np.ndarray:
    """Rotary position embedding (Su et al., 2021): rotate each pair (x_2i, x_2i+1) of
    row t by the angle positions[t] * w_i, w_i = base^(-2i/d).

    ``X``: (..., T, d), d even; ``positions``: (T,) integers. Then the dot product of a
    rotated query at position m and a rotated key at position n depends on m - n only.
    Derived in :doc:`/book/transformers/transformer`.
    """
    X, pos = _check_rope(X, positions)
    c, s = _rope_cos_sin(pos, X.shape[-1], base, X.dtype)
    x1, x2 = X[..., 0::2], X[..., 1::2]
    Y = np.empty_like(X)
    Y[..., 0::2] = x1 * c - x2 * s
    Y[..., 1::2] = x1 * s + x2 * c
    return Y


def rope_backward(dY: np.ndarray, positions: np.ndarray, base: float = 10000.0
                  ) -> np.ndarray:
    """Backward pass of :func:`rope`: a rotation's transpose is the rotation by minus
    the angle, so dX = rope(dY) with the angles negated. Shapes as in :func:`rope`."""
    dY, pos = _check_rope(dY, positions)
    c, s = _rope_cos_sin(pos, dY.shape[-1], base, dY.dtype)
    g1, g2 = dY[..., 0::2], dY[..., 1::2]
    dX = np.empty_like(dY)
    dX[..., 0::2] = g1 * c + g2 * s
    dX[..., 1::2] = -g1 * s + g2 * c
    return dX


# --- multi-head attention -------------------------------------------------------------


class MultiHeadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017) with ``n_heads`` heads of size
    d_h = d_model / n_heads:

        [Q | K | V] = X W_qkv + b_qkv  (K, V from ``memory`` for cross-attention)
        head_i = attention(Q_i, K_i, V_i),   Y = concat(head_1..head_h) W_o + b_o.

    Parameters: ``W_qkv`` (d_model, 3 d_model), ``b_qkv`` (3 d_model,), ``W_o``
    (d_model, d_model), ``b_o`` (d_model,): 4 d_model^2 + 4 d_model in all, whatever
    the number of heads. ``causal=True`` masks the future; ``rope=True`` rotates
    queries and keys by
    their positions (:func:`rope`).

    ``forward(X, memory=None, mask=None, kv_cache=None)``: ``X`` (batch, T, d_model);
    ``memory`` (batch, T_m, d_model) for cross-attention; ``mask`` boolean,
    broadcastable to (batch, T_q, T_k) (a head axis is inserted). ``backward``
    returns dX, or
    ``(dX, dmemory)`` for cross-attention. ``kv_cache`` (a dict, inference only, inside
    :func:`~nnbook.nn.module.no_grad`) keeps the keys and values of earlier positions so
    that each new token costs one row of attention. The weights of the last call are in
    ``attention_weights`` (batch, n_heads, T_q, T_k). Derived in
    :doc:`/book/transformers/transformer`.
    """

    def __init__(self, d_model: int, n_heads: int, rng: np.random.Generator, *,
                 causal: bool = False, rope: bool = False, rope_base: float = 10000.0,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.d_model = check_int(d_model, "d_model")
        self.n_heads = check_int(n_heads, "n_heads")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model must be divisible by n_heads; got {d_model} and "
                             f"{n_heads}")
        self.d_head = self.d_model // self.n_heads
        if rope and self.d_head % 2:
            raise ValueError(f"rope needs an even head size; got {self.d_head}")
        self.causal = check_type(causal, bool, "causal")
        self.rope = check_type(rope, bool, "rope")
        self.rope_base = check_positive(rope_base, "rope_base")
        d, dt = self.d_model, np.dtype(dtype)
        std = 1.0 / math.sqrt(d)
        self.add_param("W_qkv", (rng.standard_normal((d, 3 * d)) * std).astype(dt))
        self.add_param("b_qkv", np.zeros(3 * d, dtype=dt))
        self.add_param("W_o", (rng.standard_normal((d, d)) * std).astype(dt))
        self.add_param("b_o", np.zeros(d, dtype=dt))
        self.attention_weights: np.ndarray | None = None

    def _heads(self, Z: np.ndarray) -> np.ndarray:
        """(B, T, k * d_model) -> (k, B, n_heads, T, d_head) as a view."""
        B, T = Z.shape[:2]
        k = Z.shape[2] // self.d_model
        return Z.reshape(B, T, k, self.n_heads, self.d_head).transpose(2, 0, 3, 1, 4)

    def _check_X(self, X: Any, name: str) -> np.ndarray:
        X = as_float_array(X, name, ndim=3, shape_hint=f"(batch, T, {self.d_model})")
        if X.shape[-1] != self.d_model:
            raise ValueError(f"{name} must have shape (batch, T, {self.d_model}); got "
                             f"{X.shape}")
        return X.astype(self.params["W_o"].dtype, copy=False)

    def forward(self, X: np.ndarray, memory: np.ndarray | None = None,
                mask: np.ndarray | None = None,
                kv_cache: dict[str, Any] | None = None) -> np.ndarray:
        """Y = MultiHead(X, memory) (see the class docstring); caches for backward."""
        X = self._check_X(X, "X")
        B, T, d = X.shape
        W, b = self.params["W_qkv"], self.params["b_qkv"]
        cross = memory is not None
        if cross:
            M = self._check_X(memory, "memory")
            if M.shape[0] != B:
                raise ValueError(f"memory must have batch size {B}; got {M.shape}")
            Q = self._heads(X @ W[:, :d] + b[:d])[0]
            K, V = self._heads(M @ W[:, d:] + b[d:])
        else:
            M = X
            Q, K, V = self._heads(X @ W + b)
        start = 0
        if kv_cache is not None:
            if is_grad_enabled():
                raise ValueError("kv_cache is for generation only: call it inside "
                                 "no_grad()")
            check_type(kv_cache, dict, "kv_cache")
            start = kv_cache["K"].shape[2] if "K" in kv_cache else 0
        if self.rope:
            pos = np.arange(start, start + T)
            Q = rope(Q, pos, self.rope_base)
            if not cross:
                K = rope(K, pos, self.rope_base)
        if kv_cache is not None and not cross:
            if "K" in kv_cache:
                K = np.concatenate([kv_cache["K"], K], axis=2)
                V = np.concatenate([kv_cache["V"], V], axis=2)
            kv_cache["K"], kv_cache["V"] = K, V
        if mask is not None:
            mask = np.asarray(mask)
            mask = mask[:, None] if mask.ndim == 3 else mask       # add the head axis
        H, att = scaled_dot_product_attention(Q, K, V, mask, self.causal)
        self.attention_weights = att["P"]
        Hc = H.transpose(0, 2, 1, 3).reshape(B, T, d)              # concatenate heads
        Y = Hc @ self.params["W_o"]
        Y += self.params["b_o"]
        self._save(X, M, cross, att, Hc, start)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Adds the four parameter gradients into ``grads``; returns dX, or
        (dX, dmemory) for cross-attention."""
        X, M, cross, att, Hc, start = self._saved()
        B, T, d = X.shape
        dY = self._check_dY(dY, X.shape).astype(X.dtype, copy=False)
        W = self.params["W_qkv"]
        dY2 = dY.reshape(-1, d)
        self.grads["W_o"] += Hc.reshape(-1, d).T @ dY2
        self.grads["b_o"] += dY2.sum(axis=0)
        dH = (dY2 @ self.params["W_o"].T).reshape(B, T, self.n_heads, self.d_head)
        dH = dH.transpose(0, 2, 1, 3)
        dQ, dK, dV = scaled_dot_product_attention_backward(dH, att)
        if self.rope:
            pos = np.arange(start, start + T)
            dQ = rope_backward(dQ, pos, self.rope_base)
            if not cross:
                dK = rope_backward(dK, pos, self.rope_base)
        if cross:
            dQ2 = dQ.transpose(0, 2, 1, 3).reshape(-1, d)
            Tm = M.shape[1]
            dKV = np.empty((B, Tm, 2, self.n_heads, self.d_head), dtype=X.dtype)
            dKV[:, :, 0] = dK.transpose(0, 2, 1, 3)
            dKV[:, :, 1] = dV.transpose(0, 2, 1, 3)
            dKV2 = dKV.reshape(-1, 2 * d)
            X2, M2 = X.reshape(-1, d), M.reshape(-1, d)
            self.grads["W_qkv"][:, :d] += X2.T @ dQ2
            self.grads["W_qkv"][:, d:] += M2.T @ dKV2
            self.grads["b_qkv"][:d] += dQ2.sum(axis=0)
            self.grads["b_qkv"][d:] += dKV2.sum(axis=0)
            if not input_grad:
                return None
            dX = (dQ2 @ W[:, :d].T).reshape(B, T, d)
            dM = (dKV2 @ W[:, d:].T).reshape(B, Tm, d)
            return dX, dM
        dQKV = np.empty((B, T, 3, self.n_heads, self.d_head), dtype=X.dtype)
        dQKV[:, :, 0] = dQ.transpose(0, 2, 1, 3)
        dQKV[:, :, 1] = dK.transpose(0, 2, 1, 3)
        dQKV[:, :, 2] = dV.transpose(0, 2, 1, 3)
        dQKV2 = dQKV.reshape(-1, 3 * d)
        self.grads["W_qkv"] += X.reshape(-1, d).T @ dQKV2
        self.grads["b_qkv"] += dQKV2.sum(axis=0)
        return (dQKV2 @ W.T).reshape(B, T, d) if input_grad else None

    def extra_repr(self) -> str:
        return (f"d_model={self.d_model}, n_heads={self.n_heads}, "
                f"causal={self.causal}, rope={self.rope}")
