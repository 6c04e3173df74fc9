"""Layers with a forward and a backward pass. Derived in :doc:`/book/mlp/multilayer-perceptron`.

The contract every layer keeps (Parts II and III build on it):

* ``params``: dict name -> array, the trainable parameters (empty for activations);
* ``grads``: dict with the same keys and shapes, filled by ``backward``. Each call to
  ``backward`` **overwrites** ``grads``; nothing accumulates, so there is no ``zero_grad``;
* ``training``: bool, True while training (dropout and batch normalization behave differently
  in evaluation; :class:`nnbook.model.Sequential` sets it with ``train()`` / ``eval()``);
* ``forward(X) -> Y`` caches what the backward pass needs; ``layer(X)`` is the same call;
* ``backward(dY) -> dX`` takes dL/dY (the shape of ``Y``) and returns dL/dX (the shape of ``X``).

The mathematics of the activations lives in :mod:`nnbook.activations`; the layers here only
cache the input and call those functions.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import activations as act
from ._checks import as_float_array, check_rng
from .init import get_initializer

__all__ = [
    "Layer", "Dense",
    "Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ELU", "GELU", "SiLU", "Softplus",
    "Residual",
]


class Layer:
    """Base class: a differentiable map Y = f(X; params) with a backward pass.

    Subclasses implement ``forward(X)`` (cache what backward needs, return ``Y``) and
    ``backward(dY)`` (write dL/dparams into ``self.grads``, overwriting them, and return dL/dX).
    See the module docstring for the full contract and :doc:`/book/mlp/multilayer-perceptron`
    for the derivation.
    """

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.training: bool = True

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Compute and return ``Y``, caching what :meth:`backward` needs."""
        raise NotImplementedError

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """Given dL/dY, store dL/dparams in ``self.grads`` (overwriting) and return dL/dX."""
        raise NotImplementedError

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    @property
    def n_params(self) -> int:
        """Number of trainable scalars in ``params``."""
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _check_dY(self, dY: np.ndarray, Y_shape: tuple[int, ...] | None) -> np.ndarray:
        if Y_shape is None:
            raise ValueError(f"{type(self).__name__}.backward called before forward: there is no cached input")
        dY = as_float_array(dY, "dY", finite=False, allow_empty=True)
        if dY.shape != Y_shape:
            raise ValueError(f"dY must have the shape of the layer's output {Y_shape}; got {dY.shape}")
        return dY


class Dense(Layer):
    """Fully connected (affine) layer: Y = X W + b.

    Shapes: ``X``: (batch, n_in) (any leading dimensions are allowed: (..., n_in)),
    ``W``: (n_in, n_out), ``b``: (n_out,), ``Y``: (batch, n_out).

    Backward, for dY = dL/dY of shape (batch, n_out):

        dW = X^T dY   (n_in, n_out)      db = sum over the batch of dY   (n_out,)
        dX = dY W^T   (batch, n_in)

    ``W`` is drawn with the named ``init`` scheme of :mod:`nnbook.init` ("he", "xavier",
    "lecun", "zeros", ... or a callable (fan_in, fan_out, rng, dtype) -> W); ``b`` starts at 0.
    Derived in :doc:`/book/mlp/multilayer-perceptron`.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, init: str | Callable[..., np.ndarray] = "he",
                 dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        if int(n_in) != n_in or int(n_out) != n_out or n_in < 1 or n_out < 1:
            raise ValueError(f"n_in and n_out must be positive integers; got n_in={n_in!r}, n_out={n_out!r}")
        self.n_in, self.n_out = int(n_in), int(n_out)
        W = np.asarray(get_initializer(init)(self.n_in, self.n_out, rng, dtype))
        if W.shape != (self.n_in, self.n_out):
            raise ValueError(f"init must return an array of shape {(self.n_in, self.n_out)}; got {W.shape}")
        dt = np.dtype(dtype)
        self.params = {"W": np.ascontiguousarray(W, dtype=dt), "b": np.zeros(self.n_out, dtype=dt)}
        self.grads = {"W": np.zeros_like(self.params["W"]), "b": np.zeros_like(self.params["b"])}
        self._X: np.ndarray | None = None

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X W + b; caches X. ``X``: (batch, n_in) -> ``Y``: (batch, n_out)."""
        X = as_float_array(X, "X", shape_hint=f"(batch, {self.n_in})")
        if X.ndim < 2 or X.shape[-1] != self.n_in:
            raise ValueError(f"X must have shape (batch, {self.n_in}) (n_in = {self.n_in} columns); got shape {X.shape}")
        W, b = self.params["W"], self.params["b"]
        X = X.astype(W.dtype, copy=False)
        self._X = X
        Y = X @ W
        Y += b          # Y = X W + b, the bias broadcast over the rows, in place: no second (batch, n_out) array
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dW = X^T dY, db = sum_batch dY, dX = dY W^T. ``dY``: (batch, n_out) -> ``dX``: (batch, n_in).

        With ``input_grad=False`` the product dY W^T is skipped and None returned: the first layer
        of a network needs no gradient with respect to the data, and for it that product is the
        most expensive matmul of the backward pass."""
        X = self._X
        dY = self._check_dY(dY, None if X is None else X.shape[:-1] + (self.n_out,))
        W = self.params["W"]
        dY = dY.astype(W.dtype, copy=False)
        X2, dY2 = X.reshape(-1, self.n_in), dY.reshape(-1, self.n_out)  # fold extra leading axes
        self.grads["W"] = X2.T @ dY2
        self.grads["b"] = dY2.sum(axis=0)
        return dY @ W.T if input_grad else None

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, dtype={self.params['W'].dtype})"


class _Elementwise(Layer):
    """An elementwise activation Y = f(Z): caches Z, backward returns f'(Z) * dY
    (computed by the ``*_backward`` twin in :mod:`nnbook.activations`)."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __init__(self) -> None:
        super().__init__()
        self._Z: np.ndarray | None = None

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = f(X) elementwise; caches X. Any shape; the output has the shape and dtype of X."""
        X = as_float_array(X, "X")
        self._Z = X
        return self._f(X)

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dX = f'(X) * dY elementwise."""
        Z = self._Z
        dY = self._check_dY(dY, None if Z is None else Z.shape)
        return self._f_backward(Z, dY).astype(Z.dtype, copy=False)


