"""Tests for nnbook.learning.meta: MAML, first-order MAML, Reptile, prototypical and
matching networks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    SGD,
    Dense,
    ReLU,
    Sequential,
    adapt,
    adaptation_curve,
    episode_accuracy,
    hessian_vector_product,
    load_digits,
    maml_meta_gradient,
    maml_objective,
    matching_loss,
    meta_train,
    mlp_init,
    prototypical_loss,
    relative_error,
    reptile_direction,
    sample_episode,
    sample_sinusoid_tasks,
    task_losses,
    train_episodic,
)
from nnbook.gradcheck import numerical_gradient
from nnbook.nn.activations import tanh, tanh_backward

SMOOTH = (tanh, tanh_backward)


def small_problem(seed=0, n_tasks=3):
    rng = np.random.default_rng(seed)
    theta = mlp_init([1, 6, 5, 1], rng)
    X_s, Y_s, X_q, Y_q, _, _ = sample_sinusoid_tasks(n_tasks, 4, rng, n_query=5)
    return theta, X_s, Y_s, X_q, Y_q


def tasked(theta, T=1):
    return {k: np.broadcast_to(v, (T,) + v.shape).copy() for k, v in theta.items()}


def test_task_loss_gradient():
    theta, X_s, Y_s, _, _ = small_problem()
    p = tasked(theta, 3)
    _, g = task_losses(p, X_s, Y_s, SMOOTH)
    for k in p:
        num = numerical_gradient(lambda _: float(task_losses(p, X_s, Y_s, SMOOTH)[0].sum()),
                                 p[k])
        assert relative_error(g[k], num) < 1e-7, k


@pytest.mark.parametrize("steps", [1, 2, 3])
def test_maml_meta_gradient_matches_finite_differences(steps):
    theta, X_s, Y_s, X_q, Y_q = small_problem(1)
    _, g = maml_meta_gradient(theta, X_s, Y_s, X_q, Y_q, 0.1, steps, activation=SMOOTH)
    for k in theta:
        num = numerical_gradient(
            lambda _: maml_objective(theta, X_s, Y_s, X_q, Y_q, 0.1, steps, SMOOTH),
            theta[k])
        assert relative_error(g[k], num) < 1e-6, (k, relative_error(g[k], num))


def test_first_order_maml_drops_the_hessian_term():
    theta, X_s, Y_s, X_q, Y_q = small_problem(2)
    _, fo = maml_meta_gradient(theta, X_s, Y_s, X_q, Y_q, 0.1, 1, first_order=True,
                               activation=SMOOTH)
    adapted = adapt(theta, X_s, Y_s, 0.1, 1, SMOOTH)[-1]
    _, gq = task_losses(adapted, X_q, Y_q, SMOOTH)
    for k in theta:
        np.testing.assert_allclose(fo[k], gq[k].mean(0), atol=1e-14)
    _, so = maml_meta_gradient(theta, X_s, Y_s, X_q, Y_q, 0.1, 1, activation=SMOOTH)
    assert max(relative_error(so[k], fo[k]) for k in theta) > 1e-4
    # with no inner step both are the plain query gradient
    _, g0 = maml_meta_gradient(theta, X_s, Y_s, X_q, Y_q, 0.1, 0, activation=SMOOTH)
    _, gq0 = task_losses(tasked(theta, 3), X_q, Y_q, SMOOTH)
    for k in theta:
        np.testing.assert_allclose(g0[k], gq0[k].mean(0), atol=1e-14)


def test_hessian_vector_product_of_a_linear_model_is_exact():
    # f(x) = x W + b, MSE: the Hessian in W is (2/n) X^T X, constant.
    rng = np.random.default_rng(3)
    theta = mlp_init([3, 1], rng)
    X, Y = rng.standard_normal((1, 8, 3)), rng.standard_normal((1, 8, 1))
    v = {"W0": rng.standard_normal((1, 3, 1)), "b0": np.zeros((1, 1))}
    Hv = hessian_vector_product(tasked(theta), X, Y, v, activation=SMOOTH)
    np.testing.assert_allclose(Hv["W0"][0], 2 / 8 * X[0].T @ X[0] @ v["W0"][0],
                               rtol=1e-7)
    np.testing.assert_allclose(Hv["b0"][0], 2 / 8 * X[0].sum(0) @ v["W0"][0], rtol=1e-7)


def test_reptile_one_step_is_minus_the_gradient():
    theta, X_s, Y_s, _, _ = small_problem(4)
    d = reptile_direction(theta, X_s, Y_s, 0.05, 1, SMOOTH)
    _, g = task_losses(tasked(theta, 3), X_s, Y_s, SMOOTH)
    for k in theta:
        np.testing.assert_allclose(d[k], -0.05 * g[k].mean(0), atol=1e-14)


@pytest.mark.parametrize("method", ["maml", "fomaml", "reptile", "joint"])
def test_meta_train_runs_and_updates(method):
    theta, *_ = small_problem(5)
    before = {k: v.copy() for k, v in theta.items()}
    hist = meta_train(theta, lambda r: sample_sinusoid_tasks(2, 4, r)[:4], SGD(0.01),
                      np.random.default_rng(0), method, n_iter=3, inner_lr=0.01,
                      activation=SMOOTH)
    assert len(hist) == 3 and np.all(np.isfinite(hist))
    assert any(not np.allclose(before[k], theta[k]) for k in theta)


def test_adaptation_curve_falls_on_the_support_set():
    theta, X_s, Y_s, _, _ = small_problem(6)
    curve = adaptation_curve(theta, X_s, Y_s, X_s, Y_s, 0.01, 5, SMOOTH)
    assert curve.shape == (6,) and curve[-1] < curve[0]


def test_sinusoid_tasks():
    X_s, Y_s, X_q, Y_q, A, phi = sample_sinusoid_tasks(4, 5, np.random.default_rng(7), 6)
    assert X_s.shape == (4, 5, 1) and X_q.shape == (4, 6, 1)
    np.testing.assert_allclose(Y_q, A[:, None, None] * np.sin(X_q - phi[:, None, None]))
    assert np.all((A >= 0.1) & (A <= 5)) and np.all(np.abs(X_s) <= 5)


def test_prototypical_loss_hand_case():
    # two classes with prototypes (0, 0) and (2, 0); a query at (0.5, 0)
    Z_s = np.array([[0.0, 0], [2, 0]])
    loss, acc, _, _ = prototypical_loss(Z_s, [0, 1], np.array([[0.5, 0]]), [0], 2)
    s = np.array([-0.25, -2.25])
    assert loss == pytest.approx(-(s[0] - np.log(np.exp(s).sum())))
    assert acc == 1.0


@pytest.mark.parametrize("loss_fn", [prototypical_loss, matching_loss])
def test_episode_loss_gradients(loss_fn):
    rng = np.random.default_rng(8)
    Z_s, Z_q = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    y_s, y_q = np.array([0, 0, 1, 1, 2, 2]), np.array([0, 1, 2, 2, 1])
    _, _, dZ_s, dZ_q = loss_fn(Z_s, y_s, Z_q, y_q, 3)
    num_s = numerical_gradient(lambda _: loss_fn(Z_s, y_s, Z_q, y_q, 3)[0], Z_s)
    num_q = numerical_gradient(lambda _: loss_fn(Z_s, y_s, Z_q, y_q, 3)[0], Z_q)
    assert relative_error(dZ_s, num_s) < 1e-6
    assert relative_error(dZ_q, num_q) < 1e-6


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), shift=st.floats(-5, 5))
def test_prototypical_logits_are_translation_invariant(seed, shift):
    rng = np.random.default_rng(seed)
    Z_s, Z_q = rng.standard_normal((4, 3)), rng.standard_normal((3, 3))
    y_s, y_q = np.array([0, 1, 0, 1]), np.array([1, 0, 1])
    a = prototypical_loss(Z_s, y_s, Z_q, y_q, 2)[0]
    b = prototypical_loss(Z_s + shift, y_s, Z_q + shift, y_q, 2)[0]
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)


def test_episodes_and_episodic_training():
    X, y = load_digits()
    rng = np.random.default_rng(9)
    X_s, y_s, X_q, y_q = sample_episode(X, y, [5, 6, 7, 8, 9], 3, 2, 4, rng)
    assert X_s.shape == (6, 64) and X_q.shape == (12, 64)
    assert y_s.tolist() == [0, 0, 1, 1, 2, 2] and np.bincount(y_q).tolist() == [4, 4, 4]
    model = Sequential([Dense(64, 16, rng), ReLU(), Dense(16, 8, rng)])
    losses = train_episodic(model, X / 16, y, range(5), prototypical_loss, SGD(0.05),
                            rng, n_way=3, k_shot=2, n_query=4, episodes=30)
    assert len(losses) == 30 and np.all(np.isfinite(losses))
    acc = episode_accuracy(model, X / 16, y, range(5, 10), prototypical_loss, rng,
                           n_way=3, k_shot=2, n_query=4, episodes=10)
    assert 0.0 <= acc <= 1.0


def test_bad_inputs():
    theta, X_s, Y_s, X_q, Y_q = small_problem()
    with pytest.raises(ValueError, match="method"):
        meta_train(theta, lambda r: None, SGD(0.1), np.random.default_rng(0), "anil")
    with pytest.raises(ValueError, match="X_support"):
        maml_meta_gradient(theta, X_s[0], Y_s, X_q, Y_q, 0.1)
    with pytest.raises(ValueError, match="tasks"):
        maml_meta_gradient(theta, X_s, Y_s[:2], X_q, Y_q, 0.1)
    with pytest.raises(ValueError, match="every class"):
        prototypical_loss(np.ones((2, 2)), [0, 0], np.ones((1, 2)), [1], 2)
    with pytest.raises(ValueError, match="n_way"):
        sample_episode(np.ones((4, 2)), np.array([0, 1, 0, 1]), [0, 1], 3, 1, 1,
                       np.random.default_rng(0))
