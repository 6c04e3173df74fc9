"""Regularization: weight penalties and dropout (early stopping is in
:mod:`nnbook.train.callbacks`).

* Penalty factories ``l2_penalty(lam)``, ``l1_penalty(lam)``, ``elastic_net_penalty(lam,
  l1_ratio)`` return a function ``penalty(params) -> (value, grads)`` that the training
  loop
  adds to the data loss and its gradients. They penalise the **weights only**: every
  parameter
  array with two or more axes (a dense layer's ``W``, a convolution's kernel). One-axis
  arrays
  (biases ``b``, normalization's ``gamma``/``beta``) are left alone: they do not
  multiply the
  input, so shrinking them does not make the function smoother, and pulling ``gamma`` to
  0
  would switch units off. ``grads`` holds an entry for each penalised array only (the
  training
  loop adds ``grads[k]`` to the model's gradient of ``k`` where it is present).
* :class:`Dropout`, inverted dropout (Hinton et al., 2012; Srivastava et al., 2014).

Derived in :doc:`/book/training/regularization`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from .._checks import as_float_array, check_positive, check_probability, check_rng
from .module import Module

__all__ = ["l2_penalty", "l1_penalty", "elastic_net_penalty", "Dropout", "is_decayed"]

Penalty = Callable[[Mapping[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]]


def is_decayed(name: str, p: np.ndarray) -> bool:
    """The default rule for weight decay and the weight penalties: True for arrays with
    two
    or more axes (weight matrices, kernels, embeddings), False for 1-D biases and the
    scales and shifts of normalization layers.

    Every optimizer and every penalty takes a ``decay`` argument to override it: any
    function ``(name, array) -> bool``. Explained in
    :doc:`/book/training/regularization`.
    """
    return np.ndim(p) >= 2


def _check_params(params: Mapping[str, np.ndarray]) -> None:
    if not isinstance(params, Mapping):
        raise ValueError(
            "params must be a dict mapping names to arrays; got "
            f"{type(params).__name__}"
        )
    for name, p in params.items():
        as_float_array(p, f"params[{name!r}]", allow_empty=True)


def _elastic(lam: float, l1_ratio: float) -> Penalty:
    """lam * sum_W [l1_ratio * ||W||_1 + (1 - l1_ratio) / 2 * ||W||_2^2] and its
    (sub)gradient."""
    a1, a2 = lam * l1_ratio, lam * (1.0 - l1_ratio)

    def penalty(
        params: Mapping[str, np.ndarray],
    ) -> tuple[float, dict[str, np.ndarray]]:
        _check_params(params)
        value = 0.0
        grads: dict[str, np.ndarray] = {}
        for name, W in params.items():
            if not is_decayed(name, W):
                continue  # biases, gamma, beta: not penalised
            g = np.zeros_like(W)
            if a1:
                value += a1 * float(np.sum(np.abs(W)))
                g += a1 * np.sign(W)  # subgradient: sign(w), and 0 at w = 0
            if a2:
                value += 0.5 * a2 * float(np.sum(W * W))
                g += a2 * W  # d/dW of (a2 / 2) ||W||^2
            grads[name] = g
        return value, grads

    return penalty


def l2_penalty(lam: float) -> Penalty:
    """Return penalty(params) -> (value, grads) for (lam / 2) sum_W ||W||_2^2, grads lam
    * W.

    Summed over every weight array (2 or more axes); biases and other 1-D arrays are
    skipped (``grads`` has no entry for them). Adding it to the loss makes an SGD step
    shrink every weight by the factor (1 - lr * lam): weight decay. ``lam`` >= 0.
    Derived in :doc:`/book/training/regularization`.
    """
    lam = check_positive(lam, "lam", strict=False)
    return _elastic(lam, 0.0)


def l1_penalty(lam: float) -> Penalty:
    """Return penalty(params) -> (value, grads) for lam sum_W ||W||_1, grads lam *
    sign(W).

    ``sign`` is the subgradient of |w| that is 0 at w = 0. Weights only (2 or more
    axes), as for :func:`l2_penalty`. Derived in :doc:`/book/training/regularization`.
    """
    lam = check_positive(lam, "lam", strict=False)
    return _elastic(lam, 1.0)


def elastic_net_penalty(lam: float, l1_ratio: float) -> Penalty:
    """Return penalty(params) -> (value, grads) for the elastic net (Zou and Hastie,
    2005),

    lam * sum_W [ l1_ratio ||W||_1 + (1 - l1_ratio) / 2 ||W||_2^2 ],
    grads lam * (l1_ratio sign(W) + (1 - l1_ratio) W).

    ``l1_ratio`` in [0, 1]: 1 is :func:`l1_penalty`, 0 is :func:`l2_penalty`. Weights
    only. Derived in :doc:`/book/training/regularization`.
    """
    lam = check_positive(lam, "lam", strict=False)
    r = check_probability(l1_ratio, "l1_ratio", include_one=True)
    return _elastic(lam, r)


class Dropout(Module):
    """Inverted dropout: in training Y = X * M / (1 - p) with M_ij ~ Bernoulli(1 - p), a
    fresh mask on every forward call; in evaluation Y = X.

    Because E[M_ij / (1 - p)] = 1, the expected output in training equals the input, so
    nothing has to be rescaled at evaluation time. ``backward`` multiplies dY by the
    same mask / (1 - p) that ``forward`` drew. ``p`` in [0, 1) is the probability of
    *dropping* a unit; ``rng`` draws the masks. ``X``: any shape. Derived in
    :doc:`/book/training/regularization`.
    """

    def __init__(self, p: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.p = check_probability(p, "p")
        self.rng = check_rng(rng)

    def forward(self, X: np.ndarray) -> np.ndarray:
        """X * mask / (1 - p) in training (mask drawn now and cached), X in
        evaluation."""
        X = as_float_array(X, "X")
        if not self.training or self.p == 0.0:
            self._save(X.shape, None)
            return X
        # uniforms in X's precision (half the work for float32), reused as the mask
        dt = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
        u = self.rng.random(X.shape, dtype=dt)
        keep = u >= self.p  # m_ij ~ Bernoulli(1 - p)
        np.multiply(keep, 1.0 / (1.0 - self.p), out=u)  # mask = m / (1 - p)
        self._save(X.shape, u)
        return X * u.astype(X.dtype, copy=False)

    def backward(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """dX = dY * mask / (1 - p) with the mask of the matching forward (dY itself in
        evaluation)."""
        shape, mask = self._saved()
        dY = self._check_dY(dY, shape)
        if not input_grad:
            return None
        return dY if mask is None else dY * mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
