"""Tests for nnbook.nn.conv: convolution against a naive loop, gradient checks over
stride/padding/dilation/groups, the transposed convolution as the adjoint, shift
equivariance, the output-size formula and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbook.nn.conv as C
from nnbook import check_module


def naive_conv2d(X: np.ndarray, W: np.ndarray, b: np.ndarray, s: int, p: int, d: int,
                 g: int) -> np.ndarray:
    """The definition, one output entry at a time."""
    N, _, H, Wd = X.shape
    O, Cg, KH, KW = W.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))
    OH = (H + 2 * p - d * (KH - 1) - 1) // s + 1
    OW = (Wd + 2 * p - d * (KW - 1) - 1) // s + 1
    Y = np.zeros((N, O, OH, OW))
    Og = O // g
    for n in range(N):
        for o in range(O):
            c0 = (o // Og) * Cg
            for i in range(OH):
                for j in range(OW):
                    patch = Xp[n, c0:c0 + Cg, i * s:i * s + d * (KH - 1) + 1:d,
                               j * s:j * s + d * (KW - 1) + 1:d]
                    Y[n, o, i, j] = np.sum(patch * W[o]) + b[o]
    return Y


conv_configs = st.tuples(
    st.integers(1, 3),   # stride
    st.integers(0, 2),   # padding
    st.integers(1, 2),   # dilation
    st.sampled_from([1, 2]),   # groups
    st.integers(1, 3),   # KH
    st.integers(1, 3),   # KW
)


def test_hand_computed_1d() -> None:
    # x = (1, 2, 3, 4), w = (1, 0, -1): y_i = x_i - x_{i+2} = (-2, -2); bias 0.5
    X = np.array([[[[1.0, 2.0, 3.0, 4.0]]]])
    W = np.array([[[[1.0, 0.0, -1.0]]]])
    Y, _ = C.conv2d(X, W, np.array([0.5]))
    np.testing.assert_allclose(Y[0, 0, 0], [-1.5, -1.5])


@given(cfg=conv_configs, seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_conv2d_equals_naive_loop(cfg: tuple[int, ...], seed: int) -> None:
    s, p, d, g, KH, KW = cfg
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, 4, 6, 7))
    W = rng.standard_normal((6, 4 // g, KH, KW))
    b = rng.standard_normal(6)
    Y, _ = C.conv2d(X, W, b, s, p, d, g)
    np.testing.assert_allclose(Y, naive_conv2d(X, W, b, s, p, d, g), atol=1e-12)


@given(cfg=conv_configs, seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_conv2d_gradients(cfg: tuple[int, ...], seed: int) -> None:
    s, p, d, g, KH, KW = cfg
    rng = np.random.default_rng(seed)
    layer = C.Conv2d(4, 4, (KH, KW), rng, stride=s, padding=p, dilation=d, groups=g)
    layer.params["b"][:] = rng.standard_normal(4)
    check_module(layer, rng.standard_normal((2, 4, 6, 5)))


@given(s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2),
       g=st.sampled_from([1, 3]), seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_conv1d_gradients(s: int, p: int, d: int, g: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    layer = C.Conv1d(3, 6, 3, rng, stride=s, padding=p, dilation=d, groups=g)
    check_module(layer, rng.standard_normal((2, 3, 9)))


@given(s=st.integers(1, 3), p=st.integers(0, 1), d=st.integers(1, 2),
       g=st.sampled_from([1, 2]), seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_conv_transpose_gradients(s: int, p: int, d: int, g: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    layer = C.ConvTranspose2d(4, 2, 3, rng, stride=s, padding=p, dilation=d, groups=g,
                              output_padding=s - 1)
    check_module(layer, rng.standard_normal((2, 4, 3, 4)))


@given(s=st.integers(1, 2), p=st.integers(0, 1), d=st.integers(1, 2),
       seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_depthwise_path_equals_naive_and_gradients(s: int, p: int, d: int,
                                                   seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, 3, 7, 6))
    W = rng.standard_normal((3, 1, 3, 2))
    b = rng.standard_normal(3)
    Y, cache = C.conv2d(X, W, b, s, p, d, groups=3)
    assert cache["depthwise"]
    np.testing.assert_allclose(Y, naive_conv2d(X, W, b, s, p, d, 3), atol=1e-12)
    check_module(C.DepthwiseConv2d(3, (3, 2), rng, stride=s, padding=p, dilation=d), X)


def test_depthwise_and_no_bias_gradients(rng: np.random.Generator) -> None:
    check_module(C.DepthwiseConv2d(3, 3, rng, padding=1, depth_multiplier=2),
                 rng.standard_normal((2, 3, 5, 5)))
    check_module(C.Conv2d(2, 3, 1, rng, bias=False), rng.standard_normal((2, 2, 4, 4)))


def test_spatial_batchnorm_gradients(rng: np.random.Generator) -> None:
    check_module(C.SpatialBatchNorm(3), rng.standard_normal((4, 3, 5)))
    bn = C.SpatialBatchNorm(2)
    Y = bn(rng.standard_normal((8, 2, 4, 4)) * 3 + 1)
    np.testing.assert_allclose(Y.mean(axis=(0, 2, 3)), 0, atol=1e-12)


@given(s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2),
       g=st.sampled_from([1, 2]), seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_transpose_is_adjoint(s: int, p: int, d: int, g: int, seed: int) -> None:
    # <conv(Z, W), X> = <Z, convT(X, W)> for every Z and X
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((4, 6 // g, 3, 3))      # conv: 6 -> 4 channels
    Z = rng.standard_normal((2, 6, 9, 8))
    Y, _ = C.conv2d(Z, W, None, s, p, d, g)
    X = rng.standard_normal(Y.shape)
    op = tuple((n + 2 * p - d * 2 - 1) % s for n in (9, 8))
    T, _ = C.conv_transpose2d(X, W, None, s, p, op, d, g)
    assert T.shape == Z.shape
    assert np.isclose(np.sum(Y * X), np.sum(Z * T), rtol=1e-10)


@given(shift=st.integers(1, 5), seed=st.integers(0, 10_000))
@settings(deadline=None, max_examples=15)
def test_shift_equivariance(shift: int, seed: int) -> None:
    # shifting the input shifts the output (away from the border)
    rng = np.random.default_rng(seed)
    X = np.zeros((1, 2, 1, 30))
    X[..., 8:16] = rng.standard_normal((1, 2, 1, 8))
    W = rng.standard_normal((3, 2, 1, 4))
    Y, _ = C.conv2d(X, W)
    Ys, _ = C.conv2d(np.roll(X, shift, axis=-1), W)
    np.testing.assert_allclose(Ys, np.roll(Y, shift, axis=-1), atol=1e-12)


@given(size=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4),
       p=st.integers(0, 3), d=st.integers(1, 3))
@settings(deadline=None, max_examples=50)
def test_output_size_formula(size: int, k: int, s: int, p: int, d: int) -> None:
    span = d * (k - 1) + 1
    if span > size + 2 * p:
        with pytest.raises(ValueError, match="larger than the padded input"):
            C.conv_output_size(size, k, s, p, d)
        return
    out = C.conv_output_size(size, k, s, p, d)
    # the number of window starts t = 0, s, 2s, ... with t + span <= size + 2p
    assert out == len(range(0, size + 2 * p - span + 1, s))
    if d == 1:
        assert out == (size - k + 2 * p) // s + 1
    X = np.ones((1, 1, 1, size))
    Y, _ = C.conv2d(X, np.ones((1, 1, 1, k)), None, (1, s), (0, p), (1, d))
    assert Y.shape[-1] == out


def test_chunked_equals_unchunked(rng: np.random.Generator,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    X = rng.standard_normal((5, 3, 6, 6))
    layer = C.Conv2d(3, 4, 3, rng, padding=1)
    dY = rng.standard_normal((5, 4, 6, 6))
    Y1 = layer(X)
    dX1 = layer.backward(dY)
    g1 = layer.grads["W"].copy()
    layer.zero_grad()
    monkeypatch.setattr(C, "COLS_BYTES_LIMIT", 3 * 9 * 36 * 8 * 2)  # two samples a chunk
    Y2 = layer(X)
    dX2 = layer.backward(dY)
    np.testing.assert_allclose(Y1, Y2)
    np.testing.assert_allclose(dX1, dX2)
    np.testing.assert_allclose(g1, layer.grads["W"])


def test_float32_stays_float32(rng: np.random.Generator) -> None:
    layer = C.Conv2d(2, 3, 3, rng, dtype=np.float32)
    Y = layer(rng.standard_normal((2, 2, 5, 5)))
    assert Y.dtype == np.float32
    assert layer.backward(np.ones_like(Y)).dtype == np.float32


def test_im2col_col2im_adjoint(rng: np.random.Generator) -> None:
    Xp = rng.standard_normal((2, 3, 7, 6))
    cols = C.im2col(Xp, (3, 2), (2, 1), (1, 2))
    R = rng.standard_normal(cols.shape)
    back = C.col2im(R, Xp.shape, (3, 2), (2, 1), (1, 2))
    assert np.isclose(np.sum(cols * R), np.sum(Xp * back))


def test_bad_inputs(rng: np.random.Generator) -> None:
    layer = C.Conv2d(3, 4, 5, rng)
    with pytest.raises(ValueError, match="3 channels"):
        layer(np.zeros((2, 2, 8, 8)))
    with pytest.raises(ValueError, match="4-D"):
        layer(np.zeros((2, 3, 8)))
    with pytest.raises(ValueError, match="larger than the padded input"):
        layer(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="divisible by groups"):
        C.Conv2d(3, 4, 3, rng, groups=2)
    with pytest.raises(TypeError, match="kernel_size"):
        C.Conv2d(3, 4, 2.5, rng)
    with pytest.raises(ValueError, match="W must have shape"):
        C.conv2d(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match="dY must have the shape"):
        layer(np.zeros((1, 3, 8, 8)))
        layer.backward(np.zeros((1, 4, 3, 3)))
    with pytest.raises(ValueError, match="finite"):
        layer(np.full((1, 3, 8, 8), np.nan))
    with pytest.raises(ValueError, match="output_padding"):
        C.conv_transpose_output_size(4, 3, stride=2, output_padding=2)


def test_pytorch_parity(rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    X = rng.standard_normal((2, 4, 9, 8))
    layer = C.Conv2d(4, 6, 3, rng, stride=2, padding=1, dilation=2, groups=2)
    layer.params["b"][:] = rng.standard_normal(6)
    Y = layer(X)
    dY = rng.standard_normal(Y.shape)
    dX = layer.backward(dY)
    Xt = torch.tensor(X, requires_grad=True)
    Wt = torch.tensor(layer.params["W"], requires_grad=True)
    Yt = torch.nn.functional.conv2d(Xt, Wt, torch.tensor(layer.params["b"]), stride=2,
                                    padding=1, dilation=2, groups=2)
    Yt.backward(torch.tensor(dY))
    np.testing.assert_allclose(Y, Yt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(layer.grads["W"], Wt.grad.numpy(), atol=1e-10)
    T = C.ConvTranspose2d(4, 6, 3, rng, stride=2, padding=1, output_padding=1, groups=2)
    Tt = torch.nn.functional.conv_transpose2d(
        torch.tensor(X), torch.tensor(T.params["W"]), stride=2, padding=1,
        output_padding=1, groups=2)
    np.testing.assert_allclose(T(X), Tt.numpy(), atol=1e-10)
