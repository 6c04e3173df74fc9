"""Tests for nnbook.text.charlm: the character-level LSTM language model."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import check_module
from nnbook.text.charlm import CharLSTM, char_lm_probs, sample_text, train_char_lm
from nnbook.text.ngram import bits_per_char
from nnbook.text.vocab import CharVocab


def test_gradcheck_through_time() -> None:
    rng = np.random.default_rng(0)
    model = CharLSTM(5, 3, rng, dtype=np.float64)
    ids = rng.integers(0, 5, size=(2, 12))
    check_module(model, ids)


def test_train_learns_a_periodic_text_and_samples_it() -> None:
    vocab = CharVocab("abcd")
    ids = vocab.encode("abcd" * 300)
    model = CharLSTM(vocab.size, 16, np.random.default_rng(1))
    losses = train_char_lm(model, ids, updates=120, batch_size=8, seq_len=12, lr=2e-2,
                           rng=np.random.default_rng(2))
    assert len(losses) == 120
    assert np.mean(losses[-10:]) < 0.2 < losses[0]
    p, positions = char_lm_probs(model, ids[:200], n_rows=4, chunk=16)
    assert p.shape == positions.shape == (4 * 49,)
    assert bits_per_char(p) < 0.5
    text = sample_text(model, vocab, "ab", 12, 0.01, np.random.default_rng(3))
    assert text == "cdabcdabcdab"


def test_probs_match_a_direct_forward_pass() -> None:
    rng = np.random.default_rng(4)
    model = CharLSTM(6, 5, rng)
    ids = rng.integers(0, 6, size=41)
    p, positions = char_lm_probs(model, ids, n_rows=2, chunk=7)
    Z = model(ids[None, :20])          # row 0: ids[0:20] predicts ids[1:21]
    model.clear_cache()
    Z = Z.astype(np.float64)
    q = np.exp(Z - Z.max(-1, keepdims=True))
    q /= q.sum(-1, keepdims=True)
    direct = q[0, np.arange(20), ids[1:21]]
    np.testing.assert_allclose(p[:20], direct, rtol=1e-5)
    np.testing.assert_array_equal(positions[:20], np.arange(1, 21))
    np.testing.assert_array_equal(positions[20:], np.arange(21, 41))


def test_bad_input() -> None:
    rng = np.random.default_rng(5)
    model = CharLSTM(4, 3, rng)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 4\)"):
        model(np.array([[0, 4]]))
    with pytest.raises(ValueError, match="2-D"):
        model(np.array([0, 1]))
    with pytest.raises(ValueError, match="temperature"):
        sample_text(model, CharVocab("abcd"), "a", 3, 0.0, rng)
    with pytest.raises(ValueError, match="more than n_rows"):
        char_lm_probs(model, np.array([0, 1]), n_rows=4)
    with pytest.raises(TypeError, match="model"):
        train_char_lm("model", np.arange(3), updates=1,  # type: ignore[arg-type]
                      rng=rng)
