"""Tests for nnbook.foundations.perceptron: the rule by hand, the convergence theorem as a property, XOR,
shapes, determinism and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnbook.data.datasets import make_separable, make_xor
from nnbook.foundations.perceptron import (
    Perceptron,
    batch_perceptron,
    mistake_bound,
    perceptron_margin,
    perceptron_update,
)


@st.composite
def separable_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, w_star): points in [-1, 1]^d at distance >= margin from the plane w_star . x = 0,
    w_star a unit vector, for a random dimension, margin, size and seed."""
    d = draw(st.integers(1, 6))
    margin = draw(st.floats(0.02, 0.6))
    n = draw(st.integers(1, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    w_star = rng.standard_normal(d)
    w_star /= np.linalg.norm(w_star)
    X = rng.uniform(-1, 1, size=(8 * n + 64, d))
    X = X[np.abs(X @ w_star) >= margin][:n]
    if X.shape[0] == 0:  # a thin cube slab can reject everything; put one point on the normal
        X = margin * w_star[None, :]
    y = np.where(X @ w_star > 0, 1, -1)
    return X, y, w_star


# --- the rule, by hand ----------------------------------------------------------------------


def test_update_by_hand() -> None:
    # from zero every example is a mistake (score 0): w <- 0 + (+1)(1, 2) = (1, 2), b <- 0 + 1
    w, b, mistake = perceptron_update(np.zeros(2), 0.0, np.array([1.0, 2.0]), 1)
    assert mistake and b == 1.0
    np.testing.assert_array_equal(w, [1.0, 2.0])
    # x = (2, -1), y = -1: score 1*2 + 2*(-1) + 1 = 1, y * score = -1 <= 0, a mistake:
    # w <- (1, 2) - (2, -1) = (-1, 3), b <- 1 - 1 = 0
    w, b, mistake = perceptron_update(w, b, np.array([2.0, -1.0]), -1)
    assert mistake and b == 0.0
    np.testing.assert_array_equal(w, [-1.0, 3.0])
    # x = (0, 1), y = +1: score 3 > 0, correct, nothing moves
    w2, b2, mistake = perceptron_update(w, b, np.array([0.0, 1.0]), 1)
    assert not mistake and b2 == b
    np.testing.assert_array_equal(w2, w)
    # lr scales the step; the inputs are not modified
    w0 = np.zeros(2)
    w3, b3, _ = perceptron_update(w0, 0.0, np.array([1.0, 2.0]), -1, lr=0.5)
    np.testing.assert_array_equal(w3, [-0.5, -1.0])
    assert b3 == -0.5 and np.all(w0 == 0)


def test_update_raises_the_score_of_the_example() -> None:
    # y (w' . x) = y (w . x) + ||x||^2 for lr = 1 and no bias: the rule's one-line justification
    rng = np.random.default_rng(3)
    w, x = rng.standard_normal(4), rng.standard_normal(4)
    y = -1 if w @ x > 0 else 1
    w_new, _, mistake = perceptron_update(w, 0.0, x, y)
    assert mistake
    assert y * (w_new @ x) == pytest.approx(y * (w @ x) + x @ x)


def test_fit_by_hand() -> None:
    # rows visited in order, no bias. Epoch 1: (1,0) score 0 -> w=(1,0); (0,1) score 0 -> w=(1,1);
    # (-1,-1) y*score = 2 > 0. Epoch 2: margins 1, 1, 2: no mistake, converged.
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    y = np.array([1, 1, -1])
    p = Perceptron(fit_intercept=False).fit(X, y)
    assert p.converged and p.n_epochs == 2
    np.testing.assert_array_equal(p.mistakes_per_epoch, [2, 0])
    np.testing.assert_array_equal(p.w_history, [[0, 0], [1, 1], [1, 1]])
    np.testing.assert_array_equal(p.b_history, [0, 0, 0])
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.total_mistakes() == 2


def test_fit_matches_one_at_a_time_rule(rng) -> None:
    # the vectorized jump to the next mistake makes exactly the updates of the plain loop
    X, y = make_separable(60, rng, margin=0.05, dim=3)
    p = Perceptron(max_epochs=50).fit(X, y, np.random.default_rng(7))
    order_rng = np.random.default_rng(7)
    w, b = np.zeros(3), 0.0
    for e in range(p.n_epochs):
        count = 0
        for i in order_rng.permutation(len(y)):
            w, b, m = perceptron_update(w, b, X[i], y[i])
            count += m
        assert count == p.mistakes_per_epoch[e]
        np.testing.assert_allclose(w, p.w_history[e + 1], rtol=0, atol=1e-12)
        assert b == pytest.approx(p.b_history[e + 1])


def test_recorded_updates_obey_both_inequalities_of_the_proof(rng) -> None:
    # w_k . w* >= k gamma and ||w_k||^2 <= k R^2 along the whole sequence of updates
    X, y = make_separable(80, rng, margin=0.02, dim=3)
    w_star = np.linalg.lstsq(X, y.astype(float), rcond=None)[0]  # any separator will do; check it
    if perceptron_margin(X, y, w_star) <= 0:
        w_star = Perceptron(max_epochs=1000, fit_intercept=False).fit(X, y).w
    w_star = w_star / np.linalg.norm(w_star)
    gamma = perceptron_margin(X, y, w_star)
    R2 = np.max(np.sum(X * X, axis=1))
    p = Perceptron(max_epochs=1000, fit_intercept=False, record_updates=True).fit(X, y, np.random.default_rng(1))
    k = np.arange(p.w_updates.shape[0])
    assert p.w_updates.shape == (p.total_mistakes() + 1, 3)
    np.testing.assert_array_equal(p.w_updates[-1], p.w)
    assert np.all(p.w_updates @ w_star >= k * gamma - 1e-12)
    assert np.all(np.sum(p.w_updates**2, axis=1) <= k * R2 + 1e-12)
    assert Perceptron().fit(X, y).w_updates is None  # only kept when asked for


def test_margin_and_bound_by_hand() -> None:
    X = np.array([[3.0, 4.0], [-1.0, 0.0]])
    y = np.array([1, -1])
    w = np.array([2.0, 0.0])  # distances 3 and 1 -> margin 1; R = 5 -> bound 25
    assert perceptron_margin(X, y, w) == pytest.approx(1.0)
    assert perceptron_margin(X, -y, w) == pytest.approx(-3.0)
    # with b = -2 the scores are 6 - 2 = 4 and -2 - 2 = -4, both right by 4: margin 4 / 2 = 2
    assert perceptron_margin(X, y, w, b=-2.0) == pytest.approx(2.0)
    assert mistake_bound(X, y, w) == pytest.approx(25.0)
    # with a bias: R^2 = 25 + 1, gamma = min(1*(6 + 0), -1*(-2 + 0)) / ||(2, 0, 0)|| = 1
    assert mistake_bound(X, y, w, b_star=0.0) == pytest.approx(26.0)


@given(separable_problems(), st.floats(0.01, 100.0), st.floats(-2.0, 2.0))
def test_margin_is_a_distance(problem, c, b) -> None:
    # scaling (w, b) by c > 0 moves no plane; each score / ||w|| is the distance to the plane
    X, y, w_star = problem
    assert perceptron_margin(X, y, c * w_star, c * b) == pytest.approx(perceptron_margin(X, y, w_star, b))
    t = (X @ w_star + b) / np.linalg.norm(w_star)
    feet = X - t[:, None] * w_star / np.linalg.norm(w_star)  # projections onto the plane
    np.testing.assert_allclose(feet @ w_star + b, 0.0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(X - feet, axis=1), np.abs(t), atol=1e-9)
    assert perceptron_margin(X, y, w_star, b) == pytest.approx(float(np.min(y * t)))


# --- the convergence theorem as a property ---------------------------------------------------


@given(separable_problems(), st.integers(0, 2**32 - 1), st.booleans())
def test_mistakes_never_exceed_novikoff_bound(problem, seed, fit_intercept) -> None:
    X, y, w_star = problem
    bound = mistake_bound(X, y, w_star, b_star=0.0 if fit_intercept else None)
    # at most `bound` mistakes means at most floor(bound) + 1 epochs (the last one clean)
    p = Perceptron(max_epochs=int(bound) + 2, fit_intercept=fit_intercept)
    p.fit(X, y, np.random.default_rng(seed))
    assert p.converged
    assert p.total_mistakes() <= bound
    assert perceptron_margin(X, y, p.w, p.b) > 0  # the plane found separates the data
    np.testing.assert_array_equal(p.predict(X), y)


@given(separable_problems())
def test_batch_perceptron_separates(problem) -> None:
    X, y, _ = problem
    w, b, mistakes = batch_perceptron(X, y, max_epochs=10_000)
    assert mistakes[-1] == 0
    assert np.all(y * (X @ w + b) > 0)


# --- XOR: no line separates it ----------------------------------------------------------------


def test_xor_never_converges() -> None:
    X, y01 = make_xor()
    y = 2 * y01 - 1
    p = Perceptron(max_epochs=50).fit(X, y, np.random.default_rng(0))
    assert not p.converged and p.n_epochs == 50
    assert np.all(p.mistakes_per_epoch >= 1)
    assert np.any(p.predict(X) != y)
    _, _, mistakes = batch_perceptron(X, y, max_epochs=50)
    assert np.all(mistakes >= 1)


# --- shapes, dtypes, determinism ----------------------------------------------------------------


def test_shapes_and_dtypes(rng) -> None:
    X, y = make_separable(30, rng, margin=0.1, dim=4)
    for dtype in (np.float32, np.float64):
        p = Perceptron().fit(X.astype(dtype), y, np.random.default_rng(1))
        assert p.w.dtype == dtype and p.w.shape == (4,)
        assert p.decision_function(X[:7].astype(dtype)).shape == (7,)
        assert p.decision_function(X[:7].astype(dtype)).dtype == dtype
        assert p.predict(X.astype(dtype)).shape == (30,)
        assert set(np.unique(p.predict(X))) <= {-1, 1}
        assert p.w_history.shape == (p.n_epochs + 1, 4)
        assert p.b_history.shape == (p.n_epochs + 1,)
        assert p.mistakes_per_epoch.shape == (p.n_epochs,)


def test_float32_everywhere(rng) -> None:
    X, y = make_separable(40, rng, margin=0.1, dim=3)
    X32 = X.astype(np.float32)
    w, b, _ = batch_perceptron(X32, y)
    assert w.dtype == np.float32
    w_star = Perceptron().fit(X, y).w
    assert mistake_bound(X32, y, w_star) == pytest.approx(mistake_bound(X, y, w_star), rel=1e-5)
    w1, _, _ = perceptron_update(np.zeros(3, dtype=np.float32), 0.0, X32[0], int(y[0]))
    assert w1.dtype == np.float32


def test_zero_score_is_a_mistake_and_predicts_minus_one() -> None:
    p = Perceptron().fit(np.array([[1.0, 0.0], [-1.0, 0.0]]), np.array([1, -1]))
    np.testing.assert_array_equal(p.predict(np.array([[0.0, 5.0]])), [-1])  # on the line
    _, _, mistake = perceptron_update(np.zeros(2), 0.0, np.array([3.0, 4.0]), -1)
    assert mistake  # score 0 is not a correct answer for either label


def test_deterministic_given_seed(rng) -> None:
    X, y = make_separable(100, rng, margin=0.02)
    a = Perceptron().fit(X, y, np.random.default_rng(5))
    b = Perceptron().fit(X, y, np.random.default_rng(5))
    np.testing.assert_array_equal(a.w_history, b.w_history)
    np.testing.assert_array_equal(a.mistakes_per_epoch, b.mistakes_per_epoch)


def test_lr_only_rescales_from_zero(rng) -> None:
    X, y = make_separable(50, rng, margin=0.05)
    a = Perceptron(lr=1.0).fit(X, y, np.random.default_rng(2))
    b = Perceptron(lr=0.1).fit(X, y, np.random.default_rng(2))
    np.testing.assert_allclose(b.w, 0.1 * a.w)
    np.testing.assert_array_equal(a.mistakes_per_epoch, b.mistakes_per_epoch)


# --- bad input ------------------------------------------------------------------------------------


def test_bad_input() -> None:
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match=r"labels in \{-1, \+1\}.*got other values such as \[0\]"):
        Perceptron().fit(X, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"1-D array of 2 labels.*got shape \(3,\)"):
        Perceptron().fit(X, np.array([1, -1, 1]))
    with pytest.raises(ValueError, match=r"1-D array of 2 labels.*got shape \(2, 1\)"):
        Perceptron().fit(X, np.array([[1], [-1]]))
    with pytest.raises(ValueError, match="finite"):
        Perceptron().fit(np.array([[np.nan, 1.0], [1.0, 0.0]]), np.array([1, -1]))
    with pytest.raises(ValueError, match=r"labels in \{-1, \+1\}"):
        Perceptron().fit(X, np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"2-D array of shape \(n, d\); got shape \(2,\)"):
        Perceptron().fit(np.array([1.0, 2.0]), np.array([1, -1]))
    with pytest.raises(ValueError, match="not be empty"):
        Perceptron().fit(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(ValueError, match="numpy.random.Generator"):
        Perceptron().fit(X, np.array([1, -1]), rng=42)
    with pytest.raises(ValueError, match="max_epochs"):
        Perceptron(max_epochs=0)
    with pytest.raises(ValueError, match="lr"):
        Perceptron(lr=-1.0)
    with pytest.raises(ValueError, match="not fitted"):
        Perceptron().predict(X)
    p = Perceptron().fit(X, np.array([1, -1]))
    with pytest.raises(ValueError, match="must have 2 columns"):
        p.predict(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"y must be a label in \{-1, \+1\}; got 0"):
        perceptron_update(np.zeros(2), 0.0, np.ones(2), 0)
    with pytest.raises(ValueError, match=r"x must have the shape of w"):
        perceptron_update(np.zeros(2), 0.0, np.ones(3), 1)
    with pytest.raises(ValueError, match="zero vector"):
        perceptron_margin(X, np.array([1, -1]), np.zeros(2))
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        perceptron_margin(X, np.array([1, -1]), np.ones(3))
    with pytest.raises(ValueError, match="positive margin"):
        mistake_bound(X, np.array([1, 1]), np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"labels in \{-1, \+1\}"):
        batch_perceptron(X, np.array([2, 1]))
