"""Tests for nnbook.train.loop: Sequential gradients against central differences, the training loop
(loss falls, determinism, hooks), evaluation, saving and loading, float32, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    History,
    MSELoss,
    Residual,
    Sequential,
    check_module,
    evaluate,
    fit,
    load_params,
    save_params,
)
from nnbook.data.datasets import make_moons
from nnbook.gradcheck import numerical_gradient
from nnbook.nn.layers import Dense, Identity, ReLU, Sigmoid, Tanh
from nnbook.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_backward,
    cross_entropy,
    cross_entropy_backward,
    mse,
    mse_backward,
)
from nnbook.nn.module import Layer


class StubSGD:
    """The smallest optimizer that keeps the contract: lr and step(params, grads) in place."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.calls = 0

    def step(self, params: dict, grads: dict) -> None:
        self.calls += 1
        for k in params:
            params[k] -= self.lr * grads[k]


def _mlp(rng: np.random.Generator, n_in: int = 2, n_hidden: int = 16, n_out: int = 2, dtype=np.float64) -> Sequential:
    return Sequential([Dense(n_in, n_hidden, rng, dtype=dtype), Tanh(), Dense(n_hidden, n_hidden, rng, dtype=dtype),
                       ReLU(), Dense(n_hidden, n_out, rng, dtype=dtype)])


LOSSES = [
    ("cross_entropy", cross_entropy, cross_entropy_backward, 3),
    ("mse", mse, mse_backward, 2),
    ("binary_cross_entropy", binary_cross_entropy, binary_cross_entropy_backward, 1),
]


@pytest.mark.parametrize("name, f, f_backward, n_out", LOSSES, ids=[x[0] for x in LOSSES])
def test_sequential_gradient_of_the_loss_matches_central_differences(name, f, f_backward, n_out, rng) -> None:
    model = Sequential([Dense(3, 5, rng), Tanh(), Dense(5, 4, rng), Sigmoid(), Dense(4, n_out, rng)])
    for p in model.parameters().values():
        p[...] = rng.standard_normal(p.shape)
    X = rng.standard_normal((6, 3))
    if name == "cross_entropy":
        y = rng.integers(0, n_out, size=6)
    elif name == "mse":
        y = rng.standard_normal((6, n_out))
    else:
        y = rng.integers(0, 2, size=(6, 1)).astype(np.float64)
    model.backward(f_backward(model(X), y))
    grads = {k: g.copy() for k, g in model.gradients().items()}
    for k, p in model.parameters().items():
        numeric = numerical_gradient(lambda _: f(model(X), y), p)
        np.testing.assert_allclose(grads[k], numeric, rtol=1e-6, atol=1e-9, err_msg=k)
    # and the gradient with respect to the input
    dX = model.backward(f_backward(model(X), y))
    np.testing.assert_allclose(dX, numerical_gradient(lambda x: f(model(x), y), X.copy()), rtol=1e-6, atol=1e-9)


def test_parameters_are_the_layers_arrays(rng) -> None:
    model = _mlp(rng)
    params = model.parameters()
    assert list(params) == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    assert params["2.W"] is model.layers[2].params["W"]
    params["0.b"] += 1.0
    assert np.all(model.layers[0].params["b"] == 1.0)
    assert list(model.gradients()) == list(params)
    assert model.n_params == 2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2
    assert model.flops_per_example() == 2 * 16 + 16 * 16 + 16 * 2
    s = model.summary()
    assert "Dense(16, 2" in s and f"{model.n_params:,}" in s


def test_train_eval_modes_and_predict(rng) -> None:
    model = _mlp(rng)
    model.eval()
    assert not any(layer.training for layer in model.layers)
    model.train()
    assert model.training
    X = rng.standard_normal((7, 2))
    pred = model.predict(X)
    np.testing.assert_array_equal(pred, np.argmax(model(X), axis=1))
    assert model.training  # predict restores the mode
    binary = Sequential([Dense(2, 1, rng)])
    np.testing.assert_array_equal(binary.predict(X), (binary(X)[:, 0] > 0).astype(int))


