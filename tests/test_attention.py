"""Tests for nnbook.nn.attention: values, gradients, masks, causality, equivariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    AdditiveAttention,
    Module,
    MultiHeadAttention,
    causal_mask,
    check_module,
    no_grad,
    padding_mask,
    rope,
    rope_backward,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
    sinusoidal_positions,
)
from nnbook.gradcheck import numerical_vjp


class _SDPA(Module):
    """Test-local wrapper: the pure attention function as a module with three inputs."""

    def __init__(self, mask: np.ndarray | None = None, causal: bool = False) -> None:
        super().__init__()
        self.mask, self.causal = mask, causal

    def forward(self, Q: np.ndarray, K: np.ndarray, V: np.ndarray) -> np.ndarray:
        Y, cache = scaled_dot_product_attention(Q, K, V, self.mask, self.causal)
        self._save(cache)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> tuple[np.ndarray, ...]:
        return scaled_dot_product_attention_backward(dY, self._saved())


def test_hand_computed_case() -> None:
    # two keys with scores 0 and ln 3 * sqrt(2) / sqrt(2): weights 1/4 and 3/4
    Q = np.array([[[np.log(3.0), 0.0]]]) * np.sqrt(2.0)
    K = np.array([[[0.0, 0.0], [1.0, 0.0]]])
    V = np.array([[[4.0], [8.0]]])
    Y, cache = scaled_dot_product_attention(Q, K, V)
    np.testing.assert_allclose(cache["P"], [[[0.25, 0.75]]])
    np.testing.assert_allclose(Y, [[[7.0]]])


def test_rows_sum_to_one_and_masked_weights_are_zero() -> None:
    rng = np.random.default_rng(0)
    Q, K, V = (rng.standard_normal((2, 5, 4)) for _ in range(3))
    _, cache = scaled_dot_product_attention(Q, K, V, causal=True)
    P = cache["P"]
    np.testing.assert_allclose(P.sum(-1), 1.0)
    assert np.all(P[:, ~causal_mask(5)] == 0.0)


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_gradients(causal: bool) -> None:
    rng = np.random.default_rng(1)
    Q = rng.standard_normal((2, 3, 4, 3))
    K = rng.standard_normal((2, 3, 4, 3))
    V = rng.standard_normal((2, 3, 4, 2))
    check_module(_SDPA(causal=causal), Q, K, V)


def test_sdpa_gradients_with_padding_and_cross_lengths() -> None:
    rng = np.random.default_rng(2)
    Q = rng.standard_normal((2, 3, 4))
    K = rng.standard_normal((2, 5, 4))
    V = rng.standard_normal((2, 5, 3))
    check_module(_SDPA(mask=padding_mask(np.array([5, 2]), 5)), Q, K, V)


def test_backward_form_matches_full_jacobian() -> None:
    """dS = P * (dP - rowsum(dP * P)) equals J^T dP with J = diag(p) - p p^T per row."""
    rng = np.random.default_rng(3)
    Q, K, V = rng.standard_normal((4, 3)), rng.standard_normal((5, 3)), rng.standard_normal(
        (5, 2))
    Y, cache = scaled_dot_product_attention(Q, K, V)
    dY = rng.standard_normal(Y.shape)
    dQ, _, _ = scaled_dot_product_attention_backward(dY, cache)
    P, dP = cache["P"], dY @ V.T
    dS = np.stack([(np.diag(p) - np.outer(p, p)) @ g for p, g in zip(P, dP)])
    np.testing.assert_allclose(dQ, dS @ K / np.sqrt(3.0), atol=1e-12)


def test_causal_mask_values() -> None:
    np.testing.assert_array_equal(causal_mask(3), np.tril(np.ones((3, 3), bool)))
    np.testing.assert_array_equal(causal_mask(1, 3), [[True, True, True]])
    np.testing.assert_array_equal(padding_mask(np.array([1, 3]), 3)[:, 0],
                                  [[True, False, False], [True, True, True]])


@pytest.mark.parametrize("rope_on", [False, True])
def test_mha_self_attention_gradients(rope_on: bool) -> None:
    rng = np.random.default_rng(4)
    mha = MultiHeadAttention(8, 2, rng, causal=True, rope=rope_on)
    check_module(mha, rng.standard_normal((2, 4, 8)))


def test_mha_cross_attention_gradients_with_mask() -> None:
    rng = np.random.default_rng(5)
    mha = MultiHeadAttention(6, 3, rng)
    X, M = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 5, 6))
    mask = padding_mask(np.array([5, 3]), 5)

    class _Cross(Module):
        def __init__(self) -> None:
            super().__init__()
            self.mha = mha

        def forward(self, X: np.ndarray, M: np.ndarray) -> np.ndarray:
            return self.mha(X, M, mask)

        def backward(self, dY: np.ndarray, input_grad: bool = True) -> tuple:
            return self.mha.backward(dY)

    check_module(_Cross(), X, M)


def test_mha_applied_twice_accumulates() -> None:
    rng = np.random.default_rng(6)
    mha = MultiHeadAttention(4, 2, rng)

    class _Twice(Module):
        def __init__(self) -> None:
            super().__init__()
            self.mha = mha

        def forward(self, X: np.ndarray) -> np.ndarray:
            return self.mha(self.mha(X))

        def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray:
            return self.mha.backward(self.mha.backward(dY))

    check_module(_Twice(), rng.standard_normal((1, 3, 4)))


def test_additive_attention_gradients() -> None:
    rng = np.random.default_rng(7)
    att = AdditiveAttention(3, 4, 5, rng)
    Q, K, V = (rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4, 4)),
               rng.standard_normal((2, 4, 2)))
    check_module(att, Q, K, V)
    np.testing.assert_allclose(att.attention_weights.sum(-1), 1.0)


def test_causality_future_inputs_do_not_change_the_past() -> None:
    rng = np.random.default_rng(8)
    mha = MultiHeadAttention(8, 2, rng, causal=True, rope=True)
    X = rng.standard_normal((1, 6, 8))
    with no_grad():
        Y = mha(X)
        X2 = X.copy()
        X2[:, 4:] += rng.standard_normal((1, 2, 8))
        Y2 = mha(X2)
    np.testing.assert_array_equal(Y[:, :4], Y2[:, :4])
    assert not np.allclose(Y[:, 4:], Y2[:, 4:])


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**31 - 1), T=st.integers(1, 6))
def test_self_attention_is_permutation_equivariant(seed: int, T: int) -> None:
    rng = np.random.default_rng(seed)
    mha = MultiHeadAttention(4, 2, rng)
    X = rng.standard_normal((1, T, 4))
    perm = rng.permutation(T)
    with no_grad():
        Y, Yp = mha(X), mha(X[:, perm])
    np.testing.assert_allclose(Yp, Y[:, perm], atol=1e-12)


def test_kv_cache_equals_full_recomputation() -> None:
    rng = np.random.default_rng(9)
    mha = MultiHeadAttention(8, 2, rng, causal=True, rope=True)
    X = rng.standard_normal((2, 5, 8))
    with no_grad():
        full = mha(X)
        cache: dict = {}
        steps = [mha(X[:, :2], kv_cache=cache)] + [
            mha(X[:, t:t + 1], kv_cache=cache) for t in range(2, 5)]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, atol=1e-12)


def test_kv_cache_refused_outside_no_grad() -> None:
    mha = MultiHeadAttention(4, 1, np.random.default_rng(0), causal=True)
    with pytest.raises(ValueError, match="no_grad"):
        mha(np.zeros((1, 2, 4)), kv_cache={})


def test_sinusoidal_relative_offset_is_a_rotation() -> None:
    PE = sinusoidal_positions(20, 8)
    k = 3
    w = 10000.0 ** (-np.arange(0, 8, 2) / 8)
    for i, wi in enumerate(w):
        c, s = np.cos(k * wi), np.sin(k * wi)
        R = np.array([[c, -s], [s, c]])  # row vector times R: angle + k w_i
        np.testing.assert_allclose(PE[:-k, 2 * i:2 * i + 2] @ R, PE[k:, 2 * i:2 * i + 2],
                                   atol=1e-12)


@settings(deadline=None, max_examples=25)
@given(m=st.integers(0, 50), n=st.integers(0, 50), shift=st.integers(0, 50))
def test_rope_dot_products_depend_on_offset_only(m: int, n: int, shift: int) -> None:
    rng = np.random.default_rng(m * 101 + n)
    q, k = rng.standard_normal((1, 6)), rng.standard_normal((1, 6))
    a = rope(q, np.array([m])) @ rope(k, np.array([n])).T
    b = rope(q, np.array([m + shift])) @ rope(k, np.array([n + shift])).T
    np.testing.assert_allclose(a, b, atol=1e-10)


def test_rope_backward_is_the_vjp() -> None:
    rng = np.random.default_rng(10)
    X, g, pos = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), np.arange(3)
    num = numerical_vjp(lambda z: rope(z, pos), X, g)
    np.testing.assert_allclose(rope_backward(g, pos), num, atol=1e-8)


def test_bad_inputs() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(6, 4, rng)
    mha = MultiHeadAttention(4, 2, rng)
    with pytest.raises(ValueError, match=r"\(batch, T, 4\)"):
        mha(np.zeros((2, 3, 5)))
    Q = np.zeros((1, 2, 3))
    with pytest.raises(ValueError, match="K must have shape"):
        scaled_dot_product_attention(Q, np.zeros((1, 2, 4)), np.zeros((1, 2, 1)))
    with pytest.raises(ValueError, match="at least one key"):
        scaled_dot_product_attention(Q, Q, Q, mask=np.zeros((2, 2), bool))
    with pytest.raises(TypeError, match="boolean"):
        scaled_dot_product_attention(Q, Q, Q, mask=np.ones((2, 2)))
    with pytest.raises(ValueError, match="lengths"):
        padding_mask(np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(4, 3)
    with pytest.raises(ValueError, match="finite"):
        mha(np.full((1, 2, 4), np.nan))


def test_float32_stays_float32() -> None:
    rng = np.random.default_rng(0)
    mha = MultiHeadAttention(8, 2, rng, causal=True, dtype=np.float32)
    X = rng.standard_normal((2, 3, 8)).astype(np.float32)
    Y = mha(X)
    assert Y.dtype == np.float32
    assert mha.backward(np.ones_like(Y)).dtype == np.float32
