"""Explaining predictions: saliency, integrated gradients, permutation importance, LIME,
Shapley values (exact and KernelSHAP) and linear probes of hidden units.

Derived in :doc:`/book/practice/explaining-predictions`.

Conventions. A *model* is a :class:`~nnbook.nn.module.Module` mapping ``X`` (n, d) to
logits (n, C); the explained scalar of example ``k`` is its logit for class
``target[k]``. A *game* is a value function ``v(masks) -> values`` on coalitions of
``n_players`` features: ``masks`` is a boolean (m, n_players) array (True = the
feature is present) and ``values`` has shape (m,). :func:`masking_game` turns a model
and one input into such a game by replacing absent features with a baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from math import comb, factorial
from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_callable,
    check_int,
    check_positive,
    check_rng,
    check_type,
)
from ..nn.module import Module, Sequential, no_grad

__all__ = [
    "input_gradient", "saliency", "gradient_times_input", "integrated_gradients",
    "permutation_importance", "masking_game", "exact_shapley", "shapley_kernel_weight",
    "kernel_shap", "lime", "hidden_activations", "linear_probe",
]

Game = Callable[[np.ndarray], np.ndarray]


def _targets(target: Any, n: int) -> np.ndarray:
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"target must be an integer class or (n,) integer array; "
                        f"got dtype {t.dtype}")
    t = np.broadcast_to(t, (n,)) if t.ndim == 0 else t
    if t.shape != (n,):
        raise ValueError(f"target must be one class or an array of shape ({n},); "
                         f"got shape {t.shape}")
    return t.astype(np.int64)


def input_gradient(model: Module, X: np.ndarray, target: Any) -> np.ndarray:
    """Gradient of the target logit with respect to the input, one row per example.

    G[k] = d z_{target[k]}(x_k) / d x_k, computed by one forward and one backward pass
    with dL/dZ = onehot(target) (the rows do not interact, so one batched backward gives
    every per-example gradient). ``X``: (n, d) -> ``G``: (n, d). The model's parameter
    gradients are zeroed afterwards. Derived in
    :doc:`/book/practice/explaining-predictions`.
    """
    check_type(model, Module, "model")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    t = _targets(target, X.shape[0])
    Z = model(X)
    if Z.ndim != 2:
        model.clear_cache()
        raise ValueError(f"model must return logits of shape (n, C); got {Z.shape}")
    if t.min() < 0 or t.max() >= Z.shape[1]:
        model.clear_cache()
        raise ValueError(f"target must be in [0, {Z.shape[1]}); "
                         f"got {t.min()}..{t.max()}")
    dZ = np.zeros_like(Z)
    dZ[np.arange(len(t)), t] = 1.0
    G = model.backward(dZ)
    model.zero_grad()
    return np.asarray(G)


def saliency(model: Module, X: np.ndarray, target: Any) -> np.ndarray:
    """Saliency map (Simonyan et al., 2014): |d z_target / d x|. (n, d) -> (n, d)."""
    return np.abs(input_gradient(model, X, target))


def gradient_times_input(model: Module, X: np.ndarray, target: Any) -> np.ndarray:
    """Gradient x input: x * d z_target / d x, elementwise. (n, d) -> (n, d).

    For a linear model z = w.x + b it is exactly w_i x_i, the contribution of feature i.
    """
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    return X * input_gradient(model, X, target)


def integrated_gradients(model: Module, X: np.ndarray, target: Any,
                         baseline: np.ndarray | None = None,
                         steps: int = 50) -> np.ndarray:
    """Integrated gradients (Sundararajan et al., 2017) by the trapezoidal rule.

    IG_i(x) = (x_i - x'_i) * int_0^1 dF(x' + a (x - x')) / dx_i da, with F the target
    logit and x' the baseline. The integral is approximated on ``steps`` equal intervals
    (steps + 1 points, trapezoidal weights), all points of all examples in one batched
    forward/backward pass. Completeness: sum_i IG_i(x) = F(x) - F(x'), up to the
    quadrature error O(1/steps^2) for a smooth F.

    ``X``: (n, d); ``baseline``: (d,) or (n, d), default zeros -> (n, d).
    Derived in :doc:`/book/practice/explaining-predictions`.
    """
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    steps = check_int(steps, "steps")
    n, d = X.shape
    base = (np.zeros_like(X) if baseline is None
            else as_float_array(baseline, "baseline"))
    if base.shape not in ((d,), (n, d)):
        raise ValueError(f"baseline must have shape ({d},) or ({n}, {d}); "
                         f"got {base.shape}")
    base = np.broadcast_to(base, X.shape)
    t = _targets(target, n)
    alphas = np.linspace(0.0, 1.0, steps + 1)                     # (steps+1,)
    path = base[None] + alphas[:, None, None] * (X - base)[None]  # (steps+1, n, d)
    G = input_gradient(model, path.reshape(-1, d), np.tile(t, steps + 1))
    G = G.reshape(steps + 1, n, d)
    w = np.full(steps + 1, 1.0 / steps)                           # trapezoidal weights
    w[[0, -1]] *= 0.5
    avg_grad = np.tensordot(w, G, axes=1)                         # (n, d)
    return np.asarray((X - base) * avg_grad)


def permutation_importance(score: Callable[[np.ndarray, np.ndarray], float],
                           X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                           n_repeats: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Permutation importance (Breiman, 2001): the drop in ``score`` when one feature's
    column is shuffled, breaking its link with ``y`` while keeping its marginal.

    importance_j = score(X, y) - mean_r score(X with column j permuted, y).
    ``score(X, y) -> float`` (higher is better, e.g. accuracy); ``X``: (n, d).
    Returns (mean, std) over the ``n_repeats`` shuffles, each of shape (d,).
    """
    check_callable(score, "score")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    check_rng(rng)
    n_repeats = check_int(n_repeats, "n_repeats")
    base = float(score(X, y))
    drops = np.empty((n_repeats, X.shape[1]))
    Xp = X.copy()
    for j in range(X.shape[1]):                  # a loop over features, not samples
        for r in range(n_repeats):
            Xp[:, j] = X[rng.permutation(X.shape[0]), j]
            drops[r, j] = base - float(score(Xp, y))
        Xp[:, j] = X[:, j]
    return drops.mean(axis=0), drops.std(axis=0)


def masking_game(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                 baseline: np.ndarray, groups: np.ndarray | None = None) -> Game:
    """The value function v(S) = mean_b f(x_S, b_{not S}) of a prediction ``f``.

    Features in the coalition S keep the values of ``x``; the others take those of each
    background row b of ``baseline`` ((d,) or (B, d)) and the predictions are averaged
    (the "interventional" Shapley value). With ``groups`` ((d,) integer ids 0..p-1) the
    players are groups of features (e.g. patches of an image). ``f``: (m, d) -> (m,).
    Returns v: bool (m, p) -> (m,).
    """
    check_callable(f, "f")
    x = as_float_array(x, "x", ndim=1, shape_hint="(d,)")
    d = x.shape[0]
    B = as_float_array(baseline, "baseline", ndim=(1, 2))
    if B.shape[-1] != d:
        raise ValueError(f"baseline must have shape ({d},) or (B, {d}); "
                         f"got {np.shape(baseline)}")
    B = B.reshape(-1, d)
    g = np.arange(d) if groups is None else np.asarray(groups)
    if g.shape != (d,) or g.dtype.kind not in "iu" or g.min() < 0:
        raise ValueError(f"groups must be ({d},) non-negative integer ids; got {g!r}")
    p = int(g.max()) + 1

    def v(masks: np.ndarray) -> np.ndarray:
        M = np.asarray(masks, dtype=bool)
        if M.ndim != 2 or M.shape[1] != p:
            raise ValueError(f"masks must have shape (m, {p}); got {M.shape}")
        keep = M[:, g]                                          # (m, d)
        Xs = np.where(keep[:, None, :], x, B[None, :, :])       # (m, B, d)
        out = np.asarray(f(Xs.reshape(-1, d)), dtype=np.float64)
        return out.reshape(M.shape[0], B.shape[0]).mean(axis=1)

    return v


def _all_masks(p: int) -> np.ndarray:
    """Every coalition of p players: row s is the binary expansion of s. (2^p, p)."""
    return ((np.arange(2**p)[:, None] >> np.arange(p)[None, :]) & 1).astype(bool)


def exact_shapley(v: Game, n_players: int) -> np.ndarray:
    """Exact Shapley values by enumerating all 2^p coalitions (p <= 20).

    phi_i = sum_{S not containing i} |S|! (p-|S|-1)! / p! [v(S u {i}) - v(S)].
    The game is evaluated once, on all coalitions in one batch. Returns (p,).
    Efficiency: sum_i phi_i = v(all) - v(empty). Derived in
    :doc:`/book/practice/explaining-predictions`.
    """
    check_callable(v, "v")
    p = check_int(n_players, "n_players", maximum=20)
    masks = _all_masks(p)
    vals = np.asarray(v(masks), dtype=np.float64)              # v at coalition index s
    if vals.shape != (2**p,):
        raise ValueError(f"v must return one value per coalition ({2**p},); "
                         f"got {vals.shape}")
    sizes = masks.sum(axis=1)
    w = np.array([factorial(s) * factorial(p - s - 1) / factorial(p) for s in range(p)])
    idx = np.arange(2**p)
    phi = np.empty(p)
    for i in range(p):                                          # a loop over players
        without = idx[(idx >> i) & 1 == 0]                      # S not containing i
        phi[i] = np.sum(w[sizes[without]] * (vals[without | (1 << i)] - vals[without]))
    return phi


def shapley_kernel_weight(p: int, s: np.ndarray) -> np.ndarray:
    """The Shapley kernel pi(s) = (p - 1) / (C(p, s) s (p - s)) for coalition sizes
    0 < s < p (Lundberg and Lee, 2017); infinite at s = 0 and s = p, where KernelSHAP
    imposes the constraints exactly instead."""
    p = check_int(p, "p", minimum=2)
    s = np.asarray(s, dtype=np.int64)
    if s.min() < 1 or s.max() > p - 1:
        raise ValueError(f"s must be coalition sizes in [1, {p - 1}]; got {s.min()}..")
    binom = np.array([comb(p, int(k)) for k in range(p + 1)], dtype=np.float64)
    return (p - 1) / (binom[s] * s * (p - s))


def kernel_shap(v: Game, n_players: int, n_samples: int | None = None,
                rng: np.random.Generator | None = None) -> np.ndarray:
    """KernelSHAP: Shapley values as a weighted least-squares fit of an additive model.

    Solve min_phi sum_z pi(|z|) (v(z) - v(0) - z . phi)^2 subject to
    sum_i phi_i = v(1) - v(0), with pi the Shapley kernel. With ``n_samples=None`` every
    coalition 0 < |z| < p enters with weight pi(|z|) and the solution *is* the Shapley
    value; otherwise ``n_samples`` coalitions are drawn from the kernel (a size s with
    probability proportional to C(p, s) pi(s), then a uniform subset of that size) and
    weighted equally, and the estimate converges to the Shapley value as n grows.
    The constraint is imposed by eliminating phi_p. Returns (p,).
    Derived in :doc:`/book/practice/explaining-predictions`.
    """
    check_callable(v, "v")
    p = check_int(n_players, "n_players", minimum=2, maximum=30)
    if n_samples is None:
        if p > 20:
            raise ValueError(f"n_samples=None enumerates 2^p coalitions; p={p} > 20")
        Z = _all_masks(p)[1:-1]
        w = shapley_kernel_weight(p, Z.sum(axis=1))
    else:
        n_samples = check_int(n_samples, "n_samples")
        rng = check_rng(rng)
        sizes = np.arange(1, p)
        counts = np.array([comb(p, int(s)) for s in sizes], dtype=np.float64)
        prob = shapley_kernel_weight(p, sizes) * counts
        s = rng.choice(sizes, size=n_samples, p=prob / prob.sum())
        ranks = np.argsort(rng.random((n_samples, p)), axis=1)  # random order per row
        Z = ranks < s[:, None]                                  # a uniform s-subset
        w = np.ones(n_samples)
    ends = np.asarray(v(np.stack([np.zeros(p, bool), np.ones(p, bool)])), np.float64)
    v0, v1 = float(ends[0]), float(ends[1])
    vz = np.asarray(v(Z), dtype=np.float64) - v0
    Zf = Z.astype(np.float64)
    A = Zf[:, :-1] - Zf[:, -1:]                  # phi_p = (v1 - v0) - sum_{i<p} phi_i
    r = vz - Zf[:, -1] * (v1 - v0)
    Aw = A * w[:, None]
    phi_head = np.linalg.lstsq(A.T @ Aw, Aw.T @ r, rcond=None)[0]
    return np.append(phi_head, (v1 - v0) - phi_head.sum())


def lime(v: Game, n_players: int, rng: np.random.Generator, n_samples: int = 1000,
         kernel_width: float = 0.25, ridge: float = 1e-3) -> tuple[np.ndarray, float]:
    """LIME (Ribeiro et al., 2016) in the binary interpretable space of a game.

    Draw coalitions z (each player present with probability 1/2), weight each by the
    proximity pi(z) = exp(-D(z)^2 / width^2), D = fraction of players removed, and fit
    the weighted ridge regression v(z) ~ b + z . w. Returns (w (p,), b): the local
    surrogate.
    """
    check_callable(v, "v")
    p = check_int(n_players, "n_players")
    check_rng(rng)
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    width = check_positive(kernel_width, "kernel_width")
    ridge = check_positive(ridge, "ridge", strict=False)
    Z = rng.random((n_samples, p)) < 0.5
    Z[0] = True                                                 # the instance itself
    y = np.asarray(v(Z), dtype=np.float64)
    D = 1.0 - Z.mean(axis=1)
    pi = np.exp(-(D**2) / width**2)
    A = np.hstack([np.ones((n_samples, 1)), Z.astype(np.float64)])
    Aw = A * pi[:, None]
    reg = ridge * np.eye(p + 1)
    reg[0, 0] = 0.0                                             # no penalty on b
    coef = np.linalg.solve(A.T @ Aw + reg, Aw.T @ y)
    return coef[1:], float(coef[0])


def hidden_activations(model: Sequential, X: np.ndarray, upto: int) -> np.ndarray:
    """The output of ``model.layers[:upto]`` (no caching): the representation a probe
    reads. ``X``: (n, d) -> (n, width of layer upto-1); ``upto=0`` returns X."""
    check_type(model, Sequential, "model")
    upto = check_int(upto, "upto", minimum=0, maximum=len(model.layers))
    H = as_float_array(X, "X", ndim=2, shape_hint="(n, d)")
    with no_grad():
        for layer in model.layers[:upto]:
            H = layer(H)
    return H


def linear_probe(H_train: np.ndarray, y_train: np.ndarray, H_test: np.ndarray,
                 y_test: np.ndarray, ridge: float = 1e-2) -> float:
    """Test accuracy of a linear read-out of labels from a representation H.

    Ridge regression of one-hot targets on standardised [H, 1],
    W = (A^T A + lambda I)^-1 A^T Y, then argmax: a closed-form probe (Alain and
    Bengio, 2017) with no training loop. ``H_*``: (n, k); ``y_*``: (n,) integer
    labels. Returns accuracy in [0, 1].
    """
    Htr = as_float_array(H_train, "H_train", ndim=2, shape_hint="(n, k)")
    Hte = as_float_array(H_test, "H_test", ndim=2, shape_hint="(n, k)")
    if Hte.shape[1] != Htr.shape[1]:
        raise ValueError(f"H_test must have {Htr.shape[1]} columns; got {Hte.shape[1]}")
    ytr, yte = np.asarray(y_train, np.int64), np.asarray(y_test, np.int64)
    if ytr.shape != (Htr.shape[0],) or yte.shape != (Hte.shape[0],):
        raise ValueError("y_train and y_test must be (n,) labels matching "
                         "H_train and H_test")
    ridge = check_positive(ridge, "ridge", strict=False)
    mu, sd = Htr.mean(axis=0), Htr.std(axis=0) + 1e-8
    A = np.hstack([(Htr - mu) / sd, np.ones((len(Htr), 1))])
    C = int(max(ytr.max(), yte.max())) + 1
    Y = np.eye(C)[ytr]
    W = np.linalg.solve(A.T @ A + ridge * len(A) * np.eye(A.shape[1]), A.T @ Y)
    At = np.hstack([(Hte - mu) / sd, np.ones((len(Hte), 1))])
    return float(np.mean(np.argmax(At @ W, axis=1) == yte))
