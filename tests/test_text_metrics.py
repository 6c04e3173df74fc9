"""Tests for nnbook.metrics.text: BLEU and ROUGE against hand-computed cases, and
against sacrebleu when it is installed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook.metrics.text import bleu, ngram_counts, rouge_l, rouge_n


def test_ngram_counts() -> None:
    c = ngram_counts("a b a b", 2)
    assert c == {("a", "b"): 2, ("b", "a"): 1}
    assert ngram_counts(["x"], 2) == {}


def test_bleu_identity_and_disjoint() -> None:
    s = "the cat sat on the mat today"
    assert bleu([s], [[s]]) == pytest.approx(1.0)
    assert bleu(["a b c d"], [["e f g h"]]) == 0.0


def test_bleu_hand_computed() -> None:
    # Papineni et al.'s clipping example: "the the the the the the the" against
    # "the cat is on the mat": unigram precision 2/7.
    assert bleu(["the the the the the the the"], [["the cat is on the mat"]],
                max_n=1) == pytest.approx(2 / 7)
    # cand "the cat sat on the mat" (6), ref "the cat is on the mat" (6):
    # p1 = 5/6, p2 = 3/5 (the cat, on the, the mat), BP = 1
    v = bleu(["the cat sat on the mat"], [["the cat is on the mat"]], max_n=2)
    assert v == pytest.approx(math.sqrt(5 / 6 * 3 / 5))
    # brevity penalty: cand "the cat" (2) vs ref of 6 words: p1 = p2 = 1, BP = e^(1-3)
    v = bleu(["the cat"], [["the cat is on the mat"]], max_n=2)
    assert v == pytest.approx(math.exp(1 - 6 / 2))
    # the closest reference length is used
    v = bleu(["the cat"], [["the cat is on the mat", "the cat sat"]], max_n=2)
    assert v == pytest.approx(math.exp(1 - 3 / 2))


def test_bleu_smoothing() -> None:
    # no bigram match: 0 without smoothing, positive with add-one
    assert bleu(["a b"], [["a c"]], max_n=2) == 0.0
    assert bleu(["a b"], [["a c"]], max_n=2, smooth=True) == pytest.approx(
        math.sqrt(1 / 2 * 1 / 2))


@settings(deadline=None, max_examples=25)
@given(st.lists(st.sampled_from("abcde"), min_size=1, max_size=12),
       st.lists(st.sampled_from("abcde"), min_size=1, max_size=12))
def test_scores_in_unit_interval(c: list[str], r: list[str]) -> None:
    assert 0.0 <= bleu([c], [[r]], max_n=2, smooth=True) <= 1.0
    for p, rec, f in (rouge_n(c, r, 1), rouge_n(c, r, 2), rouge_l(c, r)):
        assert 0 <= p <= 1 and 0 <= rec <= 1
        assert min(p, rec) - 1e-12 <= f <= max(p, rec) + 1e-12


def test_rouge_hand_computed() -> None:
    cand, ref = "the cat was found under the bed", "the cat was under the bed"
    # unigrams: overlap 6 (the x2, cat, was, under, bed); cand 7, ref 6
    p, r, f = rouge_n(cand, ref, 1)
    assert (p, r) == (pytest.approx(6 / 7), 1.0)
    assert f == pytest.approx(2 * (6 / 7) / (6 / 7 + 1))
    # bigrams: the cat, cat was, under the, the bed -> 4; cand 6, ref 5
    p, r, _ = rouge_n(cand, ref, 2)
    assert (p, r) == (pytest.approx(4 / 6), pytest.approx(4 / 5))
    # LCS = "the cat was under the bed" = 6
    p, r, _ = rouge_l(cand, ref)
    assert (p, r) == (pytest.approx(6 / 7), 1.0)
    assert rouge_l("a b c d", "d c b a")[0] == pytest.approx(1 / 4)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        bleu(["a"], [])
    with pytest.raises(TypeError, match="string"):
        rouge_l(3, "a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one reference"):
        bleu(["a"], [[]])


def test_sacrebleu_parity() -> None:
    sacrebleu = pytest.importorskip("sacrebleu")
    cands = ["the cat sat on the mat today", "a quick brown fox jumps over the dog"]
    refs = ["the cat is on the mat today", "the quick brown fox jumped over the lazy dog"]
    ours = bleu(cands, [[r] for r in refs])
    theirs = sacrebleu.corpus_bleu(cands, [refs], tokenize="none").score / 100
    assert ours == pytest.approx(theirs, rel=1e-6)