class Identity(_Elementwise):
    """Y = X, dX = dY: a placeholder (e.g. the linear output of a regression network)."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return Z

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return dY


class ReLU(_Elementwise):
    """Y = max(X, 0); dX = dY * 1[X > 0]. Wraps :func:`nnbook.activations.relu`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.relu(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.relu_backward(Z, dY)


class LeakyReLU(_Elementwise):
    """Y = X for X > 0, alpha X otherwise; dX = dY * (1 or alpha). Wraps
    :func:`nnbook.activations.leaky_relu`."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.leaky_relu(Z, self.alpha)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.leaky_relu_backward(Z, dY, self.alpha)

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Sigmoid(_Elementwise):
    """Y = 1 / (1 + exp(-X)); dX = dY * Y (1 - Y). Wraps :func:`nnbook.activations.sigmoid`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.sigmoid(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.sigmoid_backward(Z, dY)


class Tanh(_Elementwise):
    """Y = tanh(X); dX = dY * (1 - Y^2). Wraps :func:`nnbook.activations.tanh`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.tanh(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.tanh_backward(Z, dY)


class ELU(_Elementwise):
    """Y = X for X > 0, alpha (exp(X) - 1) otherwise. Wraps :func:`nnbook.activations.elu`."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.elu(Z, self.alpha)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.elu_backward(Z, dY, self.alpha)

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class GELU(_Elementwise):
    """Y = X Phi(X) (exact GELU). Wraps :func:`nnbook.activations.gelu`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.gelu(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.gelu_backward(Z, dY)


class SiLU(_Elementwise):
    """Y = X sigma(X) (SiLU, Swish-1). Wraps :func:`nnbook.activations.silu`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.silu(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.silu_backward(Z, dY)


class Softplus(_Elementwise):
    """Y = log(1 + exp(X)); dX = dY * sigma(X). Wraps :func:`nnbook.activations.softplus`."""

    def _f(self, Z: np.ndarray) -> np.ndarray:
        return act.softplus(Z)

    def _f_backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        return act.softplus_backward(Z, dY)


class Residual(Layer):
    """A skip connection around a block of layers: Y = X + F(X), F the layers applied in order
    (He et al., 2016). F must keep the shape of X.

    Backward: dX = dY + J_F^T dY, i.e. the upstream gradient passes through the identity path
    unchanged and is *added* to what the block returns, so it cannot vanish through the block.
    ``params`` and ``grads`` hold the block's arrays under "<index>.<name>" ("0.W", "0.b", ...),
    the same array objects as the inner layers; setting ``training`` sets it on every inner layer.
    ``X``: (batch, n) -> ``Y``: (batch, n). Explained in :doc:`/book/mlp/vanishing-gradients`.
    """

    def __init__(self, layers: list[Layer]) -> None:
        block = list(layers)
        if not block or not all(isinstance(layer, Layer) for layer in block):
            raise ValueError("layers must be a non-empty list of nnbook Layers")
        self.block = block
        super().__init__()
        self.params = {f"{i}.{k}": p for i, layer in enumerate(block) for k, p in layer.params.items()}
        self._collect_grads()
        self._shape: tuple[int, ...] | None = None

    @property  # type: ignore[override]
    def training(self) -> bool:
        """Training mode of the block (the same for every inner layer)."""
        return self._training

    @training.setter
    def training(self, value: bool) -> None:
        self._training = bool(value)
        for layer in self.block:
            layer.training = self._training

    def _collect_grads(self) -> None:
        self.grads = {f"{i}.{k}": layer.grads[k] for i, layer in enumerate(self.block) for k in layer.params}

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = X + F(X); every inner layer caches what it needs."""
        X = as_float_array(X, "X")
        F = X
        for layer in self.block:
            F = layer.forward(F)
        if F.shape != X.shape:
            raise ValueError(f"the residual block must keep the shape of its input {X.shape}; it returned {F.shape}")
        self._shape = X.shape
        return X + F

    def backward(self, dY: np.ndarray) -> np.ndarray:
        """dX = dY + (backward of the block applied to dY); refreshes ``grads``."""
        dY = self._check_dY(dY, self._shape)
        g = dY
        for layer in reversed(self.block):
            g = layer.backward(g)
        self._collect_grads()
        return dY + g

    @property
    def n_params(self) -> int:
        """Number of trainable scalars in the block."""
        return int(sum(p.size for p in self.params.values()))

    def __repr__(self) -> str:
        return "Residual([" + ", ".join(repr(layer) for layer in self.block) + "])"
