"""Tests for nnbook.optim.schedules: values at known steps, bounds, periodicity, the range test, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook.optim.schedules as S
from nnbook.optim import SGD, Adam

steps = st.integers(0, 5000)


def test_values_at_known_steps() -> None:
    assert S.constant(0.3)(17) == 0.3
    halve = S.step_decay(0.8, step_size=10)
    assert [halve(t) for t in (0, 9, 10, 19, 20, 35)] == [0.8, 0.8, 0.4, 0.4, 0.2, 0.1]
    assert S.step_decay(1.0, 2, gamma=0.1)(5) == pytest.approx(0.01)
    assert S.exponential_decay(2.0, 0.5)(3) == pytest.approx(0.25)
    cos = S.cosine_annealing(1.0, 100, min_lr=0.1)
    assert cos(0) == pytest.approx(1.0) and cos(50) == pytest.approx(0.55) and cos(100) == pytest.approx(0.1)
    assert cos(1000) == pytest.approx(0.1)
    sgdr = S.cosine_warm_restarts(1.0, period=10, mult=2)
    # cycles start at 0, 10, 30, 70
    assert [sgdr(t) for t in (0, 10, 30, 70)] == pytest.approx([1.0] * 4)
    assert sgdr(5) == pytest.approx(0.5) and sgdr(20) == pytest.approx(0.5) and sgdr(50) == pytest.approx(0.5)
    tri = S.cyclical(0.1, 1.0, step_size=4)
    assert [tri(t) for t in (0, 2, 4, 6, 8)] == pytest.approx([0.1, 0.55, 1.0, 0.55, 0.1])
    tri2 = S.cyclical(0.0, 1.0, step_size=4, mode="triangular2")
    assert [tri2(t) for t in (4, 12, 20)] == pytest.approx([1.0, 0.5, 0.25])
    exp = S.cyclical(0.0, 1.0, step_size=4, mode="exp_range", gamma=0.9)
    assert exp(4) == pytest.approx(0.9 ** 4) and exp(12) == pytest.approx(0.9 ** 12)


def test_one_cycle_shape() -> None:
    sched = S.one_cycle(1.0, total_steps=101, pct_start=0.3, div_factor=25, final_div_factor=1e4)
    lr = sched(np.arange(101))
    assert lr[0] == pytest.approx(1 / 25)
    assert int(np.argmax(lr)) == 30 and lr[30] == pytest.approx(1.0)
    assert lr[100] == pytest.approx(1 / 25 / 1e4)
    assert np.all(np.diff(lr[:31]) > 0) and np.all(np.diff(lr[30:]) < 0)
    assert sched(500) == pytest.approx(1 / 25 / 1e4)
    lin = S.one_cycle(1.0, 101, anneal="linear", div_factor=10)
    assert lin(15) == pytest.approx(0.1 + 0.9 * 0.5)


def test_linear_warmup() -> None:
    base = S.cosine_annealing(1.0, 10)
    warm = S.linear_warmup(base, warmup_steps=4, start_factor=0.2)
    assert [warm(t) for t in range(4)] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert [warm(t) for t in range(4, 15)] == pytest.approx([base(t) for t in range(11)])


def test_array_and_scalar_agree() -> None:
    t = np.arange(0, 300, 7)
    for sched in (S.step_decay(1.0, 5), S.cosine_warm_restarts(1.0, 7, 3), S.one_cycle(1.0, 200),
                  S.cyclical(0.1, 1.0, 9, "triangular2"), S.linear_warmup(S.exponential_decay(1.0, 0.99), 30)):
        arr = sched(t)
        assert isinstance(arr, np.ndarray) and arr.shape == t.shape
        np.testing.assert_allclose(arr, [sched(int(s)) for s in t], rtol=1e-12)
        assert isinstance(sched(3), float)


@given(steps, st.floats(1e-4, 1.0), st.floats(0.0, 1.0), st.integers(1, 300), st.integers(1, 3))
def test_bounds(t, max_lr, frac, period, mult) -> None:
    min_lr = frac * max_lr
    for sched in (S.cosine_annealing(max_lr, period, min_lr), S.cosine_warm_restarts(max_lr, period, mult, min_lr),
                  S.cyclical(min_lr, max_lr, period), S.cyclical(min_lr, max_lr, period, "triangular2"),
                  S.cyclical(min_lr, max_lr, period, "exp_range", 0.999)):
        lr = sched(t)
        assert min_lr - 1e-12 <= lr <= max_lr + 1e-12
    assert 0 < S.one_cycle(max_lr, period + 1)(t) <= max_lr * (1 + 1e-12)


@given(steps, st.integers(1, 200))
def test_periodicity(t, period) -> None:
    assert S.cosine_warm_restarts(1.0, period)(t) == pytest.approx(S.cosine_warm_restarts(1.0, period)(t + period))
    tri = S.cyclical(0.1, 1.0, period)
    assert tri(t) == pytest.approx(tri(t + 2 * period))


@given(st.integers(2, 100), st.integers(2, 4))
def test_sgdr_restarts_where_the_cycles_say(period, mult) -> None:
    sched = S.cosine_warm_restarts(1.0, period, mult)
    starts = [period * (mult ** i - 1) // (mult - 1) for i in range(6)]
    for s in starts:
        assert sched(s) == pytest.approx(1.0)
        if s > 0:
            assert sched(s - 1) < 1.0


def test_monotone_where_they_should_be() -> None:
    t = np.arange(2000)
    for sched in (S.step_decay(1.0, 50), S.exponential_decay(1.0, 0.999), S.cosine_annealing(1.0, 1500)):
        assert np.all(np.diff(sched(t)) <= 0)


def test_smooth_losses_is_a_bias_corrected_average() -> None:
    np.testing.assert_allclose(S.smooth_losses(np.full(10, 3.0)), 3.0)
    s = S.smooth_losses(np.array([1.0, 2.0]), beta=0.5)
    np.testing.assert_allclose(s, [1.0, (0.25 + 1.0) / 0.75])


def test_suggest_lr_finds_the_steepest_descent() -> None:
    lrs = np.logspace(-4, 1, 100)
    x = np.log10(lrs)
    losses = 2.0 - np.tanh(2 * (x + 2)) + np.where(x > -0.5, 20 * (x + 0.5) ** 2, 0.0)
    lr = S.suggest_lr(lrs, losses, beta=0.0)
    assert 10 ** -2.1 < lr < 10 ** -1.9
    assert S.suggest_lr(lrs, losses, beta=0.0, method="minimum") == pytest.approx(lrs[np.argmin(losses)] / 10)
    losses[-5:] = np.nan
    assert S.suggest_lr(lrs, losses, beta=0.0) == lr
    with pytest.raises(ValueError, match="method must be"):
        S.suggest_lr(lrs, losses, method="valley")


def test_lr_range_test_on_a_quadratic() -> None:
    # f(w) = 0.5 * h * w^2 with plain SGD diverges once lr > 2 / h
    h = 4.0
    params = {"w": np.array([1.0, -1.0])}

    def loss_and_grads(i):
        w = params["w"]
        return 0.5 * h * float(w @ w), {"w": h * w}

    lrs, losses = S.lr_range_test(loss_and_grads, SGD(0.1), params, min_lr=1e-4, max_lr=10.0, n_steps=100)
    assert lrs.shape == losses.shape and len(lrs) < 100               # it stopped at divergence
    assert lrs[-1] > 2 / h                                            # and only after the stability limit
    np.testing.assert_allclose(np.diff(np.log(lrs)), math.log(1e5) / 99)
    np.testing.assert_array_equal(params["w"], [1.0, -1.0])           # restored


def test_lr_range_test_stops_on_infinite_gradients() -> None:
    params = {"w": np.ones(2)}
    lrs, losses = S.lr_range_test(lambda i: (1.0, {"w": np.full(2, np.inf if i == 5 else 1.0)}), SGD(0.1),
                                  params, n_steps=50)
    assert len(lrs) == 6 and np.all(params["w"] == 1.0)


def test_lr_range_test_resets_the_optimizer() -> None:
    params = {"w": np.ones(2)}
    opt = Adam(0.1)
    S.lr_range_test(lambda i: (float(params["w"] @ params["w"]), {"w": 2 * params["w"]}), opt, params, n_steps=10)
    assert opt.state == {}


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="lr must be a finite non-negative"):
        S.constant(-1.0)
    with pytest.raises(ValueError, match="step_size must be a positive integer; got 0"):
        S.step_decay(0.1, 0)
    with pytest.raises(ValueError, match="gamma must be in"):
        S.exponential_decay(0.1, 1.5)
    with pytest.raises(ValueError, match="total_steps must be a positive integer"):
        S.cosine_annealing(0.1, 0)
    with pytest.raises(ValueError, match="min_lr must not exceed lr"):
        S.cosine_annealing(0.1, 10, min_lr=0.2)
    with pytest.raises(ValueError, match="period must be a positive integer"):
        S.cosine_warm_restarts(0.1, 0)
    with pytest.raises(ValueError, match="mode must be"):
        S.cyclical(0.1, 1.0, 5, mode="square")
    with pytest.raises(ValueError, match="base_lr must not exceed max_lr"):
        S.cyclical(1.0, 0.1, 5)
    with pytest.raises(ValueError, match="pct_start must be in"):
        S.one_cycle(1.0, 100, pct_start=1.0)
    with pytest.raises(ValueError, match="warmup_steps must be a positive integer"):
        S.linear_warmup(S.constant(0.1), 0)
    with pytest.raises(ValueError, match="schedule must be a callable"):
        S.linear_warmup(0.1, 10)
    with pytest.raises(ValueError, match="step must be non-negative"):
        S.constant(0.1)(-1)
    with pytest.raises(ValueError, match="step must be a non-negative integer"):
        S.constant(0.1)(1.5)
    with pytest.raises(ValueError, match="need 0 < min_lr < max_lr"):
        S.lr_range_test(lambda i: (0.0, {}), SGD(0.1), {}, min_lr=0.0)
    with pytest.raises(ValueError, match="same shape"):
        S.suggest_lr(np.ones(4), np.ones(5))
    with pytest.raises(ValueError, match="at least skip_start"):
        S.suggest_lr(np.array([1e-3, 1e-2, 1e-1]), np.array([1.0, np.nan, np.nan]), skip_start=0)
    with pytest.raises(ValueError, match="skip_start must be a non-negative integer"):
        S.suggest_lr(np.ones(20), np.ones(20), skip_start=-1)
    with pytest.raises(ValueError, match="losses must not be empty"):
        S.smooth_losses(np.array([]))
