"""Transfer, multi-task and curriculum learning helpers.
Derived in :doc:`/book/graphs/transfer-and-self-supervision`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_float, check_int, check_labels, check_rng, check_type
from ..nn.losses import cross_entropy, cross_entropy_backward
from ..nn.module import Module, no_grad

__all__ = ["Frozen", "MultiTaskLoss", "curriculum_order", "curriculum_pacing"]


class Frozen(Module):
    """A pretrained module used as a fixed feature extractor: its forward runs without
    caching and its parameters are hidden from the optimizer (they are not children).

    Put it first in a :class:`~nnbook.nn.module.Sequential`: its backward returns None
    (nothing upstream needs a gradient). ``Frozen(m)(X) == m(X)``.
    """

    def __init__(self, module: Module) -> None:
        super().__init__()
        self._module = check_type(module, Module, "module")

    def forward(self, X: np.ndarray) -> Any:
        """m(X) in evaluation mode, caching nothing."""
        with no_grad():
            training = self._module.training
            self._module.eval()
            try:
                return self._module(X)
            finally:
                self._module.train(training)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> None:
        """Nothing to learn and nothing upstream: returns None."""
        return None

    def __repr__(self) -> str:
        return f"Frozen({self._module!r})"


class MultiTaskLoss:
    """The sum of softmax cross-entropies of several heads whose logits are concatenated
    along the last axis: outputs (N, C_1 + ... + C_T), targets (N, T) integer labels.

    L = sum_t w_t CE(outputs[:, slice_t], targets[:, t]); the gradient is the heads'
    gradients side by side. ``correct`` counts examples right on every task.
    """

    def __init__(self, n_classes: list[int],
                 weights: list[float] | None = None) -> None:
        self.n_classes = [check_int(c, "n_classes[i]") for c in n_classes]
        w = [1.0] * len(self.n_classes) if weights is None else list(weights)
        if len(w) != len(self.n_classes):
            raise ValueError(f"weights must have one entry per task "
                             f"({len(self.n_classes)}); got {len(w)}")
        self.weights = [check_float(x, "weights[i]", low=0.0) for x in w]
        self.edges = np.concatenate([[0], np.cumsum(self.n_classes)])

    def __call__(self, outputs: np.ndarray, targets: np.ndarray
                 ) -> tuple[float, np.ndarray]:
        T = len(self.n_classes)
        t = np.asarray(targets).reshape(outputs.shape[0], T)
        if outputs.shape[1] != self.edges[-1]:
            raise ValueError(f"outputs must have {self.edges[-1]} columns; got "
                             f"{outputs.shape[1]}")
        total, grad = 0.0, np.zeros_like(outputs)
        for k in range(T):  # a loop over the few tasks
            a, b = self.edges[k], self.edges[k + 1]
            y = check_labels(t[:, k], outputs.shape[0], self.n_classes[k])
            total += self.weights[k] * cross_entropy(outputs[:, a:b], y)
            grad[:, a:b] = self.weights[k] * cross_entropy_backward(outputs[:, a:b], y)
        return float(total), grad

    def task_accuracy(self, outputs: np.ndarray, targets: np.ndarray) -> list[float]:
        """Accuracy of each head."""
        t = np.asarray(targets).reshape(outputs.shape[0], -1)
        return [float(np.mean(outputs[:, a:b].argmax(1) == t[:, k]))
                for k, (a, b) in enumerate(zip(self.edges[:-1], self.edges[1:]))]

    def correct(self, outputs: np.ndarray, targets: np.ndarray) -> float:
        """Examples classified correctly on every task."""
        t = np.asarray(targets).reshape(outputs.shape[0], -1)
        ok = np.ones(outputs.shape[0], dtype=bool)
        for k, (a, b) in enumerate(zip(self.edges[:-1], self.edges[1:])):
            ok &= outputs[:, a:b].argmax(1) == t[:, k]
        return float(ok.sum())


def curriculum_order(difficulty: np.ndarray) -> np.ndarray:
    """Indices of the examples from easiest to hardest (a stable sort of the scores)."""
    d = np.asarray(difficulty, dtype=float)
    if d.ndim != 1 or not np.all(np.isfinite(d)):
        raise ValueError(f"difficulty must be a finite 1-D array; got shape {d.shape}")
    return np.argsort(d, kind="stable")


def curriculum_pacing(difficulty: np.ndarray, epoch: int, epochs: int,
                      rng: np.random.Generator, start: float = 0.2) -> np.ndarray:
    """The training subset of one epoch under a linear pacing function (Bengio et al.,
    2009; Hacohen and Weinshall, 2019): the easiest fraction
    f = start + (1 - start) * epoch / (epochs - 1) of the data, shuffled.
    From ``epoch = epochs - 1`` on, all the data. Returns indices."""
    check_rng(rng)
    epoch = check_int(epoch, "epoch", minimum=0)
    epochs = check_int(epochs, "epochs")
    start = check_float(start, "start", low=0.0, high=1.0, low_open=True)
    order = curriculum_order(difficulty)
    frac = 1.0 if epochs == 1 else min(1.0, start + (1 - start) * epoch / (epochs - 1))
    k = max(1, int(round(frac * order.size)))
    return rng.permutation(order[:k])
