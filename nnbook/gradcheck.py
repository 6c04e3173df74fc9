"""Gradient checking by central differences.

Every backward pass in nnbook is derived by hand; this module is how the book and the
tests know the derivations are right. For a scalar function f the central difference

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2h)

has error O(h^2) by Taylor's theorem, against O(h) for the one-sided difference. In
float64 with h = 1e-6 the relative error of a correct gradient is around 1e-9 to 1e-7.
Derived in :doc:`/book/foundations/mathematics`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._checks import (
    ArgumentTypeError,
    as_float_array,
    check_callable,
    check_float,
    check_positive,
    check_rng,
    check_type,
)

__all__ = [
    "numerical_gradient",
    "numerical_vjp",
    "relative_error",
    "check_gradient",
    "check_vjp",
    "check_module",
]


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x`` (any shape).

    ``x`` is perturbed in place one entry at a time and restored, so ``f`` may close
    over it. Costs ``2 * x.size`` evaluations of ``f``: a tool for checking, never for
    training.

    Returns an array of the shape of ``x``.
    """
    check_callable(f, "f")
    eps = check_float(eps, "eps", low=0.0, high=0.1, low_open=True)
    if not isinstance(x, np.ndarray):
        raise ArgumentTypeError(f"x must be a float64 numpy array; got {type(x)}")
    if x.dtype != np.float64:
        raise ValueError(
            f"x must be float64 for a meaningful gradient check; got dtype {x.dtype}"
        )
    if not np.isfinite(x).all():
        raise ValueError("x must be finite; got NaN or infinite values")
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that it can be perturbed in place")
    for i in range(flat.size):  # one coordinate at a time: this is the definition
        old = flat[i]
        flat[i] = old + eps
        f_plus = float(f(x))
        flat[i] = old - eps
        f_minus = float(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def numerical_vjp(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    grad_out: np.ndarray,
    eps: float = 1e-6,
) -> np.ndarray:
    """Central-difference vector-Jacobian product ``grad_out^T J_f(x)``.

    It is the gradient of the scalar <f(x), g> (g = ``grad_out``, same shape as f(x)),
    which is exactly what a backward pass returns for the upstream gradient g. Returns
    the shape of ``x``.
    """
    check_callable(f, "f")
    x = as_float_array(x, "x")
    g = as_float_array(grad_out, "grad_out", allow_empty=True).astype(np.float64)
    out_shape = np.shape(f(np.array(x, dtype=np.float64, copy=True)))
    if g.shape != out_shape:
        raise ValueError(
            f"grad_out must have the shape of f(x), {out_shape}; got {g.shape}"
        )
    return numerical_gradient(lambda z: float(np.sum(f(z) * g)), x, eps)


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max_i |a_i - b_i| / max(max_i |a_i| + max_i |b_i|, floor).

    Scale-free, 0 when the arrays agree, at most 1; measured against the largest entries
    so that an entry that happens to be near zero does not inflate it."""
    a = as_float_array(a, "a", allow_empty=True).astype(np.float64)
    b = as_float_array(b, "b", allow_empty=True).astype(np.float64)
    floor = check_positive(floor, "floor")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape; got {a.shape} and {b.shape}"
        )
    if a.size == 0:
        return 0.0
    scale = max(float(np.max(np.abs(a)) + np.max(np.abs(b))), floor)
    return float(np.max(np.abs(a - b)) / scale)


def _tolerances(eps: Any, rtol: Any, atol: Any) -> tuple[float, float, float]:
    return (
        check_float(eps, "eps", low=0.0, high=0.1, low_open=True),
        check_positive(rtol, "rtol", strict=False),
        check_positive(atol, "atol", strict=False),
    )


def check_gradient(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> float:
    """Assert that ``grad(x)`` matches the central-difference gradient of ``f`` at
    ``x``.

    Returns the relative error; raises ``AssertionError`` (from ``np.testing``) on a
    mismatch.
    """
    check_callable(f, "f")
    check_callable(grad, "grad")
    eps, rtol, atol = _tolerances(eps, rtol, atol)
    x = as_float_array(x, "x").astype(np.float64, copy=True)
    analytic = np.asarray(grad(x.copy()), dtype=np.float64)
    numeric = numerical_gradient(f, x, eps)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
    return relative_error(analytic, numeric)


def check_vjp(
    forward: Callable[[np.ndarray], np.ndarray],
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x: np.ndarray,
    rng: np.random.Generator,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> float:
    """Assert that ``backward(x, g)`` equals the numerical VJP of ``forward`` at ``x``
    for a
    random upstream gradient ``g``; returns the relative error."""
    check_callable(forward, "forward")
    check_callable(backward, "backward")
    check_rng(rng)
    eps, rtol, atol = _tolerances(eps, rtol, atol)
    x = as_float_array(x, "x").astype(np.float64, copy=True)
    g = rng.standard_normal(np.shape(forward(x.copy())))
    analytic = np.asarray(backward(x.copy(), g), dtype=np.float64)
    numeric = numerical_vjp(forward, x, g, eps)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
    return relative_error(analytic, numeric)


def check_module(
    module: Any,
    *inputs: Any,
    seed: int = 0,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-8,
) -> dict[str, float]:
    """Check a module's backward pass against central differences, for every parameter
    and every floating input, in float64.

    The scalar checked is ``L = sum(R * module(*inputs))`` with a fixed random ``R`` of
    the output's shape (a tuple of outputs gets one ``R`` each). The analytic side is
    one
    forward and one ``backward(R)`` after ``zero_grad()``; the numerical side perturbs
    each
    entry by ``+-eps`` and re-runs the forward inside :func:`~nnbook.nn.module.no_grad`.
    A module that calls a child several times (a cell unrolled in time, a layer applied
    twice) is checked as a whole: its gradients must be the sums over the uses. The
    forward caches must all have been consumed by the backward (the last-in-first-out
    rule). Integer inputs (token ids) are passed through unchecked.

    Returns the relative error per name ("input0", ..., then the dotted parameter
    names);
    raises ``AssertionError`` naming the worst entry when any exceeds the tolerances.
    Used by every layer test; explained in :doc:`/book/mlp/multilayer-perceptron`.
    """
    from .nn.module import Module, no_grad

    check_type(module, Module, "module")
    check_float(eps, "eps", low=0.0, low_open=True)
    check_float(rtol, "rtol", low=0.0)
    check_float(atol, "atol", low=0.0)
    rng = np.random.default_rng(seed)
    for name, p in module.named_parameters():
        if p.dtype != np.float64:
            raise ValueError(
                f"module parameters must be float64 for a gradient check; "
                f"{name} is {p.dtype}"
            )
    xs = [
        np.array(x, dtype=np.float64) if np.asarray(x).dtype.kind == "f" else x
        for x in inputs
    ]

    def outputs(*args: Any) -> tuple[np.ndarray, ...]:
        out = module(*args)
        return out if isinstance(out, tuple) else (out,)

    module.zero_grad()
    out = outputs(*xs)
    R = [rng.standard_normal(np.shape(o)) for o in out]
    grad_in = module.backward(R[0] if len(R) == 1 else tuple(R))
    leftover = [n for n, m in module.named_modules() if m._caches]
    if leftover:
        module.clear_cache()
        raise AssertionError(
            f"forward caches left unconsumed after backward in {leftover}"
        )
    grad_in = grad_in if isinstance(grad_in, tuple) else (grad_in,)
    analytic = {n: g.copy() for n, g in module.named_grads()}

    def loss() -> float:
        with no_grad():
            return float(sum(np.sum(r * o) for r, o in zip(R, outputs(*xs))))

    errors: dict[str, float] = {}
    worst = ("", 0.0, None)
    for i, x in enumerate(xs):
        if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
            continue
        num = numerical_gradient(lambda _: loss(), x, eps)
        ana = np.zeros_like(x) if grad_in[i] is None else np.asarray(grad_in[i])
        errors[f"input{i}"] = relative_error(ana, num)
        if not np.allclose(ana, num, rtol=rtol, atol=atol):
            worst = max(
                worst, (f"input{i}", errors[f"input{i}"], None), key=lambda w: w[1]
            )
    for name, p in module.named_parameters():
        num = numerical_gradient(lambda _: loss(), p, eps)
        errors[name] = relative_error(analytic[name], num)
        if not np.allclose(analytic[name], num, rtol=rtol, atol=atol):
            worst = max(worst, (name, errors[name], None), key=lambda w: w[1])
    if worst[0]:
        raise AssertionError(
            f"gradient check failed for {worst[0]}: relative error {worst[1]:.2e} "
            f"(rtol={rtol}, atol={atol}); all errors: "
            + ", ".join(f"{k}={v:.1e}" for k, v in errors.items())
        )
    return errors
