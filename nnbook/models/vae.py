"""Variational autoencoders: the Gaussian KL, the reparameterization trick, the ELBO.

Derived in :doc:`/book/generative/variational-autoencoders`. The encoder outputs the
mean and log-variance of q(z | x) = N(mu, diag exp(logvar)); a latent is drawn as
z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) passed in, so the forward pass is a
deterministic function of (x, eps) and backpropagation goes through the draw. The
decoder outputs the logits of independent Bernoulli pixels.
"""

from __future__ import annotations

from collections.abc import Callable
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
from ..nn.activations import sigmoid, softplus
from ..nn.module import Module, no_grad

__all__ = [
    "gaussian_kl", "gaussian_kl_backward", "reparameterize",
    "bernoulli_log_likelihood", "VAE", "train_vae", "elbo",
    "importance_log_likelihood",
    "score_function_gradient", "reparameterized_gradient",
]


def gaussian_kl(mu_q: np.ndarray, logvar_q: np.ndarray, mu_p: Any = 0.0,
                logvar_p: Any = 0.0) -> np.ndarray:
    """KL(N(mu_q, s_q^2) || N(mu_p, s_p^2)) elementwise, in closed form:

        1/2 [ log(s_p^2 / s_q^2) + (s_q^2 + (mu_q - mu_p)^2) / s_p^2 - 1 ]

    with s^2 = exp(logvar). Arrays broadcast; the result has their broadcast shape. Sum
    over the last axis for a diagonal Gaussian. The default prior is N(0, 1).
    """
    mu_q = as_float_array(mu_q, "mu_q")
    logvar_q = as_float_array(logvar_q, "logvar_q")
    var_ratio = np.exp(logvar_q - logvar_p)                  # s_q^2 / s_p^2
    mean_term = (mu_q - mu_p) ** 2 * np.exp(-np.asarray(logvar_p))
    return np.asarray(0.5 * (var_ratio + mean_term - 1.0 - (logvar_q - logvar_p)))


