"""Tests for nnbook.models.autoencoder: PCA and subspaces, the sparsity and contractive
penalties against hand computations and central differences, every backward through
check_module, training and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    Adam,
    Dense,
    Sequential,
    Sigmoid,
    Tanh,
    check_module,
    numerical_gradient,
)
from nnbook.models.autoencoder import (
    Autoencoder,
    ContractiveEncoder,
    SparseEncoder,
    contractive_penalty,
    contractive_penalty_backward,
    corrupt,
    kl_sparsity,
    kl_sparsity_backward,
    pca_components,
    reconstruction_error,
    subspace_distance,
    train_autoencoder,
)


def test_pca_components_match_covariance_eigenvectors() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)) @ np.diag([5.0, 3.0, 1.0, 0.5, 0.1])
    mean, V = pca_components(X, 2)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    evals, evecs = np.linalg.eigh(np.cov(X.T))
    top = evecs[:, ::-1][:, :2]
    assert subspace_distance(V, top) < 1e-10
    np.testing.assert_allclose(V.T @ V, np.eye(2), atol=1e-12)


def test_subspace_distance_extremes() -> None:
    e = np.eye(4)
    assert subspace_distance(e[:, :2], e[:, :2] @ np.array([[2.0, 1], [0, 3]])) < 1e-12
    assert subspace_distance(e[:, :2], e[:, 2:]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        subspace_distance(e[:, :2], e[:, :3])


def test_linear_autoencoder_finds_principal_subspace() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 6)) @ np.diag([4.0, 3.0, 0.3, 0.2, 0.2, 0.1])
    X = X @ np.linalg.qr(rng.standard_normal((6, 6)))[0]
    mean, V = pca_components(X, 2)
    ae = Autoencoder(Dense(6, 2, rng, init="xavier"), Dense(2, 6, rng, init="xavier"))
    train_autoencoder(ae, X - mean, Adam(1e-2), epochs=300, batch_size=100, rng=rng)
    assert subspace_distance(ae.decoder.params["W"].T, V) < 0.02
    err = reconstruction_error(ae, X - mean).mean()
    pca_err = np.mean(np.sum(((X - mean) - (X - mean) @ V @ V.T) ** 2, axis=1))
    assert err == pytest.approx(pca_err, rel=0.02)


def test_kl_sparsity_hand_computed() -> None:
    H = np.array([[0.2, 0.5], [0.4, 0.5]])  # rho_hat = (0.3, 0.5)
    rho = 0.1
    want = sum(rho * np.log(rho / q) + (1 - rho) * np.log((1 - rho) / (1 - q))
               for q in (0.3, 0.5))
    assert kl_sparsity(H, rho) == pytest.approx(want)
    assert kl_sparsity(np.full((3, 2), 0.1), 0.1) == pytest.approx(0.0, abs=1e-12)


@settings(deadline=None, max_examples=25)
@given(st.integers(0, 10_000), st.floats(0.05, 0.9))
def test_kl_sparsity_nonnegative_and_gradient(seed: int, rho: float) -> None:
    rng = np.random.default_rng(seed)
    H = rng.uniform(0.05, 0.95, (4, 3))
    assert kl_sparsity(H, rho) >= 0
    num = numerical_gradient(lambda h: kl_sparsity(h, rho), H.copy())
    np.testing.assert_allclose(kl_sparsity_backward(H, rho), num, rtol=1e-5, atol=1e-8)


def test_contractive_penalty_is_the_jacobian_norm() -> None:
    rng = np.random.default_rng(2)
    X, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    # Jacobian of h(x) = sigmoid(x W + b) at each x, by central differences.
    total = 0.0
    for x in X:
        J = np.stack([numerical_gradient(
            lambda v, j=j: float(1 / (1 + np.exp(-(v @ W + b)[j]))), x.copy())
            for j in range(2)])
        total += np.sum(J**2)
    assert contractive_penalty(X, W, b) == pytest.approx(total / 3, rel=1e-6)


def test_contractive_penalty_backward_gradient_check() -> None:
    rng = np.random.default_rng(3)
    X, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    dX, dW, db = contractive_penalty_backward(X, W, b)
    np.testing.assert_allclose(
        dX, numerical_gradient(lambda v: contractive_penalty(v, W, b), X.copy()),
        rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        dW, numerical_gradient(lambda v: contractive_penalty(X, v, b), W.copy()),
        rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        db, numerical_gradient(lambda v: contractive_penalty(X, W, v), b.copy()),
        rtol=1e-6, atol=1e-9)


def test_encoders_and_autoencoders_gradient_check() -> None:
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 1, (6, 5))
    check_module(SparseEncoder(5, 3, rng, rho=0.2, beta=0.7), X)
    check_module(ContractiveEncoder(5, 3, rng, lam=0.3), X)
    for enc in (ContractiveEncoder(5, 3, rng, lam=0.5), SparseEncoder(5, 3, rng),
                Sequential([Dense(5, 4, rng), Tanh(), Dense(4, 3, rng)])):
        ae = Autoencoder(enc, Sequential([Dense(3, 5, rng), Sigmoid()]))
        check_module(ae, X)


def test_autoencoder_plain_penalty_is_zero_and_shapes() -> None:
    rng = np.random.default_rng(5)
    ae = Autoencoder(Dense(4, 2, rng), Dense(2, 4, rng))
    X = rng.standard_normal((7, 4))
    X_hat, P = ae(X)
    ae.clear_cache()
    assert X_hat.shape == (7, 4) and float(P) == 0.0
    assert ae.encode(X).shape == (7, 2) and ae.decode(np.zeros((3, 2))).shape == (3, 4)
    assert reconstruction_error(ae, X).shape == (7,)


def test_denoising_training_lowers_loss_and_float32() -> None:
    rng = np.random.default_rng(6)
    X = rng.uniform(0, 1, (64, 8)).astype(np.float32)
    ae = Autoencoder(Sequential([Dense(8, 4, rng, dtype=np.float32), Tanh()]),
                     Dense(4, 8, rng, dtype=np.float32))
    h = train_autoencoder(ae, X, Adam(1e-2), epochs=30, batch_size=16, rng=rng,
                          noise_std=0.1, mask_prob=0.2)
    assert h[-1] < h[0]
    assert ae.decoder.params["W"].dtype == np.float32


def test_corrupt() -> None:
    rng = np.random.default_rng(7)
    X = np.ones((1000, 10))
    Z = corrupt(X, rng, mask_prob=0.3)
    assert abs((Z == 0).mean() - 0.3) < 0.02
    assert np.array_equal(corrupt(X, rng), X)
    G = corrupt(np.zeros((2000, 5)), rng, noise_std=0.5)
    assert G.std() == pytest.approx(0.5, rel=0.05)


def test_bad_input() -> None:
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match="rho"):
        kl_sparsity(np.full((2, 2), 0.5), 1.5)
    with pytest.raises(ValueError, match="mask_prob"):
        corrupt(np.ones(3), rng, mask_prob=1.0)
    with pytest.raises(TypeError, match="encoder"):
        Autoencoder("nope", Dense(2, 2, rng))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must"):
        pca_components(np.ones((3, 2)), 5)
    with pytest.raises(ValueError, match="X must"):
        ContractiveEncoder(3, 2, rng)(np.ones((2, 4)))
    ae = Autoencoder(Dense(2, 1, rng), Dense(1, 2, rng))
    with pytest.raises(TypeError, match="epochs"):
        train_autoencoder(ae, np.ones((4, 2)), Adam(), epochs=1.5,  # type: ignore
                          batch_size=2, rng=rng)
