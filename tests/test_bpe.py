"""Tests for nnbook.text.bpe: merges, training, and the encode/decode round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import BPETokenizer, merge_pair, pair_counts


def _merge_loop(ids: list[int], a: int, b: int, new: int) -> list[int]:
    """Sequential reference: scan left to right."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == a and ids[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


@settings(deadline=None, max_examples=25)
@given(ids=st.lists(st.integers(0, 2), max_size=30), a=st.integers(0, 2),
       b=st.integers(0, 2))
def test_merge_equals_the_sequential_loop(ids: list[int], a: int, b: int) -> None:
    got = merge_pair(np.array(ids, dtype=np.int64), a, b, 9)
    assert got.tolist() == _merge_loop(ids, a, b, 9)


def test_hand_computed_training() -> None:
    tok = BPETokenizer.train("aaabdaaabac", 259)
    # (a, a) -> 256 (left to right: "aaab" -> 256 a b); then (256, a) and (a, b) tie at
    # 2 and the smaller code wins: (a, b) -> 257; then (256, 257) -> 258
    assert tok.merges == [(97, 97), (97, 98), (256, 257)]
    assert tok.encode("aaabdaaabac").tolist() == [258, 100, 258, 97, 99]
    assert tok.token_bytes[258] == b"aaab"


def test_pair_counts() -> None:
    c = pair_counts(np.array([1, 2, 1, 2]), 3)
    assert c[1 * 3 + 2] == 2 and c[2 * 3 + 1] == 1 and c.sum() == 3


_TOK = BPETokenizer.train("the cat sat on the mat. the end, é ü 日本 " * 20, 300)


@settings(deadline=None, max_examples=25)
@given(text=st.text(max_size=60))
def test_decode_inverts_encode(text: str) -> None:
    ids = _TOK.encode(text)
    assert _TOK.decode(ids) == text
    assert _TOK.token_lengths(ids).sum() == len(text.encode("utf-8"))


def test_compression_and_vocab() -> None:
    text = "the cat sat on the mat. " * 50
    tok = BPETokenizer.train(text, 280)
    assert tok.vocab_size <= 280
    assert len(tok.encode(text)) < len(text) / 3


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="vocab_size"):
        BPETokenizer.train("abc", 100)
    with pytest.raises(TypeError, match="text"):
        BPETokenizer.train(b"abc", 300)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ids must lie"):
        _TOK.decode(np.array([1000]))
    with pytest.raises(ValueError, match="merge 0"):
        BPETokenizer([(300, 1)])
