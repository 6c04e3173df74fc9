"""Recurrent cells and sequence layers: the Elman RNN, the LSTM and the GRU.

Derived in :doc:`/book/rnn/recurrent-networks` (the RNN and backpropagation through
time) and :doc:`/book/rnn/gated-cells` (the LSTM, the GRU, bidirectional and stacked
networks).

The mathematics of one time step lives in pure functions (``rnn_step`` /
``rnn_step_backward``, ``lstm_step`` / ..., ``gru_step`` / ...). A *cell*
(:class:`RNNCell`, :class:`LSTMCell`, :class:`GRUCell`) applies one step; a *sequence
layer* (:class:`RNN`, :class:`LSTM`, :class:`GRU`) applies the same step at every
position of a sequence with shared weights. The sequence layers compute the input
projections of all time steps with one matrix product, ``A_x = X W_x + b`` of shape (T,
batch, G H), so that only the recurrent product ``h_{t-1} W_h`` remains inside the loop
over time; their backward pass (backpropagation through time) likewise collects the
pre-activation gradients of every step and forms ``dW_x``, ``dW_h`` and ``dX`` with one
product each.

Conventions (the PyTorch layout, batch first): ``X``: (batch, T, input_size); outputs
``Y``: (batch, T, hidden_size); states ``h``, ``c``: (batch, hidden_size); ``W_x``:
(input_size, G H), ``W_h``: (hidden_size, G H), ``b``: (G H,) with G = 1 (RNN), 4 (LSTM,
gates in the order i, f, g, o) or 3 (GRU, in the order r, z, n).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import (
    ArgumentTypeError,
    as_float_array,
    check_float,
    check_int,
    check_rng,
    check_type,
)
from .module import Module, Sequential

__all__ = [
    "sigmoid_via_tanh",
    "rnn_step", "rnn_step_backward",
    "lstm_step", "lstm_step_backward",
    "gru_step", "gru_step_backward",
    "RNNCell", "LSTMCell", "GRUCell",
    "RNN", "LSTM", "GRU",
    "Bidirectional", "stacked", "LastStep", "TimeFlatten",
]


# --- the mathematics of one step ------------------------------------------------------


def _sigmoid_tanh(z: np.ndarray) -> np.ndarray:
    s = np.asarray(np.multiply(z, 0.5))
    np.tanh(s, out=s)
    s *= 0.5
    s += 0.5
    return s


def sigmoid_via_tanh(z: np.ndarray) -> np.ndarray:
    """The logistic function written as sigma(z) = (1 + tanh(z / 2)) / 2.

    Equal to 1 / (1 + exp(-z)), but it cannot overflow (tanh saturates at +-1) and it is
    one transcendental call instead of an exp, a division and a branch: the fastest
    float32 sigmoid in NumPy. ``z``: any shape; returns a new array of its shape and
    dtype. (The layers call the unchecked twin on their own finite pre-activations.)
    """
    return _sigmoid_tanh(as_float_array(z, "z", allow_empty=True))


def rnn_step(a_x: np.ndarray, h: np.ndarray, W_h: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """One step of the Elman RNN: h_new = tanh(a_x + h W_h), where a_x = x W_x + b.

    ``a_x``: (batch, H) input projection with the bias; ``h``: (batch, H) previous
    state; ``W_h``: (H, H). Returns ``(h_new, cache)``; the cache is ``h_new`` itself,
    since tanh' = 1 - tanh^2. Derived in :doc:`/book/rnn/recurrent-networks`.
    """
    z = h @ W_h
    z += a_x
    np.tanh(z, out=z)
    return z, z


def rnn_step_backward(dh_new: np.ndarray, cache: np.ndarray, W_h: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Backward of :func:`rnn_step`. With da = dL/d(pre-activation):

        da = dh_new * (1 - h_new^2),    dh = da W_h^T.

    ``da`` (batch, H) is also dL/da_x; the caller forms dW_h = h^T da, dW_x = x^T da and
    db = sum over the batch of da. Returns ``(da, dh)``.
    """
    h_new = cache
    da = h_new * h_new
    np.subtract(1.0, da, out=da)
    da *= dh_new
    return da, da @ W_h.T


