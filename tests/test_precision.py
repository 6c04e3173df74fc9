"""Tests for nnbook.practice.precision: loss scaling and gradient checkpointing."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import (
    SGD,
    Adam,
    CrossEntropyLoss,
    Dense,
    ReLU,
    Sequential,
    Tanh,
    check_module,
)
from nnbook.practice.precision import (
    CheckpointedSequential,
    LossScaler,
    mixed_precision_step,
    peak_memory,
    sqrt_segments,
    underflow_fraction,
)


def _layers(seed: int, n: int = 6, width: int = 5, dtype=np.float64) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        out += [Dense(width, width, rng, dtype=dtype), Tanh()]
    return out


def test_underflow_fraction():
    g = np.array([1e-9, 1e-3, 0.0, 1e-6])
    assert underflow_fraction(g) == pytest.approx(1 / 3)
    assert underflow_fraction({"a": g}, scale=2.0**10) == 0.0
    assert underflow_fraction(np.zeros(3)) == 0.0


def test_loss_scaler_backoff_and_growth():
    s = LossScaler(scale=8.0, growth_interval=2)
    grads, bad = s.unscale({"W": np.array([np.inf], dtype=np.float16)})
    assert bad
    s.update(bad)
    assert s.scale == 4.0 and s.skipped == 1
    grads, bad = s.unscale({"W": np.array([8.0], dtype=np.float16)})
    assert not bad and grads["W"][0] == 2.0 and grads["W"].dtype == np.float32
    s.update(False)
    s.update(False)
    assert s.scale == 8.0
    with pytest.raises(ValueError, match="backoff"):
        LossScaler(backoff=0.0)


def test_mixed_precision_step_tracks_float32(rng):
    X, y = rng.standard_normal((64, 8)), rng.integers(0, 3, 64)

    def net(dtype):
        r = np.random.default_rng(0)
        return Sequential([Dense(8, 16, r, dtype=dtype), ReLU(),
                           Dense(16, 3, r, dtype=dtype)])
    master, half, ref = net(np.float32), net(np.float16), net(np.float32)
    opt, opt_ref, scaler = SGD(0.1), SGD(0.1), LossScaler(scale=1024.0)
    from nnbook import train_step
    for _ in range(10):
        loss, skipped = mixed_precision_step(master, half, X, y, opt, scaler)
        assert not skipped
        train_step(ref, X, y, CrossEntropyLoss(), opt_ref)
    for name, p in master.parameters().items():
        np.testing.assert_allclose(p, ref.parameters()[name], atol=5e-3)
    # an enormous scale overflows: the step is skipped and the scale backs off
    big = LossScaler(scale=2.0**40)
    before = master.parameters()["0.W"].copy()
    _, skipped = mixed_precision_step(master, half, X, y, Adam(0.1), big)
    assert skipped and big.scale == 2.0**39
    np.testing.assert_array_equal(master.parameters()["0.W"], before)


@pytest.mark.parametrize("segments", [1, 2, 3, 12])
def test_checkpointed_backward_equals_plain_backward_exactly(rng, segments):
    plain = Sequential(_layers(1))
    ckpt = CheckpointedSequential(_layers(1), segments=segments)
    X = rng.standard_normal((4, 5))
    dY = rng.standard_normal((4, 5))
    np.testing.assert_array_equal(plain(X), ckpt(X))
    dX_plain, dX_ckpt = plain.backward(dY), ckpt.backward(dY)
    np.testing.assert_array_equal(dX_plain, dX_ckpt)
    for (n1, g1), (n2, g2) in zip(plain.named_grads(), ckpt.named_grads()):
        assert n1 == n2
        np.testing.assert_array_equal(g1, g2)
    assert not any(m._caches for _, m in ckpt.named_modules())


def test_checkpointed_gradient_check(rng):
    check_module(CheckpointedSequential(_layers(2, n=3, width=3), segments=2),
                 rng.standard_normal((2, 3)))


def test_sqrt_segments_and_memory(rng):
    assert sqrt_segments(16) == 4 and sqrt_segments(1) == 1
    layers = _layers(3, n=16, width=256)
    plain, ckpt = Sequential(layers), CheckpointedSequential(layers)
    X = rng.standard_normal((256, 256))

    def run(model):
        def go():
            model(X)
            return model.backward(np.ones((256, 256)))
        return go
    _, m_plain = peak_memory(run(plain))
    _, m_ckpt = peak_memory(run(ckpt))
    assert m_ckpt < 0.6 * m_plain


def test_bad_inputs():
    with pytest.raises(ValueError, match="segments"):
        CheckpointedSequential(_layers(0, n=2), segments=9)
    with pytest.raises(ValueError, match="forward"):
        CheckpointedSequential(_layers(0, n=2)).backward(np.zeros((1, 5)))
    with pytest.raises(ValueError, match="scale"):
        underflow_fraction(np.ones(2), scale=-1.0)
