"""Universal approximation, constructively: one-hidden-layer networks built by hand, and
one trained.

A one-hidden-layer network on the real line is

    g(x) = sum_j W2[j] * act(W1[0, j] * x + b1[j]) + b2,

stored in the book's layer convention (:doc:`/book/foundations/mathematics`): for inputs
``x`` of shape (m,), the hidden pre-activations are ``x[:, None] @ W1 + b1`` with
``W1``: (1, n_units), ``b1``: (n_units,), and the output is ``H @ W2 + b2`` with ``W2``:
(n_units, 1), ``b2``: (1,).

* ``relu_interpolant`` chooses the weights so that g is the piecewise-linear interpolant
of f at
  n_units + 1 equally spaced knots: error O(1/n) for Lipschitz f, O(1/n^2) for smooth f;
* ``step_approximant`` builds a staircase from steep sigmoids, Cybenko's picture: error
O(1/n);
* ``fit_one_hidden`` learns the weights instead, by full-batch gradient descent on the
squared
  error with the hand-derived backward pass ``one_hidden_mse_and_grads``;
* ``sawtooth`` is Telgarsky's deep network: k compositions of a two-unit tent map give
2^k linear
  pieces, which a one-hidden-layer ReLU network needs 2^k - 1 units to produce.

Derived in :doc:`/book/foundations/universal-approximation`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._checks import (
    as_float_array,
    check_int,
    check_positive,
    check_rng,
    check_same_shape,
)
from ..nn.activations import relu, sigmoid

__all__ = [
    "relu_interpolant",
    "step_approximant",
    "evaluate_one_hidden",
    "sup_norm_error",
    "one_hidden_mse_and_grads",
    "fit_one_hidden",
    "sawtooth",
    "count_linear_pieces",
]

_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": relu,
    "sigmoid": sigmoid,
}


def _interval(a: float, b: float) -> tuple[float, float]:
    a, b = float(a), float(b)
    if not (np.isfinite(a) and np.isfinite(b)) or not a < b:
        raise ValueError(
            f"the interval must satisfy a < b with both finite; got a={a}, b={b}"
        )
    return a, b


def _n_units(n_units: int) -> int:
    if int(n_units) != n_units or n_units < 1:
        raise ValueError(f"n_units must be a positive integer; got {n_units!r}")
    return int(n_units)


def _knot_values(
    f: Callable[[np.ndarray], np.ndarray], a: float, b: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Knots t_k = a + k (b - a) / n, k = 0..n, and the values f(t_k), f called once on
    all knots."""
    t = np.linspace(a, b, n + 1)
    v = as_float_array(f(t), "f(knots)")
    if v.shape != t.shape:
        raise ValueError(
            f"f must map an array of shape {t.shape} to the same shape; got shape "
            f"{v.shape}"
        )
    return t, v


