"""Data sets the book trains on: generated here, or shipped by a package. Nothing is
downloaded.

* toy problems made from a seeded ``rng``: linearly separable blobs, XOR, two moons,
spirals;
* scikit-learn's 8x8 handwritten digits (1,797 images shipped inside the package);
* MNIST-1D (Greydanus, 2020), *generated* by ``mnist1d.data.make_dataset`` with the
benchmark's
  default arguments (4,000 train / 1,000 test series of length 40), cached on disk after
  the
  first call (``$NNBOOK_DATA_DIR``, default ``~/.cache/nnbook``) because generation
  takes ~1.5 s;
* helpers: one-hot codes, standardisation, a seeded train/validation split and
mini-batches.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    as_float_array,
    check_dtype,
    check_float,
    check_int,
    check_positive,
    check_probability,
    check_rng,
)

__all__ = [
    "make_separable",
    "make_xor",
    "make_moons",
    "make_spirals",
    "load_digits",
    "load_mnist1d",
    "one_hot",
    "standardize",
    "train_val_split",
    "minibatches",
]


def make_separable(
    n: int, rng: np.random.Generator, margin: float = 0.5, dim: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in [-1, 1]^dim labelled +1/-1 by a random hyperplane through the
    origin, with every point at distance at least ``margin`` from it (points closer are
    redrawn).

    Returns ``X``: (n, dim) and ``y``: (n,) in {-1, +1}; the unit normal of the
    separating plane is not returned (it is the first draw from ``rng``).
    """
    check_rng(rng)
    n = check_int(n, "n")
    dim = check_int(dim, "dim")
    margin = check_probability(margin, "margin")
    w = rng.standard_normal(dim)
    w /= np.linalg.norm(w)
    X = np.empty((0, dim))
    while X.shape[0] < n:  # rejection sampling, vectorized per round
        cand = rng.uniform(-1, 1, size=(2 * n, dim))
        X = np.vstack([X, cand[np.abs(cand @ w) >= margin]])
    X = X[:n]
    return X, np.where(X @ w > 0, 1, -1)


def make_xor(
    n: int = 4, rng: np.random.Generator | None = None, noise: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem. With ``n = 4`` and no noise: the corners of the unit square with
    labels x1 XOR x2 in {0, 1}. Otherwise ``n`` corners drawn at random with Gaussian
    ``noise``."""
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    n = check_int(n, "n")
    noise = check_positive(noise, "noise", strict=False)
    if n == 4 and noise == 0.0:
        X = corners.copy()
    else:
        if rng is None:
            raise ValueError("rng is required when n != 4 or noise > 0")
        check_rng(rng)
        X = corners[rng.integers(0, 4, size=n)] + noise * rng.standard_normal((n, 2))
    y = (np.round(X[:, 0]).clip(0, 1) != np.round(X[:, 1]).clip(0, 1)).astype(np.int64)
    if n == 4 and noise == 0.0:
        y = np.array([0, 1, 1, 0])
    return X, y


def make_moons(
    n: int, rng: np.random.Generator, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, ``n`` points in all, labels 0/1, Gaussian
    ``noise``."""
    check_rng(rng)
    n = check_int(n, "n", minimum=2)
    noise = check_positive(noise, "noise", strict=False)
    n0 = n // 2
    t0 = rng.uniform(0, np.pi, n0)
    t1 = rng.uniform(0, np.pi, n - n0)
    X = np.concatenate(
        [np.c_[np.cos(t0), np.sin(t0)], np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]]
    )
    X += noise * rng.standard_normal(X.shape)
    y = np.r_[np.zeros(n0, dtype=np.int64), np.ones(n - n0, dtype=np.int64)]
    perm = rng.permutation(n)
    return X[perm], y[perm]


