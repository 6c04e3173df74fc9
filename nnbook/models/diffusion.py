"""Denoising diffusion: the forward process, the noise-prediction loss, DDPM and DDIM
sampling, classifier-free guidance.

Derived in :doc:`/book/generative/diffusion`. Time steps are 1-based in the
formulas and 0-based in the arrays: ``betas[t - 1]`` is beta_t and ``alpha_bar[t - 1]``
is prod_{s <= t} (1 - beta_s). A :class:`Denoiser` wraps any network that maps
[x_t, embedding(t), one-hot(y)] to a prediction of the noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_float,
    check_int,
    check_rng,
    check_type,
)
from ..nn.module import Module, no_grad

__all__ = [
    "linear_beta_schedule", "q_sample", "forward_chain", "timestep_embedding",
    "noise_prediction_loss", "Denoiser", "train_diffusion", "ddpm_sample",
    "ddim_sample",
]


def linear_beta_schedule(n_steps: int, beta_1: float = 1e-4,
                         beta_T: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Ho et al.'s linear schedule beta_t from ``beta_1`` to ``beta_T`` over ``n_steps``
    steps, and alpha_bar_t = prod_{s <= t} (1 - beta_s). Both (n_steps,)."""
    n_steps = check_int(n_steps, "n_steps")
    beta_1 = check_float(beta_1, "beta_1", low=0.0, high=1.0, low_open=True,
                         high_open=True)
    beta_T = check_float(beta_T, "beta_T", low=beta_1, high=1.0, high_open=True)
    betas = np.linspace(beta_1, beta_T, n_steps)
    return betas, np.cumprod(1.0 - betas)


def _steps(t: Any, n: int, n_steps: int) -> np.ndarray:
    t = np.asarray(t)
    if t.dtype.kind not in "iu":
        raise TypeError(f"t must hold integer time steps; got dtype {t.dtype}")
    t = np.broadcast_to(t, (n,))
    if t.min() < 1 or t.max() > n_steps:
        raise ValueError(f"t must lie in [1, {n_steps}]; got values from {t.min()} "
                         f"to {t.max()}")
    return t


def q_sample(X0: np.ndarray, t: Any, eps: np.ndarray,
             alpha_bar: np.ndarray) -> np.ndarray:
    """Draw from q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I):

        x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps.

    ``X0``, ``eps``: (n, d); ``t``: (n,) or a scalar integer in [1, T].
    """
    X0 = as_float_array(X0, "X0", ndim=2, shape_hint="(n, d)")
    eps = as_float_array(eps, "eps", ndim=2, shape_hint="(n, d)")
    if eps.shape != X0.shape:
        raise ValueError(f"eps must have the shape of X0 {X0.shape}; got {eps.shape}")
    t = _steps(t, len(X0), len(alpha_bar))
    ab = alpha_bar[t - 1][:, None]
    return np.asarray(np.sqrt(ab) * X0 + np.sqrt(1.0 - ab) * eps).astype(X0.dtype)


def forward_chain(X0: np.ndarray, betas: np.ndarray, t: int,
                  rng: np.random.Generator) -> np.ndarray:
    """x_t by running the chain x_s = sqrt(1 - beta_s) x_{s-1} + sqrt(beta_s) eps_s
    for s = 1, ..., t (a reference for :func:`q_sample`). ``X0``: (n, d) -> (n, d)."""
    X = as_float_array(X0, "X0", ndim=2).copy()
    t = check_int(t, "t", maximum=len(betas))
    check_rng(rng)
    for s in range(t):
        noise = rng.standard_normal(X.shape)
        X = np.sqrt(1.0 - betas[s]) * X + np.sqrt(betas[s]) * noise
    return X


