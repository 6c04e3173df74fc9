"""Transformer blocks, encoder, decoder, an encoder-decoder and a GPT.

A block keeps a *residual stream* X (batch, T, d_model) and adds to it what each
sub-layer computes. Pre-LN (Xiong et al., 2020; GPT-2) normalises before each
sub-layer, post-LN (Vaswani et al., 2017) after each residual sum:

    pre-LN:   X <- X + MHA(LN(X)),      X <- X + FFN(LN(X))
    post-LN:  X <- LN(X + MHA(X)),      X <- LN(X + FFN(X))

A decoder block adds cross-attention to the encoder's output between the two. The
backward passes undo the forward calls in reverse order; every residual sum passes its
gradient to both branches. Derived in :doc:`/book/transformers/transformer` (blocks,
encoder-decoder) and :doc:`/book/transformers/gpt` (GPT, sampling, the key-value cache).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_float, check_int, check_rng, check_type
from ..nn.attention import MultiHeadAttention, sinusoidal_positions
from ..nn.embedding import Embedding
from ..nn.layers import Dense
from ..nn.losses import Loss
from ..nn.module import Module, Sequential, no_grad
from ..nn.normalization import LayerNorm

__all__ = [
    "TokenCrossEntropyLoss", "FeedForward", "TransformerBlock", "TransformerEncoder",
    "TransformerDecoder", "Seq2SeqTransformer", "GPT", "sample_logits",
    "mask_tokens", "MaskedLM", "patchify", "ViT", "hungarian_match",
    "chinchilla_allocation",
]


# --- a loss over token sequences ------------------------------------------------------


class TokenCrossEntropyLoss(Loss):
    """Mean softmax cross-entropy over every token of a batch of sequences.

    ``outputs``: logits (batch, T, n_vocab) (or (N, n_vocab)); ``targets``: integer ids
    (batch, T) (or (N,)). Targets equal to ``ignore_index`` (padding, or the unmasked
    positions of BERT) contribute neither to the loss nor to the gradient. The loss is
    the mean over the counted tokens, so dL/dz = (softmax(z) - onehot(y)) / n_counted.
    ``correct`` returns the token accuracy times the batch size, so that
    :func:`~nnbook.train.fit` reports the token accuracy as "acc". Derived in
    :doc:`/book/transformers/attention`.
    """

    def __init__(self, ignore_index: int | None = None) -> None:
        self.ignore_index = ignore_index

    def _flat(self, outputs: Any, targets: Any) -> tuple[np.ndarray, np.ndarray,
                                                         np.ndarray]:
        Z = np.asarray(outputs)
        y = np.asarray(targets)
        if Z.ndim < 2 or Z.shape[:-1] != y.shape:
            raise ValueError(f"targets must have shape {Z.shape[:-1]} to match logits "
                             f"{Z.shape}; got {y.shape}")
        if y.dtype.kind not in "iu":
            raise TypeError(f"targets must be integer token ids; got dtype {y.dtype}")
        Z2, y2 = Z.reshape(-1, Z.shape[-1]), y.reshape(-1)
        keep = (y2 != self.ignore_index) if self.ignore_index is not None else \
            np.ones(y2.shape, bool)
        if not keep.any():
            raise ValueError("every target is ignore_index: nothing to score")
        yk = y2[keep]
        if yk.min() < 0 or yk.max() >= Z.shape[-1]:
            raise ValueError(f"targets must lie in [0, {Z.shape[-1]}); got values from "
                             f"{yk.min()} to {yk.max()}")
        return Z2, np.where(keep, y2, 0), keep

    def __call__(self, outputs: Any, targets: Any) -> tuple[float, np.ndarray]:
        Z2, y2, keep = self._flat(outputs, targets)
        n = int(keep.sum())
        m = Z2.max(axis=1, keepdims=True)
        P = Z2 - m
        np.exp(P, out=P)
        s = P.sum(axis=1, keepdims=True)
        rows = np.arange(Z2.shape[0])
        # -log p_y = log sum_j exp(z_j - m) - (z_y - m), over the counted tokens
        nll = np.log(s[:, 0]) - (Z2[rows, y2] - m[:, 0])
        value = float(nll[keep].sum() / n)
        P /= s                                           # softmax(z)
        P[rows, y2] -= 1.0                               # softmax(z) - onehot(y)
        P *= (keep / n).astype(P.dtype)[:, None]         # mean over counted tokens
        return value, P.reshape(np.shape(outputs))

    def correct(self, outputs: Any, targets: Any) -> float:
        """Token accuracy over the counted tokens, times the number of sequences."""
        Z2, y2, keep = self._flat(outputs, targets)
        hits = (np.argmax(Z2, axis=1) == y2) & keep
        n_seq = np.asarray(targets).shape[0]
        return float(hits.sum() / keep.sum() * n_seq)

    def __repr__(self) -> str:
        return f"TokenCrossEntropyLoss(ignore_index={self.ignore_index})"


# --- building blocks ------------------------------------------------------------------


class _TokenLayerNorm(LayerNorm):
    """LayerNorm over the last axis of a (..., d) array (one token at a time)."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        shape = np.shape(X)
        return super().forward(np.reshape(X, (-1, shape[-1]))).reshape(shape)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        dX = super().backward(dY.reshape(-1, dY.shape[-1]), input_grad)
        return None if dX is None else dX.reshape(dY.shape)


