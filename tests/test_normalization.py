"""Tests for nnbook.nn.normalization: batch and layer normalization, forward, backward, layers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nnbook.nn.normalization as N
from nnbook import check_module
from nnbook.gradcheck import numerical_gradient
from tests.strategies import arrays

FORWARD_BACKWARD = [(N.batchnorm_forward, N.batchnorm_backward), (N.layernorm_forward, N.layernorm_backward)]
IDS = ["batchnorm", "layernorm"]


@st.composite
def spread_matrices(draw: st.DrawFn, min_rows: int = 2, min_cols: int = 2) -> np.ndarray:
    """float64 matrices whose every row and column has a spread (so the variance is not tiny)."""
    n = draw(st.integers(min_rows, 8))
    d = draw(st.integers(min_cols, 6))
    X = draw(arrays((n, d), -20.0, 20.0))
    # add a fixed, well-spread pattern so that no row or column is (nearly) constant
    pattern = np.add.outer(np.arange(n) * 1.7, np.arange(d) * 2.3) % 5.0
    return X + 3.0 * pattern


# --- values from the definition ----------------------------------------------------------------


def test_batchnorm_hand_computed() -> None:
    # column 0: 1, 3 -> mean 2, var 1 -> x_hat = -1, +1 (eps tiny); column 1: 0, 4 -> mean 2, var 4
    X = np.array([[1.0, 0.0], [3.0, 4.0]])
    gamma, beta = np.array([2.0, 1.0]), np.array([0.5, -1.0])
    Y, cache = N.batchnorm_forward(X, gamma, beta, eps=1e-12)
    np.testing.assert_allclose(Y, [[-1.5, -2.0], [2.5, 0.0]], atol=1e-9)
    np.testing.assert_allclose(cache["mean"], [2.0, 2.0])
    np.testing.assert_allclose(cache["var"], [1.0, 4.0])


def test_layernorm_hand_computed() -> None:
    X = np.array([[1.0, 3.0], [0.0, 4.0]])
    Y, _ = N.layernorm_forward(X, np.ones(2), np.zeros(2), eps=1e-12)
    np.testing.assert_allclose(Y, [[-1.0, 1.0], [-1.0, 1.0]], atol=1e-9)


@given(spread_matrices())
def test_batchnorm_output_has_zero_mean_unit_variance_per_feature(X: np.ndarray) -> None:
    d = X.shape[1]
    Y, _ = N.batchnorm_forward(X, np.ones(d), np.zeros(d), eps=1e-10)
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(Y.var(axis=0), 1.0, rtol=1e-6)


@given(spread_matrices())
def test_layernorm_output_has_zero_mean_unit_variance_per_example(X: np.ndarray) -> None:
    d = X.shape[1]
    eps = 1e-10
    Y, _ = N.layernorm_forward(X, np.ones(d), np.zeros(d), eps=eps)
    np.testing.assert_allclose(Y.mean(axis=1), 0.0, atol=1e-9)
    var = X.var(axis=1)  # the output variance is var / (var + eps), 1 up to O(eps / var)
    np.testing.assert_allclose(Y.var(axis=1), var / (var + eps), rtol=1e-6)


@given(spread_matrices(), st.floats(0.1, 10.0), st.floats(-10.0, 10.0))
def test_batchnorm_is_invariant_to_affine_maps_of_the_input(X: np.ndarray, a: float, c: float) -> None:
    d = X.shape[1]
    Y1, _ = N.batchnorm_forward(X, np.ones(d), np.zeros(d), eps=1e-10)
    Y2, _ = N.batchnorm_forward(a * X + c, np.ones(d), np.zeros(d), eps=1e-10)
    np.testing.assert_allclose(Y1, Y2, atol=1e-6)


# --- backward against central differences -------------------------------------------------------


@pytest.mark.parametrize("forward, backward", FORWARD_BACKWARD, ids=IDS)
def test_backward_matches_central_differences(forward, backward, rng) -> None:
    X = rng.normal(1.0, 2.0, size=(6, 4))
    gamma = rng.normal(1.0, 0.5, size=4)
    beta = rng.normal(0.0, 0.5, size=4)
    G = rng.standard_normal((6, 4))  # upstream gradient: L = sum(G * Y)
    _, cache = forward(X, gamma, beta)
    dX, dgamma, dbeta = backward(G, cache)

    def loss_of(which: str):
        def f(v: np.ndarray) -> float:
            args = {"X": X, "gamma": gamma, "beta": beta, which: v}
            return float(np.sum(G * forward(args["X"], args["gamma"], args["beta"])[0]))
        return f

    for name, analytic, value in (("X", dX, X), ("gamma", dgamma, gamma), ("beta", dbeta, beta)):
        numeric = numerical_gradient(loss_of(name), value.copy())
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8, err_msg=name)


@given(spread_matrices())
def test_batchnorm_input_gradient_is_orthogonal_to_constants_and_x_hat(X: np.ndarray) -> None:
    # dX sums to zero over the batch and is orthogonal to x_hat per feature: shifting or scaling
    # a whole column of X does not change the normalised output, so it cannot change the loss.
    # The identities are exact for eps = 0; with eps > 0 they hold to O(eps / var), so keep the
    # columns' variance well above eps (hypothesis can otherwise cancel the spread pattern).
    assume(X.var(axis=0).min() > 1e-2)
    d = X.shape[1]
    rng = np.random.default_rng(0)
    gamma, G = rng.normal(size=d), rng.normal(size=X.shape)
    _, cache = N.batchnorm_forward(X, gamma, np.zeros(d), eps=1e-10)
    dX, _, _ = N.batchnorm_backward(G, cache)
    scale = np.abs(gamma).max() * np.abs(G).max() * cache["inv_std"].max() * X.shape[0]
    tol = 1e-9 + 10 * 1e-10 / X.var(axis=0).min()   # float64 rounding plus the O(eps / var) term
    np.testing.assert_allclose(dX.sum(axis=0) / scale, 0.0, atol=tol)
    np.testing.assert_allclose((dX * cache["X_hat"]).sum(axis=0) / scale, 0.0, atol=tol)


@pytest.mark.parametrize("forward, backward", FORWARD_BACKWARD, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(forward, backward, dtype, rng) -> None:
    X = rng.normal(size=(5, 3)).astype(dtype)
    Y, cache = forward(X, np.ones(3, dtype), np.zeros(3, dtype))
    dX, dgamma, dbeta = backward(np.ones_like(Y), cache)
    assert Y.dtype == dtype and dX.dtype == dtype and dgamma.dtype == dtype and dbeta.dtype == dtype


# --- the layers --------------------------------------------------------------------------------


def test_batchnorm_layer_gradients_in_both_modes(rng) -> None:
    layer = N.BatchNorm(3)
    layer.params["gamma"][:] = [0.5, 2.0, -1.0]
    layer.params["beta"][:] = [0.1, 0.0, 0.3]
    layer.running_mean[:], layer.running_var[:] = [1.0, 2.0, 3.0], [2.0, 0.5, 1.5]
    X = rng.normal(2.0, 3.0, size=(7, 3))
    for training in (True, False):
        layer.train(training)
        errors = check_module(layer, X)
        assert max(errors.values()) < 1e-6, (training, errors)


def test_layernorm_layer_gradients(rng) -> None:
    layer = N.LayerNorm(4)
    layer.params["gamma"][:] = rng.normal(1.0, 0.3, size=4)
    X = rng.normal(size=(5, 4))
    G = rng.standard_normal((5, 4))
    numeric = numerical_gradient(lambda v: float(np.sum(G * layer.forward(v))), X.copy())
    layer.forward(X)
    np.testing.assert_allclose(layer.backward(G), numeric, rtol=1e-6, atol=1e-8)
    assert set(layer.grads) == {"gamma", "beta"}


def test_running_statistics_follow_the_update_formula(rng) -> None:
    layer = N.BatchNorm(2, momentum=0.8)
    batches = [rng.normal(3.0, 2.0, size=(10, 2)) for _ in range(3)]
    mean, var = np.zeros(2), np.ones(2)
    for B in batches:
        layer.forward(B)
        mean = 0.8 * mean + 0.2 * B.mean(axis=0)
        var = 0.8 * var + 0.2 * B.var(axis=0, ddof=1)  # unbiased, as in Ioffe and Szegedy
    np.testing.assert_allclose(layer.running_mean, mean)
    np.testing.assert_allclose(layer.running_var, var)


def test_train_and_eval_modes_differ(rng) -> None:
    layer = N.BatchNorm(3)
    X = rng.normal(5.0, 2.0, size=(8, 3))
    Y_train = layer.forward(X)
    np.testing.assert_allclose(Y_train.mean(axis=0), 0.0, atol=1e-12)  # batch statistics
    layer.training = False
    mean, var = layer.running_mean.copy(), layer.running_var.copy()
    Y_eval = layer.forward(X)
    np.testing.assert_allclose(Y_eval, (X - mean) / np.sqrt(var + layer.eps))  # running statistics
    np.testing.assert_array_equal(layer.running_mean, mean)  # evaluation never updates them
    # in evaluation each row is normalised on its own: a batch of one gives the same answer
    np.testing.assert_allclose(layer.forward(X[:1]), Y_eval[:1])


def test_batchnorm_eval_matches_train_after_many_identical_batches(rng) -> None:
    layer = N.BatchNorm(2, momentum=0.5)
    X = rng.normal(size=(1000, 2))
    for _ in range(60):
        Y_train = layer.forward(X)
    layer.training = False
    np.testing.assert_allclose(layer.forward(X), Y_train, atol=2e-3)


def test_layernorm_is_the_same_in_both_modes(rng) -> None:
    layer = N.LayerNorm(3)
    X = rng.normal(size=(4, 3))
    Y = layer.forward(X)
    layer.training = False
    np.testing.assert_array_equal(layer.forward(X), Y)


@pytest.mark.parametrize("cls", [N.BatchNorm, N.LayerNorm])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_dtype(cls, dtype, rng) -> None:
    layer = cls(3, dtype=dtype)
    Y = layer.forward(rng.normal(size=(4, 3)).astype(dtype))
    assert Y.dtype == dtype
    assert layer.backward(np.ones_like(Y)).dtype == dtype
    assert layer.grads["gamma"].dtype == dtype


# --- bad input ---------------------------------------------------------------------------------


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\).*got shape \(2,\)"):
        N.batchnorm_forward(np.zeros((4, 3)), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"X must be a 2-D array.*got shape \(3,\)"):
        N.layernorm_forward(np.zeros(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="finite"):
        N.batchnorm_forward(np.array([[np.nan, 0.0]]), np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="not be empty"):
        N.batchnorm_forward(np.zeros((0, 2)), np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="eps"):
        N.batchnorm_forward(np.zeros((2, 2)), np.ones(2), np.zeros(2), eps=0.0)
    _, cache = N.batchnorm_forward(np.eye(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"dY must have the shape of the forward output \(3, 3\); got shape \(2, 3\)"):
        N.batchnorm_backward(np.zeros((2, 3)), cache)
    with pytest.raises(ValueError, match="cache"):
        N.layernorm_backward(np.zeros((2, 3)), {"X_hat": np.zeros((2, 3))})
    layer = N.BatchNorm(4)
    with pytest.raises(ValueError, match=r"shape \(batch, 4\).*got shape \(2, 3\)"):
        layer.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="no forward pass left"):
        layer.backward(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="momentum"):
        N.BatchNorm(4, momentum=1.0)
    with pytest.raises(ValueError, match="n_features"):
        N.LayerNorm(0)
    with pytest.raises(ValueError, match=r"shape \(batch, 2\).*got shape \(1, 5\)"):
        N.LayerNorm(2).forward(np.zeros((1, 5)))


def test_bias_before_batchnorm_gets_zero_gradient(rng) -> None:
    # the chapter's claim: a bias before batch normalization is removed by the mean subtraction
    from nnbook import Sequential
    from nnbook.nn.layers import Dense

    model = Sequential([Dense(3, 4, rng), N.BatchNorm(4)])
    model.forward(rng.normal(size=(10, 3)))
    model.backward(rng.normal(size=(10, 4)))
    np.testing.assert_allclose(model.layers[0].grads["b"], 0.0, atol=1e-12)


def test_scale_invariance_of_dense_then_batchnorm(rng) -> None:
    # L(a W, a b) = L(W, b) in training mode, so the gradient at a W is the gradient at W over a
    from nnbook.nn.layers import Dense

    dense, bn = Dense(5, 4, rng), N.BatchNorm(4, eps=1e-12)
    dense.params["b"][:] = rng.normal(size=4)
    X, G = rng.normal(size=(16, 5)), rng.normal(size=(16, 4))
    bn.forward(dense.forward(X))
    dense.backward(bn.backward(G))
    g1 = dense.grads["W"].copy()
    inner = np.sum(g1 * dense.params["W"]) + np.sum(dense.grads["b"] * dense.params["b"])
    dense.params["W"] *= 3.0
    dense.params["b"] *= 3.0
    dense.zero_grad()
    bn.forward(dense.forward(X))
    dense.backward(bn.backward(G))
    np.testing.assert_allclose(dense.grads["W"], g1 / 3.0, rtol=1e-6, atol=1e-12)
    assert abs(inner) < 1e-9
