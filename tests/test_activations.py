"""Tests for nnbook.nn.activations: values, gradients, properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.nn.activations as A
from nnbook.gradcheck import check_vjp
from tests.strategies import arrays, matrices

ELEMENTWISE = [
    (A.sigmoid, A.sigmoid_backward),
    (A.tanh, A.tanh_backward),
    (A.relu, A.relu_backward),
    (A.leaky_relu, A.leaky_relu_backward),
    (A.elu, A.elu_backward),
    (A.softplus, A.softplus_backward),
    (A.silu, A.silu_backward),
    (A.gelu, A.gelu_backward),
    (A.gelu_tanh, A.gelu_tanh_backward),
]
ALONG_AXIS = [(A.softmax, A.softmax_backward), (A.log_softmax, A.log_softmax_backward)]
IDS = [f.__name__ for f, _ in ELEMENTWISE]


def _away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    z = rng.uniform(-4, 4, size=shape)
    return np.where(np.abs(z) < 1e-3, 0.5, z)  # relu-type kinks at 0 have no derivative


@pytest.mark.parametrize("f, f_backward", ELEMENTWISE, ids=IDS)
def test_elementwise_backward_matches_central_differences(f, f_backward, rng) -> None:
    z = _away_from_kinks(rng, (5, 4))
    err = check_vjp(f, f_backward, z, rng)
    assert err < 1e-6


@pytest.mark.parametrize("f, f_backward", ALONG_AXIS, ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_family_backward_matches_central_differences(f, f_backward, axis, rng) -> None:
    z = rng.normal(0, 3, size=(4, 5))
    check_vjp(lambda x: f(x, axis=axis), lambda x, g: f_backward(x, g, axis=axis), z, rng)


def test_closed_form_values() -> None:
    z = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(A.sigmoid(z), [1 / (1 + math.e), 0.5, 1 / (1 + math.exp(-2))], rtol=1e-15)
    np.testing.assert_allclose(A.relu(z), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(A.leaky_relu(z, 0.1), [-0.1, 0.0, 2.0])
    np.testing.assert_allclose(A.elu(z), [math.exp(-1) - 1, 0.0, 2.0])
    np.testing.assert_allclose(A.softplus(z), np.log1p(np.exp(z)), rtol=1e-15)
    np.testing.assert_allclose(A.gelu(np.array([0.0, 1.0])), [0.0, 0.5 * (1 + math.erf(1 / math.sqrt(2)))])
    # A hand-computed softmax: exp(0), exp(log 3) over their sum -> (1/4, 3/4).
    np.testing.assert_allclose(A.softmax(np.array([[0.0, math.log(3.0)]])), [[0.25, 0.75]], rtol=1e-15)
    np.testing.assert_allclose(A.logsumexp(np.array([0.0, math.log(3.0)])), math.log(4.0), rtol=1e-15)


def test_extreme_logits_are_stable() -> None:
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    s = A.softmax(z)
    assert np.isfinite(s).all()
    np.testing.assert_allclose(s[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(s[1], [1 / 3] * 3)
    np.testing.assert_allclose(A.log_softmax(z)[0], [0.0, -1e4, -2e4])
    assert A.sigmoid(np.array([-1e4]))[0] == 0.0 and A.sigmoid(np.array([1e4]))[0] == 1.0
    assert np.isfinite(A.softplus(np.array([1e4, -1e4]))).all()


def test_gelu_tanh_approximation_error_is_small() -> None:
    z = np.linspace(-6, 6, 2001)
    assert np.max(np.abs(A.gelu(z) - A.gelu_tanh(z))) < 5e-4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f", [f for f, _ in ELEMENTWISE] + [A.softmax, A.log_softmax], ids=lambda f: f.__name__)
def test_dtype_is_preserved(f, dtype) -> None:
    z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    assert f(z).dtype == dtype


@given(matrices(lo=-300, hi=300))
def test_softmax_rows_are_distributions(z: np.ndarray) -> None:
    s = A.softmax(z)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-12)


@given(matrices(), arrays((1,), -20, 20))
def test_softmax_is_shift_invariant(z: np.ndarray, c: np.ndarray) -> None:
    np.testing.assert_allclose(A.softmax(z + c[0]), A.softmax(z), atol=1e-12)


@given(arrays(lo=-500, hi=500))
def test_sigmoid_symmetry(z: np.ndarray) -> None:
    np.testing.assert_allclose(A.sigmoid(-z), 1.0 - A.sigmoid(z), atol=1e-15)


@given(arrays(lo=-30, hi=30))
def test_tanh_is_a_rescaled_sigmoid(z: np.ndarray) -> None:
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-14)


@given(matrices(lo=-100, hi=100))
def test_log_softmax_is_log_of_softmax(z: np.ndarray) -> None:
    np.testing.assert_allclose(np.exp(A.log_softmax(z)), A.softmax(z), atol=1e-12)


@given(arrays())
def test_relu_family_ordering(z: np.ndarray) -> None:
    assert np.all(A.relu(z) >= 0)
    assert np.all(A.softplus(z) >= A.relu(z))
    assert np.all(A.elu(z) >= -1.0)


@pytest.mark.parametrize("f", [f for f, _ in ELEMENTWISE] + [A.softmax, A.log_softmax, A.logsumexp],
                         ids=lambda f: f.__name__)
def test_nan_is_rejected(f) -> None:
    with pytest.raises(ValueError, match="finite"):
        f(np.array([[0.0, np.nan]]))


@pytest.mark.parametrize("f, f_backward", ELEMENTWISE + ALONG_AXIS, ids=IDS + ["softmax", "log_softmax"])
def test_backward_rejects_mismatched_shapes(f, f_backward) -> None:
    with pytest.raises(ValueError, match=r"same shape.*\(2, 3\).*\(3, 2\)"):
        f_backward(np.zeros((2, 3)), np.zeros((3, 2)))


def test_bad_input_messages() -> None:
    with pytest.raises(ValueError, match="floating-point.*got dtype <U1"):
        A.relu(np.array(["a"]))
    with pytest.raises(ValueError, match="axis must be in"):
        A.softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(ValueError, match="scalar"):
        A.softmax(np.float64(1.0))


@given(st.floats(-20, 20))
def test_sigmoid_derivative_identity(x: float) -> None:
    z = np.array([x])
    s = A.sigmoid(z)
    np.testing.assert_allclose(A.sigmoid_backward(z, np.ones(1)), s * (1 - s))


# --- added with the activation-functions chapter ------------------------------------------------

MONOTONE = [A.sigmoid, A.tanh, A.softplus, A.relu, A.leaky_relu, A.elu]


def test_swish_backward_matches_central_differences(rng) -> None:
    z = rng.uniform(-4, 4, size=(4, 3))
    for beta in (0.5, 1.0, 1.7):
        err = check_vjp(lambda x: A.swish(x, beta), lambda x, g: A.swish_backward(x, g, beta), z, rng)
        assert err < 1e-6


@given(arrays(lo=-40, hi=40))
def test_swish_family_limits(z: np.ndarray) -> None:
    np.testing.assert_allclose(A.swish(z), A.silu(z), rtol=1e-15)       # beta = 1 is the SiLU
    np.testing.assert_allclose(A.swish(z, 0.0), z / 2, rtol=1e-15)      # beta = 0 is linear
    np.testing.assert_allclose(A.swish(z, 1e4), A.relu(z), atol=1e-3)   # large beta tends to ReLU


@pytest.mark.parametrize("f", MONOTONE, ids=lambda f: f.__name__)
@given(arrays((12,), lo=-30, hi=30))
def test_monotone_activations_preserve_order(f, z: np.ndarray) -> None:
    out = f(np.sort(z))
    assert np.all(np.diff(out) >= -1e-15)


@given(arrays(lo=-30, hi=30))
def test_gelu_and_silu_lie_between_zero_and_identity(z: np.ndarray) -> None:
    lo, hi = np.minimum(z, 0), np.maximum(z, 0)
    for f in (A.gelu, A.silu, A.gelu_tanh):
        y = f(z)
        assert np.all(y >= lo - 1e-12) and np.all(y <= hi + 1e-12)
    assert np.all(A.gelu(z) >= -0.170) and np.all(A.silu(z) >= -0.279)   # the global minima


def test_non_monotone_minima_by_hand() -> None:
    z = np.linspace(-3, 0, 30001)
    # SiLU's minimum solves 1 + z (1 - sigma(z)) = 0, at z ~ -1.2785 with value ~ -0.2785
    i = np.argmin(A.silu(z))
    assert abs(z[i] + 1.2785) < 1e-3 and abs(A.silu(z)[i] + 0.2785) < 1e-4
    # GELU's minimum solves Phi(z) + z phi(z) = 0, at z ~ -0.7518 with value ~ -0.1700
    i = np.argmin(A.gelu(z))
    assert abs(z[i] + 0.7518) < 1e-3 and abs(A.gelu(z)[i] + 0.1700) < 1e-4


@given(arrays(lo=-20, hi=20))
def test_derivative_identities(z: np.ndarray) -> None:
    one = np.ones_like(z)
    t = A.tanh(z)
    np.testing.assert_allclose(A.tanh_backward(z, one), 1 - t * t, atol=1e-15)
    np.testing.assert_allclose(A.softplus_backward(z, one), A.sigmoid(z), atol=1e-15)
    neg = z <= 0
    np.testing.assert_allclose(A.elu_backward(z, one)[neg], A.elu(z)[neg] + 1.0, atol=1e-15)
    assert np.all(A.sigmoid_backward(z, one) <= 0.25)


def test_gelu_tanh_matches_slope_of_phi_at_zero() -> None:
    # sqrt(2/pi) makes the tanh approximation's slope at 0 equal to Phi's: both derivatives are 1/2
    assert A.gelu_backward(np.array([0.0]), np.ones(1))[0] == pytest.approx(0.5)
    assert A.gelu_tanh_backward(np.array([0.0]), np.ones(1))[0] == pytest.approx(0.5)
    h = 1e-4
    slope_phi = (A.gelu(np.array([h]))[0] / h - A.gelu(np.array([-h]))[0] / -h) / (2 * h)
    slope_tanh = (A.gelu_tanh(np.array([h]))[0] / h - A.gelu_tanh(np.array([-h]))[0] / -h) / (2 * h)
    assert slope_phi == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-6)
    assert slope_tanh == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f, f_backward", ELEMENTWISE + [(A.swish, A.swish_backward)],
                         ids=IDS + ["swish"])
def test_backward_dtype_is_preserved(f, f_backward, dtype) -> None:
    z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    assert f_backward(z, np.ones_like(z)).dtype == dtype


def test_empty_input_passes_through() -> None:
    for f, _ in ELEMENTWISE:
        assert f(np.zeros((0, 3))).shape == (0, 3)
