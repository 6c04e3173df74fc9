"""Tests for nnbook.foundations.approximation: exact interpolation, the O(1/n) and O(1/n^2) rates, the
hand-derived backward of the trained network, Telgarsky's sawtooth, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.foundations.approximation as U
from nnbook.gradcheck import numerical_gradient


def _net(weights, activation="relu"):
    return lambda x: U.evaluate_one_hidden(x, *weights, activation=activation)


def _smooth(x):
    return np.sin(3 * x) + 0.3 * x**2


def test_relu_interpolant_weights_by_hand() -> None:
    # f(x) = x^2 on [0, 2] with 2 units: knots 0, 1, 2, values 0, 1, 4, slopes 1 and 3
    W1, b1, W2, b2 = U.relu_interpolant(lambda x: x**2, 0.0, 2.0, 2)
    np.testing.assert_allclose(W1, [[1.0, 1.0]])
    np.testing.assert_allclose(b1, [0.0, -1.0])
    np.testing.assert_allclose(W2, [[1.0], [2.0]])      # c_0 = s_0 = 1, c_1 = s_1 - s_0 = 2
    np.testing.assert_allclose(b2, [0.0])
    # g(0.5) = 0.5 (halfway between 0 and 1), g(1.5) = 2.5 (halfway between 1 and 4)
    np.testing.assert_allclose(U.evaluate_one_hidden(np.array([0.5, 1.5]), W1, b1, W2, b2), [0.5, 2.5])


@pytest.mark.parametrize("n_units", [1, 2, 7, 50])
def test_relu_interpolant_is_exact_at_the_knots(n_units: int) -> None:
    knots = np.linspace(-2, 2, n_units + 1)
    g = _net(U.relu_interpolant(_smooth, -2, 2, n_units))
    np.testing.assert_allclose(g(knots), _smooth(knots), atol=1e-12)


@given(st.lists(st.floats(-5, 5), min_size=2, max_size=6), st.integers(1, 4))
def test_piecewise_linear_targets_are_reproduced_exactly(slopes: list[float], refine: int) -> None:
    # a piecewise-linear target with kinks at knots of the grid is represented with zero error
    k = len(slopes)
    kinks = np.linspace(0, 1, k + 1)

    def target(x: np.ndarray) -> np.ndarray:
        out = slopes[0] * x
        for j in range(1, k):
            out = out + (slopes[j] - slopes[j - 1]) * np.maximum(x - kinks[j], 0)
        return out

    err = U.sup_norm_error(target, _net(U.relu_interpolant(target, 0, 1, k * refine)), 0, 1, 2001)
    assert err < 1e-10


@given(st.floats(0.5, 20.0), st.floats(-0.9, 0.9))
def test_lipschitz_rate_is_one_over_n(slope: float, c: float) -> None:
    # f(x) = slope * |x - c| is Lipschitz with constant K = slope; the bound is K (b - a) / (2n)
    def f(x: np.ndarray) -> np.ndarray:
        return slope * np.abs(x - c)

    for n in [4, 16, 64]:
        err = U.sup_norm_error(f, _net(U.relu_interpolant(f, -1, 1, n)), -1, 1, 4001)
        assert err <= slope * 2 / (2 * n) * (1 + 1e-9)
    # with the kink in the middle of an interval (odd n, kink at 0) the bound is attained
    g = lambda x: slope * np.abs(x)  # noqa: E731
    err = U.sup_norm_error(g, _net(U.relu_interpolant(g, -1, 1, 9)), -1, 1, 9 * 200 + 1)
    assert err == pytest.approx(slope * 2 / (2 * 9), rel=1e-6)


def test_smooth_rate_is_one_over_n_squared() -> None:
    ns = np.array([8, 16, 32, 64, 128])
    errs = np.array([U.sup_norm_error(_smooth, _net(U.relu_interpolant(_smooth, -2, 2, n)), -2, 2) for n in ns])
    slope = np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert -2.1 < slope < -1.9
    # the bound h^2 max|f''| / 8, with |f''| = |-9 sin(3x) + 0.6| <= 9.6
    h = 4 / ns
    assert np.all(errs <= h**2 * 9.6 / 8)


def test_step_approximant_rate_is_one_over_n() -> None:
    ns = np.array([8, 16, 32, 64, 128])
    errs = np.array([U.sup_norm_error(_smooth, _net(U.step_approximant(_smooth, -2, 2, n), "sigmoid"), -2, 2)
                     for n in ns])
    slope = np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert -1.1 < slope < -0.9
    # a steep sigmoid staircase equals f at the knots up to the sigmoid tails
    knots = np.linspace(-2, 2, 33)
    g = _net(U.step_approximant(_smooth, -2, 2, 32, slope=1e4), "sigmoid")
    np.testing.assert_allclose(g(knots), _smooth(knots), atol=1e-9)


def test_evaluate_one_hidden_by_hand_and_dtypes() -> None:
    W1 = np.array([[1.0, -2.0]])
    b1 = np.array([0.5, 1.0])
    W2 = np.array([[3.0], [1.0]])
    b2 = np.array([-1.0])
    # x = 1: relu(1.5) * 3 + relu(-1) * 1 - 1 = 3.5; x = -1: relu(-0.5) * 3 + relu(3) - 1 = 2
    np.testing.assert_allclose(U.evaluate_one_hidden(np.array([1.0, -1.0]), W1, b1, W2, b2), [3.5, 2.0])
    np.testing.assert_allclose(U.evaluate_one_hidden(np.array([[1.0], [-1.0]]), W1, b1, W2, b2), [3.5, 2.0])
    out = U.evaluate_one_hidden(np.array([1.0], dtype=np.float32), *(w.astype(np.float32) for w in (W1, b1, W2, b2)))
    assert out.dtype == np.float32
    out = U.evaluate_one_hidden(np.array([0.0]), W1, b1, W2, b2, activation=np.tanh)
    np.testing.assert_allclose(out, [3 * np.tanh(0.5) + np.tanh(1.0) - 1])


def test_one_hidden_gradients_match_central_differences(rng) -> None:
    x = rng.uniform(-2, 2, size=15)
    y = _smooth(x)
    params = {"W1": rng.normal(size=(1, 6)), "b1": rng.normal(size=6), "W2": rng.normal(size=(6, 1)),
              "b2": rng.normal(size=1)}
    _, grads = U.one_hidden_mse_and_grads(x, y, params["W1"], params["b1"], params["W2"], params["b2"])
    for key in params:
        def loss_of(p: np.ndarray, key: str = key) -> float:
            args = {**params, key: p}
            return U.one_hidden_mse_and_grads(x, y, args["W1"], args["b1"], args["W2"], args["b2"])[0]

        num = numerical_gradient(loss_of, params[key].copy())
        np.testing.assert_allclose(grads[key], num, rtol=1e-6, atol=1e-8, err_msg=key)
        assert grads[key].shape == params[key].shape


def test_one_hidden_loss_value_by_hand() -> None:
    # one unit relu(x), output 2 relu(x) + 1; at x = (1, -1) predictions (3, 1) vs targets (1, 1)
    loss, _ = U.one_hidden_mse_and_grads(np.array([1.0, -1.0]), np.array([1.0, 1.0]),
                                         np.array([[1.0]]), np.array([0.0]), np.array([[2.0]]), np.array([1.0]))
    assert loss == pytest.approx((2.0**2 + 0.0) / 2)


def test_fit_one_hidden_learns_and_is_reproducible() -> None:
    x = np.linspace(-2, 2, 100)
    y = _smooth(x)
    weights, losses = U.fit_one_hidden(x, y, 16, 0.02, 1500, np.random.default_rng(3))
    assert losses.shape == (1501,)
    assert losses[-1] < 0.2 * losses[0]
    assert np.all(np.isfinite(losses))
    _, again = U.fit_one_hidden(x, y, 16, 0.02, 1500, np.random.default_rng(3))
    np.testing.assert_array_equal(losses, again)
    shapes = [w.shape for w in weights]
    assert shapes == [(1, 16), (16,), (16, 1), (1,)]
    # the recorded final loss is the loss of the returned weights
    final, _ = U.one_hidden_mse_and_grads(x, y, *weights)
    assert final == pytest.approx(losses[-1])


def test_fit_one_hidden_reports_divergence() -> None:
    x = np.linspace(-2, 2, 50)
    with pytest.raises(ValueError, match="diverged"):
        U.fit_one_hidden(x, _smooth(x), 32, 5.0, 200, np.random.default_rng(0))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_sawtooth_has_two_to_the_k_pieces(k: int) -> None:
    x = np.linspace(0, 1, 2**k * 8 + 1)              # every kink j / 2^k is a grid point
    y = U.sawtooth(x, k)
    assert U.count_linear_pieces(x, y) == 2**k
    np.testing.assert_allclose(y[:: 8], np.arange(2**k + 1) % 2, atol=1e-12)  # 0, 1, 0, 1, ... at j / 2^k
    assert y.min() >= 0 and y.max() <= 1 + 1e-12


def test_shallow_network_needs_two_to_the_k_minus_one_units() -> None:
    k = 4
    x = np.linspace(0, 1, 2**k * 16 + 1)
    target = lambda z: U.sawtooth(z, k)  # noqa: E731
    # 2^k units (one per linear piece) represent it exactly ...
    assert U.sup_norm_error(target, _net(U.relu_interpolant(target, 0, 1, 2**k)), 0, 1, x.size) < 1e-12
    # ... while fewer pieces than 2^k leave a sup error of at least 1/2 (the counting argument)
    for n in [2**k - 1, 2**(k - 1), 5]:
        assert U.sup_norm_error(target, _net(U.relu_interpolant(target, 0, 1, n)), 0, 1, 20001) >= 0.5 - 1e-12


def test_count_linear_pieces_by_hand() -> None:
    x = np.linspace(-1, 1, 21)
    assert U.count_linear_pieces(x, 3 * x + 1) == 1
    assert U.count_linear_pieces(x, np.abs(x)) == 2
    assert U.count_linear_pieces(x, np.maximum(x, 0) - 2 * np.maximum(x - 0.5, 0)) == 3


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="a < b"):
        U.relu_interpolant(np.sin, 1.0, 1.0, 4)
    with pytest.raises(ValueError, match="n_units must be a positive integer"):
        U.relu_interpolant(np.sin, 0.0, 1.0, 0)
    with pytest.raises(ValueError, match=r"f must map an array of shape \(5,\)"):
        U.relu_interpolant(lambda x: np.zeros(3), 0.0, 1.0, 4)
    with pytest.raises(ValueError, match="finite"):
        U.relu_interpolant(lambda x: np.where(x > 0.5, np.nan, x), 0.0, 1.0, 4)
    with pytest.raises(ValueError, match="slope must be a finite positive"):
        U.step_approximant(np.sin, 0.0, 1.0, 4, slope=-1.0)
    W1, b1, W2, b2 = U.relu_interpolant(np.sin, 0.0, 1.0, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(m,\) or \(m, 1\); got shape \(3, 2\)"):
        U.evaluate_one_hidden(np.zeros((3, 2)), W1, b1, W2, b2)
    with pytest.raises(ValueError, match=r"weights must have shapes.*b1 \(3,\)"):
        U.evaluate_one_hidden(np.zeros(3), W1, b1[:3], W2, b2)
    with pytest.raises(ValueError, match="activation must be one of"):
        U.evaluate_one_hidden(np.zeros(3), W1, b1, W2, b2, activation="swish")
    with pytest.raises(ValueError, match="x must be finite"):
        U.evaluate_one_hidden(np.array([np.nan]), W1, b1, W2, b2)
    with pytest.raises(ValueError, match="x must not be empty"):
        U.evaluate_one_hidden(np.zeros(0), W1, b1, W2, b2)
    with pytest.raises(ValueError, match=r"x and y must have the same shape; got \(4,\) and \(3,\)"):
        U.one_hidden_mse_and_grads(np.zeros(4), np.zeros(3), W1, b1, W2, b2)
    with pytest.raises(ValueError, match=r"x and y must have the same shape"):
        U.fit_one_hidden(np.zeros(4), np.zeros(3), 4, 0.1, 10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        U.fit_one_hidden(np.zeros(4), np.zeros(4), 4, 0.1, 10, 0)
    with pytest.raises(ValueError, match="n_grid must be an integer >= 2"):
        U.sup_norm_error(np.sin, np.cos, 0, 1, 1)
    with pytest.raises(ValueError, match="n_layers must be a non-negative integer"):
        U.sawtooth(np.zeros(3), -1)
    with pytest.raises(ValueError, match="strictly increasing"):
        U.count_linear_pieces(np.array([0.0, 0.0, 1.0]), np.zeros(3))


def test_float32_training_and_evaluation() -> None:
    x = np.linspace(-2, 2, 64, dtype=np.float32)
    weights, losses = U.fit_one_hidden(x, _smooth(x).astype(np.float32), 8, 0.01, 50, np.random.default_rng(0))
    assert all(w.dtype == np.float32 for w in weights)
    assert losses[-1] < losses[0]
    assert U.evaluate_one_hidden(x, *weights).dtype == np.float32
