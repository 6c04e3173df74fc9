"""Tests for nnbook.practice.compress: pruning, quantization, rounding, distillation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import SGD, Dense, ReLU, Sequential, cross_entropy, fit, no_grad
from nnbook.gradcheck import numerical_gradient
from nnbook.practice.compress import (
    DistillationLoss,
    MaskedOptimizer,
    QuantDense,
    affine_qparams,
    apply_masks,
    dequantize,
    distillation_loss,
    distillation_loss_backward,
    fake_quantize,
    magnitude_masks,
    neuron_masks,
    quantize,
    quantize_model,
    sparsity,
    to_bfloat16,
    to_float16,
)


def test_magnitude_masks_hand_case():
    params = {"a.W": np.array([[1.0, -3.0], [0.5, 2.0]]), "a.b": np.ones(2),
              "c.W": np.array([[-0.1, 4.0]])}
    g = magnitude_masks(params, 0.5)
    np.testing.assert_array_equal(g["a.W"], [[0, 1], [0, 1]])
    np.testing.assert_array_equal(g["c.W"], [[0, 1]])
    lay = magnitude_masks(params, 0.5, scope="layer")
    np.testing.assert_array_equal(lay["a.W"], [[0, 1], [0, 1]])
    assert "a.b" not in g
    apply_masks(params, g)
    assert sparsity(params) == pytest.approx(0.5)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), s=st.floats(0.0, 0.95))
def test_magnitude_masks_reach_the_sparsity(seed, s):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.standard_normal((7, 5)), "W2": rng.standard_normal((5, 3))}
    for scope in ("global", "layer"):
        masks = magnitude_masks(params, s, scope=scope)
        pruned = sum(int((m == 0).sum()) for m in masks.values())
        if scope == "global":
            assert pruned == round(s * 50)
        kept = np.concatenate([np.abs(params[k])[masks[k] == 1] for k in masks])
        gone = np.concatenate([np.abs(params[k])[masks[k] == 0] for k in masks])
        if scope == "global" and len(kept) and len(gone):
            assert kept.min() >= gone.max()


def test_neuron_masks_remove_units_exactly(rng):
    model = Sequential([Dense(4, 6, rng), ReLU(), Dense(6, 3, rng)])
    params = model.parameters()
    masks = neuron_masks(params, 0.5)
    assert set(masks) == {"0.W", "0.b"}
    norms = np.linalg.norm(params["0.W"], axis=0)
    removed = np.flatnonzero(masks["0.b"] == 0)
    assert len(removed) == 3 and norms[removed].max() <= np.delete(norms, removed).min()
    apply_masks(params, masks)
    X = rng.standard_normal((5, 4))
    keep = np.flatnonzero(masks["0.b"] == 1)
    small = Sequential([Dense(4, 3, rng), ReLU(), Dense(3, 3, rng)])
    sp = small.parameters()
    sp["0.W"][...] = params["0.W"][:, keep]
    sp["0.b"][...] = params["0.b"][keep]
    sp["2.W"][...] = params["2.W"][keep]
    sp["2.b"][...] = params["2.b"]
    with no_grad():
        np.testing.assert_allclose(model(X), small(X))


def test_masked_optimizer_keeps_zeros(rng):
    X, y = rng.standard_normal((64, 4)), rng.integers(0, 2, 64)
    model = Sequential([Dense(4, 8, rng), ReLU(), Dense(8, 2, rng)])
    masks = magnitude_masks(model.parameters(), 0.75)
    apply_masks(model.parameters(), masks)
    opt = MaskedOptimizer(SGD(0.1), masks)
    opt.lr = 0.2
    assert opt.base.lr == 0.2
    fit(model, X, y, opt, epochs=3, batch_size=16, rng=rng)
    assert sparsity(model.parameters()) == pytest.approx(0.75, abs=0.02)
    with pytest.raises(TypeError, match="base"):
        MaskedOptimizer(object(), masks)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), bits=st.integers(2, 8),
       per_channel=st.booleans(), shift=st.floats(-3, 3))
def test_quantize_dequantize_error_at_most_half_a_step(seed, bits, per_channel, shift):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((6, 5)) * rng.uniform(0.1, 10, 5) + shift
    axis = 1 if per_channel else None
    scale, zp = affine_qparams(x, bits, axis)
    q = quantize(x, scale, zp, bits)
    assert q.min() >= -(2 ** (bits - 1)) and q.max() <= 2 ** (bits - 1) - 1
    err = np.abs(dequantize(q, scale, zp) - x)
    assert np.all(err <= np.broadcast_to(scale, x.shape) / 2 * (1 + 1e-9))
    # zero is exactly representable
    np.testing.assert_allclose(dequantize(quantize(np.zeros_like(x), scale, zp, bits),
                                          scale, zp), 0.0, atol=1e-12)


def test_quantization_hand_case_and_per_channel_is_finer():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    scale, zp = affine_qparams(x, bits=8)
    assert scale == pytest.approx(3.0 / 255) and zp == -128 + 85
    np.testing.assert_array_equal(quantize(x, scale, zp), [-128, -43, int(np.round(
        0.5 / scale)) - 43, 127])
    W = np.array([[0.01, 5.0], [-0.02, -4.0], [0.005, 1.0]])
    e_tensor = np.abs(fake_quantize(W, 4) - W)[:, 0].max()
    e_channel = np.abs(fake_quantize(W, 4, axis=1) - W)[:, 0].max()
    assert e_channel < e_tensor / 10


def test_quant_dense_straight_through(rng):
    layer = QuantDense(3, 2, rng, bits=3)
    X = rng.standard_normal((4, 3))
    Y = layer(X)
    Wq = layer.quantized_weight()
    np.testing.assert_allclose(Y, X @ Wq + layer.params["b"])
    assert len(np.unique(Wq[:, 0])) <= 8
    dY = rng.standard_normal(Y.shape)
    dX = layer.backward(dY)
    np.testing.assert_allclose(layer.grads["W"], X.T @ dY)        # straight through
    np.testing.assert_allclose(dX, dY @ Wq.T)
    f = lambda Z: float(np.sum(dY * (Z @ Wq + layer.params["b"])))  # noqa: E731
    np.testing.assert_allclose(dX, numerical_gradient(f, X.copy()), rtol=1e-6)
    m = Sequential([Dense(3, 2, rng)])
    nbytes = quantize_model(m, bits=8)
    assert nbytes == 6 + 16 and len(np.unique(m.parameters()["0.W"][:, 0])) <= 3


def test_float16_and_bfloat16_rounding():
    one_ulp = 2.0**-7
    x = np.array([1.0 + 2.0**-8, 1.0 + 3 * 2.0**-9, 3.0e38, 1e-40, -2.5])
    b = to_bfloat16(x)
    np.testing.assert_array_equal(b[[0, 1, 4]], [1.0, 1.0 + one_ulp, -2.5])
    assert np.isfinite(b[2]) and to_float16(np.array([7e4]))[0] == np.inf
    r = np.random.default_rng(0).uniform(-100, 100, 10_000)
    assert np.max(np.abs(to_bfloat16(r) - r) / np.abs(r)) <= 2.0**-8 * (1 + 1e-6)
    assert np.max(np.abs(to_float16(r) - r) / np.abs(r)) <= 2.0**-11 * (1 + 1e-6)
    with pytest.raises(ValueError, match="x"):
        to_bfloat16(np.array([np.nan]))


@pytest.mark.slow
def test_bfloat16_matches_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1).standard_normal(10_000).astype(np.float32) * 1e3
    ref = torch.from_numpy(r).to(torch.bfloat16).to(torch.float32).numpy()
    np.testing.assert_array_equal(to_bfloat16(r), ref)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 10_000), T=st.floats(0.5, 10.0), alpha=st.floats(0.0, 1.0))
def test_distillation_gradient(seed, T, alpha):
    rng = np.random.default_rng(seed)
    z, v = rng.standard_normal((3, 4)) * 2, rng.standard_normal((3, 4)) * 2
    y = rng.integers(0, 4, 3)
    ana = distillation_loss_backward(z, v, y, T, alpha)
    num = numerical_gradient(lambda a: distillation_loss(a, v, y, T, alpha), z.copy())
    np.testing.assert_allclose(ana, num, rtol=1e-5, atol=1e-8)


def test_distillation_values_and_t_squared():
    rng = np.random.default_rng(0)
    z, v, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 3)), np.arange(5) % 3
    assert distillation_loss(z, v, y, 3.0, 0.0) == pytest.approx(cross_entropy(z, y))
    assert distillation_loss(v, v, y, 3.0, 1.0) == pytest.approx(0.0, abs=1e-12)
    z0, v0 = z - z.mean(1, keepdims=True), v - v.mean(1, keepdims=True)
    for T in (20.0, 200.0):   # large T: T (q - p) -> (z - v) / (N T) * T ... = (z-v)/N
        g = distillation_loss_backward(z0, v0, y, T, 1.0) * len(y)
        np.testing.assert_allclose(g, (z0 - v0) / 3, rtol=0.05, atol=2e-3)
    loss = DistillationLoss(T=2.0, alpha=0.5)
    val, grad = loss(z, (y, v))
    assert val == pytest.approx(distillation_loss(z, v, y, 2.0, 0.5))
    assert loss.correct(z, (y, v)) == np.sum(np.argmax(z, 1) == y)


def test_bad_inputs():
    with pytest.raises(ValueError, match="sparsity"):
        magnitude_masks({"W": np.ones((2, 2))}, 1.5)
    with pytest.raises(ValueError, match="scope"):
        magnitude_masks({"W": np.ones((2, 2))}, 0.5, scope="row")
    with pytest.raises(ValueError, match="bits"):
        affine_qparams(np.ones(3), bits=1)
    with pytest.raises(TypeError, match="bits"):
        fake_quantize(np.ones(3), bits=8.0)
    with pytest.raises(ValueError, match="teacher_logits"):
        distillation_loss(np.zeros((2, 3)), np.zeros((2, 4)), np.zeros(2, int))
    with pytest.raises(ValueError, match="T"):
        distillation_loss(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros(2, int), T=0.0)
    with pytest.raises(ValueError, match="mask"):
        apply_masks({"W": np.ones((2, 2))}, {"V": np.ones((2, 2))})