def test_fit_reduces_the_loss_and_is_deterministic() -> None:
    def run():
        rng = np.random.default_rng(3)
        X, y = make_moons(200, rng, noise=0.1)
        model = _mlp(rng)
        hist = fit(model, X, y, StubSGD(0.1), epochs=30, batch_size=20, rng=rng, validation_data=(X, y))
        return model, hist, X, y

    model, hist, X, y = run()
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert hist["acc"][-1] > 0.9
    assert hist.epochs == 30 and len(hist["val_loss"]) == 30 and hist["lr"] == [0.1] * 30
    loss, acc = evaluate(model, X, y)
    assert loss == pytest.approx(hist["val_loss"][-1]) and acc == pytest.approx(hist["val_acc"][-1])
    model2, hist2, _, _ = run()
    assert hist2.history == hist.history
    for k, p in model.parameters().items():
        np.testing.assert_array_equal(p, model2.parameters()[k])


def test_fit_regression_and_binary(rng) -> None:
    X = rng.uniform(-1, 1, size=(128, 1))
    y = np.sin(3 * X[:, 0])
    model = Sequential([Dense(1, 32, rng), Tanh(), Dense(32, 1, rng), Identity()])
    hist = fit(model, X, y, StubSGD(0.1), loss=MSELoss(), epochs=40, batch_size=16, rng=rng)
    assert hist["loss"][-1] < 0.2 * hist["loss"][0]
    assert "acc" not in hist
    Xm, ym = make_moons(200, rng)
    model = Sequential([Dense(2, 16, rng), ReLU(), Dense(16, 1, rng)])
    hist = fit(model, Xm, ym, StubSGD(0.5), loss=BCEWithLogitsLoss(), epochs=30, batch_size=20, rng=rng)
    assert hist["acc"][-1] > 0.85


def test_fit_hooks(rng) -> None:
    X, y = make_moons(64, rng)
    model = _mlp(rng)
    opt = StubSGD(0.1)
    seen = {"augment": 0}

    def augment(Xb, r):
        seen["augment"] += 1
        return Xb + 0.01 * r.standard_normal(Xb.shape)

    def penalty(params):
        return 0.5, {"0.W": np.zeros_like(params["0.W"])}

    hist = fit(model, X, y, opt, epochs=3, batch_size=16, rng=rng, schedule=lambda step: 0.1 / (1 + step),
               augment=augment, penalty=penalty, clip_norm=0.5)
    assert opt.calls == 12 and seen["augment"] == 12
    assert hist["lr"][-1] == pytest.approx(0.1 / 12)
    assert hist["penalty"] == [0.5, 0.5, 0.5]
    assert len(hist["grad_norm"]) == 3 and all(g > 0 for g in hist["grad_norm"])


def test_clipping_bounds_the_update(rng) -> None:
    X, y = make_moons(32, rng)
    model = _mlp(rng)
    before = {k: p.copy() for k, p in model.parameters().items()}
    fit(model, X, y, StubSGD(1.0), epochs=1, batch_size=32, rng=rng, clip_norm=1e-3)
    step = np.sqrt(sum(np.sum((p - before[k]) ** 2) for k, p in model.parameters().items()))
    assert step <= 1e-3 * (1 + 1e-9)


def test_callbacks_stop_training(rng) -> None:
    X, y = make_moons(64, rng)
    calls = []

    def stop_at_two(epoch, history, model):
        calls.append(epoch)
        return epoch == 2

    hist = fit(_mlp(rng), X, y, StubSGD(0.1), epochs=10, batch_size=16, rng=rng, callbacks=[stop_at_two])
    assert calls == [0, 1, 2] and hist.epochs == 3 and hist.stopped_early


def test_divergence_is_detected_not_raised(rng) -> None:
    X = rng.standard_normal((64, 4)) * 10
    y = rng.standard_normal(64) * 100
    model = Sequential([Dense(4, 64, rng), ReLU(), Dense(64, 64, rng), ReLU(), Dense(64, 1, rng)])
    hist = fit(model, X, y, StubSGD(10.0), loss=MSELoss(), epochs=20, batch_size=8, rng=rng)
    assert hist.diverged and np.isnan(hist["loss"][-1]) and hist.epochs < 20


def test_float32_training(rng) -> None:
    X, y = make_moons(100, rng)
    model = _mlp(rng, dtype=np.float32)
    hist = fit(model, X, y, StubSGD(0.1), epochs=10, batch_size=25, rng=rng)
    assert all(p.dtype == np.float32 for p in model.parameters().values())
    assert model(X).dtype == np.float32
    assert hist["loss"][-1] < hist["loss"][0]


