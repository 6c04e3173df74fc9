"""Layers with a forward and a backward pass. Derived in
:doc:`/book/mlp/multilayer-perceptron`.

Every layer is a :class:`~nnbook.nn.module.Module`: ``forward`` caches what the backward
pass needs (a stack, last in first out), ``backward(dY, input_grad=True)`` *adds* the
parameter gradients into ``grads`` and returns dL/dX. The mathematics of the activations
lives in :mod:`nnbook.nn.activations`; the layers here only cache the input and call
those functions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._checks import as_float_array, check_dtype, check_float, check_int, check_rng
from . import activations as act
from .init import get_initializer
from .module import Module

__all__ = [
    "Dense",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "ELU",
    "GELU",
    "SiLU",
    "Softplus",
]


class Dense(Module):
    """Fully connected (affine) layer: Y = X W + b.

    Shapes: ``X``: (batch, n_in) (any leading dimensions are allowed: (..., n_in)),
    ``W``: (n_in, n_out), ``b``: (n_out,), ``Y``: (batch, n_out).

    Backward, for dY = dL/dY of shape (batch, n_out), *added* into ``grads``:

        dW += X^T dY   (n_in, n_out)      db += sum over the batch of dY   (n_out,)
        dX  = dY W^T   (batch, n_in)

    ``W`` is drawn with the named ``init`` scheme of :mod:`nnbook.nn.init` ("he",
    "xavier", "lecun", "zeros", ... or a callable (fan_in, fan_out, rng, dtype) -> W);
    ``b`` starts at 0. Derived in :doc:`/book/mlp/multilayer-perceptron`.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        rng: np.random.Generator,
        init: str | Callable[..., np.ndarray] = "he",
        dtype: type | np.dtype = np.float64,
    ) -> None:
        super().__init__()
        check_rng(rng)
        self.n_in = check_int(n_in, "n_in")
        self.n_out = check_int(n_out, "n_out")
        dt = check_dtype(dtype)
        W = np.asarray(get_initializer(init)(self.n_in, self.n_out, rng, dtype))
        if W.shape != (self.n_in, self.n_out):
            raise ValueError(
                f"init must return an array of shape {(self.n_in, self.n_out)}; "
                f"got {W.shape}"
            )
        self.add_param("W", W.astype(dt, copy=False))
        self.add_param("b", np.zeros(self.n_out, dtype=dt))

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X W + b; caches X. ``X``: (batch, n_in) -> ``Y``: (batch, n_out)."""
        X = as_float_array(X, "X", shape_hint=f"(batch, {self.n_in})")
        if X.ndim < 2 or X.shape[-1] != self.n_in:
            raise ValueError(
                f"X must have shape (batch, {self.n_in}) (n_in = {self.n_in} columns); "
                f"got shape {X.shape}"
            )
        W, b = self.params["W"], self.params["b"]
        X = X.astype(W.dtype, copy=False)
        self._save(X)
        Y = X @ W
        # the bias broadcast over the rows, in place: no second (batch, n_out) array
        Y += b
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dW += X^T dY, db += sum_batch dY, dX = dY W^T.

        ``dY``: (batch, n_out) -> ``dX``: (batch, n_in). With ``input_grad=False`` the
        product dY W^T is skipped and None returned: the first layer of a network needs
        no gradient with respect to the data, and for it that product is the most
        expensive matmul of the backward pass."""
        X = self._saved()
        W = self.params["W"]
        dY = self._check_dY(dY, X.shape[:-1] + (self.n_out,)).astype(
            W.dtype, copy=False
        )
        X2, dY2 = (
            X.reshape(-1, self.n_in),
            dY.reshape(-1, self.n_out),
        )  # fold leading axes
        self.grads["W"] += X2.T @ dY2
        self.grads["b"] += dY2.sum(axis=0)
        return dY @ W.T if input_grad else None

    def flops_per_example(self) -> int:
        """Multiply-adds of one example's forward pass: n_in * n_out."""
        return self.n_in * self.n_out

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, dtype={self.params['W'].dtype})"


class _Elementwise(Module):
    """An elementwise activation Y = f(Z): caches Z, backward returns f'(Z) * dY
    (computed by the ``*_backward`` twin in :mod:`nnbook.nn.activations`)."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = f(X) elementwise; caches X. Any shape; the output keeps shape and
        dtype."""
        X = as_float_array(X, "X")
        self._save(X)
        return self._f(X)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX = f'(X) * dY elementwise (None when ``input_grad`` is False)."""
        Z = self._saved()
        dY = self._check_dY(dY, Z.shape)
        if not input_grad:
            return None
        return self._f_backward(Z, dY).astype(Z.dtype, copy=False)


class Identity(_Elementwise):
    """Y = X, dX = dY: a placeholder (e.g. the linear output of a regression
    network)."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return dY


class ReLU(_Elementwise):
    """Y = max(X, 0); dX = dY * 1[X > 0]. Wraps :func:`nnbook.nn.activations.relu`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.relu(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.relu_backward(Z, dY)


class LeakyReLU(_Elementwise):
    """Y = X for X > 0, alpha X otherwise; dX = dY * (1 or alpha).
    Wraps :func:`nnbook.nn.activations.leaky_relu`."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = check_float(alpha, "alpha", low=0.0)

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.leaky_relu(Z, self.alpha)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.leaky_relu_backward(Z, dY, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Sigmoid(_Elementwise):
    """Y = 1 / (1 + exp(-X)); dX = dY * Y (1 - Y).
    Wraps :func:`nnbook.nn.activations.sigmoid`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.sigmoid(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.sigmoid_backward(Z, dY)


class Tanh(_Elementwise):
    """Y = tanh(X); dX = dY * (1 - Y^2). Wraps :func:`nnbook.nn.activations.tanh`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.tanh(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.tanh_backward(Z, dY)


class ELU(_Elementwise):
    """Y = X for X > 0, alpha (exp(X) - 1) otherwise.
    Wraps :func:`nnbook.nn.activations.elu`."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_float(alpha, "alpha", low=0.0)

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.elu(Z, self.alpha)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.elu_backward(Z, dY, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(_Elementwise):
    """Y = X Phi(X) (exact GELU). Wraps :func:`nnbook.nn.activations.gelu`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.gelu(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.gelu_backward(Z, dY)


class SiLU(_Elementwise):
    """Y = X sigma(X) (SiLU, Swish-1). Wraps :func:`nnbook.nn.activations.silu`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.silu(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.silu_backward(Z, dY)


class Softplus(_Elementwise):
    """Y = log(1 + exp(X)); dX = dY * sigma(X).
    Wraps :func:`nnbook.nn.activations.softplus`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.softplus(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.softplus_backward(Z, dY)
