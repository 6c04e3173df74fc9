"""Tests for nnbook.practice.parallel that need no second process."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook.practice.parallel import (
    bubble_fraction,
    dense_roofline,
    gpipe_schedule,
    ring_allreduce,
    ring_allreduce_cost,
    shard,
)


@settings(deadline=None, max_examples=25)
@given(p=st.integers(1, 8), n=st.integers(1, 40), seed=st.integers(0, 1000))
def test_ring_allreduce_sums_and_sends_2_p_minus_1_over_p(p, n, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(n) for _ in range(p)]
    out, sent = ring_allreduce(arrays)
    for o in out:
        np.testing.assert_allclose(o, np.sum(arrays, axis=0), rtol=1e-12, atol=1e-12)
    assert sent == 2 * (p - 1) * int(np.ceil(n / p))


def test_ring_allreduce_cost_model():
    assert ring_allreduce_cost(1e6, 1, 1e-6, 1e-9) == 0.0
    assert ring_allreduce_cost(1e6, 4, 0.0, 1e-9) == pytest.approx(1.5e-3)
    # the bandwidth term tends to 2 N beta, independent of p
    assert ring_allreduce_cost(1e6, 1000, 0.0, 1e-9) == pytest.approx(2e-3, rel=1e-2)


def test_shard_covers_the_batch():
    parts = [shard(10, r, 3) for r in range(3)]
    assert [p.stop - p.start for p in parts] == [3, 4, 3]
    assert parts[0].start == 0 and parts[-1].stop == 10
    with pytest.raises(ValueError, match="rank"):
        shard(10, 3, 3)


@pytest.mark.parametrize("S,M", [(1, 1), (4, 1), (4, 8), (3, 5)])
def test_gpipe_schedule_bubble(S, M):
    events = gpipe_schedule(S, M, 1.0, 2.0)
    assert len(events) == 2 * S * M
    makespan = max(e[4] for e in events)
    assert makespan == pytest.approx((M + S - 1) * 3.0)
    busy = sum(e[4] - e[3] for e in events)
    idle = 1 - busy / (S * makespan)
    assert idle == pytest.approx(bubble_fraction(S, M))
    for s in range(S):                      # a stage never runs two things at once
        iv = sorted((e[3], e[4]) for e in events if e[0] == s)
        assert all(a[1] <= b[0] + 1e-12 for a, b in zip(iv, iv[1:]))


def test_dense_roofline():
    intensity, attainable = dense_roofline(1, 1000, 1000, 1e12, 1e11)
    assert intensity == pytest.approx(2e6 / (4 * (1000 + 1e6 + 1000)))
    assert attainable == pytest.approx(intensity * 1e11)
    big = dense_roofline(4096, 4096, 4096, 1e12, 1e11)
    assert big[1] == 1e12                   # compute bound at large batch
    with pytest.raises(TypeError, match="batch"):
        dense_roofline(1.5, 2, 2, 1.0, 1.0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="same shape"):
        ring_allreduce([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="none"):
        ring_allreduce([])
    with pytest.raises(ValueError, match="n_micro"):
        gpipe_schedule(2, 0)
