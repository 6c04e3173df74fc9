"""Learning-rate schedules: functions of the step, ``lr = schedule(step)``.

Each factory checks its arguments and returns a schedule: a callable that takes the step
``t = 0, 1, 2, ...`` (an int, or an integer array for plotting) and returns the learning
rate (a float, or an array of the shape of ``t``). A training loop sets
``optimizer.lr = schedule(t)`` before step ``t``. The module also holds the
learning-rate range test.

Derived in :doc:`/book/training/schedules`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    as_float_array,
    check_callable,
    check_choice,
    check_float,
    check_int,
    check_positive,
    check_probability,
    check_type,
)

__all__ = [
    "constant",
    "step_decay",
    "exponential_decay",
    "cosine_annealing",
    "cosine_warm_restarts",
    "cyclical",
    "one_cycle",
    "linear_warmup",
    "lr_range_test",
    "smooth_losses",
    "suggest_lr",
]

Schedule = Callable[[Any], Any]
"""A learning-rate schedule: step ``t`` (int or integer array, >= 0) -> rate (float
or array)."""


def _steps(t: Any) -> np.ndarray:
    if t is None or isinstance(t, (str, bytes, bool)):
        raise ArgumentTypeError(
            f"step must be a non-negative integer (or an array of them); got {t!r}"
        )
    arr = np.asarray(t)
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind == "f"
        and np.all(np.isfinite(arr))
        and np.all(arr == np.floor(arr))
    ):
        raise ValueError(
            f"step must be a non-negative integer (or an array of them); got {t!r}"
        )
    if np.any(arr < 0):
        raise ValueError(f"step must be non-negative; got {t!r}")
    return arr.astype(np.float64)


def _out(t: Any, lr: np.ndarray) -> Any:
    return float(lr) if np.ndim(t) == 0 else np.asarray(lr, dtype=np.float64)


def _check_int(value: Any, name: str, minimum: int = 1) -> int:
    return check_int(value, name, minimum=minimum)


def _check_factor(value: float, name: str) -> float:
    return check_float(value, name, low=0.0, high=1.0, low_open=True)


def _named(fn: Callable[[Any], Any], text: str) -> Schedule:
    fn.__name__ = fn.__qualname__ = text
    return fn


def constant(lr: float) -> Schedule:
    """The same rate at every step: lr_t = lr. Derived in
    :doc:`/book/training/schedules`."""
    lr = check_positive(lr, "lr", strict=False)

    def schedule(t: Any) -> Any:
        return _out(t, np.full(np.shape(_steps(t)), lr))

    return _named(schedule, f"constant(lr={lr})")


def step_decay(lr: float, step_size: int, gamma: float = 0.5) -> Schedule:
    """Piecewise constant decay: lr_t = lr * gamma ** floor(t / step_size).

    The default ``gamma = 0.5`` halves the rate every ``step_size`` steps.
    Derived in :doc:`/book/training/schedules`.
    """
    lr = check_positive(lr, "lr", strict=False)
    step_size = _check_int(step_size, "step_size")
    gamma = _check_factor(gamma, "gamma")

    def schedule(t: Any) -> Any:
        return _out(t, lr * gamma ** np.floor(_steps(t) / step_size))

    return _named(
        schedule, f"step_decay(lr={lr}, step_size={step_size}, gamma={gamma})"
    )


def exponential_decay(lr: float, gamma: float) -> Schedule:
    """Smooth geometric decay: lr_t = lr * gamma ** t (``gamma`` in (0, 1]).

    The rate halves every log(1/2) / log(gamma) steps. Derived in
    :doc:`/book/training/schedules`.
    """
    lr = check_positive(lr, "lr", strict=False)
    gamma = _check_factor(gamma, "gamma")

    def schedule(t: Any) -> Any:
        return _out(t, lr * gamma ** _steps(t))

    return _named(schedule, f"exponential_decay(lr={lr}, gamma={gamma})")


def _check_range(
    max_lr: float, min_lr: float, max_name: str = "lr", min_name: str = "min_lr"
) -> tuple[float, float]:
    max_lr = check_positive(max_lr, max_name, strict=False)
    min_lr = check_positive(min_lr, min_name, strict=False)
    if min_lr > max_lr:
        raise ValueError(
            f"{min_name} must not exceed {max_name}; got {min_name}={min_lr} > "
            f"{max_name}={max_lr}"
        )
    return max_lr, min_lr


def cosine_annealing(lr: float, total_steps: int, min_lr: float = 0.0) -> Schedule:
    """Half a cosine from ``lr`` down to ``min_lr`` over ``total_steps`` (Loshchilov and
    Hutter 2017).

    lr_t = min_lr + (lr - min_lr) (1 + cos(pi t / T)) / 2 for t <= T, and min_lr after.
    Derived in :doc:`/book/training/schedules`.
    """
    lr, min_lr = _check_range(lr, min_lr)
    T = _check_int(total_steps, "total_steps")

    def schedule(t: Any) -> Any:
        s = np.minimum(_steps(t), T)
        return _out(t, min_lr + 0.5 * (lr - min_lr) * (1.0 + np.cos(np.pi * s / T)))

    return _named(
        schedule, f"cosine_annealing(lr={lr}, total_steps={T}, min_lr={min_lr})"
    )


def cosine_warm_restarts(
    lr: float, period: int, mult: int = 1, min_lr: float = 0.0
) -> Schedule:
    """SGDR (Loshchilov and Hutter 2017): cosine annealing restarted at the end of each
    cycle.

    Cycle i lasts T_i = period * mult**i steps and starts at S_i = period
    (mult**i - 1)/(mult - 1) (S_i = i * period when mult = 1). Within it, with
    t_cur = t - S_i, lr_t = min_lr + (lr - min_lr) (1 + cos(pi t_cur / T_i)) / 2.
    Derived in :doc:`/book/training/schedules`.
    """
    lr, min_lr = _check_range(lr, min_lr)
    period = _check_int(period, "period")
    mult = _check_int(mult, "mult")

    def schedule(t: Any) -> Any:
        s = _steps(t)
        if mult == 1:
            t_cur, T_i = np.mod(s, period), np.full_like(s, period)
        else:
            i = np.floor(np.log1p(s * (mult - 1) / period) / math.log(mult))
            start = period * (mult**i - 1) / (mult - 1)
            # guard against log rounding at the cycle boundaries
            i = np.where(start > s, i - 1, i)
            i = np.where(period * (mult ** (i + 1) - 1) / (mult - 1) <= s, i + 1, i)
            start = period * (mult**i - 1) / (mult - 1)
            t_cur, T_i = s - start, period * mult**i
        return _out(
            t, min_lr + 0.5 * (lr - min_lr) * (1.0 + np.cos(np.pi * t_cur / T_i))
        )

    return _named(
        schedule,
        f"cosine_warm_restarts(lr={lr}, period={period}, mult={mult}, min_lr={min_lr})",
    )


def cyclical(
    base_lr: float,
    max_lr: float,
    step_size: int,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> Schedule:
    """Cyclical learning rates (Smith 2017): a triangle wave between ``base_lr`` and
    ``max_lr``.

    With cycle = floor(1 + t / (2 step_size)) and x = |t / step_size - 2 cycle + 1|::

        lr_t = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale

    where scale = 1 (``"triangular"``), 1 / 2**(cycle - 1) (``"triangular2"``, the
    amplitude halves each cycle) or gamma**t (``"exp_range"``). A cycle lasts
    2 * step_size steps. Derived in :doc:`/book/training/schedules`.
    """
    max_lr, base_lr = _check_range(max_lr, base_lr, "max_lr", "base_lr")
    step_size = _check_int(step_size, "step_size")
    check_choice(mode, ("triangular", "triangular2", "exp_range"), "mode")
    gamma = _check_factor(gamma, "gamma")

    def schedule(t: Any) -> Any:
        s = _steps(t)
        cycle = np.floor(1.0 + s / (2 * step_size))
        x = np.abs(s / step_size - 2.0 * cycle + 1.0)
        scale: float | np.ndarray
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 0.5 ** (cycle - 1.0)
        else:
            scale = gamma**s
        return _out(t, base_lr + (max_lr - base_lr) * np.maximum(0.0, 1.0 - x) * scale)

    return _named(
        schedule,
        f"cyclical(base_lr={base_lr}, max_lr={max_lr}, step_size={step_size}, "
        f"mode={mode!r})",
    )


def one_cycle(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal: str = "cos",
) -> Schedule:
    """The 1cycle policy (Smith and Topin 2019): one warm-up to ``max_lr``, one long
    descent.

    The rate rises from max_lr / div_factor to max_lr over the first W = round(pct_start
    * (T - 1))
    steps, then falls to max_lr / (div_factor * final_div_factor) at step T - 1 and
    stays there.
    Both phases follow half a cosine (``anneal="cos"``, as in fastai and PyTorch) or a
    straight
    line (``anneal="linear"``, as in the paper). Derived in
    :doc:`/book/training/schedules`.
    """
    max_lr = check_positive(max_lr, "max_lr", strict=False)
    T = _check_int(total_steps, "total_steps", 2)
    pct_start = check_float(
        pct_start, "pct_start", low=0.0, high=1.0, low_open=True, high_open=True
    )
    div_factor = check_positive(div_factor, "div_factor")
    final_div_factor = check_positive(final_div_factor, "final_div_factor")
    check_choice(anneal, ("cos", "linear"), "anneal")
    lr0 = max_lr / div_factor
    lr_end = lr0 / final_div_factor
    W = max(1, round(pct_start * (T - 1)))
    D = max(1, T - 1 - W)

    def _interp(a: float, b: float, frac: np.ndarray) -> np.ndarray:
        if anneal == "cos":
            return b + 0.5 * (a - b) * (1.0 + np.cos(np.pi * frac))
        return a + (b - a) * frac

    def schedule(t: Any) -> Any:
        s = _steps(t)
        up = _interp(lr0, max_lr, np.clip(s / W, 0.0, 1.0))
        down = _interp(max_lr, lr_end, np.clip((s - W) / D, 0.0, 1.0))
        return _out(t, np.where(s <= W, up, down))

    return _named(
        schedule, f"one_cycle(max_lr={max_lr}, total_steps={T}, pct_start={pct_start})"
    )


def linear_warmup(
    schedule: Schedule, warmup_steps: int, start_factor: float = 0.1
) -> Schedule:
    """Linear warm-up (Goyal et al. 2017) in front of another schedule.

    For t < W: lr_t = schedule(0) * (start_factor + (1 - start_factor) t / W), a ramp
    from start_factor * schedule(0) towards schedule(0); for t >= W:
    lr_t = schedule(t - W), so the wrapped schedule starts its own clock when the
    warm-up ends. Derived in :doc:`/book/training/schedules`.
    """
    if not callable(schedule):
        raise ValueError(
            f"schedule must be a callable step -> lr; got {type(schedule).__name__}"
        )
    W = _check_int(warmup_steps, "warmup_steps")
    start_factor = _check_factor(start_factor, "start_factor")
    lr0 = float(schedule(0))

    def warm(t: Any) -> Any:
        s = _steps(t)
        ramp = lr0 * (start_factor + (1.0 - start_factor) * np.minimum(s, W) / W)
        after = np.asarray(
            schedule(np.maximum(s - W, 0).astype(np.int64)), dtype=np.float64
        )
        return _out(t, np.where(s < W, ramp, after))

    return _named(
        warm,
        f"linear_warmup({getattr(schedule, '__name__', 'schedule')}, warmup_steps={W})",
    )


# --- the learning-rate range test
# -------------------------------------------------------------


def lr_range_test(
    loss_and_grads: Callable[[int], tuple[float, dict[str, np.ndarray]]],
    optimizer: Any,
    params: dict[str, np.ndarray],
    *,
    min_lr: float = 1e-5,
    max_lr: float = 10.0,
    n_steps: int = 200,
    diverge_factor: float = 4.0,
    restore: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The learning-rate range test (Smith 2017): train while the rate grows
    exponentially.

    At step i = 0, ..., n_steps - 1 the rate is lr_i = min_lr * (max_lr / min_lr) ** (i
    / (n_steps - 1));
    ``loss_and_grads(i)`` returns the loss and the gradients (dict like ``params``) on
    batch i
    at the current ``params``, then ``optimizer`` steps with lr_i. The test stops early
    when the
    loss or a gradient is not finite, or the smoothed loss exceeds ``diverge_factor``
    times its
    lowest value so far.
    With ``restore=True`` the parameters are put back and the optimizer reset
    afterwards.

    Returns ``(lrs, losses)``, two arrays of the same length (<= n_steps).
    Derived in :doc:`/book/training/schedules`.
    """
    check_callable(loss_and_grads, "loss_and_grads")
    for method in ("step", "reset"):
        check_callable(getattr(optimizer, method, None), f"optimizer.{method}")
    check_type(params, dict, "params")
    for key, value in params.items():
        as_float_array(value, f"params[{key!r}]")
    check_type(restore, bool, "restore")
    max_lr, min_lr = _check_range(max_lr, min_lr, "max_lr", "min_lr")
    if min_lr <= 0 or min_lr == max_lr:
        raise ValueError(
            f"need 0 < min_lr < max_lr for an exponential sweep; got {min_lr} and "
            f"{max_lr}"
        )
    n_steps = _check_int(n_steps, "n_steps", 2)
    diverge_factor = check_positive(diverge_factor, "diverge_factor")
    saved = {k: v.copy() for k, v in params.items()} if restore else None
    lrs_all = min_lr * (max_lr / min_lr) ** (np.arange(n_steps) / (n_steps - 1))
    lrs: list[float] = []
    losses: list[float] = []
    avg, best = 0.0, math.inf
    try:
        for i, lr in enumerate(lrs_all):
            loss, grads = loss_and_grads(i)
            loss = float(loss)
            lrs.append(float(lr))
            losses.append(loss)
            if not math.isfinite(loss):
                break
            avg = 0.9 * avg + 0.1 * loss
            smoothed = avg / (1.0 - 0.9 ** (i + 1))
            best = min(best, smoothed)
            if smoothed > diverge_factor * best:
                break
            if not all(np.isfinite(np.sum(g)) for g in grads.values()):
                break  # gradients overflowed: diverged as well
            optimizer.lr = float(lr)
            optimizer.step(params, grads)
    finally:  # checked above, so this cannot raise and mask a step's error
        if saved is not None:
            for k, v in saved.items():
                params[k][...] = v
            optimizer.reset()
    return np.array(lrs), np.array(losses)


