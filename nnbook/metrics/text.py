"""BLEU and ROUGE: n-gram overlap between generated and reference text.

Derived in :doc:`/book/generative/evaluating-generative-models`. Texts are token lists,
or strings split on whitespace.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .._checks import ArgumentTypeError, check_int

__all__ = ["ngram_counts", "bleu", "rouge_n", "rouge_l"]

Text = str | Sequence[str]


def _tokens(text: Text, name: str) -> list[str]:
    if isinstance(text, str):
        return text.split()
    if isinstance(text, Sequence) and all(isinstance(w, str) for w in text):
        return list(text)
    raise ArgumentTypeError(f"{name} must be a string or a sequence of string tokens; "
                            f"got {type(text).__name__}")


def ngram_counts(tokens: Text, n: int) -> Counter[tuple[str, ...]]:
    """Counts of the n-grams (tuples of n consecutive tokens) of a text."""
    toks = _tokens(tokens, "tokens")
    n = check_int(n, "n")
    return Counter(tuple(toks[i:i + n]) for i in range(len(toks) - n + 1))


def bleu(candidates: Sequence[Text], references: Sequence[Sequence[Text]],
         max_n: int = 4, smooth: bool = False) -> float:
    """Corpus BLEU (Papineni et al. 2002), in [0, 1]:

        BLEU = BP * exp(mean_{n=1..N} log p_n),
        p_n = sum_c sum_g min(count_c(g), max_r count_r(g)) / sum_c sum_g count_c(g),
        BP = 1 if c > r else exp(1 - r / c),

    with clipped ("modified") n-gram precisions p_n summed over the corpus, c the total
    candidate length and r the sum over candidates of the reference length closest to
    the candidate's (the shorter on a tie). ``smooth`` adds 1 to the numerator and the
    denominator of p_n for n > 1 (Lin and Och 2004), for single sentences. Returns 0
    when some p_n is 0 without smoothing. ``candidates``: list of texts;
    ``references``: for
    each candidate, a list of one or more reference texts.
    """
    max_n = check_int(max_n, "max_n")
    if len(candidates) != len(references) or not candidates:
        raise ValueError(f"candidates and references must be non-empty lists of the "
                         f"same length; got {len(candidates)} and {len(references)}")
    matches, totals = [0] * max_n, [0] * max_n
    c_len = r_len = 0
    for cand, refs in zip(candidates, references):
        c = _tokens(cand, "candidate")
        rs = [_tokens(r, "reference") for r in refs]
        if not rs:
            raise ValueError("every candidate needs at least one reference")
        c_len += len(c)
        r_len += min((abs(len(r) - len(c)), len(r)) for r in rs)[1]
        for n in range(1, max_n + 1):
            cand_counts = ngram_counts(c, n)
            max_ref: Counter[tuple[str, ...]] = Counter()
            for r in rs:
                max_ref |= ngram_counts(r, n)          # elementwise maximum
            matches[n - 1] += sum(min(k, max_ref[g]) for g, k in cand_counts.items())
            totals[n - 1] += sum(cand_counts.values())
    if c_len == 0:
        return 0.0
    log_p = 0.0
    for n in range(max_n):
        m, t = matches[n], totals[n]
        if smooth and n > 0:
            m, t = m + 1, t + 1
        if m == 0 or t == 0:
            return 0.0
        log_p += math.log(m / t) / max_n
    bp = 1.0 if c_len > r_len else math.exp(1 - r_len / c_len)
    return bp * math.exp(log_p)


def _prf(overlap: int, n_cand: int, n_ref: int) -> tuple[float, float, float]:
    p = overlap / n_cand if n_cand else 0.0
    r = overlap / n_ref if n_ref else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def rouge_n(candidate: Text, reference: Text, n: int = 1
            ) -> tuple[float, float, float]:
    """ROUGE-N (Lin 2004): n-gram overlap sum_g min(count_c(g), count_r(g)) divided by
    the candidate's n-gram count (precision) and the reference's (recall), and their
    harmonic mean F1. Returns (precision, recall, f1)."""
    c, r = ngram_counts(candidate, n), ngram_counts(reference, n)
    overlap = sum(min(k, r[g]) for g, k in c.items())
    return _prf(overlap, sum(c.values()), sum(r.values()))


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence by dynamic programming, one row at a
    time: O(len(a) len(b)) time, O(len(b)) memory."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(candidate: Text, reference: Text) -> tuple[float, float, float]:
    """ROUGE-L (Lin 2004): the longest common subsequence (in order, not necessarily
    contiguous) divided by the candidate length (precision) and the reference length
    (recall), and F1. Returns (precision, recall, f1)."""
    c, r = _tokens(candidate, "candidate"), _tokens(reference, "reference")
    return _prf(_lcs_length(c, r), len(c), len(r))
