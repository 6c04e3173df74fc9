"""Tests for nnbook.nn.regularization: penalties, dropout, early stopping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.nn.regularization as R
from nnbook import EarlyStopping
from nnbook.gradcheck import numerical_gradient
from tests.strategies import arrays

PENALTIES = {
    "l2": lambda: R.l2_penalty(0.3),
    "l1": lambda: R.l1_penalty(0.3),
    "elastic": lambda: R.elastic_net_penalty(0.3, 0.4),
}


def _params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    # entries kept away from 0, where |w| has a kink and central differences do not apply
    W = rng.choice([-1.0, 1.0], size=(3, 4)) * rng.uniform(0.1, 2.0, size=(3, 4))
    return {"0.W": W, "0.b": rng.normal(size=4), "2.W": rng.normal(size=(4, 2)) + 5.0, "2.b": rng.normal(size=2)}


# --- penalties ----------------------------------------------------------------------------------


def test_penalty_values_by_hand() -> None:
    params = {"W": np.array([[1.0, -2.0], [0.0, 3.0]]), "b": np.array([10.0, -10.0])}
    assert R.l2_penalty(0.5)(params)[0] == pytest.approx(0.5 / 2 * (1 + 4 + 0 + 9))
    assert R.l1_penalty(0.5)(params)[0] == pytest.approx(0.5 * (1 + 2 + 0 + 3))
    assert R.elastic_net_penalty(0.5, 0.25)(params)[0] == pytest.approx(0.5 * (0.25 * 6 + 0.75 / 2 * 14))
    _, g = R.l1_penalty(0.5)(params)
    np.testing.assert_array_equal(g["W"], [[0.5, -0.5], [0.0, 0.5]])  # subgradient 0 at w = 0
    _, g = R.l2_penalty(0.5)(params)
    np.testing.assert_array_equal(g["W"], 0.5 * params["W"])


@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_penalty_gradients_match_central_differences(name, rng) -> None:
    penalty = PENALTIES[name]()
    params = _params(rng)
    _, grads = penalty(params)
    for key in ("0.W", "2.W"):
        def f(v: np.ndarray, key: str = key) -> float:
            return penalty({**params, key: v})[0]
        numeric = numerical_gradient(f, params[key].copy())
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(PENALTIES))
def test_biases_are_not_penalised(name, rng) -> None:
    params = _params(rng)
    value, grads = PENALTIES[name]()(params)
    assert set(grads) == {"0.W", "2.W"}
    value2, _ = PENALTIES[name]()({**params, "0.b": 100 * params["0.b"]})
    assert value2 == value


def test_l1_subgradient_is_zero_at_zero() -> None:
    _, g = R.l1_penalty(1.0)({"W": np.zeros((2, 2))})
    np.testing.assert_array_equal(g["W"], 0.0)


@given(arrays(st.tuples(st.integers(1, 5), st.integers(1, 5))), st.floats(0.0, 1.0), st.floats(0.0, 3.0))
def test_elastic_net_interpolates_l1_and_l2(W: np.ndarray, r: float, lam: float) -> None:
    params = {"W": W}
    v1, g1 = R.l1_penalty(lam)(params)
    v2, g2 = R.l2_penalty(lam)(params)
    v, g = R.elastic_net_penalty(lam, r)(params)
    assert v >= 0
    assert v == pytest.approx(r * v1 + (1 - r) * v2, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(g["W"], r * g1["W"] + (1 - r) * g2["W"], rtol=1e-9, atol=1e-12)


def test_sgd_step_on_l2_is_weight_decay() -> None:
    # w - lr * (grad_data + lam w) = (1 - lr lam) w - lr grad_data
    W = np.array([[1.0, -2.0]])
    g_data = np.array([[0.3, 0.1]])
    lr, lam = 0.1, 0.5
    _, g = R.l2_penalty(lam)({"W": W})
    np.testing.assert_allclose(W - lr * (g_data + g["W"]), (1 - lr * lam) * W - lr * g_data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_penalty_gradient_dtype(dtype) -> None:
    _, g = R.elastic_net_penalty(0.1, 0.5)({"W": np.ones((2, 2), dtype)})
    assert g["W"].dtype == dtype


# --- dropout ------------------------------------------------------------------------------------


def test_dropout_preserves_the_expectation(rng) -> None:
    layer = R.Dropout(0.3, rng)
    X = rng.normal(size=(4, 5))
    mean = np.mean([layer.forward(X) for _ in range(4000)], axis=0)
    np.testing.assert_allclose(mean, X, atol=0.06 * np.abs(X).max())


def test_dropout_drops_the_right_fraction_and_scales(rng) -> None:
    layer = R.Dropout(0.25, rng)
    Y = layer.forward(np.ones((200, 100)))
    assert set(np.unique(Y)) <= {0.0, 1.0 / 0.75}
    assert abs(np.mean(Y == 0) - 0.25) < 0.01


def test_dropout_eval_is_identity(rng) -> None:
    layer = R.Dropout(0.5, rng)
    layer.training = False
    X = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(layer.forward(X), X)
    np.testing.assert_array_equal(layer.backward(X), X)


def test_dropout_backward_uses_the_same_mask(rng) -> None:
    layer = R.Dropout(0.4, rng)
    X = rng.normal(size=(6, 5))
    Y = layer.forward(X)
    G = rng.normal(size=X.shape)
    mask = layer._caches[-1][1]
    dX = layer.backward(G)
    np.testing.assert_allclose(dX, G * mask)
    np.testing.assert_allclose(Y, X * mask)
    # and it is the exact VJP of the (now fixed) masked map
    numeric = numerical_gradient(lambda v: float(np.sum(G * v * mask)), X.copy())
    np.testing.assert_allclose(dX, numeric, rtol=1e-6, atol=1e-9)


def test_dropout_is_reproducible_given_the_seed() -> None:
    X = np.ones((5, 7))
    Y1 = R.Dropout(0.5, np.random.default_rng(3)).forward(X)
    Y2 = R.Dropout(0.5, np.random.default_rng(3)).forward(X)
    np.testing.assert_array_equal(Y1, Y2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_dtype(dtype, rng) -> None:
    layer = R.Dropout(0.5, rng)
    Y = layer.forward(np.ones((3, 3), dtype))
    assert Y.dtype == dtype and layer.backward(np.ones((3, 3), dtype)).dtype == dtype


def test_dropout_zero_is_identity(rng) -> None:
    X = rng.normal(size=(3, 3))
    np.testing.assert_array_equal(R.Dropout(0.0, rng).forward(X), X)


# --- early stopping -----------------------------------------------------------------------------


class _History:
    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {"val_loss": [], "val_acc": []}


class _Model:
    def __init__(self) -> None:
        self.W = np.zeros((2, 2))

    def parameters(self) -> dict[str, np.ndarray]:
        return {"0.W": self.W}


def _run(cb: R.EarlyStopping, values: list[float], key: str = "val_loss") -> tuple[int | None, _Model, list[int]]:
    """Feed ``values`` epoch by epoch; the model's weight equals the epoch number."""
    hist, model, seen = _History(), _Model(), []
    W_id = id(model.W)
    for epoch, v in enumerate(values):
        model.W[...] = epoch  # "training" changes the weights in place
        hist.history[key].append(v)
        seen.append(epoch)
        if cb(epoch, hist, model):
            assert id(model.W) == W_id  # restored in place, not rebound
            return epoch, model, seen
    return None, model, seen


