"""Meta-learning: MAML, first-order MAML, Reptile, prototypical and matching networks.

MAML adapts *per-task* copies of the parameters, so its network here is a small
functional MLP whose parameters carry a leading task axis: every task of a meta-batch is
adapted at once with batched matrix products (``@`` on 3-D arrays), no loop over tasks.
The second-order term
of the meta-gradient needs Hessian-vector products of the support loss; they are central
differences of two batched backward passes (the trick DARTS uses too).

Prototypical and matching networks only need an embedding, any
:class:`~nnbook.nn.module.Module`, and an episode loss with its gradient.
Derived in :doc:`/book/graphs/meta-learning`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import (
    as_float_array,
    check_float,
    check_int,
    check_labels,
    check_rng,
    check_type,
)
from ..nn.activations import relu, relu_backward, softmax
from ..nn.module import Module, no_grad

__all__ = [
    "mlp_init", "mlp_forward", "mlp_backward", "task_losses", "adapt",
    "maml_objective", "hessian_vector_product", "maml_meta_gradient",
    "reptile_direction", "meta_train", "adaptation_curve", "sample_sinusoid_tasks",
    "sample_episode", "prototypical_loss", "matching_loss", "train_episodic",
    "episode_accuracy",
]

Params = dict[str, np.ndarray]
Activation = tuple[Callable[[np.ndarray], np.ndarray],
                   Callable[[np.ndarray, np.ndarray], np.ndarray]]
RELU: Activation = (relu, relu_backward)


# --- a functional MLP with a task axis ------------------------------------------------


def mlp_init(sizes: list[int], rng: np.random.Generator) -> Params:
    """He-initialized MLP parameters ``W0, b0, W1, b1, ...`` for layer widths ``sizes``
    (e.g. [1, 40, 40, 1]); ``Wl``: (sizes[l], sizes[l+1]), ``bl``: (sizes[l+1],)."""
    check_rng(rng)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least 2 widths; got {sizes!r}")
    out: Params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        a = check_int(a, f"sizes[{i}]")
        out[f"W{i}"] = rng.standard_normal((a, b)) * np.sqrt(2 / a)
        out[f"b{i}"] = np.zeros(b)
    return out


def _n_layers(params: Params) -> int:
    return len([k for k in params if k.startswith("W")])


def _tasked(theta: Params, T: int) -> Params:
    """Parameters with a leading task axis of length T (a copy of theta per task)."""
    return {k: np.broadcast_to(v, (T,) + v.shape).copy() for k, v in theta.items()}


def mlp_forward(params: Params, X: np.ndarray, activation: Activation = RELU
                ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per-task MLP: H_{l+1} = act(H_l W_l + b_l), no activation after the last layer.

    ``params``: arrays with a leading task axis, ``Wl``: (T, a, b), ``bl``: (T, b);
    ``X``: (T, n, d_in) -> ``Y``: (T, n, d_out), and the cache of layer inputs and
    pre-activations for :func:`mlp_backward`.
    """
    act = activation[0]
    L = _n_layers(params)
    cache = []
    H = X
    for i in range(L):
        Z = H @ params[f"W{i}"] + params[f"b{i}"][:, None, :]
        cache += [H, Z]
        H = act(Z) if i < L - 1 else Z
    return H, cache


def mlp_backward(params: Params, cache: list[np.ndarray], dY: np.ndarray,
                 activation: Activation = RELU) -> Params:
    """Gradients of :func:`mlp_forward` per task: ``dWl``: (T, a, b), ``dbl``: (T, b).

    dW_l = H_l^T dZ_l, db_l = sum_n dZ_l, dH_l = dZ_l W_l^T,
    dZ_{l-1} = act'(Z_{l-1}) dH_l.
    """
    act_backward = activation[1]
    L = _n_layers(params)
    grads: Params = {}
    dZ = dY
    for i in range(L - 1, -1, -1):
        H = cache[2 * i]
        grads[f"W{i}"] = np.swapaxes(H, 1, 2) @ dZ
        grads[f"b{i}"] = dZ.sum(axis=1)
        if i > 0:
            dH = dZ @ np.swapaxes(params[f"W{i}"], 1, 2)
            dZ = act_backward(cache[2 * i - 1], dH)
    return grads


