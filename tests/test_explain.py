"""Tests for nnbook.practice.explain: attributions against their axioms and hand cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import Dense, Sequential, Tanh
from nnbook.practice.explain import (
    exact_shapley,
    gradient_times_input,
    hidden_activations,
    input_gradient,
    integrated_gradients,
    kernel_shap,
    lime,
    linear_probe,
    masking_game,
    permutation_importance,
    saliency,
    shapley_kernel_weight,
)


def _mlp(seed: int = 0, d: int = 5, c: int = 3) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential([Dense(d, 8, rng, init="xavier"), Tanh(), Dense(8, c, rng)])


def _logit(model: Sequential, k: int):
    def f(X: np.ndarray) -> np.ndarray:
        from nnbook import no_grad
        with no_grad():
            return model(X)[:, k]
    return f


def test_input_gradient_matches_central_differences(rng):
    model = _mlp()
    X = rng.standard_normal((4, 5))
    G = input_gradient(model, X, 1)
    f = _logit(model, 1)
    eps = 1e-6
    num = np.stack([(f(X + eps * e) - f(X - eps * e)) / (2 * eps) for e in np.eye(5)], 1)
    np.testing.assert_allclose(G, num, rtol=1e-6, atol=1e-9)
    assert all(not g.any() for g in model.gradients().values())
    assert not any(m._caches for _, m in model.named_modules())


def test_linear_model_gradient_times_input_is_w_times_x(rng):
    model = Sequential([Dense(3, 2, rng)])
    X = rng.standard_normal((2, 3))
    W = model.parameters()["0.W"]
    np.testing.assert_allclose(gradient_times_input(model, X, 0), X * W[:, 0])
    np.testing.assert_allclose(saliency(model, X, [1, 1]), np.abs(np.tile(W[:, 1], (2, 1))))
    # For a linear model IG with zero baseline is exactly gradient x input.
    np.testing.assert_allclose(integrated_gradients(model, X, 0, steps=1), X * W[:, 0])


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), k=st.integers(0, 2))
def test_integrated_gradients_completeness(seed, k):
    rng = np.random.default_rng(seed)
    model = _mlp(seed)
    X = rng.standard_normal((3, 5))
    base = rng.standard_normal(5) * 0.5
    ig = integrated_gradients(model, X, k, baseline=base, steps=200)
    f = _logit(model, k)
    gap = f(X) - f(np.tile(base, (3, 1)))
    np.testing.assert_allclose(ig.sum(axis=1), gap, atol=1e-3)


def test_integrated_gradients_error_falls_like_one_over_steps_squared(rng):
    model = _mlp(3)
    X = 2 * rng.standard_normal((1, 5))
    f = _logit(model, 0)
    gap = f(X)[0] - f(np.zeros((1, 5)))[0]
    errs = [abs(integrated_gradients(model, X, 0, steps=m).sum() - gap) for m in (8, 32)]
    assert errs[1] < errs[0] / 8


def test_shapley_hand_case_and_axioms():
    # v(S) = x1 + 2 x2 + 3 x1 x2 over two players: phi = (1 + 1.5, 2 + 1.5).
    def v(M):
        M = M.astype(float)
        return M[:, 0] + 2 * M[:, 1] + 3 * M[:, 0] * M[:, 1]
    np.testing.assert_allclose(exact_shapley(v, 2), [2.5, 3.5])

    # symmetry, dummy (null player), linearity
    def u(M):
        M = M.astype(float)
        return M[:, 0] * M[:, 1] + 0 * M[:, 2]
    phi = exact_shapley(u, 3)
    np.testing.assert_allclose(phi, [0.5, 0.5, 0.0], atol=1e-15)
    np.testing.assert_allclose(exact_shapley(lambda M: v(M[:, :2]) + u(M), 3),
                               exact_shapley(lambda M: v(M[:, :2]), 3) + phi)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), p=st.integers(2, 7))
def test_exact_shapley_efficiency_and_kernel_shap_exact(seed, p):
    rng = np.random.default_rng(seed)
    table = rng.standard_normal(2**p)
    bits = 1 << np.arange(p)

    def v(M):
        return table[M.astype(np.int64) @ bits]
    phi = exact_shapley(v, p)
    assert phi.sum() == pytest.approx(table[-1] - table[0], abs=1e-10)
    np.testing.assert_allclose(kernel_shap(v, p), phi, atol=1e-9)


def test_kernel_shap_converges_to_exact(rng):
    model = _mlp(1, d=8)
    x = rng.standard_normal(8)
    game = masking_game(_logit(model, 2), x, rng.standard_normal((5, 8)))
    phi = exact_shapley(game, 8)
    errs = [np.abs(kernel_shap(game, 8, n, np.random.default_rng(0)) - phi).max()
            for n in (50, 5000)]
    assert errs[1] < errs[0] and errs[1] < 0.05 * np.abs(phi).max()


def test_masking_game_and_groups(rng):
    x, b = np.array([1.0, 2.0, 3.0, 4.0]), np.zeros(4)
    game = masking_game(lambda X: X.sum(axis=1), x, b, groups=np.array([0, 0, 1, 1]))
    np.testing.assert_allclose(game(np.array([[1, 0], [0, 1], [1, 1]], bool)), [3, 7, 10])
    np.testing.assert_allclose(exact_shapley(game, 2), [3, 7])


def test_shapley_kernel_weight_values():
    np.testing.assert_allclose(shapley_kernel_weight(3, np.array([1, 2])), [1 / 3, 1 / 3])
    with pytest.raises(ValueError, match="coalition sizes"):
        shapley_kernel_weight(3, np.array([0]))


def test_lime_recovers_additive_game(rng):
    w = np.array([1.0, -2.0, 0.5, 0.0])
    coef, b = lime(lambda M: 0.3 + M.astype(float) @ w, 4, rng, n_samples=500,
                   ridge=0.0)
    np.testing.assert_allclose(coef, w, atol=1e-8)
    assert b == pytest.approx(0.3)


def test_permutation_importance_finds_the_used_feature(rng):
    X = rng.standard_normal((300, 3))
    y = (X[:, 1] > 0).astype(int)

    def score(Xs, ys):
        return float(np.mean((Xs[:, 1] > 0) == ys))
    mean, std = permutation_importance(score, X, y, rng, n_repeats=3)
    assert mean[1] > 0.3 and mean[0] == 0 and mean[2] == 0 and std.shape == (3,)


def test_probe_and_hidden_activations(rng):
    model = _mlp(d=4)
    X = rng.standard_normal((200, 4))
    assert hidden_activations(model, X, 0) is not None
    H = hidden_activations(model, X, 2)
    assert H.shape == (200, 8)
    y = (X[:, 0] > 0).astype(int)
    assert linear_probe(X[:100], y[:100], X[100:], y[100:]) > 0.9


def test_bad_inputs(rng):
    model = _mlp()
    with pytest.raises(ValueError, match="target"):
        input_gradient(model, np.zeros((2, 5)), 7)
    with pytest.raises(TypeError, match="target"):
        input_gradient(model, np.zeros((2, 5)), 0.5)
    with pytest.raises(ValueError, match="baseline"):
        integrated_gradients(model, np.zeros((2, 5)), 0, baseline=np.zeros(3))
    with pytest.raises(TypeError, match="steps"):
        integrated_gradients(model, np.zeros((2, 5)), 0, steps=2.0)
    with pytest.raises(ValueError, match="X"):
        saliency(model, np.full((2, 5), np.nan), 0)
    with pytest.raises(ValueError, match="one value per coalition"):
        exact_shapley(lambda M: np.zeros(3), 3)
    with pytest.raises(TypeError, match="rng"):
        kernel_shap(lambda M: np.zeros(len(M)), 3, n_samples=10)
    with pytest.raises(ValueError, match="baseline"):
        masking_game(lambda X: X[:, 0], np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="H_test"):
        linear_probe(np.zeros((3, 2)), np.zeros(3), np.zeros((3, 4)), np.zeros(3))
    assert not any(m._caches for _, m in model.named_modules())
