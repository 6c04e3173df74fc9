"""Character vocabularies and batching of token streams.

Used by the character-level language models of :doc:`/book/rnn/language-models`:
a text becomes a stream of integer ids (:class:`CharVocab`), the stream becomes batches
of (input, target) windows whose targets are the inputs shifted by one position
(:func:`batchify` for truncated backpropagation through time with the state carried from
window to window, :func:`random_windows` for independent windows), and the ids become
one-hot vectors (:func:`one_hot`) for a network without an embedding layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import ArgumentTypeError, check_int, check_rng, check_type

__all__ = ["CharVocab", "batchify", "random_windows"]


def _codepoints(text: str) -> np.ndarray:
    """The Unicode code points of ``text`` as an int64 array, without a Python loop."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)


def _check_ids(ids: Any, name: str = "ids") -> np.ndarray:
    arr = np.asarray(ids)
    if arr.dtype.kind not in "iu":
        raise ArgumentTypeError(f"{name} must be an array of integer token ids; "
                                f"got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


class CharVocab:
    """A character vocabulary: the distinct characters of a text, sorted, numbered
    0..V-1.

    ``encode(text)`` -> int64 ids of shape (len(text),); ``decode(ids)`` -> str. Both
    are vectorized (the text is read as an array of code points). A character that is
    not in the vocabulary is an error naming it. Used in
    :doc:`/book/rnn/language-models`.
    """

    def __init__(self, text: str) -> None:
        check_type(text, str, "text")
        if not text:
            raise ValueError("text must hold at least one character; "
                             "got an empty string")
        self._points = np.unique(_codepoints(text))
        self.chars: list[str] = [chr(int(p)) for p in self._points]
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.chars)}

    @property
    def size(self) -> int:
        """V, the number of distinct characters."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.size

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text``: (len(text),) int64."""
        check_type(text, str, "text")
        p = _codepoints(text)
        idx = np.searchsorted(self._points, p)
        idx = np.minimum(idx, len(self._points) - 1)
        bad = self._points[idx] != p
        if bad.any():
            unknown = sorted({chr(int(c)) for c in p[bad]})
            raise ValueError(
                f"text holds characters outside the vocabulary: {unknown!r}")
        return idx.astype(np.int64)

    def decode(self, ids: Any) -> str:
        """The text of a 1-D sequence of ids (each in [0, V))."""
        arr = _check_ids(ids)
        if arr.ndim != 1:
            raise ValueError(f"ids must be a 1-D sequence; got shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.size):
            raise ValueError(f"ids must lie in [0, {self.size}); got values from "
                             f"{arr.min()} to {arr.max()}")
        return self._points[arr].astype(np.uint32).tobytes().decode("utf-32-le")

    def __repr__(self) -> str:
        return f"CharVocab(size={self.size})"


def batchify(ids: Any, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut a token stream into ``batch_size`` contiguous rows and the rows into windows.

    Row r holds the stream's r-th slice of length L = (len(ids) - 1) // batch_size;
    window j of every row covers positions [j seq_len, (j + 1) seq_len) of the row.
    Returns ``(X, Y)``, each (n_windows, batch_size, seq_len), with ``Y`` the next token
    of every position of ``X``. Window j + 1 continues window j in every row, so a
    recurrent network can carry its state across windows: truncated backpropagation
    through time. A tail shorter than a window is dropped.
    """
    arr = _check_ids(ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be a 1-D token stream; got shape {arr.shape}")
    B = check_int(batch_size, "batch_size")
    T = check_int(seq_len, "seq_len")
    L = (arr.size - 1) // B
    n_windows = L // T
    if n_windows == 0:
        raise ValueError(
            f"the stream is too short: {arr.size} tokens give no window of "
            f"seq_len = {T} "
            f"in each of batch_size = {B} rows (need at least {B * T + 1})")
    rows = arr[:B * L].reshape(B, L)
    nxt = arr[1:B * L + 1].reshape(B, L)
    X = rows[:, :n_windows * T].reshape(B, n_windows, T).transpose(1, 0, 2)
    Y = nxt[:, :n_windows * T].reshape(B, n_windows, T).transpose(1, 0, 2)
    return np.ascontiguousarray(X), np.ascontiguousarray(Y)


def random_windows(ids: Any, n: int, seq_len: int, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` windows of ``seq_len`` tokens at uniformly random offsets, and their
    targets (the same windows shifted by one). Returns ``(X, Y)``, each (n, seq_len)
    int64."""
    arr = _check_ids(ids)
    if arr.ndim != 1:
        raise ValueError(f"ids must be a 1-D token stream; got shape {arr.shape}")
    n = check_int(n, "n")
    T = check_int(seq_len, "seq_len")
    check_rng(rng)
    if arr.size < T + 1:
        raise ValueError(f"the stream must hold at least seq_len + 1 = {T + 1} tokens; "
                         f"got {arr.size}")
    start = rng.integers(0, arr.size - T, size=n)
    idx = start[:, None] + np.arange(T)
    return arr[idx], arr[idx + 1]