def task_losses(params: Params, X: np.ndarray, Y: np.ndarray,
                activation: Activation = RELU) -> tuple[np.ndarray, Params]:
    """Mean squared error of each task, L_t = (1/n) sum_i ||f(x_ti) - y_ti||^2, and its
    gradient with respect to the task's parameters. ``X``: (T, n, d), ``Y``: (T, n, k);
    returns losses (T,) and gradients with the task axis."""
    Y_hat, cache = mlp_forward(params, X, activation)
    R = Y_hat - Y
    n = X.shape[1]
    losses = np.sum(R * R, axis=(1, 2)) / n
    return losses, mlp_backward(params, cache, 2 * R / n, activation)


def _axpy(a: float, x: Params, y: Params) -> Params:
    """y + a x, per key."""
    return {k: y[k] + a * x[k] for k in y}


def _expand(v: np.ndarray, like: np.ndarray) -> np.ndarray:
    return v.reshape(v.shape + (1,) * (like.ndim - v.ndim))


def _check_tasks(X_s: Any, Y_s: Any, X_q: Any = None, Y_q: Any = None
                 ) -> tuple[np.ndarray, ...]:
    arrays = [as_float_array(a, name, ndim=3, shape_hint="(n_tasks, n, d)")
              for a, name in ((X_s, "X_support"), (Y_s, "Y_support"),
                              (X_q, "X_query"), (Y_q, "Y_query")) if a is not None]
    T = arrays[0].shape[0]
    for a in arrays:
        if a.shape[0] != T:
            raise ValueError(
                f"every task array must hold {T} tasks; got shape {a.shape}")
    return tuple(arrays)


# --- MAML and Reptile ----------------------------------------------------------------


def adapt(theta: Params, X: np.ndarray, Y: np.ndarray, inner_lr: float,
          steps: int = 1, activation: Activation = RELU) -> list[Params]:
    """The inner loop: ``steps`` gradient steps on each task's support set,
    theta_{j+1} = theta_j - inner_lr * grad L_support(theta_j), all tasks at once.

    Returns [theta_0, ..., theta_steps], each with a task axis (T, ...)."""
    X, Y = _check_tasks(X, Y)
    check_float(inner_lr, "inner_lr", low=0.0)
    steps = check_int(steps, "steps", minimum=0)
    path = [_tasked(theta, X.shape[0])]
    for _ in range(steps):
        _, g = task_losses(path[-1], X, Y, activation)
        path.append(_axpy(-inner_lr, g, path[-1]))
    return path


def maml_objective(theta: Params, X_s: np.ndarray, Y_s: np.ndarray, X_q: np.ndarray,
                   Y_q: np.ndarray, inner_lr: float, steps: int = 1,
                   activation: Activation = RELU) -> float:
    """F(theta) = mean over tasks of L_query(theta_steps(theta)): the loss after
    adaptation, as a function of the initialization. MAML minimizes it."""
    final = adapt(theta, X_s, Y_s, inner_lr, steps, activation)[-1]
    losses, _ = task_losses(final, X_q, Y_q, activation)
    return float(losses.mean())


