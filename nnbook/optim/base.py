"""The optimizer interface: validation, per-parameter state, weight decay, saving.

Every optimizer follows one interface::

    opt = Adam(lr=1e-3)
    opt.step(params, grads)      # updates the arrays of ``params`` in place

``params`` and ``grads`` are dicts mapping a parameter name (``"W1"``, ``"b1"``, ...) to
an array; ``grads[name]`` has the shape of ``params[name]``. The optimizer owns its
*state* (velocities, moment estimates), keyed by parameter name and allocated lazily,
with the parameter's dtype, on the first step that sees the name. It never holds the
parameters themselves. ``opt.lr`` may be changed between steps (that is what a schedule
does).

Derived in :doc:`/book/training/optimizers`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._checks import check_callable, check_positive, check_probability, check_type
from ..nn.regularization import is_decayed

__all__ = ["Optimizer"]


_SCRATCH = ("buf", "g")  # per-parameter work arrays, not state worth saving


def _check_unit_interval(value: float, name: str) -> float:
    return check_probability(value, name)


def _check_params_grads(
    params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]
) -> None:
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
                f"params[{name!r}] must be a floating-point numpy array (it is "
                f"updated in place); got {type(p).__name__}"
                + (f" of dtype {p.dtype}" if isinstance(p, np.ndarray) else "")
            )
        g_shape = g.shape
        if g_shape != p.shape:
            raise ValueError(
                f"grads[{name!r}] must have the shape of params[{name!r}], {p.shape}; "
                f"got {g_shape}"
            )
        # One reduction instead of an elementwise isfinite temporary; the full count on
        # failure.
        if not math.isfinite(g.sum()):
            bad = int(np.size(g) - np.count_nonzero(np.isfinite(g)))
            if bad:
                raise ValueError(
                    f"grads[{name!r}] must be finite; got {bad} NaN or infinite "
                    "value(s)"
                )


class Optimizer:
    """Base class: validation, per-parameter state and the step counter.

    ``step(params, grads)`` checks that ``grads`` has the keys and shapes of ``params``
    and is finite, then calls ``_update(name, p, g, state)`` for each parameter, where
    ``state`` is the dict of that parameter's arrays (created by ``_init_state`` on
    first sight) and ``state["t"]`` counts the steps this parameter has taken (1 on its
    first update). Subclasses implement ``_init_state`` and ``_update``; the update must
    modify ``p`` in place.

    Weight decay (``weight_decay > 0``) applies only to the parameters for which
    ``decay(name, array)`` is True. The default,
    :func:`nnbook.nn.regularization.is_decayed`, decays arrays with two or more axes
    (weight matrices, kernels, embeddings) and never biases or the scales and shifts of
    normalization layers; pass ``decay=lambda n, p: True`` to decay everything, as
    PyTorch does by default.

    Attributes: ``lr`` (settable, non-negative), ``weight_decay``, ``state`` (dict
    name -> dict). :meth:`state_dict` and :meth:`load_state_dict` save and restore both.
    Derived in :doc:`/book/training/optimizers`.
    """

    def __init__(
        self,
        lr: float,
        weight_decay: float = 0.0,
        decay: Callable[[str, np.ndarray], bool] = is_decayed,
    ) -> None:
        self.lr = lr
        self.weight_decay = check_positive(weight_decay, "weight_decay", strict=False)
        self.decay = check_callable(decay, "decay")
        self.state: dict[str, dict[str, Any]] = {}

    @property
    def lr(self) -> float:
        """The learning rate used by the next step; schedules set it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_positive(value, "lr", strict=False)

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching array of
        ``grads``.

        ``params[name]`` and ``grads[name]``: arrays of the same (any) shape.
        """
        _check_params_grads(params, grads)
        for name, p in params.items():
            st = self.state.get(name)
            if st is None:
                st = self.state[name] = self._init_state(p)
                st["t"] = 0
                st["decay"] = bool(self.decay(name, p))
            st["t"] += 1
            self._update(name, p, np.asarray(grads[name]), st)

    def reset(self) -> None:
        """Forget all state (velocities, moments, step counts); the hyperparameters
        stay."""
        self.state.clear()

    def state_dict(self) -> dict[str, Any]:
        """A copy of the hyperparameters and the per-parameter state (arrays copied)."""
        hyper = {
            k: v
            for k, v in vars(self).items()
            if k not in ("state", "decay", "base") and not k.startswith("_")
        }
        return {
            "lr": self.lr,
            **hyper,
            "state": {
                name: {
                    k: (v.copy() if isinstance(v, np.ndarray) else v)
                    for k, v in st.items()
                    if k not in _SCRATCH
                }
                for name, st in self.state.items()
            },
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned: hyperparameters and per-parameter
        state (arrays copied), so that training resumes exactly where it stopped."""
        check_type(state, Mapping, "state")
        if "state" not in state or "lr" not in state:
            raise ValueError(
                "state must be an optimizer state_dict with 'lr' and 'state'; got "
                "keys "
                f"{sorted(state)}"
            )
        for key, value in state.items():
            if key in ("state", "base"):
                continue
            if key != "lr" and key not in vars(self):
                raise ValueError(
                    f"state has a hyperparameter {key!r} that "
                    f"{type(self).__name__} does not have"
                )
            setattr(self, key, value)
        self.state = {}
        for name, st in state["state"].items():
            new = {
                k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
                for k, v in st.items()
            }
            self.state[name] = {**self._scratch(new), **new}

    def _scratch(self, st: dict[str, Any]) -> dict[str, Any]:
        """Work arrays that :meth:`state_dict` leaves out, recreated on loading."""
        like = next((v for v in st.values() if isinstance(v, np.ndarray)), None)
        return {} if like is None else {"buf": np.empty_like(like)}

    def _init_state(self, p: np.ndarray) -> dict[str, Any]:
        return {}

    def _update(
        self, name: str, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def _grad_with_l2(
        self, p: np.ndarray, g: np.ndarray, st: dict[str, Any]
    ) -> np.ndarray:
        """Coupled L2 decay: g + weight_decay * p in the buffer ``st["g"]``, or g itself
        when 0."""
        if self.weight_decay == 0.0 or not st["decay"]:
            return g
        gbuf = st.get("g")
        if gbuf is None:
            gbuf = st["g"] = np.empty_like(p)
        np.multiply(p, self.weight_decay, out=gbuf)
        gbuf += g
        return gbuf

    def __repr__(self) -> str:
        hyper = ", ".join(
            f"{k}={v!r}"
            for k, v in self.state_dict().items()
            if k not in ("state", "base")
        )
        return f"{type(self).__name__}({hyper})"
