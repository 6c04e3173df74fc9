"""Metrics for generative models: FID, Inception Score, precision and recall.

Derived in :doc:`/book/generative/evaluating-generative-models`. Each metric compares
*features* of samples (the activations of a classifier's hidden layer, or its class
probabilities) rather than raw pixels.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_int

__all__ = [
    "sqrtm_psd", "frechet_distance", "fid", "inception_score",
    "precision_recall_knn",
]


def sqrtm_psd(S: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix by an
    eigendecomposition S = Q diag(l) Q^T: S^(1/2) = Q diag(sqrt(max(l, 0))) Q^T.
    ``S``: (d, d) -> (d, d)."""
    S = as_float_array(S, "S", ndim=2, shape_hint="(d, d)")
    if S.shape[0] != S.shape[1]:
        raise ValueError(f"S must be square; got shape {S.shape}")
    S = (S + S.T) / 2
    lam, Q = np.linalg.eigh(S)
    return np.asarray((Q * np.sqrt(np.clip(lam, 0.0, None))) @ Q.T)


def frechet_distance(mu1: np.ndarray, S1: np.ndarray, mu2: np.ndarray,
                     S2: np.ndarray) -> float:
    """Squared Frechet (Wasserstein-2) distance between N(mu1, S1) and N(mu2, S2):

        ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^(1/2) S2 S1^(1/2))^(1/2)).

    The trace term tr((S1^(1/2) S2 S1^(1/2))^(1/2)) is the sum of the singular values
    of S1^(1/2) S2^(1/2) (square roots by :func:`sqrtm_psd`), so the value is symmetric
    in its arguments and 0 (up to rounding) for equal Gaussians.
    ``mu``: (d,),
    ``S``: (d, d).
    """
    mu1 = as_float_array(mu1, "mu1", ndim=1)
    mu2 = as_float_array(mu2, "mu2", ndim=1)
    S1 = as_float_array(S1, "S1", ndim=2)
    S2 = as_float_array(S2, "S2", ndim=2)
    d = len(mu1)
    for name, a in (("mu2", mu2), ("S1", S1), ("S2", S2)):
        want = (d,) if a.ndim == 1 else (d, d)
        if a.shape != want:
            raise ValueError(f"{name} must have shape {want}; got {a.shape}")
    # (S1^(1/2) S2 S1^(1/2))^(1/2) has as eigenvalues the singular values of
    # M = S1^(1/2) S2^(1/2), since M M^T = S1^(1/2) S2 S1^(1/2); swapping S1 and S2
    # transposes M, which keeps its singular values: the value is symmetric.
    M = sqrtm_psd(S1) @ sqrtm_psd(S2)
    trace_sqrt = float(np.sum(np.linalg.svd(M, compute_uv=False)))
    value = float(np.sum((mu1 - mu2) ** 2) + np.trace(S1) + np.trace(S2)
                  - 2 * trace_sqrt)
    return max(value, 0.0)


def fid(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Frechet Inception Distance (Heusel et al. 2017) between two sets of features:
    :func:`frechet_distance` of the Gaussians with their means and covariances.
    ``features_a``: (n_a, d), ``features_b``: (n_b, d), each with n >= 2."""
    Fa = as_float_array(features_a, "features_a", ndim=2, shape_hint="(n, d)")
    Fb = as_float_array(features_b, "features_b", ndim=2, shape_hint="(n, d)")
    if Fa.shape[1] != Fb.shape[1]:
        raise ValueError(f"features_a and features_b must have the same number of "
                         f"columns; got {Fa.shape[1]} and {Fb.shape[1]}")
    if len(Fa) < 2 or len(Fb) < 2:
        raise ValueError("each feature set needs at least 2 rows to estimate a "
                         "covariance")
    return frechet_distance(Fa.mean(0), np.cov(Fa, rowvar=False),
                            Fb.mean(0), np.cov(Fb, rowvar=False))


def inception_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """Inception Score (Salimans et al. 2016): exp(mean_x KL(p(y | x) || p(y))),
    p(y) = mean_x p(y | x). Between 1 and the number of classes C; high when each
    sample is classified confidently and the classes are balanced.
    ``probs``: (n, C) rows of class probabilities."""
    P = as_float_array(probs, "probs", ndim=2, shape_hint="(n, C)")
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("probs must hold rows of probabilities (>= 0, each summing "
                         "to 1)")
    py = P.mean(axis=0)
    kl = np.sum(P * (np.log(P + eps) - np.log(py + eps)), axis=1)
    return float(np.exp(np.mean(kl)))


def precision_recall_knn(real: np.ndarray, fake: np.ndarray, k: int = 3
                         ) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019).

    Each set's manifold is the union of balls around its points whose radius is the
    distance to the k-th nearest neighbour in the same set. Precision is the share of
    fake points inside the real manifold (are the samples realistic?); recall is the
    share of real points inside the fake manifold (is the data covered?).
    ``real``: (n, d), ``fake``: (m, d) features. Returns (precision, recall).
    """
    R = as_float_array(real, "real", ndim=2, shape_hint="(n, d)")
    F = as_float_array(fake, "fake", ndim=2, shape_hint="(m, d)")
    if R.shape[1] != F.shape[1]:
        raise ValueError(f"real and fake must have the same number of columns; got "
                         f"{R.shape[1]} and {F.shape[1]}")
    k = check_int(k, "k", maximum=min(len(R), len(F)) - 1)

    def dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        d2 = (np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2 * A @ B.T)
        return np.sqrt(np.clip(d2, 0.0, None))

    def radii(A: np.ndarray) -> np.ndarray:
        return np.sort(dist(A, A), axis=1)[:, k]          # column 0 is the point itself

    r_real, r_fake = radii(R), radii(F)
    d_fr = dist(F, R)                                     # (m, n)
    precision = float(np.mean(np.any(d_fr <= r_real[None, :], axis=1)))
    recall = float(np.mean(np.any(r_fake[None, :] >= d_fr.T, axis=1)))
    return precision, recall
