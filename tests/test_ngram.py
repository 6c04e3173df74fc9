"""Tests for nnbook.text.ngram: n-gram models, bits per character, perplexity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook.text.ngram import NGramLM, bits_per_char, nats_to_bits, perplexity


def test_bigram_add_one_hand_computed() -> None:
    # stream a b a b a (ids 0 1 0 1 0), V = 3
    ids = np.array([0, 1, 0, 1, 0])
    m = NGramLM(2, 3, "add-k", k=1.0).fit(ids)
    # c(a b) = 2, c(a .) = 2  ->  (2 + 1) / (2 + 3)
    assert m.next_distribution([0])[1] == pytest.approx(3 / 5)
    assert m.next_distribution([0])[2] == pytest.approx(1 / 5)
    # unigram: c(a) = 3 of 5 -> (3 + 1) / (5 + 3)
    assert m.next_distribution([])[0] == pytest.approx(4 / 8)


def test_witten_bell_hand_computed() -> None:
    ids = np.array([0, 1, 0, 1, 0])
    m = NGramLM(2, 3, "witten-bell").fit(ids)
    # unigram: c = (3, 2, 0), N = 5, T = 2 -> (c + 2 / 3) / 7
    p1 = (np.array([3, 2, 0]) + 2 / 3) / 7
    np.testing.assert_allclose(m.next_distribution([]), p1)
    # after a: c(a b) = 2, c(a .) = 2, T(a) = 1 -> (c + p1) / 3
    np.testing.assert_allclose(m.next_distribution([0]), (np.array([0, 2, 0]) + p1) / 3)


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 5), st.sampled_from(["add-k", "witten-bell"]),
       st.integers(0, 10**6), st.integers(0, 6))
def test_distributions_sum_to_one_and_never_zero(n: int, smoothing: str, seed: int,
                                                 ctx_len: int) -> None:
    rng = np.random.default_rng(seed)
    V = 7
    ids = rng.integers(0, V - 1, size=200)       # the last token never occurs
    m = NGramLM(n, V, smoothing, k=0.1).fit(ids)
    p = m.next_distribution(rng.integers(0, V, size=ctx_len))
    assert p.shape == (V,)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(p > 0)
    held_out = rng.integers(0, V, size=50)
    q = m.prob_of(held_out)
    assert np.all(q > 0) and np.all(q <= 1)


def test_prob_of_matches_next_distribution() -> None:
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 5, size=300)
    test = rng.integers(0, 5, size=30)
    for smoothing in ("add-k", "witten-bell"):
        m = NGramLM(3, 5, smoothing, k=0.5).fit(ids)
        q = m.prob_of(test)
        for t in range(len(test)):
            assert q[t] == pytest.approx(m.next_distribution(test[:t])[test[t]])
        # a lower order from the same fit equals a model fitted with that order
        m2 = NGramLM(2, 5, smoothing, k=0.5).fit(ids)
        np.testing.assert_allclose(m.prob_of(test, order=2), m2.prob_of(test))


def test_uniform_model_bits_is_log2_vocab() -> None:
    for V in (2, 65, 1000):
        assert bits_per_char(np.full(17, 1.0 / V)) == pytest.approx(math.log2(V))
        assert perplexity(math.log2(V)) == pytest.approx(V)
    # a unigram with huge k is uniform
    m = NGramLM(1, 10, "add-k", k=1e9).fit(np.array([0, 0, 0, 1]))
    assert m.bits_per_char(np.arange(10)) == pytest.approx(math.log2(10), rel=1e-6)


def test_more_context_fits_training_text_better() -> None:
    text = np.tile(np.array([0, 1, 2, 3, 2, 1]), 50)
    bits = [NGramLM(n, 4, "witten-bell").fit(text).bits_per_char(text)
            for n in (1, 2, 3)]
    assert bits[0] > bits[1] > bits[2]


def test_nats_to_bits() -> None:
    assert nats_to_bits(math.log(2)) == pytest.approx(1.0)


def test_sample() -> None:
    ids = np.tile(np.array([0, 1, 2]), 30)
    m = NGramLM(3, 3, "add-k", k=1e-6).fit(ids)
    s = m.sample(9, [0, 1], np.random.default_rng(0))
    np.testing.assert_array_equal(s, [2, 0, 1, 2, 0, 1, 2, 0, 1])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="smoothing must be one of"):
        NGramLM(2, 5, "kneser")
    with pytest.raises(ValueError, match="n must be"):
        NGramLM(0, 5)
    with pytest.raises(ValueError, match="k must be a finite positive"):
        NGramLM(2, 5, k=0.0)
    with pytest.raises(ValueError, match="64-bit"):
        NGramLM(12, 65)
    m = NGramLM(2, 5)
    with pytest.raises(ValueError, match="fitted first"):
        m.prob_of(np.array([0, 1]))
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 5\)"):
        m.fit(np.array([0, 7]))
    with pytest.raises(TypeError, match="integer token ids"):
        m.fit(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="at least n = 2 tokens"):
        m.fit(np.array([1]))
    with pytest.raises(ValueError, match="probabilities in"):
        bits_per_char(np.array([0.5, 0.0]))
    with pytest.raises(ValueError, match="empty"):
        bits_per_char(np.array([]))


def test_with_smoothing_shares_counts() -> None:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 6, size=400)
    test = rng.integers(0, 6, size=50)
    m = NGramLM(3, 6, "add-k", k=1.0).fit(ids)
    for smoothing, k in (("add-k", 0.1), ("witten-bell", 1.0)):
        np.testing.assert_allclose(m.with_smoothing(smoothing, k).prob_of(test),
                                   NGramLM(3, 6, smoothing, k).fit(ids).prob_of(test))
