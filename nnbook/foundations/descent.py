"""Gradient descent on explicit functions: quadratics and the Rosenbrock valley.

The iteration :math:`x_{t+1} = x_t - \\eta \\nabla f(x_t)` on the quadratic
:math:`f(x) = \\tfrac12 x^\\top A x - b^\\top x` is the one case where everything can be
computed: the error contracts by :math:`\\max_i |1 - \\eta\\lambda_i|` per step,
converges for :math:`\\eta < 2/L` and is fastest at :math:`\\eta = 2/(\\mu + L)`.
Derived in :doc:`/book/foundations/mathematics`; the optimizers chapter reuses the test
functions.

Convention: a point is an array of shape ``(..., d)``; every function here is vectorized
over the leading axes, so a whole grid of points (for a contour plot) is evaluated in
one call.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._checks import (
    as_float_array,
    check_callable,
    check_float,
    check_int,
    check_positive,
)

__all__ = [
    "gradient_descent",
    "quadratic",
    "quadratic_minimizer",
    "quadratic_rate",
    "quadratic_optimal_lr",
    "rosenbrock",
    "rosenbrock_grad",
]


def _check_spd(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A square, symmetric, positive definite matrix and its eigenvalues (ascending)."""
    A = as_float_array(A, "A", ndim=2, shape_hint="(d, d)")
    if A.shape[0] != A.shape[1]:
        raise ValueError(
            f"A must be a square matrix of shape (d, d); got shape {A.shape}"
        )
    if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12 * float(np.max(np.abs(A)) + 1.0)):
        raise ValueError("A must be symmetric; got A != A.T")
    lam = np.linalg.eigvalsh(A)
    if lam[0] <= 0:
        raise ValueError(
            f"A must be positive definite; got smallest eigenvalue {lam[0]:.3g}"
        )
    return A, lam


def _check_points(x: np.ndarray, d: int, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name, finite=False)
    if x.ndim == 0 or x.shape[-1] != d:
        raise ValueError(f"{name} must have shape (..., {d}); got shape {x.shape}")
    return x


def gradient_descent(
    grad: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, lr: float, n_steps: int
) -> np.ndarray:
    """Run x_{t+1} = x_t - lr * grad(x_t) for ``n_steps`` steps from ``x0``.

    ``grad`` maps a point of shape (d,) to its gradient, shape (d,). ``x0``: (d,).
    Returns the whole trajectory, shape (n_steps + 1, d), row t being x_t (row 0 is
    ``x0``). A diverging run is not stopped: its rows grow and may overflow to inf,
    which is what the chapter wants to show for lr > 2/L.

    Derived in :doc:`/book/foundations/mathematics`.
    """
    x0 = as_float_array(x0, "x0", ndim=1, shape_hint="(d,)")
    check_callable(grad, "grad")
    lr = check_positive(lr, "lr")
    n_steps = check_int(n_steps, "n_steps", minimum=0)
    traj = np.empty((n_steps + 1, x0.shape[0]), dtype=x0.dtype)
    traj[0] = x0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):  # a loop over iterations, not over data
            g = np.asarray(grad(traj[t]))
            if g.shape != x0.shape:
                raise ValueError(
                    f"grad must return an array of shape {x0.shape}; got shape "
                    f"{g.shape}"
                )
            traj[t + 1] = traj[t] - lr * g
    return traj