def relu_interpolant(
    f: Callable[[np.ndarray], np.ndarray], a: float, b: float, n_units: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weights of a one-hidden-layer ReLU network equal to the piecewise-linear
    interpolant of f.

    With knots t_k = a + k h, h = (b - a) / n, k = 0..n (n = ``n_units``) and slopes
    s_k = (f(t_{k+1}) - f(t_k)) / h, the network

        g(x) = f(t_0) + s_0 relu(x - t_0) + sum_{k=1}^{n-1} (s_k - s_{k-1}) relu(x -
        t_k)

    equals f at every knot and is linear in between, on [a, b]. Unit k switches on at
    knot t_k
    and adds the change of slope there. ``f`` must be vectorized: it is called once on
    the
    (n + 1,) array of knots.

    Returns ``(W1, b1, W2, b2)`` with shapes (1, n), (n,), (n, 1), (1,), for
    ``evaluate_one_hidden(x, W1, b1, W2, b2, "relu")``.

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    a, b = _interval(a, b)
    n = _n_units(n_units)
    t, v = _knot_values(f, a, b, n)
    h = (b - a) / n
    s = np.diff(v) / h  # slope on each of the n intervals
    c = np.concatenate([s[:1], np.diff(s)])  # c_0 = s_0, c_k = s_k - s_{k-1}
    W1 = np.ones((1, n))
    b1 = -t[:-1]  # unit k has its kink at t_k
    W2 = c[:, None]
    b2 = v[:1].copy()
    return W1, b1, W2, b2


def step_approximant(
    f: Callable[[np.ndarray], np.ndarray],
    a: float,
    b: float,
    n_units: int,
    slope: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weights of a one-hidden-layer sigmoid network that approximates f by a smoothed
    staircase.

    With knots t_k = a + k h (k = 0..n, n = ``n_units``) and jump points tau_k =
    (t_{k-1} + t_k)/2,

        g(x) = f(t_0) + sum_{k=1}^{n} (f(t_k) - f(t_{k-1})) sigmoid(slope (x - tau_k)),

    which tends, as slope -> infinity, to the step function equal to f(t_k) on [tau_k,
    tau_{k+1}]. The default ``slope`` = 40 / h makes the sigmoids steep on the scale of
    the knot spacing. Returns ``(W1, b1, W2, b2)`` with shapes (1, n), (n,), (n, 1),
    (1,), for ``evaluate_one_hidden(x, W1, b1, W2, b2, "sigmoid")``.

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    a, b = _interval(a, b)
    n = _n_units(n_units)
    t, v = _knot_values(f, a, b, n)
    h = (b - a) / n
    k = 40.0 / h if slope is None else check_positive(slope, "slope")
    tau = 0.5 * (t[:-1] + t[1:])
    W1 = np.full((1, n), k)
    b1 = -k * tau
    W2 = np.diff(v)[:, None]
    b2 = v[:1].copy()
    return W1, b1, W2, b2


def _check_weights(
    W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    W1 = as_float_array(W1, "W1", ndim=2, shape_hint="(1, n_units)")
    n = W1.shape[1]
    if W1.shape[0] != 1:
        raise ValueError(
            f"W1 must have shape (1, n_units) for a scalar input; got shape {W1.shape}"
        )
    b1 = as_float_array(b1, "b1", ndim=1, shape_hint="(n_units,)")
    W2 = as_float_array(W2, "W2", ndim=2, shape_hint="(n_units, 1)")
    b2 = as_float_array(b2, "b2", ndim=1, shape_hint="(1,)")
    if b1.shape != (n,) or W2.shape != (n, 1) or b2.shape != (1,):
        raise ValueError(
            f"weights must have shapes (1, n), (n,), (n, 1), (1,) with n = {n}; got "
            f"W1 {W1.shape}, "
            f"b1 {b1.shape}, W2 {W2.shape}, b2 {b2.shape}"
        )
    return W1, b1, W2, b2


def _inputs(x: np.ndarray, name: str = "x") -> np.ndarray:
    x = as_float_array(x, name, ndim=(1, 2), shape_hint="(m,) or (m, 1)")
    if x.ndim == 2:
        if x.shape[1] != 1:
            raise ValueError(
                f"{name} must have shape (m,) or (m, 1); got shape {x.shape}"
            )
        x = x[:, 0]
    return x


def evaluate_one_hidden(
    x: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
    activation: str | Callable[[np.ndarray], np.ndarray] = "relu",
) -> np.ndarray:
    """Output of the one-hidden-layer network g(x) = act(x W1 + b1) W2 + b2, for all x
    at once.

    ``x``: (m,) or (m, 1); ``W1``: (1, n); ``b1``: (n,); ``W2``: (n, 1); ``b2``: (1,).
    ``activation``: "relu", "sigmoid" or any elementwise callable. Returns shape (m,).

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    x = _inputs(x)
    W1, b1, W2, b2 = _check_weights(W1, b1, W2, b2)
    act = _ACTIVATIONS.get(activation) if isinstance(activation, str) else activation
    if act is None:
        raise ValueError(
            f"activation must be one of {sorted(_ACTIVATIONS)} or a callable; got "
            f"{activation!r}"
        )
    H = act(x[:, None] @ W1 + b1)  # (m, n): every unit on every input
    return (H @ W2 + b2)[:, 0]


def sup_norm_error(
    f: Callable[[np.ndarray], np.ndarray],
    g: Callable[[np.ndarray], np.ndarray],
    a: float,
    b: float,
    n_grid: int = 10001,
) -> float:
    """max |f(x) - g(x)| over ``n_grid`` equally spaced points of [a, b] (ends
    included): the
    uniform (sup-norm) error, measured on a grid. Both callables map (n_grid,) to
    (n_grid,).

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    a, b = _interval(a, b)
    if int(n_grid) != n_grid or n_grid < 2:
        raise ValueError(f"n_grid must be an integer >= 2; got {n_grid!r}")
    x = np.linspace(a, b, int(n_grid))
    fx = as_float_array(f(x), "f(grid)")
    gx = as_float_array(g(x), "g(grid)")
    check_same_shape(fx, gx, "f(grid)", "g(grid)")
    return float(np.max(np.abs(fx - gx)))


def one_hidden_mse_and_grads(
    x: np.ndarray,
    y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean squared error of a one-hidden-layer ReLU network and its gradients, by hand.

    Forward:  Z = x W1 + b1 (m, n),  H = relu(Z),  y_hat = H W2 + b2 (m, 1),
              L = (1/m) sum_i (y_hat_i - y_i)^2.
    Backward: dy_hat = 2 (y_hat - y) / m,  dW2 = H^T dy_hat,  db2 = sum_i dy_hat_i,
              dH = dy_hat W2^T,  dZ = dH * 1[Z > 0],  dW1 = x^T dZ,  db1 = sum_i dZ_i.

    ``x``, ``y``: (m,); weights as in ``evaluate_one_hidden``. Returns the loss and a
    dict of gradients with keys "W1", "b1", "W2", "b2", each of the shape of its
    parameter.

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    x = _inputs(x)
    y = _inputs(y, "y")
    check_same_shape(x, y, "x", "y")
    W1, b1, W2, b2 = _check_weights(W1, b1, W2, b2)
    return _mse_and_grads(x[:, None], y[:, None], W1, b1, W2, b2)


def _mse_and_grads(
    X: np.ndarray,
    Y: np.ndarray,
    W1: np.ndarray,
    b1: np.ndarray,
    W2: np.ndarray,
    b2: np.ndarray,
) -> tuple[float, dict[str, np.ndarray]]:
    """The computation of ``one_hidden_mse_and_grads`` without the checks; X, Y: (m,
    1)."""
    m = X.shape[0]
    Z = X @ W1 + b1  # (m, n)
    H = np.maximum(Z, 0.0)  # relu
    r = (H @ W2 + b2) - Y  # residuals y_hat - y, (m, 1)
    loss = float(np.sum(r * r) / m)
    dY = 2.0 * r / m  # dL/dy_hat
    dZ = (dY @ W2.T) * (Z > 0)  # dL/dH = dY W2^T, through relu'
    grads = {"W1": X.T @ dZ, "b1": dZ.sum(axis=0), "W2": H.T @ dY, "b2": dY.sum(axis=0)}
    return loss, grads


def fit_one_hidden(
    x: np.ndarray,
    y: np.ndarray,
    n_units: int,
    lr: float,
    n_steps: int,
    rng: np.random.Generator,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
    """Learn a one-hidden-layer ReLU network by full-batch gradient descent on the
    squared error.

    Initialization puts every kink inside the data: unit j gets a slope W1[0, j] =
    +-U(0.5, 1.5)
    (random sign) and a kink position c_j ~ U(min x, max x), so b1[j] = -W1[0, j] c_j;
    the output
    weights start small, W2 ~ N(0, 1/n), and b2 at the mean of y. Then ``n_steps`` steps
    of
    theta <- theta - lr * grad L(theta) with ``one_hidden_mse_and_grads``.

    ``x``, ``y``: (m,). Returns ``((W1, b1, W2, b2), losses)`` with ``losses``: (n_steps
    + 1,), the
    loss before every step and after the last.

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    x = _inputs(x)
    y = _inputs(y, "y")
    check_same_shape(x, y, "x", "y")
    n = _n_units(n_units)
    lr = check_positive(lr, "lr")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer; got {n_steps!r}")
    check_rng(rng)
    dtype = np.result_type(x.dtype, y.dtype)
    w = rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.5, 1.5, size=n)
    kinks = rng.uniform(x.min(), x.max(), size=n)
    params = {
        "W1": w[None, :].astype(dtype),
        "b1": (-w * kinks).astype(dtype),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(n), size=(n, 1)).astype(dtype),
        "b2": np.array([y.mean()], dtype=dtype),
    }
    X, Y = x[:, None].astype(dtype), y[:, None].astype(dtype)
    losses = np.empty(int(n_steps) + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(
            int(n_steps) + 1
        ):  # a loop over steps; each step is vectorized over the data
            loss, grads = _mse_and_grads(
                X, Y, params["W1"], params["b1"], params["W2"], params["b2"]
            )
            losses[step] = loss
            if not np.isfinite(loss):
                raise ValueError(
                    f"gradient descent diverged at step {step} (loss {loss}); lr must "
                    "be smaller "
                    f"than {lr}"
                )
            if step < n_steps:
                for key in params:
                    params[key] -= lr * grads[key]
    return (params["W1"], params["b1"], params["W2"], params["b2"]), losses


def sawtooth(x: np.ndarray, n_layers: int) -> np.ndarray:
    """Telgarsky's sawtooth: the tent map t(x) = 2 relu(x) - 4 relu(x - 1/2) composed
    ``n_layers`` times, a ReLU network of depth ``n_layers`` and width 2.

    On [0, 1], t maps [0, 1/2] onto [0, 1] upwards and [1/2, 1] onto [0, 1] downwards,
    so the k-fold composition has 2^(k-1) teeth: 2^k linear pieces, value 0 at
    j / 2^(k-1) and 1 at the odd multiples of 1 / 2^k. ``x``: any shape (meant for [0,
    1]); returns the same shape.

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    h = as_float_array(x, "x")
    n_layers = check_int(n_layers, "n_layers", minimum=0, maximum=10_000)
    for _ in range(n_layers):  # a loop over layers
        h = 2.0 * relu(h) - 4.0 * relu(h - 0.5)
    return h


def count_linear_pieces(x: np.ndarray, y: np.ndarray, rtol: float = 1e-8) -> int:
    """Number of maximal linear pieces of a piecewise-linear function sampled as y =
    g(x).

    Slopes between consecutive samples are compared; a change larger than ``rtol`` times
    the largest slope magnitude (plus ``rtol``) starts a new piece. The kinks must lie
    on sample points (a kink strictly between two samples would be counted twice).
    ``x``: (m,) strictly increasing, m >= 2; ``y``: (m,).

    Derived in :doc:`/book/foundations/universal-approximation`.
    """
    x = as_float_array(x, "x", ndim=1, shape_hint="(m,)")
    y = as_float_array(y, "y", ndim=1, shape_hint="(m,)")
    check_same_shape(x, y, "x", "y")
    rtol = check_positive(rtol, "rtol", strict=False)
    if x.shape[0] < 2 or np.any(np.diff(x) <= 0):
        raise ValueError(
            f"x must hold at least 2 strictly increasing points; got shape {x.shape}"
        )
    s = np.diff(y) / np.diff(x)
    tol = rtol * (float(np.max(np.abs(s))) + 1.0)
    return 1 + int(np.count_nonzero(np.abs(np.diff(s)) > tol))
