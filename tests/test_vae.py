"""Tests for nnbook.models.vae: the Gaussian KL against numerical integration, the ELBO
below the log-likelihood of a tractable model, unbiasedness of both gradient estimators,
the VAE's backward through check_module, training and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import Adam, Dense, Sequential, Tanh, check_module
from nnbook.models.vae import (
    VAE,
    bernoulli_log_likelihood,
    elbo,
    gaussian_kl,
    gaussian_kl_backward,
    importance_log_likelihood,
    reparameterize,
    reparameterized_gradient,
    score_function_gradient,
    train_vae,
)


def _normal_pdf(x: np.ndarray, mu: float, var: float) -> np.ndarray:
    return np.exp(-0.5 * (x - mu) ** 2 / var) / np.sqrt(2 * np.pi * var)


@settings(deadline=None, max_examples=25)
@given(st.floats(-2, 2), st.floats(-1.5, 1.0), st.floats(-2, 2), st.floats(-1.0, 1.0))
def test_gaussian_kl_equals_numerical_integration(mq: float, lq: float, mp: float,
                                                  lp: float) -> None:
    vq, vp = np.exp(lq), np.exp(lp)
    x = np.linspace(-25, 25, 200_001)
    q, p = _normal_pdf(x, mq, vq), _normal_pdf(x, mp, vp)
    integrand = np.where(q > 1e-300, q * (np.log(np.maximum(q, 1e-300))
                                          - np.log(np.maximum(p, 1e-300))), 0.0)
    numeric = np.trapezoid(integrand, x)
    assert float(gaussian_kl(np.array(mq), np.array(lq), mp, lp)) == pytest.approx(
        numeric, rel=1e-6, abs=1e-8)


def test_gaussian_kl_hand_values_and_gradient() -> None:
    assert float(gaussian_kl(np.array(0.0), np.array(0.0))) == 0.0
    # KL(N(1, 1) || N(0, 1)) = 1/2
    assert float(gaussian_kl(np.array(1.0), np.array(0.0))) == pytest.approx(0.5)
    mu, lv = np.array([0.3, -1.0]), np.array([0.2, -0.5])
    g = np.array([1.0, 2.0])
    dmu, dlv = gaussian_kl_backward(mu, lv, g, 0.5, 0.1)
    h = 1e-6
    for i in range(2):
        e = np.eye(2)[i] * h
        num_mu = (gaussian_kl(mu + e, lv, 0.5, 0.1) - gaussian_kl(mu - e, lv, 0.5, 0.1))
        num_lv = (gaussian_kl(mu, lv + e, 0.5, 0.1) - gaussian_kl(mu, lv - e, 0.5, 0.1))
        assert dmu[i] == pytest.approx(g[i] * num_mu[i] / (2 * h), rel=1e-6)
        assert dlv[i] == pytest.approx(g[i] * num_lv[i] / (2 * h), rel=1e-6)


def _linear_gaussian_elbo(x: float, w: float, b: float, s2: float, m: float,
                          v: float) -> float:
    # p(z) = N(0, 1), p(x | z) = N(w z + b, s2), q(z) = N(m, v)
    expected_loglik = (-0.5 * np.log(2 * np.pi * s2)
                       - ((x - w * m - b) ** 2 + w**2 * v) / (2 * s2))
    return float(expected_loglik - gaussian_kl(np.array(m), np.array(np.log(v))))


@settings(deadline=None, max_examples=25)
@given(st.floats(-3, 3), st.floats(-2, 2), st.floats(-1, 1), st.floats(0.1, 2),
       st.floats(-2, 2), st.floats(0.05, 3))
def test_elbo_below_log_likelihood_and_tight_at_posterior(
        x: float, w: float, b: float, s2: float, m: float, v: float) -> None:
    var_x = w**2 + s2
    log_px = -0.5 * np.log(2 * np.pi * var_x) - (x - b) ** 2 / (2 * var_x)
    assert _linear_gaussian_elbo(x, w, b, s2, m, v) <= log_px + 1e-10
    post_var = s2 / (w**2 + s2)
    post_mean = w * (x - b) / (w**2 + s2)
    assert _linear_gaussian_elbo(x, w, b, s2, post_mean, post_var) == pytest.approx(
        log_px, abs=1e-9)


def test_gradient_estimators_are_unbiased() -> None:
    rng = np.random.default_rng(0)
    mu, sigma = 0.5, 1.3

    def f(z: np.ndarray) -> np.ndarray:
        return (z - 2.0) ** 2

    def df(z: np.ndarray) -> np.ndarray:
        return 2 * (z - 2.0)

    truth = 2 * (mu - 2.0)  # d/dmu [(mu - 2)^2 + sigma^2]
    eps = rng.standard_normal(200_000)
    for est in (score_function_gradient(f, mu, sigma, eps),
                reparameterized_gradient(df, mu, sigma, eps)):
        se = est.std(ddof=1) / np.sqrt(len(est))
        assert abs(est.mean() - truth) < 4 * se
    assert (score_function_gradient(f, mu, sigma, eps).var()
            > reparameterized_gradient(df, mu, sigma, eps).var())


def test_reparameterize_distribution() -> None:
    rng = np.random.default_rng(1)
    z = reparameterize(np.full((100_000, 1), 2.0), np.full((100_000, 1), np.log(0.25)),
                       rng.standard_normal((100_000, 1)))
    assert z.mean() == pytest.approx(2.0, abs=0.01)
    assert z.std() == pytest.approx(0.5, abs=0.01)


def _vae(rng: np.random.Generator, d: int = 5, k: int = 2,
         dtype: type = np.float64) -> VAE:
    enc = Sequential([Dense(d, 6, rng, dtype=dtype), Tanh(),
                      Dense(6, 2 * k, rng, dtype=dtype)])
    dec = Sequential([Dense(k, 6, rng, dtype=dtype), Tanh(), Dense(6, d, rng, dtype=dtype)])
    return VAE(enc, dec, k)


def test_vae_gradient_check() -> None:
    rng = np.random.default_rng(2)
    model = _vae(rng)
    X = rng.uniform(0, 1, (4, 5))
    eps = rng.standard_normal((4, 2))
    check_module(model, X, eps)


def test_bernoulli_log_likelihood_hand_value() -> None:
    # p = sigmoid(0) = 1/2 for both pixels: log(1/2) * 2
    assert bernoulli_log_likelihood(np.zeros((1, 2)), np.array([[1.0, 0.0]]))[0] == \
        pytest.approx(2 * np.log(0.5))


def test_training_raises_elbo_and_bounds_are_ordered() -> None:
    rng = np.random.default_rng(3)
    X = (rng.random((200, 5)) < np.array([0.9, 0.1, 0.5, 0.8, 0.2])).astype(float)
    X[:, 4] = X[:, 0]  # some dependence for the latent to explain
    model = _vae(rng)
    before = elbo(model, X, np.random.default_rng(4), n_samples=5).mean()
    hist = train_vae(model, X, Adam(1e-2), epochs=30, batch_size=50, rng=rng)
    after = elbo(model, X, np.random.default_rng(4), n_samples=5).mean()
    assert after > before and hist[-1] < hist[0]
    iw = importance_log_likelihood(model, X, np.random.default_rng(5), n_samples=200)
    assert iw.mean() >= after - 0.05
    assert iw.max() <= 0.0
    assert model.sample(3, rng).shape == (3, 5)


def test_float32() -> None:
    rng = np.random.default_rng(6)
    model = _vae(rng, dtype=np.float32)
    X = (rng.random((20, 5)) < 0.5).astype(np.float32)
    train_vae(model, X, Adam(1e-2), epochs=2, batch_size=10, rng=rng)
    assert model.encode(X)[0].dtype == np.float32


def test_bad_input() -> None:
    rng = np.random.default_rng(7)
    model = _vae(rng)
    with pytest.raises(ValueError, match="eps must have shape"):
        model(np.ones((3, 5)), np.ones((3, 3)))
    model.clear_cache()
    bad = VAE(Dense(5, 3, rng), Dense(2, 5, rng), 2)
    with pytest.raises(ValueError, match="encoder must return shape"):
        bad(np.ones((3, 5)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="sigma"):
        score_function_gradient(np.square, 0.0, -1.0, np.ones(3))
    with pytest.raises(TypeError, match="model"):
        elbo("vae", np.ones((2, 5)), rng)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beta"):
        train_vae(model, np.ones((4, 5)), Adam(), epochs=1, batch_size=2, rng=rng,
                  beta=-1.0)
