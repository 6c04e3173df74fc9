"""Convolutional architectures and the parameter/multiply-add counting walk.

The small networks trained in Part IV (:doc:`/book/cnn/pooling-and-cnns`,
:doc:`/book/cnn/residual-cnn`) and the blocks of the classic architectures
(:doc:`/book/cnn/classic-architectures`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_rng
from ..nn.conv import Conv1d, SpatialBatchNorm
from ..nn.layers import Dense, ReLU
from ..nn.module import Module, Sequential
from ..nn.pooling import Flatten, GlobalAvgPool

__all__ = ["MNIST1DConvNet"]


class _SeriesInput(Module):
    """Shared bookkeeping: accept (N, L) series or (N, 1, L) and run ``self.body``."""

    body: Sequential

    def forward(self, X: np.ndarray) -> np.ndarray:
        """(N, L) or (N, 1, L) -> logits (N, n_classes)."""
        X = as_float_array(X, "X", ndim=(2, 3), shape_hint="(batch, length)")
        if X.ndim == 3 and X.shape[1] != 1:
            raise ValueError(f"X must be (batch, length) or (batch, 1, length); "
                             f"got shape {X.shape}")
        self._save(X.shape)
        return self.body.forward(X.reshape(X.shape[0], 1, X.shape[-1]))

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backward through the body; dX has the shape of X."""
        shape = self._saved()
        dX = self.body.backward(dY, input_grad=input_grad)
        return None if dX is None else dX.reshape(shape)


class MNIST1DConvNet(_SeriesInput):
    """The MNIST-1D reference CNN (``ConvBase`` of Greydanus, 2020): three Conv1d layers
    with kernels 5, 3, 3, stride 2, padding 1 and ``channels`` filters, ReLU after each,
    then a Dense layer on the flattened (channels x 5) map.

    ``X``: (N, 40) -> logits (N, n_classes); lengths 40 -> 19 -> 10 -> 5. Derived in
    :doc:`/book/cnn/pooling-and-cnns`.
    """

    def __init__(self, rng: np.random.Generator, channels: int = 25, length: int = 40,
                 n_classes: int = 10, dtype: type | np.dtype = np.float64) -> None:
        super().__init__()
        check_rng(rng)
        c = check_int(channels, "channels")
        length = check_int(length, "length")
        out = length
        for k in (5, 3, 3):
            out = (out + 2 - k) // 2 + 1
        self.body = Sequential([
            Conv1d(1, c, 5, rng, stride=2, padding=1, dtype=dtype), ReLU(),
            Conv1d(c, c, 3, rng, stride=2, padding=1, dtype=dtype), ReLU(),
            Conv1d(c, c, 3, rng, stride=2, padding=1, dtype=dtype), ReLU(),
            Flatten(),
            Dense(c * out, check_int(n_classes, "n_classes"), rng, init="xavier",
                  dtype=dtype),
        ])
