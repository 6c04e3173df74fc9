"""Generative adversarial networks: losses, the training loop, WGAN, cycle consistency.

Derived in :doc:`/book/generative/gans`. A generator G maps noise z to samples, a
discriminator (critic) D maps samples to one logit (score) each. The losses return their
value and the gradients with respect to the discriminator's outputs, which the caller
hands to ``D.backward``; ``D`` is applied to the real and the fake batch before its
backward passes run, in reverse order (the module system's last-in-first-out caches).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_float,
    check_int,
    check_positive,
    check_rng,
    check_type,
)
from ..nn.activations import sigmoid, softplus
from ..nn.layers import Dense, LeakyReLU, ReLU
from ..nn.module import Module, Sequential, no_grad
from ..optim.adaptive import Adam

__all__ = [
    "discriminator_loss", "generator_loss", "optimal_discriminator", "js_divergence",
    "wasserstein_losses", "clip_weights", "gradient_penalty",
    "cycle_consistency_loss", "train_gan", "ring_of_gaussians", "count_modes",
    "generate", "train_cyclegan",
]


def _logits(z: Any, name: str) -> np.ndarray:
    return as_float_array(z, name, ndim=2, shape_hint="(batch, 1)")


def discriminator_loss(real: np.ndarray, fake: np.ndarray
                       ) -> tuple[float, np.ndarray, np.ndarray]:
    """The discriminator's cross-entropy, D = sigmoid(logit):

        L_D = -mean log D(x) - mean log(1 - D(G(z)))
            = mean softplus(-real) + mean softplus(fake).

    ``real``: (m, 1), ``fake``: (n, 1) logits. Returns (L_D, dL/dreal, dL/dfake), with
    dL/dreal = -sigmoid(-real) / m and dL/dfake = sigmoid(fake) / n.
    """
    real, fake = _logits(real, "real"), _logits(fake, "fake")
    value = float(np.mean(softplus(-real)) + np.mean(softplus(fake)))
    return value, -sigmoid(-real) / len(real), sigmoid(fake) / len(fake)


def generator_loss(fake: np.ndarray, kind: str = "nonsaturating"
                   ) -> tuple[float, np.ndarray]:
    """The generator's loss on the discriminator's logits of a fake batch (n, 1).

    ``"minimax"``: L_G = mean log(1 - D(G(z))) = -mean softplus(fake), the game's own
    objective, whose gradient -sigmoid(fake) / n vanishes when D rejects the fakes.
    ``"nonsaturating"``: L_G = -mean log D(G(z)) = mean softplus(-fake), gradient
    -sigmoid(-fake) / n, large exactly then (Goodfellow et al. 2014).
    Returns (L_G, dL/dfake).
    """
    fake = _logits(fake, "fake")
    n = len(fake)
    if kind == "nonsaturating":
        return float(np.mean(softplus(-fake))), -sigmoid(-fake) / n
    if kind == "minimax":
        return float(-np.mean(softplus(fake))), -sigmoid(fake) / n
    raise ValueError(f"kind must be 'nonsaturating' or 'minimax'; got {kind!r}")


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), the discriminator that maximises the
    value function for a fixed generator. Densities of any matching shape."""
    p_data = as_float_array(p_data, "p_data")
    p_g = as_float_array(p_g, "p_g")
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data and p_g must have the same shape; got {p_data.shape} "
                         f"and {p_g.shape}")
    if np.any(p_data < 0) or np.any(p_g < 0) or np.any(p_data + p_g <= 0):
        raise ValueError("p_data and p_g must be non-negative with a positive sum")
    return np.asarray(p_data / (p_data + p_g))


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence of two discrete distributions (in nats):
    JS = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2; between 0 and log 2.
    ``p``, ``q``: (K,) non-negative, each summing to 1."""
    p, q = as_float_array(p, "p", ndim=1), as_float_array(q, "q", ndim=1)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape; got {p.shape} and "
                         f"{q.shape}")
    for a, name in ((p, "p"), (q, "q")):
        if np.any(a < 0) or not np.isclose(a.sum(), 1.0):
            raise ValueError(f"{name} must be a probability vector (>= 0, sum 1)")
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / m[nz])))

    return 0.5 * kl(p) + 0.5 * kl(q)


def wasserstein_losses(real: np.ndarray, fake: np.ndarray
                       ) -> tuple[float, np.ndarray, np.ndarray]:
    """The WGAN critic's loss L = mean f(G(z)) - mean f(x), minus the estimate of the
    Wasserstein-1 distance (Arjovsky et al. 2017). ``real``: (m, 1), ``fake``: (n, 1)
    scores. Returns (L, -1/m, +1/n) as arrays of the scores' shapes. The generator's
    loss is -mean f(G(z)), gradient -1/n."""
    real, fake = _logits(real, "real"), _logits(fake, "fake")
    value = float(np.mean(fake) - np.mean(real))
    d_real = np.full_like(real, -1.0 / len(real))
    return value, d_real, np.full_like(fake, 1.0 / len(fake))


def clip_weights(module: Module, c: float) -> None:
    """Clip every parameter of ``module`` to [-c, c] in place: WGAN's crude way to keep
    the critic K-Lipschitz."""
    check_type(module, Module, "module")
    c = check_positive(c, "c")
    for _, p in module.named_parameters():
        np.clip(p, -c, c, out=p)


def _critic_layers(critic: Module) -> list[tuple[Dense, float | None]]:
    """(Dense, slope of the following leaky ReLU or None) pairs of an MLP critic."""
    critic = check_type(critic, Sequential, "critic")
    assert isinstance(critic, Sequential)
    pairs: list[tuple[Dense, float | None]] = []
    for layer in critic.layers:
        if isinstance(layer, Dense):
            pairs.append((layer, None))
        elif isinstance(layer, (LeakyReLU, ReLU)) and pairs and pairs[-1][1] is None:
            alpha = layer.alpha if isinstance(layer, LeakyReLU) else 0.0
            pairs[-1] = (pairs[-1][0], alpha)
        else:
            raise TypeError("gradient_penalty needs a Sequential of Dense layers, each "
                            "hidden one followed by a ReLU or LeakyReLU; got "
                            f"{type(layer).__name__}")
    if pairs[-1][1] is not None or pairs[-1][0].n_out != 1:
        raise TypeError("the critic must end with a Dense layer with one output")
    return pairs


def gradient_penalty(critic: Module, X: np.ndarray, lam: float = 10.0,
                     accumulate: bool = True) -> float:
    """WGAN-GP penalty lam * mean_n (||grad_x f(x_n)||_2 - 1)^2 (Gulrajani et al. 2017),
    with its gradient with respect to the critic's weights added into ``critic.grads``.

    The critic must be an MLP of Dense layers and (leaky) ReLUs. For such a network the
    input gradient is u_0 = (((W_L^T * s_{L-1}) W_{L-1}^T) * s_{L-2}) ... W_1^T, with
    s_l = phi'(z_l) locally constant, so the penalty's gradient is one more backward
    pass through this chain: dW_l = ubar_{l-1}^T delta_l. ``X``: (n, d) points (usually
    interpolates between real and fake samples).
    """
    pairs = _critic_layers(critic)
    lam = check_positive(lam, "lam", strict=False)
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)").astype(critic.dtype)
    n = len(X)
    slopes = []
    with no_grad():
        H = X
        for dense, alpha in pairs:
            Z = dense(H)
            if alpha is not None:
                slopes.append(np.where(Z > 0, 1.0, alpha).astype(Z.dtype))
                H = np.where(Z > 0, Z, alpha * Z)
    # input gradient: delta_L = 1; u_{l-1} = delta_l W_l^T; delta_l = u_l * s_l
    deltas = [np.ones((n, 1), dtype=X.dtype)]
    for l in range(len(pairs) - 1, 0, -1):
        u = deltas[-1] @ pairs[l][0].params["W"].T
        deltas.append(u * slopes[l - 1])
    deltas.reverse()                                   # deltas[l] for layer l
    u0 = deltas[0] @ pairs[0][0].params["W"].T
    norm = np.sqrt(np.sum(u0**2, axis=1, keepdims=True) + 1e-12)
    value = lam * float(np.mean((norm - 1.0) ** 2))
    if accumulate:
        ubar = lam * 2.0 * (norm - 1.0) * u0 / norm / n        # dP/du_0
        for l, (dense, _) in enumerate(pairs):
            dense.grads["W"] += ubar.T @ deltas[l]
            if l + 1 < len(pairs):
                dbar = ubar @ dense.params["W"]                 # dP/ddelta_l
                ubar = dbar * slopes[l]                         # dP/du_l
    return value


def cycle_consistency_loss(X: np.ndarray, X_rec: np.ndarray
                           ) -> tuple[float, np.ndarray]:
    """L1 cycle-consistency loss mean_n ||x_n - F(G(x_n))||_1 (Zhu et al. 2017) and its
    gradient with respect to the reconstruction: sign(X_rec - X) / n. Both (n, d)."""
    X = as_float_array(X, "X", ndim=2)
    X_rec = as_float_array(X_rec, "X_rec", ndim=2)
    if X.shape != X_rec.shape:
        raise ValueError(f"X and X_rec must have the same shape; got {X.shape} and "
                         f"{X_rec.shape}")
    diff = X_rec - X
    return float(np.mean(np.sum(np.abs(diff), axis=1))), np.sign(diff) / len(X)


def generate(G: Module, n: int, n_noise: int, rng: np.random.Generator) -> np.ndarray:
    """n samples G(z), z ~ N(0, I) of dimension ``n_noise``, without caching."""
    n, n_noise = check_int(n, "n"), check_int(n_noise, "n_noise")
    check_rng(rng)
    with no_grad():
        out: np.ndarray = G(rng.standard_normal((n, n_noise)).astype(G.dtype))
    return out


def train_gan(G: Module, D: Module, X: np.ndarray, opt_g: Any, opt_d: Any, *,
              steps: int, batch_size: int, n_noise: int, rng: np.random.Generator,
              kind: str = "nonsaturating", n_critic: int = 1, clip: float = 0.01,
              gp_weight: float = 10.0) -> dict[str, list[float]]:
    """Alternate discriminator and generator updates, sampling real batches from ``X``.

    ``kind``: "nonsaturating" or "minimax" (the cross-entropy GAN with that generator
    loss), "wgan-clip" (critic clipped to [-clip, clip]) or "wgan-gp" (gradient penalty
    of weight ``gp_weight`` at random interpolates). The critic/discriminator takes
    ``n_critic`` steps per generator step. Returns the losses per generator step.
    ``X``: (n, d) real samples; G: (batch, n_noise) -> (batch, d); D: (batch, d) ->
    (batch, 1).
    """
    kinds = ("nonsaturating", "minimax", "wgan-clip", "wgan-gp")
    if kind not in kinds:
        raise ValueError(f"kind must be one of {kinds}; got {kind!r}")
    X = as_float_array(X, "X", ndim=2, shape_hint="(n, d)").astype(D.dtype)
    steps, batch_size = check_int(steps, "steps"), check_int(batch_size, "batch_size")
    n_noise, n_critic = check_int(n_noise, "n_noise"), check_int(n_critic, "n_critic")
    check_rng(rng)
    clip = check_positive(clip, "clip")
    gp_weight = check_float(gp_weight, "gp_weight", low=0.0)
    wgan = kind.startswith("wgan")
    hist: dict[str, list[float]] = {"loss_d": [], "loss_g": []}
    for _ in range(steps):
        for _ in range(n_critic):                      # --- discriminator / critic
            x = X[rng.integers(0, len(X), batch_size)]
            with no_grad():
                fake = G(rng.standard_normal((batch_size, n_noise)).astype(G.dtype))
            D.zero_grad()
            real_out, fake_out = D(x), D(fake)         # two calls, two caches
            loss = wasserstein_losses if wgan else discriminator_loss
            loss_d, d_real, d_fake = loss(real_out, fake_out)
            D.backward(d_fake, input_grad=False)       # last in, first out
            D.backward(d_real, input_grad=False)       # gradients add up
            if kind == "wgan-gp":
                t = rng.random((batch_size, 1)).astype(x.dtype)
                loss_d += gradient_penalty(D, t * x + (1 - t) * fake, gp_weight)
            opt_d.step(D.parameters(), D.gradients())
            if kind == "wgan-clip":
                clip_weights(D, clip)
        G.zero_grad()                                  # --- generator
        fake = G(rng.standard_normal((batch_size, n_noise)).astype(G.dtype))
        fake_out = D(fake)
        if wgan:
            loss_g, d_out = -float(np.mean(fake_out)), np.full_like(fake_out,
                                                                   -1.0 / batch_size)
        else:
            loss_g, d_out = generator_loss(fake_out, kind)
        G.backward(D.backward(d_out))                  # D's grads are reset next step
        opt_g.step(G.parameters(), G.gradients())
        hist["loss_d"].append(loss_d)
        hist["loss_g"].append(loss_g)
    return hist


def ring_of_gaussians(n: int, rng: np.random.Generator, n_modes: int = 8,
                      radius: float = 2.0, std: float = 0.05
                      ) -> tuple[np.ndarray, np.ndarray]:
    """n points from an equal mixture of ``n_modes`` isotropic Gaussians (standard
    deviation ``std``) centred on a circle of ``radius``. Returns (X (n, 2), centres
    (n_modes, 2))."""
    n, n_modes = check_int(n, "n"), check_int(n_modes, "n_modes")
    check_rng(rng)
    radius, std = check_positive(radius, "radius"), check_positive(std, "std")
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X = centres[rng.integers(0, n_modes, n)] + std * rng.standard_normal((n, 2))
    return X, centres


def count_modes(samples: np.ndarray, centres: np.ndarray, std: float,
                min_share: float = 0.02) -> tuple[int, float]:
    """Modes covered by ``samples`` and the share of high-quality samples.

    A sample is high quality when it lies within 3 ``std`` of its nearest centre; a mode
    is covered when at least ``min_share`` of all samples are high quality and nearest
    to it (the convention of Srivastava et al. 2017). ``samples``: (n, d),
    ``centres``: (K, d).
    """
    S = as_float_array(samples, "samples", ndim=2)
    C = as_float_array(centres, "centres", ndim=2)
    std = check_positive(std, "std")
    min_share = check_float(min_share, "min_share", low=0.0, high=1.0)
    d2 = np.sum((S[:, None, :] - C[None, :, :]) ** 2, axis=2)
    nearest = np.argmin(d2, axis=1)
    good = np.sqrt(d2[np.arange(len(S)), nearest]) < 3 * std
    counts = np.bincount(nearest[good].astype(np.int32), minlength=len(C))
    return int(np.sum(counts >= min_share * len(S))), float(good.mean())


def train_cyclegan(G: Module, F: Module, D_A: Module, D_B: Module, A: np.ndarray,
                   B: np.ndarray, *, steps: int, batch_size: int,
                   rng: np.random.Generator, lam: float = 5.0, lr: float = 1e-3
                   ) -> dict[str, list[float]]:
    """CycleGAN (Zhu et al. 2017) on unpaired samples of two domains.

    G: A -> B and F: B -> A are trained against discriminators D_B and D_A with the
    non-saturating loss, plus ``lam`` times the cycle-consistency losses
    ||F(G(a)) - a||_1 and ||G(F(b)) - b||_1. Each network has its own Adam(lr, 0.5).
    G and F are each called twice per step; their backward passes run in the reverse
    order of the calls. ``A``: (n_A, d), ``B``: (n_B, d). Returns the losses per step.
    """
    A = as_float_array(A, "A", ndim=2).astype(G.dtype)
    B = as_float_array(B, "B", ndim=2).astype(G.dtype)
    steps, batch_size = check_int(steps, "steps"), check_int(batch_size, "batch_size")
    check_rng(rng)
    lam = check_float(lam, "lam", low=0.0)
    nets = {"G": G, "F": F, "D_A": D_A, "D_B": D_B}
    opts = {k: Adam(lr, beta1=0.5) for k in nets}
    hist: dict[str, list[float]] = {"loss_d": [], "loss_g": [], "cycle": []}
    for _ in range(steps):
        a = A[rng.integers(0, len(A), batch_size)]
        b = B[rng.integers(0, len(B), batch_size)]
        loss_d = 0.0
        for D, real, gen, src in ((D_B, b, G, a), (D_A, a, F, b)):  # discriminators
            with no_grad():
                fake = gen(src)
            D.zero_grad()
            value, d_real, d_fake = discriminator_loss(D(real), D(fake))
            D.backward(d_fake, input_grad=False)
            D.backward(d_real, input_grad=False)
            opts["D_B" if D is D_B else "D_A"].step(D.parameters(), D.gradients())
            loss_d += value
        G.zero_grad()                                        # generators
        F.zero_grad()
        fake_b = G(a)                                        # G, call 1
        rec_a = F(fake_b)                                    # F, call 1
        fake_a = F(b)                                        # F, call 2
        rec_b = G(fake_a)                                    # G, call 2
        gb, d_gb = generator_loss(D_B(fake_b))
        ga, d_ga = generator_loss(D_A(fake_a))
        ca, d_ca = cycle_consistency_loss(a, rec_a)
        cb, d_cb = cycle_consistency_loss(b, rec_b)
        d_fake_a = D_A.backward(d_ga) + G.backward(lam * d_cb)     # pops G call 2
        F.backward(d_fake_a, input_grad=False)                    # pops F call 2
        d_fake_b = D_B.backward(d_gb) + F.backward(lam * d_ca)     # pops F call 1
        G.backward(d_fake_b, input_grad=False)                    # pops G call 1
        opts["G"].step(G.parameters(), G.gradients())
        opts["F"].step(F.parameters(), F.gradients())
        hist["loss_d"].append(loss_d)
        hist["loss_g"].append(ga + gb + lam * (ca + cb))
        hist["cycle"].append(ca + cb)
    return hist
