"""Linear state-space layers: recurrences, their convolution form, the parallel scan,
and Mamba's selective scan.

A diagonal linear recurrence h_t = a_t * h_{t-1} + b_t (elementwise) is the core of
the state-space models S4 (Gu, Goel and Re, 2022) and Mamba (Gu and Dao, 2023).
When a_t does not depend on t it is a convolution of the inputs with the kernel
(a^k); when it does (Mamba's "selection"), it can still be computed in O(log T)
parallel steps, because the pairs (a, b) compose associatively:

    (a_1, b_1) then (a_2, b_2) = (a_1 a_2, a_2 b_1 + b_2).

Derived in :doc:`/book/transformers/state-space-models`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_type

__all__ = [
    "linear_recurrence", "associative_scan", "ssm_kernel", "causal_convolve",
    "discretize_zoh", "selective_scan",
]


def _check_ab(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    a = as_float_array(a, "a", shape_hint="(..., T, ...)")
    b = as_float_array(b, "b", shape_hint="(..., T, ...)")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and "
                         f"{b.shape}")
    return a, b


def linear_recurrence(a: np.ndarray, b: np.ndarray, axis: int = 1,
                      h0: np.ndarray | None = None) -> np.ndarray:
    """h_t = a_t * h_{t-1} + b_t along ``axis`` (time), elementwise, h_{-1} = ``h0``
    (zeros by default), one time step after another: the reference for
    :func:`associative_scan`. ``a``, ``b``: same shape; returns h of that shape."""
    a, b = _check_ab(a, b)
    a, b = np.moveaxis(a, axis, 0), np.moveaxis(b, axis, 0)
    h = np.empty_like(b)
    prev = np.zeros_like(b[0]) if h0 is None else np.asarray(h0, dtype=b.dtype)
    for t in range(b.shape[0]):                     # a loop over time steps
        prev = a[t] * prev + b[t]
        h[t] = prev
    return np.moveaxis(h, 0, axis)


def associative_scan(a: np.ndarray, b: np.ndarray, axis: int = 1) -> np.ndarray:
    """The same h as :func:`linear_recurrence` (h_{-1} = 0) in ceil(log2 T) vectorised
    steps (Hillis and Steele): at step k every position t >= 2^k combines its pair with
    the pair 2^k positions earlier,

        (A_t, B_t) <- (A_{t-s} A_t, A_t B_{t-s} + B_t),  s = 2^k,

    so that after the last step (A_t, B_t) summarises positions 0..t and B_t = h_t.
    Work O(T log T), depth O(log T). ``a``, ``b``: same shape; returns h."""
    a, b = _check_ab(a, b)
    A, Bv = np.moveaxis(a, axis, 0).copy(), np.moveaxis(b, axis, 0).copy()
    T = A.shape[0]
    s = 1
    while s < T:
        # right-hand sides are evaluated before assignment: all positions use old values
        Bv[s:] = A[s:] * Bv[:-s] + Bv[s:]
        A[s:] = A[s:] * A[:-s]
        s *= 2
    return np.moveaxis(Bv, 0, axis)


def ssm_kernel(a: np.ndarray, b: np.ndarray, c: np.ndarray, L: int) -> np.ndarray:
    """The convolution kernel of a time-invariant diagonal SSM
    h_t = a * h_{t-1} + b x_t, y_t = sum_n c_n h_t[n]: K_k = sum_n c_n a_n^k b_n for
    k = 0..L-1 (S4's view: unroll the recurrence). ``a``, ``b``, ``c``: (N,); returns
    (L,)."""
    L = check_int(L, "L")
    a, b, c = (as_float_array(v, n, ndim=1) for v, n in ((a, "a"), (b, "b"), (c, "c")))
    powers = a[None, :] ** np.arange(L)[:, None]    # (L, N): a_n^k
    return powers @ (c * b)


def causal_convolve(x: np.ndarray, K: np.ndarray) -> np.ndarray:
    """y_t = sum_{k=0}^{t} K_k x_{t-k} along the last axis, by FFT (zero-padded to 2T
    so the circular convolution is the linear one). ``x``: (..., T), ``K``: (T,)."""
    x = as_float_array(x, "x")
    K = as_float_array(K, "K", ndim=1)
    T = x.shape[-1]
    if K.shape[0] != T:
        raise ValueError(f"K must have length {T} (one tap per time step); got "
                         f"{K.shape}")
    n = 2 * T
    return np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(K, n), n)[..., :T]


def discretize_zoh(delta: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Zero-order-hold discretisation of dh/dt = A h (A diagonal): a = exp(delta A).
    ``delta`` and ``A`` broadcast; returns a of the broadcast shape."""
    return np.exp(np.asarray(delta) * np.asarray(A))


def selective_scan(x: np.ndarray, delta: np.ndarray, A: np.ndarray, B: np.ndarray,
                   C: np.ndarray, D: np.ndarray | None = None,
                   method: str = "scan") -> np.ndarray:
    """Mamba's selective scan (S6): for every channel d and state n,

        h_t[d, n] = exp(delta_t[d] A[d, n]) h_{t-1}[d, n] + delta_t[d] B_t[n] x_t[d],
        y_t[d] = sum_n C_t[n] h_t[d, n] + D[d] x_t[d].

    The step size ``delta`` and the matrices ``B``, ``C`` depend on the input (time),
    which is what makes the model *selective*: it can decide per token how much to
    remember. Shapes: ``x``, ``delta``: (batch, T, d); ``A``: (d, n) (negative for a
    stable decay); ``B``, ``C``: (batch, T, n); ``D``: (d,). Returns y (batch, T, d).
    ``method``: "scan" (:func:`associative_scan`) or "loop" (:func:`linear_recurrence`).
    Derived in :doc:`/book/transformers/state-space-models`.
    """
    check_type(method, str, "method")
    if method not in ("scan", "loop"):
        raise ValueError(f"method must be 'scan' or 'loop'; got {method!r}")
    x = as_float_array(x, "x", ndim=3, shape_hint="(batch, T, d)")
    delta = as_float_array(delta, "delta", ndim=3, shape_hint="(batch, T, d)")
    A = as_float_array(A, "A", ndim=2, shape_hint="(d, n)")
    B = as_float_array(B, "B", ndim=3, shape_hint="(batch, T, n)")
    C = as_float_array(C, "C", ndim=3, shape_hint="(batch, T, n)")
    bt, T, d = x.shape
    n = A.shape[1]
    if delta.shape != x.shape or A.shape[0] != d or B.shape != (bt, T, n) or \
            C.shape != B.shape:
        raise ValueError(f"shapes must be x, delta (batch, T, d), A (d, n), B, C "
                         f"(batch, T, n); got x {x.shape}, delta {delta.shape}, "
                         f"A {A.shape}, B {B.shape}, C {C.shape}")
    a = discretize_zoh(delta[..., None], A)                      # (batch, T, d, n)
    u = (delta * x)[..., None] * B[:, :, None, :]                # delta_t B_t x_t
    h = associative_scan(a, u) if method == "scan" else linear_recurrence(a, u)
    y = np.einsum("btdn,btn->btd", h, C)
    if D is not None:
        y = y + np.asarray(D) * x
    return y
