"""Contrastive self-supervised learning: the InfoNCE (NT-Xent) loss, SimCLR training and
a linear probe. Derived in :doc:`/book/graphs/transfer-and-self-supervision`.

Two augmented views of every example in a batch are embedded; each view must pick out
its partner among the 2N - 1 other views. The loss is a cross-entropy over cosine
similarities divided by a temperature tau, and log(2N - 1) - loss lower-bounds the
mutual information between the two views' embeddings (van den Oord et al., 2018).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import as_float_array, check_float, check_int, check_rng
from ..nn.activations import log_softmax, softmax
from ..nn.layers import Dense
from ..nn.module import Module, no_grad
from ..optim.adaptive import Adam
from ..train.loop import evaluate, fit

__all__ = ["info_nce", "info_nce_backward", "mi_lower_bound", "simclr_train",
           "frozen_features", "probe_accuracy"]


def info_nce(Z1: np.ndarray, Z2: np.ndarray, tau: float = 0.5
             ) -> tuple[float, dict[str, np.ndarray]]:
    """The NT-Xent loss of SimCLR (InfoNCE with both views as anchors).

    With u_i the unit-normalized rows of Z = [Z1; Z2] (2N rows), s_ij = u_i . u_j / tau,
    the positive of i the other view of the same example p(i) = i +- N:

        L = -(1 / 2N) sum_i log( exp(s_{i p(i)}) / sum_{j != i} exp(s_ij) ).

    ``Z1``, ``Z2``: (N, d). Returns the loss and a cache for :func:`info_nce_backward`.
    """
    Z1 = as_float_array(Z1, "Z1", ndim=2, shape_hint="(N, d)")
    Z2 = as_float_array(Z2, "Z2", ndim=2, shape_hint="(N, d)")
    if Z1.shape != Z2.shape:
        raise ValueError(f"Z1 and Z2 must have the same shape; got {Z1.shape} and "
                         f"{Z2.shape}")
    tau = check_float(tau, "tau", low=0.0, low_open=True)
    n = Z1.shape[0]
    if n < 2:
        raise ValueError(f"InfoNCE needs at least 2 examples (1 negative); got {n}")
    Z = np.concatenate([Z1, Z2])
    norms = np.linalg.norm(Z, axis=1, keepdims=True) + 1e-12
    U = Z / norms
    S = U @ U.T / tau
    np.fill_diagonal(S, -np.inf)                     # a view is not its own negative
    pos = np.concatenate([np.arange(n, 2 * n), np.arange(n)])
    logp = log_softmax(S, axis=1)
    loss = float(-np.mean(logp[np.arange(2 * n), pos]))
    return loss, {"U": U, "norms": norms, "S": S, "pos": pos, "tau": tau}


def info_nce_backward(cache: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """dL/dZ1 and dL/dZ2 of :func:`info_nce`.

    dL/dS = (softmax(S) - onehot(p)) / 2N (zero on the diagonal); S = U U^T / tau is
    symmetric in its use of U, so dL/dU = (G + G^T) U / tau; then through u = z / ||z||:
    dz = (du - u (u . du)) / ||z||.
    """
    U, norms, S, pos, tau = (cache[k] for k in ("U", "norms", "S", "pos", "tau"))
    m = U.shape[0]
    G = softmax(S, axis=1)                           # exp(-inf) = 0 on the diagonal
    G[np.arange(m), pos] -= 1.0
    G /= m
    dU = (G + G.T) @ U / tau
    dZ = (dU - U * np.sum(U * dU, axis=1, keepdims=True)) / norms
    return dZ[: m // 2], dZ[m // 2:]


def mi_lower_bound(loss: float, batch_size: int) -> float:
    """The InfoNCE bound I(view1; view2) >= log(K) - L with K = 2N - 1 candidates, in
    nats. It can never exceed log(K): a batch of N pairs certifies at most log(2N-1)."""
    n = check_int(batch_size, "batch_size", minimum=2)
    return float(np.log(2 * n - 1) - loss)


def simclr_train(model: Module, X: np.ndarray,
                 augment: Callable[[np.ndarray, np.random.Generator], np.ndarray],
                 optimizer: Any, rng: np.random.Generator, epochs: int = 10,
                 batch_size: int = 256, tau: float = 0.5) -> list[float]:
    """SimCLR (Chen et al., 2020): for each batch, two augmentations of every example,
    one forward pass of both views through ``model`` (encoder plus projection head), the
    NT-Xent loss, and one backward pass. No labels. Returns the mean loss of each epoch.
    ``X``: (n, ...) -> ``model`` maps (2 batch, ...) to (2 batch, d)."""
    check_rng(rng)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    history = []
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        losses = []
        for start in range(0, len(order) - 1, batch_size):
            idx = order[start:start + batch_size]
            if idx.size < 2:
                continue
            views = np.concatenate([augment(X[idx], rng), augment(X[idx], rng)])
            model.zero_grad()
            Z = model(views)
            loss, cache = info_nce(Z[: idx.size], Z[idx.size:], tau)
            dZ1, dZ2 = info_nce_backward(cache)
            model.backward(np.concatenate([dZ1, dZ2]), input_grad=False)
            optimizer.step(model.parameters(), model.gradients())
            losses.append(loss)
        history.append(float(np.mean(losses)))
    return history


def frozen_features(model: Module | Callable[[np.ndarray], np.ndarray], X: np.ndarray,
          batch_size: int = 1024) -> np.ndarray:
    """``model(X)`` in chunks, without caching (frozen features for a probe)."""
    with no_grad():
        return np.concatenate([np.asarray(model(X[i:i + batch_size]))
                               for i in range(0, X.shape[0], batch_size)])


def probe_accuracy(F_train: np.ndarray, y_train: np.ndarray, F_test: np.ndarray,
                 y_test: np.ndarray, rng: np.random.Generator, epochs: int = 30,
                 lr: float = 0.01) -> float:
    """Test accuracy of a softmax classifier trained on frozen features: the standard
    measure of a self-supervised representation. Features are standardized with the
    training statistics. ``F_train``: (n, d)."""
    mu, sd = F_train.mean(0), F_train.std(0) + 1e-8
    A, B = (F_train - mu) / sd, (F_test - mu) / sd
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    head = Dense(A.shape[1], n_classes, rng, init="xavier")
    fit(head, A, y_train, Adam(lr), epochs=epochs, batch_size=128, rng=rng,
        verbose=False)
    return float(evaluate(head, B, y_test)[1])