def timestep_embedding(t: Any, n_steps: int, dim: int) -> np.ndarray:
    """Sinusoidal features of the time step: sin and cos of (t / n_steps) * f_k for
    ``dim / 2`` frequencies f_k geometric from 1 to 1000 (as in Transformers' position
    encodings). ``t``: (n,) integers -> (n, dim)."""
    dim = check_int(dim, "dim")
    if dim % 2:
        raise ValueError(f"dim must be even; got {dim}")
    t = np.asarray(t)
    freqs = np.geomspace(1.0, 1000.0, dim // 2)
    angle = (t[:, None] / n_steps) * freqs[None, :]
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


def noise_prediction_loss(eps_hat: np.ndarray, eps: np.ndarray
                          ) -> tuple[float, np.ndarray]:
    """The simplified DDPM loss mean ||eps - eps_hat||^2 (the mean over every entry) and
    its gradient 2 (eps_hat - eps) / size. Both (n, d)."""
    eps_hat = as_float_array(eps_hat, "eps_hat", ndim=2)
    eps = as_float_array(eps, "eps", ndim=2)
    if eps.shape != eps_hat.shape:
        raise ValueError(f"eps and eps_hat must have the same shape; got {eps.shape} "
                         f"and {eps_hat.shape}")
    diff = eps_hat - eps
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


class Denoiser(Module):
    """A noise predictor eps_theta(x_t, t, y) = net([x_t, emb(t), onehot(y)]).

    ``net``: (batch, d + emb_dim + n_classes) -> (batch, d). With ``n_classes > 0`` the
    model is conditional; a label of -1 is the *null* label (the one-hot block is all
    zeros), which classifier-free guidance uses for the unconditional prediction.
    ``forward(X_t, t, y=None)``: ``X_t`` (batch, d), ``t`` (batch,) integers in
    [1, n_steps], ``y`` (batch,) integers in [-1, n_classes). ``backward(dY)`` -> dX_t.
    """

    def __init__(self, net: Module, n_steps: int, n_classes: int = 0,
                 emb_dim: int = 16) -> None:
        super().__init__()
        self.net = check_type(net, Module, "net")
        self.n_steps = check_int(n_steps, "n_steps")
        self.n_classes = check_int(n_classes, "n_classes", minimum=0)
        self.emb_dim = check_int(emb_dim, "emb_dim")

    def _inputs(self, X: np.ndarray, t: Any, y: Any) -> np.ndarray:
        n = len(X)
        parts = [X, timestep_embedding(_steps(t, n, self.n_steps), self.n_steps,
                                       self.emb_dim).astype(X.dtype)]
        if self.n_classes:
            given = np.full(n, -1) if y is None else np.asarray(y)
            labels = np.broadcast_to(given, (n,))
            if labels.dtype.kind not in "iu" or labels.min() < -1 or \
                    labels.max() >= self.n_classes:
                raise ValueError("y must hold integer labels in "
                                 f"[-1, {self.n_classes}); "
                                 f"got {labels[:5]}...")
            onehot = np.zeros((n, self.n_classes), dtype=X.dtype)
            keep = labels >= 0
            onehot[np.nonzero(keep)[0], labels[keep]] = 1.0
            parts.append(onehot)
        return np.concatenate(parts, axis=1)

    def forward(self, X: np.ndarray, t: Any, y: Any = None) -> np.ndarray:
        """eps_hat = net([X, emb(t), onehot(y)])."""
        X = as_float_array(X, "X", ndim=2, shape_hint="(batch, d)").astype(self.dtype)
        self._save(X.shape[1])
        out: np.ndarray = self.net(self._inputs(X, t, y))
        return out

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """The net's input gradient, restricted to the X_t columns."""
        d = self._saved()
        dZ = self.net.backward(dY, input_grad)
        return None if dZ is None else dZ[:, :d]


def train_diffusion(model: Denoiser, X: np.ndarray, alpha_bar: np.ndarray,
                    optimizer: Any, *, epochs: int, batch_size: int,
                    rng: np.random.Generator, y: np.ndarray | None = None,
                    p_uncond: float = 0.1) -> list[float]:
    """Minimise E_{x0, t, eps} ||eps - eps_theta(x_t, t, y)||^2 with t uniform in [1, T]
    and x_t from :func:`q_sample` (Ho et al. 2020, Algorithm 1).

    With labels ``y`` each label is replaced by the null label -1 with probability
    ``p_uncond``, so one network learns the conditional and the unconditional model
    (classifier-free guidance). Returns the mean loss per epoch. ``X``: (n, d).
    """
    check_type(model, Denoiser, "model")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)").astype(model.dtype)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    check_rng(rng)
    p_uncond = check_float(p_uncond, "p_uncond", low=0.0, high=1.0)
    labels = None if y is None else np.asarray(y)
    T = len(alpha_bar)
    history = []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            x0 = X[idx]
            t = rng.integers(1, T + 1, len(idx))
            eps = rng.standard_normal(x0.shape).astype(x0.dtype)
            yb = None
            if labels is not None:
                yb = np.where(rng.random(len(idx)) < p_uncond, -1, labels[idx])
            model.zero_grad()
            value, grad = noise_prediction_loss(
                model(q_sample(x0, t, eps, alpha_bar), t, yb), eps)
            model.backward(grad, input_grad=False)
            optimizer.step(model.parameters(), model.gradients())
            total += value * len(idx)
        history.append(total / len(X))
    return history