def hessian_vector_product(params: Params, X: np.ndarray, Y: np.ndarray, v: Params,
                           eps: float = 1e-4, activation: Activation = RELU) -> Params:
    """H_t v_t for each task, H_t the Hessian of the task's loss at its ``params``:

        H v ~ (grad L(theta + e v) - grad L(theta - e v)) / (2 e),  e = eps / ||v_t||,

    a central difference of two batched backward passes, error O(e^2).
    All arrays carry the task axis."""
    sq = sum(np.sum(v[k] ** 2, axis=tuple(range(1, v[k].ndim))) for k in v)
    norm = np.sqrt(sq)
    e = eps / np.where(norm > 0, norm, 1.0)  # (T,)
    plus = {k: params[k] + _expand(e, v[k]) * v[k] for k in params}
    minus = {k: params[k] - _expand(e, v[k]) * v[k] for k in params}
    _, gp = task_losses(plus, X, Y, activation)
    _, gm = task_losses(minus, X, Y, activation)
    return {k: (gp[k] - gm[k]) / (2 * _expand(e, gp[k])) for k in gp}


def maml_meta_gradient(theta: Params, X_s: np.ndarray, Y_s: np.ndarray,
                       X_q: np.ndarray, Y_q: np.ndarray, inner_lr: float,
                       steps: int = 1, first_order: bool = False,
                       activation: Activation = RELU, hvp_eps: float = 1e-4
                       ) -> tuple[float, Params]:
    """The MAML meta-gradient dF/dtheta, averaged over the tasks of the meta-batch.

    With theta_{j+1} = theta_j - a grad L_s(theta_j), the chain rule gives

        dF/dtheta = (I - a H_s(theta_0)) ... (I - a H_s(theta_{k-1})) grad L_q(theta_k),

    applied right to left with Hessian-vector products (:func:`hessian_vector_product`).
    ``first_order=True`` drops the Hessians: first-order MAML, grad L_q(theta_k).
    ``X_s``: (T, k, d) etc. Returns (mean query loss after adaptation, gradient dict).
    """
    X_s, Y_s, X_q, Y_q = _check_tasks(X_s, Y_s, X_q, Y_q)
    check_type(first_order, bool, "first_order")
    path = adapt(theta, X_s, Y_s, inner_lr, steps, activation)
    losses, v = task_losses(path[-1], X_q, Y_q, activation)
    if not first_order:
        for params in reversed(path[:-1]):
            Hv = hessian_vector_product(params, X_s, Y_s, v, hvp_eps, activation)
            v = _axpy(-inner_lr, Hv, v)
    return float(losses.mean()), {k: g.mean(axis=0) for k, g in v.items()}


def reptile_direction(theta: Params, X: np.ndarray, Y: np.ndarray, inner_lr: float,
                      steps: int = 5, activation: Activation = RELU) -> Params:
    """Reptile's update direction: the mean over tasks of theta_steps - theta, the
    displacement of a few steps of SGD on each task (Nichol et al., 2018)."""
    final = adapt(theta, X, Y, inner_lr, steps, activation)[-1]
    return {k: final[k].mean(axis=0) - theta[k] for k in theta}


def meta_train(theta: Params, sample_tasks: Callable[[np.random.Generator], tuple],
               optimizer: Any, rng: np.random.Generator, method: str = "maml",
               n_iter: int = 1000, inner_lr: float = 0.01, steps: int = 1,
               activation: Activation = RELU) -> list[float]:
    """Meta-train the initialization ``theta`` in place; returns the loss per iteration.

    ``sample_tasks(rng)`` returns a meta-batch ``(X_s, Y_s, X_q, Y_q)``. ``method``:
    "maml" (second order), "fomaml" (first order), "reptile" (the optimizer is given
    minus the Reptile direction, support and query pooled), or "joint" (the baseline:
    plain training on all tasks' data, no adaptation in the loop).
    """
    if method not in ("maml", "fomaml", "reptile", "joint"):
        raise ValueError(
            f"method must be 'maml', 'fomaml', 'reptile' or 'joint'; got {method!r}")
    check_rng(rng)
    n_iter = check_int(n_iter, "n_iter")
    history = []
    for _ in range(n_iter):
        X_s, Y_s, X_q, Y_q = sample_tasks(rng)
        if method in ("maml", "fomaml"):
            loss, grad = maml_meta_gradient(theta, X_s, Y_s, X_q, Y_q, inner_lr, steps,
                                            method == "fomaml", activation)
        elif method == "reptile":
            X = np.concatenate([X_s, X_q], axis=1)
            Y = np.concatenate([Y_s, Y_q], axis=1)
            d = reptile_direction(theta, X, Y, inner_lr, steps, activation)
            grad = {k: -v for k, v in d.items()}
            loss = maml_objective(theta, X_s, Y_s, X_q, Y_q, inner_lr, 0, activation)
        else:
            X = np.concatenate([X_s, X_q], axis=1)
            Y = np.concatenate([Y_s, Y_q], axis=1)
            losses, g = task_losses(_tasked(theta, X.shape[0]), X, Y, activation)
            loss, grad = float(losses.mean()), {k: v.mean(axis=0) for k, v in g.items()}
        optimizer.step(theta, grad)
        history.append(loss)
    return history


