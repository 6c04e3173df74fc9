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
from typing import Any, Callable, Mapping

import numpy as np

from ._checks import check_positive
from .clipping import global_norm

__all__ = [
    "Optimizer", "SGD", "Momentum", "AdaGrad", "RMSprop", "Adam", "AdaMax", "AdamW", "RAdam", "LAMB",
    "Lookahead", "SAM", "radam_rho", "optimizer_trajectory",
]


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
        if not isinstance(g, np.ndarray):
            g = np.asarray(g)
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise ValueError(
                f"params[{name!r}] must be a floating-point numpy array (it is updated in place); "
                f"got {type(p).__name__}{'' if not isinstance(p, np.ndarray) else ' of dtype ' + str(p.dtype)}"
            )
        g_shape = g.shape
        if g_shape != p.shape:
            raise ValueError(
                f"grads[{name!r}] must have the shape of params[{name!r}], {p.shape}; got {g_shape}"
            )
        # One reduction instead of an elementwise isfinite temporary; the full count on failure.
        if not math.isfinite(g.sum()):
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
        # lr * m_hat / (sqrt(v_hat) + eps) = a_t * m / (sqrt(v) + eps_t), with the two bias
        # corrections folded into the scalars a_t = lr sqrt(1 - b2^t) / (1 - b1^t), eps_t = eps sqrt(1 - b2^t)
        c2 = math.sqrt(1.0 - b2 ** t)
        np.sqrt(v, out=buf)
        buf += self.eps * c2
        np.divide(m, buf, out=buf)
        buf *= self.lr * c2 / (1.0 - b1 ** t)
        p -= buf                                                   # p = p - lr m_hat / (sqrt(v_hat) + eps)


class AdaGrad(Optimizer):
    """AdaGrad (Duchi, Hazan and Singer 2011): per-coordinate steps scaled by all past gradients.

    ::

        G <- G + g**2
        p <- p - lr * g / (sqrt(G) + eps)

    ``G`` only grows, so every coordinate's step shrinks for ever. ``g`` includes
    ``weight_decay * p`` when ``weight_decay > 0``. State per parameter: ``G`` (shape of ``p``).
    Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float = 1e-2, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.eps = check_positive(eps, "eps", strict=False)

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"G": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        G, buf = st["G"], st["buf"]
        g = self._grad_with_l2(p, g, st)
        np.multiply(g, g, out=buf)
        G += buf                                   # G = G + g^2
        np.sqrt(G, out=buf)
        buf += self.eps
        np.divide(g, buf, out=buf)
        buf *= self.lr
        p -= buf                                   # p = p - lr g / (sqrt(G) + eps)


class RMSprop(Optimizer):
    """RMSprop (Hinton 2012, lecture 6e): AdaGrad with a leaky, exponential average of g**2.

    ::

        s <- rho * s + (1 - rho) * g**2
        p <- p - lr * g / (sqrt(s) + eps)

    ``g`` includes ``weight_decay * p`` when ``weight_decay > 0``. State per parameter: ``s``.
    Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.rho = _check_unit_interval(rho, "rho")
        self.eps = check_positive(eps, "eps", strict=False)

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"s": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        s, buf = st["s"], st["buf"]
        g = self._grad_with_l2(p, g, st)
        s *= self.rho
        np.multiply(g, g, out=buf)
        buf *= 1.0 - self.rho
        s += buf                                   # s = rho s + (1 - rho) g^2
        np.sqrt(s, out=buf)
        buf += self.eps
        np.divide(g, buf, out=buf)
        buf *= self.lr
        p -= buf                                   # p = p - lr g / (sqrt(s) + eps)