def _lstm_scales(H: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-column scale and offset that turn one tanh over all 4H pre-activations into
    three sigmoids (i, f, o: sigma(z) = 0.5 tanh(0.5 z) + 0.5) and one tanh (g)."""
    s = np.full(4 * H, 0.5, dtype=dtype)
    s[2 * H:3 * H] = 1.0
    off = np.full(4 * H, 0.5, dtype=dtype)
    off[2 * H:3 * H] = 0.0
    return s, off


def lstm_step(a_x: np.ndarray, h: np.ndarray, c: np.ndarray, W_h: np.ndarray,
              scales: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """One step of the LSTM with a forget gate (Hochreiter and Schmidhuber, 1997; Gers,
    Schmidhuber and Cummins, 2000):

        [z_i, z_f, z_g, z_o] = a_x + h W_h,     a_x = x W_x + b
        i = sigma(z_i),  f = sigma(z_f),  g = tanh(z_g),  o = sigma(z_o)
        c_new = f * c + i * g,    h_new = o * tanh(c_new).

    ``a_x``: (batch, 4H); ``h``, ``c``: (batch, H); ``W_h``: (H, 4H). Returns
    ``(h_new, c_new, cache)``. Derived in :doc:`/book/rnn/gated-cells`.
    """
    H = h.shape[-1]
    s, off = _lstm_scales(H, a_x.dtype) if scales is None else scales
    A = h @ W_h
    A += a_x
    A *= s                       # one tanh for all four gates:
    np.tanh(A, out=A)            # sigma(z) = 0.5 tanh(z/2) + 0.5 on the i, f, o columns
    A *= s                       # tanh(z) on the g columns
    A += off
    i, f, g, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
    c_new = f * c
    c_new += i * g               # the cell state: forget part of the old, write the new
    tc = np.tanh(c_new)
    h_new = o * tc               # the output gate decides what the state shows
    return h_new, c_new, (A, c, tc)


def lstm_step_backward(dh_new: np.ndarray, dc_new: np.ndarray, cache: tuple[Any, ...],
                       W_h: np.ndarray, out: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`lstm_step`. With dc the total gradient of the cell state,

        dc = dc_new + dh_new * o * (1 - tanh(c_new)^2)
        dz_i = dc g i (1 - i),   dz_f = dc c f (1 - f),   dz_g = dc i (1 - g^2),
        dz_o = dh_new tanh(c_new) o (1 - o),
        dc_prev = dc * f   (the constant-error carousel),   dh_prev = dz W_h^T.

    Returns ``(dz, dh_prev, dc_prev)``; ``dz`` (batch, 4H) is also dL/da_x (written into
    ``out`` when given). The caller forms dW_h = h^T dz, dW_x = x^T dz, db = sum dz.
    """
    A, c, tc = cache
    H = c.shape[-1]
    i, f, g, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
    dc = tc * tc
    np.subtract(1.0, dc, out=dc)
    dc *= o
    dc *= dh_new
    dc += dc_new
    D = A * A                    # the gates' derivatives: sigma' = sigma - sigma^2 ...
    np.subtract(A, D, out=D)
    Dg = D[:, 2 * H:3 * H]
    np.multiply(g, g, out=Dg)    # ... and tanh' = 1 - g^2 on the g columns
    np.subtract(1.0, Dg, out=Dg)
    dz = np.empty_like(A) if out is None else out
    np.multiply(dc, g, out=dz[:, :H])              # dL/di
    np.multiply(dc, c, out=dz[:, H:2 * H])         # dL/df
    np.multiply(dc, i, out=dz[:, 2 * H:3 * H])     # dL/dg
    np.multiply(dh_new, tc, out=dz[:, 3 * H:])     # dL/do
    dz *= D
    return dz, dz @ W_h.T, dc * f


def gru_step(a_x: np.ndarray, h: np.ndarray, W_h: np.ndarray, b_hn: np.ndarray
             ) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """One step of the GRU (Cho et al., 2014), in the form of cuDNN and PyTorch, where
    the reset gate multiplies the recurrent product rather than the state:

        [a_r, a_z, a_n] = a_x = x W_x + b,   [u_r, u_z, u_n] = h W_h,   u_n += b_hn
        r = sigma(a_r + u_r),   z = sigma(a_z + u_z),   n = tanh(a_n + r * u_n)
        h_new = (1 - z) * n + z * h.

    ``a_x``: (batch, 3H); ``h``: (batch, H); ``W_h``: (H, 3H); ``b_hn``: (H,). Returns
    ``(h_new, cache)``. Derived in :doc:`/book/rnn/gated-cells`.
    """
    H = h.shape[-1]
    U = h @ W_h
    U[:, 2 * H:] += b_hn
    rz = U[:, :2 * H] + a_x[:, :2 * H]
    rz = _sigmoid_tanh(rz)
    r, z = rz[:, :H], rz[:, H:]
    u_n = U[:, 2 * H:]
    n = r * u_n
    n += a_x[:, 2 * H:]
    np.tanh(n, out=n)
    h_new = h - n                # h_new = n + z (h - n)
    h_new *= z
    h_new += n
    return h_new, (rz, n, u_n, h)


def gru_step_backward(dh_new: np.ndarray, cache: tuple[Any, ...], W_h: np.ndarray,
                      out_a: np.ndarray | None = None, out_u: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`gru_step`:

        dn = dh_new (1 - z),   dz = dh_new (h - n),   dh_prev = dh_new z + du W_h^T
        da_n = dn (1 - n^2),   du_n = da_n r,   dr = da_n u_n
        da_r = du_r = dr r (1 - r),   da_z = du_z = dz z (1 - z).

    Returns ``(da, du, dh_prev)``: ``da`` (batch, 3H) = dL/da_x, ``du`` (batch, 3H) =
    dL/d(h W_h) (its last H columns are also dL/db_hn). The caller forms dW_x = x^T da,
    db = sum da, dW_h = h^T du, db_hn = sum du_n.
    """
    rz, n, u_n, h = cache
    H = h.shape[-1]
    r, z = rz[:, :H], rz[:, H:]
    da = np.empty(rz.shape[:-1] + (3 * H,), dtype=rz.dtype) if out_a is None else out_a
    du = np.empty_like(da) if out_u is None else out_u
    dan = da[:, 2 * H:]
    np.multiply(n, n, out=dan)
    np.subtract(1.0, dan, out=dan)
    dan *= dh_new
    dan -= dan * z               # da_n = dh_new (1 - z) (1 - n^2)
    np.multiply(dan, r, out=du[:, 2 * H:])
    np.multiply(dan, u_n, out=da[:, :H])          # dr
    np.subtract(h, n, out=da[:, H:2 * H])
    da[:, H:2 * H] *= dh_new                      # dz
    da[:, :2 * H] *= rz - rz * rz                 # through the two sigmoids
    du[:, :2 * H] = da[:, :2 * H]
    dh = du @ W_h.T
    dh += dh_new * z
    return da, du, dh


# --- shared parameter set-up and checks -----------------------------------------------


def _init_weights(module: RNNCell, input_size: int, hidden_size: int, n_gates: int,
                  rng: np.random.Generator, dtype: Any) -> None:
    """W_x, W_h, b drawn from U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default for RNNs."""
    check_rng(rng)
    module.input_size = check_int(input_size, "input_size")
    module.hidden_size = check_int(hidden_size, "hidden_size")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = np.dtype(object)
    if dt.kind != "f" or isinstance(dtype, (int, float)):
        raise ArgumentTypeError(
            f"dtype must be a floating NumPy type (np.float32 or np.float64); "
            f"got {dtype!r}")
    k = 1.0 / np.sqrt(module.hidden_size)
    G = n_gates * module.hidden_size
    module.add_param("W_x", rng.uniform(-k, k, (module.input_size, G)).astype(dt))
    module.add_param("W_h", rng.uniform(-k, k, (module.hidden_size, G)).astype(dt))
    module.add_param("b", rng.uniform(-k, k, G).astype(dt))


def _check_state(s: Any, name: str, batch: int, H: int, dtype: np.dtype) -> np.ndarray:
    arr = as_float_array(s, name, ndim=2, shape_hint=f"(batch, {H})")
    if arr.shape != (batch, H):
        raise ValueError(
            f"{name} must have shape (batch, hidden_size) = ({batch}, {H}); "
            f"got shape {arr.shape}"
        )
    return arr.astype(dtype, copy=False)


def _check_sequence(X: Any, n_in: int, dtype: np.dtype) -> np.ndarray:
    X = as_float_array(X, "X", ndim=3, shape_hint=f"(batch, T, {n_in})",
                       allow_empty=True)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            "X must hold at least one sequence of at least one time step; "
            f"got shape {X.shape}"
        )
    if X.shape[2] != n_in:
        raise ValueError(
            f"X must have shape (batch, T, input_size) with input_size = {n_in}; "
            f"got shape {X.shape}"
        )
    return X.astype(dtype, copy=False)


def _check_step_input(x: Any, n_in: int, dtype: np.dtype) -> np.ndarray:
    x = as_float_array(x, "x", ndim=2, shape_hint=f"(batch, {n_in})")
    if x.shape[1] != n_in:
        raise ValueError(
            f"x must have shape (batch, input_size) with input_size = {n_in}; "
            f"got shape {x.shape}"
        )
    return x.astype(dtype, copy=False)


def _project(X: np.ndarray, W_x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The input projections of all steps at once, time-major: A_x[t] = X[:, t] W_x + b.

    ``X``: (batch, T, D) -> (T, batch, G H). With D = 1 (a scalar series) a broadcast
    product replaces the K = 1 matrix product, which BLAS runs several times slower."""
    B, T, D = X.shape
    Xt = X.transpose(1, 0, 2)
    if D == 1:
        A = Xt * W_x[0]
    else:
        A = (np.ascontiguousarray(Xt).reshape(T * B, D) @ W_x).reshape(T, B, -1)
    A += b
    return A


def _weight_grads(module: Module, X: np.ndarray, Hs: np.ndarray, dA: np.ndarray,
                  dU: np.ndarray, input_grad: bool) -> np.ndarray | None:
    """dW_x = X^T dA, db = sum dA, dW_h = H_prev^T dU over all steps, each one product;
    returns dX = dA W_x^T (batch, T, D) when ``input_grad``."""
    T, B, G = dA.shape
    D = X.shape[2]
    dA2 = dA.reshape(T * B, G)
    Xt = np.ascontiguousarray(X.transpose(1, 0, 2)).reshape(T * B, D)
    module.grads["W_x"] += Xt.T @ dA2
    module.grads["b"] += dA2.sum(axis=0)
    module.grads["W_h"] += Hs.reshape(T * B, -1).T @ dU.reshape(T * B, G)
    if not input_grad:
        return None
    return (dA2 @ module.params["W_x"].T).reshape(T, B, D).transpose(1, 0, 2)


def _split_dY(dY: Any, n_states: int) -> tuple[Any, list[Any]]:
    if isinstance(dY, tuple):
        if len(dY) != 1 + n_states:
            raise ValueError(
                f"dY must be dL/dY or a tuple of {1 + n_states} gradients (output, "
                f"final states); got a tuple of {len(dY)}"
            )
        return dY[0], list(dY[1:])
    return dY, [None] * n_states


# --- cells: one step
# --------------------------------------------------------------------


class RNNCell(Module):
    """One step of the Elman RNN: h_new = tanh(x W_x + h W_h + b).

    ``x``: (batch, input_size); ``h``: (batch, hidden_size), zeros when omitted;
    ``W_x``: (input_size, H), ``W_h``: (H, H), ``b``: (H,), all drawn from
    U(-1/sqrt(H), 1/sqrt(H)). ``backward(dh_new)`` returns dL/dx, or ``(dx, dh)`` when
    ``h`` was given. Derived in :doc:`/book/rnn/recurrent-networks`.
    """

    n_gates = 1
    input_size: int
    hidden_size: int

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator,
                 dtype: Any = np.float64) -> None:
        super().__init__()
        _init_weights(self, input_size, hidden_size, self.n_gates, rng, dtype)

    def _inputs(self, x: Any, states: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
        dt = self.dtype
        x = _check_step_input(x, self.input_size, dt)
        names = ("h", "c")
        full = [
            np.zeros((x.shape[0], self.hidden_size), dt) if s is None
            else _check_state(s, names[k], x.shape[0], self.hidden_size, dt)
            for k, s in enumerate(states)
        ]
        return (x, *full)

    def forward(self, x: np.ndarray, h: np.ndarray | None = None) -> np.ndarray:
        """h_new (batch, H) from x (batch, input_size) and h (batch, H)."""
        x, h_ = self._inputs(x, (h,))
        a_x = x @ self.params["W_x"] + self.params["b"]
        h_new, cache = rnn_step(a_x, h_, self.params["W_h"])
        self._save(x, h_, cache, h is not None)
        return h_new

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """dW_x += x^T da, dW_h += h^T da, db += sum da; returns dx or (dx, dh)."""
        x, h, cache, given = self._saved()
        dh_new = self._check_dY(dY, h.shape).astype(h.dtype, copy=False)
        da, dh = rnn_step_backward(dh_new, cache, self.params["W_h"])
        self.grads["W_x"] += x.T @ da
        self.grads["W_h"] += h.T @ da
        self.grads["b"] += da.sum(axis=0)
        if not input_grad:
            return None
        dx = da @ self.params["W_x"].T
        return (dx, dh) if given else dx

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, dtype={self.dtype}"


class LSTMCell(RNNCell):
    """One step of the LSTM (:func:`lstm_step`): (h_new, c_new) from x, h and c.

    ``x``: (batch, input_size); ``h``, ``c``: (batch, H), zeros when omitted; ``W_x``:
    (input_size, 4H), ``W_h``: (H, 4H), ``b``: (4H,) with gates ordered i, f, g, o. The
    forget-gate bias starts at ``forget_bias`` (1 by default, Jozefowicz et al., 2015)
    so that the cell remembers at the start of training. ``backward((dh_new, dc_new))``
    returns dx, or ``(dx, dh, dc)`` when h and c were given. Derived in
    :doc:`/book/rnn/gated-cells`.
    """

    n_gates = 4

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator,
                 dtype: Any = np.float64, forget_bias: float = 1.0) -> None:
        super().__init__(input_size, hidden_size, rng, dtype)
        fb = check_float(forget_bias, "forget_bias")
        H = self.hidden_size
        self.params["b"][H:2 * H] = fb

    def forward(  # type: ignore[override]
            self, x: np.ndarray, h: np.ndarray | None = None,
            c: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(h_new, c_new), each (batch, H)."""
        x, h_, c_ = self._inputs(x, (h, c))
        a_x = x @ self.params["W_x"] + self.params["b"]
        h_new, c_new, cache = lstm_step(a_x, h_, c_, self.params["W_h"])
        self._save(x, h_, cache, h is not None or c is not None)
        return h_new, c_new

    def backward(self, dY: Any, input_grad: bool = True) -> Any:
        """``dY`` = (dh_new, dc_new); returns dx or (dx, dh, dc)."""
        x, h, cache, given = self._saved()
        if not (isinstance(dY, tuple) and len(dY) == 2):
            raise ValueError("dY must be a tuple (dh_new, dc_new) for an LSTMCell; "
                             f"got {type(dY).__name__}")
        dh_new = self._check_dY(dY[0], h.shape).astype(h.dtype, copy=False)
        dc_new = self._check_dY(dY[1], h.shape).astype(h.dtype, copy=False)
        dz, dh, dc = lstm_step_backward(dh_new, dc_new, cache, self.params["W_h"])
        self.grads["W_x"] += x.T @ dz
        self.grads["W_h"] += h.T @ dz
        self.grads["b"] += dz.sum(axis=0)
        if not input_grad:
            return None
        dx = dz @ self.params["W_x"].T
        return (dx, dh, dc) if given else dx


class GRUCell(RNNCell):
    """One step of the GRU (:func:`gru_step`): h_new from x and h.

    ``x``: (batch, input_size); ``h``: (batch, H), zeros when omitted; ``W_x``:
    (input_size, 3H), ``W_h``: (H, 3H), ``b``: (3H,) with gates ordered r, z, n, and
    ``b_hn``: (H,), the bias inside the reset product. ``backward(dh_new)`` returns dx,
    or ``(dx, dh)`` when h was given. Derived in :doc:`/book/rnn/gated-cells`.
    """

    n_gates = 3

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator,
                 dtype: Any = np.float64) -> None:
        super().__init__(input_size, hidden_size, rng, dtype)
        k = 1.0 / np.sqrt(self.hidden_size)
        self.add_param("b_hn", rng.uniform(-k, k, self.hidden_size).astype(self.dtype))

    def forward(self, x: np.ndarray, h: np.ndarray | None = None) -> np.ndarray:
        """h_new (batch, H)."""
        x, h_ = self._inputs(x, (h,))
        a_x = x @ self.params["W_x"] + self.params["b"]
        h_new, cache = gru_step(a_x, h_, self.params["W_h"], self.params["b_hn"])
        self._save(x, h_, cache, h is not None)
        return h_new

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> Any:
        """dW_x += x^T da, db += sum da, dW_h += h^T du, db_hn += sum du_n."""
        x, h, cache, given = self._saved()
        dh_new = self._check_dY(dY, h.shape).astype(h.dtype, copy=False)
        da, du, dh = gru_step_backward(dh_new, cache, self.params["W_h"])
        H = self.hidden_size
        self.grads["W_x"] += x.T @ da
        self.grads["b"] += da.sum(axis=0)
        self.grads["W_h"] += h.T @ du
        self.grads["b_hn"] += du[:, 2 * H:].sum(axis=0)
        if not input_grad:
            return None
        dx = da @ self.params["W_x"].T
        return (dx, dh) if given else dx


# --- sequence layers: the same step at every position --------------------------------


class RNN(RNNCell):
    """The Elman RNN over a whole sequence: h_t = tanh(x_t W_x + h_{t-1} W_h + b).

    ``forward(X, h0=None, return_state=False)``: ``X``: (batch, T, input_size) ->
    ``Y``: (batch, T, H), the states h_1 ... h_T (and ``(Y, h_T)`` with
    ``return_state``). ``h0`` (batch, H) defaults to zeros. The input projections of all
    steps are one product; the loop over time holds only h_{t-1} W_h. ``backward``
    (backpropagation through time) takes dL/dY, or ``(dY, dh_T)``, and returns dX, or
    ``(dX, dh0)`` when ``h0`` was given. Derived in :doc:`/book/rnn/recurrent-networks`.
    """

    def forward(
            self, X: np.ndarray, h0: np.ndarray | None = None,
                return_state: bool = False) -> Any:
        """Y (batch, T, H), or (Y, h_T) with ``return_state``."""
        X, Hs, given = self._begin(X, (h0,))
        W_h = self.params["W_h"]
        A = _project(X, self.params["W_x"], self.params["b"])
        for t in range(X.shape[1]):
            Hs[t + 1] = rnn_step(A[t], Hs[t], W_h)[0]
        self._save(X, Hs, given)
        return self._outputs(Hs, (Hs[-1],), return_state)

    def backward(self, dY: Any, input_grad: bool = True) -> Any:
        """BPTT: da_t = (dY_t + da_{t+1} W_h^T) * (1 - h_t^2), from t = T down to 1."""
        X, Hs, given = self._saved()
        dYt, (dh,) = self._dY(dY, Hs, 1)
        W_h = self.params["W_h"]
        dA = np.empty_like(Hs[1:])
        for t in range(X.shape[1] - 1, -1, -1):
            g = dYt[t] + dh
            dA[t], dh = rnn_step_backward(g, Hs[t + 1], W_h)
        dX = _weight_grads(self, X, Hs[:-1], dA, dA, input_grad)
        return self._grads_out(dX, (dh,), given, input_grad)

    # shared machinery of the sequence layers -----------------------------------------

    def _begin(self, X: Any, states: tuple[Any, ...]
               ) -> tuple[np.ndarray, np.ndarray, int]:
        """Checked X, the state buffer Hs (T+1, batch, H) with Hs[0] = h0, and how many
        initial states were given (their gradients are returned)."""
        X = _check_sequence(X, self.input_size, self.dtype)
        B, T = X.shape[:2]
        Hs = np.empty((T + 1, B, self.hidden_size), dtype=self.dtype)
        h0 = states[0]
        Hs[0] = 0 if h0 is None else _check_state(h0, "h0", B, self.hidden_size,
                                                  self.dtype)
        given = max((k + 1 for k, s in enumerate(states) if s is not None), default=0)
        return X, Hs, given

    def _outputs(self, Hs: np.ndarray, finals: tuple[np.ndarray, ...],
                 return_state: bool) -> Any:
        check_type(return_state, bool, "return_state")
        Y = np.ascontiguousarray(Hs[1:].transpose(1, 0, 2))
        return (Y, *(f.copy() for f in finals)) if return_state else Y

    def _dY(self, dY: Any, Hs: np.ndarray, n_states: int
            ) -> tuple[np.ndarray, list[np.ndarray]]:
        dY_out, finals = _split_dY(dY, n_states)
        T, B, H = Hs.shape[0] - 1, Hs.shape[1], Hs.shape[2]
        dY_out = self._check_dY(dY_out, (B, T, H)).astype(Hs.dtype, copy=False)
        states = [np.zeros((B, H), Hs.dtype) if f is None
                  else self._check_dY(f, (B, H)).astype(Hs.dtype) for f in finals]
        return dY_out.transpose(1, 0, 2), states

    @staticmethod
    def _grads_out(dX: np.ndarray | None, dstates: tuple[np.ndarray, ...], given: int,
                   input_grad: bool) -> Any:
        if not input_grad:
            return None
        return (dX, *dstates[:given]) if given else dX


class LSTM(RNN):
    """The LSTM over a whole sequence (:func:`lstm_step` at every position).

    ``LSTM(input_size, hidden_size, rng, dtype=np.float64, forget_bias=1.0)``;
    ``forward(X, h0=None, c0=None, return_state=False)``: ``X``: (batch, T, input_size)
    -> ``Y``: (batch, T, H) (and ``(Y, h_T, c_T)`` with ``return_state``). Parameters
    ``W_x`` (input_size, 4H), ``W_h`` (H, 4H), ``b`` (4H,), gates ordered i, f, g, o as
    in PyTorch. ``backward`` takes dY or ``(dY, dh_T, dc_T)`` and returns dX, or dX with
    the gradients of the initial states that were given. Derived in
    :doc:`/book/rnn/gated-cells`.
    """

    n_gates = 4

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator,
                 dtype: Any = np.float64, forget_bias: float = 1.0) -> None:
        super().__init__(input_size, hidden_size, rng, dtype)
        fb = check_float(forget_bias, "forget_bias")
        H = self.hidden_size
        self.params["b"][H:2 * H] = fb

    def forward(  # type: ignore[override]
            self, X: np.ndarray, h0: np.ndarray | None = None,
                c0: np.ndarray | None = None, return_state: bool = False) -> Any:
        """Y (batch, T, H), or (Y, h_T, c_T) with ``return_state``."""
        X, Hs, given = self._begin(X, (h0, c0))
        B, T = X.shape[:2]
        c = (np.zeros((B, self.hidden_size), self.dtype) if c0 is None
             else _check_state(c0, "c0", B, self.hidden_size, self.dtype))
        W_h = self.params["W_h"]
        scales = _lstm_scales(self.hidden_size, W_h.dtype)
        A = _project(X, self.params["W_x"], self.params["b"])
        caches = []
        for t in range(T):
            h, c, cache = lstm_step(A[t], Hs[t], c, W_h, scales)
            Hs[t + 1] = h
            caches.append(cache)
        self._save(X, Hs, caches, given)
        return self._outputs(Hs, (Hs[-1], c), return_state)

    def backward(self, dY: Any, input_grad: bool = True) -> Any:
        """BPTT through :func:`lstm_step_backward`; the cell-state gradient dc flows
        from step to step multiplied only by the forget gate."""
        X, Hs, caches, given = self._saved()
        dYt, (dh, dc) = self._dY(dY, Hs, 2)
        W_h = self.params["W_h"]
        T, B, H = Hs.shape[0] - 1, Hs.shape[1], Hs.shape[2]
        dA = np.empty((T, B, 4 * H), dtype=Hs.dtype)
        for t in range(T - 1, -1, -1):
            _, dh, dc = lstm_step_backward(dYt[t] + dh, dc, caches[t], W_h, out=dA[t])
        dX = _weight_grads(self, X, Hs[:-1], dA, dA, input_grad)
        return self._grads_out(dX, (dh, dc), given, input_grad)


class GRU(RNN):
    """The GRU over a whole sequence (:func:`gru_step` at every position).

    ``forward(X, h0=None, return_state=False)``: ``X``: (batch, T, input_size) -> ``Y``:
    (batch, T, H) (and ``(Y, h_T)`` with ``return_state``). Parameters ``W_x``
    (input_size, 3H), ``W_h`` (H, 3H), ``b`` (3H,), ``b_hn`` (H,), gates ordered r, z,
    n as in PyTorch. ``backward`` takes dY or ``(dY, dh_T)`` and returns dX, or
    ``(dX, dh0)`` when ``h0`` was given. Derived in :doc:`/book/rnn/gated-cells`.
    """

    n_gates = 3

    def __init__(self, input_size: int, hidden_size: int, rng: np.random.Generator,
                 dtype: Any = np.float64) -> None:
        super().__init__(input_size, hidden_size, rng, dtype)
        k = 1.0 / np.sqrt(self.hidden_size)
        self.add_param("b_hn", rng.uniform(-k, k, self.hidden_size).astype(self.dtype))

    def forward(
            self, X: np.ndarray, h0: np.ndarray | None = None,
                return_state: bool = False) -> Any:
        """Y (batch, T, H), or (Y, h_T) with ``return_state``."""
        X, Hs, given = self._begin(X, (h0,))
        W_h, b_hn = self.params["W_h"], self.params["b_hn"]
        A = _project(X, self.params["W_x"], self.params["b"])
        caches = []
        for t in range(X.shape[1]):
            h, cache = gru_step(A[t], Hs[t], W_h, b_hn)
            Hs[t + 1] = h
            caches.append(cache)
        self._save(X, Hs, caches, given)
        return self._outputs(Hs, (Hs[-1],), return_state)

    def backward(self, dY: Any, input_grad: bool = True) -> Any:
        """BPTT through :func:`gru_step_backward`."""
        X, Hs, caches, given = self._saved()
        dYt, (dh,) = self._dY(dY, Hs, 1)
        W_h = self.params["W_h"]
        T, B, H = Hs.shape[0] - 1, Hs.shape[1], Hs.shape[2]
        dA = np.empty((T, B, 3 * H), dtype=Hs.dtype)
        dU = np.empty_like(dA)
        for t in range(T - 1, -1, -1):
            _, _, dh = gru_step_backward(dYt[t] + dh, caches[t], W_h, dA[t], dU[t])
        self.grads["b_hn"] += dU[:, :, 2 * H:].sum(axis=(0, 1))
        dX = _weight_grads(self, X, Hs[:-1], dA, dU, input_grad)
        return self._grads_out(dX, (dh,), given, input_grad)


# --- wrappers
# ---------------------------------------------------------------------------


class Bidirectional(Module):
    """Two sequence layers, one reading left to right and one right to left (Schuster
    and Paliwal, 1997); their outputs are concatenated:

        Y[:, t] = [forward_layer(X)[:, t], reverse(backward_layer(reverse(X)))[:, t]].

    ``X``: (batch, T, input_size) -> ``Y``: (batch, T, H_f + H_b). Each position's
    output sees the whole sequence. ``backward`` splits dY, runs both layers' backward
    passes and adds their input gradients. Derived in :doc:`/book/rnn/gated-cells`.
    """

    def __init__(self, forward_layer: Module, backward_layer: Module) -> None:
        super().__init__()
        check_type(forward_layer, Module, "forward_layer")
        check_type(backward_layer, Module, "backward_layer")
        self.forward_layer = forward_layer
        self.backward_layer = backward_layer

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Concatenate the two directions along the last axis."""
        X = as_float_array(X, "X", ndim=3, shape_hint="(batch, T, input_size)",
                           allow_empty=True)
        Yf = self.forward_layer(X)
        Yb = self.backward_layer(X[:, ::-1])[:, ::-1]
        self._save(Yf.shape[-1], Yb.shape[-1], X.shape)
        return np.concatenate([Yf, Yb], axis=-1)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX = dX_forward + reverse(dX_backward)."""
        Hf, Hb, shape = self._saved()
        dY = self._check_dY(dY, shape[:2] + (Hf + Hb,))
        db = self.backward_layer.backward(
            np.ascontiguousarray(dY[:, ::-1, Hf:]), input_grad=input_grad)
        df = self.forward_layer.backward(np.ascontiguousarray(dY[:, :, :Hf]),
                                         input_grad=input_grad)
        if not input_grad:
            return None
        out: np.ndarray = df + db[:, ::-1]
        return out


def stacked(layer: type, input_size: int, hidden_size: int, num_layers: int,
            rng: np.random.Generator, *, bidirectional: bool = False,
            dtype: Any = np.float64) -> Sequential:
    """``num_layers`` sequence layers of class ``layer`` (:class:`RNN`, :class:`LSTM`,
    :class:`GRU`), each reading the previous one's output sequence, optionally each
    bidirectional: PyTorch's ``num_layers`` and ``bidirectional`` options.

    ``X``: (batch, T, input_size) -> (batch, T, H) or (batch, T, 2H) when bidirectional.
    Derived in :doc:`/book/rnn/gated-cells`.
    """
    check_type(layer, type, "layer")
    if not issubclass(layer, RNN):
        raise TypeError(f"layer must be RNN, LSTM or GRU; got {layer.__name__}")
    n = check_int(num_layers, "num_layers")
    check_type(bidirectional, bool, "bidirectional")
    layers: list[Module] = []
    n_in = input_size
    for _ in range(n):
        if bidirectional:
            layers.append(Bidirectional(layer(n_in, hidden_size, rng, dtype=dtype),
                                        layer(n_in, hidden_size, rng, dtype=dtype)))
            n_in = 2 * hidden_size
        else:
            layers.append(layer(n_in, hidden_size, rng, dtype=dtype))
            n_in = hidden_size
    return Sequential(layers)


class LastStep(Module):
    """The output at the last time step: (batch, T, H) -> (batch, H). A many-to-one
    read-out; the backward pass puts dY at position T and zeros elsewhere."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X[:, -1]."""
        X = as_float_array(X, "X", ndim=3, shape_hint="(batch, T, H)")
        self._save(X.shape, X.dtype)
        return X[:, -1].copy()

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX[:, -1] = dY, zeros elsewhere."""
        shape, dtype = self._saved()
        dY = self._check_dY(dY, (shape[0], shape[2]))
        if not input_grad:
            return None
        dX = np.zeros(shape, dtype=dtype)
        dX[:, -1] = dY
        return dX


class TimeFlatten(Module):
    """Every time step's output side by side: (batch, T, H) -> (batch, T H), the
    read-out of the MNIST-1D reference GRU (a linear layer on all the states)."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X.reshape(batch, T H)."""
        X = as_float_array(X, "X", ndim=3, shape_hint="(batch, T, H)")
        self._save(X.shape)
        return X.reshape(X.shape[0], -1)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX = dY.reshape(batch, T, H)."""
        shape = self._saved()
        dY = self._check_dY(dY, (shape[0], shape[1] * shape[2]))
        return dY.reshape(shape) if input_grad else None
