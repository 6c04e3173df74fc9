"""Pooling layers and their backward passes.

Derived in :doc:`/book/cnn/pooling-and-cnns`.

Pooling windows are read through the same strided view as the convolution's im2col
(:func:`numpy.lib.stride_tricks.as_strided`, no copy); the backward passes are loops
over
the KH*KW window offsets of strided slice-adds, never over samples or pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._checks import as_float_array
from .conv import _pair, conv_output_size
from .module import Module

__all__ = [
    "maxpool2d",
    "maxpool2d_backward",
    "avgpool2d",
    "avgpool2d_backward",
    "MaxPool2d",
    "AvgPool2d",
    "MaxPool1d",
    "AvgPool1d",
    "GlobalAvgPool",
    "Flatten",
]


def _pool_windows(
    X: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    fill: float,
) -> tuple[np.ndarray, tuple[int, int], tuple[int, ...]]:
    """The (N, C, OH, OW, KH, KW) window view of X padded with ``fill``."""
    N, C, H, W = X.shape
    OH = conv_output_size(H, kernel[0], stride[0], padding[0])
    OW = conv_output_size(W, kernel[1], stride[1], padding[1])
    ph, pw = padding
    Xp = (
        X
        if ph == pw == 0
        else np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    )
    Xp = np.ascontiguousarray(Xp)
    sN, sC, sH, sW = Xp.strides
    view = as_strided(
        Xp,
        shape=(N, C, OH, OW, kernel[0], kernel[1]),
        strides=(sN, sC, sH * stride[0], sW * stride[1], sH, sW),
        writeable=False,
    )
    return view, (OH, OW), Xp.shape


def _scatter(
    dwin: np.ndarray,
    padded_shape: tuple[int, ...],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    x_shape: tuple[int, ...],
) -> np.ndarray:
    """Adjoint of the window view: dwin (N, C, OH, OW, KH, KW) -> dX (N, C, H, W)."""
    OH, OW = dwin.shape[2], dwin.shape[3]
    dXp = np.zeros(padded_shape, dtype=dwin.dtype)
    hs, ws = stride[0] * (OH - 1) + 1, stride[1] * (OW - 1) + 1
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            dXp[:, :, i : i + hs : stride[0], j : j + ws : stride[1]] += dwin[..., i, j]
    ph, pw = padding
    return np.ascontiguousarray(dXp[:, :, ph : ph + x_shape[2], pw : pw + x_shape[3]])


def maxpool2d(
    X: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0
) -> tuple[np.ndarray, dict[str, Any]]:
    """Max pooling: Y[n, c, p, q] = max_{i, j} Xp[n, c, p S + i, q S + j], with Xp the
    input padded with -inf. ``X``: (N, C, H, W) -> ``Y``: (N, C, OH, OW); ``stride``
    defaults to the kernel size. The cache records which entry of each window won (the
    first one on ties). Derived in :doc:`/book/cnn/pooling-and-cnns`.
    """
    X = as_float_array(X, "X", ndim=4, shape_hint="(batch, channels, height, width)")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding", 0)
    view, (OH, OW), pshape = _pool_windows(X, k, s, p, -np.inf)
    flat = view.reshape(X.shape[0], X.shape[1], OH, OW, k[0] * k[1])
    arg = flat.argmax(axis=-1)
    Y = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    cache = {
        "arg": arg,
        "kernel": k,
        "stride": s,
        "padding": p,
        "pshape": pshape,
        "x_shape": X.shape,
    }
    return Y, cache


def maxpool2d_backward(dY: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """The gradient of max pooling goes to the argmax of each window only:

        dX[n, c, p S + i*, q S + j*] += dY[n, c, p, q],  (i*, j*) the window's argmax.

    ``dY``: (N, C, OH, OW) -> ``dX``: (N, C, H, W). Derived in
    :doc:`/book/cnn/pooling-and-cnns`.
    """
    k, arg = cache["kernel"], cache["arg"]
    offsets = np.arange(k[0] * k[1]).reshape(k)
    dwin = np.where(arg[..., None, None] == offsets, dY[..., None, None], 0.0)
    return _scatter(
        dwin.astype(dY.dtype, copy=False),
        cache["pshape"],
        k,
        cache["stride"],
        cache["padding"],
        cache["x_shape"],
    )


def avgpool2d(
    X: np.ndarray, kernel_size: Any, stride: Any = None, padding: Any = 0
) -> tuple[np.ndarray, dict[str, Any]]:
    """Average pooling: Y[n, c, p, q] = (1 / (KH KW)) sum_{i, j} Xp[n, c, p S + i,
    q S + j], zero padding counted in the average. ``X``: (N, C, H, W) -> ``Y``:
    (N, C, OH, OW). Derived in :doc:`/book/cnn/pooling-and-cnns`.
    """
    X = as_float_array(X, "X", ndim=4, shape_hint="(batch, channels, height, width)")
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p = _pair(padding, "padding", 0)
    view, _, pshape = _pool_windows(X, k, s, p, 0.0)
    Y = view.mean(axis=(-2, -1))
    cache = {
        "kernel": k,
        "stride": s,
        "padding": p,
        "pshape": pshape,
        "x_shape": X.shape,
    }
    return Y, cache


def avgpool2d_backward(dY: np.ndarray, cache: dict[str, Any]) -> np.ndarray:
    """Each input in a window receives dY / (KH KW) from that window:
    ``dY``: (N, C, OH, OW) -> ``dX``: (N, C, H, W)."""
    k = cache["kernel"]
    share = dY / (k[0] * k[1])
    dwin = np.broadcast_to(share[..., None, None], share.shape + k)
    return _scatter(
        dwin, cache["pshape"], k, cache["stride"], cache["padding"], cache["x_shape"]
    )


class _Pool2d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")
        self.padding = _pair(padding, "padding", 0)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}"
        )


class MaxPool2d(_Pool2d):
    """Max pooling layer over (N, C, H, W) (see :func:`maxpool2d`); ``stride`` defaults
    to ``kernel_size``. Derived in :doc:`/book/cnn/pooling-and-cnns`."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C, OH, OW); caches the argmax of every window."""
        Y, cache = maxpool2d(X, self.kernel_size, self.stride, self.padding)
        self._save(cache)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Routes dY to the argmax of each window (see :func:`maxpool2d_backward`)."""
        cache = self._saved()
        dY = self._check_dY(dY, cache["arg"].shape)
        return maxpool2d_backward(dY, cache) if input_grad else None


class AvgPool2d(_Pool2d):
    """Average pooling layer over (N, C, H, W) (see :func:`avgpool2d`). Derived in
    :doc:`/book/cnn/pooling-and-cnns`."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, C, H, W) -> (N, C, OH, OW)."""
        Y, cache = avgpool2d(X, self.kernel_size, self.stride, self.padding)
        cache["y_shape"] = Y.shape
        self._save(cache)
        return Y

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Spreads dY evenly over each window (see :func:`avgpool2d_backward`)."""
        cache = self._saved()
        dY = self._check_dY(dY, cache["y_shape"])
        return avgpool2d_backward(dY, cache) if input_grad else None


class _Pool1d(Module):
    """A 1-D pooling over (N, C, L): the 2-D pooling with a window of height 1."""

    _inner: type[_Pool2d]

    def __init__(
        self, kernel_size: int, stride: int | None = None, padding: int = 0
    ) -> None:
        super().__init__()
        k = _pair(kernel_size, "kernel_size")[0]
        s = k if stride is None else _pair(stride, "stride")[0]
        p = _pair(padding, "padding", 0)[0]
        self.pool = self._inner((1, k), (1, s), (0, p))

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, C, L) -> (N, C, OL)."""
        X = as_float_array(X, "X", ndim=3, shape_hint="(batch, channels, length)")
        return self.pool.forward(X[:, :, None, :])[:, :, 0, :]

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """(N, C, OL) -> (N, C, L)."""
        dY = as_float_array(dY, "dY", ndim=3, shape_hint="(batch, channels, length)")
        dX = self.pool.backward(dY[:, :, None, :], input_grad=input_grad)
        return None if dX is None else dX[:, :, 0, :]

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.pool.kernel_size[1]}, stride={self.pool.stride[1]}, "
            f"padding={self.pool.padding[1]}"
        )


