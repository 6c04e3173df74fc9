"""Tests for nnbook.models.linear: gradients, hand-computed cases, properties, training, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnbook.models.linear as LIN
from nnbook.data.datasets import make_separable
from nnbook.gradcheck import numerical_gradient
from nnbook.nn.activations import sigmoid
from tests.strategies import floats


@st.composite
def binary_problems(draw: st.DrawFn, max_n: int = 8, max_d: int = 4) -> tuple:
    """X (n, d), y (n,) in {0, 1}, w (d,), b: a small logistic-regression problem."""
    n = draw(st.integers(1, max_n))
    d = draw(st.integers(1, max_d))
    X = draw(hnp.arrays(np.float64, (n, d), elements=floats(-3, 3)))
    y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    w = draw(hnp.arrays(np.float64, (d,), elements=floats(-2, 2)))
    b = draw(floats(-2, 2))
    return X, y, w, b


# --- gradients against central differences ---------------------------------------------------


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_logistic_gradients_match_central_differences(rng, l2) -> None:
    X = rng.normal(size=(7, 3))
    y = rng.integers(0, 2, size=7).astype(float)
    w = rng.normal(size=3)
    b = np.array(0.4)
    dw, db = LIN.logistic_gradients(X, y, w, b, l2=l2)
    num_w = numerical_gradient(lambda v: LIN.logistic_loss(X, y, v, b, l2=l2), w.copy())
    num_b = numerical_gradient(lambda v: LIN.logistic_loss(X, y, w, v, l2=l2), b.copy())
    np.testing.assert_allclose(dw, num_w, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(db, num_b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_softmax_regression_gradients_match_central_differences(rng, l2) -> None:
    X = rng.normal(size=(6, 4))
    y = rng.integers(0, 3, size=6)
    W = rng.normal(size=(4, 3))
    b = rng.normal(size=3)
    dW, db = LIN.softmax_regression_gradients(X, y, W, b, l2=l2)
    num_W = numerical_gradient(lambda v: LIN.softmax_regression_loss(X, y, v, b, l2=l2), W.copy())
    num_b = numerical_gradient(lambda v: LIN.softmax_regression_loss(X, y, W, v, l2=l2), b.copy())
    np.testing.assert_allclose(dW, num_W, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(db, num_b, rtol=1e-6, atol=1e-9)


def test_hessian_matches_central_differences_of_the_gradient(rng) -> None:
    X = rng.normal(size=(9, 3))
    y = rng.integers(0, 2, size=9).astype(float)
    w = rng.normal(size=3)
    H = LIN.logistic_hessian(X, w, 0.2, l2=0.1)
    for j in range(3):
        num = numerical_gradient(lambda v: LIN.logistic_gradients(X, y, v, 0.2, l2=0.1)[0][j], w.copy())
        np.testing.assert_allclose(H[j], num, rtol=1e-6, atol=1e-9)
    assert np.linalg.eigvalsh(H).min() >= 0.1 - 1e-12  # PSD part plus l2 I


# --- hand-computed cases ----------------------------------------------------------------------


def test_two_point_problem_by_hand() -> None:
    # x = 1 with label 1 and x = -1 with label 0; at w = 0, b = 0 both predictions are 1/2.
    X = np.array([[1.0], [-1.0]])
    y = np.array([1.0, 0.0])
    w, b = np.zeros(1), 0.0
    np.testing.assert_allclose(LIN.logistic_forward(X, w, b), [0.5, 0.5])
    assert LIN.logistic_loss(X, y, w, b) == pytest.approx(math.log(2.0))
    dw, db = LIN.logistic_gradients(X, y, w, b)
    # dw = X^T (y_hat - y) / 2 = (1 * (-1/2) + (-1) * (1/2)) / 2 = -1/2 ; db = ((-1/2) + (1/2)) / 2 = 0
    np.testing.assert_allclose(dw, [-0.5])
    assert float(db) == pytest.approx(0.0)
    # Hessian at w = 0: X^T S X / n with S = 1/4 on both points -> (1/4 + 1/4) / 2 = 1/4
    np.testing.assert_allclose(LIN.logistic_hessian(X, w, b), [[0.25]])
    # one step of lr = 2 from zero lands on w = 1, b = 0
    model = LIN.LogisticRegression().fit(X, y, lr=2.0, epochs=1)
    np.testing.assert_allclose(model.W, [1.0])
    assert float(model.b) == pytest.approx(0.0)
    np.testing.assert_allclose(model.predict_proba(X), [sigmoid(np.array(1.0)), sigmoid(np.array(-1.0))])


def test_softmax_regression_hand_computed() -> None:
    # one point, three classes, W = 0: probabilities 1/3 each, loss log 3, gradient x (1/3 - onehot)
    X = np.array([[2.0, -1.0]])
    y = np.array([1])
    W, b = np.zeros((2, 3)), np.zeros(3)
    np.testing.assert_allclose(LIN.softmax_regression_forward(X, W, b), [[1 / 3] * 3])
    assert LIN.softmax_regression_loss(X, y, W, b) == pytest.approx(math.log(3.0))
    dW, db = LIN.softmax_regression_gradients(X, y, W, b)
    delta = np.array([1 / 3, -2 / 3, 1 / 3])
    np.testing.assert_allclose(dW, np.outer(X[0], delta))
    np.testing.assert_allclose(db, delta)


# --- properties ---------------------------------------------------------------------------------


@given(binary_problems())
def test_small_gradient_step_does_not_increase_the_loss(problem) -> None:
    X, y, w, b = problem
    dw, db = LIN.logistic_gradients(X, y, w, b)
    # the loss is L-smooth with L <= max_i (||x_i||^2 + 1) / 4, so lr = 1/L never increases it
    lr = 1.0 / (0.25 * (np.max(np.sum(X * X, axis=1)) + 1.0))
    before = LIN.logistic_loss(X, y, w, b)
    after = LIN.logistic_loss(X, y, w - lr * dw, b - lr * float(db))
    assert after <= before + 1e-12


@given(binary_problems())
def test_two_class_softmax_is_logistic_on_the_logit_difference(problem) -> None:
    X, y, w, b = problem
    W = np.c_[np.zeros_like(w), w]          # class-0 scores 0, class-1 scores X w + b
    bb = np.array([0.0, b])
    p2 = LIN.softmax_regression_forward(X, W, bb)
    np.testing.assert_allclose(p2[:, 1], LIN.logistic_forward(X, w, b), atol=1e-12)
    assert LIN.softmax_regression_loss(X, y.astype(int), W, bb) == pytest.approx(LIN.logistic_loss(X, y, w, b))
    dW, db = LIN.softmax_regression_gradients(X, y.astype(int), W, bb)
    dw, dbl = LIN.logistic_gradients(X, y, w, b)
    np.testing.assert_allclose(dW[:, 1], dw, atol=1e-12)
    np.testing.assert_allclose(dW[:, 0], -dw, atol=1e-12)
    assert db[1] == pytest.approx(float(dbl))


@given(binary_problems())
def test_hessian_is_positive_semidefinite(problem) -> None:
    X, _, w, b = problem
    assert np.linalg.eigvalsh(LIN.logistic_hessian(X, w, b)).min() >= -1e-12


# --- training -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["batch", "sgd", "minibatch"])
def test_fit_separates_a_linearly_separable_set(mode) -> None:
    rng = np.random.default_rng(0)
    X, y = make_separable(200, rng, margin=0.1)
    y01 = (y > 0).astype(int)
    model = LIN.LogisticRegression().fit(X, y01, lr=1.0, epochs=30, mode=mode, batch_size=16, rng=rng)
    assert model.score(X, y01) > 0.95
    h = model.history
    assert len(h["loss"]) == 31 and h["seen"][-1] == 30 * 200
    assert h["loss"][-1] < h["loss"][0]


def test_softmax_regression_learns_three_blobs() -> None:
    rng = np.random.default_rng(1)
    centres = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    y = rng.integers(0, 3, size=300)
    X = centres[y] + rng.normal(size=(300, 2))
    model = LIN.SoftmaxRegression().fit(X, y, lr=0.5, epochs=50, mode="minibatch", batch_size=32, rng=rng)
    assert model.W.shape == (2, 3) and model.b.shape == (3,)
    assert model.score(X, y) > 0.95
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)


def test_record_steps_counts_examples_seen() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(10, 2))
    y = (X[:, 0] > 0).astype(float)
    model = LIN.LogisticRegression().fit(X, y, lr=0.1, epochs=2, mode="minibatch", batch_size=4, rng=rng,
                                         record_steps=True)
    assert model.history["step_seen"] == [0, 4, 8, 10, 14, 18, 20]
    assert len(model.history["step_loss"]) == 7


def test_fits_are_reproducible_and_l2_shrinks_weights() -> None:
    rng = np.random.default_rng(3)
    X, y = make_separable(100, rng, margin=0.2)
    y = (y > 0).astype(int)
    a = LIN.LogisticRegression().fit(X, y, epochs=5, mode="sgd", rng=np.random.default_rng(7))
    b = LIN.LogisticRegression().fit(X, y, epochs=5, mode="sgd", rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.W, b.W)
    c = LIN.LogisticRegression(l2=1.0).fit(X, y, epochs=5, mode="sgd", rng=np.random.default_rng(7))
    assert np.linalg.norm(c.W) < np.linalg.norm(a.W)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype) -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(20, 3)).astype(dtype)
    y = rng.integers(0, 3, size=20)
    m = LIN.SoftmaxRegression(n_classes=3).fit(X, y, epochs=3)
    assert m.W.dtype == dtype and m.predict_proba(X).dtype == dtype
    lg = LIN.LogisticRegression().fit(X, (y > 0).astype(dtype), epochs=3)
    assert lg.W.dtype == dtype and lg.predict_proba(X).dtype == dtype


# --- bad input ------------------------------------------------------------------------------------


def test_bad_input_messages() -> None:
    X, y = np.zeros((3, 2)), np.array([0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"X must be a 2-D array.*got shape \(3,\)"):
        LIN.logistic_gradients(np.zeros(3), y, np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=r"w must have shape \(2,\).*got \(3,\)"):
        LIN.logistic_gradients(X, y, np.zeros(3), 0.0)
    with pytest.raises(ValueError, match=r"one target per row of X \(3\); got shape \(2,\)"):
        LIN.logistic_loss(X, y[:2], np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=r"targets in \[0, 1\]"):
        LIN.logistic_loss(X, np.array([0.0, 1.0, 2.0]), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="finite"):
        LIN.logistic_forward(np.array([[np.nan, 0.0]]), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="not be empty"):
        LIN.logistic_forward(np.zeros((0, 2)), np.zeros(2), 0.0)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\); got values from 0 to 3"):
        LIN.softmax_regression_gradients(X, np.array([0, 1, 3]), np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"W must have 2 rows.*got shape \(4, 3\)"):
        LIN.softmax_regression_forward(X, np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"b must have shape \(3,\)"):
        LIN.softmax_regression_forward(X, np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="l2 must be a finite non-negative"):
        LIN.LogisticRegression(l2=-1.0)
    with pytest.raises(ValueError, match="mode must be one of"):
        LIN.LogisticRegression().fit(X, y, mode="adam")
    with pytest.raises(ValueError, match="rng is required"):
        LIN.LogisticRegression().fit(X, y, mode="sgd")
    with pytest.raises(ValueError, match="lr must be"):
        LIN.LogisticRegression().fit(X, y, lr=0.0)
    with pytest.raises(ValueError, match="must be fitted"):
        LIN.SoftmaxRegression().predict(X)
    m = LIN.LogisticRegression().fit(X, y, epochs=1)
    with pytest.raises(ValueError, match="X must have 2 columns, as in training; got 3"):
        m.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2"):
        LIN.SoftmaxRegression(n_classes=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pure_gradients_keep_the_dtype_of_X(dtype) -> None:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(6, 3)).astype(dtype)
    y = rng.integers(0, 2, size=6)                       # integer labels do not upcast
    dw, db = LIN.logistic_gradients(X, y, np.zeros(3, dtype=dtype), 0.0)
    assert dw.dtype == dtype
    dW, db = LIN.softmax_regression_gradients(X, y, np.zeros((3, 2), dtype=dtype), np.zeros(2, dtype=dtype))
    assert dW.dtype == dtype and db.dtype == dtype
