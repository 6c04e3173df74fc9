"""Tests for nnbook.practice.multimodal: the CLIP loss and model."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import Adam, check_module, fit
from nnbook.gradcheck import numerical_gradient
from nnbook.practice.multimodal import CLIP, ClipLoss, symmetric_cross_entropy


def test_symmetric_cross_entropy_value_and_gradient(rng):
    Z = rng.standard_normal((4, 4))
    value, grad = symmetric_cross_entropy(Z)
    row = -np.mean(np.diag(Z) - np.log(np.exp(Z).sum(axis=1)))
    col = -np.mean(np.diag(Z) - np.log(np.exp(Z).sum(axis=0)))
    assert value == pytest.approx((row + col) / 2)
    num = numerical_gradient(lambda A: symmetric_cross_entropy(A)[0], Z.copy())
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-9)
    # a perfect, confident matrix has loss near 0; a constant one log N
    assert symmetric_cross_entropy(50 * np.eye(5))[0] < 1e-10
    assert symmetric_cross_entropy(np.zeros((5, 5)))[0] == pytest.approx(np.log(5))


def test_clip_gradients(rng):
    model = CLIP(5, 3, 4, rng)
    model.params["log_scale"][...] = 0.3
    check_module(model, rng.standard_normal((6, 5)), rng.standard_normal((6, 3)))


def test_clip_learns_a_toy_pairing(rng):
    z = rng.standard_normal((400, 3))
    Xi = z @ rng.standard_normal((3, 10)) + 0.1 * rng.standard_normal((400, 10))
    Xt = z @ rng.standard_normal((3, 6)) + 0.1 * rng.standard_normal((400, 6))
    model = CLIP(10, 6, 4, rng)
    hist = fit(model, (Xi, Xt), np.zeros(400), Adam(1e-2), loss=ClipLoss(),
               epochs=20, batch_size=50, rng=rng)
    assert hist["acc"][-1] > 0.5 and hist["loss"][-1] < hist["loss"][0]


def test_bad_inputs(rng):
    with pytest.raises(ValueError, match="square"):
        symmetric_cross_entropy(np.zeros((2, 3)))
    model = CLIP(2, 2, 2, rng)
    with pytest.raises(ValueError, match="X"):
        model(np.zeros((3, 2)), np.zeros((4, 3)))
    model.clear_cache()
    from nnbook import no_grad
    with no_grad():
        assert model(rng.random((3, 2)), rng.random((4, 2))).shape == (3, 4)