class MaxPool1d(_Pool1d):
    """Max pooling over (N, C, L) sequences. Derived in
    :doc:`/book/cnn/pooling-and-cnns`."""

    _inner = MaxPool2d


class AvgPool1d(_Pool1d):
    """Average pooling over (N, C, L). Derived in :doc:`/book/cnn/pooling-and-cnns`."""

    _inner = AvgPool2d


class GlobalAvgPool(Module):
    """Global average pooling: Y[n, c] = mean over every position of X[n, c, ...].

    ``X``: (N, C, *spatial) (any number of spatial axes) -> ``Y``: (N, C); backward
    spreads dY[n, c] / (number of positions) over the map. Derived in
    :doc:`/book/cnn/pooling-and-cnns`.
    """

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, C, ...) -> (N, C)."""
        X = as_float_array(X, "X", shape_hint="(batch, channels, ...)")
        if X.ndim < 3:
            raise ValueError(
                f"X must have shape (batch, channels, ...) with at least one "
                f"spatial axis; got shape {X.shape}"
            )
        self._save(X.shape)
        return X.mean(axis=tuple(range(2, X.ndim)))

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """(N, C) -> (N, C, ...): dX = dY / positions, broadcast."""
        shape = self._saved()
        dY = self._check_dY(dY, shape[:2])
        if not input_grad:
            return None
        positions = int(np.prod(shape[2:]))
        extra = (1,) * (len(shape) - 2)
        return np.broadcast_to(
            (dY / positions).reshape(shape[:2] + extra), shape
        ).copy()


class Flatten(Module):
    """Y = X reshaped to (N, everything else): the bridge from feature maps to a
    :class:`~nnbook.nn.layers.Dense` classifier. Backward reshapes dY back."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, ...) -> (N, prod(...))."""
        X = as_float_array(X, "X", shape_hint="(batch, ...)")
        if X.ndim < 2:
            raise ValueError(
                f"X must have a batch axis and at least one more; got shape {X.shape}"
            )
        self._save(X.shape)
        return X.reshape(X.shape[0], -1)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """(N, prod(...)) -> (N, ...)."""
        shape = self._saved()
        dY = self._check_dY(dY, (shape[0], int(np.prod(shape[1:]))))
        return dY.reshape(shape) if input_grad else None
