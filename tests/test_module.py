"""Tests for nnbook.nn.module: the module system that Parts IV-IX stand on.

Shared weights and accumulated gradients, the last-in-first-out cache rule, dotted names,
modes, saving, a training loop for any model, custom loops (a GAN step), and a run that
is saved and resumed bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import (
    SGD,
    Adam,
    AdamW,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Dense,
    Dropout,
    EarlyStopping,
    LayerNorm,
    Module,
    MSELoss,
    ReLU,
    Sequential,
    Tanh,
    check_module,
    evaluate,
    fit,
    load_checkpoint,
    no_grad,
    save_checkpoint,
    train_step,
)
from nnbook.nn.regularization import is_decayed


class Twice(Module):
    """d(d(x)): one Dense layer, its weight used twice."""

    def __init__(self, d: Dense) -> None:
        super().__init__()
        self.d = d

    def forward(self, X):
        return self.d(self.d(X))

    def backward(self, dY, input_grad=True):
        return self.d.backward(self.d.backward(dY), input_grad=input_grad)


class Unrolled(Module):
    """h_t = tanh(x_t W_x + h_{t-1} W_h + b): one cell applied at every time step."""

    def __init__(self, n_in: int, n_hidden: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.inp = Dense(n_in, n_hidden, rng)
        self.rec = Dense(n_hidden, n_hidden, rng)
        self.act = Tanh()

    def forward(self, X):  # X: (batch, T, n_in)
        h = np.zeros((X.shape[0], self.rec.n_in))
        for t in range(X.shape[1]):
            h = self.act(self.inp(X[:, t]) + self.rec(h))
        self._save(X.shape)
        return h

    def backward(self, dh, input_grad=True):
        shape = self._saved()
        dX = np.zeros(shape)
        for t in reversed(range(shape[1])):  # backward in the reverse order of the calls
            dz = self.act.backward(dh)
            dh = self.rec.backward(dz)
            dX[:, t] = self.inp.backward(dz)
        return dX if input_grad else None


class TwoInputs(Module):
    """y = head(relu(a(x1) + b(x2))): an encoder-decoder-shaped model with two inputs."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.a = Dense(3, 8, rng)
        self.b = Dense(2, 8, rng)
        self.act = ReLU()
        self.head = Dense(8, 2, rng)

    def forward(self, x1, x2):
        return self.head(self.act(self.a(x1) + self.b(x2)))

    def backward(self, dY, input_grad=True):
        g = self.act.backward(self.head.backward(dY))
        return self.a.backward(g, input_grad), self.b.backward(g, input_grad)


def test_dense_applied_twice_gets_the_summed_gradient(rng) -> None:
    errors = check_module(Twice(Dense(3, 3, rng)), rng.standard_normal((4, 3)))
    assert max(errors.values()) < 1e-7


def test_a_cell_applied_ten_times_passes_check_module(rng) -> None:
    cell = Unrolled(2, 4, rng)
    errors = check_module(cell, rng.standard_normal((3, 10, 2)))
    assert set(errors) == {"input0", "inp.W", "inp.b", "rec.W", "rec.b"}
    assert max(errors.values()) < 1e-6


def test_caches_are_consumed_last_in_first_out(rng) -> None:
    d = Dense(2, 2, rng)
    X1, X2 = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    G1, G2 = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    d(X1)
    d(X2)
    d.backward(G2)  # consumes X2's cache
    np.testing.assert_allclose(d.grads["W"], X2.T @ G2)
    d.backward(G1)  # then X1's
    np.testing.assert_allclose(d.grads["W"], X2.T @ G2 + X1.T @ G1)
    with pytest.raises(ValueError, match="no forward pass left to consume"):
        d.backward(G1)
    with no_grad():
        d(X1)
    with pytest.raises(ValueError, match="no forward pass left"):
        d.backward(G1)


