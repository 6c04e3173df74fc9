"""Tests for nnbook.optim.clipping: values, properties (norm bound, direction kept), bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnbook.optim.clipping import clip_by_global_norm, clip_by_value, global_norm
from tests.strategies import arrays


def test_global_norm_closed_form() -> None:
    # sqrt(3^2 + 4^2 + 12^2) = 13
    assert global_norm({"a": np.array([3.0, 4.0]), "b": np.array([[12.0]])}) == pytest.approx(13.0)


def test_clip_by_global_norm_closed_form() -> None:
    g = {"a": np.array([3.0, 4.0]), "b": np.array([[12.0]])}
    clipped, norm = clip_by_global_norm(g, 6.5)
    assert norm == pytest.approx(13.0)
    np.testing.assert_allclose(clipped["a"], [1.5, 2.0])
    np.testing.assert_allclose(clipped["b"], [[6.0]])
    same, _ = clip_by_global_norm(g, 20.0)
    np.testing.assert_array_equal(same["a"], g["a"])
    assert same["a"] is not g["a"]  # the input is never modified or aliased


def test_clip_by_value_closed_form() -> None:
    out = clip_by_value({"W": np.array([-3.0, 0.5, 2.0])}, 1.0)
    np.testing.assert_array_equal(out["W"], [-1.0, 0.5, 1.0])


grad_dicts = st.dictionaries(st.sampled_from(["0.W", "0.b", "2.W", "2.b"]), arrays(lo=-1e3, hi=1e3),
                             min_size=1, max_size=4)


@given(grad_dicts, st.floats(1e-3, 1e3))
def test_global_norm_clipping_bounds_the_norm_and_keeps_the_direction(grads, max_norm) -> None:
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert global_norm(clipped) <= max_norm * (1 + 1e-12) or norm <= max_norm
    assert norm == pytest.approx(global_norm(grads))
    # Same direction: every array is scaled by one common non-negative factor.
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    for k in grads:
        np.testing.assert_allclose(clipped[k], grads[k] * scale, rtol=1e-12, atol=1e-300)


@given(grad_dicts, st.floats(1e-3, 1e3))
def test_clip_by_value_bounds_every_entry(grads, limit) -> None:
    out = clip_by_value(grads, limit)
    for k, g in grads.items():
        assert np.all(np.abs(out[k]) <= limit)
        inside = np.abs(g) <= limit
        np.testing.assert_array_equal(out[k][inside], g[inside])


def test_float32_is_kept() -> None:
    g = {"W": np.ones((3, 3), dtype=np.float32) * 10}
    clipped, _ = clip_by_global_norm(g, 1.0)
    assert clipped["W"].dtype == np.float32
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-6)


def test_non_finite_gradients_raise_and_huge_ones_do_not_overflow() -> None:
    from nnbook._checks import NonFiniteError

    for fn in (global_norm, lambda g: clip_by_global_norm(g, 1.0),
               lambda g: clip_by_value(g, 1.0)):
        with pytest.raises(NonFiniteError, match=r"grads\['W'\] must be finite"):
            fn({"W": np.array([np.nan, 1.0])})
    assert global_norm({"W": np.array([3e200, 4e200])}) == pytest.approx(5e200)
    assert math.isfinite(clip_by_global_norm({"W": np.array([1e300, 1e300])}, 1.0)[1])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="dict of name -> array"):
        global_norm([np.ones(3)])
    with pytest.raises(ValueError, match="must not be empty"):
        global_norm({})
    with pytest.raises(ValueError, match="max_norm must be a finite positive"):
        clip_by_global_norm({"W": np.ones(2)}, 0.0)
    with pytest.raises(ValueError, match="limit must be a finite positive"):
        clip_by_value({"W": np.ones(2)}, -1.0)
