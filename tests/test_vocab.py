"""Tests for nnbook.text.vocab: character vocabularies, one-hot, batching of streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import one_hot
from nnbook.text.vocab import CharVocab, batchify, random_windows


def test_vocab_sorted_and_round_trip() -> None:
    v = CharVocab("hello, world")
    assert v.chars == sorted(set("hello, world"))
    assert len(v) == v.size == 9
    ids = v.encode("world")
    assert ids.dtype == np.int64
    assert [v.chars[i] for i in ids] == list("world")
    assert v.decode(ids) == "world"
    assert v.decode(np.array([], dtype=np.int64)) == ""


@settings(deadline=None, max_examples=25)
@given(st.text(min_size=1, max_size=200))
def test_round_trip_any_unicode(text: str) -> None:
    v = CharVocab(text)
    assert v.decode(v.encode(text)) == text
    assert v.size == len(set(text))


def test_vocab_bad_input() -> None:
    v = CharVocab("abc")
    with pytest.raises(ValueError, match="outside the vocabulary: \\['z'\\]"):
        v.encode("abz")
    with pytest.raises(ValueError, match="empty"):
        CharVocab("")
    with pytest.raises(TypeError, match="text must be str"):
        CharVocab(["a"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        v.decode(np.array([0, 3]))
    with pytest.raises(TypeError, match="integer token ids"):
        v.decode(np.array([0.5]))


def test_one_hot() -> None:
    X = one_hot(np.array([[0, 2], [1, 1]]), 3, dtype=np.float32)
    assert X.shape == (2, 2, 3) and X.dtype == np.float32
    np.testing.assert_array_equal(X.argmax(-1), [[0, 2], [1, 1]])
    np.testing.assert_array_equal(X.sum(-1), 1)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        one_hot(np.array([3]), 3)


def test_batchify_hand_computed() -> None:
    ids = np.arange(11)
    X, Y = batchify(ids, batch_size=2, seq_len=2)
    # rows: 0..4 and 5..9 (L = 5); two windows of 2 per row
    np.testing.assert_array_equal(X, [[[0, 1], [5, 6]], [[2, 3], [7, 8]]])
    np.testing.assert_array_equal(Y, X + 1)


@settings(deadline=None, max_examples=25)
@given(st.integers(2, 300), st.integers(1, 5), st.integers(1, 7))
def test_batchify_windows_continue(n: int, B: int, T: int) -> None:
    ids = np.arange(n)
    if (n - 1) // B < T:
        with pytest.raises(ValueError, match="too short"):
            batchify(ids, B, T)
        return
    X, Y = batchify(ids, B, T)
    np.testing.assert_array_equal(Y, X + 1)          # targets are the next tokens
    np.testing.assert_array_equal(X[1:, :, 0], X[:-1, :, -1] + 1)  # windows continue


def test_random_windows() -> None:
    ids = np.arange(100)
    X, Y = random_windows(ids, 8, 5, np.random.default_rng(0))
    assert X.shape == Y.shape == (8, 5)
    np.testing.assert_array_equal(Y, X + 1)
    np.testing.assert_array_equal(np.diff(X, axis=1), 1)
    with pytest.raises(ValueError, match="at least seq_len"):
        random_windows(np.arange(3), 1, 5, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        random_windows(ids, 1, 5, 0)  # type: ignore[arg-type]