def test_discriminator_on_two_batches_accumulates_both(rng) -> None:
    D = Sequential([Dense(2, 8, rng), Tanh(), Dense(8, 1, rng)])
    bce = BCEWithLogitsLoss()
    real, fake = rng.standard_normal((5, 2)), rng.standard_normal((5, 2)) + 2
    ones, zeros = np.ones((5, 1)), np.zeros((5, 1))

    def grads_of(batch, target):
        D.zero_grad()
        _, g = bce(D(batch), target)
        D.backward(g)
        return {k: v.copy() for k, v in D.gradients().items()}

    g_real, g_fake = grads_of(real, ones), grads_of(fake, zeros)
    D.zero_grad()  # one update from both batches: forward both, backward both (LIFO)
    out_real, out_fake = D(real), D(fake)
    D.backward(bce(out_fake, zeros)[1])
    D.backward(bce(out_real, ones)[1])
    for k, g in D.gradients().items():
        np.testing.assert_allclose(g, g_real[k] + g_fake[k], rtol=1e-12, atol=1e-14)


def test_a_gan_step_is_as_short_as_in_pytorch(rng) -> None:
    G = Sequential([Dense(1, 8, rng), ReLU(), Dense(8, 2, rng)])
    D = Sequential([Dense(2, 8, rng), ReLU(), Dense(8, 1, rng)])
    opt_G, opt_D, bce = Adam(1e-3), Adam(1e-3), BCEWithLogitsLoss()
    real = rng.standard_normal((16, 2))
    ones, zeros = np.ones((16, 1)), np.zeros((16, 1))
    for _ in range(3):
        z = rng.standard_normal((16, 1))
        fake = G(z)
        D.zero_grad()  # discriminator: real -> 1, fake -> 0
        D.backward(bce(D(real), ones)[1])
        D.backward(bce(D(fake), zeros)[1])
        opt_D.step(D.parameters(), D.gradients())
        G.zero_grad()  # generator (non-saturating): fake -> 1, gradient through D
        d_fake = D.backward(bce(D(fake), ones)[1])
        G.backward(d_fake, input_grad=False)
        opt_G.step(G.parameters(), G.gradients())
    assert all(np.isfinite(p).all() for p in G.parameters().values())
    assert not any(m._caches for _, m in G.named_modules())
    assert not any(m._caches for _, m in D.named_modules())