def _guided_eps(model: Any, X: np.ndarray, t: int, y: Any, guidance: float
                ) -> np.ndarray:
    """(1 + w) eps(x, t, y) - w eps(x, t, null), or eps(x, t, y) when w = 0."""
    tt = np.full(len(X), t)
    with no_grad():
        eps: np.ndarray = model(X, tt, y)
        if guidance:
            eps = (1 + guidance) * eps - guidance * model(X, tt, np.full(len(X), -1))
    return eps


def ddpm_sample(model: Any, n: int, d: int, betas: np.ndarray,
                rng: np.random.Generator, y: Any = None, guidance: float = 0.0,
                clip: float | None = None) -> np.ndarray:
    """Ancestral sampling (Ho et al. 2020, Algorithm 2): x_T ~ N(0, I), then for
    t = T, ..., 1

        x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_t) + sigma_t z

    with sigma_t^2 = beta_t and z ~ N(0, I) (z = 0 at t = 1). ``model(X, t, y)``
    predicts
    eps; ``guidance`` w mixes conditional and unconditional predictions
    (classifier-free guidance). ``clip`` clamps the predicted x_0 to [-clip, clip].
    Returns (n, d).
    """
    n, d = check_int(n, "n"), check_int(d, "d")
    check_rng(rng)
    guidance = check_float(guidance, "guidance", low=0.0)
    alphas = 1.0 - betas
    alpha_bar = np.cumprod(alphas)
    X = rng.standard_normal((n, d))
    for t in range(len(betas), 0, -1):
        eps = _guided_eps(model, X, t, y, guidance)
        ab = alpha_bar[t - 1]
        if clip is not None:
            x0 = np.clip((X - np.sqrt(1 - ab) * eps) / np.sqrt(ab), -clip, clip)
            eps = (X - np.sqrt(ab) * x0) / np.sqrt(1 - ab)
        mean = (X - betas[t - 1] / np.sqrt(1 - ab) * eps) / np.sqrt(alphas[t - 1])
        noise = rng.standard_normal((n, d)) if t > 1 else 0.0
        X = mean + np.sqrt(betas[t - 1]) * noise
    return X


def ddim_sample(model: Any, n: int, d: int, betas: np.ndarray,
                rng: np.random.Generator, n_sample_steps: int = 20, y: Any = None,
                guidance: float = 0.0) -> np.ndarray:
    """Deterministic DDIM sampling (Song et al. 2021, eta = 0) on ``n_sample_steps``
    evenly spaced steps tau_1 < ... < tau_S of the training schedule:

        x0_hat = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t),
        x_s = sqrt(ab_s) x0_hat + sqrt(1 - ab_s) eps   (s the previous step, ab_0 = 1).

    Returns (n, d).
    """
    n, d = check_int(n, "n"), check_int(d, "d")
    check_rng(rng)
    S = check_int(n_sample_steps, "n_sample_steps", maximum=len(betas))
    guidance = check_float(guidance, "guidance", low=0.0)
    alpha_bar = np.cumprod(1.0 - betas)
    taus = np.unique(np.linspace(1, len(betas), S).round().astype(int))
    X = rng.standard_normal((n, d))
    for i in range(len(taus) - 1, -1, -1):
        t = int(taus[i])
        eps = _guided_eps(model, X, t, y, guidance)
        ab_t = alpha_bar[t - 1]
        ab_s = alpha_bar[taus[i - 1] - 1] if i > 0 else 1.0
        x0 = (X - np.sqrt(1 - ab_t) * eps) / np.sqrt(ab_t)
        X = np.sqrt(ab_s) * x0 + np.sqrt(1 - ab_s) * eps
    return X
