"""Optimization algorithms: SGD, momentum, Adam and their relatives.

Every optimizer follows one interface::

    opt = Adam(lr=1e-3)
    opt.step(params, grads)      # updates the arrays of ``params`` in place

``params`` and ``grads`` are dicts mapping a parameter name (``"W1"``, ``"b1"``, ...) to an
array; ``grads[name]`` has the shape of ``params[name]``. The optimizer owns its *state*
(velocities, moment estimates), keyed by parameter name and allocated lazily, with the
parameter's dtype, on the first step that sees the name. It never holds the parameters
themselves. ``opt.lr`` may be changed between steps (that is what a schedule does).

Derived in :doc:`/book/training/optimizers`.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from ._checks import check_positive

__all__ = ["Optimizer", "SGD", "Momentum", "Adam"]


_SCRATCH = ("buf", "g")  # per-parameter work arrays, not state worth saving


def _check_unit_interval(value: float, name: str) -> float:
    v = float(value)
    if not (0.0 <= v < 1.0):
        raise ValueError(f"{name} must be in [0, 1); got {value!r}")
    return v


def _check_params_grads(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
    """Same names, same shapes, floating parameters, finite gradients."""
    if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
        raise ValueError(
            "params and grads must be dicts mapping names to arrays; "
            f"got {type(params).__name__} and {type(grads).__name__}"
        )
    if params.keys() != grads.keys():
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise ValueError(
            "grads must have the same keys as params; "
            f"missing gradients for {missing}, gradients for unknown parameters {extra}"
        )
    for name, p in params.items():
        g = grads[name]
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise ValueError(
                f"params[{name!r}] must be a floating-point numpy array (it is updated in place); "
                f"got {type(p).__name__}{'' if not isinstance(p, np.ndarray) else ' of dtype ' + str(p.dtype)}"
            )
        g_shape = np.shape(g)
        if g_shape != p.shape:
            raise ValueError(
                f"grads[{name!r}] must have the shape of params[{name!r}], {p.shape}; got {g_shape}"
            )
        # One reduction instead of an elementwise isfinite temporary; the full count on failure.
        if not np.isfinite(np.sum(g)):
            bad = int(np.size(g) - np.count_nonzero(np.isfinite(g)))
            if bad:
                raise ValueError(f"grads[{name!r}] must be finite; got {bad} NaN or infinite value(s)")


class Optimizer:
    """Base class: validation, per-parameter state and the step counter.

    ``step(params, grads)`` checks that ``grads`` has the keys and shapes of ``params`` and is
    finite, then calls ``_update(name, p, g, state)`` for each parameter, where ``state`` is the
    dict of that parameter's arrays (created by ``_init_state`` on first sight) and
    ``state["t"]`` counts the steps this parameter has taken (1 on its first update).
    Subclasses implement ``_init_state`` and ``_update``; the update must modify ``p`` in place.

    Attributes: ``lr`` (settable, non-negative), ``weight_decay``, ``state`` (dict name -> dict).
    Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        self.lr = lr
        self.weight_decay = check_positive(weight_decay, "weight_decay", strict=False)
        self.state: dict[str, dict[str, Any]] = {}

    @property
    def lr(self) -> float:
        """The learning rate used by the next step; schedules set it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_positive(value, "lr", strict=False)

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching array of ``grads``.

        ``params[name]`` and ``grads[name]``: arrays of the same (any) shape.
        """
        _check_params_grads(params, grads)
        for name, p in params.items():
            st = self.state.get(name)
            if st is None:
                st = self.state[name] = self._init_state(p)
                st["t"] = 0
            st["t"] += 1
            self._update(name, p, np.asarray(grads[name]), st)

    def reset(self) -> None:
        """Forget all state (velocities, moments, step counts); the hyperparameters stay."""
        self.state.clear()

    def state_dict(self) -> dict[str, Any]:
        """A copy of the hyperparameters and the per-parameter state (arrays copied)."""
        hyper = {k: v for k, v in vars(self).items() if k not in ("state", "_lr") and not k.startswith("_")}
        return {
            "lr": self.lr,
            **hyper,
            "state": {
                name: {k: (v.copy() if isinstance(v, np.ndarray) else v)
                       for k, v in st.items() if k not in _SCRATCH}
                for name, st in self.state.items()
            },
        }

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        raise NotImplementedError

    def _grad_with_l2(self, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> np.ndarray:
        """Coupled L2 decay: g + weight_decay * p in the buffer ``st["g"]``, or g itself when 0."""
        if self.weight_decay == 0.0:
            return g
        gbuf = st.get("g")
        if gbuf is None:
            gbuf = st["g"] = np.empty_like(p)
        np.multiply(p, self.weight_decay, out=gbuf)
        gbuf += g
        return gbuf

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in self.state_dict().items() if k != "state")
        return f"{type(self).__name__}({hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent: p <- p - lr * (g + weight_decay * p).

    State: none (a scratch buffer only when ``weight_decay > 0``).
    Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        g = self._grad_with_l2(p, g, st)
        buf = st.get("buf")
        if buf is None:
            buf = st["buf"] = np.empty_like(p)
        np.multiply(g, self.lr, out=buf)
        p -= buf                                 # p = p - lr g