def test_dotted_names_modes_and_shared_parameters(rng) -> None:
    class Net(Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = Sequential([Dense(3, 4, rng), Dropout(0.5, rng), LayerNorm(4)])
            self.tied = self.encoder.layers[0]  # the same module twice: counted once

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["encoder.0.W", "encoder.0.b", "encoder.2.gamma", "encoder.2.beta"]
    assert net.n_params == 3 * 4 + 4 + 4 + 4
    net.eval()
    assert not any(m.training for _, m in net.named_modules())
    net.train()
    assert all(m.training for _, m in net.named_modules())


def test_state_dict_round_trip_includes_buffers(rng) -> None:
    from nnbook import BatchNorm

    net = Sequential([Dense(3, 4, rng), BatchNorm(4), ReLU()])
    net(rng.standard_normal((8, 3)))
    state = net.state_dict()
    assert {"0.W", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var"} == set(state)
    other = Sequential([Dense(3, 4, np.random.default_rng(9)), BatchNorm(4), ReLU()])
    other.load_state_dict(state)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v, state[k])
    with pytest.raises(ValueError, match="missing"):
        other.load_state_dict({"0.W": state["0.W"]})
    with pytest.raises(ValueError, match=r"must have shape \(3, 4\)"):
        other.load_state_dict({**state, "0.W": np.zeros((4, 3))})


def test_fit_trains_a_two_input_model_with_a_callable_loss(rng) -> None:
    X1, X2 = rng.standard_normal((200, 3)), rng.standard_normal((200, 2))
    y = ((X1[:, 0] + X2[:, 1]) > 0).astype(np.int64)
    model = TwoInputs(rng)
    ce = CrossEntropyLoss()

    def loss(outputs, targets):  # any callable returning (value, gradient)
        return ce(outputs, targets)

    hist = fit(model, (X1, X2), y, Adam(1e-2), loss=loss, epochs=15, batch_size=20,
               rng=rng, validation_data=((X1, X2), y))
    assert hist["val_loss"][-1] < 0.5 * hist["val_loss"][0]
    assert "acc" not in hist  # a plain callable does not count correct predictions
    assert evaluate(model, (X1, X2), y)[1] > 0.9


def test_early_stopping_mode_is_explicit(rng) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        EarlyStopping(3, monitor="val_acc", mode="best")
    X = rng.standard_normal((60, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    model = Sequential([Dense(2, 2, rng)])
    cb = EarlyStopping(2, monitor="val_acc", mode="max")
    fit(model, X, y, Adam(1e-2), epochs=5, rng=rng, validation_data=(X, y), callbacks=[cb])
    assert cb.best_value == max(cb.best_value, 0.0)


def test_divergence_is_detected_from_values(rng) -> None:
    X = rng.standard_normal((64, 4)) * 100
    y = X @ rng.standard_normal((4, 1)) * 100
    model = Sequential([Dense(4, 32, rng), ReLU(), Dense(32, 1, rng)])
    hist = fit(model, X, y, SGD(1.0), loss=MSELoss(), epochs=50, rng=rng)
    assert hist.diverged and hist.epochs < 50
    assert not any(m._caches for _, m in model.named_modules())


def test_weight_decay_skips_biases_and_normalization_by_default(rng) -> None:
    net = Sequential([Dense(3, 4, rng), LayerNorm(4), Dense(4, 2, rng)])
    before = {k: v.copy() for k, v in net.parameters().items()}
    zero = {k: np.zeros_like(v) for k, v in net.parameters().items()}
    AdamW(lr=0.1, weight_decay=0.5).step(net.parameters(), zero)
    for k, p in net.parameters().items():
        decayed = not np.array_equal(p, before[k])
        assert decayed == is_decayed(k, p), k
    net2 = Sequential([Dense(3, 4, rng)])
    b0 = net2.layers[0].params["b"]
    b0[...] = 1.0
    AdamW(lr=0.1, weight_decay=0.5, decay=lambda name, p: True).step(
        net2.parameters(), {k: np.zeros_like(v) for k, v in net2.parameters().items()})
    assert np.all(b0 < 1.0)  # the documented override decays everything


def _run(model, opt, X, y, rng, epochs):
    return fit(model, X, y, opt, epochs=epochs, batch_size=16, rng=rng,
               augment=lambda xb, r: xb + 0.01 * r.standard_normal(xb.shape))


def _net(seed):
    r = np.random.default_rng(seed)
    return Sequential([Dense(4, 16, r), ReLU(), Dropout(0.2, r), Dense(16, 3, r)])


def test_saved_and_resumed_run_is_bit_identical(tmp_path) -> None:
    data = np.random.default_rng(0)
    X, y = data.standard_normal((96, 4)), data.integers(0, 3, 96)

    straight, opt_s, rng_s = _net(1), Adam(1e-2), np.random.default_rng(5)
    _run(straight, opt_s, X, y, rng_s, epochs=4)

    first, opt_f, rng_f = _net(1), Adam(1e-2), np.random.default_rng(5)
    _run(first, opt_f, X, y, rng_f, epochs=2)
    path = save_checkpoint(tmp_path / "run", first, opt_f, rng_f, epoch=2)
    assert path.suffix == ".npz"

    resumed, opt_r, rng_r = _net(99), Adam(1e-3), np.random.default_rng(123)
    extra = load_checkpoint(tmp_path / "run", resumed, opt_r, rng_r)
    assert extra == {"epoch": 2}
    _run(resumed, opt_r, X, y, rng_r, epochs=2)
    for k, v in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[k], v, err_msg=k)


def test_train_step_rejects_bad_arguments(rng) -> None:
    model = Sequential([Dense(2, 2, rng)])
    X, y = rng.standard_normal((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(TypeError, match="loss_fn must be callable; got str"):
        train_step(model, X, y, "cross_entropy", Adam())
    with pytest.raises(TypeError, match="optimizer must have an lr attribute"):
        train_step(model, X, y, CrossEntropyLoss(), None)
    with pytest.raises(TypeError, match="model must be Module"):
        train_step(object(), X, y, CrossEntropyLoss(), Adam())
    with pytest.raises(TypeError, match="epochs must be a positive integer; got float 1e\\+300"):
        fit(model, X, y, Adam(), epochs=1e300, rng=rng)