def make_spirals(
    n: int, rng: np.random.Generator, n_classes: int = 3, noise: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms, ``n`` points in all (as in CS231n's
    classic demo)."""
    check_rng(rng)
    n = check_int(n, "n")
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    noise = check_positive(noise, "noise", strict=False)
    y = np.arange(n) % n_classes
    r = np.linspace(0.0, 1.0, n)[rng.permutation(n)]
    t = y * (2 * np.pi / n_classes) + 4.0 * r + noise * rng.standard_normal(n)
    X = np.c_[r * np.sin(t), r * np.cos(t)]
    return X, y.astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: ``X`` (1797, 64) pixel intensities scaled to
    [0, 1],
    ``y`` (1797,) labels 0-9. Shipped with scikit-learn, no download."""
    from sklearn.datasets import load_digits as _load

    d = _load()
    return d.data.astype(np.float64) / 16.0, d.target.astype(np.int64)


def _data_dir() -> Path:
    return Path(os.environ.get("NNBOOK_DATA_DIR", Path.home() / ".cache" / "nnbook"))


def load_mnist1d(seed: int = 42) -> dict[str, np.ndarray]:
    """The MNIST-1D benchmark, generated offline with the reference arguments.

    Returns a dict with ``x`` (4000, 40), ``y`` (4000,), ``x_test`` (1000, 40),
    ``y_test`` (1000,) and ``t`` (40,), the series' time axis. The published baselines
    (Greydanus, 2020) use exactly this data: logistic regression ~32%, MLP ~68%, CNN
    ~94% test accuracy.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = seed
    key = hashlib.sha256(repr(sorted(vars(args).items())).encode()).hexdigest()[:16]
    path = _data_dir() / f"mnist1d-{key}.npz"
    if path.exists():
        with np.load(path) as f:
            return {k: f[k] for k in f.files}
    raw = make_dataset(args)
    data = {
        "x": np.asarray(raw["x"], dtype=np.float64),
        "y": np.asarray(raw["y"], dtype=np.int64),
        "x_test": np.asarray(raw["x_test"], dtype=np.float64),
        "y_test": np.asarray(raw["y_test"], dtype=np.int64),
        "t": np.asarray(raw["t"], dtype=np.float64),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, allow_pickle=False, **data)
        os.replace(tmp, path)
    except OSError:  # a read-only home is fine: we just regenerate next time
        pass
    return data


def one_hot(y: np.ndarray, n_classes: int, dtype: Any = np.float64) -> np.ndarray:
    """Indicator vectors: integer labels or token ids ``y`` of any shape (...) ->
    (..., n_classes), 1 at each label. ``dtype``: float64 by default (float32 for the
    inputs of a float32 network)."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "iu":
        if (
            arr.dtype.kind == "f"
            and arr.size
            and np.all(np.abs(arr) < 2**53)  # integral floats, exactly representable
            and np.all(arr == np.round(arr))
        ):
            arr = arr.astype(np.int64)
        else:
            raise ArgumentTypeError(
                f"y must hold integer labels; got dtype {arr.dtype}"
            )
    n = check_int(n_classes, "n_classes")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(
            f"y must hold labels in [0, {n}); "
            f"got values from {arr.min()} to {arr.max()}"
        )
    out = np.zeros(arr.shape + (n,), dtype=check_dtype(dtype))
    np.put_along_axis(out, arr[..., None].astype(np.int64), 1, axis=-1)
    return out


def standardize(
    X_train: np.ndarray, *others: np.ndarray, eps: float = 1e-8
) -> tuple[np.ndarray, ...]:
    """Shift and scale every column to mean 0 and standard deviation 1 *using training
    statistics only*, and apply the same map to the other arrays (validation, test)."""
    X_train = as_float_array(X_train, "X_train", ndim=2, shape_hint="(n, d)")
    eps = check_positive(eps, "eps", strict=False)
    big = np.max(np.abs(X_train)) > 1e100  # std would overflow: scale first
    scale = np.max(np.abs(X_train), axis=0) if big else np.ones(X_train.shape[1])
    scale[scale == 0] = 1.0
    Xs = X_train / scale
    mu = Xs.mean(axis=0) * scale
    sd = (Xs.std(axis=0) + eps / scale) * scale
    out = [(X_train - mu) / sd]
    for i, X in enumerate(others):
        X = as_float_array(X, f"others[{i}]", ndim=2, shape_hint="(m, d)")
        if X.shape[1] != X_train.shape[1]:
            raise ValueError(
                f"others[{i}] must have {X_train.shape[1]} columns like X_train; got "
                f"{X.shape[1]}"
            )
        out.append((X - mu) / sd)
    return tuple(out)


def train_val_split(
    X: np.ndarray, y: np.ndarray, val_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into (X_train, y_train, X_val, y_val) with ``val_fraction``
    held out."""
    check_rng(rng)
    X = as_float_array(X, "X", ndim=(1, 2, 3, 4), shape_hint="(n, ...)")
    y = np.asarray(y)
    if y.ndim < 1 or y.dtype.kind not in "biuf":
        raise ValueError(f"y must be an array with one row per example; got {y!r}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y must have the same number of rows; got {X.shape[0]} and "
            f"{y.shape[0]}"
        )
    val_fraction = check_float(
        val_fraction, "val_fraction", low=0.0, high=1.0, low_open=True, high_open=True
    )
    perm = rng.permutation(X.shape[0])
    n_val = max(1, int(round(val_fraction * X.shape[0])))
    val, train = perm[:n_val], perm[n_val:]
    return X[train], y[train], X[val], y[val]


def minibatches(
    n: int, batch_size: int, rng: np.random.Generator | None = None
) -> Iterator[np.ndarray]:
    """Index arrays covering ``range(n)`` in batches of ``batch_size`` (the last may be
    smaller), in a fresh random order when ``rng`` is given (one epoch of mini-batch
    SGD)."""
    n = check_int(n, "n")
    batch_size = check_int(batch_size, "batch_size")
    order = check_rng(rng).permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]
