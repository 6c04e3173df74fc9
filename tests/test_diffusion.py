"""Tests for nnbook.models.diffusion: the closed form q(x_t | x_0) against the chain
(statistically), the loss gradient, the Denoiser's backward through check_module, DDPM
and DDIM sampling with an exact noise predictor for Gaussian data, training and bad
input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import Adam, Dense, Sequential, Tanh, check_module, numerical_gradient
from nnbook.models.diffusion import (
    Denoiser,
    ddim_sample,
    ddpm_sample,
    forward_chain,
    linear_beta_schedule,
    noise_prediction_loss,
    q_sample,
    timestep_embedding,
    train_diffusion,
)


def test_schedule() -> None:
    betas, ab = linear_beta_schedule(1000)
    assert betas[0] == pytest.approx(1e-4) and betas[-1] == pytest.approx(0.02)
    assert ab[-1] < 1e-4 and np.all(np.diff(ab) < 0)


@pytest.mark.parametrize("t", [1, 10, 50])
def test_closed_form_matches_chain(t: int) -> None:
    rng = np.random.default_rng(0)
    betas, ab = linear_beta_schedule(50, 1e-3, 0.1)
    x0 = np.tile(np.array([[1.5, -2.0]]), (20_000, 1))
    chain = forward_chain(x0, betas, t, rng)
    closed = q_sample(x0, t, rng.standard_normal(x0.shape), ab)
    n = len(x0)
    mean, var = np.sqrt(ab[t - 1]) * x0[0], 1 - ab[t - 1]
    for sample in (chain, closed):
        # mean within 4 standard errors, variance within 4 standard errors
        assert np.all(np.abs(sample.mean(0) - mean) < 4 * np.sqrt(var / n))
        assert np.all(np.abs(sample.var(0) - var) < 4 * var * np.sqrt(2 / n))


def test_noise_prediction_loss_gradient() -> None:
    rng = np.random.default_rng(1)
    e_hat, e = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    v, g = noise_prediction_loss(e_hat, e)
    assert v == pytest.approx(np.mean((e_hat - e) ** 2))
    num = numerical_gradient(lambda a: noise_prediction_loss(a, e)[0], e_hat.copy())
    np.testing.assert_allclose(g, num, rtol=1e-6)


def test_timestep_embedding() -> None:
    emb = timestep_embedding(np.array([1, 5, 10]), 10, 8)
    assert emb.shape == (3, 8)
    np.testing.assert_allclose(emb[:, :4] ** 2 + emb[:, 4:] ** 2, 1.0)
    with pytest.raises(ValueError, match="even"):
        timestep_embedding(np.array([1]), 10, 3)


def test_denoiser_gradient_check() -> None:
    rng = np.random.default_rng(2)
    net = Sequential([Dense(2 + 4 + 3, 6, rng), Tanh(), Dense(6, 2, rng)])
    model = Denoiser(net, n_steps=10, n_classes=3, emb_dim=4)
    X = rng.standard_normal((5, 2))
    check_module(model, X, np.array([1, 3, 5, 7, 10]), np.array([0, 1, 2, -1, 1]))
    uncond = Denoiser(Sequential([Dense(2 + 4, 2, rng)]), n_steps=10, emb_dim=4)
    check_module(uncond, X, np.array([2, 2, 2, 2, 2]))


class _GaussianOracle:
    """The exact eps-predictor for data N(m, s^2 I): E[eps | x_t]."""

    def __init__(self, m: float, s: float, alpha_bar: np.ndarray) -> None:
        self.m, self.s, self.ab = m, s, alpha_bar

    def __call__(self, X: np.ndarray, t: np.ndarray, y: object = None) -> np.ndarray:
        ab = self.ab[t - 1][:, None]
        var = ab * self.s**2 + 1 - ab
        return np.sqrt(1 - ab) * (X - np.sqrt(ab) * self.m) / var


@settings(deadline=None, max_examples=5)
@given(st.floats(-2, 2), st.floats(0.2, 1.5))
def test_samplers_with_exact_predictor_recover_gaussian(m: float, s: float) -> None:
    betas, ab = linear_beta_schedule(200, 1e-4, 0.1)
    oracle = _GaussianOracle(m, s, ab)
    rng = np.random.default_rng(3)
    for X in (ddpm_sample(oracle, 4000, 2, betas, rng),
              ddim_sample(oracle, 4000, 2, betas, rng, n_sample_steps=50)):
        assert np.all(np.abs(X.mean(0) - m) < 0.08)
        assert np.all(np.abs(X.std(0) - s) < 0.08 * max(s, 0.5))


def test_training_lowers_loss_and_guidance_runs() -> None:
    rng = np.random.default_rng(4)
    X = np.concatenate([rng.normal(-2, 0.2, (100, 2)), rng.normal(2, 0.2, (100, 2))])
    y = np.repeat([0, 1], 100)
    betas, ab = linear_beta_schedule(20, 1e-3, 0.2)
    net = Sequential([Dense(2 + 8 + 2, 32, rng), Tanh(), Dense(32, 2, rng)])
    model = Denoiser(net, 20, n_classes=2, emb_dim=8)
    hist = train_diffusion(model, X, ab, Adam(1e-2), epochs=30, batch_size=50, rng=rng,
                           y=y)
    assert hist[-1] < hist[0]
    S = ddpm_sample(model, 10, 2, betas, rng, y=np.zeros(10, dtype=int), guidance=2.0)
    assert S.shape == (10, 2) and np.all(np.isfinite(S))
    assert not any(m._caches for _, m in model.named_modules())


def test_bad_input() -> None:
    rng = np.random.default_rng(5)
    _, ab = linear_beta_schedule(10)
    with pytest.raises(ValueError, match="t must lie"):
        q_sample(np.zeros((2, 2)), 11, np.zeros((2, 2)), ab)
    with pytest.raises(TypeError, match="integer time steps"):
        q_sample(np.zeros((2, 2)), 1.5, np.zeros((2, 2)), ab)
    with pytest.raises(ValueError, match="beta_T"):
        linear_beta_schedule(10, 0.1, 0.01)
    model = Denoiser(Sequential([Dense(2 + 4 + 2, 2, rng)]), 10, n_classes=2, emb_dim=4)
    with pytest.raises(ValueError, match="y must hold"):
        model(np.zeros((2, 2)), np.array([1, 2]), np.array([0, 5]))
    with pytest.raises(ValueError, match="same shape"):
        noise_prediction_loss(np.zeros((2, 2)), np.zeros((2, 3)))
