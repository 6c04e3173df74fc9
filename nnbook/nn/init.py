"""Weight initialization schemes. Derived in :doc:`/book/mlp/initialization`.

Every scheme returns a weight matrix ``W`` of shape ``(fan_in, fan_out)`` for the layer
``Y = X W + b`` (``X``: (batch, fan_in)), drawn from the generator that is passed in.
The schemes differ only in the variance of the entries:

=====================  ===============================
=====================================
scheme                 Var(W_ij)                        reference
=====================  ===============================
=====================================
``xavier_*``           2 / (fan_in + fan_out)           Glorot and Bengio (2010)
``he_*``               2 / fan_in                       He, Zhang, Ren and Sun (2015)
``lecun_normal``       1 / fan_in                       LeCun, Bottou, Orr and Mueller
(1998)
=====================  ===============================
=====================================

A uniform distribution on ``[-a, a]`` has variance ``a^2 / 3``, so the uniform forms use
``a = sqrt(3 Var)``: ``sqrt(6 / (fan_in + fan_out))`` for Xavier and
``sqrt(6 / fan_in)`` for He.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._checks import check_dtype, check_float, check_int, check_positive, check_rng

__all__ = [
    "zeros",
    "constant_init",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "get_initializer",
]

#: The signature every named scheme shares: (fan_in, fan_out, rng, dtype) -> W.
Initializer = Callable[[int, int, np.random.Generator, type], np.ndarray]


def _fans(fan_in: int, fan_out: int) -> tuple[int, int]:
    return check_int(fan_in, "fan_in"), check_int(fan_out, "fan_out")


def _dtype(dtype: type | np.dtype) -> np.dtype:
    return check_dtype(dtype, "dtype")


def zeros(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator | None = None,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """All-zero weights, Var(W_ij) = 0. Every hidden unit then computes the same
    function and
    receives the same gradient, so they never become different (shown in
    :doc:`/book/mlp/initialization`). ``rng`` is accepted for a uniform signature and
    unused.

    Returns ``W``: (fan_in, fan_out).
    """
    fi, fo = _fans(fan_in, fan_out)
    return np.zeros((fi, fo), dtype=_dtype(dtype))


def constant_init(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator | None = None,
    dtype: type | np.dtype = np.float64,
    value: float = 0.1,
) -> np.ndarray:
    """Every weight equal to ``value``, Var(W_ij) = 0: symmetric like :func:`zeros`, so
    the
    hidden units stay identical. (Named ``constant_init`` because
    :func:`nnbook.schedules.constant`
    is the constant learning rate.) Returns ``W``: (fan_in, fan_out)."""
    fi, fo = _fans(fan_in, fan_out)
    value = check_float(value, "value")
    return np.full((fi, fo), value, dtype=_dtype(dtype))


def normal(
    shape: tuple[int, ...],
    std: float,
    rng: np.random.Generator,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """Independent N(0, std^2) entries, Var(W_ij) = std^2, for any ``shape``: the "small
    random numbers" initialization used before variance-preserving schemes (std = 0.01
    is typical)."""
    check_rng(rng)
    std = check_positive(std, "std", strict=False)
    sides = shape if isinstance(shape, (tuple, list)) else (shape,)
    shape = tuple(check_int(s, "shape") for s in sides)
    return (std * rng.standard_normal(shape)).astype(_dtype(dtype), copy=False)


def xavier_uniform(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """Glorot/Xavier uniform: W_ij ~ U[-a, a], a = sqrt(6 / (fan_in + fan_out)), so that
    Var(W_ij) = a^2 / 3 = 2 / (fan_in + fan_out) (Glorot and Bengio, 2010).

    The variance is the compromise between keeping the forward activations (fan_in
    Var = 1) and the backward gradients (fan_out Var = 1) at constant variance. Returns
    ``W``: (fan_in, fan_out).
    """
    check_rng(rng)
    fi, fo = _fans(fan_in, fan_out)
    a = math.sqrt(6.0 / (fi + fo))
    return rng.uniform(-a, a, size=(fi, fo)).astype(_dtype(dtype), copy=False)


def xavier_normal(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """Glorot/Xavier normal: W_ij ~ N(0, 2 / (fan_in + fan_out)). Returns ``W``:
    (fan_in, fan_out)."""
    check_rng(rng)
    fi, fo = _fans(fan_in, fan_out)
    std = math.sqrt(2.0 / (fi + fo))
    return (std * rng.standard_normal((fi, fo))).astype(_dtype(dtype), copy=False)


def he_uniform(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """He/Kaiming uniform: W_ij ~ U[-a, a], a = sqrt(6 / fan_in), so Var(W_ij) = 2 /
    fan_in
    (He et al., 2015). Returns ``W``: (fan_in, fan_out)."""
    check_rng(rng)
    fi, fo = _fans(fan_in, fan_out)
    a = math.sqrt(6.0 / fi)
    return rng.uniform(-a, a, size=(fi, fo)).astype(_dtype(dtype), copy=False)


def he_normal(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """He/Kaiming normal: W_ij ~ N(0, 2 / fan_in) (He et al., 2015).

    A ReLU passes on half of the second moment of a symmetric input,
    E[relu(z)^2] = Var(z) / 2; the factor 2 restores it, so the activations keep their
    scale through a deep ReLU network. Returns ``W``: (fan_in, fan_out).
    """
    check_rng(rng)
    fi, fo = _fans(fan_in, fan_out)
    std = math.sqrt(2.0 / fi)
    return (std * rng.standard_normal((fi, fo))).astype(_dtype(dtype), copy=False)


def lecun_normal(
    fan_in: int,
    fan_out: int,
    rng: np.random.Generator,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """LeCun normal: W_ij ~ N(0, 1 / fan_in), the forward condition alone (LeCun et al.,
    1998); right for tanh-like units near the origin and for SELU. Returns ``W``:
    (fan_in, fan_out)."""
    check_rng(rng)
    fi, fo = _fans(fan_in, fan_out)
    std = math.sqrt(1.0 / fi)
    return (std * rng.standard_normal((fi, fo))).astype(_dtype(dtype), copy=False)


_BY_NAME: dict[str, Initializer] = {
    "zeros": zeros,
    "constant": constant_init,
    "xavier": xavier_uniform,
    "glorot": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "glorot_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot_normal": xavier_normal,
    "he": he_normal,
    "kaiming": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun": lecun_normal,
    "lecun_normal": lecun_normal,
}


def get_initializer(init: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """The scheme called ``init`` ("he", "he_uniform", "xavier", "xavier_normal",
    "lecun",
    "zeros", ...; "xavier" and "glorot" are the uniform form, "he" and "kaiming" the
    normal
    form), or ``init`` itself when it is already a callable ``(fan_in, fan_out, rng,
    dtype) -> W``."""
    if callable(init):
        return init
    key = str(init).lower()
    if key not in _BY_NAME:
        raise ValueError(
            f"init must be one of {sorted(_BY_NAME)} or a callable; got {init!r}"
        )
    return _BY_NAME[key]
