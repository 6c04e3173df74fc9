"""Input validation shared by every module: one place, one style of message.

Every public function of nnbook checks its arguments with these helpers and raises
``ValueError`` naming what was expected and what came, e.g.::

    ValueError: X must be a 2-D array of shape (batch, n_in); got shape (3,)
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = []  # private: nothing is re-exported


def as_float_array(x: Any, name: str, *, ndim: int | tuple[int, ...] | None = None, shape_hint: str = "",
                   finite: bool = True, allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a floating-point array, checking its rank, emptiness and finiteness.

    Integer and boolean input is converted to float64; float32 and float64 are kept as they are.
    """
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise ValueError(f"{name} must be a real floating-point array; got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            hint = f" of shape {shape_hint}" if shape_hint else ""
            raise ValueError(f"{name} must be a {want} array{hint}; got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    if finite and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite; got {bad} NaN or infinite value(s)")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")


def check_labels(y: Any, n: int, n_classes: int | None = None, name: str = "y") -> np.ndarray:
    """Integer class labels of shape (n,), each in ``[0, n_classes)`` when that is given."""
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be a 1-D array of {n} integer labels; got shape {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer class labels; got non-integer values")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer class labels; got dtype {arr.dtype}")
    if n_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(
            f"{name} must hold labels in [0, {n_classes}); got values from {arr.min()} to {arr.max()}"
        )
    return arr


def check_rng(rng: Any) -> np.random.Generator:
    """Randomness is passed in: insist on a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got {type(rng).__name__}"
        )
    return rng


def check_positive(value: float, name: str, *, strict: bool = True) -> float:
    """A positive (or, with ``strict=False``, non-negative) finite number."""
    v = float(value)
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        kind = "positive" if strict else "non-negative"
        raise ValueError(f"{name} must be a finite {kind} number; got {value!r}")
    return v