class _GELUTanh(Module):
    """GELU in the tanh approximation of GPT-2, y = z/2 (1 + tanh(u)),
    u = sqrt(2/pi) (z + 0.044715 z^3); caches tanh(u) so that the backward pass,
    dz = dy (1/2 (1 + t) + z/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2)), needs no
    second tanh. Same values as :func:`~nnbook.nn.activations.gelu_tanh`."""

    _C = math.sqrt(2.0 / math.pi)

    def forward(self, Z: np.ndarray) -> np.ndarray:
        c = Z.dtype.type(self._C)
        Z2 = Z * Z
        U = Z2 * Z.dtype.type(0.044715)
        U += 1.0
        U *= Z
        U *= c
        np.tanh(U, out=U)                              # t = tanh(u)
        self._save(Z, U, Z2)
        Y = U + 1.0
        Y *= Z
        Y *= 0.5
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        Z, t, Z2 = self._saved()
        c = Z.dtype.type(self._C)
        G = Z2 * Z.dtype.type(3 * 0.044715)
        G += 1.0
        G *= c
        G *= Z
        G *= 1.0 - t * t                               # z (1 - t^2) du/dz
        G += 1.0 + t
        G *= 0.5
        G *= dY
        return G


class FeedForward(Sequential):
    """The position-wise feed-forward network: FFN(x) = GELU(x W_1 + b_1) W_2 + b_2,
    applied to every token alone, with GELU in its tanh approximation (as in GPT-2).
    ``W_1``: (d_model, d_ff), ``W_2``: (d_ff, d_model). Derived in
    :doc:`/book/transformers/transformer`."""

    def __init__(self, d_model: int, d_ff: int, rng: np.random.Generator,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__([Dense(d_model, d_ff, rng, init="he", dtype=dtype),
                          _GELUTanh(),
                          Dense(d_ff, d_model, rng, init="xavier", dtype=dtype)])

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Backward through the two layers and the activation; returns dX."""
        return super().backward(dY, input_grad)


class TransformerBlock(Module):
    """One transformer block on a residual stream X (batch, T, d_model).

    Sub-layers: self-attention (``causal`` for a decoder), cross-attention to
    ``memory`` (when ``cross=True``), and a feed-forward network, each wrapped in a
    residual connection with a LayerNorm before (``pre_ln=True``) or after it.
    ``forward(X, memory=None, mask=None, memory_mask=None, kv_cache=None)``: ``mask``
    restricts self-attention, ``memory_mask`` cross-attention (boolean, True = may
    attend). ``backward(dY)`` returns dX, or (dX, dmemory) with cross-attention.
    Derived in :doc:`/book/transformers/transformer`.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, rng: np.random.Generator,
                 *, causal: bool = False, cross: bool = False, pre_ln: bool = True,
                 rope: bool = False, dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.cross = check_type(cross, bool, "cross")
        self.pre_ln = check_type(pre_ln, bool, "pre_ln")
        self.attn = MultiHeadAttention(d_model, n_heads, rng, causal=causal, rope=rope,
                                       dtype=dtype)
        self.ln1 = _TokenLayerNorm(d_model, dtype=dtype)
        if cross:
            self.cross_attn = MultiHeadAttention(d_model, n_heads, rng, dtype=dtype)
            self.ln_cross = _TokenLayerNorm(d_model, dtype=dtype)
        self.ffn = FeedForward(d_model, check_int(d_ff, "d_ff"), rng, dtype=dtype)
        self.ln2 = _TokenLayerNorm(d_model, dtype=dtype)

    def forward(self, X: np.ndarray, memory: np.ndarray | None = None,
                mask: np.ndarray | None = None, memory_mask: np.ndarray | None = None,
                kv_cache: dict[str, Any] | None = None) -> np.ndarray:
        """The block's output, of the shape of X; caches for backward."""
        if self.cross and memory is None:
            raise ValueError("this block has cross-attention: pass memory")
        attn = self.attn
        if self.pre_ln:
            X = X + attn(self.ln1(X), mask=mask, kv_cache=kv_cache)
            if self.cross:
                X = X + self.cross_attn(self.ln_cross(X), memory, memory_mask)
            return X + self.ffn(self.ln2(X))
        X = self.ln1(X + attn(X, mask=mask, kv_cache=kv_cache))
        if self.cross:
            X = self.ln_cross(X + self.cross_attn(X, memory, memory_mask))
        return self.ln2(X + self.ffn(X))

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """Reverse the sub-layers; each residual sum sends dY to both branches."""
        dM = None
        if self.pre_ln:
            dX = dY + self.ln2.backward(self.ffn.backward(dY))
            if self.cross:
                dC, dM = self.cross_attn.backward(dX)
                dX = dX + self.ln_cross.backward(dC)
            dX = dX + self.ln1.backward(self.attn.backward(dX))
        else:
            dZ = self.ln2.backward(dY)
            dX = dZ + self.ffn.backward(dZ)
            if self.cross:
                dZ = self.ln_cross.backward(dX)
                dC, dM = self.cross_attn.backward(dZ)
                dX = dZ + dC
            dZ = self.ln1.backward(dX)
            dX = dZ + self.attn.backward(dZ)
        return (dX, dM) if self.cross else dX


class TransformerEncoder(Module):
    """``n_layers`` bidirectional blocks (plus a final LayerNorm when pre-LN).
    ``forward(X, mask=None)``: X (batch, T, d_model), ``mask`` a padding mask
    (batch, 1, T). Derived in :doc:`/book/transformers/transformer`."""

    def __init__(self, n_layers: int, d_model: int, n_heads: int, d_ff: int,
                 rng: np.random.Generator, *, pre_ln: bool = True,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        n = check_int(n_layers, "n_layers")
        self.blocks = [TransformerBlock(d_model, n_heads, d_ff, rng, pre_ln=pre_ln,
                                        dtype=dtype) for _ in range(n)]
        self.pre_ln = pre_ln
        if pre_ln:
            self.ln_f = _TokenLayerNorm(d_model, dtype=dtype)

    def forward(self, X: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Run the blocks in order."""
        for block in self.blocks:
            X = block(X, mask=mask)
        return self.ln_f(X) if self.pre_ln else X

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray:
        """Backward through the blocks in reverse order; returns dX."""
        if self.pre_ln:
            dY = self.ln_f.backward(dY)
        for block in reversed(self.blocks):
            dY = block.backward(dY)
        return dY


class TransformerDecoder(Module):
    """``n_layers`` causal blocks with cross-attention to the encoder's output.
    ``forward(X, memory, memory_mask=None)``; ``backward`` returns (dX, dmemory), the
    memory's gradient summed over the layers that read it. Derived in
    :doc:`/book/transformers/transformer`."""

    def __init__(self, n_layers: int, d_model: int, n_heads: int, d_ff: int,
                 rng: np.random.Generator, *, pre_ln: bool = True,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        n = check_int(n_layers, "n_layers")
        self.blocks = [TransformerBlock(d_model, n_heads, d_ff, rng, causal=True,
                                        cross=True, pre_ln=pre_ln, dtype=dtype)
                       for _ in range(n)]
        self.pre_ln = pre_ln
        if pre_ln:
            self.ln_f = _TokenLayerNorm(d_model, dtype=dtype)

    def forward(self, X: np.ndarray, memory: np.ndarray,
                memory_mask: np.ndarray | None = None) -> np.ndarray:
        """Run the blocks in order, each reading ``memory``."""
        for block in self.blocks:
            X = block(X, memory, memory_mask=memory_mask)
        return self.ln_f(X) if self.pre_ln else X

    def backward(self, dY: np.ndarray, input_grad: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Returns (dX, dmemory)."""
        if self.pre_ln:
            dY = self.ln_f.backward(dY)
        dM_total: np.ndarray | None = None
        for block in reversed(self.blocks):
            dY, dM = block.backward(dY)
            dM_total = dM if dM_total is None else dM_total + dM
        assert dM_total is not None
        return dY, dM_total


# --- the encoder-decoder --------------------------------------------------------------


class Seq2SeqTransformer(Module):
    """The encoder-decoder transformer of Vaswani et al. (2017), small.

    ``forward(src, tgt_in)``: source ids (batch, T_s) and the shifted target ids
    (batch, T_t) (beginning-of-sequence first) -> logits (batch, T_t, n_tgt_vocab).
    Token embeddings are scaled by sqrt(d_model) and added to sinusoidal positions;
    source positions equal to ``pad_id`` are masked in the encoder's self-attention and
    in the decoder's cross-attention. Derived in :doc:`/book/transformers/transformer`.
    """

    def __init__(self, n_src_vocab: int, n_tgt_vocab: int, d_model: int, n_heads: int,
                 n_layers: int, d_ff: int, max_len: int, rng: np.random.Generator, *,
                 pad_id: int | None = None, pre_ln: bool = True,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.d_model = check_int(d_model, "d_model")
        self.max_len = check_int(max_len, "max_len")
        self.pad_id = pad_id
        std = 1.0 / self.d_model
        self.src_emb = Embedding(n_src_vocab, d_model, rng, std=math.sqrt(std),
                                 dtype=dtype)
        self.tgt_emb = Embedding(n_tgt_vocab, d_model, rng, std=math.sqrt(std),
                                 dtype=dtype)
        self.add_buffer("positions", sinusoidal_positions(self.max_len, d_model,
                                                          dtype=dtype))
        self.encoder = TransformerEncoder(n_layers, d_model, n_heads, d_ff, rng,
                                          pre_ln=pre_ln, dtype=dtype)
        self.decoder = TransformerDecoder(n_layers, d_model, n_heads, d_ff, rng,
                                          pre_ln=pre_ln, dtype=dtype)
        self.head = Dense(d_model, n_tgt_vocab, rng, init="xavier", dtype=dtype)

    def _embed(self, emb: Embedding, ids: np.ndarray) -> np.ndarray:
        T = ids.shape[1]
        if self.max_len < T:
            raise ValueError(f"sequences must have at most max_len={self.max_len} "
                             f"tokens; got {T}")
        E = emb(ids) * math.sqrt(self.d_model)
        return E + self.buffers["positions"][:T]

    def source_mask(self, src: np.ndarray) -> np.ndarray | None:
        """(batch, 1, T_s) boolean, False at padding; None without ``pad_id``."""
        return None if self.pad_id is None else (src != self.pad_id)[:, None, :]

    def forward(self, src: np.ndarray, tgt_in: np.ndarray) -> np.ndarray:
        """Encode the source, decode the target prefix; logits (batch, T_t, V_t)."""
        src, tgt_in = np.asarray(src), np.asarray(tgt_in)
        mask = self.source_mask(src)
        memory = self.encoder(self._embed(self.src_emb, src), mask)
        H = self.decoder(self._embed(self.tgt_emb, tgt_in), memory, mask)
        return self.head(H)

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> None:
        """Head, decoder (giving the memory's gradient), encoder, embeddings."""
        dH: Any = self.head.backward(dZ)
        dX_t, dM = self.decoder.backward(dH)
        self.tgt_emb.backward(dX_t * math.sqrt(self.d_model))
        dX_s = self.encoder.backward(dM)
        self.src_emb.backward(dX_s * math.sqrt(self.d_model))
        return None

    def greedy_decode(self, src: np.ndarray, bos_id: int, length: int) -> np.ndarray:
        """Generate ``length`` tokens after ``bos_id``, each the argmax given the
        source and the tokens so far. Returns (batch, length) ids."""
        check_int(length, "length")
        src = np.asarray(src)
        out = np.full((src.shape[0], 1), bos_id, dtype=np.int64)
        with no_grad():
            mask = self.source_mask(src)
            memory = self.encoder(self._embed(self.src_emb, src), mask)
            for _ in range(length):
                H = self.decoder(self._embed(self.tgt_emb, out), memory, mask)
                nxt = np.argmax(self.head(H[:, -1]), axis=-1)
                out = np.concatenate([out, nxt[:, None]], axis=1)
        return out[:, 1:]


# --- GPT ------------------------------------------------------------------------------


def sample_logits(logits: np.ndarray, rng: np.random.Generator,
                  temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Draw one token per row from softmax(logits / temperature), keeping only the
    ``top_k`` largest logits when given (top_k=1 is greedy decoding).

    ``logits``: (batch, n_vocab). Returns (batch,) int64. A temperature below 1
    sharpens the distribution, above 1 flattens it. Derived in
    :doc:`/book/transformers/gpt`.
    """
    check_rng(rng)
    t = check_float(temperature, "temperature", low=0.0, low_open=True)
    Z = np.asarray(logits, dtype=np.float64) / t
    if Z.ndim != 2:
        raise ValueError(f"logits must have shape (batch, n_vocab); got {Z.shape}")
    if top_k is not None:
        k = check_int(top_k, "top_k", maximum=Z.shape[1])
        kth = np.partition(Z, -k, axis=1)[:, -k][:, None]
        Z = np.where(kth <= Z, Z, -np.inf)                # keep the k largest
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    u = rng.random((Z.shape[0], 1))
    idx = (P.cumsum(axis=1) < u).sum(axis=1)              # inverse-CDF sampling
    return np.minimum(idx, Z.shape[1] - 1).astype(np.int64)


class GPT(Module):
    """A decoder-only transformer language model (Radford et al., 2018, 2019).

    ``forward(ids)``: (batch, T) token ids -> logits (batch, T, n_vocab) for the next
    token at every position. Token embeddings plus ``positions`` ("learned",
    "sinusoidal" or "rope"), ``n_layers`` causal pre-LN blocks, a final LayerNorm and
    the output layer, which with ``tie_embeddings=True`` is the token embedding itself
    (logits = H W_E^T): one matrix whose gradient is the sum of its two uses.
    :meth:`generate` samples with temperature and top-k, with or without a key-value
    cache. Derived in :doc:`/book/transformers/gpt`.
    """

    def __init__(self, n_vocab: int, d_model: int, n_heads: int, n_layers: int,
                 d_ff: int, max_len: int, rng: np.random.Generator, *,
                 tie_embeddings: bool = True, positions: str = "learned",
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        if positions not in ("learned", "sinusoidal", "rope"):
            raise ValueError(f"positions must be 'learned', 'sinusoidal' or 'rope'; "
                             f"got {positions!r}")
        self.n_vocab = check_int(n_vocab, "n_vocab")
        self.d_model = check_int(d_model, "d_model")
        self.max_len = check_int(max_len, "max_len")
        self.positions = positions
        self.tie_embeddings = check_type(tie_embeddings, bool, "tie_embeddings")
        # std 1/sqrt(d): tied logits H W^T of a layer-normed H start with unit scale
        self.tok_emb = Embedding(n_vocab, d_model, rng, dtype=dtype)
        if positions == "learned":
            self.pos_emb = Embedding(max_len, d_model, rng, std=0.02, dtype=dtype)
        elif positions == "sinusoidal":
            self.add_buffer("pe", sinusoidal_positions(max_len, d_model, dtype=dtype))
        self.blocks = [TransformerBlock(d_model, n_heads, d_ff, rng, causal=True,
                                        rope=positions == "rope", dtype=dtype)
                       for _ in range(check_int(n_layers, "n_layers"))]
        self.ln_f = _TokenLayerNorm(d_model, dtype=dtype)
        if not tie_embeddings:
            self.head = Dense(d_model, n_vocab, rng, init="xavier", dtype=dtype)

    def _embed(self, ids: np.ndarray, start: int) -> np.ndarray:
        T = ids.shape[1]
        if start + T > self.max_len:
            raise ValueError(f"positions up to {start + T} exceed max_len="
                             f"{self.max_len}")
        X = self.tok_emb(ids)
        if self.positions == "learned":
            X = X + self.pos_emb(np.arange(start, start + T))
        elif self.positions == "sinusoidal":
            X = X + self.buffers["pe"][start:start + T]
        return X

    def _logits(self, H: np.ndarray) -> np.ndarray:
        H = self.ln_f(H)
        return self.tok_emb.attend(H) if self.tie_embeddings else self.head(H)

    def forward(self, ids: np.ndarray, kv_caches: list[dict[str, Any]] | None = None
                ) -> np.ndarray:
        """Logits (batch, T, n_vocab). With ``kv_caches`` (one dict per block, inside
        :func:`~nnbook.nn.module.no_grad`), ``ids`` continue the cached sequence."""
        ids = np.asarray(ids)
        if ids.ndim != 2:
            raise ValueError(f"ids must have shape (batch, T); got {ids.shape}")
        start = 0
        if kv_caches is not None:
            if len(kv_caches) != len(self.blocks):
                raise ValueError(f"kv_caches must hold one dict per block "
                                 f"({len(self.blocks)}); got {len(kv_caches)}")
            c0 = kv_caches[0]
            start = c0["K"].shape[2] if "K" in c0 else 0
        X = self._embed(ids, start)
        for i, block in enumerate(self.blocks):
            X = block(X, kv_cache=None if kv_caches is None else kv_caches[i])
        return self._logits(X)

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> None:
        """Output layer, blocks in reverse, embeddings; the tied matrix receives both
        gradients (the output's first, then the lookup's)."""
        dH: Any
        if self.tie_embeddings:
            dH = self.tok_emb.attend_backward(dZ)
        else:
            dH = self.head.backward(dZ)
        dX = self.ln_f.backward(dH)
        for block in reversed(self.blocks):
            dX = block.backward(dX)
        if self.positions == "learned":
            self.pos_emb.backward(dX.sum(axis=0))
        self.tok_emb.backward(dX)
        return None

    def generate(self, ids: np.ndarray, n_new: int, rng: np.random.Generator, *,
                 temperature: float = 1.0, top_k: int | None = None,
                 use_cache: bool = True) -> np.ndarray:
        """Append ``n_new`` sampled tokens to ``ids`` (batch, T0); returns
        (batch, T0 + n_new). With ``use_cache`` each step feeds only the newest token
        and reuses every earlier key and value; without it each step recomputes the
        whole (cropped) context. The total length must fit in ``max_len`` with the
        cache."""
        ids = np.asarray(ids, dtype=np.int64)
        n_new = check_int(n_new, "n_new")
        check_type(use_cache, bool, "use_cache")
        with no_grad():
            if use_cache:
                caches: list[dict[str, Any]] = [{} for _ in self.blocks]
                Z = self.forward(ids, caches)[:, -1]
                for i in range(n_new):
                    nxt = sample_logits(Z, rng, temperature, top_k)
                    ids = np.concatenate([ids, nxt[:, None]], axis=1)
                    if i < n_new - 1:
                        Z = self.forward(ids[:, -1:], caches)[:, -1]
            else:
                for _ in range(n_new):
                    Z = self.forward(ids[:, -self.max_len:])[:, -1]
                    nxt = sample_logits(Z, rng, temperature, top_k)
                    ids = np.concatenate([ids, nxt[:, None]], axis=1)
        return ids


# --- the families: BERT, ViT, DETR; scaling -------------------------------------------


def mask_tokens(ids: np.ndarray, rng: np.random.Generator, mask_id: int, n_vocab: int,
                p: float = 0.15, ignore_index: int = -100
                ) -> tuple[np.ndarray, np.ndarray]:
    """BERT's masked-language-model corruption (Devlin et al., 2019).

    Each position is selected with probability ``p``; a selected token is replaced by
    ``mask_id`` (80%), by a random token (10%) or kept (10%). Returns ``(inputs,
    targets)`` of the shape of ``ids``: the corrupted ids, and the original ids at the
    selected positions with ``ignore_index`` elsewhere (only selected positions are
    scored). Derived in :doc:`/book/transformers/families-and-scaling`.
    """
    check_rng(rng)
    ids = np.asarray(ids)
    p = check_float(p, "p", low=0.0, high=1.0, low_open=True)
    chosen = rng.random(ids.shape) < p
    u = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[chosen & (u < 0.8)] = mask_id
    swap = chosen & (u >= 0.8) & (u < 0.9)
    inputs[swap] = rng.integers(0, n_vocab, int(swap.sum()))
    targets = np.where(chosen, ids, ignore_index)
    return inputs, targets


class MaskedLM(Module):
    """A BERT-style bidirectional encoder with a tied output layer: token plus learned
    position embeddings, a pre-LN :class:`TransformerEncoder` and logits H E^T at every
    position. ``forward(ids)`` (batch, T) -> (batch, T, n_vocab). Derived in
    :doc:`/book/transformers/families-and-scaling`."""

    def __init__(self, n_vocab: int, d_model: int, n_heads: int, n_layers: int,
                 d_ff: int, max_len: int, rng: np.random.Generator,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.tok_emb = Embedding(n_vocab, d_model, rng, dtype=dtype)
        self.pos_emb = Embedding(check_int(max_len, "max_len"), d_model, rng, std=0.02,
                                 dtype=dtype)
        self.encoder = TransformerEncoder(n_layers, d_model, n_heads, d_ff, rng,
                                          dtype=dtype)

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """Logits for every position, each computed from the whole sequence."""
        ids = np.asarray(ids)
        X = self.tok_emb(ids) + self.pos_emb(np.arange(ids.shape[1]))
        return self.tok_emb.attend(self.encoder(X))

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> None:
        """Tied output, encoder, position and token embeddings."""
        dH: Any = self.tok_emb.attend_backward(dZ)
        dX = self.encoder.backward(dH)
        self.pos_emb.backward(dX.sum(axis=0))
        self.tok_emb.backward(dX)
        return None


def patchify(images: np.ndarray, patch: int) -> np.ndarray:
    """Cut square images (batch, H, W) into non-overlapping patch x patch squares,
    flattened: (batch, (H / patch) * (W / patch), patch * patch), row-major order.
    Derived in :doc:`/book/transformers/families-and-scaling`."""
    X = np.asarray(images)
    patch = check_int(patch, "patch")
    if X.ndim != 3 or X.shape[1] % patch or X.shape[2] % patch:
        raise ValueError(f"images must have shape (batch, H, W) with H and W multiples "
                         f"of patch={patch}; got {X.shape}")
    B, H, W = X.shape
    P = X.reshape(B, H // patch, patch, W // patch, patch).transpose(0, 1, 3, 2, 4)
    return P.reshape(B, (H // patch) * (W // patch), patch * patch)


class ViT(Module):
    """A small vision transformer (Dosovitskiy et al., 2021): images (batch, H, W) are
    cut into patches, each linearly embedded; a learned class token is prepended,
    learned positions added, a :class:`TransformerEncoder` applied, and the class
    token's final vector classified. ``forward(images)`` -> logits (batch, n_classes).
    Derived in :doc:`/book/transformers/families-and-scaling`."""

    def __init__(self, image_size: int, patch: int, n_classes: int, d_model: int,
                 n_heads: int, n_layers: int, d_ff: int, rng: np.random.Generator,
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        self.patch = check_int(patch, "patch")
        n_patches = (check_int(image_size, "image_size") // self.patch) ** 2
        dt = np.dtype(dtype)
        self.embed = Dense(self.patch * self.patch, d_model, rng, init="xavier",
                           dtype=dt)
        self.add_param("cls", (rng.standard_normal(d_model) * 0.02).astype(dt))
        self.add_param("pos", (rng.standard_normal((n_patches + 1, d_model)) * 0.02
                               ).astype(dt))
        self.encoder = TransformerEncoder(n_layers, d_model, n_heads, d_ff, rng,
                                          dtype=dt)
        self.head = Dense(d_model, check_int(n_classes, "n_classes"), rng,
                          init="xavier", dtype=dt)

    def forward(self, images: np.ndarray) -> np.ndarray:
        """Logits (batch, n_classes) from the class token."""
        P = patchify(images, self.patch).astype(self.params["pos"].dtype, copy=False)
        E = self.embed(P)                                        # (B, n_patches, d)
        cls = np.broadcast_to(self.params["cls"], (E.shape[0], 1, E.shape[2]))
        X = np.concatenate([cls, E], axis=1) + self.params["pos"]
        H = self.encoder(X)
        self._save(H.shape, np.shape(images))
        return self.head(H[:, 0])

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Head, encoder, then the class token, positions and patch embedding; returns
        dL/dimages (the patches folded back) or None."""
        shape, (B, H, W) = self._saved()
        dH = np.zeros(shape, dtype=self.params["pos"].dtype)
        dH[:, 0] = self.head.backward(dZ)
        dX = self.encoder.backward(dH)
        self.grads["pos"] += dX.sum(axis=0)
        self.grads["cls"] += dX[:, 0].sum(axis=0)
        dP = self.embed.backward(dX[:, 1:], input_grad=input_grad)
        if dP is None:
            return None
        p = self.patch
        dP = dP.reshape(B, H // p, W // p, p, p).transpose(0, 1, 3, 2, 4)
        return dP.reshape(B, H, W)


def hungarian_match(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimum-cost assignment (Kuhn, 1955) by shortest augmenting paths with
    potentials, O(n^2 m). ``cost``: (n, m) with n <= m; every row is matched to a
    distinct column. Returns ``(rows, cols)``, with rows = 0..n-1, minimising
    sum cost[rows, cols]. DETR uses it to pair predictions with ground-truth objects.
    Derived in :doc:`/book/transformers/families-and-scaling`."""
    C = np.asarray(cost, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] > C.shape[1] or C.size == 0:
        raise ValueError(f"cost must be a non-empty (n, m) array with n <= m; "
                         f"got shape {C.shape}")
    if not np.isfinite(C).all():
        raise ValueError("cost must be finite; got NaN or inf")
    n, m = C.shape
    u, v = np.zeros(n + 1), np.zeros(m + 1)        # potentials (1-based, 0 = virtual)
    match = np.zeros(m + 1, dtype=np.int64)        # match[j] = row matched to column j
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):                      # add row i, augment along a shortest
        match[0] = i                               # path of reduced costs (Dijkstra)
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = match[j0]
            free = ~used[1:]
            reduced = C[i0 - 1] - u[i0] - v[1:]
            better = free & (reduced < minv[1:])
            minv[1:][better] = reduced[better]
            way[1:][better] = j0
            cand = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(cand)) + 1
            delta = cand[j1 - 1]
            u[match[used]] += delta                # update the potentials
            v[used] -= delta
            minv[1:][free] -= delta
            j0 = j1
            if match[j0] == 0:
                break
        while j0:                                  # flip the augmenting path
            j1 = way[j0]
            match[j0] = match[j1]
            j0 = j1
    cols = np.zeros(n, dtype=np.int64)
    for j in range(1, m + 1):
        if match[j]:
            cols[match[j] - 1] = j - 1
    return np.arange(n), cols


def chinchilla_allocation(C: float, A: float = 406.4, B: float = 410.7,
                          alpha: float = 0.34, beta: float = 0.28
                          ) -> tuple[float, float]:
    """Compute-optimal parameters N and tokens D for a budget of C FLOPs, C = 6 N D,
    under the loss L(N, D) = E + A / N^alpha + B / D^beta (the fit of Hoffmann et al.,
    2022, by default):

        N* = G (C / 6)^(beta / (alpha + beta)),
        D* = (C / 6)^(alpha / (alpha + beta)) / G,
        G = (alpha A / (beta B))^(1 / (alpha + beta)).

    Returns ``(N*, D*)``. Derived in :doc:`/book/transformers/families-and-scaling`."""
    C = check_float(C, "C", low=0.0, low_open=True)
    for name, x in (("A", A), ("B", B), ("alpha", alpha), ("beta", beta)):
        check_float(x, name, low=0.0, low_open=True)
    G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    N = G * (C / 6.0) ** (beta / (alpha + beta))
    return N, C / (6.0 * N)
