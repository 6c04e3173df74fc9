"""Data augmentation for 1-D series such as MNIST-1D: noise, shifts and time stretches.

Every function has the signature ``f(X, rng, ...) -> X_new`` with ``X``: (batch,
length), draws
one independent transformation per row from ``rng``, keeps the shape and the floating
dtype of
``X``, and is vectorized over the batch (fancy indexing, no loop over examples).
:func:`compose`
chains several into the ``augment(X_batch, rng)`` hook of :func:`nnbook.model.fit`,
e.g.::

    augment = compose(partial(random_shift, max_shift=5), partial(add_noise, std=0.05))

Used in :doc:`/book/training/regularization` and
:doc:`/book/training/putting-it-together`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._checks import as_float_array, check_choice, check_int, check_positive, check_rng

__all__ = ["add_noise", "random_shift", "random_scale", "compose"]

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _series(X: np.ndarray) -> np.ndarray:
    return as_float_array(X, "X", ndim=2, shape_hint="(batch, length)")


def add_noise(X: np.ndarray, rng: np.random.Generator, std: float = 0.1) -> np.ndarray:
    """X + std * eps with eps ~ N(0, 1) drawn independently for every entry.

    ``X``: (batch, length) -> (batch, length), same dtype; ``std`` >= 0.
    """
    X = _series(X)
    check_rng(rng)
    std = check_positive(std, "std", strict=False)
    return (X + std * rng.standard_normal(X.shape)).astype(X.dtype, copy=False)


def random_shift(
    X: np.ndarray, rng: np.random.Generator, max_shift: int = 5, mode: str = "circular"
) -> np.ndarray:
    """Shift every row in time by its own integer s ~ Uniform{-max_shift, ...,
    max_shift}:
    Y[i, t] = X[i, t - s_i].

    ``mode="circular"`` wraps the series around (index taken modulo the length);
    ``mode="zeros"`` fills the vacated positions with 0. One gather with an index array
    of
    shape (batch, length), no loop. ``X``: (batch, length) -> (batch, length), same
    dtype.
    """
    X = _series(X)
    check_rng(rng)
    max_shift = check_int(max_shift, "max_shift", minimum=0)
    check_choice(mode, ("circular", "zeros"), "mode")
    n, length = X.shape
    s = rng.integers(-int(max_shift), int(max_shift) + 1, size=(n, 1))
    src = np.arange(length)[None, :] - s  # (batch, length): Y[i, t] = X[i, src]
    if mode == "circular":
        return np.take_along_axis(X, src % length, axis=1)
    inside = (src >= 0) & (src < length)
    Y = np.take_along_axis(X, np.clip(src, 0, length - 1), axis=1)
    return np.where(inside, Y, 0).astype(X.dtype, copy=False)


def random_scale(
    X: np.ndarray, rng: np.random.Generator, max_stretch: float = 0.1
) -> np.ndarray:
    """Stretch every row along the time axis about its centre by a factor a_i ~ U(1 - m,
    1 + m), m = ``max_stretch``, by linear interpolation:

    Y[i, t] = X[i, u] at u = c + (t - c) / a_i,  c = (length - 1) / 2,

    with X at a fractional u interpolated between its neighbours floor(u) and
    floor(u) + 1, and u clamped to [0, length - 1] (the edge values are repeated). a > 1
    widens the pattern, a < 1 narrows it. ``X``: (batch, length) -> (batch, length),
    same dtype; 0 <= ``max_stretch`` < 1.
    """
    X = _series(X)
    check_rng(rng)
    m = check_positive(max_stretch, "max_stretch", strict=False)
    if m >= 1.0:
        raise ValueError(f"max_stretch must be in [0, 1); got {max_stretch!r}")
    n, length = X.shape
    a = rng.uniform(1.0 - m, 1.0 + m, size=(n, 1))
    c = (length - 1) / 2.0
    u = np.clip(
        c + (np.arange(length)[None, :] - c) / a, 0.0, length - 1
    )  # (batch, length)
    i0 = (
        np.minimum(np.floor(u).astype(np.int64), length - 2)
        if length > 1
        else np.zeros_like(u, dtype=np.int64)
    )
    w = u - i0  # weight of the right neighbour
    left = np.take_along_axis(X, i0, axis=1)
    right = np.take_along_axis(X, np.minimum(i0 + 1, length - 1), axis=1)
    return ((1.0 - w) * left + w * right).astype(X.dtype, copy=False)


def compose(*fns: Augment) -> Augment:
    """Chain augmentations: compose(f, g)(X, rng) = g(f(X, rng), rng).

    Each ``fn`` takes ``(X, rng)`` (bind other arguments with
    :func:`functools.partial`). The result is the ``augment(X_batch, rng) -> X_batch``
    hook of :func:`nnbook.model.fit`.
    """
    if not fns:
        raise ValueError("compose needs at least one augmentation function; got none")
    for i, f in enumerate(fns):
        if not callable(f):
            raise ValueError(
                f"fns[{i}] must be a callable f(X, rng); got {type(f).__name__}"
            )

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for f in fns:
            X = f(X, rng)
        return X

    return augment
