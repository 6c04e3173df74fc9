"""Tests for nnbook.nn.losses: values from the derivations, gradients, properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

import nnbook.nn.losses as L
from nnbook.gradcheck import numerical_gradient
from nnbook.nn.activations import sigmoid, softmax
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


# --- added with the loss-functions chapter ------------------------------------------------------

from hypothesis import strategies as st

from tests.strategies import arrays, floats


@given(arrays((7,), lo=-10, hi=10), arrays((7,), lo=0, hi=1))
def test_bce_from_logits_equals_the_probability_formula(z: np.ndarray, y: np.ndarray) -> None:
    # the probability formula loses digits as sigma(z) nears 0 or 1 (the chapter's point), so
    # the comparison is made where it is still accurate
    p = sigmoid(z)
    naive = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p))
    assert L.binary_cross_entropy(z, y) == pytest.approx(naive, rel=1e-8, abs=1e-12)


@given(floats(0.01, 0.99))
def test_bce_is_minimized_at_the_logit_of_the_target(t: float) -> None:
    z_star = math.log(t / (1 - t))
    y = np.array([t])
    best = L.binary_cross_entropy(np.array([z_star]), y)
    for dz in (-0.1, 0.1):
        assert L.binary_cross_entropy(np.array([z_star + dz]), y) > best
    assert abs(L.binary_cross_entropy_backward(np.array([z_star]), y)[0]) < 1e-12


@given(matrices(), floats(-10, 10))
def test_regression_losses_depend_only_on_the_residual(a: np.ndarray, c: float) -> None:
    b = np.flip(a)
    for loss, backward in REGRESSION:
        assert loss(a + c, b + c) == pytest.approx(loss(a, b), rel=1e-9, abs=1e-9)
        if loss is not L.mae:  # sign(r) jumps at r = 0, where adding c may round r to exactly 0
            np.testing.assert_allclose(backward(a + c, b + c), backward(a, b), atol=1e-9)


@given(arrays((9,), lo=-5, hi=5), floats(0.1, 5))
def test_huber_interpolates_between_squared_and_absolute(r: np.ndarray, delta: float) -> None:
    zero = np.zeros_like(r)
    n = r.size
    small = np.abs(r) <= delta
    # inside the threshold the per-example loss is r^2 / 2, outside delta (|r| - delta / 2)
    per_example = np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))
    assert L.huber(r, zero, delta) == pytest.approx(per_example.mean(), rel=1e-12, abs=1e-12)
    g = L.huber_backward(r, zero, delta) * n
    assert np.all(np.abs(g) <= delta + 1e-12)                     # bounded pull
    np.testing.assert_allclose(g[small], r[small], atol=1e-12)     # the residual itself inside
    assert L.huber(r, zero, delta) <= delta * L.mae(r, zero) + 1e-12


@given(arrays((8,), lo=-50, hi=50))
def test_mae_gradient_is_bounded_and_mse_gradient_is_linear(r: np.ndarray) -> None:
    zero = np.zeros_like(r)
    assert np.all(np.abs(L.mae_backward(r, zero)) <= 1.0 / r.size)
    np.testing.assert_allclose(L.mse_backward(2 * r, zero), 2 * L.mse_backward(r, zero), atol=1e-12)


def test_mean_and_median_minimize_mse_and_mae() -> None:
    y = np.array([0.0, 1.0, 2.0, 3.0, 100.0])
    c_mean = np.full_like(y, y.mean())
    c_median = np.full_like(y, np.median(y))
    assert abs(L.mse_backward(c_mean, y).sum()) < 1e-12              # zero gradient at the mean
    assert L.mae_backward(c_median, y).sum() == 0.0                  # balanced signs at the median
    for d in (-0.5, 0.5):
        assert L.mae(c_median + d, y) > L.mae(c_median, y)
        assert L.mse(c_mean + d, y) > L.mse(c_mean, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_dtype_is_preserved(dtype) -> None:
    a = np.linspace(-2, 2, 6, dtype=dtype)
    b = np.zeros(6, dtype=dtype)
    for _, backward in REGRESSION:
        assert backward(a, b).dtype == dtype
    assert L.binary_cross_entropy_backward(a, (b + 1).astype(dtype)).dtype == dtype
    assert L.cross_entropy_backward(a.reshape(2, 3), np.array([0, 2])).dtype == dtype


@given(st.integers(2, 6), st.integers(1, 6))
def test_cross_entropy_of_equal_logits_is_log_k(k: int, n: int) -> None:
    z = np.zeros((n, k))
    y = np.arange(n) % k
    assert L.cross_entropy(z, y) == pytest.approx(math.log(k))


def test_more_bad_input() -> None:
    with pytest.raises(ValueError, match=r"2-D array of shape \(batch, n_classes\); got shape \(3,\)"):
        L.cross_entropy(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="integer class labels"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="not be empty"):
        L.binary_cross_entropy(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match="finite"):
        L.huber_backward(np.array([np.inf]), np.array([0.0]))
