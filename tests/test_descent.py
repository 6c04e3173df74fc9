"""Tests for nnbook.foundations.descent: the rate theory of gradient descent on quadratics, gradients of the
test functions, monotone decrease, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.foundations.descent as D
from nnbook.gradcheck import check_gradient, numerical_gradient


@st.composite
def spd_matrices(draw: st.DrawFn, max_dim: int = 4) -> np.ndarray:
    """Symmetric positive definite matrices Q diag(lam) Q^T with eigenvalues in [0.1, 10]."""
    d = draw(st.integers(1, max_dim))
    seed = draw(st.integers(0, 2**32 - 1))
    r = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(r.standard_normal((d, d)))
    lam = r.uniform(0.1, 10.0, size=d)
    return (Q * lam) @ Q.T


def test_quadratic_values_by_hand() -> None:
    A = np.array([[2.0, 0.0], [0.0, 4.0]])
    b = np.array([2.0, 4.0])
    f, grad = D.quadratic(A, b)
    # f(1, 1) = 1/2 (2 + 4) - (2 + 4) = -3; the gradient A x - b vanishes there.
    assert f(np.array([1.0, 1.0])) == pytest.approx(-3.0)
    np.testing.assert_allclose(grad(np.array([1.0, 1.0])), [0.0, 0.0])
    np.testing.assert_allclose(D.quadratic_minimizer(A, b), [1.0, 1.0])
    # f(0) = 0 and grad(0) = -b
    assert f(np.zeros(2)) == 0.0
    np.testing.assert_allclose(grad(np.zeros(2)), -b)
    # eigenvalues 2 and 4: rate at lr = 0.1 is max(|1-0.2|, |1-0.4|) = 0.8
    assert D.quadratic_rate(A, 0.1) == pytest.approx(0.8)
    lr_star, rho_star = D.quadratic_optimal_lr(A)
    assert lr_star == pytest.approx(2.0 / 6.0)
    assert rho_star == pytest.approx(1.0 / 3.0)
    assert D.quadratic_rate(A, lr_star) == pytest.approx(rho_star)


def test_quadratic_is_vectorized_over_a_grid(rng) -> None:
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    f, grad = D.quadratic(A, b)
    X = rng.normal(size=(5, 7, 2))
    F = f(X)
    G = grad(X)
    assert F.shape == (5, 7) and G.shape == (5, 7, 2)
    for i, j in [(0, 0), (4, 6), (2, 3)]:
        x = X[i, j]
        assert F[i, j] == pytest.approx(0.5 * x @ A @ x - b @ x)
        np.testing.assert_allclose(G[i, j], A @ x - b)


def test_quadratic_gradient_matches_central_differences(rng) -> None:
    M = rng.normal(size=(4, 4))
    A = M @ M.T + 0.5 * np.eye(4)
    b = rng.normal(size=4)
    f, grad = D.quadratic(A, b)
    err = check_gradient(f, grad, rng.normal(size=4))
    assert err < 1e-6


def test_rosenbrock_values_and_gradient(rng) -> None:
    assert D.rosenbrock(np.array([1.0, 1.0])) == 0.0
    np.testing.assert_allclose(D.rosenbrock_grad(np.array([1.0, 1.0])), [0.0, 0.0])
    # at the origin: (1 - 0)^2 + 100 * 0 = 1, gradient (-2, 0)
    assert D.rosenbrock(np.zeros(2)) == 1.0
    np.testing.assert_allclose(D.rosenbrock_grad(np.zeros(2)), [-2.0, 0.0])
    for _ in range(3):
        x = rng.uniform(-2, 2, size=2)
        err = check_gradient(D.rosenbrock, D.rosenbrock_grad, x, rtol=1e-6, atol=1e-6)
        assert err < 1e-6
    X = rng.normal(size=(3, 4, 2))
    assert D.rosenbrock(X).shape == (3, 4)
    assert D.rosenbrock_grad(X).shape == (3, 4, 2)
    num = numerical_gradient(lambda p: float(D.rosenbrock(p, a=2.0, b=5.0)), np.array([0.3, -0.7]))
    np.testing.assert_allclose(D.rosenbrock_grad(np.array([0.3, -0.7]), a=2.0, b=5.0), num, rtol=1e-7)


def test_trajectory_shape_and_first_step() -> None:
    A = np.diag([1.0, 10.0])
    b = np.zeros(2)
    _, grad = D.quadratic(A, b)
    traj = D.gradient_descent(grad, np.array([1.0, 1.0]), lr=0.05, n_steps=7)
    assert traj.shape == (8, 2)
    np.testing.assert_allclose(traj[0], [1.0, 1.0])
    np.testing.assert_allclose(traj[1], [1.0 - 0.05, 1.0 - 0.5])
    # on a diagonal quadratic each coordinate is multiplied by (1 - lr * lambda_i) per step
    np.testing.assert_allclose(traj[7], [(1 - 0.05) ** 7, (1 - 0.5) ** 7])


def test_float32_is_kept() -> None:
    _, grad = D.quadratic(np.eye(2), np.zeros(2))
    traj = D.gradient_descent(grad, np.ones(2, dtype=np.float32), lr=0.5, n_steps=3)
    assert traj.dtype == np.float32


@pytest.mark.parametrize("lr_fraction", [0.3, 1.0, 1.6])
def test_rate_matches_measured_contraction(lr_fraction: float, rng) -> None:
    Q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    lam = np.array([0.5, 2.0, 8.0])
    A = (Q * lam) @ Q.T
    b = rng.normal(size=3)
    x_star = D.quadratic_minimizer(A, b)
    _, grad = D.quadratic(A, b)
    lr = lr_fraction / lam[-1]
    rho = D.quadratic_rate(A, lr)
    traj = D.gradient_descent(grad, x_star + Q @ np.ones(3), lr, 200)  # equal weight on every eigenvector
    err = np.linalg.norm(traj - x_star, axis=1)
    # the bound holds at every step ...
    assert np.all(err[1:] <= rho ** np.arange(1, 201) * err[0] * (1 + 1e-9) + 1e-12)
    # ... and is attained asymptotically: the worst eigen-direction dominates
    measured = (err[150] / err[100]) ** (1 / 50)
    assert measured == pytest.approx(rho, rel=1e-6)


def test_divergence_above_two_over_L(rng) -> None:
    A = np.diag([1.0, 4.0])
    _, grad = D.quadratic(A, np.zeros(2))
    lr = 2.0 / 4.0 * 1.05
    assert D.quadratic_rate(A, lr) > 1
    traj = D.gradient_descent(grad, np.array([0.1, 0.1]), lr, 200)
    assert np.linalg.norm(traj[-1]) > 1e3 * np.linalg.norm(traj[0])
    # exactly at 2/L the stiff coordinate oscillates forever without growing or shrinking
    traj = D.gradient_descent(grad, np.array([0.0, 1.0]), 0.5, 5)
    np.testing.assert_allclose(traj[:, 1], [1, -1, 1, -1, 1, -1])


@given(spd_matrices(), st.floats(0.05, 0.95), st.integers(0, 2**32 - 1))
def test_function_decreases_monotonically_below_two_over_L(A: np.ndarray, frac: float, seed: int) -> None:
    r = np.random.default_rng(seed)
    d = A.shape[0]
    b = r.normal(size=d)
    f, grad = D.quadratic(A, b)
    L = np.linalg.eigvalsh(A)[-1]
    traj = D.gradient_descent(grad, r.normal(0, 3, size=d), 2 * frac / L, 30)
    values = f(traj)
    assert np.all(np.diff(values) <= 1e-12 * (1 + np.abs(values[:-1])))


@given(spd_matrices(), st.floats(0.005, 0.995))
def test_rate_is_below_one_exactly_when_lr_below_two_over_L(A: np.ndarray, frac: float) -> None:
    L = np.linalg.eigvalsh(A)[-1]
    assert D.quadratic_rate(A, frac * 2 / L) < 1
    assert D.quadratic_rate(A, (2 + frac) / L) > 1
    lr_star, rho_star = D.quadratic_optimal_lr(A)
    assert rho_star <= D.quadratic_rate(A, frac * 2 / L) + 1e-12
    assert D.quadratic_rate(A, lr_star) == pytest.approx(rho_star, abs=1e-12)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"A must be a square matrix.*\(2, 3\)"):
        D.quadratic(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="symmetric"):
        D.quadratic(np.array([[1.0, 2.0], [0.0, 1.0]]), np.zeros(2))
    with pytest.raises(ValueError, match="positive definite"):
        D.quadratic_rate(np.diag([1.0, -1.0]), 0.1)
    with pytest.raises(ValueError, match=r"b must have shape \(2,\).*\(3,\)"):
        D.quadratic(np.eye(2), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        D.quadratic(np.array([[1.0, np.nan], [np.nan, 1.0]]), np.zeros(2))
    f, grad = D.quadratic(np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\); got shape \(3,\)"):
        f(np.zeros(3))
    with pytest.raises(ValueError, match="x0 must be a 1-D array"):
        D.gradient_descent(grad, np.zeros((2, 2)), 0.1, 3)
    with pytest.raises(ValueError, match="x0 must be finite"):
        D.gradient_descent(grad, np.array([np.nan, 0.0]), 0.1, 3)
    with pytest.raises(ValueError, match="x0 must not be empty"):
        D.gradient_descent(grad, np.zeros(0), 0.1, 3)
    with pytest.raises(ValueError, match="lr must be a finite positive"):
        D.gradient_descent(grad, np.zeros(2), -0.1, 3)
    with pytest.raises(ValueError, match="n_steps"):
        D.gradient_descent(grad, np.zeros(2), 0.1, 2.5)
    with pytest.raises(ValueError, match=r"grad must return an array of shape \(2,\)"):
        D.gradient_descent(lambda x: np.zeros(3), np.zeros(2), 0.1, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\)"):
        D.rosenbrock(np.zeros((4, 3)))