def gaussian_kl_backward(mu_q: np.ndarray, logvar_q: np.ndarray, grad_out: np.ndarray,
                         mu_p: Any = 0.0, logvar_p: Any = 0.0
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`gaussian_kl` with respect to (mu_q, logvar_q):

        dKL/dmu_q = (mu_q - mu_p) / s_p^2,   dKL/dlogvar_q = (s_q^2 / s_p^2 - 1) / 2,

    each multiplied by ``grad_out`` (the shape of the KL).
    """
    d_mu = grad_out * (mu_q - mu_p) * np.exp(-np.asarray(logvar_p))
    d_logvar = grad_out * 0.5 * (np.exp(logvar_q - logvar_p) - 1.0)
    return d_mu, d_logvar


def reparameterize(mu: np.ndarray, logvar: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """z = mu + exp(logvar / 2) * eps: a draw from N(mu, exp(logvar)) when
    eps ~ N(0, I), written as a differentiable function of (mu, logvar).
    All arrays (batch, k)."""
    return np.asarray(mu + np.exp(0.5 * logvar) * eps)


def bernoulli_log_likelihood(logits: np.ndarray, X: np.ndarray) -> np.ndarray:
    """log p(x | z) for independent Bernoulli pixels with p = sigmoid(logits):
    sum_i x_i l_i - log(1 + exp(l_i)), computed stably. (batch, d) -> (batch,)."""
    return np.asarray(np.sum(X * logits - softplus(logits), axis=-1))


class VAE(Module):
    """A variational autoencoder (Kingma and Welling 2014) with a Gaussian encoder and a
    Bernoulli decoder.

    ``encoder``: (batch, d) -> (batch, 2k), the mean and log-variance side by side;
    ``decoder``: (batch, k) -> (batch, d) logits. ``forward(X, eps)`` with ``eps``:
    (batch, k) returns ``(logits, kl)``: the decoder's logits at
    z = mu + exp(logvar / 2) eps, and the per-example KL(q(z | x) || N(0, I)), (batch,).
    ``backward((dlogits, dkl))`` -> dX. Derived in
    :doc:`/book/generative/variational-autoencoders`.
    """

    def __init__(self, encoder: Module, decoder: Module, n_latent: int) -> None:
        super().__init__()
        self.encoder = check_type(encoder, Module, "encoder")
        self.decoder = check_type(decoder, Module, "decoder")
        self.n_latent = check_int(n_latent, "n_latent")

    def _split(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = self.n_latent
        if out.ndim != 2 or out.shape[1] != 2 * k:
            raise ValueError(f"the encoder must return shape (batch, {2 * k}) (mean "
                             f"and log-variance); got {out.shape}")
        return out[:, :k], out[:, k:]

    def forward(self, X: np.ndarray, eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Encode, draw z by :func:`reparameterize`, decode; also the KL term."""
        mu, logvar = self._split(self.encoder(X))
        eps = as_float_array(eps, "eps", ndim=2, shape_hint=f"(batch, {self.n_latent})")
        if eps.shape != mu.shape:
            raise ValueError(f"eps must have shape {mu.shape}; got {eps.shape}")
        eps = eps.astype(mu.dtype, copy=False)
        z = reparameterize(mu, logvar, eps)
        self._save(mu, logvar, eps)
        kl = gaussian_kl(mu, logvar).sum(axis=1)
        return self.decoder(z), kl

    def backward(self, dY: Any, input_grad: bool = True
                 ) -> tuple[np.ndarray | None, np.ndarray] | None:
        """dz from the decoder; dmu = dz + dkl * dKL/dmu,
        dlogvar = dz * eps * exp(logvar / 2) / 2 + dkl * dKL/dlogvar.
        Returns (dX, deps) with deps = dz * exp(logvar / 2), or None."""
        mu, logvar, eps = self._saved()
        dlogits, dkl = dY
        dkl = self._check_dY(dkl, mu.shape[:1])[:, None]
        dz = self.decoder.backward(dlogits)
        dmu_kl, dlogvar_kl = gaussian_kl_backward(mu, logvar, dkl)
        dmu = dz + dmu_kl
        dlogvar = dz * eps * 0.5 * np.exp(0.5 * logvar) + dlogvar_kl
        dX = self.encoder.backward(np.concatenate([dmu, dlogvar], axis=1), input_grad)
        return (dX, dz * np.exp(0.5 * logvar)) if input_grad else None

    def encode(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mu, logvar) of q(z | x), without caching. Each (batch, k)."""
        with no_grad():
            return self._split(self.encoder(X))

    def decode(self, Z: np.ndarray) -> np.ndarray:
        """Pixel probabilities sigmoid(decoder(z)), without caching. (batch, k) ->
        (batch, d)."""
        with no_grad():
            return sigmoid(self.decoder(Z))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Pixel probabilities of n draws z ~ N(0, I) through the decoder: (n, d)."""
        n = check_int(n, "n")
        check_rng(rng)
        return self.decode(rng.standard_normal((n, self.n_latent)).astype(self.dtype))


def _check_vae_data(model: Any, X: Any) -> np.ndarray:
    check_type(model, VAE, "model")
    return as_float_array(X, "X", ndim=2, shape_hint="(n, d)").astype(model.dtype)


def train_vae(model: VAE, X: np.ndarray, optimizer: Any, *, epochs: int,
              batch_size: int, rng: np.random.Generator, beta: float = 1.0
              ) -> list[float]:
    """Maximise the ELBO (minimise -ELBO) by mini-batches, one eps draw per example:

        loss = mean_n [ -log p(x_n | z_n) + beta KL(q(z | x_n) || N(0, I)) ].

    ``beta = 1`` is the VAE, ``beta > 1`` the beta-VAE. Returns the mean loss of each
    epoch. ``X``: (n, d) with entries in [0, 1].
    """
    X = _check_vae_data(model, X)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    check_rng(rng)
    beta = check_positive(beta, "beta", strict=False)
    history = []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for start in range(0, len(X), batch_size):
            x = X[order[start:start + batch_size]]
            B = len(x)
            eps = rng.standard_normal((B, model.n_latent)).astype(model.dtype)
            model.zero_grad()
            logits, kl = model(x, eps)
            rec = -bernoulli_log_likelihood(logits, x)           # (B,)
            total += float(np.sum(rec + beta * kl))
            # d(-log p)/dlogits = sigmoid(logits) - x; average over the batch
            model.backward(((sigmoid(logits) - x) / B, np.full(B, beta / B, x.dtype)))
            optimizer.step(model.parameters(), model.gradients())
        history.append(total / len(X))
    return history


def elbo(model: VAE, X: np.ndarray, rng: np.random.Generator,
         n_samples: int = 1) -> np.ndarray:
    """Per-example ELBO E_q[log p(x | z)] - KL(q || p), the expectation estimated with
    ``n_samples`` draws (the KL is exact). In nats. ``X``: (n, d) -> (n,)."""
    X = _check_vae_data(model, X)
    check_rng(rng)
    n_samples = check_int(n_samples, "n_samples")
    total = np.zeros(len(X))
    with no_grad():
        for _ in range(n_samples):
            eps = rng.standard_normal((len(X), model.n_latent)).astype(model.dtype)
            logits, kl = model(X, eps)
            total += bernoulli_log_likelihood(logits, X) - kl
    return total / n_samples


def importance_log_likelihood(model: VAE, X: np.ndarray, rng: np.random.Generator,
                              n_samples: int = 100) -> np.ndarray:
    """Importance-sampled estimate of log p(x) with q(z | x) as the proposal:

        log (1/S) sum_s p(x | z_s) p(z_s) / q(z_s | x),   z_s ~ q(z | x).

    A lower bound in expectation that tightens as S grows (S = 1 is the ELBO; Burda et
    al. 2016). ``X``: (n, d) -> (n,) nats.
    """
    X = _check_vae_data(model, X)
    check_rng(rng)
    n_samples = check_int(n_samples, "n_samples")
    mu, logvar = model.encode(X)
    log_w = np.empty((n_samples, len(X)))
    with no_grad():
        for s in range(n_samples):
            eps = rng.standard_normal(mu.shape).astype(model.dtype)
            z = reparameterize(mu, logvar, eps)
            log_px = bernoulli_log_likelihood(model.decoder(z), X)
            log_pz = -0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=1)
            log_qz = -0.5 * np.sum(eps**2 + logvar + np.log(2 * np.pi), axis=1)
            log_w[s] = log_px + log_pz - log_qz
    m = log_w.max(axis=0)
    return np.asarray(m + np.log(np.mean(np.exp(log_w - m), axis=0)))


