"""Tests for nnbook.losses: values from the derivations, gradients, properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

import nnbook.losses as L
from nnbook.activations import sigmoid, softmax
from nnbook.gradcheck import numerical_gradient
from tests.strategies import logits_and_labels, matrices

REGRESSION = [(L.mse, L.mse_backward), (L.mae, L.mae_backward), (L.huber, L.huber_backward)]


@pytest.mark.parametrize("loss, loss_backward", REGRESSION, ids=["mse", "mae", "huber"])
def test_regression_gradients(loss, loss_backward, rng) -> None:
    y = rng.normal(size=(6, 2))
    y_hat = y + rng.choice([-1.0, 1.0], size=y.shape) * rng.uniform(0.1, 3.0, size=y.shape)
    num = numerical_gradient(lambda p: loss(p, y), y_hat.copy())
    np.testing.assert_allclose(loss_backward(y_hat, y), num, rtol=1e-6, atol=1e-9)


def test_classification_gradients(rng) -> None:
    z = rng.normal(0, 3, size=(5, 4))
    y = rng.integers(0, 4, size=5)
    num = numerical_gradient(lambda p: L.cross_entropy(p, y), z.copy())
    np.testing.assert_allclose(L.cross_entropy_backward(z, y), num, rtol=1e-6, atol=1e-9)
    zb = rng.normal(0, 3, size=(7,))
    yb = rng.uniform(0, 1, size=7)
    num = numerical_gradient(lambda p: L.binary_cross_entropy(p, yb), zb.copy())
    np.testing.assert_allclose(L.binary_cross_entropy_backward(zb, yb), num, rtol=1e-6, atol=1e-9)


def test_hand_computed_values() -> None:
    # residuals 1, -2, 3 over a batch of 3
    y_hat, y = np.array([1.0, 0.0, 3.0]), np.array([0.0, 2.0, 0.0])
    assert L.mse(y_hat, y) == pytest.approx((1 + 4 + 9) / 3)
    assert L.mae(y_hat, y) == pytest.approx((1 + 2 + 3) / 3)
    assert L.huber(y_hat, y, delta=1.5) == pytest.approx((0.5 + 1.5 * (2 - 0.75) + 1.5 * (3 - 0.75)) / 3)
    # two classes, logits (0, log 3): p = (1/4, 3/4)
    z = np.array([[0.0, math.log(3.0)], [0.0, math.log(3.0)]])
    assert L.cross_entropy(z, np.array([1, 0])) == pytest.approx((-math.log(0.75) - math.log(0.25)) / 2)
    assert L.binary_cross_entropy(np.array([0.0]), np.array([1.0])) == pytest.approx(math.log(2.0))
    np.testing.assert_allclose(L.cross_entropy_backward(z, np.array([1, 0])), [[0.125, -0.125], [-0.375, 0.375]])


def test_binary_is_two_class_categorical() -> None:
    z = np.array([-2.0, 0.3, 4.0])
    y = np.array([0, 1, 1])
    two = np.c_[np.zeros(3), z]  # softmax of (0, z) is (1 - sigma(z), sigma(z))
    assert L.binary_cross_entropy(z, y.astype(float)) == pytest.approx(L.cross_entropy(two, y))


def test_stable_for_huge_logits() -> None:
    z = np.array([[1e4, -1e4]])
    assert L.cross_entropy(z, np.array([1])) == pytest.approx(2e4)
    assert L.binary_cross_entropy(np.array([-1e4]), np.array([1.0])) == pytest.approx(1e4)
    assert np.isfinite(L.cross_entropy_backward(z, np.array([1]))).all()


@given(logits_and_labels())
def test_cross_entropy_properties(zy) -> None:
    z, y = zy
    assert L.cross_entropy(z, y) >= 0
    g = L.cross_entropy_backward(z, y)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-12)  # softmax - onehot sums to 0
    onehot = np.eye(z.shape[1])[y]
    np.testing.assert_allclose(g, (softmax(z) - onehot) / z.shape[0], atol=1e-15)


@given(matrices(), matrices())
def test_regression_losses_are_nonnegative_and_zero_at_target(a: np.ndarray, b: np.ndarray) -> None:
    b = np.resize(b, a.shape)
    for loss, _ in REGRESSION:
        assert loss(a, b) >= 0
        assert loss(a, a) == 0.0
    assert L.huber(a, b) <= 0.5 * L.mse(a, b) + 1e-9  # Huber lies below the quadratic


def test_bce_gradient_is_sigmoid_minus_target() -> None:
    z = np.array([-1.0, 2.0])
    y = np.array([1.0, 0.0])
    np.testing.assert_allclose(L.binary_cross_entropy_backward(z, y), (sigmoid(z) - y) / 2)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"same shape; got \(3,\) and \(2,\)"):
        L.mse(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"1-D array of 2 integer labels; got shape \(3,\)"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"labels in \[0, 3\); got values from 0 to 3"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="finite"):
        L.cross_entropy(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match="finite"):
        L.mse(np.array([np.nan]), np.array([0.0]))
    with pytest.raises(ValueError, match=r"targets in \[0, 1\]"):
        L.binary_cross_entropy(np.zeros(2), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="not be empty"):
        L.mse(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="delta"):
        L.huber(np.zeros(2), np.zeros(2), delta=0.0)
