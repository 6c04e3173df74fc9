"""Input validation shared by every module: one place, one style of message.

Every public callable checks its arguments with these helpers. A wrong *type* raises
:class:`ArgumentTypeError` (a ``TypeError``), a wrong *value* a ``ValueError``; the
message names the argument, what was expected and what came::

    ValueError: X must be a 2-D array of shape (batch, n_in); got shape (3,)
    TypeError: epochs must be an integer; got float 2.5

A value that is not finite raises :class:`NonFiniteError` (a ``ValueError``), so the
training loop can tell a diverged run from a bad argument by the error's type, never by
its text.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__: list[str] = []  # private: nothing is re-exported


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type. A ``TypeError``; also a ``ValueError``, as
    ``numpy.exceptions.AxisError`` is both, so code written when nnbook raised only
    ``ValueError`` keeps working."""


class NonFiniteError(ValueError):
    """An array or number that must be finite holds NaN or infinity."""


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_type(value: Any, types: type | tuple[type, ...], name: str) -> Any:
    """Raise :class:`ArgumentTypeError` unless ``isinstance(value, types)``."""
    if types is bool or types == (bool,):
        ok = isinstance(value, (bool, np.bool_))
    else:
        ok = isinstance(value, types)
    if not ok:
        want = (
            types.__name__
            if isinstance(types, type)
            else " or ".join(t.__name__ for t in types)
        )
        raise ArgumentTypeError(f"{name} must be {want}; got {_describe(value)}")
    return value


def check_int(
    value: Any, name: str, *, minimum: int | None = 1, maximum: int | None = None
) -> int:
    """An integer (Python or NumPy, not bool, not a float) in [minimum, maximum]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        kind = "a positive integer" if minimum == 1 else "an integer"
        raise ArgumentTypeError(f"{name} must be {kind}; got {_describe(value)}")
    v = int(value)
    if minimum is not None and v < minimum:
        want = {1: "a positive integer", 0: "a non-negative integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(f"{name} must be {want}; got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}; got {v}")
    return v


def check_float(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number (not bool, not a string) within the given bounds."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a real number; got {_describe(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise NonFiniteError(f"{name} must be a finite number; got {value!r}")
    too_low = low is not None and (v <= low if low_open else v < low)
    too_high = high is not None and (v >= high if high_open else v > high)
    if low is not None and high is not None and (too_low or too_high):
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    if too_low:
        raise ValueError(
            f"{name} must be {'>' if low_open else '>='} {low}; got {value!r}"
        )
    if too_high:
        raise ValueError(
            f"{name} must be {'<' if high_open else '<='} {high}; got {value!r}"
        )
    return v


def check_positive(value: Any, name: str, *, strict: bool = True) -> float:
    """A positive (or, with ``strict=False``, non-negative) finite number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(f"{name} must be a real number; got {_describe(value)}")
    v = float(value)
    if not math.isfinite(v) or (v <= 0 if strict else v < 0):
        kind = "positive" if strict else "non-negative"
        error = ValueError if math.isfinite(v) else NonFiniteError
        raise error(f"{name} must be a finite {kind} number; got {value!r}")
    return v


def check_probability(value: Any, name: str, *, include_one: bool = False) -> float:
    """A number in [0, 1) (or [0, 1] with ``include_one``)."""
    v = check_float(value, name)
    if not (0.0 <= v < 1.0 or (include_one and v == 1.0)):
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return v


def check_choice(value: Any, choices: tuple[Any, ...], name: str) -> Any:
    """One of a few allowed strings (or values), e.g. ``mode in ("min", "max")``."""
    if not isinstance(value, (str, bool, int, float, type(None))):
        raise ArgumentTypeError(
            f"{name} must be one of {choices}; got {_describe(value)}"
        )
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_callable(value: Any, name: str) -> Any:
    """A callable (a function, a module, a loss ...)."""
    if not callable(value):
        raise ArgumentTypeError(f"{name} must be callable; got {_describe(value)}")
    return value


def as_float_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape_hint: str = "",
    finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``x`` as a floating-point array, checking its rank, emptiness and
    finiteness.

    Integer and boolean input is converted to float64; float32 and float64 are kept.
    """
    if x is None or isinstance(x, (str, bytes, dict, set)):
        raise ArgumentTypeError(
            f"{name} must be an array of numbers; got {_describe(x)}"
        )
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array; got {err}") from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise ArgumentTypeError(
            f"{name} must be a real floating-point array; got dtype {arr.dtype}"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            hint = f" of shape {shape_hint}" if shape_hint else ""
            raise ValueError(
                f"{name} must be a {want} array{hint}; got shape {arr.shape}"
            )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    # One reduction instead of an elementwise temporary; the count only on failure.
    if finite and not math.isfinite(float(arr.sum(dtype=np.float64))):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise NonFiniteError(
                f"{name} must be finite; got {bad} NaN or infinite value(s)"
            )
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and "
            f"{b.shape}"
        )


def check_labels(
    y: Any, n: int, n_classes: int | None = None, name: str = "y"
) -> np.ndarray:
    """Integer class labels of shape (n,), each in ``[0, n_classes)`` when that is
    given."""
    if y is None or isinstance(y, (str, bytes, dict, set)):
        raise ArgumentTypeError(
            f"{name} must be an array of integer labels; got {_describe(y)}"
        )
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"{name} must be a 1-D array of {n} integer labels; got shape {arr.shape}"
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(
                f"{name} must hold integer class labels; got non-integer values"
            )
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise ArgumentTypeError(
            f"{name} must hold integer class labels; got dtype {arr.dtype}"
        )
    if n_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(
            f"{name} must hold labels in [0, {n_classes}); "
            f"got values from {arr.min()} to {arr.max()}"
        )
    return arr


def check_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """A floating-point NumPy dtype (np.float32, np.float64, "float32", ...)."""
    if dtype is None or isinstance(dtype, (bool, int, float, np.ndarray)):
        raise ArgumentTypeError(
            f"{name} must be a floating-point dtype such as np.float32 or np.float64; "
            f"got {_describe(dtype)}"
        )
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(
            f"{name} must be a floating-point dtype such as np.float32 or np.float64; "
            f"got {_describe(dtype)}"
        ) from None
    if dt.kind != "f":
        raise ValueError(
            f"{name} must be a floating-point dtype such as np.float32 or np.float64; "
            f"got {dt}"
        )
    return dt


def check_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """Randomness is passed in: insist on a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise ArgumentTypeError(
            f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)); "
            f"got {_describe(rng)}"
        )
    return rng
