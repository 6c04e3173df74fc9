"""Tests for nnbook.models.gan: the losses against hand values and central differences,
the optimal discriminator and the Jensen-Shannon identity, the gradient penalty's
weight gradient, cycle consistency, mode counting, a short training run and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import Adam, Dense, LeakyReLU, ReLU, Sequential, Tanh, numerical_gradient
from nnbook.models.gan import (
    clip_weights,
    count_modes,
    cycle_consistency_loss,
    discriminator_loss,
    generate,
    generator_loss,
    gradient_penalty,
    js_divergence,
    optimal_discriminator,
    ring_of_gaussians,
    train_gan,
    wasserstein_losses,
)


def test_discriminator_loss_hand_value_and_gradient() -> None:
    # D = sigmoid(0) = 1/2 on both: -log(1/2) - log(1/2) = 2 log 2
    v, dr, df = discriminator_loss(np.zeros((2, 1)), np.zeros((3, 1)))
    assert v == pytest.approx(2 * np.log(2))
    np.testing.assert_allclose(dr, -0.5 / 2)
    np.testing.assert_allclose(df, 0.5 / 3)
    rng = np.random.default_rng(0)
    r, f = rng.standard_normal((4, 1)), rng.standard_normal((5, 1))
    _, dr, df = discriminator_loss(r, f)
    np.testing.assert_allclose(
        dr, numerical_gradient(lambda a: discriminator_loss(a, f)[0], r.copy()), rtol=1e-6)
    np.testing.assert_allclose(
        df, numerical_gradient(lambda a: discriminator_loss(r, a)[0], f.copy()), rtol=1e-6)


@pytest.mark.parametrize("kind", ["nonsaturating", "minimax"])
def test_generator_loss_gradients(kind: str) -> None:
    f = np.random.default_rng(1).standard_normal((6, 1))
    _, d = generator_loss(f, kind)
    num = numerical_gradient(lambda a: generator_loss(a, kind)[0], f.copy())
    np.testing.assert_allclose(d, num, rtol=1e-6, atol=1e-10)


def test_saturation() -> None:
    # When D confidently rejects the fakes (logit -10), the minimax gradient vanishes
    # while the non-saturating one does not.
    f = np.full((1, 1), -10.0)
    assert abs(generator_loss(f, "minimax")[1][0, 0]) < 1e-4
    assert abs(generator_loss(f, "nonsaturating")[1][0, 0]) > 0.99


@settings(deadline=None, max_examples=25)
@given(st.integers(0, 10_000))
def test_optimal_discriminator_maximises_value_and_js_identity(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(6))
    q = rng.dirichlet(np.ones(6))
    D = optimal_discriminator(p, q)

    def value(d: np.ndarray) -> float:
        return float(np.sum(p * np.log(d) + q * np.log(1 - d)))

    # V(D*, G) = -log 4 + 2 JS(p || q)
    assert value(D) == pytest.approx(-np.log(4) + 2 * js_divergence(p, q), abs=1e-10)
    other = np.clip(D + 0.05 * rng.standard_normal(6), 1e-3, 1 - 1e-3)
    assert value(other) <= value(D) + 1e-12
    assert 0 <= js_divergence(p, q) <= np.log(2) + 1e-12


def test_js_extremes() -> None:
    assert js_divergence(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    assert js_divergence(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(
        np.log(2))


def test_wasserstein_losses() -> None:
    v, dr, df = wasserstein_losses(np.array([[1.0], [3.0]]), np.array([[0.0]]))
    assert v == -2.0 and np.all(dr == -0.5) and np.all(df == 1.0)


def _critic(rng: np.random.Generator, act: type = LeakyReLU) -> Sequential:
    a = act(0.2) if act is LeakyReLU else act()
    b = act(0.2) if act is LeakyReLU else act()
    return Sequential([Dense(2, 5, rng), a, Dense(5, 4, rng), b, Dense(4, 1, rng)])


@pytest.mark.parametrize("act", [LeakyReLU, ReLU])
def test_gradient_penalty_value_and_weight_gradient(act: type) -> None:
    rng = np.random.default_rng(2)
    critic = _critic(rng, act)
    X = rng.standard_normal((7, 2))
    # the input gradient through the module system's own backward
    critic.zero_grad()
    critic(X)
    u0 = critic.backward(np.ones((7, 1)))
    want = 3.0 * np.mean((np.linalg.norm(u0, axis=1) - 1) ** 2)
    critic.zero_grad()
    value = gradient_penalty(critic, X, lam=3.0)
    assert value == pytest.approx(want, rel=1e-10)
    analytic = {k: g.copy() for k, g in critic.gradients().items()}
    for name, p in critic.parameters().items():
        num = numerical_gradient(
            lambda _: gradient_penalty(critic, X, 3.0, accumulate=False), p)
        np.testing.assert_allclose(analytic[name], num, rtol=1e-5, atol=1e-8)


def test_gradient_penalty_rejects_other_critics() -> None:
    rng = np.random.default_rng(3)
    with pytest.raises(TypeError, match="gradient_penalty needs"):
        gradient_penalty(Sequential([Dense(2, 3, rng), Tanh(), Dense(3, 1, rng)]),
                         np.ones((2, 2)))
    with pytest.raises(TypeError, match="one output"):
        gradient_penalty(Sequential([Dense(2, 3, rng)]), np.ones((2, 2)))


def test_clip_weights() -> None:
    rng = np.random.default_rng(4)
    critic = _critic(rng)
    clip_weights(critic, 0.01)
    assert all(np.abs(p).max() <= 0.01 for p in critic.parameters().values())


def test_cycle_consistency_loss() -> None:
    X = np.array([[0.0, 1.0], [2.0, 2.0]])
    R = np.array([[1.0, 1.0], [2.0, 0.0]])
    v, g = cycle_consistency_loss(X, R)
    assert v == pytest.approx((1 + 2) / 2)
    np.testing.assert_allclose(g, [[0.5, 0.0], [0.0, -0.5]])


def test_ring_and_mode_counting() -> None:
    rng = np.random.default_rng(5)
    X, C = ring_of_gaussians(4000, rng, n_modes=8, std=0.05)
    # in 2-D, P(|N(0, s^2 I)| < 3 s) = 1 - exp(-9 / 2) = 0.989
    assert count_modes(X, C, 0.05) == (8, pytest.approx(1 - np.exp(-4.5), abs=0.005))
    one = C[:1] + 0.01 * rng.standard_normal((100, 2))
    assert count_modes(one, C, 0.05) == (1, 1.0)


@pytest.mark.parametrize("kind", ["nonsaturating", "minimax", "wgan-clip", "wgan-gp"])
def test_training_runs_and_consumes_caches(kind: str) -> None:
    rng = np.random.default_rng(6)
    X, _ = ring_of_gaussians(256, rng)
    G = Sequential([Dense(2, 8, rng), ReLU(), Dense(8, 2, rng)])
    D = _critic(rng)
    hist = train_gan(G, D, X, Adam(1e-3), Adam(1e-3), steps=5, batch_size=16,
                     n_noise=2, rng=rng, kind=kind, n_critic=2)
    assert len(hist["loss_d"]) == 5 and np.all(np.isfinite(hist["loss_g"]))
    assert not any(m._caches for _, m in G.named_modules())
    assert not any(m._caches for _, m in D.named_modules())
    assert generate(G, 3, 2, rng).shape == (3, 2)


def test_bad_input() -> None:
    rng = np.random.default_rng(7)
    with pytest.raises(ValueError, match="kind"):
        generator_loss(np.zeros((2, 1)), "hinge")
    with pytest.raises(ValueError, match="same shape"):
        optimal_discriminator(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="probability vector"):
        js_divergence(np.array([0.5, 0.6]), np.array([0.5, 0.5]))
    G, D = Sequential([Dense(2, 2, rng)]), _critic(rng)
    with pytest.raises(ValueError, match="kind must be one of"):
        train_gan(G, D, np.ones((4, 2)), Adam(), Adam(), steps=1, batch_size=2,
                  n_noise=2, rng=rng, kind="lsgan")
    with pytest.raises(ValueError, match="real must"):
        discriminator_loss(np.zeros(3), np.zeros((3, 1)))
