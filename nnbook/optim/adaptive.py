"""Adaptive optimizers: AdaGrad, RMSprop, Adam and its relatives (AdaMax, AdamW, RAdam,
LAMB). Each scales the step per coordinate by running statistics of the gradients; the
interface and the per-parameter state are those of :class:`nnbook.optim.base.Optimizer`.
Derived in :doc:`/book/training/optimizers`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import as_float_array, check_positive
from ..nn.regularization import is_decayed
from .base import Optimizer, _check_unit_interval

__all__ = [
    "AdaGrad",
    "RMSprop",
    "Adam",
    "AdaMax",
    "AdamW",
    "RAdam",
    "LAMB",
    "radam_rho",
]


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015): bias-corrected moment estimates.

    With g including ``weight_decay * p`` (coupled L2) when ``weight_decay > 0``::

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),   v_hat = v / (1 - beta2**t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    State per parameter: ``m``, ``v`` (shape of ``p``) and the step count ``t``. Derived
    in :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, weight_decay, decay)
        self.beta1 = _check_unit_interval(beta1, "beta1")
        self.beta2 = _check_unit_interval(beta2, "beta2")
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"m": np.zeros_like(p), "v": np.zeros_like(p), "buf": np.empty_like(p)}

    def _moments(self, g: np.ndarray, st: dict[str, Any]) -> None:
        """The two moving averages, in place (shared by Adam, AdamW, RAdam and LAMB)."""
        m, v, buf, b1, b2 = st["m"], st["v"], st["buf"], self.beta1, self.beta2
        m *= b1
        np.multiply(g, 1.0 - b1, out=buf)
        m += buf  # m = b1 m + (1 - b1) g
        v *= b2
        np.multiply(g, g, out=buf)
        buf *= 1.0 - b2
        v += buf  # v = b2 v + (1 - b2) g^2

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        m, v, buf, t = st["m"], st["v"], st["buf"], st["t"]
        b1, b2 = self.beta1, self.beta2
        self._moments(self._grad_with_l2(p, g, st), st)
        # lr * m_hat / (sqrt(v_hat) + eps) = a_t * m / (sqrt(v) + eps_t), with the two
        # bias
        # corrections folded into the scalars a_t = lr sqrt(1 - b2^t) / (1 - b1^t),
        # eps_t = eps sqrt(1 - b2^t)
        c2 = math.sqrt(1.0 - b2**t)
        np.sqrt(v, out=buf)
        buf += self.eps * c2
        np.divide(m, buf, out=buf)
        buf *= self.lr * c2 / (1.0 - b1**t)
        p -= buf  # p = p - lr m_hat / (sqrt(v_hat) + eps)


class AdaGrad(Optimizer):
    """AdaGrad (Duchi, Hazan and Singer 2011): per-coordinate steps scaled by all past
    gradients.

    ::

        G <- G + g**2
        p <- p - lr * g / (sqrt(G) + eps)

    ``G`` only grows, so every coordinate's step shrinks for ever. ``g`` includes
    ``weight_decay * p`` when ``weight_decay > 0``. State per parameter: ``G`` (shape of
    ``p``). Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float = 1e-2,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, weight_decay, decay)
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"G": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        G, buf = st["G"], st["buf"]
        g = self._grad_with_l2(p, g, st)
        np.multiply(g, g, out=buf)
        G += buf  # G = G + g^2
        np.sqrt(G, out=buf)
        buf += self.eps
        np.divide(g, buf, out=buf)
        buf *= self.lr
        p -= buf  # p = p - lr g / (sqrt(G) + eps)