def test_save_and_load_round_trip(rng, tmp_path) -> None:
    model = _mlp(rng)
    path = tmp_path / "params.npz"
    save_params(model, path)
    other = _mlp(np.random.default_rng(99))
    arrays = other.parameters()
    load_params(other, path)
    X = rng.standard_normal((5, 2))
    np.testing.assert_array_equal(other(X), model(X))
    assert other.parameters()["0.W"] is arrays["0.W"]  # loaded in place
    with pytest.raises(ValueError, match="must hold exactly the module's arrays"):
        load_params(Sequential([Dense(2, 2, rng)]), path)
    np.savez(path, **{k: np.zeros((1, 1)) for k in model.parameters()})
    with pytest.raises(ValueError, match=r"state\['0.W'\] must have shape \(2, 16\)"):
        load_params(model, path)


def test_history_helpers() -> None:
    h = History()
    for v in [3.0, 1.0, 2.0]:
        h.append(loss=v, val_loss=v + 1)
    assert h.best_epoch() == 1 and h.best_epoch("loss", "max") == 0 and h.epochs == 3
    with pytest.raises(ValueError, match="recorded series"):
        h.best_epoch("val_acc")


@settings(max_examples=15)
@given(st.integers(1, 40), st.integers(1, 50))
def test_every_example_is_seen_once_per_epoch(n, batch_size) -> None:
    rng = np.random.default_rng(n)
    X = rng.standard_normal((n, 2))
    y = rng.integers(0, 2, n)
    model = Sequential([Dense(2, 2, rng)])
    seen = []

    def record(Xb, r):
        seen.append(Xb.copy())
        return Xb

    fit(model, X, y, StubSGD(0.0), epochs=1, batch_size=batch_size, rng=rng, augment=record)
    rows = np.concatenate(seen)
    assert rows.shape == X.shape
    np.testing.assert_array_equal(np.sort(rows, axis=0), np.sort(X, axis=0))


def test_bad_input(rng) -> None:
    X, y = make_moons(20, rng)
    model = _mlp(rng)
    with pytest.raises(ValueError, match="at least one Module"):
        Sequential([])
    with pytest.raises(TypeError, match=r"layers\[1\] must be Module; got ufunc"):
        Sequential([Dense(2, 2, rng), np.tanh])
    with pytest.raises(TypeError, match="loss must be callable; got str 'hinge'"):
        fit(model, X, y, StubSGD(0.1), loss="hinge", epochs=1, rng=rng)
    with pytest.raises(ValueError, match="y must be an array .* with 20 rows"):
        fit(model, X, y[:-1], StubSGD(0.1), epochs=1, rng=rng)
    with pytest.raises(ValueError, match=r"labels in \[0, 2\)"):
        fit(model, X, y + 5, StubSGD(0.1), epochs=1, rng=rng)
    with pytest.raises(ValueError, match="finite"):
        fit(model, np.where(X > 0, np.nan, X), y, StubSGD(0.1), epochs=1, rng=rng)
    with pytest.raises(ValueError, match="must not be empty"):
        fit(model, X[:0], y[:0], StubSGD(0.1), epochs=1, rng=rng)
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 2\)"):
        fit(model, np.ones((20, 3)), y, StubSGD(0.1), epochs=1, rng=rng)
    with pytest.raises(ValueError, match="optimizer must have an lr"):
        fit(model, X, y, object(), epochs=1, rng=rng)
    with pytest.raises(ValueError, match="Generator"):
        fit(model, X, y, StubSGD(0.1), epochs=1, rng=1)
    with pytest.raises(ValueError, match="batch_size must be a positive integer; got 0"):
        fit(model, X, y, StubSGD(0.1), epochs=1, batch_size=0, rng=rng)
    with pytest.raises(ValueError, match="clip_norm must be a finite positive"):
        fit(model, X, y, StubSGD(0.1), epochs=1, rng=rng, clip_norm=-1.0)
    with pytest.raises(ValueError, match="y_val must be an array"):
        fit(model, X, y, StubSGD(0.1), epochs=1, rng=rng, validation_data=(X, y[:3]))
    assert issubclass(Dense, Layer)


