"""Activation functions and their backward passes (vector-Jacobian products).

Convention: ``f(z)`` acts elementwise (softmax and friends act along ``axis``) and keeps
the shape and floating dtype of ``z``. Its twin ``f_backward(z, grad_out)`` takes the
same input ``z`` and the upstream gradient ``grad_out = dL/df(z)`` (same shape) and
returns ``dL/dz``.

Derived in :doc:`/book/mlp/activation-functions`; sigmoid first appears in
:doc:`/book/mlp/logistic-regression` and softmax in :doc:`/book/mlp/softmax-regression`.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import (
    as_float_array,
    check_float,
    check_int,
    check_same_shape,
    check_type,
)

__all__ = [
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "relu",
    "relu_backward",
    "leaky_relu",
    "leaky_relu_backward",
    "elu",
    "elu_backward",
    "softplus",
    "softplus_backward",
    "silu",
    "silu_backward",
    "swish",
    "swish_backward",
    "gelu",
    "gelu_backward",
    "gelu_tanh",
    "gelu_tanh_backward",
    "logsumexp",
    "softmax",
    "softmax_backward",
    "log_softmax",
    "log_softmax_backward",
]

_SQRT_2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_C = 0.044715


def _z(z: np.ndarray) -> np.ndarray:
    return as_float_array(z, "z", allow_empty=True)


def _zg(z: np.ndarray, grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = _z(z)
    g = as_float_array(grad_out, "grad_out", allow_empty=True)
    check_same_shape(z, g, "z", "grad_out")
    return z, g


# --- sigmoid and tanh
# -------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function sigma(z) = 1 / (1 + exp(-z)), computed without overflow.

    For z < 0 it uses the equal form exp(z) / (1 + exp(z)), so exp never sees a large
    positive argument. Range (0, 1). ``z``: any shape.
    """
    z = _z(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """grad_out * sigma(z) * (1 - sigma(z))."""
    z, g = _zg(z, grad_out)
    s = sigmoid(z)
    return g * s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, (e^z - e^-z) / (e^z + e^-z) = 2 sigma(2z) - 1. Range (-1,
    1)."""
    return np.tanh(_z(z))


def tanh_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """grad_out * (1 - tanh(z)^2)."""
    z, g = _zg(z, grad_out)
    t = np.tanh(z)
    return g * (1.0 - t * t)


# --- the rectifier family
# -----------------------------------------------------------------------


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit max(z, 0)."""
    z = _z(z)
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def relu_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """grad_out * 1[z > 0] (the subgradient 0 is taken at z = 0)."""
    z, g = _zg(z, grad_out)
    return g * (z > 0)


def leaky_relu(z: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """z for z > 0, alpha * z otherwise (Maas et al., 2013)."""
    z = _z(z)
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0)
    return np.where(z > 0, z, alpha * z).astype(z.dtype, copy=False)


def leaky_relu_backward(
    z: np.ndarray, grad_out: np.ndarray, alpha: float = 0.01
) -> np.ndarray:
    """grad_out * (1 if z > 0 else alpha)."""
    z, g = _zg(z, grad_out)
    alpha = check_float(alpha, "alpha", low=0.0, high=1.0)
    return g * np.where(z > 0, 1.0, alpha).astype(z.dtype, copy=False)


def elu(z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: z for z > 0, alpha * (exp(z) - 1) otherwise (Clevert et
    al., 2016)."""
    z = _z(z)
    alpha = check_float(alpha, "alpha", low=0.0)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0))).astype(
        z.dtype, copy=False
    )


def elu_backward(z: np.ndarray, grad_out: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """grad_out * (1 if z > 0 else alpha * exp(z))."""
    z, g = _zg(z, grad_out)
    alpha = check_float(alpha, "alpha", low=0.0)
    return g * np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0))).astype(
        z.dtype, copy=False
    )


def softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(z)), a smooth ReLU, computed as logaddexp(0, z) so it never
    overflows."""
    z = _z(z)
    return np.logaddexp(0, z).astype(z.dtype, copy=False)


def softplus_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """grad_out * sigma(z): the derivative of softplus is the logistic function."""
    z, g = _zg(z, grad_out)
    return g * sigmoid(z)


def silu(z: np.ndarray) -> np.ndarray:
    """Sigmoid-weighted linear unit (Swish with beta = 1): z * sigma(z)."""
    z = _z(z)
    return z * sigmoid(z)


def silu_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """grad_out * (sigma(z) + z sigma(z) (1 - sigma(z)))."""
    z, g = _zg(z, grad_out)
    s = sigmoid(z)
    return g * (s + z * s * (1.0 - s))


def _beta_z(beta: float, z: np.ndarray) -> np.ndarray:
    """beta * z, clipped to +-1000 where sigma has saturated (no overflow to inf)."""
    beta = check_float(beta, "beta")
    with np.errstate(over="ignore"):
        return np.clip(beta * z, -1000.0, 1000.0)


def swish(z: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Swish (Ramachandran et al., 2017): z * sigma(beta z). beta = 1 is the SiLU,
    beta -> inf tends to ReLU, beta = 0 gives the linear z / 2. ``z``: any shape; keeps
    its dtype."""
    z = _z(z)
    return (z * sigmoid(_beta_z(beta, z))).astype(z.dtype, copy=False)


def swish_backward(
    z: np.ndarray, grad_out: np.ndarray, beta: float = 1.0
) -> np.ndarray:
    """grad_out * (sigma(beta z) + beta z sigma(beta z) (1 - sigma(beta z)))."""
    z, g = _zg(z, grad_out)
    u = _beta_z(beta, z)
    s = sigmoid(u)
    return (g * (s + u * s * (1.0 - s))).astype(z.dtype, copy=False)


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # lazily: `import nnbook` stays fast

    return np.asarray(erf(x))


def gelu(z: np.ndarray) -> np.ndarray:
    """Gaussian error linear unit, exact: z * Phi(z) = z/2 * (1 + erf(z / sqrt 2))
    (Hendrycks and Gimpel, 2016)."""
    z = _z(z)
    return (0.5 * z * (1.0 + _erf(z / _SQRT_2))).astype(z.dtype, copy=False)


def gelu_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """grad_out * (Phi(z) + z phi(z)), phi the standard normal density."""
    z, g = _zg(z, grad_out)
    cdf = 0.5 * (1.0 + _erf(z / _SQRT_2))
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return (g * (cdf + z * pdf)).astype(z.dtype, copy=False)


def gelu_tanh(z: np.ndarray) -> np.ndarray:
    """The tanh approximation of GELU: z/2 * (1 + tanh(sqrt(2/pi) (z + 0.044715
    z^3)))."""
    z = _z(z)
    zc = np.clip(z, -10.0, 10.0)  # tanh is exactly +-1 beyond; no overflow in z^3
    return 0.5 * z * (1.0 + np.tanh(_SQRT_2_OVER_PI * zc * (1.0 + _GELU_C * zc * zc)))


def gelu_tanh_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """grad_out * (1/2 (1 + t) + z/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2)), t the
    tanh."""
    z, g = _zg(z, grad_out)
    z = np.clip(z, -10.0, 10.0)  # the derivative is exactly 0 or 1 beyond
    t = np.tanh(_SQRT_2_OVER_PI * z * (1.0 + _GELU_C * z * z))
    return g * (
        0.5 * (1.0 + t)
        + 0.5 * z * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * z * z)
    )


# --- softmax and log-sum-exp
# -----------------------------------------------------------------


def _check_axis_input(z: np.ndarray, axis: int) -> np.ndarray:
    z = as_float_array(z, "z", finite=False)
    axis = check_int(axis, "axis", minimum=None)
    if z.ndim == 0:
        raise ValueError(
            "z must have at least one axis to normalise over; got a scalar"
        )
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis must be in [{-z.ndim}, {z.ndim}); got {axis}")
    return z


def _shifted(z: np.ndarray, axis: int) -> np.ndarray:
    """z - max(z) along axis, in a new array; checks finiteness on the max, which is
    cheap."""
    m = np.max(z, axis=axis, keepdims=True)
    if not np.isfinite(m).all():
        raise ValueError(
            "z must be finite; got NaN or +inf (a row of all -inf has no softmax "
            "either)"
        )
    return z - m


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log sum_j exp(z_j) along ``axis``, computed as m + log sum exp(z - m) with m =
    max z,
    which never overflows (the largest term is exp(0) = 1)."""
    z = _check_axis_input(z, axis)
    check_type(keepdims, bool, "keepdims")
    m = np.max(z, axis=axis, keepdims=True)
    if not np.isfinite(m).all():
        raise ValueError("z must be finite; got NaN or +inf")
    e = z - m
    np.exp(e, out=e)
    out = np.log(np.sum(e, axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(z)_i = exp(z_i - m) / sum_j exp(z_j - m), m = max_j z_j, along ``axis``.

    Subtracting m changes nothing mathematically and keeps every exponent <= 0, so
    logits of any size are safe. ``z``: (..., n_classes) for the default axis; the
    output sums to 1 there.
    """
    z = _check_axis_input(z, axis)
    e = _shifted(z, axis)
    np.exp(e, out=e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def softmax_backward(z: np.ndarray, grad_out: np.ndarray, axis: int = -1) -> np.ndarray:
    """J^T g for the softmax Jacobian J = diag(s) - s s^T: s * (g - <g, s>) along
    ``axis``."""
    z = _check_axis_input(z, axis)
    g = as_float_array(grad_out, "grad_out", allow_empty=True)
    check_same_shape(z, g, "z", "grad_out")
    s = softmax(z, axis)
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(z) = z - logsumexp(z), stable for logits of any size."""
    z = _check_axis_input(z, axis)
    e = _shifted(z, axis)
    e -= np.log(np.sum(np.exp(e), axis=axis, keepdims=True))
    return e


def log_softmax_backward(
    z: np.ndarray, grad_out: np.ndarray, axis: int = -1
) -> np.ndarray:
    """g - softmax(z) * sum(g) along ``axis``."""
    z = _check_axis_input(z, axis)
    g = as_float_array(grad_out, "grad_out", allow_empty=True)
    check_same_shape(z, g, "z", "grad_out")
    return g - softmax(z, axis) * np.sum(g, axis=axis, keepdims=True)
