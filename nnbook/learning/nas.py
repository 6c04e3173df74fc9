"""Neural architecture search: random search, regularized evolution and DARTS.

A discrete search space is a dict ``{choice_name: [options...]}``; an architecture is a
tuple with one option per choice (in the dict's order). Random search and regularized
evolution only need a function ``score(arch) -> float`` (validation accuracy after a
short training run). DARTS relaxes the choice among candidate operations to a softmax
mixture, :class:`MixedOp`, whose weights ``alpha`` are trained by gradient descent on
validation data. Derived in :doc:`/book/graphs/architecture-search`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._checks import check_int, check_rng, check_type
from ..nn.activations import softmax
from ..nn.losses import cross_entropy, cross_entropy_backward
from ..nn.module import Module

__all__ = [
    "sample_architecture", "mutate_architecture", "random_architecture_search",
    "regularized_evolution", "Zero", "MixedOp", "darts_search", "derive_architecture",
]

Space = dict[str, Sequence[Any]]
Arch = tuple[Any, ...]


def _check_space(space: Space) -> Space:
    check_type(space, dict, "space")
    if not space or any(len(v) == 0 for v in space.values()):
        raise ValueError("space must map each choice to a non-empty list of options")
    return space


def sample_architecture(space: Space, rng: np.random.Generator) -> Arch:
    """One option per choice, uniformly at random."""
    _check_space(space)
    check_rng(rng)
    return tuple(opts[int(rng.integers(len(opts)))] for opts in space.values())


def mutate_architecture(arch: Arch, space: Space, rng: np.random.Generator) -> Arch:
    """Change one randomly chosen choice to a different option (Real et al., 2019)."""
    _check_space(space)
    options = list(space.values())
    free = [i for i, o in enumerate(options) if len(o) > 1]
    if not free:
        return tuple(arch)
    i = free[int(rng.integers(len(free)))]
    others = [o for o in options[i] if o != arch[i]]
    out = list(arch)
    out[i] = others[int(rng.integers(len(others)))]
    return tuple(out)


def random_architecture_search(score: Callable[[Arch], float], space: Space,
                               n_trials: int,
                               rng: np.random.Generator) -> list[tuple[Arch, float]]:
    """Sample ``n_trials`` architectures independently and score each: the baseline
    every search method must beat (Li and Talwalkar, 2019). Returns (arch, score) in
    the order tried; the best so far is ``max(history[:t], key=score)``."""
    n_trials = check_int(n_trials, "n_trials")
    history = []
    for _ in range(n_trials):
        a = sample_architecture(space, rng)
        history.append((a, float(score(a))))
    return history


def regularized_evolution(score: Callable[[Arch], float], space: Space, n_trials: int,
                          rng: np.random.Generator, population_size: int = 10,
                          sample_size: int = 3) -> list[tuple[Arch, float]]:
    """Aging evolution (Real et al., 2019): start from ``population_size`` random
    architectures; then repeatedly draw ``sample_size`` members, mutate the best of
    them, add the child and remove the *oldest* member (not the worst). Returns every
    (arch, score) evaluated, in order, ``n_trials`` in all."""
    n_trials = check_int(n_trials, "n_trials")
    population_size = check_int(population_size, "population_size")
    sample_size = check_int(sample_size, "sample_size", maximum=population_size)
    history: list[tuple[Arch, float]] = []
    population: deque[tuple[Arch, float]] = deque()
    while len(history) < n_trials:
        if len(population) < population_size:
            a = sample_architecture(space, rng)
        else:
            picks = rng.choice(len(population), sample_size, replace=False)
            parent = max((population[int(i)] for i in picks), key=lambda p: p[1])
            a = mutate_architecture(parent[0], space, rng)
        member = (a, float(score(a)))
        history.append(member)
        population.append(member)
        if len(population) > population_size:
            population.popleft()                     # ageing: the oldest dies
    return history


class Zero(Module):
    """The "no connection" operation of DARTS: Y = 0 of the input's shape."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Zeros like X."""
        self._save(np.shape(X))
        return np.zeros_like(X)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """The gradient is zero."""
        shape = self._saved()
        return np.zeros(shape, dtype=dY.dtype) if input_grad else None


