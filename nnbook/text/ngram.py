"""n-gram language models with smoothing; perplexity and bits per character.

An n-gram model predicts the next token from the previous n - 1 by counting:

    P(w | h) = c(h w) / c(h .)

with ``c(h w)`` the number of times the n-gram ``h w`` occurs in the training stream and
``c(h .)`` the number of times the context ``h`` is followed by anything. A count of
zero would give probability zero and an infinite loss on held-out text, so the counts
are *smoothed* (Chen and Goodman, 1999):

* ``"add-k"`` (Lidstone; Laplace for k = 1): P(w | h) = (c(h w) + k) / (c(h .) + k V).
* ``"witten-bell"`` (Witten and Bell, 1991), interpolated with the model one order down:
  P_n(w | h) = (c(h w) + T(h) P_{n-1}(w | h')) / (c(h .) + T(h)), with T(h) the number
  of distinct tokens seen after h, h' the context without its oldest token and P_0 = 1 /
  V; an unseen context falls back to P_{n-1}.

The first n - 2 positions of a stream, which have a shorter history, use the model of
the order their history allows. Evaluation: :func:`bits_per_char` (the mean of -log2 of
the probabilities given to the true next characters) and :func:`perplexity` = 2^bits.
Derived in :doc:`/book/rnn/language-models`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    check_int,
    check_positive,
    check_rng,
    check_type,
)

__all__ = ["NGramLM", "bits_per_char", "perplexity", "nats_to_bits"]

SMOOTHINGS = ("add-k", "witten-bell")


def bits_per_char(p_true: Any) -> float:
    """Bits per character of a model on a text: -mean(log2 p_t), where ``p_t`` (any
    shape) is the probability the model gave to the character that actually came at
    position t.

    The cross-entropy of the text under the model, in bits; a model that spreads its
    probability uniformly over V characters scores log2 V. The evaluation metric of
    :doc:`/book/rnn/language-models`, shared with Part VI.
    """
    p = np.asarray(p_true, dtype=np.float64)
    if p.size == 0:
        raise ValueError("p_true must hold at least one probability; "
                         "got an empty array")
    if not (np.all(np.isfinite(p)) and np.all(p > 0) and np.all(p <= 1)):
        raise ValueError("p_true must hold probabilities in (0, 1]; got values outside "
                         f"(min {np.nanmin(p)}, max {np.nanmax(p)}) or NaN")
    return float(-np.mean(np.log2(p)))


def nats_to_bits(nats: float) -> float:
    """A cross-entropy in nats (natural log, what a softmax loss reports) in bits: / ln
    2."""
    return float(check_positive(nats, "nats", strict=False)) / math.log(2.0)


def perplexity(bits: float) -> float:
    """Perplexity = 2^(bits per character): the effective number of equally likely
    choices the model hesitates between at each step."""
    return float(2.0 ** check_positive(bits, "bits", strict=False))


class NGramLM:
    """An n-gram language model over token ids 0..V-1, with add-k or Witten-Bell
    smoothing.

    ``NGramLM(n, vocab_size, smoothing="add-k", k=1.0).fit(ids)``; then ``prob_of(ids)``
    gives, for every position t of a stream, P(ids[t] | ids[t-n+1:t]) (shape
    (len(ids),)); ``next_distribution(context)`` the whole distribution (V,) after a
    context; ``bits_per_char(ids)`` the held-out cross-entropy in bits;
    ``sample(n_tokens, context, rng)`` draws a continuation. Counting is vectorized:
    each k-gram is one integer code sum_j w_j V^(k-1-j), counted with ``np.unique``.
    Derived in :doc:`/book/rnn/language-models`.
    """

    def __init__(self, n: int, vocab_size: int, smoothing: str = "add-k",
                 k: float = 1.0) -> None:
        self.n = check_int(n, "n")
        self.vocab_size = check_int(vocab_size, "vocab_size", minimum=2)
        check_type(smoothing, str, "smoothing")
        if smoothing not in SMOOTHINGS:
            raise ValueError(
                f"smoothing must be one of {SMOOTHINGS}; got {smoothing!r}")
        self.smoothing = smoothing
        self.k = check_positive(k, "k")
        if self.n * math.log2(self.vocab_size) > 62:
            raise ValueError(f"n = {self.n} with vocab_size = {self.vocab_size} gives "
                             "n-gram codes beyond 64-bit integers; use a smaller n")
        self._tables: list[tuple[np.ndarray, ...]] = []

    # --- counting
    # -----------------------------------------------------------------------

    def _ids(self, ids: Any, name: str = "ids") -> np.ndarray:
        arr = np.asarray(ids)
        if arr.dtype.kind not in "iu":
            raise ArgumentTypeError(f"{name} must be integer token ids; got dtype "
                                    f"{arr.dtype}")
        if arr.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D token stream; got shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            raise ValueError(f"{name} must lie in [0, {self.vocab_size}); "
                             "got values from "
                             f"{arr.min()} to {arr.max()}")
        return arr.astype(np.int64, copy=False)

    def _codes(self, ids: np.ndarray, order: int) -> np.ndarray:
        """Code of the ``order``-gram ending at each position t >= order - 1."""
        m = ids.size - order + 1
        code = np.zeros(max(m, 0), dtype=np.int64)
        for j in range(order):
            code *= self.vocab_size
            code += ids[j:j + m]
        return code

    def fit(self, ids: Any) -> NGramLM:
        """Count every k-gram, k = 1..n, of a training stream; returns self."""
        arr = self._ids(ids)
        if arr.size < self.n:
            raise ValueError(
                f"ids must hold at least n = {self.n} tokens; got {arr.size}")
        self._tables = []
        for order in range(1, self.n + 1):
            grams, counts = np.unique(self._codes(arr, order), return_counts=True)
            ctx = grams // self.vocab_size                 # the context h of gram h w
            ctx_u, start = np.unique(ctx, return_index=True)
            totals = np.add.reduceat(counts, start)        # c(h .)
            types = np.diff(np.append(start, grams.size))  # T(h): distinct successors
            self._tables.append((grams, counts, ctx_u, totals, types))
        return self

    def with_smoothing(self, smoothing: str, k: float = 1.0) -> NGramLM:
        """The same counts with another smoothing (no refit: the counts do not depend on
        it). Returns a new model sharing this one's count tables."""
        other = NGramLM(self.n, self.vocab_size, smoothing, k)
        other._tables = self._tables
        return other

    @staticmethod
    def _lookup(keys: np.ndarray, values: np.ndarray, q: np.ndarray) -> np.ndarray:
        if keys.size == 0:
            return np.zeros(q.shape, dtype=values.dtype)
        i = np.minimum(np.searchsorted(keys, q), keys.size - 1)
        return np.where(keys[i] == q, values[i], 0)

    def _smooth(self, order: int, grams: np.ndarray, lower: np.ndarray) -> np.ndarray:
        """P_order(w | h) for the grams ``h w`` (codes), given P_{order-1} as
        ``lower``."""
        g, c, ctx_u, totals, types = self._tables[order - 1]
        cnt = self._lookup(g, c, grams).astype(np.float64)
        ctx = grams // self.vocab_size
        tot = self._lookup(ctx_u, totals, ctx).astype(np.float64)
        if self.smoothing == "add-k":
            return (cnt + self.k) / (tot + self.k * self.vocab_size)
        T = self._lookup(ctx_u, types, ctx).astype(np.float64)
        seen = tot > 0
        return np.where(seen, (cnt + T * lower) / np.where(seen, tot + T, 1.0), lower)

    def _check_fitted(self) -> None:
        if not self._tables:
            raise ValueError("the model must be fitted first: call fit(ids)")

    # --- prediction -------------------------------------------------------------------

    def _order(self, order: int | None) -> int:
        return self.n if order is None else check_int(order, "order", maximum=self.n)

    def prob_of(self, ids: Any, order: int | None = None) -> np.ndarray:
        """P(ids[t] | the up to n - 1 tokens before it) for every t: (len(ids),).

        With ``order`` < n, the model of that order (its counts are part of the fit):
        one fit of a 5-gram model gives the 1- to 5-gram models."""
        self._check_fitted()
        arr = self._ids(ids)
        top = self._order(order)
        p = np.full(arr.size, 1.0 / self.vocab_size)
        for order in range(1, top + 1):
            if arr.size < order:
                break
            sl = slice(order - 1, None)
            p[sl] = self._smooth(order, self._codes(arr, order), p[sl])
        return p

    def next_distribution(self, context: Any) -> np.ndarray:
        """P(w | context) for every w: (V,), summing to 1. Only the last n - 1 tokens of
        ``context`` (a 1-D sequence of ids, possibly empty) are used."""
        self._check_fitted()
        ctx = self._ids(np.asarray(context, dtype=np.int64).reshape(-1), "context")
        ctx = ctx[max(ctx.size - (self.n - 1), 0):]
        V = self.vocab_size
        w = np.arange(V, dtype=np.int64)
        p = np.full(V, 1.0 / V)
        for order in range(1, min(self.n, ctx.size + 1) + 1):
            h = ctx[ctx.size - (order - 1):] if order > 1 else ctx[:0]
            code = 0
            for tok in h:
                code = code * V + int(tok)
            p = self._smooth(order, code * V + w, p)
        return p

    def bits_per_char(self, ids: Any, order: int | None = None) -> float:
        """Held-out cross-entropy in bits per token: :func:`bits_per_char` of
        :meth:`prob_of`."""
        return bits_per_char(self.prob_of(ids, order))

    def sample(self, n_tokens: int, context: Any, rng: np.random.Generator
               ) -> np.ndarray:
        """Draw ``n_tokens`` ids one at a time from :meth:`next_distribution`."""
        n_tokens = check_int(n_tokens, "n_tokens")
        check_rng(rng)
        out = [int(t) for t in np.asarray(context, dtype=np.int64).reshape(-1)]
        start = len(out)
        for _ in range(n_tokens):
            recent = out[-(self.n - 1):] if self.n > 1 else []
            p = self.next_distribution(np.array(recent, dtype=np.int64))
            out.append(int(rng.choice(self.vocab_size, p=p / p.sum())))
        return np.array(out[start:], dtype=np.int64)

    def __repr__(self) -> str:
        extra = f", k={self.k}" if self.smoothing == "add-k" else ""
        return (f"NGramLM(n={self.n}, vocab_size={self.vocab_size}, "
                f"smoothing={self.smoothing!r}{extra})")