class Momentum(Optimizer):
    """Heavy-ball momentum (Polyak 1964) and, with ``nesterov=True``, Nesterov momentum.

    With the velocity measured in gradient units (the form PyTorch uses)::

        v <- beta * v + g
        p <- p - lr * v                    (heavy ball)
        p <- p - lr * (g + beta * v)       (Nesterov, Sutskever et al. 2013 form)

    ``g`` includes ``weight_decay * p`` when ``weight_decay > 0``. On a constant gradient the
    step tends to ``lr * g / (1 - beta)``. State per parameter: ``v`` (shape of ``p``).
    Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float, beta: float = 0.9, nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.beta = _check_unit_interval(beta, "beta")
        self.nesterov = bool(nesterov)

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"v": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        v, buf = st["v"], st["buf"]
        g = self._grad_with_l2(p, g, st)
        v *= self.beta
        v += g                                   # v = beta v + g
        if self.nesterov:
            np.multiply(v, self.beta, out=buf)
            buf += g                             # g + beta v: the look-ahead step
            buf *= self.lr
        else:
            np.multiply(v, self.lr, out=buf)
        p -= buf


class Adam(Optimizer):
    """Adam (Kingma and Ba 2015): bias-corrected moment estimates.

    With g including ``weight_decay * p`` (coupled L2) when ``weight_decay > 0``::

        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t),   v_hat = v / (1 - beta2**t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    State per parameter: ``m``, ``v`` (shape of ``p``) and the step count ``t``.
    Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.beta1 = _check_unit_interval(beta1, "beta1")
        self.beta2 = _check_unit_interval(beta2, "beta2")
        self.eps = check_positive(eps, "eps", strict=False)

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"m": np.zeros_like(p), "v": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        m, v, buf, t = st["m"], st["v"], st["buf"], st["t"]
        b1, b2 = self.beta1, self.beta2
        g = self._grad_with_l2(p, g, st)
        m *= b1
        np.multiply(g, 1.0 - b1, out=buf)
        m += buf                                                   # m = b1 m + (1 - b1) g
        v *= b2
        np.multiply(g, g, out=buf)
        buf *= 1.0 - b2
        v += buf                                                   # v = b2 v + (1 - b2) g^2
        # lr * m_hat / (sqrt(v_hat) + eps) with the corrections folded into two scalars
        np.sqrt(v, out=buf)
        buf *= 1.0 / math.sqrt(1.0 - b2 ** t)                      # sqrt(v_hat)
        buf += self.eps
        np.divide(m, buf, out=buf)
        buf *= self.lr / (1.0 - b1 ** t)
        p -= buf