def adaptation_curve(theta: Params, X_s: np.ndarray, Y_s: np.ndarray, X_q: np.ndarray,
                     Y_q: np.ndarray, inner_lr: float, steps: int = 10,
                     activation: Activation = RELU) -> np.ndarray:
    """Mean query loss after 0, 1, ..., ``steps`` inner steps on the support sets.
    Returns (steps + 1,)."""
    path = adapt(theta, X_s, Y_s, inner_lr, steps, activation)
    return np.array([task_losses(p, X_q, Y_q, activation)[0].mean() for p in path])


def sample_sinusoid_tasks(n_tasks: int, k_shot: int, rng: np.random.Generator,
                          n_query: int = 10) -> tuple[np.ndarray, ...]:
    """The sinusoid regression tasks of Finn et al. (2017): y = A sin(x - phi),
    A ~ U[0.1, 5], phi ~ U[0, pi], x ~ U[-5, 5].

    Returns ``(X_s, Y_s, X_q, Y_q, A, phi)``, ``X_s``, ``Y_s``: (n_tasks, k_shot, 1),
    ``X_q``, ``Y_q``: (n_tasks, n_query, 1), ``A``, ``phi``: (n_tasks,)."""
    n_tasks, k_shot = check_int(n_tasks, "n_tasks"), check_int(k_shot, "k_shot")
    n_query = check_int(n_query, "n_query")
    check_rng(rng)
    A = rng.uniform(0.1, 5.0, n_tasks)
    phi = rng.uniform(0.0, np.pi, n_tasks)
    X = rng.uniform(-5.0, 5.0, (n_tasks, k_shot + n_query, 1))
    Y = A[:, None, None] * np.sin(X - phi[:, None, None])
    return X[:, :k_shot], Y[:, :k_shot], X[:, k_shot:], Y[:, k_shot:], A, phi


# --- metric-based few-shot learning --------------------------------------------------