def test_train_step_is_one_update(rng) -> None:
    from nnbook.train.loop import train_step

    X, y = make_moons(16, rng)
    model = _mlp(rng)
    before = {k: p.copy() for k, p in model.parameters().items()}
    model.backward(cross_entropy_backward(model(X), y))
    expected = {k: before[k] - 0.1 * g for k, g in model.gradients().items()}
    value, correct, pen, norm = train_step(model, X, y, CrossEntropyLoss(), StubSGD(0.1))
    assert value == pytest.approx(cross_entropy(_mlp_copy_forward(before, rng, X), y))
    for k, p in model.parameters().items():
        np.testing.assert_allclose(p, expected[k])
    assert 0 <= correct <= 16 and pen == 0.0 and norm > 0


def _mlp_copy_forward(params: dict, rng: np.random.Generator, X: np.ndarray) -> np.ndarray:
    model = _mlp(rng)
    for k, p in model.parameters().items():
        p[...] = params[k]
    return model(X)


def test_divergence_with_the_package_optimizer(rng) -> None:
    optim = pytest.importorskip("nnbook.optim")
    if not hasattr(optim, "SGD"):
        pytest.skip("nnbook.optim has no SGD yet")
    X = rng.standard_normal((64, 4)) * 10
    y = rng.standard_normal(64) * 100
    model = Sequential([Dense(4, 64, rng), ReLU(), Dense(64, 64, rng), ReLU(), Dense(64, 1, rng)])
    hist = fit(model, X, y, optim.SGD(10.0), loss=MSELoss(), epochs=20, batch_size=8, rng=rng)
    assert hist.diverged


def test_sequential_with_residual_blocks(rng, tmp_path) -> None:
    model = Sequential([Dense(2, 8, rng), Residual([Dense(8, 8, rng), Tanh(), Dense(8, 8, rng)]), ReLU(),
                        Dense(8, 2, rng)])
    assert "1.0.W" in model.parameters() and model.parameters()["1.2.b"] is model.layers[1].layers[2].params["b"]
    assert model.flops_per_example() == 2 * 8 + 8 * 8 * 2 + 8 * 2
    X = rng.standard_normal((6, 2))
    check_module(model, X)
    model.eval()
    assert not model.layers[1].layers[1].training
    save_params(model, tmp_path / "p.npz")
    load_params(model, tmp_path / "p.npz")


def test_progress_bar_switch(rng, monkeypatch, capsys) -> None:
    from nnbook.train.loop import _show_progress

    assert _show_progress(True) and not _show_progress(False)
    monkeypatch.setenv("NNBOOK_QUIET", "1")
    assert not _show_progress(None)
    X, y = make_moons(32, rng)
    hist = fit(_mlp(rng), X, y, StubSGD(0.1), epochs=2, batch_size=16, rng=rng, verbose=True)
    assert hist.epochs == 2
    assert "fit" in capsys.readouterr().err  # tqdm writes its bar to stderr


def test_augment_that_makes_nan_is_an_error_not_divergence(rng) -> None:
    X, y = make_moons(32, rng)
    with pytest.raises(ValueError, match=r"augment\(X_batch, rng\) must be finite"):
        fit(_mlp(rng), X, y, StubSGD(0.1), epochs=1, batch_size=16, rng=rng, augment=lambda Xb, r: Xb * np.nan)


def test_fit_calls_on_train_end_however_training_ends(rng) -> None:
    from nnbook import Sequential, fit
    from nnbook.nn.layers import Dense
    from nnbook.optim import SGD

    class Recorder:
        def __init__(self) -> None:
            self.ended = 0

        def __call__(self, epoch, history, model) -> bool:
            return False

        def on_train_end(self, model) -> None:
            self.ended += 1

    X = rng.normal(size=(20, 3))
    y = rng.integers(0, 2, size=20)
    cb = Recorder()
    fit(Sequential([Dense(3, 2, rng)]), X, y, SGD(0.1), epochs=2, batch_size=5, rng=rng, callbacks=[cb])
    assert cb.ended == 1


def test_sequential_backward_without_input_grad_gives_the_same_parameter_gradients(rng) -> None:
    from nnbook import Sequential
    from nnbook.nn.layers import Dense, ReLU

    net = Sequential([Dense(4, 6, rng), ReLU(), Dense(6, 3, rng)])
    X = rng.normal(size=(5, 4))
    dZ = rng.normal(size=(5, 3))
    net.forward(X)
    dX = net.backward(dZ)
    full = {k: v.copy() for k, v in net.gradients().items()}
    net.zero_grad()
    net.forward(X)
    assert net.backward(dZ, input_grad=False) is None
    for k, v in net.gradients().items():
        np.testing.assert_array_equal(v, full[k])
    assert dX.shape == X.shape
