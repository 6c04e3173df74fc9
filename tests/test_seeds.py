"""Tests for nnbook.train.seeds: mean and standard error by hand, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook import mean_and_se, run_seeds


def test_mean_and_se_by_hand() -> None:
    m, se = mean_and_se([1.0, 2.0, 3.0])
    assert m == 2.0 and se == pytest.approx(1.0 / math.sqrt(3))  # s = 1


@settings(deadline=None, max_examples=30)
@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=10), st.floats(-1e3, 1e3))
def test_se_is_shift_invariant(values, c) -> None:
    _, se = mean_and_se(values)
    _, se_shift = mean_and_se([v + c for v in values])
    assert se_shift == pytest.approx(se, rel=1e-6, abs=1e-6)


def test_run_seeds_collects_dicts_and_numbers() -> None:
    runs = run_seeds(lambda s: {"acc": 0.5 + 0.1 * s, "loss": 1.0 / (s + 1)}, [0, 1, 2])
    np.testing.assert_allclose(runs["acc"], [0.5, 0.6, 0.7])
    assert runs.mean("acc") == pytest.approx(0.6)
    assert runs.text("acc", ".2f") == "0.60 ± 0.06"
    assert run_seeds(lambda s: float(s), [3, 5]).mean("value") == 4.0


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2 seeds"):
        run_seeds(lambda s: 1.0, [1])
    with pytest.raises(TypeError, match="seeds\\[i\\] must be an integer; got float 1.5"):
        run_seeds(lambda s: 1.0, [1, 1.5])
    with pytest.raises(TypeError, match="run must be callable"):
        run_seeds("fit", [1, 2])
    with pytest.raises(ValueError, match="same keys"):
        run_seeds(lambda s: {"a": 1.0} if s else {"b": 1.0}, [0, 1])
    with pytest.raises(ValueError, match="finite"):
        mean_and_se([1.0, float("nan")])
    with pytest.raises(ValueError, match="at least 2 numbers"):
        mean_and_se([1.0])