def test_early_stopping_stops_after_patience_and_restores_best() -> None:
    cb = EarlyStopping(patience=3)
    stopped, model, _ = _run(cb, [1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.1])
    assert stopped == 5 and cb.stopped_epoch == 5
    assert cb.best_epoch == 2 and cb.best_value == 0.5
    np.testing.assert_array_equal(model.W, 2.0)


def test_early_stopping_min_delta_and_no_restore() -> None:
    cb = EarlyStopping(patience=2, min_delta=0.1, restore_best=False)
    stopped, model, _ = _run(cb, [1.0, 0.95, 0.92, 0.5])  # 0.95, 0.92 are not improvements by 0.1
    assert stopped == 2 and cb.best_epoch == 0
    np.testing.assert_array_equal(model.W, 2.0)  # left as it was


def test_early_stopping_maximises_accuracy() -> None:
    cb = EarlyStopping(patience=2, monitor="val_acc", mode="max")
    stopped, model, _ = _run(cb, [0.5, 0.7, 0.6, 0.65], key="val_acc")
    assert stopped == 3 and cb.best_epoch == 1
    np.testing.assert_array_equal(model.W, 1.0)


def test_early_stopping_restore_at_the_end_of_training() -> None:
    cb = EarlyStopping(patience=10)
    stopped, model, _ = _run(cb, [0.9, 0.3, 0.4, 0.5])
    assert stopped is None and cb.stopped_epoch is None
    np.testing.assert_array_equal(model.W, 3.0)
    cb.on_train_end(model)
    np.testing.assert_array_equal(model.W, 1.0)