class RMSprop(Optimizer):
    """RMSprop (Hinton 2012, lecture 6e): AdaGrad with a leaky, exponential average of
    g**2.

    ::

        s <- rho * s + (1 - rho) * g**2
        p <- p - lr * g / (sqrt(s) + eps)

    ``g`` includes ``weight_decay * p`` when ``weight_decay > 0``. State per parameter:
    ``s``. Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        rho: float = 0.9,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, weight_decay, decay)
        self.rho = _check_unit_interval(rho, "rho")
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"s": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        s, buf = st["s"], st["buf"]
        g = self._grad_with_l2(p, g, st)
        s *= self.rho
        np.multiply(g, g, out=buf)
        buf *= 1.0 - self.rho
        s += buf  # s = rho s + (1 - rho) g^2
        np.sqrt(s, out=buf)
        buf += self.eps
        np.divide(g, buf, out=buf)
        buf *= self.lr
        p -= buf  # p = p - lr g / (sqrt(s) + eps)


class AdaMax(Adam):
    """AdaMax (Kingma and Ba 2015, section 7.1): Adam with the infinity norm in the
    denominator.

    ::

        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        p <- p - lr / (1 - beta1**t) * m / u

    (``eps`` inside the max, as in PyTorch, keeps ``u > 0``.) ``u`` needs no bias
    correction. State per parameter: ``m``, ``u``. Derived in
    :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float = 2e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay, decay)

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"m": np.zeros_like(p), "u": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        m, u, buf, t = st["m"], st["u"], st["buf"], st["t"]
        g = self._grad_with_l2(p, g, st)
        m *= self.beta1
        np.multiply(g, 1.0 - self.beta1, out=buf)
        m += buf  # m = b1 m + (1 - b1) g
        u *= self.beta2
        np.abs(g, out=buf)
        buf += self.eps
        np.maximum(u, buf, out=u)  # u = max(b2 u, |g| + eps)
        np.divide(m, u, out=buf)
        buf *= self.lr / (1.0 - self.beta1**t)
        p -= buf


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter 2019): Adam with *decoupled* weight decay.

    ::

        p <- p * (1 - lr * weight_decay)            (decay, outside the adaptive
        scaling)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)   (Adam on the loss gradient alone)

    The decay is multiplied by ``lr`` (PyTorch's convention), so a schedule scales both.
    Loshchilov and Hutter write the decay as eta_t * lambda, with eta_t the schedule's
    *multiplier* (1 at the peak), not the learning rate: their lambda equals this
    ``weight_decay`` times the peak ``lr``, and a value tuned in one convention does not
    transfer to the other. Only arrays selected by ``decay`` shrink. Unlike
    ``Adam(weight_decay=...)``, the decay is not divided by ``sqrt(v_hat)``: every
    weight shrinks by the same factor. State per parameter: ``m``, ``v``. Derived in
    :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay, decay)

    def _grad_with_l2(
        self, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> np.ndarray:
        return g  # no L2 term in the gradient ...

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        if self.weight_decay and st["decay"]:
            p *= 1.0 - self.lr * self.weight_decay  # ... the decay acts on p directly
        super()._update(name, p, g, st)


def radam_rho(t: int | np.ndarray, beta2: float = 0.999) -> np.ndarray:
    """Length of RAdam's approximated simple moving average at step t (Liu et al. 2020).

    rho_inf = 2 / (1 - beta2) - 1,   rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t).

    ``t``: int or array of steps >= 1; returns an array of the same shape.
    Derived in :doc:`/book/training/optimizers`.
    """
    b2 = _check_unit_interval(beta2, "beta2")
    if b2 == 0.0:
        raise ValueError("beta2 must be in (0, 1) for RAdam; got 0.0")
    t = as_float_array(t, "t")
    if np.any(t < 1) or np.any(t != np.floor(t)):
        raise ValueError(f"t must hold integer steps >= 1; got {t!r}")
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    bt = b2**t
    return rho_inf - 2.0 * t * bt / (1.0 - bt)


class RAdam(Adam):
    """Rectified Adam (Liu et al. 2020): switch off the adaptive step while its variance
    is untamed.

    With rho_t from :func:`radam_rho`::

        if rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf -
        4)(rho_inf - 2) rho_t))
                       p <- p - lr * r_t * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        else:          p <- p - lr * m_hat                       (momentum SGD)

    (The threshold 5, and eps added to sqrt(v) rather than to sqrt(v_hat), follow the
    authors'
    code and PyTorch; the paper writes 4 and leaves eps out.)
    State per parameter: ``m``, ``v``. Derived in :doc:`/book/training/optimizers`.
    """

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        m, v, buf, t = st["m"], st["v"], st["buf"], st["t"]
        b1, b2 = self.beta1, self.beta2
        self._moments(self._grad_with_l2(p, g, st), st)
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = float(radam_rho(t, b2))
        step = self.lr / (1.0 - b1**t)
        if rho_t > 5.0:
            r_t = math.sqrt(
                (rho_t - 4)
                * (rho_t - 2)
                * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            c2 = math.sqrt(1.0 - b2**t)  # as the authors' code: eps is added to sqrt(v)
            np.sqrt(v, out=buf)
            buf += self.eps
            np.divide(m, buf, out=buf)
            buf *= step * r_t * c2  # lr r_t m_hat sqrt(1 - b2^t) / (sqrt(v) + eps)
        else:
            np.multiply(m, step, out=buf)
        p -= buf


class LAMB(Adam):
    """LAMB (You et al. 2020): Adam's direction, rescaled per parameter array by a trust
    ratio.

    ::

        r = m_hat / (sqrt(v_hat) + eps) + weight_decay * p
        p <- p - lr * (||p|| / ||r||) * r      (ratio taken as 1 when either norm is 0)

    Every layer moves by ``lr`` times its own norm, whatever the scale of its gradient.
    State per parameter: ``m``, ``v``. Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay, decay)

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        m, v, buf, t = st["m"], st["v"], st["buf"], st["t"]
        b1, b2 = self.beta1, self.beta2
        self._moments(g, st)
        np.sqrt(v, out=buf)
        buf *= 1.0 / math.sqrt(1.0 - b2**t)
        buf += self.eps
        np.divide(m, buf, out=buf)
        buf *= 1.0 / (1.0 - b1**t)  # r = m_hat / (sqrt(v_hat) + eps)
        if self.weight_decay and st["decay"]:
            buf += self.weight_decay * p  # r = r + lambda p
        p_norm = float(np.linalg.norm(p))
        r_norm = float(np.linalg.norm(buf))
        trust = p_norm / r_norm if p_norm > 0 and r_norm > 0 else 1.0
        st["trust"] = trust
        buf *= self.lr * trust
        p -= buf