def sample_episode(X: np.ndarray, y: np.ndarray, classes: Any, n_way: int, k_shot: int,
                   n_query: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """An N-way K-shot episode: ``n_way`` classes drawn from ``classes``, ``k_shot``
    support and ``n_query`` query examples of each, relabelled 0 .. n_way - 1.

    Returns ``(X_s, y_s, X_q, y_q)``: (n_way k_shot, d), (n_way k_shot,),
    (n_way n_query, d), (n_way n_query,)."""
    check_rng(rng)
    n_way, k_shot = check_int(n_way, "n_way"), check_int(k_shot, "k_shot")
    n_query = check_int(n_query, "n_query")
    pool = np.asarray(classes)
    if n_way > pool.size:
        raise ValueError(f"n_way must be at most the {pool.size} classes; got {n_way}")
    chosen = rng.choice(pool, n_way, replace=False)
    s_idx, q_idx = [], []
    for c in chosen:  # a loop over the few classes of an episode, not over samples
        idx = rng.permutation(np.flatnonzero(y == c))[:k_shot + n_query]
        if idx.size < k_shot + n_query:
            raise ValueError(f"class {c} has fewer than {k_shot + n_query} examples")
        s_idx.append(idx[:k_shot])
        q_idx.append(idx[k_shot:])
    s, q = np.concatenate(s_idx), np.concatenate(q_idx)
    return (X[s], np.repeat(np.arange(n_way), k_shot), X[q],
            np.repeat(np.arange(n_way), n_query))


def _episode(Z_s: Any, y_s: Any, Z_q: Any, y_q: Any, n_way: int
             ) -> tuple[np.ndarray, ...]:
    Z_s = as_float_array(Z_s, "Z_support", ndim=2, shape_hint="(n_support, d)")
    Z_q = as_float_array(Z_q, "Z_query", ndim=2, shape_hint="(n_query, d)")
    if Z_s.shape[1] != Z_q.shape[1]:
        raise ValueError(f"Z_support and Z_query must have the same width; got "
                         f"{Z_s.shape[1]} and {Z_q.shape[1]}")
    y_s = check_labels(y_s, Z_s.shape[0], n_way, "y_support")
    y_q = check_labels(y_q, Z_q.shape[0], n_way, "y_query")
    if np.bincount(y_s, minlength=n_way).min() == 0:
        raise ValueError("y_support must hold at least one example of every class")
    return Z_s, y_s, Z_q, y_q


def prototypical_loss(Z_s: np.ndarray, y_s: np.ndarray, Z_q: np.ndarray,
                      y_q: np.ndarray, n_way: int
                      ) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The prototypical-network loss (Snell et al., 2017).

    Prototypes c_k = mean of the support embeddings of class k; logits
    s_qk = -||z_q - c_k||^2; loss = cross-entropy of softmax(s_q) at y_q, averaged.
    ``Z_s``: (n_s, d), ``Z_q``: (n_q, d). Returns (loss, accuracy, dL/dZ_s, dL/dZ_q).

    Backward: with G = (softmax(S) - onehot(y_q)) / n_q, dS/dz_q = -2 (z_q - c_k) gives
    dZ_q = -2 (rowsum(G) Z_q - G C); dC = 2 (G^T Z_q - colsum(G) C), and each support
    embedding receives its prototype's gradient divided by the class count.
    """
    Z_s, y_s, Z_q, y_q = _episode(Z_s, y_s, Z_q, y_q, n_way)
    counts = np.bincount(y_s, minlength=n_way).astype(Z_s.dtype)
    C = np.zeros((n_way, Z_s.shape[1]), dtype=Z_s.dtype)
    np.add.at(C, y_s, Z_s)
    C /= counts[:, None]
    S = -(np.sum(Z_q ** 2, 1)[:, None] - 2 * Z_q @ C.T + np.sum(C ** 2, 1)[None, :])
    P = softmax(S, axis=1)
    n_q = Z_q.shape[0]
    loss = float(-np.mean(np.log(P[np.arange(n_q), y_q] + 1e-300)))
    acc = float(np.mean(S.argmax(1) == y_q))
    G = P.copy()
    G[np.arange(n_q), y_q] -= 1.0
    G /= n_q
    dZ_q = -2 * (G.sum(1)[:, None] * Z_q - G @ C)
    dC = 2 * (G.T @ Z_q - G.sum(0)[:, None] * C)
    dZ_s = (dC / counts[:, None])[y_s]
    return loss, acc, dZ_s, dZ_q


def matching_loss(Z_s: np.ndarray, y_s: np.ndarray, Z_q: np.ndarray, y_q: np.ndarray,
                  n_way: int, tau: float = 0.1
                  ) -> tuple[float, float, np.ndarray, np.ndarray]:
    """The matching-network loss (Vinyals et al., 2016), no full-context embeddings.

    Attention a_qi = softmax_i(cos(z_q, z_i) / tau) over the support set; the predicted
    distribution p_q = sum_i a_qi onehot(y_i); loss = -mean_q log p_q[y_q].
    Returns (loss, accuracy, dL/dZ_s, dL/dZ_q), shapes as the inputs.
    """
    Z_s, y_s, Z_q, y_q = _episode(Z_s, y_s, Z_q, y_q, n_way)
    tau = check_float(tau, "tau", low=0.0, low_open=True)
    ns_norm = np.linalg.norm(Z_s, axis=1, keepdims=True) + 1e-12
    nq_norm = np.linalg.norm(Z_q, axis=1, keepdims=True) + 1e-12
    Ns, Nq = Z_s / ns_norm, Z_q / nq_norm
    S = Nq @ Ns.T / tau
    A = softmax(S, axis=1)
    Yh = np.eye(n_way, dtype=Z_s.dtype)[y_s]
    P = A @ Yh
    n_q = Z_q.shape[0]
    picked = P[np.arange(n_q), y_q] + 1e-300
    loss = float(-np.mean(np.log(picked)))
    acc = float(np.mean(P.argmax(1) == y_q))
    dP = np.zeros_like(P)
    dP[np.arange(n_q), y_q] = -1.0 / (n_q * picked)
    dA = dP @ Yh.T
    dS = A * (dA - np.sum(A * dA, axis=1, keepdims=True))
    dNq, dNs = dS @ Ns / tau, dS.T @ Nq / tau
    # through n = z / ||z||: dz = (dn - n (n . dn)) / ||z||
    dZ_q = (dNq - Nq * np.sum(Nq * dNq, 1, keepdims=True)) / nq_norm
    dZ_s = (dNs - Ns * np.sum(Ns * dNs, 1, keepdims=True)) / ns_norm
    return loss, acc, dZ_s, dZ_q


EpisodeLoss = Callable[..., tuple[float, float, np.ndarray, np.ndarray]]


def train_episodic(model: Module, X: np.ndarray, y: np.ndarray, classes: Any,
                   loss_fn: EpisodeLoss, optimizer: Any, rng: np.random.Generator,
                   n_way: int = 5, k_shot: int = 1, n_query: int = 10,
                   episodes: int = 500) -> list[float]:
    """Episodic training of an embedding ``model``: each step draws an episode from
    ``classes``, embeds support and query in one forward pass, and backpropagates the
    episode loss (:func:`prototypical_loss` or :func:`matching_loss`).
    Returns the loss of each episode."""
    episodes = check_int(episodes, "episodes")
    history = []
    for _ in range(episodes):
        X_s, y_s, X_q, y_q = sample_episode(X, y, classes, n_way, k_shot, n_query, rng)
        model.zero_grad()
        Z = model(np.concatenate([X_s, X_q]))
        n_s = X_s.shape[0]
        loss, _, dZ_s, dZ_q = loss_fn(Z[:n_s], y_s, Z[n_s:], y_q, n_way)
        model.backward(np.concatenate([dZ_s, dZ_q]), input_grad=False)
        optimizer.step(model.parameters(), model.gradients())
        history.append(loss)
    return history


def episode_accuracy(embed: Module | Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                     y: np.ndarray, classes: Any, loss_fn: EpisodeLoss,
                     rng: np.random.Generator, n_way: int = 5, k_shot: int = 1,
                     n_query: int = 10, episodes: int = 200) -> float:
    """Mean query accuracy over ``episodes`` fresh episodes from ``classes``, with the
    classifier that ``loss_fn`` defines on the embeddings ``embed(X)`` (a module, run
    without caching, or any function, e.g. the identity for raw pixels)."""
    accs = []
    for _ in range(check_int(episodes, "episodes")):
        X_s, y_s, X_q, y_q = sample_episode(X, y, classes, n_way, k_shot, n_query, rng)
        with no_grad():
            Z_s, Z_q = embed(X_s), embed(X_q)
        accs.append(loss_fn(Z_s, y_s, Z_q, y_q, n_way)[1])
    return float(np.mean(accs))