def score_function_gradient(f: Callable[[np.ndarray], np.ndarray], mu: float,
                            sigma: float, eps: np.ndarray) -> np.ndarray:
    """Per-draw score-function (REINFORCE) estimates of d/dmu E_{z~N(mu, sigma^2)} f(z):

        f(z) d/dmu log N(z; mu, sigma^2) = f(z) (z - mu) / sigma^2,  z = mu + sigma eps.

    Needs only values of f. ``eps``: (S,) standard normal draws -> (S,) estimates.
    """
    check_callable(f, "f")
    sigma = check_positive(sigma, "sigma")
    eps = as_float_array(eps, "eps")
    z = mu + sigma * eps
    return np.asarray(f(z) * (z - mu) / sigma**2)


def reparameterized_gradient(df: Callable[[np.ndarray], np.ndarray], mu: float,
                             sigma: float, eps: np.ndarray) -> np.ndarray:
    """Per-draw reparameterized (pathwise) estimates of d/dmu E f(z): f'(mu + s eps).

    Needs the derivative of f. ``eps``: (S,) -> (S,) estimates.
    """
    check_callable(df, "df")
    sigma = check_positive(sigma, "sigma")
    eps = as_float_array(eps, "eps")
    return np.asarray(df(mu + sigma * eps))