def smooth_losses(losses: np.ndarray, beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average: a_i = beta a_{i-1} + (1 - beta) L_i,
    a_i / (1 - beta**(i+1)).

    ``losses``: (n,) -> (n,). The same correction as Adam's first moment.
    Derived in :doc:`/book/training/schedules`.
    """
    L = as_float_array(losses, "losses", ndim=1, shape_hint="(n,)")
    beta = check_probability(beta, "beta")
    out = np.empty(L.shape, dtype=np.float64)
    avg = 0.0
    for i, x in enumerate(L):  # a recursion over steps, not a hot path
        avg = beta * avg + (1.0 - beta) * x
        out[i] = avg / (1.0 - beta ** (i + 1))
    return out


def suggest_lr(
    lrs: np.ndarray,
    losses: np.ndarray,
    beta: float = 0.9,
    skip_start: int = 10,
    method: str = "steepest",
) -> float:
    """A learning rate read off a range test: the steepest descent, or a tenth of the
    minimum.

    The losses are smoothed with :func:`smooth_losses`; the first ``skip_start`` points
    (where the average still rests on a few noisy batches) and everything after the
    smoothed minimum (where the loss climbs) are ignored. ``method="steepest"`` returns
    the rate where the smoothed loss falls fastest (most negative d loss / d log lr);
    ``method="minimum"`` returns a tenth of the rate at the smoothed minimum, a safe
    distance below the point of divergence. ``lrs``, ``losses``: (n,) with increasing
    positive rates; a non-finite tail (a diverged run) is dropped. Returns a rate from
    ``lrs``. Derived in :doc:`/book/training/schedules`.
    """
    lrs = as_float_array(lrs, "lrs", ndim=1, shape_hint="(n,)")
    L = as_float_array(losses, "losses", ndim=1, shape_hint="(n,)", finite=False)
    if lrs.shape != L.shape:
        raise ValueError(
            f"lrs and losses must have the same shape; got {lrs.shape} and {L.shape}"
        )
    skip_start = _check_int(skip_start, "skip_start", 0)
    check_choice(method, ("steepest", "minimum"), "method")
    finite = np.isfinite(L)
    n = int(np.argmin(finite)) if not finite.all() else L.size  # drop the diverged tail
    if n < skip_start + 3:
        raise ValueError(
            f"need at least skip_start + 3 = {skip_start + 3} finite losses to "
            f"suggest a rate; got {n}"
        )
    lrs, L = lrs[:n], L[:n]
    if np.any(lrs <= 0) or np.any(np.diff(lrs) <= 0):
        raise ValueError("lrs must be positive and increasing")
    s = smooth_losses(L, beta)
    i_min = int(np.argmin(s[skip_start:])) + skip_start
    if method == "minimum":
        return float(lrs[i_min] / 10.0)
    stop = max(i_min, skip_start + 2) + 1
    slope = np.gradient(s[skip_start:stop], np.log(lrs[skip_start:stop]))
    return float(lrs[skip_start + int(np.argmin(slope))])
