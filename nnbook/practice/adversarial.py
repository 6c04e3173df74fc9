"""Adversarial examples: FGSM, PGD, accuracy under attack and adversarial training.

Derived in :doc:`/book/practice/adversarial-examples`. Attacks are in the L-infinity
ball: ``X_adv`` differs from ``X`` by at most ``eps`` in every coordinate and, with
``clip=(lo, hi)``, stays in the valid input box (pixels in [0, 1]).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_callable,
    check_float,
    check_int,
    check_labels,
    check_positive,
    check_probability,
    check_rng,
    check_type,
)
from ..data.datasets import minibatches
from ..nn.losses import CrossEntropyLoss
from ..nn.module import Module
from ..train.loop import LossFn, evaluate, train_step

__all__ = [
    "loss_input_gradient", "fgsm", "pgd", "accuracy_under_attack", "adversarial_fit",
]

Attack = Callable[..., np.ndarray]


def _clip(clip: Any) -> tuple[float, float] | None:
    if clip is None:
        return None
    check_type(clip, (tuple, list), "clip")
    if len(clip) != 2:
        raise ValueError(f"clip must be a pair (lo, hi); got {clip!r}")
    lo, hi = (check_float(c, "clip") for c in clip)
    if not lo < hi:
        raise ValueError(f"clip must be (lo, hi) with lo < hi; got {clip!r}")
    return lo, hi


def loss_input_gradient(model: Module, X: np.ndarray, y: np.ndarray,
                        loss_fn: LossFn | None = None) -> tuple[float, np.ndarray]:
    """The batch loss and its gradient with respect to the input, dL/dX.

    One forward and one backward pass; the parameter gradients are zeroed afterwards.
    ``X``: (n, d); ``y``: (n,) labels -> (loss, dL/dX of shape (n, d)). With the mean
    loss every row of dL/dX carries the factor 1/n, which leaves its sign unchanged.
    """
    check_type(model, Module, "model")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    loss_fn = (CrossEntropyLoss() if loss_fn is None
               else check_callable(loss_fn, "loss_fn"))
    Z = model(X)
    try:
        value, dZ = loss_fn(Z, y)
    except Exception:
        model.clear_cache()
        raise
    G = model.backward(dZ)
    model.zero_grad()
    return float(value), np.asarray(G)


def fgsm(model: Module, X: np.ndarray, y: np.ndarray, eps: float,
         loss_fn: LossFn | None = None,
         clip: tuple[float, float] | None = None) -> np.ndarray:
    """Fast gradient sign method (Goodfellow et al., 2015).

    X_adv = clip(X + eps * sign(dL/dX)): the maximiser of the loss's linearisation
    L(X) + g . delta over the L-infinity ball ||delta||_inf <= eps, which raises it by
    eps ||g||_1. ``X``: (n, d) -> (n, d). Derived in
    :doc:`/book/practice/adversarial-examples`.
    """
    eps = check_positive(eps, "eps", strict=False)
    box = _clip(clip)
    _, G = loss_input_gradient(model, X, y, loss_fn)
    X_adv = np.asarray(X, dtype=G.dtype) + eps * np.sign(G)
    return np.clip(X_adv, *box) if box else X_adv


def pgd(model: Module, X: np.ndarray, y: np.ndarray, eps: float,
        alpha: float | None = None, steps: int = 10,
        rng: np.random.Generator | None = None,
        loss_fn: LossFn | None = None,
        clip: tuple[float, float] | None = None) -> np.ndarray:
    """Projected gradient ascent on the loss in the L-inf ball (Madry et al., 2018).

    Start at X (or, given ``rng``, at a uniform random point of the ball), then repeat
    ``steps`` times: X_adv <- Proj_{B(X, eps)}(X_adv + alpha * sign(dL/dX_adv)), the
    projection being a coordinatewise clip to [X - eps, X + eps] (and to ``clip``).
    The default step is alpha = 2.5 eps / steps, enough to cross the ball from any
    start. With one step, alpha = eps and no random start, this is :func:`fgsm`.
    ``X``: (n, d) -> (n, d). Derived in :doc:`/book/practice/adversarial-examples`.
    """
    eps = check_positive(eps, "eps", strict=False)
    steps = check_int(steps, "steps")
    alpha = 2.5 * eps / steps if alpha is None else check_positive(alpha, "alpha")
    box = _clip(clip)
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    lo, hi = X - eps, X + eps
    if box:
        lo, hi = np.maximum(lo, box[0]), np.minimum(hi, box[1])
    X_adv = X.copy()
    if rng is not None:
        check_rng(rng)
        X_adv = np.clip(X + rng.uniform(-eps, eps, size=X.shape), lo, hi)
    for _ in range(steps):
        _, G = loss_input_gradient(model, X_adv, y, loss_fn)
        X_adv = np.clip(X_adv + alpha * np.sign(G), lo, hi)
    return X_adv


def accuracy_under_attack(model: Module, X: np.ndarray, y: np.ndarray,
                          epsilons: Any, attack: Attack = fgsm,
                          **attack_kwargs: Any) -> np.ndarray:
    """Accuracy on ``attack(model, X, y, eps, **attack_kwargs)`` for each eps.

    eps = 0 is the clean accuracy. ``X``: (n, d); ``epsilons``: (k,) -> (k,) accuracies.
    """
    check_callable(attack, "attack")
    eps = as_float_array(epsilons, "epsilons", ndim=1)
    if eps.min() < 0:
        raise ValueError(f"epsilons must be >= 0; got {eps.min()}")
    out = np.empty(len(eps))
    for k, e in enumerate(eps):                 # a loop over budgets, not samples
        X_adv = X if e == 0 else attack(model, X, y, float(e), **attack_kwargs)
        out[k] = evaluate(model, X_adv, y)[1]
    return out


def adversarial_fit(model: Module, X: np.ndarray, y: np.ndarray, optimizer: Any, *,
                    eps: float, epochs: int, batch_size: int, rng: np.random.Generator,
                    attack: Attack = fgsm, adv_fraction: float = 0.5,
                    loss_fn: LossFn | None = None,
                    **attack_kwargs: Any) -> list[float]:
    """Adversarial training (Goodfellow et al., 2015; Madry et al., 2018).

    For every mini-batch, replace a fraction ``adv_fraction`` of its rows by
    ``attack(model, rows, labels, eps)`` against the current model, then take one
    :func:`~nnbook.train.train_step` on the mixed batch: the minimisation of
    (1 - a) L(X) + a max_{||delta|| <= eps} L(X + delta). Each step costs one extra
    forward/backward pass per attack step. Returns the mean training loss per epoch.
    """
    check_type(model, Module, "model")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    y = check_labels(y, X.shape[0])
    check_callable(attack, "attack")
    eps = check_positive(eps, "eps", strict=False)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    check_rng(rng)
    frac = check_probability(adv_fraction, "adv_fraction", include_one=True)
    loss_fn = (CrossEntropyLoss() if loss_fn is None
               else check_callable(loss_fn, "loss_fn"))
    losses = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for idx in minibatches(len(X), batch_size, rng):
            Xb = X[idx].copy()
            k = int(round(frac * len(idx)))
            if k and eps > 0:
                Xb[:k] = attack(model, Xb[:k], y[idx[:k]], eps, **attack_kwargs)
            res = train_step(model, Xb, y[idx], loss_fn, optimizer)
            total, count = total + res.loss * len(idx), count + len(idx)
        losses.append(total / count)
    return losses
