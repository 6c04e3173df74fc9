"""Tests for nnbook.practice.adversarial: FGSM, PGD, accuracy under attack."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import SGD, CrossEntropyLoss, Dense, Sequential, Tanh, no_grad
from nnbook.practice.adversarial import (
    accuracy_under_attack,
    adversarial_fit,
    fgsm,
    loss_input_gradient,
    pgd,
)


def _loss(model, X, y):
    with no_grad():
        return CrossEntropyLoss()(model(X), y)[0]


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), eps=st.floats(1e-3, 2.0))
def test_fgsm_increases_the_loss_of_a_linear_model(seed, eps):
    # The cross-entropy of a linear model is convex in x, so L(x + d) >= L(x) + g.d,
    # and FGSM's d = eps sign(g) gives g.d = eps ||g||_1 > 0, for every eps.
    rng = np.random.default_rng(seed)
    model = Sequential([Dense(6, 4, rng)])
    X, y = rng.standard_normal((5, 6)), rng.integers(0, 4, 5)
    before = _loss(model, X, y)
    _, G = loss_input_gradient(model, X, y)
    after = _loss(model, fgsm(model, X, y, eps), y)
    assert after >= before + eps * np.abs(G).sum() - 1e-9


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000))
def test_fgsm_increases_the_loss_of_an_mlp_for_small_eps(seed):
    rng = np.random.default_rng(seed)
    model = Sequential([Dense(6, 16, rng, init="xavier"), Tanh(), Dense(16, 3, rng)])
    X, y = rng.standard_normal((4, 6)), rng.integers(0, 3, 4)
    assert _loss(model, fgsm(model, X, y, 1e-3), y) > _loss(model, X, y)


def test_loss_input_gradient_is_exact(rng):
    model = Sequential([Dense(3, 5, rng, init="xavier"), Tanh(), Dense(5, 2, rng)])
    X, y = rng.standard_normal((2, 3)), np.array([0, 1])
    value, G = loss_input_gradient(model, X, y)
    assert value == pytest.approx(_loss(model, X, y))
    eps, num = 1e-6, np.zeros_like(X)
    for idx in np.ndindex(*X.shape):
        E = np.zeros_like(X)
        E[idx] = eps
        num[idx] = (_loss(model, X + E, y) - _loss(model, X - E, y)) / (2 * eps)
    np.testing.assert_allclose(G, num, rtol=1e-6, atol=1e-10)
    assert all(not g.any() for g in model.gradients().values())


def test_fgsm_hand_case():
    # One input, two classes, W = [[1, -1]]: dL/dx = (p1 - 1) * 1 + p2 * (-1) < 0 for y=0
    model = Sequential([Dense(1, 2, np.random.default_rng(0))])
    model.parameters()["0.W"][...] = [[1.0, -1.0]]
    X_adv = fgsm(model, np.array([[0.5]]), np.array([0]), 0.1)
    np.testing.assert_allclose(X_adv, [[0.4]])
    np.testing.assert_allclose(fgsm(model, np.array([[0.05]]), np.array([0]), 0.1,
                                    clip=(0, 1)), [[0.0]])


def test_pgd_stays_in_the_ball_and_box_and_generalises_fgsm(rng):
    model = Sequential([Dense(8, 16, rng), Tanh(), Dense(16, 3, rng)])
    X, y = rng.random((20, 8)), rng.integers(0, 3, 20)
    eps = 0.1
    X_adv = pgd(model, X, y, eps, alpha=0.03, steps=10, rng=rng, clip=(0, 1))
    assert np.all(np.abs(X_adv - X) <= eps + 1e-12)
    assert X_adv.min() >= 0 and X_adv.max() <= 1
    np.testing.assert_array_equal(pgd(model, X, y, eps, alpha=eps, steps=1),
                                  fgsm(model, X, y, eps))
    assert _loss(model, pgd(model, X, y, eps, 0.02, 20), y) >= \
        _loss(model, fgsm(model, X, y, eps), y) - 1e-9


def test_accuracy_under_attack_and_adversarial_fit(rng):
    X = rng.standard_normal((200, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    model = Sequential([Dense(2, 8, rng), Tanh(), Dense(8, 2, rng)])
    losses = adversarial_fit(model, X, y, SGD(0.5), eps=0.05, epochs=15,
                             batch_size=50, rng=rng)
    assert losses[-1] < losses[0]
    acc = accuracy_under_attack(model, X, y, [0.0, 0.1, 1.0])
    assert acc[0] > 0.9 and acc[0] >= acc[1] >= acc[2] and acc[2] < 0.5
    acc_pgd = accuracy_under_attack(model, X, y, [0.3], attack=pgd, alpha=0.1, steps=5)
    assert acc_pgd.shape == (1,) and 0 <= acc_pgd[0] <= acc[0]


def test_bad_inputs(rng):
    model = Sequential([Dense(2, 2, rng)])
    X, y = np.zeros((3, 2)), np.zeros(3, int)
    with pytest.raises(ValueError, match="eps"):
        fgsm(model, X, y, -0.1)
    with pytest.raises(ValueError, match="clip"):
        fgsm(model, X, y, 0.1, clip=(1, 0))
    with pytest.raises(TypeError, match="steps"):
        pgd(model, X, y, 0.1, 0.1, steps=1.5)
    with pytest.raises(ValueError, match="epsilons"):
        accuracy_under_attack(model, X, y, [-1.0])
    with pytest.raises(ValueError, match="y"):
        fgsm(model, X, np.zeros(2, int), 0.1)
    assert not model._caches and not model.layers[0]._caches