class AdaMax(Adam):
    """AdaMax (Kingma and Ba 2015, section 7.1): Adam with the infinity norm in the denominator.

    ::

        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        p <- p - lr / (1 - beta1**t) * m / u

    (``eps`` inside the max, as in PyTorch, keeps ``u > 0``.) ``u`` needs no bias correction.
    State per parameter: ``m``, ``u``. Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float = 2e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay)

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {"m": np.zeros_like(p), "u": np.zeros_like(p), "buf": np.empty_like(p)}

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        m, u, buf, t = st["m"], st["u"], st["buf"], st["t"]
        g = self._grad_with_l2(p, g, st)
        m *= self.beta1
        np.multiply(g, 1.0 - self.beta1, out=buf)
        m += buf                                   # m = b1 m + (1 - b1) g
        u *= self.beta2
        np.abs(g, out=buf)
        buf += self.eps
        np.maximum(u, buf, out=u)                  # u = max(b2 u, |g| + eps)
        np.divide(m, u, out=buf)
        buf *= self.lr / (1.0 - self.beta1 ** t)
        p -= buf


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter 2019): Adam with *decoupled* weight decay.

    ::

        p <- p * (1 - lr * weight_decay)            (decay, outside the adaptive scaling)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)   (Adam on the loss gradient alone)

    The decay is multiplied by ``lr`` (as in PyTorch), so a schedule scales both. Unlike
    ``Adam(weight_decay=...)``, the decay is not divided by ``sqrt(v_hat)``: every weight shrinks
    by the same factor. State per parameter: ``m``, ``v``. Derived in
    :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay)

    def _grad_with_l2(self, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> np.ndarray:
        return g                                       # no L2 term in the gradient ...

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        if self.weight_decay:
            p *= 1.0 - self.lr * self.weight_decay     # ... the decay acts on p directly
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
    t = np.asarray(t, dtype=np.float64)
    if t.size == 0 or np.any(t < 1):
        raise ValueError(f"t must hold steps >= 1; got {t!r}")
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    bt = b2 ** t
    return rho_inf - 2.0 * t * bt / (1.0 - bt)


class RAdam(Adam):
    """Rectified Adam (Liu et al. 2020): switch off the adaptive step while its variance is untamed.

    With rho_t from :func:`radam_rho`::

        if rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                       p <- p - lr * r_t * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps)
        else:          p <- p - lr * m_hat                       (momentum SGD)

    (The threshold 5, and eps added to sqrt(v) rather than to sqrt(v_hat), follow the authors'
    code and PyTorch; the paper writes 4 and leaves eps out.)
    State per parameter: ``m``, ``v``. Derived in :doc:`/book/training/optimizers`.
    """

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        m, v, buf, t = st["m"], st["v"], st["buf"], st["t"]
        b1, b2 = self.beta1, self.beta2
        g = self._grad_with_l2(p, g, st)
        m *= b1
        np.multiply(g, 1.0 - b1, out=buf)
        m += buf
        v *= b2
        np.multiply(g, g, out=buf)
        buf *= 1.0 - b2
        v += buf
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = float(radam_rho(t, b2))
        step = self.lr / (1.0 - b1 ** t)
        if rho_t > 5.0:
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            c2 = math.sqrt(1.0 - b2 ** t)          # as the authors' code: eps is added to sqrt(v)
            np.sqrt(v, out=buf)
            buf += self.eps
            np.divide(m, buf, out=buf)
            buf *= step * r_t * c2                 # lr r_t m_hat sqrt(1 - b2^t) / (sqrt(v) + eps)
        else:
            np.multiply(m, step, out=buf)
        p -= buf


class LAMB(Adam):
    """LAMB (You et al. 2020): Adam's direction, rescaled per parameter array by a trust ratio.

    ::

        r = m_hat / (sqrt(v_hat) + eps) + weight_decay * p
        p <- p - lr * (||p|| / ||r||) * r      (ratio taken as 1 when either norm is 0)

    Every layer moves by ``lr`` times its own norm, whatever the scale of its gradient.
    State per parameter: ``m``, ``v``. Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr, beta1, beta2, eps, weight_decay)

    def _update(self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]) -> None:
        m, v, buf, t = st["m"], st["v"], st["buf"], st["t"]
        b1, b2 = self.beta1, self.beta2
        m *= b1
        np.multiply(g, 1.0 - b1, out=buf)
        m += buf
        v *= b2
        np.multiply(g, g, out=buf)
        buf *= 1.0 - b2
        v += buf
        np.sqrt(v, out=buf)
        buf *= 1.0 / math.sqrt(1.0 - b2 ** t)
        buf += self.eps
        np.divide(m, buf, out=buf)
        buf *= 1.0 / (1.0 - b1 ** t)               # r = m_hat / (sqrt(v_hat) + eps)
        if self.weight_decay:
            buf += self.weight_decay * p           # r = r + lambda p
        p_norm = float(np.linalg.norm(p))
        r_norm = float(np.linalg.norm(buf))
        trust = p_norm / r_norm if p_norm > 0 and r_norm > 0 else 1.0
        st["trust"] = trust
        buf *= self.lr * trust
        p -= buf


class _Wrapper(Optimizer):
    """An optimizer built around another one (``self.base``), whose learning rate it shares: a
    schedule that sets ``lr`` on the wrapper sets it on the base optimizer."""

    base: Optimizer

    @property  # type: ignore[override]
    def lr(self) -> float:
        """The wrapped optimizer's learning rate."""
        return self.base.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.base.lr = value


