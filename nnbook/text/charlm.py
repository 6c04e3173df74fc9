"""A character-level LSTM language model, its training loop, evaluation and sampling.

One-hot characters -> :class:`~nnbook.nn.recurrent.LSTM` ->
:class:`~nnbook.nn.layers.Dense` -> logits over the vocabulary at every position.
Trained with teacher forcing and truncated backpropagation through time
(:func:`train_char_lm`), evaluated in bits per character on held-out text
(:func:`char_lm_probs` with :func:`~nnbook.text.ngram.bits_per_char`), and sampled at a
temperature (:func:`sample_text`). Used in :doc:`/book/rnn/language-models`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    check_int,
    check_positive,
    check_rng,
    check_type,
)
from ..data.datasets import one_hot
from ..nn.layers import Dense
from ..nn.module import Module, no_grad
from ..nn.recurrent import LSTM
from ..optim.adaptive import Adam
from ..optim.clipping import clip_by_global_norm
from ..optim.schedules import cosine_annealing
from .vocab import CharVocab, batchify

__all__ = ["CharLSTM", "train_char_lm", "char_lm_probs", "sample_text"]


class CharLSTM(Module):
    """Character language model: logits Z[:, t] = Dense(LSTM(one_hot(ids))[:, t]).

    ``CharLSTM(vocab_size, hidden_size, rng, dtype=np.float32)``; ``forward(ids,
    h0=None, c0=None, return_state=False)``: ``ids`` (batch, T) int -> logits (batch, T,
    V) (and the final LSTM state with ``return_state``). ``backward(dZ)`` fills the
    gradients; the ids have none. Derived in :doc:`/book/rnn/language-models`.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        rng: np.random.Generator,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
        self.hidden_size = check_int(hidden_size, "hidden_size")
        check_rng(rng)
        self.lstm = LSTM(self.vocab_size, self.hidden_size, rng, dtype=dtype)
        self.head = Dense(
            self.hidden_size, self.vocab_size, rng, init="xavier", dtype=dtype
        )

    def forward(
        self,
        ids: np.ndarray,
        h0: np.ndarray | None = None,
        c0: np.ndarray | None = None,
        return_state: bool = False,
    ) -> Any:
        """Logits (batch, T, V), or (logits, h_T, c_T) with ``return_state``."""
        arr = np.asarray(ids) if not isinstance(ids, (str, bytes)) else np.asarray([])
        if arr.dtype.kind not in "iu":
            raise ArgumentTypeError(
                "ids must be an integer array of token ids (batch, T); "
                f"got dtype {arr.dtype}"
            )
        if arr.ndim != 2:
            raise ValueError(
                f"ids must be a 2-D array (batch, T); got shape {arr.shape}"
            )
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            raise ValueError(
                f"ids must lie in [0, {self.vocab_size}); got values from "
                f"{arr.min()} to {arr.max()}"
            )
        check_type(return_state, bool, "return_state")
        X = one_hot(arr, self.vocab_size, dtype=self.dtype)
        Y, h, c = self.lstm(X, h0, c0, return_state=True)
        Z = self.head(Y)
        return (Z, h, c) if return_state else Z

    def backward(self, dZ: np.ndarray, input_grad: bool = True) -> None:
        """Backpropagation through the head and through time; returns None (ids)."""
        self.lstm.backward(self.head.backward(dZ), input_grad=False)
        return None


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=-1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=-1, keepdims=True))