class MixedOp(Module):
    """DARTS's continuous relaxation of a choice among operations (Liu et al., 2019):

        Y = sum_k softmax(alpha)_k op_k(X),

    every op mapping (batch, n) to the same shape. Backward, with w = softmax(alpha),
    g_k = <dY, op_k(X)>: d alpha = w * (g - w . g); each op receives w_k dY; dX is the
    sum of the ops' input gradients. ``alpha``: (K,), registered as a parameter.
    """

    def __init__(self, ops: list[Module], dtype: Any = np.float64) -> None:
        super().__init__()
        check_type(ops, list, "ops")
        if not ops:
            raise ValueError("ops must hold at least one Module")
        for i, m in enumerate(ops):
            check_type(m, Module, f"ops[{i}]")
        self.ops = ops
        self.add_param("alpha", np.zeros(len(ops), dtype=dtype))

    def weights(self) -> np.ndarray:
        """softmax(alpha), the mixture weights."""
        return softmax(self.params["alpha"])

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The softmax-weighted sum of every op's output."""
        w = self.weights()
        outs = [op(X) for op in self.ops]
        self._save(w, outs)
        return sum((wk * o for wk, o in zip(w, outs)), np.zeros_like(outs[0]))

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Through the mixture weights and into every op (in reverse order)."""
        w, outs = self._saved()
        g = np.array([np.sum(dY * o) for o in outs])
        self.grads["alpha"] += w * (g - np.dot(w, g))
        dX = None
        for k in range(len(self.ops) - 1, -1, -1):
            d = self.ops[k].backward(w[k] * dY, input_grad=input_grad)
            if input_grad:
                dX = d if dX is None else dX + d
        return dX


def _split(model: Module) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(weights, architecture parameters): names ending in 'alpha' are the latter."""
    params = model.parameters()
    arch = {k: v for k, v in params.items() if k.split(".")[-1] == "alpha"}
    return {k: v for k, v in params.items() if k not in arch}, arch


def darts_search(model: Module, X_train: np.ndarray, y_train: np.ndarray,
                 X_val: np.ndarray, y_val: np.ndarray, weight_optimizer: Any,
                 arch_optimizer: Any, rng: np.random.Generator, epochs: int = 10,
                 batch_size: int = 64) -> list[float]:
    """First-order DARTS: alternate one step on the weights w with a training batch and
    one step on the architecture parameters alpha with a validation batch, each
    holding the other fixed (the bilevel problem min_alpha L_val(w*(alpha), alpha),
    w*(alpha) = argmin_w L_train(w, alpha), approximated by w* ~ current w).
    Returns the validation loss of each alpha step."""
    check_rng(rng)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    history = []
    n = X_train.shape[0]
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            vidx = rng.integers(0, X_val.shape[0], idx.size)
            for X, y, which in ((X_train[idx], y_train[idx], 0),
                                (X_val[vidx], y_val[vidx], 1)):
                model.zero_grad()
                Z = model(X)
                loss = cross_entropy(Z, y)
                model.backward(cross_entropy_backward(Z, y), input_grad=False)
                w, a = _split(model)
                grads = model.gradients()
                chosen = (w, weight_optimizer) if which == 0 else (a, arch_optimizer)
                chosen[1].step(chosen[0], {k: grads[k] for k in chosen[0]})
            history.append(float(loss))
    return history


def derive_architecture(model: Module) -> list[int]:
    """The discrete architecture DARTS returns: argmax of alpha in every MixedOp,
    in the order the modules appear."""
    return [int(np.argmax(m.params["alpha"])) for _, m in model.named_modules()
            if isinstance(m, MixedOp)]
