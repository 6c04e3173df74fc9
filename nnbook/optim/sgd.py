"""Stochastic gradient descent and momentum. Derived in
:doc:`/book/training/optimizers`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import check_type
from ..nn.regularization import is_decayed
from .base import Optimizer, _check_unit_interval

__all__ = ["SGD", "Momentum"]


class SGD(Optimizer):
    """Stochastic gradient descent: p <- p - lr * (g + weight_decay * p).

    State: none (a scratch buffer only when ``weight_decay > 0``). Derived in
    :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, weight_decay, decay)

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        g = self._grad_with_l2(p, g, st)
        buf = st.get("buf")
        if buf is None:
            buf = st["buf"] = np.empty_like(p)
        np.multiply(g, self.lr, out=buf)
        p -= buf  # p = p - lr g


class Momentum(Optimizer):
    """Heavy-ball momentum (Polyak 1964) and, with ``nesterov=True``, Nesterov momentum.

    With the velocity measured in gradient units (the form PyTorch uses)::

        v <- beta * v + g
        p <- p - lr * v                    (heavy ball)
        p <- p - lr * (g + beta * v)       (Nesterov, Sutskever et al. 2013 form)

    ``g`` includes ``weight_decay * p`` when ``weight_decay > 0``. On a constant
    gradient the step tends to ``lr * g / (1 - beta)``. State per parameter: ``v``
    (shape of ``p``). Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float,
        beta: float = 0.9,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, weight_decay, decay)
        self.beta = _check_unit_interval(beta, "beta")
        self.nesterov = check_type(nesterov, bool, "nesterov")

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"v": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        v, buf = st["v"], st["buf"]
        g = self._grad_with_l2(p, g, st)
        v *= self.beta
        v += g  # v = beta v + g
        if self.nesterov:
            np.multiply(v, self.beta, out=buf)
            buf += g  # g + beta v: the look-ahead step
            buf *= self.lr
        else:
            np.multiply(v, self.lr, out=buf)
        p -= buf