class Lookahead(_Wrapper):
    """Lookahead (Zhang et al. 2019): k fast steps of an inner optimizer, then pull slow weights.

    ::

        every step:      inner.step(params, grads)               (fast weights)
        every k-th step: slow <- slow + alpha * (p - slow);  p <- slow

    ``lr`` reads and sets the inner optimizer's rate. State per parameter: ``slow`` (the slow
    weights, a copy of ``p`` taken at the first step). Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, base: Optimizer, k: int = 5, alpha: float = 0.5) -> None:
        if not isinstance(base, Optimizer):
            raise ValueError(f"base must be an nnbook Optimizer; got {type(base).__name__}")
        if int(k) != k or k < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}")
        alpha = float(alpha)
        if not (0.0 < alpha <= 1.0):
            raise ValueError(f"alpha must be in (0, 1]; got {alpha!r}")
        self.base = base
        self.k = int(k)
        self.alpha = alpha
        self.weight_decay = 0.0
        self.state = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """One fast step of the inner optimizer; every k-th step, the slow-weight update."""
        _check_params_grads(params, grads)
        for name, p in params.items():
            if name not in self.state:
                self.state[name] = {"slow": p.copy(), "t": 0}
        self.base.step(params, grads)
        for name, p in params.items():
            st = self.state[name]
            st["t"] += 1
            if st["t"] % self.k == 0:
                slow = st["slow"]
                slow += self.alpha * (p - slow)      # slow = slow + alpha (fast - slow)
                p[...] = slow                        # fast weights restart from the slow ones

    def reset(self) -> None:
        """Forget the slow weights and the inner optimizer's state."""
        self.state.clear()
        self.base.reset()

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, slow weights and the inner optimizer's ``state_dict``."""
        return {
            "lr": self.lr, "k": self.k, "alpha": self.alpha,
            "state": {n: {"slow": st["slow"].copy(), "t": st["t"]} for n, st in self.state.items()},
            "base": self.base.state_dict(),
        }


class SAM(_Wrapper):
    """Sharpness-aware minimization (Foret et al. 2021) around a base optimizer.

    SAM minimizes max_{||e|| <= rho} L(p + e). To first order the worst perturbation is
    ``e = rho * g / ||g||`` (``||g||`` the norm over *all* parameters), so a step needs two
    gradients::

        opt.first_step(params, grads)    # p <- p + e,  e = rho g / ||g||   (grads at p)
        opt.second_step(params, grads)   # p <- p - e, then base.step with grads at p + e

    ``step`` alone cannot work (it has one gradient) and raises. ``lr`` is the base optimizer's.
    State per parameter: ``e`` (the perturbation). Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(self, base: Optimizer, rho: float = 0.05) -> None:
        if not isinstance(base, Optimizer):
            raise ValueError(f"base must be an nnbook Optimizer; got {type(base).__name__}")
        self.base = base
        self.rho = check_positive(rho, "rho", strict=False)
        self.weight_decay = 0.0
        self.state = {}
        self._perturbed = False

    def first_step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Climb to the (first-order) worst point: p <- p + rho g / ||g||; remembers e."""
        _check_params_grads(params, grads)
        if self._perturbed:
            raise ValueError("first_step called twice: call second_step before the next first_step")
        scale = self.rho / (global_norm(grads) + 1e-12)
        for name, p in params.items():
            e = self.state.setdefault(name, {}).get("e")
            if e is None:
                e = self.state[name]["e"] = np.empty_like(p)
            np.multiply(grads[name], scale, out=e)
            p += e
        self._perturbed = True

    def second_step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Come back (p <- p - e) and let the base optimizer step with the gradient taken at p + e."""
        _check_params_grads(params, grads)
        if not self._perturbed:
            raise ValueError("second_step called without first_step: call first_step first")
        for name, p in params.items():
            p -= self.state[name]["e"]
        self._perturbed = False
        self.base.step(params, grads)

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Not available: SAM needs two gradients; use first_step and second_step."""
        raise ValueError(
            "SAM needs the gradient at two points: call first_step(params, grads) at p, recompute the "
            "gradient at the perturbed params, then second_step(params, grads)"
        )

    def reset(self) -> None:
        """Forget the perturbations and the base optimizer's state."""
        self.state.clear()
        self._perturbed = False
        self.base.reset()

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, the last perturbation and the base optimizer's ``state_dict``."""
        return {
            "lr": self.lr, "rho": self.rho,
            "state": {n: {"e": st["e"].copy()} for n, st in self.state.items()},
            "base": self.base.state_dict(),
        }


def optimizer_trajectory(optimizer: Optimizer, grad: Callable[[np.ndarray], np.ndarray], x0: np.ndarray,
                         n_steps: int) -> np.ndarray:
    """Run ``optimizer`` for ``n_steps`` on a function given by its gradient; return the path.

    ``grad``: x of shape (d,) -> gradient of shape (d,). ``x0``: (d,). Returns the iterates,
    shape (n_steps + 1, d), starting with ``x0``. A :class:`SAM` optimizer gets its second
    gradient from ``grad`` at the perturbed point. The optimizer's state is reset first.
    Used in :doc:`/book/training/optimizers` to draw trajectories on 2-D test functions.
    """
    x = np.array(x0, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x0 must be a non-empty 1-D array of shape (d,); got shape {x.shape}")
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer; got {n_steps!r}")
    optimizer.reset()
    params = {"x": x}
    path = np.empty((int(n_steps) + 1, x.size))
    path[0] = x
    for i in range(1, int(n_steps) + 1):
        g = np.asarray(grad(x), dtype=np.float64)
        if isinstance(optimizer, SAM):
            optimizer.first_step(params, {"x": g})
            g = np.asarray(grad(x), dtype=np.float64)
            optimizer.second_step(params, {"x": g})
        else:
            optimizer.step(params, {"x": g})
        path[i] = x
    return path