def quadratic(
    A: np.ndarray, b: np.ndarray
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """The quadratic f(x) = 1/2 x^T A x - b^T x and its gradient A x - b, as two
    callables.

    ``A``: (d, d) symmetric positive definite; ``b``: (d,). Both returned functions take
    points of shape (..., d): ``f`` returns shape (...) and ``grad`` returns shape (...,
    d), so a grid of shape (m, m, d) is evaluated in one call. The minimizer is A^{-1} b
    (``quadratic_minimizer``).

    Derived in :doc:`/book/foundations/mathematics`.
    """
    A, _ = _check_spd(A)
    b = as_float_array(b, "b", ndim=1, shape_hint="(d,)")
    d = A.shape[0]
    if b.shape[0] != d:
        raise ValueError(f"b must have shape ({d},) to match A; got shape {b.shape}")

    def f(x: np.ndarray) -> np.ndarray:
        x = _check_points(x, d)
        return 0.5 * np.einsum("...i,ij,...j->...", x, A, x) - x @ b

    def grad(x: np.ndarray) -> np.ndarray:
        x = _check_points(x, d)
        return x @ A - b  # A is symmetric, so x A = (A x)^T for every row x

    f.__doc__ = (
        "f(x) = 1/2 x^T A x - b^T x for x of shape (..., d); returns shape (...)."
    )
    grad.__doc__ = (
        "grad f(x) = A x - b for x of shape (..., d); returns shape (..., d)."
    )
    return f, grad


def quadratic_minimizer(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The unique minimizer x* = A^{-1} b of 1/2 x^T A x - b^T x, shape (d,) (by a
    solve, not an
    inverse). ``A``: (d, d) symmetric positive definite; ``b``: (d,).

    Derived in :doc:`/book/foundations/mathematics`.
    """
    A, _ = _check_spd(A)
    b = as_float_array(b, "b", ndim=1, shape_hint="(d,)")
    if b.shape[0] != A.shape[0]:
        raise ValueError(
            f"b must have shape ({A.shape[0]},) to match A; got shape {b.shape}"
        )
    return np.linalg.solve(A, b)


def quadratic_rate(A: np.ndarray, lr: float) -> float:
    """Contraction factor of gradient descent on a quadratic with Hessian ``A``:

    rho(lr) = max_i |1 - lr * lambda_i|,  so  ||x_t - x*|| <= rho^t ||x_0 - x*||,

    with equality along the worst eigenvector. rho < 1 (convergence) exactly when
    0 < lr < 2 / lambda_max. ``A``: (d, d) symmetric positive definite.

    Derived in :doc:`/book/foundations/mathematics`.
    """
    _, lam = _check_spd(A)
    lr = check_positive(lr, "lr")
    return float(np.max(np.abs(1.0 - lr * lam)))


def quadratic_optimal_lr(A: np.ndarray) -> tuple[float, float]:
    """The step size that minimizes ``quadratic_rate`` and the rate it achieves:

    lr* = 2 / (mu + L),  rho* = (L - mu) / (L + mu) = (kappa - 1) / (kappa + 1),

    with mu, L the smallest and largest eigenvalues of ``A`` (d, d) and kappa = L / mu.
    Returns ``(lr_star, rho_star)``.

    Derived in :doc:`/book/foundations/mathematics`.
    """
    _, lam = _check_spd(A)
    mu, L = float(lam[0]), float(lam[-1])
    return 2.0 / (mu + L), (L - mu) / (L + mu)


def rosenbrock(x: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Rosenbrock's banana valley f(x, y) = (a - x)^2 + b (y - x^2)^2 (Rosenbrock,
    1960).

    Minimum 0 at (a, a^2), at the bottom of a long, curved, flat-floored valley: the
    classic test for optimizers. ``x``: (..., 2); returns shape (...).

    Derived in :doc:`/book/foundations/mathematics`.
    """
    x = _check_points(x, 2)
    a, b = check_float(a, "a"), check_float(b, "b")
    u, v = x[..., 0], x[..., 1]
    return (a - u) ** 2 + b * (v - u * u) ** 2


def rosenbrock_grad(x: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Gradient of ``rosenbrock``: (-2 (a - x) - 4 b x (y - x^2), 2 b (y - x^2)).

    ``x``: (..., 2); returns shape (..., 2).

    Derived in :doc:`/book/foundations/mathematics`.
    """
    x = _check_points(x, 2)
    u, v = x[..., 0], x[..., 1]
    r = v - u * u
    return np.stack([-2.0 * (a - u) - 4.0 * b * u * r, 2.0 * b * r], axis=-1)
