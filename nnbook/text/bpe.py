"""Byte-pair encoding (BPE): a subword vocabulary learned by merging frequent pairs.

Start from the 256 byte values of the UTF-8 encoding of a text (so every string can be
encoded). Repeat: count the adjacent pairs of tokens, give the most frequent pair a new
id, and replace its occurrences by that id, left to right. The list of merges *is* the
tokenizer: encoding applies the merges in the order they were learned, decoding maps
every id back to its bytes. Gage (1994) used the idea for compression; Sennrich, Haddow
and Birch (2016) for subword units in translation; GPT-2 works on bytes, as here.
Derived in :doc:`/book/transformers/gpt`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_int, check_type

__all__ = ["merge_pair", "pair_counts", "BPETokenizer"]


def pair_counts(ids: np.ndarray, n_ids: int) -> np.ndarray:
    """Counts of adjacent pairs: ``C[a * n_ids + b]`` = number of t with
    (ids[t], ids[t+1]) = (a, b). ``ids``: (N,) in [0, n_ids); returns (n_ids**2,)."""
    codes = ids[:-1].astype(np.int64) * n_ids + ids[1:]
    return np.bincount(codes, minlength=n_ids * n_ids)


def merge_pair(ids: np.ndarray, a: int, b: int, new: int) -> np.ndarray:
    """Replace every occurrence of the pair (a, b) in ``ids`` by ``new``, left to right.

    When a == b a run such as a a a is merged greedily from the left, (a a) a, exactly
    as a sequential scan would. ``ids``: (N,) integers; returns a shorter copy.
    """
    ids = np.asarray(ids)
    if ids.size < 2:
        return ids.copy()
    idx = np.flatnonzero((ids[:-1] == a) & (ids[1:] == b))
    if a == b and idx.size:
        # in a run of consecutive hits keep the 1st, 3rd, ...: the 2nd overlaps the 1st
        starts = np.ones(idx.size, dtype=bool)
        starts[1:] = idx[1:] != idx[:-1] + 1
        first = idx[starts][np.cumsum(starts) - 1]
        idx = idx[(idx - first) % 2 == 0]
    out = ids.copy()
    out[idx] = new
    keep = np.ones(ids.size, dtype=bool)
    keep[idx + 1] = False
    return out[keep]


class BPETokenizer:
    """A byte-level BPE tokenizer. ``BPETokenizer.train(text, vocab_size)`` learns
    ``vocab_size - 256`` merges; ``encode(text)`` returns (N,) int64 ids in
    [0, vocab_size); ``decode(ids)`` returns the string. ``decode(encode(s)) == s`` for
    every string s. ``merges[i] = (a, b)`` made id 256 + i; ``token_bytes[j]`` are the
    bytes of id j. Derived in :doc:`/book/transformers/gpt`.
    """

    def __init__(self, merges: list[tuple[int, int]]) -> None:
        check_type(merges, list, "merges")
        self.merges: list[tuple[int, int]] = []
        self.token_bytes: list[bytes] = [bytes([i]) for i in range(256)]
        for i, pair in enumerate(merges):
            a, b = (int(x) for x in pair)
            if not (0 <= a < 256 + i and 0 <= b < 256 + i):
                raise ValueError(f"merge {i} must combine ids below {256 + i}; "
                                 f"got {pair}")
            self.merges.append((a, b))
            self.token_bytes.append(self.token_bytes[a] + self.token_bytes[b])

    @property
    def vocab_size(self) -> int:
        """256 byte ids plus one per merge."""
        return 256 + len(self.merges)

    @classmethod
    def train(cls, text: str, vocab_size: int) -> BPETokenizer:
        """Learn merges on ``text`` until the vocabulary has ``vocab_size`` ids (or no
        pair occurs twice). Each merge: count pairs, take the most frequent (the
        smallest ids on a tie), merge it everywhere."""
        check_type(text, str, "text")
        vocab_size = check_int(vocab_size, "vocab_size", minimum=256)
        ids = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
        merges: list[tuple[int, int]] = []
        for new in range(256, vocab_size):
            if ids.size < 2:
                break
            counts = pair_counts(ids, vocab_size)
            best = int(np.argmax(counts))
            if counts[best] < 2:
                break
            a, b = divmod(best, vocab_size)
            merges.append((a, b))
            ids = merge_pair(ids, a, b, new)
        return cls(merges)

    def encode(self, text: str) -> np.ndarray:
        """Token ids of ``text``: its UTF-8 bytes with every merge applied in order."""
        check_type(text, str, "text")
        ids = np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
        for i, (a, b) in enumerate(self.merges):
            if ids.size < 2:
                break
            ids = merge_pair(ids, a, b, 256 + i)
        return ids

    def decode(self, ids: Any) -> str:
        """The string whose encoding is ``ids`` (invalid UTF-8, possible only for ids
        that did not come from :meth:`encode`, is shown as U+FFFD)."""
        arr = np.asarray(ids)
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise ValueError(f"ids must be a 1-D integer array; got {arr.dtype} "
                             f"of shape {arr.shape}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            raise ValueError(f"ids must lie in [0, {self.vocab_size}); got values from "
                             f"{arr.min()} to {arr.max()}")
        tb = self.token_bytes
        return b"".join(tb[i] for i in arr.tolist()).decode("utf-8", errors="replace")

    def token_lengths(self, ids: Any) -> np.ndarray:
        """Number of bytes of each token of ``ids`` ((N,) int64)."""
        lengths = np.array([len(b) for b in self.token_bytes], dtype=np.int64)
        return lengths[np.asarray(ids)]

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size})"
