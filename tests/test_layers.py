"""Tests for nnbook.nn.layers: values, every backward through check_module, accumulation,
dtypes, bad input, and parity with the Part I scalar autodiff engine."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.nn.activations as A
from nnbook import Residual, Sequential, check_module
from nnbook.nn import layers as Ly
from tests.strategies import matrices

ACTIVATIONS = [
    (Ly.ReLU(), A.relu),
    (Ly.LeakyReLU(0.1), lambda z: A.leaky_relu(z, 0.1)),
    (Ly.Sigmoid(), A.sigmoid),
    (Ly.Tanh(), A.tanh),
    (Ly.ELU(0.7), lambda z: A.elu(z, 0.7)),
    (Ly.GELU(), A.gelu),
    (Ly.SiLU(), A.silu),
    (Ly.Softplus(), A.softplus),
    (Ly.Identity(), lambda z: z),
]
IDS = [type(layer).__name__ for layer, _ in ACTIVATIONS]


def _away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    z = rng.uniform(-3, 3, size=shape)
    return np.where(np.abs(z) < 1e-3, 0.5, z)


def test_dense_closed_form() -> None:
    # A hand-computed 2x2 case: Y = X W + b.
    layer = Ly.Dense(2, 2, np.random.default_rng(0))
    layer.params["W"][...] = [[1.0, 2.0], [3.0, 4.0]]
    layer.params["b"][...] = [0.5, -0.5]
    X = np.array([[1.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(layer(X), [[1.5, 1.5], [4.5, 5.5]])
    dY = np.array([[1.0, 0.0], [0.0, 1.0]])
    dX = layer.backward(dY)
    np.testing.assert_allclose(layer.grads["W"], [[1.0, 1.0], [0.0, 1.0]])  # X^T dY
    np.testing.assert_allclose(layer.grads["b"], [1.0, 1.0])  # column sums of dY
    np.testing.assert_allclose(dX, [[1.0, 3.0], [2.0, 4.0]])  # dY W^T


def test_dense_backward_matches_central_differences(rng) -> None:
    layer = Ly.Dense(4, 3, rng)
    layer.params["b"][...] = rng.standard_normal(3)
    errors = check_module(layer, rng.standard_normal((5, 4)))
    assert set(errors) == {"input0", "W", "b"} and max(errors.values()) < 1e-7


def test_dense_accepts_extra_leading_axes(rng) -> None:
    layer = Ly.Dense(3, 2, rng)
    X = rng.standard_normal((2, 4, 3))
    G = rng.standard_normal((2, 4, 2))
    Y = layer(X)
    assert Y.shape == (2, 4, 2)
    dX = layer.backward(G)
    flat = Ly.Dense(3, 2, rng)
    flat.params["W"][...] = layer.params["W"]
    flat.forward(X.reshape(8, 3))
    np.testing.assert_allclose(dX.reshape(8, 3), flat.backward(G.reshape(8, 2)))
    np.testing.assert_allclose(layer.grads["W"], flat.grads["W"])


@pytest.mark.parametrize("layer, f", ACTIVATIONS, ids=IDS)
def test_activation_layers_match_the_functions_and_central_differences(layer, f, rng) -> None:
    Z = _away_from_kinks(rng, (4, 5))
    np.testing.assert_allclose(layer(Z), f(Z))
    layer.clear_cache()
    assert check_module(layer, Z)["input0"] < 1e-6
    assert layer.params == {} and layer.grads == {}


def test_backward_accumulates_gradients(rng) -> None:
    layer = Ly.Dense(3, 2, rng)
    X = rng.standard_normal((4, 3))
    G = rng.standard_normal((4, 2))
    layer.forward(X)
    layer.backward(G)
    first = layer.grads["W"].copy()
    layer.forward(X)
    layer.backward(G)
    np.testing.assert_allclose(layer.grads["W"], 2 * first)  # added, not overwritten
    layer.zero_grad()
    assert not layer.grads["W"].any() and not layer.grads["b"].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype, rng) -> None:
    layer = Ly.Dense(3, 2, rng, dtype=dtype)
    X = rng.standard_normal((4, 3))  # float64 input is cast to the layer's dtype
    Y = layer(X)
    assert Y.dtype == dtype
    dX = layer.backward(np.ones((4, 2), dtype=np.float64))
    assert dX.dtype == dtype and layer.grads["W"].dtype == dtype and layer.grads["b"].dtype == dtype
    for act_layer in (Ly.ReLU(), Ly.Tanh(), Ly.Sigmoid(), Ly.GELU()):
        out = act_layer(Y)
        assert out.dtype == dtype
        assert act_layer.backward(np.ones_like(out)).dtype == dtype


@pytest.mark.parametrize("init", ["he", "he_uniform", "xavier", "xavier_normal", "lecun", "zeros"])
def test_dense_uses_initializers_by_name(init, rng) -> None:
    layer = Ly.Dense(50, 40, rng, init=init)
    assert layer.params["W"].shape == (50, 40)
    assert np.all(layer.params["b"] == 0)


def test_dense_accepts_a_callable_initializer(rng) -> None:
    layer = Ly.Dense(3, 2, rng, init=lambda fi, fo, r, dt: np.ones((fi, fo), dtype=dt))
    assert np.all(layer.params["W"] == 1)
    with pytest.raises(ValueError, match="shape"):
        Ly.Dense(3, 2, rng, init=lambda fi, fo, r, dt: np.ones((fo, fi)))


@given(matrices(max_rows=6, max_cols=5, lo=-5, hi=5), st.integers(1, 4))
def test_dense_is_affine(X, n_out) -> None:
    # Linearity of the backward map: dX for dY1 + dY2 is the sum of the two.
    layer = Ly.Dense(X.shape[1], n_out, np.random.default_rng(1))
    Y = layer(X)
    np.testing.assert_allclose(Y, X @ layer.params["W"] + layer.params["b"])
    g1 = np.ones_like(Y)
    g2 = np.arange(Y.size, dtype=np.float64).reshape(Y.shape)
    layer(X)
    layer(X)
    both = layer.backward(g1 + g2)
    layer(X)
    np.testing.assert_allclose(both, layer.backward(g1) + layer.backward(g2), atol=1e-9)


def test_bad_input(rng) -> None:
    layer = Ly.Dense(3, 2, rng)
    with pytest.raises(ValueError, match=r"no forward pass left to consume"):
        layer.backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"X must have shape \(batch, 3\).*got shape \(4, 5\)"):
        layer(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"got shape \(3,\)"):
        layer(np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        layer(np.array([[1.0, np.nan, 0.0]]))
    with pytest.raises(ValueError, match="empty"):
        layer(np.ones((0, 3)))
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"dY must have the shape of Dense's output \(4, 2\)"):
        layer.backward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"n_in must be a positive integer; got 0"):
        Ly.Dense(0, 2, rng)
    with pytest.raises(TypeError, match=r"n_out must be a positive integer; got float 2.5"):
        Ly.Dense(3, 2.5, rng)
    with pytest.raises(TypeError, match=r"n_in must be a positive integer; got float nan"):
        Ly.Dense(float("nan"), 2, rng)
    with pytest.raises(ValueError, match="Generator"):
        Ly.Dense(3, 2, 0)
    with pytest.raises(ValueError, match="init must be one of"):
        Ly.Dense(3, 2, rng, init="magic")
    with pytest.raises(ValueError, match="no forward pass left"):
        Ly.ReLU().backward(np.ones(3))
    with pytest.raises(ValueError, match="finite"):
        Ly.Tanh()(np.array([np.inf]))


# --- parity with the scalar autodiff engine of Part I -------------------------------------------


def _value_class():
    autodiff = pytest.importorskip("nnbook.foundations.autodiff")
    Value = getattr(autodiff, "Value", None)
    if Value is None:
        pytest.skip("nnbook.foundations.autodiff has no Value yet")
    return Value


def test_dense_relu_cross_entropy_matches_scalar_autodiff(rng) -> None:
    """The same tiny network, once with matrices and once with scalar Values: equal gradients."""
    Value = _value_class()
    from nnbook import Sequential
    from nnbook.nn.losses import cross_entropy, cross_entropy_backward

    model = Sequential([Ly.Dense(3, 4, rng), Ly.ReLU(), Ly.Dense(4, 2, rng)])
    for p in model.parameters().values():
        p[...] = rng.standard_normal(p.shape)
    X = rng.standard_normal((2, 3))
    y = np.array([0, 1])
    Z = model(X)
    model.backward(cross_entropy_backward(Z, y))
    grads = model.gradients()

    P = {k: np.vectorize(lambda v: Value(float(v)), otypes=[object])(p) for k, p in model.parameters().items()}
    total = Value(0.0)
    for i in range(X.shape[0]):  # a scalar graph: loops are the point here
        h = []
        for j in range(4):
            s = P["0.b"][j]
            for k in range(3):
                s = s + P["0.W"][k, j] * float(X[i, k])
            h.append(s.relu())
        z = []
        for j in range(2):
            s = P["2.b"][j]
            for k in range(4):
                s = s + P["2.W"][k, j] * h[k]
            z.append(s)
        m = max(float(v.data) for v in z)
        lse = sum(((v - m).exp() for v in z), Value(0.0)).log() + m
        total = total + (lse - z[int(y[i])]) * (1.0 / X.shape[0])
    total.backward()
    np.testing.assert_allclose(total.data, cross_entropy(Z, y), rtol=1e-12)
    for k, arr in P.items():
        np.testing.assert_allclose(np.vectorize(lambda v: v.grad)(arr).astype(float), grads[k], rtol=1e-9, atol=1e-12)


# --- residual blocks --------------------------------------------------------------------------


def test_residual_forward_backward_and_gradients(rng) -> None:
    block = Residual([Ly.Dense(4, 4, rng), Ly.Tanh(), Ly.Dense(4, 4, rng)])
    for p in block.parameters().values():
        p[...] = rng.standard_normal(p.shape)
    X = rng.standard_normal((5, 4))
    inner = X
    for layer in block.layers:
        inner = layer(inner)
    np.testing.assert_allclose(block(X), X + inner)
    block.clear_cache()
    errors = check_module(block, X)
    assert list(errors) == ["input0", "0.W", "0.b", "2.W", "2.b"]
    assert block.parameters()["0.W"] is block.layers[0].params["W"]


def test_residual_identity_path_and_modes(rng) -> None:
    # A block whose output is zero (zero weights) is the identity, and so is its backward pass.
    block = Residual([Ly.Dense(3, 3, rng, init="zeros"), Ly.ReLU()])
    X = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(block(X), X)
    G = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(block.backward(G), G)
    block.eval()
    assert not any(layer.training for layer in block.layers)
    assert block.n_params == 12


def test_residual_bad_input(rng) -> None:
    with pytest.raises(ValueError, match="at least one Module"):
        Residual([])
    block = Residual([Ly.Dense(3, 2, rng)])
    with pytest.raises(ValueError, match=r"keep the shape of its input \(4, 3\)"):
        block(np.ones((4, 3)))
    with pytest.raises(ValueError, match="no forward pass left"):
        Residual([Ly.ReLU()]).backward(np.ones((1, 2)))


def test_dense_backward_can_skip_the_input_gradient(rng) -> None:
    from nnbook.nn.layers import Dense

    layer = Dense(4, 3, rng)
    X = rng.normal(size=(5, 4))
    dY = rng.normal(size=(5, 3))
    layer.forward(X)
    full = layer.backward(dY)
    gW, gb = layer.grads["W"].copy(), layer.grads["b"].copy()
    layer.zero_grad()
    layer.forward(X)
    assert layer.backward(dY, input_grad=False) is None
    np.testing.assert_array_equal(layer.grads["W"], gW)
    np.testing.assert_array_equal(layer.grads["b"], gb)
    assert full.shape == X.shape


@pytest.mark.parametrize("make", [lambda r: Ly.ReLU(), lambda r: Ly.Dense(4, 4, r),
                                  lambda r: Residual([Ly.Dense(4, 4, r), Ly.Tanh()]),
                                  lambda r: Sequential([Ly.Dense(4, 4, r), Ly.ReLU()])])
def test_every_module_can_skip_the_input_gradient(make, rng) -> None:
    module = make(rng)
    module(rng.standard_normal((3, 4)))
    assert module.backward(rng.standard_normal((3, 4)), input_grad=False) is None
