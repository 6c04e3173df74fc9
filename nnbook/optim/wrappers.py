"""Optimizers built around another one: Lookahead and SAM; and a helper that records an
optimizer's path on a 2-D function. Derived in :doc:`/book/training/optimizers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._checks import as_float_array, check_int, check_positive, check_type
from .base import Optimizer, _check_params_grads
from .clipping import global_norm

__all__ = ["Lookahead", "SAM", "optimizer_trajectory"]


class _Wrapper(Optimizer):
    """An optimizer built around another one (``self.base``), whose learning rate it
    shares: a schedule that sets ``lr`` on the wrapper sets it on the base optimizer."""

    base: Optimizer

    @property
    def lr(self) -> float:
        """The wrapped optimizer's learning rate."""
        return self.base.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.base.lr = value


class Lookahead(_Wrapper):
    """Lookahead (Zhang et al. 2019): k fast steps of an inner optimizer, then pull slow
    weights.

    ::

        every step:      inner.step(params, grads)               (fast weights)
        every k-th step: slow <- slow + alpha * (p - slow);  p <- slow

    ``lr`` reads and sets the inner optimizer's rate. State per parameter: ``slow`` (the
    slow weights, a copy of ``p`` taken at the first step). Derived in
    :doc:`/book/training/optimizers`.
    """

    def __init__(self, base: Optimizer, k: int = 5, alpha: float = 0.5) -> None:
        check_type(base, Optimizer, "base")
        k = check_int(k, "k")
        alpha = check_positive(alpha, "alpha")
        if alpha > 1.0:
            raise ValueError(f"alpha must be in (0, 1]; got {alpha!r}")
        self.base = base
        self.k = int(k)
        self.alpha = alpha
        self.weight_decay = 0.0
        self.state = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """One fast step of the inner optimizer; every k-th step, the slow-weight
        update."""
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
                slow += self.alpha * (p - slow)  # slow = slow + alpha (fast - slow)
                p[...] = slow  # fast weights restart from the slow ones

    def reset(self) -> None:
        """Forget the slow weights and the inner optimizer's state."""
        self.state.clear()
        self.base.reset()

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, slow weights and the inner optimizer's ``state_dict``."""
        return {
            "lr": self.lr,
            "k": self.k,
            "alpha": self.alpha,
            "state": {
                n: {"slow": st["slow"].copy(), "t": st["t"]}
                for n, st in self.state.items()
            },
            "base": self.base.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, the inner optimizer's state
        included."""
        check_type(state, dict, "state")
        self.base.load_state_dict(state["base"])
        self.k, self.alpha = check_int(state["k"], "k"), float(state["alpha"])
        self.state = {
            n: {"slow": np.array(st["slow"], copy=True), "t": int(st["t"])}
            for n, st in state["state"].items()
        }


class SAM(_Wrapper):
    """Sharpness-aware minimization (Foret et al. 2021) around a base optimizer.

    SAM minimizes max_{||e|| <= rho} L(p + e). To first order the worst perturbation is
    ``e = rho * g / ||g||`` (``||g||`` the norm over *all* parameters), so a step needs
    two
    gradients::

        opt.first_step(params, grads)    # p <- p + e,  e = rho g / ||g||   (grads at p)
        opt.second_step(params, grads)   # p <- p - e, then base.step with grads at p +
        e

    ``step`` alone cannot work (it has one gradient) and raises. ``lr`` is the base
    optimizer's. State per parameter: ``e`` (the perturbation). Derived in
    :doc:`/book/training/optimizers`.
    """

    def __init__(self, base: Optimizer, rho: float = 0.05) -> None:
        check_type(base, Optimizer, "base")
        self.base = base
        self.rho = check_positive(rho, "rho", strict=False)
        self.weight_decay = 0.0
        self.state = {}
        self._perturbed = False

    def first_step(
        self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
    ) -> None:
        """Climb to the (first-order) worst point: p <- p + rho g / ||g||; remembers
        e."""
        _check_params_grads(params, grads)
        if self._perturbed:
            raise ValueError(
                "first_step called twice: call second_step before the next first_step"
            )
        scale = self.rho / (global_norm(grads) + 1e-12)
        for name, p in params.items():
            e = self.state.setdefault(name, {}).get("e")
            if e is None:
                e = self.state[name]["e"] = np.empty_like(p)
            np.multiply(grads[name], scale, out=e)
            p += e
        self._perturbed = True

    def second_step(
        self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]
    ) -> None:
        """Come back (p <- p - e) and let the base optimizer step with the gradient
        taken at p + e."""
        _check_params_grads(params, grads)
        if not self._perturbed:
            raise ValueError(
                "second_step called without first_step: call first_step first"
            )
        for name, p in params.items():
            p -= self.state[name]["e"]
        self._perturbed = False
        self.base.step(params, grads)

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Not available: SAM needs two gradients; use first_step and second_step."""
        raise ValueError(
            "SAM needs the gradient at two points: call first_step(params, grads) at "
            "p, recompute the "
            "gradient at the perturbed params, then second_step(params, grads)"
        )

    def reset(self) -> None:
        """Forget the perturbations and the base optimizer's state."""
        self.state.clear()
        self._perturbed = False
        self.base.reset()

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, the last perturbation and the base optimizer's
        ``state_dict``."""
        return {
            "lr": self.lr,
            "rho": self.rho,
            "state": {n: {"e": st["e"].copy()} for n, st in self.state.items()},
            "base": self.base.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, the base optimizer's state
        included."""
        check_type(state, dict, "state")
        self.base.load_state_dict(state["base"])
        self.rho = check_positive(state["rho"], "rho", strict=False)
        self.state = {
            n: {"e": np.array(st["e"], copy=True)} for n, st in state["state"].items()
        }
        self._perturbed = False


def optimizer_trajectory(
    optimizer: Optimizer,
    grad: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    n_steps: int,
) -> np.ndarray:
    """Run ``optimizer`` for ``n_steps`` on a function given by its gradient; return the
    path.

    ``grad``: x of shape (d,) -> gradient of shape (d,). ``x0``: (d,). Returns the
    iterates, shape (n_steps + 1, d), starting with ``x0``. A :class:`SAM` optimizer
    gets its second gradient from ``grad`` at the perturbed point. The optimizer's state
    is reset first. Used in :doc:`/book/training/optimizers` to draw trajectories on 2-D
    test functions.
    """
    check_type(optimizer, Optimizer, "optimizer")
    x = np.array(as_float_array(x0, "x0", ndim=1, shape_hint="(d,)"), dtype=np.float64)
    n_steps = check_int(n_steps, "n_steps", minimum=0)
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
