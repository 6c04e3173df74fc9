"""Hypothesis strategies shared by the test files."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def floats(lo: float = -50.0, hi: float = 50.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)


def arrays(shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
           lo: float = -50.0, hi: float = 50.0) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays with finite entries in [lo, hi]."""
    if shape is None:
        shape = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=6)
    return hnp.arrays(np.float64, shape, elements=floats(lo, hi))


def matrices(max_rows: int = 8, max_cols: int = 6, lo: float = -50.0, hi: float = 50.0) -> st.SearchStrategy[np.ndarray]:
    """float64 matrices (rows >= 1, cols >= 1)."""
    shape = st.tuples(st.integers(1, max_rows), st.integers(1, max_cols))
    return arrays(shape, lo, hi)


@st.composite
def logits_and_labels(draw: st.DrawFn, max_batch: int = 8, max_classes: int = 6,
                      scale: float = 50.0) -> tuple[np.ndarray, np.ndarray]:
    """A (batch, n_classes) matrix of logits and matching integer labels."""
    n = draw(st.integers(1, max_batch))
    k = draw(st.integers(2, max_classes))
    z = draw(arrays((n, k), -scale, scale))
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
    return z, y
