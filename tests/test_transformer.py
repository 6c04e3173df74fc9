"""Tests for nnbook.models.transformer: blocks, encoder-decoder, GPT, sampling, loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    GPT,
    Module,
    Seq2SeqTransformer,
    TokenCrossEntropyLoss,
    TransformerBlock,
    check_module,
    no_grad,
    sample_logits,
)
from nnbook.gradcheck import numerical_gradient


@pytest.mark.parametrize("pre_ln", [True, False])
def test_block_gradients(pre_ln: bool) -> None:
    rng = np.random.default_rng(0)
    block = TransformerBlock(8, 2, 12, rng, causal=True, pre_ln=pre_ln)
    check_module(block, rng.standard_normal((2, 3, 8)))


@pytest.mark.parametrize("pre_ln", [True, False])
def test_cross_block_gradients(pre_ln: bool) -> None:
    rng = np.random.default_rng(1)
    block = TransformerBlock(4, 2, 6, rng, causal=True, cross=True, pre_ln=pre_ln)

    class _Wrap(Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = block

        def forward(self, X: np.ndarray, M: np.ndarray) -> np.ndarray:
            return self.block(X, M)

        def backward(self, dY: np.ndarray, input_grad: bool = True) -> tuple:
            return self.block.backward(dY)

    check_module(_Wrap(), rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 2, 4)))


def test_seq2seq_gradients_with_padding() -> None:
    rng = np.random.default_rng(2)
    model = Seq2SeqTransformer(5, 6, 4, 2, 1, 6, 8, rng, pad_id=0)
    src = np.array([[1, 2, 3, 0], [4, 1, 0, 0]])
    tgt = np.array([[5, 1, 2], [5, 3, 3]])
    check_module(model, src, tgt)


@pytest.mark.parametrize("positions", ["learned", "sinusoidal", "rope"])
def test_gpt_gradients_tied(positions: str) -> None:
    rng = np.random.default_rng(3)
    gpt = GPT(7, 4, 2, 1, 8, 6, rng, positions=positions)
    errors = check_module(gpt, np.array([[1, 2, 3, 1], [0, 6, 5, 4]]))
    assert "tok_emb.W" in errors and not any(k.startswith("head") for k in errors)


def test_gpt_untied_has_a_head() -> None:
    gpt = GPT(7, 4, 2, 1, 8, 6, np.random.default_rng(0), tie_embeddings=False)
    tied = GPT(7, 4, 2, 1, 8, 6, np.random.default_rng(0))
    assert gpt.n_params - tied.n_params == 4 * 7 + 7


def test_token_loss_matches_numerical_gradient_and_ignores() -> None:
    rng = np.random.default_rng(4)
    Z = rng.standard_normal((2, 3, 5))
    y = np.array([[1, -100, 4], [0, 2, -100]])
    loss = TokenCrossEntropyLoss(ignore_index=-100)
    value, dZ = loss(Z, y)
    num = numerical_gradient(lambda z: loss(z, y)[0], Z.copy())
    np.testing.assert_allclose(dZ, num, atol=1e-8)
    assert np.all(dZ[0, 1] == 0) and np.all(dZ[1, 2] == 0)
    logp = Z - np.log(np.exp(Z).sum(-1, keepdims=True))
    expected = -np.mean([logp[0, 0, 1], logp[0, 2, 4], logp[1, 0, 0], logp[1, 1, 2]])
    assert value == pytest.approx(expected)


def test_causality_of_gpt() -> None:
    rng = np.random.default_rng(5)
    gpt = GPT(9, 8, 2, 2, 16, 10, rng)
    ids = rng.integers(0, 9, (1, 8))
    ids2 = ids.copy()
    ids2[0, 5:] = (ids2[0, 5:] + 1) % 9
    with no_grad():
        a, b = gpt(ids), gpt(ids2)
    np.testing.assert_array_equal(a[:, :5], b[:, :5])


@pytest.mark.parametrize("positions", ["learned", "rope"])
def test_kv_cache_generation_equals_full_recomputation(positions: str) -> None:
    rng = np.random.default_rng(6)
    gpt = GPT(11, 8, 2, 2, 16, 20, rng, positions=positions)
    prompt = rng.integers(0, 11, (3, 4))
    a = gpt.generate(prompt, 10, np.random.default_rng(1), top_k=1, use_cache=True)
    b = gpt.generate(prompt, 10, np.random.default_rng(1), top_k=1, use_cache=False)
    np.testing.assert_array_equal(a, b)
    caches: list[dict] = [{} for _ in gpt.blocks]
    with no_grad():
        full = gpt(a)
        steps = [gpt(a[:, :4], caches)] + [gpt(a[:, t:t + 1], caches)
                                           for t in range(4, a.shape[1])]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-12)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 6))
def test_top_k_samples_only_the_k_largest(seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((50, 6))
    draws = sample_logits(logits, rng, temperature=0.7, top_k=k)
    ranks = (logits > logits[np.arange(50), draws][:, None]).sum(axis=1)
    assert np.all(ranks < k)


def test_sampling_frequencies_follow_the_softmax() -> None:
    rng = np.random.default_rng(7)
    logits = np.log(np.array([[0.2, 0.5, 0.3]]))
    draws = sample_logits(np.repeat(logits, 20000, axis=0), rng)
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 20000,
                               [0.2, 0.5, 0.3], atol=0.015)


@pytest.mark.slow
def test_seq2seq_learns_to_copy() -> None:
    from nnbook import Adam, fit

    rng = np.random.default_rng(8)
    src = rng.integers(1, 6, (600, 5))
    bos = 6
    tgt_in = np.concatenate([np.full((600, 1), bos), src[:, :-1]], axis=1)
    model = Seq2SeqTransformer(7, 7, 16, 2, 1, 32, 8, np.random.default_rng(0))
    fit(model, (src, tgt_in), src, Adam(3e-3), loss=TokenCrossEntropyLoss(), epochs=8,
        batch_size=32, rng=np.random.default_rng(1))
    pred = model.greedy_decode(src[:50], bos, 5)
    assert (pred == src[:50]).mean() > 0.9


def test_bad_inputs() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="positions must be"):
        GPT(5, 4, 2, 1, 8, 6, rng, positions="alibi")
    gpt = GPT(5, 4, 2, 1, 8, 6, rng)
    with pytest.raises(ValueError, match="max_len"):
        gpt(np.zeros((1, 7), dtype=np.int64))
    with pytest.raises(ValueError, match="temperature"):
        sample_logits(np.zeros((1, 3)), rng, temperature=0.0)
    with pytest.raises(ValueError, match="top_k"):
        sample_logits(np.zeros((1, 3)), rng, top_k=4)
    with pytest.raises(ValueError, match="targets must have shape"):
        TokenCrossEntropyLoss()(np.zeros((2, 3, 4)), np.zeros((2, 2), dtype=np.int64))
    block = TransformerBlock(4, 2, 8, rng, cross=True)
    with pytest.raises(ValueError, match="memory"):
        block(np.zeros((1, 2, 4)))


def test_hungarian_equals_brute_force() -> None:
    import itertools

    from nnbook import hungarian_match

    rng = np.random.default_rng(11)
    for _ in range(60):
        n = int(rng.integers(1, 5))
        m = int(rng.integers(n, 6))
        cost = rng.standard_normal((n, m))
        rows, cols = hungarian_match(cost)
        brute = min(sum(cost[i, p[i]] for i in range(n))
                    for p in itertools.permutations(range(m), n))
        assert cost[rows, cols].sum() == pytest.approx(brute)
        assert len(set(cols.tolist())) == n
    with pytest.raises(ValueError, match="n <= m"):
        hungarian_match(np.zeros((3, 2)))


def test_chinchilla_allocation_spends_the_budget() -> None:
    from nnbook import chinchilla_allocation

    N, D = chinchilla_allocation(1e23)
    assert 6 * N * D == pytest.approx(1e23)
    N2, D2 = chinchilla_allocation(1e25)
    assert np.log(N2 / N) / np.log(100) == pytest.approx(0.28 / 0.62)
    with pytest.raises(ValueError, match="C"):
        chinchilla_allocation(-1.0)


def test_mask_tokens_and_masked_lm_gradients() -> None:
    from nnbook import MaskedLM, mask_tokens

    rng = np.random.default_rng(12)
    ids = rng.integers(0, 6, (2, 5))
    inp, tgt = mask_tokens(ids, rng, mask_id=6, n_vocab=6, p=0.5)
    assert np.all((tgt == -100) | (tgt == ids))
    assert np.all(inp[tgt == -100] == ids[tgt == -100])
    check_module(MaskedLM(7, 4, 2, 1, 8, 5, rng), inp)


def test_patchify_and_vit_gradients() -> None:
    from nnbook import ViT, patchify

    img = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    P = patchify(img, 2)
    assert P.shape == (2, 4, 4)
    np.testing.assert_array_equal(P[0, 1], [2, 3, 6, 7])
    rng = np.random.default_rng(13)
    check_module(ViT(4, 2, 3, 4, 2, 1, 8, rng), rng.standard_normal((2, 4, 4)))