def test_early_stopping_inside_fit(rng) -> None:
    from nnbook import Sequential, fit
    from nnbook.nn.layers import Dense, ReLU
    from nnbook.optim import SGD

    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(np.int64)
    model = Sequential([Dense(3, 16, rng), ReLU(), Dense(16, 2, rng)])
    cb = EarlyStopping(patience=2)
    # a huge learning rate makes the validation loss worse almost at once
    hist = fit(model, X, y, SGD(lr=5.0), epochs=50, batch_size=8, rng=rng,
               validation_data=(X, y), callbacks=[cb], verbose=False)
    assert cb.stopped_epoch is not None and len(hist.history["val_loss"]) == cb.stopped_epoch + 1
    best = min(hist.history["val_loss"])
    assert cb.best_value == best
    from nnbook.train.loop import evaluate
    assert evaluate(model, X, y)[0] == pytest.approx(best)  # the best weights are back


# --- bad input ----------------------------------------------------------------------------------


def test_bad_input(rng) -> None:
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\); got 1.0"):
        R.Dropout(1.0, rng)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        R.Dropout(-0.1, rng)
    with pytest.raises(ValueError, match=r"p must be a finite number"):
        R.Dropout(float("nan"), rng)
    with pytest.raises(ValueError, match="Generator"):
        R.Dropout(0.5, 0)
    with pytest.raises(ValueError, match="finite"):
        R.Dropout(0.5, rng).forward(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="not be empty"):
        R.Dropout(0.5, rng).forward(np.zeros((0, 3)))
    layer = R.Dropout(0.5, rng)
    with pytest.raises(ValueError, match="no forward pass left"):
        layer.backward(np.ones(2))
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape of Dropout's output \(2, 3\); got \(3, 2\)"):
        layer.backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match="lam"):
        R.l2_penalty(-1.0)
    with pytest.raises(ValueError, match=r"l1_ratio must be in \[0, 1\]"):
        R.elastic_net_penalty(0.1, 1.5)
    with pytest.raises(ValueError, match="finite"):
        R.l1_penalty(0.1)({"W": np.array([[np.nan]])})
    with pytest.raises(ValueError, match="dict"):
        R.l2_penalty(0.1)([np.ones((2, 2))])
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match=r"monitors 'val_loss'.*validation_data"):
        EarlyStopping(patience=1)(0, {"loss": [1.0]}, _Model())
    with pytest.raises(ValueError, match="NaN"):
        EarlyStopping(patience=1)(0, {"val_loss": [float("nan")]}, _Model())