def train_char_lm(
    model: CharLSTM,
    ids: np.ndarray,
    *,
    updates: int,
    batch_size: int = 32,
    seq_len: int = 32,
    lr: float = 1e-2,
    clip_norm: float = 1.0,
    rng: np.random.Generator,
    callback: Callable[[int, float], Any] | None = None,
) -> list[float]:
    """Train by truncated BPTT with teacher forcing; returns the loss of every update in
    bits per character.

    The stream is cut by :func:`~nnbook.text.vocab.batchify` into ``batch_size`` rows
    and windows of ``seq_len``; each update is one window of every row, and the LSTM
    state is carried from window to window (the backward pass stops at the window).
    Every pass over the stream starts at a random offset below ``seq_len`` and with a
    zero state. Adam with a cosine-annealed learning rate from ``lr`` to 0 over
    ``updates`` steps, the global gradient norm clipped to ``clip_norm``.
    ``callback(update, loss_bits)`` is called after each update.
    """
    check_type(model, CharLSTM, "model")
    updates = check_int(updates, "updates")
    check_rng(rng)
    lr = check_positive(lr, "lr")
    clip_norm = check_positive(clip_norm, "clip_norm")
    ids = np.asarray(ids)
    opt = Adam(lr)
    schedule = cosine_annealing(lr, updates)
    V = model.vocab_size
    losses: list[float] = []
    while len(losses) < updates:
        offset = int(rng.integers(0, seq_len))
        X, Y = batchify(ids[offset:], batch_size, seq_len)
        h = c = None
        for j in range(X.shape[0]):
            if len(losses) >= updates:
                break
            opt.lr = float(schedule(len(losses)))
            model.zero_grad()
            Z, h, c = model(X[j], h, c, return_state=True)
            logp = _log_softmax(Z.astype(np.float64))
            yj = Y[j]
            nll = -np.take_along_axis(logp, yj[..., None], axis=-1).mean()
            dZ = np.exp(logp)  # softmax
            np.put_along_axis(
                dZ,
                yj[..., None],
                np.take_along_axis(dZ, yj[..., None], axis=-1) - 1.0,
                axis=-1,
            )  # softmax - one_hot(y)
            dZ /= yj.size
            model.backward(dZ.astype(Z.dtype).reshape(Z.shape[:-1] + (V,)))
            grads, _ = clip_by_global_norm(model.gradients(), clip_norm)
            opt.step(model.parameters(), grads)
            losses.append(float(nll) / math.log(2.0))
            if callback is not None:
                callback(len(losses), losses[-1])
    return losses


def char_lm_probs(
    model: CharLSTM, ids: np.ndarray, n_rows: int = 16, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities the model gives to the true next characters of a held-out stream.

    The stream is cut into ``n_rows`` contiguous rows read in parallel (each from a zero
    state, in chunks of ``chunk`` steps with the state carried). Returns ``(p,
    positions)``: ``p[i]`` = P(ids[positions[i]] | everything before it in its row), for
    every position except the first of each row, so that another model (an n-gram) can
    be scored on exactly the same positions. Bits per character: ``bits_per_char(p)``.
    """
    check_type(model, CharLSTM, "model")
    ids = np.asarray(ids)
    R = check_int(n_rows, "n_rows")
    chunk = check_int(chunk, "chunk")
    L = (ids.size - 1) // R
    if L < 1:
        raise ValueError(f"ids must hold more than n_rows = {R} tokens; got {ids.size}")
    X = ids[: R * L].reshape(R, L)
    Y = ids[1 : R * L + 1].reshape(R, L)
    p = np.empty((R, L))
    h = c = None
    with no_grad():
        for s in range(0, L, chunk):
            Z, h, c = model(X[:, s : s + chunk], h, c, return_state=True)
            logp = _log_softmax(Z.astype(np.float64))
            p[:, s : s + chunk] = np.exp(
                np.take_along_axis(logp, Y[:, s : s + chunk, None], axis=-1)[..., 0]
            )
    positions = (np.arange(R)[:, None] * L + np.arange(L)[None, :] + 1).ravel()
    return p.ravel(), positions


def sample_text(
    model: CharLSTM,
    vocab: CharVocab,
    prompt: str,
    n_chars: int,
    temperature: float,
    rng: np.random.Generator,
) -> str:
    """Continue ``prompt`` by ``n_chars`` characters, each drawn from
    softmax(logits / temperature): below 1 sharper (more likely, more repetitive), above
    1 flatter (more surprising, more errors)."""
    check_type(model, CharLSTM, "model")
    n_chars = check_int(n_chars, "n_chars")
    T = check_positive(temperature, "temperature")
    check_rng(rng)
    ids = vocab.encode(prompt)
    if ids.size == 0:
        raise ValueError("prompt must hold at least one character; got an empty string")
    out: list[int] = []
    with no_grad():
        Z, h, c = model(ids[None, :], return_state=True)
        for _ in range(n_chars):
            z = Z[0, -1].astype(np.float64) / T
            q = np.exp(z - z.max())
            nxt = int(rng.choice(model.vocab_size, p=q / q.sum()))
            out.append(nxt)
            Z, h, c = model(np.array([[nxt]]), h, c, return_state=True)
    return vocab.decode(np.array(out, dtype=np.int64))
