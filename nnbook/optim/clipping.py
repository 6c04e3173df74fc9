"""Gradient clipping, by value and by global norm. Derived in
:doc:`/book/mlp/vanishing-gradients`.

Gradients come as a dict ``{name: array}`` (what
:meth:`nnbook.model.Sequential.gradients` returns). The functions never modify their
input: they return new arrays under the same keys.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .._checks import as_float_array, check_positive

__all__ = ["global_norm", "clip_by_value", "clip_by_global_norm"]


def _grads(grads: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    if not isinstance(grads, Mapping):
        raise ValueError(
            f"grads must be a dict of name -> array; got {type(grads).__name__}"
        )
    if not grads:
        raise ValueError("grads must not be empty; got a dict with no arrays")
    return {
        k: as_float_array(g, f"grads[{k!r}]", allow_empty=True)
        for k, g in grads.items()
    }


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """The Euclidean norm of all gradients stacked into one vector:
    ||g|| = sqrt(sum_k sum_i g_{k,i}^2). ``grads``: dict of arrays of any shapes."""
    g = _grads(grads)
    with np.errstate(over="ignore"):
        norm = math.sqrt(sum(float(np.vdot(a, a)) for a in g.values()))
    if math.isinf(norm):  # squares overflowed: rescale by the largest entry first
        m = max(float(np.max(np.abs(a), initial=0.0)) for a in g.values())
        norm = m * math.sqrt(sum(float(np.vdot(a / m, a / m)) for a in g.values()))
    return norm


def clip_by_value(
    grads: Mapping[str, np.ndarray], limit: float
) -> dict[str, np.ndarray]:
    """Clip every entry to [-limit, limit]: g_i <- max(-limit, min(limit, g_i)).

    Cheap, but it changes the direction of the gradient whenever some entries are
    clipped and others are not. Returns a new dict with arrays of the same shapes.
    """
    g = _grads(grads)
    limit = check_positive(limit, "limit")
    return {k: np.clip(a, -limit, limit) for k, a in g.items()}


def clip_by_global_norm(
    grads: Mapping[str, np.ndarray], max_norm: float
) -> tuple[dict[str, np.ndarray], float]:
    """Rescale all gradients together when their global norm exceeds ``max_norm``
    (Pascanu, Mikolov and Bengio, 2013):

        g <- g * min(1, max_norm / ||g||).

    The direction of the full gradient is kept; only its length is capped. Returns the
    new dict and the norm *before* clipping (worth logging: spikes announce
    instability). A gradient holding NaN or infinity raises
    :class:`~nnbook._checks.NonFiniteError`, which the training loop reports as a
    diverged run.
    """
    g = _grads(grads)
    max_norm = check_positive(max_norm, "max_norm")
    norm = global_norm(g)
    if not math.isfinite(norm) or norm <= max_norm:
        return {k: a.copy() for k, a in g.items()}, norm
    scale = max_norm / norm
    return {k: a * a.dtype.type(scale) for k, a in g.items()}, norm
