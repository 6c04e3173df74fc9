"""Tests for nnbook.learning.contrastive: InfoNCE, its bound, SimCLR and the probe."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import (
    Adam,
    Dense,
    ReLU,
    Sequential,
    add_noise,
    frozen_features,
    info_nce,
    info_nce_backward,
    mi_lower_bound,
    probe_accuracy,
    relative_error,
    simclr_train,
)
from nnbook.gradcheck import numerical_gradient


@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0])
def test_info_nce_gradient(tau):
    rng = np.random.default_rng(0)
    Z1, Z2 = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    _, cache = info_nce(Z1, Z2, tau)
    d1, d2 = info_nce_backward(cache)
    n1 = numerical_gradient(lambda _: info_nce(Z1, Z2, tau)[0], Z1)
    n2 = numerical_gradient(lambda _: info_nce(Z1, Z2, tau)[0], Z2)
    assert relative_error(d1, n1) < 1e-6 and relative_error(d2, n2) < 1e-6


def test_info_nce_hand_case():
    # two pairs of identical unit vectors, orthogonal across pairs, tau = 1:
    # each row has its positive at similarity 1 and two negatives at 0.
    Z = np.eye(2)
    loss, _ = info_nce(Z, Z, 1.0)
    assert loss == pytest.approx(-np.log(np.e / (np.e + 2)))


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 8), scale=st.floats(0.1, 10))
def test_info_nce_is_scale_invariant_and_bounded(seed, n, scale):
    rng = np.random.default_rng(seed)
    Z1, Z2 = rng.standard_normal((n, 4)), rng.standard_normal((n, 4))
    loss, _ = info_nce(Z1, Z2, 0.5)
    assert info_nce(scale * Z1, Z2, 0.5)[0] == pytest.approx(loss, rel=1e-9)
    assert loss >= 0
    assert mi_lower_bound(loss, n) <= np.log(2 * n - 1) + 1e-12


def test_perfect_views_approach_the_log_k_ceiling():
    Z = np.eye(8)
    loss, _ = info_nce(Z, Z, 0.01)
    assert mi_lower_bound(loss, 8) == pytest.approx(np.log(15), abs=1e-6)


def test_simclr_lowers_its_loss_and_probe_runs():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 10))
    y = (X[:, 0] > 0).astype(np.int64)
    enc = Sequential([Dense(10, 16, rng), ReLU()])
    model = Sequential([enc, Dense(16, 8, rng)])
    hist = simclr_train(model, X, lambda B, r: add_noise(B, r, 0.1), Adam(0.01), rng,
                        epochs=5, batch_size=32)
    assert hist[-1] < hist[0]
    F = frozen_features(enc, X)
    assert F.shape == (64, 16)
    acc = probe_accuracy(F, y, F, y, rng, epochs=5)
    assert 0.5 <= acc <= 1.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="same shape"):
        info_nce(np.ones((3, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="at least 2"):
        info_nce(np.ones((1, 2)), np.ones((1, 2)))
    with pytest.raises((TypeError, ValueError), match="tau"):
        info_nce(np.ones((2, 2)), np.ones((2, 2)), tau=0.0)
